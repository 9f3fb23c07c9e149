"""Facts about values: a forward range/NaN/-0.0 analysis and a backward "is the sign of a zero
observed" analysis over a function, for passes and lowering rules that drop exactness work.

Forward, every value gets ``ValueFacts``: bounds ``lo <= x <= hi`` on its non-NaN elements
(±0.0 compare as 0; infinities included), whether it may hold NaN, whether it may hold -0.0,
and its data when it is a constant. Shapes are in the value's type. The facts hold for the IR's
(numpy) semantics *and* for what the lowering computes where it leaves out a signed-zero fix-up
(ONNX Runtime's sum of -0.0s is -0.0, numpy's is +0.0: the facts say "may be -0.0"), so a rule
may rely on them either way. Bounds are widened outward by a few ulps of the value's dtype, so
one ulp of difference between numpy's and ONNX Runtime's functions cannot break them; a bound
that rounds below the smallest normal number is taken as "may be zero".

Backward, ``zero_sign_observed(v)`` is False when no output can tell -0.0 from +0.0 in ``v``: each
user either gives the same bits for both (``exp``, comparisons, a sum with an operand that is
never -0.0, ...) or differs only in the sign of a zero that is itself not observed. Outputs,
region terminators and ops without a rule here observe it (conservative).

Ops inside regions are analysed with their block arguments unknown; results of ops with
regions are unknown. Unknown is the full range of the dtype, NaN and -0.0 possible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from ir import dtypes, ops
from ir.core import Block, Operation, Return, Value, Yield
from ir.ops.tensor import constant_array

INF = math.inf
#: Widening of a bound computed by a correctly rounded operation (+, -, *, /, sqrt) and by a
#: libm function (exp, log, ...; ONNX Runtime's may be a few ulps off numpy's).
_EXACT_ULPS = 1
_LIBM_ULPS = 4


@dataclass(frozen=True)
class ValueFacts:
    """What holds for every element of a value (see the module docstring)."""

    #: Every non-NaN element x satisfies lo <= x <= hi (-0.0 and +0.0 are 0 here).
    lo: float
    hi: float
    #: The value may hold NaN.
    nan: bool
    #: The value may hold -0.0.
    neg_zero: bool
    #: The data of a constant (read-only), else None.
    constant: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def finite(self) -> bool:
        """No NaN and no infinity."""
        return not self.nan and self.lo > -INF and self.hi < INF

    @property
    def may_be_zero(self) -> bool:
        return self.lo <= 0.0 <= self.hi

    @property
    def may_be_inf(self) -> bool:
        return self.lo == -INF or self.hi == INF

    @property
    def sign_bit_may_be_set(self) -> bool:
        """A negative number or -0.0 (NaN aside)."""
        return self.lo < 0.0 or self.neg_zero

    @property
    def sign_bit_may_be_clear(self) -> bool:
        """A positive number or +0.0 (NaN aside)."""
        return self.hi >= 0.0

    @property
    def nonnegative(self) -> bool:
        """Every element is >= +0.0 or NaN (no negative number and no -0.0)."""
        return self.lo >= 0.0 and not self.neg_zero


def unknown(dtype: str) -> ValueFacts:
    """Nothing known about a value of ``dtype``."""
    if dtype == "bool":
        return ValueFacts(0.0, 1.0, nan=False, neg_zero=False)
    if dtype in dtypes.FLOAT_DTYPES:
        return ValueFacts(-INF, INF, nan=True, neg_zero=True)
    info = np.iinfo(np.dtype(dtype))
    return ValueFacts(float(info.min), float(info.max), nan=False, neg_zero=False)


def of_array(array: np.ndarray) -> ValueFacts:
    """The exact facts of constant data."""
    if array.dtype.kind == "b":
        lo, hi = (float(array.min()), float(array.max())) if array.size else (0.0, 0.0)
        return ValueFacts(lo, hi, nan=False, neg_zero=False, constant=array)
    if array.dtype.kind in "iu":
        lo, hi = (float(array.min()), float(array.max())) if array.size else (0.0, 0.0)
        return ValueFacts(lo, hi, nan=False, neg_zero=False, constant=array)
    nan = bool(np.isnan(array).any())
    finite = array[~np.isnan(array)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (INF, -INF)
    neg_zero = bool(np.any((array == 0) & np.signbit(array)))
    return ValueFacts(lo, hi, nan=nan, neg_zero=neg_zero, constant=array)


# -- rounding bounds outward in a dtype -----------------------------------------------------------


def _outward(lo: float, hi: float, dtype: str, ulps: int) -> tuple[float, float]:
    """[lo, hi] widened to hold the exact bounds rounded to ``dtype`` and ``ulps`` ulps more; NaN
    bounds (inf - inf) become infinite. Integers: the dtype's range when the bounds leave it
    (integer arithmetic wraps)."""
    lo = -INF if math.isnan(lo) else lo
    hi = INF if math.isnan(hi) else hi
    if dtype == "bool":
        return max(lo, 0.0), min(hi, 1.0)
    if dtype not in dtypes.FLOAT_DTYPES:
        info = np.iinfo(np.dtype(dtype))
        if lo < info.min or hi > info.max:
            return float(info.min), float(info.max)
        return float(math.floor(lo)), float(math.ceil(hi))
    np_dtype = np.dtype(dtype)
    tiny = float(np.finfo(np_dtype).smallest_normal)
    with np.errstate(all="ignore"):
        low, high = np.array(lo, np_dtype), np.array(hi, np_dtype)
        # (A zero bound of a correctly rounded op is that op's result on the bounds: exact.)
        for _ in range(0 if lo == 0.0 and ulps == _EXACT_ULPS else ulps):
            low = np.nextafter(low, np_dtype.type(-INF))
        for _ in range(0 if hi == 0.0 and ulps == _EXACT_ULPS else ulps):
            high = np.nextafter(high, np_dtype.type(INF))
    out_lo, out_hi = float(low), float(high)
    # Subnormal results may be flushed to zero by a kernel: take them as possibly zero.
    if 0.0 < out_lo < tiny:
        out_lo = 0.0
    if -tiny < out_hi < 0.0:
        out_hi = 0.0
    return out_lo, out_hi


def _make(
    lo: float, hi: float, dtype: str, *, nan: bool, neg_zero: bool, ulps: int = _EXACT_ULPS
) -> ValueFacts:
    lo, hi = _outward(lo, hi, dtype, ulps)
    if dtype not in dtypes.FLOAT_DTYPES:
        return ValueFacts(lo, hi, nan=False, neg_zero=False)
    return ValueFacts(lo, hi, nan=nan, neg_zero=neg_zero and lo <= 0.0 <= hi)


def _union(facts: Sequence[ValueFacts], dtype: str) -> ValueFacts:
    return ValueFacts(
        min(f.lo for f in facts),
        max(f.hi for f in facts),
        nan=any(f.nan for f in facts) and dtype in dtypes.FLOAT_DTYPES,
        neg_zero=any(f.neg_zero for f in facts) and dtype in dtypes.FLOAT_DTYPES,
    )


def _products(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float, bool]:
    """min and max of the products of the bounds, and whether one of them is 0 * inf."""
    with np.errstate(all="ignore"):
        corners = [np.float64(x) * np.float64(y) for x in a for y in b]
    undefined = any(math.isnan(c) for c in corners)
    finite = [float(c) for c in corners if not math.isnan(c)]
    if not finite:
        return -INF, INF, True
    return min(finite), max(finite), undefined


# -- forward transfer functions -------------------------------------------------------------------

Transfer = Callable[[Operation, list[ValueFacts]], list[ValueFacts]]
_FORWARD: dict[type[Operation], Transfer] = {}


def _forward(*classes: type[Operation]) -> Callable[[Transfer], Transfer]:
    def register(fn: Transfer) -> Transfer:
        for cls in classes:
            _FORWARD[cls] = fn
        return fn

    return register


def _dtype_of(op: Operation) -> str:
    return op.results[0].dtype


def _add2(x: ValueFacts, y: ValueFacts, dtype: str) -> ValueFacts:
    with np.errstate(all="ignore"):
        lo, hi = float(np.float64(x.lo) + y.lo), float(np.float64(x.hi) + y.hi)
    nan = x.nan or y.nan or math.isnan(lo) or math.isnan(hi) or (lo == -INF and hi == INF)
    # Round to nearest: a sum is -0.0 only when both terms are -0.0.
    return _make(lo, hi, dtype, nan=nan, neg_zero=x.neg_zero and y.neg_zero)


def _negate(x: ValueFacts) -> ValueFacts:
    return ValueFacts(-x.hi, -x.lo, nan=x.nan, neg_zero=x.may_be_zero)


def _mul2(x: ValueFacts, y: ValueFacts, dtype: str) -> ValueFacts:
    lo, hi, undefined = _products((x.lo, x.hi), (y.lo, y.hi))
    nan = (
        x.nan
        or y.nan
        or undefined
        or (x.may_be_zero and y.may_be_inf)
        or (y.may_be_zero and x.may_be_inf)
    )
    out = _make(lo, hi, dtype, nan=nan, neg_zero=True)
    signs_differ = (x.sign_bit_may_be_set and y.sign_bit_may_be_clear) or (
        x.sign_bit_may_be_clear and y.sign_bit_may_be_set
    )
    zero = x.may_be_zero or y.may_be_zero or out.may_be_zero
    return ValueFacts(out.lo, out.hi, nan=out.nan, neg_zero=zero and signs_differ)


@_forward(ops.Add)
def _f_add(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    dtype = _dtype_of(op)
    out = args[0]
    for a in args[1:]:
        out = _add2(out, a, dtype)
    return [out]


@_forward(ops.Sub)
def _f_sub(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    x, y = args
    return [_add2(x, _negate(y), _dtype_of(op))]


@_forward(ops.Mul)
def _f_mul(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    dtype = _dtype_of(op)
    if len(op.operands) == 2 and op.operands[0] is op.operands[1]:  # x * x
        x = args[0]
        with np.errstate(all="ignore"):
            squares = (float(np.float64(x.lo) ** 2), float(np.float64(x.hi) ** 2))
        low = 0.0 if x.may_be_zero else min(squares)
        high = max(squares)
        return [_make(low, high, dtype, nan=x.nan, neg_zero=False)]
    out = args[0]
    for a in args[1:]:
        out = _mul2(out, a, dtype)
    return [out]


@_forward(ops.Div)
def _f_div(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    x, y = args
    dtype = _dtype_of(op)
    if dtype not in dtypes.FLOAT_DTYPES:
        return [unknown(dtype)]
    signs_differ = (x.sign_bit_may_be_set and y.sign_bit_may_be_clear) or (
        x.sign_bit_may_be_clear and y.sign_bit_may_be_set
    )
    if y.may_be_zero:
        nan = x.nan or y.nan or x.may_be_zero or (x.may_be_inf and y.may_be_inf)
        return [ValueFacts(-INF, INF, nan=nan, neg_zero=True)]
    with np.errstate(all="ignore"):
        corners = [float(np.float64(a) / np.float64(b)) for a in (x.lo, x.hi) for b in (y.lo, y.hi)]
    nan = x.nan or y.nan or (x.may_be_inf and y.may_be_inf)
    finite = [c for c in corners if not math.isnan(c)]
    lo, hi = (min(finite), max(finite)) if finite else (-INF, INF)
    out = _make(lo, hi, dtype, nan=nan, neg_zero=True)
    zero = x.may_be_zero or y.may_be_inf or out.may_be_zero
    return [ValueFacts(out.lo, out.hi, nan=out.nan, neg_zero=zero and signs_differ)]


@_forward(ops.Neg)
def _f_neg(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    dtype = _dtype_of(op)
    if dtype not in dtypes.FLOAT_DTYPES:
        x = args[0]
        return [_make(-x.hi, -x.lo, dtype, nan=False, neg_zero=False)]
    return [_negate(args[0])]


@_forward(ops.Abs)
def _f_abs(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    (x,) = args
    dtype = _dtype_of(op)
    if dtype not in dtypes.FLOAT_DTYPES and dtype != "bool":
        return [unknown(dtype)]  # abs(INT_MIN) wraps
    lo = 0.0 if x.may_be_zero else min(abs(x.lo), abs(x.hi))
    # (-0.0 kept as possible: whether a kernel clears the sign of -0.0 is not relied on.)
    return [ValueFacts(lo, max(abs(x.lo), abs(x.hi)), nan=x.nan, neg_zero=x.neg_zero)]


def _monotonic(
    fn: Callable[[float], float], lo_clip: float = -INF, out_lo: float = -INF
) -> Transfer:
    """A nondecreasing function, NaN below ``lo_clip``, never below ``out_lo``."""

    def transfer(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
        (x,) = args
        dtype = _dtype_of(op)
        with np.errstate(all="ignore"):
            lo = float(fn(max(x.lo, lo_clip)))
            hi = float(fn(x.hi)) if x.hi >= lo_clip else lo
        out = _make(max(lo, out_lo), hi, dtype, nan=x.nan or x.lo < lo_clip, neg_zero=False,
                    ulps=_LIBM_ULPS)  # fmt: skip
        return [ValueFacts(max(out.lo, out_lo), out.hi, nan=out.nan, neg_zero=False)]

    return transfer


_forward(ops.Exp)(_monotonic(lambda v: np.exp(np.float64(v)), out_lo=0.0))
_forward(ops.Exp2)(_monotonic(lambda v: np.exp2(np.float64(v)), out_lo=0.0))
_forward(ops.Log)(_monotonic(lambda v: np.log(np.float64(v)), lo_clip=0.0))
_forward(ops.Log2)(_monotonic(lambda v: np.log2(np.float64(v)), lo_clip=0.0))
_forward(ops.Log10)(_monotonic(lambda v: np.log10(np.float64(v)), lo_clip=0.0))
_forward(ops.Sigmoid)(_monotonic(lambda v: 1.0 / (1.0 + np.exp(-np.float64(v))), out_lo=0.0))
_forward(ops.Softplus)(_monotonic(lambda v: np.logaddexp(0.0, np.float64(v)), out_lo=0.0))


def _sign_keeping(fn: Callable[[float], float], lo_clip: float = -INF) -> Transfer:
    """A nondecreasing function with f(±0) = ±0 (it keeps -0.0), NaN below ``lo_clip``."""

    def transfer(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
        (x,) = args
        with np.errstate(all="ignore"):
            lo = float(fn(max(x.lo, lo_clip)))
            hi = float(fn(x.hi)) if x.hi >= lo_clip else lo
        nan = x.nan or x.lo < lo_clip
        return [_make(lo, hi, _dtype_of(op), nan=nan, neg_zero=x.neg_zero, ulps=_LIBM_ULPS)]

    return transfer


_forward(ops.Sqrt)(_sign_keeping(lambda v: np.sqrt(np.float64(v)), lo_clip=0.0))
_forward(ops.Tanh)(_sign_keeping(lambda v: np.tanh(np.float64(v))))
_forward(ops.Log1p)(_sign_keeping(lambda v: np.log1p(np.float64(v)), lo_clip=-1.0))
_forward(ops.Expm1)(_sign_keeping(lambda v: np.expm1(np.float64(v))))
_forward(ops.Erf)(_sign_keeping(lambda v: math.erf(v) if math.isfinite(v) else math.copysign(1, v)))
_forward(ops.Floor)(_sign_keeping(lambda v: np.floor(np.float64(v))))


@_forward(ops.Ceil, ops.RoundHalfToEven, ops.RoundHalfAwayFromZero, ops.Trunc)
def _f_round_up(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    """ceil(-0.5), round(-0.4), trunc(-0.5) are -0.0."""
    (x,) = args
    lo, hi = math.floor(x.lo) if math.isfinite(x.lo) else x.lo, x.hi
    hi = math.ceil(hi) + 1.0 if math.isfinite(hi) else hi
    return [_make(lo, hi, _dtype_of(op), nan=x.nan, neg_zero=x.neg_zero or x.lo < 0.0)]


@_forward(ops.Sin, ops.Cos)
def _f_sin_cos(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    (x,) = args
    # sin is exactly 0 only at ±0 (and keeps its sign); cos is never exactly 0.
    neg_zero = x.neg_zero if isinstance(op, ops.Sin) else False
    return [ValueFacts(-1.0, 1.0, nan=x.nan or x.may_be_inf, neg_zero=neg_zero)]


@_forward(ops.Sign)
def _f_sign(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    (x,) = args
    lo = -1.0 if x.lo < 0 else 0.0 if x.lo == 0 else 1.0
    hi = 1.0 if x.hi > 0 else 0.0 if x.hi == 0 else -1.0
    return [_make(lo, hi, _dtype_of(op), nan=x.nan, neg_zero=x.neg_zero)]


@_forward(ops.Maximum, ops.Minimum)
def _f_extremum(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    x, y = args
    pick = max if isinstance(op, ops.Maximum) else min
    dtype = _dtype_of(op)
    return [_make(pick(x.lo, y.lo), pick(x.hi, y.hi), dtype, nan=x.nan or y.nan,
                  neg_zero=x.neg_zero or y.neg_zero, ulps=0)]  # fmt: skip


@_forward(ops.IsNan, ops.IsInf, *ops.Compare.__subclasses__())
def _f_bool(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    return [unknown("bool")]


@_forward(ops.Where)
def _f_where(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    cond, a, b = args
    if cond.constant is not None and cond.constant.size and cond.lo == cond.hi:
        return [a if cond.lo else b]
    return [_union([a, b], _dtype_of(op))]


@_forward(ops.Clip)
def _f_clip(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    x, lo, hi = args
    out = _union([x, lo, hi], _dtype_of(op))
    if not (lo.nan or hi.nan) and lo.hi <= hi.lo:  # proper bounds: within them
        return [ValueFacts(max(out.lo, lo.lo), min(out.hi, hi.hi), nan=x.nan,
                           neg_zero=out.neg_zero)]  # fmt: skip
    return [out]


@_forward(ops.Cast)
def _f_cast(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    (x,) = args
    src, dst = op.operands[0].dtype, _dtype_of(op)
    if dst == "bool":
        return [unknown("bool")]
    if dst in dtypes.FLOAT_DTYPES:
        return [_make(x.lo, x.hi, dst, nan=x.nan, neg_zero=x.neg_zero)]
    if src in dtypes.FLOAT_DTYPES:  # NaN, inf and out-of-range values: no defined result
        if x.finite:
            return [_make(math.trunc(x.lo), math.trunc(x.hi), dst, nan=False, neg_zero=False)]
        return [unknown(dst)]
    return [_make(x.lo, x.hi, dst, nan=False, neg_zero=False)]


def _first_operand(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    """Data movement: every result holds elements of operand 0 only."""
    return [args[0]] * len(op.results)


for _cls in (
    ops.Squeeze, ops.Unsqueeze, ops.Transpose, ops.DimShuffle, ops.Reshape, ops.Expand,
    ops.Slice, ops.Gather, ops.GatherElements, ops.GatherND, ops.Split,
):  # fmt: skip
    _forward(_cls)(_first_operand)


@_forward(ops.Second)
def _f_second(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    return [args[1]]


@_forward(ops.Concat)
def _f_concat(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    return [_union(args, _dtype_of(op))]


@_forward(ops.ScatterElements, ops.ScatterND)
def _f_scatter(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    return [_union([args[0], args[-1]], _dtype_of(op))]


@_forward(ops.Constant)
def _f_constant(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    array = constant_array(op.results[0])
    assert array is not None
    return [of_array(array)]


@_forward(ops.Shape)
def _f_shape(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    return [ValueFacts(0.0, float(2**63 - 1), nan=False, neg_zero=False)]


@_forward(ops.ReduceSum)
def _f_reduce_sum(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    (x,) = args
    dtype = _dtype_of(op)
    if dtype not in dtypes.FLOAT_DTYPES:
        return [unknown(dtype)]
    lo = 0.0 if x.lo >= 0 else -INF
    hi = 0.0 if x.hi <= 0 else INF
    # A sum is NaN from a NaN, or from +inf meeting -inf (an element or an overflowed partial
    # sum; partial sums of finite elements never come back from an infinity).
    nan = x.nan or (x.hi == INF and x.lo < 0) or (x.lo == -INF and x.hi > 0)
    # numpy's sum starts from +0.0, ONNX Runtime's keeps an all -0.0 sum -0.0.
    return [ValueFacts(lo, hi, nan=nan, neg_zero=x.neg_zero)]


@_forward(ops.ReduceSumSquare)
def _f_reduce_sum_square(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    (x,) = args
    # Squares are +0.0 or more (overflow: +inf), so their sum is too: NaN only from a NaN.
    return [ValueFacts(0.0, INF, nan=x.nan, neg_zero=False)]


@_forward(ops.ReduceMax, ops.ReduceMin)
def _f_reduce_extremum(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    (x,) = args
    # An empty max is -inf (and an empty min +inf) in the lowering.
    lo = -INF if isinstance(op, ops.ReduceMax) else x.lo
    hi = INF if isinstance(op, ops.ReduceMin) else x.hi
    if op.results[0].dtype not in dtypes.FLOAT_DTYPES:
        return [unknown(op.results[0].dtype)]
    return [ValueFacts(lo, hi, nan=x.nan, neg_zero=x.neg_zero)]


@_forward(ops.Softmax)
def _f_softmax(op: Operation, args: list[ValueFacts]) -> list[ValueFacts]:
    (x,) = args
    return [ValueFacts(0.0, 1.0, nan=x.nan or x.may_be_inf, neg_zero=False)]


# -- backward: is the sign of a zero observed? ----------------------------------------------------

#: The result does not depend on the sign of a zero operand: f(-0.0) and f(+0.0) are the same.
_SIGN_BLIND: frozenset[type[Operation]] = frozenset({
    ops.Exp, ops.Exp2, ops.Log, ops.Log2, ops.Log10, ops.Cos, ops.Cosh, ops.Sigmoid,
    ops.Softplus, ops.IsNan, ops.IsInf, *ops.Compare.__subclasses__(), ops.ReduceSumSquare,
})  # fmt: skip
#: A zero operand's sign changes at most the sign of a zero result (at operand ``index`` when
#: ``_PASSES_SIGN_AT`` names one, else at every operand).
_PASSES_SIGN: frozenset[type[Operation]] = frozenset({
    ops.Mul, ops.Neg, ops.Abs, ops.Sqrt, ops.Sin, ops.Tanh, ops.Sinh, ops.Tan, ops.Log1p,
    ops.Expm1, ops.Erf, ops.Floor, ops.Ceil, ops.Trunc, ops.RoundHalfToEven,
    ops.RoundHalfAwayFromZero, ops.Sign, ops.Maximum, ops.Minimum, ops.Clip, ops.MatMul,
    ops.ReduceSum, ops.ReduceMax, ops.ReduceMin, ops.Squeeze, ops.Unsqueeze, ops.Transpose,
    ops.DimShuffle, ops.Reshape, ops.Expand, ops.Concat, ops.Split, ops.ScatterElements,
    ops.ScatterND,
})  # fmt: skip
#: Ops that pass the sign at these operand indices only; the other operands are indices,
#: shapes or conditions (no signed zeros to see).
_PASSES_SIGN_AT: dict[type[Operation], frozenset[int]] = {
    ops.Div: frozenset({0}),
    ops.Where: frozenset({1, 2}),
    ops.Second: frozenset({1}),
    ops.Slice: frozenset({0}),
    ops.Gather: frozenset({0}),
    ops.GatherElements: frozenset({0}),
    ops.GatherND: frozenset({0}),
}
#: Operands whose dtype cannot hold -0.0 or that a rule above reads as an index or condition.
_INDEX_OPERANDS: dict[type[Operation], frozenset[int]] = {
    ops.Where: frozenset({0}),
    ops.Second: frozenset({0}),
    ops.Slice: frozenset({1, 2, 3}),
    ops.Gather: frozenset({1}),
    ops.GatherElements: frozenset({1}),
    ops.GatherND: frozenset({1}),
    ops.Reshape: frozenset({1}),
    ops.Expand: frozenset({1}),
    ops.Split: frozenset({1}),
}


class Facts:
    """The facts of every value of a function (or any block), computed on first query."""

    def __init__(self, block: Block) -> None:
        self._block = block
        self._forward: dict[Value, ValueFacts] | None = None
        self._observed: dict[Value, bool] | None = None

    # -- queries ----------------------------------------------------------------------------------

    def of(self, value: Value) -> ValueFacts:
        """The forward facts of ``value`` (unknown for a value not in the block)."""
        if self._forward is None:
            self._forward = {}
            self._run_forward(self._block)
        found = self._forward.get(value)
        return found if found is not None else unknown(value.dtype)

    def zero_sign_observed(self, value: Value) -> bool:
        """False when no output can tell whether a zero of ``value`` is -0.0 or +0.0."""
        if value.dtype not in dtypes.FLOAT_DTYPES:
            return False
        if self._observed is None:
            self.of(value)  # the backward rules read forward facts
            self._observed = {}
            self._run_backward(self._block)
        return self._observed.get(value, True)

    def may_be_negative_zero(self, value: Value) -> bool:
        """``value`` may hold a -0.0 that an output can observe."""
        return self.of(value).neg_zero and self.zero_sign_observed(value)

    # -- forward ----------------------------------------------------------------------------------

    def _run_forward(self, block: Block) -> None:
        assert self._forward is not None
        known = self._forward
        for arg in block.args:
            known[arg] = unknown(arg.dtype)
        for op in block.ops:
            for region in op.regions:
                self._run_forward(region)
            if isinstance(op, Return | Yield):
                continue
            rule = None if op.regions else _FORWARD.get(type(op))
            facts: list[ValueFacts] | None = None
            if rule is not None:
                args = [known.get(v) or unknown(v.dtype) for v in op.operands]
                facts = rule(op, args)
            if facts is None or len(facts) != len(op.results):
                facts = [unknown(r.dtype) for r in op.results]
            for result, fact in zip(op.results, facts, strict=True):
                known[result] = fact

    # -- backward ---------------------------------------------------------------------------------

    def _run_backward(self, block: Block) -> None:
        assert self._observed is not None
        for op in reversed(list(block.ops)):
            for result in op.results:
                self._observed[result] = any(self._use_observes(u.op, u.index) for u in result.uses)
            for region in op.regions:
                self._run_backward(region)
        for arg in block.args:
            self._observed[arg] = any(self._use_observes(u.op, u.index) for u in arg.uses)

    def _use_observes(self, user: Operation, index: int) -> bool:
        """Whether operand ``index`` of ``user`` lets an output see the sign of its zeros."""
        assert self._observed is not None
        if isinstance(user, Return | Yield) or user.regions:
            return True
        cls = type(user)
        if index in _INDEX_OPERANDS.get(cls, frozenset()):
            return False
        if cls in _SIGN_BLIND:
            return False
        if cls is ops.Cast:
            return user.results[0].dtype in dtypes.FLOAT_DTYPES and self._results_observed(user)
        if cls is ops.Add:
            # (-0.0) + y and (+0.0) + y differ only when every other term is -0.0.
            others = [v for i, v in enumerate(user.operands) if i != index]
            return all(self.of(v).neg_zero for v in others) and self._results_observed(user)
        if cls is ops.Sub:
            x, y = user.operands
            # x - y with x = ±0 differs only for y = +0.0; with y = ±0 only for x = -0.0.
            differs = self.of(y).may_be_zero if index == 0 else self.of(x).neg_zero
            return differs and self._results_observed(user)
        at = _PASSES_SIGN_AT.get(cls)
        if at is not None:
            return index not in at or self._results_observed(user)
        if cls in _PASSES_SIGN:
            return self._results_observed(user)
        return True

    def _results_observed(self, op: Operation) -> bool:
        assert self._observed is not None
        return any(self._observed.get(r, True) for r in op.results)


def walk_values(block: Block) -> Iterator[Value]:
    """Every value defined in ``block`` and its regions, in order (for tests and dumps)."""
    yield from block.args
    for op in block.ops:
        for region in op.regions:
            yield from walk_values(region)
        yield from op.results


__all__ = ["Facts", "ValueFacts", "of_array", "unknown", "walk_values"]
