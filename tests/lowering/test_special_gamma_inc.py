"""The regularized incomplete gamma functions (gammainc, gammaincc, gammau, gammal) and their
gradients: sweeps against mpmath within the accuracy contract (benchmarks/accuracy_gamma_inc.py),
and ONNX Runtime and the IR interpreter against PyTensor, special values included."""

from __future__ import annotations

import functools
from fractions import Fraction
from math import comb

import mpmath as mp
import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import special

from compiler import CompileResult, compile_graph
from compiler.frontend import gamma_inc
from ir.interpreter import run_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of, ort_outputs
from tests.lowering.test_special_functions import assert_sweep_within_ulp_bound

_SPECIAL = [0.0, -0.0, np.inf, np.nan, 1.0, 0.5, -1.0, 30.0]
#: Ordinary points: the series, the continued fraction, the small-x series, near x = a (the
#: sweeps take larger arguments, where the loops run hundreds of steps: slow in the
#: interpreter), and a far beyond the sweeps (Temme's expansion; a scaled by 2**-600).
_A = [0.5, 2.0, 10.0, 3.0, 1e-3, 1e-10, 20.0, 100.0, 1.5, 0.2, 7.0, 45.0, 1e308, 1e308, 1e20]
_X = [0.3, 5.0, 9.0, 1e-5, 0.5, 0.1, 25.0, 110.0, 1.6, 0.9, 650.0, 2e-5, 1e308, 1.0, 1e20 + 1e10]


def _points(dtype: str) -> list[np.ndarray]:
    sa, sx = (m.ravel() for m in np.meshgrid(_SPECIAL, _SPECIAL))
    with np.errstate(over="ignore"):  # (float32: the huge a become inf, a special case)
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


# (a, x, scipy's P, scipy's Q) where scipy's factor x**a e**-x / Γ(a) underflows: its series
# gives P = 0 for a tiny a (the true P is about 1 - a E1(x)), and a = 1e300 with x tiny was
# NaN here.
_FACTOR_UNDERFLOW = [
    (5e-324, 0.5, 0.0, 0.0),
    (1e-310, 1.0, 0.0, -5.772156649016e-311),  # (scipy's Q: a negative subnormal)
    (1e-310, 1e-300, 0.0, 6.9019831223331e-308),
    (5e-324, 30.0, 1.0, 0.0),
    (1e-300, 1.0, 1.0000000000000238, 2.193839343955394e-301),  # (scipy's P above 1)
    (1e300, 1e-300, 0.0, 1.0),
    (1e300, 5e-324, 0.0, 1.0),
]


