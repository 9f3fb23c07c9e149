"""LU with partial pivoting and what is built on it (solve gen/sym/her, det, slogdet, inv, lu,
lu_factor, lu_solve): ONNX Runtime and the IR interpreter against PyTensor (scipy/numpy
LAPACK), core and Blockwise, over sizes, batch shapes, conditioning and dtypes; singular
inputs."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.tensor import linalg as L

from ir.interpreter import run_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of, ort_outputs

SIZES = (1, 2, 3, 7, 32, 100)
BATCHES = ((), (2,), (2, 3), (1, 2))


def conditioned(rng: np.random.Generator, shape: tuple[int, ...], cond: float) -> np.ndarray:
    """General matrices with singular values spread over [1, cond] (random orthogonal U, V)."""
    n = shape[-1]
    u, _ = np.linalg.qr(rng.normal(size=shape))
    v, _ = np.linalg.qr(rng.normal(size=shape))
    return (u * np.geomspace(1.0, 1.0 / cond, n)) @ np.swapaxes(v, -1, -2)


def tolerance(reference: np.ndarray, dtype: str) -> dict[str, float]:
    """1e-12 (float64) / 1e-5 (float32) relative, entries that cancel normwise."""
    rtol = 1e-12 if dtype == "float64" else 1e-5
    scale = float(np.nanmax(np.abs(reference), initial=1.0))
    return {"rtol": rtol, "atol": rtol * scale}


def test_solve_gen_pivots_like_lapack() -> None:
    a = pt.matrix("a")
    b = pt.vector("b")
    value = np.array([[1e-3, 2.0, 3.0], [4.0, -5.0, 6.0], [-7.0, 8.0, 10.0]])
    assert_matches_pytensor(fgraph_of([a, b], [L.solve(a, b)]), [value, np.array([1.0, 2, 3])])


def test_lu_outputs_match_scipy() -> None:
    rng = np.random.default_rng(1)
    a = pt.matrix("a")
    value = rng.normal(size=(6, 6))
    for kwargs in ({}, {"p_indices": True}, {"permute_l": True}):
        assert_matches_pytensor(fgraph_of([a], list(L.lu(a, **kwargs))), [value])
    assert_matches_pytensor(fgraph_of([a], list(L.lu_factor(a))), [value])


@pytest.mark.parametrize("trans", [False, True])
def test_lu_solve(trans: bool) -> None:
    rng = np.random.default_rng(2)
    a = pt.matrix("a")
    b = pt.matrix("b")
    x = L.lu_solve(L.lu_factor(a), b, trans=trans)
    assert_matches_pytensor(
        fgraph_of([a, b], [x]), [rng.normal(size=(5, 5)), rng.normal(size=(5, 2))]
    )


def test_det_slogdet_inverse() -> None:
    rng = np.random.default_rng(3)
    a = pt.matrix("a")
    value = rng.normal(size=(7, 7))
    sign, logdet = L.slogdet(a)
    assert_matches_pytensor(fgraph_of([a], [L.det(a), sign, logdet, L.inv(a)]), [value])


def test_singular_inputs() -> None:
    a = pt.matrix("a")
    value = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 0.0, 0.0]])
    sign, logdet = L.slogdet(a)
    assert_matches_pytensor(fgraph_of([a], [L.det(a), sign, logdet]), [value])
    # PyTensor fills NaN in a's shape (a bug for other right-hand-side shapes): use an n x n b.
    rhs = pt.matrix("rhs")
    assert_matches_pytensor(fgraph_of([a, rhs], [L.solve(a, rhs)]), [value, np.ones((3, 3))])
    assert_matches_pytensor(fgraph_of([a, rhs], [L.inv(a) + rhs]), [np.eye(3), np.ones((3, 3))])
    assert_matches_pytensor(fgraph_of([a], [L.lu_factor(a)[0]]), [value])


@pytest.mark.parametrize("assume_a", ["sym", "her"])
@pytest.mark.parametrize("lower", [False, True])
def test_solve_sym_reads_one_triangle(assume_a: str, lower: bool) -> None:
    rng = np.random.default_rng(4)
    a = pt.matrix("a")
    b = pt.matrix("b")
    m = rng.normal(size=(5, 5))
    value = m + m.T
    value[0, 4] += 3.0  # not symmetric: one triangle is read
    x = L.solve(a, b, assume_a=assume_a, lower=lower)
    assert_matches_pytensor(fgraph_of([a, b], [x]), [value, rng.normal(size=(5, 3))])


@settings(max_examples=10, deadline=None)
@given(
    n=st.sampled_from(SIZES),
    batch=st.sampled_from(BATCHES),
    cond=st.sampled_from((1.0, 1e3, 1e6)),
    dtype=st.sampled_from(("float64", "float32")),
    seed=st.integers(0, 2**16),
)
def test_solve_det_property(n, batch, cond, dtype, seed) -> None:
    rng = np.random.default_rng(seed)
    if dtype == "float32":
        cond = min(cond, 1e2)
    x = pt.tensor("x", shape=(None,) * (len(batch) + 2), dtype=dtype)
    y = pt.tensor("y", shape=(None,) * (len(batch) + 2), dtype=dtype)
    value = conditioned(rng, (*batch, n, n), cond).astype(dtype)
    rhs = rng.normal(size=(*batch, n, 2)).astype(dtype)
    out = L.solve(x, y)
    ref = np.linalg.solve(value.astype("float64"), rhs.astype("float64"))
    # Solutions scale with cond: the contract is relative to the solution's size.
    tol = tolerance(ref, dtype)
    tol = {k: v * (cond if dtype == "float64" else 10 * cond) for k, v in tol.items()}
    assert_matches_pytensor(fgraph_of([x, y], [out]), [value, rhs], **tol)
    sign, logdet = L.slogdet(x)
    rtol = 1e-12 * n * cond if dtype == "float64" else 1e-4 * n
    assert_matches_pytensor(fgraph_of([x], [sign, logdet]), [value], rtol=rtol, atol=rtol)


def test_gradients_of_det_slogdet_inverse_solve() -> None:
    rng = np.random.default_rng(5)
    a = pt.matrix("a")
    b = pt.vector("b")
    cost = L.det(a) + L.slogdet(a)[1] + L.inv(a).sum() + L.solve(a, b).sum()
    grads = pytensor.grad(cost, [a, b])
    value = conditioned(rng, (4, 4), 10.0)
    assert_matches_pytensor(fgraph_of([a, b], grads), [value, rng.normal(size=4)], rtol=1e-10)


def test_blockwise_broadcasts_batches() -> None:
    rng = np.random.default_rng(6)
    a = pt.tensor3("a")
    b = pt.matrix("b")
    outs = [L.solve(a, b), L.det(a), L.inv(a), *L.lu(a)]
    assert_matches_pytensor(
        fgraph_of([a, b], outs), [rng.normal(size=(3, 4, 4)), rng.normal(size=(4, 2))]
    )


def test_kalman_step_and_least_squares() -> None:
    rng = np.random.default_rng(7)
    p, h, r, x, y = pt.matrix("P"), pt.matrix("H"), pt.matrix("R"), pt.vector("x"), pt.vector("y")
    s = h @ p @ h.T + r
    gain = L.solve(s.T, (p @ h.T).T).T  # K = P H^T S^-1
    x_new = x + gain @ (y - h @ x)
    p_new = p - gain @ s @ gain.T
    m = rng.normal(size=(4, 4))
    feeds = [
        m @ m.T + np.eye(4),
        rng.normal(size=(2, 4)),
        np.eye(2),
        rng.normal(size=4),
        rng.normal(size=2),
    ]
    assert_matches_pytensor(fgraph_of([p, h, r, x, y], [x_new, p_new]), feeds, rtol=1e-10)
    xm, yv = pt.matrix("X"), pt.vector("yv")
    beta = L.solve(xm.T @ xm, xm.T @ yv)
    assert_matches_pytensor(
        fgraph_of([xm, yv], [beta]), [rng.normal(size=(20, 3)), rng.normal(size=20)], rtol=1e-10
    )


@pytest.mark.parametrize(
    ("column", "pivot"),
    [([1.0, np.nan, 3.0, -2.0], 2), ([np.nan, 1.0, 3.0, 2.0], 0), ([4.0, np.nan, np.nan, 2.0], 0),
     ([np.nan, np.nan, 1.0, 2.0], 0)],
)  # fmt: skip
def test_pivot_search_on_nan_is_reference_idamax(column: list[float], pivot: int) -> None:
    """Reference idamax compares with ``>``: a NaN is the pivot only when it comes first.
    (PyTensor's perform runs OpenBLAS, whose SIMD idamax orders NaN by its vector lanes: not
    a reference to compare with, see lu_factor's docstring.)"""
    a = pt.matrix("a")
    value = np.eye(4)
    value[:, 0] = column
    _, piv = L.lu_factor(a)
    result = compile_checked(fgraph_of([a], [piv]))
    for level, outs in ort_outputs(result, [value]).items():
        assert outs[0][0] == pivot, level
    assert run_module(result.module, [value])[0][0] == pivot


@pytest.mark.parametrize("n", [3, 21])
def test_blocked_factorization_matches(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The blocked LU (static sizes from LU_BLOCKED_FROM on; forced here for small ones):
    pivots, factors, solve, det against LAPACK, a row exchange in most columns, batched."""
    import compiler.frontend.nlinalg as nlinalg

    monkeypatch.setattr(nlinalg, "LU_BLOCKED_FROM", 1)
    rng = np.random.default_rng(n)
    a, b = pt.tensor("a", shape=(2, n, n)), pt.matrix("b")
    value = rng.normal(size=(2, n, n))
    lu, piv = L.lu_factor(a)
    outs = [lu, piv, L.det(a), L.solve(a, b[None], b_ndim=2)]
    assert_matches_pytensor(fgraph_of([a, b], outs), [value, rng.normal(size=(n, 2))],
                            **tolerance(np.linalg.inv(value), "float64"))  # fmt: skip


def test_blocked_factorization_static_singular_and_nan(monkeypatch: pytest.MonkeyPatch) -> None:
    import compiler.frontend.nlinalg as nlinalg

    monkeypatch.setattr(nlinalg, "LU_BLOCKED_FROM", 1)
    a = pt.matrix("a", shape=(18, 18))
    singular = np.random.default_rng(4).normal(size=(18, 18))
    singular[:, 5] = 0.0  # an exactly zero pivot at step 5 (LAPACK: info > 0)
    sign, logdet = L.slogdet(a)
    assert_matches_pytensor(fgraph_of([a], [sign, logdet]), [singular], rtol=1e-9, atol=1e-9)
    _, piv = L.lu_factor(a)
    value = np.eye(18)
    value[:, 0] = np.linspace(1, 2, 18)
    value[3, 0] = np.nan  # not first: reference idamax passes over it
    result = compile_checked(fgraph_of([a], [piv]))
    for level, outs in ort_outputs(result, [value]).items():
        assert outs[0][0] == 17, level
