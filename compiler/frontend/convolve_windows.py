"""numpy.convolve as a sum of products of gathered windows, exact where an ONNX Conv is not:
any lengths (either operand the longer, static or not), integers (wrapping) and bool, and
inf/NaN operands (numpy multiplies only overlapping elements, never padding).
"""

from __future__ import annotations

import numpy as np

from compiler.frontend.importer import Importer
from compiler.frontend.shape_ops import I64, Size
from ir import ops
from ir.core import Value


def convolve_by_windows(imp: Importer, a: Value, b: Value, full: bool) -> Value:
    """numpy.convolve(a, b) along the last axis, any lengths: ``out[i] = sum_j a[i - j] * b[j]``
    over the j < k with 0 <= i - j < n, for i in [0, n + k - 1) ("full") or in
    [min(n, k) - 1, max(n, k)) ("valid": the longer operand slides, whichever it is). The
    elements a[i - j] are gathered into an (..., outputs, k) tensor, multiplied by b and
    summed in the dtype: integers wrap as numpy's result does (it sums in a wider integer and
    casts back); bool is an or of ands."""
    axis = a.rank - 1
    n, k = _length(imp, a), _length(imp, b)
    indices, valid = _window_indices(imp, n, k, full)
    windows = imp.emit(ops.Gather, [a, indices], {"axis": axis})
    weights = imp.emit(ops.Unsqueeze, [b], {"axes": [axis]})
    if a.dtype == "bool":
        terms = imp.emit(ops.BitwiseAnd, [windows, weights])
        if valid is not None:
            terms = imp.emit(ops.BitwiseAnd, [terms, valid])
        return imp.emit(ops.ReduceAny, [terms], {"axes": [axis + 1], "keepdims": False})
    terms = imp.emit(ops.Mul, [windows, weights])
    if valid is not None:
        terms = imp.emit(ops.Where, [valid, terms, imp.constant(np.zeros((), a.dtype))])
    return imp.emit(ops.ReduceSum, [terms], {"axes": [axis + 1], "keepdims": False})


def _window_indices(imp: Importer, n: Size, k: Size, full: bool) -> tuple[Value, Value | None]:
    """The (outputs, k) indices i - j into a, clamped into [0, n), and where they are in range
    (None: everywhere)."""
    if isinstance(n, int) and isinstance(k, int):
        first, stop = (0, n + k - 1) if full else (min(n, k) - 1, max(n, k))
        index = np.arange(first, stop)[:, None] - np.arange(k)[None, :]
        valid = (index >= 0) & (index < n)
        clamped = imp.constant(np.where(valid, index, 0).astype(I64))
        return clamped, None if valid.all() else imp.constant(valid)
    nv, kv = _value(imp, n), _value(imp, k)
    if full:
        first = imp.constant(np.array(0, I64))
        stop = _add(imp, imp.emit(ops.Add, [nv, kv]), -1)
    else:
        first = _add(imp, imp.emit(ops.Minimum, [nv, kv]), -1)
        stop = imp.emit(ops.Maximum, [nv, kv])
    one = imp.constant(np.array(1, I64))
    outputs = imp.emit(ops.Range, [first, stop, one])
    taps = imp.emit(ops.Range, [imp.constant(np.array(0, I64)), kv, one])
    index = imp.emit(
        ops.Sub,
        [
            imp.emit(ops.Unsqueeze, [outputs], {"axes": [1]}),
            imp.emit(ops.Unsqueeze, [taps], {"axes": [0]}),
        ],
    )
    zero = imp.constant(np.array(0, I64))
    valid = imp.emit(
        ops.BitwiseAnd, [imp.emit(ops.Ge, [index, zero]), imp.emit(ops.Lt, [index, nv])]
    )
    return imp.emit(ops.Where, [valid, index, zero]), valid


def _length(imp: Importer, x: Value) -> Size:
    """The length of x's last axis: an int, or `gather (shape x), -1` at run time."""
    n = x.shape[-1]
    if isinstance(n, int):
        return n
    shape = imp.emit(ops.Shape, [x])
    return imp.emit(ops.Gather, [shape, imp.constant(np.array(x.rank - 1, I64))], {"axis": 0})


def _value(imp: Importer, size: Size) -> Value:
    return imp.constant(np.array(size, I64)) if isinstance(size, int) else size


def _add(imp: Importer, size: Value, amount: int) -> Value:
    return imp.emit(ops.Add, [size, imp.constant(np.array(amount, I64))])


__all__ = ["convolve_by_windows"]
