"""The typed IR (``tir`` dialect): types, values, ops, text form, verifier and interpreter."""

from ir.core import OP_REGISTRY, Function, IRError, Module, Operation, Return, Use, Value
from ir.types import UNKNOWN, Dim, TensorType

__all__ = [
    "OP_REGISTRY", "UNKNOWN", "Dim", "Function", "IRError", "Module", "Operation", "Return",
    "TensorType", "Use", "Value",
]  # fmt: skip
