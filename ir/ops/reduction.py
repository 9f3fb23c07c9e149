"""Reductions, scans, sorting and the softmax family.

Reductions compute in the operand's dtype; PyTensor's accumulator dtypes are explicit casts
around them (the frontend writes those).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ir import attributes as A
from ir.core import IRError, Operation
from ir.fields import Attr, Operand
from ir.ops.tensor import normalize_axes
from ir.types import TensorType

#: The dtype PyTensor sums in for a float dtype (CAReduce's default ``acc_dtype``).
_ACCUMULATORS = {"float16": "float32", "float32": "float64"}


def accumulator_dtype(dtype: str) -> str:
    """The dtype PyTensor accumulates a sum of ``dtype`` floats in (float16 → float32,
    float32 → float64); the softmax family's sums use it."""
    return _ACCUMULATORS.get(dtype, dtype)


class Reduce(Operation):
    """Shared machinery: reduce over ``axes`` (empty: none), keeping them as size 1 if
    ``keepdims``."""

    x = Operand()
    axes = Attr(A.INTS)
    keepdims = Attr(A.BOOL)
    #: The dtypes this reduction takes (None: any).
    DTYPES: ClassVar[frozenset[str] | None] = None

    def reduced_axes(self) -> tuple[int, ...]:
        return normalize_axes(self.axes, self.x.rank, self.NAME)

    def infer_types(self) -> Sequence[TensorType]:
        if self.DTYPES is not None and self.x.dtype not in self.DTYPES:
            raise IRError(f"{self.NAME} takes {sorted(self.DTYPES)}, got {self.x.dtype}")
        axes = self.reduced_axes()
        if self.keepdims:
            shape = [1 if i in axes else d for i, d in enumerate(self.x.shape)]
        else:
            shape = [d for i, d in enumerate(self.x.shape) if i not in axes]
        return (self.x.type.with_shape(shape),)


class ReduceSum(Reduce):
    """Sum over axes, in x's dtype: integers wrap, bool is logical or; an empty sum is 0, and
    a float sum is never -0.0 (numpy's starts from +0.0).

    `%1 = tir.reduce_sum %0 {axes = [1], keepdims = false} : f32[2]`
    """

    NAME = "tir.reduce_sum"


class ReduceProd(Reduce):
    """Product over axes, in x's dtype: integers wrap, bool is logical and; an empty
    product is 1.

    `%1 = tir.reduce_prod %0 {axes = [1], keepdims = false} : f32[2]`
    """

    NAME = "tir.reduce_prod"


class ReduceMax(Reduce):
    """Maximum over axes; NaN if any element is NaN. An empty maximum is the lowest value
    (-inf, the dtype's minimum, False), as PyTensor's ``Max{initial}``.

    `%1 = tir.reduce_max %0 {axes = [0], keepdims = false} : f32[3]`
    """

    NAME = "tir.reduce_max"


class ReduceMin(Reduce):
    """Minimum over axes; NaN if any element is NaN. An empty minimum is the highest value
    (inf, the dtype's maximum, True), as PyTensor's ``Min{initial}``.

    `%1 = tir.reduce_min %0 {axes = [0], keepdims = false} : f32[3]`
    """

    NAME = "tir.reduce_min"


class ReduceAll(Reduce):
    """Logical and over axes (bool); an empty one is True.

    `%1 = tir.reduce_all %0 {axes = [0], keepdims = false} : bool[3]`
    """

    NAME = "tir.reduce_all"
    DTYPES = frozenset({"bool"})


class ReduceAny(Reduce):
    """Logical or over axes (bool); an empty one is False.

    `%1 = tir.reduce_any %0 {axes = [0], keepdims = false} : bool[3]`
    """

    NAME = "tir.reduce_any"
    DTYPES = frozenset({"bool"})


#: The dtypes the bitwise reductions take: integers, and bool (where they are logical).
_BITWISE_DTYPES = frozenset(
    {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}
)


class ReduceBitwiseAnd(Reduce):
    """Bitwise and over axes (bool: logical and); an empty one has every bit set (-1, the
    unsigned maximum, True), as numpy's ``bitwise_and.reduce``.

    `%1 = tir.reduce_bitwise_and %0 {axes = [0], keepdims = false} : u64[3]`
    """

    NAME = "tir.reduce_bitwise_and"
    DTYPES = _BITWISE_DTYPES


class ReduceBitwiseOr(Reduce):
    """Bitwise or over axes (bool: logical or); an empty one is 0 (False).

    `%1 = tir.reduce_bitwise_or %0 {axes = [0], keepdims = false} : i8[3]`
    """

    NAME = "tir.reduce_bitwise_or"
    DTYPES = _BITWISE_DTYPES


class ReduceBitwiseXor(Reduce):
    """Bitwise exclusive or over axes (bool: the parity of the True elements); an empty one
    is 0 (False).

    `%1 = tir.reduce_bitwise_xor %0 {axes = [0, 1], keepdims = true} : i32[1, 1]`
    """

    NAME = "tir.reduce_bitwise_xor"
    DTYPES = _BITWISE_DTYPES


