"""Matrix products end to end: Dot on every rank, ``@`` (Blockwise Matmul) with batches and
broadcasting, outer, tensordot, einsum, and the BLAS ops PyTensor's rewrites introduce (Dot22,
Dot22Scalar, Gemm, Gemv, BatchedDot) — ONNX Runtime and the IR interpreter against PyTensor.

Expected values always come from PyTensor: user graphs run in FAST_COMPILE; rewritten graphs
(which hold inplace ops PyTensor will not recompile) run in the very function they came from.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pytensor.compile.mode import Mode
from pytensor.graph.fg import FunctionGraph
from pytensor.tensor import blas
from pytensor.tensor.blockwise import Blockwise
from pytensor.tensor.elemwise import Elemwise
from pytensor.tensor.math import Dot, Sum
from pytensor.tensor.shape import Reshape, Shape
from pytensor.tensor.subtensor import Subtensor

from compiler.frontend import import_op
from compiler.verify import compare_outputs
from ir import ops
from ir.interpreter import run_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of
from tests.lowering.util import var

#: PyTensor's optimizing rewrites with the Python linker: the BLAS ops appear, C code does not.
FAST_RUN_PY = Mode(linker="py", optimizer="fast_run")


def rand(shape: Sequence[int], dtype: str = "float64", seed: int = 0) -> np.ndarray:
    """Well-conditioned values: positive, so sums do not cancel and the relative error of any
    summation order stays within a few ulps (BLAS and ONNX Runtime sum in different orders)."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    return rng.uniform(0.5, 1.5, shape).astype(dtype)


def op_classes(fgraph: FunctionGraph) -> set[type]:
    return {type(node.op) for node in fgraph.apply_nodes}


def ir_op_names(result) -> list[str]:
    return [op.NAME for op in result.module.func.ops]


def check_rewritten(inputs, outputs, feeds, expect: Sequence[type], **options) -> FunctionGraph:
    """Compile the graph PyTensor's fast_run rewrites make of ``outputs`` and compare ONNX
    Runtime and the interpreter with that same rewritten graph run by PyTensor. ``expect``:
    op classes the rewritten graph must contain (or the test would not test them)."""
    fn = pytensor.function(inputs, outputs, mode=FAST_RUN_PY, on_unused_input="ignore")
    fgraph = fn.maker.fgraph
    found = op_classes(fgraph)
    for cls in expect:
        assert any(issubclass(f, cls) for f in found), f"no {cls.__name__} in {found}"
    result = compile_checked(fgraph, **options)
    # Copies: Gemv's perform may zero its y input in place when beta == 0.
    want = fn(*[f.copy() for f in feeds])
    ordered = [f.copy() for f in feeds]
    for who, got in (
        ("ONNX Runtime", result.run(*ordered)),
        ("interpreter", run_module(result.module, ordered)),
    ):
        report = compare_outputs(result.output_names, got, want)
        assert report.ok, f"{who} differs from PyTensor's rewritten graph:\n{report}"
    return fgraph


def missing_rules(*op_classes: type) -> list[str]:
    """Op classes (of other families) that have no frontend rule yet."""
    default = import_op.dispatch(object)
    return [c.__name__ for c in op_classes if import_op.dispatch(c) is default]


# -- Dot on every rank -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("sa", "sb"),
    [
        ((3, 4), (4, 5)),  # matrix @ matrix: the Dot op itself
        ((4,), (4, 5)),  # vector: dimshuffled around Dot
        ((3, 4), (4,)),
        ((4,), (4,)),  # inner product: a 0-d result
        ((), (3, 4)),  # a scalar: elementwise product
        ((3, 4), ()),
    ],
)
def test_dot_of_every_rank(sa, sb, dtype):
    a, b = rand(sa, dtype, 1), rand(sb, dtype, 2)
    x, y = var("x", a), var("y", b)
    out = pt.dot(x, y)
    assert out.ndim == max(len(sa) + len(sb) - 2, 0) or 0 in (len(sa), len(sb))
    assert_matches_pytensor(fgraph_of([x, y], [out]), [a, b])


