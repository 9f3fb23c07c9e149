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


def _envelope_from_8(x: float) -> float:
    """sqrt(2/(π|x|)) where j0/j1 are P cos χ - Q sin χ (|x| >= 8), else 0 (relative)."""
    a = abs(x)
    return math.sqrt(2.0 / (math.pi * a)) if 8.0 <= a < math.inf else 0.0


FUNCTIONS: list[Function] = [
    Function("i0", _build("i0"), lambda x: mp.besseli(0, x), _grid_i),
    Function("i1", _build("i1"), lambda x: mp.besseli(1, x), _grid_i),
    Function("j0", _build("j0"), lambda x: mp.besselj(0, x), _grid_j(_J0_ZEROS), _envelope_from_8),
    Function("j1", _build("j1"), lambda x: mp.besselj(1, x), _grid_j(_J1_ZEROS), _envelope_from_8),
]
