"""Core data structures: the op list of a function, use lists, accessors, registry, checks."""

from __future__ import annotations

import numpy as np
import pytest

from ir import ops
from ir.attributes import INTS, DenseElements
from ir.core import OP_REGISTRY, Function, IRError, Module, Operation, Return, Use, Value, Yield
from ir.fields import Operand, VariadicOperand
from ir.interpreter import IMPLS, REGION_IMPLS
from ir.ops import elementwise, tensor
from ir.types import TensorType

F2 = TensorType("float32", (2,))


def _x(name: str = "x", type_: TensorType = F2) -> Value:
    return Value(type_, name=name)


def _names(func: Function) -> list[str]:
    return [op.result.name if op.results else op.NAME for op in func.ops]


def _neg(v: Value, name: str) -> ops.Neg:
    op = ops.Neg([v])
    op.result.name = name
    return op


def _check_links(func: Function) -> None:
    """Walk the list both ways by hand and compare."""
    forward = []
    op = func.first
    while op is not None:
        assert op.parent is func
        forward.append(op)
        op = op.next
    backward = []
    op = func.last
    while op is not None:
        backward.append(op)
        op = op.prev
    assert forward == backward[::-1]
    assert len(func) == len(forward)
    assert list(func.ops) == forward


# -- the op list -------------------------------------------------------------------------------


def test_list_empty_function() -> None:
    func = Function("f")
    assert len(func) == 0
    assert func.first is None and func.last is None
    assert list(func.ops) == []
    assert func.num_ops == 0


def test_list_append_order() -> None:
    x = _x()
    func = Function("main", [x])
    a = func.append(_neg(x, "a"))
    b = func.append(_neg(a.result, "b"))
    ret = func.append(Return([b.result], ["y"]))
    assert _names(func) == ["a", "b", "return"]
    assert func.first is a and func.last is ret
    assert a.prev is None and a.next is b and b.next is ret and ret.next is None
    assert len(func) == 3
    assert func.num_ops == 2
    assert len(Module(func)) == 2
    _check_links(func)


def test_list_insert_before_and_after() -> None:
    x = _x()
    func = Function("main", [x])
    b = func.append(_neg(x, "b"))
    func.insert_before(b, _neg(x, "a"))  # new first
    d = func.append(_neg(x, "d"))
    func.insert_after(b, _neg(x, "c"))  # middle
    func.insert_after(d, _neg(x, "e"))  # new last
    func.insert_before(b, _neg(x, "a2"))  # middle
    assert _names(func) == ["a", "a2", "b", "c", "d", "e"]
    assert func.first.result.name == "a"
    assert func.last.result.name == "e"
    _check_links(func)


def test_list_erase_first_middle_last() -> None:
    x = _x()
    func = Function("main", [x])
    made = {n: func.append(_neg(x, n)) for n in "abcde"}
    func.erase(made["c"])
    assert _names(func) == ["a", "b", "d", "e"]
    func.erase(made["a"])
    assert _names(func) == ["b", "d", "e"]
    func.erase(made["e"])
    assert _names(func) == ["b", "d"]
    _check_links(func)
    assert made["c"].parent is None and made["c"].prev is None and made["c"].next is None
    func.erase(made["b"])
    func.erase(made["d"])
    assert len(func) == 0
    assert func.first is None and func.last is None


def test_list_erased_op_can_be_reinserted() -> None:
    x = _x()
    func = Function("main", [x])
    a = func.append(_neg(x, "a"))
    b = func.append(_neg(x, "b"))
    func.erase(a)
    func.insert_after(b, a)
    assert _names(func) == ["b", "a"]
    _check_links(func)


def test_list_insert_op_already_in_a_function_raises() -> None:
    x = _x()
    func, other = Function("main", [x]), Function("other")
    a = func.append(_neg(x, "a"))
    with pytest.raises(IRError, match=r"tir\.neg is already in a block"):
        func.append(a)
    with pytest.raises(IRError, match="already in a block"):
        other.append(a)
    assert len(func) == 1 and len(other) == 0


