"""ir.facts: forward facts (range, NaN, -0.0, constants) and whether a zero's sign is observed.

Golden cases check what the analysis proves; the soundness property checks, on random values
with ±0, ±inf and NaN, that every value the interpreter computes satisfies its facts.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ir.core import Value
from ir.facts import Facts, ValueFacts, of_array, walk_values
from ir.interpreter import run_module
from ir.parser import parse_module


def _values(text: str) -> tuple[Facts, dict[str, Value]]:
    module = parse_module(text)
    named = {v.name: v for v in walk_values(module.func) if v.name}
    return Facts(module.func), named


def _program(body: str, args: str = "%x: f64[6], %y: f64[6]", returns: str = "%r") -> str:
    names = ", ".join(f'"{n.strip()[1:]}"' for n in returns.split(","))
    return f"func @main({args}) {{\n{body}\n  return {returns} : {names}\n}}"


# -- forward ---------------------------------------------------------------------------------------


def test_exp_is_nonnegative_and_never_negative_zero():
    facts, v = _values(_program("  %r = tir.exp %x : f64[6]"))
    exp = facts.of(v["r"])
    assert exp.lo == 0.0 and exp.hi == math.inf
    assert not exp.neg_zero and exp.nonnegative and exp.may_be_zero  # exp(-800) is +0.0
    assert exp.nan  # exp(NaN)


def test_minus_one_times_exp_may_be_negative_zero():
    body = """
  %c = tir.constant dense<-1.0> : f64[]
  %e = tir.exp %x : f64[6]
  %r = tir.mul %c, %e : f64[6]"""
    facts, v = _values(_program(body))
    assert facts.of(v["r"]).neg_zero  # -1 * exp(-800) is -0.0
    assert facts.of(v["r"]).hi <= 0.0


def test_a_sum_with_a_nonzero_constant_is_never_negative_zero():
    body = """
  %c = tir.constant dense<-0.5> : f64[]
  %m = tir.mul %x, %y : f64[6]
  %r = tir.add %m, %c : f64[6]"""
    facts, v = _values(_program(body))
    assert facts.of(v["m"]).neg_zero
    assert not facts.of(v["r"]).neg_zero
    # x - y is -0.0 only for x = -0.0, y = +0.0: exp(x) - y never is.
    body = """
  %e = tir.exp %x : f64[6]
  %r = tir.sub %e, %y : f64[6]"""
    facts, v = _values(_program(body))
    assert not facts.of(v["r"]).neg_zero


def test_square_is_nonnegative():
    facts, v = _values(_program("  %r = tir.mul %x, %x : f64[6]"))
    square = facts.of(v["r"])
    assert square.nonnegative and square.lo == 0.0


def test_log_of_exp_of_a_finite_value():
    body = """
  %lo = tir.constant dense<-3.0> : f64[]
  %hi = tir.constant dense<2.0> : f64[]
  %c = tir.clip %x, %lo, %hi : f64[6]
  %e = tir.exp %c : f64[6]
  %r = tir.log %e : f64[6]"""
    facts, v = _values(_program(body))
    clipped = facts.of(v["c"])
    assert (clipped.lo, clipped.hi) == (-3.0, 2.0) and clipped.nan  # clip keeps NaN
    e = facts.of(v["e"])
    assert 0.0 < e.lo < math.exp(-3.0) < math.exp(2.0) < e.hi < 7.39
    assert not facts.of(v["r"]).may_be_inf


def test_constants_are_exact():
    array = np.array([-0.0, 2.0, np.nan])
    facts = of_array(array)
    assert (facts.lo, facts.hi, facts.nan, facts.neg_zero) == (-0.0, 2.0, True, True)
    assert facts.constant is array
    assert of_array(np.array([1, 5], dtype=np.int32)) == ValueFacts(1.0, 5.0, False, False)


def test_integer_ranges_follow_casts_and_wrap_to_the_dtype():
    body = """
  %c = tir.cast %b {to = "int32"} : i32[6]
  %k = tir.constant dense<3> : i32[]
  %r = tir.add %c, %k : i32[6]
  %big = tir.constant dense<2147483647> : i32[]
  %w = tir.add %c, %big : i32[6]"""
    facts, v = _values(_program(body, args="%b: u8[6]", returns="%r, %w"))
    assert (facts.of(v["r"]).lo, facts.of(v["r"]).hi) == (3.0, 258.0)
    assert facts.of(v["w"]).lo == -(2.0**31)  # may wrap: the whole int32 range


def test_float32_bounds_are_rounded_outward_and_underflow_counts_as_zero():
    body = """
  %c = tir.constant dense<-104.0> : f32[]
  %lo = tir.maximum %x, %c : f32[6]
  %r = tir.exp %lo : f32[6]"""
    facts, v = _values(_program(body, args="%x: f32[6]"))
    assert facts.of(v["r"]).may_be_zero  # exp(-104) is below float32's normal range


def test_values_in_regions_and_results_of_region_ops_are_unknown():
    text = """func @main(%p: bool[], %x: f64[3]) {
  %r = tir.if %p : f64[3] {
    %e = tir.exp %x : f64[3]
    yield %e
  } {
    yield %x
  }
  return %r : "r"
}"""
    facts, v = _values(text)
    assert facts.of(v["e"]).nonnegative
    assert facts.of(v["r"]) == ValueFacts(-math.inf, math.inf, True, True)
    assert facts.zero_sign_observed(v["e"])  # yielded: conservative


# -- backward --------------------------------------------------------------------------------------


def test_zero_sign_seen_at_outputs_and_divisors_but_not_through_exp_or_a_constant_term():
    body = """
  %m = tir.mul %x, %y : f64[6]
  %one = tir.constant dense<1.0> : f64[]
  %a = tir.add %m, %one : f64[6]
  %n = tir.neg %x : f64[6]
  %e = tir.exp %n : f64[6]
  %z = tir.mul %y, %y : f64[6]
  %d = tir.div %one, %z : f64[6]
  %s = tir.reduce_sum %a {axes = [0], keepdims = false} : f64[]"""
    facts, v = _values(_program(body, returns="%s, %e, %d, %x"))
    assert not facts.zero_sign_observed(v["m"])  # m + 1 is the same for ±0
    assert not facts.zero_sign_observed(v["n"])  # exp(±0) = 1
    assert facts.zero_sign_observed(v["z"])  # 1 / ±0 = ±inf
    assert facts.zero_sign_observed(v["x"])  # an output
    # The sum passes a's zero signs on to the output (ORT's sum of -0.0s is -0.0), but a,
    # m + 1, is never -0.0.
    assert facts.zero_sign_observed(v["a"]) and not facts.may_be_negative_zero(v["a"])


def test_zero_sign_through_a_selection_into_a_sum_of_terms():
    body = """
  %c = tir.constant dense<-1.0> : f64[]
  %e = tir.exp %x : f64[6]
  %t = tir.mul %c, %e : f64[6]
  %zero = tir.constant dense<0.0> : f64[]
  %p = tir.gt %y, %zero : bool[6]
  %w = tir.where %p, %t, %zero : f64[6]
  %k = tir.constant dense<-99.0> : f64[]
  %r = tir.add %k, %w : f64[6]"""
    facts, v = _values(_program(body, returns="%r, %w"))
    assert facts.of(v["t"]).neg_zero
    # w is an output: its sign is seen; the same program summing w with -99 only does not.
    assert facts.zero_sign_observed(v["w"]) and facts.may_be_negative_zero(v["t"])
    facts, v = _values(_program(body))
    assert not facts.zero_sign_observed(v["w"]) and not facts.may_be_negative_zero(v["t"])


def test_sum_of_terms_that_may_both_be_negative_zero_is_seen():
    body = """
  %a = tir.mul %x, %y : f64[6]
  %b = tir.neg %y : f64[6]
  %r = tir.add %a, %b : f64[6]"""
    facts, v = _values(_program(body))
    assert facts.zero_sign_observed(v["a"]) and facts.zero_sign_observed(v["b"])


# -- soundness on random values --------------------------------------------------------------------

SOUNDNESS = """func @main(%x: f64[6], %y: f64[6]) {
  %one = tir.constant dense<1.0> : f64[]
  %m1 = tir.constant dense<-1.0> : f64[]
  %half = tir.constant dense<0.5> : f64[]
  %a = tir.add %x, %y : f64[6]
  %s = tir.sub %x, %y : f64[6]
  %m = tir.mul %x, %y : f64[6]
  %q = tir.mul %x, %x : f64[6]
  %d = tir.div %x, %y : f64[6]
  %n = tir.neg %x : f64[6]
  %e = tir.exp %x : f64[6]
  %ne = tir.mul %m1, %e : f64[6]
  %l = tir.log %e : f64[6]
  %ly = tir.log %y : f64[6]
  %sq = tir.sqrt %x : f64[6]
  %sg = tir.sigmoid %x : f64[6]
  %sp = tir.softplus %x : f64[6]
  %th = tir.tanh %x : f64[6]
  %lp = tir.log1p %x : f64[6]
  %em = tir.expm1 %x : f64[6]
  %fl = tir.floor %x : f64[6]
  %ce = tir.ceil %x : f64[6]
  %ab = tir.abs %x : f64[6]
  %sn = tir.sin %x : f64[6]
  %cs = tir.cos %x : f64[6]
  %sgn = tir.sign %x : f64[6]
  %mx = tir.maximum %x, %y : f64[6]
  %mn = tir.minimum %x, %y : f64[6]
  %cl = tir.clip %x, %m1, %half : f64[6]
  %gt = tir.gt %x, %y : bool[6]
  %w = tir.where %gt, %ne, %half : f64[6]
  %ea = tir.add %e, %one, %sp : f64[6]
  %dd = tir.div %ea, %e : f64[6]
  %rs = tir.reduce_sum %q {axes = [0], keepdims = false} : f64[]
  %rm = tir.reduce_max %x {axes = [0], keepdims = false} : f64[]
  %ci = tir.cast %cl {to = "int32"} : i32[6]
  %cf = tir.cast %ci {to = "float32"} : f32[6]
  %ef = tir.cast %e {to = "float32"} : f32[6]
  %ef2 = tir.mul %ef, %ef : f32[6]
  return %a, %s, %m, %q, %d, %n, %e, %ne, %l, %ly, %sq, %sg, %sp, %th, %lp, %em, %fl, %ce, %ab, %sn, %cs, %sgn, %mx, %mn, %cl, %w, %ea, %dd, %rs, %rm, %ci, %cf, %ef, %ef2 : "a", "s", "m", "q", "d", "n", "e", "ne", "l", "ly", "sq", "sg", "sp", "th", "lp", "em", "fl", "ce", "ab", "sn", "cs", "sgn", "mx", "mn", "cl", "w", "ea", "dd", "rs", "rm", "ci", "cf", "ef", "ef2"
}"""  # noqa: E501

SPECIAL = [-0.0, 0.0, 1.0, -1.0, 0.5, -2.5, 1e-310, -1e-310, 700.0, -800.0, 1e308, -1e308,
           math.inf, -math.inf, math.nan]  # fmt: skip
floats = st.one_of(st.sampled_from(SPECIAL), st.floats(allow_nan=True, allow_infinity=True))


def assert_satisfies(facts: ValueFacts, array: np.ndarray, name: str) -> None:
    values = np.asarray(array, dtype=np.float64).ravel()
    nan = np.isnan(values)
    assert facts.nan or not nan.any(), f"{name}: NaN {array} but facts {facts}"
    finite = values[~nan]
    assert np.all(finite >= facts.lo) and np.all(finite <= facts.hi), f"{name}: {array} {facts}"
    negative_zero = (finite == 0) & np.signbit(finite)
    assert facts.neg_zero or not negative_zero.any(), f"{name}: -0.0 in {array} but {facts}"


@settings(max_examples=150, deadline=None)
@given(st.lists(floats, min_size=12, max_size=12))
def test_every_value_satisfies_its_facts(values: list[float]):
    module = parse_module(SOUNDNESS)
    facts = Facts(module.func)
    x, y = np.array(values[:6]), np.array(values[6:])
    with np.errstate(all="ignore"):
        results = run_module(module, [x, y])
    ret = module.func.terminator
    for value, name, result in zip(ret.operands, ret.names, results, strict=True):
        assert_satisfies(facts.of(value), result, name)
