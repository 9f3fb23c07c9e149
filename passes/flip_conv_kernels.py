"""flip-conv-kernels: true convolutions become the cross-correlations ONNX Conv computes.

``tir.conv {flip = true}`` reverses its kernel on both spatial axes first. A constant kernel is
reversed now; a kernel computed at run time through a ``tir.slice`` with step -1 on axes 2, 3.
"""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.core import Value
from ir.ops.tensor import constant_array
from passes.conv import derived_name, new_constant
from passes.rewriter import PatternPass, Rewriter, pattern

_INT64_MIN = np.iinfo(np.int64).min


def _reversed_spatially(rw: Rewriter, w: Value) -> Value:
    """``w[:, :, ::-1, ::-1]``: folded for a constant, a ``tir.slice`` otherwise."""
    data = constant_array(w)
    if data is not None:
        return new_constant(rw, np.ascontiguousarray(data[:, :, ::-1, ::-1]),
                            derived_name(w, "flipped"))  # fmt: skip
    starts, stops, steps = (
        new_constant(rw, np.array(v, dtype=np.int64))
        for v in ([-1, -1], [_INT64_MIN, _INT64_MIN], [-1, -1])
    )
    return rw.create(ops.Slice, [w, starts, stops, steps], {"axes": [2, 3]})


@pattern(ops.Conv)
def flip_conv_kernel(op: ops.Conv, rw: Rewriter) -> bool:
    """`tir.conv %x, %w {flip = true}` → `tir.conv %x, reverse(%w) {flip = false}`."""
    if not op.flip:
        return False
    w = _reversed_spatially(rw, op.w)
    attrs = {**op.attributes, "flip": False}
    rw.replace_op(op, [rw.create(ops.Conv, [op.x, w, *op.bias], attrs)])
    return True


class FlipConvKernels(PatternPass):
    """Turn true convolutions into cross-correlations (kernel reversed spatially)."""

    NAME = "flip-conv-kernels"
    PATTERNS = (flip_conv_kernel,)