def test_list_anchor_in_other_function_raises() -> None:
    x = _x()
    func, other = Function("main", [x]), Function("other")
    a = func.append(_neg(x, "a"))
    with pytest.raises(IRError, match=r"tir\.neg is not in this block"):
        other.insert_before(a, _neg(x, "b"))
    with pytest.raises(IRError, match="not in this block"):
        other.insert_after(a, _neg(x, "b"))
    with pytest.raises(IRError, match="not in this block"):
        other.erase(a)
    with pytest.raises(IRError, match="not in this block"):
        func.erase(_neg(x, "detached"))
    assert len(func) == 1 and len(other) == 0


def test_list_iteration_while_erasing_current() -> None:
    x = _x()
    func = Function("main", [x])
    v = x
    for i in range(6):
        op = func.append(ops.Neg([v]) if i % 2 else ops.Abs([v]))
        op.result.name = f"v{i}"
        v = op.result
    func.append(Return([v], ["y"]))
    visited = []
    for op in func.ops:
        visited.append(op.NAME)
        if isinstance(op, ops.Neg):
            op.result.replace_all_uses_with(op.x)
            func.erase(op)
    assert visited == ["tir.abs", "tir.neg"] * 3 + ["return"]
    assert _names(func) == ["v0", "v2", "v4", "return"]
    assert func.outputs[0].name == "v4"
    _check_links(func)


def test_list_iteration_while_inserting_around_current() -> None:
    x = _x()
    func = Function("main", [x])
    originals = [func.append(_neg(x, n)) for n in "abc"]
    visited = []
    for op in func.ops:
        visited.append(op)
        if op in originals:
            func.insert_before(op, _neg(x, op.result.name + "_before"))
            func.insert_after(op, _neg(x, op.result.name + "_after"))
    assert [op for op in visited if op in originals] == originals
    assert len(visited) == len(set(map(id, visited)))
    assert _names(func) == [
        "a_before", "a", "a_after", "b_before", "b", "b_after", "c_before", "c", "c_after",
    ]  # fmt: skip
    _check_links(func)


def test_list_terminator_and_outputs() -> None:
    x = _x()
    func = Function("main", [x])
    with pytest.raises(IRError, match="function @main does not end with return"):
        _ = func.terminator
    a = func.append(_neg(x, "a"))
    with pytest.raises(IRError, match="does not end with return"):
        _ = func.outputs
    func.append(Return([a.result, x], ["p", "q"]))
    assert func.outputs == (a.result, x)
    assert func.output_names == ["p", "q"]


# -- use lists ---------------------------------------------------------------------------------


def test_uses_recorded_in_order() -> None:
    x, y = _x("x"), _x("y")
    add = ops.Add([x, y, x])
    mul = ops.Mul([x, add.result])
    assert x.uses == [Use(add, 0), Use(add, 2), Use(mul, 0)]
    assert x.num_uses == 3 and x.has_uses
    assert x.users == [add, mul]  # distinct ops, oldest first
    assert y.uses == [Use(add, 1)]
    assert add.result.uses == [Use(mul, 1)]
    assert mul.result.uses == [] and not mul.result.has_uses


def test_uses_set_operand_moves_the_use() -> None:
    x, y = _x("x"), _x("y")
    sub = ops.Sub([x, x])
    sub.set_operand(1, y)
    assert sub.operands == [x, y]
    assert x.uses == [Use(sub, 0)]
    assert y.uses == [Use(sub, 1)]


