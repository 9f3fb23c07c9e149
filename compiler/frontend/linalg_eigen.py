"""Symmetric eigenvalues and singular values by Jacobi methods, decomposed at import time into a
tir.loop: Eigvalsh and Eigh's eigenvalues (two-sided cyclic Jacobi), SVD's singular values
(one-sided Jacobi, Hestenes), MatrixPinv (V diag(1/s) U^T, numpy's cutoff), as the core ops
and as Blockwises over any batch axes. Eigenvectors and singular vectors are refused as
outputs: their signs are whatever LAPACK's dsyevr/dgesdd leave, which is no convention that
can be reproduced (A's eigenvectors are determined up to sign only).

Both methods rotate disjoint pairs of rows/columns at once, in the round-robin (circle) order:
n - 1 rounds of n / 2 pairs make a sweep (a zero row and column pad an odd n: never rotated).
A pair is rotated only when it is not yet converged in the relative sense of Demmel and Veselic
(|a_pq| > n eps sqrt(|a_pp a_qq|) for eigenvalues, |a_p . a_q| > sqrt(m) eps ||a_p|| ||a_q|| for
singular values, LAPACK's dgesvj test); the loop stops after the first sweep that rotates
nothing, so the result satisfies the test for every pair (at most MAX_SWEEPS sweeps; quadratic
convergence needs 6-10 for n <= 100, measured in BENCHMARKS.md). Jacobi's eigenvalues and
singular values are accurate to a few ulps relative to ||A|| (small ones often to a few ulps of
themselves); LAPACK's are to about n ulps of ||A||: the two agree to that normwise bound.
The loops work in float64 whatever the graph's dtype (float32 results are the float64
ones rounded: in float32 the stopping test alone would leave errors near 1e-5 at n = 100).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pytensor.graph.basic import Apply, Variable
from pytensor.tensor import linalg as L
from pytensor.tensor.linalg.solvers.lstsq import Lstsq

from compiler.frontend.extra_ops import dim_of, emit, i64
from compiler.frontend.graphs import REFUSED, batched, refuse
from compiler.frontend.importer import Importer, Unsupported, import_op
from compiler.frontend.linalg_loops import (
    batch_shape,
    eye_like,
    indices,
    loop,
    scalar,
    swap_last,
)
from compiler.frontend.linalg_signs import COLUMN, ROW, sign_invariant
from ir import ops
from ir.core import Block, Value, Yield

#: Sweeps after which the loop stops even if some pair is not converged (never reached in the
#: tests: see the module docstring).
MAX_SWEEPS = 40


def _unsqueeze(imp: Importer, x: Value, *axes: int) -> Value:
    return emit(imp, ops.Unsqueeze, x, axes=list(axes))


def _pad_even(imp: Importer, a: Value, both: bool) -> tuple[Value, Value]:
    """a with a zero column (and row, with ``both``) appended when its column count is odd,
    and that padded count."""
    rank = a.rank
    n = dim_of(imp, a, rank - 1)
    extra = emit(imp, ops.Mod, n, i64(imp, 2))
    zero = scalar(imp, 0.0, a.dtype)
    rows = _unsqueeze(imp, dim_of(imp, a, rank - 2), 0)
    col_shape = emit(imp, ops.Concat, batch_shape(imp, a, 2), rows, _unsqueeze(imp, extra, 0),
                     axis=0)  # fmt: skip
    a = emit(imp, ops.Concat, a, emit(imp, ops.Expand, zero, col_shape), axis=rank - 1)
    m = emit(imp, ops.Add, n, extra)
    if both:
        row_shape = emit(imp, ops.Concat, batch_shape(imp, a, 2), _unsqueeze(imp, extra, 0),
                         _unsqueeze(imp, m, 0), axis=0)  # fmt: skip
        a = emit(imp, ops.Concat, a, emit(imp, ops.Expand, zero, row_shape), axis=rank - 2)
    return a, m


def _circle(imp: Importer, m: Value) -> Value:
    """The permutation (new position -> old position, (m,) int64) that moves the indices one
    round of the circle method on, with the pairs at positions (2i, 2i + 1): the index at
    position 0 stays, the others move along the cycle 1 -> 3 -> ... -> m - 1 -> m - 2 -> ...
    -> 2 -> 1 (bottom row to the left, top row to the right). After m - 1 rounds every two
    indices have met at one pair of positions once, and all are back where they started."""
    j = indices(imp, m)
    i = emit(imp, ops.IntDiv, j, i64(imp, 2))
    h = emit(imp, ops.IntDiv, m, i64(imp, 2))
    two_i = emit(imp, ops.Mul, i, i64(imp, 2))
    even = emit(imp, ops.Where, emit(imp, ops.Le, i, i64(imp, 1)), i,
                emit(imp, ops.Sub, two_i, i64(imp, 2)))  # fmt: skip
    last = emit(imp, ops.Where, emit(imp, ops.Ge, h, i64(imp, 2)),
                emit(imp, ops.Sub, m, i64(imp, 2)), i64(imp, 1))  # fmt: skip
    odd = emit(imp, ops.Where, emit(imp, ops.Eq, i, emit(imp, ops.Sub, h, i64(imp, 1))), last,
               emit(imp, ops.Add, two_i, i64(imp, 3)))  # fmt: skip
    is_even = emit(imp, ops.Eq, emit(imp, ops.Mod, j, i64(imp, 2)), i64(imp, 0))
    return emit(imp, ops.Where, is_even, even, odd)


def _shape(imp: Importer, x: Value, core: int, *dims: Value) -> Value:
    """x's batch shape (all but the last ``core`` axes) followed by ``dims``."""
    return emit(imp, ops.Concat, batch_shape(imp, x, core),
                *(_unsqueeze(imp, d, 0) for d in dims), axis=0)  # fmt: skip


