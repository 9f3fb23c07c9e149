"""IR module → ONNX model (opset 18, pinned ir_version) through onnx-ir.

Every op is lowered by its rule in ``LOWERINGS``; ops that cannot be lowered are collected and
reported together before anything is returned. Nodes and initializers no output needs are left
out (``lowering.cleanup``). Names and order are deterministic, so the same module always
serializes to the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import onnx
import onnx_ir as oir

from ir.core import Function, Module, Return
from ir.diagnostics import OptionError, UnsupportedOpError
from lowering import (  # noqa: F401  (each module registers its rules)
    control,
    elementwise,
    indexing,
    linalg,
    misc,
    nn,
    reduction,
    shape,
    tensor,
)
from lowering.broadcast_ranks import give_result_ranks
from lowering.cleanup import live_nodes_and_initializers
from lowering.context import LoweringContext, onnx_dtype, onnx_shape, set_type
from lowering.ort_noop_guard import guard_noop_elimination
from lowering.registry import LOWERINGS

SUPPORTED_OPSETS = (18,)
#: ONNX IR versions ONNX Runtime 1.31 loads that also carry opset 18.
SUPPORTED_IR_VERSIONS = range(8, 14)
PRODUCER_NAME = "pytensor-onnx-compiler"
PRODUCER_VERSION = "0.1.0"


@dataclass(frozen=True)
class EmitOptions:
    opset: int = 18
    ir_version: int = 8
    #: Write each node's PyTensor origin into its metadata (``pytensor_op``).
    provenance: bool = True
    graph_name: str = "main"
    #: Record the shapes of intermediate values (``value_info``). Off, only their element types
    #: are kept: some consumers (tract, some converters) fail to unify the symbolic dim names
    #: recorded there with the concrete shapes their inputs are given.
    value_info_shapes: bool = True


def check_emit_options(options: EmitOptions) -> None:
    if options.opset not in SUPPORTED_OPSETS:
        raise OptionError(
            f"opset {options.opset} is not supported: the emitter writes opset "
            f"{', '.join(map(str, SUPPORTED_OPSETS))}"
        )
    if options.ir_version not in SUPPORTED_IR_VERSIONS:
        raise OptionError(
            f"ir_version {options.ir_version} is not supported: opset 18 needs at least 8 and "
            f"ONNX Runtime loads at most {SUPPORTED_IR_VERSIONS[-1]}"
        )


def lower_module(module: Module, options: EmitOptions | None = None) -> oir.Model:
    """Lower ``module`` to an onnx-ir model; raises ``UnsupportedOpError`` listing every op
    that has no opset-18 form."""
    options = options or EmitOptions()
    check_emit_options(options)
    func = module.func
    input_names, output_names = io_names(func)
    ctx = LoweringContext(input_names + output_names, LOWERINGS, provenance=options.provenance)
    inputs = []
    for arg, name in zip(func.args, input_names, strict=True):
        value = oir.Value(
            name=name,
            type=oir.TensorType(onnx_dtype(arg.dtype)),
            shape=onnx_shape(arg.type),
            doc_string=_renamed_note(arg.name, name),
        )
        ctx.values[arg] = value
        inputs.append(value)
    ctx.lower_ops(func)
    if ctx.problems:
        raise UnsupportedOpError(ctx.problems)
    ctx.nodes = give_result_ranks(ctx, list(ctx.nodes))
    outputs = _outputs(ctx, func.terminator, output_names)
    nodes, initializers = live_nodes_and_initializers(ctx.nodes, outputs, ctx.initializers)
    graph = oir.Graph(
        inputs,
        outputs,
        nodes=nodes,
        initializers=initializers,
        opset_imports={"": options.opset},
        name=options.graph_name,
        doc_string=module.doc or None,
    )
    model = oir.Model(
        graph,
        ir_version=options.ir_version,
        producer_name=PRODUCER_NAME,
        producer_version=PRODUCER_VERSION,
    )
    guard_noop_elimination(ctx, model)  # reads the intermediate shapes: before they go
    if not options.value_info_shapes:
        _drop_intermediate_shapes(graph)
    return model


def _drop_intermediate_shapes(graph: oir.Graph) -> None:
    """Forget the shape of every node output that is not an output of its (sub)graph."""
    for node in graph.all_nodes():
        for value in node.outputs:
            if not value.is_graph_output():
                value.shape = None


def emit_model(module: Module, options: EmitOptions | None = None) -> onnx.ModelProto:
    """Lower ``module`` and serialize it to an ``onnx.ModelProto``."""
    return oir.serde.serialize_model(lower_module(module, options))


def _outputs(ctx: LoweringContext, ret: Return, names: Sequence[str]) -> list[oir.Value]:
    """Graph outputs named ``names`` (the IR's, see ``io_names``). A value that is a graph
    input, an initializer, or already an output is passed through an Identity node so that it
    can take the name."""
    outputs: list[oir.Value] = []
    claimed: set[int] = set()
    for ir_value, ir_name, name in zip(ret.operands, ret.names, names, strict=True):
        value = ctx.values[ir_value]
        reusable = (
            value.producer() is not None
            and id(value) not in claimed
            and not ctx.is_shared_constant(value)
        )
        if not reusable:
            ctx.origin = None
            value = ctx.op("Identity", value)
        value.name = name
        value.doc_string = _renamed_note(ir_name, name)
        set_type(value, ir_value.type)
        claimed.add(id(value))
        outputs.append(value)
    return outputs


_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NOT_IDENTIFIER_CHAR = re.compile(r"[^A-Za-z0-9_]")


def io_names(func: Function) -> tuple[list[str], list[str]]:
    """The model's input and output names: the IR's, made C identifiers (the names ONNX's
    spec asks for, and the only ones every tool and language binding takes as they are).

    Deterministic: every other character becomes ``_`` and a leading digit gets a ``_`` in
    front; a name that is taken already (inputs come first, then outputs) or that another
    input or output has as it is gets ``_1``, ``_2``... Unique identifiers are kept exactly."""
    raw = [a.name or "input" for a in func.args] + func.output_names
    kept = {n for n in raw if _C_IDENTIFIER.match(n)}
    taken: set[str] = set()
    names: list[str] = []
    for name in raw:
        base = name if name in kept else _identifier(name)
        candidate, k = base, 0
        while candidate in taken or (candidate != name and candidate in kept):
            k += 1
            candidate = f"{base}_{k}"
        taken.add(candidate)
        names.append(candidate)
    return names[: len(func.args)], names[len(func.args) :]


def _identifier(name: str) -> str:
    """``name`` with each character a C identifier cannot hold replaced by ``_``."""
    name = _NOT_IDENTIFIER_CHAR.sub("_", name)
    return name if name and not name[0].isdigit() else f"_{name}"


def _renamed_note(ir_name: str | None, name: str) -> str | None:
    """The doc string of a model input or output whose name had to change."""
    return None if ir_name in (None, name) else f"PyTensor name: {ir_name!r}"


__all__ = ["EmitOptions", "emit_model", "io_names", "lower_module"]
