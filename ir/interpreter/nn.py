"""Interpreter implementations of the ops in ``ir.ops.nn``: the ``nn`` package's numpy
references, which define these ops' semantics."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.core import Operation
from ir.interpreter import implements
from ir.nn_math import conv2d_numpy, pool2d_numpy, resize2d_numpy


def _pairs(flat) -> tuple[tuple[int, int], tuple[int, int]]:
    """ONNX-ordered pads ``[top, left, bottom, right]`` as ``((top, bottom), (left, right))``."""
    return (flat[0], flat[2]), (flat[1], flat[3])


@implements(ops.Conv)
def _conv(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x, w, *bias = args
    attrs = op.attributes
    padding = "same" if attrs["auto_pad"] == "same_upper" else _pairs(attrs["pads"])
    y = conv2d_numpy(x, w, bias[0] if bias else None, attrs["strides"], padding,
                     attrs["dilations"], attrs["group"], attrs["flip"])  # fmt: skip
    return y.astype(x.dtype, copy=False)


@implements(ops.MaxPool, ops.AvgPool)
def _pool(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    attrs = op.attributes
    mode = "max" if isinstance(op, ops.MaxPool) else "avg"
    y = pool2d_numpy(args[0], mode, attrs["kernel_shape"], attrs["strides"],
                     _pairs(attrs["pads"]), attrs["dilations"], attrs["ceil_mode"],
                     attrs.get("count_include_pad", True))  # fmt: skip
    return y.astype(args[0].dtype, copy=False)


@implements(ops.Resize)
def _resize(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    attrs = op.attributes
    return resize2d_numpy(args[0], attrs.get("scales"), attrs.get("sizes"), attrs["mode"],
                          attrs["coordinate_transformation_mode"],
                          attrs["nearest_mode"])  # fmt: skip


@implements(ops.BatchNorm)
def _batch_norm(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x, scale, bias, mean, var = args
    shape = (-1,) + (1,) * (x.ndim - 2)
    scale, bias, mean, var = (p.reshape(shape) for p in (scale, bias, mean, var))
    eps = np.asarray(op.attributes["epsilon"], dtype=x.dtype)
    return ((x - mean) / np.sqrt(var + eps) * scale + bias).astype(x.dtype, copy=False)
