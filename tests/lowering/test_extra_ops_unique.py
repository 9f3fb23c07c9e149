"""Unique (every return_index / return_inverse / return_counts combination, axis=None and an
axis) and SearchsortedOp (left / right, with and without sorter): ONNX Runtime at both
optimization levels and the IR interpreter against PyTensor (FAST_COMPILE), on duplicates, NaN,
signed zeros, empty and one-element inputs, and hypothesis-drawn shapes, dtypes and values."""

from __future__ import annotations

import functools
import itertools
import warnings

import numpy as np
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.tensor import extra_ops as eo

from compiler import Compiler
from compiler.errors import UnsupportedOpError
from compiler.frontend.graphs import AssertDroppedWarning
from compiler.frontend.unique import UNROLLED_COLUMNS
from ir import ops
from tests.helpers import fgraph_of
from tests.lowering.test_extra_ops import Model
from tests.lowering.util import array

FLAGS = list(itertools.product([False, True], repeat=3))


def _outputs(out) -> list:
    return list(out) if isinstance(out, list | tuple) else [out]


# -- unique ---------------------------------------------------------------------------------------


@functools.cache
def _unique_model(
    dtype: str, shape: int | tuple, flags: tuple[bool, ...], axis: int | None
) -> Model:
    """Unique of an input of ``shape`` (None: a run-time dim; an int: a rank of run-time dims);
    over an axis the other dims must be static."""
    shape = (None,) * shape if isinstance(shape, int) else shape
    x = pt.tensor("x", dtype=dtype, shape=shape)
    return Model([x], _outputs(eo.unique(x, *flags, axis=axis)))


@pytest.mark.parametrize("flags", FLAGS)
def test_unique_flat_with_nan_duplicates_and_signed_zeros(flags):
    model = _unique_model("float64", 2, flags, None)
    nan = np.nan
    for x in ([[nan, 1, nan], [0.0, -0.0, 1]], [[-0.0, 0.0, 3]], [[nan, nan]], [[2.0]],
              np.zeros((0, 3)), [[np.inf, -np.inf, nan, np.inf, -1]]):  # fmt: skip
        model.check(np.asarray(x, "float64"))


@pytest.mark.parametrize("flags", FLAGS)
def test_unique_over_an_axis(flags):
    """Rows with NaN stay apart (numpy compares rows elementwise); equal rows, -0.0 and 0.0
    included, merge; the other axis's slices for axis 1."""
    nan = np.nan
    x = np.array([[1, nan, 2], [1, nan, 2], [0, 2, 2], [-0.0, 2, 2], [0, 2, 2]])
    rows = _unique_model("float64", (None, 3), flags, 0)
    rows.check(x)
    rows.check(np.zeros((0, 3)))
    rows.check(x[:1])
    columns = _unique_model("float64", (3, None), flags, 1)
    columns.check(x.T.copy())
    columns.check(np.zeros((3, 0)))


def test_unique_of_a_vector_over_axis_0_merges_nan_as_flat():
    """numpy's axis=0 of a vector is the flat path: one NaN is kept."""
    model = _unique_model("float32", 1, (True, True, True), 0)
    model.check(np.array([np.nan, 2, np.nan, 2, -1], "float32"))


def test_unique_over_an_axis_of_a_cube_and_empty_rows():
    model = _unique_model("int8", (2, None, 2), (True, True, True), 1)
    rng = np.random.default_rng(1)
    model.check(rng.integers(0, 2, (2, 6, 2)).astype("int8"))
    model.check(np.zeros((2, 0, 2), "int8"))
    empty_rows = _unique_model("int32", (None, 0), (True, True, True), 0)
    empty_rows.check(np.zeros((3, 0), "int32"))
    empty_rows.check(np.zeros((0, 0), "int32"))


def test_unique_of_a_scalar():
    _unique_model("int64", 0, (True, True, True), None).check(np.array(-(2**63)))


@settings(max_examples=40)
@given(st.data(), st.sampled_from(["bool", "int8", "uint16", "int64", "uint64", "float16",
                                   "float32"]), st.sampled_from(FLAGS))  # fmt: skip
def test_unique_properties_flat(data, dtype, flags):
    shape = data.draw(st.lists(st.integers(0, 4), max_size=3).map(tuple), label="shape")
    # Few distinct values, so that duplicates are common.
    pool = data.draw(array(dtype, (3,)), label="pool")
    picks = data.draw(array("int8", shape, min_value=0, max_value=2), label="picks")
    _unique_model(dtype, len(shape), flags, None).check(pool[picks.astype(np.intp)])


@settings(max_examples=25)
@given(st.data(), st.sampled_from(["int16", "float64", "bool"]), st.sampled_from(FLAGS))
def test_unique_properties_axis(data, dtype, flags):
    shape = data.draw(st.tuples(st.integers(0, 5), st.integers(0, 3)), label="shape")
    axis = data.draw(st.integers(0, 1), label="axis")
    pool = data.draw(array(dtype, (2,)), label="pool")
    picks = data.draw(array("int8", shape, min_value=0, max_value=1), label="picks")
    # A static other axis sorts by unrolled passes (a model per length), a run-time one in a loop.
    spec = (None, shape[1]) if axis == 0 else (shape[0], None)
    if data.draw(st.booleans(), label="run-time row length"):
        spec = 2
    _unique_model(dtype, spec, flags, axis).check(pool[picks.astype(np.intp)])


