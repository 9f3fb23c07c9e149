"""CAReduce of the scalar ops numpy folds left to right (sub, true_div, int_div: not
reorderable, one axis at most) end to end: ONNX Runtime and the IR interpreter against
PyTensor, which computes ``ufunc.reduce`` in its accumulator dtype."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.scalar import basic as ps
from pytensor.tensor.elemwise import CAReduce

from compiler.frontend.reductions import FOLD_LIMIT
from tests.helpers import assert_matches_pytensor, fgraph_of
from tests.lowering.test_reductions import refused
from tests.lowering.util import assert_signed_zeros_match

SCALAR_OPS = {"sub": ps.sub, "true_div": ps.true_div, "int_div": ps.int_div}


def fold(x, name: str, axis):
    return CAReduce(SCALAR_OPS[name], axis=axis)(x)


def values(shape, dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype.startswith("float"):
        return (rng.standard_normal(shape) * 4).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("name", sorted(SCALAR_OPS))
def test_float_folds_over_static_axes(dtype, name):
    x = pt.tensor("x", dtype=dtype, shape=(3, 4, 5))
    outs = [fold(x, name, axis) for axis in ((0,), (1,), (-1,), ())]
    assert_matches_pytensor(fgraph_of([x], outs), [values((3, 4, 5), dtype)])


@pytest.mark.parametrize("dtype", ["int8", "int64", "uint8", "uint64", "int16"])
@pytest.mark.parametrize("name", ["sub", "int_div"])
def test_integer_folds_wrap_and_divide_by_zero_as_numpy(dtype, name):
    """Integers accumulate in 64 bits and wrap back; x // 0 is 0."""
    x = pt.tensor("x", dtype=dtype, shape=(None if name == "sub" else 4, 6))
    outs = [fold(x, name, (0,)), fold(x, name, (1,))]
    feeds = values((4, 6), dtype)
    feeds[0, :2] = 0
    feeds[1, 3] = 0
    assert_matches_pytensor(fgraph_of([x], outs), [feeds])
    if name == "sub":  # a run-time axis of one element
        assert_matches_pytensor(fgraph_of([x], outs), [feeds[:1]])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_sub_over_a_run_time_axis(dtype):
    x = pt.tensor("x", dtype=dtype, shape=(None, None))
    outs = [fold(x, "sub", (0,)), fold(x, "sub", (1,)), fold(x[0], "sub", None)]
    feeds = values((5, 7), dtype)
    assert_matches_pytensor(fgraph_of([x], outs), [feeds])
    assert_matches_pytensor(fgraph_of([x], outs), [feeds[:1, :1]])


def test_float_sub_keeps_numpy_signed_zeros_and_special_values():
    x = pt.tensor("x", dtype="float64", shape=(None, 3))
    feeds = np.array(
        [
            [-0.0, 0.0, 0.0],
            [-0.0, -0.0, 0.0],
            [0.0, -0.0, -0.0],
            [np.inf, np.inf, 1.0],
            [np.inf, -np.inf, 1.0],
            [1.0, np.inf, -np.inf],
            [np.nan, 1.0, 2.0],
            [1.0, 0.0, 0.0],
        ]
    )
    outs = [fold(x, name, (1,)) for name in SCALAR_OPS]
    assert_matches_pytensor(fgraph_of([x], outs), [feeds])
    assert_signed_zeros_match(fgraph_of([x], outs), [feeds])


def test_refusals_name_the_reason():
    x = pt.tensor("x", dtype="float32", shape=(3, 4))
    text = refused([x], [fold(x, "sub", None)])
    assert "over several axes: numpy's ufunc is not reorderable" in text
    e = pt.tensor("e", dtype="float32", shape=(0, 4))
    assert "over an empty axis: it has no identity" in refused([e], [fold(e, "int_div", (0,))])
    i = pt.tensor("i", dtype="int32", shape=(4,))
    assert "true division reduction to an integer" in refused([i], [fold(i, "true_div", (0,))])
    s = pt.tensor("s", dtype="float32", shape=(None,))
    assert f"a static axis of at most {FOLD_LIMIT}" in refused([s], [fold(s, "true_div", (0,))])


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(sorted(SCALAR_OPS)),
    dtype=st.sampled_from(["float32", "float64", "int8", "uint32", "int64"]),
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    data=st.data(),
)
def test_fold_property(name, dtype, shape, data):
    if name == "true_div" and not dtype.startswith("float"):
        dtype = "float32"
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = pt.tensor("x", dtype=dtype, shape=tuple(shape))
    feeds = values(tuple(shape), dtype, seed=data.draw(st.integers(0, 1000)))
    assert_matches_pytensor(fgraph_of([x], [fold(x, name, (axis,))]), [feeds])
