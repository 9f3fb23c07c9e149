"""Run time of the linear algebra: ONNX Runtime on the compiled Cholesky and solve_triangular
(a tir.loop over columns/rows) against PyTensor's default mode, same inputs, same run.

    python -m benchmarks.linalg [--sizes 10 100 500] [--seconds 0.5]

Each graph is compiled once and run in its ONNX Runtime session (CPU, default threads); PyTensor
runs ``pytensor.function`` in its default mode (NUMBA: LAPACK through scipy). Figures are median
wall times per call after a warm-up; the outputs are compared (max relative difference, normwise:
max |ONNX - PyTensor| / max |PyTensor|).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import onnxruntime as ort
import pytensor
import pytensor.tensor as pt
from pytensor.graph.fg import FunctionGraph
from pytensor.tensor import linalg as L

from benchmarks._util import fmt_seconds, format_table, median_seconds, print_machine
from compiler import Compiler

SIZES = (10, 100, 500)


def _spd(n: int, rng: np.random.Generator) -> np.ndarray:
    m = rng.normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


def _graphs() -> dict[str, tuple[list, object]]:
    a, b = pt.matrix("a"), pt.matrix("b")
    return {
        "cholesky": ([a], L.cholesky(a)),
        "solve_triangular": ([a, b], L.solve_triangular(a, b, lower=True)),
    }


def _feeds(name: str, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    a = _spd(n, rng)
    if name == "cholesky":
        return [a]
    return [np.linalg.cholesky(a), rng.normal(size=(n, 4))]


Graphs = Callable[[], dict[str, tuple[list, object]]]
Feeds = Callable[[str, int, np.random.Generator], list[np.ndarray]]


def measure(
    sizes: tuple[int, ...], seconds: float, graphs: Graphs | None = None, feeds: Feeds | None = None
) -> list[list[object]]:
    """One row per graph and size: ORT and PyTensor times and their normwise difference.
    ``graphs`` and ``feeds`` default to this module's (Cholesky, solve_triangular)."""
    graphs, feeds = graphs or _graphs, feeds or _feeds
    rng = np.random.default_rng(0)
    rows: list[list[object]] = []
    for name, (inputs, output) in graphs().items():
        result = Compiler().compile(FunctionGraph(inputs, [output], clone=True))
        session = ort.InferenceSession(
            result.to_onnx().SerializeToString(), providers=["CPUExecutionProvider"]
        )
        names = [i.name for i in session.get_inputs()]
        fn = pytensor.function(inputs, output)
        for n in sizes:
            values = feeds(name, n, rng)
            by_name = dict(zip(names, values, strict=True))
            ours = session.run(None, by_name)[0]
            theirs = fn(*values)
            diff = np.abs(ours - theirs).max() / np.abs(theirs).max()
            t_ort = median_seconds(lambda: session.run(None, by_name), min_seconds=seconds)
            t_pt = median_seconds(lambda: fn(*values), min_seconds=seconds)
            rows.append([name, n, fmt_seconds(t_ort), fmt_seconds(t_pt),
                         f"{t_pt / t_ort:.2f}x", f"{diff:.1e}"])  # fmt: skip
    return rows


def main(graphs: Graphs | None = None, feeds: Feeds | None = None, doc: str = __doc__) -> None:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--seconds", type=float, default=0.5)
    args = parser.parse_args()
    print_machine()
    headers = ["op", "n", "ONNX Runtime", "PyTensor (default mode)", "speedup", "max rel diff"]
    print(format_table(headers, measure(tuple(args.sizes), args.seconds, graphs, feeds)))


if __name__ == "__main__":
    main()
