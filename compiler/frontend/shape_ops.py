"""Frontend rules: shapes, reshaping, joining, allocation, ranges and repetition.

PyTensor mixes int8 literals, int32 and int64 scalars in shapes; ONNX takes int64 only, so every
shape-like operand becomes an ``i64`` value here. PyTensor scalars are 0-d tensors in the IR.
A dim PyTensor's type (or the IR type) knows statically is written as a constant, so shape
arithmetic on static dims folds away.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pytensor.graph.basic import Apply, Constant, Variable
from pytensor.tensor import basic as ptb
from pytensor.tensor.extra_ops import Repeat
from pytensor.tensor.reshape import JoinDims, SplitDims
from pytensor.tensor.shape import Reshape, Shape, Shape_i, SpecifyShape

from compiler.frontend.constants import pytensor_constant
from compiler.frontend.importer import Importer, Unsupported, import_op
from ir import ops
from ir.core import Operation, Value
from ir.ops.tensor import constant_array
from ir.types import Dim
from ir.verifier import refines

I64 = "int64"

# -- helpers: i64 scalars and vectors --------------------------------------------------------------


def emit_shaped(imp: Importer, cls: type[Operation], operands: Sequence[Value],
                attributes: dict | None = None) -> Value:  # fmt: skip
    """Emit a reshape, expand or eye with the result type its ``refined_types`` knows: dims
    copied from other values' dims (symbols such as ``batch``) that ``infer_types`` leaves
    unknown. (Shape operands computed from constants are left to the ``constant-fold`` pass,
    which then stores the dims it learns.)"""
    value = imp.emit(cls, operands, attributes)
    (refined,) = value.owner.refined_types()  # type: ignore[union-attr]
    if refined != value.type and refines(refined, value.type):
        value.type = refined
    return value


def _exact_i64(data: np.ndarray, what: str) -> np.ndarray:
    """Integer data as int64, refusing values int64 cannot hold (huge uint64)."""
    data = np.asarray(data)
    if data.size and data.dtype.kind not in "iub":
        raise Unsupported(f"{what} must be integers, got {data.dtype}")
    out = data.astype(I64)
    if data.size and not np.array_equal(out, data):
        raise Unsupported(f"{what} {data.tolist()} does not fit in int64")
    return out


def i64(imp: Importer, var: Variable, what: str = "a shape value") -> Value:
    """A PyTensor integer scalar or vector as an ``i64`` IR value (constants stay constants)."""
    if isinstance(var, Constant):
        return imp.constant(_exact_i64(var.data, what))
    value = imp.value(var)
    if value.dtype not in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "bool"):
        # uint64 shape values above 2**63 would wrap; PyTensor rejects them as shapes anyway.
        raise Unsupported(f"{what} of dtype {value.dtype} cannot be converted to int64 exactly")
    return imp.cast(value, I64)


def i64_vector(imp: Importer, var: Variable, length: int, what: str) -> Value:
    """An integer vector as ``i64[length]``: PyTensor may not know its length statically, the IR
    needs it (a reshape to ``[length]`` states it; ONNX fails at run time if it is wrong, as
    PyTensor does)."""
    value = i64(imp, var, what)
    if value.rank != 1:
        raise Unsupported(f"{what} must be a vector, got {value.type}")
    if value.shape[0] != length:
        if isinstance(value.shape[0], int):
            raise Unsupported(f"{what} has {value.shape[0]} entries, the op needs {length}")
        value = emit_shaped(imp, ops.Reshape, [value, imp.constant(np.array([length], I64))])
    return value


def known_dims(imp: Importer, var: Variable) -> list[Dim]:
    """The dims of ``var``'s IR value, with the static dims PyTensor knows filled in (PyTensor
    raises at run time where they do not hold, as after a SpecifyShape of a graph input)."""
    dims = list(imp.value(var).shape)
    pt_shape = getattr(var.type, "shape", ())
    for axis, d in enumerate(pt_shape):
        if d is not None and not isinstance(dims[axis], int):
            dims[axis] = int(d)
    return dims


#: A size known now (an int) or at run time (a 0-d ``i64`` value).
Size = int | Value


def size(imp: Importer, var: Variable, what: str) -> Size:
    """An integer scalar of the graph as a size: constants become ints."""
    if isinstance(var, Constant):
        return int(_exact_i64(var.data, what))
    return i64(imp, var, what)


def as_value(imp: Importer, s: Size) -> Value:
    return imp.constant(np.array(s, I64)) if isinstance(s, int) else s


def dim(imp: Importer, var: Variable, axis: int) -> Size:
    """``var.shape[axis]``: an int when the dim is static, else `gather (shape var), axis`."""
    d = known_dims(imp, var)[axis]
    if isinstance(d, int):
        return d
    shape = imp.emit(ops.Shape, [imp.value(var)])
    return imp.emit(ops.Gather, [shape, imp.constant(np.array(axis, I64))], {"axis": 0})


def shape_of(imp: Importer, var: Variable, start: int = 0, stop: int | None = None) -> list[Size]:
    """The dims ``start:stop`` of ``var``."""
    stop = var.type.ndim if stop is None else stop
    return [dim(imp, var, axis) for axis in range(start, stop)]


def mul_all(imp: Importer, sizes: Sequence[Size]) -> Size:
    """The product of sizes (1 for none); the known ones multiply now."""
    static = math.prod(s for s in sizes if isinstance(s, int))
    dynamic = [s for s in sizes if not isinstance(s, int)]
    if not dynamic or static == 0:
        return static
    operands = dynamic if static == 1 else [*dynamic, imp.constant(np.array(static, I64))]
    return operands[0] if len(operands) == 1 else imp.emit(ops.Mul, operands)


def concat_vectors(imp: Importer, vectors: Sequence[Value], dtype: str = I64) -> Value:
    """Vectors joined end to end, neighbouring constants merged; a constant when they all are
    (none: an empty vector)."""
    pieces: list[Value | np.ndarray] = []
    for v in vectors:
        data = constant_array(v)
        if data is None:
            pieces.append(v)
        elif pieces and isinstance(pieces[-1], np.ndarray):
            pieces[-1] = np.concatenate([pieces[-1], data])
        else:
            pieces.append(np.asarray(data))
    values = [imp.constant(p.astype(dtype)) if isinstance(p, np.ndarray) else p for p in pieces
              if not isinstance(p, np.ndarray) or p.size]  # fmt: skip
    if not values:
        return imp.constant(np.zeros(0, dtype))
    return values[0] if len(values) == 1 else imp.emit(ops.Concat, values, {"axis": 0})


def make_vector(imp: Importer, entries: Sequence[Size], dtype: str = I64) -> Value:
    """Sizes (or 0-d values of ``dtype``) as one vector: unsqueeze + concat, or a constant."""
    pieces = []
    for e in entries:
        if isinstance(e, int):
            pieces.append(imp.constant(np.array([e], dtype)))
        elif (data := constant_array(e)) is not None:
            pieces.append(imp.constant(data.reshape(1)))
        else:
            pieces.append(imp.emit(ops.Unsqueeze, [e], {"axes": [0]}))
    return concat_vectors(imp, pieces, dtype)


# -- shapes ----------------------------------------------------------------------------------------


@import_op.register(Shape)
def import_shape(op: Shape, node: Apply, imp: Importer) -> list[Value]:
    """`tir.shape`; a constant when every dim of x is static (the pass pipeline cannot fold
    tir.shape: its operand is not a constant), and the static dims written as constants when
    only PyTensor knows them."""
    x_var = node.inputs[0]
    x = imp.value(x_var)
    dims = known_dims(imp, x_var)
    if all(isinstance(d, int) for d in dims):
        return [imp.constant(np.array(dims, I64))]
    if dims != list(x.shape):  # PyTensor knows dims the IR value does not (SpecifyShape)
        return [make_vector(imp, shape_of(imp, x_var))]
    return [imp.emit(ops.Shape, [x])]


@import_op.register(Shape_i)
def import_shape_i(op: Shape_i, node: Apply, imp: Importer) -> list[Value]:
    """x.shape[i]: `tir.gather (tir.shape x), i`, or a constant for a static dim."""
    rank = node.inputs[0].type.ndim
    if not 0 <= op.i < rank:
        raise Unsupported(f"Shape_i{{{op.i}}} of a rank-{rank} tensor")
    return [as_value(imp, dim(imp, node.inputs[0], op.i))]


@import_op.register(SpecifyShape)
def import_specify_shape(op: SpecifyShape, node: Apply, imp: Importer) -> list[Value]:
    """The value itself: PyTensor checks the shape at run time, the model does not (a wrong
    shape fails in ONNX Runtime at the first op that depends on it, or passes unchecked)."""
    return [imp.value(node.inputs[0])]


@import_op.register(ptb.TensorFromScalar)
@import_op.register(ptb.ScalarFromTensor)
def import_scalar_tensor(op: object, node: Apply, imp: Importer) -> list[Value]:
    """Scalars are 0-d tensors in the IR: both conversions are the value itself."""
    value = imp.value(node.inputs[0])
    return [imp.cast(value, node.outputs[0].type.dtype)]


# -- reshaping -------------------------------------------------------------------------------------


@import_op.register(Reshape)
def import_reshape(op: Reshape, node: Apply, imp: Importer) -> list[Value]:
    x = imp.value(node.inputs[0])
    target = i64_vector(imp, node.inputs[1], op.ndim, "the reshape target")
    return [emit_shaped(imp, ops.Reshape, [x, target])]


@import_op.register(JoinDims)
def import_join_dims(op: JoinDims, node: Apply, imp: Importer) -> list[Value]:
    """Axes start..start+n-1 become one axis of their product size (n = 0: a new size-1 axis).
    The size is the product of the dims, never -1: -1 cannot be resolved for empty tensors."""
    x = imp.value(node.inputs[0])
    start, n = op.start_axis, op.n_axes
    if n == 0:
        return [imp.emit(ops.Unsqueeze, [x], {"axes": [start]})]
    if n == 1:
        return [x]
    dims = shape_of(imp, node.inputs[0])
    joined = mul_all(imp, dims[start : start + n])
    target = make_vector(imp, [*dims[:start], joined, *dims[start + n :]])
    return [emit_shaped(imp, ops.Reshape, [x, target])]


@import_op.register(SplitDims)
def import_split_dims(op: SplitDims, node: Apply, imp: Importer) -> list[Value]:
    """Axis ``axis`` becomes the axes of the given shape: a reshape."""
    x = imp.value(node.inputs[0])
    axis = op.axis
    length = node.outputs[0].type.ndim - x.rank + 1
    sizes = i64_vector(imp, node.inputs[1], length, "the split_dims shape")
    before = make_vector(imp, shape_of(imp, node.inputs[0], 0, axis))
    after = make_vector(imp, shape_of(imp, node.inputs[0], axis + 1))
    target = concat_vectors(imp, [before, sizes, after])
    return [emit_shaped(imp, ops.Reshape, [x, target])]


# -- joining and splitting -------------------------------------------------------------------------


@import_op.register(ptb.Join)
def import_join(op: ptb.Join, node: Apply, imp: Importer) -> list[Value]:
    """np.concatenate in the output dtype (PyTensor upcasts the inputs)."""
    dtype = node.outputs[0].type.dtype
    inputs = [imp.cast(imp.value(v), dtype) for v in node.inputs]
    if len(inputs) == 1:
        return inputs
    return [imp.emit(ops.Concat, inputs, {"axis": op.axis})]


@import_op.register(ptb.Split)
def import_split(op: ptb.Split, node: Apply, imp: Importer) -> list[Value]:
    x = imp.value(node.inputs[0])
    sizes = i64_vector(imp, node.inputs[1], op.len_splits, "the split sizes")
    return list(imp.emit_op(ops.Split, [x, sizes], {"axis": op.axis}).results)


@import_op.register(ptb.MakeVector)
def import_make_vector(op: ptb.MakeVector, node: Apply, imp: Importer) -> list[Value]:
    dtype = node.outputs[0].type.dtype
    scalars = [imp.cast(imp.value(v), dtype) for v in node.inputs]
    return [make_vector(imp, scalars, dtype)]


# -- allocation ------------------------------------------------------------------------------------


def _alloc_shape(imp: Importer, dims: Sequence[Variable]) -> Value:
    return make_vector(imp, [size(imp, d, "an alloc size") for d in dims])


@import_op.register(ptb.Alloc)
def import_alloc(op: ptb.Alloc, node: Apply, imp: Importer) -> list[Value]:
    """The value broadcast to the shape: `tir.expand`. (ONNX Expand broadcasts both ways, so a
    size-1 target dim where the value's dim is larger gives the larger dim; PyTensor raises
    there, so no valid graph sees a difference.)"""
    value = imp.value(node.inputs[0])
    return [emit_shaped(imp, ops.Expand, [value, _alloc_shape(imp, node.inputs[1:])])]


@import_op.register(ptb.AllocEmpty)
def import_alloc_empty(op: ptb.AllocEmpty, node: Apply, imp: Importer) -> list[Value]:
    """Uninitialized memory in PyTensor; zeros here (any content is a valid AllocEmpty)."""
    zero = imp.constant(np.zeros((), node.outputs[0].type.dtype))
    return [emit_shaped(imp, ops.Expand, [zero, _alloc_shape(imp, node.inputs)])]


# -- ranges ----------------------------------------------------------------------------------------


def _exact_cast(src: str, dst: str) -> bool:
    """Every value of ``src`` is exactly a value of ``dst`` (int64 → float64 is not)."""
    s, d = np.dtype(src), np.dtype(dst)
    if not np.can_cast(s, d, "safe"):
        return False
    if s.kind in "iu" and d.kind == "f":
        return s.itemsize * 8 - (s.kind == "i") <= np.finfo(d).nmant + 1
    return True


def _exact_bound(var: Variable, dtype: str) -> bool:
    """An arange bound converts to ``dtype`` as PyTensor converts it: exactly (a constant by
    its value, a variable by its dtype), or integers to float64, which PyTensor's C code does
    too (it takes every bound as a C double; its Python code, exact past 2**53, is the odd one
    out). Rounded otherwise: numpy derives the length and the values from the bounds."""
    if isinstance(var, Constant):
        data = np.asarray(var.data)
        if data.dtype.kind == "f" and np.isnan(data).any():
            return False
        with np.errstate(all="ignore"):
            return bool(data.astype(dtype).astype(data.dtype) == data)
    src = var.type.dtype
    return _exact_cast(src, dtype) or (np.dtype(src).kind in "iub" and dtype == "float64")


def _bound(imp: Importer, var: Variable, dtype: str) -> Value:
    if isinstance(var, Constant):
        return imp.constant(np.asarray(var.data).astype(dtype))
    return imp.cast(imp.value(var), dtype)


@import_op.register(ptb.ARange)
def import_arange(op: ptb.ARange, node: Apply, imp: Importer) -> list[Value]:
    """np.arange(start, stop, step, dtype): `tir.range` on the bounds converted to the dtype,
    where that is exact. Integer bounds for a narrower integer dtype: the range in int64,
    wrapped into the dtype (numpy's fill wraps the same way)."""
    dtype = node.outputs[0].type.dtype
    bounds = node.inputs
    if all(_exact_bound(v, dtype) for v in bounds):
        return [imp.emit(ops.Range, [_bound(imp, v, dtype) for v in bounds])]
    if np.dtype(dtype).kind in "iu" and all(_exact_bound(v, I64) for v in bounds):
        wide = imp.emit(ops.Range, [_bound(imp, v, I64) for v in bounds])
        return [imp.cast(wide, dtype)]
    found = ", ".join(v.type.dtype for v in bounds)
    raise Unsupported(
        f"arange of dtype {dtype} with bounds of dtypes {found}: numpy derives the length and "
        f"the values from the exact bounds, the model could only use bounds rounded to {dtype} "
        f"(write arange(...).astype({dtype!r}), or cast the bounds in the graph)"
    )


@import_op.register(ptb.Eye)
def import_eye(op: ptb.Eye, node: Apply, imp: Importer) -> list[Value]:
    """np.eye(n, m, k): `tir.eye` for a constant k; for a k known only at run time, ones
    where column - row == k (two ranges and a comparison)."""
    dtype = node.outputs[0].type.dtype
    n, m = (i64(imp, v, "an eye size") for v in node.inputs[:2])
    k_var = node.inputs[2]
    if isinstance(k_var, Constant):
        k = int(_exact_i64(k_var.data, "the eye diagonal"))
        return [emit_shaped(imp, ops.Eye, [n, m], {"k": k, "dtype": dtype})]
    k = i64(imp, k_var, "the eye diagonal")
    zero, one = imp.constant(np.array(0, I64)), imp.constant(np.array(1, I64))
    rows = imp.emit(ops.Unsqueeze, [imp.emit(ops.Range, [zero, n, one])], {"axes": [1]})
    cols = imp.emit(ops.Unsqueeze, [imp.emit(ops.Range, [zero, m, one])], {"axes": [0]})
    diagonal = imp.emit(ops.Eq, [imp.emit(ops.Sub, [cols, rows]), k])
    return [imp.cast(diagonal, dtype)]


# -- repetition ------------------------------------------------------------------------------------


@import_op.register(Repeat)
def import_repeat(op: Repeat, node: Apply, imp: Importer) -> list[Value]:
    """np.repeat(x, repeats, axis) for a vector of repeats (one per element along the axis, or
    one for all): element j of the result is element idx[j] of x, where idx[j] counts the
    running totals of repeats that are <= j. Constant repeats on a static dim give constant
    indices; a single repeat count is an expand of a new axis and a reshape."""
    x_var, repeats_var = node.inputs
    x = imp.value(x_var)
    axis = op.axis
    length = repeats_var.type.shape[0]
    axis_size = known_dims(imp, x_var)[axis]
    repeats = i64(imp, repeats_var, "the repeat counts")
    known = pytensor_constant(repeats_var, imp)
    if known is not None:
        counts = _exact_i64(known, "the repeat counts").reshape(-1)
        if (counts < 0).any() or (isinstance(axis_size, int) and counts.size not in (1, axis_size)):
            raise Unsupported(f"repeat counts {counts.tolist()} for an axis of size {axis_size}")
        if isinstance(axis_size, int):
            idx = np.repeat(np.arange(axis_size, dtype=I64), np.broadcast_to(counts, (axis_size,)))
            return [imp.emit(ops.Gather, [x, imp.constant(idx)], {"axis": axis})]
        if counts.size == 1:
            return [_repeat_each(imp, x_var, axis, int(counts[0]))]
    if length == 1:
        count = emit_shaped(imp, ops.Reshape, [repeats, imp.constant(np.zeros(0, I64))])
        return [_repeat_each(imp, x_var, axis, count)]
    if length != axis_size or not isinstance(axis_size, int):
        # numpy broadcasts the counts against the axis (a run-time length 1 included).
        along = make_vector(imp, [dim(imp, x_var, axis)])
        repeats = emit_shaped(imp, ops.Expand, [repeats, along])
    ends = imp.emit(ops.CumSum, [repeats], {"axis": 0})
    total = imp.emit(ops.ReduceSum, [repeats], {"axes": [0], "keepdims": False})
    zero, one = imp.constant(np.array(0, I64)), imp.constant(np.array(1, I64))
    positions = imp.emit(ops.Range, [zero, total, one])
    passed = imp.emit(
        ops.Le,
        [
            imp.emit(ops.Unsqueeze, [ends], {"axes": [0]}),
            imp.emit(ops.Unsqueeze, [positions], {"axes": [1]}),
        ],
    )
    counted = imp.emit(ops.Cast, [passed], {"to": I64})
    idx = imp.emit(ops.ReduceSum, [counted], {"axes": [1], "keepdims": False})
    return [imp.emit(ops.Gather, [x, idx], {"axis": axis})]


def _repeat_each(imp: Importer, x_var: Variable, axis: int, count: Size) -> Value:
    """Every element along ``axis`` repeated ``count`` times: a new axis after
    ``axis`` expanded to ``count``, then merged into ``axis``."""
    x = imp.value(x_var)
    dims = shape_of(imp, x_var)
    spread = make_vector(imp, [*dims[: axis + 1], count, *dims[axis + 1 :]])
    expanded = emit_shaped(
        imp, ops.Expand, [imp.emit(ops.Unsqueeze, [x], {"axes": [axis + 1]}), spread]
    )
    merged = mul_all(imp, [dims[axis], count])
    target = make_vector(imp, [*dims[:axis], merged, *dims[axis + 1 :]])
    return emit_shaped(imp, ops.Reshape, [expanded, target])
