"""Bitwise reductions (a CAReduce of the scalar ops and, or, xor over integers and bool) end to
end: ONNX Runtime and the IR interpreter against PyTensor, over static and run-time axis
lengths, several axes, ``axis=None``, keepdims and empty axes (the identity: every bit set for
and, 0 for or and xor)."""

from __future__ import annotations

import math

import numpy as np
import onnxruntime as ort
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pytensor.scalar import basic as ps
from pytensor.tensor.elemwise import CAReduce

from compiler.frontend import import_fgraph
from ir.printer import print_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of
from tests.lowering.test_reductions import refused

INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
DTYPES = (*INTS, "bool")
SCALAR_OPS = {"and": ps.and_, "or": ps.or_, "xor": ps.xor}
AXES = (None, (0,), (2,), (1, 2), (2, 0), ())


def reduce(x, name: str, axis, *, keepdims: bool = False, **kwargs):
    """``CAReduce(scalar op)`` over ``axis``, the reduced axes kept as size 1 if ``keepdims``
    (PyTensor's own keepdims graph: a DimShuffle after the reduction)."""
    out = CAReduce(SCALAR_OPS[name], axis=axis, **kwargs)(x)
    if not keepdims:
        return out
    axes = range(x.ndim) if axis is None else sorted(a % x.ndim for a in axis)
    return pt.expand_dims(out, tuple(axes))


