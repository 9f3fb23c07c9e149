"""2F1 beyond the power series' disc: z < -1, z near 1 (the 1/(1 - z) and 1 - z
transformations), their limit forms where c - a - b or a - b is an integer, and polynomials
beyond |z| = 1, through ONNX Runtime (both optimization levels) and the IR interpreter against
PyTensor, and against mpmath at 50 digits; a sweep of ``benchmarks/accuracy_hyp2f1.py``'s grid
at low density."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytensor.tensor as pt
import pytest

from compiler.verify import run_pytensor
from ir.interpreter import run_module
from tests.helpers import compile_checked, fgraph_of, ort_outputs
from tests.lowering.test_special_functions import assert_sweep_within_ulp_bound

#: (a, b, c, z) where scipy (PyTensor) is accurate: the model is checked against PyTensor
#: (float64 tolerance) and, like the interpreter (scipy's values), against mpmath.
AGREED = [
    # z < -1, a - b not an integer (A&S 15.3.8)
    (1.0, 1.0, 3.0, -5.0),
    (0.5, 1.5, 2.5, -3.0),
    (2.0, 3.0, 4.0, -1.5),
    (1.5, 2.5, 1.0, -4.0),
    (0.7, -1.3, 2.4, -7.0),
    (-0.5, 2.0, 3.0, -20.0),
    # z < -1, a - b an integer (the limit form): 0, -2, 1
    (1.0, 1.0, 2.0, -10.0),
    (1.0, 3.0, 2.0, -50.0),
    (2.5, 1.5, 0.75, -2.5),
    # near z = 1, c - a - b not an integer (A&S 15.3.6)
    (2.5, 1.5, 7.0, 0.9),
    (0.3, 0.3, 0.601, 0.99999),
    (1.25, -0.5, 1.5, 0.9999),
    # c - a - b an integer (15.3.10/15.3.11): 0, 0, 0, 1, 2, -1, -3
    (1.5, 1.5, 3.0, 0.999),
    (1.0, 2.0, 3.0, 0.995),
    (0.5, 0.5, 1.0, 0.99999),
    (-1.5, 1.0, 0.5, 0.999),
    (0.25, 0.5, 2.75, 0.9999),
    (1.25, 0.5, 0.75, 0.99),
    (2.5, 1.5, 1.0, 0.8),
    # c - a - b of decimal inputs is 5.6e-17, not 0: the limit form still (the two-term one
    # would cancel to nothing)
    (0.3, 0.4, 0.7, 0.995),
    # polynomials beyond |z| = 1 and at ±inf (scipy's sign at inf: that of a b z / c)
    (-5.0, 3.296875, 2.98828125, 2.51073),
    (-3.0, 2.0, 3.0, -40.0),
    (-2.0, 1.0, 3.0, -math.inf),
    (-2.0, 1.0, 3.0, math.inf),
    (0.0, 1.0, 3.0, math.inf),
    # not a polynomial at z = -inf: NaN, as scipy
    (1.0, 1.0, 2.0, -math.inf),
]

#: Where scipy is inaccurate (a = b at large |z|: 2e7 ulp off at -1e10; c - a - b within
#: 2e-16 of -2 near 1; a polynomial whose series cancels): the model against mpmath only.
SCIPY_OFF = [
    (1.0, 1.0, 1.5, -1e10),
    (2.0, 2.0, 3.0, -1e5),
    (2.25, -0.75, -1.5, -300.0),
    (1.0, 1.0, 0.5, 0.99),
    (1.3, 2.3, 1.6, 0.999),
    (-7.0, 3.0390625, 6.72265625, 1.74166),
]


def _true(row: tuple[float, ...]) -> float:
    if not all(math.isfinite(v) for v in row):
        return math.nan
    with mp.workdps(50):
        value = mp.hyp2f1(*(mp.mpf(v) for v in row))
    return float(value) if isinstance(value, mp.mpf) else math.nan


def _ulps(got: np.ndarray, true: np.ndarray) -> np.ndarray:
    """|got - true| in ulps of got's dtype at the true value (0 where both are the same
    non-finite value or NaN; inf where only one is finite)."""
    dtype = got.dtype
    rounded = true.astype(dtype)
    with np.errstate(all="ignore"):
        err = np.abs(got.astype(np.float64) - true) / np.spacing(np.abs(rounded)).astype(np.float64)
    same = (got == rounded) | (np.isnan(got) & np.isnan(true))
    return np.where(same, 0.0, np.where(np.isfinite(got) & np.isfinite(rounded), err, np.inf))


@pytest.fixture(scope="module")
def outputs() -> dict[str, dict[str, np.ndarray]]:
    """hyp2f1 on AGREED + SCIPY_OFF in float64 and float32 (one graph, compiled once), by
    dtype then evaluator: ONNX Runtime (both levels), the interpreter, PyTensor."""
    rows = AGREED + SCIPY_OFF
    inputs = [pt.vector(f"{n}{bits}", dtype=f"float{bits}") for bits in (64, 32) for n in "abcz"]
    graph = fgraph_of(inputs, [pt.hyp2f1(*inputs[:4]), pt.hyp2f1(*inputs[4:])])
    result = compile_checked(graph)
    columns = [np.array(column) for column in zip(*rows, strict=True)]
    with np.errstate(over="ignore"):  # -1e50 and -1e200 are -inf in float32
        feeds = columns + [column.astype(np.float32) for column in columns]
    ordered = [result.input_feeds(feeds, {})[n] for n in result.input_names]
    by_evaluator = {level: outs for level, outs in ort_outputs(result, ordered).items()}
    by_evaluator["interpreter"] = run_module(result.module, ordered)
    by_evaluator["PyTensor"] = run_pytensor(graph, result.input_vars, ordered, mode="FAST_COMPILE")
    return {
        dtype: {who: np.asarray(outs[i]) for who, outs in by_evaluator.items()}
        for i, dtype in enumerate(("float64", "float32"))
    }


def _true_values(rows: list[tuple[float, ...]], dtype: str) -> np.ndarray:
    """mpmath's 2F1 at the inputs as ``dtype`` holds them (NaN where it has no real value)."""
    with np.errstate(over="ignore"):
        held = [tuple(float(np.array(v, dtype=dtype)) for v in r) for r in rows]
    return np.array([_true(r) for r in held])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_hyp2f1_transformations_match_pytensor_and_mpmath(
    outputs: dict[str, dict[str, np.ndarray]], dtype: str
) -> None:
    """Every evaluator within the bound (64 ulp float64, 4 float32) of the true value where it
    is finite; NaN/±inf where PyTensor has them (PyTensor's sign at ±inf, not the limit's);
    ONNX Runtime within float tolerance of PyTensor."""
    n = len(AGREED)
    out = {who: got[:n] for who, got in outputs[dtype].items()}
    true = _true_values(AGREED, dtype)
    # no real value (z = -inf, a polynomial's value at ±inf): PyTensor's, exactly
    true = np.where(np.isnan(true), out["PyTensor"].astype(np.float64), true)
    bound = 64.0 if dtype == "float64" else 4.0
    for who, got in out.items():
        assert got.dtype == dtype, who
        err = _ulps(got, true)
        worst = int(np.argmax(err))
        assert err[worst] <= bound, f"{who}: {AGREED[worst]} is {err[worst]:.1f} ulp off"
    rtol = 1e-12 if dtype == "float64" else 1e-6
    for who, got in out.items():
        np.testing.assert_allclose(got, out["PyTensor"], rtol=rtol, err_msg=who)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_hyp2f1_within_bound_where_scipy_is_not(
    outputs: dict[str, dict[str, np.ndarray]], dtype: str
) -> None:
    """Where scipy is 80 to 2e7 ulps off (or inf for a finite value), the model is within the
    bound of mpmath (both ONNX Runtime levels); float32 rounds the float64 result once."""
    n = len(AGREED)
    out = {who: got[n:] for who, got in outputs[dtype].items()}
    true = _true_values(SCIPY_OFF, dtype)
    # float32 holds -1e50 and -1e200 as -inf (no real value): PyTensor's, exactly
    assert np.isfinite(true).all() or dtype == "float32"
    true = np.where(np.isnan(true), out["PyTensor"].astype(np.float64), true)
    bound = 64.0 if dtype == "float64" else 4.0
    for who, got in out.items():
        if who in ("interpreter", "PyTensor"):  # scipy's values
            continue
        err = _ulps(got, true)
        worst = int(np.argmax(err))
        assert err[worst] <= bound, f"{who}: {SCIPY_OFF[worst]} is {err[worst]:.1f} ulp off"
    if dtype == "float64":  # the rows are where scipy is off: keep them so
        assert (_ulps(out["PyTensor"], true) > 64.0).all()


