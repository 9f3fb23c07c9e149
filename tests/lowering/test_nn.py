"""The ``nn`` package's CNN ops end to end: ONNX Runtime and the IR interpreter against
PyTensor for convolution (every padding form, strides, dilation, groups, bias, true and
cross-correlation with constant and run-time kernels), pooling, resize and batch norm.

Expected values always come from PyTensor (the ops' numpy ``perform``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.graph.fg import FunctionGraph

import nn
from ir.diagnostics import UnsupportedOpError
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of

SOBEL_X = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float32)
RNG = np.random.default_rng(7)


def rand(*shape: int, dtype: str = "float32") -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


def image(name: str = "x", shape: Sequence[int | None] = (2, 3, 9, 11), dtype="float32"):
    return pt.tensor(name, dtype=dtype, shape=tuple(shape))


def node_types(fgraph) -> Counter:
    return Counter(n.op_type for n in compile_checked(fgraph).to_onnx().graph.node)


def check(inputs, outputs, feeds, **tolerances) -> Counter:
    """Match PyTensor through ONNX Runtime and the interpreter; return the ONNX op counts.

    Convolutions sum tens of products in another order than numpy (ORT's GEMM blocking), so
    results near zero carry an absolute error of a few float32 ulps of the terms.
    """
    tolerances.setdefault("atol", 2e-5)
    fgraph = fgraph_of(inputs, outputs)
    assert_matches_pytensor(fgraph, list(feeds), **tolerances)
    return node_types(fgraph)


# -- convolution -------------------------------------------------------------------------------


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("kernel", ["constant", "runtime"])
def test_sobel_kernel(flip, kernel):
    """An asymmetric kernel tells a convolution from a cross-correlation."""
    x = image(shape=(1, 1, 8, 7))
    weights = SOBEL_X[None, None]
    if kernel == "constant":
        w, inputs, feeds = pt.constant(weights), [x], [rand(1, 1, 8, 7)]
    else:
        w = pt.tensor("w", dtype="float32", shape=(1, 1, 3, 3))
        inputs, feeds = [x, w], [rand(1, 1, 8, 7), weights]
    counts = check(inputs, [nn.conv2d(x, w, padding=1, filter_flip=flip)], feeds)
    assert counts["Conv"] == 1
    # A run-time kernel is reversed in the graph; a constant one at compile time.
    assert counts["Slice"] == (1 if flip and kernel == "runtime" else 0)


def test_sobel_flip_differs_from_correlation():
    """Guard for the test above: the two conventions really give different numbers here."""
    x = rand(1, 1, 6, 6)
    f = pytensor.function(
        [xv := image(shape=(1, 1, 6, 6))],
        [nn.conv2d(xv, SOBEL_X[None, None], filter_flip=f) for f in (False, True)],
        mode="FAST_COMPILE",
    )
    a, b = f(x)
    np.testing.assert_allclose(a, -b, rtol=1e-6)
    assert np.abs(a).max() > 0.1


@pytest.mark.parametrize(
    "padding",
    [0, 1, 2, (1, 2), ((0, 2), (1, 0)), ((2, 1), (0, 3)), "valid", "same", "full"],
)
@pytest.mark.parametrize("kernel", [(3, 3), (2, 4), (1, 2)])
def test_padding_forms(padding, kernel):
    x = image()
    w = rand(4, 3, *kernel)
    check([x], [nn.conv2d(x, w, padding=padding)], [rand(2, 3, 9, 11)])


@pytest.mark.parametrize("stride", [1, 2, (3, 1)])
@pytest.mark.parametrize("dilation", [1, 2, (1, 3)])
@pytest.mark.parametrize("padding", [0, "same", ((1, 0), (0, 2))])
def test_strides_and_dilation(stride, dilation, padding):
    x = image(shape=(1, 3, 13, 12))
    w = rand(5, 3, 3, 2)
    y = nn.conv2d(x, w, stride=stride, dilation=dilation, padding=padding)
    check([x], [y], [rand(1, 3, 13, 12)])


@pytest.mark.parametrize(
    ("channels", "out", "groups"), [(4, 6, 2), (6, 6, 3), (4, 4, 4), (3, 6, 3), (4, 8, 1)]
)
@pytest.mark.parametrize("bias", [False, True])
def test_groups_depthwise_and_bias(channels, out, groups, bias):
    x = image(shape=(2, channels, 7, 6))
    w = rand(out, channels // groups, 3, 3)
    b = rand(out) if bias else None
    y = nn.conv2d(x, w, b, padding=1, groups=groups, filter_flip=True)
    counts = check([x], [y], [rand(2, channels, 7, 6)])
    assert counts == Counter({"Conv": 1})


def test_symbolic_sizes_same_padding_with_stride():
    """'same' over unknown spatial sizes with a stride stays symbolic (SAME_UPPER); one model
    serves several sizes."""
    x = pt.tensor("x", dtype="float32", shape=(None, 3, None, None))
    w = rand(4, 3, 4, 3)
    fgraph = fgraph_of([x], [nn.conv2d(x, w, padding="same", stride=2)])
    for shape in [(1, 3, 9, 8), (3, 3, 16, 5)]:
        assert_matches_pytensor(fgraph, [rand(*shape)])
    conv = next(n for n in compile_checked(fgraph).to_onnx().graph.node if n.op_type == "Conv")
    assert {a.name: a.s for a in conv.attribute if a.name == "auto_pad"} == {
        "auto_pad": b"SAME_UPPER"
    }


def test_float16_conv():
    x = image(dtype="float16")
    w = rand(4, 3, 3, 3, dtype="float16")
    check([x], [nn.conv2d(x, w, padding=1)], [rand(2, 3, 9, 11, dtype="float16")],
          rtol=2e-2, atol=2e-2)  # fmt: skip


def test_integer_conv_truncates_like_pytensor():
    """Integer Conv2D computes in float32 and truncates to the integer result dtype."""
    x = image(dtype="int16")
    w = pt.constant(RNG.integers(-3, 4, size=(2, 3, 3, 3)).astype("int8"))
    b = pt.constant(np.array([0.5, -0.25], dtype="float32"))
    y_int = nn.conv2d(x, w, padding=1)
    y_mixed = nn.conv2d(x, w, b)
    assert y_int.dtype == "int16" and y_mixed.dtype == "float32"
    feeds = [RNG.integers(-50, 50, size=(2, 3, 9, 11)).astype("int16")]
    check([x], [y_int, y_mixed], feeds)


@settings(max_examples=25, deadline=None)
@given(
    h=st.integers(3, 9),
    w=st.integers(3, 9),
    k=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    pads=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
    flip=st.booleans(),
)
def test_conv_property(h, w, k, stride, pads, flip):
    top, bottom, left, right = pads
    if h + top + bottom < k[0] or w + left + right < k[1]:
        return
    x = image(shape=(1, 2, h, w))
    y = nn.conv2d(x, rand(3, 2, *k), stride=stride, padding=((top, bottom), (left, right)),
                  filter_flip=flip)  # fmt: skip
    check([x], [y], [rand(1, 2, h, w)])


# -- pooling -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "dilation"),
    [
        (2, None, 0, 1),
        (3, 2, 1, 1),
        (3, 1, 1, 1),
        (4, 3, 2, 1),
        (3, 2, 1, 2),
        ((3, 2), (2, 1), (1, 0), 1),
    ],
)
def test_max_pool(kernel, stride, padding, dilation, ceil_mode):
    x = image(shape=(2, 3, 10, 9))
    y = nn.max_pool2d(x, kernel, stride=stride, padding=padding, dilation=dilation,
                      ceil_mode=ceil_mode)  # fmt: skip
    assert check([x], [y], [rand(2, 3, 10, 9)]) == Counter({"MaxPool": 1})


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize(
    ("kernel", "stride", "padding"), [(2, None, 0), (3, 2, 1), (3, 1, 1), (4, 3, 2), (3, 2, (1, 0))]
)
def test_avg_pool(kernel, stride, padding, ceil_mode, count_include_pad):
    x = image(shape=(2, 3, 10, 9))
    y = nn.avg_pool2d(x, kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                      count_include_pad=count_include_pad)  # fmt: skip
    assert check([x], [y], [rand(2, 3, 10, 9)]) == Counter({"AveragePool": 1})


def test_ceil_mode_is_dropped_where_it_changes_nothing():
    """ONNX shape inference ignores PyTorch's drop-the-last-window rule: the model claims
    ceil mode only where the count really grows (else the checker would see other shapes)."""
    x = image(shape=(1, 1, 5, 6))
    # size 5, k 2, s 2, pad 1: ceil would add a window starting in the padding -> dropped.
    y = nn.max_pool2d(x, 2, stride=2, padding=1, ceil_mode=True)
    fgraph = fgraph_of([x], [y])
    assert_matches_pytensor(fgraph, [rand(1, 1, 5, 6)])
    pool = compile_checked(fgraph).to_onnx().graph.node[0]
    attrs = {a.name: a for a in pool.attribute}
    assert attrs["ceil_mode"].i == 0
    assert y.type.shape == (1, 1, 3, 4)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "float16", "float64"])
def test_max_pool_dtypes(dtype):
    x = image(shape=(1, 2, 7, 7), dtype=dtype)
    info = np.iinfo(dtype) if dtype.startswith(("int", "uint")) else None
    data = (
        RNG.integers(info.min, info.max, size=(1, 2, 7, 7), endpoint=True).astype(dtype)
        if info
        else rand(1, 2, 7, 7, dtype=dtype)
    )
    check([x], [nn.max_pool2d(x, 3, stride=2, padding=1)], [data])


def test_sppf_cascade():
    """YOLO's SPPF: three chained 5x5 max pools (stride 1, padding 2) and a concat."""
    x = image(shape=(1, 8, 10, 10))
    p1 = nn.max_pool2d(x, 5, stride=1, padding=2)
    p2 = nn.max_pool2d(p1, 5, stride=1, padding=2)
    p3 = nn.max_pool2d(p2, 5, stride=1, padding=2)
    y = pt.concatenate([x, p1, p2, p3], axis=1)
    assert check([x], [y], [rand(1, 8, 10, 10)]) == Counter({"MaxPool": 3, "Concat": 1})


def test_global_pools():
    x = image(shape=(None, 4, None, None))
    outs = [nn.global_max_pool2d(x), nn.global_avg_pool2d(x)]
    for shape in [(2, 4, 5, 3), (1, 4, 1, 7)]:
        check([x], outs, [rand(*shape)])


# -- resize ------------------------------------------------------------------------------------


def test_fpn_upsample_and_concat():
    """The YOLO head: nearest 2x upsampling and a channel concat, one Resize node."""
    x = image(shape=(None, 4, 5, 6))
    skip = image("skip", shape=(None, 2, 10, 12))
    y = pt.concatenate([nn.upsample_nearest2d(x), skip], axis=1)
    counts = check([x, skip], [y], [rand(2, 4, 5, 6), rand(2, 2, 10, 12)])
    assert counts == Counter({"Resize": 1, "Concat": 1})


COORDINATE_MODES = [
    "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
]  # fmt: skip
SCALINGS = [
    {"scale_factor": 2},
    {"scale_factor": (0.5, 3)},
    {"scale_factor": (1.7, 0.6)},
    {"size": (7, 3)},
    {"size": (13, 11)},
]


@pytest.mark.parametrize("mode", ["linear", "cubic"])
@pytest.mark.parametrize("ctm", COORDINATE_MODES)
@pytest.mark.parametrize("scaling", SCALINGS)
def test_bilinear_and_bicubic(mode, ctm, scaling):
    x = image(shape=(1, 2, 6, 5))
    y = nn.resize(x, mode=mode, coordinate_transformation_mode=ctm, **scaling)
    check([x], [y], [rand(1, 2, 6, 5)])


@pytest.mark.parametrize(
    "nearest_mode", ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]
)
@pytest.mark.parametrize("ctm", COORDINATE_MODES)
@pytest.mark.parametrize("scaling", SCALINGS)
def test_nearest(nearest_mode, ctm, scaling):
    x = image(shape=(1, 2, 6, 5))
    y = nn.resize(x, coordinate_transformation_mode=ctm, nearest_mode=nearest_mode, **scaling)
    data = np.arange(60, dtype="float32").reshape(1, 2, 6, 5)  # every pixel distinct
    check([x], [y], [data], rtol=0, atol=0)


