"""A vector indexed by a vector (``x[i]``) is lowered to GatherElements (ORT's Gather is 3-4x
slower there); other gathers stay Gather. Numeric: PyTensor's values through ONNX Runtime and
the interpreter, negative indices, repeats and every integer index dtype included."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of


def _op_types(fgraph) -> set[str]:
    return {n.op_type for n in compile_checked(fgraph).to_onnx().graph.node}


@pytest.mark.parametrize("index_dtype", ["int8", "int32", "int64", "uint16"])
def test_vector_by_vector_is_gather_elements(index_dtype: str):
    x, i = pt.dvector("x"), pt.vector("i", dtype=index_dtype)
    fgraph = fgraph_of([x, i], [x[i]])
    assert "GatherElements" in _op_types(fgraph) and "Gather" not in _op_types(fgraph)
    signed = np.dtype(index_dtype).kind == "i"
    index = np.array([0, 4, 4, 1, -1, -5] if signed else [0, 4, 4, 1, 3], dtype=index_dtype)
    assert_matches_pytensor(fgraph, [np.array([1.5, -0.0, np.nan, np.inf, 7.0]), index])


def test_matrix_rows_and_scalar_index_stay_gather():
    x, i = pt.dmatrix("x"), pt.lvector("i")
    fgraph = fgraph_of([x, i], [x[i]])
    assert "Gather" in _op_types(fgraph)
    assert_matches_pytensor(fgraph, [np.arange(12.0).reshape(4, 3), np.array([3, -1, 0])])


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 30), st.lists(st.integers(-30, 29), min_size=0, max_size=40))
def test_property_vector_gather_matches_pytensor(n: int, raw: list[int]):
    index = np.array([r % n if r >= 0 else -(-r % n or n) for r in raw], dtype="int64")
    x, i = pt.dvector("x"), pt.lvector("i")
    data = np.random.default_rng(n).normal(size=n)
    assert_matches_pytensor(fgraph_of([x, i], [x[i] * 2.0]), [data, index])
