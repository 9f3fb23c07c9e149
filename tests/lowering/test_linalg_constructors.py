"""block_diag (BlockDiagonal, core and Blockwise) and the norms that need no singular values:
ONNX Runtime and the IR interpreter against PyTensor, over block shapes (empty ones too),
batch shapes and dtypes."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.tensor import linalg as L

from tests.helpers import assert_matches_pytensor, fgraph_of


@given(
    shapes=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=2, max_size=3),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=8, deadline=None)
def test_block_diag_shapes(shapes: list[tuple[int, int]], seed: int) -> None:
    rng = np.random.default_rng(seed)
    inputs = [pt.matrix(f"m{i}") for i in range(len(shapes))]
    values = [rng.normal(size=s) for s in shapes]
    assert_matches_pytensor(fgraph_of(inputs, [L.block_diag(*inputs)]), values)


def test_block_diag_mixed_dtypes_and_static_shapes() -> None:
    a = pt.matrix("a", dtype="int32", shape=(2, 2))
    b = pt.matrix("b", dtype="float32", shape=(1, 3))
    out = L.block_diag(a, b)
    assert out.type.dtype == "float64"
    rng = np.random.default_rng(0)
    values = [rng.integers(-5, 5, size=(2, 2)).astype("int32"), rng.normal(size=(1, 3))]
    assert_matches_pytensor(fgraph_of([a, b], [out]), [values[0], values[1].astype("float32")])


@pytest.mark.parametrize("batch", [(3,), (2, 1)])
def test_block_diag_blockwise_broadcasts_batches(batch: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    x = pt.tensor("x", shape=(None,) * (len(batch) + 2))
    y = pt.matrix("y")
    z = pt.tensor("z", shape=(1,) * len(batch) + (None, None))  # broadcasts over the batch
    values = [rng.normal(size=(*batch, 2, 3)), rng.normal(size=(1, 2)),
              rng.normal(size=(*(1 for _ in batch), 3, 1))]  # fmt: skip
    assert_matches_pytensor(fgraph_of([x, y, z], [L.block_diag(x, y, z)]), values)


@pytest.mark.parametrize("ord", ["fro", 1, -1, np.inf, -np.inf, None])
def test_matrix_norms_without_singular_values(ord: object) -> None:
    rng = np.random.default_rng(2)
    a = pt.tensor3("a")
    value = rng.normal(size=(2, 4, 3))
    assert_matches_pytensor(fgraph_of([a], [L.norm(a, ord=ord, axis=(-2, -1))]), [value])


@pytest.mark.parametrize("ord", [0, 1, 2, 3, 0.5, -1, -2, np.inf, -np.inf, None])
def test_vector_norms(ord: object) -> None:
    rng = np.random.default_rng(3)
    v = pt.matrix("v")
    value = rng.normal(size=(3, 5))
    value[0, 1] = 0.0
    assert_matches_pytensor(fgraph_of([v], [L.norm(v, ord=ord, axis=-1)]), [value])
