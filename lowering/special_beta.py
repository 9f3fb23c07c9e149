"""The regularized incomplete beta function and its inverse in float64 ONNX arithmetic.

Written once as float64 formulas over ONNX values (``_Num`` from ``lowering/special.py``);
float32 and float16 are computed in float64 and rounded once. The iterative parts (continued
fractions, series, Newton steps) are ONNX ``Loop``s built here, elementwise over the broadcast
operands: each element stops changing once it has converged, and the loop stops when all have
(or at its trip cap, where unconverged elements give NaN). The time is that of the slowest
element of the batch. Accuracy bounds, measured by ``benchmarks/accuracy_beta.py``
against mpmath, are in each rule's docstring.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import onnx_ir as oir

from ir import ops
from lowering.context import onnx_dtype
from lowering.elementwise import _expm1
from lowering.registry import lowers
from lowering.special import (
    _ASYMPTOTIC_FROM,
    _LGAMMA2,
    _STIRLING,
    F64,
    _build_subgraph,
    _horner,
    _in_float64,
    _log1p64,
    _Num,
    _select,
    gamma64,
    gammaln64,
    psi64,
)

V = oir.Value

# -- Loops over elementwise state -----------------------------------------------------------------


def _broadcast(*values: _Num) -> list[_Num]:
    """The values expanded to their common shape (Loop-carried state must keep its shape)."""
    ctx = values[0].ctx
    total = values[0]
    for v in values[1:]:
        total = total + v
    shape = ctx.op("Shape", total.v)
    return [_Num(ctx, ctx.op("Expand", v.v, shape)) for v in values]


def _iterate(
    state: Sequence[_Num],
    step: Callable[[list[_Num], _Num], tuple[_Num, list[_Num]]],
    max_trips: int,
    done: _Num | None = None,
) -> tuple[_Num, list[_Num]]:
    """Runs ``step`` elementwise until every element has converged: ``step(state, done)``
    returns (converged, next state); ``done`` marks the frozen elements (a step may give them
    cheap arguments: their results are dropped). An element's state is frozen from the step
    it converges in on, so its result does not depend on the other elements (but for ORT's
    float64 Exp/Log/Pow kernels, whose last bits differ between tensor sizes). Returns
    (converged, final state): an element still running after ``max_trips`` steps has
    converged false. ``state`` values must have the full (broadcast) shape, float64. Elements
    where ``done`` is true (and those whose first state value is NaN) take no step."""
    ctx = state[0].ctx
    done0 = _Num(ctx, ctx.op("Equal", state[0].v, state[0].v))  # NaN: "converged" at once
    done0 = done0._op("Not", done0.v)
    if done is not None:
        done0 = done0.or_(done)

    def body(args: list[V]) -> list[V]:
        _, _, done_in, *ins = args
        old = [_Num(ctx, v) for v in ins]
        frozen = _Num(ctx, done_in)
        converged, new = step(old, frozen)
        nxt = [
            _Num(ctx, ctx.op("Where", frozen.v, o.v, n.v)) for o, n in zip(old, new, strict=True)
        ]
        done_next = frozen.or_(converged)
        left = ctx.op("Cast", ctx.op("Not", done_next.v), to=onnx_dtype("float32"))
        more = ctx.op(
            "Greater", ctx.op("ReduceMax", left, keepdims=0), ctx.constant(0.0, "float32")
        )
        return [more, done_next.v, *(n.v for n in nxt)]

    inputs = [("iter", "int64", True), ("cond", "bool", True), ("done", "bool", False)]
    inputs += [("state", F64, False)] * len(state)
    body_graph = _build_subgraph(ctx, "body", inputs, body)
    results = ctx.node(
        "Loop",
        [
            ctx.constant(max_trips, "int64"),
            ctx.constant(True, "bool"),
            done0.v,
            *(s.v for s in state),
        ],
        {"body": body_graph},
        num_outputs=1 + len(state),
    )
    return _Num(ctx, results[0]), [_Num(ctx, r) for r in results[1:]]


# -- Pieces of the incomplete beta function -------------------------------------------------------

#: 1 / sqrt(2π)
_INV_SQRT_2PI = 0.3989422804014327
#: Veltkamp's splitter for float64 (2**27 + 1).
_SPLIT = 134217729.0


def _two_sum(a: _Num, b: _Num) -> tuple[_Num, _Num]:
    """(s, e) with s = fl(a + b) and s + e = a + b exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(v: _Num) -> tuple[_Num, _Num]:
    c = v * _SPLIT
    hi = c - (c - v)
    return hi, v - hi


