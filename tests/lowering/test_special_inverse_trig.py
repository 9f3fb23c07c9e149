"""float64 inverse trigonometric and hyperbolic functions (ONNX Runtime has no float64 kernels)
and arctan2: sweeps against mpmath within the accuracy contract, and PyTensor's NaN, ±inf
and signed zeros exactly."""

from __future__ import annotations

import itertools

import mpmath as mp
import numpy as np
import pytensor.tensor as pt
import pytest

from compiler import Compiler
from tests.helpers import fgraph_of
from tests.lowering.test_special_functions import assert_sweep_within_ulp_bound
from tests.lowering.util import check

SWEPT = ("arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "arctan2", "softplus")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", SWEPT)
def test_inverse_trig_sweep_within_ulp_bound(name: str, dtype: str) -> None:
    assert_sweep_within_ulp_bound(name, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_inverse_trig_matches_pytensor_with_signed_zeros(dtype: str) -> None:
    x = np.array([0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 0.999, -0.999, 1.5, 3.0, np.inf, -np.inf,
                  np.nan, 1e-30], dtype=dtype)  # fmt: skip
    v = pt.vector("x", dtype=dtype)
    outs = [pt.arcsin(v), pt.arccos(v), pt.arctan(v), pt.arcsinh(v), pt.arccosh(v),
            pt.arctanh(v)]  # fmt: skip
    check([v], outs, [x], signed_zeros=True)


def test_integer_input_upgraded_to_float64_compiles() -> None:
    v = pt.vector("n", dtype="int32")  # int32 → float64
    check([v], [pt.arctan(v), pt.arcsinh(v)], [np.array([-3, 0, 7, 2**30], dtype="int32")])


_EDGES = (0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 1e-300, -1e-300, 1e300, -1e300, np.inf, -np.inf, np.nan)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_arctan2_special_values_as_numpy(dtype: str) -> None:
    """Every pair of signed zeros, infinities, NaN and finite values: C99's table."""
    with np.errstate(over="ignore"):  # ±1e300 is ±inf in float32
        pairs = np.array(list(itertools.product(_EDGES, repeat=2)), dtype=dtype)
    y, x = pt.vector("y", dtype=dtype), pt.vector("x", dtype=dtype)
    check([y, x], [pt.arctan2(y, x)], [pairs[:, 0], pairs[:, 1]], signed_zeros=True)


def test_arctan2_sweep_within_2_ulp() -> None:
    rng = np.random.default_rng(3)
    magnitude = np.exp(rng.uniform(-700.0, 700.0, (2, 2000)))
    y, x = magnitude * rng.choice([-1.0, 1.0], (2, 2000))
    y = np.concatenate([y, rng.uniform(-2, 2, 500)])
    x = np.concatenate([x, rng.uniform(-2, 2, 500)])
    vy, vx = pt.vector("y", dtype="float64"), pt.vector("x", dtype="float64")
    (got,) = Compiler().compile(fgraph_of([vy, vx], [pt.arctan2(vy, vx)])).run(y, x)
    exact = [mp.atan2(mp.mpf(a), mp.mpf(b)) for a, b in zip(y.tolist(), x.tolist(), strict=True)]
    hi = np.array([float(e) for e in exact])
    lo = np.array([float(e - mp.mpf(h)) for e, h in zip(exact, hi.tolist(), strict=True)])
    err = np.abs((got - hi) - lo) / np.spacing(np.abs(hi))
    assert err.max() <= 2.0, (
        f"arctan2{(y[err.argmax()], x[err.argmax()])} is {err.max():.2f} ulp off"
    )
