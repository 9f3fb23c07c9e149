"""erfinv, erfcinv, ndtri_exp, polygamma and owens_t: sweeps through ONNX Runtime against
mpmath within the accuracy contract, PyTensor and the IR interpreter (NaN and ±inf, signed
zeros, integer inputs), gradients, and polygamma's order (constant, arrays of orders, refused
when symbolic)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import special

from benchmarks.accuracy import all_functions
from compiler import UnsupportedOpError
from tests.helpers import compile_checked, fgraph_of, ort_outputs
from tests.lowering.test_special_functions import assert_sweep_within_ulp_bound
from tests.lowering.util import check

INVERSE = ("erfinv", "erfcinv", "ndtri_exp")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", [*INVERSE, "polygamma3"])
def test_sweep_within_ulp_bound(name: str, dtype: str) -> None:
    assert_sweep_within_ulp_bound(name, dtype, points=40)


def _edge_values(dtype: str) -> np.ndarray:
    x = np.array(
        [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0, 0.5, -0.5, 0.85, 1.5, -1.5]
        + [1e-300, 5e-324, 1e-10, 1.9999999, 0.9999999999, -0.9999999999, -1e-300, -700.0]
        + [-1e300, 3.0, -3.0, -0.6931471805599453]
    )
    rng = np.random.default_rng(3)
    with np.errstate(over="ignore"):  # 1e300 is inf in float32
        return np.concatenate([x, rng.uniform(-1.0, 2.0, 40), rng.uniform(-40.0, 0.0, 20)]).astype(
            dtype
        )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_inverse_functions_match_pytensor_and_interpreter(dtype: str) -> None:
    v = pt.vector("x", dtype=dtype)
    check([v], [pt.erfinv(v), pt.erfcinv(v), pt.ndtri_exp(v)], [_edge_values(dtype)],
          signed_zeros=True)  # fmt: skip


def test_erfcinv_of_the_smallest_subnormal_is_inf_as_pytensor() -> None:
    """scipy halves y first (5e-324 / 2 = 0): PyTensor gives +inf, the model too."""
    v = pt.vector("y", dtype="float64")
    (got,) = compile_checked(fgraph_of([v], [pt.erfcinv(v)])).run(np.array([5e-324, 1e-323]))
    assert got[0] == np.inf
    assert got[1] == pytest.approx(27.200563366536258, rel=1e-15)


def test_ndtri_exp_far_tail_and_huge_arguments() -> None:
    """Where exp(x) underflows (x < -745) and beyond, down to -1.7e308: ndtri_exp is
    -sqrt(-2x) asymptotically; the true values are mpmath's (benchmarks/accuracy_inverse)."""
    v = pt.vector("x", dtype="float64")
    x = np.array([-800.0, -1e5, -1e300, -1.7e308])
    (got,) = compile_checked(fgraph_of([v], [pt.ndtri_exp(v)])).run(x)
    exact = all_functions()["ndtri_exp"].exact
    for value, point in zip(got, x, strict=True):
        assert value == pytest.approx(float(exact(point)), rel=4e-16)


def test_inverse_functions_of_integers_upgrade_to_float() -> None:
    v = pt.vector("n", dtype="int64")
    check([v], [pt.erfinv(v), pt.erfcinv(v), pt.ndtri_exp(v)], [np.array([0, 1, 2, -1, 3])])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_inverse_gradients(dtype: str) -> None:
    v = pt.vector("x", dtype=dtype)
    cost = (pt.erfinv(v) + pt.erfcinv(v + 0.5) + pt.ndtri_exp(-v - 1.0)).sum()
    x = np.array([0.1, -0.4, 0.3, 0.9, -0.99], dtype=dtype)
    check([v], [pytensor.grad(cost, v)], [x])


# -- polygamma ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "dtype"),
    [(-1, "float64"), (0, "float64"), (1, "float64"), (2, "float32"), (5, "float64")],
)
def test_polygamma_matches_pytensor_and_interpreter(n: int, dtype: str) -> None:
    """Poles ((-1)ⁿ⁺¹ inf at 0, -0, the negative integers and -inf), (-1)ⁿ⁺¹ 0 at +inf,
    both branches of the reflection, NaN for n < 0."""
    with np.errstate(over="ignore"):  # 1e300 is inf in float32
        x = np.concatenate(
            [
                np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, -3.0, 1e-300, -1e-300, 1e300]),
                np.array([0.5, -0.5, -2.5, 9.999, 10.0, 33.0, 1e10, -1e4 - 0.25, 2.0**60]),
                np.random.default_rng(4).uniform(-25.0, 40.0, 40),
            ]
        ).astype(dtype)
    v = pt.vector("x", dtype=dtype)
    check([v], [pt.polygamma(n, v)], [x], signed_zeros=True)


