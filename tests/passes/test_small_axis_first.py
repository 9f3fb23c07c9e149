"""`small-axis-first`: elementwise regions over (..., N, K) tensors with K small are computed
laid out (K, ..., N). Golden: the transposes inserted (inputs, a full-size output), constants
moved at compile time, reduction axes remapped, squeezes and unsqueezes moved along, and where
the pass declines (the cost rule, K too large, N too small). Numeric: the interpreter before and
after (bit for bit without sums over the large axis, within 1e-13 with them) and ONNX Runtime on
the result; PyTensor graphs (broadcasting variants, reductions over either axis, keepdims,
several outputs, rank 3, unknown N) through ``assert_matches_pytensor``; a hypothesis test over
N, K and broadcasting patterns; PyMC's mixture model."""

from __future__ import annotations

import warnings

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.testing import (
    assert_checks,
    assert_golden,
    assert_preserves_numbers,
    assert_same_bits,
    assert_unchanged,
    parse,
    run_lowered,
    run_passes,
)
from ir.interpreter import run_module
from passes import DEFAULT_PIPELINE
from passes.small_axis_first import SmallAxisFirst
from tests.helpers import assert_matches_pytensor, fgraph_of

PASS = "small-axis-first"

#: A Normal log-density of N observations under K = 2 components, with a max-shifted exp and
#: sums over either axis: four slow broadcasts ((1, 2) and (n, 1) operands).
REGION = """
    func @main(%x: f64[n, 2], %m: f64[2], %s: f64[n, 1]) {
      %0 = tir.unsqueeze %m {axes = [0]} : f64[1, 2]
      %1 = tir.sub %x, %0 : f64[n, 2]
      %2 = tir.div %1, %s : f64[n, 2]
      %3 = tir.constant dense<[[0.5, 2.0]]> : f64[1, 2]
      %4 = tir.mul %2, %3 : f64[n, 2]
      %5 = tir.reduce_max %4 {axes = [1], keepdims = true} : f64[n, 1]
      %6 = tir.sub %4, %5 : f64[n, 2]
      %7 = tir.reduce_sum %6 {axes = [0], keepdims = false} : f64[2]
      %8 = tir.reduce_sum %6 {axes = [1], keepdims = false} : f64[n]
      return %7, %8, %6 : "over_n", "over_k", "full"
    }
"""


def _region_feeds(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(n, 2)), rng.normal(size=2), rng.uniform(0.5, 2.0, size=(n, 1))]


def test_region_is_computed_components_first():
    """Inputs transposed once, the (1, 2) constant moved at compile time, the unsqueeze moved
    along, the max over K chained over the two slices, the sums remapped (the one over K is not
    chained: its terms may be -0.0 and it is an output); the full-size output transposed back,
    the sums to (2,) and (n,) not."""
    assert_golden(
        REGION,
        PASS,
        """
        func @main(%x: f64[n, 2], %m: f64[2], %s: f64[n, 1]) {
          %0 = tir.transpose %x {perm = [1, 0]} : f64[2, n]
          %1 = tir.transpose %s {perm = [1, 0]} : f64[1, n]
          %2 = tir.unsqueeze %m {axes = [1]} : f64[2, 1]
          %3 = tir.sub %0, %2 : f64[2, n]
          %4 = tir.div %3, %1 : f64[2, n]
          %5 = tir.constant dense<[[0.5], [2.0]]> : f64[2, 1]
          %6 = tir.mul %4, %5 : f64[2, n]
          %7 = tir.constant dense<1> : i64[2]
          %8, %9 = tir.split %6, %7 {axis = 0} : f64[1, n], f64[1, n]
          %10 = tir.maximum %8, %9 : f64[1, n]
          %11 = tir.sub %6, %10 : f64[2, n]
          %12 = tir.transpose %11 {perm = [1, 0]} : f64[n, 2]
          %13 = tir.reduce_sum %11 {axes = [1], keepdims = false} : f64[2]
          %14 = tir.reduce_sum %11 {axes = [0], keepdims = false} : f64[n]
          return %13, %14, %12 : "over_n", "over_k", "full"
        }
        """,
    )