@pytest.mark.parametrize("flags", [(False, False, False), (True, True, True)])
def test_unique_rows_of_run_time_or_long_length_sort_in_a_loop(flags):
    """Rows of run-time length, or longer than UNROLLED_COLUMNS, are sorted by a tir.loop of
    one stable pass per column."""
    x = np.array([[3, 1, 2, 1], [3, 1, 2, 0], [3, 1, 2, 1], [0, 9, 9, 9]], "int64")
    symbolic = _unique_model("int64", 2, flags, 0)
    assert any(isinstance(op, ops.Loop) for op in symbolic.result.module.func.ops)
    symbolic.check(x)
    symbolic.check(x.T.copy())
    symbolic.check(np.zeros((0, 3), "int64"))
    symbolic.check(np.zeros((3, 0), "int64"))
    symbolic.check(np.zeros((0, 0), "int64"))
    _unique_model("float32", 3, flags, 2).check(np.array([[[1, np.nan], [1, 0]]], "float32"))
    columns = UNROLLED_COLUMNS + 1
    long = _unique_model("int8", (None, columns), flags, 0)
    assert any(isinstance(op, ops.Loop) for op in long.result.module.func.ops)
    rng = np.random.default_rng(2)
    long.check(rng.integers(0, 2, (9, columns)).astype("int8"))


# -- searchsorted ---------------------------------------------------------------------------------


@functools.cache
def _search_model(x_dtype: str, v_dtype: str, v_rank: int, side: str, sorter: bool) -> Model:
    x = pt.tensor("x", dtype=x_dtype, shape=(None,))
    v = pt.tensor("v", dtype=v_dtype, shape=(None,) * v_rank)
    if not sorter:
        return Model([x, v], [eo.searchsorted(x, v, side=side)])
    order = pt.lvector("order")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssertDroppedWarning)
        return Model([x, v, order], [eo.searchsorted(x, v, side=side, sorter=order)])


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_nan_inf_and_ties(side):
    model = _search_model("float64", "float64", 1, side, False)
    x = np.array([-np.inf, -1.0, 0.0, 0.0, 2.0, np.inf, np.nan, np.nan])
    v = np.array([np.nan, -np.inf, np.inf, -0.0, 0.0, 2.0, 1.5, -7.0, 9.0])
    model.check(x, v)
    model.check(x[:0], v)
    model.check(x, v[:0])
    model.check(np.array([np.nan]), v)
    model.check(np.array([3.0]), v)


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_with_sorter(side):
    model = _search_model("int32", "int32", 2, side, True)
    x = np.array([5, 1, 3, 3, -2], "int32")
    v = np.array([[3, 0], [7, -2], [5, 4]], "int32")
    model.check(x, v, np.argsort(x, kind="stable"))
    model.check(x[:1], v, np.array([0]))


def test_searchsorted_sorter_check_follows_assert_policy():
    x, v, order = pt.dvector("x"), pt.dvector("v"), pt.lvector("order")
    out = eo.searchsorted(x, v, sorter=order)
    with pytest.warns(AssertDroppedWarning, match="permutation"):
        Compiler().compile(fgraph_of([x, v, order], [out]))
    with pytest.raises(UnsupportedOpError, match="assert_policy='refuse'"):
        Compiler(assert_policy="refuse").compile(fgraph_of([x, v, order], [out]))


@pytest.mark.parametrize(
    ("x_dtype", "v_dtype"),
    [
        ("int64", "float64"),
        ("uint64", "int64"),
        ("int8", "int16"),
        ("float32", "int32"),
        ("bool", "bool"),
        ("uint8", "float16"),
    ],
)
def test_searchsorted_compares_in_the_promoted_dtype(x_dtype, v_dtype):
    x = np.sort(np.array([0, 1, 1, 3, 100], x_dtype), kind="stable")
    v = np.array([0, 1, 2, 3, 120, 1], v_dtype)
    for side in ("left", "right"):
        _search_model(x_dtype, v_dtype, 1, side, False).check(x, v)
    big = np.array([0, 2**63, 2**64 - 1], "uint64")
    _search_model("uint64", "int64", 1, "left", False).check(big, np.array([-1, 2**62, 0]))


@settings(max_examples=40)
@given(st.data(), st.sampled_from(["int8", "uint32", "int64", "float16", "float64"]),
       st.sampled_from(["left", "right"]), st.booleans())  # fmt: skip
def test_searchsorted_properties(data, dtype, side, sorter):
    n = data.draw(st.integers(0, 6), label="n")
    pool = data.draw(array(dtype, (4,)), label="pool")
    x = pool[data.draw(array("int8", (n,), min_value=0, max_value=3), label="picks").astype(int)]
    v_shape = data.draw(st.lists(st.integers(0, 3), max_size=2).map(tuple), label="v shape")
    v = pool[data.draw(array("int8", v_shape, min_value=0, max_value=3)).astype(int)]
    if v_shape and data.draw(st.booleans(), label="fresh v"):
        v = data.draw(array(dtype, v_shape), label="v")
    model = _search_model(dtype, dtype, len(v_shape), side, sorter)
    if sorter:
        model.check(x, v, np.argsort(x, kind="stable"))
    else:
        model.check(np.sort(x, kind="stable"), v)
