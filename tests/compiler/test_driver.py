"""The driver: options, stages and dumps, saving, running, verifying, determinism."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnx
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.graph.fg import FunctionGraph

from compiler import CompileError, Compiler
from compiler.verify import compare_outputs
from ir.parser import parse_module
from ir.printer import print_module
from passes import DEFAULT_PIPELINE

REPO = Path(__file__).resolve().parents[2]


def small_graph() -> FunctionGraph:
    x = pt.matrix("x", dtype="float32")
    w = pytensor.shared(np.arange(3, dtype="float32"), name="w")
    y = (x * w + 2).dimshuffle(1, "x", 0) * pt.sigmoid(x.T.dimshuffle(0, "x", 1))
    z = pt.sigmoid(x) * x
    y.name, z.name = "y", "z"
    return FunctionGraph(outputs=[y, z], clone=False)


def test_print_ir_after_all_shows_every_stage() -> None:
    stream = io.StringIO()
    Compiler(print_ir_after_all=True, ir_stream=stream).compile(small_graph())
    text = stream.getvalue()
    assert "IR Dump Before Pipeline (input)" in text
    for name in DEFAULT_PIPELINE:
        assert f"IR Dump After {name}" in text


def test_print_ir_after_change_skips_unchanged_passes() -> None:
    stream = io.StringIO()
    Compiler(print_ir_after_all=True, print_ir_after_change=True, ir_stream=stream).compile(
        small_graph()
    )
    assert "IR Dump After dce" not in stream.getvalue()  # nothing dead is left by then
    assert "IR Dump After fuse-silu" in stream.getvalue()


def test_dumps_parse_back_to_same_text(tmp_path: Path) -> None:
    result = Compiler(keep_dumps=True, dump_dir=tmp_path).compile(small_graph())
    assert list(result.dumps) == [
        f"{i:02d}-{n}" for i, n in enumerate(("input", *DEFAULT_PIPELINE))
    ]
    for name, text in result.dumps.items():
        assert print_module(parse_module(text)) == text
        assert (tmp_path / f"{name}.tir").read_text() == text
    assert result.dumps[f"{len(DEFAULT_PIPELINE):02d}-dce"] == print_module(result.module)


def test_stop_after_leaves_module_at_that_stage() -> None:
    result = Compiler(stop_after="lower-dimshuffle").compile(small_graph())
    names = {op.NAME for op in result.module.func.ops}
    assert "tir.dimshuffle" not in names and "tir.silu" not in names
    assert [s.name for s in result.stats.passes] == ["lower-dimshuffle"]


def test_bad_options_fail_early() -> None:
    with pytest.raises(ValueError, match="unknown passes"):
        Compiler(pipeline=("dce", "no-such-pass"))
    with pytest.raises(CompileError, match="opset 17"):
        Compiler(opset=17)
    with pytest.raises(CompileError, match="ir_version 14"):
        Compiler(ir_version=14)
    with pytest.raises(CompileError, match="stop_after"):
        Compiler(stop_after="fuse-silu", pipeline=("dce",))
    with pytest.raises(CompileError, match="FunctionGraph"):
        Compiler().compile([pt.vector()])


def test_ir_version_pinned_and_configurable() -> None:
    assert Compiler().compile(small_graph()).to_onnx().ir_version == 8
    model = Compiler(ir_version=10).compile(small_graph()).to_onnx()
    assert model.ir_version == 10
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 18)]


def test_model_metadata_and_provenance() -> None:
    model = Compiler().compile(small_graph()).to_onnx()
    assert model.producer_name and model.producer_version and model.graph.doc_string
    origins = {
        p.value for n in model.graph.node for p in n.metadata_props if p.key == "pytensor_op"
    }
    assert any("Sigmoid" in o for o in origins)
    bare = Compiler(provenance=False).compile(small_graph()).to_onnx()
    assert not any(n.metadata_props for n in bare.graph.node)


def test_weights_inside_model_by_default() -> None:
    model = Compiler().compile(small_graph()).to_onnx()
    assert [i.name for i in model.graph.input] == ["x"]
    assert "w" in {t.name for t in model.graph.initializer}


def test_shared_as_inputs_defaults_to_current_value() -> None:
    result = Compiler(shared_as_inputs=True).compile(small_graph())
    assert result.input_names == ["x", "w"]
    x = np.ones((2, 3), dtype="float32")
    default = result.run(x)
    explicit = result.run(x, np.arange(3, dtype="float32"))
    for a, b in zip(default, explicit, strict=True):
        np.testing.assert_array_equal(a, b)
    assert result.verify(x, np.full(3, 7, dtype="float32"), mode="FAST_COMPILE").ok


def test_run_by_name_and_errors() -> None:
    result = Compiler().compile(small_graph())
    x = np.ones((2, 3), dtype="float32")
    for by_position, by_name in zip(result.run(x), result.run(x=x), strict=True):
        np.testing.assert_array_equal(by_position, by_name)
    with pytest.raises(CompileError, match="no input 'q'"):
        result.run(q=x)
    with pytest.raises(CompileError, match="missing model inputs"):
        result.run()


def test_verify_reports_mismatch() -> None:
    good = np.array([1.0, 2.0], dtype="float32")
    report = compare_outputs(["y"], [good + np.float32(1e-3)], [good])
    assert not report.ok and "MISMATCH" in str(report)
    assert compare_outputs(["y"], [good], [good]).ok
    nan = np.array([np.nan], dtype="float32")
    assert not compare_outputs(["y"], [np.zeros(1, "float32")], [nan]).ok
    assert not compare_outputs(["y"], [good.astype("float64")], [good]).ok
    assert not compare_outputs(["i"], [np.array([1, 2])], [np.array([1, 3])]).ok


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = Compiler().compile(small_graph())
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old model")

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        result.save(path)
    assert path.read_bytes() == b"old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]
    monkeypatch.undo()
    result.save(path)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_unwritable_path_leaves_nothing(tmp_path: Path) -> None:
    result = Compiler().compile(small_graph())
    with pytest.raises(OSError):
        result.save(tmp_path / "missing-dir" / "model.onnx")
    assert list(tmp_path.iterdir()) == []


SCRIPT = textwrap.dedent(
    """
    import hashlib, sys
    sys.path.insert(0, {repo!r})
    from tests.compiler.test_driver import small_graph
    from compiler import Compiler
    print(hashlib.sha256(Compiler().compile(small_graph()).to_bytes()).hexdigest())
    """
)


def test_two_processes_give_identical_bytes() -> None:
    script = SCRIPT.format(repo=str(REPO))
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    digests = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(digests) == 1 and len(next(iter(digests))) == 64
