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


def test_builder_scripts_import_from_the_working_directory_under_ptonnx(tmp_path) -> None:
    """`ptonnx` (an entry point: the working directory is not on sys.path) finds the modules
    `python -m compiler` finds, e.g. a project's own package imported by the builder."""
    (tmp_path / "shapes_of_mine.py").write_text("N = 3\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "net.py").write_text(
        "import pytensor.tensor as pt\n"
        "from shapes_of_mine import N\n\n\n"
        "def build():\n"
        "    x = pt.vector('x', shape=(N,))\n"
        "    return [x], [pt.exp(x)]\n"
    )
    from pathlib import Path

    ptonnx = str(Path(sys.executable).parent / "ptonnx")
    for command in ([ptonnx], [sys.executable, "-m", "compiler"]):
        done = subprocess.run(
            [*command, "compile", "models/net.py:build", "-o", "net.onnx"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        assert "wrote net.onnx" in done.stdout
