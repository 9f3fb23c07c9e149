"""`unify-casts`: every implicit dtype conversion of an elementwise op becomes explicit.

Constants are converted at compile time (a new `tir.constant` right after the old one); any
other value gets one `tir.cast` right after its definition (function arguments: at the start of
the function), shared by every op that needs it in that dtype. The result dtype of every op
stays exactly PyTensor's.
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

PASS = "unify-casts"

I8_BOUNDS = np.array([-128, -1, 0, 1, 127], dtype=np.int8)

# -- constants ---------------------------------------------------------------------------------

INT8_LITERAL_TIMES_F32 = """
    func @main(%x: f32[batch, 3]) {
      %0 = tir.constant dense<2> : i8[]
      %1 = tir.mul %x, %0 : f32[batch, 3]
      return %1 : "y"
    }
"""


def test_constant_int8_literal_times_f32_is_converted():
    assert_golden(
        INT8_LITERAL_TIMES_F32,
        PASS,
        """
        func @main(%x: f32[batch, 3]) {
          %0 = tir.constant dense<2> : i8[]
          %1 = tir.constant dense<2.0> : f32[]
          %2 = tir.mul %x, %1 : f32[batch, 3]
          return %2 : "y"
        }
        """,
    )
    assert_numbers(INT8_LITERAL_TIMES_F32, [PASS], [SPECIAL_F32.reshape(3, 3)])


def test_constant_converted_then_dead_original_removed_by_dce():
    assert_golden(
        INT8_LITERAL_TIMES_F32,
        [PASS, "dce"],
        """
        func @main(%x: f32[batch, 3]) {
          %0 = tir.constant dense<2.0> : f32[]
          %1 = tir.mul %x, %0 : f32[batch, 3]
          return %1 : "y"
        }
        """,
    )


INT8_BOUNDS_CONSTANT = """
    func @main(%x: f32[5]) {
      %0 = tir.constant dense<[-128, -1, 0, 1, 127]> : i8[5]
      %1 = tir.add %0, %x : f32[5]
      return %1 : "y"
    }
"""


def test_constant_int8_bounds_converted_exactly():
    assert_golden(
        INT8_BOUNDS_CONSTANT,
        PASS,
        """
        func @main(%x: f32[5]) {
          %0 = tir.constant dense<[-128, -1, 0, 1, 127]> : i8[5]
          %1 = tir.constant dense<[-128.0, -1.0, 0.0, 1.0, 127.0]> : f32[5]
          %2 = tir.add %1, %x : f32[5]
          return %2 : "y"
        }
        """,
    )
    assert_numbers(INT8_BOUNDS_CONSTANT, [PASS], [SPECIAL_F32[:5]])


def test_constant_shared_by_two_ops_is_converted_once():
    source = """
        func @main(%x: f32[3], %y: f32[3]) {
          %0 = tir.constant dense<3> : i8[]
          %1 = tir.mul %x, %0 : f32[3]
          %2 = tir.sub %y, %0 : f32[3]
          return %1, %2 : "a", "b"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[3], %y: f32[3]) {
          %0 = tir.constant dense<3> : i8[]
          %1 = tir.constant dense<3.0> : f32[]
          %2 = tir.mul %x, %1 : f32[3]
          %3 = tir.sub %y, %1 : f32[3]
          return %2, %3 : "a", "b"
        }
        """,
    )
    (stats,) = run_stats(source, PASS)
    assert stats.counters == {"constants-converted": 1}


# -- casts of values ---------------------------------------------------------------------------

F32_TIMES_F64_CONSTANT = """
    func @main(%x: f32[4]) {
      %0 = tir.constant dense<0.1> : f64[]
      %1 = tir.mul %x, %0 : f64[4]
      return %1 : "y"
    }
"""


def test_cast_f32_operand_of_f64_constant():
    """The product stays f64, as in PyTensor: the f32 operand is cast, not the constant."""
    assert_golden(
        F32_TIMES_F64_CONSTANT,
        PASS,
        """
        func @main(%x: f32[4]) {
          %0 = tir.cast %x {to = f64} : f64[4]
          %1 = tir.constant dense<0.1> : f64[]
          %2 = tir.mul %0, %1 : f64[4]
          return %2 : "y"
        }
        """,
    )
    (result,) = assert_numbers(
        F32_TIMES_F64_CONSTANT, [PASS], [np.array([0.1, -0.0, np.nan, 3e38], np.float32)]
    )
    assert result.dtype == np.float64
    # Computed in f64: 0.1f * 0.1 is not the f32 product.
    assert result[0] == np.float64(np.float32(0.1)) * 0.1


SHARED_CAST = """
    func @main(%x: f32[3], %y: f64[3]) {
      %0 = tir.exp %x : f32[3]
      %1 = tir.add %0, %y : f64[3]
      %2 = tir.mul %0, %y : f64[3]
      %3 = tir.sub %y, %0 : f64[3]
      return %1, %2, %3 : "a", "b", "c"
    }
