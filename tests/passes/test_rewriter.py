"""The pattern driver: ``apply_patterns`` reaches a fixed point, counts hits per pattern,
revisits what a rewrite touched, erases dead pure ops (``DEAD_OPS``), and stops with
``ConvergenceError`` when patterns undo each other; plus the ``Rewriter``'s guards."""

from __future__ import annotations

import pytest

from ir import ops
from ir.core import IRError, Operation
from ir.parser import parse_module
from ir.printer import print_module
from ir.verifier import verify_module
from passes.canonicalize import PATTERNS, neg_of_neg
from passes.rewriter import (
    DEAD_OPS,
    ConvergenceError,
    Pattern,
    PatternSet,
    Rewriter,
    apply_patterns,
    pattern,
)
from tests.passes.support import ir


def _apply(source: str, patterns, **kwargs) -> tuple[str, dict[str, int]]:
    module = parse_module(ir(source))
    hits = apply_patterns(module.func, patterns, **kwargs)
    verify_module(module)
    return print_module(module), hits


# -- fixed point, hit counts, revisits ---------------------------------------------------------

NEEDS_SECOND_VISIT = """
    func @main(%x: f32[2, 3]) {
      %0 = tir.neg %x : f32[2, 3]
      %1 = tir.transpose %0 {perm = [1, 0]} : f32[3, 2]
      %2 = tir.transpose %1 {perm = [1, 0]} : f32[2, 3]
      %3 = tir.neg %2 : f32[2, 3]
      return %3 : "y"
    }
"""


def test_apply_patterns_revisits_user_after_replacement():
    """%3 = neg(%2) is visited before %2 becomes neg(%x) (through a created identity
    transpose that is only removed later): only a second visit finds neg(neg(x))."""
    tries: list[tuple[Operation, bool]] = []

    def spy(op: ops.Neg, rw: Rewriter) -> bool:
        hit = neg_of_neg.fn(op, rw)
        tries.append((op, hit))
        return hit

    patterns = [Pattern(ops.Neg, spy, "neg_of_neg") if p is neg_of_neg else p for p in PATTERNS]
    text, hits = _apply(NEEDS_SECOND_VISIT, patterns)
    assert text == ir(
        """
        func @main(%x: f32[2, 3]) {
          return %x : "y"
        }
        """
    )
    assert {k: v for k, v in hits.items() if v} == {
        "transpose_of_transpose": 1,
        "transpose_identity": 1,
        "neg_of_neg": 1,
        DEAD_OPS: 2,  # the inner transpose, then the inner neg
    }
    outer_neg = [op for op, _ in tries if op is tries[-1][0]]
    assert len(outer_neg) == 2  # tried, failed, revisited after its operand was replaced
    assert [hit for op, hit in tries if op is tries[-1][0]] == [False, True]


def test_apply_patterns_counts_hits_per_pattern():
    text, hits = _apply(
        """
        func @main(%x: f32[3], %y: f32[3]) {
          %0 = tir.neg %x : f32[3]
          %1 = tir.neg %0 : f32[3]
          %2 = tir.neg %y : f32[3]
          %3 = tir.neg %2 : f32[3]
          %4 = tir.neg %3 : f32[3]
          %5 = tir.neg %4 : f32[3]
          %6 = tir.add %1, %5 : f32[3]
          return %6 : "z"
        }
        """,
        PATTERNS,
    )
    assert text == ir(
        """
        func @main(%x: f32[3], %y: f32[3]) {
          %0 = tir.add %x, %y : f32[3]
          return %0 : "z"
        }
        """
    )
    assert hits["neg_of_neg"] == 3
    assert hits[DEAD_OPS] == 3
    assert set(hits) == {p.name for p in PATTERNS} | {DEAD_OPS}
    assert sum(hits.values()) == 6


def test_apply_patterns_fixed_point_applies_nothing_more():
    text, _ = _apply(NEEDS_SECOND_VISIT, PATTERNS)
    again, hits = _apply(text, PATTERNS)
    assert again == text
    assert not any(hits.values())


def test_apply_patterns_accepts_pattern_set():
    text, hits = _apply(NEEDS_SECOND_VISIT, PatternSet(PATTERNS))
    assert "tir." not in text
    assert hits["neg_of_neg"] == 1


# -- dead ops ----------------------------------------------------------------------------------


