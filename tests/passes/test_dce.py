"""`dce`: pure ops none of whose results is used are erased, whole dead chains in one backward
sweep; `return` is never erased."""

from __future__ import annotations

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
