"""2-D max / average pooling (NCHW) as a PyTensor Op with a vectorised numpy ``perform``.

Semantics follow PyTorch (``torch.nn.functional.max_pool2d`` / ``avg_pool2d``):

* ``stride`` defaults to ``kernel_size``; padding is symmetric (int or pair) or explicit
  ``((top, bottom), (left, right))``; each padding must be at most half the
  (effective) kernel size, as in PyTorch, so no window lies entirely in padding.
* Max pooling pads with ``-inf`` (the dtype minimum for integers): padding never wins.
* ``out = floor_or_ceil((in + lo + hi - dilation*(k-1) - 1) / stride) + 1``; with
  ``ceil_mode=True`` the last window is dropped if it would start at or beyond
  ``in + lo`` (i.e. it must start inside the input or the left padding).
* Average pooling divisor: with ``count_include_pad=True`` the window is clipped to
  the padded extent ``[-lo, in + hi)`` (so the ceil_mode overhang beyond the padding
  is NOT counted, like PyTorch); with ``count_include_pad=False`` it is clipped to the
  input ``[0, in)``.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.tensor.type import TensorType

from ir.nn_math import pool2d_numpy, pool_out_size
from nn._utils import as_4d, explicit_pads, positive_pair, static


def _pool_out_size(size, k, s, d, lo, hi, ceil_mode):
    """Output length along one axis (works on ints and on symbolic PyTensor scalars)."""
    if isinstance(size, (int, np.integer)):
        return pool_out_size(int(size), k, s, d, lo, hi, ceil_mode)
    span = size + lo + hi - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    out = (span + s - 1) // s + 1
    # drop the last window if it starts beyond the input + left padding
    return pt.switch(pt.ge((out - 1) * s, size + lo), out - 1, out)


class Pool2D(Op):
    """NCHW pooling; ``mode`` is ``"max"`` or ``"avg"``."""

    __props__ = (
        "mode",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "ceil_mode",
        "count_include_pad",
    )

    def __init__(
        self,
        mode,
        kernel_size,
        stride,
        padding,
        dilation=(1, 1),
        ceil_mode=False,
        count_include_pad=True,
    ):
        if mode not in ("max", "avg"):
            raise ValueError(f"Pool2D mode must be 'max' or 'avg', got {mode!r}")
        self.mode = mode
        self.kernel_size = tuple(kernel_size)
        self.stride = tuple(stride)
        self.padding = tuple(tuple(p) for p in padding)
        self.dilation = tuple(dilation)
        self.ceil_mode = bool(ceil_mode)
        self.count_include_pad = bool(count_include_pad)

    def _out_size(self, axis, size):
        return _pool_out_size(
            size,
            self.kernel_size[axis],
            self.stride[axis],
            self.dilation[axis],
            *self.padding[axis],
            self.ceil_mode,
        )

    def _out_hw(self, h, w):
        return [self._out_size(a, size) for a, size in enumerate((h, w))]

    def make_node(self, x):
        x = as_4d(x, f"{self.mode}_pool2d input")
        n, c, h, w = (static(v) for v in x.type.shape)
        out_hw = []
        for a, size in enumerate((h, w)):
            if size is None:
                out_hw.append(None)
                continue
            eff = self.dilation[a] * (self.kernel_size[a] - 1) + 1
            padded = size + sum(self.padding[a])
            if padded < eff:
                raise ValueError(
                    f"{self.mode}_pool2d: effective kernel size {eff} (axis {a + 2}) is larger "
                    f"than the padded input size {padded}"
                )
            out_hw.append(int(self._out_size(a, size)))
        if x.type.dtype.startswith(("int", "uint")) and self.mode == "avg":
            raise TypeError("avg_pool2d requires a floating-point input")
        out = TensorType(x.type.dtype, shape=(n, c, *out_hw))()
        return Apply(self, [x], [out])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = pool2d_numpy(
            inputs[0],
            self.mode,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.count_include_pad,
        ).astype(node.outputs[0].type.dtype, copy=False)

    def infer_shape(self, node, input_shapes):
        n, c, h, w = input_shapes[0]
        return [(n, c, *self._out_hw(h, w))]


def _pool(mode, x, kernel_size, stride, padding, dilation, ceil_mode, count_include_pad):
    k = positive_pair(kernel_size, "kernel_size")
    s = k if stride is None else positive_pair(stride, "stride")
    d = positive_pair(dilation, "dilation")
    pads = explicit_pads(padding)
    for a in range(2):
        eff = d[a] * (k[a] - 1) + 1
        if max(pads[a]) * 2 > eff:
            raise ValueError(
                f"{mode}_pool2d: padding {pads[a]} on axis {a + 2} must be at most half of the "
                f"effective kernel size {eff}"
            )
    return Pool2D(mode, k, s, pads, d, ceil_mode, count_include_pad)(x)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max pooling over the last two axes of an NCHW tensor (PyTorch semantics)."""
    return _pool("max", x, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Average pooling over the last two axes of an NCHW tensor (PyTorch semantics)."""
    return _pool("avg", x, kernel_size, stride, padding, 1, ceil_mode, count_include_pad)


def global_max_pool2d(x):
    """Max over H and W, keeping dims: (N, C, H, W) -> (N, C, 1, 1)."""
    x = as_4d(x, "global_max_pool2d")
    return pt.max(x, axis=(2, 3), keepdims=True)


def global_avg_pool2d(x):
    """Mean over H and W, keeping dims: (N, C, H, W) -> (N, C, 1, 1)."""
    x = as_4d(x, "global_avg_pool2d")
    return pt.mean(x, axis=(2, 3), keepdims=True)