def test_uses_replace_all_uses_with_updates_every_use() -> None:
    x, y, z = _x("x"), _x("y"), _x("z")
    func = Function("main", [x, y, z])
    add = func.append(ops.Add([x, z, x]))
    neg = func.append(ops.Neg([x]))
    keep = func.append(ops.Sub([z, y]))
    ret = func.append(Return([x, neg.result, keep.result], ["a", "b", "c"]))
    x.replace_all_uses_with(y)
    assert not x.has_uses
    assert add.operands == [y, z, y]
    assert neg.operands == [y]
    assert ret.operands == [y, neg.result, keep.result]
    # y's own use comes first, then the moved ones in x's order
    assert y.uses == [Use(keep, 1), Use(add, 0), Use(add, 2), Use(neg, 0), Use(ret, 0)]
    assert y.users == [keep, add, neg, ret]
    assert z.uses == [Use(add, 1), Use(keep, 0)]


def test_uses_replace_all_uses_with_self_is_a_no_op() -> None:
    x = _x()
    neg = ops.Neg([x])
    x.replace_all_uses_with(x)
    assert x.uses == [Use(neg, 0)]
    assert neg.x is x


def test_uses_erase_drops_operand_uses() -> None:
    x = _x()
    func = Function("main", [x])
    add = func.append(ops.Add([x, x]))
    func.erase(add)
    assert not x.has_uses


def test_uses_erase_with_live_uses_raises() -> None:
    x = _x()
    func = Function("main", [x])
    a = func.append(_neg(x, "a"))
    b = func.append(_neg(a.result, "b"))
    with pytest.raises(IRError, match=r"cannot erase tir.neg: result 0 still has uses"):
        func.erase(a)
    # nothing changed
    assert _names(func) == ["a", "b"]
    assert a.parent is func
    assert x.uses == [Use(a, 0)]
    assert a.result.uses == [Use(b, 0)]
    func.erase(b)
    func.erase(a)
    assert len(func) == 0 and not x.has_uses


def test_uses_erase_with_use_by_return_raises() -> None:
    x = _x()
    func = Function("main", [x])
    a = func.append(_neg(x, "a"))
    func.append(Return([a.result], ["y"]))
    with pytest.raises(IRError, match="still has uses"):
        func.erase(a)


def test_uses_failed_construction_leaves_no_uses() -> None:
    b = Value(TensorType("bool", (2,)), name="b")
    f3 = Value(TensorType("float32", (3,)), name="f")
    with pytest.raises(IRError, match=r"tir\.neg does not take bool operands"):
        ops.Neg([b])
    with pytest.raises(IRError, match="operands do not broadcast"):
        ops.Add([b, f3])
    with pytest.raises(IRError, match="is not a Value"):
        ops.Add([b, "not a value"])  # type: ignore[list-item]
    with pytest.raises(IRError, match="expected 1 result types, got 2"):
        ops.Neg([f3], result_types=[F2, F2])
    assert not b.has_uses
    assert not f3.has_uses


# -- accessors ---------------------------------------------------------------------------------


def test_accessors_operands_and_attributes() -> None:
    x, y, c = _x("x"), _x("y"), Value(TensorType("bool", (2,)), name="c")
    sub = ops.Sub([x, y])
    assert sub.x is x and sub.y is y
    add = ops.Add([x, y, x])
    assert add.inputs == (x, y, x)
    where = ops.Where([c, x, y])
    assert (where.cond, where.a, where.b) == (c, x, y)
    clip = ops.Clip([x, y, x])
    assert (clip.x, clip.lo, clip.hi) == (x, y, x)
    m = _x("m", TensorType("float32", (2, 3)))
    transpose = ops.Transpose([m], {"perm": [1, 0]})
    assert transpose.x is m
    assert transpose.perm == (1, 0)  # normalized to a tuple
    cast = ops.Cast([x], {"to": "int8"})
    assert cast.to == "int8"
    dims = ops.DimShuffle([m], {"order": ["x", 1, 0]})
    assert dims.order == ("x", 1, 0)
    unsq = ops.Unsqueeze([x], {"axes": (np.int64(0),)})
    assert unsq.axes == (0,)
    assert type(unsq.axes[0]) is int
    data = DenseElements(np.array([1, 2], dtype=np.int16))
    const = ops.Constant([], {"value": data})
    assert const.value is data
    ret = Return([x, y], ["a", "b"])
    assert ret.values == (x, y)
    assert ret.names == ["a", "b"]


