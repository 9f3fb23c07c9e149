"""The demo: compile a small PyTensor model, print the IR before and after the passes, write
model.onnx, run it in ONNX Runtime and print the max error against PyTensor.

    python -m compiler.demo [--out model.onnx] [--print-ir-after-all]
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
    parser.add_argument(
        "--print-ir-after-all", action="store_true", help="also print the IR after every pass"
    )
    args = parser.parse_args(argv)

    fgraph = build_model()
    dim_names = {"x": {0: "batch"}}
    # The frontend's IR: the same compile with no passes (cheap for a model this small).
    before = Compiler(pipeline=(), dim_names=dim_names).compile(fgraph).module
    print(f"// ---- IR before the passes ----\n{before}")
    compiler = Compiler(print_ir_after_all=args.print_ir_after_all, dim_names=dim_names)
    result = compiler.compile(fgraph)
    print(f"// ---- IR after the passes ----\n{result.module}")
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
