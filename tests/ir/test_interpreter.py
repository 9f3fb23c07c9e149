"""The interpreter on small programs, compared with numpy computed directly in the test."""

from __future__ import annotations

import numpy as np
import pytest

from ir.interpreter import InterpreterError, run_module
from ir.parser import parse_module
from ir.verifier import verify_module


def _run(text: str, *inputs: np.ndarray) -> list[np.ndarray]:
    module = parse_module(text)
    verify_module(module)
    return run_module(module, list(inputs))


def _assert_same(actual: np.ndarray, expected: np.ndarray) -> None:
    """Same dtype, shape and values (NaN equal to NaN, and the sign of zeros counts)."""
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)
    if expected.dtype.kind == "f":
        mask = ~np.isnan(expected)
        np.testing.assert_array_equal(np.signbit(actual[mask]), np.signbit(expected[mask]))


# -- dimshuffle --------------------------------------------------------------------------------


def test_dimshuffle_transpose() -> None:
    text = """\
func @main(%x: f32[2, 3, 4]) {
  %0 = tir.dimshuffle %x {order = [2, 0, 1]} : f32[4, 2, 3]
  return %0 : "y"
}
"""
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    (y,) = _run(text, x)
    _assert_same(y, np.transpose(x, (2, 0, 1)))


def test_dimshuffle_augment() -> None:
    text = """\
func @main(%x: i16[2, 3]) {
  %0 = tir.dimshuffle %x {order = ["x", 0, "x", 1, "x"]} : i16[1, 2, 1, 3, 1]
  return %0 : "y"
}
"""
    x = np.array([[1, -2, 3], [4, 5, -6]], dtype=np.int16)
    (y,) = _run(text, x)
    _assert_same(y, x[None, :, None, :, None])


def test_dimshuffle_augment_scalar() -> None:
    text = """\
func @main(%x: f64[]) {
  %0 = tir.dimshuffle %x {order = ["x", "x"]} : f64[1, 1]
  return %0 : "y"
}
"""
    (y,) = _run(text, np.array(2.5))
    _assert_same(y, np.array([[2.5]]))


def test_dimshuffle_drop() -> None:
    text = """\
func @main(%x: f32[1, 3, 1]) {
  %0 = tir.dimshuffle %x {order = [1]} : f32[3]
  return %0 : "y"
}
"""
    x = np.array([[[1.0], [2.0], [3.0]]], dtype=np.float32)
    (y,) = _run(text, x)
    _assert_same(y, np.array([1.0, 2.0, 3.0], dtype=np.float32))


def test_dimshuffle_drop_transpose_and_augment() -> None:
    text = """\
func @main(%x: f32[2, 1, 3]) {
  %0 = tir.dimshuffle %x {order = [2, "x", 0]} : f32[3, 1, 2]
  return %0 : "y"
}
"""
    x = np.arange(6, dtype=np.float32).reshape(2, 1, 3)
    (y,) = _run(text, x)
    _assert_same(y, np.transpose(x[:, 0, :], (1, 0))[:, None, :])


# -- implicit casts ----------------------------------------------------------------------------


def test_implicit_cast_int8_constant_times_float32() -> None:
    text = """\
func @main(%x: f32[3]) {
  %0 = tir.constant dense<-3> : i8[]
  %1 = tir.mul %0, %x : f32[3]
  return %1 : "y"
}
"""
    x = np.array([1.5, -0.25, 1e38], dtype=np.float32)
    (y,) = _run(text, x)
    _assert_same(y, np.float32(-3.0) * x)


def test_implicit_cast_mixed_ints_promote_without_wrapping() -> None:
    text = """\
func @main(%x: u8[3]) {
  %0 = tir.constant dense<-1> : i8[]
  %1 = tir.mul %x, %0 : i16[3]
  return %1 : "y"
}
"""
    x = np.array([200, 255, 0], dtype=np.uint8)
    (y,) = _run(text, x)
    _assert_same(y, np.array([-200, -255, 0], dtype=np.int16))


def test_implicit_cast_variadic_add_computes_in_upcast_dtype() -> None:
    text = """\
func @main(%a: f16[2], %b: f16[2], %c: f32[2]) {
  %0 = tir.add %a, %b, %c : f32[2]
  return %0 : "y"
}
"""
    # in float16, 2048 + 1 rounds back to 2048; computed in float32 it is exact
    a = np.array([2048, 1], dtype=np.float16)
    b = np.array([1, 2], dtype=np.float16)
    c = np.array([0, 0.5], dtype=np.float32)
    (y,) = _run(text, a, b, c)
    _assert_same(y, np.array([2049.0, 3.5], dtype=np.float32))


