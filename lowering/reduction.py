"""Lowering of reductions, scans, sorting and the softmax family.

ONNX Runtime 1.31 computes integer ReduceSum and ReduceProd through double: int64 sums lose
their low bits from 2**53 up and overflow saturates instead of wrapping. Integer sums are
therefore a CumSum (exact, wrapping) whose last element is taken, and integer products a tree
of Mul over a static axis length. ORT's ReduceMax/ReduceMin, ArgMax/ArgMin skip NaN and its
TopK misplaces NaN; numpy's answers are built around them. There is no CumProd in opset 18: a
static axis is unrolled into numpy's left-to-right products.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx_ir as oir

from ir import dtypes, ops
from ir.ops.reduction import accumulator_dtype
from lowering.context import WIDER, LoweringContext, LoweringUnsupported, supports
from lowering.registry import lowers
from lowering.value_facts import may_be_nan, may_be_negative_zero, value_facts

V = oir.Value
FLOATS = dtypes.FLOAT_DTYPES
INT64_MIN = np.iinfo(np.int64).min
INT64_MAX = np.iinfo(np.int64).max
#: Longest static axis a running product (or float16 running sum) is unrolled over.
UNROLL_LIMIT = 1024


def _reduce(ctx: LoweringContext, op_type: str, x: V, dtype: str, axes, keepdims: bool) -> V:
    """ONNX Reduce* over explicit axes (an empty list would reduce every axis in ONNX)."""
    if not axes:
        return ctx.op("Identity", x)
    return ctx.kernel(op_type, [x], dtype, extra=[ctx.axes(axes)], keepdims=int(keepdims))


def _squeeze(ctx: LoweringContext, x: V, axes: Sequence[int]) -> V:
    """Squeeze exactly ``axes`` (ONNX Squeeze without axes would drop every size-1 axis)."""
    return ctx.op("Squeeze", x, ctx.axes(axes)) if axes else x


def _last(ctx: LoweringContext, x: V, axis: int) -> V:
    """x[..., -1:, ...] along ``axis`` (keeps the axis, size 1)."""
    return ctx.op(
        "Slice",
        x,
        ctx.constant([-1], "int64"),
        ctx.constant([INT64_MAX], "int64"),
        ctx.axes([axis]),
    )


def _pad_before(
    ctx: LoweringContext,
    x: V,
    rank: int,
    axis: int,
    count: int,
    value,
    dtype: str,
    *,
    after: bool = False,
) -> V:
    """``count`` copies of ``value`` before (or after) x (of rank ``rank``) along ``axis``."""
    pads = ctx.pads(rank, {axis: (0, count) if after else (count, 0)})
    return ctx.op("Pad", x, pads, ctx.constant(value, dtype), mode="constant")


# -- order keys: dtypes ORT cannot compare, mapped to ones it can ---------------------------------


def _order_key(ctx: LoweringContext, x: V, dtype: str, op_type: str) -> tuple[V, str]:
    """x mapped to a dtype ``op_type`` has a kernel for, preserving order and equality:
    a wider type, or for uint64 the int64 with the same bits minus 2**63 (wrapping)."""
    if supports(op_type, dtype):
        return x, dtype
    if dtype == "uint64" and supports(op_type, "int64"):
        shifted = ctx.op("Add", ctx.cast(x, "int64"), ctx.constant(INT64_MIN, "int64"))
        return shifted, "int64"
    wide = next((w for w in WIDER[dtype] if supports(op_type, w)), None)
    if wide is None:
        raise LoweringUnsupported(f"ONNX Runtime has no {op_type} kernel for {dtype}")
    return ctx.cast(x, wide), wide


def _from_key(ctx: LoweringContext, key: V, key_dtype: str, dtype: str) -> V:
    if key_dtype == dtype:
        return key
    if dtype == "uint64":
        return ctx.cast(ctx.op("Add", key, ctx.constant(INT64_MIN, "int64")), "uint64")
    return ctx.cast(key, dtype)


# -- sum and product ------------------------------------------------------------------------------


def _int_carrier(dtype: str) -> str:
    """The dtype an integer sum or product is computed in, wrapping like ``dtype`` once cast
    back (a ring homomorphism: the low bits of the wider result are the narrow result)."""
    if dtype in ("int32", "int64"):
        return dtype
    return "int64" if dtype in ("uint32", "uint64") else "int32"


def _int_sum(ctx: LoweringContext, op: ops.Reduce, x: V, axes, keepdims: bool) -> V:
    """Exact wrapping sum: per axis, the last element of a CumSum (a zero is put in front
    where the axis may be empty)."""
    dtype = op.x.dtype
    carrier = _int_carrier(dtype)
    v = ctx.cast(x, carrier) if carrier != dtype else x
    for axis in axes:
        length = op.x.shape[axis]
        if not (isinstance(length, int) and length > 0):
            v = _pad_before(ctx, v, op.x.rank, axis, 1, 0, carrier)
        v = _last(ctx, ctx.op("CumSum", v, ctx.constant(axis, "int64")), axis)
    v = v if keepdims else _squeeze(ctx, v, axes)
    return ctx.cast(v, dtype) if carrier != dtype else v


#: Halvings of an axis of unknown length in an integer product: axes up to 2**32 elements
#: (a longer one fails at run time in the final Squeeze, never silently).
DYNAMIC_HALVINGS = 32


def _int_prod(ctx: LoweringContext, op: ops.Reduce, x: V, axes, keepdims: bool) -> V:
    """Exact wrapping product: halves multiplied until one element is left (integer
    multiplication is associative and commutative), padding with a 1 where a length is odd.
    Static axes one by one; axes of unknown length merged into one first."""
    dtype, dims = op.x.dtype, op.x.shape
    if all(isinstance(dims[a], int) for a in axes):
        v = x
        for axis in axes:
            v = _static_halvings(ctx, v, op.x.rank, axis, dims[axis], dtype)
        v = _squeeze(ctx, v, axes)
    else:
        v, axis = _merged(ctx, x, op.x.rank, axes)
        rank = op.x.rank - len(axes) + 1  # the merged axes are one
        v = _squeeze(ctx, _dynamic_halvings(ctx, v, rank, axis, dtype), [axis])
    return ctx.op("Unsqueeze", v, ctx.axes(axes)) if keepdims else v


def _merged(ctx: LoweringContext, x: V, rank: int, axes) -> tuple[V, int]:
    """x with the kept axes first and ``axes`` merged into one last axis; that axis."""
    if len(axes) == 1:
        return x, axes[0]
    kept = [a for a in range(rank) if a not in axes]
    perm = kept + list(axes)
    v = x if perm == list(range(rank)) else ctx.op("Transpose", x, perm=perm)
    shape = ctx.op("Shape", v)
    head = ctx.op("Slice", shape, ctx.constant([0], "int64"), ctx.constant([len(kept)], "int64"))
    tail = ctx.op("Slice", shape, ctx.constant([len(kept)], "int64"), ctx.constant([rank], "int64"))
    # (A product of dims: far below 2**53, where ORT's integer ReduceProd is exact.)
    size = ctx.op("ReduceProd", tail, ctx.axes([0]), keepdims=1)
    return ctx.op("Reshape", v, ctx.op("Concat", head, size, axis=0), allowzero=1), len(kept)


def _halve(ctx: LoweringContext, v: V, axis: int, half: V, dtype: str) -> V:
    first = ctx.op("Slice", v, ctx.constant([0], "int64"), half, ctx.axes([axis]))
    second = ctx.op("Slice", v, half, ctx.constant([INT64_MAX], "int64"), ctx.axes([axis]))
    return ctx.kernel("Mul", [first, second], dtype)


def _static_halvings(
    ctx: LoweringContext, v: V, rank: int, axis: int, length: int, dtype: str
) -> V:
    size = 1 << max(length - 1, 0).bit_length()  # a power of two, at least 1
    if size != length:
        v = _pad_before(ctx, v, rank, axis, size - length, 1, dtype, after=True)
    while size > 1:
        size //= 2
        v = _halve(ctx, v, axis, ctx.constant([size], "int64"), dtype)
    return v


def _dynamic_halvings(ctx: LoweringContext, v: V, rank: int, axis: int, dtype: str) -> V:
    """A fixed number of halvings (a length-1 axis stays length 1: padded to 2, times 1)."""
    v = _pad_before(ctx, v, rank, axis, 1, 1, dtype)  # never empty
    one, two = ctx.constant([1], "int64"), ctx.constant([2], "int64")
    # Pads over every axis (see ctx.pads): zeros, then the odd bit at ``axis``'s end.
    zeros_before = ctx.constant([0] * (rank + axis), "int64")
    zeros_after = [ctx.constant([0] * (rank - axis - 1), "int64")] if axis < rank - 1 else []
    for _ in range(DYNAMIC_HALVINGS):
        length = ctx.op("Gather", ctx.op("Shape", v), ctx.constant([axis], "int64"), axis=0)
        odd = ctx.op("Mod", length, two)
        pads = ctx.op("Concat", zeros_before, odd, *zeros_after, axis=0)
        v = ctx.op("Pad", v, pads, ctx.constant(1, dtype), mode="constant")
        half = ctx.op("Div", ctx.op("Add", length, one), two)
        v = _halve(ctx, v, axis, half, dtype)
    return v


def _sum_or_prod(op_type: str, bool_op: str):
    def rule(op: ops.Reduce, ctx: LoweringContext, args: list[V]) -> V:
        (x,) = args
        axes, keepdims, dtype = op.reduced_axes(), op.keepdims, op.x.dtype
        if not axes:
            return ctx.op("Identity", x)
        if dtype == "bool":  # numpy: a bool sum is logical or, a bool product logical and
            return _logical_reduce(ctx, bool_op, x, axes, keepdims)
        if dtype in FLOATS:
            out = _reduce(ctx, op_type, x, dtype, axes, keepdims)
            if op_type == "ReduceSum" and may_be_negative_zero(ctx, op, op.result):
                # numpy's sum starts from +0.0, so it is never -0.0; ORT's sum of -0.0s is.
                # (Left out where x holds no -0.0 or no output can see the sign: ir.facts.)
                zero = ctx.constant(0.0, dtype)
                out = ctx.op("Where", ctx.op("Equal", out, zero), zero, out)
            return out
        if op_type == "ReduceSum":
            return _int_sum(ctx, op, x, axes, keepdims)
        return _int_prod(ctx, op, x, axes, keepdims)

    return rule


lowers(ops.ReduceSum)(_sum_or_prod("ReduceSum", "ReduceMax"))
lowers(ops.ReduceProd)(_sum_or_prod("ReduceProd", "ReduceMin"))


# -- max, min, all, any ---------------------------------------------------------------------------


def _nan_propagating(ctx: LoweringContext, reduced: V, x: V, axes, keepdims: bool, dtype: str) -> V:
    """ORT's ReduceMax/ReduceMin skip NaN; numpy returns NaN if any element is NaN."""
    if dtype not in FLOATS or not axes:
        return reduced
    has_nan = _reduce(
        ctx, "ReduceMax", ctx.cast(ctx.op("IsNaN", x), "uint8"), "uint8", axes, keepdims
    )
    nan = ctx.constant(float("nan"), dtype)
    # (reduced has the result's shape: ORT's Where keeps a -0.0 of it.)
    return ctx.op("Where", ctx.cast(has_nan, "bool"), nan, reduced)


