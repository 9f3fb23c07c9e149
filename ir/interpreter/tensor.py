"""Interpreter implementations of constants and axis-moving ops."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.core import Operation
from ir.interpreter import implements

# -- tensors -----------------------------------------------------------------------------------


@implements(ops.Constant)
def _constant(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return op.attributes["value"].array


@implements(ops.DimShuffle)
def _dimshuffle(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    (x,) = args
    order = op.attributes["order"]
    kept = [a for a in order if a != "x"]
    # Dropped axes have size 1: moving them last and reshaping them away loses nothing.
    dropped = [a for a in range(x.ndim) if a not in kept]
    x = np.transpose(x, kept + dropped).reshape(tuple(x.shape[a] for a in kept))
    return x.reshape(tuple(1 if a == "x" else x.shape[kept.index(a)] for a in order))


@implements(ops.Transpose)
def _transpose(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.transpose(args[0], op.attributes["perm"])


@implements(ops.Squeeze)
def _squeeze(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.squeeze(args[0], axis=op.attributes["axes"])


@implements(ops.Unsqueeze)
def _unsqueeze(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.expand_dims(args[0], op.attributes["axes"])