def _rotate_pairs(imp: Importer, x: Value, c: Value, s: Value, axis: int, split: Value) -> Value:
    """x with its rows (axis -2) or columns (axis -1) 2i and 2i + 1 replaced by c_i x_2i -
    s_i x_2i+1 and s_i x_2i + c_i x_2i+1 (c, s: (..., h)). ``split`` is x's shape with that
    axis split into (h, 2)."""
    rank = x.rank
    pair_axis = rank - 1 if axis == -2 else rank  # the axis of size 2 in the split shape
    split_x = emit(imp, ops.Reshape, x, split)
    xp = emit(imp, ops.Gather, split_x, i64(imp, 0), axis=pair_axis)
    xq = emit(imp, ops.Gather, split_x, i64(imp, 1), axis=pair_axis)
    # c, s broadcast along the other matrix axis.
    c, s = (_unsqueeze(imp, v, rank - 1 if axis == -2 else rank - 2) for v in (c, s))
    new_p = emit(imp, ops.Sub, emit(imp, ops.Mul, c, xp), emit(imp, ops.Mul, s, xq))
    new_q = emit(imp, ops.Add, emit(imp, ops.Mul, s, xp), emit(imp, ops.Mul, c, xq))
    stacked = emit(imp, ops.Concat, _unsqueeze(imp, new_p, pair_axis),
                   _unsqueeze(imp, new_q, pair_axis), axis=pair_axis)  # fmt: skip
    return emit(imp, ops.Reshape, stacked, emit(imp, ops.Shape, x))


def _interleave(imp: Importer, a: Value, b: Value, full: Value) -> Value:
    """(..., 2h) with a at the even and b at the odd positions (a, b: (..., h))."""
    last = a.rank
    both = emit(imp, ops.Concat, _unsqueeze(imp, a, last), _unsqueeze(imp, b, last), axis=last)
    return emit(imp, ops.Reshape, both, full)


def _rotation(
    imp: Importer, theta_num: Value, theta_den: Value, rotate: Value
) -> tuple[Value, Value, Value]:
    """(t, c, s) of the Jacobi rotation with cot(2 phi) = theta = theta_num / (2 theta_den)
    (Rutishauser): t = sign(theta) / (|theta| + sqrt(1 + theta^2)), c = 1 / sqrt(1 + t^2),
    s = t c; t = 1 / (2 theta) where theta^2 would overflow; the identity (0, 1, 0) where not
    ``rotate``."""
    dtype = theta_num.dtype
    zero, one, two = (scalar(imp, v, dtype) for v in (0.0, 1.0, 2.0))
    den = emit(imp, ops.Where, rotate, theta_den, one)
    theta = emit(imp, ops.Div, theta_num, emit(imp, ops.Mul, two, den))
    size = emit(imp, ops.Abs, theta)
    root = emit(imp, ops.Sqrt, emit(imp, ops.Add, one, emit(imp, ops.Mul, theta, theta)))
    huge = emit(imp, ops.Gt, size, scalar(imp, np.sqrt(np.finfo(dtype).max) / 4, dtype))
    magnitude = emit(imp, ops.Where, huge, emit(imp, ops.Mul, two, size),
                     emit(imp, ops.Add, size, root))  # fmt: skip
    t = emit(imp, ops.Div, one, magnitude)
    t = emit(imp, ops.Where, emit(imp, ops.Lt, theta, zero), emit(imp, ops.Neg, t), t)
    t = emit(imp, ops.Where, rotate, t, zero)
    c = emit(
        imp, ops.Div, one, emit(imp, ops.Sqrt, emit(imp, ops.Add, one, emit(imp, ops.Mul, t, t)))
    )
    s = emit(imp, ops.Mul, t, c)
    return t, c, s


