"""Lowering of control flow: ``tir.if`` → ONNX If with a subgraph per region, ``tir.loop`` →
ONNX Loop with the body as a subgraph whose inputs are the body's arguments."""

from __future__ import annotations

import onnx_ir as oir

from ir import ops
from ir.ops.tensor import constant_array
from ir.types import TensorType
from lowering.context import LoweringContext
from lowering.registry import lowers

V = oir.Value


@lowers(ops.If)
def lower_if(op: ops.If, ctx: LoweringContext, args: list[V]) -> list[V]:
    then_branch = ctx.subgraph(op.regions[0], "then_branch")
    else_branch = ctx.subgraph(op.regions[1], "else_branch")
    return ctx.node(
        "If",
        args,
        {"then_branch": then_branch, "else_branch": else_branch},
        num_outputs=len(op.results),
    )


@lowers(ops.Loop)
def lower_loop(op: ops.Loop, ctx: LoweringContext, args: list[V]) -> list[V]:
    """ONNX Loop is ``tir.loop`` one to one (ONNX Runtime gives the body an int64 scalar
    iteration number and a bool scalar condition, as the IR). The initial condition is left
    out when it is a constant true that the body keeps true: ONNX's spec ignores the body's
    condition without it, so it may be left out only when that changes nothing."""
    assert isinstance(op, ops.Loop)
    trip, cond, *inits = args
    body = ctx.subgraph(op.body, "body")
    initial = constant_array(op.cond)
    keep_cond = not (initial is not None and bool(initial) and op.always_continues())
    outs = ctx.node(
        "Loop", [trip, cond if keep_cond else None, *inits], {"body": body},
        num_outputs=len(op.results),
    )  # fmt: skip
    k = op.num_carried
    for m, step in enumerate(op.body.yielded[1 + k :]):
        if not step.type.is_static and not op.runs_at_least_once():
            outs[k + m] = zero_trip_stacked_shape(ctx, outs[k + m], step.type)
    return outs


def zero_trip_stacked_shape(ctx: LoweringContext, stacked: V, per_step: TensorType) -> V:
    """ONNX Runtime's zero-trip stacked output: its per-step dims are those ORT's own shape
    inference found for the body's output, and 0 where it found none. The IR's are the
    per-step type's static dims, and 0 for every other dim (``tir.loop``). Where ORT knows a
    dim the IR does not, the dim is set to 0 when no iteration ran: shape * [1, m, ...] with
    m = min(iterations, 1) at the IR's non-static dims (a no-op reshape after any iteration).
    """
    shape = ctx.op("Shape", stacked)
    ran = ctx.op("Min", ctx.op("Shape", stacked, start=0, end=1), ctx.constant([1], "int64"))
    one = ctx.constant([1], "int64")
    factors = [one] + [one if isinstance(d, int) else ran for d in per_step.shape]
    target = ctx.op("Mul", shape, ctx.op("Concat", *factors, axis=0))
    # allowzero: a 0 in the target is a 0-sized dim, not "copy the input's dim".
    return ctx.op("Reshape", stacked, target, allowzero=1)
