"""argsort and sort of the unstable kinds (quicksort, the default, and heapsort) compile as the
stable sort: numpy leaves the order of equal elements unspecified for those kinds, so the stable
order is one of the answers numpy may give. Checked against PyTensor where the answer is unique
(no ties), and otherwise as a correct sort: the same sorted values as PyTensor's indices pick,
the ties in index order (numpy's ``kind="stable"``)."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ir.interpreter import run_module
from ir.printer import print_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of

UNSTABLE_KINDS = ("quicksort", "heapsort")
DTYPES = ("float32", "float64", "float16", "int8", "int64", "uint16", "uint64", "bool")


def _tensor(name: str, dtype: str, ndim: int):
    return pt.tensor(name, dtype=dtype, shape=(None,) * ndim)


def _take(x: np.ndarray, indices: np.ndarray, axis: int | None) -> np.ndarray:
    if axis is None:
        return x.reshape(-1)[indices]
    return np.take_along_axis(x, indices, axis=axis)


def check_as_a_sort(x: np.ndarray, axis: int | None, kind: str) -> None:
    """``argsort(x, axis, kind)`` through ONNX Runtime and the interpreter: numpy's stable
    order, and the same sorted values (NaN positions included) as PyTensor's indices give."""
    v = _tensor("x", str(x.dtype), x.ndim)
    outputs = [pt.argsort(v, axis=axis, kind=kind), pt.sort(v, axis=axis, kind=kind)]
    fgraph = fgraph_of([v], outputs)
    result = compile_checked(fgraph)
    pytensor_indices, pytensor_sorted = pytensor.function([v], outputs, mode="FAST_COMPILE")(x)
    stable = np.argsort(x, axis=axis, kind="stable")
    for who, (indices, values) in {
        "ONNX Runtime": result.run(x),
        "interpreter": run_module(result.module, [x]),
    }.items():
        assert indices.dtype == pytensor_indices.dtype == np.int64, who
        np.testing.assert_array_equal(indices, stable, err_msg=who)
        np.testing.assert_array_equal(
            _take(x, indices, axis), _take(x, pytensor_indices, axis), err_msg=who
        )
        np.testing.assert_array_equal(values, pytensor_sorted, err_msg=who)


@pytest.mark.parametrize("kind", UNSTABLE_KINDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_unstable_kinds_sort_ties_in_index_order(dtype, kind):
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, size=(4, 40)).astype(dtype)  # many ties
    for axis in (0, 1, -1, None):
        check_as_a_sort(x, axis, kind)


def test_the_default_kind_is_quicksort_and_numpy_reorders_its_ties():
    """The case this covers: PyTensor's default argsort gives ties out of index order, and
    the compiled model the stable order, which numpy's quicksort might have given as well."""
    ties = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0], "float32")
    x = _tensor("x", "float32", 1)
    assert pt.argsort(x).owner.op.kind == "quicksort"
    quick = pytensor.function([x], pt.argsort(x), mode="FAST_COMPILE")(ties)
    assert not np.array_equal(quick, np.argsort(ties, kind="stable"))
    check_as_a_sort(ties, -1, "quicksort")


@pytest.mark.parametrize("kind", UNSTABLE_KINDS)
def test_unstable_kinds_put_nan_last_in_index_order(kind):
    x = np.array(
        [
            [np.nan, 1.0, -np.nan, 0.0, -0.0, np.inf, -np.inf, 0.0, np.nan],
            [np.inf, np.nan, np.inf, 2.0, np.nan, -1.0, np.inf, np.nan, -np.inf],
        ],
        "float64",
    )
    for axis in (0, 1, None):
        check_as_a_sort(x, axis, kind)
        check_as_a_sort(x.astype("float32"), axis, kind)


@pytest.mark.parametrize("kind", UNSTABLE_KINDS)
def test_unstable_kinds_without_ties_match_pytensor_exactly(kind):
    """Distinct values: every kind has one answer, PyTensor's."""
    x = _tensor("x", "float32", 2)
    feeds = np.random.default_rng(0).permutation(24).astype("float32").reshape(4, 6)
    outputs = [pt.argsort(x, kind=kind), pt.argsort(x, axis=0, kind=kind), pt.argsort(-x)]
    assert_matches_pytensor(fgraph_of([x], outputs), [feeds])
    assert_matches_pytensor(fgraph_of([x], outputs), [feeds[:, :0]])


def test_import_argsort_of_any_kind_is_the_stable_argsort():
    x = pt.tensor("x", dtype="float32", shape=(2, 3))
    outputs = [pt.argsort(x, kind="quicksort"), pt.argsort(x, axis=0, kind="heapsort")]
    printed = print_module(compile_checked(fgraph_of([x], outputs)).module)
    assert "tir.argsort %x {axis = 1} : i64[2, 3]" in printed
    assert "tir.argsort %x {axis = 0} : i64[2, 3]" in printed


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    dtype=st.sampled_from(DTYPES),
    kind=st.sampled_from(UNSTABLE_KINDS),
)
def test_unstable_kinds_property(data, dtype, kind):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6))
    # Few distinct values: many ties (negative ones wrap to large unsigned values).
    x = data.draw(hnp.arrays("int8", shape, elements=st.integers(-2, 2)))
    if dtype.startswith("float"):
        nan = data.draw(hnp.arrays(bool, shape))
        x = np.where(nan, np.nan, x)
    x = x.astype(dtype)
    axis = data.draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    check_as_a_sort(x, axis, kind)
