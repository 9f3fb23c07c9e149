"""Blocked (right-looking) Cholesky factorization and lower triangular solve, decomposed at
import time into tir ops: a `tir.loop` over panels of ``nb`` columns (rows), each step
``nb`` straight-line column (row) steps on the panel and one tir.matmul update of the trailing
matrix (right-hand sides). A static size up to ``nb`` is one straight-line panel, no loop.

ONNX Runtime's cost is per node executed (a loop iteration costs its body's nodes), so the
column-per-iteration loops of slinalg.py spend about 30 nodes per column on whole-matrix
gathers and scatters. Here a column costs about 12 small nodes on the panel only, and the
O(n^3) work is nb-wide MatMuls. A symbolic (or non-multiple) size is padded to a multiple of
``nb`` with an identity block (its factor is itself, exactly, and nothing flows from it back
into the matrix's own factor), then sliced back.

Arithmetic: the right-looking order (LAPACK's dpotrf/dtrsm blocked order, with the outer-
product form inside the panel): each column is scaled by the reciprocal of its pivot's square
root (dpotf2), each row of a triangular solve divided by its diagonal entry (dtrsm). The
results differ from the unblocked column loops only by the order of the sums (normwise within
a few ulps times the condition number, measured in the tests and BENCHMARKS.md).
"""

from __future__ import annotations

import numpy as np

from compiler.frontend.extra_ops import dim_of, emit, i64
from compiler.frontend.importer import Importer
from ir import ops
from ir.core import Block, Value, Yield
from ir.types import UNKNOWN, TensorType

_END = np.iinfo(np.int64).max


class _Ops:
    """Short forms of the tir ops the panels use, on values of rank ``rank``."""

    def __init__(self, imp: Importer, rank: int, dtype: str) -> None:
        self.imp, self.rank, self.dtype = imp, rank, dtype
        self.row, self.col = rank - 2, rank - 1

    def c(self, value: float) -> Value:
        return self.imp.constant(np.asarray(value, dtype=self.dtype))

    def op(self, cls: type, *operands: Value, **attrs: object) -> Value:
        return emit(self.imp, cls, *operands, **attrs)

    def cut(self, x: Value, rows: tuple[int | Value, int | Value] | None = None,
            cols: tuple[int | Value, int | Value] | None = None) -> Value:  # fmt: skip
        """x[..., r0:r1, c0:c1] (bounds int or int64 scalars; None: all)."""
        starts, stops, axes = [], [], []
        for bounds, axis in ((rows, self.row), (cols, self.col)):
            if bounds is None:
                continue
            for where, bound in ((starts, bounds[0]), (stops, bounds[1])):
                where.append(bound if isinstance(bound, Value) else i64(self.imp, bound))
            axes.append(axis)
        vec = [self.op(ops.Unsqueeze, v, axes=[0]) if v.rank == 0 else v for v in starts]
        end = [self.op(ops.Unsqueeze, v, axes=[0]) if v.rank == 0 else v for v in stops]
        start_v = vec[0] if len(vec) == 1 else self.op(ops.Concat, *vec, axis=0)
        stop_v = end[0] if len(end) == 1 else self.op(ops.Concat, *end, axis=0)
        return self.op(ops.Slice, x, start_v, stop_v, i64(self.imp, [1] * len(axes)), axes=axes)

    def t(self, x: Value) -> Value:
        return self.op(ops.Transpose, x, perm=[*range(self.rank - 2), self.col, self.row])

    def batch(self, x: Value) -> Value:
        """x's shape without the last two axes."""
        return self.op(ops.Slice, self.op(ops.Shape, x), i64(self.imp, [0]),
                       i64(self.imp, [self.rank - 2]), i64(self.imp, [1]), axes=[0])  # fmt: skip

    def zeros(self, batch: Value, rows: Value, cols: Value) -> Value:
        """Zeros of shape (*batch, rows, cols) (rows, cols int64 scalars)."""
        shape = self.op(ops.Concat, batch, self.op(ops.Unsqueeze, rows, axes=[0]),
                        self.op(ops.Unsqueeze, cols, axes=[0]), axis=0)  # fmt: skip
        return self.op(ops.Expand, self.c(0.0), shape)


def _padded_size(imp: Importer, n: Value, nb: int) -> Value:
    """n rounded up to a multiple of nb (at least nb)."""
    blocks = emit(imp, ops.IntDiv, emit(imp, ops.Add, n, i64(imp, nb - 1)), i64(imp, nb))
    blocks = emit(imp, ops.Maximum, blocks, i64(imp, 1))
    return emit(imp, ops.Mul, blocks, i64(imp, nb))


