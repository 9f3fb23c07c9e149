"""Lowering of elementwise ops to opset 18, with exact rewrites where ONNX differs.

Operands are homogeneous here (``unify-casts`` ran). Where ONNX Runtime lacks a kernel for a
dtype, ops are computed in a wider dtype when that is exact (``LoweringContext.kernel``);
otherwise an exact decomposition is emitted or the op is refused.
"""

from __future__ import annotations

import math

import onnx_ir as oir

from ir import dtypes, ops
from ir.core import Operation
from lowering.context import LoweringContext, LoweringUnsupported, supports
from lowering.registry import lowers

V = oir.Value
FLOATS = dtypes.FLOAT_DTYPES


def _dtype(op: Operation) -> str:
    assert isinstance(op, ops.Elementwise)
    if not op.is_homogeneous():
        raise LoweringUnsupported(
            f"{op.NAME} has operands of mixed dtypes; run the unify-casts pass before lowering"
        )
    return op.compute_dtype()


def where(ctx: LoweringContext, cond: V, a: V, b: V, dtype: str) -> V:
    """``Where`` for any dtype: a selection is exact in any carrier that maps values 1:1."""
    if supports("Where", dtype):
        return ctx.op("Where", cond, a, b)
    carrier = {"bool": "uint8", "uint64": "int64"}.get(dtype, "int32")  # int16, uint16
    out = ctx.op("Where", cond, ctx.cast(a, carrier), ctx.cast(b, carrier))
    return ctx.cast(out, dtype)


def _fold(op_type: str):
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


def _simple(op_type: str, *, widen_floats: bool = True):
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


for _cls, _onnx in {
    ops.Sub: "Sub",
    ops.Div: "Div",
    ops.Maximum: "Max",
    ops.Minimum: "Min",
    ops.Pow: "Pow",
    ops.Exp: "Exp",
    ops.Log: "Log",
    ops.Sqrt: "Sqrt",
    ops.Reciprocal: "Reciprocal",
    ops.Sin: "Sin",
    ops.Cos: "Cos",
    ops.Tanh: "Tanh",
    ops.Sigmoid: "Sigmoid",
    ops.Softplus: "Softplus",
    ops.Floor: "Floor",
    ops.Ceil: "Ceil",
    ops.RoundHalfToEven: "Round",
}.items():
    lowers(_cls)(_simple(_onnx))

# float64 has no ORT kernel for these; float16 is computed in float32 (within half an ulp).
for _cls, _onnx in {
    ops.Asin: "Asin",
    ops.Acos: "Acos",
    ops.Atan: "Atan",
    ops.Asinh: "Asinh",
    ops.Acosh: "Acosh",
    ops.Atanh: "Atanh",
    ops.Erf: "Erf",
}.items():
    lowers(_cls)(_simple(_onnx, widen_floats=False))


