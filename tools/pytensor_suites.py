#!/usr/bin/env python
"""Run PyTensor's own backend test suites against this compiler and classify each test.

PyTensor's backend suites (tests/link/{numba,jax,pytorch,mlx}/) build graphs and hand them to
one helper, ``compare_numba_and_py`` or ``compare_jax_and_py``, which compiles the graph with
the backend and with PyTensor's Python mode and compares the results with the suite's own
tolerance (its ``assert_fn``). This tool extracts PyTensor's ``tests/`` tree from a git
snapshot into a temporary folder, replaces those helpers (through a ``conftest.py`` that loads
this module as a pytest plugin) with one that compiles the same graph with this compiler and
runs it in ONNX Runtime, and classifies every test:

- OK: every helper call matched PyTensor's Python mode with the suite's tolerance.
- REFUSED: the compiler raised ``UnsupportedOpError`` (acceptable).
- WRONG: a number, shape or dtype differs from PyTensor's (the bar is zero of these).
- CRASH: the compiler or ONNX Runtime raised anything else (or the process died).
- SUITE-ERROR: the suite itself failed (a collection error, a missing module such as jax,
  PyTensor's Python mode failing, or the test failing outside the helper, e.g. on a check of
  the numba function's inner graph).
- NO-HELPER / SKIPPED: the test never reached the helper (a numba-only test), or was skipped.

Each graph is compiled two ways (``--via``): ``mode`` is ``pytensor.function(...,
mode="ONNX")`` (PyTensor's rewrites, then ``compiler.mode.ONNXLinker``), ``fgraph`` is
``Compiler().compile(outputs=..., inputs=...)`` on the graph as the test built it (no
rewrites) run through ``CompileResult.run``; ``both`` (the default) does both, and a test's
class is the worse of the two.

Usage (one suite file at a time on a shared machine)::

    .venv/bin/python tools/pytensor_suites.py numba/test_scan.py
    .venv/bin/python tools/pytensor_suites.py numba/linalg/test_solvers.py -k lu --via mode
    .venv/bin/python tools/pytensor_suites.py jax/test_scan.py --ref HEAD --timeout 1800

A suite is a path under PyTensor's tests/link/. ``--git-dir`` names the PyTensor snapshot
(default: the search tool's mirror, /work/.mirror/pymc-devs+pytensor/repo; PyTensor has no
tag for the installed 3.3.8, so the default ``--ref`` is the snapshot's HEAD). It prints the
counts and the details of every WRONG, CRASH and SUITE-ERROR test; ``--json FILE`` writes every
test's record.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_GIT_DIR = "/work/.mirror/pymc-devs+pytensor/repo"
ROOT = Path(__file__).resolve().parent.parent
RESULTS_ENV = "PTSUITE_RESULTS"
VIA_ENV = "PTSUITE_VIA"
#: Classes from best to worst: a test's class is the worst of its helper calls'.
RANK = ["OK", "REFUSED", "CRASH", "WRONG"]

# -- the replacement helper (runs inside the suite's pytest process) ----------------------------

#: The records of the helper calls of the running test: (class, via, detail).
_CALLS: list[tuple[str, str, str]] = []


class PythonModeFailed(Exception):
    """Marks an exception raised by PyTensor's Python mode (the reference), not by us."""


def _default_assert(x: Any, y: Any) -> None:
    """The numba suite's default comparison: rtol 1e-4, same shape and dtype, and an
    ndarray exactly where the reference gives one."""
    np.testing.assert_allclose(x, y, rtol=1e-4, strict=True)
    if isinstance(y, np.ndarray):
        assert isinstance(x, np.ndarray), "ours is not a NumPy array, PyTensor's is"
    else:
        assert not isinstance(x, np.ndarray), "ours is a NumPy array, PyTensor's is not"


def _copies(values: Iterable[Any]) -> list[Any]:
    return [v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v) for v in values]


def _as_list(outputs: Any) -> tuple[list[Any], bool]:
    if isinstance(outputs, tuple | list):
        return list(outputs), True
    return [outputs], False


def _like_reference(ours: Any, ref: Any) -> Any:
    """ONNX Runtime gives arrays; PyTensor gives a NumPy scalar for a ScalarType output."""
    if not isinstance(ref, np.ndarray) and isinstance(ours, np.ndarray) and ours.ndim == 0:
        return ours[()]
    return ours