def _pad_identity(o: _Ops, a: Value, n: Value, size: Value) -> Value:
    """[[a, 0], [0, I]] of order ``size`` (a is n x n)."""
    extra = o.op(ops.Sub, size, n)
    batch = o.batch(a)
    top = o.op(ops.Concat, a, o.zeros(batch, n, extra), axis=o.col)
    idx = o.op(ops.Range, i64(o.imp, 0), extra, i64(o.imp, 1))
    eye = o.imp.cast(o.op(ops.Eq, o.op(ops.Unsqueeze, idx, axes=[1]), idx), o.dtype)
    eye = o.op(ops.Expand, eye, o.op(ops.Concat, batch, i64(o.imp, [1, 1]), axis=0))
    bottom = o.op(ops.Concat, o.zeros(batch, extra, n), eye, axis=o.col)
    return o.op(ops.Concat, top, bottom, axis=o.row)


def _loop(
    imp: Importer, trip: Value, init: Value, step: object, carried_type: TensorType
) -> tuple[Value, list[Value]]:
    """A tir.loop carrying one value of ``carried_type`` (rows/cols may change: '?');
    ``step(i, carried)`` returns (next carried, [per-step outputs]). Returns the final carried
    value and the stacked per-step outputs."""
    body = Block(args=[Value(TensorType("int64", ())), Value(TensorType("bool", ())),
                       Value(carried_type)])  # fmt: skip
    index, cond, carried = body.args
    with imp.building(body):
        nxt, scanned = step(index, carried)  # type: ignore[operator]
        body.append(Yield([cond, nxt, *scanned]))
    true = imp.constant(np.asarray(True))
    loop = imp.emit_op(ops.Loop, [trip, true, init], regions=[body])
    return loop.results[0], list(loop.results[1:])


def _shrinking(x: Value) -> TensorType:
    """x's type with its last two dims unknown (a trailing block that shrinks per step)."""
    return TensorType(x.dtype, (*x.shape[:-2], UNKNOWN, UNKNOWN))


def _unstack(o: _Ops, stacked: Value, rows: Value, cols: Value, along_rows: bool) -> Value:
    """Per-step blocks stacked on a new leading axis, (steps, ..., r, c), joined in step order
    along the columns (..., r, steps * c) or the rows (..., steps * r, c)."""
    rank = stacked.rank  # o.rank + 1
    batch_axes = list(range(1, rank - 2))
    perm = [*batch_axes, 0, rank - 2, rank - 1] if along_rows else [*batch_axes, rank - 2, 0,
                                                                         rank - 1]  # fmt: skip
    moved = o.op(ops.Transpose, stacked, perm=perm)
    batch = o.op(ops.Slice, o.op(ops.Shape, moved), i64(o.imp, [0]),
                 i64(o.imp, [len(batch_axes)]), i64(o.imp, [1]), axes=[0])  # fmt: skip
    shape = o.op(ops.Concat, batch, o.op(ops.Unsqueeze, rows, axes=[0]),
                 o.op(ops.Unsqueeze, cols, axes=[0]), axis=0)  # fmt: skip
    return o.op(ops.Reshape, moved, shape)


# -- Cholesky ------------------------------------------------------------------------------------


def _cholesky_panel(o: _Ops, panel: Value, nb: int) -> tuple[Value, Value]:
    """The nb columns of L of a panel (..., m, nb) whose top nb x nb block is a symmetric
    diagonal block (m >= nb), right-looking: (L's panel (..., m, nb), zeros above the
    diagonal; the pivots (..., 1, nb))."""
    columns, pivots = [], []
    rest = panel
    for c in range(nb):
        pivot = o.cut(rest, (0, 1), (0, 1))
        pivots.append(pivot)
        diag = o.op(ops.Sqrt, pivot)
        below = o.op(ops.Mul, o.cut(rest, (1, _END), (0, 1)), o.op(ops.Div, o.c(1.0), diag))
        column = o.op(ops.Concat, diag, below, axis=o.row)
        if c:
            pads = [0] * (2 * o.rank)
            pads[o.row] = c
            column = o.op(ops.Pad, column, o.c(0.0), mode="constant", pads=pads)
        columns.append(column)
        if c + 1 < nb:
            top = o.t(o.cut(below, (0, nb - c - 1)))
            rest = o.op(ops.Sub, o.cut(rest, (1, _END), (1, _END)), o.op(ops.Mul, below, top))
    return o.op(ops.Concat, *columns, axis=o.col), o.op(ops.Concat, *pivots, axis=o.col)


