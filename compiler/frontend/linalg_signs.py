"""Whether a graph reads eigenvectors or singular vectors only through expressions that do not
depend on their signs (v diag(g) v^T, U diag(ds) V^T, as PyTensor's gradients of eigvalsh and
svd(compute_uv=False) build them), so that vectors with other signs than LAPACK's give exactly
the graph's results.

An abstract interpretation over the nodes after the decomposition: a value is "column-signed"
(X S, S an unknown diagonal of +-1 shared by the decomposition's outputs), "row-signed" (S X) or
invariant. Eigh's v and SVD's U are column-signed, SVD's V^T row-signed. The rules:
  - the transpose of the last two axes swaps column- and row-signed;
  - a matmul (Dot or a Blockwise of it): (X S) @ (S Y) = X Y is invariant; Y @ (X S) stays
    column-signed and (S X) @ Y row-signed for invariant Y; (X S) @ D and D @ (S X), D an
    invariant diagonal matrix (AllocDiag), keep their signs (diagonal matrices commute with S);
  - an elementwise Neg keeps the sign; an elementwise Mul by an invariant operand broadcast
    along the rows (a scale per column) keeps column signs, along the columns row signs.
Any other reader of a signed value, or a signed graph output, makes the graph sign-dependent.
"""

from __future__ import annotations

from collections.abc import Iterable

from pytensor.graph.basic import Apply, Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.scalar import Mul, Neg
from pytensor.tensor.basic import AllocDiag
from pytensor.tensor.blockwise import Blockwise
from pytensor.tensor.elemwise import DimShuffle, Elemwise
from pytensor.tensor.math import Dot

COLUMN, ROW = "column", "row"


def _core(op: object) -> object:
    return op.core_op if isinstance(op, Blockwise) else op


def _is_transpose(op: object, ndim: int) -> bool:
    if not isinstance(op, DimShuffle) or ndim < 2:
        return False
    return tuple(op.new_order) == (*range(ndim - 2), ndim - 1, ndim - 2)


def _is_diagonal(var: Variable) -> bool:
    node = var.owner
    if node is None:
        return False
    core = _core(node.op)
    return isinstance(core, AllocDiag) and core.offset == 0 and (core.axis1, core.axis2) == (0, 1)


def _matmul(a: str | None, b: str | None, node: Apply) -> str | bool | None:
    """The sign state of a @ b, or False when it depends on the signs."""
    x, y = node.inputs
    if a == COLUMN and b == ROW:
        return None
    if a == COLUMN and b is None:
        return COLUMN if _is_diagonal(y) else False
    if a is None and b == COLUMN:
        return COLUMN
    if a == ROW and b is None:
        return ROW
    if a is None and b == ROW:
        return ROW if _is_diagonal(x) else False
    return False


def _elementwise(states: list[str | None], node: Apply) -> str | bool | None:
    scalar_op = node.op.scalar_op
    signed = [s for s in states if s is not None]
    if isinstance(scalar_op, Neg):
        return signed[0]
    if not isinstance(scalar_op, Mul) or len(signed) != 1:
        return False
    state = signed[0]
    out_ndim = node.outputs[0].ndim
    axis = out_ndim - 2 if state == COLUMN else out_ndim - 1
    for var, s in zip(node.inputs, states, strict=True):
        if s is None and (var.ndim != out_ndim or not var.type.broadcastable[axis]):
            return False
    return state


def sign_invariant(fgraph: FunctionGraph, signed: Iterable[tuple[Variable, str]]) -> bool:
    """Whether the outputs of ``fgraph`` do not depend on the signs S of the ``signed``
    variables (each with its state, COLUMN or ROW; all share one S)."""
    states: dict[Variable, str] = dict(signed)
    for node in fgraph.toposort():
        ins = [states.get(v) for v in node.inputs]
        if all(s is None for s in ins):
            continue
        core = _core(node.op)
        if len(node.inputs) == 1 and _is_transpose(node.op, node.inputs[0].ndim):
            out: str | bool | None = ROW if ins[0] == COLUMN else COLUMN
        elif isinstance(core, Dot) and len(node.inputs) == 2:
            out = _matmul(ins[0], ins[1], node)
        elif isinstance(node.op, Elemwise) and len(node.outputs) == 1:
            out = _elementwise(ins, node)
        else:
            return False
        if out is False:
            return False
        if out is not None:
            states[node.outputs[0]] = out
    return not any(v in states for v in fgraph.outputs)


__all__ = ["COLUMN", "ROW", "sign_invariant"]
