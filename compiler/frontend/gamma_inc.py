"""Frontend rules: the regularized incomplete gamma functions ``GammaInc`` (P) and ``GammaIncC``
(Q) as an import-time decomposition into float64 scalar graphs with ``ScalarLoop``s, imported
like a Composite (``compiler/frontend/scalar_loop.py`` turns each loop into a tir.loop in which
every element iterates until it converges).

Algorithms (Cephes ``igam``/``igamc`` as scipy splits them; the formulas are the textbook ones):

- Temme's uniform asymptotic expansion where a > 20 and |x - a| < 0.3 a (DLMF 8.12; as in
  scipy and Boost), no loop: Q = erfc(η sqrt(a/2)) / 2 + R_a(η), P = 1 - Q (or P by the
  mirrored formula where x < a), with η² / 2 = (x - a) / a - log(x / a);
- the power series P = x^a e^-x / Γ(a + 1) · Σ x^n / ((a + 1) … (a + n)) where x <= 1 or x <= a;
- Legendre's continued fraction for Q where x > 1 and x > a (for Q itself: x > 0.8 where
  1 - P is not taken): modified Lentz finds how many terms it needs (up to about 130 at
  x = 0.8), then the truncated fraction is evaluated backward (Lentz's own value collects up
  to 60 ulp of rounding at small a and x in (1.1, 2));
- for Q at small x (x <= 0.8 and a small), the series
  Q = -expm1(a log x - lgamma(1 + a)) - x^a / Γ(a) · Σ_{n>=1} (-x)^n / (n! (a + n)),
  unrolled (25 terms reach 1e-24 at x = 1.1), with lgamma(1 + a) from its Taylor series at 2
  (scipy takes it up to x = 1.1, where its alternating sum costs 25 ulp);
- the other function as 1 minus the one computed (where it is at least about 1/2, no
  cancellation).

The factor x^a e^-x / Γ(a + 1) is exp(E) R with the large part E of its exponent carried as a
double-double (rounding E to one double would cost |E| / 2 ulp of the result: 500 ulp of
P(124.7, 0.378) ~ 4e-262): for a >= 10, E = a (log(1 + t) - t), t = (x - a) / a, and
R = 1 / (sqrt(2πa) e^S(a)) with S Stirling's series (so that a log x - x - lgamma(a), terms of
size a log a that cancel near x = a, are never formed); below 10, E = -x and
R = x**a / Γ(1 + a) by pow.

Float32 (and narrower) inputs are computed in float64 and rounded once. Special values are
scipy's (PyTensor's ``perform``): NaN for a < 0, x < 0, a NaN argument, a = x = 0 and
a = x = inf; P(0, x) = 1, P(a, 0) = 0, P(inf, x) = 0, P(a, inf) = 1 (Q = 1 - P there).

Each loop stops per element at convergence (relative term or step below 2**-53) or after
``MAX_STEPS`` steps. Near x = a the steps needed would grow like 9 sqrt(a); Temme's expansion
takes that region from a = 20, so that the loops run at most a few hundred steps.

Measured (benchmarks/accuracy_gamma_inc.py's grid at 1000 points per segment, 4121 pairs,
against mpmath): at most 8.6 ulp of the true value for P and 8.4 for Q; at most 5.5 ulp for
a in [1e3, 5e4], x within 40% of a.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
import pytensor
import pytensor.scalar as ps
from pytensor.scalar import math as psm
from pytensor.scalar.loop import ScalarLoop
from scipy import special

from compiler.frontend.elemwise import import_scalar, import_scalar_graph
from compiler.frontend.importer import Importer
from ir import ops
from ir.core import Value

F64 = "float64"
#: A PyTensor scalar variable (the decomposition is written as a scalar graph).
Scalar = ps.ScalarVariable
#: The most steps a series or continued fraction takes per element.
MAX_STEPS = 100_000
_EPS = 2.0**-53
_TINY = 1e-300
#: lgamma(2 + t) = t Σ c_k t**k, the Taylor series at 2 (|t| <= 1/2 needs 29 terms):
#: c_0 = 1 - euler_gamma, c_(k-2) = (-1)**k (ζ(k) - 1) / k.
_LGAMMA_AT_2 = (1.0 - np.euler_gamma, *((-1) ** k * special.zetac(k) / k for k in range(2, 30)))
#: Stirling's series S(a) = Σ B_2k / (2k (2k - 1) a**(2k - 1)), k = 1..8 (enough from a >= 10).
_STIRLING = (
    1 / 12,
    -1 / 360,
    1 / 1260,
    -1 / 1680,
    1 / 1188,
    -691 / 360360,
    1 / 156,
    -3617 / 122400,
)
#: Q's continued fraction from this x (where 1 - P is not taken); the small-x series below.
_FRACTION_FROM = 0.8
#: Terms of the unrolled small-x series for Q.
_SMALL_X_TERMS = 25


def _f(value: float) -> ps.ScalarConstant:
    return ps.constant(np.float64(value))


def _horner(t: Scalar, coefficients: Sequence[float]) -> Scalar:
    out = _f(coefficients[-1])
    for c in reversed(coefficients[:-1]):
        out = out * t + _f(c)
    return out


def _log1pmx(t: Scalar) -> Scalar:
    """log(1 + t) - t for |t| <= 1/2 by u = t / (2 + t): log(1 + t) = 2 atanh(u), so that
    log1pmx = -2u² / (1 - u) + 2u³ Σ u**2k / (2k + 3) (no cancellation)."""
    u = t / (_f(2.0) + t)
    u2 = u * u
    return -_f(2.0) * u2 / (_f(1.0) - u) + _f(2.0) * u2 * u * _horner(
        u2, [1.0 / (2 * k + 3) for k in range(17)]
    )


# -- double-double arithmetic (Dekker, Knuth): exact sums and products as unevaluated pairs ---
#: A double-double (hi, lo): the value hi + lo with |lo| <= ulp(hi) / 2.
DD = tuple[Scalar, Scalar]
#: Veltkamp's splitter for float64 (2**27 + 1).
_SPLITTER = 134217729.0


def _two_sum(a: Scalar, b: Scalar) -> DD:
    """a + b exactly (Knuth's TwoSum, any magnitudes)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fast_two_sum(a: Scalar, b: Scalar) -> DD:
    """a + b exactly where |a| >= |b| (or a = 0)."""
    s = a + b
    return s, b - (s - a)


def _split(a: Scalar) -> DD:
    c = _f(_SPLITTER) * a
    hi = c - (c - a)
    return hi, a - hi


def _two_product(a: Scalar, b: Scalar) -> DD:
    """a b exactly (Dekker; |a|, |b| < 1e300)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _dd_add(x: DD, y: DD) -> DD:
    s, e = _two_sum(x[0], y[0])
    return _fast_two_sum(s, e + (x[1] + y[1]))


def _dd_neg(x: DD) -> DD:
    return -x[0], -x[1]


def _dd_mul(x: DD, y: DD) -> DD:
    p, e = _two_product(x[0], y[0])
    return _fast_two_sum(p, e + (x[0] * y[1] + x[1] * y[0]))


def _dd_mul_d(x: DD, b: Scalar) -> DD:
    p, e = _two_product(x[0], b)
    return _fast_two_sum(p, e + x[1] * b)


def _dd_div(x: DD, y: DD) -> DD:
    """x / y: the double quotient and one correction from the exact remainder."""
    q = x[0] / y[0]
    r = _dd_add(x, _dd_neg(_dd_mul_d(y, q)))
    return _fast_two_sum(q, r[0] / y[0])


#: log 2 and 2/3 as double-doubles (the low parts are the roundings of the remainders).
_LN2 = (0.6931471805599453, 2.3190468138462996e-17)
_TWO_THIRDS = (0.6666666666666666, 3.700743415417188e-17)


def _log1p_dd(f: DD, two_plus_f: DD) -> DD:
    """log(1 + f) for |f| <= 1/2 as a double-double: 2 atanh(u), u = f / (2 + f), with 2u
    and 2u³/3 in double-double and the rest (relatively below u⁴/5 ~ 2**-12 for |u| <= 0.2)
    in double: 2u⁵ Σ u**2k / (2k + 5)."""
    u = _dd_div(f, two_plus_f)
    u2 = _dd_mul(u, u)
    u3 = _dd_mul(u2, u)
    cube = _dd_mul(u3, (_f(_TWO_THIRDS[0]), _f(_TWO_THIRDS[1])))
    rest = _f(2.0) * u3[0] * u2[0] * _horner(u2[0], [1.0 / (2 * k + 5) for k in range(14)])
    twice = (_f(2.0) * u[0], _f(2.0) * u[1])
    return _dd_add(_dd_add(twice, cube), (rest, _f(0.0)))


def _log_dd(v: Scalar) -> DD:
    """log(v) for 1e-300 <= v <= 1e300 as a double-double (absolute error about 2**-66 ·
    |log m|): v = 2**k m with m in [0.7, 1.42] (k from the double log; m exact), then
    k log 2 + log1p(m - 1)."""
    k = ps.round_half_to_even(ps.log(v) / _f(_LN2[0]))
    m = v * ps.exp2(-k)  # exact: a power of two
    f = m - _f(1.0)  # exact (Sterbenz)
    log_m = _log1p_dd((f, _f(0.0)), _two_sum(_f(2.0), f))
    k_ln2 = _two_product(k, _f(_LN2[0]))
    k_ln2 = _fast_two_sum(k_ln2[0], k_ln2[1] + k * _f(_LN2[1]))
    return _dd_add(k_ln2, log_m)


def _log1pmx_dd(t: DD) -> DD:
    """log(1 + t) - t for |t| <= 1/2 as a double-double, relative error about 2**-60: with
    u = t / (2 + t), log(1 + t) = 2 atanh(u) and t = 2u / (1 - u), so
    log(1 + t) - t = -u t + 2u³/3 + 2u⁵ Σ u**2k / (2k + 5) (no cancellation; the first two
    terms in double-double, the rest relatively below u³/5 in double)."""
    u = _dd_div(t, _dd_add((_f(2.0), _f(0.0)), t))
    u2 = _dd_mul(u, u)
    u3 = _dd_mul(u2, u)
    cube = _dd_mul(u3, (_f(_TWO_THIRDS[0]), _f(_TWO_THIRDS[1])))
    rest = _f(2.0) * u3[0] * u2[0] * _horner(u2[0], [1.0 / (2 * k + 5) for k in range(17)])
    return _dd_add(_dd_add(_dd_neg(_dd_mul(u, t)), cube), (rest, _f(0.0)))


#: Below this exponent the factor is computed as exp(E + 600) · (...) · e**-600 (the last
#: product rounds once into the subnormals).
_SCALE_AT = 600.0
_SCALE = math.exp(-_SCALE_AT)


def _large_a_exponent(a: Scalar, x: Scalar) -> tuple[DD, Scalar]:
    """(E, t) for a >= 10: E = a (log(1 + t) - t) = log(x**a e**-x / (a**a e**-a)) as a
    double-double and t = (x - a) / a (rounded); stand-in values elsewhere (a < 10 gives
    a = 10; x is clipped to [1e-300, 1e300] (a scaled), where the factor is 0)
    keep the double-double arithmetic finite. log(1 + t) - t by log1pmx for |t| <= 1/2 and
    by log(x / a) - t beyond (the quotient and its log in double-double; 1 + t would have lost
    x's digits where x << a, and a quotient below 1e-300 makes the factor 0)."""
    big = a >= _f(10.0)
    # Beyond a = 2**500 both arguments are scaled by 2**-600 (exactly; an x that becomes
    # subnormal makes the factor 0) so that Veltkamp's split of a does not overflow.
    huge = a > _f(2.0**500)
    ab = ps.switch(big, a, _f(10.0)) * ps.switch(huge, _f(2.0**-600), _f(1.0))
    xb = ps.clip(x * ps.switch(huge, _f(2.0**-600), _f(1.0)), _f(1e-300), _f(1e300))
    t = _dd_div(_two_sum(xb, -ab), (ab, _f(0.0)))
    near = ps.abs(t[0]) <= _f(0.5)
    # (Outside, t's value only has to keep log1pmx finite: the far branch is taken.)
    close = _log1pmx_dd((ps.clip(t[0], _f(-0.5), _f(0.5)), t[1]))
    q_hi, q_lo = _dd_div((xb, _f(0.0)), (ab, _f(0.0)))
    q_in = ps.clip(q_hi, _f(1e-300), _f(1e300))
    log_q = _log_dd(q_in)
    # (a quotient that underflowed to 0 must not make 0 / 0: the factor is 0 there)
    log_q = _fast_two_sum(log_q[0], log_q[1] + ps.switch(ps.eq(q_in, q_hi), q_lo / q_in, _f(0.0)))
    far = _dd_add(log_q, _dd_neg(t))
    log1pmx = (ps.switch(near, close[0], far[0]), ps.switch(near, close[1], far[1]))
    e_hi, e_lo = _dd_mul_d(log1pmx, ab)
    unscale = ps.switch(huge, _f(2.0**600), _f(1.0))
    e_hi, e_lo = e_hi * unscale, e_lo * unscale
    # |E_lo| <= ulp(E_hi) / 2 is below 1e-12 wherever exp(E) is not 0; a larger, infinite
    # or NaN low part comes only from an E that overflowed (its sign would reach the 0).
    return (e_hi, ps.switch(ps.abs(e_lo) < _f(1e-12), e_lo, _f(0.0))), t[0]


def _exp_scaled(e: DD, rest: Scalar) -> tuple[Scalar, Scalar]:
    """exp(E) · rest as (main, scale), scale 1 or e**-600: multiplied last, a subnormal result
    is rounded once. exp(E_hi + 600) is exp of an exact double where it matters: E_hi + 600
    is exact for E_hi in [-1200, -300] (Sterbenz); below, the product is 0 anyway."""
    e_hi, e_lo = e
    scaled = e_hi < -_f(_SCALE_AT)
    shifted = ps.switch(scaled, e_hi + _f(_SCALE_AT), e_hi)
    main = ps.exp(shifted) * (_f(1.0) + e_lo) * rest
    return main, ps.switch(scaled, _f(_SCALE), _f(1.0))


def _series_factor(a: Scalar, x: Scalar, large: DD) -> tuple[Scalar, Scalar]:
    """x**a e**-x / Γ(a + 1) for a > 0, x > 0 as (main, scale) (see ``_exp_scaled``), given
    ``large``, ``_large_a_exponent``'s E.

    The factor is exp(E) R with E the part of the exponent that can be large, carried as a
    double-double E_hi + E_lo (exp(E_hi) of an exact double is within an ulp; rounding E to
    one double would cost |E| / 2 ulps of the result: 500 ulp at E = -600):
    - a >= 10: E = a (log(1 + t) - t), R = 1 / (sqrt(2πa) e**S(a)) with S Stirling's series
      (Γ(a + 1) = sqrt(2πa) a**a e**-a e**S(a));
    - a < 10: E = -x (exact), R = x**a / Γ(a + 1) (pow of exact doubles; Γ(1 + a) from a Γ(a)
      above 1, where rounding 1 + a would cost ψ(1 + a) ulp(1 + a)).
    """
    big = a >= _f(10.0)
    ab = ps.switch(big, a, _f(10.0))
    w = _f(1.0) / ab
    stirling = w * _horner(w * w, _STIRLING)
    r_big = _f(1.0) / (ps.sqrt(_f(2.0 * math.pi) * ab) * ps.exp(stirling))
    xs = ps.minimum(x, _f(2000.0))  # beyond, e**-x makes the factor 0 (x**a stays finite)
    gamma_1p = ps.switch(a < _f(1.0), psm.gamma(a + _f(1.0)), a * psm.gamma(a))
    r_small = (xs**a) / gamma_1p
    e = (ps.switch(big, large[0], -x), ps.switch(big, large[1], _f(0.0)))
    return _exp_scaled(e, ps.switch(big, r_big, r_small))


# -- Temme's uniform asymptotic expansion (large a, x near a) ------------------------------------
#: d[k][n]: C_k(η) = Σ_n d[k][n] η**n in Temme's expansion (DLMF 8.12.8-8.12.12:
#: d[0] the Taylor coefficients of 1/(λ - 1) - 1/η, d[k][n] = (-1)**k g_k d[0][n]
#: + (n + 2) d[k-1][n+2] with g_k Stirling's coefficients of Γ), computed exactly in rationals
#: (tests/lowering/test_special_gamma_inc.py recomputes them) and cut where
#: |d[k][n]| 0.34**n / 20**k < 3e-19 (the region's largest |η| and smallest a).
_TEMME = (
    (
        -0.3333333333333333,
        0.08333333333333333,
        -0.014814814814814815,
        0.0011574074074074073,
        0.0003527336860670194,
        -0.0001787551440329218,
        3.919263178522438e-05,
        -2.185448510679992e-06,
        -1.85406221071516e-06,
        8.296711340953087e-07,
        -1.7665952736826078e-07,
        6.707853543401498e-09,
        1.0261809784240309e-08,
        -4.382036018453353e-09,
        9.14769958223679e-10,
        -2.5514193994946248e-11,
        -5.830772132550426e-11,
    ),
    (
        -0.001851851851851852,
        -0.003472222222222222,
        0.0026455026455026454,
        -0.0009902263374485596,
        0.00020576131687242798,
        -4.018775720164609e-07,
        -1.8098550334489977e-05,
        7.64916091608111e-06,
        -1.6120900894563446e-06,
        4.647127802807434e-09,
        1.378633446915721e-07,
        -5.752545603517705e-08,
        1.1951628599778148e-08,
        -1.7543241719747647e-11,
        -1.0091543710600413e-09,
        4.162792991842583e-10,
    ),
    (
        0.004133597883597883,
        -0.0026813271604938273,
        0.0007716049382716049,
        2.0093878600823047e-06,
        -0.0001073665322636516,
        5.2923448829120125e-05,
        -1.2760635188618728e-05,
        3.423578734096138e-08,
        1.3721957309062934e-06,
        -6.298992138380055e-07,
        1.4280614206064242e-07,
        -2.0477098421990866e-10,
        -1.409252991086752e-08,
        6.228974084922022e-09,
        -1.3670488396617114e-09,
    ),
    (
        0.0006494341563786008,
        0.00022947209362139917,
        -0.0004691894943952557,
        0.00026772063206283885,
        -7.561801671883977e-05,
        -2.396505113867297e-07,
        1.1082654115347302e-05,
        -5.6749528269915965e-06,
        1.4230900732435883e-06,
        -2.7861080291528143e-11,
        -1.6958404091930278e-07,
        8.099464905388083e-08,
        -1.9111168485973655e-08,
    ),
    (
        -0.0008618882909167117,
        0.0007840392217200666,
        -0.0002990724803031902,
        -1.4638452578843418e-06,
        6.641498215465122e-05,
        -3.968365047179435e-05,
        1.1375726970678419e-05,
        2.507497226237533e-10,
        -1.6954149536558305e-06,
        8.907507532205309e-07,
        -2.292934834000805e-07,
        2.956794137544049e-11,
        2.8865829742708783e-08,
    ),
    (
        -0.00033679855336635813,
        -6.972813758365857e-05,
        0.0002772753244959392,
        -0.00019932570516188847,
        6.797780477937208e-05,
        1.419062920643967e-07,
        -1.3594048189768693e-05,
        8.018470256334202e-06,
        -2.291481176508095e-06,
        -3.252473551298454e-10,
        3.4652846491085265e-07,
        -1.8447187191171344e-07,
    ),
    (
        0.0005313079364639922,
        -0.0005921664373536939,
        0.0002708782096718045,
        7.902353232660328e-07,
        -8.153969367561969e-05,
        5.61168275310625e-05,
        -1.8329116582843375e-05,
        -3.0796134506033047e-09,
        3.465155368803609e-06,
        -2.0291327396058603e-06,
    ),
    (
        0.00034436760689237765,
        5.171790908260592e-05,
        -0.00033493161081142234,
        0.0002812695154763237,
        -0.00010976582244684731,
        -1.2741009095484485e-07,
        2.7744451511563645e-05,
        -1.8263488805711332e-05,
        5.7876949497350525e-06,
    ),
    (
        -0.0006526239185953094,
        0.0008394987206720873,
        -0.000438297098541721,
        -6.969091458420552e-07,
        0.00016644846642067547,
        -0.00012783517679769218,
        4.629953263691304e-05,
    ),
    (
        -0.0005967612901927463,
        -7.204895416020011e-05,
        0.0006782308837667328,
        -0.0006401475260262758,
        0.00027750107634328704,
    ),
    (
        0.0013324454494800656,
        -0.0019144384985654776,
        0.0011089369134596636,
        9.9324041226423e-07,
        -0.0005087450129309319,
    ),
    (0.001579727660730835, 0.00016251626278391583, -0.0020633421035543276, 0.00213896861856891),
    (-0.004072512119514016, 0.00640336283380807),
)
#: Temme's expansion is used where a > 20 and |x - a| < 0.3 a (|η| < 0.34): there the series
#: and the continued fraction take up to about 9 sqrt(a) steps.
_TEMME_MIN_A = 20.0
_TEMME_MAX_T = 0.3


def _temme_region(a: Scalar, t: Scalar) -> Scalar:
    return (a > _f(_TEMME_MIN_A)) & (ps.abs(t) < _f(_TEMME_MAX_T))


def _temme(a: Scalar, large: DD, t: Scalar) -> tuple[Scalar, Scalar, Scalar]:
    """(main, scale, upper) with main · scale = Q where x >= a (``upper``), P where x < a, by
    Temme's expansion Q = erfc(z) / 2 + R, P = erfc(-z) / 2 - R, z = η sqrt(a / 2),
    η = sign(t) sqrt(-2 (log(1 + t) - t)), R = e**(-z²) / sqrt(2πa) Σ_k C_k(η) a**-k.

    -z² = E (``large``, a double-double), so erfc(|z|) = erfcx(|z|) e**E shares the exact
    exponent: erfc(z) of a rounded z would cost 2z² ulp (hundreds at a = 1e4)."""
    e_hi = ps.minimum(large[0], _f(0.0))
    upper = t >= _f(0.0)
    root = ps.sqrt(-e_hi)  # |z|
    eta = ps.switch(upper, _f(1.0), _f(-1.0)) * root * ps.sqrt(_f(2.0) / a)
    w = _f(1.0) / a
    total = _horner(eta, _TEMME[-1])
    for row in reversed(_TEMME[:-1]):
        total = total * w + _horner(eta, row)
    r = total / ps.sqrt(_f(2.0 * math.pi) * a)
    smaller = _f(0.5) * psm.erfcx(root) + ps.switch(upper, r, -r)
    main, scale = _exp_scaled((e_hi, large[1]), smaller)
    return main, scale, upper


def _lgamma1p(a: Scalar) -> Scalar:
    """lgamma(1 + a) for 0 < a <= 3/2 without rounding 1 + a: lgamma(2 + t) by its Taylor
    series, t = a - 1 (exact) from a = 1/2, else lgamma(2 + a) - log1p(a)."""
    near_one = a - _f(1.0)
    t = ps.switch(a >= _f(0.5), near_one, a)
    at_2 = t * _horner(t, _LGAMMA_AT_2)
    return ps.switch(a >= _f(0.5), at_2, at_2 - ps.log1p(a))


def _loop(
    n_steps: Scalar,
    init: Sequence[Scalar],
    constants: Sequence[Scalar],
    step: Callable[..., tuple[list[Scalar], Scalar]],
) -> list[Scalar]:
    """A ScalarLoop of ``step(*state, *constants) -> (next state, until)`` applied to
    ``n_steps`` and the initial values; returns the final state."""
    state = [v.type() for v in init]
    inner_constants = [v.type() for v in constants]
    update, until = step(*state, *inner_constants)
    op = ScalarLoop(init=state, update=update, constant=inner_constants, until=until)
    *final, _ = op(n_steps, *init, *constants)
    return final


def _steps(run: Scalar) -> Scalar:
    return ps.switch(run, np.int64(MAX_STEPS), np.int64(0))


def _p_series(a: Scalar, x: Scalar, run: Scalar) -> Scalar:
    """Σ x**n / ((a + 1) … (a + n)), the sum of P's power series."""

    def step(s: Scalar, term: Scalar, ap: Scalar, x_: Scalar) -> tuple[list[Scalar], Scalar]:
        ap_next = ap + _f(1.0)
        term_next = term * x_ / ap_next
        s_next = s + term_next
        return [s_next, term_next, ap_next], term_next <= s_next * _f(_EPS)

    s, _, _ = _loop(_steps(run), [_f(1.0), _f(1.0), a], [x], step)
    return s


def _q_fraction(a: Scalar, x: Scalar, run: Scalar) -> Scalar:
    """Legendre's continued fraction of Γ(a, x) e**x x**-a,
    1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...))).

    The forward pass (modified Lentz) only finds where the fraction has converged (n terms);
    the value is then the fraction truncated after n + 10 terms evaluated backward, from the
    innermost term out. Lentz's running product of n factors near 1 collects their rounding
    errors (up to 60 ulp at a < 1, x in (1.1, 2), where n is 60-90); the backward sum is
    within 3 ulp there and elsewhere in the fraction's region (checked against mpmath)."""

    def step(b: Scalar, c: Scalar, d: Scalar, i: Scalar, a_: Scalar) -> tuple[list[Scalar], Scalar]:
        i_next = i + _f(1.0)
        an = -i_next * (i_next - a_)
        b_next = b + _f(2.0)
        d_next = an * d + b_next
        d_next = ps.switch(ps.abs(d_next) < _f(_TINY), _f(_TINY), d_next)
        c_next = b_next + an / c
        c_next = ps.switch(ps.abs(c_next) < _f(_TINY), _f(_TINY), c_next)
        d_next = _f(1.0) / d_next
        delta = d_next * c_next
        return [b_next, c_next, d_next, i_next], ps.abs(delta - _f(1.0)) <= _f(_EPS)

    b = x + _f(1.0) - a
    _, _, _, n = _loop(_steps(run), [b, _f(1.0 / _TINY), _f(1.0) / b, _f(0.0)], [a], step)

    def backward(tail: Scalar, k: Scalar, a_: Scalar, b_: Scalar) -> tuple[list[Scalar], Scalar]:
        # tail_(k-1) = a_k / (b_k + tail_k), a_k = -k (k - a), b_k = x + 1 - a + 2k.
        tail_next = -k * (k - a_) / (b_ + _f(2.0) * k + tail)
        k_next = k - _f(1.0)
        return [tail_next, k_next], k_next < _f(0.5)

    tail, _ = _loop(_steps(run), [_f(0.0), n + _f(10.0)], [a, b], backward)
    return _f(1.0) / (b + tail)


def _q_small_x_sum(a: Scalar, x: Scalar) -> Scalar:
    """Σ_{n>=1} (-x)^n / (n! (a + n)), the sum of the small-x series of Q."""
    total = None
    factor = _f(1.0)
    for n in range(1, _SMALL_X_TERMS + 1):
        factor = factor * (-x) / _f(float(n))
        term = factor / (a + _f(float(n)))
        total = term if total is None else total + term
    return total


def _q_small_x(a: Scalar, x: Scalar) -> Scalar:
    """Q for x <= 1.1 and small a (see the module docstring)."""
    log_x = ps.log(x)
    total = _q_small_x_sum(a, x)
    exponent = a * log_x - _lgamma1p(a)
    # x**a / Γ(a) = a x**a / Γ(1 + a): lgamma(a) ~ -log(a) would cost ulps for tiny a.
    return -ps.expm1(exponent) - a * ps.exp(exponent) * total


def _special_cases(a: Scalar, x: Scalar, p_or_q: Scalar, upper: bool) -> Scalar:
    """scipy's values (PyTensor's ``perform``) where an argument is 0, inf, NaN or out of the
    domain."""
    nan, zero, one = _f(math.nan), _f(0.0), _f(1.0)
    inf = _f(math.inf)
    out = ps.switch(ps.eq(x, inf), zero if upper else one, p_or_q)
    out = ps.switch(ps.eq(a, inf), ps.switch(ps.eq(x, inf), nan, one if upper else zero), out)
    out = ps.switch(ps.eq(x, zero), one if upper else zero, out)
    out = ps.switch(ps.eq(a, zero), zero if upper else one, out)
    bad = (a < zero) | (x < zero) | ps.isnan(a) | ps.isnan(x) | (ps.eq(a, zero) & ps.eq(x, zero))
    return ps.switch(bad, nan, out)


#: Cephes' MAXLOG, log(DBL_MAX).
_MAXLOG = 7.09782712893383973096e2
#: The constant terms of the numerator and of the denominator's linear term of Boost's scaled
#: Lanczos sum (Cephes' lanczos_sum_expg_scaled(a) ~ 56906521.9 / (39916800 a) for tiny a).
_LANCZOS_NUM_0 = 56906521.91347156388090791033559122686859
_LANCZOS_DEN_1 = 39916800.0
#: The smallest normal float64.
_DBL_MIN = 2.2250738585072014e-308


def _scipy_factor_underflows(a: Scalar, x: Scalar) -> Scalar:
    """Where scipy's (Cephes') x**a e**-x / Γ(a) is 0 (igam_fac): for |a - x| > 0.4 a where
    a log x - x - lgamma(a) < -MAXLOG, else where the scaled Lanczos sum overflows (a below
    about 7.9e-309). Its series (for P) and continued fraction (for Q) then return 0, also
    where the factor's 1/Γ(a) ~ a is cancelled by the series' own 1/a (tiny a: P is about 1
    there, and scipy gives 0)."""
    by_log = a * ps.log(x) - x - psm.gammaln(a) < -_f(_MAXLOG)
    lanczos = ps.isinf(_f(_LANCZOS_NUM_0) / (_f(_LANCZOS_DEN_1) * a))
    return ps.switch(ps.abs(a - x) > _f(0.4) * a, by_log, lanczos)


def _as_scipy_where_factor_underflows(a: Scalar, x: Scalar, p_or_q: Scalar, upper: bool) -> Scalar:
    """P or Q as scipy gives them where its factor x**a e**-x / Γ(a) underflows
    (``_scipy_factor_underflows``; a, x > 0 finite): outside the region of Temme's expansion
    (20 < a < 200 and |x - a| < 0.3 a, or a > 200 and |x - a| < 4.5 sqrt(a)), P's series
    (x <= 1 or x <= a) gives 0 and Q's continued fraction (x > 1.1, x >= a) 0, so 1 - Q and
    1 - P there are 1 (Cephes igam and igamc's splits). Where this code's value is within
    the smallest normal number of scipy's (a true value that is itself subnormal, such as
    P(20, 2.4e-15) = 1.65e-311), it is kept: the values differ in the last bits of the
    subnormal range only; what changes is P of a tiny a (about 1 - a E1(x), scipy's 0)."""
    ratio = ps.abs(x - a) / a
    temme = ((a > _f(20.0)) & (a < _f(200.0)) & (ratio < _f(0.3))) | (
        (a > _f(200.0)) & (ratio < _f(4.5) / ps.sqrt(a))
    )
    zero = _scipy_factor_underflows(a, x) & ~temme
    continued_fraction = (x > _f(1.1)) & (x >= a)
    if upper:
        one_minus_p = ps.switch(
            x > _f(1.1),
            x < a,
            ps.switch(x <= _f(0.5), _f(-0.4) / ps.log(x) < a, x * _f(1.1) < a),
        )
        rules = [(one_minus_p, 1.0), (continued_fraction, 0.0)]
    else:
        rules = [(~((x > _f(1.0)) & (x > a)), 0.0), (continued_fraction, 1.0)]
    out = p_or_q
    for region, value in rules:
        material = ps.abs(p_or_q - _f(value)) >= _f(_DBL_MIN)
        out = ps.switch(zero & region & material, _f(value), out)
    return out


def _ordinary(a: Scalar, x: Scalar) -> Scalar:
    """False where _special_cases decides; the loops do not run there."""
    finite = ~ps.isinf(a) & ~ps.isinf(x)
    return finite & (a > _f(0.0)) & (x > _f(0.0))


def _p_parts(
    a: Scalar, x: Scalar, ordinary: Scalar, exponent: tuple[DD, Scalar] | None = None
) -> tuple[Scalar, Scalar]:
    """(main, scale) with P = main · scale where ``ordinary`` (the loops run there only);
    scale is 1 or e**-600 (``_exp_scaled``: main keeps the digits of a P below the normal
    range). ``exponent`` is ``_large_a_exponent(a, x)`` where the caller has it."""
    large, t = exponent or _large_a_exponent(a, x)
    temme = _temme_region(a, t)
    fraction_side = (x > _f(1.0)) & (x > a)
    factor, scale = _series_factor(a, x, large)
    run = ordinary & ~temme
    series = _p_series(a, x, run & ~fraction_side) * factor
    fraction = _f(1.0) - (_q_fraction(a, x, run & fraction_side) * (a * factor)) * scale
    t_main, t_scale, t_upper = _temme(a, large, t)
    one = _f(1.0)
    main = ps.switch(fraction_side, fraction, series)
    scale = ps.switch(fraction_side, one, scale)
    main = ps.switch(temme, ps.switch(t_upper, one - t_main * t_scale, t_main), main)
    return main, ps.switch(temme, ps.switch(t_upper, one, t_scale), scale)


def _p_of(
    a: Scalar, x: Scalar, ordinary: Scalar, exponent: tuple[DD, Scalar] | None = None
) -> Scalar:
    """P where ``ordinary``; ``exponent`` as for ``_p_parts``."""
    main, scale = _p_parts(a, x, ordinary, exponent)
    return main * scale


def _q_parts(
    a: Scalar,
    x: Scalar,
    ordinary: Scalar,
    exponent: tuple[DD, Scalar] | None = None,
    with_parts_by_a: bool = False,
) -> tuple[Scalar, ...]:
    """(main, scale) with Q = main · scale where ``ordinary``, as ``_p_parts``; with
    ``with_parts_by_a`` also (by_a, use_by_a): main / a where ``use_by_a`` (its digits kept
    where main is below the normal range)."""
    log_x = ps.log(x)
    large, t = exponent or _large_a_exponent(a, x)
    temme = _temme_region(a, t)
    # scipy's igamc split: 1 - P where P is small; else the continued fraction (x > 1.1) or
    # the small-x series, except that the fraction (summed backward, within 4 ulp) takes
    # x in (0.8, 1.1] from the series, whose alternating sum cancels there (Q = a E1(x)
    # ~ 0.2 a from terms of 0.85 a: 25 ulp at a = 1e-6, x = 1.076).
    one_minus_p = ps.switch(
        x > _f(1.1),
        x < a,
        ps.switch(x <= _f(0.5), _f(-0.4) / log_x < a, x * _f(1.1) < a),
    )
    fraction_side = (x > _f(_FRACTION_FROM)) & ~one_minus_p
    factor, scale = _series_factor(a, x, large)
    run = ordinary & ~temme
    p = (_p_series(a, x, run & one_minus_p) * factor) * scale
    cf = _q_fraction(a, x, run & fraction_side)
    fraction = cf * (a * factor)
    small = _q_small_x(a, x)
    t_main, t_scale, t_upper = _temme(a, large, t)
    one = _f(1.0)
    main = ps.switch(one_minus_p, one - p, ps.switch(fraction_side, fraction, small))
    scale = ps.switch(fraction_side & ~one_minus_p, scale, one)
    main = ps.switch(temme, ps.switch(t_upper, t_main, one - t_main * t_scale), main)
    scale = ps.switch(temme, ps.switch(t_upper, t_scale, one), scale)
    if not with_parts_by_a:
        return main, scale
    # main / a where a · factor or Q itself is below the normal range while main / a is not
    # (tiny a: Q ~ a E1(x)): the continued fraction's cf · factor for a < 1 (where the target's
    # q / a loses nothing either), and for a below 1e-100 the
    # small-x series' -log x - euler_gamma - Σ (-x)^n / (n! n) (Q / a to O(a))
    by_a_sum = cf * factor
    use_sum = ~temme & ~one_minus_p & fraction_side & (a < _f(1.0))  # (q / a is exact)
    by_a_tiny = -(log_x + _f(np.euler_gamma) + _q_small_x_sum(a, x))
    use_tiny = ~temme & ~one_minus_p & ~fraction_side & (a < _f(1e-100))
    return main, scale, ps.switch(use_sum, by_a_sum, by_a_tiny), use_sum | use_tiny


def _q_of(
    a: Scalar, x: Scalar, ordinary: Scalar, exponent: tuple[DD, Scalar] | None = None
) -> Scalar:
    """Q where ``ordinary``; ``exponent`` as for ``_p_parts``."""
    main, scale = _q_parts(a, x, ordinary, exponent)
    return main * scale


def _graph(upper: bool) -> ps.Composite:
    """The float64 scalar graph of Q (``upper``) or P."""
    a, x = ps.float64("a"), ps.float64("x")
    ordinary = _ordinary(a, x)
    # Harmless stand-ins where the special cases decide (no inf - inf in the loops' setup).
    a_safe = ps.switch(ordinary, a, _f(1.0))
    x_safe = ps.switch(ordinary, x, _f(1.0))
    value = (_q_of if upper else _p_of)(a_safe, x_safe, ordinary)
    value = _as_scipy_where_factor_underflows(a_safe, x_safe, value, upper)
    return ps.Composite([a, x], [_special_cases(a, x, value, upper)])


# -- inverses ------------------------------------------------------------------------------------
#: Most Newton steps of the inverses (they converge in a few from the initial guess).
MAX_HALLEY = 40
_SQRT2 = math.sqrt(2.0)


def _lgamma1p_any(a: Scalar) -> Scalar:
    """lgamma(1 + a) for a > 0."""
    return ps.switch(a <= _f(1.5), _lgamma1p(a), psm.gammaln(a + _f(1.0)))


def _initial_guess(a: Scalar, lower_p: Scalar, upper_q: Scalar, lower_is_small: Scalar) -> Scalar:
    """A starting x for P(a, x) = lower_p (= 1 - upper_q): Wilson and Hilferty's cube for
    a >= 1/2 away from the tails' formulas' range; x**a / Γ(a + 1) = p where that x is small;
    Γ(a, x) / Γ(a) ~ x**(a - 1) e**-x / Γ(a) = q beyond."""
    # z = Φ⁻¹(lower_p) from the smaller tail (-√2 erfcinv(2p) = √2 erfcinv(2q)).
    z = ps.switch(
        lower_is_small,
        -_f(_SQRT2) * psm.erfcinv(_f(2.0) * lower_p),
        _f(_SQRT2) * psm.erfcinv(_f(2.0) * upper_q),
    )
    cube = _f(1.0) - _f(1.0) / (_f(9.0) * a) + z / (_f(3.0) * ps.sqrt(a))
    wilson = a * cube * cube * cube
    lower_tail = ps.exp((ps.log(lower_p) + _lgamma1p_any(a)) / a)
    log_q = ps.log(upper_q) + psm.gammaln(a)
    first = ps.maximum(-log_q, _f(1.0))
    upper_tail = ps.maximum(-log_q + (a - _f(1.0)) * ps.log(first), _f(1.0))
    tail = ps.switch(lower_is_small | (lower_tail < _f(1.0)), lower_tail, upper_tail)
    use_tail = (
        (a < _f(0.5))
        | (wilson <= _f(0.0))
        | (lower_tail < _f(0.2) * a)
        | (~lower_is_small & (a < _f(10.0)) & (upper_q < _f(1e-3)))
    )
    return ps.switch(use_tail, tail, wilson)


def _log_ratio(main: Scalar, scale: Scalar, target: Scalar) -> Scalar:
    """log(main · scale / target) (scale 1 or e**-600): the ratio's log where it is in range
    (near the root, where its digits matter), else the difference of logs."""
    ratio = (main / target) * scale
    log_scale = ps.switch(ps.eq(scale, _f(1.0)), _f(0.0), -_f(_SCALE_AT))
    far = ps.log(main) + log_scale - ps.log(target)
    return ps.switch(ps.isinf(ratio) | ps.eq(ratio, _f(0.0)), far, ps.log(ratio))


def _inverse_graph(upper: bool) -> ps.Composite:
    """x with P(a, x) = p (gammaincinv) or Q(a, x) = p (gammainccinv): Newton's iteration on
    the logarithm of whichever of P and Q has the smaller target, in a ScalarLoop (each step
    evaluates P or Q, themselves loops), until the step is below 2**-52 of x: in log x on
    log(P / p) in the lower tail (P ~ x**a there), in x on log(Q / q) in the upper (Q ~ e**-x
    there)."""
    a, p = ps.float64("a"), ps.float64("p")
    lower_p = _f(1.0) - p if upper else p
    upper_q = p if upper else _f(1.0) - p
    lower_is_small = lower_p <= _f(0.5)
    inside = (a > _f(0.0)) & ~ps.isinf(a) & (p > _f(0.0)) & (p < _f(1.0))
    a_safe = ps.switch(inside, a, _f(1.0))
    lower_safe = ps.switch(inside, lower_p, _f(0.5))
    upper_safe = ps.switch(inside, upper_q, _f(0.5))
    x0 = _initial_guess(a_safe, lower_safe, upper_safe, lower_is_small)

    def step(
        x: Scalar, a_: Scalar, low: Scalar, up: Scalar, small: Scalar
    ) -> tuple[list[Scalar], Scalar]:
        ordinary = ~ps.isnan(x)
        exponent = _large_a_exponent(a_, x)
        factor, f_scale = _series_factor(a_, x, exponent[0])
        p_main, p_scale = _p_parts(a_, x, ordinary & small, exponent)
        q_main, q_scale, by_a, use_by_a = _q_parts(a_, x, ordinary & ~small, exponent, True)
        p_now, q_now = p_main * p_scale, q_main * q_scale
        # P / (x dP/dx) = P / (a x**a e**-x / Γ(a + 1)), Q / (dQ/dx) likewise, and P / p,
        # Q / q, from the parts (each scale 1 or e**-600, and Q / a for tiny a): a P, Q or
        # factor below the normal range keeps its digits (a subnormal target, a tiny a, or a
        # large a, where the factor is the density times sqrt(a)).
        p_ratio = (p_main / (factor * a_)) * (p_scale / f_scale)
        q_over_f = ps.switch(use_by_a, by_a / factor, q_main / (factor * a_))
        q_ratio = q_over_f * (q_scale / f_scale) * x
        log_p = _log_ratio(p_main, p_scale, low)
        q_ratio_main = ps.switch(use_by_a, by_a, q_main)
        log_q = _log_ratio(q_ratio_main, q_scale, ps.switch(use_by_a, up / a_, up))
        # log x - log(P / p) P / (x P'), clamped (a far start can make P / p overflow).
        # Far from the root the steps are damped (at most e**±5 in x, x/4 .. 4x + 10), and
        # where P or Q underflows x moves toward where it does not (for Q toward a).
        log_step = log_p * p_ratio
        log_step = ps.switch(ps.eq(p_now, _f(0.0)), _f(-5.0), log_step)
        by_log = x * ps.exp(-ps.clip(log_step, _f(-5.0), _f(5.0)))
        by_x = x + log_q * q_ratio
        by_x = ps.clip(by_x, x * _f(0.25), x * _f(4.0) + _f(10.0))
        toward_a = x - _f(0.25) * (x - ps.maximum(a_ - _f(1.0), _f(0.0)))
        by_x = ps.switch(ps.eq(q_now, _f(0.0)), toward_a, by_x)
        nxt = ps.switch(small, by_log, by_x)
        nxt = ps.switch(ps.isnan(nxt), x, nxt)
        done = ps.abs(nxt - x) <= _f(2.0**-52) * nxt
        return [nxt], done

    steps = ps.switch(inside, np.int64(MAX_HALLEY), np.int64(0))
    (x,) = _loop(steps, [x0], [a_safe, lower_safe, upper_safe, lower_is_small], step)
    nan, zero, inf = _f(math.nan), _f(0.0), _f(math.inf)
    at_zero, at_one = (inf, zero) if upper else (zero, inf)  # (1 - p rounds to 1 for tiny p)
    out = ps.switch(ps.eq(p, zero), at_zero, ps.switch(ps.eq(p, _f(1.0)), at_one, x))
    out = ps.switch((ps.eq(a, zero) | ps.isinf(a)) & (p > zero) & (p < _f(1.0)), nan, out)
    out = _as_scipy_for_tiny_a(a, p, out, upper)
    bad = (a < zero) | ps.isnan(a) | ps.isnan(p) | (p < zero) | (p > _f(1.0))
    out = ps.switch(bad, nan, out)
    return ps.Composite([a, p], [ps.switch(_scipy_zero_at_negative_zero(a, p, upper), zero, out)])


#: Cephes' find_inverse_gamma switches forms for a < 1 at this q (DiDonato and Morris' eq. 21).
_DM21_Q = 1e-5


def _as_scipy_for_tiny_a(a: Scalar, p: Scalar, out: Scalar, upper: bool) -> Scalar:
    """scipy's (Cephes') inverses where Γ(a) overflows (a = +0 and a below about 5.6e-309,
    Cephes' Γ(a) = 1 / ((1 + euler_gamma a) a) there), for 0 < p < 1: its first guess (DiDonato and
    Morris) is u / (1 - u / (a + 1)), u = exp(-q / a - euler_gamma) for q <= 1e-5 (q the upper tail,
    1 - p for gammaincinv), NaN for larger q (a power of inf · 0); u is 0 unless q is
    within a few hundred times a, and Halley's steps do not move a result of 0. Elsewhere
    ``out`` (where u is not 0, this code's root: the true one is as good a root of the
    rounded functions)."""
    gamma_inf = ps.eq(_f(1.0) / ((_f(1.0) + _f(np.euler_gamma) * a) * a), _f(math.inf))
    inside = gamma_inf & (p > _f(0.0)) & (p < _f(1.0))
    q = p if upper else _f(1.0) - p
    u = ps.exp(-q / ps.switch(inside, a, _f(1.0)) - _f(np.euler_gamma))
    small_q = q <= _f(_DM21_Q)
    out = ps.switch(inside & small_q & ps.eq(u, _f(0.0)), _f(0.0), out)
    return ps.switch(inside & ~small_q, _f(math.nan), out)


def _scipy_zero_at_negative_zero(a: Scalar, p: Scalar, upper: bool) -> Scalar:
    """Where scipy gives 0 for a = -0.0 (not < 0 for Cephes): p > 1 for gammaincinv and
    q < 0 for gammainccinv (a domain error whose computation goes on: Γ(-0.0) = -inf makes
    DiDonato and Morris' first guess exp(-q / -0.0 - euler_gamma) = 0, where Halley's steps
    stop)."""
    negative_zero = ps.eq(a, _f(0.0)) & (_f(1.0) / a < _f(0.0))
    return negative_zero & ((p < _f(0.0)) if upper else (p > _f(1.0)))


@functools.cache
def _graphs() -> dict[str, ps.Composite]:
    # (No traceback per scalar node: PyTensor's stack extraction for the graphs' ~10**4 nodes
    # was a third of the time to build them.)
    with pytensor.config.change_flags(traceback__limit=0):
        return {
            "P": _graph(False),
            "Q": _graph(True),
            "Pinv": _inverse_graph(False),
            "Qinv": _inverse_graph(True),
        }


def _import(
    which: str, inputs: Sequence[Value], out_dtypes: Sequence[str], imp: Importer
) -> list[Value]:
    wide = [imp.cast(v, F64) for v in inputs]
    (out,) = import_scalar_graph(_graphs()[which].fgraph, wide, imp)
    (dtype,) = out_dtypes
    return [imp.emit(ops.Cast, [out], {"to": dtype}) if dtype != F64 else out]


@import_scalar.register(psm.GammaInc)
def import_gammainc(
    sop: ps.ScalarOp, inputs: Sequence[Value], out_dtypes: Sequence[str], imp: Importer
) -> list[Value]:
    """P(a, x), the regularized lower incomplete gamma function (scipy.special.gammainc)."""
    return _import("P", inputs, out_dtypes, imp)


@import_scalar.register(psm.GammaIncC)
def import_gammaincc(
    sop: ps.ScalarOp, inputs: Sequence[Value], out_dtypes: Sequence[str], imp: Importer
) -> list[Value]:
    """Q(a, x), the regularized upper incomplete gamma function (scipy.special.gammaincc)."""
    return _import("Q", inputs, out_dtypes, imp)


@import_scalar.register(psm.GammaIncInv)
def import_gammaincinv(
    sop: ps.ScalarOp, inputs: Sequence[Value], out_dtypes: Sequence[str], imp: Importer
) -> list[Value]:
    """x with P(a, x) = p (scipy.special.gammaincinv)."""
    return _import("Pinv", inputs, out_dtypes, imp)


@import_scalar.register(psm.GammaIncCInv)
def import_gammainccinv(
    sop: ps.ScalarOp, inputs: Sequence[Value], out_dtypes: Sequence[str], imp: Importer
) -> list[Value]:
    """x with Q(a, x) = q (scipy.special.gammainccinv)."""
    return _import("Qinv", inputs, out_dtypes, imp)
