"""The incomplete beta family (betainc, betaincinv) and hyp2f1: sweeps through ONNX Runtime
against mpmath within the accuracy contract, and ONNX Runtime (both optimization levels) and the
IR interpreter against PyTensor on edge values and broadcast operands."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from tests.helpers import assert_matches_pytensor, fgraph_of
from tests.lowering.test_special_functions import assert_sweep_within_ulp_bound
from tests.lowering.util import check

#: Points per grid segment (3-argument grids; mpmath is slow here).
POINTS = 60


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["betainc", "betaincinv", "hyp2f1"])
def test_beta_sweep_within_ulp_bound(name: str, dtype: str) -> None:
    assert_sweep_within_ulp_bound(name, dtype, POINTS)


def _edges() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ab = np.array([0.0, 1e-300, 1e-3, 0.5, 1.0, 3.5, 40.0, 1e4, np.inf, -1.0, np.nan])
    x = np.array([0.0, 1e-300, 1e-8, 0.3, 0.5, 0.97, 1.0, -0.5, 1.5, np.nan])
    grid = np.array(np.meshgrid(ab, ab, x, indexing="ij")).reshape(3, -1)
    return grid[0], grid[1], grid[2]


def test_betainc_edges_match_pytensor_and_interpreter() -> None:
    a, b, x = (pt.vector(n, dtype="float64") for n in "abx")
    check([a, b, x], [pt.betainc(a, b, x)], _edges())


def test_betaincinv_edges_match_pytensor_and_interpreter() -> None:
    """Parameters where scipy is consistent: for results below the normal range it gives
    DBL_MIN for some parameters and 0 or NaN for others (README)."""
    ab = np.array([0.0, 0.5, 3.5, 40.0, np.inf, -1.0, np.nan])
    y = np.array([0.0, 1e-8, 0.3, 0.5, 0.97, 1.0, -0.5, 1.5, np.nan])
    grid = np.array(np.meshgrid(ab, ab, y, indexing="ij")).reshape(3, -1)
    a, b, x = (pt.vector(n, dtype="float64") for n in "aby")
    # scipy's own inverse is a few ulps off where the root is ill-conditioned (small a)
    assert_matches_pytensor(fgraph_of([a, b, x], [pt.betaincinv(a, b, x)]), list(grid), rtol=1e-13)


def test_beta_family_broadcasts_and_upgrades_integers() -> None:
    """A scalar parameter against a vector, float32 against PyTensor's own dtype rules, and
    integer parameters (upgraded to float64)."""
    a = pt.scalar("a", dtype="float32")
    n = pt.vector("n", dtype="int64")
    x = pt.matrix("x", dtype="float32")
    outputs = [pt.betainc(a, 2.5, x), pt.betainc(n, n, 0.25), pt.betaincinv(a, n[0], x)]
    feeds = [
        np.float32(2.5),
        np.array([1, 2, 7, 30], dtype="int64"),
        np.array([[0.1, 0.5, 0.9], [1e-5, 0.7, 0.999]], dtype="float32"),
    ]
    check([a, n, x], outputs, feeds)


def test_hyp2f1_edges_match_pytensor_and_interpreter() -> None:
    """Poles in c, polynomials (also beyond |z| = 1), z = 0, 1, > 1, NaN."""
    a, b, c, z = (pt.vector(n, dtype="float64") for n in "abcz")
    rows = np.array(
        [
            [1.0, 1.0, 3.0, 1.0],
            [1.0, 1.0, 2.0, 1.0],
            [1.0, 1.0, 2.0, 1.5],
            [1.0, 2.0, -1.0, 0.5],
            [-2.0, 1.0, -3.0, 0.5],
            [-2.0, 1.0, -1.0, 0.5],
            [-3.0, 2.0, 3.0, -5.0],
            [-3.0, 2.0, 3.0, 5.0],
            [1.0, 2.0, 3.0, -0.7],
            [0.5, 1.5, 2.5, 0.3],
            [1.0, 2.0, 3.0, 0.0],
            [1.0, 1.0, 0.0, 0.0],
            [0.0, 1.0, 1.0, 2.0],
            [np.nan, 1.0, 1.0, 0.5],
            [1.0, 1.0, 1.0, np.nan],
        ]
    ).T
    check([a, b, c, z], [pt.hyp2f1(a, b, c, z)], list(rows))


def test_beta_cdf_and_its_gradients() -> None:
    """A Beta log-CDF as PyMC writes it, log(betainc(a, b, x)), with its gradients in a, b
    (PyTensor's ScalarLoop continued fraction) and x; betaincinv's gradient in y."""
    a, b, x = (pt.vector(n, dtype="float64") for n in "abx")
    logcdf = pt.log(pt.betainc(a, b, x)).sum()
    grads = pytensor.grad(logcdf, [a, b, x])
    quantile_grad = pytensor.grad(pt.betaincinv(a, b, x).sum(), x)
    feeds = [
        np.array([0.5, 2.0, 10.0, 3.0]),
        np.array([1.5, 3.0, 20.0, 0.7]),
        np.array([0.2, 0.5, 0.4, 0.9]),
    ]
    assert_matches_pytensor(fgraph_of([a, b, x], [logcdf, *grads, quantile_grad]), feeds, rtol=1e-9)


def test_hyp2f1_gradients() -> None:
    """PyTensor's gradient of 2F1: a Grad2F1Loop (ScalarLoop) in a, b, c and 2F1 itself in z."""
    a, b, c, z = (pt.vector(n, dtype="float64") for n in "abcz")
    grads = pytensor.grad(pt.hyp2f1(a, b, c, z).sum(), [a, b, c, z])
    feeds = [
        np.array([0.5, 1.5, 2.0]),
        np.array([1.0, 2.5, 0.3]),
        np.array([2.0, 3.5, 1.7]),
        np.array([0.3, -0.4, 0.45]),
    ]
    assert_matches_pytensor(fgraph_of([a, b, c, z], grads), feeds, rtol=1e-9)
