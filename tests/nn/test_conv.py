"""nn.conv2d against a loop-based numpy reference and ONNX Conv (reference evaluator)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from tests.nn._oracle import onnx_op, run

RNG = np.random.default_rng(0)


def ref_conv(
    x, w, b=None, stride=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1), groups=1, flip=False
):
    """Straightforward loop-based cross-correlation (convolution if flip)."""
    if flip:
        w = w[:, :, ::-1, ::-1]
    n, _c, _h, _wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))
    eh, ew = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    oh = (xp.shape[2] - eh) // stride[0] + 1
    ow = (xp.shape[3] - ew) // stride[1] + 1
    og = o // groups
    y = np.zeros((n, o, oh, ow))
    for ni in range(n):
        for oc in range(o):
            g = oc // og
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0
                    for ci in range(cg):
                        for p in range(kh):
                            for q in range(kw):
                                acc += (
                                    xp[
                                        ni,
                                        g * cg + ci,
                                        i * stride[0] + p * dilation[0],
                                        j * stride[1] + q * dilation[1],
                                    ]
                                    * w[oc, ci, p, q]
                                )
                    y[ni, oc, i, j] = acc + (0 if b is None else b[oc])
    return y


def _check(x, w, b=None, ref_kw=None, **kw):
    val, shp, out = run(lambda *a: nn.conv2d(*a, **kw), *([x, w] if b is None else [x, w, b]))
    ref = ref_conv(x, w, b, **(ref_kw or {}))
    np.testing.assert_allclose(val, ref, rtol=1e-10, atol=1e-10)
    assert shp == val.shape == out.type.shape  # infer_shape and static shape
    # dynamic shapes: same value, infer_shape still right
    val2, shp2, out2 = run(
        lambda *a: nn.conv2d(*a, **kw), *([x, w] if b is None else [x, w, b]), static=False
    )
    np.testing.assert_allclose(val2, ref, rtol=1e-10, atol=1e-10)
    assert shp2 == val.shape and out2.type.shape[2:] == (None, None)
    return val


SOBEL_X = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])


@pytest.mark.parametrize("flip", [False, True])
def test_sobel_flip(flip):
    x = RNG.standard_normal((1, 1, 6, 7))
    w = SOBEL_X[None, None]
    y = _check(x, w, filter_flip=flip, ref_kw=dict(flip=flip))
    plain = ref_conv(x, w)
    if flip:
        np.testing.assert_allclose(y, -plain)  # flipping the Sobel-x kernel negates it
    else:
        np.testing.assert_allclose(y, plain)
    # asymmetric (non-square) kernel too
    w2 = RNG.standard_normal((2, 1, 2, 3))
    _check(x, w2, filter_flip=flip, ref_kw=dict(flip=flip))


@pytest.mark.parametrize(
    "padding,pads",
    [
        (0, ((0, 0), (0, 0))),
        (1, ((1, 1), (1, 1))),
        ((2, 1), ((2, 2), (1, 1))),
        (((0, 2), (1, 0)), ((0, 2), (1, 0))),
        ("valid", ((0, 0), (0, 0))),
        ("full", ((2, 2), (1, 1))),  # kernel (3, 2)
        ("same", ((1, 1), (0, 1))),  # SAME_UPPER: even kernel width 2 -> extra at the end
    ],
)
def test_padding_forms(padding, pads):
    x = RNG.standard_normal((2, 3, 5, 6))
    w = RNG.standard_normal((4, 3, 3, 2))
    y = _check(x, w, padding=padding, ref_kw=dict(pads=pads))
    if padding == "same":
        assert y.shape[2:] == x.shape[2:]


@pytest.mark.parametrize("k", [2, 4])
def test_same_even_kernel_matches_onnx_same_upper(k):
    x = RNG.standard_normal((1, 2, 7, 6))
    w = RNG.standard_normal((3, 2, k, k))
    val, _, _ = run(lambda a, b: nn.conv2d(a, b, padding="same"), x, w)
    ref = onnx_op("Conv", [x, w], dict(auto_pad="SAME_UPPER"))
    np.testing.assert_allclose(val, ref, rtol=1e-10, atol=1e-10)
    assert val.shape[2:] == x.shape[2:]


def test_same_with_stride_matches_onnx():
    x = RNG.standard_normal((1, 2, 9, 8))
    w = RNG.standard_normal((3, 2, 4, 3))
    val, shp, _ = run(
        lambda a, b: nn.conv2d(a, b, padding="same", stride=(2, 3), dilation=(1, 2)), x, w
    )
    ref = onnx_op("Conv", [x, w], dict(auto_pad="SAME_UPPER", strides=[2, 3], dilations=[1, 2]))
    np.testing.assert_allclose(val, ref, rtol=1e-10, atol=1e-10)
    assert shp == (1, 3, 5, 3)


def test_stride_dilation_bias():
    x = RNG.standard_normal((2, 3, 9, 8))
    w = RNG.standard_normal((4, 3, 3, 3))
    b = RNG.standard_normal(4)
    _check(
        x,
        w,
        b,
        stride=(2, 3),
        padding=1,
        dilation=(2, 1),
        ref_kw=dict(stride=(2, 3), pads=((1, 1), (1, 1)), dilation=(2, 1)),
    )
    _check(x, w, b, stride=2, dilation=2, ref_kw=dict(stride=(2, 2), dilation=(2, 2)))


@pytest.mark.parametrize("groups,cin,cout", [(2, 4, 6), (3, 3, 3), (4, 4, 8)])
def test_groups_and_depthwise(groups, cin, cout):
    x = RNG.standard_normal((2, cin, 6, 5))
    w = RNG.standard_normal((cout, cin // groups, 3, 3))
    b = RNG.standard_normal(cout)
    _check(x, w, b, groups=groups, padding=1, ref_kw=dict(groups=groups, pads=((1, 1), (1, 1))))


def test_against_onnx_conv_general():
    x = RNG.standard_normal((2, 4, 11, 10)).astype(np.float32)
    w = RNG.standard_normal((6, 2, 3, 2)).astype(np.float32)
    b = RNG.standard_normal(6).astype(np.float32)
    val, _, out = run(
        lambda *a: nn.conv2d(
            *a, stride=(2, 1), padding=((1, 0), (2, 1)), dilation=(1, 2), groups=2
        ),
        x,
        w,
        b,
    )
    ref = onnx_op(
        "Conv", [x, w, b], dict(strides=[2, 1], pads=[1, 2, 0, 1], dilations=[1, 2], group=2)
    )
    assert out.type.dtype == "float32" and val.dtype == np.float32
    np.testing.assert_allclose(val, ref, rtol=1e-4, atol=1e-4)


def test_static_shape_propagates():
    import pytensor.tensor as pt

    x = pt.tensor4("x", shape=(1, 8, 32, 32))
    w = pt.tensor4("w", shape=(16, 8, 3, 3))
    assert nn.conv2d(x, w, padding=1, stride=2).type.shape == (1, 16, 16, 16)
    assert nn.conv2d(x, w, padding="same").type.shape == (1, 16, 32, 32)
    assert nn.conv2d(x, w, padding="full").type.shape == (1, 16, 34, 34)
    x2 = pt.tensor4("x2", shape=(None, 8, None, 32))
    assert nn.conv2d(x2, w).type.shape == (None, 16, None, 30)


def test_bad_arguments():
    import pytensor.tensor as pt

    x = pt.tensor4("x", shape=(1, 6, 8, 8))
    w = pt.tensor4("w", shape=(4, 3, 3, 3))
    with pytest.raises(ValueError, match="4-D"):
        nn.conv2d(pt.matrix("m"), w)
    with pytest.raises(ValueError, match="4-D"):
        nn.conv2d(x, pt.matrix("m"))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.conv2d(x, pt.tensor4("w4", shape=(4, 1, 3, 3)), groups=4)
    with pytest.raises(ValueError, match="input channels"):
        nn.conv2d(x, w, groups=1)
    with pytest.raises(ValueError, match="non-negative"):
        nn.conv2d(x, w, padding=-1, groups=2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        nn.conv2d(x, pt.tensor4("wb", shape=(4, 3, 9, 3)), groups=2)
    with pytest.raises(ValueError, match="padding string"):
        nn.conv2d(x, w, padding="middle", groups=2)
    with pytest.raises(ValueError, match="stride"):
        nn.conv2d(x, w, stride=0, groups=2)
    with pytest.raises(TypeError, match="stride"):
        nn.conv2d(x, w, stride=(1, 2, 3), groups=2)
    with pytest.raises(ValueError, match="bias"):
        nn.conv2d(x, w, pt.vector("b", shape=(5,)), groups=2)


def test_yolo_sized_conv_is_fast():
    import time

    x = RNG.standard_normal((1, 16, 320, 320)).astype(np.float32)
    w = RNG.standard_normal((32, 16, 3, 3)).astype(np.float32)
    t = time.perf_counter()
    val, _, _ = run(lambda a, b: nn.conv2d(a, b, stride=2, padding=1), x, w)
    assert val.shape == (1, 32, 160, 160)
    xd = RNG.standard_normal((1, 64, 80, 80)).astype(np.float32)
    wd = RNG.standard_normal((64, 1, 3, 3)).astype(np.float32)
    val, _, _ = run(lambda a, b: nn.conv2d(a, b, padding=1, groups=64), xd, wd)
    assert time.perf_counter() - t < 5


def test_runtime_shape_mismatch_raises():
    import pytensor
    import pytensor.tensor as pt

    x, w = pt.tensor4("x"), pt.tensor4("w")
    f = pytensor.function([x, w], nn.conv2d(x, w), mode="FAST_COMPILE")
    with pytest.raises(ValueError, match="incompatible shapes"):
        f(np.ones((1, 3, 5, 5)), np.ones((2, 4, 3, 3)))
    with pytest.raises(ValueError, match="larger than padded input"):
        f(np.ones((1, 3, 2, 5)), np.ones((2, 3, 3, 3)))
