"""``CompileOptions(fast_math=True)`` end to end: PyTensor graphs and PyMC log-densities compiled
with the reassociating passes agree with PyTensor and PyMC within rounding (1e-12 relative for
the log-densities); the option is off by default and then changes nothing, bit for bit; it is
reachable from ``mode="ONNX_FAST_MATH"``, ``onnx_mode(fast_math=True)`` and ``export_logp``."""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pymc.blocking import DictToArrayBijection, RaveledVars

from benchmarks import pymc as benchmark_models
from compiler import CompileOptions, Compiler
from compiler.mode import compiled_result, onnx_mode
from compiler.pymc import export_logp
from tests.compiler.test_pymc import CASES, MODELS, _assert_close, _points
from tests.helpers import assert_matches_pytensor, fgraph_of

RNG = np.random.default_rng(0)


def _export(model, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return export_logp(model, **kwargs)


def _normal_logp(n: int):
    """sum of a Normal log-density over n observations, and its gradient in mu and log s."""
    y = pt.tensor("y", shape=(n,), dtype="float64")  # static, as PyMC's observed data
    mu, log_s = pt.scalar("mu"), pt.scalar("log_s")
    s = pt.exp(log_s)
    logp = pt.sum(-0.5 * ((y - mu) / s) ** 2 - np.log(np.sqrt(2 * np.pi)) - log_s)
    grads = pytensor.grad(logp, [mu, log_s])
    feeds = [RNG.normal(2.0, 3.0, size=n), np.array(1.5), np.array(0.8)]
    return [y, mu, log_s], [logp, *grads], feeds


@pytest.mark.parametrize("n", [1, 7, 1000])
def test_normal_log_density_matches_pytensor(n: int) -> None:
    inputs, outputs, feeds = _normal_logp(n)
    # A few ulps per term of the sums: 1e-13 relative for n = 1000.
    report = assert_matches_pytensor(
        fgraph_of(inputs, outputs), feeds, rtol=1e-13, atol=0.0, fast_math=True
    )
    assert report.ok


def test_fast_math_changes_the_model_and_default_does_not_run_it() -> None:
    inputs, outputs, _ = _normal_logp(1000)
    default = Compiler().compile(fgraph_of(inputs, outputs))
    fast = Compiler(fast_math=True).compile(fgraph_of(inputs, outputs))
    assert "reassociate" not in [p.name for p in default.stats.passes]
    assert "reassociate" in [p.name for p in fast.stats.passes]
    (rewrites,) = [p.counters for p in fast.stats.passes if p.name == "reassociate"]
    assert rewrites.get("sum_of_product", 0) >= 1
    assert default.to_onnx().SerializeToString() != fast.to_onnx().SerializeToString()
    assert CompileOptions().fast_math is False


def test_mode_by_name_and_onnx_mode_compile_with_fast_math() -> None:
    inputs, outputs, feeds = _normal_logp(50)
    expected = pytensor.function(inputs, outputs, mode="FAST_COMPILE")(*feeds)
    for mode in ("ONNX_FAST_MATH", onnx_mode(fast_math=True)):
        f = pytensor.function(inputs, outputs, mode=mode)
        result = compiled_result(f)
        assert result.options.fast_math
        assert "ReduceSumSquare" in {n.op_type for n in result.to_onnx().graph.node}
        for ours, want in zip(f(*feeds), expected, strict=True):
            np.testing.assert_allclose(ours, want, rtol=1e-13)
    plain = pytensor.function(inputs, outputs, mode="ONNX")
    assert not compiled_result(plain).options.fast_math


@pytest.mark.parametrize(("name", "jacobian"), CASES)
def test_pymc_logp_and_dlogp_match_pymc_with_fast_math(name: str, jacobian: bool) -> None:
    model = MODELS[name]()
    result = _export(model, jacobian=jacobian, fast_math=True)
    logp = model.compile_logp(jacobian=jacobian)
    dlogp = model.compile_dlogp(jacobian=jacobian)
    info = DictToArrayBijection.map(model.initial_point()).point_map_info
    for theta in _points(model):
        point = DictToArrayBijection.rmap(RaveledVars(theta, info))
        ours_logp, ours_dlogp = result.run(theta)
        _assert_close(ours_logp, logp(point))
        _assert_close(ours_dlogp, dlogp(point))


@pytest.mark.parametrize("name", ["linear", "hierarchical"])
def test_benchmark_models_at_10000_match_pymc_with_fast_math(name: str) -> None:
    """Long sums (10 000 terms), where reassociation changes the most bits."""
    model = benchmark_models.MODELS[name](10_000)
    result = _export(model, fast_math=True)
    types = Counter(n.op_type for n in result.to_onnx().graph.node)
    assert types["ReduceSumSquare"] >= 1
    fn = model.logp_dlogp_function(ravel_inputs=True, mode="FAST_COMPILE")
    fn.set_extra_values({})
    for theta in _points(model, 2):
        want_logp, want_dlogp = fn(theta)
        ours_logp, ours_dlogp = result.run(theta)
        _assert_close(ours_logp, want_logp)
        _assert_close(ours_dlogp, want_dlogp)


@pytest.mark.parametrize("name", ["linear_regression", "hierarchical", "logistic", "mixture"])
def test_default_export_is_unchanged_by_the_option(name: str) -> None:
    """Off by default: the default export is the fast_math=False export, byte for byte, and
    runs none of the fast-math passes (so its numbers are the bit-faithful ones)."""
    model = MODELS[name]()
    default = _export(model)
    off = _export(model, fast_math=False)
    assert default.to_bytes() == off.to_bytes()
    assert "reassociate" not in [p.name for p in default.stats.passes]
    theta = _points(model, 1)[0]
    for a, b in zip(default.run(theta), off.run(theta), strict=True):
        assert a.tobytes() == b.tobytes()
