"""Shape ops with symbolic dims: one model compiled for an unknown batch size, run at several
batch sizes, each checked against PyTensor; the named dim reaches the ONNX output shapes. And
the graphs the compiler refuses, with the reason in the error."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import Mode

from compiler import Compiler, UnsupportedOpError
from compiler.verify import compare_outputs
from ir.interpreter import run_module
from tests.helpers import compile_checked, fgraph_of

FAST_RUN = Mode(linker="py", optimizer="fast_run")


def onnx_output_dims(result) -> list[list[int | str]]:
    return [
        [d.dim_param if d.HasField("dim_param") else d.dim_value
         for d in output.type.tensor_type.shape.dim]
        for output in result.to_onnx().graph.output
    ]  # fmt: skip


def assert_runs_at_batch_sizes(fgraph, inputs, outputs, make_feeds, sizes) -> None:
    """One compile; for each batch size, ONNX Runtime and the interpreter against PyTensor."""
    result = compile_checked(fgraph, dim_names={"x": {0: "batch"}})
    reference = pytensor.function(inputs, outputs, mode="FAST_COMPILE")
    for size in sizes:
        feeds = make_feeds(size)
        want = reference(*feeds)
        for who, got in [("ONNX Runtime", result.run(*feeds)),
                         ("interpreter", run_module(result.module, feeds))]:  # fmt: skip
            report = compare_outputs(result.output_names, got, want)
            assert report.ok, f"batch {size}: {who} differs from PyTensor:\n{report}"
    return result


def _batch_graph():
    x = pt.tensor("x", shape=(None, 3, 4), dtype="float32")
    n = x.shape[0]
    outputs = [
        x.flatten(2),  # [batch, 12]
        x.reshape((n, 6, 2)),  # [batch, 6, 2]
        x.reshape((-1, 4)),  # [?, 4]
        pt.join_dims(x, 1),  # [batch, 12]
        pt.split_dims(x, (1, 3), axis=1),  # [batch, 1, 3, 4]
        pt.concatenate([x, x * 2], axis=0),
        *pt.split(x, [1, 2], n_splits=2, axis=1),  # [batch, 1, 4], [batch, 2, 4]
        pt.zeros((n, 2), dtype="int8"),  # [batch, 2]
        pt.arange(n),
        pt.eye(n, 3),  # [batch, 3]
        pt.tile(x, (2, 1, 1)),
        pt.repeat(x, 2, axis=0),
        pt.repeat(x, [2, 0, 1], axis=1),  # [batch, 3, 4]
        pt.repeat(x[:, 0, 0], pt.cast(x[:, 0, 1] > 0, "int64"), axis=0),
        x.shape,
        pt.stack([n, n * 2]),
    ]
    return x, outputs


def make_batch(size: int) -> list[np.ndarray]:
    data = np.arange(size * 12, dtype="float32").reshape(size, 3, 4) % 7 - 3
    return [data]


def test_one_model_runs_at_several_batch_sizes():
    x, outputs = _batch_graph()
    result = assert_runs_at_batch_sizes(fgraph_of([x], outputs), [x], outputs, make_batch, [1, 5])
    dims = onnx_output_dims(result)
    assert dims[0] == ["batch", 12]
    assert dims[1] == ["batch", 6, 2]
    assert dims[3] == ["batch", 12]
    assert dims[4] == ["batch", 1, 3, 4]
    assert dims[6] == ["batch", 1, 4] and dims[7] == ["batch", 2, 4]
    assert dims[8] == ["batch", 2]
    assert dims[10] == ["batch", 3]
    assert dims[13] == ["batch", 3, 4]
    # An empty batch, without the reshapes to -1 (numpy cannot tell -1 from 0 elements; nor
    # can PyTensor's JoinDims, which reshapes to -1 itself: the model gives (0, 12) there).
    kept = [o for i, o in enumerate(outputs) if i not in (0, 2, 3)]
    assert_runs_at_batch_sizes(fgraph_of([x], kept), [x], kept, make_batch, [0, 3])


def test_fast_run_graph_runs_at_several_batch_sizes():
    x, outputs = _batch_graph()
    fgraph = pytensor.function([x], outputs, mode=FAST_RUN).maker.fgraph
    result = assert_runs_at_batch_sizes(fgraph, [x], outputs, make_batch, [2, 7])
    assert onnx_output_dims(result)[0] == ["batch", 12]


# -- refusals --------------------------------------------------------------------------------------


def _refusal(inputs, outputs) -> UnsupportedOpError:
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(fgraph_of(inputs, outputs)).to_onnx()
    return info.value


def test_arange_refuses_bounds_it_would_round():
    n = pt.lscalar("n")
    d = pt.dscalar("d")
    err = _refusal([n, d], [pt.arange(n, dtype="float32"), pt.arange(d, dtype="float32")])
    assert len(err.ops) == 2
    assert all("ARange" in o.op and "float32" in o.reason for o in err.ops)
    assert "astype('float32')" in str(err) and "rounded" in str(err)


def test_arange_of_int64_bounds_in_float64_is_compiled():
    """int64 bounds in float64: PyTensor's C code takes every bound as a double too."""
    n = pt.lscalar("n")
    out = pt.arange(0.5, n)
    assert out.dtype == "float64"
    result = compile_checked(fgraph_of([n], [out]))
    want = pytensor.function([n], out, mode="FAST_COMPILE")(7)
    np.testing.assert_array_equal(result.run(np.int64(7))[0], want)


def test_reshape_to_zero_and_minus_one_is_refused():
    x = pt.matrix("x")
    err = _refusal([x], [x.reshape((0, -1))])
    assert "ambiguous" in str(err)


def test_shape_values_beyond_int64_are_refused():
    big = pt.constant(np.uint64(2**63 + 1))
    err = _refusal([], [pt.basic.Alloc()(np.float32(0), big)])
    assert "does not fit in int64" in str(err)
    u = pt.scalar("u", dtype="uint64")
    err = _refusal([u], [pt.eye(u)])
    assert "uint64" in str(err) and "int64 exactly" in str(err)