def test_as_scipy_where_its_factor_underflows() -> None:
    a, x, want_p, want_q = (np.array(c) for c in zip(*_FACTOR_UNDERFLOW, strict=True))
    got_p, got_q = _compiled_p_and_q().run(a, x)
    np.testing.assert_array_equal(got_p, [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    # Q within the smallest normal number of scipy's, and of the truth (a E1(x) for tiny a)
    np.testing.assert_allclose(got_q, want_q, rtol=0.0, atol=2.3e-308)
    np.testing.assert_allclose(want_p, got_p, rtol=3e-14)


# (a, p or q, scipy's gammaincinv, scipy's gammainccinv): where Γ(a) overflows (a = +0 or below
# 5.6e-309) scipy's first guess is NaN unless the upper tail is at most 1e-5, where it is 0;
# a = -0.0 gives 0 for p > 1 (gammaincinv) and q < 0 (gammainccinv).
_TINY_A_INVERSES = [
    (5e-324, 0.5, np.nan, np.nan),
    (1e-310, 1.0 - 1e-6, 0.0, np.nan),
    (0.0, 1.0 - 1e-6, 0.0, np.nan),
    (0.0, 1e-300, np.nan, 0.0),
    (0.0, 1e-5, np.nan, 0.0),
    (0.0, 1.1e-5, np.nan, np.nan),
    (1e-310, 1e-300, np.nan, 0.0),
    (-0.0, 2.5, 0.0, np.nan),
    (-0.0, np.inf, 0.0, np.nan),
    (-0.0, -1.0, np.nan, 0.0),
    (1e-300, 0.5, 0.0, 0.0),
]


def test_inverses_for_tiny_and_signed_zero_a_as_scipy() -> None:
    a, p, want, want_c = (np.array(c) for c in zip(*_TINY_A_INVERSES, strict=True))
    av, pv = pt.dvector("a"), pt.dvector("p")
    result = compile_checked(fgraph_of([av, pv], [pt.gammaincinv(av, pv), pt.gammainccinv(av, pv)]))
    got, got_c = result.run(a, p)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_c, want_c)


# gammainccinv where the target or the factor is below the normal range, and a huge a whose
# root rounds to a (mpmath's roots at 50 digits; scipy: 740.44, 869.488, 0.2603, 19.98417369,
# 1e300): Newton works on Q / q and Q / Q' kept in range (this model gave 740.17, 1.234e300).
_SUBNORMAL_INVERSES = [
    (0.5, 5e-324, 740.5633273776781),
    (30.0, 5e-324, 869.48608139270097),
    (1e-310, 1e-310, 0.26473701045154316),
    (1e-300, 1e-310, 19.984172765540567),
    (1e-310, 5e-324, 27.297105511725459),
    (1e5, 5e-324, 112662.27134679987),
    (1e300, 5e-324, 1e300),
    (1e50, 1e-300, 1e50),
]


def test_inverse_with_targets_below_the_normal_range_within_64_ulp() -> None:
    a, q, want = (np.array(c) for c in zip(*_SUBNORMAL_INVERSES, strict=True))
    av, qv = pt.dvector("a"), pt.dvector("q")
    (got,) = compile_checked(fgraph_of([av, qv], [pt.gammainccinv(av, qv)])).run(a, q)
    ulps = np.abs(got - want) / np.spacing(want)
    assert np.all(ulps <= 64), dict(zip(zip(a, q, strict=True), ulps, strict=True))


@pytest.mark.parametrize("name", ["gammaincinv", "gammainccinv"])
def test_inverse_sweep_within_ulp_bound(name: str) -> None:
    assert_sweep_within_ulp_bound(name, "float64", points=6)


#: Points where the factor x**a e**-x / Γ(a + 1) has a large exponent (rounding it to one
#: double cost hundreds of ulps: P(124.7, 0.378) was 613 ulp off, P(46, 2.4e-5) 497 where
#: scipy is 10), where Lentz's continued fraction collected 40-60 ulp (small a, x in
#: (1.1, 2)), and results in the subnormals.
_HARD_P = [
    (124.68303216891746, 0.3783538931941343),
    (78.0, 1.2996740554154174),
    (4489.251258218605, 3208.4367912064026),
    (46.0, 2.4e-5),
    (36.280243477094125, 1.0961283682985005e-06),
    (74.55475754059117, 0.0051444439661850255),
    (228.11144110579897, 5.169899862806956),
    (1.1311278765939214, 1.2583220767590322),
    (20.0, 2.4e-15),
]
_HARD_Q = [
    (6909.790545715645, 8522.455469664643),
    (0.00037089083331139365, 545.4336937475988),
    (1.1155601096834082, 610.7805278735033),
    (231.03675864269405, 903.0031641199699),
    (1.1311278765939214, 1.2583220767590322),
    (4.712058996525075e-06, 1.111939881079466),
    (0.0014879429562024640, 1.179560501727548),
    (1.0, 713.0),
    (2.0, 740.0),
]


def _true(upper: bool, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """mpmath's P or Q at 50 digits, rounded to float64."""
    with mp.workdps(50):
        if upper:
            return np.array(
                [
                    float(mp.gammainc(ai, xi, mp.inf, regularized=True))
                    for ai, xi in zip(a.tolist(), x.tolist(), strict=True)
                ]
            )
        return np.array([float(mp.gammainc(ai, 0, xi, regularized=True))
                         for ai, xi in zip(a.tolist(), x.tolist(), strict=True)])  # fmt: skip


@functools.cache
def _compiled_p_and_q() -> CompileResult:
    av, xv = pt.dvector("a"), pt.dvector("x")
    return compile_checked(fgraph_of([av, xv], [pt.gammainc(av, xv), pt.gammaincc(av, xv)]))


def _assert_within_ulp(a: np.ndarray, x: np.ndarray, bound: float, interpreter: bool) -> None:
    """P and Q through ONNX Runtime (both optimization levels) and, with ``interpreter``, the IR
    interpreter, within ``bound`` ulp of the true value (plain ulps of the result)."""
    result = _compiled_p_and_q()
    runs = ort_outputs(result, [a, x])
    if interpreter:
        runs["interpreter"] = run_module(result.module, [a, x])
    truth = {"P": _true(False, a, x), "Q": _true(True, a, x)}
    for where, (p, q) in runs.items():
        for name, got in (("P", p), ("Q", q)):
            want = truth[name]
            ulps = np.abs(got - want) / np.spacing(np.abs(want))
            worst = int(np.argmax(ulps))
            assert ulps[worst] <= bound, (
                f"{where}: {name}({a[worst]!r}, {x[worst]!r}) = {got[worst]!r} is "
                f"{ulps[worst]:.1f} ulp from {want[worst]!r}"
            )


def test_hard_points_within_64_ulp() -> None:
    """The points where the model was hundreds of ulps off, within 64 ulp of mpmath."""
    a, x = (np.array(c) for c in zip(*_HARD_P, *_HARD_Q, strict=True))
    _assert_within_ulp(a, x, 64.0, interpreter=True)


def test_temme_region_within_64_ulp() -> None:
    """a in [20, 2e4], x within 35% of a (Temme's expansion inside 30%, the loops beyond;
    P and Q from 1e-270 to 1/2), within 64 ulp of mpmath."""
    rng = np.random.default_rng(16)
    a = np.exp(rng.uniform(np.log(20.0), np.log(2e4), 24))
    x = a * (1.0 + rng.uniform(-0.35, 0.35, 24))
    # Both sides of the region's edges and of x = a.
    a = np.concatenate([a, [20.5, 20.5, 500.0, 500.0, 500.0, 19.9]])
    x = np.concatenate([x, [20.5 * 0.7001, 20.5 * 1.2999, 350.0, 650.0, 500.0, 19.9]])
    _assert_within_ulp(a, x, 64.0, interpreter=False)


def _temme_coefficients(rows: int, columns: int) -> list[list[Fraction]]:
    """d[k][n] of Temme's expansion in exact rationals, independently of the module: the
    Taylor series of η(t) = t sqrt(2 (t - log(1 + t))) / |t|, inverted (Lagrange) to t(η);
    d[0] the coefficients of 1/t - 1/η; d[k][n] = (-1)**k g_k d[0][n] + (n + 2) d[k-1][n+2]
    (DLMF 8.12.12) with g_k those of Γ's Stirling series exp(Σ B_2m / (2m (2m-1) z**(2m-1)))."""
    size = columns + 2 * rows + 2

    def times(p: list[Fraction], q: list[Fraction]) -> list[Fraction]:
        out = [Fraction(0)] * size
        for i, pi in enumerate(p[:size]):
            for j, qj in enumerate(q[: size - i]):
                out[i + j] += pi * qj
        return out

    def reciprocal(p: list[Fraction]) -> list[Fraction]:
        out = [1 / p[0]]
        for n in range(1, size):
            out.append(-sum(p[j] * out[n - j] for j in range(1, n + 1)) / p[0])
        return out

    # η = t r(t), r² = 2 Σ (-1)**j t**j / (j + 2).
    u = [Fraction(2 * (-1) ** j, j + 2) for j in range(size)]
    r = [Fraction(1)]
    for n in range(1, size):
        r.append((u[n] - sum(r[j] * r[n - j] for j in range(1, n))) / 2)
    h, power, alpha = reciprocal(r), [Fraction(1)] + [Fraction(0)] * (size - 1), [Fraction(0)]
    for n in range(1, size + 1):
        power = times(power, h)
        alpha.append(power[n - 1] / n)  # t = Σ alpha[n] η**n
    c0 = reciprocal(alpha[1:])[1:]  # (η / t - 1) / η
    bernoulli = [Fraction(1)]
    for m in range(1, 2 * rows + 2):
        bernoulli.append(-sum(comb(m + 1, j) * bernoulli[j] for j in range(m)) / (m + 1))
    log_g = [Fraction(0)] * (rows + 1)
    for m in range(1, rows // 2 + 2):
        if 2 * m - 1 <= rows:
            log_g[2 * m - 1] = bernoulli[2 * m] / (2 * m * (2 * m - 1))
    g = [Fraction(1)]
    for n in range(1, rows + 1):
        g.append(sum(k * log_g[k] * g[n - k] for k in range(1, n + 1)) / n)
    d = [c0]
    for k in range(1, rows):
        d.append([(-1) ** k * g[k] * d[0][n] + (n + 2) * d[k - 1][n + 2]
                  for n in range(len(d[k - 1]) - 2)])  # fmt: skip
    return [row[:columns] for row in d]


def test_temme_coefficients() -> None:
    """The module's table is DLMF 8.12.12's coefficients, correctly rounded (and its leading
    ones those printed in DLMF 8.12.9-10: c_0(0) = -1/3, c_0'(0) = 1/12, c_1(0) = -1/540)."""
    table = gamma_inc._TEMME
    exact = _temme_coefficients(len(table), max(len(row) for row in table))
    assert (exact[0][0], exact[0][1], exact[1][0]) == (Fraction(-1, 3), Fraction(1, 12),
                                                       Fraction(-1, 540))  # fmt: skip
    for k, row in enumerate(table):
        assert list(row) == [float(c) for c in exact[k][: len(row)]], f"row {k}"
