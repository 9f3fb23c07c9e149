"""softplus: ONNX Runtime's Softplus overflows and loses its tails (float64 from x > 709 and
below -37, float16 from x > 11, float32 up to 3.7 ulp off); PyTensor's piecewise formula."""

from __future__ import annotations

from ir import ops
from ir.core import Operation
from lowering.context import LoweringContext
from lowering.elementwise_common import V, _dtype
from lowering.exact_log1p_expm1 import _log1p
from lowering.exact_signed_zero import where
from lowering.registry import lowers


@lowers(ops.Softplus)
def lower_softplus(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return softplus(ctx, args[0], _dtype(op))


def softplus(ctx: LoweringContext, x: V, dtype: str) -> V:
    """ORT's float64 Softplus is log(1 + exp(x)) as written: it overflows to inf from x > 709
    and loses all relative accuracy below x < -37; its float16 kernel overflows from x > 11.
    float64 takes PyTensor's own piecewise formula (Softplus.impl, exact branches); float32
    and float16 compute that in float64."""
    if dtype in ("float16", "float32"):
        # ORT's float32 kernel is up to 3.7 ulp off (near -1.3): computed in float64 and
        # rounded once (float16 through float32).
        wide = x if dtype == "float32" else ctx.cast(x, "float32")
        out = ctx.cast(softplus(ctx, ctx.cast(wide, "float64"), "float64"), "float32")
        return out if dtype == "float32" else ctx.cast(out, dtype)
    if dtype != "float64":
        return ctx.kernel("Softplus", [x], dtype)

    def below(bound: float) -> V:
        return ctx.op("Less", x, ctx.constant(bound, dtype))

    exp_x = ctx.op("Exp", x)
    # x < -37: exp(x); x < 18: log1p(exp(x)); x < 33.3: x + exp(-x); else x (NaN falls here).
    # (Every selected value is >= +0, never -0.0.)
    out = ctx.op("Add", x, ctx.op("Exp", ctx.op("Neg", x)))
    out = where(ctx, below(33.3), out, x, dtype, zeros="")
    # (exp(x) is never -0.0, and below 18 it is finite: log1p needs neither fix-up.)
    log1p = _log1p(ctx, exp_x, dtype, keep_negative_zero=False, may_be_inf=False)
    out = where(ctx, below(18.0), log1p, out, dtype, zeros="")
    return where(ctx, below(-37.0), exp_x, out, dtype, zeros="")
