"""Run time: ONNX Runtime on the compiled model against PyTensor's default mode, same inputs.

    python -m benchmarks.runtime [--mlp-batches 1 1024] [--cnn-batches 1 64] [--seconds 1]

Each model is compiled once (``Compiler().compile(fgraph)``) and run in its ONNX Runtime
session (CPU, default threads; ``session.run`` timed, as a deployment calls it); PyTensor runs
``pytensor.function`` in its default mode. The figures are median wall times per call after a
warm-up; the outputs are compared too.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks._util import Failed, fmt_seconds, format_table, median_seconds, print_machine

MLP_BATCHES = (1, 1024)
CNN_BATCHES = (1, 64)
#: MLP layer widths, input first.
MLP_WIDTHS = (256, 512, 512, 10)
#: CNN input: channels, height, width; then two conv (3x3) + relu + max-pool (2x2) stages.
CNN_INPUT = (3, 32, 32)
CNN_CHANNELS = (16, 32)
CNN_CLASSES = 10


def _weight(rng: np.random.Generator, name: str, shape: tuple[int, ...], fan_in: int):
    import pytensor

    data = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype("float32")
    return pytensor.shared(data, name=name, shape=shape)


def mlp():
    """``x → (dense → relu)* → dense`` with the widths ``MLP_WIDTHS``; returns (x, y)."""
    import pytensor.tensor as pt

    import nn

    rng = np.random.default_rng(0)
    x = pt.matrix("x", dtype="float32", shape=(None, MLP_WIDTHS[0]))
    h = x
    layers = list(itertools.pairwise(MLP_WIDTHS))
    for i, (n_in, n_out) in enumerate(layers):
        w = _weight(rng, f"w{i}", (n_in, n_out), n_in)
        b = _weight(rng, f"b{i}", (n_out,), n_in)
        h = pt.dot(h, w) + b
        if i < len(layers) - 1:
            h = nn.relu(h)
    h.name = "y"
    return x, h


def cnn():
    """Two (conv 3x3 → relu → max-pool 2x2) stages, then a dense layer; returns (x, y)."""
    import pytensor.tensor as pt

    import nn

    rng = np.random.default_rng(0)
    channels, height, width = CNN_INPUT
    x = pt.tensor4("x", dtype="float32", shape=(None, channels, height, width))
    h = x
    for i, out_channels in enumerate(CNN_CHANNELS):
        fan_in = channels * 9
        w = _weight(rng, f"conv{i}_w", (out_channels, channels, 3, 3), fan_in)
        b = _weight(rng, f"conv{i}_b", (out_channels,), fan_in)
        h = nn.max_pool2d(nn.relu(nn.conv2d(h, w, b, padding=1)), 2)
        channels, height, width = out_channels, height // 2, width // 2
    features = channels * height * width
    w = _weight(rng, "fc_w", (features, CNN_CLASSES), features)
    b = _weight(rng, "fc_b", (CNN_CLASSES,), features)
    y = pt.dot(h.reshape((h.shape[0], features)), w) + b
    y.name = "y"
    return x, y


#: Model name → (graph builder returning (x, y), input shape without the batch axis).
MODELS: dict[str, tuple[Callable[[], tuple], tuple[int, ...]]] = {
    "MLP": (mlp, (MLP_WIDTHS[0],)),
    "CNN": (cnn, CNN_INPUT),
}


@dataclass(frozen=True)
class RuntimeFigures:
    """Median seconds per call of both runtimes on one batch, and their largest difference."""

    model: str
    batch: int
    onnxruntime_seconds: float
    pytensor_seconds: float
    max_abs_diff: float

    @property
    def speedup(self) -> float:
        """How many times faster ONNX Runtime is than PyTensor."""
        return self.pytensor_seconds / self.onnxruntime_seconds


def measure(
    model: str, batches: Sequence[int], min_seconds: float = 1.0, mode: str | None = None
) -> list[RuntimeFigures | Failed]:
    """Compile ``model`` once and time both runtimes on each batch size (PyTensor in ``mode``,
    its default when None); a model the compiler cannot express yet gives one ``Failed``
    saying why."""
    import pytensor
    from pytensor.graph.fg import FunctionGraph

    from compiler import Compiler, UnsupportedOpError

    build, input_shape = MODELS[model]
    x, y = build()
    try:
        result = Compiler().compile(FunctionGraph(outputs=[y], clone=False))
        result.session()
    except UnsupportedOpError as e:
        return [Failed(f"not yet supported ({str(e).splitlines()[0]})")]
    function = pytensor.function([x], y, mode=mode)
    rng = np.random.default_rng(1)
    figures = []
    session, outputs = result.session(), result.output_names
    for batch in batches:
        data = rng.standard_normal((batch, *input_shape)).astype("float32")
        feeds = result.input_feeds([data])
        ours = session.run(outputs, feeds)[0]
        theirs = function(data)
        onnxruntime = median_seconds(lambda: session.run(outputs, feeds), min_seconds=min_seconds)
        pytensor_ = median_seconds(lambda: function(data), min_seconds=min_seconds)
        diff = float(np.max(np.abs(ours - theirs)))
        figures.append(RuntimeFigures(model, batch, onnxruntime, pytensor_, diff))
    return figures


def run(
    mlp_batches: Sequence[int] = MLP_BATCHES,
    cnn_batches: Sequence[int] = CNN_BATCHES,
    min_seconds: float = 1.0,
    mode: str | None = None,
) -> dict[str, list[RuntimeFigures | Failed]]:
    """Figures of every model, by model name."""
    return {
        "MLP": measure("MLP", mlp_batches, min_seconds, mode),
        "CNN": measure("CNN", cnn_batches, min_seconds, mode),
    }


def table(figures: dict[str, list[RuntimeFigures | Failed]]) -> str:
    """One row per model and batch: both median times, the speedup, the largest difference."""
    rows: list[list[object]] = []
    for model, entries in figures.items():
        for entry in entries:
            if isinstance(entry, Failed):
                rows.append([model, "-", "-", "-", "-", str(entry)])
                continue
            rows.append(
                [
                    model,
                    entry.batch,
                    fmt_seconds(entry.onnxruntime_seconds),
                    fmt_seconds(entry.pytensor_seconds),
                    f"{entry.speedup:.2f}x",
                    f"{entry.max_abs_diff:.2g}",
                ]
            )
    return format_table(
        ["model", "batch", "ONNX Runtime", "PyTensor (default mode)", "speedup", "max abs diff"],
        rows,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mlp-batches", type=int, nargs="+", default=list(MLP_BATCHES))
    parser.add_argument("--cnn-batches", type=int, nargs="+", default=list(CNN_BATCHES))
    parser.add_argument(
        "--seconds", type=float, default=1.0, help="least time spent timing each figure"
    )
    args = parser.parse_args(argv)
    print_machine()
    print(table(run(args.mlp_batches, args.cnn_batches, args.seconds)))


if __name__ == "__main__":
    main()
