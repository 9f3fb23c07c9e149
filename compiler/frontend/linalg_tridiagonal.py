"""Tridiagonal solvers: ``Solve(assume_a='tridiagonal')`` (scipy's gtsv), LUFactorTridiagonal
(LAPACK gttrf) and SolveLUFactorTridiagonal (gttrs), core and Blockwise, decomposed at import
time into `tir.loop`s over the rows.

gttrf's step i (LAPACK's order of operations, 0-based): when |d[i]| >= |dl[i]| (false for a
NaN, so a NaN swaps as in LAPACK) no interchange, and if d[i] != 0: fact = dl[i] / d[i],
dl[i] = fact, d[i+1] -= fact * du[i]; otherwise rows i and i+1 are exchanged: fact = d[i] /
dl[i], d[i] = dl[i], dl[i] = fact, du[i], d[i+1] = d[i+1], du[i] - fact * d[i+1], and (i < n-2)
du2[i] = du[i+1], du[i+1] = -fact * du[i+1]. ipiv is LAPACK's 1-based pivot (int32, as
PyTensor returns it). gttrs (dgtts2) then applies the row exchanges and multipliers and
back-substitutes with U's three diagonals (or, transposed, the other way round).

gtsv performs the same arithmetic as gttrf followed by gttrs, so Solve is both; a matrix with
an exactly zero pivot (gtsv's info > 0: scipy raises, PyTensor's perform fills NaN) gives all
NaN (in the output's shape; PyTensor's is a's shape). gttrf and gttrs do not check: their
outputs are what the arithmetic gives (inf/NaN), as PyTensor's perform returns them.
"""

from __future__ import annotations

import numpy as np
from pytensor.graph.basic import Apply
from pytensor.tensor.linalg.solvers.tridiagonal import (
    LUFactorTridiagonal,
    SolveLUFactorTridiagonal,
)

from compiler.frontend.extra_ops import dim_of, emit, i64
from compiler.frontend.graphs import REFUSED, batched
from compiler.frontend.importer import Importer, import_op
from compiler.frontend.linalg_loops import counted_loop
from ir import ops
from ir.core import Value


class _Vectors:
    """Reads and writes of entry i along the last axis of vectors of any length."""

    def __init__(self, imp: Importer, dtype: str) -> None:
        self.imp, self.dtype = imp, dtype

    def zero(self) -> Value:
        return self.imp.constant(np.zeros((), dtype=self.dtype))

    def at(self, v: Value, i: Value) -> Value:
        """v[..., i], 0 where i is out of range (such a read is never used: reading from a
        copy with one more entry keeps an empty vector gatherable)."""
        length = dim_of(self.imp, v, v.rank - 1)
        end = self.imp.constant(np.zeros((), dtype=v.dtype))
        end = emit(self.imp, ops.Expand, end, emit(self.imp, ops.Shape, _first(self.imp, v)))
        padded = emit(self.imp, ops.Concat, v, end, axis=v.rank - 1)
        inside = emit(self.imp, ops.BitwiseAnd, emit(self.imp, ops.Ge, i, i64(self.imp, 0)),
                      emit(self.imp, ops.Lt, i, length))  # fmt: skip
        safe = emit(self.imp, ops.Where, inside, i, length)
        return emit(self.imp, ops.Gather, padded, safe, axis=v.rank - 1)

    def put(self, v: Value, i: Value, value: Value, when: Value | None = None) -> Value:
        """v with entry i set to ``value`` (..., batch) where ``when`` (...) holds; an i out of
        range changes nothing."""
        length = dim_of(self.imp, v, v.rank - 1)
        idx = emit(self.imp, ops.Range, i64(self.imp, 0), length, i64(self.imp, 1))
        mask = emit(self.imp, ops.Eq, idx, i)
        if when is not None:
            mask = emit(self.imp, ops.BitwiseAnd, mask,
                        emit(self.imp, ops.Unsqueeze, when, axes=[v.rank - 1]))  # fmt: skip
        if value.rank == v.rank - 1:  # per batch entry (a scalar broadcasts as it is)
            value = emit(self.imp, ops.Unsqueeze, value, axes=[v.rank - 1])
        return emit(self.imp, ops.Where, mask, value, v)


