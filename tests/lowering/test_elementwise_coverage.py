"""Every scalar op the frontend translates (``SCALAR_TO_IR`` plus Identity, Sqr, Cast and
Composite) has a graph here that really contains it, checked end to end. A scalar op added to
the frontend without an entry here fails ``test_every_frontend_scalar_op_is_covered``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytensor
import pytensor.scalar as ps
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import Mode
from pytensor.graph.basic import Apply
from pytensor.scalar import math as psm
from pytensor.tensor.elemwise import Elemwise

from compiler.frontend.elemwise import SCALAR_TO_IR
from tests.helpers import assert_matches_pytensor, fgraph_of

F = np.array([[0.5, -1.25, 2.0], [0.0, -0.0, 0.75]], "float32")
G = np.array([1.5, -0.5, 0.25], "float32")
N = np.array([[7, -7, 0], [3, -128, 127]], "int8")
J = np.array([2, -3, 5], "int8")
B = np.array([True, False, True])
#: In (0, 1) and positive parameters, for the inverse and incomplete functions.
P = np.array([[0.5, 0.125, 0.0], [0.999, 1.0, 0.75]], "float32")
A = np.array([0.5, 2.0, 7.25], "float32")

#: scalar op class → (input arrays, builder of the outputs from the PyTensor inputs)
CASES: dict[type, tuple[tuple[np.ndarray, ...], Callable]] = {
    ps.Add: ((F, N, G), lambda f, i, g: pt.add(f, i, g)),
    ps.Mul: ((F, N, G), lambda f, i, g: pt.mul(f, i, g)),
    ps.Sub: ((F, G), lambda f, g: f - g),
    ps.TrueDiv: ((N, J), lambda i, j: i / j),
    ps.IntDiv: ((N, J), lambda i, j: i // j),
    ps.Mod: ((N, J), lambda i, j: i % j),
    ps.Pow: ((F, G), lambda f, g: f**g),
    ps.Maximum: ((F, G), lambda f, g: pt.maximum(f, g)),
    ps.Minimum: ((F, G), lambda f, g: pt.minimum(f, g)),
    ps.Neg: ((N,), lambda i: -i),
    ps.Abs: ((N,), lambda i: abs(i)),
    ps.Sign: ((F,), lambda f: pt.sign(f)),
    ps.Clip: ((F, G), lambda f, g: pt.clip(f, g, 1.0)),
    ps.Exp: ((F,), pt.exp),
    ps.Exp2: ((F,), pt.exp2),
    ps.Expm1: ((F,), pt.expm1),
    ps.Log: ((F,), pt.log),
    ps.Log2: ((F,), pt.log2),
    ps.Log10: ((F,), pt.log10),
    ps.Log1p: ((F,), pt.log1p),
    ps.Sqrt: ((F,), pt.sqrt),
    ps.Reciprocal: ((F,), pt.reciprocal),
    ps.Sin: ((F,), pt.sin),
    ps.Cos: ((F,), pt.cos),
    ps.Tan: ((F,), pt.tan),
    ps.ArcSin: ((F,), pt.arcsin),
    ps.ArcCos: ((F,), pt.arccos),
    ps.ArcTan: ((F,), pt.arctan),
    ps.ArcTan2: ((F, F), pt.arctan2),
    ps.Sinh: ((F,), pt.sinh),
    ps.Cosh: ((F,), pt.cosh),
    ps.Tanh: ((F,), pt.tanh),
    ps.ArcSinh: ((F,), pt.arcsinh),
    ps.ArcCosh: ((F,), pt.arccosh),
    ps.ArcTanh: ((F,), pt.arctanh),
    psm.Sigmoid: ((F,), pt.sigmoid),
    psm.Softplus: ((F,), pt.softplus),
    psm.Erf: ((F,), pt.erf),
    psm.Erfc: ((F,), pt.erfc),
    psm.Erfcx: ((F,), pt.erfcx),
    psm.GammaLn: ((F,), pt.gammaln),
    psm.Psi: ((F,), pt.psi),
    psm.Gamma: ((F,), pt.gamma),
    psm.TriGamma: ((F,), pt.tri_gamma),
    psm.Log1mexp: ((F,), pt.log1mexp),
    psm.I0: ((F,), pt.i0),
    psm.I1: ((F,), pt.i1),
    psm.J0: ((F,), pt.j0),
    psm.J1: ((F,), pt.j1),
    psm.Ive: ((J, F), lambda j, f: pt.ive(j, f)),
    psm.Kve: ((G, F), lambda g, f: pt.kve(g, f)),
    psm.Jv: ((J, F), lambda j, f: pt.jv(j, f)),
    psm.Erfinv: ((F,), lambda f: pt.erfinv(f / 2)),
    psm.Erfcinv: ((P,), lambda p: pt.erfcinv(p * 2)),
    psm.NdtriExp: ((F,), lambda f: pt.math.ndtri_exp(-abs(f) - 0.25)),
    psm.Owens_t: ((F, G), lambda f, g: pt.owens_t(f, g)),
    psm.BetaInc: ((A, G, P), lambda a, g, p: pt.betainc(a, abs(g) + 0.5, p)),
    psm.BetaIncInv: ((A, G, P), lambda a, g, p: pt.betaincinv(a, abs(g) + 0.5, p)),
    psm.Hyp2F1: ((A, G, P), lambda a, g, p: pt.hyp2f1(a, g, a + 1.5, p * 0.75 - 0.25)),
    ps.Floor: ((F,), pt.floor),
    ps.Ceil: ((F,), pt.ceil),
    ps.Trunc: ((F,), pt.trunc),
    ps.RoundHalfToEven: ((F,), lambda f: pt.round(f, mode="half_to_even")),
    ps.RoundHalfAwayFromZero: ((F,), lambda f: pt.round(f, mode="half_away_from_zero")),
    ps.LT: ((N, J), lambda i, j: i < j),
    ps.GT: ((N, J), lambda i, j: i > j),
    ps.LE: ((N, J), lambda i, j: i <= j),
    ps.GE: ((N, J), lambda i, j: i >= j),
    ps.EQ: ((N, J), lambda i, j: pt.eq(i, j)),
    ps.NEQ: ((N, J), lambda i, j: pt.neq(i, j)),
    ps.IsNan: ((F,), pt.isnan),
    ps.IsInf: ((F,), pt.isinf),
    ps.AND: ((N, J), lambda i, j: i & j),
    ps.OR: ((N, J), lambda i, j: i | j),
    ps.XOR: ((B, B), lambda b, c: b ^ c),
    ps.Invert: ((B,), lambda b: ~b),
    ps.Switch: ((B, F, G), lambda b, f, g: pt.switch(b, f, g)),
    ps.Second: ((F, J), lambda f, j: pt.second(f, j)),
    ps.Identity: ((F,), pt.tensor_copy),
    ps.Sqr: ((N,), pt.sqr),
    ps.Cast: ((F,), lambda f: pt.cast(f, "int16")),
}


def _inputs(arrays):
    return [pt.tensor(f"x{k}", dtype=str(a.dtype), shape=a.shape) for k, a in enumerate(arrays)]


def _scalar_ops(fgraph) -> set[type]:
    found: set[type] = set()

    def walk(sop) -> None:
        found.add(type(sop))
        if isinstance(sop, ps.Composite):
            for node in sop.fgraph.apply_nodes:
                walk(node.op)

    for node in fgraph.apply_nodes:
        if isinstance(node, Apply) and isinstance(node.op, Elemwise):
            walk(node.op.scalar_op)
    return found


def test_every_frontend_scalar_op_is_covered():
    expected = set(SCALAR_TO_IR) | {ps.Identity, ps.Sqr, ps.Cast, ps.Composite}
    covered = set(CASES) | {ps.Composite}
    assert covered == expected, (
        f"not covered: {sorted(c.__name__ for c in expected - covered)}; "
        f"not in the frontend: {sorted(c.__name__ for c in covered - expected)}"
    )


@pytest.mark.parametrize("sop", list(CASES), ids=lambda c: c.__name__)
def test_scalar_op(sop):
    arrays, build = CASES[sop]
    inputs = _inputs(arrays)
    fgraph = fgraph_of(inputs, [build(*inputs)])
    assert sop in _scalar_ops(fgraph), f"the graph does not contain {sop.__name__}"
    assert_matches_pytensor(fgraph, list(arrays))


def test_composite():
    inputs = _inputs((F, G, N))
    f, g, i = inputs
    outs = [pt.exp(f) * g - pt.sqr(f) / 2, pt.switch(f > g, pt.log1p(abs(f)), i * g)]
    fn = pytensor.function(inputs, outs, mode=Mode(linker="py", optimizer="fast_run"))
    fgraph = fn.maker.fgraph
    assert ps.Composite in _scalar_ops(fgraph)
    assert_matches_pytensor(fgraph, [F, G, N])
