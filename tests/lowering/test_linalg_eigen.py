"""Eigvalsh / Eigh's eigenvalues, SVD's singular values, MatrixPinv and the singular-value norms
(Jacobi loops): ONNX Runtime and the IR interpreter against PyTensor (scipy's and numpy's LAPACK),
core and Blockwise, over sizes, tall and wide shapes, conditioning and dtypes, rank-deficient
inputs; eigenvectors and singular vectors refused as outputs, Eig and Schur refused."""

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

SIZES = (1, 2, 3, 7, 32)
BATCHES = ((), (2,), (2, 3))


def tolerance(reference: np.ndarray, dtype: str) -> dict[str, float]:
    """1e-12 (float64) / 1e-5 (float32) relative per entry, or that fraction of the largest
    entry: LAPACK's eigenvalues and singular values are accurate to n ulps of ||A|| only (the
    small ones of ill-conditioned matrices no better), so a normwise bound is what both meet."""
    rtol = 1e-12 if dtype == "float64" else 1e-5
    scale = float(np.nanmax(np.abs(reference), initial=1.0))
    return {"rtol": rtol, "atol": rtol * scale}


def symmetric(rng: np.random.Generator, shape: tuple[int, ...], cond: float) -> np.ndarray:
    """Symmetric indefinite matrices with |eigenvalues| spread over [1, cond], random signs."""
    n = shape[-1]
    q, _ = np.linalg.qr(rng.normal(size=shape))
    values = np.geomspace(1.0, cond, n) * rng.choice([-1.0, 1.0], size=n)
    return (q * values) @ np.swapaxes(q, -1, -2)


def conditioned(rng: np.random.Generator, shape: tuple[int, ...], cond: float) -> np.ndarray:
    """Matrices U diag(s) V^T with singular values spread over [1, cond]."""
    m, n = shape[-2:]
    k = min(m, n)
    u, _ = np.linalg.qr(rng.normal(size=(*shape[:-2], m, k)))
    v, _ = np.linalg.qr(rng.normal(size=(*shape[:-2], n, k)))
    return (u * np.geomspace(cond, 1.0, k)) @ np.swapaxes(v, -1, -2)


# -- symmetric eigenvalues -----------------------------------------------------------------------


@pytest.mark.parametrize("lower", [True, False])
def test_eigvalsh_reads_one_triangle(lower) -> None:
    rng = np.random.default_rng(0)
    x = pt.matrix("x")
    value = symmetric(rng, (6, 6), 10.0)
    value[0, 5] += 100.0 if lower else 0.0  # the triangle not read holds anything
    value[5, 0] += 0.0 if lower else -100.0
    assert_matches_pytensor(fgraph_of([x], [L.eigvalsh(x, lower=lower)]), [value], rtol=1e-12,
                            atol=1e-12 * np.abs(value).max())  # fmt: skip


@settings(max_examples=6, deadline=None)
@given(
    n=st.sampled_from(SIZES),
    batch=st.sampled_from(BATCHES),
    cond=st.sampled_from((1.0, 1e3, 1e6)),
    dtype=st.sampled_from(("float64", "float32")),
    seed=st.integers(0, 2**16),
)
def test_eigvalsh_property(n, batch, cond, dtype, seed) -> None:
    rng = np.random.default_rng(seed)
    x = pt.tensor("x", shape=(None,) * (len(batch) + 2), dtype=dtype)
    value = symmetric(rng, (*batch, n, n), cond).astype(dtype)
    expected = np.linalg.eigvalsh(value.astype("float64"))
    assert_matches_pytensor(fgraph_of([x], [L.eigvalsh(x)]), [value], **tolerance(expected, dtype))


@pytest.mark.parametrize(
    "value",
    [
        np.zeros((4, 4)),
        np.eye(5),  # all eigenvalues equal
        np.ones((5, 5)),  # rank 1: eigenvalues 0 (four times) and 5
        np.diag([3.0, -1.0, 2.0]),  # already diagonal: sorted only
        np.array([[1.0, 1e-300], [1e-300, 1.0]]),  # underflowing off-diagonal
        np.array([[1e300, 1e299], [1e299, -1e300]]),  # huge entries
    ],
)
def test_eigvalsh_special_matrices(value) -> None:
    x = pt.matrix("x")
    assert_matches_pytensor(fgraph_of([x], [L.eigvalsh(x)]), [value], **tolerance(value, "float64"))


