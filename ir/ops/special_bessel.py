"""Bessel functions (pytensor.scalar.math's I0, I1, Ive, Kve, Jv, J0, J1): float elementwise
ops (integers upgrade to float32/float64, as PyTensor's ``upgrade_to_float``) whose semantics
are scipy's (PyTensor's ``perform``); ``lowering/special_bessel.py`` emits the approximations
and states the accuracy each reaches."""

from __future__ import annotations

from ir.ops.elementwise import Binary, FloatUnary


class I0(FloatUnary):
    """Modified Bessel function of the first kind of order 0 (scipy.special.i0): even,
    +inf at ±inf. `%1 = tir.i0 %0 : f64[4]`"""

    NAME = "tir.i0"


class I1(FloatUnary):
    """Modified Bessel function of the first kind of order 1 (scipy.special.i1): odd
    (i1(-0.0) = -0.0), ±inf at ±inf. `%1 = tir.i1 %0 : f64[4]`"""

    NAME = "tir.i1"


class J0(FloatUnary):
    """Bessel function of the first kind of order 0 (scipy.special.j0): even, 0 at ±inf.
    `%1 = tir.j0 %0 : f64[4]`"""

    NAME = "tir.j0"


class J1(FloatUnary):
    """Bessel function of the first kind of order 1 (scipy.special.j1): odd, 0 at ±inf.
    `%1 = tir.j1 %0 : f64[4]`"""

    NAME = "tir.j1"


class Ive(Binary):
    """Exponentially scaled modified Bessel function of the first kind, I_v(x) e^-|x|, of
    real order v (scipy.special.ive(v, x)): NaN for x < 0 unless v is an integer; negative
    non-integer orders by I_-v = I_v + (2/π) sin(vπ) K_v. `%2 = tir.ive %0, %1 : f64[4]`"""

    NAME = "tir.ive"
    RULE = "float"


class Kve(Binary):
    """Exponentially scaled modified Bessel function of the second kind, K_v(x) e^x, of real
    order v (scipy.special.kve(v, x)): even in v, NaN for x < 0, +inf at x = 0.
    `%2 = tir.kve %0, %1 : f64[4]`"""

    NAME = "tir.kve"
    RULE = "float"


class Jv(Binary):
    """Bessel function of the first kind J_v(x) of real order v (scipy.special.jv(v, x)):
    NaN for x < 0 unless v is an integer (then (-1)^v J_v(-x)); negative non-integer orders by
    J_-v = cos(vπ) J_v - sin(vπ) Y_v. `%2 = tir.jv %0, %1 : f64[4]`"""

    NAME = "tir.jv"
    RULE = "float"


__all__ = ["I0", "I1", "Ive", "J0", "J1", "Jv", "Kve"]