def test_hyp2f1_wide_sweep_within_ulp_bound() -> None:
    """``benchmarks/accuracy_hyp2f1.py``'s whole-line grid at 4 points per segment."""
    assert_sweep_within_ulp_bound("hyp2f1_wide", "float64", 4)


def test_hyp2f1_coinciding_parameters_as_pytensor() -> None:
    """scipy's (Cephes') answers where parameters coincide, which the random-graph sweep drew:
    c a non-positive integer is a pole unless a or b is a non-positive integer above it (a
    polynomial of degree -c does not end before it), b = c a non-positive integer cuts the
    series at k = -b (3.25, not (1 - z)**-2 = 4), a = c gives (1 - z)**-b, parameters within
    1e-13 of an integer or of each other count as equal (hyp2f1(1, 1e-20; -0.0; 0.5) = 2
    through Euler's transformation), also where it meets them through Euler's transformation.
    Each was NaN, inf or another number before; checked in ORT and the interpreter."""
    from tests.lowering.util import check

    rows = [(-7, -7, -7, -7), (-7, -7, -7, 0.5), (-3, 2, -3, -7), (2, -3, -3, 0.5),
            (2, -3, -3, -7), (-3, -3, -3, 2.0), (-3, 5, -3, 1.0), (1, 1e-20, -0.0, 0.5),
            (1, 1.4e-45, -0.0, 1.4e-45), (1e-20, 1, -2, 0.5), (-2, 1, -2, -0.5),
            (0, 1, 0, 0.5), (-2, 2, -3, 0.5), (-4, 2, -3, 0.5), (2.5, -4, -4, -1.0),
            (1.5, 2.5, 1.5, 0.3), (0.5, -1.5, -1.5, 0.9)]  # fmt: skip
    a, b, c, z = (pt.dvector(n) for n in "abcz")
    feeds = [np.array(column, dtype=np.float64) for column in zip(*rows, strict=True)]
    check([a, b, c, z], [pt.hyp2f1(a, b, c, z)], feeds)


