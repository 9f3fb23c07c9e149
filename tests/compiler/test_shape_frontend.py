"""Frontend tests of the shape rules: PyTensor graphs → the IR text they must produce; and the
shape inference of the IR's shape ops (``infer_types`` from constants, ``refined_types`` from
dims of other values), which the frontend stores."""

from __future__ import annotations

import re

import numpy as np
import pytensor.tensor as pt
import pytest
from pytensor.graph.fg import FunctionGraph

from compiler.frontend import FrontendOptions, import_fgraph
from ir.core import IRError
from ir.interpreter import run_module
from ir.parser import parse_module
from ir.printer import print_module
from ir.verifier import verify_module


def imported(outputs, inputs, **options) -> str:
    module = import_fgraph(FunctionGraph(inputs, outputs, clone=True), FrontendOptions(**options))
    verify_module(module)
    return print_module(module)


def test_int8_literal_sizes_become_i64_constants() -> None:
    n = pt.iscalar("n")
    assert imported([pt.zeros((n, 3))], [n]) == (
        "func @main(%n: i32[]) {\n"
        "  %0 = tir.constant dense<0.0> : f64[]\n"
        "  %1 = tir.cast %n {to = i64} : i64[]\n"
        "  %2 = tir.unsqueeze %1 {axes = [0]} : i64[1]\n"
        "  %3 = tir.constant dense<3> : i64[1]\n"
        "  %4 = tir.concat %2, %3 {axis = 0} : i64[2]\n"
        "  %5 = tir.expand %0, %4 : f64[?, 3]\n"
        '  return %5 : "output_0"\n'
        "}\n"
    )


def test_join_dims_multiplies_static_dims_and_keeps_the_batch_symbol() -> None:
    x = pt.tensor("x", shape=(None, 3, 4))
    assert imported([pt.join_dims(x, 1)], [x], dim_names={"x": {0: "batch"}}) == (
        "func @main(%x: f64[batch, 3, 4]) {\n"
        "  %0 = tir.shape %x : i64[3]\n"
        "  %1 = tir.constant dense<0> : i64[]\n"
        "  %2 = tir.gather %0, %1 {axis = 0} : i64[]\n"
        "  %3 = tir.unsqueeze %2 {axes = [0]} : i64[1]\n"
        "  %4 = tir.constant dense<12> : i64[1]\n"
        "  %5 = tir.concat %3, %4 {axis = 0} : i64[2]\n"
        "  %6 = tir.reshape %x, %5 : f64[batch, 12]\n"
        '  return %6 : "output_0"\n'
        "}\n"
    )


def test_static_dims_of_shapes_are_constants() -> None:
    """y's shape is static; z's second dim is known only to PyTensor (SpecifyShape)."""
    y = pt.tensor("y", shape=(2, 3))
    z = pt.matrix("z")
    assert imported([y.shape, pt.specify_shape(z, (None, 5)).shape], [y, z]) == (
        "func @main(%y: f64[2, 3], %z: f64[z_0, z_1]) {\n"
        "  %0 = tir.shape %z : i64[2]\n"
        "  %1 = tir.constant dense<0> : i64[]\n"
        "  %2 = tir.gather %0, %1 {axis = 0} : i64[]\n"
        "  %3 = tir.unsqueeze %2 {axes = [0]} : i64[1]\n"
        "  %4 = tir.constant dense<5> : i64[1]\n"
        "  %5 = tir.concat %3, %4 {axis = 0} : i64[2]\n"
        "  %6 = tir.constant dense<[2, 3]> : i64[2]\n"
        '  return %6, %5 : "output_0", "output_1"\n'
        "}\n"
    )


