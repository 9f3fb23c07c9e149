"""IR → ONNX: one small rule per IR op emitting onnx-ir nodes; all opset-18 encodings live here."""

from lowering.emitter import EmitOptions, emit_model, lower_module

__all__ = ["EmitOptions", "emit_model", "lower_module"]
