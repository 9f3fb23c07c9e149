"""Frontend rules: PyTensor's ``extra_ops`` index and window helpers, each decomposed into
existing tir ops (integer arithmetic, comparisons, where, range, sort, scatter).

RavelMultiIndex, UnravelIndex, SearchsortedOp, FillDiagonal, FillDiagonalOffset and Bartlett
live here; Unique (a longer sort-based decomposition) lives in ``unique.py``. Where numpy
raises at run time (an index out of range), ONNX cannot: the check is dropped or the node is
refused, as ``FrontendOptions.assert_policy`` says for Assert.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from pytensor.graph.basic import Apply
from pytensor.tensor.extra_ops import (
    Bartlett,
    FillDiagonal,
    FillDiagonalOffset,
    RavelMultiIndex,
    SearchsortedOp,
    UnravelIndex,
)

from compiler.frontend import binsearch
from compiler.frontend.graphs import drop_check
from compiler.frontend.importer import Importer, Unsupported, import_op
from ir import dtypes, ops
from ir.core import Block, Operation, Value, Yield
from ir.ops.tensor import constant_array

INT64_MAX = np.iinfo(np.int64).max


# -- helpers shared with unique.py ----------------------------------------------------------------


def i64(imp: Importer, value: int | Sequence[int]) -> Value:
    """An int64 constant (a scalar for an int, a vector for a sequence)."""
    return imp.constant(np.asarray(value, dtype="int64"))


def dim_of(imp: Importer, x: Value, axis: int) -> Value:
    """The size of ``x`` along ``axis`` as an int64 scalar (a constant when static)."""
    d = x.shape[axis]
    if isinstance(d, int):
        return i64(imp, d)
    return imp.emit(ops.Gather, [imp.emit(ops.Shape, [x]), i64(imp, axis)], {"axis": 0})


def emit(imp: Importer, cls: type[Operation], *operands: Value, **attributes: Any) -> Value:
    """``imp.emit`` with the operands and attributes written inline."""
    return imp.emit(cls, list(operands), attributes or None)


def select(imp: Importer, cond: Value, a: Value, b: Value) -> Value:
    return emit(imp, ops.Where, cond, a, b)


def unchecked(imp: Importer, node: Apply, what: str) -> None:
    """numpy checks ``what`` at run time and raises; an ONNX model cannot. As for Assert:
    ``assert_policy="drop"`` warns (``AssertDroppedWarning``) and the model computes without
    the check; ``"refuse"`` reports the node."""
    name = type(node.op).__name__
    if imp.options.assert_policy == "refuse":
        raise Unsupported(
            f"{name} checks {what} at run time (numpy raises) and ONNX cannot raise "
            "(assert_policy='refuse'; 'drop' computes without the check)"
        )
    drop_check(imp, node, f"{name}: {what} (numpy raises; inputs that fail the check give "
                          "unspecified values)")  # fmt: skip


def _all_constant(values: Sequence[Value]) -> bool:
    return all(constant_array(v) is not None for v in values)


def _fits_numpy(node: Apply, values: Sequence[Value]) -> bool:
    """True when every input is a constant and numpy's own implementation (the node's
    ``perform``) accepts them: the run-time check then provably passes."""
    if not _all_constant(values):
        return False
    arrays = [np.asarray(constant_array(v)) for v in values]
    storage: list[list[Any]] = [[None] for _ in node.outputs]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            node.op.perform(node, arrays, storage)
    except (ValueError, IndexError, TypeError):
        return False
    return True


def _check(imp: Importer, node: Apply, values: Sequence[Value], what: str | None) -> None:
    """Drop or refuse the run-time check ``what`` unless constants prove it passes."""
    if what is not None and not _fits_numpy(node, values):
        unchecked(imp, node, what)


def _dims(
    imp: Importer, dims: Value, count: int, op_name: str
) -> tuple[list[Value], list[int] | None]:
    """The entries of a dims vector as int64 scalars, and their values when constant."""
    if isinstance(dims.shape[0], int) and dims.shape[0] != count:
        raise Unsupported(
            f"{op_name}: dims has {dims.shape[0]} entries for {count} indices (numpy raises)"
        )
    data = constant_array(dims)
    if data is not None:
        # numpy converts dims to intp (int64) with C's wrapping.
        static = [int(v) for v in data.astype(np.int64)]
        return [i64(imp, v) for v in static], static
    dims = imp.cast(dims, "int64")
    return [emit(imp, ops.Gather, dims, i64(imp, i), axis=0) for i in range(count)], None


def _check_static_dims(op_name: str, static: list[int] | None, order: str) -> None:
    """Refuse constant dims numpy rejects: a 0, or a running product of the dims (in the
    order its stride loop takes them) past int64."""
    if static is None:
        return
    if 0 in static:
        raise Unsupported(f"{op_name}: dims {static} contain 0: numpy raises (empty shape)")
    s = 1
    for d in reversed(static) if order == "C" else static:
        s *= d
        if not -(2**63) <= s <= INT64_MAX:
            raise Unsupported(f"{op_name}: dims {static} exceed int64 sizes: numpy raises")


def _out_rank_matches(node: Apply, value: Value) -> Value:
    want = node.outputs[0].type.ndim
    if value.rank != want:
        raise Unsupported(
            f"{type(node.op).__name__}: the indices broadcast to rank {value.rank}, but PyTensor "
            f"types the result with rank {want} (PyTensor fails at run time)"
        )
    return value


# -- ravel_multi_index ----------------------------------------------------------------------------


def _trunc_mod(imp: Importer, a: Value, m: Value) -> Value:
    """C's ``a % m`` (the sign of a) from tir.mod's floor semantics."""
    zero = i64(imp, 0)
    floor = emit(imp, ops.Mod, a, m)
    signs_differ = emit(imp, ops.Ne, emit(imp, ops.Lt, a, zero), emit(imp, ops.Lt, m, zero))
    fix = emit(imp, ops.BitwiseAnd, emit(imp, ops.Ne, floor, zero), signs_differ)
    return select(imp, fix, emit(imp, ops.Sub, floor, m), floor)


def _wrap_c(imp: Importer, j: Value, m: Value) -> Value:
    """numpy's ``mode="wrap"`` step by step, as its C loop computes it for any nonzero dim m
    (for m > 0 it is the floor modulo; for m < 0 numpy's quirks are reproduced)."""
    zero = i64(imp, 0)
    low = emit(imp, ops.Add, j, m)
    low_mod = _trunc_mod(imp, low, m)
    low_mod = select(imp, emit(imp, ops.Ne, low_mod, zero), emit(imp, ops.Add, low_mod, m), low_mod)
    low = select(imp, emit(imp, ops.Lt, low, zero), low_mod, low)
    high = emit(imp, ops.Sub, j, m)
    high = select(imp, emit(imp, ops.Ge, high, m), _trunc_mod(imp, high, m), high)
    high = select(imp, emit(imp, ops.Ge, j, m), high, j)
    return select(imp, emit(imp, ops.Lt, j, zero), low, high)


def _clip_c(imp: Importer, j: Value, m: Value) -> Value:
    """numpy's ``mode="clip"``: below 0 is 0, from m up is m - 1 (in this order)."""
    zero, one = i64(imp, 0), i64(imp, 1)
    high = select(imp, emit(imp, ops.Ge, j, m), emit(imp, ops.Sub, m, one), j)
    return select(imp, emit(imp, ops.Lt, j, zero), zero, high)


def _strides(imp: Importer, ms: list[Value], static: list[int] | None, order: str) -> list[Value]:
    """Element strides of each axis (C: last axis 1; F: first axis 1), multiplied in int64 as
    numpy does (wrapping, which only negative dims can reach once sizes are checked)."""
    axes = range(len(ms) - 1, -1, -1) if order == "C" else range(len(ms))
    out: dict[int, Value] = {}
    if static is not None:
        s = 1
        for a in axes:
            out[a] = i64(imp, s)
            s = (s * static[a] + 2**63) % 2**64 - 2**63
    else:
        running = i64(imp, 1)
        for a in axes:
            out[a] = running
            running = emit(imp, ops.Mul, running, ms[a])
    return [out[a] for a in range(len(ms))]


@import_op.register(RavelMultiIndex)
def import_ravel_multi_index(op: RavelMultiIndex, node: Apply, imp: Importer) -> list[Value]:
    """``sum(j_k * stride_k)`` in int64 over the coordinates j_k (cast to int64 as numpy casts
    them, wrapping), each first wrapped or clipped as the mode says. ``mode="raise"`` checks
    0 <= j_k < dim_k, and numpy checks dims (no 0, a size within int64): those checks follow
    ``assert_policy`` (unchecked, the coordinates are used as they are)."""
    coords = node.inputs[:-1]
    values = [imp.value(v) for v in node.inputs]
    name = type(op).__name__
    ms, static = _dims(imp, values[-1], len(coords), name)
    _check_static_dims(name, static, op.order)
    checks = []
    if op.mode == "raise":
        checks.append("that each coordinate is within [0, its dim)")
    if static is None:
        checks.append("that dims has no 0 and a size within int64")
    _check(imp, node, values, " and ".join(checks) or None)
    positive = static is not None and all(d > 0 for d in static)
    js = []
    for j, m in zip((imp.cast(v, "int64") for v in values[:-1]), ms, strict=True):
        if op.mode == "wrap":
            j = emit(imp, ops.Mod, j, m) if positive else _wrap_c(imp, j, m)
        elif op.mode == "clip":
            j = _clip_c(imp, j, m)
        js.append(j)
    strides = _strides(imp, ms, static, op.order)
    terms = [emit(imp, ops.Mul, j, s) for j, s in zip(js, strides, strict=True)]
    total = terms[0] if len(terms) == 1 else imp.emit(ops.Add, terms)
    return [_out_rank_matches(node, total)]


# -- unravel_index --------------------------------------------------------------------------------


@import_op.register(UnravelIndex)
def import_unravel_index(op: UnravelIndex, node: Apply, imp: Importer) -> list[Value]:
    """Coordinate k is ``index // (product of the dims after k) % dim_k`` (C order; F: the dims
    before k), by repeated floor division and modulo in int64. numpy raises for an index
    outside [0, prod(dims)) and for dims whose size exceeds int64: those checks follow
    ``assert_policy`` (unchecked, out-of-range indices give the same formula's values)."""
    indices, dims = (imp.value(v) for v in node.inputs)
    count = len(node.outputs)
    name = type(op).__name__
    if count == 0:
        raise Unsupported(f"{name} with empty dims: numpy raises for 0-d shapes")
    ms, static = _dims(imp, dims, count, name)
    if static is not None and any(d <= 0 for d in static):
        raise Unsupported(f"{name}: dims {static} have no valid index (numpy raises)")
    _check_static_dims(name, static, op.order)
    _check(imp, node, [indices, dims], "that each index is within [0, prod(dims))")
    rest = imp.cast(indices, "int64")
    axes = range(count - 1, -1, -1) if op.order == "C" else range(count)
    out: list[Value | None] = [None] * count
    for k, axis in enumerate(axes):
        out[axis] = emit(imp, ops.Mod, rest, ms[axis])
        if k + 1 < count:
            rest = emit(imp, ops.IntDiv, rest, ms[axis])
    return out  # type: ignore[return-value]


# -- searchsorted ---------------------------------------------------------------------------------


@import_op.register(SearchsortedOp)
def import_searchsorted(op: SearchsortedOp, node: Apply, imp: Importer) -> list[Value]:
    """For sorted x (numpy's precondition: ascending, NaN last), the left insertion point of v
    is the number of elements of x below v, the right one the number not above v, in numpy's
    order (NaN above everything, -0.0 equal to 0.0). Both are read off one stable sort of
    x and v together: with v placed before x (left) or after it (right), equal elements of x
    sort after (left) or before (right) v, and a running count of x's elements gives each
    v's answer. x and v are compared in their promoted dtype, as numpy does. For unsorted x
    the answers are those of numpy's own binary search: the model then (and only then, a
    ``tir.if`` on x being sorted) runs that search halving for halving."""
    x, v, *sorter = (imp.value(var) for var in node.inputs)
    common = str(np.promote_types(x.dtype, v.dtype))
    x, v = imp.cast(x, common), imp.cast(v, common)
    if sorter:
        (order,) = sorter  # a signed integer vector (PyTensor's make_node)
        _check(imp, node, [imp.value(var) for var in node.inputs],
               "that sorter is a permutation of x's indices")  # fmt: skip
        x = emit(imp, ops.Gather, x, imp.cast(order, "int64"), axis=0)
    flat_v = emit(imp, ops.Reshape, v, i64(imp, [-1]))
    n, m = dim_of(imp, x, 0), dim_of(imp, flat_v, 0)
    left = op.side == "left"
    merged = emit(imp, ops.Concat, *((flat_v, x) if left else (x, flat_v)), axis=0)
    perm = emit(imp, ops.Argsort, merged, axis=0)
    from_x = emit(imp, ops.Ge, perm, m) if left else emit(imp, ops.Lt, perm, n)
    seen = emit(imp, ops.CumSum, imp.cast(from_x, "int64"), axis=0)
    size = emit(imp, ops.Unsqueeze, emit(imp, ops.Add, n, m), axes=[0])
    zeros = emit(imp, ops.Expand, i64(imp, 0), size)
    counts = emit(imp, ops.ScatterElements, zeros, perm, seen, axis=0, reduction="none",
                  unique=True)  # fmt: skip
    first = i64(imp, [0]) if left else emit(imp, ops.Unsqueeze, n, axes=[0])
    last = emit(imp, ops.Unsqueeze, m if left else emit(imp, ops.Add, n, m), axes=[0])
    picked = emit(imp, ops.Slice, counts, first, last, i64(imp, [1]), axes=[0])
    picked = _unless_unsorted(imp, x, flat_v, picked, left)
    if v.rank == 1:
        return [picked]
    return [emit(imp, ops.Reshape, picked, emit(imp, ops.Shape, v))]


def _unless_unsorted(imp: Importer, x: Value, keys: Value, counts: Value, left: bool) -> Value:
    """``counts`` where x is sorted, else numpy's own binary search of the keys (its answers
    for an unsorted x: ``binsearch.numpy_binsearch``), which only runs there."""
    if x.dtype == "bool":  # compared as 0 and 1
        x, keys = imp.cast(x, "int8"), imp.cast(keys, "int8")
    then_block, else_block = Block(), Block()
    then_block.append(Yield([counts]))
    with imp.building(else_block):
        searched = binsearch.numpy_binsearch(imp, x, keys, left)
        else_block.append(Yield([searched]))
    sorted_x = binsearch.is_sorted(imp, x)
    return imp.emit_op(ops.If, [sorted_x], regions=[then_block, else_block]).result


# -- fill_diagonal --------------------------------------------------------------------------------


def _axis_index(imp: Importer, a: Value, axis: int) -> Value:
    """0, 1, ..., dim - 1 along ``axis`` of a's rank (size-1 axes elsewhere)."""
    index = emit(imp, ops.Range, i64(imp, 0), dim_of(imp, a, axis), i64(imp, 1))
    others = [i for i in range(a.rank) if i != axis]
    return emit(imp, ops.Unsqueeze, index, axes=others) if others else index


@import_op.register(FillDiagonal)
def import_fill_diagonal(op: FillDiagonal, node: Apply, imp: Importer) -> list[Value]:
    """``where(i_0 == i_1 == ... , val, a)``: PyTensor writes a[i, i] for i < min(rows,
    columns) of a matrix (tall ones too) and a[i, i, ..., i] of a cube (numpy raises when the
    dims of a rank > 2 array differ: that check follows ``assert_policy``)."""
    a, val = (imp.value(v) for v in node.inputs)
    if a.rank > 2:
        static = {d for d in a.shape if isinstance(d, int)}
        if len(static) > 1:
            raise Unsupported(f"FillDiagonal of {a.type}: numpy raises for unequal dims")
        if len(static) != 1 or any(not isinstance(d, int) for d in a.shape):
            unchecked(imp, node, "that all dims of the array are equal")
    first = _axis_index(imp, a, 0)
    mask = emit(imp, ops.Eq, first, _axis_index(imp, a, 1))
    for axis in range(2, a.rank):
        mask = emit(imp, ops.BitwiseAnd, mask, emit(imp, ops.Eq, first, _axis_index(imp, a, axis)))
    return [select(imp, mask, imp.cast(val, a.dtype), a)]


@import_op.register(FillDiagonalOffset)
def import_fill_diagonal_offset(op: FillDiagonalOffset, node: Apply, imp: Importer) -> list[Value]:
    """PyTensor writes ``a.flat[start:end:w + 1]`` with start = offset (offset >= 0) or
    -offset * w, and end = start + (w + 1) * min(h, w, w - offset or h + offset): Python's
    slice of the flat positions, reproduced exactly (also where end is negative, which
    PyTensor's formula gives for offset > w + 1 and which writes elements off the diagonal).
    For an unsigned offset past w, PyTensor's ``w - offset`` wraps around (so the count is
    min(h, w)): reproduced too. Offsets are computed in int64 and first clamped into
    [-h, h * w]: beyond that nothing is written. Where PyTensor's own arithmetic overflows
    (in int64 for |offset| * w >= 2**63; in a narrow offset dtype such as int8 once
    offset * (w + 1) leaves its range) the model writes the positions the formula means."""
    a, val, offset = (imp.value(v) for v in node.inputs)
    h, w = dim_of(imp, a, 0), dim_of(imp, a, 1)
    unsigned = offset.dtype in dtypes.UNSIGNED_DTYPES
    if offset.dtype == "uint64":  # values past int64's range write nothing, as h * w does
        offset = emit(imp, ops.Minimum, offset, imp.constant(np.asarray(INT64_MAX, "uint64")))
    offset = imp.cast(offset, "int64")
    size = emit(imp, ops.Mul, h, w)
    neg_h = emit(imp, ops.Neg, h)
    offset = select(imp, emit(imp, ops.Lt, offset, neg_h), neg_h, offset)
    offset = select(imp, emit(imp, ops.Gt, offset, size), size, offset)
    zero, one = i64(imp, 0), i64(imp, 1)
    upper = emit(imp, ops.Ge, offset, zero)
    start = select(imp, upper, offset, emit(imp, ops.Mul, emit(imp, ops.Neg, offset), w))
    shortest = select(imp, emit(imp, ops.Lt, w, h), w, h)
    room = emit(imp, ops.Sub, w, offset)
    if unsigned:  # PyTensor's w - offset wraps in the unsigned dtype: past w it is huge
        room = select(imp, emit(imp, ops.Gt, offset, w), shortest, room)
    room = select(imp, upper, room, emit(imp, ops.Add, h, offset))
    steps = select(imp, emit(imp, ops.Lt, room, shortest), room, shortest)
    step = emit(imp, ops.Add, w, one)
    end = emit(imp, ops.Add, start, emit(imp, ops.Mul, step, steps))

    def bound(b: Value) -> Value:
        """Python's clamping of a slice bound (step > 0) to [0, size]."""
        wrapped = emit(imp, ops.Add, b, size)
        low = select(imp, emit(imp, ops.Lt, wrapped, zero), zero, wrapped)
        return select(imp, emit(imp, ops.Lt, b, zero), low,
                      select(imp, emit(imp, ops.Gt, b, size), size, b))  # fmt: skip

    start, end = bound(start), bound(end)
    flat = emit(imp, ops.Range, zero, size, one)
    position = emit(imp, ops.Reshape, flat, emit(imp, ops.Shape, a))
    after = emit(imp, ops.Sub, position, start)
    mask = emit(imp, ops.BitwiseAnd, emit(imp, ops.Ge, after, zero),
                emit(imp, ops.Lt, position, end))  # fmt: skip
    on_step = emit(imp, ops.Eq, emit(imp, ops.Mod, after, step), zero)
    mask = emit(imp, ops.BitwiseAnd, mask, on_step)
    return [select(imp, mask, imp.cast(val, a.dtype), a)]


# -- bartlett -------------------------------------------------------------------------------------


@import_op.register(Bartlett)
def import_bartlett(op: Bartlett, node: Apply, imp: Importer) -> list[Value]:
    """numpy.bartlett(M) in float64: empty for M < 1, [1.0] for M == 1, else
    ``1 -+ n / (M - 1)`` for n = 1 - M, 3 - M, ..., M - 1 (numpy's arange fills these
    exactly), with ``1 + n / (M - 1)`` where n <= 0."""
    (count,) = (imp.value(v) for v in node.inputs)
    zero, one = i64(imp, 0), i64(imp, 1)
    m = imp.cast(count, "float64")
    length = imp.cast(count, "int64")
    length = select(imp, emit(imp, ops.Lt, length, zero), zero, length)
    index = imp.cast(emit(imp, ops.Range, zero, length, one), "float64")
    f_one = imp.constant(np.asarray(1.0))
    n = emit(imp, ops.Add, emit(imp, ops.Sub, f_one, m),
             emit(imp, ops.Mul, index, imp.constant(np.asarray(2.0))))  # fmt: skip
    ratio = emit(imp, ops.Div, n, emit(imp, ops.Sub, m, f_one))
    rising = emit(imp, ops.Le, n, imp.constant(np.asarray(0.0)))
    window = select(imp, rising, emit(imp, ops.Add, f_one, ratio), emit(imp, ops.Sub, f_one, ratio))
    # M == 1: n / (M - 1) is 0 / 0; numpy returns [1.0].
    return [select(imp, emit(imp, ops.Eq, m, f_one), f_one, window)]
