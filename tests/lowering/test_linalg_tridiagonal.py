"""Tridiagonal solvers: solve(assume_a='tridiagonal') (gtsv), tridiagonal_lu_factor (gttrf) and
tridiagonal_lu_solve (gttrs, both ``transposed``): ONNX Runtime and the IR interpreter against
PyTensor (LAPACK), core and Blockwise, pivoting rows, singular matrices and NaN."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.tensor import linalg as L
from pytensor.tensor.linalg.solvers.tridiagonal import (
    tridiagonal_lu_factor,
    tridiagonal_lu_solve,
)

from tests.helpers import assert_matches_pytensor, fgraph_of


def tridiagonal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random matrices with only their three central diagonals nonzero (rows swap in the
    factorization wherever |dl[i]| > |d[i]|)."""
    m = rng.normal(size=shape)
    return np.triu(np.tril(m, 1), -1)


@given(n=st.sampled_from([1, 2, 3, 7, 32]), b_ndim=st.sampled_from([1, 2]),
       batch=st.sampled_from([(), (2,), (2, 1)]), seed=st.integers(0, 2**16))  # fmt: skip
@settings(max_examples=4, deadline=None)
def test_solve_tridiagonal(n: int, b_ndim: int, batch: tuple[int, ...], seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = pt.tensor("a", shape=(None,) * (len(batch) + 2))
    b = pt.tensor("b", shape=(None,) * b_ndim)
    rhs = rng.normal(size=(n,) if b_ndim == 1 else (n, 2))
    value = tridiagonal(rng, (*batch, n, n))
    x = L.solve(a, b, assume_a="tridiagonal", b_ndim=b_ndim)
    assert_matches_pytensor(fgraph_of([a, b], [x]), [value, rhs])


def test_solve_tridiagonal_reads_three_diagonals_only_and_float32() -> None:
    rng = np.random.default_rng(1)
    a = pt.matrix("a", dtype="float32")
    b = pt.matrix("b", dtype="float32")
    value = rng.normal(size=(6, 6)).astype("float32")  # entries off the band are ignored
    x = L.solve(a, b, assume_a="tridiagonal")
    assert_matches_pytensor(fgraph_of([a, b], [x]), [value, np.ones((6, 2), "float32")],
                            rtol=1e-5, atol=1e-5)  # fmt: skip


def test_singular_tridiagonal_gives_nan() -> None:
    a = pt.matrix("a")
    b = pt.matrix("b")
    value = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0], [0.0, 4.0, 6.0]])
    x = L.solve(a, b, assume_a="tridiagonal")
    # PyTensor fills NaN in a's shape: an n x n right-hand side keeps the shapes equal.
    assert_matches_pytensor(fgraph_of([a, b], [x]), [value, np.ones((3, 3))])


@pytest.mark.parametrize("n", [3, 4, 8])
@pytest.mark.parametrize("transposed", [False, True])
def test_factor_and_solve(n: int, transposed: bool) -> None:
    rng = np.random.default_rng(n)
    a = pt.matrix("a")
    b = pt.matrix("b")
    factors = tridiagonal_lu_factor(a)
    x = tridiagonal_lu_solve(factors, b, b_ndim=2, transposed=transposed)
    value = tridiagonal(rng, (n, n))
    value[1, 0] = 10.0  # a row exchange at step 0
    assert_matches_pytensor(fgraph_of([a, b], [*factors, x]), [value, rng.normal(size=(n, 3))])


def test_factor_of_zero_pivot_and_nan_is_lapacks() -> None:
    a = pt.matrix("a")
    b = pt.vector("b")
    factors = tridiagonal_lu_factor(a)
    x = tridiagonal_lu_solve(factors, b, b_ndim=1)
    zero_pivot = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 3.0, 1.0, 1.0],
                           [0.0, 0.0, 1.0, 1.0]])  # fmt: skip
    with_nan = np.array([[np.nan, 1.0, 0.0], [2.0, 1.0, 1.0], [0.0, 1.0, 3.0]])
    # Only the factors: a zero pivot makes gttrs divide by zero (inf/NaN as LAPACK's).
    assert_matches_pytensor(fgraph_of([a], list(factors)), [zero_pivot])
    assert_matches_pytensor(fgraph_of([a, b], [*factors, x]), [with_nan, np.ones(3)])


def test_blockwise_factor_and_solve() -> None:
    rng = np.random.default_rng(5)
    a = pt.tensor3("a")
    b = pt.tensor3("b")
    factors = tridiagonal_lu_factor(a)
    x = tridiagonal_lu_solve(factors, b, b_ndim=2, transposed=True)
    values = [tridiagonal(rng, (3, 5, 5)), rng.normal(size=(3, 5, 2))]
    assert_matches_pytensor(fgraph_of([a, b], [*factors, x]), values)
