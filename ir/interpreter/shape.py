"""Interpreter implementations of shape, joining, slicing and gathering ops."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.core import Operation
from ir.interpreter import InterpreterError, implements


@implements(ops.Shape)
def _shape(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.array(args[0].shape, dtype=np.int64)


@implements(ops.Reshape)
def _reshape(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x, shape = args
    return x.reshape(tuple(int(d) for d in shape))


@implements(ops.Expand)
def _expand(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x, shape = args
    target = np.broadcast_shapes(x.shape, tuple(int(d) for d in shape))
    return np.broadcast_to(x, target).copy()


@implements(ops.Concat)
def _concat(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(args, axis=op.attributes["axis"])


@implements(ops.Split)
def _split(op: Operation, args: list[np.ndarray]) -> list[np.ndarray]:
    x, sizes = args
    axis = op.attributes["axis"]
    if int(sizes.sum()) != x.shape[axis] or (sizes < 0).any():
        raise InterpreterError(f"tir.split: sizes {sizes.tolist()} do not split {x.shape}")
    return np.split(x, np.cumsum(sizes)[:-1], axis=axis)


@implements(ops.Range)
def _range(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    start, stop, step = (a[()] for a in args)
    return np.arange(start, stop, step, dtype=args[0].dtype)


@implements(ops.Slice)
def _slice(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x, starts, stops, steps = args
    index = [slice(None)] * x.ndim
    for axis, start, stop, step in zip(op.attributes["axes"], starts, stops, steps, strict=True):
        index[axis] = slice(int(start), int(stop), int(step))
    return x[tuple(index)]


@implements(ops.Gather)
def _gather(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x, indices = args
    return np.take(x, indices, axis=op.attributes["axis"])


@implements(ops.GatherND)
def _gather_nd(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x, indices = args
    k = indices.shape[-1]
    return (
        x[tuple(np.moveaxis(indices, -1, 0))]
        if k
        else np.broadcast_to(x, indices.shape[:-1] + x.shape).copy()
    )


@implements(ops.ScatterND)
def _scatter_nd(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x, indices, updates = args
    out = x.copy()
    where = tuple(np.moveaxis(indices, -1, 0))
    if op.attributes["reduction"] == "add":
        np.add.at(out, where, updates)
    else:
        out[where] = updates  # numpy: the last of repeated indices wins
    return out


@implements(ops.GatherElements)
def _gather_elements(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x, indices = args
    return np.take_along_axis(x, indices, axis=op.attributes["axis"])


@implements(ops.Eye)
def _eye(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    n, m = (int(a) for a in args)
    return np.eye(n, m, k=op.attributes["k"], dtype=op.attributes["dtype"])
