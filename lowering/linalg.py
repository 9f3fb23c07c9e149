"""Lowering of linear algebra ops."""

from __future__ import annotations

import onnx_ir as oir

from ir import ops
from ir.core import Operation
from lowering.context import LoweringContext
from lowering.registry import lowers

V = oir.Value


@lowers(ops.MatMul)
def lower_matmul(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """ONNX MatMul is numpy's matmul; integer products wrap the same in a wider integer."""
    return ctx.kernel("MatMul", args, op.result.dtype)
