"""The matrix exponential (``Expm``, ``pt.linalg.expm``), core and Blockwise, decomposed at
import time into tir ops: scipy.linalg.expm's algorithm (Al-Mohy & Higham 2009, as scipy 1.18's
C code runs it), with the degree and the scaling chosen at run time for each matrix of a batch.

- Degree: the Padé degree m in (3, 5, 7, 9, 13) and the scaling s come from the infinity norms
  of A^4, A^6, A^8, A^10 (d_k = ||A^k||^(1/k); scipy's C code reads its column-major copy of A,
  so its "1-norm" is A's infinity norm) against the thresholds theta_m, and the backward-error
  bound ell_m from the 1-norm of |A|^(2m+1) reached by matrix-vector products from a vector of
  ones (scipy's "spins"). From n = 400 scipy estimates ||A^8||_1 and ||A^10||_1 (dlacn2); here
  they are exact 1-norms (the estimate is a lower bound: the degree chosen can differ in rare
  cases, the results agree to rounding either way).
- Padé: U and V as scipy forms them (degree 13 on A, A^2, A^4, A^6 scaled by 2^-s, 4^-s, ...),
  then exp(A) ≈ I + 2 (V - U)^-1 U (an LU solve with partial pivoting) and s squarings. For a
  triangular A each squaring rewrites the diagonal as exp(2^-i d) and the first off-diagonal by
  the exp-sinch formula (Code Fragment 2.1); a diagonal A gives diag(exp(d)) exactly.
- Non-finite entries: where scipy's C casts a NaN or infinite log2 to int (x86 gives INT_MIN,
  clamped to 0) the scaling here is 0 as well; the result is then whatever the Padé step gives
  (NaN), as there.

The gradient is PyTensor's own pullback: the upper-right block of expm of the 2n x 2n matrix
[[A.T, G], [0, A.T]] (a second Expm in the graph).
"""

from __future__ import annotations

import numpy as np
from pytensor.graph.basic import Apply
from pytensor.tensor.linalg.products import Expm

from compiler.frontend.extra_ops import dim_of, emit, i64
from compiler.frontend.graphs import REFUSED, batched
from compiler.frontend.importer import Importer, import_op
from compiler.frontend.nlinalg import lu_solve_general
from ir import ops
from ir.core import Block, Value, Yield
from ir.types import TensorType

#: theta_m of Al-Mohy & Higham (m = 3, 5, 7, 9) and scipy's 4.25 for the scaling of m = 13.
THETA = (1.495585217958292e-002, 2.539398330063230e-001, 9.504178996162932e-001,
         2.097847961257068e000, 4.25)  # fmt: skip
#: scipy's |c_(2m+1)| / u for the backward-error bound ell_m, by precision.
COEFF = {
    "float64": (1.1191048088221578e-11, 1.1167770708198077e-06, 4.9826124310493469e-01,
                6.5662862500000000e05, 1.2573361865339437e19),
    "float32": (6.0081481933593750e-03, 5.9956512451171875e02, 2.6750196800000000e08,
                3.5252480874905600e14, 6.7502722515508048e27),
}  # fmt: skip
#: Padé coefficients b_0 .. b_(m-1) (b_m = 1).
PADE = {
    3: (120.0, 60.0, 12.0),
    5: (30240.0, 15120.0, 3360.0, 420.0, 30.0),
    7: (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0),
    9: (17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0,
        110880.0, 3960.0, 90.0),
    13: (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
         129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
         40840800.0, 960960.0, 16380.0, 182.0),
}  # fmt: skip
#: From this size scipy estimates the norms of A^8 and A^10 (here: their exact 1-norms).
ESTIMATE_FROM = 400


