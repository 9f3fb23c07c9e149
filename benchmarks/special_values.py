"""Conformance sweep of the elementwise special functions over a menu of special values.

    python -m benchmarks.special_values [--ops gammaln erf ...] [--dtypes float64 int8 ...]
                                        [--menu default|extended|boundaries]
                                        [--details] [--no-mpmath]

For each op and dtype, every argument tuple over a menu of about 27 special values (±0, the
smallest subnormal, the smallest normal, tiny, ±1e-16, ±0.5, ±1, ±2, negative integers and
half-integers, ±1e16, huge, the largest finite, ±inf, NaN; float32 and float16 have their own
analogues, integer dtypes every 8-bit value or the edges of the wider ones; ``extended`` adds
about 60 magnitudes, ``boundaries`` takes instead the floats next to each of PyTensor's NaN/inf,
zero and sign edges, ``benchmarks.special_boundaries``) is compiled as one graph on vectors,
run in ONNX Runtime, and compared with PyTensor's own result (``mode="FAST_COMPILE"``: the
op's ``perform``, mostly scipy.special / numpy):

- NaN vs not, and ±inf vs not (or the other infinity): the contract puts them exactly where
  PyTensor does;
- the sign of a zero both give, where the true value is exactly zero (an underflowed zero's
  sign is judged against the true value's sign);
- the ulp distance where both are finite: beyond ``FLAG_ULP`` (64 float64, 4 float32) the
  point is triaged against mpmath: ``ours ok`` when ours is within the function's bound of the
  true value (in ulps of the true value, or of the terms that cancel, as
  ``benchmarks.accuracy`` measures) or no further from it than PyTensor's, ``OURS WRONG``
  otherwise.

Prints a table per op (tuples, NaN/inf mismatches, sign-of-zero mismatches, finite
mismatches flagged and those where ours is wrong); ``--details`` lists every mismatch.

Out of scope here (their own sweeps): hyp2f1, the Bessel functions, betainc / betaincinv and
the incomplete gamma family.
"""

from __future__ import annotations

import argparse
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import mpmath as mp
import numpy as np

from benchmarks.special_boundaries import boundary_tuples

#: ulp distance to PyTensor beyond which a finite point is triaged against mpmath.
FLAG_ULP = {"float64": 64.0, "float32": 4.0, "float16": 2.0}

_F64 = np.finfo(np.float64)
_F32 = np.finfo(np.float32)

#: The menu of special values per dtype (float32: the same kinds of values at its own scale).
MENU: dict[str, np.ndarray] = {
    "float64": np.array(
        [
            0.0,
            -0.0,
            5e-324,
            -5e-324,
            float(_F64.tiny),
            -float(_F64.tiny),
            1e-300,
            -1e-300,
            1e-16,
            -1e-16,
            0.5,
            -0.5,
            1.0,
            -1.0,
            2.0,
            -2.0,
            -3.0,
            -2.5,
            1e16,
            -1e16,
            1e300,
            -1e300,
            float(_F64.max),
            -float(_F64.max),
            np.inf,
            -np.inf,
            np.nan,
        ]
    ),
    "float32": np.array(
        [
            0.0,
            -0.0,
            1e-45,
            -1e-45,
            float(_F32.tiny),
            -float(_F32.tiny),
            1e-30,
            -1e-30,
            1e-7,
            -1e-7,
            0.5,
            -0.5,
            1.0,
            -1.0,
            2.0,
            -2.0,
            -3.0,
            -2.5,
            1.6777216e7,
            -1.6777216e7,
            1e30,
            -1e30,
            float(_F32.max),
            -float(_F32.max),
            np.inf,
            -np.inf,
            np.nan,
        ],
        dtype=np.float32,
    ),
}


