"""Frontend rules: reductions, arg-reductions, scans, sorting and the softmax family.

PyTensor's accumulator dtypes become explicit casts around the IR reduction (a float32 Sum
accumulates in float64: cast, reduce, cast back), exactly as ``CAReduce.perform`` computes.
"""

from __future__ import annotations

import math

import numpy as np
from pytensor.graph.basic import Apply
from pytensor.scalar import basic as ps
from pytensor.tensor.elemwise import CAReduce
from pytensor.tensor.extra_ops import CumOp
from pytensor.tensor.math import Argmax, ProdWithoutZeros
from pytensor.tensor.sort import ArgSortOp, SortOp
from pytensor.tensor.special import LogSoftmax, LogSumExp, Softmax

from compiler.frontend.graphs import import_op_from_graph
from compiler.frontend.importer import Importer, Unsupported, import_op
from compiler.frontend.scan import running_product
from ir import dtypes, ops
from ir.core import Value

#: CAReduce scalar ops that are one IR reduction.
_REDUCTIONS: dict[type, type[ops.Reduce]] = {
    ps.Add: ops.ReduceSum,
    ps.Mul: ops.ReduceProd,
    ps.Maximum: ops.ReduceMax,
    ps.Minimum: ops.ReduceMin,
}

#: CAReduce scalar ops that are bitwise on integers (logical on bool): the IR reduction for
#: integers, and for bool.
_BITWISE: dict[type, tuple[type[ops.Reduce], type[ops.Reduce]]] = {
    ps.AND: (ops.ReduceBitwiseAnd, ops.ReduceAll),
    ps.OR: (ops.ReduceBitwiseOr, ops.ReduceAny),
    ps.XOR: (ops.ReduceBitwiseXor, ops.ReduceBitwiseXor),
}


#: CAReduce scalar ops that numpy folds left to right, ``((x0 - x1) - x2) ...`` (its ufuncs
#: are not reorderable: one axis at most, and no identity for an empty one).
_FOLDS: dict[type, type[ops.Operation]] = {
    ps.Sub: ops.Sub,
    ps.TrueDiv: ops.Div,
    ps.IntDiv: ops.IntDiv,
}

#: Longest static axis a division fold is unrolled over (one node per element).
FOLD_LIMIT = 1024


def _axes(axis: tuple[int, ...] | None, rank: int) -> list[int]:
    return list(range(rank)) if axis is None else [a % rank for a in axis] if rank else []


@import_op.register(CAReduce)
def import_careduce(op: CAReduce, node: Apply, imp: Importer) -> list[Value]:
    """Sum, Prod, Max, Min, All, Any (and a bare CAReduce of those scalar ops, of xor, sub,
    true_div, int_div): ``cast(reduce(cast(x, acc)), out)`` with PyTensor's accumulator dtype
    ``acc``."""
    x = imp.value(node.inputs[0])
    out_dtype = node.outputs[0].type.dtype
    # CAReduce.perform: np.array(x, dtype=acc).reduce(dtype=acc), then the output dtype.
    acc = op.acc_dtype or out_dtype
    attrs = {"axes": _axes(op.axis, x.rank), "keepdims": False}
    fold = _FOLDS.get(type(op.scalar_op))
    if fold is not None:
        return [imp.cast(_fold(op, imp, imp.cast(x, acc), attrs["axes"], fold), out_dtype)]
    bitwise = _BITWISE.get(type(op.scalar_op))
    if bitwise is not None:
        if x.dtype not in dtypes.DISCRETE_DTYPES or acc not in dtypes.DISCRETE_DTYPES:
            raise Unsupported(
                f"bitwise {op.scalar_op} reduction of {x.dtype} accumulated in {acc}: numpy has "
                "no bitwise op on floats (PyTensor raises)"
            )
        if out_dtype == x.dtype:
            # Bits commute with widening (sign or zero extension) and narrowing back, the
            # identity (all ones, or 0) included: reduce in x's own dtype.
            acc = out_dtype
        ir_cls = bitwise[1] if acc == "bool" else bitwise[0]
    else:
        ir_cls = _REDUCTIONS.get(type(op.scalar_op))
        if ir_cls is None:
            raise Unsupported(
                f"reduction with scalar op {op.scalar_op} has no ONNX equivalent "
                "(supported: add, mul, maximum, minimum, and, or, xor, sub, true_div, int_div)"
            )
    reduced = imp.emit(ir_cls, [imp.cast(x, acc)], attrs)
    return [imp.cast(reduced, out_dtype)]


