"""PyTensor → ONNX compiler: ``compile_graph(inputs, outputs).save("model.onnx")`` or
``Compiler(options).compile(fgraph).to_onnx()``.

The names are loaded on first use (PEP 562), so that ``compiler.cli`` and ``ptonnx opt``, which
work on IR text, do not import PyTensor.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE = {
    "CompileOptions": "compiler.driver",
    "Compiler": "compiler.driver",
    "CompileResult": "compiler.driver",
    "CompileStats": "compiler.driver",
    "compile_graph": "compiler.driver",
    "graph_from": "compiler.driver",
    "CompileError": "compiler.errors",
    "InvalidGraphError": "compiler.errors",
    "OptionError": "compiler.errors",
    "UnsupportedOp": "compiler.errors",
    "UnsupportedOpError": "compiler.errors",
    "VerifyReport": "compiler.verify",
}

__all__ = [
    "CompileError", "CompileOptions", "CompileResult", "CompileStats", "Compiler",
    "InvalidGraphError", "OptionError", "UnsupportedOp", "UnsupportedOpError", "VerifyReport",
    "compile_graph", "graph_from",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'compiler' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value
