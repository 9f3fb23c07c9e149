"""tir.loop → ONNX Loop: IR text lowered, run in ONNX Runtime (both optimization levels) and
compared bit for bit with the IR interpreter; the ONNX Runtime behaviours the lowering relies
on or works around (zero-trip stacked shapes, the iteration number's dtype, outer-scope reads,
an omitted condition) are pinned here."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.testing import assert_same_bits
from ir.core import Module
from ir.interpreter import InterpreterError, run_module
from ir.parser import parse_module
from ir.printer import print_module
from ir.verifier import verify_module
from lowering import emit_model
from passes import DEFAULT_PIPELINE, PassManager, make_passes
from tests.helpers import assert_model_sound, run_sessions


@functools.cache
def _compiled(source: str) -> tuple[onnx.ModelProto, dict[str, Any], list[str]]:
    module = parse_module(source)
    verify_module(module)
    model = emit_model(module)
    sessions = assert_model_sound(model)
    names = [i.name for i in model.graph.input]
    return model, sessions, names


def check(source: str, *feeds: Any, rtol: float = 0.0) -> list[np.ndarray]:
    """ONNX Runtime at each optimization level equals the interpreter exactly (dtype, shape,
    bits; within ``rtol`` when given, for float kernels that round differently from numpy's);
    returns the interpreter's results."""
    arrays = [np.asarray(f) for f in feeds]
    _, sessions, names = _compiled(source)
    want = run_module(parse_module(source), arrays)
    for level, got in run_sessions(sessions, dict(zip(names, arrays, strict=True))).items():
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert g.shape == w.shape, f"{level}: shape {g.shape}, interpreter {w.shape}"
            if rtol:
                assert g.dtype == w.dtype
                np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol, err_msg=level)
            else:
                assert_same_bits(w, g)
    return want


def loop_nodes(source: str) -> list[onnx.NodeProto]:
    model, _, _ = _compiled(source)
    return [n for n in model.graph.node if n.op_type == "Loop"]


ACCUMULATE = """\
func @main(%n: i64[], %x: f32[rows, cols]) {
  %t = tir.constant dense<true> : bool[]
  %acc, %steps = tir.loop %n, %t, %x : f32[rows, cols], f32[?, ?, ?] {
  ^(%i: i64[], %c: bool[], %a: f32[rows, cols]):
    %0 = tir.add %a, %x : f32[rows, cols]
    %1 = tir.cast %i {to = f32} : f32[]
    %2 = tir.mul %0, %1 : f32[rows, cols]
    yield %c, %0, %2
  }
  return %acc, %steps : "acc", "steps"
}
"""


@settings(max_examples=30)
@given(
    n=st.integers(0, 5),
    shape=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    seed=st.integers(0, 2**16),
)
def test_accumulate_over_trip_counts_and_shapes(n: int, shape: tuple[int, int], seed: int) -> None:
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    acc, steps = check(ACCUMULATE, np.array(n), x)
    want = x.copy()
    for _ in range(n):
        want = want + x
    np.testing.assert_array_equal(acc, want)  # an independent reference, not the interpreter
    assert steps.shape == (n, *shape) if n else steps.shape == (0, 0, 0)


def test_constant_true_condition_kept_true_is_left_out() -> None:
    (loop,) = loop_nodes(ACCUMULATE)
    assert loop.input[1] == ""  # the body yields its own condition: a for-loop
    (early,) = loop_nodes(EARLY_EXIT)
    assert early.input[1] != ""  # the body computes its condition: it must be passed


def test_iteration_number_is_an_int64_scalar_input() -> None:
    (loop,) = loop_nodes(ACCUMULATE)
    body = next(a.g for a in loop.attribute if a.name == "body")
    counter, cond = body.input[0].type.tensor_type, body.input[1].type.tensor_type
    assert counter.elem_type == onnx.TensorProto.INT64 and len(counter.shape.dim) == 0
    assert cond.elem_type == onnx.TensorProto.BOOL and len(cond.shape.dim) == 0


EARLY_EXIT = """\
func @main(%n: i64[], %x: f32[], %c0: bool[]) {
  %0, %1, %2, %3 = tir.loop %n, %c0, %x : f32[], f32[?], i64[?], bool[?] {
  ^(%i: i64[], %c: bool[], %a: f32[]):
    %4 = tir.constant dense<2.0> : f32[]
    %5 = tir.mul %a, %4 : f32[]
    %6 = tir.constant dense<100.0> : f32[]
    %7 = tir.lt %5, %6 : bool[]
    yield %7, %5, %5, %i, %c
  }
  return %0, %1, %2, %3 : "y", "steps", "iters", "conds"
}
"""


