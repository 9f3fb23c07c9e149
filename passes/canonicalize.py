"""Canonicalization: exact algebraic identities and canonical operand order.

Every rule here is exact in IEEE arithmetic for every input (including -0.0, NaN and integer
wrap-around); rules that are only "usually" exact (x + 0.0 → x is wrong for x = -0.0) are not.
"""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.core import Value
from ir.ops.tensor import constant_array, normalize_axes
from passes.cse import commutes_exactly
from passes.rewriter import Pattern, PatternPass, Rewriter, pattern


def _splat(value: Value) -> float | int | bool | None:
    """The single value every element of a constant holds, or None."""
    data = constant_array(value)
    if data is None or data.size == 0:
        return None
    flat = data.reshape(-1)
    return flat[0].item() if (flat == flat[0]).all() and not np.isnan(flat[0]) else None


def _is_negative_zero(value: Value) -> bool:
    data = constant_array(value)
    return (
        data is not None
        and data.dtype.kind == "f"
        and data.size > 0
        and bool(np.all(data == 0))
        and bool(np.all(np.signbit(data)))
    )


def _has_negative_zero(value: Value) -> bool:
    data = constant_array(value)
    return (
        data is not None and data.dtype.kind == "f" and bool(np.any((data == 0) & np.signbit(data)))
    )


def _lossless(src: str, dst: str) -> bool:
    """Every value of ``src`` is exactly a value of ``dst``.

    numpy's "safe" casting calls int64 → float64 safe, but it rounds above 2**53.
    """
    if not np.can_cast(src, dst, "safe"):
        return False
    s, d = np.dtype(src), np.dtype(dst)
    if s.kind in "iu" and d.kind == "f":
        return s.itemsize * 8 - (s.kind == "i") <= np.finfo(d).nmant + 1
    return True


@pattern(ops.Cast)
def cast_to_same_dtype(op: ops.Cast, rw: Rewriter) -> bool:
    """`tir.cast %x {to = T}` with %x : T → `%x`."""
    if op.x.dtype != op.to:
        return False
    rw.replace_op(op, [op.x])
    return True


@pattern(ops.Cast)
def cast_of_lossless_cast(op: ops.Cast, rw: Rewriter) -> bool:
    """`tir.cast (tir.cast %x {to = T1}) {to = T2}` → `tir.cast %x {to = T2}`, x → T1 lossless."""
    inner = op.x.owner
    if not isinstance(inner, ops.Cast) or not _lossless(inner.x.dtype, inner.to):
        return False
    rw.replace_op(op, [rw.create(ops.Cast, [inner.x], {"to": op.to})])
    return True


@pattern(ops.Transpose)
def transpose_identity(op: ops.Transpose, rw: Rewriter) -> bool:
    """`tir.transpose %x {perm = [0, 1, ...]}` → `%x`."""
    if tuple(op.perm) != tuple(range(op.x.rank)):
        return False
    rw.replace_op(op, [op.x])
    return True


@pattern(ops.Transpose)
def transpose_of_transpose(op: ops.Transpose, rw: Rewriter) -> bool:
    """`tir.transpose (tir.transpose %x {perm = p}) {perm = q}` → `tir.transpose %x {p[q]}`."""
    inner = op.x.owner
    if not isinstance(inner, ops.Transpose):
        return False
    perm = tuple(inner.perm[a] for a in op.perm)
    rw.replace_op(op, [rw.create(ops.Transpose, [inner.x], {"perm": perm})])
    return True


@pattern((ops.Squeeze, ops.Unsqueeze))
def squeeze_or_unsqueeze_nothing(op: ops.Squeeze | ops.Unsqueeze, rw: Rewriter) -> bool:
    """`tir.squeeze %x {axes = []}` or `tir.unsqueeze %x {axes = []}` → `%x`."""
    if op.axes:
        return False
    rw.replace_op(op, [op.x])
    return True


