"""Accuracy grids of erfinv, erfcinv, ndtri_exp, polygamma (orders 2, 3, 4 and 7) and
owens_t, discovered by ``benchmarks/accuracy.py``
(``python -m benchmarks.accuracy --functions erfinv erfcinv ndtri_exp polygamma2 ...``).

True values: the inverse functions by Newton's method in mpmath (50 digits) on erf, erfc and
log Φ, started from scipy's value (the residual is checked, so a poor start cannot pass);
polygamma by mpmath's polygamma for x > -20 and by the reflection
ψ⁽ⁿ⁾(x) = -π dⁿ/dxⁿ cot(πx) + (-1)ⁿ ψ⁽ⁿ⁾(1 - x) below (mpmath's polygamma takes minutes at
x = -1e7; the derivative is mpmath's numerical one at raised precision), where the error is
measured against the size of those two terms; owens_t by mpmath's quadrature of its defining
integral.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import mpmath as mp
import numpy as np
from scipy import special

from benchmarks.accuracy import (
    _SPECIAL,
    Function,
    _both_signs,
    _build,
    _logspace,
    _near,
    _rng_uniform,
)


def _newton(f: Callable, df: Callable, start: float) -> mp.mpf:
    """The root of f near ``start`` (a float from scipy): Newton steps until the step is
    below 1e-40 of the root, which must happen within 12 steps."""
    if not math.isfinite(start):
        raise ValueError("no finite start: PyTensor's value is the reference")
    z = mp.mpf(start)
    for _ in range(12):
        step = f(z) / df(z)
        z -= step
        if abs(step) <= mp.mpf(10) ** -40 * max(abs(z), mp.mpf(10) ** -300):
            return z
    raise ValueError(f"Newton did not converge from {start}")


def _mp_erfinv(x: mp.mpf) -> mp.mpf:
    if x == 0:
        raise ValueError("signed zero: PyTensor's value is the reference")
    start = float(special.erfinv(float(x)))
    two_over_sqrt_pi = 2 / mp.sqrt(mp.pi)
    return _newton(lambda z: mp.erf(z) - x, lambda z: two_over_sqrt_pi * mp.exp(-z * z), start)


def _mp_erfcinv(y: mp.mpf) -> mp.mpf:
    start = float(special.erfcinv(float(y)))
    two_over_sqrt_pi = 2 / mp.sqrt(mp.pi)
    return _newton(lambda z: mp.erfc(z) - y, lambda z: -two_over_sqrt_pi * mp.exp(-z * z), start)


def _mp_ndtri_exp(x: mp.mpf) -> mp.mpf:
    """The z with log Φ(z) = x (Φ(z) by erfc, which keeps its relative accuracy far out)."""
    start = float(special.ndtri_exp(float(x)))

    def cdf(z: mp.mpf) -> mp.mpf:
        return mp.erfc(-z / mp.sqrt(2)) / 2

    def log_cdf(z: mp.mpf) -> mp.mpf:
        # log1p of the upper tail for z > 0: Φ(z) rounds to 1 at 50 digits from z = 15.
        if z >= 0:
            return mp.log1p(-mp.erfc(z / mp.sqrt(2)) / 2)
        if z > -1e8:
            return mp.log(cdf(z))
        # mpmath's erfc fails to converge far out: log Φ(-t) = -t²/2 - log(t √(2π))
        # + log(1 - 1/t² + 3/t⁴ - 15/t⁶) there (the next term is below 1e-64).
        w = 1 / (z * z)
        return -1 / (2 * w) - mp.log(-z * mp.sqrt(2 * mp.pi)) + mp.log(1 - w + 3 * w**2 - 15 * w**3)

    def dlog_cdf(z: mp.mpf) -> mp.mpf:
        if z > -1e8:
            return mp.npdf(z) / cdf(z)
        return -z * (1 + 1 / (z * z))  # the Mills ratio's series, to 1e-32: Newton's slope

    return _newton(lambda z: log_cdf(z) - x, dlog_cdf, start)


def _grid_erfinv(n: int) -> np.ndarray:
    return np.concatenate(
        [
            _SPECIAL,
            _both_signs(_logspace(1e-300, 1.0, n)),
            _both_signs(1.0 - _logspace(1.1e-16, 0.5, n)),
            _rng_uniform(-1.0, 1.0, n),
            _near([0.85, -0.85, 0.5, -0.5], n // 20),
            np.array([1.5, -1.5, 1e300, -1e300, np.nextafter(1.0, 2.0)]),
        ]
    )


def _grid_erfcinv(n: int) -> np.ndarray:
    return np.concatenate(
        [
            _SPECIAL,
            _logspace(5e-324, 1.0, n),
            2.0 - _logspace(2.3e-16, 1.0, n),
            1.0 + _both_signs(_logspace(1e-16, 0.5, n // 2)),
            _rng_uniform(0.0, 2.0, n),
            _near([0.15, 1.85, 1.0], n // 20),
            np.array([-1.0, 2.5, 3.0, -1e-300, np.nextafter(2.0, 3.0)]),
        ]
    )


def _grid_ndtri_exp(n: int) -> np.ndarray:
    return np.concatenate(
        [
            _SPECIAL,
            -_logspace(1e-300, 1.7e308, n),
            _rng_uniform(-12.0, 0.0, n),
            _rng_uniform(-1000.0, -500.0, n // 4),
            _near([math.log(0.075), math.log(0.925), -math.log(2.0), -600.0], n // 20),
            np.array([1e-300, 1.0, 1e300]),
        ]
    )


FUNCTIONS: list[Function] = [
    Function("erfinv", _build("erfinv"), _mp_erfinv, _grid_erfinv),
    Function("erfcinv", _build("erfcinv"), _mp_erfcinv, _grid_erfcinv),
    Function("ndtri_exp", _build("ndtri_exp"), _mp_ndtri_exp, _grid_ndtri_exp),
]


def _mp_cot_derivative(n: int, x: mp.mpf) -> mp.mpf:
    """π dⁿ/dxⁿ cot(πx), mpmath's numerical derivative (at raised precision)."""
    return mp.pi * mp.diff(lambda t: mp.cot(mp.pi * t), x, n)