def test_accessors_follow_set_operand() -> None:
    x, y = _x("x"), _x("y")
    neg = ops.Neg([x])
    neg.set_operand(0, y)
    assert neg.x is y


def test_accessor_result_of_single_and_zero_result_ops() -> None:
    x = _x()
    neg = ops.Neg([x])
    assert neg.result is neg.results[0]
    assert neg.result.owner is neg and neg.result.index == 0
    with pytest.raises(IRError, match="return has 0 results, not one"):
        _ = Return([x], ["y"]).result


def test_accessor_clash_is_refused() -> None:
    with pytest.raises(TypeError, match="accessor 'operands' clashes"):

        class Bad(Operation):
            NAME = "test.bad_clash"
            operands = Operand()

    with pytest.raises(TypeError, match="only the last operand may be variadic"):

        class Bad2(Operation):
            NAME = "test.bad_variadic"
            xs = VariadicOperand()
            y = Operand()

    written_out = "OPERANDS written out in Bad3; declare them as typed fields"
    with pytest.raises(TypeError, match=written_out):

        class Bad3(Operation):
            NAME = "test.bad_written_out"
            OPERANDS = ("x",)

    assert "test.bad_clash" not in OP_REGISTRY
    assert "test.bad_variadic" not in OP_REGISTRY
    assert "test.bad_written_out" not in OP_REGISTRY


def test_value_properties() -> None:
    t = TensorType("int16", ("n", 4))
    v = Value(t, name="v")
    assert (v.dtype, v.shape, v.rank) == ("int16", ("n", 4), 2)
    assert v.owner is None
    assert repr(v) == "<Value v: i16[n, 4]>"
    neg = ops.Neg([v])
    assert repr(neg.result) == "<Value tir.neg#0: i16[n, 4]>"
    assert repr(Value(t)) == "<Value arg: i16[n, 4]>"
    assert repr(neg) == "<tir.neg i16[n, 4]>"


# -- registry ----------------------------------------------------------------------------------

EXPECTED_OP_NAMES = {
    "return",
    "tir.constant", "tir.dimshuffle", "tir.transpose", "tir.squeeze", "tir.unsqueeze",
    "tir.cast", "tir.second", "tir.where", "tir.clip",
    "tir.add", "tir.mul", "tir.sub", "tir.div", "tir.int_div", "tir.mod", "tir.pow",
    "tir.maximum", "tir.minimum", "tir.neg", "tir.abs", "tir.sign",
    "tir.exp", "tir.exp2", "tir.expm1", "tir.log", "tir.log2", "tir.log10", "tir.log1p",
    "tir.sqrt", "tir.reciprocal", "tir.sin", "tir.cos", "tir.tan", "tir.asin", "tir.acos",
    "tir.atan", "tir.sinh", "tir.cosh", "tir.tanh", "tir.asinh", "tir.acosh", "tir.atanh",
    "tir.sigmoid", "tir.softplus", "tir.erf", "tir.silu", "tir.floor", "tir.ceil", "tir.trunc",
    "tir.round_half_to_even", "tir.round_half_away_from_zero",
    "tir.lt", "tir.gt", "tir.le", "tir.ge", "tir.eq", "tir.ne", "tir.isnan", "tir.isinf",
    "tir.and", "tir.or", "tir.xor", "tir.invert",
}  # fmt: skip


def test_registry_has_every_op_name() -> None:
    assert set(OP_REGISTRY) >= EXPECTED_OP_NAMES
    assert all(name in ("return", "yield") or name.startswith("tir.") for name in OP_REGISTRY)


