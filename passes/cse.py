"""Common-subexpression elimination: pure ops with equal name, operands and attributes merge.

Scoped like the IR's values: an op in a region (a ``tir.if`` branch, a ``tir.loop`` body) may
merge into an equal op defined before the region's op in an enclosing block (that value is
computed already and visible there); an op outside a region never merges into one inside it.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Hashable

from ir import ops
from ir.core import Block, Module, Operation, Value
from ir.dtypes import FLOAT_DTYPES
from ir.ops.elementwise import COMMUTATIVE
from passes.pass_manager import Pass


def commutes_exactly(op: Operation) -> bool:
    """``a ∘ b`` equals ``b ∘ a`` bit for bit (a two-operand commutative op).

    Float maximum/minimum are not: of two equal operands (-0.0 and 0.0) they return the one in
    a fixed position, so swapping them changes the sign of a zero result.
    """
    if not isinstance(op, COMMUTATIVE) or len(op.operands) != 2:
        return False
    return not (isinstance(op, ops.Maximum | ops.Minimum) and op.compute_dtype() in FLOAT_DTYPES)


def op_key(op: Operation) -> Hashable:
    """Two pure ops with equal keys compute the same values."""
    operands: tuple[Value, ...] = tuple(op.operands)
    if commutes_exactly(op):
        # a ∘ b == b ∘ a exactly for two operands; more would reassociate.
        operands = tuple(sorted(operands, key=id))
    return (
        type(op),
        operands,
        tuple(sorted(op.attributes.items())),
        tuple(r.type for r in op.results),
    )


class CommonSubexpressionElimination(Pass):
    """`%2 = tir.exp %0` and `%3 = tir.exp %0` → `%3` replaced by `%2`. One forward sweep."""

    NAME = "cse"

    def run(self, module: Module) -> bool:
        merged = self._run_block(module.func, ChainMap())
        self.count("ops-merged", merged)
        return merged > 0

    def _run_block(self, block: Block, seen: ChainMap[Hashable, Operation]) -> int:
        """Merge within ``block``; ``seen`` starts with the ops of enclosing blocks defined
        before it (a region's own additions go to a child map and end with it)."""
        merged = 0
        for op in block.ops:
            for region in op.regions:
                merged += self._run_block(region, seen.new_child())
            if not op.PURE or not op.results or op.regions:
                continue
            key = op_key(op)
            first = seen.get(key)
            if first is None:
                seen[key] = op
                continue
            for old, new in zip(op.results, first.results, strict=True):
                old.replace_all_uses_with(new)
            block.erase(op)
            merged += 1
        return merged
