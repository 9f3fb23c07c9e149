"""Accuracy sweep of the regularized incomplete gamma functions P = gammainc and
Q = gammaincc (``python -m benchmarks.accuracy --functions gammainc gammaincc``), and their
error in plain ulps of the result next to scipy's on the same grid
(``python -m benchmarks.accuracy_gamma_inc [--points 1000]``).

The grid: every pair of special values, (a, x) log-uniform over [1e-8, 1e4]², the diagonal
x = a (1 ± 30%) where the series and the continued fraction converge slowest and the
uniform asymptotic regime begins, the small-x corner where Q is a series of its own, and
half-integer a (chi-square CDFs).

The error is in ulps of max(|f|, x |∂f/∂x|) = max(|f|, x**a e**-x / Γ(a)): the relative
condition number of P and Q in x is x**a e**-x / (Γ(a) f), so the rounding of an input alone
moves f by that many ulps; this is what makes scipy itself hundreds of ulps off at large
arguments (e.g. Q(2.88, 633) is 466 ulp off in scipy). The model is held to the stricter
plain measure too (ulps of the true value), which ``main`` reports.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Sequence

import mpmath as mp
import numpy as np

from benchmarks.accuracy import (
    Function,
    _build,
    _logspace,
    compile_function,
    true_values,
    ulp_errors,
)

_SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, 0.5, -1.0, 2.0, 1e-300, 30.0])


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    sa, sx = (m.ravel() for m in np.meshgrid(_SPECIAL, _SPECIAL))
    wide_a = np.exp(rng.uniform(math.log(1e-8), math.log(1e4), n))
    wide_x = np.exp(rng.uniform(math.log(1e-8), math.log(1e4), n))
    diagonal = _logspace(1.0, 1e4, n)
    near = diagonal * (1.0 + rng.uniform(-0.3, 0.3, n))
    small_a = np.exp(rng.uniform(math.log(1e-6), math.log(2.0), n))
    small_x = rng.uniform(1e-6, 1.2, n)
    half = rng.integers(1, 200, n) / 2.0
    half_x = rng.uniform(0.0, 150.0, n)
    return (
        np.concatenate([sa, wide_a, diagonal, small_a, half]),
        np.concatenate([sx, wide_x, near, small_x, half_x]),
    )


def _exact(upper: bool):
    def exact(a: mp.mpf, x: mp.mpf) -> mp.mpf:
        if a <= 0 or x < 0:
            raise ValueError("outside the domain: PyTensor's NaN")
        if upper and a < mp.mpf("1e-30"):
            # Q = Γ(a, x) / Γ(a) = a E1(x) (1 + O(a log² x)); mpmath takes seconds there.
            return a * mp.e1(x)
        if upper:
            return mp.gammainc(a, x, mp.inf, regularized=True)
        return mp.gammainc(a, 0, x, regularized=True)

    return exact


def _terms(upper: bool):
    """max(|f|, x**a e**-x / Γ(a)) (f in float64, the factor by logs: a scale, not a value)."""
    from scipy import special

    def terms(a: float, x: float) -> float:
        if not (a > 0 and x > 0 and math.isfinite(a) and math.isfinite(x)):
            return 0.0
        f = float(special.gammaincc(a, x) if upper else special.gammainc(a, x))
        log_factor = a * math.log(x) - x - math.lgamma(a)
        return max(abs(f), math.exp(min(log_factor, 700.0)))

    return terms


FUNCTIONS = [
    Function("gammainc", _build("gammainc"), _exact(False), _grid, _terms(False)),
    Function("gammaincc", _build("gammaincc"), _exact(True), _grid, _terms(True)),
]


def _grid_inverse(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, p): special pairs, a log-uniform over [1e-3, 1e3] with p log-uniform down to 1e-300
    and uniform on (0, 1)."""
    rng = np.random.default_rng(1)
    special_p = np.array([0.0, 1.0, 0.5, -0.1, 1.1, np.nan, 1e-300])
    # (a = 0 is left out: scipy's inverses there are 0 for some p within 1e-10 of 1 and NaN
    # otherwise, a quirk of its internal 1 - p; the model gives NaN inside (0, 1).)
    sa, sp = (m.ravel() for m in np.meshgrid(np.array([1.0, np.inf, -1.0, 2.5]), special_p))
    a = np.exp(rng.uniform(math.log(1e-3), math.log(1e3), 2 * n))
    p = np.concatenate([np.exp(rng.uniform(math.log(1e-300), 0.0, n)), rng.uniform(0, 1, n)])
    return np.concatenate([sa, a]), np.concatenate([sp, p])


