"""Lowering of elementwise ops to opset 18: the one-to-one emission.

Operands are homogeneous here (``unify-casts`` ran). Where ONNX Runtime lacks a kernel for a
dtype, ops are computed in a wider dtype when that is exact (``LoweringContext.kernel``).
Where ORT's op differs from numpy's, the exact form lives in a module named after what it
fixes (``exact_*.py``: signed zeros of Where, int64 kernels, integer division, float divmod,
powers, rounding, expm1/log1p, softplus, float64 trig); this module calls them.
"""

from __future__ import annotations

import math

import numpy as np

from ir import dtypes, ops
from ir.core import Operation, Value
from ir.ops.tensor import constant_array
from lowering import (  # noqa: F401  (each module registers its rules)
    exact_float64_trig,
    exact_log1p_expm1,
    exact_power,
    exact_rounding,
    exact_softplus,
)
from lowering.context import LoweringContext, LoweringUnsupported, supports
from lowering.elementwise_common import FLOATS, V, _dtype, compute_dtype
from lowering.exact_float_divmod import float_divmod_rule
from lowering.exact_int64_kernels import BROKEN_INT64, int64_safe_extremum, int64_sign
from lowering.exact_integer_division import _int_div, _int_mod
from lowering.exact_log1p_expm1 import _expm1, _log1p
from lowering.exact_signed_zero import signed_zero, where
from lowering.registry import Rule, lowers
from lowering.value_facts import facts_for, value_facts, zero_sign_observed


def _fold(op_type: str) -> Rule:
    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        dtype = _dtype(op)
        out = args[0]
        for arg in args[1:]:
            out = ctx.kernel(op_type, [out, arg], dtype)
        if len(args) == 1:
            out = ctx.op("Identity", out)
        return out

    return rule


lowers(ops.Add)(_fold("Add"))
lowers(ops.Mul)(_fold("Mul"))


def _simple(op_type: str, *, widen_floats: bool = True) -> Rule:
    """One ONNX op of the same name; widening is exact for integers (wrap-around ring
    arithmetic, order) and correctly rounded for float16 computed in float32."""

    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        dtype = _dtype(op)
        if dtype in FLOATS and not widen_floats and not supports(op_type, dtype):
            raise LoweringUnsupported(
                f"ONNX Runtime has no {dtype} {op_type} kernel and no exact rewrite is known; "
                f"cast to float32 first if its precision is enough"
            )
        return ctx.kernel(op_type, args, dtype)

    return rule


#: IR ops that are one ONNX op of the given name.
_ONE_TO_ONE: dict[type[Operation], str] = {
    ops.Sub: "Sub",
    ops.Div: "Div",
    ops.Exp: "Exp",
    ops.Log: "Log",
    ops.Sqrt: "Sqrt",
    ops.Reciprocal: "Reciprocal",
    ops.Tanh: "Tanh",
    ops.Floor: "Floor",
    ops.Ceil: "Ceil",
    ops.RoundHalfToEven: "Round",
}
for _cls, _onnx in _ONE_TO_ONE.items():
    lowers(_cls)(_simple(_onnx))

lowers(ops.Maximum)(int64_safe_extremum("Max", "Greater"))
lowers(ops.Minimum)(int64_safe_extremum("Min", "Less"))


