"""Helpers for testing passes and lowerings: the ones this project's own tests use.

A pass test states IR text before, runs passes over it and checks the text after, and checks
that the numbers did not change::

    from compiler.testing import assert_checks, assert_preserves_numbers

    SOURCE = '''
        func @main(%x: f32[4]) {
          %0 = tir.neg %x : f32[4]
          %1 = tir.neg %0 : f32[4]
          return %1 : "y"
        }
    '''
    assert_checks(SOURCE, "canonicalize", '''
        CHECK: func @main(%x: f32[4])
        CHECK-NOT: tir.neg
        CHECK: return %x
    ''')
    assert_preserves_numbers(SOURCE, "canonicalize", [np.array([0.0, -0.0, 1.5, np.nan], "f4")])

- IR text may be written indented (it is dedented); passes are given as registered names,
  ``Pass`` objects or ``Pass`` subclasses (one, or a sequence), as ``Compiler(pipeline=...)``
  takes them, and the IR is verified after each.
- ``assert_golden``: the exact printed text after the passes (a unified diff on failure).
- ``assert_checks``: FileCheck-style lines (``CHECK``, ``CHECK-NEXT``, ``CHECK-SAME``,
  ``CHECK-NOT``, ``CHECK-EMPTY``; ``{{regex}}``, ``[[NAME:regex]]`` captures and ``[[NAME]]``
  uses), for tests that should not depend on every detail of the output.
- ``assert_unchanged``: the passes leave the text exactly as it is.
- ``assert_preserves_numbers``: the IR interpreter gives the same bits before and after.
- ``run_lowered`` / ``assert_lowering_matches_interpreter``: the IR emitted as ONNX and run in
  ONNX Runtime (every optimization off and on), against the interpreter.
"""

from __future__ import annotations

import difflib
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ir.core import Module
from ir.interpreter import run_module
from ir.parser import parse_module
from ir.printer import print_module
from passes import PassManager, PassStats, PipelineItem, make_passes

__all__ = [
    "FileCheckError",
    "assert_checks",
    "assert_golden",
    "assert_lowering_matches_interpreter",
    "assert_preserves_numbers",
    "assert_same_bits",
    "assert_unchanged",
    "filecheck",
    "ir",
    "parse",
    "run_lowered",
    "run_passes",
    "run_stats",
]

Passes = PipelineItem | Sequence[PipelineItem]


def ir(text: str) -> str:
    """IR text written indented inside a test, as the printer writes it (dedented, one final
    newline)."""
    return textwrap.dedent(text).strip("\n") + "\n"


def parse(source: str | Module) -> Module:
    """A module from IR text (dedented first), or the module itself."""
    return source if isinstance(source, Module) else parse_module(ir(source))


def _pipeline(passes: Passes) -> list[PipelineItem]:
    if isinstance(passes, str | type) or not isinstance(passes, Sequence):
        return [passes]  # type: ignore[list-item]  # one step: a name, class or object
    return list(passes)


def run_stats(source: str | Module, passes: Passes) -> tuple[Module, list[PassStats]]:
    """Run ``passes`` over ``source`` (parsed; a module is changed in place), verifying the IR
    after each; the module and each pass's ``PassStats``."""
    module = parse(source)
    stats = PassManager(make_passes(_pipeline(passes)), verify_each=True).run(module)
    return module, stats


def run_passes(source: str | Module, passes: Passes) -> str:
    """The printed IR after running ``passes`` over ``source``."""
    module, _ = run_stats(source, passes)
    return print_module(module)


def _diff(expected: str, actual: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), "expected", "actual", lineterm=""
    )
    return "\n".join(lines)


def assert_golden(source: str | Module, passes: Passes, expected: str) -> None:
    """Running ``passes`` over ``source`` prints exactly ``expected`` (dedented)."""
    actual, want = run_passes(source, passes), ir(expected)
    assert actual == want, f"the IR after the passes differs:\n{_diff(want, actual)}"


