"""Float floor division and remainder as numpy computes them (npy_divmod).

Floor(x / y) is not numpy's ``//``: 1.0 // 0.1 is 9.0 in numpy, Floor(1.0 / 0.1) is 10.0, and
inf // 2.0 is NaN; ONNX's Mod(fmod=1) is C's fmod, with the sign of x, where Python's % takes
the sign of y.
"""

from __future__ import annotations

from collections.abc import Callable

from lowering.context import LoweringContext
from lowering.elementwise_common import V
from lowering.exact_signed_zero import _signed_zero, where


def _float_divmod(ctx: LoweringContext, x: V, y: V, dtype: str) -> tuple[V, V]:
    """numpy's npy_divmod step by step (floor_divide and remainder for floats):
    mod = fmod(x, y); div = (x - mod) / y; if mod and sign(mod) != sign(y): mod += y, div -= 1;
    a zero mod takes y's sign; div is floored and snapped (+1 if div - floor(div) > 0.5); a zero
    quotient takes the sign of x / y; y == 0 gives x / y and fmod's NaN. Floor(x / y) alone is
    wrong: numpy's 1.0 // 0.1 is 9.0, floor(1.0 / 0.1) is 10.0, and inf // 2.0 is NaN."""
    zero, one = ctx.constant(0.0, dtype), ctx.constant(1.0, dtype)
    mod = ctx.op("Mod", x, y, fmod=1)  # exact
    div = ctx.op("Div", ctx.op("Sub", x, mod), y)
    y_negative = ctx.op("Less", y, zero)
    adjust = ctx.op(
        "And",
        ctx.op("Not", ctx.op("Equal", mod, zero)),  # true for NaN, as C's `if (mod)`
        ctx.op("Xor", y_negative, ctx.op("Less", mod, zero)),
    )
    # (Values marked a_not_neg_zero are never -0.0: mod + y is nonzero when adjusting, a - 1
    # and a + 1 are not -0.0, and x / ±0 is ±inf or NaN.)
    mod = where(ctx, adjust, ctx.op("Add", mod, y), mod, dtype, zeros="")
    mod = where(ctx, ctx.op("Equal", mod, zero), _signed_zero(ctx, y_negative, dtype), mod, dtype,
                zeros="a")  # fmt: skip
    div = where(ctx, adjust, ctx.op("Sub", div, one), div, dtype, zeros="")
    floor = ctx.op("Floor", div)
    snap = ctx.op("Greater", ctx.op("Sub", div, floor), ctx.constant(0.5, dtype))
    floor = where(ctx, snap, ctx.op("Add", floor, one), floor, dtype, zeros="")
    quotient = ctx.op("Div", x, y)
    # div == 0 only where x / y is ±0 or tiny: 1 / (x / y) has its sign (±inf for ±0).
    q_negative = ctx.op("Less", ctx.op("Reciprocal", quotient), zero)
    div_zero = ctx.op("Equal", div, zero)
    floor = where(ctx, div_zero, _signed_zero(ctx, q_negative, dtype), floor, dtype, zeros="a")
    y_zero = ctx.op("Equal", y, zero)
    return where(ctx, y_zero, quotient, floor, dtype, zeros=""), mod


def float_divmod_rule(index: int) -> Callable[[LoweringContext, V, V, str], V]:
    """Floats: numpy's algorithm; float16 in float32, as numpy's half loops do (the casts to
    float32 are exact, the one back rounds once)."""

    def rule(ctx: LoweringContext, x: V, y: V, dtype: str) -> V:
        if dtype == "float16":
            wide = _float_divmod(ctx, ctx.cast(x, "float32"), ctx.cast(y, "float32"), "float32")
            return ctx.cast(wide[index], dtype)
        return _float_divmod(ctx, x, y, dtype)[index]

    return rule