def _assert_close(got: np.ndarray, want: np.ndarray) -> None:
    """Within 1e-13 relative to the largest finite element of ``want`` (a sum's order moves
    its last bits by that much, and more relative to a sum that cancels)."""
    finite = np.abs(want[np.isfinite(want)])
    scale = float(finite.max()) if finite.size else 1.0
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13 * scale, equal_nan=True)


def _assert_close_after(source: str, passes, feeds, *, exact: tuple[int, ...]) -> None:
    """The interpreter before and after the passes: outputs ``exact`` bit for bit, the others
    (sums, whose order follows the layout) within 1e-13 normwise; ONNX Runtime on the result
    within 1e-13 normwise of the interpreter."""
    arrays = [np.asarray(f) for f in feeds]
    before = run_module(parse(source), arrays)
    after_text = run_passes(source, passes)
    after = run_module(parse(after_text), arrays)
    for i, (b, a) in enumerate(zip(before, after, strict=True)):
        assert a.dtype == b.dtype and a.shape == b.shape
        if i in exact:
            np.testing.assert_array_equal(a, b)
            np.testing.assert_array_equal(np.signbit(a), np.signbit(b))
        else:
            _assert_close(a, b)
    for optimize in (True, False):
        lowered = run_lowered(parse(after_text), arrays, optimize=optimize)
        for a, o in zip(after, lowered, strict=True):
            _assert_close(o, a)


def test_region_numbers():
    """The sums over N may add in another order (numpy: rows one after the other in (n, 2),
    pairwise along a contiguous row of (2, n)); the rest keeps its bits, NaN and inf too."""
    x, m, s = _region_feeds(300)
    x[3, 1], x[5, 0], s[7, 0] = np.nan, np.inf, -0.0
    _assert_close_after(REGION, [PASS, "dce"], [x, m, s], exact=(1, 2))


def test_sum_over_k_of_what_is_never_negative_zero_is_chained():
    """exp is never -0.0 (ir.facts): the sum over K is the sum of the two slices."""
    text = REGION.replace("%6 = tir.sub %4, %5 : f64[n, 2]", "%6 = tir.exp %4 : f64[n, 2]")
    assert_checks(
        text,
        [PASS, "dce"],
        """
        CHECK: %[[E:[0-9]+]] = tir.exp
        CHECK: %[[A:[0-9]+]], %[[B:[0-9]+]] = tir.split %[[E]]
        CHECK-NEXT: %[[S:[0-9]+]] = tir.add %[[A]], %[[B]] : f64[1, n]
        CHECK-NEXT: tir.squeeze %[[S]] {axes = [0]} : f64[n]
        """,
    )
    _assert_close_after(text, [PASS, "dce"], _region_feeds(50, seed=8), exact=(1, 2))


def test_sum_over_k_of_negative_zeros_is_plus_zero():
    """Rows of -0.0 sum to +0.0 (numpy's sum starts from +0.0), and the output shows the sign:
    the sum stays a reduction (moved), which gives +0.0 in the interpreter and in ONNX Runtime
    (a chain would give -0.0, and ORT's optimizer drops the Add of +0.0 that would fix it)."""
    text = """
        func @main(%x: f64[32, 2], %m: f64[1, 2], %c: f64[32, 1]) {
          %0 = tir.mul %x, %m : f64[32, 2]
          %1 = tir.mul %0, %c : f64[32, 2]
          %2 = tir.mul %1, %m : f64[32, 2]
          %3 = tir.reduce_sum %2 {axes = [1], keepdims = false} : f64[32]
          return %3 : "y"
        }
    """
    x = np.full((32, 2), -0.0)
    x[::3, 0] = 1.5
    feeds = [x, np.array([[2.0, 0.5]]), np.linspace(1.0, 2.0, 32).reshape(32, 1)]
    after_text = run_passes(text, PASS)
    assert "tir.split" not in after_text and "tir.reduce_sum %5 {axes = [0]" in after_text
    (after,) = assert_preserves_numbers(text, [PASS, "dce"], feeds)
    assert not np.signbit(after).any() and (after == 0).sum() == 21
    for optimize in (True, False):
        (lowered,) = run_lowered(parse(run_passes(text, [PASS, "dce"])), feeds, optimize=optimize)
        assert_same_bits(after, lowered)


