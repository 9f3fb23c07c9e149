"""``ptonnx show``: DOT text of ONNX models and IR files, and rendering through Graphviz."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.conditional.op import ifelse
from pytensor.graph.fg import FunctionGraph

from compiler import Compiler
from compiler.cli import EXIT_ERROR, EXIT_OK, EXIT_USAGE, main
from compiler.show import ShowError, picture_of_model, picture_of_module, render, to_dot
from ir.parser import parse_module
from tests.cli.test_opt import EXPECTED as IR_SOURCE  # a small module, already optimized
from tests.helpers import fgraph_of

_NODE = re.compile(r'^\s*(n\d+) \[label="((?:[^"\\]|\\.)*)", shape=(\w+)', re.M)
_EDGE = re.compile(r'^\s*(n\d+) -> (n\d+) \[label="((?:[^"\\]|\\.)*)"', re.M)


def parse_dot(text: str) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, str]]]:
    """Nodes (id → (label, shape)) and edges ((source label, target label, edge label))."""
    nodes = {m[1]: (m[2], m[3]) for m in _NODE.finditer(text)}
    edges = [(nodes[m[1]][0], nodes[m[2]][0], m[3]) for m in _EDGE.finditer(text)]
    return nodes, edges


def mlp_model():
    x = pt.matrix("x", dtype="float32", shape=(None, 4))
    w = pytensor.shared(np.ones((4, 3), dtype="float32"), name="w")
    y = pt.tanh(x @ w)
    y.name = "y"
    fgraph = FunctionGraph(outputs=[y], clone=True)
    return Compiler(dim_names={"x": {0: "batch"}}).compile(fgraph).to_onnx()


def test_onnx_dot_has_op_types_on_nodes_and_types_on_edges():
    model = mlp_model()
    nodes, edges = parse_dot(to_dot(picture_of_model(model)))
    op_labels = sorted(label for label, shape in nodes.values() if shape == "box")
    assert op_labels == sorted(n.op_type for n in model.graph.node) == ["MatMul", "Tanh"]
    assert ("x", "ellipse") in nodes.values() and ("y", "ellipse") in nodes.values()
    assert ("w", "note") in nodes.values()  # the weight, an initializer
    assert sorted(edges) == sorted([
        ("x", "MatMul", "f32[batch, 4]"),
        ("w", "MatMul", "f32[4, 3]"),
        ("MatMul", "Tanh", "f32[batch, 3]"),
        ("Tanh", "y", "f32[batch, 3]"),
    ])  # fmt: skip


def test_ir_dot_has_ir_ops_and_types():
    nodes, edges = parse_dot(to_dot(picture_of_module(parse_module(IR_SOURCE))))
    assert sorted(label for label, _ in nodes.values()) == sorted(
        ["x", "tir.constant", "tir.mul", "tir.transpose", "y"]
    )
    assert sorted(edges) == sorted([
        ("x", "tir.mul", "f32[batch, 3]"),
        ("tir.constant", "tir.mul", "f32[]"),
        ("tir.mul", "tir.transpose", "f32[batch, 3]"),
        ("tir.transpose", "y", "f32[3, batch]"),
    ])  # fmt: skip


def test_control_flow_bodies_are_clusters():
    c, x = pt.scalar("c", dtype="float32"), pt.vector("x", dtype="float32")
    y = ifelse(c > 0, pt.exp(x), -x)
    result = Compiler().compile(fgraph_of([c, x], [y]))
    onnx_dot = to_dot(picture_of_model(result.to_onnx()))
    assert 'label="If.then_branch"' in onnx_dot and 'label="If.else_branch"' in onnx_dot
    _, edges = parse_dot(onnx_dot)
    assert any(s == "Exp" and t == "If" for s, t, _ in edges)  # a branch result flows out
    ir_dot = to_dot(picture_of_module(result.module))
    assert ir_dot.count("subgraph cluster_") == 2 and "tir.if region 1" in ir_dot


def test_loop_body_arguments_are_inputs_of_its_cluster():
    source = """func @main(%n: i64[], %x: f32[3]) {
  %t = tir.constant dense<true> : bool[]
  %0 = tir.loop %n, %t, %x : f32[3] {
  ^(%i: i64[], %c: bool[], %a: f32[3]):
    %1 = tir.add %a, %x : f32[3]
    yield %c, %1
  }
  return %0 : "y"
}
"""
    text = to_dot(picture_of_module(parse_module(source)))
    assert "tir.loop region 0" in text
    _, edges = parse_dot(text)
    assert ("a", "tir.add", "f32[3]") in edges and ("c", "tir.loop", "bool[]") in edges


def test_labels_are_escaped():
    source = IR_SOURCE.replace('"y"', '"say \\"hi\\" \\\\o/"')
    text = to_dot(picture_of_module(parse_module(source)))
    assert '[label="say \\"hi\\" \\\\o/", shape=ellipse' in text


def test_show_writes_dot_without_graphviz(tmp_path: Path, capsys):
    source = tmp_path / "f.tir"
    source.write_text(IR_SOURCE)
    out = tmp_path / "graph.dot"
    assert main(["show", str(source), "-o", str(out)]) == EXIT_OK
    assert out.read_text() == to_dot(picture_of_module(parse_module(IR_SOURCE)))
    assert capsys.readouterr().out == f"wrote {out}\n"


def test_show_onnx_file(tmp_path: Path):
    model_path = tmp_path / "m.onnx"
    model_path.write_bytes(mlp_model().SerializeToString())
    out = tmp_path / "g.gv"
    assert main(["show", str(model_path), "-o", str(out)]) == EXIT_OK
    assert to_dot(picture_of_model(mlp_model())) == out.read_text()


def fake_dot(folder: Path, script: str) -> None:
    """A stand-in for Graphviz's ``dot`` on PATH."""
    folder.mkdir()
    path = folder / "dot"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_svg_without_graphviz_says_how_to_install_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    source = tmp_path / "f.tir"
    source.write_text(IR_SOURCE)
    out = tmp_path / "graph.svg"
    out.write_text("old picture")
    assert main(["show", str(source), "-o", str(out)]) == EXIT_ERROR
    stderr = capsys.readouterr().err
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install", ".dot"):
        assert hint in stderr
    assert "Traceback" not in stderr
    assert out.read_text() == "old picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.tir", "graph.svg"]


