"""``ptonnx opt`` and ``run_opt``: passes over IR text, golden output, marked diagnostics."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import numpy as np
import pytest

from compiler.cli import EXIT_ERROR, EXIT_OK, main, run_opt
from ir.interpreter import run_module
from ir.parser import ParseError, parse_module
from ir.verifier import VerificationError
from passes import PassFailure

SOURCE = textwrap.dedent(
    """\
    func @main(%x: f32[batch, 3]) {
      %0 = tir.constant dense<2> : i8[]
      %1 = tir.mul %x, %0 : f32[batch, 3]
      %2 = tir.dimshuffle %1 {order = [1, 0]} : f32[3, batch]
      %3 = tir.neg %1 : f32[batch, 3]
      return %2 : "y"
    }
    """
)

EXPECTED = textwrap.dedent(
    """\
    func @main(%x: f32[batch, 3]) {
      %0 = tir.constant dense<2.0> : f32[]
      %1 = tir.mul %x, %0 : f32[batch, 3]
      %2 = tir.transpose %1 {perm = [1, 0]} : f32[3, batch]
      return %2 : "y"
    }
    """
)

PASSES = ("lower-dimshuffle", "unify-casts", "dce")


def test_run_opt_golden_and_numbers():
    out = run_opt(SOURCE, PASSES)
    assert out == EXPECTED
    x = np.arange(6, dtype="float32").reshape(2, 3)
    (before,) = run_module(parse_module(SOURCE), [x])
    (after,) = run_module(parse_module(out), [x])
    np.testing.assert_array_equal(after, before)
    np.testing.assert_array_equal(after, (x * 2).T)


def test_run_opt_without_passes_is_a_round_trip():
    assert run_opt(EXPECTED, ()) == EXPECTED


def test_run_opt_prints_ir_after_passes():
    stream = io.StringIO()
    run_opt(SOURCE, PASSES, print_ir_after=("unify-casts",), ir_stream=stream)
    text = stream.getvalue()
    assert text.startswith("// -----// IR Dump After unify-casts //----- //\n")
    assert text.count("IR Dump") == 1 and "dense<2.0> : f32[]" in text
    stream = io.StringIO()
    run_opt(SOURCE, PASSES, print_ir_after_all=True, ir_stream=stream)
    assert stream.getvalue().count("IR Dump") == 1 + len(PASSES)


def test_opt_command_prints_result_and_dumps_to_stderr(tmp_path: Path, capsys):
    path = tmp_path / "in.tir"
    path.write_text(SOURCE)
    code = main(["opt", str(path), "-p", ",".join(PASSES), "--print-ir-after-all"])
    stdout, stderr = capsys.readouterr()
    assert code == EXIT_OK
    assert stdout == EXPECTED  # stdout is the result alone, ready to pipe
    assert "IR Dump After dce" in stderr
    out = tmp_path / "out.tir"
    assert main(["opt", str(path), "-p", ",".join(PASSES), "-o", str(out)]) == EXIT_OK
    assert out.read_text() == EXPECTED and capsys.readouterr().out == ""


def test_opt_reads_standard_input(monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(SOURCE))
    assert main(["opt", "-", "-p", ",".join(PASSES)]) == EXIT_OK
    assert capsys.readouterr().out == EXPECTED


def test_parse_error_marks_the_column():
    bad = SOURCE.replace("tir.neg %1", "tir.neg %1 %1")
    with pytest.raises(ParseError) as info:
        run_opt(bad, PASSES)
    lines = str(info.value).splitlines()
    assert lines[0].startswith("line 5, column ")
    assert lines[1].strip() == "%3 = tir.neg %1 %1 : f32[batch, 3]"
    column = int(lines[0].split("column ")[1].split(":")[0])
    assert lines[2].index("^") - lines[1].index("%3") == column - 3  # under the bad token


def test_invalid_input_ir_marks_the_op_with_an_arrow():
    bad = SOURCE.replace(": f32[3, batch]", ": f32[4, batch]")
    with pytest.raises(VerificationError) as info:
        run_opt(bad, PASSES)
    message = str(info.value)
    assert message.startswith("invalid IR after parsing: ")
    marked = [line for line in message.splitlines() if line.startswith(">")]
    assert marked == [">   %2 = tir.dimshuffle %1 {order = [1, 0]} : f32[4, batch]"]
    assert "    %1 = tir.mul %x, %0 : f32[batch, 3]" in message.splitlines()  # context


def test_opt_command_reports_errors_without_traceback(tmp_path: Path, capsys):
    path = tmp_path / "bad.tir"
    path.write_text(SOURCE.replace(": f32[3, batch]", ": f32[4, batch]"))
    assert main(["opt", str(path)]) == EXIT_ERROR
    stderr = capsys.readouterr().err
    assert stderr.startswith("ptonnx opt: error: invalid IR after parsing")
    assert ">   %2 = tir.dimshuffle" in stderr and "Traceback" not in stderr
    assert main(["opt", str(tmp_path / "missing.tir")]) == EXIT_ERROR
    assert "No such file or directory: " in capsys.readouterr().err


def test_pass_failure_marks_the_op_the_verifier_blames(monkeypatch: pytest.MonkeyPatch):
    """A pass leaving a wrong type: the failure names the pass and marks the op with '>'."""
    from passes.unify_casts import UnifyCasts

    def corrupt(self, module):
        op = list(module.func.ops)[2]  # the dimshuffle
        op.results[0].type = op.results[0].type.with_dtype("float64")
        return True

    monkeypatch.setattr(UnifyCasts, "run", corrupt)
    with pytest.raises(PassFailure) as info:
        run_opt(SOURCE, ("unify-casts",))
    message = str(info.value)
    assert message.startswith("pass 'unify-casts' failed (passes run before it: nothing)")
    marked = [line for line in message.splitlines() if line.startswith(">")]
    assert marked == [">   %2 = tir.dimshuffle %1 {order = [1, 0]} : f64[3, batch]"]


REGIONS = textwrap.dedent(
    """\
    func @main(%c: bool[], %x: f32[3]) {
      %0 = tir.exp %x : f32[3]
      %1 = tir.if %c : f32[3] {
        %2 = tir.sin %x : f32[3]
        yield %2
      } {
        %3 = tir.neg %0 : f32[2]
        yield %3
      }
      return %1 : "y"
    }
    """
)


def test_op_inside_a_region_is_marked():
    with pytest.raises(VerificationError) as info:
        run_opt(REGIONS, ())
    lines = str(info.value).splitlines()
    marked = [i for i, line in enumerate(lines) if line.startswith(">")]
    assert len(marked) == 1
    assert lines[marked[0]] == ">     %3 = tir.neg %0 : f32[2]"
    assert lines[marked[0] - 1] == "    } {" and lines[marked[0] + 1] == "      yield %3"