def test_region_without_sums_over_n_keeps_every_bit():
    text = REGION.replace(
        "%7 = tir.reduce_sum %6 {axes = [0], keepdims = false} : f64[2]",
        "%7 = tir.reduce_max %6 {axes = [0], keepdims = false} : f64[2]",
    )
    x, m, s = _region_feeds(64, seed=1)
    assert "tir.transpose" in run_passes(text, PASS)
    assert_preserves_numbers(text, [PASS, "dce"], [x, m, s])


def test_plain_unsqueeze_into_the_region_and_squeeze_out_of_it():
    """`unsqueeze (n,) -> (n, 1)` becomes `(n,) -> (1, n)`, `squeeze (n, 1) -> (n,)` becomes
    `(1, n) -> (n,)` (of the min's chain, kept dims), a kept-dims sum over N stays moved ((2, 1),
    read back as (1, 2)): no transpose for either."""
    text = """
        func @main(%x: f64[40, 2], %m: f64[1, 2], %v: f64[40]) {
          %0 = tir.unsqueeze %v {axes = [1]} : f64[40, 1]
          %1 = tir.sub %x, %m : f64[40, 2]
          %2 = tir.mul %1, %0 : f64[40, 2]
          %3 = tir.add %2, %m : f64[40, 2]
          %4 = tir.reduce_min %3 {axes = [1], keepdims = true} : f64[40, 1]
          %5 = tir.squeeze %4 {axes = [1]} : f64[40]
          %6 = tir.sub %3, %4 : f64[40, 2]
          %7 = tir.reduce_sum %6 {axes = [0], keepdims = true} : f64[1, 2]
          %8 = tir.mul %7, %m : f64[1, 2]
          return %5, %8 : "a", "b"
        }
    """
    assert_golden(
        text,
        PASS,
        """
        func @main(%x: f64[40, 2], %m: f64[1, 2], %v: f64[40]) {
          %0 = tir.transpose %x {perm = [1, 0]} : f64[2, 40]
          %1 = tir.transpose %m {perm = [1, 0]} : f64[2, 1]
          %2 = tir.unsqueeze %v {axes = [0]} : f64[1, 40]
          %3 = tir.sub %0, %1 : f64[2, 40]
          %4 = tir.mul %3, %2 : f64[2, 40]
          %5 = tir.add %4, %1 : f64[2, 40]
          %6 = tir.constant dense<1> : i64[2]
          %7, %8 = tir.split %5, %6 {axis = 0} : f64[1, 40], f64[1, 40]
          %9 = tir.minimum %7, %8 : f64[1, 40]
          %10 = tir.squeeze %9 {axes = [0]} : f64[40]
          %11 = tir.sub %5, %9 : f64[2, 40]
          %12 = tir.reduce_sum %11 {axes = [1], keepdims = true} : f64[2, 1]
          %13 = tir.mul %12, %1 : f64[2, 1]
          %14 = tir.transpose %13 {perm = [1, 0]} : f64[1, 2]
          return %10, %14 : "a", "b"
        }
        """,
    )
    rng = np.random.default_rng(2)
    feeds = [rng.normal(size=(40, 2)), rng.normal(size=(1, 2)), rng.normal(size=40)]
    _assert_close_after(text, [PASS], feeds, exact=(0,))


