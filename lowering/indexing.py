"""Lowering of indexing ops: Slice with Python's bounds, the gathers, NonZero, and scatters
that stay exact when targets repeat (through ScatterElements on the flattened data)."""

from __future__ import annotations

import numpy as np
import onnx_ir as oir

from ir import ops
from ir.core import Value
from ir.ops.shape import static_ints
from ir.ops.tensor import constant_array, normalize_axes
from lowering.context import LoweringContext, LoweringUnsupported, supports
from lowering.registry import lowers

V = oir.Value
INT64_MAX = int(np.iinfo(np.int64).max)
_INT32_MAX = int(np.iinfo(np.int32).max)

#: Reductions of ScatterElements measured on ONNX Runtime 1.31 beyond ``ORT_KERNELS``.
_SCATTER_MAX_DTYPES = frozenset({"int32", "int64", "float32", "float64"})


# -- slices and gathers ---------------------------------------------------------------------------


@lowers(ops.Slice)
def lower_slice(op: ops.Slice, ctx: LoweringContext, args: list[V]) -> V:
    """ONNX Runtime's Slice clamps like Python except with a negative step: a start below -dim
    is clamped to 0 (Python: before the first element, an empty slice), and a stop of
    INT32_MAX or INT64_MAX means "to the beginning" (Python: clamped to dim - 1, an empty
    slice). In both cases the stop becomes INT64_MAX - 1, which clamps to dim: empty."""
    x, starts, stops, steps = args
    axes = normalize_axes(op.axes, op.x.rank, op.NAME)
    if _needs_python_bounds(op, axes):
        n = len(axes)
        dims = _dims_vector(ctx, op.x, x, axes)
        before = ctx.op("Less", starts, ctx.op("Neg", dims))
        special = ctx.op(
            "Or",
            ctx.op("Equal", stops, ctx.constant([_INT32_MAX] * n, "int64")),
            ctx.op("Equal", stops, ctx.constant([INT64_MAX] * n, "int64")),
        )
        negative = ctx.op("Less", steps, ctx.constant([0] * n, "int64"))
        empty = ctx.op("And", negative, ctx.op("Or", before, special))
        stops = ctx.op("Where", empty, ctx.constant([INT64_MAX - 1] * n, "int64"), stops)
    return ctx.op("Slice", x, starts, stops, ctx.axes(axes), steps)


def _needs_python_bounds(op: ops.Slice, axes: tuple[int, ...]) -> bool:
    starts, stops, steps = (static_ints(v) for v in (op.starts, op.stops, op.steps))
    for i, axis in enumerate(axes):
        if steps is not None and steps[i] > 0:
            continue
        dim = op.x.shape[axis]
        start_ok = starts is not None and (
            starts[i] >= 0 or (isinstance(dim, int) and starts[i] >= -dim)
        )
        stop_ok = stops is not None and stops[i] not in (_INT32_MAX, INT64_MAX)
        if not (start_ok and stop_ok):
            return True
    return False


@lowers(ops.Gather)
def lower_gather(op: ops.Gather, ctx: LoweringContext, args: list[V]) -> V:
    """A vector indexed by a vector is GatherElements (the same elements, the same bounds
    checks and negative indices): ORT's Gather copies element by element, 3-4x slower there
    (a 20-vector by 10^4 indices: 113 us against 30 us, one thread)."""
    if op.operands[0].rank == 1 and op.operands[1].rank == 1:
        return ctx.op("GatherElements", *args, axis=0)
    return ctx.op("Gather", *args, axis=op.axis)


