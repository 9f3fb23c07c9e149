"""Accuracy sweeps of the incomplete beta family (betainc, betaincinv) and hyp2f1 against
mpmath, discovered by ``benchmarks/accuracy.py`` (``python -m benchmarks.accuracy --functions
betainc betaincinv hyp2f1``).

The grids keep a and b within [1e-3, 300] and the results above 1e-200: beyond (deep tails at
large a and b) the float64 error grows like |log I| ulps (the power terms are the exponential
of a large logarithm), as scipy's does; BENCHMARKS.md gives those figures separately.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
from scipy import special as scipy_special

from benchmarks.accuracy import Function, _build, _logspace

_EDGE_AB = np.array([1e-3, 0.5, 1.0, 2.0, 30.0])
_EDGE_X = np.array([0.0, 1e-300, 1e-10, 0.25, 0.5, 0.75, 1.0 - 1e-10, 1.0])


def _grid_betainc(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    a = np.exp(rng.uniform(math.log(1e-3), math.log(300.0), n))
    b = np.exp(rng.uniform(math.log(1e-3), math.log(300.0), n))
    x = rng.uniform(0.0, 1.0, n)
    # near the ends: x tiny and 1 - x tiny
    a2 = np.exp(rng.uniform(math.log(0.05), math.log(50.0), n // 2))
    b2 = np.exp(rng.uniform(math.log(0.05), math.log(50.0), n // 2))
    x2 = _logspace(1e-12, 0.5, n // 2)
    x3 = 1.0 - _logspace(1e-6, 0.5, n // 2)
    grid = np.array(np.meshgrid(_EDGE_AB, _EDGE_AB, _EDGE_X)).reshape(3, -1)
    special = np.array(
        [
            [np.nan, 1.0, 0.5],
            [1.0, np.nan, 0.5],
            [1.0, 1.0, np.nan],
            [0.0, 1.0, 0.5],
            [1.0, 0.0, 0.5],
            [0.0, 0.0, 0.5],
            [-1.0, 1.0, 0.5],
            [1.0, 1.0, -0.5],
            [1.0, 1.0, 1.5],
            [np.inf, 1.0, 0.5],
            [1.0, np.inf, 0.5],
        ]
    ).T
    a, b, x = (
        np.concatenate(parts)
        for parts in zip(
            (a, b, x), (a2, b2, x2), (b2, a2, x3), tuple(grid), tuple(special), strict=True
        )
    )
    with np.errstate(all="ignore"):
        value = scipy_special.betainc(a, b, x)
    # Left out: results below 1e-200 (see above) and b < 1 with x > 0.995 and a (1 - x) > 1/2
    # where the result is below 0.14, which the lowering gives as NaN (README).
    unreached = (b < 1.0) & (x > 0.995) & (value < 0.14) & (a * (1.0 - x) > 0.5)
    keep = ~((value < 1e-200) & (value > 0.0)) & ~unreached
    return a[keep], b[keep], x[keep]


def _mp_betainc(a: mp.mpf, b: mp.mpf, x: mp.mpf) -> mp.mpf:
    if a <= 0 or b <= 0 or not 0 <= x <= 1:
        raise ValueError("outside the domain: PyTensor's value is the reference")
    return mp.betainc(a, b, 0, x, regularized=True)


def _grid_betaincinv(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(8)
    a = np.exp(rng.uniform(math.log(0.05), math.log(100.0), n))
    b = np.exp(rng.uniform(math.log(0.05), math.log(100.0), n))
    y = rng.uniform(0.0, 1.0, n)
    # lower tail, a >= 1 so that x stays a normal number
    y2 = _logspace(1e-30, 1e-3, n // 4)
    a2, b2 = 1.0 + a[: n // 4], b[: n // 4]
    special = np.array(
        [
            [1.0, 1.0, 0.0],
            [1.0, 1.0, 1.0],
            [2.0, 3.0, 0.0],
            [0.0, 1.0, 0.5],
            [1.0, 1.0, 1.5],
            [np.nan, 1.0, 0.5],
            [1.0, 1.0, np.nan],
        ]
    ).T
    return tuple(  # type: ignore[return-value]
        np.concatenate(parts) for parts in zip((a, b, y), (a2, b2, y2), tuple(special), strict=True)
    )


def _mp_betaincinv(a: mp.mpf, b: mp.mpf, y: mp.mpf) -> mp.mpf:
    """The root of I_x(a, b) = y by bisection on log x then Newton (at 50 digits)."""
    if a <= 0 or b <= 0 or not 0 < y < 1:
        raise ValueError("outside the domain: PyTensor's value is the reference")

    def f(x: mp.mpf) -> mp.mpf:
        return mp.betainc(a, b, 0, x, regularized=True) - y

    # scipy's root as the start when it is inside (0, 1), else a bisection (geometric
    # towards 0) to a relative width of 1e-6
    with np.errstate(all="ignore"):
        start = float(scipy_special.betaincinv(float(a), float(b), float(y)))
    x = mp.mpf(start)
    if not 0.0 < start < 1.0:
        lo, hi = mp.mpf(0), mp.mpf(1)
        for _ in range(300):
            x = mp.sqrt(lo * hi) if lo > 0 else hi / 1024 if hi < 0.01 else (lo + hi) / 2
            if f(x) < 0:
                lo = x
            else:
                hi = x
            if lo > 0 and hi - lo < lo * mp.mpf("1e-6"):
                break
    for _ in range(20):
        density = x ** (a - 1) * (1 - x) ** (b - 1) / mp.beta(a, b)
        step = f(x) / density
        x -= step
        if abs(step) < abs(x) * mp.mpf("1e-40"):
            break
    return x


def _grid_hyp2f1(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Positive a, b, c with z in [-0.95, 0.95] (no cancelling series there), polynomials
    (a a non-positive integer, b > 0) for z in [-2, 0.9], and edge values."""
    rng = np.random.default_rng(9)
    a = rng.uniform(0.0, 5.0, n)
    b = rng.uniform(0.0, 5.0, n)
    c = rng.uniform(0.5, 8.0, n)
    z = rng.uniform(-0.95, 0.95, n)
    m = n // 4
    pa = -rng.integers(0, 6, m).astype(np.float64)
    pb = rng.uniform(0.0, 3.0, m)
    pc = rng.uniform(0.5, 4.0, m)
    pz = rng.uniform(-2.0, 0.9, m)
    edge = np.array(
        [
            [1.0, 1.0, 3.0, 1.0],
            [1.0, 1.0, 2.0, 1.0],
            [1.0, 1.0, 2.0, 1.5],
            [1.0, 2.0, -1.0, 0.5],
            [-2.0, 1.0, -3.0, 0.5],
            [-2.0, 1.0, -1.0, 0.5],
            [1.0, 2.0, 3.0, 0.0],
            [np.nan, 1.0, 1.0, 0.5],
            [1.0, 1.0, 1.0, np.nan],
        ]
    ).T
    return tuple(  # type: ignore[return-value]
        np.concatenate(parts)
        for parts in zip((a, b, c, z), (pa, pb, pc, pz), tuple(edge), strict=True)
    )


def _mp_hyp2f1(a: mp.mpf, b: mp.mpf, c: mp.mpf, z: mp.mpf) -> mp.mpf:
    value = mp.hyp2f1(a, b, c, z)
    if not isinstance(value, mp.mpf):
        raise ValueError("complex or infinite: PyTensor's value is the reference")
    return value


FUNCTIONS: list[Function] = [
    Function("betainc", _build("betainc"), _mp_betainc, _grid_betainc),
    Function("betaincinv", _build("betaincinv"), _mp_betaincinv, _grid_betaincinv),
    Function("hyp2f1", _build("hyp2f1"), _mp_hyp2f1, _grid_hyp2f1),
]
