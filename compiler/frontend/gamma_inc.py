"""Frontend rules: the regularized incomplete gamma functions ``GammaInc`` (P) and ``GammaIncC``
(Q) as an import-time decomposition into float64 scalar graphs with ``ScalarLoop``s, imported
like a Composite (``compiler/frontend/scalar_loop.py`` turns each loop into a tir.loop in which
every element iterates until it converges).

Algorithms (Cephes ``igam``/``igamc`` as scipy splits them; the formulas are the textbook ones):

- the power series P = x^a e^-x / Γ(a + 1) · Σ x^n / ((a + 1) … (a + n)) where x <= 1 or x <= a;
- Legendre's continued fraction for Q (modified Lentz) where x > 1 and x > a (x > 1.1 for Q);
- for Q at small x (x <= 1.1 and a small), the series
  Q = -expm1(a log x - lgamma(1 + a)) - x^a / Γ(a) · Σ_{n>=1} (-x)^n / (n! (a + n)),
  unrolled (25 terms reach 1e-24 at x = 1.1), with lgamma(1 + a) from its Taylor series at 2;
- the other function as 1 minus the one computed (where it is at least about 1/2, no
  cancellation).

The factor x^a e^-x / Γ(a) is, for a >= 10, exp(a log1pmx((x - a)/a)) sqrt(a / 2π) / exp(S(a))
with S Stirling's series (so that a log x - x - lgamma(a), terms of size a log a that cancel
near x = a, are never formed); below 10, x**a e**-x / Γ(1 + a) by pow and lgamma(1 + a).

Float32 (and narrower) inputs are computed in float64 and rounded once. Special values are
scipy's (PyTensor's ``perform``): NaN for a < 0, x < 0, a NaN argument, a = x = 0 and
a = x = inf; P(0, x) = 1, P(a, 0) = 0, P(inf, x) = 0, P(a, inf) = 1 (Q = 1 - P there).

Each loop stops per element at convergence (relative term or step below 2**-53) or after
``MAX_STEPS`` steps; near x = a the steps needed grow like 9 sqrt(a), so the series and the
continued fraction reach full accuracy up to a of about 10**8.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
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


def _series_factor(a: Scalar, x: Scalar) -> Scalar:
    """x**a e**-x / Γ(a + 1) for a > 0, x > 0 (see the module docstring)."""
    t = (x - a) / a
    w = _f(1.0) / a
    stirling = w * _horner(w * w, _STIRLING)
    # Away from x = a, log(x / a) - t: 1 + t would have lost x's digits when x << a.
    exponent = ps.switch(ps.abs(t) <= _f(0.5), _log1pmx(t), ps.log(x / a) - t)
    rest = ps.sqrt(a / _f(2.0 * math.pi)) / ps.exp(stirling) / a
    # Where exp underflows to a subnormal, the other factors go into its argument (a product
    # after it would round the subnormal's few bits once more).
    power = a * exponent
    large = ps.switch(power > _f(-700.0), ps.exp(power) * rest, ps.exp(power + ps.log(rest)))
    # Below 10: x**a by pow (exp(a log x) would cost |a log x| ulps at tiny x) unless a
    # factor overflows or underflows; lgamma(1 + a) without rounding 1 + a.
    log_gamma = ps.switch(a <= _f(1.5), _lgamma1p(a), psm.gammaln(a + _f(1.0)))
    a_log_x = a * ps.log(x)
    by_pow = (x**a) * ps.exp(-x - log_gamma)
    by_exp = ps.exp(a_log_x - x - log_gamma)
    normal = (ps.abs(a_log_x) < _f(708.0)) & (x + log_gamma < _f(700.0))
    small = ps.switch(normal, by_pow, by_exp)
    return ps.switch(a >= _f(10.0), large, small)


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
    """Legendre's continued fraction of Γ(a, x) e**x x**-a (modified Lentz)."""

    def step(
        b: Scalar, c: Scalar, d: Scalar, h: Scalar, i: Scalar, a_: Scalar
    ) -> tuple[list[Scalar], Scalar]:
        i_next = i + _f(1.0)
        an = -i_next * (i_next - a_)
        b_next = b + _f(2.0)
        d_next = an * d + b_next
        d_next = ps.switch(ps.abs(d_next) < _f(_TINY), _f(_TINY), d_next)
        c_next = b_next + an / c
        c_next = ps.switch(ps.abs(c_next) < _f(_TINY), _f(_TINY), c_next)
        d_next = _f(1.0) / d_next
        delta = d_next * c_next
        return [b_next, c_next, d_next, h * delta, i_next], ps.abs(delta - _f(1.0)) <= _f(_EPS)

    b = x + _f(1.0) - a
    d = _f(1.0) / b
    _, _, _, h, _ = _loop(_steps(run), [b, _f(1.0 / _TINY), d, d, _f(0.0)], [a], step)
    return h