def _sweep_control(
    imp: Importer, i: Value, rounds: Value, rotated: Value, flag: Value
) -> tuple[Value, Value]:
    """(continue?, next flag) after round ``i``: the flag collects whether any pair of any
    matrix was rotated in the current sweep; the loop stops at the end of a sweep without one
    (then every pair passed the test in one unchanged matrix)."""
    axes = list(range(rotated.rank))
    any_now = emit(imp, ops.ReduceAny, rotated, axes=axes, keepdims=False)
    flag = emit(imp, ops.BitwiseOr, flag, any_now)
    end = emit(imp, ops.Eq, emit(imp, ops.Mod, i, rounds), emit(imp, ops.Sub, rounds, i64(imp, 1)))
    not_end = emit(imp, ops.Eq, end, imp.constant(np.asarray(False)))
    return emit(imp, ops.BitwiseOr, not_end, flag), emit(imp, ops.BitwiseAnd, flag, not_end)


def _eps(dtype: str) -> float:
    return float(np.finfo(dtype).eps)


def _loop_bounds(imp: Importer, m: Value) -> tuple[Value, Value]:
    """(rounds per sweep, trip count) for m (even) indices."""
    rounds = emit(imp, ops.Maximum, emit(imp, ops.Sub, m, i64(imp, 1)), i64(imp, 1))
    return rounds, emit(imp, ops.Mul, rounds, i64(imp, MAX_SWEEPS))


