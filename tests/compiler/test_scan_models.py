"""End-to-end loops: a GRU step loop, an LSTM over a symbolic sequence length (one model runs
lengths 1 and 50), a GARCH(1,1) log-likelihood and its gradient, an AR(3) with mit-sot taps
and a while-loop Newton iteration, against PyTensor."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.scan.utils import until

from compiler import Compiler
from tests.helpers import compile_checked, fgraph_of
from tests.lowering.test_scan import check_both

RNG = np.random.default_rng(2026)


def test_gru_language_model_step_loop() -> None:
    vocab, hidden, steps = 11, 8, 6
    emb = pytensor.shared(RNG.normal(size=(vocab, hidden)) * 0.3, name="emb")
    wz, wr, wh = (
        pytensor.shared(RNG.normal(size=(2 * hidden, hidden)) * 0.3, name=n)
        for n in ("wz", "wr", "wh")
    )
    out_w = pytensor.shared(RNG.normal(size=(hidden, vocab)) * 0.3, name="out_w")
    h0 = pt.vector("h0")
    first = pt.scalar("first", dtype="int64")

    def step(token, h):
        x = emb[token]
        xh = pt.concatenate([x, h])
        z = pt.sigmoid(pt.dot(xh, wz))
        r = pt.sigmoid(pt.dot(xh, wr))
        cand = pt.tanh(pt.dot(pt.concatenate([x, r * h]), wh))
        h_next = (1 - z) * h + z * cand
        logits = pt.dot(h_next, out_w)
        return pt.argmax(logits), h_next, pt.special.log_softmax(logits)

    (tokens, states, logp) = pytensor.scan(
        step, outputs_info=[first, h0, None], n_steps=steps, return_updates=False
    )
    feeds = [[np.int64(3), RNG.normal(size=hidden)], [np.int64(0), np.zeros(hidden)]]
    check_both([first, h0], [tokens, states, logp], feeds, rtol=1e-10, atol=1e-12)


def test_lstm_over_a_symbolic_length_one_model_runs_1_and_50() -> None:
    n_in, hidden = 3, 5
    w = pytensor.shared((RNG.normal(size=(n_in + hidden, 4 * hidden)) * 0.4), name="w")
    b = pytensor.shared(RNG.normal(size=4 * hidden) * 0.1, name="b")
    xs = pt.matrix("xs")

    def step(x, h, c):
        gates = pt.dot(pt.concatenate([x, h]), w) + b
        i, f, o, g = (gates[k * hidden : (k + 1) * hidden] for k in range(4))
        c_next = pt.sigmoid(f) * c + pt.sigmoid(i) * pt.tanh(g)
        return pt.sigmoid(o) * pt.tanh(c_next), c_next

    (hs, cs) = pytensor.scan(
        step, sequences=[xs], outputs_info=[pt.zeros(hidden), pt.zeros(hidden)],
        return_updates=False,
    )  # fmt: skip
    fgraph = fgraph_of([xs, w, b], [hs, cs[-1]])
    result = compile_checked(fgraph, dim_names={"xs": {0: "time"}})
    model = result.to_onnx()
    assert [n.op_type for n in model.graph.node].count("Loop") == 1
    reference = pytensor.function([xs], [hs, cs[-1]], mode="FAST_COMPILE")
    for length in (1, 50):
        data = RNG.normal(size=(length, n_in))
        for got, want in zip(result.run(data), reference(data), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    check_both([xs], [hs, cs[-1]], [[RNG.normal(size=(n, n_in))] for n in (1, 50)])


def _garch_loglik(r, omega, alpha, beta, sigma2_0):
    def step(r_prev, s_prev, omega, alpha, beta):
        return omega + alpha * r_prev**2 + beta * s_prev

    sigma2 = pytensor.scan(
        step,
        sequences=[r[:-1]],
        outputs_info=[sigma2_0],
        non_sequences=[omega, alpha, beta],
        return_updates=False,
    )
    sigma2 = pt.concatenate([pt.stack([sigma2_0]), sigma2])
    return -0.5 * pt.sum(np.log(2 * np.pi) + pt.log(sigma2) + r**2 / sigma2)


def test_garch11_log_likelihood_and_gradient() -> None:
    r = pt.vector("r")
    omega, alpha, beta = pt.scalar("omega"), pt.scalar("alpha"), pt.scalar("beta")
    loglik = _garch_loglik(r, omega, alpha, beta, pt.constant(np.float64(0.5)))
    grads = pytensor.grad(loglik, [omega, alpha, beta])
    returns = RNG.normal(size=40) * 0.7
    feeds = [[returns, np.float64(0.1), np.float64(0.15), np.float64(0.8)]]
    check_both([r, omega, alpha, beta], [loglik, *grads], feeds, rtol=1e-10, atol=1e-12)


def test_ar3_with_mit_sot_taps() -> None:
    eps = pt.vector("eps")
    init = pt.vector("init")
    rho = pt.vector("rho")
    series = pytensor.scan(
        lambda e, x1, x2, x3, rho: rho[0] * x1 + rho[1] * x2 + rho[2] * x3 + e,
        sequences=[eps],
        outputs_info=[dict(initial=init, taps=[-1, -2, -3])],
        non_sequences=[rho],
        return_updates=False,
    )
    full = pt.concatenate([init, series])
    feeds = [[RNG.normal(size=30), np.array([0.1, -0.2, 0.3]), np.array([0.5, -0.3, 0.1])]]
    check_both([eps, init, rho], [full, series[-1]], feeds)


def test_newton_iteration_until_convergence() -> None:
    a = pt.scalar("a")
    x0 = pt.scalar("x0")

    def step(x, a):
        x_next = x - (x * x - a) / (2 * x)
        return x_next, until(pt.abs(x_next - x) < 1e-12)

    trace = pytensor.scan(
        step, outputs_info=[x0], non_sequences=[a], n_steps=100, return_updates=False
    )
    feeds = [[np.float64(a), np.float64(1.0)] for a in (2.0, 1e6, 0.25)]
    check_both([a, x0], [trace[-1], trace.shape[0]], feeds)
    result = Compiler().compile(fgraph_of([a, x0], [trace[-1], trace.shape[0]]))
    root, iterations = result.run(np.float64(2.0), np.float64(1.0))
    assert abs(root - np.sqrt(2.0)) < 1e-15 and 2 < iterations < 100
