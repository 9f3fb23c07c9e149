"""Elementwise activations returned as PyTensor expressions."""

from __future__ import annotations

import pytensor.tensor as pt


def silu(x):
    """SiLU / swish: ``x * sigmoid(x)`` (the pattern the compiler's fuse-silu pass matches)."""
    x = pt.as_tensor_variable(x)
    return x * pt.sigmoid(x)


def relu(x):
    """``max(x, 0)`` with the zero cast to ``x``'s dtype (no upcasting)."""
    x = pt.as_tensor_variable(x)
    return pt.maximum(x, pt.zeros((), dtype=x.type.dtype))