def _run_mode(
    inputs: Sequence[Any], outputs: Any, values: Sequence[Any], updates: Any, inplace: bool
) -> tuple[Any, list[Any]]:
    import pytensor

    from compiler.mode import ONNX_MODE

    fn = pytensor.function(
        list(inputs), outputs, mode=ONNX_MODE, updates=updates, accept_inplace=inplace
    )
    res = fn(*_copies(values))
    return fn, _as_list(res)[0]


def compare_with_onnx(
    graph_inputs: Iterable[Any],
    graph_outputs: Any,
    test_inputs: Iterable[Any],
    *,
    assert_fn: Callable[[Any, Any], None] | None = None,
    py_mode: Any = None,
    updates: Any = None,
    inplace: bool = False,
    **_backend_options: Any,
) -> tuple[Callable[..., Any], Any]:
    """Stands in for ``compare_numba_and_py`` / ``compare_jax_and_py``: PyTensor's Python
    mode is the reference; this compiler's result must match it with the suite's
    ``assert_fn``. Returns (function, result) like the originals (the ONNX mode's function
    when ``mode`` ran)."""
    import pytensor

    from compiler.errors import UnsupportedOpError

    graph_inputs = list(graph_inputs)
    test_inputs = list(test_inputs)
    check = assert_fn or _default_assert
    via = os.environ.get(VIA_ENV, "both")
    if py_mode is None:
        py_mode = pytensor.compile.mode.Mode(linker="py", optimizer="fast_compile")
    try:
        py_fn = pytensor.function(
            graph_inputs, graph_outputs, mode=py_mode, updates=updates, accept_inplace=inplace
        )
        py_res, _ = _as_list(py_fn(*_copies(test_inputs)))
    except Exception:
        # The suite expects this (pytest.raises around the helper) or the suite is broken:
        # either way it is PyTensor's outcome, not ours.
        _CALLS.append(("PY-RAISES", "py", traceback.format_exc(limit=3)[-1500:]))
        raise
    # Shared variables the reference updated are reset before our run.
    shared_before = {}
    if updates:
        items = updates.items() if hasattr(updates, "items") else updates
        shared_before = {var: var.get_value(borrow=False) for var, _ in items}
        for var, value in shared_before.items():
            var.set_value(value)

    fn_result: tuple[Callable[..., Any], Any] | None = None
    worst: tuple[str, str, str] | None = None
    for method in ("mode", "fgraph") if via == "both" else (via,):
        if method == "fgraph" and (updates or inplace):
            continue
        if shared_before:
            for var, value in shared_before.items():
                var.set_value(copy.deepcopy(value))
        record: tuple[str, str, str]
        try:
            if method == "mode":
                fn, ours = _run_mode(graph_inputs, graph_outputs, test_inputs, updates, inplace)
                fn_result = (fn, ours if isinstance(graph_outputs, tuple | list) else ours[0])
            else:
                ours = _run_fgraph(graph_inputs, graph_outputs, test_inputs)
        except UnsupportedOpError as e:
            record = ("REFUSED", method, " | ".join(str(e).splitlines()[:3])[:400])
        except Exception as e:
            record = ("CRASH", method, f"{type(e).__name__}: {traceback.format_exc()[-2500:]}")
        else:
            try:
                if len(ours) != len(py_res):
                    raise AssertionError(f"{len(ours)} outputs, PyTensor gives {len(py_res)}")
                for mine, ref in zip(ours, py_res, strict=True):
                    check(_like_reference(mine, ref), ref)
            except AssertionError as e:
                record = ("WRONG", method, str(e)[:2500])
            except Exception as e:  # the suite's assert_fn failing on our value is ours
                record = ("WRONG", method, f"{type(e).__name__}: {str(e)[:2500]}")
            else:
                record = ("OK", method, "")
        _CALLS.append(record)
        if worst is None or RANK.index(record[0]) > RANK.index(worst[0]):
            worst = record
    assert worst is not None
    if worst[0] == "REFUSED":
        import pytest

        pytest.skip(f"REFUSED ({worst[1]}): {worst[2]}")
    if worst[0] != "OK":
        raise AssertionError(f"{worst[0]} ({worst[1]}): {worst[2]}")
    if fn_result is None:
        return py_fn, py_res if isinstance(graph_outputs, tuple | list) else py_res[0]
    return fn_result


