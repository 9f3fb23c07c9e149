"""Regions: tir.if text round trip, verifier scoping, interpreter laziness."""

from __future__ import annotations

import numpy as np
import pytest

from ir.interpreter import run_module
from ir.parser import ParseError, parse_module
from ir.printer import print_module
from ir.verifier import VerificationError, verify_module

IF_TEXT = """\
func @main(%x: f32[3], %c: bool[]) {
  %0 = tir.exp %x : f32[3]
  %1, %2 = tir.if %c : f32[3], f32[3] {
    %3 = tir.sin %x : f32[3]
    %4 = tir.mul %0, %3 : f32[3]
    yield %4, %x
  } {
    %5 = tir.neg %0 : f32[3]
    yield %5, %5
  }
  return %1, %2 : "y", "z"
}
"""


def test_if_round_trips_and_verifies() -> None:
    module = parse_module(IF_TEXT)
    verify_module(module)
    assert print_module(module) == IF_TEXT
    assert len(module) == 5  # exp, if, sin, mul, neg: region ops count, terminators do not


def test_if_interpreter_takes_one_branch() -> None:
    module = parse_module(IF_TEXT)
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    y, z = run_module(module, [x, np.array(True)])
    np.testing.assert_array_equal(y, np.exp(x) * np.sin(x))
    np.testing.assert_array_equal(z, x)
    y, z = run_module(module, [x, np.array(False)])
    np.testing.assert_array_equal(y, -np.exp(x))
    np.testing.assert_array_equal(z, -np.exp(x))


def test_region_values_are_not_visible_outside() -> None:
    text = IF_TEXT.replace('return %1, %2 : "y", "z"', 'return %1, %3 : "y", "z"')
    with pytest.raises(VerificationError, match="used before it is defined"):
        verify_module(parse_module(text))


def test_region_must_end_with_yield() -> None:
    text = IF_TEXT.replace("    yield %5, %5\n", "")
    with pytest.raises(ParseError, match="a region must end with yield"):
        parse_module(text)


def test_if_condition_must_be_bool_scalar() -> None:
    text = IF_TEXT.replace("%c: bool[]", "%c: f32[]")
    with pytest.raises(ParseError, match="condition must be bool"):
        parse_module(text)


def test_if_branches_must_agree() -> None:
    text = IF_TEXT.replace("yield %5, %5", "yield %5")
    with pytest.raises(ParseError, match="same number of values"):
        parse_module(text)
