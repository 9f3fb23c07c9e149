"""Checks a module's invariants: def before use, intact use lists and links, types that re-infer.

A stored result type may refine the inferred one (an inferred ``?`` dim may be known from the
frontend); every other difference is an error.
"""

from __future__ import annotations

from ir.core import Function, IRError, Module, Operation, Return, Use, Value
from ir.printer import op_to_text
from ir.types import UNKNOWN, TensorType


class VerificationError(IRError):
    """The module breaks an invariant; the message names the op."""


def verify_module(module: Module) -> None:
    verify_function(module.func)


def verify_function(func: Function) -> None:
    defined: set[Value] = set()
    for arg in func.args:
        if arg.owner is not None:
            raise VerificationError(f"argument {arg!r} has an owner")
        if not arg.name:
            raise VerificationError("every function argument needs a name")
        if not all(_is_live(use, arg) for use in arg._uses):
            raise VerificationError(f"stale use of argument %{arg.name}")
        defined.add(arg)
    if len({a.name for a in func.args}) != len(func.args):
        raise VerificationError("function argument names must be unique")

    count, prev = 0, None
    for op in func.ops:
        count += 1
        if op.parent is not func or op.prev is not prev:
            raise VerificationError(f"broken op list at {op_to_text(op)}")
        if isinstance(op, Return) and op is not func.last:
            raise VerificationError("return must be the last op")
        _verify_op(op, defined)
        defined.update(op.results)
        prev = op
    if prev is not func.last or count != len(func):
        raise VerificationError("broken op list: last op or op count is wrong")
    if not isinstance(func.last, Return):
        raise VerificationError(f"function @{func.name} must end with return")
    names = func.terminator.names
    if len(set(names)) != len(names) or not all(names):
        raise VerificationError(f"output names must be unique and non-empty: {names}")


def _verify_op(op: Operation, defined: set[Value]) -> None:
    for index, value in enumerate(op.operands):
        if value not in defined:
            raise VerificationError(
                f"operand {index} of `{op_to_text(op)}` is used before it is defined"
            )
        if Use(op, index) not in value._uses:
            raise VerificationError(f"use list of operand {index} of `{op_to_text(op)}` is broken")
    for result in op.results:
        if result.owner is not op:
            raise VerificationError(f"result of `{op_to_text(op)}` has a wrong owner")
        if not all(_is_live(use, result) for use in result._uses):
            raise VerificationError(f"stale use of a result of `{op_to_text(op)}`")
    try:
        inferred = tuple(op.infer_types())
        op.verify_op()
    except IRError as e:
        raise VerificationError(f"`{op_to_text(op)}`: {e}") from None
    stored = tuple(r.type for r in op.results)
    if len(inferred) != len(stored) or not all(
        refines(s, i) for s, i in zip(stored, inferred, strict=True)
    ):
        raise VerificationError(
            f"`{op_to_text(op)}`: result types {[str(t) for t in stored]} do not match "
            f"the inferred {[str(t) for t in inferred]}"
        )


def _is_live(use: Use, value: Value) -> bool:
    """True when ``use`` is an operand of an op in a function that really reads ``value``."""
    op, index = use
    return op.parent is not None and index < len(op.operands) and op.operands[index] is value


def refines(stored: TensorType, inferred: TensorType) -> bool:
    """True when ``stored`` is ``inferred`` with some unknown (``?``) dims made precise."""
    return (
        stored.dtype == inferred.dtype
        and stored.rank == inferred.rank
        and all(s == i or i == UNKNOWN for s, i in zip(stored.shape, inferred.shape, strict=True))
    )
