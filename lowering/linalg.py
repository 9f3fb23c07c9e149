"""Lowering of linear algebra ops."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx_ir as oir

from ir import ops
from ir.core import Operation
from ir.types import UNKNOWN, Dim
from lowering.context import LoweringContext
from lowering.registry import lowers

V = oir.Value

#: The dtypes ONNX Runtime fuses a Transpose feeding MatMul into (FusedMatMul).
_FUSED_DTYPES = ("float16", "float32", "float64")


#: Unsigned dtypes whose MatMul runs as the signed one of the same width where k may be 0.
_SIGNED_TWIN = {"uint32": "int32", "uint64": "int64"}


@lowers(ops.MatMul)
def lower_matmul(op: ops.MatMul, ctx: LoweringContext, args: list[V]) -> V:
    """ONNX MatMul is numpy's matmul; integer products wrap the same in a wider integer.

    ONNX Runtime 1.31 computes some operand forms wrongly (measured with optimizations on and
    off, every shape up to rank 3 with sizes 0 to 2, transposed operands, dirty memory), so
    only two forms reach it, each with the same products and sums:

    - 1-D operands become a row (1, k) or a column (k, 1), squeezed after: next to a batch or
      with k == 0 ORT gives garbage, wrong shapes or errors, and its Transpose fusion
      computes transpose(a) @ b wrongly for float when b is 1-D;
    - a stack against a matrix (or a batch of 1s) is one (rows, k) @ (k, n) product,
      reshaped: ORT's fused transposed stack raises on an empty batch;
    - other stacks are expanded to their broadcast batch shape, unless theirs provably is
      it: broadcast batch dims give wrong shapes (k == 0) and errors (empty results); equal
      batches may meet a fused Transpose (FusedMatMul, float dtypes), which leaves garbage
      when k == 0, so where k may be 0 the result is selected to 0 then.

    A statically empty batch gives zeros of the result shape without a MatMul (ORT's
    ExpandElimination takes an Expand of a size-1 dim to a constant 0 for "no change").
    """
    a, b = op.operands
    x, y = args
    a_shape, b_shape = list(a.shape), list(b.shape)
    squeeze: list[int] = []
    if a.rank == 1:
        x, a_shape = ctx.op("Unsqueeze", x, ctx.axes([0])), [1, *a_shape]
        squeeze.append(-2)
    if b.rank == 1:
        y, b_shape = ctx.op("Unsqueeze", y, ctx.axes([-1])), [*b_shape, 1]
        squeeze.append(-1)
    dtype = op.result.dtype
    batch_a, batch_b = _batches(a_shape, b_shape)
    if 0 in batch_a + batch_b and all(isinstance(d, int) for d in batch_a + batch_b):
        return _empty_result(ctx, op, x, y, a_shape, b_shape)
    lead = 0  # leading size-1 axes of the result that b's squeezed batch leaves out
    if len(b_shape) > 2 and all(d == 1 for d in batch_b):
        # (..., m, k) @ (1, .., 1, k, n): b's batch broadcasts for free as a (k, n) matrix
        # (expanding it would copy it once per batch entry).
        lead = max(0, len(b_shape) - len(a_shape))
        y = ctx.op("Squeeze", y, ctx.axes(range(len(b_shape) - 2)))
        b_shape = b_shape[-2:]
    elif len(b_shape) > 2:
        x, y = _broadcast_batches(ctx, x, y, a_shape, b_shape)
    flat = len(a_shape) > 2 and len(b_shape) == 2
    if flat:
        # Rows of every batch entry as one matrix: ORT's fused transpose-matmul raises on an
        # empty batch, and this is what its MatMul does inside anyway.
        rows = ctx.op("ReduceProd", ctx.op("Shape", x, end=-1), keepdims=1)
        result_shape = ctx.op("Concat", ctx.op("Shape", x, end=-1), ctx.op("Shape", y, start=-1),
                              axis=0)  # fmt: skip
        x = ctx.op("Reshape", x, ctx.op("Concat", rows, ctx.op("Shape", x, start=-1), axis=0),
                   allowzero=1)  # fmt: skip
    k_dim = a_shape[-1]
    if dtype in _SIGNED_TWIN and not (isinstance(k_dim, int) and k_dim > 0):
        # ORT's uint32/uint64 MatMul fails when k == 0 (it zero-fills through an int-typed
        # pointer: "Tensor type mismatch"); the signed product of the same width wraps alike.
        twin = _SIGNED_TWIN[dtype]
        out = ctx.op("MatMul", ctx.cast(x, twin), ctx.cast(y, twin))
        out = ctx.cast(out, dtype)
    else:
        out = ctx.kernel("MatMul", [x, y], dtype)
    if flat:
        out = ctx.op("Reshape", out, result_shape, allowzero=1)
    if lead:
        out = ctx.op("Unsqueeze", out, ctx.axes(range(lead)))
    k = {a_shape[-1], b_shape[-2]}
    may_be_fused = dtype in _FUSED_DTYPES and len(b_shape) > 2
    if may_be_fused and not any(isinstance(d, int) and d > 0 for d in k):
        empty_sum = ctx.op("Equal", ctx.op("Shape", x, start=-1), ctx.constant([0], "int64"))
        out = ctx.op("Where", empty_sum, ctx.constant(np.zeros((), dtype), dtype), out)
    if len(squeeze) == 2:
        squeeze = [-2, -1]
    return ctx.op("Squeeze", out, ctx.axes(squeeze)) if squeeze else out


def _batches(a_shape: Sequence[Dim], b_shape: Sequence[Dim]) -> tuple[list[Dim], list[Dim]]:
    """The batch dims of both operands, padded with 1s to the same length."""
    rank = max(len(a_shape), len(b_shape))
    return (
        [1] * (rank - len(a_shape)) + list(a_shape[:-2]),
        [1] * (rank - len(b_shape)) + list(b_shape[:-2]),
    )


def _broadcast_batches(
    ctx: LoweringContext, x: V, y: V, a_shape: Sequence[Dim], b_shape: Sequence[Dim]
) -> tuple[V, V]:
    """x and y expanded to their common batch shape (their core dims unchanged)."""
    rank = max(len(a_shape), len(b_shape))
    batch_a, batch_b = _batches(a_shape, b_shape)
    expand_x = len(a_shape) < rank or not _covers(batch_a, batch_b)
    expand_y = len(b_shape) < rank or not _covers(batch_b, batch_a)
    if not (expand_x or expand_y):
        return x, y
    if all(isinstance(d, int) for d in batch_a + batch_b):
        batch = list(np.broadcast_shapes(tuple(batch_a), tuple(batch_b)))  # type: ignore[arg-type]
        target_x = target_y = ctx.constant([*batch, 1, 1], "int64")
    else:
        core = ctx.constant([1, 1], "int64")
        target_x = ctx.op("Concat", ctx.op("Shape", y, end=-2), core, axis=0)
        target_y = ctx.op("Concat", ctx.op("Shape", x, end=-2), core, axis=0)
    new_x = ctx.op("Expand", x, target_x) if expand_x else x
    new_y = ctx.op("Expand", y, target_y) if expand_y else y
    return new_x, new_y


def _empty_result(
    ctx: LoweringContext,
    op: Operation,
    x: V,
    y: V,
    a_shape: Sequence[Dim],
    b_shape: Sequence[Dim],
) -> V:
    """Zeros of the empty result: the static batch, then m and n (read at run time when
    symbolic), with the axes of 1-D operands squeezed away."""
    batch = list(np.broadcast_shapes(*(tuple(d) for d in _batches(a_shape, b_shape))))  # type: ignore[arg-type]
    parts = [ctx.constant(batch, "int64")]
    m, n = a_shape[-2], b_shape[-1]
    parts.append(ctx.constant([m], "int64") if isinstance(m, int)
                 else ctx.op("Shape", x, start=-2, end=-1))  # fmt: skip
    parts.append(ctx.constant([n], "int64") if isinstance(n, int)
                 else ctx.op("Shape", y, start=-1))  # fmt: skip
    dtype = op.result.dtype
    zeros = ctx.op(
        "Expand", ctx.constant(np.zeros((), dtype), dtype), ctx.op("Concat", *parts, axis=0)
    )
    a, b = op.operands
    axes = ([-2] if a.rank == 1 else []) + ([-1] if b.rank == 1 else [])
    return ctx.op("Squeeze", zeros, ctx.axes(axes)) if axes else zeros


def _covers(mine: Sequence[Dim], other: Sequence[Dim]) -> bool:
    """True when broadcasting with ``other`` provably leaves the batch dims ``mine`` as they
    are: each other dim is a static 1 or provably equal (same int, same named symbol)."""
    return all(o == 1 or (m == o and m != UNKNOWN) for m, o in zip(mine, other, strict=True))
