"""small-axis-first: an elementwise region over (..., N, K) tensors, K small and static, is
computed laid out (K, ..., N), so that ONNX Runtime broadcasts along rows of N.

ONNX Runtime runs a broadcasting elementwise node whose result is (N, K) with a (1, K) or an
(N, 1) operand as a loop over N rows of K elements: with K = 2, 8-12x slower than the same node
laid out (K, N) with a (K, 1) or (1, N) operand (``benchmarks/broadcast_ranks.py``; PyMC's
mixture log-density is nine such nodes). Every value of rank r >= 2 the region computes is held
"moved": its last axis first, ``transpose(v, [r-1, 0, ..., r-2])``; a value of rank <= 1 is
the same either way.

- Elementwise ops (``tir.cast`` too) with a result of rank r >= 2 whose last dim is a static
  K <= 8 compute on moved operands; an operand of lower rank is moved at its own rank and
  given size-1 axes after the first (a (K,) operand becomes (K, 1)).
- Reductions (and softmax, log-softmax) of such an x reduce the moved axes (a -> (a + 1) % r);
  the result is moved while it keeps the last axis (kept dims, or a reduction over other axes)
  and is a plain value when the last axis is reduced away: a reduction to (N,) or to (K,)
  needs no transpose back.
- A sum, maximum or minimum over K alone of a wide x (below) with K <= 4 is a chain over the
  K slices of the leading axis (one ``tir.split``, then ``tir.add`` / ``tir.maximum`` /
  ``tir.minimum``): ORT reduces a leading axis of 2 rows about 2x slower than trailing rows of
  2, and the slices about 3-6x faster (``ReduceSum`` over (2, 10 000): 225 us; ``Split`` and
  ``Add``: 37 us; with ``ReduceMax`` the lowering's NaN fix-up goes too).
- Squeeze and unsqueeze move with it: `unsqueeze (N,) -> (N, 1)` becomes `(N,) -> (1, N)`,
  `squeeze (N, 1) -> (N,)` becomes `(1, N) -> (N,)`, `unsqueeze (K,) -> (1, K)` becomes
  `(K,) -> (K, 1)`; an unsqueeze that puts back what a squeeze removed is the squeezed value
  (a max over K without kept dims read as a column again: PyTensor's logsumexp gradient).

The pass runs before ``hoist-loop-invariants`` (a loop body's transposes of values defined
outside it leave the loop) and ``cse``, which merges what the moved region computes twice (the
two shifted exps of a logsumexp and of its gradient, once their max is one value). Values enter
the region moved: constants at compile time, other values through one
``tir.transpose`` each (shared by their users in the region); a moved value read outside the
region (another op, an output) is transposed back once, right after it is made.

Cost rule (per connected region, in units of one full-speed pass over the data; figures from
``benchmarks/broadcast_ranks.py`` and ORT profiles at N = 10 000): a *slow broadcast* is an
elementwise op with a wide result (last dim 2 <= K <= 8, the other dims unknown or at least 16
elements) and an operand of more than one element broadcast along some axis: it gains 8. A
reduction of a wide x over axes other than the last gains 1 (ORT reduces contiguous rows about
4x faster), and so does one computed as a chain over slices; another reduction over the last
axis costs 1 (ORT reduces a leading small axis about 2x slower than a trailing one). Each
transpose the region adds costs 2 when it moves a wide value, else 1 (a size-1 axis: a copy,
one more node). The region is rewritten when it has at least 3 slow broadcasts and gains more
than it costs.

Exactness: elementwise ops, squeezes, unsqueezes and transposes give the same bits in any
layout, and so do logical and bitwise reductions and maxima and minima, but for which zero a
maximum of -0.0 and +0.0 gives (the IR does not fix it: numpy itself picks by layout, e.g. over
rows of 8 with an initial value). A chain over slices computes numpy's reduction over a leading
axis step for step (not for a sum of -0.0s whose sign an output may see, ``ir.facts``: numpy's
sum starts from +0.0). A float sum (``reduce_sum``, and the sums inside
``logsumexp``, ``softmax``, ``log_softmax``) may add in another order: the IR leaves a float
sum's order to the runtime (``tir.reduce_sum_square`` says so; ORT and the interpreter already
differ), and both runtimes pick theirs by layout (numpy adds the rows of an (N, K) value one
after the other, but a contiguous row of N pairwise). So sums may change in the last bits. On
PyMC's mixture (20 points), the largest normwise relative difference of dlogp from PyTensor's
NUMBA mode went from 1.6e-15 to 2.7e-14 at N = 10 000 and from 2.1e-15 to 6.4e-14 at
N = 100 000 (NUMBA sums each component's column in order, as ORT did in the (N, 2) layout),
and from FAST_COMPILE's from 1.9e-14 to 1.6e-14 and stays 1.3e-13; logp did not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ir import ops
from ir.attributes import DenseElements
from ir.core import Block, Module, Operation, Value, blocks
from ir.facts import Facts
from ir.ops.tensor import constant_array, normalize_axes
from ir.types import Dim
from passes.pass_manager import Pass

#: The largest trailing dim moved to the front.
MAX_SMALL = 8
#: The fewest elements the other dims of a wide value hold (when all are static).
MIN_LARGE = 16
#: The fewest slow broadcasts a region needs.
MIN_SLOW_BROADCASTS = 3
#: What a slow broadcast gains, in full-speed passes over the data.
SLOW_BROADCAST_GAIN = 8
#: The largest K whose sum, maximum or minimum over K becomes a chain over K slices.
MAX_SLICED = 4


def _small(dim: Dim) -> bool:
    return isinstance(dim, int) and 1 <= dim <= MAX_SMALL


def _trailing_small(value: Value) -> bool:
    """Rank 2 or more, the last dim static and small: a value the region can hold moved."""
    return value.rank >= 2 and _small(value.shape[-1])


def _wide(value: Value) -> bool:
    """A trailing small dim of at least 2 after dims of many elements (or unknown ones)."""
    if not _trailing_small(value) or value.shape[-1] == 1:
        return False
    others = value.shape[:-1]
    if not all(isinstance(d, int) for d in others):
        return True
    return int(np.prod([int(d) for d in others])) >= MIN_LARGE


def moved_perm(rank: int) -> list[int]:
    """The permutation that moves the last axis first."""
    return [rank - 1, *range(rank - 1)]


def back_perm(rank: int) -> list[int]:
    """The permutation that moves the first axis last (the inverse of ``moved_perm``)."""
    return [*range(1, rank), 0]


def _moved_axis(axis: int, rank: int) -> int:
    return (axis + 1) % rank


#: What an op needs of an operand: held moved (at the operand's rank, then padded to the op's
#: rank for an elementwise op), or plain.
MOVED, PLAIN = "moved", "plain"


@dataclass
class _Plan:
    """How a candidate op is computed on moved values."""

    op: Operation
    #: MOVED or PLAIN per operand.
    needs: tuple[str, ...]
    #: The result is held moved (rank >= 2 and the last axis kept).
    result_moved: bool
    #: The attributes of the op made in its place.
    attributes: dict[str, object]
    #: The rank operands are padded to (elementwise ops), else None.
    pad_to: int | None = None


def _plan(op: Operation) -> _Plan | None:
    """The plan of an op the region may hold, or None."""
    if op.regions or len(op.results) != 1:
        return None
    result = op.result
    if isinstance(op, ops.Elementwise | ops.Cast):
        if not _trailing_small(result):
            return None
        needs = tuple(MOVED for _ in op.operands)
        return _Plan(op, needs, True, dict(op.attributes), pad_to=result.rank)
    if isinstance(op, ops.Reduce):
        x = op.x
        if not _trailing_small(x):
            return None
        axes = op.reduced_axes()
        if not axes:
            return None
        moved = result.rank >= 2 and (op.keepdims or x.rank - 1 not in axes)
        new_axes = sorted(_moved_axis(a, x.rank) for a in axes)
        return _Plan(op, (MOVED,), moved, {**op.attributes, "axes": tuple(new_axes)})
    if isinstance(op, ops.Softmax):  # log-softmax too
        x = op.x
        if not _trailing_small(x):
            return None
        new_axes = sorted(_moved_axis(a, x.rank) for a in normalize_axes(op.axes, x.rank, op.NAME))
        return _Plan(op, (MOVED,), True, {"axes": tuple(new_axes)})
    if isinstance(op, ops.Squeeze):
        x = op.x
        if not _trailing_small(x):
            return None
        axes = normalize_axes(op.axes, x.rank, op.NAME)
        last = x.rank - 1
        if last in axes:  # the moved axis goes: the result is plain
            new = [0, *(a + 1 for a in axes if a != last)]
            return _Plan(op, (MOVED,), False, {"axes": tuple(sorted(new))})
        new = [a + 1 for a in axes]
        return _Plan(op, (MOVED,), result.rank >= 2, {"axes": tuple(sorted(new))})
    if isinstance(op, ops.Unsqueeze):
        if not _trailing_small(result):
            return None
        axes = normalize_axes(op.axes, result.rank, op.NAME)
        last = result.rank - 1
        if last in axes:  # the new last axis (size 1) goes first: x is read plain
            new = [0, *(a + 1 for a in axes if a != last)]
            return _Plan(op, (PLAIN,), True, {"axes": tuple(sorted(new))})
        new = [a + 1 for a in axes]
        return _Plan(op, (MOVED,), True, {"axes": tuple(sorted(new))})
    return None


#: Reductions over K computed as a chain over K slices (the binary op that chains them).
_CHAINS: dict[type[Operation], type[Operation]] = {
    ops.ReduceSum: ops.Add, ops.ReduceMax: ops.Maximum, ops.ReduceMin: ops.Minimum,
}  # fmt: skip


def _sliced(op: Operation, facts: Facts) -> bool:
    """A sum, maximum or minimum over the last axis alone of a wide x with K <= 4: computed
    moved as a chain over the K slices of the leading axis. Not a sum of -0.0s whose sign an
    output may see: numpy's sum starts from +0.0 (-0.0 + -0.0 is -0.0), and the + 0.0 that
    would make up for it is an Add that ONNX Runtime's optimizer drops."""
    if type(op) not in _CHAINS or not isinstance(op, ops.Reduce) or not _wide(op.x):
        return False
    k = op.x.shape[-1]
    if not (isinstance(k, int) and k <= MAX_SLICED and op.reduced_axes() == (op.x.rank - 1,)):
        return False
    if isinstance(op, ops.ReduceSum) and facts.of(op.x).neg_zero:
        return not facts.zero_sign_observed(op.result)
    return True


