"""``python -m benchmarks.yolo11n [--weights PATH] [--size 640]``: YOLO11n through the compiler.

Prints one table: the export time (PyTensor graph in hand → serialized ONNX bytes) split into
frontend, each pass, lowering and serialization; the ONNX file's node count, op histogram and
size; ONNX Runtime latency (2 threads, median and min of 20 runs after warm-up) with all graph
optimizations and with none; PyTensor's own evaluation time of the same graph; and the largest
differences between ONNX Runtime and PyTensor. Without ``--weights`` the fixture's are used.

The PyTorch figures the ratios compare with come from the fixture's README (torch 2.13 on this
kind of 2-core machine): PyTorch is not installed here.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import onnxruntime as ort
import pytensor
from pytensor.graph.fg import FunctionGraph

from benchmarks._util import fmt_seconds, format_table, print_machine
from benchmarks.yolo11n.model import build, load_fixture_weights
from compiler import Compiler, CompileResult

#: PyTorch's figures for the same network (fixture README): export seconds and ORT latency.
TORCHSCRIPT_EXPORT_S = 0.72
DYNAMO_EXPORT_S = 7.0
TORCH_NODES_AFTER_ONNXSLIM = 320
TORCH_ORT_MS = {"all": 54.0, "none": 69.0}  # at 640x640


def export(weights, size: int) -> tuple[CompileResult, bytes, float]:
    """Compile YOLO11n (symbolic batch) and serialize it; returns the result, the bytes and
    the export seconds (graph in hand → bytes)."""
    _, output0 = build(weights, height=size, width=size, batch=None)
    fgraph = FunctionGraph(outputs=[output0], clone=False)
    start = time.perf_counter()
    result = Compiler(dim_names={"images": {0: "batch"}}).compile(fgraph)
    data = result.to_bytes()
    return result, data, time.perf_counter() - start


def ort_latency(data: bytes, feed: np.ndarray, level: str, runs: int = 20) -> tuple[float, float]:
    """Median and min seconds of ``runs`` ONNX Runtime calls (2 threads) after warm-up."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if level == "all"
        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    return _median_min(lambda: session.run(None, {"images": feed}), runs)


def _median_min(fn: Callable[[], object], runs: int, warmup: int = 3) -> tuple[float, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.yolo11n",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--weights", help="an .npz of the Ultralytics state_dict (default: fixture)"
    )
    parser.add_argument("--size", type=int, default=640, help="input height and width")
    parser.add_argument("--runs", type=int, default=20, help="timed ONNX Runtime runs")
    args = parser.parse_args(argv)

    weights = load_fixture_weights(args.weights)
    export(weights, args.size)  # warm-up: imports and first-call caches
    result, data, export_s = export(weights, args.size)
    model = result.to_onnx()
    feed = np.random.default_rng(0).random((1, 3, args.size, args.size), dtype=np.float32)

    latency = {level: ort_latency(data, feed, level, args.runs) for level in ("all", "none")}
    images, output0 = build(weights, height=args.size, width=args.size, batch=1)
    evaluate = pytensor.function([images], output0, mode="FAST_COMPILE")
    pytensor_s, _ = _median_min(lambda: evaluate(feed), runs=3, warmup=1)
    ours = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(
        None, {"images": feed}
    )
    reference = evaluate(feed)
    boxes, classes = (np.abs(ours[0] - reference)[:, s] for s in (slice(0, 4), slice(4, None)))

    print_machine()
    phases = _phases(result)
    phases.append(("onnx.checker (full) + protobuf bytes", export_s - sum(s for _, s in phases)))
    rows = [(name, fmt_seconds(seconds)) for name, seconds in phases]
    rows.append(("export total (graph → bytes)", fmt_seconds(export_s)))
    rows.append(
        ("  vs torch.onnx TorchScript (0.72 s)", f"{TORCHSCRIPT_EXPORT_S / export_s:.1f}x faster")
    )
    rows.append(("  vs torch.onnx dynamo (7 s)", f"{DYNAMO_EXPORT_S / export_s:.1f}x faster"))
    print(format_table([f"YOLO11n export at {args.size}x{args.size}", "time"], rows))
    print()
    histogram = Counter(node.op_type for node in model.graph.node)
    nodes = len(model.graph.node)
    model_rows = [
        ("ONNX nodes", f"{nodes} (PyTorch + onnxslim: {TORCH_NODES_AFTER_ONNXSLIM})"),
        ("op histogram", ", ".join(f"{op} {n}" for op, n in histogram.most_common())),
        ("file size", f"{len(data) / 2**20:.2f} MiB, opset 18, ir_version {model.ir_version}"),
    ]
    for level, (median, low) in latency.items():
        torch_ms = TORCH_ORT_MS[level] if args.size == 640 else None
        ratio = (
            f", {median * 1e3 / torch_ms:.2f}x PyTorch's file ({torch_ms:.0f} ms)"
            if torch_ms
            else ""
        )
        timing = f"median {fmt_seconds(median)}, min {fmt_seconds(low)}{ratio}"
        model_rows.append((f"ORT latency, optimizations {level}", timing))
    model_rows.append(("PyTensor evaluation (FAST_COMPILE)", fmt_seconds(pytensor_s)))
    model_rows.append(
        ("max |ORT - PyTensor|", f"boxes {boxes.max():.2e} px, classes {classes.max():.2e}")
    )
    print(format_table(["YOLO11n model", ""], model_rows))


def _phases(result: CompileResult) -> list[tuple[str, float]]:
    stats = result.stats
    rows = [("frontend", stats.frontend_seconds)]
    rows += [(f"  pass {p.name}", p.seconds) for p in stats.passes]
    rows += [("lowering", stats.lowering_seconds or 0.0)]
    rows += [("serialization (onnx-ir → ModelProto)", stats.serialization_seconds or 0.0)]
    return rows


if __name__ == "__main__":
    main()
