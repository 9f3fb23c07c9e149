"""Elemwise: dispatch again on the scalar op; Composite expands into its scalar graph."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
from pytensor.graph.basic import Apply, Constant
from pytensor.scalar import basic as ps
from pytensor.scalar import math as psm
from pytensor.tensor.elemwise import Elemwise

from compiler.errors import UnsupportedOp
from compiler.frontend.importer import Importer, InnerUnsupported, Unsupported, import_op
from ir import ops
from ir.core import Value
from ir.interpreter import InterpreterError, evaluate_op
from ir.ops.special_inverse import MAX_POLYGAMMA_ORDER
from ir.ops.tensor import constant_array
from ir.types import TensorType

#: Distinct constant orders a polygamma may have (one op each).
MAX_POLYGAMMA_ORDERS = 4

#: Scalar ops that are one IR elementwise op with the same operands.
SCALAR_TO_IR: dict[type, type[ops.Elementwise]] = {
    ps.Add: ops.Add,
    ps.Mul: ops.Mul,
    ps.Sub: ops.Sub,
    ps.TrueDiv: ops.Div,
    ps.IntDiv: ops.IntDiv,
    ps.Mod: ops.Mod,
    ps.Pow: ops.Pow,
    ps.Maximum: ops.Maximum,
    ps.Minimum: ops.Minimum,
    ps.Neg: ops.Neg,
    ps.Abs: ops.Abs,
    ps.Sign: ops.Sign,
    ps.Clip: ops.Clip,
    ps.Exp: ops.Exp,
    ps.Exp2: ops.Exp2,
    ps.Expm1: ops.Expm1,
    ps.Log: ops.Log,
    ps.Log2: ops.Log2,
    ps.Log10: ops.Log10,
    ps.Log1p: ops.Log1p,
    ps.Sqrt: ops.Sqrt,
    ps.Reciprocal: ops.Reciprocal,
    ps.Sin: ops.Sin,
    ps.Cos: ops.Cos,
    ps.Tan: ops.Tan,
    ps.ArcSin: ops.Asin,
    ps.ArcCos: ops.Acos,
    ps.ArcTan: ops.Atan,
    ps.ArcTan2: ops.Atan2,
    ps.Sinh: ops.Sinh,
    ps.Cosh: ops.Cosh,
    ps.Tanh: ops.Tanh,
    ps.ArcSinh: ops.Asinh,
    ps.ArcCosh: ops.Acosh,
    ps.ArcTanh: ops.Atanh,
    psm.Sigmoid: ops.Sigmoid,
    psm.Softplus: ops.Softplus,
    psm.Erf: ops.Erf,
    psm.Erfc: ops.Erfc,
    psm.Erfcx: ops.Erfcx,
    psm.GammaLn: ops.GammaLn,
    psm.Psi: ops.Psi,
    psm.Gamma: ops.Gamma,
    psm.TriGamma: ops.TriGamma,
    psm.Log1mexp: ops.Log1mexp,
    psm.I0: ops.I0,
    psm.I1: ops.I1,
    psm.J0: ops.J0,
    psm.J1: ops.J1,
    psm.Ive: ops.Ive,
    psm.Kve: ops.Kve,
    psm.Jv: ops.Jv,
    psm.BetaInc: ops.BetaInc,
    psm.BetaIncInv: ops.BetaIncInv,
    psm.Hyp2F1: ops.Hyp2F1,
    psm.Erfinv: ops.Erfinv,
    psm.Erfcinv: ops.Erfcinv,
    psm.NdtriExp: ops.NdtriExp,
    psm.Owens_t: ops.OwensT,
    ps.Floor: ops.Floor,
    ps.Ceil: ops.Ceil,
    ps.Trunc: ops.Trunc,
    ps.RoundHalfToEven: ops.RoundHalfToEven,
    ps.RoundHalfAwayFromZero: ops.RoundHalfAwayFromZero,
    ps.LT: ops.Lt,
    ps.GT: ops.Gt,
    ps.LE: ops.Le,
    ps.GE: ops.Ge,
    ps.EQ: ops.Eq,
    ps.NEQ: ops.Ne,
    ps.IsNan: ops.IsNan,
    ps.IsInf: ops.IsInf,
    ps.AND: ops.BitwiseAnd,
    ps.OR: ops.BitwiseOr,
    ps.XOR: ops.BitwiseXor,
    ps.Invert: ops.Invert,
    ps.Switch: ops.Where,
    ps.Second: ops.Second,
}


#: PyMC's exponentially scaled Bessel scalar ops (its von Mises and Rice log-densities), known
#: by module and name so that the frontend does not import PyMC: ive of order 0 and 1.
_PYMC_SCALED_BESSEL = {
    ("pymc.distributions.dist_math", "I0e"): 0,
    ("pymc.distributions.dist_math", "I1e"): 1,
}


def _pymc_scaled_bessel(order: int, x: Value, out_dtype: str, imp: Importer) -> Value:
    """scipy's i0e/i1e: ive(order, x), but 0 at ±inf (-0.0 for i1e(-inf)) where ive is NaN."""
    x = imp.cast(x, out_dtype)
    ive = imp.emit(ops.Ive, [imp.constant(np.asarray(order, dtype=out_dtype)), x])
    zero = imp.constant(np.asarray(0.0, dtype=out_dtype))
    at_inf = zero
    if order == 1:
        below = imp.emit(ops.Lt, [x, zero])
        at_inf = imp.emit(ops.Where, [below, imp.constant(np.asarray(-0.0, dtype=out_dtype)), zero])
    return imp.emit(ops.Where, [imp.emit(ops.IsInf, [x]), at_inf, ive])


