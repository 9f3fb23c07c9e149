"""User-facing errors of the compiler, shared by the frontend, the passes and the lowering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ir.core import Location


class CompileError(Exception):
    """Base class of the compiler's user-facing errors."""


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
        if self.location is not None and self.location.trace:
            lines.append("    created at (most recent call last):")
            lines.append(self.location.format_trace(indent="      "))
        return "\n".join(lines)


class UnsupportedOpError(CompileError):
    """The graph holds ops the compiler cannot express; ``.ops`` lists every one of them."""

    def __init__(self, ops: Sequence[UnsupportedOp]) -> None:
        self.ops = tuple(ops)
        noun = "op" if len(self.ops) == 1 else "ops"
        body = "\n".join(o.describe() for o in self.ops)
        super().__init__(f"{len(self.ops)} unsupported {noun} in the graph:\n{body}")
