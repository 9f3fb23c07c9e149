"""Move computations that only one region of an op uses into that region.

PyTensor's IfElse evaluates only the taken branch, but its branches are ordinary values of the
graph, so the frontend's ``tir.if`` first computes both before choosing. This pass restores
the laziness: an op whose every use is inside one region moves into it (and then its own
operands may follow). Only then does a guarded ``x[i]`` not run when the guard is false.

Only ``tir.if`` regions take ops: a loop body runs once per iteration, so an op moved into it
would run every iteration (``hoist-loop-invariants`` moves the other way).
"""

from __future__ import annotations

from ir import ops
from ir.core import Block, Module, Operation, blocks
from passes.pass_manager import Pass


def _region_of(op: Operation, owner: Operation) -> Block | None:
    """The region of ``owner`` that holds ``op`` (at any depth), or None."""
    block = op.parent
    while block is not None:
        if block.owner is owner:
            return block
        block = block.owner.parent if block.owner is not None else None
    return None


class SinkIntoRegions(Pass):
    """`%a = tir.exp %x` used only inside one region of a `tir.if` → moved into that region.
    Never into a `tir.loop` body."""

    NAME = "sink-into-regions"

    def run(self, module: Module) -> bool:
        moved = 0
        for block in list(blocks(module.func)):
            for owner in [op for op in block.ops if isinstance(op, ops.If)]:
                moved += self._sink_before(owner)
        self.count("ops-sunk", moved)
        return moved > 0

    def _sink_before(self, owner: Operation) -> int:
        """Walk backwards from ``owner``: each pure op used only inside one of its regions
        moves to the front of that region (so the moved ops keep their order)."""
        moved = 0
        op = owner.prev
        while op is not None:
            prev = op.prev
            if op.PURE and op.results and not isinstance(op, ops.Constant) and not op.regions:
                users = {u.op for r in op.results for u in r.uses}
                targets = {_region_of(u, owner) for u in users}
                region = next(iter(targets)) if len(targets) == 1 else None
                if users and region is not None:
                    op.block.detach(op)
                    if region.first is None:
                        region.append(op)
                    else:
                        region.insert_before(region.first, op)
                    moved += 1
            op = prev
        return moved
