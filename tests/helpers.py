"""Shared test helpers: compile a graph, check the model, compare ORT with PyTensor and with
the IR interpreter.

Every model the suite compiles through ``compile_checked`` (and so ``assert_matches_pytensor``)
is held to ``assert_model_sound``: the full ONNX checker, no unused initializer or dead node in
any graph, and ONNX Runtime loads it both with its graph optimizations (the default,
ORT_ENABLE_ALL) and without them (ORT_DISABLE_ALL). ``assert_matches_pytensor`` compares both
sessions with PyTensor.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from pytensor.graph.fg import FunctionGraph

from compiler import CompileOptions, Compiler, CompileResult
from compiler.verify import VerifyReport, compare_outputs, run_pytensor
from ir.interpreter import run_module


def fgraph_of(inputs: Sequence, outputs: Sequence) -> FunctionGraph:
    """A FunctionGraph over the given variables, leaving the user's graph untouched."""
    return FunctionGraph(list(inputs), list(outputs), clone=True)


#: ONNX Runtime's graph optimization levels every model must load and run at.
ORT_LEVELS: dict[str, ort.GraphOptimizationLevel] = {
    "ORT_ENABLE_ALL": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    "ORT_DISABLE_ALL": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
}

#: The sessions ``compile_checked`` made for each result, by level name.
_SESSIONS: weakref.WeakKeyDictionary[CompileResult, dict[str, Any]] = weakref.WeakKeyDictionary()


def assert_model_sound(
    model: onnx.ModelProto | bytes, feeds: Mapping[str, np.ndarray] | None = None
) -> dict[str, Any]:
    """Check what every emitted model must satisfy, whatever its inputs: the full ONNX checker
    passes, no graph (main graph, If branches, Loop bodies) has an unused initializer or a
    node whose results nothing reads, and ONNX Runtime makes a session at each of
    ``ORT_LEVELS`` (its optimizer rewrites the graph at load time: a model can load, or run,
    at one level and not at the other). With ``feeds`` (model inputs by name) each session
    also runs on them (``run_sessions``). Returns the sessions by level name."""
    proto = onnx.load_from_string(model) if isinstance(model, bytes) else model
    data = model if isinstance(model, bytes) else model.SerializeToString(deterministic=True)
    onnx.checker.check_model(proto, full_check=True)
    problems = list(dead_code(proto.graph))
    assert not problems, "the model has dead code:\n" + "\n".join(problems)
    sessions = {}
    for name, level in ORT_LEVELS.items():
        options = ort.SessionOptions()
        options.graph_optimization_level = level
        try:
            sessions[name] = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        except Exception as e:  # ORT raises its own exception classes
            raise AssertionError(f"ONNX Runtime rejects the model at {name}: {e}") from e
    if feeds is not None:
        run_sessions(sessions, feeds)
    return sessions


def run_sessions(
    sessions: Mapping[str, Any], feeds: Mapping[str, np.ndarray], output_names=None
) -> dict[str, list[np.ndarray]]:
    """Each session's outputs on ``feeds``, by level name; a session that fails to run is an
    ``AssertionError`` naming its level (ORT's optimizer can leave a graph that loads and
    then fails on its first run)."""
    outputs = {}
    for name, session in sessions.items():
        try:
            outputs[name] = [np.asarray(o) for o in session.run(output_names, dict(feeds))]
        except Exception as e:  # ORT raises its own exception classes
            raise AssertionError(f"ONNX Runtime fails to run the model at {name}: {e}") from e
    return outputs


def dead_code(graph: onnx.GraphProto, where: str = "main graph") -> Iterator[str]:
    """Describe each initializer nothing reads and each node whose results nothing reads, in
    ``graph`` and its subgraphs (a subgraph may read any outer value by name)."""
    read = _names_read(graph)
    outputs = {o.name for o in graph.output}
    for init in graph.initializer:
        if init.name not in read and init.name not in outputs:
            yield f"{where}: unused initializer {init.name!r} {list(init.dims)}"
    for node in graph.node:
        if not any(o and (o in read or o in outputs) for o in node.output):
            yield f"{where}: dead node {node.name!r} ({node.op_type})"
        for attr in node.attribute:
            for sub in [attr.g] if attr.HasField("g") else list(attr.graphs):
                yield from dead_code(sub, f"{where} > {node.name}.{attr.name}")


def _names_read(graph: onnx.GraphProto) -> set[str]:
    """Every value name a node of ``graph`` or of one of its subgraphs takes as input, and the
    output names of its subgraphs (which name values of the enclosing scopes too)."""
    read: set[str] = set()
    for node in graph.node:
        read.update(node.input)
        for attr in node.attribute:
            for sub in [attr.g] if attr.HasField("g") else list(attr.graphs):
                read |= _names_read(sub) | {o.name for o in sub.output}
    return read


def compile_checked(fgraph: FunctionGraph, **options) -> CompileResult:
    """Compile with the verifier after every pass and return the result; the model must be
    sound (``assert_model_sound``). ``result.run`` then uses the ORT_ENABLE_ALL session made
    here; ``ort_outputs`` runs both levels."""
    options.setdefault("verify_each_pass", True)
    result = Compiler(CompileOptions(**options)).compile(fgraph)
    model = result.to_onnx()
    assert model.ir_version == 8 or "ir_version" in options
    assert [o.version for o in model.opset_import if o.domain == ""] == [18]
    sessions = assert_model_sound(result.to_bytes())
    _SESSIONS[result] = sessions
    # The session the result would make for itself is this one (default options): share it
    # instead of loading the model a third time.
    result._session = sessions["ORT_ENABLE_ALL"]
    return result


def ort_outputs(result: CompileResult, feeds: Sequence[np.ndarray]) -> dict[str, list[np.ndarray]]:
    """The model's outputs on ``feeds`` (one array per model input, in order) at each ONNX
    Runtime optimization level, by level name."""
    sessions = _SESSIONS.get(result) or assert_model_sound(result.to_bytes())
    by_name = result.input_feeds(list(feeds), {})
    return run_sessions(sessions, by_name, result.output_names)


def assert_matches_pytensor(
    fgraph: FunctionGraph,
    feeds: Sequence[np.ndarray],
    *,
    rtol: float | None = None,
    atol: float | None = None,
    **options,
) -> VerifyReport:
    """Compile ``fgraph`` and check ONNX Runtime at both optimization levels and the IR
    interpreter against PyTensor on ``feeds`` (one array per non-shared graph input, in
    order). Returns the report of the default (ORT_ENABLE_ALL) session."""
    result = compile_checked(fgraph, **options)
    feeds_by_name = result.input_feeds(feeds, {})
    ordered = [feeds_by_name[n] for n in result.input_names]
    reference = run_pytensor(fgraph, result.input_vars, ordered, mode="FAST_COMPILE")
    reports = {
        level: compare_outputs(result.output_names, outs, reference, rtol=rtol, atol=atol)
        for level, outs in ort_outputs(result, ordered).items()
    }
    for level, report in reports.items():
        assert report.ok, f"ONNX Runtime ({level}) differs from PyTensor:\n{report}"
    # The interpreter is the reference semantics of the IR: it must agree too.
    ours = run_module(result.module, ordered)
    interp = compare_outputs(result.output_names, ours, reference, rtol=rtol, atol=atol)
    assert interp.ok, f"the IR interpreter differs from PyTensor:\n{interp}"
    return reports["ORT_ENABLE_ALL"]
