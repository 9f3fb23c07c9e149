"""Values the frontend must know at compile time, computed by PyTensor's own ``perform``.

A few translations depend on the value of an input, not only on its type: the pad widths of a
"same" convolution (computed from the kernel's shape), a convolution's mode flag, the counts of
a repeat. When such an input is not a literal constant but a small graph over values that are
known — PyTensor constants, variables already imported as IR constants (weights), and the
shapes of variables whose type fixes them — its nodes are evaluated here with their
``perform``: the semantics are PyTensor's, the user's graph is only read, and the IR is never
evaluated here (folding the IR is the ``constant-fold`` pass's job).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from pytensor.graph.basic import Apply, Constant, Variable
from pytensor.tensor.shape import Shape, Shape_i

from compiler.frontend.importer import Importer
from ir.ops.tensor import constant_array

#: Larger graphs are not evaluated just to find out (their value is then unknown).
MAX_NODES = 256


def pytensor_constant(var: Variable, imp: Importer) -> np.ndarray | None:
    """The value of ``var`` when it is computed from known values only, else None."""
    known: dict[Variable, Any] = {}
    order = _nodes_to_evaluate(var, imp, known)
    if order is None:
        return None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for node in order:
                _perform(node, known)
    except Exception:  # a perform that fails on these values: the value is not known now
        return None
    return None if known.get(var) is None else np.asarray(known[var])


def _leaf(var: Variable, imp: Importer) -> Any:
    if isinstance(var, Constant):
        return var.data
    value = imp.values.get(var)
    return None if value is None else constant_array(value)


def _static_shape(node: Apply) -> Any:
    """Shape / Shape_i of a variable whose type fixes its shape (its values are not needed)."""
    shape = node.inputs[0].type.shape
    if isinstance(node.op, Shape) and all(d is not None for d in shape):
        return np.array(shape, dtype="int64")
    if isinstance(node.op, Shape_i) and shape[node.op.i] is not None:
        return np.array(shape[node.op.i], dtype="int64")
    return None


def _nodes_to_evaluate(var: Variable, imp: Importer, known: dict[Variable, Any]) -> list | None:
    """The nodes between known values and ``var``, in order; None when some input of that
    graph is unknown or the graph is larger than ``MAX_NODES``."""
    order: list[Apply] = []
    visited: set[Apply] = set()
    stack: list[tuple[Variable, bool]] = [(var, False)]
    while stack:
        v, expanded = stack.pop()
        if expanded:
            order.append(v.owner)
            continue
        if v in known or v.owner in visited:
            continue
        leaf = _leaf(v, imp)
        if leaf is not None:
            known[v] = leaf
            continue
        node = v.owner
        if node is None:
            return None  # a graph input whose value is not known
        visited.add(node)
        if len(visited) > MAX_NODES:
            return None
        static = _static_shape(node) if isinstance(node.op, Shape | Shape_i) else None
        if static is not None:
            known[node.outputs[0]] = static
            continue
        stack.append((v, True))
        stack.extend((i, False) for i in node.inputs)
    return order


def _perform(node: Apply, known: dict[Variable, Any]) -> None:
    if all(o in known for o in node.outputs):
        return
    storage: list[list[Any]] = [[None] for _ in node.outputs]
    node.op.perform(node, [known[v] for v in node.inputs], storage)
    known.update(zip(node.outputs, (cell[0] for cell in storage), strict=True))
