"""LU with partial pivoting and what is built on it, decomposed at import time into tir ops:
Solve (assume_a 'gen', 'sym', 'her'), Det, SLogDet, MatrixInverse, LU, LUFactor and
PivotToPermutations (lu_solve is PyTensor's graph of PivotToPermutations and two
SolveTriangular).

The factorization is a `tir.loop` over the columns (LAPACK's unblocked dgetf2 step; from
a static LU_BLOCKED_FROM = 256 on, linalg_blocked's 16-column panels instead): the pivot
is the first entry of largest magnitude at or below the diagonal (idamax), its row is swapped
with the current one, the column below it is scaled by the reciprocal of the pivot (left as is
when the pivot is exactly zero, as dgetf2 does) and the trailing matrix takes the rank-1
update. Every rule is batch-transparent: the loop carries whole batches.

Singular matrices (an exactly zero pivot, LAPACK's info > 0) behave as PyTensor's perform:
Solve gives all NaN (scipy raises LinAlgError and PyTensor fills NaN, in a's shape there; here
in the output's shape), LUFactor gives an all-NaN LU (pivots kept), Det gives 0 and SLogDet
(0, -inf) (numpy), LU returns the factors as they are. MatrixInverse of a singular matrix makes
numpy raise (so does PyTensor's perform); an ONNX model cannot raise and gives all NaN.
'sym' and 'her' (scipy: sysv, Bunch-Kaufman) read the ``lower`` (or upper) triangle only, as
sysv does, and solve by LU: the same solution to rounding; singularity is LU's zero pivot.
"""

from __future__ import annotations

import numpy as np
from pytensor.graph.basic import Apply
from pytensor.tensor import linalg as L
from pytensor.tensor.linalg.decomposition.lu import PivotToPermutations

from compiler.frontend.extra_ops import dim_of, emit, i64
from compiler.frontend.graphs import REFUSED, batched
from compiler.frontend.importer import Importer, import_op
from compiler.frontend.linalg_blocked import lu_blocked
from compiler.frontend.linalg_loops import counted_loop
from compiler.frontend.linalg_loops import swap_last as _swap_last
from compiler.frontend.slinalg import solve_triangular
from ir import ops
from ir.core import Value

# -- helpers -------------------------------------------------------------------------------------


def _scalar(imp: Importer, value: float, dtype: str) -> Value:
    return imp.constant(np.asarray(value, dtype=dtype))


def _scatter(imp: Importer, x: Value, index: Value, update: Value, axis: int) -> Value:
    """x with ``update`` (x's shape but 1 along ``axis``) written at ``index`` along ``axis``."""
    indices = emit(imp, ops.Expand, index, emit(imp, ops.Shape, update))
    return emit(imp, ops.ScatterElements, x, indices, update, axis=axis, reduction="none",
                unique=True)  # fmt: skip


def _batch_shape(imp: Importer, x: Value, core: int) -> Value:
    """x's shape without its last ``core`` axes (int64 vector)."""
    return emit(imp, ops.Slice, emit(imp, ops.Shape, x), i64(imp, [0]), i64(imp, [x.rank - core]),
                i64(imp, [1]), axes=[0])  # fmt: skip


def _diagonal(imp: Importer, x: Value) -> Value:
    """x[..., i, i] along a new last axis (square matrices; gathered exactly)."""
    rank = x.rank
    n = dim_of(imp, x, rank - 1)
    idx = emit(imp, ops.Range, i64(imp, 0), n, i64(imp, 1))
    index = emit(imp, ops.Unsqueeze, idx, axes=[1])
    shape = emit(imp, ops.Concat, _batch_shape(imp, x, 2), emit(imp, ops.Unsqueeze, n, axes=[0]),
                 i64(imp, [1]), axis=0)  # fmt: skip
    picked = emit(imp, ops.GatherElements, x, emit(imp, ops.Expand, index, shape), axis=rank - 1)
    return emit(imp, ops.Squeeze, picked, axes=[rank - 1])


# -- the factorization ---------------------------------------------------------------------------

#: From this static size on the factorization is blocked (linalg_blocked.lu_blocked, 16-column
#: panels): measured in BENCHMARKS.md, the column loop is faster below (ORT's cost is per node
#: there), the blocked form above (the column steps' whole-matrix traffic dominates).
LU_BLOCKED_FROM = 256


