"""`slices-to-split`: disjoint constant unit-step slices of one value along one axis become
one `tir.split` (gaps are unread pieces); overlapping, strided or symbolic ones stay."""

from __future__ import annotations

import numpy as np

from tests.passes.support import assert_golden, assert_numbers, assert_unchanged

PASS = "slices-to-split"
RNG = np.random.default_rng(11)

CHUNK = """
    func @main(%x: f32[2, 6]) {
      %0 = tir.constant dense<0> : i64[1]
      %1 = tir.constant dense<2> : i64[1]
      %2 = tir.constant dense<1> : i64[1]
      %3 = tir.slice %x, %0, %1, %2 {axes = [1]} : f32[2, 2]
      %4 = tir.constant dense<9223372036854775807> : i64[1]
      %5 = tir.slice %x, %1, %4, %2 {axes = [-1]} : f32[2, 4]
      %6 = tir.add %3, %3 : f32[2, 2]
      return %6, %5 : "a", "b"
    }
"""


def test_a_chunk_becomes_one_split():
    assert_golden(
        CHUNK,
        [PASS, "dce"],
        """
        func @main(%x: f32[2, 6]) {
          %0 = tir.constant dense<[2, 4]> : i64[2]
          %1, %2 = tir.split %x, %0 {axis = 1} : f32[2, 2], f32[2, 4]
          %3 = tir.add %1, %1 : f32[2, 2]
          return %3, %2 : "a", "b"
        }
        """,
    )


def test_numbers_unchanged():
    assert_numbers(CHUNK, PASS, [RNG.standard_normal((2, 6)).astype("float32")])


GAPS_AND_REPEATS = """
    func @main(%x: f32[10]) {
      %0 = tir.constant dense<1> : i64[1]
      %1 = tir.constant dense<3> : i64[1]
      %2 = tir.constant dense<1> : i64[1]
      %3 = tir.slice %x, %0, %1, %2 {axes = [0]} : f32[2]
      %4 = tir.constant dense<-4> : i64[1]
      %5 = tir.constant dense<-1> : i64[1]
      %6 = tir.slice %x, %4, %5, %2 {axes = [0]} : f32[3]
      %7 = tir.slice %x, %0, %1, %2 {axes = [0]} : f32[2]
      return %3, %6, %7 : "a", "b", "c"
    }
"""


def test_gaps_become_unread_pieces_and_equal_slices_share_one():
    assert_golden(
        GAPS_AND_REPEATS,
        [PASS, "dce"],
        """
        func @main(%x: f32[10]) {
          %0 = tir.constant dense<[1, 2, 3, 3, 1]> : i64[5]
          %1, %2, %3, %4, %5 = tir.split %x, %0 {axis = 0} : f32[1], f32[2], f32[3], f32[3], f32[1]
          return %2, %4, %2 : "a", "b", "c"
        }
        """,
    )
    assert_numbers(GAPS_AND_REPEATS, PASS, [RNG.standard_normal(10).astype("float32")])


def test_overlapping_strided_single_and_symbolic_slices_stay():
    overlapping = """
        func @main(%x: f32[6]) {
          %0 = tir.constant dense<0> : i64[1]
          %1 = tir.constant dense<4> : i64[1]
          %2 = tir.constant dense<1> : i64[1]
          %3 = tir.slice %x, %0, %1, %2 {axes = [0]} : f32[4]
          %4 = tir.constant dense<3> : i64[1]
          %5 = tir.constant dense<6> : i64[1]
          %6 = tir.slice %x, %4, %5, %2 {axes = [0]} : f32[3]
          return %3, %6 : "a", "b"
        }
    """
    assert_unchanged(overlapping, PASS)
    assert_unchanged(overlapping.replace("f32[6]", "f32[n]").replace("f32[4]", "f32[?]")
                     .replace("f32[3]", "f32[?]"), PASS)  # fmt: skip
    strided = overlapping.replace("%1 = tir.constant dense<4>", "%1 = tir.constant dense<3>")
    strided = strided.replace("%3 = tir.slice %x, %0, %1, %2 {axes = [0]} : f32[4]",
                              "%3 = tir.slice %x, %0, %1, %1 {axes = [0]} : f32[1]")  # fmt: skip
    assert_unchanged(strided, PASS)
