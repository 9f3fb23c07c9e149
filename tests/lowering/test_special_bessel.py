"""Bessel functions (i0, i1, j0, j1, ive, kve, jv): sweeps through ONNX Runtime against mpmath
within the accuracy contract, PyTensor and the IR interpreter (NaN and ±inf, signed zeros,
integer inputs), gradients, and a von Mises log-density."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from benchmarks.accuracy import all_functions
from tests.lowering.test_special_functions import assert_sweep_within_ulp_bound
from tests.lowering.util import check

FIXED = ("i0", "i1", "j0", "j1")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", FIXED)
def test_fixed_order_sweep_within_ulp_bound(name: str, dtype: str) -> None:
    assert_sweep_within_ulp_bound(name, dtype, points=200)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", FIXED)
def test_fixed_order_matches_pytensor_and_interpreter(name: str, dtype: str) -> None:
    x = np.concatenate(
        [
            np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300, 5.0, -8.0, 8.0]),
            np.array([2.404825557695773, 3.8317059702075125, 700.0, 712.0, -712.0, 1e20]),
            np.random.default_rng(2).uniform(-40.0, 40.0, 64),
        ]
    ).astype(dtype)
    v = pt.vector("x", dtype=dtype)
    check([v], [all_functions()[name].build(v)], [x], signed_zeros=True)


def test_fixed_order_of_integers_upgrade_to_float() -> None:
    v = pt.vector("n", dtype="int64")
    n = np.array([0, 1, -3, 10, 100], dtype="int64")
    check([v], [pt.i0(v), pt.i1(v), pt.j0(v), pt.j1(v)], [n])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fixed_order_gradients(dtype: str) -> None:
    """d i0 = i1, d j0 = -j1 (PyTensor's pullbacks)."""
    v = pt.vector("x", dtype=dtype)
    outs = [pytensor.grad(pt.sum(f(v)), v) for f in (pt.i0, pt.j0)]
    x = np.array([-12.5, -3.0, -0.5, 0.0, 0.25, 2.0, 7.5, 30.0], dtype=dtype)
    check([v], outs, [x])
