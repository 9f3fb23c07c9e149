"""Is it the rank? ONNX Runtime's broadcasting elementwise ops with a size-1 operand of lower
rank than the result, against the same operand given the result's rank, side by side.

    python -m benchmarks.broadcast_ranks [--sizes 100 10000 100000] [--seconds 0.3]

Each row is one node (``Add``, ``Mul`` or ``Where``) on float64 inputs, timed in one-thread
sessions (as ``mode="ONNX"`` runs small graphs), the two operand ranks in the same run; the
outputs are compared bit for bit. The cases: a (N, 1) result with a (1,) or () operand (what
``lowering/broadcast_ranks.py`` reshapes), a (N,) result with a () operand and a (N, 3) result
with a (1,) operand (lower rank, but the result's last dim is not 1), and a (N, 3) result with
a (3,) row (not size 1: slow at either rank, for another reason).
"""

from __future__ import annotations

import argparse

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

from benchmarks._util import fmt_seconds, format_table, median_seconds, print_machine

D = onnx.TensorProto.DOUBLE
B = onnx.TensorProto.BOOL

#: (op, shape of the large operand, the small operand's lower-rank shape, its result-rank shape).
CASES: list[tuple[str, str, tuple[int, ...], tuple[int, ...]]] = [
    ("Add", "N,1", (1,), (1, 1)),
    ("Add", "N,1", (), (1, 1)),
    ("Mul", "N,1", (1,), (1, 1)),
    ("Where", "N,1", (), (1, 1)),
    ("Add", "N", (), (1,)),
    ("Add", "N,3", (1,), (1, 1)),
    ("Add", "N,3", (3,), (1, 3)),
]


def _shape(text: str, n: int) -> tuple[int, ...]:
    return tuple(n if d == "N" else int(d) for d in text.split(","))


def _session(op: str, big: tuple[int, ...], small: tuple[int, ...]) -> ort.InferenceSession:
    if op == "Where":  # Where(cond, x, small): the constant branch of a selection
        inputs = [helper.make_tensor_value_info("c", B, list(big)),
                  helper.make_tensor_value_info("x", D, list(big)),
                  helper.make_tensor_value_info("k", D, list(small))]  # fmt: skip
        node = helper.make_node("Where", ["c", "x", "k"], ["out"])
    else:
        inputs = [helper.make_tensor_value_info("x", D, list(big)),
                  helper.make_tensor_value_info("k", D, list(small))]  # fmt: skip
        node = helper.make_node(op, ["x", "k"], ["out"])
    graph = helper.make_graph([node], op, inputs, [helper.make_tensor_value_info("out", D, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def measure(
    case: tuple[str, str, tuple[int, ...], tuple[int, ...]], n: int, seconds: float
) -> list[object]:
    op, big_text, lower, same = case
    big = _shape(big_text, n)
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=big), rng.normal(size=same)
    times, outs = [], []
    for small in (lower, same):
        session = _session(op, big, small)
        feeds = {"x": x, "k": k.reshape(small)}
        if op == "Where":
            feeds["c"] = x > 0
        outs.append(session.run(None, feeds)[0])
        times.append(median_seconds(lambda s=session, f=feeds: s.run(None, f), min_seconds=seconds))
    same_bits = outs[0].shape == outs[1].shape and outs[0].tobytes() == outs[1].tobytes()
    return [op, f"({big_text}) with {lower}", f"({big_text}) with {same}", n,
            fmt_seconds(times[0]), fmt_seconds(times[1]), f"{times[0] / times[1]:.1f}",
            "yes" if same_bits else "NO"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[100, 10_000, 100_000])
    parser.add_argument("--seconds", type=float, default=0.3)
    args = parser.parse_args()
    print_machine()
    rows = [measure(c, n, args.seconds) for c in CASES for n in args.sizes]
    headers = ["op", "lower rank", "result rank", "N", "lower", "result", "lower / result",
               "same bits"]  # fmt: skip
    print(format_table(headers, rows))


if __name__ == "__main__":
    main()