"""


def test_cast_shared_by_several_users():
    assert_golden(
        SHARED_CAST,
        PASS,
        """
        func @main(%x: f32[3], %y: f64[3]) {
          %0 = tir.exp %x : f32[3]
          %1 = tir.cast %0 {to = f64} : f64[3]
          %2 = tir.add %1, %y : f64[3]
          %3 = tir.mul %1, %y : f64[3]
          %4 = tir.sub %y, %1 : f64[3]
          return %2, %3, %4 : "a", "b", "c"
        }
        """,
    )
    assert_numbers(
        SHARED_CAST,
        [PASS],
        [np.array([-np.inf, 0.0, np.nan], np.float32), np.array([-0.0, 1e300, 2.0])],
    )
    (stats,) = run_stats(SHARED_CAST, PASS)
    assert stats.changed
    assert stats.counters == {"casts-inserted": 1}


TWO_DTYPES_OF_ONE_VALUE = """
    func @main(%x: i8[5], %a: f32[5], %b: f64[5]) {
      %0 = tir.neg %x : i8[5]
      %1 = tir.add %0, %a : f32[5]
      %2 = tir.add %0, %b : f64[5]
      return %1, %2 : "p", "q"
    }
"""


def test_cast_to_two_dtypes_both_right_after_the_definition():
    """Each new cast goes right after the definition, so the later one comes first."""
    assert_golden(
        TWO_DTYPES_OF_ONE_VALUE,
        PASS,
        """
        func @main(%x: i8[5], %a: f32[5], %b: f64[5]) {
          %0 = tir.neg %x : i8[5]
          %1 = tir.cast %0 {to = f64} : f64[5]
          %2 = tir.cast %0 {to = f32} : f32[5]
          %3 = tir.add %2, %a : f32[5]
          %4 = tir.add %1, %b : f64[5]
          return %3, %4 : "p", "q"
        }
        """,
    )
    assert_numbers(
        TWO_DTYPES_OF_ONE_VALUE,
        [PASS],
        [I8_BOUNDS, SPECIAL_F32[:5], np.array([0.5, -0.0, np.nan, 1e-300, -1.0])],
    )


ARGUMENT_CAST = """
    func @main(%x: i16[4], %y: f32[4]) {
      %0 = tir.abs %y : f32[4]
      %1 = tir.add %x, %0 : f32[4]
      %2 = tir.maximum %0, %x : f32[4]
      return %1, %2 : "a", "b"
    }
"""


def test_cast_of_argument_at_function_start():
    assert_golden(
        ARGUMENT_CAST,
        PASS,
        """
        func @main(%x: i16[4], %y: f32[4]) {
          %0 = tir.cast %x {to = f32} : f32[4]
          %1 = tir.abs %y : f32[4]
          %2 = tir.add %0, %1 : f32[4]
          %3 = tir.maximum %1, %0 : f32[4]
          return %2, %3 : "a", "b"
        }
        """,
    )
    assert_numbers(
        ARGUMENT_CAST,
        [PASS],
        [np.array([-32768, 32767, 0, -1], np.int16), f32(-0.0, np.nan, 0.5, -np.inf)],
    )


TWO_ARGUMENT_CASTS = """
    func @main(%x: i8[3], %y: u8[3], %z: f32[3]) {
      %0 = tir.add %x, %z : f32[3]
      %1 = tir.add %y, %z : f32[3]
      return %0, %1 : "a", "b"
    }
