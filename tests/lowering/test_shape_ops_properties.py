"""Property-based tests of the shape ops: random shapes (0-d, size 0 and size 1 dims), targets,
split sizes, repeat counts and arange bounds. Shape-like values are model inputs, so one model
per structure (cached) runs on many examples; ONNX Runtime and the IR interpreter are checked
against PyTensor (FAST_COMPILE) on each."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pytensor
import pytensor.tensor as pt
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from compiler.verify import compare_outputs
from ir.interpreter import run_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of
from tests.lowering.util import array

#: A model is compiled per dtype and structure: a few dtypes of every kind keep that cheap.
DTYPES = ("float32", "int8", "uint16", "bool", "float16")


class Model:
    """A compiled graph and PyTensor's function of the same graph."""

    def __init__(self, inputs, outputs) -> None:
        self.result = compile_checked(fgraph_of(inputs, outputs))
        self.reference = pytensor.function(inputs, outputs, mode="FAST_COMPILE")

    def check(self, *feeds, exact: bool = False) -> None:
        by_name = self.result.input_feeds(list(feeds), {})
        ordered = [by_name[n] for n in self.result.input_names]
        want = self.reference(*ordered)
        for who, got in [("ONNX Runtime", self.result.run(*ordered)),
                         ("interpreter", run_module(self.result.module, ordered))]:  # fmt: skip
            report = compare_outputs(self.result.output_names, got, want)
            assert report.ok, f"{who} differs from PyTensor:\n{report}"
            if exact:
                for g, w in zip(got, want, strict=True):
                    np.testing.assert_array_equal(np.asarray(g), w, err_msg=who)


shapes = st.lists(st.integers(0, 3), min_size=0, max_size=4).map(tuple)


@st.composite
def reshape_targets(draw, shape):
    """A target of the same size: the dims of ``shape`` (as factors) shuffled and regrouped,
    maybe one entry -1 (only where numpy can resolve it)."""
    factors = draw(st.permutations([d for d in shape if d != 1]))
    rank = draw(st.integers(0, 4)) if factors else draw(st.integers(0, 3))
    if rank == 0 and factors:
        rank = 1
    cuts = sorted(draw(st.lists(st.integers(0, len(factors)), min_size=max(rank - 1, 0),
                                max_size=max(rank - 1, 0))))  # fmt: skip
    bounds = [0, *cuts, len(factors)] if rank else []
    target = [math.prod(factors[a:b]) for a, b in itertools.pairwise(bounds)]
    if not rank or math.prod(target) == 0:
        return target
    if draw(st.booleans()):
        target[draw(st.integers(0, rank - 1))] = -1
    return target


@functools.cache
def _reshape_model(dtype: str, in_rank: int, out_rank: int) -> Model:
    x = pt.tensor("x", dtype=dtype, shape=(None,) * in_rank)
    target = pt.lvector("target")
    return Model([x, target], [x.reshape(target, ndim=out_rank), x.flatten()])


@settings(max_examples=40)
@given(st.data(), st.sampled_from(DTYPES), shapes)
def test_reshape_to_run_time_targets(data, dtype, shape):
    target = data.draw(reshape_targets(shape), label="target")
    x = data.draw(array(dtype, shape), label="x")
    _reshape_model(dtype, len(shape), len(target)).check(x, np.array(target, "int64"))


@settings(max_examples=10)
@given(st.data(), shapes)
def test_reshape_to_constant_targets(data, shape):
    target = data.draw(reshape_targets(shape), label="target")
    x = pt.tensor("x", shape=(None,) * len(shape))
    feeds = [np.arange(math.prod(shape), dtype="float64").reshape(shape)]
    assert_matches_pytensor(fgraph_of([x], [x.reshape(target), x.reshape(target) * 2]), feeds)


@functools.cache
def _split_join_model(dtype: str, rank: int, axis: int, pieces: int) -> Model:
    x = pt.tensor("x", dtype=dtype, shape=(None,) * rank)
    sizes = pt.lvector("sizes")
    parts = pt.split(x, sizes, n_splits=pieces, axis=axis)
    parts = parts if isinstance(parts, list) else [parts]
    joined = pt.concatenate(parts[::-1], axis=axis - rank)  # a negative axis to the helper
    return Model([x, sizes], [*parts, joined, pt.stack(parts[:1] * 2, axis=axis)])


