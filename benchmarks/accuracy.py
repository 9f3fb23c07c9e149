"""Accuracy of the special functions: ONNX Runtime on the compiled model against mpmath.

    python -m benchmarks.accuracy [--points 20000] [--functions gammaln psi ...]

For each function and dtype, a dense grid over the function's domain (tiny and huge
magnitudes, both signs, near poles and zeros) is compiled as ``f(x)`` (or ``f(a, b, ...)``
on vectors of equal length) on a vector, run in ONNX Runtime, and compared with the true value
(mpmath at 50 digits, rounded to the dtype). The error is in ulps of the true value, or, where
the function is a difference of larger terms (gammaln and psi for x < 0), in ulps of the
largest term. NaN and ±inf must match PyTensor exactly (counted as mismatches otherwise).
Prints the max ulp per function and dtype.

Functions of several arguments: ``grid`` returns one array per argument (all of one length),
``exact``, ``build`` and ``terms`` take the arguments in order, and ``int_args`` names the
argument positions that are integers (int64 inputs, e.g. polygamma's order). Families of
functions live in modules ``benchmarks/accuracy_<family>.py`` that define
``FUNCTIONS: list[Function]``; ``all_functions()`` collects them with this module's.

The suite's sweep tests (tests/lowering/test_special_*.py) use the same grids at lower density
(``measure`` at a few hundred points, asserting ``Measured.within_bound``).
"""

from __future__ import annotations

import argparse
import importlib
import math
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mpmath as mp
import numpy as np

mp.mp.dps = 50


@dataclass(frozen=True)
class Function:
    """A special function: how PyTensor spells it, its true value, its grid, and (where its
    result is a difference) the size of the terms that cancel."""

    name: str
    build: Callable  # pytensor variables -> pytensor variable
    exact: Callable[..., mp.mpf]  # the true value (may raise for poles: then PyTensor's)
    #: points -> float64 array (one argument) or a tuple of equal-length arrays (several)
    grid: Callable[[int], np.ndarray | tuple[np.ndarray, ...]]
    terms: Callable[..., float] | None = None
    bound64: float = 64.0
    bound32: float = 4.0
    #: Positions of integer arguments (compiled as int64 vectors, passed to mpmath as ints).
    int_args: tuple[int, ...] = ()

    def arguments(self, points: int, dtype: str) -> tuple[np.ndarray, ...]:
        """The grid as one array per argument, float arguments in ``dtype``."""
        with np.errstate(over="ignore"):
            grid = self.grid(points)
            args = (grid,) if isinstance(grid, np.ndarray) else tuple(grid)
            return tuple(
                np.asarray(a).astype("int64" if i in self.int_args else dtype)
                for i, a in enumerate(args)
            )


def _logspace(lo: float, hi: float, n: int) -> np.ndarray:
    return np.exp(np.linspace(math.log(lo), math.log(hi), n))


def _both_signs(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a, -a])


_SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0, 0.5, -0.5])


def _near(points: Sequence[float], n: int, width: float = 1e-3) -> np.ndarray:
    """Points on both sides of each of ``points``, down to a few ulps away."""
    offsets = np.concatenate([_logspace(1e-15, width, n), -_logspace(1e-15, width, n)])
    return np.concatenate([p + offsets * max(1.0, abs(p)) for p in points])


def _rng_uniform(lo: float, hi: float, n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, n)


