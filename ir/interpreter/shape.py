"""Interpreter implementations of shape, joining and constant-pattern ops."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.interpreter import InterpreterError, implements


@implements(ops.Shape)
def _shape(op: ops.Shape, args: list[np.ndarray]) -> np.ndarray:
    return np.array(args[0].shape, dtype=np.int64)


@implements(ops.Reshape)
def _reshape(op: ops.Reshape, args: list[np.ndarray]) -> np.ndarray:
    x, shape = args
    return x.reshape(tuple(int(d) for d in shape))


@implements(ops.Expand)
def _expand(op: ops.Expand, args: list[np.ndarray]) -> np.ndarray:
    x, shape = args
    target = np.broadcast_shapes(x.shape, tuple(int(d) for d in shape))
    return np.broadcast_to(x, target).copy()


@implements(ops.Concat)
def _concat(op: ops.Concat, args: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(args, axis=op.axis)


@implements(ops.Split)
def _split(op: ops.Split, args: list[np.ndarray]) -> list[np.ndarray]:
    x, sizes = args
    axis = op.axis
    if int(sizes.sum()) != x.shape[axis] or (sizes < 0).any():
        raise InterpreterError(f"tir.split: sizes {sizes.tolist()} do not split {x.shape}")
    return np.split(x, np.cumsum(sizes)[:-1], axis=axis)


@implements(ops.Range)
def _range(op: ops.Range, args: list[np.ndarray]) -> np.ndarray:
    # As PyTensor: numpy computes the length from the Python values of the bounds (numpy
    # scalars would make it compute in their dtype).
    start, stop, step = (a.item() for a in args)
    return np.arange(start, stop, step, dtype=args[0].dtype)


@implements(ops.Eye)
def _eye(op: ops.Eye, args: list[np.ndarray]) -> np.ndarray:
    n, m = (int(a) for a in args)
    return np.eye(n, m, k=op.k, dtype=op.dtype)
