"""Bad input, one test per row of the README's "Bad input" table: each gets a clear
``CompileError`` (or is handled correctly), never an internal error or a model that fails the
ONNX checker or ONNX Runtime, and the user's graph is the same afterwards."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import onnx
import pytensor
import pytensor.sparse as ps
import pytensor.tensor as pt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytensor.compile.ops import deep_copy_op
from pytensor.graph.fg import FunctionGraph
from pytensor.link.c.type import Generic
from pytensor.scalar.basic import UnaryScalarOp, upgrade_to_float
from pytensor.tensor.elemwise import Elemwise

from compiler import (
    CompileError,
    Compiler,
    CompileResult,
    InvalidGraphError,
    OptionError,
    UnsupportedOpError,
)
from compiler.files import StagedFiles

RNG = np.random.default_rng(0)


def snapshot(fgraph: FunctionGraph) -> tuple:
    """Everything about a graph a compile could change: structure, names, types, tags."""
    text = io.StringIO()
    pytensor.dprint(fgraph, file=text, print_type=True)
    variables = list(fgraph.variables)
    return (
        text.getvalue(),
        list(fgraph.inputs),
        list(fgraph.outputs),
        [(v.name, str(v.type), dict(vars(v.tag))) for v in variables],
        [n.op for n in fgraph.toposort()],
    )


@contextmanager
def unchanged(fgraph: FunctionGraph) -> Iterator[None]:
    """The block may compile ``fgraph`` (and fail): the graph is the same afterwards."""
    before = snapshot(fgraph)
    yield
    assert snapshot(fgraph) == before


def compile_and_check(fgraph: FunctionGraph, *feeds: np.ndarray, **options) -> CompileResult:
    """Compile (leaving ``fgraph`` as it was), check the model fully, and compare ONNX Runtime
    with PyTensor on ``feeds``."""
    with unchanged(fgraph):
        result = Compiler(**options).compile(fgraph)
        onnx.checker.check_model(result.to_onnx(), full_check=True)
        report = result.verify(*feeds, mode="FAST_COMPILE")
    assert report.ok, str(report)
    return result


def test_unchanged_sees_a_changed_graph():
    x = pt.vector("x")
    fgraph = FunctionGraph([x], [pt.exp(x)], clone=False)
    with pytest.raises(AssertionError), unchanged(fgraph):
        x.name = "renamed"
    with pytest.raises(AssertionError), unchanged(fgraph):
        fgraph.replace(fgraph.outputs[0], pt.sin(x))


# -- an op with no ONNX equivalent ---------------------------------------------------------------


class _Halve(UnaryScalarOp):
    """A scalar op the compiler has no rule for: x / 2 by PyTensor's perform."""

    def impl(self, x):
        return x / 2


def test_op_without_onnx_equivalent(tmp_path: Path):
    x = pt.matrix("x")
    halve = Elemwise(_Halve(upgrade_to_float, name="halve"))
    fgraph = FunctionGraph([x], [pt.linalg.schur(x)[0] + halve(x)])
    with unchanged(fgraph), pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(fgraph).save(tmp_path / "m.onnx")
    assert len(info.value.ops) == 2 and __file__ in str(info.value)
    assert list(tmp_path.iterdir()) == []


# -- an axis, shape or index that must be known at compile time ------------------------------


def test_axis_that_must_be_static_but_is_symbolic():
    a, b = pt.matrix("a"), pt.matrix("b")
    fgraph = FunctionGraph([a, b], [pt.signal.convolve2d(a, b, mode="full")])
    with unchanged(fgraph), pytest.raises(UnsupportedOpError, match=r"which must be static"):
        Compiler().compile(fgraph)
    # cumprod over an axis of symbolic length is a loop (tir.loop): it compiles.
    x = pt.vector("x")
    compile_and_check(FunctionGraph([x], [pt.cumprod(x)]), RNG.normal(size=5))
    static = pt.vector("x", shape=(5,))
    compile_and_check(FunctionGraph([static], [pt.cumprod(static)]), RNG.normal(size=5))


def test_symbolic_shapes_and_indices_that_onnx_takes_at_run_time():
    """Where ONNX takes a size or an index as a tensor, a symbolic one is fine."""
    x, n, i = pt.vector("x"), pt.iscalar("n"), pt.iscalar("i")
    outs = [pt.eye(n), x.reshape((n, -1)), x[i], pt.zeros((n, 2)), pt.roll(x, i)]
    compile_and_check(FunctionGraph([x, n, i], outs), RNG.normal(size=6),
                      np.int32(3), np.int32(-2))  # fmt: skip


