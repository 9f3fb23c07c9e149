"""Fast math (opt-in): rewrites exact in real arithmetic that change the last bits of floats,
so that full-size chains take fewer passes over memory.

PyTensor's default mode compiles with ``numba__fastmath=True`` and so reassociates too; the
compiler's default pipeline keeps every bit, and these rewrites run only with
``CompileOptions(fast_math=True)``. Every rule moves a one-element factor or divisor out
of a sum (or a product over a long axis) onto its small result:

    reduce_sum(x * k)          →  reduce_sum(x) * k
    reduce_sum(x / k)          →  reduce_sum(x) / k
    reduce_sum(x * x)          →  reduce_sum_square(x)           (and x ** 2)
    reduce_sum_square(x / k)   →  reduce_sum_square(x) / k / k
    reduce_sum(neg(x))         →  neg(reduce_sum(x))
    matmul(a, x / k)           →  matmul(a, x) / k
    scatter_add(0, i, x / k)   →  scatter_add(0, i, x) / k

(k one element, broadcast over x; factors and divisors through one level of nesting and
through reshapes). What can change is said in each rule's docstring: the last bits of a sum
(its rounding errors, a few ulps times the number of terms), the sign of a zero result, and
where intermediate values overflow (only for magnitudes far beyond typical ones, noted).
Infinite and NaN operands give infinite or NaN results either way, but for an empty sum: a
sum of no elements times an infinite or NaN k is NaN where it was 0. Sums of squares can also
underflow where the scaled squares did not (``(x / s)**2`` with x and s both near 1e-170).

There is no rule for shifts (``reduce_sum(x - k)`` → ``reduce_sum(x) - n * k``): where x is
close to k, as in a log-density's gradient with respect to a location near its data, the
original differences are exact and the rewritten form cancels catastrophically (1e9 ulps on
10 000 values near 1e8).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ir import ops
from ir.core import Operation, Value
from ir.ops.tensor import constant_array
from passes.conv import new_constant
from passes.pass_manager import Pass
from passes.rewriter import PatternPass, Rewriter, pattern

#: A pipeline step as ``passes.PipelineItem`` names it (a pass name, object or class).
type PipelineStep = str | Pass | type[Pass]

#: The dtypes the rules apply to (float16 sums have their own accumulation rules).
DTYPES = frozenset({"float32", "float64"})
#: Ops that only rearrange elements, through which a one-element factor commutes exactly.
_RESHAPES = (ops.Reshape, ops.Squeeze, ops.Unsqueeze)


def _one_element(value: Value) -> bool:
    return value.type.size == 1


def _fit(rw: Rewriter, k: Value, rank: int) -> Value:
    """A one-element ``k`` at rank ``rank`` or below, so that it broadcasts onto a value of
    that rank without changing its shape: the value it was unsqueezed from, a constant of
    rank 0, or a Squeeze of its leading dims."""
    if k.rank <= rank:
        return k
    owner = k.owner
    if isinstance(owner, ops.Unsqueeze) and owner.x.rank <= rank:
        return owner.x
    data = constant_array(k)
    if data is not None:
        return new_constant(rw, np.array(data.reshape(())))
    return rw.create(ops.Squeeze, [k], {"axes": tuple(range(k.rank - rank))})


class Scaled:
    """A value seen as ``base * scale[0] * ... / divisors[0] / ...``, each scale and divisor one
    element and ``base`` of the value's type."""

    def __init__(self, base: Value, scale: list[Value], divisors: list[Value]) -> None:
        self.base = base
        self.scale = scale
        self.divisors = divisors

    @property
    def scaled(self) -> bool:
        return bool(self.scale or self.divisors)

    def apply(self, rw: Rewriter, value: Value) -> Value:
        """``value * scale... / divisors...`` (one-element operands fitted to its rank)."""
        if self.scale:
            value = rw.create(ops.Mul, [value, *[_fit(rw, k, value.rank) for k in self.scale]])
        for d in self.divisors:
            value = rw.create(ops.Div, [value, _fit(rw, d, value.rank)])
        return value