@lowers(ops.Tan)
def lower_tan(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    if supports("Tan", dtype):
        return ctx.op("Tan", args[0])
    return ctx.op("Div", ctx.op("Sin", args[0]), ctx.op("Cos", args[0]))  # float64


@lowers(ops.Cosh)
def lower_cosh(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    if supports("Cosh", dtype):
        return ctx.op("Cosh", args[0])
    e = ctx.op("Exp", ctx.op("Abs", args[0]))  # float64: (e + 1/e) / 2 has no cancellation
    half = ctx.constant(0.5, dtype)
    return ctx.op("Mul", ctx.op("Add", e, ctx.op("Reciprocal", e)), half)


@lowers(ops.Sinh)
def lower_sinh(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    (x,) = args
    if supports("Sinh", dtype):
        return ctx.op("Sinh", x)
    # float64, as fdlibm: t = expm1(|x|), sinh|x| = (t + t / (t + 1)) / 2, sign restored.
    t = _expm1(ctx, ctx.op("Abs", x), dtype)
    one, half = ctx.constant(1.0, dtype), ctx.constant(0.5, dtype)
    s = ctx.op("Mul", ctx.op("Add", t, ctx.op("Div", t, ctx.op("Add", t, one))), half)
    s = where(ctx, ctx.op("IsInf", t), t, s, dtype)
    return where(ctx, ctx.op("Less", x, ctx.constant(0.0, dtype)), ctx.op("Neg", s), s, dtype)


def _expm1(ctx: LoweringContext, x: V, dtype: str) -> V:
    """e**x - 1 to within a few ulps (Kahan): u = e**x; u == 1 ? x : (u - 1) * x / log(u)."""
    one = ctx.constant(1.0, dtype)
    u = ctx.op("Exp", x)
    um1 = ctx.op("Sub", u, one)
    general = ctx.op("Mul", um1, ctx.op("Div", x, ctx.op("Log", u)))
    minus_one = ctx.constant(-1.0, dtype)
    out = where(ctx, ctx.op("Equal", um1, minus_one), minus_one, general, dtype)
    out = where(ctx, ctx.kernel("IsInf", [u], dtype, bool_result=True), u, out, dtype)
    return where(ctx, ctx.op("Equal", u, one), x, out, dtype)


@lowers(ops.Expm1)
def lower_expm1(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return _expm1(ctx, args[0], _dtype(op))


@lowers(ops.Log1p)
def lower_log1p(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """log(1 + x) to within a few ulps (Goldberg): u = 1 + x; u == 1 ? x : log(u) * x / (u - 1)."""
    dtype = _dtype(op)
    (x,) = args
    one = ctx.constant(1.0, dtype)
    u = ctx.op("Add", one, x)
    log_u = ctx.op("Log", u)
    general = ctx.op("Mul", log_u, ctx.op("Div", x, ctx.op("Sub", u, one)))
    out = where(ctx, ctx.op("Equal", u, ctx.constant(math.inf, dtype)), u, general, dtype)
    return where(ctx, ctx.op("Equal", u, one), x, out, dtype)


@lowers(ops.Exp2)
def lower_exp2(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    return ctx.op("Pow", ctx.constant(2.0, dtype), args[0])


def _log_base(base: float):
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


@lowers(ops.Trunc)
def lower_trunc(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    (x,) = args
    negative = ctx.op("Less", x, ctx.constant(0.0, dtype))
    return where(ctx, negative, ctx.op("Ceil", x), ctx.op("Floor", x), dtype)


@lowers(ops.RoundHalfAwayFromZero)
def lower_round_half_away(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """ONNX Round breaks ties to even; this rounds them away from zero, exactly:
    |x| - floor(|x|) is exact, so the tie test is too."""
    dtype = _dtype(op)
    (x,) = args
    zero = ctx.constant(0.0, dtype)
    magnitude = ctx.op("Abs", x)
    floor = ctx.op("Floor", magnitude)
    up = ctx.op("GreaterOrEqual", ctx.op("Sub", magnitude, floor), ctx.constant(0.5, dtype))
    rounded = ctx.op("Add", floor, ctx.cast(up, dtype))
    signed = where(ctx, ctx.op("Less", x, zero), ctx.op("Neg", rounded), rounded, dtype)
    # A zero result keeps the sign of x (as C's round does): x * 0 is ±0.
    return where(ctx, ctx.op("Equal", rounded, zero), ctx.op("Mul", x, zero), signed, dtype)


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
    return ctx.kernel("Sign", args, _dtype(op))  # ORT keeps NaN, as PyTensor does


@lowers(ops.IntDiv)
def lower_int_div(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """Floor division. ONNX Div truncates integers toward zero, so negative quotients with a
    remainder step down by one. x // 0 is 0 for integers, as in numpy (ORT would trap)."""
    dtype = _dtype(op)
    x, y = args
    if dtype in FLOATS:
        return ctx.op("Floor", ctx.op("Div", x, y))
    zero, one = ctx.constant(0, dtype), ctx.constant(1, dtype)
    y_is_zero = ctx.op("Equal", y, zero)
    y_safe = where(ctx, y_is_zero, one, y, dtype)
    q = ctx.op("Div", x, y_safe)
    if dtype in dtypes.SIGNED_DTYPES:
        r = ctx.op("Sub", x, ctx.op("Mul", q, y_safe))
        inexact = ctx.op("Not", ctx.op("Equal", r, zero))
        signs_differ = ctx.op("Xor", ctx.op("Less", r, zero), ctx.op("Less", y_safe, zero))
        q = ctx.op("Sub", q, ctx.cast(ctx.op("And", inexact, signs_differ), dtype))
    return where(ctx, y_is_zero, zero, q, dtype)


@lowers(ops.Mod)
def lower_mod(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """Python's x % y (sign of y). Integers: ONNX Mod fmod=0 is exactly that (x % 0 is 0, as in
    numpy). Floats: fmod, then add y where the remainder's sign differs from y's."""
    dtype = _dtype(op)
    x, y = args
    zero = ctx.constant(0, dtype)
    if dtype not in FLOATS:
        y_is_zero = ctx.op("Equal", y, zero)
        y_safe = where(ctx, y_is_zero, ctx.constant(1, dtype), y, dtype)
        r = ctx.op("Mod", x, y_safe, fmod=0)
        return where(ctx, y_is_zero, zero, r, dtype)
    r = ctx.op("Mod", x, y, fmod=1)
    nonzero = ctx.op("Not", ctx.op("Equal", r, zero))
    signs_differ = ctx.op("Xor", ctx.op("Less", r, zero), ctx.op("Less", y, zero))
    return where(ctx, ctx.op("And", nonzero, signs_differ), ctx.op("Add", r, y), r, dtype)


@lowers(ops.Clip)
def lower_clip(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """PyTensor's clip is x < lo ? lo : (x > hi ? hi : x), which ONNX Clip equals only for
    scalar bounds with lo <= hi; other bounds get the comparison form."""
    dtype = _dtype(op)
    x, lo, hi = args
    bounds = [b.owner.value.array if isinstance(b.owner, ops.Constant) else None
              for b in op.operands[1:]]  # fmt: skip
    if all(b is not None and b.ndim == 0 for b in bounds) and bool(bounds[0] <= bounds[1]):
        return ctx.kernel("Clip", [x, lo, hi], dtype)
    upper = where(ctx, ctx.kernel("Greater", [x, hi], dtype, bool_result=True), hi, x, dtype)
    return where(ctx, ctx.kernel("Less", [x, lo], dtype, bool_result=True), lo, upper, dtype)


def _compare(op_type: str, negate: bool = False):
    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        out = ctx.kernel(op_type, args, _dtype(op), bool_result=True)
        return ctx.op("Not", out) if negate else out

    return rule


lowers(ops.Lt)(_compare("Less"))
lowers(ops.Gt)(_compare("Greater"))
lowers(ops.Le)(_compare("LessOrEqual"))
lowers(ops.Ge)(_compare("GreaterOrEqual"))
lowers(ops.Eq)(_compare("Equal"))
lowers(ops.Ne)(_compare("Equal", negate=True))


def _predicate(op_type: str):
    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        dtype = _dtype(op)
        if dtype not in FLOATS:
            # Never NaN nor inf: false everywhere, with x's shape.
            return ctx.op("Not", ctx.op("Equal", args[0], args[0]))
        return ctx.kernel(op_type, args, dtype, bool_result=True)

    return rule


lowers(ops.IsNan)(_predicate("IsNaN"))
lowers(ops.IsInf)(_predicate("IsInf"))


def _logical(bool_op: str, int_op: str):
    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        dtype = _dtype(op)
        return ctx.op(bool_op if dtype == "bool" else int_op, *args)

    return rule


lowers(ops.BitwiseAnd)(_logical("And", "BitwiseAnd"))
lowers(ops.BitwiseOr)(_logical("Or", "BitwiseOr"))
lowers(ops.BitwiseXor)(_logical("Xor", "BitwiseXor"))
lowers(ops.Invert)(_logical("Not", "BitwiseNot"))


@lowers(ops.Where)
def lower_where(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return where(ctx, *args, _dtype(op))


@lowers(ops.Second)
def lower_second(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    x, y = args
    return ctx.op("Expand", y, ctx.op("Shape", x))


@lowers(ops.Cast)
def lower_cast(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    src, dst = op.operands[0].dtype, op.attributes["to"]
    if src == "float64" and dst == "float16":
        raise LoweringUnsupported(
            "ONNX Runtime casts float64 to float16 through float32, rounding twice; "
            "cast to float32 first if that is acceptable"
        )
    return ctx.cast(args[0], dst)
