"""`dce`: pure ops none of whose results is used are erased, whole dead chains in one backward
sweep; `return` is never erased."""

from __future__ import annotations

import numpy as np

from ir.parser import parse_module
from passes import PassManager, make_passes
from tests.passes.support import (
    SPECIAL_F32,
    assert_golden,
    assert_numbers,
    assert_unchanged,
    ir,
    run_stats,
)

PASS = "dce"

DEAD_CHAIN = """
    func @main(%x: f32[9]) {
      %0 = tir.exp %x : f32[9]
      %1 = tir.neg %0 : f32[9]
      %2 = tir.constant dense<2.0> : f32[]
      %3 = tir.mul %1, %2 : f32[9]
      %4 = tir.abs %x : f32[9]
      return %4 : "y"
    }
"""


def test_dce_dead_chain_removed_in_one_sweep():
    assert_golden(
        DEAD_CHAIN,
        PASS,
        """
        func @main(%x: f32[9]) {
          %0 = tir.abs %x : f32[9]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(DEAD_CHAIN, [PASS], [SPECIAL_F32])
    (stats,) = run_stats(DEAD_CHAIN, PASS)
    assert stats.changed
    assert stats.counters == {"ops-erased": 4}
    assert (stats.ops_before, stats.ops_after) == (5, 1)


def test_dce_second_run_finds_nothing():
    """One sweep reached the fixed point: a second run changes nothing."""
    module = parse_module(ir(DEAD_CHAIN))
    stats = PassManager(make_passes(["dce", "dce"])).run(module)
    assert [s.changed for s in stats] == [True, False]


def test_dce_dead_op_between_live_ops_removed():
    source = """
        func @main(%x: f32[3], %y: f32[3]) {
          %0 = tir.add %x, %y : f32[3]
          %1 = tir.sub %x, %y : f32[3]
          %2 = tir.mul %0, %y : f32[3]
          return %2 : "z"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[3], %y: f32[3]) {
          %0 = tir.add %x, %y : f32[3]
          %1 = tir.mul %0, %y : f32[3]
          return %1 : "z"
        }
        """,
    )


def test_dce_partly_used_chain_kept_up_to_last_use():
    assert_golden(
        """
        func @main(%x: f32[3]) {
          %a = tir.exp %x : f32[3]
          %b = tir.neg %a : f32[3]
          %c = tir.abs %b : f32[3]
          return %b : "y"
        }
        """,
        PASS,
        """
        func @main(%x: f32[3]) {
          %a = tir.exp %x : f32[3]
          %b = tir.neg %a : f32[3]
          return %b : "y"
        }
        """,
    )


def test_dce_never_removes_return():
    assert_golden(
        """
        func @main(%x: f32[3]) {
          %0 = tir.exp %x : f32[3]
          return
        }
        """,
        PASS,
        """
        func @main(%x: f32[3]) {
          return
        }
        """,
    )


def test_dce_return_of_argument_kept():
    source = """
        func @main(%x: f32[3]) {
          return %x, %x : "a", "b"
        }
    """
    assert_unchanged(source, PASS)
    (stats,) = run_stats(source, PASS)
    assert not stats.changed and stats.counters == {"ops-erased": 0}


def test_dce_all_live_unchanged():
    assert_unchanged(
        """
        func @main(%x: f32[3]) {
          %0 = tir.constant dense<1.0> : f32[]
          %1 = tir.add %x, %0 : f32[3]
          return %1, %0 : "y", "one"
        }
        """,
        PASS,
    )


# -- loops -------------------------------------------------------------------------------------

LOOP_WITH_DEAD_PARTS = """
    func @main(%n: i64[], %x: f32[3], %y: f32[3]) {
      %t = tir.constant dense<true> : bool[]
      %0, %1, %2, %3 = tir.loop %n, %t, %x, %y : f32[3], f32[3], f32[?, 3], f32[?, 3] {
      ^(%i: i64[], %c: bool[], %a: f32[3], %b: f32[3]):
        %4 = tir.add %a, %x : f32[3]
        %5 = tir.exp %b : f32[3]
        %6 = tir.mul %5, %b : f32[3]
        %7 = tir.neg %a : f32[3]
        yield %c, %4, %6, %7, %4
      }
      return %0, %3 : "acc", "steps"
    }
"""


def test_dce_drops_an_unused_carried_value_and_stacked_output():
    # %b (carried 1) is read only by its own update and its result %1 is unused; the
    # stacked %2 is unused.
    assert_golden(
        LOOP_WITH_DEAD_PARTS,
        PASS,
        """
        func @main(%n: i64[], %x: f32[3], %y: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0, %1 = tir.loop %n, %t, %x : f32[3], f32[?, 3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %2 = tir.add %a, %x : f32[3]
            yield %c, %2, %2
          }
          return %0, %1 : "acc", "steps"
        }
        """,
    )
    (stats,) = run_stats(LOOP_WITH_DEAD_PARTS, PASS)
    assert stats.counters == {"ops-erased": 3, "loop-values-dropped": 2}
    for n in (0, 1, 3):
        x, y = np.array([1.0, -2.0, 0.5], np.float32), np.array([0.1, 0.2, -0.3], np.float32)
        assert_numbers(LOOP_WITH_DEAD_PARTS, [PASS], [np.array(n), x, y])


def test_dce_keeps_a_carried_value_another_computation_reads():
    # %b's result is unused, but %a's update reads %b: %b must keep being carried.
    assert_unchanged(
        """
        func @main(%n: i64[], %x: f32[3], %y: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0, %1 = tir.loop %n, %t, %x, %y : f32[3], f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3], %b: f32[3]):
            %2 = tir.add %a, %b : f32[3]
            %3 = tir.exp %b : f32[3]
            yield %c, %2, %3
          }
          return %0 : "acc"
        }
        """,
        PASS,
    )


def test_dce_keeps_a_carried_value_the_condition_reads():
    assert_unchanged(
        """
        func @main(%n: i64[], %x: f32[3], %y: f32[]) {
          %t = tir.constant dense<true> : bool[]
          %0, %1 = tir.loop %n, %t, %x, %y : f32[3], f32[] {
          ^(%i: i64[], %c: bool[], %a: f32[3], %b: f32[]):
            %2 = tir.neg %a : f32[3]
            %3 = tir.constant dense<1.0> : f32[]
            %4 = tir.add %b, %3 : f32[]
            %5 = tir.constant dense<4.0> : f32[]
            %6 = tir.lt %4, %5 : bool[]
            yield %6, %2, %4
          }
          return %0 : "acc"
        }
        """,
        PASS,
    )


def test_dce_drops_carried_values_freed_by_another_drop():
    # %b feeds only %c2's update; once %c2 (unused) goes, %b is read by nothing else either.
    source = """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0, %1, %2 = tir.loop %n, %t, %x, %x, %x : f32[3], f32[3], f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3], %b: f32[3], %d: f32[3]):
            %3 = tir.neg %a : f32[3]
            %4 = tir.exp %b : f32[3]
            %5 = tir.add %d, %b : f32[3]
            yield %c, %3, %4, %5
          }
          return %0 : "acc"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.neg %a : f32[3]
            yield %c, %1
          }
          return %0 : "acc"
        }
        """,
    )
    for n in (0, 2):
        assert_numbers(source, [PASS], [np.array(n), np.array([1.0, 2.0, 3.0], np.float32)])


def test_dce_erases_a_loop_whose_results_are_all_unused():
    assert_golden(
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.neg %a : f32[3]
            yield %c, %1
          }
          return %x : "y"
        }
        """,
        PASS,
        """
        func @main(%n: i64[], %x: f32[3]) {
          return %x : "y"
        }
        """,
    )


