"""Every emitted model is sound (tests/helpers.py ``assert_model_sound``): the helper itself, the
emitter's dead-code cleanup, and regressions where ONNX Runtime's optimizer met zero-size pieces
(issue 15, items 1, 2, 4 and 6)."""

from __future__ import annotations

import numpy as np
import onnx
import pytensor.tensor as pt
import pytest
from onnx import TensorProto, helper

from ir.diagnostics import UnsupportedOpError
from tests.helpers import (
    assert_matches_pytensor,
    assert_model_sound,
    compile_checked,
    dead_code,
    fgraph_of,
    ort_outputs,
)


def _model(nodes, inputs, outputs, initializers=()) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    return model


def _float_io(name: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


# -- the helper can fail ------------------------------------------------------------------------


def test_sound_model_passes() -> None:
    one = helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])
    model = _model(
        [helper.make_node("Add", ["x", "one"], ["y"])],
        [_float_io("x", [2])],
        [_float_io("y", [2])],
        [one],
    )
    assert set(assert_model_sound(model)) == {"ORT_ENABLE_ALL", "ORT_DISABLE_ALL"}


def test_unused_initializer_is_caught() -> None:
    unused = helper.make_tensor("unused", TensorProto.INT64, [1], [3])
    model = _model(
        [helper.make_node("Neg", ["x"], ["y"])], [_float_io("x", [2])], [_float_io("y", [2])],
        [unused],
    )  # fmt: skip
    with pytest.raises(AssertionError, match="unused initializer 'unused'"):
        assert_model_sound(model)


def test_dead_node_is_caught() -> None:
    model = _model(
        [helper.make_node("Neg", ["x"], ["y"]), helper.make_node("Abs", ["x"], ["dead"])],
        [_float_io("x", [2])],
        [_float_io("y", [2])],
    )
    with pytest.raises(AssertionError, match=r"dead node .*\(Abs\)"):
        assert_model_sound(model)


def test_unused_initializer_in_a_subgraph_is_caught() -> None:
    """An If branch's own initializer that nothing reads; values the branches read from the
    enclosing graph count as used."""
    outer = helper.make_tensor("outer", TensorProto.FLOAT, [], [2.0])
    inner = helper.make_tensor("inner", TensorProto.FLOAT, [], [5.0])
    then_branch = helper.make_graph(
        [helper.make_node("Mul", ["x", "outer"], ["t"])], "then", [], [_float_io("t", [2])],
        [inner],
    )  # fmt: skip
    else_branch = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["e"])], "else", [], [_float_io("e", [2])]
    )
    model = _model(
        [helper.make_node("If", ["c"], ["y"], then_branch=then_branch, else_branch=else_branch)],
        [helper.make_tensor_value_info("c", TensorProto.BOOL, []), _float_io("x", [2])],
        [_float_io("y", [2])],
        [outer],
    )
    assert list(dead_code(model.graph)) == [
        "main graph > .then_branch: unused initializer 'inner' []"
    ]
    with pytest.raises(AssertionError, match="unused initializer 'inner'"):
        assert_model_sound(model)


def test_model_the_optimizer_rejects_is_caught() -> None:
    """Transpose then Pad with an ``axes`` input on a (0, 0) tensor: ONNX Runtime's transpose
    optimizer fails on it at ORT_ENABLE_ALL only (the pattern the integer sum emitted)."""
    tensors = [
        helper.make_tensor("pads", TensorProto.INT64, [2], [1, 0]),
        helper.make_tensor("zero", TensorProto.INT64, [], [0]),
        helper.make_tensor("axes", TensorProto.INT64, [1], [0]),
    ]
    model = _model(
        [
            helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0]),
            helper.make_node("Pad", ["t", "pads", "zero", "axes"], ["y"]),
        ],
        [helper.make_tensor_value_info("x", TensorProto.INT64, [0, 0])],
        [helper.make_tensor_value_info("y", TensorProto.INT64, [1, 0])],
        tensors,
    )
    feeds = {"x": np.zeros((0, 0), np.int64)}
    with pytest.raises(AssertionError, match="fails to run the model at ORT_ENABLE_ALL"):
        assert_model_sound(model, feeds)


# -- issue 15 item 6: no unused initializer in emitted models -----------------------------------