def _extremum(op_type: str):
    def rule(op: ops.Reduce, ctx: LoweringContext, args: list[V]) -> V:
        (x,) = args
        axes, keepdims, dtype = op.reduced_axes(), op.keepdims, op.x.dtype
        if not axes:
            return ctx.op("Identity", x)
        key, key_dtype = _order_key(ctx, x, dtype, op_type)
        out = _reduce(ctx, op_type, key, key_dtype, axes, keepdims)
        out = _from_key(ctx, out, key_dtype, dtype)
        if not may_be_nan(ctx, op, op.x):  # (ir.facts: no NaN for ORT to skip)
            return out
        return _nan_propagating(ctx, out, x, axes, keepdims, dtype)

    return rule


lowers(ops.ReduceMax)(_extremum("ReduceMax"))
lowers(ops.ReduceMin)(_extremum("ReduceMin"))


def _logical_reduce(ctx: LoweringContext, op_type: str, x: V, axes, keepdims: bool) -> V:
    """All is the minimum of 0/1 values, Any the maximum (empty: 255 → True, 0 → False)."""
    out = _reduce(ctx, op_type, ctx.cast(x, "uint8"), "uint8", axes, keepdims)
    return ctx.cast(out, "bool")


def _logical(op_type: str):
    def rule(op: ops.Reduce, ctx: LoweringContext, args: list[V]) -> V:
        return _logical_reduce(ctx, op_type, args[0], op.reduced_axes(), op.keepdims)

    return rule


