"""A numpy interpreter of the IR: the reference semantics every pass and lowering is checked by.

One small function per op class, registered with ``@implements``. Results are checked against
the ops' static types, so a wrong shape inference fails loudly here first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import cast

import numpy as np

import ir.ops
from ir.core import Block, Function, IRError, Module, Operation, Return, Value, Yield

#: An implementation of ops of class ``O``: the op and its operands' arrays give one array per
#: result (or the array of a one-result op).
type ImplOf[O: Operation] = Callable[[O, list[np.ndarray]], np.ndarray | Sequence[np.ndarray]]
Impl = ImplOf[Operation]
IMPLS: dict[type[Operation], Impl] = {}


def implements[O: Operation](*op_classes: type[O]) -> Callable[[ImplOf[O]], ImplOf[O]]:
    """Register the decorated function for ``op_classes``; its ``op`` parameter is typed by
    them (``op: ops.Transpose``; their common base class when there are several)."""

    def register(fn: ImplOf[O]) -> ImplOf[O]:
        for cls in op_classes:
            IMPLS[cls] = cast(Impl, fn)  # called only with ops of its class (evaluate_op)
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
        names = [a.name for a in func.args]
        missing = [n for n in names if n is None or n not in inputs]
        if missing:
            raise InterpreterError(f"missing inputs {missing}")
        inputs = [inputs[n] for n in names if n is not None]
    if len(inputs) != len(func.args):
        raise InterpreterError(f"expected {len(func.args)} inputs, got {len(inputs)}")
    env: dict[Value, np.ndarray] = {}
    for arg, array in zip(func.args, inputs, strict=True):
        array = np.asarray(array)
        if str(array.dtype) != arg.dtype:
            raise InterpreterError(f"input {arg.name} must be {arg.dtype}, got {array.dtype}")
        _check_shape(arg, array)
        env[arg] = array
    return run_block(func, env)


def run_block(block: Block, env: dict[Value, np.ndarray]) -> list[np.ndarray]:
    """Evaluate a block's ops (adding their results to ``env``); return what it returns or
    yields. An op with regions evaluates them through its entry in ``REGION_IMPLS``."""
    for op in block.ops:
        if isinstance(op, Return | Yield):
            return [env[v] for v in op.operands]
        args = [env[v] for v in op.operands]
        if op.regions:
            region_impl = REGION_IMPLS.get(type(op))
            if region_impl is None:
                raise InterpreterError(f"no interpreter implementation for {op.NAME}")
            outs = region_impl(op, args, env)
            for result, array in zip(op.results, outs, strict=True):
                _check_shape(result, array)
        else:
            outs = evaluate_op(op, args)
        for result, array in zip(op.results, outs, strict=True):
            env[result] = array
    raise InterpreterError("block has no terminator")


RegionImpl = Callable[[Operation, list[np.ndarray], dict[Value, np.ndarray]], list[np.ndarray]]
REGION_IMPLS: dict[type[Operation], RegionImpl] = {}


def _if(op: Operation, args: list[np.ndarray], env: dict[Value, np.ndarray]) -> list[np.ndarray]:
    (cond,) = args
    return run_block(op.regions[0 if bool(cond) else 1], env)


def _loop(op: Operation, args: list[np.ndarray], env: dict[Value, np.ndarray]) -> list[np.ndarray]:
    """ONNX Loop: iterate while ``i < trip`` and the condition holds; carried values feed the
    next iteration, per-iteration values are stacked (see ``ir.ops.Loop``)."""
    trip, cond, *carried = args
    body = op.regions[0]
    num_carried = len(carried)
    steps: list[list[np.ndarray]] = [[] for _ in op.results[num_carried:]]
    i, go = 0, bool(cond)
    while i < int(trip) and go:
        inputs = [np.array(i, dtype=np.int64), np.array(True), *carried]
        for arg, array in zip(body.args, inputs, strict=True):
            _check_shape(arg, array)
            env[arg] = array
        out = run_block(body, env)
        go = bool(out[0])
        carried = out[1 : 1 + num_carried]
        for stack, array in zip(steps, out[1 + num_carried :], strict=True):
            if stack and stack[0].shape != array.shape:
                raise InterpreterError(
                    f"{op.NAME}: a per-iteration value changes shape from {stack[0].shape} "
                    f"to {array.shape} (ONNX Loop stacks equal shapes only)"
                )
            stack.append(array)
        i += 1
    stacked = []
    for stack, value in zip(steps, body.yielded[1 + num_carried :], strict=True):
        if stack:
            stacked.append(np.stack(stack))
        else:  # no iteration ran: dims of the per-step type that are not static are 0
            shape = (0, *(d if isinstance(d, int) else 0 for d in value.shape))
            stacked.append(np.zeros(shape, dtype=value.dtype))
    return [*carried, *stacked]


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
    dims = value.shape
    if array.ndim != len(dims) or any(
        isinstance(d, int) and d != n for d, n in zip(dims, array.shape, strict=False)
    ):
        raise InterpreterError(f"{value!r}: run-time shape {array.shape} does not match its type")


REGION_IMPLS[ir.ops.If] = _if
REGION_IMPLS[ir.ops.Loop] = _loop

# The per-family implementations register themselves on import.
from ir.interpreter import (  # noqa: E402, F401
    elementwise,
    indexing,
    linalg,
    misc,
    nn,
    reduction,
    shape,
    special,
    special_bessel,
    special_beta,
    special_inverse,
    sum_square,
    tensor,
)
