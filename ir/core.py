"""The IR's data structures: SSA values with use lists, operations, and the blocks holding them.

A ``Block`` (a function body or an op's region) owns its operations in an intrusive doubly
linked list (O(1) insert and erase, stable iteration while rewriting) and may have arguments.
Every ``Value`` knows its producer (an operation, or None for a block argument) and keeps its
uses in insertion order.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from ir.attributes import AttrKind
from ir.errors import IRError as IRError  # its home is ir.errors; re-exported for ir's users
from ir.fields import AttrField, OperandField, VariadicOperand
from ir.types import TensorType

#: One frame of a stack trace: (file, line, function, code).
Frame = tuple[str, int, str, str]


class Location:
    """Where an op came from: the source op, the variable it computes, the user's stack.

    ``trace`` holds (file, line, function, code) frames, innermost last. It may be given as a
    function returning them, called on first read: few locations are ever shown, while reading
    PyTensor's stack for every node is a noticeable part of importing a large graph.
    Locations are immutable and compare by value.
    """

    __slots__ = ("_trace", "origin", "variable")

    origin: str
    variable: str | None
    _trace: tuple[Frame, ...] | Callable[[], Iterable[Frame]]

    def __init__(
        self,
        origin: str,
        variable: str | None = None,
        trace: tuple[Frame, ...] | Callable[[], Iterable[Frame]] = (),
    ) -> None:
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "variable", variable)
        object.__setattr__(self, "_trace", trace)

    @property
    def trace(self) -> tuple[Frame, ...]:
        trace = self._trace
        if callable(trace):
            trace = tuple(trace())
            object.__setattr__(self, "_trace", trace)
        return trace

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Location is immutable: cannot set {name!r}")

    def __reduce__(self) -> tuple[type[Location], tuple[str, str | None, tuple[Frame, ...]]]:
        return (Location, self._key())  # copies and pickles carry the trace, not its source

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Location):
            return NotImplemented
        return self._key() == other._key()

    def _key(self) -> tuple[str, str | None, tuple[Frame, ...]]:
        return (self.origin, self.variable, self.trace)

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Location(origin={self.origin!r}, variable={self.variable!r}, trace={self.trace!r})"

    def format_trace(self, indent: str = "    ") -> str:
        return _format_frames(self.trace, indent)

    def format_user_trace(self, indent: str = "    ") -> str:
        """The stack where the user created the value, without the frames of the compiler
        itself or of Python's machinery (``ptonnx compile`` calls the user's builder); ""
        when none is left."""
        return _format_frames(
            tuple(frame for frame in self.trace if not _is_compiler_frame(frame[0])), indent
        )


def _format_frames(frames: Iterable[Frame], indent: str) -> str:
    return "\n".join(
        f'{indent}File "{f}", line {n}, in {fn}\n{indent}  {code}' for f, n, fn, code in frames
    )


#: Folders of the compiler's own code: frames there are not the user's.
_COMPILER_FOLDERS = tuple(
    str(Path(__file__).resolve().parents[1] / name) + os.sep
    for name in ("compiler", "ir", "passes", "lowering", "nn")
)


def _is_compiler_frame(filename: str) -> bool:
    return filename.startswith("<frozen ") or str(Path(filename).resolve()).startswith(
        _COMPILER_FOLDERS
    )


class Use(NamedTuple):
    """Operand ``index`` of ``op`` reads the value."""

    op: Operation
    # The field hides tuple.index (a method no code here calls on a Use): `use.index` reads as
    # what it is, the operand's position.
    index: int  # type: ignore[assignment]


#: ``Use(op, index)`` from a pair, without the named tuple's own ``__new__`` (which costs as
#: much as the rest of recording a use: ops record one per operand).
_use = functools.partial(tuple.__new__, Use)


class Value:
    """An SSA value: the result of an operation or an argument of a block (a function's input,
    or what an op passes into its region, as a loop's iteration number)."""

    __slots__ = ("_uses", "index", "name", "owner", "type")

    def __init__(
        self,
        type: TensorType,
        owner: Operation | None = None,
        index: int = 0,
        name: str | None = None,
    ) -> None:
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self._uses: dict[Use, None] = {}

    @property
    def uses(self) -> list[Use]:
        """Every (op, operand index) that reads this value, oldest first."""
        return list(self._uses)

    @property
    def users(self) -> list[Operation]:
        """The distinct operations that read this value, oldest first."""
        return list(dict.fromkeys(use.op for use in self._uses))

    @property
    def num_uses(self) -> int:
        return len(self._uses)

    @property
    def has_uses(self) -> bool:
        return bool(self._uses)

    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def shape(self) -> tuple[int | str, ...]:
        return self.type.shape

    @property
    def rank(self) -> int:
        return self.type.rank

    def replace_all_uses_with(self, new: Value) -> None:
        """Make every reader of this value read ``new`` instead."""
        if new is self:
            return
        for op, index in list(self._uses):
            op.set_operand(index, new)

    def __repr__(self) -> str:
        label = self.name or (f"{self.owner.NAME}#{self.index}" if self.owner else "arg")
        return f"<Value {label}: {self.type}>"


class Operation:
    """Base class of every IR operation.

    A subclass declares its op in a few class attributes (see ``ir.fields``):

    - ``NAME``: the text name, ``"tir.<op>"``;
    - its operands in order, ``x = Operand()``, the last one may be ``VariadicOperand()``;
    - its attributes, ``perm = Attr(A.INTS)`` or ``scales = OptionalAttr(A.FLOATS)``;
    - ``NUM_RESULTS``, or None when ``infer_types`` decides (``tir.split``);
    - ``infer_types``: the result types from operand types and attributes (and checks them);
    - optionally ``verify_op`` for checks beyond types.

    The declarations are typed accessors (``op.x`` is a ``Value``, ``op.perm`` a tuple of
    ints); the registry derives ``OPERANDS`` (names, ``*`` marking the variadic one),
    ``ATTRS`` and ``OPTIONAL_ATTRS`` from them (written out by hand, they are refused: their
    accessors would be invisible to a type checker).
    """

    NAME: ClassVar[str]
    OPERANDS: ClassVar[tuple[str, ...]] = ()
    ATTRS: ClassVar[Mapping[str, AttrKind[Any]]] = {}
    OPTIONAL_ATTRS: ClassVar[frozenset[str]] = frozenset()
    NUM_RESULTS: ClassVar[int | None] = 1
    #: No side effects: unused results may be erased and equal ops merged.
    PURE: ClassVar[bool] = True
    #: The attribute printed inline right after the op name (constants: ``tir.constant dense<1>``).
    INLINE_ATTR: ClassVar[str | None] = None
    #: How many regions (nested blocks ending in ``yield``) the op holds.
    NUM_REGIONS: ClassVar[int] = 0
    #: How many operands are not variadic (derived from ``OPERANDS``).
    _NUM_FIXED_OPERANDS: ClassVar[int] = 0
    #: Set on each class whose ``OPERANDS`` / ``ATTRS`` were derived from its fields.
    _DERIVED: ClassVar[bool] = False

    __slots__ = (
        "attributes", "location", "next", "operands", "parent", "prev", "regions", "results",
    )  # fmt: skip

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _collect_fields(cls)
        cls._NUM_FIXED_OPERANDS = sum(1 for n in cls.OPERANDS if not n.startswith("*"))
        if "NAME" not in cls.__dict__:
            return  # an abstract intermediate class
        variadic = [i for i, n in enumerate(cls.OPERANDS) if n.startswith("*")]
        if variadic and variadic != [len(cls.OPERANDS) - 1]:
            raise TypeError(f"{cls.__name__}: only the last operand may be variadic")
        known = OP_REGISTRY.get(cls.NAME)
        # Re-importing the same class (a module reload) is fine; a second op under a name
        # already taken would silently replace the first for the parser and the passes.
        if known is not None and (known.__module__, known.__qualname__) != (
            cls.__module__,
            cls.__qualname__,
        ):
            raise TypeError(
                f"{cls.__name__}: op name {cls.NAME!r} is already registered by "
                f"{known.__module__}.{known.__qualname__}"
            )
        OP_REGISTRY[cls.NAME] = cls

    def __init__(
        self,
        operands: Sequence[Value],
        attributes: Mapping[str, Any] | None = None,
        result_types: Sequence[TensorType] | None = None,
        location: Location | None = None,
        regions: Sequence[Block] = (),
    ) -> None:
        self.operands: list[Value] = []
        self.attributes: dict[str, Any] = self._check_attributes(attributes or {})
        if len(regions) != self.NUM_REGIONS:
            raise IRError(f"{self.NAME}: expected {self.NUM_REGIONS} regions, got {len(regions)}")
        self.regions: list[Block] = list(regions)
        for region in self.regions:
            if region.owner is not None:
                raise IRError(f"{self.NAME}: a region already belongs to {region.owner.NAME}")
            region.owner = self
        self.parent: Block | None = None
        self.prev: Operation | None = None
        self.next: Operation | None = None
        self.location: Location | None = location
        self._check_operand_count(len(operands))
        try:
            for index, value in enumerate(operands):
                if not isinstance(value, Value):
                    raise IRError(f"{self.NAME}: operand {value!r} is not a Value")
                value._uses[_use((self, index))] = None
                self.operands.append(value)
            types = self.infer_types() if result_types is None else result_types
            if type(types) is not tuple:
                types = tuple(types)
            if self.NUM_RESULTS is not None and len(types) != self.NUM_RESULTS:
                raise IRError(
                    f"{self.NAME}: expected {self.NUM_RESULTS} result types, got {len(types)}"
                )
        except BaseException:
            self.drop_operand_uses()  # a failed construction leaves no uses behind
            raise
        self.results: tuple[Value, ...] = tuple([Value(t, self, i) for i, t in enumerate(types)])

    # -- declaration checks -------------------------------------------------------------------

    @classmethod
    def _check_operand_count(cls, count: int) -> None:
        fixed = cls._NUM_FIXED_OPERANDS
        if count == fixed:
            return
        variadic = len(cls.OPERANDS) != fixed
        if count < fixed or not variadic:
            want = f"at least {fixed}" if variadic else str(fixed)
            raise IRError(f"{cls.NAME}: expected {want} operands {cls.OPERANDS}, got {count}")

    def _check_attributes(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        if not attributes and not self.ATTRS:
            return {}  # most ops: nothing to check
        unknown = set(attributes) - set(self.ATTRS)
        if unknown:
            raise IRError(f"{self.NAME}: unknown attributes {sorted(unknown)}")
        checked: dict[str, Any] = {}
        for name, kind in self.ATTRS.items():
            if name not in attributes:
                if name not in self.OPTIONAL_ATTRS:
                    raise IRError(f"{self.NAME}: missing attribute {name!r}")
                continue
            try:
                checked[name] = kind.check(attributes[name])
            except (TypeError, ValueError) as e:
                raise IRError(f"{self.NAME}: attribute {name!r}: {e}") from None
        return checked

    # -- semantics (overridden by op classes) -------------------------------------------------

    def infer_types(self) -> Sequence[TensorType]:
        """Result types from the operands' types and the attributes; raises ``IRError``."""
        raise NotImplementedError(f"{type(self).__name__}.infer_types")

    def verify_op(self) -> None:
        """Op-specific checks beyond ``infer_types``; raise ``IRError``."""

    # -- structure ----------------------------------------------------------------------------

    @property
    def result(self) -> Value:
        """The single result of a one-result op."""
        if len(self.results) != 1:
            raise IRError(f"{self.NAME} has {len(self.results)} results, not one")
        return self.results[0]

    @property
    def block(self) -> Block:
        """The block holding the op (``parent``, for code that needs one: raises when the op
        is in none)."""
        if self.parent is None:
            raise IRError(f"{self.NAME} is not in a block")
        return self.parent

    def set_operand(self, index: int, value: Value) -> None:
        old = self.operands[index]
        del old._uses[_use((self, index))]
        value._uses[_use((self, index))] = None
        self.operands[index] = value

    def drop_operand_uses(self) -> None:
        """Forget this op's uses of its operands (and those of every op in its regions)."""
        for index, value in enumerate(self.operands):
            value._uses.pop(_use((self, index)), None)
        for region in self.regions:
            for op in region.ops:
                op.drop_operand_uses()

    def __repr__(self) -> str:
        return f"<{self.NAME} {', '.join(str(r.type) for r in self.results)}>"

    def __str__(self) -> str:
        """The op (and its regions) as IR text; ``repr`` stays one short line."""
        from ir.printer import print_operation  # the printer imports this module

        return print_operation(self)


OP_REGISTRY: dict[str, type[Operation]] = {}


def exported_ops(namespace: Mapping[str, Any], module: str) -> list[str]:
    """The public op classes a module of ``ir.ops`` defines: its ``__all__``."""
    return [
        name
        for name, value in namespace.items()
        if isinstance(value, type)
        and issubclass(value, Operation)
        and value.__module__ == module
        and not name.startswith("_")
    ]


def _collect_fields(cls: type[Operation]) -> None:
    """Derive ``OPERANDS``, ``ATTRS`` and ``OPTIONAL_ATTRS`` from the class's typed field
    declarations (its own and its bases'), and give each operand its position. Those names
    written out by hand (the form before typed fields) are refused."""
    operands: dict[str, OperandField] = {}
    attrs: dict[str, AttrField] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, OperandField):
                operands[name] = value  # a redeclared operand keeps its base's position
            elif isinstance(value, AttrField):
                attrs[name] = value
    for what, example in (("OPERANDS", "x = Operand()"), ("ATTRS", "perm = Attr(A.INTS)")):
        written = [
            k
            for k in cls.__mro__
            if k is not Operation and what in vars(k) and what not in _derived(k)
        ]
        if written:
            raise TypeError(
                f"{cls.__name__}: {what} written out in {written[0].__name__}; declare them as "
                f"typed fields of ir.fields ({example})"
            )
    if "OPTIONAL_ATTRS" in cls.__dict__ and "ATTRS" not in _derived(cls):
        raise TypeError(f"{cls.__name__}: OPTIONAL_ATTRS written out; declare an optional "
                        "field with OptionalAttr")  # fmt: skip
    _check_names(cls, [*operands, *attrs])
    for index, (name, field) in enumerate(operands.items()):
        if field.VARIADIC and index != len(operands) - 1:
            raise TypeError(f"{cls.__name__}: only the last operand may be variadic")
        if field.index not in (-1, index):
            raise TypeError(f"{cls.__name__}: operand {name!r} is at position {index} "
                            f"here but {field.index} in a base class")  # fmt: skip
        field.index = index
    if set(operands) & set(attrs):
        raise TypeError(f"{cls.__name__}: {sorted(set(operands) & set(attrs))} are declared "
                        "as both operands and attributes")  # fmt: skip
    cls.OPERANDS = tuple(("*" if f.VARIADIC else "") + n for n, f in operands.items())
    cls.ATTRS = {name: field.kind for name, field in attrs.items()}
    cls.OPTIONAL_ATTRS = frozenset(name for name, field in attrs.items() if field.OPTIONAL)
    cls._DERIVED = True


def _derived(klass: type) -> tuple[str, ...]:
    """The declaration names ``_collect_fields`` set on ``klass`` itself (not written out)."""
    return ("OPERANDS", "ATTRS", "OPTIONAL_ATTRS") if vars(klass).get("_DERIVED") else ()


def _check_names(cls: type[Operation], names: list[str]) -> None:
    """Fields may not hide a method or property of ``Operation`` or of a base class."""
    for name in names:
        hidden = hasattr(Operation, name) or any(
            name in vars(base) and not isinstance(vars(base)[name], OperandField | AttrField)
            for base in cls.__mro__
        )
        if hidden:
            raise TypeError(f"{cls.__name__}: accessor {name!r} clashes with an existing attribute")


class Return(Operation):
    """Ends the function: its operands are the function's outputs, named by ``names``.

    `return %3 : "y"`
    """

    NAME = "return"
    values = VariadicOperand()
    NUM_RESULTS = 0
    PURE = False

    __slots__ = ("names",)

    def __init__(self, values: Sequence[Value], names: Sequence[str]) -> None:
        if len(values) != len(names):
            raise IRError("return: one name per output")
        self.names = list(names)
        super().__init__(values, result_types=())

    def infer_types(self) -> Sequence[TensorType]:
        return ()


class Yield(Operation):
    """Ends a region: its operands are the region's results. `yield %3`"""

    NAME = "yield"
    values = VariadicOperand()
    NUM_RESULTS = 0
    PURE = False

    def infer_types(self) -> Sequence[TensorType]:
        return ()


class Block:
    """Operations in order, in an intrusive linked list: a function body or an op's region.

    ``args`` are the block's arguments, defined at its top: a function's inputs, or the values
    the owning op passes into a region each time it runs it (``tir.loop``: the iteration number,
    the condition and the carried values). A region (a block owned by an op) ends with
    ``yield`` and may read its arguments, values defined inside it, and values defined before
    its op in the enclosing blocks.
    """

    def __init__(self, args: Sequence[Value] = ()) -> None:
        self.args: list[Value] = list(args)
        self.first: Operation | None = None
        self.last: Operation | None = None
        self._count = 0
        #: How many of the ops are terminators, and how many hold regions (for ``num_nested_ops``).
        self._terminators = 0
        self._with_regions = 0
        #: The op this block is a region of (None for a function body).
        self.owner: Operation | None = None

    # -- iteration ----------------------------------------------------------------------------

    @property
    def ops(self) -> Iterator[Operation]:
        """The operations in order. Safe to erase the current op or insert around it."""
        op = self.first
        while op is not None:
            nxt = op.next
            yield op
            op = nxt

    def __len__(self) -> int:
        """Number of operations in this block (nested regions not counted), terminator included."""
        return self._count

    @property
    def yielded(self) -> tuple[Value, ...]:
        """The values a region yields."""
        if not isinstance(self.last, Yield):
            raise IRError("a region must end with yield")
        return tuple(self.last.operands)

    # -- mutation -----------------------------------------------------------------------------

    def append(self, op: Operation) -> Operation:
        self._link(op, self.last, None)
        return op

    def insert_before(self, anchor: Operation, op: Operation) -> Operation:
        self._check_owned(anchor)
        self._link(op, anchor.prev, anchor)
        return op

    def insert_after(self, anchor: Operation, op: Operation) -> Operation:
        self._check_owned(anchor)
        self._link(op, anchor, anchor.next)
        return op

    def erase(self, op: Operation) -> None:
        """Remove ``op`` (and its regions); its results must have no uses left."""
        self._check_owned(op)
        for r in op.results:
            if r.has_uses:
                raise IRError(f"cannot erase {op.NAME}: result {r.index} still has uses")
        op.drop_operand_uses()
        self.detach(op)
        for region in op.regions:  # ops inside are gone too
            for inner in walk(region):
                inner.parent = None

    def detach(self, op: Operation) -> Operation:
        """Unlink ``op`` keeping its operands and uses, to insert it elsewhere."""
        self._check_owned(op)
        if op.prev is None:
            self.first = op.next
        else:
            op.prev.next = op.next
        if op.next is None:
            self.last = op.prev
        else:
            op.next.prev = op.prev
        op.parent = op.prev = op.next = None
        self._count -= 1
        self._tally(op, -1)
        return op

    def _link(self, op: Operation, prev: Operation | None, nxt: Operation | None) -> None:
        if op.parent is not None:
            raise IRError(f"{op.NAME} is already in a block")
        op.parent, op.prev, op.next = self, prev, nxt
        if prev is None:
            self.first = op
        else:
            prev.next = op
        if nxt is None:
            self.last = op
        else:
            nxt.prev = op
        self._count += 1
        self._tally(op, 1)

    def _tally(self, op: Operation, delta: int) -> None:
        if op.regions:
            self._with_regions += delta
        if isinstance(op, _TERMINATORS):
            self._terminators += delta

    def num_nested_ops(self) -> int:
        """Number of ops here and in nested regions, terminators excluded. O(1) without regions:
        pass pipelines ask after every pass."""
        count = self._count - self._terminators
        if self._with_regions:
            for op in self.ops:
                count += sum(region.num_nested_ops() for region in op.regions)
        return count

    def _check_owned(self, op: Operation) -> None:
        if op.parent is not self:
            raise IRError(f"{op.NAME} is not in this block")


class Function(Block):
    """One typed SSA function: named arguments, operations in order, ending with ``return``."""

    def __init__(self, name: str = "main", args: Sequence[Value] = ()) -> None:
        super().__init__(args)
        self.name = name

    @property
    def num_ops(self) -> int:
        """Number of operations, ``return`` excluded (nested regions not counted)."""
        return self._count - (1 if isinstance(self.last, Return) else 0)

    @property
    def terminator(self) -> Return:
        if not isinstance(self.last, Return):
            raise IRError(f"function @{self.name} does not end with return")
        return self.last

    @property
    def outputs(self) -> tuple[Value, ...]:
        return tuple(self.terminator.operands)

    def __str__(self) -> str:
        """The function as IR text (what ``ir.parser`` reads back)."""
        from ir.printer import print_function  # the printer imports this module

        return print_function(self)

    def __repr__(self) -> str:
        return f"<Function @{self.name}: {len(self.args)} args, {self.num_ops} ops>"

    @property
    def output_names(self) -> list[str]:
        return self.terminator.names


#: The ops that end a block.
_TERMINATORS = (Return, Yield)


def walk(block: Block) -> Iterator[Operation]:
    """Every op in ``block`` and, after each op, the ops of its regions (pre-order)."""
    for op in block.ops:
        yield op
        for region in op.regions:
            yield from walk(region)


def blocks(block: Block) -> Iterator[Block]:
    """``block`` and every region nested in it, innermost first (post-order)."""
    for op in block.ops:
        for region in op.regions:
            yield from blocks(region)
    yield block


def defined_in(block: Block) -> set[Value]:
    """Every value ``block`` defines: its arguments and the results of its ops, nested regions
    included (what code outside the block cannot read)."""
    values = set(block.args)
    for op in walk(block):
        values.update(op.results)
        for region in op.regions:
            values.update(region.args)
    return values


class Module:
    """The unit the compiler works on: one function plus model-level metadata."""

    def __init__(self, func: Function, doc: str = "") -> None:
        self.func = func
        self.doc = doc

    def __len__(self) -> int:
        """Number of ops, those in regions included (terminators excluded)."""
        return self.func.num_nested_ops()

    def __str__(self) -> str:
        """The module as IR text (what ``ir.parser.parse_module`` reads back)."""
        from ir.printer import print_module  # the printer imports this module

        return print_module(self)

    def __repr__(self) -> str:
        return f"<Module @{self.func.name}: {len(self)} ops>"
