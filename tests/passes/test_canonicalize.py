"""`canonicalize`: exact algebraic identities and the canonical operand order.

Each pattern has positive cases (golden text + the interpreter's numbers on special values,
zero signs included) and negative cases (the text is unchanged). Exactness is the point:
``x + 0.0`` is not ``x`` at ``x = -0.0``, ``x * 1`` is not ``x`` when it broadcasts or
converts, a lossy round trip of casts is not the identity, and float maximum/minimum are not
commutative on signed zeros.
"""

from __future__ import annotations

import numpy as np

from ir.parser import parse_module
from passes.canonicalize import PATTERNS
from tests.passes.support import (
    SPECIAL_F32,
    assert_golden,
    assert_numbers,
    assert_unchanged,
    f32,
    ir,
    run_stats,
)

PASS = "canonicalize"

I8_BOUNDS = np.array([-128, -1, 0, 1, 127], dtype=np.int8)


# -- casts -------------------------------------------------------------------------------------


def test_cast_to_same_dtype_removed():
    source = """
        func @main(%x: f32[9]) {
          %0 = tir.cast %x {to = f32} : f32[9]
          %1 = tir.neg %0 : f32[9]
          return %1 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[9]) {
          %0 = tir.neg %x : f32[9]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [SPECIAL_F32])


def test_cast_to_other_dtype_kept():
    assert_unchanged(
        """
        func @main(%x: f32[9]) {
          %0 = tir.cast %x {to = f16} : f16[9]
          return %0 : "y"
        }
        """,
        PASS,
    )


CAST_WIDEN_THEN_FLOAT = """
    func @main(%x: i8[5]) {
      %0 = tir.cast %x {to = i16} : i16[5]
      %1 = tir.cast %0 {to = f32} : f32[5]
      return %1 : "y"
    }
"""


def test_cast_of_lossless_cast_collapses():
    assert_golden(
        CAST_WIDEN_THEN_FLOAT,
        PASS,
        """
        func @main(%x: i8[5]) {
          %0 = tir.cast %x {to = f32} : f32[5]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(CAST_WIDEN_THEN_FLOAT, [PASS], [I8_BOUNDS])


CAST_ROUND_TRIP_F32 = """
    func @main(%x: f32[9]) {
      %0 = tir.cast %x {to = f64} : f64[9]
      %1 = tir.cast %0 {to = f32} : f32[9]
      return %1 : "y"
    }
"""


def test_cast_of_lossless_cast_round_trip_is_identity():
    """f32 → f64 → f32 is the identity (NaN, -0.0, denormals and all)."""
    assert_golden(
        CAST_ROUND_TRIP_F32,
        PASS,
        """
        func @main(%x: f32[9]) {
          return %x : "y"
        }
        """,
    )
    assert_numbers(CAST_ROUND_TRIP_F32, [PASS], [SPECIAL_F32])


CAST_ROUND_TRIP_I32 = """
    func @main(%x: i32[3]) {
      %0 = tir.cast %x {to = f64} : f64[3]
      %1 = tir.cast %0 {to = i32} : i32[3]
      return %1 : "y"
    }
"""


def test_cast_of_lossless_cast_int32_through_f64_is_identity():
    assert_golden(
        CAST_ROUND_TRIP_I32,
        PASS,
        """
        func @main(%x: i32[3]) {
          return %x : "y"
        }
        """,
    )
    assert_numbers(
        CAST_ROUND_TRIP_I32, [PASS], [np.array([-(2**31), 2**31 - 1, 16777217], np.int32)]
    )


def test_cast_of_lossless_cast_inner_with_other_user_kept():
    source = """
        func @main(%x: f32[9]) {
          %0 = tir.cast %x {to = f64} : f64[9]
          %1 = tir.cast %0 {to = f16} : f16[9]
          return %0, %1 : "wide", "half"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[9]) {
          %0 = tir.cast %x {to = f64} : f64[9]
          %1 = tir.cast %x {to = f16} : f16[9]
          return %0, %1 : "wide", "half"
        }
        """,
    )
    assert_numbers(source, [PASS], [SPECIAL_F32])


def test_cast_of_lossy_cast_f64_f32_f64_kept():
    source = """
        func @main(%x: f64[3]) {
          %0 = tir.cast %x {to = f32} : f32[3]
          %1 = tir.cast %0 {to = f64} : f64[3]
          return %1 : "y"
        }
    """
    assert_unchanged(source, PASS)
    (y,) = assert_numbers(source, [PASS], [np.array([0.1, 1e300, -0.0])])
    assert y[0] != 0.1 and y[1] == np.inf  # the round trip really is lossy


