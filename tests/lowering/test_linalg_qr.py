"""QR in every mode PyTensor has ('full', 'economic', 'r', 'raw'): ONNX Runtime and the IR
interpreter against PyTensor (scipy's geqrf/orgqr), core and Blockwise, tall, wide and square,
over sizes, conditioning and dtypes; rank-deficient inputs (LAPACK's signs of zero columns);
the gradient PyTensor defines; pivoting refused."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
import scipy.linalg as sl
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pytensor.tensor import linalg as L

from compiler import Compiler
from compiler.errors import UnsupportedOpError
from tests.helpers import assert_matches_pytensor, fgraph_of

MODES = ("full", "economic", "r", "raw")


def conditioned(rng: np.random.Generator, shape: tuple[int, ...], cond: float) -> np.ndarray:
    """Matrices U diag(s) V^T with singular values spread over [1, cond]."""
    m, n = shape[-2:]
    k = min(m, n)
    u, _ = np.linalg.qr(rng.normal(size=(*shape[:-2], m, k)))
    v, _ = np.linalg.qr(rng.normal(size=(*shape[:-2], n, k)))
    return (u * np.geomspace(cond, 1.0, k)) @ np.swapaxes(v, -1, -2)


def tolerance(reference: list[np.ndarray], dtype: str) -> dict[str, float]:
    """1e-12 (float64) / 1e-5 (float32) relative per entry, or that fraction of the largest
    entry (entries that cancel keep only a normwise bound)."""
    rtol = 1e-12 if dtype == "float64" else 1e-5
    scale = max(float(np.max(np.abs(r), initial=1.0)) for r in reference)
    return {"rtol": rtol, "atol": rtol * scale}


def qr_outputs(x: pt.TensorVariable, mode: str) -> list[pt.TensorVariable]:
    out = L.qr(x, mode=mode)
    return list(out) if isinstance(out, list | tuple) else [out]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(5, 5), (6, 3), (3, 6), (1, 1), (4, 1), (1, 4)])
def test_qr_modes_and_shapes(mode, shape) -> None:
    rng = np.random.default_rng(0)
    x = pt.matrix("x")
    value = rng.normal(size=shape)
    assert_matches_pytensor(fgraph_of([x], qr_outputs(x, mode)), [value], rtol=1e-12, atol=1e-13)


def test_qr_reproduces_lapack_signs_exactly() -> None:
    """R's diagonal is -sign(alpha) * norm (negative for a positive leading entry), Q's columns
    follow: compared with scipy entrywise, signs included."""
    x = pt.matrix("x")
    value = np.array([[3.0, 1.0, 2.0], [4.0, -1.0, 0.5], [0.0, 2.0, -3.0]])
    result = Compiler().compile(fgraph_of([x], qr_outputs(x, "full")))
    q, r = result.run(value)
    q_ref, r_ref = sl.qr(value)
    assert r[0, 0] == pytest.approx(-5.0) and np.sign(r[2, 2]) == np.sign(r_ref[2, 2])
    np.testing.assert_allclose(q, q_ref, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(r, r_ref, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize(
    "value",
    [
        np.zeros((3, 3)),
        np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]]),  # a zero column: tau = 0
        np.array([[-2.0, 1.0], [0.0, 2.0]]),  # already triangular, negative diagonal kept
        np.array([[-0.0, 1.0], [3.0, 2.0]]),  # sign(-0.0) is negative: R[0, 0] = +3
        np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),  # wide, zero middle column
        np.array([[2.0, 0.0, 1.0], [0.0, 0.0, 3.0], [0.0, 0.0, -1.0]]),  # zero pivot column
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_qr_exactly_rank_deficient_as_lapack(value, mode) -> None:
    x = pt.matrix("x")
    assert_matches_pytensor(fgraph_of([x], qr_outputs(x, mode)), [value], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "value",
    [
        np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 2.0, 3.0]]),  # rank 1
        np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]),  # repeated columns
    ],
)
def test_qr_numerically_rank_deficient_r_is_normwise_close(value) -> None:
    """Past the numerical rank the trailing column holds rounding residue (1e-16 here), which
    depends on the summation order (ORT's MatMul, numpy's and OpenBLAS's differ): R agrees to
    eps * ||A||, the direction of Q's trailing columns is that residue's and is not compared."""
    x = pt.matrix("x")
    scale = np.abs(value).max()
    assert_matches_pytensor(
        fgraph_of([x], qr_outputs(x, "r")), [value], rtol=1e-12, atol=1e-14 * scale
    )


@settings(max_examples=6, deadline=None)
@given(
    m=st.sampled_from((1, 2, 3, 7, 32)),
    n=st.sampled_from((1, 2, 3, 7, 32)),
    batch=st.sampled_from(((), (2,), (2, 3))),
    cond=st.sampled_from((1.0, 1e3, 1e6)),
    dtype=st.sampled_from(("float64", "float32")),
    mode=st.sampled_from(MODES),
    seed=st.integers(0, 2**16),
)
def test_qr_property(m, n, batch, cond, dtype, mode, seed) -> None:
    """R (and raw's packed factor and tau) within 1e-12 (1e-5) of the largest entry. Q within
    max(1e-12, cond * eps): Q is as sensitive as that to its input's last bit (scipy's own Q
    moves by 3e-12 to 7e-12 at cond = 1e6 when the input moves by one ulp; BENCHMARKS.md), so
    no other summation order can match it closer. float32 stops at cond 1e3: at 1e6, cond * eps
    is 0.1 and a trailing Householder sign can be rounding noise (hypothesis found a 32 x 32
    input where LAPACK's float32 Q is 0.98 from the float64 Q and moves by as much under a
    one-ulp change of its input, while ours is within 9e-4 of the float64 Q)."""
    assume(not (dtype == "float32" and cond > 1e3))
    rng = np.random.default_rng(seed)
    x = pt.tensor("x", shape=(None,) * (len(batch) + 2), dtype=dtype)
    value = conditioned(rng, (*batch, m, n), cond).astype(dtype)
    reference = sl.qr(value.reshape(-1, m, n)[0].astype("float64"), mode="economic")
    outputs = qr_outputs(x, mode)
    if mode in ("full", "economic"):
        q_tol = max(1e-12 if dtype == "float64" else 1e-5, cond * float(np.finfo(dtype).eps))
        assert_matches_pytensor(fgraph_of([x], outputs[:1]), [value], rtol=q_tol, atol=q_tol)
        outputs = outputs[1:]
    assert_matches_pytensor(fgraph_of([x], outputs), [value], **tolerance([reference[1]], dtype))


def test_qr_static_shapes_and_integer_input() -> None:
    x = pt.tensor("x", shape=(2, 5, 3), dtype="int64")
    value = np.random.default_rng(3).integers(-5, 5, size=(2, 5, 3))
    for mode in ("full", "economic", "r"):
        assert_matches_pytensor(fgraph_of([x], qr_outputs(x, mode)), [value], rtol=1e-12,
                                atol=1e-13)  # fmt: skip


def test_qr_raw_with_static_non_square_shape_is_refused() -> None:
    x = pt.tensor("x", shape=(5, 3))
    with pytest.raises(UnsupportedOpError, match="PyTensor declares the packed factor 5 x 5"):
        Compiler().compile(fgraph_of([x], list(L.qr(x, mode="raw"))))
    square = pt.tensor("s", shape=(3, 3))
    value = np.random.default_rng(5).normal(size=(3, 3))
    assert_matches_pytensor(fgraph_of([square], list(L.qr(square, mode="raw"))), [value],
                            rtol=1e-12, atol=1e-13)  # fmt: skip


def test_qr_gradient() -> None:
    """PyTensor's pullback, with static shapes (with unknown ones PyTensor 3.3.8's pullback
    calls the ``ifelse`` module and fails before any compilation)."""
    rng = np.random.default_rng(4)
    for mode, shape in (("economic", (5, 3)), ("full", (4, 4)), ("r", (3, 5))):
        x = pt.tensor("x", shape=shape)
        outs = qr_outputs(x, mode)
        cost = sum(pt.sin(o + 0.5 * k).sum() for k, o in enumerate(outs))
        assert_matches_pytensor(
            fgraph_of([x], [pytensor.grad(cost, x)]), [rng.normal(size=shape)], rtol=1e-10,
            atol=1e-11,
        )  # fmt: skip


@pytest.mark.parametrize("mode", ["full", "raw"])  # 'economic' and 'r' are slices of these
@pytest.mark.parametrize(
    "value",
    [
        np.random.default_rng(10).normal(size=(5, 5)),
        np.random.default_rng(11).normal(size=(7, 3)),
        np.random.default_rng(12).normal(size=(3, 7)),
        np.random.default_rng(13).normal(size=(32, 32)),
        np.random.default_rng(14).integers(-3, 4, size=(6, 5)).astype(float),  # norm ties
        np.array([[1.0, 2.0, 2.0], [0.0, 1.0, 1.0], [3.0, 0.0, 0.0]]),  # equal columns
        np.eye(4),  # all norms equal: idamax's first
        np.zeros((3, 2)),
    ],
)
def test_qr_pivoting_as_geqp3(value, mode) -> None:
    """geqp3's column order (int32), R and Q: the largest downdated partial norm first, the
    first of equal ones (dlaqp2's rule)."""
    x = pt.matrix("x")
    outs = L.qr(x, mode=mode, pivoting=True)
    scale = max(1.0, float(np.abs(value).max()))
    assert_matches_pytensor(fgraph_of([x], list(outs)), [value], rtol=1e-12, atol=1e-12 * scale)


def test_qr_pivoting_batched_float32() -> None:
    rng = np.random.default_rng(15)
    x = pt.tensor3("x", dtype="float32")
    value = rng.normal(size=(2, 6, 4)).astype("float32")
    outs = L.qr(x, mode="economic", pivoting=True)
    assert_matches_pytensor(fgraph_of([x], list(outs)), [value], rtol=1e-5, atol=1e-5)
