"""Fewer, larger ONNX ops against the ops they would replace, side by side in ONNX Runtime.

    python -m benchmarks.onnx_fusions [--sizes 100 10000 100000] [--seconds 0.3]

Each pair computes the same float64 values (the largest relative difference is printed): Gemm
against MatMul + Add (a matrix-vector product plus a bias), ReduceSumSquare against Mul +
ReduceSum, ReduceLogSumExp against PyTensor's max-shifted graph, Softplus against the piecewise
float64 formula the compiler emits (``lowering/exact_softplus.py``); and an Add whose bias has
the result's rank against the same bias of lower rank. Median time per session
call, one intra-op thread (as ``mode="ONNX"`` runs small graphs), after a warm-up.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

from benchmarks._util import fmt_seconds, format_table, median_seconds, print_machine

D = onnx.TensorProto.DOUBLE
Graph = tuple[list[onnx.NodeProto], list[tuple[str, np.ndarray]]]


def _model(nodes: list[onnx.NodeProto], inputs: list[tuple[str, np.ndarray]]) -> bytes:
    graph = helper.make_graph(
        nodes,
        "pair",
        [helper.make_tensor_value_info(n, D, list(a.shape)) for n, a in inputs],
        [helper.make_tensor_value_info("out", D, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)
    return model.SerializeToString()


def gemm(n: int) -> tuple[Graph, Graph]:
    rng = np.random.default_rng(0)
    inputs = [("x", rng.normal(size=(n, 3))), ("b", rng.normal(size=(3, 1))),
              ("c", rng.normal(size=(1,)))]  # fmt: skip
    fused = [helper.make_node("Gemm", ["x", "b", "c"], ["out"])]
    plain = [
        helper.make_node("MatMul", ["x", "b"], ["p"]),
        helper.make_node("Add", ["p", "c"], ["out"]),
    ]
    return (fused, inputs), (plain, inputs)


def sum_square(n: int) -> tuple[Graph, Graph]:
    inputs = [("x", np.random.default_rng(1).normal(size=(n,)))]
    fused = [helper.make_node("ReduceSumSquare", ["x"], ["out"], keepdims=0)]
    plain = [helper.make_node("Mul", ["x", "x"], ["sq"]),
             helper.make_node("ReduceSum", ["sq"], ["out"], keepdims=0)]  # fmt: skip
    return (fused, inputs), (plain, inputs)


def logsumexp(n: int) -> tuple[Graph, Graph]:
    inputs = [("x", np.random.default_rng(2).normal(size=(n, 2)) * 30)]
    axes = helper.make_tensor("axes", onnx.TensorProto.INT64, [1], [1])
    fused = [helper.make_node("Constant", [], ["axes"], value=axes),
             helper.make_node("ReduceLogSumExp", ["x", "axes"], ["out"], keepdims=0)]  # fmt: skip
    plain = [
        helper.make_node("Constant", [], ["axes"], value=axes),
        helper.make_node("ReduceMax", ["x", "axes"], ["m"], keepdims=1),
        helper.make_node("Sub", ["x", "m"], ["s"]),
        helper.make_node("Exp", ["s"], ["e"]),
        helper.make_node("ReduceSum", ["e", "axes"], ["t"], keepdims=1),
        helper.make_node("Log", ["t"], ["l"]),
        helper.make_node("Add", ["l", "m"], ["r"]),
        helper.make_node("Squeeze", ["r", "axes"], ["out"]),
    ]
    return (fused, inputs), (plain, inputs)


def softplus(n: int) -> tuple[Graph, Graph]:
    inputs = [("x", np.random.default_rng(3).normal(size=(n,)) * 5)]
    fused = [helper.make_node("Softplus", ["x"], ["out"])]
    # The compiler's float64 softplus (exact_softplus.py) with its inner log1p.
    nodes: list[onnx.NodeProto] = []

    def c(name: str, value: float) -> str:
        t = helper.make_tensor(name, D, [], [value])
        nodes.append(helper.make_node("Constant", [], [name], value=t))
        return name

    def op(kind: str, *args: str) -> str:
        out = f"v{len(nodes)}"
        nodes.append(helper.make_node(kind, list(args), [out]))
        return out

    one = c("one", 1.0)
    e = op("Exp", "x")
    u = op("Add", one, e)
    log1p = op("Mul", op("Log", u), op("Div", e, op("Sub", u, one)))
    log1p = op("Where", op("Equal", u, one), e, log1p)
    tail = op("Add", "x", op("Exp", op("Neg", "x")))
    out = op("Where", op("Less", "x", c("b33", 33.3)), tail, "x")
    out = op("Where", op("Less", "x", c("b18", 18.0)), log1p, out)
    nodes.append(helper.make_node("Where", [op("Less", "x", c("b37", -37.0)), e, out], ["out"]))
    return (fused, inputs), (nodes, inputs)


def equal_ranks(n: int) -> tuple[Graph, Graph]:
    """Not a fusion: the same Add with its bias given the result's rank, against numpy-style
    broadcasting of a lower-rank bias (ORT's general broadcaster, per row of length 1)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(n, 1))
    same = [("x", x), ("c", rng.normal(size=(1, 1)))]
    lower = [("x", x), ("c", same[1][1].reshape(1))]
    add = [helper.make_node("Add", ["x", "c"], ["out"])]
    return (add, same), (add, lower)


PAIRS: dict[str, tuple[str, str, Callable[[int], tuple[Graph, Graph]]]] = {
    "gemm": ("Gemm", "MatMul + Add", gemm),
    "sum_square": ("ReduceSumSquare", "Mul + ReduceSum", sum_square),
    "logsumexp": ("ReduceLogSumExp", "max-shifted (7 nodes)", logsumexp),
    "softplus": ("Softplus", "piecewise float64 (17 nodes)", softplus),
    "equal_ranks": ("Add (N,1)+(1,1)", "Add (N,1)+(1,)", equal_ranks),
}


def measure(name: str, n: int, seconds: float) -> list[object]:
    fused_name, plain_name, build = PAIRS[name]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    times, outs = [], []
    for nodes, inputs in build(n):
        session = ort.InferenceSession(
            _model(nodes, inputs), options, providers=["CPUExecutionProvider"]
        )
        feeds = dict(inputs)
        outs.append(session.run(None, feeds)[0])
        times.append(median_seconds(lambda s=session, f=feeds: s.run(None, f), min_seconds=seconds))
    fused, plain = outs
    scale = np.maximum(np.abs(plain), 1e-300)
    diff = float(np.max(np.abs(fused - plain) / scale))
    return [fused_name, plain_name, n, fmt_seconds(times[0]), fmt_seconds(times[1]),
            f"{times[0] / times[1]:.2f}", f"{diff:.1e}"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=list(PAIRS))
    parser.add_argument("--sizes", nargs="+", type=int, default=[100, 10_000, 100_000])
    parser.add_argument("--seconds", type=float, default=0.3)
    args = parser.parse_args()
    print_machine()
    rows = [measure(p, n, args.seconds) for p in args.pairs for n in args.sizes]
    headers = ["fused op", "replaces", "N", "fused", "replaced", "ratio", "max rel diff"]
    print(format_table(headers, rows))


if __name__ == "__main__":
    main()
