"""Frontend rules: control flow. IfElse becomes tir.if whose regions yield the two branches'
values; the sink-into-regions pass then moves each branch's computation into its region."""

from __future__ import annotations

import numpy as np
from pytensor.conditional.op import IfElse
from pytensor.graph.basic import Apply

from compiler.frontend.importer import Importer, Unsupported, import_op
from ir import ops
from ir.core import Block, Value, Yield


@import_op.register(IfElse)
def import_ifelse(op: IfElse, node: Apply, imp: Importer) -> list[Value]:
    cond, *branches = (imp.value(v) for v in node.inputs)
    if cond.rank != 0:
        raise Unsupported(f"the condition of IfElse must be a scalar, got {cond.type}")
    if cond.dtype != "bool":  # Python truthiness, as PyTensor: nonzero (and NaN) is true
        cond = imp.emit(ops.Ne, [cond, imp.constant(np.zeros((), dtype=cond.dtype))])
    then_block, else_block = Block(), Block()
    then_block.append(Yield(branches[: op.n_outs]))
    else_block.append(Yield(branches[op.n_outs :]))
    return list(imp.emit_op(ops.If, [cond], regions=[then_block, else_block]).results)
