"""Scan → tir.loop → ONNX Loop: every Scan form, raw and as PyTensor's fast_run rewrites leave
it, against PyTensor through ONNX Runtime and the IR interpreter."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import Mode
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.conditional.op import ifelse
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.rewriting.db import RewriteDatabaseQuery
from pytensor.graph.traversal import graph_inputs
from pytensor.scan.op import Scan
from pytensor.scan.utils import until

from compiler.mode import EXCLUDED_REWRITES, onnx_mode
from tests.helpers import assert_matches_pytensor, fgraph_of

#: PyTensor's fast_run rewrites as the project's ONNX mode applies them (compiler/mode.py).
REWRITTEN = Mode(
    linker="py",
    optimizer=RewriteDatabaseQuery(include=["fast_run"], exclude=list(EXCLUDED_REWRITES)),
)


#: PyTensor's whole fast_run (save-mem's circular buffers, inplace scans), as a graph
#: rewritten for another backend would reach the compiler.
FULL_FAST_RUN = Mode(linker="py", optimizer="fast_run")


def rewritten(
    inputs: Sequence, outputs: Sequence, updates=None, mode: Mode = REWRITTEN
) -> FunctionGraph:
    """The FunctionGraph ``pytensor.function`` compiles after ``mode``'s rewrites."""
    fn = pytensor.function(list(inputs), list(outputs), updates=updates, mode=mode)
    return fn.maker.fgraph


def scans_in(fgraph: FunctionGraph) -> list[Scan]:
    return [n.op for n in fgraph.toposort() if isinstance(n.op, Scan)]


def check_both(
    inputs: Sequence,
    outputs: Sequence,
    feeds_list: Sequence[Sequence[np.ndarray]],
    *,
    rewritten_has_scan: bool = True,
    **tolerances: float,
) -> tuple[FunctionGraph, FunctionGraph]:
    """The raw graph and the rewritten one both match PyTensor on every feed set; returns
    both graphs (to look at their Scan ops)."""
    shared = [v for v in graph_inputs(outputs) if isinstance(v, SharedVariable)]
    raw = fgraph_of([*inputs, *shared], outputs)
    assert scans_in(raw), "the test graph has no Scan"
    fast = rewritten(inputs, outputs)
    assert bool(scans_in(fast)) == rewritten_has_scan
    full = rewritten(inputs, outputs, mode=FULL_FAST_RUN)
    for feeds in feeds_list:
        for fgraph in (raw, fast, full):
            assert_matches_pytensor(fgraph, list(feeds), **tolerances)
    return raw, full


def f64(*values: float) -> np.ndarray:
    return np.array(values, dtype="float64")


RNG = np.random.default_rng(1234)


# -- sequences -----------------------------------------------------------------------------------


def test_scan_sequences_of_different_lengths_shortest_wins() -> None:
    x = pt.vector("x")
    y = pt.matrix("y")
    out = pytensor.scan(
        lambda a, b: pt.exp(a) * b.sum() + b, sequences=[x, y], return_updates=False
    )
    feeds = [
        [f64(1.0, 2.0, 3.0, 4.0), RNG.normal(size=(3, 2))],  # y is shorter
        [f64(0.5, -1.0), RNG.normal(size=(5, 2))],  # x is shorter
        [f64(0.25), RNG.normal(size=(1, 2))],
    ]
    check_both([x, y], [out], feeds)


def test_scan_sequence_taps() -> None:
    x = pt.vector("x")
    out = pytensor.scan(
        lambda a, b, c, acc: acc * 0.5 + a - 2.0 * b + 3.0 * c,
        sequences=[dict(input=x, taps=[-1, 0, 2])],
        outputs_info=[pt.zeros(())],
        return_updates=False,
    )
    check_both([x], [out], [[np.arange(7.0) ** 2], [f64(1.0, 2.0, 4.0, 8.0)]])


# -- traced outputs: sit-sot, mit-sot, nit-sot -----------------------------------------------------


def test_scan_sit_sot_full_trace_and_last() -> None:
    x = pt.matrix("x")
    h0 = pt.vector("h0")
    trace = pytensor.scan(
        lambda row, h: pt.tanh(h * 0.9 + row),
        sequences=[x],
        outputs_info=[h0],
        return_updates=False,
    )
    feeds = [[RNG.normal(size=(6, 3)), RNG.normal(size=3)], [RNG.normal(size=(1, 3)), f64(1, 2, 3)]]
    check_both([x, h0], [trace], feeds)
    check_both([x, h0], [trace[-1]], feeds)
    check_both([x, h0], [trace[-2:].sum(), trace[0]], feeds[:1])


