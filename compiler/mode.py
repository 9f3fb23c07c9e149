"""A PyTensor linker and mode that compile functions to ONNX and run them in ONNX Runtime.

    import compiler.mode  # registers the mode "ONNX" and the linker "onnx"

    f = pytensor.function([x], y, mode="ONNX")  # or mode=compiler.mode.ONNX_MODE
    f(x_value)  # runs the compiled model in ONNX Runtime
    compiled_result(f).save("f.onnx")

Like PyTensor's JAX and Numba backends, ``ONNXLinker`` turns the whole (rewritten)
FunctionGraph into one thunk. Shared variables are model inputs, so every call reads their
current values, and ``updates=`` work: PyTensor appends the new values as extra outputs and
stores them back after each call.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from copy import copy
from typing import Any

import numpy as np
from pytensor.compile.mode import Mode, predefined_linkers, predefined_modes, register_linker
from pytensor.compile.mode import register_mode as register_pytensor_mode
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.rewriting.db import RewriteDatabaseQuery
from pytensor.link.basic import JITLinker

from compiler.driver import CompileOptions, Compiler, CompileResult
from compiler.errors import CompileError
from ir.core import Module, walk

#: PyTensor rewrites the mode leaves out: C-only and BLAS ops (ONNX has MatMul), inplace
#: ops (ONNX Runtime plans its own memory), and fusion into Composite ops (the compiler
#: expands them again; ONNX Runtime fuses on its own). ``psd_solve_to_chol_solve`` turns
#: ``solve(a, b, assume_a="pos", lower=False)`` into a Cholesky of a's lower triangle (it
#: ignores ``lower``): the graph's own Solve reads the triangle it names, as scipy does.
EXCLUDED_REWRITES = (
    "cxx_only",
    "BlasOpt",
    "local_careduce_fusion",
    "scan_reduce_trace_prealloc",
    "inplace",
    "fusion",
    "psd_solve_to_chol_solve",
)


class ONNXLinker(JITLinker):
    """Compiles the FunctionGraph with ``Compiler(options)`` and runs it in ONNX Runtime.

    Shared variables always become model inputs (``shared_as_inputs``), whatever
    ``options`` say: their values change between calls."""

    required_rewrites = ("minimum_compile",)
    incompatible_rewrites = EXCLUDED_REWRITES

    def __init__(
        self,
        options: CompileOptions | None = None,
        *,
        allow_gc: bool | None = None,
        schedule: Callable | None = None,
        intra_op_threads: int | None = None,
    ) -> None:
        options = options or CompileOptions()
        self.options = dataclasses.replace(options, shared_as_inputs=True)
        #: ONNX Runtime's intra-op threads (None: ``session_options`` chooses by graph size).
        self.intra_op_threads = intra_op_threads
        #: The compiled graph, once ``make_thunk`` ran (see ``compiled_result``).
        self.result: CompileResult | None = None
        super().__init__(allow_gc=allow_gc, schedule=schedule)

    def accept(self, fgraph: FunctionGraph, no_recycling=None, profile=None) -> ONNXLinker:
        """Bind to ``fgraph``; a linker bound to another graph binds a copy (options kept)."""
        if self.fgraph is not None and self.fgraph is not fgraph:
            fresh = copy(self)
            fresh.fgraph, fresh.result = None, None
            return fresh.accept(fgraph, no_recycling, profile)
        return super().accept(fgraph, no_recycling, profile)

    def fgraph_convert(self, fgraph: FunctionGraph, **kwargs: Any) -> Callable[..., Any]:
        """Compile ``fgraph``; return a function of its inputs (in order) giving its outputs."""
        if not fgraph.outputs:  # nothing to compute (no outputs, no updates): no model
            return lambda *values: None
        self.result = result = Compiler(self.options).compile(fgraph)
        # The model and the session are made now, not on the first call.
        run = make_session(result, self.intra_op_threads).run
        position = {var: i for i, var in enumerate(fgraph.inputs)}
        order = [position[var] for var in result.input_vars]
        output_names = result.output_names
        plan = [
            (name, i, np.dtype(arg.dtype))
            for name, i, arg in zip(result.input_names, order, result.module.func.args, strict=True)
        ]

        def run_model(*values: Any) -> list[np.ndarray]:
            # PyTensor hands over arrays its types filtered: converting is the rare case.
            feeds = {}
            for name, i, dtype in plan:
                value = values[i]
                if value.__class__ is not np.ndarray or value.dtype != dtype:
                    value = np.asarray(value, dtype=dtype)
                feeds[name] = value
            return run(output_names, feeds)

        return run_model

    def jit_compile(self, fn: Callable) -> Callable:
        return fn  # ONNX Runtime compiled the model when the session was made

    def create_thunk_inputs(self, storage_map: dict) -> list[list[Any]]:
        return [storage_map[var] for var in self.fgraph.inputs]


#: Graphs whose values all have at most this many elements (statically) run on one thread:
#: splitting so little work costs more than it saves (waking ONNX Runtime's pool is a few µs
#: per node; measured in BENCHMARKS.md, "PyMC log-densities").
SMALL_GRAPH_ELEMENTS = 1 << 14


def largest_value_size(module: Module) -> int | None:
    """The element count of the largest value of ``module``, None when a size is symbolic."""
    largest = 0
    for op in walk(module.func):
        for value in (*op.results, *[a for r in op.regions for a in r.args]):
            if not all(isinstance(d, int) for d in value.shape):
                return None
            largest = max(largest, math.prod(value.shape))  # type: ignore[arg-type]
    for arg in module.func.args:
        if not all(isinstance(d, int) for d in arg.shape):
            return None
        largest = max(largest, math.prod(arg.shape))  # type: ignore[arg-type]
    return largest


def session_options(module: Module, intra_op_threads: int | None = None) -> Any:
    """ONNX Runtime session options for calling ``module`` many times: sequential execution;
    one intra-op thread for a small graph (``SMALL_GRAPH_ELEMENTS``), else ORT's default (one
    per core), unless ``intra_op_threads`` says."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if intra_op_threads is None:
        size = largest_value_size(module)
        intra_op_threads = 1 if size is not None and size <= SMALL_GRAPH_ELEMENTS else 0
    options.intra_op_num_threads = intra_op_threads
    return options


