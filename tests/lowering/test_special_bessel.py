"""Bessel functions (i0, i1, j0, j1, ive, kve, jv): sweeps through ONNX Runtime against mpmath
within the accuracy contract, PyTensor and the IR interpreter (NaN and ±inf, signed zeros,
integer inputs), gradients, and a von Mises log-density."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from benchmarks.accuracy import all_functions
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of
from tests.lowering.test_special_functions import assert_sweep_within_ulp_bound
from tests.lowering.util import assert_signed_zeros_match, check

FIXED = ("i0", "i1", "j0", "j1")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", FIXED)
def test_fixed_order_sweep_within_ulp_bound(name: str, dtype: str) -> None:
    assert_sweep_within_ulp_bound(name, dtype, points=200)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fixed_order_matches_pytensor_and_interpreter(dtype: str) -> None:
    x = np.concatenate(
        [
            np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300, 5.0, -8.0, 8.0]),
            np.array([2.404825557695773, 3.8317059702075125, 700.0, 712.0, -712.0, 1e20]),
            np.random.default_rng(2).uniform(-40.0, 40.0, 64),
        ]
    ).astype(dtype)
    v = pt.vector("x", dtype=dtype)
    check([v], [all_functions()[name].build(v) for name in FIXED], [x], signed_zeros=True)


def test_fixed_order_of_integers_upgrade_to_float() -> None:
    v = pt.vector("n", dtype="int64")
    n = np.array([0, 1, -3, 10, 100], dtype="int64")
    check([v], [pt.i0(v), pt.i1(v), pt.j0(v), pt.j1(v)], [n])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fixed_order_gradients(dtype: str) -> None:
    """d i0 = i1, d j0 = -j1, d i1 = (i0 + ive(2, x) e^|x|)/2 and, in float64,
    d j1 = (j0 - jv(2, x))/2 (PyTensor's pullbacks)."""
    v = pt.vector("x", dtype=dtype)
    functions = (pt.i0, pt.j0, pt.i1, pt.j1) if dtype == "float64" else (pt.i0, pt.j0, pt.i1)
    outs = [pytensor.grad(pt.sum(f(v)), v) for f in functions]
    x = np.array([-12.5, -3.0, -0.5, 0.0, 0.25, 2.0, 7.5, 30.0], dtype=dtype)
    check([v], outs, [x])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["ive", "kve"])
def test_real_order_sweep_within_ulp_bound(name: str, dtype: str) -> None:
    assert_sweep_within_ulp_bound(name, dtype, points=40 if dtype == "float64" else 16)


def test_real_order_matches_pytensor_and_interpreter() -> None:
    """NaN, ±inf and signed zeros as scipy: ive(v, x < 0) only for integer v, ive(-0.5, 0) and
    ive of a negative non-integer order where K overflows are NaN, kve(v, ±0) = inf whatever
    v, both NaN at x = inf and v = ±inf."""
    special = [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, -1.5, np.inf, -np.inf, np.nan, 1e-300, 30.0]
    v, x = (a.ravel() for a in np.meshgrid(special, special))
    rng = np.random.default_rng(4)
    v = np.concatenate([v, rng.uniform(-40.0, 40.0, 64), [-300.5, 300.0, 50.0]])
    x = np.concatenate([x, rng.uniform(-5.0, 60.0, 64), [1.0, 1.0, 1e-3]])
    # float64 (the float32 sweep checks the NaN/inf cases of its grid against PyTensor)
    a, b = pt.vector("v"), pt.vector("x")
    check([a, b], [pt.ive(a, b), pt.kve(a, b)], [v, x])


