"""Property-based tests of the elementwise lowering: random broadcastable shapes (0-d, size 0
and size 1 dims, rank up to 4), dtypes and values (NaN, ±inf, ±0 included for floats), each
graph checked against PyTensor (FAST_COMPILE) through ONNX Runtime and the IR interpreter."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.lowering.util import (
    ALL_DTYPES,
    FLOATS,
    INTS,
    SIGNED,
    array,
    broadcast_shapes,
    check,
    var,
)

NUMERIC = (*INTS, *FLOATS)


def _inputs(data, dtypes, **element_kwargs):
    shapes = data.draw(broadcast_shapes(len(dtypes)), label="shapes")
    arrays = [data.draw(array(d, s, **element_kwargs), label=f"x{i}")
              for i, (d, s) in enumerate(zip(dtypes, shapes, strict=True))]  # fmt: skip
    return [var(f"x{i}", a) for i, a in enumerate(arrays)], arrays


def _exact_uint64_compare(d1: str, d2: str) -> bool:
    """uint64 with a signed integer: promoted to float64, where PyTensor compares exactly (the
    lowering refuses) and bitwise ops fail."""
    return {d1, d2} & {"uint64"} != set() and bool({d1, d2} & set(SIGNED))


@settings(max_examples=40)
@given(st.data(), st.sampled_from(ALL_DTYPES), st.sampled_from(ALL_DTYPES))
def test_binary_ops(data, d1, d2):
    (a, b), feeds = _inputs(data, [d1, d2])
    outs = [a + b, a * b, pt.maximum(a, b), pt.minimum(a, b)]
    if not (d1 == d2 == "bool"):
        outs += [a - b, a // b, a % b]  # integer divisors 0 give 0 in both (numpy's rule)
    outs.append(a / b)
    if not _exact_uint64_compare(d1, d2):
        outs += [a < b, a <= b, a > b, a >= b, pt.eq(a, b), pt.neq(a, b)]
    check([a, b], outs, feeds)


@settings(max_examples=30)
@given(st.data(), st.sampled_from(FLOATS))
def test_float_binary_ops_keep_signed_zeros(data, dtype):
    # (Not maximum/minimum: which zero max(+0.0, -0.0) returns is unspecified by IEEE 754 and
    # differs inside numpy itself, between float16 and float32 and between its loops.)
    (a, b), feeds = _inputs(data, [dtype, dtype])
    check([a, b], [a + b, a * b, a - b, a / b, a // b, a % b, a**b], feeds, signed_zeros=True)


@settings(max_examples=40)
@given(st.data(), st.sampled_from(ALL_DTYPES), st.sampled_from(ALL_DTYPES),
       st.sampled_from(ALL_DTYPES))  # fmt: skip
def test_three_input_add_and_mul(data, d1, d2, d3):
    # Small whole numbers: every sum and product is exact in every dtype involved.
    # PyTensor FAST_COMPILE adds bool + bool as logical or before the third operand; the IR
    # (like PyTensor's Numba and C backends) converts all operands first: see
    # test_three_input_add_converts_every_operand_first in test_elementwise.py.
    assume(not (d1 == d2 == "bool" and d3 != "bool"))
    shapes = data.draw(broadcast_shapes(3), label="shapes")
    feeds = []
    for i, (d, s) in enumerate(zip((d1, d2, d3), shapes, strict=True)):
        lo = 0 if d == "bool" or d.startswith("u") else -4
        hi = 1 if d == "bool" else 4
        values = data.draw(array("int8", s, min_value=lo, max_value=hi), label=f"x{i}")
        feeds.append(values.astype(d))
    a, b, c = (var(f"x{i}", f) for i, f in enumerate(feeds))
    check([a, b, c], [pt.add(a, b, c), pt.mul(a, b, c), pt.add(c, pt.mul(a, b))], feeds)


@settings(max_examples=40)
@given(st.data(), st.sampled_from(NUMERIC))
def test_unary_arithmetic(data, dtype):
    (a,), feeds = _inputs(data, [dtype])
    outs = [abs(a), pt.sqr(a), pt.sign(a), -a]
    check([a], outs, feeds, signed_zeros=dtype in FLOATS)


_FLOAT_FUNCTIONS = {
    "exp": pt.exp, "exp2": pt.exp2, "expm1": pt.expm1, "log": pt.log, "log2": pt.log2,
    "log10": pt.log10, "log1p": pt.log1p, "sqrt": pt.sqrt, "reciprocal": pt.reciprocal,
    "sin": pt.sin, "cos": pt.cos, "tan": pt.tan, "sinh": pt.sinh, "cosh": pt.cosh,
    "tanh": pt.tanh, "sigmoid": pt.sigmoid, "softplus": pt.softplus,
}  # fmt: skip
_NO_FLOAT64 = {"arcsin": pt.arcsin, "arccos": pt.arccos, "arctan": pt.arctan,
               "arcsinh": pt.arcsinh, "arccosh": pt.arccosh, "arctanh": pt.arctanh,
               "erf": pt.erf}  # fmt: skip


@settings(max_examples=40)
@given(st.data(), st.sampled_from(FLOATS))
def test_float_functions(data, dtype):
    (a,), feeds = _inputs(data, [dtype])
    fns = dict(_FLOAT_FUNCTIONS)
    if dtype != "float64":
        fns.update(_NO_FLOAT64)
    check([a], [fn(a) for fn in fns.values()], feeds, signed_zeros=True)


@settings(max_examples=25)
@given(st.data(), st.sampled_from(["bool", "int8", "uint8", "int16", "uint16"]))
def test_float_functions_of_small_integers(data, dtype):
    """Integers up to 16 bits compute in float32, so the functions float64 lacks work too.
    (PyTensor FAST_COMPILE's softplus of bool is float16-accurate only: see
    test_softplus_of_bool in test_elementwise_float_functions.py.)"""
    (a,), feeds = _inputs(data, [dtype])
    fns = {**_FLOAT_FUNCTIONS, **_NO_FLOAT64}
    if dtype == "bool":
        del fns["softplus"]
    check([a], [fn(a) for fn in fns.values()], feeds)


@settings(max_examples=40)
@given(st.data(), st.sampled_from(FLOATS))
def test_rounding(data, dtype):
    (a,), feeds = _inputs(data, [dtype])
    outs = [pt.floor(a), pt.ceil(a), pt.trunc(a), pt.round(a, mode="half_to_even"),
            pt.round(a, mode="half_away_from_zero")]  # fmt: skip
    check([a], outs, feeds, signed_zeros=True)


@settings(max_examples=40)
@given(st.data(), st.sampled_from(INTS))
def test_integer_pow(data, dtype):
    shapes = data.draw(broadcast_shapes(2), label="shapes")
    x = data.draw(array(dtype, shapes[0]), label="x")
    y = data.draw(array(dtype, shapes[1], min_value=0), label="y")  # x ** -n raises in numpy
    a, b = var("a", x), var("b", y)
    check([a, b], [a**b], [x, y])


@settings(max_examples=40)
@given(st.data(), st.sampled_from(ALL_DTYPES), st.sampled_from(ALL_DTYPES),
       st.sampled_from(ALL_DTYPES))  # fmt: skip
def test_switch(data, cond_dtype, d1, d2):
    (c, a, b), feeds = _inputs(data, [cond_dtype, d1, d2])
    check([c, a, b], [pt.switch(c, a, b)], feeds, signed_zeros=True)


@settings(max_examples=30)
@given(st.data(), st.sampled_from(["bool", *INTS]), st.sampled_from(["bool", *INTS]))
def test_bitwise(data, d1, d2):
    assume((d1 == "bool") == (d2 == "bool"))  # PyTensor refuses bool with integers
    assume(not _exact_uint64_compare(d1, d2))  # float64: refused (test_elementwise_logic.py)
    (a, b), feeds = _inputs(data, [d1, d2])
    check([a, b], [a & b, a | b, a ^ b, ~a], feeds)


@settings(max_examples=30)
@given(st.data(), st.sampled_from(NUMERIC))
def test_clip(data, dtype):
    (a, lo, hi), feeds = _inputs(data, [dtype, dtype, dtype])
    check([a, lo, hi], [pt.clip(a, lo, hi)], feeds, signed_zeros=dtype in FLOATS)


def _inward(bound: float, dtype: str) -> float:
    """``bound`` rounded toward zero to a value of ``dtype`` (hypothesis wants exact bounds)."""
    value = np.array(bound, dtype)
    if abs(float(value)) > abs(bound):
        value = np.nextafter(value, np.array(0, dtype))
    return float(value)


@settings(max_examples=40)
@given(st.data(), st.sampled_from(ALL_DTYPES), st.sampled_from(ALL_DTYPES))
def test_cast(data, src, dst):
    assume(not (src == "float64" and dst == "float16"))  # refused, tested elsewhere
    shape = data.draw(broadcast_shapes(1), label="shape")[0]
    if src in FLOATS and dst not in FLOATS and dst != "bool":
        # Out-of-range float → integer conversion is undefined behaviour (C and numpy).
        info = np.iinfo(dst)
        lo = _inward(max(float(info.min), -60000.0), src)
        hi = _inward(min(float(info.max), 60000.0), src)
        x = data.draw(array(src, shape, special=False, min_value=lo, max_value=hi), label="x")
    else:
        x = data.draw(array(src, shape), label="x")
    a = var("a", x)
    check([a], [pt.cast(a, dst)], [x], signed_zeros=dst in FLOATS)


@settings(max_examples=25)
@given(st.data(), st.sampled_from(ALL_DTYPES), st.sampled_from(ALL_DTYPES))
def test_second_and_predicates(data, d1, d2):
    (a, b), feeds = _inputs(data, [d1, d2])
    outs = [pt.second(a, b), pt.second(b, a)]
    if d1 in FLOATS:
        outs += [pt.isnan(a), pt.isinf(a)]
    check([a, b], outs, feeds, signed_zeros=True)
