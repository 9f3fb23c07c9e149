"""Accuracy sweeps of 2F1(a, b; c; z) over the whole real z line against mpmath (50 digits),
discovered by ``benchmarks/accuracy.py`` (``python -m benchmarks.accuracy --functions
hyp2f1_wide hyp2f1_mixed``). ``benchmarks/accuracy_beta.py``'s ``hyp2f1`` keeps the original
grid (z in [-0.95, 0.95]); these add z < -1 (down to -1e12), z in (0.9, 1] (1 - z down to
1e-9), the cases where c - a - b (near 1) or a - b (z < -1) is an integer. ``hyp2f1_wide``:
positive parameters, c - a - b or a - b within 1e-12 ... 0.2 of an integer, the polynomial
cases on the whole line, z = 1 and the edges (poles, z > 1, ±inf, NaN); ``hyp2f1_mixed``: the
same z segments with parameters of both signs, where every form's terms may cancel (its
errors beyond 64 ulp are compared with scipy's in BENCHMARKS.md).

Left out: c - a - b (1/2 < z < 1) or a - b (z < -1) within 0.05 of an integer but not one
where a Γ argument of the model's paired form is not positive: there the two-term
transformation cancels like 1/(distance to the integer), as scipy's (the same form).
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks.accuracy import Function, _build
from benchmarks.accuracy_beta import _mp_hyp2f1

#: Grid parameters are multiples of this (so that a + b + m and a + m are exact).
_STEP = 1.0 / 256.0


def _params(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    return np.round(rng.uniform(low, high, n) / _STEP) * _STEP


def _unpaired_near_integer(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray
) -> np.ndarray:
    """c - a - b (z > 1/2) or a - b (z < -1) within 0.05 of an integer but not one, where
    the model's paired form does not apply (a Γ argument of it is not positive)."""
    with np.errstate(all="ignore"):
        d = c - a - b
        e = b - a
    gap_d = np.abs(d - np.round(d))
    gap_e = np.abs(e - np.round(e))
    near_ok = np.where(d >= 0, (c - a > 0) & (c - b > 0), (a > 0) & (b > 0))
    far_ok = (np.maximum(a, b) > 0) & (c - np.minimum(a, b) > 0)
    near = (z > 0.5) & (gap_d > 0) & (gap_d < 0.05) & ~near_ok
    far = (z < -1.0) & (gap_e > 0) & (gap_e < 0.05) & ~far_ok
    return near | far


