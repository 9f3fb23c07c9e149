"""x · sigmoid(x) → silu(x).

The sigmoid is fused only when the product is its sole user: with other users it would be
computed twice, since opset 18 has no SiLU and the emitter writes Sigmoid + Mul anyway.
"""

from __future__ import annotations

from ir import ops
from ir.core import Value
from passes.rewriter import PatternPass, Rewriter, pattern


def _sigmoid_of(value: Value, x: Value) -> bool:
    owner = value.owner
    return isinstance(owner, ops.Sigmoid) and owner.x is x


@pattern(ops.Mul)
def fuse_silu(op: ops.Mul, rw: Rewriter) -> bool:
    """`tir.mul %x, (tir.sigmoid %x)` (either order) → `tir.silu %x`."""
    if len(op.operands) < 2 or not op.is_homogeneous():
        return False
    a, b = op.operands[0], op.operands[1]
    # Only the first two factors: ((x·s)·y) equals (silu(x)·y) exactly, other groupings do not.
    if _sigmoid_of(b, a):
        x, sigmoid = a, b
    elif _sigmoid_of(a, b):
        x, sigmoid = b, a
    else:
        return False
    if sigmoid.num_uses != 1:
        return rw.fail("the sigmoid has other users (it would be computed twice)")
    rest = op.operands[2:]
    if x.dtype != op.result.dtype or (not rest and x.type != op.result.type):
        return rw.fail("the product broadcasts x or changes its dtype")
    silu = rw.create(ops.Silu, [x])
    rw.replace_op(op, [rw.create(ops.Mul, [silu, *rest]) if rest else silu])
    return True


class FuseSiLU(PatternPass):
    """Fuse `x * sigmoid(x)` into `tir.silu`."""

    NAME = "fuse-silu"
    PATTERNS = (fuse_silu,)
