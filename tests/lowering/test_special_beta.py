"""The incomplete beta family (betainc, betaincinv) and hyp2f1: sweeps through ONNX Runtime
against mpmath within the accuracy contract, and ONNX Runtime (both optimization levels) and the
IR interpreter against PyTensor on edge values and broadcast operands."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import special as scipy_special

from ir.interpreter import run_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of, ort_outputs
from tests.lowering.test_special_functions import assert_sweep_within_ulp_bound
from tests.lowering.util import check

#: Points per grid segment (3-argument grids; mpmath is slow here).
POINTS = 60


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["betainc", "betaincinv", "hyp2f1"])
def test_beta_sweep_within_ulp_bound(name: str, dtype: str) -> None:
    assert_sweep_within_ulp_bound(name, dtype, POINTS)


def _edges() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ab = np.array([0.0, 1e-300, 1e-3, 0.5, 1.0, 3.5, 40.0, 1e4, np.inf, -1.0, np.nan])
    x = np.array([0.0, 1e-300, 1e-8, 0.3, 0.5, 0.97, 1.0, -0.5, 1.5, np.nan])
    grid = np.array(np.meshgrid(ab, ab, x, indexing="ij")).reshape(3, -1)
    return grid[0], grid[1], grid[2]


def test_betainc_edges_match_pytensor_and_interpreter() -> None:
    a, b, x = (pt.vector(n, dtype="float64") for n in "abx")
    check([a, b, x], [pt.betainc(a, b, x)], _edges())


def test_betaincinv_edges_match_pytensor_and_interpreter() -> None:
    """Parameters where scipy is consistent: for results below the normal range it gives
    DBL_MIN for some parameters and 0 or NaN for others (README)."""
    ab = np.array([0.0, 0.5, 3.5, 40.0, np.inf, -1.0, np.nan])
    y = np.array([0.0, 1e-8, 0.3, 0.5, 0.97, 1.0, -0.5, 1.5, np.nan])
    grid = np.array(np.meshgrid(ab, ab, y, indexing="ij")).reshape(3, -1)
    a, b, x = (pt.vector(n, dtype="float64") for n in "aby")
    # scipy's own inverse is a few ulps off where the root is ill-conditioned (small a)
    assert_matches_pytensor(fgraph_of([a, b, x], [pt.betaincinv(a, b, x)]), list(grid), rtol=1e-13)


def test_beta_family_broadcasts_and_upgrades_integers() -> None:
    """A scalar parameter against a vector, float32 against PyTensor's own dtype rules, and
    integer parameters (upgraded to float64)."""
    a = pt.scalar("a", dtype="float32")
    n = pt.vector("n", dtype="int64")
    x = pt.matrix("x", dtype="float32")
    outputs = [pt.betainc(a, 2.5, x), pt.betainc(n, n, 0.25), pt.betaincinv(a, n[0], x)]
    feeds = [
        np.float32(2.5),
        np.array([1, 2, 7, 30], dtype="int64"),
        np.array([[0.1, 0.5, 0.9], [1e-5, 0.7, 0.999]], dtype="float32"),
    ]
    check([a, n, x], outputs, feeds)


def test_hyp2f1_edges_match_pytensor_and_interpreter() -> None:
    """Poles in c, polynomials (also beyond |z| = 1), z = 0, 1, > 1, NaN."""
    a, b, c, z = (pt.vector(n, dtype="float64") for n in "abcz")
    rows = np.array(
        [
            [1.0, 1.0, 3.0, 1.0],
            [1.0, 1.0, 2.0, 1.0],
            [1.0, 1.0, 2.0, 1.5],
            [1.0, 2.0, -1.0, 0.5],
            [-2.0, 1.0, -3.0, 0.5],
            [-2.0, 1.0, -1.0, 0.5],
            [-3.0, 2.0, 3.0, -5.0],
            [-3.0, 2.0, 3.0, 5.0],
            [1.0, 2.0, 3.0, -0.7],
            [0.5, 1.5, 2.5, 0.3],
            [1.0, 2.0, 3.0, 0.0],
            [1.0, 1.0, 0.0, 0.0],
            [0.0, 1.0, 1.0, 2.0],
            [np.nan, 1.0, 1.0, 0.5],
            [1.0, 1.0, 1.0, np.nan],
        ]
    ).T
    check([a, b, c, z], [pt.hyp2f1(a, b, c, z)], list(rows))


def test_beta_cdf_and_its_gradients() -> None:
    """A Beta log-CDF as PyMC writes it, log(betainc(a, b, x)), with its gradients in a, b
    (PyTensor's ScalarLoop continued fraction) and x; betaincinv's gradient in y."""
    a, b, x = (pt.vector(n, dtype="float64") for n in "abx")
    logcdf = pt.log(pt.betainc(a, b, x)).sum()
    grads = pytensor.grad(logcdf, [a, b, x])
    quantile_grad = pytensor.grad(pt.betaincinv(a, b, x).sum(), x)
    feeds = [
        np.array([0.5, 2.0, 10.0, 3.0]),
        np.array([1.5, 3.0, 20.0, 0.7]),
        np.array([0.2, 0.5, 0.4, 0.9]),
    ]
    assert_matches_pytensor(fgraph_of([a, b, x], [logcdf, *grads, quantile_grad]), feeds, rtol=1e-9)


def test_hyp2f1_gradients() -> None:
    """PyTensor's gradient of 2F1: a Grad2F1Loop (ScalarLoop) in a, b, c and 2F1 itself in z."""
    a, b, c, z = (pt.vector(n, dtype="float64") for n in "abcz")
    grads = pytensor.grad(pt.hyp2f1(a, b, c, z).sum(), [a, b, c, z])
    feeds = [
        np.array([0.5, 1.5, 2.0]),
        np.array([1.0, 2.5, 0.3]),
        np.array([2.0, 3.5, 1.7]),
        np.array([0.3, -0.4, 0.45]),
    ]
    assert_matches_pytensor(fgraph_of([a, b, c, z], grads), feeds, rtol=1e-9)


#: (a, b, x, I_x(a, b)): the true values by mpmath at 50 digits (the positive series
#: x**a (1 - x)**b / (a B(a, b)) 2F1(a + b, 1; a + 1; x) in the tails, mpmath's betainc
#: elsewhere), rounded to float64; the comments give the errors before this module took the
#: power terms as k-th roots, the continued fraction in its BFRAC form and BGRAT.
_HARD_POINTS = [
    # deep tails of large a and b (exponential of a rounded logarithm: 1300 to 2100 ulp)
    (2630.324586064414, 584.8007048794178, 0.5134966254889631, 5.953870831730878e-285),
    (755.5379525481225, 58.5428099862919, 0.3157273640144067, 1.7731939556564382e-299),
    (1650.7661909134322, 695.7474880888924, 0.32994690834995843, 3.556763371924527e-299),
    (918.1166813527917, 235.56636555453065, 0.3414586689431489, 2.708783363451675e-220),
    (1517.9919572942347, 72.16917187369094, 0.584845927063254, 1.3092427854798849e-256),
    # near the mean (the plain continued fraction: 144 to 184 ulp)
    (1668.9298934755643, 23.216412807451672, 0.9855783373512668, 0.377693113728551),
    (755.1627231945317, 60.433582771620436, 0.9239093081690706, 0.3999802567612438),
    (1429.8875174171583, 219.87032998443297, 0.8642167362607531, 0.3760350532308671),
    # b < 1, x near 1, left of the mean (the plain continued fraction: 19148 and 13968 ulp)
    (16060.001612101092, 0.00493513765496476, 0.9999020608582967, 0.0004461770139858898),
    (27499.61937112296, 0.16511742032248086, 0.9999535691461864, 0.02775890866387468),
    # b < 1, x > 0.995, a (1 - x) > 1/2 right of the mean (NaN before)
    (7229.2957472674625, 0.14997956685314806, 0.9998438572831451, 0.030965726404119213),
    (454.60849658706167, 0.008878999833754092, 0.9988403284885938, 0.004714622577472802),
    (762.3304970724226, 0.001416939283650713, 0.999096406287214, 0.000541701650323172),
    (133.0749047114321, 0.03040224802519424, 0.9961665549769434, 0.01694532259463397),
    (870.7813081947511, 0.0013457912326862661, 0.9991488848767668, 0.0004662176087200901),
    (8423.892139458798, 0.26270912642042943, 0.9998929064364978, 0.08343012292448426),
    (8772.763910818183, 0.6698634474929606, 0.9998389808440596, 0.13892071621432123),
]
_FORMERLY_NAN = slice(10, None)


def test_betainc_hard_points_within_64_ulp() -> None:
    """ONNX Runtime (both optimization levels) within 64 ulp of the true value at points
    where the lowering was thousands of ulps off or NaN; the interpreter (scipy's betainc,
    its reference, itself up to about 1000 ulps off in these tails) to 1e-12."""
    a, b, x, true = (np.array(c) for c in zip(*_HARD_POINTS, strict=True))
    va, vb, vx = (pt.vector(n, dtype="float64") for n in "abx")
    result = compile_checked(fgraph_of([va, vb, vx], [pt.betainc(va, vb, vx)]))
    for level, (got,) in ort_outputs(result, [a, b, x]).items():
        ulps = np.abs(got - true) / np.spacing(true)
        assert np.all(ulps <= 64), f"{level}: {ulps.max():.1f} ulp at {np.argmax(ulps)}"
    (interpreted,) = run_module(result.module, [a, b, x])
    np.testing.assert_allclose(interpreted, true, rtol=1e-12)


def test_betaincinv_formerly_nan_region_matches_pytensor() -> None:
    """betaincinv where its Newton steps evaluate betainc for b < 1, x > 0.995,
    a (1 - x) > 1/2 (NaN before): the root of I_x(a, b) = y back, as PyTensor's."""
    a, b, x, y = (np.array(c) for c in zip(*_HARD_POINTS[_FORMERLY_NAN], strict=True))
    va, vb, vy = (pt.vector(n, dtype="float64") for n in "aby")
    # scipy's inverse is good to about 1e-15 here; the root's condition is modest
    report = assert_matches_pytensor(
        fgraph_of([va, vb, vy], [pt.betaincinv(va, vb, vy)]), [a, b, y], rtol=1e-13
    )
    assert report.ok
    np.testing.assert_allclose(scipy_special.betaincinv(a, b, y), x, rtol=1e-13)


# Extreme parameters where betainc was NaN (its front factor's pieces overflow, or the loops
# stop): (a, b, x, scipy's value). The front factor's bound settles 0 (left of the mean) or 1
# (right of it); a parameter below 1e-300 gives the limits 1 (a) and 0 (b).
_EXTREME_PARAMETERS = [
    (1e300, 2.5, 0.5, 0.0),
    (1e300, 0.5, 1e-300, 0.0),
    (2.5, 1e300, 0.5, 1.0),
    (1e300, 1e300, 1e-300, 0.0),
    (5e-324, 2.5, 0.5, 1.0),
    (5e-324, 1e300, 1e-300, 1.0),
    (1e-310, 1e5, 0.5, 1.0),
    (2.5, 5e-324, 0.5, 0.0),
    (1e5, 1e-310, 1e-300, 0.0),
    (0.5, 1e300, 0.5, 1.0),
    (1.0, 1e300, 1e-300, 0.6321205588285577),  # 1 - (1 - x)^b
]


def test_betainc_extreme_parameters_as_scipy() -> None:
    a, b, x, want = (np.array(c) for c in zip(*_EXTREME_PARAMETERS, strict=True))
    av, bv, xv = pt.dvector("a"), pt.dvector("b"), pt.dvector("x")
    fgraph = fgraph_of([av, bv, xv], [pt.betainc(av, bv, xv)])
    (got,) = compile_checked(fgraph).run(a, b, x)
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0.0)
    assert_matches_pytensor(fgraph, [a, b, x])
    # both parameters tiny: b / (a + b), the true limit (scipy gives 0 there)
    (got,) = compile_checked(fgraph).run(np.array([1e-310]), np.array([3e-310]), np.array([0.5]))
    np.testing.assert_allclose(got, [0.75], rtol=1e-12)


