"""Compile time and memory against graph size: our compiler per phase, and pytensor.function.

    python -m benchmarks.scaling [--sizes 1000 10000 100000] [--shapes chain wide mlp]
                                 [--modes NUMBA FAST_COMPILE] [--timeout 600]

Each figure comes from a fresh process: build the graph (``benchmarks.graphs``), note the RSS
PyTensor holds for it, then compile (``Compiler().compile`` + ``to_onnx`` + ``to_bytes``) or
``pytensor.function`` it and note the peak RSS above that. A small graph of the same shape is
compiled first, so imports and caches are not counted.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pytensor.graph.fg import FunctionGraph

from benchmarks import graphs
from benchmarks._util import (
    Failed,
    fmt_mib,
    fmt_ratio,
    fmt_seconds,
    format_table,
    isolated,
    peak_rss_bytes,
    print_machine,
    reset_peak_rss,
    rss_bytes,
    timed,
)

SIZES = (1_000, 10_000, 100_000)
#: PyTensor modes timed: the default (NUMBA), and the cheapest compile there is.
MODES = ("NUMBA", "FAST_COMPILE")
WARM_UP_NODES = 100


@dataclass(frozen=True)
class GraphFigures:
    """A built graph: its node count, build time and the RSS PyTensor holds for it."""

    nodes: int
    build_seconds: float
    graph_bytes: int


@dataclass(frozen=True)
class CompileFigures:
    """One compile: wall seconds per phase, the totals, and peak memory."""

    graph: GraphFigures
    #: Phase → wall seconds, in order: frontend, each pass, verify, lowering, serialization,
    #: check (onnx.checker and the size check in to_onnx), to_bytes.
    phases: dict[str, float]
    pass_names: tuple[str, ...]
    compile_seconds: float
    to_onnx_seconds: float
    to_bytes_seconds: float
    #: CPU seconds of the whole compile (compile + to_onnx + to_bytes).
    cpu_seconds: float
    #: Peak RSS during the compile, above the RSS held once the graph was built.
    peak_bytes: int
    onnx_nodes: int

    @property
    def total_seconds(self) -> float:
        """Wall seconds of ``compile`` + ``to_onnx`` + ``to_bytes``."""
        return self.compile_seconds + self.to_onnx_seconds + self.to_bytes_seconds

    @property
    def passes_seconds(self) -> float:
        return sum(self.phases[name] for name in self.pass_names)


@dataclass(frozen=True)
class PyTensorFigures:
    """One ``pytensor.function`` compile in ``mode``: seconds and peak memory above the graph."""

    graph: GraphFigures
    mode: str
    seconds: float
    cpu_seconds: float
    peak_bytes: int


def _build(shape: str, nodes: int) -> tuple[FunctionGraph, GraphFigures]:
    """The graph, and what building it cost; the peak RSS starts again from here."""
    gc.collect()
    before = rss_bytes()
    fgraph, seconds, _ = timed(lambda: graphs.build(shape, nodes))
    gc.collect()
    figures = GraphFigures(len(fgraph.apply_nodes), seconds, rss_bytes() - before)
    reset_peak_rss()
    return fgraph, figures


def measure_compile(shape: str, nodes: int) -> CompileFigures:
    """Compile the ``shape`` graph of ``nodes`` nodes with the default options (the ONNX checker
    included) and time each phase."""
    from compiler import Compiler

    Compiler().compile(graphs.build(shape, WARM_UP_NODES)).to_bytes()
    fgraph, graph = _build(shape, nodes)
    base = rss_bytes()
    cpu_start = time.process_time()
    result, compile_seconds, _ = timed(lambda: Compiler().compile(fgraph))
    _, to_onnx_seconds, _ = timed(result.to_onnx)
    _, to_bytes_seconds, _ = timed(result.to_bytes)
    cpu_seconds = time.process_time() - cpu_start
    peak = peak_rss_bytes() - base
    stats = result.stats
    lowering = stats.lowering_seconds or 0.0
    serialization = stats.serialization_seconds or 0.0
    phases = {"frontend": stats.frontend_seconds}
    phases.update((p.name, p.seconds) for p in stats.passes)
    phases.update(
        verify=stats.verify_seconds,
        lowering=lowering,
        serialization=serialization,
        check=max(0.0, to_onnx_seconds - lowering - serialization),
        to_bytes=to_bytes_seconds,
    )
    return CompileFigures(
        graph=graph,
        phases=phases,
        pass_names=tuple(p.name for p in stats.passes),
        compile_seconds=compile_seconds,
        to_onnx_seconds=to_onnx_seconds,
        to_bytes_seconds=to_bytes_seconds,
        cpu_seconds=cpu_seconds,
        peak_bytes=peak,
        onnx_nodes=stats.onnx_nodes or 0,
    )


def measure_pytensor(shape: str, nodes: int, mode: str) -> PyTensorFigures:
    """``pytensor.function`` of the ``shape`` graph of ``nodes`` nodes in ``mode``."""
    import pytensor
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant

    def function(fgraph: FunctionGraph) -> object:
        inputs = [v for v in fgraph.inputs if not isinstance(v, SharedVariable | Constant)]
        return pytensor.function(inputs, fgraph.outputs, mode=mode)

    function(graphs.build(shape, WARM_UP_NODES))
    fgraph, graph = _build(shape, nodes)
    base = rss_bytes()
    _, seconds, cpu_seconds = timed(lambda: function(fgraph))
    return PyTensorFigures(graph, mode, seconds, cpu_seconds, peak_rss_bytes() - base)


# -- the run and its tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Every figure of one benchmark run."""

    sizes: tuple[int, ...]
    shapes: tuple[str, ...]
    modes: tuple[str, ...]
    compiles: dict[tuple[str, int], CompileFigures | Failed]
    pytensor: dict[tuple[str, int, str], PyTensorFigures | Failed]

    def measured(self) -> list[tuple[str, int, CompileFigures]]:
        """The compiles that finished, as (shape, size asked for, figures), in run order."""
        return [
            (shape, size, f)
            for (shape, size), f in self.compiles.items()
            if isinstance(f, CompileFigures)
        ]

    def nodes(self, shape: str, size: int) -> int:
        figures = self.compiles.get((shape, size))
        return figures.graph.nodes if isinstance(figures, CompileFigures) else size