def _grid_erf(n: int) -> np.ndarray:
    return np.concatenate(
        [
            _SPECIAL,
            _both_signs(_logspace(1e-300, 30.0, n)),
            _rng_uniform(-7.0, 7.0, n),
            _near([1.0, -1.0, 8.0, -8.0], n // 20),
        ]
    )


def _grid_erfcx(n: int) -> np.ndarray:
    return np.concatenate(
        [
            _SPECIAL,
            _both_signs(_logspace(1e-300, 1e300, n)),
            _rng_uniform(-27.0, 30.0, n),
            _near([1.0, -1.0, 8.0, -26.5], n // 20),
        ]
    )


def _grid_log1mexp(n: int) -> np.ndarray:
    return np.concatenate(
        [
            _SPECIAL,
            -_logspace(1e-300, 1e3, n),
            _rng_uniform(-5.0, 0.0, n),
            _near([math.log(0.5)], n // 10),
            _logspace(1e-10, 10.0, 16),
        ]
    )


def _grid_gamma_family(n: int) -> np.ndarray:
    poles = [-float(k) for k in range(0, 12)]
    return np.concatenate(
        [
            _SPECIAL,
            _logspace(1e-300, 1e306, n),
            -_logspace(1e-300, 1e15, n // 2),
            _rng_uniform(-20.0, 20.0, n),
            _near([1.0, 2.0, 1.4616321449683622, *poles[1:]], n // 40),
            _rng_uniform(0.0, 3.0, n // 2),
            np.arange(-20.0, 30.0, 1.0),
            np.array([1.7e308, 2.5e305]),
        ]
    )


def _grid_sigmoid(n: int) -> np.ndarray:
    return np.concatenate(
        [_SPECIAL, _both_signs(_logspace(1e-300, 800.0, n)), _rng_uniform(-40.0, 40.0, n)]
    )


def _grid_unit(n: int) -> np.ndarray:
    """[-1, 1] and beyond: near ±1, tiny, and a few outside."""
    return np.concatenate(
        [
            _SPECIAL,
            _both_signs(_logspace(1e-300, 1.0, n)),
            _rng_uniform(-1.0, 1.0, n),
            _near([1.0, -1.0, 0.5, -0.5], n // 20),
            np.array([1.5, -1.5, 1e300, -1e300]),
        ]
    )


def _grid_wide(n: int) -> np.ndarray:
    return np.concatenate(
        [
            _SPECIAL,
            _both_signs(_logspace(1e-300, 1e300, n)),
            _rng_uniform(-10.0, 10.0, n),
            _near([1.0, -1.0, 2.0, 2.0**28], n // 20),
        ]
    )


def _grid_gamma_moderate(n: int) -> np.ndarray:
    """The gamma-family grid with negatives down to -200 only (mpmath's polygamma takes
    minutes per point near -1e15; Γ is 0 or NaN there anyway)."""
    x = _grid_gamma_family(n)
    return x[~(x < -200.0)]


def _grid_atan2(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(y, x) pairs: every sign/zero/inf combination, and magnitudes far apart both ways."""
    special = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-300, -1e300])
    ys, xs = np.meshgrid(special, special)
    rng = np.random.default_rng(0)
    wide = _both_signs(_logspace(1e-300, 1e300, n))
    return (
        np.concatenate([ys.ravel(), wide, rng.uniform(-10, 10, n), rng.permutation(wide)]),
        np.concatenate([xs.ravel(), rng.permutation(wide), rng.uniform(-10, 10, n), wide]),
    )


def _mp_atan2(y: mp.mpf, x: mp.mpf) -> mp.mpf:
    """mpmath has no signed zeros: on an axis, PyTensor's value is the reference (exactly)."""
    if y == 0 or x == 0:
        raise ValueError("on an axis")
    return mp.atan2(y, x)


def _mp_log1mexp(x: mp.mpf) -> mp.mpf:
    return mp.log1p(-mp.exp(x)) if x < -1 else mp.log(-mp.expm1(x))


def _real(f: Callable) -> Callable:
    """f where it is real; complex results (outside the domain) count as NaN."""

    def real(x: mp.mpf):
        out = f(x)
        return out if isinstance(out, mp.mpf) else mp.nan

    return real


def _mp_lgamma(x: mp.mpf) -> mp.mpf:
    return mp.re(mp.loggamma(x))


def _lgamma_terms(x: float) -> float:
    """gammaln for x < -1/2 is log(π/|sin πx|) - gammaln(1 - x); near 1 and 2 it is a
    difference of log terms of size |x - 1|, |x - 2| (measured against the result there)."""
    if x < -0.5 and math.isfinite(x):
        s = abs(math.sin(math.pi * (x - round(x))))
        big = abs(math.lgamma(1.0 - x))
        return max(big, abs(math.log(math.pi / s)) if s > 0 else 0.0)
    return 0.0


def _psi_terms(x: float) -> float:
    """psi for x < 0 is psi(1 - x) - π cot(πx)."""
    if x < 0 and math.isfinite(x):
        r = x - round(x)
        cot = 0.0 if r == 0 else abs(math.pi / math.tan(math.pi * r))
        return max(cot, abs(float(mp.digamma(1.0 - x))))
    return 0.0


def _trigamma_terms(x: float) -> float:
    """psi' for x < 0 is π²/sin²(πx) - psi'(1 - x)."""
    if x < 0 and math.isfinite(x):
        s = math.sin(math.pi * (x - round(x)))
        return max(math.pi**2 / (s * s) if s * s else 0.0, abs(float(mp.polygamma(1, 1.0 - x))))
    return 0.0


def _build(name: str) -> Callable:
    """PyTensor's function of that name (``pytensor.tensor`` or ``pytensor.tensor.math``)."""
    import pytensor.tensor as pt
    import pytensor.tensor.math as ptm

    return getattr(pt, name, None) or getattr(ptm, name)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in [
        Function("erf", _build("erf"), mp.erf, _grid_erf, bound64=8),
        Function("erfc", _build("erfc"), mp.erfc, _grid_erf, bound64=8),
        Function("erfcx", _build("erfcx"), lambda x: mp.exp(x * x) * mp.erfc(x), _grid_erfcx),
        Function("log1mexp", _build("log1mexp"), _mp_log1mexp, _grid_log1mexp, bound64=8),
        Function("gammaln", _build("gammaln"), _mp_lgamma, _grid_gamma_family, _lgamma_terms),
        Function("psi", _build("psi"), mp.digamma, _grid_gamma_family, _psi_terms),
        Function("gamma", _build("gamma"), mp.gamma, _grid_gamma_moderate),
        Function(
            "trigamma",
            _build("tri_gamma"),
            lambda x: mp.polygamma(1, x),
            _grid_gamma_moderate,
            _trigamma_terms,
        ),
        Function("sigmoid", _build("sigmoid"), lambda x: 1 / (1 + mp.exp(-x)), _grid_sigmoid),
        Function("softplus", _build("softplus"), lambda x: mp.log1p(mp.exp(x)), _grid_sigmoid),
        Function("arcsin", _build("arcsin"), _real(mp.asin), _grid_unit, bound64=8),
        Function("arccos", _build("arccos"), _real(mp.acos), _grid_unit, bound64=8),
        Function("arctan", _build("arctan"), mp.atan, _grid_wide, bound64=8),
        Function("arcsinh", _build("arcsinh"), mp.asinh, _grid_wide, bound64=8),
        Function("arccosh", _build("arccosh"), _real(mp.acosh), _grid_wide, bound64=8),
        Function("arctanh", _build("arctanh"), _real(mp.atanh), _grid_unit, bound64=8),
        Function("arctan2", _build("arctan2"), _mp_atan2, _grid_atan2, bound64=8),
    ]
}


def true_values(fn: Function, *args: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hi, lo): the true value as an unevaluated float64 sum (hi = NaN where the function
    has no finite value: the caller takes PyTensor's value there)."""
    shape = args[0].shape
    hi = np.full(shape, np.nan)
    lo = np.zeros(shape)
    columns = [a.tolist() for a in args]
    for i, point in enumerate(zip(*columns, strict=True)):
        if not all(math.isfinite(v) for v in point):
            continue
        values = [int(v) if k in fn.int_args else mp.mpf(float(v)) for k, v in enumerate(point)]
        try:
            with mp.workdps(50):
                exact = fn.exact(*values)
                if not isinstance(exact, mp.mpf) or not mp.isfinite(exact):
                    continue
                h = float(exact)
                if not math.isfinite(h):
                    continue
                hi[i], lo[i] = h, float(exact - mp.mpf(h))
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
    return hi, lo


def _inputs(fn: Function, dtype: str) -> list:
    import pytensor.tensor as pt

    arity = len(fn.arguments(1, dtype))
    names = "x" if arity == 1 else "abcdefgh"[:arity]
    return [pt.vector(names[i], dtype="int64" if i in fn.int_args else dtype) for i in range(arity)]


def compile_function(fn: Function, dtype: str):
    """The compiled ``fn`` on float vectors of ``dtype`` (a CompileResult)."""
    from compiler import Compiler
    from tests.helpers import fgraph_of

    inputs = _inputs(fn, dtype)
    return Compiler().compile(fgraph_of(inputs, [fn.build(*inputs)]))


def pytensor_values(fn: Function, *args: np.ndarray) -> np.ndarray:
    import pytensor

    dtype = next(str(a.dtype) for i, a in enumerate(args) if i not in fn.int_args)
    inputs = _inputs(fn, dtype)
    return pytensor.function(inputs, fn.build(*inputs), mode="FAST_COMPILE")(*args)


@dataclass(frozen=True)
class Measured:
    max_ulp: float
    worst: tuple[float, ...]  # the arguments of the largest error
    special_mismatches: int  # NaN/±inf where PyTensor differs (count)
    result_dtype: str
    bound: float

    @property
    def within_bound(self) -> bool:
        return self.max_ulp <= self.bound

    @property
    def worst_text(self) -> str:
        return ", ".join(f"{v:.17g}" for v in self.worst)


def ulp_errors(
    fn: Function,
    args: tuple[np.ndarray, ...],
    got: np.ndarray,
    reference: np.ndarray,
    hi: np.ndarray,
    lo: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Errors in ulps of the dtype of ``got``; NaN/inf positions checked against PyTensor's
    ``reference``. Returns (errors, special mismatches)."""
    dtype = got.dtype
    finite_true = np.isfinite(hi)
    with np.errstate(all="ignore"):
        true_rounded = hi.astype(dtype)
        scale = np.abs(true_rounded).astype(np.float64)
        if fn.terms is not None:
            # The terms of the float arguments as the dtype holds them.
            points = zip(*[a.astype(np.float64).tolist() for a in args], strict=True)
            scale = np.maximum(scale, [fn.terms(*p) for p in points])
        # Subnormal results: the spacing is the smallest subnormal.
        ulp = np.spacing(scale.astype(dtype)).astype(np.float64)
        diff = np.abs((got.astype(np.float64) - hi) - lo)
        err = np.where(finite_true & np.isfinite(got), diff / ulp, 0.0)
        err = np.where(finite_true & ~np.isfinite(got) & np.isfinite(true_rounded), np.inf, err)
    # Where the true value is not finite in the dtype (poles, overflow, NaN): PyTensor's.
    special = ~np.isfinite(true_rounded) | ~finite_true
    ours, theirs = got[special], reference[special]
    same = (np.isnan(ours) & np.isnan(theirs)) | (ours == theirs)
    return err, int(np.count_nonzero(~same))


def measure(fn: Function, dtype: str, points: int) -> Measured:
    """``fn`` in ONNX Runtime over its grid at ``points`` per segment, against mpmath."""
    args = fn.arguments(points, dtype)
    result = compile_function(fn, dtype)
    (got,) = result.run(*args)
    reference = pytensor_values(fn, *args)
    hi, lo = true_values(fn, *(a.astype(np.float64) for a in args))
    err, mismatches = ulp_errors(fn, args, got, reference, hi, lo)
    worst = int(np.argmax(err))
    bound = fn.bound64 if dtype == "float64" else fn.bound32
    return Measured(
        float(err[worst]),
        tuple(float(a[worst]) for a in args),
        mismatches,
        str(got.dtype),
        bound,
    )


def all_functions() -> dict[str, Function]:
    """This module's functions and those of every ``benchmarks/accuracy_<family>.py``."""
    import benchmarks

    functions = dict(FUNCTIONS)
    for info in pkgutil.iter_modules(benchmarks.__path__):
        if info.name.startswith("accuracy_"):
            module = importlib.import_module(f"benchmarks.{info.name}")
            for fn in module.FUNCTIONS:
                if fn.name in functions:
                    raise ValueError(f"{info.name}: function {fn.name!r} is defined twice")
                functions[fn.name] = fn
    return functions


def main(argv: Sequence[str] | None = None) -> None:
    functions = all_functions()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=20000)
    parser.add_argument("--functions", nargs="*", default=list(functions))
    args = parser.parse_args(argv)
    print("| function | float64 max ulp (bound) | float32 max ulp (bound) | NaN/inf mismatches |")
    print("|---|---|---|---|")
    for name in args.functions:
        fn = functions[name]
        m64, m32 = measure(fn, "float64", args.points), measure(fn, "float32", args.points)
        print(
            f"| `{name}` | {m64.max_ulp:.2f} at {m64.worst_text} ({fn.bound64:g}) "
            f"| {m32.max_ulp:.2f} at {m32.worst_text} ({fn.bound32:g}) "
            f"| {m64.special_mismatches + m32.special_mismatches} |"
        )


if __name__ == "__main__":
    main()
