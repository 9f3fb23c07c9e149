"""The errors the compiler raises to its users (defined in ``ir.diagnostics``)."""

from ir.diagnostics import (
    CompileError,
    InvalidGraphError,
    OptionError,
    UnsupportedOp,
    UnsupportedOpError,
)

__all__ = [
    "CompileError", "InvalidGraphError", "OptionError", "UnsupportedOp", "UnsupportedOpError",
]  # fmt: skip
