"""slices-to-split: disjoint unit-step slices of one value along one axis become one split.

`x[:, :c]` and `x[:, c:]` (a `chunk`) are two ONNX Slice nodes, each with its own bounds; one
`tir.split` is one Split node that reads `x` once. Slices with constant bounds, step 1 and a
static axis size qualify when at least two of them read the same value along the same axis
in the same block and no two overlap (equal slices share a piece); gaps become pieces no one
reads. Each slice becomes its piece: the same elements, so the numbers do not change.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ir import ops
from ir.attributes import DenseElements
from ir.core import Block, Module, Operation, Value, walk
from ir.ops.shape import static_ints
from passes.pass_manager import Pass

Interval = tuple[int, int]


def _interval(op: ops.Slice) -> tuple[int, Interval] | None:
    """``(axis, (lo, hi))`` of a one-axis unit-step slice with constant bounds, or None."""
    if len(op.axes) != 1:
        return None
    axis = op.axes[0] % op.x.rank
    size = op.x.shape[axis]
    starts, stops, steps = (static_ints(v) for v in (op.starts, op.stops, op.steps))
    if not isinstance(size, int) or starts is None or stops is None or steps != [1]:
        return None
    lo, hi, _ = slice(starts[0], stops[0]).indices(size)
    return (axis, (lo, hi)) if lo < hi else None


def _pieces(intervals: list[Interval], size: int) -> list[Interval] | None:
    """The split of [0, size) whose pieces include every interval, or None if two overlap."""
    pieces, at = [], 0
    for lo, hi in sorted(set(intervals)):
        if lo < at:
            return None
        if lo > at:
            pieces.append((at, lo))
        pieces.append((lo, hi))
        at = hi
    if at < size:
        pieces.append((at, size))
    return pieces


class SlicesToSplit(Pass):
    """Merge disjoint constant slices of one value along one axis into a `tir.split`."""

    NAME = "slices-to-split"

    def run(self, module: Module) -> bool:
        groups: dict[tuple[Value, int, Block], list[tuple[ops.Slice, Interval]]] = defaultdict(list)
        for op in walk(module.func):
            if isinstance(op, ops.Slice) and (found := _interval(op)) is not None:
                axis, interval = found
                groups[(op.x, axis, op.block)].append((op, interval))
        merged = 0
        for (x, axis, _), members in groups.items():
            if len(members) >= 2 and self._merge(x, axis, members):
                merged += len(members)
        self.count("slices-merged", merged)
        return merged > 0

    @staticmethod
    def _merge(x: Value, axis: int, members: list[tuple[ops.Slice, Interval]]) -> bool:
        size = x.shape[axis]  # static: _interval checked it
        if not isinstance(size, int):
            return False
        pieces = _pieces([interval for _, interval in members], size)
        if pieces is None:
            return False
        first: Operation = members[0][0]  # walk order: the earliest slice of the block
        block = first.block
        sizes = ops.Constant(
            [], {"value": DenseElements(np.array([hi - lo for lo, hi in pieces], np.int64))},
            location=first.location,
        )  # fmt: skip
        split = ops.Split([x, sizes.result], {"axis": axis}, location=first.location)
        block.insert_before(first, sizes)
        block.insert_before(first, split)
        index = {piece: i for i, piece in enumerate(pieces)}
        for op, interval in members:
            piece = split.results[index[interval]]
            piece.name = piece.name or op.result.name
            op.result.replace_all_uses_with(piece)
            block.erase(op)
        return True
