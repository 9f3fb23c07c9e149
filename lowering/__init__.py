"""IR → ONNX: one small rule per IR op emitting onnx-ir nodes; all opset-18 encodings live here."""

from lowering import bitwise_reduce  # noqa: F401  (registers its rules)
from lowering.emitter import EmitOptions, emit_model, lower_module

__all__ = ["EmitOptions", "emit_model", "lower_module"]
