"""``ptonnx compile`` and the command line as a whole: exit codes, messages, entry points."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from compiler.cli import EXIT_ERROR, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, main
from ir.parser import parse_module
from passes import DEFAULT_PIPELINE

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import pytensor
    import pytensor.tensor as pt
    from pytensor.graph.basic import Apply
    from pytensor.graph.fg import FunctionGraph
    from pytensor.graph.op import Op

    W = np.arange(12, dtype="float32").reshape(4, 3) / 10


    def build():
        x = pt.matrix("x", dtype="float32", shape=(None, 4))
        w = pytensor.shared(W, name="w")
        y = pt.special.softmax(x @ w, axis=-1)
        y.name = "probs"
        return [x], [y]


    def single():
        x = pt.vector("x", dtype="float64")
        return x, pt.exp(x)


    def as_fgraph():
        x = pt.vector("x", dtype="float32")
        y = pt.sigmoid(x) * x
        y.name = "y"
        return FunctionGraph([x], [y])


    class NoRule(Op):
        __props__ = ()

        def make_node(self, x):
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, outputs):
            outputs[0][0] = inputs[0]


    def unsupported():
        x = pt.matrix("x")
        return [x], [NoRule()(x)]


    def raises():
        raise ValueError("the weights file is missing")


    def not_a_graph():
        return 42


    def missing_input():
        x, y = pt.vector("x"), pt.vector("y")
        return [x], [x + y]


    V = np.arange(32, dtype="float64").reshape(4, 8) / 10


    def unknown_dims():
        # x's second dim must be 4 (the weight's first): the compiler reads it off the graph.
        x = pt.matrix("x")
        return [x], [pt.tanh(x @ pytensor.shared(V, name="v"))]


    def needs_a_shape():
        # No dim of the weight fixes x's length: only the user knows it (8).
        x = pt.vector("x")
        return [x], [x.reshape((2, 4)) @ pytensor.shared(V, name="v")]


    def scalar_outputs():
        import pytensor.scalar as ps

        a, b = ps.float32("a"), ps.float32("b")
        x = pt.vector("x", dtype="float32")
        return [a, b, x], [a * b, pt.scalar_from_tensor(x.sum()), a < b]
    """
)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "model.py"
    path.write_text(SCRIPT)
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_compile_writes_a_model_that_computes_the_graph(script: Path, tmp_path: Path, capsys):
    out = tmp_path / "model.onnx"
    code, stdout, stderr = run(["compile", f"{script}:build", "-o", str(out)], capsys)
    assert code == EXIT_OK, stderr
    assert f"wrote {out}" in stdout and stderr == ""
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    (probs,) = ort.InferenceSession(str(out)).run(["probs"], {"x": x})
    logits = x @ (np.arange(12, dtype="float32").reshape(4, 3) / 10)
    expected = np.exp(logits - logits.max(-1, keepdims=True))
    np.testing.assert_allclose(probs, expected / expected.sum(-1, keepdims=True), rtol=1e-5)


@pytest.mark.parametrize("builder", ["single", "as_fgraph"])
def test_builder_may_return_single_variables_or_a_function_graph(
    builder: str, script: Path, tmp_path: Path, capsys
):
    out = tmp_path / "m.onnx"
    code, _, stderr = run(["compile", f"{script}:{builder}", "-o", str(out), "--verify"], capsys)
    assert code == EXIT_OK, stderr
    assert [i.name for i in onnx.load(str(out)).graph.input] == ["x"]


def test_verify_prints_max_errors(script: Path, tmp_path: Path, capsys):
    code, stdout, _ = run(
        ["compile", f"{script}:build", "-o", str(tmp_path / "m.onnx"), "--verify"], capsys
    )
    assert code == EXIT_OK
    assert "probs: ok: max abs" in stdout
    max_abs = float(stdout.split("max abs error: ")[1].split()[0])
    assert 0 <= max_abs < 1e-6


def test_verify_infers_unknown_dims_from_the_weights(script: Path, tmp_path: Path, capsys):
    """Issue 15, item 8: a matrix of unknown shape fed to a (4, 8) weight is given (2, 4)."""
    code, stdout, stderr = run(
        ["compile", f"{script}:unknown_dims", "-o", str(tmp_path / "m.onnx"), "--verify"], capsys
    )
    assert code == EXIT_OK, stderr
    assert "random inputs (seed 0; x: [2, 4] (axis 0: unknown size, 2 tried))" in stdout
    assert "output_0: ok" in stdout


