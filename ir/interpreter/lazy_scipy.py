"""``special``: scipy.special's functions, imported on first call.

The interpreter takes many reference implementations from scipy.special, but loading scipy
costs about 0.4 s, which ``import ir`` / ``import passes`` / ``ptonnx opt`` should not pay
for IR that never evaluates a special function. ``special.gammaln`` here is a function that
looks up ``scipy.special.gammaln`` when it is called::

    from ir.interpreter.lazy_scipy import special

    _FUNCTIONS = {ops.GammaLn: special.gammaln}
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


class _LazyModule:
    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):
            raise AttributeError(name)
        module = self._module

        def call(*args: Any, **kwargs: Any) -> Any:
            return getattr(importlib.import_module(module), name)(*args, **kwargs)

        call.__name__ = call.__qualname__ = name
        call.__doc__ = f"{module}.{name}, imported on first call."
        return call


special = _LazyModule("scipy.special")
