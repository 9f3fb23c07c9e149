"""tir.loop: text round trip (region arguments), typing and verifier errors, the Python API
the frontend uses, and the interpreter's ONNX Loop semantics."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ir import ops
from ir.attributes import DenseElements
from ir.core import Block, Function, IRError, Module, Return, Value, Yield
from ir.interpreter import InterpreterError, run_module
from ir.parser import ParseError, parse_module
from ir.printer import print_module
from ir.types import TensorType
from ir.verifier import VerificationError, verify_module

ACCUMULATE = """\
func @main(%n: i64[], %x: f32[3]) {
  %t = tir.constant dense<true> : bool[]
  %acc, %steps = tir.loop %n, %t, %x : f32[3], f32[?, 3] {
  ^(%i: i64[], %c: bool[], %a: f32[3]):
    %0 = tir.add %a, %x : f32[3]
    %1 = tir.cast %i {to = f32} : f32[]
    %2 = tir.mul %0, %1 : f32[3]
    yield %c, %0, %2
  }
  return %acc, %steps : "acc", "steps"
}
"""

X = np.array([0.5, -1.0, 2.0], dtype=np.float32)


def _run(text: str, *feeds: np.ndarray) -> list[np.ndarray]:
    module = parse_module(text)
    verify_module(module)
    return run_module(module, list(feeds))


def _expected_accumulate(n: int) -> tuple[np.ndarray, np.ndarray]:
    acc, steps = X.copy(), []
    for i in range(n):
        acc = (acc + X).astype(np.float32)
        steps.append(acc * np.float32(i))
    return acc, np.array(steps, dtype=np.float32).reshape(-1, 3)


# -- text -----------------------------------------------------------------------------------------


def test_loop_round_trips_and_verifies() -> None:
    module = parse_module(ACCUMULATE)
    verify_module(module)
    assert print_module(module) == ACCUMULATE
    assert len(module) == 5  # constant, loop, add, cast, mul


def test_unnamed_block_arguments_print_numbered() -> None:
    text = ACCUMULATE.replace("%i", "%7").replace("%c", "%8").replace("%a", "%9")
    printed = print_module(parse_module(text))
    assert "  ^(%0: i64[], %1: bool[], %2: f32[3]):\n" in printed
    assert print_module(parse_module(printed)) == printed


NESTED = """\
func @main(%n: i64[], %x: f32[2], %p: bool[]) {
  %t = tir.constant dense<true> : bool[]
  %0 = tir.if %p : f32[2] {
    %1 = tir.loop %n, %t, %x : f32[2] {
    ^(%i: i64[], %c: bool[], %a: f32[2]):
      %2 = tir.loop %n, %c, %a : f32[2] {
      ^(%j: i64[], %c2: bool[], %b: f32[2]):
        %3 = tir.add %b, %x : f32[2]
        yield %c2, %3
      }
      %4 = tir.if %c : f32[2] {
        %5 = tir.neg %2 : f32[2]
        yield %5
      } {
        yield %2
      }
      yield %c, %4
    }
    yield %1
  } {
    yield %x
  }
  return %0 : "y"
}
"""


def test_nested_loops_and_ifs_round_trip() -> None:
    module = parse_module(NESTED)
    verify_module(module)
    assert print_module(module) == NESTED


def test_nested_interpreter() -> None:
    for n in range(4):
        for p in (True, False):
            (y,) = _run(NESTED, np.array(n), X[:2], np.array(p))
            want = X[:2].copy()
            if p:
                for _ in range(n):
                    for _ in range(n):
                        want = want + X[:2]
                    want = -want
            np.testing.assert_array_equal(y, want)


# -- the Python API the frontend uses ---------------------------------------------------------


def test_python_api_builds_a_loop() -> None:
    f3 = TensorType("float32", (3,))
    n, x = Value(TensorType("int64", ()), name="n"), Value(f3, name="x")
    func = Function("main", [n, x])
    true = func.append(ops.Constant([], {"value": DenseElements(np.array(True))})).result
    body = Block(args=[Value(TensorType("int64", ())), Value(TensorType("bool", ())), Value(f3)])
    nxt = body.append(ops.Add([body.args[2], x])).result
    body.append(Yield([body.args[1], nxt, nxt]))
    loop = func.append(ops.Loop([n, true, x], regions=[body]))
    func.append(Return(list(loop.results), ["acc", "steps"]))
    assert [str(r.type) for r in loop.results] == ["f32[3]", "f32[?, 3]"]
    assert (loop.num_carried, loop.num_scanned) == (1, 1)
    module = Module(func)
    verify_module(module)
    acc, steps = run_module(module, [np.array(2), X])
    np.testing.assert_array_equal(acc, X * 3)
    np.testing.assert_array_equal(steps, np.stack([X * 2, X * 3]))


# -- typing ---------------------------------------------------------------------------------------


def test_static_stacked_length_with_constant_trip_and_true_condition() -> None:
    text = ACCUMULATE.replace("%n: i64[], ", "").replace(
        "  %t = tir.constant dense<true> : bool[]\n",
        "  %t = tir.constant dense<true> : bool[]\n  %n = tir.constant dense<4> : i64[]\n",
    )
    loop = next(op for op in parse_module(text).func.ops if isinstance(op, ops.Loop))
    assert [str(t) for t in loop.infer_types()] == ["f32[3]", "f32[4, 3]"]
    assert loop.static_trip_count() == 4 and loop.runs_at_least_once()


def test_stacked_length_unknown_with_early_exit() -> None:
    loop = next(op for op in parse_module(EARLY_EXIT).func.ops if isinstance(op, ops.Loop))
    assert loop.static_trip_count() is None
    assert str(loop.infer_types()[1]) == "f32[?]"


def test_constant_false_condition_runs_nothing() -> None:
    text = ACCUMULATE.replace("dense<true>", "dense<false>")
    loop = next(op for op in parse_module(text).func.ops if isinstance(op, ops.Loop))
    assert loop.static_trip_count() == 0
    assert str(loop.infer_types()[1]) == "f32[0, 3]"


def test_symbolic_per_step_dim_is_unknown_when_the_loop_may_not_run() -> None:
    text = """\
