"""Interpreter implementations of reductions, scans, sorting and the softmax family."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

from ir import ops
from ir.core import Operation
from ir.interpreter import Impl, implements


def _reduce(fn: Callable[..., np.ndarray], *, keep_dtype: bool = True) -> Impl:
    def impl(op: Operation, args: list[np.ndarray]) -> np.ndarray:
        (x,) = args
        kwargs = {"dtype": x.dtype} if keep_dtype else {}
        return fn(
            x, axis=tuple(op.attributes["axes"]), keepdims=op.attributes["keepdims"], **kwargs
        )

    return impl


implements(ops.ReduceSum)(_reduce(np.sum))
implements(ops.ReduceProd)(_reduce(np.prod))
implements(ops.ReduceMax)(_reduce(np.max, keep_dtype=False))
implements(ops.ReduceMin)(_reduce(np.min, keep_dtype=False))
implements(ops.ReduceAll)(_reduce(np.all, keep_dtype=False))
implements(ops.ReduceAny)(_reduce(np.any, keep_dtype=False))
implements(ops.LogSumExp)(_reduce(special.logsumexp, keep_dtype=False))


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


@implements(ops.Softmax)
def _softmax(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x = args[0]
    axes = tuple(op.attributes["axes"])
    e = np.exp(x - np.max(x, axis=axes, keepdims=True))
    return e / np.sum(e, axis=axes, keepdims=True)


@implements(ops.LogSoftmax)
def _log_softmax(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x = args[0]
    axes = tuple(op.attributes["axes"])
    shifted = x - np.max(x, axis=axes, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axes, keepdims=True))
