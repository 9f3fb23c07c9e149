"""compiler.testing: the pass-test helpers users write their tests with (FileCheck, golden text,
numbers before and after, lowering against the interpreter). Each must fail when it should."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.testing import (
    FileCheckError,
    assert_checks,
    assert_golden,
    assert_lowering_matches_interpreter,
    assert_preserves_numbers,
    assert_same_bits,
    assert_unchanged,
    filecheck,
    run_lowered,
    run_passes,
)
from passes import Pass
from passes.canonicalize import Canonicalize

NEG_NEG = """
    func @main(%x: f32[4]) {
      %0 = tir.neg %x : f32[4]
      %1 = tir.neg %0 : f32[4]
      %2 = tir.exp %1 : f32[4]
      return %2 : "y"
    }
"""

TEXT = """\
func @main(%x: f32[4]) {
  %0 = tir.exp %x : f32[4]
  %1 = tir.add %0, %x : f32[4]
  return %1 : "y"
}
"""


def test_filecheck_in_order_next_same_and_captures() -> None:
    filecheck(
        TEXT,
        """
        // CHECK: func @main([[X:%\\w+]]: f32[4])
        // CHECK-NEXT: [[E:%\\d+]] = tir.exp [[X]]
        // CHECK-SAME: : f32[{{[0-9]+}}]
        // CHECK-NOT: tir.mul
        // CHECK: tir.add [[E]], [[X]]
        // CHECK: return
        """,
    )


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        ("CHECK: tir.mul", "not found"),
        ("CHECK: tir.add\nCHECK: tir.exp", "not found after line 3"),  # order matters
        ("CHECK: func\nCHECK-NEXT: tir.add", "not on the line after line 1"),
        ("CHECK: tir.exp\nCHECK-SAME: tir.add", "not on line 2"),
        ("CHECK: func\nCHECK-NOT: tir.exp\nCHECK: return", "found on line 2"),
        ("CHECK: tir.add\nCHECK-NOT: }", "found on line 5"),
        ("CHECK: [[A:%\\d+]] = tir.exp\nCHECK: tir.add [[A]], [[A]]", "not found"),
        ("CHECK: [[B]] = tir.exp", "used before it is defined"),
        ("CHECK: func\nCHECK-EMPTY:", "is not empty"),
        ("no directives here", "no CHECK lines"),
        ("CHECK-NXT: typo", "not a check directive"),
    ],
)
def test_filecheck_fails_with_the_directive_named(checks: str, message: str) -> None:
    with pytest.raises(FileCheckError, match=message):
        filecheck(TEXT, checks)


def test_filecheck_whitespace_runs_match_any_spacing() -> None:
    filecheck(TEXT, "CHECK: %1   =  tir.add")


def test_assert_checks_runs_the_passes() -> None:
    out = assert_checks(NEG_NEG, "canonicalize", "CHECK-NOT: tir.neg\nCHECK: tir.exp %x")
    assert "tir.neg" not in out
    with pytest.raises(FileCheckError):
        assert_checks(NEG_NEG, [], "CHECK-NOT: tir.neg")


def test_assert_golden_shows_a_diff() -> None:
    expected = """
        func @main(%x: f32[4]) {
          %0 = tir.exp %x : f32[4]
          return %0 : "y"
        }
    """
    assert_golden(NEG_NEG, Canonicalize(), expected)
    with pytest.raises(AssertionError, match=r"(?s)differs.*\+  %0 = tir.neg"):
        assert_golden(NEG_NEG, [], expected)


def test_passes_as_names_objects_classes_and_user_passes() -> None:
    class DoNothing(Pass):
        NAME = "do-nothing"

        def run(self, module) -> bool:  # type: ignore[no-untyped-def]
            return False

    by_name = run_passes(NEG_NEG, ["canonicalize"])
    assert run_passes(NEG_NEG, Canonicalize) == by_name
    assert run_passes(NEG_NEG, [DoNothing(), Canonicalize()]) == by_name
    assert_unchanged(TEXT, [DoNothing, "canonicalize"])
    with pytest.raises(AssertionError, match="changed the IR"):
        assert_unchanged(NEG_NEG, "canonicalize")


def test_assert_unchanged_wants_printed_form() -> None:
    with pytest.raises(AssertionError, match="not in printed form"):
        assert_unchanged(TEXT.replace("%1 = tir.add %0, %x", "%1 = tir.add   %0, %x"), [])


def test_assert_preserves_numbers_and_same_bits() -> None:
    x = np.array([0.0, -0.0, np.nan, -1.5], dtype=np.float32)
    (y,) = assert_preserves_numbers(NEG_NEG, "canonicalize", [x])
    assert_same_bits(y, np.exp(x))
    with pytest.raises(AssertionError):
        assert_same_bits(np.array([0.0]), np.array([-0.0]))
    with pytest.raises(AssertionError):
        assert_same_bits(np.array([np.nan, 1.0]), np.array([1.0, np.nan]))
    with pytest.raises(AssertionError, match="dtype"):
        assert_same_bits(np.array([1.0]), np.array([1.0], dtype=np.float32))


def test_lowering_runs_in_onnx_runtime_against_the_interpreter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    x = np.array([0.5, -2.0, 0.0, 3.0], dtype=np.float32)
    (y,) = run_lowered(TEXT, [x])
    np.testing.assert_allclose(y, np.exp(x) + x, rtol=1e-6)
    assert_lowering_matches_interpreter(TEXT, [x], rtol=1e-6)
    # Bit for bit where ORT and numpy agree exactly (negation, addition, signed zeros, NaN).
    exact = NEG_NEG.replace("tir.exp", "tir.abs")
    signs = np.array([0.0, -0.0, np.nan, -1.5], dtype=np.float32)
    assert_lowering_matches_interpreter(exact, [signs])
    # And a difference is caught (ORT's results replaced by wrong ones).
    import compiler.testing as testing

    monkeypatch.setattr(testing, "run_lowered", lambda *a, **k: [np.abs(signs) + 1])
    with pytest.raises(AssertionError):
        assert_lowering_matches_interpreter(exact, [signs])
