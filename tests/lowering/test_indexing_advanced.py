"""Advanced indexing end to end (AdvancedSubtensor, take, take_along_axis, nonzero): integer
arrays, broadcasting, numpy's placement of the indexed dims, boolean masks."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from compiler import Compiler, UnsupportedOpError
from tests.helpers import fgraph_of
from tests.lowering.test_indexing import check_exact, data, fast_run_fgraph, symbolic_dims
from tests.lowering.util import var

I64 = np.int64
RNG_IDX = np.random.default_rng(1)


def test_integer_array_on_each_axis_with_negative_indices():
    x = pt.tensor3("x")
    v = pt.lvector("v")
    outs = [x[v], x[:, v], x[:, :, v], x[-1, v], x[v, -2], x[1:, v, ::-1]]
    check_exact([x, v], outs, [data((3, 4, 5)), np.array([0, -1, 2, -3, 2], I64)])


def test_constant_integer_arrays_and_int8_and_uint8_indices():
    x = pt.matrix("x")
    outs = [
        x[[0, -1, 0]],
        x[:, np.array([2, -4], dtype="int8")],
        x[np.array([[1, 0], [2, 2]], dtype="uint8")],
        x[np.array([1, 0]), np.array([-1, 0], dtype="int16")],
    ]
    check_exact([x], outs, [data((3, 4))])


def test_several_arrays_broadcast_together():
    x = pt.tensor3("x")
    r, c = pt.lmatrix("r"), pt.lvector("c")
    s = pt.lscalar("s")
    outs = [x[r, c], x[r, c, s], x[c, r], x[r, :, c], x[s, r], x[:, r, c]]
    feeds = [
        data((4, 5, 6)),
        np.array([[0], [-1], [2]], I64),
        np.array([1, -2, 3, 0], I64),
        I64(-1),
    ]
    check_exact([x, r, c, s], outs, feeds)


def test_arrays_separated_by_a_slice_put_the_broadcast_dims_first():
    x = pt.tensor4("x")
    a, b = pt.lvector("a"), pt.lmatrix("b")
    outs = [x[a, :, b], x[:, a, :, b], x[a, 1:, :, b], x[a, :, :, a], x[0, :, a], x[a, ::-1, 1]]
    feeds = [data((3, 4, 5, 6)), np.array([0, -1, 2], I64), np.array([[1], [0]], I64)]
    check_exact([x, a, b], outs, feeds)


def test_newaxis_and_ellipsis_around_arrays():
    x = pt.tensor3("x")
    v = pt.lvector("v")
    outs = [x[v, None], x[None, 1:, v], x[..., v], x[1, ..., None], x[v, ..., None, v]]
    check_exact([x, v], outs, [data((3, 4, 5)), np.array([2, -1], I64)])


def test_symbolic_slice_bounds_next_to_arrays():
    x = pt.tensor3("x")
    v = pt.lvector("v")
    a, s = pt.lscalar("a"), pt.scalar("s", dtype="int8")
    outs = [x[v, a:], x[a::s, v], x[v, ::s, v], x[a, v, :a]]
    feeds = [data((3, 4, 5)), np.array([2, -1], I64)]
    check_exact([x, v, a, s], outs, [*feeds, I64(1), np.int8(-1)], [*feeds, I64(-2), np.int8(2)])


def test_advanced_op_with_only_0d_arrays():
    from pytensor.tensor.subtensor import advanced_subtensor

    x = pt.tensor3("x")
    z, w = pt.lscalar("z"), pt.lscalar("w")
    outs = [advanced_subtensor(x, z, slice(None), w), advanced_subtensor(x, slice(1, None), z, w)]
    check_exact([x, z, w], outs, [data((3, 4, 5)), I64(-1), I64(2)])


def test_matrix_index_and_0d_array_index():
    x = pt.matrix("x")
    m = pt.lmatrix("m")
    z = pt.lscalar("z")
    outs = [x[m], x[:, m % 3], x[m, z], x[pt.as_tensor(z), :]]
    check_exact([x, m, z], outs, [data((4, 3)), np.array([[0, 3, -1], [2, 2, -3]], I64), I64(2)])


def test_size_0_and_size_1_index_arrays_and_dims():
    x = pt.tensor("x", shape=(None, 1, None))
    v = pt.lvector("v")
    outs = [x[v], x[:, v], x[v, 0], x[:, :, v], x[v, :, v]]
    check_exact(
        [x, v], outs,
        [data((3, 1, 4)), np.array([], I64)],
        [data((3, 1, 4)), np.array([0], I64)],
        [data((2, 1, 3)), np.array([-1, 0, -1, 0], I64)],
    )  # fmt: skip


def test_dtypes_of_the_indexed_tensor():
    for dtype in ("bool", "int8", "uint64", "float16", "float64"):
        x = pt.matrix("x", dtype=dtype)
        v = pt.lvector("v")
        check_exact(
            [x, v], [x[v], x[v, v], x[:, v]], [data((3, 3), dtype), np.array([2, 0, -1], I64)]
        )


def test_symbolic_dims_compile_once_run_at_two_sizes():
    x = pt.tensor3("x")
    v, w = pt.lvector("v"), pt.lvector("w")
    outs = [x[v], x[:, v, w], x[v, :, w], x[v, 1:, -1]]
    result = check_exact(
        [x, v, w], outs,
        [data((3, 4, 5)), np.array([0, -1], I64), np.array([4, 1], I64)],
        [data((5, 6, 2)), np.array([4, 0, -5], I64), np.array([1], I64)],
    )  # fmt: skip
    assert symbolic_dims(result)


# -- boolean masks --------------------------------------------------------------------------------


def test_boolean_masks_over_all_or_some_axes():
    x = pt.tensor3("x")
    m2 = pt.matrix("m2", dtype="bool")
    m1 = pt.vector("m1", dtype="bool")
    outs = [x[m2], x[:, m2[0]], x[m1], x[1:, m2[0]], x[x > 0], x[:, :, x[0, 0] > 0]]
    result = check_exact(
        [x, m2, m1], outs,
        [data((3, 4, 5)), data((3, 4), "bool"), data((3,), "bool")],
        [data((2, 4, 5)), data((2, 4), "bool"), data((2,), "bool")],
    )  # fmt: skip
    assert any(n.op_type == "NonZero" for n in result.to_onnx().graph.node)


def test_boolean_mask_all_false_and_constant_mask():
    x = pt.matrix("x")
    m = pt.matrix("m", dtype="bool")
    const = np.array([[True, False, True], [False, False, True]])
    outs = [x[m], x[const], x[:, const[1]], x[const[:, 0], 1:]]
    check_exact(
        [x, m], outs, [data((2, 3)), np.zeros((2, 3), bool)], [data((2, 3)), np.ones((2, 3), bool)]
    )


def test_boolean_mask_mixed_with_an_integer_array():
    x = pt.tensor3("x")
    m = pt.vector("m", dtype="bool")
    v = pt.lvector("v")
    outs = [x[m, v], x[m, :, v], x[v[:1], m[:3]]]
    mask = np.array([True, False, True, True])
    check_exact([x, m, v], outs, [data((4, 3, 5)), mask, np.array([2, -1, 0], I64)])


def test_mask_result_dim_is_data_dependent():
    x = pt.matrix("x")
    result = check_exact([x], [x[x > 0]], [data((3, 4))])
    (out,) = result.module.func.outputs
    assert out.shape == ("?",)


# -- take, take_along_axis, nonzero ---------------------------------------------------------------


def test_take_with_axis_and_negative_indices():
    x = pt.tensor3("x")
    v = pt.lvector("v")
    m = pt.lmatrix("m")
    outs = [pt.take(x, v, axis=0), pt.take(x, v, axis=-1), pt.take(x, m, axis=1), pt.take(x, v)]
    feeds = [data((3, 4, 5)), np.array([-1, 0, 2], I64), np.array([[0, -4], [3, 1]], I64)]
    check_exact([x, v, m], outs, feeds)


def test_take_along_axis():
    x = pt.tensor3("x")
    i = pt.ltensor3("i")
    outs = [pt.take_along_axis(x, i, axis=a) for a in (0, 1, -1)]
    idx = RNG_IDX.integers(-3, 3, (3, 4, 5))
    check_exact([x, i], outs, [data((3, 4, 5)), idx], [data((3, 4, 5)), idx[:, :1, :]])


def test_nonzero():
    x = pt.matrix("x", dtype="int8")
    outs = list(pt.nonzero(x))
    check_exact([x], outs, [np.array([[0, 3, 0], [1, 0, -2]], "int8")], [np.zeros((2, 0), "int8")])


def test_fast_run_graph_compiles():
    x = pt.tensor3("x")
    v = pt.lvector("v")
    ii = pt.ltensor3("ii")
    outs = [
        x[v, 1:],
        x[x > 0],
        pt.take(x, v, axis=-1),
        pt.take_along_axis(x, ii, axis=1),
        x[v, :, v],
    ]
    feeds = [data((3, 4, 5)), np.array([0, -1, 2], I64), RNG_IDX.integers(-4, 4, (3, 2, 5))]
    check_exact([x, v, ii], outs, feeds, fgraph=fast_run_fgraph([x, v, ii], outs))


def test_0d_boolean_index_is_refused_by_pytensor_first():
    x = pt.vector("x")
    with pytest.raises(NotImplementedError):
        x[pt.scalar("b", dtype="bool")]


def test_complex_index_dtype_reported():
    x = pt.vector("x", dtype="complex64")
    v = pt.lvector("v")
    with pytest.raises(UnsupportedOpError, match="complex64"):
        Compiler().compile(fgraph_of([x, v], [x[v]]))


# -- properties -----------------------------------------------------------------------------------


@st.composite
def advanced_index(draw):
    """A shape and an index of slices and integer arrays (in bounds) that may broadcast."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    entries = []
    arrays = draw(hnp.mutually_broadcastable_shapes(num_shapes=len(shape), max_dims=2, max_side=3))
    for axis, dim in enumerate(shape):
        kind = draw(st.sampled_from(["slice", "array", "array", "int"]))
        if kind == "slice":
            entries.append(draw(st.builds(slice, st.integers(-5, 5) | st.none(),
                                          st.integers(-5, 5) | st.none(),
                                          st.sampled_from([None, 1, 2, -1, -2]))))  # fmt: skip
        else:
            ishape = () if kind == "int" else arrays.input_shapes[axis]
            entries.append(draw(hnp.arrays(np.int64, ishape, elements=st.integers(-dim, dim - 1))))
    return tuple(shape), entries


@settings(max_examples=30)
@given(case=advanced_index())
def test_property_advanced_index_matches_numpy_rules(case):
    shape, entries = case
    array = data(shape)
    x = var("x", array)
    symbols, feeds, index = [], [array], []
    for e in entries:
        if isinstance(e, np.ndarray):
            v = pt.tensor(
                f"i{len(symbols)}",
                dtype="int64",
                shape=tuple(1 if d == 1 else None for d in e.shape),
            )
            symbols.append(v)
            feeds.append(e)
            index.append(v)
        else:
            index.append(e)
    if not symbols:
        return
    out = x[tuple(index)]
    check_exact([x, *symbols], [out], feeds)