class _Builder:
    """Emits the ops of one Expm on ``a`` (..., n, n)."""

    def __init__(self, imp: Importer, a: Value) -> None:
        self.imp, self.a, self.dtype = imp, a, a.dtype
        self.rank = a.rank
        self.n = dim_of(imp, a, self.rank - 1)
        idx = emit(imp, ops.Range, i64(imp, 0), self.n, i64(imp, 1))
        self.rows, self.cols = emit(imp, ops.Unsqueeze, idx, axes=[1]), idx
        self.eye_mask = emit(imp, ops.Eq, self.rows, self.cols)
        self.eye = imp.cast(self.eye_mask, self.dtype)

    def c(self, value: float) -> Value:
        return self.imp.constant(np.asarray(value, dtype=self.dtype))

    def op(self, cls: type, *operands: Value, **attrs: object) -> Value:
        return emit(self.imp, cls, *operands, **attrs)

    def mm(self, x: Value, y: Value) -> Value:
        return self.op(ops.MatMul, x, y)

    def axpy(self, terms: list[tuple[float | Value, Value]]) -> Value:
        """sum(coef * matrix) left to right (coef 1.0 is not multiplied)."""
        total = None
        for coef, m in terms:
            term = m if isinstance(coef, float) and coef == 1.0 else self.op(
                ops.Mul, coef if isinstance(coef, Value) else self.c(coef), m)  # fmt: skip
            total = term if total is None else self.op(ops.Add, total, term)
        assert total is not None
        return total

    def keep(self, x: Value, axes: list[int]) -> Value:
        return self.op(ops.ReduceMax, x, axes=axes, keepdims=True)

    def norm_inf(self, m: Value) -> Value:
        """max row sum of |m|, shape (..., 1, 1)."""
        rows = self.op(ops.ReduceSum, self.op(ops.Abs, m), axes=[self.rank - 1], keepdims=True)
        return self.keep(rows, [self.rank - 2])

    def norm_one(self, m: Value) -> Value:
        """max column sum of |m|, shape (..., 1, 1)."""
        cols = self.op(ops.ReduceSum, self.op(ops.Abs, m), axes=[self.rank - 2], keepdims=True)
        return self.keep(cols, [self.rank - 1])

    def root(self, x: Value, k: int) -> Value:
        return self.op(ops.Pow, x, self.c(1.0 / k))

    def ceil_log2_over(self, x: Value, k: int) -> Value:
        """ceil(log2(x) / k) as a float, exact at powers of two (the smallest integer j with
        x <= 2^(k j)); non-finite answers (x 0, inf, NaN) are left as they come."""
        guess = self.op(ops.Ceil, self.op(ops.Div, self.op(ops.Log2, x), self.c(float(k))))
        two = self.c(2.0)
        one = self.c(1.0)
        lower = self.op(ops.Sub, guess, one)
        fits_lower = self.op(ops.Le, x, self.op(ops.Pow, two, self.op(ops.Mul, lower, self.c(k))))
        guess = self.op(ops.Where, fits_lower, lower, guess)
        misses = self.op(ops.Gt, x, self.op(ops.Pow, two, self.op(ops.Mul, guess, self.c(k))))
        return self.op(ops.Where, misses, self.op(ops.Add, guess, one), guess)

    def finite_or_zero(self, x: Value) -> Value:
        """x where finite, else 0 (scipy's int cast of a NaN or inf, clamped at 0)."""
        bad = self.op(ops.BitwiseOr, self.op(ops.IsNan, x), self.op(ops.IsInf, x))
        return self.op(ops.Where, bad, self.c(0.0), x)


