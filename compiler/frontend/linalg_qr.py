"""QR decomposition (pytensor.tensor.linalg.QR, modes 'full', 'economic', 'r' and 'raw', as the
core op and as a Blockwise over any batch axes), decomposed at import time into a tir.loop of
Householder steps that reproduces LAPACK's dgeqr2 (scipy's geqrf below its blocking size) and
dorg2r (orgqr) step for step, so the signs of R's diagonal and of Q's columns are LAPACK's.

Step j (dlarfg on column j, then dlarf on the columns to its right), with alpha = a[j, j] and x
the entries below it:
  - xnorm = ||x||; if xnorm == 0 the reflector is the identity (tau = 0) and the column is left
    as it is, alpha (even negative or zero) becoming R's diagonal entry;
  - else beta = -sign(alpha) * hypot(alpha, xnorm) (dlapy2; sign(-0.0) is negative, as
    gfortran's SIGN), tau = (beta - alpha) / beta, v = [1, x * (1 / (alpha - beta))] and
    R[j, j] = beta;
  - the trailing columns take A += v (-tau (v^T A)) (dlarf's gemv and ger).
Q applies the reflectors in reverse order to the identity (dorg2r), both 'full' (m x m) and
'economic' (m x min(m, n)). 'raw' returns geqrf's packed factor (v below the diagonal, R on and
above it), tau, and R.

Not reproduced: dlarfg's rescaling loop for columns whose norm is below the safe minimum (about
1e-292 in float64): such columns are factored unscaled here.

With pivoting, geqp3's unblocked dlaqp2 (what geqp3 runs for min(m, n) <= 128; above, its
blocked dlaqps chooses the same columns up to rounding of the downdated norms) is reproduced the
same way: see ``geqp3``. Its column choice depends on norms compared exactly, so columns whose
partial norms tie to the last bit may be chosen differently where LAPACK's dnrm2 rounds
otherwise (exact ties, as of equal columns, pick the first in both).
"""

from __future__ import annotations

import numpy as np
from pytensor.graph.basic import Apply
from pytensor.tensor import linalg as L

from compiler.frontend.extra_ops import dim_of, emit, i64
from compiler.frontend.graphs import REFUSED, batched
from compiler.frontend.importer import Importer, Unsupported, import_op
from compiler.frontend.linalg_loops import (
    column,
    entry,
    eye_like,
    indices,
    loop,
    scalar,
    triu,
    write,
)
from ir import ops
from ir.core import Value


def hypot(imp: Importer, a: Value, b: Value) -> Value:
    """dlapy2(a, b) = sqrt(a^2 + b^2) as LAPACK computes it: w * sqrt(1 + (z / w)^2) with
    w = max(|a|, |b|), z = min(|a|, |b|), and w itself when z == 0."""
    abs_a, abs_b = emit(imp, ops.Abs, a), emit(imp, ops.Abs, b)
    w = emit(imp, ops.Maximum, abs_a, abs_b)
    z = emit(imp, ops.Minimum, abs_a, abs_b)
    zero, one = scalar(imp, 0.0, a.dtype), scalar(imp, 1.0, a.dtype)
    # z == 0 also covers w == 0 (no division of zero by zero in the branch not taken).
    safe_w = emit(imp, ops.Where, emit(imp, ops.Eq, z, zero), one, w)
    ratio = emit(imp, ops.Div, z, safe_w)
    root = emit(imp, ops.Sqrt, emit(imp, ops.Add, one, emit(imp, ops.Mul, ratio, ratio)))
    return emit(imp, ops.Where, emit(imp, ops.Eq, z, zero), w, emit(imp, ops.Mul, w, root))


def _norm(imp: Importer, x: Value, axis: int = -1) -> Value:
    """||x|| along ``axis``, keeping it; scaled by max|x| so that neither the squares overflow
    nor underflow (dnrm2 scales as well)."""
    axis = axis % x.rank
    big = emit(imp, ops.ReduceMax, emit(imp, ops.Abs, x), axes=[axis], keepdims=True)
    zero, one = scalar(imp, 0.0, x.dtype), scalar(imp, 1.0, x.dtype)
    safe = emit(imp, ops.Where, emit(imp, ops.Eq, big, zero), one, big)
    scaled = emit(imp, ops.Div, x, safe)
    total = emit(imp, ops.ReduceSum, emit(imp, ops.Mul, scaled, scaled), axes=[axis],
                 keepdims=True)  # fmt: skip
    return emit(imp, ops.Mul, big, emit(imp, ops.Sqrt, total))


