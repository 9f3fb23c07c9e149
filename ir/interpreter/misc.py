"""Interpreter implementations of the ops in ``ir.ops.misc`` (padding)."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.interpreter import InterpreterError, implements


@implements(ops.Pad)
def _pad(op: ops.Pad, args: list[np.ndarray]) -> np.ndarray:
    x, *value = args
    mode, pads = op.mode, op.pads
    widths = [(pads[i], pads[i + x.ndim]) for i in range(x.ndim)]
    for axis, (before, after) in enumerate(widths):
        size = x.shape[axis]
        # numpy pads these too (reflect periodically, edge with an error), tir.pad does not.
        if (before or after) and mode == "edge" and size == 0:
            raise InterpreterError(f"tir.pad: edge mode cannot pad the empty axis {axis}")
        if (before or after) and mode == "reflect" and max(before, after) >= size:
            raise InterpreterError(
                f"tir.pad: reflect pads ({before}, {after}) of axis {axis} reach its size {size}"
            )
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=value[0][()])
    return np.pad(x, widths, mode="edge" if mode == "edge" else "reflect")  # tir.pad's modes
