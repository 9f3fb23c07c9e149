"""Interpreter implementations of the ops in ``ir.ops.nn``: the ``nn`` package's numpy
references, which define these ops' semantics."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ir import ops
from ir.interpreter import implements
from ir.nn_math import conv2d_numpy, pool2d_numpy, resize2d_numpy


def _pairs(flat: Sequence[int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """ONNX-ordered pads ``[top, left, bottom, right]`` as ``((top, bottom), (left, right))``."""
    return (flat[0], flat[2]), (flat[1], flat[3])


@implements(ops.Conv)
def _conv(op: ops.Conv, args: list[np.ndarray]) -> np.ndarray:
    x, w, *bias = args
    padding = "same" if op.auto_pad == "same_upper" else _pairs(op.pads)
    y = conv2d_numpy(x, w, bias[0] if bias else None, op.strides, padding,
                     op.dilations, op.group, op.flip)  # fmt: skip
    return y.astype(x.dtype, copy=False)


@implements(ops.MaxPool, ops.AvgPool)
def _pool(op: ops.Pool, args: list[np.ndarray]) -> np.ndarray:
    mode = "max" if isinstance(op, ops.MaxPool) else "avg"
    count_include_pad = op.count_include_pad if isinstance(op, ops.AvgPool) else True
    y = pool2d_numpy(args[0], mode, op.kernel_shape, op.strides, _pairs(op.pads),
                     op.dilations, op.ceil_mode, count_include_pad)  # fmt: skip
    return y.astype(args[0].dtype, copy=False)


@implements(ops.Resize)
def _resize(op: ops.Resize, args: list[np.ndarray]) -> np.ndarray:
    return resize2d_numpy(args[0], op.scales, op.sizes, op.mode,
                          op.coordinate_transformation_mode, op.nearest_mode)  # fmt: skip


@implements(ops.BatchNorm)
def _batch_norm(op: ops.BatchNorm, args: list[np.ndarray]) -> np.ndarray:
    x, scale, bias, mean, var = args
    shape = (-1,) + (1,) * (x.ndim - 2)
    scale, bias, mean, var = (p.reshape(shape) for p in (scale, bias, mean, var))
    eps = np.asarray(op.epsilon, dtype=x.dtype)
    out: np.ndarray = (x - mean) / np.sqrt(var + eps) * scale + bias
    return out.astype(x.dtype, copy=False)
