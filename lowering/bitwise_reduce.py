"""Lowering of the bitwise reductions (``tir.reduce_bitwise_and``/``or``/``xor``): ONNX has no
bitwise Reduce op, so each is built exactly from elementwise Bitwise ops.

A static axis is folded in halves (padded with the identity to a power of two): a log-depth
tree of Split and BitwiseAnd/Or/Xor, two nodes per level. An axis of run-time length cannot be
halved a static number of times; there every bit is reduced on its own (the and of a bit is
the minimum of its 0/1 values, the or the maximum, the xor the parity of their count) by one
ONNX Reduce over all the axes, and the bits are put back together by a tree of BitwiseOr over
the bit axis. That costs a tensor of one byte per bit of the input, but a fixed number of nodes.

Measured (int64, keepdims false): an axis of static length L takes 2 * ceil(log2 L) nodes, a
Pad where L is no power of two, and one Squeeze: 22 nodes for L = 1000, 21 over (8, 7, 6);
any number of axes of run-time length take 22 nodes (int8: 16, bool xor: 12).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx_ir as oir

from ir import ops
from lowering.context import LoweringContext
from lowering.registry import lowers

V = oir.Value

#: The dtype a bitwise reduction of ``dtype`` runs in: ONNX's Bitwise ops take no bool, and
#: ONNX Runtime pads no 16-bit integers. Widening (sign or zero extension) commutes with the
#: bitwise ops, and the cast back truncates to the bits of ``dtype``.
_CARRIERS = {"bool": "uint8", "int16": "int32", "uint16": "int32"}


def _identity(op: ops.Reduce, dtype: str) -> int:
    """Every bit set for and (-1, the unsigned maximum), 0 for or and xor."""
    if isinstance(op, ops.ReduceBitwiseAnd):
        return -1 if np.dtype(dtype).kind == "i" else int(np.iinfo(dtype).max)
    return 0


def _onnx_op(op: ops.Reduce) -> str:
    if isinstance(op, ops.ReduceBitwiseAnd):
        return "BitwiseAnd"
    return "BitwiseOr" if isinstance(op, ops.ReduceBitwiseOr) else "BitwiseXor"


def _halving_tree(
    ctx: LoweringContext, v: V, axis: int, length: int, op_type: str, identity: int, dtype: str
) -> V:
    """v reduced over the static ``axis`` of ``length`` elements to length 1: padded with the
    identity to a power of two, then halves combined until one element is left."""
    size = 1 << max(length - 1, 0).bit_length()  # a power of two, at least 1
    if size != length:
        v = ctx.op(
            "Pad",
            v,
            ctx.constant([0, size - length], "int64"),
            ctx.constant(identity, dtype),
            ctx.axes([axis]),
            mode="constant",
        )
    while size > 1:
        size //= 2
        first, second = ctx.node("Split", [v], {"axis": axis, "num_outputs": 2}, num_outputs=2)
        v = ctx.op(op_type, first, second)
    return v


def _by_bits(
    ctx: LoweringContext, op: ops.Reduce, x: V, dtype: str, bits: int, axes: Sequence[int]
) -> V:
    """The reduction of each of the low ``bits`` bits of x over ``axes`` (of any lengths), as
    one ONNX Reduce of 0/1 values along a new last axis of bits; then the bits joined by a
    tree of BitwiseOr (they are disjoint). Keeps the reduced axes."""
    rank = op.x.rank
    masks = ctx.constant(np.left_shift(np.ones(bits, dtype), np.arange(bits, dtype=dtype)), dtype)
    spread = ctx.op("BitwiseAnd", ctx.op("Unsqueeze", x, ctx.axes([rank])), masks)
    is_set = ctx.cast(spread, "bool")
    reduce_axes = ctx.axes(list(axes))
    if isinstance(op, ops.ReduceBitwiseXor):
        # The parity of the count of set bits (a count far below 2**53: ONNX Runtime's
        # integer ReduceSum, which goes through double, is exact there).
        count = ctx.op("ReduceSum", ctx.cast(is_set, "int64"), reduce_axes, keepdims=1)
        flag = ctx.cast(ctx.op("BitwiseAnd", count, ctx.constant(1, "int64")), dtype)
    else:
        # and: the minimum of the 0/1 values (an empty one is 255: set); or: the maximum.
        reduce = "ReduceMin" if isinstance(op, ops.ReduceBitwiseAnd) else "ReduceMax"
        extreme = ctx.op(reduce, ctx.cast(is_set, "uint8"), reduce_axes, keepdims=1)
        flag = ctx.cast(ctx.cast(extreme, "bool"), dtype)
    joined = _halving_tree(ctx, ctx.op("Mul", flag, masks), rank, bits, "BitwiseOr", 0, dtype)
    return ctx.op("Squeeze", joined, ctx.axes([rank]))


@lowers(ops.ReduceBitwiseAnd, ops.ReduceBitwiseOr, ops.ReduceBitwiseXor)
def lower_bitwise_reduce(op: ops.Reduce, ctx: LoweringContext, args: list[V]) -> V:
    (x,) = args
    axes, keepdims, dtype = op.reduced_axes(), op.keepdims, op.x.dtype
    if not axes:
        return ctx.op("Identity", x)
    carrier = _CARRIERS.get(dtype, dtype)
    v = ctx.cast(x, carrier) if carrier != dtype else x
    dims = op.x.shape
    if all(isinstance(dims[a], int) for a in axes):
        identity = _identity(op, carrier)
        for axis in axes:
            v = _halving_tree(ctx, v, axis, dims[axis], _onnx_op(op), identity, carrier)
    else:
        bits = 1 if dtype == "bool" else 8 * np.dtype(dtype).itemsize
        v = _by_bits(ctx, op, v, carrier, bits, axes)
    if not keepdims:
        v = ctx.op("Squeeze", v, ctx.axes(axes))
    return ctx.cast(v, dtype) if carrier != dtype else v
