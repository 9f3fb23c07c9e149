"""The compiler's errors: malformed IR (``IRError``) and what users see (``CompileError`` and
its kinds). The bottom of the import graph: it imports nothing of the project, so the frontend,
the passes, the lowering and the driver all raise the same classes. Users import them from
``compiler`` (``from compiler import UnsupportedOpError``); ``ir.errors`` is their home.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "CompileError", "IRError", "InvalidGraphError", "OptionError", "SourceLocation",
    "UnsupportedOp", "UnsupportedOpError",
]  # fmt: skip


class IRError(Exception):
    """Malformed IR: a broken invariant, a bad operand or attribute, a type that does not check."""


class CompileError(Exception):
    """Base class of the compiler's user-facing errors."""


class OptionError(CompileError, ValueError):
    """An option the compiler cannot honour: an opset or IR version, a pass name, a dim name."""


class InvalidGraphError(CompileError):
    """The graph cannot become a valid model as it is (it has no outputs, say)."""


class SourceLocation(Protocol):
    """Where an op came from (``ir.core.Location``): what an error report needs of it."""

    def format_user_trace(self, indent: str) -> str:
        """The stack where the user created the value (the compiler's own frames left out),
        or "" when nothing is known."""
        ...


@dataclass(frozen=True)
class UnsupportedOp:
    """One op the compiler cannot express: what it is, what it computes, why, and where from."""

    op: str
    reason: str
    output: str | None = None
    input_types: tuple[str, ...] = ()
    location: SourceLocation | None = None

    def describe(self) -> str:
        lines = [f"- {self.op}: {self.reason}"]
        if self.output:
            lines.append(f"    output: {self.output}")
        if self.input_types:
            lines.append(f"    input types: {', '.join(self.input_types)}")
        trace = self.location.format_user_trace("      ") if self.location is not None else ""
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
