"""Run time of the linear algebra: ONNX Runtime on the compiled Cholesky and solve_triangular
against PyTensor's default mode, same inputs, same run; each graph compiled in both forms,
blocked (a tir.loop over 16-column panels, ``slinalg.BLOCK_SIZE = 16``, the default) and the
column loops (one column/row per iteration, ``BLOCK_SIZE = 0``), measured side by side.

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

import compiler.frontend.slinalg as slinalg
from benchmarks._util import fmt_seconds, format_table, median_seconds, print_machine
from compiler import Compiler

SIZES = (10, 100, 500)

#: The forms compared, by name: slinalg.BLOCK_SIZE while compiling.
VARIANTS = {"blocked": 16, "column loop": 0}


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
    sizes: tuple[int, ...],
    seconds: float,
    graphs: Graphs | None = None,
    feeds: Feeds | None = None,
    variants: dict[str, int] | None = None,
) -> list[list[object]]:
    """One row per graph, size and variant: ORT and PyTensor times and their normwise
    difference. ``graphs`` and ``feeds`` default to this module's (Cholesky,
    solve_triangular); ``variants`` (name: slinalg.BLOCK_SIZE) to ``VARIANTS`` for this
    module's graphs and to the default form only for others'."""
    if variants is None:
        variants = VARIANTS if graphs is None else {"": slinalg.BLOCK_SIZE}
    graphs, feeds = graphs or _graphs, feeds or _feeds
    rng = np.random.default_rng(0)
    rows: list[list[object]] = []
    default_block = slinalg.BLOCK_SIZE
    for name, (inputs, output) in graphs().items():
        sessions = {}
        for variant, block in variants.items():
            slinalg.BLOCK_SIZE = block
            try:
                result = Compiler().compile(FunctionGraph(inputs, [output], clone=True))
            finally:
                slinalg.BLOCK_SIZE = default_block
            sessions[variant] = ort.InferenceSession(
                result.to_onnx().SerializeToString(), providers=["CPUExecutionProvider"]
            )
        fn = pytensor.function(inputs, output)
        for n in sizes:
            values = feeds(name, n, rng)
            theirs = fn(*values)
            t_pt = median_seconds(lambda: fn(*values), min_seconds=seconds)
            for variant, session in sessions.items():
                names = [i.name for i in session.get_inputs()]
                by_name = dict(zip(names, values, strict=True))
                ours = session.run(None, by_name)[0]
                diff = np.abs(ours - theirs).max() / np.abs(theirs).max()
                t_ort = median_seconds(lambda: session.run(None, by_name), min_seconds=seconds)
                label = f"{name} ({variant})" if variant else name
                rows.append([label, n, fmt_seconds(t_ort), fmt_seconds(t_pt),
                             f"{t_pt / t_ort:.2f}x", f"{diff:.1e}"])  # fmt: skip
    return rows


def main(
    graphs: Graphs | None = None,
    feeds: Feeds | None = None,
    doc: str = __doc__,
    variants: dict[str, int] | None = None,
) -> None:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--seconds", type=float, default=0.5)
    args = parser.parse_args()
    print_machine()
    headers = ["op", "n", "ONNX Runtime", "PyTensor (default mode)", "speedup", "max rel diff"]
    rows = measure(tuple(args.sizes), args.seconds, graphs, feeds, variants)
    print(format_table(headers, rows))


if __name__ == "__main__":
    main()
