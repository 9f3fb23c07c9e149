"""Frontend rules: indexing (PyTensor's Subtensor family and Nonzero → IR).

An index is parsed into one entry per axis of x (numpy's rules): a slice, a basic integer
(removes the axis), or an advanced integer array (boolean masks become their ``nonzero``
coordinates). Reads are tir.slice / tir.gather / tir.gather_nd; writes compute the flat
position of every element of the indexed region (the same index applied per axis to
``arange(dim)``, so bounds and negative indices are checked and resolved as in a read) and
scatter into the flattened x with tir.scatter_elements.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pytensor.graph.basic import Apply, Variable
from pytensor.tensor.basic import Nonzero
from pytensor.tensor.subtensor import (
    AdvancedIncSubtensor,
    AdvancedSubtensor,
    IncSubtensor,
    Subtensor,
    indices_from_subtensor,
)

from compiler.frontend.importer import Importer, Unsupported, import_op
from ir import dtypes, ops
from ir.core import Value
from ir.ops.tensor import constant_array
from ir.types import UNKNOWN, Dim

INT64_MIN, INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)

Scalar = int | Value  # a compile-time integer, or an i64 0-d value


@dataclass(frozen=True)
class _Slice:
    start: Scalar | None
    stop: Scalar | None
    step: Scalar | None

    def is_full(self) -> bool:
        return (
            self.start in (None, 0)
            and (self.stop is None or (isinstance(self.stop, int) and self.stop >= sys.maxsize))
            and self.step in (None, 1)
        )


@dataclass(frozen=True)
class _Int:
    """A basic integer index: selects one position and removes the axis."""

    index: Scalar


@dataclass(frozen=True)
class _Array:
    """An advanced integer index (i64, any rank, 0-d too); ``mask`` numbers the boolean mask
    it comes from (its coordinates along one axis), if any."""

    index: Value
    mask: int | None = None


Entry = _Slice | _Int | _Array


# -- parsing --------------------------------------------------------------------------------------


def _entries(
    imp: Importer, x: Variable, index_vars: Sequence[Variable], op: object, *, advanced: bool
) -> list[Entry]:
    """One entry per axis of x (missing trailing ones are full slices)."""
    entries: list[Entry] = []
    for item in indices_from_subtensor(index_vars, op.idx_list):  # type: ignore[attr-defined]
        if isinstance(item, slice):
            entries.append(_Slice(*(_scalar(imp, v) for v in (item.start, item.stop, item.step))))
        elif not advanced:
            entries.append(_Int(_required(_scalar(imp, item))))
        elif item.type.dtype == "bool":
            entries.extend(_mask(imp, item, mask_id=len(entries)))
        else:
            entries.append(_Array(_as_i64(imp, imp.value(item))))
    if len(entries) > x.type.ndim:
        raise Unsupported(f"{len(entries)} indices for a tensor of rank {x.type.ndim}")
    return entries + [_Slice(None, None, None)] * (x.type.ndim - len(entries))


def _required(value: Scalar | None) -> Scalar:
    if value is None:
        raise Unsupported("an integer index is missing")
    return value


def _scalar(imp: Importer, var: Variable | None) -> Scalar | None:
    """An index scalar: a Python int when known at compile time, else an i64 0-d value."""
    if var is None:
        return None
    value = imp.value(var)
    if value.rank != 0 or value.dtype not in dtypes.INT_DTYPES:
        raise Unsupported(f"index {var} is {value.type}, not an integer scalar")
    data = constant_array(value)
    if data is not None:
        return int(data)
    return _as_i64(imp, value)


def _as_i64(imp: Importer, value: Value) -> Value:
    if value.dtype not in dtypes.INT_DTYPES:
        raise Unsupported(f"index of dtype {value.dtype} is not an integer array")
    if value.dtype == "int64":
        return value
    return imp.emit(ops.Cast, [value], {"to": "int64"})


def _mask(imp: Importer, var: Variable, mask_id: int) -> list[_Array]:
    """A boolean mask over k axes: the k coordinate vectors of its true elements."""
    if var.type.ndim == 0:
        raise Unsupported("a 0-d boolean index has no ONNX translation")
    value = imp.value(var)
    data = constant_array(value)
    if data is not None:
        return [_Array(imp.constant(c.astype(np.int64)), mask_id) for c in np.nonzero(data)]
    coords = imp.emit(ops.NonZero, [value])
    rows = [
        imp.emit(ops.Gather, [coords, imp.constant(np.array(i, np.int64))], {"axis": 0})
        for i in range(var.type.ndim)
    ]
    return [_Array(row, mask_id) for row in rows]


# -- small IR builders ------------------------------------------------------------------------


def _const(imp: Importer, value: int) -> Value:
    return imp.constant(np.array(value, dtype=np.int64))


def _value(imp: Importer, scalar: Scalar) -> Value:
    return _const(imp, scalar) if isinstance(scalar, int) else scalar


def _vector(imp: Importer, items: Sequence[Scalar]) -> Value:
    """An i64 vector of compile-time ints and 0-d values."""
    if all(isinstance(i, int) for i in items):
        return imp.constant(np.array(items, dtype=np.int64))
    parts = [
        imp.constant(np.array([i], dtype=np.int64))
        if isinstance(i, int)
        else imp.emit(ops.Unsqueeze, [i], {"axes": [0]})
        for i in items
    ]
    return parts[0] if len(parts) == 1 else imp.emit(ops.Concat, parts, {"axis": 0})


def _dims(imp: Importer, x: Value) -> list[Scalar]:
    """x's dims: ints where static, else i64 0-d values read from its shape."""
    shape: Value | None = None
    dims: list[Scalar] = []
    for axis, d in enumerate(x.shape):
        if isinstance(d, int):
            dims.append(d)
            continue
        if shape is None:
            shape = imp.emit(ops.Shape, [x])
        dims.append(imp.emit(ops.Gather, [shape, _const(imp, axis)], {"axis": 0}))
    return dims


