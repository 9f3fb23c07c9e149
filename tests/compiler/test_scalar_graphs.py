"""Graphs whose inputs and outputs are PyTensor scalars (``pytensor.scalar`` types, ScalarType
variables): they compile as 0-d tensors, inputs and outputs, and agree with PyTensor and the IR
interpreter; scalar ops applied directly to scalars, and graphs mixing scalars and tensors
through ScalarFromTensor / TensorFromScalar."""

from __future__ import annotations

import numpy as np
import pytensor.scalar as ps
import pytensor.tensor as pt
import pytest

from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of


def test_scalar_inputs_and_outputs_are_0d_tensors() -> None:
    x, y = ps.float64("x"), ps.float32("y")
    fgraph = fgraph_of([x, y], [x * y + 1.0, ps.cast(x, "float32"), y])
    result = compile_checked(fgraph)
    model = result.to_onnx()
    for value in [*model.graph.input, *model.graph.output]:
        assert len(value.type.tensor_type.shape.dim) == 0, value.name
    assert [v.type.tensor_type.elem_type for v in model.graph.input] == [11, 1]  # f64, f32
    outputs = result.run(np.float64(2.5), np.float32(-0.5))
    assert [np.asarray(o).shape for o in outputs] == [(), (), ()]
    assert_matches_pytensor(fgraph, [np.float64(2.5), np.float32(-0.5)])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # PyTensor divides by zero
@pytest.mark.parametrize("value", [0.3, -2.0, 0.0, -0.0, np.inf, np.nan])
def test_scalar_ops_on_scalars(value: float) -> None:
    """Clip, Cast, Reciprocal, Sqr, Switch, comparisons, an integer scalar and a special
    function, each applied to scalars."""
    x = ps.float64("x")
    n = ps.int32("n")
    outputs = [
        ps.clip(x, -1.0, 1.0),
        ps.cast(x, "float32"),
        ps.reciprocal(x),
        ps.sqr(x),
        ps.switch(ps.lt(x, 0.0), -x, x * 2.0),
        ps.true_div(n, 2),
        ps.int_div(n, 3) + n,
        ps.gammaln(x),
        ps.erfinv(ps.clip(x, -1.0, 1.0)),
    ]
    assert_matches_pytensor(fgraph_of([x, n], outputs), [np.float64(value), np.int32(7)])


def test_bool_and_integer_scalars() -> None:
    b, k = ps.bool("b"), ps.int64("k")
    outputs = [ps.switch(b, k, -k), ps.and_(b, ps.gt(k, 2)), ps.cast(k, "float64") / 3.0]
    for feeds in [[np.bool_(True), np.int64(5)], [np.bool_(False), np.int64(-4)]]:
        assert_matches_pytensor(fgraph_of([b, k], outputs), feeds)


def test_mixed_scalar_and_tensor_graph() -> None:
    """A ScalarType input scales a tensor (TensorFromScalar), a tensor's sum comes back as a
    scalar output (ScalarFromTensor) and feeds more scalar ops."""
    s = ps.float64("s")
    v = pt.vector("v", dtype="float64")
    scaled = v * pt.tensor_from_scalar(s)
    total = pt.scalar_from_tensor(scaled.sum())
    outputs = [scaled, total, ps.exp(-total) + s, pt.tensor_from_scalar(total) * 2.0]
    fgraph = fgraph_of([s, v], outputs)
    assert_matches_pytensor(fgraph, [np.float64(0.5), np.array([1.0, -2.0, 3.5])])


def test_scalar_composite_of_several_ops() -> None:
    """A Composite built from scalar variables, applied to scalars (not in an Elemwise)."""
    a, b = ps.float64("a"), ps.float64("b")
    inner = ps.Composite([a, b], [ps.log1p(ps.exp(a - b)) * ps.sigmoid(b)])
    x, y = ps.float64("x"), ps.float64("y")
    assert_matches_pytensor(fgraph_of([x, y], [inner(x, y)]), [np.float64(1.5), np.float64(-0.25)])


def test_scalar_input_passed_through_and_constant_output() -> None:
    x = ps.float32("x")
    fgraph = fgraph_of([x], [x, ps.constant(np.float32(2.0)) * 3.0])
    assert_matches_pytensor(fgraph, [np.float32(1.25)])
