"""Interpreter implementations of indexing ops."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.core import Operation
from ir.interpreter import implements


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
