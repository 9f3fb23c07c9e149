"""Interpreter implementations of reductions, scans, sorting and the softmax family."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ir import ops
from ir.core import Operation
from ir.interpreter import Impl, implements
from ir.ops.reduction import accumulator_dtype


def _axes(op: Operation) -> tuple[int, ...]:
    return tuple(op.reduced_axes())


def _reduce(fn: Callable[..., np.ndarray]) -> Impl:
    def impl(op: Operation, args: list[np.ndarray]) -> np.ndarray:
        (x,) = args
        if not _axes(op):  # nothing reduced: x itself (numpy's sum would turn -0.0 into 0.0)
            return x.copy()
        return fn(x, axis=_axes(op), keepdims=op.attributes["keepdims"], dtype=x.dtype)

    return impl


implements(ops.ReduceSum)(_reduce(np.sum))
implements(ops.ReduceProd)(_reduce(np.prod))


def _extreme(dtype: np.dtype, highest: bool):
    """The value an empty max (lowest) or min (highest) reduction gives."""
    if dtype.kind == "f":
        return np.inf if highest else -np.inf
    if dtype.kind == "b":
        return highest
    info = np.iinfo(dtype)
    return info.max if highest else info.min


def _extremum(fn: Callable[..., np.ndarray], highest: bool) -> Impl:
    def impl(op: Operation, args: list[np.ndarray]) -> np.ndarray:
        (x,) = args
        return fn(
            x,
            axis=_axes(op),
            keepdims=op.attributes["keepdims"],
            initial=_extreme(x.dtype, highest),
        )

    return impl


implements(ops.ReduceMax)(_extremum(np.max, highest=False))
implements(ops.ReduceMin)(_extremum(np.min, highest=True))


@implements(ops.ReduceAll)
def _all(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.all(args[0], axis=_axes(op), keepdims=op.attributes["keepdims"])


@implements(ops.ReduceAny)
def _any(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.any(args[0], axis=_axes(op), keepdims=op.attributes["keepdims"])


def _bitwise(ufunc: np.ufunc) -> Impl:
    def impl(op: Operation, args: list[np.ndarray]) -> np.ndarray:
        (x,) = args
        if not _axes(op):
            return x.copy()
        return ufunc.reduce(x, axis=_axes(op), keepdims=op.attributes["keepdims"], dtype=x.dtype)

    return impl


implements(ops.ReduceBitwiseAnd)(_bitwise(np.bitwise_and))
implements(ops.ReduceBitwiseOr)(_bitwise(np.bitwise_or))
implements(ops.ReduceBitwiseXor)(_bitwise(np.bitwise_xor))


@implements(ops.LogSumExp)
def _logsumexp(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    (x,) = args
    axes = _axes(op)
    m = np.max(x, axis=axes, keepdims=True, initial=-np.inf).astype(x.dtype)
    m = np.where(np.isinf(m), np.zeros((), x.dtype), m)
    total = np.sum(np.exp(x - m), axis=axes, keepdims=True, dtype=accumulator_dtype(x.dtype.name))
    out = np.log(total.astype(x.dtype)) + m
    return out if op.attributes["keepdims"] else np.squeeze(out, axis=axes)


def _arg(fn: Callable[..., np.ndarray]) -> Impl:
    def impl(op: Operation, args: list[np.ndarray]) -> np.ndarray:
        return fn(args[0], axis=op.attributes["axis"], keepdims=op.attributes["keepdims"])

    return impl


implements(ops.ArgMax)(_arg(np.argmax))
implements(ops.ArgMin)(_arg(np.argmin))


@implements(ops.CumSum)
def _cumsum(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.cumsum(args[0], axis=op.attributes["axis"], dtype=args[0].dtype)


@implements(ops.CumProd)
def _cumprod(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.cumprod(args[0], axis=op.attributes["axis"], dtype=args[0].dtype)


@implements(ops.Sort)
def _sort(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.sort(args[0], axis=op.attributes["axis"], kind="stable")


@implements(ops.Argsort)
def _argsort(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.argsort(args[0], axis=op.attributes["axis"], kind="stable")


def _shifted_and_total(op: Operation, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x - max(x) and the sum of its exponentials (in the accumulator dtype, then rounded)."""
    axes = tuple(a % x.ndim for a in op.attributes["axes"])
    shifted = x - np.max(x, axis=axes, keepdims=True, initial=-np.inf).astype(x.dtype)
    acc = accumulator_dtype(x.dtype.name)
    total = np.sum(np.exp(shifted), axis=axes, keepdims=True, dtype=acc).astype(x.dtype)
    return shifted, total


@implements(ops.Softmax)
def _softmax(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    shifted, total = _shifted_and_total(op, args[0])
    return np.exp(shifted) / total


@implements(ops.LogSoftmax)
def _log_softmax(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    shifted, total = _shifted_and_total(op, args[0])
    return shifted - np.log(total)
