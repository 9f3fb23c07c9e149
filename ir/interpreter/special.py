"""Interpreter implementations of the special functions: scipy's and numpy's, as PyTensor's
``perform``."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.core import Operation
from ir.interpreter import implements
from ir.interpreter.lazy_scipy import special


def _log1mexp(x: np.ndarray) -> np.ndarray:
    # PyTensor's Log1mexp.impl, elementwise: each branch where it is selected.
    return np.where(x < np.log(0.5), np.log1p(-np.exp(x)), np.log(-np.expm1(x)))


_FUNCTIONS = {
    ops.GammaLn: special.gammaln,
    ops.Psi: special.psi,
    ops.Gamma: special.gamma,
    ops.TriGamma: lambda x: special.polygamma(1, x),
    ops.Erfc: special.erfc,
    ops.Erfcx: special.erfcx,
    ops.Log1mexp: _log1mexp,
}


def _unary(fn):
    def impl(op: Operation, args: list[np.ndarray]) -> np.ndarray:
        (x,) = args
        dtype = op.operand_dtypes()[0]  # type: ignore[attr-defined]
        return np.asarray(fn(x.astype(dtype, copy=False))).astype(op.result.dtype, copy=False)

    return impl


for _cls, _fn in _FUNCTIONS.items():
    implements(_cls)(_unary(_fn))


@implements(ops.Atan2)
def _atan2(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    y, x = (a.astype(d, copy=False) for a, d in zip(args, op.operand_dtypes(), strict=True))  # type: ignore[attr-defined]
    return np.arctan2(y, x)
