"""Indexed writes end to end: set_subtensor / inc_subtensor of basic indices (IncSubtensor)
and of advanced ones (AdvancedIncSubtensor), where repeated targets take the last write
(set, inc with ignore_duplicates) or accumulate (inc); and the scatter ops' lowering."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import Compiler, UnsupportedOpError
from ir.interpreter import run_module
from ir.parser import parse_module
from lowering import emit_model
from tests.helpers import compile_checked, fgraph_of
from tests.lowering.test_indexing import check_exact, data, fast_run_fgraph, symbolic_dims
from tests.lowering.test_indexing_advanced import advanced_index
from tests.lowering.util import var

I64 = np.int64


# -- basic indices (IncSubtensor) -----------------------------------------------------------------


def test_set_and_inc_of_slices_and_integers_on_ranks_1_to_4():
    cases = [
        ((5,), lambda x: x[1:4], (3,)),
        ((5,), lambda x: x[-1], ()),
        ((5,), lambda x: x[::-2], (3,)),
        ((4, 5), lambda x: x[1:, -2], (3,)),
        ((4, 5), lambda x: x[::-1, 1::2], (4, 2)),
        ((3, 4, 5), lambda x: x[-1, :, 1:-1], (4, 3)),
        ((3, 4, 5), lambda x: x[:, -3::-1, 2], (3, 2)),
        ((2, 3, 4, 5), lambda x: x[1, ::2, -1, -3:], (2, 3)),
    ]
    for shape, index, yshape in cases:
        x = pt.tensor("x", shape=(None,) * len(shape))
        y = pt.tensor("y", shape=(None,) * len(yshape))
        outs = [pt.set_subtensor(index(x), y), pt.inc_subtensor(index(x), y)]
        check_exact([x, y], outs, [data(shape), data(yshape)])


def test_update_broadcasts_into_the_region():
    x = pt.tensor3("x")
    s = pt.scalar("s")
    row = pt.tensor("row", shape=(1, None))
    outs = [
        pt.set_subtensor(x[1:, :, 0], s),
        pt.inc_subtensor(x[:, 1], row),
        pt.set_subtensor(x[0, ::2], 7.0),
        pt.inc_subtensor(x[-1], 1),
    ]
    check_exact([x, s, row], outs, [data((3, 4, 5)), np.float64(2.5), data((1, 5))])


def test_symbolic_bounds_and_dims_compile_once_run_at_two_sizes():
    x = pt.matrix("x")
    y = pt.scalar("y")
    a, b, s = pt.lscalar("a"), pt.lscalar("b"), pt.lscalar("s")
    outs = [
        pt.set_subtensor(x[a, b::s], y),
        pt.inc_subtensor(x[a:b, -1], y),
        pt.set_subtensor(x[::s, a], y),
    ]
    result = check_exact(
        [x, y, a, b, s], outs,
        [data((4, 4)), np.float64(2.0), I64(1), I64(2), I64(1)],
        [data((3, 3)), np.float64(-1.0), I64(-1), I64(2), I64(-3)],
        [data((5, 2)), np.float64(0.5), I64(-2), I64(-9), I64(2)],
    )  # fmt: skip
    assert symbolic_dims(result)


def test_size_0_regions_and_size_0_tensors():
    x = pt.matrix("x")
    y = pt.matrix("y")
    s = pt.scalar("s")
    outs = [pt.set_subtensor(x[2:1], y), pt.inc_subtensor(x[:, 5:], s), pt.set_subtensor(x[1:], s)]
    check_exact([x, y, s], outs, [data((3, 4)), np.zeros((0, 4)), np.float64(1)],
                [data((0, 4)), np.zeros((0, 4)), np.float64(2)])  # fmt: skip


def test_0d_tensor_set_and_inc():
    from pytensor.tensor.subtensor import IncSubtensor

    x, y = pt.scalar("x"), pt.scalar("y")
    outs = [IncSubtensor((), set_instead_of_inc=True)(x, y), IncSubtensor(())(x, y)]
    check_exact([x, y], outs, [np.float64(1.5), np.float64(-4.0)])


def test_mixed_dtypes_follow_numpy_inplace_rules():
    cases = [
        ("float32", "float64"),  # inc in float64, rounded once to float32
        ("float16", "float32"),
        ("int8", "int64"),  # wraps
        ("uint8", "uint16"),
        ("float32", "int32"),
        ("bool", "bool"),  # logical or
        ("int32", "int32"),
    ]
    for xd, yd in cases:
        x = pt.matrix("x", dtype=xd)
        y = pt.vector("y", dtype=yd)
        xs = data((3, 4), xd)
        ys = (RNG.integers(-300, 300, 4) if np.dtype(yd).kind in "iu" else data(4, yd)).astype(yd)
        if xd.startswith("float") and yd.startswith("float"):
            ys = ys * 1e3
        outs = [
            pt.set_subtensor(x[1], y),
            pt.inc_subtensor(x[-1], y),
            pt.inc_subtensor(x[::2, 0], y[0]),
        ]
        check_exact([x, y], outs, [xs, ys])


RNG = np.random.default_rng(5)


def test_set_casts_the_update_to_the_dtype_of_x():
    x = pt.vector("x", dtype="int16")
    y = pt.vector("y", dtype="float64")
    check_exact([x, y], [pt.set_subtensor(x[1:3], y)], [data(5, "int16"), np.array([2.9, -7.6])])


def test_fast_run_graph_with_inplace_writes_compiles():
    x, y = pt.matrix("x"), pt.vector("y")
    v = pt.lvector("v")
    z = pt.inc_subtensor(x[1:, 0], y[1:])
    z = pt.set_subtensor(z[0], y)
    z = pt.inc_subtensor(z[v], y)
    z = pt.set_subtensor(z[v, 1:], 3.0)
    w = pt.inc_subtensor(x[v, 1], 1.0, ignore_duplicates=True) * 2
    fgraph = fast_run_fgraph([x, y, v], [z, w])
    assert any(getattr(n.op, "inplace", False) for n in fgraph.apply_nodes)
    check_exact(
        [x, y, v], [z, w], [data((4, 4)), data((4,)), np.array([0, 2, -4, 2], I64)], fgraph=fgraph
    )


# -- advanced indices (AdvancedIncSubtensor) ------------------------------------------------------


def test_set_with_repeated_indices_takes_the_last_write():
    x = pt.matrix("x")
    v = pt.lvector("v")
    y = pt.vector("y")
    m = pt.matrix("m")
    outs = [pt.set_subtensor(x[v, 0], y), pt.set_subtensor(x[v], m), pt.set_subtensor(x[1, v], y)]
    # -1 and 3 (and -4 and 0) are the same row of a 4-row x.
    index = np.array([1, -1, 3, 1, 0, -4], I64)
    check_exact([x, v, y, m], outs, [data((4, 4)), index, data((6,)), data((6, 4))])


def test_inc_with_repeated_indices_accumulates_in_index_order():
    x = pt.vector("x", dtype="float32")
    v = pt.lvector("v")
    y = pt.vector("y", dtype="float32")
    # Order matters in float32: ((0 + 1e8) + 1) - 1e8 is 0, not 1.
    ys = np.array([1e8, 1.0, -1e8, 3.0, 0.5], "float32")
    index = np.array([2, 2, -1, 0, 0], I64)
    check_exact([x, v, y], [pt.inc_subtensor(x[v], y)], [np.zeros(3, "float32"), index, ys])


def test_inc_ignore_duplicates_is_read_add_then_last_write():
    x = pt.matrix("x")
    v = pt.lvector("v")
    y = pt.matrix("y")
    outs = [
        pt.inc_subtensor(x[v], y, ignore_duplicates=True),
        pt.inc_subtensor(x[:, v], y.T, ignore_duplicates=True),
    ]
    check_exact([x, v, y], outs, [data((3, 3)), np.array([0, 2, 0, -1], I64), data((4, 3))])


def test_many_repeated_targets_are_exact_in_onnx_runtime():
    """ONNX Runtime's ScatterND runs index tuples in parallel: with repeated targets it loses
    adds and picks arbitrary writes. Enough work to be split among threads."""
    x = pt.vector("x", dtype="float32")
    v = pt.lvector("v")
    y = pt.vector("y", dtype="float32")
    n = 200_000
    index = RNG.integers(-64, 64, n).astype(I64)
    ys = (RNG.standard_normal(n) * 1e3).astype("float32")
    outs = [pt.inc_subtensor(x[v], y), pt.set_subtensor(x[v], y)]
    check_exact([x, v, y], outs, [np.zeros(64, "float32"), index, ys])


def test_deprecated_subtensor1_helpers_build_the_general_ops():
    from pytensor.tensor import subtensor as pts

    x, y = pt.matrix("x"), pt.matrix("y")
    v = pt.lvector("v")
    with pytest.warns(FutureWarning):
        outs = [
            pts.advanced_subtensor1(x, v),
            pts.advanced_inc_subtensor1(x, y, v),
            pts.advanced_set_subtensor1(x, y, v),
        ]
    check_exact([x, y, v], outs, [data((3, 2)), data((4, 2)), np.array([2, -1, 0, 2], I64)])


def test_mixed_slices_arrays_and_masks():
    x = pt.tensor3("x")
    a, b = pt.lvector("a"), pt.lmatrix("b")
    m = pt.vector("m", dtype="bool")
    s = pt.scalar("s")
    outs = [
        pt.set_subtensor(x[a, :, b], s),  # a slice between the arrays: broadcast dims first
        pt.inc_subtensor(x[1:, a, ::-1], 1.0),
        pt.inc_subtensor(x[a, 1:, b], pt.ones((2, 3, 3))),
        pt.set_subtensor(x[m], s),
        pt.inc_subtensor(x[m, 0], s),
        pt.inc_subtensor(x[:, m[:4], -1], s),
        pt.set_subtensor(x[x > 0], 0.0),
    ]
    feeds = [
        data((4, 4, 5)), np.array([0, -1, 0], I64), np.array([[1], [-2]], I64),
        np.array([True, False, True, True]), np.float64(-3.0),
    ]  # fmt: skip
    check_exact([x, a, b, m, s], outs, feeds)


def test_arrays_separated_by_slices_after_a_leading_slice():
    x = pt.tensor4("x")
    a, b = pt.lvector("a"), pt.lvector("b")
    y = pt.tensor3("y")  # broadcast dim first, then the two sliced axes
    outs = [
        pt.set_subtensor(x[:, a, :, b], y),
        pt.inc_subtensor(x[1:, a, ::-1, b], y[:, :2]),
        pt.inc_subtensor(x[:, 0, :, b], y),
    ]
    feeds = [data((3, 4, 5, 6)), np.array([0, -1], I64), np.array([5, 1], I64), data((2, 3, 5))]
    check_exact([x, a, b, y], outs, feeds)


def test_advanced_writes_with_size_0_dims_and_empty_indices():
    x = pt.matrix("x")
    v = pt.lvector("v")
    s = pt.scalar("s")
    empty = np.array([], I64)
    outs = [pt.set_subtensor(x[v], s), pt.inc_subtensor(x[v, 1:], s)]
    check_exact([x, v, s], outs, [data((3, 0)), np.array([0, -1, 0], I64), np.float64(2)])
    outs = [pt.set_subtensor(x[:, v], s), pt.inc_subtensor(x[1:, v], s)]
    check_exact([x, v, s], outs, [data((0, 4)), np.array([1, -1], I64), np.float64(1)])
    outs = [pt.set_subtensor(x[v], s), pt.inc_subtensor(x[v, v], s)]
    check_exact(
        [x, v, s], outs, [data((0, 4)), empty, np.float64(1)], [data((2, 3)), empty, np.float64(1)]
    )


def test_constant_unique_indices_inc_exactly_in_any_dtype():
    x = pt.tensor("x", dtype="float32", shape=(5,))
    y = pt.vector("y", dtype="float64")
    out = pt.inc_subtensor(x[[3, 0, -1]], y)  # no repeats, known now: read, add, write
    check_exact([x, y], [out], [data(5, "float32"), data(3) * 1e3])


def test_symbolic_dims_compile_once_run_at_two_sizes():
    x = pt.tensor3("x")
    v = pt.lvector("v")
    y = pt.scalar("y")
    outs = [
        pt.inc_subtensor(x[v, :, -1], y),
        pt.set_subtensor(x[:, v, v], y),
        pt.set_subtensor(x[x < 0], y),
    ]
    result = check_exact(
        [x, v, y], outs,
        [data((3, 4, 5)), np.array([0, -1, 0], I64), np.float64(2.0)],
        [data((5, 6, 2)), np.array([1, 1], I64), np.float64(-1.0)],
    )  # fmt: skip
    assert symbolic_dims(result)


def test_int_and_bool_inc_with_repeats():
    for xd, yd in [("int8", "int64"), ("uint16", "uint16"), ("int64", "int8"), ("bool", "bool")]:
        x = pt.vector("x", dtype=xd)
        v = pt.lvector("v")
        y = pt.vector("y", dtype=yd)
        ys = (
            RNG.integers(0, 2, 8).astype(yd)
            if yd == "bool"
            else RNG.integers(-99, 99, 8).astype(yd)
        )
        if xd == "int8":
            ys = ys * 100  # wraps around in int8
        index = np.array([0, 1, 0, 0, -1, 2, 2, 1], I64)
        check_exact(
            [x, v, y],
            [pt.inc_subtensor(x[v], y), pt.set_subtensor(x[v], y)],
            [data(3, xd), index, ys],
        )


def test_inc_that_would_round_per_add_is_refused():
    x = pt.vector("x", dtype="float32")
    v = pt.lvector("v")
    y = pt.vector("y", dtype="float64")
    with pytest.raises(UnsupportedOpError, match="rounds to float32 after every add"):
        Compiler().compile(fgraph_of([x, v, y], [pt.inc_subtensor(x[v], y)]))


def test_float16_inc_with_repeats_is_refused_at_lowering():
    x = pt.vector("x", dtype="float16")
    v = pt.lvector("v")
    y = pt.vector("y", dtype="float16")
    result = Compiler().compile(fgraph_of([x, v, y], [pt.inc_subtensor(x[v], y)]))
    with pytest.raises(
        UnsupportedOpError, match="no ScatterElements kernel with reduction add for float16"
    ):
        result.to_onnx()


# -- properties -----------------------------------------------------------------------------------


@settings(max_examples=20)
@given(
    n=st.integers(1, 6),
    index=st.lists(st.integers(-6, 5), min_size=0, max_size=8),
    set_=st.booleans(),
    ignore=st.booleans(),
)
def test_property_repeated_indices(n, index, set_, ignore):
    index = np.array([i % n - n * (i < 0) for i in index], I64)  # in bounds, both signs
    x = pt.matrix("x")
    v = pt.lvector("v")
    y = pt.matrix("y")
    write = x[v]
    out = write.set(y) if set_ else write.inc(y, ignore_duplicates=ignore)
    check_exact([x, v, y], [out], [data((n, 2)), index, data((len(index), 2))])


@settings(max_examples=20)
@given(
    shape=st.lists(st.integers(0, 4), min_size=1, max_size=3),
    raw=st.lists(st.builds(slice, st.integers(-5, 5) | st.none(), st.integers(-5, 5) | st.none(),
                           st.sampled_from([None, 1, 2, -1, -3])), min_size=1, max_size=3),
    inc=st.booleans(),
)  # fmt: skip
def test_property_basic_writes(shape, raw, inc):
    index = tuple(raw[: len(shape)])
    array = data(tuple(shape))
    x = pt.tensor("x", shape=(None,) * len(shape))
    region_shape = array[index].shape
    y = pt.tensor("y", shape=(None,) * len(region_shape))
    out = pt.inc_subtensor(x[index], y) if inc else pt.set_subtensor(x[index], y)
    check_exact([x, y], [out], [array, data(region_shape)])


@settings(max_examples=25)
@given(case=advanced_index(), mode=st.sampled_from(["set", "inc", "ignore"]))
def test_property_advanced_writes(case, mode):
    shape, entries = case
    array = data(shape)
    x = var("x", array)
    symbols, feeds, index = [], [array], []
    for e in entries:
        if isinstance(e, np.ndarray):
            v = pt.tensor(f"i{len(symbols)}", dtype="int64", shape=(None,) * e.ndim)
            symbols.append(v)
            feeds.append(e)
            index.append(v)
        else:
            index.append(e)
    if not symbols:
        return
    region = array[tuple(entries)].shape
    y = pt.tensor("y", shape=(None,) * len(region))
    if mode == "set":
        out = pt.set_subtensor(x[tuple(index)], y)
    else:
        out = pt.inc_subtensor(x[tuple(index)], y, ignore_duplicates=mode == "ignore")
    check_exact([x, *symbols, y], [out], [*feeds, data(region)])


# -- the scatter ops' lowering --------------------------------------------------------------------


def _run_ir(source: str, *feeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    module = parse_module(source)
    model = emit_model(module)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    (got,) = session.run(None, dict(zip(names, feeds, strict=True)))
    (interp,) = run_module(parse_module(source), list(feeds))
    return got, interp


def test_scatter_nd_lowering_with_repeated_tuples():
    n = 50_000
    rng = np.random.default_rng(3)
    indices = rng.integers(-3, 3, (n, 2)).astype(I64)
    updates = rng.standard_normal((n, 4)).astype("float32")
    x = np.zeros((3, 3, 4), "float32")
    for reduction in ("add", "none"):
        source = f"""func @main(%x: f32[3, 3, 4], %i: i64[{n}, 2], %u: f32[{n}, 4]) {{
  %0 = tir.scatter_nd %x, %i, %u {{reduction = "{reduction}"}} : f32[3, 3, 4]
  return %0 : "y"
}}"""
        got, interp = _run_ir(source, x, indices, updates)
        want = x.copy()
        where = tuple(np.moveaxis(indices, -1, 0))
        if reduction == "add":
            np.add.at(want, where, updates)
        else:
            for t, u in zip(indices, updates, strict=True):  # the last write wins
                want[tuple(t)] = u
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(interp, want)


def test_scatter_elements_lowering_on_an_axis():
    x = np.zeros((3, 4), "int64")
    indices = np.array([[1, -1, 1], [0, 0, 2], [3, 3, 3]], I64)
    updates = np.arange(9, dtype=I64).reshape(3, 3) + 1
    for reduction in ("none", "add", "max"):
        attrs = f'axis = 1, reduction = "{reduction}", unique = false'
        source = f"""func @main(%x: i64[3, 4], %i: i64[3, 3], %u: i64[3, 3]) {{
  %0 = tir.scatter_elements %x, %i, %u {{{attrs}}} : i64[3, 4]
  return %0 : "y"
}}"""
        got, interp = _run_ir(source, x, indices, updates)
        want = x.copy()
        for r in range(3):
            for c in range(3):
                t = (r, indices[r, c] % 4)
                u = updates[r, c]
                want[t] = {"none": u, "add": want[t] + u, "max": max(want[t], u)}[reduction]
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(interp, want)


def test_nonzero_lowering_of_float64_and_int8():
    for dtype, short in (("float64", "f64"), ("int8", "i8")):
        source = f"""func @main(%x: {short}[2, 3]) {{
  %0 = tir.nonzero %x : i64[2, ?]
  return %0 : "y"
}}"""
        x = (
            np.array([[0, 1.5, -0.0], [np.nan, 0, 2]]).astype(dtype)
            if dtype == "float64"
            else np.array([[0, 1, 0], [3, 0, -2]], dtype)
        )
        got, interp = _run_ir(source, x)
        np.testing.assert_array_equal(got, np.array(np.nonzero(x)))
        np.testing.assert_array_equal(interp, np.array(np.nonzero(x)))


def test_compiled_write_model_is_checked():
    x = pt.matrix("x")
    v = pt.lvector("v")
    compile_checked(fgraph_of([x, v], [pt.set_subtensor(x[v], 1.0)]))
