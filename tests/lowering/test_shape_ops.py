"""Shape ops end to end: PyTensor graph → ONNX → ONNX Runtime, checked against PyTensor
(FAST_COMPILE) and the IR interpreter; each graph also as PyTensor's fast_run rewrites leave it
(Shape_i, MakeVector, Alloc, ...). Symbolic dims, property-based tests and refusals live in the
sibling ``test_shape_ops_*.py`` files."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import Mode
from pytensor.graph.fg import FunctionGraph
from pytensor.tensor.basic import ARange, MakeVector, ScalarFromTensor, TensorFromScalar
from pytensor.tensor.extra_ops import Repeat
from pytensor.tensor.reshape import JoinDims, SplitDims
from pytensor.tensor.shape import Shape, Shape_i, SpecifyShape

from compiler.verify import compare_outputs
from ir.interpreter import run_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of

FAST_RUN = Mode(linker="py", optimizer="fast_run")


def fast_run_fgraph(inputs, outputs) -> FunctionGraph:
    """The graph PyTensor's fast_run rewrites make of ``outputs``."""
    return pytensor.function(inputs, outputs, mode=FAST_RUN).maker.fgraph


def op_types(fgraph: FunctionGraph) -> set[type]:
    return {type(node.op) for node in fgraph.toposort()}


def check(inputs, outputs, feeds, *, fast_run: bool = True, expect=()) -> None:
    """The graph as written and (``fast_run``) as fast_run rewrites it, against PyTensor;
    ``expect``: PyTensor op classes the written graph must contain (so the test tests them)."""
    fgraph = fgraph_of(inputs, outputs)
    missing = set(expect) - op_types(fgraph)
    assert not missing, f"the graph has no {missing}: the test does not test them"
    assert_matches_pytensor(fgraph, feeds)
    if fast_run:
        assert_fast_run_matches(inputs, outputs, feeds)


def assert_fast_run_matches(inputs, outputs, feeds) -> None:
    """The fast_run-rewritten graph (in-place ops and all, so PyTensor cannot run it again)
    through ONNX Runtime and the interpreter, against PyTensor on the graph as written."""
    result = compile_checked(fast_run_fgraph(inputs, outputs))
    by_name = result.input_feeds(list(feeds), {})
    ordered = [by_name[n] for n in result.input_names]
    reference = pytensor.function(inputs, outputs, mode="FAST_COMPILE")(*ordered)
    for who, got in [("ONNX Runtime", result.run(*ordered)),
                     ("interpreter", run_module(result.module, ordered))]:  # fmt: skip
        report = compare_outputs(result.output_names, got, reference)
        assert report.ok, f"fast_run graph: {who} differs from PyTensor:\n{report}"


def ir_ops(fgraph: FunctionGraph) -> list[str]:
    return [op.NAME for op in compile_checked(fgraph).module.func.ops]


# -- Shape, Shape_i, SpecifyShape, TensorFromScalar, ScalarFromTensor ------------------------------


@pytest.mark.parametrize(
    ("dtype", "shape"),
    [("float32", (2, 3)), ("bool", (0, 4)), ("int8", ()), ("float64", (1, 0, 5)), ("uint16", (7,))],
)
def test_shape_and_shape_i(dtype, shape):
    x = pt.tensor("x", dtype=dtype, shape=(None,) * len(shape))
    outs = [x.shape] + [x.shape[i] for i in range(len(shape))] + [x.shape[-1:]] * bool(shape)
    feeds = [np.zeros(shape, dtype)]
    check([x], outs, feeds, expect={Shape})
    fgraph = fast_run_fgraph([x], outs)
    assert Shape_i in op_types(fgraph) or not shape


def test_shape_of_static_dims_is_a_constant():
    x = pt.tensor("x", shape=(2, None, 4))
    y = pt.tensor("y", shape=(2, 3))
    fgraph = fgraph_of([x, y], [x.shape, y.shape, x.reshape((y.shape[1], -1))])
    names = ir_ops(fgraph)
    assert names.count("tir.shape") == 1  # x's; y's is the constant [2, 3]
    assert_matches_pytensor(fgraph, [np.ones((2, 6, 4)), np.ones((2, 3))])


