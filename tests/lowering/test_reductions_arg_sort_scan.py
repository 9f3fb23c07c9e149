"""Argmax/Argmin, running sums and products (CumOp) and sorting (SortOp, ArgSortOp) end to end,
checked against PyTensor and the IR interpreter."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from lowering.reduction import UNROLL_LIMIT
from tests.lowering.test_reductions import (
    C_LINKER,
    check,
    check_fast_run,
    data,
    ir_text,
    refused,
    tensor,
)

# -- Argmax, Argmin --------------------------------------------------------------------------------

ARG_AXES = [0, 1, 2, -1, (0, 2), (2, 1), (0, 1, 2), None]


@pytest.mark.parametrize(
    "dtype", ["float32", "float64", "float16", "int8", "uint16", "int64", "uint64", "bool"]
)
def test_argmax_and_argmin_over_every_axis_choice(dtype):
    x = tensor("x", dtype, (None, None, None))
    outs = []
    for axis in ARG_AXES:
        keep = axis in (1, (0, 2), None)
        outs += [pt.argmax(x, axis=axis, keepdims=keep), pt.argmin(x, axis=axis)]
    # Few distinct values: many ties, where the first index must win.
    check([x], outs, [data((2, 3, 4), dtype, -2, 2)], [data((3, 1, 2), dtype, -2, 2)])


def test_argmax_of_several_axes_merges_them_in_c_order():
    """PyTensor's Argmax over (0, 2) moves those axes last and flattens them in C order."""
    x = tensor("x", "float32", (None, 3, None))
    feeds = data((2, 3, 4), "float32")
    out = pt.argmax(x, axis=(2, 0))
    check([x], [out], [feeds], [data((5, 3, 1), "float32")])
    want = np.argmax(feeds.transpose(1, 0, 2).reshape(3, -1), axis=-1)
    np.testing.assert_array_equal(pytensor.function([x], out, mode="FAST_COMPILE")(feeds), want)


def test_import_argmax_of_every_axis_flattens_statically():
    x = tensor("x", "float32", (2, 3))
    text = ir_text([x], [pt.argmax(x), pt.argmin(x, axis=0)])
    assert "%0 = tir.neg %x : f32[2, 3]" in text  # argmin is argmax(-x)
    assert "%argmax = tir.argmax %0 {axis = 0, keepdims = false} : i64[3]" in text
    assert "%1 = tir.constant dense<6> : i64[1]" in text
    assert "%2 = tir.reshape %x, %1 : f32[6]" in text
    assert "%argmax_1 = tir.argmax %2 {axis = 0, keepdims = false} : i64[]" in text


def test_argmax_with_nan_and_infinities():
    x = tensor("x", "float32", (None, None))
    feeds = np.array(
        [
            [1.0, np.nan, 3.0, np.nan],
            [-np.inf, -np.inf, -np.inf, -np.inf],
            [np.inf, 2.0, np.inf, np.nan],
            [-0.0, 0.0, -0.0, 0.0],
        ],
        "float32",
    )
    outs = [
        pt.argmax(x, axis=1),
        pt.argmin(x, axis=1),
        pt.argmax(x, axis=0),
        pt.argmin(x),
        pt.argmax(x),
    ]
    check([x], outs, [feeds])


def test_argmax_of_0d_and_size_1_and_empty_axis_tuple():
    s = tensor("s", "float32", ())
    x = tensor("x", "int8", (1, None))
    outs = [
        pt.argmax(s),
        pt.argmin(s),
        pt.argmax(x, axis=0),
        pt.argmax(x, axis=()),
        pt.argmin(x, keepdims=True),
    ]
    check([s, x], outs, [np.array(2.5, "float32"), data((1, 4), "int8")])


def test_argmax_of_uint64_and_int64_above_2_53():
    x = tensor("x", "uint64", (None,))
    y = tensor("y", "int64", (None,))
    feeds = [
        np.array([2**63 - 1, 2**64 - 1, 2**63, 2**64 - 2], "uint64"),
        np.array([2**62 + 1, 2**62 + 3, -(2**63), 2**62 + 2], "int64"),
    ]
    check([x, y], [pt.argmax(x), pt.argmin(x), pt.argmax(y), pt.argmin(y)], feeds)


def test_max_and_argmax_together():
    x = tensor("x", "float64", (None, None))
    outs = [*pt.max_and_argmax(x, axis=1), *pt.max_and_argmax(x, axis=None, keepdims=True)]
    check([x], outs, [data((3, 4), "float64")])
    check_fast_run([x], outs, [data((3, 4), "float64")])


