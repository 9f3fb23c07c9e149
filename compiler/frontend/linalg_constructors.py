"""Matrix constructors of pytensor.tensor.linalg: BlockDiagonal (``block_diag``), as the core op
and as a Blockwise over any batch axes.

The result is assembled by concatenation (rows of zero blocks and the input, then the rows
stacked), so every entry is an exact copy of an input entry or zero.
"""

from __future__ import annotations

import numpy as np
from pytensor.graph.basic import Apply
from pytensor.tensor.linalg.constructors import BlockDiagonal

from compiler.frontend.extra_ops import dim_of, emit, i64
from compiler.frontend.graphs import REFUSED, batched
from compiler.frontend.importer import Importer, import_op
from ir import ops
from ir.core import Value


def _batch_shape(imp: Importer, x: Value) -> Value:
    """x's shape without its last two axes (int64 vector, empty for a matrix)."""
    return emit(imp, ops.Slice, emit(imp, ops.Shape, x), i64(imp, [0]), i64(imp, [x.rank - 2]),
                i64(imp, [1]), axes=[0])  # fmt: skip


def _as_vector(imp: Importer, scalar: Value) -> Value:
    return emit(imp, ops.Unsqueeze, scalar, axes=[0])


def _add_dims(imp: Importer, dims: list[Value]) -> Value:
    """The sum of int64 scalars (0 for none)."""
    total: Value | None = None
    for d in dims:
        total = d if total is None else emit(imp, ops.Add, total, d)
    return i64(imp, 0) if total is None else total


@import_op.register(BlockDiagonal)
@batched
def import_block_diagonal(op: BlockDiagonal, node: Apply, imp: Importer) -> list[Value]:
    """BlockDiagonal(n_inputs): scipy.linalg.block_diag of the inputs' last two axes (block i
    at rows sum(m_j, j < i), columns sum(n_j, j < i); zeros elsewhere), in the largest common
    dtype; batch axes (Blockwise pads every input to the same number) broadcast."""
    dtype = node.outputs[0].type.dtype
    blocks = [imp.cast(imp.value(v), dtype) for v in node.inputs]
    rank = blocks[0].rank
    zero = imp.constant(np.zeros((), dtype=dtype))
    # Broadcast batch shape: a zero scalar expanded by every input's batch shape in turn.
    batch_probe = zero
    for block in blocks:
        if rank > 2:
            batch_probe = emit(imp, ops.Expand, batch_probe, _batch_shape(imp, block))
    batch = (
        emit(imp, ops.Shape, batch_probe)
        if rank > 2
        else imp.constant(np.zeros((0,), dtype="int64"))
    )
    rows_of = [dim_of(imp, b, rank - 2) for b in blocks]
    cols_of = [dim_of(imp, b, rank - 1) for b in blocks]
    static_cols = [b.shape[rank - 1] for b in blocks]
    row_blocks: list[Value] = []
    for i, block in enumerate(blocks):
        m = _as_vector(imp, rows_of[i])
        parts: list[Value] = []
        for side in (range(i), range(i + 1, len(blocks))):
            if all(static_cols[j] == 0 for j in side):
                continue  # no columns on that side
            width = _as_vector(imp, _add_dims(imp, [cols_of[j] for j in side]))
            shape = emit(imp, ops.Concat, batch, m, width, axis=0)
            parts.append(emit(imp, ops.Expand, zero, shape))
        core = emit(imp, ops.Concat, batch, m, _as_vector(imp, cols_of[i]), axis=0)
        parts.insert(0 if i == 0 or all(static_cols[j] == 0 for j in range(i)) else 1,
                     emit(imp, ops.Expand, block, core))  # fmt: skip
        row_blocks.append(parts[0] if len(parts) == 1 else
                          emit(imp, ops.Concat, *parts, axis=rank - 1))  # fmt: skip
    return [emit(imp, ops.Concat, *row_blocks, axis=rank - 2)]


REFUSED.pop(BlockDiagonal, None)