def jacobi_eigh(imp: Importer, a: Value, vectors: bool) -> tuple[Value, Value | None]:
    """Eigenvalues (unsorted, (..., n)) and, with ``vectors``, eigenvectors (columns, (..., n,
    n), signs arbitrary) of the symmetric matrices ``a`` (..., n, n) (both triangles read).

    A round rotates each pair of positions (2i, 2i + 1) with |a_pq| > n eps sqrt(|a_pp a_qq|):
    a <- J^T a J (rows, then columns), then sets a_pq = a_qp = 0, a_pp -= t a_pq and
    a_qq += t a_pq exactly (the classical update formulas), and moves the indices on by the
    circle permutation (rows and columns), so that a sweep meets every pair once and ends in
    the original order."""
    rank = a.rank
    n = dim_of(imp, a, rank - 1)
    padded, m = _pad_even(imp, a, both=True)
    rounds, trip = _loop_bounds(imp, m)
    dtype = a.dtype
    zero = scalar(imp, 0.0, dtype)
    tol = emit(imp, ops.Mul, scalar(imp, _eps(dtype), dtype),
               emit(imp, ops.Maximum, imp.cast(n, dtype), scalar(imp, 1.0, dtype)))  # fmt: skip
    tiny = scalar(imp, float(np.finfo(dtype).tiny), dtype)
    h = emit(imp, ops.IntDiv, m, i64(imp, 2))
    two = i64(imp, 2)
    perm = _circle(imp, m)
    pos = indices(imp, m)
    eye = emit(imp, ops.Eq, _unsqueeze(imp, pos, 1), pos)
    block = emit(imp, ops.Eq, _unsqueeze(imp, emit(imp, ops.IntDiv, pos, two), 1),
                 emit(imp, ops.IntDiv, pos, two))  # fmt: skip
    diag_at = emit(imp, ops.Expand, _unsqueeze(imp, pos, 1), _shape(imp, padded, 2, m, i64(imp, 1)))
    odd = emit(imp, ops.Add, emit(imp, ops.Mul, indices(imp, h), two), i64(imp, 1))
    odd_at = emit(imp, ops.Expand, _unsqueeze(imp, odd, 1), _shape(imp, padded, 2, h, i64(imp, 1)))
    split_rows = _shape(imp, padded, 2, h, two, m)
    split_cols = _shape(imp, padded, 2, m, h, two)
    vector_shape = _shape(imp, padded, 2, m)
    inits = [padded, imp.constant(np.asarray(False))]
    if vectors:
        inits.append(eye_like(imp, padded, m, m))

    def step(i: Value, carried: list[Value]) -> tuple[Value, list[Value]]:
        x, flag, *v = carried
        d = emit(imp, ops.Squeeze, emit(imp, ops.GatherElements, x, diag_at, axis=rank - 1),
                 axes=[rank - 1])  # fmt: skip
        pairs = emit(imp, ops.Reshape, d, _shape(imp, padded, 2, h, two))
        app = emit(imp, ops.Gather, pairs, i64(imp, 0), axis=rank - 1)
        aqq = emit(imp, ops.Gather, pairs, i64(imp, 1), axis=rank - 1)
        rows_p = emit(imp, ops.Gather, emit(imp, ops.Reshape, x, split_rows), i64(imp, 0),
                      axis=rank - 1)  # (..., h, m)  # fmt: skip
        apq = emit(imp, ops.Squeeze, emit(imp, ops.GatherElements, rows_p, odd_at, axis=rank - 1),
                   axes=[rank - 1])  # fmt: skip
        root = emit(imp, ops.Mul, emit(imp, ops.Sqrt, emit(imp, ops.Abs, app)),
                    emit(imp, ops.Sqrt, emit(imp, ops.Abs, aqq)))  # fmt: skip
        bound = emit(imp, ops.Add, emit(imp, ops.Mul, tol, root), tiny)  # tiny: underflow
        rotate = emit(imp, ops.Gt, emit(imp, ops.Abs, apq), bound)
        t, c, s = _rotation(imp, emit(imp, ops.Sub, aqq, app), apq, rotate)
        x = _rotate_pairs(imp, x, c, s, -2, split_rows)
        x = _rotate_pairs(imp, x, c, s, -1, split_cols)
        # The pair's 2 x 2 block exactly, where rotated: diag(a_pp - t a_pq, a_qq + t a_pq).
        shift = emit(imp, ops.Mul, t, apq)
        new_diag = _interleave(imp, emit(imp, ops.Sub, app, shift), emit(imp, ops.Add, aqq, shift),
                               vector_shape)  # fmt: skip
        rotated = _interleave(imp, rotate, rotate, vector_shape)
        mask = emit(imp, ops.BitwiseAnd, block, _unsqueeze(imp, rotated, rank - 1))
        exact = emit(imp, ops.Where, eye, _unsqueeze(imp, new_diag, rank - 2), zero)
        x = emit(imp, ops.Where, mask, exact, x)
        x = emit(imp, ops.Gather, emit(imp, ops.Gather, x, perm, axis=rank - 2), perm,
                 axis=rank - 1)  # fmt: skip
        go_on, flag = _sweep_control(imp, i, rounds, rotate, flag)
        nxt = [x, flag]
        if vectors:
            turned = _rotate_pairs(imp, v[0], c, s, -1, split_cols)
            nxt.append(emit(imp, ops.Gather, turned, perm, axis=rank - 1))
        return go_on, nxt

    results = loop(imp, trip, inits, step)
    values = _take(imp, _diag(imp, results[0], m), n, rank - 2)
    vecs = None
    if vectors:
        vecs = _take(imp, _take(imp, results[2], n, rank - 1), n, rank - 2)
    return values, vecs


def jacobi_svd(imp: Importer, a: Value) -> tuple[Value, Value]:
    """One-sided Jacobi of the tall matrices ``a`` (..., m, n), m >= n: (W, V) with W = a V
    having orthogonal columns (the singular values are their norms, unsorted) and V (..., n, n)
    orthogonal. The pair of columns at positions (2i, 2i + 1) is rotated when |w_p . w_q| >
    sqrt(m) eps ||w_p|| ||w_q|| (the norms recomputed from the columns every round, as
    dgesvj's accurate variant); then the columns move on by the circle permutation."""
    rank = a.rank
    rows = dim_of(imp, a, rank - 2)
    n = dim_of(imp, a, rank - 1)
    padded, m = _pad_even(imp, a, both=False)
    rounds, trip = _loop_bounds(imp, m)
    dtype = a.dtype
    tol = emit(imp, ops.Mul, scalar(imp, _eps(dtype), dtype),
               emit(imp, ops.Sqrt, emit(imp, ops.Maximum, imp.cast(rows, dtype),
                                         scalar(imp, 1.0, dtype))))  # fmt: skip
    tiny = scalar(imp, float(np.finfo(dtype).tiny), dtype)
    h = emit(imp, ops.IntDiv, m, i64(imp, 2))
    two = i64(imp, 2)
    perm = _circle(imp, m)
    split_w = _shape(imp, padded, 2, rows, h, two)
    split_v = _shape(imp, padded, 2, m, h, two)
    inits = [padded, imp.constant(np.asarray(False)), eye_like(imp, padded, m, m)]

    def step(i: Value, carried: list[Value]) -> tuple[Value, list[Value]]:
        w, flag, v = carried
        split = emit(imp, ops.Reshape, w, split_w)
        wp = emit(imp, ops.Gather, split, i64(imp, 0), axis=rank)  # (..., rows, h)
        wq = emit(imp, ops.Gather, split, i64(imp, 1), axis=rank)

        def dot(x: Value, y: Value) -> Value:
            return emit(imp, ops.ReduceSum, emit(imp, ops.Mul, x, y), axes=[rank - 2],
                        keepdims=False)  # fmt: skip

        alpha, beta, gamma = dot(wp, wp), dot(wq, wq), dot(wp, wq)
        root = emit(imp, ops.Mul, emit(imp, ops.Sqrt, alpha), emit(imp, ops.Sqrt, beta))
        bound = emit(imp, ops.Add, emit(imp, ops.Mul, tol, root), tiny)  # tiny: underflow
        rotate = emit(imp, ops.Gt, emit(imp, ops.Abs, gamma), bound)
        _, c, s = _rotation(imp, emit(imp, ops.Sub, beta, alpha), gamma, rotate)
        w = emit(imp, ops.Gather, _rotate_pairs(imp, w, c, s, -1, split_w), perm, axis=rank - 1)
        v = emit(imp, ops.Gather, _rotate_pairs(imp, v, c, s, -1, split_v), perm, axis=rank - 1)
        go_on, flag = _sweep_control(imp, i, rounds, rotate, flag)
        return go_on, [w, flag, v]

    w, _, v = loop(imp, trip, inits, step)
    return _take(imp, w, n, rank - 1), _take(imp, _take(imp, v, n, rank - 1), n, rank - 2)