def test_dot_of_rank_3_goes_through_tensordot():
    """pt.dot of rank > 2 is tensordot: reshapes around a 2-D Dot (shape ops of another
    family)."""
    missing = missing_rules(Reshape, Shape, Subtensor)
    if missing:
        pytest.skip(f"needs rules for {missing}")
    a, b = rand((2, 3, 4), seed=1), rand((5, 4, 2), seed=2)
    x, y = var("x", a), var("y", b)
    assert_matches_pytensor(fgraph_of([x, y], [pt.dot(x, y), pt.dot(x, b[0])]), [a, b])


@pytest.mark.parametrize(("m", "k", "n"), [(0, 3, 2), (2, 0, 3), (3, 2, 0), (1, 1, 1), (0, 0, 0)])
def test_dot_with_empty_and_unit_dims(m, k, n):
    """k == 0 gives zeros (an empty sum), as numpy."""
    a, b = rand((m, k), seed=1), rand((k, n), seed=2)
    x, y = pt.matrix("x", shape=(None, None)), pt.matrix("y", shape=(None, None))
    assert_matches_pytensor(fgraph_of([x, y], [pt.dot(x, y), x @ y]), [a, b])


@pytest.mark.parametrize(
    "dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"]
)
def test_integer_and_bool_products_wrap_like_numpy(dtype):
    """ORT has no int8/int16/uint8/uint16/bool MatMul: computed in int32, which is exact for
    wrapping products (the ring homomorphism mod 2**n); bool is numpy's or-of-ands."""
    a, b = rand((4, 50), dtype, 1), rand((50, 3), dtype, 2)
    x, y = var("x", a), var("y", b)
    out = pt.dot(x, y)
    assert out.dtype == dtype
    if dtype in ("int8", "uint8"):
        assert np.any(np.abs(a.astype(np.int64) @ b.astype(np.int64)) > 127)  # it wraps
    assert_matches_pytensor(fgraph_of([x, y], [out, x @ y]), [a, b])


@pytest.mark.parametrize(
    ("da", "db"),
    [("int8", "float32"), ("int32", "float32"), ("uint64", "int64"), ("bool", "int8"),
     ("float16", "float16"), ("float16", "int8"), ("float32", "float64")],
)  # fmt: skip
def test_mixed_dtypes_compute_in_the_result_dtype(da, db):
    """numpy converts both operands to the result dtype first (int32 @ float32 is float64)."""
    a, b = rand((3, 6), da, 1), rand((6, 2), db, 2)
    if np.dtype(da).kind in "iu":
        a = (a % 7).astype(da)
    if np.dtype(db).kind in "iu":
        b = (b % 7).astype(db)
    x, y = var("x", a), var("y", b)
    out = pt.dot(x, y)
    assert out.dtype == np.result_type(a, b)
    assert_matches_pytensor(fgraph_of([x, y], [out, x @ y]), [a, b])


def test_float32_products_of_moderate_size_within_tolerance():
    """k = 256: BLAS and ONNX Runtime sum in different orders; positive inputs keep that
    within float32's default tolerance (no loosening)."""
    a, b = rand((16, 256), "float32", 1), rand((256, 24), "float32", 2)
    x, y = var("x", a), var("y", b)
    assert_matches_pytensor(fgraph_of([x, y], [pt.dot(x, y)]), [a, b])


def test_special_values_propagate():
    a = np.array([[np.inf, 1.0], [np.nan, 0.0], [1e308, 1e308]])
    b = np.array([[1.0, 0.0], [2.0, -1.0]])
    x, y = var("x", a), var("y", b)
    assert_matches_pytensor(fgraph_of([x, y], [pt.dot(x, y)]), [a, b])