def _mul(imp: Importer, a: Scalar, b: Scalar) -> Scalar:
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    if a == 1 or b == 1:
        return b if a == 1 else a
    return imp.emit(ops.Mul, [_value(imp, a), _value(imp, b)])


def _shape_of(imp: Importer, x: Value) -> Value:
    return _vector(imp, [d for d in x.shape]) if x.type.is_static else imp.emit(ops.Shape, [x])


def _refine(value: Value, shape: Sequence[Dim]) -> Value:
    """Give ``value`` the dims it is known to have where its inferred type says ``?``."""
    if value.owner is not None and len(shape) == value.rank:
        dims = [k if d == UNKNOWN else d for d, k in zip(value.shape, shape, strict=True)]
        value.type = value.type.with_shape(dims)
    return value


# -- reads --------------------------------------------------------------------------------------


def _slice_bounds(imp: Importer, entry: _Slice) -> tuple[Scalar, Scalar, Scalar]:
    """Explicit start, stop, step; a missing bound depends on the sign of the step (ONNX has
    no "missing": INT64_MAX/INT64_MIN clamp to the ends)."""
    step = 1 if entry.step is None else entry.step
    if step == 0:
        raise Unsupported("slice step is 0 (PyTensor raises ValueError)")
    if isinstance(step, int):
        start = entry.start if entry.start is not None else (0 if step > 0 else INT64_MAX)
        stop = entry.stop if entry.stop is not None else (INT64_MAX if step > 0 else INT64_MIN)
        return start, stop, step
    negative = (
        imp.emit(ops.Lt, [step, _const(imp, 0)]) if None in (entry.start, entry.stop) else None
    )

    def pick(if_negative: int, if_positive: int) -> Value:
        consts = [_const(imp, if_negative), _const(imp, if_positive)]
        return imp.emit(ops.Where, [negative, *consts])

    start = entry.start if entry.start is not None else pick(INT64_MAX, 0)
    stop = entry.stop if entry.stop is not None else pick(INT64_MIN, INT64_MAX)
    return start, stop, step


def _apply_slices(imp: Importer, x: Value, entries: Sequence[Entry]) -> Value:
    axes: list[int] = []
    bounds: list[tuple[Scalar, Scalar, Scalar]] = []
    for axis, entry in enumerate(entries):
        if isinstance(entry, _Slice) and not entry.is_full():
            axes.append(axis)
            bounds.append(_slice_bounds(imp, entry))
    if not axes:
        return x
    vectors = [_vector(imp, [b[i] for b in bounds]) for i in range(3)]
    return imp.emit(ops.Slice, [x, *vectors], {"axes": axes})


def basic_read(imp: Importer, x: Value, entries: Sequence[Entry]) -> Value:
    """x[entries] with slices and basic integers: Slice, then one Gather per integer (from the
    last axis, so the axis numbers stay valid)."""
    out = _apply_slices(imp, x, entries)
    for axis in reversed(range(len(entries))):
        entry = entries[axis]
        if isinstance(entry, _Int):
            out = imp.emit(ops.Gather, [out, _value(imp, entry.index)], {"axis": axis})
    return out