def _diag(imp: Importer, x: Value, m: Value) -> Value:
    """x[..., i, i] for i < m along a new last axis."""
    idx = indices(imp, m)
    shape = emit(imp, ops.Concat, batch_shape(imp, x, 2), _unsqueeze(imp, m, 0), i64(imp, [1]),
                 axis=0)  # fmt: skip
    rows = emit(imp, ops.Expand, _unsqueeze(imp, idx, 1), shape)
    return emit(imp, ops.Squeeze, emit(imp, ops.GatherElements, x, rows, axis=x.rank - 1),
                axes=[x.rank - 1])  # fmt: skip


def _take(imp: Importer, x: Value, count: Value, axis: int) -> Value:
    """x's first ``count`` entries along ``axis``."""
    return emit(imp, ops.Slice, x, i64(imp, [0]), _unsqueeze(imp, count, 0), i64(imp, [1]),
                axes=[axis])  # fmt: skip


def _column_norms(imp: Importer, w: Value) -> Value:
    """||w[..., :, j]|| (..., n), summed in float64 for narrower floats (a float32 sum of n
    squares would carry n / 2 ulps of rounding into every singular value)."""
    wide = imp.cast(w, "float64")
    squares = emit(imp, ops.ReduceSum, emit(imp, ops.Mul, wide, wide), axes=[w.rank - 2],
                   keepdims=False)  # fmt: skip
    return imp.cast(emit(imp, ops.Sqrt, squares), w.dtype)


def _power_of_two_scale(imp: Importer, a: Value) -> Value:
    """2^floor(log2(max |a|)) per matrix (..., 1, 1), 1 for a zero matrix: dividing by it is
    exact and keeps the squared column norms from overflowing or underflowing."""
    rank = a.rank
    big = emit(imp, ops.ReduceMax, emit(imp, ops.Abs, a), axes=[rank - 2, rank - 1], keepdims=True)
    one = scalar(imp, 1.0, a.dtype)
    finite = emit(imp, ops.BitwiseAnd, emit(imp, ops.Gt, big, scalar(imp, 0.0, a.dtype)),
                  emit(imp, ops.Lt, big, scalar(imp, np.inf, a.dtype)))  # fmt: skip
    safe = emit(imp, ops.Where, finite, big, one)
    exponent = emit(imp, ops.Floor, emit(imp, ops.Log2, safe))
    return emit(imp, ops.Pow, scalar(imp, 2.0, a.dtype), exponent)


def _tall_or_wide(
    imp: Importer, a: Value, build: Callable[[Value, bool], list[Value]]
) -> list[Value]:
    """``build(x, transposed)`` on the tall matrix x = a (m >= n) or x = a.mT (m < n): chosen
    at import time for static shapes, else by a tir.if on the runtime shape."""
    rank = a.rank
    m, n = a.shape[rank - 2], a.shape[rank - 1]
    if isinstance(m, int) and isinstance(n, int):
        return build(a, False) if m >= n else build(swap_last(imp, a), True)
    cond = emit(imp, ops.Ge, dim_of(imp, a, rank - 2), dim_of(imp, a, rank - 1))
    branches = []
    for transposed in (False, True):
        block = Block()
        with imp.building(block):
            block.append(Yield(build(swap_last(imp, a) if transposed else a, transposed)))
        branches.append(block)
    return list(imp.emit_op(ops.If, [cond], regions=branches).results)