def test_scan_mit_sot_ar_taps_and_buffer_layout() -> None:
    x = pt.vector("x")
    x0 = pt.vector("x0")
    trace = pytensor.scan(
        lambda e, lag1, lag3: 0.5 * lag1 - 0.25 * lag3 + e,
        sequences=[x],
        outputs_info=[dict(initial=x0, taps=[-1, -3])],
        return_updates=False,
    )
    feeds = [[RNG.normal(size=8), f64(1.0, -2.0, 3.0)], [f64(0.5), f64(1.0, 2.0, 3.0)]]
    check_both([x, x0], [trace], feeds)
    check_both([x, x0], [trace[-1]], feeds)
    check_both([x, x0], [trace[-2]], feeds[:1])


def test_scan_last_value_only_gets_a_shorter_buffer() -> None:
    # [-1] lets save-mem shrink the buffer: the rewritten Scan keeps a circular buffer (or an
    # untraced state), which must still give the last value.
    x = pt.vector("x")
    acc = pytensor.scan(
        lambda e, a, b: a * 0.5 + b * 0.25 + e,
        sequences=[x],
        outputs_info=[dict(initial=pt.zeros(2), taps=[-1, -2])],
        return_updates=False,
    )
    _, full = check_both([x], [acc[-1]], [[RNG.normal(size=9)], [f64(1.0)]])
    (scan,) = [n for n in full.toposort() if isinstance(n.op, Scan)]
    buffer = scan.inputs[2]  # n_steps, x, then the mit-sot's buffer: a constant 2 + 1 rows
    assert buffer.owner is not None and scan.op.info.n_mit_sot == 1


def test_scan_nit_sot_several_outputs() -> None:
    x = pt.matrix("x")
    w = pt.matrix("w")
    outs = pytensor.scan(
        lambda row, w: (pt.dot(row, w), row.sum(), pt.cast(row > 0, "int64")),
        sequences=[x],
        non_sequences=[w],
        return_updates=False,
    )
    check_both([x, w], outs, [[RNG.normal(size=(5, 3)), RNG.normal(size=(3, 4))]])


def test_scan_nit_sot_last_value_only() -> None:
    x = pt.matrix("x")
    _, out = pytensor.scan(
        lambda row, acc: (acc + row, pt.exp(acc) / 3.0),
        sequences=[x],
        outputs_info=[pt.zeros(3), None],
        return_updates=False,
    )
    check_both([x], [out[-1], out[1]], [[RNG.normal(size=(4, 3))]])


# -- n_steps -------------------------------------------------------------------------------------


def test_scan_symbolic_n_steps_including_zero() -> None:
    n = pt.scalar("n", dtype="int64")
    h0 = pt.vector("h0")
    trace = pytensor.scan(
        lambda h: h * 1.5 + 1.0, outputs_info=[h0], n_steps=n, return_updates=False
    )
    feeds = [[np.int64(k), f64(0.5, -1.0)] for k in (0, 1, 7)]
    check_both([n, h0], [trace], feeds)
    check_both([n, h0], [trace.sum()], feeds)


def test_scan_static_n_steps() -> None:
    h0 = pt.scalar("h0")
    trace = pytensor.scan(
        lambda h: pt.sin(h) + h, outputs_info=[h0], n_steps=5, return_updates=False
    )
    check_both([h0], [trace], [[np.float64(0.3)]])


def test_scan_zero_steps_keeps_initial_buffer() -> None:
    x = pt.vector("x")
    x0 = pt.vector("x0")
    trace = pytensor.scan(
        lambda e, lag1, lag2: lag1 + lag2 + e,
        sequences=[x],
        outputs_info=[dict(initial=x0, taps=[-1, -2])],
        return_updates=False,
    )
    check_both([x, x0], [trace, trace.shape[0]], [[f64(), f64(1.0, 2.0)]])


# -- shared variables and non-sequences ----------------------------------------------------------


def test_scan_updates_a_shared_variable() -> None:
    x = pt.vector("x")
    counter = pytensor.shared(np.float64(1.0), name="counter")
    outs, updates = pytensor.scan(
        lambda e: (e * counter, {counter: counter * 2.0}),
        sequences=[x],
        return_updates=True,
    )
    # The update as a plain output, raw and rewritten.
    # (No zero-length case: the update is trace[1:][-1], an IndexError in the raw graph.)
    check_both([x], [outs, updates[counter]], [[f64(1.0, 2.0, 3.0)], [f64(0.5)]])
    # Through the ONNX mode, with updates= applied after each call.
    reference = pytensor.shared(np.float64(1.0), name="reference")
    ref_outs, ref_updates = pytensor.scan(
        lambda e: (e * reference, {reference: reference * 2.0}),
        sequences=[x],
        return_updates=True,
    )
    ours = pytensor.function([x], outs, updates=updates, mode=onnx_mode())
    theirs = pytensor.function([x], ref_outs, updates=ref_updates, mode="FAST_COMPILE")
    assert scans_in(ours.maker.fgraph)
    for xs in (f64(1.0, 2.0, 3.0), f64(0.5), f64(4.0, 5.0), f64()):
        np.testing.assert_array_equal(ours(xs), theirs(xs))
        assert counter.get_value() == reference.get_value()


