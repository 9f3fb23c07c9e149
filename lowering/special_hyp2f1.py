"""2F1(a, b; c; z) in float64 ONNX arithmetic: power series (ONNX ``Loop``s built with
``lowering/special_beta.py``'s elementwise iteration) under the linear transformations that make
them converge: Pfaff's and Euler's, and the 1 - z and 1/(1 - z) transformations (Abramowitz and
Stegun 15.3.6 and 15.3.8) with their limit forms (15.3.10, 15.3.11; DLMF 15.8.10) where
c - a - b, or a - b, is an integer. Float32 and float16 are computed in float64 and rounded
once. The accuracy, measured by ``benchmarks/accuracy_hyp2f1.py`` against mpmath, is in the
rule's docstring.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ir import ops
from lowering.registry import lowers
from lowering.special import _in_float64, _Num, _select, gamma64, psi64
from lowering.special_beta import (
    _broadcast,
    _expm1_64,
    _iterate,
    _lgamma_difference,
    _pow,
    _two_sum,
)

# -- 2F1 -----------------------------------------------------------------------------------------

#: Series terms at most (the direct series near z = 1 needs about 40 / (1 - z)).
_HYP_MAX_STEPS = 5000
#: A form whose estimated error (ulps: its cancellation times the rounding errors its terms
#: carry) is below this is taken at once; elsewhere the next forms are tried too and the one
#: of least estimate taken.
_ACCEPT = 256.0
#: The error of a product of Γ factors (``gamma64`` is within 16 ulp).
_GAMMA_ERROR = 16.0
#: c - a - b (or a - b) closer than this to an integer: the paired form (``_near_integer``).
_PAIRED_FROM = 0.25
#: Euler's constant, -ψ(1).
_EULER_GAMMA = 0.5772156649015329
#: float64's machine epsilon.
_EPS = 2.220446049250313e-16


def _select_bool(cond: _Num, a: _Num, b: _Num) -> _Num:
    """cond ? a : b on bool values (ONNX Runtime has no bool Where)."""
    return cond.and_(a).or_(cond.unary("Not").and_(b))


def _finite(v: _Num) -> _Num:
    return (v - v).eq(0.0)


def _hyp_series(
    a: _Num,
    b: _Num,
    c: _Num,
    z: _Num,
    active: _Num,
    front: tuple[_Num, _Num, _Num] | None = None,
) -> tuple[_Num, _Num, _Num]:
    """(converged, S, error estimate in ulps): S = sum_n (a)_n (b)_n z**n / ((c)_n n!) where
    ``active`` (other elements take no step), times (p)_k / (q)_k for ``front`` = (p, q, k)
    (accumulated in the same loop; k at most the polynomial's degree). Converged where it
    ended (a polynomial) or its terms fell below 1e-17 of the sum for good. The estimate is
    the cancellation (sum of the terms' magnitudes over |S|) times 1 + sqrt(terms): each
    term carries the rounding errors of every ratio before it."""
    p, q, count = front if front is not None else (z, z, z * 0.0)

    def step(state: list[_Num], _: _Num) -> tuple[_Num, list[_Num]]:
        n, term, total, lost, size, r = state
        ratio = (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z
        r = r * _select(n.lt(count), (p + n) / (q + n), 1.0)
        term = term * ratio
        corrected = term - lost
        new_total = total + corrected
        lost = (new_total - total) - corrected
        size = size + term.unary("Abs")
        n = n + 1.0
        small = term.unary("Abs").le(new_total.unary("Abs") * 1e-17)
        # later terms shrink once |ratio| < 1 for good: (a + n)(b + n)/((c + n)(n + 1)) -> 1
        # from below once n is past |a| + |b| and c + n > 1
        shrinking = ratio.unary("Abs").lt(1.0).and_(n.gt(a.unary("Abs") + b.unary("Abs")))
        shrinking = shrinking.and_((c + n).gt(1.0))
        done = term.eq(0.0).or_(small.and_(shrinking)).and_(n.ge(count))
        # a term that overflowed (or is NaN) has lost the sum: stop (its estimate is NaN, so
        # the form is never taken) rather than run to the cap
        done = done.or_(_finite(term).unary("Not"))
        return done, [n, term, new_total, lost, size, r]

    zero = z * 0.0
    one = zero + 1.0
    converged, (n, _, total, _, size, r) = _iterate(
        [zero, one, one, zero, one, one], step, _HYP_MAX_STEPS, done=active.unary("Not")
    )
    error = size / total.unary("Abs") * (1.0 + n.unary("Sqrt"))
    return converged, total * r, error


def _nonpositive_integer(v: _Num) -> _Num:
    return v.le(0.0).and_(v.unary("Floor").eq(v))


def _gamma_negative(x: _Num) -> _Num:
    """Γ(x) < 0: x < 0 with an odd floor (x not a pole)."""
    floor = x.unary("Floor")
    return x.lt(0.0).and_((floor - 2.0 * (0.5 * floor).unary("Floor")).eq(1.0))


def _rgamma(x: _Num) -> _Num:
    """1/Γ(x): 0 at the poles (where ``gamma64`` gives NaN or ±inf)."""
    return _select(_nonpositive_integer(x), 0.0, 1.0 / gamma64(x))


def _log_series(
    a: _Num,
    b: _Num,
    ca: _Num,
    cb: _Num,
    m: _Num,
    rg_m1: _Num,
    y: _Num,
    log_y: _Num,
    active: _Num,
) -> tuple[_Num, list[_Num]]:
    """The two sums of A&S 15.3.11 for c = a + b + m (m = 0, 1, ...; ca = c - a = b + m,
    cb = c - b = a + m; rg_m1 = 1/m!), in one Loop: (converged, [finite, its size, log sum,
    its size, terms]) with
    finite = sum_(n < m) (a)_n (b)_n (m - n - 1)! (-y)**n / n! and
    log sum = sum_n (a + m)_n (b + m)_n y**n / (n! (n + m)!) [log y + e1_n + e2_n],
    e1_n = ψ(a + m + n) - ψ(m + 1 + n), e2_n = ψ(b + m + n) - ψ(1 + n): the digamma
    differences, started from ``psi64`` and stepped by their recurrences' differences
    (1 - a) / ((a + m + n)(m + 1 + n)) and (1 - b - m) / ((b + m + n)(1 + n)) (no sum of
    growing digammas to cancel)."""
    # ψ at a pole (a or b a non-positive integer: the log sum's factor 1/(Γ(a) Γ(b)) is 0)
    e1 = psi64(cb) - psi64(m + 1.0)
    e2 = psi64(ca) + _EULER_GAMMA  # ψ(1) is minus Euler's constant
    e1 = _select(_finite(e1), e1, 0.0)
    e2 = _select(_finite(e2), e2, 0.0)
    first = _select(m.ge(1.0), 1.0 / (rg_m1 * m), 0.0)  # (m - 1)! = m! / m

    def guard(v: _Num) -> _Num:
        return _select(v.eq(0.0), 1.0, v)

    def step(state: list[_Num], _: _Num) -> tuple[_Num, list[_Num]]:
        n, ft, fs, fsize, lt, ls, lost, lsize, e1, e2 = state
        finite_on = n.lt(m)
        fs = fs + _select(finite_on, ft, 0.0)
        fsize = fsize + _select(finite_on, ft.unary("Abs"), 0.0)
        ft = ft * ((a + n) * (b + n) / ((n + 1.0) * guard(m - n - 1.0))) * -y
        weight = log_y.unary("Abs") + e1.unary("Abs") + e2.unary("Abs")
        term = lt * ((log_y + e1) + e2)
        corrected = term - lost
        new_ls = ls + corrected
        lost = (new_ls - ls) - corrected
        term_size = lt.unary("Abs") * weight
        lsize = lsize + term_size
        ratio = (cb + n) * (ca + n) / ((n + 1.0) * (n + m + 1.0)) * y
        lt = lt * ratio
        e1 = e1 + (1.0 - a) / (guard(cb + n) * (n + m + 1.0))
        e2 = e2 + (1.0 - ca) / (guard(ca + n) * (n + 1.0))
        n = n + 1.0
        small = term_size.le(new_ls.unary("Abs") * 1e-17)
        shrinking = ratio.unary("Abs").lt(1.0).and_(n.gt(ca.unary("Abs") + cb.unary("Abs")))
        done = n.ge(m).and_(lt.eq(0.0).or_(small.and_(shrinking)))
        return done, [n, ft, fs, fsize, lt, new_ls, lost, lsize, e1, e2]

    zero = y * 0.0
    start = [zero, first, zero, zero, rg_m1, zero, zero, zero, e1, e2]
    converged, final = _iterate(start, step, _HYP_MAX_STEPS, done=active.unary("Not"))
    steps, _, fs, fsize, _, ls, _, lsize, _, _ = final
    return converged, [fs, fsize, ls, lsize, steps]


def _lgamma_step(x: _Num, e: _Num) -> _Num:
    """lgamma(x + e) - lgamma(x) to its own relative accuracy, for x > 0, x + e > 0,
    |e| < 1 (special_beta's difference for e > 0, minus the reverse one for e < 0)."""
    negative = e.lt(0.0)
    step = _lgamma_difference(_select(negative, x + e, x), e.unary("Abs"))
    return _select(negative, -step, step)


def _near_integer(
    a: _Num,
    b: _Num,
    m: _Num,
    rg_m1: _Num,
    eps: _Num,
    y: _Num,
    log_y: _Num,
    active: _Num,
) -> tuple[_Num, list[_Num]]:
    """A&S 15.3.6 for c = a + b + m + eps (m = 0, 1, ...; 0 < |eps| <= 1/2) with the
    cancelling 1/sin(π eps) parts of its two series paired term by term, so that nothing is
    divided by eps but exact differences: with P_k = Γ(a+m+k) Γ(b+m+k) / (Γ(a+m+eps)
    Γ(b+m+eps) Γ(1+k-eps) (m+k)!) and Q_k the same with eps moved (Γ(a+m+k+eps)
    Γ(b+m+k+eps) / (Γ(a+m+eps) Γ(b+m+eps) k! Γ(1+m+k+eps))), 2F1 / Γ(c) =
    Γ(m+eps) / (Γ(b+m+eps) Γ(a+m+eps)) sum_(n<m) (a)_n (b)_n y**n / ((1-m-eps)_n n!)
    + (-1)**m π eps / sin(π eps) / (Γ(a) Γ(b)) y**m sum_k y**k (D_k + Q_k (1 - y**eps)/eps),
    D_k = (P_k - Q_k)/eps: D_0 from lgamma differences (``_lgamma_step``) and expm1, then
    D_(k+1) = p_k D_k + Q_k (p_k - q_k)/eps with p_k, q_k the ratios P_(k+1)/P_k,
    Q_(k+1)/Q_k and (p_k - q_k)/eps a polynomial in eps written out. For a + m, b + m,
    a + m + eps, b + m + eps > 0; rg_m1 = 1/m!. (converged, [finite sum, its size, sum,
    its size, terms])."""
    am, bm = a + m, b + m
    g_r = -(_lgamma_step(am, eps) + _lgamma_step(bm, eps) + _lgamma_step(m * 0.0 + 1.0, -eps))
    g_s = -_lgamma_step(m + 1.0, eps)
    d0 = (_expm1_64(g_r) - _expm1_64(g_s)) / eps * rg_m1
    q0 = _rgamma(m + 1.0 + eps)
    x = eps * log_y
    w = -log_y * _select(x.eq(0.0), 1.0, _expm1_64(x) / x)  # (1 - y**eps) / eps
    abm2 = (a + b + m) - 2.0
    a1b1 = (a - 1.0) * (b - 1.0)

    def step(state: list[_Num], _: _Num) -> tuple[_Num, list[_Num]]:
        n, ft, fs, fsize, d, q, yk, s, lost, ssize = state
        finite_on = n.lt(m)
        fs = fs + _select(finite_on, ft, 0.0)
        fsize = fsize + _select(finite_on, ft.unary("Abs"), 0.0)
        ft = ft * ((a + n) * (b + n) / ((1.0 - m - eps + n) * (n + 1.0))) * y
        qw = q * w
        term = yk * (d + qw)
        term_size = yk * (d.unary("Abs") + qw.unary("Abs"))
        corrected = term - lost
        new_s = s + corrected
        lost = (new_s - s) - corrected
        ssize = ssize + term_size
        big_a, big_b, k1, m1 = am + n, bm + n, n + 1.0, m + n + 1.0
        p = big_a * big_b / ((k1 - eps) * m1)
        numerator = m1 * m1 * abm2 + a1b1 * (m1 + k1) + eps * m1 * ((big_a + big_b) - k1)
        numerator = numerator + eps * eps * m1
        d = p * d + q * numerator / ((k1 - eps) * m1 * k1 * (m1 + eps))
        q = q * ((big_a + eps) * (big_b + eps) / (k1 * (m1 + eps)))
        yk = yk * y
        n = n + 1.0
        small = term_size.le(new_s.unary("Abs") * 1e-17)
        shrinking = (p * y).unary("Abs").lt(1.0).and_(n.gt(am.unary("Abs") + bm.unary("Abs")))
        done = n.ge(m).and_(yk.eq(0.0).or_(small.and_(shrinking)))
        return done, [n, ft, fs, fsize, d, q, yk, new_s, lost, ssize]

    zero = y * 0.0
    one = zero + 1.0
    start = [zero, one, zero, zero, d0, q0, one, zero, zero, zero]
    converged, final = _iterate(start, step, _HYP_MAX_STEPS, done=active.unary("Not"))
    steps, _, fs, fsize, _, _, _, s, _, ssize = final
    return converged, [fs, fsize, s, ssize, steps]


def _transformed(
    a: _Num,
    b: _Num,
    c: _Num,
    gc: _Num,
    ca: _Num,
    cb: _Num,
    d: _Num,
    y: _Num,
    log_y: _Num,
    pow_y: Callable[[_Num], _Num],
    active: _Num,
    tolerance: _Num,
) -> tuple[_Num, _Num, _Num]:
    """(converged, F(a, b; c; 1 - y), error estimate in ulps) for 0 < y <= 1/2 and
    d = c - a - b >= 0 (gc = Γ(c), ca = c - a, cb = c - b; each rounded once from the caller's own
    parameters):
    A&S 15.3.6, Γ(c) Γ(d) / (Γ(c - a) Γ(c - b)) F(a, b; 1 - d; y)
    + y**d Γ(c) Γ(-d) / (Γ(a) Γ(b)) F(c - a, c - b; 1 + d; y); where d = m is an integer,
    its limit 15.3.11, Γ(c) / (Γ(a + m) Γ(b + m)) finite - (-y)**m Γ(c) / (Γ(a) Γ(b)) log sum
    (``_log_series``), taken where d is within ``tolerance`` of m. ``pow_y(e)`` is y**e,
    ``log_y`` log y, both to full precision."""
    m = d.unary("Round")
    integer = (d - m).unary("Abs").le(tolerance)
    rg_a, rg_b, rg_ca, rg_cb, rg_m1 = (_rgamma(v) for v in (a, b, ca, cb, m + 1.0))
    g_d = gamma64(d)
    general = active.and_(integer.unary("Not"))
    ok1, s1, error1 = _hyp_series(a, b, 1.0 - d, _select(general, y, 0.0), general)
    ok2, s2, error2 = _hyp_series(ca, cb, 1.0 + d, _select(general, y, 0.0), general)
    t1 = gc * g_d * rg_ca * rg_cb * s1
    t2 = pow_y(d) * gc * gamma64(-d) * rg_a * rg_b * s2
    value = t1 + t2
    error = t1.unary("Abs") * (error1 + _GAMMA_ERROR) + t2.unary("Abs") * (error2 + _GAMMA_ERROR)

    limit = active.and_(integer)
    ok3, (fs, fsize, ls, lsize, steps) = _log_series(a, b, ca, cb, m, rg_m1, y, log_y, limit)
    g1 = gc * rg_ca * rg_cb
    odd = (m - 2.0 * (0.5 * m).unary("Floor")).eq(1.0)
    scale = rg_a * rg_b
    g2 = _select(odd, 1.0, -1.0) * pow_y(m) * gc * scale
    # 1/(Γ(a) Γ(b)) = 0: no log sum (its digammas may be NaN there)
    log_part = _select(scale.eq(0.0), 0.0, g2 * ls)
    log_size = _select(scale.eq(0.0), 0.0, g2.unary("Abs") * lsize)
    value = _select(integer, g1 * fs + log_part, value)
    limit_error = (g1.unary("Abs") * fsize + log_size) * (_GAMMA_ERROR + steps.unary("Sqrt"))
    error = _select(integer, limit_error, error)
    # 1/Γ(a) = 0 with a pole of ψ(a + m + n) in the log sum (a + m <= 0): 0 times inf there
    broken = scale.eq(0.0).and_((a + m).le(0.0).or_((b + m).le(0.0)))
    ok3 = ok3.and_(broken.unary("Not"))
    ok = integer.and_(ok3).or_(integer.unary("Not").and_(ok1).and_(ok2))

    # c - a - b within 1/4 of an integer (not one): the paired form, whose terms do not cancel
    # like 1/eps (positive Γ arguments only)
    eps = d - m
    paired = active.and_(integer.unary("Not")).and_(eps.unary("Abs").le(_PAIRED_FROM))
    paired = paired.and_((a + m).gt(0.0)).and_((b + m).gt(0.0)).and_(ca.gt(0.0)).and_(cb.gt(0.0))
    ok4, (ps, psize, qs, qsize, steps) = _near_integer(
        a, b, m, rg_m1, _select(paired, eps, 0.25), _select(paired, y, 0.25), log_y, paired
    )
    f1 = g_d * g1
    pi_eps = math.pi * eps
    f2 = _select(odd, -1.0, 1.0) * (pi_eps / pi_eps.unary("Sin")) * pow_y(m) * gc * scale
    paired_value = f1 * ps + f2 * qs
    paired_error = (f1.unary("Abs") * psize + f2.unary("Abs") * qsize) * (
        _GAMMA_ERROR + steps.unary("Sqrt")
    )
    value = _select(paired, paired_value, value)
    error = _select(paired, paired_error, error)
    ok = _select_bool(paired, ok4, ok)
    return ok, value, error / value.unary("Abs")


def hyp2f1_64(a: _Num, b: _Num, c: _Num, z: _Num) -> _Num:
    """2F1(a, b; c; z) for real arguments, as the first of these forms that converges with an
    error estimate (its cancellation, sum of |terms| / |sum|, times the rounding its terms
    carry) below 256 ulp, else the one of least estimate (each series an ONNX Loop of up to
    5000 terms): for 1/2 < z < 1 the 1 - z transformation (A&S 15.3.6: two series in 1 - z
    with Γ factors; where c - a - b is an integer its limit 15.3.10/15.3.11 with digamma sums;
    within 1/4 of an integer, ``_near_integer``'s pairing of its two series, which does not
    cancel like 1 / (distance to the integer)), and for z < -1 the 1/(1 - z) one (15.3.8:
    Pfaff's transformation to w = z/(z - 1) followed by the 1 - w one, in 1/(1 - z); the same
    limit and paired forms where a - b is, or is near, an integer), both arranged so that the
    exponent difference is >= 0 (Euler's or the other Pfaff transformation first); the series
    itself (z > -0.9, and the polynomial cases, a or b a non-positive integer, at any z);
    Pfaff's (1 - z)**-a 2F1(a, c - b; c; z/(z - 1)) and (1 - z)**-b 2F1(c - a, b; c; z/(z - 1))
    for z < 0; Euler's (1 - z)**(c - a - b) 2F1(c - a, c - b; c; z) for 0 < z < 1; a
    polynomial's 1 - z form (DLMF 15.8.7) for z > 1/2. Gauss's
    Γ(c) Γ(c - a - b) / (Γ(c - a) Γ(c - b)) at z = 1. NaN where no form converges. As scipy:
    1 at z = 0, inf where c is a non-positive integer (not cancelled by a polynomial of lower
    degree) and for z > 1, at z = 1 when c - a - b <= 0 inf (-inf where c - a - b <= -1 and
    Γ(c)/(Γ(a) Γ(b)) < 0), at z = -inf A&S 15.3.7's limit (NaN for an integer b - a), a
    polynomial's 1 + a b z / c at ±inf; and Cephes' own rules where they decide (Euler's
    transformation first for c - a - b <= -1, 2F1(-1, b; c; z) = 1 - b z / c, its power
    series' NaN and inf, its early answers with NaN arguments, a = b below z = -1e13: the
    helpers below). Measured (``benchmarks/accuracy_hyp2f1.py``): ≤ 64 ulp (float64) with
    positive parameters over the whole z line, near-integer exponent differences included,
    but near zeros of 2F1 for z < -1, where the two terms of 15.3.8 cancel: 77 ulp of a value
    1.75e-7 from terms of 7e-6, scipy 372; 682 ulp of 1.6e-15 from terms of 1.5e-13, about 5
    ulp of the terms, scipy 347 (2.7 of the terms); with parameters of both signs, where
    every form's terms cancel, ≤ 91 ulp on the grid (scipy up to 579 on the same point); the
    two-term form's 1 / (distance to an integer) cancellation is left where the paired form's
    Γ arguments are not all positive (BENCHMARKS.md)."""
    a, b, c, z = _broadcast(a, b, c, z)
    # Cephes (scipy, PyTensor's perform) answers by Euler's transformation before any other
    # form where c - a - b <= -1 (``_euler_first``): (1 - z)**(c - a - b) F(c - a, c - b; c; z),
    # whose inner c - a - b is >= 1. The same value where all is finite; taken the same way
    # so that its factor's overflow and the inner rules' NaN and inf fall where scipy's do.
    euler, _ = _euler_first(a, b, c, z)
    factor = _pow(1.0 - z, c - a - b)
    out = _hyp2f1_inner(_select(euler, c - a, a), _select(euler, c - b, b), c, z)
    return _select(euler, factor * out, out)


def _hyp2f1_inner(a: _Num, b: _Num, c: _Num, z: _Num) -> _Num:
    """``hyp2f1_64`` where Euler's transformation does not come first."""
    # -inf is no integer to Cephes (|a - round(a)| is NaN): no polynomial, no pole
    poly_a = _nonpositive_integer(a).and_(a.gt(-math.inf))
    poly_b = _nonpositive_integer(b).and_(b.gt(-math.inf))
    polynomial = poly_a.or_(poly_b)
    not_polynomial = polynomial.unary("Not")
    degree = _select(
        poly_a.and_(poly_b),
        _select(a.gt(b), -a, -b),
        _select(poly_a, -a, -b),
    )
    pole = _nonpositive_integer(c).and_(c.gt(-math.inf))
    pole = pole.and_(not_polynomial.or_((-c).le(degree)))
    inside = z.lt(1.0).or_(polynomial).and_(pole.unary("Not"))
    negative = z.lt(0.0).and_(not_polynomial)
    one_minus = 1.0 - z
    one_minus_low = (1.0 - one_minus) - z  # 1 - z = one_minus + one_minus_low exactly

    def power(e: _Num) -> _Num:  # (1 - z)**e
        return _pow(one_minus, e) * (e * one_minus_low / one_minus).unary("Exp")

    # The 1 - z (near) and 1/(1 - z) (far) transformations, one evaluation for both:
    # near, d = c - a - b to full precision (an integer exactly when it is one) and, for
    # d < 0, Euler's y**d 2F1(c - a, c - b; c; z) first; far, (1 - z)**-a 2F1(a, c - b; c; w)
    # for b >= a, else (1 - z)**-b 2F1(c - a, b; c; w), whose 1 - w = 1/(1 - z).
    far = negative.and_(z.lt(-1.0)).and_(inside)
    near = z.gt(0.5).and_(not_polynomial).and_(inside)
    s, s_err = _two_sum(c, -a)
    d_hi, d_err = _two_sum(s, -b)
    d_near = d_hi + (d_err + s_err)
    d_far = b - a
    flip = far.and_(d_far.lt(0.0)).or_(far.unary("Not").and_(d_near.lt(0.0)))
    big = _select(far, d_far, d_near)
    d = big.unary("Abs")
    c_a, c_b = c - a, c - b
    ta = _select(flip, c_a, a)
    tb = _select(far.and_(flip.unary("Not")), c_b, _select(far, b, _select(flip, c_b, b)))
    tca = _select(flip, a, c_a)
    tcb = _select(far.and_(flip.unary("Not")), b, _select(far, c_b, _select(flip, b, c_b)))
    y_far = (1.0 / one_minus) * (1.0 - one_minus_low / one_minus)
    y = _select(far, y_far, _select(near, one_minus, 0.25))
    log_y = _select(far, -(one_minus.unary("Log") + one_minus_low / one_minus), y.unary("Log"))

    def pow_y(e: _Num) -> _Num:
        return _select(far, power(-e), _pow(y, e))

    prefactor = _select(far, power(_select(flip, -b, -a)), _select(flip, _pow(one_minus, big), 1.0))
    # d within a few roundings of an integer m (c - a - b of decimal inputs such as 0.7, 0.3,
    # 0.4 is 5.6e-17): the limit form, off by about |d - m| d log F / dd; the two-term form
    # would cancel to nothing
    abs_a, abs_b, abs_c = a.unary("Abs"), b.unary("Abs"), c.unary("Abs")
    largest = _select(abs_a.gt(abs_b), abs_a, abs_b)
    largest = _select(largest.gt(abs_c), largest, abs_c)
    tolerance = 4.0 * _EPS * (1.0 + largest)
    gc = gamma64(c)
    t_ok, t_value, t_amp = _transformed(
        ta, tb, c, gc, tca, tcb, d, y, log_y, pow_y, far.or_(near), tolerance
    )

    w = z / (z - 1.0)
    # Pfaff's forms also for a polynomial at z < 0 (a polynomial again where a, or b, is the
    # non-positive integer): their terms may cancel less than the series'
    below = z.lt(0.0)
    # A polynomial of degree k in a = -k also as (c - b)_k/(c)_k 2F1(-k, b; b - c - k + 1; 1 - z)
    # (DLMF 15.8.7), for z > 1/2: its terms may cancel less
    by_a = poly_a.and_(poly_b.unary("Not").or_(a.ge(b)))
    other = _select(by_a, b, a)
    # Beyond |argument| = 1 - 40/5000 an infinite series cannot converge in 5000 terms: there
    # the transformations alone (no loop running to its cap for nothing)
    reach = 1.0 - 40.0 / _HYP_MAX_STEPS
    slow = z.gt(reach).or_(w.gt(reach).and_(below))
    series = [
        (None, a, b, c, z, z.gt(-0.9).or_(polynomial), None),
        (power(-a), a, c - b, c, w, negative.or_(below.and_(poly_a)), None),
        (power(-b), c - a, b, c, w, negative.or_(below.and_(poly_b)), None),
        (power(c - a - b), c - a, c - b, c, z, z.gt(0.0).and_(z.lt(1.0)), None),
        (
            None,
            -degree,
            other,
            other - c - degree + 1.0,
            one_minus,
            polynomial.and_(z.gt(0.5)),
            (c - other, c, degree),
        ),
    ]
    out = z * math.nan
    best = z * 0.0 + math.inf  # the least cancellation taken so far
    found = far.or_(near).and_(t_ok).and_(t_amp.le(_ACCEPT))
    better = far.or_(near).and_(t_ok).and_(t_amp.lt(best))
    out = _select(better, prefactor * t_value, out)
    best = _select(better, t_amp, best)
    for scale, p, q, r, arg, applies, front in series:
        ends = _nonpositive_integer(p).or_(_nonpositive_integer(q))  # a polynomial
        use = applies.and_(slow.unary("Not").or_(ends)).and_(inside).and_(found.unary("Not"))
        ok, total, amp = _hyp_series(p, q, r, _select(use, arg, 0.0), use, front)
        value = total if scale is None else scale * total
        ok = use.and_(ok)
        # (a sum of exactly 0, a polynomial's, has an infinite estimate: taken where no other
        # form was, as scipy's sum)
        better = ok.and_(amp.lt(best).or_(out.unary("IsNaN").and_(amp.eq(math.inf))))
        out = _select(better, value, out)
        best = _select(better, amp, best)
        found = found.or_(ok.and_(amp.le(_ACCEPT)))
    # z = 1: Gauss's sum where c - a - b > 0, else inf
    # divergent (c - a - b <= 0): inf, as scipy, which gives it the sign of
    # Γ(c) Γ(a + b - c) / (Γ(a) Γ(b)) (that of Euler's transformation) where c - a - b <= -1
    gauss = gc * gamma64(d_near) / (gamma64(c_a) * gamma64(c_b))
    negatives = [_gamma_negative(v).v for v in (a, b, c)]
    odd = _Num(z.ctx, z.ctx.op("Xor", z.ctx.op("Xor", negatives[0], negatives[1]), negatives[2]))
    divergent = _select(d_near.le(-1.0).and_(odd), -math.inf, math.inf)
    # divergent where Cephes' c - a - b (rounded as it computes it) is <= 0; a NaN one (from
    # infinite parameters) is not: Γ(inf)/Γ(inf), NaN, as scipy
    gauss = _select((c - a - b).le(0.0), divergent, gauss)
    out = _select(z.eq(1.0).and_(not_polynomial), gauss, out)
    out = _select(z.gt(1.0).and_(not_polynomial), math.inf, out)
    out = _select(z.eq(-math.inf).and_(not_polynomial), _at_minus_infinity(a, b, c), out)
    # (a polynomial at ±inf: scipy's 1 + a b z / c, ±inf or NaN: ``_series_verdicts``)
    out, series_inf = _series_verdicts(a, b, c, z, out)
    out = _select(pole, math.inf, out)
    out = _select(_pfaff_at_one(a, b, c, z, polynomial.or_(pole)), math.inf, out)
    out = _scipy_coincidences(a, b, c, z, out)
    nan = a.unary("IsNaN").or_(b.unary("IsNaN")).or_(c.unary("IsNaN")).or_(z.unary("IsNaN"))
    out = _select(nan, _with_nan(a, b, c, z), out)
    # Cephes' tests before any arithmetic answer with NaN arguments too: b = c or a = c (for
    # |z| < 1, z = -1) give (1 - z)**-a or (1 - z)**-b (1 where 1 - z rounds to 1), and the
    # series' inf for c within 1e-13 of 0 where it is reached
    coincide, coincide_value = _coincidence(a, b, c, z)
    out = _select(nan.and_(coincide), coincide_value, out)
    reached = series_inf.unary("IsNaN").unary("Not").and_(coincide.unary("Not"))
    out = _select(nan.and_(reached).and_(out.unary("IsNaN")), series_inf, out)
    # Cephes' first answer after z = 0 and a or b = 0 (c not): 2F1(-1, b; c; z) = 1 - b z / c,
    # 0 where that is below 1e-15 in magnitude (exactly a = -1, NaN arguments included)
    linear = 1.0 - b / c * z
    linear = _select(linear.unary("Abs").lt(1e-15), 0.0, linear)
    out = _select(a.eq(-1.0).and_(c.eq(0.0).unary("Not")), linear, out)
    out = _select(a.eq(0.0).or_(b.eq(0.0)).and_(c.eq(0.0).unary("Not")), 1.0, out)
    return _select(z.eq(0.0), 1.0, out)


def _series_verdict(a: _Num, b: _Num, c: _Num, z: _Num) -> tuple[_Num, _Num, _Num]:
    """(NaN, inf, first): where Cephes' power series routine (``hys2f1``) answers without
    summing, and the sum of its first two terms, 1 + a b z / c (NaN where neither). It orders
    a, b so that |a| >= |b| (a b within 1e-13 of an integer <= 0 and of smaller magnitude taken
    as a instead); where |a| > |c| + 1 (or that swap happened), |c - a| > 2 and |a| > 2 it runs
    a recurrence in a over round(a - c) steps (round(a) where that would cross c or 0): NaN
    beyond 10000 of them or at an infinite z (its series are NaN or infinite there). Elsewhere
    c within 1e-13 of 0 gives inf, and the series stops after its first term where that term
    overflows (a NaN or infinite sum) or is below 1.1e-16 of the sum (whatever follows)."""
    swap = b.unary("Abs").gt(a.unary("Abs"))
    big, small = _select(swap, b, a), _select(swap, a, b)
    # (its test is on the rounded value: a tiny positive b counts as the integer 0)
    rounded = small.unary("Round")
    int_small = rounded.le(0.0).and_((small - rounded).unary("Abs").lt(_CEPHES_EPS))
    back = int_small.and_(small.unary("Abs").lt(big.unary("Abs")))
    big, small = _select(back, small, big), _select(back, big, small)
    abs_big = big.unary("Abs")
    recurrence = abs_big.gt(c.unary("Abs") + 1.0).or_(back)
    recurrence = recurrence.and_((c - big).unary("Abs").gt(2.0)).and_(abs_big.gt(2.0))
    toward_c = c.lt(0.0).and_(big.le(c)).or_(c.ge(0.0).and_(big.ge(c)))
    steps = _select(toward_c, big - c, big).unary("Round").unary("Abs")
    nan = recurrence.and_(steps.le(10000.0).unary("Not").or_(z.unary("IsInf")))
    inf = recurrence.unary("Not").and_(c.unary("Abs").lt(_CEPHES_EPS))
    term = big * small * z / c  # in Cephes' order of operations
    first = 1.0 + term
    ends = (
        _finite(first).unary("Not").or_(term.unary("Abs").le(_CEPHES_MACHEP * first.unary("Abs")))
    )
    ends = ends.and_(recurrence.or_(inf).unary("Not")).and_(first.eq(0.0).unary("Not"))
    return nan, inf, _select(ends, first, math.nan)


def _series_verdicts(a: _Num, b: _Num, c: _Num, z: _Num, out: _Num) -> tuple[_Num, _Num]:
    """``out`` but for ``_series_verdict``'s answers where Cephes reaches its power series
    (after its earlier answers, which the caller applies over this): a polynomial (a or b
    within 1e-13 of a non-positive integer, of magnitude below 2**31) at any z; otherwise (a
    polynomial of larger degree, or |z| < 1 or z = -1 with c - a - b >= 0) the series in z
    for z >= -1/2 (at most 0.9), Pfaff's in z/(z - 1) for
    z < -1/2 (F(a, c - b; c) for b > a, else F(c - a, b; c); their power of 1 - z finite),
    and where c - a or c - b is a non-positive integer, F(c - a, c - b; c) (times
    (1 - z)**(c - a - b)). Also returns its inf (times that power of 1 - z) where it applies,
    else NaN."""
    int_a, _ = _near_nonpositive_integer(a)
    int_b, _ = _near_nonpositive_integer(b)
    polynomial = int_a.or_(int_b)
    # Cephes' transformations routine (hyt2f1) tests a and b as C ints: from 2**31 on they
    # are no integers there, and it transforms as for any a, b
    int_limit = 2.0**31
    small = int_a.and_(a.unary("Abs").lt(int_limit)).or_(int_b.and_(b.unary("Abs").lt(int_limit)))
    int_ca, _ = _near_nonpositive_integer(c - a)
    int_cb, _ = _near_nonpositive_integer(c - b)
    # (|z| < 1, z = -1 or a NaN z, which fails each of Cephes' tests of z; c - a - b not
    # below 0, NaN included)
    inside = z.unary("Abs").ge(1.0).and_(z.eq(-1.0).unary("Not")).unary("Not")
    inside = inside.and_(polynomial.unary("Not")).and_((c - a - b).lt(0.0).unary("Not"))
    pfaff = inside.or_(polynomial.and_(small.unary("Not"))).and_(z.lt(-0.5))
    higher = b.gt(a)
    p = _select(pfaff, _select(higher, a, c - a), a)
    q = _select(pfaff, _select(higher, c - b, b), b)
    arg = _select(pfaff, -z / (1.0 - z), z)
    scale = _select(pfaff, _pow(1.0 - z, -_select(higher, a, b)), 1.0)
    turned = inside.and_(int_ca.or_(int_cb))
    p = _select(turned, c - a, p)
    q = _select(turned, c - b, q)
    arg = _select(turned, z, arg)
    scale = _select(turned, _pow(1.0 - z, c - a - b), scale)
    # (Cephes transforms for z < -1/2 and z > 0.9: a NaN z is summed as it is)
    between = z.lt(-0.5).or_(z.gt(0.9)).unary("Not")
    direct = inside.or_(polynomial).and_(between).or_(turned).or_(small)
    nan, inf, first = _series_verdict(p, q, c, arg)
    applies = direct.or_(pfaff)
    value = scale * first
    out = _select(applies.and_(value.unary("IsNaN").unary("Not")), value, out)
    inf = applies.and_(inf)
    infinite = scale * math.inf  # NaN where the power of 1 - z is (a NaN argument) or 0
    out = _select(inf, infinite, out)
    return _select(applies.and_(nan), math.nan, out), _select(inf, infinite, math.nan)


def _at_minus_infinity(a: _Num, b: _Num, c: _Num) -> _Num:
    """scipy's 2F1 at z = -inf (not a polynomial): where b - a is not within 1e-13 of an
    integer, Cephes' A&S 15.3.7 with its two series at 1/z = -0 (both 1),
    P inf**-a + Q inf**-b with P = Γ(c) Γ(b - a) / (Γ(b) Γ(c - a)) and Q the same with a and
    b swapped: 0 for a, b > 0, ±inf (the sign of P or Q) where one is negative, NaN where a 0
    factor (1/Γ at a pole) meets inf or two infinities cancel. P and Q enter by their signs
    and zeros only (where Γ overflows, c beyond 171.6, scipy's P is inf or NaN instead). NaN
    where b - a is an integer (Pfaff's z/(z - 1) is inf/inf there)."""
    e = (b - a).unary("Abs")
    non_integer = (e - e.unary("Round")).unary("Abs").gt(_CEPHES_EPS)
    inf = a * 0.0 + math.inf

    def factor(x: _Num, y: _Num) -> _Num:
        """Γ(c) Γ(y - x) / (Γ(y) Γ(c - x)) as its sign, or 0 at a pole of a denominator Γ."""
        negative = [_gamma_negative(v).v for v in (c, y - x, y, c - x)]
        odd = _xor(a, negative)
        zero = _nonpositive_integer(y).or_(_nonpositive_integer(c - x))
        return _select(zero, 0.0, _select(odd, -1.0, 1.0))

    p = factor(a, b) * _pow(inf, -a)
    q = factor(b, a) * _pow(inf, -b)
    return _select(non_integer, p + q, math.nan)


def _xor(like: _Num, flags: list) -> _Num:
    """The exclusive or of boolean ONNX values ``flags``."""
    ctx = like.ctx
    out = flags[0]
    for flag in flags[1:]:
        out = ctx.op("Xor", out, flag)
    return _Num(ctx, out)


def _pfaff_at_one(a: _Num, b: _Num, c: _Num, z: _Num, excluded: _Num) -> _Num:
    """Where scipy gives inf for z < -1 far enough out that Pfaff's w = z/(z - 1) is within
    1e-13 of 1 (z below about -1e13): with b - a an integer (within 1e-13; or z >= -2) Cephes
    takes (1 - z)**-a F(a, c - b; c; w) for |a| < |b|, else (1 - z)**-b F(b, c - a; c; w), and
    that inner call counts w as 1 (|w - 1| < 1e-13): inf where its c - a - b, d, is in (-1, 0]
    (but d = 0 with c - a or c - b a non-positive integer: its polynomial), or d <= -1 with
    w = 1 exactly (Euler's (1 - w)**d overflows), unless the inner a or b is 0, -1 or a
    non-positive integer (its early answers and polynomials are finite). The true value there
    is finite (a zero of the Γ factors' pole cancels it)."""
    e = (b - a).unary("Abs")
    integer = (e - e.unary("Round")).unary("Abs").le(_CEPHES_EPS)
    pfaff = z.lt(-1.0).and_(integer.or_(z.ge(-2.0))).and_(excluded.unary("Not"))
    first = a.unary("Abs").lt(b.unary("Abs"))
    a2 = _select(first, a, b)
    b2 = _select(first, c - b, c - a)
    w = z / (z - 1.0)
    at_one = (w - 1.0).unary("Abs").lt(_CEPHES_EPS)
    d = c - a2 - b2
    int_a2, _ = _near_nonpositive_integer(a2)
    int_b2, _ = _near_nonpositive_integer(b2)
    int_ca, _ = _near_nonpositive_integer(c - a2)
    int_cb, _ = _near_nonpositive_integer(c - b2)
    early = a2.eq(0.0).or_(b2.eq(0.0)).or_(a2.eq(-1.0)).or_(int_a2).or_(int_b2)
    near_zero = d.gt(-1.0).and_(d.le(0.0))
    near_zero = near_zero.and_(d.ge(0.0).and_(int_ca.or_(int_cb)).and_(w.lt(1.0)).unary("Not"))
    diverges = near_zero.or_(d.le(-1.0).and_(w.eq(1.0)))
    return pfaff.and_(at_one).and_(early.unary("Not")).and_(diverges)


# -- scipy's parameter coincidences --------------------------------------------------------------
#: scipy (Cephes' hyp2f1, PyTensor's ``perform``) takes a parameter within this of an integer,
#: or of another parameter, as equal to it.
_CEPHES_EPS = 1e-13
#: Cephes' MACHEP, 2**-53: its series stops after a term below this of the sum.
_CEPHES_MACHEP = 1.11022302462515654042e-16


def _near_nonpositive_integer(v: _Num) -> tuple[_Num, _Num]:
    """(v <= 0 within 1e-13 of an integer, that integer), as Cephes tests it."""
    n = v.unary("Round")
    return v.le(0.0).and_((v - n).unary("Abs").lt(_CEPHES_EPS)), n


def _euler_first(a: _Num, b: _Num, c: _Num, z: _Num) -> tuple[_Num, _Num]:
    """(where Cephes answers by Euler's transformation before any other test: c - a - b <= -1,
    but for a non-integer c - a - b at z > 1, and neither a nor b a non-positive integer;
    where a or b is a non-positive integer), as Cephes tests them."""
    int_a, _ = _near_nonpositive_integer(a)
    int_b, _ = _near_nonpositive_integer(b)
    polynomial = int_a.or_(int_b)
    d = c - a - b
    # (an infinite d is no non-integer to its test, |d - round(d)| > 1e-13: NaN is not)
    non_integer = (d - d.unary("Round")).unary("Abs").gt(_CEPHES_EPS)
    euler = d.le(-1.0).and_(non_integer.and_(z.gt(1.0)).unary("Not"))
    return euler.and_(polynomial.unary("Not")), polynomial


def _truncated_power_series(a: _Num, b: _Num, z: _Num, applies: _Num) -> _Num:
    """scipy's 2F1(a, b; b; z) for b = c a non-positive integer (A&S 15.4.2 as Cephes sums
    it): sum over k <= -b of (a)_k z^k / k!, in Cephes' order of operations; NaN for
    |b| >= 1e5 and where the terms cancel to less than 1e-7 of their largest."""
    top = (-b).unary("Floor")
    zero = z * 0.0

    def step(state: list[_Num], _: _Num) -> tuple[_Num, list[_Num]]:
        k, term, total, largest = state
        k = k + 1.0
        term = term * ((a + k - 1.0) * z / k)
        total = total + term
        size = term.unary("Abs")
        largest = _select(size.gt(largest), size, largest)
        return k.ge(top), [k, term, total, largest]

    skip = applies.unary("Not").or_(top.lt(1.0)).or_(b.unary("Abs").ge(1e5))
    _, (_, _, total, largest) = _iterate(
        [zero, zero + 1.0, zero + 1.0, zero + 1.0], step, 100000, done=skip
    )
    lost = (1e-16 * (1.0 + largest / total.unary("Abs"))).gt(1e-7)
    return _select(b.unary("Abs").ge(1e5).or_(lost), math.nan, total)


def _coincidence(a: _Num, b: _Num, c: _Num, z: _Num) -> tuple[_Num, _Num]:
    """(where, value) of Cephes' answers for coinciding parameters, in its order: for
    |z| < 1 or z = -1, b = c gives (1 - z)**-a (b a non-positive integer: the power series cut
    at k = -b) and a = c gives (1 - z)**-b; then c a non-positive integer gives inf unless a
    or b is a non-positive integer above it (a polynomial that ends before c's pole)."""
    int_a, round_a = _near_nonpositive_integer(a)
    int_b, round_b = _near_nonpositive_integer(b)
    int_c, round_c = _near_nonpositive_integer(c)
    inside = z.unary("Abs").lt(1.0).or_(z.eq(-1.0))
    b_is_c = inside.and_((b - c).unary("Abs").lt(_CEPHES_EPS))
    a_is_c = inside.and_((a - c).unary("Abs").lt(_CEPHES_EPS)).and_(b_is_c.unary("Not"))
    one_minus = 1.0 - z
    b_value = _select(
        int_b, _truncated_power_series(a, b, z, b_is_c.and_(int_b)), _pow(one_minus, -a)
    )
    ends = int_a.and_(round_a.gt(round_c)).or_(int_b.and_(round_b.gt(round_c)))
    diverges = int_c.and_(ends.unary("Not")).and_(b_is_c.or_(a_is_c).unary("Not"))
    value = _select(b_is_c, b_value, _select(a_is_c, _pow(one_minus, -b), math.inf))
    return b_is_c.or_(a_is_c).or_(diverges), value


def _scipy_coincidences(a: _Num, b: _Num, c: _Num, z: _Num, out: _Num) -> _Num:
    """``out`` where the parameters coincide as Cephes (scipy) tests them, as
    ``_coincidence`` (except at z = 1 where c - a - b <= 0, which diverges). Euler's
    transformation, which Cephes takes before, is ``hyp2f1_64``'s."""
    _, polynomial = _euler_first(a, b, c, z)
    divergent = (c - a - b).le(0.0).and_(z.eq(1.0)).and_(polynomial.unary("Not"))
    direct, direct_value = _coincidence(a, b, c, z)
    return _select(divergent.unary("Not").and_(direct), direct_value, out)


def _with_nan(a: _Num, b: _Num, c: _Num, z: _Num) -> _Num:
    """scipy's hyp2f1 where an argument is NaN: Cephes' tests that come before any arithmetic
    still answer. 1 at z = 0, and where a or b is 0 and c is not (NaN is not 0); inf where c
    is a non-positive integer and no polynomial ends before it (unless Euler's transformation
    or a coinciding parameter came first), for z > 1 and at z = 1 with c - a or c - b a
    non-positive integer unless a or b is a non-positive integer (the series diverges); else
    NaN. (Cephes' tests of a c within 1e-13 of 0 but not 0 are not all followed.)"""
    int_a, round_a = _near_nonpositive_integer(a)
    int_b, round_b = _near_nonpositive_integer(b)
    int_c, round_c = _near_nonpositive_integer(c)
    euler, polynomial = _euler_first(a, b, c, z)
    ends = int_a.and_(round_a.gt(round_c)).or_(int_b.and_(round_b.gt(round_c)))
    d = c - a - b
    inside = z.unary("Abs").lt(1.0).or_(z.eq(-1.0))
    coincide = (b - c).unary("Abs").lt(_CEPHES_EPS).or_((a - c).unary("Abs").lt(_CEPHES_EPS))
    pole = int_c.and_(ends.unary("Not")).and_(euler.unary("Not"))
    pole = pole.and_(inside.and_(coincide).unary("Not"))
    # z = 1 with c - a or c - b a non-positive integer: inf unless c - a - b >= 0 (NaN is not)
    int_ca, _ = _near_nonpositive_integer(c - a)
    int_cb, _ = _near_nonpositive_integer(c - b)
    at_one = (z - 1.0).unary("Abs").lt(_CEPHES_EPS).and_(int_ca.or_(int_cb))
    at_one = at_one.and_(d.ge(0.0).unary("Not"))
    diverges = pole.or_(z.gt(1.0).or_(at_one).and_(polynomial.unary("Not")))
    one = z.eq(0.0).or_(a.eq(0.0).or_(b.eq(0.0)).and_(c.eq(0.0).unary("Not")))
    # b = c = 0 (within 1e-13): the series cut at k = -b has no term but the first
    one = one.or_(
        inside.and_((b - c).unary("Abs").lt(_CEPHES_EPS)).and_(int_b).and_(round_b.eq(0.0))
    )
    return _select(one, 1.0, _select(diverges, math.inf, z * math.nan))


lowers(ops.Hyp2F1)(_in_float64(hyp2f1_64))
