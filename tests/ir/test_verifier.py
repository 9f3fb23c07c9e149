"""The verifier: accepts good IR, names the op when an invariant is broken."""

from __future__ import annotations

import numpy as np
import pytest

from ir import ops
from ir.attributes import DenseElements
from ir.core import Function, IRError, Module, Operation, Return, Use, Value
from ir.parser import parse_module
from ir.types import TensorType
from ir.verifier import VerificationError, refines, verify_module

GOOD = """\
func @main(%x: f32[batch, 3], %m: f32[2, 3]) {
  %0 = tir.constant dense<2> : i8[]
  %1 = tir.dimshuffle %0 {order = ["x", "x"]} : i8[1, 1]
  %2 = tir.mul %x, %1 : f32[batch, 3]
  %3 = tir.add %2, %1, %x : f32[batch, 3]
  %w = tir.constant dense<"0x000102030405060708090A0B0C0D0E0F10"> : i8[17]
  %4 = tir.transpose %m {perm = [1, 0]} : f32[3, 2]
  return %3, %2, %w, %4 : "y", "z", "w", "t"
}
"""


def _ops(module: Module) -> list[Operation]:
    return list(module.func.ops)


def _fails(module: Module) -> str:
    with pytest.raises(VerificationError) as info:
        verify_module(module)
    return str(info.value)


def _chain() -> tuple[Module, Value, list[Operation]]:
    """x: f32[2] -> neg (named a) -> neg (named b) -> return b."""
    x = Value(TensorType("float32", (2,)), name="x")
    func = Function("main", [x])
    a = func.append(ops.Neg([x]))
    a.result.name = "a"
    b = func.append(ops.Neg([a.result]))
    b.result.name = "b"
    func.append(Return([b.result], ["y"]))
    return Module(func), x, [a, b]


def test_verifier_is_an_ir_error() -> None:
    assert issubclass(VerificationError, IRError)


# -- good IR -----------------------------------------------------------------------------------


def test_verify_passes_parsed_good_ir() -> None:
    verify_module(parse_module(GOOD))


def test_verify_passes_built_good_ir() -> None:
    module, _, _ = _chain()
    verify_module(module)


def test_verify_passes_empty_function() -> None:
    verify_module(parse_module("func @main() {\n  return\n}\n"))


def test_verify_passes_every_elementwise_kind() -> None:
    text = """\
func @main(%b: bool[4], %i: i32[4], %f: f16[4], %u: u8[n, 4]) {
  %0 = tir.div %i, %i : f64[4]
  %1 = tir.lt %f, %i : bool[4]
  %2 = tir.where %b, %f, %i : f64[4]
  %3 = tir.exp %i : f64[4]
  %4 = tir.exp %u : f32[n, 4]
  %5 = tir.pow %b, %b : i8[4]
  %6 = tir.invert %i : i32[4]
  %7 = tir.second %u, %f : f16[n, 4]
  %8 = tir.clip %f, %i, %u : f64[n, 4]
  %9 = tir.isnan %i : bool[4]
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9 : "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"
}
"""
    verify_module(parse_module(text))


# -- result types ------------------------------------------------------------------------------


def test_result_type_edited_dtype_fails() -> None:
    module = parse_module(GOOD)
    mul = _ops(module)[2]
    mul.result.type = TensorType("float64", ("batch", 3))
    message = _fails(module)
    # the op is printed on its own: operands and result are numbered afresh
    assert "`%1 = tir.mul %x, %0 : f64[batch, 3]`" in message
    assert "result types ['f64[batch, 3]'] do not match the inferred ['f32[batch, 3]']" in message


def test_result_type_edited_shape_fails() -> None:
    module, _, (a, _) = _chain()
    a.result.type = TensorType("float32", (3,))
    message = _fails(module)
    assert "`%a = tir.neg %x : f32[3]`" in message
    assert "do not match the inferred ['f32[2]']" in message


def test_result_type_edited_rank_fails() -> None:
    module, _, (a, _) = _chain()
    a.result.type = TensorType("float32", (2, 1))
    assert "tir.neg" in _fails(module)


def test_result_type_wrong_in_text_parses_but_fails() -> None:
    text = 'func @main(%x: f32[2]) {\n  %0 = tir.neg %x : f64[2]\n  return %0 : "y"\n}\n'
    module = parse_module(text)
    message = _fails(module)
    assert "`%0 = tir.neg %x : f64[2]`" in message
    assert "the inferred ['f32[2]']" in message


