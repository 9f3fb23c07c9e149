"""Interpreter implementations of reductions, scans, sorting and the softmax family."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ir import ops
from ir.interpreter import ImplOf, implements
from ir.ops.reduction import accumulator_dtype


def _axes(op: ops.Reduce) -> tuple[int, ...]:
    return tuple(op.reduced_axes())


def _reduce(fn: Callable[..., np.ndarray]) -> ImplOf[ops.Reduce]:
    def impl(op: ops.Reduce, args: list[np.ndarray]) -> np.ndarray:
        (x,) = args
        if not _axes(op):  # nothing reduced: x itself (numpy's sum would turn -0.0 into 0.0)
            return x.copy()
        return fn(x, axis=_axes(op), keepdims=op.keepdims, dtype=x.dtype)

    return impl


implements(ops.ReduceSum)(_reduce(np.sum))
implements(ops.ReduceProd)(_reduce(np.prod))


def _extreme(dtype: np.dtype, highest: bool) -> float | bool | int:
    """The value an empty max (lowest) or min (highest) reduction gives."""
    if dtype.kind == "f":
        return np.inf if highest else -np.inf
    if dtype.kind == "b":
        return highest
    info = np.iinfo(dtype)
    return info.max if highest else info.min


def _extremum(fn: Callable[..., np.ndarray], highest: bool) -> ImplOf[ops.Reduce]:
    def impl(op: ops.Reduce, args: list[np.ndarray]) -> np.ndarray:
        (x,) = args
        return fn(
            x,
            axis=_axes(op),
            keepdims=op.keepdims,
            initial=_extreme(x.dtype, highest),
        )

    return impl


implements(ops.ReduceMax)(_extremum(np.max, highest=False))
implements(ops.ReduceMin)(_extremum(np.min, highest=True))


def _ufunc_reduction(ufunc: np.ufunc) -> ImplOf[ops.Reduce]:
    """``ufunc.reduce`` over the axes, in x's dtype (no axes: x itself)."""

    def impl(op: ops.Reduce, args: list[np.ndarray]) -> np.ndarray:
        (x,) = args
        if not _axes(op):
            return x.copy()
        out: np.ndarray = ufunc.reduce(x, axis=_axes(op), keepdims=op.keepdims, dtype=x.dtype)
        return out

    return impl


implements(ops.ReduceAll)(_ufunc_reduction(np.logical_and))
implements(ops.ReduceAny)(_ufunc_reduction(np.logical_or))
implements(ops.ReduceBitwiseAnd)(_ufunc_reduction(np.bitwise_and))
implements(ops.ReduceBitwiseOr)(_ufunc_reduction(np.bitwise_or))
implements(ops.ReduceBitwiseXor)(_ufunc_reduction(np.bitwise_xor))


@implements(ops.LogSumExp)
def _logsumexp(op: ops.LogSumExp, args: list[np.ndarray]) -> np.ndarray:
    (x,) = args
    axes = _axes(op)
    m = np.max(x, axis=axes, keepdims=True, initial=-np.inf).astype(x.dtype)
    m = np.where(np.isinf(m), np.zeros((), x.dtype), m)
    total = np.sum(np.exp(x - m), axis=axes, keepdims=True, dtype=accumulator_dtype(x.dtype.name))
    out: np.ndarray = np.log(total.astype(x.dtype)) + m
    return out if op.keepdims else np.squeeze(out, axis=axes)


def _arg(fn: Callable[..., np.ndarray]) -> ImplOf[ops.ArgReduce]:
    def impl(op: ops.ArgReduce, args: list[np.ndarray]) -> np.ndarray:
        return fn(args[0], axis=op.axis, keepdims=op.keepdims)

    return impl


implements(ops.ArgMax)(_arg(np.argmax))
implements(ops.ArgMin)(_arg(np.argmin))


@implements(ops.CumSum)
def _cumsum(op: ops.CumSum, args: list[np.ndarray]) -> np.ndarray:
    return np.cumsum(args[0], axis=op.axis, dtype=args[0].dtype)


@implements(ops.CumProd)
def _cumprod(op: ops.CumProd, args: list[np.ndarray]) -> np.ndarray:
    return np.cumprod(args[0], axis=op.axis, dtype=args[0].dtype)


@implements(ops.Sort)
def _sort(op: ops.Sort, args: list[np.ndarray]) -> np.ndarray:
    return np.sort(args[0], axis=op.axis, kind="stable")


@implements(ops.Argsort)
def _argsort(op: ops.Argsort, args: list[np.ndarray]) -> np.ndarray:
    return np.argsort(args[0], axis=op.axis, kind="stable")


def _shifted_and_total(op: ops.Softmax, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x - max(x) and the sum of its exponentials (in the accumulator dtype, then rounded)."""
    axes = tuple(a % x.ndim for a in op.axes)
    shifted = x - np.max(x, axis=axes, keepdims=True, initial=-np.inf).astype(x.dtype)
    acc = accumulator_dtype(x.dtype.name)
    total = np.sum(np.exp(shifted), axis=axes, keepdims=True, dtype=acc).astype(x.dtype)
    return shifted, total


@implements(ops.Softmax)
def _softmax(op: ops.Softmax, args: list[np.ndarray]) -> np.ndarray:
    shifted, total = _shifted_and_total(op, args[0])
    out: np.ndarray = np.exp(shifted) / total
    return out


@implements(ops.LogSoftmax)
def _log_softmax(op: ops.LogSoftmax, args: list[np.ndarray]) -> np.ndarray:
    shifted, total = _shifted_and_total(op, args[0])
    return shifted - np.log(total)
