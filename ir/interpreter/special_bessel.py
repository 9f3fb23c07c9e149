"""Interpreter implementations of the Bessel functions: scipy's, as PyTensor's ``perform``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ir.core import Operation
from ir.interpreter.lazy_scipy import special
from ir.interpreter.special import implements_elementwise
from ir.ops import special_bessel as ops

_FUNCTIONS: dict[type[Operation], Callable[..., Any]] = {
    ops.I0: special.i0,
    ops.I1: special.i1,
    ops.J0: special.j0,
    ops.J1: special.j1,
    ops.Ive: special.ive,
    ops.Kve: special.kve,
    ops.Jv: special.jv,
}


implements_elementwise(_FUNCTIONS)
