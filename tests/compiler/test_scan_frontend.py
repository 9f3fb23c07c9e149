"""The Scan frontend rule: the IR it builds (one tir.loop, the body imported from the inner
graph) and what it refuses, listed with every other unsupported op."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.graph.basic import Constant
from pytensor.scan.utils import until
from pytensor.tensor.random.type import random_generator_type

from compiler import Compiler, UnsupportedOpError
from compiler.frontend import import_fgraph
from ir import ops
from ir.core import walk
from ir.verifier import verify_module
from tests.helpers import fgraph_of


def loops_of(module) -> list[ops.Loop]:
    return [op for op in walk(module.func) if isinstance(op, ops.Loop)]


def test_scan_becomes_one_loop_whose_body_reads_the_step() -> None:
    x = pt.matrix("x")
    w = pt.matrix("w")
    h = pytensor.scan(
        lambda row, h, w: pt.tanh(pt.dot(h, w) + row),
        sequences=[x],
        outputs_info=[pt.zeros(3)],
        non_sequences=[w],
        return_updates=False,
    )
    module = import_fgraph(fgraph_of([x, w], [h]))
    verify_module(module)
    (loop,) = loops_of(module)
    body = loop.body
    step = body.args[0]
    # The sequence's row is gathered at the iteration number inside the body...
    gathers = [op for op in body.ops if isinstance(op, ops.Gather) and op.operands[1] is step]
    assert [g.operands[0].owner for g in gathers] != []
    # ... the weights are read from the outer scope, not carried ...
    assert module.func.args[1] in {v for op in walk(body) for v in op.operands}
    assert loop.num_carried == 1  # the one lag of the sit-sot
    # ... and the new state is both carried and stacked.
    yielded = body.yielded
    assert yielded[1] is yielded[2]


def test_mit_sot_carries_one_value_per_lag() -> None:
    x = pt.vector("x")
    x0 = pt.vector("x0")
    trace = pytensor.scan(
        lambda e, a, b: a - b + e,
        sequences=[x],
        outputs_info=[dict(initial=x0, taps=[-1, -3])],
        return_updates=False,
    )
    (loop,) = loops_of(import_fgraph(fgraph_of([x, x0], [trace])))
    assert loop.num_carried == 3 and loop.num_scanned == 1
    lag1, lag2, _ = loop.body.args[2:]
    _, *shifted = loop.body.yielded[1:4]
    assert shifted == [lag1, lag2]


def test_until_becomes_the_loop_condition() -> None:
    x0 = pt.scalar("x0")
    trace = pytensor.scan(
        lambda x: (x * 2.0, until(x > 10.0)),
        outputs_info=[x0],
        n_steps=50,
        return_updates=False,
    )
    (loop,) = loops_of(import_fgraph(fgraph_of([x0], [trace])))
    cond = loop.body.yielded[0]
    assert isinstance(cond.owner, ops.Eq)  # continue while the until value is 0


def test_random_variable_inside_the_body_is_refused() -> None:
    x = pt.vector("x", shape=(4,))
    rng = Constant(random_generator_type, np.random.default_rng(0))
    noisy = pytensor.scan(
        lambda v: v + pt.random.normal(0.0, 1.0, rng=rng), sequences=[x], return_updates=False
    )
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(fgraph_of([x], [noisy]))
    (entry,) = info.value.ops
    assert entry.op.startswith("Scan")
    assert "random variable inside the loop body" in entry.reason


def test_random_variable_with_a_shared_generator_names_the_scan() -> None:
    x = pt.vector("x", shape=(4,))
    srng = pytensor.shared(np.random.default_rng(0), name="srng")

    def step(v, r):
        next_rng, z = pt.random.normal(0.0, 1.0, rng=r).owner.outputs
        return v + z, next_rng

    noisy, _ = pytensor.scan(step, sequences=[x], outputs_info=[None, srng], return_updates=False)
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(fgraph_of([x, srng], [noisy]))
    reasons = [e.reason for e in info.value.ops if e.op.startswith("Scan")]
    assert reasons and "random variable inside the loop body" in reasons[0]


def test_unsupported_ops_in_the_body_are_listed_with_the_others() -> None:
    x = pt.vector("x", shape=(5,))
    m = pt.vector("m")
    out = pytensor.scan(
        lambda v, acc: acc + pt.linalg.schur(pt.outer(v, v))[0].sum(),
        sequences=[x],
        outputs_info=[pt.zeros(())],
        return_updates=False,
    )
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(fgraph_of([x, m], [out, pt.linalg.eig(pt.outer(m, m))[0]]))
    entries = info.value.ops
    inner = [e for e in entries if "Schur" in e.op]
    assert len(inner) == 1 and inner[0].location.origin.startswith("Scan")
    assert any("Eig" in e.op for e in entries)
    # The body's ops are listed by their path; the Scan itself is not listed again.
    assert inner[0].op.startswith("Scan{") and "> Blockwise{Schur" in inner[0].op
    assert not [e for e in entries if e.op.startswith("Scan") and ">" not in e.op]
    assert __file__ in str(info.value)


def test_body_ops_after_an_unsupported_input_are_still_listed() -> None:
    # The Scan reads the output of an unsupported op: no loop is built, but the body's own
    # unsupported op is reported too.
    m = pt.matrix("m", shape=(3, 3))
    rows = pt.linalg.schur(m)[0]
    out = pytensor.scan(
        lambda r: pt.linalg.schur(pt.outer(r, r))[0].sum(), sequences=[rows], return_updates=False
    )
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(fgraph_of([m], [out]))
    ops_listed = [e.op for e in info.value.ops]
    assert any("Schur" in o for o in ops_listed)
    assert any("Schur" in o for o in ops_listed)