def _sort_columns(imp: Importer, x: Value, order: Value) -> Value:
    """x[..., :, order] per matrix (``order`` (..., k) indexes x's columns)."""
    where = emit(imp, ops.Expand, _unsqueeze(imp, order, order.rank - 1), emit(imp, ops.Shape, x))
    return emit(imp, ops.GatherElements, x, where, axis=x.rank - 1)


def svd(imp: Importer, a: Value, vectors: bool) -> list[Value]:
    """numpy.linalg.svd(a, full_matrices=False): [s] (descending), or [U (m, k), s, V^T (k, n)]
    with ``vectors``; the vectors' signs are the Jacobi iteration's (not LAPACK's), and a zero
    singular value's column of U is zero (LAPACK's completes an orthonormal basis there)."""

    def build(x: Value, transposed: bool) -> list[Value]:
        rank = x.rank
        scale = _power_of_two_scale(imp, x)
        w, v = jacobi_svd(imp, emit(imp, ops.Div, x, scale))
        scaled_sigma = _column_norms(imp, w)
        sigma = emit(imp, ops.Mul, scaled_sigma, emit(imp, ops.Squeeze, scale, axes=[rank - 1]))
        # Descending: the ascending sort of -sigma (exact), negated back.
        order = emit(imp, ops.Argsort, emit(imp, ops.Neg, sigma), axis=rank - 2)
        sigma = emit(imp, ops.GatherElements, sigma, order, axis=rank - 2)
        if not vectors:
            return [sigma]
        zero, one = scalar(imp, 0.0, x.dtype), scalar(imp, 1.0, x.dtype)
        nonzero = emit(imp, ops.Gt, scaled_sigma, zero)
        safe = emit(imp, ops.Where, nonzero, scaled_sigma, one)
        u = emit(imp, ops.Where, _unsqueeze(imp, nonzero, rank - 2),
                 emit(imp, ops.Div, w, _unsqueeze(imp, safe, rank - 2)), zero)  # fmt: skip
        u, v = _sort_columns(imp, u, order), _sort_columns(imp, v, order)
        if transposed:  # x = a^T = U' S V'^T: a = V' S U'^T
            return [v, sigma, swap_last(imp, u)]
        return [u, sigma, swap_last(imp, v)]

    return _tall_or_wide(imp, a, build)


def singular_values(imp: Importer, a: Value) -> Value:
    """numpy.linalg.svd(a, compute_uv=False): the min(m, n) singular values, descending."""
    return svd(imp, a, vectors=False)[0]


def pinv(imp: Importer, a: Value, rcond: Value) -> tuple[Value, Value, Value]:
    """numpy.linalg.pinv(a, rcond): V diag(1/s) U^T over the singular values s > rcond max(s)
    (the others count as zero), computed as V diag(1/s^2) W^T with W = a V = U diag(s); also
    the singular values (descending) and how many were kept (int64), for lstsq."""

    def build(x: Value, transposed: bool) -> list[Value]:
        rank = x.rank
        scale = _power_of_two_scale(imp, x)
        w, v = jacobi_svd(imp, emit(imp, ops.Div, x, scale))
        sigma = _column_norms(imp, w)
        largest = emit(imp, ops.ReduceMax, sigma, axes=[rank - 2], keepdims=True)
        cutoff = emit(imp, ops.Mul, imp.cast(rcond, x.dtype), largest)
        kept = emit(imp, ops.Gt, sigma, cutoff)
        one, zero = scalar(imp, 1.0, x.dtype), scalar(imp, 0.0, x.dtype)
        safe = emit(imp, ops.Where, kept, sigma, one)
        inverse = emit(imp, ops.Where, kept, emit(imp, ops.Div, one, safe), zero)
        u = emit(imp, ops.Mul, w, _unsqueeze(imp, inverse, rank - 2))  # U (0 where dropped)
        scaled_v = emit(imp, ops.Mul, v, _unsqueeze(imp, inverse, rank - 2))
        result = emit(imp, ops.MatMul, scaled_v, swap_last(imp, u))
        # pinv(x / c) = c pinv(x): undo the scaling.
        result = emit(imp, ops.Div, result, scale)
        sigma = emit(imp, ops.Mul, sigma, emit(imp, ops.Squeeze, scale, axes=[rank - 1]))
        descending = emit(imp, ops.Neg, emit(imp, ops.Sort, emit(imp, ops.Neg, sigma),
                                             axis=rank - 2))  # fmt: skip
        count = emit(imp, ops.ReduceSum, imp.cast(kept, "int64"), axes=[rank - 2], keepdims=False)
        return [swap_last(imp, result) if transposed else result, descending, count]

    result, sigma, count = _tall_or_wide(imp, a, build)
    return result, sigma, count


