"""Indexing ops: slicing, gathering and scattering (numpy indexing semantics)."""

from __future__ import annotations

from collections.abc import Sequence

from ir import attributes as A
from ir.core import IRError, Operation
from ir.fields import Attr, Operand
from ir.ops.shape import static_ints, vector_length
from ir.ops.tensor import normalize_axes
from ir.types import UNKNOWN, Dim, TensorType


def slice_length(dim: Dim, start: int, stop: int, step: int) -> Dim:
    """The length of x[start:stop:step] along a dim (Python's clamping), if the dim is known."""
    if not isinstance(dim, int):
        return UNKNOWN
    return len(range(*slice(start, stop, step).indices(dim)))


class Slice(Operation):
    """Python slicing x[start:stop:step] along each of ``axes`` (bounds clamp; negative ones
    count from the end). `%4 = tir.slice %0, %1, %2, %3 {axes = [0]} : f32[2]`"""

    NAME = "tir.slice"
    x = Operand()
    starts = Operand()
    stops = Operand()
    steps = Operand()
    axes = Attr(A.INTS)

    def infer_types(self) -> Sequence[TensorType]:
        axes = normalize_axes(self.axes, self.x.rank, self.NAME)
        for v, what in ((self.starts, "starts"), (self.stops, "stops"), (self.steps, "steps")):
            if vector_length(self, v, what) != len(axes):
                raise IRError(f"tir.slice: {what} needs one entry per axis")
        starts, stops, steps = (static_ints(v) for v in (self.starts, self.stops, self.steps))
        if steps is not None and 0 in steps:
            raise IRError("tir.slice: a step is 0")
        dims = list(self.x.shape)
        for i, axis in enumerate(axes):
            if starts is None or stops is None or steps is None:
                dims[axis] = UNKNOWN
            else:
                dims[axis] = slice_length(dims[axis], starts[i], stops[i], steps[i])
        return (self.x.type.with_shape(dims),)


class Gather(Operation):
    """numpy.take(x, indices, axis): negative indices count from the end.

    `%2 = tir.gather %0, %1 {axis = 0} : f32[4, 3]`
    """

    NAME = "tir.gather"
    x = Operand()
    indices = Operand()
    axis = Attr(A.INT)

    def infer_types(self) -> Sequence[TensorType]:
        if self.indices.dtype not in ("int32", "int64"):
            raise IRError(f"tir.gather: indices must be i32 or i64, got {self.indices.dtype}")
        (axis,) = normalize_axes([self.axis], self.x.rank, self.NAME)
        shape = self.x.shape[:axis] + self.indices.shape + self.x.shape[axis + 1 :]
        return (self.x.type.with_shape(shape),)


class GatherND(Operation):
    """x[indices[..., 0], ..., indices[..., k-1]] (ONNX GatherND, batch_dims 0).

    `%2 = tir.gather_nd %0, %1 : f32[5]`
    """

    NAME = "tir.gather_nd"
    x = Operand()
    indices = Operand()

    def infer_types(self) -> Sequence[TensorType]:
        k = self.indices.shape[-1] if self.indices.rank else None
        if self.indices.dtype != "int64" or not isinstance(k, int) or k > self.x.rank:
            raise IRError(f"tir.gather_nd: bad indices {self.indices.type} for {self.x.type}")
        return (self.x.type.with_shape(self.indices.shape[:-1] + self.x.shape[k:]),)


