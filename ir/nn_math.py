"""The numpy semantics of the NCHW layer ops: convolution, pooling and ONNX Resize.

One definition shared by the IR interpreter (``ir.interpreter.nn``), the lowering's constant
tables (``lowering.nn``: resize coordinates and interpolation matrices) and the PyTensor ops
of ``nn/`` (their ``perform``). It lives in ``ir/`` because the IR must not import ``nn/``
(which imports PyTensor); it needs numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def axis_pads(padding: Any, axis: int, size: Any, k: int, s: int, d: int) -> tuple[Any, Any]:
    """(lo, hi) padding for one spatial axis given concrete (or symbolic) sizes."""
    if padding == "same":
        out = (size + s - 1) // s
        total = np.maximum(0, (out - 1) * s + d * (k - 1) + 1 - size)
        lo = total // 2
        return lo, total - lo
    if padding == "full":
        return d * (k - 1), d * (k - 1)
    lo, hi = padding[axis]
    return lo, hi


def conv_out_size(padding: Any, axis: int, size: Any, k: int, s: int, d: int) -> Any:
    """Output length of a convolution along one spatial axis (ints or symbolic scalars)."""
    if padding == "same":
        return (size + s - 1) // s
    lo, hi = axis_pads(padding, axis, size, k, s, d)
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def conv2d_numpy(
    x: Any,
    w: Any,
    b: Any,
    stride: Sequence[int],
    padding: Any,
    dilation: Sequence[int],
    groups: int,
    filter_flip: bool,
) -> np.ndarray:
    """NCHW 2-D cross-correlation (true convolution if ``filter_flip``) with optional bias:
    ``padding`` is ``((top, bottom), (left, right))``, ``"same"`` (SAME_UPPER) or ``"full"``."""
    x = np.asarray(x)
    w = np.asarray(w)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    if c != cg * groups or o % groups:
        raise ValueError(f"conv2d: incompatible shapes x{x.shape}, w{w.shape} for groups={groups}")
    if filter_flip:
        w = w[:, :, ::-1, ::-1]
    pads = [
        axis_pads(padding, a, (h, wd)[a], (kh, kw)[a], stride[a], dilation[a]) for a in range(2)
    ]
    pads = [(int(lo), int(hi)) for lo, hi in pads]
    ct = np.result_type(x.dtype, w.dtype, np.float32 if x.dtype.kind in "iub" else x.dtype)
    xp = np.pad(x.astype(ct, copy=False), ((0, 0), (0, 0), pads[0], pads[1]))
    eh, ew = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if xp.shape[2] < eh or xp.shape[3] < ew:
        raise ValueError(
            f"conv2d: effective kernel ({eh}, {ew}) larger than padded input {xp.shape[2:]}"
        )
    win = sliding_window_view(xp, (eh, ew), axis=(2, 3))
    win = win[:, :, :: stride[0], :: stride[1], :: dilation[0], :: dilation[1]]
    # win: (N, C, OH, OW, kh, kw)
    oh, ow = win.shape[2], win.shape[3]
    w = w.astype(ct, copy=False)
    if groups == 1:
        y = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3]))  # (N, OH, OW, O)
        y = y.transpose(0, 3, 1, 2)
    elif cg == 1 and o == groups:
        # depthwise: one kernel per channel
        y = np.einsum("nchwij,cij->nchw", win, w[:, 0], optimize=True)
    else:
        og = o // groups
        wg = win.reshape(n, groups, cg, oh, ow, kh, kw)
        kg = w.reshape(groups, og, cg, kh, kw)
        y = np.einsum("ngchwij,gocij->ngohw", wg, kg, optimize=True).reshape(n, o, oh, ow)
    if b is not None:
        y = y + np.asarray(b).astype(ct, copy=False)[None, :, None, None]
    return np.ascontiguousarray(y)


def pool_out_size(size: int, k: int, s: int, d: int, lo: int, hi: int, ceil_mode: bool) -> int:
    """Output length of a pooling along one axis; with ``ceil_mode`` the last window is
    dropped if it would start at or beyond the input plus the left padding (as PyTorch)."""
    span = size + lo + hi - d * (k - 1) - 1
    if not ceil_mode:
        return int(span // s + 1)
    out = (span + s - 1) // s + 1
    return int(out - 1) if (out - 1) * s >= size + lo else int(out)


def pool2d_numpy(
    x: Any,
    mode: str,
    kernel_size: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[tuple[int, int]],
    dilation: Sequence[int],
    ceil_mode: bool,
    count_include_pad: bool,
) -> np.ndarray:
    """NCHW max (``mode="max"``) or average pooling with PyTorch's semantics (see
    :mod:`nn.pool`): max pads with -inf, the average divisor follows ``count_include_pad``."""
    x = np.asarray(x)
    _, _, h, w = x.shape
    sizes = (h, w)
    outs = [
        pool_out_size(sizes[a], kernel_size[a], stride[a], dilation[a], *padding[a], ceil_mode)
        for a in range(2)
    ]
    effs = [dilation[a] * (kernel_size[a] - 1) + 1 for a in range(2)]
    if min(outs) < 1:
        raise ValueError(f"pool2d: kernel larger than padded input {x.shape}")
    # total extent needed, including ceil_mode overhang past the right padding
    pads = []
    for a in range(2):
        lo, hi = padding[a]
        need = (outs[a] - 1) * stride[a] + effs[a] - (sizes[a] + lo)
        pads.append((lo, max(hi, need)))
    fill = (-np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min) if mode == "max" else 0
    xp = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]), constant_values=fill)
    win = sliding_window_view(xp, tuple(effs), axis=(2, 3))
    win = win[:, :, :: stride[0], :: stride[1], :: dilation[0], :: dilation[1]]
    win = win[:, :, : outs[0], : outs[1]]
    if mode == "max":
        return np.ascontiguousarray(win.max(axis=(4, 5)))
    total = win.sum(axis=(4, 5), dtype=np.float64 if x.dtype == np.float64 else None)
    counts = []
    for a in range(2):
        lo, hi = padding[a]
        start = np.arange(outs[a]) * stride[a] - lo
        end = np.minimum(start + effs[a], sizes[a] + hi)
        cnt = end - start if count_include_pad else np.minimum(end, sizes[a]) - np.maximum(start, 0)
        counts.append(cnt)
    div = np.outer(counts[0], counts[1]).astype(x.dtype)
    return np.ascontiguousarray(total / div)


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


def original_coords(n_out: int, n_in: int, scale: float, ctm: str) -> np.ndarray:
    """Input coordinate of each output index along one axis (ONNX Resize's
    ``coordinate_transformation_mode`` formulas)."""
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


def cubic_coeffs(r: np.ndarray, a: float = CUBIC_A) -> np.ndarray:
    """Keys cubic weights of the four taps around each fractional offset ``r``."""
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


def axis_indices(
    n_out: int, n_in: int, scale: float, mode: str, ctm: str, nearest_mode: str | None
) -> tuple[np.ndarray, np.ndarray]:
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
        w = cubic_coeffs(r)
    return np.clip(idx, 0, n_in - 1), w


def interpolation_matrix(n_out: int, n_in: int, scale: float, mode: str, ctm: str) -> np.ndarray:
    """Dense (n_out, n_in) weights of a linear or cubic resize along one axis."""
    idx, w = axis_indices(n_out, n_in, scale, mode, ctm, None)
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.repeat(np.arange(n_out), idx.shape[1]), idx.ravel()), w.ravel())
    return m


def resize2d_numpy(
    x: Any,
    scales: Sequence[float] | None,
    sizes: Sequence[int] | None,
    mode: str,
    ctm: str,
    nearest_mode: str | None,
) -> np.ndarray:
    """ONNX Resize of the last two axes of an NCHW array by ``scales`` or to ``sizes``
    (exactly one is not None): the reference :class:`Resize2D.perform` and the compiler's
    interpreter share."""
    x = np.asarray(x)
    h, w = x.shape[2:]
    if sizes is not None:
        (oh, ow), (sh, sw) = sizes, (sizes[0] / h, sizes[1] / w)
    else:
        assert scales is not None  # exactly one of scales and sizes is given
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