def _exact_inverse(upper: bool):
    """The root of P(a, x) = p (Q for ``upper``), from scipy's value by mpmath's secant."""
    from scipy import special

    def exact(a: mp.mpf, p: mp.mpf) -> mp.mpf:
        if not (a > 0 and 0 < p < 1):
            raise ValueError("an edge or outside the domain: PyTensor's value")
        start = float((special.gammainccinv if upper else special.gammaincinv)(float(a), float(p)))
        if not (math.isfinite(start) and start > 0):
            raise ValueError("scipy gives no start")

        # In y = log x on log P - log p: a root of P - p itself is lost in the tails (p and P
        # tiny, the secant's tolerance absolute).
        def f(y: mp.mpf) -> mp.mpf:
            x = mp.exp(y)
            if upper:
                return mp.log(mp.gammainc(a, x, mp.inf, regularized=True)) - mp.log(p)
            return mp.log(mp.gammainc(a, 0, x, regularized=True)) - mp.log(p)

        with mp.workdps(40):
            return mp.exp(mp.findroot(f, mp.log(mp.mpf(start))))

    return exact


def _inverse_terms(upper: bool):
    """max(x, p / |∂P/∂x|): x's relative condition number in p is p / (x x**(a-1) e**-x / Γ(a))
    (q for Q): the rounding of p alone moves x by that many ulps."""
    from scipy import special

    def terms(a: float, p: float) -> float:
        if not (0 < a < math.inf and 0 < p < 1):
            return 0.0
        x = float((special.gammainccinv if upper else special.gammaincinv)(a, p))
        if not (math.isfinite(x) and x > 0):
            return 0.0
        log_slope = (a - 1) * math.log(x) - x - math.lgamma(a)
        return max(x, p * math.exp(min(-log_slope, 700.0)))

    return terms


FUNCTIONS += [
    Function("gammaincinv", _build("gammaincinv"), _exact_inverse(False), _grid_inverse,
             _inverse_terms(False)),
    Function("gammainccinv", _build("gammainccinv"), _exact_inverse(True), _grid_inverse,
             _inverse_terms(True)),
]  # fmt: skip


def plain_ulps(points: int) -> list[str]:
    """One line per function (P, Q): the largest error in ulps of the true value on the grid at
    ``points`` per segment, the model's (ONNX Runtime) and scipy's, with where and how many
    pairs are beyond 64 ulp."""
    from scipy import special

    lines = []
    for fn in FUNCTIONS[:2]:
        args = fn.arguments(points, "float64")
        (got,) = compile_function(fn, "float64").run(*args)
        theirs = (special.gammaincc if fn.name == "gammaincc" else special.gammainc)(*args)
        hi, lo = true_values(fn, *args)
        plain = dataclasses.replace(fn, terms=None)
        parts = []
        for who, values in (("model", got), ("scipy", theirs)):
            err, _ = ulp_errors(plain, args, values, theirs, hi, lo)
            worst = int(np.argmax(err))
            at = ", ".join(f"{a[worst]:.17g}" for a in args)
            beyond = int(np.count_nonzero(err > 64))
            parts.append(f"{who} {err[worst]:.1f} at ({at}), {beyond} beyond 64")
        lines.append(f"{fn.name} ({len(args[0])} pairs): " + "; ".join(parts))
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=plain_ulps.__doc__)
    parser.add_argument("--points", type=int, default=1000)
    for line in plain_ulps(parser.parse_args(argv).points):
        print(line)


if __name__ == "__main__":
    main()
