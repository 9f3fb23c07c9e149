"""A graph mixing every op family (an MLP with indexing, reductions, softmax and matmul over a
symbolic batch dim): one model file, run at two batch sizes, matches PyTensor each time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytensor
import pytensor.tensor as pt
from pytensor.compile.mode import Mode
from pytensor.conditional.op import ifelse
from pytensor.graph.fg import FunctionGraph

from compiler import Compiler
from compiler.verify import compare_outputs, run_pytensor

RNG = np.random.default_rng(7)


def mlp() -> tuple[list, list]:
    x = pt.matrix("x", dtype="float32", shape=(None, 6))
    labels = pt.vector("labels", dtype="int64", shape=(None,))
    w1 = pytensor.shared(RNG.normal(size=(6, 8)).astype("float32") * 0.5, name="w1")
    b1 = pytensor.shared(RNG.normal(size=8).astype("float32"), name="b1")
    w2 = pytensor.shared(RNG.normal(size=(8, 4)).astype("float32") * 0.5, name="w2")
    h = pt.tanh(x @ w1 + b1)
    h = h * pt.sigmoid(h)  # SiLU
    logits = pt.dot(h[:, ::-1], w2[::-1]) - h.mean(axis=1, keepdims=True)
    probs = pt.special.softmax(logits, axis=-1)
    picked = probs[pt.arange(x.shape[0]), labels]  # advanced indexing
    loss = -pt.log(picked).mean()
    top = pt.argmax(probs, axis=1)
    gated = ifelse(loss > 1.0, probs.max(axis=1), probs.min(axis=1))
    summary = pt.concatenate([probs.sum(axis=0), pt.cumsum(probs[0], axis=0)])
    outputs = [probs, loss, top, gated, summary, x.reshape((x.shape[0], 2, 3)).sum(axis=(1, 2))]
    return [x, labels], outputs


def feeds(batch: int) -> list[np.ndarray]:
    return [
        RNG.normal(size=(batch, 6)).astype("float32"),
        RNG.integers(0, 4, size=batch).astype("int64"),
    ]


def check_batches(fgraph: FunctionGraph, tmp_path: Path) -> None:
    result = Compiler(dim_names={"x": {0: "batch"}, "labels": {0: "batch"}}).compile(fgraph)
    path = result.save(tmp_path / "mlp.onnx")
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert result.input_names == ["x", "labels"]
    for batch in (1, 5):
        inputs = feeds(batch)
        ours = session.run(None, dict(zip(result.input_names, inputs, strict=True)))
        reference = run_pytensor(fgraph, result.input_vars, inputs, mode="FAST_COMPILE")
        report = compare_outputs(result.output_names, ours, reference)
        assert report.ok, f"batch {batch}:\n{report}"


def test_mixed_mlp_raw_graph_two_batch_sizes(tmp_path: Path) -> None:
    _, outputs = mlp()
    check_batches(FunctionGraph(outputs=outputs, clone=True), tmp_path)


def test_mixed_mlp_rewritten_graph_two_batch_sizes(tmp_path: Path) -> None:
    inputs, outputs = mlp()
    fn = pytensor.function(inputs, outputs, mode=Mode(linker="py", optimizer="fast_run"))
    check_batches(fn.maker.fgraph, tmp_path)
