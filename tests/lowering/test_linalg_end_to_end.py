"""End to end: a Gaussian-process marginal likelihood (ExpQuad kernel, Cholesky, triangular
solves, log-determinant from the factor's diagonal) and its gradient, a batched MvNormal
log-density and its gradient, least squares through the Cholesky factor of XᵀX."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.tensor import linalg as L

from tests.helpers import assert_matches_pytensor, fgraph_of


def gp_marginal_loglik(x: pt.TensorVariable, y: pt.TensorVariable, ls, eta, sigma):
    """log N(y | 0, K + sigma² I), K the ExpQuad kernel of x (n, d)."""
    sq = pt.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    n = x.shape[0]
    k = eta**2 * pt.exp(-0.5 * sq / ls**2) + sigma**2 * pt.eye(n)
    chol = L.cholesky(k)
    alpha = L.solve_triangular(chol, y, lower=True)
    logdet = 2.0 * pt.sum(pt.log(pt.diagonal(chol)))
    return -0.5 * pt.dot(alpha, alpha) - 0.5 * logdet - 0.5 * n * np.log(2 * np.pi)


def test_gp_marginal_likelihood_and_its_gradient() -> None:
    rng = np.random.default_rng(0)
    x, y = pt.matrix("x"), pt.vector("y")
    ls, eta, sigma = pt.scalar("ls"), pt.scalar("eta"), pt.scalar("sigma")
    loglik = gp_marginal_loglik(x, y, ls, eta, sigma)
    grads = pytensor.grad(loglik, [ls, eta, sigma, y])
    feeds = [rng.normal(size=(12, 2)), rng.normal(size=12), np.array(0.9), np.array(1.3),
             np.array(0.4)]  # fmt: skip
    assert_matches_pytensor(fgraph_of([x, y, ls, eta, sigma], [loglik, *grads]), feeds)


def test_gp_gradient_through_cho_solve() -> None:
    """The same likelihood written with cho_solve: its gradient holds cho_solve, solves with
    trans and the Cholesky pullback."""
    rng = np.random.default_rng(1)
    k_raw, y = pt.matrix("k_raw"), pt.vector("y")
    k = k_raw @ k_raw.T + 3.0 * pt.eye(k_raw.shape[0])
    chol = L.cholesky(k)
    alpha = L.cho_solve((chol, True), y)
    loglik = -0.5 * pt.dot(y, alpha) - pt.sum(pt.log(pt.diagonal(chol)))
    grads = pytensor.grad(loglik, [k_raw, y])
    feeds = [rng.normal(size=(7, 7)), rng.normal(size=7)]
    assert_matches_pytensor(fgraph_of([k_raw, y], [loglik, *grads]), feeds)


def test_batched_mvnormal_logp_and_gradients() -> None:
    """Blockwise Cholesky and solve_triangular over a batch of covariances; the gradient by
    the covariance holds the vectorized Cholesky pullback (Blockwise ARange and AllocDiag
    over batch axes)."""
    rng = np.random.default_rng(2)
    value, mu, cov_raw = pt.matrix("value"), pt.matrix("mu"), pt.tensor3("cov_raw")
    cov = cov_raw @ cov_raw.mT + 2.0 * pt.eye(cov_raw.shape[-1])
    chol = L.cholesky(cov)
    z = L.solve_triangular(chol, value - mu, lower=True, b_ndim=1)
    logdet = pt.sum(pt.log(pt.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    k = value.shape[-1]
    logp = -0.5 * pt.sum(z**2, axis=-1) - logdet - 0.5 * k * np.log(2 * np.pi)
    grads = pytensor.grad(logp.sum(), [mu, value, cov_raw])
    feeds = [rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 3, 3))]
    assert_matches_pytensor(fgraph_of([value, mu, cov_raw], [logp, *grads]), feeds)


def test_mvnormal_logp_gradient_by_the_covariance() -> None:
    rng = np.random.default_rng(4)
    value, cov_raw = pt.vector("value"), pt.matrix("cov_raw")
    cov = cov_raw @ cov_raw.T + 2.0 * pt.eye(cov_raw.shape[-1])
    chol = L.cholesky(cov)
    z = L.solve_triangular(chol, value, lower=True)
    logp = -0.5 * pt.sum(z**2) - pt.sum(pt.log(pt.diagonal(chol)))
    grads = pytensor.grad(logp, [value, cov_raw])
    feeds = [rng.normal(size=5), rng.normal(size=(5, 5))]
    assert_matches_pytensor(fgraph_of([value, cov_raw], [logp, *grads]), feeds)


def test_least_squares_through_cholesky_of_normal_equations() -> None:
    rng = np.random.default_rng(3)
    x, y = pt.matrix("x"), pt.vector("y")
    chol = L.cholesky(x.T @ x)
    beta = L.cho_solve((chol, True), x.T @ y)
    beta_pos = L.solve(x.T @ x, x.T @ y, assume_a="pos")
    feeds = [rng.normal(size=(30, 4)), rng.normal(size=30)]
    assert_matches_pytensor(fgraph_of([x, y], [beta, beta_pos]), feeds)
