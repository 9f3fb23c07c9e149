"""Accuracy of the special functions: ONNX Runtime on the compiled model against mpmath.

    python -m benchmarks.accuracy [--points 20000] [--functions gammaln psi ...]

For each function and dtype, a dense grid over the function's domain (tiny and huge
magnitudes, both signs, near poles and zeros) is compiled as ``f(x)`` on a vector, run in ONNX
Runtime, and compared with the true value (mpmath at 50 digits, rounded to the dtype). The
error is in ulps of the true value, or, where the function is a difference of larger terms
(gammaln and psi for x < 0), in ulps of the largest term. NaN and ±inf must match PyTensor
exactly (counted as mismatches otherwise). Prints the max ulp per function and dtype.

The suite's sweep tests (tests/lowering/test_special_*.py) use the same grids at lower density.
"""

from __future__ import annotations

import argparse
import math
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
    build: Callable  # pytensor variable -> pytensor variable
    exact: Callable[[mp.mpf], mp.mpf]  # the true value (may raise for poles: then PyTensor's)
    grid: Callable[[int], np.ndarray]  # points -> float64 array
    terms: Callable[[float], float] | None = None
    bound64: float = 64.0
    bound32: float = 4.0


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
    ]
}


def true_values(fn: Function, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hi, lo): the true value as an unevaluated float64 sum (hi = NaN where the function
    has no finite value: the caller takes PyTensor's value there)."""
    hi = np.full(x.shape, np.nan)
    lo = np.zeros(x.shape)
    for i, v in enumerate(x.tolist()):
        if not math.isfinite(v):
            continue
        try:
            with mp.workdps(50):
                exact = fn.exact(mp.mpf(v))
                if not isinstance(exact, mp.mpf) or not mp.isfinite(exact):
                    continue
                h = float(exact)
                if not math.isfinite(h):
                    continue
                hi[i], lo[i] = h, float(exact - mp.mpf(h))
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
    return hi, lo


def compile_function(fn: Function, dtype: str):
    """The compiled ``fn`` on a float vector of ``dtype`` (a CompileResult)."""
    import pytensor.tensor as pt

    from compiler import Compiler
    from tests.helpers import fgraph_of

    x = pt.vector("x", dtype=dtype)
    return Compiler().compile(fgraph_of([x], [fn.build(x)]))


def pytensor_values(fn: Function, x: np.ndarray) -> np.ndarray:
    import pytensor
    import pytensor.tensor as pt

    v = pt.vector("x", dtype=str(x.dtype))
    return pytensor.function([v], fn.build(v), mode="FAST_COMPILE")(x)


@dataclass(frozen=True)
class Measured:
    max_ulp: float
    worst_x: float
    special_mismatches: int  # NaN/±inf where PyTensor differs (count)


def ulp_errors(
    fn: Function,
    x: np.ndarray,
    got: np.ndarray,
    reference: np.ndarray,
    hi: np.ndarray,
    lo: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Errors in ulps of the dtype of ``got``; NaN/inf positions checked against PyTensor's
    ``reference``. Returns (errors, special mismatches)."""
    dtype = got.dtype
    finite_true = np.isfinite(hi)
    err = np.zeros(x.shape)
    with np.errstate(all="ignore"):
        true_rounded = hi.astype(dtype)
        scale = np.abs(true_rounded).astype(np.float64)
        if fn.terms is not None and dtype == np.float64:
            scale = np.maximum(scale, [fn.terms(float(v)) for v in x.tolist()])
        elif fn.terms is not None:
            scale = np.maximum(scale, [fn.terms(float(v)) for v in x.astype(np.float64)])
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
    x = fn.grid(points).astype(dtype)
    result = compile_function(fn, dtype)
    (got,) = result.run(x)
    reference = pytensor_values(fn, x)
    hi, lo = true_values(fn, x.astype(np.float64))
    err, mismatches = ulp_errors(fn, x, got, reference, hi, lo)
    worst = int(np.argmax(err))
    return Measured(float(err[worst]), float(x[worst]), mismatches)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=20000)
    parser.add_argument("--functions", nargs="*", default=list(FUNCTIONS))
    args = parser.parse_args(argv)
    print("| function | float64 max ulp (bound) | float32 max ulp (bound) | NaN/inf mismatches |")
    print("|---|---|---|---|")
    for name in args.functions:
        fn = FUNCTIONS[name]
        m64, m32 = measure(fn, "float64", args.points), measure(fn, "float32", args.points)
        print(
            f"| `{name}` | {m64.max_ulp:.2f} at {m64.worst_x:.17g} ({fn.bound64:g}) "
            f"| {m32.max_ulp:.2f} at {m32.worst_x:.9g} ({fn.bound32:g}) "
            f"| {m64.special_mismatches + m32.special_mismatches} |"
        )


if __name__ == "__main__":
    main()
