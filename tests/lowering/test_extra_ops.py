"""RavelMultiIndex, UnravelIndex, FillDiagonal, FillDiagonalOffset and Bartlett: ONNX Runtime
(both optimization levels) and the IR interpreter against PyTensor (FAST_COMPILE), on edge
cases and on hypothesis-drawn shapes, dtypes and values; run-time checks numpy makes follow
``assert_policy``."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.tensor import extra_ops as eo

from compiler import Compiler
from compiler.errors import UnsupportedOpError
from compiler.frontend.graphs import AssertDroppedWarning
from compiler.verify import compare_outputs
from ir.interpreter import run_module
from ir.printer import print_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of, ort_outputs
from tests.lowering.util import array


class Model:
    """A graph compiled once (sound at both ORT levels) and PyTensor's function of it; each
    ``check`` compares ONNX Runtime at both levels and the interpreter with PyTensor."""

    def __init__(self, inputs, outputs) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AssertDroppedWarning)
            self.result = compile_checked(fgraph_of(inputs, outputs))
        self.reference = pytensor.function(inputs, outputs, mode="FAST_COMPILE")

    def check(self, *feeds) -> None:
        by_name = self.result.input_feeds(list(feeds), {})
        ordered = [by_name[n] for n in self.result.input_names]
        want = self.reference(*ordered)
        want = want if isinstance(want, list) else [want]
        runs = {f"ONNX Runtime ({k})": v for k, v in ort_outputs(self.result, ordered).items()}
        runs["interpreter"] = run_module(self.result.module, ordered)
        for who, got in runs.items():
            report = compare_outputs(self.result.output_names, got, want)
            assert report.ok, f"{who} differs from PyTensor:\n{report}"


def _quiet_check(inputs, outputs, feeds, **options) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssertDroppedWarning)
        assert_matches_pytensor(fgraph_of(inputs, outputs), list(feeds), **options)


# -- ravel_multi_index ----------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_ravel_multi_index_constant_dims(mode, order):
    i, j, k = pt.lvector("i"), pt.ivector("j"), pt.bvector("k")
    out = eo.ravel_multi_index((i, j, k), (3, 4, 5), mode=mode, order=order)
    inside = [np.array([0, 2, 1, 2]), np.array([3, 0, 2, 0], "int32"),
              np.array([4, 0, 1, 0], "int8")]  # fmt: skip
    _quiet_check([i, j, k], [out], inside)
    if mode != "raise":
        outside = [np.array([-1, 5, -7, 3, np.iinfo(np.int64).min, np.iinfo(np.int64).max]),
                   np.array([7, -9, 4, 4, 0, -1], "int32"),
                   np.array([-128, 127, 5, -5, 0, 9], "int8")]  # fmt: skip
        _quiet_check([i, j, k], [out], outside)


def test_ravel_multi_index_ir_is_plain_integer_arithmetic():
    i, j = pt.lvector("i"), pt.lvector("j")
    out = eo.ravel_multi_index((i, j), (3, 4), mode="wrap")
    result = Compiler().compile(fgraph_of([i, j], [out]))
    assert print_module(result.module) == (
        "func @main(%i: i64[i_0], %j: i64[j_0]) {\n"
        "  %0 = tir.constant dense<3> : i64[]\n"
        "  %1 = tir.constant dense<4> : i64[]\n"
        "  %2 = tir.mod %i, %0 : i64[i_0]\n"
        "  %3 = tir.mod %j, %1 : i64[j_0]\n"
        "  %4 = tir.mul %2, %1 : i64[i_0]\n"
        "  %5 = tir.add %4, %3 : i64[?]\n"
        '  return %5 : "output_0"\n'
        "}\n"
    )


@pytest.mark.parametrize("mode", ["wrap", "clip"])
def test_ravel_multi_index_run_time_dims_any_sign(mode):
    """numpy's wrap and clip loops are reproduced for any nonzero dim, negative ones too."""
    i, j, d = pt.lvector("i"), pt.lvector("j"), pt.lvector("d")
    model = Model([i, j, d], [eo.ravel_multi_index((i, j), d, mode=mode)])
    coords = [np.array([0, 2, 1, -1, 5, -7, -13, 13]), np.array([3, 0, 2, 7, -9, 4, -4, 9])]
    for dims in ([3, 4], [-3, 4], [3, -4], [-2, -5], [1, 1]):
        model.check(*coords, np.array(dims))


