"""Size-1 operands of lower rank than a (…, 1) result get the result's rank at emission
(lowering/broadcast_ranks.py): constants reshaped, computed values through one shared
Unsqueeze. Golden: the operand shapes in the ONNX graph. Numeric: the same bits as the
interpreter (ORT with optimizations on and off)."""

from __future__ import annotations

import numpy as np
import onnx
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.testing import assert_lowering_matches_interpreter
from ir.parser import parse_module
from lowering.broadcast_ranks import BROADCASTING
from lowering.emitter import emit_model

COLUMN = """func @main(%x: f64[{n}, 1], %s: f64[]) {{
  %k = tir.constant dense<2.5> : f64[1]
  %a = tir.add %x, %k : f64[{n}, 1]
  %b = tir.mul %a, %s : f64[{n}, 1]
  %c = tir.sub %b, %s : f64[{n}, 1]
  %z = tir.constant dense<0.0> : f64[]
  %p = tir.gt %c, %z : bool[{n}, 1]
  %w = tir.where %p, %c, %s : f64[{n}, 1]
  return %w : "w"
}}"""
#: The last dim is not 1: ORT's fast path already; nothing changes.
ROWS = """func @main(%x: f64[{n}, 3], %s: f64[]) {{
  %k = tir.constant dense<2.5> : f64[1]
  %a = tir.add %x, %k : f64[{n}, 3]
  %b = tir.mul %a, %s : f64[{n}, 3]
  return %b : "b"
}}"""


def _shapes(model: onnx.ModelProto) -> dict[str, tuple[int | str, ...]]:
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    graph = inferred.graph
    shapes: dict[str, tuple[int | str, ...]] = {i.name: tuple(i.dims) for i in graph.initializer}
    for info in [*graph.input, *graph.value_info, *graph.output]:
        dims = info.type.tensor_type.shape.dim
        shapes[info.name] = tuple(
            d.dim_value if d.HasField("dim_value") else d.dim_param for d in dims
        )
    return shapes


def _operand_ranks(text: str) -> list[tuple[str, list[int]]]:
    """The input ranks of every broadcasting node with a rank-2 result."""
    model = emit_model(parse_module(text))
    shapes = _shapes(model)
    return [
        (node.op_type, [len(shapes[name]) for name in node.input])
        for node in model.graph.node
        if node.op_type in BROADCASTING and len(shapes[node.output[0]]) == 2
    ]


def test_size_one_operands_of_a_column_result_get_its_rank():
    model = emit_model(parse_module(COLUMN.format(n=7)))
    unsqueezed = [n.input[0] for n in model.graph.node if n.op_type == "Unsqueeze"]
    assert unsqueezed.count("s") == 1  # once, shared by its three users
    ranks = _operand_ranks(COLUMN.format(n=7))
    assert ranks[:5] == [
        ("Add", [2, 2]), ("Mul", [2, 2]), ("Sub", [2, 2]), ("Greater", [2, 2]),
        ("Where", [2, 2, 2]),
    ]  # fmt: skip
    # The -0.0 fix-up of the selection (its own constants and a value of rank 0) too.
    assert all(set(r) == {2} for _, r in ranks)


def test_unknown_leading_dim_is_enough():
    ranks = _operand_ranks(COLUMN.format(n="n"))
    assert len(ranks) > 5 and all(set(r) == {2} for _, r in ranks)


def test_a_result_whose_last_dim_is_not_one_is_left_alone():
    model = emit_model(parse_module(ROWS.format(n=7)))
    assert "Unsqueeze" not in {n.op_type for n in model.graph.node}
    assert _operand_ranks(ROWS.format(n=7)) == [("Add", [2, 1]), ("Mul", [2, 0])]


values = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.data())
def test_same_bits_as_the_interpreter(n: int, data: st.DataObject):
    x = np.array(data.draw(st.lists(values, min_size=n, max_size=n))).reshape(n, 1)
    s = np.array(data.draw(st.sampled_from([0.0, -0.0, 1.5, -2.0, np.inf, np.nan])))
    with np.errstate(all="ignore"):
        assert_lowering_matches_interpreter(COLUMN.format(n=n), [x, s])
        assert_lowering_matches_interpreter(ROWS.format(n=n), [np.repeat(x, 3, axis=1), s])
