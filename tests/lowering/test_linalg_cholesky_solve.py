"""Cholesky, solve_triangular, cho_solve, solve(assume_a='pos'), diagonal and trace: ONNX Runtime
and the IR interpreter against PyTensor (scipy's LAPACK), core and Blockwise, over sizes, batch
shapes, conditioning and dtypes; non-positive-definite and singular inputs."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
import scipy.linalg as sl
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.graph.replace import vectorize_graph
from pytensor.tensor import linalg as L
from pytensor.tensor.basic import alloc_diag

from compiler import Compiler
from compiler.errors import UnsupportedOpError
from tests.helpers import assert_matches_pytensor, fgraph_of

SIZES = (1, 2, 3, 7, 32, 100)
BATCHES = ((), (2,), (2, 3), (1, 2))


def spd(rng: np.random.Generator, shape: tuple[int, ...], cond: float) -> np.ndarray:
    """Symmetric positive definite matrices with eigenvalues spread over [1, cond]."""
    n = shape[-1]
    q, _ = np.linalg.qr(rng.normal(size=shape))
    return (q * np.geomspace(1.0, cond, n)) @ np.swapaxes(q, -1, -2)


def tolerance(reference: np.ndarray, dtype: str) -> dict[str, float]:
    """1e-12 (float64) / 1e-5 (float32) relative per entry, or that fraction of the largest
    entry (entries that cancel keep only a normwise bound, against LAPACK as against itself)."""
    rtol = 1e-12 if dtype == "float64" else 1e-5
    scale = float(np.nanmax(np.abs(reference), initial=1.0))
    return {"rtol": rtol, "atol": rtol * scale}


def test_cholesky_lower_and_upper_match_scipy() -> None:
    rng = np.random.default_rng(0)
    a = pt.matrix("a")
    value = spd(rng, (5, 5), 10.0)
    value[0, 4] = 1e3  # the triangle not read holds anything
    assert_matches_pytensor(fgraph_of([a], [L.cholesky(a)]), [value])
    value = spd(rng, (5, 5), 10.0)
    value[4, 0] = -7.0
    assert_matches_pytensor(fgraph_of([a], [L.cholesky(a, lower=False)]), [value])


@settings(max_examples=12, deadline=None)
@given(
    n=st.sampled_from(SIZES),
    batch=st.sampled_from(BATCHES),
    cond=st.sampled_from((1.0, 1e3)),
    dtype=st.sampled_from(("float64", "float32")),
    lower=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_cholesky_property(n, batch, cond, dtype, lower, seed) -> None:
    rng = np.random.default_rng(seed)
    x = pt.tensor("x", shape=(None,) * (len(batch) + 2), dtype=dtype)
    value = spd(rng, (*batch, n, n), cond).astype(dtype)
    expected = np.linalg.cholesky(value.astype("float64"))
    assert_matches_pytensor(
        fgraph_of([x], [L.cholesky(x, lower=lower)]), [value], **tolerance(expected, dtype)
    )


def test_cholesky_not_positive_definite_is_nan_per_matrix() -> None:
    rng = np.random.default_rng(1)
    x = pt.tensor3("x")
    good = spd(rng, (4, 4), 10.0)
    indefinite = good - 20.0 * np.eye(4)
    singular = np.ones((4, 4))  # a zero pivot: LAPACK stops there too
    with_nan = good.copy()
    with_nan[3, 1] = np.nan  # a NaN pivot does not stop scipy's (OpenBLAS's) potrf
    value = np.stack([good, indefinite, singular, with_nan, good])
    result = Compiler().compile(fgraph_of([x], [L.cholesky(x)]))
    got = result.run(value)[0]
    assert np.isnan(got[1:3]).all() and not np.isnan(got[3, :3, :3]).any()
    assert np.isnan(got[3, 3, 1:]).all()
    np.testing.assert_allclose(got[[0, 4]], np.linalg.cholesky(good[None]).repeat(2, 0))
    assert_matches_pytensor(fgraph_of([x], [L.cholesky(x)]), [value])


def test_cholesky_of_integers_is_float64() -> None:
    a = pt.matrix("a", dtype="int32")
    assert_matches_pytensor(
        fgraph_of([a], [L.cholesky(a)]), [np.array([[4, 2], [2, 3]], dtype="int32")]
    )


def test_cholesky_on_error_raise_is_a_check() -> None:
    a = pt.matrix("a")
    with pytest.warns(FutureWarning):
        out = L.cholesky(a, on_error="raise")
    with pytest.raises(UnsupportedOpError, match="assert_policy"):
        Compiler(assert_policy="refuse").compile(fgraph_of([a], [out]))


# -- triangular solves ---------------------------------------------------------------------------


def triangular(rng: np.random.Generator, shape: tuple[int, ...], lower: bool) -> np.ndarray:
    """Well-conditioned triangular matrices (a dominant diagonal), junk in the other triangle."""
    n = shape[-1]
    value = rng.normal(size=shape) + np.eye(n) * (n + 2.0)
    junk = rng.normal(size=shape) * 100.0
    keep = np.tril(np.ones((n, n), bool)) if lower else np.triu(np.ones((n, n), bool))
    return np.where(keep, value, junk)


@pytest.mark.parametrize("trans", [0, 1, 2, "N", "T", "C"])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("unit_diagonal", [False, True])
def test_solve_triangular_options(trans, lower, unit_diagonal) -> None:
    rng = np.random.default_rng(2)
    a, b = pt.matrix("a"), pt.matrix("b")
    value = triangular(rng, (6, 6), lower)
    out = L.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    assert_matches_pytensor(fgraph_of([a, b], [out]), [value, rng.normal(size=(6, 3))])


@settings(max_examples=12, deadline=None)
@given(
    n=st.sampled_from(SIZES),
    batch_a=st.sampled_from(BATCHES),
    batch_b=st.sampled_from(BATCHES),
    b_ndim=st.sampled_from((1, 2)),
    dtype=st.sampled_from(("float64", "float32")),
    lower=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_solve_triangular_property(n, batch_a, batch_b, b_ndim, dtype, lower, seed) -> None:
    rng = np.random.default_rng(seed)
    a = pt.tensor("a", shape=(None,) * (len(batch_a) + 2), dtype=dtype)
    b = pt.tensor("b", shape=(None,) * (len(batch_b) + b_ndim), dtype=dtype)
    a_value = triangular(rng, (*batch_a, n, n), lower).astype(dtype)
    b_value = rng.normal(size=(*batch_b, n, 2)[: len(batch_b) + b_ndim]).astype(dtype)
    try:
        np.broadcast_shapes(batch_a, batch_b)
    except ValueError:
        return
    out = L.solve_triangular(a, b, lower=lower, b_ndim=b_ndim)
    assert_matches_pytensor(fgraph_of([a, b], [out]), [a_value, b_value])


def test_solve_triangular_zero_pivot_is_nan_unless_unit_diagonal() -> None:
    rng = np.random.default_rng(3)
    a, b = pt.tensor3("a"), pt.matrix("b")
    value = np.stack([triangular(rng, (4, 4), True) for _ in range(2)])
    value[1, 2, 2] = 0.0
    b_value = rng.normal(size=(4, 2))
    for unit in (False, True):
        out = L.solve_triangular(a, b, lower=True, unit_diagonal=unit)
        assert_matches_pytensor(fgraph_of([a, b], [out]), [value, b_value])
    got = Compiler().compile(fgraph_of([a, b], [L.solve_triangular(a, b, lower=True)]))
    x = got.run(value, b_value)[0]
    assert np.isnan(x[1]).all() and not np.isnan(x[0]).any()


# -- Cholesky-based solves -----------------------------------------------------------------------


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("b_ndim", [1, 2])
def test_cho_solve(lower, b_ndim) -> None:
    rng = np.random.default_rng(4)
    c, b = pt.tensor3("c"), pt.tensor("b", shape=(None,) * b_ndim)
    factor = sl.cholesky(spd(rng, (5, 5), 100.0), lower=lower)
    value = np.stack([factor, 2.0 * factor])
    b_value = rng.normal(size=(5, 3)[:b_ndim])
    out = L.cho_solve((c, lower), b, b_ndim=b_ndim)
    assert_matches_pytensor(fgraph_of([c, b], [out]), [value, b_value])


@pytest.mark.parametrize("lower", [True, False])
def test_solve_pos_reads_one_triangle_and_nan_when_not_positive_definite(lower) -> None:
    rng = np.random.default_rng(5)
    a, b = pt.tensor3("a"), pt.tensor3("b")
    good = spd(rng, (5, 5), 100.0)
    lopsided = good.copy()
    lopsided[(0, 4) if lower else (4, 0)] = 50.0  # in the triangle not read
    value = np.stack([good, lopsided])
    b_value = rng.normal(size=(2, 5, 2))
    out = L.solve(a, b, assume_a="pos", lower=lower)
    assert_matches_pytensor(fgraph_of([a, b], [out]), [value, b_value])
    bad = np.stack([good, -good])
    got = Compiler().compile(fgraph_of([a, b], [out])).run(bad, b_value)[0]
    assert np.isnan(got[1]).all()
    np.testing.assert_allclose(got[0], sl.solve(good, b_value[0], assume_a="pos"), rtol=1e-12)


# -- diagonals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-3, -1, 0, 1, 2, 5])
@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (0, 2), (2, 1), (-1, -2)])
def test_diagonal_and_trace(offset, axes) -> None:
    rng = np.random.default_rng(6)
    x = pt.tensor3("x")
    value = rng.normal(size=(3, 4, 5))
    value[1, 1, 1] = -0.0
    outs = [pt.diagonal(x, offset, *axes), pt.trace(x, offset, *axes)]
    assert_matches_pytensor(fgraph_of([x], outs), [value])


def test_diagonal_of_static_and_empty_matrices() -> None:
    x, e = pt.tensor("x", shape=(4, 3)), pt.tensor("e", shape=(0, 3))
    feeds = [np.arange(12.0).reshape(4, 3), np.zeros((0, 3))]
    assert_matches_pytensor(fgraph_of([x, e], [pt.diag(x), pt.diagonal(e), pt.diag(x, 5)]), feeds)


# -- accuracy at the contract's conditioning -----------------------------------------------------


@pytest.mark.parametrize("n", [32, 100])
def test_normwise_accuracy_at_condition_1e6(n) -> None:
    """At cond = 1e6 entries that cancel keep a normwise bound: max |error| / max |entry|."""
    rng = np.random.default_rng(7)
    a, b = pt.matrix("a"), pt.matrix("b")
    value, b_value = spd(rng, (n, n), 1e6), rng.normal(size=(n, 3))
    outs = [L.cholesky(a), L.solve(a, b, assume_a="pos")]
    got = Compiler().compile(fgraph_of([a, b], outs)).run(value, b_value)
    want = [sl.cholesky(value, lower=True), sl.solve(value, b_value, assume_a="pos")]
    for g, w in zip(got, want, strict=True):
        assert np.abs(g - w).max() / np.abs(w).max() < 1e-10


# -- the form of the translation -----------------------------------------------------------------


@pytest.mark.parametrize("block", [16, 0])
def test_cholesky_and_solve_are_one_loop_each_in_the_ir(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocked: a loop over panels each (no scatter); BLOCK_SIZE 0: the column loops."""
    import compiler.frontend.slinalg as slinalg

    monkeypatch.setattr(slinalg, "BLOCK_SIZE", block)
    a, b = pt.matrix("a"), pt.matrix("b")
    chol = L.cholesky(a)
    result = Compiler(keep_dumps=True).compile(fgraph_of([a, b], [L.solve_triangular(chol, b)]))
    text = next(iter(result.dumps.values()))
    assert text.count("tir.loop") == 2 and "tir.matmul" in text
    assert text.count("tir.scatter_elements") == (3 if block == 0 else 0)


