"""Interpreter implementation of tir.reduce_sum_square."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.interpreter import implements


@implements(ops.ReduceSumSquare)
def _reduce_sum_square(op: ops.ReduceSumSquare, args: list[np.ndarray]) -> np.ndarray:
    (x,) = args
    axes = tuple(op.reduced_axes())
    with np.errstate(over="ignore"):  # a square past the dtype's range is inf, as in ONNX
        squares = x * x
    if not axes:
        return squares
    return np.sum(squares, axis=axes, keepdims=op.keepdims, dtype=x.dtype)
