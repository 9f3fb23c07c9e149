"""Frontend rules for PyTensor's signal convolutions: ``convolve2d`` (a Blockwise of
``Convolve2d``, scipy's true convolution) becomes one grouped ``tir.conv {flip = true}``, and
``convolve2d(x[:, None], w[None]).sum(axis=2)`` one standard convolution of ``x`` with ``w``;
``convolve1d`` (numpy.convolve) the same conv on a unit height axis where that is exact, else
a sum of products of gathered windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pytensor.graph.basic import Apply, Variable
from pytensor.tensor.blockwise import Blockwise
from pytensor.tensor.math import Sum
from pytensor.tensor.signal.conv import Convolve1d, Convolve2d

from compiler.frontend.constants import pytensor_constant
from compiler.frontend.convolve_windows import convolve_by_windows
from compiler.frontend.graphs import batched
from compiler.frontend.importer import Importer, Unsupported, import_op
from compiler.frontend.reductions import import_careduce
from compiler.frontend.shape_ops import I64, Size, emit_shaped, make_vector, mul_all
from ir import dtypes, ops
from ir.core import Value
from ir.ops.tensor import constant_array
from ir.types import UNKNOWN, Dim

#: The dtypes a convolution is computed in: the float dtypes scipy.signal.convolve supports.
_COMPUTE_DTYPES = ("float32", "float64")

#: An axis of a value: one dim of a reshape target.
Factor = tuple[Value, int]


# -- reading a Convolve2d node --------------------------------------------------------------------


@dataclass(frozen=True)
class SpatialPad:
    """A padding of the data's two spatial axes only, applied again to the NCHW form right
    before the conv, where the fold-pad-into-conv pass merges a zero pad into the conv."""

    before: tuple[int, int]
    after: tuple[int, int]
    mode: str
    value: tuple[Value, ...]

    @classmethod
    def of(cls, pad: ops.Pad) -> SpatialPad:
        """A ``tir.pad`` of the last two axes only (see ``_spatial_pad``)."""
        rank = pad.x.rank
        before, after = pad.pads[rank - 2 : rank], pad.pads[2 * rank - 2 :]
        return cls(tuple(before), tuple(after), pad.mode, tuple(pad.value))  # type: ignore[arg-type]

    def emit(self, imp: Importer, x: Value) -> Value:
        attrs = {"mode": self.mode, "pads": [0, 0, *self.before, 0, 0, *self.after]}
        return imp.emit(ops.Pad, [x, *self.value], attrs)


@dataclass(frozen=True)
class Convolution:
    """A ``Convolve2d`` node, read for translation: the operand that slides (``data``, its
    batch axes first) under the one that is reversed (``kernel``), both in the compute dtype.

    ``pad`` is a padding of the data's spatial axes ("same" mode pads in1 so), or None;
    ``data`` is then the unpadded input.
    """

    data: Value
    kernel: Value
    pad: SpatialPad | None
    full: bool
    swapped: bool

    @classmethod
    def read(cls, node: Apply, imp: Importer) -> Convolution:
        """The convolution ``node`` computes; raises ``Unsupported`` where ONNX cannot."""
        dtype = node.outputs[0].type.dtype
        if dtype not in _COMPUTE_DTYPES:
            raise Unsupported(_dtype_refusal(dtype))
        in1, in2, full_mode = node.inputs
        full = _full_mode(imp, full_mode, "convolve2d")
        data, kernel, swapped = _operands(imp.value(in1), imp.value(in2), full, 2, "convolve2d")
        pad_op = _spatial_pad(data)
        pad = None
        if pad_op is not None and pad_op.result.dtype == dtype:
            data, pad = pad_op.x, SpatialPad.of(pad_op)
        return cls(imp.cast(data, dtype), imp.cast(kernel, dtype), pad, full, swapped)

    def emit(self, imp: Importer, x: Value, w: Value, group: int) -> Value:
        """``tir.conv {flip = true}`` of the NCHW data ``x`` with the OIHW kernel ``w``."""
        if self.pad is not None:
            x = self.pad.emit(imp, x)
        pads = [0, 0, 0, 0]
        if self.full:
            pads = [k - 1 for k in w.shape[2:]] * 2  # type: ignore[operator]
        attrs = {"strides": [1, 1], "pads": pads, "dilations": [1, 1], "group": group,
                 "flip": True, "auto_pad": "explicit"}  # fmt: skip
        return imp.emit(ops.Conv, [x, w], attrs)


def _operands(a: Value, b: Value, full: bool, ndim: int, what: str) -> tuple[Value, Value, bool]:
    """(data, kernel, swapped) of ``what``'s operands ``a`` and ``b`` (``ndim`` spatial axes
    last); raises ``Unsupported`` where the sizes ONNX needs statically are not."""
    swapped = _kernel_first(a.shape[-ndim:], b.shape[-ndim:], full, what)
    data, kernel = (b, a) if swapped else (a, b)
    if full and not _static(kernel.shape[-ndim:]):
        raise Unsupported(
            f"{what} in 'full' mode of two operands of symbolic size: the kernel's size "
            "sets the padding of the convolution, which must be static"
        )
    return data, kernel, swapped


def _dtype_refusal(dtype: str) -> str:
    if dtype == "float16":
        return ("convolve2d of float16: scipy.signal.convolve (Convolve2d.perform) has no "
                "float16 kernel, so PyTensor cannot compute it either")  # fmt: skip
    return (f"convolve2d of {dtype}: scipy.signal.convolve computes integers exactly in "
            f"integer arithmetic; ONNX Conv computes in floats only")  # fmt: skip


def _full_mode(imp: Importer, var: Variable, what: str) -> bool:
    """The mode flag: "full" (True) or "valid" (False), which must be known at compile time."""
    flags = pytensor_constant(var, imp)
    if flags is None or flags.size == 0 or len(set(flags.reshape(-1).tolist())) != 1:
        raise Unsupported(
            f"{what} with a mode (full_mode) known only at run time: the mode sets the "
            "output size and the convolution's padding, which the model fixes"
        )
    return bool(flags.reshape(-1)[0])


def _kernel_first(sizes1: Sequence[Dim], sizes2: Sequence[Dim], full: bool, what: str) -> bool:
    """Whether in1 (of spatial sizes ``sizes1``) is the kernel: the two operands commute, but
    ONNX Conv needs the kernel size statically in "full" mode, and the kernel no larger than
    the input in "valid" mode, where scipy swaps an in2 larger than in1 on every axis (and
    raises if the sizes are mixed). With symbolic sizes, in1 is taken as the data."""
    if full:
        return not _static(sizes2) and _static(sizes1)
    pairs = [(n, k) for n, k in zip(sizes1, sizes2, strict=True)
             if isinstance(n, int) and isinstance(k, int)]  # fmt: skip
    in1_larger = any(n > k for n, k in pairs)
    in2_larger = any(k > n for n, k in pairs)
    if in1_larger and in2_larger:
        raise Unsupported(
            f"{what} in 'valid' mode of sizes {list(sizes1)} and {list(sizes2)}: neither is "
            "at least as large as the other on every axis (scipy raises too)"
        )
    return in2_larger


def _static(dims: Sequence[Dim]) -> bool:
    return all(isinstance(d, int) for d in dims)


def _spatial_pad(value: Value) -> ops.Pad | None:
    """The ``tir.pad`` producing ``value`` if it pads only the last two axes."""
    pad = value.owner
    if not isinstance(pad, ops.Pad):
        return None
    before, after = pad.pads[: value.rank], pad.pads[value.rank :]
    return pad if not any(before[:-2]) and not any(after[:-2]) else None


# -- batch axes onto one grouped convolution ---------------------------------------------------


@dataclass(frozen=True)
class BatchAxes:
    """How the batch axes of a convolve2d map onto one ONNX-style convolution.

    ``images``: the kernel has size 1 there (it is shared): the conv's batch axis N.
    ``groups``: both operands have the axis (one size): conv groups, their count static.
    ``filters``: the data has size 1 there: output channels within each group.
    """

    images: tuple[int, ...]
    groups: tuple[int, ...]
    filters: tuple[int, ...]
    group_count: int

    @classmethod
    def of(cls, data: Value, kernel: Value) -> BatchAxes:
        return cls.of_dims(data.shape[:-2], kernel.shape[:-2])

    @classmethod
    def of_dims(cls, data: Sequence[Dim], kernel: Sequence[Dim]) -> BatchAxes:
        """From the batch dims of the data and of the kernel."""
        images: list[int] = []
        groups: list[int] = []
        filters: list[int] = []
        count = 1
        for axis, (n, k) in enumerate(zip(data, kernel, strict=True)):
            size = n if isinstance(n, int) else k
            if k == 1:
                images.append(axis)
            elif n == 1:
                filters.append(axis)
            elif isinstance(size, int):
                groups.append(axis)
                count *= size
            else:
                raise Unsupported(
                    f"convolve2d with batch axis {axis} of run-time size in both operands: it "
                    "becomes the groups of an ONNX Conv, whose count must be static"
                )
        return cls(tuple(images), tuple(groups), tuple(filters), count)

    def output_factors(self, data: Value, kernel: Value) -> dict[int, Factor]:
        """Where each batch axis of the result takes its size from."""
        out = {a: (data, a) for a in self.images}
        out.update({a: (kernel, a) for a in self.filters})
        out.update({a: (data if isinstance(data.shape[a], int) else kernel, a)
                    for a in self.groups})  # fmt: skip
        return out


@import_op.register(Convolve2d)
@batched
def import_convolve2d(op: Convolve2d, node: Apply, imp: Importer) -> list[Value]:
    """convolve2d in "valid" or "full" mode ("same" pads in1 first) over any batch axes: the
    data regrouped to (images, groups, H, W), the kernel to (groups * filters, 1, K, L), one
    ``tir.conv {flip = true, group = groups}``, and its result regrouped back (see
    ``BatchAxes``). The operands are converted to the result dtype, as scipy computes."""
    return [_convolve(imp, Convolution.read(node, imp))]


def _convolve(imp: Importer, conv: Convolution) -> Value:
    """The batched convolution ``conv`` as one grouped ``tir.conv`` (see import_convolve2d)."""
    data, kernel = conv.data, conv.kernel
    axes = BatchAxes.of(data, kernel)
    h = data.rank - 2
    channels = axes.groups + axes.filters
    x = _regroup(imp, data, [axes.images, channels, (h,), (h + 1,)])
    w = _regroup(imp, kernel, [channels, axes.images, (h,), (h + 1,)])
    y = conv.emit(imp, x, w, axes.group_count)
    factors = axes.output_factors(data, kernel)
    order = [*axes.images, *channels]
    return _ungroup(imp, y, [factors[a] for a in order], order)


# -- convolve1d -------------------------------------------------------------------------------


@import_op.register(Convolve1d)
@batched
def import_convolve1d(op: Convolve1d, node: Apply, imp: Importer) -> list[Value]:
    """convolve1d: numpy.convolve in "valid" or "full" mode ("same" joins zeros to in1 first)
    over any batch axes, both operands converted to the result dtype (float16 computed in
    float32 and rounded once, as numpy's float16 dot).

    numpy multiplies only overlapping elements, never padding: a "full" ONNX Conv, which
    multiplies its zero padding by every kernel element, is exact only for a finite kernel.
    Floats are therefore the convolve2d translation on a unit height axis (one grouped
    ``tir.conv {flip = true}``, the zeros of "same" mode its padding) where the kernel's
    length is static and either the data is known to be the longer operand in "valid" mode,
    or the kernel is a finite constant: then "full" mode pads, and "valid" mode where numpy's
    choice of the longer operand is known at run time only is the middle
    ``[min(n, k) - 1, max(n, k))`` of the "full" result (the convolution commutes).
    Otherwise, and for integers and bool (exact: wrapping in the result dtype; bool: an or of
    ands), the sum of the products of gathered windows (``convolve_by_windows``)."""
    dtype = node.outputs[0].type.dtype
    if dtype not in dtypes.FLOAT_DTYPES and dtype not in dtypes.DISCRETE_DTYPES:
        raise Unsupported(f"convolve1d of {dtype}")
    in1, in2, full_mode = node.inputs
    full = _full_mode(imp, full_mode, "convolve1d")
    compute = "float32" if dtype == "float16" else dtype
    a, b = imp.value(in1), imp.value(in2)
    swapped = _static_kernel_first(a, b, full)
    y = None
    if dtype in dtypes.FLOAT_DTYPES and swapped is not None and _groups_fit(a, b, compute):
        y = _convolve1d_by_conv(imp, a, b, swapped=swapped, full=full, dtype=compute)
    if y is None:
        y = convolve_by_windows(imp, imp.cast(a, compute), imp.cast(b, compute), full)
    return [imp.cast(y, dtype)]


def _static_kernel_first(a: Value, b: Value, full: bool) -> bool | None:
    """Which operand a Conv takes as its kernel, whose length must be static: in2 (False), in1
    (True), or neither (None). "valid" mode of static lengths: the shorter (numpy's choice);
    else the static one."""
    n, k = a.shape[-1], b.shape[-1]
    if isinstance(n, int) and isinstance(k, int) and not full:
        return k > n
    if isinstance(k, int):
        return False
    return True if isinstance(n, int) else None


def _groups_fit(a: Value, b: Value, dtype: str) -> bool:
    """Whether the batch axes map onto one ONNX-style convolution (see ``BatchAxes``), and for
    float64, which is computed from window taps, the grouped case has static channel counts."""
    try:
        axes = BatchAxes.of_dims(a.shape[:-1], b.shape[:-1])
    except Unsupported:
        return False
    channels = [d for v in (a, b) for d in v.shape[:-1]]
    return dtype != "float64" or axes.group_count == 1 or _static(channels)


def _convolve1d_by_conv(
    imp: Importer, a: Value, b: Value, *, swapped: bool, full: bool, dtype: str
) -> Value | None:
    """The convolve2d translation on a unit height axis (the kernel's length is static), or
    None where a Conv would multiply padding by a kernel that may not be finite."""
    data, kernel = (b, a) if swapped else (a, b)
    k = kernel.shape[-1]
    assert isinstance(k, int)
    static = isinstance(data.shape[-1], int)  # then the data is the longer (or as long)
    data, pad = _joined_zeros(imp, data, dtype)
    axis = data.rank - 1
    widths = sum(pad.before + pad.after) if pad else 0
    # "valid" mode over the longer operand multiplies no padding. (A signal of "same" mode,
    # padded by k - 1 zeros, is the longer one unless it is empty: then numpy swaps them.)
    longer = not full and static
    if not longer and not _finite_constant(imp, kernel):
        return None
    x = imp.emit(ops.Unsqueeze, [imp.cast(data, dtype)], {"axes": [axis]})
    w = imp.emit(ops.Unsqueeze, [imp.cast(kernel, dtype)], {"axes": [axis]})
    y = _convolve(imp, Convolution(x, w, pad, not longer, swapped))
    y = imp.emit(ops.Squeeze, [y], {"axes": [axis]})
    if full or longer:
        return y
    # numpy's "valid" result of whichever is longer: the middle of the "full" one.
    length = _add(imp, _size(imp, (data, axis)), widths)
    start = _add(imp, imp.emit(ops.Minimum, [length, imp.constant(np.array(k, I64))]), -1)
    stop = imp.emit(ops.Maximum, [length, imp.constant(np.array(k, I64))])
    bounds = [make_vector(imp, [start]), make_vector(imp, [stop]), make_vector(imp, [1])]
    return imp.emit(ops.Slice, [y, *bounds], {"axes": [axis]})


def _finite_constant(imp: Importer, value: Value) -> bool:
    data = constant_array(value)
    return data is not None and bool(np.isfinite(data).all())


def _add(imp: Importer, size: Size, amount: int) -> Size:
    if isinstance(size, int) or amount == 0:
        return size + amount if isinstance(size, int) else size
    return imp.emit(ops.Add, [size, imp.constant(np.array(amount, I64))])


def _joined_zeros(imp: Importer, value: Value, dtype: str) -> tuple[Value, SpatialPad | None]:
    """For ``value = concat(zeros, x, zeros)`` along its last axis (convolve1d's "same" mode),
    widths static: x and that padding of the conv's width axis; else (value, None)."""
    join = value.owner
    if not isinstance(join, ops.Concat) or join.axis % value.rank != value.rank - 1:
        return value, None
    pieces = list(join.inputs)
    widths = [0, 0]
    for end, index in ((0, 0), (1, -1)):
        while len(pieces) > 1 and _zero_fill(pieces[index]):
            widths[end] += pieces.pop(index).shape[-1]  # type: ignore[operator]
    if len(pieces) != 1:
        return value, None
    if widths == [0, 0]:  # zeros of width 0 (a kernel of length 1)
        return pieces[0], None
    zero = imp.constant(np.zeros((), dtype))
    return pieces[0], SpatialPad((0, widths[0]), (0, widths[1]), "constant", (zero,))


def _zero_fill(value: Value) -> bool:
    """A piece of static width of all zeros: a constant, or a constant broadcast (Alloc)."""
    if not isinstance(value.shape[-1], int):
        return False
    owner = value.owner
    source = owner.x if isinstance(owner, ops.Expand) else value
    data = constant_array(source)
    return data is not None and not data.any()


# -- the multi-channel idiom ------------------------------------------------------------------


@import_op.register(Sum)
def import_sum(op: Sum, node: Apply, imp: Importer) -> list[Value]:
    """A Sum; over axis 2 of ``convolve2d(x[:, None], w[None])`` (x: N, C, H, W; w: O, C, K, L;
    the result N, O, C, H', W') it is the multi-channel convolution: one standard
    ``tir.conv {flip = true}`` of x and w, summing the channels in the compute dtype (the
    depthwise form imported for the convolve2d node becomes dead)."""
    summed = _channel_sum(op, node, imp)
    return import_careduce(op, node, imp) if summed is None else [summed]


def _channel_sum(op: Sum, node: Apply, imp: Importer) -> Value | None:
    source = node.inputs[0]
    producer = source.owner
    if (
        producer is None
        or not isinstance(producer.op, Blockwise)
        or not isinstance(producer.op.core_op, Convolve2d)
        or source.type.ndim != 5
        or op.axis is None
        or tuple(a % 5 for a in op.axis) != (2,)
    ):
        return None
    conv = Convolution.read(producer, imp)
    data, kernel = conv.data, conv.kernel
    channels_match = (data.shape[2] == 1) == (kernel.shape[2] == 1)  # no channel broadcast
    if conv.swapped or data.shape[1] != 1 or kernel.shape[0] != 1 or not channels_match:
        return None
    x = imp.emit(ops.Squeeze, [data], {"axes": [1]})
    w = imp.emit(ops.Squeeze, [kernel], {"axes": [0]})
    return imp.cast(conv.emit(imp, x, w, group=1), node.outputs[0].type.dtype)


# -- regrouping axes ---------------------------------------------------------------------------


def _regroup(imp: Importer, x: Value, groups: Sequence[Sequence[int]]) -> Value:
    """x with axis i the product of x's axes ``groups[i]`` in order (every axis of x is in one
    group; an empty group is a new unit axis). Transposes only when non-unit axes change
    order."""
    order = [a for group in groups for a in group]
    if not _keeps_order([(x, a) for a in order], order):
        x = imp.emit(ops.Transpose, [x], {"perm": order})
        position = {a: i for i, a in enumerate(order)}
        groups = [[position[a] for a in group] for group in groups]
    return _reshape(imp, x, [[(x, a) for a in group] for group in groups])


def _ungroup(imp: Importer, y: Value, batch: Sequence[Factor], order: Sequence[int]) -> Value:
    """The conv result y (N, C, H', W') with N and C split into the batch dims ``batch`` (the
    sizes of the batch axes ``order``, in that order), the batch axes then in their own order."""
    spatial: list[Factor] = [(y, 2), (y, 3)]
    if _keeps_order(batch, order):
        by_axis = dict(zip(order, batch, strict=True))
        return _reshape(imp, y, [[by_axis[a]] for a in sorted(order)] + [[f] for f in spatial])
    z = _reshape(imp, y, [[f] for f in (*batch, *spatial)])
    inverse = sorted(range(len(order)), key=lambda i: order[i])
    return imp.emit(ops.Transpose, [z], {"perm": [*inverse, len(order), len(order) + 1]})


def _keeps_order(dims: Sequence[Factor], order: Sequence[int]) -> bool:
    """Whether the axes ``order`` (of sizes ``dims``) keep their relative order once the unit
    ones are left out: unit axes move freely, they do not change the order of the elements."""
    moved = [a for dim, a in zip(dims, order, strict=True) if not _unit(dim)]
    return moved == sorted(moved)


def _unit(factor: Factor) -> bool:
    value, axis = factor
    return value.shape[axis] == 1


def _same_dim(f: Factor, g: Factor) -> bool:
    """The two dims are known to be equal: the same axis, or equal static sizes or symbols."""
    if f[0] is g[0] and f[1] == g[1]:
        return True
    d, e = f[0].shape[f[1]], g[0].shape[g[1]]
    return d == e and d != UNKNOWN


def _reshape(imp: Importer, x: Value, target: Sequence[Sequence[Factor]]) -> Value:
    """x reshaped so that axis i has the product of the dims ``target[i]`` (none: a unit axis).
    When x's non-unit dims are the target's, only unit axes move: squeeze and unsqueeze, with
    no shape computation even for symbolic sizes."""
    entries = [[f for f in entry if not _unit(f)] for entry in target]
    source = [(x, a) for a in range(x.rank) if x.shape[a] != 1]
    kept = [entry[0] for entry in entries if entry]
    if (
        all(len(entry) <= 1 for entry in entries)
        and len(kept) == len(source)
        and all(map(_same_dim, kept, source))
    ):
        return _move_unit_axes(imp, x, [bool(entry) for entry in entries])
    sizes = [mul_all(imp, [_size(imp, f) for f in entry]) for entry in entries]
    return emit_shaped(imp, ops.Reshape, [x, _shape_vector(imp, sizes)])


def _move_unit_axes(imp: Importer, x: Value, non_unit: Sequence[bool]) -> Value:
    """x with its unit axes removed and inserted so that its non-unit axes land where
    ``non_unit`` is True; unit axes between the same non-unit neighbours stay."""
    x_runs = _unit_runs([d != 1 for d in x.shape])
    target_runs = _unit_runs(non_unit)
    squeeze = [a for xr, tr in zip(x_runs, target_runs, strict=True) for a in xr[len(tr) :]]
    unsqueeze = [p for xr, tr in zip(x_runs, target_runs, strict=True) for p in tr[len(xr) :]]
    if squeeze:
        x = imp.emit(ops.Squeeze, [x], {"axes": squeeze})
    if unsqueeze:
        x = imp.emit(ops.Unsqueeze, [x], {"axes": unsqueeze})
    return x


def _unit_runs(non_unit: Sequence[bool]) -> list[list[int]]:
    """The positions of the unit axes before each non-unit axis, and after the last one."""
    runs: list[list[int]] = [[]]
    for position, flag in enumerate(non_unit):
        if flag:
            runs.append([])
        else:
            runs[-1].append(position)
    return runs


def _size(imp: Importer, factor: Factor) -> Size:
    """The dim as an int, or as `gather (shape value), axis` when it is symbolic."""
    value, axis = factor
    d = value.shape[axis]
    if isinstance(d, int):
        return d
    shape = imp.emit(ops.Shape, [value])
    return imp.emit(ops.Gather, [shape, imp.constant(np.array(axis, I64))], {"axis": 0})


def _shape_vector(imp: Importer, sizes: Sequence[Size]) -> Value:
    """A reshape target; one size known only at run time is written -1 (a constant target),
    unless a static 0 makes -1 ambiguous."""
    dynamic = [i for i, s in enumerate(sizes) if not isinstance(s, int)]
    if len(dynamic) == 1 and all(s != 0 for s in sizes if isinstance(s, int)):
        sizes = [-1 if i == dynamic[0] else s for i, s in enumerate(sizes)]
    return make_vector(imp, sizes)
