"""Gradients of scan-based losses (PyTensor builds them as a backwards Scan with mit-mot
buffers) compile and match PyTensor, raw and rewritten."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt

from tests.lowering.test_scan import check_both, f64, scans_in

RNG = np.random.default_rng(7)


def test_grad_of_sit_sot_recurrence_has_mit_mot() -> None:
    x = pt.vector("x")
    a = pt.scalar("a")
    h = pytensor.scan(
        lambda e, h, a: pt.tanh(a * h + e),
        sequences=[x],
        outputs_info=[pt.zeros(())],
        non_sequences=[a],
        return_updates=False,
    )
    loss = (h**2).sum()
    grads = pytensor.grad(loss, [x, a])
    feeds = [[RNG.normal(size=6), np.float64(0.7)], [f64(0.3), np.float64(-1.2)]]
    raw, _ = check_both([x, a], [loss, *grads], feeds)
    assert any(op.info.n_mit_mot for op in scans_in(raw))


def test_grad_of_mit_sot_and_matrix_state() -> None:
    x = pt.matrix("x")
    w = pt.matrix("w")
    h0 = pt.vector("h0")
    h = pytensor.scan(
        lambda row, h1, h2, w: pt.tanh(pt.dot(h1, w) + 0.5 * h2 + row),
        sequences=[x],
        outputs_info=[dict(initial=pt.stack([h0, h0 * 0.5]), taps=[-1, -2])],
        non_sequences=[w],
        return_updates=False,
    )
    loss = (h[-1] ** 2).sum() + h.mean()
    grads = pytensor.grad(loss, [x, w, h0])
    feeds = [[RNG.normal(size=(5, 3)), RNG.normal(size=(3, 3)) * 0.5, RNG.normal(size=3)]]
    check_both([x, w, h0], [loss, *grads], feeds, rtol=1e-10, atol=1e-12)


def test_grad_of_sequence_taps_and_nit_sot() -> None:
    x = pt.vector("x")
    w = pt.scalar("w")
    y = pytensor.scan(
        lambda a, b, w: pt.sin(a * w) * b,
        sequences=[dict(input=x, taps=[0, 1])],
        non_sequences=[w],
        return_updates=False,
    )
    loss = pt.sum(y * pt.arange(y.shape[0]))
    grads = pytensor.grad(loss, [x, w])
    check_both([x, w], [loss, *grads], [[RNG.normal(size=7), np.float64(1.3)]])


def test_grad_of_nested_scans() -> None:
    # The inner and outer bodies share PyTensor's interned inner variables: each keeps its own.
    m = pt.matrix("m")

    def row_product(row):
        return pytensor.scan(
            lambda e, acc: acc * e + 1.0,
            sequences=[row],
            outputs_info=[pt.zeros(())],
            return_updates=False,
        )[-1]

    out = pytensor.scan(row_product, sequences=[m], return_updates=False)
    check_both([m], [out, pytensor.grad(out.sum(), m)], [[RNG.normal(size=(3, 4))]])
