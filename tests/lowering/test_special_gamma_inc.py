"""The regularized incomplete gamma functions (gammainc, gammaincc, gammau, gammal) and their
gradients: sweeps against mpmath within the accuracy contract (benchmarks/accuracy_gamma_inc.py),
and ONNX Runtime and the IR interpreter against PyTensor, special values included."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import special

from compiler import compile_graph
from tests.helpers import assert_matches_pytensor, fgraph_of
from tests.lowering.test_special_functions import assert_sweep_within_ulp_bound

_SPECIAL = [0.0, -0.0, np.inf, np.nan, 1.0, 0.5, -1.0, 30.0]
#: Ordinary points: the series, the continued fraction, the small-x series, near x = a (the
#: sweeps take larger arguments, where the loops run hundreds of steps: slow in the
#: interpreter).
_A = [0.5, 2.0, 10.0, 3.0, 1e-3, 1e-10, 20.0, 100.0, 1.5, 0.2, 7.0, 45.0]
_X = [0.3, 5.0, 9.0, 1e-5, 0.5, 0.1, 25.0, 110.0, 1.6, 0.9, 650.0, 2e-5]


def _points(dtype: str) -> list[np.ndarray]:
    sa, sx = (m.ravel() for m in np.meshgrid(_SPECIAL, _SPECIAL))
    return [np.concatenate([sa, _A]).astype(dtype), np.concatenate([sx, _X]).astype(dtype)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_sweep_within_ulp_bound(name: str, dtype: str) -> None:
    assert_sweep_within_ulp_bound(name, dtype, points=12)


def test_matches_pytensor_and_interpreter() -> None:
    """float64 and float32, special values, gammau/gammal, integer k broadcast against x."""
    a64, x64 = pt.dvector("a"), pt.dvector("x")
    a32, x32 = pt.fvector("b"), pt.fvector("y")
    k, m = pt.lvector("k"), pt.dmatrix("m")
    outs = [
        *(f(a64, x64) for f in (pt.gammainc, pt.gammaincc, pt.gammau, pt.gammal)),
        *(f(a32, x32) for f in (pt.gammainc, pt.gammaincc)),
        pt.gammainc(k, m),
        pt.gammaincc(k, m),
    ]
    feeds = [*_points("float64"), *_points("float32"), np.array([1, 4, 30]),
             np.array([[0.5, 3.0, 40.0], [2.0, 0.0, 7.5]])]  # fmt: skip
    assert_matches_pytensor(fgraph_of([a64, x64, a32, x32, k, m], outs), feeds)


def test_values_against_scipy_at_known_points() -> None:
    """Independent of PyTensor: scipy at points where it is accurate."""
    a, x = pt.dvector("a"), pt.dvector("x")
    result = compile_graph([a, x], [pt.gammainc(a, x), pt.gammaincc(a, x)])
    av = np.array([0.5, 1.0, 2.5, 10.0, 50.0, 0.01])
    xv = np.array([0.5, 1.0, 3.0, 12.0, 45.0, 0.2])
    p, q = result.run(av, xv)
    np.testing.assert_allclose(p, special.gammainc(av, xv), rtol=1e-14)
    np.testing.assert_allclose(q, special.gammaincc(av, xv), rtol=1e-14)


def test_gradients_and_pymc_style_cdfs() -> None:
    """d/dx in closed form and d/da by PyTensor's ScalarLoop graphs (series and continued
    fraction), of P and Q; the log-CDFs PyMC writes: Gamma(alpha, beta) log P(alpha, beta x)
    and Poisson(mu) log Q(k + 1, mu), with their gradients."""
    a, x = pt.dvector("a"), pt.dvector("x")
    cost = (pt.gammainc(a, x) + 2 * pt.gammaincc(a, x)).sum()
    alpha, beta, value = pt.dscalar("alpha"), pt.dscalar("beta"), pt.dvector("value")
    mu, k = pt.dscalar("mu"), pt.lvector("k")
    gamma_lcdf = pt.log(pt.gammainc(alpha, beta * value)).sum()
    poisson_lcdf = pt.log(pt.gammaincc(k + 1, mu)).sum()
    outs = [
        *pytensor.grad(cost, [a, x]),
        gamma_lcdf,
        poisson_lcdf,
        *pytensor.grad(gamma_lcdf + poisson_lcdf, [alpha, mu]),
    ]
    feeds = [
        np.array([0.5, 2.0, 10.0, 3.0, 1.0, 5.0, 1e-3]),
        np.array([0.3, 5.0, 9.0, 0.0, 1.0, 30.0, 0.5]),
        np.array(2.5),
        np.array(0.7),
        np.array([0.5, 2.0, 6.0]),
        np.array(3.2),
        np.array([0, 2, 7]),
    ]
    inputs = [a, x, alpha, beta, value, mu, k]
    assert_matches_pytensor(fgraph_of(inputs, outs), feeds, rtol=1e-10, atol=1e-12)


def test_inverses_match_pytensor_and_interpreter() -> None:
    """gammaincinv and gammainccinv (Newton on log P or log Q, each step a loop of loops),
    their edges (p = 0, 1, outside [0, 1], a = 0, inf, NaN) and the gradient in p."""
    a, p = pt.dvector("a"), pt.dvector("p")
    x, xc = pt.gammaincinv(a, p), pt.gammainccinv(a, p)
    outs = [x, xc, *pytensor.grad((x + xc).sum(), [p])]
    av = np.array([0.0, 1.0, np.inf, -1.0, 1.0, 1.0, 1.0, np.nan, 2.5, 0.01, 30.0])
    pv = np.array([0.5, 0.0, 0.5, 0.5, 1.0, 1.5, np.nan, 0.5, 0.3, 0.9, 1e-20])
    assert_matches_pytensor(fgraph_of([a, p], outs), [av, pv], rtol=1e-9, atol=0.0)


@pytest.mark.parametrize("name", ["gammaincinv", "gammainccinv"])
def test_inverse_sweep_within_ulp_bound(name: str) -> None:
    assert_sweep_within_ulp_bound(name, "float64", points=6)
