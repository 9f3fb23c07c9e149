"""float64 sin, cos, tan, sinh and cosh: ONNX Runtime has no float64 kernels for the last
three, and its float64 Sin and Cos reduce their argument too coarsely.

ORT's float64 Sin and Cos are accurate in absolute but not in relative terms away from
[-pi/4, pi/4] (sin(pi) is -0.0, not 1.2246e-16; sin(3.14159) is 4.6e-11 relative off; so
sin(x) / cos(x) is inf at fl(pi/2)), and exp(|x|) overflows before sinh and cosh do. These
follow fdlibm: a Cody-Waite reduction by pi/2, then ORT's kernels on [-pi/4, pi/4], where
they are within 3 ulp.
"""

from __future__ import annotations

import math

from ir import ops
from ir.core import Operation
from lowering.context import LoweringContext, supports
from lowering.elementwise_common import V, _dtype
from lowering.exact_log1p_expm1 import _expm1
from lowering.exact_signed_zero import where
from lowering.registry import lowers

#: fdlibm's pi/2 in three parts (33 + 33 + 53 bits): n * part is exact for |n| < 2**20.
_PIO2_1 = 1.57079632673412561417e00
_PIO2_2 = 6.07710050630396597660e-11
_PIO2_2T = 2.02226624879595063154e-21
#: Below this |x| (fdlibm's "medium" range, 2**19 * pi/2) the reduction above is exact enough.
_TAN_REDUCE_LIMIT = 2.0**19 * (math.pi / 2)