def _slow_broadcast(op: Operation) -> bool:
    """An elementwise op with a wide result and an operand of more than one element that is
    broadcast along some axis (ORT loops over rows of K there)."""
    if not isinstance(op, ops.Elementwise) or not _wide(op.result):
        return False
    shape = op.result.shape
    for operand in op.operands:
        if operand.type.size == 1:
            continue
        padded = (1,) * (len(shape) - operand.rank) + tuple(operand.shape)
        if any(p != s for p, s in zip(padded, shape, strict=True)):
            return True
    return False


@dataclass
class _Region:
    """A connected set of candidate ops of one block, and what computing it moved costs."""

    plans: list[_Plan] = field(default_factory=list)

    def members(self) -> set[Operation]:
        return {p.op for p in self.plans}


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Operation, Operation] = {}

    def find(self, op: Operation) -> Operation:
        root = op
        while self.parent.get(root, root) is not root:
            root = self.parent[root]
        while op is not root:
            op, self.parent[op] = self.parent.get(op, op), root
        return root

    def union(self, a: Operation, b: Operation) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra is not rb:
            self.parent[rb] = ra


def _regions(block: Block) -> list[_Region]:
    """The candidate ops of ``block`` in connected regions (linked where a moved result is
    read moved), in block order."""
    plans: dict[Operation, _Plan] = {}
    links = _UnionFind()
    for op in block.ops:
        plan = _plan(op)
        if plan is None:
            continue
        plans[op] = plan
        for operand, need in zip(op.operands, plan.needs, strict=True):
            producer = operand.owner
            if need == MOVED and producer in plans and plans[producer].result_moved:
                links.union(producer, op)
    grouped: dict[Operation, _Region] = {}
    for op, plan in plans.items():
        grouped.setdefault(links.find(op), _Region()).plans.append(plan)
    return list(grouped.values())


