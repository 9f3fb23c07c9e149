"""``pytensor.function(..., mode="ONNX")``: compiled by this compiler, run in ONNX Runtime."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import Mode
from pytensor.tensor.blas import Dot22, Gemm, Gemv
from pytensor.tensor.elemwise import Elemwise

from compiler import CompileOptions, CompileResult, UnsupportedOpError
from compiler.mode import ONNX_MODE, ONNXLinker, compiled_result, onnx_mode, session_options

RNG = np.random.default_rng(0)


def test_mode_by_name_runs_the_compiled_model(monkeypatch: pytest.MonkeyPatch):
    calls = []
    original_run = ort.InferenceSession.run

    def counting_run(self, *args, **kwargs):
        calls.append(self)
        return original_run(self, *args, **kwargs)

    monkeypatch.setattr(ort.InferenceSession, "run", counting_run)
    x = pt.matrix("x")
    y = pt.special.softmax(x, axis=-1) * pt.exp(x).sum()
    f = pytensor.function([x], y, mode="ONNX")
    value = RNG.normal(size=(3, 4))
    expected = pytensor.function([x], y, mode="FAST_COMPILE")(value)
    np.testing.assert_allclose(f(value), expected, rtol=1e-12)
    f(value)
    result = compiled_result(f)
    assert isinstance(result, CompileResult)
    assert calls == [result.session()] * 2  # each call ran the model in ONNX Runtime
    assert {n.op_type for n in result.to_onnx().graph.node} >= {"Exp", "ReduceSum"}


def test_shared_variables_are_read_on_every_call():
    w = pytensor.shared(np.array([1.0, 2.0]), name="w")
    x = pt.vector("x")
    f = pytensor.function([x], x * w, mode=ONNX_MODE)
    np.testing.assert_array_equal(f([1.0, 1.0]), [1.0, 2.0])
    w.set_value(np.array([-3.0, 5.0]))
    np.testing.assert_array_equal(f([1.0, 1.0]), [-3.0, 5.0])
    assert compiled_result(f).input_names == ["x", "w"]  # weights are inputs, not constants


def sgd_step(mode: str | Mode) -> tuple[list[float], np.ndarray, np.ndarray]:
    """Three steps of logistic regression by gradient descent; the losses and final weights."""
    rng = np.random.default_rng(1)
    w = pytensor.shared(rng.normal(size=(4, 3)), name="w")
    b = pytensor.shared(np.zeros(3), name="b")
    x, labels = pt.matrix("x"), pt.ivector("labels")
    p = pt.special.softmax(x @ w + b, axis=-1)
    loss = -pt.mean(pt.log(p[pt.arange(labels.shape[0]), labels]))
    gw, gb = pytensor.grad(loss, [w, b])
    step = pytensor.function([x, labels], loss, updates={w: w - 0.5 * gw, b: b - 0.5 * gb},
                             mode=mode)  # fmt: skip
    data, classes = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8).astype("int32")
    losses = [float(step(data, classes)) for _ in range(3)]
    return losses, w.get_value(), b.get_value()


def test_updates_train_like_pytensor():
    losses, w, b = sgd_step(ONNX_MODE)
    ref_losses, ref_w, ref_b = sgd_step("FAST_COMPILE")
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-12)
    assert losses[2] < losses[0]  # it learns
    np.testing.assert_allclose(w, ref_w, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(b, ref_b, rtol=1e-12, atol=1e-15)


def test_counter_with_updates_only():
    count = pytensor.shared(np.int64(0), name="count")
    tick = pytensor.function([], [], updates={count: count + 2}, mode=ONNX_MODE)
    for _ in range(3):
        tick()
    assert count.get_value() == 6
    pytensor.function([], [], mode=ONNX_MODE)()  # nothing to compute: no model at all


def test_graph_stays_free_of_c_blas_inplace_and_fused_ops():
    a, b = pt.matrix("a"), pt.matrix("b")
    v = pt.vector("v")
    outs = [2 * a @ b + a, a @ v, pt.exp(a) * pt.sin(a) + pt.tanh(b) ** 2]
    f = pytensor.function([a, b, v], outs, mode=ONNX_MODE)
    nodes = f.maker.fgraph.apply_nodes
    assert not any(getattr(n.op, "destroy_map", None) for n in nodes)
    assert not any(isinstance(n.op, Gemm | Gemv | Dot22) for n in nodes)
    assert not any(
        isinstance(n.op, Elemwise) and type(n.op.scalar_op).__name__ == "Composite" for n in nodes
    )
    args = [RNG.normal(size=(3, 3)), RNG.normal(size=(3, 3)), RNG.normal(size=3)]
    expected = pytensor.function([a, b, v], outs, mode="FAST_COMPILE")(*args)
    for got, want in zip(f(*args), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_stabilizing_rewrites_are_kept():
    """fast_run's stabilization turns log(sigmoid(x)) into -softplus(-x): finite at -800."""
    x = pt.vector("x")
    f = pytensor.function([x], pt.log(pt.sigmoid(x)), mode=ONNX_MODE)
    np.testing.assert_allclose(f(np.array([-800.0, 0.0])), [-800.0, np.log(0.5)], rtol=1e-12)


