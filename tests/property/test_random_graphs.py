"""The random-graph invariant in CI: a fixed, derandomized budget of random PyTensor graphs
(``graph_gen.py``), each as written and as ``fast_run`` rewrites it, must be refused with
``UnsupportedOpError`` or give a model that passes the checker, has no unused initializer, loads
in ONNX Runtime at both optimization levels and matches PyTensor (``oracle.py``).

A failure prints the graph's program and inputs; paste them into ``test_random_regressions.py``. A
larger run by hand: ``python -m benchmarks.random_graphs --graphs 2000 --seed 0``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytensor
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.property.graph_gen import Program, feeds_source, graphs_and_feeds
from tests.property.oracle import Kind, check_program

#: Derandomized: CI draws the same graphs on every run (about 1.5 s per graph on 2 cores; 16
#: graphs since special functions, linear algebra, Scan and gradients joined the menu, which
#: made a graph dearer: the same time as the 24 graphs before).
CI = settings(
    max_examples=16,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def assert_invariant(program: Program, feeds: list[np.ndarray]) -> None:
    """Every variant of the graph is OK, refused, or PyTensor is no oracle for it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcomes = check_program(program, feeds)
    bad = {v: o for v, o in outcomes.items() if o.kind in (Kind.WRONG, Kind.CRASH)}
    assert not bad, f"\n{program.source()}\nfeeds = {feeds_source(feeds)}\n" + "\n".join(
        f"[{v}] {o}" for v, o in bad.items()
    )


@pytest.fixture(autouse=True)
def _quiet_pytensor_rewrites(monkeypatch: pytest.MonkeyPatch) -> None:
    # PyTensor's own rewrites that fail on some dtypes are skipped with a printed traceback.
    monkeypatch.setattr(pytensor.config, "on_opt_error", "ignore")


@CI
@given(st.data())
def test_random_graphs_compile_correctly_or_are_refused(data: st.DataObject) -> None:
    program, feeds = data.draw(graphs_and_feeds())
    assert_invariant(program, feeds)


def _drawn_text(examples: int, extended_weight: int = 1) -> str:
    """The right-hand sides of every line of ``examples`` derandomized draws."""
    seen: set[str] = set()

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(graphs_and_feeds(extended_weight=extended_weight))
    def collect(drawn: tuple[Program, list[np.ndarray]]) -> None:
        seen.update(line.split(" = ", 1)[1] for line in drawn[0].lines)

    collect()
    return "\n".join(seen)


def _drawn_text_fresh(examples: int, extended_weight: int = 1) -> str:
    """``_drawn_text`` in a fresh interpreter: in the suite (xdist, after other tests) the same
    derandomized draws came out different (a family was missing there and present when the
    file ran alone); the cause was not found, so the check does not depend on it."""
    root = Path(__file__).resolve().parents[2]
    code = (
        "from tests.property.test_random_graphs import _drawn_text; "
        f"print(_drawn_text({examples}, {extended_weight}), end='')"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_generator_draws_every_op_family() -> None:
    """The generator draws each family of the op menu (so the property tests them). The newer
    families (special functions, linear algebra, Scan, gradients) share one menu entry, a few
    draws in 200: they are checked in draws that weight that entry (as ``--extended-weight``
    does), where each comes up about ten times in 100, so the check does not hang on one
    draw."""
    text = _drawn_text_fresh(200)
    families = [
        ("pt.int_div", "pt.mod"),
        ("pt.pow",),
        ("pt.cast",),
        ("pt.switch",),
        ("pt.reshape", "pt.flatten"),
        ("dimshuffle",),
        (":-",),
        ("np.array([",),
        ("pt.set_subtensor", "pt.inc_subtensor"),
        ("pt.sum", "pt.prod"),
        ("pt.max", "pt.min", "pt.argmax"),
        ("pt.all", "pt.any"),
        ("pt.sort",),
        ("pt.argsort",),
        ("pt.cumsum", "pt.cumprod"),
        ("pt.pad",),
        ("pt.concatenate",),
        ("pt.split",),
        ("pt.matmul", "pt.dot"),
        ("softmax", "pt.logsumexp"),
        ("pt.bitwise_", "pt.invert"),
        ("keepdims=True",),
    ]
    missing = [f for f in families if not any(needle in text for needle in f)]
    extended = _drawn_text_fresh(100, extended_weight=20)
    newer = [
        ("pt.gammaln", "pt.psi", "pt.erfinv", "pt.jv", "pt.gammainc", "pt.betainc"),
        ("ptl.",),
        ("pytensor.scan",),
        ("pytensor.grad",),
    ]
    missing += [f for f in newer if not any(needle in extended for needle in f)]
    assert not missing, f"the generator never drew {missing}"


def test_feeds_carry_special_values() -> None:
    """The inputs drawn include NaN, ±inf, -0.0 and integer extremes."""
    found: set[str] = set()

    @settings(
        max_examples=120,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(graphs_and_feeds())
    def collect(drawn: tuple[Program, list[np.ndarray]]) -> None:
        for f in drawn[1]:
            if f.dtype.kind == "f" and f.size:
                found.update(
                    k
                    for k, hit in [
                        ("nan", np.isnan(f).any()),
                        ("inf", np.isposinf(f).any()),
                        ("-inf", np.isneginf(f).any()),
                        ("-0", (np.signbit(f) & (f == 0)).any()),
                    ]
                    if hit
                )
            if f.dtype.kind == "i" and f.size and (f == np.iinfo(f.dtype).min).any():
                found.add("int min")

    collect()
    assert found == {"nan", "inf", "-inf", "-0", "int min"}