@pytest.mark.parametrize("n", [5, 16])
def test_static_sizes_up_to_a_block_are_straight_line(n: int) -> None:
    rng = np.random.default_rng(9)
    a, b = pt.tensor("a", shape=(2, n, n)), pt.tensor("b", shape=(n, 3))
    chol = L.cholesky(a)
    outs = [chol, L.solve_triangular(chol, b, lower=True), L.cho_solve((chol, True), b)]
    result = Compiler(keep_dumps=True).compile(fgraph_of([a, b], outs))
    assert "tir.loop" not in next(iter(result.dumps.values()))
    feeds = [spd(rng, (2, n, n), 100.0), rng.normal(size=(n, 3))]
    assert_matches_pytensor(fgraph_of([a, b], outs), feeds)
    bad = np.stack([feeds[0][0], -feeds[0][1]])
    assert_matches_pytensor(fgraph_of([a, b], outs), [bad, feeds[1]])


def test_unrolled_steps_match(monkeypatch: pytest.MonkeyPatch) -> None:
    """Static sizes up to UNROLL_MAX run the column loops' steps as straight-line code (the
    unblocked form, BLOCK_SIZE 0)."""
    import compiler.frontend.slinalg as slinalg

    monkeypatch.setattr(slinalg, "BLOCK_SIZE", 0)
    monkeypatch.setattr(slinalg, "UNROLL_MAX", 8)
    rng = np.random.default_rng(8)
    a, b = pt.tensor("a", shape=(2, 5, 5)), pt.tensor("b", shape=(5, 3))
    chol = L.cholesky(a)
    outs = [chol, L.solve_triangular(chol, b, lower=True), L.cho_solve((chol, True), b)]
    result = Compiler(keep_dumps=True).compile(fgraph_of([a, b], outs))
    assert "tir.loop" not in next(iter(result.dumps.values()))
    feeds = [spd(rng, (2, 5, 5), 100.0), rng.normal(size=(5, 3))]
    assert_matches_pytensor(fgraph_of([a, b], outs), feeds)
    bad = np.stack([feeds[0][0], -feeds[0][1]])
    assert_matches_pytensor(fgraph_of([a, b], outs), [bad, feeds[1]])


