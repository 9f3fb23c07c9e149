"""Frontend rules: linalg (PyTensor ops → IR)."""

from __future__ import annotations
