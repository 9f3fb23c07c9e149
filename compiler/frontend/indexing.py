"""Frontend rules: indexing (PyTensor ops → IR)."""

from __future__ import annotations
