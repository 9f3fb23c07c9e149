"""`flip-conv-kernels`: a true convolution becomes a cross-correlation with a reversed
kernel: reversed at compile time when constant, by a `tir.slice` with step -1 otherwise."""

from __future__ import annotations

import numpy as np

from tests.passes.support import assert_golden, assert_numbers, assert_unchanged, run_stats

PASS = "flip-conv-kernels"
RNG = np.random.default_rng(3)
#: tir.conv attributes, as printed: one group with explicit pads, two with same_upper.
ONE = 'auto_pad = "explicit", dilations = [1, 1], flip = {}, group = 1, pads = [0, 1, 1, 0]'
TWO = 'auto_pad = "same_upper", dilations = [1, 1], flip = {}, group = 2, pads = [0, 0, 0, 0]'
ONE_FLIP, ONE_PLAIN = ("{" + ONE.format(f) + ", strides = [1, 1]}" for f in ("true", "false"))
TWO_FLIP, TWO_PLAIN = ("{" + TWO.format(f) + ", strides = [2, 1]}" for f in ("true", "false"))

CONSTANT_KERNEL = f"""
    func @main(%x: f32[1, 1, 4, 5]) {{
      %w = tir.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : f32[1, 1, 2, 2]
      %0 = tir.conv %x, %w {ONE_FLIP} : f32[1, 1, 4, 5]
      return %0 : "y"
    }}
"""


def test_constant_kernel_is_reversed_at_compile_time():
    assert_golden(
        CONSTANT_KERNEL,
        [PASS, "dce"],
        f"""
        func @main(%x: f32[1, 1, 4, 5]) {{
          %w_flipped = tir.constant dense<[[[[4.0, 3.0], [2.0, 1.0]]]]> : f32[1, 1, 2, 2]
          %0 = tir.conv %x, %w_flipped {ONE_PLAIN} : f32[1, 1, 4, 5]
          return %0 : "y"
        }}
        """,
    )


def test_constant_kernel_numbers_unchanged():
    assert_numbers(CONSTANT_KERNEL, PASS, [RNG.standard_normal((1, 1, 4, 5)).astype("float32")])


RUNTIME_KERNEL = f"""
    func @main(%x: f32[2, 4, 6, 6], %w: f32[6, 2, 3, 2], %b: f32[6]) {{
      %0 = tir.conv %x, %w, %b {TWO_FLIP} : f32[2, 6, 3, 6]
      return %0 : "y"
    }}
"""


def test_run_time_kernel_is_reversed_by_a_slice():
    assert_golden(
        RUNTIME_KERNEL,
        PASS,
        f"""
        func @main(%x: f32[2, 4, 6, 6], %w: f32[6, 2, 3, 2], %b: f32[6]) {{
          %0 = tir.constant dense<-1> : i64[2]
          %1 = tir.constant dense<-9223372036854775808> : i64[2]
          %2 = tir.constant dense<-1> : i64[2]
          %3 = tir.slice %w, %0, %1, %2 {{axes = [2, 3]}} : f32[6, 2, 3, 2]
          %4 = tir.conv %x, %3, %b {TWO_PLAIN} : f32[2, 6, 3, 6]
          return %4 : "y"
        }}
        """,
    )


def test_run_time_kernel_numbers_unchanged():
    feeds = [RNG.standard_normal(s).astype("float32") for s in ((2, 4, 6, 6), (6, 2, 3, 2), (6,))]
    assert_numbers(RUNTIME_KERNEL, PASS, feeds)


def test_cross_correlation_is_left_alone():
    assert_unchanged(CONSTANT_KERNEL.replace(ONE_FLIP, ONE_PLAIN), PASS)
    stats = run_stats(CONSTANT_KERNEL, PASS)
    assert stats[0].counters == {"flip_conv_kernel": 1, "dead-ops-erased": 1}  # the old %w