def _scaled(value: Value) -> Scaled:
    """``value`` as a ``Scaled``: ``x / k``, or a product of one operand of the value's type
    and one-element ones (all of its dtype); else ``value`` itself (no scale)."""
    owner = value.owner
    if owner is None or any(v.dtype != value.dtype for v in owner.operands):
        return Scaled(value, [], [])  # (a scalar of another dtype would change the result's)
    if isinstance(owner, ops.Div) and owner.x.type == value.type and _one_element(owner.y):
        return Scaled(owner.x, [], [owner.y])
    if isinstance(owner, ops.Mul):
        full = [v for v in owner.operands if not _one_element(v)]
        rest = [v for v in owner.operands if _one_element(v)]
        if len(full) == 1 and full[0].type == value.type:
            return Scaled(full[0], rest, [])
    return Scaled(value, [], [])


def _is_two(value: Value) -> bool:
    """``value`` is a one-element constant 2."""
    data = constant_array(value)
    return data is not None and data.size == 1 and float(data.reshape(())) == 2.0


def _float_sum(op: ops.Reduce, rw: Rewriter) -> bool:
    """The reduction sums float32/float64 over at least one axis of more than one element."""
    if op.result.dtype not in DTYPES or not op.reduced_axes():
        return rw.fail("not a float32/float64 sum over some axis")
    if _one_element(op.x):
        return rw.fail("a sum of one element: nothing to move out")
    owner = op.x.owner
    if owner is not None and any(v.dtype != op.result.dtype for v in owner.operands):
        return rw.fail("operands of mixed dtypes")
    return True


def _sum_like(rw: Rewriter, op: ops.Reduce, cls: type[ops.Reduce], x: Value) -> Value:
    """``cls`` over ``op``'s axes of ``x``, with ``op``'s result shape. Made without kept dims
    (unsqueezed after): the sums that two rules make of one value, one with and one without
    kept dims, are then one sum for ``cse``."""
    axes = op.reduced_axes()
    total = rw.create(cls, [x], {"axes": axes, "keepdims": False})
    if op.keepdims:
        total = rw.create(ops.Unsqueeze, [total], {"axes": axes})
    return total


@pattern(ops.ReduceSum)
def sum_of_product(op: ops.ReduceSum, rw: Rewriter) -> bool:
    """`reduce_sum(x * k / d)` → `reduce_sum(x) * k / d`; `reduce_sum(x * x)` → sum of squares

    ``reduce_sum(x * x)`` and ``reduce_sum(x ** 2)`` become ``reduce_sum_square(x)`` (x ** 2
    is x * x rounded once, as in numpy and ONNX Runtime). k and d are one element; the
    product's full-size operands may themselves be ``y / d`` or ``y * k`` (their scalars move
    out too: ``sum((r / s) * r)`` → ``reduce_sum_square(r) / s``). Changes the rounding (the
    scale multiplies the sum once instead of every term: a few ulps); a product of full-size
    operands with other users declines (a new product would be a pass more). Overflow:
    ``sum(x) * k`` overflows where every ``x * k`` is finite only when the sum of x alone
    passes the dtype's range (|x| summing past 1e308 in float64)."""
    if not _float_sum(op, rw):
        return False
    product = op.x.owner
    full: list[Value] = []
    outer = Scaled(op.x, [], [])
    if isinstance(product, ops.Div):
        outer = _scaled(op.x)
        if not outer.scaled:
            return rw.fail("a quotient by more than one element")
        full = [outer.base]
    elif isinstance(product, ops.Mul):
        for v in product.operands:
            if _one_element(v):
                outer.scale.append(v)
            elif v.type == op.x.type:
                inner = _scaled(v)
                full.append(inner.base)
                outer.scale.extend(inner.scale)
                outer.divisors.extend(inner.divisors)
            else:
                return rw.fail("an operand broadcast by another")
    elif isinstance(product, ops.Pow) and _is_two(product.y) and product.x.type == op.x.type:
        inner = _scaled(product.x)
        full = [inner.base, inner.base]
        outer.scale = [k for k in inner.scale for _ in (0, 1)]
        outer.divisors = [d for d in inner.divisors for _ in (0, 1)]
    else:
        return rw.fail("not a sum of a product, quotient or square")
    square = len(full) == 2 and full[0] is full[1]
    if not outer.scaled and not square:
        return rw.fail("no one-element factor or divisor, not a square")
    if len(full) == 1:
        total = _sum_like(rw, op, ops.ReduceSum, full[0])
    elif square:
        total = _sum_like(rw, op, ops.ReduceSumSquare, full[0])
    elif op.x.num_uses == 1:
        total = _sum_like(rw, op, ops.ReduceSum, rw.create(ops.Mul, full))
    else:
        return rw.fail("the product has other users (a new product would be a pass more)")
    rw.replace_op(op, [outer.apply(rw, total)])
    return True


