"""ONNX ``Resize`` (opset 18) on the last two axes of an NCHW tensor.

Implemented from the spec formulas (no ROI / ``tf_crop_and_resize``; ``cubic_coeff_a=-0.75``,
``exclude_outside=0``, ``extrapolation_value`` unused).  The resize is separable, so each
spatial axis is handled with a 1-D (out, in) interpolation: gather for ``nearest``, a
small dense weight matrix contracted with ``einsum`` for ``linear`` / ``cubic``.

* ``scale_factor`` (number or pair) -> ``out = floor(in * scale)``, and the given scale
  is used in the coordinate transform (as ONNX does with a ``scales`` input).  The scale
  is first rounded to float32, the type of ONNX's ``scales`` tensor (the product is then
  taken in float64, as ``onnx.reference`` does).
* ``size`` (int or pair) -> ``out = size`` and ``scale = out / in``.
"""

from __future__ import annotations

import math

import numpy as np
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.tensor.type import TensorType

from ir.nn_math import (
    COORD_MODES,
    CUBIC_A,
    MODES,
    NEAREST_MODES,
    axis_indices,
    interpolation_matrix,
    original_coords,
    resize2d_numpy,
)
from nn._utils import as_4d, static

__all__ = [
    "COORD_MODES",
    "CUBIC_A",
    "MODES",
    "NEAREST_MODES",
    "Resize2D",
    "axis_indices",
    "interpolation_matrix",
    "original_coords",
    "resize",
    "resize2d_numpy",
    "upsample_nearest2d",
]


class Resize2D(Op):
    """ONNX-Resize on axes 2 and 3; exactly one of ``scales`` / ``sizes`` is set."""

    __props__ = ("scales", "sizes", "mode", "coordinate_transformation_mode", "nearest_mode")

    def __init__(
        self,
        scales=None,
        sizes=None,
        mode="nearest",
        coordinate_transformation_mode="half_pixel",
        nearest_mode="round_prefer_floor",
    ):
        # ONNX carries scales in a float32 tensor: round them the same way so that output
        # sizes and coordinates match what an exported Resize node computes.
        self.scales = None if scales is None else tuple(float(np.float32(s)) for s in scales)
        self.sizes = None if sizes is None else tuple(int(s) for s in sizes)
        self.mode = mode
        self.coordinate_transformation_mode = coordinate_transformation_mode
        self.nearest_mode = nearest_mode

    def _out(self, h, w):
        if self.sizes is not None:
            return self.sizes
        return tuple(
            None if n is None else math.floor(n * s)
            for n, s in zip((h, w), self.scales, strict=True)
        )

    def make_node(self, x):
        x = as_4d(x, "resize")
        n, c, h, w = (static(v) for v in x.type.shape)
        oh, ow = self._out(h, w)
        for o in (oh, ow):
            if o is not None and o < 1:
                raise ValueError(f"resize: output spatial size must be >= 1, got {(oh, ow)}")
        out = TensorType(x.type.dtype, shape=(n, c, oh, ow))()
        return Apply(self, [x], [out])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = resize2d_numpy(
            inputs[0], self.scales, self.sizes, self.mode,
            self.coordinate_transformation_mode, self.nearest_mode,
        ).astype(node.outputs[0].type.dtype, copy=False)  # fmt: skip

    def infer_shape(self, node, input_shapes):
        n, c, h, w = input_shapes[0]
        if self.sizes is not None:
            return [(n, c, *self.sizes)]
        import pytensor.tensor as pt

        hw = [pt.cast(pt.floor(d * s), "int64") for d, s in zip((h, w), self.scales, strict=False)]
        return [(n, c, *hw)]


def _pair_num(v, name, kind):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be a number or a pair, got {v!r}")
        vals = tuple(v)
    else:
        vals = (v, v)
    for e in vals:
        if isinstance(e, bool) or not isinstance(e, kind):
            raise TypeError(f"{name} must be a number or a pair of numbers, got {v!r}")
        if e <= 0:
            raise ValueError(f"{name} must be positive, got {v!r}")
    return vals


def resize(
    x,
    *,
    scale_factor=None,
    size=None,
    mode="nearest",
    coordinate_transformation_mode="half_pixel",
    nearest_mode="round_prefer_floor",
):
    """Resize the H and W axes of an NCHW tensor with ONNX ``Resize`` semantics (opset 18).

    Give exactly one of ``scale_factor`` (number or (sh, sw)) and ``size`` (int or (oh, ow)).
    """
    if (scale_factor is None) == (size is None):
        raise ValueError("resize: give exactly one of scale_factor and size")
    if mode not in MODES:
        raise ValueError(f"resize: mode must be one of {MODES}, got {mode!r}")
    if coordinate_transformation_mode not in COORD_MODES:
        raise ValueError(
            f"resize: coordinate_transformation_mode must be one of {COORD_MODES}, "
            f"got {coordinate_transformation_mode!r}"
        )
    if nearest_mode not in NEAREST_MODES:
        raise ValueError(
            f"resize: nearest_mode must be one of {NEAREST_MODES}, got {nearest_mode!r}"
        )
    scales = (
        None
        if scale_factor is None
        else _pair_num(scale_factor, "scale_factor", (int, float, np.integer, np.floating))
    )
    sizes = None if size is None else _pair_num(size, "size", (int, np.integer))
    return Resize2D(scales, sizes, mode, coordinate_transformation_mode, nearest_mode)(x)


def upsample_nearest2d(x, scale_factor=2):
    """Nearest-neighbour upsampling by an integer factor (``nn.Upsample(mode='nearest')``).

    Uses ``coordinate_transformation_mode="asymmetric"`` and ``nearest_mode="floor"``,
    i.e. output pixel ``i`` copies input pixel ``i // scale`` (what PyTorch and ONNX
    exporters emit).
    """
    return resize(
        x,
        scale_factor=scale_factor,
        mode="nearest",
        coordinate_transformation_mode="asymmetric",
        nearest_mode="floor",
    )
