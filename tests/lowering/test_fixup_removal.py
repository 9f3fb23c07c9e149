"""Exactness fix-ups the facts (ir.facts) prove unnecessary are left out of the ONNX graph.

Each case is a pair: the same computation where the fix-up can matter (kept) and where the facts
prove it cannot (gone). Golden: the ONNX op types. Numeric: ONNX Runtime (optimizations on and
off) gives the interpreter's results, every zero with its sign, on special values and on random
ones.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.testing import run_lowered
from ir.interpreter import run_module
from ir.parser import parse_module
from lowering.emitter import emit_model

SPECIAL = np.array([-0.0, 0.0, 1.0, -1.0, 0.5, -2.5, 1e-310, 700.0, -800.0, 1e308, -1e308,
                    math.inf, -math.inf, math.nan, 3.0, -3.0])  # fmt: skip
N = SPECIAL.size


def op_types(text: str) -> Counter[str]:
    model = emit_model(parse_module(text))
    return Counter(node.op_type for node in model.graph.node)


#: The -0.0 fix-up of a selection (exact_signed_zero.where) is made of these.
SIGNED_ZERO_FIXUP = {"Reciprocal", "And"}

SELECT = """func @main(%x: f64[{n}], %y: f64[{n}]) {{
  %c = tir.constant dense<-1.0> : f64[]
  %e = tir.exp %x : f64[{n}]
  %t = tir.mul %c, %e : f64[{n}]
  %zero = tir.constant dense<0.0> : f64[]
  %p = tir.gt %y, %zero : bool[{n}]
  %w = tir.where %p, %t, %zero : f64[{n}]
  %k = tir.constant dense<-99.0> : f64[]
  %r = tir.add %k, %w : f64[{n}]
  return {ret}
}}"""
#: The selection itself is an output: a -0.0 of -exp(-800) must come out -0.0.
SELECT_SEEN = SELECT.format(n=N, ret='%r, %w : "r", "w"')
#: Only -99 + selection is an output: ±0.0 give the same -99.
SELECT_UNSEEN = SELECT.format(n=N, ret='%r : "r"')

SUM = """func @main(%x: f64[{n}], %y: f64[{n}]) {{
  %v = tir.{producer} : f64[{n}]
  %s = tir.reduce_sum %v {{axes = [0], keepdims = false}} : f64[]
  return %s : "s"
}}"""
#: numpy's sum of -0.0s is +0.0, ORT's -0.0: kept for x * y, gone for exp(x) and x * x.
SUM_OF_PRODUCTS = SUM.format(n=N, producer="mul %x, %y")
SUM_OF_EXP = SUM.format(n=N, producer="exp %x")
SUM_OF_SQUARES = SUM.format(n=N, producer="mul %x, %x")

MAX = """func @main(%x: f64[{n}], %i: i32[{n}]) {{
  %v = tir.{producer} : f64[{n}]
  %m = tir.reduce_max %v {{axes = [0], keepdims = false}} : f64[]
  return %m : "m"
}}"""
#: ORT's ReduceMax skips NaN: the NaN fix-up stays for a float input, goes for an integer one.
MAX_OF_FLOATS = MAX.format(n=N, producer="abs %x")
MAX_OF_INTEGERS = MAX.format(n=N, producer='cast %i {to = "float64"}')

INT_DIV = """func @main(%x: {t}[{n}], %y: {t}[{n}]) {{
  %k = tir.constant dense<{k}> : {t}[]
  %q = tir.int_div %x, %k : {t}[{n}]
  %r = tir.mod %x, %k : {t}[{n}]
  return %q, %r : "q", "r"
}}"""

LOG1P = """func @main(%x: f64[{n}]) {{
  %v = tir.{producer} : f64[{n}]
  %l = tir.log1p %v : f64[{n}]
  return %l : "l"
}}"""


def _feeds(text: str, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    func = parse_module(text).func
    out = []
    for arg, values in zip(func.args, (x, y), strict=False):
        dtype = np.dtype(arg.dtype)
        if dtype.kind == "f":
            out.append(values.astype(dtype))
        else:
            info = np.iinfo(dtype)
            finite = np.nan_to_num(values, nan=0.0, posinf=info.max, neginf=info.min)
            out.append(np.clip(finite, info.min, info.max).astype(dtype))
    return out


def test_selection_fixup_kept_where_its_sign_is_seen_and_gone_where_not():
    assert set(op_types(SELECT_SEEN)) >= SIGNED_ZERO_FIXUP
    assert not SIGNED_ZERO_FIXUP & set(op_types(SELECT_UNSEEN))
    assert op_types(SELECT_UNSEEN) == Counter(
        {"Exp": 1, "Mul": 1, "Greater": 1, "Where": 1, "Add": 1}
    )


def test_sum_fixup_only_for_terms_that_may_be_negative_zero():
    assert {"Equal", "Where"} <= set(op_types(SUM_OF_PRODUCTS))
    assert op_types(SUM_OF_EXP) == Counter({"Exp": 1, "ReduceSum": 1})
    assert op_types(SUM_OF_SQUARES) == Counter({"Mul": 1, "ReduceSum": 1})


def test_max_nan_fixup_only_for_values_that_may_be_nan():
    assert "IsNaN" in op_types(MAX_OF_FLOATS)
    assert "IsNaN" not in op_types(MAX_OF_INTEGERS)


def test_integer_division_by_a_positive_constant_of_a_nonnegative_value_is_one_div():
    unsigned = INT_DIV.format(n=N, t="u8", k=7)
    assert op_types(unsigned) == Counter({"Div": 1, "Mod": 1})
    signed = op_types(INT_DIV.format(n=N, t="i32", k=7))
    # x may be negative: floor correction kept; but no 0 or -1 divisor to guard
    assert "Equal" in signed and signed["Where"] == 0 and "Or" not in signed
    by_variable = op_types(INT_DIV.format(n=N, t="i32", k=7).replace("%x, %k", "%x, %y"))
    assert by_variable["Where"] >= 3  # y may be 0 or -1: guarded


def test_log1p_fixups_follow_its_operand():
    assert set(op_types(LOG1P.format(n=N, producer="neg %x"))) >= SIGNED_ZERO_FIXUP
    assert not SIGNED_ZERO_FIXUP & set(op_types(LOG1P.format(n=N, producer="exp %x")))


CASES = {
    "select_seen": SELECT_SEEN,
    "select_unseen": SELECT_UNSEEN,
    "sum_of_products": SUM_OF_PRODUCTS,
    "sum_of_exp": SUM_OF_EXP,
    "sum_of_squares": SUM_OF_SQUARES,
    "max_of_floats": MAX_OF_FLOATS,
    "max_of_integers": MAX_OF_INTEGERS,
    "int_div_u8": INT_DIV.format(n=N, t="u8", k=7),
    "int_div_i32": INT_DIV.format(n=N, t="i32", k=7),
    "int_div_i32_negative": INT_DIV.format(n=N, t="i32", k=-3),
    "log1p_of_neg": LOG1P.format(n=N, producer="neg %x"),
    "log1p_of_exp": LOG1P.format(n=N, producer="exp %x"),
}


def assert_matches_interpreter(text: str, feeds: list[np.ndarray]) -> None:
    """ORT (optimizations on and off) against the interpreter: integers exactly; floats within
    4 ulps (ORT's exp and the log1p formula are an ulp or two from numpy's), NaN and infinities
    in place, and every zero with the interpreter's sign (what the fix-ups are about)."""
    module = parse_module(text)
    expected = run_module(module, feeds)
    for optimize in (True, False):
        got = run_lowered(module, feeds, optimize=optimize)
        for e, g in zip(expected, got, strict=True):
            assert g.dtype == e.dtype and g.shape == e.shape
            if e.dtype.kind != "f":
                np.testing.assert_array_equal(g, e)
                continue
            np.testing.assert_array_max_ulp(g, e, maxulp=4)
            zeros = e == 0
            np.testing.assert_array_equal(np.signbit(g[zeros]), np.signbit(e[zeros]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_bits_as_the_interpreter_on_special_values(name: str):
    text = CASES[name]
    # Every pair of special values, with -0.0 wherever it may matter.
    x = np.repeat(SPECIAL, 1)
    for shift in (0, 1, 5):
        y = np.roll(SPECIAL[::-1], shift)
        assert_matches_interpreter(text, _feeds(text, x * 1.0, y))
        assert_matches_interpreter(text, _feeds(text, -x, y * 1e-300))
    # All -0.0 (ORT's sum of them is -0.0) and all +0.0.
    assert_matches_interpreter(text, _feeds(text, np.full(N, -0.0), np.ones(N)))
    assert_matches_interpreter(text, _feeds(text, np.zeros(N), np.full(N, -800.0)))


floats = st.one_of(
    st.sampled_from([float(v) for v in SPECIAL]),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(CASES)), st.lists(floats, min_size=2 * N, max_size=2 * N))
def test_same_bits_as_the_interpreter_on_random_values(name: str, values: list[float]):
    text = CASES[name]
    x, y = np.array(values[:N]), np.array(values[N:])
    with np.errstate(all="ignore"):
        assert_matches_interpreter(text, _feeds(text, x, y))
