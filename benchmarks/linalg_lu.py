"""Run time of the LU-based linear algebra: ONNX Runtime on the compiled solve (assume_a='gen')
and det (LU with partial pivoting, a tir.loop over columns; the solve's two triangular solves
blocked or column loops, ``benchmarks.linalg.VARIANTS``, side by side) against PyTensor's
default mode, same inputs, same run.

    python -m benchmarks.linalg_lu [--sizes 10 100 500] [--seconds 0.5]

Each graph is compiled once and run in its ONNX Runtime session (CPU, default threads); PyTensor
runs ``pytensor.function`` in its default mode (NUMBA: LAPACK through scipy). Figures are median
wall times per call after a warm-up; the outputs are compared (max relative difference, normwise:
max |ONNX - PyTensor| / max |PyTensor|). The timing loop is ``benchmarks.linalg``'s.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor import linalg as L

from benchmarks import linalg


def _general(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(size=(n, n)) + np.sqrt(n) * np.eye(n)


def _graphs() -> dict[str, tuple[list, object]]:
    a, b = pt.matrix("a"), pt.matrix("b")
    return {
        "det": ([a], L.det(a)),
        "solve": ([a, b], L.solve(a, b)),
    }


def _feeds(name: str, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    a = _general(n, rng)
    if name == "det":
        return [a]
    return [a, rng.normal(size=(n, 4))]


if __name__ == "__main__":
    linalg.main(_graphs, _feeds, __doc__, linalg.VARIANTS)
