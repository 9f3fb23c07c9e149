"""A numpy interpreter of the IR: the reference semantics every pass and lowering is checked by.

One small function per op class, registered with ``@implements``. Results are checked against
the ops' static types, so a wrong shape inference fails loudly here first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from scipy import special

from ir import ops
from ir.core import Function, IRError, Module, Operation, Return, Value

Impl = Callable[[Operation, list[np.ndarray]], np.ndarray | Sequence[np.ndarray]]
IMPLS: dict[type[Operation], Impl] = {}


def implements(*op_classes: type[Operation]) -> Callable[[Impl], Impl]:
    def register(fn: Impl) -> Impl:
        for cls in op_classes:
            IMPLS[cls] = fn
        return fn

    return register


class InterpreterError(IRError):
    """The interpreter cannot evaluate an op (no implementation, or bad inputs)."""


def run_module(
    module: Module, inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray]
) -> list[np.ndarray]:
    return run_function(module.func, inputs)


def run_function(
    func: Function, inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray]
) -> list[np.ndarray]:
    """Evaluate ``func`` on ``inputs`` (by position, or by argument name)."""
    if isinstance(inputs, Mapping):
        missing = [a.name for a in func.args if a.name not in inputs]
        if missing:
            raise InterpreterError(f"missing inputs {missing}")
        inputs = [inputs[a.name] for a in func.args]  # type: ignore[index]
    if len(inputs) != len(func.args):
        raise InterpreterError(f"expected {len(func.args)} inputs, got {len(inputs)}")
    env: dict[Value, np.ndarray] = {}
    for arg, array in zip(func.args, inputs, strict=True):
        array = np.asarray(array)
        if str(array.dtype) != arg.dtype:
            raise InterpreterError(f"input {arg.name} must be {arg.dtype}, got {array.dtype}")
        _check_shape(arg, array)
        env[arg] = array
    for op in func.ops:
        if isinstance(op, Return):
            return [env[v] for v in op.operands]
        for result, array in zip(
            op.results, evaluate_op(op, [env[v] for v in op.operands]), strict=True
        ):
            env[result] = array
    raise InterpreterError("function has no return")


def evaluate_op(op: Operation, args: list[np.ndarray]) -> list[np.ndarray]:
    """Evaluate one op on numpy arrays; results have exactly the op's result dtypes."""
    impl = IMPLS.get(type(op))
    if impl is None:
        raise InterpreterError(f"no interpreter implementation for {op.NAME}")
    with np.errstate(all="ignore"):
        out = impl(op, args)
    outs = [out] if isinstance(out, np.ndarray | np.generic) else list(out)
    results = []
    for result, array in zip(op.results, outs, strict=True):
        array = np.asarray(array)
        if str(array.dtype) != result.dtype:
            with np.errstate(all="ignore"):
                array = array.astype(result.dtype)
        _check_shape(result, array)
        results.append(array)
    return results


def _check_shape(value: Value, array: np.ndarray) -> None:
    shape = value.shape
    if array.ndim != len(shape) or any(
        isinstance(d, int) and d != n for d, n in zip(shape, array.shape, strict=False)
    ):
        raise InterpreterError(f"{value!r}: run-time shape {array.shape} does not match its type")


# -- elementwise -------------------------------------------------------------------------------


def _cast_operands(op: ops.Elementwise, args: list[np.ndarray]) -> list[np.ndarray]:
    return [a.astype(d, copy=False) for a, d in zip(args, op.operand_dtypes(), strict=True)]


def _elementwise(fn: Callable[..., np.ndarray]) -> Impl:
    def impl(op: Operation, args: list[np.ndarray]) -> np.ndarray:
        return fn(*_cast_operands(op, args))  # type: ignore[arg-type]

    return impl


def _fold_left(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Impl:
    def impl(op: Operation, args: list[np.ndarray]) -> np.ndarray:
        args = _cast_operands(op, args)  # type: ignore[arg-type]
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


_ELEMENTWISE: dict[type[Operation], Callable[..., np.ndarray]] = {
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
    IMPLS[_cls] = _elementwise(_fn)
IMPLS[ops.Add] = _fold_left(np.add)
IMPLS[ops.Mul] = _fold_left(np.multiply)


@implements(ops.Second)
def _second(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x, y = args
    return np.broadcast_to(y, np.broadcast_shapes(x.shape, y.shape)).copy()


@implements(ops.Cast)
def _cast(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return args[0].astype(op.attributes["to"])


# -- tensors -----------------------------------------------------------------------------------


@implements(ops.Constant)
def _constant(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return op.attributes["value"].array


@implements(ops.DimShuffle)
def _dimshuffle(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    (x,) = args
    order = op.attributes["order"]
    kept = [a for a in order if a != "x"]
    # Dropped axes have size 1: moving them last and reshaping them away loses nothing.
    dropped = [a for a in range(x.ndim) if a not in kept]
    x = np.transpose(x, kept + dropped).reshape(tuple(x.shape[a] for a in kept))
    return x.reshape(tuple(1 if a == "x" else x.shape[kept.index(a)] for a in order))


@implements(ops.Transpose)
def _transpose(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.transpose(args[0], op.attributes["perm"])


@implements(ops.Squeeze)
def _squeeze(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.squeeze(args[0], axis=op.attributes["axes"])


@implements(ops.Unsqueeze)
def _unsqueeze(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.expand_dims(args[0], op.attributes["axes"])
