"""The compiler driver: FunctionGraph → IR → passes → ONNX, with the user-facing result object."""

from __future__ import annotations

import dataclasses
import functools
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import onnx
import onnx_ir as oir
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.traversal import graph_inputs
from pytensor.graph.utils import MissingInputError

from compiler.errors import CompileError, InvalidGraphError, OptionError
from compiler.external_data import PROTOBUF_LIMIT, with_external_data
from compiler.files import staged_files
from compiler.frontend import FrontendOptions, Importer
from compiler.verify import (
    INPUT_ERRORS,
    InputShape,
    VerifyReport,
    compare_outputs,
    input_error,
    pytensor_runner,
    random_arrays,
    random_input_shapes,
)
from ir.core import Module
from ir.diagnostics import verify_with_context
from ir.types import is_symbol_name
from lowering.emitter import EmitOptions, check_emit_options, io_names, lower_module
from passes import DEFAULT_PIPELINE, PassManager, PassStats, PipelineItem, make_passes, pass_name
from passes.pass_manager import ALL, FolderDump, Instrumentation, IRPrinter, StageRecorder
from passes.reassociate import fast_math_pipeline
from passes.rewriter import RewriteTracer


@dataclass(frozen=True)
class CompileOptions:
    """Everything a compile can be told. All fields have working defaults."""

    #: ONNX opset and IR version of the model (opset 18; IR 8, the version opset 18 came with).
    opset: int = 18
    ir_version: int = 8
    #: Pass names, in order (see ``passes.PASSES``).
    pipeline: tuple[PipelineItem, ...] = DEFAULT_PIPELINE
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
    #: Report every pattern rewrite (which fired on which op, which declined and why) to
    #: ``ir_stream`` (default: standard error), like ``--debug-rewrites``.
    debug_rewrites: bool = False
    #: Run the IR verifier on the frontend's IR, after every pass and on the final IR. Off by
    #: default: it re-infers every type, as much work again as building the IR (ONNX's checker
    #: still checks the model, see ``check_model``).
    verify_each_pass: bool = False
    #: Names of unknown input dims: ``{"x": {0: "batch"}}``.
    dim_names: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    #: Keep shared variables as model inputs instead of weights inside the model.
    shared_as_inputs: bool = False
    #: Assert/CheckAndRaise: "drop" (pass the value through, with a warning) or "refuse".
    assert_policy: str = "drop"
    #: Write each ONNX node's PyTensor origin into its metadata.
    provenance: bool = True
    #: Record intermediate values' shapes in the model's ``value_info`` (off: element types only,
    #: for consumers such as tract that fail to unify symbolic dim names with concrete shapes).
    value_info_shapes: bool = True
    #: Run ``onnx.checker.check_model(full_check=True)`` on the model ``to_onnx`` returns.
    check_model: bool = True
    #: Fast math: also run rewrites exact in real arithmetic that change the last bits of
    #: floats (factors and divisors out of sums, sums of squares; ``passes/reassociate.py``),
    #: as PyTensor's NUMBA mode does with ``fastmath``. Off: none of these rewrites run.
    fast_math: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "pipeline", tuple(self.pipeline))
        object.__setattr__(self, "print_ir_before", tuple(self.print_ir_before))
        object.__setattr__(self, "print_ir_after", tuple(self.print_ir_after))


@dataclass
class CompileStats:
    """Where compile time went, and how the op count changed."""

    frontend_seconds: float = 0.0
    passes: list[PassStats] = field(default_factory=list)
    #: The IR verifier on the frontend's IR and the final IR, when asked (``verify_each_pass``;
    #: the verification after each pass is in that pass's time).
    verify_seconds: float = 0.0
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
        if self.verify_seconds:
            rows.append(("verify", self.verify_seconds, "", "frontend and final IR"))
        if self.lowering_seconds is not None:
            rows.append(("lowering", self.lowering_seconds, "", f"{self.onnx_nodes} nodes"))
        if self.serialization_seconds is not None:
            rows.append(("serialization", self.serialization_seconds, "", ""))
        width = max(len(r[0]) for r in rows)
        lines = [f"{'phase':<{width}}  {'ms':>9}  {'ops':>6}  notes"]
        for name, seconds, delta, notes in rows:
            lines.append(f"{name:<{width}}  {seconds * 1e3:9.2f}  {delta:>6}  {notes}")
        return "\n".join(lines)