@pattern(ops.Unsqueeze)
def unsqueeze_of_reduction(op: ops.Unsqueeze, rw: Rewriter) -> bool:
    """`tir.unsqueeze (tir.reduce_* %x {axes, keepdims = false})` putting size-1 axes back
    exactly where the reduction removed them → the reduction with `keepdims = true` (PyTensor's
    `keepdims=True` is a reduction and a DimShuffle; ONNX reductions keep dims themselves)."""
    reduction = op.x.owner
    if not isinstance(reduction, ops.Reduce) or reduction.keepdims or op.x.num_uses != 1:
        return False
    axes = normalize_axes(op.axes, op.result.rank, op.NAME)
    if sorted(axes) != sorted(reduction.reduced_axes()):
        return False
    attrs = {**reduction.attributes, "keepdims": True}
    kept = rw.create(type(reduction), list(reduction.operands), attrs)
    rw.replace_op(op, [kept])
    return True


@pattern(ops.Neg)
def neg_of_neg(op: ops.Neg, rw: Rewriter) -> bool:
    """`tir.neg (tir.neg %x)` → `%x`."""
    inner = op.x.owner
    if not isinstance(inner, ops.Neg) or inner.x.type != op.result.type:
        return False
    rw.replace_op(op, [inner.x])
    return True


def _drop_identity_operand(op: ops.Elementwise, rw: Rewriter, index: int) -> bool:
    """Replace a binary op by its other operand when that keeps the exact type."""
    keep = op.operands[1 - index]
    if keep.type != op.result.type:
        return False  # the identity operand broadcasts or converts
    rw.replace_op(op, [keep])
    return True


@pattern(ops.Mul)
def mul_by_one(op: ops.Mul, rw: Rewriter) -> bool:
    """`tir.mul %x, dense<1>` → `%x` (when the type does not change)."""
    if len(op.operands) != 2:
        return False
    for index in (1, 0):
        if _splat(op.operands[index]) == 1 and op.operands[index].dtype != "bool":
            return _drop_identity_operand(op, rw, index)
    return False


@pattern(ops.Add)
def add_zero(op: ops.Add, rw: Rewriter) -> bool:
    """`tir.add %x, dense<-0.0>` → `%x`; for integers also `dense<0>` (x + 0.0 ≠ x at x = -0.0)."""
    if len(op.operands) != 2:
        return False
    for index in (1, 0):
        c = op.operands[index]
        if _is_negative_zero(c) or (
            op.result.dtype not in ("float16", "float32", "float64")
            and _splat(c) == 0
            and c.dtype != "bool"
        ):
            return _drop_identity_operand(op, rw, index)
    return False


@pattern(ops.Sub)
def sub_zero(op: ops.Sub, rw: Rewriter) -> bool:
    """`tir.sub %x, dense<0>` → `%x` (x - 0.0 is x even for -0.0)."""
    if _splat(op.y) == 0 and not _has_negative_zero(op.y):
        return _drop_identity_operand(op, rw, 1)
    return False


@pattern(ops.Div)
def div_by_one(op: ops.Div, rw: Rewriter) -> bool:
    """`tir.div %x, dense<1>` → `%x`."""
    if _splat(op.y) == 1:
        return _drop_identity_operand(op, rw, 1)
    return False


@pattern(ops.Elementwise)
def constant_operand_last(op: ops.Elementwise, rw: Rewriter) -> bool:
    """`tir.add dense<c>, %x` → `tir.add %x, dense<c>` for two-operand commutative ops."""
    if not commutes_exactly(op):
        return False
    a, b = op.operands
    if constant_array(a) is None or constant_array(b) is not None:
        return False
    op.set_operand(0, b)
    op.set_operand(1, a)
    rw.modified(op)
    return True


@pattern(ops.ScatterElements)
def scatter_nothing(op: ops.ScatterElements, rw: Rewriter) -> bool:
    """`tir.scatter_elements %x, %i, %u` with %i of static size 0 → `%x` (nothing is
    written; ONNX Runtime's optimizer mishandles the empty pieces such a scatter is built of)."""
    if op.indices.type.size != 0:
        return False
    rw.replace_op(op, [op.x])
    return True


PATTERNS: tuple[Pattern, ...] = (
    cast_to_same_dtype,
    cast_of_lossless_cast,
    transpose_identity,
    transpose_of_transpose,
    squeeze_or_unsqueeze_nothing,
    unsqueeze_of_reduction,
    neg_of_neg,
    mul_by_one,
    add_zero,
    sub_zero,
    div_by_one,
    constant_operand_last,
    scatter_nothing,
)


class Canonicalize(PatternPass):
    """Apply every canonicalization pattern to a fixed point."""

    NAME = "canonicalize"
    PATTERNS = PATTERNS