def test_betaincinv_with_a_parameter_of_one_as_scipy() -> None:
    """I_x(1, b) = 1 - (1 - x)^b and I_x(a, 1) = x^a where the iteration gave NaN: infinite
    b with a = 1 gives 0 and infinite a with b = 1 gives 1 (scipy's values), a huge b
    log(1/(1 - y))/b."""
    a = np.array([1.0, np.inf, 1.0, 1e300, 2.5])
    b = np.array([np.inf, 1.0, 1e300, 1.0, np.inf])
    y = np.array([0.5, 0.3, 0.5, 0.9, 0.5])
    av, bv, yv = pt.dvector("a"), pt.dvector("b"), pt.dvector("y")
    fgraph = fgraph_of([av, bv, yv], [pt.betaincinv(av, bv, yv)])
    (got,) = compile_checked(fgraph).run(a, b, y)
    np.testing.assert_allclose(got, [0.0, 1.0, 6.931471805599452e-301, 1.0, np.nan], rtol=1e-15)


#: (a, b, y, scipy.special.betaincinv(a, b, y)) at extreme parameters where the lowering gave
#: NaN (first block), a wrong number (second: 1 - x below 2**-54 missed, as the difference of
#: two lgammas near 1e100 cancelled) or a value where scipy gives NaN (third).
_INVERSE_EXTREMES = [
    # one parameter far above the other (log B as lgamma(s) - s log l): the root settles at 1
    # (1 - x below 2**-54) or below DBL_MIN (scipy's DBL_MIN)
    (1e300, 0.5, 0.5, 1.0),
    (1e300, 1e-16, 1e-300, 1.0),
    (1e300, 1e-300, 0.5, 1.0),
    (0.5, 1e300, 1e-16, 2.225073858507201e-308),
    (1e-16, 1e300, 1e-300, 2.225073858507201e-308),
    # a = b from 1e36: 1/2; both subnormal: about 1/2
    (1e300, 1e300, 0.3, 0.5),
    (1e100, 1e100, 5e-324, 0.5),
    (5e-324, 5e-324, 0.3, 0.4999999999999999),
    # b subnormal: 1
    (2.0, 5e-324, 5e-324, 1.0),
    (1e5, 1e-310, 0.5, 1.0),
    # a subnormal, b > 1, y = 1 - 2**-53: below DBL_MIN
    (5e-324, 30.0, 0.9999999999999999, 2.225073858507201e-308),
    (5e-324, 1e5, 0.9999999999999999, 2.225073858507201e-308),
    # were 0.8749198801495783 and 0.9999999999999964
    (1e100, 30.0, 1e-300, 1.0),
    (1e100, 2.0, 0.5, 1.0),
    (30.0, 1e100, 1e-300, 1.2044497038599614e-109),
    # both parameters above 1, one from about 4e154: NaN as scipy's; infinite parameters NaN
    (1e300, 2.0, 0.5, np.nan),
    (2.0, 1e300, 0.5, np.nan),
    (5e154, 2.0, 0.3, np.nan),
    (np.inf, 5e-324, 0.5, np.nan),
]


def test_betaincinv_extreme_parameters_as_scipy() -> None:
    """NaN exactly where scipy (PyTensor's perform) gives it at extreme parameters, and
    scipy's values elsewhere, through ONNX Runtime (both levels) and the interpreter."""
    a, b, y, want = (np.array(c) for c in zip(*_INVERSE_EXTREMES, strict=True))
    av, bv, yv = pt.dvector("a"), pt.dvector("b"), pt.dvector("y")
    fgraph = fgraph_of([av, bv, yv], [pt.betaincinv(av, bv, yv)])
    result = compile_checked(fgraph)
    for level, (got,) in ort_outputs(result, [a, b, y]).items():
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=0.0, err_msg=level)
    (interpreted,) = run_module(result.module, [a, b, y])
    np.testing.assert_allclose(interpreted, want, rtol=1e-15, atol=0.0)
