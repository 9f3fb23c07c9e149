"""PyTensor FunctionGraph → IR module: the graph walk, values, constants and diagnostics.

Each PyTensor op class has one small rule, registered on ``import_op``; a rule returns one IR
value per node output or raises ``Unsupported``. Every unsupported node is collected (the walk
goes on with placeholder values) and reported together in one ``UnsupportedOpError``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Apply, Constant, Variable
from pytensor.graph.fg import FunctionGraph, Output
from pytensor.scalar.basic import ScalarType
from pytensor.sparse.type import SparseTensorType
from pytensor.tensor.type import TensorType as PtTensorType

from compiler.errors import UnsupportedOp, UnsupportedOpError
from ir import dtypes, ops
from ir.attributes import DenseElements
from ir.core import Block, Function, Location, Module, Operation, Return, Value
from ir.types import UNKNOWN, Dim, TensorType, is_symbol_name


class Unsupported(Exception):
    """Raised by an import rule: this node cannot be expressed; the message says why."""


class InnerUnsupported(Unsupported):
    """Raised by a rule that imports an inner graph (OpFromGraph, Scan, Composite) when ops of
    that graph are unsupported: ``reports`` lists each of them, and the node itself is not
    reported again. ``Importer.inline`` raises it; rules that walk an inner graph themselves
    collect ``Importer.inner_report`` entries and raise it at the end."""

    def __init__(self, reports: Sequence[UnsupportedOp]) -> None:
        super().__init__(f"{len(reports)} op(s) of its inner graph are unsupported")
        self.reports = list(reports)


@dataclass(frozen=True)
class FrontendOptions:
    """How graph inputs become model inputs.

    ``dim_names`` names the unknown dims of inputs: ``{"x": {0: "batch"}}``; dims with the
    same name are the same size. Unnamed unknown dims get ``<input>_<axis>``.
    ``shared_as_inputs`` keeps shared variables as model inputs instead of weights.
    ``assert_policy`` says what becomes of Assert/CheckAndRaise: ``"drop"`` (the value passes
    through unchecked, with a warning) or ``"refuse"`` (reported as unsupported).
    """

    dim_names: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    shared_as_inputs: bool = False
    assert_policy: str = "drop"

    def __post_init__(self) -> None:
        if self.assert_policy not in ("drop", "refuse"):
            raise ValueError(f"assert_policy is 'drop' or 'refuse', not {self.assert_policy!r}")


@functools.singledispatch
def import_op(op: Any, node: Apply, imp: Importer) -> Sequence[Value]:
    """Translate one PyTensor node; rules are registered per op class."""
    raise Unsupported(f"no ONNX translation for PyTensor op {type(op).__name__}")


def _trace(var: Variable) -> tuple[tuple[str, int, str, str], ...]:
    """The user's stack where ``var`` was made (PyTensor keeps a list of stacks; the last)."""
    trace = getattr(var.tag, "trace", None) or ()
    frames = trace[-1] if trace and isinstance(trace[-1], list) else trace
    out = []
    for frame in frames:
        try:
            filename, line, func, code = frame
        except (TypeError, ValueError):
            continue
        out.append((str(filename), int(line), str(func), str(code)))
    return tuple(out)


def location_of(node: Apply, origin: str | None = None) -> Location:
    """Where ``node`` came from; its stack trace is read only when asked for."""
    out = node.outputs[0]
    origin = str(node.op) if origin is None else origin
    return Location(origin, out.name, trace=functools.partial(_trace, out))


