"""The pass API: a PassManager keeps no state between runs; the rewrite trace reports which
pattern fired and which declined, with its reason."""

from __future__ import annotations


def test_pass_manager_keeps_no_state_between_runs() -> None:
    from ir.parser import parse_module
    from passes import PassManager, make_passes

    text = 'func @main(%x: f32[2]) {\n  %0 = tir.neg %x : f32[2]\n  return %0 : "y"\n}\n'
    manager = PassManager(make_passes(["canonicalize", "dce"]))
    first = [(s.name, s.counters) for s in manager.run(parse_module(text))]
    second = [(s.name, s.counters) for s in manager.run(parse_module(text))]
    assert first == second
    assert len(manager.stats) == 2


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
