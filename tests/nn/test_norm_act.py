"""nn.batch_norm (vs ONNX BatchNormalization), nn.silu, nn.relu, and the package API."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest

import nn
from tests.nn._oracle import onnx_op, run

RNG = np.random.default_rng(3)


def test_public_api():
    assert sorted(nn.__all__) == sorted(
        [
            "conv2d",
            "max_pool2d",
            "avg_pool2d",
            "global_max_pool2d",
            "global_avg_pool2d",
            "resize",
            "upsample_nearest2d",
            "batch_norm",
            "silu",
            "relu",
        ]
    )


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 5), (2, 3, 4, 5), (1, 3, 2, 2, 2)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm(shape, dtype):
    x = RNG.standard_normal(shape).astype(dtype)
    g, b, m = (RNG.standard_normal(3).astype(dtype) for _ in range(3))
    v = RNG.uniform(0.5, 2, 3).astype(dtype)
    val, shp, out = run(lambda *a: nn.batch_norm(*a, eps=1e-3), x, g, b, m, v)
    ref = onnx_op("BatchNormalization", [x, g, b, m, v], dict(epsilon=1e-3))
    np.testing.assert_allclose(val, ref, rtol=1e-5, atol=1e-5)
    assert val.dtype == np.dtype(dtype) and shp == shape == out.type.shape


def test_batch_norm_bad_arguments():
    with pytest.raises(ValueError, match="rank >= 2"):
        nn.batch_norm(pt.vector("x"), *[pt.vector() for _ in range(4)])
    x = pt.tensor4("x", shape=(1, 3, 4, 4))
    with pytest.raises(ValueError, match="1-D"):
        nn.batch_norm(x, pt.matrix(), pt.vector(), pt.vector(), pt.vector())
    with pytest.raises(ValueError, match="channels"):
        nn.batch_norm(x, pt.vector(shape=(4,)), pt.vector(), pt.vector(), pt.vector())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_silu_relu(dtype):
    x = RNG.standard_normal((2, 3, 4)).astype(dtype) * 5
    val, _, out = run(nn.silu, x)
    np.testing.assert_allclose(val, x / (1 + np.exp(-x)), rtol=1e-5)
    assert out.type.dtype == dtype
    val, _, out = run(nn.relu, x)
    np.testing.assert_array_equal(val, np.maximum(x, 0))
    assert out.type.dtype == dtype and val.dtype == np.dtype(dtype)
    xi = np.array([-3, 0, 4], dtype=np.int8)
    val, _, out = run(nn.relu, xi)
    assert out.type.dtype == "int8"
    np.testing.assert_array_equal(val, [0, 0, 4])


def test_silu_is_x_times_sigmoid():
    from pytensor.tensor.math import sigmoid

    x = pt.matrix("x")
    y = nn.silu(x)
    assert y.owner.inputs[0] is x
    assert y.owner.inputs[1].owner.op == sigmoid


def test_small_cnn_end_to_end():
    """conv -> bn -> silu -> maxpool -> upsample -> concat, as in YOLO blocks."""
    x = RNG.standard_normal((1, 3, 32, 32)).astype(np.float32)
    w = (RNG.standard_normal((8, 3, 3, 3)) * 0.1).astype(np.float32)
    g, b, m = (RNG.standard_normal(8).astype(np.float32) for _ in range(3))
    v = RNG.uniform(0.5, 2, 8).astype(np.float32)

    def net(x, w, g, b, m, v):
        h = nn.silu(nn.batch_norm(nn.conv2d(x, w, stride=2, padding=1), g, b, m, v))
        p = nn.max_pool2d(h, 5, 1, 2)
        u = nn.upsample_nearest2d(nn.max_pool2d(p, 2))
        return pt.concatenate([p, u, nn.relu(nn.global_avg_pool2d(h)) + 0 * h], axis=1)

    val, shp, out = run(net, x, w, g, b, m, v)
    assert shp == val.shape == out.type.shape == (1, 24, 16, 16)
    assert val.dtype == np.float32