lowers(ops.ReduceAll)(_logical("ReduceMin"))
lowers(ops.ReduceAny)(_logical("ReduceMax"))


# -- the softmax family: PyTensor's inner graphs, with its float64 accumulation ------------------


def _arith(ctx: LoweringContext, op_type: str, *args: V, dtype: str) -> V:
    """A float op rounded to ``dtype`` right after it, as numpy rounds every float16 op. (ORT
    computes float16 arithmetic in float32 through casts it inserts itself, and drops those
    between consecutive ops: a float16 chain would round once, at its end. Casts written in
    the model stay.)"""
    if dtype != "float16":
        return ctx.op(op_type, *args)
    return ctx.cast(ctx.op(op_type, *(ctx.cast(a, "float32") for a in args)), "float16")


def _sum_of_exp(ctx: LoweringContext, shifted: V, dtype: str, axes) -> tuple[V, V]:
    """exp(shifted) and its sum over ``axes`` (kept) as PyTensor computes them: the sum in the
    accumulator dtype, rounded back to ``dtype``."""
    e = _arith(ctx, "Exp", shifted, dtype=dtype)
    acc = accumulator_dtype(dtype)
    wide = ctx.cast(e, acc) if acc != dtype else e
    total = _reduce(ctx, "ReduceSum", wide, acc, axes, True)
    return e, ctx.cast(total, dtype) if acc != dtype else total