#: More magnitudes (both signs) for ``--menu extended``: subnormals, near 1/max (where 1/x
#: overflows), near 1, integers and half-integers (poles, reflection), overflow thresholds,
#: the ulp-1 integers (2**52, 2**53) and huge values.
_EXTRA: dict[str, list[float]] = {
    "float64": [
        1e-320,
        1e-310,
        5.5e-309,
        5.6e-309,
        1e-200,
        1e-20,
        1e-8,
        1 - 2.0**-53,
        1 + 2.0**-52,
        0.25,
        1.5,
        3.0,
        5.5,
        10.0,
        10.5,
        27.0,
        30.0,
        40.0,
        100.5,
        171.5,
        172.0,
        709.78,
        745.2,
        1e5,
        2.0**52 - 0.5,
        2.0**52,
        2.0**53,
        1e20,
        1e100,
        1e200,
    ],
    "float32": [
        1e-40,
        1e-39,
        2.9e-39,
        3e-39,
        1e-20,
        1e-5,
        1 - 2.0**-24,
        1 + 2.0**-23,
        0.25,
        1.5,
        3.0,
        5.5,
        9.0,
        10.0,
        10.5,
        27.0,
        30.0,
        35.5,
        40.0,
        88.7,
        103.9,
        1e5,
        2.0**23 - 0.5,
        2.0**23,
        2.0**24,
        1e10,
        1e20,
        1e35,
    ],
}


MENU["float16"] = np.array(
    [0.0, -0.0, 6e-8, -6e-8, 6.104e-5, -6.104e-5, 1e-3, -1e-3, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0,
     -3.0, -2.5, 2048.0, -2048.0, 1e4, -1e4, 65504.0, -65504.0, np.inf, -np.inf, np.nan],
    dtype=np.float16,
)  # fmt: skip

#: Integer inputs (PyTensor upgrades them to float32 or float64): every value of the 8-bit
#: types, and for the wider ones the edges where a float loses integers or overflows.
_INT_SPECIAL = [0, 1, -1, 2, -2, 3, -3, 10, -10, 171, 172, -171, 2**24 + 1, -(2**24 + 1),
                2**31 - 1, -(2**31), 2**53 + 1, -(2**53 + 1), 2**63 - 1, -(2**63)]  # fmt: skip


def _integer_menu(dtype: str, arity: int) -> np.ndarray:
    info = np.iinfo(dtype)
    if info.bits == 8 or (info.bits == 16 and arity == 1):
        return np.arange(info.min, info.max + 1).astype(dtype)
    values = {min(max(v, info.min), info.max) for v in _INT_SPECIAL}
    return np.array(sorted(values), dtype=dtype)


def menu(dtype: str, kind: str = "default", arity: int = 1) -> np.ndarray:
    """The menu of ``dtype``: ``default`` (about 27 values) or ``extended`` (with ``_EXTRA``
    at both signs, about 85); integer dtypes have their own (``_integer_menu``)."""
    if np.dtype(dtype).kind in "iu":
        return _integer_menu(dtype, arity)
    base = MENU[dtype]
    if kind == "default":
        return base
    if dtype not in _EXTRA:
        return base
    extra = np.array(_EXTRA[dtype], dtype=dtype)
    return np.concatenate([base, extra, -extra])


@dataclass(frozen=True)
class Op:
    """An elementwise op: how PyTensor spells it, its arity, its true value (mpmath; may raise
    where the true value is not a finite real: PyTensor's value is then the reference), its
    bound in float64 ulps, and (where it is a difference) the size of the terms that cancel."""

    name: str
    build: Callable
    arity: int
    exact: Callable[..., mp.mpf] | None
    bound64: float = 64.0
    terms: Callable[..., float] | None = None
    bound32: float = 4.0
    #: Tuples left out (a function of the argument arrays, True where kept).
    keep: Callable[..., np.ndarray] | None = None
    #: ``exact`` takes infinite arguments too (mpmath's ±inf); otherwise PyTensor's value is
    #: the reference wherever an argument is infinite.
    exact_at_inf: bool = False