def _fold(
    op: CAReduce, imp: Importer, v: Value, axes: list[int], cls: type[ops.Operation]
) -> Value:
    """numpy's ``ufunc.reduce`` of subtract, divide or floor_divide over one axis of v (in the
    accumulator dtype), unrolled in numpy's order over a static axis. Integer subtraction, and
    float subtraction over a longer or run-time axis, is x0 minus the sum of the rest: exact
    for integers (they wrap), for floats the sum's rounding (as Sum's; a zero result may then
    be -0.0 where numpy's is +0.0)."""
    what = f"reduction with scalar op {op.scalar_op}"
    if not axes:
        return v
    if len(axes) > 1:
        raise Unsupported(f"{what} over several axes: numpy's ufunc is not reorderable, so "
                          "at most one axis may be reduced (PyTensor raises)")  # fmt: skip
    if cls is ops.Div and v.dtype not in dtypes.FLOAT_DTYPES:
        raise Unsupported(f"{what} accumulated in {v.dtype}: numpy's true division reduction "
                          "to an integer dtype has no ONNX equivalent")  # fmt: skip
    (axis,) = axes
    length = v.shape[axis]
    if isinstance(length, int) and length == 0:
        raise Unsupported(f"{what} over an empty axis: it has no identity (PyTensor raises)")
    unrolled = isinstance(length, int) and length <= FOLD_LIMIT
    if cls is ops.Sub and (v.dtype not in dtypes.FLOAT_DTYPES or not unrolled):
        first = _slice(imp, v, axis, 0, 1)
        rest = _slice(imp, v, axis, 1, np.iinfo(np.int64).max)
        total = imp.emit(ops.ReduceSum, [rest], {"axes": [axis], "keepdims": True})
        return imp.emit(ops.Squeeze, [imp.emit(ops.Sub, [first, total])], {"axes": [axis]})
    if not unrolled:
        raise Unsupported(
            f"{what} over an axis of {length} elements: numpy divides left to right, "
            f"unrolled here over a static axis of at most {FOLD_LIMIT} elements"
        )
    pieces = imp.emit_op(ops.Split, [v, _i64(imp, [1] * length)], {"axis": axis}).results
    out = pieces[0]
    for piece in pieces[1:]:
        out = imp.emit(cls, [out, piece])
    return imp.emit(ops.Squeeze, [out], {"axes": [axis]})


def _slice(imp: Importer, v: Value, axis: int, start: int, stop: int) -> Value:
    bounds = [_i64(imp, [start]), _i64(imp, [stop]), _i64(imp, [1])]
    return imp.emit(ops.Slice, [v, *bounds], {"axes": [axis]})