def test_apply_patterns_erases_dead_pure_ops():
    text, hits = _apply(
        """
        func @main(%x: f32[3]) {
          %0 = tir.constant dense<1.0> : f32[]
          %1 = tir.exp %x : f32[3]
          %2 = tir.add %1, %0 : f32[3]
          %3 = tir.abs %x : f32[3]
          return %3 : "y"
        }
        """,
        [],
    )
    assert text == ir(
        """
        func @main(%x: f32[3]) {
          %0 = tir.abs %x : f32[3]
          return %0 : "y"
        }
        """
    )
    assert hits == {DEAD_OPS: 3}


def test_apply_patterns_never_erases_return():
    text, hits = _apply(
        """
        func @main(%x: f32[3]) {
          return
        }
        """,
        PATTERNS,
    )
    assert text == ir(
        """
        func @main(%x: f32[3]) {
          return
        }
        """
    )
    assert not any(hits.values())


# -- convergence -------------------------------------------------------------------------------


def _swap(op: ops.Add, rw: Rewriter) -> None:
    a, b = op.operands
    op.set_operand(0, b)
    op.set_operand(1, a)
    rw.modified(op)


@pattern(ops.Add)
def swap_x_first(op: ops.Add, rw: Rewriter) -> bool:
    """`tir.add %x, %y` → `tir.add %y, %x`."""
    if op.operands[0].name != "x":
        return False
    _swap(op, rw)
    return True


@pattern(ops.Add)
def swap_y_first(op: ops.Add, rw: Rewriter) -> bool:
    """`tir.add %y, %x` → `tir.add %x, %y`."""
    if op.operands[0].name != "y":
        return False
    _swap(op, rw)
    return True


CYCLE = """
    func @main(%x: f32[3], %y: f32[3]) {
      %0 = tir.add %x, %y : f32[3]
      return %0 : "z"
    }
"""


def test_apply_patterns_cycle_raises_convergence_error():
    func = parse_module(ir(CYCLE)).func
    with pytest.raises(ConvergenceError) as info:
        apply_patterns(func, [swap_x_first, swap_y_first], max_rewrites=50)
    message = str(info.value)
    assert "did not converge after 51 rewrites" in message
    assert "swap_x_first" in message and "swap_y_first" in message
    assert isinstance(info.value, IRError)


def test_apply_patterns_cycle_default_cap():
    """The default cap is 8 rewrites per op (return included) plus 1000."""
    func = parse_module(ir(CYCLE)).func
    with pytest.raises(ConvergenceError, match=r"after 1017 rewrites"):
        apply_patterns(func, [swap_x_first, swap_y_first])


def test_apply_patterns_under_cap_converges():
    text, hits = _apply(CYCLE, [swap_x_first], max_rewrites=1)
    assert hits["swap_x_first"] == 1
    assert "tir.add %y, %x" in text


# -- patterns and the rewriter -----------------------------------------------------------------


def test_pattern_rule_is_first_docstring_line():
    assert swap_x_first.rule == "`tir.add %x, %y` → `tir.add %y, %x`."
    assert swap_x_first.root is ops.Add
    assert swap_x_first.name == "swap_x_first"


def test_pattern_set_matches_along_class_hierarchy():
    @pattern(ops.Elementwise)
    def any_elementwise(op: Operation, rw: Rewriter) -> bool:
        return False

    pset = PatternSet([swap_x_first, any_elementwise])
    func = parse_module(ir(CYCLE)).func
    add, ret = list(func.ops)
    assert pset.for_op(add) == (swap_x_first, any_elementwise)
    assert pset.for_op(ret) == ()


def test_rewriter_replace_value_refuses_dtype_change():
    func = parse_module(
        ir(
            """
            func @main(%x: f32[3], %y: f64[3]) {
              %0 = tir.neg %x : f32[3]
              return %0 : "z"
            }
            """
        )
    ).func
    neg = func.first
    assert neg is not None
    with pytest.raises(IRError, match="changes dtype or rank"):
        Rewriter(func).replace_value(neg.result, func.args[1])


def test_rewriter_insert_needs_root():
    func = parse_module(ir(CYCLE)).func
    with pytest.raises(IRError, match="needs a root op"):
        Rewriter(func).create(ops.Neg, [func.args[0]])
