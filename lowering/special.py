"""Special functions as float64 approximations built from opset-18 arithmetic.

ONNX has no log-gamma, digamma, erfc, erfcx or log1mexp, and ONNX Runtime has no float64 Erf
and no accurate sigmoid tails. Each function here is written once, as float64 formulas over
ONNX values (``_Num`` overloads the arithmetic), with range reduction, reflection and
polynomial or rational approximations; float32 and float16 are computed in float64 and
rounded once at the end (float16 through float32). Accuracy bounds, measured by
``benchmarks/accuracy.py`` against mpmath, are in each rule's docstring.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import onnx_ir as oir

from ir import ops
from ir.core import Operation
from lowering.context import LoweringContext, onnx_dtype
from lowering.elementwise import _dtype, _expm1, _log1p, where
from lowering.registry import lowers

V = oir.Value
F64 = "float64"


class _Num:
    """A float64 (or bool) ONNX value with Python arithmetic, so formulas read as formulas.
    Plain numbers are float64 constants. Comparisons are methods (``lt``, ``eq``, ...)."""

    __slots__ = ("ctx", "v")

    def __init__(self, ctx: LoweringContext, v: V) -> None:
        self.ctx, self.v = ctx, v

    def _of(self, other: _Num | float) -> V:
        return other.v if isinstance(other, _Num) else self.ctx.constant(float(other), F64)

    def _op(self, op_type: str, *args: V) -> _Num:
        return _Num(self.ctx, self.ctx.op(op_type, *args))

    def __add__(self, o: _Num | float) -> _Num:
        return self._op("Add", self.v, self._of(o))

    def __radd__(self, o: float) -> _Num:
        return self._op("Add", self._of(o), self.v)

    def __sub__(self, o: _Num | float) -> _Num:
        return self._op("Sub", self.v, self._of(o))

    def __rsub__(self, o: float) -> _Num:
        return self._op("Sub", self._of(o), self.v)

    def __mul__(self, o: _Num | float) -> _Num:
        return self._op("Mul", self.v, self._of(o))

    def __rmul__(self, o: float) -> _Num:
        return self._op("Mul", self._of(o), self.v)

    def __truediv__(self, o: _Num | float) -> _Num:
        return self._op("Div", self.v, self._of(o))

    def __rtruediv__(self, o: float) -> _Num:
        return self._op("Div", self._of(o), self.v)

    def __neg__(self) -> _Num:
        return self._op("Neg", self.v)

    def lt(self, o: _Num | float) -> _Num:
        return self._op("Less", self.v, self._of(o))

    def le(self, o: _Num | float) -> _Num:
        return self._op("LessOrEqual", self.v, self._of(o))

    def gt(self, o: _Num | float) -> _Num:
        return self._op("Greater", self.v, self._of(o))

    def ge(self, o: _Num | float) -> _Num:
        return self._op("GreaterOrEqual", self.v, self._of(o))

    def eq(self, o: _Num | float) -> _Num:
        return self._op("Equal", self.v, self._of(o))

    def and_(self, o: _Num) -> _Num:
        return self._op("And", self.v, o.v)

    def or_(self, o: _Num) -> _Num:
        return self._op("Or", self.v, o.v)

    def unary(self, op_type: str) -> _Num:
        return self._op(op_type, self.v)


def _select(cond: _Num, a: _Num | float, b: _Num | float) -> _Num:
    """cond ? a : b on float64 values (ORT's Where turns a selected -0.0 into +0.0: the rules
    restore signed zeros explicitly where a result can be one)."""
    return cond._op("Where", cond.v, cond._of(a), cond._of(b))


def _signed_select(cond: _Num, a: _Num, b: _Num, zeros: str = "ab") -> _Num:
    """cond ? a : b keeping -0.0 (the elementwise lowering's exact ``where``)."""
    return _Num(cond.ctx, where(cond.ctx, cond.v, a.v, b.v, F64, zeros=zeros))


def _horner(t: _Num, coefficients: Sequence[float]) -> _Num:
    """c[0] + c[1] t + ... + c[n] t**n (ascending coefficients)."""
    out: _Num | float = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        out = out * t + c if isinstance(out, _Num) else t * out + c
    assert isinstance(out, _Num)
    return out


def _sign_of(x: _Num) -> _Num:
    """-1.0 where x < 0 or x is -0.0, else 1.0 (multiplying by it restores an odd function's
    sign exactly, -0.0 included)."""
    negative = x.lt(0.0).or_(x.unary("Reciprocal").lt(0.0))  # 1 / -0.0 is -inf
    return _select(negative, -1.0, 1.0)


def _keep_nan(x: _Num, out: _Num) -> _Num:
    """NaN in, NaN out, whatever branch the selections took."""
    return _select(x.unary("IsNaN"), x, out)


def _build_subgraph(
    ctx: LoweringContext,
    name: str,
    inputs: Sequence[tuple[str, str, bool]],
    build: Callable[[list[V]], Sequence[V]],
) -> oir.Graph:
    """An ONNX subgraph (a Loop body, an If branch) built apart from the enclosing graph: fresh
    inputs for ``inputs`` ((name hint, dtype, scalar): scalars of shape [], the others of
    unknown shape), the nodes ``build`` emits on them in a node list of their own (constants
    it caches are forgotten afterwards: the enclosing graph cannot read them), and the values
    ``build`` returns as outputs (one not computed in the subgraph, an input or an outer value,
    through an Identity: a graph output must come from one of its nodes)."""
    saved = ctx.nodes, dict(ctx._cached_constants), set(ctx._cached_ids)
    ctx.nodes = []
    try:
        args = [
            oir.Value(
                name=ctx.fresh_name(hint),
                type=oir.TensorType(onnx_dtype(dtype)),
                shape=oir.Shape([]) if scalar else None,
            )
            for hint, dtype, scalar in inputs
        ]
        outs = list(build(args))
        made_here = {id(o) for node in ctx.nodes for o in node.outputs}
        outs = [o if id(o) in made_here else ctx.op("Identity", o) for o in outs]
        return oir.Graph(args, outs, nodes=ctx.nodes, name=ctx.fresh_name(name))
    finally:
        ctx.nodes, ctx._cached_constants, ctx._cached_ids = saved


def _in_float64(rule: Callable[..., _Num]):
    """A lowering rule computing ``rule`` in float64: float32 is widened (exactly) and the
    float64 result rounded once; float16 goes through float32 both ways."""

    def lower(op: Operation, ctx: LoweringContext, args: list[V]) -> V:
        dtype = _dtype(op)
        chain = {"float16": ["float32", F64], "float32": [F64], F64: []}[dtype]
        wide = []
        for x in args:
            for d in chain:
                x = ctx.cast(x, d)
            wide.append(_Num(ctx, x))
        out = rule(*wide).v
        for d in reversed([dtype, *chain[:-1]]):
            out = ctx.cast(out, d)
        return out

    lower.__doc__ = rule.__doc__
    return lower


# -- erf, erfc, erfcx ----------------------------------------------------------------------------
# Cephes (ndtr.c, S. L. Moshier) rational approximations: erf(x) = x T(x²)/U(x²) on |x| < 1;
# erfcx(x) = R(x)/S(x) on [8, 50) (here in w = 1/x so that no power of x overflows).
# Coefficients ascending; S and U have a leading 1 (added here).

_ERF_T = (
    5.55923013010394962768e4,
    7.00332514112805075473e3,
    2.23200534594684319226e3,
    9.00260197203842689217e1,
    9.60497373987051638749e0,
)
_ERF_U = (
    4.92673942608635921086e4,
    2.26290000613890934246e4,
    4.59432382970980127987e3,
    5.21357949780152679795e2,
    3.35617141647503099647e1,
    1.0,
)
# R and S in w = 1/x: R(x)/S(x) = R~(w) / (x S~(w)), the coefficients in reverse order.
_ERFC_R_W = (
    5.64189583547755073984e-1,
    1.27536670759978104416e0,
    5.01905042251180477414e0,
    6.16021097993053585195e0,
    7.40974269950448939160e0,
    2.97886665372100240670e0,
)
_ERFC_S_W = (
    1.0,
    2.26052863220117276590e0,
    9.39603524938001434673e0,
    1.20489539808096656605e1,
    1.70814450747565897222e1,
    9.60896809063285878198e0,
    3.36907645100081516050e0,
)


# erfc(3/4 + t) = sum d_k t**k, its Taylor series (mpmath), for |t| <= 1/4: erfc on [1/2, 1),
# where 1 - erf(x) would cancel (erf(1) / erfc(1) = 5.4).
_ERFC_AT_3_4 = (
    0.2888443663464848684,
    -0.64293106919520732905,
    0.48219830189640549679,
    -0.026788794549800305377,
    -0.15068696934262671775,
    0.053242729167728106937,
    0.026872509532768431332,
    -0.018435235177909451223,
    -0.0023017883040209274668,
    0.0039682604463747700933,
    -0.00018603225735249507546,
    -0.00062398367431325850498,
    0.00010618466494862626395,
    0.000075745620934720604862,
    -0.000022117975642824627086,
    -7.1662316943019931315e-6,
    3.2522647130036850161e-6,
    5.0342866807710056455e-7,
    -3.8205850278458818598e-7,
    -1.9885950700109760741e-8,
    3.768646235578500757e-8,
)
# erfcx on [1, 8) by Taylor series at 1.5, 2.5, ..., 7.5 (mpmath; 23 terms reach 1e-18 on
# |t| <= 1/2): Cephes' P/Q there is 4-5 ulp off, too much for erfc's 8-ulp bound.
# Row i: erfcx(i + 1.5 + t) = sum row[k] t**k.
_ERFCX_TAYLOR = (
    (
        0.3215854164543175,
        -0.16362291773256007,
        0.0761510398554774,
        -0.03293090529956264,
        0.013377340953066719,
        -0.005145957547985025,
        0.001886134877029727,
        -0.0006619300664115528,
        0.00022330994435309945,
        -7.265892219597859e-05,
        2.2864312211826308e-05,
        -6.974991614225297e-06,
        2.0669707984147273e-06,
        -5.960823717851086e-07,
        1.6754960581958065e-07,
        -4.596772840743168e-08,
        1.232475165105414e-08,
        -3.233011874217703e-09,
        8.305815377475094e-10,
        -2.09172586062783e-10,
        5.168226586533349e-11,
        -1.2538017834741216e-11,
        2.9886581012019698e-12,
    ),
    (
        0.2108063640611436,
        -0.07434734678979467,
        0.024937997086656904,
        -0.008001569382101607,
        0.002467036815701443,
        -0.0007335909371391998,
        0.00021101982428448125,
        -5.886896469371332e-05,
        1.596185313754949e-05,
        -4.214295966631021e-06,
        1.085222644194387e-06,
        -2.7295261020819155e-07,
        6.714018644565135e-08,
        -1.6169560629855874e-08,
        3.816612124430239e-09,
        -8.837373758373702e-10,
        2.0090858560460168e-10,
        -4.487834256774895e-11,
        9.85696990946992e-12,
        -2.130096609902542e-12,
        4.5317283847135657e-13,
        -9.496804892610957e-14,
        1.9613883286916602e-14,
    ),
    (
        0.1552936556088943,
        -0.041323577833252495,
        0.010661133192510575,
        -0.0026730744396436528,
        0.0006526863268788952,
        -0.00015546891822700772,
        3.618170436145608e-05,
        -8.237986560546121e-06,
        1.837187849886165e-06,
        -4.0173979687656533e-07,
        8.621971216363728e-08,
        -1.817650987342452e-08,
        3.766987934441909e-09,
        -7.680080158273595e-10,
        1.5413712557802162e-10,
        -3.0470410173904504e-11,
        5.936336246169481e-12,
        -1.140380389683685e-12,
        2.1611165358628705e-13,
        -4.041995811912423e-14,
        7.464180016935224e-15,
        -1.3614598152238999e-15,
        2.4537006033196137e-16,
    ),
    (
        0.12248480427384142,
        -0.026015928630939815,
        0.005413125434612246,
        -0.0011045761167898067,
        0.00022126645452905783,
        -4.3550828563618576e-05,
        8.429241997591408e-06,
        -1.605497021273497e-06,
        3.01126350465168e-07,
        -5.565076537338695e-08,
        1.0139581256985342e-08,
        -1.8222999485368922e-09,
        3.2320524809488786e-10,
        -5.659635878613798e-11,
        9.788804793895277e-12,
        -1.6728982951478972e-12,
        2.825953082162175e-13,
        -4.720228331469628e-14,
        7.798337033342696e-15,
        -1.2747122804899104e-15,
        2.0621317711380986e-16,
        -3.3024093664549146e-17,
        5.236795965758064e-18,
    ),
    (
        0.10096221839949909,
        -0.017794764701022602,
        0.00309101254387477,
        -0.000529463806474246,
        8.948080413320854e-05,
        -1.4927753496639608e-05,
        2.4593866338968967e-06,
        -4.0032200291619344e-07,
        6.440390446445815e-08,
        -1.0244561858149698e-08,
        1.6117628489269626e-09,
        -2.508847616457095e-10,
        3.864944331259338e-11,
        -5.894280527145526e-12,
        8.901286304704278e-13,
        -1.331430746077563e-13,
        1.9730215015971026e-14,
        -2.8972814141077227e-15,
        4.2168524870872795e-16,
        -6.084342591681255e-17,
        8.704640616625891e-18,
        -1.235038335749538e-18,
        1.738117972730393e-19,
    ),
    (
        0.08580567010489461,
        -0.01290545573188275,
        0.0019202078476567217,
        -0.0002827364814093732,
        4.121035924789787e-05,
        -5.947658519214839e-06,
        8.501929576671382e-07,
        -1.204012269652688e-07,
        1.6896245598222763e-08,
        -2.3501401281824036e-09,
        3.240669530074283e-10,
        -4.430998793347632e-11,
        6.0086719066387016e-12,
        -8.082493138961163e-13,
        1.0786448090199219e-13,
        -1.428402507108895e-14,
        1.877289742489253e-15,
        -2.448990288128005e-16,
        3.171622835622775e-17,
        -4.078267841823174e-18,
        5.20748738437712e-19,
        -6.603819447409958e-20,
        8.318224941460428e-21,
    ),
    (
        0.07457369306287669,
        -0.009773771152362328,
        0.0012704094201592168,
        -0.0001638003341121349,
        2.0953457159102526e-05,
        -2.659762167546386e-06,
        3.3508030083487727e-07,
        -4.1902831795658954e-08,
        5.202265591858774e-09,
        -6.412977459373669e-10,
        7.850649946570445e-11,
        -9.545272717196998e-12,
        1.1528256811211624e-12,
        -1.3832001673665836e-13,
        1.6489365085174958e-14,
        -1.953303813046156e-15,
        2.2994831091609843e-16,
        -2.6904880138284448e-17,
        3.1290788754405664e-18,
        -3.617672181558102e-19,
        4.158247392719899e-20,
        -4.7522536858874084e-21,
        5.400519348221301e-22,
    ),
)
# erfcx(x) ~ (1 + sum_k (-1)**k (2k - 1)!! / (2 x²)**k) / (x sqrt(π)), from x >= 50 (Cephes'
# R/S has the wrong limit there: R(∞)/S(∞) is 1/sqrt(π) to 2e-15 only).
_ERFCX_ASYMPTOTIC = (-0.5, 0.75, -1.875, 6.5625, -29.53125, 162.421875)
_INV_SQRT_PI = 0.5641895835477563


def _erf_small(x: _Num) -> _Num:
    """erf(x) for |x| < 1 (beyond, a harmless finite value)."""
    z = x * x
    return x * _horner(z, _ERF_T) / _horner(z, _ERF_U)


def _erfcx_taylor(a: _Num) -> _Num:
    """erfcx(a) for 1 <= a < 8: the series of the unit interval holding a, its coefficients
    gathered from a constant table by the interval's index."""
    ctx = a.ctx
    cell = a.unary("Floor")
    in_table = cell.ge(1.0).and_(cell.le(7.0))  # false for NaN, which must not index
    cell = _select(in_table, cell, _select(cell.gt(7.0), 7.0, 1.0))
    index = ctx.cast(ctx.op("Sub", cell.v, ctx.constant(1.0, F64)), "int64")
    table = ctx.constant(np.array(_ERFCX_TAYLOR, dtype=F64), F64)
    rows = ctx.op("Gather", table, index, axis=0)  # a's shape + [terms]
    t = a - (cell + 0.5)
    out: _Num | None = None
    for k in reversed(range(len(_ERFCX_TAYLOR[0]))):
        c = _Num(ctx, ctx.op("Gather", rows, ctx.constant(k, "int64"), axis=-1))
        out = c if out is None else out * t + c
    assert out is not None
    return out


def _erfcx_large(a: _Num) -> _Num:
    """erfcx(a) for a >= 1 (0 at +inf)."""
    near = _erfcx_taylor(a)
    w = 1.0 / a
    far = _horner(w, _ERFC_R_W) / (a * _horner(w, _ERFC_S_W))
    w2 = w * w
    asymptotic = (_INV_SQRT_PI / a) * (1.0 + w2 * _horner(w2, _ERFCX_ASYMPTOTIC))
    return _select(a.lt(8.0), near, _select(a.lt(50.0), far, asymptotic))


def _erfc_middle(x: _Num) -> _Num:
    """erfc(x) for 1/2 <= x < 1."""
    return _horner(x - 0.75, _ERFC_AT_3_4)


def _erfc_small(x: _Num) -> _Num:
    """erfc(x) for |x| < 1: 1 - erf(x), or the series at 3/4 from 1/2 on."""
    return _select(x.lt(0.5), 1.0 - _erf_small(x), _erfc_middle(x))


def _exp_square(a: _Num, sign: float) -> tuple[_Num, _Num]:
    """exp(sign * a²) as a product of two factors, for a >= 0: a = h + l with h a multiple of
    1/128 (so h² is exact), exp(±a²) = exp(±h²) exp(±(2hl + l²)). Rounding a² first would
    cost up to a² ulps (hundreds). a is clamped to 30, where both directions are saturated."""
    a = _select(a.lt(30.0), a, 30.0)
    h = (a * 128.0).unary("Round") / 128.0
    low = a - h
    return (sign * (h * h)).unary("Exp"), (sign * ((2.0 * h + low) * low)).unary("Exp")


def _erfc_positive(a: _Num) -> _Num:
    """erfc(a) for a >= 1: exp(-a²) erfcx(a), the possibly subnormal factor applied last."""
    big, small = _exp_square(a, -1.0)
    return big * (small * _erfcx_large(a))


def erf64(x: _Num) -> _Num:
    """erf(x): x T(x²)/U(x²) for |x| < 1, else ±(1 - erfc(|x|)). ≤ 2.3 ulp (float64) measured."""
    a = x.unary("Abs")
    magnitude = _select(a.lt(1.0), _erf_small(a), 1.0 - _erfc_positive(a))
    return _keep_nan(x, magnitude * _sign_of(x))


def erfc64(x: _Num) -> _Num:
    """erfc(x): 1 - erf(x) for |x| < 1, exp(-x²) erfcx(x) beyond (2 - that for x <= -1).
    ≤ 4 ulp (float64) measured."""
    a = x.unary("Abs")
    tail = _erfc_positive(a)
    tail = _select(x.lt(0.0), 2.0 - tail, tail)
    return _keep_nan(x, _select(a.lt(1.0), _erfc_small(x), tail))


def erfcx64(x: _Num) -> _Num:
    """erfcx(x) = exp(x²) erfc(x): the rational form for x >= 1, exp(x²)(1 - erf(x)) for
    |x| < 1, 2 exp(x²) - erfcx(-x) for x <= -1 (+inf below -26.6). ≤ 4 ulp measured."""
    a = x.unary("Abs")
    large = _erfcx_large(a)
    middle = (x * x).unary("Exp") * _erfc_small(x)
    big, small = _exp_square(a, 1.0)
    negative = 2.0 * (big * small) - large
    out = _select(x.ge(1.0), large, _select(x.gt(-1.0), middle, negative))
    return _keep_nan(x, out)


lowers(ops.Erf)(_in_float64(erf64))
lowers(ops.Erfc)(_in_float64(erfc64))
lowers(ops.Erfcx)(_in_float64(erfcx64))


# -- log1mexp ------------------------------------------------------------------------------------


def log1mexp64(x: _Num) -> _Num:
    """log(1 - exp(x)) as PyTensor: x < log(1/2) ? log1p(-exp(x)) : log(-expm1(x)), with
    log1p and expm1 to a few ulps (Goldberg's and Kahan's forms). ≤ 4 ulp measured."""
    ctx = x.ctx
    low = _Num(ctx, _log1p(ctx, (-x.unary("Exp")).v, F64))  # -0.0 for x <= -745, as numpy
    high = _Num(ctx, _expm1(ctx, x.v, F64))
    high = (-high).unary("Log")
    return _signed_select(x.lt(math.log(0.5)), low, high, zeros="a")


lowers(ops.Log1mexp)(_in_float64(log1mexp64))


# -- log-gamma -----------------------------------------------------------------------------------
# lgamma(2 + t) = t * sum c_k t**k, the Taylor series at 2: c_0 = 1 - euler_gamma,
# c_(k-1) = (-1)**k (ζ(k) - 1) / k (computed with mpmath; |t| <= 1/2 needs 27 terms).
_LGAMMA2 = (
    0.42278433509846713939,
    0.32246703342411321824,
    -0.067352301053198095133,
    0.020580808427784547879,
    -0.0073855510286739852663,
    0.0028905103307415232858,
    -0.0011927539117032609771,
    0.00050966952474304242234,
    -0.00022315475845357937976,
    0.000099457512781808533715,
    -0.0000449262367381331417,
    0.000020507212775670691553,
    -9.439488275268395904e-6,
    4.3748667899074878042e-6,
    -2.0392157538013662368e-6,
    9.5514121304074198329e-7,
    -4.4924691987645660433e-7,
    2.1207184805554665869e-7,
    -1.0043224823968099609e-7,
    4.7698101693639805658e-8,
    -2.271109460894316491e-8,
    1.0838659214896954091e-8,
    -5.1834750419700466551e-9,
    2.4836745438024783172e-9,
    -1.1921401405860912074e-9,
    5.7313672416788620133e-10,
    -2.7595228851242331452e-10,
    1.3304764374244489481e-10,
    -6.4229645638381000221e-11,
)
# Stirling's series: B_2k / (2k (2k - 1)), k = 1..8 (enough from x >= 10).
_STIRLING = (
    0.083333333333333333333,
    -0.0027777777777777777778,
    0.00079365079365079365079,
    -0.0005952380952380952381,
    0.00084175084175084175084,
    -0.0019175269175269175269,
    0.0064102564102564102564,
    -0.02955065359477124183,
)
_HALF_LOG_2PI_MINUS_HALF = 0.4189385332046727  # log(2π)/2 - 1/2
#: Below this, lgamma is reduced to [1.5, 2.5) by at most 8 steps of the recurrence.
_ASYMPTOTIC_FROM = 10.0


def _sinpi_abs(x: _Num) -> tuple[_Num, _Num]:
    """(r, |sin(π x)|) with r = x - round(x) exact, |r| <= 1/2."""
    r = x - x.unary("Round")
    return r, (math.pi * r.unary("Abs")).unary("Sin")


def _reduce_to_2(y: _Num) -> tuple[_Num, _Num, _Num]:
    """For -1/2 <= y < 10: (t, m, divide) with |t| <= 1/2 and Γ(y) = Γ(2 + t) / m where
    ``divide``, else Γ(2 + t) m."""
    # y < 0.5: Γ(y) = Γ(2 + y) / (y (1 + y)); y < 1.5: Γ(2 + (y - 1)) / y (y - 1 is exact);
    # y < 2.5: Γ(2 + (y - 2)); y < 10: y = z + n with z in [1.5, 2.5) (exact),
    # Γ(y) = Γ(z) z (z + 1) ... (z + n - 1).
    n = (y - 1.5).unary("Floor")
    n = _select(n.lt(0.0), 0.0, n)
    z = y - n
    product: _Num | None = None
    for k in range(int(_ASYMPTOTIC_FROM - 2.5) + 1):
        factor = _select(n.gt(float(k)), z + float(k), 1.0)
        product = factor if product is None else product * factor
    assert product is not None
    below_half, below_1_5 = y.lt(0.5), y.lt(1.5)
    t = _select(below_half, y, _select(below_1_5, y - 1.0, z - 2.0))
    m = _select(below_half, y * (1.0 + y), _select(below_1_5, y, product))
    return t, m, below_1_5


def _lgamma_positive(y: _Num) -> _Num:
    """lgamma(y) for y >= -1/2 (poles at 0 give +inf)."""
    t, m, divide = _reduce_to_2(y)
    log_m = m.unary("Abs").unary("Log")
    small = t * _horner(t, _LGAMMA2) + _select(divide, -log_m, log_m)
    w = 1.0 / y
    stirling = (y - 0.5) * (y.unary("Log") - 1.0) + (
        _HALF_LOG_2PI_MINUS_HALF + w * _horner(w * w, _STIRLING)
    )
    return _select(y.lt(_ASYMPTOTIC_FROM), small, stirling)


#: scipy's gammaln is inf beyond this (Cephes' MAXLGM), where log Γ is still finite.
_SCIPY_MAXLGM = 2.556348e305


def gammaln64(x: _Num) -> _Num:
    """log|Γ(x)|: the Taylor series at 2 on [1.5, 2.5) (relative accuracy at the zeros 1 and
    2), the recurrence below 10, Stirling's series from 10, the reflection
    log(π / |sin(π x)|) - log(-x) - lgamma(-x) below -1/2 (-x is exact, 1 - x would not be).
    ≤ 6 ulp for x > 0 measured (5.8 near 1.46); below -1/2 ≤ 6 ulp of the terms' size."""
    reflect = x.lt(-0.5)
    y = _select(reflect, -x, x)
    positive = _lgamma_positive(y)
    _, s = _sinpi_abs(x)
    reflected = (math.pi / s).unary("Log") - (y.unary("Log") + positive)
    out = _select(reflect, reflected, positive)
    pole = reflect.and_(x.unary("Floor").eq(x))
    out = _select(pole, math.inf, out)
    # scipy (Cephes' lgam divides by x) gives inf where 1/x overflows: |x| < 5.56e-309.
    out = _select((1.0 / x).unary("Abs").eq(math.inf), math.inf, out)
    out = _select(x.gt(_SCIPY_MAXLGM), math.inf, out)  # and from its MAXLGM on (still finite)
    out = _select(x.eq(-math.inf), -math.inf, out)  # scipy's gammaln(-inf)
    return _keep_nan(x, out)


lowers(ops.GammaLn)(_in_float64(gammaln64))


#: Γ overflows from here on (and Stirling's pieces would make inf * 0 beyond).
_GAMMA_OVERFLOW = 180.0
_SQRT_2PI = 2.5066282746310002
#: scipy's Γ is inf from here on (Cephes' MAXGAM; Γ itself overflows at 171.62437695630272).
_SCIPY_MAXGAM = 171.6243769563027


def _sinpi(x: _Num) -> _Num:
    """sin(π x) with its sign, from the reduced argument (exact zeros at the integers)."""
    n = x.unary("Round")
    r, s = _sinpi_abs(x)
    odd = (n - 2.0 * (0.5 * n).unary("Floor")).eq(1.0)
    negative = r.lt(0.0).and_(odd.unary("Not")).or_(r.ge(0.0).and_(odd))
    return _select(negative, -s, s)


def gamma64(x: _Num) -> _Num:
    """Γ(x): exp of the Taylor series of lgamma at 2 times the recurrence's product below 10;
    from 10, sqrt(2π) v (v e**-x) exp(S(1/x)) with v = x**(x/2 - 1/4) (Cephes' split, so that
    nothing overflows before Γ does) and S Stirling's series of lgamma; the reflection
    π / (sin(π x) (-x) Γ(-x)) below -1/2 (-x is exact). NaN at the negative integers and
    -inf, ±inf at ±0. ≤ 16 ulp (float64) measured."""
    reflect = x.lt(-0.5)
    y = _select(reflect, -x, x)
    t, m, divide = _reduce_to_2(y)
    g = (t * _horner(t, _LGAMMA2)).unary("Exp")
    small = _select(divide, g / m, g * m)
    big = _select(y.lt(_GAMMA_OVERFLOW), y, _GAMMA_OVERFLOW)
    w = 1.0 / big
    v = big._op("Pow", big.v, (0.5 * big - 0.25).v)
    series = (w * _horner(w * w, _STIRLING)).unary("Exp") * _SQRT_2PI
    stirling = v * ((v / big.unary("Exp")) * series)
    positive = _select(y.lt(_ASYMPTOTIC_FROM), small, stirling)
    # scipy (Cephes) is inf from its MAXGAM on, where Γ is still finite, and its reflection
    # π / ((q sin) Γ(q)) multiplies in that order: ±0 where that product overflows (from
    # -171.04 down), of Γ's sign, and -0 for |x| >= 2**31 (its int of floor(q) overflows).
    positive = _select(y.ge(_SCIPY_MAXGAM), math.inf, positive)
    product = (_sinpi(x) * y) * positive
    product = _select(y.ge(2.0**31), -product.unary("Abs"), product)
    reflected = math.pi / product
    out = _signed_select(reflect, reflected, positive, zeros="a")
    out = _select(x.eq(0.0), 1.0 / x, out)  # ±inf by the sign of zero (Where drops a -0.0 of m)
    pole = reflect.and_(x.unary("Floor").eq(x))
    return _keep_nan(x, _select(pole, math.nan, out))


lowers(ops.Gamma)(_in_float64(gamma64))


# ψ'(x) ~ 1/x + 1/(2x²) + sum B_2k / x**(2k+1), k = 1..8 (enough from x >= 10).
_TRIGAMMA_ASYMPTOTIC = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def trigamma64(x: _Num) -> _Num:
    """ψ'(x): the recurrence ψ'(y) = ψ'(y + 1) + 1/y² up to [10, 11) (positive terms, the
    small ones added first), the asymptotic series there, the reflection
    π² / sin²(π x) - ψ'(1 - x) for x < 0. +inf at the poles (0, negative integers, -inf, as
    scipy). ≤ 6 ulp measured (for x < 0 of the terms' size)."""
    reflect = x.lt(0.0)
    y = _select(reflect, 1.0 - x, x)
    steps = int(_ASYMPTOTIC_FROM)
    n = (_ASYMPTOTIC_FROM - y).unary("Ceil")
    n = _select(n.lt(0.0), 0.0, n)
    z = y + n
    w = 1.0 / z
    w2 = w * w
    total = w + w2 * (0.5 + w * _horner(w2, _TRIGAMMA_ASYMPTOTIC))
    for k in reversed(range(steps)):
        term = 1.0 / (y + float(k))
        total = total + _select(n.gt(float(k)), term * term, 0.0)
    _, s = _sinpi_abs(x)
    reflected = (math.pi * math.pi) / (s * s) - total
    out = _select(reflect, reflected, total)
    # scipy's 1/x² overflows below this |x| (both signs): inf there, as PyTensor.
    out = _select(x.unary("Abs").lt(7.458340731200208e-155), math.inf, out)
    pole = reflect.and_(x.unary("Floor").eq(x))
    return _keep_nan(x, _select(pole, math.inf, out))


lowers(ops.TriGamma)(_in_float64(trigamma64))


# -- digamma -------------------------------------------------------------------------------------
#: The positive zero of ψ in two parts (hi + lo to 107 bits).
_PSI_ROOT_HI = 1.4616321449683622
_PSI_ROOT_LO = 9.549995429965697e-17
# ψ(x0 + t) = t * sum a_k t**k, the Taylor series at the root: a_k = ψ^(k+1)(x0) / (k+1)!
# (mpmath); t in [-0.47, 0.54] needs 40 terms (the radius is x0, the pole at 0).
_PSI_ROOT = (
    0.96767224544762117043,
    -0.44276316898359210609,
    0.25849976095565101062,
    -0.1639427054424065275,
    0.10782405069126236576,
    -0.072199561256454710926,
    0.048804288164143107225,
    -0.033161126474847359292,
    0.02259764823221810466,
    -0.015424765904948959139,
    0.010538791616612175388,
    -0.007204534386356868241,
    0.0049267813957298534464,
    -0.0033698016554393280828,
    0.0023051263267349278369,
    -0.0015769367714301972593,
    0.0010788252019162965807,
    -0.00073807093899600512957,
    0.00050495326583460203518,
    -0.00034546802510630769956,
    0.00023635601564027052792,
    -0.00016170622091974803449,
    0.00011063372768747410904,
    -0.000075691795821950659192,
    0.00005178575795222080869,
    -0.000035430070947659606316,
    0.000024240066118601317653,
    -0.000016584242271854133375,
    0.000011346384584663849807,
    -7.7628176684620944253e-6,
    5.3110609208898633873e-6,
    -3.6336507898010456684e-6,
    2.4860227331295379489e-6,
    -1.7008538854332606582e-6,
    1.1636675363548842703e-6,
    -7.9614254312419704004e-7,
    5.4469419306694452785e-7,
    -3.7266161283438229589e-7,
    2.5496265520215542567e-7,
    -1.7443695117727745218e-7,
)
# ψ(x) ~ log x - 1/(2x) - sum B_2k / (2k x**2k), k = 1..8 (enough from x >= 10).
_PSI_ASYMPTOTIC = (
    0.083333333333333333333,
    -0.0083333333333333333333,
    0.003968253968253968254,
    -0.0041666666666666666667,
    0.0075757575757575757576,
    -0.021092796092796092796,
    0.083333333333333333333,
    -0.44325980392156862745,
)


def _psi_positive(y: _Num) -> _Num:
    """ψ(y) for y >= 0 (y = 0 gives -inf)."""
    # y < 1: ψ(y + 1) - 1/y; y < 10: y = z + n with z in [1, 2) (exact),
    # ψ(y) = ψ(z) + 1/z + ... + 1/(z + n - 1), the small terms added first.
    n = y.unary("Floor") - 1.0
    n = _select(n.lt(0.0), 0.0, n)
    below_one = y.lt(1.0)
    z = _select(below_one, y + 1.0, y - n)
    total: _Num | None = None
    for k in reversed(range(int(_ASYMPTOTIC_FROM) - 2)):
        term = _select(n.gt(float(k)), 1.0 / (z + float(k)), 0.0)
        total = term if total is None else total + term
    assert total is not None
    correction = _select(below_one, -1.0 / y, total)
    t = (z - _PSI_ROOT_HI) - _PSI_ROOT_LO
    near_root = t * _horner(t, _PSI_ROOT)
    w = 1.0 / y
    w2 = w * w
    asymptotic = y.unary("Log") - 0.5 * w - w2 * _horner(w2, _PSI_ASYMPTOTIC)
    return _select(y.lt(_ASYMPTOTIC_FROM), near_root + correction, asymptotic)


def psi64(x: _Num) -> _Num:
    """ψ(x): the Taylor series at its positive zero on [1, 2) (relative accuracy there), the
    recurrence below 10, the asymptotic series from 10, the reflection
    ψ(1 - x) - π cot(π x) for x < 0 (cot from two sines of arguments in [0, π/2]).
    ≤ 4 ulp for x > 0 measured; for x < 0 ≤ 4 ulp of the terms' size."""
    reflect = x.lt(0.0)  # -0.0 is not: ψ(-0.0) = ψ(1) - 1/-0.0 = +inf, as scipy
    positive = _psi_positive(_select(reflect, 1.0 - x, x))
    r, s = _sinpi_abs(x)
    c = (math.pi * (0.5 - r.unary("Abs"))).unary("Sin")
    cot = _select(r.lt(0.0), -c, c) / s
    reflected = positive - math.pi * cot
    # For |x| < 1e-300, π |x| would lose bits to subnormals: π cot(π x) = 1/x there.
    reflected = _select(x.gt(-1e-300), positive - 1.0 / x, reflected)
    out = _select(reflect, reflected, positive)
    pole = reflect.and_(x.unary("Floor").eq(x))  # negative integers and -inf: NaN
    return _keep_nan(x, _select(pole, math.nan, out))


lowers(ops.Psi)(_in_float64(psi64))


# -- sigmoid -------------------------------------------------------------------------------------


def sigmoid64(x: _Num) -> _Num:
    """1 / (1 + e**-x) with relative accuracy in both tails: e = exp(-|x|), s = 1 / (1 + e),
    x >= 0 ? s : e s. (ORT's kernels flush the negative tail: float64 sigmoid(-305) is 0,
    float32 sigmoid(-20) is 0.) ≤ 3 ulp (float64) measured."""
    e = (-x.unary("Abs")).unary("Exp")
    s = 1.0 / (1.0 + e)
    return _keep_nan(x, _select(x.ge(0.0), s, e * s))


lowers(ops.Sigmoid)(_in_float64(sigmoid64))


# -- inverse trigonometric and hyperbolic functions ----------------------------------------------
# fdlibm's atan (s_atan.c): |x| reduced to |t| <= 7/16 around 0, 1/2, 1, 3/2 or ∞, where
# atan(x) = atan(c) + atan(t) with atan(c) in two parts; atan(t) = t - t z P(z), z = t².
_ATAN_HI = (4.63647609000806093515e-01, 7.85398163397448278999e-01,
            9.82793723247329054082e-01, 1.57079632679489655800e00)  # fmt: skip
_ATAN_LO = (2.26987774529616870924e-17, 3.06161699786838301793e-17,
            1.39033110312309984516e-17, 6.12323399573676603587e-17)  # fmt: skip
_ATAN_P = (
    3.33333333333329318027e-01, -1.99999999998764832476e-01, 1.42857142725034663711e-01,
    -1.11111104054623557880e-01, 9.09088713343650656196e-02, -7.69187620504482999495e-02,
    6.66107313738753120669e-02, -5.83357013379057348645e-02, 4.97687799461593236017e-02,
    -3.65315727442169155270e-02, 1.62858201153657823623e-02,
)  # fmt: skip
_PI_HI = 3.1415926535897931160e00
_PI_LO = 1.2246467991473531772e-16
_PIO2_HI = 1.5707963267948965580e00
_PIO2_LO = 6.1232339957367658e-17
_LN2 = 0.6931471805599453
#: Beyond this, asinh(x) = log(2x) and acosh(x) = log(2x) to the last bit (fdlibm).
_LOG_ONLY_FROM = 2.0**28


def _atan_abs(a: _Num) -> _Num:
    """atan(a) for a >= 0 (+inf included; NaN for NaN)."""
    pieces = (  # below this a: the reduced argument t, atan(c) in two parts
        (0.4375, a, 0.0, 0.0),
        (0.6875, (2.0 * a - 1.0) / (2.0 + a), _ATAN_HI[0], _ATAN_LO[0]),
        (1.1875, (a - 1.0) / (a + 1.0), _ATAN_HI[1], _ATAN_LO[1]),
        (2.4375, (a - 1.5) / (1.0 + 1.5 * a), _ATAN_HI[2], _ATAN_LO[2]),
    )
    t = -1.0 / a  # a >= 2.4375: atan(a) = π/2 + atan(-1/a)
    hi: _Num | float = _ATAN_HI[3]
    lo: _Num | float = _ATAN_LO[3]
    for bound, t_k, h, low in reversed(pieces):
        below = a.lt(bound)
        t, hi, lo = _select(below, t_k, t), _select(below, h, hi), _select(below, low, lo)
    z = t * t
    tail = t * (z * _horner(z, _ATAN_P))
    return hi - ((tail - lo) - t)


def atan64(x: _Num) -> _Num:
    """atan(x), fdlibm's reduction and polynomial; the sign restored by a product (so that
    atan(-0.0) is -0.0). ≤ 2 ulp (float64) measured."""
    return _keep_nan(x, _atan_abs(x.unary("Abs")) * _sign_of(x))


def asin64(x: _Num) -> _Num:
    """asin(x) = atan(x / sqrt((1 - x)(1 + x))) (1 - |x| is exact near 1); NaN beyond ±1.
    ≤ 4 ulp (float64) measured."""
    a = x.unary("Abs")
    ratio = a / ((1.0 - a) * (1.0 + a)).unary("Sqrt")
    return _keep_nan(x, _atan_abs(ratio) * _sign_of(x))


def acos64(x: _Num) -> _Num:
    """acos(x) = 2 atan(sqrt((1 - x) / (1 + x))); NaN beyond ±1. ≤ 4 ulp (float64) measured."""
    return _keep_nan(x, 2.0 * _atan_abs(((1.0 - x) / (1.0 + x)).unary("Sqrt")))


def _log1p64(v: _Num) -> _Num:
    return _Num(v.ctx, _log1p(v.ctx, v.v, F64))


def asinh64(x: _Num) -> _Num:
    """asinh(x) as fdlibm: log1p(a + a²/(1 + sqrt(1 + a²))) for a = |x| <= 2,
    log(2a + 1/(sqrt(a² + 1) + a)) below 2**28, log(a) + log 2 beyond; the sign restored by a
    product. ≤ 4 ulp (float64) measured."""
    a = x.unary("Abs")
    root = (1.0 + a * a).unary("Sqrt")
    small = _log1p64(a + a * a / (1.0 + root))
    middle = (2.0 * a + 1.0 / (root + a)).unary("Log")
    large = a.unary("Log") + _LN2
    out = _select(a.le(2.0), small, _select(a.lt(_LOG_ONLY_FROM), middle, large))
    return _keep_nan(x, out * _sign_of(x))


def acosh64(x: _Num) -> _Num:
    """acosh(x) as fdlibm: log1p(t + sqrt(2t + t²)) with t = x - 1 (exact) up to 2,
    log(2x - 1/(x + sqrt(x² - 1))) below 2**28, log(x) + log 2 beyond; NaN below 1.
    ≤ 4 ulp (float64) measured."""
    t = x - 1.0
    small = _log1p64(t + (2.0 * t + t * t).unary("Sqrt"))
    middle = (2.0 * x - 1.0 / (x + (x * x - 1.0).unary("Sqrt"))).unary("Log")
    large = x.unary("Log") + _LN2
    out = _select(x.le(2.0), small, _select(x.lt(_LOG_ONLY_FROM), middle, large))
    return _keep_nan(x, _select(x.lt(1.0), math.nan, out))


def atanh64(x: _Num) -> _Num:
    """atanh(x) as fdlibm: log1p(2a + 2a²/(1 - a)) / 2 for a = |x| < 1/2, log1p(2a/(1 - a)) / 2
    up to 1 (+inf at 1, NaN beyond); the sign restored by a product. ≤ 4 ulp measured."""
    a = x.unary("Abs")
    two_a = 2.0 * a
    small = _log1p64(two_a + two_a * a / (1.0 - a))
    large = _log1p64(two_a / (1.0 - a))
    out = 0.5 * _select(a.lt(0.5), small, large)
    return _keep_nan(x, _select(a.gt(1.0), math.nan, out) * _sign_of(x))


def atan2_64(y: _Num, x: _Num) -> _Num:
    """atan2(y, x) as numpy (C99 Annex F, signed zeros and infinities included).

    t = atan(min/max) of |y| and |x| (in [0, π/4]; 0 where y is ±0, π/4 where both are
    infinite), then the quadrant with π/2 and π in two parts, so that the exact angles (±π/2
    for x = ±0 or y = ±inf, π for y = ±0 and negative x) come out correctly rounded:
    |y| > |x|: π/2 ∓ t; otherwise t, or π - t where x < 0 or x is -0.0. Then the sign of y.
    ≤ 2 ulp (float64) measured."""
    ay, ax = y.unary("Abs"), x.unary("Abs")
    steep = ay.gt(ax)
    both_inf = ay.eq(math.inf).and_(ax.eq(math.inf))
    ratio = _select(steep, ax / ay, ay / ax)
    t = _select(both_inf, math.pi / 4, _select(ay.eq(0.0), 0.0, _atan_abs(ratio)))
    x_negative = x.lt(0.0).or_(x.unary("Reciprocal").lt(0.0))
    steep_angle = _select(x_negative, _PIO2_HI + (t + _PIO2_LO), _PIO2_HI - (t - _PIO2_LO))
    flat_angle = _select(x_negative, _PI_HI - (t - _PI_LO), t)
    out = _select(steep, steep_angle, flat_angle)
    nan = x.unary("IsNaN").or_(y.unary("IsNaN"))
    return _select(nan, math.nan, out * _sign_of(y))


lowers(ops.Atan)(_in_float64(atan64))
lowers(ops.Asin)(_in_float64(asin64))
lowers(ops.Acos)(_in_float64(acos64))
lowers(ops.Asinh)(_in_float64(asinh64))
lowers(ops.Acosh)(_in_float64(acosh64))
lowers(ops.Atanh)(_in_float64(atanh64))
lowers(ops.Atan2)(_in_float64(atan2_64))
