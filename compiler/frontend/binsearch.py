"""numpy's ``searchsorted`` binary search, halving for halving, for an x that is not sorted.

For a sorted x every correct search gives the same insertion points, and ``extra_ops`` reads
them off one sort. For an unsorted x (outside numpy's precondition) the answers are those of
numpy's own search: numpy 2's is branchless (a base and a length: while the length is above
1, the base moves up by half the length where ``cmp(x[base + half], key)``, and the length
loses that half; the answer is ``base + cmp(x[base], key)``), and each key's search is
independent of the others. Checked against ``np.searchsorted`` on 20 000 random unsorted
float (with NaN), int and sorter inputs per side while writing this. Here it runs for all keys
at once, one ``tir.loop`` iteration per halving (at most 64).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from compiler.frontend.importer import Importer
from ir import ops
from ir.core import Block, Value, Yield
from ir.types import TensorType

#: Each halving at least halves the length: 64 cover any int64 length.
MAX_HALVINGS = 64
FLOATS = ("float16", "float32", "float64", "bfloat16")


def _emit(imp: Importer, cls: type, *operands: Value, **attributes: object) -> Value:
    return imp.emit(cls, list(operands), attributes or None)


def _i64(imp: Importer, n: int | list[int]) -> Value:
    return imp.constant(np.asarray(n, dtype="int64"))


def numpy_less(imp: Importer, a: Value, b: Value) -> Value:
    """numpy's sort order: ``a < b``, with NaN above every number (``a < b or (b is NaN and
    a is not)``); integers compare as they are."""
    less = _emit(imp, ops.Lt, a, b)
    if a.dtype not in FLOATS:
        return less
    b_nan_a_not = _emit(imp, ops.BitwiseAnd, _emit(imp, ops.IsNan, b),
                        _emit(imp, ops.Invert, _emit(imp, ops.IsNan, a)))  # fmt: skip
    return _emit(imp, ops.BitwiseOr, less, b_nan_a_not)


def side_compare(imp: Importer, left: bool) -> Callable[[Value, Value], Value]:
    """numpy's ``cmp(a, b)`` of the side: ``less(a, b)`` (left) or ``not less(b, a)``
    (right)."""
    if left:
        return lambda a, b: numpy_less(imp, a, b)
    return lambda a, b: _emit(imp, ops.Invert, numpy_less(imp, b, a))


def is_sorted(imp: Importer, x: Value) -> Value:
    """True (bool[]) where no x[i + 1] is below x[i] in numpy's order (x a vector)."""
    step = _i64(imp, [1])
    tail = _emit(imp, ops.Slice, x, _i64(imp, [1]), _i64(imp, [2**63 - 1]), step, axes=[0])
    head = _emit(imp, ops.Slice, x, _i64(imp, [0]), _i64(imp, [-1]), step, axes=[0])
    down = numpy_less(imp, tail, head)
    # (a 0- or 1-element x is sorted: one False more keeps the reduction off an empty axis)
    down = _emit(imp, ops.Concat, down, imp.constant(np.zeros(1, "bool")), axis=0)
    return _emit(imp, ops.Invert, _emit(imp, ops.ReduceAny, down, axes=[0], keepdims=False))


def numpy_binsearch(imp: Importer, x: Value, keys: Value, left: bool) -> Value:
    """numpy's insertion points (int64, one per key) of ``keys`` (a vector) in ``x`` (a
    vector of the same dtype), whether x is sorted or not: the module docstring's search.
    An empty x gives 0 for every key."""
    cmp = side_compare(imp, left)
    n = _emit(imp, ops.Gather, _emit(imp, ops.Shape, x), _i64(imp, 0), axis=0)
    one = _i64(imp, 1)
    # An empty x: one dummy element to gather from, never counted (the answer stays 0).
    safe_x = _emit(imp, ops.Concat, x, imp.constant(np.zeros(1, dtype=x.dtype)), axis=0)
    base0 = _emit(imp, ops.Expand, _i64(imp, 0), _emit(imp, ops.Shape, keys))

    body = Block(args=[Value(TensorType("int64", ())), Value(TensorType("bool", ())),
                       Value(base0.type), Value(n.type)])  # fmt: skip
    _, _, base, length = body.args
    with imp.building(body):
        half = _emit(imp, ops.IntDiv, length, _i64(imp, 2))
        probe = _emit(imp, ops.Gather, safe_x, _emit(imp, ops.Add, base, half), axis=0)
        base_next = _emit(imp, ops.Where, cmp(probe, keys), _emit(imp, ops.Add, base, half), base)
        length_next = _emit(imp, ops.Sub, length, half)
        go_on = _emit(imp, ops.Gt, length_next, one)
        body.append(Yield([go_on, base_next, length_next]))
    start = _emit(imp, ops.Gt, n, one)
    loop = imp.emit_op(ops.Loop, [_i64(imp, MAX_HALVINGS), start, base0, n], regions=[body])
    base = loop.results[0]
    last = cmp(_emit(imp, ops.Gather, safe_x, base, axis=0), keys)
    counted = _emit(imp, ops.BitwiseAnd, last, _emit(imp, ops.Gt, n, _i64(imp, 0)))
    return _emit(imp, ops.Add, base, imp.cast(counted, "int64"))