@functools.singledispatch
def import_scalar(
    sop: Any, inputs: Sequence[Value], out_dtypes: Sequence[str], imp: Importer
) -> list[Value]:
    """One scalar op applied elementwise to tensor ``inputs``; returns its outputs."""
    ir_cls = SCALAR_TO_IR.get(type(sop))
    if ir_cls is None:
        order = _PYMC_SCALED_BESSEL.get((type(sop).__module__, type(sop).__name__))
        if order is not None:
            return [_pymc_scaled_bessel(order, inputs[0], out_dtypes[0], imp)]
        raise Unsupported(f"scalar op {type(sop).__name__} has no ONNX equivalent")
    (out_dtype,) = out_dtypes
    op = imp.emit_op(ir_cls, inputs)
    if op.result.dtype == out_dtype:
        return [op.result]
    # PyTensor computed in another dtype (a non-default floatX or cast policy): compute in
    # PyTensor's dtype, with every data operand converted first.
    data = {id(v) for v in op.data_operands()}
    exact = op.result_dtype() == op.compute_dtype()
    imp.block.erase(op)
    if not exact:
        raise Unsupported(
            f"{type(sop).__name__} gives {out_dtype} in PyTensor but {op.result.dtype} here"
        )
    converted = [
        imp.emit(ops.Cast, [v], {"to": out_dtype}) if id(v) in data and v.dtype != out_dtype else v
        for v in inputs
    ]
    return [imp.emit(ir_cls, converted)]


@import_scalar.register(ps.Identity)
def _identity(sop, inputs, out_dtypes, imp) -> list[Value]:
    return [inputs[0]]


@import_scalar.register(ps.Sqr)
def _sqr(sop, inputs, out_dtypes, imp) -> list[Value]:
    return [imp.emit(ops.Mul, [inputs[0], inputs[0]])]


@import_scalar.register(ps.Cast)
def _cast(sop, inputs, out_dtypes, imp) -> list[Value]:
    return [imp.emit(ops.Cast, [inputs[0]], {"to": sop.o_type.dtype})]


@import_scalar.register(psm.PolyGamma)
def _polygamma(sop, inputs, out_dtypes, imp) -> list[Value]:
    # The series' length and coefficients depend on the order: it must be known here. An
    # array of orders becomes one op per distinct order, selected elementwise.
    n, x = inputs
    try:
        orders = np.asarray(_constant_value(n))
    except (Unsupported, InterpreterError):
        raise Unsupported("polygamma's order n is not a constant") from None
    distinct = [int(v) for v in np.unique(orders)]
    if max(distinct) > MAX_POLYGAMMA_ORDER:
        raise Unsupported(
            f"polygamma of order {max(distinct)} (orders up to {MAX_POLYGAMMA_ORDER})"
        )
    if len(distinct) > MAX_POLYGAMMA_ORDERS:
        raise Unsupported(
            f"polygamma has {len(distinct)} distinct orders n (at most {MAX_POLYGAMMA_ORDERS})"
        )
    out = imp.emit(ops.PolyGamma, [x], {"n": distinct[0]})
    for order in distinct[1:]:
        same = imp.emit(ops.Eq, [n, imp.constant(np.asarray(order, dtype=n.dtype))])
        out = imp.emit(ops.Where, [same, imp.emit(ops.PolyGamma, [x], {"n": order}), out])
    if len(distinct) == 1 and orders.ndim > 0:
        out = imp.emit(ops.Second, [n, out])  # n's shape broadcast in
    return [out]


