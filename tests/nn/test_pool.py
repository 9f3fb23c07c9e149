"""nn pooling against loop-based numpy references (PyTorch rules) and ONNX MaxPool/AveragePool."""

from __future__ import annotations

import math

import numpy as np
import pytensor.tensor as pt
import pytest

import nn
from tests.nn._oracle import onnx_op, run

RNG = np.random.default_rng(1)


def _out(size, k, s, p, d, ceil):
    span = size + 2 * p - d * (k - 1) - 1
    o = (math.ceil(span / s) if ceil else span // s) + 1
    if ceil and (o - 1) * s >= size + p:
        o -= 1
    return o


def ref_pool(x, mode, k, s, p, d=(1, 1), ceil=False, count_include_pad=True):
    """Loop reference written directly from PyTorch's CPU kernels."""
    n, c, h, w = x.shape
    oh, ow = _out(h, k[0], s[0], p[0], d[0], ceil), _out(w, k[1], s[1], p[1], d[1], ceil)
    y = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            hs, ws = i * s[0] - p[0], j * s[1] - p[1]
            if mode == "max":
                best = np.full((n, c), -np.inf)
                for a in range(k[0]):
                    for b in range(k[1]):
                        hh, ww = hs + a * d[0], ws + b * d[1]
                        if 0 <= hh < h and 0 <= ww < w:
                            best = np.maximum(best, x[:, :, hh, ww])
                y[:, :, i, j] = best
            else:
                he, we = min(hs + k[0], h + p[0]), min(ws + k[1], w + p[1])
                size = (he - hs) * (we - ws)
                hs0, ws0, he0, we0 = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
                if not count_include_pad:
                    size = (he0 - hs0) * (we0 - ws0)
                y[:, :, i, j] = x[:, :, hs0:he0, ws0:we0].sum(axis=(2, 3)) / size
    return y


def _onnx_ref_ok(stride, pads):
    """onnx.reference's stride-1 pooling path (CommonPool) reads ``pads`` as
    [h_begin, h_end, w_begin, w_end] (onnx 1.23), so only use the oracle where that
    misreading cannot matter."""
    return tuple(stride) != (1, 1) or pads[0] == pads[1]


CASES = [
    # kernel, stride, padding, ceil_mode
    ((2, 2), None, 0, False),
    ((3, 3), (2, 2), 1, False),
    ((3, 3), (2, 2), 1, True),
    ((3, 2), (1, 1), (1, 0), False),  # stride < kernel
    ((3, 3), (2, 2), 0, True),
    ((2, 3), (3, 2), (1, 1), True),  # ceil_mode overhang, last window dropped
    ((5, 5), (1, 1), 2, False),  # YOLO SPPF
]


def _p(v):
    return (v, v) if isinstance(v, int) else v


@pytest.mark.parametrize("k,s,p,ceil", CASES)
@pytest.mark.parametrize("shape", [(2, 3, 7, 8), (1, 2, 6, 6)])
def test_max_pool(k, s, p, ceil, shape):
    x = RNG.standard_normal(shape)
    val, shp, out = run(lambda a: nn.max_pool2d(a, k, s, p, ceil_mode=ceil), x)
    ref = ref_pool(x, "max", k, s or k, _p(p), ceil=ceil)
    np.testing.assert_allclose(val, ref)
    assert shp == val.shape == out.type.shape
    val2, shp2, _ = run(lambda a: nn.max_pool2d(a, k, s, p, ceil_mode=ceil), x, static=False)
    np.testing.assert_allclose(val2, ref)
    assert shp2 == val.shape
    if _onnx_ref_ok(s or k, _p(p)):
        onnx_ref = onnx_op(
            "MaxPool",
            [x],
            dict(
                kernel_shape=list(k),
                strides=list(s or k),
                pads=[_p(p)[0], _p(p)[1]] * 2,
                ceil_mode=int(ceil),
            ),
        )
        np.testing.assert_allclose(val, onnx_ref)


@pytest.mark.parametrize("k,s,p,ceil", CASES)
@pytest.mark.parametrize("cip", [True, False])
def test_avg_pool(k, s, p, ceil, cip):
    x = RNG.standard_normal((2, 3, 7, 8))
    val, shp, out = run(lambda a: nn.avg_pool2d(a, k, s, p, ceil, cip), x)
    ref = ref_pool(x, "avg", k, s or k, _p(p), ceil=ceil, count_include_pad=cip)
    np.testing.assert_allclose(val, ref, rtol=1e-12)
    assert shp == val.shape == out.type.shape
    val2, shp2, _ = run(lambda a: nn.avg_pool2d(a, k, s, p, ceil, cip), x, static=False)
    np.testing.assert_allclose(val2, ref, rtol=1e-12)
    assert shp2 == val.shape
    if _onnx_ref_ok(s or k, _p(p)):  # onnx.reference 1.23 matches PyTorch divisors here
        onnx_ref = onnx_op(
            "AveragePool",
            [x],
            dict(
                kernel_shape=list(k),
                strides=list(s or k),
                pads=[_p(p)[0], _p(p)[1]] * 2,
                count_include_pad=int(cip),
                ceil_mode=int(ceil),
            ),
        )
        np.testing.assert_allclose(val, onnx_ref, rtol=1e-12)


def test_max_pool_dilation_and_negative_inputs():
    x = -np.abs(RNG.standard_normal((1, 2, 9, 9))) - 5  # padding (-inf) must never win
    val, _, _ = run(lambda a: nn.max_pool2d(a, 3, 2, 2, dilation=2), x)
    ref = ref_pool(x, "max", (3, 3), (2, 2), (2, 2), d=(2, 2))
    np.testing.assert_allclose(val, ref)
    assert (val < -5).all()
    onnx_ref = onnx_op(
        "MaxPool", [x], dict(kernel_shape=[3, 3], strides=[2, 2], pads=[2] * 4, dilations=[2, 2])
    )
    np.testing.assert_allclose(val, onnx_ref)


def test_max_pool_int_dtype():
    x = RNG.integers(-100, -1, size=(1, 1, 5, 5)).astype(np.int32)
    val, _, out = run(lambda a: nn.max_pool2d(a, 3, 1, 1), x)
    assert out.type.dtype == "int32"
    np.testing.assert_array_equal(val, ref_pool(x.astype(float), "max", (3, 3), (1, 1), (1, 1)))


def test_global_pools():
    x = RNG.standard_normal((2, 3, 5, 4))
    v, shp, out = run(nn.global_max_pool2d, x)
    np.testing.assert_allclose(v, x.max(axis=(2, 3), keepdims=True))
    assert shp == (2, 3, 1, 1) and out.type.shape == (2, 3, 1, 1)
    v, shp, out = run(nn.global_avg_pool2d, x)
    np.testing.assert_allclose(v, onnx_op("GlobalAveragePool", [x]))
    assert shp == (2, 3, 1, 1) and out.type.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(run(nn.global_max_pool2d, x)[0], onnx_op("GlobalMaxPool", [x]))


def test_bad_arguments():
    x = pt.tensor4("x", shape=(1, 2, 4, 4))
    with pytest.raises(ValueError, match="4-D"):
        nn.max_pool2d(pt.matrix("m"), 2)
    with pytest.raises(ValueError, match="non-negative"):
        nn.max_pool2d(x, 3, padding=-1)
    with pytest.raises(ValueError, match="at most half"):
        nn.avg_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        nn.max_pool2d(x, 7, padding=1)
    with pytest.raises(ValueError, match="kernel_size"):
        nn.max_pool2d(x, 0)
    with pytest.raises(TypeError, match="stride"):
        nn.avg_pool2d(x, 2, stride="2")
    with pytest.raises(ValueError, match="4-D"):
        nn.global_avg_pool2d(pt.tensor3("t"))


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_asymmetric_explicit_padding_matches_onnx(mode):
    x = RNG.standard_normal((1, 2, 8, 9))
    pads = ((1, 0), (0, 1))
    if mode == "max":
        val, shp, out = run(lambda a: nn.max_pool2d(a, 3, 2, pads), x)
        ref = onnx_op("MaxPool", [x], dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 0, 1]))
    else:
        val, shp, out = run(lambda a: nn.avg_pool2d(a, 3, 2, pads, count_include_pad=False), x)
        ref = onnx_op(
            "AveragePool",
            [x],
            dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 0, 1], count_include_pad=0),
        )
    np.testing.assert_allclose(val, ref, rtol=1e-12)
    assert shp == val.shape == out.type.shape