def _line(
    rng: np.random.Generator, n: int, low: float, c_low: float
) -> list[tuple[np.ndarray, ...]]:
    """a, b in [low, 5], c in [c_low, 8] (multiples of 1/256) with z < -1 (1 - z
    log-uniform up to 1e12), z in (0.9, 1) (1 - z log-uniform in [1e-9, 0.1]) and on the whole
    line; c - a - b = m (-4 ... 4) near z = 1 and a - b = m for z < -1."""
    parts = []
    for log_low, log_high in ((math.log(2.0), math.log(1e12)), (math.log(1e-9), math.log(0.1))):
        a, b, c = _params(rng, n, low, 5.0), _params(rng, n, low, 5.0), _params(rng, n, c_low, 8.0)
        z = 1.0 - np.exp(rng.uniform(log_low, log_high, n))
        parts.append((a, b, c, z))
    a, b, c = _params(rng, n, low, 5.0), _params(rng, n, low, 5.0), _params(rng, n, c_low, 8.0)
    z = np.concatenate(
        [rng.uniform(-1.0, 0.9, n - n // 2), 1.0 - np.exp(rng.uniform(0.0, 6.0, n // 2))]
    )
    parts.append((a, b, c, z))
    m = rng.integers(-4, 5, n).astype(np.float64)
    a, b = _params(rng, n, low, 5.0), _params(rng, n, low, 5.0)
    z = 1.0 - np.exp(rng.uniform(math.log(1e-9), math.log(0.5), n))
    parts.append((a, b, a + b + m, z))
    a, c = _params(rng, n, low, 5.0), _params(rng, n, c_low, 8.0)
    z = 1.0 - np.exp(rng.uniform(math.log(2.0), math.log(1e12), n))
    parts.append((a, a + m, c, z))
    return parts


def _concatenate(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    a, b, c, z = (np.concatenate(p) for p in zip(*parts, strict=True))
    keep = ~_unpaired_near_integer(a, b, c, z)
    return a[keep], b[keep], c[keep], z[keep]


def _grid_hyp2f1_mixed(n: int) -> tuple[np.ndarray, ...]:
    """``_line`` with a, b in [-4.5, 5], c in [-4.5, 8]."""
    return _concatenate(_line(np.random.default_rng(17), n, -4.5, -4.5))


def _grid_hyp2f1_wide(n: int) -> tuple[np.ndarray, ...]:
    """``_line`` with positive parameters, near-integer cases, polynomials, z = 1, edges."""
    rng = np.random.default_rng(16)
    parts = _line(rng, n, 0.0, 0.5)
    # c - a - b (near 1) or a - b (z < -1) within 1e-12 ... 0.2 of an integer m
    eps = np.exp(rng.uniform(math.log(1e-12), math.log(0.2), n)) * rng.choice([-1.0, 1.0], n)
    m = rng.integers(0, 4, n).astype(np.float64)
    a, b = rng.uniform(0.0, 5.0, n), rng.uniform(0.0, 5.0, n)
    z = 1.0 - np.exp(rng.uniform(math.log(1e-9), math.log(0.5), n))
    parts.append((a, b, a + b + m + eps, z))
    c = rng.uniform(0.5, 8.0, n)
    z = 1.0 - np.exp(rng.uniform(math.log(2.0), math.log(1e12), n))
    parts.append((a, a + m + eps, c + a, z))
    # polynomials (a = 0 ... -8) on the whole line
    k = n // 2
    pa = -rng.integers(0, 9, k).astype(np.float64)
    pb, pc = _params(rng, k, -3.5, 5.0), _params(rng, k, 0.5, 8.0)
    pz = np.concatenate([rng.uniform(-3.0, 3.0, k - k // 2), -np.exp(rng.uniform(0, 8, k // 2))])
    parts.append((pa, pb, pc, pz))
    # z = 1 (Gauss's sum, or inf) and the edges
    a, b, c = _params(rng, k, 0.0, 4.0), _params(rng, k, 0.0, 4.0), _params(rng, k, 0.5, 8.0)
    parts.append((a, b, c, np.ones(k)))
    inf, nan = math.inf, math.nan
    edge = np.array(
        [
            [1.0, 1.0, 2.0, -inf],
            [-2.0, 1.0, 3.0, -inf],
            [1.0, 1.0, 2.0, inf],
            [1.0, 1.0, 2.0, 1.5],
            [1.0, 2.0, -1.0, -5.0],
            [1.0, 2.0, -1.0, 0.95],
            [-2.0, 1.0, -3.0, -5.0],
            [1.0, 1.0, 2.0, -1e300],
            [0.5, 1.5, 2.5, -1e300],
            [1.0, 1.0, 2.0, 1.0 - 2.0**-52],
            [0.25, 0.5, 0.75, 1.0 - 2.0**-52],
            [nan, 1.0, 1.0, -5.0],
            [1.0, 1.0, 1.0, nan],
        ]
    ).T
    parts.append(tuple(edge))
    return _concatenate(parts)


FUNCTIONS: list[Function] = [
    Function("hyp2f1_wide", _build("hyp2f1"), _mp_hyp2f1, _grid_hyp2f1_wide),
    Function("hyp2f1_mixed", _build("hyp2f1"), _mp_hyp2f1, _grid_hyp2f1_mixed),
]
