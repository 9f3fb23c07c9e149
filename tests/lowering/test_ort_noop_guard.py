"""ONNX Runtime's NoopElimination reads a float64 constant through float32: Add/Sub/Mul/Div of a
constant that float32 rounds to 0 or 1 must survive its optimizer (lowering/ort_noop_guard.py).

Expected values are PyTensor's (FAST_COMPILE) and numpy's; every model also runs at both ORT
optimization levels (``assert_matches_pytensor``)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnxruntime as ort
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import compile_graph
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of, ort_outputs

#: float32 rounds it to 1.0 (a float32 rounding of sqrt(pi)/2 times 2/sqrt(pi), from a PyMC
#: truncated normal's gradient, where ORT's optimizer made dlogp 2.2e-10 off).
NEAR_ONE = 1.0000000342285429
#: float32 rounds it to 0.0.
TINY = 1e-300


def _optimized(result, feeds: list[np.ndarray]) -> list[np.ndarray]:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(result.to_bytes(), options, providers=["CPUExecutionProvider"])
    return session.run(None, dict(zip(result.input_names, feeds, strict=True)))


@pytest.mark.parametrize(
    ("build", "rtol"),
    [
        (lambda x: -((-x) * NEAR_ONE), 0.0),
        (lambda x: -(NEAR_ONE * (-x)), 0.0),
        # PyTensor divides by multiplying with 1 / c: an ulp off x / c
        (lambda x: -((-x) / NEAR_ONE), 1e-15),
        (lambda x: -((-x) / (1 - 2.0**-30)), 1e-15),
        (lambda x: pt.exp(pt.exp(x) * NEAR_ONE), 1e-15),  # ORT's exp: not numpy's bits
    ],
    ids=["mul", "mul-constant-first", "div", "div-below-one", "inside-exp"],
)
def test_multiplication_by_a_constant_float32_rounds_to_one(build, rtol: float) -> None:
    x = pt.dvector("x")
    feed = np.array([0.3, -2.5, 0.0, 1e-310, 7.0])
    # (ORT's drop is 3.4e-8 off; atol: a subnormal's ulp, for x / c against x * (1 / c))
    assert_matches_pytensor(fgraph_of([x], [build(x)]), [feed], rtol=rtol, atol=1e-322)


def test_log_of_a_sum_with_a_tiny_constant() -> None:
    """log(exp(x) + 1e-300): -690.78 at x = -800 (exp underflows), not -inf."""
    x = pt.dvector("x")
    y = pt.log(pt.exp(x) + TINY)
    feed = np.array([-800.0, 0.0, 1.0])
    assert_matches_pytensor(fgraph_of([x], [y]), [feed], rtol=0, atol=0)
    (got,) = _optimized(compile_graph([x], [y]), [feed])
    assert got[0] == np.log(TINY)


def test_subtraction_of_a_tiny_constant() -> None:
    x = pt.dvector("x")
    y = pt.log(-(pt.exp(x) - TINY) * -1.0)
    feed = np.array([-800.0, 0.0])
    assert_matches_pytensor(fgraph_of([x], [y]), [feed], rtol=0, atol=0)


def test_adding_positive_zero_turns_negative_zero_positive() -> None:
    """-0.0 + 0.0 is +0.0: 1 / (x * -1 + 0.0) is +inf at x = 0 (numpy; ORT's drop gave -inf,
    and so does PyTensor's FAST_COMPILE, whose rewrites drop the + 0.0 too)."""
    x = pt.dvector("x")
    y = 1.0 / (x * -1.0 + np.float64(0.0))
    feed = np.array([0.0, -0.0, 2.0])
    result = compile_checked(fgraph_of([x], [y]))
    with np.errstate(divide="ignore"):
        want = 1.0 / (feed * -1.0 + 0.0)
    assert list(want) == [np.inf, np.inf, -0.5]
    for level, (got,) in ort_outputs(result, [feed]).items():
        np.testing.assert_array_equal(got, want, err_msg=level)


def test_inside_a_loop_body() -> None:
    x = pt.dvector("x")
    out = pytensor.scan(
        lambda prev: pt.exp(prev * NEAR_ONE) * 0.5,
        outputs_info=[x],
        n_steps=3,
        return_updates=False,
    )
    feed = np.array([0.3, -0.5, 0.01])
    result = compile_checked(fgraph_of([x], [out]))
    bodies = [
        attr.g for node in result.to_onnx().graph.node for attr in node.attribute if attr.g.node
    ]
    assert any(n.op_type == "Squeeze" for body in bodies for n in body.node)  # guarded there
    assert_matches_pytensor(fgraph_of([x], [out]), [feed], rtol=1e-14, atol=0)


def test_exact_drops_and_other_dtypes_are_left_alone() -> None:
    """x * 1.0 (exact to drop) and float32 constants (cast exactly) keep their plain node."""
    x = pt.dvector("x")
    f = pt.fvector("f")
    y = pt.exp(pt.exp(x) * 2.0)  # not near 1
    z = pt.exp(pt.exp(f) * np.float32(1.0000001))  # a float32 constant: read exactly
    result = compile_graph([x, f], [y, z])
    types = Counter(n.op_type for n in result.to_onnx().graph.node)
    assert types["Squeeze"] == 0 and types["Sum"] == 0 and types["Mul"] == 2


@settings(max_examples=30, deadline=None)
@given(
    c=st.one_of(
        st.floats(1 - 2.0**-24, 1 + 2.0**-23),
        st.floats(-1e-45, 1e-45),
        st.sampled_from([0.0, -0.0, 1.0, NEAR_ONE, TINY, -TINY]),
    ),
    op=st.sampled_from(["add", "sub", "mul", "div", "rsub"]),
    rank=st.integers(0, 3),
)
def test_any_constant_and_rank_gives_pytensors_bits(c: float, op: str, rank: int) -> None:
    x = pt.tensor("x", dtype="float64", shape=(None,) * rank)
    inner = -x
    k = np.float64(c)
    y = {
        "add": inner + k,
        "sub": inner - k,
        "mul": inner * k,
        "div": inner / k,
        "rsub": k - inner,
    }[op]
    feed = np.resize(np.array([0.0, -0.0, 0.3, 1e-310, -7.5, np.inf]), (2,) * rank)
    if op == "mul" and c == 0.0:
        # PyTensor rewrites x * 0 to zeros (+0.0 even for inf and -0.0 operands): numpy's IEEE
        # products are the reference here, bit for bit
        expected = -((-feed) * k)
        result = compile_checked(fgraph_of([x], [-y]))
        for (out,) in ort_outputs(result, [feed]).values():
            assert np.array_equal(out, expected, equal_nan=True), (out, expected)
            assert np.array_equal(np.signbit(out), np.signbit(expected)), (out, expected)
        return
    # PyTensor divides by multiplying with 1 / c (an ulp off x / c); the rest is exact
    rtol = 1e-15 if op == "div" else 0.0
    assert_matches_pytensor(fgraph_of([x], [-y]), [feed], rtol=rtol, atol=1e-322 if rtol else 0.0)
