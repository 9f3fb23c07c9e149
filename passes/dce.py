"""Dead-code elimination: erase pure ops none of whose results is used, and the parts of a
``tir.loop`` nothing needs (unused stacked outputs; carried values whose final result is
unused and which no other computation of the body reads; the whole body of a loop that runs
no iteration)."""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.attributes import DenseElements
from ir.core import Module, Operation, Value, Yield, blocks, walk
from ir.types import UNKNOWN
from passes.loops import drop_loop_parts, top_level
from passes.pass_manager import Pass


def _sweep(module: Module) -> int:
    """One backward sweep of every block, regions first (their uses keep outer values alive)."""
    removed = 0
    for block in blocks(module.func):
        op = block.last
        while op is not None:
            prev = op.prev
            # A pure op with no results at all (a loop left with nothing to give) is dead too.
            if op.PURE and not any(r.has_uses for r in op.results):
                block.erase(op)
                removed += 1
            op = prev
    return removed


def dead_carried(loop: ops.Loop, j: int) -> list[Operation] | None:
    """The body ops that compute only carried value ``j``'s next value, when its final result
    is unused and nothing else in the body reads its argument (directly or through them), in
    body order; None when the carried value is needed."""
    if loop.results[j].has_uses:
        return None
    body = loop.body
    tainted: set[Value] = {body.args[2 + j]}
    chain: list[Operation] = []
    for op in body.ops:
        if isinstance(op, Yield):
            break
        if any(v in tainted for inner in (op, *_nested(op)) for v in inner.operands):
            if not op.PURE:
                return None
            tainted.update(op.results)
            chain.append(op)
    members = set(chain)
    for value in tainted:
        for use in value.uses:
            holder = top_level(use.op, body)
            if holder in members:
                continue
            if use.op is body.last and use.index == 1 + j:
                continue  # its own update
            return None
    return chain


def _nested(op: Operation) -> list[Operation]:
    return [inner for region in op.regions for inner in walk(region)]


def prune_loop(loop: ops.Loop) -> tuple[int, int]:
    """Drop the carried values and stacked outputs of ``loop`` nothing needs; return how many,
    and how many body ops computing dropped carried values were erased."""
    k = loop.num_carried
    carried: list[int] = []
    doomed: list[Operation] = []
    for j in range(k):
        chain = dead_carried(loop, j)
        if chain is not None:
            carried.append(j)
            doomed.extend(chain)
    scanned = [m for m in range(loop.num_scanned) if not loop.results[k + m].has_uses]
    if not carried and not scanned:
        return 0, 0
    if len(carried) + len(scanned) == len(loop.results):
        return 0, 0  # the whole loop is dead: the sweep erases it
    body = loop.body
    # The yield stops reading the dropped next values (drop_loop_parts removes those
    # operands), then the chains computing them go, last op first.
    yield_op = body.last
    assert yield_op is not None  # a region ends with yield
    for j in carried:
        yield_op.set_operand(1 + j, loop.inits[j])
    order = {op: i for i, op in enumerate(body.ops)}
    erased = sorted(set(doomed), key=order.__getitem__, reverse=True)
    for op in erased:
        body.erase(op)
    drop_loop_parts(loop, carried, scanned)
    return len(carried) + len(scanned), len(erased)


def drop_empty_loop(loop: ops.Loop) -> bool:
    """A loop known to run no iteration: its carried results are the initial values and its
    stacked results empty constants (per-step dims not static are 0, as ``tir.loop`` says)."""
    if loop.static_trip_count() != 0:
        return False
    k = loop.num_carried
    stacked = [r.type for r in loop.results[k:]]
    if any(not isinstance(d, int) and d != UNKNOWN for t in stacked for d in t.shape):
        return False  # a stored symbolic dim would no longer hold
    if any(r.type != i.type for r, i in zip(loop.results[:k], loop.inits, strict=True)):
        # A carried result typed more precisely than its initial value (a Scan's i64[3] of an
        # i64[?] init): its users' types would no longer follow from their operands.
        return False
    for result, init in zip(loop.results[:k], loop.inits, strict=True):
        result.replace_all_uses_with(init)
    for result, type_ in zip(loop.results[k:], stacked, strict=True):
        shape = tuple(d if isinstance(d, int) else 0 for d in type_.shape)
        const = ops.Constant(
            [], {"value": DenseElements(np.zeros(shape, type_.dtype))}, location=loop.location
        )
        loop.block.insert_before(loop, const)
        const.result.name = result.name
        result.replace_all_uses_with(const.result)
    loop.block.erase(loop)
    return True


class DeadCodeElimination(Pass):
    """`%1 = tir.exp %0` with %1 unused → removed. One backward sweep removes whole dead chains;
    then unused loop parts go, and the sweep repeats while that frees more."""

    NAME = "dce"

    def run(self, module: Module) -> bool:
        removed = _sweep(module)
        pruned = emptied = 0
        while True:
            loops = [op for op in walk(module.func) if isinstance(op, ops.Loop)]
            step = 0
            for loop in reversed(loops):  # inner loops first
                if drop_empty_loop(loop):
                    step += 1
                    emptied += 1
                    continue
                dropped, erased = prune_loop(loop)
                step += dropped
                pruned += dropped
                removed += erased
            if not step:
                break
            removed += _sweep(module)
        self.count("ops-erased", removed)
        if pruned:
            self.count("loop-values-dropped", pruned)
        if emptied:
            self.count("empty-loops-erased", emptied)
        return removed + pruned + emptied > 0