@settings(max_examples=30)
@given(n=st.integers(-2, 12), x=st.sampled_from([3.0, 0.5, -1.0, 60.0, 200.0]), c0=st.booleans())
def test_early_exit(n: int, x: float, c0: bool) -> None:
    _, steps, iters, conds = check(EARLY_EXIT, np.array(n), np.float32(x), np.array(c0))
    assert iters.dtype == np.int64
    np.testing.assert_array_equal(iters, np.arange(len(steps)))
    assert conds.all()  # the body only ever sees a true condition


# A per-step type less precise than what ORT's shape inference finds (f32[?] where ORT knows
# 4): with zero trips ORT would give (0, 4); the IR says (0, 0) and the lowering makes it so.
IMPRECISE_STEP = """\
func @main(%n: i64[], %y: f32[4]) {
  %t = tir.constant dense<true> : bool[]
  %0, %1 = tir.loop %n, %t, %y : f32[4], f32[?, ?] {
  ^(%i: i64[], %c: bool[], %a: f32[4]):
    %2 = tir.add %a, %y : f32[?]
    %3 = tir.neg %a : f32[4]
    yield %c, %3, %2
  }
  return %0, %1 : "y", "steps"
}
"""


def test_zero_trip_stacked_shape_is_exact() -> None:
    y = np.arange(4, dtype=np.float32)
    _, steps = check(IMPRECISE_STEP, np.array(0), y)
    assert steps.shape == (0, 0)
    _, steps = check(IMPRECISE_STEP, np.array(2), y)
    assert steps.shape == (2, 4)


def test_zero_trip_stacked_shape_keeps_static_dims() -> None:
    _, steps = check(ACCUMULATE.replace("rows, cols", "2, 3").replace("?, ?, ?", "?, 2, 3"),
                     np.array(0), np.ones((2, 3), np.float32))  # fmt: skip
    assert steps.shape == (0, 2, 3)


SYMBOLIC_STEP = """\
func @main(%n: i64[], %y: f32[k, 2], %c0: bool[]) {
  %0, %1 = tir.loop %n, %c0, %y : f32[k, 2], f32[?, ?, 2] {
  ^(%i: i64[], %c: bool[], %a: f32[k, 2]):
    %2 = tir.add %a, %y : f32[k, 2]
    yield %c, %2, %2
  }
  return %0, %1 : "y", "steps"
}
"""


@settings(max_examples=20)
@given(n=st.integers(0, 3), k=st.integers(0, 3), c0=st.booleans())
def test_symbolic_per_step_dims(n: int, k: int, c0: bool) -> None:
    y = np.arange(2 * k, dtype=np.float32).reshape(k, 2)
    _, steps = check(SYMBOLIC_STEP, np.array(n), y, np.array(c0))
    ran = n if c0 else 0
    assert steps.shape == ((ran, k, 2) if ran else (0, 0, 2))


OUTER_REFS = """\
func @main(%n: i64[], %h0: f32[4], %w: f32[4, 4], %b: f32[4]) {
  %t = tir.constant dense<true> : bool[]
  %0, %1 = tir.loop %n, %t, %h0 : f32[4], f32[?, 4] {
  ^(%i: i64[], %c: bool[], %h: f32[4]):
    %2 = tir.matmul %w, %h : f32[4]
    %3 = tir.add %2, %b : f32[4]
    %4 = tir.tanh %3 : f32[4]
    yield %c, %4, %4
  }
  return %0, %1 : "h", "hs"
}
"""