def run(
    sizes: Sequence[int] = SIZES,
    shapes: Sequence[str] = tuple(graphs.SHAPES),
    modes: Sequence[str] = MODES,
    *,
    timeout: float | None = 600.0,
    isolate: bool = True,
    progress: bool = False,
) -> Run:
    """Measure every (shape, size): our compile, and ``pytensor.function`` in each mode."""
    compiles: dict[tuple[str, int], CompileFigures | Failed] = {}
    pytensor: dict[tuple[str, int, str], PyTensorFigures | Failed] = {}
    for shape in shapes:
        for size in sizes:
            ours = isolated(measure_compile, shape, size, timeout=timeout, isolate=isolate)
            compiles[shape, size] = ours
            _progress(progress, f"{shape} {size}: compile", ours)
            for mode in modes:
                theirs = isolated(
                    measure_pytensor, shape, size, mode, timeout=timeout, isolate=isolate
                )
                pytensor[shape, size, mode] = theirs
                _progress(progress, f"{shape} {size}: pytensor.function {mode}", theirs)
    return Run(tuple(sizes), tuple(shapes), tuple(modes), compiles, pytensor)


def _progress(enabled: bool, what: str, figures: object) -> None:
    if not enabled:
        return
    if isinstance(figures, CompileFigures):
        text = f"{fmt_seconds(figures.total_seconds)} (cpu {fmt_seconds(figures.cpu_seconds)})"
    elif isinstance(figures, PyTensorFigures):
        text = f"{fmt_seconds(figures.seconds)} (cpu {fmt_seconds(figures.cpu_seconds)})"
    else:
        text = str(figures)
    print(f"  {what}: {text}", flush=True)


def phase_table(r: Run) -> str:
    """Wall milliseconds per phase; the totals in seconds (wall and CPU)."""
    measured = r.measured()
    names = list(dict.fromkeys(name for _, _, f in measured for name in f.phases))
    rows = [
        [
            shape,
            f.graph.nodes,
            *(f"{f.phases.get(name, 0.0) * 1e3:.0f}" for name in names),
            f"{f.total_seconds:.2f}",
            f"{f.cpu_seconds:.2f}",
        ]
        for shape, _, f in measured
    ]
    failed = [
        f"{shape} {size}: {figures}"
        for (shape, size), figures in r.compiles.items()
        if isinstance(figures, Failed)
    ]
    headers = ["shape", "nodes", *names, "total s", "cpu s"]
    return "\n".join([format_table(headers, rows), *failed])


