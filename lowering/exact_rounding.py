"""trunc and PyTensor's round half away from zero: ONNX has no Trunc, its Round is half to
even, and ORT's Where cannot give the signed zeros these return (trunc(-0.5) is -0.0)."""

from __future__ import annotations

from ir import ops
from ir.core import Operation
from lowering.context import LoweringContext
from lowering.elementwise_common import V, _dtype
from lowering.exact_signed_zero import _signed_zero, where
from lowering.registry import lowers


@lowers(ops.Trunc)
def lower_trunc(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    (x,) = args
    zero = ctx.constant(0.0, dtype)
    negative = ctx.op("Less", x, zero)
    t = where(ctx, negative, ctx.op("Ceil", x), ctx.op("Floor", x), dtype, zeros="")
    # A zero result has the sign of x (trunc(-0.5) is -0.0): x * 0.
    return where(ctx, ctx.op("Equal", t, zero), ctx.op("Mul", x, zero), t, dtype, zeros="a")


@lowers(ops.RoundHalfAwayFromZero)
def lower_round_half_away(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """PyTensor's round half away from zero: x > 0 ? floor(x + 0.5) : ceil(x - 0.5), computed
    in float64 (its Python and Numba backends; its C backend calls C's round instead)."""
    dtype = _dtype(op)
    (x,) = args
    zero = ctx.constant(0.0, dtype)
    half = ctx.constant(0.5, dtype)
    positive = ctx.op("Greater", x, zero)
    if dtype == "float64":
        # The addition itself rounds: 0.49999999999999994 gives 1.0 and odd integers in
        # [2**52, 2**53) step to the next even one. That is the reference. floor(x + 0.5) of
        # a positive x is never -0.0; ceil(x - 0.5), often -0.0, has the result's shape like
        # the condition, and ORT keeps a -0.0 of the second branch then.
        return where(ctx, positive, ctx.op("Floor", ctx.op("Add", x, half)),
                     ctx.op("Ceil", ctx.op("Sub", x, half)), dtype,
                     zeros="")  # fmt: skip
    # float32 and float16 are exact in float64, so PyTensor's result is the exact rounding of
    # |x| with ties up, computed here without widening: |x| - floor(|x|) is exact, so the tie
    # test is too.
    magnitude = ctx.op("Abs", x)
    floor = ctx.op("Floor", magnitude)
    up = ctx.op("GreaterOrEqual", ctx.op("Sub", magnitude, floor), half)
    rounded = ctx.op("Add", floor, ctx.cast(up, dtype))
    negative = ctx.op("Less", x, zero)
    # (Zeros are replaced below.)
    signed = where(ctx, negative, ctx.op("Neg", rounded), rounded, dtype, zeros="")
    # A zero result is +0.0 for x > 0 and -0.0 otherwise (ceil(x - 0.5) of +0.0 is -0.0).
    signed_zero = _signed_zero(ctx, ctx.op("Not", positive), dtype)
    return where(ctx, ctx.op("Equal", rounded, zero), signed_zero, signed, dtype, zeros="a")