def test_int_power_by_a_constant_leaves_no_exponent_initializer() -> None:
    """The unrolled integer power reads its exponent at compile time: the exponent's
    initializer is not emitted."""
    a = pt.vector("a", dtype="int64")
    report = assert_matches_pytensor(fgraph_of([a], [a**3]), [np.array([-3, 0, 7, 2**21])])
    assert report.ok


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_switch_between_constants_leaves_no_zero_initializer(dtype: str) -> None:
    """A selection whose branches hold no -0.0 needs no -0.0 fix-up, nor its zero (the float32
    scalar 0 left in PyMC-style models by ``switch(cond, logp, -inf)``)."""
    z = pt.vector("z", dtype=dtype)
    out = pt.switch(z > 0, np.asarray(1.5, dtype), np.asarray(-np.inf, dtype))
    assert_matches_pytensor(fgraph_of([z], [out]), [np.array([-1, 0, 2, np.nan], dtype)])


def test_transformed_logp_graph_is_sound() -> None:
    """LogNormal, Beta and Uniform log-densities on log, logit and interval transforms with
    their Jacobians, written in plain PyTensor as PyMC builds them."""
    z = pt.vector("z", dtype="float32")
    mu, sigma = pt.scalar("mu", dtype="float32"), pt.scalar("sigma", dtype="float32")
    x = pt.exp(z)  # log transform
    lognormal = pt.switch(
        pt.gt(sigma, 0),
        -0.5 * ((pt.log(x) - mu) / sigma) ** 2 - pt.log(sigma) - pt.log(x)
        - np.float32(0.5 * np.log(2 * np.pi)),
        -np.inf,
    ) + z  # fmt: skip
    y = pt.sigmoid(z)  # logodds transform
    beta = pt.switch((y >= 0) & (y <= 1), 2.0 * pt.log(y) + 0.5 * pt.log1p(-y), -np.inf)
    beta = beta + pt.log(y) + pt.log1p(-y)
    lo, hi = np.float32(-1), np.float32(3)
    u = lo + (hi - lo) * pt.sigmoid(z)  # interval transform
    uniform = pt.switch((u >= lo) & (u <= hi), -pt.log(hi - lo), -np.inf)
    uniform = uniform + pt.log(hi - lo) + pt.log(pt.sigmoid(z)) + pt.log1p(-pt.sigmoid(z))
    total = lognormal.sum() + beta.sum() + uniform.sum()
    feeds = [np.array([-2.0, 0.0, 0.5, 3.0], np.float32), np.float32(0.3), np.float32(1.7)]
    assert_matches_pytensor(fgraph_of([z, mu, sigma], [total]), feeds, rtol=1e-4)


# -- issue 15 item 2: integer sums over transposed empty inputs ----------------------------------


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float32"])
@pytest.mark.parametrize("static", [True, False])
def test_int_sum_of_transposed_empty_matrix(dtype: str, static: bool) -> None:
    x = pt.matrix("x", dtype=dtype, shape=(0, 0) if static else (None, None))
    out = pt.sum(x.T, axis=0, keepdims=True)
    assert_matches_pytensor(fgraph_of([x], [out]), [np.zeros((0, 0), dtype)])


@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (3, 0), (2, 5)])
def test_int_prod_of_transposed_matrix(shape) -> None:
    """Integer products pad odd lengths with ones: over every axis, never with Pad's axes."""
    x = pt.matrix("x", dtype="int64", shape=shape)
    out = pt.prod(x.T, axis=0, keepdims=True)
    data = np.arange(np.prod(shape), dtype=np.int64).reshape(shape) + 1
    assert_matches_pytensor(fgraph_of([x], [out]), [data])
    y = pt.matrix("y", dtype="int64")
    assert_matches_pytensor(fgraph_of([y], [pt.prod(y.T, axis=(0, 1))]), [data])


# -- issue 15 item 1: statistic pads with widths of 0 --------------------------------------------

STAT_MODES = ("maximum", "minimum", "mean")


@pytest.mark.parametrize("mode", STAT_MODES)
@pytest.mark.parametrize(
    ("dtype", "shape", "widths"),
    [
        ("int64", (4, 2), 0),
        ("float32", (3, 4), [(1, 0), (0, 0)]),
        ("float32", (3, 4), [(0, 2), (1, 0)]),
        ("float64", (2, 3), [(0, 0), (0, 3)]),
        ("int32", (5,), [(0, 1)]),
        ("float32", (2, 1, 3), [(1, 1), (0, 0), (2, 0)]),
    ],
)
def test_statistic_pad_with_zero_widths(mode: str, dtype: str, shape, widths) -> None:
    """Static widths: no empty scatter is left for ONNX Runtime's optimizer (it rejected the
    model at ORT_ENABLE_ALL), and both levels match PyTensor."""
    x = pt.tensor("x", dtype=dtype, shape=shape)
    rng = np.random.default_rng(0)
    data = (rng.standard_normal(shape) * 10).astype(dtype)
    assert_matches_pytensor(fgraph_of([x], [pt.pad(x, widths, mode=mode)]), [data])


