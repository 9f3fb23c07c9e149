"""Regressions found by running PyTensor's own backend suites (tests/link/numba, tests/link/jax)
against this compiler with tools/pytensor_suites.py: each test is the minimal graph of a WRONG
or CRASH result, checked against PyTensor through ONNX Runtime and the IR interpreter (raw
graph) and through ``mode="ONNX"`` (PyTensor's rewrites first)."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.scan.basic import scan
from pytensor.tensor import extra_ops

import compiler.mode  # noqa: F401  (registers mode="ONNX")
from tests.helpers import assert_matches_pytensor, fgraph_of


def _through_mode(inputs: list, outputs: list, values: list) -> None:
    """``mode="ONNX"`` against PyTensor's Python mode (the path the backend suites take)."""
    ours = pytensor.function(inputs, outputs, mode="ONNX")(*values)
    ref = pytensor.function(inputs, outputs, mode="FAST_COMPILE")(*values)
    for mine, theirs in zip(ours, ref, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-7, strict=True)


def test_scan_state_started_static_stepped_symbolic() -> None:
    """numba/test_scan.py::TestUntracedSitSotAliasedInnerOutput: a state started as zeros(3)
    (static length 3) whose step is a row of x (length x.shape[1], a symbol) made tir.loop
    refuse its own body ("the next value's type f64[x_1] does not fit f64[3]")."""
    x = pt.matrix("x")

    def step(x_t, y_prev, m_prev):
        return y_prev + m_prev, x_t

    outs = scan(step, sequences=[x], outputs_info=[pt.zeros(3), pt.zeros(3)], return_updates=False)
    values = [np.arange(15.0).reshape(5, 3)]
    assert_matches_pytensor(fgraph_of([x], [outs[0]]), values)
    _through_mode([x], [outs[0]], values)


def test_solve_of_empty_system() -> None:
    """numba/linalg/test_solvers.py::test_empty[solve]: solve of a 0 x 0 system broadcast b
    against a's column 0, which an empty a lacks: b lost its column and ONNX Runtime's Squeeze
    failed. The result is an empty vector (and (0, 2) for a matrix b)."""
    a = pt.matrix("a")
    b = pt.vector("b")
    c = pt.matrix("c")
    outs = [pt.linalg.solve(a, b), pt.linalg.solve(a, c)]
    values = [np.zeros((0, 0)), np.zeros(0), np.zeros((0, 2))]
    assert_matches_pytensor(fgraph_of([a, b, c], outs), values)
    _through_mode([a, b, c], outs, values)


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_of_unsorted_x(side: str) -> None:
    """numba/test_extra_ops.py::test_Searchsorted[a1-...]: an unsorted x (outside numpy's
    precondition) gave the count of x's elements below v where numpy's binary search gives
    other answers; the model now runs that search where x is unsorted. Sorted x, NaN, an
    empty x, a sorter and integer dtypes too."""
    a = pt.vector("a")
    v = pt.matrix("v")
    s = pt.lvector("s")
    outs = [
        extra_ops.searchsorted(a, v, side=side),
        extra_ops.searchsorted(a, v, side=side, sorter=s),
    ]
    fgraph = fgraph_of([a, v, s], outs)
    case = np.array([0.29769574, 0.71649186, 0.20475563])
    keys = np.array([[0.18847123, 0.39659508], [0.56220006, 0.57428752], [0.86720994, 0.44522637]])
    assert_matches_pytensor(fgraph, [case, keys, np.array([2, 0, 1])])
    _through_mode([a, v, s], outs, [case, keys, np.array([2, 0, 1])])
    rng = np.random.default_rng(0)
    for n in (0, 1, 5, 13):
        x = rng.integers(-3, 4, n).astype(float)
        x[rng.random(n) < 0.2] = np.nan
        keys = rng.integers(-4, 5, (3, 4)).astype(float)
        keys[0, 0] = np.nan
        order = rng.permutation(n)
        assert_matches_pytensor(fgraph, [x, keys, order])
        assert_matches_pytensor(fgraph, [np.sort(x), keys, order])
    i = pt.lvector("i")
    k = pt.lvector("k")
    ints = fgraph_of([i, k], [extra_ops.searchsorted(i, k, side=side)])
    assert_matches_pytensor(ints, [np.array([3, 2, -1, 1, -2, 7, 0]), np.arange(-3, 9)])


@pytest.mark.parametrize("lower", [False, True])
def test_positive_definite_solve_reads_the_named_triangle(lower: bool) -> None:
    """numba/linalg/test_solvers.py::test_solve[real-pos-...]: PyTensor's fast_run rewrite
    psd_solve_to_chol_solve made solve(a, b, assume_a="pos", lower=False) a Cholesky of a's
    lower triangle; through mode="ONNX" a triangular a gave another answer than
    FAST_COMPILE (scipy reads the triangle ``lower`` names). The mode leaves the rewrite out."""
    a = pt.matrix("a")
    b = pt.vector("b")
    rng = np.random.default_rng(0)
    m = rng.normal(size=(4, 4))
    spd = m @ m.T + 4 * np.eye(4)
    triangle = np.tril(spd) if lower else np.triu(spd)
    x = pt.linalg.solve(a, b, assume_a="pos", lower=lower)
    values = [triangle, rng.normal(size=4)]
    expected = np.linalg.solve(spd, values[1])  # the triangle stands for the symmetric matrix
    got = pytensor.function([a, b], x, mode="ONNX")(*values)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    _through_mode([a, b], [x], values)
