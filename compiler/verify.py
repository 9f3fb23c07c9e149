"""ONNX Runtime against PyTensor: run both on the same inputs and measure the differences;
random inputs of shapes the graph accepts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytensor
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.link.basic import PerformLinker
from pytensor.scalar.basic import ScalarType

from compiler.errors import CompileError, OptionError
from compiler.input_shapes import infer_input_dims
from ir.types import Dim

#: The size of an unknown input dim that nothing in the graph fixes, in random inputs.
DEFAULT_DIM_SIZE = 2
#: What PyTensor raises when a graph cannot run on the inputs it is given (numpy's shape
#: errors, an index out of range, a failing Assert).
INPUT_ERRORS = (ValueError, IndexError, AssertionError)


class VerifyInputError(CompileError):
    """PyTensor itself cannot evaluate the graph on the inputs verify was given or made:
    their shapes (or values) do not suit the graph."""


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


Runner = Callable[[Sequence[np.ndarray]], list[np.ndarray]]


def run_pytensor(
    fgraph: FunctionGraph,
    input_vars: Sequence[Variable],
    feeds: Sequence[np.ndarray],
    mode: Any = None,
) -> list[np.ndarray]:
    """Evaluate ``fgraph``'s outputs with PyTensor; shared variables among ``input_vars`` take
    the fed values instead of their own."""
    return pytensor_runner(fgraph, input_vars, mode)(feeds)


def pytensor_runner(fgraph: FunctionGraph, input_vars: Sequence[Variable], mode: Any) -> Runner:
    """``fgraph`` compiled by PyTensor (``mode``) as a function of the arrays of
    ``input_vars``: building it and running it fail for different reasons."""
    if any(getattr(node.op, "destroy_map", None) for node in fgraph.apply_nodes):
        return _rewritten_runner(fgraph, input_vars)
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
    return lambda feeds: _as_arrays(fgraph, fn(*feeds))


def _as_arrays(fgraph: FunctionGraph, values: Sequence[Any]) -> list[np.ndarray]:
    """Outputs as arrays of their variables' dtypes: PyTensor's Numba backend returns a
    PyTensor scalar (``ScalarType``) output as a Python float, int or bool."""
    return [
        np.asarray(value, dtype=var.type.dtype) if isinstance(var.type, ScalarType)
        else np.asarray(value)
        for var, value in zip(fgraph.outputs, values, strict=True)
    ]  # fmt: skip


def _rewritten_runner(fgraph: FunctionGraph, input_vars: Sequence[Variable]) -> Runner:
    """A graph PyTensor already rewrote (inplace ops included, which ``pytensor.function``
    refuses): a clone of it run with PyTensor's Python linker."""
    clone, _ = fgraph.clone_get_equiv(check_integrity=False)
    thunk, inputs, outputs = PerformLinker().accept(clone).make_thunk()

    def run(feeds: Sequence[np.ndarray]) -> list[np.ndarray]:
        fed = dict(zip(input_vars, feeds, strict=True))
        values = []  # copies: inplace ops may overwrite their inputs
        for var in fgraph.inputs:
            if var in fed:
                values.append(np.array(fed[var], copy=True))
            elif isinstance(var, SharedVariable):
                values.append(np.array(var.get_value(borrow=True), copy=True))
            else:
                raise ValueError(f"no value for graph input {var}")
        for storage, value in zip(inputs, values, strict=True):
            storage.storage[0] = value
        thunk()
        return _as_arrays(fgraph, [o.storage[0] for o in outputs])

    return run


# -- random inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputShape:
    """The shape a random input gets, and which of its axes no one fixed (``DEFAULT_DIM_SIZE``
    there: the graph may need another size)."""

    name: str
    shape: tuple[int, ...]
    guessed: tuple[int, ...]

    def __str__(self) -> str:
        text = f"{self.name}: {list(self.shape)}"
        if self.guessed:
            axes = ", ".join(map(str, self.guessed))
            text += f" (axis {axes}: unknown size, {DEFAULT_DIM_SIZE} tried)"
        return text


