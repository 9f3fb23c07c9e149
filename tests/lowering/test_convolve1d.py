"""pytensor.tensor.signal.convolve1d (numpy.convolve; the Blockwise of Convolve1d) end to end:
"valid", "full" and "same" modes, static and run-time lengths (either operand the longer),
batch axes, float16/32/64 (ONNX Conv, or for float64 its window taps), integers (exact,
wrapping) and bool, and inf/NaN where numpy multiplies no padding. ONNX Runtime and the IR
interpreter against PyTensor."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.scalar as ps
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.tensor.blockwise import Blockwise
from pytensor.tensor.signal import convolve1d
from pytensor.tensor.signal.conv import Convolve1d

from compiler import UnsupportedOpError
from compiler.frontend import import_fgraph
from ir.printer import print_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of

MODES = ("valid", "full", "same")
INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def values(shape, dtype: str, seed: int = 0) -> np.ndarray:
    """Floats around ±10, integers over the dtype's whole range (products wrap), bools."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in INTS:
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    return (rng.standard_normal(shape) * 10).astype(dtype)


def op_types(fgraph) -> list[str]:
    return [node.op_type for node in compile_checked(fgraph).to_onnx().graph.node]


def check(inputs, outputs, *feed_sets) -> list[str]:
    """ONNX Runtime and the interpreter against PyTensor on each feed set; the ONNX op types."""
    fgraph = fgraph_of(inputs, outputs)
    for feeds in feed_sets:
        assert_matches_pytensor(fgraph, list(feeds))
    return op_types(fgraph)


# -- floats: ONNX Conv ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("length", [1, 2, 3, 4])
def test_constant_kernel_is_one_conv(mode, length):
    """A finite constant kernel: one Conv in every mode ("same" pads folded into it), also
    where the run-time signal is shorter than the kernel ("valid": numpy swaps them)."""
    x = pt.tensor("x", dtype="float32", shape=(None,))
    kernel = pt.constant(values((length,), "float32", seed=length))
    out = convolve1d(x, kernel, mode=mode)
    feeds = [[values((9,), "float32")], [values((length,), "float32")]]
    if mode != "same" and length > 1:
        feeds.append([values((length - 1,), "float32")])
    kinds = check([x], [out], *feeds)
    assert kinds.count("Conv") == 1
    assert "Pad" not in kinds and "Concat" not in kinds and "ReduceSum" not in kinds


@pytest.mark.parametrize("dtype", ["float64", "float16"])
@pytest.mark.parametrize("mode", MODES)
def test_constant_kernel_float64_and_float16(dtype, mode):
    """float64: ONNX Runtime has no float64 Conv, the lowering sums window taps; float16:
    computed in float32 and rounded once, as numpy's float16 dot."""
    x = pt.tensor("x", dtype=dtype, shape=(None,))
    kernel = pt.constant(values((3,), dtype, seed=1))
    check([x], [convolve1d(x, kernel, mode=mode)], [values((8,), dtype)], [values((2,), dtype)])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_run_time_kernel_of_static_length(mode, dtype):
    x = pt.tensor("x", dtype=dtype, shape=(None,))
    k = pt.tensor("k", dtype=dtype, shape=(3,))
    out = convolve1d(x, k, mode=mode)
    feeds = [values((7,), dtype), values((3,), dtype, 1)]
    short = [values((2,), dtype), values((3,), dtype, 2)]
    kinds = check([x, k], [out], feeds, short if mode != "same" else feeds)
    # The signal may be the shorter operand (even in "same" mode, when it is empty): a Conv
    # would multiply padding by a kernel that may hold inf or NaN. Gathered windows instead.
    assert "Conv" not in kinds and "Einsum" not in kinds


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_same_mode_of_an_empty_signal(dtype):
    """PyTensor pads an empty signal to k - 1 zeros, shorter than the kernel: numpy swaps them
    and returns 2 zeros."""
    x = pt.tensor("x", dtype=dtype, shape=(None,))
    out = convolve1d(x, pt.constant(np.array([1, 2, 3], dtype)), mode="same")
    empty = np.zeros(0, dtype)
    np.testing.assert_array_equal(pytensor.function([x], out, mode="FAST_COMPILE")(empty), [0, 0])
    check([x], [out], [empty], [values((5,), dtype)])


