"""Large models: weights in ``<model>.onnx.data`` (ONNX external data), saved atomically."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytensor
import pytensor.tensor as pt
import pytest
from onnx import TensorProto, helper, numpy_helper
from pytensor.graph.fg import FunctionGraph

import compiler.driver
from compiler import CompileError, Compiler, CompileResult
from compiler.external_data import ALIGNMENT, MIN_EXTERNAL_BYTES, with_external_data

#: A threshold far below the test model's size (about 70 KB of weights).
LOW = 10_000


def model_result(seed: int = 0) -> CompileResult:
    """Two float32 weights (64 KiB and 256 B), an int64 index table of 2 KiB, a reshape."""
    rng = np.random.default_rng(seed)
    x = pt.matrix("x", dtype="float32", shape=(None, 128))
    big = pytensor.shared(rng.normal(size=(128, 128)).astype("float32"), name="big")
    small = pytensor.shared(rng.normal(size=64).astype("float32"), name="small")
    index = pytensor.shared(np.tile(rng.permutation(128), 2).astype("int64"), name="index")
    h = pt.tanh(x @ big).reshape((x.shape[0], 2, 64)) + small
    y = h.reshape((x.shape[0], 128))[:, index[:128]]
    y.name = "y"
    return Compiler().compile(FunctionGraph(outputs=[y], clone=False))


def external_tensors(path: Path) -> dict[str, dict[str, str]]:
    model = onnx.load(str(path), load_external_data=False)
    return {
        t.name: {e.key: e.value for e in t.external_data}
        for t in model.graph.initializer
        if t.data_location == TensorProto.EXTERNAL
    }


def test_large_model_is_saved_with_external_data(tmp_path: Path):
    result = model_result()
    path = result.save(tmp_path / "model.onnx", external_data_threshold=LOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx", "model.onnx.data"]
    external = external_tensors(path)
    assert list(external) == ["big"]  # the small weight and the int64 table stay inline
    assert external["big"] == {"location": "model.onnx.data", "offset": "0", "length": "65536"}
    assert path.stat().st_size < LOW
    onnx.checker.check_model(str(path), full_check=True)

    x = np.random.default_rng(1).normal(size=(3, 128)).astype("float32")
    (from_files,) = ort.InferenceSession(str(path)).run(["y"], {"x": x})
    (in_memory,) = result.run(x)
    np.testing.assert_array_equal(from_files, in_memory)
    assert result.verify(x).ok
    loaded = onnx.load(str(path))  # the weights read back are the model's, bit for bit
    weights = {t.name: numpy_helper.to_array(t) for t in loaded.graph.initializer}
    original = {t.name: numpy_helper.to_array(t) for t in result.to_onnx().graph.initializer}
    assert weights.keys() == original.keys()
    for name, array in original.items():
        np.testing.assert_array_equal(weights[name], array)


def test_small_model_stays_one_file_and_stale_data_is_removed(tmp_path: Path):
    result = model_result()
    path = result.save(tmp_path / "model.onnx", external_data_threshold=LOW)
    assert (tmp_path / "model.onnx.data").exists()
    result.save(path)  # default threshold: protobuf's 2 GB limit
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]
    assert path.read_bytes() == result.to_bytes() and not external_tensors(path)


def test_saving_is_deterministic(tmp_path: Path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        model_result().save(tmp_path / folder / "m.onnx", external_data_threshold=LOW)
    for name in ("m.onnx", "m.onnx.data"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_failed_save_leaves_both_old_files_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "model.onnx"
    model_result(seed=0).save(path, external_data_threshold=LOW)
    old = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_replace = os.replace

    def replace_failing_on_model(src, dst):
        if Path(dst) == path:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_failing_on_model)
    with pytest.raises(OSError, match="disk full"):  # the data file was already in place
        model_result(seed=1).save(path, external_data_threshold=LOW)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == old  # no staging left
    x = np.ones((2, 128), dtype="float32")
    (y,) = ort.InferenceSession(str(path)).run(["y"], {"x": x})
    np.testing.assert_array_equal(y, model_result(seed=0).run(x)[0])


def test_failure_while_writing_data_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old model")

    def failing(*args, **kwargs):
        raise OSError("no space left")

    monkeypatch.setattr(compiler.driver, "with_external_data", failing)
    with pytest.raises(OSError, match="no space left"):
        model_result().save(path, external_data_threshold=LOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]
    assert path.read_bytes() == b"old model"


def test_model_past_protobuf_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Past the limit (lowered here): external data whatever the threshold, the checker runs
    on the files, there are no bytes, and ONNX Runtime still runs the model."""
    monkeypatch.setattr(compiler.driver, "PROTOBUF_LIMIT", LOW)
    checked = []
    real_check = onnx.checker.check_model

    def spy(model, *args, **kwargs):
        checked.append(model if isinstance(model, str) else "in memory")
        return real_check(model, *args, **kwargs)

    monkeypatch.setattr(onnx.checker, "check_model", spy)
    result = model_result()
    path = result.save(tmp_path / "model.onnx", external_data_threshold=10**12)
    assert list(external_tensors(path)) == ["big"]
    assert len(checked) == 1 and checked[0].endswith("model.onnx")  # the staged file
    with pytest.raises(CompileError, match="past protobuf's 2 GB limit"):
        result.to_bytes()
    x = np.ones((2, 128), dtype="float32")
    (expected,) = ort.InferenceSession(str(path)).run(["y"], {"x": x})
    np.testing.assert_array_equal(result.run(x)[0], expected)


def test_subgraph_weights_are_external_too_and_aligned(tmp_path: Path):
    """Initializers of an If branch go to the data file; offsets are aligned."""
    ones = np.ones(300, dtype="float32")  # 1200 bytes
    twos = np.full(500, 2, dtype="float32")
    branch = helper.make_graph(
        [helper.make_node("Add", ["x", "w_then"], ["y_then"])], "then", [],
        [helper.make_tensor_value_info("y_then", TensorProto.FLOAT, [300])],
        initializer=[numpy_helper.from_array(ones, "w_then")],
    )  # fmt: skip
    other = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y_else"])], "else", [],
        [helper.make_tensor_value_info("y_else", TensorProto.FLOAT, [300])],
    )  # fmt: skip
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w_main"], ["z"]),
         helper.make_node("If", ["c"], ["y"], then_branch=branch, else_branch=other)],
        "main",
        [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
         helper.make_tensor_value_info("x", TensorProto.FLOAT, [300])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [300]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [500])],
        initializer=[numpy_helper.from_array(twos[:300], "w_main"),
                     numpy_helper.from_array(twos, "unused")],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)
    before = model.SerializeToString()
    with open(tmp_path / "m.onnx.data", "wb") as f:
        header = with_external_data(model, f, "m.onnx.data")
    assert model.SerializeToString() == before  # the model itself is not changed
    (tmp_path / "m.onnx").write_bytes(header.SerializeToString())
    offsets = {
        t.name: int(next(e.value for e in t.external_data if e.key == "offset"))
        for g in (header.graph, helper.get_node_attr_value(header.graph.node[1], "then_branch"))
        for t in g.initializer
    }
    assert offsets == {"w_main": 0, "unused": 1216, "w_then": 3264}
    assert all(o % ALIGNMENT == 0 for o in offsets.values()) and MIN_EXTERNAL_BYTES <= 1200
    y, z = ort.InferenceSession(str(tmp_path / "m.onnx")).run(
        ["y", "z"], {"c": np.array(True), "x": np.zeros(300, dtype="float32")}
    )
    np.testing.assert_array_equal(y, ones)
    np.testing.assert_array_equal(z, twos[:300])
