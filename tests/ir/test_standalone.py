"""The IR and the passes stand on their own: importing them does not load PyTensor or ``nn/``.

Checked in a fresh interpreter (``sys.modules`` of a subprocess), since this test process has
imported PyTensor long before.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["ir", "ir.interpreter", "passes"])
def test_import_does_not_load_pytensor_or_nn(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pytensor', 'nn'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"import {module} loaded {out}"


_TEXT = """func @main(%x: f32[2]) {
  %0 = tir.neg %x : f32[2]
  return %0 : "y"
}
"""


def test_str_prints_ir_text_and_repr_stays_short() -> None:
    from ir.parser import parse_module

    module = parse_module(_TEXT)
    assert str(module) == _TEXT
    assert str(module.func) == _TEXT
    op = next(iter(module.func.ops))
    assert str(op) == "%0 = tir.neg %x : f32[2]"
    assert repr(module) == "<Module @main: 1 ops>"
    assert repr(module.func) == "<Function @main: 1 args, 1 ops>"


def test_registering_a_taken_op_name_is_an_error() -> None:
    from ir.core import Operation

    with pytest.raises(TypeError, match=r"'tir\.neg' is already registered"):

        class AnotherNeg(Operation):
            NAME = "tir.neg"
            OPERANDS = ("x",)


def test_pass_manager_keeps_no_state_between_runs() -> None:
    from ir.parser import parse_module
    from passes import PassManager, make_passes

    manager = PassManager(make_passes(["canonicalize", "dce"]))
    first = [(s.name, s.counters) for s in manager.run(parse_module(_TEXT))]
    second = [(s.name, s.counters) for s in manager.run(parse_module(_TEXT))]
    assert first == second
    assert len(manager.stats) == 2


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


def test_ptonnx_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "compiler", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("ptonnx ")


def test_ptonnx_opt_help_does_not_load_pytensor() -> None:
    code = (
        "import sys\n"
        "from compiler.cli import main\n"
        "assert main(['opt', '--help']) == 0\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pytensor', 'nn'))\n"
        "print('LOADED', ','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().endswith("LOADED"), out[-300:]


def test_cli_verify_dim_size_agrees_with_verify() -> None:
    from compiler.cli import VERIFY_DIM_SIZE
    from compiler.verify import DEFAULT_DIM_SIZE

    assert VERIFY_DIM_SIZE == DEFAULT_DIM_SIZE


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


def test_rewrite_trace_reports_fired_and_declined_patterns() -> None:
    from ir import ops
    from ir.parser import parse_module
    from passes.rewriter import Rewriter, apply_patterns, pattern

    @pattern(ops.Neg)
    def never(op: ops.Neg, rewriter: Rewriter) -> bool:
        """-x -> (declines)"""
        return rewriter.fail("this pattern never applies")

    @pattern(ops.Neg)
    def neg_neg(op: ops.Neg, rewriter: Rewriter) -> bool:
        """-(-x) -> x"""
        inner = op.operands[0].owner
        if not isinstance(inner, ops.Neg):
            return rewriter.fail("operand is not a neg")
        rewriter.replace_op(op, [inner.operands[0]])
        return True

    module = parse_module(
        "func @main(%x: f32[2]) {\n  %0 = tir.neg %x : f32[2]\n  %1 = tir.neg %0 : f32[2]\n"
        '  return %1 : "y"\n}\n'
    )
    lines: list[str] = []
    hits = apply_patterns(module.func, [never, neg_neg], trace=lines.append)
    assert hits["neg_neg"] == 1 and hits["never"] == 0
    assert "neg_neg fired on tir.neg" in lines
    assert "never declined on tir.neg: this pattern never applies" in lines
    assert "neg_neg declined on tir.neg: operand is not a neg" in lines