def expm(imp: Importer, a: Value) -> Value:
    """scipy.linalg.expm of each matrix of ``a`` (..., n, n), float32 or float64."""
    b = _Builder(imp, a)
    coeff = COEFF["float32" if a.dtype == "float32" else "float64"]
    zero, one = b.c(0.0), b.c(1.0)
    abs_a = b.op(ops.Abs, a)
    # Spins: w <- |A|^T w from a vector of ones, as a row: w <- w @ |A|.
    ones = b.op(ops.Expand, one, b.op(ops.Concat, i64(imp, [1]),
                                      b.op(ops.Unsqueeze, b.n, axes=[0]), axis=0))  # fmt: skip

    def spin(w: Value, times: int, matrix: Value = abs_a) -> Value:
        for _ in range(times):
            w = b.mm(w, matrix)
        return w

    w = spin(ones, 1)
    norm_a = b.keep(w, [b.rank - 1])
    a2 = b.mm(a, a)
    a4 = b.mm(a2, a2)
    a6 = b.mm(a4, a2)
    a8 = b.mm(a4, a4)
    a10 = b.mm(a6, a4)
    d4, d6 = b.root(b.norm_inf(a4), 4), b.root(b.norm_inf(a6), 6)
    large = b.op(ops.Ge, b.n, i64(imp, ESTIMATE_FROM))
    d8 = b.root(b.op(ops.Where, large, b.norm_one(a8), b.norm_inf(a8)), 8)
    d10 = b.root(b.op(ops.Where, large, b.norm_one(a10), b.norm_inf(a10)), 10)
    eta0 = b.op(ops.Maximum, d4, d6)
    eta2 = b.op(ops.Maximum, d6, d8)

    def bound_ok(w: Value, k: int) -> Value:
        # ell_m == 0: ceil(log2(max(w) / normA / coeff) / (2m)) <= 0, i.e. the ratio <= 1.
        ratio = b.op(ops.Div, b.op(ops.Div, b.keep(w, [b.rank - 1]), norm_a), b.c(coeff[k]))
        return b.op(ops.Le, ratio, one)

    w7 = spin(w, 6)
    w11 = spin(w7, 4)
    w15 = spin(w11, 4)
    w19 = spin(w15, 4)
    picks = [
        b.op(ops.BitwiseAnd, b.op(ops.Lt, eta, b.c(THETA[k])), bound_ok(wk, k))
        for k, (eta, wk) in enumerate(((eta0, w7), (eta0, w11), (eta2, w15), (eta2, w19)))
    ]
    # Scaling for m = 13: s = max(0, ceil(log2(min(eta2, eta3) / 4.25))) plus ell_13.
    eta4 = b.op(ops.Minimum, eta2, b.op(ops.Maximum, d8, d10))
    s = b.op(ops.Maximum, b.finite_or_zero(b.ceil_log2_over(b.op(ops.Div, eta4, b.c(THETA[4])), 1)),
             zero)  # fmt: skip
    halves = b.op(ops.Pow, b.c(2.0), b.op(ops.Neg, s))
    w27 = spin(b.op(ops.Mul, w19, b.op(ops.Pow, halves, b.c(19.0))), 8,
               b.op(ops.Mul, abs_a, halves))  # fmt: skip
    ratio = b.op(ops.Div, b.op(ops.Div, b.keep(w27, [b.rank - 1]), b.op(ops.Mul, norm_a, halves)),
                 b.c(coeff[4]))  # fmt: skip
    s = b.op(ops.Add, s, b.op(ops.Maximum, b.finite_or_zero(b.ceil_log2_over(ratio, 26)), zero))
    # The degree: the first of 3, 5, 7, 9 whose test passes, else 13 (then s applies).
    low = picks[0]
    for p in picks[1:]:
        low = b.op(ops.BitwiseOr, low, p)
    s = b.op(ops.Where, low, zero, s)

    u_low, v_low = _pade_low(b, a, [b.eye, a2, a4, a6, a8], picks)
    u13, v13 = _pade13(b, a, a2, a4, a6, s)
    u = b.op(ops.Where, low, u_low, u13)
    v = b.op(ops.Where, low, v_low, v13)
    x = lu_solve_general(imp, b.op(ops.Sub, v, u), u)
    x = b.op(ops.Add, b.op(ops.Mul, b.c(2.0), x), b.eye)
    x = _square(b, a, x, s)
    return _diagonal_case(b, a, x)


