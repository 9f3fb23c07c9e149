"""Interpreter implementations of erfinv, erfcinv, ndtri_exp, owens_t and polygamma: scipy's,
as PyTensor's ``perform``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ir import ops
from ir.core import Operation
from ir.interpreter import implements
from ir.interpreter.lazy_scipy import special

_FUNCTIONS: dict[type, Callable[..., np.ndarray]] = {
    ops.Erfinv: special.erfinv,
    ops.Erfcinv: special.erfcinv,
    ops.NdtriExp: special.ndtri_exp,
    ops.OwensT: special.owens_t,
}


def _implementation(
    fn: Callable[..., np.ndarray],
) -> Callable[[Operation, list[np.ndarray]], np.ndarray]:
    def impl(op: Operation, args: list[np.ndarray]) -> np.ndarray:
        dtypes = op.operand_dtypes()  # type: ignore[attr-defined]
        wide = [a.astype(d, copy=False) for a, d in zip(args, dtypes, strict=True)]
        with np.errstate(all="ignore"):
            out = fn(*wide)
        return np.asarray(out).astype(op.result.dtype, copy=False)

    return impl


for _cls, _fn in _FUNCTIONS.items():
    implements(_cls)(_implementation(_fn))


@implements(ops.PolyGamma)
def _polygamma(op: ops.PolyGamma, args: list[np.ndarray]) -> np.ndarray:
    (x,) = args
    with np.errstate(all="ignore"):
        out = special.polygamma(op.n, x.astype(op.operand_dtypes()[0], copy=False))
    return np.asarray(out).astype(op.result.dtype, copy=False)
