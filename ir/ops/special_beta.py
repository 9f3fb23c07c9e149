"""The incomplete beta function, its inverse and the Gauss hypergeometric function.

Float elementwise ops of three or four operands (integers upgrade to float32/float64, as
PyTensor's ``upgrade_to_float``), broadcast together; their semantics are scipy's (PyTensor's
``perform``); ``lowering/special_beta.py`` emits the algorithms and states their accuracy.
"""

from __future__ import annotations

from ir.fields import Operand
from ir.ops.elementwise import Elementwise


class BetaInc(Elementwise):
    """The regularized incomplete beta function I_x(a, b) (scipy.special.betainc): NaN for
    a < 0, b < 0, a = b = 0, x outside [0, 1] or any NaN; I_x(0, b) = 1 for x > 0 and
    I_x(a, 0) = 0 for x < 1; I_x(∞, b) = 0 for x < 1, I_x(a, ∞) = 1 for x > 0.
    `%3 = tir.betainc %0, %1, %2 : f64[4]`"""

    NAME = "tir.betainc"
    a = Operand()
    b = Operand()
    x = Operand()
    RULE = "float"


class BetaIncInv(Elementwise):
    """The x with I_x(a, b) = y (scipy.special.betaincinv): NaN for a <= 0, b <= 0, y outside
    [0, 1] or any NaN; 0 at y = 0 and 1 at y = 1.
    `%3 = tir.betaincinv %0, %1, %2 : f64[4]`"""

    NAME = "tir.betaincinv"
    a = Operand()
    b = Operand()
    y = Operand()
    RULE = "float"


class Hyp2F1(Elementwise):
    """The Gauss hypergeometric function 2F1(a, b; c; z) (scipy.special.hyp2f1), real
    arguments, z < 1 (and z = 1 where c - a - b > 0); the polynomial cases (a or b a
    non-positive integer) everywhere. `%4 = tir.hyp2f1 %0, %1, %2, %3 : f64[4]`"""

    NAME = "tir.hyp2f1"
    a = Operand()
    b = Operand()
    c = Operand()
    z = Operand()
    RULE = "float"


__all__ = ["BetaInc", "BetaIncInv", "Hyp2F1"]
