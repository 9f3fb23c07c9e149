"""Comparisons, logic, NaN/inf predicates, switch, casts, identity, second and Composite end
to end, checked against PyTensor (FAST_COMPILE) through ONNX Runtime."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.scalar as ps
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import Mode
from pytensor.tensor.elemwise import Elemwise

from compiler.errors import UnsupportedOpError
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of
from tests.lowering.util import ALL_DTYPES, FLOATS, INTS, check, var


def _sample(dtype: str) -> np.ndarray:
    """Eight values of ``dtype`` with its extremes, zeros and (floats) NaN and infinities."""
    if dtype == "bool":
        return np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)
    if dtype in FLOATS:
        return np.array([np.nan, -np.inf, np.inf, -0.0, 0.0, 1.5, -2.0, 3.0], dtype)
    info = np.iinfo(dtype)
    return np.array([info.min, info.max, 0, 1, 2, info.max - 1, 3, 1], dtype)


# -- comparisons -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_comparisons(dtype):
    x = _sample(dtype)
    y = np.roll(x, 3)
    a, b = var("a", x), var("b", y)
    outs = [a < b, a <= b, a > b, a >= b, pt.eq(a, b), pt.neq(a, b)]
    check([a, b], outs, [x, y])


@pytest.mark.parametrize("dtype", FLOATS)
def test_nan_is_not_equal_to_itself(dtype):
    """PyTensor's rewrites (FAST_COMPILE, Numba) turn eq(x, x) into True and neq(x, x) into
    False, wrong for NaN; the graph itself (PyTensor without rewrites) and the model say
    NaN != NaN."""
    x = np.array([np.nan, 1.0, -np.inf, -0.0], dtype)
    a = var("a", x)
    outs = [pt.eq(a, a), pt.neq(a, a), a < a, a >= a]
    got = compile_checked(fgraph_of([a], outs)).run(x)
    literal = pytensor.function([a], outs, mode=Mode(linker="py", optimizer=None))(x)
    np.testing.assert_array_equal(literal[0], [False, True, True, True])
    for g, w in zip(got, literal, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize(("dx", "dy"), [("int8", "float32"), ("uint8", "int8"), ("bool", "int64"),
                                        ("int32", "float16"), ("uint32", "int32"),
                                        ("float16", "float64"), ("bool", "float32")])  # fmt: skip
def test_comparisons_of_mixed_dtypes(dx, dy):
    x = _sample(dx)
    y = np.roll(_sample(dy), 1)
    a, b = var("a", x), var("b", y)
    check([a, b], [a < b, a >= b, pt.eq(a, b), pt.neq(b, a)], [x, y])


@pytest.mark.parametrize("signed", ["int8", "int64"])
def test_comparison_of_uint64_with_a_signed_integer_is_refused(signed):
    """numpy (so PyTensor) compares uint64 with signed integers exactly; the IR promotes both
    to float64 (numpy's result_type), which rounds beyond 2**53: 2**53 + 1 == 2**53 there."""
    a = pt.tensor("a", dtype="uint64", shape=(None,))
    b = pt.tensor("b", dtype=signed, shape=(None,))
    big = np.int64(2**53 + 1)
    for out in (a < b, pt.eq(b, a), pt.neq(a, b), a >= big, pt.eq(b, np.uint64(2**63))):
        with pytest.raises(UnsupportedOpError, match="uint64 with a signed integer"):
            compile_checked(fgraph_of([a, b], [out]))


def test_comparison_of_uint64_with_a_small_literal_is_exact():
    """Against a constant below 2**53 the float64 comparison is exact (rounding is monotonic)."""
    x = np.array([2**64 - 1, 2**63, 2**53 + 1, 2**53, 2**53 - 1, 3, 0], "uint64")
    a = var("a", x)
    check([a], [a > 3, pt.eq(a, 0), a < np.int64(2**53 - 1), a >= -5, pt.neq(a, 3)], [x])


def test_uint64_with_int64_arithmetic_is_float64_in_both():
    x = np.array([2**63, 2**63 + 1, 2**64 - 1, 0, 5, 2**53 + 1], "uint64")
    y = np.array([-1, 2**63 - 1, -(2**63), 0, 5, 2**53], "int64")
    u = np.array([2**64 - 1, 2**63, 1, 0, 5, 2**53 + 1], "uint64")
    a, b, c = var("a", x), var("b", y), var("c", u)
    check([a, b, c], [a + b, pt.maximum(a, b), a < c, pt.eq(a, c), a < 0.5, a >= 2e19],
          [x, y, u])  # fmt: skip


def test_comparison_with_python_literals():
    x = np.array([-200, -1, 0, 1, 127, 300], "int16")
    f = np.array([0.1, 0.09999999, np.nan, -0.0, 1.0, 0.2], "float32")
    a, b = var("a", x), var("b", f)
    check([a, b], [a < 1, a >= -128, pt.eq(a, 0), b < 0.1, pt.eq(b, 0.0), b > 0.1], [x, f])


# -- logic -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["bool", *INTS])
def test_and_or_xor_invert(dtype):
    x = _sample(dtype)
    y = np.roll(x, 2)
    a, b = var("a", x), var("b", y)
    check([a, b], [a & b, a | b, a ^ b, ~a, ~b, pt.and_(a, ~b)], [x, y])


@pytest.mark.parametrize("op", [pt.and_, pt.or_, pt.xor])
def test_bitwise_op_of_uint64_with_a_signed_integer_is_refused(op):
    """PyTensor types it float64 (its promotion) and then fails at run time (numpy has no
    bitwise loop for floats)."""
    a = pt.tensor("a", dtype="uint64", shape=(None,))
    b = pt.tensor("b", dtype="int8", shape=(None,))
    out = op(a, b)
    assert out.dtype == "float64"
    with pytest.raises(UnsupportedOpError, match=r"bitwise .* float64"):
        compile_checked(fgraph_of([a, b], [out]))


def test_logic_of_mixed_dtypes():
    i = np.array([-1, 6, 0, 127], "int8")
    u = np.array([255, 6, 0, 128], "uint8")
    w = np.array([2**32 - 1, 6, 1, 2**31], "uint32")
    a, b, c = var("a", i), var("b", u), var("c", w)
    check([a, b, c], [a & b, a | c, b ^ c, ~(a & b), a & 3, c | 1], [i, u, w])


# -- isnan, isinf ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_isnan_isinf_of_floats(dtype):
    x = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, np.finfo(dtype).max], dtype)
    a = var("a", x)
    check([a], [pt.isnan(a), pt.isinf(a), ~pt.isnan(a) & ~pt.isinf(a)], [x])


