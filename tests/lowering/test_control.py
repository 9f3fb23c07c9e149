"""IfElse → ONNX If: both branches match PyTensor, and only the taken branch runs."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.compile.mode import Mode
from pytensor.conditional.op import ifelse

from compiler import Compiler
from tests.helpers import assert_matches_pytensor, fgraph_of


def test_ifelse_both_branches_match() -> None:
    x = pt.vector("x", dtype="float32")
    c = pt.scalar("c", dtype="float64")
    shared = pt.exp(x)
    y, z = ifelse(c, [shared * 2 + pt.sin(x), x], [-shared, x * 3])
    fgraph = fgraph_of([x, c], [y, z, shared])
    xs = np.array([0.5, -1.0, 2.0], dtype="float32")
    for cond in (0.0, 1.0, np.nan):  # NaN is true, as Python's truthiness
        assert_matches_pytensor(fgraph, [xs, np.float64(cond)])


def test_ifelse_untaken_branch_does_not_run() -> None:
    # x[i] with i out of range would fail in ONNX Runtime: it must stay inside its branch.
    x = pt.vector("x", dtype="float32")
    i = pt.scalar("i", dtype="int64")
    y = ifelse(pt.lt(i, x.shape[0]), pt.exp(x[i]) * 2, pt.constant(np.float32(-1.0)))
    fgraph = fgraph_of([x, i], [y])
    result = Compiler().compile(fgraph)
    nodes = result.to_onnx().graph.node
    (if_node,) = [n for n in nodes if n.op_type == "If"]
    then_branch = next(a.g for a in if_node.attribute if a.name == "then_branch")
    assert "Gather" in [n.op_type for n in then_branch.node]  # x[i] is read only there
    assert [n.op_type for n in nodes].count("Gather") == 1  # x.shape[0], for the condition
    xs = np.array([1.0, 2.0, 3.0], dtype="float32")
    for index in (1, 7):
        assert_matches_pytensor(fgraph, [xs, np.int64(index)])


def test_ifelse_from_rewritten_graph() -> None:
    x = pt.vector("x", dtype="float64")
    y = ifelse(x.sum() > 0, pt.log(x), pt.exp(x))
    fn = pytensor.function([x], y, mode=Mode(linker="py", optimizer="fast_run"))
    result = Compiler().compile(fn.maker.fgraph)
    for xs in (np.array([1.0, 2.0]), np.array([-1.0, 0.5])):
        (got,) = result.run(xs)
        expected = np.log(xs) if xs.sum() > 0 else np.exp(xs)
        np.testing.assert_allclose(got, expected, rtol=1e-14)