def test_verify_on_inputs_the_graph_cannot_take_is_a_user_error(
    script: Path, tmp_path: Path, capsys
):
    out = str(tmp_path / "m.onnx")
    code, _, stderr = run(["compile", f"{script}:needs_a_shape", "-o", out, "--verify"], capsys)
    assert code == EXIT_ERROR
    assert "internal compiler error" not in stderr and "Traceback" not in stderr
    assert "PyTensor cannot evaluate the graph on random inputs (ValueError: " in stderr
    assert "x: [2] (axis 0: unknown size, 2 tried)" in stderr
    assert "--input-shape x=D0" in stderr
    code, stdout, stderr = run(
        ["compile", f"{script}:needs_a_shape", "-o", out, "--verify", "--input-shape", "x=8"],
        capsys,
    )
    assert code == EXIT_OK, stderr
    assert "(seed 0; x: [8])" in stdout and "output_0: ok" in stdout


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--verify", "--input-shape", "y=8"], "input shape for 'y': the model has no such input"),
        (["--verify", "--input-shape", "x=8,2"], "its shape is ['x_0'] (1 axis)"),
        (["--verify", "--input-shape", "x=8;2"], "is not NAME=D0,D1,..."),
        (["--input-shape", "x=8"], "--input-shape shapes the random inputs of --verify"),
    ],
)
def test_bad_input_shapes_are_usage_errors(
    flags: list[str], message: str, script: Path, tmp_path: Path, capsys
):
    out = tmp_path / "m.onnx"
    code, _, stderr = run(["compile", f"{script}:needs_a_shape", "-o", str(out), *flags], capsys)
    assert code == EXIT_USAGE and message in stderr
    assert not out.exists()  # found before anything is written


def test_verify_with_pytensor_scalar_inputs_and_outputs(script: Path, tmp_path: Path, capsys):
    code, stdout, stderr = run(
        ["compile", f"{script}:scalar_outputs", "-o", str(tmp_path / "m.onnx"), "--verify"],
        capsys,
    )
    assert code == EXIT_OK, stderr
    assert stdout.count(": ok: ") == 3, stdout


def test_dim_name_and_print_ir_after(script: Path, tmp_path: Path, capsys):
    out = tmp_path / "m.onnx"
    code, stdout, _ = run(
        ["compile", f"{script}:build", "-o", str(out), "--dim-name", "x:0=batch",
         "--print-ir-after", "cse,fuse-silu"],
        capsys,
    )  # fmt: skip
    assert code == EXIT_OK
    dumps = [line.split(" //")[0].removesuffix(" (no change)")
             for line in stdout.splitlines() if line.startswith("// -----// IR Dump")]  # fmt: skip
    assert dumps == ["// -----// IR Dump After cse", "// -----// IR Dump After fuse-silu"]
    assert "func @main(%x: f32[batch, 4])" in stdout
    dim = onnx.load(str(out)).graph.input[0].type.tensor_type.shape.dim[0]
    assert dim.dim_param == "batch"


def test_print_ir_after_all_and_dump_dir_and_pipeline(script: Path, tmp_path: Path, capsys):
    dumps = tmp_path / "dumps"
    code, stdout, _ = run(
        ["compile", f"{script}:build", "-o", str(tmp_path / "m.onnx"), "--print-ir-after-all",
         "--dump-dir", str(dumps), "--pipeline", "lower-dimshuffle,dce"],
        capsys,
    )  # fmt: skip
    assert code == EXIT_OK
    assert "IR Dump Before Pipeline (input)" in stdout
    assert "IR Dump After dce" in stdout and "IR Dump After cse" not in stdout
    files = sorted(p.name for p in dumps.iterdir())
    assert files == ["00-input.tir", "01-lower-dimshuffle.tir", "02-dce.tir"]
    parse_module((dumps / "02-dce.tir").read_text())


