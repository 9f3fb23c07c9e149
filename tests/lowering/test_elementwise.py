"""Elementwise arithmetic end to end: PyTensor graph → ONNX → ONNX Runtime, checked against
PyTensor (FAST_COMPILE) and the IR interpreter. Float functions, logic/selection/casts and
property-based tests live in the sibling ``test_elementwise_*.py`` files."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import Mode

from tests.helpers import compile_checked, fgraph_of
from tests.lowering.util import FLOATS, INTS, SIGNED, check, var

# -- add, mul, sub, true_div ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtypes", "expected"),
    [
        (("int8", "float32", "int64"), "float64"),  # int64 with float32 needs float64
        (("int8", "float32", "uint8"), "float32"),
        (("uint8", "int16", "bool"), "int16"),
        (("bool", "bool", "bool"), "bool"),
        (("uint64", "int64", "int8"), "float64"),
        (("float16", "int8", "float16"), "float16"),
        (("uint32", "int8", "uint16"), "int64"),
    ],
)
def test_add_and_mul_of_three_mixed_inputs(dtypes, expected):
    rng = np.random.default_rng(0)
    # Small integers: every sum and product is exact in every dtype involved, so the order of
    # evaluation cannot matter; bool inputs exercise logical or / and.
    feeds = [
        (rng.integers(0, 2, (2, 3)) if d == "bool" else rng.integers(0, 6, (2, 3))).astype(d)
        for d in dtypes
    ]
    feeds[1] = feeds[1][0]  # broadcast (3,) against (2, 3)
    a, b, c = (var(n, f) for n, f in zip("abc", feeds, strict=True))
    s, p = pt.add(a, b, c), pt.mul(a, b, c)
    assert s.dtype == p.dtype == expected
    check([a, b, c], [s, p, pt.add(c, a, b), pt.mul(b, b, a)], feeds)


def test_three_input_add_converts_every_operand_first():
    """add(bool, bool, int8) is int8. PyTensor FAST_COMPILE evaluates it as (a + b) + c with
    a + b in bool (logical or: True + True + 0 gives 1); its Numba and C backends, the IR and
    the model convert every operand to int8 first (2). Reference: PyTensor with the casts
    written out."""
    p = np.array([True, True, False, True])
    q = np.array([True, False, False, True])
    r = np.array([0, 5, -3, -1], "int8")
    a, b, c = var("a", p), var("b", q), var("c", r)
    out = pt.add(a, b, c)
    assert out.dtype == "int8"
    got = compile_checked(fgraph_of([a, b, c], [out])).run(p, q, r)[0]
    explicit = pt.add(pt.cast(a, "int8"), pt.cast(b, "int8"), c)
    want = pytensor.function([a, b, c], explicit, mode="FAST_COMPILE")(p, q, r)
    np.testing.assert_array_equal(want, [2, 6, -3, 1])
    np.testing.assert_array_equal(got, want)
    fast_compile = pytensor.function([a, b, c], out, mode="FAST_COMPILE")(p, q, r)
    assert fast_compile[0] == 1  # PyTensor's Python backend (remove when PyTensor agrees)


def test_add_and_mul_wrap_around_like_numpy():
    x = np.array([127, -128, 100, -100], dtype="int8")
    y = np.array([1, -1, 100, 3], dtype="int8")
    u = np.array([255, 0, 200, 16], dtype="uint8")
    a, b, c = var("a", x), var("b", y), var("c", u)
    check([a, b, c], [a + b, a * b, pt.add(a, b, a), pt.mul(a, b, b), c + c, c * c], [x, y, u])


def test_add_mul_sub_of_special_floats():
    for dtype in FLOATS:
        x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1.5, -0.0, np.inf], dtype)
        y = np.array([-np.inf, -np.inf, 1.0, -0.0, -0.0, -1.5, 0.0, 1.0], dtype)
        a, b = var("a", x), var("b", y)
        check([a, b], [a + b, a * b, a - b, pt.add(a, b, b)], [x, y], signed_zeros=True)


@pytest.mark.parametrize("dtype", [*INTS, *FLOATS])
def test_sub(dtype):
    if dtype in FLOATS:
        x = np.array([1.5, -2.25, 1e4, 0.0, np.inf], dtype)
        y = np.array([0.5, 2.25, -3.0, 0.0, np.inf], dtype)
    else:
        info = np.iinfo(dtype)
        x = np.array([info.min, info.max, 0, 5, 7], dtype)
        y = np.array([1, info.max, 1, 9, 7], dtype)  # wraps below min, and for unsigned 0 - 1
    a, b = var("a", x), var("b", y)
    check([a, b], [a - b, b - a], [x, y])


@pytest.mark.parametrize(
    ("dx", "dy", "expected"),
    [
        ("int8", "int8", "float64"),
        ("int64", "uint64", "float64"),
        ("uint16", "bool", "float64"),
        ("int16", "float32", "float32"),
        ("float16", "float16", "float16"),
        ("float32", "float64", "float64"),
    ],
)
def test_true_div(dx, dy, expected):
    x = np.array([7, -3, 0, 5, 0, 100], dtype="int64")
    y = np.array([2, 4, 3, 0, 0, 7], dtype="int64")
    if dx.startswith("u") or dx == "bool":
        x = np.abs(x)
    if dy.startswith("u") or dy == "bool":
        y = np.abs(y)
    x, y = x.astype(dx), y.astype(dy)
    a, b = var("a", x), var("b", y)
    assert (a / b).dtype == expected
    check([a, b], [a / b], [x, y])  # includes x / 0 (inf) and 0 / 0 (NaN)


# -- floor division and modulo --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", INTS)
def test_int_div_and_mod_round_toward_minus_infinity(dtype):
    info = np.iinfo(dtype)
    values = [v for v in (-7, -6, -1, 0, 1, 6, 7, info.min, info.max, info.min + 1)
              if info.min <= v <= info.max]  # fmt: skip
    divisors = [v for v in (-3, -2, -1, 1, 2, 3, info.max, info.min) if info.min <= v <= info.max]
    x = np.repeat(np.array(values, dtype), len(divisors))
    y = np.tile(np.array(divisors, dtype), len(values))  # includes INT_MIN // -1 (wraps)
    a, b = var("a", x), var("b", y)
    check([a, b], [a // b, a % b], [x, y])


@pytest.mark.parametrize("dtype", [*INTS, "bool"])
def test_integer_division_by_zero_gives_zero_like_pytensor(dtype):
    """numpy (PyTensor FAST_COMPILE) gives 0 for integer x // 0 and x % 0; ONNX Runtime would
    trap (SIGFPE) on a zero divisor and on INT_MIN // -1, so the lowering keeps both away."""
    x = (np.array([0, 1, 1, 0]) if dtype == "bool" else np.array([5, 0, 1, 3])).astype(dtype)
    if dtype in SIGNED:
        x = np.array([5, 0, -7, np.iinfo(dtype).min], dtype)
    y = np.zeros(4, dtype)
    a, b = var("a", x), var("b", y)
    ref = pytensor.function([a, b], [a // b, a % b], mode="FAST_COMPILE")(x, y)
    assert all(not r.any() for r in ref), "PyTensor itself no longer gives 0"
    check([a, b], [a // b, a % b], [x, y])


def test_int_div_and_mod_of_mixed_dtypes():
    x = np.array([-7, 7, -128, 5], "int8")
    y = np.array([2, 250, 3, 7], "uint8")  # int8 with uint8 computes in int16
    z = np.array([-2.5, 0.75, 1.0, -3.0], "float32")  # int8 with float32 computes in float32
    a, b, c = var("a", x), var("b", y), var("c", z)
    assert (a // b).dtype == "int16" and (a % c).dtype == "float32"
    check([a, b, c], [a // b, a % b, a // c, a % c, c // a], [x, y, z])


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_floor_div_and_mod_follow_numpy(dtype):
    """numpy's floor_divide is not floor(x / y): 1.0 // 0.1 is 9.0 (floor(1/0.1) = 10), and
    inf // y is NaN; mod takes y's sign, zeros included; x // 0.0 is x / 0.0."""
    specials = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.1, -0.1, 3.0, -7.5, 1e-30]
    x = np.repeat(np.array(specials), len(specials)).astype(dtype)
    y = np.tile(np.array(specials), len(specials)).astype(dtype)
    rng = np.random.default_rng(1)
    x = np.concatenate([x, rng.normal(0, 100, 200).astype(dtype)])
    y = np.concatenate([y, rng.normal(0, 3, 200).astype(dtype)])
    a, b = var("a", x), var("b", y)
    check([a, b], [a // b, a % b], [x, y], signed_zeros=True)


# -- neg, abs, sqr, sign --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [*INTS, *FLOATS])
def test_neg_abs_sqr(dtype):
    if dtype in FLOATS:
        x = np.array([0.0, -0.0, 1.5, -2.5, np.inf, -np.inf, np.nan, 3e-5], dtype)
    else:
        info = np.iinfo(dtype)
        # -INT_MIN and abs(INT_MIN) wrap to INT_MIN; -x of unsigned wraps to 2**n - x.
        x = np.array([0, 1, 2, info.max, info.min, info.min + 1, 100 % info.max], dtype)
    a = var("a", x)
    check([a], [-a, abs(a), pt.sqr(a)], [x], signed_zeros=True)


def test_abs_of_int8_minimum_is_itself():
    x = np.array([-128, -127, 127], "int8")
    a = var("a", x)
    got = compile_checked(fgraph_of([a], [abs(a)])).run(x)[0]
    want = pytensor.function([a], abs(a), mode="FAST_COMPILE")(x)
    assert want[0] == -128
    np.testing.assert_array_equal(got, want)
    check([a], [abs(a)], [x])


@pytest.mark.parametrize("dtype", [*INTS, *FLOATS])
def test_sign(dtype):
    if dtype in FLOATS:
        x = np.array([np.nan, 0.0, -0.0, 2.5, -2.5, np.inf, -np.inf, 1e-30], dtype)
    else:
        info = np.iinfo(dtype)
        x = np.array([0, 1, info.max, info.min, 7], dtype)
    a = var("a", x)
    check([a], [pt.sign(a)], [x])


# -- pow ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_pow_of_floats(dtype):
    base = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, np.inf, -np.inf, np.nan, 3.0, 10.0]
    expo = [0.0, -0.0, 1.0, -1.0, 2.0, 3.0, 0.5, -0.5, np.inf, -np.inf, np.nan, 1.5]
    x = np.repeat(np.array(base), len(expo)).astype(dtype)
    y = np.tile(np.array(expo), len(base)).astype(dtype)
    a, b = var("a", x), var("b", y)
    check([a, b], [a**b], [x, y], signed_zeros=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pow_with_one_exponent_of_one_half_is_sqrt_like_numpy(dtype):
    """numpy's float power loop takes sqrt for a broadcast exponent 0.5 (so (-inf) ** 0.5 is
    NaN and (-0.0) ** 0.5 is -0.0, where C's pow gives +inf and +0.0)."""
    x = np.array([-np.inf, -0.0, 0.0, -4.0, 4.0, np.inf, np.nan, 2.0], dtype)
    e = np.array([0.5], dtype)
    a, b = var("a", x), var("b", e)
    check([a, b], [a**0.5, a**b, pt.sqrt(a)], [x, e], signed_zeros=True)
    check([a, b], [a**b], [x, np.array([2.0], dtype)])


@pytest.mark.parametrize("dtype", INTS)
def test_pow_of_integers_wraps_like_numpy(dtype):
    """numpy multiplies in the integer type (wrapping); ORT's integer Pow goes through double."""
    info = np.iinfo(dtype)
    base = [v for v in (0, 1, 2, 3, 7, -1, -2, -3, info.max, info.min) if info.min <= v <= info.max]
    expo = [v for v in (0, 1, 2, 3, 10, 31, 40, 63, 64, 127, info.max) if v <= info.max]
    x = np.repeat(np.array(base, dtype), len(expo))
    y = np.tile(np.array(expo, dtype), len(base))
    a, b = var("a", x), var("b", y)
    # Constant exponents are unrolled at compile time: check those paths too.
    consts = [a ** np.array(k, dtype) for k in (0, 1, 2, 3, 5, 13)]
    check([a, b], [a**b, *consts], [x, y])


def test_pow_of_bool_and_mixed_dtypes():
    p = np.array([True, False, True, False])
    q = np.array([True, True, False, False])
    i = np.array([3, -2, 5, 0], "int16")
    f = np.array([0.5, 2.0, -1.0, 3.0], "float32")
    a, b, c, d = var("a", p), var("b", q), var("c", i), var("d", f)
    assert (a**b).dtype == "int8"
    check([a, b, c, d], [a**b, c**d, d**c, c ** np.int8(3)], [p, q, i, f])


# -- maximum, minimum, clip -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["bool", *INTS, *FLOATS])
def test_maximum_minimum(dtype):
    if dtype in FLOATS:
        x = np.array([np.nan, 1.0, np.nan, -0.0, 0.0, np.inf, -np.inf, 2.0], dtype)
        y = np.array([1.0, np.nan, np.nan, 0.0, -0.0, 3.0, 5.0, -2.0], dtype)
    elif dtype == "bool":
        x, y = np.array([0, 0, 1, 1], bool), np.array([0, 1, 0, 1], bool)
    else:
        info = np.iinfo(dtype)
        x = np.array([info.min, info.max, 0, 5], dtype)
        y = np.array([info.max, info.min, 1, 5], dtype)
    a, b = var("a", x), var("b", y)
    check([a, b], [pt.maximum(a, b), pt.minimum(a, b)], [x, y])


def test_int64_maximum_minimum_sign_clip_beyond_32_bits():
    """ORT 1.31's int64 Max, Min, Sign and Clip kernels get values from 2**31 up wrong (Max of
    2**31 and 0 is 0); the lowering avoids them."""
    rng = np.random.default_rng(5)
    x = np.concatenate([[2**31, -(2**31) - 1, 2**32 + 5, 3 * 2**31, 2**40, -(2**33)],
                        rng.integers(-(2**34), 2**34, 200)]).astype("int64")  # fmt: skip
    y = np.concatenate([[0, 0, -1, 2**31, -5, 7], rng.integers(-(2**34), 2**34, 200)])
    y = y.astype("int64")
    a, b = var("a", x), var("b", y)
    s = var("s", np.array(0, "int64"))
    outs = [pt.maximum(a, b), pt.minimum(a, b), pt.maximum(a, s), pt.minimum(s, a), pt.sign(a),
            pt.clip(a, np.int64(-(2**32)), np.int64(2**32))]  # fmt: skip
    check([a, b, s], outs, [x, y, np.array(0, "int64")])
    z = var("z", np.array(2**31, "int64"))  # 0-d: ONNX Clip with scalar bounds
    check([z], [pt.clip(z, np.int64(0), np.int64(2**32)), pt.sign(z)], [np.array(2**31, "int64")])


@pytest.mark.parametrize("dtype", [*INTS, *FLOATS])
def test_clip_with_scalar_bounds(dtype):
    if dtype in FLOATS:
        x = np.array([np.nan, -np.inf, np.inf, -3.0, -1.0, -0.0, 0.0, 0.5, 2.0, 7.0], dtype)
        lo, hi = np.array(-1.0, dtype), np.array(2.0, dtype)
    else:
        info = np.iinfo(dtype)
        x = np.array([info.min, info.max, 0, 1, 2, 3, 9], dtype)
        lo, hi = np.array(1, dtype), np.array(3, dtype)
    a = var("a", x)
    s = var("s", x[0])  # 0-d: ONNX Clip with scalar bounds
    outs = [pt.clip(a, lo, hi), pt.clip(a, hi, lo)]  # lo > hi: PyTensor's x < lo ? lo : ...
    check([a], outs, [x])
    for v in x:
        check([s], [pt.clip(s, lo, hi), pt.clip(s, hi, lo), pt.clip(s, lo, lo)], [np.array(v)])


@pytest.mark.parametrize("dtype", ["int16", "uint16", "uint64", "float32", "float64"])
def test_clip_with_tensor_bounds(dtype):
    rng = np.random.default_rng(2)
    x = rng.integers(0, 20, (3, 4)).astype(dtype)
    lo = rng.integers(0, 20, (4,)).astype(dtype)
    hi = rng.integers(0, 20, (3, 1)).astype(dtype)  # some lo > hi
    a, b, c = var("a", x), var("b", lo), var("c", hi)
    check([a, b, c], [pt.clip(a, b, c)], [x, lo, hi])


def test_clip_with_signed_zero_and_nan_bounds():
    x = np.array([-1.0, -0.0, 0.0, 1.0, np.nan, 0.25], "float64")
    lo = np.array([-0.0, 0.0, -0.0, np.nan, 0.0, -0.0], "float64")
    hi = np.array([-0.0, -0.0, 0.0, 0.0, 1.0, np.nan], "float64")
    a, b, c = var("a", x), var("b", lo), var("c", hi)
    check([a, b, c], [pt.clip(a, b, c), pt.clip(a, -0.0, 0.5), pt.clip(a, -0.5, -0.0)],
          [x, lo, hi], signed_zeros=True)  # fmt: skip


def test_clip_of_mixed_dtypes():
    x = np.array([-5, 0, 3, 100], "int8")
    lo = np.array([-1.5], "float32")
    a, b = var("a", x), var("b", lo)
    out = pt.clip(a, b, np.int16(50))
    assert out.dtype == "float32"
    check([a, b], [out], [x, lo])


def test_unsigned_negation_wraps():
    x = np.array([0, 1, 255, 128], "uint8")
    y = np.array([0, 1, 2**64 - 1, 2**63], "uint64")
    a, b = var("a", x), var("b", y)
    check([a, b], [-a, -b], [x, y])


def test_zero_minus_unsigned_follows_the_graph_not_pytensors_rewrite():
    """int8 0 - uint8 x is int16 (0, -1, -255, ...). PyTensor's rewrites (FAST_COMPILE, NUMBA)
    turn it into cast(neg(x)), which wraps in uint8 first (0, 255, 1, ...): a PyTensor bug.
    The compiled model follows the graph, i.e. PyTensor without rewrites."""
    x = np.array([0, 1, 255, 128], "uint8")
    a = var("a", x)
    out = 0 - a
    assert out.dtype == "int16"
    got = compile_checked(fgraph_of([a], [out])).run(x)[0]
    literal = pytensor.function([a], out, mode=Mode(linker="py", optimizer=None))(x)
    np.testing.assert_array_equal(literal, [0, -1, -255, -128])
    np.testing.assert_array_equal(got, literal)
    assert got.dtype == literal.dtype
