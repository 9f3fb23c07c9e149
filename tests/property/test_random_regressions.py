"""Failures of the random-graph runs over special functions, linear algebra, Scan and gradients
(``graph_gen.op_special``, ``op_linalg``, ``op_scan``, ``op_grad``), each as a named test, and
the oracle's tolerance families that judge those outputs.

Each test is the minimal graph of a failing run (its program and inputs as printed, through
``program_from_source``), checked with the random-graph invariant, or, where the failure was
PyTensor being no oracle, the compiler's result against the graph's own declared type.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytensor
import pytensor.tensor as pt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import Compiler
from tests.helpers import fgraph_of
from tests.property.graph_gen import Builder, Skip, op_subtensor, program_from_source
from tests.property.oracle import Kind, check_fgraph, check_program, compare_family


def outcomes_of(
    source: str, feeds: list[np.ndarray], families: dict[str, str] | None = None
) -> dict[str, Kind]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcomes = check_program(program_from_source(source, feeds, families), feeds)
    return {variant: o.kind for variant, o in outcomes.items()}


# -- the tolerance families ----------------------------------------------------------------------


def test_family_tolerance_admits_cond_eps_errors_only_in_its_family():
    """A float64 matrix output 1e-13 off relative to its norm passes as linear algebra and
    fails at float64's own tolerance (1e-12 of each element: the small element is off by 1e-2
    relative to itself); 1e-6 off fails in every family."""
    want = np.array([[10.0, 1e-11], [0.0, -3.0]])
    close = want + np.array([[0.0, 1e-12], [1e-12, 0.0]])
    far = want + np.array([[0.0, 1e-5], [0.0, 0.0]])
    assert compare_family(["y"], [close], [want], ["linalg"])[0].ok
    assert not compare_family(["y"], [close], [want], [None])[0].ok
    for family in (None, "special", "scan", "linalg", "grad"):
        assert not compare_family(["y"], [far], [want], [family])[0].ok


def test_family_tolerance_keeps_nan_and_inf_positions_exact():
    """However loose the family, a NaN or ±inf where PyTensor has a number (or the other way
    round) is a mismatch."""
    want = np.array([1.0, np.inf, np.nan, -2.0], dtype=np.float32)
    for got in (
        np.array([1.0, np.inf, 0.0, -2.0], dtype=np.float32),
        np.array([1.0, 3e38, np.nan, -2.0], dtype=np.float32),
        np.array([np.nan, np.inf, np.nan, -2.0], dtype=np.float32),
        np.array([1.0, -np.inf, np.nan, -2.0], dtype=np.float32),
    ):
        for family in ("special", "scan", "linalg", "grad"):
            assert not compare_family(["y"], [got], [want], [family])[0].ok, (got, family)
    assert compare_family(["y"], [want.copy()], [want], ["grad"])[0].ok


def test_special_family_is_64_ulp_of_float32():
    """The compiler's promise for special functions: 64 ulp passes, 256 ulp does not."""
    want = np.array([1.5], dtype=np.float32)
    ulp = np.spacing(np.float32(1.5))
    assert compare_family(["y"], [want + 64 * ulp], [want], ["special"])[0].ok
    assert not compare_family(["y"], [want + 256 * ulp], [want], ["special"])[0].ok


# -- PyTensor contradicting its own types: no oracle ---------------------------------------------