def _two_product(a: _Num, b: _Num) -> tuple[_Num, _Num]:
    """(p, e) with p = fl(a b) and p + e = a b exactly (Dekker; |a b| < 1e290)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


# log(1 + e) = 2 atanh(t), t = e / (2 + e): e - log(1 + e) = t e - 2 (t³/3 + t⁵/5 + ...),
# |t| <= 1/3 for |e| <= 1/2 (t**40 < 1e-19 of t²).
_ATANH_ODD = tuple(2.0 / (2 * k + 3) for k in range(20))


def _rlog1(e: _Num, ratio: _Num) -> _Num:
    """e - log(1 + e) >= 0 without cancellation; ``ratio`` is 1 + e computed directly (used
    where e < -1/2, where 1 + e would lose the relative accuracy of a small ratio)."""
    t = e / (2.0 + e)
    t2 = t * t
    series = t * e - t * (t2 * _horner(t2, _ATANH_ODD))
    far = e - _log1p64(e)
    low = e - ratio.unary("Log")
    small = e.unary("Abs").le(0.5)
    return _select(small, series, _select(e.lt(0.0), low, far))


def _stirling_delta(z: _Num) -> _Num:
    """lgamma(z) - ((z - 1/2) log z - z + log(2π)/2), for z >= 10."""
    w = 1.0 / z
    return w * _horner(w * w, _STIRLING)


def _pow(x: _Num, y: _Num) -> _Num:
    return x._op("Pow", x.v, y.v)


#: A root's magnitude stays within e**±600 (Veltkamp's split and the exact product need
#: |v| < 1e290): the k in _power_product.
_ROOT_LOG = 600.0


def _power_product(
    factors: Sequence[tuple[_Num, _Num | float]], log_rest: _Num
) -> tuple[_Num, _Num]:
    """(P, k): P = prod q_i**e_i * exp(log_rest) (q_i > 0 exact, e_i exact) where a factor
    would under- or overflow but P does not: with k the power of two that keeps every partial
    product of the roots within e**±600 (sum |e_i log q_i| + |log_rest| <= 600 k),
    P = (prod q_i**(e_i / k) exp(log_rest / k))**k. e_i / k is exact and each root good to
    an ulp, the rounding of their product carried to twice the precision: P is good to about
    k ulps (powers of exact numbers: no logarithm of a large magnitude is rounded)."""
    total = log_rest.unary("Abs")
    for q, e in factors:
        total = total + (q.unary("Log") * e).unary("Abs")
    halvings = (total / _ROOT_LOG).unary("Log") / math.log(2.0)
    halvings = _select(halvings.gt(0.0), halvings.unary("Ceil"), 0.0)
    k = _pow(total * 0.0 + 2.0, halvings)
    roots = [_pow(q, e / k) for q, e in factors]
    product = (log_rest / k).unary("Exp")
    low = product * 0.0  # the product's rounding, relative
    for r in roots:
        product, err = _two_product(product, r)
        low = low + err / product
    return _pow(product, k) * (k * low).unary("Exp"), k


def _ratio(s: _Num, s_err: _Num, x: _Num, xl: _Num, a: _Num) -> tuple[_Num, _Num]:
    """(q, c): (x (a + b) / a)**a = q**a exp(c), with a + b = s + s_err and x + xl to twice
    the precision: q the rounded ratio, c = a ql / q for its low part ql."""
    p, p_err = _two_product(s, x)
    q = p / a
    qa, qa_err = _two_product(q, a)
    low = (((p - qa) - qa_err) + (p_err + (s_err * x + s * xl))) / a
    return q, a * low / q


def _front(a: _Num, b: _Num, x: _Num, xl: _Num, y: _Num, yl: _Num) -> _Num:
    """x**a y**b / (a B(a, b)) for a, b > 0 and x + y = 1, x in (0, 1) left of the mean
    (x <= (a + 1) / (a + b + 2)); x + xl and y + yl are x and y to twice the precision (one
    of them exact, the other 1 minus it). Below a + b = 170 powers of the exact x and y and
    Γ; above, Stirling's series for the parameters from 10 on (so no large logarithms
    cancel) with powers of x (a + b) / a and y (a + b) / b. The powers go through
    _power_product, so a factor that under- or overflows costs a few ulps, not the
    |log| ulps of an exponential of a large logarithm (results down to about 1e-300)."""
    s, s_err = _two_sum(a, b)
    p, p_err = _two_product(s, x)
    lam = _mean_offset(a, b, x, xl)
    big = float(_ASYMPTOTIC_FROM)
    e1, e2 = -lam / a, lam / b
    ratio1, ratio2 = x * s / a, y * s / b
    r1, r2 = _rlog1(e1, ratio1), _rlog1(e2, ratio2)
    d_s, d_a, d_b = _stirling_delta(s), _stirling_delta(a), _stirling_delta(b)
    # both >= 10: sqrt(a b / (2π s)) (x s / a)**a (y s / b)**b exp(δ(s) - δ(a) - δ(b)) / a
    # as powers of the ratios to twice the precision, or (where k would cost more than the
    # exponential) as exp(-(a r(e1) + b r(e2))), e1 = -λ/a, e2 = λ/b, r(e) = e - log(1 + e)
    # (a e1 + b e2 = 0: nothing large cancels in the exponent)
    scale = (b / s).unary("Sqrt") / a.unary("Sqrt") * _INV_SQRT_2PI
    q1, c1 = _ratio(s, s_err, x, xl, a)
    q2, c2 = _ratio(s, s_err, y, yl, b)
    d_both = d_a + d_b - d_s
    both_powers, k = _power_product([(q1, a), (q2, b), (scale, 1.0)], (c1 + c2) - d_both)
    exponent = -(a * r1 + b * r2) - d_both
    both = _select(k.le(exponent.unary("Abs") + 4.0), both_powers, scale * exponent.unary("Exp"))
    # a < 10 <= b: b log(y (a + b)/b) - a = -(a + b) x - b r(e2)
    a_small, _ = _power_product(
        [(p, a), (1.0 / (gamma64(a) * a * (1.0 + a / b).unary("Sqrt")), 1.0)],
        a * p_err / p + ((-(p + p_err) - b * r2) + (d_s - d_b)),
    )
    # b < 10 <= a: x**a (a + b)**a / a**a = x**a exp(b - a r(b/a)) (a power and a small
    # exponent, where a log(x (a + b)/a) would cost a·eps)
    sy, sy_err = _two_product(s, y)
    sy_err = sy_err + (s_err * y + s * yl)
    ba = b / a
    b_small, _ = _power_product(
        [(x, a), (sy, b), (1.0 / (gamma64(b) * a * (1.0 + ba).unary("Sqrt")), 1.0)],
        (a * xl / x + b * sy_err / sy) - a * _rlog1(ba, 1.0 + ba) + (d_s - d_a),
    )
    stirling = _select(a.ge(big), _select(b.ge(big), both, b_small), a_small)
    # a + b < 170: powers of the exact x and y = yh + yl, and Γ of the exact a + b = s + s_err
    # (no logarithm of a large magnitude cancels, each factor is good to a few ulps)
    shifted = a.lt(1.0)
    g_a = gamma64(_select(shifted, a + 1.0, a))
    a_gamma_a = _select(shifted, g_a, a * g_a)  # Γ(a + 1)
    g = gamma64(s) * (s_err * psi64(s)).unary("Exp") / a_gamma_a / gamma64(b)
    # one parameter below 1: Γ(a + b) / Γ(big) = exp(lgamma(big + small) - lgamma(big)) to
    # its relative accuracy, not a ratio of two Γ values of a few ulps each
    a_less = a.lt(b)
    small, large = _select(a_less, a, b), _select(a_less, b, a)
    ratio = _lgamma_difference(large, _select(small.lt(1.0), small, 0.5)).unary("Exp")
    g_small = ratio / gamma64(small + 1.0)  # Γ(s) / (Γ(small + 1) Γ(big))
    g_small = _select(a_less, g_small, g_small * b / a)
    g = _select(small.lt(1.0), g_small, g)
    direct, _ = _power_product([(x, a), (y, b), (g, 1.0)], a * xl / x + b * yl / y)
    return _select(s.lt(170.0), direct, stirling)


#: Loop cap of the continued fraction (its step count grows like sqrt(max(a, b)) near the mean).
_CF_MAX_STEPS = 20000
#: Lentz's guard against a zero denominator.
_TINY = 1e-300


def _mean_offset(a: _Num, b: _Num, x: _Num, xl: _Num) -> _Num:
    """λ = a - (a + b) x to a few ulps of a (exact sum and product), x + xl to twice the
    precision: no cancellation near the mean."""
    s, s_err = _two_sum(a, b)
    p, p_err = _two_product(s, x)
    return ((a - p) - p_err) - (s_err * x + s * xl)


def _continued_fraction(
    a: _Num, b: _Num, x: _Num, lam: _Num, max_steps: int = _CF_MAX_STEPS
) -> tuple[_Num, _Num]:
    """(converged, h): I_x(a, b) = x**a (1 - x)**b / (a B(a, b)) h for x left of the mean,
    h = a / F with F = d_0 + c_1/(d_1 + c_2/(d_2 + ...)) (the even part of DLMF 8.17.22, in
    DiDonato and Morris's BFRAC form), c_m = (a + m - 1)(a + b + m - 1) m (b - m) x² /
    (a + 2m - 1)², d_m = m + m (b - m) x / (a + 2m - 1) + (a + m)(λ + 1 + m (2 - x)) /
    (a + 2m + 1), with λ = a - (a + b) x to a few ulps (``_mean_offset``): near the mean the
    plain fraction's first denominators 1 - (a + b) x / (a + 1) cancel and it loses about
    its own magnitude in ulps (600 at a = 3500, b = 90), this form a few. Modified Lentz."""

    def guard(v: _Num) -> _Num:
        return _select(v.unary("Abs").lt(_TINY), _TINY, v)

    f0 = guard(a * (lam + 1.0) / (a + 1.0))
    m0 = a * 0.0
    x2 = x * x

    def step(state: list[_Num], _: _Num) -> tuple[_Num, list[_Num]]:
        m, c, d, f = state
        m = m + 1.0
        den = a + (2.0 * m - 1.0)
        alpha = (a + (m - 1.0)) * ((a + b) + (m - 1.0)) * (m * (b - m)) * x2 / (den * den)
        beta = m + m * (b - m) * x / den + (a + m) * ((lam + 1.0) + m * (2.0 - x)) / (den + 2.0)
        d = 1.0 / guard(beta + alpha * d)
        c = guard(beta + alpha / c)
        delta = c * d
        f = f * delta
        converged = (delta - 1.0).unary("Abs").le(3e-16)
        return converged, [m, c, d, f]

    converged, (_, _, _, f) = _iterate([m0, f0, m0, f0], step, max_steps)
    return converged, a / f


def _series(a: _Num, b: _Num, x: _Num, max_steps: int = _CF_MAX_STEPS) -> tuple[_Num, _Num]:
    """(converged, S): I_x(a, b) = x**a / (a B(a, b)) S with S = sum_n (1 - b)_n x**n a /
    (n! (a + n)) (DLMF 8.17.7), positive terms for b < 1."""

    def step(state: list[_Num], _: _Num) -> tuple[_Num, list[_Num]]:
        n, c, total, lost = state
        n = n + 1.0
        c = c * ((n - b) * x / n)
        term = c * a / (a + n)
        # Kahan's compensated sum: thousands of terms near x = 1
        corrected = term - lost
        new_total = total + corrected
        lost = (new_total - total) - corrected
        return term.unary("Abs").le(new_total * (1.0 - x) * 1e-17), [n, c, new_total, lost]

    zero = a * 0.0
    state = [zero, zero + 1.0, zero + 1.0, zero]
    converged, (_, _, total, _) = _iterate(state, step, max_steps)
    return converged, total


def _expm1_64(v: _Num) -> _Num:
    return _Num(v.ctx, _expm1(v.ctx, v.v, F64))


def _stirling_delta_difference(big: _Num, b: _Num) -> _Num:
    """δ(big + b) - δ(big) for big >= 10 without cancellation (b may be tiny): with w1, w0 the
    reciprocals, sum_k c_k (w1**(2k+1) - w0**(2k+1)) = (w1 - w0) sum_k c_k h_2k, h_m the
    complete homogeneous sums of degree m in w1 and w0."""
    w0 = 1.0 / big
    w1 = 1.0 / (big + b)
    dw = -b / (big * (big + b))
    h = w0 * 0.0 + 1.0  # h_0
    w0_power = w0 * 0.0 + 1.0
    total: _Num | None = None
    for m in range(2 * len(_STIRLING) - 1):
        if m % 2 == 0:
            term = _STIRLING[m // 2] * h
            total = term if total is None else total + term
        w0_power = w0_power * w0
        h = w1 * h + w0_power  # h_(m+1)
    assert total is not None
    return dw * total


#: Steps of the recurrence lgamma(a + b) - lgamma(a) = D(a + n, b) - sum log1p(b / (a + k)).
_SHIFT = 10


def _lgamma_difference(a: _Num, b: _Num) -> _Num:
    """lgamma(a + b) - lgamma(a) for a > 0 and 0 < b < 1, to its own relative accuracy (b
    may be tiny): a shifted past 10 by the recurrence, then Stirling's series as
    b log(A + b) - A r(b/A) - log1p(b/A)/2 + δ(A + b) - δ(A)."""
    n = (float(_SHIFT) - a).unary("Ceil")
    n = _select(n.lt(0.0), 0.0, n)
    big = a + n
    ratio = b / big
    out = (
        b * (big + b).unary("Log")
        - big * _rlog1(ratio, 1.0 + ratio)
        - 0.5 * _log1p64(ratio)
        + _stirling_delta_difference(big, b)
    )
    for k in range(_SHIFT):
        out = out - _select(n.gt(float(k)), _log1p64(b / (a + float(k))), 0.0)
    return out


def _lgamma1p(b: _Num) -> _Num:
    """lgamma(1 + b) for 0 <= b < 1, relative accuracy for tiny b (1 + b would round):
    lgamma(2 + b) - log1p(b) by the Taylor series at 2 below 1/2."""
    series = b * _horner(b, _LGAMMA2) - _log1p64(b)
    return _select(b.lt(0.5), series, gammaln64(b + 1.0))


#: The y-series branch: b < 1, 1 - x <= _NEAR_ONE and a (1 - x) <= _NEAR_ONE_AY.
_NEAR_ONE = 0.03
_NEAR_ONE_AY = 0.5
#: Its terms: (a (1 - x))**n / n! < 1e-19 from here on.
_NEAR_ONE_TERMS = 22


def _near_one(a: _Num, b: _Num, y: _Num, yl: _Num) -> _Num:
    """I_x(a, b) for b < 1 and y = 1 - x (= y + yl) small with a y <= 1/2: 1 - I_y(b, a) with
    I_y(b, a) = y**b G (1 + b T), G = Γ(a + b) / (Γ(a) Γ(1 + b)), T = sum_(n >= 1)
    (1 - a)_n y**n / (n! (b + n)) (DLMF 8.17.7), so I = -expm1(L) - e**L b T with
    L = b log y + log G, every piece O(b) computed as such (no 1 - (1 - O(b)))."""
    log_y = y.unary("Log") + yl / y
    big_l = b * log_y + (_lgamma_difference(a, b) - _lgamma1p(b))
    c = y * 0.0 + 1.0
    t: _Num | None = None
    for n in range(1, _NEAR_ONE_TERMS + 1):
        c = c * ((float(n) - a) * y / float(n))
        term = c / (b + float(n))
        t = term if t is None else t + term
    assert t is not None
    return -_expm1_64(big_l) - big_l.unary("Exp") * (b * t)


#: Depth of the backward evaluation of Legendre's continued fraction for Γ(b, u): 30 + 100/u
#: up to 250, measured <= 4 ulps for 0 < b < 1, u >= 0.45 (the forward Lentz method loses
#: about 100 ulps over its 150 steps at u = 1/2).
_GAMMA_CF_DEPTH = 250


def _upper_gamma_scaled(b: _Num, u: _Num, skip: _Num) -> _Num:
    """e**u u**-b Γ(b, u) for 0 < b < 1 and u >= 0.45: Legendre's continued fraction
    1/(u + 1 - b - 1 (1 - b)/(u + 3 - b - 2 (2 - b)/(u + 5 - b - ...))) (DLMF 8.9.2),
    evaluated backward (an ONNX Loop) from the depth the smallest u of the batch needs
    (elements where ``skip`` do not count)."""
    ctx = u.ctx
    need = _select(skip, 0.0, (30.0 + 100.0 / u).unary("Ceil"))
    need = _select(need.lt(float(_GAMMA_CF_DEPTH)), need, float(_GAMMA_CF_DEPTH))
    depth = _Num(ctx, ctx.op("ReduceMax", need.v, keepdims=0))

    def step(state: list[_Num], _: _Num) -> tuple[_Num, list[_Num]]:
        n, f = state
        n = n - 1.0
        f = (u + (2.0 * n - 1.0) - b) - n * (n - b) / f
        return n.le(1.0), [n, f]

    start = [u * 0.0 + depth, u + (2.0 * depth - 1.0) - b]
    _, (_, f) = _iterate(start, step, _GAMMA_CF_DEPTH, done=skip)
    return 1.0 / f


#: Terms of the asymptotic expansion for large a (a >= 15 where it is used: the n-th term is
#: about (2n)! / (2π T)**2n of the sum, below 1e-20 from the 10th on).
_BGRAT_TERMS = 10
#: Where the expansion is used: b < 1, 1 - x <= 0.3, u >= 0.45 (where the backward continued
#: fraction of Γ(b, u) reaches 4 ulps); below a = 15 for a + 20 (BUP's 20 terms before it).
_BGRAT_FROM = 15.0
_BGRAT_WITHIN = 0.3
_BGRAT_U = 0.45
_BUP_TERMS = 20


def _bgrat(a: _Num, b: _Num, x: _Num, xl: _Num, y: _Num, yl: _Num, skip: _Num) -> _Num:
    """I_x(a, b) for a >= 15, 0 < b < 1 and x near 1 (x + xl and y + yl = 1 - x to twice
    the precision, one of them exact): the
    expansion of DiDonato and Morris (1992, BGRAT; Temme's) in T = a + (b - 1)/2: with
    L = -log x and u = T L, substituting x = e**-s in the integral and expanding
    (sinh(s/2)/(s/2))**(b - 1) = sum p_n (s/2)**2n gives
    I = Γ(a + b)/(Γ(a) Γ(b)) L**b x**T sum p_n J_n, J_n = e**u u**-b Γ(b + 2n, u) / (4 T²)**n,
    p_0 = 1, p_n = (b - 1)/(2n + 1)! + sum_(m<n) (m b - n) p_(n-m) / (n (2m + 1)!),
    J_(n+1) = (c (c + 1) J_n + (u + c + 1) (L/2)**2n) / (4 T²), c = b + 2n. Computed as
    exp(D) u**b / Γ(b) x**a x**((b - 1)/2) sum p_n J_n with
    D = log(Γ(a + b)/Γ(a)) - b log T = b/(2T) - (a + b - 1/2) r(w) + (a - 1/2) r(v)
    + δ(a + b) - δ(a) (Stirling's series; w = (b + 1)/(2T), v = (1 - b)/(2T), r(e) =
    e - log(1 + e)), so that no O(b log a) logarithm is rounded: x**a is the power of the
    exact x (no |log I| ulps in the tails)."""
    big_l = -_log1p64(-y) + yl / x  # -log(x + xl), y + yl = 1 - x - xl
    t = a + (b - 1.0) / 2.0
    u = t * big_l
    w, v = (b + 1.0) / (2.0 * t), (1.0 - b) / (2.0 * t)
    d = (
        b / (2.0 * t)
        - (a + b - 0.5) * _rlog1(w, 1.0 + w)
        + (a - 0.5) * _rlog1(v, 1.0 + v)
        + _stirling_delta_difference(a, b)
    )
    j = _upper_gamma_scaled(b, u, skip)
    total = j
    p = [b * 0.0 + 1.0]
    lxp = b * 0.0 + 1.0  # (L/2)**2n
    half_l2 = (0.5 * big_l) * (0.5 * big_l)
    t4 = 4.0 * t * t
    for n in range(1, _BGRAT_TERMS + 1):
        p_n = (b - 1.0) / float(math.factorial(2 * n + 1))
        for m in range(1, n):
            p_n = p_n + (float(m) * b - float(n)) * p[n - m] / float(n * math.factorial(2 * m + 1))
        p.append(p_n)
        c = b + float(2 * (n - 1))
        j = (c * (c + 1.0) * j + (u + c + 1.0) * lxp) / t4
        lxp = lxp * half_l2
        total = total + p_n * j
    return (
        d.unary("Exp")
        * _pow(u, b)
        / gamma64(b)
        * (_pow(x, a) * (a * xl / x).unary("Exp"))
        * _pow(x, (b - 1.0) / 2.0)
        * total
    )


def _ibeta(
    a: _Num, b: _Num, x: _Num, y: _Num, yl: _Num, ok: _Num, max_steps: int = _CF_MAX_STEPS
) -> tuple[_Num, _Num, _Num]:
    """(converged, I_x(a, b), x**(a-1) y**(b-1) / B(a, b)) where ``ok`` (a, b > 0 finite,
    0 < x < 1; y + yl = 1 - x exactly); elements not ``ok`` give a harmless value."""
    swap = x.gt((a + 1.0) / (a + b + 2.0))
    # b < 1 and x >= 0.7 (where a series in x converges slowly and 1 - I_(1-x)(b, a)
    # cancels): TOMS 708's choice (DiDonato and Morris), the asymptotic expansion for large a
    # where u = T log(1/x) >= 0.45 (T = a + (b - 1)/2), after BUP's 20 terms
    # I_x(a, b) - I_x(a + 20, b) below a = 15; the series of I_(1-x)(b, a) with its O(b)
    # parts computed as such below u = 0.45 (a (1 - x) <= 1/2 there). No loop but the
    # short one of Γ(b, u) runs for them.
    small_b = b.lt(1.0).and_(ok)
    shift = _select(a.lt(_BGRAT_FROM), float(_BUP_TERMS), 0.0)
    big_a = a + shift
    u = (big_a + (b - 1.0) / 2.0) * -_log1p64(-y)
    far = small_b.and_(y.le(_BGRAT_WITHIN)).and_(u.ge(_BGRAT_U))
    near = small_b.and_(far.unary("Not")).and_(y.le(_NEAR_ONE)).and_((a * y).le(_NEAR_ONE_AY))
    direct = far.or_(near)
    inner = 0.5  # any point inside the domain, for elements decided by the edge cases
    p = _select(ok, _select(swap, b, a), 1.0)
    q = _select(ok, _select(swap, a, b), 1.0)
    xs = _select(ok, _select(swap, y, x), inner)
    ys = _select(ok, _select(swap, x, y), inner)
    zero = _select(ok, 0.0, 0.0)
    low_x, low_y = _select(swap, yl, zero), _select(swap, zero, yl)
    low_x, low_y = _select(ok, low_x, 0.0), _select(ok, low_y, 0.0)
    lam = _mean_offset(p, q, xs, low_x)
    # (the loops do not run for the elements computed directly)
    converged, h = _continued_fraction(
        _select(direct, 1.0, p),
        _select(direct, 1.0, q),
        _select(direct, inner, xs),
        _select(direct, 0.5, lam),
        max_steps,
    )
    converged = converged.or_(direct)
    front = _front(p, q, xs, low_x, ys, low_y)
    t = front * h
    out = _select(swap, 1.0 - t, t)
    density = front * p / (xs * ys)
    # Right of the mean with b < 1, 1 - t would cancel (I is O(b)): the series of positive
    # terms instead (x < 0.7 here: about 100 steps).
    series = swap.and_(b.lt(1.0)).and_(ok).and_(t.gt(0.75)).and_(direct.unary("Not"))
    # a < 1 and b x small left of the mean: the same series (a few terms), x**a / (a B(a, b))
    # S a few ulps closer than the front factor times the fraction (betaincinv's error is
    # betainc's over a there)
    small_a = swap.unary("Not").and_(a.lt(1.0)).and_((b * x).le(1.0)).and_(ok)
    small_a = small_a.and_(direct.unary("Not"))
    xp = _select(series.or_(small_a), x, 0.0)
    summed, total = _series(a, b, xp, max_steps)
    yb = _pow(y, b) * (b * yl / y).unary("Exp")
    # the front factor of (a, b, x) is the swapped one's times b / a
    front_ab = _select(swap, front * (b / a), front)
    out = _select(series.or_(small_a), front_ab / yb * total, out)
    series = series.or_(small_a)
    converged = series.and_(summed).or_(series.unary("Not").and_(converged))
    near_value = _near_one(
        _select(near, a, 1.0), _select(near, b, 0.5), _select(near, y, 0.001),
        _select(near, yl, 0.0),
    )  # fmt: skip
    out = _select(near, near_value, out)
    # BUP: I_x(a, b) - I_x(a + n, b) = sum_(i<n) x**(a+i) y**b / ((a + i) B(a + i, b)), the
    # term ratio x (a + b + i) / (a + 1 + i) (positive terms)
    bup = front_ab * 0.0
    term = front_ab
    for i in range(_BUP_TERMS):
        bup = bup + term
        term = term * (x * (a + b + float(i)) / (a + float(i + 1)))
    bup = _select(shift.gt(0.0), bup, 0.0)
    expansion = _bgrat(
        _select(far, big_a, 200.0), _select(far, b, 0.5), _select(far, x, 0.998), x * 0.0,
        _select(far, y, 0.002), _select(far, yl, 0.0), far.unary("Not"),
    )  # fmt: skip
    out = _select(far, bup + expansion, out)
    return converged, out, density


def _domain(a: _Num, b: _Num, x: _Num) -> _Num:
    ok = a.gt(0.0).and_(b.gt(0.0)).and_(x.gt(0.0)).and_(x.lt(1.0))
    return ok.and_(a.lt(math.inf)).and_(b.lt(math.inf))


def _settled_tails(a: _Num, b: _Num, x: _Num, ok: _Num, out: _Num) -> _Num:
    """0 or 1 where ``out`` is NaN (extreme parameters: a or b near 1e300 or subnormal, where
    the front factor's pieces overflow or the loops stop) but the front factor
    x**a (1 - x)**b / (p B(a, b)) (p = a left of the mean, b right of it) is below e**-745
    by a margin covering the continued fraction's value (at most about (a + b)²) and the
    rounding of log B(a, b): I is then 0 left of the mean and 1 right of it (as scipy); the
    limits where a or b is below 1e-300, and the closed forms for a parameter of 1."""

    def lgamma(v: _Num) -> _Num:  # finite below 1e-300 (gammaln64 has scipy's inf there)
        return _select(v.lt(1e-300), -v.unary("Log"), gammaln64(v))

    ga, gb, gab = lgamma(a), lgamma(b), lgamma(a + b)
    lbeta = ga + gb - gab
    slack = 1e-14 * (ga.unary("Abs") + gb.unary("Abs") + gab.unary("Abs"))
    # one parameter far above the other (s² < 1e-16 l): log B = lgamma(s) - s log l, without
    # the cancellation of lgamma(l) - lgamma(l + s)
    small = _select(a.lt(b), a, b)
    large = _select(a.lt(b), b, a)
    lopsided = large.ge(1e16 * (small + 1.0) * (small + 1.0))
    g_small = _select(a.lt(b), ga, gb)
    lbeta = _select(lopsided, g_small - small * large.unary("Log"), lbeta)
    slack = _select(lopsided, 1e-14 * g_small.unary("Abs") + 1.0, slack)
    log_powers = a * x.unary("Log") + b * _log1p64(-x) - lbeta
    margin = -(745.0 + 50.0) - 2.0 * (a + b + 2.0).unary("Log") - slack
    right = x.gt((a + 1.0) / (a + b + 2.0))
    left_small = (log_powers - a.unary("Log")).lt(margin)
    right_small = (log_powers - b.unary("Log")).lt(margin)
    stuck = ok.and_(out.unary("IsNaN"))
    out = _select(stuck.and_(right.unary("Not")).and_(left_small), 0.0, out)
    out = _select(stuck.and_(right).and_(right_small), 1.0, out)
    # a parameter below 1e-300: I = 1 - a (-log x + ...) for a tiny a, b (...) for a tiny b,
    # both to the last bit for any x in (0, 1); both tiny: b / (a + b) (to O(a log x))
    tiny_a, tiny_b = a.lt(1e-300), b.lt(1e-300)
    limit = _select(tiny_a, _select(tiny_b, b / (a + b), 1.0), 0.0)
    out = _select(stuck.and_(tiny_a.or_(tiny_b)), limit, out)
    # a parameter of 1: I_x(1, b) = 1 - (1 - x)^b, I_x(a, 1) = x^a
    one = _select(a.eq(1.0), -_expm1_64(b * _log1p64(-x)), (a * x.unary("Log")).unary("Exp"))
    return _select(out.unary("IsNaN").and_(ok).and_(a.eq(1.0).or_(b.eq(1.0))), one, out)


def betainc64(a: _Num, b: _Num, x: _Num) -> _Num:
    """I_x(a, b): on the side of the mean where it converges fast (x < (a + 1)/(a + b + 2),
    else 1 - I_{1-x}(b, a)), x**a (1 - x)**b / (a B(a, b)) times the continued fraction
    (DLMF 8.17.22 in DiDonato and Morris's form with a - (a + b) x carried exactly; an ONNX
    Loop until every element converges, at most 20000 steps: NaN beyond, from a + b of about
    1e8 near the mean). For b < 1 and x >= 0.7 (TOMS 708's choices): the asymptotic
    expansion for large a (BGRAT; for a < 15 after the 20 terms of BUP), or below
    u = (a + (b - 1)/2) log(1/x) = 0.45 the series of I_{1-x}(b, a) with its O(b) parts
    computed as such; right of the mean with b < 1 below x = 0.7 the series of positive
    terms (DLMF 8.17.7), also for a < 1 and b x <= 0.3. The power terms
    x**a (1 - x)**b / B(a, b): powers of the exact x and 1 - x (to twice the precision) and
    Γ below a + b = 170, Stirling's series above (no cancelling logarithms), the powers
    taken as k-th roots raised to k where a factor would under- or overflow (k ulps, not
    |log I| ulps, in the deep tails of large a and b). Edge values as scipy. ≤ 10 ulp
    (float64) measured on the grid of benchmarks/accuracy_beta.py (deep tails to 1e-300
    included)."""
    a, b, x = _broadcast(a, b, x)
    y = 1.0 - x
    yl = (1.0 - y) - x  # 1 - x = y + yl exactly
    ok = _domain(a, b, x)
    converged, out, _ = _ibeta(a, b, x, y, yl, ok)
    out = _select(converged, out, math.nan)
    out = _settled_tails(a, b, x, ok, out)
    out = _select(out.gt(1.0), 1.0, out)  # (1 + ulp where a tiny a's 1 - ... rounds up)
    # Edge values (scipy's): x = 0 gives 0 and x = 1 gives 1; a = 0 or b = ∞ is the step
    # at 0, b = 0 or a = ∞ the step at 1.
    nan = a.unary("IsNaN").or_(b.unary("IsNaN")).or_(x.unary("IsNaN"))
    nan = nan.or_(a.lt(0.0)).or_(b.lt(0.0)).or_(x.lt(0.0)).or_(x.gt(1.0))
    nan = nan.or_(a.eq(0.0).and_(b.eq(0.0))).or_(a.eq(math.inf).and_(b.eq(math.inf)))
    step_at_0 = a.eq(0.0).or_(b.eq(math.inf))
    step_at_1 = b.eq(0.0).or_(a.eq(math.inf))
    out = _select(step_at_1, _select(x.lt(1.0), 0.0, 1.0), out)
    out = _select(step_at_0, _select(x.gt(0.0), 1.0, 0.0), out)
    out = _select(x.eq(0.0), 0.0, _select(x.eq(1.0), 1.0, out))
    return _select(nan, math.nan, out)


lowers(ops.BetaInc)(_in_float64(betainc64))


# -- the inverse -------------------------------------------------------------------------------

#: Newton steps at most (each one an incomplete beta function, whose loops stop at
#: _INNER_MAX_STEPS here).
_NEWTON_MAX_STEPS = 60
_INNER_MAX_STEPS = 10000
#: The smallest normal float64: scipy's (Boost's) result where the true one is below it.
_DBL_MIN = 2.2250738585072014e-308


def _lgamma_ratio(p: _Num, q: _Num) -> _Num:
    """lgamma(q) - lgamma(p + q): -p log q where q is far above p (q >= 1e16 (p + 1)²: the
    difference of two huge lgammas would cancel to nothing; the dropped terms are below
    p² / q)."""
    lopsided = q.ge(1e16 * (p + 1.0) * (p + 1.0))
    return _select(lopsided, -p * q.unary("Log"), gammaln64(q) - gammaln64(p + q))


def _initial_guess(p: _Num, q: _Num, t: _Num) -> _Num:
    """A first x with I_x(p, q) ≈ t (Majumder and Bhattacharjee, AS 109): a normal quantile
    mapped through Carter's approximation for p, q > 1, tail forms otherwise."""
    upper = t.gt(0.5)
    alpha = _select(upper, 1.0 - t, t)
    r = (-2.0 * alpha.unary("Log")).unary("Sqrt")
    z = r - (2.30753 + 0.27061 * r) / (1.0 + (0.99229 + 0.04481 * r) * r)
    z = _select(upper, -z, z)
    rr = (z * z - 3.0) / 6.0
    s = 1.0 / (2.0 * p - 1.0)
    tt = 1.0 / (2.0 * q - 1.0)
    h = 2.0 / (s + tt)
    w = z * (h + rr).unary("Sqrt") / h - (tt - s) * (rr + 5.0 / 6.0 - 2.0 / (3.0 * h))
    carter = p / (p + q * (2.0 * w).unary("Exp"))
    lbeta = gammaln64(p) + gammaln64(q) - gammaln64(p + q)
    u = 1.0 / (9.0 * q)
    c = 1.0 - u + z * u.unary("Sqrt")
    chi = 2.0 * q * c * c * c
    ratio = (4.0 * p + 2.0 * q - 2.0) / chi
    low_tail = ((t * p).unary("Log") + lbeta) / p
    tails = _select(
        chi.le(0.0),
        1.0 - ((_log1p64(-t) + q.unary("Log") + lbeta) / q).unary("Exp"),
        _select(ratio.le(1.0), low_tail.unary("Exp"), 1.0 - 2.0 / (ratio + 1.0)),
    )
    # the upper half without Carter's form: -T log(1 - x) tends to a Gamma(p) variable as q
    # grows (T = q + (p - 1)/2), its quantile by Wilson and Hilferty (AS 109's last tail form
    # overshoots the root 2-5x there, which cost Newton 3-4 more steps)
    cube = 1.0 - 1.0 / (9.0 * p) - z / (3.0 * p.unary("Sqrt"))
    big_t = q + (p - 1.0) / 2.0
    gamma_form = -_expm1_64(-p * cube * cube * cube / big_t)
    upper_gamma = upper.and_(cube.gt(0.0)).and_(big_t.ge(1.0))
    tails = _select(upper_gamma, gamma_form, tails)
    guess = _select(p.gt(1.0).and_(q.gt(1.0)), carter, tails)
    # Newton runs inside (0, 1): outside or NaN, the tail form, then clamped.
    fallback = _select(low_tail.lt(-690.0), 1e-300, low_tail.unary("Exp"))
    inside = guess.gt(0.0).and_(guess.lt(1.0))
    guess = _select(inside, guess, fallback)
    guess = _select(guess.gt(1e-300), guess, 1e-300)
    return _select(guess.lt(1.0), guess, 0.5)


def betaincinv64(a: _Num, b: _Num, y: _Num) -> _Num:
    """The x with I_x(a, b) = y: for y <= 1/2 or x <= 1/2 (y against I_1/2(a, b)) directly,
    else as 1 - u with I_u(b, a) = 1 - y (exact), so that the target is exact and a small
    result keeps its relative accuracy; from AS 109's first guess (for the upper half
    without Carter's form, -T log(1 - x) as a Gamma(p) quantile by Wilson and Hilferty),
    Newton's method with Halley's correction on log I as a function of log x (nearly linear
    in the tails: steps x -> x exp(-log(I/y) / (d log I / d log x))) kept inside the bracket
    the steps found (a geometric bisection otherwise), an ONNX Loop of incomplete beta
    functions until I matches y to 4e-15 or the step is below that (3 steps for most
    elements, 5 at most on the speed grid of BENCHMARKS.md). Edge values as scipy, and at
    extreme parameters its limits (1 - x below 2**-54 -> 1, x below DBL_MIN -> DBL_MIN, a = b
    huge -> 1/2, b subnormal -> 1) and its NaN for both parameters above 1 and one from
    4e154. ≤ 26 ulp (float64) measured; the error grows as 1 / (d log I / d log x), about
    1/a in the lower tail."""
    a, b, y = _broadcast(a, b, y)
    ok = _domain(a, b, y)
    aa, bb, yy = _select(ok, a, 1.0), _select(ok, b, 1.0), _select(ok, y, 0.5)
    half = aa * 0.0 + 0.5
    conv_half, at_half, _ = _ibeta(aa, bb, half, half, aa * 0.0, ok, _INNER_MAX_STEPS)
    # one parameter below 1e-300: I_1/2 is 1 - O(a) for a tiny a (exactly 1 in float64; the
    # loops leave it an ulp or more below, which put y = 1 - 2**-53 on the wrong side; for
    # b > 1 only: with b <= 1 scipy's value there is 1/(1 + b), which the other side gives),
    # and O(b) for a tiny b (0 where the loops stop)
    tiny_a, tiny_b = aa.lt(1e-300), bb.lt(1e-300)
    one_tiny = tiny_a.and_(bb.gt(1.0))
    one_tiny = one_tiny.or_(tiny_b.and_(tiny_a.unary("Not")).and_(conv_half.unary("Not")))
    at_half = _select(one_tiny, _select(tiny_a, 1.0, 0.0), at_half)
    conv_half = conv_half.or_(one_tiny)
    # y <= 1/2: I_x(a, b) = y (exact target); else on the half where x lies: I_x(a, b) = y
    # for x <= 1/2, I_(1-x)(b, a) = 1 - y (1 - y exact) for x > 1/2
    lower = yy.le(0.5).or_(yy.le(at_half))
    p, q = _select(lower, aa, bb), _select(lower, bb, aa)
    t = _select(lower, yy, 1.0 - yy)
    x0 = _initial_guess(p, q, t)
    # x ~ (t p B(p, q))**(1/p) as x -> 0: below the normal range, the result is DBL_MIN (as
    # scipy's) and Newton does not run.
    # (lgamma(1 + p) to its relative accuracy: with a tiny p and y near 1 the test is
    # log y + log_pb against p log DBL_MIN, both about 1e-16)
    log_pb = _lgamma1p(p) + _lgamma_ratio(p, q)
    underflow = ((t.unary("Log") + log_pb) / p).lt(math.log(_DBL_MIN))
    x0 = _select(underflow, _DBL_MIN, x0)
    # the same for 1 - x, I_(1-x)(b, a) = 1 - y: below 2**-54, x rounds to 1
    log_qb = gammaln64(bb + 1.0) + _lgamma_ratio(bb, aa)
    near_one = ((_log1p64(-yy) + log_qb) / bb).lt(-54.0 * math.log(2.0))
    x0 = _select(near_one, _select(lower, 1.0, 0.0), x0)
    underflow = underflow.or_(near_one)

    def step(state: list[_Num], done: _Num) -> tuple[_Num, list[_Num]]:
        x, lo, hi = state
        xc = 1.0 - x
        xl = (1.0 - xc) - x
        # frozen elements get the harmless point of _ibeta, so its loops do not run for them
        active = ok.and_(done.unary("Not"))
        conv, value, density = _ibeta(p, q, x, xc, xl, active, _INNER_MAX_STEPS)
        # Where I is out of reach (b < 1, x > 0.995, I < 0.14: NaN in betainc) its rough
        # value still orders x against the target: a bisection step.
        below = value.lt(t)
        lo = _select(below, x, lo)
        hi = _select(below, hi, x)
        log_ratio = (value / t).unary("Log")
        slope = x * density / value  # d log I / d log x
        r = log_ratio / slope
        # Halley's correction: with g = log I over v = log x, g''/g' = p - (q - 1) x / (1 - x)
        # - g' (the density's logarithmic derivative); cubic convergence where the factor is
        # moderate, Newton's step elsewhere
        curvature = p - (q - 1.0) * x / xc - slope
        halley = 1.0 - 0.5 * r * curvature
        moderate = halley.ge(0.5).and_(halley.le(2.0))
        r = _select(moderate, r / halley, r)
        nxt = x * (-r).unary("Exp")
        inside = nxt.ge(lo).and_(nxt.le(hi))
        geometric = lo.gt(0.0).and_(hi.gt(2.0 * lo))
        mid = _select(geometric, lo.unary("Sqrt") * hi.unary("Sqrt"), 0.5 * (lo + hi))
        # ORT's float64 Exp and Log are not correctly rounded (their last bits change with
        # the tensor's size): the tolerances leave room for that noise in I.
        done = log_ratio.unary("Abs").le(4e-15).or_(r.unary("Abs").le(4e-15))
        done = done.or_((hi - lo).le(4e-15 * hi)).and_(conv)
        # A last step stays where it is unless Newton's is inside the bracket, or so small
        # (1e-12) that only I's last-bit noise can have put it outside: the final step is
        # the one that brings the error from the tolerance down to that noise.
        inside = inside.or_(r.unary("Abs").le(1e-12))
        nxt = _select(inside.and_(conv), nxt, _select(done, x, mid))
        return done, [nxt, lo, hi]

    zero = aa * 0.0
    state = [x0, zero, zero + 1.0]
    converged, (x, _, _) = _iterate(state, step, _NEWTON_MAX_STEPS, done=underflow)
    out = _select(lower, x, 1.0 - x)
    # (a result settled below DBL_MIN or at 1 needs neither loop: I_1/2 may be out of reach)
    out = _select(converged.and_(conv_half.or_(underflow)), out, math.nan)
    nan = a.unary("IsNaN").or_(b.unary("IsNaN")).or_(y.unary("IsNaN"))
    nan = nan.or_(a.le(0.0)).or_(b.le(0.0)).or_(y.lt(0.0)).or_(y.gt(1.0))
    # scipy: infinite parameters give NaN inside (0, 1), except with the other parameter 1
    out = _select(a.eq(math.inf).or_(b.eq(math.inf)), math.nan, out)
    # where that or the loops leave NaN, a parameter of 1 has a closed form (I_x(1, b) =
    # 1 - (1 - x)^b, I_x(a, 1) = x^a): 0 for b = inf, 1 for a = inf, as scipy; and
    # betaincinv(1, 1e300, 1/2) = log(2)/1e300
    closed = _select(a.eq(1.0), -_expm1_64(_log1p64(-y) / b), (y.unary("Log") / a).unary("Exp"))
    use_closed = out.unary("IsNaN").and_(a.eq(1.0).or_(b.eq(1.0)))
    out = _select(use_closed, closed, out)
    # scipy (Boost's ibeta_inv) gives NaN for both parameters above 1 and one of them from
    # about 4e154 on (measured: values up to 2e154, NaN from 5e154 for a small parameter up
    # to 2, a few values on to 1e158 for larger ones), where the true x is 1 or below
    # DBL_MIN: NaN as scipy's (the contract)
    huge_pair = a.gt(1.0).and_(b.gt(1.0)).and_(a.ge(4e154).or_(b.ge(4e154)))
    out = _select(huge_pair, math.nan, out)
    # a = b: x = 1/2 + O(1/sqrt(a)), which rounds to 1/2 (even at y = 5e-324) from a = 1e36;
    # both subnormal, I is b / (a + b) all across (0, 1) and scipy gives (about) 1/2
    equal = a.eq(b).and_(a.lt(math.inf))
    out = _select(equal.and_(a.ge(1e36).or_(out.unary("IsNaN").and_(a.lt(_DBL_MIN)))), 0.5, out)
    # b subnormal and a normal: I_x(a, b) is about b log(1/(1 - x)) until x is within
    # e^(-y/b) of 1, so the root rounds to 1 (scipy's value) wherever the loops miss it
    tiny_b = b.lt(_DBL_MIN).and_(a.ge(_DBL_MIN)).and_(a.lt(math.inf)).and_(out.unary("IsNaN"))
    out = _select(tiny_b, 1.0, out)
    out = _select(y.eq(0.0), 0.0, _select(y.eq(1.0), 1.0, out))
    return _select(nan, math.nan, out)


lowers(ops.BetaIncInv)(_in_float64(betaincinv64))
