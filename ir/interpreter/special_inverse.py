"""Interpreter implementations of erfinv, erfcinv, ndtri_exp, owens_t and polygamma: scipy's,
as PyTensor's ``perform``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ir import ops
from ir.interpreter import implements
from ir.interpreter.lazy_scipy import special
from ir.interpreter.special import implements_elementwise

_FUNCTIONS: dict[type, Callable[..., np.ndarray]] = {
    ops.Erfinv: special.erfinv,
    ops.Erfcinv: special.erfcinv,
    ops.NdtriExp: special.ndtri_exp,
    ops.OwensT: special.owens_t,
}


implements_elementwise(_FUNCTIONS)


@implements(ops.PolyGamma)
def _polygamma(op: ops.PolyGamma, args: list[np.ndarray]) -> np.ndarray:
    (x,) = args
    with np.errstate(all="ignore"):
        out = special.polygamma(op.n, x.astype(op.operand_dtypes()[0], copy=False))
    return np.asarray(out).astype(op.result.dtype, copy=False)
