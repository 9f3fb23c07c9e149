"""2-D convolution (NCHW) as a PyTensor Op with a vectorised numpy ``perform``.

Semantics
---------
* ``filter_flip=False`` (default): cross-correlation, like PyTorch / ONNX ``Conv``.
  ``filter_flip=True``: true convolution (kernel flipped on both spatial axes),
  PyTensor's historical convention.
* ``padding``:
    - int ``p`` or ``(ph, pw)``: symmetric padding;
    - ``((top, bottom), (left, right))``: explicit, possibly asymmetric padding;
    - ``"valid"``: no padding;
    - ``"same"``: ONNX/TensorFlow ``SAME_UPPER``: ``out = ceil(in / stride)`` and the
      total padding ``max(0, (out-1)*stride + dilation*(k-1) + 1 - in)`` is split with
      the extra (odd) element at the END (bottom / right).  With stride 1 and an
      even kernel this is e.g. ``(0, 1)`` for k=2 and ``(1, 2)`` for k=4.
    - ``"full"``: ``dilation*(k-1)`` on each side.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.scalar import upcast
from pytensor.tensor.type import TensorType

from ir.nn_math import axis_pads, conv2d_numpy
from ir.nn_math import conv_out_size as _out_size
from nn._utils import as_4d, explicit_pads, positive_pair, static

_MODES = ("valid", "same", "full")


class Conv2D(Op):
    """NCHW 2-D convolution / cross-correlation with optional bias (third input)."""

    __props__ = ("stride", "padding", "dilation", "groups", "filter_flip", "has_bias")

    def __init__(
        self,
        stride=(1, 1),
        padding=((0, 0), (0, 0)),
        dilation=(1, 1),
        groups=1,
        filter_flip=False,
        has_bias=False,
    ):
        self.stride = tuple(stride)
        self.padding = padding if isinstance(padding, str) else tuple(tuple(p) for p in padding)
        self.dilation = tuple(dilation)
        self.groups = int(groups)
        self.filter_flip = bool(filter_flip)
        self.has_bias = bool(has_bias)

    def make_node(self, x, w, b=None):
        x = as_4d(x, "conv2d input x")
        w = pt.as_tensor_variable(w)
        if w.type.ndim != 4:
            raise ValueError(
                f"conv2d kernel w must be 4-D (out_channels, in_channels/groups, kh, kw), "
                f"got a {w.type.ndim}-D tensor"
            )
        inputs = [x, w]
        dtypes = [x.type.dtype, w.type.dtype]
        if self.has_bias:
            if b is None:
                raise TypeError("Conv2D(has_bias=True) needs a bias input")
            b = pt.as_tensor_variable(b)
            if b.type.ndim != 1:
                raise ValueError(f"conv2d bias must be 1-D (out_channels,), got {b.type.ndim}-D")
            inputs.append(b)
            dtypes.append(b.type.dtype)
        elif b is not None:
            raise TypeError("Conv2D(has_bias=False) takes no bias input")
        g = self.groups
        n, c, h, wd = (static(v) for v in x.type.shape)
        o, cg, kh, kw = (static(v) for v in w.type.shape)
        if c is not None and c % g != 0:
            raise ValueError(f"conv2d: input channels ({c}) not divisible by groups ({g})")
        if o is not None and o % g != 0:
            raise ValueError(f"conv2d: output channels ({o}) not divisible by groups ({g})")
        if c is not None and cg is not None and cg * g != c:
            raise ValueError(
                f"conv2d: kernel expects {cg} input channels per group x {g} groups = {cg * g}, "
                f"but the input has {c} channels"
            )
        if self.has_bias:
            bo = static(inputs[2].type.shape[0])
            if bo is not None and o is not None and bo != o:
                raise ValueError(
                    f"conv2d: bias has {bo} elements but there are {o} output channels"
                )
        out_hw = []
        for axis, (size, k) in enumerate(((h, kh), (wd, kw))):
            s, d = self.stride[axis], self.dilation[axis]
            if size is None or k is None:
                out_hw.append(None)
                continue
            if self.padding != "same":
                lo, hi = axis_pads(self.padding, axis, size, k, s, d)
                if size + lo + hi < d * (k - 1) + 1:
                    raise ValueError(
                        f"conv2d: effective kernel size {d * (k - 1) + 1} (axis {axis + 2}) is "
                        f"larger than the padded input size {size + lo + hi}"
                    )
            out_hw.append(int(_out_size(self.padding, axis, size, k, s, d)))
        dtype = upcast(*dtypes)
        out = TensorType(dtype, shape=(n, o, *out_hw))()
        return Apply(self, inputs, [out])

    def perform(self, node, inputs, output_storage):
        x, w = inputs[0], inputs[1]
        dtype = node.outputs[0].type.dtype
        output_storage[0][0] = conv2d_numpy(
            x,
            w,
            inputs[2] if self.has_bias else None,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            self.filter_flip,
        ).astype(dtype, copy=False)

    def infer_shape(self, node, input_shapes):
        xs, ws = input_shapes[0], input_shapes[1]
        hw = [
            _out_size(self.padding, a, xs[2 + a], ws[2 + a], self.stride[a], self.dilation[a])
            for a in range(2)
        ]
        return [(xs[0], ws[0], *hw)]


def conv2d(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1, filter_flip=False):
    """2-D convolution of an NCHW tensor ``x`` with kernel ``w`` (O, C/groups, kh, kw).

    See the module docstring for the padding forms and ``filter_flip``.
    Returns an (N, O, OH, OW) tensor of dtype ``upcast(x, w, b)``.
    """
    stride = positive_pair(stride, "stride")
    dilation = positive_pair(dilation, "dilation")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    if isinstance(padding, str):
        if padding not in _MODES:
            raise ValueError(f"padding string must be one of {_MODES}, got {padding!r}")
        pad = ((0, 0), (0, 0)) if padding == "valid" else padding
    else:
        pad = explicit_pads(padding)
    op = Conv2D(stride, pad, dilation, int(groups), bool(filter_flip), b is not None)
    return op(x, w) if b is None else op(x, w, b)