def test_eigh_eigenvalues_compile_and_eigenvectors_are_refused() -> None:
    rng = np.random.default_rng(1)
    x = pt.tensor3("x")
    w, v = L.eigh(x)
    value = symmetric(rng, (2, 5, 5), 100.0)
    assert_matches_pytensor(fgraph_of([x], [w]), [value], **tolerance(value, "float64"))
    with pytest.raises(UnsupportedOpError, match="depends on their signs"):
        Compiler().compile(fgraph_of([x], [w, v]))


def test_eigvalsh_generalized_is_refused() -> None:
    a, b = pt.matrix("a"), pt.matrix("b")
    with pytest.raises(UnsupportedOpError, match="generalized"):
        Compiler().compile(fgraph_of([a, b], [L.eigvalsh(a, b)]))


# -- singular values, pinv, norms ----------------------------------------------------------------


@settings(max_examples=8, deadline=None)
@given(
    m=st.sampled_from(SIZES),
    n=st.sampled_from(SIZES),
    batch=st.sampled_from(BATCHES),
    cond=st.sampled_from((1.0, 1e3, 1e6)),
    dtype=st.sampled_from(("float64", "float32")),
    static=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_singular_values_property(m, n, batch, cond, dtype, static, seed) -> None:
    rng = np.random.default_rng(seed)
    shape = (*batch, m, n)
    x = pt.tensor("x", shape=shape if static else (None,) * len(shape), dtype=dtype)
    value = conditioned(rng, shape, cond).astype(dtype)
    expected = np.linalg.svd(value.astype("float64"), compute_uv=False)
    assert_matches_pytensor(
        fgraph_of([x], [L.svd(x, compute_uv=False)]), [value], **tolerance(expected, dtype)
    )


def test_svd_values_of_compute_uv_compile_and_vectors_are_refused() -> None:
    rng = np.random.default_rng(2)
    x = pt.matrix("x")
    u, s, _ = L.svd(x, full_matrices=False)
    value = rng.normal(size=(6, 4))
    assert_matches_pytensor(fgraph_of([x], [s]), [value], rtol=1e-12, atol=1e-12)
    with pytest.raises(UnsupportedOpError, match="singular vectors"):
        Compiler().compile(fgraph_of([x], [u, s]))


@pytest.mark.parametrize(
    "value",
    [
        np.zeros((3, 2)),
        np.ones((4, 3)),  # rank 1
        np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]]),  # rank 1, a zero row
        np.array([[0.0, 0.0, 0.0], [0.0, 5.0, 0.0]]),  # wide, one nonzero entry
        np.array([[1e300, 1e299], [1e299, 2e300]]),  # squares would overflow
        np.array([[1e-300, 0.0], [3e-301, 1e-300]]),  # squares would underflow
    ],
)
def test_singular_values_special_matrices(value) -> None:
    x = pt.matrix("x")
    expected = np.linalg.svd(value, compute_uv=False)
    assert_matches_pytensor(
        fgraph_of([x], [L.svd(x, compute_uv=False)]), [value], **tolerance(expected, "float64")
    )


@settings(max_examples=5, deadline=None)
@given(
    m=st.sampled_from(SIZES),
    n=st.sampled_from(SIZES),
    batch=st.sampled_from(((), (2,))),
    cond=st.sampled_from((1.0, 1e3, 1e6)),
    dtype=st.sampled_from(("float64", "float32")),
    seed=st.integers(0, 2**16),
)
def test_pinv_property(m, n, batch, cond, dtype, seed) -> None:
    """pinv's entries carry the conditioning: the tolerance is relative to cond * ||pinv||."""
    rng = np.random.default_rng(seed)
    x = pt.tensor("x", shape=(None,) * (len(batch) + 2), dtype=dtype)
    value = conditioned(rng, (*batch, m, n), cond).astype(dtype)
    expected = np.linalg.pinv(value.astype("float64"))
    bound = tolerance(expected, dtype)
    factor = cond if dtype == "float64" else cond * 10.0
    assert_matches_pytensor(fgraph_of([x], [L.pinv(x)]), [value], rtol=bound["rtol"] * factor,
                            atol=bound["atol"] * factor)  # fmt: skip