def test_nan_beyond_scipys_limits_as_pytensor() -> None:
    """scipy's ive and kve (AMOS) give NaN where |x| or |v| is beyond 2**30 - 1/2 (kve(v, 0)
    stays inf), and jv(v, x < 0) is NaN for integer orders beyond int32 (scipy's v == (int)v);
    the random-graph sweep drew such operands (e.g. ive(0, -6.13e16), jv(4.2e15, -1))."""
    limit = 1073741823.5
    above = np.nextafter(limit, np.inf)
    v = np.array([0.0, 1.0, 0.0, above, -above, limit, 3.0, 0.5, 1e9, 2e9, 0.0, 5.0])
    x = np.array([limit, above, -6.13e16, 1.0, 0.5, 1.0, 1e12, 1.5e9, 0.5, 0.0, 0.0, -above])
    a, b = pt.vector("v"), pt.vector("x")
    check([a, b], [pt.ive(a, b), pt.kve(a, b)], [v, x])
    orders = np.array([2147483646.0, 2147483647.0, 2147483648.0, -2147483648.0, -2147483650.0,
                       4216369270350132.0, 1e300, 4216369270350132.0, 3.0])  # fmt: skip
    args = np.array([-1.0, -1.0, -1.0, -3.0, -1.0, -1.0, -1.0, 1.0, -2.5])
    check([a, b], [pt.jv(a, b)], [orders, args])


def test_real_order_broadcasts_and_takes_integers() -> None:
    n = pt.vector("n", dtype="int64")
    x = pt.matrix("x", dtype="float64")
    feeds = [np.array([0, 1, -2]), np.array([[0.5, 3.0, 40.0], [-2.0, 7.0, 100.0]])]
    check([n, x], [pt.ive(n, x), pt.kve(n, x)], feeds)


def test_real_order_gradients() -> None:
    """PyTensor's pullbacks bring ive(v ± 1, x) and kve(v - 1, x) (float64: the float32
    graphs are the same ops)."""
    dtype = "float64"
    v, x = pt.vector("v", dtype=dtype), pt.vector("x", dtype=dtype)
    cost = pt.sum(pt.ive(v, x) + pt.kve(v, x))
    feeds = [
        np.array([0.0, 0.5, 1.0, 2.5, 3.0, 10.0, 0.3], dtype=dtype),
        np.array([0.5, 1.5, 3.0, 8.0, 20.0, 40.0, 100.0], dtype=dtype),
    ]
    check([v, x], [pytensor.grad(cost, x)], feeds)


def test_von_mises_logp_and_gradient() -> None:
    """PyMC's von Mises log-density, kappa (cos(x - mu) - 1) - log(2π) - log(i0e(kappa)), with
    i0e(kappa) = ive(0, kappa), and its gradient in kappa and mu (kappa from 0.01 to 500)."""
    x, kappa = pt.vector("x"), pt.vector("kappa")
    mu = pt.scalar("mu")
    logp = kappa * (pt.cos(mu - x) - 1) - pt.log(2 * np.pi) - pt.log(pt.ive(0, kappa))
    outs = [logp, *pytensor.grad(pt.sum(logp), [mu, kappa])]
    xs = np.random.default_rng(5).uniform(-np.pi, np.pi, 8)
    kappas = np.array([0.01, 0.5, 2.0, 10.0, 24.9, 25.1, 100.0, 500.0])
    check([x, mu, kappa], outs, [xs, np.array(0.3), kappas])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_jv_sweep_within_ulp_bound(dtype: str) -> None:
    assert_sweep_within_ulp_bound("jv", dtype, points=40 if dtype == "float64" else 16)


def test_jv_matches_pytensor_and_interpreter() -> None:
    """NaN for x < 0 with a non-integer order and at x = ±inf, at v = ±inf 0 for 0 <= x <= 2
    (scipy's NaN beyond), ±inf
    at x = 0 for negative non-integer orders, scipy's signed zeros (jv(-1, 0) = -0.0)."""
    special = [0.0, -0.0, 1.0, -1.0, 2.0, -3.0, 2.5, -2.5, -1.5, np.inf, -np.inf, np.nan, 40.0]
    v, x = (a.ravel() for a in np.meshgrid(special, special))
    rng = np.random.default_rng(7)
    v = np.concatenate([v, rng.uniform(-30.0, 40.0, 64), rng.integers(-8, 9, 16)])
    x = np.concatenate([x, rng.uniform(-5.0, 60.0, 64), rng.uniform(-60.0, 60.0, 16)])
    a, b = pt.vector("v"), pt.vector("x")  # float64; float32: the sweep
    fgraph = fgraph_of([a, b], [pt.jv(a, b)])
    feeds = [v, x]
    # scipy is off by up to 1e-11 relatively here (near zeros, and for negative orders): the
    # accuracy is the mpmath sweep's; this checks NaN, inf and the zeros.
    assert_matches_pytensor(fgraph, feeds, rtol=1e-10, atol=1e-13)
    assert_signed_zeros_match(fgraph, feeds)