def gttrf(
    imp: Importer, dl: Value, d: Value, du: Value
) -> tuple[Value, Value, Value, Value, Value]:
    """LAPACK gttrf of the tridiagonal matrices with diagonals dl (..., n-1), d (..., n), du
    (..., n-1): (dl, d, du, du2, ipiv) with ipiv 1-based int64 (see the module docstring)."""
    vec = _Vectors(imp, d.dtype)
    rank = d.rank
    n = dim_of(imp, d, rank - 1)
    zero = vec.zero()
    n2 = emit(imp, ops.Maximum, emit(imp, ops.Sub, n, i64(imp, 2)), i64(imp, 0))
    du2_shape = emit(imp, ops.Concat, _batch(imp, d), emit(imp, ops.Unsqueeze, n2, axes=[0]),
                     axis=0)  # fmt: skip
    du2 = emit(imp, ops.Expand, zero, du2_shape)
    idx = emit(imp, ops.Range, i64(imp, 1), emit(imp, ops.Add, n, i64(imp, 1)), i64(imp, 1))
    ipiv = emit(imp, ops.Expand, idx, emit(imp, ops.Shape, d))
    trip = emit(imp, ops.Maximum, emit(imp, ops.Sub, n, i64(imp, 1)), i64(imp, 0))

    def step(i: Value, carried: list[Value]) -> list[Value]:
        dl, d, du, du2, ipiv = carried
        nxt = emit(imp, ops.Add, i, i64(imp, 1))
        d_i, dl_i, du_i = vec.at(d, i), vec.at(dl, i), vec.at(du, i)
        d_n, du_n = vec.at(d, nxt), vec.at(du, nxt)
        keep = emit(imp, ops.Ge, emit(imp, ops.Abs, d_i), emit(imp, ops.Abs, dl_i))
        swap = emit(imp, ops.Invert, keep)
        # No interchange (and d[i] != 0): eliminate with fact = dl / d.
        fact_keep = emit(imp, ops.Div, dl_i, d_i)
        eliminate = emit(imp, ops.BitwiseAnd, keep, emit(imp, ops.Ne, d_i, zero))
        d_n_keep = emit(imp, ops.Sub, d_n, emit(imp, ops.Mul, fact_keep, du_i))
        # Interchange rows i and i+1.
        fact_swap = emit(imp, ops.Div, d_i, dl_i)
        d_n_swap = emit(imp, ops.Sub, du_i, emit(imp, ops.Mul, fact_swap, d_n))
        du_n_swap = emit(imp, ops.Neg, emit(imp, ops.Mul, fact_swap, du_n))
        dl = vec.put(dl, i, fact_keep, eliminate)
        dl = vec.put(dl, i, fact_swap, swap)
        d = vec.put(d, nxt, d_n_keep, eliminate)
        d = vec.put(d, nxt, d_n_swap, swap)
        d = vec.put(d, i, dl_i, swap)
        du2 = vec.put(du2, i, du_n, swap)  # i < n-2 only (out of range otherwise)
        du = vec.put(du, nxt, du_n_swap, swap)  # likewise
        du = vec.put(du, i, d_n, swap)
        ipiv = vec.put(ipiv, i, emit(imp, ops.Add, nxt, i64(imp, 1)), swap)
        return [dl, d, du, du2, ipiv]

    dl, d, du, du2, ipiv = counted_loop(imp, trip, [dl, d, du, du2, ipiv], step)
    return dl, d, du, du2, ipiv