def cholesky_blocked(imp: Importer, a: Value, nb: int) -> tuple[Value, Value]:
    """(L, failed) for the symmetric matrices whose lower triangle ``a`` (..., n, n) holds:
    L lower triangular (zeros above) with L @ L.mT == a where the factorization succeeds, and
    ``failed`` (..., 1, 1) true where a pivot is <= 0 (scipy's potrf stops there; a NaN pivot
    is not a failure, as OpenBLAS goes on)."""
    o = _Ops(imp, a.rank, a.dtype)
    n = dim_of(imp, a, o.col)
    idx = o.op(ops.Range, i64(imp, 0), n, i64(imp, 1))
    lower = o.op(ops.Ge, o.op(ops.Unsqueeze, idx, axes=[1]), idx)
    sym = o.op(ops.Where, lower, a, o.t(a))  # only the lower triangle is read
    static = a.shape[-1]
    if isinstance(static, int) and static <= nb:
        factor, pivots = _cholesky_panel(o, sym, static) if static else (sym, sym)
        return factor, _any_nonpositive(o, pivots)
    size = _padded_size(imp, n, nb)
    padded = _pad_identity(o, sym, n, size)
    trip = o.op(ops.IntDiv, size, i64(imp, nb))

    def step(_: Value, trailing: Value) -> tuple[Value, list[Value]]:
        factor, pivots = _cholesky_panel(o, o.cut(trailing, None, (0, nb)), nb)
        below = o.cut(factor, (nb, _END))
        nxt = o.op(ops.Sub, o.cut(trailing, (nb, _END), (nb, _END)),
                   o.op(ops.MatMul, below, o.t(below)))  # fmt: skip
        rows = dim_of(imp, trailing, o.row)
        block = o.op(ops.Concat, o.zeros(o.batch(trailing), o.op(ops.Sub, size, rows),
                                         i64(imp, nb)), factor, axis=o.row)  # fmt: skip
        return nxt, [block, pivots]

    _, (blocks, pivots) = _loop(imp, trip, padded, step, _shrinking(padded))
    factor = _unstack(o, blocks, size, size, along_rows=False)
    factor = o.cut(factor, (0, n), (0, n))
    return factor, _any_nonpositive(o, pivots, stacked=True)


def _any_nonpositive(o: _Ops, pivots: Value, stacked: bool = False) -> Value:
    """True (..., 1, 1) where a pivot is <= 0 (pivots (..., 1, k), or stacked per step)."""
    bad = o.op(ops.Le, pivots, o.c(0.0))
    if stacked:
        bad = o.op(ops.ReduceAny, bad, axes=[0], keepdims=False)
    return o.op(ops.ReduceAny, bad, axes=[o.row, o.col], keepdims=True)


# -- lower triangular solve ----------------------------------------------------------------------


def _solve_block(o: _Ops, tri: Value, rhs: Value, nb: int, unit_diagonal: bool) -> Value:
    """x with tri @ x == rhs for a lower triangular nb x nb ``tri`` and rhs (..., nb, k),
    right-looking: row c is divided by tri[c, c], then taken off the rows below."""
    rows = []
    rest = rhs
    for c in range(nb):
        x = o.cut(rest, (0, 1))
        if not unit_diagonal:
            x = o.op(ops.Div, x, o.cut(tri, (c, c + 1), (c, c + 1)))
        rows.append(x)
        if c + 1 < nb:
            below = o.cut(tri, (c + 1, nb), (c, c + 1))
            rest = o.op(ops.Sub, o.cut(rest, (1, _END)), o.op(ops.Mul, below, x))
    return rows[0] if nb == 1 else o.op(ops.Concat, *rows, axis=o.row)


