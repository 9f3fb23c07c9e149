"""Basic indexing end to end (Subtensor): integer indices and slices, checked bit for bit
against PyTensor (FAST_COMPILE) in ONNX Runtime and the IR interpreter. Advanced indexing and
writes live in the sibling ``test_indexing_*.py`` files, which share the helpers here."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.compile.mode import Mode

from compiler import CompileResult
from compiler.frontend import import_fgraph
from ir.interpreter import run_module
from ir.printer import print_module
from tests.helpers import compile_checked, fgraph_of
from tests.lowering.util import var

FAST_RUN = Mode(linker="py", optimizer="fast_run")


# -- shared helpers -------------------------------------------------------------------------------


def _ordered(result: CompileResult, feeds: Sequence[np.ndarray]) -> list[np.ndarray]:
    by_name = result.input_feeds(list(feeds), {})
    return [by_name[n] for n in result.input_names]


def assert_same(got: np.ndarray, want: np.ndarray, who: str) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{who}: dtype {got.dtype}, PyTensor {want.dtype}"
    assert got.shape == want.shape, f"{who}: shape {got.shape}, PyTensor {want.shape}"
    np.testing.assert_array_equal(got, want, err_msg=who)


def check_exact(
    inputs: Sequence, outputs: Sequence, *feed_sets: Sequence[np.ndarray], fgraph=None
) -> CompileResult:
    """Compile once; for each set of feeds, ONNX Runtime and the IR interpreter equal PyTensor
    (FAST_COMPILE) exactly: same dtype, shape and values."""
    fgraph = fgraph or fgraph_of(inputs, outputs)
    result = compile_checked(fgraph)
    fn = pytensor.function(list(inputs), list(outputs), mode="FAST_COMPILE")
    for feeds in feed_sets:
        want = fn(*feeds)
        ordered = _ordered(result, feeds)
        ours = {
            "ONNX Runtime": result.run(*ordered),
            "interpreter": run_module(result.module, ordered),
        }
        for who, outs in ours.items():
            for i, (g, w) in enumerate(zip(outs, want, strict=True)):
                assert_same(g, w, f"{who}: output {i}")
    return result


def fast_run_fgraph(inputs: Sequence, outputs: Sequence):
    """The graph PyTensor itself runs after its fast_run rewrites (inplace ops included)."""
    return pytensor.function(list(inputs), list(outputs), mode=FAST_RUN).maker.fgraph


def symbolic_dims(result: CompileResult) -> bool:
    return any(isinstance(d, str) for a in result.module.func.args for d in a.shape)


RNG = np.random.default_rng(0)


def data(shape, dtype="float64") -> np.ndarray:
    if dtype == "bool":
        return RNG.integers(0, 2, shape).astype(bool)
    if np.dtype(dtype).kind in "iu":
        return RNG.integers(0, 100, shape).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


# -- integer indices ------------------------------------------------------------------------------


def test_integer_indices_remove_axes_also_negative():
    x = pt.tensor3("x")
    feeds = [data((3, 4, 5))]
    outs = [x[0], x[-1], x[1, -2], x[-3, 3, -5], x[:, -1], x[:, :, 2], x[1:, -4]]
    check_exact([x], outs, feeds)


def test_symbolic_integer_indices_of_every_integer_dtype():
    x = pt.matrix("x")
    idx = [pt.scalar(f"i_{d}", dtype=d) for d in ("int8", "int16", "int32", "uint8", "int64")]
    outs = [x[i] for i in idx] + [x[1, idx[0]], x[idx[4], idx[3]]]
    feeds = [data((5, 6)), np.int8(-2), np.int16(3), np.int32(-5), np.uint8(4), np.int64(-1)]
    check_exact([x, *idx], outs, feeds)


def test_int8_constant_index():
    x = pt.matrix("x")
    i = pt.constant(np.int8(-1))
    j = pt.constant(np.uint8(2))
    check_exact([x], [x[i], x[i, j], x[1:, j]], [data((3, 4))])


def test_scalar_of_0d_result_and_of_size_1_dims():
    x = pt.tensor("x", shape=(1, 3, 1))
    feeds = [data((1, 3, 1))]
    check_exact([x], [x[0, 1, 0], x[-1, -1, -1], x[0], x[:, 2], x[0, :, 0]], feeds)


def test_bool_and_integer_and_float16_tensors():
    for dtype in ("bool", "int8", "uint16", "int64", "float16", "float32"):
        x = pt.matrix("x", dtype=dtype)
        check_exact([x], [x[1], x[::-1, 1:], x[-1, ::2]], [data((3, 4), dtype)])


# -- slices ---------------------------------------------------------------------------------------


def test_slices_with_constant_bounds_and_steps():
    x = pt.matrix("x")
    feeds = [data((5, 7))]
    outs = [
        x[1:3], x[-3:], x[:-1], x[-100:100], x[3:1], x[::2], x[1::3, ::-1], x[::-1],
        x[::-2], x[-1:0:-1], x[-2::-2], x[3:-10:-1], x[:, -10::-1], x[10:-10:-3],
        x[4:2:-1, 1:-1:2], x[:sys.maxsize], x[: sys.maxsize : -1], x[: 2**31 - 1 : -1],
        x[-(2**31):], x[2**31 - 1 :: -1],
    ]  # fmt: skip
    check_exact([x], outs, feeds)


def test_slice_of_size_0_and_size_1_dims():
    x = pt.tensor("x", shape=(None, 1, None))
    outs = [x[1:], x[::-1], x[:, ::-1], x[:, 1:], x[-1:, :, -5::-1], x[::-2, 0]]
    check_exact([x], outs, [data((0, 1, 3))], [data((2, 1, 0))], [data((3, 1, 4))])


def test_symbolic_slice_bounds_and_steps():
    x = pt.matrix("x")
    a, b, s = pt.lscalar("a"), pt.lscalar("b"), pt.lscalar("s")
    c = pt.scalar("c", dtype="int8")
    outs = [x[a:b], x[a:b:s], x[::s], x[a::s], x[:b:s], x[:, c:], x[c::s, a], x[::c]]
    X = data((6, 5))
    feed_sets = [
        [X, np.int64(a_), np.int64(b_), np.int64(s_), np.int8(c_)]
        for a_, b_, s_, c_ in [
            (1, 4, 1, 2), (-2, -6, -1, -1), (-5, 9, 2, -3), (4, -9, -2, 1),
            # ONNX Runtime reads a stop of INT32_MAX or INT64_MAX as "to the end" (with a
            # negative step: to the beginning); Python clamps it to dim - 1.
            (-1, 2**31 - 1, -1, 1), (2, sys.maxsize, -2, -1), (0, 2**31 - 1, 1, 1),
        ]
    ]  # fmt: skip
    check_exact([x, a, b, s, c], outs, *feed_sets)


def test_0d_input_passes_through_empty_index():
    # x[()] on a 0-d tensor is a Subtensor with no indices.
    x = pt.scalar("x")
    from pytensor.tensor.subtensor import Subtensor

    out = Subtensor(())(x)
    check_exact([x], [out * 2], [np.array(3.5)])


def test_symbolic_dims_compile_once_run_at_two_sizes():
    x = pt.tensor3("x")
    i = pt.lscalar("i")
    outs = [x[1:, -1, ::-2], x[i, :i], x[-2::-1, 1:3, i]]
    result = check_exact(
        [x, i], outs, [data((3, 4, 5)), np.int64(1)], [data((6, 2, 9)), np.int64(-2)]
    )
    assert symbolic_dims(result)


def test_static_shapes_fold_to_static_result_types():
    x = pt.tensor("x", shape=(4, 5))
    result = check_exact([x], [x[1:-1, ::-2], x[-1]], [data((4, 5))])
    assert [o.type.shape for o in result.module.func.outputs] == [(2, 3), (5,)]


def test_fast_run_graph_compiles():
    x = pt.tensor3("x")
    i = pt.lscalar("i")
    outs = [x[1, -2:i:-1], x[i, 2] * 2, x[::2][1:], x[-1][:, 0]]
    fgraph = fast_run_fgraph([x, i], outs)
    check_exact([x, i], outs, [data((4, 5, 6)), np.int64(0)], fgraph=fgraph)


def test_frontend_ir_of_slice_and_integer():
    x = pt.matrix("x")
    text = print_module(import_fgraph(fgraph_of([x], [x[1:, -1]])))
    assert "tir.slice %x, %2, %3, %2 {axes = [0]} : f64[?, x_1]" in text
    assert "tir.gather %4, %1 {axis = 1} : f64[?]" in text


def test_static_set_subtensor_folds_to_one_scatter():
    x = pt.tensor("x", shape=(3, 4))
    y = pt.vector("y")
    result = check_exact([x, y], [pt.set_subtensor(x[1:, -1], y)], [data((3, 4)), data((2,))])
    text = print_module(result.module)
    assert "tir.constant dense<[7, 11]> : i64[2]" in text  # the flat positions of x[1:, -1]
    assert 'reduction = "none", unique = true' in text


def test_step_0_is_refused():
    from compiler import Compiler, UnsupportedOpError

    x = pt.vector("x")
    with pytest.raises(UnsupportedOpError, match="slice step is 0"):
        Compiler().compile(fgraph_of([x], [x[::0]]))


# -- properties -----------------------------------------------------------------------------------

bound = st.one_of(st.none(), st.integers(-7, 7))
step = st.one_of(st.none(), st.integers(-3, 3).filter(lambda s: s != 0))
entry = st.one_of(st.builds(slice, bound, bound, step), st.integers(-7, 6))


@settings(max_examples=25)
@given(
    shape=st.lists(st.integers(0, 4), min_size=1, max_size=3),
    raw=st.lists(entry, min_size=1, max_size=3),
)
def test_property_constant_index_matches_numpy_rules(shape, raw):
    index = tuple(raw[: len(shape)])
    array = data(tuple(shape))
    for axis, e in enumerate(index):  # integer indices in bounds: PyTensor raises otherwise
        if isinstance(e, int) and not -shape[axis] <= e < shape[axis]:
            index = index[:axis] + (slice(None),) + index[axis + 1 :]
    x = var("x", array)
    check_exact([x], [x[index]], [array])


@settings(max_examples=15)
@given(
    shape=st.lists(st.integers(0, 5), min_size=2, max_size=2),
    bounds=st.lists(st.integers(-8, 8), min_size=4, max_size=4),
    steps=st.lists(st.integers(-3, 3).filter(lambda s: s != 0), min_size=2, max_size=2),
)
def test_property_symbolic_bounds_match_python_slicing(shape, bounds, steps):
    x = pt.matrix("x")
    b = [pt.lscalar(f"b{i}") for i in range(4)]
    s = [pt.lscalar(f"s{i}") for i in range(2)]
    outs = [x[b[0] : b[1] : s[0], b[2] : b[3] : s[1]], x[b[0] :: s[0], : b[3] : s[1]]]
    feeds = [data(tuple(shape)), *map(np.int64, bounds), *map(np.int64, steps)]
    check_exact([x, *b, *s], outs, feeds)