def test_resize_where_onnx_runtime_disagrees_uses_tables():
    """align_corners with a fractional in * scale: ORT divides by the integer output length,
    the op by in * scale. The lowering writes the interpolation as constant tables instead."""
    x = image(shape=(1, 2, 6, 5))
    y = nn.resize(x, scale_factor=(1.7, 0.6), mode="linear",
                  coordinate_transformation_mode="align_corners")  # fmt: skip
    counts = check([x], [y], [rand(1, 2, 6, 5)])
    assert "Resize" not in counts and counts["Einsum"] == 1


@pytest.mark.parametrize("dtype", ["float64", "int64", "float16", "uint8"])
def test_resize_dtypes(dtype):
    x = image(shape=(1, 2, 4, 3), dtype=dtype)
    data = (np.arange(24) * 3 - 20).astype(dtype).reshape(1, 2, 4, 3)
    outs = [nn.upsample_nearest2d(x, 3)]
    if dtype.startswith("float"):
        outs.append(nn.resize(x, scale_factor=2, mode="linear"))
    check([x], outs, [data], rtol=1e-3 if dtype == "float16" else None)


def test_resize_symbolic_spatial_size():
    """Integer scales with a size-free coordinate map work for any input size."""
    x = image(shape=(None, 2, None, None))
    outs = [nn.upsample_nearest2d(x), nn.resize(x, scale_factor=2, mode="linear")]
    fgraph = fgraph_of([x], outs)
    for shape in [(1, 2, 3, 4), (2, 2, 5, 2)]:
        assert_matches_pytensor(fgraph, [rand(*shape)])