def test_specify_shape_passes_the_value_and_its_static_dims():
    x = pt.matrix("x")
    n = pt.lscalar("n")
    y = pt.specify_shape(x, (3, None))
    z = pt.specify_shape(x * 2, (n, 4))
    fgraph = fgraph_of([x, n], [y, z, y.shape, z.reshape((-1,))])
    assert SpecifyShape in op_types(fgraph)
    assert_matches_pytensor(fgraph, [np.arange(12.0).reshape(3, 4), np.int64(3)])
    # y.shape[0] is PyTensor's static 3: with x's run-time dim 1, a constant.
    shape_of_y = compile_checked(fgraph).module.func.outputs[2]
    assert shape_of_y.owner.NAME == "tir.concat"
    assert shape_of_y.owner.operands[0].owner.NAME == "tir.constant"


def test_scalar_tensor_conversions_are_identities():
    a = pytensor.scalar.float32("a")
    b = pytensor.scalar.int8("b")
    t = pt.tensor_from_scalar(a)
    u = pt.scalar_from_tensor(pt.cast(t * 2, "int16"))
    outs = [t, pt.tensor_from_scalar(b) + 1, pt.tensor_from_scalar(u)]
    fgraph = fgraph_of([a, b], outs)
    assert {TensorFromScalar, ScalarFromTensor} <= op_types(fgraph)
    assert_matches_pytensor(fgraph, [np.float32(1.5), np.int8(-7)])


# -- Reshape, flatten, join_dims, split_dims -------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "bool", "int8", "uint64", "float16"])
def test_reshape_with_minus_one_and_int8_literals(dtype):
    x = pt.tensor("x", dtype=dtype, shape=(None, None))
    outs = [x.reshape((-1,)), x.reshape((3, -1)), x.reshape((2, 1, -1, 3)), x.reshape((6, 2))]
    check([x], outs, [np.arange(12).reshape(4, 3).astype(dtype)])


def test_reshape_with_symbolic_sizes_from_the_shape():
    x = pt.tensor3("x")
    n0, n1, n2 = x.shape
    outs = [
        x.reshape((n0 * n1, n2)),
        x.reshape((n0, -1)),
        x.reshape((n2, n1, n0)),
        x.reshape((1, n0 * n1 * n2, 1)),
    ]
    for shape in [(2, 3, 4), (1, 5, 1), (2, 0, 3)]:
        check([x], outs, [np.arange(np.prod(shape), dtype="float64").reshape(shape)])


def test_reshape_to_and_from_zero_d_and_size_zero():
    s = pt.tensor("s", shape=(None, None))
    e = pt.matrix("e")
    outs = [s.reshape(()), s.reshape((1, 1, 1)), e.reshape((0, 5)), e.reshape((3, 0, 4))]
    check([s, e], outs, [np.array([[2.5]]), np.zeros((0, 7))])


def test_reshape_to_a_run_time_shape_vector():
    x = pt.matrix("x")
    target = pt.lvector("target")
    short = pt.bvector("short")  # int8 shape values become int64
    outs = [x.reshape(target, ndim=3), x.reshape(short, ndim=2)]
    feeds = [np.arange(12.0).reshape(3, 4), np.array([2, -1, 3]), np.array([6, 2], "int8")]
    check([x, target, short], outs, feeds)
    feeds[1] = np.array([0, 3, 4]) * 0 + np.array([1, 12, 1])
    check([x, target, short], outs, feeds, fast_run=False)


@pytest.mark.parametrize("shape", [(2, 3, 4), (1, 1, 1), (3, 0, 2), (5, 1, 2)])
def test_flatten_and_join_dims(shape):
    x = pt.tensor3("x")
    outs = [
        x.flatten(),
        x.flatten(2),
        x.flatten(3),
        pt.join_dims(x, 1),
        pt.join_dims(x, 0, 2),
        pt.join_dims(x, 1, 1),
        pt.join_dims(x, 3, 0),
        pt.join_dims(x, -1, 1),
        pt.join_dims(x, 0, 0),
    ]
    feeds = [np.arange(np.prod(shape), dtype="float32").reshape(shape)]
    check([x], outs, feeds, expect={JoinDims})


def test_join_dims_of_a_zero_d_tensor_and_static_dims():
    s = pt.scalar("s", dtype="int32")
    x = pt.tensor("x", shape=(2, None, 3), dtype="bool")
    outs = [pt.join_dims(s), pt.join_dims(x, 0, 2), pt.join_dims(x, 1, 2), pt.join_dims(x)]
    check([s, x], outs, [np.int32(-4), np.ones((2, 5, 3), bool)], expect={JoinDims})


