"""A function of x or of -x, chosen per element by a constant mask: one function of x · ±1.

PyMC's Bernoulli log-likelihood with a logit is ``where(y, -softplus(-x), -softplus(x))`` over
the observations: two float64 softplus chains over N (a dozen ONNX nodes each) and a selection,
of which each element reads only one. With the mask a constant,

    where(c, g(neg(x)), g(x))  →  g(x * s),  s = where(c, -1, 1) (a constant)

for ``g`` a chain of the same one-operand elementwise ops on both sides: x · -1 is -x and x · 1
is x, exactly (±0.0 and ±inf included; a NaN stays a NaN), so every element gets the bits its
side gave it. Only when x has the selection's type (the mask does not broadcast it).
"""

from __future__ import annotations

import numpy as np

from ir import dtypes, ops
from ir.core import Operation, Value
from ir.ops.tensor import constant_array
from passes.conv import new_constant
from passes.rewriter import PatternPass, Rewriter, pattern


def _unary(value: Value) -> Operation | None:
    """The one-operand elementwise op that made ``value``, if it is one."""
    owner = value.owner
    if isinstance(owner, ops.Elementwise) and len(owner.operands) == 1 and not owner.regions:
        return owner
    return None


def _common_chain(a: Value, b: Value) -> tuple[list[Operation], Value, Value]:
    """The ops (outermost first) that ``a`` and ``b`` both end with, the same op kind and
    attributes at each step, and what they are applied to on each side."""
    chain: list[Operation] = []
    while True:
        op_a, op_b = _unary(a), _unary(b)
        if op_a is None or op_b is None or type(op_a) is not type(op_b):
            return chain, a, b
        if op_a.attributes != op_b.attributes or op_a.result.type != op_b.result.type:
            return chain, a, b
        chain.append(op_a)
        a, b = op_a.operands[0], op_b.operands[0]


def _negation_of(value: Value, x: Value) -> bool:
    owner = value.owner
    return isinstance(owner, ops.Neg) and owner.x is x


@pattern(ops.Where)
def select_by_sign(op: ops.Where, rw: Rewriter) -> bool:
    """`where(c, g(neg(x)), g(x))` with c constant → `g(x * where(c, -1, 1))`"""
    mask = constant_array(op.cond)
    if mask is None:
        return rw.fail("the condition is not a constant")
    chain, a, b = _common_chain(op.a, op.b)
    if _negation_of(a, b):
        x, when_true, when_false = b, -1.0, 1.0
    elif _negation_of(b, a):
        x, when_true, when_false = a, 1.0, -1.0
    else:
        return rw.fail("the branches are not one function of x and of -x")
    if x.dtype not in dtypes.FLOAT_DTYPES or x.type != op.result.type:
        return rw.fail("x is not a float of the selection's type")
    signs = np.where(mask.astype(bool), when_true, when_false).astype(x.dtype)
    value = rw.create(ops.Mul, [x, new_constant(rw, signs)])
    for step in reversed(chain):
        value = rw.create(type(step), [value], step.attributes)
    rw.replace_op(op, [value])
    return True


class SignSelect(PatternPass):
    """One function of x · ±1 for a constant-mask choice between it of x and of -x."""

    NAME = "sign-select"
    PATTERNS = (select_by_sign,)


__all__ = ["SignSelect", "select_by_sign"]
