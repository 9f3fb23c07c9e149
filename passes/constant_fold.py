"""Constant folding: an op whose operands are all constants becomes a constant.

Evaluation uses the IR interpreter (the reference semantics). A fold that would grow the model
(a result much larger than its inputs, as a broadcast makes) is skipped. After folding, a
result dim stored as unknown that its op's type inference now knows (a reshape whose target
shape became a constant) is stored, in program order, so what is learned flows downstream.
"""

from __future__ import annotations

import numpy as np

from ir import dtypes, ops
from ir.attributes import DenseElements
from ir.core import Function, IRError, Module, Operation, walk
from ir.interpreter import IMPLS, evaluate_op
from ir.ops.tensor import constant_array
from ir.types import UNKNOWN, TensorType
from passes.pass_manager import Pass

#: A folded result may always take this many bytes, even if its inputs were smaller.
SMALL_RESULT_BYTES = 4096


def fold(op: Operation) -> list[np.ndarray] | None:
    """The results of ``op`` computed now, or None if it is not foldable."""
    if not op.PURE or isinstance(op, ops.Constant) or type(op) not in IMPLS or not op.results:
        return None
    if isinstance(op, ops.Shape) and op.x.type.is_static:  # the shape is known, not the data
        return [np.array(op.x.shape, dtype=np.int64)]
    args = [data for v in op.operands if (data := constant_array(v)) is not None]
    if len(args) != len(op.operands):
        return None
    types = _known_types(op)
    if types is None:
        return None
    out_bytes = sum((t.size or 0) * dtypes.itemsize(t.dtype) for t in types)  # static types
    in_bytes = sum(a.nbytes for a in args)
    if out_bytes > max(in_bytes, SMALL_RESULT_BYTES):
        return None
    return evaluate_op(op, args)


def _known_types(op: Operation) -> list[TensorType] | None:
    """The static result types of ``op``, or None. A stored ``?`` dim is taken from the types
    inferred now that the operands are constants (a slice of a constant by constant bounds has
    a size the frontend did not know): pieces that static shapes make empty fold away too."""
    try:
        inferred = op.infer_types()
    except IRError:
        return None
    types = []
    for result, again in zip(op.results, inferred, strict=True):
        pairs = zip(result.shape, again.shape, strict=True)
        dims = [stored if isinstance(stored, int) else now for stored, now in pairs]
        if not all(isinstance(d, int) for d in dims):
            return None
        types.append(result.type.with_shape(dims))
    return types


def _inherited_name(op: Operation, array: np.ndarray) -> str | None:
    """A weight that is only reshaped, transposed or cast keeps its name (``w`` stays ``w``)."""
    named = [v for v in op.operands if v.name and constant_array(v) is not None]
    if len(named) == 1 and named[0].type.size == array.size:
        return named[0].name
    return None


class ConstantFold(Pass):
    """`tir.neg (tir.constant dense<1>)` → `tir.constant dense<-1>`. One forward sweep."""

    NAME = "constant-fold"

    def run(self, module: Module) -> bool:
        folded = 0
        for op in list(walk(module.func)):
            results = fold(op)
            if results is None:
                continue
            for old, array in zip(op.results, results, strict=True):
                const = ops.Constant([], {"value": DenseElements(array)}, location=op.location)
                op.block.insert_before(op, const)
                const.result.name = old.name or _inherited_name(op, array)
                old.replace_all_uses_with(const.result)
            op.block.erase(op)
            folded += 1
        self.count("ops-folded", folded)
        refined = refine_result_types(module.func) if folded else 0
        if refined:
            self.count("types-refined", refined)
        return folded > 0


def refine_result_types(func: Function) -> int:
    """Store each unknown (``?``) result dim that its op's ``infer_types`` now knows, visiting
    ops in program order so that one sweep carries the knowledge forward; returns how many
    result types changed. Known dims (ints and symbols) are never changed."""
    refined = 0
    for op in walk(func):
        if not any(UNKNOWN in r.shape for r in op.results):
            continue
        try:
            inferred = op.infer_types()
        except IRError:
            continue
        for result, again in zip(op.results, inferred, strict=True):
            if again.rank != result.type.rank or again.dtype != result.dtype:
                continue
            pairs = zip(result.shape, again.shape, strict=True)
            dims = [now if stored == UNKNOWN else stored for stored, now in pairs]
            if tuple(dims) != result.shape:
                result.type = result.type.with_shape(dims)
                refined += 1
    return refined