def _mp_polygamma(n: int) -> Callable[[mp.mpf], mp.mpf]:
    def exact(x: mp.mpf) -> mp.mpf:
        if x <= 0 and x == mp.floor(x):
            raise ValueError("pole: PyTensor's value is the reference")
        if x > -20:
            return mp.polygamma(n, x)
        return -_mp_cot_derivative(n, x) + (-1) ** n * mp.polygamma(n, 1 - x)

    return exact


def _polygamma_terms(n: int) -> Callable[[float], float]:
    """For x < 0 the result is the difference of π dⁿ/dxⁿ cot(πx) and ψ⁽ⁿ⁾(1 - x)."""

    def terms(x: float) -> float:
        if not (x < 0 and math.isfinite(x)) or x == math.floor(x):
            return 0.0
        with mp.workdps(20):
            x_mp = mp.mpf(x)
            cot = abs(_mp_cot_derivative(n, x_mp))
            return float(max(cot, abs(mp.polygamma(n, 1 - x_mp))))

    return terms


def _grid_polygamma(n: int) -> np.ndarray:
    poles = [-float(k) for k in range(1, 8)]
    return np.concatenate(
        [
            _SPECIAL,
            _logspace(1e-300, 1e300, n),
            # scipy (PyTensor's reference) sums ζ(n + 1, x) term by term for x < 0: 1.4 s
            # at -1e7 (and 8% off there), so the grid stops at -1e4.
            -_logspace(1e-300, 1e4, n // 2),
            _rng_uniform(-20.0, 40.0, n),
            _near([1.0, 2.0, 0.5, *poles], n // 40),
            np.arange(-20.0, 50.0, 1.0),
        ]
    )


def _polygamma(n: int) -> Function:
    def build(x):
        import pytensor.tensor as pt

        return pt.polygamma(n, x)

    return Function(f"polygamma{n}", build, _mp_polygamma(n), _grid_polygamma, _polygamma_terms(n))


FUNCTIONS += [_polygamma(n) for n in (1, 2, 3, 4, 7, 16)]


def _mp_owens_t(h: mp.mpf, a: mp.mpf) -> mp.mpf:
    """Owen's T by quadrature of its integral (in pieces where exp(-h²x²/2) falls off), through
    Owen's identity T(h, a) = (Q(h) + Q(ah))/2 - Q(h) Q(ah) - T(ah, 1/a) for |a| > 1."""
    if a < 0:
        return -_mp_owens_t(h, -a)
    h = abs(h)
    if a > 1:
        q_h, q_ah = mp.ncdf(-h), mp.ncdf(-a * h)
        return (q_h + q_ah) / 2 - q_h * q_ah - _mp_owens_t(a * h, 1 / a)
    if a == 0:
        raise ValueError("signed zero: PyTensor's value is the reference")
    if h == 0:
        return mp.atan(a) / (2 * mp.pi)

    def integrand(x: mp.mpf) -> mp.mpf:
        return mp.exp(-h * h * x * x / 2) / (1 + x * x)

    # exp(-h²/2) is taken out of the integral: mpmath's quadrature stops at an absolute error
    # near its epsilon, which left a tiny integrand (e**-99 at h = 14) 500 ulps off.
    # exp(-h²x²/2) falls off over 1/h: 24 pieces up to 12/h (fewer lose digits at h = 35).
    peak = min(a, 12 / h)
    points = mp.linspace(0, peak, 24) + ([a] if a > peak else [])
    return mp.exp(-h * h / 2) * mp.quad(integrand, points) / (2 * mp.pi)


def _grid_owens_t(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    special = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 0.5, 3.0])
    hs, as_ = np.meshgrid(special, special)
    h_wide = _both_signs(_logspace(1e-4, 40.0, n))
    a_wide = _both_signs(_logspace(1e-6, 1e6, n))
    h_cells = rng.uniform(0.0, 6.0, 2 * n)  # every cell of Patefield and Tandy's methods
    a_cells = rng.uniform(0.0, 1.0, 2 * n)
    a_near_1 = 1.0 - _logspace(1e-12, 1e-3, n)
    h_any, h_permuted = rng.uniform(0.0, 8.0, n), rng.permutation(h_wide)
    a_permuted = rng.permutation(a_wide)
    # a near 1 on both sides where h is 3 to 4 (Patefield and Tandy's T5 and T6 were 990 ulps
    # off there), and large h (a tiny T) with a up to 1.5.
    h_edge = rng.uniform(3.0, 4.0, 2 * (n // 2))
    a_edge = 1.0 + np.concatenate([-_logspace(1e-12, 1e-2, n // 2), _logspace(1e-12, 1e-2, n // 2)])
    h_large, a_large = rng.uniform(5.0, 38.0, n // 2), rng.uniform(0.0, 1.5, n // 2)
    return (
        np.concatenate([hs.ravel(), h_wide, h_cells, h_any, h_permuted, h_edge, h_large]),
        np.concatenate([as_.ravel(), a_permuted, a_cells, a_near_1, a_wide, a_edge, a_large]),
    )


FUNCTIONS.append(Function("owens_t", _build("owens_t"), _mp_owens_t, _grid_owens_t))