def _is_negative(imp: Importer, x: Value) -> Value:
    """x < 0 or x is -0.0 (Fortran's SIGN reads the sign bit)."""
    zero, one = scalar(imp, 0.0, x.dtype), scalar(imp, 1.0, x.dtype)
    negative_zero = emit(imp, ops.BitwiseAnd, emit(imp, ops.Eq, x, zero),
                         emit(imp, ops.Lt, emit(imp, ops.Div, one, x), zero))  # fmt: skip
    return emit(imp, ops.BitwiseOr, emit(imp, ops.Lt, x, zero), negative_zero)


def _reflector(imp: Importer, packed: Value, j: Value, rows: Value) -> Value:
    """The Householder vector of step j from the packed factor (..., m, n): 0 above row j, 1 at
    row j, the stored v below (..., m)."""
    stored = column(imp, packed, j)
    zero, one = scalar(imp, 0.0, packed.dtype), scalar(imp, 1.0, packed.dtype)
    head = emit(imp, ops.Where, emit(imp, ops.Eq, rows, j), one, zero)
    return emit(imp, ops.Where, emit(imp, ops.Gt, rows, j), stored, head)


def _apply_reflector(imp: Importer, x: Value, v: Value, tau: Value, columns: Value | None) -> Value:
    """(I - tau v v^T) x, as dlarf: w = v^T x (gemv), x += v (-tau w) (ger); only on the
    ``columns`` (a bool mask over x's columns) when given, and not at all where tau == 0
    (dlarf skips the update then)."""
    rank = x.rank
    w = emit(imp, ops.MatMul, emit(imp, ops.Unsqueeze, v, axes=[rank - 2]), x)  # (..., 1, n)
    t = emit(imp, ops.Unsqueeze, tau, axes=[rank - 2, rank - 1])  # (..., 1, 1)
    scaled = emit(imp, ops.Mul, emit(imp, ops.Neg, t), w)
    updated = emit(imp, ops.Add, x, emit(imp, ops.Mul, emit(imp, ops.Unsqueeze, v, axes=[rank - 1]),
                                         scaled))  # fmt: skip
    apply = emit(imp, ops.Ne, t, scalar(imp, 0.0, x.dtype))
    if columns is not None:
        apply = emit(imp, ops.BitwiseAnd, apply, columns)
    return emit(imp, ops.Where, apply, updated, x)


def _householder_step(
    imp: Importer, packed: Value, tau: Value, j: Value, rows: Value, cols: Value
) -> tuple[Value, Value]:
    """Step j of dgeqr2 (and dlaqp2): the reflector of column j (dlarfg), applied to the
    columns right of it (dlarf), v stored below the diagonal and tau[j] written."""
    rank = packed.rank
    zero = scalar(imp, 0.0, packed.dtype)
    one = scalar(imp, 1.0, packed.dtype)
    col = column(imp, packed, j)  # (..., m)
    alpha = entry(imp, col, j)  # (..., 1)
    below = emit(imp, ops.Gt, rows, j)
    x = emit(imp, ops.Where, below, col, zero)
    xnorm = _norm(imp, x)
    identity = emit(imp, ops.Eq, xnorm, zero)  # dlarfg: H = I, tau = 0
    norm = hypot(imp, alpha, xnorm)
    beta = emit(imp, ops.Where, _is_negative(imp, alpha), norm, emit(imp, ops.Neg, norm))
    # The branch not taken must not divide by zero: beta is nonzero where xnorm is.
    safe_beta = emit(imp, ops.Where, identity, one, beta)
    t = emit(imp, ops.Div, emit(imp, ops.Sub, beta, alpha), safe_beta)
    t = emit(imp, ops.Where, identity, zero, t)
    gap = emit(imp, ops.Where, identity, one, emit(imp, ops.Sub, alpha, beta))
    v = emit(imp, ops.Mul, x, emit(imp, ops.Div, one, gap))
    v = emit(imp, ops.Where, identity, x, v)
    diag = emit(imp, ops.Where, identity, alpha, beta)
    full_v = emit(imp, ops.Where, below, v,
                  emit(imp, ops.Where, emit(imp, ops.Eq, rows, j), one, zero))  # fmt: skip
    packed = _apply_reflector(imp, packed, full_v, emit(imp, ops.Squeeze, t, axes=[rank - 2]),
                              emit(imp, ops.Gt, cols, j))  # fmt: skip
    new_col = emit(imp, ops.Where, below, v,
                   emit(imp, ops.Where, emit(imp, ops.Eq, rows, j), diag, col))  # fmt: skip
    packed = write(imp, packed, j, emit(imp, ops.Unsqueeze, new_col, axes=[rank - 1]), rank - 1)
    return packed, write(imp, tau, j, t, rank - 2)