def _binary_with_stored(stored: TensorType, x_shape: tuple, y_shape: tuple) -> Module:
    x = Value(TensorType("float32", x_shape), name="x")
    y = Value(TensorType("float32", y_shape), name="y")
    func = Function("main", [x, y])
    add = func.append(ops.Add([x, y], result_types=[stored]))
    func.append(Return([add.result], ["out"]))
    return Module(func)


@pytest.mark.parametrize("dim", [4, "n", "m", "other"])
def test_refinement_of_unknown_dim_accepted(dim: int | str) -> None:
    # n and m broadcast to "?": the stored type may say more
    module = _binary_with_stored(TensorType("float32", (dim,)), ("n",), ("m",))
    assert _ops(module)[0].infer_types() == (TensorType("float32", ("?",)),)
    verify_module(module)


def test_refinement_of_unknown_argument_dim_accepted() -> None:
    text = 'func @main(%x: f32[?, 3]) {\n  %0 = tir.neg %x : f32[batch, 3]\n  return %0 : "y"\n}\n'
    verify_module(parse_module(text))


def test_stale_unknown_dim_accepted() -> None:
    # A pass made an operand more precise (folded to a constant): the stored "?" is stale but
    # still compatible, so it stays valid.
    module = _binary_with_stored(TensorType("float32", ("?",)), ("n",), ("n",))
    verify_module(module)


@pytest.mark.parametrize("dim", ["m", 4])
def test_refinement_changing_named_symbol_rejected(dim: int | str) -> None:
    module = _binary_with_stored(TensorType("float32", (dim,)), ("n",), ("n",))
    message = _fails(module)
    assert "tir.add" in message
    assert "do not match the inferred ['f32[n]']" in message


def test_refinement_changing_static_dim_rejected() -> None:
    module = _binary_with_stored(TensorType("float32", ("n",)), (3,), ("n",))
    assert "the inferred ['f32[3]']" in _fails(module)


def test_refines_rules() -> None:
    f = "float32"
    assert refines(TensorType(f, (2, "n")), TensorType(f, ("?", "n")))
    assert refines(TensorType(f, ("?",)), TensorType(f, ("?",)))
    assert refines(TensorType(f, ("?",)), TensorType(f, (2,)))  # stale but compatible
    assert not refines(TensorType(f, ("n",)), TensorType(f, (2,)))
    assert not refines(TensorType(f, (2,)), TensorType(f, (2, 1)))
    assert not refines(TensorType("float64", (2,)), TensorType(f, (2,)))


def test_bad_attribute_after_construction_fails() -> None:
    module = parse_module(GOOD)
    transpose = _ops(module)[5]
    transpose.attributes["perm"] = (0, 0)
    message = _fails(module)
    assert "`%0 = tir.transpose %m {perm = [0, 0]} : f32[3, 2]`" in message
    assert "perm [0, 0] is not a permutation of the 2 axes" in message


def test_verify_op_check_runs() -> None:
    x = Value(TensorType("float32", (2,)), name="x")
    func = Function("main", [x])
    inv = func.append(ops.Invert([x]))  # infer_types accepts it; verify_op does not
    func.append(Return([inv.result], ["y"]))
    message = _fails(Module(func))
    assert "`%0 = tir.invert %x : f32[2]`" in message
    assert "takes bool or integer operands, got float32" in message


# -- use lists ---------------------------------------------------------------------------------


def test_broken_use_list_missing_use() -> None:
    module, x, (a, _) = _chain()
    del x._uses[Use(a, 0)]
    message = _fails(module)
    assert "use list of operand 0 of `%a = tir.neg %x : f32[2]` is broken" in message


def test_broken_use_list_operand_swapped_behind_its_back() -> None:
    module, x, (a, b) = _chain()
    b.operands[0] = x  # not through set_operand: neither x nor a knows
    # a (checked first) still lists b as a reader
    assert "stale use of a result of `%a = tir.neg %x : f32[2]`" in _fails(module)
    del a.result._uses[Use(b, 0)]
    message = _fails(module)
    assert "use list of operand 0 of `%b = tir.neg %x : f32[2]` is broken" in message