def test_resize_symbolic_size_that_needs_tables_is_refused():
    x = image(shape=(1, 2, None, None))
    y = nn.resize(x, scale_factor=1.5, coordinate_transformation_mode="align_corners")
    with pytest.raises(UnsupportedOpError, match="symbolic spatial size"):
        compile_checked(fgraph_of([x], [y]))


# -- batch norm --------------------------------------------------------------------------------


def _bn_params(c: int, dtype="float32"):
    return [
        rand(c, dtype=dtype),
        rand(c, dtype=dtype),
        rand(c, dtype=dtype),
        (np.abs(rand(c)) + 0.1).astype(dtype),
    ]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("rank", [2, 3, 4, 5])
def test_batch_norm_alone(rank, dtype):
    """Not after a conv: ONNX BatchNormalization (any rank >= 2)."""
    shape = (2, 3, 4, 2, 3)[:rank]
    x = pt.tensor("x", dtype=dtype, shape=shape)
    y = nn.batch_norm(x, *_bn_params(3, dtype), eps=1e-3)
    tol = {"rtol": 5e-3, "atol": 5e-3} if dtype == "float16" else {}
    counts = check([x], [y], [rand(*shape, dtype=dtype)], **tol)
    assert counts["BatchNormalization"] == 1


def test_batch_norm_with_run_time_statistics_is_not_folded():
    x = image(shape=(1, 3, 5, 5))
    stats = [pt.tensor(n, dtype="float32", shape=(4,)) for n in ("g", "b", "m", "v")]
    y = nn.batch_norm(nn.conv2d(x, rand(4, 3, 3, 3)), *stats)
    params = _bn_params(4)
    counts = check([x, *stats], [y], [rand(1, 3, 5, 5), *params])
    assert counts == Counter({"Conv": 1, "BatchNormalization": 1})


def test_conv_batch_norm_silu_folds():
    """Conv → BatchNorm → SiLU with constant statistics: one Conv (with bias) and SiLU's
    Sigmoid + Mul, no BatchNormalization, same numbers."""
    x = image(shape=(None, 3, 12, 12))
    shared = [pytensor.shared(p) for p in _bn_params(8)]
    conv = nn.conv2d(x, pytensor.shared(rand(8, 3, 3, 3)), stride=2, padding=1)
    y = nn.silu(nn.batch_norm(conv, *shared, eps=1e-3))
    fgraph = FunctionGraph(outputs=[y], clone=True)  # the shared weights become constants
    assert_matches_pytensor(fgraph, [rand(2, 3, 12, 12)], rtol=1e-5, atol=1e-5)
    assert node_types(fgraph) == Counter({"Conv": 1, "Sigmoid": 1, "Mul": 1})