@pytest.mark.parametrize("order", ["C", "F"])
def test_ravel_multi_index_constant_negative_dims_as_numpy(order):
    """numpy accepts negative dims (its size check only catches int64 overflow) and wraps and
    clips by its C loop: reproduced for constant dims too."""
    i, j = pt.lvector("i"), pt.lvector("j")
    coords = [np.array([0, 1, -1, 5, -7]), np.array([3, 0, -2, 7, 1])]
    for mode in ("wrap", "clip"):
        for dims in ((2**62, -2), (-3, 4), (-5, -5)):
            out = eo.ravel_multi_index((i, j), dims, mode=mode, order=order)
            _quiet_check([i, j], [out], coords)


def test_ravel_multi_index_broadcasts_and_wraps_extremes():
    """Coordinates broadcast; int64 extremes wrap exactly."""
    i = pt.tensor("i", dtype="int64", shape=(None, 1))
    j = pt.tensor("j", dtype="int16", shape=(1, None))
    out = eo.ravel_multi_index((i, j), (7, 9), mode="wrap")
    big = np.array([[-(2**63)], [2**63 - 1], [3]], "int64")
    _quiet_check([i, j], [out], [big, np.array([[-1, 0, 20]], "int16")])


def test_ravel_multi_index_scalars_and_empty():
    i, j = pt.lscalar("i"), pt.lscalar("j")
    _quiet_check([i, j], [eo.ravel_multi_index((i, j), (3, 4))], [np.int64(2), np.int64(3)])
    a, b = pt.lvector("a"), pt.lvector("b")
    out = eo.ravel_multi_index((a, b), (3, 4), mode="clip", order="F")
    _quiet_check([a, b], [out], [np.zeros(0, "int64"), np.zeros(0, "int64")])


@functools.cache
def _ravel_model(dtype: str, rank: int, mode: str, order: str) -> Model:
    coords = [pt.tensor(f"c{i}", dtype=dtype, shape=(None,)) for i in range(rank)]
    dims = pt.tensor("dims", dtype="int64", shape=(rank,))
    return Model([*coords, dims], [eo.ravel_multi_index(coords, dims, mode=mode, order=order)])


@settings(max_examples=30)
@given(st.data(), st.sampled_from(["int8", "int16", "int32", "int64"]), st.integers(1, 3),
       st.sampled_from(["raise", "wrap", "clip"]), st.sampled_from("CF"))  # fmt: skip
def test_ravel_multi_index_properties(data, dtype, rank, mode, order):
    dims = data.draw(st.lists(st.integers(1, 6), min_size=rank, max_size=rank), label="dims")
    length = data.draw(st.integers(0, 5), label="length")
    if mode == "raise":
        coords = [np.array(data.draw(st.lists(st.integers(0, d - 1), min_size=length,
                                              max_size=length)), dtype) for d in dims]  # fmt: skip
    else:
        coords = [data.draw(array(dtype, (length,)), label=f"c{i}") for i in range(rank)]
    _ravel_model(dtype, rank, mode, order).check(*coords, np.array(dims, "int64"))


def test_ravel_multi_index_raise_follows_assert_policy():
    i, j = pt.lvector("i"), pt.lvector("j")
    out = eo.ravel_multi_index((i, j), (3, 4))
    with pytest.warns(AssertDroppedWarning, match="within"):
        Compiler().compile(fgraph_of([i, j], [out]))
    with pytest.raises(UnsupportedOpError, match="assert_policy='refuse'"):
        Compiler(assert_policy="refuse").compile(fgraph_of([i, j], [out]))
    # wrap and clip with constant dims check nothing: no warning, compiled under "refuse".
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssertDroppedWarning)
        wrapped = eo.ravel_multi_index((i, j), (3, 4), mode="wrap")
        assert_matches_pytensor(fgraph_of([i, j], [wrapped]), [np.array([5]), np.array([-1])],
                                assert_policy="refuse")  # fmt: skip


def test_ravel_multi_index_constants_in_range_compile_under_refuse():
    out = eo.ravel_multi_index((pt.as_tensor([1, 2]), pt.as_tensor([3, 0])), (3, 4))
    x = pt.lvector("x")
    assert_matches_pytensor(fgraph_of([x], [out + x]), [np.array([10, 20])], assert_policy="refuse")
    bad = eo.ravel_multi_index((pt.as_tensor([1, 3]), pt.as_tensor([3, 0])), (3, 4))
    with pytest.raises(UnsupportedOpError, match="within"):
        Compiler(assert_policy="refuse").compile(fgraph_of([x], [bad + x]))


