"""The table of lowering rules: IR op class → function emitting its ONNX nodes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import onnx_ir as oir

from ir.core import Operation
from lowering.context import LoweringContext

#: A rule gets the op, the context and the ONNX values of the op's operands; it returns one
#: ONNX value per result.
type RuleOf[O: Operation] = Callable[
    [O, LoweringContext, list[oir.Value]], Sequence[oir.Value] | oir.Value
]
Rule = RuleOf[Operation]
LOWERINGS: dict[type[Operation], Rule] = {}


def lowers[O: Operation](*op_classes: type[O]) -> Callable[[RuleOf[O]], RuleOf[O]]:
    """Register the decorated rule for ``op_classes``; its ``op`` parameter is typed by them
    (``op: ops.Transpose``; their common base class when there are several)."""

    def register(rule: RuleOf[O]) -> RuleOf[O]:
        for cls in op_classes:
            if cls in LOWERINGS:
                raise TypeError(f"{cls.NAME} already has a lowering")
            LOWERINGS[cls] = cast(Rule, rule)  # called only with ops of its class
        return rule

    return register