@pytest.mark.skipif(os.name != "posix", reason="the fake dot is a shell script")
def test_svg_and_png_are_rendered_by_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake_dot(tmp_path / "bin", 'echo "rendered as $1"; cat\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    text = to_dot(picture_of_module(parse_module(IR_SOURCE)))
    for suffix, flag in ((".svg", "-Tsvg"), (".png", "-Tpng")):
        out = render(text, tmp_path / f"graph{suffix}")
        assert out.read_text() == f"rendered as {flag}\n{text}"


@pytest.mark.skipif(os.name != "posix", reason="the fake dot is a shell script")
def test_failing_dot_is_reported_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    fake_dot(tmp_path / "bin", 'echo "syntax error in line 3" >&2; exit 1\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(ShowError, match=r"dot failed \(1\): syntax error in line 3"):
        render("digraph {}", tmp_path / "graph.svg")
    assert not (tmp_path / "graph.svg").exists()


def test_bad_picture_name_is_a_usage_error(tmp_path: Path, capsys):
    assert main(["show", "m.onnx", "-o", str(tmp_path / "graph.jpg")]) == EXIT_USAGE
    assert "'graph.jpg' is not a picture file name" in capsys.readouterr().err


def test_bad_model_files(tmp_path: Path, capsys):
    assert main(["show", str(tmp_path / "missing.onnx"), "-o", "g.dot"]) == EXIT_ERROR
    assert "no such file" in capsys.readouterr().err
    other = tmp_path / "model.txt"
    other.write_text("hello")
    assert main(["show", str(other), "-o", str(tmp_path / "g.dot")]) == EXIT_ERROR
    assert "give an .onnx model or a .tir IR file" in capsys.readouterr().err
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\xff\x00 not protobuf")
    assert main(["show", str(broken), "-o", str(tmp_path / "g.dot")]) == EXIT_ERROR
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "g.dot").exists()