@pytest.mark.parametrize(
    ("dims", "match"),
    [((3, 0), "contain 0"), ((2**40, 2**40), "exceed int64"), ((-(2**40), 2**40), "exceed int64")],
)
def test_ravel_multi_index_dims_numpy_rejects_are_refused(dims, match):
    i, j = pt.lvector("i"), pt.lvector("j")
    out = eo.ravel_multi_index((i, j), dims, mode="wrap")
    with pytest.raises(UnsupportedOpError, match=match):
        Compiler().compile(fgraph_of([i, j], [out]))


# -- unravel_index --------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["C", "F"])
def test_unravel_index_constant_and_run_time_dims(order):
    x = pt.tensor("x", dtype="int32", shape=(None, None))
    feeds = [np.array([[0, 7, 59], [33, 1, 58]], "int32")]
    _quiet_check([x], list(eo.unravel_index(x, (3, 4, 5), order=order)), feeds)
    d = pt.tensor("d", dtype="int8", shape=(3,))
    model = Model([x, d], list(eo.unravel_index(x, d, order=order)))
    model.check(*feeds, np.array([3, 4, 5], "int8"))
    model.check(*feeds, np.array([60, 1, 1], "int8"))
    model.check(np.zeros((0, 2), "int32"), np.array([1, 2, 3], "int8"))


def test_unravel_index_extremes_and_scalar():
    x = pt.lscalar("x")
    outs = eo.unravel_index(x, (3, 2**61))
    _quiet_check([x], list(outs), [np.int64(3 * 2**61 - 1)])
    _quiet_check([x], list(eo.unravel_index(x, (1,))), [np.int64(0)])


@functools.cache
def _unravel_model(dtype: str, rank: int, order: str) -> Model:
    x = pt.tensor("x", dtype=dtype, shape=(None,))
    dims = pt.tensor("dims", dtype="int64", shape=(rank,))
    return Model([x, dims], list(eo.unravel_index(x, dims, order=order)))


@settings(max_examples=30)
@given(st.data(), st.sampled_from(["int8", "int16", "int64"]), st.integers(1, 4),
       st.sampled_from("CF"))  # fmt: skip
def test_unravel_index_properties(data, dtype, rank, order):
    dims = data.draw(st.lists(st.integers(1, 5), min_size=rank, max_size=rank), label="dims")
    size = int(np.prod(dims))
    hi = min(size - 1, int(np.iinfo(dtype).max))
    indices = data.draw(st.lists(st.integers(0, hi), max_size=6), label="indices")
    _unravel_model(dtype, rank, order).check(np.array(indices, dtype), np.array(dims, "int64"))


def test_unravel_index_range_check_follows_assert_policy():
    x = pt.lvector("x")
    outs = list(eo.unravel_index(x, (3, 4)))
    with pytest.warns(AssertDroppedWarning, match=r"within \[0, prod\(dims\)\)"):
        Compiler().compile(fgraph_of([x], outs))
    with pytest.raises(UnsupportedOpError, match="assert_policy='refuse'"):
        Compiler(assert_policy="refuse").compile(fgraph_of([x], outs))
    with pytest.raises(UnsupportedOpError, match="no valid index"):
        Compiler().compile(fgraph_of([x], list(eo.unravel_index(x, (3, -4)))))


# -- fill_diagonal --------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2), (0, 3), (1, 1), (4, 0)])
@pytest.mark.parametrize("dtype", ["float32", "int16", "bool", "uint64"])
def test_fill_diagonal_matrices(shape, dtype):
    a = pt.tensor("a", dtype=dtype, shape=(None, None))
    val = pt.scalar("val", dtype=dtype)
    rng = np.random.default_rng(0)
    feeds = [rng.integers(0, 2, shape).astype(dtype), np.array(1, dtype)]
    assert_matches_pytensor(fgraph_of([a, val], [eo.fill_diagonal(a, val)]), feeds)


