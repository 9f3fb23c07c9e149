"""PyTensor → ONNX compiler: ``Compiler().compile(fgraph).to_onnx()``."""

from compiler.driver import CompileOptions, Compiler, CompileResult, CompileStats
from compiler.errors import (
    CompileError,
    InvalidGraphError,
    OptionError,
    UnsupportedOp,
    UnsupportedOpError,
)
from compiler.verify import VerifyReport

__all__ = [
    "CompileError", "CompileOptions", "CompileResult", "CompileStats", "Compiler",
    "InvalidGraphError", "OptionError", "UnsupportedOp", "UnsupportedOpError", "VerifyReport",
]  # fmt: skip