class ScatterND(Operation):
    """A copy of x with ``updates`` written at ``indices`` (as tir.gather_nd addresses them),
    in the C order of the index tuples; ``reduction = "add"`` accumulates (repeated indices add
    up, in that order), ``"none"`` overwrites (the last of repeated indices wins).

    `%3 = tir.scatter_nd %0, %1, %2 {reduction = "add"} : f32[8]`
    """

    NAME = "tir.scatter_nd"
    x = Operand()
    indices = Operand()
    updates = Operand()
    reduction = Attr(A.STR)

    def infer_types(self) -> Sequence[TensorType]:
        if self.reduction not in ("none", "add"):
            raise IRError(f"tir.scatter_nd: reduction must be none or add, not {self.reduction}")
        k = self.indices.shape[-1] if self.indices.rank else None
        if self.indices.dtype != "int64" or not isinstance(k, int) or k > self.x.rank:
            raise IRError(f"tir.scatter_nd: bad indices {self.indices.type} for {self.x.type}")
        if self.updates.dtype != self.x.dtype:
            raise IRError("tir.scatter_nd: updates must have the dtype of x")
        if self.updates.rank != self.indices.rank - 1 + self.x.rank - k:
            raise IRError(f"tir.scatter_nd: updates {self.updates.type} have the wrong rank")
        return (self.x.type,)


class GatherElements(Operation):
    """numpy.take_along_axis(x, indices, axis).

    `%2 = tir.gather_elements %0, %1 {axis = 1} : f32[2, 3]`
    """

    NAME = "tir.gather_elements"
    x = Operand()
    indices = Operand()
    axis = Attr(A.INT)

    def infer_types(self) -> Sequence[TensorType]:
        if self.indices.rank != self.x.rank or self.indices.dtype != "int64":
            raise IRError("tir.gather_elements: indices must be i64 of the rank of x")
        normalize_axes([self.axis], self.x.rank, self.NAME)
        return (self.x.type.with_shape(self.indices.shape),)


class ScatterElements(Operation):
    """A copy of x with ``updates[i]`` written at ``i`` with its ``axis`` coordinate replaced
    by ``indices[i]`` (negative ones count from the end), in the C order of ``i``: the inverse
    of tir.gather_elements. ``reduction = "none"`` overwrites (the last of repeated targets
    wins), ``"add"`` accumulates in that order, ``"max"`` keeps the largest. ``unique`` states
    that no target repeats (the producer guarantees it; the interpreter checks it).

    `%3 = tir.scatter_elements %0, %1, %2 {axis = 0, reduction = "none", unique = false} : f32[8]`
    """

    NAME = "tir.scatter_elements"
    x = Operand()
    indices = Operand()
    updates = Operand()
    axis = Attr(A.INT)
    reduction = Attr(A.STR)
    unique = Attr(A.BOOL)

    def infer_types(self) -> Sequence[TensorType]:
        if self.reduction not in ("none", "add", "max"):
            raise IRError(
                f"tir.scatter_elements: reduction must be none, add or max, not {self.reduction}"
            )
        if self.indices.dtype != "int64" or self.indices.rank != self.x.rank:
            raise IRError("tir.scatter_elements: indices must be i64 of the rank of x")
        if self.x.rank == 0:
            raise IRError("tir.scatter_elements: x must have rank 1 or more")
        if self.updates.dtype != self.x.dtype or self.updates.rank != self.indices.rank:
            raise IRError("tir.scatter_elements: updates need the dtype of x, rank of indices")
        for i, (u, d) in enumerate(zip(self.updates.shape, self.indices.shape, strict=True)):
            if isinstance(u, int) and isinstance(d, int) and u != d:
                raise IRError(f"tir.scatter_elements: updates and indices differ on axis {i}")
        normalize_axes([self.axis], self.x.rank, self.NAME)
        return (self.x.type,)


class NonZero(Operation):
    """numpy.nonzero(x) stacked into one i64 matrix: row i holds the axis-i coordinates of the
    nonzero elements, in C order. x has rank 1 or more; the column count is data-dependent.

    `%1 = tir.nonzero %0 : i64[2, ?]`
    """

    NAME = "tir.nonzero"
    x = Operand()

    def infer_types(self) -> Sequence[TensorType]:
        if self.x.rank == 0:
            raise IRError("tir.nonzero: x must have rank 1 or more")
        size = self.x.type.size
        return (TensorType("int64", (self.x.rank, 0 if size == 0 else UNKNOWN)),)


__all__ = [
    "Gather", "GatherElements", "GatherND", "NonZero", "ScatterElements", "ScatterND", "Slice",
]  # fmt: skip