def _used(imp: Importer, var: Variable) -> bool:
    """Whether the graph reads ``var`` (an output of the node being imported)."""
    return bool(imp.fgraph.clients.get(var))


def _refuse_vectors(what: str) -> Unsupported:
    return Unsupported(
        f"{what} read in a way that depends on their signs: the signs of eigenvectors and "
        "singular vectors are whatever LAPACK's iterations leave (no convention a translation "
        "can reproduce); the values compile (eigvalsh, svd(compute_uv=False), pinv, the "
        "2/-2/nuc norms), and so do sign-free products such as v diag(g) v^T (their gradients)"
    )


def _working(imp: Importer, a: Value) -> Value:
    """``a`` in float64, the dtype the Jacobi loops work in whatever the output dtype: in
    float32 their stopping test (sqrt(m) eps32 relative orthogonality) leaves errors near
    1e-5 at n = 100 for close singular values; the float64 result rounded to float32 is within
    LAPACK's float32 error of scipy's."""
    return imp.cast(a, "float64")


def _symmetric_input(imp: Importer, node: Apply, lower: bool) -> Value:
    """The matrix of the ``lower`` (or upper) triangle of the first input, mirrored (LAPACK's
    symmetric drivers read one triangle only), in float64 (``_working``)."""
    if len(node.inputs) > 1:
        raise Unsupported(
            f"{type(node.op).__name__} with a second matrix (the generalized problem) "
            "is not translated"
        )
    a = _working(imp, imp.value(node.inputs[0]))
    n = dim_of(imp, a, a.rank - 1)
    idx = indices(imp, n)
    keep = emit(imp, ops.Ge if lower else ops.Le, _unsqueeze(imp, idx, 1), idx)
    return emit(imp, ops.Where, keep, a, swap_last(imp, a))


@import_op.register(L.Eigvalsh)
@batched
def import_eigvalsh(op: L.Eigvalsh, node: Apply, imp: Importer) -> list[Value]:
    """Eigvalsh(lower): scipy.linalg.eigvalsh's eigenvalues, ascending, of the symmetric
    matrix a's ``lower`` (or upper) triangle defines. The generalized problem (b) is
    refused."""
    a = _symmetric_input(imp, node, op.lower)
    values, _ = jacobi_eigh(imp, a, vectors=False)
    sorted_values = emit(imp, ops.Sort, values, axis=values.rank - 1)
    return [imp.cast(sorted_values, node.outputs[0].type.dtype)]


@import_op.register(L.Eigh)
@batched
def import_eigh(op: L.Eigh, node: Apply, imp: Importer) -> list[Value]:
    """Eigh(lower): the eigenvalues (ascending) of the symmetric matrix a's ``lower`` (or
    upper) triangle defines; the eigenvectors only when the graph does not depend on their
    signs (linalg_signs: v diag(g) v^T, as the gradient of eigvalsh reads them)."""
    a = _symmetric_input(imp, node, op.lower)
    vectors = _used(imp, node.outputs[1])
    if vectors and not sign_invariant(imp.fgraph, [(node.outputs[1], COLUMN)]):
        raise _refuse_vectors("Eigh's eigenvectors")
    values, vecs = jacobi_eigh(imp, a, vectors=vectors)
    order = emit(imp, ops.Argsort, values, axis=values.rank - 1)
    values = emit(imp, ops.GatherElements, values, order, axis=values.rank - 1)
    # An unread eigenvector output gets a placeholder the dead-code pass removes.
    vecs = _sort_columns(imp, vecs, order) if vecs is not None else a
    return [
        imp.cast(v, out.type.dtype) for v, out in zip((values, vecs), node.outputs, strict=True)
    ]


