"""pytensor.tensor.signal.convolve2d end to end: one tir.conv {flip = true} per Blockwise,
batch axes as the conv's batch, groups and output channels, the multi-channel idiom as one
standard Conv, and the refusals (run-time mode, mixed valid sizes, integers, float16).

Graphs are built with floatX = float32 (convolve2d's "same" mode pads in1 with PyTensor's Pad,
which builds its result in floatX); float64, ONNX Runtime's Conv lacks and the lowering builds
from window taps, is tested in test_nn_float64.py.
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st
from pytensor.tensor.blockwise import Blockwise
from pytensor.tensor.signal import convolve2d
from pytensor.tensor.signal.conv import Convolve2d

from compiler import CompileOptions, Compiler, UnsupportedOpError
from ir.printer import print_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of
from tests.passes.support import ir

MODES = ("valid", "full", "same")
#: Sobel's horizontal-gradient kernel: antisymmetric, so a missing flip negates the result.
SOBEL_X = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]], dtype="float32")
SOBEL_Y = np.ascontiguousarray(SOBEL_X.T)


@pytest.fixture(autouse=True)
def _float32_floatx():
    with pytensor.config.change_flags(floatX="float32"):
        yield


def rand(shape, seed: int = 0, dtype: str = "float32") -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def onnx_op_types(fgraph) -> list[str]:
    return [node.op_type for node in compile_checked(fgraph).to_onnx().graph.node]


def check(inputs, output, feeds) -> list[str]:
    """ONNX Runtime and the interpreter against PyTensor; returns the ONNX op types."""
    fgraph = fgraph_of(inputs, [output])
    assert_matches_pytensor(fgraph, feeds)
    return onnx_op_types(fgraph)


# -- kernels: constant, shared, run-time ------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kernel", [SOBEL_X, SOBEL_Y], ids=["sobel-x", "sobel-y"])
def test_signal_conv_constant_kernel(mode, kernel):
    x = pt.matrix("x", shape=(7, 9))
    op_types = check([x], convolve2d(x, pt.constant(kernel), mode=mode), [rand((7, 9))])
    assert op_types.count("Conv") == 1
    assert "Slice" not in op_types and "Pad" not in op_types  # flipped now, pads in the Conv


@pytest.mark.parametrize("mode", MODES)
def test_signal_conv_shared_kernel(mode):
    x = pt.matrix("x", shape=(None, None))
    kernel = pytensor.shared(SOBEL_X, name="sobel")  # a graph input, fed no array: a weight
    op_types = check([x, kernel], convolve2d(x, kernel, mode=mode), [rand((6, 8))])
    assert op_types.count("Conv") == 1 and "Slice" not in op_types


@pytest.mark.parametrize("mode", MODES)
def test_signal_conv_run_time_kernel(mode):
    x, k = pt.matrix("x", shape=(7, 9)), pt.matrix("k", shape=(3, 2))
    op_types = check([x, k], convolve2d(x, k, mode=mode), [rand((7, 9)), rand((3, 2), 1)])
    assert op_types.count("Conv") == 1 and "Slice" in op_types  # the kernel reversed at run time


def test_signal_conv_run_time_kernel_of_symbolic_size():
    """ "same" widths then depend on the kernel's run-time size: PyTensor's padding graph."""
    x, k = pt.matrix("x"), pt.matrix("k")
    feeds = [rand((7, 9)), rand((4, 3), 1)]
    assert check([x, k], convolve2d(x, k, mode="same"), feeds).count("Conv") == 1


@pytest.mark.parametrize("kernel_shape", [(2, 2), (4, 2), (2, 3), (1, 4)])
def test_signal_conv_even_kernel_same(kernel_shape):
    """scipy centres "same" on the full result: the extra row/column is padded before."""
    x = pt.matrix("x", shape=(6, 7))
    out = convolve2d(x, pt.constant(rand(kernel_shape, 2)), mode="same")
    check([x], out, [rand((6, 7))])


def test_signal_conv_symbolic_image_size():
    x = pt.matrix("x")
    for mode in MODES:
        check([x], convolve2d(x, pt.constant(SOBEL_X), mode=mode), [rand((5, 11))])


@pytest.mark.parametrize("mode", ["same", "full"])
@pytest.mark.parametrize("boundary, fill", [("fill", 1.5), ("wrap", 0), ("symm", 0)])
def test_signal_conv_other_boundaries(mode, boundary, fill):
    """Other boundaries pad in1 first (PyTensor's Pad), then a "valid" convolution."""
    x = pt.matrix("x", shape=(6, 7))
    out = convolve2d(x, pt.constant(rand((3, 2), 3)), mode=mode, boundary=boundary, fillvalue=fill)
    assert check([x], out, [rand((6, 7))]).count("Conv") == 1


# -- batch axes --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_signal_conv_batched_images_one_kernel(mode):
    x = pt.tensor3("x", shape=(None, 7, 9))
    op_types = check([x], convolve2d(x, pt.constant(SOBEL_X), mode=mode), [rand((3, 7, 9))])
    assert op_types.count("Conv") == 1


def test_signal_conv_two_batch_axes_one_kernel():
    x = pt.tensor4("x", shape=(2, 3, 6, 5))
    check([x], convolve2d(x, pt.constant(SOBEL_Y), mode="full"), [rand((2, 3, 6, 5))])


def test_signal_conv_kernel_batch_is_output_channels():
    """One image, a batch of kernels: one Conv with the kernels as its output channels."""
    x, k = pt.matrix("x", shape=(8, 9)), pt.tensor3("k", shape=(5, 3, 2))
    op_types = check([x, k], convolve2d(x, k, mode="full"), [rand((8, 9)), rand((5, 3, 2), 1)])
    assert op_types.count("Conv") == 1 and "Expand" not in op_types


def test_signal_conv_paired_batches_are_groups():
    x, k = pt.tensor3("x", shape=(4, 8, 9)), pt.tensor3("k", shape=(4, 3, 3))
    op_types = check([x, k], convolve2d(x, k, mode="valid"), [rand((4, 8, 9)), rand((4, 3, 3), 1)])
    (conv,) = [n for n in compile_checked(fgraph_of([x, k], [convolve2d(x, k)])).to_onnx()
               .graph.node if n.op_type == "Conv"]  # fmt: skip
    assert {a.name: a.i for a in conv.attribute}["group"] == 4
    assert op_types.count("Conv") == 1


def test_signal_conv_mixed_batch_axes_need_a_transpose():
    """Axis 0 pairs (groups), axis 1 is the images', axis 2 the kernels': regrouped to
    (images, groups, H, W) and back. (Not "same": PyTensor's Pad forgets the unit axis of x,
    and its Blockwise then refuses to broadcast it at run time.)"""
    x, k = pt.tensor("x", shape=(3, 2, 1, 6, 7)), pt.tensor("k", shape=(3, 1, 4, 2, 3))
    feeds = [rand((3, 2, 1, 6, 7)), rand((3, 1, 4, 2, 3), 1)]
    for mode in ("valid", "full"):
        op_types = check([x, k], convolve2d(x, k, mode=mode), feeds)
        assert op_types.count("Conv") == 1 and "Transpose" in op_types


def test_signal_conv_broadcast_batch_of_symbolic_size():
    x, k = pt.tensor3("x", shape=(None, 6, 7)), pt.tensor3("k", shape=(1, 3, 3))
    check([x, k], convolve2d(x, k, mode="same"), [rand((2, 6, 7)), rand((1, 3, 3), 1)])


def test_signal_conv_bare_core_op():
    """A Convolve2d without its Blockwise (as PyTensor's rewrites leave it)."""
    x, k = pt.matrix("x", shape=(6, 6)), pt.matrix("k", shape=(2, 3))
    out = Convolve2d()(x, k, pt.as_tensor(np.bool_(True)))
    assert not isinstance(out.owner.op, Blockwise)
    check([x, k], out, [rand((6, 6)), rand((2, 3), 1)])


# -- valid mode: which operand is the kernel -----------------------------------------------------


def test_signal_conv_valid_kernel_larger_than_input_swaps():
    x, k = pt.matrix("x", shape=(3, 2)), pt.matrix("k", shape=(6, 5))
    check([x, k], convolve2d(x, k, mode="valid"), [rand((3, 2)), rand((6, 5), 1)])


def test_signal_conv_valid_equal_sizes():
    x, k = pt.matrix("x", shape=(4, 3)), pt.matrix("k", shape=(4, 3))
    check([x, k], convolve2d(x, k, mode="valid"), [rand((4, 3)), rand((4, 3), 1)])


def test_signal_conv_valid_mixed_sizes_are_refused():
    x, k = pt.matrix("x", shape=(3, 6)), pt.matrix("k", shape=(5, 2))
    with pytest.raises(UnsupportedOpError, match="neither is at least as large"):
        compile_checked(fgraph_of([x, k], [convolve2d(x, k, mode="valid")]))


def test_signal_conv_full_with_kernel_of_symbolic_size_uses_the_static_operand():
    x, k = pt.matrix("x", shape=(3, 2)), pt.matrix("k")
    check([x, k], convolve2d(x, k, mode="full"), [rand((3, 2)), rand((5, 4), 1)])


def test_signal_conv_full_of_two_symbolic_sizes_is_refused():
    x, k = pt.matrix("x"), pt.matrix("k")
    with pytest.raises(UnsupportedOpError, match="'full' mode of two operands of symbolic size"):
        compile_checked(fgraph_of([x, k], [convolve2d(x, k, mode="full")]))


# -- the multi-channel idiom -----------------------------------------------------------------


def multichannel(mode: str, x_shape=(None, 3, 8, 9), w_shape=(4, 3, 3, 2)):
    x, w = pt.tensor4("x", shape=x_shape), pt.tensor4("w", shape=w_shape)
    return x, w, convolve2d(x[:, None], w[None], mode=mode)


@pytest.mark.parametrize("mode", ["valid", "full"])
@pytest.mark.parametrize("axis", [2, -3])
def test_signal_conv_multichannel_idiom_is_one_conv(mode, axis):
    x, w, per_channel = multichannel(mode)
    feeds = [rand((2, 3, 8, 9)), rand((4, 3, 3, 2), 1)]
    assert check([x, w], per_channel.sum(axis=axis), feeds).count("Conv") == 1
    fgraph = fgraph_of([x, w], [per_channel.sum(axis=axis)])
    (conv,) = [n for n in compile_checked(fgraph).to_onnx().graph.node if n.op_type == "Conv"]
    assert {a.name: a.i for a in conv.attribute}.get("group", 1) == 1


def test_signal_conv_multichannel_idiom_keepdims():
    x, w, per_channel = multichannel("valid")
    out = per_channel.sum(axis=2, keepdims=True)
    assert check([x, w], out, [rand((2, 3, 8, 9)), rand((4, 3, 3, 2), 1)]).count("Conv") == 1


def test_signal_conv_multichannel_idiom_same_mode():
    """PyTensor's own graph raises at run time here (its Pad forgets that axis 1 has size 1,
    and Blockwise refuses to broadcast it), so the model is checked against scipy."""
    x, w, per_channel = multichannel("same")
    result = compile_checked(fgraph_of([x, w], [per_channel.sum(axis=2)]))
    op_types = [n.op_type for n in result.to_onnx().graph.node]
    assert op_types.count("Conv") == 1 and "Pad" not in op_types
    xs, ws = rand((2, 3, 8, 9)), rand((4, 3, 3, 2), 1)
    expected = np.array([[sum(scipy.signal.convolve(xs[n, c], ws[o, c], mode="same")
                              for c in range(3)) for o in range(4)] for n in range(2)])  # fmt: skip
    (got,) = result.run(xs, ws)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_signal_conv_sum_over_another_axis_stays_a_reduction():
    x, w, per_channel = multichannel("valid")
    op_types = check([x, w], per_channel.sum(axis=1), [rand((2, 3, 8, 9)), rand((4, 3, 3, 2), 1)])
    assert op_types.count("Conv") == 1 and "ReduceSum" in op_types


def test_signal_conv_channel_broadcast_is_not_the_idiom():
    """One image channel against three kernel channels: the sum broadcasts the image."""
    x, w, per_channel = multichannel("valid", x_shape=(2, 1, 8, 9))
    op_types = check([x, w], per_channel.sum(axis=2), [rand((2, 1, 8, 9)), rand((4, 3, 3, 2), 1)])
    assert "ReduceSum" in op_types


# -- dtypes and refusals -------------------------------------------------------------------------


def test_signal_conv_integer_image_float_kernel_computes_in_float():
    x = pt.matrix("x", dtype="int16", shape=(6, 7))
    out = convolve2d(x, pt.constant(SOBEL_X), mode="same")
    assert out.dtype == "float32"
    check([x], out, [np.random.default_rng(0).integers(-100, 100, (6, 7)).astype("int16")])


def test_signal_conv_integers_are_refused():
    x, k = pt.matrix("x", dtype="int32"), pt.matrix("k", dtype="int32")
    with pytest.raises(UnsupportedOpError, match="convolve2d of int32: scipy"):
        compile_checked(fgraph_of([x, k], [convolve2d(x, k, mode="valid")]))


def test_signal_conv_float16_is_refused():
    x, k = pt.matrix("x", dtype="float16"), pt.matrix("k", dtype="float16")
    with pytest.raises(UnsupportedOpError, match="no float16 kernel"):
        compile_checked(fgraph_of([x, k], [convolve2d(x, k, mode="valid")]))


def test_signal_conv_run_time_mode_is_refused():
    x, k, full = pt.matrix("x"), pt.matrix("k"), pt.scalar("full", dtype="bool")
    out = Blockwise(Convolve2d())(x, k, full)
    with pytest.raises(UnsupportedOpError, match=r"mode \(full_mode\) known only at run time"):
        compile_checked(fgraph_of([x, k, full], [out]))


# -- property ----------------------------------------------------------------------------------


@st.composite
def conv_cases(draw):
    """Small images and kernels with one optional batch axis on either side."""
    mode = draw(st.sampled_from(MODES))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    kh, kw = draw(st.integers(1, h)), draw(st.integers(1, w))
    if mode == "valid" and draw(st.booleans()):
        (h, w), (kh, kw) = (kh, kw), (h, w)  # a kernel larger than the image: swapped
    batches = [((), ()), ((2,), ()), ((2,), (2,)), ((2,), (1,))]
    if mode != "same":  # PyTensor's "same" cannot pad an image of lower rank than the kernel
        batches.append(((), (3,)))
    batch = draw(st.sampled_from(batches))
    return mode, (*batch[0], h, w), (*batch[1], kh, kw)


@settings(max_examples=25, deadline=None)
@given(conv_cases())
def test_signal_conv_matches_pytensor_property(case):
    mode, image_shape, kernel_shape = case
    x = pt.tensor("x", dtype="float32", shape=image_shape)
    k = pt.tensor("k", dtype="float32", shape=kernel_shape)
    feeds = [rand(image_shape), rand(kernel_shape, 1)]
    assert check([x, k], convolve2d(x, k, mode=mode), feeds).count("Conv") == 1


# -- the IR ------------------------------------------------------------------------------------


def test_signal_conv_same_mode_ir():
    """Batched images, one constant kernel, "same": the frontend moves the zero pad after the
    NCHW regrouping, fold-pad-into-conv merges it into the conv's pads, flip-conv-kernels
    reverses the constant kernel: one cross-correlation between an unsqueeze and a squeeze."""
    x = pt.tensor3("x", shape=(None, 6, 7))
    out = convolve2d(x, pt.constant(SOBEL_X), mode="same")
    result = Compiler(CompileOptions(keep_dumps=True)).compile(fgraph_of([x], [out]))
    frontend, final = result.dumps["00-input"], print_module(result.module)
    assert frontend.count("tir.pad") == 2  # the original, now dead, and the NCHW one
    assert final == ir(
        """
        func @main(%x: f32[x_0, 6, 7]) {
          %0 = tir.unsqueeze %x {axes = [1]} : f32[x_0, 1, 6, 7]
          %1 = tir.constant dense<[[[[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]]]> : f32[1, 1, 3, 3]
          %2 = tir.conv %0, %1 {auto_pad = "explicit", dilations = [1, 1], flip = false, group = 1, pads = [1, 1, 1, 1], strides = [1, 1]} : f32[x_0, 1, 6, 7]
          %3 = tir.squeeze %2 {axes = [1]} : f32[x_0, 6, 7]
          return %3 : "output_0"
        }
        """  # noqa: E501
    )
