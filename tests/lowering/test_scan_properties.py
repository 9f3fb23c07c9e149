"""Property-based Scan tests: sequence lengths (0 and 1 included), mit-sot taps, n_steps and
dtypes, against PyTensor through ONNX Runtime and the IR interpreter."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.scan.utils import until

from tests.helpers import assert_matches_pytensor, fgraph_of

SETTINGS = settings(max_examples=12, deadline=None)


@SETTINGS
@given(
    length=st.integers(0, 6),
    taps=st.lists(st.integers(-4, -1), min_size=1, max_size=3, unique=True),
    dtype=st.sampled_from(["float32", "float64"]),
    seed=st.integers(0, 2**16),
)
def test_mit_sot_taps_over_lengths(length: int, taps: list[int], dtype: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    depth = -min(taps)
    x = pt.vector("x", dtype=dtype)
    x0 = pt.vector("x0", dtype=dtype)
    weights = [np.asarray(0.5 / (k + 1), dtype=dtype) for k in range(len(taps))]

    def step(e, *lags):
        return e + sum(w * lag for w, lag in zip(weights, lags, strict=True))

    trace = pytensor.scan(
        step,
        sequences=[x],
        outputs_info=[dict(initial=x0, taps=sorted(taps, reverse=True))],
        return_updates=False,
    )
    feeds = [rng.normal(size=length).astype(dtype), rng.normal(size=depth).astype(dtype)]
    assert_matches_pytensor(fgraph_of([x, x0], [trace]), feeds)


@SETTINGS
@given(
    lengths=st.tuples(st.integers(0, 5), st.integers(0, 5)),
    seq_taps=st.sampled_from([[0], [-1, 0], [0, 2], [-1, 0, 2]]),
    dtype=st.sampled_from(["float64", "int32", "int64"]),
    seed=st.integers(0, 2**16),
)
def test_sequences_taps_and_nit_sot(
    lengths: tuple[int, int], seq_taps: list[int], dtype: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x = pt.vector("x", dtype=dtype)
    y = pt.vector("y", dtype=dtype)

    def step(*args):
        *taps, b, acc = args
        total = sum(taps) + b
        return acc + total, total * 2

    acc, doubled = pytensor.scan(
        step,
        sequences=[dict(input=x, taps=seq_taps), y],
        outputs_info=[pt.zeros((), dtype=dtype), None],
        return_updates=False,
    )
    feeds = [(rng.normal(size=n) * 10).astype(dtype) for n in lengths]
    assert_matches_pytensor(fgraph_of([x, y], [acc, doubled]), feeds)


@SETTINGS
@given(n_steps=st.integers(0, 5), limit=st.floats(0.5, 100.0), seed=st.integers(0, 2**16))
def test_symbolic_n_steps_and_until(n_steps: int, limit: float, seed: int) -> None:
    n = pt.scalar("n", dtype="int64")
    h0 = pt.vector("h0")
    lim = pt.scalar("lim")
    trace, counts = pytensor.scan(
        lambda h, c, lim: ((h * 1.7 + 0.5, c + 1), until(h.sum() > lim)),
        outputs_info=[h0, pt.zeros((), dtype="int64")],
        non_sequences=[lim],
        n_steps=n,
        return_updates=False,
    )
    rng = np.random.default_rng(seed)
    feeds = [np.int64(n_steps), rng.uniform(0.1, 1.0, size=2), np.float64(limit)]
    assert_matches_pytensor(fgraph_of([n, h0, lim], [trace, counts]), feeds)
