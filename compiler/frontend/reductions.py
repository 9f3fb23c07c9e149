"""Frontend rules: reductions (PyTensor ops → IR)."""

from __future__ import annotations