class Importer:
    """Walks a FunctionGraph in topological order and builds the IR function."""

    def __init__(self, fgraph: FunctionGraph, options: FrontendOptions | None = None) -> None:
        self.fgraph = fgraph
        self.options = options or FrontendOptions()
        self.func = Function("main")
        #: Where ``emit`` appends: the function body, or a region being built (a loop body).
        self.block: Block = self.func
        self.values: dict[Variable, Value] = {}
        self.unsupported: list[UnsupportedOp] = []
        self._location: Location | None = None
        self._constants: dict[tuple[str, tuple[int, ...], bytes], Value] = {}
        #: IR types of the PyTensor types met so far (a graph has few distinct ones).
        self._ir_types: dict[Any, TensorType] = {}
        #: ``str(op)`` by ``id(op)``: nodes share op instances, and some print slowly.
        self._op_names: dict[int, str] = {}
        #: Stand-ins for the outputs of reported nodes, so the walk can go on.
        self._placeholders: set[Value] = set()
        #: Work rules leave for the end of a successful import, one per key and in order
        #: (one warning for all the dropped Asserts of the graph, say).
        self.finishers: dict[str, Callable[[], None]] = {}

    # -- the walk -----------------------------------------------------------------------------

    def run(self) -> Module:
        self._import_inputs()
        for node in self.fgraph.toposort():
            self._import_node(node)
        outputs = [self.value(v) for v in self.fgraph.outputs]
        if self.unsupported:
            raise UnsupportedOpError(self.unsupported)
        for finish in self.finishers.values():
            finish()
        names = _unique_names(
            [v.name for v in self.fgraph.outputs], "output", taken={a.name for a in self.func.args}
        )
        self.func.append(Return(outputs, names))
        return Module(self.func)

    def _import_inputs(self) -> None:
        raw_names = [v.name for v in self.fgraph.inputs]
        names = _unique_names(raw_names, "input")
        for index, (var, name) in enumerate(zip(self.fgraph.inputs, names, strict=True)):
            try:
                type_ = self.ir_type(var.type)  # e.g. a shared random generator is not
                if isinstance(var, SharedVariable) and not self.options.shared_as_inputs:
                    data = np.asarray(var.get_value(borrow=True))
                    self.values[var] = self.constant(data, name=name)
                    continue
                if isinstance(var, Constant):
                    self.values[var] = self.constant(np.asarray(var.data), name=name)
                    continue
            except Unsupported as e:
                self.unsupported.append(self._input_report(var, index, str(e)))
                self.values[var] = placeholder = Value(TensorType("float32", ()), name=name)
                self._placeholders.add(placeholder)
                continue
            if isinstance(var, SharedVariable):
                shape = np.shape(var.get_value(borrow=True))
                type_ = type_.with_shape(shape)
            else:
                type_ = type_.with_shape(self._input_dims(name, type_.shape))
            arg = Value(type_, name=name)
            self.func.args.append(arg)
            self.values[var] = arg

    def _input_report(self, var: Variable, index: int, reason: str) -> UnsupportedOp:
        """A refused graph input, named as the user knows it: its own name, or (unnamed, e.g.
        the generator PyTensor makes for ``pt.random.normal``) its position, what it is and the
        first op reading it, with that op's creation trace where the input has none."""
        readers = [n for n, _ in self.fgraph.clients.get(var, ()) if not isinstance(n.op, Output)]
        location = Location("graph input", var.name, trace=functools.partial(_trace, var))
        if var.name:
            label = f"graph input {var.name!r}"
        else:
            label = f"unnamed graph input {index} ({var})"
            if readers:
                label += f", read by {self._op_name(readers[0].op)}"
                if readers[0].outputs[-1].name:
                    label += f" (variable {readers[0].outputs[-1].name!r})"
        if not _trace(var) and readers:
            location = location_of(readers[0])
        return UnsupportedOp(label, reason, location=location)

    def _input_dims(self, name: str, shape: tuple[Dim, ...]) -> list[Dim]:
        given = self.options.dim_names.get(name, {})
        dims: list[Dim] = []
        for axis, d in enumerate(shape):
            if d != UNKNOWN:
                dims.append(d)
                continue
            symbol = given.get(axis) or given.get(axis - len(shape)) or _symbol(f"{name}_{axis}")
            if not is_symbol_name(symbol):
                raise ValueError(f"dim name {symbol!r} for {name}:{axis} is not an identifier")
            dims.append(symbol)
        return dims

    def _import_node(self, node: Apply, parent: Location | None = None) -> None:
        """Import one node. Inside an inlined inner graph, ``parent`` is the outer node's
        location: diagnostics point at the user's code, not at the inner graph's."""
        if parent is None:
            self._location = location_of(node, self._op_name(node.op))
        else:
            origin = f"{parent.origin} > {self._op_name(node.op)}"
            self._location = Location(origin, parent.variable, lambda: parent.trace)
        if self._placeholders and any(
            self.values.get(v) in self._placeholders for v in node.inputs
        ):
            # Downstream of an op already reported: the rule still runs, on the stand-ins and
            # into a scratch block, so that its own refusal (and its inner graph's) is listed
            # too; its outputs stay placeholders.
            with self.building(Block()):
                try:
                    import_op(node.op, node, self)
                    for var in node.outputs:
                        self.ir_type(var.type)
                except Unsupported as e:
                    self._report(node, e)
                except Exception:
                    # A rule may trip over a stand-in (its type is PyTensor's, its value
                    # unknown): only refusals are diagnostics, and this graph is refused anyway.
                    pass
            for var in node.outputs:
                self._placeholders.add(value := Value(self._placeholder_type(var)))
                self.values[var] = value
            self._location = parent  # (as the finally below: an inner graph's walk goes on)
            return
        try:
            inputs_ok = all(v in self.values or isinstance(v, Constant) for v in node.inputs)
            if not inputs_ok:
                raise Unsupported("an input of this node is not a graph input")
            # (ir_type raises Unsupported for types ONNX cannot carry.)
            expected = [self.ir_type(var.type) for var in node.outputs]
            outs = list(import_op(node.op, node, self))
            if len(outs) != len(node.outputs):
                raise AssertionError(f"rule for {node.op} returned {len(outs)} values")
            for var, type_, value in zip(node.outputs, expected, outs, strict=True):
                self.values[var] = self._reconcile(node, var, value, type_)
        except Unsupported as e:
            self._report(node, e)
            for var in node.outputs:
                self._placeholders.add(value := Value(self._placeholder_type(var)))
                self.values[var] = value
        finally:
            self._location = parent

    def _op_name(self, op: Any) -> str:
        name = self._op_names.get(id(op))
        if name is None:
            name = self._op_names[id(op)] = str(op)
        return name

    def _report(self, node: Apply, error: Unsupported) -> None:
        if isinstance(error, InnerUnsupported):  # each inner op has its own entry already
            self.unsupported.extend(error.reports)
            return
        self.unsupported.append(
            UnsupportedOp(
                # Inside an inner graph, the path to the op: "OpFromGraph{...} > Cholesky".
                op=self._location.origin if self._location else self._op_name(node.op),
                reason=str(error),
                output=node.outputs[0].name,
                input_types=tuple(str(v.type) for v in node.inputs),
                location=self._location,
            )
        )

    def inner_report(self, op: Any, reason: str, input_types: Sequence[str] = ()) -> UnsupportedOp:
        """The entry for an op of an inner graph that a rule walks by itself (a Composite's
        scalar ops): named ``outer > op``, at the outer node's location. The rule collects
        them, goes on, and finally raises ``InnerUnsupported`` with all of them."""
        where = self._location
        origin = f"{where.origin} > {self._op_name(op)}" if where else self._op_name(op)
        location = Location(origin, where.variable, where.trace) if where else None
        output = where.variable if where else None
        return UnsupportedOp(origin, reason, output, tuple(input_types), location)

    def _reconcile(self, node: Apply, var: Variable, value: Value, expected: TensorType) -> Value:
        """Check an IR value against PyTensor's type of ``var`` (``expected``, in the IR); take
        the static dims PyTensor knows."""
        refined = value.type if value.type == expected else _refined(node, var, value, expected)
        if isinstance(value.owner, Operation):
            if refined != value.type:
                value.type = refined
            if value.name is None and var.name:
                value.name = var.name  # the user's name, for readable IR and ONNX names
        return value

    def _placeholder_type(self, var: Variable) -> TensorType:
        try:
            return self.ir_type(var.type)
        except Unsupported:
            return TensorType("float32", ())

    # -- helpers for rules --------------------------------------------------------------------

    def value(self, var: Variable) -> Value:
        """The IR value of a PyTensor variable (constants are created on first use)."""
        found = self.values.get(var)
        if found is not None:
            return found
        if isinstance(var, Constant):
            return self.constant(np.asarray(var.data, dtype=var.type.dtype))
        raise Unsupported(f"variable {var} is not computed by the graph")

    def is_placeholder(self, var: Variable) -> bool:
        """Whether ``var`` stands for an output of a node already reported as unsupported."""
        return self.values.get(var) in self._placeholders

    def ir_type(self, pt_type: Any) -> TensorType:
        """The IR type of a PyTensor type; PyTensor scalars are 0-d tensors here."""
        found = self._ir_types.get(pt_type)
        if found is None:
            found = self._ir_types[pt_type] = self._convert_type(pt_type)
        return found

    @staticmethod
    def _convert_type(pt_type: Any) -> TensorType:
        if isinstance(pt_type, SparseTensorType):  # (a subclass of PyTensor's TensorType)
            raise Unsupported(
                f"sparse type {pt_type} has no ONNX representation here (ONNX tensors are dense)"
            )
        if isinstance(pt_type, ScalarType):
            if pt_type.dtype not in dtypes.DTYPES:
                raise Unsupported(f"dtype {pt_type.dtype} has no ONNX equivalent here")
            return TensorType(pt_type.dtype, ())
        if not isinstance(pt_type, PtTensorType):
            raise Unsupported(f"type {pt_type} is not a tensor type")
        if pt_type.dtype not in dtypes.DTYPES:
            raise Unsupported(f"dtype {pt_type.dtype} has no ONNX equivalent here")
        # (PyTensor can give a static -1, e.g. from split_dims(x, (k, -1)): unknown here.)
        dims = tuple(UNKNOWN if d is None or d < 0 else d for d in pt_type.shape)
        return TensorType(pt_type.dtype, dims)

    def inline(self, inner: FunctionGraph, inputs: Sequence[Value]) -> list[Value]:
        """Import the nodes of an inner graph (an OpFromGraph's) applied to ``inputs``; returns
        the values of its outputs. The inner graph may be applied many times."""
        scope = list(inner.inputs)
        # Frozen inner graphs share variables (nominal inputs and hash-consed nodes): a Scan
        # body and the body of a Scan nested in it may hold the same ones. What the enclosing
        # graph bound them to comes back afterwards.
        shadowed = {var: self.values[var] for var in inner.inputs if var in self.values}
        for var, value in zip(inner.inputs, inputs, strict=True):
            self.values[var] = value
        parent = self._location
        reported = len(self.unsupported)
        try:
            for node in inner.toposort():
                for var in node.outputs:
                    if var in self.values and var not in shadowed:
                        shadowed[var] = self.values[var]
                self._import_node(node, parent)
                scope.extend(node.outputs)
            if len(self.unsupported) > reported:
                # The inner ops' entries travel with the error: the outer node's import fails
                # and lists them (a rule that catches Unsupported and recovers drops them).
                inner_reports = self.unsupported[reported:]
                del self.unsupported[reported:]
                raise InnerUnsupported(inner_reports)
            return [self.value(v) for v in inner.outputs]
        finally:
            for var in scope:
                self.values.pop(var, None)
            self.values.update(shadowed)

    def emit(
        self,
        cls: type[Operation],
        operands: Sequence[Value],
        attributes: Mapping[str, Any] | None = None,
    ) -> Value:
        """Append a one-result op made from the node being imported."""
        return self.emit_op(cls, operands, attributes).result

    def emit_op(
        self,
        cls: type[Operation],
        operands: Sequence[Value],
        attributes: Mapping[str, Any] | None = None,
        regions: Sequence[Block] = (),
    ) -> Operation:
        op = cls(operands, attributes, location=self._location, regions=regions)
        return self.block.append(op)

    @contextlib.contextmanager
    def building(self, block: Block) -> Iterator[Block]:
        """Rules emit into ``block`` (a region, e.g. a loop body) inside the ``with``; constants
        still go to the function body, before the op that will own ``block``."""
        saved, self.block = self.block, block
        try:
            yield block
        finally:
            self.block = saved

    def cast(self, value: Value, dtype: str) -> Value:
        """``value`` converted to ``dtype`` (itself when it has that dtype already)."""
        return value if value.dtype == dtype else self.emit(ops.Cast, [value], {"to": dtype})

    def constant(self, data: np.ndarray, name: str | None = None) -> Value:
        """A ``tir.constant``; unnamed equal constants are shared."""
        data = np.asarray(data)
        if str(data.dtype) not in dtypes.DTYPES:
            raise Unsupported(f"constant of dtype {data.dtype} has no ONNX equivalent here")
        key = (str(data.dtype), data.shape, data.tobytes())
        if name is None and key in self._constants:
            return self._constants[key]
        op = self.func.append(
            ops.Constant([], {"value": DenseElements(data)}, location=self._location)
        )
        op.result.name = name
        if name is None:
            self._constants[key] = op.result
        return op.result


