"""The command line starts light: --version, and `opt --help` without loading PyTensor (checked
in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys


def test_ptonnx_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "compiler", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("ptonnx ")


def test_ptonnx_opt_help_does_not_load_pytensor() -> None:
    code = (
        "import sys\n"
        "from compiler.cli import main\n"
        "assert main(['opt', '--help']) == 0\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pytensor', 'nn'))\n"
        "print('LOADED', ','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().endswith("LOADED"), out[-300:]


def test_cli_verify_dim_size_agrees_with_verify() -> None:
    from compiler.cli import VERIFY_DIM_SIZE
    from compiler.verify import DEFAULT_DIM_SIZE

    assert VERIFY_DIM_SIZE == DEFAULT_DIM_SIZE
