"""Interpreter implementations of constants and axis-moving ops."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.interpreter import implements

# -- tensors -----------------------------------------------------------------------------------


@implements(ops.Constant)
def _constant(op: ops.Constant, args: list[np.ndarray]) -> np.ndarray:
    return op.value.array


@implements(ops.DimShuffle)
def _dimshuffle(op: ops.DimShuffle, args: list[np.ndarray]) -> np.ndarray:
    (x,) = args
    order = op.order
    kept = [a for a in order if isinstance(a, int)]  # the others are "x"
    # Dropped axes have size 1: moving them last and reshaping them away loses nothing.
    dropped = [a for a in range(x.ndim) if a not in kept]
    x = np.transpose(x, kept + dropped).reshape(tuple(x.shape[a] for a in kept))
    return x.reshape(tuple(x.shape[kept.index(a)] if isinstance(a, int) else 1 for a in order))


@implements(ops.Transpose)
def _transpose(op: ops.Transpose, args: list[np.ndarray]) -> np.ndarray:
    return np.transpose(args[0], op.perm)


@implements(ops.Squeeze)
def _squeeze(op: ops.Squeeze, args: list[np.ndarray]) -> np.ndarray:
    return np.squeeze(args[0], axis=op.axes)


@implements(ops.Unsqueeze)
def _unsqueeze(op: ops.Unsqueeze, args: list[np.ndarray]) -> np.ndarray:
    return np.expand_dims(args[0], op.axes)
