"""The README stays true: its test command is what CI runs, and its main job runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    return [b.strip() for b in blocks]


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    assert "compiler.demo" in commands[0] and "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci_lines = (REPO / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci_lines


def test_demo_main_job_runs(tmp_path: Path) -> None:
    out = tmp_path / "model.onnx"
    proc = subprocess.run(
        [sys.executable, "-m", "compiler.demo", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "IR before the passes" in proc.stdout and "IR after the passes" in proc.stdout
    assert "IR Dump After" not in proc.stdout  # each pass's IR only with --print-ir-after-all
    assert "max abs error" in proc.stdout
    assert out.stat().st_size > 0


def test_readme_first_python_snippet_runs(tmp_path: Path) -> None:
    """The opening example runs as written (in a scratch folder: it writes model.onnx)."""
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    proc = subprocess.run(
        [sys.executable, "-c", blocks[0]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "func @main" in proc.stdout and (tmp_path / "model.onnx").stat().st_size > 0
