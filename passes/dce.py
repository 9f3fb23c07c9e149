"""Dead-code elimination: erase pure ops none of whose results is used."""

from __future__ import annotations

from ir.core import Module, blocks
from passes.pass_manager import Pass


class DeadCodeElimination(Pass):
    """`%1 = tir.exp %0` with %1 unused → removed. One backward sweep removes whole dead chains."""

    NAME = "dce"

    def run(self, module: Module) -> bool:
        removed = 0
        for block in blocks(module.func):  # regions first: their uses keep outer values alive
            op = block.last
            while op is not None:
                prev = op.prev
                if op.PURE and op.results and not any(r.has_uses for r in op.results):
                    block.erase(op)
                    removed += 1
                op = prev
        self.count("ops-erased", removed)
        return removed > 0
