"""Reductions end to end (Sum, Prod, Max, Min, All, Any, and Mean/Var/Std as PyTensor's graphs
of them): PyTensor graph → ONNX → ONNX Runtime, checked against PyTensor and the IR
interpreter. Arg-reductions, scans and sorting, the softmax family and property-based tests
live in the sibling ``test_reductions_*.py`` files, which share the helpers here."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import Mode
from pytensor.scalar import basic as ps
from pytensor.tensor.elemwise import CAReduce
from pytensor.tensor.math import ProdWithoutZeros

from compiler import CompileResult
from compiler.errors import UnsupportedOpError
from compiler.frontend import import_fgraph
from compiler.verify import compare_outputs
from ir.interpreter import run_module
from ir.printer import print_module
from tests.helpers import compile_checked, fgraph_of
from tests.lowering.util import assert_signed_zeros_match

FAST_RUN = Mode(linker="py", optimizer="fast_run")
#: PyTensor's C backend, Python where an op has no C code (the Python ``perform`` of CumOp
#: ignores the declared dtype of narrow integers and bool).
C_LINKER = Mode(linker="cvm", optimizer=None)
RNG = np.random.default_rng(0)

# -- shared helpers -------------------------------------------------------------------------------


def tensor(name: str, dtype: str, shape: Sequence[int | None]):
    return pt.tensor(name, dtype=dtype, shape=tuple(shape))


def ordered(result: CompileResult, feeds: Sequence[np.ndarray]) -> list[np.ndarray]:
    by_name = result.input_feeds(list(feeds), {})
    return [by_name[n] for n in result.input_names]


def assert_close(
    result: CompileResult,
    got: Sequence[np.ndarray],
    want: Sequence[np.ndarray],
    who: str,
    **tolerances,
) -> None:
    report = compare_outputs(result.output_names, got, want, **tolerances)
    assert report.ok, f"{who} differs from PyTensor:\n{report}"


def reference_function(inputs: Sequence, outputs: Sequence, mode=None):
    """PyTensor's function; by default FAST_COMPILE with every op (OpFromGraph inner functions
    too) in its Python implementation: the same numbers as its C code, without compiling C
    modules for every new inner graph (minutes on a cold cache)."""
    if mode is not None:
        return pytensor.function(list(inputs), list(outputs), mode=mode)
    with pytensor.config.change_flags(cxx=""):
        return pytensor.function(list(inputs), list(outputs), mode="FAST_COMPILE")


def check(
    inputs: Sequence,
    outputs: Sequence,
    *feed_sets: Sequence[np.ndarray],
    mode=None,
    fgraph=None,
    **tolerances,
) -> CompileResult:
    """Compile once; for each set of feeds, ONNX Runtime and the IR interpreter match PyTensor
    (``mode``, FAST_COMPILE by default) with the dtype's tolerance: same dtype and shape,
    NaN and inf in the same places, integers and bools exact."""
    fgraph = fgraph or fgraph_of(inputs, outputs)
    result = compile_checked(fgraph)
    fn = reference_function(inputs, outputs, mode)
    for feeds in feed_sets:
        want = [np.asarray(w) for w in fn(*feeds)]
        args = ordered(result, feeds)
        assert_close(result, result.run(*args), want, "ONNX Runtime", **tolerances)
        assert_close(result, run_module(result.module, args), want, "the interpreter", **tolerances)
    return result


def check_fast_run(inputs: Sequence, outputs: Sequence, *feed_sets: Sequence[np.ndarray]):
    """The graph PyTensor's fast_run rewrites make (inplace ops and Composites included)
    compiles and matches what PyTensor computes with it."""
    fn = pytensor.function(list(inputs), list(outputs), mode=FAST_RUN)
    result = compile_checked(fn.maker.fgraph)
    for feeds in feed_sets:
        want = [np.asarray(w) for w in fn(*feeds)]
        args = ordered(result, feeds)
        assert_close(result, result.run(*args), want, "ONNX Runtime")
        assert_close(result, run_module(result.module, args), want, "the interpreter")
    return fn.maker.fgraph


def refused(inputs: Sequence, outputs: Sequence) -> str:
    """The text of the UnsupportedOpError compiling the graph raises."""
    with pytest.raises(UnsupportedOpError) as info:
        compile_checked(fgraph_of(inputs, outputs))
    return str(info.value)


def ir_text(inputs: Sequence, outputs: Sequence) -> str:
    return print_module(import_fgraph(fgraph_of(inputs, outputs)))


def data(shape: Sequence[int], dtype: str, low: int = -100, high: int = 100) -> np.ndarray:
    if dtype == "bool":
        return RNG.integers(0, 2, shape).astype(bool)
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        return RNG.integers(max(low, info.min), min(high, info.max), shape, endpoint=True).astype(
            dtype
        )
    return RNG.standard_normal(shape).astype(dtype)


# -- the IR the frontend writes -------------------------------------------------------------------


def test_import_float32_sum_accumulates_in_float64():
    x = tensor("x", "float32", (2, 3))
    assert ir_text([x], [x.sum(axis=1)]) == (
        "func @main(%x: f32[2, 3]) {\n"
        "  %0 = tir.cast %x {to = f64} : f64[2, 3]\n"
        "  %1 = tir.reduce_sum %0 {axes = [1], keepdims = false} : f64[2]\n"
        "  %2 = tir.cast %1 {to = f32} : f32[2]\n"
        '  return %2 : "output_0"\n'
        "}\n"
    )


def test_import_int8_prod_and_max_keep_pytensor_dtypes():
    x = tensor("x", "int8", (2, 3))
    text = ir_text([x], [x.prod(), x.max(axis=0)])
    assert "tir.cast %x {to = i64} : i64[2, 3]" in text
    assert "tir.reduce_prod %1 {axes = [0, 1], keepdims = false} : i64[]" in text
    assert "tir.reduce_max %x {axes = [0], keepdims = false} : i8[3]" in text  # no accumulator


def test_import_sum_with_explicit_dtype_casts_back():
    x = tensor("x", "int16", (4,))
    text = ir_text([x], [x.sum(dtype="int8")])  # accumulates in int64, then wraps to int8
    assert "tir.cast %x {to = i64}" in text
    assert "tir.cast %1 {to = i8} : i8[]" in text


# -- Sum, Prod, Max, Min, All, Any over every kind of axis ----------------------------------------

AXES = [0, 1, -1, (0, 2), (2, 0), (-3, -1), (0, 1, 2), None]


@pytest.mark.parametrize(
    "dtype", ["float32", "float64", "float16", "int8", "uint8", "int64", "uint32", "bool"]
)
def test_careduce_ops_over_every_axis_choice(dtype):
    x = tensor("x", dtype, (2, None, 4))  # static and symbolic dims
    outs = []
    for axis in AXES:
        keep = axis in (1, (0, 2), None)
        outs += [
            x.sum(axis=axis, keepdims=keep),
            x.prod(axis=axis),
            x.max(axis=axis),
            x.min(axis=axis, keepdims=keep),
            x.all(axis=axis),
            x.any(axis=axis),
        ]
    high = 3 if dtype not in ("float32", "float64", "float16") else 100
    check([x], outs, [data((2, 3, 4), dtype, low=-3, high=high)])


@pytest.mark.parametrize("dtype", ["float32", "int8", "bool"])
def test_careduce_ops_on_size_1_dims_and_0d(dtype):
    x = tensor("x", dtype, (1, None, 1))
    s = tensor("s", dtype, ())
    outs = [
        x.sum(axis=0),
        x.prod(axis=(0, 2)),
        x.max(axis=2, keepdims=True),
        x.min(axis=-1),
        x.all(axis=0),
        x.any(),
        s.sum(),
        s.prod(),
        s.max(),
        s.min(),
        s.all(),
        s.any(),
    ]
    check([x, s], outs, [data((1, 3, 1), dtype, -5, 5), data((), dtype, -5, 5)])


def test_careduce_with_empty_axis_tuple_is_a_cast():
    x = tensor("x", "float32", (None, 3))
    outs = [x.sum(axis=()), x.prod(axis=(), dtype="float64"), x.max(axis=())]
    check([x], outs, [data((2, 3), "float32")])


def test_bare_careduce_of_add_and_maximum():
    x = tensor("x", "int16", (None, None))
    outs = [CAReduce(ps.add, axis=(1,))(x), CAReduce(ps.maximum, axis=None)(x)]
    check([x], outs, [data((3, 5), "int16", -30000, 30000)])


# -- the accumulator dtype -------------------------------------------------------------------------


def test_float32_sum_is_accumulated_in_float64():
    """1 + 4096 * 2**-24: in float32, one addition after another, every 2**-24 is lost; in
    float64 the sum is 1 + 2**-12, which float32 holds. A float32 ReduceSum may get either."""
    x = tensor("x", "float32", (None,))
    feeds = np.full(4097, 2.0**-24, dtype="float32")
    feeds[0] = 1.0
    fn = pytensor.function([x], x.sum(), mode="FAST_COMPILE")
    assert fn(feeds) == np.float32(1 + 2.0**-12)
    check([x], [x.sum(), x.mean()], [feeds])


def test_float16_sum_and_prod_accumulate_in_float32():
    x = tensor("x", "float16", (None, None))
    feeds = np.full((2, 3000), 1.0, dtype="float16")  # 3000 > 2048: float16 alone stops at 2048
    check([x], [x.sum(axis=1), x.prod(axis=0), x.mean(axis=1)], [feeds])


def test_integer_sums_accumulate_in_64_bits():
    i8, u8, b = (
        tensor("i8", "int8", (None,)),
        tensor("u8", "uint8", (None,)),
        tensor("b", "bool", (None,)),
    )
    outs = [i8.sum(), u8.sum(), b.sum(), i8.prod(), u8.prod(), b.prod()]
    assert [o.dtype for o in outs] == ["int64", "uint64", "int64", "int64", "uint64", "int64"]
    feeds = [np.full(600, 127, "int8"), np.full(600, 255, "uint8"), np.ones(600, bool)]
    check([i8, u8, b], outs, feeds)


def test_sum_with_narrow_output_dtype_wraps_after_accumulating():
    x = tensor("x", "int16", (None,))
    y = tensor("y", "float64", (None,))
    outs = [
        x.sum(dtype="int8"),
        x.sum(acc_dtype="float64"),
        y.sum(dtype="float32"),
        x.prod(dtype="uint8"),
    ]
    check([x, y], outs, [np.array([300, 300, -7, 1000], "int16"), data((50,), "float64")])


# -- integers: exact and wrapping, where ONNX Runtime's ReduceSum/ReduceProd are not -------------

BIG = np.array(
    [
        [2**62, -(2**63), 5, 2**31 + 7],
        [2**62 + 1, 2**62 + 3, 2**40 + 1, 3],
        [2**53 + 1, 2**53 + 3, 2**53 + 5, -1],
        [-5, 7, 2**32 + 1, 2**32 + 3],
    ],
    dtype="int64",
)


def test_int64_sum_and_prod_are_exact_and_wrap():
    """ONNX Runtime 1.31 sums int64 through double (2**53 + 1 + ... loses its low bits) and
    saturates overflowing products at 2**63 - 1; numpy (and the model) wrap exactly."""
    x = tensor("x", "int64", (None, None))
    outs = [x.sum(axis=0), x.sum(axis=1), x.sum(), x.prod(axis=0), x.prod(axis=1), x.prod()]
    fn = pytensor.function([x], outs[1], mode="FAST_COMPILE")
    assert fn(BIG)[2] == 3 * 2**53 + 8  # the exact sum, beyond double's precision
    check([x], outs, [BIG], [BIG[:3, :1]], [BIG[:0]], [BIG[:, :0]])


def test_int32_accumulator_wraps():
    x = tensor("x", "int32", (None,))
    info = np.iinfo("int32")
    feeds = np.array([info.max, 1, info.max, info.min, -1, 3], "int32")
    check([x], [x.sum(acc_dtype="int32"), x.prod(acc_dtype="int32"), x.sum()], [feeds])


def test_uint64_reductions_above_2_63():
    x = tensor("x", "uint64", (None, None))
    feeds = np.array(
        [[2**64 - 1, 2**63, 5], [2**63 - 1, 2**63 + 1, 0], [3, 2**32 + 1, 2**40]], dtype="uint64"
    )
    outs = [x.sum(axis=0), x.prod(axis=1), x.max(axis=1), x.min(axis=0), x.max(), x.min()]
    check([x], outs, [feeds], [feeds[:1]])


# -- empty reductions ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "int8", "uint16", "int64", "uint64", "bool"])
def test_empty_reductions(dtype):
    """Sum 0, Prod 1, All True, Any False; Max/Min with initial give the dtype's extremes
    (without initial PyTensor raises)."""
    x = tensor("x", dtype, (None, None))
    outs = [
        x.sum(axis=0),
        x.sum(),
        x.prod(axis=(0, 1)),
        x.prod(axis=0),
        x.all(axis=0),
        x.any(axis=0),
        x.all(),
        x.any(),
        pt.max(x, axis=0, initial=-np.inf),
        pt.min(x, axis=0, initial=np.inf),
    ]
    if dtype != "bool":  # PyTensor's min of bool with initial is ~max(~x): bool ~ is not.
        outs.append(pt.min(x, axis=None, initial=np.inf))
    check([x], outs, [data((0, 3), dtype)], [data((2, 0), dtype)[:, :0]])


def test_max_with_initial_on_non_empty_input():
    x = tensor("x", "float32", (None, None))
    feeds = np.array([[1.0, np.nan, -np.inf], [-np.inf, -np.inf, -np.inf]], "float32")
    check([x], [pt.max(x, axis=1, initial=-np.inf), pt.min(x, axis=0, initial=np.inf)], [feeds])


# -- NaN, infinities and signed zeros ---------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_max_and_min_propagate_nan(dtype):
    x = tensor("x", dtype, (None, None))
    feeds = np.array(
        [[np.nan, 1.0, 2.0], [3.0, -np.inf, np.inf], [-0.0, -0.0, -0.0], [np.nan, np.nan, np.nan]],
        dtype,
    )
    outs = [x.max(axis=1), x.min(axis=1), x.max(axis=0), x.min(), x.sum(axis=1), x.prod(axis=1)]
    result = check([x], outs, [feeds])
    got = result.run(feeds)[0]
    assert np.signbit(got[2]), "max of -0.0 values is -0.0"


def test_signed_zeros_of_sums_and_products():
    """numpy's sum starts from +0.0 (a sum of -0.0s is +0.0; ORT's is -0.0); products keep
    the sign."""
    x = tensor("x", "float64", (None, None))
    f = tensor("f", "float32", (None, None))
    feeds = np.array([[-0.0, -0.0], [-0.0, 0.0], [-0.0, 1.0], [1.0, -1.0]])
    outs = [x.sum(axis=1), x.prod(axis=1), f.sum(axis=1), f.prod(axis=1), x.sum(axis=()), f.sum()]
    fgraph = fgraph_of([x, f], outs)
    check([x, f], outs, [feeds, feeds.astype("float32")], fgraph=fgraph)
    assert_signed_zeros_match(fgraph, [feeds, feeds.astype("float32")])


def test_all_and_any_of_numbers_compare_with_zero():
    x = tensor("x", "float32", (None, None))
    feeds = np.array([[0.0, -0.0, np.nan], [1.0, 2.0, 3.0]], "float32")
    check([x], [x.all(axis=1), x.any(axis=1), x.all(), x.any(axis=0)], [feeds])


# -- ProdWithoutZeros (in the gradient of prod) ----------------------------------------------------


def test_prod_without_zeros():
    """The product of the nonzero elements; an all-zero group gives its last zero (C order over
    the reduced axes, sign included); an empty one +0."""
    x = tensor("x", "float64", (None, None, None))
    i = tensor("i", "int8", (None, None))
    feeds = np.zeros((2, 3, 4))
    feeds[1, 2, 0] = feeds[0, 1, 1] = -0.0
    feeds[:, :, 2] = [[1.5, 0.0, -2.0], [np.nan, 3.0, 0.0]]
    feeds[0, 0, 3] = 7.0
    outs = [ProdWithoutZeros(axis=axis)(x) for axis in [(0, 1), (2,), (1, 2), None, ()]]
    outs.append(ProdWithoutZeros(axis=(1,))(i))
    int_feeds = np.array([[0, 3, 0, -2], [0, 0, 0, 0], [100, 100, 1, 0]], "int8")
    result = check([x, i], outs, [feeds, int_feeds], [np.zeros((2, 0, 3)), int_feeds[:, :0]])
    got = result.run(feeds, int_feeds)[0]
    assert list(np.signbit(got[:2])) == [True, False]  # -0.0 is the last of group (1, 2)


def test_gradient_of_prod():
    x = tensor("x", "float32", (None, None))
    g = pytensor.grad(x.prod(), x), pytensor.grad(x.prod(axis=1).sum(), x)
    feeds = np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, -4.0]], "float32")
    check([x], g, [feeds], [feeds[2:]])


# -- symbolic dims: one model, several sizes -----------------------------------------------------


def test_symbolic_dims_run_at_two_sizes():
    x = tensor("x", "int64", (None, None))
    f = tensor("f", "float32", (None, None))
    outs = [
        x.sum(axis=1),
        x.prod(axis=0),
        x.prod(),
        x.max(axis=0),
        f.sum(axis=0),
        f.prod(),
        f.max(axis=1, keepdims=True),
        f.mean(axis=0),
    ]
    result = check(
        [x, f], outs, [BIG, data((4, 3), "float32")], [BIG[:1, :3], data((1, 5), "float32")]
    )
    assert all(isinstance(d, str) for a in result.module.func.args for d in a.shape)


def test_integer_product_over_a_long_symbolic_axis():
    x = tensor("x", "int32", (None,))
    feeds = data((1000,), "int32", -3, 3)
    feeds[feeds == 0] = 1
    check(
        [x], [x.prod(), x.prod(acc_dtype="int32")], [feeds], [feeds[:1]], [feeds[:0]], [feeds[:37]]
    )


# -- Mean, Var, Std (graphs of Sum and elementwise ops) -------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "bool"])
def test_mean_var_std(dtype):
    x = tensor("x", dtype, (None, None, None))
    outs = [
        x.mean(),
        x.mean(axis=1),
        x.mean(axis=(0, 2), keepdims=True),
        x.var(axis=0),
        x.var(axis=(1, 2), ddof=1),
        x.std(axis=-1),
        x.std(keepdims=True),
    ]
    check([x], outs, [data((2, 3, 4), dtype, -100, 100)], [data((1, 2, 5), dtype, -3, 3)])


def test_fast_run_graphs_of_reductions():
    x = tensor("x", "float32", (None, None))
    i = tensor("i", "int8", (None, None))
    u = tensor("u", "uint8", (None,))
    outs = [
        x.mean(axis=1),
        x.var(axis=0),
        x.std(),
        pt.exp(x).sum(axis=1),
        (x**2).sum(),
        x.max(axis=0) - x.min(axis=0),
        i.min(),
        i.all(),
        x.any(axis=1),
        i.mean(),
        u.min(),
        u.sum(),
        pt.prod(x, axis=1, no_zeros_in_input=True),
    ]
    fgraph = check_fast_run(
        [x, i, u], outs, [data((3, 4), "float32"), data((3, 4), "int8"), data((5,), "uint8")]
    )
    names = {type(n.op).__name__ for n in fgraph.apply_nodes}
    assert {"Sum", "Max", "Min", "All", "Any", "Prod"} <= names