# -- @ : Blockwise Matmul ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sa", "sb"),
    [
        ((2, 3, 4), (2, 4, 5)),  # batched
        ((1, 3, 4), (6, 4, 2)),  # broadcast batch (static 1)
        ((2, 1, 3, 4), (1, 5, 4, 2)),  # both sides broadcast
        ((3, 4), (2, 4, 5)),  # matrix @ stack: the matrix gets a leading axis
        ((2, 3, 4), (4, 5)),
        ((4,), (2, 4, 5)),  # vector @ stack (vecmat)
        ((2, 3, 4), (4,)),  # stack @ vector (matvec)
        ((4,), (4,)),  # vecdot: a 0-d result
        ((0, 3, 4), (1, 4, 2)),  # empty batch
    ],
)
def test_matmul_operator(sa, sb):
    a, b = rand(sa, seed=1), rand(sb, seed=2)
    x, y = var("x", a), var("y", b)
    out = x @ y
    assert out.shape.eval({x: a, y: b}).tolist() == list(np.matmul(a, b).shape)
    result = compile_checked(fgraph_of([x, y], [out]))
    assert "tir.matmul" in ir_op_names(result)
    assert_matches_pytensor(fgraph_of([x, y], [out]), [a, b])


def test_matmul_is_a_blockwise_of_dot():
    x, y = pt.tensor3("x"), pt.tensor3("y")
    node = (x @ y).owner
    assert isinstance(node.op, Blockwise) and isinstance(node.op.core_op, Dot)


def test_matmul_with_a_symbolic_batch_compiles_once():
    """One model for every batch size; the batch dim stays symbolic in ONNX."""
    x, w = pt.tensor3("x", shape=(None, 3, 4)), pt.matrix("w", shape=(4, 2))
    out = pt.tanh(x @ w)
    result = compile_checked(fgraph_of([x, w], [out]), dim_names={"x": {0: "batch"}})
    dims = result.to_onnx().graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch"
    reference = pytensor.function([x, w], out, mode="FAST_COMPILE")
    weights = rand((4, 2), seed=3)
    for batch in (1, 5, 0):
        feed = rand((batch, 3, 4), seed=batch)
        report = compare_outputs(["out"], result.run(feed, weights), [reference(feed, weights)])
        assert report.ok, f"batch {batch}: {report}"


@st.composite
def matmul_cases(draw):
    batch_a, batch_b = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, min_side=0, max_side=3)
    ).input_shapes
    m, k, n = (draw(st.integers(0, 3)) for _ in range(3))
    dtype = draw(st.sampled_from(["float32", "float64", "int32", "int8"]))
    rank_a = draw(st.sampled_from([1, 2])) if not batch_a else 2
    rank_b = draw(st.sampled_from([1, 2])) if not batch_b else 2
    shape_a = (*batch_a, m, k) if rank_a == 2 else (k,)
    shape_b = (*batch_b, k, n) if rank_b == 2 else (k,)
    return shape_a, shape_b, dtype, draw(st.integers(0, 2**16))


@settings(max_examples=15, deadline=None)
@given(matmul_cases())
def test_matmul_batch_shapes_property(case):
    """Any broadcastable batch shapes (size-1 dims static, as PyTensor requires), vector or
    matrix operands, empty dims, float and wrapping int dtypes."""
    shape_a, shape_b, dtype, seed = case
    a, b = rand(shape_a, dtype, seed), rand(shape_b, dtype, seed + 1)
    x, y = var("x", a), var("y", b)
    assert_matches_pytensor(fgraph_of([x, y], [x @ y]), [a, b])


# -- Blockwise of Dot built directly ---------------------------------------------------------


def test_blockwise_of_dot_with_mixed_dtypes():
    a, b = rand((2, 3, 4), "int16", 1) % 5, rand((1, 4, 2), "float32", 2)
    x, y = var("x", a.astype("int16")), var("y", b)
    out = Blockwise(Dot(), signature="(m,k),(k,n)->(m,n)")(x, y)
    assert out.dtype == "float32"
    assert_matches_pytensor(fgraph_of([x, y], [out]), [a.astype("int16"), b])


# -- outer, tensordot, einsum --------------------------------------------------------------------