def lu_factor(imp: Importer, a: Value) -> tuple[Value, Value, Value]:
    """getrf of each square matrix of ``a`` (..., n, n): (lu, piv, perm) with lu holding L's
    strictly lower part (unit diagonal implied) and U, piv LAPACK's 0-based pivots (row j was
    swapped with row piv[j] at step j) and perm the row order, a[..., perm, :] == L @ U
    (int64 both). Pivot: reference LAPACK's idamax over |a[i, j]|, i >= j: the first largest,
    where a NaN is taken only when it is the first candidate (comparisons with ``>``).
    OpenBLAS's SIMD idamax (scipy's and numpy's LAPACK here) picks NaN entries in an order
    that depends on its vector lanes (measured: sometimes the first NaN, sometimes a later
    number), so on a column holding NaN the pivots, and which entries turn NaN, can differ from
    PyTensor's perform; finite inputs are unaffected. Static sizes from ``LU_BLOCKED_FROM`` on
    use linalg_blocked's panels (same pivots and arithmetic per step; the trailing updates
    summed in blocks); a size known only at run time takes the column loop (a tir.if choosing
    at run time compiled ~3x slower, both forms in the model)."""
    from compiler.frontend import slinalg  # BLOCK_SIZE read at import time of the graph

    block = slinalg.BLOCK_SIZE
    size = a.shape[-1]
    if block and isinstance(size, int) and size >= LU_BLOCKED_FROM:
        return lu_blocked(imp, a, block)
    return _lu_columns(imp, a)


def _lu_columns(imp: Importer, a: Value) -> tuple[Value, Value, Value]:
    """lu_factor's column loop (one dgetf2 step per iteration)."""
    rank = a.rank
    row_axis, col_axis = rank - 2, rank - 1
    n = dim_of(imp, a, col_axis)
    idx = emit(imp, ops.Range, i64(imp, 0), n, i64(imp, 1))
    zero = _scalar(imp, 0.0, a.dtype)
    one = _scalar(imp, 1.0, a.dtype)
    minus_one = _scalar(imp, -1.0, a.dtype)
    # dgetf2 scales by the reciprocal unless the pivot is below the safe minimum.
    sfmin = _scalar(imp, np.finfo(a.dtype).tiny, a.dtype)
    n1 = emit(imp, ops.Unsqueeze, n, axes=[0])
    vec_shape = emit(imp, ops.Concat, _batch_shape(imp, a, 2), n1, axis=0)
    order = emit(imp, ops.Expand, idx, vec_shape)

    def step(j: Value, carried: list[Value]) -> list[Value]:
        m, piv, perm = carried
        column = emit(imp, ops.Gather, m, j, axis=col_axis)  # (..., n)
        magnitude = emit(imp, ops.Abs, column)
        candidates = emit(imp, ops.Where, emit(imp, ops.Ge, idx, j), magnitude, minus_one)
        # idamax: the first entry that is larger than all before it (``>``), so a NaN is
        # never taken unless it is the first candidate (ArgMax would take the first NaN).
        numbers = emit(imp, ops.Where, emit(imp, ops.IsNan, candidates), minus_one, candidates)
        p = emit(imp, ops.ArgMax, numbers, axis=-1, keepdims=True)  # (..., 1)
        j1 = emit(imp, ops.Unsqueeze, j, axes=[0])
        first_is_nan = emit(imp, ops.IsNan, emit(imp, ops.Gather, magnitude, j1, axis=-1))
        p = emit(imp, ops.Where, first_is_nan, emit(imp, ops.Expand, j1, emit(imp, ops.Shape, p)),
                 p)  # fmt: skip
        # rows[i]: the row that lands at i (j and p exchanged).
        rows = emit(imp, ops.Where, emit(imp, ops.Eq, idx, j), p,
                    emit(imp, ops.Where, emit(imp, ops.Eq, idx, p), j, idx))  # fmt: skip
        gather_rows = emit(imp, ops.Expand, emit(imp, ops.Unsqueeze, rows, axes=[rank - 1]),
                           emit(imp, ops.Shape, m))  # fmt: skip
        m = emit(imp, ops.GatherElements, m, gather_rows, axis=row_axis)
        perm = emit(imp, ops.GatherElements, perm, rows, axis=rank - 2)
        piv = _scatter(imp, piv, j, p, rank - 2)
        row = emit(imp, ops.Gather, m, j, axis=row_axis)  # (..., n)
        column = emit(imp, ops.Gather, m, j, axis=col_axis)
        pivot = emit(imp, ops.Gather, row, emit(imp, ops.Unsqueeze, j, axes=[0]), axis=rank - 2)
        scaled = emit(imp, ops.Where, emit(imp, ops.Ge, emit(imp, ops.Abs, pivot), sfmin),
                      emit(imp, ops.Mul, column, emit(imp, ops.Div, one, pivot)),
                      emit(imp, ops.Div, column, pivot))  # fmt: skip
        scaled = emit(imp, ops.Where, emit(imp, ops.Eq, pivot, zero), column, scaled)
        below = emit(imp, ops.Gt, idx, j)
        multipliers = emit(imp, ops.Where, below, scaled, zero)
        right = emit(imp, ops.Where, below, row, zero)
        update = emit(imp, ops.Mul, emit(imp, ops.Unsqueeze, multipliers, axes=[rank - 1]),
                      emit(imp, ops.Unsqueeze, right, axes=[rank - 2]))  # fmt: skip
        m = emit(imp, ops.Sub, m, update)
        new_column = emit(imp, ops.Where, below, multipliers, column)
        m = _scatter(imp, m, j, emit(imp, ops.Unsqueeze, new_column, axes=[rank - 1]), col_axis)
        return [m, piv, perm]

    lu, piv, perm = counted_loop(imp, n, [a, order, order], step)
    return lu, piv, perm