def make_session(result: CompileResult, intra_op_threads: int | None = None) -> Any:
    """The session ``result.session()`` returns from now on, made with ``session_options``
    (a model past protobuf's 2 GB limit keeps the result's own, which reads external data)."""
    import onnxruntime as ort

    try:
        data = result.to_bytes()
    except CompileError:
        return result.session()
    options = session_options(result.module, intra_op_threads)
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    result._session = session  # the result's session is the one its function runs
    return session


def onnx_mode(
    options: CompileOptions | None = None, *, intra_op_threads: int | None = None, **overrides: Any
) -> Mode:
    """A PyTensor mode compiling through this compiler, with the given compile options
    (``intra_op_threads``: ONNX Runtime's, default chosen by graph size)."""
    options = dataclasses.replace(options or CompileOptions(), **overrides)
    return Mode(
        linker=ONNXLinker(options, intra_op_threads=intra_op_threads),
        optimizer=RewriteDatabaseQuery(include=["fast_run"], exclude=list(EXCLUDED_REWRITES)),
    )


#: The mode with the default compile options; also registered as ``mode="ONNX"``.
ONNX_MODE = onnx_mode()
#: The mode with ``fast_math=True`` (value-changing reassociation, ``passes/reassociate.py``),
#: registered as ``mode="ONNX_FAST_MATH"``.
ONNX_FAST_MATH_MODE = onnx_mode(fast_math=True)


def compiled_result(function: Any) -> CompileResult:
    """The ``CompileResult`` behind a ``pytensor.function`` compiled in an ONNX mode (to save
    the model, look at its IR or stats)."""
    linker = getattr(getattr(function, "maker", None), "linker", None)
    if not isinstance(linker, ONNXLinker) or linker.result is None:
        raise TypeError("not a pytensor function compiled with an ONNX mode")
    return linker.result


def register_mode(name: str = "ONNX", linker_name: str = "onnx", mode: Mode = ONNX_MODE) -> None:
    """Make ``mode=name`` (``mode``) and ``linker=linker_name`` work in PyTensor (once per
    process)."""
    if name not in predefined_modes:
        register_pytensor_mode(name, mode)
    if linker_name not in predefined_linkers:
        register_linker(linker_name, ONNXLinker())


register_mode()
register_mode("ONNX_FAST_MATH", mode=ONNX_FAST_MATH_MODE)

__all__ = [
    "EXCLUDED_REWRITES", "ONNXLinker", "ONNX_FAST_MATH_MODE", "ONNX_MODE", "SMALL_GRAPH_ELEMENTS",
    "compiled_result", "largest_value_size", "make_session", "onnx_mode", "register_mode",
    "session_options",
]  # fmt: skip