# jv where it used to be NaN (no method was accurate): x > 75 near and past the turning point
# for orders above 48, orders 70 and more near it, negative non-integer orders below their
# turning point beyond the series (2 sqrt(-v) < x < -v, near integer orders too) and past it
# beyond x = 75. (v, x, J_v(x) by mpmath at 50 digits (mp.besselj, rounded to 20), the scale
# the error counts against: the modulus sqrt(J² + Y²) for x > |v|, for negative non-integer
# orders below it the larger of cos(nu pi) J_nu and sin(nu pi) Y_nu (nu = -v), else |J|.)
_JV_FORMER_GAPS = [
    (60.0, 150.0, -0.027145903685787337656, 0.068),
    (100.0, 95.0, 0.023150768009427965996, 0.0232),
    (45.0, 80.0, -0.088811575674357941093, 0.0981),
    (300.5, 301.0, 0.071324607920576502079, 0.129),
    (1000.3, 1010.0, 0.065899587089275832534, 0.066),
    (100.2, 100.0, 0.092530795510483191043, 0.0925),
    (1952.05, 1938.77, 0.0089422499554061053041, 0.00894),
    (500.7, 3000.0, 0.0071020330207956040651, 0.0147),
    (70.5, 74.0, 0.16168768610801218729, 0.163),
    (-22.001, 16.0, 0.02325432698314758746, 0.0199),
    (-30.5, 20.0, 184.18120121226014973, 184.0),
    (-40.2, 30.0, 22.889258390747730233, 22.9),
    (-10.000001, 8.0, 0.060769826527416988934, 0.0608),
    (-55.5, 40.0, -980.84725341807215493, 981.0),
    (-100.5, 150.0, -0.073875700358445348675, 0.0756),
    (-30.25, 200.0, -0.038012624232752965479, 0.0567),
]


def test_jv_formerly_uncovered_regions_against_mpmath() -> None:
    """Within 64 ulp of the scale above, where jv used to be NaN: the recurrences (forward
    past the turning point, backward from Debye's expansion below it, Y forward for the
    reflection formula of negative orders)."""
    v, x = pt.vector("v"), pt.vector("x")
    result = compile_checked(fgraph_of([v, x], [pt.jv(v, x)]))
    orders, args, true, scale = (np.array(c) for c in zip(*_JV_FORMER_GAPS, strict=True))
    (got,) = result.run(orders, args)
    ulps = np.abs(got - true) / np.spacing(scale)
    assert np.all(ulps <= 64), dict(zip(zip(orders, args, strict=True), ulps, strict=True))


def test_jv_formerly_uncovered_regions_match_pytensor_and_interpreter() -> None:
    """The same points through ONNX Runtime and the interpreter against PyTensor, and a
    constant order there (which leaves out the parts for negative orders; float32: the
    sweep's grid covers these regions)."""
    v, x = pt.vector("v"), pt.vector("x")
    orders, args = (np.array(c) for c in list(zip(*_JV_FORMER_GAPS, strict=True))[:2])
    fgraph = fgraph_of([v, x], [pt.jv(v, x), pt.jv(100.0, x)])
    assert_matches_pytensor(fgraph, [orders, args], rtol=1e-11)