def assert_unchanged(source: str, passes: Passes) -> None:
    """The passes leave ``source`` (written in printed form) exactly as it is."""
    text = ir(source)
    printed = print_module(parse_module(text))
    assert printed == text, f"the input is not in printed form:\n{_diff(text, printed)}"
    actual = run_passes(text, passes)
    assert actual == text, f"the passes changed the IR:\n{_diff(text, actual)}"


def assert_checks(source: str | Module, passes: Passes, checks: str) -> str:
    """Run ``passes`` over ``source`` and match the printed result against FileCheck-style
    ``checks`` (see ``filecheck``); returns the printed result."""
    actual = run_passes(source, passes)
    filecheck(actual, checks)
    return actual


# -- FileCheck ------------------------------------------------------------------------------


class FileCheckError(AssertionError):
    """A check line did not hold; the message shows the line and the text around it."""


_DIRECTIVE = re.compile(r"^\s*(?://|#|;)?\s*CHECK(-NEXT|-SAME|-NOT|-EMPTY)?:(.*)$")
_TOKEN = re.compile(r"\{\{(.*?)\}\}|\[\[([A-Za-z_]\w*)(?::(.*?))?\]\]")


@dataclass(frozen=True)
class _Check:
    kind: str  # "", "-NEXT", "-SAME", "-NOT", "-EMPTY"
    pattern: str
    number: int  # line of the checks text, for messages

    @property
    def text(self) -> str:
        return f"CHECK{self.kind}: {self.pattern}"


def _checks(text: str) -> list[_Check]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        m = _DIRECTIVE.match(line)
        if m:
            found.append(_Check(m.group(1) or "", m.group(2).strip(), number))
        elif "CHECK" in line:
            raise FileCheckError(f"line {number}: not a check directive: {line.strip()!r}")
    if not found:
        raise FileCheckError("no CHECK lines")
    return found


def _regex(pattern: str, variables: Mapping[str, str]) -> tuple[re.Pattern[str], list[str]]:
    """The compiled pattern and the names it captures. Literal text matches itself, with any
    run of whitespace matching any run of spaces (as FileCheck does)."""
    parts: list[str] = []
    captured: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(pattern):
        parts.append(_literal(pattern[pos : m.start()]))
        regex, name, definition = m.groups()
        if regex is not None:
            parts.append(f"(?:{regex})")
        elif definition is not None:
            parts.append(f"(?P<{name}>{definition})")
            captured.append(name)
        else:
            if name not in variables:
                raise FileCheckError(f"[[{name}]] is used before it is defined")
            parts.append(re.escape(variables[name]))
        pos = m.end()
    parts.append(_literal(pattern[pos:]))
    return re.compile("".join(parts)), captured


def _literal(text: str) -> str:
    return r"\s+".join(re.escape(piece) for piece in re.split(r"\s+", text))


def filecheck(text: str, checks: str) -> None:
    """Match ``text`` against FileCheck-style ``checks`` (one directive per line, optionally
    after ``//``, ``#`` or ``;``):

    - ``CHECK: p``: ``p`` on a line after the previous match;
    - ``CHECK-NEXT: p``: on the line right after it; ``CHECK-SAME: p``: on the same line,
      after it; ``CHECK-EMPTY:``: the next line is empty;
    - ``CHECK-NOT: p``: ``p`` does not occur between the previous match and the next one (or
      the end of the text);
    - in ``p``: ``{{regex}}``, ``[[NAME:regex]]`` (capture) and ``[[NAME]]`` (the captured text).

    Raises ``FileCheckError`` naming the failed directive and showing the text."""
    lines = text.splitlines()
    variables: dict[str, str] = {}
    line, col = -1, 0  # the previous match: its line and where it ended on that line
    pending_not: list[_Check] = []

    def fail(check: _Check, why: str) -> FileCheckError:
        numbered = "\n".join(f"{i + 1:4}: {s}" for i, s in enumerate(lines))
        return FileCheckError(f"checks line {check.number}: {check.text}\n{why}\n{numbered}")

    def search(check: _Check, start: int, stop: int, first_col: int) -> tuple[int, int] | None:
        regex, captured = _regex(check.pattern, variables)
        for i in range(start, stop):
            m = regex.search(lines[i], first_col if i == start else 0)
            if m:
                variables.update({name: m.group(name) for name in captured})
                return i, m.end()
        return None

    def check_nots(until: int) -> None:
        for check in pending_not:
            regex, _ = _regex(check.pattern, variables)
            for i in range(max(line, 0), until):
                piece = lines[i][col:] if i == line else lines[i]
                if regex.search(piece):
                    raise fail(check, f"found on line {i + 1}")
        pending_not.clear()

    for check in _checks(checks):
        if check.kind == "-NOT":
            pending_not.append(check)
            continue
        if check.kind == "-EMPTY":
            found: tuple[int, int] | None = None
            if line + 1 < len(lines) and not lines[line + 1].strip():
                found = (line + 1, 0)
            where = f"line {line + 2} is not empty"
        elif check.kind == "-NEXT":
            found = search(check, line + 1, min(line + 2, len(lines)), 0)
            where = f"not on the line after line {line + 1}"
        elif check.kind == "-SAME":
            found = search(check, line, line + 1, col) if line >= 0 else None
            where = f"not on line {line + 1} after column {col}"
        else:
            found = search(check, line + 1, len(lines), 0)
            where = f"not found after line {line + 1}"
        if found is None:
            raise fail(check, where)
        check_nots(found[0] + 1)
        line, col = found
    check_nots(len(lines))


