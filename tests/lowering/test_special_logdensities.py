"""PyMC-style log-densities written in plain PyTensor (StudentT, NegativeBinomial, Poisson,
Gamma, Beta, a censored Normal through erfcx/log1mexp) and their gradients: ONNX Runtime and
the IR interpreter against PyTensor; and constant special functions folded at compile time."""

from __future__ import annotations

import math

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.scalar.basic import BinaryScalarOp, upgrade_to_float
from pytensor.tensor.elemwise import Elemwise
from pytensor.tensor.special import xlogy

from compiler import Compiler
from compiler.errors import UnsupportedOpError
from tests.helpers import assert_matches_pytensor, fgraph_of

RNG = np.random.default_rng(16)


def _check_with_gradients(inputs, logp, feeds, **tolerances) -> None:
    """logp summed, and its gradient with respect to every input."""
    total = logp.sum()
    grads = pytensor.grad(total, inputs)
    assert_matches_pytensor(fgraph_of(inputs, [logp, *grads]), feeds, **tolerances)


def _student_t(x, nu, mu, sigma):
    z = (x - mu) / sigma
    return (
        pt.gammaln((nu + 1.0) / 2.0)
        - pt.gammaln(nu / 2.0)
        - 0.5 * pt.log(nu * math.pi)
        - pt.log(sigma)
        - (nu + 1.0) / 2.0 * pt.log1p(z**2 / nu)
    )


def _negative_binomial(k, n, p):
    return (pt.gammaln(k + n) - pt.gammaln(k + 1.0) - pt.gammaln(n)
            + n * pt.log(p) + xlogy(k, 1.0 - p))  # fmt: skip


def _poisson(k, mu):
    return xlogy(k, mu) - mu - pt.gammaln(k + 1.0)


def _gamma(x, alpha, beta):
    return alpha * pt.log(beta) - pt.gammaln(alpha) + (alpha - 1.0) * pt.log(x) - beta * x


def _beta(x, a, b):
    return (pt.gammaln(a + b) - pt.gammaln(a) - pt.gammaln(b)
            + (a - 1.0) * pt.log(x) + (b - 1.0) * pt.log1p(-x))  # fmt: skip


def _normal_lcdf(z):
    """PyMC's normal_lcdf: erfcx in the lower tail, log1p(-erfc/2) elsewhere; each branch
    on an argument safe for it, so that neither the unselected value nor its gradient is
    inf (PyTensor's rewrites cancel those; the graph compiled here is not rewritten)."""
    lower_tail = pt.lt(z, -1.0)
    z_low = pt.switch(lower_tail, z, -2.0)
    z_high = pt.switch(lower_tail, 0.0, z)
    return pt.switch(
        lower_tail,
        pt.log(pt.erfcx(-z_low / math.sqrt(2.0)) / 2.0) - z_low**2 / 2.0,
        pt.log1p(-pt.erfc(z_high / math.sqrt(2.0)) / 2.0),
    )


def _censored_normal(x, mu, sigma, lower, upper):
    """Interval-censored Normal: log(Φ(b) - Φ(a)) = lcdf(b) + log1mexp(lcdf(a) - lcdf(b))."""
    a, b = (lower - mu) / sigma, (upper - mu) / sigma
    interval = _normal_lcdf(b) + pt.log1mexp(_normal_lcdf(a) - _normal_lcdf(b))
    density = -0.5 * ((x - mu) / sigma) ** 2 - pt.log(sigma) - 0.5 * math.log(2 * math.pi)
    return pt.switch(pt.eq(x, lower) | pt.eq(x, upper), interval, density)


def test_student_t_logp_and_gradients() -> None:
    x, nu, mu, sigma = (pt.vector(n, dtype="float64") for n in ("x", "nu", "mu", "sigma"))
    feeds = [RNG.standard_t(3.0, 64) * 10, RNG.uniform(0.1, 50.0, 64),
             RNG.normal(size=64), RNG.uniform(0.1, 5.0, 64)]  # fmt: skip
    _check_with_gradients([x, nu, mu, sigma], _student_t(x, nu, mu, sigma), feeds)