def _array_axes(entries: Sequence[Entry]) -> list[int]:
    return [a for a, e in enumerate(entries) if isinstance(e, _Array)]


def _consecutive(axes: Sequence[int]) -> bool:
    return list(axes) == list(range(axes[0], axes[0] + len(axes)))


def advanced_read(imp: Importer, x: Value, entries: Sequence[Entry]) -> Value:
    """x[entries] with slices and integer arrays (numpy's advanced indexing): the arrays
    broadcast to a shape B, whose dims replace the indexed axes where these are adjacent,
    and go first when a slice separates them."""
    out = _apply_slices(imp, x, entries)
    axes = _array_axes(entries)
    arrays = [e.index for e in entries if isinstance(e, _Array)]
    if not axes:
        return out
    if len(axes) == 1:
        return imp.emit(ops.Gather, [out, arrays[0]], {"axis": axes[0]})
    others = [a for a in range(x.rank) if a not in axes]
    perm = axes + others
    if perm != list(range(x.rank)):
        out = imp.emit(ops.Transpose, [out], {"perm": perm})
    index = _stacked(imp, arrays)
    out = imp.emit(ops.GatherND, [out, index])  # B + the other axes
    nb = index.rank - 1
    if _consecutive(axes) and axes[0] > 0 and nb > 0:
        p = axes[0]
        rest = range(nb, nb + len(others))
        out = imp.emit(ops.Transpose, [out], {"perm": [*rest[:p], *range(nb), *rest[p:]]})
    return out


def _broadcast(imp: Importer, arrays: Sequence[Value]) -> list[Value]:
    """The arrays broadcast against each other (numpy's rules)."""
    shapes = [a.shape for a in arrays]
    if all(all(isinstance(d, int) for d in s) for s in shapes):
        target = np.broadcast_shapes(*shapes)  # type: ignore[arg-type]
        if all(s == target for s in shapes):
            return list(arrays)
        shape = imp.constant(np.array(target, dtype=np.int64))
    else:
        # The shape the arrays broadcast to, as their sum has it.
        shape = imp.emit(ops.Shape, [imp.emit(ops.Add, list(arrays))])
    return [imp.emit(ops.Expand, [a, shape]) for a in arrays]


def _stacked(imp: Importer, arrays: Sequence[Value]) -> Value:
    """The broadcast arrays stacked on a new last axis: GatherND's index tuples."""
    expanded = _broadcast(imp, arrays)
    rank = expanded[0].rank
    columns = [imp.emit(ops.Unsqueeze, [a], {"axes": [rank]}) for a in expanded]
    return imp.emit(ops.Concat, columns, {"axis": rank})


# -- writes ---------------------------------------------------------------------------------------


def positions(imp: Importer, x: Value, entries: Sequence[Entry]) -> Value:
    """The flat (C order) position in x of every element of x[entries], laid out as that
    region is: the sum over axes of coordinate * stride, each axis' coordinates being the
    index applied to arange(dim) (placed on its output axes)."""
    dims = _dims(imp, x)
    strides: list[Scalar] = [1] * x.rank
    for axis in reversed(range(x.rank - 1)):
        strides[axis] = _mul(imp, strides[axis + 1], dims[axis + 1])
    layout = _layout(entries)
    out_rank = layout.rank
    terms: list[Value] = []
    for axis, entry in enumerate(entries):
        iota = imp.emit(ops.Range, [_const(imp, 0), _value(imp, dims[axis]), _const(imp, 1)])
        if isinstance(entry, _Slice):
            coords = _apply_slices(imp, iota, [entry]) if not entry.is_full() else iota
            place = layout.slice_axis[axis]
            spread = [a for a in range(out_rank) if a != place]
        elif isinstance(entry, _Int):
            coords = imp.emit(ops.Gather, [iota, _value(imp, entry.index)], {"axis": 0})
            spread = []
        else:
            coords = imp.emit(ops.Gather, [iota, entry.index], {"axis": 0})
            lead = layout.array_start + layout.array_rank - entry.index.rank
            end = layout.array_start + layout.array_rank
            spread = [*range(lead), *range(end, out_rank)]
        if spread:
            coords = imp.emit(ops.Unsqueeze, [coords], {"axes": spread})
        stride = strides[axis]
        terms.append(coords if stride == 1 else imp.emit(ops.Mul, [coords, _value(imp, stride)]))
    if not terms:  # 0-d x
        return _const(imp, 0)
    return terms[0] if len(terms) == 1 else imp.emit(ops.Add, terms)


