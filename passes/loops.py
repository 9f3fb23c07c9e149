"""Helpers of the passes that change ``tir.loop`` ops: rebuild a loop without some of its
carried values or stacked outputs, and the top-level op of a body that holds a nested op."""

from __future__ import annotations

from collections.abc import Collection

from ir import ops
from ir.core import Block, Operation, Yield


def top_level(op: Operation, block: Block) -> Operation | None:
    """The op directly in ``block`` that is or holds ``op`` (in a nested region), or None."""
    while op.parent is not block:
        owner = op.parent.owner if op.parent is not None else None
        if owner is None:
            return None
        op = owner
    return op


def drop_loop_parts(loop: ops.Loop, carried: Collection[int], scanned: Collection[int]) -> ops.Loop:
    """Replace ``loop`` by one without the carried values ``carried`` and the stacked outputs
    ``scanned`` (indices from 0 in each group); return the new loop.

    The dropped results must be unused. The ops of the body that read a dropped carried
    argument must be gone already except for the yield, whose dropped operands go here.
    """
    body, k = loop.body, loop.num_carried
    old_yield = body.last
    assert isinstance(old_yield, Yield)
    gone = {1 + j for j in carried} | {1 + k + m for m in scanned}
    new_yield = Yield([v for i, v in enumerate(old_yield.operands) if i not in gone])
    body.insert_before(old_yield, new_yield)
    body.erase(old_yield)
    dropped_args = [body.args[2 + j] for j in carried]
    if any(arg.has_uses for arg in dropped_args):
        raise AssertionError("drop_loop_parts: a dropped carried argument is still read")
    body.args = [a for i, a in enumerate(body.args) if i < 2 or i - 2 not in carried]
    kept = [
        r
        for i, r in enumerate(loop.results)
        if (i < k and i not in carried) or (i >= k and i - k not in scanned)
    ]
    inits = [v for j, v in enumerate(loop.inits) if j not in carried]
    loop.regions = []  # the body moves to the new loop
    body.owner = None
    new = ops.Loop(
        [loop.trip, loop.cond, *inits],
        regions=[body],
        result_types=[r.type for r in kept],
        location=loop.location,
    )
    loop.block.insert_before(loop, new)
    for old, value in zip(kept, new.results, strict=True):
        value.name = old.name
        old.replace_all_uses_with(value)
    loop.block.erase(loop)
    return new