@pytest.mark.parametrize("n", [3, 0, 1])
def test_split_dims(n):
    x = pt.matrix("x")
    k = pt.iscalar("k")
    outs = [
        pt.split_dims(x, (2, k), axis=0),
        pt.split_dims(x, (1, 2, 1, k), axis=0),
        pt.split_dims(x, k * 2, axis=0),
        pt.split_dims(x, (3, 1), axis=-1),
    ]
    if n:  # for n = 0, x[:1] has no row to split away
        outs.append(pt.split_dims(x[:1], (), axis=0))
    feeds = [np.arange(6.0 * n).reshape(2 * n, 3), np.int32(n)]
    check([x, k], outs, feeds, expect={SplitDims})


# -- Join, Split, MakeVector -----------------------------------------------------------------------


def test_join_axes_dtypes_and_empty_pieces():
    a = pt.matrix("a", dtype="float32")
    b = pt.matrix("b", dtype="int8")
    c = pt.matrix("c", dtype="float32")
    outs = [
        pt.concatenate([a, c], axis=0),
        pt.concatenate([a, c, a], axis=-1),
        pt.concatenate([a, b], axis=1),  # int8 joins float32 as float32
        pt.concatenate([b, b], axis=0),
        pt.concatenate([a], axis=0),
        pt.stack([a, c], axis=-1),
        pt.stack([a, c]),
    ]
    feeds = [np.arange(6, dtype="float32").reshape(2, 3) - 2.5,
             np.array([[1, -2, 3], [127, -128, 0]], "int8"),
             np.zeros((2, 3), "float32")]  # fmt: skip
    check([a, b, c], outs, feeds, expect={pt.basic.Join})
    e = pt.matrix("e")
    f = pt.matrix("f")
    check([e, f], [pt.concatenate([e, f]), pt.concatenate([e, e], axis=1)],
          [np.zeros((0, 3)), np.ones((2, 3))], fast_run=False)  # fmt: skip


def test_join_bool_and_uint64_with_int64():
    p = pt.vector("p", dtype="bool")
    u = pt.vector("u", dtype="uint64")
    i = pt.vector("i", dtype="int64")
    outs = [pt.concatenate([p, p]), pt.concatenate([u, i])]  # uint64 with int64: float64
    feeds = [np.array([True, False]), np.array([2**63 + 2**11, 5], "uint64"),
             np.array([-(2**62) - 1, 3])]  # fmt: skip
    check([p, u, i], outs, feeds)


def test_split_constant_and_run_time_sizes():
    x = pt.matrix("x", dtype="int16")
    sizes = pt.lvector("sizes")
    small = pt.wvector("small")
    outs = [
        *pt.split(x, [1, 0, 3], n_splits=3, axis=0),
        *pt.split(x, [2, 1], n_splits=2, axis=-1),
        *pt.split(x, sizes, n_splits=2, axis=1),
        *pt.split(x, small, n_splits=3, axis=0),
        pt.split(x, [4], n_splits=1, axis=0),
    ]
    feeds = [np.arange(12, dtype="int16").reshape(4, 3), np.array([3, 0]),
             np.array([2, 2, 0], "int16")]  # fmt: skip
    check([x, sizes, small], outs, feeds, expect={pt.basic.Split})


def test_make_vector_of_scalars_and_constants():
    a = pt.scalar("a", dtype="float32")
    n = pt.scalar("n", dtype="int8")
    m = pt.lscalar("m")
    outs = [
        pt.stack([a, a * 2, pt.constant(1.5, dtype="float32")]),
        MakeVector("int64")(pt.cast(n, "int64"), m, pt.constant(7, dtype="int64")),
        MakeVector("int8")(n),
        pt.as_tensor([m, n]),
        MakeVector("float32")() + a,
    ]
    check([a, n, m], outs, [np.float32(0.25), np.int8(-3), np.int64(2**40)], expect={MakeVector})


# -- Alloc, zeros, ones, full, AllocEmpty, fill ----------------------------------------------------


def test_alloc_family_with_symbolic_shapes():
    n = pt.iscalar("n")
    m = pt.lscalar("m")
    v = pt.scalar("v", dtype="float32")
    row = pt.tensor("row", shape=(1, None), dtype="int8")
    outs = [
        pt.zeros((n, 3)),
        pt.ones((n,), dtype="int64"),
        pt.full((m, n, 2), 5.0, dtype="float32"),
        pt.alloc(v, n, m),
        pt.alloc(row, m, n),
        pt.alloc(row, 2, 1, n),
        pt.full((n, 1), np.array(True)),
        pt.zeros(()),
        pt.alloc(v),
    ]
    feeds = [np.int32(3), np.int64(2), np.float32(-1.5), np.array([[1, -2, 3]], "int8")]
    check([n, m, v, row], outs, feeds, expect={pt.basic.Alloc})
    feeds[0] = np.int32(0)
    feeds[3] = np.zeros((1, 0), "int8")
    check([n, m, v, row], outs, feeds, fast_run=False)


