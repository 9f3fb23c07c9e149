"""float64 convolution and average pooling end to end. ONNX Runtime has no float64 Conv or
AveragePool kernel, so the lowering sums the window taps (strided Slices of the padded input)
in float64: against the kernel through Einsum, or divided by constant window sizes. ONNX
Runtime and the IR interpreter against PyTensor, the ONNX node counts, and the refusals.

Expected values always come from PyTensor (the ops' numpy ``perform``).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.tensor.signal import convolve2d

import nn
from ir.diagnostics import UnsupportedOpError
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of

#: The taps are summed in another order than numpy's (ORT's Einsum blocks its products, the
#: reference uses tensordot or einsum; ReduceSum against numpy's pairwise sum). The data are
#: standard normal, so an output sums at most a few hundred products of size ~1 into partial
#: sums below ~100: the order moves it by a few of their ulps (measured: up to 1.4e-14 for a
#: 5x5 kernel, often 0). 1e-12 leaves room for that yet is six orders below float32's
#: resolution at these sizes (~1e-6), so a computation in float32 would fail.
F64 = {"rtol": 1e-12, "atol": 1e-12}
SOBEL_X = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype="float64")
RNG = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def _float64_floatx():
    """PyTensor's default: signal.convolve2d's "same" mode pads in floatX."""
    with pytensor.config.change_flags(floatX="float64"):
        yield


def rand(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def image(name: str = "x", shape: Sequence[int | None] = (2, 3, 9, 11)):
    return pt.tensor(name, dtype="float64", shape=tuple(shape))


def node_types(fgraph) -> Counter:
    return Counter(n.op_type for n in compile_checked(fgraph).to_onnx().graph.node)


def check(inputs, outputs, *feed_sets: Sequence[np.ndarray]) -> Counter:
    """Match PyTensor through ONNX Runtime and the interpreter on each set of feeds; return
    the ONNX op counts. No Conv or AveragePool may be left."""
    fgraph = fgraph_of(inputs, outputs)
    for feeds in feed_sets:
        assert_matches_pytensor(fgraph, list(feeds), **F64)
    counts = node_types(fgraph)
    assert not {"Conv", "AveragePool", "Cast"} & set(counts)
    return counts


# -- convolution -------------------------------------------------------------------------------


def test_f64_conv_3x3_nodes():
    """A padded 3x3 convolution: Pad, one Slice per tap on the unsqueezed input, the taps
    concatenated, the kernel reshaped, one Einsum."""
    x = image()
    counts = check([x], [nn.conv2d(x, rand(4, 3, 3, 3), padding=1)], [rand(2, 3, 9, 11)])
    assert counts == Counter(
        {"Slice": 9, "Pad": 1, "Unsqueeze": 1, "Concat": 1, "Reshape": 1, "Einsum": 1}
    )


@pytest.mark.parametrize(
    "padding",
    [0, 1, 2, (1, 2), ((0, 2), (1, 0)), ((2, 1), (0, 3)), "valid", "same", "full"],
)
@pytest.mark.parametrize("kernel", [(3, 3), (2, 4), (1, 2), (1, 1)])
def test_f64_conv_padding_forms(padding, kernel):
    x = image()
    check([x], [nn.conv2d(x, rand(4, 3, *kernel), padding=padding)], [rand(2, 3, 9, 11)])


@pytest.mark.parametrize(
    ("stride", "dilation"), list(itertools.product([1, 2, (3, 1)], [1, 2, (1, 3)]))
)
@pytest.mark.parametrize("padding", [0, "same", ((1, 0), (0, 2))])
def test_f64_conv_strides_and_dilation(stride, dilation, padding):
    x = image(shape=(2, 2, 12, 13))
    y = nn.conv2d(x, rand(3, 2, 2, 3), stride=stride, dilation=dilation, padding=padding)
    check([x], [y], [rand(2, 2, 12, 13)])


#: (channels, outputs, groups, bias): plain, grouped, depthwise, depthwise with a multiplier.
GROUPINGS = [
    (4, 8, 1, True), (4, 6, 2, False), (6, 4, 2, True), (6, 6, 3, True),
    (4, 4, 4, False), (4, 4, 4, True), (3, 6, 3, False), (3, 6, 3, True),
]  # fmt: skip


@pytest.mark.parametrize(("channels", "out", "groups", "bias"), GROUPINGS)
def test_f64_conv_groups_depthwise_and_bias(channels, out, groups, bias):
    x = image(shape=(3, channels, 6, 7))
    w = rand(out, channels // groups, 2, 3)
    y = nn.conv2d(x, w, rand(out) if bias else None, stride=(1, 2), padding=1, groups=groups,
                  filter_flip=True)  # fmt: skip
    counts = check([x], [y], [rand(3, channels, 6, 7)])
    assert counts["Einsum"] == 1 and counts["Slice"] == 6
    assert counts["Add"] == int(bias)


@pytest.mark.parametrize("groups", [1, 3])
def test_f64_conv_symbolic_batch_and_spatial_sizes(groups):
    """One model for several sizes, an empty batch included (no -1 in a Reshape target: ORT
    cannot infer it from an empty tensor)."""
    x = image(shape=(None, 6, None, None))
    y = nn.conv2d(x, rand(6, 6 // groups, 3, 2), rand(6), stride=(2, 1), dilation=(1, 2),
                  padding=((1, 0), (2, 1)), groups=groups)  # fmt: skip
    shapes = [(2, 6, 9, 11), (1, 6, 4, 3), (0, 6, 5, 6), (3, 6, 2, 3)]
    check([x], [y], *[[rand(*s)] for s in shapes])


def test_f64_conv_same_stride_1_over_symbolic_sizes():
    """Stride 1: "same" pads do not depend on the size, so they are explicit."""
    x = image(shape=(None, 3, None, None))
    y = nn.conv2d(x, rand(4, 3, 4, 3), padding="same")
    check([x], [y], [rand(2, 3, 9, 8)], [rand(1, 3, 3, 5)])


def test_f64_conv_run_time_kernel_of_symbolic_channels():
    x, w = image(shape=(None, None, 7, 6)), image("w", shape=(None, None, 3, 3))
    y = nn.conv2d(x, w, padding=1)
    check([x, w], [y], [rand(2, 3, 7, 6), rand(4, 3, 3, 3)], [rand(0, 2, 7, 6), rand(5, 2, 3, 3)])


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("kernel", ["constant", "runtime"])
def test_f64_sobel_kernel(flip, kernel):
    """An asymmetric kernel tells a convolution from a cross-correlation."""
    x = image(shape=(1, 1, 8, 7))
    if kernel == "constant":
        w, inputs, feeds = pt.constant(SOBEL_X[None, None]), [x], [rand(1, 1, 8, 7)]
    else:
        w = image("w", shape=(1, 1, 3, 3))
        inputs, feeds = [x, w], [rand(1, 1, 8, 7), SOBEL_X[None, None]]
    counts = check(inputs, [nn.conv2d(x, w, padding=1, filter_flip=flip)], feeds)
    # The 9 taps, and for a run-time kernel the flip's Slice.
    assert counts["Slice"] == (10 if flip and kernel == "runtime" else 9)


@st.composite
def conv_windows(draw):
    """A kernel, dilation, pads [top, left, bottom, right], an image size the window fits in
    once padded, and a stride."""
    kernel = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    dilation = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    pads = draw(st.lists(st.integers(0, 2), min_size=4, max_size=4))
    size = tuple(
        draw(st.integers(max(1, d * (k - 1) + 1 - pads[a] - pads[a + 2]), 9))
        for a, (k, d) in enumerate(zip(kernel, dilation, strict=True))
    )
    stride = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    return kernel, dilation, pads, size, stride


@settings(max_examples=25, deadline=None)
@given(conv_windows(), st.sampled_from([1, 2]))
def test_f64_conv_property(window, groups):
    kernel, dilation, (top, left, bottom, right), size, stride = window
    x = image(shape=(1, 4, *size))
    y = nn.conv2d(x, rand(2, 4 // groups, *kernel), stride=stride, dilation=dilation,
                  padding=((top, bottom), (left, right)), groups=groups)  # fmt: skip
    check([x], [y], [rand(1, 4, *size)])


# -- signal.convolve2d -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["valid", "full"])
def test_f64_signal_multichannel_idiom(mode):
    x, w = pt.tensor4("x", shape=(None, 3, 8, 9)), pt.tensor4("w", shape=(4, 3, 3, 2))
    assert x.dtype == "float64"
    y = convolve2d(x[:, None], w[None], mode=mode).sum(axis=2)
    counts = check([x, w], [y], [rand(2, 3, 8, 9), rand(4, 3, 3, 2)])
    assert counts["Einsum"] == 1 and "ReduceSum" not in counts


@pytest.mark.parametrize("mode", ["valid", "full", "same"])
@pytest.mark.parametrize("kernel", ["constant", "runtime"])
def test_f64_signal_convolve2d(mode, kernel):
    """The "same" mode pads in floatX (float64 here): it was refused before."""
    x = pt.matrix("x", shape=(7, 9))
    if kernel == "constant":
        k, inputs, feeds = pt.constant(SOBEL_X), [x], [rand(7, 9)]
    else:
        k = pt.matrix("k", shape=(3, 2))
        inputs, feeds = [x, k], [rand(7, 9), rand(3, 2)]
    assert check(inputs, [convolve2d(x, k, mode=mode)], feeds)["Einsum"] == 1


def test_f64_signal_convolve2d_batched_symbolic_sizes():
    x = pt.tensor3("x", shape=(None, None, None))
    y = convolve2d(x, pt.constant(SOBEL_X), mode="same")
    check([x], [y], [rand(2, 7, 9)], [rand(1, 4, 3)])


# -- average pooling ---------------------------------------------------------------------------


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize(
    ("kernel", "stride", "padding"),
    [(2, None, 0), (3, 2, 1), (3, 1, 1), (4, 3, 2), (3, 2, (1, 0)), ((3, 2), (2, 1), (1, 0))],
)
def test_f64_avg_pool(kernel, stride, padding, ceil_mode, count_include_pad):
    x = image(shape=(2, 3, 10, 9))
    y = nn.avg_pool2d(x, kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                      count_include_pad=count_include_pad)  # fmt: skip
    counts = check([x], [y], [rand(2, 3, 10, 9)])
    assert counts["ReduceSum"] == 1 and counts["Div"] == 1


def test_f64_avg_pool_ceil_mode_past_the_padding():
    """Size 6, kernel 3, stride 2, pad 1, ceil mode: the last window reaches past the bottom
    padding; its divisor stops at the padding (count_include_pad) or at the input."""
    x = image(shape=(1, 2, 6, 6))
    outs = [nn.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=c)
            for c in (True, False)]  # fmt: skip
    assert outs[0].type.shape == (1, 2, 4, 4)
    check([x], outs, [rand(1, 2, 6, 6)])


def test_f64_avg_pool_symbolic_batch():
    x = image(shape=(None, 3, 8, 7))
    y = nn.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
    check([x], [y], [rand(2, 3, 8, 7)], [rand(0, 3, 8, 7)])


@settings(max_examples=25, deadline=None)
@given(
    size=st.tuples(st.integers(2, 9), st.integers(2, 9)),
    k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    pads=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
    ceil_mode=st.booleans(),
    count_include_pad=st.booleans(),
)
def test_f64_avg_pool_property(size, k, stride, pads, ceil_mode, count_include_pad):
    top, bottom, left, right = pads
    if 2 * max(top, bottom) > k[0] or 2 * max(left, right) > k[1]:
        return
    if size[0] + top + bottom < k[0] or size[1] + left + right < k[1]:
        return
    x = image(shape=(1, 2, *size))
    y = nn.avg_pool2d(x, k, stride=stride, padding=((top, bottom), (left, right)),
                      ceil_mode=ceil_mode, count_include_pad=count_include_pad)  # fmt: skip
    check([x], [y], [rand(1, 2, *size)])


# -- refusals and the other dtypes -------------------------------------------------------------


def test_f64_conv_same_upper_over_symbolic_sizes_is_refused():
    """With a stride, "same" pads over symbolic sizes depend on the sizes."""
    x = image(shape=(1, 3, None, None))
    y = nn.conv2d(x, rand(2, 3, 3, 3), padding="same", stride=2)
    with pytest.raises(UnsupportedOpError, match=r"float64 tir\.conv \(same_upper\) of an "
                       "input of symbolic spatial size .*no float64 Conv"):  # fmt: skip
        compile_checked(fgraph_of([x], [y]))


def test_f64_avg_pool_over_symbolic_sizes_is_refused():
    x = image(shape=(None, 3, None, 8))
    with pytest.raises(UnsupportedOpError, match=r"float64 tir\.avg_pool of an input of "
                       "symbolic spatial size .*no float64 AveragePool"):  # fmt: skip
        compile_checked(fgraph_of([x], [nn.avg_pool2d(x, 2)]))


def test_f64_conv_kernel_of_symbolic_size_is_refused():
    x, w = image(shape=(1, 3, 8, 8)), image("w", shape=(2, 3, None, None))
    with pytest.raises(UnsupportedOpError, match=r"float64 tir\.conv with a kernel of "
                       "symbolic spatial size"):  # fmt: skip
        compile_checked(fgraph_of([x, w], [nn.conv2d(x, w)]))


def test_f64_grouped_conv_of_symbolic_channels_is_refused():
    x, w = image(shape=(1, None, 7, 6)), image("w", shape=(None, None, 3, 3))
    with pytest.raises(UnsupportedOpError, match="2 groups of a symbolic channel count"):
        compile_checked(fgraph_of([x, w], [nn.conv2d(x, w, groups=2)]))


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_narrower_floats_keep_conv_and_average_pool(dtype):
    x = pt.tensor("x", dtype=dtype, shape=(1, 3, 8, 8))
    y = nn.avg_pool2d(nn.conv2d(x, rand(4, 3, 3, 3).astype(dtype), padding=1), 2)
    counts = node_types(fgraph_of([x], [y]))
    assert counts["Conv"] == 1 and counts["AveragePool"] == 1 and "Einsum" not in counts
