"""Frontend rule: PyTensor's Unique (numpy.unique as numpy < 2 returned it), decomposed into a
stable sort, a mask of group starts, NonZero, gathers, a running count and a scatter.

ONNX's own Unique is not used: ONNX Runtime 1.32 runs it for int8, int64 and floats only, and
with NaN it merges every element into one group (its ordered map needs a strict order),
where numpy sorts NaN last and keeps one NaN (axis=None) or every NaN row apart (an axis).
"""

from __future__ import annotations

import math

import numpy as np
from pytensor.graph.basic import Apply
from pytensor.tensor.extra_ops import Unique

from compiler.frontend.extra_ops import dim_of, emit, i64
from compiler.frontend.importer import Importer, import_op, location_of
from ir import dtypes, ops
from ir.core import Block, Location, Operation, Value, Yield

#: Rows of at most this many (static) elements are sorted by unrolled passes; longer or
#: run-time lengths by a tir.loop of the same pass.
UNROLLED_COLUMNS = 16


def _sort_pass(
    block: Block | None, imp: Importer, rows: Value, j: Value, perm: Value, where: Location
) -> Value:
    """One stable pass: ``perm`` reordered stably by column j of the rows it orders. Appends to
    ``block`` (a loop body, its ops located at ``where``) or, without one, to the function
    being imported."""

    def add(cls: type[Operation], operands: list[Value], **attributes: object) -> Value:
        if block is None:
            return imp.emit(cls, operands, attributes)
        return block.append(cls(operands, attributes, location=where)).result

    column = add(ops.Gather, [rows, j], axis=1)
    keys = add(ops.Gather, [column, perm], axis=0)
    return add(ops.Gather, [perm, add(ops.Argsort, [keys], axis=0)], axis=0)


def _sort_rows(imp: Importer, rows: Value, columns: int | None, where: Location) -> Value:
    """The permutation that sorts the rows of an (n, columns) matrix lexicographically,
    stably (ties in index order), each column in tir.argsort's order (NaN last): one stable
    sort pass per column, from the last column to the first (least significant first).
    ``columns`` None: known at run time only (a loop runs the passes)."""
    if columns is not None and 0 < columns <= UNROLLED_COLUMNS:
        last = emit(imp, ops.Gather, rows, i64(imp, columns - 1), axis=1)
        perm = emit(imp, ops.Argsort, last, axis=0)
        for j in reversed(range(columns - 1)):
            perm = _sort_pass(None, imp, rows, i64(imp, j), perm, where)
        return perm
    perm = emit(imp, ops.Range, i64(imp, 0), dim_of(imp, rows, 0), i64(imp, 1))
    if columns == 0:
        return perm
    count = i64(imp, columns) if columns is not None else dim_of(imp, rows, 1)
    last = emit(imp, ops.Sub, count, i64(imp, 1))
    true = imp.constant(np.asarray(True))
    scalar = i64(imp, 0).type
    body = Block(args=[Value(scalar), Value(true.type), Value(perm.type)])
    step, cond, carried = body.args
    j = body.append(ops.Sub([last, step], location=where)).result
    body.append(Yield([cond, _sort_pass(body, imp, rows, j, carried, where)]))
    return imp.emit_op(ops.Loop, [count, true, perm], regions=[body]).results[0]


def _as_rows(imp: Importer, x: Value, axis: int) -> tuple[Value, int | None]:
    """x's slices along ``axis`` as the rows of an (n, columns) matrix, each slice in C order
    (numpy moves the axis first and reshapes); ``columns`` is None when known only at run
    time."""
    moved = x
    if axis != 0:
        moved = emit(imp, ops.Transpose, x, perm=[axis, *(a for a in range(x.rank) if a != axis)])
    rest = [d for i, d in enumerate(x.shape) if i != axis]
    columns = math.prod(rest) if all(isinstance(d, int) for d in rest) else None  # type: ignore[arg-type]
    if x.rank == 2:
        return moved, columns
    if columns is not None:
        length = i64(imp, [columns])
    else:
        sizes = emit(imp, ops.Slice, emit(imp, ops.Shape, moved), i64(imp, [1]),
                     i64(imp, [x.rank]), i64(imp, [1]), axes=[0])  # fmt: skip
        length = emit(imp, ops.ReduceProd, sizes, axes=[0], keepdims=True)
    first = emit(imp, ops.Unsqueeze, dim_of(imp, x, axis), axes=[0])
    shape = emit(imp, ops.Concat, first, length, axis=0)
    return emit(imp, ops.Reshape, moved, shape), columns


