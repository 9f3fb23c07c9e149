"""export_logp / export_expand on canonical PyMC models against PyMC's own compiled functions."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable

import numpy as np
import onnx
import onnxruntime as ort
import pymc as pm
import pytest
from pymc.blocking import DictToArrayBijection, RaveledVars

from benchmarks import pymc as benchmark_models
from compiler import UnsupportedOpError
from compiler.pymc import LAYOUT_KEY, Layout, export_expand, export_logp, read_layout
from tests.compiler.test_unsupported import no_translation

RTOL = 1e-12
N = 40


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=N)
    return x, 1.0 + 2.0 * x + rng.normal(size=N)


def linear_regression() -> pm.Model:
    x, y = _data()
    with pm.Model() as model:
        a = pm.Normal("a", 0, 10)
        b = pm.Normal("b", 0, 10)
        s = pm.HalfNormal("s", 1)
        pm.Normal("y", a + b * x, s, observed=y)
    return model


def hierarchical() -> pm.Model:
    rng = np.random.default_rng(1)
    group = rng.integers(0, 5, size=N)
    y = rng.normal(group * 0.5, 1.0)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfNormal("tau", 2)
        z = pm.Normal("z", 0, 1, shape=5)
        group_mu = pm.Deterministic("group_mu", mu + tau * z)
        sigma = pm.LogNormal("sigma", 0, 1)
        pm.Normal("y", group_mu[group], sigma, observed=y)
    return model


def logistic() -> pm.Model:
    return benchmark_models.logistic(N)  # the benchmark's logistic regression, at N rows


def mixture() -> pm.Model:
    rng = np.random.default_rng(3)
    y = np.concatenate([rng.normal(-2, 1, N // 2), rng.normal(2, 1, N // 2)])
    with pm.Model() as model:
        w = pm.Dirichlet("w", np.ones(2))
        mu = pm.Normal("mu", [-1.0, 1.0], 2, shape=2)
        s = pm.HalfNormal("s", 1, shape=2)
        pm.NormalMixture("y", w=w, mu=mu, sigma=s, observed=y)
    return model


def poisson() -> pm.Model:
    y = np.random.default_rng(4).poisson(3.0, size=N)
    with pm.Model() as model:
        lam = pm.Gamma("lam", 2, 1)
        pm.Poisson("y", lam, observed=y)
    return model


def negative_binomial() -> pm.Model:
    y = np.random.default_rng(5).poisson(4.0, size=N)
    with pm.Model() as model:
        mu = pm.LogNormal("mu", 1, 1)
        alpha = pm.HalfNormal("alpha", 5)
        pm.NegativeBinomial("y", mu=mu, alpha=alpha, observed=y)
    return model


def gamma_likelihood() -> pm.Model:
    y = np.random.default_rng(6).gamma(2.0, 1.5, size=N)
    with pm.Model() as model:
        a = pm.HalfNormal("a", 3)
        b = pm.Uniform("b", 0.01, 10)
        pm.Gamma("y", alpha=a, beta=b, observed=y)
    return model


def beta_likelihood() -> pm.Model:
    y = np.random.default_rng(7).beta(2.0, 3.0, size=N)
    with pm.Model() as model:
        a = pm.LogNormal("a", 0, 1)
        b = pm.LogNormal("b", 0, 1)
        pm.Beta("y", a, b, observed=y)
    return model


def student_t() -> pm.Model:
    x, y = _data(8)
    with pm.Model() as model:
        a = pm.Normal("a", 0, 10)
        nu = pm.Gamma("nu", 2, 0.1)
        s = pm.HalfNormal("s", 1)
        pm.StudentT("y", nu=nu, mu=a * x, sigma=s, observed=y)
    return model


def with_data() -> pm.Model:
    x, y = _data(9)
    with pm.Model() as model:
        xd = pm.Data("xd", x)
        yd = pm.Data("yd", y)
        a = pm.Normal("a", 0, 10)
        b = pm.Normal("b", 0, 10, shape=2)
        s = pm.Uniform("s", 0, 20)
        pm.Normal("y", a + b[0] * xd + b[1] * xd**2, s, observed=yd)
    return model


MODELS: dict[str, Callable[[], pm.Model]] = {
    f.__name__: f
    for f in (
        linear_regression, hierarchical, logistic, mixture, poisson, negative_binomial,
        gamma_likelihood, beta_likelihood, student_t, with_data,
    )
}  # fmt: skip


def _points(model: pm.Model, count: int = 3) -> list[np.ndarray]:
    start = DictToArrayBijection.map(model.initial_point()).data
    rng = np.random.default_rng(11)
    return [start + 0.5 * rng.normal(size=start.size) for _ in range(count)]


def _export(model: pm.Model, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return export_logp(model, **kwargs)


def _assert_close(ours: np.ndarray, reference: np.ndarray) -> None:
    reference = np.asarray(reference)
    scale = max(float(np.max(np.abs(reference))), 1e-300)
    np.testing.assert_allclose(ours, reference, rtol=RTOL, atol=RTOL * scale)


CASES = [(name, True) for name in MODELS] + [
    (name, False)
    for name in ("hierarchical", "mixture", "gamma_likelihood")  # transforms
]


@pytest.mark.parametrize(("name", "jacobian"), CASES)
def test_logp_and_dlogp_match_pymc(name: str, jacobian: bool) -> None:
    model = MODELS[name]()
    result = _export(model, jacobian=jacobian)
    assert result.input_names == ["theta"] and result.output_names == ["logp", "dlogp"]
    logp = model.compile_logp(jacobian=jacobian)
    dlogp = model.compile_dlogp(jacobian=jacobian)
    info = DictToArrayBijection.map(model.initial_point()).point_map_info
    for theta in _points(model):
        point = DictToArrayBijection.rmap(RaveledVars(theta, info))  # PyMC's own unraveling
        ours_logp, ours_dlogp = result.run(theta)
        assert ours_logp.dtype == np.float64 and ours_dlogp.shape == theta.shape
        _assert_close(ours_logp, logp(point))
        _assert_close(ours_dlogp, dlogp(point))


def test_one_input_per_variable_and_no_gradient() -> None:
    model = hierarchical()
    result = _export(model, one_input_per_variable=True, gradient=False)
    assert result.input_names == [v.name for v in model.value_vars]
    assert result.output_names == ["logp"]
    theta = _points(model, 1)[0]
    values = result.layout.unravel(theta)
    (ours,) = result.run(*values.values())
    _assert_close(ours, model.compile_logp()(values))


def test_data_as_inputs_swaps_data_without_recompiling() -> None:
    model = with_data()
    result = _export(model, data_as_inputs=True)
    assert result.input_names == ["theta", "xd", "yd"]
    theta = _points(model, 1)[0]
    new_x, new_y = _data(12)
    logp_before = result.run(theta)[0]
    ours = result.run(theta, xd=new_x, yd=new_y)
    with model:
        pm.set_data({"xd": new_x, "yd": new_y})
    point = result.layout.unravel(theta)
    _assert_close(ours[0], model.compile_logp()(point))
    _assert_close(ours[1], model.compile_dlogp()(point))
    assert not np.isclose(ours[0], logp_before)
    # by default the data are weights: no data input
    assert _export(model).input_names == ["theta"]


def test_layout_matches_pymc_raveling_and_round_trips(tmp_path) -> None:
    model = hierarchical()
    result = _export(model)
    layout = result.layout
    info = DictToArrayBijection.map(model.initial_point()).point_map_info
    assert [(v.value_name, v.shape, v.dtype) for v in layout.variables] == [
        (name, shape, str(dtype)) for name, shape, _, dtype in info
    ]
    assert [v.transform for v in layout.variables] == [None, "LogTransform", None, "LogTransform"]
    assert [v.name for v in layout.variables] == ["mu", "tau", "z", "sigma"]
    assert [(v.start, v.stop) for v in layout.variables] == [(0, 1), (1, 2), (2, 7), (7, 8)]
    assert layout.size == 8
    path = result.save(tmp_path / "logp.onnx")
    loaded = onnx.load(path)
    assert read_layout(loaded) == layout
    assert Layout.from_json(layout.to_json()) == layout
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    assert Layout.from_json(meta[LAYOUT_KEY]) == layout


def test_expand_gives_constrained_values_and_deterministics() -> None:
    model = hierarchical()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = export_expand(model)
    assert result.output_names == ["mu", "tau", "z", "sigma", "group_mu"]
    theta = _points(model, 1)[0]
    point = result.layout.unravel(theta)
    wanted = model.replace_rvs_by_values([*model.free_RVs, *model.deterministics])
    reference = model.compile_fn(wanted, inputs=model.value_vars, point_fn=False)(*point.values())
    for ours, ref in zip(result.run(theta), reference, strict=True):
        _assert_close(ours, ref)
    np.testing.assert_allclose(result.run(theta)[1], np.exp(point["tau_log__"]), rtol=1e-15)


def test_refused_model_lists_the_ops() -> None:
    with pm.Model() as model:
        x = pm.Uniform("x", -0.5, 0.5)
        pm.Potential("p", no_translation(x**2).sum())  # an op no rule translates
    with pytest.raises(UnsupportedOpError) as info:
        _export(model, gradient=False).to_onnx()  # the op has no gradient either
    assert any("NoTranslation" in op.op for op in info.value.ops)
    assert "NoTranslation" in str(info.value)


def _metropolis(logp: Callable[[np.ndarray], float], start: np.ndarray, steps: int = 200):
    """Random-walk Metropolis: the same seed gives the same proposals and uniforms."""
    rng = np.random.default_rng(123)
    x, lp = start.copy(), float(logp(start))
    chain, accepted = [], []
    for _ in range(steps):
        proposal = x + 0.3 * rng.normal(size=x.size)
        lp_new = float(logp(proposal))
        accept = np.log(rng.uniform()) < lp_new - lp
        if accept:
            x, lp = proposal, lp_new
        chain.append(x.copy())
        accepted.append(bool(accept))
    return np.array(chain), accepted


def test_metropolis_chain_is_the_same_with_onnx_and_pytensor() -> None:
    model = hierarchical()
    result = _export(model, gradient=False)
    start = DictToArrayBijection.map(model.initial_point()).data
    reference = model.logp_dlogp_function(ravel_inputs=True)
    reference.set_extra_values({})
    ours_chain, ours_accepted = _metropolis(lambda t: result.run(t)[0], start)
    ref_chain, ref_accepted = _metropolis(lambda t: reference(t)[0], start)
    assert ours_accepted == ref_accepted
    assert 0 < sum(ours_accepted) < len(ours_accepted)
    np.testing.assert_array_equal(ours_chain, ref_chain)


def test_benchmark_measures_a_row() -> None:
    from benchmarks.pymc import measure

    row, overhead = measure("linear", 100, 0.01)  # no baseline given: its columns are "-"
    assert row[:3] == ["linear", 100, "-"] and row[3] > 0 and row[4] > 0
    assert float(row[-2]) < 1e-12  # ONNX Runtime and NUMBA agree
    assert row[5] < row[3] and float(row[-1]) < 1e-12  # the hand-written floor too
    assert overhead[:2] == ["linear", 100]


def test_lean_models_carry_no_fixups_the_facts_rule_out() -> None:
    """ir.facts proves every -0.0, NaN and integer fix-up of these log-densities unnecessary
    (the numbers are checked against PyMC above): none is emitted."""
    for build in (linear_regression, hierarchical):
        types = Counter(n.op_type for n in _export(build()).to_onnx().graph.node)
        # Reciprocal/And: Where's -0.0 restoration; IsNaN: max's NaN propagation.
        assert not {"Reciprocal", "And", "Or", "IsNaN", "IsInf"} & set(types), types
    linear = Counter(n.op_type for n in _export(benchmark_models.linear(100)).to_onnx().graph.node)
    assert sum(linear.values()) <= 61 and linear["Where"] <= 3  # 102 and 10 before


# -- more model families (random-graph/PyMC reliability sweep) ------------------------------------


def gaussian_random_walk() -> pm.Model:
    y = np.cumsum(np.random.default_rng(20).normal(size=N))
    with pm.Model() as model:
        s = pm.HalfNormal("s", 1)
        x = pm.GaussianRandomWalk("x", sigma=s, init_dist=pm.Normal.dist(0, 5), shape=N)
        pm.Normal("y", x, 0.5, observed=y)
    return model


def autoregressive() -> pm.Model:
    y = 0.1 * np.cumsum(np.random.default_rng(21).normal(size=N))
    with pm.Model() as model:
        rho = pm.Normal("rho", 0, 0.5, shape=2)
        s = pm.HalfNormal("s", 1)
        pm.AR("y", rho=rho, sigma=s, init_dist=pm.Normal.dist(0, 2, shape=1), observed=y)
    return model


def censored_normal() -> pm.Model:
    y = np.clip(np.random.default_rng(22).normal(1, 2, size=N), -1, 3)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        s = pm.HalfNormal("s", 2)
        pm.Censored("y", pm.Normal.dist(mu, s), lower=-1, upper=3, observed=y)
    return model


def truncated_normal() -> pm.Model:
    """Its dlogp multiplies by 1.0000000342285429 (PyMC's float32 sqrt(2) against sqrt(pi)):
    ONNX Runtime's optimizer dropped that factor (lowering/ort_noop_guard.py)."""
    y = np.abs(np.random.default_rng(8).normal(1, 2, size=N)) + 0.1
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        s = pm.HalfNormal("s", 2)
        pm.Truncated("y", pm.Normal.dist(mu, s), lower=0, upper=10, observed=y)
    return model


def general_mixture() -> pm.Model:
    rng = np.random.default_rng(23)
    y = np.concatenate([rng.normal(-2, 1, N // 2), rng.gamma(3, 1, N // 2)])
    with pm.Model() as model:
        w = pm.Dirichlet("w", np.ones(2))
        mu = pm.Normal("mu", 0, 3)
        a = pm.Gamma("a", 2, 1)
        pm.Mixture("y", w=w, comp_dists=[pm.Normal.dist(mu, 1), pm.Gamma.dist(a, 1)], observed=y)
    return model


def gp_marginal() -> pm.Model:
    X = np.linspace(0, 5, 15)[:, None]
    y = np.sin(X[:, 0]) + 0.1 * np.random.default_rng(24).normal(size=15)
    with pm.Model() as model:
        ls = pm.Gamma("ls", 2, 1)
        eta = pm.HalfNormal("eta", 2)
        gp = pm.gp.Marginal(cov_func=eta**2 * pm.gp.cov.ExpQuad(1, ls=ls))
        gp.marginal_likelihood("y", X=X, y=y, sigma=pm.HalfNormal("sigma", 1))
    return model


def von_mises() -> pm.Model:
    y = np.random.default_rng(25).vonmises(0.5, 2, size=N)
    with pm.Model() as model:
        mu = pm.VonMises("mu", 0, 0.5)
        pm.VonMises("y", mu=mu, kappa=pm.HalfNormal("k", 3), observed=y)
    return model


def zero_inflated_poisson() -> pm.Model:
    rng = np.random.default_rng(26)
    y = rng.poisson(3, size=N) * (rng.uniform(size=N) > 0.3)
    with pm.Model() as model:
        psi = pm.Beta("psi", 1, 1)
        pm.ZeroInflatedPoisson("y", psi=psi, mu=pm.Gamma("lam", 2, 0.5), observed=y)
    return model


def mv_normal_lkj() -> pm.Model:
    y = np.random.default_rng(27).multivariate_normal([0, 1, 2], np.eye(3) + 0.5, size=N)
    with pm.Model() as model:
        sd_dist = pm.Exponential.dist(1.0, shape=3)
        chol, _, _ = pm.LKJCholeskyCov("chol", n=3, eta=2.0, sd_dist=sd_dist, compute_corr=True)
        mu = pm.Normal("mu", 0, 3, shape=3)
        pm.MvNormal("y", mu=mu, chol=chol, observed=y)
    return model


def hierarchical_data() -> pm.Model:
    rng = np.random.default_rng(28)
    g = rng.integers(0, 4, size=N)
    x = rng.normal(size=N)
    with pm.Model(coords={"group": range(4)}) as model:
        xd = pm.Data("xd", x)
        gd = pm.Data("gd", g)
        a_off = pm.Normal("a_off", 0, 1, dims="group")
        a = pm.Deterministic("a", pm.Normal("mu_a", 0, 5) + pm.HalfNormal("s_a", 1) * a_off)
        b = pm.Normal("b", 0, 2)
        y = 0.5 * g + x + rng.normal(size=N)
        pm.Normal("y", a[gd] + b * xd, pm.Exponential("s", 1), observed=y, shape=xd.shape)
    return model


def discrete_likelihoods() -> pm.Model:
    rng = np.random.default_rng(29)
    with pm.Model() as model:
        p = pm.Beta("p", 2, 2)
        a = pm.HalfNormal("a", 3)
        b = pm.HalfNormal("b", 3)
        pm.Binomial("bi", n=10, p=p, observed=rng.binomial(10, 0.3, size=N))
        pm.BetaBinomial("bb", alpha=a + 0.1, beta=b + 0.1, n=10, observed=rng.integers(0, 11, N))
        pm.Geometric("ge", p=p, observed=rng.integers(1, 8, N))
        pm.ZeroInflatedNegativeBinomial(
            "zinb", psi=p, mu=a + 1, alpha=b + 0.5, observed=rng.integers(0, 9, N)
        )
        pm.HurdlePoisson("hp", psi=p, mu=a + 1, observed=rng.integers(0, 5, N))
        pm.OrderedLogistic(
            "ol", eta=b, cutpoints=np.array([-1.0, 0.0, 1.0]), observed=rng.integers(0, 4, N)
        )
        pm.Multinomial("mn", n=20, p=pm.Dirichlet("w", np.ones(4)), observed=[5, 5, 4, 6])
    return model


def continuous_likelihoods() -> pm.Model:
    rng = np.random.default_rng(30)
    with pm.Model() as model:
        x = pm.Weibull("x", 2, 1)
        ll = pm.Laplace("ll", 0, 1)
        lg = pm.Logistic("lg", 0, 1)
        ig = pm.InverseGamma("ig", 3, 1)
        tn = pm.TruncatedNormal("tn", 0, 1, lower=-1, upper=2)
        pm.Normal("y", x + ll + lg + ig + tn, 1, observed=rng.normal(size=N))
        pm.SkewNormal("sk", mu=0, sigma=1, alpha=ll, observed=rng.normal(size=N))
        pm.Cauchy("ca", lg, 1, observed=rng.normal(size=N))
        pm.Wald("wa", mu=ig, lam=2, observed=rng.wald(1, 2, size=N))
        pm.Kumaraswamy("ku", a=x, b=2, observed=rng.uniform(size=N))
        pm.LogitNormal("ln", mu=ll, sigma=1, observed=rng.uniform(0.1, 0.9, N))
        pm.ExGaussian("eg", mu=lg, sigma=1, nu=2, observed=rng.normal(size=N))
        pm.Rice("ri", nu=1, sigma=ll**2 + 1, observed=rng.uniform(0.1, 3, N))
        pm.Gumbel("gu", lg, 1, observed=rng.gumbel(size=N))
    return model


def multivariate_and_time_series() -> pm.Model:
    rng = np.random.default_rng(31)
    with pm.Model() as model:
        nu = pm.Gamma("nu", 5, 1)
        mu = pm.Normal("mu", 0, 1, shape=2)
        pm.MvStudentT("t", nu=nu + 2, mu=mu, scale=np.eye(2), observed=rng.normal(size=(N, 2)))
        pm.LKJCorr("r", n=3, eta=2.0)
        pm.ZeroSumNormal("zs", sigma=1, shape=4)
        s = pm.HalfNormal("s", 1)
        pm.GARCH11(
            "g", omega=0.1, alpha_1=0.2, beta_1=s * 0.5, initial_vol=1.0,
            observed=rng.normal(size=N),
        )  # fmt: skip
        pm.MvGaussianRandomWalk(
            "mv", mu=np.zeros(2), chol=np.eye(2),
            init_dist=pm.MvNormal.dist(np.zeros(2), np.eye(2)),
            observed=np.cumsum(rng.normal(size=(10, 2)), 0),
        )  # fmt: skip
    return model


MORE_MODELS: dict[str, Callable[[], pm.Model]] = {
    f.__name__: f
    for f in (
        gaussian_random_walk, autoregressive, censored_normal, truncated_normal, general_mixture,
        gp_marginal, von_mises, zero_inflated_poisson, mv_normal_lkj, hierarchical_data,
        discrete_likelihoods, continuous_likelihoods, multivariate_and_time_series,
    )
}  # fmt: skip
#: Models measured without the slow marker take about 5 s (export, PyMC's compile, 4 points;
#: 5-7 s at a load average of 6), the others 9-40 s.
FAST_MODELS = {"autoregressive", "hierarchical_data", "zero_inflated_poisson"}


@pytest.mark.parametrize(
    "name",
    [n if n in FAST_MODELS else pytest.param(n, marks=pytest.mark.slow) for n in MORE_MODELS],
)
def test_more_model_families_match_pymc(name: str) -> None:
    """logp and dlogp at the initial point and jittered points (PyMC's own unraveling);
    NaN and ±inf where PyMC has them (a point outside a discrete support)."""
    model = MORE_MODELS[name]()
    result = _export(model)
    logp, dlogp = model.compile_logp(), model.compile_dlogp()
    info = DictToArrayBijection.map(model.initial_point()).point_map_info
    start = DictToArrayBijection.map(model.initial_point()).data
    for theta in [start, *_points(model)]:
        point = DictToArrayBijection.rmap(RaveledVars(theta, info))
        ours_logp, ours_dlogp = result.run(theta)
        for ours, reference in ((ours_logp, logp(point)), (ours_dlogp, dlogp(point))):
            reference = np.asarray(reference)
            finite = reference[np.isfinite(reference)]
            scale = max(float(np.max(np.abs(finite), initial=0.0)), 1e-300)
            np.testing.assert_allclose(ours, reference, rtol=RTOL, atol=RTOL * scale)
