"""Accuracy sweeps of 2F1(a, b; c; z) over the whole real z line against mpmath (50 digits),
discovered by ``benchmarks/accuracy.py`` (``python -m benchmarks.accuracy --functions
hyp2f1_wide hyp2f1_mixed``). ``benchmarks/accuracy_beta.py``'s ``hyp2f1`` keeps the original
grid (z in [-0.95, 0.95]); these add z < -1 (down to -1e12), z in (0.9, 1] (1 - z down to
1e-9), the cases where c - a - b (near 1) or a - b (z < -1) is an integer. ``hyp2f1_wide``:
positive parameters, c - a - b or a - b within 1e-12 ... 0.2 of an integer, the polynomial
cases on the whole line, z = 1 and the edges (poles, z > 1, ±inf, NaN); ``hyp2f1_mixed``: the
same z segments with parameters of both signs, where every form's terms may cancel (its
errors beyond 64 ulp are compared with scipy's in BENCHMARKS.md).

``python -m benchmarks.accuracy_hyp2f1 --special-values`` compares NaN/±inf/finite with scipy
(PyTensor's ``perform``) on every 4-tuple of the random-graph generator's special values, by
pattern (``special_value_mismatches``).

Left out: c - a - b (1/2 < z < 1) or a - b (z < -1) within 0.05 of an integer but not one
where a Γ argument of the model's paired form is not positive: there the two-term
transformation cancels like 1/(distance to the integer), as scipy's (the same form).
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks.accuracy import Function, _build
from benchmarks.accuracy_beta import _mp_hyp2f1

#: Grid parameters are multiples of this (so that a + b + m and a + m are exact).
_STEP = 1.0 / 256.0


def _params(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    return np.round(rng.uniform(low, high, n) / _STEP) * _STEP


def _unpaired_near_integer(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray
) -> np.ndarray:
    """c - a - b (z > 1/2) or a - b (z < -1) within 0.05 of an integer but not one, where
    the model's paired form does not apply (a Γ argument of it is not positive)."""
    with np.errstate(all="ignore"):
        d = c - a - b
        e = b - a
    gap_d = np.abs(d - np.round(d))
    gap_e = np.abs(e - np.round(e))
    near_ok = np.where(d >= 0, (c - a > 0) & (c - b > 0), (a > 0) & (b > 0))
    far_ok = (np.maximum(a, b) > 0) & (c - np.minimum(a, b) > 0)
    near = (z > 0.5) & (gap_d > 0) & (gap_d < 0.05) & ~near_ok
    far = (z < -1.0) & (gap_e > 0) & (gap_e < 0.05) & ~far_ok
    return near | far