class LogSumExp(Reduce):
    """log(sum(exp(x))) over axes, as PyTensor's LogSumExp computes it:
    ``log(s) + m`` with ``m = max(x)`` (NaN if any element is NaN, -inf if empty; an infinite
    m is taken as 0) and ``s = sum(exp(x - m))`` accumulated in ``accumulator_dtype`` (float16
    in float32, float32 in float64), then rounded to x's dtype.

    `%1 = tir.logsumexp %0 {axes = [1], keepdims = false} : f32[2]`
    """

    NAME = "tir.logsumexp"
    DTYPES = frozenset({"float16", "float32", "float64"})


class ArgReduce(Operation):
    x = Operand()
    axis = Attr(A.INT)
    keepdims = Attr(A.BOOL)

    def infer_types(self) -> Sequence[TensorType]:
        (axis,) = normalize_axes([self.axis], self.x.rank, self.NAME)
        if self.keepdims:
            shape = [1 if i == axis else d for i, d in enumerate(self.x.shape)]
        else:
            shape = [d for i, d in enumerate(self.x.shape) if i != axis]
        return (TensorType("int64", tuple(shape)),)


class ArgMax(ArgReduce):
    """Index of the first maximum along axis (the first NaN if any); an empty axis has no
    answer (PyTensor raises).

    `%1 = tir.argmax %0 {axis = 1, keepdims = false} : i64[2]`
    """

    NAME = "tir.argmax"


class ArgMin(ArgReduce):
    """Index of the first minimum along axis (the first NaN if any); an empty axis has no
    answer (PyTensor raises).

    `%1 = tir.argmin %0 {axis = 1, keepdims = false} : i64[2]`
    """

    NAME = "tir.argmin"


class AxisOp(Operation):
    """An op along one axis whose result has x's type."""

    x = Operand()
    axis = Attr(A.INT)

    def infer_types(self) -> Sequence[TensorType]:
        normalize_axes([self.axis], self.x.rank, self.NAME)
        return (self.x.type,)


class CumSum(AxisOp):
    """Running sum along axis in x's dtype, left to right, rounding after every addition
    (numpy's order); integers wrap, bool is a running or.

    `%1 = tir.cumsum %0 {axis = 0} : f32[4]`
    """

    NAME = "tir.cumsum"


class CumProd(AxisOp):
    """Running product along axis in x's dtype, left to right, rounding after every
    multiplication (numpy's order); integers wrap, bool is a running and.

    `%1 = tir.cumprod %0 {axis = 0} : f32[4]`
    """

    NAME = "tir.cumprod"


class Sort(AxisOp):
    """Stable ascending sort along axis: NaN last, equal elements (-0.0 and 0.0 included) in
    index order, as numpy's ``kind="stable"``.

    `%1 = tir.sort %0 {axis = 0} : f32[4]`
    """

    NAME = "tir.sort"


class Argsort(AxisOp):
    """Indices of the stable ascending sort of x along axis (ties in index order; NaN last
    in index order), as numpy's ``argsort(kind="stable")``.

    `%1 = tir.argsort %0 {axis = 0} : i64[4]`
    """

    NAME = "tir.argsort"

    def infer_types(self) -> Sequence[TensorType]:
        return (super().infer_types()[0].with_dtype("int64"),)


class Softmax(Operation):
    """``e / s`` over ``axes``, as PyTensor's Softmax computes it: ``e = exp(x - max(x))``
    and ``s = sum(e)`` accumulated in ``accumulator_dtype`` (float16 in float32, float32 in
    float64), then rounded to x's dtype. No axes: every element on its own.

    `%1 = tir.softmax %0 {axes = [1]} : f32[2, 3]`
    """

    NAME = "tir.softmax"
    x = Operand()
    axes = Attr(A.INTS)

    def infer_types(self) -> Sequence[TensorType]:
        normalize_axes(self.axes, self.x.rank, self.NAME)
        if self.x.dtype not in ("float16", "float32", "float64"):
            raise IRError(f"{self.NAME} takes floats, got {self.x.dtype}")
        return (self.x.type,)


class LogSoftmax(Softmax):
    """``(x - max(x)) - log(s)`` over ``axes``, with ``s`` as in ``tir.softmax``.

    `%1 = tir.log_softmax %0 {axes = [1]} : f32[2, 3]`
    """

    NAME = "tir.log_softmax"


__all__ = [
    "ArgMax", "ArgMin", "ArgReduce", "Argsort", "AxisOp", "CumProd", "CumSum", "LogSoftmax",
    "LogSumExp", "Reduce", "ReduceAll", "ReduceAny", "ReduceBitwiseAnd", "ReduceBitwiseOr",
    "ReduceBitwiseXor", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSum", "Softmax", "Sort",
]  # fmt: skip