def _pays_off(region: _Region, facts: Facts) -> bool:
    """The cost rule of the module docstring."""
    members = region.members()
    moved = {p.op.result for p in region.plans if p.result_moved}
    slow = sum(1 for p in region.plans if _slow_broadcast(p.op))
    if slow < MIN_SLOW_BROADCASTS:
        return False
    gain = SLOW_BROADCAST_GAIN * slow
    cost = 0
    entering: set[tuple[Value, int]] = set()
    for plan in region.plans:
        op = plan.op
        if isinstance(op, ops.Reduce) and _wide(op.x):
            # A chain over slices beats ORT's reduction of (N, K) rows, whose own reduction
            # of a leading K axis is slower.
            leading = op.x.rank - 1 in op.reduced_axes() and not _sliced(op, facts)
            cost, gain = (cost + 1, gain) if leading else (cost, gain + 1)
        for operand, need in zip(op.operands, plan.needs, strict=True):
            if need != MOVED or operand in moved or constant_array(operand) is not None:
                continue
            pad = plan.pad_to if plan.pad_to is not None and 1 <= operand.rank < plan.pad_to else 0
            if operand.rank >= 2 or pad:
                entering.add((operand, pad))
    for operand, _ in entering:
        cost += 2 if _wide(operand) else 1
    for value in moved:
        if any(use.op not in members or _reads_plain(use.op, value) for use in value.uses):
            cost += 2 if _wide(value) else 1
    return gain > cost


