"""Smoke tests of the benchmark scripts: tiny sizes, in this process, tables checked for their
rows and columns. No timing is asserted (performance lives in ``benchmarks/``)."""

from __future__ import annotations

import pytest

from benchmarks import graphs, runtime, scaling
from benchmarks._util import Failed, format_table, isolated
from passes import DEFAULT_PIPELINE

SIZE = 60


def _rows(table: str) -> list[list[str]]:
    """The body cells of a Markdown table."""
    lines = table.splitlines()
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def _header(table: str) -> list[str]:
    return [cell.strip() for cell in table.splitlines()[0].strip("|").split("|")]


@pytest.mark.parametrize("shape", sorted(graphs.SHAPES))
def test_graph_builders_make_about_the_asked_node_count(shape: str) -> None:
    fgraph = graphs.build(shape, 200)
    assert abs(len(fgraph.apply_nodes) - 200) <= 3
    assert fgraph.outputs


@pytest.fixture(scope="module")
def scaling_run() -> scaling.Run:
    return scaling.run(sizes=(SIZE,), modes=("FAST_COMPILE",), isolate=False)


def test_scaling_measures_every_shape(scaling_run: scaling.Run) -> None:
    assert set(scaling_run.compiles) == {(shape, SIZE) for shape in graphs.SHAPES}
    for figures in [*scaling_run.compiles.values(), *scaling_run.pytensor.values()]:
        assert not isinstance(figures, Failed), figures


def test_phase_table_has_a_column_per_phase_and_pass(scaling_run: scaling.Run) -> None:
    table = scaling.phase_table(scaling_run)
    header = _header(table)
    assert header[:3] == ["shape", "nodes", "frontend"]
    assert [name for name in header if name in DEFAULT_PIPELINE] == list(DEFAULT_PIPELINE)
    for phase in ("verify", "lowering", "serialization", "check", "to_bytes", "total s", "cpu s"):
        assert phase in header
    assert [row[0] for row in _rows(table)] == list(graphs.SHAPES)


def test_per_node_pytensor_and_memory_tables(scaling_run: scaling.Run) -> None:
    per_node = scaling.per_node_table(scaling_run)
    assert {"frontend", "passes", "lowering", "serialize", "total", "growth"} <= set(
        _header(per_node)
    )
    assert all(row[-2] == "1.00" for row in _rows(per_node))  # one size: growth over itself

    against = scaling.pytensor_table(scaling_run)
    assert _header(against) == [
        "shape",
        "nodes",
        "ours",
        "pytensor FAST_COMPILE",
        "ratio",
        "cpu ratio",
    ]
    assert all(float(row[4]) > 0 for row in _rows(against))

    memory = scaling.memory_table(scaling_run)
    assert _header(memory)[2:5] == ["graph (PyTensor)", "compile peak", "ratio"]
    assert len(_rows(memory)) == len(graphs.SHAPES)
    assert "Memory" in scaling.report(scaling_run)


def test_runtime_table_has_a_row_per_model_and_batch() -> None:
    figures = runtime.run(
        mlp_batches=(1, 3), cnn_batches=(2,), min_seconds=0.0, mode="FAST_COMPILE"
    )
    table = runtime.table(figures)
    assert _header(table) == [
        "model",
        "batch",
        "ONNX Runtime",
        "PyTensor (default mode)",
        "speedup",
        "max abs diff",
    ]
    rows = _rows(table)
    assert [row[:2] for row in rows if row[0] == "MLP"] == [["MLP", "1"], ["MLP", "3"]]
    cnn = [row for row in rows if row[0] == "CNN"]
    # The CNN needs conv/pool lowering: until it lands, one row says why instead.
    assert [row[1] for row in cnn] in (["2"], ["-"])
    for row in rows:
        if row[1] != "-":
            assert float(row[5]) < 1e-4  # both runtimes compute the same numbers


def test_isolated_reports_errors_instead_of_raising() -> None:
    assert isolated(int, "12", isolate=False) == 12
    failed = isolated(int, "twelve", isolate=False)
    assert isinstance(failed, Failed) and failed.reason.startswith("ValueError")


def test_format_table_aligns_numbers_right() -> None:
    table = format_table(["name", "ms"], [["a", "1.5"], ["long name", "12"]])
    assert table.splitlines() == [
        "| name      |  ms |",
        "|-----------|----:|",
        "| a         | 1.5 |",
        "| long name |  12 |",
    ]
