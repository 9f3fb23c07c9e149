"""Inference-mode batch normalisation: a PyTensor symbolic op (an OpFromGraph).

PyTensor evaluates (and differentiates) it through its inner elementwise graph; the compiler
sees one op it can lower to ONNX BatchNormalization or fold into a preceding convolution.
"""

from __future__ import annotations

import pytensor.tensor as pt
from pytensor.tensor.symbolic import TensorSymbolicOp


class BatchNorm(TensorSymbolicOp):
    """``(x - mean) / sqrt(var + eps) * gamma + beta`` over channel axis 1 of ``x``."""

    __props__ = ("eps",)

    def __init__(self, *, eps: float, **kwargs):
        self.eps = float(eps)
        super().__init__(**kwargs)

    def build_inner_graph(self, x, gamma, beta, mean, var):
        pattern = ["x", 0] + ["x"] * (x.type.ndim - 2)
        g, b, m, v = (p.dimshuffle(pattern) for p in (gamma, beta, mean, var))
        dtype = x.type.dtype if x.type.dtype.startswith("float") else "float64"
        eps = pt.constant(self.eps, dtype=dtype)
        return [(x - m) / pt.sqrt(v + eps) * g + b]


def batch_norm(x, gamma, beta, mean, var, eps=1e-5):
    """Inference batch normalisation over channel axis 1 of ``x`` (rank >= 2).

    ``gamma``, ``beta``, ``mean`` and ``var`` are 1-D of length C. The result has the dtype
    of the plain expression ``(x - mean) / sqrt(var + eps) * gamma + beta``.
    """
    x = pt.as_tensor_variable(x)
    if x.type.ndim < 2:
        raise ValueError(f"batch_norm expects a tensor of rank >= 2, got rank {x.type.ndim}")
    if eps < 0:
        raise ValueError(f"batch_norm: eps must be non-negative, got {eps}")
    c = x.type.shape[1]
    params = []
    for name, p in (("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var)):
        p = pt.as_tensor_variable(p)
        if p.type.ndim != 1:
            raise ValueError(f"batch_norm: {name} must be 1-D (C,), got rank {p.type.ndim}")
        if c is not None and p.type.shape[0] is not None and p.type.shape[0] != c:
            raise ValueError(
                f"batch_norm: {name} has length {p.type.shape[0]} but x has {c} channels"
            )
        params.append(p)
    return BatchNorm(eps=eps)(x, *params)