@lowers(ops.Exp2)
def lower_exp2(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    return ctx.op("Pow", ctx.constant(2.0, dtype), args[0])


def _log_base(base: float) -> Rule:
    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        dtype = _dtype(op)
        return ctx.op("Div", ctx.op("Log", args[0]), ctx.constant(math.log(base), dtype))

    return rule


lowers(ops.Log2)(_log_base(2.0))
lowers(ops.Log10)(_log_base(10.0))


@lowers(ops.Silu)
def lower_silu(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """Opset 18 has no SiLU (it came in opset 24): x * sigmoid(x)."""
    dtype = _dtype(op)
    return ctx.op("Mul", args[0], ctx.kernel("Sigmoid", args, dtype))


@lowers(ops.Neg)
def lower_neg(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    if dtype in dtypes.UNSIGNED_DTYPES:
        return ctx.op("Sub", ctx.constant(0, dtype), args[0])  # wraps, as numpy does
    return ctx.kernel("Neg", args, dtype)


@lowers(ops.Abs)
def lower_abs(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    if dtype == "bool":
        return ctx.op("Identity", args[0])
    return ctx.kernel("Abs", args, dtype)


@lowers(ops.Sign)
def lower_sign(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    if dtype == "float16":
        # ORT's float16 Sign gives 0 for NaN (its float32/float64 kernels keep NaN, as numpy).
        return ctx.cast(ctx.op("Sign", ctx.cast(args[0], "float32")), dtype)
    if dtype == "int64" and "Sign" in BROKEN_INT64:
        return int64_sign(ctx, args[0])
    return ctx.kernel("Sign", args, dtype)


@lowers(ops.IntDiv)
def lower_int_div(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """Floor division. ONNX Div truncates integers toward zero, so negative quotients with a
    remainder step down by one. x // 0 is 0 for integers, as in numpy (ORT would trap), and
    so is the divisor -1 kept away from ORT (INT_MIN / -1 traps with SIGFPE on x86): x // -1
    is 0 - x, wrapping as numpy does."""
    dtype = _dtype(op)
    x, y = args
    if dtype in FLOATS:
        return float_divmod_rule(0)(ctx, x, y, dtype)
    if dtype == "bool":  # numpy computes bool // bool in int8; 0/1 values, exact in uint8
        q = _int_div(ctx, ctx.cast(x, "uint8"), ctx.cast(y, "uint8"), "uint8")
        return ctx.cast(q, dtype)
    return _int_div(ctx, x, y, dtype, **_divisor_facts(ctx, op))


def _divisor_facts(ctx: LoweringContext, op: Operation) -> dict[str, bool]:
    """What ``ir.facts`` rules out about an integer division's operands (see ``_int_div``)."""
    x, y = (value_facts(ctx, op, v) for v in op.operands)
    return {
        "y_may_be_zero": y.lo <= 0 <= y.hi,
        "y_may_be_minus_one": y.lo <= -1 <= y.hi,
        "may_round_toward_zero": not (x.lo >= 0 and y.lo > 0),
    }


@lowers(ops.Mod)
def lower_mod(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """Python's x % y (sign of y). Integers: ONNX Mod fmod=0 is exactly that; the divisors 0
    and -1 are replaced by 1 (x % 1 is 0, which is numpy's x % 0 and x % -1; ORT would trap
    on x % 0 and on INT_MIN % -1). Floats: numpy's divmod algorithm (``_float_divmod``)."""
    dtype = _dtype(op)
    x, y = args
    if dtype in FLOATS:
        return float_divmod_rule(1)(ctx, x, y, dtype)
    if dtype == "bool":  # numpy computes bool % bool in int8; 0/1 values, exact in uint8
        x, y = ctx.cast(x, "uint8"), ctx.cast(y, "uint8")
        return ctx.cast(_int_mod(ctx, x, y, "uint8"), dtype)
    facts = _divisor_facts(ctx, op)
    return _int_mod(ctx, x, y, dtype, facts["y_may_be_zero"], facts["y_may_be_minus_one"])


@lowers(ops.Clip)
def lower_clip(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """PyTensor's clip is x < lo ? lo : (x > hi ? hi : x). ONNX Clip (scalar bounds only)
    equals that, NaN and signed zeros included (checked against numpy), for constant bounds
    with lo <= hi that do not broadcast x; other bounds get the comparison form."""
    dtype = _dtype(op)
    x, lo, hi = args
    found = [constant_array(b) for b in op.operands[1:]]
    bounds = [b for b in found if b is not None and b.size == 1]
    if (
        len(bounds) == 2
        and bool(bounds[0].reshape(()) <= bounds[1].reshape(()))  # False for NaN
        and op.result.type == op.operands[0].type
        and not (dtype == "int64" and "Clip" in BROKEN_INT64)
    ):
        scalars = [ctx.constant(b.reshape(()), dtype) for b in bounds]
        return ctx.kernel("Clip", [x, *scalars], dtype)
    # (The conditions have the result's shape, so ORT keeps a -0.0 of x; one of a bound is set
    # back by ``where``.)
    above = ctx.kernel("Greater", [x, hi], dtype, bool_result=True)
    upper = where(ctx, above, hi, x, dtype, zeros=_signed_zero_branches(ctx, op, {"a": 2}))
    below = ctx.kernel("Less", [x, lo], dtype, bool_result=True)
    return where(ctx, below, lo, upper, dtype, zeros=_signed_zero_branches(ctx, op, {"a": 1}))


def _integer_origin(value: Value) -> str | None:
    """What a float64 comparison operand was before unify-casts: "uint64", "signed" (a cast
    from a signed integer), "large" (a constant with whole numbers from 2**53 to 2**64, which
    may have been a uint64 or int64 literal), or None."""
    owner = value.owner
    if isinstance(owner, ops.Cast):
        source = owner.x.dtype
        if source == "uint64":
            return "uint64"
        return "signed" if source in dtypes.SIGNED_DTYPES else None
    data = constant_array(value)
    if data is not None and data.dtype.kind == "f":
        magnitude = np.abs(data)
        if bool(np.any((magnitude >= 2.0**53) & (magnitude <= 2.0**64) & (np.trunc(data) == data))):
            return "large"
    return None


def _compare(op_type: str, negate: bool = False) -> Rule:
    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        dtype = _dtype(op)
        origins = [_integer_origin(v) for v in op.operands] if dtype == "float64" else []
        if ("uint64" in origins and ("signed" in origins or "large" in origins)) or (
            "signed" in origins and "large" in origins
        ):
            # The IR compares uint64 with a signed integer in float64 (numpy's promotion), which
            # rounds beyond 2**53; PyTensor's numpy comparison of those dtypes is exact. (With a
            # constant below 2**53 on one side float64 is exact too: rounding is monotonic.)
            raise LoweringUnsupported(
                "comparison of uint64 with a signed integer: PyTensor compares them exactly, "
                "the IR in float64 (wrong beyond 2**53); cast both to int64 or to float64 first"
            )
        out = ctx.kernel(op_type, args, dtype, bool_result=True)
        return ctx.op("Not", out) if negate else out

    return rule


lowers(ops.Lt)(_compare("Less"))
lowers(ops.Gt)(_compare("Greater"))
lowers(ops.Le)(_compare("LessOrEqual"))
lowers(ops.Ge)(_compare("GreaterOrEqual"))
lowers(ops.Eq)(_compare("Equal"))
lowers(ops.Ne)(_compare("Equal", negate=True))


def _predicate(op_type: str) -> Rule:
    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        dtype = _dtype(op)
        if dtype not in FLOATS:
            # Never NaN nor inf: false everywhere, with x's shape.
            return ctx.op("Not", ctx.op("Equal", args[0], args[0]))
        return ctx.kernel(op_type, args, dtype, bool_result=True)

    return rule


lowers(ops.IsNan)(_predicate("IsNaN"))
lowers(ops.IsInf)(_predicate("IsInf"))


def _logical(bool_op: str, int_op: str) -> Rule:
    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        dtype = _dtype(op)
        if dtype in FLOATS:
            # uint64 with a signed integer promotes to float64 (PyTensor's rule too); numpy has
            # no bitwise loop for that, so PyTensor fails at run time.
            raise LoweringUnsupported(
                f"bitwise {int_op[7:].lower()} of operands promoted to {dtype} (uint64 with a "
                f"signed integer); numpy cannot compute it either"
            )
        return ctx.op(bool_op if dtype == "bool" else int_op, *args)

    return rule


lowers(ops.BitwiseAnd)(_logical("And", "BitwiseAnd"))
lowers(ops.BitwiseOr)(_logical("Or", "BitwiseOr"))
lowers(ops.BitwiseXor)(_logical("Xor", "BitwiseXor"))
lowers(ops.Invert)(_logical("Not", "BitwiseNot"))


@lowers(ops.Where)
def lower_where(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """``Where``, with the -0.0 fix-up (``exact_signed_zero``) only for a branch that may hold a
    -0.0 when an output can see the sign of the selection's zeros (``ir.facts``)."""
    cond, a, b = args
    return where(
        ctx, cond, a, b, _dtype(op), zeros=_signed_zero_branches(ctx, op, {"a": 1, "b": 2})
    )


def _signed_zero_branches(ctx: LoweringContext, op: Operation, branches: dict[str, int]) -> str:
    """The names of ``branches`` (name → operand index) of a selection ``op`` whose -0.0s
    ``where`` must put back: none when no output sees the sign of the result's zeros."""
    if op.result.dtype not in FLOATS or not zero_sign_observed(ctx, op, op.result):
        return ""
    facts = facts_for(ctx, op)
    return "".join(n for n, i in branches.items() if facts.of(op.operands[i]).neg_zero)


@lowers(ops.Second)
def lower_second(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    x, y = args
    return ctx.op("Expand", y, ctx.op("Shape", x))


@lowers(ops.Cast)
def lower_cast(op: ops.Cast, ctx: LoweringContext, args: list[V]) -> V:
    src, dst = op.x.dtype, op.to
    if src == "float64" and dst == "float16":
        raise LoweringUnsupported(
            "ONNX Runtime casts float64 to float16 through float32, rounding twice; "
            "cast to float32 first if that is acceptable"
        )
    return ctx.cast(args[0], dst)


__all__ = [
    "FLOATS", "V", "_dtype", "_expm1", "_log1p", "compute_dtype", "signed_zero", "where",
]  # fmt: skip