@lowers(ops.LogSumExp)
def lower_logsumexp(op: ops.LogSumExp, ctx: LoweringContext, args: list[V]) -> V:
    """log(sum(exp(x - m))) + m with m = max(x), an infinite m taken as 0 (PyTensor's graph).
    (ORT's ReduceMax skips NaN where PyTensor's max is NaN: the NaN makes the sum NaN anyway.)"""
    (x,) = args
    axes, keepdims, dtype = op.reduced_axes(), op.keepdims, op.x.dtype
    m = _reduce(ctx, "ReduceMax", x, dtype, axes, True)  # empty: -inf, then 0 (as initial=-inf)
    sizes = [op.x.shape[a] for a in axes]
    never_inf = value_facts(ctx, op, op.x).finite and all(isinstance(d, int) and d for d in sizes)
    if not never_inf:  # (ir.facts: a finite x over non-empty axes has a finite max)
        m = ctx.op("Where", ctx.op("IsInf", m), ctx.constant(0.0, dtype), m)
    _, total = _sum_of_exp(ctx, _arith(ctx, "Sub", x, m, dtype=dtype), dtype, axes)
    out = _arith(ctx, "Add", _arith(ctx, "Log", total, dtype=dtype), m, dtype=dtype)
    return out if keepdims else _squeeze(ctx, out, axes)


#: The longest axis ONNX Runtime's Softmax sums within float tolerance of PyTensor's float64
#: accumulation: it adds float32 in 8 lanes, losing at most about n / 8 float32 ulps
#: (measured: 3.7e-6 relative at 512 on the worst input, 3e-5 at 4097).
SOFTMAX_AXIS_LIMIT = 512


def _softmax(log: bool):
    def rule(op: ops.Softmax, ctx: LoweringContext, args: list[V]) -> V:
        """softmax: ONNX Softmax over one static axis of at most ``SOFTMAX_AXIS_LIMIT``
        float32 or float64 elements (ORT agrees with PyTensor to float rounding there, NaN and
        infinities included).

        Otherwise, and for log_softmax (whose results near 0 ORT gets with a relative error
        of 6%), PyTensor's own graph: (x - m) / s or (x - m) - log(s) with m = max(x) and s
        accumulated in float64 for float32. (ORT's ReduceMax skips NaN where PyTensor's is
        NaN; the NaN makes s NaN, and every result, in both.)"""
        (x,) = args
        dtype = op.x.dtype
        axes = sorted(a % op.x.rank for a in op.axes) if op.x.rank else []
        if not log and len(axes) == 1 and dtype in ("float32", "float64"):
            length = op.x.shape[axes[0]]
            if isinstance(length, int) and length <= SOFTMAX_AXIS_LIMIT:
                return ctx.op("Softmax", x, axis=axes[0])
        m = _reduce(ctx, "ReduceMax", x, dtype, axes, True)
        shifted = _arith(ctx, "Sub", x, m, dtype=dtype)
        e, total = _sum_of_exp(ctx, shifted, dtype, axes)
        if log:
            return _arith(ctx, "Sub", shifted, _arith(ctx, "Log", total, dtype=dtype), dtype=dtype)
        return _arith(ctx, "Div", e, total, dtype=dtype)

    return rule


lowers(ops.Softmax)(_softmax(log=False))
lowers(ops.LogSoftmax)(_softmax(log=True))


# -- argmax, argmin -------------------------------------------------------------------------------


def _arg(op_type: str):
    def rule(op: ops.ArgReduce, ctx: LoweringContext, args: list[V]) -> V:
        (x,) = args
        axis, keepdims, dtype = op.axis, int(op.keepdims), op.x.dtype
        key, _ = _order_key(ctx, x, dtype, op_type)
        out = ctx.op(op_type, key, axis=axis, keepdims=keepdims, select_last_index=0)
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


# -- running sums and products --------------------------------------------------------------------


