"""Interpreter implementation of tir.reduce_sum_square."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ir import ops
from ir.interpreter import implements


@implements(ops.ReduceSumSquare)
def _reduce_sum_square(op: ops.ReduceSumSquare, args: list[np.ndarray]) -> np.ndarray:
    (x,) = args
    axes = tuple(op.reduced_axes())
    with np.errstate(over="ignore"):  # a square past the dtype's range is inf, as in ONNX
        squares: np.ndarray = np.multiply(x, x)
    if not axes:
        return squares
    total: Callable[..., np.ndarray] = np.sum  # as reduction.py's sums (numpy's overloads)
    return total(squares, axis=axes, keepdims=op.keepdims, dtype=x.dtype)