def test_outer_of_vectors():
    a, b = rand((4,), seed=1), rand((3,), seed=2)
    x, y = var("x", a), var("y", b)
    assert_matches_pytensor(fgraph_of([x, y], [pt.outer(x, y)]), [a, b])


def test_outer_of_a_matrix_flattens_it():
    missing = missing_rules(Reshape)
    if missing:
        pytest.skip(f"needs rules for {missing}")
    a, b = rand((2, 3), "float32", 1), rand((4,), "float32", 2)
    x, y = var("x", a), var("y", b)
    assert_matches_pytensor(fgraph_of([x, y], [pt.outer(x, y)]), [a, b])


@pytest.mark.parametrize(
    ("sa", "sb", "axes"),
    [((2, 3, 4), (3, 4, 5), 2), ((2, 3, 4), (4, 3, 2), [[1, 2], [1, 0]]), ((3, 4), (4, 3), 1),
     ((2, 3), (3, 2), 0)],
)  # fmt: skip
def test_tensordot(sa, sb, axes):
    missing = missing_rules(Reshape, Shape, Subtensor)
    if missing:
        pytest.skip(f"needs rules for {missing}")
    a, b = rand(sa, seed=1), rand(sb, seed=2)
    x, y = var("x", a), var("y", b)
    assert_matches_pytensor(fgraph_of([x, y], [pt.tensordot(x, y, axes=axes)]), [a, b])


@pytest.mark.parametrize(
    ("subscripts", "shapes"),
    [
        ("ij,jk->ik", [(3, 4), (4, 2)]),
        ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
        ("bij,bkj->bik", [(2, 3, 4), (2, 5, 4)]),
        ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
        ("i,i->", [(4,), (4,)]),
        ("ij,ij->i", [(3, 4), (3, 4)]),
        ("ij,jk,kl->il", [(3, 4), (4, 5), (5, 2)]),
        ("ij->ji", [(3, 4)]),
    ],
)
def test_einsum_inlines_into_matmuls(subscripts, shapes):
    """Einsum is an OpFromGraph: its inner graph (Matmul, Dot, DimShuffle) is inlined."""
    arrays = [rand(s, seed=i) for i, s in enumerate(shapes)]
    xs = [pt.tensor(f"x{i}", shape=s) for i, s in enumerate(shapes)]
    out = pt.einsum(subscripts, *xs)
    assert type(out.owner.op).__name__ == "Einsum"
    assert_matches_pytensor(fgraph_of(xs, [out]), arrays)


def test_einsum_with_sums_and_outer_products():
    """Patterns whose inner graph needs reductions and reshapes (other families)."""
    missing = missing_rules(Reshape, Shape, Subtensor, Sum)
    if missing:
        pytest.skip(f"needs rules for {missing}")
    a, b = rand((3, 4), seed=1), rand((4,), seed=2)
    x, y = var("x", a), var("y", b)
    outs = [pt.einsum("ij->i", x), pt.einsum("i,j->ij", y, y), pt.einsum("ij,j->", x, y)]
    assert_matches_pytensor(fgraph_of([x, y], outs), [a, b])


# -- the BLAS ops of PyTensor's rewrites -----------------------------------------------------

X, Y = rand((3, 4), seed=1), rand((4, 5), seed=2)
Z, V, W = rand((3, 5), seed=3), rand((4,), seed=4), rand((3,), seed=5)


def blas_inputs(dtype: str = "float64"):
    """Static shapes: the rewritten graph then needs no run-time shape ops."""
    return (
        pt.matrix("x", shape=(3, 4), dtype=dtype), pt.matrix("y", shape=(4, 5), dtype=dtype),
        pt.matrix("z", shape=(3, 5), dtype=dtype), pt.vector("v", shape=(4,), dtype=dtype),
        pt.vector("w", shape=(3,), dtype=dtype),
    )  # fmt: skip


