"""Shared helpers of the benchmarks: isolated measurements, memory, timing, tables, machine.

Every measurement can run in a fresh process (``isolated``), so that its memory figures and
caches owe nothing to the measurements before it.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import re
import resource
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
#: Packages whose versions shape the figures.
PACKAGES = ("numpy", "pytensor", "numba", "onnx", "onnx-ir", "onnxruntime")
#: A 100k-node graph is deep: PyTensor's recursive graph utilities need more than 1000 frames.
RECURSION_LIMIT = 1_000_000


# -- isolated measurements -----------------------------------------------------------------------


@dataclass(frozen=True)
class Failed:
    """A measurement that did not finish: a timeout or an error, and why."""

    reason: str

    def __str__(self) -> str:
        return self.reason


def isolated[T](
    fn: Callable[..., T], *args: Any, timeout: float | None = None, isolate: bool = True
) -> T | Failed:
    """``fn(*args)`` in a fresh (spawned) process; its result, or ``Failed`` on an error or
    after ``timeout`` seconds (the process is killed). ``isolate=False`` runs it here (tests)."""
    if not isolate:
        try:
            return fn(*args)
        except Exception as e:
            return Failed(_first_line(e))
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_run_child, args=(sender, fn, args), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            return Failed(f"timeout after {timeout:.0f} s")
        try:
            ok, payload = receiver.recv()
        except EOFError:
            process.join()
            return Failed(f"the process died (exit code {process.exitcode})")
        return payload if ok else Failed(payload)
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()


def _run_child(sender: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    sys.setrecursionlimit(RECURSION_LIMIT)
    try:
        sender.send((True, fn(*args)))
    except BaseException as e:
        traceback.print_exc()
        sender.send((False, _first_line(e)))
    finally:
        sender.close()


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


# -- memory --------------------------------------------------------------------------------------


def _status_kib(field: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else None


def rss_bytes() -> int:
    """The resident set size of this process now."""
    kib = _status_kib("VmRSS")
    if kib is None:  # not Linux: the peak is the best there is
        return peak_rss_bytes()
    return kib * 1024


def peak_rss_bytes() -> int:
    """The highest resident set size since the process started or ``reset_peak_rss``."""
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib * 1024


def reset_peak_rss() -> bool:
    """Make the peak RSS start again from the current RSS (Linux); False when not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# -- timing --------------------------------------------------------------------------------------


def timed[T](fn: Callable[[], T]) -> tuple[T, float, float]:
    """``fn()``, and the wall-clock and CPU seconds (this process) it took.

    On a shared machine the CPU time says what the code costs, the wall time what it cost then.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def median_seconds(fn: Callable[[], Any], *, min_runs: int = 5, min_seconds: float = 0.5) -> float:
    """Median wall time of ``fn()`` after one warm-up call, over at least ``min_runs`` calls and
    ``min_seconds`` seconds."""
    fn()
    samples: list[float] = []
    deadline = time.perf_counter() + min_seconds
    while len(samples) < min_runs or time.perf_counter() < deadline:
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


# -- formatting ----------------------------------------------------------------------------------


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (columns padded for reading as plain text; numbers right-aligned)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [
        all(_looks_numeric(r[i]) for r in cells) and bool(cells) for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        padded = (
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    rule = "|".join(
        "-" * (w + 1) + ":" if num else "-" * (w + 2)
        for w, num in zip(widths, numeric, strict=True)
    )
    return "\n".join([line(headers), f"|{rule}|", *(line(r) for r in cells)])


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d.,]+(e[-+]?\d+)?\s*[a-zA-Zµ%x]*", text)) or text == "-"


def fmt_seconds(seconds: float | None) -> str:
    """``52.3 us``, ``4.1 ms``, ``120 ms``, ``3.41 s``; ``-`` for None."""
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.2f} s"


def fmt_mib(nbytes: float | None) -> str:
    return "-" if nbytes is None else f"{nbytes / MIB:.1f} MiB"


def fmt_ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}"


# -- the machine ---------------------------------------------------------------------------------


def machine_description() -> list[tuple[str, str]]:
    """What the figures were measured on: CPU, cores, memory, OS, Python, package versions."""
    cpu = platform.processor() or platform.machine()
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    mem_kib = None
    try:
        found = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        mem_kib = int(found.group(1)) if found else None
    except OSError:
        pass
    rows = [
        ("CPU", f"{cpu}, {os.cpu_count()} cores"),
        ("memory", f"{mem_kib / MIB:.1f} GiB" if mem_kib else "unknown"),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
    ]
    for name in PACKAGES:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
    return rows


def print_machine() -> None:
    print(format_table(["machine", ""], machine_description()))
    print()