def test_polygamma_order_array_and_integer_argument() -> None:
    """An array of constant orders (one op per distinct order), broadcast against x; an
    integer x upgrades to float64."""
    v = pt.vector("x", dtype="int64")
    orders = pt.as_tensor(np.array([[1], [2], [1]], dtype="int8"))
    check([v], [pt.polygamma(orders, v)], [np.array([1, 2, 7, -3, 0])])


def test_polygamma_gradient_is_the_next_order() -> None:
    v = pt.vector("x", dtype="float64")
    cost = (pt.polygamma(2, v) * v).sum()
    check([v], [pytensor.grad(cost, v)], [np.array([0.3, 2.5, -1.5, 12.0])])


def test_polygamma_of_a_symbolic_order_is_refused() -> None:
    n = pt.scalar("n", dtype="int64")
    v = pt.vector("x", dtype="float64")
    with pytest.raises(UnsupportedOpError, match="order n is not a constant"):
        compile_checked(fgraph_of([n, v], [pt.polygamma(n, v)]))


def test_polygamma_of_a_high_order_is_refused() -> None:
    v = pt.vector("x", dtype="float64")
    with pytest.raises(UnsupportedOpError, match="order 17"):
        compile_checked(fgraph_of([v], [pt.polygamma(17, v)]))


# -- owens_t --------------------------------------------------------------------------------------


def _ulps(got: float, exact: mp.mpf) -> float:
    return float(abs(mp.mpf(got) - exact) / mp.mpf(np.spacing(abs(float(exact)))))


#: (h, a, T(h, a)): the true values by Owen's series (T1 summed to convergence) at 120 + h²/4
#: digits in mpmath, for |a| > 1 through Owen's identity; the benchmark's quadrature
#: (benchmarks/accuracy_inverse._mp_owens_t at 50 digits) agrees within 3e-49. The first four
#: are where Patefield and Tandy's methods (T5, T6 near a = 1, h = 3.4) were 259 to 1362 ulps
#: off; then large h, where T is tiny (scipy is 30842 ulps off at (-5.67, -3.05e-6)); a
#: subnormal T at h = 38.2.
_OWENS_T_TRUE = (
    (3.407868725747106, 0.9975497493094709, "1.636255873126663490345438e-4"),
    (3.400385810269792, 1.0000000004498433, "1.681704865688177536846912e-4"),
    (-3.4024694575901555, 0.9999966067782281, "1.668938004044463497593511e-4"),
    (3.4315572260640783, -1.0000000000284484, "-1.49986605786506717670567e-4"),
    (14.104843598873513, 0.2848035868435801, "8.863881118901034284379661e-46"),
    (-18.303797565571944, 0.1629750834620644, "1.924074254908650919950251e-75"),
    (30.823862749451784, 1.7475284000076842e-06, "1.350104816298932586700411e-213"),
    (-5.6658232594128695, -3.0538555088334153e-06, "-5.198821512084439839137392e-14"),
    (25.12527551856807, 1.0000000191506082, "6.583984910711944373021481e-140"),
    (12.0, 3.5, "8.882410560388394988480855e-34"),
    (38.2, 0.7, "7.040114333451764333521722e-320"),
    (0.3, 0.6, "8.181972773288666955665343e-2"),
)


def test_owens_t_relative_accuracy_near_a_1_and_at_large_h() -> None:
    """float64 within 64 ulp of the true value at both ONNX Runtime optimization levels
    (the interpreter is scipy's owens_t, compared with PyTensor below)."""
    h = np.array([p[0] for p in _OWENS_T_TRUE])
    a = np.array([p[1] for p in _OWENS_T_TRUE])
    v, w = pt.vector("h", dtype="float64"), pt.vector("a", dtype="float64")
    result = compile_checked(fgraph_of([v, w], [pt.owens_t(v, w)]))
    for level, (got,) in ort_outputs(result, [h, a]).items():
        for (hk, ak, text), value in zip(_OWENS_T_TRUE, got, strict=True):
            ours = _ulps(float(value), mp.mpf(text))
            assert ours <= 64.0, f"{level}: owens_t({hk}, {ak}) = {value!r}: {ours:.1f} ulp"