def _pade_low(
    b: _Builder, a: Value, powers: list[Value], picks: list[Value]
) -> tuple[Value, Value]:
    """U and V of the Padé approximant of degree 3, 5, 7 or 9 (the first pick that holds):
    U = A @ (A^(m-1) + b_(m-2) A^(m-3) + ... + b_1 I), V = b_(m-1) A^(m-1) + ... + b_0 I, with
    the coefficients of the chosen degree gathered per matrix (unused powers times 0)."""
    degrees = (3, 5, 7, 9)
    # Coefficients by degree, highest power first, for U (odd b) and V (even b).
    u_table = np.zeros((4, 5))
    v_table = np.zeros((4, 5))
    for row, m in enumerate(degrees):
        full = (*PADE[m], 1.0)
        for k in range(m // 2 + 1):
            u_table[row, k] = full[2 * k + 1]
            v_table[row, k] = full[2 * k]
    # Row of the chosen degree: 3 - (number of picks that hold from the first one on), as a
    # cascade of Wheres from the last degree to the first.
    index = b.imp.constant(np.asarray(3, dtype="int64"))
    for row in (2, 1, 0):
        index = b.op(ops.Where, picks[row], i64(b.imp, row), index)

    def coefficients(table: np.ndarray, k: int) -> Value:
        column = b.imp.constant(table[:, k].astype(b.dtype))
        return b.op(ops.Gather, column, index, axis=0)  # (..., 1, 1)

    # Highest power first, as scipy adds them (b_m = 1 on the top power of U's factor).
    order = [4, 3, 2, 1, 0]
    inner = b.axpy([(coefficients(u_table, k), powers[k]) for k in order])
    v = b.axpy([(coefficients(v_table, k), powers[k]) for k in order])
    return b.mm(a, inner), v


def _pade13(
    b: _Builder, a: Value, a2: Value, a4: Value, a6: Value, s: Value
) -> tuple[Value, Value]:
    """U and V of degree 13 on the scaled powers (A 2^-s, A^2 4^-s, A^4 16^-s, A^6 64^-s)."""
    c = PADE[13]

    def scaled(x: Value, base: float) -> Value:
        return b.op(ops.Mul, x, b.op(ops.Pow, b.c(base), b.op(ops.Neg, s)))

    a1, a2, a4, a6 = scaled(a, 2.0), scaled(a2, 4.0), scaled(a4, 16.0), scaled(a6, 64.0)
    eye = b.eye
    m_work = b.axpy([(1.0, a6), (c[11], a4), (c[9], a2)])
    n_part = b.axpy([(c[7], a6), (c[5], a4), (c[3], a2), (c[1], eye)])
    q = b.axpy([(c[12], a6), (c[10], a4), (c[8], a2)])
    r = b.axpy([(c[6], a6), (c[4], a4), (c[2], a2), (c[0], eye)])
    v = b.op(ops.Add, b.mm(a6, q), r)
    u = b.mm(a1, b.op(ops.Add, b.mm(a6, m_work), n_part))
    return u, v


def _square(b: _Builder, a: Value, x: Value, s: Value) -> Value:
    """x squared s times (s per matrix; a loop to the largest s), with the triangular
    diagonal and first off-diagonal rewritten after each squaring (Fragment 2.1)."""
    imp = b.imp
    rank = b.rank
    zero = b.c(0.0)
    lower_part = b.op(ops.Gt, b.rows, b.cols)
    upper_part = b.op(ops.Lt, b.rows, b.cols)

    def all_zero(mask: Value) -> Value:
        nonzero = b.op(ops.BitwiseAnd, mask, b.op(ops.Ne, a, zero))
        return b.op(ops.Invert, b.op(ops.ReduceAny, nonzero, axes=[rank - 2, rank - 1],
                                     keepdims=True))  # fmt: skip

    no_upper, no_lower = all_zero(upper_part), all_zero(lower_part)
    triangular = b.op(ops.BitwiseOr, no_upper, no_lower)
    d = _diag(b, a, 0)  # (..., n)
    sub, sup = _diag(b, a, -1), _diag(b, a, 1)  # (..., n - 1)
    off = b.op(ops.Where, b.op(ops.Squeeze, no_upper, axes=[rank - 1]), sub, sup)
    sub_mask = b.op(ops.Eq, b.rows, b.op(ops.Add, b.cols, i64(imp, 1)))
    sup_mask = b.op(ops.Eq, b.cols, b.op(ops.Add, b.rows, i64(imp, 1)))
    trip = imp.cast(b.op(ops.ReduceMax, s, axes=list(range(rank)), keepdims=False), "int64")

    body = Block(args=[Value(TensorType("int64", ())), Value(TensorType("bool", ())),
                       Value(x.type)])  # fmt: skip
    i, cond, carried = body.args
    with imp.building(body):
        squared = b.mm(carried, carried)
        step = imp.cast(i, b.dtype)
        active = b.op(ops.Lt, step, s)  # (..., 1, 1)
        level = b.op(ops.Sub, b.op(ops.Sub, s, b.c(1.0)), step)  # scipy's iter
        scale = b.op(ops.Pow, b.c(2.0), b.op(ops.Neg, level))
        scale_v = b.op(ops.Squeeze, scale, axes=[rank - 1])  # (..., 1)
        di = b.op(ops.Mul, d, scale_v)
        exp_d = b.op(ops.Exp, di)
        first = _slice_last(b, di, 0, -1)
        second = _slice_last(b, di, 1, None)
        exp_first = _slice_last(b, exp_d, 0, -1)
        diff = b.op(ops.Sub, second, first)
        sinch = b.op(ops.Div, b.op(ops.Sub, _slice_last(b, exp_d, 1, None), exp_first), diff)
        sinch = b.op(ops.Where, b.op(ops.Eq, diff, zero), exp_first, sinch)
        f = b.op(ops.Mul, b.op(ops.Mul, sinch, off), scale_v)  # (..., n - 1)
        pad = b.op(ops.Expand, zero, b.op(ops.Shape, _slice_last(b, di, 0, 1)))
        f = b.op(ops.Concat, f, pad, axis=rank - 2)  # (..., n): f[i] for (i+1, i) / (i, i+1)
        fixed = b.op(ops.Where, b.eye_mask, b.op(ops.Unsqueeze, exp_d, axes=[rank - 2]), squared)
        lower_fix = b.op(ops.Where, sub_mask, b.op(ops.Unsqueeze, f, axes=[rank - 2]), fixed)
        upper_fix = b.op(ops.Where, sup_mask, b.op(ops.Unsqueeze, f, axes=[rank - 1]), fixed)
        fixed = b.op(ops.Where, no_upper, lower_fix, upper_fix)
        nxt = b.op(ops.Where, triangular, fixed, squared)
        nxt = b.op(ops.Where, active, nxt, carried)
        body.append(Yield([cond, nxt]))
    true = imp.constant(np.asarray(True))
    return imp.emit_op(ops.Loop, [trip, true, x], regions=[body]).results[0]


def _diagonal_case(b: _Builder, a: Value, x: Value) -> Value:
    """diag(exp(diag(a))) (exact zeros off the diagonal) where a is diagonal, else x."""
    rank = b.rank
    off = b.op(ops.BitwiseAnd, b.op(ops.Invert, b.eye_mask), b.op(ops.Ne, a, b.c(0.0)))
    diagonal = b.op(ops.Invert, b.op(ops.ReduceAny, off, axes=[rank - 2, rank - 1],
                                     keepdims=True))  # fmt: skip
    exp_d = b.op(ops.Unsqueeze, b.op(ops.Exp, _diag(b, a, 0)), axes=[rank - 2])
    only_diagonal = b.op(ops.Where, b.eye_mask, exp_d, b.c(0.0))
    return b.op(ops.Where, diagonal, only_diagonal, x)


def _diag(b: _Builder, x: Value, offset: int) -> Value:
    from compiler.frontend.slinalg import _diagonal

    return _diagonal(b.imp, x, offset)


def _slice_last(b: _Builder, x: Value, start: int, stop: int | None) -> Value:
    end = np.iinfo(np.int64).max if stop is None else stop
    return b.op(ops.Slice, x, i64(b.imp, [start]), i64(b.imp, [end]), i64(b.imp, [1]),
                axes=[x.rank - 1])  # fmt: skip


@import_op.register(Expm)
@batched
def import_expm(op: Expm, node: Apply, imp: Importer) -> list[Value]:
    """Expm: scipy.linalg.expm (see the module docstring), in the output dtype (float64 for
    integer input, float32 stays float32 with scipy's single-precision bounds)."""
    dtype = node.outputs[0].type.dtype
    return [expm(imp, imp.cast(imp.value(node.inputs[0]), dtype))]


REFUSED.pop(Expm, None)
