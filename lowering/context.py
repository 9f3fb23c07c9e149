"""The state of one lowering: the ONNX nodes and initializers made so far, and their names.

Names are deterministic: IR value names where the IR has them, else ``v<N>`` in emission order;
model inputs and outputs keep their names exactly, and no other value may take them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import onnx_ir as oir

from ir.core import Block, Operation, Return, Value, Yield
from ir.diagnostics import UnsupportedOp
from ir.printer import op_to_text
from ir.types import UNKNOWN, TensorType
from lowering.ort_kernels import ORT_KERNELS


class LoweringUnsupported(Exception):
    """Raised by a lowering rule: the op cannot be expressed in opset 18 here; says why."""


@functools.cache
def onnx_dtype(dtype: str) -> oir.DataType:
    return oir.DataType.from_numpy(np.dtype(dtype))


def onnx_shape(type_: TensorType) -> oir.Shape:
    return oir.Shape([None if d == UNKNOWN else d for d in type_.shape])


#: Exact wider dtypes to compute in when ORT has no kernel for a dtype (tried in order).
#: Every value of the narrow dtype is a value of the wide one, so comparisons, selections and
#: (for integers, with the cast back wrapping) ring arithmetic are unchanged.
WIDER: Mapping[str, tuple[str, ...]] = {
    "bool": ("uint8", "int32"),
    "int8": ("int32", "int64"),
    "uint8": ("int32", "int64"),
    "int16": ("int32", "int64"),
    "uint16": ("int32", "int64"),
    "int32": ("int64",),
    "uint32": ("int64",),
    "uint64": (),
    "int64": (),
    "float16": ("float32", "float64"),
    "float32": ("float64",),
    "float64": (),
}

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.\-/:]")


#: A lowering rule: the op, the context and the ONNX values of the op's operands → one ONNX
#: value per result (``lowering.registry`` holds the table of them).
Rule = Callable[[Operation, "LoweringContext", list[oir.Value]], Sequence[oir.Value] | oir.Value]

_TERMINATORS = (Return, Yield)


class LoweringContext:
    """Builds the ONNX graph: nodes in order, initializers, and the IR value → ONNX value map.

    ``lower_ops`` lowers a block's ops by the ``rules`` it was given (regions too, through
    ``subgraph``); ops without a rule, or whose rule raises ``LoweringUnsupported``, are
    collected in ``problems`` (and get placeholder values) so that all are reported at once.
    """

    def __init__(
        self,
        reserved_names: Sequence[str],
        rules: Mapping[type[Operation], Rule] | None = None,
        *,
        provenance: bool = True,
    ) -> None:
        self.nodes: list[oir.Node] = []
        self.initializers: list[oir.Value] = []
        self.values: dict[Value, oir.Value] = {}
        self._taken: set[str] = set(reserved_names)
        self._counter = 0
        self._node_counter = 0
        self._cached_constants: dict[tuple[str, tuple[int, ...], bytes], oir.Value] = {}
        #: ``id`` of every value in ``_cached_constants`` (asked about once per lowered op).
        self._cached_ids: set[int] = set()
        #: Provenance written into each node's metadata (set per IR op by ``lower_ops``).
        self.origin: str | None = None
        self.rules: Mapping[type[Operation], Rule] = rules or {}
        #: Write each node's PyTensor origin (``pytensor_op``) into its metadata.
        self.provenance = provenance
        #: The ops that could not be lowered, in order.
        self.problems: list[UnsupportedOp] = []

    # -- lowering ops ---------------------------------------------------------------------------

    def lower_ops(self, block: Block) -> None:
        """Lower every op of ``block`` (terminators excepted) into ``nodes``."""
        for op in block.ops:
            if isinstance(op, _TERMINATORS):
                continue
            rule = self.rules.get(type(op))
            self.origin = op.location.origin if self.provenance and op.location else None
            first_new_node = len(self.nodes)
            try:
                if rule is None:
                    raise LoweringUnsupported(f"{op.NAME} has no lowering to ONNX")
                outs = rule(op, self, [self.values[v] for v in op.operands])
            except LoweringUnsupported as e:
                self.problems.append(_describe(op, str(e)))
                outs = [oir.Value(name=self.fresh_name()) for _ in op.results]
            outs = [outs] if isinstance(outs, oir.Value) else list(outs)
            made_here = {id(o) for node in self.nodes[first_new_node:] for o in node.outputs}
            for result, value in zip(op.results, outs, strict=True):
                if id(value) in made_here and not self.is_shared_constant(value):
                    self.annotate(value, result)
                self.values[result] = value

    def annotate(self, value: oir.Value, result: Value) -> None:
        """Give an op's ONNX output the IR result's name hint, dtype and shape."""
        if result.name:
            value.name = self.fresh_name(result.name)
        set_type(value, result.type)

    # -- names --------------------------------------------------------------------------------

    def fresh_name(self, hint: str | None = None) -> str:
        if hint:
            base = _SAFE_NAME.sub("_", hint)
            name, k = base, 0
            while name in self._taken:
                k += 1
                name = f"{base}_{k}"
        else:
            while (name := f"v{self._counter}") in self._taken:
                self._counter += 1
            self._counter += 1
        self._taken.add(name)
        return name

    # -- building -----------------------------------------------------------------------------

    def node(
        self,
        op_type: str,
        inputs: Sequence[oir.Value | None],
        attributes: Mapping[str, Any] | None = None,
        *,
        num_outputs: int = 1,
    ) -> list[oir.Value]:
        """Append a node; its outputs get fresh names and no declared type."""
        attrs = oir.convenience.convert_attributes(dict(attributes or {}))
        outputs = [oir.Value(name=self.fresh_name()) for _ in range(num_outputs)]
        metadata = {"pytensor_op": self.origin} if self.origin else None
        node = oir.Node(
            "",
            op_type,
            inputs,
            attrs,
            outputs=outputs,
            name=f"{op_type}_{self._node_counter}",
            metadata_props=metadata,
        )
        self._node_counter += 1
        self.nodes.append(node)
        return list(node.outputs)

    def op(self, op_type: str, *inputs: oir.Value | None, **attributes: Any) -> oir.Value:
        """A one-output node: ``ctx.op("Add", a, b)``."""
        return self.node(op_type, inputs, attributes)[0]

    def initializer(self, array: np.ndarray, name: str | None = None) -> oir.Value:
        value = oir.Value(
            name=self.fresh_name(name or "const"),
            type=oir.TensorType(onnx_dtype(str(array.dtype))),
            shape=oir.Shape(array.shape),
        )
        # Not np.ascontiguousarray: it turns a 0-d array into shape (1,), which then disagrees
        # with the declared scalar shape (ONNX shape inference rejects the model).
        data = np.require(array, requirements="C")
        assert data.shape == array.shape
        value.const_value = oir.Tensor(data, name=value.name)
        self.initializers.append(value)
        return value

    def constant(self, data: Any, dtype: str) -> oir.Value:
        """A small constant the lowering itself needs (axes, 0, 1, ...), shared when equal: an
        initializer (a Constant node would be one more node to run; ONNX shape inference
        reads initializers as it reads Constant nodes)."""
        array = np.asarray(data, dtype=dtype)
        key = (dtype, array.shape, array.tobytes())
        found = self._cached_constants.get(key)
        if found is not None:
            return found
        value = self.initializer(array)
        self._cached_constants[key] = value
        self._cached_ids.add(id(value))
        return value

    def subgraph(self, block: Block, name: str) -> oir.Graph:
        """The ONNX graph of a region: the block's arguments as inputs (outer values are read
        by name), its nodes, and the yielded values as outputs. Constants made inside stay
        inside."""
        saved = self.nodes, dict(self._cached_constants), set(self._cached_ids)
        self.nodes = []
        inputs: list[oir.Value] = []
        for arg in block.args:
            value = oir.Value(
                name=self.fresh_name(arg.name or f"{name}_in"),
                type=oir.TensorType(onnx_dtype(arg.dtype)),
                shape=onnx_shape(arg.type),
            )
            self.values[arg] = value
            inputs.append(value)
        try:
            self.lower_ops(block)
            outputs: list[oir.Value] = []
            made_here = {id(o) for node in self.nodes for o in node.outputs}
            for ir_value in block.yielded:
                value = self.values[ir_value]
                if id(value) not in made_here or any(value is o for o in outputs):
                    value = self.op("Identity", value)  # a subgraph output is its own value
                value.type = oir.TensorType(onnx_dtype(ir_value.dtype))
                value.shape = onnx_shape(ir_value.type)
                outputs.append(value)
            return oir.Graph(inputs, outputs, nodes=self.nodes, name=self.fresh_name(name))
        finally:
            self.nodes, self._cached_constants, self._cached_ids = saved

    def is_shared_constant(self, value: oir.Value) -> bool:
        """True for the small constants ``constant`` hands out to several users."""
        return id(value) in self._cached_ids

    def axes(self, axes: Sequence[int]) -> oir.Value:
        return self.constant(list(axes), "int64")

    def pads(self, rank: int, widths: Mapping[int, tuple[int, int]]) -> oir.Value:
        """ONNX Pad's ``pads`` input padding each axis in ``widths`` by (before, after) and
        every other axis of a rank-``rank`` tensor by nothing.

        Pads always cover every axis: Pad's optional ``axes`` input is never emitted. ONNX
        Runtime's transpose optimizer, pushing a Transpose through a Pad, permutes ``pads`` as
        if it covered every axis: the optimized model fails when run (a Gather out of range,
        seen on an integer sum over a transposed (0, 0) input)."""
        before = [widths.get(axis, (0, 0))[0] for axis in range(rank)]
        after = [widths.get(axis, (0, 0))[1] for axis in range(rank)]
        return self.constant(before + after, "int64")

    def cast(self, value: oir.Value, dtype: str) -> oir.Value:
        return self.op("Cast", value, to=onnx_dtype(dtype))

    def kernel(
        self,
        op_type: str,
        inputs: Sequence[oir.Value],
        dtype: str,
        *,
        bool_result: bool = False,
        kernel_key: str | None = None,
        extra: Sequence[oir.Value | None] = (),
        **attributes: Any,
    ) -> oir.Value:
        """``op_type`` on inputs of ``dtype``, computed in a wider exact dtype when ORT has no
        kernel for ``dtype``. The caller vouches that widening is exact for this op.
        ``extra`` inputs (axes, shapes) follow the data inputs and are never cast.
        """
        supported = ORT_KERNELS.get(kernel_key or op_type, frozenset())
        # float16 always computes in float32 between explicit casts: ORT runs float16 through
        # float32 itself but drops its casts between consecutive ops, rounding a whole chain
        # once where numpy rounds after every op.
        if dtype in supported and dtype != "float16":
            return self.op(op_type, *inputs, *extra, **attributes)
        wide = next((w for w in WIDER[dtype] if w in supported), None)
        if wide is None:
            raise LoweringUnsupported(f"ONNX Runtime has no {op_type} kernel for {dtype}")
        out = self.op(op_type, *(self.cast(v, wide) for v in inputs), *extra, **attributes)
        return out if bool_result else self.cast(out, dtype)


def set_type(value: oir.Value, type_: TensorType) -> None:
    """Declare ``value``'s ONNX element type and shape as the IR type's."""
    value.type = oir.TensorType(onnx_dtype(type_.dtype))
    value.shape = onnx_shape(type_)


def _describe(op: Operation, reason: str) -> UnsupportedOp:
    loc = op.location
    return UnsupportedOp(
        op=loc.origin if loc is not None else op.NAME,
        reason=f"{reason} (IR: {op_to_text(op)})",
        output=loc.variable if loc is not None else None,
        input_types=tuple(str(v.type) for v in op.operands),
        location=loc,
    )


def supports(op_type: str, dtype: str) -> bool:
    """True when ORT runs ``op_type`` on ``dtype`` directly."""
    return dtype in ORT_KERNELS.get(op_type, frozenset())
