"""Lowering of elementwise ops to opset 18, with exact rewrites where ONNX differs.

Operands are homogeneous here (``unify-casts`` ran). Where ONNX Runtime lacks a kernel for a
dtype, ops are computed in a wider dtype when that is exact (``LoweringContext.kernel``);
otherwise an exact decomposition is emitted or the op is refused.
"""

from __future__ import annotations

import math

import numpy as np
import onnx_ir as oir

from ir import dtypes, ops
from ir.core import Operation
from ir.ops.tensor import constant_array
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


def where(ctx: LoweringContext, cond: V, a: V, b: V, dtype: str, *, zeros: str = "ab") -> V:
    """``Where`` for any dtype: a selection is exact in any carrier that maps values 1:1.

    ORT's float Where loses -0.0: it builds ``cond ? a : 0`` and ``cond ? 0 : b`` and merges
    them with ``x != 0 ? x : y``, or, where one of them is broadcast, with
    ``scalar != 0 ? scalar : other``. So a -0.0 selected from ``a`` always comes out +0.0, and
    one from ``b`` does where broadcast(cond, b) is smaller than the result. ``zeros`` names
    the branches that may hold a -0.0 there (callers that know better pass fewer; constants
    are checked here); for those, the zeros that must be -0.0 are set so arithmetically.
    (Putting a -0.0 on the false side of a swapped Where is not a way out: ORT's optimizer
    rewrites Where(Not(c), a, b) into Where(c, b, a).)
    """
    if not supports("Where", dtype):
        carrier = {"bool": "uint8", "uint64": "int64"}.get(dtype, "int32")  # int16, uint16
        out = ctx.op("Where", cond, ctx.cast(a, carrier), ctx.cast(b, carrier))
        return ctx.cast(out, dtype)
    out = ctx.op("Where", cond, a, b)
    if dtype not in FLOATS:
        return out

    def negative_zero(v: V) -> V:  # 1 / -0.0 is -inf
        zero = ctx.constant(0.0, dtype)  # made here: most selections need no -0.0 fix-up
        below = ctx.op("Less", ctx.op("Reciprocal", v), zero)
        return ctx.op("And", ctx.op("Equal", v, zero), below)

    wanted = []
    if "a" in zeros and not _no_negative_zero(a):
        wanted.append(ctx.op("And", cond, negative_zero(a)))
    if "b" in zeros and not _no_negative_zero(b):
        wanted.append(ctx.op("And", ctx.op("Not", cond), negative_zero(b)))
    if not wanted:
        return out
    want = wanted[0] if len(wanted) == 1 else ctx.op("Or", *wanted)
    # m = -1 where a -0.0 is wanted (the selection is ±0 there), else 1; z = 0 * -m is +0.0
    # there and -0.0 elsewhere (computed at run time: ORT drops an Add of a zero constant).
    # out + z is +0.0 where wanted and exactly out elsewhere (x + -0.0 is x, -0.0 included);
    # times m gives -0.0 where wanted and out elsewhere.
    m = ctx.op("Where", want, ctx.constant(-1.0, dtype), ctx.constant(1.0, dtype))
    z = ctx.op("Mul", ctx.op("Sub", m, m), ctx.op("Neg", m))
    return ctx.op("Mul", ctx.op("Add", out, z), m)


def _no_negative_zero(value: V) -> bool:
    """True for an initializer holding no -0.0."""
    tensor = value.const_value
    if tensor is None:
        return False
    array = tensor.numpy()
    return not bool(np.any((array == 0) & np.signbit(array)))


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
    ops.Exp: "Exp",
    ops.Log: "Log",
    ops.Sqrt: "Sqrt",
    ops.Reciprocal: "Reciprocal",
    ops.Sin: "Sin",
    ops.Cos: "Cos",
    ops.Tanh: "Tanh",
    ops.Floor: "Floor",
    ops.Ceil: "Ceil",
    ops.RoundHalfToEven: "Round",
}.items():
    lowers(_cls)(_simple(_onnx))

#: ORT 1.31's int64 Max, Min, Sign and Clip are wrong for many values from 2**31 up (e.g.
#: Max(2**31, 0) is 0): found by comparing random int64 values with numpy. int64 takes
#: comparisons and Where instead (both exact); the other integer kernels passed the same check.
_BROKEN_INT64 = frozenset({"Max", "Min", "Sign", "Clip"})


