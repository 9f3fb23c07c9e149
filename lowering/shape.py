"""Lowering of shape, joining and constant-pattern ops."""

from __future__ import annotations

import onnx_ir as oir

from ir import ops
from ir.core import Operation
from ir.ops.tensor import constant_array
from lowering.context import LoweringContext, LoweringUnsupported
from lowering.registry import lowers

V = oir.Value


@lowers(ops.Shape)
def lower_shape(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("Shape", args[0])


@lowers(ops.Reshape)
def lower_reshape(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    # PyTensor's 0 is a size (ONNX's default copies the input dim): allowzero=1, unless the
    # target has a -1 (ONNX forbids both; a constant target without 0 needs no flag).
    target = constant_array(op.operands[1])
    allowzero = 0 if target is not None and (0 not in target or -1 in target) else 1
    if target is not None and 0 in target and -1 in target:
        raise LoweringUnsupported("reshape to a shape with both 0 and -1 is ambiguous")
    return ctx.op("Reshape", *args, allowzero=allowzero)


@lowers(ops.Expand)
def lower_expand(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("Expand", *args)


@lowers(ops.Concat)
def lower_concat(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("Concat", *args, axis=op.attributes["axis"])


@lowers(ops.Split)
def lower_split(op: Operation, ctx: LoweringContext, args: list[V]) -> list[V]:
    return ctx.node("Split", args, {"axis": op.attributes["axis"]}, num_outputs=len(op.results))


@lowers(ops.Range)
def lower_range(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """Integers: ONNX Range (exact). Floats: numpy's arange, which ONNX Runtime's Range is not
    (it adds the step repeatedly): length = ceil((stop - start) / step) in float64, then
    start + i * delta with delta = (start + step) - start, as numpy fills it."""
    dtype = op.result.dtype
    if dtype not in ("float16", "float32", "float64"):
        return ctx.kernel("Range", args, dtype)
    start, step = args[0], args[2]
    wide_start, wide_stop, wide_step = (ctx.cast(v, "float64") for v in args)
    count = ctx.op("Ceil", ctx.op("Div", ctx.op("Sub", wide_stop, wide_start), wide_step))
    count = ctx.op("Max", ctx.cast(count, "int64"), ctx.constant(0, "int64"))
    index = ctx.op("Range", ctx.constant(0, "int64"), count, ctx.constant(1, "int64"))
    delta = ctx.op("Sub", ctx.op("Add", start, step), start)
    return ctx.op("Add", start, ctx.op("Mul", ctx.cast(index, dtype), delta))


@lowers(ops.Eye)
def lower_eye(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """ones where column - row == k: two Ranges and a comparison."""
    n, m = args
    zero, one = ctx.constant(0, "int64"), ctx.constant(1, "int64")
    rows = ctx.op("Unsqueeze", ctx.op("Range", zero, n, one), ctx.axes([1]))
    cols = ctx.op("Unsqueeze", ctx.op("Range", zero, m, one), ctx.axes([0]))
    diagonal = ctx.op("Equal", ctx.op("Sub", cols, rows), ctx.constant(op.attributes["k"], "int64"))
    return ctx.cast(diagonal, op.attributes["dtype"])
