"""`sign-select`: `where(c, g(neg(x)), g(x))` with a constant mask c becomes `g(x * s)`,
s = where(c, -1, 1) (PyMC's Bernoulli-logit likelihood: one softplus chain instead of two).
Golden: the IR after the pass, and where it declines. Numeric: the interpreter, and ONNX Runtime,
give the same bits before and after, on special values (±0.0, ±inf, NaN, the softplus tails)."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.testing import (
    assert_golden,
    assert_preserves_numbers,
    assert_same_bits,
    assert_unchanged,
    parse,
    run_lowered,
    run_stats,
)

PASS = ["sign-select", "dce"]

BERNOULLI = """
    func @main(%x: f64[8]) {
      %m = tir.constant dense<[true, false, true, true, false, false, true, false]> : bool[8]
      %n = tir.neg %x : f64[8]
      %a = tir.softplus %n : f64[8]
      %na = tir.neg %a : f64[8]
      %b = tir.softplus %x : f64[8]
      %nb = tir.neg %b : f64[8]
      %l = tir.where %m, %na, %nb : f64[8]
      return %l : "l"
    }
"""


def test_one_softplus_of_x_times_the_signs():
    assert_golden(
        BERNOULLI,
        PASS,
        """
        func @main(%x: f64[8]) {
          %0 = tir.constant dense<[-1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, 1.0]> : f64[8]
          %1 = tir.mul %x, %0 : f64[8]
          %2 = tir.softplus %1 : f64[8]
          %3 = tir.neg %2 : f64[8]
          return %3 : "l"
        }
        """,
    )


def test_negation_on_the_false_side():
    text = BERNOULLI.replace("%l = tir.where %m, %na, %nb", "%l = tir.where %m, %nb, %na")
    after = run_stats(text, PASS)[0]
    assert "[1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0]" in str(after)
    assert str(after).count("tir.softplus") == 1


@pytest.mark.parametrize(
    "text",
    [
        BERNOULLI.replace("%l = tir.where %m,", "%l = tir.where %p,")
        .replace("func @main(%x: f64[8]) {", "func @main(%x: f64[8], %p: bool[8]) {")
        .replace(BERNOULLI.splitlines()[2] + "\n", ""),  # the mask is not a constant
        BERNOULLI.replace("%a = tir.softplus %n", "%a = tir.sigmoid %n"),  # not one function
        BERNOULLI.replace("%n = tir.neg %x", "%n = tir.exp %x"),  # not x and -x
    ],
    ids=["mask_not_constant", "different_functions", "not_a_negation"],
)
def test_declines(text: str):
    assert_unchanged(text, "sign-select")


SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 40.0, -40.0, 800.0, -800.0, 1e-310])


@pytest.mark.parametrize("seed", range(4))
def test_same_bits_before_and_after_in_the_interpreter_and_onnx_runtime(seed: int):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=8) * 10.0 ** rng.integers(-3, 3, size=8)
    if seed:
        x[rng.choice(8, size=4, replace=False)] = rng.choice(SPECIAL, size=4)
    assert_preserves_numbers(BERNOULLI, PASS, [x])
    after = run_stats(BERNOULLI, PASS)[0]
    for optimize in (True, False):
        before_out = run_lowered(parse(BERNOULLI), [x], optimize=optimize)
        after_out = run_lowered(after, [x], optimize=optimize)
        for b, a in zip(before_out, after_out, strict=True):
            assert_same_bits(b, a)
