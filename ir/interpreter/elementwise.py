"""Interpreter implementations of the elementwise ops."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ir import ops
from ir.interpreter import ImplOf, implements
from ir.interpreter.lazy_scipy import special

# -- elementwise -------------------------------------------------------------------------------


def _cast_operands(op: ops.Elementwise, args: list[np.ndarray]) -> list[np.ndarray]:
    return [a.astype(d, copy=False) for a, d in zip(args, op.operand_dtypes(), strict=True)]


def _elementwise(fn: Callable[..., np.ndarray]) -> ImplOf[ops.Elementwise]:
    def impl(op: ops.Elementwise, args: list[np.ndarray]) -> np.ndarray:
        return fn(*_cast_operands(op, args))

    return impl


def _fold_left(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> ImplOf[ops.Elementwise]:
    def impl(op: ops.Elementwise, args: list[np.ndarray]) -> np.ndarray:
        args = _cast_operands(op, args)
        out = args[0]
        for a in args[1:]:
            out = fn(out, a)
        return np.broadcast_to(out, np.broadcast_shapes(*(a.shape for a in args)))

    return impl


def _round_half_away(x: np.ndarray) -> np.ndarray:
    # PyTensor's rounding (Python and Numba backends): x > 0 ? floor(x + 0.5) : ceil(x - 0.5)
    # in float64, where the addition rounds (0.49999999999999994 gives 1.0; exact for float32
    # and float16), and +0.0 gives -0.0.
    wide = x.astype(np.float64)
    return np.where(wide > 0, np.floor(wide + 0.5), np.ceil(wide - 0.5)).astype(x.dtype)


def _clip(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.where(x < lo, lo, np.where(x > hi, hi, x))


_ELEMENTWISE: dict[type[ops.Elementwise], Callable[..., np.ndarray]] = {
    ops.Sub: np.subtract,
    ops.Div: np.true_divide,
    ops.IntDiv: np.floor_divide,
    ops.Mod: np.mod,
    ops.Pow: np.power,
    ops.Maximum: np.maximum,
    ops.Minimum: np.minimum,
    ops.Neg: np.negative,
    ops.Abs: np.abs,
    ops.Sign: np.sign,
    ops.Clip: _clip,
    ops.Exp: np.exp,
    ops.Exp2: np.exp2,
    ops.Expm1: np.expm1,
    ops.Log: np.log,
    ops.Log2: np.log2,
    ops.Log10: np.log10,
    ops.Log1p: np.log1p,
    ops.Sqrt: np.sqrt,
    ops.Reciprocal: np.reciprocal,
    ops.Sin: np.sin,
    ops.Cos: np.cos,
    ops.Tan: np.tan,
    ops.Asin: np.arcsin,
    ops.Acos: np.arccos,
    ops.Atan: np.arctan,
    ops.Sinh: np.sinh,
    ops.Cosh: np.cosh,
    ops.Tanh: np.tanh,
    ops.Asinh: np.arcsinh,
    ops.Acosh: np.arccosh,
    ops.Atanh: np.arctanh,
    ops.Sigmoid: special.expit,
    ops.Softplus: lambda x: np.logaddexp(x.dtype.type(0), x),
    ops.Erf: special.erf,
    # Rounded like the Sigmoid + Mul it is emitted as (expit of float16 returns float32).
    ops.Silu: lambda x: x * special.expit(x).astype(x.dtype),
    ops.Floor: np.floor,
    ops.Ceil: np.ceil,
    ops.Trunc: np.trunc,
    ops.RoundHalfToEven: np.round,
    ops.RoundHalfAwayFromZero: _round_half_away,
    ops.Lt: np.less,
    ops.Gt: np.greater,
    ops.Le: np.less_equal,
    ops.Ge: np.greater_equal,
    ops.Eq: np.equal,
    ops.Ne: np.not_equal,
    ops.IsNan: np.isnan,
    ops.IsInf: np.isinf,
    ops.BitwiseAnd: np.bitwise_and,
    ops.BitwiseOr: np.bitwise_or,
    ops.BitwiseXor: np.bitwise_xor,
    ops.Invert: np.invert,
    ops.Where: np.where,
}
for _cls, _fn in _ELEMENTWISE.items():
    implements(_cls)(_elementwise(_fn))
implements(ops.Add)(_fold_left(np.add))
implements(ops.Mul)(_fold_left(np.multiply))


@implements(ops.Second)
def _second(op: ops.Second, args: list[np.ndarray]) -> np.ndarray:
    x, y = args
    return np.broadcast_to(y, np.broadcast_shapes(x.shape, y.shape)).copy()


@implements(ops.Cast)
def _cast(op: ops.Cast, args: list[np.ndarray]) -> np.ndarray:
    return args[0].astype(op.to)
