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


def test_readme_first_python_snippet_prints_and_writes_what_it_says(tmp_path: Path) -> None:
    """The opening example prints the IR and writes model.onnx."""
    blocks = python_snippets()
    proc = subprocess.run(
        [sys.executable, "-c", blocks[0]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "func @main" in proc.stdout and (tmp_path / "model.onnx").stat().st_size > 0


# -- every snippet runs -------------------------------------------------------------------------


def python_snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)


def test_every_python_snippet_runs_as_written(tmp_path: Path) -> None:
    """Each ```python block of the README runs as written, in order, in one scratch folder (a
    snippet may read the file an earlier one wrote, as a reader following along would)."""
    for index, snippet in enumerate(python_snippets()):
        proc = subprocess.run(
            [sys.executable, "-c", snippet],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, f"README snippet {index} failed:\n{snippet}\n{proc.stderr}"


def _masked(text: str) -> list[str]:
    """Lines with measured float errors masked (they depend on the CPU's kernels)."""
    return [re.sub(r"\d\.\d+e[-+]\d+", "<float>", line) for line in text.strip().splitlines()]


def test_command_line_example_runs_as_shown(tmp_path: Path) -> None:
    """The ```console block: each `$ ptonnx ...` command runs in a folder holding the README's
    example script and IR text, and prints what the README shows."""
    text = (REPO / "README.md").read_text()
    console = re.findall(r"```console\n(.*?)```", text, flags=re.S)[0]
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "mlp.py").write_text((REPO / "examples" / "mlp.py").read_text())
    ir_text = re.search(r"The IR text form.*?```\n(.*?)```", text, flags=re.S)
    assert ir_text is not None
    (tmp_path / "stage.tir").write_text(ir_text.group(1))
    ptonnx = str(Path(sys.executable).parent / "ptonnx")
    commands = re.split(r"^\$ ", console, flags=re.M)[1:]
    assert commands, "no commands in the console block"
    for block in commands:
        command, _, shown = block.partition("\n")
        command = command.split("  #")[0].strip()
        proc = subprocess.run(
            command.replace("ptonnx", ptonnx, 1),
            shell=True,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, f"{command}: {proc.stderr}"
        assert _masked(proc.stdout) == _masked(shown), command
    assert (tmp_path / "mlp.dot").stat().st_size > 0 and (tmp_path / "out.tir").exists()
