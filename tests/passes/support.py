"""Pass-test helpers: the public ``compiler.testing`` ones, plus this suite's test values."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from compiler.testing import (
    assert_checks,
    assert_golden,
    assert_unchanged,
    ir,
)
from compiler.testing import assert_preserves_numbers as assert_numbers
from compiler.testing import run_stats as _run_stats
from passes import PassStats


def run_stats(source: str, *passes: str) -> list[PassStats]:
    """The ``PassStats`` of running ``passes`` over ``source``."""
    return _run_stats(source, passes)[1]


def f32(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float32)


#: Float special values most rewrites must keep exactly.
SPECIAL_F32 = f32(-0.0, 0.0, 1.0, -1.5, np.nan, np.inf, -np.inf, 3.0e38, -1.0e-45)

__all__: Sequence[str] = [
    "SPECIAL_F32",
    "assert_checks",
    "assert_golden",
    "assert_numbers",
    "assert_unchanged",
    "f32",
    "ir",
    "run_stats",
]