@import_op.register(L.SVD)
@batched
def import_svd(op: L.SVD, node: Apply, imp: Importer) -> list[Value]:
    """SVD: numpy.linalg.svd's singular values (descending); U and V^T (full_matrices=False)
    only when the graph does not depend on their signs (linalg_signs: U diag(ds) V^T, as the
    gradient of svd(compute_uv=False) reads them)."""
    dtype = node.outputs[0].type.dtype
    a = _working(imp, imp.value(node.inputs[0]))
    if not op.compute_uv:
        return [imp.cast(singular_values(imp, a), dtype)]
    u, _, vt = node.outputs
    if not (_used(imp, u) or _used(imp, vt)):
        results = [a, singular_values(imp, a), a]  # placeholders the dead-code pass removes
    elif op.full_matrices or not sign_invariant(imp.fgraph, [(u, COLUMN), (vt, ROW)]):
        raise _refuse_vectors("SVD's singular vectors (compute_uv=True)")
    else:
        results = svd(imp, a, vectors=True)
    return [imp.cast(r, dtype) for r in results]


@import_op.register(L.MatrixPinv)
@batched
def import_matrix_pinv(op: L.MatrixPinv, node: Apply, imp: Importer) -> list[Value]:
    """MatrixPinv(hermitian): numpy.linalg.pinv with its default rcond = 1e-15: V diag(1/s)
    U^T over the singular values above 1e-15 max(s) (sign-invariant, so it does not depend on
    the vectors' signs). hermitian=True is the same matrix (numpy computes it by eigh)."""
    dtype = node.outputs[0].type.dtype
    a = _working(imp, imp.value(node.inputs[0]))
    if op.hermitian:  # numpy's eigh reads the lower triangle only
        idx = indices(imp, dim_of(imp, a, a.rank - 1))
        lower = emit(imp, ops.Ge, _unsqueeze(imp, idx, 1), idx)
        a = emit(imp, ops.Where, lower, a, swap_last(imp, a))
    return [imp.cast(pinv(imp, a, scalar(imp, 1e-15, a.dtype))[0], dtype)]


@import_op.register(Lstsq)
def import_lstsq(op: Lstsq, node: Apply, imp: Importer) -> list[Value]:
    """Lstsq (numpy.linalg.lstsq(a, b, rcond), gelsd): the minimum-norm least-squares solution
    x = pinv(a, rcond) @ b (singular values <= rcond max(s) count as zero; a negative rcond
    means LAPACK's machine precision 2^-53), the residuals sum(|b - a x|^2) per column when a
    has full column rank and more rows than columns (else empty), the rank (int32) and the
    singular values, all float64 as PyTensor declares them. b must be a matrix (PyTensor
    declares x a matrix; for a vector b numpy returns a vector)."""
    a, b = (imp.cast(imp.value(v), "float64") for v in node.inputs[:2])
    if a.rank != 2 or b.rank != 2:
        raise Unsupported(
            f"Lstsq with a {a.rank}-d a and a {b.rank}-d b: only matrices (PyTensor declares "
            "x a matrix, which numpy returns for a matrix b only)"
        )
    rcond = imp.cast(imp.value(node.inputs[2]), "float64")
    rcond = emit(imp, ops.Where, emit(imp, ops.Lt, rcond, scalar(imp, 0.0, "float64")),
                 scalar(imp, 2.0**-53, "float64"), rcond)  # fmt: skip
    inverse, sigma, count = pinv(imp, a, rcond)
    x = emit(imp, ops.MatMul, inverse, b)
    m, n = dim_of(imp, a, 0), dim_of(imp, a, 1)
    residual = emit(imp, ops.Sub, b, emit(imp, ops.MatMul, a, x))
    sums = emit(imp, ops.ReduceSum, emit(imp, ops.Mul, residual, residual), axes=[0],
                keepdims=False)  # fmt: skip
    full = emit(imp, ops.BitwiseAnd, emit(imp, ops.Eq, count, n), emit(imp, ops.Gt, m, n))
    length = emit(imp, ops.Where, full, dim_of(imp, b, 1), i64(imp, 0))
    sums = emit(imp, ops.Slice, sums, i64(imp, [0]), _unsqueeze(imp, length, 0), i64(imp, [1]),
                axes=[0])  # fmt: skip
    return [x, sums, imp.cast(count, "int32"), sigma]


for _cls in (L.Eigvalsh, L.Eigh, L.SVD, L.MatrixPinv, Lstsq):
    REFUSED.pop(_cls, None)


refuse(
    "the order in which LAPACK's dgeev (Hessenberg QR, dhseqr) returns eigenvalues follows its "
    "iterations and is no convention a translation can reproduce (nor are the eigenvectors' "
    "scalings); the outputs are complex besides",
    L.Eig,
)
refuse(
    "the Schur form is not unique: the order of its diagonal and the signs of the Schur "
    "vectors follow LAPACK's dhseqr/dgges iterations, no convention a translation can reproduce",
    L.Schur,
    L.QZ,
)

__all__ = ["jacobi_eigh", "jacobi_svd", "pinv", "singular_values"]
