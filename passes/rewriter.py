"""Pattern rewriting: small rewrite functions keyed on a root op class, applied by a worklist.

A pattern is a function ``(op, rewriter) -> bool`` decorated with ``@pattern(RootOp)``; its
docstring's first line states the rule in IR notation. It mutates the IR only through the
``Rewriter`` and returns True when it changed something; it may decline with a reason,
``return rewriter.fail("why")``. ``apply_patterns`` runs a set of patterns to a fixed point,
revisiting only what a rewrite touched, and erases dead pure ops; with ``trace=``, within a
``RewriteTracer`` instrumentation (``CompileOptions(debug_rewrites=True)``, ``ptonnx ...
--debug-rewrites``), or with the environment variable ``PTONNX_DEBUG_REWRITES=1`` (to stderr)
it reports which pattern fired on which op and which declined, and why.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, ClassVar, TextIO

from ir.core import Function, IRError, Module, Operation, Value, blocks, walk
from ir.types import TensorType
from passes.pass_manager import Instrumentation, Pass

RewriteFn = Callable[[Any, "Rewriter"], bool]


@dataclass(frozen=True)
class Pattern:
    root: type[Operation] | tuple[type[Operation], ...]
    fn: RewriteFn
    name: str

    @property
    def rule(self) -> str:
        """The rule the pattern implements, in IR notation (its docstring's first line)."""
        return (self.fn.__doc__ or self.name).strip().splitlines()[0]


def pattern(
    root: type[Operation] | tuple[type[Operation], ...],
) -> Callable[[RewriteFn], Pattern]:
    """Declare a rewrite of ops of class ``root`` (a class or a tuple; subclasses too)."""

    def wrap(fn: RewriteFn) -> Pattern:
        return Pattern(root, fn, fn.__name__)

    return wrap


class RewriteError(IRError):
    """A pattern refused to apply for a reason that must reach the user."""


class Rewriter:
    """The only way patterns change the IR; it tells the driver what to look at again."""

    def __init__(self, func: Function, on_change: Callable[[Operation], None] | None = None):
        self.func = func
        self.root: Operation | None = None
        self._notify = on_change or (lambda op: None)
        #: The reason the running pattern gave to ``fail`` (read by the driver's trace).
        self.failure: str | None = None

    def fail(self, reason: str) -> bool:
        """Decline the rewrite, saying why (``return rewriter.fail("operand not constant")``);
        the reason shows in the rewrite trace. Always False."""
        self.failure = reason
        return False

    def insert(self, op: Operation) -> Operation:
        """Insert ``op`` before the op being rewritten."""
        if self.root is None or self.root.parent is None:
            raise IRError("Rewriter.insert needs a root op in a block")
        self.root.parent.insert_before(self.root, op)
        self._notify(op)
        return op

    def create(
        self,
        cls: type[Operation],
        operands: Sequence[Value],
        attributes: Mapping[str, Any] | None = None,
        result_types: Sequence[TensorType] | None = None,
    ) -> Value:
        """Create a one-result op of ``cls`` before the root and return its result."""
        location = self.root.location if self.root is not None else None
        return self.insert(cls(operands, attributes, result_types, location)).result

    def replace_value(self, old: Value, new: Value) -> None:
        """Make every reader of ``old`` read ``new``; the readers are revisited."""
        if old.type.dtype != new.type.dtype or old.type.rank != new.type.rank:
            raise IRError(f"replacing {old.type} by {new.type} changes dtype or rank")
        users = old.users
        old.replace_all_uses_with(new)
        for user in users:
            self._notify(user)
        if new.owner is not None:
            self._notify(new.owner)

    def replace_op(self, op: Operation, new_values: Sequence[Value]) -> None:
        """Replace every result of ``op`` by ``new_values`` and erase ``op``."""
        if len(new_values) != len(op.results):
            raise IRError(f"{op.NAME} has {len(op.results)} results, got {len(new_values)}")
        for old, new in zip(op.results, new_values, strict=True):
            self.replace_value(old, new)
        self.erase_op(op)

    def erase_op(self, op: Operation) -> None:
        producers = [v.owner for v in op.operands if v.owner is not None]
        if op.parent is None:
            raise IRError(f"{op.NAME} is not in a block")
        op.parent.erase(op)
        for producer in producers:
            self._notify(producer)

    def modified(self, op: Operation) -> None:
        """Tell the driver ``op`` was changed in place (its operands or attributes)."""
        self._notify(op)


class PatternSet:
    """Patterns grouped by root op class, looked up along the op's class hierarchy."""

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        self.patterns = tuple(patterns)
        self._cache: dict[type[Operation], tuple[Pattern, ...]] = {}

    def for_op(self, op: Operation) -> tuple[Pattern, ...]:
        cls = type(op)
        found = self._cache.get(cls)
        if found is None:
            found = tuple(p for p in self.patterns if issubclass(cls, p.root))
            self._cache[cls] = found
        return found


#: The key of ``apply_patterns``' hit counts under which it counts the dead ops it erased.
DEAD_OPS = "dead-ops-erased"


class ConvergenceError(IRError):
    """The patterns kept rewriting past the iteration cap (a cycle between rewrites)."""


def apply_patterns(
    func: Function,
    patterns: PatternSet | Iterable[Pattern],
    *,
    max_rewrites: int | None = None,
    trace: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Apply ``patterns`` to a fixed point; return the hit count per pattern (and ``DEAD_OPS``).

    Every op is visited once; after a rewrite, the ops it created, changed, or whose operands
    or users it changed are visited again. Pure ops whose results are unused are erased.
    Raises ``ConvergenceError`` after ``max_rewrites`` rewrites (default: 8 per op of
    every block, regions and terminators included, + 1000).
    """
    if trace is None:
        trace = _TRACE.get()
    if trace is None and os.environ.get("PTONNX_DEBUG_REWRITES") == "1":
        trace = _to_stderr
    pset = patterns if isinstance(patterns, PatternSet) else PatternSet(patterns)
    hits = {p.name: 0 for p in pset.patterns}
    hits[DEAD_OPS] = 0
    worklist: deque[Operation] = deque(walk(func))
    queued: set[Operation] = set(worklist)

    def push(op: Operation) -> None:
        if op not in queued:
            queued.add(op)
            worklist.append(op)

    rewriter = Rewriter(func, on_change=push)
    budget = max_rewrites if max_rewrites is not None else 8 * sum(map(len, blocks(func))) + 1000
    total = 0
    while worklist:
        op = worklist.popleft()
        queued.discard(op)
        if op.parent is None:
            continue  # erased meanwhile
        if _is_dead(op):
            rewriter.erase_op(op)
            hits[DEAD_OPS] += 1
            continue
        for p in pset.for_op(op):
            rewriter.root = op
            rewriter.failure = None
            applied = p.fn(op, rewriter)
            rewriter.root = None
            if trace is not None:
                if applied:
                    trace(f"{p.name} fired on {op.NAME}")
                elif rewriter.failure is not None:
                    trace(f"{p.name} declined on {op.NAME}: {rewriter.failure}")
            if not applied:
                continue
            hits[p.name] += 1
            total += 1
            if total > budget:
                top = sorted(hits.items(), key=lambda kv: -kv[1])[:3]
                raise ConvergenceError(
                    f"patterns did not converge after {total} rewrites; most applied: {top}"
                )
            if op.parent is not None:
                push(op)
            break
    return hits


def _to_stderr(line: str) -> None:
    print(f"[rewrite] {line}", file=sys.stderr)


#: The trace ``apply_patterns`` reports to when it is given none (set by ``RewriteTracer``).
_TRACE: ContextVar[Callable[[str], None] | None] = ContextVar("rewrite_trace", default=None)


class RewriteTracer(Instrumentation):
    """While each pass runs, report its pattern rewrites to ``stream`` (default stderr), one line
    each: ``[rewrite] <pass>: <pattern> fired on <op>`` or ``... declined on <op>: <reason>``."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self._token: Token[Callable[[str], None] | None] | None = None

    def before_pass(self, name: str, module: Module) -> None:
        stream = self.stream or sys.stderr

        def trace(line: str) -> None:
            print(f"[rewrite] {name}: {line}", file=stream)

        self._token = _TRACE.set(trace)

    def _reset(self) -> None:
        if self._token is not None:
            _TRACE.reset(self._token)
            self._token = None

    def after_pass(self, name: str, module: Module, changed: bool) -> None:
        self._reset()

    def after_failure(self, name: str, module: Module, error: BaseException) -> None:
        self._reset()


def _is_dead(op: Operation) -> bool:
    """A pure op with results, none of which is read."""
    if not op.PURE or not op.results:
        return False
    if len(op.results) == 1:  # the common case, without a generator
        return not op.results[0].has_uses
    return not any(result.has_uses for result in op.results)


class PatternPass(Pass):
    """A pass that applies ``PATTERNS`` to a fixed point; counters count each pattern's hits."""

    PATTERNS: ClassVar[Sequence[Pattern]] = ()

    def run(self, module: Module) -> bool:
        hits = apply_patterns(module.func, self.PATTERNS)
        self.counters.update({name: count for name, count in hits.items() if count})
        return any(hits.values())
