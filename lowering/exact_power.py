"""x ** y as numpy computes it, where ONNX Runtime's Pow differs.

Integers: ORT goes through double (wrong past 2**53, garbage on overflow); numpy squares and
multiplies in the integer type, wrapping. Floats: numpy takes sqrt(x) for one broadcast
exponent 0.5 (pow(-inf, 0.5) is +inf in C, NaN by sqrt; pow(-0.0, 0.5) is +0.0).
"""

from __future__ import annotations

import numpy as np

from ir import dtypes, ops
from ir.core import Operation
from ir.ops.tensor import constant_array
from lowering.context import LoweringContext
from lowering.elementwise_common import FLOATS, V, _dtype
from lowering.exact_signed_zero import where
from lowering.registry import lowers


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
        assert result is not None  # e >= 1 sets it
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
