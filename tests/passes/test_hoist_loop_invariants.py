"""`hoist-loop-invariants`: pure ops of a loop body whose operands are all defined outside the
body move before the loop; ops that could fail stay unless the loop surely runs; carried
values passed through unchanged are their initial values."""

from __future__ import annotations

import numpy as np

from tests.passes.support import assert_golden, assert_numbers, assert_unchanged, f32, run_stats

PASS = "hoist-loop-invariants"

INVARIANT_CHAIN = """
    func @main(%n: i64[], %x: f32[3], %w: f32[3, 3]) {
      %t = tir.constant dense<true> : bool[]
      %acc, %s = tir.loop %n, %t, %x : f32[3], f32[?, 3] {
      ^(%i: i64[], %c: bool[], %a: f32[3]):
        %0 = tir.exp %x : f32[3]
        %1 = tir.matmul %w, %0 : f32[3]
        %2 = tir.add %a, %1 : f32[3]
        %k = tir.constant dense<2.0> : f32[]
        %3 = tir.mul %2, %k : f32[3]
        yield %c, %3, %1
      }
      return %acc, %s : "acc", "s"
    }
"""

FEEDS_X = f32(0.5, -1.0, 2.0)
FEEDS_W = np.arange(9, dtype=np.float32).reshape(3, 3) / 8


def test_hoist_invariant_chain_and_constant() -> None:
    assert_golden(
        INVARIANT_CHAIN,
        PASS,
        """
        func @main(%n: i64[], %x: f32[3], %w: f32[3, 3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.exp %x : f32[3]
          %1 = tir.matmul %w, %0 : f32[3]
          %k = tir.constant dense<2.0> : f32[]
          %acc, %s = tir.loop %n, %t, %x : f32[3], f32[?, 3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %2 = tir.add %a, %1 : f32[3]
            %3 = tir.mul %2, %k : f32[3]
            yield %c, %3, %1
          }
          return %acc, %s : "acc", "s"
        }
        """,
    )
    (stats,) = run_stats(INVARIANT_CHAIN, PASS)
    assert stats.counters == {"ops-hoisted": 3}


def test_hoist_preserves_numbers_for_any_trip_count() -> None:
    for n in (0, 1, 4, -1):
        assert_numbers(INVARIANT_CHAIN, [PASS, "dce"], [np.array(n), FEEDS_X, FEEDS_W])


def test_hoist_keeps_ops_that_read_the_iteration() -> None:
    assert_unchanged(
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0, %1 = tir.loop %n, %t, %x : f32[3], f32[?, 3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %2 = tir.cast %i {to = f32} : f32[]
            %3 = tir.mul %a, %2 : f32[3]
            %4 = tir.add %3, %a : f32[3]
            yield %c, %4, %3
          }
          return %0, %1 : "acc", "s"
        }
        """,
        PASS,
    )


GATHER_IN_LOOP = """
    func @main(%n: i64[], %x: f32[3], %j: i64[]) {
      %t = tir.constant dense<true> : bool[]
      %0, %1 = tir.loop %n, %t, %x : f32[3], f32[?] {
      ^(%i: i64[], %c: bool[], %a: f32[3]):
        %2 = tir.gather %x, %j {axis = 0} : f32[]
        %3 = tir.neg %a : f32[3]
        yield %c, %3, %2
      }
      return %0, %1 : "acc", "s"
    }
