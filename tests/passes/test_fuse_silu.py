"""`fuse-silu`: `x * sigmoid(x)` (either order) becomes one `tir.silu`.

Documented decisions checked here: a sigmoid with another user is not fused (opset 18 has no
SiLU, so the emitter would compute the sigmoid twice); of an n-ary product only the first two
factors may fuse (other groupings would reassociate and change rounding); mixed-dtype products
are left alone.
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

PASS = "fuse-silu"

X_TIMES_SIGMOID = """
    func @main(%x: f32[9]) {
      %0 = tir.sigmoid %x : f32[9]
      %1 = tir.mul %x, %0 : f32[9]
      return %1 : "y"
    }
"""

FUSED = """
    func @main(%x: f32[9]) {
      %0 = tir.silu %x : f32[9]
      return %0 : "y"
    }
"""


def test_fuse_silu_x_times_sigmoid():
    assert_golden(X_TIMES_SIGMOID, PASS, FUSED)
    assert_numbers(X_TIMES_SIGMOID, [PASS], [SPECIAL_F32])


SIGMOID_TIMES_X = """
    func @main(%x: f32[9]) {
      %0 = tir.sigmoid %x : f32[9]
      %1 = tir.mul %0, %x : f32[9]
      return %1 : "y"
    }
"""


def test_fuse_silu_sigmoid_times_x():
    assert_golden(SIGMOID_TIMES_X, PASS, FUSED)
    assert_numbers(SIGMOID_TIMES_X, [PASS], [SPECIAL_F32])


def test_fuse_silu_float64_symbolic_shape():
    source = """
        func @main(%x: f64[batch, 2]) {
          %0 = tir.sigmoid %x : f64[batch, 2]
          %1 = tir.mul %0, %x : f64[batch, 2]
          return %1 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f64[batch, 2]) {
          %0 = tir.silu %x : f64[batch, 2]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(source, [PASS], [np.array([[-0.0, np.nan], [-745.0, 710.0], [1.0, -1.0]])])


def test_fuse_silu_stats_count_fusion_and_dead_sigmoid():
    (stats,) = run_stats(X_TIMES_SIGMOID, PASS)
    assert stats.changed
    assert stats.counters == {"fuse_silu": 1, "dead-ops-erased": 1}
    assert (stats.ops_before, stats.ops_after) == (2, 1)


CHAINED = """
    func @main(%x: f32[9]) {
      %0 = tir.sigmoid %x : f32[9]
      %1 = tir.mul %x, %0 : f32[9]
      %2 = tir.sigmoid %1 : f32[9]
      %3 = tir.mul %2, %1 : f32[9]
      return %3 : "y"
    }
"""


def test_fuse_silu_of_silu():
    assert_golden(
        CHAINED,
        PASS,
        """
        func @main(%x: f32[9]) {
          %0 = tir.silu %x : f32[9]
          %1 = tir.silu %0 : f32[9]
          return %1 : "y"
        }
        """,
    )
    assert_numbers(CHAINED, [PASS], [SPECIAL_F32])


# -- n-ary products ----------------------------------------------------------------------------

NARY_FIRST_TWO = """
    func @main(%x: f32[3], %y: f32[2, 3]) {
      %0 = tir.sigmoid %x : f32[3]
      %1 = tir.mul %x, %0, %y : f32[2, 3]
      return %1 : "z"
    }
"""


def test_fuse_silu_nary_first_two_factors():
    """((x · s) · y) is exactly (silu(x) · y)."""
    assert_golden(
        NARY_FIRST_TWO,
        PASS,
        """
        func @main(%x: f32[3], %y: f32[2, 3]) {
          %0 = tir.silu %x : f32[3]
          %1 = tir.mul %0, %y : f32[2, 3]
          return %1 : "z"
        }
        """,
    )
    assert_numbers(
        NARY_FIRST_TWO,
        [PASS],
        [f32(-0.0, np.nan, 3.5), f32(1e38, -1e-45, np.inf, -2.0, 0.0, 1.0).reshape(2, 3)],
    )


def test_fuse_silu_nary_sigmoid_first():
    source = """
        func @main(%x: f32[3], %y: f32[3], %w: f32[3]) {
          %0 = tir.sigmoid %x : f32[3]
          %1 = tir.mul %0, %x, %y, %w : f32[3]
          return %1 : "z"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[3], %y: f32[3], %w: f32[3]) {
          %0 = tir.silu %x : f32[3]
          %1 = tir.mul %0, %y, %w : f32[3]
          return %1 : "z"
        }
        """,
    )
    assert_numbers(source, [PASS], [f32(-0.0, 4, -7), f32(3e38, 3e38, -1), f32(7, 1e-30, 0)])


def test_fuse_silu_nary_not_first_two_not_fused():
    """(y · x) · s would have to become y · silu(x): a different rounding, so not fused."""
    assert_unchanged(
        """
        func @main(%x: f32[3], %y: f32[3]) {
          %0 = tir.sigmoid %x : f32[3]
          %1 = tir.mul %y, %x, %0 : f32[3]
          return %1 : "z"
        }
        """,
        PASS,
    )


# -- not fused ---------------------------------------------------------------------------------


def test_fuse_silu_sigmoid_with_other_user_not_fused():
    """The sigmoid would be computed twice (opset 18 has no SiLU)."""
    assert_unchanged(
        """
        func @main(%x: f32[3]) {
          %0 = tir.sigmoid %x : f32[3]
          %1 = tir.mul %x, %0 : f32[3]
          return %1, %0 : "y", "s"
        }
        """,
        PASS,
    )


def test_fuse_silu_sigmoid_used_twice_by_the_product_not_fused():
    assert_unchanged(
        """
        func @main(%x: f32[3]) {
          %0 = tir.sigmoid %x : f32[3]
          %1 = tir.mul %x, %0, %0 : f32[3]
          return %1 : "y"
        }
        """,
        PASS,
    )


def test_fuse_silu_sigmoid_of_other_value_not_fused():
    assert_unchanged(
        """
        func @main(%x: f32[3], %y: f32[3]) {
          %0 = tir.sigmoid %x : f32[3]
          %1 = tir.mul %y, %0 : f32[3]
          return %1 : "z"
        }
        """,
        PASS,
    )


def test_fuse_silu_mixed_dtype_not_fused():
    """sigmoid of an i8 is f32: the product is mixed (x would compute in f32), not fused."""
    assert_unchanged(
        """
        func @main(%x: i8[3]) {
          %0 = tir.sigmoid %x : f32[3]
          %1 = tir.mul %x, %0 : f32[3]
          return %1 : "y"
        }
        """,
        PASS,
    )


def test_fuse_silu_mixed_dtype_nary_not_fused():
    assert_unchanged(
        """
        func @main(%x: f32[3], %y: f64[3]) {
          %0 = tir.sigmoid %x : f32[3]
          %1 = tir.mul %x, %0, %y : f64[3]
          return %1 : "z"
        }
        """,
        PASS,
    )


def test_fuse_silu_no_candidate_reports_no_change():
    source = """
        func @main(%x: f32[3]) {
          %0 = tir.sigmoid %x : f32[3]
          return %0 : "y"
        }
    """
    assert_unchanged(source, PASS)
    (stats,) = run_stats(source, PASS)
    assert not stats.changed


def test_fuse_silu_float16_numbers():
    source = """
        func @main(%x: f16[64]) {
          %0 = tir.sigmoid %x : f16[64]
          %1 = tir.mul %x, %0 : f16[64]
          return %1 : "y"
        }
    """
    assert_numbers(source, [PASS], [np.linspace(-8, 8, 64).astype(np.float16)])
