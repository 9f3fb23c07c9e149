"""inc_subtensor whose increment has another dtype than the tensor it adds into (issue 15,
item 3): PyTensor 3.3.8 computes every such mix (its Numba backend for basic indices, numpy's
``add.at`` in every backend for advanced ones) in the promoted dtype and converts back to the
tensor's dtype like a cast: integers wrap. The compiled model gives the same numbers."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import Compiler, UnsupportedOpError
from compiler.verify import compare_outputs, run_pytensor
from ir.interpreter import run_module
from tests.helpers import compile_checked, fgraph_of, ort_outputs

INTS = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64"]


def check_against_pytensor(inputs, outputs, feeds, mode: str) -> None:
    """ONNX Runtime (both optimization levels) and the IR interpreter against PyTensor in
    ``mode``: NUMBA for basic indices (its Python ``perform`` raises on a mixed-dtype inc,
    which is the only difference between the backends)."""
    fgraph = fgraph_of(inputs, outputs)
    result = compile_checked(fgraph)
    reference = run_pytensor(fgraph, result.input_vars, feeds, mode=mode)
    for level, outs in ort_outputs(result, feeds).items():
        report = compare_outputs(result.output_names, outs, reference)
        assert report.ok, f"ONNX Runtime ({level}) differs from PyTensor:\n{report}"
    interpreted = compare_outputs(result.output_names, run_module(result.module, feeds), reference)
    assert interpreted.ok, f"the IR interpreter differs from PyTensor:\n{interpreted}"


def test_inc_uint8_by_python_int_wraps():
    """The issue's example: 7 is an int8 constant; 251 + 7 wraps to 2, 250 - 7 is 243."""
    x = pt.vector("x", dtype="uint8")
    idx = pt.lvector("idx")
    outs = [pt.inc_subtensor(x[1:3], 7), pt.inc_subtensor(x[idx], 7),
            pt.inc_subtensor(x[idx], -7)]  # fmt: skip
    result = compile_checked(fgraph_of([x, idx], outs))
    xv = np.array([250, 251, 252, 3], dtype=np.uint8)
    got = result.run(xv, np.array([0, 0, 3]))
    # Worked by hand: slice 1:3 gets +7 mod 256; index 0 twice accumulates (add.at).
    assert got[0].tolist() == [250, 2, 3, 3]
    assert got[1].tolist() == [8, 251, 252, 10]
    assert got[2].tolist() == [236, 251, 252, 252]
    check_against_pytensor([x, idx], outs[:3], [xv, np.array([0, 0, 3])], mode="NUMBA")


@settings(max_examples=25, deadline=None)
@given(
    x_dtype=st.sampled_from(INTS),
    y_dtype=st.sampled_from(INTS),
    repeated=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_advanced_inc_of_mixed_integer_dtypes_wraps(x_dtype, y_dtype, repeated, seed):
    rng = np.random.default_rng(seed)
    x = pt.vector("x", dtype=x_dtype)
    y = pt.vector("y", dtype=y_dtype)
    idx = pt.lvector("idx")
    xi, yi = np.iinfo(x_dtype), np.iinfo(y_dtype)
    xv = rng.integers(xi.min, xi.max, size=6, endpoint=True, dtype=x_dtype)
    yv = rng.integers(yi.min, yi.max, size=4, endpoint=True, dtype=y_dtype)
    iv = np.array([5, 0, 5, 2]) if repeated else np.array([5, 0, 1, 2])
    check_against_pytensor(
        [x, y, idx], [pt.inc_subtensor(x[idx], y)], [xv, yv, iv], mode="FAST_COMPILE"
    )


@pytest.mark.parametrize("x_dtype", ["uint8", "int16", "uint32"])
@pytest.mark.parametrize("y_dtype", ["int8", "uint16", "int64"])
def test_basic_inc_of_mixed_integer_dtypes_wraps(x_dtype, y_dtype):
    rng = np.random.default_rng(3)
    x = pt.matrix("x", dtype=x_dtype)
    y = pt.vector("y", dtype=y_dtype)
    xi, yi = np.iinfo(x_dtype), np.iinfo(y_dtype)
    xv = rng.integers(xi.min, xi.max, size=(3, 4), endpoint=True, dtype=x_dtype)
    yv = rng.integers(yi.min, yi.max, size=4, endpoint=True, dtype=y_dtype)
    outs = [pt.inc_subtensor(x[1], y), pt.inc_subtensor(x[::2, 1:3], y[:2])]
    check_against_pytensor([x, y], outs, [xv, yv], mode="NUMBA")


def test_float_increment_into_integers_without_repeats():
    """Each target gets one add: the float sum truncated to the integer dtype."""
    x = pt.vector("x", dtype="uint8")
    idx = pt.lvector("idx")
    y = pt.vector("y", dtype="float64")
    feeds = [np.array([250, 251, 252, 3], np.uint8), np.array([0, 3, 1]),
             np.array([3.7, -3.7, 2.25])]  # fmt: skip
    check_against_pytensor([x, idx, y], [pt.inc_subtensor(x[1:3], y[:2])], feeds, mode="NUMBA")
    # Distinct constant indices into a static shape: numpy's add.at, in every backend.
    x4 = pt.vector("x4", dtype="uint8", shape=(4,))
    unique = pt.inc_subtensor(x4[[0, 3, 1]], y)
    check_against_pytensor([x4, y], [unique], [feeds[0], feeds[2]], mode="FAST_COMPILE")


def test_inc_ignoring_duplicates_that_pytensor_refuses_is_refused():
    """x[idx] += y with ignore_duplicates: numpy refuses to cast int16 back to uint8 in
    place, and PyTensor's Numba backend fails to type it: no backend computes it."""
    x = pt.vector("x", dtype="uint8")
    idx = pt.lvector("idx")
    out = pt.inc_subtensor(x[idx], 7, ignore_duplicates=True)
    with pytest.raises(UnsupportedOpError, match="PyTensor raises in every backend"):
        Compiler().compile(fgraph_of([x, idx], [out]))


def test_float_increment_into_integers_at_repeated_indices_is_refused():
    """numpy's add.at truncates after every add (250 + 3.7 + 3.7 -> 253 -> 256.7): one
    scatter-add in one dtype cannot round like that, so it stays refused, saying why."""
    x = pt.vector("x", dtype="uint8")
    idx = pt.lvector("idx")
    with pytest.raises(UnsupportedOpError, match="adds in float64 and rounds to uint8 after"):
        Compiler().compile(fgraph_of([x, idx], [pt.inc_subtensor(x[idx], np.float64(3.7))]))