def _zero_tau(imp: Importer, a: Value, k: Value) -> Value:
    """Zeros of shape (..., k): the first k entries of a's first row, times zero."""
    rank = a.rank
    first_row = emit(imp, ops.Gather, a, i64(imp, 0), axis=rank - 2)  # (..., n)
    head = emit(imp, ops.Slice, first_row, i64(imp, [0]), emit(imp, ops.Unsqueeze, k, axes=[0]),
                i64(imp, [1]), axes=[rank - 2])  # fmt: skip
    return emit(imp, ops.Expand, scalar(imp, 0.0, a.dtype), emit(imp, ops.Shape, head))


def geqrf(imp: Importer, a: Value) -> tuple[Value, Value]:
    """LAPACK's geqrf (unblocked dgeqr2) of each matrix of ``a`` (..., m, n): the packed factor
    (R on and above the diagonal, the reflectors' vectors below it) and tau (..., min(m, n))."""
    rank = a.rank
    m, n = dim_of(imp, a, rank - 2), dim_of(imp, a, rank - 1)
    k = emit(imp, ops.Minimum, m, n)
    rows, cols = indices(imp, m), indices(imp, n)

    def step(j: Value, carried: list[Value]) -> tuple[None, list[Value]]:
        return None, list(_householder_step(imp, *carried, j, rows, cols))

    packed, tau = loop(imp, k, [a, _zero_tau(imp, a, k)], step)
    return packed, tau


def geqp3(imp: Importer, a: Value) -> tuple[Value, Value, Value]:
    """LAPACK's geqp3 (its unblocked dlaqp2, which it runs for min(m, n) <= 128) of each
    matrix of ``a`` (..., m, n): the packed factor, tau and the column order jpvt (0-based,
    int64), a[..., :, jpvt] = Q R.

    Step j: the pivot is the first column >= j of largest partial norm vn1 (idamax); it is
    swapped with column j (with its vn1, vn2 and jpvt entries); the Householder step follows;
    then each later column's partial norm is downdated, vn1 *= sqrt(max(1 - (|a_jc| / vn1)^2,
    0)), or recomputed from the entries below row j (and vn2 set to it) where that downdate
    times (vn1 / vn2)^2 is <= sqrt(eps / 2) (LAPACK's tol3z); columns with vn1 = 0 stay."""
    rank = a.rank
    row_axis, col_axis = rank - 2, rank - 1
    m, n = dim_of(imp, a, row_axis), dim_of(imp, a, col_axis)
    k = emit(imp, ops.Minimum, m, n)
    rows, cols = indices(imp, m), indices(imp, n)
    dtype = a.dtype
    zero, one = scalar(imp, 0.0, dtype), scalar(imp, 1.0, dtype)
    tol3z = scalar(imp, float(np.sqrt(np.finfo(dtype).eps / 2)), dtype)
    norms = emit(imp, ops.Squeeze, _norm(imp, a, row_axis), axes=[row_axis])  # (..., n)
    order = emit(imp, ops.Expand, cols, emit(imp, ops.Shape, norms))

    def step(j: Value, carried: list[Value]) -> tuple[None, list[Value]]:
        packed, tau, vn1, vn2, jpvt = carried
        later = emit(imp, ops.Ge, cols, j)
        candidates = emit(imp, ops.Where, later, vn1, scalar(imp, -1.0, dtype))
        p = emit(imp, ops.ArgMax, candidates, axis=-1, keepdims=True)  # (..., 1)
        # swap[c]: the column that lands at c (j and p exchanged).
        swap = emit(imp, ops.Where, emit(imp, ops.Eq, cols, j), p,
                    emit(imp, ops.Where, emit(imp, ops.Eq, cols, p), j, cols))  # fmt: skip
        vn1, vn2, jpvt = (emit(imp, ops.GatherElements, v, swap, axis=rank - 2)
                          for v in (vn1, vn2, jpvt))  # fmt: skip
        where = emit(imp, ops.Expand, emit(imp, ops.Unsqueeze, swap, axes=[row_axis]),
                     emit(imp, ops.Shape, packed))  # fmt: skip
        packed = emit(imp, ops.GatherElements, packed, where, axis=col_axis)
        packed, tau = _householder_step(imp, packed, tau, j, rows, cols)
        # Downdate the partial norms of the columns right of j.
        top = emit(imp, ops.Gather, packed, j, axis=row_axis)  # (..., n): row j
        nonzero = emit(imp, ops.Ne, vn1, zero)
        safe1 = emit(imp, ops.Where, nonzero, vn1, one)
        safe2 = emit(imp, ops.Where, emit(imp, ops.Ne, vn2, zero), vn2, one)
        ratio = emit(imp, ops.Div, emit(imp, ops.Abs, top), safe1)
        temp = emit(imp, ops.Maximum, emit(imp, ops.Sub, one, emit(imp, ops.Mul, ratio, ratio)),
                    zero)  # fmt: skip
        growth = emit(imp, ops.Div, vn1, safe2)
        temp2 = emit(imp, ops.Mul, temp, emit(imp, ops.Mul, growth, growth))
        recompute = emit(imp, ops.Le, temp2, tol3z)
        lower = emit(imp, ops.Where, emit(imp, ops.Unsqueeze, emit(imp, ops.Gt, rows, j), axes=[1]),
                     packed, zero)  # fmt: skip
        partial = emit(imp, ops.Squeeze, _norm(imp, lower, row_axis), axes=[row_axis])
        downdated = emit(imp, ops.Mul, vn1, emit(imp, ops.Sqrt, temp))
        update = emit(imp, ops.BitwiseAnd, emit(imp, ops.Gt, cols, j), nonzero)
        vn1 = emit(imp, ops.Where, update,
                   emit(imp, ops.Where, recompute, partial, downdated), vn1)  # fmt: skip
        vn2 = emit(imp, ops.Where, emit(imp, ops.BitwiseAnd, update, recompute), partial, vn2)
        return None, [packed, tau, vn1, vn2, jpvt]

    inits = [a, _zero_tau(imp, a, k), norms, norms, order]
    packed, tau, _, _, jpvt = loop(imp, k, inits, step)
    return packed, tau, jpvt


