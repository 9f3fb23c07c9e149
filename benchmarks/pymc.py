"""PyMC log-densities exported with ``compiler.pymc.export_logp``: ONNX node count against
PyTensor's ``fast_run`` node count, and time per logp + dlogp evaluation in ONNX Runtime against
PyTensor's default mode (NUMBA), same process, same run.

    python -m benchmarks.pymc [--models linear hierarchical logistic mixture]
                              [--sizes 100 10000 100000] [--seconds 0.3]

PyTensor runs ``model.logp_dlogp_function(ravel_inputs=True)`` (what PyMC's samplers call) in its
default mode; ONNX Runtime runs the exported model's session with a preallocated input (CPU,
default threads). Figures are median wall times per call after a warm-up. A last table gives the
per-call overhead of ``CompileResult.run`` (input conversion, name lookups) against the raw
session call on the same model.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.blocking import DictToArrayBijection

from benchmarks._util import fmt_seconds, format_table, median_seconds, print_machine
from compiler.pymc import export_logp

SIZES = (100, 10_000, 100_000)


def linear(n: int) -> pm.Model:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    y = x @ [1.0, -2.0, 0.5] + rng.normal(size=n)
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
    session, names = result.session(), result.output_names
    feeds = {result.input_names[0]: np.ascontiguousarray(theta)}
    ours, ref = session.run(names, feeds), reference(theta)
    error = max(
        float(np.max(np.abs(o - r)) / max(np.max(np.abs(r)), 1e-300))
        for o, r in zip(ours, ref, strict=True)
    )
    t_ort = median_seconds(lambda: session.run(names, feeds), min_seconds=seconds)
    t_numba = median_seconds(lambda: reference(theta), min_seconds=seconds)
    t_run = median_seconds(lambda: result.run(theta), min_seconds=seconds)
    main = [
        name, n, onnx_nodes, pytensor_nodes, fmt_seconds(t_numba), fmt_seconds(t_ort),
        f"{t_ort / t_numba:.2f}x", f"{error:.1e}",
    ]  # fmt: skip
    overhead = [name, n, fmt_seconds(t_ort), fmt_seconds(t_run), fmt_seconds(t_run - t_ort)]
    return main, overhead


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
        "model", "N", "ONNX nodes", "PyTensor fast_run nodes", "NUMBA", "ORT", "ORT / NUMBA",
        "max rel diff",
    ]  # fmt: skip
    print(format_table(headers, rows))
    print()
    print(format_table(["model", "N", "raw session", "result.run", "overhead"], overheads))


if __name__ == "__main__":
    main()
