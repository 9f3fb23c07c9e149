"""CompileResult.verify on random inputs (issue 15, item 8, and PyTensor scalar outputs):
unknown dims get the sizes the graph fixes, ``input_shapes`` gives the others, and inputs
PyTensor itself cannot take are a ``VerifyInputError`` naming the shapes, not a crash."""

from __future__ import annotations

import re

import numpy as np
import pytensor
import pytensor.scalar as ps
import pytensor.tensor as pt
import pytest
from pytensor.graph.fg import FunctionGraph

from compiler import CompileError, Compiler, OptionError
from compiler.cli import graph_of
from compiler.input_shapes import infer_input_dims
from compiler.verify import VerifyInputError

W = np.arange(32, dtype="float64").reshape(4, 8) / 10


def compiled(inputs, outputs, **options):
    """Compiled with shared variables (weights) found by themselves, as ``ptonnx`` does."""
    return Compiler(**options).compile(graph_of((inputs, outputs)))


def shapes_of(result, given=None) -> dict[str, tuple[int, ...]]:
    return {s.name: s.shape for s in result.random_input_shapes(given)}


def test_matrix_fed_to_a_weight_gets_the_weights_inner_size():
    x = pt.matrix("x")
    v = pt.vector("v")
    result = compiled([x, v], [pt.tanh(x @ pytensor.shared(W)) + v])
    assert shapes_of(result) == {"x": (2, 4), "v": (8,)}
    report = result.verify(mode="FAST_COMPILE")
    assert report.ok, str(report)


def test_sizes_from_gufunc_signatures_dimshuffles_and_broadcasting():
    t = pt.tensor3("t")  # batched matmul: Blockwise (b, m, k) @ (k, n)
    u = pt.vector("u")  # broadcast against the last axis (n)
    s = pt.matrix("s")  # transposed, then added to a (3, 5) constant
    out = (t @ pt.as_tensor(np.ones((5, 3)))) * u[None, None, :]
    other = s.T + pt.as_tensor(np.ones((3, 5)))
    result = compiled([t, u, s], [out, other])
    assert shapes_of(result) == {"t": (2, 2, 5), "u": (3,), "s": (5, 3)}
    assert result.verify(mode="FAST_COMPILE").ok


def test_dims_with_one_name_get_one_size_and_static_dims_stay():
    x = pt.matrix("x")
    y = pt.matrix("y", shape=(None, 3))
    result = compiled([x, y], [x.sum(0), y.sum(0)], dim_names={"x": {0: "n"}, "y": {0: "n"}})
    assert shapes_of(result, {"y": (6, 3)}) == {"x": (6, 2), "y": (6, 3)}
    assert result.verify(input_shapes={"y": (6, 3)}, mode="FAST_COMPILE").ok


def test_joined_parts_share_their_other_axes():
    a, b = pt.matrix("a"), pt.matrix("b")
    out = pt.concatenate([a, b], axis=0) @ pytensor.shared(W)
    result = compiled([a, b], [out])
    assert shapes_of(result) == {"a": (2, 4), "b": (2, 4)}
    assert result.verify(mode="FAST_COMPILE").ok


def test_inference_reads_static_shapes_only_where_they_bind():
    """Elemwise against a static 1 broadcasts: it does not fix the other dim."""
    x = pt.matrix("x")
    out = x + pt.as_tensor(np.ones((1, 7)))
    fgraph = FunctionGraph([x], [out], clone=False)
    assert {(v.name, a): n for (v, a), n in infer_input_dims(fgraph).items()} == {("x", 1): 7}


def test_inputs_pytensor_cannot_take_are_an_input_error():
    x = pt.vector("x")
    result = compiled([x], [x.reshape((2, 4)) @ pytensor.shared(W)])
    with pytest.raises(VerifyInputError) as info:
        result.verify(mode="FAST_COMPILE")
    message = str(info.value)
    assert isinstance(info.value, CompileError)
    assert "PyTensor cannot evaluate the graph on random inputs (ValueError" in message
    assert "x: [2] (axis 0: unknown size, 2 tried)" in message
    assert "verify(input_shapes={'x': (D0,)})" in message
    assert result.verify(input_shapes={"x": (8,)}, mode="FAST_COMPILE").ok
    # Arrays the user gives: the same error, with their shapes.
    with pytest.raises(VerifyInputError, match=r"on the inputs given .*\ninputs: x: \[3\]"):
        result.verify(np.ones(3), mode="FAST_COMPILE")


def test_bad_input_shapes_are_option_errors():
    x = pt.matrix("x", shape=(None, 4))
    result = compiled([x], [x * 2])
    for given, message in [
        ({"nope": (1, 4)}, "the model has no such input"),
        ({"x": (2,)}, "its shape is ['x_0', 4] (2 axes)"),
        ({"x": (2, 5)}, "axis 1 is 4"),
    ]:
        with pytest.raises(OptionError, match=re.escape(message)):
            result.verify(input_shapes=given)
    with pytest.raises(OptionError, match="give arrays or input_shapes"):
        result.verify(np.ones((2, 4)), input_shapes={"x": (2, 4)})


def test_a_model_failure_pytensor_does_not_share_is_not_an_input_error(monkeypatch):
    """ONNX Runtime failing where PyTensor runs is a compiler bug: it is not disguised."""
    x = pt.vector("x")
    result = compiled([x], [x * 2])

    class Broken:
        def run(self, *args, **kwargs):
            raise RuntimeError("the model is wrong")

    monkeypatch.setattr(result, "session", lambda: Broken())
    with pytest.raises(RuntimeError, match="the model is wrong"):
        result.verify()


@pytest.mark.parametrize("mode", [None, "FAST_COMPILE"])  # None: PyTensor's default, Numba
def test_pytensor_scalar_outputs(mode):
    """PyTensor's Numba backend returns ScalarType outputs as Python floats and bools: the
    reference takes their declared dtypes (float32 here), not numpy's float64 of a float."""
    a, b = ps.float32("a"), ps.float32("b")
    i = ps.int8("i")
    x = pt.vector("x", dtype="float32")
    outputs = [a * b, pt.scalar_from_tensor(x.sum()), a < b, i * i, a]
    result = compiled([a, b, i, x], outputs)
    report = result.verify(mode=mode)
    assert report.ok, str(report)
    assert [o.dtype for o in report.outputs] == ["float32", "float32", "bool", "int8", "float32"]
