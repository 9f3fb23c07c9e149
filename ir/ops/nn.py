"""CNN layers on NCHW tensors: convolution, pooling, resize and inference batch norm.

The ops are 2-D (rank-4 operands, spatial axes 2 and 3); their semantics are those of the
``nn`` package's PyTensor ops, whose vectorized numpy ``perform`` is also the IR interpreter's.
Paddings are ONNX-ordered: ``[top, left, bottom, right]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ir import attributes as A
from ir.core import IRError, Operation
from ir.fields import Attr, Operand, OptionalAttr, VariadicOperand
from ir.types import UNKNOWN, Dim, TensorType

_FLOATS = frozenset({"float16", "float32", "float64"})

#: tir.conv's padding modes: explicit ``pads``, or ONNX's SAME_UPPER (``out = ceil(in / s)``,
#: the odd padding element at the end), which also works on symbolic spatial sizes.
AUTO_PADS = ("explicit", "same_upper")


def _pairs(op: Operation, **named: Sequence[int]) -> None:
    for name, values in named.items():
        if len(values) != 2 or min(values) < 1:
            raise IRError(f"{op.NAME}: {name} {list(values)} must be two counts >= 1")


def _check_pads(op: Operation, pads: Sequence[int]) -> None:
    if len(pads) != 4 or min(pads) < 0:
        raise IRError(f"{op.NAME}: pads {list(pads)} must be four counts >= 0")


def _check_nchw(op: Operation, x: TensorType, what: str = "x") -> None:
    if x.rank != 4:
        raise IRError(f"{op.NAME}: {what} must be a rank-4 NCHW tensor, got {x}")


def window_count(
    size: int, kernel: int, stride: int, dilation: int, lo: int, hi: int, ceil_mode: bool
) -> int:
    """How many windows fit along one axis; with ``ceil_mode`` a last partial window counts
    unless it would start past the input and the leading padding (PyTorch's rule, which ONNX
    Runtime follows too)."""
    span = size + lo + hi - dilation * (kernel - 1) - 1
    if span < 0:
        raise IRError(f"the window ({dilation * (kernel - 1) + 1}) is larger than the padded "
                      f"input ({size + lo + hi})")  # fmt: skip
    if not ceil_mode:
        return span // stride + 1
    count = -(-span // stride) + 1
    return count - 1 if (count - 1) * stride >= size + lo else count


def _spatial(op: Operation, x: TensorType, fn: Callable[[int, int], Dim]) -> list[Dim]:
    """The output's spatial dims: ``fn(axis, size)`` for static sizes, unknown otherwise."""
    out: list[Dim] = []
    for axis, size in enumerate(x.shape[2:]):
        if not isinstance(size, int):
            out.append(UNKNOWN)
            continue
        try:
            out.append(fn(axis, size))
        except IRError as e:
            raise IRError(f"{op.NAME}: axis {axis + 2}: {e}") from None
    return out


