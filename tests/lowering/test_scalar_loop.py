"""PyTensor's ScalarLoop (inside Elemwise and Composite) decomposed into one tir.loop over whole
tensors: every element runs its own loop (per-element step counts, ``until`` conditions),
checked through ONNX Runtime and the IR interpreter against PyTensor (PyTensor's own ScalarLoop
gradients of gammainc/gammaincc are tested in test_special_gamma_inc.py)."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.scalar as ps
import pytensor.tensor as pt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytensor.scalar.loop import ScalarLoop
from pytensor.tensor.elemwise import Elemwise

from ir.interpreter import run_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of, ort_outputs


def _doubling_loop(is_while: bool) -> ScalarLoop:
    """x <- x * c, until x > 10 (when ``is_while``)."""
    x0, c = ps.float64("x0"), ps.float64("c")
    x1 = x0 * c
    return ScalarLoop(init=[x0], update=[x1], constant=[c], until=(x1 > 10) if is_while else None)


def test_while_loop_with_per_element_step_counts() -> None:
    n, x, c = pt.lvector("n"), pt.dvector("x"), pt.dvector("c")
    final, until = Elemwise(_doubling_loop(True))(n, x, c)
    feeds = [np.array([0, 1, 5, 100, -3, 4]), np.array([1.0, 1, 1, 1, 1, -0.0]), np.full(6, 2.0)]
    assert_matches_pytensor(fgraph_of([n, x, c], [final, until]), feeds)


def test_for_loop_with_a_scalar_step_count_is_a_plain_loop() -> None:
    n, x, c = pt.lscalar("n"), pt.dvector("x"), pt.dmatrix("c")
    final = Elemwise(_doubling_loop(False))(n, x, c)
    fgraph = fgraph_of([n, x, c], [final])
    result = compile_checked(fgraph)
    text = str(result.module)
    assert text.count("tir.loop") == 1 and "tir.where" not in text  # no per-element mask
    c_value = np.array([[2.0, 0.5, -1.0], [3.0, 1.0, 0.0]])
    for steps in (0, 1, 7):
        assert_matches_pytensor(fgraph, [np.array(steps), np.array([1.0, -2.0, 3.0]), c_value])


def test_constant_step_count() -> None:
    x, c = pt.dvector("x"), pt.dvector("c")
    final = Elemwise(_doubling_loop(False))(np.int64(3), x, c)
    assert_matches_pytensor(
        fgraph_of([x, c], [final]), [np.array([1.0, 2.0]), np.array([3.0, -1.5])]
    )


def test_per_element_step_counts_without_until() -> None:
    n, x, c = pt.ivector("n"), pt.dvector("x"), pt.dvector("c")
    final = Elemwise(_doubling_loop(False))(n, x, c)
    feeds = [np.array([0, 3, 1, 9], dtype="int32"), np.ones(4), np.array([2.0, 3.0, -1.0, 1.5])]
    assert_matches_pytensor(fgraph_of([n, x, c], [final]), feeds)


def test_several_states_of_several_dtypes_and_an_update_from_a_constant() -> None:
    """A counter (int64), a float32 state, and a state set to a constant input each step."""
    i0, y0, z0 = ps.int64("i0"), ps.float32("y0"), ps.float32("z0")
    c = ps.float32("c")
    i1 = i0 + np.int64(1)
    y1 = y0 * c + ps.cast(i0, "float32")
    z1 = ps.identity(c)
    op = ScalarLoop(init=[i0, y0, z0], update=[i1, y1, z1], constant=[c], until=y1 > 50)
    n = pt.lscalar("n")
    y, z = pt.fvector("y"), pt.fvector("z")
    cc = pt.fmatrix("c")
    outs = Elemwise(op)(n, np.int64(0), y, z, cc)
    c_value = np.array([[1.5, 2.0, 0.5], [3.0, -1.0, 1.0]], dtype="float32")
    feeds = [
        np.array(20),
        np.array([1.0, 2.0, 3.0], dtype="float32"),
        np.zeros(3, "float32"),
        c_value,
    ]
    assert_matches_pytensor(fgraph_of([n, y, z, cc], outs), feeds)


def test_empty_inputs_run_no_step() -> None:
    n, x, c = pt.lvector("n"), pt.dvector("x"), pt.dvector("c")
    outs = Elemwise(_doubling_loop(True))(n, x, c)
    assert_matches_pytensor(
        fgraph_of([n, x, c], outs), [np.zeros(0, "int64"), np.zeros(0), np.zeros(0)]
    )


def test_scalar_loop_inside_a_composite() -> None:
    """PyTensor's own Python/C perform of a Composite holding a ScalarLoop gives wrong numbers
    (PyTensor 3.3.8): the reference here is its NUMBA backend."""
    x0, c = ps.float64("x0"), ps.float64("c")
    n = ps.int64("n")
    loop = _doubling_loop(True)
    final, until = loop(n, x0 + 1.0, c)
    comp = ps.Composite([n, x0, c], [final * 2.0, ps.switch(until, c, -c)])
    nv, xv, cv = pt.lvector("n"), pt.dvector("x"), pt.dvector("c")
    outs = Elemwise(comp)(nv, xv, cv)
    feeds = [np.array([0, 2, 10]), np.array([0.0, 1.0, 2.0]), np.array([2.0, 3.0, 1.5])]
    result = compile_checked(fgraph_of([nv, xv, cv], outs))
    want = pytensor.function([nv, xv, cv], outs, mode="NUMBA")(*feeds)
    got = [*ort_outputs(result, feeds).values(), run_module(result.module, feeds)]
    for outputs in got:
        for g, w in zip(outputs, want, strict=True):
            np.testing.assert_array_equal(g, w)


# -- property test ------------------------------------------------------------------------------

_BINARY = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "sub": lambda a, b: a - b}


@st.composite
def _loops(draw):
    """A random ScalarLoop: 1-2 float64 states, one constant, each update a small expression
    of the states and the constant, and maybe an until condition on the first update."""
    k = draw(st.integers(1, 2))
    states = [ps.float64(f"s{i}") for i in range(k)]
    c = ps.float64("c")
    leaves = [*states, c]
    updates = []
    for _ in range(k):
        a, b = draw(st.sampled_from(leaves)), draw(st.sampled_from(leaves))
        op = draw(st.sampled_from(sorted(_BINARY)))
        expr = _BINARY[op](a, b)
        if draw(st.booleans()):
            expr = ps.abs(expr) * 0.5 - 0.25
        updates.append(expr)
    until = None
    if draw(st.booleans()):
        until = ps.abs(updates[0]) > draw(st.sampled_from([0.5, 2.0, 1e3]))
    return ScalarLoop(init=states, update=updates, constant=[c], until=until), k


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _loops(),
    st.integers(1, 5),
    st.booleans(),
    st.integers(0, 2**31),
)
def test_random_loops_match_pytensor(loop, size, per_element, seed) -> None:
    op, k = loop
    rng = np.random.default_rng(seed)
    n = pt.lvector("n") if per_element else pt.lscalar("n")
    n_value = rng.integers(0, 6, size) if per_element else np.array(rng.integers(0, 6))
    if not op.is_while:
        n_value = np.abs(n_value)  # (PyTensor's perform refuses a negative count)
    states = [pt.dvector(f"s{i}") for i in range(k)]
    c = pt.dvector("c")
    outs = Elemwise(op)(n, *states, c)
    outs = outs if isinstance(outs, list) else [outs]
    feeds = [n_value, *(rng.uniform(-2, 2, size) for _ in range(k)), rng.uniform(-2, 2, size)]
    assert_matches_pytensor(fgraph_of([n, *states, c], outs), feeds, rtol=0.0, atol=0.0)