def test_broken_use_list_stale_use_by_detached_op() -> None:
    module, _, (a, _) = _chain()
    ops.Neg([a.result])  # built, never inserted: a stale use of %a
    message = _fails(module)
    assert "stale use of a result of `%a = tir.neg %x : f32[2]`" in message


def test_broken_use_list_use_pointing_at_other_operand() -> None:
    module, _, (a, b) = _chain()
    a.result._uses[Use(b, 5)] = None  # b has one operand
    assert "stale use of a result of `%a = tir.neg %x : f32[2]`" in _fails(module)


def test_broken_use_list_use_by_op_reading_another_value() -> None:
    module, _, (a, _) = _chain()
    a.result._uses[Use(a, 0)] = None  # a reads x, not itself
    assert "stale use of a result of `%a = tir.neg %x : f32[2]`" in _fails(module)


def test_broken_use_list_stale_use_of_argument() -> None:
    module, x, _ = _chain()
    ops.Neg([x])  # built, never inserted: a stale use of the argument %x
    assert "stale use of argument %x" in _fails(module)


def test_result_with_wrong_owner() -> None:
    module, _, (a, b) = _chain()
    b.result.owner = a
    assert "result of `%b = tir.neg %a : f32[2]` has a wrong owner" in _fails(module)


# -- order -------------------------------------------------------------------------------------


def test_use_before_def_inserted_before() -> None:
    module, _, (a, b) = _chain()
    early = ops.Neg([b.result])
    module.func.insert_before(a, early)
    message = _fails(module)
    assert "operand 0 of `%0 = tir.neg %b : f32[2]` is used before it is defined" in message


def test_use_before_def_self_reference() -> None:
    module, _, (a, _) = _chain()
    a.set_operand(0, a.result)  # a reads itself
    message = _fails(module)
    assert "operand 0 of `" in message
    assert "= tir.neg %a : f32[2]` is used before it is defined" in message


def test_use_of_value_from_another_function() -> None:
    module, _, (a, _) = _chain()
    stranger = Value(TensorType("float32", (2,)), name="stranger")
    a.set_operand(0, stranger)
    assert "operand 0 of `%a = tir.neg %stranger : f32[2]`" in _fails(module)


def test_return_not_last() -> None:
    module, x, _ = _chain()
    module.func.insert_after(module.func.terminator, ops.Neg([x]))
    assert "return must be the last op" in _fails(module)


def test_missing_return() -> None:
    module, _, _ = _chain()
    module.func.erase(module.func.terminator)
    assert "function @main must end with return" in _fails(module)


def test_broken_op_list() -> None:
    module, _, (_, b) = _chain()
    b.prev = None
    assert "broken op list at %b = tir.neg %a : f32[2]" in _fails(module)


def test_broken_op_count() -> None:
    module, _, _ = _chain()
    module.func._count += 1
    assert "broken op list: last op or op count is wrong" in _fails(module)


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("names", [["y", "y"], ["y", ""]])
def test_output_names_duplicate_or_empty(names: list[str]) -> None:
    x = Value(TensorType("float32", (2,)), name="x")
    func = Function("main", [x])
    func.append(Return([x, x], names))
    message = _fails(Module(func))
    assert f"output names must be unique and non-empty: {names}" in message


def test_output_names_duplicate_in_text() -> None:
    module = parse_module('func @main(%x: f32[2]) {\n  return %x, %x : "y", "y"\n}\n')
    assert "output names must be unique" in _fails(module)


def test_argument_without_name() -> None:
    func = Function("main", [Value(TensorType("float32", (2,)))])
    func.append(Return([], []))
    assert "every function argument needs a name" in _fails(Module(func))


def test_argument_names_duplicate() -> None:
    args = [Value(TensorType("float32", (2,)), name="x") for _ in range(2)]
    func = Function("main", args)
    func.append(Return([], []))
    assert "function argument names must be unique" in _fails(Module(func))


def test_argument_with_owner() -> None:
    module, _, (a, _) = _chain()
    module.func.args.append(a.result)
    assert "has an owner" in _fails(module)


def test_constant_type_must_match_data() -> None:
    const = ops.Constant(
        [],
        {"value": DenseElements(np.zeros(3, np.float32))},
        result_types=[TensorType("float32", (4,))],
    )
    func = Function("main", [])
    func.append(const)
    func.append(Return([const.result], ["c"]))
    message = _fails(Module(func))
    assert "tir.constant" in message
    assert "do not match the inferred ['f32[3]']" in message
