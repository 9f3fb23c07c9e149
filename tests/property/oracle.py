"""The invariant every random graph must satisfy, as one function giving an ``Outcome``.

A graph is either refused with ``UnsupportedOpError`` (and nothing else), or its model passes
``onnx.checker`` (full check), has no unused initializer (nor dead node), loads and runs in ONNX
Runtime at the default optimization level and with optimizations disabled (the shared
``tests.helpers.assert_model_sound``), and matches PyTensor there and in
the IR interpreter: dtype, shape, NaN and ±inf positions, values within the dtype's tolerance
(``compiler.verify.TOLERANCES``), integers and bools exactly. Outputs of a tolerance family
(``graph_gen.FAMILIES``: special functions, Scan, linear algebra, gradients) are judged at
that family's tolerance (``FAMILY_TOLERANCES``), still with NaN and ±inf positions exact.

Each graph is checked as written and as the ONNX mode's ``fast_run`` rewrites leave it
(``compiler.mode.EXCLUDED_REWRITES``); the oracle of each is PyTensor's Python implementation
(``perform``) of that same graph.
"""

from __future__ import annotations

import enum
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytensor
from pytensor.compile.mode import Mode
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.rewriting.db import RewriteDatabaseQuery
from pytensor.link.basic import PerformLinker

from compiler import CompileOptions, Compiler
from compiler.errors import UnsupportedOpError
from compiler.mode import EXCLUDED_REWRITES
from compiler.verify import TOLERANCES, OutputCheck, compare_outputs
from ir.interpreter import run_module
from tests.helpers import assert_model_sound, run_sessions
from tests.property.graph_gen import Program

#: The rewrites of the ONNX mode (``compiler.mode.onnx_mode``), with PyTensor's Python linker
#: so that only the graph is taken from it.
FAST_RUN = Mode(
    linker="py",
    optimizer=RewriteDatabaseQuery(include=["fast_run"], exclude=list(EXCLUDED_REWRITES)),
)


_EPS32 = float(np.finfo(np.float32).eps)
_EPS64 = float(np.finfo(np.float64).eps)

#: family -> dtype -> (rtol, atol, norm_rtol): an element passes when
#: |got - want| <= atol + rtol * |want| + norm_rtol * max|want| (the max over the output's
#: finite elements; linear algebra's errors are relative to the matrix's norm, cond * eps).
#: Both sides carry an error (PyTensor's reference too), hence the headroom.
FAMILY_TOLERANCES: dict[str, dict[str, tuple[float, float, float]]] = {
    # The compiler promises <= 64 ulp for special functions; an absolute 64 ulp of 1 covers a
    # value crossing zero at an irrational point (psi, gammaln, the Bessel functions).
    "special": {
        "float16": (*TOLERANCES["float16"], 0.0),
        "float32": (max(TOLERANCES["float32"][0], 64 * _EPS32), 64 * _EPS32, 0.0),
        "float64": (max(TOLERANCES["float64"][0], 64 * _EPS64), 64 * _EPS64, 0.0),
    },
    # Add/mul recurrences round alike on both sides; an RNN's tanh and matrix products do
    # not, and a sum of them crossing zero is only accurate relative to its terms.
    "scan": {
        "float16": (*TOLERANCES["float16"], 1e-3),
        "float32": (1e-5, 1e-6, 1e-5),
        "float64": (1e-12, 1e-14, 1e-12),
    },
    # The generator's matrices have cond <= about 100 and n <= 4 (so cond * n * eps, times
    # some headroom for the two sides' different algorithms).
    "linalg": {
        "float16": (1e-2, 1e-2, 1e-2),
        "float32": (1e-4, 1e-6, 1e-4),
        "float64": (1e-11, 1e-14, 1e-11),
    },
    # A derivative amplifies its function's error (d/dx erfinv = exp(erfinv(x)^2) sqrt(pi)/2:
    # erfinv's relative error times 2 erfinv(x)^2), and gradients of linear algebra are
    # products of several solves.
    "grad": {
        "float16": (1e-2, 1e-2, 1e-2),
        "float32": (1e-3, 1e-6, 1e-4),
        "float64": (1e-9, 1e-14, 1e-10),
    },
}


def compare_family(
    names: Sequence[str],
    ours: Sequence[np.ndarray],
    reference: Sequence[np.ndarray],
    families: Sequence[str | None],
) -> list[OutputCheck]:
    """``compare_outputs`` per output, at its family's tolerance (None: the dtype's)."""
    checks = []
    for name, got, want, family in zip(names, ours, reference, families, strict=True):
        want = np.asarray(want)
        tol = FAMILY_TOLERANCES.get(family or "", {}).get(str(want.dtype))
        if tol is None:
            checks += compare_outputs([name], [got], [want]).outputs
            continue
        rtol, atol, norm_rtol = tol
        finite = want[np.isfinite(want)] if want.dtype.kind == "f" else want
        scale = float(np.abs(finite.astype(np.float64)).max(initial=0.0))
        report = compare_outputs([name], [got], [want], rtol=rtol, atol=atol + norm_rtol * scale)
        checks += report.outputs
    return checks


class Kind(enum.Enum):
    OK = "OK"
    REFUSED = "REFUSED"
    WRONG = "WRONG"  # a model that runs and gives other numbers than PyTensor
    CRASH = "CRASH"  # any other exception, or a model the checker or ONNX Runtime rejects
    NO_ORACLE = "NO_ORACLE"  # PyTensor itself fails on the graph or the inputs


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.detail}" if self.detail else self.kind.value


