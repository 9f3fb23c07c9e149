"""Special functions (gammaln, psi, gamma, trigamma, erf, erfc, erfcx, log1mexp, sigmoid):
sweeps of each function's domain through ONNX Runtime against mpmath (within the accuracy
contract) and against PyTensor and the IR interpreter (NaN and ±inf exactly where PyTensor
has them)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytensor.tensor as pt
import pytest

from benchmarks.accuracy import FUNCTIONS, all_functions, compile_function, measure
from tests.lowering.util import check

#: Points per grid segment: the dense sweep is ``python -m benchmarks.accuracy``.
POINTS = 300
SWEPT = ("erf", "erfc", "erfcx", "log1mexp", "gammaln", "psi", "gamma", "trigamma", "sigmoid")


def assert_sweep_within_ulp_bound(name: str, dtype: str, points: int = POINTS) -> None:
    """ORT on ``name``'s grid (``points`` per segment) within its ulp bound of the true value,
    in the input's dtype, with NaN/inf exactly where PyTensor gives them. ``name`` may be a
    function of any ``benchmarks/accuracy_<family>.py``."""
    m = measure(all_functions()[name], dtype, points)
    assert m.result_dtype == dtype
    assert m.within_bound, f"{name}({m.worst_text}) is {m.max_ulp:.1f} ulp off ({m.bound:g})"
    assert m.special_mismatches == 0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", SWEPT)
def test_special_sweep_within_ulp_bound(name: str, dtype: str) -> None:
    assert_sweep_within_ulp_bound(name, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", SWEPT)
def test_special_matches_pytensor_and_interpreter(name: str, dtype: str) -> None:
    fn = FUNCTIONS[name]
    # Away from the zeros that scipy itself gets hundreds of ulps wrong (gammaln at 1 and 2,
    # psi at its root): the tolerance check is relative.
    x = np.concatenate(
        [
            np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 0.25, -0.75, 3.5, -2.5, 1e-300, -1e-300]),
            np.random.default_rng(1).uniform(-30.0, 30.0, 64),
        ]
    ).astype(dtype)
    v = pt.vector("x", dtype=dtype)
    check([v], [fn.build(v)], [x], signed_zeros=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_erf_keeps_signed_zero_and_saturates(dtype: str) -> None:
    v = pt.vector("x", dtype=dtype)
    x = np.array([-0.0, 0.0, 6.0, -6.0, 1e300 if dtype == "float64" else 1e30], dtype=dtype)
    check([v], [pt.erf(v), pt.erfc(v)], [x], signed_zeros=True)


def test_special_functions_of_integers_upgrade_to_float() -> None:
    v = pt.vector("n", dtype="int64")
    n = np.array([1, 2, 3, 10, 100, 0, -3], dtype="int64")
    check([v], [pt.gammaln(v), pt.psi(v)], [n])


def test_sigmoid_tails_keep_relative_accuracy() -> None:
    """The cases of the issue: ORT's kernels flush these to 0 (or give 1.19e-7)."""
    x64 = pt.vector("x", dtype="float64")
    x32 = pt.vector("y", dtype="float32")
    result = compile_function(FUNCTIONS["sigmoid"], "float64")
    (got,) = result.run(np.array([-305.0, -745.0]))
    assert got[0] == float(1 / (1 + mp.exp(305)))  # 3.47e-133
    assert got[1] == 5e-324
    (got32,) = compile_function(FUNCTIONS["sigmoid"], "float32").run(
        np.array([-17.6], dtype="float32")
    )
    exact = 1 / (1 + mp.exp(-mp.mpf(float(np.float32(-17.6)))))
    assert got32[0] == np.float32(float(exact))
    check(
        [x64, x32],
        [pt.sigmoid(x64), pt.sigmoid(x32)],
        [np.array([-305.0, -40.0, 40.0]), np.array([-17.6, -90.0, 20.0], dtype="float32")],
    )
