"""What every elementwise lowering shares: the compute dtype of a homogeneous op."""

from __future__ import annotations

import onnx_ir as oir

from ir import dtypes, ops
from ir.core import Operation
from lowering.context import LoweringUnsupported

V = oir.Value
FLOATS = dtypes.FLOAT_DTYPES


def compute_dtype(op: Operation) -> str:
    """The dtype ``op`` computes in; refuses ops whose operands still have mixed dtypes."""
    assert isinstance(op, ops.Elementwise)
    if not op.is_homogeneous():
        raise LoweringUnsupported(
            f"{op.NAME} has operands of mixed dtypes; run the unify-casts pass before lowering"
        )
    return op.compute_dtype()


#: The name the lowering modules have always used.
_dtype = compute_dtype
