"""Run time of the decompositions of issue 13's second group: ONNX Runtime on the compiled QR
(Householder tir.loop), eigvalsh, svd(compute_uv=False) and pinv (Jacobi tir.loops run to
convergence) against PyTensor's default mode, same inputs, same run.

    python -m benchmarks.linalg_decompositions [--sizes 10 100] [--seconds 0.5]

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

SIZES = (10, 100)


def _graphs() -> dict[str, tuple[list, object]]:
    a = pt.matrix("a")
    return {
        "qr (R, full)": ([a], L.qr(a)[1]),
        "eigvalsh": ([a], L.eigvalsh(a)),
        "svd (values)": ([a], L.svd(a, compute_uv=False)),
        "pinv": ([a], L.pinv(a)),
    }


def _feeds(name: str, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    a = rng.normal(size=(n, n))
    return [a + a.T if name == "eigvalsh" else a]


if __name__ == "__main__":
    import sys

    if "--sizes" not in sys.argv:
        sys.argv += ["--sizes", *map(str, SIZES)]
    linalg.main(_graphs, _feeds, __doc__)
