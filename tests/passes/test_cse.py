"""`cse`: pure ops with the same op, operands and attributes merge into the first one.

Two-operand commutative ops match in either operand order; longer operand lists do not (a
reordering would reassociate), nor do float maximum/minimum (they pick a zero by position).
"""

from __future__ import annotations

import numpy as np

from tests.passes.support import (
    SPECIAL_F32,
    assert_golden,
    assert_numbers,
    assert_unchanged,
    f32,
    run_stats,
)

PASS = "cse"

EQUAL_OPS = """
    func @main(%x: f32[9]) {
      %0 = tir.exp %x : f32[9]
      %1 = tir.exp %x : f32[9]
      %2 = tir.sub %0, %1 : f32[9]
      return %2 : "y"
    }
"""


def test_cse_equal_ops_merged():
    assert_golden(
        EQUAL_OPS,
        PASS,
        """
        func @main(%x: f32[9]) {
          %0 = tir.exp %x : f32[9]
          %1 = tir.sub %0, %0 : f32[9]
          return %1 : "y"
        }
        """,
    )
    assert_numbers(EQUAL_OPS, [PASS], [SPECIAL_F32])
    (stats,) = run_stats(EQUAL_OPS, PASS)
    assert stats.changed and stats.counters == {"ops-merged": 1}


def test_cse_merges_cascade_in_one_sweep():
    source = """
        func @main(%x: f32[9]) {
          %0 = tir.exp %x : f32[9]
          %1 = tir.exp %x : f32[9]
          %2 = tir.neg %0 : f32[9]
          %3 = tir.neg %1 : f32[9]
          %4 = tir.div %2, %3 : f32[9]
          return %4 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[9]) {
          %0 = tir.exp %x : f32[9]
          %1 = tir.neg %0 : f32[9]
          %2 = tir.div %1, %1 : f32[9]
          return %2 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [SPECIAL_F32])


def test_cse_keeps_name_of_first_value():
    assert_golden(
        """
        func @main(%x: f32[3]) {
          %a = tir.abs %x : f32[3]
          %b = tir.abs %x : f32[3]
          return %a, %b : "a", "b"
        }
        """,
        PASS,
        """
        func @main(%x: f32[3]) {
          %a = tir.abs %x : f32[3]
          return %a, %a : "a", "b"
        }
        """,
    )


COMMUTED = """
    func @main(%x: f32[9], %y: f32[9]) {
      %0 = tir.add %x, %y : f32[9]
      %1 = tir.add %y, %x : f32[9]
      %2 = tir.mul %x, %y : f32[9]
      %3 = tir.mul %y, %x : f32[9]
      %4 = tir.ne %x, %y : bool[9]
      %5 = tir.ne %y, %x : bool[9]
      return %0, %1, %2, %3, %4, %5 : "a", "b", "c", "d", "e", "f"
    }
"""


def test_cse_commutative_two_operands_merged():
    assert_golden(
        COMMUTED,
        PASS,
        """
        func @main(%x: f32[9], %y: f32[9]) {
          %0 = tir.add %x, %y : f32[9]
          %1 = tir.mul %x, %y : f32[9]
          %2 = tir.ne %x, %y : bool[9]
          return %0, %0, %1, %1, %2, %2 : "a", "b", "c", "d", "e", "f"
        }
        """,
    )
    assert_numbers(COMMUTED, [PASS], [SPECIAL_F32, SPECIAL_F32[::-1].copy()])


def test_cse_commutative_mixed_dtypes_merged():
    source = """
        func @main(%x: i8[5], %y: f32[5]) {
          %0 = tir.add %x, %y : f32[5]
          %1 = tir.add %y, %x : f32[5]
          return %0, %1 : "a", "b"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: i8[5], %y: f32[5]) {
          %0 = tir.add %x, %y : f32[5]
          return %0, %0 : "a", "b"
        }
        """,
    )
    assert_numbers(
        source,
        [PASS],
        [np.array([-128, -1, 0, 1, 127], np.int8), f32(-0.0, 0.0, -0.0, np.nan, 0.5)],
    )


def test_cse_int_maximum_commuted_merged():
    source = """
        func @main(%x: i32[3], %y: i32[3]) {
          %0 = tir.maximum %x, %y : i32[3]
          %1 = tir.maximum %y, %x : i32[3]
          return %0, %1 : "a", "b"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: i32[3], %y: i32[3]) {
          %0 = tir.maximum %x, %y : i32[3]
          return %0, %0 : "a", "b"
        }
        """,
    )


FLOAT_MAX_COMMUTED = """
    func @main(%x: f32[2], %y: f32[2]) {
      %0 = tir.maximum %x, %y : f32[2]
      %1 = tir.maximum %y, %x : f32[2]
      %2 = tir.minimum %x, %y : f32[2]
      %3 = tir.minimum %y, %x : f32[2]
      return %0, %1, %2, %3 : "a", "b", "c", "d"
    }
