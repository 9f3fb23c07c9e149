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
from collections.abc import Sequence

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


def _horner(t, coefficients: Sequence[float]):
    out = _f(coefficients[-1])
    for c in reversed(coefficients[:-1]):
        out = out * t + _f(c)
    return out


def _log1pmx(t):
    """log(1 + t) - t for |t| <= 1/2 by u = t / (2 + t): log(1 + t) = 2 atanh(u), so that
    log1pmx = -2u² / (1 - u) + 2u³ Σ u**2k / (2k + 3) (no cancellation)."""
    u = t / (_f(2.0) + t)
    u2 = u * u
    return -_f(2.0) * u2 / (_f(1.0) - u) + _f(2.0) * u2 * u * _horner(
        u2, [1.0 / (2 * k + 3) for k in range(17)]
    )


def _series_factor(a, x):
    """x**a e**-x / Γ(a + 1) for a > 0, x > 0 (see the module docstring)."""
    t = (x - a) / a
    w = _f(1.0) / a
    stirling = w * _horner(w * w, _STIRLING)
    # Away from x = a, log(x / a) - t: 1 + t would have lost x's digits when x << a.
    exponent = ps.switch(ps.abs(t) <= _f(0.5), _log1pmx(t), ps.log(x / a) - t)
    root = ps.sqrt(a / _f(2.0 * math.pi))
    large = ps.exp(a * exponent) * (root / ps.exp(stirling)) / a
    # Below 10: x**a by pow (exp(a log x) would cost |a log x| ulps at tiny x) unless it
    # overflows or underflows; lgamma(1 + a) without rounding 1 + a.
    log_gamma = ps.switch(a <= _f(1.5), _lgamma1p(a), psm.gammaln(a + _f(1.0)))
    a_log_x = a * ps.log(x)
    by_pow = (x**a) * ps.exp(-x - log_gamma)
    by_exp = ps.exp(a_log_x - x - log_gamma)
    small = ps.switch(ps.abs(a_log_x) < _f(708.0), by_pow, by_exp)
    return ps.switch(a >= _f(10.0), large, small)


def _lgamma1p(a):
    """lgamma(1 + a) for 0 < a <= 3/2 without rounding 1 + a: lgamma(2 + t) by its Taylor
    series, t = a - 1 (exact) from a = 1/2, else lgamma(2 + a) - log1p(a)."""
    near_one = a - _f(1.0)
    t = ps.switch(a >= _f(0.5), near_one, a)
    at_2 = t * _horner(t, _LGAMMA_AT_2)
    return ps.switch(a >= _f(0.5), at_2, at_2 - ps.log1p(a))


def _loop(n_steps, init, constants, step):
    """A ScalarLoop of ``step(*state, *constants) -> (next state, until)`` applied to
    ``n_steps`` and the initial values; returns the final state."""
    state = [v.type() for v in init]
    inner_constants = [v.type() for v in constants]
    update, until = step(*state, *inner_constants)
    op = ScalarLoop(init=state, update=update, constant=inner_constants, until=until)
    *final, _ = op(n_steps, *init, *constants)
    return final


def _steps(run):
    return ps.switch(run, np.int64(MAX_STEPS), np.int64(0))


def _p_series(a, x, run):
    """Σ x**n / ((a + 1) … (a + n)), the sum of P's power series."""

    def step(s, term, ap, x_):
        ap_next = ap + _f(1.0)
        term_next = term * x_ / ap_next
        s_next = s + term_next
        return [s_next, term_next, ap_next], term_next <= s_next * _f(_EPS)

    s, _, _ = _loop(_steps(run), [_f(1.0), _f(1.0), a], [x], step)
    return s


def _q_fraction(a, x, run):
    """Legendre's continued fraction of Γ(a, x) e**x x**-a (modified Lentz)."""

    def step(b, c, d, h, i, a_):
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


def _q_small_x(a, x):
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


def _special_cases(a, x, p_or_q, upper: bool):
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


def _ordinary(a, x):
    """False where _special_cases decides; the loops do not run there."""
    finite = ~ps.isinf(a) & ~ps.isinf(x)
    return finite & (a > _f(0.0)) & (x > _f(0.0))


def _p_of(a, x, ordinary):
    fraction_side = (x > _f(1.0)) & (x > a)
    factor = _series_factor(a, x)
    series = _p_series(a, x, ordinary & ~fraction_side) * factor
    fraction = _f(1.0) - _q_fraction(a, x, ordinary & fraction_side) * (a * factor)
    return ps.switch(fraction_side, fraction, series)


def _q_of(a, x, ordinary):
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


@functools.cache
def _graph(upper: bool) -> ps.Composite:
    """The float64 scalar graph of Q (``upper``) or P."""
    a, x = ps.float64("a"), ps.float64("x")
    ordinary = _ordinary(a, x)
    # Harmless stand-ins where the special cases decide (no inf - inf in the loops' setup).
    a_safe = ps.switch(ordinary, a, _f(1.0))
    x_safe = ps.switch(ordinary, x, _f(1.0))
    value = (_q_of if upper else _p_of)(a_safe, x_safe, ordinary)
    return ps.Composite([a, x], [_special_cases(a, x, value, upper)])


def _import(upper: bool, inputs: Sequence[Value], out_dtypes: Sequence[str], imp: Importer):
    wide = [imp.cast(v, F64) for v in inputs]
    (out,) = import_scalar_graph(_graph(upper).fgraph, wide, imp)
    (dtype,) = out_dtypes
    return [imp.emit(ops.Cast, [out], {"to": dtype}) if dtype != F64 else out]


@import_scalar.register(psm.GammaInc)
def import_gammainc(sop, inputs, out_dtypes, imp) -> list[Value]:
    """P(a, x), the regularized lower incomplete gamma function (scipy.special.gammainc)."""
    return _import(False, inputs, out_dtypes, imp)


@import_scalar.register(psm.GammaIncC)
def import_gammaincc(sop, inputs, out_dtypes, imp) -> list[Value]:
    """Q(a, x), the regularized upper incomplete gamma function (scipy.special.gammaincc)."""
    return _import(True, inputs, out_dtypes, imp)
