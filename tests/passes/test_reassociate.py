"""`reassociate` (fast math): one-element factors and divisors move out of sums and
products (shifts do not), `sum(x * x)` becomes `reduce_sum_square`.
Golden: the IR after the pass (with `cse`
and `dce`), and where it declines. Numeric: the interpreter and ONNX Runtime after the pass
agree with the interpreter before it within a few ulps times the length of the sums (the bits
change: that is the point), on random data and in a hypothesis sweep of shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.testing import assert_golden, assert_unchanged, parse, run_lowered, run_stats
from ir.interpreter import run_module
from ir.printer import print_module
from passes import DEFAULT_PIPELINE
from passes.reassociate import FAST_MATH_PASSES, fast_math_pipeline

PASSES = ["reassociate", "cse", "dce"]
EPS = {"float64": np.finfo(np.float64).eps, "float32": np.finfo(np.float32).eps}


def assert_close_after(
    source: str, feeds: list[np.ndarray], *, passes: list[str] = PASSES, ulps: float = 8.0
) -> None:
    """The interpreter and ONNX Runtime (optimizations on and off) after ``passes`` give the
    interpreter's results before them within ``ulps`` ulps times the number of terms summed,
    relative to the sum of the magnitudes (the condition of a sum: cancellation is allowed
    to lose what the terms' rounding loses)."""
    before = run_module(parse(source), feeds)
    after_module, _ = run_stats(source, passes)
    magnitudes = run_module(parse(_absolute(source)), [np.abs(f) for f in feeds])
    afters = [run_module(after_module, feeds)]
    afters += [run_lowered(after_module, feeds, optimize=o) for o in (True, False)]
    terms = max(f.size for f in feeds)
    for after in afters:
        for b, a, m in zip(before, after, magnitudes, strict=True):
            eps = EPS[str(b.dtype)]
            assert a.dtype == b.dtype and a.shape == b.shape
            bound = ulps * terms * eps * (np.abs(m) + np.abs(b))
            assert np.all(np.abs(a - b) <= bound), f"{a} vs {b} (bound {bound})"


def _absolute(source: str) -> str:
    """The same function on |inputs| with every subtraction an addition and every constant
    its magnitude (log of a positive input stays): its results bound the magnitudes summed."""
    text = source.replace("tir.sub", "tir.add").replace("tir.neg", "tir.abs")
    return text.replace("dense<-", "dense<")


# -- golden ---------------------------------------------------------------------------------------

NORMAL_LOGP = """
    func @main(%r: f64[8], %s: f64[1]) {
      %q = tir.div %r, %s : f64[8]
      %p = tir.mul %q, %r : f64[8]
      %t = tir.reduce_sum %p {axes = [0], keepdims = true} : f64[1]
      %h = tir.constant dense<-0.5> : f64[1]
      %c = tir.constant dense<-0.9189385332046727> : f64[1]
      %m = tir.mul %q, %q : f64[8]
      %a = tir.mul %m, %h : f64[8]
      %b = tir.add %a, %c : f64[8]
      %l = tir.log %s : f64[1]
      %d = tir.sub %b, %l : f64[8]
      %u = tir.reduce_sum %d {axes = [0], keepdims = false} : f64[]
      return %t, %u : "t", "u"
    }
"""


def test_normal_log_density_sums_squares_of_the_residual():
    """PyMC's Normal: sum((r / s) * r) becomes a sum of squares of r divided by s; the
    log-density's sum(-0.5 (r / s)**2 + c - log s) keeps its shifts (no shift rule) and so
    its chain over r."""
    assert_golden(
        NORMAL_LOGP,
        PASSES,
        """
        func @main(%r: f64[8], %s: f64[1]) {
          %q = tir.div %r, %s : f64[8]
          %0 = tir.reduce_sum_square %r {axes = [0], keepdims = false} : f64[]
          %1 = tir.unsqueeze %0 {axes = [0]} : f64[1]
          %2 = tir.div %1, %s : f64[1]
          %h = tir.constant dense<-0.5> : f64[1]
          %c = tir.constant dense<-0.9189385332046727> : f64[1]
          %m = tir.mul %q, %q : f64[8]
          %a = tir.mul %m, %h : f64[8]
          %b = tir.add %a, %c : f64[8]
          %l = tir.log %s : f64[1]
          %d = tir.sub %b, %l : f64[8]
          %u = tir.reduce_sum %d {axes = [0], keepdims = false} : f64[]
          return %2, %u : "t", "u"
        }
        """,
    )


def test_normal_log_density_numbers():
    rng = np.random.default_rng(0)
    assert_close_after(NORMAL_LOGP, [rng.normal(size=8), np.array([0.7])])


SCALED_SUM = """
    func @main(%x: f32[4, 6], %k: f32[], %d: f32[1, 1]) {{
      %y = tir.{op} %x, {other} : f32[4, 6]
      %t = tir.reduce_sum %y {{axes = [{axes}], keepdims = {keep}}} : {out}
      return %t : "t"
    }}
"""


@pytest.mark.parametrize(
    ("op", "other", "axes", "keep", "out", "expected"),
    [
        ("mul", "%k", "0, 1", "false", "f32[]", ["tir.reduce_sum %x", "tir.mul %0, %k"]),
        ("div", "%d", "1", "true", "f32[4, 1]", ["tir.reduce_sum %x", "tir.div %1, %d"]),
        ("mul", "%d", "1", "false", "f32[4]", ["tir.squeeze %d", "tir.mul %0, %1"]),
    ],
)
def test_one_element_factor_or_divisor_leaves_the_sum(op, other, axes, keep, out, expected):
    """The scalar is fitted to the sum's rank (a Squeeze where it has more dims)."""
    source = SCALED_SUM.format(op=op, other=other, axes=axes, keep=keep, out=out)
    module, stats = run_stats(source, PASSES)
    text = print_module(module)
    for line in expected:
        assert line in text, text
    assert stats[0].counters.get("sum_of_product") == 1
    rng = np.random.default_rng(1)
    feeds = [rng.normal(size=(4, 6)).astype(np.float32), np.array(1.5, np.float32)]
    feeds.append(np.array([[-0.25]], np.float32))
    assert_close_after(source, feeds)


def test_shifts_stay_in_the_sum():
    """`sum(x - k)` is not `sum(x) - n k`: with x near k the differences are exact and the
    rewritten form would cancel (1e9 ulps here), so the pass leaves the shift where it is."""
    source = """
        func @main(%x: f64[10000], %k: f64[]) {
          %d = tir.sub %x, %k : f64[10000]
          %t = tir.reduce_sum %d {axes = [0], keepdims = false} : f64[]
          %a = tir.add %x, %k : f64[10000]
          %u = tir.reduce_sum %a {axes = [0], keepdims = false} : f64[]
          return %t, %u : "t", "u"
        }
    """
    assert_unchanged(source, ["reassociate"])
    rng = np.random.default_rng(5)
    noise = rng.normal(size=10000)
    x = 1e8 + noise
    after_module, _ = run_stats(source, PASSES)
    (t, _) = run_lowered(after_module, [x, np.array(1e8)], optimize=True)
    exact = float(np.sum(x - 1e8))  # each difference exact (Sterbenz); their sum is small
    assert abs(float(t) - exact) <= 1e-9 * abs(exact) + 1e-9


def test_sum_of_squares_of_a_scaled_value():
    source = """
        func @main(%x: f64[6], %k: f64[], %d: f64[1]) {
          %y = tir.mul %x, %k : f64[6]
          %z = tir.div %y, %d : f64[6]
          %m = tir.mul %z, %z : f64[6]
          %t = tir.reduce_sum %m {axes = [0], keepdims = false} : f64[]
          return %t : "t"
        }
    """
    assert_golden(
        source,
        PASSES,
        """
        func @main(%x: f64[6], %k: f64[], %d: f64[1]) {
          %0 = tir.reduce_sum_square %x {axes = [0], keepdims = false} : f64[]
          %1 = tir.mul %0, %k, %k : f64[]
          %2 = tir.squeeze %d {axes = [0]} : f64[]
          %3 = tir.div %1, %2 : f64[]
          %4 = tir.div %3, %2 : f64[]
          return %4 : "t"
        }
        """,
    )
    rng = np.random.default_rng(3)
    assert_close_after(source, [rng.normal(size=6), np.array(3.0), np.array([-0.5])])


def test_sum_of_a_power_of_two():
    """PyTensor's sqr(x / s) is pow(x / s, 2) when no rewrite made it a product."""
    source = """
        func @main(%x: f64[6], %s: f64[]) {
          %q = tir.div %x, %s : f64[6]
          %c = tir.constant dense<2.0> : f64[1]
          %p = tir.pow %q, %c : f64[6]
          %t = tir.reduce_sum %p {axes = [0], keepdims = false} : f64[]
          return %t : "t"
        }
    """
    assert_golden(
        source,
        PASSES,
        """
        func @main(%x: f64[6], %s: f64[]) {
          %0 = tir.reduce_sum_square %x {axes = [0], keepdims = false} : f64[]
          %1 = tir.div %0, %s : f64[]
          %2 = tir.div %1, %s : f64[]
          return %2 : "t"
        }
        """,
    )
    rng = np.random.default_rng(7)
    assert_close_after(source, [rng.normal(size=6), np.array(0.3)])


def test_sum_of_squares_moves_its_scale_out():
    source = """
        func @main(%x: f64[6], %k: f64[]) {
          %y = tir.mul %x, %k : f64[6]
          %t = tir.reduce_sum_square %y {axes = [0], keepdims = false} : f64[]
          return %t : "t"
        }
    """
    assert_golden(
        source,
        PASSES,
        """
        func @main(%x: f64[6], %k: f64[]) {
          %0 = tir.reduce_sum_square %x {axes = [0], keepdims = false} : f64[]
          %1 = tir.mul %0, %k, %k : f64[]
          return %1 : "t"
        }
        """,
    )
    rng = np.random.default_rng(4)
    assert_close_after(source, [rng.normal(size=6), np.array(-3.0)])


def test_sum_of_negation():
    source = """
        func @main(%x: f32[7]) {
          %y = tir.neg %x : f32[7]
          %t = tir.reduce_sum %y {axes = [0], keepdims = false} : f32[]
          return %t : "t"
        }
    """
    assert_golden(
        source,
        PASSES,
        """
        func @main(%x: f32[7]) {
          %0 = tir.reduce_sum %x {axes = [0], keepdims = false} : f32[]
          %1 = tir.neg %0 : f32[]
          return %1 : "t"
        }
        """,
    )
    assert_close_after(source, [np.linspace(-3, 4, 7, dtype=np.float32)])


GRADIENT = """
    func @main(%a: f64[3, 8], %r: f64[8], %s: f64[1], %s2: f64[1, 1]) {
      %q = tir.div %r, %s : f64[8]
      %c = tir.unsqueeze %q {axes = [1]} : f64[8, 1]
      %d = tir.div %c, %s2 : f64[8, 1]
      %g = tir.matmul %a, %d : f64[3, 1]
      return %g : "g"
    }
"""


def test_matrix_product_of_a_scaled_column():
    """PyMC's linear-regression gradient X^T (r / s / s): the divisions move onto the three
    results, through the Unsqueeze (redone on r)."""
    assert_golden(
        GRADIENT,
        PASSES,
        """
        func @main(%a: f64[3, 8], %r: f64[8], %s: f64[1], %s2: f64[1, 1]) {
          %0 = tir.unsqueeze %r {axes = [1]} : f64[8, 1]
          %1 = tir.matmul %a, %0 : f64[3, 1]
          %2 = tir.div %1, %s : f64[3, 1]
          %3 = tir.div %2, %s2 : f64[3, 1]
          return %3 : "g"
        }
        """,
    )
    rng = np.random.default_rng(5)
    feeds = [rng.normal(size=(3, 8)), rng.normal(size=8), np.array([0.6]), np.array([[0.6]])]
    assert_close_after(GRADIENT, feeds)


SCATTER = """
    func @main(%r: f64[10], %s: f64[1]) {{
      %z = tir.constant dense<{zero}> : f64[4]
      %i = tir.constant dense<[0, 1, 1, 3, 0, 0, 1, 3, 3, 0]> : i64[10]
      %q = tir.div %r, %s : f64[10]
      %t = tir.scatter_elements %z, %i, %q {{axis = 0, reduction = "add", unique = false}} : f64[4]
      return %t : "t"
    }}
"""


def test_scatter_add_of_a_scaled_value():
    """PyMC's gradient of an indexed parameter: the per-group sums of r / s are the per-group
    sums of r, divided once per group (group 2 gets none: 0 / s)."""
    assert_golden(
        SCATTER.format(zero="0.0"),
        PASSES,
        """
        func @main(%r: f64[10], %s: f64[1]) {
          %z = tir.constant dense<0.0> : f64[4]
          %i = tir.constant dense<[0, 1, 1, 3, 0, 0, 1, 3, 3, 0]> : i64[10]
          %0 = tir.scatter_elements %z, %i, %r {ATTRS} : f64[4]
          %1 = tir.div %0, %s : f64[4]
          return %1 : "t"
        }
        """.replace("ATTRS", 'axis = 0, reduction = "add", unique = false'),
    )
    rng = np.random.default_rng(6)
    assert_close_after(SCATTER.format(zero="0.0"), [rng.normal(size=10), np.array([1.7])])


@pytest.mark.parametrize("zero", ["-0.0", "1.0"])
def test_scatter_into_other_than_positive_zeros_is_left(zero):
    assert_unchanged(SCATTER.format(zero=zero), ["reassociate"])


def test_product_with_other_users_is_left():
    """sum(x * y) with x * y used elsewhere: a new product would be a pass more."""
    assert_unchanged(
        """
        func @main(%x: f64[8], %y: f64[8], %k: f64[]) {
          %q = tir.div %x, %k : f64[8]
          %p = tir.mul %q, %y : f64[8]
          %t = tir.reduce_sum %p {axes = [0], keepdims = false} : f64[]
          return %t, %p : "t", "p"
        }
        """,
        ["reassociate"],
    )


@pytest.mark.parametrize(
    "body",
    [
        # a factor that broadcasts x (not one element)
        "%y = tir.mul %x, %v : f64[4, 3]\n%t = tir.reduce_sum %y {axes = [0], keepdims = false}"
        " : f64[3]",
        # integers are exact already
        "%y = tir.mul %i, %j : i64[4]\n%t = tir.reduce_sum %y {axes = [0], keepdims = false}"
        " : i64[]",
        # a product scaled onto a larger result
        "%c = tir.div %col, %k : f64[4, 1]\n%t = tir.matmul %c, %row : f64[4, 4]",
    ],
)
def test_declines(body):
    source = (
        "func @main(%x: f64[4, 3], %v: f64[1, 3], %w: f64[n], %k: f64[], %i: i64[4], "
        "%j: i64[], %col: f64[4, 1], %row: f64[1, 4]) {\n"
        + "".join(f"  {line}\n" for line in body.splitlines())
        + '  return %t : "t"\n}'
    )
    assert_unchanged(source, ["reassociate"])


# -- properties -----------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    rows=st.integers(1, 40),
    cols=st.integers(2, 40),
    axes=st.sampled_from(["0", "1", "0, 1"]),
    dtype=st.sampled_from(["f32", "f64"]),
    seed=st.integers(0, 2**16),
)
def test_normal_chain_matches_within_ulps(rows, cols, axes, dtype, seed):
    """The Normal chain's sum(-0.5 (x / s)**2) over any axes and shapes."""
    reduced = [int(a) for a in axes.split(", ")]
    out = [d for i, d in enumerate((rows, cols)) if i not in reduced]
    out_type = f"{dtype}[{', '.join(map(str, out))}]"
    source = f"""
        func @main(%x: {dtype}[{rows}, {cols}], %s: {dtype}[1, 1]) {{
          %q = tir.div %x, %s : {dtype}[{rows}, {cols}]
          %m = tir.mul %q, %q : {dtype}[{rows}, {cols}]
          %h = tir.constant dense<-0.5> : {dtype}[]
          %a = tir.mul %m, %h : {dtype}[{rows}, {cols}]
          %t = tir.reduce_sum %a {{axes = [{axes}], keepdims = false}} : {out_type}
          return %t : "t"
        }}
    """
    np_dtype = np.float32 if dtype == "f32" else np.float64
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(rows, cols)) * 10.0 ** rng.integers(-3, 4)).astype(np_dtype)
    s = np.array([[10.0 ** rng.uniform(-2, 2)]], dtype=np_dtype)
    module, _ = run_stats(source, PASSES)
    assert "tir.reduce_sum_square" in print_module(module)
    assert_close_after(source, [x, s])


# -- the option -----------------------------------------------------------------------------------


def test_fast_math_pipeline_runs_before_the_last_dce():
    pipeline = fast_math_pipeline(DEFAULT_PIPELINE)
    assert pipeline[-1] == "dce" and pipeline[-4:-1] == FAST_MATH_PASSES
    assert fast_math_pipeline(("cse",)) == ("cse", *FAST_MATH_PASSES)
    assert "reassociate" not in DEFAULT_PIPELINE
