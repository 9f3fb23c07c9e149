"""Shared test helpers: compile a graph, check the model, compare ORT with PyTensor and with
the IR interpreter."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx
from pytensor.graph.fg import FunctionGraph

from compiler import CompileOptions, Compiler, CompileResult
from compiler.verify import VerifyReport, compare_outputs, run_pytensor
from ir.interpreter import run_module
from ir.parser import parse_module
from ir.printer import print_module
from passes import PassManager, make_passes


def fgraph_of(inputs: Sequence, outputs: Sequence) -> FunctionGraph:
    """A FunctionGraph over the given variables, leaving the user's graph untouched."""
    return FunctionGraph(list(inputs), list(outputs), clone=True)


def compile_checked(fgraph: FunctionGraph, **options) -> CompileResult:
    """Compile with the verifier after every pass and return the result; the ONNX model must
    pass the full checker (``to_onnx`` runs it)."""
    options.setdefault("verify_each_pass", True)
    result = Compiler(CompileOptions(**options)).compile(fgraph)
    model = result.to_onnx()
    assert model.ir_version == 8 or "ir_version" in options
    assert [o.version for o in model.opset_import if o.domain == ""] == [18]
    onnx.checker.check_model(model, full_check=True)
    return result


def assert_matches_pytensor(
    fgraph: FunctionGraph,
    feeds: Sequence[np.ndarray],
    *,
    rtol: float | None = None,
    atol: float | None = None,
    **options,
) -> VerifyReport:
    """Compile ``fgraph`` and check ONNX Runtime against PyTensor (and the IR interpreter
    against PyTensor) on ``feeds`` (one array per non-shared graph input, in order)."""
    result = compile_checked(fgraph, **options)
    report = result.verify(*feeds, rtol=rtol, atol=atol, mode="FAST_COMPILE")
    assert report.ok, f"ONNX Runtime differs from PyTensor:\n{report}"
    # The interpreter is the reference semantics of the IR: it must agree too.
    feeds_by_name = result.input_feeds(feeds, {})
    ours = run_module(result.module, [feeds_by_name[n] for n in result.input_names])
    reference = run_pytensor(
        fgraph,
        result.input_vars,
        [feeds_by_name[n] for n in result.input_names],
        mode="FAST_COMPILE",
    )
    interp = compare_outputs(result.output_names, ours, reference, rtol=rtol, atol=atol)
    assert interp.ok, f"the IR interpreter differs from PyTensor:\n{interp}"
    return report


def run_pass_text(source: str, *pass_names: str) -> str:
    """Parse IR text, run the passes (verifying after each), return the printed result."""
    module = parse_module(source)
    PassManager(make_passes(pass_names), verify_each=True).run(module)
    return print_module(module)


def assert_same_bits(before: np.ndarray, after: np.ndarray) -> None:
    """Equal dtype, shape and values, with NaN in the same places and zeros of the same sign."""
    assert before.dtype == after.dtype and before.shape == after.shape
    np.testing.assert_array_equal(before, after)
    if before.dtype.kind == "f":
        nan = np.isnan(before)
        np.testing.assert_array_equal(nan, np.isnan(after))
        np.testing.assert_array_equal(np.signbit(before[~nan]), np.signbit(after[~nan]))


def assert_pass_preserves_numbers(
    source: str, pass_names: Sequence[str], feeds: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """The interpreter gives the same results, bit for bit, before and after the passes.
    Returns the results after the passes."""
    feeds = [np.asarray(f) for f in feeds]
    before = run_module(parse_module(source), feeds)
    module = parse_module(source)
    PassManager(make_passes(tuple(pass_names)), verify_each=True).run(module)
    after = run_module(module, feeds)
    assert len(before) == len(after)
    for b, a in zip(before, after, strict=True):
        assert_same_bits(b, a)
    return after