def test_eye_with_a_run_time_diagonal_compares_columns_minus_rows() -> None:
    n = pt.lscalar("n")
    k = pt.bscalar("k")
    assert imported([pt.eye(n, 3, k), pt.eye(n, n, 1)], [n, k]) == (
        "func @main(%n: i64[], %k: i8[]) {\n"
        "  %0 = tir.eye %n, %n {dtype = f64, k = 1} : f64[?, ?]\n"
        "  %1 = tir.constant dense<3> : i64[]\n"
        "  %2 = tir.cast %k {to = i64} : i64[]\n"
        "  %3 = tir.constant dense<0> : i64[]\n"
        "  %4 = tir.constant dense<1> : i64[]\n"
        "  %5 = tir.range %3, %n, %4 : i64[?]\n"
        "  %6 = tir.unsqueeze %5 {axes = [1]} : i64[?, 1]\n"
        "  %7 = tir.range %3, %1, %4 : i64[3]\n"
        "  %8 = tir.unsqueeze %7 {axes = [0]} : i64[1, 3]\n"
        "  %9 = tir.sub %8, %6 : i64[?, 3]\n"
        "  %10 = tir.eq %9, %2 : bool[?, 3]\n"
        "  %11 = tir.cast %10 {to = f64} : f64[?, 3]\n"
        '  return %11, %0 : "output_0", "output_1"\n'
        "}\n"
    )


def test_repeat_by_constant_counts_on_a_static_axis_is_a_gather() -> None:
    x = pt.tensor("x", shape=(None, 3), dtype="int8")
    text = imported([pt.repeat(x, [1, 0, 2], axis=1)], [x])
    indices = re.search(r"(%\d+) = tir.constant dense<\[0, 2, 2\]> : i64\[3\]", text)
    assert indices, text
    assert f"tir.gather %x, {indices.group(1)} {{axis = 1}} : i8[x_0, 3]" in text


def test_arange_bounds_become_the_dtype_or_int64_then_wrap() -> None:
    b = pt.bscalar("b")
    n = pt.lscalar("n")
    assert imported([pt.arange(b, 10, 2), pt.arange(n, dtype="int16")], [b, n]) == (
        "func @main(%b: i8[], %n: i64[]) {\n"
        "  %0 = tir.constant dense<0> : i64[]\n"
        "  %1 = tir.constant dense<1> : i64[]\n"
        "  %2 = tir.range %0, %n, %1 : i64[?]\n"
        "  %3 = tir.cast %2 {to = i16} : i16[?]\n"
        "  %4 = tir.cast %b {to = i64} : i64[]\n"
        "  %5 = tir.constant dense<10> : i64[]\n"
        "  %6 = tir.constant dense<2> : i64[]\n"
        "  %7 = tir.range %4, %5, %6 : i64[?]\n"
        '  return %7, %3 : "output_0", "output_1"\n'
        "}\n"
    )


# -- IR shape inference ----------------------------------------------------------------------------

SHAPES = """
func @main(%x: f32[batch, 3, 4]) {
  %0 = tir.shape %x : i64[3]
  %1 = tir.constant dense<0> : i64[]
  %2 = tir.gather %0, %1 {axis = 0} : i64[]
  %3 = tir.unsqueeze %2 {axes = [0]} : i64[1]
  %4 = tir.constant dense<[-1]> : i8[1]
  %5 = tir.cast %4 {to = i64} : i64[1]
  %6 = tir.concat %3, %5 {axis = 0} : i64[2]
  %7 = tir.reshape %x, %6 : f32[batch, 12]
  %8 = tir.constant dense<[0]> : i64[1]
  %9 = tir.constant dense<[2]> : i64[1]
  %10 = tir.constant dense<[1]> : i64[1]
  %11 = tir.slice %0, %8, %9, %10 {axes = [0]} : i64[2]
  %12 = tir.constant dense<2.0> : f32[]
  %13 = tir.expand %12, %11 : f32[batch, 3]
  %14 = tir.eye %2, %2 {dtype = f32, k = 0} : f32[batch, batch]
  return %7, %13, %14 : "flat", "filled", "eye"
}
"""


