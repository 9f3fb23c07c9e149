"""solve(assume_a='banded') (scipy's gbsv: partial pivoting within the band) compiles as the LU
solve: the same pivots, the same NaN for a singular matrix, rounding order aside."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest

from tests.helpers import assert_matches_pytensor, fgraph_of


def banded(rng: np.random.Generator, n: int, below: int, above: int) -> np.ndarray:
    a = rng.normal(size=(n, n))
    rows, cols = np.indices((n, n))
    return np.where((cols - rows <= above) & (rows - cols <= below), a, 0.0)


@pytest.mark.parametrize(("n", "below", "above"), [(1, 0, 0), (5, 1, 2), (9, 3, 1), (12, 11, 11)])
@pytest.mark.parametrize("b_ndim", [1, 2])
def test_banded_solve_matches_scipy(n: int, below: int, above: int, b_ndim: int) -> None:
    rng = np.random.default_rng(n + below)
    a_value = banded(rng, n, below, above)
    b_value = rng.normal(size=(n,) if b_ndim == 1 else (n, 3))
    a = pt.matrix("a")
    b = pt.vector("b") if b_ndim == 1 else pt.matrix("b")
    x = pt.linalg.solve(a, b, assume_a="banded", b_ndim=b_ndim)
    assert_matches_pytensor(fgraph_of([a, b], [x]), [a_value, b_value], rtol=1e-11, atol=1e-12)


def test_banded_solve_batched_and_singular() -> None:
    rng = np.random.default_rng(3)
    a_value = np.stack([banded(rng, 6, 1, 1) for _ in range(3)])
    a_value[1, :, 2] = 0.0  # a zero column: singular, NaN as PyTensor's perform gives
    # b as wide as a: PyTensor's perform fills a failed solve with NaN in a's shape.
    b_value = rng.normal(size=(3, 6, 6))
    a, b = pt.tensor3("a"), pt.tensor3("b")
    x = pt.linalg.solve(a, b, assume_a="banded", b_ndim=2)
    assert_matches_pytensor(fgraph_of([a, b], [x]), [a_value, b_value], rtol=1e-11, atol=1e-12)
