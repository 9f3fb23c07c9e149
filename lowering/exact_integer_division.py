"""Integer floor division and modulo as numpy computes them, where ONNX Runtime traps or rounds
the other way: ORT's integer Div truncates toward zero (numpy floors), x / 0 and x % 0 trap
(numpy gives 0), and INT_MIN / -1, INT_MIN % -1 raise SIGFPE on x86 (numpy wraps)."""

from __future__ import annotations

from ir import dtypes
from lowering.context import LoweringContext
from lowering.elementwise_common import V
from lowering.exact_signed_zero import where


def _int_div(ctx: LoweringContext, x: V, y: V, dtype: str) -> V:
    """numpy's x // y for integers: Div of a safe divisor (1 for 0 and -1), stepped down by one
    where the truncated quotient is inexact and the signs differ; x // 0 is 0, x // -1 is -x."""
    zero, one = ctx.constant(0, dtype), ctx.constant(1, dtype)
    y_is_zero = ctx.op("Equal", y, zero)
    signed = dtype in dtypes.SIGNED_DTYPES
    y_is_minus_one = ctx.op("Equal", y, ctx.constant(-1, dtype)) if signed else None
    special = ctx.op("Or", y_is_zero, y_is_minus_one) if signed else y_is_zero
    y_safe = where(ctx, special, one, y, dtype)
    q = ctx.op("Div", x, y_safe)
    if signed:
        r = ctx.op("Sub", x, ctx.op("Mul", q, y_safe))
        inexact = ctx.op("Not", ctx.op("Equal", r, zero))
        signs_differ = ctx.op("Xor", ctx.op("Less", r, zero), ctx.op("Less", y_safe, zero))
        q = ctx.op("Sub", q, ctx.cast(ctx.op("And", inexact, signs_differ), dtype))
        q = where(ctx, y_is_minus_one, ctx.op("Sub", zero, x), q, dtype)
    return where(ctx, y_is_zero, zero, q, dtype)


def _int_mod(ctx: LoweringContext, x: V, y: V, dtype: str) -> V:
    """numpy's x % y for integers: ONNX Mod (fmod=0, the sign of y) of a safe divisor (1 for 0
    and -1: x % 1 is 0, which is numpy's x % 0 and x % -1)."""
    one = ctx.constant(1, dtype)
    special = ctx.op("Equal", y, ctx.constant(0, dtype))
    if dtype in dtypes.SIGNED_DTYPES:
        special = ctx.op("Or", special, ctx.op("Equal", y, ctx.constant(-1, dtype)))
    return ctx.op("Mod", x, where(ctx, special, one, y, dtype), fmod=0)
