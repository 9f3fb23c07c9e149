"""Loop-invariant code motion: computations of a ``tir.loop`` body that do not depend on the
iteration move before the loop, so they run once instead of once per iteration.

A pure op directly in the body whose operands are all defined outside the body moves in front
of the loop (in body order, so chains of invariant ops move together). Hoisting makes the op
run even when the loop runs zero times, so it moves only when that cannot make the model fail:
the loop surely runs once, or the op is of a kind that cannot fail at run time on operands of
its (verified, ``?``-free) types. Ops with regions stay (an ``tir.if`` must stay lazy), and
nothing moves out of a nested ``tir.if`` region. A carried value the body passes through
unchanged is its initial value: its readers read that instead (``dce`` then drops it).
"""

from __future__ import annotations

from ir import ops
from ir.core import Module, Operation, Yield, defined_in, walk
from ir.dtypes import FLOAT_DTYPES
from ir.types import UNKNOWN
from passes.pass_manager import Pass

#: Ops ONNX Runtime runs without error on any operands of their (static or named-symbol)
#: types: no index or shape read from data, no broadcast left to run time. Integer division
#: and modulo are lowered trap-free (the divisors 0 and -1 never reach ORT's Div/Mod).
NEVER_FAILING: tuple[type[Operation], ...] = (
    ops.Constant,
    ops.Elementwise,
    ops.Cast,
    ops.Transpose,
    ops.Unsqueeze,
    ops.MatMul,
    ops.Concat,
    ops.Shape,
)


def cannot_fail(op: Operation) -> bool:
    """True when ``op`` runs without error on any operands its types allow."""
    if not isinstance(op, NEVER_FAILING):
        return False
    if isinstance(op, ops.Pow) and op.operands[1].dtype not in FLOAT_DTYPES:
        return False  # x ** y with a negative integer y is an error in the IR's semantics
    values = (*op.operands, *op.results)
    return all(UNKNOWN not in v.shape for v in values)


class HoistLoopInvariants(Pass):
    """`tir.loop ... { %0 = tir.exp %x ... }` with `%x` defined outside → `%0 = tir.exp %x`
    before the loop."""

    NAME = "hoist-loop-invariants"

    def run(self, module: Module) -> bool:
        loops = [op for op in walk(module.func) if isinstance(op, ops.Loop)]
        hoisted = forwarded = 0
        for loop in reversed(loops):  # inner loops first: their invariants may leave all loops
            forwarded += self._forward_unchanged(loop)
            hoisted += self._hoist(loop)
        if hoisted:
            self.count("ops-hoisted", hoisted)
        if forwarded:
            self.count("carried-forwarded", forwarded)
        return hoisted + forwarded > 0

    @staticmethod
    def _forward_unchanged(loop: ops.Loop) -> int:
        """Carried values the body yields unchanged: every reader reads the initial value."""
        body, count = loop.body, 0
        for j, (init, arg) in enumerate(zip(loop.inits, body.args[2:], strict=True)):
            if body.yielded[1 + j] is arg and (arg.num_uses > 1 or loop.results[j].has_uses):
                arg.replace_all_uses_with(init)
                loop.results[j].replace_all_uses_with(init)
                count += 1
        return count

    @staticmethod
    def _hoist(loop: ops.Loop) -> int:
        body = loop.body
        inside = defined_in(body)
        always_runs = loop.runs_at_least_once()
        count = 0
        for op in list(body.ops):
            if isinstance(op, Yield) or not op.PURE or op.regions:
                continue
            if any(v in inside for v in op.operands):
                continue
            if not (always_runs or cannot_fail(op)):
                continue
            body.detach(op)
            loop.block.insert_before(loop, op)
            inside.difference_update(op.results)
            count += 1
        return count
