"""Small building blocks shared by the decompositions of linalg_qr.py and linalg_eigen.py: a
tir.loop carrying several values (optionally until a condition fails), column writes, index
vectors and identity matrices, all batch-transparent over leading axes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from compiler.frontend.extra_ops import dim_of, emit, i64
from compiler.frontend.importer import Importer
from ir import ops
from ir.core import Block, Value, Yield
from ir.types import TensorType

#: A loop step: (iteration number, carried values) -> (continue?, next carried values); the
#: condition is None for a loop that always runs its full trip count.
Step = Callable[[Value, list[Value]], tuple[Value | None, list[Value]]]


def scalar(imp: Importer, value: float, dtype: str) -> Value:
    """A 0-d constant of ``dtype``."""
    return imp.constant(np.asarray(value, dtype=dtype))


def indices(imp: Importer, n: Value) -> Value:
    """arange(n) (int64)."""
    return emit(imp, ops.Range, i64(imp, 0), n, i64(imp, 1))


def swap_last(imp: Importer, x: Value) -> Value:
    """x.mT: the last two axes swapped."""
    perm = [*range(x.rank - 2), x.rank - 1, x.rank - 2]
    return emit(imp, ops.Transpose, x, perm=perm)


def loop(
    imp: Importer, trip: Value, inits: Sequence[Value], step: Step, cond: Value | None = None
) -> list[Value]:
    """A tir.loop of at most ``trip`` iterations carrying ``inits``; ``step(i, carried)`` emits
    the body and returns (the condition to go on, or None for 'always'; the next carried
    values). ``cond`` is the initial condition (true when None)."""
    body = Block(
        args=[
            Value(TensorType("int64", ())),
            Value(TensorType("bool", ())),
            *(Value(v.type) for v in inits),
        ]
    )
    index, keep_going, *carried = body.args
    with imp.building(body):
        go_on, nxt = step(index, list(carried))
        body.append(Yield([keep_going if go_on is None else go_on, *nxt]))
    start = imp.constant(np.asarray(True)) if cond is None else cond
    return list(imp.emit_op(ops.Loop, [trip, start, *inits], regions=[body]).results)


def counted_loop(
    imp: Importer,
    trip: Value,
    inits: Sequence[Value],
    step: Callable[[Value, list[Value]], list[Value]],
) -> list[Value]:
    """``loop`` of exactly ``trip`` iterations: ``step(i, carried)`` returns only the next
    carried values."""
    return loop(imp, trip, inits, lambda index, carried: (None, step(index, carried)))


def write(imp: Importer, x: Value, index: Value, update: Value, axis: int) -> Value:
    """x with ``update`` (x's shape but 1 along ``axis``) written at ``index`` along ``axis``
    (an exact copy: a scatter)."""
    where = emit(imp, ops.Expand, index, emit(imp, ops.Shape, update))
    return emit(imp, ops.ScatterElements, x, where, update, axis=axis, reduction="none",
                unique=True)  # fmt: skip


def column(imp: Importer, x: Value, j: Value) -> Value:
    """x[..., :, j] (``j`` an int64 scalar)."""
    return emit(imp, ops.Gather, x, j, axis=x.rank - 1)


def entry(imp: Importer, v: Value, j: Value) -> Value:
    """v[..., j:j+1] of a batch of vectors (keeps the axis, so it broadcasts against v)."""
    return emit(imp, ops.Gather, v, emit(imp, ops.Unsqueeze, j, axes=[0]), axis=v.rank - 1)


def batch_shape(imp: Importer, x: Value, core: int) -> Value:
    """x's shape without its last ``core`` axes (int64 vector, empty without batch axes)."""
    return emit(imp, ops.Slice, emit(imp, ops.Shape, x), i64(imp, [0]), i64(imp, [x.rank - core]),
                i64(imp, [1]), axes=[0])  # fmt: skip


def eye_like(imp: Importer, x: Value, rows: Value, cols: Value) -> Value:
    """The (rows, cols) identity in x's dtype, broadcast over x's batch axes."""
    r, c = indices(imp, rows), indices(imp, cols)
    eye = imp.cast(emit(imp, ops.Eq, emit(imp, ops.Unsqueeze, r, axes=[1]), c), x.dtype)
    shape = emit(imp, ops.Concat, batch_shape(imp, x, 2), emit(imp, ops.Unsqueeze, rows, axes=[0]),
                 emit(imp, ops.Unsqueeze, cols, axes=[0]), axis=0)  # fmt: skip
    return emit(imp, ops.Expand, eye, shape)


def triu(imp: Importer, x: Value, k: int = 0) -> Value:
    """numpy.triu(x, k) over the last two axes (exact: a Where)."""
    rows = indices(imp, dim_of(imp, x, x.rank - 2))
    cols = indices(imp, dim_of(imp, x, x.rank - 1))
    keep = emit(imp, ops.Ge, emit(imp, ops.Sub, cols, i64(imp, k)),
                emit(imp, ops.Unsqueeze, rows, axes=[1]))  # fmt: skip
    return emit(imp, ops.Where, keep, x, scalar(imp, 0.0, x.dtype))


def diagonal(imp: Importer, x: Value) -> Value:
    """x[..., i, i] for i < min(rows, cols) along a new last axis (gathered exactly)."""
    rank = x.rank
    k = emit(imp, ops.Minimum, dim_of(imp, x, rank - 2), dim_of(imp, x, rank - 1))
    idx = indices(imp, k)
    rows = emit(imp, ops.Gather, x, idx, axis=rank - 2)  # (..., k, cols)
    shape = emit(imp, ops.Concat, batch_shape(imp, x, 2), emit(imp, ops.Unsqueeze, k, axes=[0]),
                 i64(imp, [1]), axis=0)  # fmt: skip
    where = emit(imp, ops.Expand, emit(imp, ops.Unsqueeze, idx, axes=[1]), shape)
    picked = emit(imp, ops.GatherElements, rows, where, axis=rank - 1)
    return emit(imp, ops.Squeeze, picked, axes=[rank - 1])


__all__ = [
    "batch_shape",
    "column",
    "diagonal",
    "entry",
    "eye_like",
    "indices",
    "loop",
    "scalar",
    "swap_last",
    "triu",
    "write",
]
