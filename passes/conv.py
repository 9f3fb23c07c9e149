"""Helpers the convolution passes share: new constants and names derived from a source."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.attributes import DenseElements
from ir.core import Value
from passes.rewriter import Rewriter


def new_constant(rw: Rewriter, array: np.ndarray, name: str | None = None) -> Value:
    """A ``tir.constant`` holding ``array`` (which the constant then owns: it is frozen
    rather than copied), created before the op being rewritten."""
    array.flags.writeable = False
    value = rw.create(ops.Constant, [], {"value": DenseElements(array)})
    value.name = name
    return value


def derived_name(source: Value, suffix: str) -> str | None:
    """``<source name>_<suffix>`` for a named source (a weight keeps its provenance)."""
    return f"{source.name}_{suffix}" if source.name else None
