"""Interpreter implementations of the special functions: scipy's and numpy's, as PyTensor's
``perform``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ir import ops
from ir.core import Operation
from ir.interpreter import implements
from ir.interpreter.lazy_scipy import special


def _log1mexp(x: np.ndarray) -> np.ndarray:
    # PyTensor's Log1mexp.impl, elementwise: each branch where it is selected.
    return np.where(x < np.log(0.5), np.log1p(-np.exp(x)), np.log(-np.expm1(x)))


_FUNCTIONS: dict[type[Operation], Callable[..., Any]] = {
    ops.GammaLn: special.gammaln,
    ops.Psi: special.psi,
    ops.Gamma: special.gamma,
    ops.TriGamma: lambda x: special.polygamma(1, x),
    ops.Erfc: special.erfc,
    ops.Erfcx: special.erfcx,
    ops.Log1mexp: _log1mexp,
    ops.Atan2: np.arctan2,
}


def implements_elementwise(functions: Mapping[type[Operation], Callable[..., Any]]) -> None:
    """Register each function as its op's implementation: the operands converted to the dtypes
    the op computes in (``operand_dtypes``: integers upgraded to float), the function applied
    with floating-point warnings off, the result in the op's result dtype. Shared by the
    special-function modules (their references are scipy's, as PyTensor's ``perform``)."""
    for cls, fn in functions.items():
        implements(cls)(_elementwise(fn))


def _elementwise(fn: Callable[..., Any]) -> Callable[[Operation, list[np.ndarray]], np.ndarray]:
    def impl(op: Operation, args: list[np.ndarray]) -> np.ndarray:
        assert isinstance(op, ops.Elementwise)  # registered for elementwise ops only
        dtypes = op.operand_dtypes()
        wide = [a.astype(d, copy=False) for a, d in zip(args, dtypes, strict=True)]
        with np.errstate(all="ignore"):
            out = fn(*wide)
        result: np.ndarray = np.asarray(out).astype(op.result.dtype, copy=False)
        return result

    return impl


implements_elementwise(_FUNCTIONS)
