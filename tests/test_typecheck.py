"""The IR and the passes type-check under mypy --strict (configured in pyproject.toml).

Runs ``python -m mypy`` as CI would: its ``files`` and ``strict`` come from ``[tool.mypy]``.
A cold run takes about 10 s (its cache, ``.mypy_cache``, makes later runs faster).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ir_and_passes_type_check_strictly() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"mypy reports errors:\n{result.stdout}{result.stderr}"
    assert "Success: no issues found" in result.stdout