@dataclass(frozen=True)
class _Layout:
    """Where each axis' coordinates go in x[entries]: a slice on one output axis, the arrays
    (broadcast rank ``array_rank``) on the axes from ``array_start``."""

    rank: int
    slice_axis: dict[int, int]
    array_start: int
    array_rank: int


def _layout(entries: Sequence[Entry]) -> _Layout:
    axes = _array_axes(entries)
    array_rank = max((e.index.rank for e in entries if isinstance(e, _Array)), default=0)
    slices = [a for a, e in enumerate(entries) if isinstance(e, _Slice)]
    if not axes:
        return _Layout(len(slices), {a: i for i, a in enumerate(slices)}, 0, 0)
    start = sum(1 for a in slices if a < axes[0]) if _consecutive(axes) else 0
    slice_axis = {}
    for i, a in enumerate(slices):
        slice_axis[a] = i if i < start else i + array_rank
    return _Layout(len(slices) + array_rank, slice_axis, start, array_rank)


def scatter(
    imp: Importer, x: Value, where: Value, updates: Value, reduction: str, *, unique: bool
) -> Value:
    """x with ``updates`` (broadcast to the shape of ``where``) written at the flat positions
    ``where``, through the flattened x."""
    flat = imp.constant(np.array([-1], dtype=np.int64))
    if updates.shape != where.shape or not where.type.is_static:
        updates = imp.emit(ops.Expand, [updates, _shape_of(imp, where)])
    flat_x = imp.emit(ops.Reshape, [x, flat])
    flat_where = imp.emit(ops.Reshape, [where, flat])
    flat_updates = imp.emit(ops.Reshape, [updates, flat])
    attrs = {"axis": 0, "reduction": reduction, "unique": unique}
    out = imp.emit(ops.ScatterElements, [flat_x, flat_where, flat_updates], attrs)
    return _refine(imp.emit(ops.Reshape, [out, _shape_of(imp, x)]), x.shape)


def _incremented(imp: Importer, region: Value, y: Value) -> Value:
    """region + y stored in region's dtype, as ``x[idx] += y`` where no target repeats.

    PyTensor 3.3.8 computes every dtype mix (its Numba backend always; numpy's ``add.at``
    in every backend): the sum in the promoted dtype, converted to x's dtype like a cast
    (integers wrap, floats are truncated). Between integers that is the sum of y converted
    to x's dtype, modulo 2**bits.
    """
    dtype = region.dtype
    if _wraps_into(dtype, y.dtype):
        return imp.emit(ops.Add, [region, imp.cast(y, dtype)])
    return imp.cast(imp.emit(ops.Add, [region, y]), dtype)


def _wraps_into(dtype: str, y_dtype: str) -> bool:
    """True when adding ``y_dtype`` into ``dtype`` is exact modular integer arithmetic: both
    are integers and numpy adds them in an integer dtype (uint64 with a signed integer
    promotes to float64, which rounds past 2**53)."""
    return (
        dtype in dtypes.INT_DTYPES
        and y_dtype in dtypes.INT_DTYPES
        and dtypes.upcast(dtype, y_dtype) in dtypes.INT_DTYPES
    )


def _accumulated(imp: Importer, dtype: str, y: Value) -> Value:
    """y as added by numpy's ``add.at`` into ``dtype``, when one add in ``dtype`` per target
    is exact: numpy adds each element in the promoted dtype and converts back every time,
    which for integers is adding y converted to ``dtype``, modulo 2**bits."""
    promoted = dtypes.upcast(dtype, y.dtype)
    if promoted != dtype and not _wraps_into(dtype, y.dtype):
        # Floats would round differently: numpy rounds to dtype after every add.
        raise Unsupported(
            f"inc_subtensor adding {y.dtype} into {dtype} at indices that may repeat: numpy "
            f"adds in {promoted} and rounds to {dtype} after every add, ONNX ScatterElements "
            f"adds in one dtype"
        )
    return imp.cast(y, dtype)


def _unique_targets(entries: Sequence[Entry], x: Value) -> bool:
    """True when no two elements of x[entries] are the same element of x: every advanced
    index is 0-d except the coordinates of one boolean mask, or all is known now."""
    grown = [e for e in entries if isinstance(e, _Array) and e.index.rank > 0]
    if len({e.mask for e in grown}) <= 1 and all(e.mask is not None for e in grown):
        return True
    where = _constant_positions(entries, x)
    return where is not None and len(np.unique(where)) == where.size