@pytest.mark.parametrize("mode", MODES)
def test_static_lengths_either_operand_longer(mode):
    a = pt.tensor("a", dtype="float32", shape=(3,))
    b = pt.tensor("b", dtype="float32", shape=(7,))
    outs = [convolve1d(a, b, mode=mode), convolve1d(b, a, mode=mode)]
    check([a, b], outs, [values((3,), "float32"), values((7,), "float32", 1)])


@pytest.mark.parametrize("mode", MODES)
def test_run_time_lengths_of_both_operands(mode):
    a = pt.tensor("a", dtype="float32", shape=(None,))
    b = pt.tensor("b", dtype="float32", shape=(None,))
    out = convolve1d(a, b, mode=mode)
    check(
        [a, b],
        [out],
        [values((7,), "float32"), values((3,), "float32", 1)],
        [values((2,), "float32"), values((5,), "float32", 1)],
        [values((4,), "float32"), values((4,), "float32", 1)],
    )


def test_non_finite_values_where_numpy_multiplies_no_padding():
    """numpy.convolve([1, 2, 3], [inf, 1]) is [inf, inf, inf, 3]: the last output never
    meets the inf. A zero-padded Conv would make it NaN."""
    x = pt.tensor("x", dtype="float64", shape=(None,))
    k = pt.tensor("k", dtype="float64", shape=(2,))
    kc = pt.constant(np.array([np.inf, 1.0]))
    outs = [convolve1d(x, k, mode="full"), convolve1d(x, kc, mode="full")]
    outs += [convolve1d(k, x, mode="valid"), convolve1d(x, k, mode="same")]
    feeds = [np.array([1.0, 2.0, 3.0]), np.array([np.inf, 1.0])]
    want = pytensor.function([x, k], outs[0], mode="FAST_COMPILE")(*feeds)
    np.testing.assert_array_equal(want, [np.inf, np.inf, np.inf, 3.0])
    check([x, k], outs, feeds, [np.array([np.nan, 1.0, -np.inf]), np.array([1.0, np.nan])])
    check([x, k], outs, [np.array([1.0]), np.array([-np.inf, np.nan])])


# -- batch axes (the Blockwise) ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_batched_signals_and_kernels(mode):
    """One kernel for many signals (the conv's batch), one per signal (groups), many kernels
    for one signal (output channels), and broadcasting batch axes of both."""
    x = pt.tensor("x", dtype="float32", shape=(4, None))
    k = pt.tensor("k", dtype="float32", shape=(4, 3))
    s = pt.tensor("s", dtype="float32", shape=(1, None))
    b = pt.tensor("b", dtype="float32", shape=(2, 1, None))
    c = pt.tensor("c", dtype="float32", shape=(1, 3, 2))
    shared_kernel = pt.constant(values((3,), "float32", seed=5))
    outs = [
        convolve1d(x, shared_kernel, mode=mode),
        convolve1d(x, k, mode=mode),
        convolve1d(s, k, mode=mode),
        convolve1d(b, c, mode=mode),
    ]
    feeds = [values((4, 6), "float32"), values((4, 3), "float32", 1)]
    feeds += [values((1, 5), "float32", 2), values((2, 1, 7), "float32", 3)]
    feeds += [values((1, 3, 2), "float32", 4)]
    check([x, k, s, b, c], outs, feeds)


def test_batch_of_run_time_size_in_both_operands():
    """Groups of run-time count cannot be a Conv: gathered windows."""
    x = pt.tensor("x", dtype="float32", shape=(None, None))
    k = pt.tensor("k", dtype="float32", shape=(None, 3))
    outs = [convolve1d(x, k, mode=mode) for mode in MODES]
    check([x, k], outs, [values((3, 8), "float32"), values((3, 3), "float32", 1)])


# -- integers and bool: exact ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", INTS)
def test_integers_are_exact_and_wrap(dtype):
    x = pt.tensor("x", dtype=dtype, shape=(None,))
    k = pt.tensor("k", dtype=dtype, shape=(None,))
    s = pt.tensor("s", dtype=dtype, shape=(6,))
    outs = [convolve1d(x, k, mode=mode) for mode in MODES]
    outs += [convolve1d(s, pt.constant(values((3,), dtype, 9)), mode=mode) for mode in MODES]
    check(
        [x, k, s],
        outs,
        [values((9,), dtype), values((4,), dtype, 1), values((6,), dtype, 2)],
        [values((2,), dtype, 3), values((5,), dtype, 4), values((6,), dtype, 5)],
    )


