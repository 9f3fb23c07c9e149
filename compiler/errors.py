"""The errors the compiler raises to its users (defined in ``ir.errors``, which imports nothing
of the project; ``from compiler import UnsupportedOpError`` is the user's import)."""

from ir.errors import (
    CompileError,
    InvalidGraphError,
    OptionError,
    UnsupportedOp,
    UnsupportedOpError,
)

__all__ = [
    "CompileError", "InvalidGraphError", "OptionError", "UnsupportedOp", "UnsupportedOpError",
]  # fmt: skip
