"""The emitter's last step: nodes whose results nothing reads and initializers nothing reads are
removed, in the main graph and in every subgraph (If branches, Loop bodies).

Lowering rules materialize what they might need before they know they need it (a tir.constant
is an initializer before its user decides to read its value at compile time instead, as the
unrolled integer power does with its exponent), and ONNX Runtime prints a warning for every
unused initializer at every session it makes. One liveness sweep from the outputs removes all
of it, whatever rule left it behind.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import onnx_ir as oir


def live_nodes_and_initializers(
    nodes: Sequence[oir.Node],
    outputs: Sequence[oir.Value],
    initializers: Sequence[oir.Value],
) -> tuple[list[oir.Node], list[oir.Value]]:
    """The nodes (in their order) and initializers the ``outputs`` need. Subgraphs of the
    nodes kept are pruned in place; values they read from outside count as needed."""
    needed: set[int] = set()
    kept = _live(nodes, outputs, needed)
    return kept, [v for v in initializers if id(v) in needed]


def _live(
    nodes: Sequence[oir.Node], outputs: Sequence[oir.Value], needed: set[int]
) -> list[oir.Node]:
    """The nodes some output needs, in order; adds the id of every value they read (directly
    or from a subgraph) to ``needed``. A graph's nodes are topologically sorted, so one
    backward sweep finds them all."""
    needed.update(id(v) for v in outputs)
    kept: list[oir.Node] = []
    for node in reversed(nodes):
        if not any(id(out) in needed for out in node.outputs):
            continue
        kept.append(node)
        for graph in _subgraphs(node):
            _prune(graph, needed)
        needed.update(id(v) for v in node.inputs if v is not None)
    kept.reverse()
    return kept


def _prune(graph: oir.Graph, needed: set[int]) -> None:
    """Remove ``graph``'s dead nodes and unused initializers in place; record what the rest
    reads (outer values included) in ``needed``."""
    kept = _live(list(graph), graph.outputs, needed)
    kept_ids = {id(n) for n in kept}
    dead = [n for n in graph if id(n) not in kept_ids]
    if dead:
        graph.remove(dead, safe=False)
    for name, value in list(graph.initializers.items()):
        if id(value) not in needed and value not in graph.inputs:
            del graph.initializers[name]


def _subgraphs(node: oir.Node) -> Iterator[oir.Graph]:
    for attr in node.attributes.values():
        if attr.type == oir.AttributeType.GRAPH:
            yield attr.as_graph()
        elif attr.type == oir.AttributeType.GRAPHS:
            yield from attr.as_graphs()


__all__ = ["live_nodes_and_initializers"]
