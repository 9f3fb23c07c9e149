"""Arithmetic with a float64 constant that ONNX Runtime's optimizer would wrongly drop.

ORT's ``NoopElimination`` (graph optimization level basic and above) removes an Add, Sub, Mul
or Div of one constant initializer of at most one element (of rank at most the other input's,
in Sub and Div the second input) when that constant is 0 (Add, Sub) or 1 (Mul, Div), and the
node's output is not a graph output. It reads a float64 constant through a cast to float32, so
it also removes ``x * 1.0000000342285429`` (float32 rounds it to 1: a relative error of 3.4e-8
in float64; PyMC's logps carry such constants, float32 roundings of their float64 values),
``x / (1 - 2**-30)``, and ``x + 1e-300`` (float32 rounds it to 0: ``log(exp(x) + 1e-300)``
became -inf for x = -800). It also removes ``x + 0.0`` and ``x - (-0.0)``, which turn -0.0 into
+0.0. (Every other dtype casts exactly: float32, float16, and integers, whose only values 0
and 1 cast to 0 and 1.)

``guard_noop_elimination`` runs once over a lowered model (its If/Loop bodies too) and gives
each such node a form the rule does not match, with the same result bit for bit: an Add is a
``Sum`` of the same inputs, a Sub ``x - c`` is ``Sum(x, -c)`` (IEEE defines x - c as
x + (-c)), and a Mul or Div gets the constant at one rank above its output's, the extra
leading axis squeezed from the result (the rule declines an initializer of higher rank than
the other input). A node whose drop is exact (``x + (-0.0)``, ``x - 0.0``, ``x * 1.0``,
``x / 1.0`` over the output's shape) is left as it is.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import onnx
import onnx_ir as oir

from lowering.broadcast_ranks import BROADCASTING, SAME_SHAPE
from lowering.context import LoweringContext

_ADDITIVE = frozenset({"Add", "Sub"})
_MULTIPLICATIVE = frozenset({"Mul", "Div"})


def guard_noop_elimination(ctx: LoweringContext, model: oir.Model) -> None:
    """Rewrite, in ``model``'s graph and its subgraphs, every node that ORT's NoopElimination
    would drop without the drop being exact (see the module docstring). New constants are
    initializers of the main graph (subgraphs read them from outside); names come from
    ``ctx``, which made every name of the graph."""
    ranks = _Ranks(model)
    for node in list(_all_nodes(model.graph)):
        found = _dropped_constant(node)
        if found is None:
            continue
        index, constant = found
        if node.op_type in _ADDITIVE:
            _as_sum(ctx, model.graph, node, index, constant)
        else:
            _at_higher_rank(ctx, model.graph, node, index, constant, ranks.of(node.outputs[0]))


def _all_nodes(graph: oir.Graph) -> Iterator[oir.Node]:
    for node in list(graph):
        yield node
        for attr in node.attributes.values():
            if attr.type == oir.AttributeType.GRAPH:
                yield from _all_nodes(attr.value)
            elif attr.type == oir.AttributeType.GRAPHS:
                for sub in attr.value:
                    yield from _all_nodes(sub)


def _dropped_constant(node: oir.Node) -> tuple[int, np.ndarray] | None:
    """(input index, value) of the float64 constant ORT would drop ``node`` for, inexactly."""
    if node.domain != "" or len(node.inputs) != 2 or len(node.outputs) != 1:
        return None
    if node.op_type not in _ADDITIVE | _MULTIPLICATIVE or node.outputs[0].is_graph_output():
        return None
    constants = [_constant(v) for v in node.inputs]
    if (constants[0] is None) == (constants[1] is None):
        return None  # the rule wants exactly one constant initializer
    index = 0 if constants[0] is not None else 1
    array = constants[index]
    if array is None or (index == 0 and node.op_type in ("Sub", "Div")):
        return None
    other = node.inputs[1 - index]
    if other is not None and other.shape is not None and array.ndim > len(other.shape):
        return None  # the rule declines a constant of higher rank than the other input
    if array.dtype != np.float64 or array.size != 1:
        return None  # (ORT 1.32 keeps an op of an empty constant, whose result is empty)
    value = float(array.reshape(()))
    as_float32 = float(np.float32(value))  # what the rule compares
    if node.op_type in _ADDITIVE:
        if as_float32 != 0.0:
            return None
        neutral = -0.0 if node.op_type == "Add" else 0.0  # x + (-0.0) and x - 0.0 are x
        exact = value == 0.0 and bool(np.signbit(value)) == bool(np.signbit(neutral))
    else:
        if as_float32 != 1.0:
            return None
        exact = value == 1.0
    return None if exact else (index, array)


def _constant(value: oir.Value | None) -> np.ndarray | None:
    if value is None or value.const_value is None or not value.is_initializer():
        return None
    return np.asarray(value.const_value.numpy())


def _add_node(graph: oir.Graph, after: oir.Node, node: oir.Node) -> None:
    owner = after.graph
    (owner if owner is not None else graph).insert_after(after, node)


def _as_sum(
    ctx: LoweringContext, graph: oir.Graph, node: oir.Node, index: int, constant: np.ndarray
) -> None:
    """Add(a, b) -> Sum(a, b); Sub(x, c) -> Sum(x, -c): the same IEEE additions."""
    inputs = list(node.inputs)
    if node.op_type == "Sub":
        inputs[1] = _initializer(ctx, graph, -constant)
    out = node.outputs[0]
    total = oir.Node("", "Sum", inputs, name=f"{node.name}_sum", metadata_props=_meta(node))
    _add_node(graph, node, total)
    _move_uses(out, total.outputs[0], out)
    _remove(graph, node)


def _at_higher_rank(
    ctx: LoweringContext,
    graph: oir.Graph,
    node: oir.Node,
    index: int,
    constant: np.ndarray,
    rank: int | None,
) -> None:
    """Mul/Div with the constant at rank ``rank + 1``, the leading axis squeezed away."""
    if rank is None:
        return  # ONNX shape inference found no rank: ORT's shape inference finds none either
    inputs = list(node.inputs)
    inputs[index] = _initializer(
        ctx, graph, constant.reshape((1,) * (rank + 1 - constant.ndim) + constant.shape)
    )
    out = node.outputs[0]
    wide = oir.Node("", node.op_type, inputs, name=f"{node.name}_wide", metadata_props=_meta(node))
    wide.outputs[0].name = ctx.fresh_name()
    wide.outputs[0].type = out.type
    if out.shape is not None:
        wide.outputs[0].shape = oir.Shape((1, *out.shape.dims))
    squeeze = oir.Node(
        "",
        "Squeeze",
        [wide.outputs[0], _initializer(ctx, graph, np.array([0], dtype=np.int64))],
        name=f"{node.name}_squeeze",
        metadata_props=_meta(node),
    )
    _add_node(graph, node, wide)
    _add_node(graph, wide, squeeze)
    _move_uses(out, squeeze.outputs[0], out)
    _remove(graph, node)


def _meta(node: oir.Node) -> dict[str, str] | None:
    return dict(node.metadata_props) or None


def _move_uses(old: oir.Value, new: oir.Value, like: oir.Value) -> None:
    """Readers of ``old`` read ``new`` instead, which takes ``old``'s name, type and shape."""
    for user, i in list(old.uses()):
        user.replace_input_with(i, new)
    name, old.name = old.name, None
    new.name, new.type, new.shape = name, like.type, like.shape