@pytest.mark.parametrize("dtype", ["bool", *INTS])
def test_isnan_isinf_of_integers(dtype):
    # pt.isnan of an integer tensor is a constant-false alloc; build the Elemwise directly.
    x = _sample(dtype).reshape(2, 4)
    a = var("a", x)
    outs = [Elemwise(ps.isnan)(a), Elemwise(ps.isinf)(a)]
    check([a], outs, [x])


# -- switch ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_switch_on_every_branch_dtype(dtype):
    """ORT's Where has no int16, uint16, uint64 or bool kernel: those select in a carrier."""
    x = _sample(dtype)
    y = np.roll(x, 1)
    c = np.array([1, 0, 1, 1, 0, 0, 1, 0], bool)
    s = x[3]
    a, b, k, z = var("a", x), var("b", y), var("k", c), var("z", s)
    outs = [pt.switch(k, a, b), pt.switch(k, b, a), pt.switch(~k, a, z), pt.switch(k, z, a)]
    check([k, a, b, z], outs, [c, x, y, s], signed_zeros=True)


@pytest.mark.parametrize("cond_dtype", ["int8", "uint64", "float32", "float64", "int16"])
def test_switch_on_a_non_bool_condition(cond_dtype):
    """Any nonzero condition is true (NaN included, -0.0 not)."""
    cond = _sample(cond_dtype)
    x = np.arange(8, dtype="float32")
    y = -np.arange(8, dtype="float32")
    k, a, b = var("k", cond), var("a", x), var("b", y)
    check([k, a, b], [pt.switch(k, a, b), pt.switch(k, a, 7)], [cond, x, y])


def test_switch_of_mixed_branch_dtypes_and_broadcasting():
    c = np.array([[True], [False]])
    x = np.array([1, -2, 3], "int16")
    y = np.array(2.5, "float32")
    k, a, b = var("k", c), var("a", x), var("b", y)
    out = pt.switch(k, a, b)
    assert out.dtype == "float32"
    check([k, a, b], [out, pt.switch(k, b, a)], [c, x, y])


def test_switch_keeps_negative_zero_in_either_branch():
    """ORT's float Where turns a selected -0.0 from its first branch into +0.0."""
    c = np.array([True, False, True, False])
    x = np.array([-0.0, -0.0, 0.0, 1.0])
    y = np.array([0.0, -0.0, -0.0, -0.0])
    k, a, b = var("k", c), var("a", x), var("b", y)
    check([k, a, b], [pt.switch(k, a, b), pt.switch(k, b, a), pt.switch(k, -0.0, b)], [c, x, y],
          signed_zeros=True)  # fmt: skip


# -- casts -----------------------------------------------------------------------------------------


