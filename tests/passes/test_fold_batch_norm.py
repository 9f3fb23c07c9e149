"""`fold-batch-norm`: a batch norm with constant statistics after a convolution with a
constant kernel folds into the kernel and bias (float rounding aside, the same numbers)."""

from __future__ import annotations

import numpy as np

from compiler.testing import run_passes
from ir.interpreter import run_module
from ir.parser import parse_module
from tests.passes.support import assert_unchanged, ir

PASS = "fold-batch-norm"
RNG = np.random.default_rng(5)


def _dense(array: np.ndarray) -> str:
    return "dense<" + np.array2string(array.astype(np.float64), separator=", ",
                                      floatmode="unique").replace("\n", "") + ">"  # fmt: skip


def conv_bn(*, bias: bool, extra_user: bool = False, runtime_stats: bool = False) -> str:
    w = RNG.standard_normal((3, 2, 2, 2)).astype(np.float32)
    stats = [RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal(3),
             np.abs(RNG.standard_normal(3)) + 0.5]  # fmt: skip
    names = ["%g", "%beta", "%mean", "%var"]
    args = "%x: f32[2, 2, 5, 5]" + (", %g: f32[3], %beta: f32[3], %mean: f32[3], %var: f32[3]"
                                    if runtime_stats else "")  # fmt: skip
    lines = [f"%w = tir.constant {_dense(w)} : f32[3, 2, 2, 2]"]
    if not runtime_stats:
        lines += [f"{n} = tir.constant {_dense(s.astype(np.float32))} : f32[3]"
                  for n, s in zip(names, stats, strict=True)]  # fmt: skip
    conv_bias = ""
    if bias:
        lines.append(f"%b = tir.constant {_dense(RNG.standard_normal(3))} : f32[3]")
        conv_bias = ", %b"
    lines.append(f'%0 = tir.conv %x, %w{conv_bias} {{auto_pad = "explicit", dilations = [1, 1], '
                 'flip = false, group = 1, pads = [1, 1, 0, 0], strides = [1, 1]} '
                 ": f32[2, 3, 5, 5]")  # fmt: skip
    lines.append("%1 = tir.batch_norm %0, %g, %beta, %mean, %var {epsilon = 0.001} "
                 ": f32[2, 3, 5, 5]")  # fmt: skip
    outputs = '%1 : "y"' + (', %0 : "conv"' if extra_user else "")
    if extra_user:
        outputs = '%1, %0 : "y", "conv"'
    body = "\n".join("  " + line for line in lines)
    return f"func @main({args}) {{\n{body}\n  return {outputs}\n}}\n"


def _run(source: str, feeds) -> list[np.ndarray]:
    return run_module(parse_module(source), feeds)


def test_folds_into_kernel_and_new_bias():
    source = conv_bn(bias=False)
    folded = run_passes(source, [PASS, "dce"])
    assert "tir.batch_norm" not in folded
    assert folded.count("tir.conv") == 1
    assert "%w_bn_folded" in folded and "%beta_bn_folded" in folded
    x = RNG.standard_normal((2, 2, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(_run(folded, [x])[0], _run(source, [x])[0], rtol=1e-5, atol=1e-5)


def test_folds_with_an_existing_conv_bias():
    source = conv_bn(bias=True)
    folded = run_passes(source, [PASS, "dce"])
    assert "tir.batch_norm" not in folded
    x = RNG.standard_normal((2, 2, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(_run(folded, [x])[0], _run(source, [x])[0], rtol=1e-5, atol=1e-5)


def test_not_folded_when_the_conv_has_other_users():
    assert_unchanged(parse_and_print(conv_bn(bias=False, extra_user=True)), PASS)


def test_not_folded_with_run_time_statistics():
    assert_unchanged(parse_and_print(conv_bn(bias=False, runtime_stats=True)), PASS)


def parse_and_print(source: str) -> str:
    from ir.printer import print_module

    return ir(print_module(parse_module(source)))
