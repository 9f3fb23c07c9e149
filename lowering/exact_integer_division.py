"""Integer floor division and modulo as numpy computes them, where ONNX Runtime traps or rounds
the other way: ORT's integer Div truncates toward zero (numpy floors), x / 0 and x % 0 trap
(numpy gives 0), and INT_MIN / -1, INT_MIN % -1 raise SIGFPE on x86 (numpy wraps)."""

from __future__ import annotations

from ir import dtypes
from lowering.context import LoweringContext
from lowering.elementwise_common import V
from lowering.exact_signed_zero import where


def _int_div(
    ctx: LoweringContext,
    x: V,
    y: V,
    dtype: str,
    *,
    y_may_be_zero: bool = True,
    y_may_be_minus_one: bool = True,
    may_round_toward_zero: bool = True,
) -> V:
    """numpy's x // y for integers: Div of a safe divisor (1 for 0 and -1), stepped down by one
    where the truncated quotient is inexact and the signs differ; x // 0 is 0, x // -1 is -x.
    A caller that knows (``ir.facts``) that y is never 0 or never -1, or that x >= 0 and y > 0
    (truncation is flooring), leaves the corresponding fix-up out."""
    zero, one = ctx.constant(0, dtype), ctx.constant(1, dtype)
    signed = dtype in dtypes.SIGNED_DTYPES
    y_is_zero = ctx.op("Equal", y, zero) if y_may_be_zero else None
    y_is_minus_one = (
        ctx.op("Equal", y, ctx.constant(-1, dtype)) if signed and y_may_be_minus_one else None
    )
    specials = [c for c in (y_is_zero, y_is_minus_one) if c is not None]
    y_safe = y
    if specials:
        special = specials[0] if len(specials) == 1 else ctx.op("Or", *specials)
        y_safe = where(ctx, special, one, y, dtype)
    q = ctx.op("Div", x, y_safe)
    if signed and may_round_toward_zero:
        r = ctx.op("Sub", x, ctx.op("Mul", q, y_safe))
        inexact = ctx.op("Not", ctx.op("Equal", r, zero))
        signs_differ = ctx.op("Xor", ctx.op("Less", r, zero), ctx.op("Less", y_safe, zero))
        q = ctx.op("Sub", q, ctx.cast(ctx.op("And", inexact, signs_differ), dtype))
    if y_is_minus_one is not None:
        q = where(ctx, y_is_minus_one, ctx.op("Sub", zero, x), q, dtype)
    return q if y_is_zero is None else where(ctx, y_is_zero, zero, q, dtype)


def _int_mod(
    ctx: LoweringContext,
    x: V,
    y: V,
    dtype: str,
    y_may_be_zero: bool = True,
    y_may_be_minus_one: bool = True,
) -> V:
    """numpy's x % y for integers: ONNX Mod (fmod=0, the sign of y) of a safe divisor (1 for 0
    and -1: x % 1 is 0, which is numpy's x % 0 and x % -1); no substitution for a divisor known
    (``ir.facts``) never to be 0 or -1."""
    one = ctx.constant(1, dtype)
    specials = []
    if y_may_be_zero:
        specials.append(ctx.op("Equal", y, ctx.constant(0, dtype)))
    if dtype in dtypes.SIGNED_DTYPES and y_may_be_minus_one:
        specials.append(ctx.op("Equal", y, ctx.constant(-1, dtype)))
    if specials:
        special = specials[0] if len(specials) == 1 else ctx.op("Or", *specials)
        y = where(ctx, special, one, y, dtype)
    return ctx.op("Mod", x, y, fmod=0)
