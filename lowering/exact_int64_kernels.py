"""ONNX Runtime's int64 Max, Min, Sign and Clip: wrong for many values from 2**31 up.

ORT 1.31/1.32 computes them through a narrower path: ``Max(2**31, 0)`` is 0 (found by comparing
random int64 values with numpy; the other integer kernels passed the same check). int64 takes
comparisons and ``Where`` instead, both exact.
"""

from __future__ import annotations

from ir.core import Operation
from lowering.context import LoweringContext
from lowering.elementwise_common import V, _dtype
from lowering.registry import Rule

#: The ORT kernels that are wrong on int64 (see the module docstring).
BROKEN_INT64 = frozenset({"Max", "Min", "Sign", "Clip"})


def int64_safe_extremum(op_type: str, compare: str) -> Rule:
    """The rule of Maximum/Minimum: ``op_type`` (Max/Min), or for int64 ``x compare y ? x : y``
    (exact: a selection of one operand)."""

    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        dtype = _dtype(op)
        if dtype == "int64" and op_type in BROKEN_INT64:
            x, y = args
            return ctx.op("Where", ctx.op(compare, x, y), x, y)
        return ctx.kernel(op_type, args, dtype)

    return rule


def int64_sign(ctx: LoweringContext, x: V) -> V:
    """numpy's sign of an int64 tensor, as (x > 0) - (x < 0): ORT's int64 Sign is wrong."""
    zero = ctx.constant(0, "int64")
    positive = ctx.cast(ctx.op("Greater", x, zero), "int64")
    return ctx.op("Sub", positive, ctx.cast(ctx.op("Less", x, zero), "int64"))
