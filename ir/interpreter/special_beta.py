"""Interpreter implementations of the incomplete beta function, its inverse and 2F1: scipy's,
as PyTensor's ``perform``."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.core import Operation
from ir.interpreter import implements
from ir.interpreter.lazy_scipy import special

_FUNCTIONS = {
    ops.BetaInc: special.betainc,
    ops.BetaIncInv: special.betaincinv,
    ops.Hyp2F1: special.hyp2f1,
}


def _elementwise(fn):
    def impl(op: Operation, args: list[np.ndarray]) -> np.ndarray:
        dtypes = op.operand_dtypes()  # type: ignore[attr-defined]
        wide = [a.astype(d, copy=False) for a, d in zip(args, dtypes, strict=True)]
        with np.errstate(all="ignore"):
            out = fn(*wide)
        return np.asarray(out).astype(op.result.dtype, copy=False)

    return impl


for _cls, _fn in _FUNCTIONS.items():
    implements(_cls)(_elementwise(_fn))
