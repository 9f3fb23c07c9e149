"""lowering/ort_kernels.py is the probe's table: written by tools/probe_ort_kernels.py, and what
the installed ONNX Runtime runs (spot-checked here by the probe's own one-node models)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from lowering.ort_kernels import ORT_KERNELS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def probe() -> ModuleType:
    spec = importlib.util.spec_from_file_location("probe", REPO / "tools" / "probe_ort_kernels.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_is_in_the_form_the_probe_writes(probe: ModuleType) -> None:
    text = (REPO / "lowering" / "ort_kernels.py").read_text()
    version = re.search(r"onnxruntime (\d+\.\d+)\)", text)
    assert version is not None
    assert probe.render_table(ORT_KERNELS, version.group(1)) == text


@pytest.mark.parametrize("op", ["Abs", "Atan", "Where", "ReduceMax", "MatMul", "Pad[edge]"])
def test_the_table_agrees_with_the_installed_onnx_runtime(probe: ModuleType, op: str) -> None:
    """Op/dtype pairs the lowering relies on, probed again: every pair in the table runs (a
    newer ONNX Runtime may run more, e.g. 1.32 adds uint16 BitShift; the table stays with the
    pairs the oldest probed release runs, so models keep loading there)."""
    runs = {dt for dt in probe.DTYPES if probe.probe(probe.CASES[op](dt))["status"] == "ok"}
    assert set(ORT_KERNELS[op]) <= runs