def _extremum(op_type: str, compare: str):
    def rule(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        dtype = _dtype(op)
        if dtype == "int64" and op_type in _BROKEN_INT64:
            x, y = args
            return ctx.op("Where", ctx.op(compare, x, y), x, y)
        return ctx.kernel(op_type, args, dtype)

    return rule


lowers(ops.Maximum)(_extremum("Max", "Greater"))
lowers(ops.Minimum)(_extremum("Min", "Less"))

#: fdlibm's pi/2 in three parts (33 + 33 + 53 bits): n * part is exact for |n| < 2**20.
_PIO2_1 = 1.57079632673412561417e00
_PIO2_2 = 6.07710050630396597660e-11
_PIO2_2T = 2.02226624879595063154e-21
#: Below this |x| (fdlibm's "medium" range, 2**19 * pi/2) the reduction above is exact enough.
_TAN_REDUCE_LIMIT = 2.0**19 * (math.pi / 2)


@lowers(ops.Tan)
def lower_tan(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """float64 (no ORT kernel): ORT's float64 Sin and Cos are accurate to ~4e-16 absolute
    but not relative near their zeros, so sin(x) / cos(x) is far off near the poles
    (tan(fl(pi/2)) comes out inf, not 1.633e16). So, as fdlibm: n = rint(x * 2/pi),
    r = x - n * pi/2 with pi/2 in three parts (Cody-Waite), |r| <= pi/4, and
    tan(x) = sin(r) / cos(r) for even n, -cos(r) / sin(r) for odd n. Beyond 2**19 * pi/2
    (where n * part is no longer exact) sin(x) / cos(x) is used as is."""
    dtype = _dtype(op)
    (x,) = args
    if supports("Tan", dtype):
        return ctx.op("Tan", x)

    def c(v: float) -> V:
        return ctx.constant(v, dtype)

    n = ctx.op("Round", ctx.op("Mul", x, c(2 / math.pi)))
    # n = -0.0 → +0.0, so that x - n * part keeps the sign of x = -0.0. (Not n + 0.0: ORT's
    # optimizer drops an Add of a zero constant.)
    n = ctx.op("Where", ctx.op("Equal", n, c(0.0)), c(0.0), n)
    r = ctx.op("Sub", x, ctx.op("Mul", n, c(_PIO2_1)))  # exact near the multiples of pi/2
    r = ctx.op("Sub", r, ctx.op("Mul", n, c(_PIO2_2)))
    r = ctx.op("Sub", r, ctx.op("Mul", n, c(_PIO2_2T)))
    sin_r, cos_r = ctx.op("Sin", r), ctx.op("Cos", r)
    odd = ctx.op("Equal", ctx.op("Abs", ctx.op("Mod", n, c(2.0), fmod=1)), c(1.0))
    # cos(r) >= 0.7, so -cos(r) / sin(r) is never -0.0 (and sin(r) / cos(r), -0.0 for x = -0.0,
    # has the full shape, as the condition: ORT keeps a -0.0 from the second branch then).
    reduced = where(ctx, odd, ctx.op("Neg", ctx.op("Div", cos_r, sin_r)),
                    ctx.op("Div", sin_r, cos_r), dtype, zeros="")  # fmt: skip
    # Beyond the limit (and for ±inf, NaN): sin(x) / cos(x); sin of a nonzero double is not 0.
    far = ctx.op("GreaterOrEqual", ctx.op("Abs", x), c(_TAN_REDUCE_LIMIT))
    naive = ctx.op("Div", ctx.op("Sin", x), ctx.op("Cos", x))
    return where(ctx, far, naive, reduced, dtype, zeros="")


#: Above this |x|, exp(|x|) overflows float64 while sinh and cosh are still finite (up to
#: 710.475...): they are computed as (exp(|x|/2) / 2) * exp(|x|/2) there, as fdlibm does.
_EXP_SAFE_F64 = 709.0


def _half_exp_squared(ctx: LoweringContext, a: V, dtype: str) -> V:
    """exp(a) / 2 for large a without overflowing early: (exp(a/2) / 2) * exp(a/2)."""
    half = ctx.constant(0.5, dtype)
    w = ctx.op("Exp", ctx.op("Mul", a, half))
    return ctx.op("Mul", ctx.op("Mul", w, half), w)


@lowers(ops.Cosh)
def lower_cosh(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    if supports("Cosh", dtype):
        return ctx.op("Cosh", args[0])
    a = ctx.op("Abs", args[0])
    e = ctx.op("Exp", a)  # float64: (e + 1/e) / 2 has no cancellation
    half = ctx.constant(0.5, dtype)
    small = ctx.op("Mul", ctx.op("Add", e, ctx.op("Reciprocal", e)), half)
    large = ctx.op("Greater", a, ctx.constant(_EXP_SAFE_F64, dtype))
    return where(ctx, large, _half_exp_squared(ctx, a, dtype), small, dtype, zeros="")


@lowers(ops.Sinh)
def lower_sinh(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    (x,) = args
    if supports("Sinh", dtype):
        return ctx.op("Sinh", x)
    # float64, as fdlibm: t = expm1(|x|), sinh|x| = (t + t / (t + 1)) / 2, sign restored.
    a = ctx.op("Abs", x)
    t = _expm1(ctx, a, dtype)
    one, half = ctx.constant(1.0, dtype), ctx.constant(0.5, dtype)
    s = ctx.op("Mul", ctx.op("Add", t, ctx.op("Div", t, ctx.op("Add", t, one))), half)
    # expm1 overflows from |x| > 709.78 but sinh only from 710.48 (and is inf, NaN as is).
    large = ctx.op("Greater", a, ctx.constant(_EXP_SAFE_F64, dtype))
    s = where(ctx, large, _half_exp_squared(ctx, a, dtype), s, dtype, zeros="")
    zero = ctx.constant(0.0, dtype)
    signed = where(ctx, ctx.op("Less", x, zero), ctx.op("Neg", s), s, dtype, zeros="")
    return where(ctx, ctx.op("Equal", x, zero), x, signed, dtype, zeros="a")  # sinh(±0) is ±0


def _expm1(ctx: LoweringContext, x: V, dtype: str) -> V:
    """e**x - 1 to within a few ulps (Kahan): u = e**x; u == 1 ? x : (u - 1) * x / log(u)."""
    one = ctx.constant(1.0, dtype)
    u = ctx.op("Exp", x)
    um1 = ctx.op("Sub", u, one)
    general = ctx.op("Mul", um1, ctx.op("Div", x, ctx.op("Log", u)))
    minus_one = ctx.constant(-1.0, dtype)
    out = where(ctx, ctx.op("Equal", um1, minus_one), minus_one, general, dtype, zeros="")
    is_inf = ctx.kernel("IsInf", [u], dtype, bool_result=True)
    out = where(ctx, is_inf, u, out, dtype, zeros="")  # u = e**x >= +0
    return where(ctx, ctx.op("Equal", u, one), x, out, dtype, zeros="a")  # expm1(-0.0) = -0.0


@lowers(ops.Expm1)
def lower_expm1(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return _expm1(ctx, args[0], _dtype(op))


def _log1p(ctx: LoweringContext, x: V, dtype: str) -> V:
    """log(1 + x) to within a few ulps (Goldberg): u = 1 + x; u == 1 ? x : log(u) * x / (u - 1)."""
    one = ctx.constant(1.0, dtype)
    u = ctx.op("Add", one, x)
    log_u = ctx.op("Log", u)
    general = ctx.op("Mul", log_u, ctx.op("Div", x, ctx.op("Sub", u, one)))
    is_inf = ctx.op("Equal", u, ctx.constant(math.inf, dtype))
    out = where(ctx, is_inf, u, general, dtype, zeros="")
    return where(ctx, ctx.op("Equal", u, one), x, out, dtype, zeros="a")  # log1p(-0.0) = -0.0


@lowers(ops.Log1p)
def lower_log1p(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    return _log1p(ctx, args[0], _dtype(op))


@lowers(ops.Softplus)
def lower_softplus(
    op: Operation, ctx: LoweringContext, args: list[V], dtype: str | None = None
) -> V:
    """ORT's float64 Softplus is log(1 + exp(x)) as written: it overflows to inf from x > 709
    and loses all relative accuracy below x < -37; its float16 kernel overflows from x > 11.
    float64 takes PyTensor's own piecewise formula (Softplus.impl, exact branches); float32
    and float16 compute that in float64 (``dtype`` overrides the op's dtype for that call)."""
    dtype = dtype or _dtype(op)
    (x,) = args
    if dtype in ("float16", "float32"):
        # ORT's float32 kernel is up to 3.7 ulp off (near -1.3): computed in float64 and
        # rounded once (float16 through float32).
        wide = x if dtype == "float32" else ctx.cast(x, "float32")
        out = ctx.cast(lower_softplus(op, ctx, [ctx.cast(wide, "float64")], "float64"), "float32")
        return out if dtype == "float32" else ctx.cast(out, dtype)
    if dtype != "float64":
        return ctx.kernel("Softplus", args, dtype)

    def below(bound: float) -> V:
        return ctx.op("Less", x, ctx.constant(bound, dtype))

    exp_x = ctx.op("Exp", x)
    # x < -37: exp(x); x < 18: log1p(exp(x)); x < 33.3: x + exp(-x); else x (NaN falls here).
    # (Every selected value is >= +0, never -0.0.)
    out = ctx.op("Add", x, ctx.op("Exp", ctx.op("Neg", x)))
    out = where(ctx, below(33.3), out, x, dtype, zeros="")
    out = where(ctx, below(18.0), _log1p(ctx, exp_x, dtype), out, dtype, zeros="")
    return where(ctx, below(-37.0), exp_x, out, dtype, zeros="")


@lowers(ops.Pow)
def lower_pow(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    dtype = _dtype(op)
    x, y = args
    if dtype not in FLOATS:
        return _int_pow(op, ctx, x, y, dtype)
    single = all(d == 1 for d in op.operands[1].shape)  # static: one exponent for all x
    if dtype == "float16" or not single:
        return ctx.kernel("Pow", args, dtype)
    # numpy's float32/float64 power loop takes sqrt(x) when the exponent is one broadcast
    # value 0.5 (C's pow differs: pow(-inf, 0.5) is +inf where sqrt gives NaN, and
    # pow(-0, 0.5) is +0). PyTensor's x ** 0.5 is exactly that case. (numpy's pow path is
    # kept when the output has one element and y is not 0-d: there we differ at -inf, -0.)
    exponent = constant_array(op.operands[1])
    if exponent is not None and op.result.type == op.operands[0].type:
        if bool(np.all(exponent == 0.5)):
            return ctx.op("Sqrt", x)
        return ctx.kernel("Pow", args, dtype)
    is_half = ctx.op("Equal", y, ctx.constant(0.5, dtype))
    # (Pow has the full shape: ORT keeps its -0.0 from the second branch.)
    return where(ctx, is_half, ctx.op("Sqrt", x), ctx.kernel("Pow", args, dtype), dtype, zeros="a")


def _int_pow(op: Operation, ctx: LoweringContext, x: V, y: V, dtype: str) -> V:
    """Integer x ** y as numpy computes it: square-and-multiply in the integer type, wrapping.
    ORT's integer Pow goes through double (wrong once a result passes 2**53, saturating
    garbage on overflow) and has no 8/16-bit or uint64 kernels. Products wrap the same way in
    a wider integer (the cast back keeps the low bits), so int16/uint16 compute in int32 and
    uint64 in int64 (Where has no kernel for them). A constant exponent is unrolled; otherwise
    every exponent bit gets a step. Negative exponents raise in numpy (no reference): the sign
    bit is ignored."""
    exponent = constant_array(op.operands[1])
    if (
        exponent is not None
        and exponent.size > 0
        and bool(np.all(exponent == exponent.flat[0]))
        and int(exponent.flat[0]) >= 0
        and op.result.type == op.operands[0].type
    ):
        e = int(exponent.flat[0])
        if e == 0:  # numpy: x ** 0 is 1 for every x
            return ctx.op("Add", ctx.op("Mul", x, ctx.constant(0, dtype)), ctx.constant(1, dtype))
        result, base = None, x
        while True:
            if e & 1:
                result = base if result is None else ctx.op("Mul", result, base)
            e >>= 1
            if not e:
                break
            base = ctx.op("Mul", base, base)
        return ctx.op("Identity", result) if result is x else result
    carrier = {"int16": "int32", "uint16": "int32", "uint64": "int64"}.get(dtype, dtype)
    bits = 8 * dtypes.itemsize(dtype) - (1 if dtype in dtypes.SIGNED_DTYPES else 0)
    if carrier != dtype:
        x, y = ctx.cast(x, carrier), ctx.cast(y, carrier)
    zero, one = ctx.constant(0, carrier), ctx.constant(1, carrier)

    def factor(k: int, base: V) -> V:
        mask = np.array(1 << k, dtype=np.uint64).astype(carrier)  # bit 63 of int64: INT_MIN
        bit_clear = ctx.op("Equal", ctx.op("BitwiseAnd", y, ctx.constant(mask, carrier)), zero)
        return ctx.op("Where", bit_clear, one, base)

    base = x
    result = factor(0, base)
    for k in range(1, bits):
        base = ctx.op("Mul", base, base)
        result = ctx.op("Mul", result, factor(k, base))
    return result if carrier == dtype else ctx.cast(result, dtype)


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
    zero = ctx.constant(0.0, dtype)
    negative = ctx.op("Less", x, zero)
    t = where(ctx, negative, ctx.op("Ceil", x), ctx.op("Floor", x), dtype, zeros="")
    # A zero result has the sign of x (trunc(-0.5) is -0.0): x * 0.
    return where(ctx, ctx.op("Equal", t, zero), ctx.op("Mul", x, zero), t, dtype, zeros="a")


@lowers(ops.RoundHalfAwayFromZero)
def lower_round_half_away(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """PyTensor's round half away from zero: x > 0 ? floor(x + 0.5) : ceil(x - 0.5), computed
    in float64 (its Python and Numba backends; its C backend calls C's round instead)."""
    dtype = _dtype(op)
    (x,) = args
    zero = ctx.constant(0.0, dtype)
    half = ctx.constant(0.5, dtype)
    positive = ctx.op("Greater", x, zero)
    if dtype == "float64":
        # The addition itself rounds: 0.49999999999999994 gives 1.0 and odd integers in
        # [2**52, 2**53) step to the next even one. That is the reference. floor(x + 0.5) of
        # a positive x is never -0.0; ceil(x - 0.5), often -0.0, has the result's shape like
        # the condition, and ORT keeps a -0.0 of the second branch then.
        return where(ctx, positive, ctx.op("Floor", ctx.op("Add", x, half)),
                     ctx.op("Ceil", ctx.op("Sub", x, half)), dtype,
                     zeros="")  # fmt: skip
    # float32 and float16 are exact in float64, so PyTensor's result is the exact rounding of
    # |x| with ties up, computed here without widening: |x| - floor(|x|) is exact, so the tie
    # test is too.
    magnitude = ctx.op("Abs", x)
    floor = ctx.op("Floor", magnitude)
    up = ctx.op("GreaterOrEqual", ctx.op("Sub", magnitude, floor), half)
    rounded = ctx.op("Add", floor, ctx.cast(up, dtype))
    negative = ctx.op("Less", x, zero)
    # (Zeros are replaced below.)
    signed = where(ctx, negative, ctx.op("Neg", rounded), rounded, dtype, zeros="")
    # A zero result is +0.0 for x > 0 and -0.0 otherwise (ceil(x - 0.5) of +0.0 is -0.0).
    signed_zero = _signed_zero(ctx, ctx.op("Not", positive), dtype)
    return where(ctx, ctx.op("Equal", rounded, zero), signed_zero, signed, dtype, zeros="a")


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
    if dtype == "int64" and "Sign" in _BROKEN_INT64:
        (x,) = args
        zero = ctx.constant(0, dtype)
        positive = ctx.cast(ctx.op("Greater", x, zero), dtype)
        return ctx.op("Sub", positive, ctx.cast(ctx.op("Less", x, zero), dtype))
    return ctx.kernel("Sign", args, dtype)


def _signed_zero(ctx: LoweringContext, negative: V, dtype: str) -> V:
    """-0.0 where ``negative``, else +0.0 (as 0 * ±1: ORT's Where cannot select a -0.0)."""
    sign = ctx.op("Where", negative, ctx.constant(-1.0, dtype), ctx.constant(1.0, dtype))
    return ctx.op("Mul", ctx.constant(0.0, dtype), sign)


def _float_divmod(ctx: LoweringContext, x: V, y: V, dtype: str) -> tuple[V, V]:
    """numpy's npy_divmod step by step (floor_divide and remainder for floats):
    mod = fmod(x, y); div = (x - mod) / y; if mod and sign(mod) != sign(y): mod += y, div -= 1;
    a zero mod takes y's sign; div is floored and snapped (+1 if div - floor(div) > 0.5); a zero
    quotient takes the sign of x / y; y == 0 gives x / y and fmod's NaN. Floor(x / y) alone is
    wrong: numpy's 1.0 // 0.1 is 9.0, floor(1.0 / 0.1) is 10.0, and inf // 2.0 is NaN."""
    zero, one = ctx.constant(0.0, dtype), ctx.constant(1.0, dtype)
    mod = ctx.op("Mod", x, y, fmod=1)  # exact
    div = ctx.op("Div", ctx.op("Sub", x, mod), y)
    y_negative = ctx.op("Less", y, zero)
    adjust = ctx.op(
        "And",
        ctx.op("Not", ctx.op("Equal", mod, zero)),  # true for NaN, as C's `if (mod)`
        ctx.op("Xor", y_negative, ctx.op("Less", mod, zero)),
    )
    # (Values marked a_not_neg_zero are never -0.0: mod + y is nonzero when adjusting, a - 1
    # and a + 1 are not -0.0, and x / ±0 is ±inf or NaN.)
    mod = where(ctx, adjust, ctx.op("Add", mod, y), mod, dtype, zeros="")
    mod = where(ctx, ctx.op("Equal", mod, zero), _signed_zero(ctx, y_negative, dtype), mod, dtype,
                zeros="a")  # fmt: skip
    div = where(ctx, adjust, ctx.op("Sub", div, one), div, dtype, zeros="")
    floor = ctx.op("Floor", div)
    snap = ctx.op("Greater", ctx.op("Sub", div, floor), ctx.constant(0.5, dtype))
    floor = where(ctx, snap, ctx.op("Add", floor, one), floor, dtype, zeros="")
    quotient = ctx.op("Div", x, y)
    # div == 0 only where x / y is ±0 or tiny: 1 / (x / y) has its sign (±inf for ±0).
    q_negative = ctx.op("Less", ctx.op("Reciprocal", quotient), zero)
    div_zero = ctx.op("Equal", div, zero)
    floor = where(ctx, div_zero, _signed_zero(ctx, q_negative, dtype), floor, dtype, zeros="a")
    y_zero = ctx.op("Equal", y, zero)
    return where(ctx, y_zero, quotient, floor, dtype, zeros=""), mod


def _float_divmod_rule(index: int):
    """Floats: numpy's algorithm; float16 in float32, as numpy's half loops do (the casts to
    float32 are exact, the one back rounds once)."""

    def rule(ctx: LoweringContext, x: V, y: V, dtype: str) -> V:
        if dtype == "float16":
            wide = _float_divmod(ctx, ctx.cast(x, "float32"), ctx.cast(y, "float32"), "float32")
            return ctx.cast(wide[index], dtype)
        return _float_divmod(ctx, x, y, dtype)[index]

    return rule


@lowers(ops.IntDiv)
def lower_int_div(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """Floor division. ONNX Div truncates integers toward zero, so negative quotients with a
    remainder step down by one. x // 0 is 0 for integers, as in numpy (ORT would trap), and
    so is the divisor -1 kept away from ORT (INT_MIN / -1 traps with SIGFPE on x86): x // -1
    is 0 - x, wrapping as numpy does."""
    dtype = _dtype(op)
    x, y = args
    if dtype in FLOATS:
        return _float_divmod_rule(0)(ctx, x, y, dtype)
    if dtype == "bool":  # numpy computes bool // bool in int8; 0/1 values, exact in uint8
        q = _int_div(ctx, ctx.cast(x, "uint8"), ctx.cast(y, "uint8"), "uint8")
        return ctx.cast(q, dtype)
    return _int_div(ctx, x, y, dtype)


def _int_div(ctx: LoweringContext, x: V, y: V, dtype: str) -> V:
    zero, one = ctx.constant(0, dtype), ctx.constant(1, dtype)
    y_is_zero = ctx.op("Equal", y, zero)
    signed = dtype in dtypes.SIGNED_DTYPES
    y_is_minus_one = ctx.op("Equal", y, ctx.constant(-1, dtype)) if signed else None
    special = ctx.op("Or", y_is_zero, y_is_minus_one) if signed else y_is_zero
    y_safe = where(ctx, special, one, y, dtype)
    q = ctx.op("Div", x, y_safe)
    if signed:
        r = ctx.op("Sub", x, ctx.op("Mul", q, y_safe))
        inexact = ctx.op("Not", ctx.op("Equal", r, zero))
        signs_differ = ctx.op("Xor", ctx.op("Less", r, zero), ctx.op("Less", y_safe, zero))
        q = ctx.op("Sub", q, ctx.cast(ctx.op("And", inexact, signs_differ), dtype))
        q = where(ctx, y_is_minus_one, ctx.op("Sub", zero, x), q, dtype)
    return where(ctx, y_is_zero, zero, q, dtype)


@lowers(ops.Mod)
def lower_mod(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """Python's x % y (sign of y). Integers: ONNX Mod fmod=0 is exactly that; the divisors 0
    and -1 are replaced by 1 (x % 1 is 0, which is numpy's x % 0 and x % -1; ORT would trap
    on x % 0 and on INT_MIN % -1). Floats: numpy's divmod algorithm (``_float_divmod``)."""
    dtype = _dtype(op)
    x, y = args
    if dtype in FLOATS:
        return _float_divmod_rule(1)(ctx, x, y, dtype)
    if dtype == "bool":  # numpy computes bool % bool in int8; 0/1 values, exact in uint8
        x, y = ctx.cast(x, "uint8"), ctx.cast(y, "uint8")
        return ctx.cast(_int_mod(ctx, x, y, "uint8"), dtype)
    return _int_mod(ctx, x, y, dtype)


def _int_mod(ctx: LoweringContext, x: V, y: V, dtype: str) -> V:
    one = ctx.constant(1, dtype)
    special = ctx.op("Equal", y, ctx.constant(0, dtype))
    if dtype in dtypes.SIGNED_DTYPES:
        special = ctx.op("Or", special, ctx.op("Equal", y, ctx.constant(-1, dtype)))
    return ctx.op("Mod", x, where(ctx, special, one, y, dtype), fmod=0)


@lowers(ops.Clip)
def lower_clip(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
    """PyTensor's clip is x < lo ? lo : (x > hi ? hi : x). ONNX Clip (scalar bounds only)
    equals that, NaN and signed zeros included (checked against numpy), for constant bounds
    with lo <= hi that do not broadcast x; other bounds get the comparison form."""
    dtype = _dtype(op)
    x, lo, hi = args
    bounds = [constant_array(b) for b in op.operands[1:]]
    if (
        all(b is not None and b.size == 1 for b in bounds)
        and bool(bounds[0].reshape(()) <= bounds[1].reshape(()))  # False for NaN
        and op.result.type == op.operands[0].type
        and not (dtype == "int64" and "Clip" in _BROKEN_INT64)
    ):
        scalars = [ctx.constant(b.reshape(()), dtype) for b in bounds]
        return ctx.kernel("Clip", [x, *scalars], dtype)
    # (The conditions have the result's shape, so ORT keeps a -0.0 of x; one of a bound is set
    # back by ``where``.)
    above = ctx.kernel("Greater", [x, hi], dtype, bool_result=True)
    upper = where(ctx, above, hi, x, dtype, zeros="a")
    below = ctx.kernel("Less", [x, lo], dtype, bool_result=True)
    return where(ctx, below, lo, upper, dtype, zeros="a")


def _integer_origin(value) -> str | None:
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


def _compare(op_type: str, negate: bool = False):
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
