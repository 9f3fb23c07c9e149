"""The table of lowering rules: IR op class → function emitting its ONNX nodes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import onnx_ir as oir

from ir.core import Operation
from lowering.context import LoweringContext

#: A rule gets the op, the context and the ONNX values of the op's operands; it returns one
#: ONNX value per result.
Rule = Callable[[Operation, LoweringContext, list[oir.Value]], Sequence[oir.Value] | oir.Value]
LOWERINGS: dict[type[Operation], Rule] = {}


def lowers(*op_classes: type[Operation]) -> Callable[[Rule], Rule]:
    def register(rule: Rule) -> Rule:
        for cls in op_classes:
            if cls in LOWERINGS:
                raise TypeError(f"{cls.NAME} already has a lowering")
            LOWERINGS[cls] = rule
        return rule

    return register