def _tensor(name: str) -> Callable:
    import pytensor.tensor as pt

    return getattr(pt, name)


def _xlogy(x, y):
    from pytensor.tensor.special import xlogy

    return xlogy(x, y)


def _xlog1py(x, y):
    from pytensor.tensor.special import xlog1py

    return xlog1py(x, y)


def _xlogx_deprecated(x):
    from pytensor.tensor import xlogx as deprecated

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return deprecated.xlogx(x)


def _xlogy0_deprecated(x, y):
    from pytensor.tensor import xlogx as deprecated

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return deprecated.xlogy0(x, y)


def _mp_xlogy(x: mp.mpf, y: mp.mpf) -> mp.mpf:
    if x == 0:
        raise ValueError("0 (signed): PyTensor's value is the reference")
    return _real_value(x * mp.log(y))


def _mp_xlog1py(x: mp.mpf, y: mp.mpf) -> mp.mpf:
    if x == 0:
        raise ValueError("0 (signed): PyTensor's value is the reference")
    return _real_value(x * mp.log1p(y))


def _real_value(v):
    return v if isinstance(v, mp.mpf) else mp.nan


def _mp_expm1(x: mp.mpf) -> mp.mpf:
    return mp.expm1(x)


def _mp_log1p(x: mp.mpf) -> mp.mpf:
    return _real_value(mp.log1p(x)) if x > -1 else mp.nan


def _polygamma_build(n: int) -> Callable:
    def build(x):
        import pytensor.tensor as pt

        return pt.polygamma(n, x)

    return build


def _not_far_negative(x: np.ndarray) -> np.ndarray:
    """scipy's polygamma (n >= 1) sums ζ(n + 1, x) term by term for a negative non-integer x:
    minutes near -2**52 (the accuracy sweep stops at -1e4 for the same reason)."""
    return ~((x < -1e4) & (np.floor(x) != x))


def _owens_t_reference(quadrature: Callable[..., mp.mpf]) -> Callable[..., mp.mpf]:
    """Owen's T with its limits: T(h, ±inf) = ±Q(|h|)/2, and for |a| > 1 with |a h| > 50,
    T(h, a) = sign(a) (Q(|h|)/2 - Q(|h|) Q(|ah|) + Q(|ah|)/2 - T(ah, 1/a)) = sign(a) Q(|h|)/2
    to far below an ulp (Q(50) < 1e-500 relative); ``quadrature`` elsewhere (its pieces lose
    all digits at a = 1e200)."""

    def exact(h: mp.mpf, a: mp.mpf) -> mp.mpf:
        if mp.isinf(h):
            raise ValueError("a signed zero: PyTensor's value is the reference")
        if mp.isinf(a) or (abs(a) > 1 and abs(a * h) > 50):
            return mp.sign(a) * mp.ncdf(-abs(h)) / 2
        return quadrature(h, a)

    return exact