def _neighbours(imp: Importer, x: Value) -> tuple[Value, Value]:
    """x[1:] and x[:-1] along axis 0."""
    one, step = i64(imp, [1]), i64(imp, [1])
    end, last = i64(imp, [2**63 - 1]), i64(imp, [-1])
    later = emit(imp, ops.Slice, x, one, end, step, axes=[0])
    earlier = emit(imp, ops.Slice, x, i64(imp, [0]), last, step, axes=[0])
    return later, earlier


def _group_starts(imp: Importer, perm: Value, differs: Value) -> Value:
    """The mask of sorted positions that start a group: the first one (if there is one; the
    permutation ``perm`` gives the count) and those where ``differs`` (one entry per later
    position) says so."""
    head = emit(imp, ops.Slice, perm, i64(imp, [0]), i64(imp, [1]), i64(imp, [1]), axes=[0])
    first = emit(imp, ops.Second, head, imp.constant(np.asarray(True)))
    return emit(imp, ops.Concat, first, differs, axis=0)


@import_op.register(Unique)
def import_unique(op: Unique, node: Apply, imp: Importer) -> list[Value]:
    """axis=None (or a vector): the flattened x stably sorted; a group starts where an element
    differs from the one before, NaN equal to NaN (numpy's ``equal_nan``: one NaN is kept).
    Over an axis of a rank >= 2 array: the slices along it as rows, sorted lexicographically;
    a group starts where any element differs (NaN never equals NaN there, as numpy compares
    the rows). Outputs, as requested: the first element of each group, the index of its first
    occurrence, each element's group (flattened, numpy < 2's shape) and the group sizes.
    Equal elements keep index order, so the value kept for -0.0 and 0.0 is the first
    occurrence's (numpy's choice too wherever its sort is stable). One difference remains:
    rows equal but for NaN in the same places sort as equal and stay apart, numbered here in
    index order; without return_index numpy sorts rows with its unstable quicksort, which
    past 16 rows numbers them in its own order (``return_inverse`` then differs there)."""
    x = imp.value(node.inputs[0])
    by_rows = op.axis is not None and x.rank >= 2
    if by_rows:
        items, columns = _as_rows(imp, x, op.axis)
        perm = _sort_rows(imp, items, columns, location_of(node))
        ordered = emit(imp, ops.Gather, items, perm, axis=0)
        later, earlier = _neighbours(imp, ordered)
        differs = emit(imp, ops.ReduceAny, emit(imp, ops.Ne, later, earlier), axes=[1],
                       keepdims=False)  # fmt: skip
    else:
        items = emit(imp, ops.Reshape, x, i64(imp, [-1]))
        perm = emit(imp, ops.Argsort, items, axis=0)
        ordered = emit(imp, ops.Gather, items, perm, axis=0)
        later, earlier = _neighbours(imp, ordered)
        differs = emit(imp, ops.Ne, later, earlier)
        if x.dtype in dtypes.FLOAT_DTYPES:
            # NaN sorts last: past the first NaN, NaN follows NaN and starts no group.
            after_nan = emit(imp, ops.IsNan, earlier)
            differs = emit(imp, ops.BitwiseAnd, differs, emit(imp, ops.Invert, after_nan))
    starts = _group_starts(imp, perm, differs)
    firsts = emit(imp, ops.Reshape, emit(imp, ops.NonZero, starts), i64(imp, [-1]))
    first_index = emit(imp, ops.Gather, perm, firsts, axis=0)
    if by_rows:
        outs = [emit(imp, ops.Gather, x, first_index, axis=op.axis)]
    else:
        outs = [emit(imp, ops.Gather, ordered, firsts, axis=0)]
    if op.return_index:
        outs.append(first_index)
    if op.return_inverse:
        group = emit(imp, ops.Sub, emit(imp, ops.CumSum, imp.cast(starts, "int64"), axis=0),
                     i64(imp, 1))  # fmt: skip
        zeros = emit(imp, ops.Expand, i64(imp, 0), emit(imp, ops.Shape, perm))
        outs.append(emit(imp, ops.ScatterElements, zeros, perm, group, axis=0,
                         reduction="none", unique=True))  # fmt: skip
    if op.return_counts:
        later_firsts, _ = _neighbours(imp, firsts)
        total = emit(imp, ops.Shape, perm)
        ends = emit(imp, ops.Concat, later_firsts, total, axis=0)
        outs.append(emit(imp, ops.Sub, ends, firsts))
    return outs


__all__ = ["UNROLLED_COLUMNS", "import_unique"]
