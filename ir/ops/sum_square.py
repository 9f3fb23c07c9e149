"""The sum of squares over axes (ONNX ReduceSumSquare): one pass over x where a product and a
sum would be two. Only the opt-in fast-math passes make it (``passes/reassociate.py``)."""

from __future__ import annotations

from ir.ops.reduction import Reduce


class ReduceSumSquare(Reduce):
    """sum(x * x) over axes, in x's dtype (float32, float64); an empty sum is 0, no axes
    give x * x, and the result is never -0.0 (every square is +0.0 or more). The order of the
    additions is the runtime's: the interpreter sums numpy's way, ONNX Runtime its own, so the
    two may differ in the last bits (as a ReduceSum's do).

    `%1 = tir.reduce_sum_square %0 {axes = [0], keepdims = false} : f64[]`
    """

    NAME = "tir.reduce_sum_square"
    DTYPES = frozenset({"float32", "float64"})


__all__ = ["ReduceSumSquare"]