def test_rank_three_and_a_lower_rank_operand():
    """(b, n, 3) laid out (3, b, n): a (3,) operand becomes (3, 1, 1), a (n, 1) one is moved
    at its rank and padded ((1, n) -> (1, 1, n)), a sum over the middle axis stays moved
    ((b, 3) as (3, b)) and is transposed back, the max over K is a chain of three slices."""
    text = """
        func @main(%x: f64[b, n, 3], %w: f64[3], %s: f64[n, 1]) {
          %0 = tir.mul %x, %w : f64[b, n, 3]
          %1 = tir.div %0, %s : f64[b, n, 3]
          %2 = tir.exp %1 : f64[b, n, 3]
          %3 = tir.add %2, %w : f64[b, n, 3]
          %4 = tir.reduce_sum %3 {axes = [1], keepdims = false} : f64[b, 3]
          %5 = tir.reduce_max %3 {axes = [-1], keepdims = false} : f64[b, n]
          return %4, %5 : "over_n", "over_k"
        }
    """
    assert_golden(
        text,
        PASS,
        """
        func @main(%x: f64[b, n, 3], %w: f64[3], %s: f64[n, 1]) {
          %0 = tir.transpose %x {perm = [2, 0, 1]} : f64[3, b, n]
          %1 = tir.unsqueeze %w {axes = [1, 2]} : f64[3, 1, 1]
          %2 = tir.transpose %s {perm = [1, 0]} : f64[1, n]
          %3 = tir.unsqueeze %2 {axes = [1]} : f64[1, 1, n]
          %4 = tir.mul %0, %1 : f64[3, b, n]
          %5 = tir.div %4, %3 : f64[3, b, n]
          %6 = tir.exp %5 : f64[3, b, n]
          %7 = tir.add %6, %1 : f64[3, b, n]
          %8 = tir.reduce_sum %7 {axes = [2], keepdims = false} : f64[3, b]
          %9 = tir.transpose %8 {perm = [1, 0]} : f64[b, 3]
          %10 = tir.constant dense<1> : i64[3]
          %11, %12, %13 = tir.split %7, %10 {axis = 0} : f64[1, b, n], f64[1, b, n], f64[1, b, n]
          %14 = tir.maximum %11, %12 : f64[1, b, n]
          %15 = tir.maximum %14, %13 : f64[1, b, n]
          %16 = tir.squeeze %15 {axes = [0]} : f64[b, n]
          return %9, %16 : "over_n", "over_k"
        }
        """,
    )
    rng = np.random.default_rng(3)
    feeds = [rng.normal(size=(4, 10, 3)), rng.normal(size=3), rng.uniform(1, 2, size=(10, 1))]
    _assert_close_after(text, [PASS], feeds, exact=(1,))


DECLINED = {
    "two slow broadcasts": """
        func @main(%x: f64[n, 2], %m: f64[1, 2], %s: f64[n, 1]) {
          %0 = tir.sub %x, %m : f64[n, 2]
          %1 = tir.div %0, %s : f64[n, 2]
          %2 = tir.exp %1 : f64[n, 2]
          %3 = tir.reduce_sum %2 {axes = [0], keepdims = false} : f64[2]
          return %3 : "y"
        }
    """,
    "a trailing dim above 8": """
        func @main(%x: f64[n, 9], %m: f64[1, 9], %s: f64[n, 1]) {
          %0 = tir.sub %x, %m : f64[n, 9]
          %1 = tir.div %0, %s : f64[n, 9]
          %2 = tir.mul %1, %m : f64[n, 9]
          %3 = tir.reduce_sum %2 {axes = [0], keepdims = false} : f64[9]
          return %3 : "y"
        }
    """,
    "few rows": """
        func @main(%x: f64[4, 2], %m: f64[1, 2], %s: f64[4, 1]) {
          %0 = tir.sub %x, %m : f64[4, 2]
          %1 = tir.div %0, %s : f64[4, 2]
          %2 = tir.mul %1, %m : f64[4, 2]
          %3 = tir.reduce_sum %2 {axes = [0], keepdims = false} : f64[2]
          return %3 : "y"
        }
    """,
    "more transposes than it gains": """
        func @main(%x: f64[n, 2], %m: f64[1, 2], %a: f64[n, 2], %b: f64[n, 2], %c: f64[n, 2]) {
          %0 = tir.sub %x, %m : f64[n, 2]
          %1 = tir.mul %0, %m : f64[n, 2]
          %2 = tir.add %1, %m : f64[n, 2]
          %3 = tir.add %2, %a, %b, %c : f64[n, 2]
          %4 = tir.where %3, %0, %1 : f64[n, 2]
          %5 = tir.mul %4, %2 : f64[n, 2]
          %6 = tir.neg %5 : f64[n, 2]
          %7 = tir.abs %5 : f64[n, 2]
          return %0, %1, %2, %3, %4, %5, %6, %7 : "a", "b", "c", "d", "e", "f", "g", "h"
        }
    """,
}


