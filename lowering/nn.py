"""Lowering of the ops in ``ir.ops.nn``: ONNX Conv, MaxPool, AveragePool, Resize and
BatchNormalization.

ONNX Runtime's pooling matches PyTorch's window rules (the ceil-mode drop rule and the
average divisors included), so the pooling ops map one to one. It has no float64 Conv or
AveragePool kernel: there the window taps (strided Slices of the padded input) are summed in
float64, weighted by the kernel through Einsum or divided by the window sizes. Its Resize
computes source coordinates in float32 and, for ``align_corners`` with scales, from the
integer output length; where that could pick other pixels or weights than the op's
definition, a resize of static spatial size becomes index tables instead (Gather for nearest,
a constant interpolation matrix per axis contracted with Einsum for linear and cubic).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import onnx_ir as oir

from ir import ops
from ir.nn_math import axis_indices, interpolation_matrix, original_coords
from ir.types import Dim
from lowering.context import LoweringContext, LoweringUnsupported, supports
from lowering.registry import lowers

V = oir.Value


@lowers(ops.Conv)
def lower_conv(op: ops.Conv, ctx: LoweringContext, args: list[V]) -> V:
    if op.flip:
        raise LoweringUnsupported("tir.conv with flip = true: run the flip-conv-kernels pass")
    if op.result.dtype == "float64" and not supports("Conv", "float64"):
        return _conv_by_taps(op, ctx, args)
    padding = {"auto_pad": "SAME_UPPER"} if op.auto_pad == "same_upper" else {"pads": list(op.pads)}
    return ctx.kernel(
        "Conv",
        args,
        op.result.dtype,
        strides=list(op.strides),
        dilations=list(op.dilations),
        group=op.group,
        kernel_shape=[int(k) for k in op.w.shape[2:]] if op.w.type.is_static else None,
        **padding,
    )


#: Integer dtypes MaxPool runs exactly in float64 (every value is a float64).
_MAX_POOL_VIA_FLOAT64 = frozenset({"int16", "uint16", "int32", "uint32"})


def _pool_attrs(op: ops.Pool) -> dict:
    return {
        "kernel_shape": list(op.kernel_shape),
        "strides": list(op.strides),
        "pads": list(op.pads),
        "ceil_mode": int(op.ceil_mode),
    }


@lowers(ops.MaxPool)
def lower_max_pool(op: ops.MaxPool, ctx: LoweringContext, args: list[V]) -> V:
    dtype = op.result.dtype
    attrs = {**_pool_attrs(op), "dilations": list(op.dilations)}
    if dtype in _MAX_POOL_VIA_FLOAT64:
        pooled = ctx.op("MaxPool", ctx.cast(args[0], "float64"), **attrs)
        return ctx.cast(pooled, dtype)
    return ctx.kernel("MaxPool", args, dtype, **attrs)


@lowers(ops.AvgPool)
def lower_avg_pool(op: ops.AvgPool, ctx: LoweringContext, args: list[V]) -> V:
    if op.result.dtype == "float64" and not supports("AveragePool", "float64"):
        return _avg_pool_by_taps(op, ctx, args[0])
    attrs = {**_pool_attrs(op), "count_include_pad": int(op.count_include_pad)}
    return ctx.kernel("AveragePool", args, op.result.dtype, **attrs)


@lowers(ops.BatchNorm)
def lower_batch_norm(op: ops.BatchNorm, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.kernel("BatchNormalization", args, op.result.dtype, epsilon=float(op.epsilon))


# -- float64 convolution and average pooling by window taps --------------------------------------

#: A Slice end past any axis: "to the end".
_TO_END = np.iinfo(np.int64).max


def _stacked_taps(
    ctx: LoweringContext,
    x: V,
    pads: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
) -> V:
    """The windows of ``x`` (N, C, H, W) zero-padded by ``pads`` [top, left, bottom, right],
    as (N, C, kh * kw, OH, OW): tap (i, j) of every window, row-major, is one strided Slice.

    Each tap starts at ``i * dilation`` and ends ``dilation * (kh - 1 - i)`` before the
    padded end (the last tap runs to the end), so it holds exactly the floor-mode window
    count of the padded size, symbolic or not."""
    if any(pads):
        x = ctx.op("Pad", x, ctx.pads(4, {2: (pads[0], pads[2]), 3: (pads[1], pads[3])}))
    x = ctx.op("Unsqueeze", x, ctx.axes([2]))
    axes, steps = ctx.axes([3, 4]), ctx.constant(list(strides), "int64")
    taps = []
    for offsets in np.ndindex(*kernel):
        starts = [o * d for o, d in zip(offsets, dilations, strict=True)]
        ends = [
            -d * (k - 1 - o) if o < k - 1 else _TO_END
            for o, k, d in zip(offsets, kernel, dilations, strict=True)
        ]
        bounds = ctx.constant(starts, "int64"), ctx.constant(ends, "int64")
        taps.append(ctx.op("Slice", x, *bounds, axes, steps))
    return taps[0] if len(taps) == 1 else ctx.op("Concat", *taps, axis=2)


def _static_sizes(dims: Sequence[Dim], what: str, why: str) -> tuple[int, ...]:
    """``dims`` when all are static, else a refusal saying ``what`` and ``why``."""
    if not all(isinstance(d, int) for d in dims):
        raise LoweringUnsupported(f"{what} of symbolic spatial size {list(dims)}: {why}")
    return tuple(int(d) for d in dims)


def _conv_pads(op: ops.Conv) -> list[int]:
    """tir.conv's pads [top, left, bottom, right]; for same_upper, ONNX's SAME_UPPER pads
    (``out = ceil(n / s)``, the odd element at the end) of the static spatial sizes."""
    if op.auto_pad != "same_upper":
        return list(op.pads)
    sizes = _static_sizes(
        op.x.shape[2:],
        "float64 tir.conv (same_upper) of an input",
        "ONNX Runtime has no float64 Conv, and the explicit pads it needs instead depend on "
        "the size",
    )
    lo, hi = [], []
    for n, k, s, d in zip(sizes, op.w.shape[2:], op.strides, op.dilations,
                          strict=True):  # fmt: skip
        total = max(0, (-(-n // s) - 1) * s + d * (k - 1) + 1 - n)
        lo.append(total // 2)
        hi.append(total - total // 2)
    return lo + hi


def _conv_by_taps(op: ops.Conv, ctx: LoweringContext, args: list[V]) -> V:
    """tir.conv of float64, for which ONNX Runtime has no Conv kernel (and float32 would round):
    im2col with ops it runs in float64. The taps (N, C, kh * kw, OH, OW) meet the kernel as
    (O, C, kh * kw) in one Einsum, each output a float64 sum of Conv's products in another
    order; groups split the channels first (``_grouped_products``).

    ORT's Einsum kills the process (SIGFPE) on an empty batch when the kernel comes first
    ("gok,ngkl->ngol"); both equations here, patches first, were probed right on 1296 shapes
    each (batches 0 to 3, 1 to 3 groups, 1 to 4 outputs per group, 1 to 9 taps, spatial sizes
    1 to 7, graph optimizations on and off). A MatMul would need a broadcast batch, which ORT's
    MatMul gets wrong (see lowering/linalg.py).
    """
    x, w, *bias = args
    kernel = _static_sizes(
        op.w.shape[2:],
        "float64 tir.conv with a kernel",
        "ONNX Runtime has no float64 Conv, and the taps it sums instead are one per kernel element",
    )
    taps = _stacked_taps(ctx, x, _conv_pads(op), kernel, op.strides, op.dilations)
    if op.group > 1:
        y = _grouped_products(op, ctx, taps, w, kernel[0] * kernel[1])
    else:
        weights = ctx.op("Reshape", w, ctx.constant([0, 0, kernel[0] * kernel[1]], "int64"))
        y = ctx.op("Einsum", taps, weights, equation="nctxy,oct->noxy")
    return ctx.op("Add", y, ctx.op("Unsqueeze", bias[0], ctx.axes([1, 2]))) if bias else y


def _grouped_products(op: ops.Conv, ctx: LoweringContext, taps: V, w: V, area: int) -> V:
    """The grouped convolution of the taps (N, C, kh * kw = ``area``, OH, OW) as one Einsum:
    (N, group, C / group * area, OH, OW) against the kernel as (group, O / group,
    C / group * area), the result (N, group, O / group, OH, OW) merged to (N, O, OH, OW).

    Reshape targets hold no -1 (ORT cannot infer it when the batch is empty) and no run-time
    size of one element (ORT's ReshapeFusion turns such a size into -1), so the channel
    counts must be static; run-time spatial sizes come as one two-element Shape."""
    group = op.group
    out_channels, per_group = op.w.shape[:2]
    if not isinstance(per_group, int) and isinstance(op.x.shape[1], int):
        per_group = op.x.shape[1] // group
    if not (isinstance(out_channels, int) and isinstance(per_group, int)):
        raise LoweringUnsupported(
            f"float64 tir.conv with {group} groups of a symbolic channel count: ONNX Runtime "
            "has no float64 Conv, and the Einsum used instead needs the group sizes"
        )
    depth = per_group * area
    patches = ctx.op("Reshape", taps, ctx.constant([0, group, depth, 0, 0], "int64"))
    weights = ctx.op("Reshape", w, ctx.constant([group, out_channels // group, depth], "int64"))
    y = ctx.op("Einsum", patches, weights, equation="ngkxy,gok->ngoxy")
    out_hw = op.result.shape[2:]
    if all(isinstance(d, int) for d in out_hw):
        shape = ctx.constant([0, out_channels, *out_hw], "int64")
    else:
        known = ctx.constant([0, out_channels], "int64")
        shape = ctx.op("Concat", known, ctx.op("Shape", taps, start=3), axis=0)
    return ctx.op("Reshape", y, shape)


def _avg_pool_divisors(op: ops.AvgPool, sizes: Sequence[int]) -> np.ndarray:
    """Each window's divisor (OH, OW), by nn.pool's rule: with count_include_pad the window
    clipped to the padded extent [-lo, n + hi) (never the ceil-mode overhang), else to the
    input [0, n)."""
    pads, counts = op.pads, []
    for axis, (n, out) in enumerate(zip(sizes, op.result.shape[2:], strict=True)):
        start = np.arange(out) * op.strides[axis] - pads[axis]
        end = np.minimum(start + op.kernel_shape[axis], n + pads[axis + 2])
        if not op.count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        counts.append(end - start)
    return np.outer(*counts).astype("float64")


def _avg_pool_by_taps(op: ops.AvgPool, ctx: LoweringContext, x: V) -> V:
    """tir.avg_pool of float64, for which ONNX Runtime has no AveragePool kernel: the sum of
    the window taps over a zero-padded input, divided by a constant map of the divisors
    (so the static spatial sizes are needed). The end is padded further where ceil-mode
    windows run past the padding, as nn.pool does."""
    sizes = _static_sizes(
        op.x.shape[2:],
        "float64 tir.avg_pool of an input",
        "ONNX Runtime has no float64 AveragePool, and the window divisors used instead are "
        "computed from the size at compile time",
    )
    kernel, strides, pads = op.kernel_shape, op.strides, list(op.pads)
    for axis, (n, out) in enumerate(zip(sizes, op.result.shape[2:], strict=True)):
        reach = (out - 1) * strides[axis] + kernel[axis] - (n + pads[axis])
        pads[axis + 2] = max(pads[axis + 2], reach)
    taps = _stacked_taps(ctx, x, pads, kernel, strides, (1, 1))
    total = ctx.op("ReduceSum", taps, ctx.axes([2]), keepdims=0)
    return ctx.op("Div", total, ctx.constant(_avg_pool_divisors(op, sizes), "float64"))


# -- Resize --------------------------------------------------------------------------------------

#: The dtypes ONNX Runtime's Resize runs.
_RESIZE_DTYPES = frozenset({"int8", "uint8", "int32", "float16", "float32"})
#: How far (in pixels) a nearest source coordinate must stay from a rounding boundary for
#: float32 arithmetic to round it the same way as exact arithmetic.
_MARGIN = 1e-3


@lowers(ops.Resize)
def lower_resize(op: ops.Resize, ctx: LoweringContext, args: list[V]) -> V:
    x = args[0]
    dtype = op.result.dtype
    sizes = op.x.shape[2:]
    static = all(isinstance(n, int) for n in sizes)
    if dtype in _RESIZE_DTYPES and _onnx_resize_is_exact(op, sizes if static else None):
        scales = op.scales
        extra = (
            [None, ctx.constant([1, 1, *scales], "float32")]
            if scales is not None
            else [None, None, _resize_sizes(op, ctx, x)]
        )
        # float16 computes in float32 between explicit casts (see LoweringContext.kernel).
        wide = ctx.cast(x, "float32") if dtype == "float16" else x
        y = ctx.op(
            "Resize",
            wide,
            *extra,
            mode=op.mode,
            coordinate_transformation_mode=op.coordinate_transformation_mode,
            nearest_mode=op.nearest_mode,
            cubic_coeff_a=-0.75,
        )
        return ctx.cast(y, dtype) if dtype == "float16" else y
    if not static:
        raise LoweringUnsupported(
            f"tir.resize ({op.mode}, {op.coordinate_transformation_mode}) of "
            f"{dtype} over a symbolic spatial size"
        )
    return _resize_by_tables(op, ctx, x, sizes)


def _resize_sizes(op: ops.Resize, ctx: LoweringContext, x: V) -> V:
    """Resize's ``sizes`` input: N and C kept (read from ``x`` at run time where symbolic),
    then the op's output height and width."""
    batch_channels = op.result.shape[:2]
    if all(isinstance(d, int) for d in batch_channels):
        return ctx.constant([*batch_channels, *op.sizes], "int64")
    kept = ctx.op("Shape", x, start=0, end=2)
    return ctx.op("Concat", kept, ctx.constant(list(op.sizes), "int64"), axis=0)


def _axis_scales(op: ops.Resize, sizes) -> list[float]:
    scales = op.scales
    if scales is not None:
        return list(scales)
    return [o / n for o, n in zip(op.sizes, sizes, strict=True)]


def _onnx_resize_is_exact(op: ops.Resize, sizes: tuple[int, int] | None) -> bool:
    """True when ONNX Runtime's Resize picks the same source pixels (and, for linear and
    cubic, the same weights up to float32 rounding) as the op's definition. ``sizes`` are
    the static spatial sizes, or None when one is symbolic."""
    mode, ctm = op.mode, op.coordinate_transformation_mode
    scales = op.scales
    if sizes is None:
        # Without sizes only integer scales with a size-free coordinate map are certain.
        if scales is None or any(s != math.floor(s) for s in scales):
            return False
        if mode == "nearest":
            return ctm == "asymmetric"
        return ctm in ("asymmetric", "half_pixel", "pytorch_half_pixel")
    out = op.result.shape[2:]
    axis_scales = _axis_scales(op, sizes)
    # With scales, align_corners divides by in * scale; ORT by the integer output length.
    if (
        ctm == "align_corners"
        and scales is not None
        and any(n * s != o for n, s, o in zip(sizes, scales, out, strict=True))
    ):
        return False
    if mode != "nearest":
        return True
    for n, o, s in zip(sizes, out, axis_scales, strict=True):
        coords = original_coords(o, n, s, ctm)
        if ctm == "asymmetric" and s == math.floor(s):
            continue  # i / s is exact in float32 as well
        boundary = 0.5 if op.nearest_mode.startswith("round") else 0.0
        distance = np.abs((coords - boundary) - np.round(coords - boundary))
        if distance.min(initial=1.0) < _MARGIN:
            return False
    return True


def _resize_by_tables(op: ops.Resize, ctx: LoweringContext, x: V, sizes) -> V:
    """Resize with constant index tables: exactly the op's source pixels and weights."""
    mode, ctm = op.mode, op.coordinate_transformation_mode
    out = op.result.shape[2:]
    scales = _axis_scales(op, sizes)
    if mode == "nearest":
        for axis, (o, n, s) in enumerate(zip(out, sizes, scales, strict=True)):
            index, _ = axis_indices(o, n, s, "nearest", ctm, op.nearest_mode)
            x = ctx.op("Gather", x, ctx.constant(index[:, 0], "int64"), axis=2 + axis)
        return x
    dtype = op.result.dtype
    if dtype not in ("float16", "float32", "float64"):
        raise LoweringUnsupported(f"tir.resize ({mode}) of {dtype}")
    compute = "float32" if dtype == "float16" else dtype
    mh, mw = (
        ctx.constant(interpolation_matrix(o, n, s, mode, ctm), compute)
        for o, n, s in zip(out, sizes, scales, strict=True)
    )
    wide = x if compute == dtype else ctx.cast(x, compute)
    y = ctx.op("Einsum", wide, mh, mw, equation="nchw,Hh,Ww->ncHW")
    return y if compute == dtype else ctx.cast(y, dtype)