def orgqr(imp: Importer, packed: Value, tau: Value, q_cols: Value) -> Value:
    """LAPACK's orgqr (unblocked dorg2r): the first ``q_cols`` columns of H_0 H_1 ... H_{k-1}
    (k = len(tau)), applying the reflectors from the last to the identity."""
    rank = packed.rank
    m = dim_of(imp, packed, rank - 2)
    k = dim_of(imp, tau, rank - 2)
    rows = indices(imp, m)
    last = emit(imp, ops.Sub, k, i64(imp, 1))

    def step(s: Value, carried: list[Value]) -> tuple[None, list[Value]]:
        (q,) = carried
        j = emit(imp, ops.Sub, last, s)
        v = _reflector(imp, packed, j, rows)
        t = emit(imp, ops.Squeeze, entry(imp, tau, j), axes=[rank - 2])
        return None, [_apply_reflector(imp, q, v, t, None)]

    (q,) = loop(imp, k, [eye_like(imp, packed, m, q_cols)], step)
    return q


def _top_rows(imp: Importer, x: Value, count: Value) -> Value:
    """x[..., :count, :]."""
    return emit(imp, ops.Slice, x, i64(imp, [0]), emit(imp, ops.Unsqueeze, count, axes=[0]),
                i64(imp, [1]), axes=[x.rank - 2])  # fmt: skip


@import_op.register(L.QR)
@batched
def import_qr(op: L.QR, node: Apply, imp: Importer) -> list[Value]:
    """QR(mode, pivoting): scipy.linalg.qr's factors (geqrf + orgqr). 'full': Q (m, m),
    R (m, n); 'economic': Q (m, k), R (k, n) with k = min(m, n); 'r': R (m, n); 'raw':
    (geqrf's packed factor (m, n), tau (k), R (k, n) when m >= n else (m, n)), as PyTensor's
    perform returns them; pivoting=True: geqp3's factors and its column order (int32) as the
    last output, a[:, p] = Q R."""
    dtype = node.outputs[0].type.dtype
    a = imp.cast(imp.value(node.inputs[0]), dtype)
    rank = a.rank
    declared = node.outputs[0].type.shape[-2:]
    if op.mode == "raw" and None not in declared and declared != a.shape[-2:]:
        raise Unsupported(
            f"QR(mode='raw') of a {a.shape[-2]} x {a.shape[-1]} matrix: PyTensor declares the "
            f"packed factor {declared[0]} x {declared[1]} but its perform returns geqrf's "
            f"{a.shape[-2]} x {a.shape[-1]} (a PyTensor bug; unknown or square shapes compile)"
        )
    m, n = dim_of(imp, a, rank - 2), dim_of(imp, a, rank - 1)
    k = emit(imp, ops.Minimum, m, n)
    if op.pivoting:
        packed, tau, jpvt = geqp3(imp, a)
        pivots = [imp.cast(jpvt, node.outputs[-1].type.dtype)]
    else:
        packed, tau = geqrf(imp, a)
        pivots = []
    # scipy's R: (m, n) for 'full' and 'r', the top k rows for 'economic' and 'raw'.
    r = triu(imp, packed if op.mode in ("full", "r") else _top_rows(imp, packed, k))
    if op.mode == "r":
        return [r, *pivots]
    if op.mode == "raw":
        return [packed, tau, r, *pivots]
    q = orgqr(imp, packed, tau, m if op.mode == "full" else k)
    return [q, r, *pivots]


REFUSED.pop(L.QR, None)

__all__ = ["geqrf", "hypot", "orgqr"]
