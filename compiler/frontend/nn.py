"""Rules for the ``nn`` package's CNN ops: Conv2D, Pool2D, Resize2D and BatchNorm.

Each becomes its ``tir`` op with the padding written out ONNX-style (``[top, left, bottom,
right]``); what ONNX leaves to the input size (``"same"`` over a symbolic size with a stride)
stays symbolic as ``auto_pad = "same_upper"``.
"""

from __future__ import annotations

import numpy as np
from pytensor.graph.basic import Apply

from compiler.frontend.graphs import import_op_from_graph
from compiler.frontend.importer import Importer, Unsupported, import_op
from ir import ops
from ir.core import Value
from ir.ops.nn import window_count
from nn.conv import Conv2D
from nn.norm import BatchNorm
from nn.pool import Pool2D
from nn.resize import Resize2D

_FLOATS = ("float16", "float32", "float64")


def _onnx_pads(pairs: tuple[tuple[int, int], tuple[int, int]]) -> list[int]:
    (top, bottom), (left, right) = pairs
    return [int(top), int(left), int(bottom), int(right)]


@import_op.register(Conv2D)
def import_conv2d(op: Conv2D, node: Apply, imp: Importer) -> list[Value]:
    """Conv2D computes in ``result_type(x, w, float32)`` for integer inputs (its perform's
    dtype) and converts the result to the node's dtype, truncating like numpy's astype."""
    x, w, *bias = (imp.value(v) for v in node.inputs)
    out_dtype = node.outputs[0].type.dtype
    compute = str(np.result_type(x.dtype, w.dtype, "float32" if x.dtype not in _FLOATS
                                 else x.dtype))  # fmt: skip
    if compute not in _FLOATS:
        raise Unsupported(f"conv2d computing in {compute}")
    x, w = imp.cast(x, compute), imp.cast(w, compute)
    bias = [imp.cast(b, compute) for b in bias]
    kernel = w.shape[2:]
    auto_pad, pads = "explicit", [0, 0, 0, 0]
    if op.padding == "full":
        if not all(isinstance(k, int) for k in kernel):
            raise Unsupported("conv2d 'full' padding of a kernel with a symbolic size")
        pads = [d * (k - 1) for d, k in zip(op.dilation, kernel, strict=True)] * 2
    elif op.padding == "same":
        pads = _same_pads(x.shape[2:], kernel, op.stride, op.dilation)
        if pads is None:
            auto_pad, pads = "same_upper", [0, 0, 0, 0]
    else:
        pads = _onnx_pads(op.padding)
    y = imp.emit(
        ops.Conv,
        [x, w, *bias],
        {"strides": list(op.stride), "pads": pads, "dilations": list(op.dilation),
         "group": op.groups, "flip": op.filter_flip, "auto_pad": auto_pad},
    )  # fmt: skip
    return [imp.cast(y, out_dtype)]


def _same_pads(sizes, kernel, strides, dilations) -> list[int] | None:
    """SAME_UPPER's explicit pads when they do not depend on an unknown size, else None."""
    lo, hi = [], []
    for n, k, s, d in zip(sizes, kernel, strides, dilations, strict=True):
        if not isinstance(k, int) or (s != 1 and not isinstance(n, int)):
            return None
        out = -(-n // s) if isinstance(n, int) else None
        total = d * (k - 1) if out is None else max(0, (out - 1) * s + d * (k - 1) + 1 - n)
        lo.append(total // 2)
        hi.append(total - total // 2)
    return lo + hi


@import_op.register(Pool2D)
def import_pool2d(op: Pool2D, node: Apply, imp: Importer) -> list[Value]:
    x = imp.value(node.inputs[0])
    pads = _onnx_pads(op.padding)
    attrs = {"kernel_shape": list(op.kernel_size), "strides": list(op.stride), "pads": pads,
             "dilations": list(op.dilation), "ceil_mode": _needs_ceil_mode(op, x)}  # fmt: skip
    if op.mode == "max":
        return [imp.emit(ops.MaxPool, [x], attrs)]
    if x.dtype not in _FLOATS:
        raise Unsupported(f"avg_pool2d of {x.dtype}")
    return [imp.emit(ops.AvgPool, [x], {**attrs, "count_include_pad": op.count_include_pad})]


def _needs_ceil_mode(op: Pool2D, x: Value) -> bool:
    """``ceil_mode`` only where it changes the output size: ONNX's shape inference ignores the
    rule dropping a last window that starts in the padding, so where that rule applies the
    floor count is the answer and the model must not claim ceil mode."""
    if not op.ceil_mode:
        return False
    for axis, n in enumerate(x.shape[2:]):
        if not isinstance(n, int):
            return True
        args = (n, op.kernel_size[axis], op.stride[axis], op.dilation[axis], *op.padding[axis])
        if window_count(*args, ceil_mode=True) != window_count(*args, ceil_mode=False):
            return True
    return False


@import_op.register(Resize2D)
def import_resize2d(op: Resize2D, node: Apply, imp: Importer) -> list[Value]:
    x = imp.value(node.inputs[0])
    attrs = {"mode": op.mode, "coordinate_transformation_mode": op.coordinate_transformation_mode,
             "nearest_mode": op.nearest_mode}  # fmt: skip
    if op.sizes is not None:
        attrs["sizes"] = list(op.sizes)
    else:
        attrs["scales"] = list(op.scales)  # float32 values already (Resize2D rounds them)
    return [imp.emit(ops.Resize, [x], attrs)]


@import_op.register(BatchNorm)
def import_batch_norm(op: BatchNorm, node: Apply, imp: Importer) -> list[Value]:
    """tir.batch_norm when every operand has the result's float dtype; otherwise the op's
    inner graph (its mixed-dtype arithmetic), inlined."""
    values = [imp.value(v) for v in node.inputs]
    dtype = node.outputs[0].type.dtype
    if dtype not in _FLOATS or any(v.dtype != dtype for v in values):
        return import_op_from_graph(op, node, imp)
    return [imp.emit(ops.BatchNorm, values, {"epsilon": op.eps})]
