"""Sizes for the unknown dims of a graph's inputs, read off what each input meets.

``x @ w`` with ``x`` a matrix of unknown shape and ``w`` of shape (4, 8) only runs when
``x.shape[1] == 4``. Dims that must be equal are grouped (union-find over (variable, axis)
slots), and a group holding a static dim gives that size to every unknown dim in it:

- Elemwise: each output axis equals the same axis of every input not broadcast there (a
  static 1);
- ops with a gufunc signature (``Blockwise``, ``Dot``'s ``(m,n),(n,p)->(m,p)``): core dims
  with the same letter are equal; batch axes as Elemwise;
- DimShuffle: each kept axis equals the input axis it comes from; Join: all axes but the
  joined one are equal;
- a shared variable (a weight) has its value's shape;
- every other op: PyTensor's own ``infer_shape`` (the rule behind ``ShapeFeature``), applied
  to one symbol per input dim: an output dim that is an input dim joins its group, a constant
  output dim fixes its group.

A size is a choice that lets the graph run (equal dims never break broadcasting), not the only
one: dims the graph does not tie to a static size stay unknown.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Apply, Constant, Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.tensor.basic import Join
from pytensor.tensor.blockwise import Blockwise
from pytensor.tensor.elemwise import DimShuffle, Elemwise
from pytensor.tensor.type import TensorType, lscalar
from pytensor.tensor.utils import _parse_gufunc_signature

Slot = tuple[Variable, int]


class DimGroups:
    """Union-find over dim slots; a group may know its size."""

    def __init__(self) -> None:
        self._parent: dict[Hashable, Hashable] = {}
        self._size: dict[Hashable, int] = {}

    def find(self, slot: Hashable) -> Hashable:
        parent = self._parent.setdefault(slot, slot)
        if parent != slot:
            parent = self._parent[slot] = self.find(parent)
        return parent

    def union(self, a: Hashable, b: Hashable) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        self._parent[rb] = ra
        if ra not in self._size and rb in self._size:
            self._size[ra] = self._size[rb]

    def fix(self, slot: Hashable, size: int) -> None:
        """``slot`` has this size (the first size a group gets stays: a graph that ties two
        different static sizes together fails in PyTensor whatever the inputs)."""
        self._size.setdefault(self.find(slot), size)

    def size(self, slot: Hashable) -> int | None:
        return self._size.get(self.find(slot))


def infer_input_dims(fgraph: FunctionGraph) -> dict[Slot, int]:
    """The sizes the graph fixes for unknown dims of its inputs: ``{(input, axis): size}``."""
    groups = DimGroups()
    for var in fgraph.variables:
        for axis, size in enumerate(_static_shape(var)):
            if size is not None:
                groups.fix((var, axis), int(size))
    for node in fgraph.toposort():
        try:
            _relate(node, groups)
        except Exception:  # an op's infer_shape may not take symbols: it ties nothing then
            continue
    found = {}
    for var in fgraph.inputs:
        if isinstance(var, SharedVariable):
            continue
        for axis, size in enumerate(var.type.shape if isinstance(var.type, TensorType) else ()):
            inferred = groups.size((var, axis))
            if size is None and inferred is not None:
                found[(var, axis)] = inferred
    return found


def _static_shape(var: Variable) -> tuple[int | None, ...]:
    """The dims known now: a shared variable's (weights) are its value's."""
    if not isinstance(var.type, TensorType):
        return ()
    if isinstance(var, SharedVariable):
        return tuple(int(d) for d in np.shape(var.get_value(borrow=True)))
    return tuple(var.type.shape)


def _relate(node: Apply, groups: DimGroups) -> None:
    op = node.op
    if isinstance(op, Elemwise):
        _broadcast(groups, node.inputs, node.outputs, batch_ndim=None)
        return
    if isinstance(op, Join):
        # Every axis but the joined one is the same in all parts and the result.
        (out,) = node.outputs
        for x in node.inputs:
            for axis in range(out.type.ndim):
                if axis != op.axis % out.type.ndim:
                    groups.union((x, axis), (out, axis))
        return
    if isinstance(op, DimShuffle):
        (x,), (out,) = node.inputs, node.outputs
        for axis, source in enumerate(op.new_order):
            if source != "x":
                groups.union((x, source), (out, axis))
        return
    signature = op.signature if isinstance(op, Blockwise) else getattr(op, "gufunc_signature", None)
    if signature is not None:
        _gufunc(groups, node, signature)
        return
    _by_infer_shape(groups, node)


def _broadcast(
    groups: DimGroups,
    inputs: Sequence[Variable],
    outputs: Sequence[Variable],
    batch_ndim: int | None,
) -> None:
    """Equal axes of inputs and outputs of the same rank, numpy's broadcasting: an input's
    static 1 stretches, any other dim equals the output's. ``batch_ndim`` limits it to the
    leading axes (a gufunc's batch axes)."""
    for out in outputs:
        rank = out.type.ndim if batch_ndim is None else batch_ndim
        for x in inputs:
            shape = _static_shape(x)
            if len(shape) < rank:
                continue
            for axis in range(rank):
                if shape[axis] != 1:
                    groups.union((x, axis), (out, axis))


def _gufunc(groups: DimGroups, node: Apply, signature: str) -> None:
    ins_sig, outs_sig = _parse_gufunc_signature(signature)
    letters: dict[str, Slot] = {}
    for vars_, sigs in ((node.inputs, ins_sig), (node.outputs, outs_sig)):
        for var, core in zip(vars_, sigs, strict=False):
            batch = var.type.ndim - len(core)
            for i, letter in enumerate(core):
                slot = (var, batch + i)
                if letter in letters:
                    groups.union(letters[letter], slot)
                else:
                    letters[letter] = slot
    out_batch = node.outputs[0].type.ndim - len(outs_sig[0])
    _broadcast(groups, node.inputs, node.outputs, batch_ndim=out_batch)


def _by_infer_shape(groups: DimGroups, node: Apply) -> None:
    infer_shape = getattr(node.op, "infer_shape", None)
    if infer_shape is None:
        return
    symbols: dict[Any, Slot] = {}
    input_shapes = []
    for var in node.inputs:
        dims = []
        for axis in range(len(_static_shape(var))):
            symbol = lscalar()
            symbols[symbol] = (var, axis)
            dims.append(symbol)
        input_shapes.append(tuple(dims))
    out_shapes = infer_shape(None, node, input_shapes)
    for out, shape in zip(node.outputs, out_shapes, strict=False):
        for axis, dim in enumerate(_entries(shape)):
            if dim in symbols:
                groups.union(symbols[dim], (out, axis))
            elif isinstance(dim, Constant):
                groups.fix((out, axis), int(dim.data))
            elif isinstance(dim, int):
                groups.fix((out, axis), dim)


def _entries(shape: Any) -> Iterable[Any]:
    return shape if isinstance(shape, list | tuple) else ()


__all__ = ["DimGroups", "infer_input_dims"]
