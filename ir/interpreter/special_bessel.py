"""Interpreter implementations of the Bessel functions: scipy's, as PyTensor's ``perform``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ir.core import Operation
from ir.interpreter import implements
from ir.interpreter.lazy_scipy import special
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


def _implementation(
    fn: Callable[..., Any],
) -> Callable[[Operation, list[np.ndarray]], np.ndarray]:
    def impl(op: Operation, args: list[np.ndarray]) -> np.ndarray:
        dtypes = op.operand_dtypes()  # type: ignore[attr-defined]
        wide = [a.astype(d, copy=False) for a, d in zip(args, dtypes, strict=True)]
        with np.errstate(all="ignore"):
            out = fn(*wide)
        result: np.ndarray = np.asarray(out).astype(op.result.dtype, copy=False)
        return result

    return impl


for _cls, _fn in _FUNCTIONS.items():
    implements(_cls)(_implementation(_fn))