"""


def test_cse_float_maximum_commuted_not_merged():
    """maximum(-0.0, 0.0) and maximum(0.0, -0.0) return different zeros."""
    assert_unchanged(FLOAT_MAX_COMMUTED, PASS)
    a, b, _, _ = assert_numbers(FLOAT_MAX_COMMUTED, [PASS], [f32(-0.0, 1.0), f32(0.0, np.nan)])
    assert np.signbit(a[0]) != np.signbit(b[0])


def test_cse_three_operand_reordering_not_merged():
    """(x + y) + z and (y + x) + z are equal, but (x + z) + y may round differently."""
    assert_unchanged(
        """
        func @main(%x: f32[3], %y: f32[3], %z: f32[3]) {
          %0 = tir.add %x, %y, %z : f32[3]
          %1 = tir.add %x, %z, %y : f32[3]
          %2 = tir.mul %y, %x, %z : f32[3]
          %3 = tir.mul %x, %y, %z : f32[3]
          return %0, %1, %2, %3 : "a", "b", "c", "d"
        }
        """,
        PASS,
    )


def test_cse_non_commutative_swapped_not_merged():
    assert_unchanged(
        """
        func @main(%x: f32[3], %y: f32[3]) {
          %0 = tir.sub %x, %y : f32[3]
          %1 = tir.sub %y, %x : f32[3]
          %2 = tir.lt %x, %y : bool[3]
          %3 = tir.lt %y, %x : bool[3]
          return %0, %1, %2, %3 : "a", "b", "c", "d"
        }
        """,
        PASS,
    )


def test_cse_different_attributes_not_merged():
    assert_unchanged(
        """
        func @main(%x: f32[2, 3, 4]) {
          %0 = tir.transpose %x {perm = [1, 0, 2]} : f32[3, 2, 4]
          %1 = tir.transpose %x {perm = [0, 2, 1]} : f32[2, 4, 3]
          %2 = tir.cast %x {to = f64} : f64[2, 3, 4]
          %3 = tir.cast %x {to = f16} : f16[2, 3, 4]
          return %0, %1, %2, %3 : "a", "b", "c", "d"
        }
        """,
        PASS,
    )


def test_cse_different_op_same_operands_not_merged():
    assert_unchanged(
        """
        func @main(%x: f32[3]) {
          %0 = tir.exp %x : f32[3]
          %1 = tir.log %x : f32[3]
          return %0, %1 : "a", "b"
        }
        """,
        PASS,
    )


def test_cse_equal_constants_merged():
    source = """
        func @main(%x: f32[3]) {
          %0 = tir.constant dense<2.0> : f32[]
          %1 = tir.constant dense<2.0> : f32[]
          %2 = tir.sub %0, %1 : f32[]
          %3 = tir.add %x, %2 : f32[3]
          return %3 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[3]) {
          %0 = tir.constant dense<2.0> : f32[]
          %1 = tir.sub %0, %0 : f32[]
          %2 = tir.add %x, %1 : f32[3]
          return %2 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [f32(-0.0, np.nan, 1.0)])


def test_cse_equal_nan_constants_merged():
    assert_golden(
        """
        func @main() {
          %0 = tir.constant dense<"0x0000C07F0000803F"> : f32[2]
          %1 = tir.constant dense<"0x0000C07F0000803F"> : f32[2]
          return %0, %1 : "a", "b"
        }
        """,
        PASS,
        """
        func @main() {
          %0 = tir.constant dense<"0x0000C07F0000803F"> : f32[2]
          return %0, %0 : "a", "b"
        }
        """,
    )


def test_cse_constants_of_different_zeros_or_dtypes_not_merged():
    assert_unchanged(
        """
        func @main() {
          %0 = tir.constant dense<0.0> : f32[]
          %1 = tir.constant dense<-0.0> : f32[]
          %2 = tir.constant dense<1> : i8[]
          %3 = tir.constant dense<1> : i16[]
          %4 = tir.constant dense<1> : i8[1]
          return %0, %1, %2, %3, %4 : "a", "b", "c", "d", "e"
        }
        """,
        PASS,
    )


def test_cse_nothing_to_merge_reports_no_change():
    source = """
        func @main(%x: f32[3]) {
          %0 = tir.exp %x : f32[3]
          return %0 : "y"
        }
    """
    assert_unchanged(source, PASS)
    (stats,) = run_stats(source, PASS)
    assert not stats.changed and stats.counters == {"ops-merged": 0}