@import_op.register(ProdWithoutZeros)
def import_prod_without_zeros(op: ProdWithoutZeros, node: Apply, imp: Importer) -> list[Value]:
    """The product of the nonzero elements (in prod's gradient). A group of zeros only gives
    the last of them (MulWithoutZeros returns its other operand for a 0), the last in C order
    over the reduced axes: its sign is that zero's; an empty group gives +0."""
    x = imp.value(node.inputs[0])
    out_dtype = node.outputs[0].type.dtype
    v = imp.cast(x, op.acc_dtype or out_dtype)
    axes = _axes(op.axis, v.rank)
    if not axes:
        return [imp.cast(v, out_dtype)]
    reduce = {"axes": axes, "keepdims": False}
    zero = imp.constant(np.zeros((), v.dtype))
    nonzero = imp.emit(ops.Ne, [v, zero])
    ones = imp.emit(ops.Where, [nonzero, v, imp.constant(np.ones((), v.dtype))])
    product = imp.emit(ops.ReduceProd, [ones], reduce)
    fallback = zero
    if v.dtype in dtypes.FLOAT_DTYPES:
        kept = [a for a in range(v.rank) if a not in axes]
        flat = _flatten_trailing(imp, v, kept, axes)
        bounds = [_i64(imp, [b]) for b in (-1, np.iinfo(np.int64).max, 1)]
        last = imp.emit(ops.Slice, [flat, *bounds], {"axes": [len(kept)]})
        # The last element, or -inf if there is none.
        last = imp.emit(ops.ReduceMax, [last], {"axes": [len(kept)], "keepdims": False})
        fallback = imp.emit(ops.Where, [imp.emit(ops.IsInf, [last]), zero, last])
    any_nonzero = imp.emit(ops.ReduceAny, [nonzero], reduce)
    return [imp.cast(imp.emit(ops.Where, [any_nonzero, product, fallback]), out_dtype)]


# -- argmax ---------------------------------------------------------------------------------------


def _i64(imp: Importer, values: list[int]) -> Value:
    return imp.constant(np.asarray(values, dtype="int64"))


def _flatten_trailing(imp: Importer, x: Value, kept: list[int], reduced: list[int]) -> Value:
    """x with the ``kept`` axes first (in order) and the ``reduced`` ones merged into one last
    axis in C order (as PyTensor's Argmax.perform transposes and reshapes)."""
    perm = kept + reduced
    if perm != list(range(x.rank)):
        x = imp.emit(ops.Transpose, [x], {"perm": perm})
    if len(reduced) == 1:
        return x
    dims = x.shape
    shape_of: Value | None = None

    def runtime_dims(positions: list[int]) -> Value:
        nonlocal shape_of
        if shape_of is None:
            shape_of = imp.emit(ops.Shape, [x])
        return imp.emit(ops.Gather, [shape_of, _i64(imp, positions)], {"axis": 0})

    pieces: list[Value] = []
    static: list[int] = []
    for i in range(len(kept)):
        if isinstance(dims[i], int):
            static.append(dims[i])
            continue
        if static:
            pieces.append(_i64(imp, static))
            static = []
        pieces.append(runtime_dims([i]))
    tail = dims[len(kept) :]
    if all(isinstance(d, int) for d in tail):
        static.append(math.prod(tail))  # type: ignore[arg-type]
    else:
        if static:
            pieces.append(_i64(imp, static))
            static = []
        sizes = runtime_dims(list(range(len(kept), x.rank)))
        pieces.append(imp.emit(ops.ReduceProd, [sizes], {"axes": [0], "keepdims": True}))
    if static:
        pieces.append(_i64(imp, static))
    shape = pieces[0] if len(pieces) == 1 else imp.emit(ops.Concat, pieces, {"axis": 0})
    return imp.emit(ops.Reshape, [x, shape])


@import_op.register(Argmax)
def import_argmax(op: Argmax, node: Apply, imp: Importer) -> list[Value]:
    """Argmax over several axes is the argmax of those axes merged in C order (PyTensor's
    definition); axis None is every axis."""
    x = imp.value(node.inputs[0])
    reduced = sorted(set(_axes(op.axis, x.rank)))
    kept = [a for a in range(x.rank) if a not in reduced]
    if not reduced:
        # Nothing to choose from: index 0 everywhere.
        zero = imp.constant(np.zeros((), dtype="int64"))
        if x.rank == 0:
            return [zero]
        return [imp.emit(ops.Expand, [zero, imp.emit(ops.Shape, [x])])]
    if len(reduced) == 1:
        return [imp.emit(ops.ArgMax, [x], {"axis": reduced[0], "keepdims": False})]
    flat = _flatten_trailing(imp, x, kept, reduced)
    return [imp.emit(ops.ArgMax, [flat], {"axis": len(kept), "keepdims": False})]


