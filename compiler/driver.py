"""The compiler driver: FunctionGraph → IR → passes → ONNX, with the user-facing result object."""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import onnx
import onnx_ir as oir
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Variable
from pytensor.graph.fg import FunctionGraph

from compiler.errors import CompileError
from compiler.frontend import FrontendOptions, Importer
from compiler.verify import VerifyReport, compare_outputs, run_pytensor
from ir.core import Module
from ir.verifier import verify_module
from lowering.emitter import EmitOptions, check_emit_options, lower_module
from passes import DEFAULT_PIPELINE, PassManager, PassStats, make_passes
from passes.pass_manager import ALL, FolderDump, Instrumentation, IRPrinter, StageRecorder


@dataclass(frozen=True)
class CompileOptions:
    """Everything a compile can be told. All fields have working defaults."""

    #: ONNX opset and IR version of the model (opset 18; IR 8, the version opset 18 came with).
    opset: int = 18
    ir_version: int = 8
    #: Pass names, in order (see ``passes.PASSES``).
    pipeline: tuple[str, ...] = DEFAULT_PIPELINE
    #: Stop the pipeline after this pass (the module is left as it is then).
    stop_after: str | None = None
    #: Print the IR after every stage (input included), like ``--print-ir-after-all``.
    print_ir_after_all: bool = False
    print_ir_before: tuple[str, ...] = ()
    print_ir_after: tuple[str, ...] = ()
    #: With the print flags: print after a pass only when it changed the IR.
    print_ir_after_change: bool = False
    #: Where printed IR goes (default: standard output).
    ir_stream: TextIO | None = None
    #: Write every stage to ``dump_dir/NN-<stage>.tir`` (re-readable text).
    dump_dir: str | os.PathLike[str] | None = None
    #: Keep every stage's IR text in ``CompileResult.dumps``.
    keep_dumps: bool = False
    #: Run the IR verifier after every pass (the input and the final IR are always verified).
    verify_each_pass: bool = False
    #: Names of unknown input dims: ``{"x": {0: "batch"}}``.
    dim_names: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    #: Keep shared variables as model inputs instead of weights inside the model.
    shared_as_inputs: bool = False
    #: Assert/CheckAndRaise: "drop" (pass the value through, with a warning) or "refuse".
    assert_policy: str = "drop"
    #: Write each ONNX node's PyTensor origin into its metadata.
    provenance: bool = True
    #: Run ``onnx.checker.check_model(full_check=True)`` on the model ``to_onnx`` returns.
    check_model: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "pipeline", tuple(self.pipeline))
        object.__setattr__(self, "print_ir_before", tuple(self.print_ir_before))
        object.__setattr__(self, "print_ir_after", tuple(self.print_ir_after))


@dataclass
class CompileStats:
    """Where compile time went, and how the op count changed."""

    frontend_seconds: float = 0.0
    passes: list[PassStats] = field(default_factory=list)
    lowering_seconds: float | None = None
    serialization_seconds: float | None = None
    ir_ops_in: int = 0
    ir_ops_out: int = 0
    onnx_nodes: int | None = None

    @property
    def passes_seconds(self) -> float:
        return sum(p.seconds for p in self.passes)

    def table(self) -> str:
        """A plain-text table: one row per phase and pass."""
        rows = [("frontend", self.frontend_seconds, "", f"{self.ir_ops_in} ops")]
        for p in self.passes:
            hits = ", ".join(f"{k}={v}" for k, v in p.counters.items() if v)
            rows.append((p.name, p.seconds, f"{p.op_delta:+d}", hits))
        if self.lowering_seconds is not None:
            rows.append(("lowering", self.lowering_seconds, "", f"{self.onnx_nodes} nodes"))
        if self.serialization_seconds is not None:
            rows.append(("serialization", self.serialization_seconds, "", ""))
        width = max(len(r[0]) for r in rows)
        lines = [f"{'phase':<{width}}  {'ms':>9}  {'ops':>6}  notes"]
        for name, seconds, delta, notes in rows:
            lines.append(f"{name:<{width}}  {seconds * 1e3:9.2f}  {delta:>6}  {notes}")
        return "\n".join(lines)


