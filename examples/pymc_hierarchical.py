"""Export a hierarchical PyMC model's log-density and evaluate it with ONNX Runtime alone.

    .venv/bin/python examples/pymc_hierarchical.py [OUT_DIR]

Writes ``logp.onnx`` (theta -> logp, dlogp) and ``expand.onnx`` (theta -> constrained values and
deterministics), then, reading only the ONNX files (layout from ``metadata_props``), builds a
point from named values, evaluates logp and its gradient, and compares with PyMC.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pymc as pm

from compiler.pymc import export_expand, export_logp


def build_model() -> pm.Model:
    rng = np.random.default_rng(0)
    school = rng.integers(0, 8, size=200)
    y = rng.normal(0.3 * school, 1.0)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfNormal("tau", 2)
        z = pm.Normal("z", 0, 1, shape=8)
        theta = pm.Deterministic("school_mean", mu + tau * z)
        sigma = pm.HalfNormal("sigma", 2)
        pm.Normal("y", theta[school], sigma, observed=y)
    return model


def consumer(folder: Path) -> tuple[float, np.ndarray, np.ndarray]:
    """What a program with only onnxruntime does: read the layout, fill the point, evaluate."""
    session = ort.InferenceSession(str(folder / "logp.onnx"), providers=["CPUExecutionProvider"])
    layout = json.loads(session.get_modelmeta().custom_metadata_map["pymc_layout"])
    theta = np.zeros(layout["size"])
    unconstrained = {"mu": 0.5, "tau_log__": np.log(1.5), "z": np.linspace(-1, 1, 8)}
    unconstrained["sigma_log__"] = 0.0
    for var in layout["variables"]:  # name, value_name, shape, dtype, transform, start, stop
        theta[var["start"] : var["stop"]] = np.ravel(unconstrained[var["value_name"]])
    logp, dlogp = session.run(["logp", "dlogp"], {"theta": theta})
    return float(logp), dlogp, theta


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    model = build_model()
    export_logp(model).save(folder / "logp.onnx")
    export_expand(model).save(folder / "expand.onnx")
    logp, dlogp, theta = consumer(folder)
    print(f"ONNX Runtime: logp = {logp:.12g}, |dlogp| = {np.linalg.norm(dlogp):.12g}")
    reference = model.logp_dlogp_function(ravel_inputs=True)
    reference.set_extra_values({})
    ref_logp, ref_dlogp = reference(theta)
    norm = np.linalg.norm(ref_dlogp)
    print(f"PyMC:         logp = {float(ref_logp):.12g}, |dlogp| = {norm:.12g}")
    expand = ort.InferenceSession(str(folder / "expand.onnx"), providers=["CPUExecutionProvider"])
    names = [o.name for o in expand.get_outputs()]
    draws = dict(zip(names, expand.run(None, {"theta": theta}), strict=True))
    print("constrained draw:", {k: np.round(v, 3).tolist() for k, v in draws.items()})
    print(f"models in {folder}")


if __name__ == "__main__":
    main()
