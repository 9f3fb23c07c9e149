"""ONNX Runtime against PyTensor: run both on the same inputs and measure the differences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytensor
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.link.basic import PerformLinker

#: (rtol, atol) per dtype: a few ulps of headroom over the dtype's precision.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (2e-3, 1e-3),
    "float32": (1e-5, 1e-6),
    "float64": (1e-12, 1e-14),
}


@dataclass(frozen=True)
class OutputCheck:
    name: str
    dtype: str
    expected_dtype: str
    shape: tuple[int, ...]
    expected_shape: tuple[int, ...]
    max_abs: float
    max_rel: float
    ok: bool

    def __str__(self) -> str:
        status = "ok" if self.ok else "MISMATCH"
        if self.dtype != self.expected_dtype or self.shape != self.expected_shape:
            return (f"{self.name}: {status}: got {self.dtype}{list(self.shape)}, PyTensor gives "
                    f"{self.expected_dtype}{list(self.expected_shape)}")  # fmt: skip
        return f"{self.name}: {status}: max abs {self.max_abs:.3g}, max rel {self.max_rel:.3g}"


@dataclass(frozen=True)
class VerifyReport:
    outputs: tuple[OutputCheck, ...]

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outputs)

    @property
    def max_abs(self) -> float:
        return max((o.max_abs for o in self.outputs), default=0.0)

    def __str__(self) -> str:
        return "\n".join(str(o) for o in self.outputs)


def run_pytensor(
    fgraph: FunctionGraph,
    input_vars: Sequence[Variable],
    feeds: Sequence[np.ndarray],
    mode: Any = None,
) -> list[np.ndarray]:
    """Evaluate ``fgraph``'s outputs with PyTensor; shared variables among ``input_vars`` take
    the fed values instead of their own."""
    if any(getattr(node.op, "destroy_map", None) for node in fgraph.apply_nodes):
        return _run_rewritten(fgraph, input_vars, feeds)
    inputs, givens = [], {}
    for var in input_vars:
        if isinstance(var, SharedVariable):
            stand_in = var.type()
            givens[var] = stand_in
            inputs.append(stand_in)
        else:
            inputs.append(var)
    fn = pytensor.function(inputs, list(fgraph.outputs), givens=givens, mode=mode,
                           on_unused_input="ignore")  # fmt: skip
    return [np.asarray(o) for o in fn(*feeds)]


def _run_rewritten(
    fgraph: FunctionGraph, input_vars: Sequence[Variable], feeds: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """A graph PyTensor already rewrote (inplace ops included, which ``pytensor.function``
    refuses): run a clone of it with PyTensor's Python linker."""
    clone, _ = fgraph.clone_get_equiv(check_integrity=False)
    fed = dict(zip(input_vars, feeds, strict=True))
    values = []  # copies: inplace ops may overwrite their inputs
    for var in fgraph.inputs:
        if var in fed:
            values.append(np.array(fed[var], copy=True))
        elif isinstance(var, SharedVariable):
            values.append(np.array(var.get_value(borrow=True), copy=True))
        else:
            raise ValueError(f"no value for graph input {var}")
    thunk, inputs, outputs = PerformLinker().accept(clone).make_thunk()
    for storage, value in zip(inputs, values, strict=True):
        storage.storage[0] = value
    thunk()
    return [np.asarray(o.storage[0]) for o in outputs]


def compare_outputs(
    names: Sequence[str],
    ours: Sequence[np.ndarray],
    reference: Sequence[np.ndarray],
    *,
    rtol: float | None = None,
    atol: float | None = None,
) -> VerifyReport:
    """Per output: dtype and shape must match; floats within tolerance with NaN where the
    reference has NaN; integers and bools exactly."""
    checks = []
    for name, got, want in zip(names, ours, reference, strict=True):
        got, want = np.asarray(got), np.asarray(want)
        same_meta = got.dtype == want.dtype and got.shape == want.shape
        max_abs = max_rel = 0.0
        ok = same_meta
        if same_meta and got.size:
            if got.dtype.kind == "f":
                r, a = TOLERANCES.get(str(got.dtype), (1e-5, 1e-6))
                r, a = rtol if rtol is not None else r, atol if atol is not None else a
                g, w = got.astype(np.float64), want.astype(np.float64)
                nan_ok = np.array_equal(np.isnan(g), np.isnan(w))
                finite = np.isfinite(g) & np.isfinite(w)
                inf_ok = np.array_equal(g[~finite & ~np.isnan(w)], w[~finite & ~np.isnan(w)])
                diff = np.abs(g[finite] - w[finite])
                max_abs = float(diff.max(initial=0.0))
                max_rel = float(
                    (diff / np.maximum(np.abs(w[finite]), np.finfo(np.float64).tiny)).max(
                        initial=0.0
                    )
                )
                ok = nan_ok and inf_ok and bool(np.all(diff <= a + r * np.abs(w[finite])))
            else:
                mismatch = got != want
                max_abs = float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max())
                ok = not mismatch.any()
        checks.append(OutputCheck(name, str(got.dtype), str(want.dtype), got.shape, want.shape,
                                  max_abs, max_rel, ok))  # fmt: skip
    return VerifyReport(tuple(checks))