def feeds(dtype: str = "float64") -> list[np.ndarray]:
    return [f.astype(dtype) for f in (X, Y, Z, V, W)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dot22_and_dot22scalar(dtype):
    x, y, z, v, w = blas_inputs(dtype)
    fgraph = check_rewritten(
        [x, y, z, v, w], [pt.dot(x, y), 3.0 * pt.dot(x, y)], feeds(dtype),
        [blas.Dot22, blas.Dot22Scalar],
    )  # fmt: skip
    assert blas.Gemm not in op_classes(fgraph)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gemm_with_constant_scalars(dtype):
    x, y, z, v, w = blas_inputs(dtype)
    outs = [z * 0.5 + 2.0 * pt.dot(x, y)]
    check_rewritten([x, y, z, v, w], outs, feeds(dtype), [blas.Gemm])


@pytest.mark.parametrize(
    "build",
    [
        lambda z, d, b: z - d,  # gemm(z, -1, x, y, 1)
        lambda z, d, b: z + d,  # gemm(z, 1, x, y, 1)
        lambda z, d, b: b * z - d,  # gemm(z, -1, x, y, b)
    ],
)
def test_gemm_alpha_and_beta_of_one_and_minus_one(build):
    x, y, z, v, w = blas_inputs()
    b = pt.scalar("b")
    out = build(z, pt.dot(x, y), b)
    check_rewritten([x, y, z, v, w, b], [out], [*feeds(), np.array(-0.75)], [blas.Gemm])


@pytest.mark.parametrize(("a_value", "b_value"), [(1.5, -0.5), (2.0, 0.0), (1.0, 1.0)])
def test_gemm_with_symbolic_scalars(a_value, b_value):
    """b == 0 at run time: z is not read (its NaN does not reach the result)."""
    x, y, z, v, w = blas_inputs()
    a, b = pt.scalar("a"), pt.scalar("b")
    data = feeds()
    data[2][0, 0] = np.nan
    outs = [z * b + a * pt.dot(x, y)]
    check_rewritten(
        [x, y, z, v, w, a, b], outs, [*data, np.array(a_value), np.array(b_value)], [blas.Gemm]
    )


def test_inplace_gemm():
    x, y, z, v, w = blas_inputs()
    fgraph = check_rewritten(
        [x, y, z, v, w], [pt.exp(z) + pt.dot(x, y) * 1.5], feeds(), [blas.Gemm]
    )
    assert any(isinstance(n.op, blas.Gemm) and n.op.inplace for n in fgraph.apply_nodes)


@pytest.mark.parametrize(
    "build",
    [
        lambda x, v, w, a, b: w * b + a * pt.dot(x, v),  # gemv(w, a, x, v, b)
        lambda x, v, w, a, b: w + pt.dot(x, v),  # gemv(w, 1, x, v, 1)
        lambda x, v, w, a, b: pt.exp(w) + pt.dot(x, v) * a,  # inplace on exp(w)
    ],
)
def test_gemv(build):
    x, y, z, v, w = blas_inputs()
    a, b = pt.scalar("a"), pt.scalar("b")
    check_rewritten(
        [x, y, z, v, w, a, b], [build(x, v, w, a, b)], [*feeds(), np.array(0.75), np.array(-2.0)],
        [blas.Gemv],
    )  # fmt: skip


def test_inplace_gemv():
    x, _, _, v, w = blas_inputs()
    a = pt.scalar("a")
    fgraph = check_rewritten(
        [x, v, w, a], [pt.exp(w) + pt.dot(x, v) * a], [X, V, W, np.array(0.5)], [blas.Gemv]
    )
    assert any(isinstance(n.op, blas.Gemv) and n.op.inplace for n in fgraph.apply_nodes)


def test_gemv_with_symbolic_beta_zero_ignores_y():
    x, y, z, v, w = blas_inputs()
    a, b = pt.scalar("a"), pt.scalar("b")
    data = feeds()
    data[4] = np.array([np.nan, np.inf, 1.0])
    check_rewritten(
        [x, y, z, v, w, a, b], [w * b + a * pt.dot(x, v)], [*data, np.array(2.0), np.array(0.0)],
        [blas.Gemv],
    )  # fmt: skip


def test_matrix_vector_products_become_gemv_on_alloc_empty():
    """Dot22 of a vector-shaped operand becomes Gemv(AllocEmpty, 1, A, x, 0)."""
    x, y, z, v, w = blas_inputs()
    outs = [pt.dot(x, v), pt.dot(v, v), pt.dot(w, x)]
    fgraph = check_rewritten([x, y, z, v, w], outs, feeds(), [blas.Gemv, pt.basic.AllocEmpty])
    result = compile_checked(fgraph)
    assert "tir.expand" not in ir_op_names(result)  # the unread AllocEmpty is gone


@pytest.mark.parametrize("z_shape", [(3, 5), (1, 5), (3, 1), (1, 1)])
@pytest.mark.parametrize("b_value", [0.0, 1.0, -0.5])
@pytest.mark.parametrize("x_rows", [3, None])
def test_gemm_direct_broadcasts_z_and_skips_it_when_b_is_zero(z_shape, b_value, x_rows):
    """Built directly: z broadcast to the product's shape; with b == 0 z is not read (NaN and
    inf in z do not reach the result) but still broadcasts it (with x's rows symbolic the
    product's shape is not known to cover z's)."""
    z_data = rand(z_shape, seed=6)
    z_data.flat[0] = np.nan
    z_data.flat[-1] = np.inf
    x, y = pt.matrix("x", shape=(x_rows, 4)), pt.matrix("y", shape=(4, 5))
    z = pt.matrix("z", shape=z_shape)
    a = pt.scalar("a")
    out = blas.gemm_no_inplace(z, a, x, y, pt.constant(np.float64(b_value)))
    want = pytensor.function([z, a, x, y], out, mode="FAST_COMPILE")(z_data, 1.5, X, Y)
    if b_value == 0.0:
        assert np.isfinite(want).all()
    assert_matches_pytensor(fgraph_of([z, a, x, y], [out]), [z_data, np.array(1.5), X, Y])


def test_gemv_direct_with_beta_zero_does_not_read_y():
    y = pt.vector("y", shape=(3,))
    alpha, beta = pt.scalar("alpha"), pt.scalar("beta")
    a, x = pt.matrix("a", shape=(3, 4)), pt.vector("x", shape=(4,))
    outs = [
        blas.gemv_no_inplace(y, alpha, a, x, pt.constant(np.float64(0.0))),
        blas.gemv_no_inplace(y, alpha, a, x, beta),
    ]
    y_data = np.array([np.nan, -np.inf, 2.0])
    fgraph = fgraph_of([y, alpha, a, x, beta], outs)
    for beta_value in (0.0, 0.5):
        feeds_ = [y_data.copy(), np.array(-1.25), X, V, np.array(beta_value)]
        assert_matches_pytensor(fgraph, feeds_)


def test_batched_dot_from_rewrites_and_direct():
    a, b = rand((2, 3, 4), seed=1), rand((2, 4, 5), seed=2)
    x, y = pt.tensor3("x", shape=(2, 3, 4)), pt.tensor3("y", shape=(2, 4, 5))
    check_rewritten([x, y], [x @ y], [a, b], [blas.BatchedDot])
    direct = blas.BatchedDot()(x, pt.cast(y, "float32"))
    assert_matches_pytensor(fgraph_of([x, y], [direct]), [a, b])


def test_rewritten_inplace_elemwise():
    """Inplace Elemwise variants are the same Elemwise class with a destroy map (here on the
    product: inputs are never destroyed)."""
    x, y, *_ = blas_inputs()
    outs = [pt.exp(pt.dot(x, y)) * 2.0]
    fgraph = check_rewritten([x, y], outs, [X, Y], [Elemwise])
    assert any(isinstance(n.op, Elemwise) and n.op.destroy_map for n in fgraph.apply_nodes)


def test_matmul_ir_op_is_used_once_per_product():
    """The BLAS decomposition adds no products: one tir.matmul per Gemm."""
    x, y, z, *_ = blas_inputs()
    fn = pytensor.function([x, y, z], z * 0.5 + 2.0 * pt.dot(x, y), mode=FAST_RUN_PY)
    result = compile_checked(fn.maker.fgraph)
    assert sum(op.NAME == ops.MatMul.NAME for op in result.module.func.ops) == 1


# -- ONNX Runtime pitfalls the matmul lowering avoids ---------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_transposed_matrix_times_vector(dtype):
    """ORT's MatMul-Transpose fusion computes transpose(a) @ b wrongly when b is 1-D (float
    and double, optimizations on); the rewrites make vector @ matrix a Gemv of the transposed
    matrix. The lowering never gives MatMul a 1-D operand."""
    x, *_, w = blas_inputs(dtype)
    feeds_ = [X.astype(dtype), W.astype(dtype)]
    check_rewritten([x, w], [pt.dot(w, x), pt.dot(w, x) * 2.0 + 1.0], feeds_, [blas.Gemv])


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_transposed_stacks_with_an_empty_sum(dtype):
    """k == 0 at run time: numpy gives zeros; ORT's fused batched transpose-matmul leaves
    uninitialized memory (dirtied here by a product computed first)."""
    x, y = pt.tensor3("x", dtype=dtype), pt.tensor3("y", dtype=dtype)
    c = pt.tensor3("c", dtype=dtype)
    outs = [pt.sum(c * c), x.mT @ y, y.mT @ x.mT.mT]
    result = compile_checked(fgraph_of([c, x, y], outs))
    reference = pytensor.function([c, x, y], outs, mode="FAST_COMPILE")
    for k in (2, 0, 2, 0):  # the arena reuses the buffers of the earlier runs
        feeds_ = [
            np.full((2, 3, 4), 7, dtype),
            rand((2, k, 3), dtype, 1),
            rand((2, k, 4), dtype, 2),
        ]
        report = compare_outputs(result.output_names, result.run(*feeds_), reference(*feeds_))
        assert report.ok, f"k = {k}:\n{report}"


def test_static_empty_batch_broadcast():
    """A batch of size 1 broadcast to 0 (static): ORT's ExpandElimination keeps the 1, so the
    empty result is made without MatMul."""
    a, b = rand((1, 2, 3), seed=1), rand((0, 3, 4), seed=2)
    x, y = pt.tensor3("x", shape=(1, 2, 3)), pt.tensor3("y", shape=(0, 3, 4))
    outs = [pt.exp(x).mT.mT @ y, pt.neg(y.mT).mT[:, :, :1].mT @ pt.exp(x).mT]
    assert_matches_pytensor(fgraph_of([x, y], outs), [a, b])


def test_transposed_stacks_with_a_symbolic_empty_batch():
    """ORT's fused transposed stack raises on an empty batch against a matrix: the lowering
    makes a stack @ matrix one (rows, k) @ (k, n) product."""
    x, w, v = pt.tensor3("x"), pt.matrix("w"), pt.vector("v")
    outs = [x.mT @ w, pt.matvec(x.mT, v), v @ x]
    result = compile_checked(fgraph_of([x, w, v], outs))
    reference = pytensor.function([x, w, v], outs, mode="FAST_COMPILE")
    for batch in (2, 0):
        feeds_ = [rand((batch, 3, 4)), rand((3, 5)), rand((3,))]
        report = compare_outputs(result.output_names, result.run(*feeds_), reference(*feeds_))
        assert report.ok, f"batch {batch}:\n{report}"


def test_stack_times_matrix_copies_nothing():
    """x (batch, m, k) @ w (k, n): Blockwise pads w to (1, k, n); the model multiplies by w as
    a matrix (no Expand copying it once per batch entry)."""
    x, w = pt.tensor3("x", shape=(None, 3, 4)), pt.matrix("w", shape=(4, 2))
    result = compile_checked(fgraph_of([x, w], [x @ w]))
    assert "Expand" not in [node.op_type for node in result.to_onnx().graph.node]
    assert_matches_pytensor(fgraph_of([x, w], [x @ w]), [rand((5, 3, 4)), rand((4, 2))])
