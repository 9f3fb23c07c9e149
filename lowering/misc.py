"""Lowering of the ops in ``ir.ops.misc``: tir.pad is ONNX Pad."""

from __future__ import annotations

import onnx_ir as oir

from ir import ops
from lowering.context import WIDER, LoweringContext, LoweringUnsupported, supports
from lowering.registry import lowers

V = oir.Value


@lowers(ops.Pad)
def lower_pad(op: ops.Pad, ctx: LoweringContext, args: list[V]) -> V:
    """ONNX Pad has numpy's constant, edge and reflect modes and tir.pad's order of pads. ORT
    refuses at run time what tir.pad leaves undefined (edge on an empty axis, reflect pads
    reaching the axis size). Pad only moves elements, so computing in a wider dtype is exact
    (ORT has no int16/uint16 Pad)."""
    x, *value = args
    mode = op.mode
    dtype = op.result.dtype
    key = "Pad[constant,value]" if mode == "constant" else f"Pad[{mode}]"
    wide = (
        dtype if supports(key, dtype) else next((w for w in WIDER[dtype] if supports(key, w)), None)
    )
    if wide is None:
        raise LoweringUnsupported(f"ONNX Runtime has no {mode} Pad kernel for {dtype}")
    if wide != dtype:
        x, value = ctx.cast(x, wide), [ctx.cast(v, wide) for v in value]
    pads = ctx.constant(list(op.pads), "int64")
    out = ctx.op("Pad", x, pads, *value, mode=mode)
    return out if wide == dtype else ctx.cast(out, dtype)
