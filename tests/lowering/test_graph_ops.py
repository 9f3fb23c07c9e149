"""Ops that wrap other ops, checks and refusals end to end: Blockwise of any core op, Pad
(direct ONNX Pad or PyTensor's own padding graph), Assert/CheckAndRaise under both policies,
and the op families the compiler refuses (decompositions, solvers, inverses, Scan, random
variables, sparse) — each listed in one UnsupportedOpError."""

from __future__ import annotations

import warnings

import numpy as np
import pytensor
import pytensor.sparse as sparse
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.compile.mode import Mode
from pytensor.graph.basic import Constant
from pytensor.graph.fg import FunctionGraph
from pytensor.raise_op import Assert, CheckAndRaise
from pytensor.tensor.basic import ExtractDiag
from pytensor.tensor.blockwise import Blockwise
from pytensor.tensor.random.type import random_generator_type
from pytensor.tensor.subtensor import AdvancedSubtensor, IncSubtensor

from compiler import CompileOptions, Compiler, UnsupportedOpError
from compiler.frontend import FrontendOptions
from compiler.frontend.graphs import AssertDroppedWarning
from compiler.verify import compare_outputs
from ir.core import IRError
from ir.interpreter import InterpreterError, run_module
from ir.parser import parse_module
from ir.printer import print_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of
from tests.lowering.test_linalg import ir_op_names, missing_rules, rand

# -- Blockwise -----------------------------------------------------------------------------------


def test_blockwise_of_an_elementwise_op():
    """Elementwise rules already broadcast over leading axes: applied directly."""
    x, m = pt.tensor3("x", shape=(2, 3, 4)), pt.matrix("m", shape=(3, 4))
    add = (x + x).owner.op
    out = Blockwise(add, signature="(),()->()")(x, m)
    assert isinstance(out.owner.op, Blockwise)
    assert_matches_pytensor(fgraph_of([x, m], [out]), [rand((2, 3, 4)), rand((3, 4), seed=1)])


def test_blockwise_of_a_core_op_without_a_batched_translation_is_refused():
    x = pt.tensor3("x")
    out = Blockwise(ExtractDiag(), signature="(m,n)->(k)")(x)
    with pytest.raises(UnsupportedOpError, match="not defined over batch axes") as info:
        Compiler().compile(fgraph_of([x], [out]))
    assert "ExtractDiag" in str(info.value)


def test_blockwise_of_a_refused_core_op_is_refused_with_the_core_reason():
    a = pt.tensor3("a")
    reason = "Blockwise of Schur: the Schur form is not unique"
    with pytest.raises(UnsupportedOpError, match=reason):
        Compiler().compile(fgraph_of([a], [pt.linalg.schur(a)[0]]))


# -- Pad -------------------------------------------------------------------------------------------


def pad_graph(x, *args, **kwargs):
    out = pt.pad(x, *args, **kwargs)
    return fgraph_of([x], [out]), out