def all_ops() -> dict[str, Op]:
    """The ops of the sweep, by name; the true values and terms of those that
    ``benchmarks.accuracy`` measures are its own."""
    from benchmarks.accuracy import all_functions

    acc = all_functions()

    def from_accuracy(name: str, key: str | None = None, arity: int = 1, keep=None) -> Op:
        fn = acc[key or name]
        return Op(name, fn.build, arity, fn.exact, fn.bound64, fn.terms, fn.bound32, keep)

    def polygamma(n: int) -> Op:
        # ψ⁽⁰⁾ is psi; scipy's polygamma of a negative order is NaN (no reference).
        from benchmarks.accuracy_inverse import _mp_polygamma, _polygamma_terms

        exact, terms = None, None
        if n == 0:
            exact, terms = acc["psi"].exact, acc["psi"].terms
        elif n > 0:
            exact, terms = _mp_polygamma(n), _polygamma_terms(n)
        keep = _not_far_negative if n >= 1 else None
        return Op(f"polygamma{n}", _polygamma_build(n), 1, exact, terms=terms, keep=keep)

    ops = [
        from_accuracy("gammaln"),
        from_accuracy("gamma"),
        from_accuracy("psi"),
        from_accuracy("tri_gamma", "trigamma", keep=_not_far_negative),
        *[polygamma(n) for n in (-1, 0, 1, 2, 3, 4, 5, 7, 10, 16)],
        from_accuracy("erf"),
        from_accuracy("erfc"),
        from_accuracy("erfcx"),
        from_accuracy("erfinv"),
        from_accuracy("erfcinv"),
        from_accuracy("ndtri_exp"),
        from_accuracy("log1mexp"),
        Op(
            "owens_t",
            acc["owens_t"].build,
            2,
            _owens_t_reference(acc["owens_t"].exact),
            exact_at_inf=True,
        ),
        Op("xlogy", _xlogy, 2, _mp_xlogy, 8.0),
        Op("xlog1py", _xlog1py, 2, _mp_xlog1py, 8.0),
        Op("xlogx", _xlogx_deprecated, 1, lambda x: _mp_xlogy(x, x), 8.0),
        Op("xlogy0", _xlogy0_deprecated, 2, _mp_xlogy, 8.0),
        from_accuracy("softplus"),
        from_accuracy("sigmoid"),
        Op("log1p", _tensor("log1p"), 1, _mp_log1p, 8.0),
        Op("expm1", _tensor("expm1"), 1, _mp_expm1, 8.0),
        from_accuracy("arcsin"),
        from_accuracy("arccos"),
        from_accuracy("arctan"),
        from_accuracy("arcsinh"),
        from_accuracy("arccosh"),
        from_accuracy("arctanh"),
        from_accuracy("arctan2", arity=2),
    ]
    return {op.name: op for op in ops}


# -- the sweep ------------------------------------------------------------------------------------


def argument_tuples(arity: int, dtype: str, kind: str = "default") -> tuple[np.ndarray, ...]:
    """Every tuple of ``arity`` menu values, one array per argument."""
    values = menu(dtype, kind, arity)
    grids = np.meshgrid(*([values] * arity), indexing="ij")
    return tuple(g.ravel().astype(dtype) for g in grids)


def _inputs(op: Op, dtype: str) -> list:
    import pytensor.tensor as pt

    return [pt.vector("xyz"[i], dtype=dtype) for i in range(op.arity)]


