"""Cholesky, triangular and Cholesky-based solves, and diagonals, decomposed at import time into
tir ops: a `tir.loop` over the columns (or rows) of the matrix, each step a few Gathers, one
MatVec-shaped tir.matmul and a Where that writes the new column (or row).

Every rule is batch-transparent (a Blockwise of these ops is the same rule over its leading axes:
the loops carry whole batches and tir.matmul broadcasts them). Accuracy: each step is the
unblocked LAPACK step (dpotf2's dot product, scaling by the reciprocal of the pivot; trsv's
substitution), so on well-conditioned inputs the results are within a few ulps times the
condition number of scipy's (measured in tests/lowering/test_linalg_*.py and BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pytensor.graph.basic import Apply
from pytensor.tensor.basic import ExtractDiag
from pytensor.tensor.blockwise import Blockwise
from pytensor.tensor.linalg import Cholesky, CholeskySolve, Solve, SolveTriangular

from compiler.frontend.extra_ops import dim_of, emit, i64
from compiler.frontend.graphs import batched, refusal_reason
from compiler.frontend.importer import Importer, Unsupported, import_op
from compiler.frontend.linalg_blocked import cholesky_blocked, solve_lower_blocked
from compiler.frontend.linalg_loops import swap_last as _swap_last
from ir import ops
from ir.core import Block, Value, Yield
from ir.ops.tensor import constant_array
from ir.types import TensorType

# -- small helpers -------------------------------------------------------------------------------


def _scalar(imp: Importer, value: float, dtype: str) -> Value:
    return imp.constant(np.asarray(value, dtype=dtype))


def _indices(imp: Importer, n: Value) -> Value:
    """arange(n) as int64."""
    return emit(imp, ops.Range, i64(imp, 0), n, i64(imp, 1))


def _as_column(imp: Importer, v: Value) -> Value:
    """A 1-D vector as an (n, 1) column (it broadcasts over the rows of a batch of matrices)."""
    return emit(imp, ops.Unsqueeze, v, axes=[1])


def _zeros_like_broadcast(imp: Importer, dtype: str, *shapes_of: Value) -> Value:
    """Zeros of ``dtype`` in the broadcast shape of the given values (finite: a loop that reads
    entries it has not written yet multiplies them by zero)."""
    zeros = _scalar(imp, 0.0, dtype)
    for like in shapes_of:
        zeros = emit(imp, ops.Expand, zeros, emit(imp, ops.Shape, like))
    return zeros


#: Largest static size whose steps are unrolled into straight-line code (0: always a Loop;
#: measured in BENCHMARKS.md).
UNROLL_MAX = 0

#: Panel width of the blocked Cholesky and triangular solves (linalg_blocked.py); 0: the
#: column-per-iteration loops below (measured in BENCHMARKS.md).
BLOCK_SIZE = 16


def _loop(imp: Importer, trip: Value, init: Value, step: Callable[[Value, Value], Value]) -> Value:
    """``trip`` steps carrying ``init``; ``step(i, carried)`` emits one step and returns the
    next carried value: unrolled for a constant trip count up to ``UNROLL_MAX``, else a
    tir.loop (its body the step)."""
    count = constant_array(trip)
    if count is not None and int(count) <= UNROLL_MAX:
        carried = init
        for k in range(int(count)):
            carried = step(i64(imp, k), carried)
        return carried
    scalar = TensorType("int64", ())
    body = Block(args=[Value(scalar), Value(TensorType("bool", ())), Value(init.type)])
    index, cond, carried = body.args
    with imp.building(body):
        nxt = step(index, carried)
        body.append(Yield([cond, nxt]))
    true = imp.constant(np.asarray(True))
    return imp.emit_op(ops.Loop, [trip, true, init], regions=[body]).results[0]


def _write(imp: Importer, x: Value, index: Value, update: Value, axis: int) -> Value:
    """x with ``update`` (x's shape but 1 along ``axis``) written at ``index`` along ``axis``:
    a scatter copies exactly and touches one column (a Where over the matrix would cost a pass
    over all of it per loop step, plus ORT's -0.0 fix-up)."""
    indices = emit(imp, ops.Expand, index, emit(imp, ops.Shape, update))
    return emit(imp, ops.ScatterElements, x, indices, update, axis=axis, reduction="none",
                unique=True)  # fmt: skip


# -- Cholesky ------------------------------------------------------------------------------------


def cholesky_lower(imp: Importer, a: Value) -> Value:
    """The lower Cholesky factor L (L @ L.mT == a) of each matrix of ``a`` (..., n, n), reading
    its lower triangle only; a matrix whose factorization fails (a pivot <= 0, where scipy's
    potrf stops; a NaN pivot goes on, as OpenBLAS's does) is all NaN, as PyTensor's
    Cholesky.perform returns it.

    Column j (a loop step): v = a[..., :, j] - L @ L[..., j, :] (L's columns >= j are still
    zero), pivot d = v[j], L[j, j] = sqrt(d), L[i > j, j] = v[i] * (1 / L[j, j]) (dpotf2 scales
    by the reciprocal); each step writes one column by a scatter. A failed pivot leaves -1 on
    the diagonal; the end result is all NaN where any diagonal entry is negative. With
    ``BLOCK_SIZE`` (the default) linalg_blocked's right-looking panels compute it instead."""
    if BLOCK_SIZE:
        factor, failed = cholesky_blocked(imp, a, BLOCK_SIZE)
        return emit(imp, ops.Where, failed, _scalar(imp, np.nan, a.dtype), factor)
    rank = a.rank
    row_axis, col_axis = rank - 2, rank - 1
    n = dim_of(imp, a, col_axis)
    idx = _indices(imp, n)
    zero = _scalar(imp, 0.0, a.dtype)
    one = _scalar(imp, 1.0, a.dtype)
    nan = _scalar(imp, np.nan, a.dtype)
    minus_one = _scalar(imp, -1.0, a.dtype)

    def step(j: Value, factor: Value) -> Value:
        row = emit(imp, ops.Gather, factor, j, axis=row_axis)  # L[..., j, :]
        column = emit(imp, ops.Gather, a, j, axis=col_axis)  # a[..., :, j]
        dots = emit(imp, ops.MatMul, factor, emit(imp, ops.Unsqueeze, row, axes=[col_axis]))
        v = emit(imp, ops.Sub, column, emit(imp, ops.Squeeze, dots, axes=[col_axis]))
        j1 = emit(imp, ops.Unsqueeze, j, axes=[0])
        pivot = emit(imp, ops.Gather, v, j1, axis=row_axis)
        # A failed pivot is marked by a negative diagonal entry (a square root never is one);
        # a NaN pivot does not fail: OpenBLAS's potrf (scipy's) tests ``ajj <= 0`` only.
        failed = emit(imp, ops.Le, pivot, zero)
        diag = emit(imp, ops.Where, failed, minus_one, emit(imp, ops.Sqrt, pivot))
        scaled = emit(imp, ops.Mul, v, emit(imp, ops.Div, one, diag))
        new = _write(imp, scaled, j, diag, row_axis)
        # Rows above j get what v holds there (read from a's other triangle): only later rows
        # above the diagonal read them, and the triangle is cleared after the loop.
        return _write(imp, factor, j, emit(imp, ops.Unsqueeze, new, axes=[col_axis]), col_axis)

    factor = _loop(imp, n, _zeros_like_broadcast(imp, a.dtype, a), step)
    lower = emit(imp, ops.Ge, _as_column(imp, idx), idx)
    factor = emit(imp, ops.Where, lower, factor, zero)
    diagonal = _diagonal(imp, factor, 0)
    failed = emit(imp, ops.ReduceAny, emit(imp, ops.Lt, diagonal, zero), axes=[rank - 2],
                  keepdims=True)  # fmt: skip
    failed = emit(imp, ops.Unsqueeze, failed, axes=[rank - 1])
    return emit(imp, ops.Where, failed, nan, factor)


@import_op.register(Cholesky)
@batched
def import_cholesky(op: Cholesky, node: Apply, imp: Importer) -> list[Value]:
    """Cholesky(lower): scipy's potrf factor (the other triangle zero), all NaN where the
    matrix is not positive definite (PyTensor's perform; ``on_error='raise'`` adds a
    CheckAndRaise, handled by ``assert_policy``). Upper: the lower factor of a.mT, transposed
    (it reads a's upper triangle, as LAPACK does)."""
    dtype = node.outputs[0].type.dtype
    a = imp.cast(imp.value(node.inputs[0]), dtype)
    if op.lower:
        return [cholesky_lower(imp, a)]
    return [_swap_last(imp, cholesky_lower(imp, _swap_last(imp, a)))]


# -- triangular solves ---------------------------------------------------------------------------


def solve_triangular(
    imp: Importer, a: Value, b: Value, *, lower: bool, unit_diagonal: bool, nan_if_singular: bool
) -> Value:
    """x with a @ x == b for each triangular matrix of ``a`` (..., n, n) and each matrix of
    right-hand sides ``b`` (..., n, k), batch axes broadcast; only the ``lower`` (or upper)
    triangle of a is read, its diagonal not at all with ``unit_diagonal``.

    Substitution (a loop over rows, from the first for lower, from the last for upper):
    x[i] = (b[i] - a[i, others] @ x[others]) / a[i, i] over the rows already solved. With
    ``nan_if_singular`` a matrix with an exactly zero diagonal entry gives all NaN (LAPACK's
    trtrs reports it and PyTensor's SolveTriangular.perform fills NaN); without it (potrs) the
    division by zero is left to give inf/NaN."""
    if BLOCK_SIZE:
        x = _solve_blocked(imp, a, b, lower=lower, unit_diagonal=unit_diagonal)
        return _nan_if_singular(imp, a, x) if nan_if_singular and not unit_diagonal else x
    rank = a.rank
    row_axis, col_axis = rank - 2, rank - 1
    n = dim_of(imp, a, col_axis)
    idx = _indices(imp, n)
    zero = _scalar(imp, 0.0, a.dtype)
    last = emit(imp, ops.Sub, n, i64(imp, 1))

    def step(k: Value, x: Value) -> Value:
        i = k if lower else emit(imp, ops.Sub, last, k)
        i1 = emit(imp, ops.Unsqueeze, i, axes=[0])
        row = emit(imp, ops.Gather, a, i1, axis=row_axis)  # (..., 1, n)
        solved = emit(imp, ops.Lt if lower else ops.Gt, idx, i)
        known = emit(imp, ops.Where, solved, row, zero)
        rhs = emit(imp, ops.Gather, b, i1, axis=b.rank - 2)  # (..., 1, k)
        value = emit(imp, ops.Sub, rhs, emit(imp, ops.MatMul, known, x))
        if not unit_diagonal:
            pivot = emit(imp, ops.Gather, row, i1, axis=col_axis)  # (..., 1, 1)
            value = emit(imp, ops.Div, value, pivot)
        return _write(imp, x, i, value, row_axis)

    x = _loop(imp, n, _zeros_like_broadcast(imp, a.dtype, b, _first_column(imp, a)), step)
    return _nan_if_singular(imp, a, x) if nan_if_singular and not unit_diagonal else x


def _nan_if_singular(imp: Importer, a: Value, x: Value) -> Value:
    """x, all NaN for each matrix of ``a`` with an exactly zero diagonal entry (trtrs)."""
    zero = _scalar(imp, 0.0, a.dtype)
    singular = emit(imp, ops.ReduceAny, emit(imp, ops.Eq, _diagonal(imp, a, 0), zero),
                    axes=[a.rank - 2], keepdims=True)  # fmt: skip
    singular = emit(imp, ops.Unsqueeze, singular, axes=[a.rank - 1])
    return emit(imp, ops.Where, singular, _scalar(imp, np.nan, a.dtype), x)


def _flip(imp: Importer, x: Value, axes: list[int]) -> Value:
    """x reversed along ``axes`` (exact)."""
    count = len(axes)
    lowest = np.iinfo(np.int64).min
    return emit(imp, ops.Slice, x, i64(imp, [-1] * count), i64(imp, [lowest] * count),
                i64(imp, [-1] * count), axes=axes)  # fmt: skip


def _solve_blocked(imp: Importer, a: Value, b: Value, *, lower: bool, unit_diagonal: bool) -> Value:
    """linalg_blocked's lower solve; an upper one is the lower solve of a with its rows and
    columns reversed (J a J is lower triangular: J a J (J x) = J b)."""
    if lower:
        return solve_lower_blocked(imp, a, b, BLOCK_SIZE, unit_diagonal)
    flipped = _flip(imp, a, [a.rank - 2, a.rank - 1])
    x = solve_lower_blocked(imp, flipped, _flip(imp, b, [b.rank - 2]), BLOCK_SIZE, unit_diagonal)
    return _flip(imp, x, [x.rank - 2])


def _first_column(imp: Importer, a: Value) -> Value:
    """a[..., :, :1] (its shape is that of one right-hand side column)."""
    return emit(imp, ops.Slice, a, i64(imp, [0]), i64(imp, [1]), i64(imp, [1]), axes=[a.rank - 1])


def _solve_inputs(node: Apply, imp: Importer, b_ndim: int) -> tuple[Value, Value]:
    """a and b converted to the output dtype, b as a matrix of right-hand sides."""
    dtype = node.outputs[0].type.dtype
    a, b = (imp.cast(imp.value(v), dtype) for v in node.inputs)
    if b_ndim == 1:
        b = emit(imp, ops.Unsqueeze, b, axes=[b.rank])
    return a, b


def _solve_output(imp: Importer, x: Value, b_ndim: int) -> list[Value]:
    return [emit(imp, ops.Squeeze, x, axes=[x.rank - 1]) if b_ndim == 1 else x]


@import_op.register(SolveTriangular)
@batched
def import_solve_triangular(op: SolveTriangular, node: Apply, imp: Importer) -> list[Value]:
    """SolveTriangular(lower, unit_diagonal, b_ndim): trtrs's x (``trans`` is an mT in the
    graph, put there by ``solve_triangular``); all NaN for an exactly zero pivot."""
    a, b = _solve_inputs(node, imp, op.b_ndim)
    x = solve_triangular(imp, a, b, lower=op.lower, unit_diagonal=op.unit_diagonal,
                         nan_if_singular=True)  # fmt: skip
    return _solve_output(imp, x, op.b_ndim)


def cho_solve_lower(imp: Importer, factor: Value, b: Value) -> Value:
    """x with L @ L.mT @ x == b (potrs with a lower factor: L y = b, then L.mT x = y)."""
    y = solve_triangular(imp, factor, b, lower=True, unit_diagonal=False, nan_if_singular=False)
    return solve_triangular(imp, _swap_last(imp, factor), y, lower=False, unit_diagonal=False,
                            nan_if_singular=False)  # fmt: skip


@import_op.register(CholeskySolve)
@batched
def import_cholesky_solve(op: CholeskySolve, node: Apply, imp: Importer) -> list[Value]:
    """CholeskySolve(lower, b_ndim) (cho_solve): potrs, two triangular solves reading the
    factor's ``lower`` (or upper: U.mT is the lower factor) triangle; no singularity check
    (potrs has none), so a zero pivot gives inf/NaN as the substitution makes them."""
    c, b = _solve_inputs(node, imp, op.b_ndim)
    factor = c if op.lower else _swap_last(imp, c)
    return _solve_output(imp, cho_solve_lower(imp, factor, b), op.b_ndim)


@import_op.register(Solve)
@batched
def import_solve(op: Solve, node: Apply, imp: Importer) -> list[Value]:
    """Solve(assume_a='pos'): scipy's posv, the Cholesky factor of a's ``lower`` (or upper)
    triangle then cho_solve; a matrix that is not positive definite gives all NaN (scipy raises
    LinAlgError and PyTensor's perform fills NaN: in a's shape there, a PyTensor bug for vector
    right-hand sides; here in the output's shape). 'gen', 'sym' and 'her' are nlinalg's LU
    solve, 'tridiagonal' linalg_tridiagonal's gtsv. 'banded' is the LU solve too: scipy's gbsv
    is Gaussian elimination with partial pivoting confined to the band, where every entry the
    general elimination reads outside it is an exact zero (the same pivots, including a zero
    pivot of a singular matrix: NaN), so the two differ only in rounding order."""
    if op.assume_a in ("gen", "sym", "her", "banded"):
        from compiler.frontend.nlinalg import import_solve_general  # LU; nlinalg imports this

        return import_solve_general(op, node, imp)
    if op.assume_a == "tridiagonal":
        from compiler.frontend.linalg_tridiagonal import solve_tridiagonal

        a, b = _solve_inputs(node, imp, op.b_ndim)
        return _solve_output(imp, solve_tridiagonal(imp, a, b), op.b_ndim)
    if op.assume_a != "pos":
        # Worded as graphs.import_blockwise words refusals of a Blockwise's core op.
        what = "Blockwise of Solve" if isinstance(node.op, Blockwise) else "Solve"
        raise Unsupported(f"{what}: {refusal_reason(op)}")
    a, b = _solve_inputs(node, imp, op.b_ndim)
    factor = cholesky_lower(imp, a if op.lower else _swap_last(imp, a))
    return _solve_output(imp, cho_solve_lower(imp, factor, b), op.b_ndim)


# -- diagonals -----------------------------------------------------------------------------------


def _diagonal(imp: Importer, x: Value, offset: int) -> Value:
    """numpy.diagonal(x, offset, -2, -1): the elements x[..., i, i + offset] along a new last
    axis (exact: gathered, never summed)."""
    rank = x.rank
    first, second = dim_of(imp, x, rank - 2), dim_of(imp, x, rank - 1)
    row0, col0 = i64(imp, max(0, -offset)), i64(imp, max(0, offset))
    length = emit(imp, ops.Minimum, emit(imp, ops.Sub, first, row0),
                  emit(imp, ops.Sub, second, col0))  # fmt: skip
    length = emit(imp, ops.Maximum, length, i64(imp, 0))
    idx = _indices(imp, length)
    rows = emit(imp, ops.Gather, x, emit(imp, ops.Add, idx, row0), axis=rank - 2)
    columns = _as_column(imp, emit(imp, ops.Add, idx, col0))
    batch = emit(imp, ops.Slice, emit(imp, ops.Shape, rows), i64(imp, [0]), i64(imp, [rank - 1]),
                 i64(imp, [1]), axes=[0])  # fmt: skip
    shape = emit(imp, ops.Concat, batch, i64(imp, [1]), axis=0)
    picked = emit(imp, ops.GatherElements, rows, emit(imp, ops.Expand, columns, shape),
                  axis=rank - 1)  # fmt: skip
    return emit(imp, ops.Squeeze, picked, axes=[rank - 1])


@import_op.register(ExtractDiag)
def import_extract_diag(op: ExtractDiag, node: Apply, imp: Importer) -> list[Value]:
    """ExtractDiag(offset, axis1, axis2) is numpy.diagonal: axis1 and axis2 removed, the
    diagonal x[..., i, i + offset] appended as the last axis (empty where the offset is past
    the edge)."""
    x = imp.value(node.inputs[0])
    axis1, axis2 = (axis % x.rank for axis in (op.axis1, op.axis2))
    rest = [axis for axis in range(x.rank) if axis not in (axis1, axis2)]
    perm = [*rest, axis1, axis2]
    moved = x if perm == list(range(x.rank)) else emit(imp, ops.Transpose, x, perm=perm)
    return [_diagonal(imp, moved, op.offset)]


__all__ = ["cho_solve_lower", "cholesky_lower", "solve_triangular"]
