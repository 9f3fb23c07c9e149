"""User-facing errors of the compiler, shared by the frontend, the passes and the lowering."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ir.core import Function, Location, Module, Operation
from ir.printer import print_function
from ir.verifier import VerificationError, verify_module


class CompileError(Exception):
    """Base class of the compiler's user-facing errors."""


class OptionError(CompileError, ValueError):
    """An option the compiler cannot honour: an opset or IR version, a pass name, a dim name."""


class InvalidGraphError(CompileError):
    """The graph cannot become a valid model as it is (it has no outputs, say)."""


@dataclass(frozen=True)
class UnsupportedOp:
    """One op the compiler cannot express: what it is, what it computes, why, and where from."""

    op: str
    reason: str
    output: str | None = None
    input_types: tuple[str, ...] = ()
    location: Location | None = None

    def describe(self) -> str:
        lines = [f"- {self.op}: {self.reason}"]
        if self.output:
            lines.append(f"    output: {self.output}")
        if self.input_types:
            lines.append(f"    input types: {', '.join(self.input_types)}")
        trace = format_user_trace(self.location, indent="      ")
        if trace:
            lines.append("    created at (most recent call last):")
            lines.append(trace)
        return "\n".join(lines)


class UnsupportedOpError(CompileError):
    """The graph holds ops the compiler cannot express; ``.ops`` lists every one of them."""

    def __init__(self, ops: Sequence[UnsupportedOp]) -> None:
        self.ops = tuple(ops)
        noun = "op" if len(self.ops) == 1 else "ops"
        body = "\n".join(o.describe() for o in self.ops)
        super().__init__(f"{len(self.ops)} unsupported {noun} in the graph:\n{body}")


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


#: Folders of the compiler's own code: frames there are not the user's.
_COMPILER_FOLDERS = tuple(
    str(Path(__file__).resolve().parents[1] / name) + os.sep
    for name in ("compiler", "ir", "passes", "lowering", "nn")
)


def format_user_trace(location: Location | None, indent: str) -> str:
    """The stack where the user created a variable, without the frames of the compiler
    itself or of Python's machinery (``ptonnx compile`` calls the user's builder)."""
    if location is None:
        return ""
    frames = tuple(
        frame
        for frame in location.trace
        if not frame[0].startswith("<frozen ")
        and not str(Path(frame[0]).resolve()).startswith(_COMPILER_FOLDERS)
    )
    return (
        Location(location.origin, location.variable, frames).format_trace(indent) if frames else ""
    )


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