def test_owens_t_within_bound() -> None:
    """Points over the plane (a near 1 and 1, |a| > 1 with a h small and large, tiny and large
    h): float64 within 64 ulp of mpmath, float32 within 4 ulp (the points are float32
    numbers, so one true value serves both)."""
    h32 = np.array([0.01, 0.5, 1.0, 2.0, 3.0, 3.5, 4.0, 6.0, 0.3, 2.0, 1.2, 5.0, 0.1, 14.1, 30.8],
                   dtype="float32")  # fmt: skip
    a32 = np.array([0.5, 0.02, 0.3, 0.95, 0.6, 0.9999999, 1.0, 0.2, 4.0, 3.0, 1.0, 0.5, 2.5,
                    4e-6, 1.7e-6], dtype="float32")  # fmt: skip
    h, a = h32.astype("float64"), a32.astype("float64")
    v, w = pt.vector("h", dtype="float64"), pt.vector("a", dtype="float64")
    v32, w32 = pt.vector("h32", dtype="float32"), pt.vector("a32", dtype="float32")
    graph = fgraph_of([v, w, v32, w32], [pt.owens_t(v, w), pt.owens_t(v32, w32)])
    result = compile_checked(graph)
    got, got32 = result.run(h, a, h32, a32)
    exact = all_functions()["owens_t"].exact
    for hk, ak, value, value32 in zip(h, a, got, got32, strict=True):
        with mp.workdps(30):  # plenty for float64, and quadrature is slow at 50 digits
            truth = exact(mp.mpf(hk), mp.mpf(ak))
        ours = _ulps(value, truth)
        assert ours <= 64.0, f"owens_t({hk}, {ak}): {ours:.1f} ulp"
        ulp32 = float(np.spacing(np.float32(abs(float(truth)))))
        assert abs(float(value32) - float(truth)) <= 4 * ulp32, f"owens_t({hk}, {ak}) float32"
    # Signed zeros as scipy (PyTensor's perform): the sign of a, +0.0 for a = -0.0; 0 where
    # a h overflows (it was -atan(1/a)/2π).
    zh = np.array([np.inf, -np.inf, 40.0, 1.0, 1.0, np.inf, 0.0, 1e200, 1e155])
    za = np.array([-1.0, -np.inf, -0.5, -0.0, 0.0, 2.0, -0.0, 1e200, -1e155])
    with np.errstate(over="ignore"):  # 1e200 is inf in float32
        zh32, za32 = zh.astype("float32"), za.astype("float32")
    zeros, zeros32 = result.run(zh, za, zh32, za32)
    want = special.owens_t(zh, za)
    assert np.array_equal(zeros, want) and np.array_equal(np.signbit(zeros), np.signbit(want))
    assert np.array_equal(np.signbit(zeros32), np.signbit(want))


def test_owens_t_matches_pytensor_and_interpreter() -> None:
    """Signs (even in h, odd in a), zeros, infinities, NaN, a = ±1 and the |a| > 1 identity;
    integer arguments (float32 is in the accuracy test above)."""
    special_values = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 0.5, 3.0, 1e-300])
    hs, as_ = np.meshgrid(special_values, special_values)
    rng = np.random.default_rng(6)
    h = np.concatenate([hs.ravel(), rng.uniform(-7.0, 7.0, 40)])
    a = np.concatenate([as_.ravel(), rng.uniform(-3.0, 3.0, 40)])
    v, w = pt.vector("h", dtype="float64"), pt.vector("a", dtype="float64")
    n = pt.vector("n", dtype="int32")
    check(
        [v, w, n],
        [pt.owens_t(v, w), pt.owens_t(n, n)],
        [h, a, np.array([0, 1, -2, 3], dtype="int32")],
    )  # (signed zeros: in the accuracy test above, on its compiled graph)


def test_owens_t_gradient() -> None:
    v, w = pt.vector("h", dtype="float64"), pt.vector("a", dtype="float64")
    cost = pt.owens_t(v, w).sum()
    check(
        [v, w],
        pytensor.grad(cost, [v, w]),
        [np.array([0.3, -1.5, 4.0]), np.array([0.5, 2.0, -0.7])],
    )


# -- the xlogx / xlogy0 / xlogy family ------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_xlogy_family_is_exact_at_zero(dtype: str) -> None:
    """PyTensor's values at x = 0 (0 whatever y is, NaN and inf included: PyTensor's switch,
    where scipy's xlogy(0, nan) is NaN) and elsewhere, for xlogy, xlog1py and the deprecated
    xlogx / xlogy0 (which are xlogy)."""
    from pytensor.tensor import xlogx as deprecated
    from pytensor.tensor.special import xlog1py, xlogy

    values = np.array([0.0, -0.0, 1.0, 2.5, -1.0, np.inf, -np.inf, np.nan, 1e-300])
    xs, ys = (g.ravel().astype(dtype) for g in np.meshgrid(values, values))
    x, y = pt.vector("x", dtype=dtype), pt.vector("y", dtype=dtype)
    outputs = [xlogy(x, y), xlog1py(x, y), deprecated.xlogx(x), deprecated.xlogy0(x, y)]
    check([x, y], outputs, [xs, ys], signed_zeros=True)