def _q_small_x(a: Scalar, x: Scalar) -> Scalar:
    """Q for x <= 1.1 and small a (see the module docstring)."""
    log_x = ps.log(x)
    total = None
    factor = _f(1.0)
    for n in range(1, _SMALL_X_TERMS + 1):
        factor = factor * (-x) / _f(float(n))
        term = factor / (a + _f(float(n)))
        total = term if total is None else total + term
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


def _ordinary(a: Scalar, x: Scalar) -> Scalar:
    """False where _special_cases decides; the loops do not run there."""
    finite = ~ps.isinf(a) & ~ps.isinf(x)
    return finite & (a > _f(0.0)) & (x > _f(0.0))


def _p_of(a: Scalar, x: Scalar, ordinary: Scalar) -> Scalar:
    fraction_side = (x > _f(1.0)) & (x > a)
    factor = _series_factor(a, x)
    series = _p_series(a, x, ordinary & ~fraction_side) * factor
    fraction = _f(1.0) - _q_fraction(a, x, ordinary & fraction_side) * (a * factor)
    return ps.switch(fraction_side, fraction, series)


def _q_of(a: Scalar, x: Scalar, ordinary: Scalar) -> Scalar:
    log_x = ps.log(x)
    # scipy's igamc split: 1 - P where P is small; else the continued fraction (x > 1.1) or
    # the small-x series.
    one_minus_p = ps.switch(
        x > _f(1.1),
        x < a,
        ps.switch(x <= _f(0.5), _f(-0.4) / log_x < a, x * _f(1.1) < a),
    )
    fraction_side = (x > _f(1.1)) & ~one_minus_p
    factor = _series_factor(a, x)
    p = _p_series(a, x, ordinary & one_minus_p) * factor
    fraction = _q_fraction(a, x, ordinary & fraction_side) * (a * factor)
    small = _q_small_x(a, x)
    return ps.switch(one_minus_p, _f(1.0) - p, ps.switch(fraction_side, fraction, small))


def _graph(upper: bool) -> ps.Composite:
    """The float64 scalar graph of Q (``upper``) or P."""
    a, x = ps.float64("a"), ps.float64("x")
    ordinary = _ordinary(a, x)
    # Harmless stand-ins where the special cases decide (no inf - inf in the loops' setup).
    a_safe = ps.switch(ordinary, a, _f(1.0))
    x_safe = ps.switch(ordinary, x, _f(1.0))
    value = (_q_of if upper else _p_of)(a_safe, x_safe, ordinary)
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
        slope = _series_factor(a_, x) * a_ / x  # dP/dx
        p_now = _p_of(a_, x, ordinary & small)
        q_now = _q_of(a_, x, ordinary & ~small)
        # log x - log(P / p) P / (x P'), clamped (a far start can make P / p overflow).
        # Far from the root the steps are damped (at most e**±5 in x, x/4 .. 4x + 10), and
        # where P or Q underflows x moves toward where it does not.
        log_step = ps.log(p_now / low) * p_now / (x * slope)
        log_step = ps.switch(ps.eq(p_now, _f(0.0)), _f(-5.0), log_step)
        by_log = x * ps.exp(-ps.clip(log_step, _f(-5.0), _f(5.0)))
        by_x = x + ps.log(q_now / up) * q_now / slope
        by_x = ps.clip(by_x, x * _f(0.25), x * _f(4.0) + _f(10.0))
        by_x = ps.switch(ps.eq(q_now, _f(0.0)), x * _f(0.75), by_x)
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
    bad = (a < zero) | ps.isnan(a) | ps.isnan(p) | (p < zero) | (p > _f(1.0))
    return ps.Composite([a, p], [ps.switch(bad, nan, out)])


@functools.cache
def _graphs() -> dict[str, ps.Composite]:
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
