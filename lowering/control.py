"""Lowering of control flow: ``tir.if`` → ONNX If with a subgraph per region."""

from __future__ import annotations

import onnx_ir as oir

from ir import ops
from ir.core import Operation
from lowering.context import LoweringContext
from lowering.registry import lowers

V = oir.Value


@lowers(ops.If)
def lower_if(op: Operation, ctx: LoweringContext, args: list[V]) -> list[V]:
    then_branch = ctx.subgraph(op.regions[0], "then_branch")
    else_branch = ctx.subgraph(op.regions[1], "else_branch")
    return ctx.node(
        "If",
        args,
        {"then_branch": then_branch, "else_branch": else_branch},
        num_outputs=len(op.results),
    )