#: Above this many elements, repeated targets are not looked for at compile time.
_CONSTANT_POSITIONS_LIMIT = 1 << 20


def _constant_positions(entries: Sequence[Entry], x: Value) -> np.ndarray | None:
    if not x.type.is_static or x.type.size > _CONSTANT_POSITIONS_LIMIT:  # type: ignore[operator]
        return None
    index: list[object] = []
    for e in entries:
        if isinstance(e, _Slice):
            if any(isinstance(b, Value) for b in (e.start, e.stop, e.step)):
                return None
            index.append(slice(e.start, e.stop, e.step))
        elif isinstance(e, _Int):
            if not isinstance(e.index, int):
                return None
            index.append(e.index)
        else:
            data = constant_array(e.index)
            if data is None:
                return None
            index.append(data)
    try:
        return np.arange(x.type.size).reshape(x.shape)[tuple(index)]  # type: ignore[arg-type]
    except IndexError:
        return None


# -- rules ----------------------------------------------------------------------------------------


@import_op.register(Subtensor)
def import_subtensor(op: Subtensor, node: Apply, imp: Importer) -> list[Value]:
    x_var, *index_vars = node.inputs
    entries = _entries(imp, x_var, index_vars, op, advanced=False)
    return [basic_read(imp, imp.value(x_var), entries)]


@import_op.register(AdvancedSubtensor)
def import_advanced_subtensor(op: AdvancedSubtensor, node: Apply, imp: Importer) -> list[Value]:
    x_var, *index_vars = node.inputs
    entries = _entries(imp, x_var, index_vars, op, advanced=True)
    return [advanced_read(imp, imp.value(x_var), entries)]


@import_op.register(IncSubtensor)
def import_inc_subtensor(op: IncSubtensor, node: Apply, imp: Importer) -> list[Value]:
    """set_subtensor / inc_subtensor of slices and integers: no element repeats."""
    x_var, y_var, *index_vars = node.inputs
    x, y = imp.value(x_var), imp.value(y_var)
    entries = _entries(imp, x_var, index_vars, op, advanced=False)
    where = positions(imp, x, entries)
    if op.set_instead_of_inc:
        updates = imp.cast(y, x.dtype)
    else:
        updates = _incremented(imp, basic_read(imp, x, entries), y)
    return [scatter(imp, x, where, updates, "none", unique=True)]


@import_op.register(AdvancedIncSubtensor)
def import_advanced_inc_subtensor(
    op: AdvancedIncSubtensor, node: Apply, imp: Importer
) -> list[Value]:
    """Advanced set (the last of repeated targets wins), inc with ``ignore_duplicates``
    (numpy's ``x[idx] += y``: read, add, then set) and inc (numpy's ``add.at``: repeated
    targets accumulate)."""
    x_var, y_var, *index_vars = node.inputs
    x, y = imp.value(x_var), imp.value(y_var)
    entries = _entries(imp, x_var, index_vars, op, advanced=True)
    unique = _unique_targets(entries, x)
    where = positions(imp, x, entries)
    if op.set_instead_of_inc:
        return [scatter(imp, x, where, imp.cast(y, x.dtype), "none", unique=unique)]
    if op.ignore_duplicates and not np.can_cast(
        dtypes.upcast(x.dtype, y.dtype), x.dtype, casting="same_kind"
    ):
        # numpy's x[idx] += y refuses the cast back (perform), and so does Numba's typing.
        raise Unsupported(
            f"inc_subtensor(..., ignore_duplicates=True) adding {y.dtype} into {x.dtype}: "
            "PyTensor raises in every backend (numpy's same_kind casting rule)"
        )
    if op.ignore_duplicates or unique:
        updates = _incremented(imp, advanced_read(imp, x, entries), y)
        return [scatter(imp, x, where, updates, "none", unique=unique)]
    return [scatter(imp, x, where, _accumulated(imp, x.dtype, y), "add", unique=False)]


@import_op.register(Nonzero)
def import_nonzero(op: Nonzero, node: Apply, imp: Importer) -> list[Value]:
    coords = imp.emit(ops.NonZero, [imp.value(node.inputs[0])])
    return [
        imp.emit(ops.Gather, [coords, _const(imp, i)], {"axis": 0})
        for i in range(len(node.outputs))
    ]