def _triangles(imp: Importer, lu: Value) -> tuple[Value, Value]:
    """(L, U) of a packed lu: L unit lower triangular, U upper triangular."""
    n = dim_of(imp, lu, lu.rank - 1)
    idx = emit(imp, ops.Range, i64(imp, 0), n, i64(imp, 1))
    rows = emit(imp, ops.Unsqueeze, idx, axes=[1])
    zero = _scalar(imp, 0.0, lu.dtype)
    lower = emit(imp, ops.Where, emit(imp, ops.Gt, rows, idx), lu, zero)
    lower = emit(imp, ops.Where, emit(imp, ops.Eq, rows, idx), _scalar(imp, 1.0, lu.dtype), lower)
    upper = emit(imp, ops.Where, emit(imp, ops.Le, rows, idx), lu, zero)
    return lower, upper


def _singular(imp: Importer, lu: Value) -> Value:
    """True (..., 1, 1) where U has an exactly zero diagonal entry (getrf's info > 0)."""
    diag = _diagonal(imp, lu)
    any_zero = emit(imp, ops.ReduceAny, emit(imp, ops.Eq, diag, _scalar(imp, 0.0, lu.dtype)),
                    axes=[lu.rank - 2], keepdims=True)  # fmt: skip
    return emit(imp, ops.Unsqueeze, any_zero, axes=[lu.rank - 1])


def lu_solve_general(imp: Importer, a: Value, b: Value) -> Value:
    """x with a @ x == b (gesv) for square ``a`` (..., n, n) and right-hand sides ``b``
    (..., n, k), batch axes broadcast; all NaN where a is singular."""
    lu, _, perm = lu_factor(imp, a)
    zeros = emit(imp, ops.Expand, _scalar(imp, 0.0, b.dtype), emit(imp, ops.Shape, b))
    # (..., n, 1) of a's shape for its batch axes; a sum, not a slice of column 0, so that an
    # empty a (n = 0) still has the one column b's k columns broadcast against.
    first = emit(imp, ops.ReduceSum, a, axes=[a.rank - 1], keepdims=True)
    zeros = emit(imp, ops.Expand, zeros, emit(imp, ops.Shape, first))
    b = emit(imp, ops.Expand, b, emit(imp, ops.Shape, zeros))
    rows = emit(imp, ops.Expand, emit(imp, ops.Unsqueeze, perm, axes=[perm.rank]),
                emit(imp, ops.Shape, b))  # fmt: skip
    pb = emit(imp, ops.GatherElements, b, rows, axis=b.rank - 2)
    y = solve_triangular(imp, lu, pb, lower=True, unit_diagonal=True, nan_if_singular=False)
    return solve_triangular(imp, lu, y, lower=False, unit_diagonal=False, nan_if_singular=True)