def values(shape, dtype: str, seed: int = 0) -> np.ndarray:
    """Integers over the dtype's whole range (its extremes included), or random bools."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.7
    info = np.iinfo(dtype)
    out = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    flat = out.reshape(-1)
    flat[: min(2, flat.size)] = [info.min, info.max][: min(2, flat.size)]
    return out


def every_reduction(x) -> list:
    return [
        reduce(x, name, axis, keepdims=keep)
        for name in SCALAR_OPS
        for axis in AXES
        for keep in (False, True)
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_bitwise_reductions_over_static_axes(dtype):
    x = pt.tensor("x", dtype=dtype, shape=(3, 5, 7))
    assert_matches_pytensor(fgraph_of([x], every_reduction(x)), [values((3, 5, 7), dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_bitwise_reductions_over_run_time_axes(dtype):
    x = pt.tensor("x", dtype=dtype, shape=(None, None, None))
    fgraph = fgraph_of([x], every_reduction(x))
    feeds = values((3, 5, 7), dtype, seed=1)
    for feed in (feeds, feeds[:1, :1, :1], feeds[:, :0], feeds[:0, :0, :0]):
        assert_matches_pytensor(fgraph, [feed])


@pytest.mark.parametrize("dtype", ("int8", "uint64", "uint16", "bool"))
def test_empty_axes_give_the_identity(dtype):
    """And of nothing: every bit set; or and xor of nothing: 0 (static empty axes)."""
    x = pt.tensor("x", dtype=dtype, shape=(2, 0, 3))
    outs = every_reduction(x)
    feeds = np.zeros((2, 0, 3), dtype)
    assert_matches_pytensor(fgraph_of([x], outs), [feeds])
    everything = pytensor.function([x], reduce(x, "and", None), mode="FAST_COMPILE")(feeds)
    assert everything == (
        True if dtype == "bool" else np.iinfo(dtype).max if dtype[0] == "u" else -1
    )


def test_mixed_static_and_run_time_axes():
    x = pt.tensor("x", dtype="int32", shape=(4, None, 6))
    outs = [reduce(x, name, axis) for name in SCALAR_OPS for axis in ((0, 1), (1,), (0, 2), None)]
    feeds = values((4, 5, 6), "int32", seed=2)
    assert_matches_pytensor(
        fgraph_of([x], outs),
        [feeds],
    )
    assert_matches_pytensor(fgraph_of([x], outs), [feeds[:, :0]])


def test_wider_output_dtype_reduces_in_the_accumulator():
    """An and of nothing in uint64 is 2**64 - 1, not uint8's 255 widened: with an output
    dtype other than the input's, the reduction runs in PyTensor's accumulator."""
    x = pt.tensor("x", dtype="uint8", shape=(None, None))
    i = pt.tensor("i", dtype="int8", shape=(None, None))
    outs = [
        reduce(x, "and", (1,), dtype="uint64"),
        reduce(x, "or", None, dtype="int16"),
        reduce(i, "and", (0,), dtype="int64"),
        reduce(i, "xor", (1,), dtype="uint32"),
    ]
    fgraph = fgraph_of([x, i], outs)
    for rows, cols in ((3, 4), (2, 0), (0, 3)):
        assert_matches_pytensor(
            fgraph, [values((rows, cols), "uint8"), values((rows, cols), "int8")]
        )


def test_bool_xor_is_the_parity_and_bool_and_or_are_all_any():
    x = pt.tensor("x", dtype="bool", shape=(None, 4))
    outs = [reduce(x, name, axis) for name in SCALAR_OPS for axis in ((0,), (1,), None)]
    feeds = np.array([[True, True, False, True], [True, False, False, True], [True] * 4])
    assert_matches_pytensor(fgraph_of([x], outs), [feeds])
    text = print_module(import_fgraph(fgraph_of([x], outs)))
    assert "tir.reduce_all" in text and "tir.reduce_any" in text
    assert "tir.reduce_bitwise_xor %x {axes = [0], keepdims = false} : bool[4]" in text


def test_import_reduces_in_the_input_dtype():
    """PyTensor accumulates int8 in int64 and casts back: the bits are the same, so the IR
    reduces the int8 itself."""
    x = pt.tensor("x", dtype="int8", shape=(2, 3))
    text = print_module(import_fgraph(fgraph_of([x], [reduce(x, "and", (1,))])))
    assert "tir.reduce_bitwise_and %x {axes = [1], keepdims = false} : i8[2]" in text
    assert "tir.cast" not in text


def test_static_axes_fold_in_log_depth():
    """One Split and one Bitwise op per halving: 10 levels for 1000 elements."""
    x = pt.tensor("x", dtype="int64", shape=(1000,))
    model = compile_checked(fgraph_of([x], [reduce(x, "xor", None)])).to_onnx()
    kinds = [n.op_type for n in model.graph.node]
    levels = math.ceil(math.log2(1000))
    assert kinds.count("Split") == kinds.count("BitwiseXor") == levels
    assert len(kinds) <= 2 * levels + 2
    assert_matches_pytensor(fgraph_of([x], [reduce(x, "xor", None)]), [values((1000,), "int64")])


def test_run_time_axes_take_a_fixed_number_of_nodes():
    x = pt.tensor("x", dtype="int64", shape=(None, None, None))
    model = compile_checked(fgraph_of([x], [reduce(x, "and", None)])).to_onnx()
    assert len(model.graph.node) <= 24


@pytest.mark.parametrize("level", ["ORT_DISABLE_ALL", "ORT_ENABLE_ALL"])
def test_empty_pieces_at_both_optimization_levels(level):
    """ONNX Runtime's graph optimizer must not trip over the zero-size Pads and Splits."""
    x = pt.tensor("x", dtype="uint64", shape=(None, 0, None))
    s = pt.tensor("s", dtype="int16", shape=(0, 2))
    outs = [reduce(x, name, axis) for name in SCALAR_OPS for axis in ((1,), (0, 1), None)]
    outs += [reduce(s, name, (0,), keepdims=True) for name in SCALAR_OPS]
    fgraph = fgraph_of([x, s], outs)
    feeds = [np.zeros((2, 0, 3), "uint64"), np.zeros((0, 2), "int16")]
    want = pytensor.function([x, s], outs, mode="FAST_COMPILE")(*feeds)
    options = ort.SessionOptions()
    options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
    session = ort.InferenceSession(
        compile_checked(fgraph).to_onnx().SerializeToString(),
        options,
        providers=["CPUExecutionProvider"],
    )
    got = session.run(None, dict(zip([i.name for i in session.get_inputs()], feeds, strict=True)))
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def test_bitwise_reduction_accumulated_in_floats_is_refused():
    x = pt.tensor("x", dtype="int8", shape=(None,))
    text = refused([x], [CAReduce(ps.and_, axis=None, acc_dtype="float64")(x)])
    assert "bitwise AND reduction of int8 accumulated in float64" in text
    assert "numpy has no bitwise op on floats" in text


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    dtype=st.sampled_from(DTYPES),
    name=st.sampled_from(sorted(SCALAR_OPS)),
    keepdims=st.booleans(),
)
def test_bitwise_reductions_property(data, dtype, name, keepdims):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))
    static = data.draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    x = pt.tensor(
        "x", dtype=dtype, shape=tuple(d if s else None for d, s in zip(shape, static, strict=True))
    )
    axis = data.draw(
        st.none() | st.lists(st.sampled_from(range(len(shape))), unique=True).map(tuple)
        if shape
        else st.none()
    )
    feeds = values(shape, dtype, seed=data.draw(st.integers(0, 2**16)))
    assert_matches_pytensor(fgraph_of([x], [reduce(x, name, axis, keepdims=keepdims)]), [feeds])
