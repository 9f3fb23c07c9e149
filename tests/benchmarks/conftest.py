"""Fixtures of the YOLO11n tests: the reference fixture's weights and input/outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.yolo11n.model import fixture_dir, load_fixture_weights


def fixture_file(name: str) -> Path:
    """A file of the YOLO11n fixture; a missing one fails the test (never skips it)."""
    path = fixture_dir() / name
    if not path.is_file():
        pytest.fail(
            f"YOLO11n fixture file missing: {path}. The fixture is expected next to the "
            "repository (shared/fixtures/yolo11n) or in $YOLO11N_FIXTURE_DIR.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def weights() -> dict[str, np.ndarray]:
    return load_fixture_weights(fixture_file("weights.npz"))


@pytest.fixture(scope="session")
def reference() -> dict[str, np.ndarray]:
    with np.load(fixture_file("io_320.npz")) as data:
        return {key: data[key] for key in data.files}
