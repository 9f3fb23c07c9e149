"""Error context for users: IR excerpts with the offending op marked, where an op came from.

The error classes themselves live in ``ir.errors`` (re-exported here for older imports).
"""

from __future__ import annotations

from ir.core import Function, Location, Module, Operation
from ir.errors import (
    CompileError,
    InvalidGraphError,
    OptionError,
    UnsupportedOp,
    UnsupportedOpError,
)
from ir.printer import print_function
from ir.verifier import VerificationError, verify_module

__all__ = [
    "CompileError", "InvalidGraphError", "OptionError", "UnsupportedOp", "UnsupportedOpError",
    "describe_origin", "format_user_trace", "mark_op", "op_context", "verify_with_context",
]  # fmt: skip


#: How many lines of IR around a marked op an excerpt shows (on each side).
EXCERPT_RADIUS = 6
#: How many lines an excerpt without a marked op shows.
EXCERPT_HEAD = 40


def mark_op(
    module: Module | Function,
    op: Operation | None,
    *,
    radius: int | None = EXCERPT_RADIUS,
    elide_constants_above: int | None = 16,
) -> str:
    """The printed IR with ``op``'s line marked by ``>``, and ``radius`` lines around it
    (``None``: all lines). Without an op (or one no longer in the module), the first
    ``EXCERPT_HEAD`` lines, unmarked::

          %0 = tir.exp %x : f32[2]
        > %1 = tir.reshape %0 {shape = [3]} : f32[3]
          return %1 : "y"
    """
    func = module.func if isinstance(module, Module) else module
    op_lines: dict[Operation, int] = {}
    lines = print_function(
        func, elide_constants_above=elide_constants_above, op_lines=op_lines
    ).splitlines()
    target = op_lines.get(op) if op is not None else None
    if target is None:
        head = lines[:EXCERPT_HEAD]
        return "\n".join(head + (["  ..."] if len(lines) > EXCERPT_HEAD else []))
    marked = [("> " if i == target else "  ") + line for i, line in enumerate(lines)]
    if radius is None:
        return "\n".join(marked)
    first, last = max(0, target - radius), min(len(lines), target + radius + 1)
    return "\n".join(
        (["  ..."] if first > 0 else [])
        + marked[first:last]
        + (["  ..."] if last < len(lines) else [])
    )


def describe_origin(location: Location | None) -> str:
    """Where an op came from, for error messages: the PyTensor op, the variable it computes,
    and the user's stack when it was created (empty when nothing is known)."""
    if location is None:
        return ""
    variable = f" (variable {location.variable!r})" if location.variable else ""
    text = f"from PyTensor {location.origin}{variable}"
    trace = format_user_trace(location, indent="  ")
    if trace:
        text += ", created at (most recent call last):\n" + trace
    return text


def format_user_trace(location: Location | None, indent: str) -> str:
    """The stack where the user created a variable, without the frames of the compiler
    itself or of Python's machinery (``ptonnx compile`` calls the user's builder)."""
    return location.format_user_trace(indent) if location is not None else ""


def op_context(module: Module | Function, op: Operation | None) -> str:
    """An error's context: the IR excerpt with the op marked, then the op's origin."""
    origin = describe_origin(op.location) if op is not None else ""
    return mark_op(module, op) + (f"\n{origin}" if origin else "")


def verify_with_context(module: Module, stage: str) -> None:
    """Run the IR verifier; its error, if any, is raised again with the offending op marked
    in the printed IR and the op's origin. ``stage`` names what made the IR ("parsing")."""
    try:
        verify_module(module)
    except VerificationError as e:
        error = VerificationError(f"invalid IR after {stage}: {e}\n{op_context(module, e.op)}")
        error.op = e.op
        raise error from e
