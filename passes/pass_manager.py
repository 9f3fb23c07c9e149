"""Runs a pipeline of passes over a module, verifying and instrumenting each one.

Instrumentations observe the pipeline (print IR before/after passes, dump stages to a folder,
keep stage texts); the manager itself records per-pass wall time and op counts.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TextIO

from ir.core import Module
from ir.diagnostics import op_context
from ir.printer import print_module
from ir.verifier import verify_module


class Pass:
    """A transformation of a module. Subclasses set ``NAME`` (kebab-case, as the file name)."""

    NAME: ClassVar[str]

    def __init__(self) -> None:
        #: Named counters a pass may fill while running (pattern hits, ops removed, ...).
        self.counters: dict[str, int] = {}

    def check_preconditions(self, module: Module) -> None:
        """Raise ``IRError`` when the module is not in a form this pass accepts."""

    def run(self, module: Module) -> bool:
        """Transform ``module`` in place; return True when anything changed."""
        raise NotImplementedError

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + n


@dataclass
class PassStats:
    """What one pass did: wall time, op counts before and after, whether it changed anything."""

    name: str
    seconds: float
    ops_before: int
    ops_after: int
    changed: bool
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def op_delta(self) -> int:
        return self.ops_after - self.ops_before


class PassFailure(Exception):
    """A pass raised or left invalid IR. Carries the pass, those before it, and the IR text."""

    def __init__(
        self, pass_name: str, previous: Sequence[str], module: Module, cause: BaseException
    ):
        self.pass_name = pass_name
        self.previous = tuple(previous)
        #: The full, re-readable IR the pass failed on.
        self.ir_text = print_module(module)
        self.cause = cause
        before = ", ".join(self.previous) if self.previous else "nothing"
        # A verifier error names its op: the excerpt marks that op's line with '>'.
        excerpt = op_context(module, getattr(cause, "op", None))
        super().__init__(
            f"pass '{pass_name}' failed (passes run before it: {before}): "
            f"{type(cause).__name__}: {cause}\n"
            f"IR it failed on (full text in .ir_text):\n{excerpt}"
        )


class Instrumentation:
    """Hooks called by the ``PassManager``; override what you need."""

    def before_pipeline(self, module: Module) -> None: ...

    def before_pass(self, name: str, module: Module) -> None: ...

    def after_pass(self, name: str, module: Module, changed: bool) -> None: ...

    def after_failure(self, name: str, module: Module, error: BaseException) -> None: ...


ALL = "*"


class IRPrinter(Instrumentation):
    """Prints the IR around passes, like ``mlir-opt --print-ir-before/after[-all|-change]``.

    ``before`` / ``after`` hold pass names, or ``ALL``. ``only_on_change`` skips printing after
    passes that changed nothing. Large constants are elided unless ``elide_constants_above`` is
    None.
    """

    def __init__(
        self,
        *,
        before: Iterable[str] = (),
        after: Iterable[str] = (),
        only_on_change: bool = False,
        input: bool = False,
        stream: TextIO | None = None,
        elide_constants_above: int | None = 16,
    ) -> None:
        self.before = frozenset(before)
        self.after = frozenset(after)
        self.only_on_change = only_on_change
        self.input = input
        self.stream = stream
        self.elide = elide_constants_above

    def _print(self, title: str, module: Module) -> None:
        out = self.stream or sys.stdout
        out.write(f"// -----// IR Dump {title} //----- //\n")
        out.write(print_module(module, elide_constants_above=self.elide))
        out.write("\n")

    def before_pipeline(self, module: Module) -> None:
        if self.input:
            self._print("Before Pipeline (input)", module)

    def before_pass(self, name: str, module: Module) -> None:
        if ALL in self.before or name in self.before:
            self._print(f"Before {name}", module)

    def after_pass(self, name: str, module: Module, changed: bool) -> None:
        if (ALL in self.after or name in self.after) and (changed or not self.only_on_change):
            self._print(f"After {name}" + ("" if changed else " (no change)"), module)

    def after_failure(self, name: str, module: Module, error: BaseException) -> None:
        self._print(f"After {name} Failed", module)


class StageRecorder(Instrumentation):
    """Keeps the full IR text of every stage: ``stages["00-input"]``, ``stages["01-dce"]``..."""

    def __init__(self) -> None:
        self.stages: dict[str, str] = {}

    def _record(self, name: str, module: Module) -> str:
        key = f"{len(self.stages):02d}-{name}"
        self.stages[key] = print_module(module)
        return key

    def before_pipeline(self, module: Module) -> None:
        self._record("input", module)

    def after_pass(self, name: str, module: Module, changed: bool) -> None:
        self._record(name, module)


class FolderDump(Instrumentation):
    """Writes every stage to ``folder/NN-<stage>.tir`` (full constants, re-readable)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self._index = 0

    def _write(self, name: str, module: Module) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self._index:02d}-{name}.tir"
        tmp = path.with_suffix(".tir.tmp")
        tmp.write_text(print_module(module))
        tmp.replace(path)
        self._index += 1

    def before_pipeline(self, module: Module) -> None:
        self._write("input", module)

    def after_pass(self, name: str, module: Module, changed: bool) -> None:
        self._write(name, module)


class PassManager:
    """Runs passes in order; verifies after each when ``verify_each`` is set."""

    def __init__(
        self,
        passes: Sequence[Pass],
        *,
        verify_each: bool = True,
        instrumentations: Sequence[Instrumentation] = (),
    ) -> None:
        self.passes = list(passes)
        self.verify_each = verify_each
        self.instrumentations = list(instrumentations)
        #: What the last ``run`` did (each run starts afresh: nothing carries between runs).
        self.stats: list[PassStats] = []

    def run(self, module: Module) -> list[PassStats]:
        self.stats = []
        for inst in self.instrumentations:
            inst.before_pipeline(module)
        done: list[str] = []
        num_ops = len(module)  # counted once per pass: the count after one is the next's before
        for p in self.passes:
            for inst in self.instrumentations:
                inst.before_pass(p.NAME, module)
            before = num_ops
            start = time.perf_counter()
            p.counters = {}  # a pass object reused by a second run counts that run alone
            try:
                p.check_preconditions(module)
                changed = bool(p.run(module))
                if self.verify_each:
                    verify_module(module)
            except Exception as e:
                for inst in self.instrumentations:
                    inst.after_failure(p.NAME, module, e)
                raise PassFailure(p.NAME, done, module, e) from e
            seconds = time.perf_counter() - start
            num_ops = len(module)
            self.stats.append(
                PassStats(p.NAME, seconds, before, num_ops, changed, dict(p.counters))
            )
            done.append(p.NAME)
            for inst in self.instrumentations:
                inst.after_pass(p.NAME, module, changed)
        return self.stats
