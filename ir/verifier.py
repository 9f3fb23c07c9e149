"""Checks a module's invariants: def before use, intact use lists and links, types that re-infer.

Scoping: a block's arguments are defined at its top; an op reads values defined before it in
its block or in an enclosing block (before the op owning the region), or arguments of those
blocks. Values defined in a region are invisible outside it.

A stored result type may refine the inferred one (an inferred ``?`` dim may be known from the
frontend); every other difference is an error.
"""

from __future__ import annotations

from ir.core import Block, Function, IRError, Module, Operation, Return, Use, Value, Yield
from ir.printer import op_to_text
from ir.types import UNKNOWN, TensorType


class VerificationError(IRError):
    """The module breaks an invariant; the message names the op, ``.op`` is it (when one is
    to blame), for diagnostics that mark it in the printed IR."""

    op: Operation | None = None


def verify_module(module: Module) -> None:
    verify_function(module.func)


def verify_function(func: Function) -> None:
    if not all(arg.name for arg in func.args):
        raise VerificationError("every function argument needs a name")
    if len({a.name for a in func.args}) != len(func.args):
        raise VerificationError("function argument names must be unique")
    _verify_block(func, set(), Return, set())
    if not isinstance(func.last, Return):
        raise VerificationError(f"function @{func.name} must end with return")
    names = func.terminator.names
    if len(set(names)) != len(names) or not all(names):
        raise VerificationError(f"output names must be unique and non-empty: {names}")


def _verify_block(
    block: Block, defined: set[Value], terminator: type[Operation], all_args: set[Value]
) -> None:
    """The block's arguments, then its ops in order, each reading only values defined before
    it here or in enclosing blocks; the block ends with ``terminator`` and has it nowhere
    else. ``all_args`` collects every block argument seen, so that none is shared."""
    for arg in block.args:
        if arg.owner is not None:
            raise VerificationError(f"block argument {arg!r} has an owner")
        if arg in all_args:
            raise VerificationError(f"block argument {arg!r} is an argument of two blocks")
        if not all(_is_live(use, arg) for use in arg._uses):
            label = f"%{arg.name}" if arg.name else repr(arg)
            raise VerificationError(f"stale use of argument {label}")
        all_args.add(arg)
        defined.add(arg)
    count, prev = 0, None
    for op in block.ops:
        count += 1
        if op.parent is not block or op.prev is not prev:
            raise VerificationError(f"broken op list at {op_to_text(op)}")
        if isinstance(op, Return | Yield) and (op is not block.last or type(op) is not terminator):
            raise VerificationError(f"{op.NAME} must be the last op of its block only")
        try:
            _verify_op(op, defined)
        except VerificationError as e:
            e.op = op
            raise
        for region in op.regions:
            if region.owner is not op:
                raise VerificationError(f"a region of `{op_to_text(op)}` has a wrong owner")
            _verify_block(region, set(defined), Yield, all_args)  # region values stay inside
        defined.update(op.results)
        prev = op
    if prev is not block.last or count != len(block):
        raise VerificationError("broken op list: last op or op count is wrong")
    if terminator is Yield and not isinstance(block.last, Yield):
        raise VerificationError("a region must end with yield")


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
    if inferred != stored and (
        len(inferred) != len(stored)
        or not all(refines(s, i) for s, i in zip(stored, inferred, strict=True))
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
    """True when the stored type is compatible with the inferred one: same dtype and rank, and
    each dim equal or unknown ("?") on either side. A stored dim may be more precise (the
    frontend knows PyTensor's static shape) or less (a pass made an operand constant)."""
    return (
        stored.dtype == inferred.dtype
        and stored.rank == inferred.rank
        and all(
            s == i or UNKNOWN in (s, i) for s, i in zip(stored.shape, inferred.shape, strict=True)
        )
    )