@pytest.mark.parametrize(
    ("mode", "width", "kwargs"),
    [
        ("constant", 2, {}),
        ("constant", ((1, 2), (0, 3)), {"constant_values": -1.5}),
        ("constant", ((1, 1), (2, 0)), {"constant_values": ((4, 4), (4, 4))}),  # one value
        ("constant", ((1, 2), (2, 1)), {"constant_values": ((1, 2), (3, -4))}),  # per side
        ("constant", ((1, 0), (0, 3)), {"constant_values": (7, 9)}),
        ("edge", ((2, 1), (0, 3)), {}),
        ("reflect", ((2, 1), (3, 0)), {}),  # widths below the axis sizes (3 and 4)
        ("reflect", ((0, 0), (1, 1)), {}),
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pad_maps_directly_to_onnx_pad(mode, width, kwargs, dtype):
    data = rand((3, 4), dtype, 1) - 1.0
    fgraph, _ = pad_graph(pt.matrix("x", shape=(3, 4), dtype=dtype), width, mode, **kwargs)
    result = compile_checked(fgraph)
    assert "tir.pad" in ir_op_names(result)
    assert_matches_pytensor(fgraph, [data])


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint16", "int64", "bool", "float16"])
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
def test_pad_of_other_dtypes(mode, dtype):
    """Constant and edge pads of integers come out in floatX (PyTensor pads into zeros of its
    output dtype); ORT has no int16/uint16 Pad (computed in int32, exact)."""
    data = rand((3, 4), dtype, 2)
    x = pt.matrix("x", shape=(3, 4), dtype=dtype)
    fgraph, out = pad_graph(x, ((1, 2), (2, 1)), mode)
    assert out.dtype == (dtype if mode == "reflect" else pytensor.config.floatX)
    assert "tir.pad" in ir_op_names(compile_checked(fgraph))
    assert_matches_pytensor(fgraph, [data])


def test_pad_with_a_symbolic_fill_value_and_rank_3():
    x, c = pt.tensor3("x", shape=(2, 3, 4)), pt.scalar("c", dtype="float32")
    out = pt.pad(x, ((0, 1), (2, 0), (1, 1)), constant_values=c)
    fgraph = fgraph_of([x, c], [out])
    assert "tir.pad" in ir_op_names(compile_checked(fgraph))
    assert_matches_pytensor(fgraph, [rand((2, 3, 4)), np.array(-3.25, "float32")])


def test_pad_of_empty_and_unit_axes():
    """Constant pads of an empty axis; edge pads of a size-1 axis."""
    x, u = pt.tensor3("x", shape=(0, 1, 3)), pt.tensor3("u", shape=(2, 1, 3))
    outs = [
        pt.pad(x, ((1, 2), (1, 0), (0, 2)), constant_values=5.0),
        pt.pad(u, ((0, 0), (2, 1), (1, 1)), mode="edge"),
    ]
    fgraph = fgraph_of([x, u], outs)
    assert ir_op_names(compile_checked(fgraph)).count("tir.pad") == 2
    assert_matches_pytensor(fgraph, [np.zeros((0, 1, 3)), rand((2, 1, 3))])


def test_pad_with_a_symbolic_batch_compiles_once():
    x = pt.matrix("x", shape=(None, 4))
    outs = [pt.pad(x, ((0, 0), (1, 2)), mode="reflect"), pt.pad(x, ((1, 1), (0, 2)), mode="edge")]
    result = compile_checked(fgraph_of([x], outs), dim_names={"x": {0: "batch"}})
    assert ir_op_names(result).count("tir.pad") == 2
    reference = pytensor.function([x], outs, mode="FAST_COMPILE")
    for batch in (1, 6):
        data = rand((batch, 4), seed=batch)
        report = compare_outputs(result.output_names, result.run(data), reference(data))
        assert report.ok, f"batch {batch}: {report}"


def test_edge_pad_of_a_symbolic_axis_empty_at_run_time_raises():
    """numpy raises for an edge pad of an empty axis; PyTensor returns a padded array of zeros
    (reading its own zero-initialized pad area); ONNX Runtime raises. A refusal, not a wrong
    value."""
    x = pt.matrix("x", shape=(None, None))
    out = pt.pad(x, ((0, 0), (1, 0)), mode="edge")
    result = compile_checked(fgraph_of([x], [out]))
    assert_matches_pytensor(fgraph_of([x], [out]), [rand((2, 3))])
    with pytest.raises(ValueError):
        np.pad(np.zeros((2, 0)), ((0, 0), (1, 0)), mode="edge")
    with pytest.raises(Exception, match="edge"):
        result.run(np.zeros((2, 0)))


@settings(max_examples=10, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 4), st.integers(0, 3), st.integers(0, 3)), min_size=1,
             max_size=3),
    st.sampled_from(["constant", "edge", "reflect"]),
)  # fmt: skip
def test_pad_property(axes, mode):
    """Any rank, sizes and widths (reflect widths kept below the axis size)."""
    shape = tuple(size for size, _, _ in axes)
    if mode == "reflect":
        widths = tuple((min(b, size - 1), min(a, size - 1)) for size, b, a in axes)
    else:
        widths = tuple((b, a) for _, b, a in axes)
    x = pt.tensor("x", shape=shape)
    fgraph = fgraph_of([x], [pt.pad(x, widths, mode)])
    assert "tir.pad" in ir_op_names(compile_checked(fgraph))
    assert_matches_pytensor(fgraph, [rand(shape)])