def _run_fgraph(inputs: Sequence[Any], outputs: Any, values: Sequence[Any]) -> list[Any]:
    """Compile the graph as built (no PyTensor rewrites) and run it in ONNX Runtime."""
    from pytensor.compile.io import SymbolicInput
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant

    from compiler import Compiler
    from compiler.driver import graph_from

    variables = [i.variable if isinstance(i, SymbolicInput) else i for i in inputs]
    outs, _ = _as_list(outputs)
    outs = [getattr(o, "variable", o) for o in outs]
    fgraph = graph_from(variables, outs)
    # graph_from clones: its inputs are the given ones in order, then the shared ones.
    originals = variables + [None] * (len(fgraph.inputs) - len(variables))
    result = Compiler().compile(fgraph)
    by_clone = dict(zip(fgraph.inputs, range(len(fgraph.inputs)), strict=True))
    feeds: dict[str, Any] = {}
    values = _copies(values)
    for name, var in zip(result.input_names, result.input_vars, strict=True):
        k = by_clone[var]
        if k < len(variables) and originals[k] is not None:
            feeds[name] = values[k]
        elif isinstance(var, SharedVariable):
            feeds[name] = var.get_value(borrow=True)
        elif isinstance(var, Constant):
            feeds[name] = var.data
    return result.run(**feeds)


def _install_helpers() -> None:
    """Replace the backends' compare helpers before any suite module imports them."""
    import importlib

    import pytest

    for module_name, helper in (
        ("tests.link.numba.test_basic", "compare_numba_and_py"),
        ("tests.link.jax.test_basic", "compare_jax_and_py"),
        ("tests.link.pytorch.test_basic", "compare_pytorch_and_py"),
        ("tests.link.mlx.test_basic", "compare_mlx_and_py"),
    ):
        try:
            module = importlib.import_module(module_name)
        except (Exception, pytest.skip.Exception):  # that backend's helper module cannot load
            continue
        _WRAPPERS[helper] = _helper_for(module, numba=helper == "compare_numba_and_py")
        setattr(module, helper, _WRAPPERS[helper])


#: The stand-in of each backend helper, by the helper's name.
_WRAPPERS: dict[str, Callable[..., Any]] = {}


def _helper_for(module: Any, numba: bool) -> Callable[..., Any]:
    """``compare_with_onnx`` with the defaults of the backend's own helper: its ``py_mode``
    and its comparison (numba: rtol 1e-4, strict shapes and dtypes; the others: numpy's
    ``assert_allclose`` with rtol 1e-4)."""
    import functools

    default_assert = (
        _default_assert if numba else functools.partial(np.testing.assert_allclose, rtol=1e-4)
    )
    default_py_mode = getattr(module, "py_mode", None)

    def helper(*args: Any, assert_fn: Any = None, py_mode: Any = None, **kw: Any) -> Any:
        return compare_with_onnx(
            *args, assert_fn=assert_fn or default_assert, py_mode=py_mode or default_py_mode, **kw
        )

    return helper


# -- pytest hooks (conftest.py imports these) ---------------------------------------------------


def pytest_configure(config: Any) -> None:
    import compiler.mode  # noqa: F401  (registers mode="ONNX")

    _install_helpers()


def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    # A module that bound the helper before it was replaced gets ours too.
    for item in items:
        module = getattr(item, "module", None)
        if module is None:
            continue
        for name, wrapper in _WRAPPERS.items():
            if hasattr(module, name):
                setattr(module, name, wrapper)


def _write(record: dict[str, Any]) -> None:
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(record) + "\n")


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _CALLS.clear()
    _write({"test": nodeid, "event": "start"})


def pytest_runtest_logreport(report: Any) -> None:
    if report.when == "call" or (report.when == "setup" and not report.passed):
        longrepr = "" if report.passed else str(report.longrepr)[-3000:]
        _write(
            {
                "test": report.nodeid,
                "event": "done",
                "when": report.when,
                "outcome": report.outcome,
                "xfail": hasattr(report, "wasxfail"),
                "calls": list(_CALLS),
                "longrepr": longrepr,
            }
        )


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _write({"test": report.nodeid, "event": "collect-error", "longrepr": str(report.longrepr)})


# -- the driver --------------------------------------------------------------------------------

CONFTEST = """import sys
sys.path.insert(0, {tools!r})
from pytensor_suites import (  # noqa: F401
    pytest_collection_modifyitems,
    pytest_collectreport,
    pytest_configure,
    pytest_runtest_logreport,
    pytest_runtest_logstart,
)
"""


