"""The demo: compile a small PyTensor model, print the IR after each pass, write model.onnx,
run it in ONNX Runtime and print the max error against PyTensor.

    python -m compiler.demo [--out model.onnx]
"""

from __future__ import annotations

import argparse

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.graph.fg import FunctionGraph

from compiler import Compiler


def build_model() -> FunctionGraph:
    """A small gated feature transform: weights are shared variables, batch is symbolic."""
    rng = np.random.default_rng(0)
    x = pt.matrix("x", dtype="float32", shape=(None, 4))
    scale = pytensor.shared(rng.normal(size=4).astype("float32"), name="scale")
    shift = pytensor.shared(rng.normal(size=4).astype("float32"), name="shift")
    h = x * scale + shift
    gated = h * pt.sigmoid(h)  # SiLU, fused by the fuse-silu pass
    out = (gated.dimshuffle(1, "x", 0) * 0.5 + 2).astype("float32")
    out.name = "y"
    return FunctionGraph(outputs=[out], clone=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="model.onnx", help="where to write the model")
    args = parser.parse_args(argv)

    fgraph = build_model()
    result = Compiler(print_ir_after_all=True, dim_names={"x": {0: "batch"}}).compile(fgraph)
    path = result.save(args.out)
    print(result.stats.table())
    print(f"\nwrote {path} ({path.stat().st_size} bytes, {len(result.to_onnx().graph.node)} nodes)")
    x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    report = result.verify(x, mode="FAST_COMPILE")
    print(f"ONNX Runtime vs PyTensor on a batch of {len(x)}:\n{report}")
    print(f"max abs error: {report.max_abs:.3g}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
