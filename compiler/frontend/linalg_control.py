"""The linear-control solvers that reduce to a linear solve: ``solve_sylvester`` (SolveSylvester),
``solve_continuous_lyapunov`` (a Sylvester equation with B = A.T) and
``solve_discrete_lyapunov`` (method 'bilinear': SolveBilinearDiscreteLyapunov, PyTensor's graph
of solves and a continuous Lyapunov equation, inlined; method 'direct' is a plain graph of kron
and solve), core and Blockwise, and their gradients (PyTensor's pullbacks: more Sylvester
equations).

SolveSylvester wraps a real Schur decomposition of A and B and LAPACK's trsyl (Bartels-Stewart).
Here the equation A X + X B = Q (A m x m, B n x n) is solved in its Kronecker form: the
(m n) x (m n) system (A ⊗ I_n + I_m ⊗ B.T) vec(X) = vec(Q) (row-major vec) by LU with partial
pivoting. The solution is the same to rounding (both are backward stable for a well-separated
spectrum; the error grows with 1 / sep(A, -B) in both); the cost is O((m n)^3), so this is meant
for the small systems of state-space models. Where A and -B share an eigenvalue (the equation
is singular) the LU solve's zero pivot gives all NaN; PyTensor's perform returns trsyl's
perturbed solution there.

``solve_discrete_are`` stays refused: it needs the QZ (generalized Schur) decomposition, which
does not reduce to the factorizations here.
"""

from __future__ import annotations

from pytensor.graph.basic import Apply
from pytensor.tensor.linalg.solvers.linear_control import (
    SolveBilinearDiscreteLyapunov,
    SolveSylvester,
)

from compiler.frontend.extra_ops import dim_of, emit, i64
from compiler.frontend.graphs import batched, import_op_from_graph
from compiler.frontend.importer import Importer, import_op
from compiler.frontend.nlinalg import lu_solve_general
from ir import ops
from ir.core import Value


def _identity(imp: Importer, n: Value, dtype: str) -> Value:
    idx = emit(imp, ops.Range, i64(imp, 0), n, i64(imp, 1))
    return imp.cast(emit(imp, ops.Eq, emit(imp, ops.Unsqueeze, idx, axes=[1]), idx), dtype)


def solve_sylvester(imp: Importer, a: Value, b: Value, q: Value) -> Value:
    """X with A X + X B = Q for A (..., m, m), B (..., n, n), Q (..., m, n), batch axes
    broadcast (the Kronecker form, see the module docstring)."""
    rank = a.rank
    m, n = dim_of(imp, a, rank - 1), dim_of(imp, b, rank - 1)
    eye_m, eye_n = _identity(imp, m, a.dtype), _identity(imp, n, a.dtype)

    def grid(x: Value, axes: list[int]) -> Value:
        """x's last two axes placed at two of the four axes (i, j, k, l)."""
        return emit(imp, ops.Unsqueeze, x, axes=axes)

    # K[i, j, k, l] = A[i, k] δ(j, l) + δ(i, k) B[l, j].
    b_t = emit(imp, ops.Transpose, b, perm=[*range(rank - 2), rank - 1, rank - 2])
    left = emit(imp, ops.Mul, grid(a, [rank - 1, rank + 1]), grid(eye_n, [0, 2]))
    right = emit(imp, ops.Mul, grid(eye_m, [1, 3]), grid(b_t, [rank - 2, rank]))
    kron = emit(imp, ops.Add, left, right)  # (..., m, n, m, n)
    mn = emit(imp, ops.Unsqueeze, emit(imp, ops.Mul, m, n), axes=[0])
    batch = emit(imp, ops.Slice, emit(imp, ops.Shape, kron), i64(imp, [0]),
                 i64(imp, [rank - 2]), i64(imp, [1]), axes=[0])  # fmt: skip
    system = emit(imp, ops.Reshape, kron, emit(imp, ops.Concat, batch, mn, mn, axis=0))
    q = emit(imp, ops.Expand, q, emit(imp, ops.Concat, batch, i64(imp, [1, 1]), axis=0))
    rhs = emit(imp, ops.Reshape, q, emit(imp, ops.Concat, batch, mn, i64(imp, [1]), axis=0))
    x = lu_solve_general(imp, system, rhs)
    shape = emit(imp, ops.Concat, batch, emit(imp, ops.Unsqueeze, m, axes=[0]),
                 emit(imp, ops.Unsqueeze, n, axes=[0]), axis=0)  # fmt: skip
    return emit(imp, ops.Reshape, x, shape)


@import_op.register(SolveSylvester)
@batched
def import_solve_sylvester(op: SolveSylvester, node: Apply, imp: Importer) -> list[Value]:
    """SolveSylvester (solve_sylvester, solve_continuous_lyapunov): X with A X + X B = Q, by
    the Kronecker-form LU solve instead of PyTensor's Schur + trsyl graph (module docstring)."""
    dtype = node.outputs[0].type.dtype
    a, b, q = (imp.cast(imp.value(v), dtype) for v in node.inputs)
    return [solve_sylvester(imp, a, b, q)]


# SolveBilinearDiscreteLyapunov's inner graph (solves and a SolveSylvester) is inlined as any
# OpFromGraph's; TRSYL (inside SolveSylvester's own graph) stays refused with the solvers.
import_op.register(SolveBilinearDiscreteLyapunov)(import_op_from_graph)