def test_negative_binomial_logp_and_gradients() -> None:
    k, n, p = (pt.vector(v, dtype="float64") for v in ("k", "n", "p"))
    feeds = [RNG.integers(0, 200, 64).astype("float64"), RNG.uniform(0.05, 30.0, 64),
             RNG.uniform(0.01, 0.99, 64)]  # fmt: skip
    feeds[0][:3] = 0.0  # xlogy(0, .) = 0
    logp = _negative_binomial(k, n, p)
    grads = pytensor.grad(logp.sum(), [n, p])
    assert_matches_pytensor(fgraph_of([k, n, p], [logp, *grads]), feeds)


def test_poisson_logp_and_gradient() -> None:
    k, mu = pt.vector("k", dtype="float64"), pt.vector("mu", dtype="float64")
    feeds = [RNG.integers(0, 1000, 64).astype("float64"), RNG.uniform(1e-3, 800.0, 64)]
    logp = _poisson(k, mu)
    assert_matches_pytensor(fgraph_of([k, mu], [logp, pytensor.grad(logp.sum(), mu)]), feeds)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gamma_logp_and_gradients(dtype: str) -> None:
    x, alpha, beta = (pt.vector(v, dtype=dtype) for v in ("x", "alpha", "beta"))
    feeds = [RNG.gamma(2.0, 2.0, 64), RNG.uniform(0.05, 40.0, 64), RNG.uniform(0.1, 10.0, 64)]
    _check_with_gradients([x, alpha, beta], _gamma(x, alpha, beta),
                          [f.astype(dtype) for f in feeds])  # fmt: skip


def test_beta_logp_and_gradients() -> None:
    x, a, b = (pt.vector(v, dtype="float64") for v in ("x", "a", "b"))
    feeds = [RNG.beta(2.0, 5.0, 64), RNG.uniform(0.05, 20.0, 64), RNG.uniform(0.05, 20.0, 64)]
    _check_with_gradients([x, a, b], _beta(x, a, b), feeds)


def test_censored_normal_logp_and_gradients() -> None:
    x, mu, sigma = (pt.vector(v, dtype="float64") for v in ("x", "mu", "sigma"))
    lower, upper = pt.scalar("lower", dtype="float64"), pt.scalar("upper", dtype="float64")
    n = 64
    values = RNG.normal(0.0, 3.0, n)
    values[:20] = -2.0  # censored at the bounds
    values[20:40] = 2.5
    # Far tails (Φ down to 1e-230): erfcx and log1mexp carry the accuracy. (Not beyond
    # erfc's subnormal range, where scipy's erfc flushes to 0 and ours does not.)
    mus = np.clip(RNG.normal(0.0, 10.0, n), -30.0, 30.0)
    feeds = [values, mus, RNG.uniform(1.0, 3.0, n), np.array(-2.0), np.array(2.5)]
    logp = _censored_normal(x, mu, sigma, lower, upper)
    grads = pytensor.grad(logp.sum(), [mu, sigma])
    assert_matches_pytensor(fgraph_of([x, mu, sigma, lower, upper], [logp, *grads]), feeds)


# -- constant folding before refusal -------------------------------------------------------------


class _Halve(BinaryScalarOp):
    """A scalar op the compiler has no rule for (every special function has one now):
    x / 2 + 0 * y, by PyTensor's perform."""

    def impl(self, x, y):
        return x / 2 + 0 * y


_halve = Elemwise(_Halve(upgrade_to_float, name="halve"))


def test_constant_special_function_without_lowering_is_folded() -> None:
    """An elementwise op with no lowering: on constants (also broadcast ones) it is evaluated
    by PyTensor's own perform at compile time."""
    x = pt.vector("x", dtype="float64")
    y = x + _halve(pt.constant(2.0), pt.constant(3.0))
    y = y * _halve(pt.constant(np.array([1.0, 2.0])), 1.5)
    result = assert_matches_pytensor(fgraph_of([x], [y]), [np.array([1.0, 2.0])])
    assert result.ok


def test_special_function_of_a_variable_without_lowering_is_still_refused() -> None:
    x = pt.vector("x", dtype="float64")
    with pytest.raises(UnsupportedOpError, match="halve"):
        Compiler().compile(fgraph_of([x], [_halve(x, pt.constant(2.0))]))