class Conv(Operation):
    """Cross-correlation of ``x`` (N, C, H, W) with ``w`` (O, C / group, kh, kw), plus the
    optional ``bias`` (O,): ONNX Conv. With ``flip`` the kernel is first reversed on both
    spatial axes (a true convolution; the flip-conv-kernels pass removes it). All operands
    share one float dtype.

    `%2 = tir.conv %0, %1 {auto_pad = "explicit", dilations = [1, 1], flip = false, group = 1,
    pads = [1, 1, 1, 1], strides = [1, 1]} : f32[1, 8, 32, 32]`
    """

    NAME = "tir.conv"
    x = Operand()
    w = Operand()
    bias = VariadicOperand()
    strides = Attr(A.INTS)
    pads = Attr(A.INTS)
    dilations = Attr(A.INTS)
    group = Attr(A.INT)
    flip = Attr(A.BOOL)
    auto_pad = Attr(A.STR)

    def infer_types(self) -> Sequence[TensorType]:
        x, w, bias = self.x.type, self.w.type, self.bias
        _check_nchw(self, x)
        _check_nchw(self, w, "the kernel w")
        _pairs(self, strides=self.strides, dilations=self.dilations)
        _check_pads(self, self.pads)
        if self.auto_pad not in AUTO_PADS:
            raise IRError(f"tir.conv: auto_pad {self.auto_pad!r} is not one of {list(AUTO_PADS)}")
        if self.auto_pad != "explicit" and any(self.pads):
            raise IRError("tir.conv: same_upper padding takes pads [0, 0, 0, 0]")
        if x.dtype not in _FLOATS or w.dtype != x.dtype:
            raise IRError(f"tir.conv: x and w must share a float dtype, got {x.dtype}, {w.dtype}")
        if len(bias) > 1 or (bias and (bias[0].rank != 1 or bias[0].dtype != x.dtype)):
            raise IRError(f"tir.conv: the bias must be one 1-D {x.dtype} tensor")
        group = self.group
        out_channels, per_group = w.shape[0], w.shape[1]
        if group < 1:
            raise IRError(f"tir.conv: group {group} must be >= 1")
        if isinstance(out_channels, int) and out_channels % group:
            raise IRError(f"tir.conv: {out_channels} output channels do not split in {group}")
        channels = per_group * group if isinstance(per_group, int) else UNKNOWN
        if not _compatible(x.shape[1], channels):
            raise IRError(f"tir.conv: x has {x.shape[1]} channels, the kernel takes "
                          f"{per_group} x {group} groups")  # fmt: skip
        if bias and not _compatible(bias[0].shape[0], out_channels):
            raise IRError(f"tir.conv: {bias[0].shape[0]} biases for {out_channels} channels")
        pads, strides, dilations = self.pads, self.strides, self.dilations

        def size(axis: int, n: int) -> Dim:
            if self.auto_pad == "same_upper":
                return -(-n // strides[axis])
            k = w.shape[2 + axis]
            if not isinstance(k, int):
                return UNKNOWN
            return window_count(n, k, strides[axis], dilations[axis],
                                pads[axis], pads[axis + 2], ceil_mode=False)  # fmt: skip

        return (TensorType(x.dtype, (x.shape[0], out_channels, *_spatial(self, x, size))),)


def _compatible(a: Dim, b: Dim) -> bool:
    return not (isinstance(a, int) and isinstance(b, int) and a != b)


class Pool(Operation):
    """Shared machinery of the 2-D poolings (PyTorch's window rules)."""

    x = Operand()
    kernel_shape = Attr(A.INTS)
    strides = Attr(A.INTS)
    pads = Attr(A.INTS)
    dilations = Attr(A.INTS)
    ceil_mode = Attr(A.BOOL)

    def infer_types(self) -> Sequence[TensorType]:
        x = self.x.type
        _check_nchw(self, x)
        _pairs(self, kernel_shape=self.kernel_shape, strides=self.strides,
               dilations=self.dilations)  # fmt: skip
        _check_pads(self, self.pads)
        k, s, d, p = self.kernel_shape, self.strides, self.dilations, self.pads
        for axis in range(2):
            if 2 * max(p[axis], p[axis + 2]) > d[axis] * (k[axis] - 1) + 1:
                raise IRError(f"{self.NAME}: pads {list(p)} exceed half the window on axis "
                              f"{axis + 2}")  # fmt: skip
        self._check_dtype(x.dtype)

        def size(axis: int, n: int) -> int:
            return window_count(n, k[axis], s[axis], d[axis], p[axis], p[axis + 2],
                                self.ceil_mode)  # fmt: skip

        return (x.with_shape((*x.shape[:2], *_spatial(self, x, size))),)

    def _check_dtype(self, dtype: str) -> None:
        pass


class MaxPool(Pool):
    """The maximum over each window; padding never wins (it is -inf, or the integer minimum).

    `%1 = tir.max_pool %0 {ceil_mode = false, dilations = [1, 1], kernel_shape = [5, 5],
    pads = [2, 2, 2, 2], strides = [1, 1]} : f32[1, 64, 20, 20]`
    """

    NAME = "tir.max_pool"

    def _check_dtype(self, dtype: str) -> None:
        if dtype == "bool":
            raise IRError("tir.max_pool takes numbers, got bool")


class AvgPool(Pool):
    """The mean over each window. The divisor counts the padding when ``count_include_pad``
    (but never the ceil-mode overhang past it), else only input elements. Floats only."""

    NAME = "tir.avg_pool"
    count_include_pad = Attr(A.BOOL)

    def _check_dtype(self, dtype: str) -> None:
        if dtype not in _FLOATS:
            raise IRError(f"tir.avg_pool takes floats, got {dtype}")
        if any(d != 1 for d in self.dilations):
            raise IRError("tir.avg_pool has no dilation")


RESIZE_MODES = ("nearest", "linear", "cubic")
COORDINATE_MODES = (
    "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
)  # fmt: skip
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


class Resize(Operation):
    """ONNX Resize (opset 18, cubic coefficient -0.75, no antialias) of the last two axes of
    an NCHW tensor, by ``scales`` (two float32 values; out = floor(in * scale)) or to
    ``sizes`` (two ints): exactly one is given.

    `%1 = tir.resize %0 {coordinate_transformation_mode = "asymmetric", mode = "nearest",
    nearest_mode = "floor", scales = [2.0, 2.0]} : f32[1, 256, 40, 40]`
    """

    NAME = "tir.resize"
    x = Operand()
    mode = Attr(A.STR)
    coordinate_transformation_mode = Attr(A.STR)
    nearest_mode = Attr(A.STR)
    scales = OptionalAttr(A.FLOATS)
    sizes = OptionalAttr(A.INTS)

    def infer_types(self) -> Sequence[TensorType]:
        x = self.x.type
        _check_nchw(self, x)
        for name, value, allowed in (
            ("mode", self.mode, RESIZE_MODES),
            ("coordinate_transformation_mode", self.coordinate_transformation_mode,
             COORDINATE_MODES),
            ("nearest_mode", self.nearest_mode, NEAREST_MODES),
        ):  # fmt: skip
            if value not in allowed:
                raise IRError(f"tir.resize: {name} {value!r} is not one of {list(allowed)}")
        if (self.scales is None) == (self.sizes is None):
            raise IRError("tir.resize: give exactly one of scales and sizes")
        if self.sizes is not None:
            if len(self.sizes) != 2 or min(self.sizes) < 1:
                raise IRError(f"tir.resize: sizes {list(self.sizes)} must be two sizes >= 1")
            return (x.with_shape((*x.shape[:2], *self.sizes)),)
        scales = self.scales
        assert scales is not None  # exactly one of scales and sizes is given
        if len(scales) != 2 or any(s <= 0 or float(np.float32(s)) != s for s in scales):
            raise IRError(f"tir.resize: scales {list(scales)} must be two positive float32 values")

        def size(axis: int, n: int) -> int:
            out = int(np.floor(n * scales[axis]))
            if out < 1:
                raise IRError(f"resizing {n} by {scales[axis]} leaves no element")
            return out

        return (x.with_shape((*x.shape[:2], *_spatial(self, x, size))),)


class BatchNorm(Operation):
    """Inference batch normalization over axis 1 of a rank >= 2 tensor:
    ``(x - mean) / sqrt(var + epsilon) * scale + bias``, the four statistics being 1-D of
    the channel count. All operands share one float dtype.

    `%5 = tir.batch_norm %0, %1, %2, %3, %4 {epsilon = 0.001} : f32[1, 16, 8, 8]`
    """

    NAME = "tir.batch_norm"
    x = Operand()
    scale = Operand()
    bias = Operand()
    mean = Operand()
    var = Operand()
    epsilon = Attr(A.FLOAT)

    def infer_types(self) -> Sequence[TensorType]:
        x = self.x.type
        if x.rank < 2 or x.dtype not in _FLOATS:
            raise IRError(f"tir.batch_norm: x must be a float tensor of rank >= 2, got {x}")
        for name in ("scale", "bias", "mean", "var"):
            p = getattr(self, name).type
            if p.rank != 1 or p.dtype != x.dtype or not _compatible(p.shape[0], x.shape[1]):
                raise IRError(f"tir.batch_norm: {name} must be a {x.dtype}[{x.shape[1]}], got {p}")
        if self.epsilon < 0:
            raise IRError(f"tir.batch_norm: epsilon {self.epsilon} is negative")
        return (x,)


__all__ = [
    "AvgPool", "BatchNorm", "Conv", "MaxPool", "Pool", "Resize",
]  # fmt: skip
