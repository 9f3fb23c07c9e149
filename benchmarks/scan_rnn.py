"""A Scan-based RNN run by ONNX Runtime (ONNX Loop) against PyTensor's default mode (NUMBA),
and the per-iteration overhead of ONNX Loop.

    python -m benchmarks.scan_rnn [--steps 1000] [--seconds 1]

The RNN is h_t = tanh(x_t W + h_{t-1} U + b) (float32, 32 inputs, 64 hidden units) over a
sequence of symbolic length; the model returns every h_t. The overhead is measured on a loop
whose body is one scalar add: (time at ``steps`` iterations - time at 1) / (steps - 1).
Median wall times per call after a warm-up; the outputs are compared too.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks._util import fmt_seconds, format_table, median_seconds, print_machine

N_IN, HIDDEN = 32, 64


@dataclass(frozen=True)
class Figure:
    case: str
    steps: int
    onnx: float
    pytensor: float
    max_abs_diff: float


def rnn():
    """(inputs, outputs) of the RNN over ``xs`` (time, N_IN)."""
    import pytensor
    import pytensor.tensor as pt

    rng = np.random.default_rng(0)
    scale = np.float32(1.0 / np.sqrt(HIDDEN))
    w = pytensor.shared(rng.normal(size=(N_IN, HIDDEN)).astype("float32") * scale, name="w")
    u = pytensor.shared(rng.normal(size=(HIDDEN, HIDDEN)).astype("float32") * scale, name="u")
    b = pytensor.shared(np.zeros(HIDDEN, dtype="float32"), name="b")
    xs = pt.matrix("xs", dtype="float32")
    hs = pytensor.scan(
        lambda x, h: pt.tanh(pt.dot(x, w) + pt.dot(h, u) + b),
        sequences=[xs],
        outputs_info=[pt.zeros(HIDDEN, dtype="float32")],
        return_updates=False,
    )
    return [xs], [hs]


def counter():
    """(inputs, outputs) of a loop of ``n`` iterations whose body adds 1 to a scalar."""
    import pytensor
    import pytensor.tensor as pt

    n = pt.scalar("n", dtype="int64")
    last = pytensor.scan(
        lambda c: c + np.float32(1.0),
        outputs_info=[pt.zeros((), dtype="float32")],
        n_steps=n,
        return_updates=False,
    )[-1]
    return [n], [last]


def _both(build: Callable[[], tuple[list, list]]):
    """The compiled model's run and PyTensor's default-mode function of one graph."""
    import pytensor
    from pytensor.graph.fg import FunctionGraph

    from compiler import Compiler

    inputs, outputs = build()
    result = Compiler().compile(FunctionGraph(outputs=outputs, clone=False))
    theirs = pytensor.function(inputs, outputs)  # PyTensor's default mode (NUMBA)
    return result.run, theirs


def _onnx_mode_function(build: Callable[[], tuple[list, list]]) -> Callable[..., list]:
    import pytensor

    from compiler.mode import ONNX_MODE

    inputs, outputs = build()
    return pytensor.function(inputs, outputs, mode=ONNX_MODE)


def run(steps: int = 1000, seconds: float = 1.0) -> list[Figure]:
    figures = []
    ours, theirs = _both(rnn)
    xs = np.random.default_rng(1).normal(size=(steps, N_IN)).astype("float32")
    diff = float(np.max(np.abs(ours(xs)[0] - theirs(xs)[0])))
    figures.append(
        Figure(
            "RNN (all h_t)",
            steps,
            median_seconds(lambda: ours(xs), min_seconds=seconds),
            median_seconds(lambda: theirs(xs), min_seconds=seconds),
            diff,
        )
    )
    # The same RNN through mode="ONNX": fast_run's rewrites first (x_t W leaves the loop as
    # one matmul), then the model; timed as a pytensor.function call.
    ours = _onnx_mode_function(rnn)
    diff = float(np.max(np.abs(ours(xs)[0] - theirs(xs)[0])))
    figures.append(
        Figure(
            "RNN, mode=ONNX",
            steps,
            median_seconds(lambda: ours(xs), min_seconds=seconds),
            figures[0].pytensor,
            diff,
        )
    )
    ours, theirs = _both(counter)
    for n in (1, steps):
        count = np.int64(n)
        diff = float(np.max(np.abs(ours(count)[0] - theirs(count)[0])))
        figures.append(
            Figure(
                "scalar add loop",
                n,
                median_seconds(lambda c=count: ours(c), min_seconds=seconds),
                median_seconds(lambda c=count: theirs(c), min_seconds=seconds),
                diff,
            )
        )
    return figures


def per_iteration(figures: list[Figure]) -> tuple[float, float]:
    """The loop overhead per iteration (ONNX Runtime, PyTensor) from the scalar add loop."""
    one, many = (f for f in figures if f.case == "scalar add loop")
    span = many.steps - one.steps
    return (many.onnx - one.onnx) / span, (many.pytensor - one.pytensor) / span


def table(figures: list[Figure]) -> str:
    rows = [
        (
            f.case,
            f.steps,
            fmt_seconds(f.onnx),
            fmt_seconds(f.pytensor),
            f"{f.pytensor / f.onnx:.2f}x",
            f"{f.max_abs_diff:.1e}",
        )
        for f in figures
    ]
    headers = ("case", "steps", "ONNX Runtime", "PyTensor (default mode)", "speedup", "max diff")
    return format_table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    print_machine()
    figures = run(args.steps, args.seconds)
    print(table(figures))
    ort_step, pytensor_step = per_iteration(figures)
    print(
        f"\nper-iteration overhead: ONNX Loop {fmt_seconds(ort_step)}, "
        f"PyTensor Scan (default mode) {fmt_seconds(pytensor_step)}"
    )


if __name__ == "__main__":
    main()