# -- dtypes ONNX cannot carry --------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: ([z := pt.vector("z", dtype="complex64")], [z * 2]),
         "graph input 'z': dtype complex64 has no ONNX equivalent"),
        (lambda: ([x := pt.vector("x")], [pt.cast(x, "complex128")]),
         "dtype complex128 has no ONNX equivalent"),
        (lambda: ([Generic()("g"), x := pt.vector("x")], [x * 2]),
         "type Generic is not a tensor type"),
    ],
)  # fmt: skip
def test_dtype_onnx_cannot_carry(build, message: str):
    inputs, outputs = build()
    fgraph = FunctionGraph(inputs, outputs)
    with unchanged(fgraph), pytest.raises(UnsupportedOpError, match=re.escape(message)):
        Compiler().compile(fgraph)


def test_random_generator_is_not_a_tensor():
    rng = pytensor.shared(np.random.default_rng(0), name="rng")
    fgraph = FunctionGraph(outputs=[pt.random.normal(size=3, rng=rng)], clone=False)
    with unchanged(fgraph), pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(fgraph)
    assert "type RandomGeneratorType is not a tensor type" in str(info.value)
    assert "random variables are not supported" in str(info.value)


def test_random_generator_input_is_named_as_the_user_knows_it():
    named = pt.random.type.random_generator_type("my_rng")
    x = pt.vector("x")
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(FunctionGraph([x, named], [x * 2]))
    assert "- graph input 'my_rng': type RandomGeneratorType is not a tensor type" in str(
        info.value
    )
    assert "output: " not in str(info.value)  # an input is not an output
    # An unnamed generator (the one PyTensor makes for pt.random.normal) is described by its
    # position and the variable that reads it, never by a made-up name.
    noise = pt.random.normal(size=3)
    noise.name = "noise"
    rng = noise.owner.inputs[0]
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(FunctionGraph([x, rng], [x + noise], clone=False))
    message = str(info.value)
    assert "unnamed graph input 1 (RNG(Generator(PCG64))), read by normal_rv" in message
    assert "(variable 'noise')" in message and "input_1" not in message


@pytest.mark.parametrize("make", [ps.csc_matrix, ps.csr_matrix], ids=["csc", "csr"])
def test_sparse_input_is_refused(make):
    x, y = make("x"), pt.vector("y")
    fmt = x.type.format
    # Unused by the outputs, passed through (DeepCopyOp), or only its values read: never
    # compiled as a dense input.
    for outputs in ([y * 2], [deep_copy_op(x)], [y + ps.sp_sum(x)]):
        fgraph = FunctionGraph([x, y], outputs)
        with unchanged(fgraph), pytest.raises(UnsupportedOpError) as info:
            Compiler().compile(fgraph)
        message = str(info.value)
        assert (
            f"- graph input 'x': sparse type SparseTensorType{{dtype='float64', format='{fmt}'"
            in message
        )
        assert "has no ONNX representation here (ONNX tensors are dense)" in message


# -- outputs that are inputs or constants --------------------------------------------------------


def test_outputs_that_are_inputs_constants_or_repeated():
    x = pt.vector("x")
    w = pytensor.shared(np.arange(3.0), name="w")
    c = pt.constant(np.array([1.0, 2.0, 3.0]))
    fgraph = FunctionGraph([x, w], [x, c, w, x * 2, x * 2], clone=False)
    result = compile_and_check(fgraph, RNG.normal(size=3))
    model = result.to_onnx()
    assert [o.name for o in model.graph.output] == [
        "x_1", "output_1", "w", "output_3", "output_4",
    ]  # fmt: skip
    identities = [n for n in model.graph.node if n.op_type == "Identity"]
    assert len(identities) == 4  # input, constant, weight, and the repeated output


# -- duplicate or empty names --------------------------------------------------------------------


def test_duplicate_and_empty_names_are_made_unique():
    a1, a2, unnamed, empty = pt.vector("a"), pt.vector("a"), pt.vector(), pt.vector("")
    out1, out2 = a1 + a2, unnamed * empty
    out1.name = out2.name = "a"
    fgraph = FunctionGraph([a1, a2, unnamed, empty], [out1, out2, a1 - a2])
    result = compile_and_check(fgraph, *RNG.normal(size=(4, 2)))
    model = result.to_onnx()
    assert [i.name for i in model.graph.input] == ["a", "a_1", "input_2", "input_3"]
    assert [o.name for o in model.graph.output] == ["a_2", "a_3", "output_2"]
    assert {v.name for v in (a1, a2, out1, out2)} == {"a"}  # the user's names stay
    assert unnamed.name is None and empty.name == ""


# -- names ONNX tools dislike --------------------------------------------------------------------


