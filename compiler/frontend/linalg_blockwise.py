"""Blockwise forms (with batch axes) of ARange and AllocDiag, the core ops whose own rules are
not batch-transparent: the gradients of batched decompositions (Cholesky's pullback builds
its triangular masks and diagonals per matrix) make them.

- Blockwise(ARange) of an integer dtype: numpy.arange(start_b, stop_b, step_b) for each batch
  entry b, start_b + i * step_b in int64 (wrapped into the dtype as numpy's fill wraps). A
  Blockwise needs every entry to have the same length (PyTensor raises otherwise; ONNX cannot
  raise: ``assert_policy`` decides, as for Assert); the model uses the largest. Float dtypes are
  refused (numpy's fill rule start + i * ((start + step) - start) per entry is not reproduced).
- Blockwise(AllocDiag(offset)) of a vector core: each batch entry's vector v (..., k) on the
  ``offset`` diagonal of a zero (k + |offset|) square matrix (exact copies).
"""

from __future__ import annotations

import numpy as np
from pytensor.graph.basic import Apply
from pytensor.tensor.basic import AllocDiag, ARange
from pytensor.tensor.blockwise import Blockwise

from compiler.frontend.extra_ops import dim_of, emit, i64, unchecked
from compiler.frontend.graphs import BLOCKWISE_RULES
from compiler.frontend.importer import Importer, Unsupported
from ir import ops
from ir.core import Value


def import_blockwise_arange(op: ARange, node: Apply, imp: Importer) -> list[Value]:
    """Blockwise(ARange) with batch axes (see the module docstring)."""
    dtype = node.outputs[0].type.dtype
    if np.dtype(dtype).kind not in "iu" or any(
        np.dtype(v.type.dtype).kind not in "iub" for v in node.inputs
    ):
        raise Unsupported(
            f"Blockwise of ARange of dtype {dtype} with bounds of dtypes "
            f"{', '.join(v.type.dtype for v in node.inputs)}: only integer ranges are built per "
            "batch entry (numpy's float fill rule is not reproduced)"
        )
    assert isinstance(node.op, Blockwise)
    unchecked(imp, node, "that every batch entry's range has the same length")
    start, stop, step = (imp.cast(imp.value(v), "int64") for v in node.inputs)
    # length = max(0, ceil((stop - start) / step)), ceil by floor division of the negation.
    span = emit(imp, ops.Sub, start, stop)
    length = emit(imp, ops.Neg, emit(imp, ops.IntDiv, span, step))
    length = emit(imp, ops.Maximum, length, i64(imp, 0))
    rank = length.rank
    longest = emit(imp, ops.ReduceMax, length, axes=list(range(rank)), keepdims=False)
    counts = emit(imp, ops.Range, i64(imp, 0), longest, i64(imp, 1))
    first = emit(imp, ops.Unsqueeze, start, axes=[rank])
    stride = emit(imp, ops.Unsqueeze, step, axes=[rank])
    values = emit(imp, ops.Add, first, emit(imp, ops.Mul, counts, stride))
    # The batch shape is that of all three bounds (length has it).
    shape = emit(imp, ops.Concat, emit(imp, ops.Shape, length), i64(imp, [1]), axis=0)
    return [imp.cast(emit(imp, ops.Expand, values, shape), dtype)]


def import_blockwise_alloc_diag(op: AllocDiag, node: Apply, imp: Importer) -> list[Value]:
    """Blockwise(AllocDiag) with batch axes and a vector core (see the module docstring)."""
    assert isinstance(node.op, Blockwise)
    if node.inputs[0].type.ndim - node.op.batch_ndim(node) != 1:
        raise Unsupported(f"Blockwise of {op}: only a vector core input is built per batch entry")
    v = imp.value(node.inputs[0])
    last = v.rank - 1
    k = dim_of(imp, v, last)
    offset = op.offset
    n = emit(imp, ops.Add, k, i64(imp, abs(offset)))
    idx = emit(imp, ops.Range, i64(imp, 0), n, i64(imp, 1))
    rows = emit(imp, ops.Unsqueeze, idx, axes=[1])
    mask = emit(imp, ops.Eq, emit(imp, ops.Sub, idx, rows), i64(imp, offset))
    # A zero after the last entry keeps an empty vector gatherable (the mask is false there).
    batch = emit(imp, ops.Slice, emit(imp, ops.Shape, v), i64(imp, [0]), i64(imp, [last]),
                 i64(imp, [1]), axes=[0])  # fmt: skip
    pad = emit(imp, ops.Expand, imp.constant(np.zeros((1,), dtype=v.dtype)),
               emit(imp, ops.Concat, batch, i64(imp, [1]), axis=0))  # fmt: skip
    padded = emit(imp, ops.Concat, v, pad, axis=last)
    source = rows if offset >= 0 else idx  # the row (or column) index picks v's entry
    clamped = emit(imp, ops.Minimum, source, k)
    picked = emit(imp, ops.Gather, padded, clamped, axis=last)  # (..., n, 1) or (..., n)
    if offset < 0:
        picked = emit(imp, ops.Unsqueeze, picked, axes=[last])
    zero = imp.constant(np.zeros((), dtype=v.dtype))
    return [emit(imp, ops.Where, mask, picked, zero)]


BLOCKWISE_RULES[ARange] = import_blockwise_arange
BLOCKWISE_RULES[AllocDiag] = import_blockwise_alloc_diag
