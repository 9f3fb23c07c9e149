"""Linear algebra: Dot, BatchedDot and the BLAS ops of PyTensor's rewrites (Dot22, Dot22Scalar,
Gemm, Gemv) become tir.matmul with their scaling written out in PyTensor's order; matrix
decompositions, solvers and inverses are refused.

Every product is numpy.matmul on operands converted to the result dtype (as numpy converts
them), so vectors, batches and integer products (wrapping) follow numpy.
"""

from __future__ import annotations

import numpy as np
import pytensor.scalar as ps
from pytensor.graph.basic import Apply
from pytensor.tensor import linalg as L
from pytensor.tensor.blas import BatchedDot, Dot22, Dot22Scalar, Gemm, Gemv
from pytensor.tensor.linalg.solvers.linear_control import TRSYL
from pytensor.tensor.math import Dot

from compiler.frontend.elemwise import import_scalar
from compiler.frontend.graphs import batched, refuse
from compiler.frontend.importer import Importer, import_op
from ir import ops
from ir.core import Value
from ir.ops.tensor import constant_array
from ir.types import UNKNOWN

# -- products ------------------------------------------------------------------------------------


def matmul(imp: Importer, a: Value, b: Value, dtype: str) -> Value:
    """numpy.matmul(a, b) in ``dtype`` (both operands converted to it first, as numpy does)."""
    return imp.emit(ops.MatMul, [imp.cast(a, dtype), imp.cast(b, dtype)])


@import_op.register(Dot)
@import_op.register(BatchedDot)
@import_op.register(Dot22)
@batched
def import_dot(op: object, node: Apply, imp: Importer) -> list[Value]:
    """Dot, Dot22 and BatchedDot compute numpy.matmul (their ``perform``); so does a Blockwise
    of them over any batch axes."""
    a, b = (imp.value(v) for v in node.inputs)
    return [matmul(imp, a, b, node.outputs[0].type.dtype)]


def _scalar(value: Value) -> float | None:
    """The number a constant 0-d value holds, or None."""
    data = constant_array(value)
    return None if data is None or data.size != 1 else data.reshape(-1)[0].item()


def _scaled(imp: Importer, factor: Value, x: Value) -> Value:
    """factor * x (0-d factor, converted to x's dtype as BLAS does); factor 1 is exact."""
    if _scalar(factor) == 1:
        return x
    return imp.emit(ops.Mul, [imp.cast(factor, x.dtype), x])


def _accumulate(
    imp: Importer, beta: Value, y: Value, product: Value, *, broadcast: bool = True
) -> Value:
    """beta * y + product, where beta == 0 does not read y (BLAS, and PyTensor's perform, skip
    it: y's NaN and inf do not propagate); with ``broadcast``, y's shape still broadcasts the
    result then."""
    beta_value = _scalar(beta)
    if beta_value == 0:
        return _broadcast_like(imp, product, y) if broadcast else product
    total = imp.emit(ops.Add, [_scaled(imp, beta, y), product])
    if beta_value is not None:
        return total
    zero = imp.constant(np.zeros((), y.dtype))
    is_zero = imp.emit(ops.Eq, [imp.cast(beta, y.dtype), zero])
    return imp.emit(ops.Where, [is_zero, product, total])


def _broadcast_like(imp: Importer, x: Value, like: Value) -> Value:
    """x broadcast against ``like``'s shape, skipped when ``like`` cannot widen x."""
    if like.rank <= x.rank and all(
        d == 1 or (isinstance(e, int) and e != 1) or d == e != UNKNOWN
        for d, e in zip(like.shape[::-1], x.shape[::-1], strict=False)
    ):
        return x
    return imp.emit(ops.Expand, [x, imp.emit(ops.Shape, [like])])


@import_op.register(Dot22Scalar)
def import_dot22_scalar(op: Dot22Scalar, node: Apply, imp: Importer) -> list[Value]:
    """dot22scalar(x, y, a) = a * dot(x, y)."""
    x, y, a = (imp.value(v) for v in node.inputs)
    return [_scaled(imp, a, matmul(imp, x, y, node.outputs[0].type.dtype))]


@import_op.register(Gemm)
def import_gemm(op: Gemm, node: Apply, imp: Importer) -> list[Value]:
    """gemm(z, a, x, y, b) = b * z + a * dot(x, y) (Gemm.perform: ``z *= b; z += a * dot``),
    with z broadcast to the product's shape and not read when b == 0."""
    z, a, x, y, b = (imp.value(v) for v in node.inputs)
    product = _scaled(imp, a, matmul(imp, x, y, node.outputs[0].type.dtype))
    return [_accumulate(imp, b, z, product)]


@import_op.register(Gemv)
def import_gemv(op: Gemv, node: Apply, imp: Importer) -> list[Value]:
    """gemv(y, alpha, A, x, beta) = beta * y + alpha * dot(A, x), y not read when beta == 0
    (the rewrites pass an AllocEmpty then, whose rule is with the shape ops). CGemv is the
    same op with C code."""
    y, alpha, a, x, beta = (imp.value(v) for v in node.inputs)
    product = _scaled(imp, alpha, matmul(imp, a, x, node.outputs[0].type.dtype))
    # Gemv does not broadcast: y and the product have the same length.
    return [_accumulate(imp, beta, y, product, broadcast=False)]


# -- refused -------------------------------------------------------------------------------------

refuse(
    "matrix decompositions have no ONNX operator (opset 18)",
    L.LU, L.LUFactor, L.PivotToPermutations, L.QR, L.SVD, L.Eig, L.Eigh,
    L.Eigvalsh, L.Schur, L.QZ, L.LUFactorTridiagonal,
)  # fmt: skip
refuse(
    "linear solvers have no ONNX operator (opset 18)",
    L.SolveBase, L.Lstsq, L.TensorSolve, L.SolveLUFactorTridiagonal, TRSYL,
)  # fmt: skip
refuse(
    "solve_discrete_are needs the QZ (generalized Schur) decomposition, which does not reduce "
    "to the LU, Cholesky and QR factorizations translated here",
    L.solvers.linear_control.SolveDiscreteARE,
)  # fmt: skip
refuse(
    "matrix inversion has no ONNX operator (opset 18)",
    L.MatrixInverse, L.MatrixPinv, L.TensorInv,
)  # fmt: skip
refuse("the matrix exponential has no ONNX operator (opset 18)", L.Expm)

# -- the real part (norm's Frobenius sum writes (x.conj() * x).real) --------------------------


@import_scalar.register(ps.Real)
def _real(sop: ps.Real, inputs: list[Value], out_dtypes: list[str], imp: Importer) -> list[Value]:
    """Real of a real number is the number itself (complex values never reach the IR)."""
    return [inputs[0]]


# The rules of the other linear-algebra modules register on import (after the refusals above,
# which they lift for the ops they translate).
from compiler.frontend import (  # noqa: E402, F401
    linalg_blockwise,
    linalg_constructors,
    linalg_control,
    linalg_expm,
    linalg_tridiagonal,
)
