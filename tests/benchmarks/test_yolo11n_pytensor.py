"""YOLO11n built in PyTensor (``benchmarks.yolo11n``) against the PyTorch reference fixture.

The graph is evaluated by PyTensor itself with ``mode="FAST_COMPILE"`` (the Python VM over the
ops' numpy ``perform``, no Numba JIT): about a second per compile and 0.2-1 s per 320x320
evaluation once PyTensor's C cache is warm (the first run on a machine compiles the BatchNorm
inner graphs' elementwise C code, ~20 s, once).

Tolerances (float32 has a unit roundoff of 6e-8): the reference is PyTorch eager on CPU with
different summation orders (oneDNN convolutions vs numpy ``tensordot``/``einsum``) through ~90
layers with reductions of up to 3456 terms, so activations differ by ~1e-7 relative per layer
and up to ~1e-6 at the end (measured: 1.2e-7 abs on p3..p5, 2.4e-6 on the box logits, 9.5e-6
on class logits of magnitude 12).  ``rtol = atol = 1e-4`` leaves an order of magnitude of
headroom while still catching any architectural error (those change values by >1e-2).  Boxes
are in pixels up to ~500, where one float32 ulp is 3e-5 to 6e-5: ``atol = 1e-3`` pixel.  Class
probabilities are ~1e-5, so they are compared absolutely at 1e-6 (measured 3e-10).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pytensor
import pytest
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Variable
from pytensor.graph.traversal import ancestors, applys_between

from benchmarks.yolo11n.model import (
    build,
    build_outputs,
    make_anchors,
)

pytestmark = pytest.mark.slow

SIZE = 320
COMPARED = ("p3", "p4", "p5", "boxes_raw", "scores_raw", "output0")
ACT_TOL = {"rtol": 1e-4, "atol": 1e-4}
BOX_ATOL = 1e-3  # pixels
PROB_ATOL = 1e-6
MODE = "FAST_COMPILE"


def _evaluate(
    weights: dict[str, np.ndarray], batch: int | None, images: np.ndarray
) -> dict[str, np.ndarray]:
    """Build the graph at SIZE x SIZE and evaluate every compared output with PyTensor."""
    outs = build_outputs(weights, height=SIZE, width=SIZE, batch=batch)
    fn = pytensor.function([outs["images"]], [outs[k] for k in COMPARED], mode=MODE)
    return dict(zip(COMPARED, fn(images), strict=True))


@pytest.fixture(scope="module")
def results_batch1(weights, reference) -> dict[str, np.ndarray]:
    return _evaluate(weights, 1, reference["input"])


@pytest.fixture(scope="module")
def results_batch2(weights, reference) -> dict[str, np.ndarray]:
    return _evaluate(weights, None, np.concatenate([reference["input"]] * 2))


def _assert_matches(name: str, actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.dtype == np.float32, f"{name}: dtype {actual.dtype}"
    assert actual.shape == expected.shape, f"{name}: shape {actual.shape} != {expected.shape}"
    if name == "output0":
        np.testing.assert_allclose(
            actual[:, :4], expected[:, :4], rtol=0, atol=BOX_ATOL, err_msg="output0 boxes"
        )
        np.testing.assert_allclose(
            actual[:, 4:], expected[:, 4:], rtol=0, atol=PROB_ATOL, err_msg="output0 classes"
        )
    else:
        np.testing.assert_allclose(actual, expected, **ACT_TOL, err_msg=name)


def _all_variables(outputs: Iterable[Variable]) -> Iterator[Variable]:
    """Every variable of the graph, including those of inner graphs (OpFromGraph, Softmax...)."""
    outputs = list(outputs)
    yield from ancestors(outputs)
    for node in applys_between([], outputs):
        yield from node.outputs  # also the outputs nobody consumes
        inner = getattr(node.op, "fgraph", None)
        if inner is not None:
            yield from _all_variables(inner.outputs)


@pytest.mark.parametrize("name", COMPARED)
def test_matches_fixture(name, results_batch1, reference):
    _assert_matches(name, results_batch1[name], reference[name])


@pytest.mark.parametrize("name", COMPARED)
def test_symbolic_batch_matches_fixture(name, results_batch2, reference):
    actual = results_batch2[name]
    assert actual.shape[0] == 2
    for half in (actual[:1], actual[1:]):
        _assert_matches(name, half, reference[name])


def test_anchors_and_strides_match_fixture(reference):
    anchors, strides = make_anchors([(40, 40), (20, 20), (10, 10)], (8, 16, 32))
    assert anchors.dtype == strides.dtype == np.float32
    np.testing.assert_array_equal(anchors, reference["anchors"])
    np.testing.assert_array_equal(strides, reference["strides"])


def test_build_api(weights):
    images, output0 = build(weights, height=SIZE, width=SIZE)
    assert images.name == "images" and output0.name == "output0"
    assert images.type.dtype == output0.type.dtype == "float32"
    assert images.type.shape == (1, 3, SIZE, SIZE)
    assert output0.type.shape == (1, 84, 2100)

    shared = [v for v in ancestors([output0]) if isinstance(v, SharedVariable)]
    names = [v.name for v in shared]
    assert len(names) == len(set(names))
    expected = {k for k in weights if not k.endswith("num_batches_tracked") and "dfl" not in k}
    assert set(names) == expected
    for var in shared:
        np.testing.assert_array_equal(var.get_value(), weights[var.name])

    images, output0 = build(weights, batch=None)  # default 640 x 640
    assert images.type.shape == (None, 3, 640, 640)
    assert output0.type.shape == (None, 84, 8400)


@pytest.mark.parametrize("batch", [1, None])
def test_graph_has_no_float64(weights, batch):
    outs = build_outputs(weights, height=SIZE, width=SIZE, batch=batch)
    for name, var in outs.items():
        assert var.type.dtype == "float32", f"{name} is {var.type.dtype}"
    wide = {
        str(v) for v in _all_variables(outs.values()) if getattr(v.type, "dtype", "") == "float64"
    }
    assert not wide, f"float64 variables in the YOLO11n graph: {sorted(wide)}"