@lowers(ops.GatherND)
def lower_gather_nd(op: ops.GatherND, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("GatherND", *args)


@lowers(ops.GatherElements)
def lower_gather_elements(op: ops.GatherElements, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.op("GatherElements", *args, axis=op.axis)


@lowers(ops.NonZero)
def lower_nonzero(op: ops.NonZero, ctx: LoweringContext, args: list[V]) -> V:
    (x,) = args
    if not supports("NonZero", op.x.dtype):
        x = ctx.cast(x, "bool")  # nonzero (NaN too) is exactly "true"
    return ctx.op("NonZero", x)


# -- scatters -------------------------------------------------------------------------------------


@lowers(ops.ScatterElements)
def lower_scatter_elements(op: ops.ScatterElements, ctx: LoweringContext, args: list[V]) -> V:
    """ScatterElements, except where targets may repeat without a reduction: ONNX leaves the
    result undefined there, so the last write is made to win in any order (``_last_wins``).
    With "add", ONNX Runtime accumulates along the axis in index order (numpy's add.at)."""
    x, indices, updates = args
    reduction, axis = op.reduction, op.axis
    dtype = op.x.dtype
    if reduction != "none" or op.unique or _constant_unique(op.indices, axis):
        _check_scatter_kernel(reduction, dtype)
        return ctx.op("ScatterElements", x, indices, updates, axis=axis, reduction=reduction)
    # Repeated targets, last one wins: on the flattened data, where positions are exact.
    if op.x.rank == 1:
        return _last_wins(ctx, x, indices, updates)
    positions = ctx.op("GatherElements", _iota(ctx, op.x, x), indices, axis=axis)
    out = _last_wins(ctx, _flat(ctx, x), _flat(ctx, positions), _flat(ctx, updates))
    return _reshape(ctx, out, _shape(ctx, op.x, x))


@lowers(ops.ScatterND)
def lower_scatter_nd(op: ops.ScatterND, ctx: LoweringContext, args: list[V]) -> V:
    """As ScatterElements on the flattened data: ONNX Runtime's ScatterND runs the index
    tuples in parallel, so a repeated target gets a racy mix (measured wrong for "none" and
    "add"). The flat position of element j of the slice that tuple t addresses is
    prefix_iota[t] * inner + j (GatherND on an iota checks bounds, resolves negatives)."""
    x, indices, updates = args
    reduction = op.reduction
    k = op.indices.shape[-1]
    rank, dtype = op.x.rank, op.x.dtype
    if k == 0:
        raise LoweringUnsupported("tir.scatter_nd with empty index tuples")
    shape = _shape(ctx, op.x, x)
    prefix = _static_or(ctx, op.x.shape[:k], lambda: _slice_vector(ctx, shape, 0, k))
    count = _product(ctx, op.x.shape[:k], prefix)
    zero, one = ctx.constant(0, "int64"), ctx.constant(1, "int64")
    prefix_iota = _reshape(ctx, ctx.op("Range", zero, count, one), prefix)
    positions = ctx.op("GatherND", prefix_iota, indices)
    if k < rank:
        trailing = _static_or(ctx, op.x.shape[k:], lambda: _slice_vector(ctx, shape, k, rank))
        inner = _product(ctx, op.x.shape[k:], trailing)
        within = _reshape(ctx, ctx.op("Range", zero, inner, one), trailing)
        batch = op.indices.rank - 1
        spread = ctx.op("Unsqueeze", positions, ctx.axes(range(batch, batch + rank - k)))
        positions = ctx.op("Add", ctx.op("Mul", spread, inner), within)
    flat_x, flat_pos, flat_upd = _flat(ctx, x), _flat(ctx, positions), _flat(ctx, updates)
    if reduction == "none" and not _constant_unique_rows(op.indices):
        out = _last_wins(ctx, flat_x, flat_pos, flat_upd)
    else:
        _check_scatter_kernel(reduction, dtype)
        out = ctx.op("ScatterElements", flat_x, flat_pos, flat_upd, axis=0, reduction=reduction)
    return _reshape(ctx, out, shape)


def _last_wins(ctx: LoweringContext, x: V, positions: V, updates: V) -> V:
    """1-D x with updates written at positions, the last of repeated positions winning, in
    any order of application: winner[p] = the largest i with positions[i] = p (reduction max
    over i, from 0), then every write to p carries updates[winner[p]]."""
    zero, one = ctx.constant(0, "int64"), ctx.constant(1, "int64")
    order = ctx.op("Range", zero, ctx.op("Size", positions), one)
    start = ctx.op("Expand", zero, ctx.op("Shape", x))
    winner = ctx.op("ScatterElements", start, positions, order, axis=0, reduction="max")
    chosen = ctx.op("Gather", updates, ctx.op("Gather", winner, positions, axis=0), axis=0)
    return ctx.op("ScatterElements", x, positions, chosen, axis=0, reduction="none")


def _check_scatter_kernel(reduction: str, dtype: str) -> None:
    if reduction == "max":
        ok = dtype in _SCATTER_MAX_DTYPES
    else:
        ok = supports(f"ScatterElements[{reduction}]", dtype)
    if not ok:
        # A wider dtype would round (float16) where the scatter must round at every step.
        raise LoweringUnsupported(
            f"ONNX Runtime has no ScatterElements kernel with reduction {reduction} for {dtype}"
        )


def _constant_unique(indices: Value, axis: int) -> bool:
    """Constant indices whose targets never repeat (each target is (i without axis, index))."""
    data = constant_array(indices)
    if data is None or data.ndim == 0:
        return False
    moved = np.moveaxis(data, axis, -1).reshape(-1, data.shape[axis])
    return all(len(np.unique(row)) == len(row) for row in moved) and bool((data >= 0).all())


def _constant_unique_rows(indices: Value) -> bool:
    data = constant_array(indices)
    if data is None or not (data >= 0).all():
        return False
    rows = data.reshape(-1, data.shape[-1])
    return len(np.unique(rows, axis=0)) == len(rows)


# -- shape helpers ----------------------------------------------------------------------------


def _shape(ctx: LoweringContext, value: Value, onnx_value: V) -> V:
    return _static_or(ctx, value.shape, lambda: ctx.op("Shape", onnx_value))


def _static_or(ctx: LoweringContext, dims, make) -> V:
    if all(isinstance(d, int) for d in dims):
        return ctx.constant(list(dims), "int64")
    return make()


def _slice_vector(ctx: LoweringContext, vector: V, start: int, stop: int) -> V:
    return ctx.op("Slice", vector, ctx.axes([start]), ctx.axes([stop]), ctx.axes([0]))


def _product(ctx: LoweringContext, dims, vector: V) -> V:
    """The product of ``dims`` as an i64 scalar (from ``vector``, their run-time values)."""
    if all(isinstance(d, int) for d in dims):
        return ctx.constant(int(np.prod(dims, dtype=np.int64)), "int64")
    return ctx.op("ReduceProd", vector, ctx.axes([0]), keepdims=0)


def _dims_vector(ctx: LoweringContext, value: Value, onnx_value: V, axes) -> V:
    dims = [value.shape[a] for a in axes]
    return _static_or(
        ctx, dims, lambda: ctx.op("Gather", ctx.op("Shape", onnx_value), ctx.axes(axes), axis=0)
    )


def _iota(ctx: LoweringContext, value: Value, onnx_value: V) -> V:
    """0, 1, 2, ... in the shape of ``value``: each element's flat (C order) position."""
    zero, one = ctx.constant(0, "int64"), ctx.constant(1, "int64")
    size = ctx.op("Size", onnx_value)
    return _reshape(ctx, ctx.op("Range", zero, size, one), _shape(ctx, value, onnx_value))


def _reshape(ctx: LoweringContext, value: V, shape: V) -> V:
    """Reshape to an explicit shape (no -1), where a 0 is a size."""
    return ctx.op("Reshape", value, shape, allowzero=1)


def _flat(ctx: LoweringContext, value: V) -> V:
    return ctx.op("Reshape", value, ctx.constant([-1], "int64"))