def _unrolled_scan(ctx: LoweringContext, op: ops.AxisOp, x: V, op_type: str, why: str) -> V:
    """out[i] = out[i - 1] (op) x[i] along the axis, one node per element (numpy's order)."""
    axis = op.axis % op.x.rank
    length = op.x.shape[axis]
    if not isinstance(length, int):
        raise LoweringUnsupported(f"{why}; the axis length ({length}) must be static to unroll")
    if length > UNROLL_LIMIT:
        raise LoweringUnsupported(
            f"{why}; the axis has {length} elements, more than the {UNROLL_LIMIT} unrolled here"
        )
    if length <= 1:
        return ctx.op("Identity", x)
    pieces = ctx.node(
        "Split", [x, ctx.constant([1] * length, "int64")], {"axis": axis}, num_outputs=length
    )
    dtype = op.x.dtype
    running = [pieces[0]]
    for piece in pieces[1:]:
        if dtype in FLOATS:
            running.append(_arith(ctx, op_type, running[-1], piece, dtype=dtype))
        else:
            running.append(ctx.kernel(op_type, [running[-1], piece], dtype))
    return ctx.op("Concat", *running, axis=axis)


@lowers(ops.CumSum)
def lower_cumsum(op: ops.CumSum, ctx: LoweringContext, args: list[V]) -> V:
    (x,) = args
    dtype = op.x.dtype
    axis = ctx.constant(op.axis, "int64")
    if dtype == "float16":
        # ORT's float16 CumSum does not round after every addition as numpy does.
        return _unrolled_scan(
            ctx, op, x, "Add", "ONNX Runtime's float16 CumSum rounds differently from numpy"
        )
    if dtype == "uint64":  # wrapping addition is the same on the int64 bits
        return ctx.cast(ctx.op("CumSum", ctx.cast(x, "int64"), axis), "uint64")
    # bool: a running count cast back to bool is the running or; narrow integers wrap back.
    return ctx.kernel("CumSum", [x], dtype, extra=[axis])


@lowers(ops.CumProd)
def lower_cumprod(op: ops.CumProd, ctx: LoweringContext, args: list[V]) -> V:
    (x,) = args
    if op.x.dtype == "bool":
        # A running and: no False seen yet, i.e. the running count of False is 0.
        falses = ctx.cast(ctx.op("Not", x), "int32")
        count = ctx.op("CumSum", falses, ctx.constant(op.axis, "int64"))
        return ctx.op("Equal", count, ctx.constant(0, "int32"))
    return _unrolled_scan(ctx, op, x, "Mul", "opset 18 has no cumulative product")


# -- sorting --------------------------------------------------------------------------------------


def _topk(ctx: LoweringContext, key: V, k: V, axis: int) -> tuple[V, V]:
    """Ascending TopK of everything: ties in index order (ONNX specifies it)."""
    values, indices = ctx.node(
        "TopK", [key, k], {"axis": axis, "largest": 0, "sorted": 1}, num_outputs=2
    )
    return values, indices


def _argsort(ctx: LoweringContext, op: ops.AxisOp, x: V) -> tuple[V, V | None]:
    """Stable ascending argsort indices, and the sorted values when TopK gave them directly."""
    dtype = op.x.dtype
    axis = op.axis % op.x.rank
    length = op.x.shape[axis]
    if isinstance(length, int):
        k = ctx.constant([length], "int64")
    else:
        k = ctx.op("Gather", ctx.op("Shape", x), ctx.constant([axis], "int64"), axis=0)
    if dtype not in FLOATS:
        key, key_dtype = _order_key(ctx, x, dtype, "TopK")
        values, indices = _topk(ctx, key, k, axis)
        return indices, values if key_dtype == dtype else None
    # TopK misplaces NaN (its comparisons with NaN are false). Sort with NaN as +inf, then
    # stably by "is NaN": numbers first in their order, NaN last in index order.
    is_nan = ctx.op("IsNaN", x)
    finite_key = ctx.op("Where", is_nan, ctx.constant(float("inf"), dtype), x)
    _, by_value = _topk(ctx, finite_key, k, axis)
    nan_key = ctx.op("GatherElements", ctx.cast(is_nan, "uint8"), by_value, axis=axis)
    _, nan_last = _topk(ctx, nan_key, k, axis)
    return ctx.op("GatherElements", by_value, nan_last, axis=axis), None


@lowers(ops.Sort)
def lower_sort(op: ops.Sort, ctx: LoweringContext, args: list[V]) -> V:
    indices, values = _argsort(ctx, op, args[0])
    if values is not None:
        return values
    return ctx.op("GatherElements", args[0], indices, axis=op.axis % op.x.rank)


@lowers(ops.Argsort)
def lower_argsort(op: ops.Argsort, ctx: LoweringContext, args: list[V]) -> V:
    return _argsort(ctx, op, args[0])[0]
