"""expm (scipy's Padé scaling-and-squaring, degree chosen per matrix at run time) and its
gradient: ONNX Runtime and the IR interpreter against PyTensor (scipy.linalg.expm), core and
Blockwise, every Padé degree, triangular and diagonal matrices, float32, symbolic and static
sizes."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.tensor import linalg as L

from tests.helpers import assert_matches_pytensor, fgraph_of

#: Norm scales that select each degree (3, 5, 7, 9, 13 without and with scaling).
SCALES = (1e-3, 0.05, 0.3, 0.8, 2.0, 6.0)


def _tolerance(value: np.ndarray, dtype: str = "float64") -> dict[str, float]:
    """1e-12 relative (1e-5 float32), normwise for entries that cancel; expm's own condition
    grows like exp(2 ||A||) (the squarings), so large norms get that factor."""
    base = 1e-12 if dtype == "float64" else 1e-5
    norm = float(np.abs(value).sum(axis=-2).max()) if value.size else 0.0
    rtol = base * max(1.0, np.exp(norm / 2) if norm > 4 else 1.0)
    reference = np.abs(np.asarray(value, dtype="float64"))
    return {"rtol": rtol, "atol": rtol * float(np.exp(reference.sum(axis=-1).max(initial=0.0)))}


@pytest.mark.parametrize(
    ("scale", "kind"),
    [*((s, "dense") for s in SCALES), (0.05, "upper"), (6.0, "upper"), (0.3, "lower"),
     (6.0, "lower")],
)  # fmt: skip
def test_expm_every_degree(scale: float, kind: str) -> None:
    rng = np.random.default_rng(int(scale * 1000))
    value = rng.normal(size=(5, 5)) * scale
    value = {"dense": value, "upper": np.triu(value), "lower": np.tril(value)}[kind]
    a = pt.matrix("a")
    assert_matches_pytensor(fgraph_of([a], [L.expm(a)]), [value], **_tolerance(value))


def test_expm_batch_mixes_degrees_and_structures() -> None:
    rng = np.random.default_rng(7)
    value = rng.normal(size=(6, 4, 4)) * np.array(SCALES)[:, None, None]
    value[1] = np.triu(value[1])
    value[4] = np.tril(value[4])
    value[2] = np.diag(np.diag(value[2]))
    a = pt.tensor3("a")
    assert_matches_pytensor(fgraph_of([a], [L.expm(a)]), [value], **_tolerance(value))


@given(n=st.sampled_from([1, 2, 3, 7]), batch=st.sampled_from([(), (2,)]),
       scale=st.sampled_from(SCALES), seed=st.integers(0, 2**16))  # fmt: skip
@settings(max_examples=2, deadline=None)
def test_expm_property(n: int, batch: tuple[int, ...], scale: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    value = rng.normal(size=(*batch, n, n)) * scale
    a = pt.tensor("a", shape=(None,) * (len(batch) + 2))
    assert_matches_pytensor(fgraph_of([a], [L.expm(a)]), [value], **_tolerance(value))


def test_expm_static_size_float32_integer_and_diagonal() -> None:
    rng = np.random.default_rng(3)
    a = pt.matrix("a", shape=(3, 3), dtype="float32")
    value = (rng.normal(size=(3, 3)) * 2).astype("float32")
    assert_matches_pytensor(fgraph_of([a], [L.expm(a)]), [value], **_tolerance(value, "float32"))
    k = pt.matrix("k", dtype="int64")
    ints = np.array([[0, 1], [-1, 0]], dtype="int64")
    assert_matches_pytensor(fgraph_of([k], [L.expm(k)]), [ints])
    d = pt.matrix("d")
    assert_matches_pytensor(fgraph_of([d], [L.expm(d)]), [np.diag([-3.0, 0.0, 700.0])])


def test_expm_gradient() -> None:
    rng = np.random.default_rng(4)
    a = pt.matrix("a")
    weights = rng.normal(size=(3, 3))
    cost = (L.expm(a) * weights).sum()
    value = rng.normal(size=(3, 3))
    assert_matches_pytensor(fgraph_of([a], [pytensor.grad(cost, a)]), [value],
                            **_tolerance(2 * value))  # fmt: skip