def _line(
    rng: np.random.Generator, n: int, low: float, c_low: float
) -> list[tuple[np.ndarray, ...]]:
    """a, b in [low, 5], c in [c_low, 8] (multiples of 1/256) with z < -1 (1 - z
    log-uniform up to 1e12), z in (0.9, 1) (1 - z log-uniform in [1e-9, 0.1]) and on the whole
    line; c - a - b = m (-4 ... 4) near z = 1 and a - b = m for z < -1."""
    parts = []
    for log_low, log_high in ((math.log(2.0), math.log(1e12)), (math.log(1e-9), math.log(0.1))):
        a, b, c = _params(rng, n, low, 5.0), _params(rng, n, low, 5.0), _params(rng, n, c_low, 8.0)
        z = 1.0 - np.exp(rng.uniform(log_low, log_high, n))
        parts.append((a, b, c, z))
    a, b, c = _params(rng, n, low, 5.0), _params(rng, n, low, 5.0), _params(rng, n, c_low, 8.0)
    z = np.concatenate(
        [rng.uniform(-1.0, 0.9, n - n // 2), 1.0 - np.exp(rng.uniform(0.0, 6.0, n // 2))]
    )
    parts.append((a, b, c, z))
    m = rng.integers(-4, 5, n).astype(np.float64)
    a, b = _params(rng, n, low, 5.0), _params(rng, n, low, 5.0)
    z = 1.0 - np.exp(rng.uniform(math.log(1e-9), math.log(0.5), n))
    parts.append((a, b, a + b + m, z))
    a, c = _params(rng, n, low, 5.0), _params(rng, n, c_low, 8.0)
    z = 1.0 - np.exp(rng.uniform(math.log(2.0), math.log(1e12), n))
    parts.append((a, a + m, c, z))
    return parts


def _concatenate(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    a, b, c, z = (np.concatenate(p) for p in zip(*parts, strict=True))
    keep = ~_unpaired_near_integer(a, b, c, z)
    return a[keep], b[keep], c[keep], z[keep]


def _grid_hyp2f1_mixed(n: int) -> tuple[np.ndarray, ...]:
    """``_line`` with a, b in [-4.5, 5], c in [-4.5, 8]."""
    return _concatenate(_line(np.random.default_rng(17), n, -4.5, -4.5))


def _grid_hyp2f1_wide(n: int) -> tuple[np.ndarray, ...]:
    """``_line`` with positive parameters, near-integer cases, polynomials, z = 1, edges."""
    rng = np.random.default_rng(16)
    parts = _line(rng, n, 0.0, 0.5)
    # c - a - b (near 1) or a - b (z < -1) within 1e-12 ... 0.2 of an integer m
    eps = np.exp(rng.uniform(math.log(1e-12), math.log(0.2), n)) * rng.choice([-1.0, 1.0], n)
    m = rng.integers(0, 4, n).astype(np.float64)
    a, b = rng.uniform(0.0, 5.0, n), rng.uniform(0.0, 5.0, n)
    z = 1.0 - np.exp(rng.uniform(math.log(1e-9), math.log(0.5), n))
    parts.append((a, b, a + b + m + eps, z))
    c = rng.uniform(0.5, 8.0, n)
    z = 1.0 - np.exp(rng.uniform(math.log(2.0), math.log(1e12), n))
    parts.append((a, a + m + eps, c + a, z))
    # polynomials (a = 0 ... -8) on the whole line
    k = n // 2
    pa = -rng.integers(0, 9, k).astype(np.float64)
    pb, pc = _params(rng, k, -3.5, 5.0), _params(rng, k, 0.5, 8.0)
    pz = np.concatenate([rng.uniform(-3.0, 3.0, k - k // 2), -np.exp(rng.uniform(0, 8, k // 2))])
    parts.append((pa, pb, pc, pz))
    # z = 1 (Gauss's sum, or inf) and the edges
    a, b, c = _params(rng, k, 0.0, 4.0), _params(rng, k, 0.0, 4.0), _params(rng, k, 0.5, 8.0)
    parts.append((a, b, c, np.ones(k)))
    inf, nan = math.inf, math.nan
    edge = np.array(
        [
            [1.0, 1.0, 2.0, -inf],
            [-2.0, 1.0, 3.0, -inf],
            [1.0, 1.0, 2.0, inf],
            [1.0, 1.0, 2.0, 1.5],
            [1.0, 2.0, -1.0, -5.0],
            [1.0, 2.0, -1.0, 0.95],
            [-2.0, 1.0, -3.0, -5.0],
            [1.0, 2.0, 3.0, -1e300],
            [0.5, 1.5, 2.5, -1e300],
            [1.0, 1.0, 2.0, 1.0 - 2.0**-52],
            [0.25, 0.5, 0.75, 1.0 - 2.0**-52],
            [nan, 1.0, 1.0, -5.0],
            [1.0, 1.0, 1.0, nan],
        ]
    ).T
    parts.append(tuple(edge))
    return _concatenate(parts)


FUNCTIONS: list[Function] = [
    Function("hyp2f1_wide", _build("hyp2f1"), _mp_hyp2f1, _grid_hyp2f1_wide),
    Function("hyp2f1_mixed", _build("hyp2f1"), _mp_hyp2f1, _grid_hyp2f1_mixed),
]


# -- NaN/inf agreement with scipy on the random-graph generator's special values ------------------
#: scipy's hyp2f1 code, run in a child process (it crashes on some extreme quadruples): reads
#: the four columns from the .npy file named by argv[1], writes the values to argv[2].
_SCIPY_CHILD = """
import sys
import numpy as np
import scipy.special
a, b, c, z = np.load(sys.argv[1])
with np.errstate(all="ignore"):
    np.save(sys.argv[2], scipy.special.hyp2f1(a, b, c, z))
"""


def special_value_grid() -> tuple[np.ndarray, ...]:
    """Every 4-tuple of the random-graph generator's float64 special values
    (``tests/property/graph_gen.py``'s ``special_values``: 15 values, 50625 quadruples)."""
    import itertools

    from tests.property.graph_gen import special_values

    values = special_values("float64")
    rows = np.array(list(itertools.product(values, repeat=4)), dtype=np.float64)
    return tuple(rows.T.copy())


def scipy_values(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """scipy.special.hyp2f1 (PyTensor's ``perform``) at each point, NaN where it crashes
    (a segfault on (1.797e308, 2.2e-308 or 5e-324, 1.797e308, nan)): each chunk in a child
    process, a chunk that crashes split in halves down to the points that crash. Also returns
    the mask of the crashing points."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    out = np.full(a.shape, np.nan)
    crashed = np.zeros(a.shape, dtype=bool)
    with tempfile.TemporaryDirectory() as tmp:
        given, taken = Path(tmp) / "in.npy", Path(tmp) / "out.npy"
        pending = [np.arange(a.size)]
        while pending:
            index = pending.pop()
            np.save(given, np.stack([a[index], b[index], c[index], z[index]]))
            child = subprocess.run(
                [sys.executable, "-c", _SCIPY_CHILD, str(given), str(taken)], check=False
            )
            if child.returncode == 0:
                out[index] = np.load(taken)
            elif index.size == 1:
                crashed[index] = True
            else:
                half = index.size // 2
                pending += [index[:half], index[half:]]
    return out, crashed


def _kind(v: np.ndarray) -> np.ndarray:
    """'nan', '+inf', '-inf' or 'finite' per element."""
    return np.where(
        np.isnan(v), "nan", np.where(v == np.inf, "+inf", np.where(v == -np.inf, "-inf", "finite"))
    )


def _label(v: float) -> str:
    """A special value's name in the mismatch patterns."""
    if math.isnan(v) or math.isinf(v):
        return str(v)
    if abs(v) == np.finfo(np.float64).max:
        return "-max" if v < 0 else "max"
    if v != 0 and abs(v) < 1e-300:
        return "tiny"  # the smallest normal and subnormal
    return repr(v)


def _pattern(a: float, b: float, c: float, z: float) -> str:
    """The first of these that a quadruple shows: a NaN argument, an infinite parameter, a
    near-overflow one (±1.8e308), c within 1e-13 of 0 (not 0), an infinite or near-overflow z,
    a or b subnormal or the smallest normal, else other."""
    huge = np.finfo(np.float64).max
    if any(math.isnan(v) for v in (a, b, c, z)):
        return "NaN argument"
    if any(math.isinf(v) for v in (a, b, c)):
        return "infinite a, b or c"
    if any(abs(v) == huge for v in (a, b, c)):
        return "a, b or c = ±1.8e308"
    if 0.0 < abs(c) < 1e-13:
        return "c within 1e-13 of 0"
    if math.isinf(z) or abs(z) == huge:
        return "z infinite or ±1.8e308"
    if any(0.0 < abs(v) < 1e-300 for v in (a, b)):
        return "a or b tiny"
    return "other"


def special_value_mismatches(show: int = 0) -> dict[str, int]:
    """Compiled hyp2f1 (ONNX Runtime) against scipy on ``special_value_grid``: the quadruples
    where one is NaN, +inf, -inf or finite and the other is not, or both are finite and differ
    by more than 1e-12 relative; counted by ``_pattern`` and by (scipy, compiled) kind. The
    points where scipy crashes are left out."""
    from collections import Counter

    from benchmarks.accuracy import compile_function

    a, b, c, z = special_value_grid()
    reference, crashed = scipy_values(a, b, c, z)
    (got,) = compile_function(FUNCTIONS[0], "float64").run(a, b, c, z)
    theirs, ours = _kind(reference), _kind(got)
    with np.errstate(all="ignore"):
        far = np.abs(got - reference) > 1e-12 * np.abs(reference)
    differ = ((theirs != ours) | ((theirs == "finite") & far)) & ~crashed
    rows = np.flatnonzero(differ)
    patterns = Counter(_pattern(a[i], b[i], c[i], z[i]) for i in rows)
    kinds = Counter(f"scipy {theirs[i]}, compiled {ours[i]}" for i in rows)
    print(f"{a.size} quadruples, {int(crashed.sum())} crash scipy, {rows.size} differ")
    for name, count in [*patterns.most_common(), *kinds.most_common()]:
        print(f"  {count:6d}  {name}")
    for i in rows[:show]:
        print(f"  ({a[i]!r}, {b[i]!r}, {c[i]!r}, {z[i]!r}): scipy {reference[i]!r}, {got[i]!r}")
    return dict(patterns)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="hyp2f1 against scipy on special values")
    parser.add_argument(
        "--special-values",
        action="store_true",
        help="NaN/inf/value disagreements with scipy on all 4-tuples of the random-graph "
        "generator's special values (the accuracy sweeps: python -m benchmarks.accuracy)",
    )
    parser.add_argument("--show", type=int, default=0, help="print this many disagreements")
    args = parser.parse_args()
    if not args.special_values:
        parser.error("nothing to do: --special-values")
    special_value_mismatches(args.show)


if __name__ == "__main__":
    main()