def _castable(src: str, dst: str) -> np.ndarray:
    """Values of ``src`` that convert to ``dst`` without undefined behaviour (a float converted
    to an integer must be in range after truncation)."""
    if src in FLOATS and dst != "bool" and dst not in FLOATS:
        info = np.iinfo(dst)
        hi = min(float(info.max), 60000.0 if src == "float16" else 1e6)
        vals = [0.0, -0.0, 0.7, 1.999, 2.5, hi - 0.5, hi, 100.25]
        if info.min < 0:
            vals += [-0.7, -1.999, -2.5, max(float(info.min), -hi) + 0.5]
        return np.array(vals[:8], src)
    x = _sample(src)
    return x


@pytest.mark.parametrize("src", ALL_DTYPES)
def test_casts_between_dtypes(src):
    targets = [d for d in ALL_DTYPES if not (src == "float64" and d == "float16")]
    inputs, outs, feeds = [], [], []
    for i, dst in enumerate(targets):
        x = _castable(src, dst)
        a = var(f"a{i}", x)
        inputs.append(a)
        outs.append(pt.cast(a, dst))
        feeds.append(x)
    check(inputs, outs, feeds, signed_zeros=True)


def test_float_to_int_truncates_toward_zero():
    x = np.array([2.9, -2.9, 0.5, -0.5, 127.99, -128.99, 1e5 + 0.5], "float64")
    a = var("a", x)
    outs = [pt.cast(a, "int32"), pt.cast(a, "int64"), pt.cast(pt.clip(a, -128, 127), "int8")]
    check([a], outs, [x])


def test_cast_from_float64_to_float16_is_refused():
    a = pt.tensor("a", dtype="float64", shape=(None,))
    with pytest.raises(UnsupportedOpError, match="float64 to float16"):
        compile_checked(fgraph_of([a], [pt.cast(a, "float16")]))


def test_cast_from_float64_to_float16_through_float32_is_accepted():
    x = np.array([1.0 + 2.0**-11, 65504.0, 1e-8, -3.14159], "float64")
    a = var("a", x)
    check([a], [pt.cast(pt.cast(a, "float32"), "float16")], [x])


# -- identity, second, sqr -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint64", "float16", "float64"])
def test_identity_and_second(dtype):
    x = _sample(dtype).reshape(2, 4)
    y = _sample(dtype)[:4]
    s = _sample(dtype)[5]
    a, b, c = var("a", x), var("b", y), var("c", s)
    outs = [pt.tensor_copy(a), Elemwise(ps.identity)(b), pt.second(a, b), pt.second(b, a),
            pt.second(a, c), pt.fill(a, c), pt.second(c, b)]  # fmt: skip
    check([a, b, c], outs, [x, y, s], signed_zeros=True)


def test_second_with_a_different_dtype_and_a_literal():
    x = np.zeros((3, 1), "float32")
    y = np.array([1, 2], "int8")
    a, b = var("a", x), var("b", y)
    check([a, b], [pt.second(a, b), pt.second(b, a), pt.fill(a, 3), pt.second(a, 2.5)], [x, y])


def test_identity_as_the_only_op():
    x = np.array([1.5, -0.0], "float32")
    a = var("a", x)
    check([a], [pt.tensor_copy(a), a], [x], signed_zeros=True)


# -- Composite -------------------------------------------------------------------------------------


def _fused(inputs, outputs):
    """The graph PyTensor's fast_run optimizer makes, with Composite ops from elemwise fusion."""
    fn = pytensor.function(inputs, outputs, mode=Mode(linker="py", optimizer="fast_run"))
    fg = fn.maker.fgraph
    composites = [
        n
        for n in fg.apply_nodes
        if isinstance(n.op, Elemwise) and isinstance(n.op.scalar_op, ps.Composite)
    ]
    assert composites, "elemwise fusion made no Composite"
    return fg


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_composite_from_elemwise_fusion(dtype):
    x = np.array([[0.5, -1.5, 2.0], [0.0, -0.0, 3.0]], dtype)
    y = np.array([1.0, 2.0, -0.5], dtype)
    a, b = var("a", x), var("b", y)
    exprs = [
        pt.exp(a) * b + pt.sqr(a) - 1.0,
        pt.switch(a > b, pt.log1p(pt.abs(a)), pt.tanh(b) / 2),
        pt.maximum(a, 0) * pt.sigmoid(b) + pt.clip(a, -1, 1),
    ]
    assert_matches_pytensor(_fused([a, b], exprs), [x, y])


def test_composite_of_integers_and_casts():
    i = np.array([-7, 3, 100, -128], "int8")
    f = np.array([0.5, -2.25, 3.0, 1e-3], "float32")
    a, b = var("a", i), var("b", f)
    exprs = [(a // 2 + a % 3) * 2, pt.cast(a, "float32") * b + pt.floor(b), (a > 0) & (b < 1)]
    assert_matches_pytensor(_fused([a, b], exprs), [i, f])
