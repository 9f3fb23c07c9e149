"""Ops that wrap other ops or graphs, checks, and the op families refused on purpose.

OpFromGraph (and its subclasses without a rule of their own) is inlined; Pad maps to tir.pad
where ONNX's mode is numpy's and the widths are known at compile time, and is inlined otherwise;
Blockwise applies its core op's rule when that rule is already batched over leading axes;
Assert/CheckAndRaise is dropped or refused (``FrontendOptions.assert_policy``); random
variables and sparse ops are refused (Scan has its own module, ``scan.py``).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pytensor
from pytensor.compile.builders import OpFromGraph
from pytensor.graph.basic import Apply, Constant
from pytensor.graph.op import Op
from pytensor.raise_op import CheckAndRaise
from pytensor.tensor.blockwise import Blockwise
from pytensor.tensor.pad import Pad
from pytensor.tensor.random.op import RNGConsumerOp

from compiler.frontend.constants import pytensor_constant
from compiler.frontend.elemwise import import_elemwise
from compiler.frontend.importer import Importer, Unsupported, import_op, location_of
from ir import ops
from ir.core import Value

Rule = Callable[[Op, Apply, Importer], Sequence[Value]]

# -- inner graphs --------------------------------------------------------------------------------


@import_op.register(OpFromGraph)
def import_op_from_graph(op: OpFromGraph, node: Apply, imp: Importer) -> list[Value]:
    return imp.inline(op.fgraph, [imp.value(v) for v in node.inputs])


# -- refusals ------------------------------------------------------------------------------------

#: Op classes refused on purpose, with the reason (looked up along the op's class hierarchy).
REFUSED: dict[type, str] = {}


def refusal_reason(op: Op) -> str | None:
    """Why ``op`` is refused on purpose, or None."""
    for cls in type(op).__mro__:
        if cls in REFUSED:
            return REFUSED[cls]
    return None


def refuse(reason: str, *op_classes: type) -> None:
    """Register ``op_classes`` as refused: their nodes are reported with ``reason``."""
    for cls in op_classes:
        REFUSED[cls] = reason
        import_op.register(cls)(_import_refused)


def _import_refused(op: Op, node: Apply, imp: Importer) -> list[Value]:
    raise Unsupported(f"{type(op).__name__}: {refusal_reason(op)}")


refuse(
    "random variables are not supported: ONNX's Random* ops cannot reproduce PyTensor's "
    "generator streams",
    RNGConsumerOp,
)


def _sparse_op_classes() -> list[type]:
    classes: dict[type, None] = {}
    for name in ("basic", "math", "linalg", "rewriting"):
        module = importlib.import_module(f"pytensor.sparse.{name}")
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, Op)
                and value.__module__.startswith("pytensor.sparse")
            ):
                classes[value] = None
    return list(classes)


refuse("sparse tensors have no ONNX representation here", *_sparse_op_classes())


# -- Blockwise -----------------------------------------------------------------------------------

#: Rules whose translation already broadcasts over leading (batch) axes like numpy: a Blockwise
#: of their op is the same rule applied to the batched inputs. Other families add theirs.
BATCHED_RULES: set[Callable[..., Sequence[Value]]] = {import_elemwise}


def batched(rule: Rule) -> Rule:
    """Mark an import rule as batch-transparent (see ``BATCHED_RULES``)."""
    BATCHED_RULES.add(rule)
    return rule


#: Rules for a Blockwise with batch axes of a core op whose own rule is not batch-transparent
#: (called with the core op and the Blockwise node), by core op class.
BLOCKWISE_RULES: dict[type, Rule] = {}


@import_op.register(Blockwise)
def import_blockwise(op: Blockwise, node: Apply, imp: Importer) -> Sequence[Value]:
    """Blockwise pads every input to the same number of batch axes (make_node) and maps its
    core op over them; for a batch-transparent rule that is what the rule computes already."""
    core = op.core_op
    rule = import_op.dispatch(type(core))
    # Without batch axes a Blockwise is its core op (gradients of Blockwise ops make such nodes).
    if rule in BATCHED_RULES or op.batch_ndim(node) == 0:
        return rule(core, node, imp)
    if type(core) in BLOCKWISE_RULES:
        return BLOCKWISE_RULES[type(core)](core, node, imp)
    reason = refusal_reason(core)
    if reason is not None:
        raise Unsupported(f"Blockwise of {type(core).__name__}: {reason}")
    raise Unsupported(
        f"Blockwise of {core} (signature {op.signature}): the translation of "
        f"{type(core).__name__} is not defined over batch axes"
    )


# -- Pad -----------------------------------------------------------------------------------------


@import_op.register(Pad)
def import_pad(op: Pad, node: Apply, imp: Importer) -> list[Value]:
    """tir.pad when ONNX Pad computes numpy's result: constant, edge and reflect with widths
    >= 0 known at compile time (reflect only below static axis sizes: numpy folds wider widths
    periodically); otherwise PyTensor's own padding graph, inlined.

    PyTensor builds the padded array in its output dtype (floatX for constant and edge modes,
    even for integer inputs), so the input and the fill values are converted to it first.

    Extending an axis of static size 0 in any mode but constant is refused: numpy raises and
    PyTensor returns uninitialised memory (README: what a model does when the axis is empty
    only at run time).
    """
    _refuse_extending_empty_axes(op, node, imp)
    direct = _pad_directly(op, node, imp)
    if direct is not None:
        return [direct]
    return import_op_from_graph(op, node, imp)


def _refuse_extending_empty_axes(op: Pad, node: Apply, imp: Importer) -> None:
    if op.pad_mode == "constant":
        return
    widths = _static_widths(op, node, imp)
    for axis, size in enumerate(node.inputs[0].type.shape):
        if size == 0 and (widths is None or any(widths[axis])):
            what = "by widths known only at run time" if widths is None else f"by {widths[axis]}"
            raise Unsupported(
                f"pad in mode {op.pad_mode!r} extends axis {axis} of static size 0 {what}: "
                "only mode 'constant' can extend an empty axis (numpy raises, PyTensor returns "
                "uninitialised memory)"
            )


def _pad_directly(op: Pad, node: Apply, imp: Importer) -> Value | None:
    mode = op.pad_mode
    if mode not in ("constant", "edge", "reflect"):
        return None
    if mode == "reflect" and op.reflect_type not in (None, "even"):
        return None
    x_var = node.inputs[0]
    rank = x_var.type.ndim
    widths = _static_widths(op, node, imp)
    if widths is None or len(widths) != rank or any(w < 0 for pair in widths for w in pair):
        return None
    for (before, after), size in zip(widths, x_var.type.shape, strict=True):
        if not (before or after):
            continue
        if mode == "reflect" and (size is None or max(before, after) >= size):
            return None
    dtype = node.outputs[0].type.dtype
    x = imp.cast(imp.value(x_var), dtype)
    if mode != "constant":
        return _emit_pad(imp, x, None, mode, widths)
    fills = _fill_values(imp, node.inputs[2], rank, dtype)
    if fills is None:
        return None
    if len({id(v) for pair in fills for v in pair}) == 1:
        return _emit_pad(imp, x, fills[0][0], mode, widths)
    # numpy fills axis after axis over the whole padded array (later axes own the corners):
    # the same as padding one axis side at a time, in order.
    for axis, ((before, after), (first, last)) in enumerate(zip(widths, fills, strict=True)):
        sides = [(before, 0), (0, after)] if first is not last else [(before, after)]
        for side, value in zip(sides, (first, last), strict=False):
            if any(side):
                one_axis = [(0, 0)] * rank
                one_axis[axis] = side
                x = _emit_pad(imp, x, value, mode, one_axis)
    return x


def _static_widths(op: Pad, node: Apply, imp: Importer) -> tuple[tuple[int, int], ...] | None:
    """The (before, after) widths of every axis when they are known now: the op's static ones,
    or a width graph computed from constants and static shapes (convolve2d's "same" mode
    computes them from the kernel's shape)."""
    if op.static_pad_width is not None:
        return op.static_pad_width
    data = pytensor_constant(node.inputs[1], imp)
    if data is None or data.dtype.kind not in "iu":
        return None
    try:
        table = np.broadcast_to(data, (node.inputs[0].type.ndim, 2))
    except ValueError:
        return None
    return tuple((int(before), int(after)) for before, after in table)


def _emit_pad(imp: Importer, x: Value, value: Value | None, mode: str, widths) -> Value:
    pads = [int(w[0]) for w in widths] + [int(w[1]) for w in widths]
    operands = [x] if value is None else [x, value]
    return imp.emit(ops.Pad, operands, {"mode": mode, "pads": pads})


def _fill_values(imp: Importer, var, rank: int, dtype: str) -> list[list[Value]] | None:
    """The (before, after) fill value of each axis in ``dtype``: from a scalar, or from a
    constant that broadcasts to (rank, 2) as numpy's ``constant_values``; None for other
    symbolic values. Equal constants are one value."""
    if var.type.ndim == 0 and not isinstance(var, Constant):
        value = imp.cast(imp.value(var), dtype)
        return [[value, value] for _ in range(rank)]
    if not isinstance(var, Constant):
        return None
    data = np.asarray(var.data)
    try:
        table = np.broadcast_to(data, (rank, 2))
    except ValueError:
        return None
    return [[imp.constant(np.asarray(v, dtype=data.dtype).astype(dtype)) for v in row]
            for row in table]  # fmt: skip


# -- checks --------------------------------------------------------------------------------------


_PYTENSOR_DIR = os.path.dirname(pytensor.__file__) + os.sep
#: Frames that are not the user's: PyTensor's, the compiler's own and functools' dispatch.
_NOT_USER_CODE = (
    _PYTENSOR_DIR,
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
    functools.__file__,
)


class AssertDroppedWarning(UserWarning):
    """Assert/CheckAndRaise ops were dropped: the model does not check their conditions."""


@import_op.register(CheckAndRaise)
def import_check_and_raise(op: CheckAndRaise, node: Apply, imp: Importer) -> list[Value]:
    """ONNX cannot raise. ``assert_policy="drop"``: the value passes through unchecked, and one
    ``AssertDroppedWarning`` per graph lists every dropped check; ``"refuse"``: the node is
    reported as unsupported."""
    if imp.options.assert_policy == "refuse":
        raise Unsupported(
            f"{type(op).__name__} checks conditions at run time and ONNX cannot raise "
            f"(assert_policy='refuse'; 'drop' passes the value through unchecked)"
        )
    drop_check(imp, node, f"{op} ({len(node.inputs) - 1} condition(s))")
    return [imp.value(node.inputs[0])]


def drop_check(imp: Importer, node: Apply, what: str) -> None:
    """Record that the model will not make the run-time check ``what`` of ``node`` (ONNX
    cannot raise): every rule that drops a check calls this, and the import ends with one
    ``AssertDroppedWarning`` listing them all."""
    dropped = imp.finishers.setdefault("dropped-checks", _DroppedChecks())
    assert isinstance(dropped, _DroppedChecks)
    dropped.add(what, node)


class _DroppedChecks:
    """The checks a graph's import dropped; called at the end of a successful import, it
    issues the one warning, attributed to the user's line of the first check made there."""

    def __init__(self) -> None:
        #: (what is not checked, the user's frame that made it or None)
        self.checks: list[tuple[str, tuple[str, int, str, str] | None]] = []

    def add(self, what: str, node: Apply) -> None:
        frames = [f for f in location_of(node).trace if not f[0].startswith(_NOT_USER_CODE)]
        self.checks.append((what, frames[-1] if frames else None))

    def __call__(self) -> None:
        lines = []
        for what, frame in self.checks:
            if frame is None:
                # No frame of the user's code made it: a rewrite (or PyTensor's own graph
                # building) put it there.
                where = "inserted by PyTensor, not at a line of your code"
            else:
                where = f"created at {frame[0]}:{frame[1]}: {frame[3]}"
            lines.append(f"  {what}, {where}")
        noun = "check" if len(self.checks) == 1 else "checks"
        message = (
            f"{len(self.checks)} run-time {noun} dropped (ONNX cannot raise): the model returns "
            "the checked values without checking them (assert_policy='refuse' refuses them "
            "instead):\n" + "\n".join(lines)
        )
        users = [frame for _, frame in self.checks if frame is not None]
        if not users:
            warnings.warn(message, AssertDroppedWarning, skip_file_prefixes=_NOT_USER_CODE)
            return
        file, line = users[0][0], users[0][1]
        module = os.path.splitext(os.path.basename(file))[0]
        warnings.warn_explicit(message, AssertDroppedWarning, file, line, module=module)


__all__ = [
    "BATCHED_RULES",
    "BLOCKWISE_RULES",
    "REFUSED",
    "AssertDroppedWarning",
    "batched",
    "drop_check",
    "refusal_reason",
    "refuse",
]
