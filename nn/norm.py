"""Inference-mode batch normalisation, expressed with PyTensor elementwise ops."""

from __future__ import annotations

import pytensor.tensor as pt


def batch_norm(x, gamma, beta, mean, var, eps=1e-5):
    """``(x - mean) / sqrt(var + eps) * gamma + beta`` over channel axis 1.

    ``x`` has rank >= 2 (N, C, ...); ``gamma``, ``beta``, ``mean``, ``var`` are 1-D of
    length C.  Returned as a plain PyTensor expression (constant-foldable into a
    preceding convolution by the compiler when the statistics are constants).
    """
    x = pt.as_tensor_variable(x)
    if x.type.ndim < 2:
        raise ValueError(f"batch_norm expects a tensor of rank >= 2, got rank {x.type.ndim}")
    if eps < 0:
        raise ValueError(f"batch_norm: eps must be non-negative, got {eps}")
    c = x.type.shape[1]
    pattern = ["x", 0] + ["x"] * (x.type.ndim - 2)
    params = []
    for name, p in (("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var)):
        p = pt.as_tensor_variable(p)
        if p.type.ndim != 1:
            raise ValueError(f"batch_norm: {name} must be 1-D (C,), got rank {p.type.ndim}")
        if c is not None and p.type.shape[0] is not None and p.type.shape[0] != c:
            raise ValueError(
                f"batch_norm: {name} has length {p.type.shape[0]} but x has {c} channels"
            )
        params.append(p.dimshuffle(pattern))
    g, b, m, v = params
    eps = pt.as_tensor_variable(eps).astype(
        x.type.dtype if x.type.dtype.startswith("float") else "float64"
    )
    return (x - m) / pt.sqrt(v + eps) * g + b
