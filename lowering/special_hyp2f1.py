"""2F1(a, b; c; z) in float64 ONNX arithmetic: power series (ONNX ``Loop``s built with
``lowering/special_beta.py``'s elementwise iteration) under the linear transformations that make
them converge. Float32 and float16 are computed in float64 and rounded once. The accuracy bound,
measured by ``benchmarks/accuracy_beta.py`` against mpmath, is in the rule's docstring.
"""

from __future__ import annotations

import math

from ir import ops
from lowering.registry import lowers
from lowering.special import _in_float64, _Num, _select, gamma64
from lowering.special_beta import _broadcast, _iterate, _pow

# -- 2F1 -----------------------------------------------------------------------------------------

#: Series terms at most (the direct series near z = 1 needs about 40 / (1 - z)).
_HYP_MAX_STEPS = 5000
#: A sum whose terms add up in magnitude to more than this many times its own is refused (NaN):
#: its rounding errors could exceed the bound.
_HYP_CANCELLATION = 64.0


def _hyp_series(a: _Num, b: _Num, c: _Num, z: _Num) -> tuple[_Num, _Num]:
    """(ok, S): S = sum_n (a)_n (b)_n z**n / ((c)_n n!), ok where it converged (or ended:
    a polynomial) without more cancellation than _HYP_CANCELLATION."""

    def step(state: list[_Num], _: _Num) -> tuple[_Num, list[_Num]]:
        n, term, total, lost, size = state
        ratio = (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z
        term = term * ratio
        corrected = term - lost
        new_total = total + corrected
        lost = (new_total - total) - corrected
        size = size + term.unary("Abs")
        n = n + 1.0
        small = term.unary("Abs").le(new_total.unary("Abs") * 1e-17)
        # later terms shrink once |ratio| < 1 for good: (a + n)(b + n)/((c + n)(n + 1)) -> 1
        shrinking = ratio.unary("Abs").lt(1.0).and_(n.gt(a.unary("Abs") + b.unary("Abs")))
        done = term.eq(0.0).or_(small.and_(shrinking))
        return done, [n, term, new_total, lost, size]

    zero = z * 0.0
    one = zero + 1.0
    converged, (_, _, total, _, size) = _iterate([zero, one, one, zero, one], step, _HYP_MAX_STEPS)
    ok = converged.and_(size.le(_HYP_CANCELLATION * total.unary("Abs")))
    return ok, total


def _nonpositive_integer(v: _Num) -> _Num:
    return v.le(0.0).and_(v.unary("Floor").eq(v))


def hyp2f1_64(a: _Num, b: _Num, c: _Num, z: _Num) -> _Num:
    """2F1(a, b; c; z) for real arguments, as the first of these power series that converges
    without its terms cancelling by more than a factor 8 (each an ONNX Loop of up to 5000
    terms): the series itself (|z| <= 1/2, 1/2 < z < 1 up to z of about 0.99, and the
    polynomial cases, a or b a non-positive integer, at any z); for -1 <= z < 0 Pfaff's
    (1 - z)**-a 2F1(a, c - b; c; z/(z - 1)) and (1 - z)**-b 2F1(c - a, b; c; z/(z - 1)); for
    0 < z < 1 Euler's (1 - z)**(c - a - b) 2F1(c - a, c - b; c; z). Gauss's
    Γ(c) Γ(c - a - b) / (Γ(c - a) Γ(c - b)) at z = 1. Where none qualifies, and for z < -1
    outside the polynomial cases, NaN: not a number of unknown accuracy. As scipy: 1 at
    z = 0, inf where c is a non-positive integer (not cancelled by a polynomial of lower
    degree), for z > 1 and at z = 1 when c - a - b <= 0. ≤ 37 ulp (float64) measured."""
    a, b, c, z = _broadcast(a, b, c, z)
    poly_a, poly_b = _nonpositive_integer(a), _nonpositive_integer(b)
    polynomial = poly_a.or_(poly_b)
    degree = _select(
        poly_a.and_(poly_b),
        _select(a.gt(b), -a, -b),
        _select(poly_a, -a, -b),
    )
    pole = _nonpositive_integer(c).and_(polynomial.unary("Not").or_((-c).lt(degree)))
    inside = z.ge(-1.0).and_(z.lt(1.0)).or_(polynomial).and_(pole.unary("Not"))
    negative = z.lt(0.0).and_(polynomial.unary("Not"))
    one_minus = 1.0 - z
    one_minus_low = (1.0 - one_minus) - z  # 1 - z = one_minus + one_minus_low exactly

    def power(e: _Num) -> _Num:  # (1 - z)**e
        return _pow(one_minus, e) * (e * one_minus_low / one_minus).unary("Exp")

    w = z / (z - 1.0)
    # Pfaff's forms also for a polynomial at z < 0 (a polynomial again where a, or b, is the
    # non-positive integer): their terms may cancel less than the series'
    below = z.lt(0.0)
    candidates = [
        (None, a, b, z, z.unary("Abs").le(0.5).or_(z.gt(0.0)).or_(polynomial)),
        (power(-a), a, c - b, w, negative.or_(below.and_(poly_a))),
        (power(-b), c - a, b, w, negative.or_(below.and_(poly_b))),
        (power(c - a - b), c - a, c - b, z, z.gt(0.0).and_(z.lt(1.0))),
    ]
    out = z * math.nan
    found = z.lt(z)  # all false (NaN too)
    for scale, p, q, arg, applies in candidates:
        use = applies.and_(inside).and_(found.unary("Not"))
        ok, total = _hyp_series(p, q, c, _select(use, arg, 0.0))
        value = total if scale is None else scale * total
        take = use.and_(ok)
        out = _select(take, value, out)
        found = found.or_(take)
    # z = 1: Gauss's sum where c - a - b > 0, else inf
    s = c - a - b
    gauss = gamma64(c) * gamma64(s) / (gamma64(c - a) * gamma64(c - b))
    gauss = _select(s.gt(0.0), gauss, math.inf)
    out = _select(z.eq(1.0).and_(polynomial.unary("Not")), gauss, out)
    out = _select(z.gt(1.0).and_(polynomial.unary("Not")), math.inf, out)
    out = _select(pole, math.inf, out)
    out = _select(z.eq(0.0), 1.0, out)
    nan = a.unary("IsNaN").or_(b.unary("IsNaN")).or_(c.unary("IsNaN")).or_(z.unary("IsNaN"))
    return _select(nan, math.nan, out)


lowers(ops.Hyp2F1)(_in_float64(hyp2f1_64))