def test_registry_maps_each_exported_class_by_its_name() -> None:
    exported = [getattr(elementwise, n) for n in elementwise.__all__]
    exported += [getattr(tensor, n) for n in tensor.__all__]
    assert all(getattr(ops, cls.__name__) is cls for cls in exported)
    concrete = [cls for cls in exported if "NAME" in cls.__dict__]
    assert len(concrete) == len(EXPECTED_OP_NAMES) - 1  # all but return
    for cls in concrete:
        assert OP_REGISTRY[cls.NAME] is cls
    assert OP_REGISTRY["return"] is Return


def test_registry_every_op_has_an_interpreter_implementation() -> None:
    terminators = (Return, Yield)
    implemented = set(IMPLS) | set(REGION_IMPLS) | set(terminators)
    missing = [n for n, cls in OP_REGISTRY.items() if cls not in implemented]
    assert missing == []


# -- operand count and attribute checks --------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "count", "message"),
    [
        (ops.Neg, 0, "tir.neg: expected 1 operands ('x',), got 0"),
        (ops.Neg, 2, "tir.neg: expected 1 operands ('x',), got 2"),
        (ops.Sub, 1, "tir.sub: expected 2 operands ('x', 'y'), got 1"),
        (ops.Sub, 3, "tir.sub: expected 2 operands ('x', 'y'), got 3"),
        (ops.Clip, 2, "tir.clip: expected 3 operands ('x', 'lo', 'hi'), got 2"),
        (ops.Where, 4, "tir.where: expected 3 operands ('cond', 'a', 'b'), got 4"),
        (ops.Add, 0, "tir.add: expected at least 1 operand, got 0"),
        (ops.Mul, 0, "tir.mul: expected at least 1 operand, got 0"),
    ],
)
def test_operand_count_checked(cls: type[Operation], count: int, message: str) -> None:
    x = _x()
    with pytest.raises(IRError) as info:
        cls([x] * count)
    assert str(info.value) == message
    assert not x.has_uses


def test_operand_count_constant_takes_none() -> None:
    data = {"value": DenseElements(np.zeros(2, np.float32))}
    with pytest.raises(IRError, match=r"tir.constant: expected 0 operands \(\), got 1"):
        ops.Constant([_x()], data)


@pytest.mark.parametrize("count", [1, 2, 5])
def test_operand_count_variadic_accepts_any_positive(count: int) -> None:
    x = _x()
    add = ops.Add([x] * count)
    assert len(add.inputs) == count
    assert add.result.type == F2


def test_operand_count_return_accepts_zero() -> None:
    assert Return([], []).operands == []
    with pytest.raises(IRError, match="return: one name per output"):
        Return([_x()], [])


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({}, "tir.transpose: missing attribute 'perm'"),
        ({"perm": (1, 0), "axes": (0,)}, "tir.transpose: unknown attributes ['axes']"),
        ({"perm": (True, 0)}, "tir.transpose: attribute 'perm': expected an int, got True"),
        ({"perm": 1}, "tir.transpose: attribute 'perm': expected a list of ints, got 1"),
        ({"perm": (1.0, 0)}, "tir.transpose: attribute 'perm': expected an int, got 1.0"),
        ({"perm": (0, 0)}, "tir.transpose: perm [0, 0] is not a permutation of the 2 axes"),
    ],
)
def test_attribute_checks(attrs: dict, message: str) -> None:
    m = _x("m", TensorType("float32", (2, 3)))
    with pytest.raises(IRError) as info:
        ops.Transpose([m], attrs)
    assert str(info.value) == message
    assert not m.has_uses


def test_attribute_kinds_normalize() -> None:
    assert INTS.check([np.int32(1), 2]) == (1, 2)
    with pytest.raises(IRError, match=r"tir\.cast: attribute 'to': expected a dtype"):
        ops.Cast([_x()], {"to": "float128"})
    with pytest.raises(IRError, match="expected dense elements"):
        ops.Constant([], {"value": np.zeros(2)})
