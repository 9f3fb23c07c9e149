"""Typed op declarations (``ir.fields``): accessors, derived OPERANDS/ATTRS, runtime checks.

The test ops are declared inside the tests and taken out of the registry after each (the
registry tests expect ``tir.`` ops only, each with an interpreter implementation).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from ir import attributes as A
from ir.core import OP_REGISTRY, IRError, Operation, Value
from ir.fields import Attr, Operand, OptionalAttr, VariadicOperand
from ir.parser import parse_module
from ir.types import TensorType

F32 = TensorType("float32", (3,))


@pytest.fixture(autouse=True)
def _unregister() -> Iterator[None]:
    yield
    for name in [n for n in OP_REGISTRY if n.startswith("test.fields_")]:
        del OP_REGISTRY[name]


class _Base(Operation):
    """An abstract op class (no NAME): not registered."""

    x = Operand()
    axis = Attr(A.INT)

    def infer_types(self) -> Sequence[TensorType]:
        return (self.x.type,)


def _probe() -> type[Operation]:
    class Probe(Operation):
        """x, then the rest; a required and an optional attribute."""

        NAME = "test.fields_probe"
        x = Operand()
        rest = VariadicOperand()
        perm = Attr(A.INTS)
        scale = OptionalAttr(A.FLOAT)

        def infer_types(self) -> Sequence[TensorType]:
            return (self.x.type,)

    a, b, c = Value(F32), Value(F32), Value(F32)
    op = Probe([a, b, c], {"perm": [1, 0]})
    assert op.x is a
    assert op.rest == (b, c)
    assert op.perm == (1, 0)  # checked and normalized by the kind
    assert op.scale is None
    assert Probe([a], {"perm": (), "scale": 2}).scale == 2.0
    return Probe


def test_fields_derive_the_declaration() -> None:
    probe = _probe()
    assert probe.OPERANDS == ("x", "*rest")
    assert probe.ATTRS == {"perm": A.INTS, "scale": A.FLOAT}
    assert sorted(probe.OPTIONAL_ATTRS) == ["scale"]
    assert OP_REGISTRY["test.fields_probe"] is probe


def test_fields_extend_a_base_class() -> None:
    class Derived(_Base):
        NAME = "test.fields_derived"
        y = Operand()
        keepdims = Attr(A.BOOL)

    assert Derived.OPERANDS == ("x", "y")
    assert list(Derived.ATTRS) == ["axis", "keepdims"]
    a, b = Value(F32), Value(F32)
    op = Derived([a, b], {"axis": 0, "keepdims": True})
    assert (op.x, op.y, op.axis, op.keepdims) == (a, b, 0, True)
    with pytest.raises(IRError, match="expected 2 operands"):
        Derived([a], {"axis": 0, "keepdims": True})


def test_runtime_checks_hold() -> None:
    probe, a = _probe(), Value(F32)
    with pytest.raises(IRError, match="expected at least 1 operands"):
        probe([], {"perm": ()})
    with pytest.raises(IRError, match="missing attribute 'perm'"):
        probe([a], {})
    with pytest.raises(IRError, match="attribute 'perm': expected a list of ints"):
        probe([a], {"perm": 3})
    with pytest.raises(IRError, match="unknown attributes"):
        probe([a], {"perm": (), "bogus": 1})


def test_accessors_cannot_be_assigned() -> None:
    class Set(_Base):
        NAME = "test.fields_set"

    a = Value(F32)
    op = Set([a], {"axis": 0})
    with pytest.raises(AttributeError, match="is an operand"):
        op.x = a  # type: ignore[assignment]  # the point: even unchecked code cannot
    with pytest.raises(AttributeError, match="is an attribute"):
        op.axis = 1  # type: ignore[assignment]


def test_bad_declarations_are_refused() -> None:
    with pytest.raises(TypeError, match="accessor 'result' clashes"):

        class Clash(Operation):
            NAME = "test.fields_clash"
            result = Operand()

    with pytest.raises(TypeError, match="only the last operand may be variadic"):

        class Variadic(Operation):
            NAME = "test.fields_variadic"
            xs = VariadicOperand()
            y = Operand()

    with pytest.raises(TypeError, match="both operands and attributes"):

        class Both(_Base):
            NAME = "test.fields_both"
            axis = Operand()  # type: ignore[assignment]

    with pytest.raises(TypeError, match="already registered"):

        class Again(Operation):
            NAME = "tir.transpose"
            x = Operand()

    assert not [n for n in OP_REGISTRY if n.startswith("test.fields_")]


def test_written_out_operands_or_attributes_are_refused() -> None:
    """OPERANDS / ATTRS written by hand (the form before typed fields, whose generated
    accessors a type checker cannot see) are refused, also when extending a fields class."""
    with pytest.raises(TypeError, match="ATTRS written out in Old; declare them as typed fields"):

        class Old(_Base):
            NAME = "test.fields_old"
            ATTRS = {**_Base.ATTRS, "extra": A.STR}

    with pytest.raises(TypeError, match="OPERANDS written out"):

        class OldBase(Operation):
            OPERANDS = ("x",)

    assert "test.fields_old" not in OP_REGISTRY


def test_text_form_round_trips() -> None:
    _probe()
    text = (
        "func @main(%a: f32[3], %b: f32[3]) {\n"
        "  %0 = test.fields_probe %a, %b {perm = [0], scale = 0.5} : f32[3]\n"
        '  return %0 : "y"\n'
        "}\n"
    )
    assert str(parse_module(text)) == text


def test_each_ops_module_lists_its_op_classes_in_all() -> None:
    """``__all__`` is written out (a type checker reads it); it must name every public op class
    the module defines, and nothing else."""
    import importlib
    import pkgutil

    import ir.ops
    from ir.core import exported_ops

    for info in pkgutil.iter_modules(ir.ops.__path__):
        module = importlib.import_module(f"ir.ops.{info.name}")
        assert sorted(module.__all__) == sorted(exported_ops(vars(module), module.__name__)), (
            module.__name__
        )
