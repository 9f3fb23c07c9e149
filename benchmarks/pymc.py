"""PyMC log-densities exported with ``compiler.pymc.export_logp``: ONNX node count against
PyTensor's ``fast_run`` node count, and time per logp + dlogp evaluation in ONNX Runtime against
PyTensor's default mode (NUMBA), same process, same run.

    python -m benchmarks.pymc [--models linear hierarchical logistic mixture]
                              [--sizes 100 10000 100000] [--seconds 0.5]
                              [--baseline DIR] [--export DIR] [--threads N] [--fast-math]

PyTensor runs ``model.logp_dlogp_function(ravel_inputs=True)`` (what PyMC's samplers call) in its
default mode; ONNX Runtime runs the exported model's session with a preallocated input, with the
session options ``mode="ONNX"`` uses (``compiler.mode.session_options``: sequential, one thread
for a small graph). "floor" is a hand-minimal ONNX graph of the same computation (``FLOORS``,
one per model, written with onnx.helper), run the same way: what ONNX Runtime needs at least.
``--export DIR`` writes our models as ``DIR/<model>_<N>.onnx``; ``--baseline DIR`` times such
files (exported by another commit) beside ours, for a before/after in one run. Figures are
median wall times per call after a warm-up, the variants timed in interleaved rounds. A last
table gives the per-call overhead of ``CompileResult.run`` (input conversion, name lookups)
against the raw session call on the same model. ``--fast-math`` also times the model exported
with ``fast_math=True`` (value-changing reassociation, ``passes/reassociate.py``) in the same
rounds, in the columns "fast nodes", "fast", "fast / NUMBA" and "fast rel diff".
"""

from __future__ import annotations

import argparse
import statistics
import warnings
from collections.abc import Callable
from pathlib import Path

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


