"""The facts (``ir.facts``) of the function being lowered, for rules that leave out fix-ups.

One ``Facts`` per lowering (per ``LoweringContext``), computed on a rule's first question about
any value of the function that holds the op. Every answer is conservative: True for "may" when
nothing is known.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from ir.core import Block, Operation, Value
from ir.facts import Facts, ValueFacts
from lowering.context import LoweringContext

_FACTS: WeakKeyDictionary[LoweringContext, Facts] = WeakKeyDictionary()


def facts_for(ctx: LoweringContext, op: Operation) -> Facts:
    """The facts of the function holding ``op``, computed once per lowering."""
    found = _FACTS.get(ctx)
    if found is None:
        found = Facts(_top_block(op))
        _FACTS[ctx] = found
    return found


def _top_block(op: Operation) -> Block:
    block = op.parent
    assert block is not None, "a lowered op is in a block"
    while block.owner is not None and block.owner.parent is not None:
        block = block.owner.parent
    return block


def value_facts(ctx: LoweringContext, op: Operation, value: Value) -> ValueFacts:
    """The forward facts of ``value``, an operand or result of ``op``."""
    return facts_for(ctx, op).of(value)


def may_be_negative_zero(ctx: LoweringContext, op: Operation, value: Value) -> bool:
    """``value`` (of ``op``) may hold a -0.0 whose sign an output can see."""
    return facts_for(ctx, op).may_be_negative_zero(value)


def zero_sign_observed(ctx: LoweringContext, op: Operation, value: Value) -> bool:
    """An output can tell -0.0 from +0.0 in ``value`` (of ``op``)."""
    return facts_for(ctx, op).zero_sign_observed(value)


def may_be_nan(ctx: LoweringContext, op: Operation, value: Value) -> bool:
    return facts_for(ctx, op).of(value).nan


__all__ = [
    "facts_for", "may_be_nan", "may_be_negative_zero", "value_facts", "zero_sign_observed",
]  # fmt: skip
