"""fold-pad-into-conv: a zero padding of a convolution's spatial axes joins the conv's pads.

``tir.conv`` with explicit pads reading a ``tir.pad`` that fills with +0 on axes 2 and 3 only
reads the pad's input instead, the widths added to its own (ONNX Conv pads with zeros, whatever
the strides and dilations). Readers of the pad other than convolutions keep it.
"""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.core import Value
from ir.ops.tensor import constant_array
from passes.rewriter import PatternPass, Rewriter, pattern


def _is_positive_zero(value: Value) -> bool:
    """A constant +0 (a -0.0 fill could change the sign of a zero result)."""
    data = constant_array(value)
    return data is not None and data.size == 1 and data == 0 and not np.signbit(data).any()


@pattern(ops.Conv)
def fold_pad_into_conv(op: ops.Conv, rw: Rewriter) -> bool:
    """`tir.conv (tir.pad %x, 0 {pads = [0, 0, t, l, 0, 0, b, r]}), %w {pads = p}` →
    `tir.conv %x, %w {pads = p + [t, l, b, r]}` (explicit padding only)."""
    pad = op.x.owner
    if not isinstance(pad, ops.Pad) or pad.mode != "constant" or op.auto_pad != "explicit":
        return False
    before, after = pad.pads[:4], pad.pads[4:]
    if any(before[:2]) or any(after[:2]) or not _is_positive_zero(pad.value[0]):
        return False
    pads = [p + q for p, q in zip(op.pads, [*before[2:], *after[2:]], strict=True)]
    folded = rw.create(ops.Conv, [pad.x, op.w, *op.bias], {**op.attributes, "pads": pads})
    rw.replace_op(op, [folded])
    return True


class FoldPadIntoConv(PatternPass):
    """Merge zero paddings of convolution inputs into the convolutions' explicit pads."""

    NAME = "fold-pad-into-conv"
    PATTERNS = (fold_pad_into_conv,)