def test_pad_modes_onnx_lacks_inline_pytensors_graph():
    """wrap and symmetric (no opset-18 ONNX mode) and reflect wider than a static axis or on a
    symbolic axis (numpy folds periodically, ONNX reflects once): PyTensor's own padding graph
    (gathers) is inlined."""
    missing = missing_rules(AdvancedSubtensor)
    if missing:
        pytest.skip(f"needs rules for {missing}")
    x, s = pt.matrix("x", shape=(3, 4)), pt.matrix("s", shape=(None, None))
    outs = [
        pt.pad(x, ((1, 2), (3, 1)), mode="wrap"),
        pt.pad(x, ((2, 1), (1, 3)), mode="symmetric"),
        pt.pad(x, ((5, 0), (0, 7)), mode="reflect"),
        pt.pad(s, ((0, 0), (3, 2)), mode="reflect"),
    ]
    fgraph = fgraph_of([x, s], outs)
    assert "tir.pad" not in ir_op_names(compile_checked(fgraph))
    for cols in (4, 2):
        assert_matches_pytensor(fgraph, [rand((3, 4)), rand((2, cols), seed=cols)])


def test_pad_with_symbolic_per_axis_fill_values_inlines():
    missing = missing_rules(IncSubtensor)
    if missing:
        pytest.skip(f"needs rules for {missing}")
    x, c = pt.matrix("x", shape=(3, 4)), pt.vector("c", shape=(2,))
    fgraph = fgraph_of([x, c], [pt.pad(x, ((1, 2), (2, 1)), constant_values=c)])
    assert_matches_pytensor(fgraph, [rand((3, 4)), np.array([5.0, -1.0])])


# -- Assert / CheckAndRaise ------------------------------------------------------------------------


def assert_graph():
    x = pt.vector("x", shape=(3,))
    checked = Assert("x must be positive")(x, pt.all(x > 0))
    guarded = CheckAndRaise(ValueError, "too big")(x * 2.0, pt.lt(pt.max(x), 10.0), pt.eq(1, 1))
    return x, [pt.exp(checked), guarded + 1.0]


