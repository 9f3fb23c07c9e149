"""Pictures of graphs: an ONNX model or an IR module as Graphviz DOT text (op types on the
nodes, dtypes and shapes on the edges), rendered to SVG/PNG/PDF by Graphviz's ``dot``.

Both kinds of graph become a ``Picture`` first, so there is one DOT writer.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import onnx
from google.protobuf.message import DecodeError

from compiler.files import write_atomically
from ir import dtypes
from ir.core import Block, Module, Operation, Return, Value, Yield
from ir.parser import parse_module

#: Output formats ``dot`` renders, by file suffix; ``.dot``/``.gv`` files are written directly.
RENDERED_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
DOT_SUFFIXES = (".dot", ".gv")
INSTALL_GRAPHVIZ = (
    "Graphviz's `dot` program is needed to render {suffix} files and was not found on PATH. "
    "Install Graphviz (Debian/Ubuntu: `sudo apt-get install graphviz`; macOS: "
    "`brew install graphviz`; conda: `conda install -c conda-forge graphviz`), or write "
    "the DOT text with `-o graph.dot` and render it elsewhere."
)

#: Node kinds and how they look.
STYLES = {
    "op": 'shape=box, style="rounded,filled", fillcolor="#eef2ff"',
    "input": 'shape=ellipse, style=filled, fillcolor="#dcfce7"',
    "output": 'shape=ellipse, style=filled, fillcolor="#fee2e2"',
    "constant": 'shape=note, style=filled, fillcolor="#f5f5f4", fontsize=8',
}


class ShowError(Exception):
    """The graph cannot be pictured or rendered as asked; the message says what to do."""


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    kind: str  # a key of STYLES


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    dashed: bool = False


@dataclass
class Cluster:
    """Nodes drawn in a box (the body of a control-flow op)."""

    label: str
    nodes: list[Node] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)


@dataclass
class Picture:
    """A whole graph: nodes (in nested clusters from ``root``) and every edge (edges may cross
    clusters). Node ids are ``n0``, ``n1``... in the order nodes are added."""

    name: str
    root: Cluster = field(default_factory=lambda: Cluster(""))
    edges: list[Edge] = field(default_factory=list)
    node_count: int = 0

    def add_node(self, cluster: Cluster, label: str, kind: str) -> str:
        node = Node(f"n{self.node_count}", label, kind)
        self.node_count += 1
        cluster.nodes.append(node)
        return node.id


# -- DOT ----------------------------------------------------------------------------------------


def to_dot(picture: Picture) -> str:
    """The picture as Graphviz DOT text (deterministic)."""
    lines = [
        f"digraph {_quote(picture.name)} {{",
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=8, color="#555555"];',
    ]
    _write_cluster_body(picture.root, "  ", lines, counter=[0])
    for edge in picture.edges:
        style = ", style=dashed" if edge.dashed else ""
        lines.append(f"  {edge.source} -> {edge.target} [label={_quote(edge.label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _write_cluster_body(
    cluster: Cluster, indent: str, lines: list[str], counter: list[int]
) -> None:
    for node in cluster.nodes:
        lines.append(f"{indent}{node.id} [label={_quote(node.label)}, {STYLES[node.kind]}];")
    for inner in cluster.clusters:
        lines.append(f"{indent}subgraph cluster_{counter[0]} {{")
        counter[0] += 1
        lines.append(f'{indent}  label={_quote(inner.label)}; style=dashed; color="#999999";')
        _write_cluster_body(inner, indent + "  ", lines, counter)
        lines.append(f"{indent}}}")


def _quote(text: str) -> str:
    """A DOT string literal (line breaks become centered ``\\n``)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def picture_format(path: str | os.PathLike[str]) -> str:
    """The format a picture file's suffix asks for: ``"dot"`` (DOT text), or the format
    Graphviz renders (``"svg"``, ``"png"``, ``"pdf"``)."""
    suffix = Path(path).suffix.lower()
    if suffix in DOT_SUFFIXES:
        return "dot"
    if suffix not in RENDERED_FORMATS:
        known = ", ".join((*DOT_SUFFIXES, *RENDERED_FORMATS))
        raise ShowError(f"{Path(path).name!r} is not a picture file name: use one of {known}")
    return RENDERED_FORMATS[suffix]


def render(dot_text: str, path: str | os.PathLike[str]) -> Path:
    """Write the picture to ``path``: DOT text for ``.dot``/``.gv``, else rendered by ``dot``
    in the format the suffix names. Atomic; nothing is written when rendering fails."""
    path = Path(path)
    fmt = picture_format(path)
    if fmt == "dot":
        return write_atomically(path, dot_text)
    dot = shutil.which("dot")
    if dot is None:
        raise ShowError(INSTALL_GRAPHVIZ.format(suffix=path.suffix))
    done = subprocess.run([dot, f"-T{fmt}"], input=dot_text.encode(), capture_output=True)
    if done.returncode != 0:
        raise ShowError(f"dot failed ({done.returncode}): {done.stderr.decode().strip()}")
    return write_atomically(path, done.stdout)


# -- pictures of files --------------------------------------------------------------------------


def picture_of_file(path: str | os.PathLike[str]) -> Picture:
    """The picture of an ``.onnx`` model (weights not loaded) or a ``.tir`` IR file."""
    path = Path(path)
    if path.suffix == ".onnx":
        try:
            model = onnx.load(str(path), load_external_data=False)
        except DecodeError as e:
            raise ShowError(f"{path} is not an ONNX model: {e}") from None
        return picture_of_model(model)
    if path.suffix == ".tir":
        return picture_of_module(parse_module(path.read_text()))
    raise ShowError(f"cannot picture {path.name!r}: give an .onnx model or a .tir IR file")