def test_fill_diagonal_cube_and_special_values():
    a = pt.tensor3("a", dtype="float64")
    val = pt.dscalar("val")
    out = eo.fill_diagonal(a, val)
    with pytest.warns(AssertDroppedWarning, match="equal"):
        assert_matches_pytensor(fgraph_of([a, val], [out]), [np.ones((3, 3, 3)), np.array(np.nan)])
    static = pt.tensor("s", dtype="float64", shape=(2, 2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssertDroppedWarning)
        assert_matches_pytensor(fgraph_of([static, val], [eo.fill_diagonal(static, val)]),
                                [np.zeros((2, 2, 2)), np.array(-np.inf)])  # fmt: skip
    bad = pt.tensor("b", dtype="float64", shape=(2, 3, 2))
    with pytest.raises(UnsupportedOpError, match="unequal dims"):
        Compiler().compile(fgraph_of([bad, val], [eo.fill_diagonal(bad, val)]))


@functools.cache
def _fill_model(dtype: str, rank: int) -> Model:
    a = pt.tensor("a", dtype=dtype, shape=(None,) * rank)
    val = pt.scalar("val", dtype=dtype)
    return Model([a, val], [eo.fill_diagonal(a, val)])


@settings(max_examples=30)
@given(st.data(), st.sampled_from(["float64", "int8", "bool", "uint16", "float16"]),
       st.integers(2, 4))  # fmt: skip
def test_fill_diagonal_properties(data, dtype, rank):
    if rank == 2:
        shape = data.draw(st.tuples(st.integers(0, 5), st.integers(0, 5)), label="shape")
    else:
        shape = (data.draw(st.integers(0, 3), label="side"),) * rank
    a = data.draw(array(dtype, shape), label="a")
    _fill_model(dtype, rank).check(a, data.draw(array(dtype, ()), label="val"))


def test_fill_diagonal_of_a_cube_of_run_time_dims_follows_assert_policy():
    a, val = pt.tensor3("a"), pt.scalar("val")
    with pytest.raises(UnsupportedOpError, match="all dims of the array are equal"):
        Compiler(assert_policy="refuse").compile(fgraph_of([a, val], [eo.fill_diagonal(a, val)]))


@functools.cache
def _fill_offset_model(dtype: str, offset_dtype: str) -> Model:
    a = pt.tensor("a", dtype=dtype, shape=(None, None))
    val = pt.scalar("val", dtype=dtype)
    offset = pt.scalar("offset", dtype=offset_dtype)
    return Model([a, val, offset], [eo.fill_diagonal_offset(a, val, offset)])


@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (10, 2), (0, 3), (1, 1), (2, 0)])
def test_fill_diagonal_offset_every_offset(shape):
    """Every offset from below the matrix to past it, including PyTensor's writes off the
    diagonal for offsets past the width plus one (its flat slice's negative end)."""
    model = _fill_offset_model("float64", "int64")
    a = np.arange(np.prod(shape), dtype="float64").reshape(shape)
    for offset in range(-shape[0] - 2, shape[0] * shape[1] + 3):
        model.check(a, np.array(-1.0), np.array(offset))


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # PyTensor's int8 sums
def test_fill_diagonal_offset_extreme_and_narrow_offsets():
    model = _fill_offset_model("int32", "int64")
    a = np.zeros((3, 5), "int32")
    for offset in (-(2**40), 2**40):
        model.check(a, np.array(7, "int32"), np.array(offset))
    for offset_dtype in ("int8", "uint8", "uint64"):
        narrow = _fill_offset_model("float32", offset_dtype)
        for offset in (0, 1, 2, 4, 7, 100):
            narrow.check(np.zeros((4, 3), "float32"), np.array(2.5, "float32"),
                         np.array(offset, offset_dtype))  # fmt: skip
    huge = _fill_offset_model("float32", "uint64")
    huge.check(np.zeros((4, 3), "float32"), np.array(2.5, "float32"), np.array(2**64 - 1, "uint64"))


@settings(max_examples=30)
@given(st.data(), st.sampled_from(["float16", "int8", "bool", "uint32"]),
       st.tuples(st.integers(0, 5), st.integers(0, 5)))  # fmt: skip
def test_fill_diagonal_offset_properties(data, dtype, shape):
    a = data.draw(array(dtype, shape), label="a")
    val = data.draw(array(dtype, ()), label="val")
    offset = data.draw(st.integers(-7, 32), label="offset")
    _fill_offset_model(dtype, "int64").check(a, val, np.array(offset))


# -- bartlett -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64", "uint64"])
def test_bartlett_symbolic_length(dtype):
    m = pt.scalar("m", dtype=dtype)
    model = Model([m], [eo.bartlett(m)])
    lengths = [0, 1, 2, 3, 4, 5, 17, 100]
    if dtype not in ("uint8", "uint64"):
        lengths += [-1, -5]
    for length in lengths:
        if length <= np.iinfo(dtype).max:
            model.check(np.array(length, dtype))


@pytest.mark.parametrize("length", [-3, 0, 1, 2, 7, 64])
def test_bartlett_constant_length(length):
    x = pt.dvector("x")
    window = eo.bartlett(pt.as_tensor(np.int64(length)))
    feeds = [np.ones(max(length, 0))]
    assert_matches_pytensor(fgraph_of([x], [window * x]), feeds)