def test_alloc_empty_gives_zeros_of_pytensor_s_shape_and_dtype():
    n = pt.iscalar("n")
    outs = [pt.empty((n, 3)), pt.empty((2, n), dtype="int16"), pt.empty(()), pt.empty((n, 0))]
    fgraph = fgraph_of([n], outs)
    assert pt.basic.AllocEmpty in op_types(fgraph)
    result = compile_checked(fgraph)
    want = pytensor.function([n], outs, mode="FAST_COMPILE")(np.int32(4))
    for got, ref in zip(result.run(np.int32(4)), want, strict=True):
        assert got.dtype == ref.dtype and got.shape == ref.shape
        assert not got.any()


def test_fill_and_second():
    x = pt.matrix("x")
    outs = [pt.fill(x, 3.0), pt.zeros_like(x, dtype="int8"), pt.ones_like(x), pt.full_like(x, 2)]
    check([x], outs, [np.ones((2, 3))])


# -- squeeze, expand_dims --------------------------------------------------------------------------


def test_squeeze_and_expand_dims():
    x = pt.tensor("x", shape=(None, 1, None, 1))
    s = pt.scalar("s", dtype="bool")
    outs = [
        pt.squeeze(x),
        pt.squeeze(x, axis=1),
        pt.squeeze(x, axis=-1),
        pt.squeeze(x, axis=(1, -1)),
        pt.expand_dims(x, 0),
        pt.expand_dims(x, (-1, 0)),
        pt.expand_dims(s, (0, 1)),
        pt.squeeze(pt.expand_dims(s, 0)),
    ]
    check([x, s], outs, [np.arange(6.0).reshape(2, 1, 3, 1), np.bool_(True)])
    check([x, s], outs, [np.zeros((0, 1, 1, 1)), np.bool_(False)], fast_run=False)


# -- ARange, Eye -----------------------------------------------------------------------------------


def test_arange_with_symbolic_bounds():
    n = pt.iscalar("n")
    m = pt.lscalar("m")
    b = pt.scalar("b", dtype="int8")
    outs = [
        pt.arange(n),
        pt.arange(m, n),
        pt.arange(n, m, -2),
        pt.arange(b, m, 3),
        pt.arange(b),
        pt.arange(b, dtype="int8"),
        pt.arange(m, m + 3, dtype="int32"),  # int64 bounds, int32 values: wrap as numpy's
        pt.arange(0, n, dtype="uint8"),
    ]
    assert {o.dtype for o in outs[:4]} == {"int64"}
    for values in [(7, 2, 3), (0, 0, 0), (-3, 5, -4)]:
        feeds = [np.int32(values[0]), np.int64(values[1]), np.int8(values[2])]
        check([n, m, b], outs, feeds, fast_run=values[0] == 7, expect={ARange})
    # numpy raises where start or start + step overflow the dtype, and wraps the values after
    wrapping = [pt.arange(m, m + 6, dtype="int32"), pt.arange(m - 2**31 + 30003, -70000, -20000,
                                                              dtype="int16")]  # fmt: skip
    check([m], wrapping, [np.int64(2**31 - 3)], fast_run=False)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_arange_of_floats(dtype):
    start, stop = pt.scalar("start", dtype=dtype), pt.scalar("stop", dtype=dtype)
    step = pt.scalar("step", dtype=dtype)
    k = pt.scalar("k", dtype="int8")  # int8 holds only values every float dtype has
    outs = [pt.arange(start, stop, step), pt.arange(0.5, stop, 0.25, dtype=dtype),
            pt.arange(start, k, dtype=dtype), pt.arange(k, dtype=dtype)]  # fmt: skip
    for values in [(0.1, 3.3, 0.3), (5.0, -2.5, -0.7), (1.0, 1.0, 0.1), (-1e-3, 2.0, 1.0)]:
        feeds = [np.asarray(v, dtype) for v in values] + [np.int8(9)]
        check([start, stop, step, k], outs, feeds, fast_run=values[0] == 0.1)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "bool", "uint8"])
