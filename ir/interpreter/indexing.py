"""Interpreter implementations of indexing ops."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.interpreter import InterpreterError, implements


@implements(ops.Slice)
def _slice(op: ops.Slice, args: list[np.ndarray]) -> np.ndarray:
    x, starts, stops, steps = args
    index = [slice(None)] * x.ndim
    for axis, start, stop, step in zip(op.axes, starts, stops, steps, strict=True):
        index[axis] = slice(int(start), int(stop), int(step))
    return x[tuple(index)]


@implements(ops.Gather)
def _gather(op: ops.Gather, args: list[np.ndarray]) -> np.ndarray:
    x, indices = args
    return np.take(x, indices, axis=op.axis)


@implements(ops.GatherND)
def _gather_nd(op: ops.GatherND, args: list[np.ndarray]) -> np.ndarray:
    x, indices = args
    k = indices.shape[-1]
    return (
        x[tuple(np.moveaxis(indices, -1, 0))]
        if k
        else np.broadcast_to(x, indices.shape[:-1] + x.shape).copy()
    )


def _scatter(out: np.ndarray, where: tuple[np.ndarray, ...], updates: np.ndarray,
             reduction: str, *, unique: bool = False) -> np.ndarray:  # fmt: skip
    """Write ``updates`` into ``out`` (a copy) at the coordinate arrays ``where`` (one per axis
    of out, broadcast with ``updates``), in C order: the last write to a target wins."""
    shape = np.broadcast_shapes(updates.shape, *(w.shape for w in where))
    where = tuple(np.broadcast_to(w, shape).reshape(-1) for w in where)
    updates = np.broadcast_to(updates, shape).reshape(-1)
    flat = (
        np.ravel_multi_index(where, out.shape, mode="raise")
        if out.ndim
        else np.zeros(updates.shape, dtype=np.intp)
    )
    view = out.reshape(-1)
    if unique and len(np.unique(flat)) != len(flat):
        raise InterpreterError("tir.scatter_elements: unique = true, but a target repeats")
    if reduction == "add":
        np.add.at(view, flat, updates)
    elif reduction == "max":
        np.maximum.at(view, flat, updates)
    else:
        # The last of repeated targets wins: keep each target's last occurrence only.
        _, last = np.unique(flat[::-1], return_index=True)
        keep = len(flat) - 1 - last
        view[flat[keep]] = updates[keep]
    return view.reshape(out.shape)


def _normalized(indices: np.ndarray, dim: int) -> np.ndarray:
    if ((indices < -dim) | (indices >= dim)).any():
        raise InterpreterError(f"index out of bounds for a dim of size {dim}")
    return np.where(indices < 0, indices + dim, indices)


@implements(ops.ScatterND)
def _scatter_nd(op: ops.ScatterND, args: list[np.ndarray]) -> np.ndarray:
    x, indices, updates = args
    k = indices.shape[-1]
    where = tuple(_normalized(indices[..., i], x.shape[i]) for i in range(k))
    # Each index tuple addresses a slice x[t] of shape x.shape[k:]: one coordinate array per
    # trailing axis, broadcast against the tuples.
    batch = indices.ndim - 1
    trailing = tuple(
        np.arange(d).reshape((1,) * (batch + j) + (d,) + (1,) * (x.ndim - k - j - 1))
        for j, d in enumerate(x.shape[k:])
    )
    lead = tuple(w.reshape(w.shape + (1,) * (x.ndim - k)) for w in where)
    return _scatter(x.copy(), lead + trailing, updates, op.reduction)


@implements(ops.ScatterElements)
def _scatter_elements(op: ops.ScatterElements, args: list[np.ndarray]) -> np.ndarray:
    x, indices, updates = args
    axis = op.axis % x.ndim
    if updates.shape != indices.shape:
        raise InterpreterError("tir.scatter_elements: updates and indices differ in shape")
    where: list[np.ndarray] = list(np.indices(indices.shape, sparse=True))
    where[axis] = _normalized(indices, x.shape[axis])
    return _scatter(x.copy(), tuple(where), updates, op.reduction, unique=op.unique)


@implements(ops.NonZero)
def _nonzero(op: ops.NonZero, args: list[np.ndarray]) -> np.ndarray:
    (x,) = args
    return np.array(np.nonzero(x), dtype=np.int64).reshape(x.ndim, -1)


@implements(ops.GatherElements)
def _gather_elements(op: ops.GatherElements, args: list[np.ndarray]) -> np.ndarray:
    x, indices = args
    return np.take_along_axis(x, indices, axis=op.axis)
