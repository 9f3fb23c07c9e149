"""Synthetic PyTensor graphs of a chosen node count, in the three shapes the benchmarks use.

Every builder is iterative (no recursion, whatever the size) and adds exactly one Apply node per
step, so ``build(shape, n)`` has ``n`` nodes (``len(fgraph.apply_nodes)``), give or take the
few nodes a step pattern needs to complete.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.graph.fg import FunctionGraph
from pytensor.tensor.variable import TensorVariable

#: Feature width of every synthetic graph: small, so that the graph, not the data, dominates.
WIDTH = 16


def elementwise_chain(nodes: int) -> FunctionGraph:
    """A long elementwise chain: tanh, scaling, a residual add of the input, x·sigmoid(x), and
    a transpose pair, repeated; one output."""
    x = pt.matrix("x", dtype="float32", shape=(None, WIDTH))
    scale = pt.constant(np.full((1, WIDTH), 0.5, dtype="float32"), name="scale")
    steps: list[Callable[[TensorVariable, TensorVariable], TensorVariable]] = [
        lambda y, _: pt.tanh(y),
        lambda y, _: y * scale,
        lambda y, _: y + x,
        lambda y, _: pt.sigmoid(y),
        lambda y, prev: prev * y,  # prev · sigmoid(prev): fused to SiLU
        lambda y, _: y.T,
        lambda y, _: y.T,
    ]
    y, prev = x, x
    for i in range(nodes):
        prev, y = y, steps[i % len(steps)](y, prev)
    y.name = "y"
    return FunctionGraph([x], [y], clone=False)


def wide_dag(nodes: int, lanes: int = 32) -> FunctionGraph:
    """A wide DAG: ``lanes`` parallel lanes, each node also reading a pseudo-random earlier value
    (heavy fan-out on early values), every fourth node reading the input (a hub), and every
    tenth step adding a repeat of an earlier expression (reuse that CSE merges); one output
    per lane."""
    x = pt.matrix("x", dtype="float32", shape=(None, WIDTH))
    binary = [pt.add, pt.mul, pt.sub, pt.maximum]

    def apply(fn: Callable[..., TensorVariable], a: TensorVariable, b: TensorVariable):
        return fn(a) if fn is pt.tanh else fn(a, b)

    values: list[TensorVariable] = [x] * lanes
    made: list[tuple[Callable[..., TensorVariable], TensorVariable, TensorVariable]] = []
    count = step = 0
    while count < nodes:
        a = values[-lanes]
        if step % 10 == 9:
            repeat = apply(*made[(step * 7919) % len(made)])  # the same expression again
            value, count = pt.add(a, repeat), count + 2
        else:
            b = x if step % 4 == 0 else values[(step * 2654435761) % len(values)]
            fn = pt.tanh if step % 5 == 0 else binary[step % len(binary)]
            made.append((fn, a, b))
            value, count = apply(fn, a, b), count + 1
        values.append(value)
        step += 1
    outputs = values[-lanes:]
    for k, out in enumerate(outputs):
        out.name = f"y{k}"
    return FunctionGraph([x], outputs, clone=False)


def mlp_stack(nodes: int, distinct_layers: int = 4) -> FunctionGraph:
    """A deep MLP: ``tanh(h @ W + b)`` layers (4 nodes each: dot, bias expand, add, tanh) that
    cycle through ``distinct_layers`` shared weight sets."""
    rng = np.random.default_rng(0)
    x = pt.matrix("x", dtype="float32", shape=(None, WIDTH))
    weights = [
        (
            pytensor.shared(
                (rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH)).astype("float32"),
                name=f"w{k}",
                shape=(WIDTH, WIDTH),
            ),
            pytensor.shared(np.zeros(WIDTH, dtype="float32"), name=f"b{k}", shape=(WIDTH,)),
        )
        for k in range(distinct_layers)
    ]
    h = x
    for layer in range(max(1, round(nodes / 4))):
        w, b = weights[layer % distinct_layers]
        h = pt.tanh(pt.dot(h, w) + b)
    h.name = "y"
    return FunctionGraph(outputs=[h], clone=False)


#: Graph shape name → builder taking the node count.
SHAPES: dict[str, Callable[[int], FunctionGraph]] = {
    "chain": elementwise_chain,
    "wide": wide_dag,
    "mlp": mlp_stack,
}


def build(shape: str, nodes: int) -> FunctionGraph:
    """The ``shape`` graph with about ``nodes`` PyTensor nodes."""
    return SHAPES[shape](nodes)