func @main(%n: i64[], %x: f32[batch]) {
  %t = tir.constant dense<true> : bool[]
  %0, %1 = tir.loop %n, %t, %x : f32[batch], f32[?, ?] {
  ^(%i: i64[], %c: bool[], %a: f32[batch]):
    %2 = tir.neg %a : f32[batch]
    yield %c, %2, %2
  }
  return %0, %1 : "acc", "steps"
}
"""
    loop = next(op for op in parse_module(text).func.ops if isinstance(op, ops.Loop))
    # Zero iterations give (0, 0): "batch" would be a lie there.
    assert [str(t) for t in loop.infer_types()] == ["f32[batch]", "f32[?, ?]"]
    (_, steps) = _run(text, np.array(0), X)
    assert steps.shape == (0, 0)


def test_carried_argument_with_unknown_dim_grows() -> None:
    text = """\
func @main(%n: i64[], %x: f32[1]) {
  %t = tir.constant dense<true> : bool[]
  %0 = tir.loop %n, %t, %x : f32[?] {
  ^(%i: i64[], %c: bool[], %a: f32[?]):
    %1 = tir.concat %a, %x {axis = 0} : f32[?]
    yield %c, %1
  }
  return %0 : "y"
}
"""
    for n in range(4):
        (y,) = _run(text, np.array(n), X[:1])
        np.testing.assert_array_equal(y, np.repeat(X[:1], n + 1))


# -- verifier and parser errors -------------------------------------------------------------------


TWO_INPUTS = ACCUMULATE.replace("%x: f32[3]) {", "%x: f32[3], %z: f32[4]) {")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("%n: i64[]", "%n: i32[]", "the trip count must be i64[], got i32[]"),
        ("dense<true> : bool[]", "dense<1> : i8[]", "the condition must be bool[], got i8[]"),
        ("%a: f32[3]):", "%a: f32[3], %z2: f32[3]):",
         "the body takes 3 arguments (iteration number, condition and 1 carried values), got 4"),
        ("^(%i: i64[]", "^(%i: i32[]",
         "the body's first two arguments must be i64[] and bool[], got i32[] and bool[]"),
        ("yield %c, %0, %2", "yield %c",
         "the body must yield the condition and 1 carried values, got 1 values"),
        ("yield %c, %0, %2", "yield %i, %0, %2",
         "the body must yield a bool[] condition, got i64[]"),
        ("tir.loop %n, %t, %x", "tir.loop %n, %t, %z",
         "carried value 0: the initial value's type f32[4] does not fit the body argument's "
         "f32[3]"),
        ("yield %c, %0, %2", "yield %c, %1, %2",
         "carried value 0: the next value's type f32[] does not fit the body argument's f32[3]"),
    ],
)  # fmt: skip
def test_loop_type_errors(old: str, new: str, message: str) -> None:
    assert old in TWO_INPUTS
    with pytest.raises(ParseError, match=re.escape(f"tir.loop: {message}")):
        parse_module(TWO_INPUTS.replace(old, new))


def test_body_cannot_read_the_loops_own_results() -> None:
    text = ACCUMULATE.replace("%0 = tir.add %a, %x", "%0 = tir.add %a, %acc")
    with pytest.raises(ParseError, match="value %acc is used before it is defined"):
        parse_module(text)


def test_body_values_are_not_visible_after_the_loop() -> None:
    text = ACCUMULATE.replace(
        'return %acc, %steps : "acc", "steps"', 'return %acc, %0 : "acc", "s"'
    )
    with pytest.raises(VerificationError, match="used before it is defined"):
        verify_module(parse_module(text))


def test_block_arguments_are_not_visible_after_the_loop() -> None:
    text = ACCUMULATE.replace(
        'return %acc, %steps : "acc", "steps"', 'return %acc, %a : "acc", "s"'
    )
    with pytest.raises(VerificationError, match="used before it is defined"):
        verify_module(parse_module(text))


def test_block_argument_of_two_blocks_is_refused() -> None:
    module = parse_module(ACCUMULATE)
    loop = next(op for op in module.func.ops if isinstance(op, ops.Loop))
    module.func.args.append(loop.body.args[2])
    with pytest.raises(VerificationError, match="is an argument of two blocks"):
        verify_module(module)


def test_if_regions_take_no_arguments() -> None:
    text = """\
