"""One AssertDroppedWarning per compiled graph, pointing at the user's line (issue 15,
item 11): it lists every dropped run-time check with the line that made it, or says that
PyTensor inserted it."""

from __future__ import annotations

import warnings

import pytensor.tensor as pt
import pytest
from pytensor.graph.fg import FunctionGraph
from pytensor.raise_op import Assert, CheckAndRaise
from pytensor.tensor.extra_ops import ravel_multi_index

from compiler import Compiler, UnsupportedOpError
from compiler.frontend.graphs import AssertDroppedWarning


def compile_recording(fgraph: FunctionGraph) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        Compiler().compile(fgraph)
    return [w for w in record if issubclass(w.category, AssertDroppedWarning)]


def test_one_warning_per_graph_at_the_users_line():
    x = pt.vector("x")
    positive = Assert("x must be positive")(x, pt.all(x > 0))  # first check
    small = CheckAndRaise(ValueError, "too big")(positive * 2, pt.all(x < 10))
    record = compile_recording(FunctionGraph([x], [small + 1], clone=True))
    assert len(record) == 1
    (warning,) = record
    # Attributed to the line that made the first check, not to the compiler or functools.
    assert warning.filename == __file__
    with open(__file__) as source:
        assert "# first check" in source.readlines()[warning.lineno - 1]
    message = str(warning.message)
    assert message.startswith("2 run-time checks dropped (ONNX cannot raise)")
    assert "Assert{msg='x must be positive'} (1 condition(s)), created at " in message
    assert "too big" in message and message.count(f"{__file__}:") == 2


def test_a_check_pytensor_inserted_is_said_to_be_so():
    x = pt.vector("x")
    checked = Assert("inserted")(x, pt.all(x > 0))
    del checked.tag.trace  # as a rewrite that inserts a check without a user's trace
    record = compile_recording(FunctionGraph([x], [checked * 2], clone=True))
    assert len(record) == 1
    assert "inserted by PyTensor, not at a line of your code" in str(record[0].message)
    assert record[0].filename == __file__  # the line that called the compiler


def test_checks_of_other_ops_join_the_same_warning():
    """Ops whose numpy version checks its inputs (ravel_multi_index: indices in range) drop
    their checks into the same single warning."""
    x = pt.vector("x")
    i, j = pt.lvector("i"), pt.lvector("j")
    flat = ravel_multi_index([i, j], (3, 4))
    out = Assert("positive")(x, pt.all(x > 0))
    record = compile_recording(FunctionGraph([x, i, j], [out, flat], clone=True))
    assert len(record) == 1
    assert "Assert{msg='positive'}" in str(record[0].message)
    assert "RavelMultiIndex" in str(record[0].message)


def test_no_warning_when_the_graph_is_refused():
    x = pt.matrix("x")
    out = Assert("positive")(pt.linalg.schur(x)[0], pt.all(x > 0))
    with warnings.catch_warnings(record=True) as record, pytest.raises(UnsupportedOpError):
        warnings.simplefilter("always")
        Compiler().compile(FunctionGraph([x], [out], clone=True))
    assert not [w for w in record if issubclass(w.category, AssertDroppedWarning)]
