"""Every op the compiler cannot express is listed in one error, with the user's stack trace."""

from __future__ import annotations

import pytensor.tensor as pt
import pytest
from pytensor.graph.basic import Apply, Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.op import Op

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


def test_unsupported_ops_all_listed_with_traces(tmp_path) -> None:
    x = pt.vector("x", dtype="float64")
    a = no_translation(x)  # line A: no rule
    b = pt.linalg.inv(pt.outer(x, x)).sum(0) + a  # line B: inverses are refused
    c = pt.arcsin(b)  # float64 arcsin: ONNX Runtime has no kernel
    fgraph = FunctionGraph([x], [c])
    out = tmp_path / "model.onnx"
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(fgraph).save(out)
    err = info.value
    reported = [o.op for o in err.ops]
    assert any("NoTranslation" in op for op in reported)
    assert any("MatrixInverse" in op for op in reported)
    message = str(err)
    assert "unsupported ops in the graph" in message
    assert (
        __file__ in message
        and "no_translation(x)" in message
        and "pt.linalg.inv(pt.outer(x, x))" in message
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
