"""Float functions end to end (exp/log families, trig and hyperbolic, sigmoid, softplus, erf,
rounding), checked against PyTensor (FAST_COMPILE) through ONNX Runtime (float64 inverse trig
and erf, which ONNX Runtime cannot run, are swept in test_special_*.py)."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from tests.helpers import compile_checked, fgraph_of, ort_outputs
from tests.lowering.util import FLOATS, SPECIAL_FLOATS, check, var


def _values(dtype: str, *extra: float) -> np.ndarray:
    rng = np.random.default_rng(3)
    finfo = np.finfo(dtype)
    base = [*SPECIAL_FLOATS, *extra, float(finfo.max), float(-finfo.max), float(finfo.tiny),
            float(finfo.smallest_subnormal), 2.0, -3.0, 10.0, -10.0]  # fmt: skip
    with np.errstate(over="ignore"):
        out = np.concatenate([np.array(base, "float64"), rng.normal(0, 4, 40)]).astype(dtype)
    return out


# -- exp and log families --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_exp_family(dtype):
    x = _values(dtype, 1e-10, -1e-10, 1e-5, 20.0, -20.0, 88.0, 89.0, -104.0, 709.0, 710.0, -745.0)
    a = var("a", x)
    check([a], [pt.exp(a), pt.exp2(a), pt.expm1(a)], [x], signed_zeros=True)


@pytest.mark.parametrize("dtype", FLOATS)
def test_expm1_near_zero_keeps_relative_accuracy(dtype):
    tiny = {"float16": [1e-4, -1e-4, 6e-8], "float32": [1e-10, -1e-10, 1e-7, 1e-30],
            "float64": [1e-10, -1e-10, 1e-17, 1e-300, 5e-324]}[dtype]  # fmt: skip
    x = np.array([*tiny, 0.0, -0.0, 1e-3, -1e-3], dtype)
    a = var("a", x)
    # The check is relative: exp(x) - 1 would be 0 or wrong in every digit here.
    check([a], [pt.expm1(a)], [x], signed_zeros=True)


@pytest.mark.parametrize("dtype", FLOATS)
def test_log_family(dtype):
    x = _values(dtype, 1e-10, 2.0, 8.0, 1000.0, 1e-3, -1.0 + 1e-3, 0.99999, 1.00001)
    a = var("a", x)
    check([a], [pt.log(a), pt.log2(a), pt.log10(a), pt.log1p(a), pt.sqrt(a),
                pt.reciprocal(a)], [x], signed_zeros=True)  # fmt: skip


@pytest.mark.parametrize("dtype", FLOATS)
def test_log1p_near_zero_keeps_relative_accuracy(dtype):
    tiny = {"float16": [1e-4, -1e-4, 6e-8], "float32": [1e-10, -1e-10, 1e-7, 1e-30],
            "float64": [1e-10, -1e-10, 1e-17, 1e-300, 5e-324]}[dtype]  # fmt: skip
    x = np.array([*tiny, 0.0, -0.0, -1.0, -0.5], dtype)
    a = var("a", x)
    check([a], [pt.log1p(a)], [x], signed_zeros=True)


@pytest.mark.parametrize(("dtype", "expected"), [("int8", "float32"), ("uint16", "float32"),
                                                 ("int32", "float64"), ("uint64", "float64"),
                                                 ("bool", "float32")])  # fmt: skip
def test_float_functions_of_integers_compute_in_the_upgraded_float(dtype, expected):
    x = np.array([0, 1, 2, 3, 100 if dtype != "bool" else 1], dtype)
    a = var("a", x)
    outs = [pt.exp(a), pt.log1p(a), pt.sqrt(a), pt.sin(a), pt.tanh(a), pt.sigmoid(a),
            pt.floor(a), pt.ceil(a), pt.trunc(a)]  # fmt: skip
    assert {o.dtype for o in outs} == {expected}
    check([a], outs, [x])


# -- trig and hyperbolic ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_trig_and_hyperbolic(dtype):
    x = _values(dtype, 1.5707963267948966, -1.5707963267948966, 3.141592653589793, 1e10, 1e-8)
    a = var("a", x)
    outs = [pt.sin(a), pt.cos(a), pt.tan(a), pt.tanh(a), pt.sinh(a), pt.cosh(a)]
    check([a], outs, [x], signed_zeros=True)


def test_float64_sinh_and_cosh_near_overflow():
    """float64 sinh/cosh are built from exp and expm1: exp(|x|) overflows from 709.78 while
    sinh and cosh are finite up to 710.47."""
    x = np.array([22.0, 36.0, 700.0, 709.0, 709.5, 709.9, 710.0, 710.47, 710.48, 711.0, 1e10],
                 "float64")  # fmt: skip
    x = np.concatenate([x, -x, [0.0, -0.0, 1e-300, -5e-324, 1e-8, 0.3, np.nan]])
    a = var("a", x)
    check([a], [pt.sinh(a), pt.cosh(a)], [x], signed_zeros=True)


#: (x, sin x, cos x) from mpmath at 200 bits, next to zeros of sin and cos.
SIN_COS_NEAR_ZEROS = [
    (3.141592653589793, 1.2246467991473532e-16, -1.0),
    (6.283185307179586, -2.4492935982947064e-16, 1.0),
    (9.42477796076938, 3.6739403974420594e-16, -1.0),
    (1.5707963267948966, 1.0, 6.123233995736766e-17),
    (3.14159, 2.65358979335273e-06, -0.9999999999964793),
    (-3.14159, -2.65358979335273e-06, -0.9999999999964793),
    (314.1592653589793, 1.964386723728472e-15, 1.0),
    (157079.63267948964, -1.6980326998151097e-11, 1.0),
    (710.0, 6.0288706691585265e-05, 0.999999998182636),
]


def test_float64_sin_and_cos_keep_relative_accuracy_near_their_zeros():
    """ORT's float64 Sin and Cos reduce coarsely (sin(pi) came out -0.0, sin(3.14159) 4.6e-11
    relative off): the lowering reduces by pi/2 in three parts first, as fdlibm, and is within
    4 ulp of the true value; -0.0 keeps its sign."""
    x, sin, cos = (np.array(c) for c in zip(*SIN_COS_NEAR_ZEROS, strict=True))
    a = pt.vector("a", dtype="float64")
    result = compile_checked(fgraph_of([a], [pt.sin(a), pt.cos(a)]))
    for got_sin, got_cos in ort_outputs(result, [x]).values():
        for got, want in ((got_sin, sin), (got_cos, cos)):
            assert np.all(np.abs(got - want) <= 4 * np.spacing(np.abs(want))), (got, want)
    for got_sin, got_cos in ort_outputs(result, [np.array([-0.0, 0.0])]).values():
        assert list(np.signbit(got_sin)) == [True, False] and list(got_cos) == [1.0, 1.0]


def test_float64_tan_near_its_poles():
    x = np.array([1.5707963267948966, 1.5707963267948963, -1.5707963267948966, 4.71238898038469,
                  1e300, 1e-300, -0.0])  # fmt: skip
    a = var("a", x)
    check([a], [pt.tan(a)], [x], signed_zeros=True)


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_inverse_trig_and_erf(dtype):
    x = _values(dtype, 0.999, -0.999, 1.0000001, 0.3, 5.0)
    a = var("a", x)
    outs = [pt.arcsin(a), pt.arccos(a), pt.arctan(a), pt.arcsinh(a), pt.arccosh(a),
            pt.arctanh(a), pt.erf(a)]  # fmt: skip
    check([a], outs, [x], signed_zeros=True)


# -- sigmoid, softplus -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_and_softplus(dtype):
    x = _values(dtype, -800.0, -100.0, -40.0, -37.5, -36.0, -30.0, -20.0, 11.0, 12.0, 17.9,
                18.0, 18.5, 30.0, 33.2, 33.4, 40.0, 100.0, 800.0, 1e300)  # fmt: skip
    a = var("a", x)
    check([a], [pt.sigmoid(a), pt.softplus(a)], [x], signed_zeros=True)


def test_softplus_of_bool():
    """softplus of bool is float32. PyTensor FAST_COMPILE computes it in float16 (its
    Softplus.impl calls np.exp on Python bools, which numpy evaluates in half precision; its
    Numba backend is accurate), so the reference here is softplus of the float32 cast."""
    x = np.array([[True, False, True]])
    a = var("a", x)
    out = pt.softplus(a)
    assert out.dtype == "float32"
    got = compile_checked(fgraph_of([a], [out])).run(x)[0]
    want = pytensor.function([a], pt.softplus(pt.cast(a, "float32")), mode="FAST_COMPILE")(x)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    fast_compile = pytensor.function([a], out, mode="FAST_COMPILE")(x)
    assert np.abs(fast_compile - want).max() > 1e-4  # PyTensor's float16 (remove when fixed)


def test_silu_pattern():
    x = _values("float32", -100.0, 100.0)
    a = var("a", x)
    check([a], [a * pt.sigmoid(a), pt.sigmoid(a) * a * 2.0], [x])


# -- rounding --------------------------------------------------------------------------------------

TIES = (0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, -1e-8, 0.49999997, -0.49999997, 0.5000001,
        8388609.0, -8388609.5, 1e20, 0.3, -0.3, 0.7, -0.7, 0.0, -0.0)  # fmt: skip


@pytest.mark.parametrize("dtype", FLOATS)
def test_floor_ceil_trunc(dtype):
    x = _values(dtype, *TIES)
    a = var("a", x)
    check([a], [pt.floor(a), pt.ceil(a), pt.trunc(a)], [x], signed_zeros=True)


@pytest.mark.parametrize("dtype", FLOATS)
def test_round_half_to_even_and_away_from_zero(dtype):
    x = _values(dtype, *TIES)
    a = var("a", x)
    outs = [pt.round(a, mode="half_to_even"), pt.round(a, mode="half_away_from_zero")]
    check([a], outs, [x], signed_zeros=True)


def test_float64_round_half_away_from_zero_follows_pytensors_float64_formula():
    """PyTensor (FAST_COMPILE and Numba) rounds float64 as floor(x + 0.5) / ceil(x - 0.5),
    whose addition rounds: 0.49999999999999994 → 1.0 and 2**52 + 1 → 2**52 + 2 (C's round,
    PyTensor's C backend, gives 0.0 and 2**52 + 1). The model follows FAST_COMPILE."""
    x = np.array([0.49999999999999994, -0.49999999999999994, 2.0**52 + 1, -(2.0**52 + 1),
                  2.0**52 + 3, 2.5, -2.5, 0.0, -0.0])  # fmt: skip
    a = var("a", x)
    out = pt.round(a, mode="half_away_from_zero")
    check([a], [out], [x], signed_zeros=True)
    got = compile_checked(fgraph_of([a], [out])).run(x)[0]
    assert got[0] == 1.0 and got[2] == 2.0**52 + 2