@pytest.mark.parametrize(("dtype", "short"), [("int32", "i32"), ("int64", "i64"), ("int8", "i8")])
def test_implicit_cast_int_div_int_is_float64(dtype: str, short: str) -> None:
    text = f"""\
func @main(%x: {short}[5], %y: {short}[5]) {{
  %0 = tir.div %x, %y : f64[5]
  return %0 : "q"
}}
"""
    x = np.array([7, -7, 1, 1, 0], dtype=dtype)
    y = np.array([2, 2, 3, 0, 0], dtype=dtype)
    (q,) = _run(text, x, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = x.astype(np.float64) / y.astype(np.float64)
    _assert_same(q, expected)
    assert q[0] == 3.5 and q[1] == -3.5 and q[3] == np.inf and np.isnan(q[4])


def test_implicit_cast_bool_div_bool_is_float64() -> None:
    text = """\
func @main(%x: bool[2], %y: bool[2]) {
  %0 = tir.div %x, %y : f64[2]
  return %0 : "q"
}
"""
    (q,) = _run(text, np.array([True, True]), np.array([True, False]))
    _assert_same(q, np.array([1.0, np.inf]))


def test_implicit_cast_int_exp_is_float() -> None:
    text = """\
func @main(%a: i16[2], %b: i64[2]) {
  %0 = tir.exp %a : f32[2]
  %1 = tir.exp %b : f64[2]
  return %0, %1 : "a", "b"
}
"""
    a = np.array([0, 1], dtype=np.int16)
    b = np.array([0, 1], dtype=np.int64)
    ea, eb = _run(text, a, b)
    _assert_same(ea, np.exp(np.array([0, 1], dtype=np.float32)))
    _assert_same(eb, np.exp(np.array([0, 1], dtype=np.float64)))


# -- comparisons -------------------------------------------------------------------------------


def test_comparisons_give_bool() -> None:
    text = """\
func @main(%x: f32[4], %y: i32[4]) {
  %0 = tir.lt %x, %y : bool[4]
  %1 = tir.le %x, %y : bool[4]
  %2 = tir.gt %x, %y : bool[4]
  %3 = tir.ge %x, %y : bool[4]
  %4 = tir.eq %x, %y : bool[4]
  %5 = tir.ne %x, %y : bool[4]
  %6 = tir.isnan %x : bool[4]
  %7 = tir.isinf %x : bool[4]
  return %0, %1, %2, %3, %4, %5, %6, %7 : "lt", "le", "gt", "ge", "eq", "ne", "nan", "inf"
}
"""
    x = np.array([1.0, np.nan, 3.5, -np.inf], dtype=np.float32)
    y = np.array([1, 1, 4, -5], dtype=np.int32)
    got = _run(text, x, y)
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    expected = [
        xd < yd, xd <= yd, xd > yd, xd >= yd, xd == yd, xd != yd, np.isnan(x), np.isinf(x),
    ]  # fmt: skip
    for g, e in zip(got, expected, strict=True):
        _assert_same(g, e)
    _assert_same(got[0], np.array([False, False, True, True]))
    _assert_same(got[5], np.array([False, True, True, True]))


def test_comparisons_compare_in_upcast_dtype() -> None:
    text = """\
func @main(%x: i64[2], %y: f64[2]) {
  %0 = tir.eq %x, %y : bool[2]
  return %0 : "eq"
}
"""
    # int64 2**53 + 1 becomes 2**53 in float64
    x = np.array([2**53 + 1, 3], dtype=np.int64)
    y = np.array([2.0**53, 3.0])
    (eq,) = _run(text, x, y)
    _assert_same(eq, np.array([True, True]))


# -- rounding ----------------------------------------------------------------------------------


def test_round_half_away_from_zero_float32() -> None:
    text = """\
func @main(%x: f32[14]) {
  %0 = tir.round_half_away_from_zero %x : f32[14]
  return %0 : "y"
}
"""
    x = np.array(
        [0.5, -0.5, 2.5, -2.5, 1.5, -1.5, 0.49999997, -0.49999997, -0.0,
         np.inf, -np.inf, np.nan, 8388609.0, 1.4999999],
        dtype=np.float32,
    )  # fmt: skip
    expected = np.array(
        [1.0, -1.0, 3.0, -3.0, 2.0, -2.0, 0.0, -0.0, -0.0,
         np.inf, -np.inf, np.nan, 8388609.0, 1.0],
        dtype=np.float32,
    )  # fmt: skip
    (y,) = _run(text, x)
    _assert_same(y, expected)


def test_round_half_away_from_zero_float64_ties() -> None:
    text = """\
func @main(%x: f64[9]) {
  %0 = tir.round_half_away_from_zero %x : f64[9]
  return %0 : "y"
}
"""
    x = np.array([0.5, -0.5, 2.5, -2.5, 0.4, -0.0, np.inf, np.nan, -3.5])
    (y,) = _run(text, x)
    _assert_same(y, np.array([1.0, -1.0, 3.0, -3.0, 0.0, -0.0, np.inf, np.nan, -4.0]))


def test_round_half_away_from_zero_follows_pytensor_formula() -> None:
    """The interpreter rounds as PyTensor does, x > 0 ? floor(x + 0.5) : ceil(x - 0.5) in
    float64: the addition rounds (just below a half goes up, odd integers above 2**52 move),
    and +0.0 gives -0.0."""
    text = """\
func @main(%x: f64[5], %s: f32[1]) {
  %0 = tir.round_half_away_from_zero %x : f64[5]
  %1 = tir.round_half_away_from_zero %s : f32[1]
  return %0, %1 : "y", "z"
}
"""
    x = np.array([0.49999999999999994, -0.49999999999999994, 4503599627370497.0, 0.25, 0.0])
    y, z = _run(text, x, np.array([0.0], dtype=np.float32))
    _assert_same(y, np.array([1.0, -1.0, 4503599627370498.0, 0.0, -0.0]))
    _assert_same(z, np.array([-0.0], dtype=np.float32))


def test_round_half_to_even() -> None:
    text = """\
func @main(%x: f16[6]) {
  %0 = tir.round_half_to_even %x : f16[6]
  return %0 : "y"
}
"""
    x = np.array([0.5, 1.5, 2.5, -2.5, -0.5, 3.25], dtype=np.float16)
    (y,) = _run(text, x)
    _assert_same(y, np.array([0.0, 2.0, 2.0, -2.0, -0.0, 3.0], dtype=np.float16))


# -- integer division and modulo ---------------------------------------------------------------


@pytest.mark.parametrize(("dtype", "short"), [("int32", "i32"), ("int64", "i64"), ("int8", "i8")])
def test_int_div_and_mod_floor_semantics(dtype: str, short: str) -> None:
    text = f"""\
func @main(%x: {short}[6], %y: {short}[6]) {{
  %0 = tir.int_div %x, %y : {short}[6]
  %1 = tir.mod %x, %y : {short}[6]
  return %0, %1 : "q", "r"
}}
"""
    x = np.array([7, -7, 7, -7, 0, -1], dtype=dtype)
    y = np.array([2, 2, -2, -2, 3, 3], dtype=dtype)
    q, r = _run(text, x, y)
    _assert_same(q, np.array([3, -4, -4, 3, 0, -1], dtype=dtype))
    _assert_same(r, np.array([1, 1, -1, -1, 0, 2], dtype=dtype))
    # Python's identity x == q * y + r holds
    np.testing.assert_array_equal(q.astype(np.int64) * y + r, x)


def test_mod_float_takes_sign_of_divisor() -> None:
    text = """\
func @main(%x: f32[4], %y: f32[4]) {
  %0 = tir.mod %x, %y : f32[4]
  return %0 : "r"
}
"""
    x = np.array([5.5, -5.5, 5.5, -5.5], dtype=np.float32)
    y = np.array([2, 2, -2, -2], dtype=np.float32)
    (r,) = _run(text, x, y)
    _assert_same(r, np.array([1.5, 0.5, -0.5, -1.5], dtype=np.float32))


# -- shape and input checks --------------------------------------------------------------------

SHAPED = """\
func @main(%x: f32[batch, 3]) {
  %0 = tir.neg %x : f32[batch, 3]
  return %0 : "y"
}
"""


@pytest.mark.parametrize("batch", [0, 1, 5])
def test_shape_symbolic_dim_takes_any_size(batch: int) -> None:
    x = np.ones((batch, 3), dtype=np.float32)
    (y,) = _run(SHAPED, x)
    _assert_same(y, -x)


@pytest.mark.parametrize("shape", [(2, 4), (2, 1), (3,), (2, 3, 1), ()])
def test_shape_wrong_static_dim_or_rank_fails(shape: tuple[int, ...]) -> None:
    with pytest.raises(InterpreterError, match=rf"run-time shape \({', '.join(map(str, shape))}"):
        _run(SHAPED, np.ones(shape, dtype=np.float32))


def test_shape_error_names_the_argument() -> None:
    with pytest.raises(InterpreterError) as info:
        _run(SHAPED, np.ones((2, 4), dtype=np.float32))
    message = "<Value x: f32[batch, 3]>: run-time shape (2, 4) does not match its type"
    assert str(info.value) == message


def test_shape_wrong_stored_result_type_fails_at_run_time() -> None:
    text = """\
func @main(%x: f32[2, 3]) {
  %0 = tir.transpose %x {perm = [1, 0]} : f32[2, 3]
  return %0 : "y"
}
"""
    module = parse_module(text)  # the verifier would refuse it; the interpreter must too
    with pytest.raises(InterpreterError, match=r"run-time shape \(3, 2\) does not match"):
        run_module(module, [np.ones((2, 3), dtype=np.float32)])


def test_input_wrong_dtype_fails() -> None:
    with pytest.raises(InterpreterError, match="input x must be float32, got float64"):
        _run(SHAPED, np.ones((2, 3)))


def test_input_wrong_count_fails() -> None:
    with pytest.raises(InterpreterError, match="expected 1 inputs, got 2"):
        _run(SHAPED, np.ones((2, 3), np.float32), np.ones((2, 3), np.float32))


def test_inputs_by_name() -> None:
    module = parse_module(SHAPED)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    (y,) = run_module(module, {"x": x})
    _assert_same(y, -x)
    with pytest.raises(InterpreterError, match=r"missing inputs \['x'\]"):
        run_module(module, {"z": x})