@pytest.mark.parametrize("case", list(DECLINED))
def test_declines(case: str):
    assert_unchanged(DECLINED[case], PASS)


def test_the_cost_rule_counts_what_it_saves():
    """Three slow broadcasts (24) and a sum over N (1) against a wide input moved in (2) and
    an (n, 1) one (1): it pays. With eight wide outputs and four wide inputs to transpose and
    a (1, 2) one (25), three slow broadcasts do not (above)."""
    text = DECLINED["two slow broadcasts"].replace(
        "%2 = tir.exp %1 : f64[n, 2]", "%2 = tir.mul %1, %m : f64[n, 2]"
    )
    assert "tir.transpose %x" in run_passes(text, PASS)


# -- through the compiler, against PyTensor -----------------------------------------------------


def _pipeline_with(counter: SmallAxisFirst) -> list:
    return [counter if name == PASS else name for name in DEFAULT_PIPELINE]


def _check(inputs, outputs, feeds, moved: bool = True) -> None:
    counter = SmallAxisFirst()
    assert PASS in DEFAULT_PIPELINE
    assert_matches_pytensor(fgraph_of(inputs, outputs), feeds, pipeline=_pipeline_with(counter))
    assert bool(counter.counters.get("regions-moved")) == moved, counter.counters


def test_mixture_like_graph_matches_pytensor():
    """(n, 2) with a (2,) row and an (n, 1) column; a max and a sum over K (logsumexp by
    hand), sums over N, a full-size output, a keepdims output."""
    x = pt.tensor("x", shape=(None, 1), dtype="float64")
    mu = pt.vector("mu", shape=(2,), dtype="float64")
    s = pt.vector("s", shape=(2,), dtype="float64")
    d = (x - mu) / s
    a = -0.5 * d * d - pt.log(s)
    top = pt.max(a, axis=1, keepdims=True)
    e = pt.exp(a - top)
    total = pt.sum(e, axis=1, keepdims=True)
    p = e / total
    outputs = [
        pt.sum(pt.log(total) + top),
        pt.sum(p * d, axis=0),
        p,
        pt.sum(p, axis=0, keepdims=True),
    ]
    rng = np.random.default_rng(4)
    feeds = [rng.normal(size=(500, 1)), np.array([-1.0, 1.0]), np.array([0.5, 2.0])]
    _check([x, mu, s], outputs, feeds)


def test_rank_three_with_unknown_sizes_matches_pytensor():
    x = pt.tensor("x", shape=(None, None, 3), dtype="float64")
    w = pt.tensor("w", shape=(1, 1, 3), dtype="float64")
    c = pt.tensor("c", shape=(None, None, 1), dtype="float64")
    y = pt.where(x > 0, x * w, c - w) * c + w
    outputs = [pt.sum(y, axis=(0, 1)), pt.max(y, axis=-1), pt.exp(y)]
    rng = np.random.default_rng(5)
    feeds = [rng.normal(size=(3, 20, 3)), rng.normal(size=(1, 1, 3)), rng.normal(size=(3, 20, 1))]
    _check([x, w, c], outputs, feeds)