@lowers(ops.Tan)
def lower_tan(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """float64 (no ORT kernel): ORT's float64 Sin and Cos are accurate to ~4e-16 absolute
    but not relative near their zeros, so sin(x) / cos(x) is far off near the poles
    (tan(fl(pi/2)) comes out inf, not 1.633e16). So, as fdlibm: n = rint(x * 2/pi),
    r = x - n * pi/2 with pi/2 in three parts (Cody-Waite), |r| <= pi/4, and
    tan(x) = sin(r) / cos(r) for even n, -cos(r) / sin(r) for odd n. Beyond 2**19 * pi/2
    (where n * part is no longer exact) sin(x) / cos(x) is used as is."""
    dtype = _dtype(op)
    (x,) = args
    if supports("Tan", dtype):
        return ctx.op("Tan", x)

    def c(v: float) -> V:
        return ctx.constant(v, dtype)

    n, r = _reduce_by_half_pi(ctx, x, dtype)
    sin_r, cos_r = ctx.op("Sin", r), ctx.op("Cos", r)
    odd = ctx.op("Equal", ctx.op("Abs", ctx.op("Mod", n, c(2.0), fmod=1)), c(1.0))
    # cos(r) >= 0.7, so -cos(r) / sin(r) is never -0.0 (and sin(r) / cos(r), -0.0 for x = -0.0,
    # has the full shape, as the condition: ORT keeps a -0.0 from the second branch then).
    reduced = where(ctx, odd, ctx.op("Neg", ctx.op("Div", cos_r, sin_r)),
                    ctx.op("Div", sin_r, cos_r), dtype, zeros="")  # fmt: skip
    # Beyond the limit (and for ±inf, NaN): sin(x) / cos(x); sin of a nonzero double is not 0.
    far = ctx.op("GreaterOrEqual", ctx.op("Abs", x), c(_TAN_REDUCE_LIMIT))
    naive = ctx.op("Div", ctx.op("Sin", x), ctx.op("Cos", x))
    return where(ctx, far, naive, reduced, dtype, zeros="")


def _reduce_by_half_pi(ctx: LoweringContext, x: V, dtype: str) -> tuple[V, V]:
    """fdlibm's medium-range reduction: n = rint(x * 2/pi) and r = x - n * pi/2 with pi/2 in
    three parts (Cody-Waite), |r| <= pi/4 (about), exact enough below ``_TAN_REDUCE_LIMIT``."""

    def c(v: float) -> V:
        return ctx.constant(v, dtype)

    n = ctx.op("Round", ctx.op("Mul", x, c(2 / math.pi)))
    # n = -0.0 → +0.0, so that x - n * part keeps the sign of x = -0.0. (Not n + 0.0: ORT's
    # optimizer drops an Add of a zero constant.)
    n = ctx.op("Where", ctx.op("Equal", n, c(0.0)), c(0.0), n)
    r = ctx.op("Sub", x, ctx.op("Mul", n, c(_PIO2_1)))  # exact near the multiples of pi/2
    r = ctx.op("Sub", r, ctx.op("Mul", n, c(_PIO2_2)))
    r = ctx.op("Sub", r, ctx.op("Mul", n, c(_PIO2_2T)))
    return n, r


@lowers(ops.Sin, ops.Cos)
def lower_sin_cos(op: ops.Sin | ops.Cos, ctx: LoweringContext, args: list[V]) -> V:
    """float64: with n, r from ``_reduce_by_half_pi`` and q = n mod 4, sin(x) is sin r, cos r,
    -sin r, -cos r for q = 0, 1, 2, 3 (fdlibm), and cos(x) is the same one quadrant on
    (q = (n + 1) mod 4); beyond 2**19 * pi/2, ±inf and NaN, ORT's kernel on x. Other dtypes:
    ORT's kernel (float16 computed in float32 and rounded)."""
    dtype = _dtype(op)
    (x,) = args
    name = "Sin" if isinstance(op, ops.Sin) else "Cos"
    if dtype != "float64":
        return ctx.kernel(name, [x], dtype)

    def c(v: float) -> V:
        return ctx.constant(v, dtype)

    n, r = _reduce_by_half_pi(ctx, x, dtype)
    if name == "Cos":  # cos(x) = sin(x + pi/2): one quadrant on
        n = ctx.op("Add", n, c(1.0))
    q = ctx.op("Sub", n, ctx.op("Mul", ctx.op("Floor", ctx.op("Mul", n, c(0.25))), c(4.0)))
    sin_r, cos_r = ctx.op("Sin", r), ctx.op("Cos", r)
    odd = ctx.op("Equal", ctx.op("Mod", q, c(2.0), fmod=1), c(1.0))
    value = where(ctx, odd, cos_r, sin_r, dtype)
    reduced = where(ctx, ctx.op("GreaterOrEqual", q, c(2.0)), ctx.op("Neg", value), value, dtype)
    far = ctx.op("Not", ctx.op("Less", ctx.op("Abs", x), c(_TAN_REDUCE_LIMIT)))  # NaN too
    return where(ctx, far, ctx.op(name, x), reduced, dtype)


#: Above this |x|, exp(|x|) overflows float64 while sinh and cosh are still finite (up to
#: 710.475...): they are computed as (exp(|x|/2) / 2) * exp(|x|/2) there, as fdlibm does.
_EXP_SAFE_F64 = 709.0


def _half_exp_squared(ctx: LoweringContext, a: V, dtype: str) -> V:
    """exp(a) / 2 for large a without overflowing early: (exp(a/2) / 2) * exp(a/2)."""
    half = ctx.constant(0.5, dtype)
    w = ctx.op("Exp", ctx.op("Mul", a, half))
    return ctx.op("Mul", ctx.op("Mul", w, half), w)


@lowers(ops.Cosh)
def lower_cosh(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    if supports("Cosh", dtype):
        return ctx.op("Cosh", args[0])
    a = ctx.op("Abs", args[0])
    e = ctx.op("Exp", a)  # float64: (e + 1/e) / 2 has no cancellation
    half = ctx.constant(0.5, dtype)
    small = ctx.op("Mul", ctx.op("Add", e, ctx.op("Reciprocal", e)), half)
    large = ctx.op("Greater", a, ctx.constant(_EXP_SAFE_F64, dtype))
    return where(ctx, large, _half_exp_squared(ctx, a, dtype), small, dtype, zeros="")


@lowers(ops.Sinh)
def lower_sinh(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    (x,) = args
    if supports("Sinh", dtype):
        return ctx.op("Sinh", x)
    # float64, as fdlibm: t = expm1(|x|), sinh|x| = (t + t / (t + 1)) / 2, sign restored.
    a = ctx.op("Abs", x)
    t = _expm1(ctx, a, dtype)
    one, half = ctx.constant(1.0, dtype), ctx.constant(0.5, dtype)
    s = ctx.op("Mul", ctx.op("Add", t, ctx.op("Div", t, ctx.op("Add", t, one))), half)
    # expm1 overflows from |x| > 709.78 but sinh only from 710.48 (and is inf, NaN as is).
    large = ctx.op("Greater", a, ctx.constant(_EXP_SAFE_F64, dtype))
    s = where(ctx, large, _half_exp_squared(ctx, a, dtype), s, dtype, zeros="")
    zero = ctx.constant(0.0, dtype)
    signed = where(ctx, ctx.op("Less", x, zero), ctx.op("Neg", s), s, dtype, zeros="")
    return where(ctx, ctx.op("Equal", x, zero), x, signed, dtype, zeros="a")  # sinh(±0) is ±0
