"""Random graphs by hand: ``python -m benchmarks.random_graphs --graphs 2000 --seed 0``.

Draws ``--graphs`` random PyTensor graphs with inputs (``tests/property/graph_gen.py``), checks
each as written and as ``fast_run`` rewrites it (``tests/property/oracle.py``: refused with
``UnsupportedOpError``, or a model that passes the checker, has no unused initializer, loads in
ONNX Runtime at both optimization levels and matches PyTensor), and prints the counts of OK /
REFUSED / WRONG / CRASH (and NO_ORACLE: PyTensor itself failing) with every failing graph's
program, inputs and what went wrong. Exit status 1 when any graph is WRONG or CRASH.
"""

from __future__ import annotations

import argparse
import collections
import signal
import sys
import time
import warnings
from typing import Any

import pytensor
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import UnsatisfiedAssumption

from tests.property.graph_gen import Program, feeds_source, graphs_and_feeds
from tests.property.oracle import Kind, Outcome, check_program

FAILING = (Kind.WRONG, Kind.CRASH)


class Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Timeout


def run(
    graphs: int, seed_value: int, max_ops: int, timeout: int, verbose: bool, extended_weight: int
) -> int:
    counts: collections.Counter[str] = collections.Counter()
    per_graph: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    refusals: collections.Counter[str] = collections.Counter()
    start = time.perf_counter()
    index = 0

    @seed(seed_value)
    @settings(
        max_examples=graphs,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def one(data: st.DataObject) -> None:
        nonlocal index
        try:
            program, feeds = data.draw(graphs_and_feeds(max_ops, extended_weight))
        except UnsatisfiedAssumption:
            raise  # hypothesis draws another
        except Exception as exc:
            index += 1
            counts["GENERATOR_ERROR"] += 1
            print(f"=== graph {index}: generator error {type(exc).__name__}: {exc}", flush=True)
            return
        index += 1
        signal.alarm(timeout)
        try:
            outcomes = check_program(program, feeds)
        except Timeout:
            outcomes = {"all": Outcome(Kind.CRASH, f"timeout after {timeout} s")}
        except Exception as exc:
            outcomes = {"all": Outcome(Kind.CRASH, f"harness: {type(exc).__name__}: {exc}")}
        finally:
            signal.alarm(0)
        for _variant, outcome in outcomes.items():
            counts[outcome.kind.value] += 1
            if outcome.kind in (Kind.REFUSED, Kind.NO_ORACLE):
                refusals[f"{outcome.kind.value}: {outcome.detail[:120]}"] += 1
        worst = max(
            outcomes.values(), key=lambda o: list(Kind).index(o.kind) if o.kind in FAILING else -1
        )
        per_graph[worst.kind.value] += 1
        bad = {v: o for v, o in outcomes.items() if o.kind in FAILING}
        if bad:
            failures.append(describe(index, program, feeds, bad))
            print(failures[-1], flush=True)
        if verbose or index % 50 == 0:
            elapsed = time.perf_counter() - start
            print(f"[{index} graphs, {elapsed:.0f} s] {dict(counts)}", flush=True)

    # PyTensor's own rewrites that fail (and are skipped) print a traceback each: not ours.
    pytensor.config.on_opt_error = "ignore"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signal.signal(signal.SIGALRM, _alarm)
        one()
    print(f"\n{index} graphs in {time.perf_counter() - start:.0f} s (seed {seed_value})")
    print("checks (each graph raw and fast_run):")
    for kind in Kind:
        print(f"  {kind.value:10} {counts[kind.value]}")
    print("graphs (worst of the two):")
    for kind in Kind:
        print(f"  {kind.value:10} {per_graph[kind.value]}")
    print("most common refusals and PyTensor failures (no oracle):")
    for reason, n in refusals.most_common(25):
        print(f"  {n:5}  {reason}")
    if failures:
        print(f"\n{len(failures)} failing graphs:\n" + "\n".join(failures))
    return 1 if failures else 0


def describe(index: int, program: Program, feeds: list[Any], bad: dict[str, Outcome]) -> str:
    lines = [f"=== graph {index}: " + ", ".join(f"{v} {o.kind.value}" for v, o in bad.items())]
    lines += ["    " + line for line in program.source().splitlines()]
    lines.append(f"    feeds = {feeds_source(feeds)}")
    for variant, outcome in bad.items():
        lines.append(f"  [{variant}] {outcome}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-ops", type=int, default=6)
    parser.add_argument("--timeout", type=int, default=120, help="seconds per graph")
    parser.add_argument(
        "--extended-weight",
        type=int,
        default=6,
        help="menu entries for special functions, linear algebra, Scan and gradients "
        "(1: the CI test's menu, where they are one of 21)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    return run(
        args.graphs, args.seed, args.max_ops, args.timeout, args.verbose, args.extended_weight
    )


if __name__ == "__main__":
    sys.exit(main())
