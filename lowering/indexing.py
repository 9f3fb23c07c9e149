"""Lowering of indexing ops."""

from __future__ import annotations

import onnx_ir as oir

from ir import ops
from ir.core import Operation
from lowering.context import LoweringContext, LoweringUnsupported
from lowering.registry import lowers

V = oir.Value


@lowers(ops.Slice)
def lower_slice(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    x, starts, stops, steps = args
    return ctx.op("Slice", x, starts, stops, ctx.axes(op.attributes["axes"]), steps)


@lowers(ops.Gather)
def lower_gather(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("Gather", *args, axis=op.attributes["axis"])


@lowers(ops.GatherND)
def lower_gather_nd(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("GatherND", *args)


@lowers(ops.ScatterND)
def lower_scatter_nd(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    reduction = op.attributes["reduction"]
    if op.result.dtype == "float16" and reduction == "add":
        # float32 accumulation would round once where numpy rounds after every add.
        raise LoweringUnsupported("ONNX Runtime has no float16 ScatterND kernel with add")
    return ctx.op("ScatterND", *args, reduction=reduction)


@lowers(ops.GatherElements)
def lower_gather_elements(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("GatherElements", *args, axis=op.attributes["axis"])
