"""The IR's canonical text form, written deterministically (the parser reads it back).

    func @main(%x: f32[batch, 3]) {
      %0 = tir.constant dense<2> : i8[]
      %1 = tir.mul %x, %0 : f32[batch, 3]
      return %1 : "y"
    }

A region with arguments (a loop body) lists them on its first line, at the op's indent:

    %0, %1 = tir.loop %n, %t, %x : f32[3], f32[?, 3] {
    ^(%i: i64[], %c: bool[], %acc: f32[3]):
      %2 = tir.add %acc, %x : f32[3]
      yield %c, %2, %2
    }

Values print by name when they have one (made unique with ``_1``, ``_2``...), else by number
in order of definition. Attributes print sorted by name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from ir.attributes import format_attr, format_dense
from ir.core import Block, Function, Module, Operation, Return, Value, Yield

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Namer:
    """Gives every value of a function its unique text name, deterministically."""

    def __init__(self) -> None:
        self._names: dict[Value, str] = {}
        self._taken: set[str] = set()
        self._counter = 0

    def define(self, value: Value) -> str:
        if value.name:
            base = value.name
            name, k = base, 0
            while name in self._taken:
                k += 1
                name = f"{base}_{k}"
        else:
            while str(self._counter) in self._taken:
                self._counter += 1
            name = str(self._counter)
            self._counter += 1
        self._taken.add(name)
        self._names[value] = name
        return _ref(name, numbered=not value.name)

    def ref(self, value: Value) -> str:
        name = self._names.get(value)
        if name is None:
            return "%<undefined>"
        return _ref(name, numbered=not value.name)


def _ref(name: str, *, numbered: bool) -> str:
    if numbered or _IDENT.match(name):
        return f"%{name}"
    return f"%{json.dumps(name)}"


def print_module(module: Module, *, elide_constants_above: int | None = None) -> str:
    return print_function(module.func, elide_constants_above=elide_constants_above)


def print_function(
    func: Function,
    *,
    elide_constants_above: int | None = None,
    op_lines: dict[Operation, int] | None = None,
) -> str:
    """The function as text. ``op_lines``, when given, is filled with each op's line index
    (0-based), so that diagnostics can point at an op in the printed text."""
    namer = Namer()
    lines = [f"func @{func.name}({_print_args(func, namer)}) {{"]
    _print_ops(func.ops, namer, "  ", lines, elide_constants_above, op_lines)
    lines.append("}")
    return "\n".join(lines) + "\n"


def print_operation(op: Operation, *, elide_constants_above: int | None = None) -> str:
    """One op and its regions as text, its values numbered on their own (``str(op)``)."""
    lines: list[str] = []
    namer = Namer()
    for value in op.operands:  # values from outside the op are named first, as in a function
        namer.define(value)
    _print_ops([op], namer, "", lines, elide_constants_above)
    return "\n".join(lines)


def _print_ops(
    ops: Iterable[Operation],
    namer: Namer,
    indent: str,
    lines: list[str],
    elide: int | None,
    op_lines: dict[Operation, int] | None = None,
) -> None:
    for op in ops:
        if op_lines is not None:
            op_lines[op] = len(lines)
        head = indent + print_op(op, namer, elide)
        if not op.regions:
            lines.append(head)
            continue
        # Regions follow the op: `%r = tir.if %c : f32[2] {` ... `} {` ... `}`.
        for index, region in enumerate(op.regions):
            lines.append((head if index == 0 else indent + "}") + " {")
            if region.args:
                lines.append(f"{indent}^({_print_args(region, namer)}):")
            _print_ops(region.ops, namer, indent + "  ", lines, elide, op_lines)
        lines.append(indent + "}")


def _print_args(block: Block, namer: Namer) -> str:
    return ", ".join(f"{namer.define(a)}: {a.type}" for a in block.args)


def print_op(op: Operation, namer: Namer, elide_constants_above: int | None = None) -> str:
    """One op as a line of text (without indentation or regions)."""
    operands = ", ".join(namer.ref(v) for v in op.operands)
    if isinstance(op, Return):
        names = ", ".join(json.dumps(n) for n in op.names)
        return f"return {operands} : {names}" if operands else "return"
    if isinstance(op, Yield):
        return f"yield {operands}" if operands else "yield"
    parts = []
    if op.results:
        parts.append(", ".join(namer.define(r) for r in op.results) + " =")
    parts.append(op.NAME)
    if op.INLINE_ATTR is not None:
        parts.append(format_dense(op.attributes[op.INLINE_ATTR], elide_constants_above))
    if operands:
        parts.append(operands)
    attrs = [
        f"{name} = {format_attr(value, op.ATTRS[name])}"
        for name, value in sorted(op.attributes.items())
        if name != op.INLINE_ATTR
    ]
    if attrs:
        parts.append("{" + ", ".join(attrs) + "}")
    if op.results:
        parts.append(": " + ", ".join(str(r.type) for r in op.results))
    return " ".join(parts)


def op_to_text(op: Operation) -> str:
    """A single op in text, for error messages (operands named by their own names or '?')."""
    namer = Namer()
    for v in op.operands:
        if v not in namer._names:
            namer.define(v)
    return print_op(op, namer, elide_constants_above=8)