"""


def test_cast_of_two_arguments_at_function_start():
    """Each new argument cast goes first in the function (right after the arguments)."""
    assert_golden(
        TWO_ARGUMENT_CASTS,
        PASS,
        """
        func @main(%x: i8[3], %y: u8[3], %z: f32[3]) {
          %0 = tir.cast %y {to = f32} : f32[3]
          %1 = tir.cast %x {to = f32} : f32[3]
          %2 = tir.add %1, %z : f32[3]
          %3 = tir.add %0, %z : f32[3]
          return %2, %3 : "a", "b"
        }
        """,
    )
    assert_numbers(
        TWO_ARGUMENT_CASTS,
        [PASS],
        [
            np.array([-128, 0, 127], np.int8),
            np.array([0, 255, 1], np.uint8),
            f32(-0.0, np.nan, 0.25),
        ],
    )


def test_cast_mixed_integers_to_common_integer():
    source = """
        func @main(%x: u8[4]) {
          %0 = tir.constant dense<-128> : i8[]
          %1 = tir.mul %x, %0 : i16[4]
          return %1 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: u8[4]) {
          %0 = tir.cast %x {to = i16} : i16[4]
          %1 = tir.constant dense<-128> : i8[]
          %2 = tir.constant dense<-128> : i16[]
          %3 = tir.mul %0, %2 : i16[4]
          return %3 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [np.array([0, 1, 255, 128], np.uint8)])


# -- where, comparisons, division, float functions ---------------------------------------------

WHERE_FLOAT_CONDITION = """
    func @main(%c: f32[4], %a: f32[4], %b: f32[4]) {
      %0 = tir.where %c, %a, %b : f32[4]
      return %0 : "y"
    }
"""


def test_where_non_bool_condition_cast_to_bool():
    assert_golden(
        WHERE_FLOAT_CONDITION,
        PASS,
        """
        func @main(%c: f32[4], %a: f32[4], %b: f32[4]) {
          %0 = tir.cast %c {to = bool} : bool[4]
          %1 = tir.where %0, %a, %b : f32[4]
          return %1 : "y"
        }
        """,
    )
    # -0.0 is false, NaN is true (nonzero).
    assert_numbers(
        WHERE_FLOAT_CONDITION,
        [PASS],
        [f32(0.0, -0.0, np.nan, -2.0), f32(1, 1, 1, 1), f32(2, 2, 2, 2)],
    )


WHERE_MIXED = """
    func @main(%c: i8[3], %a: i8[3], %b: f32[3]) {
      %0 = tir.where %c, %a, %b : f32[3]
      return %0 : "y"
    }
"""


def test_where_condition_and_branch_both_cast():
    assert_golden(
        WHERE_MIXED,
        PASS,
        """
        func @main(%c: i8[3], %a: i8[3], %b: f32[3]) {
          %0 = tir.cast %a {to = f32} : f32[3]
          %1 = tir.cast %c {to = bool} : bool[3]
          %2 = tir.where %1, %0, %b : f32[3]
          return %2 : "y"
        }
        """,
    )
    assert_numbers(
        WHERE_MIXED,
        [PASS],
        [np.array([-128, 0, 1], np.int8), np.array([-128, 127, 5], np.int8), f32(-0.0, 0, 9)],
    )


WHERE_CONSTANT_CONDITION = """
    func @main(%a: f32[3], %b: f32[3]) {
      %0 = tir.constant dense<[2, 0, -128]> : i8[3]
      %1 = tir.where %0, %a, %b : f32[3]
      return %1 : "y"
    }
"""


def test_where_constant_condition_converted_to_bool():
    assert_golden(
        WHERE_CONSTANT_CONDITION,
        PASS,
        """
        func @main(%a: f32[3], %b: f32[3]) {
          %0 = tir.constant dense<[2, 0, -128]> : i8[3]
          %1 = tir.constant dense<[true, false, true]> : bool[3]
          %2 = tir.where %1, %a, %b : f32[3]
          return %2 : "y"
        }
        """,
    )
    assert_numbers(WHERE_CONSTANT_CONDITION, [PASS], [f32(1, 2, 3), f32(-1, -2, -3)])


COMPARE_MIXED = """
    func @main(%x: i32[3], %y: f32[3]) {
      %0 = tir.lt %x, %y : bool[3]
      %1 = tir.eq %y, %x : bool[3]
      return %0, %1 : "lt", "eq"
    }
"""


def test_compare_mixed_dtypes_cast_to_upcast_result_bool():
    """i32 vs f32 compares in f64 (16777217 < 16777216.0 is false, equal in f32)."""
    assert_golden(
        COMPARE_MIXED,
        PASS,
        """
        func @main(%x: i32[3], %y: f32[3]) {
          %0 = tir.cast %y {to = f64} : f64[3]
          %1 = tir.cast %x {to = f64} : f64[3]
          %2 = tir.lt %1, %0 : bool[3]
          %3 = tir.eq %0, %1 : bool[3]
          return %2, %3 : "lt", "eq"
        }
        """,
    )
    lt, eq = assert_numbers(
        COMPARE_MIXED,
        [PASS],
        [np.array([16777217, -(2**31), 0], np.int32), f32(16777216.0, np.nan, -0.0)],
    )
    assert lt.tolist() == [False, False, False]
    assert eq.tolist() == [False, False, True]