def test_eye(dtype):
    n = pt.iscalar("n")
    m = pt.lscalar("m")
    k = pt.scalar("k", dtype="int8")
    x = pt.matrix("x")
    outs = [
        pt.eye(n, dtype=dtype),
        pt.eye(n, m, 1, dtype=dtype),
        pt.eye(m, n, -2, dtype=dtype),
        pt.eye(n, m, k, dtype=dtype),  # a run-time diagonal
        pt.eye(3, m, 0, dtype=dtype),
        pt.identity_like(x, dtype=dtype),
    ]
    for values in [(3, 4, 1), (0, 2, 0), (4, 1, -3), (2, 2, 5)]:
        feeds = [np.int32(values[0]), np.int64(values[1]), np.int8(values[2]), np.ones((2, 3))]
        check([n, m, k, x], outs, feeds, fast_run=values[0] == 3, expect={pt.basic.Eye})


# -- tile, repeat ----------------------------------------------------------------------------------


def test_tile():
    x = pt.matrix("x", dtype="int32")
    v = pt.vector("v")
    r = pt.lscalar("r")
    outs = [pt.tile(x, (2, 3)), pt.tile(x, (r, 1)), pt.tile(x, (2, 1, r)), pt.tile(v, 3),
            pt.tile(v, (r, 2)), pt.tile(x, (1, 1)), pt.tile(x, (0, 2))]  # fmt: skip
    for r_value in (2, 0):
        feeds = [np.arange(6, dtype="int32").reshape(2, 3), np.array([1.5, -2.0]),
                 np.int64(r_value)]  # fmt: skip
        check([x, v, r], outs, feeds, fast_run=r_value == 2)


def test_repeat_with_scalar_counts():
    x = pt.matrix("x", dtype="float32")
    r = pt.lscalar("r")
    outs = [pt.repeat(x, 2, axis=0), pt.repeat(x, r, axis=1), pt.repeat(x, 3),
            pt.repeat(x, r, axis=-1), pt.repeat(x, 0, axis=0)]  # fmt: skip
    for r_value in (3, 0, 1):
        feeds = [np.arange(6, dtype="float32").reshape(2, 3), np.int64(r_value)]
        check([x, r], outs, feeds, fast_run=r_value == 3)


def test_repeat_op_with_count_vectors():
    x = pt.matrix("x", dtype="int64")
    y = pt.tensor("y", shape=(2, 3), dtype="bool")
    counts = pt.lvector("counts")
    one = pt.tensor("one", shape=(1,), dtype="int16")
    outs = [
        pt.repeat(x, [1, 0, 2], axis=1),  # constant counts, symbolic axis: the run-time path
        pt.repeat(y, [1, 0, 2], axis=1),  # constant counts, static axis: constant indices
        pt.repeat(y, [2], axis=0),
        pt.repeat(x, counts, axis=0),
        pt.repeat(y, counts, axis=0),
        pt.repeat(x, one, axis=1),  # one count for all, from a vector of static length 1
        pt.repeat(x, pt.as_tensor(np.array([3, 1], "uint8")), axis=0),
    ]
    fgraph = fgraph_of([x, y, counts, one], outs)
    assert Repeat in op_types(fgraph)
    feeds = [np.arange(6).reshape(2, 3), np.array([[1, 0, 1], [0, 0, 1]], bool),
             np.array([0, 3]), np.array([2], "int16")]  # fmt: skip
    check([x, y, counts, one], outs, feeds)
    feeds[2] = np.array([4])  # numpy broadcasts one count
    check([x, y, counts, one], outs, feeds, fast_run=False)


def test_repeat_of_empty_and_run_time_length_one():
    v = pt.vector("v")
    counts = pt.lvector("counts")
    check([v, counts], [pt.repeat(v, counts, axis=0)], [np.zeros(0), np.array([3])])
    check([v, counts], [pt.repeat(v, counts, axis=0)], [np.zeros(0), np.zeros(0, "int64")],
          fast_run=False)  # fmt: skip


def test_shape_operands_computed_from_constants():
    """Targets, sizes and bounds that PyTensor does not know statically but constant folding
    does: folded by the frontend, so the types it stores are as precise as the constant-fold
    pass would make the inferred ones (the verifier rejects a stored type that is less)."""
    x = pt.vector("x")
    two_three = pt.maximum(pt.as_tensor(np.array([2, 3])), 1)
    counts = pt.sort(pt.as_tensor(np.array([2, 0, 1])))
    three = pt.maximum(pt.as_tensor(np.int64(3)), 1)
    outs = [
        x.reshape(two_three, ndim=2),
        pt.alloc(x[0], two_three[0], three),
        pt.arange(three * 2),
        pt.eye(three, two_three[0]),
        *pt.split(x, two_three * 0 + 3, n_splits=2, axis=0),
        pt.repeat(x[:3], counts, axis=0),
    ]
    assert outs[0].type.shape == (None, None)
    check([x], outs, [np.arange(6.0)])