def _first(imp: Importer, v: Value) -> Value:
    """v[..., :1] with its last axis of size 1 even when v is empty (a batch-shaped slot)."""
    batch = _batch(imp, v)
    return emit(imp, ops.Expand, imp.constant(np.zeros((1,), dtype=v.dtype)),
                emit(imp, ops.Concat, batch, i64(imp, [1]), axis=0))  # fmt: skip


def _batch(imp: Importer, v: Value) -> Value:
    """v's shape without its last axis."""
    return emit(imp, ops.Slice, emit(imp, ops.Shape, v), i64(imp, [0]), i64(imp, [v.rank - 1]),
                i64(imp, [1]), axes=[0])  # fmt: skip


def gttrs(
    imp: Importer,
    factors: tuple[Value, Value, Value, Value, Value],
    b: Value,
    *,
    transposed: bool,
) -> Value:
    """LAPACK gttrs (dgtts2) with gttrf's ``factors`` for right-hand sides b (..., n, k): x
    with A x = b (A.T x = b when ``transposed``). ipiv 1-based (any integer dtype)."""
    dl, d, du, du2, ipiv = factors
    ipiv = imp.cast(ipiv, "int64")
    row_axis = b.rank - 2
    n = dim_of(imp, d, d.rank - 1)
    vec = _Vectors(imp, b.dtype)
    rows = emit(imp, ops.Range, i64(imp, 0), n, i64(imp, 1))
    rows = emit(imp, ops.Unsqueeze, rows, axes=[1])  # (n, 1)

    def row(x: Value, i: Value) -> Value:
        """x[..., i, :] with i clamped (..., k)."""
        top = emit(imp, ops.Maximum, emit(imp, ops.Sub, n, i64(imp, 1)), i64(imp, 0))
        safe = emit(imp, ops.Minimum, emit(imp, ops.Maximum, i, i64(imp, 0)), top)
        return emit(imp, ops.Gather, x, safe, axis=row_axis)

    def put_row(x: Value, i: Value, value: Value) -> Value:
        return emit(imp, ops.Where, emit(imp, ops.Eq, rows, i),
                    emit(imp, ops.Unsqueeze, value, axes=[row_axis]), x)  # fmt: skip

    def coef(v: Value, i: Value) -> Value:
        """v[..., i] as a column factor (..., 1) for a row (..., k)."""
        return emit(imp, ops.Unsqueeze, vec.at(v, i), axes=[v.rank - 1])

    def valid(i: Value, length: Value) -> Value:
        return emit(imp, ops.BitwiseAnd, emit(imp, ops.Ge, i, i64(imp, 0)),
                    emit(imp, ops.Lt, i, length))  # fmt: skip

    def minus(value: Value, term: Value, present: Value) -> Value:
        """value - term where the term exists (else value exactly, as LAPACK leaves it out)."""
        return emit(imp, ops.Where, present, emit(imp, ops.Sub, value, term), value)

    def swapped(i: Value) -> Value:
        """ipiv[i] != i + 1 (rows i and i+1 exchanged), (..., 1)."""
        p = emit(imp, ops.Unsqueeze, vec.at(ipiv, i), axes=[ipiv.rank - 1])
        return emit(imp, ops.Ne, p, emit(imp, ops.Add, i, i64(imp, 1)))

    trip_l = emit(imp, ops.Maximum, emit(imp, ops.Sub, n, i64(imp, 1)), i64(imp, 0))

    def forward(i: Value, carried: list[Value]) -> list[Value]:
        (x,) = carried
        nxt = emit(imp, ops.Add, i, i64(imp, 1))
        b_i, b_n, l_i = row(x, i), row(x, nxt), coef(dl, i)
        swap = swapped(i)
        keep_n = emit(imp, ops.Sub, b_n, emit(imp, ops.Mul, l_i, b_i))
        swap_n = emit(imp, ops.Sub, b_i, emit(imp, ops.Mul, l_i, b_n))
        x = put_row(x, i, emit(imp, ops.Where, swap, b_n, b_i))
        return [put_row(x, nxt, emit(imp, ops.Where, swap, swap_n, keep_n))]

    def backward(k: Value, carried: list[Value]) -> list[Value]:
        (x,) = carried
        i = emit(imp, ops.Sub, emit(imp, ops.Sub, n, i64(imp, 1)), k)
        i1, i2 = emit(imp, ops.Add, i, i64(imp, 1)), emit(imp, ops.Add, i, i64(imp, 2))
        value = minus(row(x, i), emit(imp, ops.Mul, coef(du, i), row(x, i1)), valid(i1, n))
        value = minus(value, emit(imp, ops.Mul, coef(du2, i), row(x, i2)), valid(i2, n))
        return [put_row(x, i, emit(imp, ops.Div, value, coef(d, i)))]

    def forward_t(i: Value, carried: list[Value]) -> list[Value]:
        # U.T y = b: y[i] = (b[i] - du[i-1] y[i-1] - du2[i-2] y[i-2]) / d[i].
        (x,) = carried
        i1, i2 = emit(imp, ops.Sub, i, i64(imp, 1)), emit(imp, ops.Sub, i, i64(imp, 2))
        value = minus(row(x, i), emit(imp, ops.Mul, coef(du, i1), row(x, i1)), valid(i1, n))
        value = minus(value, emit(imp, ops.Mul, coef(du2, i2), row(x, i2)), valid(i2, n))
        return [put_row(x, i, emit(imp, ops.Div, value, coef(d, i)))]

    def backward_t(k: Value, carried: list[Value]) -> list[Value]:
        # L.T x = y, from row n-2 down: b[i] -= dl[i] b[i+1], or the exchange.
        (x,) = carried
        i = emit(imp, ops.Sub, emit(imp, ops.Sub, n, i64(imp, 2)), k)
        nxt = emit(imp, ops.Add, i, i64(imp, 1))
        b_i, b_n, l_i = row(x, i), row(x, nxt), coef(dl, i)
        swap = swapped(i)
        keep_i = emit(imp, ops.Sub, b_i, emit(imp, ops.Mul, l_i, b_n))
        swap_n = emit(imp, ops.Sub, b_i, emit(imp, ops.Mul, l_i, b_n))
        x = put_row(x, nxt, emit(imp, ops.Where, swap, swap_n, b_n))
        return [put_row(x, i, emit(imp, ops.Where, swap, b_n, keep_i))]

    if transposed:
        (x,) = counted_loop(imp, n, [b], forward_t)
        (x,) = counted_loop(imp, trip_l, [x], backward_t)
    else:
        (x,) = counted_loop(imp, trip_l, [b], forward)
        (x,) = counted_loop(imp, n, [x], backward)
    return x