def _permutation_sign(imp: Importer, piv: Value, dtype: str) -> Value:
    """(-1) ** (number of row exchanges), (...) in ``dtype``."""
    n = dim_of(imp, piv, piv.rank - 1)
    idx = emit(imp, ops.Range, i64(imp, 0), n, i64(imp, 1))
    swaps = emit(imp, ops.ReduceSum, imp.cast(emit(imp, ops.Ne, piv, idx), "int64"),
                 axes=[piv.rank - 1], keepdims=False)  # fmt: skip
    odd = emit(imp, ops.Mod, swaps, i64(imp, 2))
    return imp.cast(emit(imp, ops.Sub, i64(imp, 1), emit(imp, ops.Mul, odd, i64(imp, 2))), dtype)


def slogdet(imp: Importer, a: Value) -> tuple[Value, Value]:
    """numpy.linalg.slogdet: sign = permutation sign times the signs of U's diagonal,
    logabsdet = sum(log|u_ii|); (0, -inf) where a pivot is exactly zero."""
    lu, piv, _ = lu_factor(imp, a)
    diag = _diagonal(imp, lu)
    last = diag.rank - 1
    zero = _scalar(imp, 0.0, a.dtype)
    negatives = emit(imp, ops.ReduceSum, imp.cast(emit(imp, ops.Lt, diag, zero), "int64"),
                     axes=[last], keepdims=False)  # fmt: skip
    flips = _permutation_sign(imp, emit(imp, ops.Add, piv, i64(imp, 0)), a.dtype)
    odd = emit(imp, ops.Mod, negatives, i64(imp, 2))
    diag_sign = imp.cast(emit(imp, ops.Sub, i64(imp, 1), emit(imp, ops.Mul, odd, i64(imp, 2))),
                         a.dtype)  # fmt: skip
    sign = emit(imp, ops.Mul, flips, diag_sign)
    logdet = emit(imp, ops.ReduceSum, emit(imp, ops.Log, emit(imp, ops.Abs, diag)), axes=[last],
                  keepdims=False)  # fmt: skip
    singular = emit(imp, ops.ReduceAny, emit(imp, ops.Eq, diag, zero), axes=[last], keepdims=False)
    sign = emit(imp, ops.Where, singular, zero, sign)
    logdet = emit(imp, ops.Where, singular, _scalar(imp, -np.inf, a.dtype), logdet)
    return sign, logdet


# -- rules ---------------------------------------------------------------------------------------


def _matrix(imp: Importer, node: Apply) -> Value:
    return imp.cast(imp.value(node.inputs[0]), node.outputs[0].type.dtype)


@import_op.register(L.Det)
@batched
def import_det(op: L.Det, node: Apply, imp: Importer) -> list[Value]:
    """Det: numpy.linalg.det, sign * exp(logabsdet) of slogdet (numpy computes it so); 0 for
    an exactly zero pivot."""
    sign, logdet = slogdet(imp, _matrix(imp, node))
    return [emit(imp, ops.Mul, sign, emit(imp, ops.Exp, logdet))]


@import_op.register(L.SLogDet)
@batched
def import_slogdet(op: L.SLogDet, node: Apply, imp: Importer) -> list[Value]:
    """SLogDet: numpy.linalg.slogdet's (sign, logabsdet)."""
    sign, logdet = slogdet(imp, _matrix(imp, node))
    return [sign, logdet]


@import_op.register(L.MatrixInverse)
@batched
def import_matrix_inverse(op: L.MatrixInverse, node: Apply, imp: Importer) -> list[Value]:
    """MatrixInverse: numpy.linalg.inv (gesv with the identity); a singular matrix gives all
    NaN (numpy raises)."""
    a = _matrix(imp, node)
    n = dim_of(imp, a, a.rank - 1)
    idx = emit(imp, ops.Range, i64(imp, 0), n, i64(imp, 1))
    eye = imp.cast(emit(imp, ops.Eq, emit(imp, ops.Unsqueeze, idx, axes=[1]), idx), a.dtype)
    return [lu_solve_general(imp, a, eye)]


def import_solve_general(op: L.Solve, node: Apply, imp: Importer) -> list[Value]:
    """Solve(assume_a in 'gen', 'sym', 'her', 'banded'): called by slinalg's Solve rule."""
    dtype = node.outputs[0].type.dtype
    a, b = (imp.cast(imp.value(v), dtype) for v in node.inputs)
    if op.b_ndim == 1:
        b = emit(imp, ops.Unsqueeze, b, axes=[b.rank])
    if op.assume_a in ("sym", "her"):
        n = dim_of(imp, a, a.rank - 1)
        idx = emit(imp, ops.Range, i64(imp, 0), n, i64(imp, 1))
        rows = emit(imp, ops.Unsqueeze, idx, axes=[1])
        kept = emit(imp, ops.Ge if op.lower else ops.Le, rows, idx)
        a = emit(imp, ops.Where, kept, a, _swap_last(imp, a))
    x = lu_solve_general(imp, a, b)
    return [emit(imp, ops.Squeeze, x, axes=[x.rank - 1]) if op.b_ndim == 1 else x]