class _Builder:
    """A hand-written ONNX graph: named constants (initializers) and nodes, one output each."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def const(self, value: object, dtype: type = np.float64) -> str:
        name = f"k{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type: str, *inputs: str, outputs: int = 1, **attrs: object) -> str:
        names = [f"t{len(self.nodes)}_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names, **attrs))
        return names[0] if outputs == 1 else ",".join(names)

    def model(self, size: int, logp: str, dlogp: str, constant: float = 0.0) -> onnx.ModelProto:
        """theta (float64[size]) -> logp (scalar, ``logp`` + ``constant``), dlogp."""
        total = self.op("Add", logp, self.const(constant))
        self.nodes.append(helper.make_node("Reshape", [total, self.const([], np.int64)], ["logp"]))
        self.nodes.append(helper.make_node("Identity", [dlogp], ["dlogp"]))
        graph = helper.make_graph(
            self.nodes,
            "floor",
            [helper.make_tensor_value_info("theta", onnx.TensorProto.DOUBLE, [size])],
            [
                helper.make_tensor_value_info("logp", onnx.TensorProto.DOUBLE, []),
                helper.make_tensor_value_info("dlogp", onnx.TensorProto.DOUBLE, [size]),
            ],
            initializer=self.inits,
        )
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)


def _with_constant(build: Callable[[float], onnx.ModelProto], model: pm.Model) -> onnx.ModelProto:
    """``build(c)`` with c the normalizing constant: PyMC's logp at the point theta = 0 less
    what the graph built with c = 0 gives there (all the rest is checked against PyMC by the
    benchmark's "floor rel diff")."""
    zero = {
        v.name: np.zeros(np.shape(p))
        for v, p in zip(model.value_vars, model.initial_point().values(), strict=True)
    }
    size = sum(int(np.size(p)) for p in zero.values())
    session = ort.InferenceSession(
        build(0.0).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    ours = float(session.run(["logp"], {"theta": np.zeros(size)})[0])
    return build(float(model.compile_logp()(zero)) - ours)


def hierarchical_floor(n: int) -> onnx.ModelProto:
    """The measured floor of ``hierarchical``: theta = (mu, log tau, z[20], log s); m = mu + tau z,
    r = y - m[group], R = the sums of r per group (ScatterElements), q = sum(r**2) / s**2:
    logp = C - mu**2/50 - tau**2/8 + log tau - |z|**2/2 - s**2/2 + (1 - N) log s - q/2,
    dlogp = (sum(R)/s**2 - mu/25, 1 - tau**2/4 + tau R.z/s**2, tau R/s**2 - z, q - s**2 + 1 - N).
    Three passes over N: GatherElements, Sub, ReduceSumSquare, and the ScatterElements."""
    rng = np.random.default_rng(1)
    group = rng.integers(0, 20, size=n)
    observed = rng.normal(group * 0.1, 1.0)

    def build(c: float) -> onnx.ModelProto:
        b = _Builder()
        mu, lt, z, ls = b.op("Split", "theta", b.const([1, 1, 20, 1], np.int64), outputs=4,
                             axis=0).split(",")  # fmt: skip
        tau = b.op("Exp", lt)
        inv = b.op("Exp", b.op("Mul", ls, b.const(-2.0)))  # 1 / s**2
        s2 = b.op("Exp", b.op("Mul", ls, b.const(2.0)))
        m = b.op("Add", mu, b.op("Mul", tau, z))
        g = b.const(group, np.int64)
        r = b.op("Sub", b.const(observed), b.op("GatherElements", m, g, axis=0))
        q = b.op("Mul", b.op("ReduceSumSquare", r, keepdims=1), inv)  # (1,)
        rr = b.op("ScatterElements", b.const(np.zeros(20)), g, r, axis=0, reduction="add")
        rz = b.op("ReduceSum", b.op("Mul", rr, z), keepdims=1)
        g_mu = b.op("Sub", b.op("Mul", b.op("ReduceSum", rr, keepdims=1), inv),
                    b.op("Mul", mu, b.const(1 / 25)))  # fmt: skip
        tau2 = b.op("Mul", tau, tau)
        g_lt = b.op("Sum", b.const([1.0]), b.op("Mul", tau2, b.const(-0.25)),
                    b.op("Mul", b.op("Mul", tau, rz), inv))  # fmt: skip
        g_z = b.op("Sub", b.op("Mul", b.op("Mul", tau, rr), inv), z)
        g_ls = b.op("Sum", q, b.op("Neg", s2), b.const([1.0 - n]))
        dlogp = b.op("Concat", g_mu, g_lt, g_z, g_ls, axis=0)
        terms = b.op("Sum", b.op("Mul", b.op("Mul", mu, mu), b.const(-1 / 50)),
                     b.op("Mul", tau2, b.const(-1 / 8)), lt,
                     b.op("Mul", b.op("ReduceSumSquare", z, keepdims=1), b.const(-0.5)),
                     b.op("Mul", s2, b.const(-0.5)), b.op("Mul", ls, b.const(1.0 - n)),
                     b.op("Mul", q, b.const(-0.5)))  # fmt: skip
        return b.model(23, terms, dlogp, c)

    return _with_constant(build, hierarchical(n))


def logistic_floor(n: int) -> onnx.ModelProto:
    """The measured floor of ``logistic``: theta = (w[3], c); u = a (X w + c) with a = 2 y - 1
    (the sign the outcome gives the logit), e = exp(-|u|):
    logp = C - |w|**2/2 - c**2/2 + sum(min(u, 0) - log(1 + e)),
    dlogp = (X^T g - w, sum(g) - c) with g = a sigmoid(-u) = a (u >= 0 ? e : 1) / (1 + e).
    Row vectors (1, N), as ``linear_floor``."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(n, 3))
    sign = 2.0 * rng.integers(0, 2, size=n) - 1.0

    def build(c: float) -> onnx.ModelProto:
        b = _Builder()
        w, c0 = b.op("Split", "theta", b.const([3, 1], np.int64), outputs=2, axis=0).split(",")
        w_row = b.op("Unsqueeze", w, b.const([0], np.int64))
        logit = b.op("Add", b.op("MatMul", w_row, b.const(np.ascontiguousarray(x.T))), c0)
        a = b.const(sign[None])
        u = b.op("Mul", logit, a)
        e = b.op("Exp", b.op("Neg", b.op("Abs", u)))
        one_e = b.op("Add", e, b.const(1.0))
        data = b.op("ReduceSum", b.op("Sub", b.op("Min", u, b.const(0.0)), b.op("Log", one_e)),
                    keepdims=0)  # fmt: skip
        chosen = b.op("Where", b.op("GreaterOrEqual", u, b.const(0.0)), e, b.const(1.0))
        g = b.op("Mul", b.op("Div", chosen, one_e), a)  # (1, N)
        g_w = b.op("Sub", b.op("Squeeze", b.op("MatMul", g, b.const(x)),
                               b.const([0], np.int64)), w)  # fmt: skip
        g_c = b.op("Sub", b.op("ReduceSum", g, b.const([1], np.int64), keepdims=0), c0)
        dlogp = b.op("Concat", g_w, g_c, axis=0)
        terms = b.op("Add", data, b.op("Mul", b.op("ReduceSumSquare", "theta", keepdims=0),
                                       b.const(-0.5)))  # fmt: skip
        return b.model(4, terms, dlogp, c)

    return _with_constant(build, logistic(n))


def mixture_floor(n: int) -> onnx.ModelProto:
    """The measured floor of ``mixture``: theta = (x, mu[2], log s[2]) with w = softmax(x, -x),
    the components in rows (2, N) (ORT broadcasts a (2, 1) parameter along rows of N at full
    speed, a (1, 2) one along N rows of 2 element by element). d = (y - mu) / s,
    a = log w - log s - log(2 pi)/2 - d**2/2, p = softmax of a over the components:
    logp = C + log w1 + log w2 [jacobian] - |mu - (-1, 1)|**2/8 - |s|**2/2 + sum(log s)
           + sum(logsumexp(a)), log w = LogSoftmax(x, -x);
    dlogp = (2 (G1 w2 - G2 w1) + 2 (w2 - w1), sum(p d)/s - (mu - m0)/4,
             sum(p d**2) - G - s**2 + 1), G = sum(p) per component."""
    rng = np.random.default_rng(3)
    observed = np.where(rng.uniform(size=n) < 0.5, rng.normal(-2, 1, n), rng.normal(2, 1, n))

    def build(c: float) -> onnx.ModelProto:
        b = _Builder()
        x, mu, ls = b.op("Split", "theta", b.const([1, 2, 2], np.int64), outputs=3,
                         axis=0).split(",")  # fmt: skip
        col = b.const([2, 1], np.int64)
        # log w = log softmax(x, -x) = (x, -x) - logsumexp(x, -x)
        xx = b.op("Concat", x, b.op("Neg", x), axis=0)
        log_w = b.op("LogSoftmax", xx, axis=0)
        w = b.op("Exp", log_w)
        mu_c, ls_c = b.op("Reshape", mu, col), b.op("Reshape", ls, col)
        inv_s = b.op("Exp", b.op("Neg", ls_c))  # (2, 1)
        d = b.op("Mul", b.op("Sub", b.const(observed[None]), mu_c), inv_s)  # (2, N)
        shift = b.op(
            "Sub", b.op("Reshape", log_w, col), b.op("Add", ls_c, b.const(0.5 * np.log(2 * np.pi)))
        )
        a = b.op("Sub", shift, b.op("Mul", b.op("Mul", d, d), b.const(0.5)))
        top = b.op("ReduceMax", a, b.const([0], np.int64), keepdims=1)  # (1, N)
        e = b.op("Exp", b.op("Sub", a, top))
        total = b.op("ReduceSum", e, b.const([0], np.int64), keepdims=1)
        data = b.op("ReduceSum", b.op("Add", b.op("Log", total), top), keepdims=0)
        p = b.op("Div", e, total)  # (2, N)
        rows = b.const([1], np.int64)
        big_g = b.op("ReduceSum", p, rows, keepdims=0)  # (2,)
        pd = b.op("Mul", p, d)
        s_mu = b.op("ReduceSum", pd, rows, keepdims=0)
        s_ls = b.op("ReduceSum", b.op("Mul", pd, d), rows, keepdims=0)
        w1, w2 = b.op("Split", w, b.const([1, 1], np.int64), outputs=2, axis=0).split(",")
        g1, g2 = b.op("Split", big_g, b.const([1, 1], np.int64), outputs=2, axis=0).split(",")
        g_x = b.op("Mul", b.op("Sub", b.op("Add", b.op("Mul", g1, w2), w2),
                               b.op("Add", b.op("Mul", g2, w1), w1)), b.const(2.0))  # fmt: skip
        m0 = b.const([-1.0, 1.0])
        g_mu = b.op("Sub", b.op("Mul", s_mu, b.op("Exp", b.op("Neg", ls))),
                    b.op("Mul", b.op("Sub", mu, m0), b.const(0.25)))  # fmt: skip
        s2 = b.op("Exp", b.op("Mul", ls, b.const(2.0)))
        g_ls = b.op("Sum", b.op("Sub", s_ls, big_g), b.op("Neg", s2), b.const(1.0))
        dlogp = b.op("Concat", g_x, g_mu, g_ls, axis=0)
        priors = b.op("Sum", b.op("ReduceSum", log_w, keepdims=0),
                      b.op("Mul", b.op("ReduceSumSquare", b.op("Sub", mu, m0), keepdims=0),
                           b.const(-1 / 8)),
                      b.op("Mul", b.op("ReduceSum", s2, keepdims=0), b.const(-0.5)),
                      b.op("ReduceSum", ls, keepdims=0), data)  # fmt: skip
        return b.model(5, priors, dlogp, c)

    return _with_constant(build, mixture(n))


#: Hand-written floors, by model name.
FLOORS: dict[str, Callable[[int], onnx.ModelProto]] = {
    "linear": linear_floor, "hierarchical": hierarchical_floor, "logistic": logistic_floor,
    "mixture": mixture_floor,
}  # fmt: skip


def measure(
    name: str,
    n: int,
    seconds: float,
    baseline: Path | None = None,
    export: Path | None = None,
    threads: int | None = None,
    fast_math: bool = False,
) -> tuple[list[object], list[object]]:
    """One row of the main table and one of the overhead table. NUMBA, ORT on our model, the
    floor and the ``baseline`` model (``<dir>/<name>_<n>.onnx``, when given) are timed in
    interleaved rounds (the median of each round's median), so that the load of a shared
    machine falls on all of them alike."""
    model = MODELS[name](n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = export_logp(model)
        onnx_nodes = len(result.to_onnx().graph.node)
        reference = model.logp_dlogp_function(ravel_inputs=True)  # default mode: NUMBA
        fast = export_logp(model, fast_math=True) if fast_math else None
    if export is not None:
        (export / f"{name}_{n}.onnx").write_bytes(result.to_bytes())
    reference.set_extra_values({})
    fast_run = model.logp_dlogp_function(ravel_inputs=True, mode="FAST_RUN")
    pytensor_nodes = len(fast_run._pytensor_function.maker.fgraph.apply_nodes)
    theta = DictToArrayBijection.map(model.initial_point()).data + 0.1
    options = session_options(result.module, threads)  # as mode="ONNX" runs it
    names = result.output_names
    feeds = {result.input_names[0]: np.ascontiguousarray(theta)}
    ref = reference(theta)
    sessions = {
        "ours": ort.InferenceSession(result.to_bytes(), options, providers=["CPUExecutionProvider"])
    }
    nodes: dict[str, int | None] = {"ours": onnx_nodes, "floor": None, "baseline": None}
    if fast is not None:
        nodes["fast"] = len(fast.to_onnx().graph.node)
        sessions["fast"] = ort.InferenceSession(
            fast.to_bytes(), options, providers=["CPUExecutionProvider"]
        )
    if name in FLOORS:
        floor_model = FLOORS[name](n)
        nodes["floor"] = len(floor_model.graph.node)
        sessions["floor"] = ort.InferenceSession(
            floor_model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
    if baseline is not None and (baseline / f"{name}_{n}.onnx").exists():
        old = onnx.load(baseline / f"{name}_{n}.onnx")
        nodes["baseline"] = len(old.graph.node)
        sessions["baseline"] = ort.InferenceSession(
            old.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
    errors = {k: _error(v.run(names, feeds), ref) for k, v in sessions.items()}
    calls: dict[str, Callable[[], object]] = {"numba": lambda: reference(theta)}
    for key, session in sessions.items():
        calls[key] = lambda s=session: s.run(names, feeds)
    calls["run"] = lambda: result.run(theta)
    times = _interleaved(calls, seconds)
    t_numba, t_ort = times["numba"], times["ours"]
    t_floor, t_base = times.get("floor"), times.get("baseline")

    def ratio(t: float | None) -> str:
        return "-" if t is None else f"{t / t_numba:.2f}x"

    def count(key: str) -> object:
        return "-" if nodes[key] is None else nodes[key]

    main = [
        name, n, count("baseline"), onnx_nodes, pytensor_nodes, count("floor"),
        fmt_seconds(t_numba), fmt_seconds(t_base), fmt_seconds(t_ort), fmt_seconds(t_floor),
        ratio(t_base), ratio(t_ort), ratio(t_floor), f"{errors['ours']:.1e}",
        f"{errors['floor']:.1e}" if "floor" in errors else "-",
    ]  # fmt: skip
    if fast is not None:
        t_fast = times["fast"]
        main += [nodes["fast"], fmt_seconds(t_fast), ratio(t_fast), f"{errors['fast']:.1e}"]
    t_run = times["run"]
    overhead = [name, n, fmt_seconds(t_ort), fmt_seconds(t_run), fmt_seconds(t_run - t_ort)]
    return main, overhead


def _interleaved(
    calls: dict[str, Callable[[], object]], seconds: float, rounds: int = 5
) -> dict[str, float]:
    """Median wall time of each call: ``rounds`` rounds, each timing every call for
    ``seconds / rounds``; the median of the rounds' medians."""
    found: dict[str, list[float]] = {key: [] for key in calls}
    for _ in range(rounds):
        for key, fn in calls.items():
            found[key].append(median_seconds(fn, min_runs=3, min_seconds=seconds / rounds))
    return {key: statistics.median(values) for key, values in found.items()}


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
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--baseline", type=Path, help="time <dir>/<model>_<N>.onnx too")
    parser.add_argument("--export", type=Path, help="write our models as <dir>/<model>_<N>.onnx")
    parser.add_argument(
        "--threads", type=int, help='ORT intra-op threads (default: as mode="ONNX" picks)'
    )
    parser.add_argument(
        "--fast-math", action="store_true", help="time the fast_math=True export beside ours"
    )
    args = parser.parse_args()
    print_machine()
    rows, overheads = [], []
    for name in args.models:
        for n in args.sizes:
            row, overhead = measure(
                name, n, args.seconds, args.baseline, args.export, args.threads, args.fast_math
            )
            rows.append(row)
            overheads.append(overhead)
            print(" | ".join(str(c) for c in row), flush=True)
    print()
    headers = [
        "model", "N", "baseline nodes", "ONNX nodes", "PyTensor fast_run nodes", "floor nodes",
        "NUMBA", "baseline", "ORT", "floor", "baseline / NUMBA", "ORT / NUMBA", "floor / NUMBA",
        "max rel diff", "floor rel diff",
    ]  # fmt: skip
    if args.fast_math:
        headers += ["fast nodes", "fast", "fast / NUMBA", "fast rel diff"]
    print(format_table(headers, rows))
    print()
    print(format_table(["model", "N", "raw session", "result.run", "overhead"], overheads))


if __name__ == "__main__":
    main()