def _broadcast_rhs(imp: Importer, b: Value, d: Value) -> Value:
    """b (..., n, k) expanded to the batch shape it shares with the diagonals d (..., n)."""
    column = emit(imp, ops.Unsqueeze, d, axes=[d.rank])  # (..., n, 1)
    return emit(imp, ops.Expand, b, emit(imp, ops.Shape, column))


def solve_tridiagonal(imp: Importer, a: Value, b: Value) -> Value:
    """scipy.linalg.solve(a, b, assume_a='tridiagonal') for square a (..., n, n) (only its
    three central diagonals read) and b (..., n, k); all NaN where a pivot is exactly zero."""
    from compiler.frontend.slinalg import _diagonal

    dl, d, du = (_diagonal(imp, a, offset) for offset in (-1, 0, 1))
    factors = gttrf(imp, dl, d, du)
    x = gttrs(imp, factors, _broadcast_rhs(imp, b, d), transposed=False)
    u_diag = factors[1]
    singular = emit(imp, ops.ReduceAny,
                    emit(imp, ops.Eq, u_diag, imp.constant(np.zeros((), dtype=a.dtype))),
                    axes=[u_diag.rank - 1], keepdims=True)  # fmt: skip
    singular = emit(imp, ops.Unsqueeze, singular, axes=[u_diag.rank])
    return emit(imp, ops.Where, singular, imp.constant(np.asarray(np.nan, dtype=a.dtype)), x)