def test_names_are_sanitized_deterministically():
    x, y, z, clash = pt.vector("x:0"), pt.vector("my input/é"), pt.vector("1st"), pt.vector("a_b")
    spaced = pt.vector("a b")
    out = x + y + z + clash + spaced
    out.name = "out put"
    fgraph = FunctionGraph([x, y, z, spaced, clash], [out])
    result = compile_and_check(fgraph, *RNG.normal(size=(5, 2)))
    model = result.to_onnx()
    names = [i.name for i in model.graph.input]
    assert names == ["x_0", "my_input__", "_1st", "a_b_1", "a_b"]  # 'a_b' keeps its name
    assert [o.name for o in model.graph.output] == ["out_put"]
    assert model.graph.input[0].doc_string == "PyTensor name: 'x:0'"
    assert model.graph.input[4].doc_string == ""
    assert result.input_names == names
    pytensor_names = ["x:0", "my input/é", "1st", "a b", "a_b"]
    feeds = dict(zip(pytensor_names, RNG.normal(size=(5, 2)), strict=True))
    np.testing.assert_allclose(result.run(**feeds)[0], sum(feeds.values()))  # old names work
    again = Compiler().compile(fgraph).to_bytes()
    assert again == result.to_bytes()


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@given(st.lists(st.text(max_size=6), min_size=3, max_size=3))
def test_any_names_give_a_valid_model(names: list[str]):
    """Whatever the names (empty, equal, unicode, punctuation, digits), the model passes the
    checker and runs, and its input and output names are unique C identifiers."""
    a, b = pt.vector(names[0], dtype="float32"), pt.vector(names[1], dtype="float32")
    out = a * b
    out.name = names[2]
    fgraph = FunctionGraph([a, b], [out, a])
    result = Compiler().compile(fgraph)
    model = result.to_onnx()
    onnx.checker.check_model(model, full_check=True)
    io_names = [v.name for v in (*model.graph.input, *model.graph.output)]
    assert len(set(io_names)) == 4 and all(IDENTIFIER.match(n) for n in io_names)
    values = [np.array([1.5, -2.0], dtype="float32"), np.array([4.0, 0.5], dtype="float32")]
    product, first = result.run(*values)
    np.testing.assert_array_equal(product, values[0] * values[1])
    np.testing.assert_array_equal(first, values[0])


# -- a graph with no outputs ---------------------------------------------------------------------


def test_graph_without_outputs():
    fgraph = FunctionGraph([pt.vector("x")], [])
    with unchanged(fgraph), pytest.raises(InvalidGraphError, match="the graph has no outputs"):
        Compiler().compile(fgraph)


# -- a path that cannot be written ---------------------------------------------------------------


def small_result() -> CompileResult:
    x = pt.vector("x")
    return Compiler().compile(FunctionGraph([x], [pt.exp(x)]))


def test_path_that_cannot_be_written(tmp_path: Path):
    result = small_result()
    with pytest.raises(FileNotFoundError) as info:
        result.save(tmp_path / "missing" / "m.onnx")
    # The error names the path the user gave, not the staging file beside it.
    assert info.value.filename == str(tmp_path / "missing" / "m.onnx")
    assert ".staging" not in str(info.value)
    folder = tmp_path / "m.onnx"
    folder.mkdir()  # the path names a folder
    (folder / "keep").write_text("kept")
    with pytest.raises(IsADirectoryError) as info:
        result.save(folder)
    assert info.value.filename == str(folder) and ".staging" not in str(info.value)
    assert (folder / "keep").read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


def test_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old model")
    real_open = StagedFiles.open

    @contextmanager
    def half_written(self, name):
        with real_open(self, name) as f:
            f.write(b"half a model")
            raise OSError(28, "No space left on device")
        yield f  # pragma: no cover

    monkeypatch.setattr(StagedFiles, "open", half_written)
    with pytest.raises(OSError, match="No space left") as info:
        small_result().save(path)
    assert info.value.filename == str(path)
    assert path.read_bytes() == b"old model"
    assert os.listdir(tmp_path) == ["m.onnx"]


# -- an opset or IR version the compiler cannot honour -------------------------------------------


@pytest.mark.parametrize(
    "options, message",
    [
        ({"opset": 17}, "opset 17 is not supported"),
        ({"opset": 21}, "opset 21 is not supported"),
        ({"ir_version": 7}, "ir_version 7 is not supported: opset 18 needs at least 8"),
        ({"ir_version": 14}, "ONNX Runtime loads at most 13"),
        ({"pipeline": ("dce", "nope")}, "unknown passes ['nope']"),
        ({"dim_names": {"x": {0: "2nd dim"}}}, "dim name '2nd dim' for x:0 is not an identifier"),
    ],
)
def test_options_the_compiler_cannot_honour(options: dict, message: str):
    with pytest.raises(OptionError, match=re.escape(message)) as info:
        Compiler(**options)
    assert isinstance(info.value, CompileError) and isinstance(info.value, ValueError)