def _cyclic_gc_paused[**P, R](method: Callable[P, R]) -> Callable[P, R]:
    """Run ``method`` with Python's cyclic garbage collector paused.

    A compile allocates objects that live until it ends, and every full collection meanwhile
    traverses all of them and the PyTensor graph for nothing: on a 100k-node graph the
    collector took most of the compile time. The little cyclic garbage a compile leaves
    (erased ops) is freed once the collector runs again.
    """

    @functools.wraps(method)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():
            return method(*args, **kwargs)
        gc.disable()
        try:
            return method(*args, **kwargs)
        finally:
            gc.enable()

    return paused


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
        self._byte_size: tuple[onnx.ModelProto, int] | None = None
        self._session: Any = None

    # -- ONNX ---------------------------------------------------------------------------------

    @_cyclic_gc_paused
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
            # The checker serializes the model: one past protobuf's limit is checked from
            # its files when saved.
            if self.options.check_model and not self._past_protobuf_limit(proto):
                onnx.checker.check_model(proto, full_check=True)
            self._model = proto
        return self._model

    def to_bytes(self) -> bytes:
        """The serialized model (deterministic: the same graph gives the same bytes)."""
        if self._bytes is None:
            model = self.to_onnx()
            if self._past_protobuf_limit(model):
                raise CompileError(
                    f"the model is {model.ByteSize()} bytes, past protobuf's 2 GB limit: it has "
                    "no single-buffer form; save(path) writes it with external data"
                )
            self._bytes = model.SerializeToString(deterministic=True)
        return self._bytes

    def save(
        self, path: str | os.PathLike[str], *, external_data_threshold: int = PROTOBUF_LIMIT
    ) -> Path:
        """Write the model to ``path`` atomically.

        A model larger than ``external_data_threshold`` bytes (and always one past protobuf's
        2 GB limit) keeps its large weights in ``<path>.data`` next to it (ONNX external
        data); a stale data file of an earlier save is removed otherwise. Either way, on
        failure no partial file is left and the existing files are untouched."""
        path = Path(path)
        model = self.to_onnx()
        external = model.ByteSize() > min(external_data_threshold, PROTOBUF_LIMIT)
        data_name = f"{path.name}.data"
        with staged_files(path.parent) as stage:
            if external:
                with stage.open(data_name) as f:
                    model = with_external_data(model, f, location=data_name)
            data = model.SerializeToString(deterministic=True) if external else self.to_bytes()
            with stage.open(path.name) as f:
                f.write(data)
            if self.options.check_model and self._past_protobuf_limit(self.to_onnx()):
                onnx.checker.check_model(str(stage.path(path.name)), full_check=True)
        if not external:
            (path.parent / data_name).unlink(missing_ok=True)
        return path

    def _past_protobuf_limit(self, model: onnx.ModelProto) -> bool:
        # ByteSize() serializes the model: remember it, as to_onnx and to_bytes both ask.
        if self._byte_size is None or self._byte_size[0] is not model:
            self._byte_size = (model, model.ByteSize())
        return self._byte_size[1] > PROTOBUF_LIMIT

    def _emit_options(self) -> EmitOptions:
        return EmitOptions(
            opset=self.options.opset,
            ir_version=self.options.ir_version,
            provenance=self.options.provenance,
            value_info_shapes=self.options.value_info_shapes,
        )

    # -- running ------------------------------------------------------------------------------

    @property
    def input_names(self) -> list[str]:
        """The model's input names (the IR's, made C identifiers: see ``io_names``)."""
        return list(self._io_names[0])

    @property
    def output_names(self) -> list[str]:
        """The model's output names (the IR's, made C identifiers: see ``io_names``)."""
        return list(self._io_names[1])

    @functools.cached_property
    def _io_names(self) -> tuple[list[str], list[str]]:
        return io_names(self.module.func)

    def session(self) -> Any:
        """The ONNX Runtime session of the model (created once)."""
        if self._session is None:
            import onnxruntime as ort

            providers = ["CPUExecutionProvider"]
            if not self._past_protobuf_limit(self.to_onnx()):
                self._session = ort.InferenceSession(self.to_bytes(), providers=providers)
            else:  # ONNX Runtime reads the weights from the files when the session is made
                with tempfile.TemporaryDirectory() as folder:
                    path = self.save(Path(folder) / "model.onnx")
                    self._session = ort.InferenceSession(str(path), providers=providers)
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
        # The IR's names are accepted too (they differ where a name had to be sanitized).
        aliases = {a.name: n for a, n in zip(self.module.func.args, names, strict=True)}
        for key, value in named.items():
            if aliases.get(key, key) not in names:
                raise CompileError(f"the model has no input {key!r}; inputs: {names}")
            feeds[aliases.get(key, key)] = value
        shared = self._shared_inputs()
        for name in names:
            if name not in feeds and name in shared:
                feeds[name] = shared[name].get_value(borrow=True)
        missing = [n for n in names if n not in feeds]
        if missing:
            raise CompileError(f"missing model inputs {missing}")
        types = {n: a.type for a, n in zip(self.module.func.args, names, strict=True)}
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
        input_shapes: Mapping[str, Sequence[int]] | None = None,
        seed: int = 0,
    ) -> VerifyReport:
        """Run ONNX Runtime and PyTensor (``mode``: PyTensor's default unless given) on the same
        inputs; report each output's max abs/rel error. A mismatch is reported (``.ok`` is
        False), never hidden.

        Without ``arrays``, random inputs (``seed``): ``input_shapes`` gives shapes by input
        name; other unknown dims take the size the graph fixes for them (a weight they meet),
        else ``verify.DEFAULT_DIM_SIZE``. Inputs PyTensor itself cannot evaluate the graph on
        raise ``VerifyInputError`` saying which shapes were used and which were guessed."""
        if arrays and input_shapes:
            raise OptionError("input_shapes shapes random inputs: give arrays or input_shapes")
        random = not arrays
        if random:
            shapes = self.random_input_shapes(input_shapes)
            dtypes = [a.dtype for a in self.module.func.args]
            arrays = tuple(random_arrays(shapes, dtypes, seed=seed))
        feeds = self.input_feeds(arrays, {})
        ordered = [feeds[n] for n in self.input_names]
        runner = pytensor_runner(self.fgraph, self.input_vars, mode)
        try:
            reference = runner(ordered)
        except INPUT_ERRORS as e:
            if not random:
                shapes = [InputShape(n, np.shape(feeds[n]), ()) for n in self.input_names]
            raise input_error(e, shapes, random) from e
        ours = self.session().run(self.output_names, feeds)
        return compare_outputs(self.output_names, ours, reference, rtol=rtol, atol=atol)

    def random_input_shapes(
        self, given: Mapping[str, Sequence[int]] | None = None
    ) -> list[InputShape]:
        """The shapes ``verify`` gives random inputs (see ``verify.random_input_shapes``);
        inputs are named by their model or IR names."""
        args = self.module.func.args
        names = [[n, a.name] for n, a in zip(self.input_names, args, strict=True)]
        return random_input_shapes(
            self.fgraph, self.input_vars, names, [a.shape for a in args], given
        )


