"""Ops that carry an inner graph: OpFromGraph (and its subclasses without a rule of their own)
is inlined."""

from __future__ import annotations

from pytensor.compile.builders import OpFromGraph
from pytensor.graph.basic import Apply

from compiler.frontend.importer import Importer, import_op
from ir.core import Value


@import_op.register(OpFromGraph)
def import_op_from_graph(op: OpFromGraph, node: Apply, imp: Importer) -> list[Value]:
    return imp.inline(op.fgraph, [imp.value(v) for v in node.inputs])