def _permutation_matrix(imp: Importer, perm: Value, dtype: str) -> Value:
    """P with a == P @ L @ U: P[perm[j], j] = 1."""
    n = dim_of(imp, perm, perm.rank - 1)
    idx = emit(imp, ops.Range, i64(imp, 0), n, i64(imp, 1))
    hits = emit(imp, ops.Eq, emit(imp, ops.Unsqueeze, idx, axes=[1]),
                emit(imp, ops.Unsqueeze, perm, axes=[perm.rank - 1]))  # fmt: skip
    return imp.cast(hits, dtype)


@import_op.register(L.LU)
@batched
def import_lu(op: L.LU, node: Apply, imp: Importer) -> list[Value]:
    """LU (scipy.linalg.lu): (p, l, u) with a == p @ l @ u; p_indices: p as the indices with
    a == l[p] @ u (int64 here, as PyTensor declares); permute_l: (p @ l, u)."""
    a = imp.cast(imp.value(node.inputs[0]), node.outputs[-1].type.dtype)
    lu, _, perm = lu_factor(imp, a)
    lower, upper = _triangles(imp, lu)
    p = _permutation_matrix(imp, perm, a.dtype)
    if op.permute_l:
        return [emit(imp, ops.MatMul, p, lower), upper]
    if op.p_indices:
        indices = emit(imp, ops.ArgMax, p, axis=-1, keepdims=False)
        return [imp.cast(indices, node.outputs[0].type.dtype), lower, upper]
    return [imp.cast(p, node.outputs[0].type.dtype), lower, upper]


@import_op.register(L.LUFactor)
@batched
def import_lu_factor(op: L.LUFactor, node: Apply, imp: Importer) -> list[Value]:
    """LUFactor (scipy.linalg.lu_factor / getrf): (lu, piv), lu all NaN for a zero pivot
    (PyTensor's perform on info != 0)."""
    a = _matrix(imp, node)
    lu, piv, _ = lu_factor(imp, a)
    lu = emit(imp, ops.Where, _singular(imp, lu), _scalar(imp, np.nan, a.dtype), lu)
    return [lu, imp.cast(piv, node.outputs[1].type.dtype)]


@import_op.register(PivotToPermutations)
@batched
def import_pivot_to_permutations(
    op: PivotToPermutations, node: Apply, imp: Importer
) -> list[Value]:
    """PivotToPermutations(inverse): the row exchanges of ``pivots`` applied in order to
    arange(n) (inverse=True), or that permutation's inverse."""
    piv = imp.cast(imp.value(node.inputs[0]), "int64")
    last = piv.rank - 1
    n = dim_of(imp, piv, last)
    idx = emit(imp, ops.Range, i64(imp, 0), n, i64(imp, 1))
    order = emit(imp, ops.Expand, idx, emit(imp, ops.Shape, piv))

    def step(i: Value, carried: list[Value]) -> list[Value]:
        (perm,) = carried
        i1 = emit(imp, ops.Unsqueeze, i, axes=[0])
        p = emit(imp, ops.Gather, piv, i1, axis=last)  # (..., 1)
        rows = emit(imp, ops.Where, emit(imp, ops.Eq, idx, i), p,
                    emit(imp, ops.Where, emit(imp, ops.Eq, idx, p), i, idx))  # fmt: skip
        return [emit(imp, ops.GatherElements, perm, rows, axis=last)]

    (perm,) = counted_loop(imp, n, [order], step)
    if op.inverse:
        return [perm]
    # argsort of a permutation: inverse[perm[i]] = i.
    return [emit(imp, ops.ScatterElements, order, perm, order, axis=last, reduction="none",
                 unique=True)]  # fmt: skip


for _cls in (L.Det, L.SLogDet, L.MatrixInverse, L.LU, L.LUFactor, PivotToPermutations):
    REFUSED.pop(_cls, None)

__all__ = ["lu_factor", "lu_solve_general", "slogdet"]
