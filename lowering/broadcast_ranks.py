"""Size-1 broadcast operands at the result's rank: ONNX Runtime's slow broadcast path avoided.

ORT's elementwise broadcaster walks the dims from the last one and takes the first dim where one
input is 1 and the other is not as its inner loop. When a size-1 operand has a lower rank than
the result and the result's dims it lines up with are all 1 (``(N, 1) + (1,)``,
``(N, 1) + ()``), no such dim is found before the operand's dims run out: the inner loop is one
element long, 12-25x slower than ``(N, 1) + (1, 1)`` at N = 10^4-10^5 (``python -m
benchmarks.broadcast_ranks``; a lower-rank operand of a result whose last dim is not 1 runs
at full speed, so it is left alone). The results are the same bits either way.

``give_result_ranks`` runs once over a lowered graph's nodes (the rules emit size-1 constants
of their own, and fix-ups of several nodes, whose shapes only this sweep sees): each such
operand becomes an initializer reshaped at compile time or, for a computed value, one
``Unsqueeze`` per value and rank, placed before its first user and shared by the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import onnx_ir as oir

from lowering.context import LoweringContext

#: Ops that broadcast their inputs numpy-style against each other.
BROADCASTING = frozenset({
    "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Where", "Equal", "Less", "Greater", "LessOrEqual",
    "GreaterOrEqual", "And", "Or", "Xor", "Max", "Min", "Sum", "Mean", "BitShift", "BitwiseAnd",
    "BitwiseOr", "BitwiseXor", "PRelu",
})  # fmt: skip
#: Ops whose output has their first input's shape.
SAME_SHAPE = frozenset({
    "Identity", "Cast", "Neg", "Abs", "Exp", "Log", "Sqrt", "Reciprocal", "Not", "IsNaN", "IsInf",
    "Sigmoid", "Tanh", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Erf", "Softplus", "Relu",
    "BitwiseNot",
})  # fmt: skip

#: A static dim, or None for a dim unknown until run time.
Shape = tuple[int | None, ...]


def give_result_ranks(ctx: LoweringContext, nodes: Sequence[oir.Node]) -> list[oir.Node]:
    """``nodes`` with every size-1 operand of a broadcasting node whose result's trailing dims
    it lines up with are all 1 given the result's rank (see the module docstring)."""
    shapes: dict[int, Shape] = {}
    unsqueezed: dict[tuple[int, int], oir.Value] = {}
    out: list[oir.Node] = []
    for node in nodes:
        if node.op_type in BROADCASTING and node.domain == "":
            result = _result_shape(node, shapes)
            if result is not None:
                for index, value in enumerate(node.inputs):
                    shape = None if value is None else _shape_of(value, shapes)
                    if value is not None and shape is not None and _slow_operand(shape, result):
                        ctx.origin = node.metadata_props.get("pytensor_op")
                        wide = _at_rank(ctx, value, len(shape), len(result), unsqueezed, out)
                        shapes[id(wide)] = (1,) * len(result)
                        node.replace_input_with(index, wide)
        _record(node, shapes)
        out.append(node)
    return out


def _slow_operand(shape: Shape, result: Shape) -> bool:
    """A size-1 operand of lower rank whose dims (at least the last) meet only 1s."""
    if len(shape) >= len(result) or any(d != 1 for d in shape):
        return False
    return all(d == 1 for d in result[len(result) - max(len(shape), 1) :])


def _at_rank(
    ctx: LoweringContext,
    value: oir.Value,
    own_rank: int,
    rank: int,
    unsqueezed: dict[tuple[int, int], oir.Value],
    out: list[oir.Node],
) -> oir.Value:
    """``value`` (size 1) with shape (1,) * rank."""
    tensor = value.const_value
    if tensor is not None:
        array = tensor.numpy()
        return ctx.constant(array.reshape((1,) * rank), str(array.dtype))
    key = (id(value), rank)
    found = unsqueezed.get(key)
    if found is None:
        found = ctx.op("Unsqueeze", value, ctx.axes(range(rank - own_rank)))
        if value.type is not None:
            found.type, found.shape = value.type, oir.Shape((1,) * rank)
        node = ctx.nodes.pop()  # appended by ctx.op: placed before its first user instead
        assert node is found.producer()
        out.append(node)
        unsqueezed[key] = found
    return found


def _shape_of(value: oir.Value, shapes: dict[int, Shape]) -> Shape | None:
    if value.shape is not None:
        return tuple(d if isinstance(d, int) else None for d in value.shape.dims)
    return shapes.get(id(value))


def _result_shape(node: oir.Node, shapes: dict[int, Shape]) -> Shape | None:
    declared = _shape_of(node.outputs[0], shapes)
    if declared is not None:
        return declared
    found = [_shape_of(v, shapes) if v is not None else None for v in node.inputs]
    if any(s is None for s in found):
        return None
    return _broadcast([s for s in found if s is not None])


def _broadcast(shapes: Sequence[Shape]) -> Shape:
    """numpy's broadcast of static-or-unknown shapes (an unknown dim against 1 stays unknown)."""
    rank = max(len(s) for s in shapes)
    dims: list[int | None] = []
    for axis in range(rank):
        here = [s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0]
        known = [d for d in here if d is not None and d != 1]
        if known:
            dims.append(known[0])
        elif any(d is None for d in here):
            dims.append(None)
        else:
            dims.append(1)
    return tuple(dims)


def _record(node: oir.Node, shapes: dict[int, Shape]) -> None:
    """The shape of a node's (undeclared) output, for the ops whose output shape is plain."""
    output = node.outputs[0] if node.outputs else None
    if output is None or output.shape is not None or node.domain != "":
        return
    if node.op_type in SAME_SHAPE and node.inputs and node.inputs[0] is not None:
        found = _shape_of(node.inputs[0], shapes)
    elif node.op_type in BROADCASTING:
        found = _result_shape(node, shapes)
    else:
        return
    if found is not None:
        shapes[id(output)] = found


__all__ = ["BROADCASTING", "give_result_ranks"]