def test_help_on_every_command(capsys):
    for argv in (["--help"], ["compile", "--help"], ["opt", "--help"], ["show", "--help"]):
        code, stdout, _ = run(argv, capsys)
        assert code == EXIT_OK and stdout.startswith("usage: ptonnx")
    _, stdout, _ = run(["compile", "--help"], capsys)
    assert ",".join(DEFAULT_PIPELINE) in stdout.replace("\n", "").replace(" ", "")


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "the following arguments are required: COMMAND"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["compile", "model.py:build"], "required: -o/--output"),
        (["compile", "model.py", "-o", "m.onnx"], "'model.py' is not SCRIPT:BUILDER"),
        (["compile", "m.py:f", "-o", "m", "--pipeline", "dce,nope"], "unknown passes ['nope']"),
        (["compile", "m.py:f", "-o", "m.onnx", "--dim-name", "x=batch"], "is not INPUT:AXIS=NAME"),
        (["compile", "m.py:f", "-o", "m.onnx", "--dim-name", "x:0=1st"], "is not INPUT:AXIS=NAME"),
        (["opt", "a.tir", "-p", "no-such-pass"], "unknown passes ['no-such-pass']"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2(argv: list[str], message: str, capsys):
    code, stdout, stderr = run(argv, capsys)
    assert code == EXIT_USAGE
    assert message in stderr and "usage: ptonnx" in stderr
    assert "Traceback" not in stderr and stdout == ""


@pytest.mark.parametrize(
    "builder, message",
    [
        ("unsupported", "1 unsupported op in the graph:\n- NoRule"),
        ("raises", "raised ValueError: the weights file is missing"),
        ("not_a_graph", "not_a_graph() returned int; expected (inputs, outputs) or a Function"),
        ("missing_input", "need a value not in its inputs"),
        ("no_such_builder", "defines no function 'no_such_builder'; it has ['as_fgraph', "),
    ],
)
def test_user_errors_exit_1_with_the_message(
    builder: str, message: str, script: Path, tmp_path: Path, capsys
):
    out = tmp_path / "m.onnx"
    code, _, stderr = run(["compile", f"{script}:{builder}", "-o", str(out)], capsys)
    assert code == EXIT_ERROR
    assert stderr.startswith("ptonnx compile: error: ") and message in stderr
    assert "Traceback" not in stderr
    assert not out.exists()


def test_errors_point_at_the_users_code(script: Path, tmp_path: Path, capsys):
    _, _, stderr = run(["compile", f"{script}:unsupported", "-o", str(tmp_path / "m")], capsys)
    assert f'File "{script}", line ' in stderr and "in unsupported" in stderr
    assert "return [x], [NoRule()(x)]" in stderr
    assert "compiler/cli.py" not in stderr  # the compiler's own frames are left out
    _, _, stderr = run(["compile", f"{script}:raises", "-o", str(tmp_path / "m")], capsys)
    assert 'raise ValueError("the weights file is missing")' in stderr


def test_missing_script_and_unwritable_output(script: Path, tmp_path: Path, capsys):
    code, _, stderr = run(["compile", "nowhere.py:build", "-o", str(tmp_path / "m")], capsys)
    assert code == EXIT_ERROR and "no such script: nowhere.py" in stderr
    out = tmp_path / "no-dir" / "m.onnx"
    code, _, stderr = run(["compile", f"{script}:build", "-o", str(out)], capsys)
    assert code == EXIT_ERROR and "No such file or directory" in stderr
    assert stderr.rstrip().endswith(str(out)) and ".staging" not in stderr  # the user's path
    assert "Traceback" not in stderr


def test_internal_errors_exit_3_with_a_traceback(
    script: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
):
    def broken(*args, **kwargs):
        raise AssertionError("a compiler bug")

    monkeypatch.setattr("compiler.driver.Importer.run", broken)
    code, _, stderr = run(["compile", f"{script}:build", "-o", str(tmp_path / "m")], capsys)
    assert code == EXIT_INTERNAL
    assert "Traceback" in stderr and "AssertionError: a compiler bug" in stderr
    assert "internal compiler error" in stderr


def test_script_sees_its_own_folder(tmp_path: Path, capsys):
    (tmp_path / "helper_module_for_ptonnx.py").write_text("SCALE = 3.0\n")
    (tmp_path / "m.py").write_text(
        "import pytensor.tensor as pt\nfrom helper_module_for_ptonnx import SCALE\n"
        "def build():\n    x = pt.vector('x')\n    return [x], [x * SCALE]\n"
    )
    code, _, stderr = run(["compile", f"{tmp_path / 'm.py'}:build", "-o", str(tmp_path / "m")],
                          capsys)  # fmt: skip
    assert code == EXIT_OK, stderr
    assert str(tmp_path) not in sys.path


@pytest.mark.parametrize("entry", ["module", "script"])
def test_entry_points(entry: str, script: Path, tmp_path: Path):
    """``python -m compiler`` and the installed ``ptonnx`` script run the same ``main``."""
    ptonnx = Path(sys.executable).parent / "ptonnx"
    if entry == "script" and not ptonnx.exists():
        pytest.skip("ptonnx is not installed (pip install -e .)")
    command = [sys.executable, "-m", "compiler"] if entry == "module" else [str(ptonnx)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = tmp_path / "m.onnx"
    done = subprocess.run([*command, "compile", f"{script}:build", "-o", str(out), "--verify"],
                          capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "max abs error" in done.stdout and out.exists()
    done = subprocess.run([*command, "compile", f"{script}:unsupported", "-o", str(out)],
                          capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert done.returncode == 1 and "unsupported op" in done.stderr
    assert "Traceback" not in done.stderr
    done = subprocess.run([*command, "opt"], capture_output=True, text=True, env=env)
    assert done.returncode == 2 and "usage: ptonnx opt" in done.stderr