def _reads_plain(op: Operation, value: Value) -> bool:
    """``op`` (an unsqueeze that adds the last axis) reads ``value`` plain."""
    plan = _plan(op)
    return plan is not None and PLAIN in plan.needs


class _Rewrite:
    """Computes one region moved: new ops before the old ones, then the old ones erased."""

    def __init__(self, block: Block, region: _Region, facts: Facts) -> None:
        self.block = block
        self.facts = facts
        #: A moved value -> its slices along the leading axis.
        self.slices: dict[Value, tuple[Value, ...]] = {}
        #: (chaining op, moved value) -> the chain over its slices (kept leading dim).
        self.chains: dict[tuple[type[Operation], Value], Value] = {}
        self.region = region
        self.members = region.members()
        #: Original value -> its moved form.
        self.moved: dict[Value, Value] = {}
        #: (original value, rank it is padded to) -> its moved, padded form.
        self.padded: dict[tuple[Value, int], Value] = {}
        #: A moved value -> its plain form (a transpose back).
        self.plain: dict[Value, Value] = {}
        #: The last op inserted at the block's top (transposes of values defined before it).
        self.top: Operation | None = None
        #: Constants read moved: erased when nothing reads them as they are any more.
        self.constants: list[Operation] = []

    def run(self) -> None:
        for plan in self.region.plans:
            self._rewrite(plan)
        for plan in reversed(self.region.plans):
            self.block.erase(plan.op)
        for constant in self.constants:
            if constant.parent is self.block and not constant.result.has_uses:
                self.block.erase(constant)

    def _rewrite(self, plan: _Plan) -> None:
        op = plan.op
        operands = [
            self._operand(op, operand, need, plan.pad_to)
            for operand, need in zip(op.operands, plan.needs, strict=True)
        ]
        if _sliced(op, self.facts):
            new = self._chain(op, operands[0])
        elif (undone := _undone_squeeze(op, operands[0], plan)) is not None:
            new = undone
        else:
            new = type(op)(operands, plan.attributes, location=op.location)
            self.block.insert_before(op, new)
        old, value = op.result, new.results[0]
        if not plan.result_moved:
            value.name = old.name
            old.replace_all_uses_with(value)
            return
        self.moved[old] = value
        outside = [
            use for use in old.uses if use.op not in self.members or _reads_plain(use.op, old)
        ]
        if outside:
            back = ops.Transpose([value], {"perm": back_perm(value.rank)}, location=op.location)
            self.block.insert_after(new, back)
            back.result.name = old.name
            self.plain[old] = back.result
            for use in outside:
                use.op.set_operand(use.index, back.result)
        else:
            value.name = old.name

    def _chain(self, op: Operation, x: Value) -> Operation:
        """The sum, maximum or minimum of the K slices of moved ``x`` (one split per x, shared),
        in order: numpy's order over a leading axis; dropped keepdims are squeezed."""
        assert isinstance(op, ops.Reduce)
        chain = _CHAINS[type(op)]
        total = self.chains.get((chain, x))
        if total is None:
            pieces = self.slices.get(x)
            if pieces is None:
                k = x.shape[0]
                assert isinstance(k, int)  # _sliced: a static K
                sizes = self._constant(op, np.ones(k, dtype=np.int64))
                split = ops.Split([x, sizes], {"axis": 0}, location=op.location)
                self.block.insert_before(op, split)
                pieces = self.slices[x] = split.results
            if chain is ops.Add:
                total = self._insert(op, ops.Add(list(pieces), location=op.location))
            else:
                total = pieces[0]
                for piece in pieces[1:]:
                    total = self._insert(op, chain([total, piece], location=op.location))
            self.chains[(chain, x)] = total
        if op.keepdims:
            assert total.owner is not None
            return total.owner
        squeeze = ops.Squeeze([total], {"axes": [0]}, location=op.location)
        self._insert(op, squeeze)
        return squeeze

    def _insert(self, op: Operation, new: Operation) -> Value:
        self.block.insert_before(op, new)
        return new.result

    def _operand(self, op: Operation, operand: Value, need: str, pad_to: int | None) -> Value:
        if need == PLAIN:
            # Only an unsqueeze reads plain; a moved operand was given its transpose back.
            return self.plain.get(operand, operand)
        value = self._moved(op, operand)
        if pad_to is None or not 1 <= operand.rank < pad_to:
            return value
        key = (operand, pad_to)
        found = self.padded.get(key)
        if found is None:
            axes = list(range(1, pad_to - operand.rank + 1))
            data = constant_array(value)
            if data is not None:
                found = self._constant(op, data.reshape(_unsqueezed(data.shape, axes)))
                if value.owner is not None and value is operand:
                    self.constants.append(value.owner)
            else:
                found = self._insert_after_definition(
                    value, ops.Unsqueeze([value], {"axes": axes}, location=op.location)
                )
            self.padded[key] = found
        return found

    def _moved(self, op: Operation, operand: Value) -> Value:
        """``operand`` held moved (rank <= 1: itself)."""
        if operand.rank <= 1:
            return operand
        found = self.moved.get(operand)
        if found is not None:
            return found
        data = constant_array(operand)
        if data is not None:
            found = self._constant(op, np.transpose(data, moved_perm(operand.rank)))
            assert operand.owner is not None  # a constant's
            self.constants.append(operand.owner)
        else:
            transpose = ops.Transpose(
                [operand], {"perm": moved_perm(operand.rank)}, location=op.location
            )
            found = self._insert_after_definition(operand, transpose)
        self.moved[operand] = found
        return found

    def _constant(self, op: Operation, data: np.ndarray) -> Value:
        array = np.ascontiguousarray(data)
        array.flags.writeable = False
        constant = ops.Constant([], {"value": DenseElements(array)}, location=op.location)
        self.block.insert_before(op, constant)
        return constant.result

    def _insert_after_definition(self, read: Value, new: Operation) -> Value:
        """Insert ``new`` (which reads ``read``) where every member can read it: right after
        ``read``'s producer when that is in this block, else at the block's top."""
        producer = read.owner
        if producer is not None and producer.parent is self.block:
            self.block.insert_after(producer, new)
        elif self.top is None:
            # A block argument, or a value of an enclosing block: defined before this block.
            first = self.block.first
            assert first is not None, "a block ends with its terminator"
            self.block.insert_before(first, new)
            self.top = new
        else:  # after those inserted at the top before, in the order they are needed
            self.block.insert_after(self.top, new)
            self.top = new
        return new.result


