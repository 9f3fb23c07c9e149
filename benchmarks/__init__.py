"""Benchmark networks built from PyTensor and :mod:`nn` ops (compiled to ONNX by the project)."""