# -- Blockwise forms the batched gradients make --------------------------------------------------


@pytest.mark.parametrize("lower", [True, False])
def test_gradient_of_batched_cholesky(lower: bool) -> None:
    rng = np.random.default_rng(11)
    a = pt.tensor3("a")
    m = rng.normal(size=(3, 4, 4))
    spd = m @ np.swapaxes(m, -1, -2) + 4 * np.eye(4)
    weights = rng.normal(size=(3, 4, 4))
    cost = (L.cholesky(a, lower=lower) * weights).sum()
    assert_matches_pytensor(fgraph_of([a], [pytensor.grad(cost, a)]), [spd])


@pytest.mark.parametrize("offset", [0, 2, -1])
@pytest.mark.parametrize("size", [0, 3])
def test_blockwise_alloc_diag(offset: int, size: int) -> None:
    rng = np.random.default_rng(12)
    v, x = pt.vector("v"), pt.matrix("x")
    batched = vectorize_graph(alloc_diag(v, offset), {v: x})
    assert_matches_pytensor(fgraph_of([x], [batched]), [rng.normal(size=(2, size))])


def test_blockwise_arange() -> None:
    # Every batch entry's range must have the same length (PyTensor's Blockwise raises else).
    s, stops = pt.scalar("s", dtype="int64"), pt.vector("stops", dtype="int64")
    out = vectorize_graph(pt.arange(1, s, 3), {s: stops})
    assert_matches_pytensor(fgraph_of([stops], [out]), [np.array([9, 8, 10])])
    assert_matches_pytensor(fgraph_of([stops], [out]), [np.array([0, -3])])
    descending = vectorize_graph(pt.arange(s, -4, -2), {s: stops})
    assert_matches_pytensor(fgraph_of([stops], [descending]), [np.array([5, 6])])
