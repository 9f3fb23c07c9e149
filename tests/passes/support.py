"""Helpers shared by the pass tests: golden-text checks and a bit-exact numeric check."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np

from ir.parser import parse_module
from ir.printer import print_module
from passes import PassManager, PassStats, make_passes
from tests.helpers import assert_pass_preserves_numbers, run_pass_text


def ir(text: str) -> str:
    """IR text written indented inside a test, as the printer writes it."""
    return textwrap.dedent(text).strip("\n") + "\n"


def assert_golden(source: str, passes: str | Sequence[str], expected: str) -> None:
    """Running ``passes`` over ``source`` prints exactly ``expected``."""
    names = (passes,) if isinstance(passes, str) else tuple(passes)
    assert run_pass_text(ir(source), *names) == ir(expected)


def assert_unchanged(source: str, passes: str | Sequence[str]) -> None:
    """The passes leave ``source`` (written in printed form) exactly as it is."""
    source = ir(source)
    assert print_module(parse_module(source)) == source, "the input is not in printed form"
    names = (passes,) if isinstance(passes, str) else tuple(passes)
    assert run_pass_text(source, *names) == source


def run_stats(source: str, *passes: str) -> list[PassStats]:
    """The ``PassStats`` of running ``passes`` over ``source``."""
    return PassManager(make_passes(passes), verify_each=True).run(parse_module(ir(source)))


def assert_numbers(
    source: str, passes: str | Sequence[str], feeds: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """The interpreter gives the same results before and after the passes, zero signs and NaN
    positions included. Returns the results after the passes."""
    names = (passes,) if isinstance(passes, str) else tuple(passes)
    return assert_pass_preserves_numbers(ir(source), names, feeds)


def f32(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float32)


#: Float special values most rewrites must keep exactly.
SPECIAL_F32 = f32(-0.0, 0.0, 1.0, -1.5, np.nan, np.inf, -np.inf, 3.0e38, -1.0e-45)
