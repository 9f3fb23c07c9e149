"""Control flow: ``tir.if`` (PyTensor's IfElse), whose regions run only when taken."""

from __future__ import annotations

from collections.abc import Sequence

from ir.core import IRError, Operation
from ir.types import UNKNOWN, TensorType


class If(Operation):
    """The values the first region yields if ``cond`` (a bool scalar) is true, else the
    second's. Only the taken region is evaluated.

    `%r = tir.if %c : f32[3] {` ... `yield %a` `} {` ... `yield %b` `}`
    """

    NAME = "tir.if"
    OPERANDS = ("cond",)
    NUM_REGIONS = 2
    NUM_RESULTS = None

    def infer_types(self) -> Sequence[TensorType]:
        if self.cond.type != TensorType("bool", ()):
            raise IRError(f"tir.if: the condition must be bool[], got {self.cond.type}")
        then_values, else_values = (r.yielded for r in self.regions)
        if len(then_values) != len(else_values):
            raise IRError("tir.if: both regions must yield the same number of values")
        types = []
        for a, b in zip(then_values, else_values, strict=True):
            if a.dtype != b.dtype or a.rank != b.rank:
                raise IRError(f"tir.if: regions yield {a.type} and {b.type}")
            types.append(
                a.type.with_shape(
                    d if d == e else UNKNOWN for d, e in zip(a.shape, b.shape, strict=True)
                )
            )
        return types


__all__ = ["If"]