def test_pinv_rank_deficient_and_hermitian() -> None:
    x = pt.matrix("x")
    for value in (np.zeros((2, 3)), np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])):
        assert_matches_pytensor(fgraph_of([x], [L.pinv(x)]), [value], rtol=1e-12, atol=1e-13)
    rng = np.random.default_rng(3)
    value = symmetric(rng, (4, 4), 10.0)
    value[0, 3] = 50.0  # numpy's eigh reads the lower triangle
    assert_matches_pytensor(fgraph_of([x], [L.pinv(x, hermitian=True)]), [value], rtol=1e-12,
                            atol=1e-13)  # fmt: skip


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_singular_value_norms(ord) -> None:
    rng = np.random.default_rng(4)
    x = pt.tensor3("x")
    value = rng.normal(size=(3, 5, 4))
    assert_matches_pytensor(fgraph_of([x], [L.norm(x, ord=ord, axis=(-2, -1))]), [value],
                            rtol=1e-12, atol=1e-12)  # fmt: skip


def test_gradient_of_singular_values() -> None:
    """PyTensor's gradient of svd(compute_uv=False) is U diag(ds) V^T: it reads U and V^T,
    but not their signs, so it compiles (tall, wide, batched)."""
    rng = np.random.default_rng(8)
    for shape in ((5, 3), (2, 3, 4)):
        x = pt.tensor("x", shape=(None,) * len(shape))
        cost = (L.svd(x, compute_uv=False) ** 2).sum() + L.svd(x, compute_uv=False).max()
        assert_matches_pytensor(fgraph_of([x], [pytensor.grad(cost, x)]),
                                [rng.normal(size=shape)], rtol=1e-10, atol=1e-11)  # fmt: skip


def test_gradient_of_eigvalsh_and_of_sign_free_eigenvector_products() -> None:
    rng = np.random.default_rng(9)
    x = pt.tensor3("x")
    value = symmetric(rng, (2, 5, 5), 30.0)
    cost = (L.eigvalsh(x) ** 3).sum()
    assert_matches_pytensor(fgraph_of([x], [pytensor.grad(cost, x)]), [value], rtol=1e-10,
                            atol=1e-11)  # fmt: skip
    w, v = L.eigh(x)
    projector = v @ (v * pt.exp(w)[..., None, :]).mT  # expm of a symmetric matrix
    assert_matches_pytensor(fgraph_of([x], [projector]), [value], rtol=1e-10, atol=1e-11)


def test_gradients_of_pinv_and_of_the_singular_value_norms() -> None:
    rng = np.random.default_rng(10)
    x = pt.matrix("x")
    cost = (L.pinv(x) ** 2).sum() + L.norm(x, ord=2) + L.norm(x, ord="nuc")
    for shape in ((4, 3), (3, 5)):
        assert_matches_pytensor(fgraph_of([x], [pytensor.grad(cost, x)]),
                                [rng.normal(size=shape)], rtol=1e-10, atol=1e-11)  # fmt: skip


@pytest.mark.parametrize("which", ["raw", "squared", "one_sided"])
def test_sign_dependent_eigenvector_uses_are_refused(which) -> None:
    x = pt.matrix("x")
    w, v = L.eigh(x)
    out = {"raw": v, "squared": v * v, "one_sided": v @ pt.diag(w)}[which]
    with pytest.raises(UnsupportedOpError, match="depends on their signs"):
        Compiler().compile(fgraph_of([x], [out]))


@pytest.mark.parametrize(
    ("a_value", "rcond"),
    [
        (np.random.default_rng(5).normal(size=(6, 3)), -1.0),  # full rank, tall: residuals
        (np.random.default_rng(6).normal(size=(3, 5)), 1e-10),  # wide: no residuals
        (np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]), 1e-12),  # rank 1: no residuals
        (np.array([[1.0, 0.0], [0.0, 1e-8], [0.0, 0.0]]), 1e-6),  # rcond drops 1e-8
    ],
)
def test_lstsq(a_value, rcond) -> None:
    from pytensor.tensor.linalg.solvers.lstsq import lstsq

    a, b, r = pt.matrix("a"), pt.matrix("b"), pt.scalar("r")
    b_value = np.random.default_rng(7).normal(size=(a_value.shape[0], 2))
    x, residuals, rank, s = lstsq(a, b, r)
    feeds = [a_value, b_value, np.asarray(rcond)]
    graph = fgraph_of([a, b, r], [x, residuals, rank, s])
    assert_matches_pytensor(graph, feeds, rtol=1e-12, atol=1e-12)


# -- refused -------------------------------------------------------------------------------------


def test_eig_and_schur_are_refused_with_a_reason() -> None:
    x = pt.matrix("x")
    with pytest.raises(UnsupportedOpError, match=r"complex|order"):
        Compiler().compile(fgraph_of([x], [L.eig(x)[0]]))
    with pytest.raises(UnsupportedOpError, match="Schur"):
        Compiler().compile(fgraph_of([x], [L.schur(x)[0]]))
