"""The linear-control solvers: solve_sylvester, solve_continuous_lyapunov, solve_discrete_lyapunov
(both methods), core and Blockwise, and their gradients, against PyTensor (scipy's Schur +
trsyl); solve_discrete_are refused with its reason."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.tensor import linalg as L

from compiler import Compiler
from compiler.errors import UnsupportedOpError
from tests.helpers import assert_matches_pytensor, fgraph_of

#: The Kronecker-form solve and Bartels-Stewart agree to cond(K) * eps; these systems are
#: well separated (cond(K) below 1e3).
TOL = {"rtol": 1e-11, "atol": 1e-12}


def separated(rng: np.random.Generator, m: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A (m x m) and B (n x n) whose spectra are apart (A's near +2, B's near +3)."""
    a = rng.normal(size=(m, m)) * 0.3 + 2 * np.eye(m)
    b = rng.normal(size=(n, n)) * 0.3 + 3 * np.eye(n)
    return a, b


@given(m=st.sampled_from([1, 2, 3, 7]), n=st.sampled_from([1, 2, 3]), seed=st.integers(0, 2**16))
@settings(max_examples=2, deadline=None)
def test_solve_sylvester(m: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b, q = pt.matrix("a"), pt.matrix("b"), pt.matrix("q")
    av, bv = separated(rng, m, n)
    feeds = [av, bv, rng.normal(size=(m, n))]
    assert_matches_pytensor(fgraph_of([a, b, q], [L.solve_sylvester(a, b, q)]), feeds, **TOL)


def test_continuous_lyapunov_batched_and_static() -> None:
    rng = np.random.default_rng(1)
    a = pt.tensor3("a")
    q = pt.matrix("q", shape=(3, 3))
    stable = rng.normal(size=(2, 3, 3)) * 0.3 - 2 * np.eye(3)
    cov = rng.normal(size=(3, 3))
    feeds = [stable, cov @ cov.T]
    assert_matches_pytensor(fgraph_of([a, q], [L.solve_continuous_lyapunov(a, q)]), feeds, **TOL)


@pytest.mark.parametrize("method", ["bilinear", "direct"])
def test_discrete_lyapunov(method: str) -> None:
    rng = np.random.default_rng(2)
    a, q = pt.matrix("a"), pt.matrix("q")
    x = L.solve_discrete_lyapunov(a, q, method=method)
    feeds = [rng.normal(size=(4, 4)) * 0.3, rng.normal(size=(4, 4))]
    assert_matches_pytensor(fgraph_of([a, q], [x]), feeds, **TOL)


def test_sylvester_gradient() -> None:
    rng = np.random.default_rng(3)
    a, b, q = pt.matrix("a"), pt.matrix("b"), pt.matrix("q")
    av, bv = separated(rng, 3, 2)
    cost = (L.solve_sylvester(a, b, q) ** 2).sum()
    grads = pytensor.grad(cost, [a, b, q])
    assert_matches_pytensor(fgraph_of([a, b, q], grads), [av, bv, rng.normal(size=(3, 2))], **TOL)


def test_discrete_are_is_refused_with_its_reason() -> None:
    a, b, q, r = (pt.matrix(name) for name in "abqr")
    with pytest.raises(UnsupportedOpError, match="QZ"):
        Compiler().compile(fgraph_of([a, b, q, r], [L.solve_discrete_are(a, b, q, r)]))