def test_refined_types_follow_dims_through_shape_computations() -> None:
    module = parse_module(SHAPES)
    verify_module(module)  # the stored types refine the inferred ones
    ops_by_name = {op.NAME: op for op in module.func.ops}
    reshape, expand, eye = (ops_by_name[n] for n in ("tir.reshape", "tir.expand", "tir.eye"))
    assert [str(t) for t in reshape.infer_types()] == ["f32[?, ?]"]
    assert [str(t) for t in reshape.refined_types()] == ["f32[batch, 12]"]
    assert [str(t) for t in expand.infer_types()] == ["f32[?, ?]"]
    assert [str(t) for t in expand.refined_types()] == ["f32[batch, 3]"]
    assert [str(t) for t in eye.refined_types()] == ["f32[batch, batch]"]
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    flat, filled, eye_out = run_module(module, [x])
    np.testing.assert_array_equal(flat, x.reshape(2, 12))
    np.testing.assert_array_equal(filled, np.full((2, 3), 2, "float32"))
    np.testing.assert_array_equal(eye_out, np.eye(2, dtype="float32"))


def test_reshape_minus_one_keeps_a_symbol_left_over_by_the_cancellation() -> None:
    """a * b / b is a; a * b / 2 is not a dim the IR can name, nor a * b alone."""
    module = parse_module(
        "func @main(%x: f32[a, b], %y: f32[b]) {\n"
        "  %0 = tir.shape %y : i64[1]\n"
        "  %1 = tir.constant dense<[-1]> : i64[1]\n"
        "  %2 = tir.concat %0, %1 {axis = 0} : i64[2]\n"
        "  %3 = tir.reshape %x, %2 : f32[b, ?]\n"
        "  %4 = tir.concat %1, %0 {axis = 0} : i64[2]\n"
        "  %5 = tir.reshape %x, %4 : f32[?, b]\n"
        "  %6 = tir.constant dense<[-1, 2]> : i64[2]\n"
        "  %7 = tir.reshape %x, %6 : f32[?, 2]\n"
        "  %8 = tir.reshape %x, %1 : f32[?]\n"
        '  return %3, %5, %7, %8 : "r", "s", "t", "u"\n'
        "}\n"
    )
    reshapes = [op for op in module.func.ops if op.NAME == "tir.reshape"]
    refined = [str(op.refined_types()[0]) for op in reshapes]
    assert refined == ["f32[b, a]", "f32[a, b]", "f32[?, 2]", "f32[?]"]


@pytest.mark.parametrize(
    ("dtype", "start", "stop", "step"),
    [("f16", 0.1, 2.3, 0.3), ("f32", 5.0, -2.5, -0.7), ("i64", 0, 10**12, 1), ("i8", 5, 5, 1)],
)
def test_range_length_is_numpy_s_from_python_values(dtype, start, stop, step) -> None:
    """Inferred without building the range (10**12 elements), from the Python values of the
    bounds as PyTensor's arange takes them (float16 arithmetic would give other lengths)."""
    module = parse_module(
        f"func @main() {{\n"
        f"  %0 = tir.constant dense<{start}> : {dtype}[]\n"
        f"  %1 = tir.constant dense<{stop}> : {dtype}[]\n"
        f"  %2 = tir.constant dense<{step}> : {dtype}[]\n"
        f"  %3 = tir.range %0, %1, %2 : {dtype}[?]\n"
        f'  return %3 : "r"\n'
        f"}}\n"
    )
    (range_op,) = (op for op in module.func.ops if op.NAME == "tir.range")
    values = [op.attributes["value"].array.item() for op in module.func.ops
              if op.NAME == "tir.constant"]  # fmt: skip
    expected = max(int(np.ceil((values[1] - values[0]) / values[2])), 0)
    assert range_op.infer_types()[0].shape == (expected,)
    if expected < 100:
        (out,) = run_module(module, [])
        assert out.shape == (expected,)


def test_range_with_a_zero_step_is_an_ir_error() -> None:
    with pytest.raises(IRError, match="step is 0"):
        parse_module(
            "func @main() {\n"
            "  %0 = tir.constant dense<0> : i64[]\n"
            "  %1 = tir.range %0, %0, %0 : i64[0]\n"
            '  return %1 : "r"\n'
            "}\n"
        )
