"""Special functions ONNX has no op for (log-gamma, digamma, the erfc family, log1mexp).

Each is a float elementwise op (integers upgrade to float32/float64, as PyTensor's
``upgrade_to_float``); its semantics are scipy's (PyTensor's ``perform``), its lowering
(``lowering/special.py``) emits the approximation and states the accuracy it reaches.
"""

from __future__ import annotations

from ir.ops.elementwise import Binary, FloatUnary


class GammaLn(FloatUnary):
    """log|Γ(x)| (scipy.special.gammaln): +inf at the poles (0, -1, -2, ...) and at +inf,
    -inf at -inf. `%1 = tir.gammaln %0 : f64[4]`"""

    NAME = "tir.gammaln"


class Psi(FloatUnary):
    """Digamma ψ(x) = d/dx log Γ(x) (scipy.special.psi): ψ(+0) = -inf, ψ(-0) = +inf, NaN at
    the negative integers and -inf. `%1 = tir.psi %0 : f64[4]`"""

    NAME = "tir.psi"


class Gamma(FloatUnary):
    """Γ(x) (scipy.special.gamma): ±inf at ±0, NaN at the negative integers and -inf, inf from
    171.62. `%1 = tir.gamma %0 : f64[4]`"""

    NAME = "tir.gamma"


class TriGamma(FloatUnary):
    """ψ'(x) (scipy.special.polygamma(1, x)): +inf at the poles 0, -1, -2, ... and at -inf.
    `%1 = tir.trigamma %0 : f64[4]`"""

    NAME = "tir.trigamma"


class Erfc(FloatUnary):
    """1 - erf(x) without cancellation (scipy.special.erfc). `%1 = tir.erfc %0 : f64[4]`"""

    NAME = "tir.erfc"


class Erfcx(FloatUnary):
    """exp(x**2) * erfc(x) without overflow for large x (scipy.special.erfcx); +inf for
    x < -26.6. `%1 = tir.erfcx %0 : f64[4]`"""

    NAME = "tir.erfcx"


class Log1mexp(FloatUnary):
    """log(1 - exp(x)), as PyTensor computes it: x < log(1/2) ? log1p(-exp(x)) :
    log(-expm1(x)) (NaN for x > 0, -inf at 0). `%1 = tir.log1mexp %0 : f64[4]`"""

    NAME = "tir.log1mexp"


class Atan2(Binary):
    """The angle of the point (x, y), numpy's arctan2(y, x) (signed zeros and infinities as
    C99); integers upgrade to float. `%2 = tir.atan2 %0, %1 : f64[4]`"""

    NAME = "tir.atan2"
    RULE = "float"


__all__ = [
    "Atan2", "Erfc", "Erfcx", "Gamma", "GammaLn", "Log1mexp", "Psi", "TriGamma",
]  # fmt: skip