def test_bool_is_an_or_of_ands():
    x = pt.tensor("x", dtype="bool", shape=(None,))
    k = pt.tensor("k", dtype="bool", shape=(3,))
    outs = [convolve1d(x, k, mode=mode) for mode in MODES]
    feeds = [np.array([True, False, False, False, True, False]), np.array([False, True, True])]
    check([x, k], outs, feeds, [values((9,), "bool"), values((3,), "bool", 1)])


def test_mixed_dtypes_convert_to_the_result_dtype():
    i = pt.tensor("i", dtype="int8", shape=(None,))
    f = pt.tensor("f", dtype="float32", shape=(3,))
    j = pt.tensor("j", dtype="int32", shape=(None,))
    u = pt.tensor("u", dtype="uint8", shape=(2,))
    outs = [convolve1d(i, f), convolve1d(j, f, mode="same"), convolve1d(i, u, mode="valid")]
    assert [o.dtype for o in outs] == ["float32", "float64", "int16"]
    feeds = [values((6,), "int8"), values((3,), "float32", 1)]
    feeds += [values((5,), "int32", 2), values((2,), "uint8", 3)]
    check([i, f, j, u], outs, feeds)


# -- what the IR and the model look like -----------------------------------------------------------


def test_import_same_mode_pads_the_conv():
    x = pt.tensor("x", dtype="float32", shape=(16,))
    kernel = pt.constant(np.array([1.0, 2.0, 4.0, 8.0], "float32"))
    text = print_module(import_fgraph(fgraph_of([x], [convolve1d(x, kernel, mode="same")])))
    assert text.count("tir.conv") == 1
    assert "tir.pad %" in text and "pads = [0, 0, 0, 2, 0, 0, 0, 1]" in text


def test_integer_windows_are_one_gather():
    x = pt.tensor("x", dtype="int64", shape=(None,))
    kinds = op_types(fgraph_of([x], [convolve1d(x, pt.constant(np.arange(5)), mode="full")]))
    assert kinds.count("Gather") <= 2 and "Conv" not in kinds and len(kinds) < 30


def test_run_time_mode_is_refused():
    x = pt.tensor("x", dtype="float32", shape=(None,))
    flag = ps.bool("flag")
    out = Blockwise(Convolve1d())(x, pt.constant(np.ones(3, "float32")), flag)
    with pytest.raises(UnsupportedOpError, match=r"convolve1d with a mode \(full_mode\) known"):
        compile_checked(fgraph_of([x, flag], [out]))


# -- property --------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    dtype=st.sampled_from(["float32", "float64", "int8", "int64", "uint16", "bool"]),
    mode=st.sampled_from(MODES),
    n=st.integers(1, 7),
    k=st.integers(1, 7),
)
def test_convolve1d_property(data, dtype, mode, n, k):
    batch = data.draw(st.sampled_from([(), (2,), (1,)]))
    kernel_batch = data.draw(st.sampled_from([(), batch, (1,) * len(batch)]))
    static = data.draw(st.sampled_from(["both", "signal", "kernel", "neither"]))
    constant_kernel = data.draw(st.booleans())
    x_shape, k_shape = (*batch, n), (*kernel_batch, k)
    x_static = x_shape if static in ("both", "signal") else (*batch, None)
    x = pt.tensor("x", dtype=dtype, shape=x_static)
    xv, kv = values(x_shape, dtype, seed=n), values(k_shape, dtype, seed=k)
    if constant_kernel:
        inputs, feeds, kernel = [x], [xv], pt.constant(kv)
    else:
        k_static = k_shape if static in ("both", "kernel") else (*kernel_batch, None)
        kernel = pt.tensor("k", dtype=dtype, shape=k_static)
        inputs, feeds = [x, kernel], [xv, kv]
    check(inputs, [convolve1d(x, kernel, mode=mode)], feeds)
