"""Interpreter implementations of linear algebra ops."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.interpreter import implements


@implements(ops.MatMul)
def _matmul(op: ops.MatMul, args: list[np.ndarray]) -> np.ndarray:
    return np.matmul(*args)