# Negative non-integer orders where scipy's AMOS reports Y_|v| as overflowing and scipy falls
# back to Cephes' jv: +inf from its series whatever the sign (x < 3.6 sqrt(|v|)), NaN beyond
# (also for a finite value), and values near the double range that must not overflow on the
# way. (v, x, scipy.special.jv(v, x) of scipy 1.18.)
_JV_NEGATIVE_OVERFLOW = [
    (-4565.610019265777, 187.0354057964986, np.inf),  # the true value is -inf
    (-3653.9544677746917, 30.470563984102288, np.inf),  # -inf too
    (-500.0000001, 40.0, np.inf),
    (-492.02104982325426, 86.6846243805001, np.nan),  # Cephes' recurrences: NaN
    (-3192.432241173521, 475.4186312526611, np.nan),
    (-1364.2680478303103, 311.84160274160143, np.nan),
    (-1970.8710036297148, 1098.9128840241424, np.nan),  # 4.68e304, but AMOS overflows
    (-458.0556990825508, 71.82328346334747, 3.757813810192224e306),
    (-227.2655737379289, 7.284278123672709, -7.957908582482199e307),
    (-352.15311412926496, 34.50740016497825, 9.816017744349723e306),
    (-300.000001, 120.0, 8.01850559424948e77),
]


def test_jv_negative_orders_where_amos_overflows_as_scipy() -> None:
    v, x = pt.vector("v"), pt.vector("x")
    orders, args, scipy_values = (np.array(c) for c in zip(*_JV_NEGATIVE_OVERFLOW, strict=True))
    result = compile_checked(fgraph_of([v, x], [pt.jv(v, x)]))
    (got,) = result.run(orders, args)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(scipy_values))
    np.testing.assert_array_equal(got[np.isinf(scipy_values)], scipy_values[np.isinf(scipy_values)])
    finite = np.isfinite(scipy_values)
    np.testing.assert_allclose(got[finite], scipy_values[finite], rtol=1e-12)
    assert_matches_pytensor(fgraph_of([v, x], [pt.jv(v, x)]), [orders, args], rtol=1e-12)


def test_tiny_arguments_and_huge_orders_as_scipy() -> None:
    """Below |x| = 1e3 DBL_MIN scipy's AMOS gives ive and jv as 0 for v != 0 (-0.0 for jv of
    negative odd orders; NaN for ive of negative non-integer orders) and kve as +inf; for
    orders beyond 2**51 scipy's Cephes jv takes (x/2)^v / Γ(v + 1) for small x: 0 up to
    x = 2, inf · 0 = NaN beyond; J underflowing at huge orders is 0, not NaN."""
    v = np.array([5e-324, 1.0, -1.0, -3.0, 2.5, 1.0, 0.0, -0.5, 1e300, 1e300, 1e300, 1e5, 1e300])
    x = np.array([1e-310, 1e-310, -1e-310, 1e-310, 2e-305, -5e-324, 1e-310, 1e-310, 0.5, 2.5,
                  1e-300, 5e-324, 1e200])  # fmt: skip
    a, b = pt.vector("v"), pt.vector("x")
    fgraph = fgraph_of([a, b], [pt.jv(a, b), pt.ive(a, b), pt.kve(a, b)])
    assert_matches_pytensor(fgraph, [v, x])
    assert_signed_zeros_match(fgraph, [v, x])


# J_v(x) of orders 1e12 to 1e18 beyond the turning point (Debye's expansion, its phase
# rho + v asin(v/x) in double-double): the leading terms of DLMF 10.19.6 at 80 digits (mpmath;
# the next are below 1e-36 relatively), and the envelope sqrt(2/(π rho)) the error counts
# against. Before, asin's series and the phase's low part were rounded in double:
# J_1e18(1.5e18) came out 7.5e-8, 140 times the envelope.
_JV_HUGE_ORDERS = [
    (1e12, 1.5e12, -7.1116367746843352187e-7, 7.546e-7),
    (1e15, 1.5e15, 1.5864988520622533561e-8, 2.386e-8),
    (1e18, 1.5e18, 5.4493970265945537404e-10, 7.546e-10),
]


def test_jv_huge_orders_beyond_the_turning_point() -> None:
    v, x = pt.vector("v"), pt.vector("x")
    orders, args, true, scale = (np.array(c) for c in zip(*_JV_HUGE_ORDERS, strict=True))
    (got,) = compile_checked(fgraph_of([v, x], [pt.jv(v, x)])).run(orders, args)
    ulps = np.abs(got - true) / np.spacing(scale)
    assert np.all(ulps <= 64), ulps


