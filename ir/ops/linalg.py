"""Linear algebra: matrix products."""

from __future__ import annotations

from collections.abc import Sequence

from ir.core import IRError, Operation
from ir.fields import Operand
from ir.types import TensorType, broadcast_shapes


class MatMul(Operation):
    """numpy.matmul: 1-D operands are promoted and the added axis removed; leading axes
    broadcast. Operands have one dtype. `%2 = tir.matmul %0, %1 : f32[2, 4]`"""

    NAME = "tir.matmul"
    a = Operand()
    b = Operand()

    def infer_types(self) -> Sequence[TensorType]:
        a, b = self.a, self.b
        if a.dtype != b.dtype or a.rank == 0 or b.rank == 0:
            raise IRError(
                f"tir.matmul: needs operands of one dtype and rank >= 1, got {a.type}, {b.type}"
            )
        a_shape = (1, *a.shape) if a.rank == 1 else a.shape
        b_shape = (*b.shape, 1) if b.rank == 1 else b.shape
        k1, k2 = a_shape[-1], b_shape[-2]
        if isinstance(k1, int) and isinstance(k2, int) and k1 != k2:
            raise IRError(f"tir.matmul: inner dims {k1} and {k2} differ")
        try:
            batch = broadcast_shapes(a_shape[:-2], b_shape[:-2])
        except ValueError as e:
            raise IRError(f"tir.matmul: batch dims do not broadcast: {e}") from None
        shape = [*batch, a_shape[-2], b_shape[-1]]
        if b.rank == 1:
            shape.pop(-1)
        if a.rank == 1:
            shape.pop(-1 if b.rank == 1 else -2)
        return (a.type.with_shape(shape),)


__all__ = ["MatMul"]