def run_compiled(op: Op, args: tuple[np.ndarray, ...]) -> np.ndarray:
    """``op`` compiled on vectors of ``args``' dtype, run in ONNX Runtime."""
    from compiler import Compiler
    from tests.helpers import fgraph_of

    inputs = _inputs(op, str(args[0].dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = Compiler().compile(fgraph_of(inputs, [op.build(*inputs)]))
    (got,) = result.run(*args)
    return np.asarray(got)


def pytensor_function(op: Op, dtype: str) -> Callable[..., np.ndarray]:
    """PyTensor's own function (``FAST_COMPILE``: the op's ``perform``) on vectors."""
    import pytensor

    inputs = _inputs(op, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn = pytensor.function(inputs, op.build(*inputs), mode="FAST_COMPILE")

    def run(*args: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return np.asarray(fn(*args))

    return run


def run_pytensor(op: Op, args: tuple[np.ndarray, ...]) -> np.ndarray:
    """PyTensor's own result (``FAST_COMPILE``: the op's ``perform``)."""
    return pytensor_function(op, str(args[0].dtype))(*args)


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The number of representable values between ``a`` and ``b`` (float, both finite; +0 and
    -0 are the same point)."""
    itype = {8: np.int64, 4: np.int32, 2: np.int16}[a.dtype.itemsize]
    mask = int(np.iinfo(itype).max)

    def ordered(v: np.ndarray) -> list[int]:
        # Python ints: the bit patterns of float64 need all 64 bits (a float64 of them would
        # round to 1024 ulps, and their difference can overflow int64).
        return [-(i & mask) if i < 0 else i for i in v.view(itype).tolist()]

    return np.array([abs(x - y) for x, y in zip(ordered(a), ordered(b), strict=True)], float)


@dataclass
class Mismatch:
    kind: str  # "nan/inf", "zero sign", "finite"
    args: tuple[float, ...]
    ours: float
    theirs: float
    true: float | None = None
    ulp_ours: float | None = None
    ulp_theirs: float | None = None
    verdict: str = ""

    def text(self) -> str:
        args = ", ".join(f"{v:.17g}" for v in self.args)
        out = f"  {self.kind:9s} ({args}): ours {self.ours!r}, pytensor {self.theirs!r}"
        if self.true is not None:
            out += f", true {self.true!r}"
        if self.ulp_ours is not None:
            out += f" [ulp ours {self.ulp_ours:.3g}, pytensor {self.ulp_theirs:.3g}]"
        return out + (f" -> {self.verdict}" if self.verdict else "")


@dataclass
class Row:
    op: str
    dtype: str
    tuples: int
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str = ""

    def count(self, kind: str, verdict: str | None = None) -> int:
        return sum(
            m.kind == kind and (verdict is None or m.verdict == verdict) for m in self.mismatches
        )


def _true_value(op: Op, args: tuple[float, ...]) -> mp.mpf | None:
    """The true value at ``args`` (mpmath at 50 digits), or None where it is not a finite
    real or mpmath cannot say."""
    if op.exact is None or any(math.isnan(v) for v in args):
        return None
    if not op.exact_at_inf and not all(math.isfinite(v) for v in args):
        return None
    try:
        with mp.workdps(50):
            v = op.exact(*(mp.mpf(a) for a in args))
            if not isinstance(v, mp.mpf) or not mp.isfinite(v):
                return None
            return +v
    except (ValueError, ZeroDivisionError, OverflowError, mp.libmp.NoConvergence):
        return None


def _ulps_from_true(op: Op, got: float, true: mp.mpf, args: tuple[float, ...], dtype) -> float:
    """|got - true| in ulps of the true value (or of the terms that cancel), in ``dtype``."""
    if not math.isfinite(got):
        return math.inf
    scale = abs(float(true))
    if op.terms is not None:
        scale = max(scale, op.terms(*args))
    with np.errstate(over="ignore"):
        ulp = float(np.spacing(np.asarray(scale).astype(dtype)))
    if not math.isfinite(ulp):
        ulp = float(np.spacing(np.finfo(dtype).max))
    return float(abs(mp.mpf(got) - true) / mp.mpf(ulp))


def compare(
    op: Op, args: tuple[np.ndarray, ...], ours: np.ndarray, theirs: np.ndarray, mpmath: bool = True
) -> list[Mismatch]:
    """The mismatches of ``ours`` against PyTensor's ``theirs``, triaged against mpmath."""
    dtype = ours.dtype
    bound = op.bound64 if dtype == np.float64 else op.bound32
    out: list[Mismatch] = []
    finite = np.isfinite(ours) & np.isfinite(theirs)
    with np.errstate(all="ignore"):
        ulps = np.where(finite, ulp_distance(ours, theirs), 0.0)
    for i in range(ours.size):
        point = tuple(float(a[i]) for a in args)
        o, t = float(ours[i]), float(theirs[i])
        if math.isnan(o) != math.isnan(t) or (
            not (math.isfinite(o) and math.isfinite(t)) and not (math.isnan(o) or o == t)
        ):
            m = Mismatch("nan/inf", point, o, t)
        elif o == 0 and t == 0 and math.copysign(1, o) != math.copysign(1, t):
            m = Mismatch("zero sign", point, o, t)
        elif finite[i] and ulps[i] > FLAG_ULP[str(dtype)]:
            m = Mismatch("finite", point, o, t)
        else:
            continue
        if mpmath:
            _triage(op, m, bound, dtype)
        out.append(m)
    return out


def _triage(op: Op, m: Mismatch, bound: float, dtype) -> None:
    true = _true_value(op, m.args)
    if m.kind == "nan/inf":
        m.true = None if true is None else float(true)
        m.verdict = "OURS WRONG (contract: PyTensor)"
        return
    if m.kind == "zero sign":
        if true is None or true == 0:
            m.verdict = "OURS WRONG (exact zero)"
        else:
            m.true = float(true)
            ours_right = (true < 0) == (math.copysign(1, m.ours) < 0)
            m.verdict = "ours ok (underflow)" if ours_right else "OURS WRONG (underflow sign)"
        return
    if true is None:
        m.verdict = "no reference"
        return
    m.true = float(true)
    m.ulp_ours = _ulps_from_true(op, m.ours, true, m.args, dtype)
    m.ulp_theirs = _ulps_from_true(op, m.theirs, true, m.args, dtype)
    ok = m.ulp_ours <= bound or m.ulp_ours <= m.ulp_theirs
    m.verdict = "ours ok" if ok else "OURS WRONG"


def sweep(op: Op, dtype: str, mpmath: bool = True, kind: str = "default") -> Row:
    """One op over every tuple of the ``kind`` menu in ``dtype`` (``boundaries``: the tuples
    next to PyTensor's NaN/inf, zero and sign boundaries, ``benchmarks.special_boundaries``,
    along lines through the default menu)."""
    if kind == "boundaries":
        args = boundary_tuples(
            pytensor_function(op, dtype),
            op.arity,
            dtype,
            MENU[dtype],
            op.keep,
            extra=menu(dtype, "extended").tolist(),
        )
    else:
        args = argument_tuples(op.arity, dtype, kind)
    if op.keep is not None:
        kept = op.keep(*args)
        args = tuple(a[kept] for a in args)
    row = Row(op.name, dtype, args[0].size)
    try:
        ours = run_compiled(op, args)
    except Exception as e:  # a refusal or a crash is a row of its own
        row.error = f"{type(e).__name__}: {str(e).splitlines()[0][:100]}"
        return row
    theirs = run_pytensor(op, args)
    if ours.dtype != theirs.dtype:
        row.error = f"dtype {ours.dtype} where PyTensor gives {theirs.dtype}"
        return row
    row.mismatches = compare(op, args, ours, theirs, mpmath)
    return row


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| op | dtype | tuples | NaN/inf | zero sign | finite > flag | of which ours wrong |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.error:
            lines.append(f"| `{r.op}` | {r.dtype} | {r.tuples} | {r.error} | | | |")
            continue
        wrong_zero = r.count("zero sign") - r.count("zero sign", "ours ok (underflow)")
        lines.append(
            f"| `{r.op}` | {r.dtype} | {r.tuples} | {r.count('nan/inf')} | {wrong_zero} "
            f"| {r.count('finite')} | {r.count('finite', 'OURS WRONG')} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    ops = all_ops()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", nargs="*", default=list(ops))
    parser.add_argument("--dtypes", nargs="*", default=["float64", "float32"])
    parser.add_argument("--details", action="store_true", help="list every mismatch")
    parser.add_argument("--no-mpmath", action="store_true", help="skip the triage")
    parser.add_argument("--menu", choices=["default", "extended", "boundaries"], default="default")
    args = parser.parse_args(argv)
    rows = []
    for name in args.ops:
        for dtype in args.dtypes:
            row = sweep(ops[name], dtype, not args.no_mpmath, args.menu)
            rows.append(row)
            if args.details and row.mismatches:
                print(f"{name} {dtype}:")
                for m in row.mismatches:
                    print(m.text())
    print(table(rows))


if __name__ == "__main__":
    main()
