"""Every op the compiler cannot express is listed in one error, with the user's stack trace."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.compile.builders import OpFromGraph
from pytensor.graph.basic import Apply, Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.op import Op
from pytensor.scalar import basic as ps
from pytensor.tensor.blockwise import Blockwise
from pytensor.tensor.elemwise import Elemwise

from compiler import Compiler, UnsupportedOpError


class NoTranslation(Op):
    """An op no rule will ever translate (the compiler's coverage grows; this one stays out)."""

    __props__ = ()

    def make_node(self, x: Variable) -> Apply:
        x = pt.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, outputs) -> None:
        outputs[0][0] = inputs[0].copy()


def no_translation(x: Variable) -> Variable:
    return NoTranslation()(x)


class NoMatrixTranslation(Op):
    """A matrix op no rule translates, used as a ``Blockwise`` (as PyTensor's linalg ops are)."""

    __props__ = ()
    gufunc_signature = "(m,n)->(m,n)"

    def make_node(self, x: Variable) -> Apply:
        x = pt.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, outputs) -> None:
        outputs[0][0] = inputs[0].copy()


no_matrix = Blockwise(NoMatrixTranslation())


def test_unsupported_ops_all_listed_with_traces(tmp_path) -> None:
    x = pt.vector("x", dtype="float64")
    a = no_translation(x)  # line A: no rule
    b = no_matrix(pt.outer(x, x)).sum(0) + a  # line B: a Blockwise without a rule
    c = pt.arcsin(b)  # supported, downstream of both
    fgraph = FunctionGraph([x], [c])
    out = tmp_path / "model.onnx"
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(fgraph).save(out)
    err = info.value
    reported = [o.op for o in err.ops]
    assert any("NoTranslation" in op for op in reported)
    assert any("NoMatrixTranslation" in op for op in reported)
    message = str(err)
    assert "unsupported ops in the graph" in message
    assert (
        __file__ in message
        and "no_translation(x)" in message
        and "no_matrix(pt.outer(x, x))" in message
    )
    assert not out.exists()


def test_unsupported_lowering_listed_together() -> None:
    x = pt.vector("x", dtype="float64")
    u, i = pt.vector("u", dtype="uint64"), pt.vector("i", dtype="int64")
    outputs = [pt.cast(x, "float16"), pt.lt(u, i), pt.cast(x * 2, "float16")]
    result = Compiler().compile(FunctionGraph([x, u, i], outputs))
    with pytest.raises(UnsupportedOpError) as info:
        result.to_onnx()
    assert len(info.value.ops) == 3
    assert sum("float64 to float16" in o.reason for o in info.value.ops) == 2
    assert __file__ in str(info.value)


def test_unsupported_dtype_reported() -> None:
    z = pt.vector("z", dtype="complex128")
    with pytest.raises(UnsupportedOpError, match="complex128"):
        Compiler().compile(FunctionGraph([z], [z * 2]))


# -- every unsupported op, whatever feeds it (issue 15, item 9) ----------------------------------


class NoScalarTranslation(ps.UnaryScalarOp):
    """A scalar op no rule translates, for Composite bodies."""

    nfunc_spec = None

    def impl(self, x: float) -> float:
        return x


def reported(error: UnsupportedOpError) -> list[str]:
    return [o.op for o in error.ops]


def test_refused_op_fed_by_a_refused_op_is_listed():
    """The issue's example (then a Blockwise solve reading a Blockwise inverse's output)."""
    a, b = pt.matrix("A"), pt.matrix("b")
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(FunctionGraph([a, b], [no_matrix(no_matrix(a) @ b)]))
    ops = reported(info.value)
    assert len(ops) == 2
    assert all("NoMatrixTranslation" in op for op in ops)


def test_only_the_refused_ops_downstream_are_listed():
    """Supported ops between two refused ones are not listed; a long chain still is whole."""
    x = pt.vector("x")
    m = no_matrix(pt.outer(x, x))  # refused
    y = pt.exp(m * 2).sum(0)  # supported, fed by a refused op
    z = no_translation(no_matrix(pt.outer(y, y)))  # two more refused ops
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(FunctionGraph([x], [z]))
    ops = reported(info.value)
    assert len(ops) == 3, ops
    assert "NoMatrixTranslation" in ops[0] and "NoMatrixTranslation" in ops[1]
    assert "NoTranslation" in ops[2]


def test_ops_inside_an_op_from_graph_are_listed_each():
    a = pt.vector("a")
    inner = OpFromGraph([a], [no_translation(no_matrix(pt.outer(a, a)).sum(0))])
    x = pt.vector("x")
    direct = inner(x)  # line D
    downstream = inner(no_translation(x))  # fed by a refused op
    for y, count in ((direct, 2), (downstream, 3)):
        with pytest.raises(UnsupportedOpError) as info:
            Compiler().compile(FunctionGraph([x], [y]))
        ops = reported(info.value)
        assert len(ops) == count, ops
        inner_ops = [op for op in ops if op.startswith("OpFromGraph")]
        assert len(inner_ops) == 2
        assert "> Blockwise{NoMatrixTranslation" in inner_ops[0]
        assert inner_ops[1].endswith("> NoTranslation")
    assert "direct = inner(x)  # line D" in str(compile_error_of([x], direct))  # user's line


def test_ops_inside_a_composite_are_listed_each():
    a, b = ps.float64("a"), ps.float64("b")
    no_scalar = NoScalarTranslation(ps.upgrade_to_float, name="no_scalar")
    composite = ps.Composite([a, b], [no_scalar(a) + ps.exp(no_scalar(b))])
    x, y = pt.vector("x"), pt.vector("y")
    out = Elemwise(composite)(x, y)
    error = compile_error_of([x, y], out)
    ops = reported(error)
    assert len(ops) == 2 and all(op.startswith("Composite{") for op in ops), ops
    assert all(op.endswith("> no_scalar") for op in ops)
    assert "out = Elemwise(composite)(x, y)" in str(error)
    # Downstream of a refused op the Composite's own ops are listed as well.
    error = compile_error_of([x, y], Elemwise(composite)(no_translation(x), y))
    assert len(error.ops) == 3


def test_a_composite_of_constants_is_still_folded():
    """A Composite whose scalar op is refused but whose inputs are constants is computed by
    PyTensor at compile time: its inner refusals are dropped, not listed."""
    a = ps.float64("a")
    no_scalar = NoScalarTranslation(ps.upgrade_to_float, name="no_scalar")
    composite = ps.Composite([a], [no_scalar(a) * 2])
    x = pt.vector("x")
    out = x + Elemwise(composite)(pt.constant(np.array([1.5, 2.0])))
    result = Compiler().compile(FunctionGraph([x], [out]))
    np.testing.assert_array_equal(result.run(np.array([1.0, 1.0]))[0], [4.0, 5.0])


def test_ops_inside_a_scan_body_are_listed_each():
    x = pt.matrix("x")

    def step(row, acc):
        return acc + no_matrix(pt.outer(row, row)).sum(0) + no_translation(row)

    ys = pytensor.scan(
        step, sequences=[x], outputs_info=[pt.zeros_like(x[0])], return_updates=False
    )
    error = compile_error_of([x], ys)
    ops = reported(error)
    assert len(ops) == 2, ops
    assert all(op.startswith("Scan{") for op in ops)
    assert sorted(op.split(" > ")[1].split("{")[0] for op in ops) == ["Blockwise", "NoTranslation"]


def compile_error_of(inputs: list[Variable], output: Variable) -> UnsupportedOpError:
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(FunctionGraph(inputs, [output]))
    return info.value
