"""A selection by one condition moves past the sum of its result: one pass over the data less.

PyMC's ``check_parameter`` makes ``where(sigma > 0, logp, -inf)``: a condition of one element,
the whole log-density on one side and a constant on the other, summed right after. The
selection is then a full pass over N values that picks either all of ``logp`` or nothing of it;
summing first and selecting the sum gives the same bits:

    reduce_sum(where(c, x, k))  →  where(c, reduce_sum(x), K)

c true: both are the sum of the elements of x, in the same order. c false: both are the sum of
M copies of k, M the number of elements summed into each result (static, at least 1): K is
that sum for the k where it is exact whatever the order, +inf, -inf, NaN and ±0.0 (+inf, -inf,
NaN and +0.0: an IR float sum is never -0.0). Only when the selection's one user is the sum,
and x is not broadcast by c or k (then the sum would count x's elements several times).
"""

from __future__ import annotations

import math

import numpy as np

from ir import dtypes, ops
from ir.core import Value
from ir.ops.tensor import constant_array
from passes.conv import new_constant
from passes.rewriter import PatternPass, Rewriter, pattern


def _sum_of_copies(k: float) -> float | None:
    """The sum of any positive number of copies of ``k``, when it does not depend on their
    number or order; else None."""
    if math.isnan(k) or math.isinf(k):
        return k
    if k == 0.0:
        return 0.0  # an IR float sum is never -0.0
    return None


@pattern(ops.ReduceSum)
def sum_of_scalar_select(op: ops.ReduceSum, rw: Rewriter) -> bool:
    """`reduce_sum(where(c, x, k))` → `where(c, reduce_sum(x), K)` for one-element c and k"""
    select = op.x.owner
    if not isinstance(select, ops.Where):
        return rw.fail("not a sum of a selection")
    if op.x.num_uses != 1:
        return rw.fail("the selection has other users (it would stay)")
    cond, x, k = select.operands
    dtype = op.result.dtype
    if dtype not in dtypes.FLOAT_DTYPES or x.type != op.x.type:
        return rw.fail("not a float selection whose data operand has the result's type")
    if cond.type.size != 1 or k.type.size != 1:
        return rw.fail("the condition or the other branch has more than one element")
    data = constant_array(k)
    if data is None:
        return rw.fail("the other branch is not a constant")
    copies = _sum_of_copies(float(data.reshape(())))
    if copies is None:
        return rw.fail("the sum of copies of the other branch depends on their number")
    counts = [x.type.shape[a] for a in op.reduced_axes()]
    if not all(isinstance(d, int) and d >= 1 for d in counts):
        return rw.fail("the summed dims are not known to be nonempty")
    if cond.rank > op.result.rank:  # one element: drop leading dims so the result keeps its rank
        cond = _at_rank(cond, op.result.rank, rw)
    total = rw.create(ops.ReduceSum, [x], {"axes": op.axes, "keepdims": op.keepdims})
    other = new_constant(rw, np.array(copies, dtype=dtype))
    rw.replace_op(op, [rw.create(ops.Where, [cond, total, other])])
    return True


def _at_rank(value: Value, rank: int, rw: Rewriter) -> Value:
    """A one-element ``value`` of higher rank at ``rank``: the operand of an Unsqueeze that
    made it, a reduction redone without its kept dims, an elementwise op redone on such
    operands and constants (``check_parameter``'s ``sigma > 0`` of an unsqueezed sigma: no new
    op), else a Squeeze."""
    owner = value.owner
    if isinstance(owner, ops.Unsqueeze) and owner.x.rank == rank:
        return owner.x
    if isinstance(owner, ops.Reduce) and _drops_to(owner, rank):
        return rw.create(type(owner), [owner.x], {**owner.attributes, "keepdims": False})
    if isinstance(owner, ops.Elementwise) and not owner.regions:
        operands: list[Value] = []
        for operand in owner.operands:
            data = constant_array(operand)
            source = operand.owner
            if data is not None and data.size == 1:
                operands.append(new_constant(rw, data.reshape((1,) * rank)))
            elif isinstance(source, ops.Unsqueeze) and source.x.rank == rank:
                operands.append(source.x)
            else:
                break
        else:
            return rw.create(type(owner), operands, owner.attributes)
    return rw.create(ops.Squeeze, [value], {"axes": tuple(range(value.rank - rank))})


def _drops_to(reduction: ops.Reduce, rank: int) -> bool:
    """The reduction keeps its reduced dims, and without them its result has ``rank``."""
    return reduction.keepdims and reduction.x.rank - len(reduction.reduced_axes()) == rank


class SinkScalarSelect(PatternPass):
    """Sum a one-condition selection's data before selecting (see the module docstring)."""

    NAME = "sink-scalar-select"
    PATTERNS = (sum_of_scalar_select,)


__all__ = ["SinkScalarSelect", "sum_of_scalar_select"]