def test_scan_of_zero_steps_has_no_pytensor_oracle_and_compiles_to_the_declared_shape():
    """Found as WRONG (graph 92 of the seed-2 run): a nit_sot Scan over an empty sequence is
    typed (?, 1), but PyTensor's perform returns a (0, 0) array (no step ran to tell it the
    step's shape). The oracle calls this NO_ORACLE; the compiler gives (0, 1), the type's."""
    source = """
        x1 = pt.tensor('x1', dtype='float64', shape=(0, 1))
        x2 = pt.tensor('x2', dtype='float64', shape=())
        v0 = pytensor.scan(lambda s, w: s * w + 1, sequences=[x1], outputs_info=[None], non_sequences=[x2], return_updates=False)
        outputs = [v0]
    """  # noqa: E501
    feeds = [np.zeros((0, 1)), np.array(-0.125)]
    assert outcomes_of(source, feeds, {"v0": "scan"})["raw"] is Kind.NO_ORACLE
    x1 = pt.tensor("x1", dtype="float64", shape=(None, 1))
    x2 = pt.tensor("x2", dtype="float64", shape=())
    y = pytensor.scan(
        lambda s, w: s * w + 1,
        sequences=[x1],
        outputs_info=[None],
        non_sequences=[x2],
        return_updates=False,
    )
    fgraph = fgraph_of([x1, x2], [y])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (got,) = Compiler().compile(fgraph).run(np.zeros((0, 1)), np.array(2.0))
        assert got.shape == (0, 1)
        # With steps, the same graph matches PyTensor.
        feed = np.array([[1.0], [-2.5], [math.inf]])
        feeds = dict(zip(fgraph.inputs, [feed, np.array(2.0)], strict=True))
        assert check_fgraph(fgraph, feeds, ["scan"]).kind is Kind.OK


def test_scan_of_zero_steps_whose_step_type_is_more_precise_than_its_init():
    """Found as CRASH (graph 49 of the seed-104 run, fast_run variant, here shrunk): after
    fast_run the Scan's carried result is i64[?, 3] (its step multiplies by a (3,) vector) of
    an i64[?] initial value; dce replaced the zero-step loop by that init and left an
    unsqueeze typed i64[1, 3] of an i64[x4_0] operand, which the verifier rejects."""
    source = """
        x2 = pt.tensor('x2', dtype='int64', shape=(0, 3))
        x3 = pt.tensor('x3', dtype='int64', shape=(3,))
        x4 = pt.tensor('x4', dtype='int64', shape=(None,))
        v3 = pytensor.scan(lambda s, acc, w: acc * w + s, sequences=[x2], outputs_info=[x4], non_sequences=[x3], return_updates=False)
        outputs = [v3]
    """  # noqa: E501
    feeds = [np.zeros((0, 3), np.int64), np.array([0, 1, 2]), np.array([5, -1, 7])]
    assert outcomes_of(source, feeds) == {"raw": Kind.OK, "fast_run": Kind.OK}


def test_unsigned_matmul_over_an_empty_inner_dim():
    """Found as CRASH (graphs 144-147 of the seed-106 run, max 10 ops): ONNX Runtime's
    uint32/uint64 MatMul fails to run when k == 0 ("Tensor type mismatch"); where k may be 0
    the product runs in the signed type of the same width, which wraps alike."""
    source = """
        x0 = pt.tensor('x0', dtype='uint64', shape=(None,))
        v0 = pt.matmul(x0, x0)
        outputs = [v0]
    """
    for dtype in ("uint64", "uint32"):
        for feed in (np.zeros(0, dtype), np.array([3, 2**31 + 5, 7], dtype)):
            program = source.replace("uint64", dtype)
            assert outcomes_of(program, [feed]) == {"raw": Kind.OK, "fast_run": Kind.OK}
    # products and sums that wrap, against numpy's uint64 matmul
    a = pt.tensor("a", dtype="uint64", shape=(None, None))
    b = pt.tensor("b", dtype="uint64", shape=(None, None))
    big = np.array([[2**63 + 3, 2**40, 5], [7, 2**64 - 1, 2**32 + 1]], np.uint64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = Compiler().compile(fgraph_of([a, b], [pt.matmul(a, b)]))
        for left, right in ((big, big.T.copy()), (big[:, :0], big.T[:0])):
            (got,) = result.run(left, right)
            np.testing.assert_array_equal(got, np.matmul(left, right))


# -- the generator's exclusions ------------------------------------------------------------------


@settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(st.data())
def test_generator_draws_no_empty_constant_mask(data):
    """Found as a generator error (graph 8 of the seed-4 run): PyTensor takes an empty
    constant bool mask (shape (2, 0)) for an integer index, so the drawn value had another
    shape than the generator's. Such masks are not drawn."""
    builder = Builder(data.draw, max_inputs=1)
    builder.new_input("float64", (2, 0), (2, 0))
    try:
        op_subtensor(builder)  # emit asserts the drawn shape is PyTensor's
    except Skip:
        return
    assert "reshape((2, 0))]" not in builder.lines[-1]
