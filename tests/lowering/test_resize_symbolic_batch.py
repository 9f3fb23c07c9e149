"""nn.resize to fixed sizes of a tensor whose batch or channel count is symbolic (issue 15,
item 7): the model reads N and C at run time, and one model serves every batch size."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest

import nn
from compiler.verify import compare_outputs, run_pytensor
from ir.interpreter import run_module
from tests.helpers import compile_checked, fgraph_of, ort_outputs

RNG = np.random.default_rng(15)


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("symbolic", ["batch", "channels", "both"])
def test_resize_sizes_symbolic_batch_or_channels(mode: str, dtype: str, symbolic: str) -> None:
    shape = {"batch": (None, 3, 4, 6), "channels": (2, None, 4, 6), "both": (None, None, 4, 6)}
    x = pt.tensor("x", shape=shape[symbolic], dtype=dtype)
    y = nn.resize(x, size=(5, 9), mode=mode)
    fgraph = fgraph_of([x], [y])
    result = compile_checked(fgraph)
    for n, c in [(1, 3), (2, 3), (5, 3)] if symbolic == "batch" else [(2, 1), (2, 4)]:
        if symbolic == "both":
            n = c + 1
        data = RNG.standard_normal((n, c, 4, 6)).astype(dtype)
        reference = run_pytensor(fgraph, result.input_vars, [data], mode="FAST_COMPILE")
        assert reference[0].shape == (n, c, 5, 9)
        for level, outs in ort_outputs(result, [data]).items():
            report = compare_outputs(result.output_names, outs, reference)
            assert report.ok, f"{level}, input {data.shape}:\n{report}"
        interpreted = compare_outputs(result.output_names, run_module(result.module, [data]),
                                      reference)  # fmt: skip
        assert interpreted.ok, f"interpreter, input {data.shape}:\n{interpreted}"
