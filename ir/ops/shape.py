"""Shape computation, reshaping, joining and constant-pattern ops.

Shape-like operands (target shapes, slice bounds, split sizes) are ``i64`` vectors, constant or
computed at run time; ``infer_types`` takes static result dims from the constant ones.

``refined_types`` knows more: the entries of a shape vector that are dims of other values
(``tir.shape``, picked and joined by gather, slice, unsqueeze and concat), so
`reshape x, concat(shape(y)[0:1], [12])` is `[y_0, 12]`. The frontend stores those types (a
stored type may refine the inferred one); ``infer_types`` stays with constants, so that a pass
that simplifies a shape computation cannot make the inferred type more precise than the stored
one (the verifier would reject that).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ir import attributes as A
from ir.core import IRError, Operation, Value
from ir.fields import Attr, Operand, VariadicOperand
from ir.ops.elementwise import Cast
from ir.ops.tensor import constant_array, normalize_axes
from ir.types import UNKNOWN, Dim, TensorType, broadcast_shapes

#: How far ``shape_entries`` follows a chain of shape computations.
_MAX_DEPTH = 12


def vector_length(op: Operation, value: Value, what: str) -> int:
    if value.rank != 1 or not isinstance(value.shape[0], int):
        raise IRError(f"{op.NAME}: {what} must be a vector of static length, got {value.type}")
    if value.dtype != "int64":
        raise IRError(f"{op.NAME}: {what} must be i64, got {value.dtype}")
    return value.shape[0]


def static_ints(value: Value) -> list[int] | None:
    data = constant_array(value)
    return None if data is None else [int(v) for v in data.reshape(-1)]


def shape_entries(value: Value, symbolic: bool = True, depth: int = 0) -> list[Dim] | None:
    """What is known of each entry of an integer vector of static length: an int (its value),
    a symbol (the run-time size of a dim of that name), or ``?``; None if not such a vector.

    Follows only ops whose entries are exact copies (shape, concat, gather and slice with
    constant indices, unsqueeze / dimshuffle / reshape of a scalar to one entry), so a pass
    that folds part of the chain can make the entries more precise, never different. With
    ``symbolic=False``, only constants count.
    """
    from ir.ops.indexing import Gather, Slice  # it imports this module

    if value.rank != 1 or not isinstance(value.shape[0], int):
        return None
    n = value.shape[0]
    data = constant_array(value)
    if data is not None:
        return [int(v) for v in data]
    op = value.owner
    unknown: list[Dim] = [UNKNOWN] * n
    if not symbolic or not isinstance(op, Operation) or depth > _MAX_DEPTH:
        return unknown
    name = op.NAME
    if name == "tir.shape":
        return list(op.operands[0].shape)
    if name == "tir.concat" and all(v.rank == 1 for v in op.operands):
        out: list[Dim] = []
        for v in op.operands:
            part = shape_entries(v, True, depth + 1)
            if part is None:
                return unknown
            out.extend(part)
        return out if len(out) == n else unknown
    if _is_integer_widening(op):
        part = shape_entries(op.operands[0], True, depth + 1)
        return unknown if part is None else part
    if name in ("tir.unsqueeze", "tir.dimshuffle", "tir.reshape") and op.operands[0].rank == 0:
        return [scalar_entry(op.operands[0], True, depth + 1)] if n == 1 else unknown
    if isinstance(op, Gather) and op.axis == 0:
        source, indices = op.operands
        entries, picks = shape_entries(source, True, depth + 1), constant_array(indices)
        if entries is not None and picks is not None and picks.ndim == 1:
            return [_pick(entries, int(i)) for i in picks]
        return unknown
    if isinstance(op, Slice) and op.axes in ((0,), (-1,)):
        source = op.operands[0]
        entries = shape_entries(source, True, depth + 1)
        bounds = [b for v in op.operands[1:] if (b := static_ints(v)) is not None]
        if entries is not None and len(bounds) == 3:
            (start,), (stop,), (step,) = bounds
            picked = entries[slice(start, stop, step)]
            return picked if len(picked) == n else unknown
    return unknown


def _pick(entries: Sequence[Dim], index: int) -> Dim:
    return entries[index] if -len(entries) <= index < len(entries) else UNKNOWN


def scalar_entry(value: Value, symbolic: bool = True, depth: int = 0) -> Dim:
    """What is known of a 0-d integer value: its int value, a dim symbol, or ``?``."""
    from ir.ops.indexing import Gather  # it imports this module

    if value.rank != 0:
        return UNKNOWN
    data = constant_array(value)
    if data is not None:
        return int(data) if data.dtype.kind in "iub" else UNKNOWN
    op = value.owner
    if not symbolic or not isinstance(op, Operation) or depth > _MAX_DEPTH:
        return UNKNOWN
    if isinstance(op, Gather) and op.axis == 0:
        source, index = op.operands
        entries, pick = shape_entries(source, True, depth + 1), constant_array(index)
        if entries is not None and pick is not None and pick.ndim == 0:
            return _pick(entries, int(pick))
    if _is_integer_widening(op):
        return scalar_entry(op.operands[0], True, depth + 1)
    if op.NAME == "tir.mul" and value.dtype == "int64":
        # A product of sizes: ints multiply; one symbol times 1 is the symbol.
        factors = [scalar_entry(v, True, depth + 1) for v in op.operands]
        product = math.prod(f for f in factors if isinstance(f, int))
        symbols = [f for f in factors if not isinstance(f, int)]
        if not symbols:
            return product
        if len(symbols) == 1 and product == 1 and symbols[0] != UNKNOWN:
            return symbols[0]
    return UNKNOWN


def _is_integer_widening(op: Operation) -> bool:
    """A cast to i64 from a smaller integer dtype (or one whose values here are sizes): the
    entries keep their values."""
    return (
        isinstance(op, Cast)
        and op.to == "int64"
        and op.operands[0].dtype in ("int8", "int16", "int32", "uint8", "uint16", "uint32")
    )


def _merge_dims(op: Operation, dims: Sequence[Dim]) -> Dim:
    """Dims that must be equal: a static one wins over symbols; two static ones must agree."""
    static = {d for d in dims if isinstance(d, int)}
    if len(static) > 1:
        raise IRError(f"{op.NAME}: dims {list(dims)} must be equal")
    if static:
        return static.pop()
    named = {d for d in dims if d != UNKNOWN}
    return named.pop() if len(named) == 1 else UNKNOWN


class Shape(Operation):
    """The shape of x as an i64 vector. `%1 = tir.shape %0 : i64[2]`"""

    NAME = "tir.shape"
    x = Operand()

    def infer_types(self) -> Sequence[TensorType]:
        return (TensorType("int64", (self.x.rank,)),)


class _ToShape(Operation):
    """An op of x and a target shape vector: its type follows the target's entries, known
    from constants (``infer_types``) or also traced through shape computations
    (``refined_types``, which the frontend stores)."""

    x = Operand()
    shape = Operand()

    def infer_types(self) -> Sequence[TensorType]:
        return self._types(self._entries(symbolic=False), symbolic=False)

    def refined_types(self) -> Sequence[TensorType]:
        return self._types(self._entries(symbolic=True), symbolic=True)

    def _entries(self, symbolic: bool) -> list[Dim]:
        vector_length(self, self.shape, "the shape")
        entries = shape_entries(self.shape, symbolic)
        assert entries is not None
        return list(entries)

    def _types(self, entries: list[Dim], symbolic: bool) -> Sequence[TensorType]:
        raise NotImplementedError


class Reshape(_ToShape):
    """x with the given shape (same elements in C order); one entry may be -1 (inferred).

    A 0 entry means size 0 (PyTensor's meaning, ONNX's ``allowzero=1``).
    `%2 = tir.reshape %0, %1 : f32[6]`
    """

    NAME = "tir.reshape"

    def _types(self, entries: list[Dim], symbolic: bool) -> Sequence[TensorType]:
        values = [e for e in entries if isinstance(e, int)]
        if values.count(-1) > 1 or any(v < -1 for v in values):
            raise IRError(f"tir.reshape: bad target shape {entries}")
        dims: list[Dim] = list(entries)
        size = self.x.type.size
        if -1 in entries:
            at = entries.index(-1)
            known = [e for i, e in enumerate(entries) if i != at]
            known_ints = [e for e in known if isinstance(e, int)]
            if size is None and symbolic:
                dims[at] = _minus_one_by_symbols(self.x.shape, known)
            elif size is None or len(known_ints) != len(known):
                dims[at] = UNKNOWN
            elif math.prod(known_ints) == 0 or size % math.prod(known_ints):
                raise IRError(f"tir.reshape: cannot reshape {self.x.type} to {entries}")
            else:
                dims[at] = size // math.prod(known_ints)
        elif size is not None and len(values) == len(entries) and math.prod(values) != size:
            raise IRError(f"tir.reshape: cannot reshape {self.x.type} to {entries}")
        return (self.x.type.with_shape(dims),)


def _minus_one_by_symbols(shape: Sequence[Dim], known: Sequence[Dim]) -> Dim:
    """The -1 entry of a reshape target when x's size is symbolic: the symbols of the other
    entries cancel against x's (`[batch, 3, 4]` to `[batch, -1]` gives 12), and one symbol
    left over is the entry when the static sizes cancel too (`[batch, 6, 2]` to `[-1, 12]`
    gives batch). Exact: a symbol that is 0 at run time makes a -1 ambiguous only next to a
    0 entry, which numpy and ONNX Runtime reject."""
    rest = list(shape)
    for entry in known:
        if isinstance(entry, int):
            continue
        if entry == UNKNOWN or entry not in rest:
            return UNKNOWN
        rest.remove(entry)
    symbols = [d for d in rest if not isinstance(d, int)]
    size = math.prod(d for d in rest if isinstance(d, int))
    divisor = math.prod(e for e in known if isinstance(e, int))
    if divisor == 0 or size % divisor:
        return UNKNOWN
    if not symbols:
        return size // divisor
    if len(symbols) == 1 and symbols[0] != UNKNOWN and size == divisor:
        return symbols[0]
    return UNKNOWN


class Expand(_ToShape):
    """x broadcast with a shape (numpy broadcasting of both).

    `%2 = tir.expand %0, %1 : f32[2, 3]`
    """

    NAME = "tir.expand"

    def _types(self, entries: list[Dim], symbolic: bool) -> Sequence[TensorType]:
        if any(isinstance(e, int) and e < 0 for e in entries):
            raise IRError(f"tir.expand: negative size in {entries}")
        # An unknown entry leaves a static x dim other than 1 as the result dim (the entry
        # must be 1 or equal), and anything else unknown: broadcast_dim says exactly that.
        try:
            return (self.x.type.with_shape(broadcast_shapes(self.x.shape, entries)),)
        except ValueError as e:
            raise IRError(f"tir.expand: {e}") from None


class Concat(Operation):
    """Join tensors of equal rank along ``axis``. `%2 = tir.concat %0, %1 {axis = 0} : f32[5]`"""

    NAME = "tir.concat"
    inputs = VariadicOperand()
    axis = Attr(A.INT)

    def infer_types(self) -> Sequence[TensorType]:
        inputs = self.inputs
        if not inputs:
            raise IRError("tir.concat needs at least one operand")
        rank = inputs[0].rank
        if any(v.rank != rank for v in inputs) or len({v.dtype for v in inputs}) != 1:
            raise IRError("tir.concat: operands need the same rank and dtype")
        (axis,) = normalize_axes([self.axis], rank, self.NAME)
        dims: list[Dim] = []
        for i in range(rank):
            column = [v.shape[i] for v in inputs]
            if i == axis:
                sizes = [d for d in column if isinstance(d, int)]
                dims.append(sum(sizes) if len(sizes) == len(column) else UNKNOWN)
            else:
                dims.append(_merge_dims(self, column))
        return (inputs[0].type.with_shape(dims),)


class Split(Operation):
    """Cut x along ``axis`` into pieces of the given sizes (one result per size).

    `%2, %3 = tir.split %0, %1 {axis = 0} : f32[2], f32[3]`
    """

    NAME = "tir.split"
    x = Operand()
    sizes = Operand()
    axis = Attr(A.INT)
    NUM_RESULTS = None

    def infer_types(self) -> Sequence[TensorType]:
        n = vector_length(self, self.sizes, "the sizes")
        (axis,) = normalize_axes([self.axis], self.x.rank, self.NAME)
        sizes = static_ints(self.sizes)
        if sizes is not None:
            total = self.x.shape[axis]
            if any(s < 0 for s in sizes) or (isinstance(total, int) and sum(sizes) != total):
                raise IRError(f"tir.split: sizes {sizes} do not split {self.x.type} on {axis}")
        dims = sizes if sizes is not None else [UNKNOWN] * n
        shape = list(self.x.shape)
        return tuple(self.x.type.with_shape(shape[:axis] + [d] + shape[axis + 1 :]) for d in dims)


class Range(Operation):
    """numpy.arange(start, stop, step) on the Python values of the bounds, in their dtype:
    ceil((stop - start) / step) elements (computed as Python numbers), the first two start and
    start + step, the others start + i * (second - first) (as numpy fills them).

    `%3 = tir.range %0, %1, %2 : i64[5]`
    """

    NAME = "tir.range"
    start = Operand()
    stop = Operand()
    step = Operand()

    def infer_types(self) -> Sequence[TensorType]:
        operands = (self.start, self.stop, self.step)
        if any(v.rank != 0 for v in operands) or len({v.dtype for v in operands}) != 1:
            raise IRError("tir.range: start, stop and step must be scalars of one dtype")
        values = [data for v in operands if (data := constant_array(v)) is not None]
        length: Dim = UNKNOWN
        if len(values) == len(operands):
            start, stop, step = (v.item() for v in values)
            if step == 0:
                raise IRError("tir.range: step is 0")
            span = (stop - start) / step
            if not math.isfinite(span):
                raise IRError(f"tir.range: arange({start}, {stop}, {step}) has no finite length")
            length = max(math.ceil(span), 0)
        return (TensorType(self.start.dtype, (length,)),)


class Eye(Operation):
    """An n-by-m matrix of ``dtype`` with ones on diagonal k.

    `%2 = tir.eye %0, %1 {dtype = f32, k = 0} : f32[3, 3]`
    """

    NAME = "tir.eye"
    n = Operand()
    m = Operand()
    k = Attr(A.INT)
    dtype = Attr(A.DTYPE)

    def infer_types(self) -> Sequence[TensorType]:
        return self._types(symbolic=False)

    def refined_types(self) -> Sequence[TensorType]:
        return self._types(symbolic=True)

    def _types(self, symbolic: bool) -> Sequence[TensorType]:
        if any(v.rank != 0 or v.dtype != "int64" for v in (self.n, self.m)):
            raise IRError("tir.eye: n and m must be i64 scalars")
        dims = [scalar_entry(v, symbolic) for v in (self.n, self.m)]
        if any(isinstance(d, int) and d < 0 for d in dims):
            raise IRError(f"tir.eye: negative size in {dims}")
        return (TensorType(self.dtype, tuple(dims)),)


__all__ = [
    "Concat", "Expand", "Eye", "Range", "Reshape", "Shape", "Split",
]  # fmt: skip
