"""Lowering of reductions, scans, sorting and the softmax family."""

from __future__ import annotations

import onnx_ir as oir

from ir import dtypes, ops
from ir.core import Operation
from lowering.context import LoweringContext, LoweringUnsupported
from lowering.registry import lowers

V = oir.Value
FLOATS = dtypes.FLOAT_DTYPES


def _reduce(ctx: LoweringContext, op_type: str, x: V, dtype: str, axes, keepdims: bool) -> V:
    """ONNX Reduce* over explicit axes (an empty list would reduce every axis in ONNX)."""
    if not axes:
        return ctx.op("Identity", x)
    return ctx.kernel(op_type, [x], dtype, extra=[ctx.axes(axes)], keepdims=int(keepdims))


def _nan_propagating(ctx: LoweringContext, reduced: V, x: V, axes, keepdims: bool, dtype: str) -> V:
    """ORT's ReduceMax/ReduceMin skip NaN; numpy returns NaN if any element is NaN."""
    if dtype not in FLOATS or not axes:
        return reduced
    has_nan = _reduce(ctx, "ReduceMax", ctx.cast(ctx.op("IsNaN", x), "uint8"), "uint8",
                      axes, keepdims)  # fmt: skip
    nan = ctx.constant(float("nan"), dtype)
    return ctx.op("Where", ctx.cast(has_nan, "bool"), nan, reduced)


def _rule(op_type: str, *, nan_propagating: bool = False):
    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        (x,) = args
        axes, keepdims, dtype = op.reduced_axes(), op.attributes["keepdims"], op.x.dtype
        out = _reduce(ctx, op_type, x, dtype, axes, keepdims)
        if nan_propagating:
            out = _nan_propagating(ctx, out, x, axes, keepdims, dtype)
        return out

    return rule


lowers(ops.ReduceSum)(_rule("ReduceSum"))
lowers(ops.ReduceProd)(_rule("ReduceProd"))
lowers(ops.ReduceMax)(_rule("ReduceMax", nan_propagating=True))
lowers(ops.ReduceMin)(_rule("ReduceMin", nan_propagating=True))


def _logical(op_type: str):
    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        axes, keepdims = op.reduced_axes(), op.attributes["keepdims"]
        out = _reduce(ctx, op_type, ctx.cast(args[0], "uint8"), "uint8", axes, keepdims)
        return ctx.cast(out, "bool")

    return rule


lowers(ops.ReduceAll)(_logical("ReduceMin"))
lowers(ops.ReduceAny)(_logical("ReduceMax"))


@lowers(ops.LogSumExp)
def lower_logsumexp(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """As PyTensor computes it: m + log(sum(exp(x - m))) with m = max(x), infinite m taken as 0."""
    (x,) = args
    axes, keepdims, dtype = op.reduced_axes(), op.attributes["keepdims"], op.x.dtype
    if not axes:
        return ctx.op("Identity", x)
    m = ctx.op("ReduceMax", x, ctx.axes(axes), keepdims=1)
    m = ctx.op("Where", ctx.op("IsInf", m), ctx.constant(0.0, dtype), m)
    total = ctx.op("ReduceSum", ctx.op("Exp", ctx.op("Sub", x, m)), ctx.axes(axes), keepdims=1)
    out = ctx.op("Add", ctx.op("Log", total), m)
    return out if keepdims else ctx.op("Squeeze", out, ctx.axes(axes))


def _arg(op_type: str):
    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        (x,) = args
        axis, keepdims, dtype = op.attributes["axis"], int(op.attributes["keepdims"]), op.x.dtype
        if dtype == "uint64" or dtype == "bool":
            if dtype == "uint64":
                raise LoweringUnsupported(f"ONNX Runtime has no {op_type} kernel for uint64")
            x, dtype = ctx.cast(x, "uint8"), "uint8"
        out = ctx.kernel(op_type, [x], dtype, bool_result=True, axis=axis, keepdims=keepdims,
                         select_last_index=0)  # fmt: skip
        if dtype not in FLOATS:
            return out
        # ORT skips NaN; numpy returns the index of the first NaN.
        nan = ctx.cast(ctx.op("IsNaN", x), "uint8")
        first_nan = ctx.op("ArgMax", nan, axis=axis, keepdims=keepdims, select_last_index=0)
        has_nan = ctx.op("ReduceMax", nan, ctx.axes([axis]), keepdims=keepdims)
        return ctx.op("Where", ctx.cast(has_nan, "bool"), first_nan, out)

    return rule


lowers(ops.ArgMax)(_arg("ArgMax"))
lowers(ops.ArgMin)(_arg("ArgMin"))


@lowers(ops.CumSum)
def lower_cumsum(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    axis = ctx.constant(op.attributes["axis"], "int64")
    return ctx.kernel("CumSum", args, op.x.dtype, extra=[axis])


@lowers(ops.CumProd)
def lower_cumprod(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    raise LoweringUnsupported("opset 18 has no cumulative product")


def _sorted(ctx: LoweringContext, op: Operation, x: V) -> tuple[V, V]:
    axis = op.attributes["axis"]
    k = ctx.op("Gather", ctx.op("Shape", x), ctx.constant([axis % op.x.rank], "int64"), axis=0)
    dtype = op.x.dtype
    if dtype not in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8"):
        raise LoweringUnsupported(f"ONNX Runtime has no TopK kernel for {dtype}")
    values, indices = ctx.node("TopK", [x, k], {"axis": axis, "largest": 0, "sorted": 1},
                               num_outputs=2)  # fmt: skip
    return values, indices


@lowers(ops.Sort)
def lower_sort(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return _sorted(ctx, op, args[0])[0]


@lowers(ops.Argsort)
def lower_argsort(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return _sorted(ctx, op, args[0])[1]


def _softmax(op_type: str, log: bool):
    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        (x,) = args
        axes = sorted(a % op.x.rank for a in op.attributes["axes"])
        if len(axes) == 1:
            return ctx.op(op_type, x, axis=axes[0])
        # Several axes: the definition, max-shifted.
        shifted = ctx.op("Sub", x, ctx.op("ReduceMax", x, ctx.axes(axes), keepdims=1))
        e = ctx.op("Exp", shifted)
        total = ctx.op("ReduceSum", e, ctx.axes(axes), keepdims=1)
        return ctx.op("Sub", shifted, ctx.op("Log", total)) if log else ctx.op("Div", e, total)

    return rule


lowers(ops.Softmax)(_softmax("Softmax", log=False))
lowers(ops.LogSoftmax)(_softmax("LogSoftmax", log=True))
