"""Elementwise ops: numpy broadcasting over the operands, result dtype by PyTensor's rules.

Operands may have mixed dtypes (as PyTensor's scalar ops do): each op names the dtype it computes
in (``compute_dtypes``); the ``unify-casts`` pass makes those casts explicit, after which every
elementwise op is homogeneous, as ONNX requires.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ir import attributes as A
from ir import dtypes
from ir.core import IRError, Operation, Value
from ir.fields import Attr, Operand, VariadicOperand
from ir.types import TensorType, broadcast_shapes, interned_type

#: Dtype rules whose compute dtype is the plain upcast, and those that also refuse bool.
_UPCAST_RULES = frozenset({"upcast", "compare", "predicate", "same"})
_NOBOOL_RULES = frozenset({"upcast_nobool", "same_nobool"})


class Elementwise(Operation):
    """Shared machinery: broadcasting shape inference and the dtype rule ``RULE``.

    Rules (PyTensor's output-type preferences):
    ``upcast`` numpy promotion; ``upcast_nobool`` the same, bool refused; ``upcast_min8`` bool
    becomes int8; ``float`` integers are upgraded to float32/float64 (``upgrade_to_float``);
    ``float_only`` float operands only; ``same`` / ``same_nobool`` the operand's dtype;
    ``compare`` computes in the upcast dtype and yields bool; ``predicate`` yields bool.
    """

    RULE: ClassVar[str] = "upcast"

    def compute_dtype(self) -> str:
        """The dtype the operation is carried out in (after casting its operands)."""
        in_dtypes = [v.type.dtype for v in self.data_operands()]
        rule = self.RULE
        if rule == "float":
            return dtypes.upgrade_to_float(*in_dtypes)
        dtype = dtypes.upcast(*in_dtypes)
        if rule in _UPCAST_RULES:
            return dtype
        if rule in _NOBOOL_RULES:
            if dtype == "bool":
                raise IRError(f"{self.NAME} does not take bool operands")
            return dtype
        if rule == "upcast_min8":
            return "int8" if dtype == "bool" else dtype
        if rule == "float_only":
            if dtype not in dtypes.FLOAT_DTYPES:
                raise IRError(f"{self.NAME} takes float operands only, got {in_dtypes}")
            return dtype
        raise AssertionError(f"unknown dtype rule {rule!r}")

    def data_operands(self) -> Sequence[Value]:
        """The operands that take part in the dtype rule (all, except a condition)."""
        return self.operands

    def operand_dtypes(self) -> tuple[str, ...]:
        """The dtype each operand must have once casts are explicit."""
        return (self.compute_dtype(),) * len(self.operands)

    def result_dtype(self) -> str:
        return "bool" if self.RULE in ("compare", "predicate") else self.compute_dtype()

    def is_homogeneous(self) -> bool:
        return all(
            v.type.dtype == d for v, d in zip(self.operands, self.operand_dtypes(), strict=True)
        )

    def infer_types(self) -> Sequence[TensorType]:
        operands = self.operands
        if len(operands) == 1:
            shape = operands[0].type.shape
        else:
            try:
                shape = broadcast_shapes(*[v.type.shape for v in operands])
            except ValueError as e:
                raise IRError(f"{self.NAME}: operands do not broadcast: {e}") from None
        return (interned_type(self.result_dtype(), shape),)


class Unary(Elementwise):
    x = Operand()


class Binary(Elementwise):
    x = Operand()
    y = Operand()


class Variadic(Elementwise):
    """n-ary (n ≥ 1), evaluated left to right: ``((a ∘ b) ∘ c)`` in the upcast dtype."""

    inputs = VariadicOperand()

    @classmethod
    def _check_operand_count(cls, count: int) -> None:
        if count < 1:
            raise IRError(f"{cls.NAME}: expected at least 1 operand, got {count}")


# -- arithmetic --------------------------------------------------------------------------------


class Add(Variadic):
    """Sum of the operands, left to right. `%3 = tir.add %0, %1, %2 : f32[4]`"""

    NAME = "tir.add"


class Mul(Variadic):
    """Product of the operands, left to right. `%2 = tir.mul %0, %1 : f32[4]`"""

    NAME = "tir.mul"


class Sub(Binary):
    """x - y. `%2 = tir.sub %0, %1 : f32[4]`"""

    NAME = "tir.sub"
    RULE = "upcast_nobool"


class Div(Binary):
    """True division x / y; two integer operands divide in float64 (PyTensor's floatX default).

    `%2 = tir.div %0, %1 : f32[4]`
    """

    NAME = "tir.div"

    def compute_dtype(self) -> str:
        in_dtypes = [v.dtype for v in self.operands]
        if all(d in dtypes.DISCRETE_DTYPES for d in in_dtypes):
            return "float64"
        return dtypes.upcast(*in_dtypes)


class IntDiv(Binary):
    """Floor division x // y (rounds toward -inf, as Python).

    `%2 = tir.int_div %0, %1 : i64[4]`
    """

    NAME = "tir.int_div"


class Mod(Binary):
    """x mod y with the sign of y (Python's %), for integers and floats.

    `%2 = tir.mod %0, %1 : i64[4]`
    """

    NAME = "tir.mod"


class Pow(Binary):
    """x ** y; bool operands compute in int8. `%2 = tir.pow %0, %1 : f32[4]`"""

    NAME = "tir.pow"
    RULE = "upcast_min8"


class Maximum(Binary):
    """Elementwise maximum; NaN if either is NaN. `%2 = tir.maximum %0, %1 : f32[4]`"""

    NAME = "tir.maximum"


class Minimum(Binary):
    """Elementwise minimum; NaN if either is NaN. `%2 = tir.minimum %0, %1 : f32[4]`"""

    NAME = "tir.minimum"


class Neg(Unary):
    """-x. `%1 = tir.neg %0 : f32[4]`"""

    NAME = "tir.neg"
    RULE = "same_nobool"


class Abs(Unary):
    """|x| (integers wrap: abs(int8 -128) is -128). `%1 = tir.abs %0 : f32[4]`"""

    NAME = "tir.abs"
    RULE = "same"


class Sign(Unary):
    """-1, 0 or 1 by the sign of x; NaN stays NaN. `%1 = tir.sign %0 : f32[4]`"""

    NAME = "tir.sign"
    RULE = "same_nobool"


class Clip(Elementwise):
    """min(max(x, lo), hi) written as PyTensor does: x < lo ? lo : (x > hi ? hi : x).

    `%3 = tir.clip %0, %1, %2 : f32[4]`
    """

    NAME = "tir.clip"
    x = Operand()
    lo = Operand()
    hi = Operand()


# -- float functions (integers are upgraded to float32/float64) --------------------------------


class FloatUnary(Unary):
    RULE = "float"


def _float_unary(name: str, doc: str) -> type[FloatUnary]:
    cls = type(
        "".join(part.capitalize() for part in name.split("_")),
        (FloatUnary,),
        {"NAME": f"tir.{name}", "__doc__": f"{doc} `%1 = tir.{name} %0 : f32[4]`"},
    )
    cls.__module__ = __name__
    return cls


Exp = _float_unary("exp", "e**x.")
Exp2 = _float_unary("exp2", "2**x.")
Expm1 = _float_unary("expm1", "e**x - 1, accurate near 0.")
Log = _float_unary("log", "Natural logarithm.")
Log2 = _float_unary("log2", "Base-2 logarithm.")
Log10 = _float_unary("log10", "Base-10 logarithm.")
Log1p = _float_unary("log1p", "log(1 + x), accurate near 0.")
Sqrt = _float_unary("sqrt", "Square root.")
Reciprocal = _float_unary("reciprocal", "1 / x.")
Sin = _float_unary("sin", "Sine.")
Cos = _float_unary("cos", "Cosine.")
Tan = _float_unary("tan", "Tangent.")
Asin = _float_unary("asin", "Inverse sine.")
Acos = _float_unary("acos", "Inverse cosine.")
Atan = _float_unary("atan", "Inverse tangent.")
Sinh = _float_unary("sinh", "Hyperbolic sine.")
Cosh = _float_unary("cosh", "Hyperbolic cosine.")
Tanh = _float_unary("tanh", "Hyperbolic tangent.")
Asinh = _float_unary("asinh", "Inverse hyperbolic sine.")
Acosh = _float_unary("acosh", "Inverse hyperbolic cosine.")
Atanh = _float_unary("atanh", "Inverse hyperbolic tangent.")
Sigmoid = _float_unary("sigmoid", "1 / (1 + e**-x).")
Softplus = _float_unary("softplus", "log(1 + e**x).")
Erf = _float_unary("erf", "The error function.")
Silu = _float_unary("silu", "x * sigmoid(x) (SiLU, swish).")
Floor = _float_unary("floor", "Largest integer <= x, as a float (integers become float).")
Ceil = _float_unary("ceil", "Smallest integer >= x, as a float (integers become float).")
Trunc = _float_unary("trunc", "x rounded toward zero, as a float (integers become float).")


class RoundHalfToEven(Unary):
    """Round to nearest, ties to even (numpy's round). `%1 = tir.round_half_to_even %0 : f32[4]`"""

    NAME = "tir.round_half_to_even"
    RULE = "float_only"


class RoundHalfAwayFromZero(Unary):
    """PyTensor's round half away from zero: x > 0 ? floor(x + 0.5) : ceil(x - 0.5), computed
    in float64 (so 0.49999999999999994 rounds to 1.0 and +0.0 to -0.0, as PyTensor does).

    `%1 = tir.round_half_away_from_zero %0 : f32[4]`
    """

    NAME = "tir.round_half_away_from_zero"
    RULE = "float_only"


# -- comparisons and logic ---------------------------------------------------------------------


class Compare(Binary):
    RULE = "compare"


def _compare(name: str, symbol: str) -> type[Compare]:
    cls = type(
        name.capitalize(),
        (Compare,),
        {"NAME": f"tir.{name}", "__doc__": f"x {symbol} y. `%2 = tir.{name} %0, %1 : bool[4]`"},
    )
    cls.__module__ = __name__
    return cls


Lt = _compare("lt", "<")
Gt = _compare("gt", ">")
Le = _compare("le", "<=")
Ge = _compare("ge", ">=")
Eq = _compare("eq", "==")
Ne = _compare("ne", "!=")


class IsNan(Unary):
    """True where x is NaN (never for integers). `%1 = tir.isnan %0 : bool[4]`"""

    NAME = "tir.isnan"
    RULE = "predicate"


class IsInf(Unary):
    """True where x is +inf or -inf (never for integers). `%1 = tir.isinf %0 : bool[4]`"""

    NAME = "tir.isinf"
    RULE = "predicate"


class BitwiseAnd(Binary):
    """x & y: logical and on bool, bitwise on integers. `%2 = tir.and %0, %1 : bool[4]`"""

    NAME = "tir.and"


class BitwiseOr(Binary):
    """x | y: logical or on bool, bitwise on integers. `%2 = tir.or %0, %1 : bool[4]`"""

    NAME = "tir.or"


class BitwiseXor(Binary):
    """x ^ y: logical xor on bool, bitwise on integers. `%2 = tir.xor %0, %1 : bool[4]`"""

    NAME = "tir.xor"


class Invert(Unary):
    """~x: logical not on bool, bitwise not on integers. `%1 = tir.invert %0 : bool[4]`"""

    NAME = "tir.invert"
    RULE = "same"

    def verify_op(self) -> None:
        if self.x.dtype not in dtypes.DISCRETE_DTYPES:
            raise IRError(f"tir.invert takes bool or integer operands, got {self.x.dtype}")


class Where(Elementwise):
    """cond ? a : b (cond is any dtype, nonzero is true). `%3 = tir.where %0, %1, %2 : f32[4]`"""

    NAME = "tir.where"
    cond = Operand()
    a = Operand()
    b = Operand()

    def data_operands(self) -> Sequence[Value]:
        return self.operands[1:]

    def operand_dtypes(self) -> tuple[str, ...]:
        dtype = self.compute_dtype()
        return ("bool", dtype, dtype)


# -- conversions -------------------------------------------------------------------------------


class Cast(Operation):
    """Convert to dtype ``to`` (floats to integers truncate toward zero; nonzero is true).

    `%1 = tir.cast %0 {to = f32} : f32[4]`
    """

    NAME = "tir.cast"
    x = Operand()
    to = Attr(A.DTYPE)

    def infer_types(self) -> Sequence[TensorType]:
        return (self.x.type.with_dtype(self.to),)


class Second(Elementwise):
    """y broadcast against x: numpy broadcasting of both shapes, y's values and dtype.

    `%2 = tir.second %0, %1 : f32[2, 3]`
    """

    NAME = "tir.second"
    x = Operand()
    y = Operand()

    def compute_dtype(self) -> str:
        return self.y.dtype

    def operand_dtypes(self) -> tuple[str, ...]:
        return (self.x.dtype, self.y.dtype)


#: Elementwise ops that are commutative in all operands (for canonical operand order and CSE).
COMMUTATIVE: tuple[type[Elementwise], ...] = (
    Add, Mul, Maximum, Minimum, Eq, Ne, BitwiseAnd, BitwiseOr, BitwiseXor,
)  # fmt: skip


__all__ = [
    "Abs", "Acos", "Acosh", "Add", "Asin", "Asinh", "Atan", "Atanh", "Binary", "BitwiseAnd",
    "BitwiseOr", "BitwiseXor", "Cast", "Ceil", "Clip", "Compare", "Cos", "Cosh", "Div",
    "Elementwise", "Eq", "Erf", "Exp", "Exp2", "Expm1", "FloatUnary", "Floor", "Ge", "Gt",
    "IntDiv", "Invert", "IsInf", "IsNan", "Le", "Log", "Log10", "Log1p", "Log2", "Lt",
    "Maximum", "Minimum", "Mod", "Mul", "Ne", "Neg", "Pow", "Reciprocal",
    "RoundHalfAwayFromZero", "RoundHalfToEven", "Second", "Sigmoid", "Sign", "Silu", "Sin",
    "Sinh", "Softplus", "Sqrt", "Sub", "Tan", "Tanh", "Trunc", "Unary", "Variadic", "Where",
]  # fmt: skip