def per_node_table(r: Run) -> str:
    """Microseconds per PyTensor node by phase group, and the growth over the smallest size."""
    rows = []
    smallest: dict[str, tuple[float, float]] = {}
    for shape, _, f in r.measured():
        per_node = 1e6 / f.graph.nodes
        wall, cpu = f.total_seconds * per_node, f.cpu_seconds * per_node
        wall0, cpu0 = smallest.setdefault(shape, (wall, cpu))
        phases = f.phases
        rows.append(
            [
                shape,
                f.graph.nodes,
                f"{phases['frontend'] * per_node:.1f}",
                f"{f.passes_seconds * per_node:.1f}",
                f"{phases['verify'] * per_node:.1f}",
                f"{phases['lowering'] * per_node:.1f}",
                f"{(phases['serialization'] + phases['to_bytes']) * per_node:.1f}",
                f"{phases['check'] * per_node:.1f}",
                f"{wall:.1f}",
                f"{cpu:.1f}",
                f"{wall / wall0:.2f}",
                f"{cpu / cpu0:.2f}",
            ]
        )
    headers = [
        "shape",
        "nodes",
        "frontend",
        "passes",
        "verify",
        "lowering",
        "serialize",
        "check",
        "total",
        "cpu",
        "growth",
        "cpu growth",
    ]
    return format_table(headers, rows)


def pytensor_table(r: Run) -> str:
    """Our whole compile against ``pytensor.function``: seconds, and the ratio ours / theirs in
    wall and in CPU time (< 1: we compile faster)."""
    headers = ["shape", "nodes", "ours"]
    for mode in r.modes:
        headers += [f"pytensor {mode}", "ratio", "cpu ratio"]
    rows = []
    for shape in r.shapes:
        for size in r.sizes:
            ours = r.compiles.get((shape, size))
            row: list[object] = [shape, r.nodes(shape, size), _seconds_of(ours)]
            for mode in r.modes:
                theirs = r.pytensor.get((shape, size, mode))
                row += [_seconds_of(theirs), *_ratios(ours, theirs)]
            rows.append(row)
    return format_table(headers, rows)


def _seconds_of(figures: CompileFigures | PyTensorFigures | Failed | None) -> str:
    if isinstance(figures, CompileFigures):
        return fmt_seconds(figures.total_seconds)
    if isinstance(figures, PyTensorFigures):
        return fmt_seconds(figures.seconds)
    return "-" if figures is None else str(figures)


def _ratios(ours: object, theirs: object) -> tuple[str, str]:
    if not isinstance(ours, CompileFigures) or not isinstance(theirs, PyTensorFigures):
        return "-", "-"
    return (
        fmt_ratio(ours.total_seconds / theirs.seconds),
        fmt_ratio(ours.cpu_seconds / theirs.cpu_seconds),
    )


def memory_table(r: Run) -> str:
    """RSS PyTensor holds for the graph, and the peak above it during each compile."""
    headers = ["shape", "nodes", "graph (PyTensor)", "compile peak", "ratio"]
    headers += [f"pytensor {mode} peak" for mode in r.modes]
    rows = []
    for shape, size, f in r.measured():
        graph = f.graph.graph_bytes
        ratio = f.peak_bytes / graph if graph > 0 else None
        row: list[object] = [
            shape,
            f.graph.nodes,
            fmt_mib(graph),
            fmt_mib(f.peak_bytes),
            fmt_ratio(ratio),
        ]
        for mode in r.modes:
            theirs = r.pytensor.get((shape, size, mode))
            row.append(fmt_mib(theirs.peak_bytes) if isinstance(theirs, PyTensorFigures) else "-")
        rows.append(row)
    return format_table(headers, rows)


def report(r: Run) -> str:
    """Every table of a run, titled."""
    sections = [
        ("Compile time per phase (wall ms; totals: compile + to_onnx + to_bytes)", phase_table),
        (
            "Cost per PyTensor node (us; growth: per-node cost over the smallest graph's)",
            per_node_table,
        ),
        (
            "Against pytensor.function (ratio = ours / pytensor.function; < 1: faster)",
            pytensor_table,
        ),
        ("Memory (RSS; peaks are above the RSS held once the graph was built)", memory_table),
    ]
    return "\n\n".join(f"{title}\n\n{make(r)}" for title, make in sections)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument(
        "--shapes", nargs="+", choices=list(graphs.SHAPES), default=list(graphs.SHAPES)
    )
    parser.add_argument(
        "--modes",
        nargs="*",
        default=list(MODES),
        help="pytensor.function modes to time (none: skip PyTensor)",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds before one measurement is given up"
    )
    args = parser.parse_args(argv)
    print_machine()
    r = run(args.sizes, args.shapes, args.modes, timeout=args.timeout, progress=True)
    print()
    print(report(r))


if __name__ == "__main__":
    # Run the importable module, so that spawned measurements unpickle its classes.
    from benchmarks.scaling import main as _main

    _main()