def solve_lower_blocked(imp: Importer, a: Value, b: Value, nb: int, unit_diagonal: bool) -> Value:
    """x with a @ x == b for lower triangular ``a`` (..., n, n) (only its lower triangle read,
    its diagonal not with ``unit_diagonal``) and b (..., n, k), batch axes broadcast (b is
    expanded to the common batch shape first)."""
    if a.rank < b.rank:  # leading 1s (no copy): every slice below counts axes from the end
        a = emit(imp, ops.Unsqueeze, a, axes=list(range(b.rank - a.rank)))
    o = _Ops(imp, max(a.rank, b.rank), a.dtype)
    n = dim_of(imp, a, a.rank - 1)
    k = dim_of(imp, b, b.rank - 1)
    # (..., n, 1) for a's batch axes: a sum, not column 0, which an empty a (n = 0) lacks
    first = o.op(ops.ReduceSum, a, axes=[a.rank - 1], keepdims=True)
    b = o.op(ops.Expand, b, o.op(ops.Shape, o.op(ops.Expand, first, o.op(ops.Shape, b))))
    static = a.shape[-1]
    if isinstance(static, int) and static <= nb:
        return _solve_block(o, a, b, static, unit_diagonal) if static else b
    size = _padded_size(imp, n, nb)
    padded = _pad_identity(o, a, n, size)
    rhs = o.op(ops.Concat, b, o.zeros(o.batch(b), o.op(ops.Sub, size, n), k), axis=o.row)
    trip = o.op(ops.IntDiv, size, i64(imp, nb))

    def step(i: Value, rest: Value) -> tuple[Value, list[Value]]:
        start = o.op(ops.Mul, i, i64(imp, nb))
        stop = o.op(ops.Add, start, i64(imp, nb))
        tri = o.cut(padded, (start, stop), (start, stop))
        x = _solve_block(o, tri, o.cut(rest, (0, nb)), nb, unit_diagonal)
        below = o.cut(padded, (stop, _END), (start, stop))
        nxt = o.op(ops.Sub, o.cut(rest, (nb, _END)), o.op(ops.MatMul, below, x))
        return nxt, [x]

    carried = TensorType(rhs.dtype, (*rhs.shape[:-2], UNKNOWN, rhs.shape[-1]))
    _, (blocks,) = _loop(imp, trip, rhs, step, carried)
    x = _unstack(o, blocks, size, k, along_rows=True)
    return o.cut(x, (0, n))


# -- LU with partial pivoting --------------------------------------------------------------------


