"""Lowering of tir.reduce_sum_square: ONNX ReduceSumSquare."""

from __future__ import annotations

import onnx_ir as oir

from ir import ops
from lowering.context import LoweringContext
from lowering.registry import lowers


@lowers(ops.ReduceSumSquare)
def lower_reduce_sum_square(
    op: ops.ReduceSumSquare, ctx: LoweringContext, args: list[oir.Value]
) -> oir.Value:
    """ReduceSumSquare over the explicit axes (none: x * x, as ONNX would reduce every axis).
    No signed-zero fix-up: a sum of squares is +0.0 or more in ONNX Runtime too."""
    (x,) = args
    axes = op.reduced_axes()
    if not axes:
        return ctx.op("Mul", x, x)
    return ctx.kernel(
        "ReduceSumSquare", [x], op.x.dtype, extra=[ctx.axes(axes)], keepdims=int(op.keepdims)
    )
