"""Lowering of shape, joining and constant-pattern ops."""

from __future__ import annotations

import numpy as np
import onnx_ir as oir

from ir import ops
from ir.ops.tensor import constant_array
from lowering.context import LoweringContext, LoweringUnsupported
from lowering.registry import lowers

V = oir.Value


@lowers(ops.Shape)
def lower_shape(op: ops.Shape, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("Shape", args[0])


@lowers(ops.Reshape)
def lower_reshape(op: ops.Reshape, ctx: LoweringContext, args: list[V]) -> V:
    # PyTensor's 0 is a size (ONNX's default copies the input dim): allowzero=1, unless the
    # target has a -1 (ONNX forbids both; a constant target without 0 needs no flag).
    target = constant_array(op.operands[1])
    allowzero = 0 if target is not None and (0 not in target or -1 in target) else 1
    if target is not None and 0 in target and -1 in target:
        raise LoweringUnsupported("reshape to a shape with both 0 and -1 is ambiguous")
    return ctx.op("Reshape", *args, allowzero=allowzero)


@lowers(ops.Expand)
def lower_expand(op: ops.Expand, ctx: LoweringContext, args: list[V]) -> V:
    target = constant_array(op.operands[1])
    if target is not None and 0 in target and op.result.type.is_static:
        # ORT 1.31's optimizer drops an Expand of a size-1 dim to a constant 0 (the result
        # keeps size 1). The result is empty: expand a 0-d zero to its shape instead.
        zero = ctx.constant(np.zeros((), dtype=op.result.dtype), op.result.dtype)
        return ctx.op("Expand", zero, ctx.constant(list(op.result.shape), "int64"))
    return ctx.op("Expand", *args)


@lowers(ops.Concat)
def lower_concat(op: ops.Concat, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("Concat", *args, axis=op.axis)


@lowers(ops.Split)
def lower_split(op: ops.Split, ctx: LoweringContext, args: list[V]) -> list[V]:
    return ctx.node("Split", args, {"axis": op.axis}, num_outputs=len(op.results))


@lowers(ops.Range)
def lower_range(op: ops.Range, ctx: LoweringContext, args: list[V]) -> V:
    """Integers: ONNX Range (exact). Floats: numpy's arange, which ONNX Runtime's Range is not
    (it adds the step repeatedly). numpy takes the length ceil((stop - start) / step) in
    float64, stores start and start + step (each rounded once to the dtype), and fills the rest
    with start + i * delta, delta = second - first, computed in the dtype (float16: in float32,
    then rounded). The first two values are written as such: start + 1 * delta is not always
    start + step, and 0 * an infinite delta is NaN."""
    dtype = op.result.dtype
    if dtype not in ("float16", "float32", "float64"):
        return ctx.kernel("Range", args, dtype)
    calc = "float32" if dtype == "float16" else dtype
    wide_start, wide_stop, wide_step = (ctx.cast(v, "float64") for v in args)
    count = ctx.op("Ceil", ctx.op("Div", ctx.op("Sub", wide_stop, wide_start), wide_step))
    count = ctx.cast(count, "int64")
    zero = ctx.constant(0, "int64")
    # Where, not Max: ONNX Runtime's int64 Max is wrong from 2**31 up.
    count = ctx.op("Where", ctx.op("Less", count, zero), zero, count)
    start, step = (v if calc == dtype else ctx.cast(v, calc) for v in (args[0], args[2]))
    second = ctx.op("Add", start, step)
    if calc != dtype:
        second = ctx.cast(ctx.cast(second, dtype), calc)  # rounded to the dtype once
    delta = ctx.op("Sub", second, start)
    index = ctx.op("Range", ctx.constant(2, "int64"), count, ctx.constant(1, "int64"))
    rest = ctx.op("Add", start, ctx.op("Mul", ctx.cast(index, calc), delta))
    first_two = [ctx.op("Unsqueeze", v, ctx.axes([0])) for v in (start, second)]
    values = ctx.op("Concat", *first_two, rest, axis=0)
    ends = ctx.op("Unsqueeze", count, ctx.axes([0]))
    values = ctx.op("Slice", values, ctx.axes([0]), ends, ctx.axes([0]))
    return values if calc == dtype else ctx.cast(values, dtype)


@lowers(ops.Eye)
def lower_eye(op: ops.Eye, ctx: LoweringContext, args: list[V]) -> V:
    """ones where column - row == k: two Ranges and a comparison."""
    n, m = args
    zero, one = ctx.constant(0, "int64"), ctx.constant(1, "int64")
    rows = ctx.op("Unsqueeze", ctx.op("Range", zero, n, one), ctx.axes([1]))
    cols = ctx.op("Unsqueeze", ctx.op("Range", zero, m, one), ctx.axes([0]))
    diagonal = ctx.op("Equal", ctx.op("Sub", cols, rows), ctx.constant(op.k, "int64"))
    return ctx.cast(diagonal, op.dtype)