func @main(%c: bool[], %x: f32[3]) {
  %0 = tir.if %c : f32[3] {
  ^(%a: f32[3]):
    yield %a
  } {
    yield %x
  }
  return %0 : "y"
}
"""
    with pytest.raises(ParseError, match=re.escape("tir.if: its regions take no arguments")):
        parse_module(text)


def test_region_header_needs_its_colon() -> None:
    text = ACCUMULATE.replace("%a: f32[3]):", "%a: f32[3])")
    with pytest.raises(ParseError, match="expected ':'"):
        parse_module(text)


def test_loop_constructor_checks_types() -> None:
    f3 = TensorType("float32", (3,))
    n, x = Value(TensorType("int64", ()), name="n"), Value(f3, name="x")
    body = Block(args=[Value(TensorType("int64", ())), Value(TensorType("bool", ()))])
    body.append(Yield([body.args[1]]))
    with pytest.raises(IRError, match="the condition must be bool"):
        ops.Loop([n, x], regions=[body])


# -- interpreter ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 5, -3])
def test_accumulate_interpreter(n: int) -> None:
    acc, steps = _run(ACCUMULATE, np.array(n), X)
    want_acc, want_steps = _expected_accumulate(max(n, 0))
    np.testing.assert_array_equal(acc, want_acc)
    assert steps.shape == want_steps.shape and steps.dtype == np.float32
    np.testing.assert_array_equal(steps, want_steps)


EARLY_EXIT = """\
func @main(%n: i64[], %x: f32[], %c0: bool[]) {
  %0, %1, %2 = tir.loop %n, %c0, %x : f32[], f32[?], i64[?] {
  ^(%i: i64[], %c: bool[], %a: f32[]):
    %3 = tir.constant dense<2.0> : f32[]
    %4 = tir.mul %a, %3 : f32[]
    %5 = tir.constant dense<100.0> : f32[]
    %6 = tir.lt %4, %5 : bool[]
    yield %6, %4, %4, %i
  }
  return %0, %1, %2 : "y", "steps", "iters"
}
"""


def test_early_exit_stops_after_the_iteration_whose_condition_is_false() -> None:
    y, steps, iters = _run(EARLY_EXIT, np.array(50), np.float32(3.0), np.array(True))
    # 6, 12, 24, 48, 96, 192: the iteration computing 192 yields false and is the last.
    np.testing.assert_array_equal(steps, np.float32([6, 12, 24, 48, 96, 192]))
    assert y == np.float32(192)
    np.testing.assert_array_equal(iters, np.arange(6))
    assert iters.dtype == np.int64


def test_false_initial_condition_runs_nothing() -> None:
    y, steps, iters = _run(EARLY_EXIT, np.array(50), np.float32(3.0), np.array(False))
    assert y == np.float32(3.0) and steps.shape == (0,) and iters.shape == (0,)


def test_trip_count_bounds_a_while_loop() -> None:
    y, steps, _ = _run(EARLY_EXIT, np.array(2), np.float32(3.0), np.array(True))
    assert y == np.float32(12) and steps.shape == (2,)


def test_per_step_value_changing_shape_is_an_error() -> None:
    text = """\
func @main(%n: i64[], %x: f32[?]) {
  %t = tir.constant dense<true> : bool[]
  %0, %1 = tir.loop %n, %t, %x : f32[?], f32[?, ?] {
  ^(%i: i64[], %c: bool[], %a: f32[?]):
    %2 = tir.concat %a, %a {axis = 0} : f32[?]
    yield %c, %2, %2
  }
  return %0, %1 : "y", "steps"
}
"""
    with pytest.raises(InterpreterError, match="changes shape from"):
        _run(text, np.array(3), X)