class CompileResult:
    """A compiled graph: the final IR, its stages, stats, and the ONNX model on demand."""

    def __init__(
        self,
        fgraph: FunctionGraph,
        input_vars: Sequence[Variable],
        module: Module,
        options: CompileOptions,
        stats: CompileStats,
        dumps: dict[str, str],
    ) -> None:
        self.fgraph = fgraph
        #: The PyTensor variable behind each model input, in order.
        self.input_vars = list(input_vars)
        self.module = module
        self.options = options
        self.stats = stats
        #: IR text per stage (``"00-input"``, ``"01-lower-dimshuffle"``, ...), when asked for.
        self.dumps = dumps
        self._model: onnx.ModelProto | None = None
        self._bytes: bytes | None = None
        self._session: Any = None

    # -- ONNX ---------------------------------------------------------------------------------

    def to_onnx(self) -> onnx.ModelProto:
        """The ONNX model (lowered once, then cached). Do not modify it in place."""
        if self._model is None:
            start = time.perf_counter()
            model = lower_module(self.module, self._emit_options())
            self.stats.lowering_seconds = time.perf_counter() - start
            self.stats.onnx_nodes = len(model.graph)
            start = time.perf_counter()
            proto = oir.serde.serialize_model(model)
            self.stats.serialization_seconds = time.perf_counter() - start
            if self.options.check_model:
                onnx.checker.check_model(proto, full_check=True)
            self._model = proto
        return self._model

    def to_bytes(self) -> bytes:
        """The serialized model (deterministic: the same graph gives the same bytes)."""
        if self._bytes is None:
            self._bytes = self.to_onnx().SerializeToString(deterministic=True)
        return self._bytes

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model to ``path`` atomically: on failure no partial file is left and an
        existing file is untouched."""
        data = self.to_bytes()
        path = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, _default_file_mode())  # mkstemp makes 0600; a plain write obeys umask
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def _emit_options(self) -> EmitOptions:
        return EmitOptions(
            opset=self.options.opset,
            ir_version=self.options.ir_version,
            provenance=self.options.provenance,
        )

    # -- running ------------------------------------------------------------------------------

    @property
    def input_names(self) -> list[str]:
        return [a.name for a in self.module.func.args]

    @property
    def output_names(self) -> list[str]:
        return list(self.module.func.output_names)

    def session(self) -> Any:
        """The ONNX Runtime session of the model (created once)."""
        if self._session is None:
            import onnxruntime as ort

            self._session = ort.InferenceSession(
                self.to_bytes(), providers=["CPUExecutionProvider"]
            )
        return self._session

    def run(self, *arrays: Any, **named: Any) -> list[np.ndarray]:
        """Run the model in ONNX Runtime. Inputs by position (model input order) or by name;
        shared variables kept as inputs default to their current values."""
        feeds = self.input_feeds(arrays, named)
        return list(self.session().run(self.output_names, feeds))

    def input_feeds(
        self, arrays: Sequence[Any], named: Mapping[str, Any] | None = None
    ) -> dict[str, np.ndarray]:
        """Model inputs by name, from positional and named arrays (shared ones defaulted)."""
        names = self.input_names
        named = named or {}
        if len(arrays) > len(names):
            raise CompileError(f"the model takes {len(names)} inputs, got {len(arrays)}")
        feeds = dict(zip(names, arrays, strict=False))
        for key, value in named.items():
            if key not in names:
                raise CompileError(f"the model has no input {key!r}; inputs: {names}")
            feeds[key] = value
        shared = self._shared_inputs()
        for name in names:
            if name not in feeds and name in shared:
                feeds[name] = shared[name].get_value(borrow=True)
        missing = [n for n in names if n not in feeds]
        if missing:
            raise CompileError(f"missing model inputs {missing}")
        types = {a.name: a.type for a in self.module.func.args}
        return {k: np.asarray(v, dtype=types[k].dtype) for k, v in feeds.items()}

    def _shared_inputs(self) -> dict[str, SharedVariable]:
        return {
            name: var
            for name, var in zip(self.input_names, self.input_vars, strict=True)
            if isinstance(var, SharedVariable)
        }

    def verify(
        self,
        *arrays: Any,
        rtol: float | None = None,
        atol: float | None = None,
        mode: Any = None,
    ) -> VerifyReport:
        """Run ONNX Runtime and PyTensor (``mode``: PyTensor's default unless given) on the same
        inputs; report each output's max abs/rel error. A mismatch is reported (``.ok`` is
        False), never hidden."""
        feeds = self.input_feeds(arrays, {})
        ours = self.session().run(self.output_names, feeds)
        reference = run_pytensor(
            self.fgraph, self.input_vars, [feeds[n] for n in self.input_names], mode=mode
        )
        return compare_outputs(self.output_names, ours, reference, rtol=rtol, atol=atol)


def _default_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class Compiler:
    """``Compiler(options).compile(fgraph)`` → ``CompileResult``."""

    def __init__(self, options: CompileOptions | None = None, **overrides: Any) -> None:
        options = options or CompileOptions()
        self.options = dataclasses.replace(options, **overrides) if overrides else options
        make_passes(self.options.pipeline)  # unknown pass names fail here, not mid-compile
        check_emit_options(EmitOptions(self.options.opset, self.options.ir_version))
        if (
            self.options.stop_after is not None
            and self.options.stop_after not in self.options.pipeline
        ):
            raise CompileError(
                f"stop_after={self.options.stop_after!r} is not in the pipeline "
                f"{list(self.options.pipeline)}"
            )

    def compile(self, fgraph: FunctionGraph) -> CompileResult:
        """Translate and optimize ``fgraph`` (left unmodified); lowering to ONNX happens in
        ``CompileResult.to_onnx``."""
        if not isinstance(fgraph, FunctionGraph):
            raise CompileError(
                f"Compiler.compile takes a pytensor FunctionGraph, got {type(fgraph).__name__}"
            )
        opts = self.options
        stats = CompileStats()
        start = time.perf_counter()
        importer = Importer(
            fgraph,
            FrontendOptions(
                dim_names=opts.dim_names,
                shared_as_inputs=opts.shared_as_inputs,
                assert_policy=opts.assert_policy,
            ),
        )
        module = importer.run()
        args = set(module.func.args)
        input_vars = [v for v in fgraph.inputs if importer.values.get(v) in args]
        module.doc = f"Compiled from a PyTensor FunctionGraph by {__package__}"
        verify_module(module)
        stats.frontend_seconds = time.perf_counter() - start
        stats.ir_ops_in = len(module)

        recorder = StageRecorder() if opts.keep_dumps else None
        manager = PassManager(
            make_passes(self._pipeline()),
            verify_each=opts.verify_each_pass,
            instrumentations=self._instrumentations(recorder),
        )
        stats.passes = manager.run(module)
        verify_module(module)
        stats.ir_ops_out = len(module)
        dumps = recorder.stages if recorder else {}
        return CompileResult(fgraph, input_vars, module, opts, stats, dumps)

    def _pipeline(self) -> tuple[str, ...]:
        pipeline = self.options.pipeline
        if self.options.stop_after is not None:
            pipeline = pipeline[: pipeline.index(self.options.stop_after) + 1]
        return pipeline

    def _instrumentations(self, recorder: StageRecorder | None) -> list[Instrumentation]:
        opts = self.options
        out: list[Instrumentation] = []
        if opts.print_ir_after_all or opts.print_ir_before or opts.print_ir_after:
            out.append(
                IRPrinter(
                    before=opts.print_ir_before,
                    after=(ALL,) if opts.print_ir_after_all else opts.print_ir_after,
                    only_on_change=opts.print_ir_after_change,
                    input=opts.print_ir_after_all,
                    stream=opts.ir_stream or sys.stdout,
                )
            )
        if opts.dump_dir is not None:
            out.append(FolderDump(opts.dump_dir))
        if recorder is not None:
            out.append(recorder)
        return out