def _undone_squeeze(op: Operation, x: Value, plan: _Plan) -> Operation | None:
    """The op whose (first) result an unsqueeze gives back, when it puts back the axes a
    squeeze of that result in this block removed: `unsqueeze (squeeze %v [0]) [0]` is %v (the
    (N,) of a reduction over K, read (1, N) again)."""
    squeeze = x.owner
    if not isinstance(op, ops.Unsqueeze) or not isinstance(squeeze, ops.Squeeze):
        return None
    source = squeeze.x.owner
    if source is None or source.parent is not op.parent or squeeze.x.index != 0:
        return None
    removed = tuple(sorted(normalize_axes(squeeze.axes, squeeze.x.rank, squeeze.NAME)))
    return source if removed == plan.attributes["axes"] else None


def _unsqueezed(shape: Sequence[int], axes: Sequence[int]) -> tuple[int, ...]:
    dims = iter(shape)
    rank = len(shape) + len(axes)
    return tuple(1 if i in axes else next(dims) for i in range(rank))


class SmallAxisFirst(Pass):
    """Compute (..., N, K) elementwise regions laid out (K, ..., N) (see the module docstring)."""

    NAME = "small-axis-first"

    def run(self, module: Module) -> bool:
        changed = False
        facts = Facts(module.func)  # of the values as they were, which the rewrite keeps
        for block in list(blocks(module.func)):
            for region in _regions(block):
                if not _pays_off(region, facts):
                    continue
                _Rewrite(block, region, facts).run()
                self.count("regions-moved")
                self.count("ops-moved", len(region.plans))
                changed = True
        return changed


__all__ = ["SmallAxisFirst", "back_perm", "moved_perm"]
