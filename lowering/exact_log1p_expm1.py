"""expm1 and log1p: ONNX has neither, and exp(x) - 1, log(1 + x) lose every digit near 0.

Kahan's and Goldberg's corrections give a few ulps; ±0.0, ±inf and NaN as numpy gives them.
float32 and float16 are computed in float64 and rounded once (ORT's float32 Log and Exp are up
to 2 ulps off, and through the corrections float32 log1p and expm1 were 4 ulps from the
correctly rounded value on (-0.9, 0.5): over the 4-ulp contract once the rounding is counted).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ir import ops
from ir.core import Operation
from lowering.context import LoweringContext
from lowering.elementwise_common import V, _dtype
from lowering.exact_signed_zero import where
from lowering.registry import lowers
from lowering.value_facts import value_facts, zero_sign_observed


def _expm1(ctx: LoweringContext, x: V, dtype: str) -> V:
    """e**x - 1 to within a few ulps (Kahan): u = e**x; u == 1 ? x : (u - 1) * x / log(u)."""
    one = ctx.constant(1.0, dtype)
    u = ctx.op("Exp", x)
    um1 = ctx.op("Sub", u, one)
    general = ctx.op("Mul", um1, ctx.op("Div", x, ctx.op("Log", u)))
    minus_one = ctx.constant(-1.0, dtype)
    out = where(ctx, ctx.op("Equal", um1, minus_one), minus_one, general, dtype, zeros="")
    is_inf = ctx.kernel("IsInf", [u], dtype, bool_result=True)
    out = where(ctx, is_inf, u, out, dtype, zeros="")  # u = e**x >= +0
    return where(ctx, ctx.op("Equal", u, one), x, out, dtype, zeros="a")  # expm1(-0.0) = -0.0


def _in_float64(ctx: LoweringContext, x: V, dtype: str, compute: Callable[[V, str], V]) -> V:
    """``compute`` in float64 for narrower floats (exact widening, one rounding back)."""
    if dtype not in ("float32", "float16"):
        return compute(x, dtype)
    return ctx.cast(compute(ctx.cast(x, "float64"), "float64"), dtype)


@lowers(ops.Expm1)
def lower_expm1(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return _in_float64(ctx, args[0], _dtype(op), lambda x, dtype: _expm1(ctx, x, dtype))


def _log1p(
    ctx: LoweringContext,
    x: V,
    dtype: str,
    *,
    keep_negative_zero: bool = True,
    may_be_inf: bool = True,
) -> V:
    """log(1 + x) to within a few ulps (Goldberg): u = 1 + x; u == 1 ? x : log(u) * x / (u - 1).
    A caller whose x holds no -0.0 (or whose zeros' sign no output sees) passes
    ``keep_negative_zero=False``, one whose selected x is never +inf ``may_be_inf=False``: the
    fix-ups for those are left out."""
    one = ctx.constant(1.0, dtype)
    u = ctx.op("Add", one, x)
    log_u = ctx.op("Log", u)
    out = ctx.op("Mul", log_u, ctx.op("Div", x, ctx.op("Sub", u, one)))
    if may_be_inf:
        is_inf = ctx.op("Equal", u, ctx.constant(math.inf, dtype))
        out = where(ctx, is_inf, u, out, dtype, zeros="")
    zeros = "a" if keep_negative_zero else ""  # log1p(-0.0) = -0.0
    return where(ctx, ctx.op("Equal", u, one), x, out, dtype, zeros=zeros)


@lowers(ops.Log1p)
def lower_log1p(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    x = value_facts(ctx, op, op.operands[0])
    keep = x.neg_zero and zero_sign_observed(ctx, op, op.result)
    inf = x.hi == math.inf
    return _in_float64(
        ctx,
        args[0],
        _dtype(op),
        lambda v, dtype: _log1p(ctx, v, dtype, keep_negative_zero=keep, may_be_inf=inf),
    )
