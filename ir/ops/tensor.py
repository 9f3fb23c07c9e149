"""Constants and axis-moving ops: constant, dimshuffle, transpose, squeeze, unsqueeze."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ir import attributes as A
from ir.core import IRError, Operation, Value
from ir.fields import Attr, Operand
from ir.types import TensorType


class Constant(Operation):
    """A tensor known at compile time. `%0 = tir.constant dense<[1.0, 2.0]> : f32[2]`"""

    NAME = "tir.constant"
    value = Attr(A.DENSE)
    INLINE_ATTR = "value"

    def infer_types(self) -> Sequence[TensorType]:
        return (self.value.type(),)


def constant_array(value: Value) -> np.ndarray | None:
    """The data of ``value`` when a ``tir.constant`` produces it (read-only), else None."""
    owner = value.owner
    if isinstance(owner, Constant):
        return owner.value.array
    return None


def normalize_axes(axes: Sequence[int], rank: int, op_name: str) -> tuple[int, ...]:
    """Axes in [0, rank), negative ones counted from the end; raises on repeats and range."""
    out = []
    for axis in axes:
        if not -rank <= axis < rank:
            raise IRError(f"{op_name}: axis {axis} is out of range for rank {rank}")
        out.append(axis % rank)
    if len(set(out)) != len(out):
        raise IRError(f"{op_name}: repeated axis in {tuple(axes)}")
    return tuple(out)


class DimShuffle(Operation):
    """PyTensor's DimShuffle: output axis i is input axis order[i], or a new size-1 axis ("x").

    Input axes missing from ``order`` are dropped (they must have size 1).
    `%1 = tir.dimshuffle %0 {order = [1, "x", 0]} : f32[3, 1, 2]`
    """

    NAME = "tir.dimshuffle"
    x = Operand()
    order = Attr(A.DIM_ORDER)

    def infer_types(self) -> Sequence[TensorType]:
        kept = [a for a in self.order if isinstance(a, int)]  # the others are "x"
        rank = self.x.rank
        if len(set(kept)) != len(kept) or any(not 0 <= a < rank for a in kept):
            raise IRError(f"tir.dimshuffle: bad order {list(self.order)} for rank {rank}")
        for axis in range(rank):
            if axis not in kept and self.x.shape[axis] != 1 and isinstance(self.x.shape[axis], int):
                raise IRError(
                    f"tir.dimshuffle: drops axis {axis} of size {self.x.shape[axis]}, not 1"
                )
        shape = [self.x.shape[a] if isinstance(a, int) else 1 for a in self.order]
        return (self.x.type.with_shape(shape),)


class Transpose(Operation):
    """Permute axes: output axis i is input axis perm[i].

    `%1 = tir.transpose %0 {perm = [1, 0]} : f32[3, 2]`
    """

    NAME = "tir.transpose"
    x = Operand()
    perm = Attr(A.INTS)

    def infer_types(self) -> Sequence[TensorType]:
        if sorted(self.perm) != list(range(self.x.rank)):
            raise IRError(
                f"tir.transpose: perm {list(self.perm)} is not a permutation of "
                f"the {self.x.rank} axes"
            )
        return (self.x.type.with_shape(self.x.shape[a] for a in self.perm),)


class Squeeze(Operation):
    """Remove the given size-1 axes. `%1 = tir.squeeze %0 {axes = [1]} : f32[3]`"""

    NAME = "tir.squeeze"
    x = Operand()
    axes = Attr(A.INTS)

    def infer_types(self) -> Sequence[TensorType]:
        axes = normalize_axes(self.axes, self.x.rank, self.NAME)
        for axis in axes:
            if self.x.shape[axis] != 1 and isinstance(self.x.shape[axis], int):
                raise IRError(f"tir.squeeze: axis {axis} has size {self.x.shape[axis]}, not 1")
        return (self.x.type.with_shape(d for i, d in enumerate(self.x.shape) if i not in axes),)


class Unsqueeze(Operation):
    """Insert size-1 axes at the given positions of the output.

    `%1 = tir.unsqueeze %0 {axes = [0]} : f32[1, 3]`
    """

    NAME = "tir.unsqueeze"
    x = Operand()
    axes = Attr(A.INTS)

    def infer_types(self) -> Sequence[TensorType]:
        out_rank = self.x.rank + len(self.axes)
        axes = normalize_axes(self.axes, out_rank, self.NAME)
        dims = iter(self.x.shape)
        return (self.x.type.with_shape(1 if i in axes else next(dims) for i in range(out_rank)),)


__all__ = [
    "Constant", "DimShuffle", "Squeeze", "Transpose", "Unsqueeze",
]  # fmt: skip
