"""PyTensor → ONNX compiler: ``compile_graph(inputs, outputs).save("model.onnx")`` or
``Compiler(options).compile(fgraph).to_onnx()``."""

from compiler.driver import (
    CompileOptions,
    Compiler,
    CompileResult,
    CompileStats,
    compile_graph,
    graph_from,
)
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
    "compile_graph", "graph_from",
]  # fmt: skip