@import_op.register(LUFactorTridiagonal)
@batched
def import_lu_factor_tridiagonal(
    op: LUFactorTridiagonal, node: Apply, imp: Importer
) -> list[Value]:
    """LUFactorTridiagonal: gttrf's (dl, d, du, du2, ipiv), ipiv 1-based int32; no singularity
    check (PyTensor's perform ignores gttrf's info)."""
    dtype = node.outputs[0].type.dtype
    dl, d, du = (imp.cast(imp.value(v), dtype) for v in node.inputs)
    # Blockwise pads the inputs to the same number of batch axes; broadcast them.
    zeros = emit(imp, ops.Expand, imp.constant(np.zeros((), dtype=dtype)), _batch(imp, d))
    for v in (dl, du):
        zeros = emit(imp, ops.Expand, zeros, _batch(imp, v))
    dl, d, du = (_with_batch(imp, v, zeros) for v in (dl, d, du))
    dl, d, du, du2, ipiv = gttrf(imp, dl, d, du)
    return [dl, d, du, du2, imp.cast(ipiv, node.outputs[4].type.dtype)]


def _with_batch(imp: Importer, v: Value, batch_zeros: Value) -> Value:
    """v (..., m) expanded to the batch shape of ``batch_zeros`` (...)."""
    if v.rank == 1:
        return v
    column = emit(imp, ops.Unsqueeze, batch_zeros, axes=[batch_zeros.rank])
    return emit(imp, ops.Add, v, column)


@import_op.register(SolveLUFactorTridiagonal)
@batched
def import_solve_lu_factor_tridiagonal(
    op: SolveLUFactorTridiagonal, node: Apply, imp: Importer
) -> list[Value]:
    """SolveLUFactorTridiagonal(b_ndim, transposed): gttrs with trans 'N' or 'T'; no
    singularity check (a zero pivot gives inf/NaN as the substitution makes them)."""
    dtype = node.outputs[0].type.dtype
    dl, d, du, du2 = (imp.cast(imp.value(v), dtype) for v in node.inputs[:4])
    ipiv = imp.value(node.inputs[4])
    b = imp.cast(imp.value(node.inputs[5]), dtype)
    if op.b_ndim == 1:
        b = emit(imp, ops.Unsqueeze, b, axes=[b.rank])
    zeros = emit(imp, ops.Expand, imp.constant(np.zeros((), dtype=dtype)), _batch(imp, d))
    for v in (dl, du, du2):
        zeros = emit(imp, ops.Expand, zeros, _batch(imp, v))
    zeros = emit(imp, ops.Expand, zeros, _batch(imp, imp.cast(ipiv, dtype)))
    rhs_batch = emit(imp, ops.Slice, emit(imp, ops.Shape, b), i64(imp, [0]),
                     i64(imp, [b.rank - 2]), i64(imp, [1]), axes=[0])  # fmt: skip
    zeros = emit(imp, ops.Expand, zeros, rhs_batch)
    dl, d, du, du2 = (_with_batch(imp, v, zeros) for v in (dl, d, du, du2))
    ipiv = emit(imp, ops.Expand, imp.cast(ipiv, "int64"), emit(imp, ops.Shape, d))
    b = emit(imp, ops.Expand, b, emit(imp, ops.Concat, emit(imp, ops.Shape, zeros),
                                      i64(imp, [1, 1]), axis=0))  # fmt: skip
    x = gttrs(imp, (dl, d, du, du2, ipiv), b, transposed=op.transposed)
    return [emit(imp, ops.Squeeze, x, axes=[x.rank - 1]) if op.b_ndim == 1 else x]


for _cls in (LUFactorTridiagonal, SolveLUFactorTridiagonal):
    REFUSED.pop(_cls, None)
