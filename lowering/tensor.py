"""Lowering of constants and axis-moving ops."""

from __future__ import annotations

import onnx_ir as oir

from ir import ops
from lowering.context import LoweringContext, LoweringUnsupported
from lowering.registry import lowers

V = oir.Value


@lowers(ops.Constant)
def lower_constant(op: ops.Constant, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.initializer(op.value.array, name=op.result.name)


@lowers(ops.Transpose)
def lower_transpose(op: ops.Transpose, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("Transpose", args[0], perm=list(op.perm))


@lowers(ops.Squeeze)
def lower_squeeze(op: ops.Squeeze, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("Squeeze", args[0], ctx.axes(op.axes))


@lowers(ops.Unsqueeze)
def lower_unsqueeze(op: ops.Unsqueeze, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("Unsqueeze", args[0], ctx.axes(op.axes))


@lowers(ops.DimShuffle)
def lower_dimshuffle(op: ops.DimShuffle, ctx: LoweringContext, args: list[V]) -> V:
    raise LoweringUnsupported("tir.dimshuffle is lowered by the lower-dimshuffle pass; run it")
