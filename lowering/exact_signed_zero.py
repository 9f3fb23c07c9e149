"""Selections that keep -0.0: ONNX Runtime's float ``Where`` turns a selected -0.0 into +0.0.

``where`` is ``Where`` for every dtype plus, for floats, the arithmetic that puts back the -0.0s
ORT loses; ``signed_zero`` makes a ±0.0 that ``Where`` cannot select.
"""

from __future__ import annotations

import numpy as np

from lowering.context import LoweringContext, supports
from lowering.elementwise_common import FLOATS, V


def where(ctx: LoweringContext, cond: V, a: V, b: V, dtype: str, *, zeros: str = "ab") -> V:
    """``Where`` for any dtype: a selection is exact in any carrier that maps values 1:1.

    ORT's float Where loses -0.0: it builds ``cond ? a : 0`` and ``cond ? 0 : b`` and merges
    them with ``x != 0 ? x : y``, or, where one of them is broadcast, with
    ``scalar != 0 ? scalar : other``. So a -0.0 selected from ``a`` always comes out +0.0, and
    one from ``b`` does where broadcast(cond, b) is smaller than the result. ``zeros`` names
    the branches that may hold a -0.0 there (callers that know better pass fewer; constants
    are checked here); for those, the zeros that must be -0.0 are set so arithmetically.
    (Putting a -0.0 on the false side of a swapped Where is not a way out: ORT's optimizer
    rewrites Where(Not(c), a, b) into Where(c, b, a).)
    """
    if not supports("Where", dtype):
        carrier = {"bool": "uint8", "uint64": "int64"}.get(dtype, "int32")  # int16, uint16
        out = ctx.op("Where", cond, ctx.cast(a, carrier), ctx.cast(b, carrier))
        return ctx.cast(out, dtype)
    out = ctx.op("Where", cond, a, b)
    if dtype not in FLOATS:
        return out

    def negative_zero(v: V) -> V:  # 1 / -0.0 is -inf
        zero = ctx.constant(0.0, dtype)  # made here: most selections need no -0.0 fix-up
        below = ctx.op("Less", ctx.op("Reciprocal", v), zero)
        return ctx.op("And", ctx.op("Equal", v, zero), below)

    wanted = []
    if "a" in zeros and not no_negative_zero_constant(a):
        wanted.append(ctx.op("And", cond, negative_zero(a)))
    if "b" in zeros and not no_negative_zero_constant(b):
        wanted.append(ctx.op("And", ctx.op("Not", cond), negative_zero(b)))
    if not wanted:
        return out
    want = wanted[0] if len(wanted) == 1 else ctx.op("Or", *wanted)
    # m = -1 where a -0.0 is wanted (the selection is ±0 there), else 1; z = 0 * -m is +0.0
    # there and -0.0 elsewhere (computed at run time: ORT drops an Add of a zero constant).
    # out + z is +0.0 where wanted and exactly out elsewhere (x + -0.0 is x, -0.0 included);
    # times m gives -0.0 where wanted and out elsewhere.
    m = ctx.op("Where", want, ctx.constant(-1.0, dtype), ctx.constant(1.0, dtype))
    z = ctx.op("Mul", ctx.op("Sub", m, m), ctx.op("Neg", m))
    return ctx.op("Mul", ctx.op("Add", out, z), m)


def no_negative_zero_constant(value: V) -> bool:
    """True for an initializer holding no -0.0."""
    tensor = value.const_value
    if tensor is None:
        return False
    array = tensor.numpy()
    return not bool(np.any((array == 0) & np.signbit(array)))


def signed_zero(ctx: LoweringContext, negative: V, dtype: str) -> V:
    """-0.0 where ``negative``, else +0.0 (as 0 * ±1: ORT's Where cannot select a -0.0)."""
    sign = ctx.op("Where", negative, ctx.constant(-1.0, dtype), ctx.constant(1.0, dtype))
    return ctx.op("Mul", ctx.constant(0.0, dtype), sign)


_signed_zero = signed_zero
_no_negative_zero = no_negative_zero_constant
