"""Accuracy grids of the Bessel functions (i0, i1, j0, j1; ive, kve, jv), discovered by
``benchmarks/accuracy.py`` (``python -m benchmarks.accuracy --functions i0 j0 ...``).

Near the zeros of the oscillating ones (j0, j1, jv for x beyond the order) the error is
measured against the size of the terms whose difference the result is: the envelope
sqrt(2/(π x)) of the P, Q form from x = 8 on (j0, j1).

i0 and i1 are +inf from |x| = 709.78 on in PyTensor (scipy's cephes overflows e**x), though
they are finite up to 713.98: PyTensor is the contract, and that interval is not on the grid."""

from __future__ import annotations

import math

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

_J0_ZEROS = [float(mp.besseljzero(0, k)) for k in range(1, 6)]
_J1_ZEROS = [float(mp.besseljzero(1, k)) for k in range(1, 6)]


def _grid_i(n: int) -> np.ndarray:
    return np.concatenate(
        [
            _SPECIAL,
            _both_signs(_logspace(1e-300, 709.78, n)),
            _rng_uniform(-30.0, 30.0, n),
            _near([8.0, -8.0, 709.0], n // 20),
            _both_signs(np.array([714.0, 1e3, 1e300])),
        ]
    )


def _grid_j(zeros: list[float]):
    def grid(n: int) -> np.ndarray:
        return np.concatenate(
            [
                _SPECIAL,
                _both_signs(_logspace(1e-300, 1e300, n)),
                _rng_uniform(-40.0, 40.0, n),
                _near([5.0, 8.0, *zeros, *(-z for z in zeros)], n // 40),
            ]
        )

    return grid


_SPECIAL_PAIRS = np.array(
    [(v, x) for v in (0.0, -0.0, 1.0, -1.0, 2.5, -2.5, np.inf, -np.inf, np.nan)
     for x in (0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-300)]
)  # fmt: skip


def _grid_order_x(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(v, x) pairs for the real-order functions: moderate orders and arguments, the orders of
    the gradients (0, ±1/2, ±1, ±2, ...) over many magnitudes of x, negative non-integer
    orders, large orders, negative x (integer orders), NaN and ±inf."""
    rng = np.random.default_rng(3)
    orders = np.array([0.0, 0.5, 1.0, 2.0, 2.5, -0.5, -1.0, -2.0, -1.5, -3.7, 3.0, 10.0])
    pieces = [
        (rng.uniform(0.0, 40.0, n), np.exp(rng.uniform(math.log(1e-3), math.log(100.0), n))),
        (rng.choice(orders, n), np.exp(rng.uniform(math.log(1e-300), math.log(1e5), n))),
        (rng.uniform(-30.0, 0.0, n), rng.uniform(0.0, 40.0, n)),
        (np.exp(rng.uniform(math.log(20.0), math.log(300.0), n)), _logspace(0.1, 500.0, n)),
        (rng.integers(-6, 7, n // 4).astype(float), -rng.uniform(0.0, 50.0, n // 4)),
        (_SPECIAL_PAIRS[:, 0], _SPECIAL_PAIRS[:, 1]),
    ]
    return np.concatenate([v for v, _ in pieces]), np.concatenate([x for _, x in pieces])


def _ive_terms(v: float, x: float) -> float:
    """ive for a negative non-integer order is ive(|v|, x) + (2/π) sin(|v|π) kve(|v|, x) e^-2|x|
    (sizes by scipy: only their magnitude matters)."""
    if math.isfinite(v) and v < 0 and v != math.floor(v) and 0 < x < math.inf:
        nu = -v
        with np.errstate(all="ignore"):
            k = 2 / math.pi * abs(math.sin(math.pi * nu)) * special.kve(nu, x) * math.exp(-2 * x)
            return float(max(abs(special.ive(nu, x)), k))
    return 0.0


def _mp_ive(v: mp.mpf, x: mp.mpf) -> mp.mpf:
    if v == mp.floor(v):  # I_-n = I_n, I_n(-x) = (-1)^n I_n(x)
        n = int(abs(v))
        return (-1) ** (n if x < 0 else 0) * mp.besseli(n, abs(x)) * mp.exp(-abs(x))
    if x < 0:
        return mp.nan
    return _stable(lambda a, b: mp.re(mp.besseli(a, b)) * mp.exp(-b), v, x)


def _stable(f, *args) -> mp.mpf:
    """f at 50 digits, unless 100 digits disagree: mpmath's besselk of large non-integer orders
    (I_-v - I_v over sin(vπ)) loses all its digits at 50 (kve(277.07, 200.95) by 1e27)."""
    with mp.workdps(50):
        low = f(*args)
    with mp.workdps(100):
        high = f(*args)
    if mp.isfinite(high) and high != 0 and abs(low / high - 1) > mp.mpf(10) ** -30:
        with mp.workdps(200):
            return +f(*args)
    return +high


def _mp_kve(v: mp.mpf, x: mp.mpf) -> mp.mpf:
    return mp.nan if x <= 0 else _stable(lambda a, b: mp.besselk(a, b) * mp.exp(b), v, x)


def _grid_jv(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The real-order grid, with x up to 1e6 for small orders, large orders below their
    turning point, large orders near and past it (up to 2000, x up to 100 times the order),
    negative non-integer orders below their turning point beyond the series (2 sqrt(-v) < x
    < -v, near integer orders too) and past it beyond x = 75, and the ±0 and ±inf cases."""
    rng = np.random.default_rng(6)
    v, x = _grid_order_x(n)
    orders = np.array([0.0, 0.5, 1.0, 2.0, -0.5, -1.0, -2.0, -2.5, 3.0])
    large = np.exp(rng.uniform(4.0, 6.0, n // 2))
    turning = np.exp(rng.uniform(math.log(40.0), math.log(2000.0), n))
    past = np.exp(rng.uniform(math.log(40.0), math.log(1000.0), n))
    below = np.exp(rng.uniform(math.log(4.0), math.log(200.0), n))
    near_integer = rng.integers(4, 60, n // 2) + rng.choice([-1e-3, 1e-3, -1e-6, 1e-6], n // 2)
    negative_past = rng.uniform(20.0, 300.0, n // 2)
    return (
        np.concatenate(
            [
                v,
                rng.choice(orders, n),
                large,
                turning,
                past,
                -below,
                -near_integer,
                -negative_past,
            ]
        ),
        np.concatenate(
            [
                x,
                _logspace(60.0, 1e6, n),
                rng.uniform(0.0, 0.5, n // 2) * large,
                turning * rng.uniform(0.85, 1.3, n),
                past * np.exp(rng.uniform(0.0, math.log(100.0), n)),
                rng.uniform(2.0 * np.sqrt(below), below),
                rng.uniform(2.0 * np.sqrt(near_integer), 1.5 * near_integer),
                negative_past * np.exp(rng.uniform(0.0, math.log(30.0), n // 2)),
            ]
        ),
    )


def _mp_jv(v: mp.mpf, x: mp.mpf) -> mp.mpf:
    if v == mp.floor(v):  # J_-n = (-1)^n J_n, J_n(-x) = (-1)^n J_n(x)
        n = int(abs(v))
        flips = (v < 0) != (x < 0)
        return (-1) ** (n if flips else 0) * mp.besselj(n, abs(x))
    if x < 0:
        return mp.nan
    return _stable(lambda a, b: mp.re(mp.besselj(a, b)), v, x)


def _jv_terms(v: float, x: float) -> float:
    """Beyond the turning point (x > |v|) jv oscillates: the error counts against its
    modulus sqrt(J² + Y²) (scipy's, only its size matters); below it, against the value, but
    for negative non-integer orders, J_-nu = cos(nu π) J_nu - sin(nu π) Y_nu: against the
    larger term there (the two cancel near the zeros of J_-nu)."""
    if not (math.isfinite(v) and math.isfinite(x)):
        return 0.0
    if abs(x) > abs(v):
        return float(math.hypot(special.jv(v, abs(x)), special.yv(v, abs(x))))
    if v < 0 and v != math.floor(v) and x > 0:
        nu = -v
        with np.errstate(all="ignore"):
            cos_term = abs(math.cos(math.pi * nu) * special.jv(nu, x))
            sin_term = abs(math.sin(math.pi * nu) * special.yv(nu, x))
        return float(max(cos_term, sin_term)) if math.isfinite(sin_term) else 0.0
    return 0.0


def _envelope_from_8(x: float) -> float:
    """sqrt(2/(π|x|)) where j0/j1 are P cos χ - Q sin χ (|x| >= 8), else 0 (relative)."""
    a = abs(x)
    return math.sqrt(2.0 / (math.pi * a)) if 8.0 <= a < math.inf else 0.0


FUNCTIONS: list[Function] = [
    Function("i0", _build("i0"), lambda x: mp.besseli(0, x), _grid_i),
    Function("i1", _build("i1"), lambda x: mp.besseli(1, x), _grid_i),
    Function("j0", _build("j0"), lambda x: mp.besselj(0, x), _grid_j(_J0_ZEROS), _envelope_from_8),
    Function("j1", _build("j1"), lambda x: mp.besselj(1, x), _grid_j(_J1_ZEROS), _envelope_from_8),
    Function("ive", _build("ive"), _mp_ive, _grid_order_x, _ive_terms),
    Function("kve", _build("kve"), _mp_kve, _grid_order_x),
    Function("jv", _build("jv"), _mp_jv, _grid_jv, _jv_terms),
]
