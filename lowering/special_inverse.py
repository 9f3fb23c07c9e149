"""Inverse error functions, ndtri_exp, polygamma and Owen's T as float64 approximations built
from opset-18 arithmetic.

Written as float64 formulas over ONNX values (``lowering.special._Num``); float32 and float16
are computed in float64 and rounded once. The normal quantile is Wichura's AS 241 (PPND16,
Applied Statistics 37, 1988: rational functions in the probability near 1/2 and in
sqrt(-log p) in the tails) with an asymptotic fixed-point iteration beyond its range (no
refinement step: it is within 6 ulp as it is); polygamma is the Hurwitz zeta function summed
up to a shift and finished by the Euler-Maclaurin series, with the reflection formula
(derivatives of cot as polynomials in cot) for x < 0; Owen's T is e**(-h²/2)/2π times its
integral of e**(-h²x²/2)/(1 + x²), by a 24-point Gauss-Legendre rule (relative accuracy
whatever the size of T), and Owen's identity for |a| > 1. Accuracy, measured by
``benchmarks/accuracy_inverse.py`` against mpmath, is in each rule's docstring.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import onnx_ir as oir

from ir import ops
from lowering.context import LoweringContext
from lowering.exact_log1p_expm1 import _expm1
from lowering.registry import lowers
from lowering.special import (
    _INV_SQRT_PI,
    F64,
    _atan_abs,
    _horner,
    _in_float64,
    _keep_nan,
    _Num,
    _select,
    _sinpi_abs,
    erf64,
    erfc64,
    erfcx64,
    psi64,
)

V = oir.Value

# -- the normal quantile (AS 241, PPND16) ---------------------------------------------------------
# Ascending coefficients; each denominator has a leading 1 (added here).
_CENTRAL_A = (
    3.3871328727963666080e0, 1.3314166789178437745e2, 1.9715909503065514427e3,
    1.3731693765509461125e4, 4.5921953931549871457e4, 6.7265770927008700853e4,
    3.3430575583588128105e4, 2.5090809287301226727e3,
)  # fmt: skip
_CENTRAL_B = (
    1.0, 4.2313330701600911252e1, 6.8718700749205790830e2, 5.3941960214247511077e3,
    2.1213794301586595867e4, 3.9307895800092710610e4, 2.8729085735721942674e4,
    5.2264952788528545610e3,
)  # fmt: skip
_MIDDLE_C = (
    1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0,
    3.64784832476320460504e0, 1.27045825245236838258e0, 2.41780725177450611770e-1,
    2.27238449892691845833e-2, 7.74545014278341407640e-4,
)  # fmt: skip
_MIDDLE_D = (
    1.0, 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1,
    1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4,
    1.05075007164441684324e-9,
)  # fmt: skip
_FAR_E = (
    6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0,
    2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
    2.71155556874348757815e-5, 2.01033439929228813265e-7,
)  # fmt: skip
_FAR_F = (
    1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
    7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7,
    2.04426310338993978564e-15,
)  # fmt: skip
#: |p - 1/2| up to this is the central range.
_CENTRAL_HALF_WIDTH = 0.425
#: Beyond this -log(p) (p < 1e-261), AS 241's far-tail fit is left for the asymptotic series.
_ASYMPTOTIC_FROM = 600.0
_LN2 = 0.6931471805599453
_LN2_LO = 2.3190468138462996e-17  # ln 2 - _LN2 (ln 2 to 106 bits in two parts)
_HALF_LOG_2PI = 0.9189385332046728
_SQRT_2 = 1.4142135623730951
_SQRT_HALF = 0.7071067811865476
_SMALLEST_SUBNORMAL = 5e-324
#: (-1)**k (2k - 1)!!, k = 1..8: Φ(-t) ~ φ(t)/t (1 + sum c_k / t**2k).
_MILLS = (-1.0, 3.0, -15.0, 105.0, -945.0, 10395.0, -135135.0, 2027025.0)


def _central(q: _Num) -> _Num:
    """ndtri(1/2 + q) for |q| <= 0.425 (odd in q)."""
    r = (_CENTRAL_HALF_WIDTH**2) - q * q
    return q * _horner(r, _CENTRAL_A) / _horner(r, _CENTRAL_B)


def _asymptotic_tail(s: _Num) -> _Num:
    """t > 0 with log Φ(-t) = -s, for s >= 600: t = sqrt(2 (s - log t - log(2π)/2 + log S(t)))
    with S Φ's asymptotic series (the Mills ratio), iterated from t = sqrt(2 s); each step
    divides the error by t² >= 1200, five steps reach the last bit. (s = inf gives NaN: the
    caller selects inf there.)"""
    t = _SQRT_2 * s.unary("Sqrt")
    for _ in range(5):
        w = 1.0 / (t * t)
        series = 1.0 + w * _horner(w, _MILLS)
        t = _SQRT_2 * (s - t.unary("Log") - _HALF_LOG_2PI + series.unary("Log")).unary("Sqrt")
    return t


def _tail(s: _Num) -> _Num:
    """-ndtri(p) for p = exp(-s) <= 0.075 (s >= 2.59): AS 241's rational functions in
    r = sqrt(s) (r <= 5, then beyond), the asymptotic series from s = 600."""
    r = s.unary("Sqrt")
    middle = _horner(r - 1.6, _MIDDLE_C) / _horner(r - 1.6, _MIDDLE_D)
    far = _horner(r - 5.0, _FAR_E) / _horner(r - 5.0, _FAR_F)
    asymptotic = _asymptotic_tail(_select(s.lt(_ASYMPTOTIC_FROM), _ASYMPTOTIC_FROM, s))
    out = _select(r.le(5.0), middle, _select(s.lt(_ASYMPTOTIC_FROM), far, asymptotic))
    return _select(s.eq(math.inf), math.inf, out)


def erfinv64(x: _Num) -> _Num:
    """erfinv(x) = ndtri((1 + x)/2) / sqrt(2): AS 241 in q = |x|/2 (exact) for |x| <= 0.85, in
    s = log 2 - log(1 - |x|) (1 - |x| exact) beyond; ±inf at ±1, NaN beyond; erfinv(-0.0) is
    +0.0 (as scipy). ≤ 4.7 ulp measured."""
    a = x.unary("Abs")
    central = _central(0.5 * a)
    tail = _tail(_LN2 - (1.0 - a).unary("Log"))
    out = _select(a.le(2.0 * _CENTRAL_HALF_WIDTH), central, tail) * _SQRT_HALF
    out = _keep_nan(x, _select(a.gt(1.0), math.nan, out))
    # The sign by a product, last (a selection could turn -0.0 into +0.0); erfinv(-0.0) is
    # +0.0 in scipy (PyTensor), so zero takes sign +1.
    return out * _select(x.lt(0.0), -1.0, 1.0)


def erfcinv64(y: _Num) -> _Num:
    """erfcinv(y) = -ndtri(y/2) / sqrt(2): AS 241 in q = (1 - y)/2 for |1 - y| <= 0.85, in
    s = log 2 - log(y) below (tiny y keep their relative accuracy) and
    s = log 2 - log(2 - y) above (2 - y exact); +inf at 0, -inf at 2, NaN outside [0, 2];
    +inf at 5e-324 as PyTensor (scipy), though the true value is 27.21. ≤ 5.1 ulp measured."""
    central = _central(0.5 - 0.5 * y)
    low = y.lt(1.0)
    tail = _tail(_LN2 - _select(low, y, 2.0 - y).unary("Log"))
    tail = _select(low, tail, -tail)
    out = _select((1.0 - y).unary("Abs").le(2.0 * _CENTRAL_HALF_WIDTH), central, tail) * _SQRT_HALF
    out = _select(y.lt(0.0).or_(y.gt(2.0)), math.nan, out)
    # scipy (PyTensor's perform) halves y first: the smallest subnormal becomes 0, and +inf.
    out = _keep_nan(y, _select(y.eq(_SMALLEST_SUBNORMAL), math.inf, out))
    return out * _select(y.eq(1.0), -1.0, 1.0)  # erfcinv(1) is -0.0 in scipy


#: log(1/2 -+ 0.425): the central range of ndtri_exp.
_CENTRAL_LOG_LOW = math.log(0.5 - _CENTRAL_HALF_WIDTH)
_CENTRAL_LOG_HIGH = math.log(0.5 + _CENTRAL_HALF_WIDTH)


def ndtri_exp64(x: _Num) -> _Num:
    """ndtri(exp(x)) without forming exp(x) where it would lose the answer: AS 241 in
    q = e**x - 1/2 = expm1(x + log 2)/2 (x + log 2 in two parts) in the central range, in
    s = -x below it (exact, no underflow: the asymptotic series beyond x = -600, down to
    -inf), in s = -log(-expm1(x)) above it; +inf at 0, NaN for x > 0."""
    ctx = x.ctx
    shifted = (x + _LN2) + _LN2_LO  # x + _LN2 is exact near -ln 2
    central = _central(0.5 * _Num(ctx, _expm1(ctx, shifted.v, F64)))
    upper_p = -_Num(ctx, _expm1(ctx, x.v, F64))  # 1 - e**x
    upper = _tail(-upper_p.unary("Log"))
    lower = -_tail(-x)
    out = _select(
        x.lt(_CENTRAL_LOG_LOW),
        lower,
        _select(x.le(_CENTRAL_LOG_HIGH), central, upper),
    )
    out = _select(x.gt(0.0), math.nan, out)
    return _keep_nan(x, out)


lowers(ops.Erfinv)(_in_float64(erfinv64))
lowers(ops.Erfcinv)(_in_float64(erfcinv64))
lowers(ops.NdtriExp)(_in_float64(ndtri_exp64))


# -- polygamma -----------------------------------------------------------------------------------
#: Bernoulli terms of the Euler-Maclaurin tail.
_EM_TERMS = 12


def _bernoulli(count: int) -> list[Fraction]:
    """B_0 .. B_count exactly (B_1 = -1/2), by the recurrence sum_j C(k+1, j) B_j = 0."""
    numbers = [Fraction(1)]
    for k in range(1, count + 1):
        numbers.append(-sum(math.comb(k + 1, j) * numbers[j] for j in range(k)) / (k + 1))
    return numbers


_B = _bernoulli(2 * _EM_TERMS + 2)


@functools.cache
def _zeta_plan(n: int) -> tuple[int, tuple[float, ...]]:
    """(M, coefficients) for n! ζ(n + 1, z), z >= M: z**-n ((n-1)! + n!/(2z) + sum c_j z**-2j)
    with c_j = B_2j (n + 2j - 1)! / (2j)!, j = 1.._EM_TERMS; M is the least shift at which the
    first omitted term is below 2**-60 of the leading one."""
    first_omitted = abs(_B[2 * _EM_TERMS + 2]) / math.factorial(2 * _EM_TERMS + 2)
    first_omitted *= Fraction(math.factorial(n + 2 * _EM_TERMS + 1), math.factorial(n - 1))
    shift = 2
    while first_omitted / Fraction(shift) ** (2 * _EM_TERMS + 2) >= Fraction(1, 2**60):
        shift += 1
    coefficients = tuple(
        float(_B[2 * j] * Fraction(math.factorial(n + 2 * j - 1), math.factorial(2 * j)))
        for j in range(1, _EM_TERMS + 1)
    )
    return shift, coefficients


def _two_sum(a: _Num, b: float) -> tuple[_Num, _Num]:
    """(s, e) with s = fl(a + b) and s + e = a + b exactly (Knuth's TwoSum)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _power_of_sum(s: _Num, e: _Num, p: int) -> _Num:
    """(s + e)**-p for |e| <= ulp(s)/2: s**-p (1 - p e/s) (the first-order term restores the
    bits that rounding s lost, which the power would multiply by p)."""
    return s._op("Pow", s.v, s._of(float(-p))) * (1.0 - float(p) * (e / s))


def _scaled_hurwitz(y: _Num, n: int) -> _Num:
    """n! ζ(n + 1, y) for y > 0 (n >= 1): the terms n!/(y + k)**(n+1) up to z = y + N >= M
    (smallest first), then the Euler-Maclaurin tail at z. 0 at +inf."""
    shift, coefficients = _zeta_plan(n)
    count = (float(shift) - y).unary("Ceil")
    count = _select(count.lt(0.0), 0.0, count)
    z = y + count  # exact: count is 0 or y < shift
    w = 1.0 / z
    tail = float(math.factorial(n - 1)) + w * (
        0.5 * float(math.factorial(n)) + w * _horner(w * w, coefficients)
    )
    total = (tail / z) * z._op("Pow", z.v, z._of(float(1 - n)))
    factorial = float(math.factorial(n))
    for k in reversed(range(shift)):
        s, e = _two_sum(y, float(k))
        term = factorial * _power_of_sum(s, _select(y.eq(0.0), 0.0, e), n + 1)
        total = total + _select(count.gt(float(k)), term, 0.0)
    return total


_PI = Fraction("3.14159265358979323846264338327950288419716939937510582097494459")


@functools.cache
def _cot_derivative(n: int) -> tuple[int, tuple[float, ...]]:
    """(p, r) with π dⁿ/dxⁿ cot(πx) = (-1)ⁿ cᵖ sum r_j c**2j, c = cot(πx): Q_0 = c,
    Q_k+1 = (1 + c²) Q_k' (integer coefficients >= 0, parity n + 1), r_j = π**(n+1) times
    Q_n's coefficient of c**(2j+p), rounded once."""
    q = [0, 1]  # ascending coefficients of Q_0 = c
    for _ in range(n):
        derivative = [k * q[k] for k in range(1, len(q))]
        q = [0] * (len(derivative) + 2)
        for k, d in enumerate(derivative):
            q[k] += d
            q[k + 2] += d
    parity = (n + 1) % 2
    pi_power = _PI ** (n + 1)  # exact in rationals: each coefficient is rounded once
    return parity, tuple(float(pi_power * q[k]) for k in range(parity, len(q), 2))


#: For n = 1..16, the smallest |x| where scipy's polygamma(n, x) is finite (found by bisection
#: over the floats on scipy itself, both signs alike): below it scipy's is ±inf.
_SCIPY_POLYGAMMA_FINITE_FROM = (
    7.458340731200208e-155,
    2.232397248598194e-103,
    1.351633423649212e-77,
    4.2179277503577575e-62,
    9.348550556514883e-52,
    2.3539781075404897e-44,
    8.530301316690669e-39,
    1.8247381479613791e-34,
    5.376563102397627e-31,
    3.742709623781821e-28,
    8.821383030332196e-26,
    9.032688450421093e-24,
    4.801727196771808e-22,
    1.510240755991188e-20,
    3.0999986392532013e-19,
    4.476468485632404e-18,
)


def _polygamma_positive_order(x: _Num, n: int) -> _Num:
    """ψ⁽ⁿ⁾(x) for n >= 1: (-1)ⁿ⁺¹ n! ζ(n + 1, x) for x >= 0; the reflection
    ψ⁽ⁿ⁾(x) = -π dⁿ/dxⁿ cot(πx) - n! ζ(n + 1, 1 - x) below (cot from two sines of arguments in
    [0, π/2], as psi)."""
    sign = -1.0 if n % 2 == 0 else 1.0  # (-1)**(n+1)
    reflect = x.lt(0.0)
    # For -1e-9 < x < 0, ψ⁽ⁿ⁾(x) = n!/|x|ⁿ⁺¹ (1 + O(|x|ⁿ⁺¹)) = n! ζ(n + 1, |x|) to far below
    # an ulp: the series at |x|, as for x > 0 (the reflection's cot term overflowed first,
    # inf where scipy is finite next to its threshold below).
    tiny_negative = reflect.and_(x.gt(-1e-9))
    magnitude = _scaled_hurwitz(_select(reflect, _select(tiny_negative, -x, 1.0 - x), x), n)
    r, s = _sinpi_abs(x)
    c = (math.pi * (0.5 - r.unary("Abs"))).unary("Sin")
    c = _select(r.lt(0.0), -c, c) / s
    parity, coefficients = _cot_derivative(n)
    cot_term = _horner(c * c, coefficients)
    if parity:
        cot_term = c * cot_term
    cot_term = cot_term if n % 2 == 0 else -cot_term  # π dⁿ/dxⁿ cot(πx)
    # For x >= 0 the value is sign * magnitude, the sign applied last so that a zero keeps it
    # (ORT's Where drops -0.0); the reflection is rewritten in that form.
    reflected = sign * (-cot_term - magnitude)
    reflected = _select(tiny_negative, sign * magnitude, reflected)
    out = _select(reflect, reflected, magnitude)
    pole = reflect.and_(x.unary("Floor").eq(x)).or_(x.eq(0.0))  # -inf included
    out = _select(pole, math.inf, out)
    # scipy's n! ζ(n + 1, x) overflows where its pow(|x|, -(n + 1)) times n! does: ±inf there
    # (+inf for x < 0), where ours rounded to the largest finite value at the threshold.
    tiny = x.unary("Abs").lt(_SCIPY_POLYGAMMA_FINITE_FROM[n - 1])
    out = _select(tiny, _select(reflect, sign * math.inf, math.inf), out)
    return _keep_nan(x, sign * out)


def _polygamma_rule(n: int):
    def polygamma(x: _Num) -> _Num:
        if n < 0:
            return x * math.nan  # scipy: NaN for every x
        if n == 0:
            return psi64(x)
        return _polygamma_positive_order(x, n)

    return polygamma


@lowers(ops.PolyGamma)
def lower_polygamma(op: ops.PolyGamma, ctx: LoweringContext, args: list[V]) -> V:
    """ψ⁽ⁿ⁾(x) for the op's order n (ψ for n = 0, NaN for n < 0; n <= 16, the op's limit)."""
    return _in_float64(_polygamma_rule(op.n))(op, ctx, args)


# -- Owen's T ------------------------------------------------------------------------------------
# For h >= 0 and 0 <= a <= 1, T(h, a) = e**(-h²/2)/2π I with I = ∫_0^a e**(-h²x²/2)/(1 + x²) dx,
# an integral of a positive function: a quadrature rule with positive weights gives it with
# relative accuracy, whatever the size of T. (Patefield and Tandy's six methods, used before,
# aim at absolute accuracy: their series in 1/h² cancel relative to a tiny T, 517 ulp at h = 14.)
# The integrand is below 2**-58 of its value at 0 from x = 9/h, so the integral stops at
# c = min(a, 9/h) (the rest is below 5e-18 of I); on [0, c] it is e**(-g²u²/2)/(1 + c²u²),
# x = c u, g = h c <= 9: a Gaussian at most 9 standard deviations wide and a pole at u = ±i/c,
# |i/c| >= 1. The 24-point Gauss-Legendre rule on [0, 1] (nodes clustered at both ends, so at
# the Gaussian's peak) integrates both within 1.1 ulp of mpmath (20 points: 650 ulp; the
# symmetric rule on [-c, c], which would halve the evaluations, needs more than 32).
#: Squares of the 24 Gauss-Legendre nodes on [0, 1] (ascending) and their weights (halved),
#: from the Legendre polynomial's roots at 50 digits.
_OWENS_NODES_SQUARED = (
    5.790712839267769e-06, 0.0001596614708238092, 0.0009525077326158356, 0.0032253581264219877,
    0.00809982126333476, 0.016883858950674978, 0.030959519451763624, 0.05166040966857191,
    0.08014744800160435, 0.11729163265945317, 0.16357217163929128, 0.21899737494950003,
    0.28305426781210563, 0.35469103911290756, 0.43233431235561653, 0.5139409556276495,
    0.5970818810574114, 0.6790531713887392, 0.7570080505292294, 0.8281018072372377,
    0.8896408851308231, 0.9392270597353486, 0.9748882174421333, 0.9951930107098607,
)  # fmt: skip
_OWENS_WEIGHTS = (
    0.0061706148999936, 0.014265694314466832, 0.022138719408709904, 0.02964929245771839,
    0.03667324070554015, 0.04309508076597664, 0.04880932605205694, 0.05372213505798282,
    0.0577528340268628, 0.060835236463901696, 0.06291872817341415, 0.06396909767337608,
    0.06396909767337608, 0.06291872817341415, 0.060835236463901696, 0.0577528340268628,
    0.05372213505798282, 0.04880932605205694, 0.04309508076597664, 0.03667324070554015,
    0.02964929245771839, 0.022138719408709904, 0.014265694314466832, 0.0061706148999936,
)  # fmt: skip
#: h c at most this: the integral stops at 9/h.
_OWENS_CUT = 9.0
_INV_2PI = 0.15915494309189533577
_INV_SQRT_2_LO = -4.833646656726457e-17  # 1/sqrt(2) - _SQRT_HALF
_SPLITTER = 134217729.0  # 2**27 + 1 (Veltkamp)


def _two_product(a: _Num, b: float) -> tuple[_Num, _Num]:
    """(p, e) with p = fl(a b) and p + e = a b exactly (Dekker, without FMA), |a| < 1e150."""
    p = a * b
    big = a * _SPLITTER
    a_hi = big - (big - a)
    a_lo = a - a_hi
    b_big = b * _SPLITTER
    b_hi = b_big - (b_big - b)
    b_lo = b - b_hi
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _upper_tail(x: _Num) -> _Num:
    """Q(x) = 1 - Φ(x) = erfc(x/sqrt 2)/2 for x >= 0, x/sqrt 2 in two parts (y + e) and
    erfc(y + e) = erfc(y)(1 - 2e/(sqrt(π) erfcx(y))): rounding x/sqrt 2 would cost x² ulps."""
    finite = x.lt(1e150)
    safe = _select(finite, x, 0.0)
    y, e = _two_product(safe, _SQRT_HALF)
    e = e + safe * _INV_SQRT_2_LO
    correction = 1.0 - e * (2.0 * _INV_SQRT_PI) / erfcx64(y)
    return _select(finite, 0.5 * erfc64(y) * correction, 0.0)


def _exp_quarter_square(x: _Num) -> _Num:
    """exp(-x²/4) for x >= 0, x² in two parts (x² = p + e exactly): exp(-p/4)(1 - e/4)
    (rounding x² first would cost x²/4 ulps). Its square is exp(-x²/2), a normal number for
    every x where exp(-x²/2) is (or a subnormal T) not."""
    safe = _select(x.lt(1e150), x, 1e150)
    big = safe * _SPLITTER
    hi = big - (big - safe)
    lo = safe - hi
    p = safe * safe
    e = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo
    return (-0.25 * p).unary("Exp") * (1.0 - 0.25 * e)


def _trailing(x: _Num) -> _Num:
    """x with a trailing axis of length 1 (against the vector of nodes)."""
    return _Num(x.ctx, x.ctx.op("Unsqueeze", x.v, x.ctx.axes([-1])))


def _owens_core(h: _Num, a: _Num) -> _Num:
    """T(h, a) for 0 <= h < inf and 0 <= a <= 1: e**(-h²/2)/2π c sum_i w_i
    e**(-(h c)² u_i²/2)/(1 + c² u_i²), c = min(a, 9/h) (Gauss-Legendre, see above), within a
    few ulps of the true value. e**(-h²/2) is the square of e**(-h²/4), applied one factor at a
    time, so that the scaled sum stays a normal number until T itself is subnormal."""
    ctx = h.ctx
    c = _select((a * h).gt(_OWENS_CUT), _OWENS_CUT / h, a)  # a at h = 0 (9/0 is not taken)
    g = h * c
    nodes = _Num(ctx, ctx.constant(list(_OWENS_NODES_SQUARED), F64))
    weights = _Num(ctx, ctx.constant(list(_OWENS_WEIGHTS), F64))
    values = (_trailing(-0.5 * (g * g)) * nodes).unary("Exp") / (1.0 + _trailing(c * c) * nodes)
    total = _Num(ctx, ctx.op("ReduceSum", (values * weights).v, ctx.axes([-1]), keepdims=0))
    quarter = _exp_quarter_square(h)
    return quarter * (c * (quarter * (_INV_2PI * total)))


def owens_t64(h: _Num, a: _Num) -> _Num:
    """Owen's T(h, a): even in h, odd in a; for |a| > 1 Owen's identity
    T(h, a) = (Q(h) + Q(ah))/2 - Q(h) Q(ah) - T(ah, 1/a) (Q the normal upper tail, with its
    argument in two parts: T(h, a) >= T(h, 1) ~ Q(h)/2 and every term is at most Q(h)/2, so
    the sum loses at most a bit); the quadrature of its integral for |a| <= 1. T(0, a) =
    atan(a)/2π, T(h, ±inf) = ±Q(|h|)/2, ±0 at h = ±inf (the sign of a; +0.0 for a = -0.0, as
    scipy). 5.8 ulp at worst on the sweep grid (benchmarks/accuracy_inverse.py), 6.8 on 2700
    random points against Owen's series."""
    hh = h.unary("Abs")
    aa = a.unary("Abs")
    big = aa.gt(1.0)
    ah = hh * aa
    # a h overflowing (finite h and a) is a large h for T(ah, 1/a), which is 0 there (0 in its
    # place would make it atan(1/a)/2π and T(h, a) that, negated).
    finite_ah = _select(ah.lt(math.inf), ah, 1e300)
    finite_h = _select(hh.lt(math.inf), hh, 0.0)
    q_h = _upper_tail(hh)
    q_ah = _select(ah.lt(math.inf), _upper_tail(finite_ah), 0.0)
    # For |a| > 1, T(ah, 1/a) (a h rounded: Q(ah) and T(ah, 1/a) share it, and their
    # difference barely depends on it).
    core = _owens_core(_select(big, finite_ah, finite_h), _select(big, 1.0 / aa, aa))
    # Small a h: 1/4 - (Φ(h) - 1/2)(Φ(ah) - 1/2) - T(ah, 1/a) (the tails would cancel).
    erf_h = erf64(finite_h * _SQRT_HALF)
    erf_ah = erf64(finite_ah * _SQRT_HALF)
    small = 0.25 - 0.25 * (erf_h * erf_ah) - core
    reflected = _select(ah.le(0.67), small, 0.5 * q_h + (0.5 * q_ah - q_h * q_ah - core))
    out = _select(big, reflected, core)
    out = _select(aa.eq(math.inf), 0.5 * q_h, out)
    out = _select(hh.eq(0.0), _INV_2PI * _atan_abs(aa), out)
    out = _select(hh.eq(math.inf), 0.0, out)
    out = _select(h.unary("IsNaN").or_(a.unary("IsNaN")), math.nan, out)
    return out * _select(a.lt(0.0), -1.0, 1.0)  # -0.0 for a < 0 (as scipy), +0.0 for a = -0.0


lowers(ops.OwensT)(_in_float64(owens_t64))
