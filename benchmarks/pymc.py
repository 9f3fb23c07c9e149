"""PyMC log-densities exported with ``compiler.pymc.export_logp``: ONNX node count against
PyTensor's ``fast_run`` node count, and time per logp + dlogp evaluation in ONNX Runtime against
PyTensor's default mode (NUMBA), same process, same run.

    python -m benchmarks.pymc [--models linear hierarchical logistic mixture]
                              [--sizes 100 10000 100000] [--seconds 0.3]

PyTensor runs ``model.logp_dlogp_function(ravel_inputs=True)`` (what PyMC's samplers call) in its
default mode; ONNX Runtime runs the exported model's session with a preallocated input, with the
session options ``mode="ONNX"`` uses (``compiler.mode.session_options``: sequential, one thread
for a small graph). "floor" is a hand-minimal ONNX graph of the same computation
(``FLOORS``: linear regression, written with onnx.helper), run the same way: what ONNX Runtime
needs at least. Figures are median wall times per call after a warm-up. A last table gives the
per-call overhead of ``CompileResult.run`` (input conversion, name lookups) against the raw
session call on the same model.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable

import numpy as np
import onnx
import onnxruntime as ort
import pymc as pm
import pytensor.tensor as pt
from onnx import helper, numpy_helper
from pymc.blocking import DictToArrayBijection

from benchmarks._util import fmt_seconds, format_table, median_seconds, print_machine
from compiler.mode import session_options
from compiler.pymc import export_logp

SIZES = (100, 10_000, 100_000)


def _linear_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    return x, x @ [1.0, -2.0, 0.5] + rng.normal(size=n)


def linear(n: int) -> pm.Model:
    x, y = _linear_data(n)
    with pm.Model() as model:
        a = pm.Normal("a", 0, 10)
        b = pm.Normal("b", 0, 10, shape=3)
        s = pm.HalfNormal("s", 1)
        pm.Normal("y", a + pt.dot(x, b), s, observed=y)
    return model


def hierarchical(n: int) -> pm.Model:
    rng = np.random.default_rng(1)
    group = rng.integers(0, 20, size=n)
    y = rng.normal(group * 0.1, 1.0)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfNormal("tau", 2)
        z = pm.Normal("z", 0, 1, shape=20)
        sigma = pm.HalfNormal("sigma", 1)
        pm.Normal("y", (mu + tau * z)[group], sigma, observed=y)
    return model


def logistic(n: int) -> pm.Model:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(n, 3))
    y = rng.integers(0, 2, size=n)
    with pm.Model() as model:
        w = pm.Normal("w", 0, 1, shape=3)
        c = pm.Normal("c", 0, 1)
        pm.Bernoulli("y", logit_p=pt.dot(x, w) + c, observed=y)
    return model


def mixture(n: int) -> pm.Model:
    rng = np.random.default_rng(3)
    y = np.where(rng.uniform(size=n) < 0.5, rng.normal(-2, 1, n), rng.normal(2, 1, n))
    with pm.Model() as model:
        w = pm.Dirichlet("w", np.ones(2))
        mu = pm.Normal("mu", [-1.0, 1.0], 2, shape=2)
        s = pm.HalfNormal("s", 1, shape=2)
        pm.NormalMixture("y", w=w, mu=mu, sigma=s, observed=y)
    return model


MODELS: dict[str, Callable[[int], pm.Model]] = {
    "linear": linear, "hierarchical": hierarchical, "logistic": logistic, "mixture": mixture,
}  # fmt: skip


def linear_floor(n: int) -> onnx.ModelProto:
    """The measured floor of ``linear``: its logp and dlogp written by hand with onnx.helper,
    as few ONNX nodes as the computation needs (31), same input and outputs as ``export_logp``.

    theta = (a, b[3], log s); r = y - a - X b, q = sum(r**2) / s**2:
    logp = C - (a**2 + |b|**2) / 200 - s**2 / 2 + (1 - N) log s - q / 2,
    dlogp = (sum(r) / s**2 - a / 100, X^T r / s**2 - b / 100, q - s**2 + 1 - N)."""
    x, observed = _linear_data(n)
    # The normalizing constants, as PyMC rounds them: logp at theta = 0 (a = b = 0, s = 1)
    # is C - 1/2 - sum(y**2) / 2.
    model = linear(n)
    zero = {
        v.name: np.zeros(np.shape(p))
        for v, p in zip(model.value_vars, model.initial_point().values(), strict=True)
    }
    c = float(model.compile_logp()(zero)) + 0.5 + 0.5 * float(np.sum(observed**2))

    def const(name: str, value: object) -> onnx.TensorProto:
        return numpy_helper.from_array(np.asarray(value, dtype=np.float64), name)

    inits = [
        const("X", x), const("XT", np.ascontiguousarray(x.T)), const("y_row", observed[None]),
        const("c", c), const("m2", -2.0), const("p2", 2.0), const("k_ab", -1 / 200),
        const("k_g", -1 / 100), const("half", -0.5), const("one_n", 1.0 - n),
        numpy_helper.from_array(np.array([1, 3, 1], dtype=np.int64), "sizes"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "axis0"),
        numpy_helper.from_array(np.zeros(0, dtype=np.int64), "scalar"),
    ]  # fmt: skip
    node = helper.make_node
    nodes = [
        node("Split", ["theta", "sizes"], ["a", "b", "ls"], axis=0),
        # Row vectors (1, N): ORT's MatMul of a 1-D operand is far slower than of a matrix.
        node("Unsqueeze", ["b", "axis0"], ["b_row"]),
        node("MatMul", ["b_row", "XT"], ["xb"]),
        node("Sub", ["y_row", "a"], ["ya"]),
        node("Sub", ["ya", "xb"], ["r"]),
        node("ReduceSumSquare", ["r"], ["ssq"], keepdims=0),
        node("ReduceSum", ["r"], ["sr"], keepdims=0),
        node("Mul", ["ls", "m2"], ["m2ls"]),
        node("Exp", ["m2ls"], ["inv"]),  # 1 / s**2
        node("Mul", ["ls", "p2"], ["p2ls"]),
        node("Exp", ["p2ls"], ["s2"]),
        node("Mul", ["ssq", "inv"], ["q"]),
        node("MatMul", ["r", "X"], ["xtr_row"]),
        node("Squeeze", ["xtr_row", "axis0"], ["xtr"]),
        node("Mul", ["xtr", "inv"], ["gb1"]),
        node("Mul", ["b", "k_g"], ["gb2"]),
        node("Add", ["gb1", "gb2"], ["gb"]),
        node("Mul", ["sr", "inv"], ["ga1"]),
        node("Mul", ["a", "k_g"], ["ga2"]),
        node("Add", ["ga1", "ga2"], ["ga"]),
        node("Sub", ["one_n", "s2"], ["gl1"]),
        node("Add", ["gl1", "q"], ["gl"]),
        node("Concat", ["ga", "gb", "gl"], ["dlogp"], axis=0),
        node("Concat", ["a", "b"], ["ab"], axis=0),
        node("ReduceSumSquare", ["ab"], ["abss"], keepdims=0),
        node("Mul", ["abss", "k_ab"], ["t1"]),
        node("Mul", ["s2", "half"], ["t2"]),
        node("Mul", ["ls", "one_n"], ["t3"]),
        node("Mul", ["q", "half"], ["t4"]),
        node("Sum", ["c", "t1", "t2", "t3", "t4"], ["logp1"]),
        node("Reshape", ["logp1", "scalar"], ["logp"]),
    ]
    graph = helper.make_graph(
        nodes,
        "linear_floor",
        [helper.make_tensor_value_info("theta", onnx.TensorProto.DOUBLE, [5])],
        [
            helper.make_tensor_value_info("logp", onnx.TensorProto.DOUBLE, []),
            helper.make_tensor_value_info("dlogp", onnx.TensorProto.DOUBLE, [5]),
        ],
        initializer=inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)


#: Hand-written floors, by model name.
FLOORS: dict[str, Callable[[int], onnx.ModelProto]] = {"linear": linear_floor}


def measure(name: str, n: int, seconds: float) -> tuple[list[object], list[object]]:
    """One row of the main table and one of the overhead table."""
    model = MODELS[name](n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = export_logp(model)
        onnx_nodes = len(result.to_onnx().graph.node)
        reference = model.logp_dlogp_function(ravel_inputs=True)  # default mode: NUMBA
    reference.set_extra_values({})
    fast_run = model.logp_dlogp_function(ravel_inputs=True, mode="FAST_RUN")
    pytensor_nodes = len(fast_run._pytensor_function.maker.fgraph.apply_nodes)
    theta = DictToArrayBijection.map(model.initial_point()).data + 0.1
    options = session_options(result.module)  # as mode="ONNX" runs it
    session = ort.InferenceSession(result.to_bytes(), options, providers=["CPUExecutionProvider"])
    names = result.output_names
    feeds = {result.input_names[0]: np.ascontiguousarray(theta)}
    ours, ref = session.run(names, feeds), reference(theta)
    error = _error(ours, ref)
    t_ort = median_seconds(lambda: session.run(names, feeds), min_seconds=seconds)
    t_numba = median_seconds(lambda: reference(theta), min_seconds=seconds)
    t_floor, floor_nodes, floor_error = None, None, None
    if name in FLOORS:
        floor_model = FLOORS[name](n)
        floor_nodes = len(floor_model.graph.node)
        floor = ort.InferenceSession(
            floor_model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        floor_error = _error(floor.run(names, feeds), ref)
        t_floor = median_seconds(lambda: floor.run(names, feeds), min_seconds=seconds)
    t_run = median_seconds(lambda: result.run(theta), min_seconds=seconds)
    main = [
        name, n, onnx_nodes, pytensor_nodes, "-" if floor_nodes is None else floor_nodes,
        fmt_seconds(t_numba), fmt_seconds(t_ort), fmt_seconds(t_floor),
        f"{t_ort / t_numba:.2f}x", "-" if t_floor is None else f"{t_floor / t_numba:.2f}x",
        f"{error:.1e}", "-" if floor_error is None else f"{floor_error:.1e}",
    ]  # fmt: skip
    overhead = [name, n, fmt_seconds(t_ort), fmt_seconds(t_run), fmt_seconds(t_run - t_ort)]
    return main, overhead


def _error(ours: list[np.ndarray], reference: list[np.ndarray]) -> float:
    """The largest normwise relative difference of the outputs."""
    return max(
        float(np.max(np.abs(o - r)) / max(np.max(np.abs(r)), 1e-300))
        for o, r in zip(ours, reference, strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--seconds", type=float, default=0.3)
    args = parser.parse_args()
    print_machine()
    rows, overheads = [], []
    for name in args.models:
        for n in args.sizes:
            row, overhead = measure(name, n, args.seconds)
            rows.append(row)
            overheads.append(overhead)
            print(" | ".join(str(c) for c in row), flush=True)
    print()
    headers = [
        "model", "N", "ONNX nodes", "PyTensor fast_run nodes", "floor nodes", "NUMBA", "ORT",
        "floor", "ORT / NUMBA", "floor / NUMBA", "max rel diff", "floor rel diff",
    ]  # fmt: skip
    print(format_table(headers, rows))
    print()
    print(format_table(["model", "N", "raw session", "result.run", "overhead"], overheads))


if __name__ == "__main__":
    main()
