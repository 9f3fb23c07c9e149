"""Frontend rules: shape ops (PyTensor ops → IR)."""

from __future__ import annotations
