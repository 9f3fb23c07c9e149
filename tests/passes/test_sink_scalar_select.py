"""`sink-scalar-select`: `reduce_sum(where(c, x, k))` with one-element c and constant k becomes
`where(c, reduce_sum(x), K)` (one pass over x less), for k whose sum of copies is exact (±inf,
NaN, ±0.0). Golden: the IR after the pass, and where it declines. Numeric: the interpreter, and
ONNX Runtime, give the same bits before and after, on special values (NaN, ±inf, -0.0 in x;
both conditions)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.testing import (
    assert_golden,
    assert_preserves_numbers,
    assert_same_bits,
    assert_unchanged,
    parse,
    run_lowered,
    run_stats,
)

PASS = "sink-scalar-select"

CHECK_PARAMETER = """
    func @main(%x: f64[6, 4], %s: f64[1]) {{
      %z = tir.constant dense<0.0> : f64[1]
      %c = tir.gt %s, %z : bool[1]
      %k = tir.constant dense<{k}> : f64[1]
      %w = tir.where %c, %x, %k : f64[6, 4]
      %t = tir.reduce_sum %w {{axes = [{axes}], keepdims = {keep}}} : {out}
      return %t : "t"
    }}
"""


def source(k: str = "-inf", axes: str = "0, 1", keep: str = "false", out: str = "f64[]") -> str:
    return CHECK_PARAMETER.format(k=k, axes=axes, keep=keep, out=out)


def test_sum_of_a_check_parameter_selection():
    assert_golden(
        source(),
        PASS,
        """
        func @main(%x: f64[6, 4], %s: f64[1]) {
          %z = tir.constant dense<0.0> : f64[1]
          %c = tir.gt %s, %z : bool[1]
          %0 = tir.squeeze %c {axes = [0]} : bool[]
          %1 = tir.reduce_sum %x {axes = [0, 1], keepdims = false} : f64[]
          %2 = tir.constant dense<-inf> : f64[]
          %3 = tir.where %0, %1, %2 : f64[]
          return %3 : "t"
        }
        """,
    )


def test_condition_of_an_unsqueezed_scalar_is_redone_at_the_sums_rank():
    """PyMC's check_parameter compares an unsqueezed sigma: the comparison is redone on the
    scalar (the old one dies), no Squeeze."""
    text = source().replace(
        "func @main(%x: f64[6, 4], %s: f64[1]) {",
        "func @main(%x: f64[6, 4], %r: f64[]) {\n  %s = tir.unsqueeze %r {axes = [0]} : f64[1]",
    )
    assert_golden(
        text,
        [PASS, "dce"],
        """
        func @main(%x: f64[6, 4], %r: f64[]) {
          %0 = tir.constant dense<0.0> : f64[]
          %1 = tir.gt %r, %0 : bool[]
          %2 = tir.reduce_sum %x {axes = [0, 1], keepdims = false} : f64[]
          %3 = tir.constant dense<-inf> : f64[]
          %4 = tir.where %1, %2, %3 : f64[]
          return %4 : "t"
        }
        """,
    )
    assert_preserves_numbers(text, [PASS, "dce"], [_x(3, True), np.array(-0.0)])
    assert_preserves_numbers(text, [PASS, "dce"], [_x(4, True), np.array(2.0)])


def test_condition_of_a_kept_dims_reduction_is_redone_without_them():
    """PyMC's check_parameter of several conditions: reduce_all with keepdims; redone with
    keepdims = false (the old one dies), no Squeeze."""
    text = source().replace(
        "%c = tir.gt %s, %z : bool[1]",
        "%g = tir.gt %s, %z : bool[1]\n"
        "  %c = tir.reduce_all %g {axes = [0], keepdims = true} : bool[1]",
    )
    assert_golden(
        text,
        [PASS, "dce"],
        """
        func @main(%x: f64[6, 4], %s: f64[1]) {
          %z = tir.constant dense<0.0> : f64[1]
          %g = tir.gt %s, %z : bool[1]
          %0 = tir.reduce_all %g {axes = [0], keepdims = false} : bool[]
          %1 = tir.reduce_sum %x {axes = [0, 1], keepdims = false} : f64[]
          %2 = tir.constant dense<-inf> : f64[]
          %3 = tir.where %0, %1, %2 : f64[]
          return %3 : "t"
        }
        """,
    )
    for s in (1.0, -1.0, np.nan):
        assert_preserves_numbers(text, [PASS, "dce"], [_x(5, True), np.array([s])])


def test_partial_sum_keeps_dims_and_a_zero_branch_sums_to_plus_zero():
    assert_golden(
        source(k="-0.0", axes="1", keep="true", out="f64[6, 1]"),
        PASS,
        """
        func @main(%x: f64[6, 4], %s: f64[1]) {
          %z = tir.constant dense<0.0> : f64[1]
          %c = tir.gt %s, %z : bool[1]
          %0 = tir.reduce_sum %x {axes = [1], keepdims = true} : f64[6, 1]
          %1 = tir.constant dense<0.0> : f64[]
          %2 = tir.where %c, %0, %1 : f64[6, 1]
          return %2 : "t"
        }
        """,
    )


@pytest.mark.parametrize(
    "text",
    [
        source(k="1.5"),  # the sum of copies of 1.5 depends on how many
        source(out="f64[]").replace("%s, %z : bool[1]", "%x, %z : bool[6, 4]"),  # c per element
        source().replace('return %t : "t"', 'return %t, %w : "t", "w"'),  # the selection stays
        source().replace("f64[6, 4]", "f64[6, 0]"),  # an empty sum is +0.0 whatever c is
        source().replace("f64[6, 4]", "f64[n, 4]"),  # n may be 0
    ],
    ids=["k_1.5", "cond_per_element", "selection_used_twice", "empty", "symbolic"],
)
def test_declines(text: str):
    assert_unchanged(text, PASS)


SPECIAL = np.array([0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, np.nan, 1e308, 1e308, -1e-310])


def _x(seed: int, special: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6, 4)) * 10.0 ** rng.integers(-3, 3, size=(6, 4))
    if special:
        x.flat[rng.choice(24, size=5, replace=False)] = rng.choice(SPECIAL, size=5)
    return x


CASES = [
    source(k=k, axes=axes, keep=keep, out=out)
    for k in ("-inf", "inf", "nan", "0.0", "-0.0")
    for axes, keep, out in (("0, 1", "false", "f64[]"), ("0", "true", "f64[1, 4]"),
                            ("1", "false", "f64[6]"))
]  # fmt: skip


@pytest.mark.parametrize("text", CASES)
@pytest.mark.parametrize("s", [1.0, -1.0, np.nan])
def test_same_bits_before_and_after_and_in_onnx_runtime(text: str, s: float):
    for seed, special in ((0, False), (1, True), (2, True)):
        feeds = [_x(seed, special), np.array([s])]
        assert_preserves_numbers(text, PASS, feeds)
    all_negative_zero = [np.full((6, 4), -0.0), np.array([s])]
    assert_preserves_numbers(text, PASS, all_negative_zero)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(CASES), st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
def test_property_onnx_runtime_gives_the_same_bits_before_and_after(text, seed, special, positive):
    """ORT's sum order is not numpy's: before and after are compared in ORT, bit for bit (the
    interpreter, before against after, is the test above)."""
    feeds = [_x(seed, special), np.array([1.0 if positive else -1.0])]
    after, _ = run_stats(text, PASS)
    with np.errstate(all="ignore"):
        for optimize in (True, False):
            before_out = run_lowered(parse(text), feeds, optimize=optimize)
            after_out = run_lowered(after, feeds, optimize=optimize)
            for b, a in zip(before_out, after_out, strict=True):
                assert_same_bits(b, a)