# -- scans and sorting ----------------------------------------------------------------------------


@import_op.register(CumOp)
def import_cumop(op: CumOp, node: Apply, imp: Importer) -> list[Value]:
    """Cumsum/Cumprod in the input's dtype (the output type; integers wrap as PyTensor's C
    implementation does)."""
    cls = ops.CumSum if op.mode == "add" else ops.CumProd
    x = imp.value(node.inputs[0])
    symbolic = op.axis is not None and not isinstance(x.shape[op.axis], int)
    if cls is ops.CumProd and x.dtype != "bool" and symbolic:  # opset 18 has no CumProd
        return [running_product(imp, x, op.axis)]
    return [imp.emit(cls, [x], {"axis": op.axis})]


@import_op.register(SortOp)
def import_sort(op: SortOp, node: Apply, imp: Importer) -> list[Value]:
    """Any kind: the sorted values are the same numbers whatever the algorithm (only the order
    of -0.0 and 0.0 is numpy's choice for unstable kinds; tir.sort keeps index order)."""
    return [imp.emit(ops.Sort, [imp.value(node.inputs[0])], {"axis": op.axis})]


@import_op.register(ArgSortOp)
def import_argsort(op: ArgSortOp, node: Apply, imp: Importer) -> list[Value]:
    """Any kind: the indices of the stable sort (ties in index order). numpy defines the order
    of equal elements only for "stable"/"mergesort"; for "quicksort" (the default) and
    "heapsort" it leaves it unspecified (its introsort and SIMD sorts are not stable), so
    the stable order is one of the results numpy may return: the sorted values agree, ties may
    come in another order than PyTensor's run on one machine."""
    return [imp.emit(ops.Argsort, [imp.value(node.inputs[0])], {"axis": op.axis})]


# -- the softmax family (OpFromGraph subclasses mapped directly) ---------------------------------


def _direct(node: Apply) -> bool:
    """The IR op says what the inner graph computes: a float input and an output of its dtype.
    (Integer inputs compute x - max(x) in the integer dtype; float16 LogSumExp is float32, its
    0.0 constant upcasts it: the inner graph says how.)"""
    dtype = node.inputs[0].type.dtype
    return dtype in dtypes.FLOAT_DTYPES and node.outputs[0].type.dtype == dtype


@import_op.register(Softmax)
@import_op.register(LogSoftmax)
def import_softmax(op: Softmax | LogSoftmax, node: Apply, imp: Importer) -> list[Value]:
    if not _direct(node):
        return import_op_from_graph(op, node, imp)
    x = imp.value(node.inputs[0])
    axes = _axes(op.axis, x.rank)
    if not axes:
        # Over no axes PyTensor rewrites x - max(x) = x - x to 0 (NaN and inf included):
        # softmax is 1 and log_softmax 0 everywhere, and so are they here.
        fill = 1 if isinstance(op, Softmax) else 0
        return [imp.emit(ops.Second, [x, imp.constant(np.asarray(fill, dtype=x.dtype))])]
    cls = ops.Softmax if isinstance(op, Softmax) else ops.LogSoftmax
    return [imp.emit(cls, [x], {"axes": axes})]


@import_op.register(LogSumExp)
def import_logsumexp(op: LogSumExp, node: Apply, imp: Importer) -> list[Value]:
    if not _direct(node):
        return import_op_from_graph(op, node, imp)
    x = imp.value(node.inputs[0])
    return [imp.emit(ops.LogSumExp, [x], {"axes": _axes(op.axis, x.rank), "keepdims": False})]
