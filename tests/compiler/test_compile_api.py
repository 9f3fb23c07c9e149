"""The public ways to compile: compile_graph / compile(outputs=, inputs=) with weights found by
themselves, pipelines of pass objects and user passes, and the value_info option."""

from __future__ import annotations


def test_compile_graph_finds_shared_variables() -> None:
    import numpy as np
    import pytensor
    import pytensor.tensor as pt

    from compiler import Compiler, compile_graph

    x = pt.matrix("x", dtype="float64")
    w = pytensor.shared(np.arange(6.0).reshape(3, 2), name="w")
    y = pt.tanh(x @ w)
    feed = np.linspace(-1, 1, 12).reshape(4, 3)
    expected = np.tanh(feed @ np.arange(6.0).reshape(3, 2))
    for result in (compile_graph([x], [y]), Compiler().compile(outputs=y, inputs=x)):
        (got,) = result.run(feed)
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_pipeline_accepts_pass_objects_and_user_passes() -> None:
    import numpy as np
    import pytensor.tensor as pt

    from compiler import compile_graph
    from ir import ops
    from ir.core import Module, walk
    from passes import DEFAULT_PIPELINE, Pass
    from passes.dce import DeadCodeElimination

    class CountNegs(Pass):
        """A user-defined pass, not registered: counts ``tir.neg`` ops, changes nothing."""

        NAME = "count-negs"

        def run(self, module: Module) -> bool:
            for op in walk(module.func):
                if isinstance(op, ops.Neg):
                    self.count("neg")
            return False

    x = pt.vector("x", dtype="float64")
    counter = CountNegs()
    pipeline = [counter, *DEFAULT_PIPELINE, DeadCodeElimination]
    result = compile_graph([x], [-x * 2.0], pipeline=pipeline)
    names = [s.name for s in result.stats.passes]
    assert names == ["count-negs", *DEFAULT_PIPELINE, "dce"]
    assert counter.counters == {"neg": 1}
    (got,) = result.run(np.array([1.0, -2.0]))
    np.testing.assert_array_equal(got, [-2.0, 4.0])


def test_value_info_shapes_can_be_left_out() -> None:
    import numpy as np
    import pytensor.tensor as pt

    from compiler import compile_graph

    x = pt.matrix("x", dtype="float64")
    y = pt.exp(pt.tanh(x) * 2.0).sum(axis=0)
    feed = np.linspace(-1, 1, 6).reshape(2, 3)
    with_shapes = compile_graph([x], [y]).to_onnx()
    made = {name for node in with_shapes.graph.node for name in node.output}
    shaped = [v for v in with_shapes.graph.value_info if v.name in made]
    assert shaped and all(v.type.tensor_type.HasField("shape") for v in shaped)
    result = compile_graph([x], [y], value_info_shapes=False)
    model = result.to_onnx()
    produced = {name for node in model.graph.node for name in node.output}
    intermediate = [v for v in model.graph.value_info if v.name in produced]
    assert intermediate  # element types stay
    assert not any(v.type.tensor_type.HasField("shape") for v in intermediate)
    assert model.graph.output[0].type.tensor_type.HasField("shape")
    (got,) = result.run(feed)
    np.testing.assert_allclose(got, np.exp(np.tanh(feed) * 2.0).sum(axis=0), rtol=1e-12)