def test_cast_of_lossy_cast_int64_through_f64_kept():
    """numpy calls int64 → float64 a "safe" cast, but it rounds above 2**53."""
    source = """
        func @main(%x: i64[2]) {
          %0 = tir.cast %x {to = f64} : f64[2]
          %1 = tir.cast %0 {to = i64} : i64[2]
          return %1 : "y"
        }
    """
    assert_unchanged(source, PASS)
    (y,) = assert_numbers(source, [PASS], [np.array([2**53 + 1, -(2**63)], np.int64)])
    assert y[0] == 2**53


def test_cast_of_lossy_cast_uint64_through_f64_kept():
    assert_unchanged(
        """
        func @main(%x: u64[2]) {
          %0 = tir.cast %x {to = f64} : f64[2]
          %1 = tir.cast %0 {to = u64} : u64[2]
          return %1 : "y"
        }
        """,
        PASS,
    )


def test_cast_of_lossy_cast_int32_through_f32_kept():
    assert_unchanged(
        """
        func @main(%x: i32[2]) {
          %0 = tir.cast %x {to = f32} : f32[2]
          %1 = tir.cast %0 {to = i32} : i32[2]
          return %1 : "y"
        }
        """,
        PASS,
    )


def test_cast_of_narrowing_int_cast_kept():
    """i16 → i8 wraps: cast(cast(x, i8), i16) is not x."""
    assert_unchanged(
        """
        func @main(%x: i16[2]) {
          %0 = tir.cast %x {to = i8} : i8[2]
          %1 = tir.cast %0 {to = i16} : i16[2]
          return %1 : "y"
        }
        """,
        PASS,
    )


# -- transpose, squeeze, unsqueeze -------------------------------------------------------------


def _iota(*shape: int) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) - 3.0


def test_transpose_identity_removed():
    source = """
        func @main(%x: f32[2, 3, 4]) {
          %0 = tir.transpose %x {perm = [0, 1, 2]} : f32[2, 3, 4]
          return %0 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[2, 3, 4]) {
          return %x : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [_iota(2, 3, 4)])


def test_transpose_identity_other_perm_kept():
    assert_unchanged(
        """
        func @main(%x: f32[2, 3]) {
          %0 = tir.transpose %x {perm = [1, 0]} : f32[3, 2]
          return %0 : "y"
        }
        """,
        PASS,
    )


TRANSPOSE_TWICE = """
    func @main(%x: f32[2, 3, 4]) {
      %0 = tir.transpose %x {perm = [1, 0, 2]} : f32[3, 2, 4]
      %1 = tir.transpose %0 {perm = [0, 2, 1]} : f32[3, 4, 2]
      return %1 : "y"
    }
