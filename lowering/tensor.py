"""Lowering of constants and axis-moving ops."""

from __future__ import annotations

import onnx_ir as oir

from ir import ops
from ir.core import Operation
from lowering.context import LoweringContext, LoweringUnsupported
from lowering.registry import lowers

V = oir.Value


@lowers(ops.Constant)
def lower_constant(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.initializer(op.attributes["value"].array, name=op.result.name)


@lowers(ops.Transpose)
def lower_transpose(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("Transpose", args[0], perm=list(op.attributes["perm"]))


@lowers(ops.Squeeze)
def lower_squeeze(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("Squeeze", args[0], ctx.axes(op.attributes["axes"]))


@lowers(ops.Unsqueeze)
def lower_unsqueeze(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("Unsqueeze", args[0], ctx.axes(op.attributes["axes"]))


@lowers(ops.DimShuffle)
def lower_dimshuffle(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    raise LoweringUnsupported("tir.dimshuffle is lowered by the lower-dimshuffle pass; run it")