def test_assert_dropped_by_default_with_a_warning():
    x, outs = assert_graph()
    fgraph = fgraph_of([x], outs)
    with pytest.warns(AssertDroppedWarning) as record:
        result = compile_checked(fgraph)
    messages = [str(w.message) for w in record]
    assert len(messages) == 1 and __file__ in messages[0]  # one warning per graph
    assert "x must be positive" in messages[0] and "too big" in messages[0]
    data = np.array([0.5, 1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssertDroppedWarning)
        assert_matches_pytensor(fgraph, [data])
    # The conditions are not checked: the value passes through where PyTensor raises.
    bad = np.array([-1.0, 20.0, 2.0])
    with pytest.raises((AssertionError, ValueError), match=r"positive|too big"):
        pytensor.function([x], outs, mode="FAST_COMPILE")(bad)
    np.testing.assert_allclose(result.run(bad)[0], np.exp(bad), rtol=1e-12)


def test_assert_refused_by_option():
    x, outs = assert_graph()
    with pytest.raises(UnsupportedOpError) as info:
        Compiler(assert_policy="refuse").compile(fgraph_of([x], outs))
    reported = [o.op for o in info.value.ops]
    assert len(reported) == 2
    assert any("Assert" in r for r in reported) and any("CheckAndRaise" in r for r in reported)
    assert "assert_policy" in str(info.value)


def test_assert_policy_values_are_checked():
    with pytest.raises(ValueError, match="assert_policy"):
        FrontendOptions(assert_policy="ignore")
    x, outs = assert_graph()
    with pytest.raises(ValueError, match="assert_policy"):
        Compiler(CompileOptions(assert_policy="warn")).compile(fgraph_of([x], outs))


def test_assert_in_a_rewritten_graph():
    """An Assert the rewrites keep (a run-time condition) is dropped the same way."""
    x = pt.vector("x")
    out = Assert("nonempty")(x, pt.gt(pt.sum(x), 0.0)) * 2.0
    fn = pytensor.function([x], out, mode=Mode(linker="py", optimizer="fast_run"))
    assert any(isinstance(n.op, Assert) for n in fn.maker.fgraph.apply_nodes)
    with pytest.warns(AssertDroppedWarning, match="nonempty"):
        result = compile_checked(fn.maker.fgraph)
    data = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(result.run(data)[0], fn(data))


# -- refused families ------------------------------------------------------------------------------


def test_every_refused_linalg_op_is_listed():
    a = pt.matrix("a", shape=(3, 3))
    outs = {
        "TensorInv": pt.linalg.tensorinv(a, ind=1),
        "Schur": pt.linalg.schur(a)[0],
        "SVD": pt.linalg.svd(a)[0],
        "Eigh": pt.linalg.eigh(a)[1],
    }
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(fgraph_of([a], [o + 1.0 for o in outs.values()]))
    reported = " ".join(o.op + o.reason for o in info.value.ops)
    for name in outs:
        assert name in reported, f"{name} not listed in:\n{info.value}"
    reasons = " ".join(o.reason for o in info.value.ops)
    for why in (
        "matrix inversion has no ONNX operator (opset 18)",
        "the Schur form is not unique",
        "depends on their signs",
    ):
        assert why in reasons, f"{why!r} not in:\n{info.value}"


def test_scan_sparse_and_random_listed_together():
    x = pt.vector("x", shape=(5,))
    m = pt.matrix("m", shape=(3, 3))
    rng = Constant(random_generator_type, np.random.default_rng(0))
    doubled = pytensor.scan(
        lambda v: v * 2.0 + pt.random.normal(0.0, 1.0, rng=rng), sequences=[x],
        return_updates=False,
    )  # fmt: skip
    dense = sparse.dense_from_sparse(sparse.csr_from_dense(m))
    noise = pt.random.normal(0.0, 1.0, size=(3,), rng=rng)
    inverse = pt.linalg.schur(m)[0]
    outs = [doubled.sum(), dense + 1.0, noise * 2.0, inverse, pt.exp(x)]
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(fgraph_of([x, m], outs))
    reported = [o.op for o in info.value.ops]
    assert any(op.startswith("Scan") for op in reported)
    assert any(op.startswith("SparseFromDense") for op in reported)
    assert any(op.startswith("normal_rv") for op in reported)
    assert any("Schur" in op for op in reported)
    # Every such op, even one only reached through another refused op.
    assert any(op.startswith("DenseFromSparse") for op in reported)
    assert len(reported) == 5, info.value
    scan = next(o for o in info.value.ops if o.op.startswith("Scan"))
    assert "random variable inside the loop body" in scan.reason
    assert __file__ in str(info.value)


def test_random_variable_with_a_shared_generator_is_listed():
    x = pt.vector("x", shape=(3,))
    noise = pt.random.normal(0.0, 1.0, size=(3,))
    fn = pytensor.function([x], x + noise, mode="FAST_COMPILE")
    with pytest.raises(UnsupportedOpError, match="normal_rv"):
        Compiler().compile(fn.maker.fgraph)


def test_graph_with_refused_ops_writes_nothing(tmp_path):
    a = pt.matrix("a", shape=(2, 2))
    out = tmp_path / "model.onnx"
    with pytest.raises(UnsupportedOpError):
        Compiler().compile(FunctionGraph([a], [pt.linalg.schur(a)[0]], clone=True)).save(out)
    assert not out.exists()


# -- tir.pad itself --------------------------------------------------------------------------------


def test_tir_pad_text_round_trip_and_checks():
    source = """func @main(%x: f32[2, n]) {
  %0 = tir.constant dense<1.5> : f32[]
  %1 = tir.pad %x, %0 {mode = "constant", pads = [1, 0, 0, 2]} : f32[3, ?]
  %2 = tir.pad %x {mode = "edge", pads = [0, 1, 1, 1]} : f32[3, ?]
  return %1, %2 : "c", "e"
}
"""
    module = parse_module(source)
    assert print_module(module) == source
    out = run_module(module, [np.arange(6, dtype="float32").reshape(2, 3)])
    np.testing.assert_array_equal(out[0][0], [1.5] * 5)
    np.testing.assert_array_equal(out[1][:, 0], [0.0, 3.0, 3.0])
    with pytest.raises(InterpreterError, match="empty axis"):
        run_module(module, [np.zeros((2, 0), "float32")])
    for bad, message in [
        ('tir.pad %x {mode = "constant", pads = [0, 0, 0, 0]}', "fill value"),
        ('tir.pad %x {mode = "reflect", pads = [2, 0, 0, 0]}', "below its size"),
        ('tir.pad %x {mode = "wrap", pads = [0, 0, 0, 0]}', "mode"),
        ('tir.pad %x {mode = "edge", pads = [0, -1, 0, 0]}', "counts >= 0"),
    ]:
        text = f"""func @main(%x: f32[2, 3]) {{
  %0 = {bad} : f32[2, 3]
  return %0 : "y"
}}
"""
        with pytest.raises(IRError, match=message):
            parse_module(text)
