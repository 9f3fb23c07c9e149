"""fold-batch-norm: an inference batch norm with constant statistics folds into the
convolution before it.

When the convolution has a constant kernel (and bias) and nothing else reads it:
``a = scale / sqrt(var + eps)``, ``w' = w · a`` per output channel and
``b' = (b - mean) · a + bias``, computed in float64 and rounded once. The result differs from
the unfolded graph by float rounding only, as with every exporter that folds.
"""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.ops.tensor import constant_array
from passes.conv import derived_name, new_constant
from passes.rewriter import PatternPass, Rewriter, pattern


@pattern(ops.BatchNorm)
def fold_batch_norm(op: ops.BatchNorm, rw: Rewriter) -> bool:
    conv = op.x.owner
    if not isinstance(conv, ops.Conv) or op.x.num_uses != 1:
        return False
    statistics = (op.scale, op.bias, op.mean, op.var)
    params = [data for v in statistics if (data := constant_array(v)) is not None]
    kernel = constant_array(conv.w)
    conv_bias = [data for v in conv.bias if (data := constant_array(v)) is not None]
    if kernel is None or len(params) != 4 or len(conv_bias) != len(conv.bias):
        return False
    scale, shift, mean, var = (p.astype(np.float64) for p in params)
    dtype = kernel.dtype
    factor = scale / np.sqrt(var + np.float64(np.asarray(op.epsilon, dtype=dtype)))
    bias = conv_bias[0].astype(np.float64) if conv_bias else np.zeros_like(mean)
    w = new_constant(rw, (kernel.astype(np.float64) * factor[:, None, None, None]).astype(dtype),
                     derived_name(conv.w, "bn_folded"))  # fmt: skip
    b = new_constant(rw, ((bias - mean) * factor + shift).astype(dtype),
                     derived_name(op.bias, "bn_folded"))  # fmt: skip
    folded = rw.create(ops.Conv, [conv.x, w, b], conv.attributes)
    rw.replace_op(op, [folded])
    rw.erase_op(conv)
    return True


class FoldBatchNorm(PatternPass):
    """Fold inference batch norms with constant statistics into the convolution before them."""

    NAME = "fold-batch-norm"
    PATTERNS = (fold_batch_norm,)