def test_argmax_symbolic_dims_run_at_two_sizes():
    x = tensor("x", "float32", (None, None, None))
    outs = [pt.argmax(x), pt.argmax(x, axis=(0, 2)), pt.argmin(x, axis=1, keepdims=True)]
    check([x], outs, [data((2, 3, 4), "float32")], [data((1, 5, 2), "float32")])


def test_argmin_after_fast_run_rewrites():
    x = tensor("x", "float32", (None, None))
    i = tensor("i", "int8", (None,))
    check_fast_run(
        [x, i],
        [pt.argmin(x, axis=1), pt.argmin(i), pt.argmax(-x, axis=0)],
        [data((3, 4), "float32"), data((5,), "int8")],
    )


# -- Cumsum, Cumprod ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint64"])
def test_cumsum_and_cumprod(dtype):
    x = tensor("x", dtype, (None, 4, 3))
    outs = [
        pt.cumsum(x, axis=0),
        pt.cumsum(x, axis=-1),
        pt.cumsum(x),
        pt.cumprod(x, axis=1),
        pt.cumprod(x, axis=2),
    ]
    check([x], outs, [data((2, 4, 3), dtype, -5, 5)], [data((0, 4, 3), dtype)])


def test_cumsum_and_cumprod_are_exact_for_large_int64():
    x = tensor("x", "int64", (None, 4))
    feeds = np.array(
        [
            [2**62, 2**62, 2**62, -5],
            [2**53 + 1, 2**53 + 1, 1, 3],
            [2**32 + 1, 2**32 + 3, 2**32 + 5, 7],
        ],
        "int64",
    )
    check([x], [pt.cumsum(x, axis=1), pt.cumprod(x, axis=1), pt.cumsum(x, axis=0)], [feeds])


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "bool"])
def test_narrow_cumsum_and_cumprod_wrap_in_their_dtype(dtype):
    """PyTensor's Python implementation returns numpy's int64 for these (ignoring the declared
    output dtype); its C implementation, the output type and the model agree: int8 wraps,
    bool is a running or/and. The reference is PyTensor's C backend."""
    x = tensor("x", dtype, (None, 5))
    feeds = data((3, 5), dtype, -128, 255)
    outs = [pt.cumsum(x, axis=1), pt.cumprod(x, axis=1), pt.cumsum(x, axis=0)]
    check([x], outs, [feeds], [feeds[:0]], mode=C_LINKER)
    python_impl = pytensor.function([x], outs[0], mode="FAST_COMPILE")(feeds)
    assert python_impl.dtype != dtype  # PyTensor's bug: remove this when PyTensor fixes it


def test_float16_cumsum_rounds_after_every_addition():
    """numpy: 2048 + 1 is 2048 in float16, every time; ORT's float16 CumSum, accumulating in
    float32, ends at 2048 + 63 (beyond float16's tolerance)."""
    x = tensor("x", "float16", (2, 64))
    feeds = np.ones((2, 64), "float16")
    feeds[0, 0] = 2048
    feeds[1, :4] = [0.1, 0.2, 0.3, 1000]
    check([x], [pt.cumsum(x, axis=1), pt.cumprod(x, axis=1), pt.cumsum(x, axis=0)], [feeds])


def test_float_cumprod_keeps_numpy_order():
    x = tensor("x", "float32", (3, 7))
    feeds = (data((3, 7), "float32") * 3).astype("float32")
    check([x], [pt.cumprod(x, axis=1), pt.cumprod(x, axis=0)], [feeds], rtol=0, atol=0)


def test_cumsum_symbolic_dims_run_at_two_sizes():
    x = tensor("x", "float32", (None, None))
    i = tensor("i", "int8", (None, 3))
    outs = [pt.cumsum(x, axis=1), pt.cumsum(x), pt.cumsum(i, axis=0), pt.cumprod(i, axis=1)]
    check(
        [x, i],
        outs,
        [data((3, 4), "float32"), data((2, 3), "int8", -3, 3)],
        [data((1, 6), "float32"), data((5, 3), "int8", -3, 3)],
        mode=C_LINKER,
    )


def test_cumprod_needs_a_static_bounded_axis():
    # (A symbolic axis is a loop, built by the frontend: tests/lowering/test_scan_cumprod.py.)
    n = tensor("n", "int32", (UNROLL_LIMIT + 1,))
    assert f"more than the {UNROLL_LIMIT} unrolled here" in refused([n], [pt.cumprod(n)])
    h = tensor("h", "float16", (None,))
    assert "float16 CumSum rounds differently" in refused([h], [pt.cumsum(h)])