def test_output_that_is_an_input_and_repeated_outputs():
    x = pt.vector("x")
    f = pytensor.function([x], [x, x * 2, x * 2], mode=ONNX_MODE)
    a, b, c = f(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(a, [1.0, 2.0])
    np.testing.assert_array_equal(b, [2.0, 4.0])
    np.testing.assert_array_equal(c, [2.0, 4.0])


def test_unsupported_ops_fail_at_compile_time_pointing_at_the_user():
    x = pt.matrix("x")
    y = pt.linalg.schur(x)[0]  # the line the error must show
    with pytest.raises(UnsupportedOpError) as info:
        pytensor.function([x], y, mode=ONNX_MODE)
    message = str(info.value)
    assert "Schur" in message
    assert __file__ in message
    assert "y = pt.linalg.schur(x)[0]  # the line the error must show" in message


def test_linker_by_name_and_options_survive_copies():
    x = pt.vector("x")
    f = pytensor.function([x], pt.exp(x) + 1, mode=Mode(linker="onnx", optimizer="fast_run"))
    np.testing.assert_allclose(f([0.0]), [2.0])
    mode = onnx_mode(provenance=False)
    linker = mode.linker
    assert isinstance(linker, ONNXLinker) and linker.options.shared_as_inputs
    g = pytensor.function([x], x * 3, mode=mode)
    h = pytensor.function([x], x - 3, mode=mode)
    for fn in (g, h):
        assert not any(n.metadata_props for n in compiled_result(fn).to_onnx().graph.node)
    # A linker already bound to a graph binds a copy to the next one, options kept.
    first = ONNXLinker(CompileOptions(provenance=False)).accept(g.maker.fgraph)
    second = first.accept(h.maker.fgraph)
    assert second is not first and second.options == first.options


def test_compiled_result_of_other_functions_is_refused():
    x = pt.vector("x")
    with pytest.raises(TypeError, match="not a pytensor function compiled with an ONNX mode"):
        compiled_result(pytensor.function([x], x + 1, mode="FAST_COMPILE"))


def test_small_graphs_run_on_one_thread_others_on_ort_default():
    small, large = pt.vector("s", shape=(8,)), pt.vector("l", shape=(1 << 15,))
    unknown = pt.vector("u")
    threads = {}
    for name, x in (("small", small), ("large", large), ("unknown", unknown)):
        f = pytensor.function([x], pt.exp(x) * 2, mode=ONNX_MODE)
        result = compiled_result(f)
        threads[name] = session_options(result.module).intra_op_num_threads
        value = RNG.normal(size=x.type.shape[0] or 5)
        np.testing.assert_allclose(f(value), np.exp(value) * 2, rtol=1e-15)
        np.testing.assert_allclose(f(list(value)), np.exp(value) * 2, rtol=1e-15)  # converted
    assert threads == {"small": 1, "large": 0, "unknown": 0}
    assert session_options(compiled_result(f).module, 3).intra_op_num_threads == 3
