"""Softmax, LogSoftmax and LogSumExp (OpFromGraph subclasses mapped to tir.softmax,
tir.log_softmax and tir.logsumexp) end to end, checked against PyTensor and the IR
interpreter; and the graphs PyTensor's fast_run rewrites inline them into."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest
from pytensor.tensor.special import log_softmax, logsumexp, softmax

from tests.lowering.test_reductions import check, check_fast_run, data, ir_text, tensor

AXES = [0, 1, -1, (0, 2), (2, 0), (0, 1, 2), None, ()]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_softmax_family_over_every_axis_choice(dtype):
    x = tensor("x", dtype, (None, None, None))
    outs = []
    for axis in AXES:
        outs += [
            softmax(x, axis=axis),
            log_softmax(x, axis=axis),
            logsumexp(x, axis=axis, keepdims=axis in (1, None)),
        ]
    feeds = (data((2, 3, 4), dtype) * 4).astype(dtype)
    check([x], outs, [feeds], [feeds[:1, :, :1]])


def test_import_maps_the_family_directly():
    x = tensor("x", "float32", (2, 3))
    text = ir_text([x], [softmax(x, axis=-1), log_softmax(x, axis=None), logsumexp(x, axis=0)])
    assert "tir.softmax %x {axes = [1]} : f32[2, 3]" in text
    assert "tir.log_softmax %x {axes = [0, 1]} : f32[2, 3]" in text
    assert "tir.logsumexp %x {axes = [0], keepdims = false} : f32[3]" in text


def test_special_values():
    """A NaN makes its whole slice NaN (PyTensor's max is NaN); +inf gives NaN (inf - inf);
    an all -inf slice is NaN for softmax and -inf for logsumexp."""
    x = tensor("x", "float32", (None, None))
    feeds = np.array(
        [
            [1.0, np.nan, 2.0],
            [np.inf, 1.0, 2.0],
            [-np.inf, -np.inf, -np.inf],
            [-np.inf, 0.0, 1.0],
            [-0.0, -0.0, -0.0],
            [1e30, -1e30, 88.0],
        ],
        "float32",
    )
    outs = [softmax(x, axis=1), log_softmax(x, axis=1), logsumexp(x, axis=1)]
    check([x], outs, [feeds])


def test_0d_and_empty_axes():
    """Over no axes (a 0-d input, or axis=()) PyTensor's rewrites make softmax 1 and
    log_softmax 0 even for NaN and inf (x - x becomes 0)."""
    s = tensor("s", "float64", ())
    x = tensor("x", "float32", (None, None))
    specials = np.array([1.0, np.nan, np.inf, -np.inf, -0.0], "float32")
    outs = [
        softmax(s),
        log_softmax(s),
        logsumexp(s),
        softmax(x, axis=()),
        log_softmax(x, axis=()),
        logsumexp(x, axis=()),
    ]
    check([s, x], outs, *([np.array(v, "float64"), specials[None]] for v in specials))
    # Empty slices: (PyTensor raises for softmax over an empty axis, it has no max)
    outs = [logsumexp(x, axis=0), softmax(x, axis=1), log_softmax(x, axis=1), logsumexp(x)]
    check([x], outs, [np.zeros((0, 3), "float32")])
    check([x], [logsumexp(x, axis=1), softmax(x, axis=0)], [np.zeros((2, 0), "float32")])


def test_float32_sums_are_accumulated_in_float64():
    """One large term and 4096 terms 2**-24 of it: added one after another in float32 every
    small term is lost; PyTensor sums in float64."""
    x = tensor("x", "float32", (None,))
    feeds = np.full(4097, np.log(np.float32(2.0**-24)), "float32")
    feeds[0] = 0.0
    check([x], [softmax(x), log_softmax(x), logsumexp(x)], [feeds])


def test_integer_inputs_follow_the_inner_graph():
    """x - max(x) stays in the integer dtype (PyTensor's inner graph), so the op is inlined."""
    x = tensor("x", "int8", (None, None))
    outs = [softmax(x, axis=1), log_softmax(x, axis=0), logsumexp(x, axis=1)]
    text = ir_text([x], outs)
    assert "tir.softmax" not in text and "tir.logsumexp" not in text
    check([x], outs, [data((3, 4), "int8", -100, 100)])


def test_symbolic_dims_run_at_two_sizes():
    x = tensor("x", "float32", (None, None))
    outs = [softmax(x, axis=1), log_softmax(x, axis=None), logsumexp(x, axis=0, keepdims=True)]
    check([x], outs, [data((3, 4), "float32")], [data((1, 7), "float32")])


def test_fast_run_graphs():
    x = tensor("x", "float32", (None, None))
    y = tensor("y", "float64", (None, None, None))
    outs = [
        softmax(x, axis=1),
        log_softmax(x, axis=(0, 1)),
        logsumexp(x, axis=1, keepdims=True),
        pt.log(pt.exp(x).sum(axis=0)),
        softmax(y, axis=(0, 2)),
        log_softmax(y, axis=-1),
        logsumexp(y, axis=None),
    ]
    check_fast_run([x, y], outs, [data((3, 4), "float32"), data((2, 3, 4), "float64")])


@pytest.mark.parametrize(("length", "onnx_softmax"), [(16, True), (512, True), (513, False)])
def test_onnx_softmax_only_where_its_float32_sum_is_within_tolerance(length, onnx_softmax):
    """ONNX Runtime's Softmax sums float32 in float32: on the worst input (one large term,
    the rest 2**-24 of it) the error grows with the axis, so static axes up to 512 use it and
    longer ones PyTensor's float64-accumulated graph; both match PyTensor."""
    from tests.helpers import compile_checked, fgraph_of

    x = tensor("x", "float32", (3, length))
    feeds = np.full((3, length), np.log(np.float32(2.0**-24)), "float32")
    feeds[:, [0, length // 2, length - 1]] = 0.0
    check([x], [softmax(x, axis=1)], [feeds])
    nodes = compile_checked(fgraph_of([x], [softmax(x, axis=1)])).to_onnx().graph.node
    assert [n.op_type for n in nodes].count("Softmax") == int(onnx_softmax)