"""


def test_hoist_keeps_an_op_that_may_fail_when_the_loop_may_not_run() -> None:
    # x[j] with j out of range is an error in ONNX Runtime: with zero trips it must not run.
    assert_unchanged(GATHER_IN_LOOP, PASS)


def test_hoist_moves_an_op_that_may_fail_when_the_loop_surely_runs() -> None:
    source = GATHER_IN_LOOP.replace("tir.loop %n,", "tir.loop %three,").replace(
        "%t = tir.constant dense<true> : bool[]",
        "%t = tir.constant dense<true> : bool[]\n      %three = tir.constant dense<3> : i64[]",
    )
    assert_golden(
        source,
        PASS,
        """
        func @main(%n: i64[], %x: f32[3], %j: i64[]) {
          %t = tir.constant dense<true> : bool[]
          %three = tir.constant dense<3> : i64[]
          %0 = tir.gather %x, %j {axis = 0} : f32[]
          %1, %2 = tir.loop %three, %t, %x : f32[3], f32[?] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %3 = tir.neg %a : f32[3]
            yield %c, %3, %0
          }
          return %1, %2 : "acc", "s"
        }
        """,
    )
    assert_numbers(source, [PASS], [np.array(0), FEEDS_X, np.array(2)])


def test_hoist_leaves_unknown_dims_in_place() -> None:
    # Broadcasting two `?` dims can fail at run time: not hoisted out of a maybe-empty loop.
    assert_unchanged(
        """
        func @main(%n: i64[], %x: f32[?], %y: f32[?]) {
          %t = tir.constant dense<true> : bool[]
          %0, %1 = tir.loop %n, %t, %x : f32[?], f32[?, ?] {
          ^(%i: i64[], %c: bool[], %a: f32[?]):
            %2 = tir.add %x, %y : f32[?]
            %3 = tir.neg %a : f32[?]
            yield %c, %3, %2
          }
          return %0, %1 : "acc", "s"
        }
        """,
        PASS,
    )


NESTED = """
    func @main(%n: i64[], %x: f32[3]) {
      %t = tir.constant dense<true> : bool[]
      %0 = tir.loop %n, %t, %x : f32[3] {
      ^(%i: i64[], %c: bool[], %a: f32[3]):
        %1 = tir.loop %n, %t, %a : f32[3] {
        ^(%j: i64[], %c2: bool[], %b: f32[3]):
          %2 = tir.sin %x : f32[3]
          %3 = tir.add %b, %2 : f32[3]
          yield %c2, %3
        }
        yield %c, %1
      }
      return %0 : "y"
    }
"""


def test_hoist_out_of_nested_loops() -> None:
    assert_golden(
        NESTED,
        PASS,
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.sin %x : f32[3]
          %1 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %2 = tir.loop %n, %t, %a : f32[3] {
            ^(%j: i64[], %c2: bool[], %b: f32[3]):
              %3 = tir.add %b, %0 : f32[3]
              yield %c2, %3
            }
            yield %c, %2
          }
          return %1 : "y"
        }
        """,
    )
    for n in (0, 1, 3):
        assert_numbers(NESTED, [PASS], [np.array(n), FEEDS_X])


def test_hoist_never_reaches_into_an_if_region() -> None:
    # Only the taken branch may run: an invariant op inside tir.if stays there.
    assert_unchanged(
        """
        func @main(%n: i64[], %x: f32[3], %p: bool[]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.if %p : f32[3] {
              %2 = tir.exp %x : f32[3]
              yield %2
            } {
              yield %a
            }
            yield %c, %1
          }
          return %0 : "y"
        }
        """,
        PASS,
    )


PASS_THROUGH = """
    func @main(%n: i64[], %x: f32[3], %y: f32[3]) {
      %t = tir.constant dense<true> : bool[]
      %0, %1 = tir.loop %n, %t, %x, %y : f32[3], f32[3] {
      ^(%i: i64[], %c: bool[], %a: f32[3], %b: f32[3]):
        %2 = tir.add %a, %b : f32[3]
        yield %c, %2, %b
      }
      return %0, %1 : "acc", "same"
    }
"""


def test_hoist_forwards_a_carried_value_passed_through() -> None:
    assert_golden(
        PASS_THROUGH,
        [PASS, "dce"],
        """
        func @main(%n: i64[], %x: f32[3], %y: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.add %a, %y : f32[3]
            yield %c, %1
          }
          return %0, %y : "acc", "same"
        }
        """,
    )
    for n in (0, 2):
        assert_numbers(PASS_THROUGH, [PASS, "dce"], [np.array(n), FEEDS_X, f32(1, 2, 3)])


def test_hoist_keeps_an_integer_power_in_a_maybe_empty_loop() -> None:
    # x ** -1 is an error for integers (numpy, the IR's reference): not run when no iteration is.
    assert_unchanged(
        """
        func @main(%n: i64[], %x: i64[3], %y: i64[]) {
          %t = tir.constant dense<true> : bool[]
          %0, %1 = tir.loop %n, %t, %x : i64[3], i64[?, 3] {
          ^(%i: i64[], %c: bool[], %a: i64[3]):
            %2 = tir.pow %x, %y : i64[3]
            %3 = tir.neg %a : i64[3]
            yield %c, %3, %2
          }
          return %0, %1 : "acc", "s"
        }
        """,
        PASS,
    )
