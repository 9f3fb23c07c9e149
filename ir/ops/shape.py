"""Shape computation, reshaping, joining and constant-pattern ops.

Shape-like operands (target shapes, slice bounds, split sizes) are ``i64`` vectors, constant or
computed at run time; static result dims are inferred where those operands are constants.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ir import attributes as A
from ir.core import IRError, Operation, Value
from ir.ops.tensor import constant_array, normalize_axes
from ir.types import UNKNOWN, Dim, TensorType, broadcast_shapes


def vector_length(op: Operation, value: Value, what: str) -> int:
    if value.rank != 1 or not isinstance(value.shape[0], int):
        raise IRError(f"{op.NAME}: {what} must be a vector of static length, got {value.type}")
    if value.dtype != "int64":
        raise IRError(f"{op.NAME}: {what} must be i64, got {value.dtype}")
    return value.shape[0]


def static_ints(value: Value) -> list[int] | None:
    data = constant_array(value)
    return None if data is None else [int(v) for v in data.reshape(-1)]


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
    OPERANDS = ("x",)

    def infer_types(self) -> Sequence[TensorType]:
        return (TensorType("int64", (self.x.rank,)),)


class Reshape(Operation):
    """x with the given shape (same elements in C order); one entry may be -1 (inferred).

    A 0 entry means size 0 (PyTensor's meaning, ONNX's ``allowzero=1``).
    `%2 = tir.reshape %0, %1 : f32[6]`
    """

    NAME = "tir.reshape"
    OPERANDS = ("x", "shape")

    def infer_types(self) -> Sequence[TensorType]:
        n = vector_length(self, self.shape, "the shape")
        values = static_ints(self.shape)
        if values is None:
            return (self.x.type.with_shape([UNKNOWN] * n),)
        if sum(v == -1 for v in values) > 1 or any(v < -1 for v in values):
            raise IRError(f"tir.reshape: bad target shape {values}")
        dims: list[Dim] = [v for v in values]
        if -1 in values:
            known = math.prod(v for v in values if v != -1)
            size = self.x.type.size
            if size is None:
                dims[values.index(-1)] = UNKNOWN
            elif known == 0 or size % known:
                raise IRError(f"tir.reshape: cannot reshape {self.x.type} to {values}")
            else:
                dims[values.index(-1)] = size // known
        elif self.x.type.size is not None and math.prod(values) != self.x.type.size:
            raise IRError(f"tir.reshape: cannot reshape {self.x.type} to {values}")
        return (self.x.type.with_shape(dims),)


class Expand(Operation):
    """x broadcast with a shape (numpy broadcasting of both).

    `%2 = tir.expand %0, %1 : f32[2, 3]`
    """

    NAME = "tir.expand"
    OPERANDS = ("x", "shape")

    def infer_types(self) -> Sequence[TensorType]:
        n = vector_length(self, self.shape, "the shape")
        values = static_ints(self.shape)
        if values is not None:
            try:
                return (self.x.type.with_shape(broadcast_shapes(self.x.shape, values)),)
            except ValueError as e:
                raise IRError(f"tir.expand: {e}") from None
        rank = max(n, self.x.rank)
        padded = (1,) * (rank - self.x.rank) + self.x.shape
        # A static x dim other than 1 is the result dim; the rest depends on the shape values.
        dims = [d if isinstance(d, int) and d != 1 else UNKNOWN for d in padded]
        return (self.x.type.with_shape(dims),)


class Concat(Operation):
    """Join tensors of equal rank along ``axis``. `%2 = tir.concat %0, %1 {axis = 0} : f32[5]`"""

    NAME = "tir.concat"
    OPERANDS = ("*inputs",)
    ATTRS = {"axis": A.INT}

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
                dims.append(sum(column) if all(isinstance(d, int) for d in column) else UNKNOWN)  # type: ignore[arg-type]
            else:
                dims.append(_merge_dims(self, column))
        return (inputs[0].type.with_shape(dims),)


class Split(Operation):
    """Cut x along ``axis`` into pieces of the given sizes (one result per size).

    `%2, %3 = tir.split %0, %1 {axis = 0} : f32[2], f32[3]`
    """

    NAME = "tir.split"
    OPERANDS = ("x", "sizes")
    ATTRS = {"axis": A.INT}
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
    """numpy.arange(start, stop, step): start + i * step for i < ceil((stop - start) / step).

    `%3 = tir.range %0, %1, %2 : i64[5]`
    """

    NAME = "tir.range"
    OPERANDS = ("start", "stop", "step")

    def infer_types(self) -> Sequence[TensorType]:
        operands = (self.start, self.stop, self.step)
        if any(v.rank != 0 for v in operands) or len({v.dtype for v in operands}) != 1:
            raise IRError("tir.range: start, stop and step must be scalars of one dtype")
        values = [constant_array(v) for v in operands]
        length: Dim = UNKNOWN
        if all(v is not None for v in values):
            start, stop, step = (v[()] for v in values)  # type: ignore[index]
            if step == 0:
                raise IRError("tir.range: step is 0")
            length = len(np.arange(start, stop, step))
        return (TensorType(self.start.dtype, (length,)),)


class Eye(Operation):
    """An n-by-m matrix of ``dtype`` with ones on diagonal k.

    `%2 = tir.eye %0, %1 {dtype = f32, k = 0} : f32[3, 3]`
    """

    NAME = "tir.eye"
    OPERANDS = ("n", "m")
    ATTRS = {"k": A.INT, "dtype": A.DTYPE}

    def infer_types(self) -> Sequence[TensorType]:
        if any(v.rank != 0 or v.dtype != "int64" for v in (self.n, self.m)):
            raise IRError("tir.eye: n and m must be i64 scalars")
        dims = [UNKNOWN if (c := constant_array(v)) is None else int(c) for v in (self.n, self.m)]
        return (TensorType(self.dtype, tuple(dims)),)


__all__ = [
    name
    for name, value in list(globals().items())
    if isinstance(value, type) and issubclass(value, Operation) and value.__module__ == __name__
]
