"""`sink-into-regions`: computations only one region uses move into it (IfElse laziness)."""

from __future__ import annotations

import numpy as np

from tests.passes.support import assert_golden, assert_numbers, assert_unchanged

PASS = "sink-into-regions"

SOURCE = """
    func @main(%x: f32[3], %c: bool[]) {
      %0 = tir.exp %x : f32[3]
      %1 = tir.sin %x : f32[3]
      %2 = tir.mul %0, %1 : f32[3]
      %3 = tir.neg %0 : f32[3]
      %4 = tir.constant dense<2.0> : f32[]
      %5 = tir.mul %3, %4 : f32[3]
      %6 = tir.if %c : f32[3] {
        yield %2
      } {
        yield %5
      }
      return %6, %0 : "y", "e"
    }
"""


def test_sink_moves_branch_only_chains_and_keeps_shared_values() -> None:
    assert_golden(
        SOURCE,
        PASS,
        """
        func @main(%x: f32[3], %c: bool[]) {
          %0 = tir.exp %x : f32[3]
          %1 = tir.constant dense<2.0> : f32[]
          %2 = tir.if %c : f32[3] {
            %3 = tir.sin %x : f32[3]
            %4 = tir.mul %0, %3 : f32[3]
            yield %4
          } {
            %5 = tir.neg %0 : f32[3]
            %6 = tir.mul %5, %1 : f32[3]
            yield %6
          }
          return %2, %0 : "y", "e"
        }
        """,
    )


def test_sink_preserves_numbers_on_both_branches() -> None:
    x = np.array([0.0, -1.5, np.nan], dtype=np.float32)
    for cond in (True, False):
        assert_numbers(SOURCE, [PASS, "dce"], [x, np.array(cond)])


def test_sink_keeps_values_used_by_both_regions() -> None:
    assert_unchanged(
        """
        func @main(%x: f32[3], %c: bool[]) {
          %0 = tir.exp %x : f32[3]
          %1 = tir.if %c : f32[3] {
            yield %0
          } {
            %2 = tir.neg %0 : f32[3]
            yield %2
          }
          return %1 : "y"
        }
        """,
        PASS,
    )
