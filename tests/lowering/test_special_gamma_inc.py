"""The regularized incomplete gamma functions (gammainc, gammaincc, gammau, gammal) and their
gradients: sweeps against mpmath within the accuracy contract (benchmarks/accuracy_gamma_inc.py),
and ONNX Runtime and the IR interpreter against PyTensor, special values included."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import special

from tests.helpers import assert_matches_pytensor, fgraph_of
from tests.lowering.test_special_functions import assert_sweep_within_ulp_bound

_SPECIAL = [0.0, -0.0, np.inf, np.nan, 1.0, 0.5, -1.0, 30.0]
#: Ordinary points: the series, the continued fraction, the small-x series, near x = a, and
#: large arguments (where the loops run longest).
_A = [0.5, 2.0, 10.0, 3.0, 1e-3, 1e-10, 20.0, 100.0, 1000.0, 1e4, 1.5, 0.2, 7.0, 45.0]
_X = [0.3, 5.0, 9.0, 1e-5, 0.5, 0.1, 25.0, 110.0, 990.0, 1.01e4, 1.6, 0.9, 650.0, 2e-5]


def _points(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    sa, sx = (m.ravel() for m in np.meshgrid(_SPECIAL, _SPECIAL))
    return np.concatenate([sa, _A]).astype(dtype), np.concatenate([sx, _X]).astype(dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_sweep_within_ulp_bound(name: str, dtype: str) -> None:
    assert_sweep_within_ulp_bound(name, dtype, points=40)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_matches_pytensor_and_interpreter(dtype: str) -> None:
    a, x = pt.vector("a", dtype=dtype), pt.vector("x", dtype=dtype)
    outs = [pt.gammainc(a, x), pt.gammaincc(a, x), pt.gammau(a, x), pt.gammal(a, x)]
    assert_matches_pytensor(fgraph_of([a, x], outs), list(_points(dtype)))


def test_broadcasting_and_integer_arguments() -> None:
    k = pt.lvector("k")
    x = pt.dmatrix("x")
    x_value = np.array([[0.5, 3.0, 40.0], [2.0, 0.0, 7.5]])
    assert_matches_pytensor(
        fgraph_of([k, x], [pt.gammainc(k, x), pt.gammaincc(k, x)]),
        [np.array([1, 4, 30]), x_value],
    )


def test_values_against_scipy_at_known_points() -> None:
    """Independent of PyTensor: scipy at points where it is accurate."""
    a, x = pt.dvector("a"), pt.dvector("x")
    fn = pytensor.function  # (only to name the reference below)
    assert fn is not None
    from compiler import compile_graph

    result = compile_graph([a, x], [pt.gammainc(a, x), pt.gammaincc(a, x)])
    av = np.array([0.5, 1.0, 2.5, 10.0, 50.0, 0.01])
    xv = np.array([0.5, 1.0, 3.0, 12.0, 45.0, 0.2])
    p, q = result.run(av, xv)
    np.testing.assert_allclose(p, special.gammainc(av, xv), rtol=1e-14)
    np.testing.assert_allclose(q, special.gammaincc(av, xv), rtol=1e-14)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gradients(dtype: str) -> None:
    """d/dx in closed form, d/da by PyTensor's ScalarLoop graphs (series and continued
    fraction), of P and Q."""
    a, x = pt.vector("a", dtype=dtype), pt.vector("x", dtype=dtype)
    cost = (pt.gammainc(a, x) + 2 * pt.gammaincc(a, x)).sum()
    grads = pytensor.grad(cost, [a, x])
    av = np.array([0.5, 2.0, 10.0, 3.0, 1.0, 20.0, 5.0, 1e-3], dtype=dtype)
    xv = np.array([0.3, 5.0, 9.0, 0.0, 1.0, 3.0, 30.0, 0.5], dtype=dtype)
    tol = 1e-10 if dtype == "float64" else 1e-4
    assert_matches_pytensor(fgraph_of([a, x], grads), [av, xv], rtol=tol, atol=tol)


def test_gamma_and_poisson_cdfs_pymc_style() -> None:
    """The log-CDFs PyMC writes: Gamma(alpha, beta) log P(alpha, beta x) and Poisson(mu)
    log Q(k + 1, mu), with the gradient in the parameters."""
    alpha, beta, value = pt.dscalar("alpha"), pt.dscalar("beta"), pt.dvector("value")
    mu, k = pt.dscalar("mu"), pt.lvector("k")
    gamma_lcdf = pt.log(pt.gammainc(alpha, beta * value)).sum()
    poisson_lcdf = pt.log(pt.gammaincc(k + 1, mu)).sum()
    outs = [gamma_lcdf, poisson_lcdf, *pytensor.grad(gamma_lcdf + poisson_lcdf, [alpha, mu])]
    feeds = [np.array(2.5), np.array(0.7), np.array([0.5, 2.0, 6.0]), np.array(3.2),
             np.array([0, 2, 7])]  # fmt: skip
    assert_matches_pytensor(
        fgraph_of([alpha, beta, value, mu, k], outs), feeds, rtol=1e-10, atol=1e-12
    )