def classify(record: dict[str, Any]) -> str:
    """One test's class from its pytest outcome and its helper calls."""
    if record["event"] == "collect-error":
        return "SUITE-ERROR"
    if record["event"] == "start":  # it never finished: the process died or timed out
        return "CRASH"
    calls = [c for c in record["calls"] if c[0] != "PY-RAISES"]
    if calls:
        worst = max(calls, key=lambda c: RANK.index(c[0]))[0]
        if worst == "OK" and record["outcome"] == "failed":
            # A strict xfail (a numba limitation) that passes here is ours matching PyTensor.
            xpass = record.get("longrepr", "").startswith("[XPASS(strict)]")
            return "OK" if xpass else "SUITE-ERROR"
        return worst
    if record["outcome"] == "skipped":
        return "SKIPPED"
    if record["outcome"] == "failed" and record["when"] == "setup":
        return "SUITE-ERROR"
    if record["outcome"] == "failed" and not record["calls"]:
        return "NO-HELPER-FAILED"
    return "NO-HELPER"


def extract(git_dir: str, ref: str, dest: Path) -> None:
    """PyTensor's tests/ tree at ``ref`` into ``dest``."""
    archive = subprocess.run(
        ["git", f"--git-dir={git_dir}", "archive", ref, "tests"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    (dest / "conftest.py").write_text(CONFTEST.format(tools=str(Path(__file__).resolve().parent)))
    (dest / "pytest.ini").write_text("[pytest]\nxfail_strict = true\n")


def run_suite(
    suite: str, workdir: Path, via: str, keyword: str | None, timeout: float
) -> list[dict[str, Any]]:
    """Run one suite file under pytest; the records of its tests (last record per test)."""
    results = workdir / "results.jsonl"
    results.unlink(missing_ok=True)
    env = dict(os.environ, **{RESULTS_ENV: str(results), VIA_ENV: via})
    env["PYTHONPATH"] = os.pathsep.join([str(workdir), str(ROOT), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    cmd += ["--rootdir", str(workdir), "-o", "addopts=", f"tests/link/{suite}"]
    if keyword:
        cmd += ["-k", keyword]
    try:
        subprocess.run(cmd, cwd=workdir, env=env, timeout=timeout, capture_output=True)
    except subprocess.TimeoutExpired:
        print(f"{suite}: timed out after {timeout:.0f} s", file=sys.stderr)
    records: dict[str, dict[str, Any]] = {}
    if results.exists():
        for line in results.read_text().splitlines():
            record = json.loads(line)
            if record["event"] == "start" and record["test"] in records:
                continue
            records[record["test"]] = record
    return list(records.values())


def report(suite: str, records: list[dict[str, Any]]) -> Counter[str]:
    """Print the counts and the details of the bad tests; return the counts."""
    counts: Counter[str] = Counter()
    for record in records:
        cls = classify(record)
        counts[cls] += 1
        if cls in ("WRONG", "CRASH", "SUITE-ERROR", "NO-HELPER-FAILED"):
            print(f"--- {cls}: {record['test']}")
            for status, method, detail in record.get("calls", []):
                if status not in ("OK",):
                    print(f"  [{status} via {method}] {detail.strip()[-1800:]}")
            if cls in ("SUITE-ERROR", "NO-HELPER-FAILED") or not record.get("calls"):
                print("  " + record.get("longrepr", "")[-1200:].replace("\n", "\n  "))
    order = ["OK", "REFUSED", "WRONG", "CRASH", "SUITE-ERROR", "NO-HELPER", "NO-HELPER-FAILED"]
    order.append("SKIPPED")
    line = ", ".join(f"{k} {counts[k]}" for k in order if counts[k])
    print(f"=== {suite}: {line or 'no tests'}")
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="+", help="e.g. numba/test_scan.py")
    parser.add_argument("--git-dir", default=DEFAULT_GIT_DIR)
    parser.add_argument("--ref", default="HEAD")
    parser.add_argument("--via", choices=("mode", "fgraph", "both"), default="both")
    parser.add_argument("-k", dest="keyword", default=None, help="pytest -k expression")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per suite file")
    parser.add_argument("--json", default=None, help="write every test's record here")
    args = parser.parse_args(argv)
    everything = {}
    bad = 0
    with tempfile.TemporaryDirectory(prefix="ptsuites-") as folder:
        workdir = Path(folder)
        extract(args.git_dir, args.ref, workdir)
        for suite in args.suites:
            records = run_suite(suite, workdir, args.via, args.keyword, args.timeout)
            counts = report(suite, records)
            bad += counts["WRONG"] + counts["CRASH"]
            everything[suite] = records
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