class Compiler:
    """``Compiler(options).compile(fgraph)`` → ``CompileResult``."""

    def __init__(self, options: CompileOptions | None = None, **overrides: Any) -> None:
        options = options or CompileOptions()
        self.options = dataclasses.replace(options, **overrides) if overrides else options
        try:
            make_passes(self.options.pipeline)  # unknown pass names fail here, not mid-compile
        except ValueError as e:
            raise OptionError(str(e)) from None
        check_emit_options(EmitOptions(self.options.opset, self.options.ir_version))
        _check_dim_names(self.options.dim_names)
        if self.options.stop_after is not None and self.options.stop_after not in [
            pass_name(p) for p in self.options.pipeline
        ]:
            raise OptionError(
                f"stop_after={self.options.stop_after!r} is not in the pipeline "
                f"{list(self.options.pipeline)}"
            )

    @_cyclic_gc_paused
    def compile(
        self,
        fgraph: FunctionGraph | None = None,
        *,
        outputs: Variable | Sequence[Variable] | None = None,
        inputs: Variable | Sequence[Variable] = (),
    ) -> CompileResult:
        """Translate and optimize ``fgraph`` (left unmodified), or the graph from ``inputs``
        to ``outputs`` (shared variables found by themselves, see :func:`graph_from`);
        lowering to ONNX happens in ``CompileResult.to_onnx``."""
        if outputs is not None:
            if fgraph is not None:
                raise CompileError("Compiler.compile takes a FunctionGraph or outputs=, not both")
            fgraph = graph_from(inputs, outputs)
        if not isinstance(fgraph, FunctionGraph):
            raise CompileError(
                f"Compiler.compile takes a pytensor FunctionGraph, got {type(fgraph).__name__}"
            )
        if not fgraph.outputs:
            raise InvalidGraphError("the graph has no outputs: an ONNX model needs at least one")
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
        stats.frontend_seconds = time.perf_counter() - start
        self._verify(module, "the frontend", stats)
        stats.ir_ops_in = len(module)

        recorder = StageRecorder() if opts.keep_dumps else None
        manager = PassManager(
            make_passes(self._pipeline()),
            verify_each=opts.verify_each_pass,
            instrumentations=self._instrumentations(recorder),
        )
        stats.passes = manager.run(module)
        self._verify(module, "the passes", stats)
        stats.ir_ops_out = len(module)
        dumps = recorder.stages if recorder else {}
        return CompileResult(fgraph, input_vars, module, opts, stats, dumps)

    def _verify(self, module: Module, stage: str, stats: CompileStats) -> None:
        """Verify the IR ``stage`` made, when asked to (``verify_each_pass``)."""
        if self.options.verify_each_pass:
            start = time.perf_counter()
            verify_with_context(module, stage)
            stats.verify_seconds += time.perf_counter() - start

    def _pipeline(self) -> tuple[PipelineItem, ...]:
        pipeline = self.options.pipeline
        if self.options.fast_math:
            pipeline = fast_math_pipeline(pipeline)
        if self.options.stop_after is not None:
            names = [pass_name(p) for p in pipeline]
            pipeline = pipeline[: names.index(self.options.stop_after) + 1]
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
        if opts.debug_rewrites:
            out.append(RewriteTracer(opts.ir_stream or sys.stderr))
        if recorder is not None:
            out.append(recorder)
        return out