def lu_blocked(imp: Importer, a: Value, nb: int) -> tuple[Value, Value, Value]:
    """getrf of each square matrix of ``a`` (..., n, n), blocked right-looking (dgetrf's order:
    dgetf2 on a panel of nb columns, the panel's row exchanges applied to the other columns,
    U12 by a unit-lower solve, A22 -= L21 @ U12): (lu, piv, perm) as nlinalg.lu_factor
    returns them. The pivot search, the scaling and the zero-pivot rule are nlinalg's column
    step's, on the panel only. Padded to a multiple of nb with an identity block: its zero
    entries never win a pivot search over the matrix's rows (a NaN only when first, and the
    first candidate is the matrix's own row), so nothing of it reaches the first n rows."""
    o = _Ops(imp, a.rank, a.dtype)
    rank = a.rank
    n = dim_of(imp, a, o.col)
    size = _padded_size(imp, n, nb)
    matrix = _pad_identity(o, a, n, size)
    idx = o.op(ops.Range, i64(imp, 0), size, i64(imp, 1))
    order = o.op(ops.Expand, idx, o.op(ops.Concat, o.batch(a), o.op(ops.Unsqueeze, size, axes=[0]),
                                       axis=0))  # fmt: skip
    zero, one, minus_one = o.c(0.0), o.c(1.0), o.c(-1.0)
    sfmin = o.c(float(np.finfo(a.dtype).tiny))
    lanes = np.arange(nb)
    trip = o.op(ops.IntDiv, size, i64(imp, nb))

    def body(k: Value, carried: list[Value]) -> tuple[list[Value], list[Value]]:
        m, perm = carried
        s = o.op(ops.Mul, k, i64(imp, nb))
        end = o.op(ops.Add, s, i64(imp, nb))
        panel = o.cut(m, None, (s, end))  # (..., N, nb)
        rows_order = order
        pivots = []
        for c in range(nb):
            j = o.op(ops.Add, s, i64(imp, c))
            j1 = o.op(ops.Unsqueeze, j, axes=[0])
            column = o.op(ops.Gather, panel, i64(imp, c), axis=o.col)  # (..., N)
            magnitude = o.op(ops.Abs, column)
            candidates = o.op(ops.Where, o.op(ops.Ge, idx, j), magnitude, minus_one)
            numbers = o.op(ops.Where, o.op(ops.IsNan, candidates), minus_one, candidates)
            p = o.op(ops.ArgMax, numbers, axis=-1, keepdims=True)  # (..., 1)
            first_is_nan = o.op(ops.IsNan, o.op(ops.Gather, magnitude, j1, axis=-1))
            p = o.op(ops.Where, first_is_nan, j1, p)
            pivots.append(p)
            swap = o.op(ops.Where, o.op(ops.Eq, idx, j), p,
                        o.op(ops.Where, o.op(ops.Eq, idx, p), j, idx))  # fmt: skip
            gather = o.op(ops.Expand, o.op(ops.Unsqueeze, swap, axes=[rank - 1]),
                          o.op(ops.Shape, panel))  # fmt: skip
            panel = o.op(ops.GatherElements, panel, gather, axis=o.row)
            rows_order = o.op(ops.GatherElements, rows_order, swap, axis=rank - 2)
            row = o.op(ops.Gather, panel, j, axis=o.row)  # (..., nb)
            pivot = o.op(ops.Gather, row, i64(imp, [c]), axis=rank - 2)  # (..., 1)
            column = o.op(ops.Gather, panel, i64(imp, c), axis=o.col)
            scaled = o.op(ops.Where, o.op(ops.Ge, o.op(ops.Abs, pivot), sfmin),
                          o.op(ops.Mul, column, o.op(ops.Div, one, pivot)),
                          o.op(ops.Div, column, pivot))  # fmt: skip
            scaled = o.op(ops.Where, o.op(ops.Eq, pivot, zero), column, scaled)
            below = o.op(ops.Gt, idx, j)
            multipliers = o.op(ops.Where, below, scaled, zero)
            if c + 1 < nb:
                right = o.op(ops.Where, imp.constant(lanes > c), row, zero)
                outer = o.op(ops.Mul, o.op(ops.Unsqueeze, multipliers, axes=[rank - 1]),
                             o.op(ops.Unsqueeze, right, axes=[rank - 2]))  # fmt: skip
                panel = o.op(ops.Sub, panel, outer)
            new_column = o.op(ops.Where, below, multipliers, column)
            panel = o.op(ops.Where, imp.constant(lanes == c),
                         o.op(ops.Unsqueeze, new_column, axes=[rank - 1]), panel)  # fmt: skip
        # The panel's row order applied to the whole matrix (LAPACK's dlaswp on both sides).
        gather = o.op(ops.Expand, o.op(ops.Unsqueeze, rows_order, axes=[rank - 1]),
                      o.op(ops.Shape, m))  # fmt: skip
        m = o.op(ops.GatherElements, m, gather, axis=o.row)
        perm = o.op(ops.GatherElements, perm, rows_order, axis=rank - 2)
        left = o.cut(m, None, (0, s))
        rest = o.cut(m, None, (end, _END))
        u12 = _solve_block(o, o.cut(panel, (s, end)), o.cut(rest, (s, end)), nb, True)
        a22 = o.op(ops.Sub, o.cut(rest, (end, _END)),
                   o.op(ops.MatMul, o.cut(panel, (end, _END)), u12))  # fmt: skip
        rest = o.op(ops.Concat, o.cut(rest, (0, s)), u12, a22, axis=o.row)
        m = o.op(ops.Concat, left, panel, rest, axis=o.col)
        return [m, perm], [o.op(ops.Concat, *pivots, axis=rank - 2)]

    body_block = Block(args=[Value(TensorType("int64", ())), Value(TensorType("bool", ())),
                             Value(matrix.type), Value(order.type)])  # fmt: skip
    index, cond, *carried = body_block.args
    with imp.building(body_block):
        nxt, scanned = body(index, list(carried))
        body_block.append(Yield([cond, *nxt, *scanned]))
    true = imp.constant(np.asarray(True))
    loop = imp.emit_op(ops.Loop, [trip, true, matrix, order], regions=[body_block])
    m, perm, piv_blocks = loop.results
    # piv_blocks (steps, ..., nb) -> (..., steps * nb).
    moved = o.op(ops.Transpose, piv_blocks, perm=[*range(1, rank - 1), 0, rank - 1])
    piv = o.op(ops.Reshape, moved, o.op(ops.Concat, o.batch(a),
                                        o.op(ops.Unsqueeze, size, axes=[0]), axis=0))  # fmt: skip
    first_n = (o.op(ops.Unsqueeze, n, axes=[0]),)
    piv = o.op(ops.Slice, piv, i64(imp, [0]), first_n[0], i64(imp, [1]), axes=[rank - 2])
    perm = o.op(ops.Slice, perm, i64(imp, [0]), first_n[0], i64(imp, [1]), axes=[rank - 2])
    return o.cut(m, (0, n), (0, n)), piv, perm


__all__ = ["cholesky_blocked", "lu_blocked", "solve_lower_blocked"]
