"""The errors the compiler raises to its users (defined in ``ir.diagnostics``)."""

from ir.diagnostics import CompileError, UnsupportedOp, UnsupportedOpError

__all__ = ["CompileError", "UnsupportedOp", "UnsupportedOpError"]
