"""The rewrite trace: ``--debug-rewrites`` (compile and opt) and ``CompileOptions(debug_rewrites=
True)`` report which pattern fired on which op, and which declined and why, per pass."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytensor.tensor as pt
import pytest

from compiler import CompileOptions, Compiler
from compiler.cli import EXIT_OK, main

SCRIPT = textwrap.dedent(
    """
    import pytensor.tensor as pt


    def build():
        x = pt.vector("x", dtype="float32")
        s = pt.sigmoid(x)
        return [x], [x * s, s]
    """
)

NEG_NEG = """\
func @main(%x: f32[4]) {
  %0 = tir.neg %x : f32[4]
  %1 = tir.neg %0 : f32[4]
  return %1 : "y"
}
"""


def test_compile_reports_rewrites_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    script = tmp_path / "model.py"
    script.write_text(SCRIPT)
    code = main(["compile", f"{script}:build", "-o", str(tmp_path / "m.onnx"), "--debug-rewrites"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    # The sigmoid is an output too, so x * sigmoid(x) is not fused, and the trace says why.
    assert "[rewrite] fuse-silu: fuse_silu declined on tir.mul: the sigmoid has other users" in err
    assert "[rewrite]" not in out


def test_compile_without_the_flag_is_silent(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    script = tmp_path / "model.py"
    script.write_text(SCRIPT)
    assert main(["compile", f"{script}:build", "-o", str(tmp_path / "m.onnx")]) == EXIT_OK
    assert "[rewrite]" not in capsys.readouterr().err


def test_opt_reports_rewrites_and_prints_the_ir(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    source = tmp_path / "in.tir"
    source.write_text(NEG_NEG)
    code = main(["opt", str(source), "-p", "canonicalize,dce", "--debug-rewrites"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert "[rewrite] canonicalize: neg_of_neg fired on tir.neg" in err
    assert out.startswith("func @main") and "tir.neg" not in out


def test_compile_option_traces_to_the_ir_stream() -> None:
    x = pt.vector("x", dtype="float32")
    stream = io.StringIO()
    Compiler(CompileOptions(debug_rewrites=True, ir_stream=stream)).compile(
        outputs=[x * pt.sigmoid(x)], inputs=[x]
    )
    assert "[rewrite] fuse-silu: fuse_silu fired on tir.mul" in stream.getvalue()
    quiet = io.StringIO()
    Compiler(CompileOptions(ir_stream=quiet)).compile(outputs=[x * pt.sigmoid(x)], inputs=[x])
    assert "[rewrite]" not in quiet.getvalue()