def graph_from(
    inputs: Variable | Sequence[Variable], outputs: Variable | Sequence[Variable]
) -> FunctionGraph:
    """The FunctionGraph from ``inputs`` to ``outputs`` (each a variable or a sequence of them),
    with the shared variables (weights) the outputs use added as inputs after ``inputs``. The
    user's variables are not modified (the graph is a clone). A value the outputs need that is
    neither given nor shared raises ``InvalidGraphError``."""
    ins = list(inputs) if isinstance(inputs, Sequence) else [inputs]
    outs = list(outputs) if isinstance(outputs, Sequence) else [outputs]
    for var in (*ins, *outs):
        if not isinstance(var, Variable):
            raise InvalidGraphError(
                f"expected PyTensor variables as inputs and outputs, got {var!r}"
            )
    shared = [v for v in graph_inputs(outs) if isinstance(v, SharedVariable) and v not in ins]
    try:
        return FunctionGraph(ins + shared, outs, clone=True)
    except MissingInputError as e:
        message = str(e).split("\n")[0]
        raise InvalidGraphError(
            f"the outputs need a value not in its inputs (neither given nor shared): {message}"
        ) from None


def compile_graph(
    inputs: Variable | Sequence[Variable],
    outputs: Variable | Sequence[Variable],
    options: CompileOptions | None = None,
    **overrides: Any,
) -> CompileResult:
    """Compile the graph from ``inputs`` to ``outputs``; its shared variables become
    initializers (or inputs, with ``shared_as_inputs``). ``overrides`` are ``CompileOptions``
    fields: ``compile_graph([x], [y], pipeline=[...]).save("m.onnx")``."""
    return Compiler(options, **overrides).compile(outputs=outputs, inputs=inputs)


def _check_dim_names(dim_names: Mapping[str, Mapping[int, str]]) -> None:
    """Every dim name must be an identifier (ONNX's ``dim_param``, the IR's symbol)."""
    for input_name, dims in dim_names.items():
        for axis, name in dims.items():
            if not isinstance(name, str) or not is_symbol_name(name):
                raise OptionError(
                    f"dim name {name!r} for {input_name}:{axis} is not an identifier "
                    "(letters, digits and '_', not starting with a digit)"
                )
