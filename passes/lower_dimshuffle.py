"""DimShuffle → Squeeze, Transpose, Unsqueeze (each only when needed), in that order."""

from __future__ import annotations

from ir import ops
from passes.rewriter import PatternPass, Rewriter, pattern


@pattern(ops.DimShuffle)
def lower_dimshuffle(op: ops.DimShuffle, rw: Rewriter) -> bool:
    """`tir.dimshuffle %x {order}` → `tir.unsqueeze (tir.transpose (tir.squeeze %x))`."""
    order = op.order
    kept = [a for a in order if a != "x"]
    dropped = [a for a in range(op.x.rank) if a not in kept]
    value = op.x
    if dropped:
        value = rw.create(ops.Squeeze, [value], {"axes": tuple(dropped)})
    # Axis numbers of the kept axes once the dropped ones are gone.
    renumber = {a: i for i, a in enumerate(sorted(kept))}
    perm = tuple(renumber[a] for a in kept)
    if perm != tuple(range(len(perm))):
        value = rw.create(ops.Transpose, [value], {"perm": perm})
    new_axes = tuple(i for i, a in enumerate(order) if a == "x")
    if new_axes:
        value = rw.create(ops.Unsqueeze, [value], {"axes": new_axes})
    rw.replace_op(op, [value])
    return True


class LowerDimShuffle(PatternPass):
    """Every `tir.dimshuffle` becomes the ONNX-shaped ops Squeeze/Transpose/Unsqueeze."""

    NAME = "lower-dimshuffle"
    PATTERNS = (lower_dimshuffle,)
