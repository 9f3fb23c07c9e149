"""`constant-fold`: an op whose operands are all constants becomes a constant.

Chains fold in one forward sweep, the folded constant keeps the value's name, and a fold whose
result would be much larger than its inputs (a broadcast blow-up past 4096 bytes) is skipped.
"""

from __future__ import annotations

import numpy as np

from passes.constant_fold import SMALL_RESULT_BYTES
from tests.passes.support import (
    SPECIAL_F32,
    assert_golden,
    assert_numbers,
    assert_unchanged,
    run_stats,
)

PASS = "constant-fold"

CHAIN = """
    func @main(%x: f32[9]) {
      %0 = tir.constant dense<2.0> : f32[]
      %1 = tir.neg %0 : f32[]
      %2 = tir.mul %1, %0 : f32[]
      %3 = tir.add %x, %2 : f32[9]
      return %3 : "y"
    }
"""


def test_fold_chain_in_one_sweep():
    assert_golden(
        CHAIN,
        PASS,
        """
        func @main(%x: f32[9]) {
          %0 = tir.constant dense<2.0> : f32[]
          %1 = tir.constant dense<-2.0> : f32[]
          %2 = tir.constant dense<-4.0> : f32[]
          %3 = tir.add %x, %2 : f32[9]
          return %3 : "y"
        }
        """,
    )
    assert_numbers(CHAIN, [PASS], [SPECIAL_F32])
    (stats,) = run_stats(CHAIN, PASS)
    assert stats.changed
    assert stats.counters == {"ops-folded": 2}


def test_fold_chain_then_dce_leaves_one_constant():
    assert_golden(
        CHAIN,
        [PASS, "dce"],
        """
        func @main(%x: f32[9]) {
          %0 = tir.constant dense<-4.0> : f32[]
          %1 = tir.add %x, %0 : f32[9]
          return %1 : "y"
        }
        """,
    )


NAMED = """
    func @main(%x: f32[3]) {
      %two = tir.constant dense<2.0> : f32[]
      %minus_two = tir.neg %two : f32[]
      %y = tir.mul %x, %minus_two : f32[3]
      return %y : "y"
    }
"""


def test_fold_keeps_value_names():
    assert_golden(
        NAMED,
        PASS,
        """
        func @main(%x: f32[3]) {
          %two = tir.constant dense<2.0> : f32[]
          %minus_two = tir.constant dense<-2.0> : f32[]
          %y = tir.mul %x, %minus_two : f32[3]
          return %y : "y"
        }
        """,
    )


def test_fold_returned_value_keeps_name():
    assert_golden(
        """
        func @main() {
          %a = tir.constant dense<[1, 2]> : i32[2]
          %b = tir.add %a, %a : i32[2]
          return %b : "out"
        }
        """,
        PASS,
        """
        func @main() {
          %a = tir.constant dense<[1, 2]> : i32[2]
          %b = tir.constant dense<[2, 4]> : i32[2]
          return %b : "out"
        }
        """,
    )