@pattern(ops.ReduceSumSquare)
def square_sum_of_scaled(op: ops.ReduceSumSquare, rw: Rewriter) -> bool:
    """`reduce_sum_square(x * k / d)` → `reduce_sum_square(x) * k * k / d / d`

    k and d one element. Changes the rounding (a few ulps). Overflow: the squares of x
    overflow where those of x / d do not when |x| passes the square root of the dtype's
    largest value (1.3e154 in float64, 1.8e19 in float32) and |d| is large enough to bring
    them back: far outside a log-density's residuals."""
    if op.result.dtype not in DTYPES or not op.reduced_axes():
        return rw.fail("not a float32/float64 sum over some axis")
    found = _scaled(op.x)
    if not found.scaled:
        return rw.fail("no one-element factor or divisor")
    total = _sum_like(rw, op, ops.ReduceSumSquare, found.base)
    squared = Scaled(op.x, [k for k in found.scale for _ in (0, 1)],
                     [d for d in found.divisors for _ in (0, 1)])  # fmt: skip
    rw.replace_op(op, [squared.apply(rw, total)])
    return True


@pattern(ops.ReduceSum)
def sum_of_negation(op: ops.ReduceSum, rw: Rewriter) -> bool:
    """`reduce_sum(neg(x))` → `neg(reduce_sum(x))`

    The same additions with every sign flipped: the same bits but for the sign of a zero
    result (-0.0 where the sum of -x was +0.0). No overflow change."""
    if not _float_sum(op, rw):
        return False
    if not isinstance(op.x.owner, ops.Neg):
        return rw.fail("not a sum of a negation")
    total = _sum_like(rw, op, ops.ReduceSum, op.x.owner.x)
    rw.replace_op(op, [rw.create(ops.Neg, [total])])
    return True


def _unscaled(value: Value, rw: Rewriter) -> tuple[Value, Scaled] | None:
    """``value`` without its one-element factors and divisors, looking through reshapes
    (redone on the unscaled value), with the scale found; None when it has none."""
    chain: list[Operation] = []
    inner = value
    while isinstance(inner.owner, _RESHAPES):
        chain.append(inner.owner)
        inner = inner.owner.operands[0]
    found = _scaled(inner)
    if not found.scaled:
        return None
    base = found.base
    for step in reversed(chain):
        base = rw.create(type(step), [base, *step.operands[1:]], step.attributes)
    return base, found


def _smaller(result: Value, operand: Value) -> bool:
    """``result`` has statically no more elements than ``operand`` (scaling it costs less)."""
    r, o = result.type.size, operand.type.size
    return r is not None and o is not None and r <= o


