"""IR → ONNX: one small rule per IR op emitting onnx-ir nodes; all opset-18 encodings live here."""

from lowering import (  # noqa: F401  (each module registers its rules)
    bitwise_reduce,
    special,
    special_bessel,
    special_beta,
    special_hyp2f1,
    special_inverse,
    sum_square,
)
from lowering.emitter import EmitOptions, emit_model, lower_module

__all__ = ["EmitOptions", "emit_model", "lower_module"]
