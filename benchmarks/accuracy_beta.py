"""Accuracy sweeps of the incomplete beta family (betainc, betaincinv) and hyp2f1 against
mpmath, discovered by ``benchmarks/accuracy.py`` (``python -m benchmarks.accuracy --functions
betainc betaincinv hyp2f1``).

betainc's grid: a and b within [1e-3, 300] (x uniform and near both ends), the deep tails of
large a and b (a, b in [7, 3000], results down to 1e-300) and one parameter below 1 with the
other large and x near the end where the large one piles the mass (a in [100, 2e4],
1 - x in [1/(2a), 0.005]: the region given as NaN before the asymptotic expansion).
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
    # deep tails: results 1e-300 ... 1 at a, b in [7, 3000] (x from scipy's inverse)
    m = max(n // 4, 2)
    a4 = np.exp(rng.uniform(math.log(7.0), math.log(3000.0), m))
    b4 = np.exp(rng.uniform(math.log(7.0), math.log(3000.0), m))
    with np.errstate(all="ignore"):
        x4 = scipy_special.betaincinv(a4, b4, 10.0 ** -rng.uniform(0.0, 300.0, m))
    # b < 1, a large, x near 1 (and mirrored): the asymptotic expansion for large a
    a5 = np.exp(rng.uniform(math.log(100.0), math.log(2e4), m))
    b5 = np.exp(rng.uniform(math.log(1e-3), 0.0, m))
    x5 = 1.0 - np.exp(rng.uniform(np.log(0.5 / a5), math.log(0.005), m))
    mirror = np.arange(m) % 3 == 0
    a5, b5, x5 = np.where(mirror, b5, a5), np.where(mirror, a5, b5), np.where(mirror, 1 - x5, x5)
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
            (a, b, x),
            (a2, b2, x2),
            (b2, a2, x3),
            (a4, b4, x4),
            (a5, b5, x5),
            tuple(grid),
            tuple(special),
            strict=True,
        )
    )
    return a, b, x


def _positive_series(a: mp.mpf, b: mp.mpf, x: mp.mpf) -> mp.mpf:
    """I_x(a, b) = x**a (1 - x)**b / (a B(a, b)) 2F1(a + b, 1; a + 1; x), positive terms
    (DLMF 8.17.8), for x left of the mean (where mpmath's own hypergeometric sum can fail to
    converge in the deep tails of large a and b)."""
    front = mp.exp(a * mp.log(x) + b * mp.log1p(-x) - mp.log(a) - mp.log(mp.beta(a, b)))
    term = total = mp.mpf(1)
    n = 0
    while term > total * mp.mpf("1e-60"):
        term *= (a + b + n) / (a + 1 + n) * x
        total += term
        n += 1
    return front * total


def _mp_betainc(a: mp.mpf, b: mp.mpf, x: mp.mpf) -> mp.mpf:
    if a <= 0 or b <= 0 or not 0 <= x <= 1:
        raise ValueError("outside the domain: PyTensor's value is the reference")
    try:
        return mp.betainc(a, b, 0, x, regularized=True)
    except ValueError:  # hypsum/hypercomb did not converge
        with mp.workdps(80):
            if x <= (a + 1) / (a + b + 2):
                return _positive_series(a, b, x)
            return 1 - _positive_series(b, a, 1 - x)


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
