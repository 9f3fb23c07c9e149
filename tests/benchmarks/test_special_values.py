"""The special-value conformance sweep (``benchmarks/special_values.py``) in the suite: every op
of the sweep over every tuple of the default menu, both float dtypes, with NaN/inf where
PyTensor has them, exact zeros of PyTensor's sign, and finite values that differ from
PyTensor's beyond the flag only where mpmath shows ours within bound (or closer than
PyTensor's). Regression tests of the mismatches the sweep found, and of the sweep's own
comparison (it must be able to see a mismatch)."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest

from benchmarks import special_values as sv
from tests.lowering.util import check

OPS = sv.all_ops()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_special_values_match_pytensor(name: str, dtype: str) -> None:
    row = sv.sweep(OPS[name], dtype)
    assert not row.error, row.error
    wrong = [m for m in row.mismatches if not m.verdict.startswith("ours ok")]
    assert not wrong, "\n".join(m.text() for m in wrong)


#: Unary ops whose NaN/inf, zero and sign edges are probed (``--menu boundaries``). Not xlogx:
#: x log(x) crosses the float32 overflow threshold where ORT's float32 Log (up to 2 ulps off)
#: and numpy's round differently (4.0371103e36: inf here, 3.4028233e38 in PyTensor).
BOUNDARY_OPS = sorted(name for name, op in OPS.items() if op.arity == 1 and name != "xlogx")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", BOUNDARY_OPS)
def test_special_value_edges_match_pytensor(name: str, dtype: str) -> None:
    row = sv.sweep(OPS[name], dtype, kind="boundaries")
    assert not row.error, row.error
    wrong = [m for m in row.mismatches if not m.verdict.startswith("ours ok")]
    assert not wrong, "\n".join(m.text() for m in wrong)


# -- the sweep's own comparison ---------------------------------------------------------------


def test_ulp_distance_counts_representable_values_across_zero() -> None:
    a = np.array([1.0, 0.0, -0.0, 5e-324, np.float64(np.finfo(np.float64).max)])
    b = np.array([np.nextafter(1.0, 2.0), -0.0, -5e-324, -5e-324, np.inf])
    assert sv.ulp_distance(a, b)[:4].tolist() == [1.0, 0.0, 1.0, 2.0]
    f = np.array([1.0], dtype=np.float32)
    assert sv.ulp_distance(f, np.nextafter(f, np.float32(0.0))).tolist() == [1.0]
    # 2**62 apart: exact (a float64 of the bit patterns would round them to 1024 ulps).
    assert sv.ulp_distance(np.array([1.0]), np.array([1.0 + 2.0**-52]))[0] == 1.0


def test_compare_sees_each_kind_of_mismatch() -> None:
    """NaN for a number, -0 for +0, ~470 ulps off (1e-13 relative), inf for a number; the
    matching point is not reported; the finite one is triaged against mpmath's erf(0.5)."""
    op = OPS["erf"]
    args = (np.array([np.nan, 0.0, 0.5, 0.5, 1.0]),)
    erf_half, erf_one = 0.5204998778130465, 0.8427007929497149  # scipy.special.erf
    theirs = np.array([np.nan, 0.0, erf_half, erf_half, erf_one])
    ours = np.array([0.0, -0.0, erf_half * (1 + 1e-13), erf_half, np.inf])
    found = sv.compare(op, args, ours, theirs)
    assert [m.kind for m in found] == ["nan/inf", "zero sign", "finite", "nan/inf"]
    assert [m.args[0] for m in found[1:]] == [0.0, 0.5, 1.0]
    assert found[2].verdict == "OURS WRONG"
    assert found[2].ulp_ours is not None and 400 < found[2].ulp_ours < 520


# -- regressions ----------------------------------------------------------------------------------


def test_gammaln_is_inf_where_scipy_divides_by_an_overflowing_reciprocal() -> None:
    """scipy's gammaln (Cephes' lgam, PyTensor's perform) is +inf for |x| below about
    5.56e-309, where its 1/x overflows, though the true value is finite (744.44 at 5e-324);
    PyTensor is the contract for inf placement. Either side of the threshold, both signs."""
    with np.errstate(divide="ignore", over="ignore"):
        # The smallest x whose reciprocal is finite (1/x overflows below it).
        above = np.float64(1.0) / np.finfo(np.float64).max
        while not np.isfinite(1.0 / above):
            above = np.nextafter(above, 1.0)
    below = np.nextafter(above, 0.0)
    values = np.array([5e-324, 1e-320, 1e-310, below, above, 1e-308, 2.2250738585072014e-308])
    x = np.concatenate([values, -values])
    v = pt.vector("x", dtype="float64")
    check([v], [pt.gammaln(v)], [x])