def test_cumprod_of_bool_on_a_symbolic_axis():
    x = tensor("x", "bool", (None, None))
    feeds = np.array([[True, True, False, True], [True, True, True, True]])
    check([x], [pt.cumprod(x, axis=1)], [feeds], [feeds[:, :0]], mode=C_LINKER)


# -- Sort, Argsort ---------------------------------------------------------------------------------


def test_numpy_quicksort_argsort_is_not_stable():
    """Even short arrays come out of numpy's quicksort unstably (which is why unstable kinds
    compile as stable: see test_argsort_kinds.py)."""
    ties = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0], "float32")
    x = tensor("x", "float32", (None,))
    quick = pytensor.function([x], pt.argsort(x), mode="FAST_COMPILE")(ties)
    assert not np.array_equal(quick, np.argsort(ties, kind="stable"))


@pytest.mark.parametrize(
    "dtype",
    ["float32", "float64", "float16", "int8", "int64", "uint16", "uint32", "uint64", "bool"],
)
def test_sort_and_stable_argsort(dtype):
    x = tensor("x", dtype, (None, None))
    outs = [
        pt.sort(x, axis=0),
        pt.sort(x, axis=1),
        pt.sort(x, axis=None),
        pt.sort(x, axis=1, kind="mergesort"),
        pt.argsort(x, axis=0, stable=True),
        pt.argsort(x, axis=-1, kind="stable"),
        pt.argsort(x, axis=None, stable=True),
    ]
    feeds = data((4, 6), dtype, -3, 3)  # many ties
    check([x], outs, [feeds], [feeds[:, :0]], [feeds[:1]])


def test_sort_and_argsort_place_nan_last():
    """ORT's TopK puts NaN anywhere (comparisons with NaN are false); numpy puts them last."""
    x = tensor("x", "float32", (None, None))
    feeds = np.array(
        [
            [np.nan, 1.0, -np.nan, 0.0, -0.0, np.inf, -np.inf, 0.0, np.nan],
            [np.inf, np.nan, np.inf, 2.0, np.nan, -1.0, np.inf, np.nan, -np.inf],
        ],
        "float32",
    )
    outs = [
        pt.sort(x, axis=1),
        pt.argsort(x, axis=1, stable=True),
        pt.sort(x, axis=0),
        pt.argsort(x, axis=0, stable=True),
    ]
    check([x], outs, [feeds])


def test_stable_sort_keeps_signed_zeros_in_index_order():
    x = tensor("x", "float64", (None,))
    feeds = np.array([0.0, -0.0, 1.0, -0.0, 0.0, -1.0])
    result = check([x], [pt.sort(x, stable=True)], [feeds])
    got = result.run(feeds)[0]
    want = np.sort(feeds, kind="stable")
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_descending_sorts_as_pytensor_builds_them():
    x = tensor("x", "float32", (None, None))
    i = tensor("i", "int16", (None,))
    outs = [
        pt.sort(x, axis=1)[:, ::-1],
        pt.sort(x, axis=0)[::-1],
        pt.argsort(-x, stable=True),
        pt.sort(-i)[::-1],
        pt.argsort(-i, stable=True),
    ]
    check([x, i], outs, [data((3, 5), "float32"), data((7,), "int16", -3, 3)])


def test_sort_symbolic_dims_run_at_two_sizes():
    x = tensor("x", "float32", (None, None))
    outs = [pt.sort(x, axis=0), pt.argsort(x, axis=1, stable=True), pt.sort(x, axis=None)]
    check([x], outs, [data((3, 4), "float32")], [data((6, 1), "float32")])


def test_sort_after_fast_run_rewrites():
    x = tensor("x", "float32", (None, None))
    check_fast_run(
        [x],
        [pt.sort(x, axis=1)[:, ::-1], pt.sort(x, None), pt.argsort(x, stable=True)],
        [data((3, 4), "float32")],
    )


def test_import_sort_family():
    x = tensor("x", "float32", (2, 3))
    text = ir_text(
        [x],
        [
            pt.sort(x, axis=0),
            pt.argsort(x, stable=True),
            pt.cumsum(x, axis=1),
            pt.cumprod(x, axis=0),
        ],
    )
    assert "tir.sort %x {axis = 0} : f32[2, 3]" in text
    assert "tir.argsort %x {axis = 1} : i64[2, 3]" in text
    assert "tir.cumsum %x {axis = 1} : f32[2, 3]" in text
    assert "tir.cumprod %x {axis = 0} : f32[2, 3]" in text


def test_stable_argsort_of_many_ties_on_a_long_axis():
    x = tensor("x", "int8", (None,))
    check([x], [pt.argsort(x, stable=True), pt.sort(x)], [data((5000,), "int8", 0, 3)])