@settings(max_examples=25)
@given(st.data(), st.sampled_from(DTYPES[:3]), shapes.filter(bool), st.integers(1, 3))
def test_split_and_join_pieces_of_run_time_sizes(data, dtype, shape, pieces):
    axis = data.draw(st.integers(0, len(shape) - 1), label="axis")
    cuts = sorted(data.draw(st.lists(st.integers(0, shape[axis]), min_size=pieces - 1,
                                     max_size=pieces - 1), label="cuts"))  # fmt: skip
    sizes = np.diff([0, *cuts, shape[axis]]).astype("int64")
    x = data.draw(array(dtype, shape), label="x")
    _split_join_model(dtype, len(shape), axis, pieces).check(x, sizes)


@functools.cache
def _repeat_model(rank: int, axis: int) -> Model:
    x = pt.tensor("x", dtype="int32", shape=(None,) * rank)
    counts = pt.lvector("counts")
    count = pt.lscalar("count")
    return Model([x, counts, count], [pt.repeat(x, counts, axis=axis),
                                      pt.repeat(x, count, axis=axis)])  # fmt: skip


@settings(max_examples=30)
@given(st.data(), shapes.filter(bool))
def test_repeat_by_run_time_counts(data, shape):
    axis = data.draw(st.integers(0, len(shape) - 1), label="axis")
    length = data.draw(st.sampled_from([shape[axis], 1]), label="length")
    counts = np.array(data.draw(st.lists(st.integers(0, 3), min_size=length, max_size=length),
                                label="counts"), "int64")  # fmt: skip
    x = np.arange(math.prod(shape), dtype="int32").reshape(shape)
    _repeat_model(len(shape), axis).check(x, counts, np.int64(data.draw(st.integers(0, 3))))


@functools.cache
def _alloc_model(pattern: tuple[bool, ...], out_rank: int) -> Model:
    """Alloc of a value whose dims are 1 (statically) where ``pattern`` says, to ``out_rank``
    run-time sizes; and the same through zeros/full."""
    v = pt.tensor("v", dtype="float32", shape=tuple(1 if one else None for one in pattern))
    sizes = [pt.iscalar(f"n{i}") for i in range(out_rank)]
    return Model([v, *sizes], [pt.alloc(v, *sizes), pt.zeros(sizes, dtype="int8"),
                               pt.full(sizes, np.float16(2.5))])  # fmt: skip


@settings(max_examples=30)
@given(st.data(), shapes.filter(lambda s: len(s) <= 3))
def test_alloc_broadcasts_to_run_time_sizes(data, out_shape):
    v_rank = data.draw(st.integers(0, len(out_shape)), label="value rank")
    tail = out_shape[len(out_shape) - v_rank :]
    pattern = tuple(data.draw(st.booleans()) for _ in tail)
    v_shape = tuple(1 if one else d for one, d in zip(pattern, tail, strict=True))
    v = data.draw(array("float32", v_shape), label="v")
    _alloc_model(pattern, len(out_shape)).check(v, *[np.int32(d) for d in out_shape])


@functools.cache
def _arange_model(dtype: str) -> Model:
    start, stop, step = (pt.scalar(n, dtype=dtype) for n in ("start", "stop", "step"))
    return Model([start, stop, step], [pt.arange(start, stop, step)])


@settings(max_examples=40)
@given(st.data(), st.sampled_from(["float16", "float32", "float64", "int64", "int8"]))
def test_arange_bit_for_bit(data, dtype):
    if dtype.startswith("int"):
        start = data.draw(st.integers(-100, 100), label="start")
        step = data.draw(st.integers(-7, 7).filter(bool), label="step")
        length = data.draw(st.integers(-2, 40), label="length")
        stop = max(-128, min(127, start + step * length + data.draw(st.integers(-1, 1))))
    else:
        width = {"float16": 16, "float32": 32, "float64": 64}[dtype]
        floats = functools.partial(st.floats, allow_nan=False, allow_infinity=False, width=width)
        start = data.draw(floats(-1000, 1000), label="start")
        step = data.draw(floats(-50, 50).filter(lambda s: abs(s) > 1e-2), label="step")
        stop = start + step * data.draw(floats(-2, 60), label="steps")
        assume(np.isfinite(np.asarray(stop, dtype)))
    feeds = [np.asarray(v, dtype) for v in (start, stop, step)]
    _arange_model(dtype).check(*feeds, exact=True)