def test_softmax_over_the_small_axis_matches_pytensor():
    x = pt.tensor("x", shape=(None, 4), dtype="float64")
    b = pt.tensor("b", shape=(4,), dtype="float64")
    col = pt.tensor("col", shape=(None, 1), dtype="float64")
    z = (x + b) * col - b
    outputs = [pt.special.softmax(z, axis=-1) * b, pt.special.log_softmax(z, axis=1).sum(0)]
    rng = np.random.default_rng(6)
    feeds = [rng.normal(size=(50, 4)), rng.normal(size=4), rng.normal(size=(50, 1))]
    _check([x, b, col], outputs, feeds)


def test_float32_casts_and_comparisons_match_pytensor():
    x = pt.tensor("x", shape=(None, 2), dtype="float32")
    m = pt.tensor("m", shape=(2,), dtype="float32")
    flag = pt.cast(pt.ge(x, m), "float32")
    y = (x - m) * flag + m * x
    outputs = [y.sum(axis=0), y.max(axis=1), y]
    rng = np.random.default_rng(7)
    feeds = [rng.normal(size=(64, 2)).astype("float32"), np.array([0.5, -0.5], "float32")]
    _check([x, m], outputs, feeds)


def test_region_in_a_scan_body_matches_pytensor():
    """A loop body's region moves too: what it reads from outside is transposed at the body's
    top (then hoisted out of the loop), what it yields is a reduction to (2,)."""
    x = pt.tensor("x", shape=(None, 2), dtype="float64")
    m0 = pt.vector("m0", shape=(2,), dtype="float64")
    col = pt.tensor("col", shape=(None, 1), dtype="float64")

    def step(m, x, col):
        d = (x - m) * col
        e = pt.exp(d - pt.max(d, axis=1, keepdims=True)) * m
        return m + 0.01 * e.sum(axis=0)

    ms = pytensor.scan(
        step, outputs_info=[m0], non_sequences=[x, col], n_steps=3, return_updates=False
    )
    rng = np.random.default_rng(10)
    feeds = [rng.normal(size=(40, 2)), np.array([0.1, -0.2]), rng.normal(size=(40, 1))]
    _check([x, m0, col], [ms[-1]], feeds)


# -- property: N, K and broadcasting patterns ----------------------------------------------------

#: Shapes of the second and third operands, as functions of (n, k).
PATTERNS = {
    "row": lambda n, k: (1, k),
    "column": lambda n, k: (n, 1),
    "full": lambda n, k: (n, k),
    "one": lambda n, k: (1, 1),
    "vector": lambda n, k: (k,),
}