@settings(max_examples=15)
@given(n=st.integers(0, 5), seed=st.integers(0, 2**16))
def test_rnn_step_reads_weights_from_the_outer_scope(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    h0, b = (rng.standard_normal(4).astype(np.float32) for _ in range(2))
    w = rng.standard_normal((4, 4)).astype(np.float32) / 2
    h, hs = check(OUTER_REFS, np.array(n), h0, w, b, rtol=1e-5)
    want = h0
    for _ in range(n):
        want = np.tanh(w @ want + b)
    np.testing.assert_allclose(h, want, rtol=1e-5, atol=1e-6)
    assert hs.shape == (n, 4)


NESTED = """\
func @main(%n: i64[], %m: i64[], %x: f32[2], %p: bool[]) {
  %t = tir.constant dense<true> : bool[]
  %r, %rs = tir.if %p : f32[2], f32[?, ?, 2] {
    %acc, %s = tir.loop %n, %t, %x : f32[2], f32[?, ?, 2] {
    ^(%i: i64[], %c: bool[], %a: f32[2]):
      %inner, %is = tir.loop %m, %t, %a : f32[2], f32[?, 2] {
      ^(%j: i64[], %c2: bool[], %b: f32[2]):
        %0 = tir.add %b, %x : f32[2]
        %lim = tir.constant dense<2> : i64[]
        %go = tir.lt %j, %lim : bool[]
        yield %go, %0, %b
      }
      %one = tir.constant dense<1> : i64[]
      %odd = tir.and %i, %one : i64[]
      %flip = tir.eq %odd, %one : bool[]
      %1 = tir.if %flip : f32[2] {
        %2 = tir.neg %inner : f32[2]
        yield %2
      } {
        yield %inner
      }
      yield %c, %1, %is
    }
    yield %acc, %s
  } {
    %e = tir.constant dense<0.0> : f32[0, 0, 2]
    yield %x, %e
  }
  return %r, %rs : "r", "rs"
}
"""


@settings(max_examples=20)
@given(n=st.integers(0, 3), m=st.integers(0, 4), p=st.booleans())
def test_nested_loops_with_if_inside_and_outside(n: int, m: int, p: bool) -> None:
    x = np.array([1.0, -2.0], np.float32)
    r, rs = check(NESTED, np.array(n), np.array(m), x, np.array(p))
    assert rs.shape[0] == (n if p else 0)
    want = x
    if p:
        for i in range(n):
            for j in range(m):
                want = want + x
                if not j < 2:
                    break
            want = -want if i % 2 else want
    np.testing.assert_array_equal(r, want)


GROWING = """\
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


def test_carried_value_that_grows() -> None:
    for n in range(4):
        (y,) = check(GROWING, np.array(n), np.float32([2.5]))
        assert y.shape == (n + 1,)


INT_DIVISION = """\
func @main(%n: i64[], %x: i32[3]) {
  %t = tir.constant dense<true> : bool[]
  %0, %1 = tir.loop %n, %t, %x : i32[3], i32[?, 3] {
  ^(%i: i64[], %c: bool[], %a: i32[3]):
    %2 = tir.cast %i {to = i32} : i32[]
    %3 = tir.int_div %a, %2 : i32[3]
    %4 = tir.mod %a, %2 : i32[3]
    %5 = tir.add %a, %4 : i32[3]
    yield %c, %5, %3
  }
  return %0, %1 : "y", "q"
}
"""


def test_integer_division_by_the_iteration_number_does_not_trap() -> None:
    # Iteration 0 divides by zero: numpy's (and the IR's) x // 0 == 0, x % 0 == 0.
    x = np.array([-2147483648, 7, -7], np.int32)
    for n in range(4):
        check(INT_DIVISION, np.array(n), x)


MIXED_DTYPES = """\
func @main(%n: i64[], %x: f64[2], %k: i8[]) {
  %t = tir.constant dense<true> : bool[]
  %0, %1, %2, %3 = tir.loop %n, %t, %x, %k : f64[2], i8[], f64[?, 2], bool[?] {
  ^(%i: i64[], %c: bool[], %a: f64[2], %b: i8[]):
    %4 = tir.sqrt %a : f64[2]
    %5 = tir.add %b, %b : i8[]
    %6 = tir.constant dense<0> : i8[]
    %7 = tir.lt %5, %6 : bool[]
    yield %c, %4, %5, %4, %7
  }
  return %0, %1, %2, %3 : "x", "k", "xs", "wrapped"
}
"""


def test_carried_and_stacked_values_of_several_dtypes() -> None:
    for n in (0, 1, 7):
        _, k, _, wrapped = check(MIXED_DTYPES, np.array(n), np.array([2.0, 0.25]), np.int8(3))
        assert k.dtype == np.int8 and wrapped.dtype == np.bool_


@settings(max_examples=10)
@given(n=st.integers(0, 3), m=st.integers(0, 3), p=st.booleans())
def test_default_pipeline_then_lowering_keeps_numbers(n: int, m: int, p: bool) -> None:
    """Every default pass runs over the loops (verifying after each); ORT on the optimized
    model equals the interpreter on the original text."""
    x = np.array([1.0, -2.0], np.float32)
    feeds = [np.array(n), np.array(m), x, np.array(p)]
    want = run_module(parse_module(NESTED), feeds)
    optimized = print_module(_optimized(NESTED))
    got = check(optimized, *feeds)
    for g, w in zip(got, want, strict=True):
        assert_same_bits(w, g)


@functools.cache
def _optimized(source: str) -> Module:
    module = parse_module(source)
    PassManager(make_passes(DEFAULT_PIPELINE), verify_each=True).run(module)
    return module


PASS_THROUGHS = """\
func @main(%x: f32[3], %y: f32[2]) {
  %t = tir.constant dense<true> : bool[]
  %n = tir.constant dense<3> : i64[]
  %0, %1, %2, %3 = tir.loop %n, %t, %x : f32[3], f32[3, 2], f32[3, 3], i64[3] {
  ^(%i: i64[], %c: bool[], %a: f32[3]):
    yield %c, %a, %y, %a, %i
  }
  return %0, %1, %2, %3 : "same", "outer", "carried", "iters"
}
"""


def test_yielding_outer_values_and_arguments_directly() -> None:
    # Each subgraph output must be a value of its own: the lowering adds Identity nodes.
    x, y = np.float32([1, 2, 3]), np.float32([-1, 4])
    same, outer, carried, iters = check(PASS_THROUGHS, x, y)
    np.testing.assert_array_equal(same, x)
    np.testing.assert_array_equal(outer, np.stack([y] * 3))
    np.testing.assert_array_equal(carried, np.stack([x] * 3))
    np.testing.assert_array_equal(iters, [0, 1, 2])


ONLY_STACKED = """\
func @main(%n: i64[], %x: f32[2]) {
  %t = tir.constant dense<true> : bool[]
  %0 = tir.loop %n, %t : f32[?, 2] {
  ^(%i: i64[], %c: bool[]):
    %1 = tir.cast %i {to = f32} : f32[]
    %2 = tir.mul %x, %1 : f32[2]
    yield %c, %2
  }
  return %0 : "steps"
}
"""


def test_loop_without_carried_values() -> None:
    x = np.float32([1.5, -2.0])
    for n in (0, 1, 4):
        (steps,) = check(ONLY_STACKED, np.array(n), x)
        np.testing.assert_array_equal(steps, np.arange(n, dtype=np.float32)[:, None] * x)


def test_per_step_value_changing_shape_fails_in_ort_and_the_interpreter() -> None:
    """ONNX Loop stacks per-step values of one shape: ORT refuses a change at run time (its
    "Inconsistent shape in loop output"), as the interpreter does; neither returns numbers."""
    source = GROWING.replace(
        "%0 = tir.loop %n, %t, %x : f32[?] {", "%0, %s = tir.loop %n, %t, %x : f32[?], f32[?, ?] {"
    )
    source = source.replace("yield %c, %1", "yield %c, %1, %1").replace(
        'return %0 : "y"', 'return %0, %s : "y", "s"'
    )
    _, sessions, names = _compiled(source)
    feeds = {names[0]: np.array(3), names[1]: np.float32([1.0])}
    for session in sessions.values():
        with pytest.raises(Exception, match="Inconsistent shape in loop output"):
            session.run(None, feeds)
    with pytest.raises(InterpreterError, match="changes shape"):
        run_module(parse_module(source), list(feeds.values()))
    check(source, np.array(1), np.float32([1.0]))  # one iteration: nothing to disagree with


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "int64", "float16", "float64"])
def test_zero_trip_fix_up_for_every_dtype(dtype: str) -> None:
    short = {"bool": "bool", "int8": "i8", "uint16": "u16", "int64": "i64", "float16": "f16",
             "float64": "f64"}[dtype]  # fmt: skip
    source = IMPRECISE_STEP.replace(
        "%2 = tir.add %a, %y : f32[?]", f"%2 = tir.cast %a {{to = {short}}} : {short}[?]"
    ).replace("f32[4], f32[?, ?] {", f"f32[4], {short}[?, ?] {{")
    # Casts of negative floats to unsigned types are undefined: the carried value stays >= 0.
    source = source.replace("%3 = tir.neg %a : f32[4]", "%3 = tir.abs %a : f32[4]")
    y = np.float32([0.0, 1.0, 2.5, 3.0])
    for n in (0, 2):
        _, steps = check(source, np.array(n), y)
        assert steps.dtype == np.dtype(dtype) and steps.shape == ((2, 4) if n else (0, 0))
