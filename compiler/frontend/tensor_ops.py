"""Tensor ops that move axes or pass values through: DimShuffle, DeepCopyOp, ViewOp."""

from __future__ import annotations

from pytensor.compile.ops import DeepCopyOp, ViewOp
from pytensor.graph.basic import Apply
from pytensor.tensor.elemwise import DimShuffle

from compiler.frontend.importer import Importer, import_op
from ir import ops
from ir.core import Value


@import_op.register(DimShuffle)
def import_dimshuffle(op: DimShuffle, node: Apply, imp: Importer) -> list[Value]:
    return [imp.emit(ops.DimShuffle, [imp.value(node.inputs[0])], {"order": op.new_order})]


@import_op.register(DeepCopyOp)
@import_op.register(ViewOp)
def import_pass_through(op: object, node: Apply, imp: Importer) -> list[Value]:
    """Copies and views are the same values in a dataflow graph (OutputGuard is a ViewOp)."""
    return [imp.value(node.inputs[0])]
