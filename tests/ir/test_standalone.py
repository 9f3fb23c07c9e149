"""The IR and the passes stand on their own: importing them does not load PyTensor or ``nn/``.

Checked in a fresh interpreter (``sys.modules`` of a subprocess), since this test process has
imported PyTensor long before.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["ir", "ir.interpreter", "passes"])
def test_import_does_not_load_pytensor_or_nn(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pytensor', 'nn'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"import {module} loaded {out}"
