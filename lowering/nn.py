"""Lowering of the ops in ``ir.ops.nn``: ONNX Conv, MaxPool, AveragePool, Resize and
BatchNormalization.

ONNX Runtime's pooling matches PyTorch's window rules (the ceil-mode drop rule and the
average divisors included), so the pooling ops map one to one. Its Resize computes source
coordinates in float32 and, for ``align_corners`` with scales, from the integer output
length; where that could pick other pixels or weights than the op's definition, a resize
of static spatial size becomes index tables instead (Gather for nearest, a constant
interpolation matrix per axis contracted with Einsum for linear and cubic).
"""

from __future__ import annotations

import math

import numpy as np
import onnx_ir as oir

from ir import ops
from ir.core import Operation
from lowering.context import LoweringContext, LoweringUnsupported
from lowering.registry import lowers
from nn.resize import axis_indices, interpolation_matrix, original_coords

V = oir.Value


@lowers(ops.Conv)
def lower_conv(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    attrs = op.attributes
    if attrs["flip"]:
        raise LoweringUnsupported("tir.conv with flip = true: run the flip-conv-kernels pass")
    padding = (
        {"auto_pad": "SAME_UPPER"}
        if attrs["auto_pad"] == "same_upper"
        else {"pads": list(attrs["pads"])}
    )
    return ctx.kernel(
        "Conv",
        args,
        op.result.dtype,
        strides=list(attrs["strides"]),
        dilations=list(attrs["dilations"]),
        group=attrs["group"],
        kernel_shape=[int(k) for k in op.w.shape[2:]] if op.w.type.is_static else None,
        **padding,
    )


#: Integer dtypes MaxPool runs exactly in float64 (every value is a float64).
_MAX_POOL_VIA_FLOAT64 = frozenset({"int16", "uint16", "int32", "uint32"})


def _pool_attrs(op: Operation) -> dict:
    attrs = op.attributes
    return {
        "kernel_shape": list(attrs["kernel_shape"]),
        "strides": list(attrs["strides"]),
        "pads": list(attrs["pads"]),
        "ceil_mode": int(attrs["ceil_mode"]),
    }


@lowers(ops.MaxPool)
def lower_max_pool(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = op.result.dtype
    attrs = {**_pool_attrs(op), "dilations": list(op.attributes["dilations"])}
    if dtype in _MAX_POOL_VIA_FLOAT64:
        pooled = ctx.op("MaxPool", ctx.cast(args[0], "float64"), **attrs)
        return ctx.cast(pooled, dtype)
    return ctx.kernel("MaxPool", args, dtype, **attrs)


@lowers(ops.AvgPool)
def lower_avg_pool(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    attrs = {**_pool_attrs(op), "count_include_pad": int(op.attributes["count_include_pad"])}
    return ctx.kernel("AveragePool", args, op.result.dtype, **attrs)


@lowers(ops.BatchNorm)
def lower_batch_norm(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return ctx.kernel(
        "BatchNormalization", args, op.result.dtype, epsilon=float(op.attributes["epsilon"])
    )


# -- Resize --------------------------------------------------------------------------------------

#: The dtypes ONNX Runtime's Resize runs.
_RESIZE_DTYPES = frozenset({"int8", "uint8", "int32", "float16", "float32"})
#: How far (in pixels) a nearest source coordinate must stay from a rounding boundary for
#: float32 arithmetic to round it the same way as exact arithmetic.
_MARGIN = 1e-3


@lowers(ops.Resize)
def lower_resize(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    x = args[0]
    attrs = op.attributes
    dtype = op.result.dtype
    sizes = op.x.shape[2:]
    static = all(isinstance(n, int) for n in sizes)
    if dtype in _RESIZE_DTYPES and _onnx_resize_is_exact(op, sizes if static else None):
        scales = attrs.get("scales")
        extra = (
            [None, ctx.constant([1, 1, *scales], "float32")]
            if scales is not None
            else [None, None, ctx.constant([*op.result.shape[:2], *attrs["sizes"]], "int64")]
        )
        if scales is None and not all(isinstance(d, int) for d in op.result.shape[:2]):
            raise LoweringUnsupported("tir.resize to sizes of a tensor with symbolic N or C")
        # float16 computes in float32 between explicit casts (see LoweringContext.kernel).
        wide = ctx.cast(x, "float32") if dtype == "float16" else x
        y = ctx.op(
            "Resize",
            wide,
            *extra,
            mode=attrs["mode"],
            coordinate_transformation_mode=attrs["coordinate_transformation_mode"],
            nearest_mode=attrs["nearest_mode"],
            cubic_coeff_a=-0.75,
        )
        return ctx.cast(y, dtype) if dtype == "float16" else y
    if not static:
        raise LoweringUnsupported(
            f"tir.resize ({attrs['mode']}, {attrs['coordinate_transformation_mode']}) of "
            f"{dtype} over a symbolic spatial size"
        )
    return _resize_by_tables(op, ctx, x, sizes)


def _axis_scales(op: Operation, sizes) -> list[float]:
    scales = op.attributes.get("scales")
    if scales is not None:
        return list(scales)
    return [o / n for o, n in zip(op.attributes["sizes"], sizes, strict=True)]


def _onnx_resize_is_exact(op: Operation, sizes: tuple[int, int] | None) -> bool:
    """True when ONNX Runtime's Resize picks the same source pixels (and, for linear and
    cubic, the same weights up to float32 rounding) as the op's definition. ``sizes`` are
    the static spatial sizes, or None when one is symbolic."""
    attrs = op.attributes
    mode, ctm = attrs["mode"], attrs["coordinate_transformation_mode"]
    scales = attrs.get("scales")
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
        boundary = 0.5 if attrs["nearest_mode"].startswith("round") else 0.0
        distance = np.abs((coords - boundary) - np.round(coords - boundary))
        if distance.min(initial=1.0) < _MARGIN:
            return False
    return True


def _resize_by_tables(op: Operation, ctx: LoweringContext, x: V, sizes) -> V:
    """Resize with constant index tables: exactly the op's source pixels and weights."""
    attrs = op.attributes
    mode, ctm = attrs["mode"], attrs["coordinate_transformation_mode"]
    out = op.result.shape[2:]
    scales = _axis_scales(op, sizes)
    if mode == "nearest":
        for axis, (o, n, s) in enumerate(zip(out, sizes, scales, strict=True)):
            index, _ = axis_indices(o, n, s, "nearest", ctm, attrs["nearest_mode"])
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