COMPARE_SMALL_INTS = """
    func @main(%x: i8[3], %y: u8[3]) {
      %0 = tir.ge %x, %y : bool[3]
      return %0 : "y"
    }
"""


def test_compare_int8_uint8_in_int16():
    assert_golden(
        COMPARE_SMALL_INTS,
        PASS,
        """
        func @main(%x: i8[3], %y: u8[3]) {
          %0 = tir.cast %y {to = i16} : i16[3]
          %1 = tir.cast %x {to = i16} : i16[3]
          %2 = tir.ge %1, %0 : bool[3]
          return %2 : "y"
        }
        """,
    )
    (ge,) = assert_numbers(
        COMPARE_SMALL_INTS,
        [PASS],
        [np.array([-128, 127, -1], np.int8), np.array([0, 255, 255], np.uint8)],
    )
    assert ge.tolist() == [False, False, False]


DIV_INTS = """
    func @main(%x: i8[4], %y: i8[4]) {
      %0 = tir.div %x, %y : f64[4]
      return %0 : "y"
    }
"""


def test_div_of_two_ints_casts_both_to_f64():
    assert_golden(
        DIV_INTS,
        PASS,
        """
        func @main(%x: i8[4], %y: i8[4]) {
          %0 = tir.cast %y {to = f64} : f64[4]
          %1 = tir.cast %x {to = f64} : f64[4]
          %2 = tir.div %1, %0 : f64[4]
          return %2 : "y"
        }
        """,
    )
    (q,) = assert_numbers(
        DIV_INTS,
        [PASS],
        [np.array([-128, 1, 0, 7], np.int8), np.array([-1, 0, 0, 2], np.int8)],
    )
    assert q[0] == 128.0 and q[1] == np.inf and np.isnan(q[2]) and q[3] == 3.5


def test_div_int_by_int_constant_converts_constant_to_f64():
    source = """
        func @main(%x: i64[2]) {
          %0 = tir.constant dense<3> : i8[]
          %1 = tir.div %x, %0 : f64[2]
          return %1 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: i64[2]) {
          %0 = tir.cast %x {to = f64} : f64[2]
          %1 = tir.constant dense<3> : i8[]
          %2 = tir.constant dense<3.0> : f64[]
          %3 = tir.div %0, %2 : f64[2]
          return %3 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [np.array([-(2**63), 2**53 + 1], np.int64)])


def test_float_function_of_int8_computes_in_f32():
    source = """
        func @main(%x: i8[3], %y: i32[3]) {
          %0 = tir.exp %x : f32[3]
          %1 = tir.sqrt %y : f64[3]
          return %0, %1 : "a", "b"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: i8[3], %y: i32[3]) {
          %0 = tir.cast %y {to = f64} : f64[3]
          %1 = tir.cast %x {to = f32} : f32[3]
          %2 = tir.exp %1 : f32[3]
          %3 = tir.sqrt %0 : f64[3]
          return %2, %3 : "a", "b"
        }
        """,
    )
    assert_numbers(
        source,
        [PASS],
        [np.array([-128, 0, 127], np.int8), np.array([-1, 2**31 - 1, 0], np.int32)],
    )


def test_pow_of_bools_computes_in_int8():
    source = """
        func @main(%x: bool[2], %y: bool[2]) {
          %0 = tir.pow %x, %y : i8[2]
          return %0 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: bool[2], %y: bool[2]) {
          %0 = tir.cast %y {to = i8} : i8[2]
          %1 = tir.cast %x {to = i8} : i8[2]
          %2 = tir.pow %1, %0 : i8[2]
          return %2 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [np.array([True, False]), np.array([False, False])])


# -- nothing to do -----------------------------------------------------------------------------

HOMOGENEOUS = """
    func @main(%x: f32[2], %y: f32[2], %c: bool[2]) {
      %0 = tir.constant dense<2.0> : f32[]
      %1 = tir.mul %x, %0 : f32[2]
      %2 = tir.where %c, %1, %y : f32[2]
      %3 = tir.lt %2, %x : bool[2]
      %4 = tir.cast %3 {to = i8} : i8[2]
      %5 = tir.second %4, %y : f32[2]
      return %5 : "y"
    }
"""


def test_homogeneous_ops_untouched():
    assert_unchanged(HOMOGENEOUS, PASS)
    (stats,) = run_stats(HOMOGENEOUS, PASS)
    assert not stats.changed
    assert stats.counters == {}