# -- numbers ----------------------------------------------------------------------------------


def assert_same_bits(before: np.ndarray, after: np.ndarray) -> None:
    """Equal dtype, shape and values, with NaN in the same places and zeros of the same sign."""
    assert before.dtype == after.dtype, f"dtype {after.dtype}, expected {before.dtype}"
    assert before.shape == after.shape, f"shape {after.shape}, expected {before.shape}"
    np.testing.assert_array_equal(before, after)
    if before.dtype.kind in "fc":
        nan = np.isnan(before)
        np.testing.assert_array_equal(nan, np.isnan(after))
        np.testing.assert_array_equal(np.signbit(before[~nan]), np.signbit(after[~nan]))


def assert_preserves_numbers(
    source: str, passes: Passes, feeds: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """The interpreter gives the same results, bit for bit (NaN positions and zero signs
    included), before and after the passes; returns the results after."""
    arrays = [np.asarray(f) for f in feeds]
    before = run_module(parse(source), arrays)
    module, _ = run_stats(source, passes)
    after = run_module(module, arrays)
    assert len(before) == len(after), f"{len(after)} results, expected {len(before)}"
    for b, a in zip(before, after, strict=True):
        assert_same_bits(b, a)
    return after


def run_lowered(
    source: str | Module, feeds: Sequence[np.ndarray], *, optimize: bool = True
) -> list[np.ndarray]:
    """Emit ``source`` as an ONNX model (opset 18; checked by onnx's full checker) and run it in
    ONNX Runtime, with its graph optimizations on (``optimize``) or all off."""
    import onnx
    import onnxruntime as ort

    from lowering.emitter import emit_model

    model = emit_model(parse(source))
    onnx.checker.check_model(model, full_check=True)
    options = ort.SessionOptions()
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if optimize
        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    names = [i.name for i in session.get_inputs()]
    return list(session.run(None, dict(zip(names, feeds, strict=True))))


def assert_lowering_matches_interpreter(
    source: str | Module, feeds: Sequence[np.ndarray], *, rtol: float = 0.0, atol: float = 0.0
) -> list[np.ndarray]:
    """ONNX Runtime (optimizations on and off) gives what the interpreter gives: bit for bit by
    default, or within ``rtol``/``atol``; returns the interpreter's results."""
    module = parse(source)
    arrays = [np.asarray(f) for f in feeds]
    expected = run_module(module, arrays)
    for optimize in (True, False):
        got = run_lowered(module, arrays, optimize=optimize)
        assert len(got) == len(expected)
        for e, g in zip(expected, got, strict=True):
            if rtol == 0.0 and atol == 0.0:
                assert_same_bits(e, np.asarray(g))
            else:
                np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    return expected