@pytest.mark.parametrize("mode", STAT_MODES)
def test_statistic_pad_of_symbolic_shape_with_zero_widths(mode: str) -> None:
    x = pt.matrix("x", dtype="float32")
    out = pt.pad(x, [(1, 0), (0, 0)], mode=mode)
    assert_matches_pytensor(fgraph_of([x], [out]), [np.arange(12, dtype=np.float32).reshape(3, 4)])


# -- issue 15 item 4: extending an empty axis ----------------------------------------------------

NON_CONSTANT_MODES = ("edge", "linear_ramp", "maximum", "minimum", "mean", "wrap", "symmetric",
                      "reflect")  # fmt: skip


@pytest.mark.parametrize("mode", NON_CONSTANT_MODES)
def test_extending_a_static_empty_axis_is_refused(mode: str) -> None:
    x = pt.matrix("x", dtype="float32", shape=(3, 0))
    fgraph = fgraph_of([x], [pt.pad(x, [(0, 0), (1, 2)], mode=mode)])
    with pytest.raises(UnsupportedOpError, match=rf"mode '{mode}' extends axis 1 of static size 0"):
        compile_checked(fgraph)


@pytest.mark.parametrize("mode", NON_CONSTANT_MODES)
def test_extending_a_static_empty_axis_by_symbolic_widths_is_refused(mode: str) -> None:
    x = pt.matrix("x", dtype="float32", shape=(0, 3))
    width = pt.scalar("w", dtype="int64")
    fgraph = fgraph_of([x, width], [pt.pad(x, width, mode=mode)])
    with pytest.raises(UnsupportedOpError, match="by widths known only at run time"):
        compile_checked(fgraph)


def test_constant_pad_extends_a_static_empty_axis() -> None:
    x = pt.matrix("x", dtype="float32", shape=(0, 3))
    out = pt.pad(x, [(1, 2), (0, 1)], mode="constant", constant_values=7)
    assert_matches_pytensor(fgraph_of([x], [out]), [np.zeros((0, 3), np.float32)])


@pytest.mark.parametrize("mode", ["maximum", "minimum", "mean", "edge", "reflect", "wrap"])
def test_padding_beside_a_static_empty_axis_compiles(mode: str) -> None:
    """Only extending the empty axis is undefined: padding another axis of an empty array
    gives an empty array (numpy's answer; PyTensor's own graph fails on it, so numpy is the
    reference here)."""
    x = pt.matrix("x", dtype="float32", shape=(0, 3))
    result = compile_checked(fgraph_of([x], [pt.pad(x, [(0, 0), (1, 1)], mode=mode)]))
    data = np.zeros((0, 3), np.float32)
    want = np.pad(data, [(0, 0), (1, 1)], mode=mode)
    for level, (got,) in ort_outputs(result, [data]).items():
        assert got.shape == want.shape == (0, 5), level


@pytest.mark.parametrize("mode", ["edge", "wrap", "symmetric", "reflect"])
def test_extending_an_axis_empty_at_run_time_fails_in_these_modes(mode: str) -> None:
    """README: these modes read elements of the axis; ONNX Runtime raises at run time."""
    x = pt.matrix("x", dtype="float32")
    result = compile_checked(fgraph_of([x], [pt.pad(x, [(1, 1), (0, 0)], mode=mode)]))
    with pytest.raises(AssertionError, match="fails to run the model"):
        ort_outputs(result, [np.zeros((0, 2), np.float32)])


@pytest.mark.parametrize(
    ("mode", "fill"),
    [("maximum", -np.inf), ("minimum", np.inf), ("mean", np.nan), ("linear_ramp", 0.0)],
)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8"])
def test_extending_an_axis_empty_at_run_time_fills_in_these_modes(mode, fill, dtype) -> None:
    """README: the statistic of no elements (max -inf, min +inf, mean NaN) or, for
    linear_ramp, a ramp from 0 to the end value; the padded result is floating point."""
    x = pt.matrix("x", dtype=dtype)
    out = pt.pad(x, [(1, 2), (0, 0)], mode=mode)
    result = compile_checked(fgraph_of([x], [out]))
    for level, (got,) in ort_outputs(result, [np.zeros((0, 2), dtype)]).items():
        assert got.dtype == out.dtype and got.dtype.kind == "f", level
        np.testing.assert_array_equal(got, np.full((3, 2), fill, got.dtype), err_msg=level)