def test_dce_replaces_a_loop_that_runs_no_iteration():
    source = """
        func @main(%x: f32[3], %y: f32[k]) {
          %f = tir.constant dense<false> : bool[]
          %n = tir.constant dense<5> : i64[]
          %0, %1, %2 = tir.loop %n, %f, %x : f32[3], f32[0, 3], f32[0, ?] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %3 = tir.neg %a : f32[3]
            yield %c, %3, %3, %y
          }
          return %0, %1, %2 : "x", "steps", "ys"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[3], %y: f32[k]) {
          %0 = tir.constant dense<[]> : f32[0, 3]
          %1 = tir.constant dense<[]> : f32[0, 0]
          return %x, %0, %1 : "x", "steps", "ys"
        }
        """,
    )
    (stats,) = run_stats(source, PASS)
    assert stats.counters == {"ops-erased": 2, "empty-loops-erased": 1}
    x = np.array([1.0, 2.0, 3.0], np.float32)
    outs = assert_numbers(source, [PASS], [x, np.ones(4, np.float32)])
    assert [o.shape for o in outs] == [(3,), (0, 3), (0, 0)]


def test_dce_keeps_a_loop_of_no_iteration_whose_result_type_is_not_its_inits():
    """A Scan's carried result is typed from its step (i64[3]) where the initial value is
    i64[?]: replacing the result by the init left `tir.unsqueeze %x : i64[1, 3]` of an
    i64[x_0] operand, which the verifier rejects (random graphs, seed 104)."""
    assert_unchanged(
        """
        func @main(%x: i64[k], %w: i64[3]) {
          %t = tir.constant dense<true> : bool[]
          %n = tir.constant dense<0> : i64[]
          %0 = tir.loop %n, %t, %x : i64[3] {
          ^(%i: i64[], %c: bool[], %a: i64[?]):
            %1 = tir.mul %a, %w : i64[3]
            yield %c, %1
          }
          %2 = tir.unsqueeze %0 {axes = [0]} : i64[1, 3]
          return %2 : "y"
        }
        """,
        PASS,
    )