@import_scalar.register(ps.Composite)
def _composite(sop, inputs, out_dtypes, imp) -> list[Value]:
    return import_scalar_graph(sop.fgraph, inputs, imp)


def import_scalar_graph(fgraph: Any, inputs: Sequence[Value], imp: Importer) -> list[Value]:
    """The scalar ops of ``fgraph`` (a Composite's or ScalarLoop's inner graph) applied
    elementwise to ``inputs``; returns the values of its outputs. Every unsupported inner op
    is listed (InnerUnsupported)."""
    env: dict[Any, Value] = dict(zip(fgraph.inputs, inputs, strict=True))

    def value(var: Any) -> Value:
        if var in env:
            return env[var]
        if isinstance(var, Constant):
            return imp.constant(np.asarray(var.data, dtype=var.type.dtype))
        raise Unsupported(f"Composite reads {var}, which it does not define")

    refused: list[UnsupportedOp] = []  # every unsupported scalar op is listed, not the first
    for node in fgraph.toposort():
        out_dtypes = [o.type.dtype for o in node.outputs]
        inputs = [value(v) for v in node.inputs]
        try:
            outs = import_scalar(node.op, inputs, out_dtypes, imp)
        except Unsupported as e:
            types = [str(v.type) for v in inputs]
            refused.append(imp.inner_report(node.op, str(e), types))
            outs = [Value(TensorType(d, ())) for d in out_dtypes]  # stand-ins, never emitted
        env.update(zip(node.outputs, outs, strict=True))
    if refused:
        raise InnerUnsupported(refused)
    return [value(v) for v in fgraph.outputs]


@import_op.register(Elemwise)
def import_elemwise(op: Elemwise, node: Apply, imp: Importer) -> list[Value]:
    inputs = [imp.value(v) for v in node.inputs]
    try:
        return import_scalar(op.scalar_op, inputs, [o.type.dtype for o in node.outputs], imp)
    except Unsupported:
        folded = _fold_constant_node(node, inputs, imp)
        if folded is None:
            raise
        return folded


def _constant_value(value: Value, depth: int = 0) -> np.ndarray:
    """The value of ``value`` when it is computed from constants only (a constant broadcast by a
    DimShuffle, say), by the IR interpreter; raises Unsupported otherwise."""
    data = constant_array(value)
    if data is not None:
        return np.asarray(data)
    op = value.owner
    if op is None or op.regions or depth > 16:
        raise Unsupported("not a constant")
    args = [_constant_value(v, depth + 1) for v in op.operands]
    return evaluate_op(op, args)[op.results.index(value)]


def _fold_constant_node(node: Apply, inputs: Sequence[Value], imp: Importer) -> list[Value] | None:
    """An op with no lowering whose inputs are all constants is evaluated now, by PyTensor's
    own ``perform``, so that it never blocks a graph (``gammainc(2.0, 3.0)``). None if some
    input is not constant or ``perform`` fails (the op is then refused as before). (Ops left
    behind by a Composite that failed half-way are dead; DCE removes them.)"""
    storage: list[list[Any]] = [[None] for _ in node.outputs]
    try:
        arrays = [_constant_value(v) for v in inputs]
        with np.errstate(all="ignore"):
            node.op.perform(node, arrays, storage)
    except (Unsupported, InterpreterError, ValueError, TypeError, ArithmeticError):
        return None
    return [
        imp.constant(np.asarray(cell[0], dtype=out.type.dtype))
        for cell, out in zip(storage, node.outputs, strict=True)
    ]


@import_op.register(ps.ScalarOp)
def import_scalar_node(op: ps.ScalarOp, node: Apply, imp: Importer) -> list[Value]:
    """A scalar op applied to PyTensor scalars, outside any Elemwise (rewrites leave such index
    arithmetic, e.g. Scan's save-mem): scalars are 0-d tensors here, so it is the same rule."""
    inputs = [imp.value(v) for v in node.inputs]
    return import_scalar(op, inputs, [o.type.dtype for o in node.outputs], imp)
