"""Every failure the random-graph runs found, as a named test.

Each test is the printed program and inputs of a failing graph (``program_from_source``), checked
with the same invariant as the property test, or, where the failure was PyTensor itself being no
oracle (the generator now leaves those inputs out), the compiler's result against numpy computed
here, so that the behaviour stays pinned where the property test no longer looks.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytensor.tensor as pt
import pytensor.tensor.special as pts
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import Compiler
from tests.helpers import fgraph_of
from tests.property.graph_gen import (
    Builder,
    Skip,
    op_cumsum,
    program_from_source,
)
from tests.property.oracle import Kind, check_fgraph, check_program


def outcomes_of(source: str, feeds: list[np.ndarray]) -> dict[str, Kind]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcomes = check_program(program_from_source(source, feeds), feeds)
    return {variant: o.kind for variant, o in outcomes.items()}


# -- PyTensor's perform contradicting its own types: the oracle must say so ----------------------


def test_cumsum_of_int8_has_no_pytensor_oracle_and_compiles_to_the_declared_dtype():
    """Found as WRONG (graph 20 of the first run): ``cumsum`` of int8 is typed int8, but numpy
    (PyTensor's perform, and its Numba backend) returns int64 without wrapping, and a later
    ``prod`` saw the unwrapped values. The oracle calls this NO_ORACLE; the compiler follows
    the declared dtype (wrapping int8 arithmetic, as C and ONNX do)."""
    x = pt.tensor("x", dtype="int8", shape=(None,))
    fgraph = fgraph_of([x], [pt.cumsum(x)])
    feed = np.array([100, 100, 100], dtype="int8")
    assert check_fgraph(fgraph, {fgraph.inputs[0]: feed}).kind is Kind.NO_ORACLE
    (got,) = Compiler().compile(fgraph).run(feed)
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, np.cumsum(feed, dtype=np.int8))


def test_cumprod_of_bool_compiles_to_bool():
    """Found as WRONG (graph 4 of the first run): numpy's cumprod of bool gives int64 where
    PyTensor types it bool; the compiler gives the declared bool."""
    x = pt.tensor("x", dtype="bool", shape=(2,))
    fgraph = fgraph_of([x], [pt.cumprod(x)])
    feed = np.array([False, True])
    assert check_fgraph(fgraph, {fgraph.inputs[0]: feed}).kind is Kind.NO_ORACLE
    (got,) = Compiler().compile(fgraph).run(feed)
    np.testing.assert_array_equal(got, np.array([False, False]))
    assert got.dtype == np.bool_


@settings(
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(st.data(), st.sampled_from(["int8", "uint16", "int32", "bool", "uint8"]))
def test_generator_draws_cumsum_only_where_numpy_keeps_the_dtype(data, dtype):
    """The exclusion behind the two tests above, in the generator."""
    builder = Builder(data.draw, max_inputs=1)
    builder.new_input(dtype, (3,), (3,))
    with pytest.raises(Skip):
        op_cumsum(builder)


# -- PyTensor's perform less accurate than its declared dtype --------------------------------


def test_softplus_of_bool_is_log_2_in_float32():
    """Found as WRONG (graph 160 of the 2000-graph run): PyTensor's perform computes
    ``softplus`` of a bool in numpy's float16 (0.6933594 for False) and stores it as float32;
    the compiler gives float32's log(2), as PyTensor's C and Numba backends do."""
    x = pt.tensor("x", dtype="bool", shape=(2,))
    fgraph = fgraph_of([x], [pt.softplus(x)])
    (got,) = Compiler().compile(fgraph).run(np.array([False, True]))
    assert got.dtype == np.float32
    want = np.log1p(np.exp(np.array([0.0, 1.0]))).astype(np.float32)
    np.testing.assert_allclose(got, want, rtol=1e-6)


# -- PyTensor's answer depending on its rewrites -------------------------------------------------


def test_softmax_over_a_static_length_one_axis_keeps_nan_for_inf_and_nan():
    """Found as WRONG (graphs 117 to 122 of the 2000-graph run, fast_run only): over a static
    length-1 axis PyTensor rewrites ``x - max(x)`` inside Softmax to 0, so its rewritten graph
    gives 1 for +inf and NaN while the same graph unrewritten gives NaN. The compiler gives
    the op's definition, exp(x - max) / sum: NaN for +inf and NaN, 1 otherwise."""
    x = pt.tensor("x", dtype="float16", shape=(1, None))
    feed = np.array([[-2.75, math.inf, math.nan, -math.inf]], dtype="float16")
    for fn in (pts.softmax, pts.log_softmax):
        fgraph = fgraph_of([x], [fn(x, axis=0)])
        (got,) = Compiler().compile(fgraph).run(feed)
        with np.errstate(invalid="ignore"):  # inf - inf is NaN, as intended
            shifted = feed.astype(np.float64) - feed.astype(np.float64)  # max of one element
        want = np.exp(shifted) / np.exp(shifted) if fn is pts.softmax else shifted
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_array_equal(got[~np.isnan(got)], want[~np.isnan(want)])


def test_softmax_graph_of_the_run_passes_as_written():
    """The same failing graph, unrewritten, passes the invariant."""
    source = """
        x1 = pt.tensor('x1', dtype='float16', shape=(1, None, None))
        v7 = pts.softmax(x1, axis=0)
        outputs = [v7]
    """
    feeds = [
        np.array(
            [
                [
                    [-2.75, np.inf, np.inf, 1.375],
                    [3.25, 1.875, 1.75, -3.25],
                    [np.nan, -4.75, 0.125, -0.125],
                ]
            ],
            dtype="float16",
        )
    ]
    assert outcomes_of(source, feeds)["raw"] is Kind.OK


# -- the generator's own tolerance bookkeeping ---------------------------------------------------

GRAPH_262 = """
    x0 = pt.tensor('x0', dtype='float32', shape=(4, None, 4))
    v0 = pts.log_softmax(x0, axis=0)
    x2 = pt.tensor('x2', dtype='int64', shape=(None, 1))
    v1 = pt.maximum(x2, v0)
    v3 = v1.dimshuffle(['x', 0, 2, 1])
    outputs = [v0, v3]
"""


def test_float32_log_softmax_widened_to_float64_is_within_float32_tolerance():
    """Found as WRONG (graph 262 of the 2000-graph run): a float32 log_softmax (ORT's and
    numpy's differ in the last float32 ulp) went through ``maximum`` with an int64 into float64,
    where the comparison asked for float64's 1e-12. The compiler is right to float32's
    precision; the generator no longer widens inexact values (next test)."""
    rng = np.random.default_rng(0)
    x0 = (rng.integers(-40, 40, (4, 3, 4)) / 8).astype("float32")
    x2 = np.array([[-1], [3], [6]], dtype="int64")
    program = program_from_source(GRAPH_262, [x0, x2])
    inputs, outputs = program.build()
    fgraph = fgraph_of(inputs, outputs)
    got = Compiler().compile(fgraph).run(x0, x2)
    shifted = x0.astype(np.float64) - x0.max(axis=0, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    want = np.maximum(x2, log_softmax).transpose(0, 2, 1)[None]
    assert got[1].dtype == np.float64
    np.testing.assert_allclose(got[0], log_softmax, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], want, rtol=1e-5, atol=1e-6)  # float32's tolerance


@settings(max_examples=10, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(st.data())
def test_generator_does_not_widen_inexact_values(data):
    builder = Builder(data.draw, max_inputs=2)
    x = builder.new_input("float32", (3,), (3,))
    builder.emit(f"pt.exp({x.name})", (3,), exact=False)
    builder.new_input("int64", (3,), (3,))
    with pytest.raises(Skip, match="widened"):
        builder.emit("pt.maximum(v0, x1)", (3,), exact=False)
