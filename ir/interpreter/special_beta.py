"""Interpreter implementations of the incomplete beta function, its inverse and 2F1: scipy's,
as PyTensor's ``perform``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ir.core import Operation
from ir.interpreter.lazy_scipy import special
from ir.interpreter.special import implements_elementwise
from ir.ops import special_beta as ops

_FUNCTIONS: dict[type[Operation], Callable[..., Any]] = {
    ops.BetaInc: special.betainc,
    ops.BetaIncInv: special.betaincinv,
    ops.Hyp2F1: special.hyp2f1,
}


implements_elementwise(_FUNCTIONS)