def random_input_shapes(
    fgraph: FunctionGraph,
    input_vars: Sequence[Variable],
    names: Sequence[Sequence[str]],
    shapes: Sequence[Sequence[Dim]],
    given: Mapping[str, Sequence[int]] | None = None,
) -> list[InputShape]:
    """The shape of each model input (``names``: the names it answers to, the first shown;
    ``shapes``: its IR shape, symbols for unknown dims) for random inputs. A symbol's size is,
    in order: from ``given`` (shapes by input name), from the graph (``infer_input_dims``),
    else ``DEFAULT_DIM_SIZE``; dims with the same symbol get the same size. A ``given``
    shape must name an input, have its rank and agree with its static dims."""
    given = dict(given or {})
    index = {name: i for i, aliases in enumerate(names) for name in aliases}
    symbol_size: dict[str, int] = {}
    for name, dims in given.items():
        if name not in index:
            known = [aliases[0] for aliases in names]
            raise OptionError(f"input shape for {name!r}: the model has no such input ({known})")
        shape = shapes[index[name]]
        dims = tuple(int(d) for d in dims)
        if len(dims) != len(shape) or any(d < 0 for d in dims):
            raise OptionError(
                f"input shape {list(dims)} for {name!r}: its shape is {list(shape)} "
                f"({len(shape)} {'axis' if len(shape) == 1 else 'axes'})"
            )
        for axis, (want, have) in enumerate(zip(dims, shape, strict=True)):
            if isinstance(have, int) and have != want:
                raise OptionError(f"input shape {list(dims)} for {name!r}: axis {axis} is {have}")
            if isinstance(have, str) and symbol_size.setdefault(have, want) != want:
                raise OptionError(
                    f"input shape {list(dims)} for {name!r}: its dim {have!r} is "
                    f"{symbol_size[have]} in another input's shape"
                )
    positions = {var: i for i, var in enumerate(input_vars)}
    inferred: dict[str, int] = {}
    for (var, axis), size in infer_input_dims(fgraph).items():
        if var in positions:
            dim = shapes[positions[var]][axis]
            if isinstance(dim, str):
                inferred.setdefault(dim, size)
    out = []
    for aliases, shape in zip(names, shapes, strict=True):
        sizes, guessed = [], []
        for axis, dim in enumerate(shape):
            if isinstance(dim, int):
                sizes.append(dim)
            elif dim in symbol_size or dim in inferred:
                sizes.append(symbol_size.get(dim, inferred.get(dim, DEFAULT_DIM_SIZE)))
            else:
                sizes.append(DEFAULT_DIM_SIZE)
                guessed.append(axis)
        out.append(InputShape(aliases[0], tuple(sizes), tuple(guessed)))
    return out


def random_arrays(
    shapes: Sequence[InputShape], dtypes: Sequence[str], *, seed: int = 0
) -> list[np.ndarray]:
    """Random arrays: normal floats, integers in [0, ``DEFAULT_DIM_SIZE``) (valid indices
    into any dim of that size), random booleans."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape, dtype_name in zip(shapes, dtypes, strict=True):
        dtype = np.dtype(dtype_name)
        if dtype.kind == "f":
            arrays.append(rng.standard_normal(shape.shape).astype(dtype))
        elif dtype.kind == "b":
            arrays.append(rng.random(shape.shape) < 0.5)
        else:
            arrays.append(rng.integers(0, DEFAULT_DIM_SIZE, size=shape.shape).astype(dtype))
    return arrays


def input_error(
    error: BaseException, shapes: Sequence[InputShape], random: bool
) -> VerifyInputError:
    """The error for inputs PyTensor cannot evaluate the graph on: which inputs had which
    shapes, which dims were guessed, and how to give them."""
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    what = "random inputs" if random else "the inputs given"
    lines = [
        f"PyTensor cannot evaluate the graph on {what} ({type(error).__name__}: {first_line})",
        "inputs: " + "; ".join(str(s) for s in shapes),
    ]
    guessed = [s for s in shapes if s.guessed]
    if random and guessed:
        names = ", ".join(s.name for s in guessed)
        example = guessed[0]
        dims = [f"D{axis}" for axis in range(len(example.shape))]
        lines.append(
            f"the graph does not fix every dim of {names}: give the shapes it needs with "
            f"--input-shape {example.name}={','.join(dims)} (in Python: "
            f"verify(input_shapes={{{example.name!r}: ({', '.join(dims)},)}}))"
        )
    return VerifyInputError("\n".join(lines))


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