def test_gammaln_is_inf_beyond_scipys_maxlgm() -> None:
    """scipy's gammaln is +inf from 2.556348e305 on (Cephes' MAXLGM), where log Γ is finite
    (1.795e308 there)."""
    edge = 2.556348e305
    x = np.array([np.nextafter(edge, 0.0), edge, np.nextafter(edge, np.inf), 1e306, 1.7e308])
    v = pt.vector("x", dtype="float64")
    check([v], [pt.gammaln(v)], [x])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gamma_overflow_and_underflow_as_scipy(dtype: str) -> None:
    """scipy's Γ: inf from its MAXGAM 171.6243769563027 on (Γ is still finite there); for
    x < -171 its reflection π / ((q sin πq) Γ(q)) is ±0 where that product overflows (from
    about -171.04: it was 0 here already at -171.038, where scipy has 1.7e-308), of Γ's sign
    (it was always +0 here), and -0 for |x| >= 2**31 (Cephes' int of floor(q))."""
    edge = 171.6243769563027
    with np.errstate(over="ignore"):
        x = np.array(
            [
                np.nextafter(edge, 0.0),
                edge,
                172.0,
                -171.03800971244561,
                -171.0380097124456,
                -171.5,
                -172.00000000000003,
                -173.5,
                -174.5,
                -1000.25,
                -(2.0**31 - 0.5),
                -(2.0**31 + 1.5),
                -4503599627370495.5,
                -170.5,
                -33.5,
            ]
        ).astype(dtype)
    v = pt.vector("x", dtype=dtype)
    check([v], [pt.gamma(v)], [x], signed_zeros=True)


@pytest.mark.parametrize("name", ["log1p", "expm1"])
def test_float32_log1p_expm1_are_rounded_once_from_float64(name: str) -> None:
    """float32 log1p and expm1 are computed in float64: in float32, ORT's Log and Exp (up to 2
    ulps off) gave results up to 4 ulps from the correctly rounded value on (-0.9, 0.5), over
    the 4-ulp contract with the rounding. Reference: numpy's float64 function (about 0.5 ulp
    of float64) rounded to float32, which is the correctly rounded value at these points but
    for a 2**-29 chance each."""
    x = np.random.default_rng(3).uniform(-0.9, 0.5, 20000).astype(np.float32)
    got = sv.run_compiled(OPS[name], (x,))
    want = getattr(np, name)(x.astype(np.float64)).astype(np.float32)
    assert got.dtype == np.float32
    assert sv.ulp_distance(got, want).max() <= 1.0
    assert np.count_nonzero(got != want) <= 2


@pytest.mark.parametrize("n", [1, 2, 3, 7, 16])
def test_polygamma_is_inf_where_scipys_power_overflows(n: int) -> None:
    """scipy's polygamma(n, x) (PyTensor's perform) is ±inf for |x| below a threshold where
    n!/|x|**(n+1) is about the largest float (+inf for x < 0); ours rounded to the largest
    finite value one float below it (trigamma(-7.458340731200207e-155)). Both sides of each
    threshold, both signs; the thresholds here are scipy's own."""
    thresholds = {1: 7.458340731200208e-155, 2: 2.232397248598194e-103, 3: 1.351633423649212e-77,
                  7: 8.530301316690669e-39, 16: 4.476468485632404e-18}  # fmt: skip
    t = thresholds[n]
    near = [np.nextafter(np.nextafter(t, 0.0), 0.0), np.nextafter(t, 0.0), t, np.nextafter(t, 1.0)]
    x = np.array([*near, *(-v for v in near)])
    v = pt.vector("x", dtype="float64")
    outputs = [pt.polygamma(n, v)] + ([pt.tri_gamma(v)] if n == 1 else [])
    check([v], outputs, [x])