def rewritten(inputs: Sequence[Any], outputs: Sequence[Any]) -> FunctionGraph:
    """The graph the ONNX mode's rewrites make (what ``mode="ONNX"`` hands the compiler)."""
    return pytensor.function(
        list(inputs), list(outputs), mode=FAST_RUN, on_unused_input="ignore"
    ).maker.fgraph


def run_perform(fgraph: FunctionGraph, feeds: dict[Any, np.ndarray]) -> list[np.ndarray]:
    """PyTensor's Python implementation of every op of ``fgraph`` (a clone), on copies of the
    feeds (given per graph input variable)."""
    clone, _ = fgraph.clone_get_equiv(check_integrity=False)
    storage_map: dict[Any, list[Any]] = {}
    thunk, inputs, outputs, *_ = PerformLinker().accept(clone).make_all(storage_map=storage_map)
    for var, storage in zip(fgraph.inputs, inputs, strict=True):
        storage.storage[0] = np.array(feeds[var], copy=True)
    thunk()
    # An op whose perform returns another dtype than its node declares (numpy's cumsum of
    # int8 gives int64) computes something else than the graph says: no oracle.
    for var, cell in storage_map.items():
        dtype = getattr(var.type, "dtype", None)
        if var.owner is not None and dtype is not None and cell[0] is not None:
            got = np.asarray(cell[0]).dtype
            if got != np.dtype(dtype):
                raise NoOracle(f"{var.owner.op} returns {got} for a {dtype} output")
            # Likewise a shape against the static one (a Scan of zero steps returns its
            # nit_sot output as (0, 0) whatever the step's shape).
            shape, static = np.shape(cell[0]), getattr(var.type, "shape", ())
            if len(shape) != len(static) or any(
                t is not None and t != s for s, t in zip(shape, static, strict=True)
            ):
                raise NoOracle(f"{var.owner.op} returns shape {shape} for a {static} output")
    return [np.asarray(o.storage[0]) for o in outputs]


class NoOracle(Exception):
    """PyTensor's result contradicts the graph's own types."""


def check_fgraph(
    fgraph: FunctionGraph,
    feeds: dict[Any, np.ndarray],
    families: Sequence[str | None] | None = None,
) -> Outcome:
    """The invariant for one FunctionGraph and its feeds (per graph input variable), each
    output at its tolerance family's tolerance (``families``, None: the dtype's)."""
    if families is None:
        families = [None] * len(fgraph.outputs)
    try:
        reference = run_perform(fgraph, feeds)
    except Exception as exc:
        return Outcome(Kind.NO_ORACLE, f"PyTensor: {type(exc).__name__}: {exc}")
    try:
        result = Compiler(CompileOptions(verify_each_pass=True)).compile(fgraph)
        model = result.to_bytes()  # to_onnx runs the full checker
    except UnsupportedOpError as exc:
        return Outcome(Kind.REFUSED, " ".join(str(exc).splitlines()[1:2]).strip())
    except Exception:
        return Outcome(Kind.CRASH, "compile: " + traceback.format_exc(limit=-4))
    ordered = [
        np.asarray(feeds[var], dtype=arg.type.dtype)
        for var, arg in zip(result.input_vars, result.module.func.args, strict=True)
    ]
    named = dict(zip(result.input_names, ordered, strict=True))
    try:
        # The shared model check: full checker, no unused initializer or dead node, a session
        # and a run at each ONNX Runtime optimization level.
        sessions = assert_model_sound(model)
        runs: dict[str, Any] = run_sessions(sessions, named, result.output_names)
    except Exception:
        return Outcome(Kind.CRASH, "model: " + traceback.format_exc(limit=-2))
    try:
        runs["interpreter"] = run_module(result.module, ordered)
    except Exception:
        return Outcome(Kind.CRASH, "interpreter: " + traceback.format_exc(limit=-3))
    problems = []
    for label, got in runs.items():
        checks = compare_family(result.output_names, got, reference, families)
        if not all(c.ok for c in checks):
            bad = [c for c in checks if not c.ok]
            lines = []
            for c in bad:
                i = result.output_names.index(c.name)
                lines.append(
                    f"  {c}\n    got      {np.asarray(got[i])!r}\n    PyTensor {reference[i]!r}"
                )
            problems.append(f"{label} differs from PyTensor:\n" + "\n".join(lines))
    if problems:
        return Outcome(Kind.WRONG, "\n".join(problems))
    return Outcome(Kind.OK)


def check_program(program: Program, feeds: Sequence[np.ndarray]) -> dict[str, Outcome]:
    """The invariant for the program's graph as written (``"raw"``) and rewritten
    (``"fast_run"``)."""
    outcomes = {}
    families = [program.families.get(name) for name in program.outputs]
    inputs, outputs = program.build()
    raw = FunctionGraph(inputs, outputs, clone=True)
    outcomes["raw"] = check_fgraph(raw, dict(zip(raw.inputs, feeds, strict=True)), families)
    inputs, outputs = program.build()
    try:
        fast = rewritten(inputs, outputs)
    except Exception as exc:
        outcomes["fast_run"] = Outcome(Kind.NO_ORACLE, f"fast_run rewrite: {exc}")
        return outcomes
    outcomes["fast_run"] = check_fgraph(fast, dict(zip(fast.inputs, feeds, strict=True)), families)
    return outcomes