"""


def test_transpose_of_transpose_composes():
    assert_golden(
        TRANSPOSE_TWICE,
        PASS,
        """
        func @main(%x: f32[2, 3, 4]) {
          %0 = tir.transpose %x {perm = [1, 2, 0]} : f32[3, 4, 2]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(TRANSPOSE_TWICE, [PASS], [_iota(2, 3, 4)])


TRANSPOSE_INVERSE = """
    func @main(%x: f32[2, 3, 4]) {
      %0 = tir.transpose %x {perm = [1, 2, 0]} : f32[3, 4, 2]
      %1 = tir.transpose %0 {perm = [2, 0, 1]} : f32[2, 3, 4]
      %2 = tir.exp %1 : f32[2, 3, 4]
      return %2 : "y"
    }
"""


def test_transpose_of_inverse_transpose_vanishes():
    assert_golden(
        TRANSPOSE_INVERSE,
        PASS,
        """
        func @main(%x: f32[2, 3, 4]) {
          %0 = tir.exp %x : f32[2, 3, 4]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(TRANSPOSE_INVERSE, [PASS], [_iota(2, 3, 4)])


def test_transpose_of_transpose_inner_with_other_user():
    source = """
        func @main(%x: f32[2, 3]) {
          %0 = tir.transpose %x {perm = [1, 0]} : f32[3, 2]
          %1 = tir.transpose %0 {perm = [1, 0]} : f32[2, 3]
          %2 = tir.add %1, %x : f32[2, 3]
          return %2, %0 : "y", "t"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[2, 3]) {
          %0 = tir.transpose %x {perm = [1, 0]} : f32[3, 2]
          %1 = tir.add %x, %x : f32[2, 3]
          return %1, %0 : "y", "t"
        }
        """,
    )
    assert_numbers(source, [PASS], [_iota(2, 3)])


def test_squeeze_nothing_removed():
    source = """
        func @main(%x: f32[2, 1]) {
          %0 = tir.squeeze %x {axes = []} : f32[2, 1]
          %1 = tir.unsqueeze %0 {axes = []} : f32[2, 1]
          return %1 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[2, 1]) {
          return %x : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [f32(-0.0, np.nan).reshape(2, 1)])


def test_squeeze_and_unsqueeze_with_axes_kept():
    assert_unchanged(
        """
        func @main(%x: f32[2, 1]) {
          %0 = tir.squeeze %x {axes = [1]} : f32[2]
          %1 = tir.unsqueeze %0 {axes = [0]} : f32[1, 2]
          return %1 : "y"
        }
        """,
        PASS,
    )


# -- neg ---------------------------------------------------------------------------------------


def test_neg_of_neg_removed():
    source = """
        func @main(%x: i8[5]) {
          %0 = tir.neg %x : i8[5]
          %1 = tir.neg %0 : i8[5]
          return %1 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: i8[5]) {
          return %x : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [I8_BOUNDS])  # -(-(-128)) wraps back to -128


def test_neg_of_neg_float_keeps_signed_zero():
    source = """
        func @main(%x: f32[9]) {
          %0 = tir.neg %x : f32[9]
          %1 = tir.neg %0 : f32[9]
          %2 = tir.neg %1 : f32[9]
          return %2 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[9]) {
          %0 = tir.neg %x : f32[9]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [SPECIAL_F32])


def test_neg_single_kept():
    assert_unchanged(
        """
        func @main(%x: f32[3]) {
          %0 = tir.neg %x : f32[3]
          %1 = tir.abs %0 : f32[3]
          return %1 : "y"
        }
        """,
        PASS,
    )


# -- x * 1, x / 1 ------------------------------------------------------------------------------

MUL_BY_ONE = """
    func @main(%x: f32[9]) {
      %0 = tir.constant dense<1.0> : f32[]
      %1 = tir.mul %x, %0 : f32[9]
      return %1 : "y"
    }
"""


def test_mul_by_one_removed():
    assert_golden(
        MUL_BY_ONE,
        PASS,
        """
        func @main(%x: f32[9]) {
          return %x : "y"
        }
        """,
    )
    assert_numbers(MUL_BY_ONE, [PASS], [SPECIAL_F32])


def test_mul_by_one_constant_first_removed():
    source = """
        func @main(%x: i8[5]) {
          %0 = tir.constant dense<1> : i8[5]
          %1 = tir.mul %0, %x : i8[5]
          %2 = tir.abs %1 : i8[5]
          return %2 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: i8[5]) {
          %0 = tir.abs %x : i8[5]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [I8_BOUNDS])


def test_mul_by_one_of_other_dtype_same_result_type_removed():
    """f32 * i8 1 computes in f32: x * 1.0 is x exactly."""
    source = """
        func @main(%x: f32[9]) {
          %0 = tir.constant dense<1> : i8[]
          %1 = tir.mul %x, %0 : f32[9]
          return %1 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[9]) {
          return %x : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [SPECIAL_F32])


def test_mul_by_one_broadcasting_kept():
    assert_unchanged(
        """
        func @main(%x: f32[3]) {
          %0 = tir.constant dense<1.0> : f32[2, 3]
          %1 = tir.mul %x, %0 : f32[2, 3]
          return %1 : "y"
        }
        """,
        PASS,
    )


def test_mul_by_one_dtype_change_kept():
    assert_unchanged(
        """
        func @main(%x: i8[3]) {
          %0 = tir.constant dense<1.0> : f32[]
          %1 = tir.mul %x, %0 : f32[3]
          return %1 : "y"
        }
        """,
        PASS,
    )


def test_mul_by_one_three_operands_kept():
    assert_unchanged(
        """
        func @main(%x: f32[3], %y: f32[3]) {
          %0 = tir.constant dense<1.0> : f32[]
          %1 = tir.mul %x, %0, %y : f32[3]
          return %1 : "y"
        }
        """,
        PASS,
    )


def test_mul_by_one_not_splat_kept():
    assert_unchanged(
        """
        func @main(%x: f32[2]) {
          %0 = tir.constant dense<[1.0, 2.0]> : f32[2]
          %1 = tir.mul %x, %0 : f32[2]
          return %1 : "y"
        }
        """,
        PASS,
    )


DIV_BY_ONE = """
    func @main(%x: f32[9]) {
      %0 = tir.constant dense<1> : i8[]
      %1 = tir.div %x, %0 : f32[9]
      return %1 : "y"
    }
"""


def test_div_by_one_removed():
    assert_golden(
        DIV_BY_ONE,
        PASS,
        """
        func @main(%x: f32[9]) {
          return %x : "y"
        }
        """,
    )
    assert_numbers(DIV_BY_ONE, [PASS], [SPECIAL_F32])


def test_div_by_one_of_ints_kept():
    """i8 / i8 is computed in f64: the result type is not x's."""
    assert_unchanged(
        """
        func @main(%x: i8[3]) {
          %0 = tir.constant dense<1> : i8[]
          %1 = tir.div %x, %0 : f64[3]
          return %1 : "y"
        }
        """,
        PASS,
    )


def test_div_one_by_x_kept():
    assert_unchanged(
        """
        func @main(%x: f32[3]) {
          %0 = tir.constant dense<1.0> : f32[]
          %1 = tir.div %0, %x : f32[3]
          return %1 : "y"
        }
        """,
        PASS,
    )


# -- x + 0, x - 0 ------------------------------------------------------------------------------


def test_add_zero_float_positive_zero_kept():
    """x + 0.0 is +0.0 at x = -0.0, not x."""
    source = """
        func @main(%x: f32[9]) {
          %0 = tir.constant dense<0.0> : f32[]
          %1 = tir.add %x, %0 : f32[9]
          return %1 : "y"
        }
    """
    assert_unchanged(source, PASS)
    (y,) = assert_numbers(source, [PASS], [SPECIAL_F32])
    assert not np.signbit(y[0])  # -0.0 + 0.0


def test_add_zero_float_negative_zero_removed():
    source = """
        func @main(%x: f32[9]) {
          %0 = tir.constant dense<-0.0> : f32[]
          %1 = tir.add %x, %0 : f32[9]
          return %1 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[9]) {
          return %x : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [SPECIAL_F32])


def test_add_zero_negative_zero_first_removed():
    source = """
        func @main(%x: f64[2]) {
          %0 = tir.constant dense<-0.0> : f64[2]
          %1 = tir.add %0, %x : f64[2]
          %2 = tir.sqrt %1 : f64[2]
          return %2 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f64[2]) {
          %0 = tir.sqrt %x : f64[2]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [np.array([-0.0, 0.0])])


def test_add_zero_mixed_signed_zeros_kept():
    assert_unchanged(
        """
        func @main(%x: f32[2]) {
          %0 = tir.constant dense<[-0.0, 0.0]> : f32[2]
          %1 = tir.add %x, %0 : f32[2]
          return %1 : "y"
        }
        """,
        PASS,
    )


def test_add_zero_int_removed():
    source = """
        func @main(%x: i8[5]) {
          %0 = tir.constant dense<0> : i8[]
          %1 = tir.add %x, %0 : i8[5]
          return %1 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: i8[5]) {
          return %x : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [I8_BOUNDS])


def test_add_zero_int_literal_to_float_kept():
    """An i8 0 added to an f32 is +0.0 in f32: still not the identity at x = -0.0."""
    source = """
        func @main(%x: f32[9]) {
          %0 = tir.constant dense<0> : i8[]
          %1 = tir.add %x, %0 : f32[9]
          return %1 : "y"
        }
    """
    assert_unchanged(source, PASS)
    assert_numbers(source, [PASS], [SPECIAL_F32])


def test_add_zero_broadcasting_kept():
    assert_unchanged(
        """
        func @main(%x: i32[3]) {
          %0 = tir.constant dense<0> : i32[2, 3]
          %1 = tir.add %x, %0 : i32[2, 3]
          return %1 : "y"
        }
        """,
        PASS,
    )


def test_add_zero_three_operands_kept():
    assert_unchanged(
        """
        func @main(%x: i32[3], %y: i32[3]) {
          %0 = tir.constant dense<0> : i32[]
          %1 = tir.add %x, %y, %0 : i32[3]
          return %1 : "y"
        }
        """,
        PASS,
    )


SUB_ZERO = """
    func @main(%x: f32[9]) {
      %0 = tir.constant dense<0.0> : f32[]
      %1 = tir.sub %x, %0 : f32[9]
      return %1 : "y"
    }
"""


def test_sub_zero_removed():
    """x - 0.0 is x, even at x = -0.0."""
    assert_golden(
        SUB_ZERO,
        PASS,
        """
        func @main(%x: f32[9]) {
          return %x : "y"
        }
        """,
    )
    assert_numbers(SUB_ZERO, [PASS], [SPECIAL_F32])


def test_sub_zero_int_removed():
    source = """
        func @main(%x: i8[5]) {
          %0 = tir.constant dense<0> : i8[5]
          %1 = tir.sub %x, %0 : i8[5]
          return %1 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: i8[5]) {
          return %x : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [I8_BOUNDS])


def test_sub_negative_zero_kept():
    """x - (-0.0) is x + 0.0: +0.0 at x = -0.0."""
    source = """
        func @main(%x: f32[9]) {
          %0 = tir.constant dense<-0.0> : f32[]
          %1 = tir.sub %x, %0 : f32[9]
          return %1 : "y"
        }
    """
    assert_unchanged(source, PASS)
    (y,) = assert_numbers(source, [PASS], [SPECIAL_F32])
    assert not np.signbit(y[0])


def test_sub_mixed_signed_zeros_kept():
    """One -0.0 element is enough to make x - c differ from x."""
    source = """
        func @main(%x: f32[2]) {
          %0 = tir.constant dense<[0.0, -0.0]> : f32[2]
          %1 = tir.sub %x, %0 : f32[2]
          return %1 : "y"
        }
    """
    assert_unchanged(source, PASS)
    assert_numbers(source, [PASS], [f32(-0.0, -0.0)])


def test_sub_zero_minus_x_kept():
    assert_unchanged(
        """
        func @main(%x: f32[3]) {
          %0 = tir.constant dense<0.0> : f32[]
          %1 = tir.sub %0, %x : f32[3]
          return %1 : "y"
        }
        """,
        PASS,
    )


def test_sub_zero_broadcasting_kept():
    assert_unchanged(
        """
        func @main(%x: f32[3]) {
          %0 = tir.constant dense<0.0> : f32[2, 1]
          %1 = tir.sub %x, %0 : f32[2, 3]
          return %1 : "y"
        }
        """,
        PASS,
    )


# -- constant operand last ---------------------------------------------------------------------


def test_constant_operand_last_add():
    source = """
        func @main(%x: f32[9]) {
          %0 = tir.constant dense<2.0> : f32[]
          %1 = tir.add %0, %x : f32[9]
          return %1 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[9]) {
          %0 = tir.constant dense<2.0> : f32[]
          %1 = tir.add %x, %0 : f32[9]
          return %1 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [SPECIAL_F32])


def test_constant_operand_last_mul_eq_and_int_maximum():
    source = """
        func @main(%x: i8[5]) {
          %0 = tir.constant dense<3> : i8[]
          %1 = tir.mul %0, %x : i8[5]
          %2 = tir.eq %0, %1 : bool[5]
          %3 = tir.maximum %0, %x : i8[5]
          return %2, %3 : "e", "m"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: i8[5]) {
          %0 = tir.constant dense<3> : i8[]
          %1 = tir.mul %x, %0 : i8[5]
          %2 = tir.eq %1, %0 : bool[5]
          %3 = tir.maximum %x, %0 : i8[5]
          return %2, %3 : "e", "m"
        }
        """,
    )
    assert_numbers(source, [PASS], [I8_BOUNDS])


def test_constant_operand_last_float_maximum_kept():
    """maximum(0.0, -0.0) and maximum(-0.0, 0.0) differ: float max/min are not swapped."""
    source = """
        func @main(%x: f32[9]) {
          %0 = tir.constant dense<0.0> : f32[]
          %1 = tir.maximum %0, %x : f32[9]
          %2 = tir.minimum %0, %1 : f32[9]
          return %2 : "y"
        }
    """
    assert_unchanged(source, PASS)
    assert_numbers(source, [PASS], [SPECIAL_F32])


def test_constant_operand_last_non_commutative_kept():
    assert_unchanged(
        """
        func @main(%x: f32[3]) {
          %0 = tir.constant dense<2.0> : f32[]
          %1 = tir.sub %0, %x : f32[3]
          %2 = tir.lt %0, %1 : bool[3]
          return %2 : "y"
        }
        """,
        PASS,
    )


def test_constant_operand_last_three_operands_kept():
    assert_unchanged(
        """
        func @main(%x: f32[3], %y: f32[3]) {
          %0 = tir.constant dense<2.0> : f32[]
          %1 = tir.add %0, %x, %y : f32[3]
          return %1 : "y"
        }
        """,
        PASS,
    )


def test_constant_operand_last_two_constants_kept():
    assert_unchanged(
        """
        func @main(%x: f32[3]) {
          %0 = tir.constant dense<2.0> : f32[]
          %1 = tir.constant dense<3.0> : f32[3]
          %2 = tir.add %0, %1 : f32[3]
          %3 = tir.add %2, %x : f32[3]
          return %3 : "y"
        }
        """,
        PASS,
    )


# -- the pass as a whole -----------------------------------------------------------------------


def test_canonicalize_erases_dead_ops_and_counts_hits():
    source = """
        func @main(%x: f32[2, 3]) {
          %0 = tir.constant dense<7.0> : f32[]
          %1 = tir.transpose %x {perm = [1, 0]} : f32[3, 2]
          %2 = tir.transpose %1 {perm = [1, 0]} : f32[2, 3]
          %3 = tir.neg %2 : f32[2, 3]
          %4 = tir.neg %3 : f32[2, 3]
          return %4 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[2, 3]) {
          return %x : "y"
        }
        """,
    )
    (stats,) = run_stats(source, PASS)
    assert stats.changed
    assert (stats.ops_before, stats.ops_after) == (5, 0)
    assert stats.counters == {
        "transpose_of_transpose": 1,
        "transpose_identity": 1,
        "neg_of_neg": 1,
        "dead-ops-erased": 3,  # the constant, the inner transpose, the inner neg
    }
    assert_numbers(source, [PASS], [_iota(2, 3)])


def test_canonicalize_canonical_module_reports_no_change():
    source = """
        func @main(%x: f32[3]) {
          %0 = tir.constant dense<2.0> : f32[]
          %1 = tir.add %x, %0 : f32[3]
          %2 = tir.maximum %0, %1 : f32[3]
          return %2 : "y"
        }
    """
    assert_unchanged(source, PASS)
    (stats,) = run_stats(source, PASS)
    assert not stats.changed
    assert stats.counters == {}


def test_canonicalize_every_pattern_states_its_rule():
    for p in PATTERNS:
        assert p.rule.startswith("`tir."), p.name
    assert len({p.name for p in PATTERNS}) == len(PATTERNS)


def test_canonicalize_negative_zero_constant_reads_back():
    """Sanity check of the golden inputs: the -0.0 constant reads back with its sign."""
    module = parse_module(
        ir(
            """
            func @main() {
              %0 = tir.constant dense<-0.0> : f32[]
              return %0 : "y"
            }
            """
        )
    )
    (value,) = [op.attributes["value"].array for op in module.func.ops if op.attributes]
    assert np.signbit(value)


KEEPDIMS_BY_UNSQUEEZE = """
    func @main(%x: f32[2, 3, 4]) {
      %0 = tir.reduce_max %x {axes = [2, 0], keepdims = false} : f32[3]
      %1 = tir.unsqueeze %0 {axes = [0, -1]} : f32[1, 3, 1]
      return %1 : "y"
    }
"""


def test_unsqueeze_of_a_reduction_keeps_its_dims():
    assert_golden(
        KEEPDIMS_BY_UNSQUEEZE,
        "canonicalize",
        """
        func @main(%x: f32[2, 3, 4]) {
          %0 = tir.reduce_max %x {axes = [2, 0], keepdims = true} : f32[1, 3, 1]
          return %0 : "y"
        }
        """,
    )
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    x[1, 2, 3] = np.nan
    assert_numbers(KEEPDIMS_BY_UNSQUEEZE, "canonicalize", [x])


def test_unsqueeze_elsewhere_or_of_a_shared_reduction_stays():
    assert_unchanged(KEEPDIMS_BY_UNSQUEEZE.replace("{axes = [0, -1]}", "{axes = [0, 1]}")
                     .replace("f32[1, 3, 1]", "f32[1, 1, 3]"), "canonicalize")  # fmt: skip
    shared = KEEPDIMS_BY_UNSQUEEZE.replace('return %1 : "y"', 'return %1, %0 : "y", "m"')
    assert_unchanged(shared, "canonicalize")
