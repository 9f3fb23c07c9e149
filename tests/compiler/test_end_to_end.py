"""The foundation's acceptance graphs: PyTensor → ONNX → ONNX Runtime, matching PyTensor."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.graph.fg import FunctionGraph

from ir import ops
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of

RNG = np.random.default_rng(42)


def test_affine_with_int8_literals_float32() -> None:
    x = pt.vector("x", dtype="float32")
    fgraph = fgraph_of([x], [x * 2 + 3])
    assert_matches_pytensor(fgraph, [RNG.normal(size=7).astype("float32")])
    model = compile_checked(fgraph).to_onnx()
    dtypes = {t.data_type for t in model.graph.initializer}
    assert dtypes == {1}  # float32 only: the int8 literals were converted at compile time


def test_sigmoid_times_x_fuses_into_one_silu() -> None:
    x = pt.matrix("x", dtype="float32")
    fgraph = fgraph_of([x], [pt.sigmoid(x) * x])
    result = compile_checked(fgraph)
    kinds = [type(op) for op in result.module.func.ops]
    assert kinds.count(ops.Silu) == 1 and ops.Sigmoid not in kinds and ops.Mul not in kinds
    assert_matches_pytensor(fgraph, [RNG.normal(size=(3, 5)).astype("float32") * 10])


def test_dimshuffle_with_new_axis() -> None:
    x = pt.matrix("x", dtype="float32")
    fgraph = fgraph_of([x], [x.dimshuffle(1, "x", 0)])
    result = compile_checked(fgraph)
    node_types = [n.op_type for n in result.to_onnx().graph.node if n.op_type != "Constant"]
    assert node_types == ["Transpose", "Unsqueeze"]
    assert_matches_pytensor(fgraph, [RNG.normal(size=(2, 3)).astype("float32")])


def test_float64_and_int64_arithmetic() -> None:
    a = pt.vector("a", dtype="float64")
    i = pt.vector("i", dtype="int64")
    outs = [a * a - a / 3.0, i * 7 - i // 3 + i % 5, a * i]
    fgraph = fgraph_of([a, i], outs)
    assert_matches_pytensor(
        fgraph, [RNG.normal(size=6) * 100, RNG.integers(-1000, 1000, size=6, dtype="int64")]
    )


def test_three_input_add() -> None:
    x, y, z = (pt.vector(n, dtype="float32") for n in "xyz")
    fgraph = fgraph_of([x, y, z], [pt.add(x, y, z)])
    assert [len(n.inputs) for n in fgraph.toposort()] == [3]
    assert_matches_pytensor(fgraph, [RNG.normal(size=4).astype("float32") for _ in range(3)])


def test_mixed_float32_float64_constants() -> None:
    x = pt.vector("x", dtype="float32")
    y = x * 0.1 + x * np.float32(0.25) - 1.5
    assert y.dtype == "float64"  # PyTensor's rule; the model must say the same
    fgraph = fgraph_of([x], [y])
    result = compile_checked(fgraph)
    assert result.to_onnx().graph.output[0].type.tensor_type.elem_type == 11  # double
    assert_matches_pytensor(fgraph, [RNG.normal(size=9).astype("float32")])


def test_shared_variable_weights_inside_model() -> None:
    x = pt.matrix("x", dtype="float32")
    w = pytensor.shared(RNG.normal(size=(1, 4)).astype("float32"), name="w", shape=(1, 4))
    b = pytensor.shared(RNG.normal(size=4).astype("float32"), name="b")
    h = x * w + b
    fgraph = FunctionGraph(outputs=[h * pt.sigmoid(h)], clone=False)
    model = compile_checked(fgraph).to_onnx()
    assert [i.name for i in model.graph.input] == ["x"]
    assert {"w", "b"} <= {t.name for t in model.graph.initializer}
    assert_matches_pytensor(fgraph, [RNG.normal(size=(5, 4)).astype("float32")])


def test_output_that_is_an_input_and_repeated_outputs() -> None:
    x = pt.vector("x", dtype="float32")
    y = pt.exp(x)
    fgraph = FunctionGraph([x], [x, y, y], clone=True)
    assert_matches_pytensor(fgraph, [RNG.normal(size=3).astype("float32")])