def _remove(graph: oir.Graph, node: oir.Node) -> None:
    """Remove ``node``, and the initializers it read that nothing else reads."""
    inputs = list(node.inputs)
    owner = node.graph
    assert owner is not None
    owner.remove(node, safe=True)
    for value in inputs:
        if value is not None and value.is_initializer() and not value.uses():
            name = value.name
            if name in graph.initializers and not value.is_graph_output():
                del graph.initializers[name]


def _initializer(ctx: LoweringContext, graph: oir.Graph, array: np.ndarray) -> oir.Value:
    """A new initializer of the main graph."""
    value = ctx.initializer(np.asarray(array, dtype=array.dtype))
    graph.register_initializer(value)
    return value


class _Ranks:
    """The rank of a value: declared, else from ONNX shape inference over the whole model
    (run once, on the first value that needs it)."""

    def __init__(self, model: oir.Model) -> None:
        self.model = model
        self.inferred: dict[str, int] | None = None

    def of(self, value: oir.Value) -> int | None:
        if value.shape is not None:
            return len(value.shape)
        producer = value.producer()
        if producer is not None and producer.op_type in BROADCASTING | SAME_SHAPE:
            inputs = [v for v in producer.inputs if v is not None]
            if producer.op_type in SAME_SHAPE:
                inputs = inputs[:1]
            found = [len(v.shape) if v.shape is not None else None for v in inputs]
            if found and None not in found:
                return max(r for r in found if r is not None)
        if self.inferred is None:
            self.inferred = _inferred_ranks(self.model)
        return self.inferred.get(value.name or "")


def _inferred_ranks(model: oir.Model) -> dict[str, int]:
    proto = onnx.shape_inference.infer_shapes(oir.serde.serialize_model(model))
    ranks: dict[str, int] = {}

    def visit(graph: onnx.GraphProto) -> None:
        for info in [*graph.value_info, *graph.input, *graph.output]:
            tensor = info.type.tensor_type
            if tensor.HasField("shape"):
                ranks[info.name] = len(tensor.shape.dim)
        for node in graph.node:
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    visit(attr.g)
                for sub in attr.graphs:
                    visit(sub)

    visit(proto.graph)
    return ranks


__all__ = ["guard_noop_elimination"]