def test_fold_int8_wraps_around():
    source = """
        func @main() {
          %0 = tir.constant dense<127> : i8[]
          %1 = tir.constant dense<1> : i8[]
          %2 = tir.add %0, %1 : i8[]
          %3 = tir.neg %2 : i8[]
          return %3 : "y"
        }
    """
    assert_golden(
        source,
        [PASS, "dce"],
        """
        func @main() {
          %0 = tir.constant dense<-128> : i8[]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [])


def test_fold_negative_zero():
    source = """
        func @main() {
          %0 = tir.constant dense<0.0> : f32[2]
          %1 = tir.neg %0 : f32[2]
          return %1 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main() {
          %0 = tir.constant dense<0.0> : f32[2]
          %1 = tir.constant dense<-0.0> : f32[2]
          return %1 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [])


def test_fold_mixed_dtypes_in_result_dtype():
    source = """
        func @main() {
          %0 = tir.constant dense<-128> : i8[]
          %1 = tir.constant dense<1.5> : f32[2]
          %2 = tir.mul %0, %1 : f32[2]
          %3 = tir.div %0, %0 : f64[]
          return %2, %3 : "p", "q"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main() {
          %0 = tir.constant dense<-128> : i8[]
          %1 = tir.constant dense<1.5> : f32[2]
          %2 = tir.constant dense<-192.0> : f32[2]
          %3 = tir.constant dense<1.0> : f64[]
          return %2, %3 : "p", "q"
        }
        """,
    )
    assert_numbers(source, [PASS], [])


def test_fold_cast_wraps_and_truncates():
    source = """
        func @main() {
          %0 = tir.constant dense<[300, -129]> : i16[2]
          %1 = tir.cast %0 {to = i8} : i8[2]
          %2 = tir.constant dense<[-1.5, 2.9]> : f32[2]
          %3 = tir.cast %2 {to = i32} : i32[2]
          return %1, %3 : "a", "b"
        }
    """
    assert_golden(
        source,
        [PASS, "dce"],
        """
        func @main() {
          %0 = tir.constant dense<[44, 127]> : i8[2]
          %1 = tir.constant dense<[-1, 2]> : i32[2]
          return %0, %1 : "a", "b"
        }
        """,
    )
    assert_numbers(source, [PASS], [])


def test_fold_transpose_and_expand():
    source = """
        func @main() {
          %0 = tir.constant dense<[[1, 2, 3], [4, 5, 6]]> : u8[2, 3]
          %1 = tir.transpose %0 {perm = [1, 0]} : u8[3, 2]
          %2 = tir.dimshuffle %1 {order = ["x", 0, 1]} : u8[1, 3, 2]
          return %2 : "y"
        }
    """
    assert_golden(
        source,
        [PASS, "dce"],
        """
        func @main() {
          %0 = tir.constant dense<[[[1, 4], [2, 5], [3, 6]]]> : u8[1, 3, 2]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [])


# -- size limit --------------------------------------------------------------------------------


def test_fold_broadcast_blow_up_not_folded():
    """f32[64, 1] + f32[1, 64] is 16 KiB from 512 bytes of inputs: kept as an op."""
    assert_unchanged(
        """
        func @main() {
          %0 = tir.constant dense<1.0> : f32[64, 1]
          %1 = tir.constant dense<2.0> : f32[1, 64]
          %2 = tir.add %0, %1 : f32[64, 64]
          return %2 : "y"
        }
        """,
        PASS,
    )


def test_fold_broadcast_just_past_limit_not_folded():
    assert SMALL_RESULT_BYTES < 33 * 32 * 4
    assert_unchanged(
        """
        func @main() {
          %0 = tir.constant dense<1.0> : f32[33, 1]
          %1 = tir.constant dense<2.0> : f32[1, 32]
          %2 = tir.add %0, %1 : f32[33, 32]
          return %2 : "y"
        }
        """,
        PASS,
    )


def test_fold_broadcast_up_to_limit_folded():
    assert SMALL_RESULT_BYTES == 32 * 32 * 4
    assert_golden(
        """
        func @main() {
          %0 = tir.constant dense<1.0> : f32[32, 1]
          %1 = tir.constant dense<2.0> : f32[1, 32]
          %2 = tir.add %0, %1 : f32[32, 32]
          return %2 : "y"
        }
        """,
        [PASS, "dce"],
        """
        func @main() {
          %0 = tir.constant dense<3.0> : f32[32, 32]
          return %0 : "y"
        }
        """,
    )


def test_fold_large_result_no_larger_than_inputs_folded():
    """A result past 4096 bytes folds when the inputs are as large (no growth)."""
    assert_golden(
        """
        func @main() {
          %0 = tir.constant dense<1.0> : f32[2048]
          %1 = tir.neg %0 : f32[2048]
          return %1 : "y"
        }
        """,
        [PASS, "dce"],
        """
        func @main() {
          %0 = tir.constant dense<-1.0> : f32[2048]
          return %0 : "y"
        }
        """,
    )


# -- not foldable ------------------------------------------------------------------------------


def test_fold_non_constant_operand_not_folded():
    source = """
        func @main(%x: f32[3]) {
          %0 = tir.constant dense<2.0> : f32[]
          %1 = tir.mul %x, %0 : f32[3]
          %2 = tir.exp %x : f32[3]
          return %1, %2 : "a", "b"
        }
    """
    assert_unchanged(source, PASS)
    (stats,) = run_stats(source, PASS)
    assert not stats.changed
    assert stats.counters == {"ops-folded": 0}


def test_folded_shape_operand_refines_the_stored_result_types_downstream():
    """The frontend stores `?` where a shape operand is computed; once constant-fold makes it a
    constant, the reshape's inferred dims are stored, and flow on to the ops after it."""
    source = """
        func @main(%x: f32[12]) {
          %0 = tir.constant dense<[3, 4]> : i64[2]
          %1 = tir.neg %0 : i64[2]
          %2 = tir.neg %1 : i64[2]
          %3 = tir.reshape %x, %2 : f32[?, ?]
          %4 = tir.exp %3 : f32[?, ?]
          return %4 : "y"
        }
    """
    assert_golden(
        source,
        [PASS, "dce"],
        """
        func @main(%x: f32[12]) {
          %0 = tir.constant dense<[3, 4]> : i64[2]
          %1 = tir.reshape %x, %0 : f32[3, 4]
          %2 = tir.exp %1 : f32[3, 4]
          return %2 : "y"
        }
        """,
    )
    (stats, _) = run_stats(source, PASS, "dce")
    assert stats.counters == {"ops-folded": 2, "types-refined": 2}
    assert_numbers(source, [PASS, "dce"], [np.arange(12, dtype=np.float32)])
