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
1e-292 in float64): such columns are factored unscaled here. Column pivoting (geqp3) is refused.
"""

from __future__ import annotations

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


def _norm(imp: Importer, x: Value) -> Value:
    """||x|| over the last axis, keeping it (..., 1); scaled by max|x| so that neither the
    squares overflow nor underflow (dnrm2 scales as well)."""
    last = x.rank - 1
    big = emit(imp, ops.ReduceMax, emit(imp, ops.Abs, x), axes=[last], keepdims=True)
    zero, one = scalar(imp, 0.0, x.dtype), scalar(imp, 1.0, x.dtype)
    safe = emit(imp, ops.Where, emit(imp, ops.Eq, big, zero), one, big)
    scaled = emit(imp, ops.Div, x, safe)
    total = emit(imp, ops.ReduceSum, emit(imp, ops.Mul, scaled, scaled), axes=[last],
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


def geqrf(imp: Importer, a: Value) -> tuple[Value, Value]:
    """LAPACK's geqrf (unblocked dgeqr2) of each matrix of ``a`` (..., m, n): the packed factor
    (R on and above the diagonal, the reflectors' vectors below it) and tau (..., min(m, n))."""
    rank = a.rank
    m, n = dim_of(imp, a, rank - 2), dim_of(imp, a, rank - 1)
    k = emit(imp, ops.Minimum, m, n)
    rows, cols = indices(imp, m), indices(imp, n)
    zero = scalar(imp, 0.0, a.dtype)
    one = scalar(imp, 1.0, a.dtype)
    # tau starts as zeros of shape (..., k): the first k columns' first row, times zero.
    first_row = emit(imp, ops.Gather, a, i64(imp, 0), axis=rank - 2)  # (..., n)
    head = emit(imp, ops.Slice, first_row, i64(imp, [0]), emit(imp, ops.Unsqueeze, k, axes=[0]),
                i64(imp, [1]), axes=[rank - 2])  # fmt: skip
    tau0 = emit(imp, ops.Expand, zero, emit(imp, ops.Shape, head))

    def step(j: Value, carried: list[Value]) -> tuple[None, list[Value]]:
        packed, tau = carried
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
        packed = write(imp, packed, j, emit(imp, ops.Unsqueeze, new_col, axes=[rank - 1]),
                       rank - 1)  # fmt: skip
        tau = write(imp, tau, j, t, rank - 2)
        return None, [packed, tau]

    packed, tau = loop(imp, k, [a, tau0], step)
    return packed, tau


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
    """QR(mode, pivoting=False): scipy.linalg.qr's factors (geqrf + orgqr). 'full': Q (m, m),
    R (m, n); 'economic': Q (m, k), R (k, n) with k = min(m, n); 'r': R (m, n); 'raw':
    (geqrf's packed factor (m, n), tau (k), R (k, n) when m >= n else (m, n)), as PyTensor's
    perform returns them. Column pivoting (geqp3) is refused."""
    if op.pivoting:
        raise Unsupported(
            "QR(pivoting=True): geqp3's column choice depends on its downdated column norms "
            "(near-ties pick different columns), which this translation does not reproduce"
        )
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
    packed, tau = geqrf(imp, a)
    # scipy's R: (m, n) for 'full' and 'r', the top k rows for 'economic' and 'raw'.
    r = triu(imp, packed if op.mode in ("full", "r") else _top_rows(imp, packed, k))
    if op.mode == "r":
        return [r]
    if op.mode == "raw":
        return [packed, tau, r]
    q = orgqr(imp, packed, tau, m if op.mode == "full" else k)
    return [q, r]


REFUSED.pop(L.QR, None)

__all__ = ["geqrf", "hypot", "orgqr"]
