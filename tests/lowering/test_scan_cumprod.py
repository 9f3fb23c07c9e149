"""cumprod over an axis whose length is known only at run time: a tir.loop (opset 18 has no
CumProd), against PyTensor through ONNX Runtime and the IR interpreter."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.frontend import import_fgraph
from ir import ops
from ir.core import walk
from tests.helpers import assert_matches_pytensor, fgraph_of


def test_cumprod_over_a_symbolic_axis_is_a_loop() -> None:
    x = pt.matrix("x")
    module = import_fgraph(fgraph_of([x], [pt.cumprod(x, axis=1)]))
    assert [op for op in walk(module.func) if isinstance(op, ops.Loop)]


@settings(max_examples=10, deadline=None)
@given(
    shape=st.tuples(st.integers(0, 4), st.integers(0, 5), st.integers(1, 3)),
    axis=st.integers(-3, 2),
    # (Not int32: PyTensor's Python CumOp returns numpy's int64 there, off its own type.)
    dtype=st.sampled_from(["float64", "float32", "int64"]),
    seed=st.integers(0, 2**16),
)
def test_cumprod_symbolic_axis_matches(
    shape: tuple[int, int, int], axis: int, dtype: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x = pt.tensor("x", dtype=dtype, shape=(None, None, None))
    data = (rng.normal(size=shape) * 3).astype(dtype)
    assert_matches_pytensor(fgraph_of([x], [pt.cumprod(x, axis=axis)]), [data])
