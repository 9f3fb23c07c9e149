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

from nn._utils import as_4d, static

MODES = ("nearest", "linear", "cubic")
COORD_MODES = (
    "half_pixel",
    "half_pixel_symmetric",
    "pytorch_half_pixel",
    "align_corners",
    "asymmetric",
)  # opset 18 set minus tf_crop_and_resize (needs an ROI)
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
CUBIC_A = -0.75


def original_coords(n_out, n_in, scale, ctm):
    x = np.arange(n_out, dtype=np.float64)
    length = scale * n_in  # "length_resized" as a float, as in the ONNX reference
    if ctm == "half_pixel":
        return (x + 0.5) / scale - 0.5
    if ctm == "half_pixel_symmetric":
        adjustment = n_out / length
        offset = n_in / 2 * (1 - adjustment)
        return offset + (x + 0.5) / scale - 0.5
    if ctm == "pytorch_half_pixel":
        if length == 1:
            return np.full_like(x, -0.5)
        return (x + 0.5) / scale - 0.5
    if ctm == "align_corners":
        if length == 1:
            return np.zeros_like(x)
        return x * (n_in - 1) / (length - 1)
    if ctm == "asymmetric":
        return x / scale
    raise ValueError(ctm)


def _cubic_coeffs(r, a=CUBIC_A):
    t = r + 1
    u = 1 - r
    v = u + 1
    return np.stack(
        [
            ((a * t - 5 * a) * t + 8 * a) * t - 4 * a,
            ((a + 2) * r - (a + 3)) * r * r + 1,
            ((a + 2) * u - (a + 3)) * u * u + 1,
            ((a * v - 5 * a) * v + 8 * a) * v - 4 * a,
        ],
        axis=-1,
    )


def axis_indices(n_out, n_in, scale, mode, ctm, nearest_mode):
    """(idx, weights) with idx, weights of shape (n_out, taps) for one axis."""
    xo = original_coords(n_out, n_in, scale, ctm)
    base = np.floor(xo)
    r = xo - base
    base = base.astype(np.int64)
    integer = r == 0
    if mode == "nearest":
        if nearest_mode == "round_prefer_floor":
            up = r > 0.5
        elif nearest_mode == "round_prefer_ceil":
            up = r >= 0.5
        elif nearest_mode == "floor":
            up = np.zeros_like(integer)
        else:  # ceil
            up = ~integer
        idx = base + np.where(integer, 0, up.astype(np.int64))
        return np.clip(idx, 0, n_in - 1)[:, None], np.ones((n_out, 1))
    if mode == "linear":
        idx = base[:, None] + np.arange(2)
        w = np.stack([1 - r, r], axis=-1)
    else:
        idx = base[:, None] + np.arange(-1, 3)
        w = _cubic_coeffs(r)
    return np.clip(idx, 0, n_in - 1), w


def interpolation_matrix(n_out, n_in, scale, mode, ctm):
    idx, w = axis_indices(n_out, n_in, scale, mode, ctm, None)
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.repeat(np.arange(n_out), idx.shape[1]), idx.ravel()), w.ravel())
    return m


def resize2d_numpy(x, scales, sizes, mode, ctm, nearest_mode):
    """ONNX Resize of the last two axes of an NCHW array by ``scales`` or to ``sizes``
    (exactly one is not None): the reference :class:`Resize2D.perform` and the compiler's
    interpreter share."""
    x = np.asarray(x)
    h, w = x.shape[2:]
    if sizes is not None:
        (oh, ow), (sh, sw) = sizes, (sizes[0] / h, sizes[1] / w)
    else:
        (sh, sw) = scales
        oh, ow = math.floor(h * sh), math.floor(w * sw)
    if mode == "nearest":
        ih, _ = axis_indices(oh, h, sh, "nearest", ctm, nearest_mode)
        iw, _ = axis_indices(ow, w, sw, "nearest", ctm, nearest_mode)
        return np.ascontiguousarray(x[:, :, ih[:, 0][:, None], iw[:, 0][None, :]])
    mh = interpolation_matrix(oh, h, sh, mode, ctm)
    mw = interpolation_matrix(ow, w, sw, mode, ctm)
    ct = np.float64 if x.dtype.kind != "f" else x.dtype
    y = np.einsum(
        "nchw,Hh,Ww->ncHW", x.astype(ct, copy=False), mh.astype(ct), mw.astype(ct), optimize=True
    )
    if x.dtype.kind in "iu":
        info = np.iinfo(x.dtype)
        y = np.clip(np.rint(y), info.min, info.max)
    return np.ascontiguousarray(y).astype(x.dtype, copy=False)


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
