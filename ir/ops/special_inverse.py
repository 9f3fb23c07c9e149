"""Inverse error functions, the normal quantile of a log-probability, polygamma and Owen's T.

Float elementwise ops (integers upgrade to float32/float64, as PyTensor's
``upgrade_to_float``) whose semantics are scipy's (PyTensor's ``perform``);
``lowering/special_inverse.py`` emits the approximations and states the accuracy each reaches.
"""

from __future__ import annotations

from ir import attributes as A
from ir.core import IRError
from ir.fields import Attr
from ir.ops.elementwise import Binary, FloatUnary


class Erfinv(FloatUnary):
    """The inverse error function (scipy.special.erfinv): odd (erfinv(-0.0) = -0.0), ±inf at
    ±1, NaN outside [-1, 1]. `%1 = tir.erfinv %0 : f64[4]`"""

    NAME = "tir.erfinv"


class Erfcinv(FloatUnary):
    """The inverse complementary error function (scipy.special.erfcinv): +inf at 0, -inf at 2,
    NaN outside [0, 2]. `%1 = tir.erfcinv %0 : f64[4]`"""

    NAME = "tir.erfcinv"


class NdtriExp(FloatUnary):
    """The standard normal quantile of exp(x), ndtri(exp(x)) (scipy.special.ndtri_exp): -inf
    at -inf, +inf at 0, NaN for x > 0. `%1 = tir.ndtri_exp %0 : f64[4]`"""

    NAME = "tir.ndtri_exp"


class OwensT(Binary):
    """Owen's T function T(h, a) = (1/2π) ∫_0^a exp(-h²(1 + x²)/2) / (1 + x²) dx
    (scipy.special.owens_t(h, a)): even in h, odd in a. `%2 = tir.owens_t %0, %1 : f64[4]`"""

    NAME = "tir.owens_t"
    RULE = "float"


#: The highest order tir.polygamma takes (its lowering's error grows with n).
MAX_POLYGAMMA_ORDER = 16


class PolyGamma(FloatUnary):
    """The polygamma function of a constant integer order n, ψ⁽ⁿ⁾(x)
    (scipy.special.polygamma(n, x)): ψ for n = 0; for n >= 1, (-1)ⁿ⁺¹ n! ζ(n + 1, x), which is
    (-1)ⁿ⁺¹ inf at 0, at the negative integers and at -inf, (-1)ⁿ⁺¹ 0 at +inf; NaN for n < 0.
    n is at most ``MAX_POLYGAMMA_ORDER``. `%1 = tir.polygamma %0 {n = 2} : f64[4]`"""

    NAME = "tir.polygamma"
    n = Attr(A.INT)

    def verify_op(self) -> None:
        if self.n > MAX_POLYGAMMA_ORDER:
            raise IRError(f"tir.polygamma: order {self.n} is above {MAX_POLYGAMMA_ORDER}")


__all__ = ["Erfcinv", "Erfinv", "NdtriExp", "OwensT", "PolyGamma"]