# -- ONNX models --------------------------------------------------------------------------------


def picture_of_model(model: onnx.ModelProto) -> Picture:
    """Inputs, initializers, nodes and outputs; node subgraphs (If branches) as clusters."""
    # Shapes of intermediate values, where ONNX can infer them.
    with contextlib.suppress(onnx.shape_inference.InferenceError, onnx.checker.ValidationError):
        model = onnx.shape_inference.infer_shapes(model)
    picture = Picture(model.graph.name or "model")
    drawer = _OnnxDrawer(picture)
    drawer.draw(model.graph, picture.root)
    for info in model.graph.output:
        drawer.edge(info.name, picture.add_node(picture.root, info.name, "output"))
    return picture


class _OnnxDrawer:
    def __init__(self, picture: Picture) -> None:
        self.picture = picture
        self.producers: dict[str, str] = {}  # value name → node id
        self.types: dict[str, str] = {}

    def draw(self, graph: onnx.GraphProto, cluster: Cluster) -> None:
        for info in (*graph.input, *graph.output, *graph.value_info):
            self.types[info.name] = _onnx_type(info.type)
        for tensor in graph.initializer:
            self.types[tensor.name] = _type_text(_onnx_dtype(tensor.data_type), tensor.dims)
            self.producers[tensor.name] = self.picture.add_node(cluster, tensor.name, "constant")
        for info in graph.input:
            if info.name not in self.producers:
                self.producers[info.name] = self.picture.add_node(cluster, info.name, "input")
        for node in graph.node:
            self._draw_node(node, cluster)

    def _draw_node(self, node: onnx.NodeProto, cluster: Cluster) -> None:
        node_id = self.picture.add_node(cluster, node.op_type, "op")
        for name in node.input:
            self.edge(name, node_id)
        for attribute in node.attribute:
            subgraphs = [attribute.g] if attribute.HasField("g") else list(attribute.graphs)
            for subgraph in subgraphs:
                inner = Cluster(f"{node.op_type}.{attribute.name}")
                cluster.clusters.append(inner)
                self.draw(subgraph, inner)
                for info in subgraph.output:  # the branch's results flow into the node
                    self.edge(info.name, node_id, dashed=True)
        for name in node.output:
            if name:
                self.producers[name] = node_id

    def edge(self, name: str, target: str, *, dashed: bool = False) -> None:
        if name in self.producers:  # an empty name is an omitted optional input
            label = self.types.get(name, "?")
            self.picture.edges.append(Edge(self.producers[name], target, label, dashed))


def _onnx_type(type_proto: onnx.TypeProto) -> str:
    if not type_proto.HasField("tensor_type"):
        return type_proto.WhichOneof("value") or "?"
    tensor = type_proto.tensor_type
    if not tensor.HasField("shape"):
        return f"{_onnx_dtype(tensor.elem_type)}[...]"
    dims = [
        d.dim_value if d.HasField("dim_value") else d.dim_param or "?" for d in tensor.shape.dim
    ]
    return _type_text(_onnx_dtype(tensor.elem_type), dims)


def _onnx_dtype(elem_type: int) -> str:
    try:
        name = onnx.helper.tensor_dtype_to_np_dtype(elem_type).name
    except (KeyError, TypeError, ValueError):
        return onnx.TensorProto.DataType.Name(elem_type).lower()
    return dtypes.SHORT_NAMES.get(name, name)


def _type_text(dtype: str, dims: Iterable[object]) -> str:
    return f"{dtype}[{', '.join(str(d) for d in dims)}]"


# -- IR modules ---------------------------------------------------------------------------------


def picture_of_module(module: Module) -> Picture:
    """Arguments, ops (constants as notes) and outputs; op regions as clusters."""
    func = module.func
    picture = Picture(f"@{func.name}")
    producers: dict[Value, str] = {}
    for arg in func.args:
        producers[arg] = picture.add_node(picture.root, arg.name or "arg", "input")
    _draw_block(picture, func, picture.root, producers, owner_id=None)
    return picture


def _draw_block(
    picture: Picture,
    block: Block,
    cluster: Cluster,
    producers: dict[Value, str],
    owner_id: str | None,
) -> None:
    """Draw ``block``'s ops into ``cluster``: a return as output nodes, a yield as dashed
    edges into the node of the op owning the region (``owner_id``). A region's arguments
    (a loop body's iteration number, condition, carried values) are input nodes in it."""
    if owner_id is not None:
        for arg in block.args:
            producers[arg] = picture.add_node(cluster, arg.name or "arg", "input")
    for op in block.ops:
        if isinstance(op, Return):
            for value, name in zip(op.operands, op.names, strict=True):
                _ir_edge(picture, producers, value, picture.add_node(cluster, name, "output"))
        elif isinstance(op, Yield):
            for value in op.operands:
                if owner_id is not None:
                    _ir_edge(picture, producers, value, owner_id, dashed=True)
        else:
            _draw_op(picture, op, cluster, producers)


def _draw_op(
    picture: Picture, op: Operation, cluster: Cluster, producers: dict[Value, str]
) -> None:
    kind = "constant" if op.NAME == "tir.constant" else "op"
    node_id = picture.add_node(cluster, op.NAME, kind)
    for value in op.operands:
        _ir_edge(picture, producers, value, node_id)
    for result in op.results:
        producers[result] = node_id
    for index, region in enumerate(op.regions):
        inner = Cluster(f"{op.NAME} region {index}")
        cluster.clusters.append(inner)
        _draw_block(picture, region, inner, producers, owner_id=node_id)


def _ir_edge(
    picture: Picture,
    producers: dict[Value, str],
    value: Value,
    target: str,
    *,
    dashed: bool = False,
) -> None:
    picture.edges.append(Edge(producers[value], target, str(value.type), dashed))
