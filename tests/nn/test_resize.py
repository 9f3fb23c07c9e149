"""nn.resize against onnx.reference's Resize (opset 18)."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest

import nn
from tests.nn._oracle import onnx_op, run

RNG = np.random.default_rng(2)


def onnx_resize(x, scales=None, sizes=None, **attrs):
    inputs = [
        x,
        None,
        None if scales is None else np.array([1, 1, *scales], dtype=np.float32),
        None if sizes is None else np.array([*x.shape[:2], *sizes], dtype=np.int64),
    ]
    return onnx_op("Resize", inputs, attrs)


CTMS = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric"]


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
@pytest.mark.parametrize("ctm", CTMS)
@pytest.mark.parametrize("scales", [(2.0, 2.0), (0.5, 0.75), (1.7, 0.6), (3.0, 1.0)])
def test_resize_scales(mode, ctm, scales):
    x = RNG.standard_normal((2, 3, 5, 8)).astype(np.float32)
    val, shp, out = run(
        lambda a: nn.resize(a, scale_factor=scales, mode=mode, coordinate_transformation_mode=ctm),
        x,
    )
    ref = onnx_resize(x, scales=scales, mode=mode, coordinate_transformation_mode=ctm)
    assert val.shape == ref.shape == shp == out.type.shape
    np.testing.assert_allclose(val, ref, rtol=1e-5, atol=1e-5)
    val2, shp2, _out2 = run(
        lambda a: nn.resize(a, scale_factor=scales, mode=mode, coordinate_transformation_mode=ctm),
        x,
        static=False,
    )
    np.testing.assert_allclose(val2, ref, rtol=1e-5, atol=1e-5)
    assert shp2 == ref.shape


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
@pytest.mark.parametrize("ctm", ["half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel"])
@pytest.mark.parametrize("sizes", [(10, 16), (3, 5), (7, 1), (1, 11)])
def test_resize_sizes(mode, ctm, sizes):
    x = RNG.standard_normal((1, 2, 5, 8)).astype(np.float32)
    val, shp, out = run(
        lambda a: nn.resize(a, size=sizes, mode=mode, coordinate_transformation_mode=ctm), x
    )
    ref = onnx_resize(x, sizes=sizes, mode=mode, coordinate_transformation_mode=ctm)
    assert val.shape == ref.shape == shp == out.type.shape
    np.testing.assert_allclose(val, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "nearest_mode", ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]
)
@pytest.mark.parametrize("ctm", ["half_pixel", "asymmetric", "align_corners"])
def test_nearest_modes(nearest_mode, ctm):
    x = RNG.standard_normal((1, 1, 4, 6)).astype(np.float32)
    for scales in [(1.5, 2.5), (0.5, 0.5), (2.0, 3.0)]:
        val, _, _ = run(
            lambda a: nn.resize(
                a,
                scale_factor=scales,
                nearest_mode=nearest_mode,
                coordinate_transformation_mode=ctm,
            ),
            x,
        )
        ref = onnx_resize(
            x,
            scales=scales,
            mode="nearest",
            nearest_mode=nearest_mode,
            coordinate_transformation_mode=ctm,
        )
        np.testing.assert_array_equal(val, ref)


def test_upsample_nearest2d():
    x = RNG.standard_normal((1, 4, 3, 5)).astype(np.float32)
    val, shp, out = run(nn.upsample_nearest2d, x)
    np.testing.assert_array_equal(val, x.repeat(2, axis=2).repeat(2, axis=3))
    assert shp == out.type.shape == (1, 4, 6, 10)
    val, _, _ = run(lambda a: nn.upsample_nearest2d(a, 3), x)
    np.testing.assert_array_equal(val, x.repeat(3, axis=2).repeat(3, axis=3))


def test_large_upsample_fast():
    x = RNG.standard_normal((1, 256, 40, 40)).astype(np.float32)
    val, _, _ = run(lambda a: nn.resize(a, scale_factor=2.0, mode="linear"), x)
    assert val.shape == (1, 256, 80, 80)


def test_bad_arguments():
    x = pt.tensor4("x")
    with pytest.raises(ValueError, match="exactly one"):
        nn.resize(x)
    with pytest.raises(ValueError, match="exactly one"):
        nn.resize(x, scale_factor=2, size=(3, 3))
    with pytest.raises(ValueError, match="mode"):
        nn.resize(x, scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="coordinate_transformation_mode"):
        nn.resize(x, scale_factor=2, coordinate_transformation_mode="tf_crop_and_resize")
    with pytest.raises(ValueError, match="coordinate_transformation_mode"):
        nn.resize(x, scale_factor=2, coordinate_transformation_mode="tf_half_pixel_for_nn")
    with pytest.raises(ValueError, match="nearest_mode"):
        nn.resize(x, scale_factor=2, nearest_mode="round")
    with pytest.raises(ValueError, match="positive"):
        nn.resize(x, scale_factor=-1.0)
    with pytest.raises(TypeError, match="size"):
        nn.resize(x, size=(2.5, 3))
    with pytest.raises(ValueError, match="4-D"):
        nn.resize(pt.matrix("m"), scale_factor=2)
    with pytest.raises(ValueError, match=">= 1"):
        nn.resize(pt.tensor4("s", shape=(1, 1, 2, 2)), scale_factor=0.25)


@pytest.mark.parametrize("scale,size", [(0.7, 10), (1.1, 10), (0.3, 10), (2.5, 3)])
def test_inexact_scales_match_float32_onnx(scale, size):
    x = RNG.standard_normal((1, 1, size, size)).astype(np.float32)
    for mode in ["nearest", "linear"]:
        val, shp, out = run(lambda a: nn.resize(a, scale_factor=scale, mode=mode), x)
        ref = onnx_resize(x, scales=(scale, scale), mode=mode)
        assert val.shape == ref.shape == shp == out.type.shape
        np.testing.assert_allclose(val, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.filterwarnings("ignore:Numba will use object mode")
def test_default_mode_compiles():
    """The ops also survive the default (FAST_RUN) rewrites, incl. shape inference."""
    import pytensor

    x = pt.tensor4("x")
    y = nn.resize(nn.max_pool2d(nn.conv2d(x, np.ones((2, 3, 3, 3)), padding="same"), 2), size=5)
    f = pytensor.function([x], [y, y.shape])
    val, shp = f(np.ones((1, 3, 8, 8)))
    assert val.shape == tuple(shp) == (1, 2, 5, 5)