def test_kve_of_subnormal_orders_as_scipy() -> None:
    """Orders below about 1.77e-309 make AMOS's nu π / sin(nu π) inf: for x <= 2 scipy's kve
    is +inf or NaN by the sign of its series' first term (kve(5e-324, 0.5) NaN,
    kve(1e-310, 0.5) inf, kve(5e-324, 0.25) inf), as here; from x = 2 on, the value."""
    v = np.array([5e-324, 5e-324, 1e-310, 1e-310, 5e-324, -5e-324, 1e-310, 1e-300, 5e-324])
    x = np.array([0.5, 0.25, 0.5, 1.0, 1e-300, 0.5, 2.0, 0.5, 10.0])
    a, b = pt.vector("v"), pt.vector("x")
    check([a, b], [pt.kve(a, b)], [v, x])


def test_kve_of_integer_orders_at_small_x() -> None:
    """ONNX Runtime's float64 Sin of 2 pi is exactly 0, so the subnormal-order rule's test
    1 / sin(nu pi) == inf held for every even order: kve(2, x) was inf for x <= 2 (a clean-clone
    CI sweep found kve(2, 7.549e-12)); the rule now looks at tiny orders only."""
    v = np.array([2.0, 2.0, 2.0, 4.0, 6.0, -2.0, 1.0, 3.0, 2.0])
    x = np.array([7.5492231937208233e-12, 1e-6, 1.0, 0.5, 2.0, 1e-10, 1e-3, 0.1, 1e-150])
    a, b = pt.vector("v"), pt.vector("x")
    check([a, b], [pt.kve(a, b)], [v, x])


def test_jv_transition_region_of_huge_orders() -> None:
    """|x - v| <= 0.7 v^(1/3) beyond v = 1e9, where the recurrences would take too many steps
    (NaN before): the transition expansion, as scipy's Cephes (its values, scipy 1.18)."""
    v = np.array([1e300, 1e16, 1e16, 1e20])
    x = np.array([1e300, 1e16 + 1e5, 1e16 - 1.4e5, 1e20 - 3e6])
    want = [4.473073183964723e-101, 2.8779370398683924e-06, 9.729937156577776e-07,
            4.5405797960630476e-08]  # fmt: skip
    a, b = pt.vector("v"), pt.vector("x")
    (got,) = compile_checked(fgraph_of([a, b], [pt.jv(a, b)])).run(v, x)
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_j_gradients() -> None:
    """d jv = (jv(v - 1) - jv(v + 1))/2 (PyTensor's pullback)."""
    dtype = "float64"
    v, x = pt.vector("v", dtype=dtype), pt.vector("x", dtype=dtype)
    cost = pt.sum(pt.jv(v, x))
    feeds = [
        np.array([0.0, 0.5, 1.0, 2.5, 3.0, 10.0, -0.5], dtype=dtype),
        np.array([0.5, 1.5, 3.0, 8.0, 20.0, 40.0, 100.0], dtype=dtype),
    ]
    check([v, x], [pytensor.grad(cost, x)], feeds)


def test_pymc_scaled_bessel_ops_and_von_mises_logp() -> None:
    """PyMC's own i0e/i1e scalar ops (its VonMises and Rice log-densities) compile as ive of
    order 0 and 1, with scipy's 0 at ±inf; PyMC's VonMises logp and its gradient end to end."""
    import pymc as pm
    from pymc.distributions.dist_math import i0e, i1e

    x = pt.vector("x")
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -3.0, 1e-300, 30.0, 800.0])
    check([x], [i0e(x), i1e(x)], [special], signed_zeros=True)
    mu, kappa = pt.scalar("mu"), pt.vector("kappa")
    logp = pm.logp(pm.VonMises.dist(mu=mu, kappa=kappa), x)
    outs = [logp, *pytensor.grad(pt.sum(logp), [mu, kappa])]
    xs = np.random.default_rng(8).uniform(-np.pi, np.pi, 6)
    check([x, mu, kappa], outs, [xs, np.array(0.3), np.array([0.01, 0.5, 2.0, 24.0, 26.0, 500.0])])