@pattern(ops.MatMul)
def product_of_scaled(op: ops.MatMul, rw: Rewriter) -> bool:
    """`matmul(a, x / k)` → `matmul(a, x) / k` (and `x * k`, either operand, through reshapes)

    k one element; only when the product has no more elements than the scaled operand.
    Changes the rounding (the scale applies once to each dot product instead of to every
    term: a few ulps). Overflow: a dot product of x overflows where that of x / k does not
    only when |k| is large enough to bring it back from past the dtype's range."""
    if op.result.dtype not in DTYPES:
        return rw.fail("not float32/float64")
    for index, side in enumerate(op.operands):
        if not _smaller(op.result, side) or _one_element(side):
            continue
        if _unscaled_static(side) is None:
            continue
        found = _unscaled(side, rw)
        assert found is not None
        base, scaled = found
        operands = [op.a, base] if index == 1 else [base, op.b]
        product = rw.create(ops.MatMul, operands)
        rw.replace_op(op, [scaled.apply(rw, product)])
        return True
    return rw.fail("no operand larger than the product scaled by one element")


def _unscaled_static(value: Value) -> Scaled | None:
    """The scale ``_unscaled`` would find, without creating anything."""
    while isinstance(value.owner, _RESHAPES):
        value = value.owner.operands[0]
    found = _scaled(value)
    return found if found.scaled else None


@pattern(ops.ScatterElements)
def scatter_add_of_scaled(op: ops.ScatterElements, rw: Rewriter) -> bool:
    """`scatter_elements(0, i, x / k, add)` → `scatter_elements(0, i, x, add) / k` (and `x * k`)

    Into zeros (a constant of +0.0), k one element, through reshapes of the updates; only
    when the result has no more elements than the updates. Changes the rounding of each
    accumulated slot (a few ulps) and the sign of untouched slots (0 / k is -0.0 for a
    negative k). A zero k, which made the updates infinite or NaN, now also makes untouched
    slots NaN."""
    if op.result.dtype not in DTYPES or op.reduction != "add":
        return rw.fail("not a float32/float64 scatter-add")
    data = constant_array(op.x)
    if data is None or data.any() or np.signbit(data).any():
        return rw.fail("not scattered into a constant of +0.0")
    if not _smaller(op.result, op.updates) or _unscaled_static(op.updates) is None:
        return rw.fail("updates not scaled by one element, or smaller than the result")
    found = _unscaled(op.updates, rw)
    assert found is not None
    base, scaled = found
    scatter = rw.create(ops.ScatterElements, [op.x, op.indices, base], op.attributes)
    rw.replace_op(op, [scaled.apply(rw, scatter)])
    return True


class Reassociate(PatternPass):
    """Move one-element factors and divisors out of sums and products (fast math: see
    the module docstring; only with ``CompileOptions(fast_math=True)``)."""

    NAME = "reassociate"
    PATTERNS = (
        sum_of_product,
        square_sum_of_scaled,
        sum_of_negation,
        product_of_scaled,
        scatter_add_of_scaled,
    )


#: The passes ``fast_math`` adds to a pipeline, before its last ``dce``: the rewrites, then
#: ``constant-fold`` (the rules' ``n * k`` of a constant k) and ``cse`` (two rules often make
#: the same new sum, e.g. of squares of a residual).
FAST_MATH_PASSES: tuple[str, ...] = ("reassociate", "constant-fold", "cse")


def fast_math_pipeline(pipeline: Sequence[PipelineStep]) -> tuple[PipelineStep, ...]:
    """``pipeline`` with ``FAST_MATH_PASSES`` before its last ``dce`` (at its end without one),
    where the rewrites see the graph the other optimizations left and their dead ops go."""
    names = [p if isinstance(p, str) else p.NAME for p in pipeline]
    at = len(names) - 1 - names[::-1].index("dce") if "dce" in names else len(names)
    return (*pipeline[:at], *FAST_MATH_PASSES, *pipeline[at:])


__all__ = [
    "DTYPES", "FAST_MATH_PASSES", "Reassociate", "Scaled", "fast_math_pipeline",
    "product_of_scaled", "scatter_add_of_scaled", "square_sum_of_scaled", "sum_of_negation",
    "sum_of_product",
]  # fmt: skip