def test_hyp2f1_nan_and_inf_as_scipy_at_extremes() -> None:
    """scipy's (Cephes') NaN, ±inf and early answers where the random-graph generator's
    special values (±inf, ±1.8e308, 2.2e-308, 5e-324) meet (``python -m
    benchmarks.accuracy_hyp2f1 --special-values``), and a = b far out on the negative axis:
    2F1(-1, b; c; z) = 1 - b z / c (0 below 1e-15), -inf is no integer (no polynomial, no
    pole), Euler's transformation first for c - a - b <= -1 (its factor 0 or inf), the power
    series giving up (NaN beyond 10000 recurrence steps or at an infinite z, inf for c within
    1e-13 of 0) or stopping after a first term that overflows or is negligible,
    Gauss's sum at z = 1 with an infinite c - a - b (NaN), A&S 15.3.7's limit at z = -inf, a
    polynomial summing to 0, and inf where Pfaff's w = z/(z - 1) is within 1e-13 of 1 with the
    inner c - a - b = 0 (z below about -1e13; the true value is finite there). Expected
    values: PyTensor's (scipy's); ORT and the interpreter."""
    from tests.lowering.util import check

    inf, big, tiny = math.inf, 1.7976931348623157e308, 2.2250738585072014e-308
    rows = [(1, 1, 2, -1e14), (1.5, 1.5, 2, -2e13), (1, 1, 2, -1e50), (0.5, 0.5, 2.5, -1e200),
            (-0.5, -0.5, 2, -1e14), (1, 3, 2, -1e20), (3, 1, 2, -1e14),
            (-1, 2, 3, 5), (-1, 1, 1, 1.0000000000000002), (-1, inf, 3, 0.5),
            (-1, math.nan, 3, 0.5), (1, -inf, 1, 2.5), (3, -inf, 1, inf), (1, inf, 1, 2.5),
            (1, 1, 5e-324, -0.5), (inf, 1, 1, 3), (5e-324, 2.5, -0.5, 3), (1, -1, tiny, -1),
            (1, -big, 3, inf), (-big, 5e-324, 3, 5e-324),
            (1, -inf, big, 1), (2.5, 1, 1e-14, 0.5),
            # the series' first term: NaN for the recurrence at an infinite z, a polynomial's
            # ±inf at ±inf, its overflow, its negligible size; a = -1.8e308 is no C int
            (1, -3, 1, inf), (-2, 1, 3, inf), (-2, 1, 3, -inf), (-inf, -1, 1, -0.5),
            (-big, tiny, 2.5, tiny), (1, -big, big, 3),
            # NaN arguments: the series' inf for c near 0 (times a NaN power of 1 - z: NaN),
            # b = c with 1 - z = 1, Gauss's sum with c - a - b NaN
            (math.nan, -1, tiny, 3), (-0.5, -0.5, tiny, math.nan), (math.nan, 1, 1, 5e-324),
            (1, math.nan, tiny, -1), (inf, -inf, 1, 1),
            # z = -inf with b - a no integer: A&S 15.3.7's limit (0, or inf for a negative a)
            (1, 2.5, 3, -inf), (1, -0.5, 2.5, -inf), (-0.5, 3, 2.5, -inf),
            (0.5, 1.5, 2.5, -inf),
            # polynomials whose sum is exactly 0 (NaN before: an infinite error estimate)
            (1, -1, 1, 1), (1, -1, 2.5, 2.5), (-3, 3, 1, 1), (1, 2.5, -0.5, -1),
            (-3, -3, 1, -1)]  # fmt: skip
    a, b, c, z = (pt.dvector(n) for n in "abcz")
    feeds = [np.array(column, dtype=np.float64) for column in zip(*rows, strict=True)]
    check([a, b, c, z], [pt.hyp2f1(a, b, c, z)], feeds)