def _dims(shape: tuple[int, ...]) -> str:
    return ", ".join(map(str, shape))


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 40),
    k=st.integers(1, 9),
    b=st.sampled_from(sorted(PATTERNS)),
    c=st.sampled_from(sorted(PATTERNS)),
    axis=st.sampled_from([0, 1, -1]),
    keep=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_property_layouts_agree(n, k, b, c, axis, keep, seed):
    """x (n, k) with two operands of the drawn patterns, three slow-broadcast candidates, a max
    and a sum over the drawn axis: the interpreter before and after, and ONNX Runtime after,
    agree (bit for bit but the sum)."""
    sb, sc = PATTERNS[b](n, k), PATTERNS[c](n, k)
    red = [1 if (i == axis % 2 and keep) else d for i, d in enumerate((n, k))]
    red = red if keep else [d for i, d in enumerate((n, k)) if i != axis % 2]
    text = f"""
        func @main(%x: f64[{n}, {k}], %b: f64[{_dims(sb)}], %c: f64[{_dims(sc)}]) {{
          %0 = tir.sub %x, %b : f64[{n}, {k}]
          %1 = tir.mul %0, %c : f64[{n}, {k}]
          %2 = tir.add %1, %b : f64[{n}, {k}]
          %3 = tir.div %2, %c : f64[{n}, {k}]
          %4 = tir.reduce_max %3 {{axes = [{axis}], keepdims = {str(keep).lower()}}} : f64[{_dims(red)}]
          %5 = tir.reduce_sum %3 {{axes = [{axis}], keepdims = {str(keep).lower()}}} : f64[{_dims(red)}]
          return %3, %4, %5 : "full", "max", "sum"
        }}
    """  # noqa: E501
    rng = np.random.default_rng(seed)
    feeds = [rng.normal(size=(n, k)), rng.normal(size=sb), rng.uniform(0.5, 2, size=sc)]
    _assert_close_after(text, [PASS, "dce"], feeds, exact=(0, 1))
    # Each of b and c is read by two ops; it is a slow broadcast when it has more than one
    # element and is broadcast. Three or more pay off whatever the rest costs (at most 10).
    slow = sum(
        2 for p in (b, c) if p in ("row", "column", "vector") and np.prod(PATTERNS[p](n, k)) > 1
    )
    expected = 2 <= k <= 8 and n >= 16 and slow >= 3
    assert ("tir.transpose %x" in run_passes(text, PASS)) == expected


# -- PyMC's mixture ----------------------------------------------------------------------------


def test_pymc_mixture_is_computed_components_first():
    """The mixture log-density's (n, 2) region moves without a single transpose (it enters
    through unsqueezes and constants, and leaves through reductions and a squeeze); the numbers
    are checked against PyMC in tests/compiler/test_pymc.py."""
    pytest.importorskip("pymc")
    from benchmarks.pymc import mixture
    from compiler.pymc import export_logp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = export_logp(mixture(100))
    stats = {s.name: s.counters for s in result.stats.passes}
    assert stats[PASS].get("regions-moved") == 1, stats[PASS]
    types = {n.op_type for n in result.to_onnx().graph.node}
    assert "Transpose" not in types
    assert "f64[2, 100]" in str(result.module) and "f64[100, 2]" not in str(result.module)


def test_unsqueeze_of_a_squeezed_chain_reads_the_chain():
    """PyTensor's max without keepdims read back as a column: `unsqueeze (squeeze m [0]) [0]`
    of the moved max is the max itself (one chain serves both, no squeeze left)."""
    text = """
        func @main(%x: f64[n, 2], %m: f64[1, 2], %s: f64[n, 1]) {
          %0 = tir.sub %x, %m : f64[n, 2]
          %1 = tir.div %0, %s : f64[n, 2]
          %2 = tir.mul %1, %m : f64[n, 2]
          %3 = tir.reduce_max %2 {axes = [1], keepdims = false} : f64[n]
          %4 = tir.unsqueeze %3 {axes = [1]} : f64[n, 1]
          %5 = tir.sub %2, %4 : f64[n, 2]
          %6 = tir.reduce_sum %5 {axes = [0], keepdims = false} : f64[2]
          return %6 : "y"
        }
    """
    assert_checks(
        text,
        [PASS, "dce"],
        """
        CHECK: %[[A:[0-9]+]], %[[B:[0-9]+]] = tir.split
        CHECK-NEXT: %[[M:[0-9]+]] = tir.maximum %[[A]], %[[B]] : f64[1, n]
        CHECK-NEXT: tir.sub %{{[0-9]+}}, %[[M]] : f64[2, n]
        CHECK-NOT: tir.squeeze
        """,
    )
    _assert_close_after(
        text,
        [PASS, "dce"],
        _region_feeds(40, seed=9)[:1]
        + [np.array([[0.5, -1.0]]), np.linspace(1, 2, 40).reshape(40, 1)],
        exact=(),
    )
