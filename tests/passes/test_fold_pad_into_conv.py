"""`fold-pad-into-conv`: a +0 padding of only the spatial axes of a convolution's input joins
the convolution's explicit pads; every other padding is left alone."""

from __future__ import annotations

import numpy as np
import pytest

from passes import DEFAULT_PIPELINE
from tests.passes.support import assert_golden, assert_numbers, assert_unchanged, run_stats

PASS = "fold-pad-into-conv"
RNG = np.random.default_rng(11)


def conv_attrs(pads: str, *, auto_pad: str = "explicit", strides: str = "[1, 1]") -> str:
    """tir.conv attributes as printed."""
    return (f'{{auto_pad = "{auto_pad}", dilations = [1, 1], flip = true, group = 1, '
            f"pads = {pads}, strides = {strides}}}")  # fmt: skip


def padded_conv(*, fill: str = "0.0", pads: str = "[0, 0, 2, 1, 0, 0, 1, 0]",
                mode: str = "constant", conv: str | None = None, out: str = "f32[2, 3, 7, 9]",
                padded: str = "f32[2, 2, 9, 8]") -> str:  # fmt: skip
    """A conv of a padded (2, 2, 6, 7) input with a (3, 2, 3, 2) kernel."""
    value = f"%zero = tir.constant dense<{fill}> : f32[]\n      " if mode == "constant" else ""
    operands = "%x, %zero" if mode == "constant" else "%x"
    return f"""
    func @main(%x: f32[2, 2, 6, 7], %w: f32[3, 2, 3, 2]) {{
      {value}%padded = tir.pad {operands} {{mode = "{mode}", pads = {pads}}} : {padded}
      %0 = tir.conv %padded, %w {conv or conv_attrs("[0, 1, 0, 1]")} : {out}
      return %0 : "y"
    }}
    """


def pad_attrs(pads: str) -> str:
    return f'{{mode = "constant", pads = {pads}}}'


#: The result of padded_conv's conv with SAME_UPPER padding.
SAME_OUT = "f32[2, 3, 9, 8]"
SIDES = pad_attrs("[0, 0, 1, 1, 0, 0, 1, 1]")


def feeds() -> list[np.ndarray]:
    return [RNG.standard_normal(s).astype(np.float32) for s in ((2, 2, 6, 7), (3, 2, 3, 2))]


def test_fold_pad_into_conv_adds_the_widths_to_the_pads():
    source = padded_conv()
    assert_golden(
        source,
        PASS,
        f"""
        func @main(%x: f32[2, 2, 6, 7], %w: f32[3, 2, 3, 2]) {{
          %0 = tir.conv %x, %w {conv_attrs("[2, 2, 1, 1]")} : f32[2, 3, 7, 9]
          return %0 : "y"
        }}
        """,
    )
    assert_numbers(source, PASS, feeds())
    (stats,) = run_stats(source, PASS)
    assert stats.counters == {"fold_pad_into_conv": 1, "dead-ops-erased": 2}  # pad and its 0.0


def test_fold_pad_into_conv_with_strides():
    """Conv pads are zero padding of the input whatever the stride."""
    source = padded_conv(conv=conv_attrs("[0, 1, 0, 1]", strides="[2, 3]"), out="f32[2, 3, 4, 3]")
    assert_golden(
        source,
        PASS,
        f"""
        func @main(%x: f32[2, 2, 6, 7], %w: f32[3, 2, 3, 2]) {{
          %0 = tir.conv %x, %w {conv_attrs("[2, 2, 1, 1]", strides="[2, 3]")} : f32[2, 3, 4, 3]
          return %0 : "y"
        }}
        """,
    )
    assert_numbers(source, PASS, feeds())


def test_fold_pad_into_conv_keeps_the_pad_for_its_other_readers():
    source = f"""
        func @main(%x: f32[2, 2, 6, 7], %w: f32[3, 2, 3, 2]) {{
          %0 = tir.constant dense<0.0> : f32[]
          %1 = tir.pad %x, %0 {SIDES} : f32[2, 2, 8, 9]
          %2 = tir.conv %1, %w {conv_attrs("[0, 0, 0, 0]")} : f32[2, 3, 6, 8]
          return %2, %1 : "y", "padded"
        }}
    """
    assert_golden(
        source,
        PASS,
        f"""
        func @main(%x: f32[2, 2, 6, 7], %w: f32[3, 2, 3, 2]) {{
          %0 = tir.constant dense<0.0> : f32[]
          %1 = tir.pad %x, %0 {SIDES} : f32[2, 2, 8, 9]
          %2 = tir.conv %x, %w {conv_attrs("[1, 1, 1, 1]")} : f32[2, 3, 6, 8]
          return %2, %1 : "y", "padded"
        }}
        """,
    )
    assert_numbers(source, PASS, feeds())


def test_fold_pad_into_conv_symbolic_sizes():
    source = f"""
        func @main(%x: f32[n, 2, h, w], %k: f32[3, 2, 3, 3]) {{
          %0 = tir.constant dense<0.0> : f32[]
          %1 = tir.pad %x, %0 {SIDES} : f32[n, 2, ?, ?]
          %2 = tir.conv %1, %k {conv_attrs("[0, 0, 0, 0]")} : f32[n, 3, ?, ?]
          return %2 : "y"
        }}
    """
    assert_golden(
        source,
        PASS,
        f"""
        func @main(%x: f32[n, 2, h, w], %k: f32[3, 2, 3, 3]) {{
          %0 = tir.conv %x, %k {conv_attrs("[1, 1, 1, 1]")} : f32[n, 3, ?, ?]
          return %0 : "y"
        }}
        """,
    )
    x = RNG.standard_normal((1, 2, 4, 5)).astype(np.float32)
    assert_numbers(source, PASS, [x, RNG.standard_normal((3, 2, 3, 3)).astype(np.float32)])


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(padded_conv(fill="1.0"), id="nonzero-fill"),
        pytest.param(padded_conv(fill="-0.0"), id="negative-zero-fill"),
        pytest.param(padded_conv(mode="edge"), id="edge-mode"),
        pytest.param(
            padded_conv(pads="[0, 1, 2, 1, 0, 0, 1, 0]", padded="f32[2, 3, 9, 8]").replace(
                "%w: f32[3, 2, 3, 2]", "%w: f32[3, 3, 3, 2]"
            ),
            id="channel-axis",
        ),
        pytest.param(
            padded_conv(conv=conv_attrs("[0, 0, 0, 0]", auto_pad="same_upper"), out=SAME_OUT),
            id="same-upper",
        ),
    ],
)
def test_fold_pad_into_conv_leaves_other_paddings(source):
    assert_unchanged(source, PASS)


def test_fold_pad_into_conv_leaves_a_padded_kernel():
    assert_unchanged(
        f"""
        func @main(%x: f32[1, 1, 6, 6], %w: f32[1, 1, 2, 2]) {{
          %0 = tir.constant dense<0.0> : f32[]
          %1 = tir.pad %w, %0 {pad_attrs("[0, 0, 1, 1, 0, 0, 0, 0]")} : f32[1, 1, 3, 3]
          %2 = tir.conv %x, %1 {conv_attrs("[0, 0, 0, 0]")} : f32[1, 1, 4, 4]
          return %2 : "y"
        }}
        """,
        PASS,
    )


def test_fold_pad_into_conv_runs_before_kernel_flipping():
    assert DEFAULT_PIPELINE.index(PASS) + 1 == DEFAULT_PIPELINE.index("flip-conv-kernels")