def test_scan_non_sequences_constants_and_weights() -> None:
    x = pt.matrix("x")
    w = pytensor.shared(RNG.normal(size=(3, 3)), name="w")
    b = pt.vector("b")
    h = pytensor.scan(
        lambda row, h, w, b, k: pt.tanh(pt.dot(h, w) + row + b) * k,
        sequences=[x],
        outputs_info=[pt.zeros(3)],
        non_sequences=[w, b, pt.constant(0.75)],
        return_updates=False,
    )
    check_both([x, b], [h], [[RNG.normal(size=(4, 3)), RNG.normal(size=3)]])


# -- while-loops ---------------------------------------------------------------------------------


def test_scan_until_stops_early() -> None:
    x0 = pt.scalar("x0")
    limit = pt.scalar("limit")
    trace = pytensor.scan(
        lambda x, limit: (x * 2.0, until(x * 2.0 > limit)),
        outputs_info=[x0],
        non_sequences=[limit],
        n_steps=20,
        return_updates=False,
    )
    feeds = [[np.float64(1.0), np.float64(100.0)], [np.float64(1.0), np.float64(1e9)]]
    check_both([x0, limit], [trace], feeds, rewritten_has_scan=True)
    check_both([x0, limit], [trace[-1], trace.shape[0]], feeds)


def test_scan_until_with_nit_sot_and_sequence() -> None:
    x = pt.vector("x")
    outs = pytensor.scan(lambda e: (e * 3.0, until(e < 0)), sequences=[x], return_updates=False)
    feeds = [[f64(1.0, 2.0, -1.0, 4.0)], [f64(1.0, 2.0)], [f64(-5.0)]]
    check_both([x], [outs], feeds)


# -- nesting and control flow ----------------------------------------------------------------------


def test_scan_nested() -> None:
    m = pt.matrix("m")

    def row_cumsum(row):
        return pytensor.scan(
            lambda e, acc: acc + e, sequences=[row], outputs_info=[pt.zeros(())],
            return_updates=False,
        )  # fmt: skip

    out = pytensor.scan(row_cumsum, sequences=[m], return_updates=False)
    check_both([m], [out], [[RNG.normal(size=(3, 4))]])


def test_scan_inside_ifelse() -> None:
    x = pt.vector("x")
    c = pt.scalar("c")
    cums = pytensor.scan(
        lambda e, acc: acc * e, sequences=[x], outputs_info=[pt.ones(())], return_updates=False
    )
    out = ifelse(c > 0, cums, -x)
    feeds = [[f64(1.0, 2.0, 3.0), np.float64(c)] for c in (1.0, -1.0)]
    check_both([x, c], [out], feeds)


def test_ifelse_inside_scan() -> None:
    x = pt.vector("x")
    out = pytensor.scan(
        lambda e, acc: ifelse(e > 0, acc + e, acc * 0.5),
        sequences=[x],
        outputs_info=[pt.zeros(())],
        return_updates=False,
    )
    check_both([x], [out], [[f64(1.0, -2.0, 3.0, -4.0, 5.0)]])


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64"])
def test_scan_dtypes(dtype: str) -> None:
    x = pt.vector("x", dtype=dtype)
    out = pytensor.scan(
        lambda e, acc: acc * 2 + e,
        sequences=[x],
        outputs_info=[pt.zeros((), dtype=dtype)],
        return_updates=False,
    )
    check_both([x], [out], [[np.arange(-3, 4).astype(dtype)]])


def test_scan_all_forms_together() -> None:
    x, y, w = pt.matrix("x"), pt.vector("y"), pt.matrix("w")
    a0, b0 = pt.matrix("a0"), pt.vector("b0")

    def step(row, y_prev, y_now, a1, a2, b, w):
        a = pt.tanh(pt.dot(a1, w) * 0.3 + a2 * 0.2 + row)
        return a, b + y_now * y_prev, a.sum() * y_now

    outs = pytensor.scan(
        step,
        sequences=[x, dict(input=y, taps=[-1, 0])],
        outputs_info=[dict(initial=a0, taps=[-1, -2]), b0, None],
        non_sequences=[w],
        return_updates=False,
    )
    feeds = [
        RNG.normal(size=(5, 3)),
        RNG.normal(size=7),
        RNG.normal(size=(3, 3)),
        RNG.normal(size=(2, 3)),
        RNG.normal(size=3),
    ]
    check_both([x, y, w, a0, b0], list(outs), [feeds])


def test_scan_until_with_mit_sot_and_nit_sot() -> None:
    x0 = pt.vector("x0")

    def step(a, b):
        n = a + b
        return (n, n * 2.0), until(n > 50)

    outs = pytensor.scan(
        step,
        outputs_info=[dict(initial=x0, taps=[-1, -2]), None],
        n_steps=30,
        return_updates=False,
    )
    check_both([x0], list(outs), [[f64(1.0, 1.0)], [f64(60.0, 1.0)]])
