"""Typed declarations of an op's operands and attributes, read by ``Operation``'s registry.

An op class declares its operands and attributes as class attributes (``x = Operand()``,
``perm = Attr(A.INTS)``); the declaration order is the operand order. Each one is a descriptor
whose ``__get__`` is typed, so a type checker sees ``op.x`` as a ``Value`` and ``op.perm`` as a
``tuple[int, ...]``. ``Operation.__init_subclass__`` collects them into ``OPERANDS``, ``ATTRS``
and ``OPTIONAL_ATTRS``, which the checks, the printer and the parser read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Never, Self, overload

from ir.attributes import AttrKind

if TYPE_CHECKING:
    from ir.core import Operation, Value


class OperandField:
    """Shared part of the operand declarations: the name and position the registry gives."""

    __slots__ = ("index", "name")
    #: The operand takes every remaining operand (only the last one may).
    VARIADIC = False

    def __init__(self) -> None:
        self.name = ""
        #: The position in the op's operand list, set when the first op class using the
        #: declaration is registered (subclasses inherit it at the same position).
        self.index = -1

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __set__(self, op: Operation, value: Never) -> None:
        # A data descriptor, so an instance attribute cannot shadow the operand.
        raise AttributeError(f"{self.name!r} is an operand: change it with op.set_operand")


class Operand(OperandField):
    """One operand: ``x = Operand()``; ``op.x`` is the ``Value`` at its position."""

    __slots__ = ()

    @overload
    def __get__(self, op: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, op: Operation, owner: type | None = None) -> Value: ...
    def __get__(self, op: Operation | None, owner: type | None = None) -> Value | Self:
        if op is None:
            return self
        return op.operands[self.index]


class VariadicOperand(OperandField):
    """The remaining operands (zero or more; last only): ``inputs = VariadicOperand()``;
    ``op.inputs`` is a tuple of ``Value``."""

    __slots__ = ()
    VARIADIC = True

    @overload
    def __get__(self, op: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, op: Operation, owner: type | None = None) -> tuple[Value, ...]: ...
    def __get__(self, op: Operation | None, owner: type | None = None) -> tuple[Value, ...] | Self:
        if op is None:
            return self
        return tuple(op.operands[self.index :])


class AttrField:
    """Shared part of the attribute declarations: the kind, and the name the class gives."""

    __slots__ = ("kind", "name")
    #: The attribute may be absent (its accessor then reads None).
    OPTIONAL = False

    def __init__(self, kind: AttrKind[Any]) -> None:
        self.kind = kind
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __set__(self, op: Operation, value: Never) -> None:
        # Attributes are checked when the op is built; a new value means a new op.
        raise AttributeError(f"{self.name!r} is an attribute: build a new op to change it")


class Attr[T](AttrField):
    """A required attribute of a kind: ``perm = Attr(A.INTS)``; ``op.perm`` is its checked
    value, typed by the kind (``tuple[int, ...]`` here)."""

    __slots__ = ()

    def __init__(self, kind: AttrKind[T]) -> None:
        super().__init__(kind)

    @overload
    def __get__(self, op: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, op: Operation, owner: type | None = None) -> T: ...
    def __get__(self, op: Operation | None, owner: type | None = None) -> T | Self:
        if op is None:
            return self
        value: T = op.attributes[self.name]
        return value


class OptionalAttr[T](AttrField):
    """An attribute that may be absent: ``scales = OptionalAttr(A.FLOATS)``; ``op.scales`` is
    its value or None."""

    __slots__ = ()
    OPTIONAL = True

    def __init__(self, kind: AttrKind[T]) -> None:
        super().__init__(kind)

    @overload
    def __get__(self, op: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, op: Operation, owner: type | None = None) -> T | None: ...
    def __get__(self, op: Operation | None, owner: type | None = None) -> T | Self | None:
        if op is None:
            return self
        value: T | None = op.attributes.get(self.name)
        return value