def _refined(node: Apply, var: Variable, value: Value, pt_type: TensorType) -> TensorType:
    """The type of ``value`` with the static dims PyTensor's type of ``var`` (``pt_type`` in the
    IR) knows; raises if the two disagree."""
    ir_type = value.type
    if ir_type.dtype != pt_type.dtype or ir_type.rank != pt_type.rank:
        raise AssertionError(
            f"internal error: {node.op} became {value.type}, PyTensor says {var.type}"
        )
    refined: list[Dim] | None = None
    for axis, (ir_dim, pt_dim) in enumerate(zip(ir_type.shape, pt_type.shape, strict=True)):
        if pt_dim in (UNKNOWN, ir_dim):
            continue
        if isinstance(ir_dim, int):
            raise AssertionError(
                f"internal error: {node.op} axis {axis} is {ir_dim}, PyTensor says {pt_dim}"
            )
        if ir_dim == UNKNOWN:
            refined = refined or list(ir_type.shape)
            refined[axis] = int(pt_dim)
    return ir_type if refined is None else ir_type.with_shape(refined)


def _symbol(text: str) -> str:
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in text)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"d_{cleaned}"


def _unique_names(
    names: Sequence[str | None], default: str, taken: set[str] | None = None
) -> list[str]:
    """Non-empty names, unique among themselves and ``taken``: ``x``, ``x_1``, ``output_2``."""
    taken = set(taken or ())
    out = []
    for i, raw in enumerate(names):
        base = raw if raw else f"{default}_{i}"
        name, k = base, 0
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        taken.add(name)
        out.append(name)
    return out


def import_fgraph(fgraph: FunctionGraph, options: FrontendOptions | None = None) -> Module:
    """Translate ``fgraph`` into an IR module; raises ``UnsupportedOpError`` listing every op
    the compiler cannot express. The FunctionGraph is not modified."""
    return Importer(fgraph, options).run()
