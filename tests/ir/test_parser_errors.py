"""Parser errors: each names the line and column and says clearly what is wrong."""

from __future__ import annotations

import pytest

from ir.core import IRError
from ir.parser import ParseError, parse_module


def _error(text: str) -> str:
    with pytest.raises(ParseError) as info:
        parse_module(text)
    return str(info.value)


def test_parse_error_is_an_ir_error() -> None:
    assert issubclass(ParseError, IRError)


# -- ops and values ----------------------------------------------------------------------------


def test_unknown_op_names_line_and_column() -> None:
    text = 'func @main(%x: f32[2]) {\n  %0 = tir.foo %x : f32[2]\n  return %0 : "y"\n}\n'
    message = _error(text)
    assert message.startswith("line 2, column 8: unknown op 'tir.foo'")
    # the offending line and a caret under the column
    assert "\n    %0 = tir.foo %x : f32[2]\n         ^" in message


def test_unknown_dtype_in_argument() -> None:
    message = _error('func @main(%x: f8[2]) {\n  return %x : "y"\n}\n')
    assert message.startswith("line 1, column 16: unknown dtype 'f8'")


def test_unknown_dtype_in_result_type() -> None:
    text = 'func @main(%x: f32[2]) {\n  %0 = tir.neg %x : float32[2]\n  return %0 : "y"\n}\n'
    assert _error(text).startswith("line 2, column 21: unknown dtype 'float32'")


def test_use_before_def() -> None:
    text = 'func @main(%x: f32[2]) {\n  %0 = tir.neg %y : f32[2]\n  return %0 : "y"\n}\n'
    assert _error(text).startswith("line 2, column 16: value %y is used before it is defined")


def test_use_before_def_later_value() -> None:
    text = (
        "func @main(%x: f32[2]) {\n"
        "  %0 = tir.neg %1 : f32[2]\n"
        "  %1 = tir.neg %x : f32[2]\n"
        '  return %0 : "y"\n'
        "}\n"
    )
    assert _error(text).startswith("line 2, column 16: value %1 is used before it is defined")


def test_use_before_def_in_return() -> None:
    text = 'func @main(%x: f32[2]) {\n  return %z : "y"\n}\n'
    assert _error(text).startswith("line 2, column 10: value %z is used before it is defined")


def test_value_defined_twice() -> None:
    text = (
        "func @main(%x: f32[2]) {\n"
        "  %0 = tir.neg %x : f32[2]\n"
        "  %0 = tir.neg %x : f32[2]\n"
        '  return %0 : "y"\n'
        "}\n"
    )
    assert _error(text).startswith("line 3, column 3: value %0 is defined twice")


def test_value_defined_twice_shadowing_argument() -> None:
    text = 'func @main(%x: f32[2]) {\n  %x = tir.neg %x : f32[2]\n  return %x : "y"\n}\n'
    assert _error(text).startswith("line 2, column 3: value %x is defined twice")


def test_argument_defined_twice() -> None:
    text = 'func @main(%x: f32[2], %x: f32[2]) {\n  return %x : "y"\n}\n'
    assert _error(text).startswith("line 1, column 24: value %x is defined twice")


def test_result_types_too_many() -> None:
    text = 'func @main(%x: f32[2]) {\n  %0 = tir.neg %x : f32[2], f32[2]\n  return %0 : "y"\n}\n'
    assert _error(text).startswith("line 2, column 8: 1 results but 2 result types")


def test_result_types_missing() -> None:
    text = 'func @main(%x: f32[2]) {\n  %0 = tir.neg %x\n  return %0 : "y"\n}\n'
    assert _error(text).startswith("line 2, column 8: 1 results but 0 result types")


def test_result_names_too_many() -> None:
    text = 'func @main(%x: f32[2]) {\n  %0, %1 = tir.neg %x : f32[2], f32[2]\n  return %0 : "y"\n}'
    assert _error(text).startswith("line 2, column 12: tir.neg: expected 1 result types, got 2")


def test_operand_count_wrong() -> None:
    text = 'func @main(%x: f32[2]) {\n  %0 = tir.sub %x : f32[2]\n  return %0 : "y"\n}\n'
    message = _error(text)
    assert message.startswith("line 2, column 8: tir.sub: expected 2 operands")
    assert "got 1" in message


def test_variadic_without_operands() -> None:
    text = 'func @main() {\n  %0 = tir.add : f32[]\n  return %0 : "y"\n}\n'
    assert _error(text).startswith("line 2, column 8: tir.add: expected at least 1 operand, got 0")


# -- function structure ------------------------------------------------------------------------


def test_missing_return() -> None:
    text = "func @main(%x: f32[2]) {\n  %0 = tir.neg %x : f32[2]\n}\n"
    message = _error(text)
    assert message.startswith("line 3, column 1: the function must end with return")
    assert message.endswith("\n  }\n  ^")


def test_missing_return_empty_body_without_trailing_newline() -> None:
    message = _error("func @main() {\n}")
    assert message.startswith("line 2, column 1: the function must end with return")


def test_truncated_text_ending_in_newline() -> None:
    message = _error("func @main(%x: f32[2]) {\n  %0 = tir.neg %x : f32[2]\n")
    assert message.startswith("line 3, column 1: expected an op name, found 'end of input'")


def test_empty_text() -> None:
    assert _error("").startswith("line 1, column 1: expected 'func', found 'end of input'")


def test_op_after_return() -> None:
    text = 'func @main(%x: f32[2]) {\n  return %x : "y"\n  %0 = tir.neg %x : f32[2]\n}\n'
    assert _error(text).startswith("line 3, column 3: expected '}', found '%0'")


def test_text_after_function() -> None:
    text = 'func @main(%x: f32[2]) {\n  return %x : "y"\n}\nfunc'
    assert _error(text).startswith("line 4, column 1: expected end of input after the function")


def test_return_with_results() -> None:
    text = 'func @main(%x: f32[2]) {\n  %0 = return %x : "y"\n}\n'
    assert _error(text).startswith("line 2, column 15: return has no results")


def test_return_names_count_mismatch() -> None:
    text = 'func @main(%x: f32[2]) {\n  return %x, %x : "y"\n}\n'
    assert _error(text).startswith("line 2, column 3: return of 2 values needs 2 names")


def test_return_name_not_a_string() -> None:
    text = "func @main(%x: f32[2]) {\n  return %x : y\n}\n"
    assert _error(text).startswith("line 2, column 15: expected an output name, found 'y'")


def test_unexpected_character() -> None:
    text = 'func @main(%x: f32[2]) {\n  $0 = tir.neg %x : f32[2]\n  return %x : "y"\n}\n'
    assert _error(text).startswith("line 2, column 3: unexpected character '$'")


@pytest.mark.parametrize(
    ("dims", "column", "found"),
    [("-1", 20, "-1"), ("1.5", 20, "1.5"), ("2, a.b", 23, "a.b"), ('"n"', 20, '"n"')],
)
def test_bad_dim(dims: str, column: int, found: str) -> None:
    text = f'func @main(%x: f32[{dims}]) {{\n  return %x : "y"\n}}\n'
    message = _error(text)
    assert message.startswith(
        f"line 1, column {column}: expected a dim (int, symbol or ?), found {found!r}"
    )


# -- constants ---------------------------------------------------------------------------------


def _const_text(body: str, type_: str) -> str:
    return f'func @main() {{\n  %0 = tir.constant {body} : {type_}\n  return %0 : "y"\n}}\n'


def test_bad_hex_length() -> None:
    message = _error(_const_text('dense<"0x000080">', "f32[1]"))
    assert message.startswith("line 2, column 8: hex data has 3 bytes, type f32[1] needs 4")


def test_bad_hex_length_too_long() -> None:
    message = _error(_const_text('dense<"0x0000803F00">', "f32[1]"))
    assert message.startswith("line 2, column 8: hex data has 5 bytes, type f32[1] needs 4")


def test_bad_hex_odd_digits() -> None:
    message = _error(_const_text('dense<"0x0000803">', "f32[1]"))
    assert message.startswith("line 2, column 27: bad hex digits in dense bytes")


def test_bad_hex_not_hex() -> None:
    message = _error(_const_text('dense<"0xZZ">', "i8[1]"))
    assert message.startswith("line 2, column 27: bad hex digits in dense bytes")


def test_bad_hex_missing_prefix() -> None:
    message = _error(_const_text('dense<"0000803F">', "f32[1]"))
    assert message.startswith('line 2, column 27: dense bytes are written "0x..."')


@pytest.mark.parametrize(
    ("body", "type_", "detail"),
    [
        ("dense<128>", "i8[]", "128 is out of range for int8"),
        ("dense<-129>", "i8[2]", "-129 is out of range for int8"),
        ("dense<[0, 256]>", "u8[2]", "256 is out of range for uint8"),
        ("dense<-1>", "u32[]", "-1 is out of range for uint32"),
        ("dense<65536>", "u16[]", "65536 is out of range for uint16"),
        ("dense<2147483648>", "i32[]", "2147483648 is out of range for int32"),
        (
            "dense<18446744073709551616>",
            "u64[]",
            "18446744073709551616 is out of range for uint64",
        ),
        (
            "dense<[-9223372036854775809]>",
            "i64[1]",
            "-9223372036854775809 is out of range for int64",
        ),
    ],
)
def test_int_literal_out_of_range(body: str, type_: str, detail: str) -> None:
    assert _error(_const_text(body, type_)).startswith(f"line 2, column 8: {detail}")


@pytest.mark.parametrize(
    ("body", "type_", "detail"),
    [
        ("dense<1.5>", "i32[]", "expected an integer for int32, got 1.5"),
        ("dense<true>", "i8[]", "expected an integer for int8, got True"),
        ("dense<1>", "bool[]", "expected true or false for bool, got 1"),
        ("dense<false>", "f32[]", "expected a number for float32, got False"),
        ("dense<[1, 2]>", "i8[3]", "literal of shape (2,) does not match type i8[3]"),
        ("dense<[[1], [2, 3]]>", "i8[2, 2]", ""),
        ("dense<1>", "f32[n]", "a constant needs a static type, got f32[n]"),
        ("dense<[]>", "f32[2]", "literal of shape (0,) does not match type f32[2]"),
    ],
)
def test_bad_dense_literal(body: str, type_: str, detail: str) -> None:
    message = _error(_const_text(body, type_))
    assert message.startswith(f"line 2, column 8: {detail}")


def test_elided_constant_cannot_be_read_back() -> None:
    message = _error(_const_text("dense<...>", "f32[5]"))
    assert message.startswith("line 2, column 27: elided constant data cannot be read back")
    assert "print without eliding" in message


def test_dense_needs_one_result_type() -> None:
    text = "func @main() {\n  tir.constant dense<1>\n  return\n}\n"
    assert _error(text).startswith("line 2, column 3: dense data needs exactly one result type")


# -- attributes --------------------------------------------------------------------------------


def _op_text(op: str, type_: str = "f32[2, 3]") -> str:
    return f'func @main(%x: f32[2, 3]) {{\n  %0 = {op} : {type_}\n  return %0 : "y"\n}}\n'


@pytest.mark.parametrize(
    ("op", "detail"),
    [
        (
            "tir.transpose %x {perm = [0, 0]}",
            "tir.transpose: perm [0, 0] is not a permutation of the 2 axes",
        ),
        (
            "tir.transpose %x {perm = [0, 1, 2]}",
            "tir.transpose: perm [0, 1, 2] is not a permutation of the 2 axes",
        ),
        ("tir.transpose %x {perm = 1}", "tir.transpose: attribute 'perm': expected a list of ints"),
        (
            'tir.transpose %x {perm = ["a", 1]}',
            "tir.transpose: attribute 'perm': expected an int, got 'a'",
        ),
        ("tir.transpose %x", "tir.transpose: missing attribute 'perm'"),
        (
            "tir.transpose %x {perm = [1, 0], axes = [0]}",
            "tir.transpose: unknown attributes ['axes']",
        ),
        ("tir.squeeze %x {axes = [0]}", "tir.squeeze: axis 0 has size 2, not 1"),
        ("tir.squeeze %x {axes = [2]}", "tir.squeeze: axis 2 is out of range for rank 2"),
        ("tir.unsqueeze %x {axes = [0, 0]}", "tir.unsqueeze: repeated axis in (0, 0)"),
        (
            'tir.dimshuffle %x {order = [0, "y"]}',
            "tir.dimshuffle: attribute 'order': expected an int, got 'y'",
        ),
        ("tir.dimshuffle %x {order = [0, 0]}", "tir.dimshuffle: bad order [0, 0] for rank 2"),
        ("tir.dimshuffle %x {order = [1]}", "tir.dimshuffle: drops axis 0 of size 2, not 1"),
        ("tir.cast %x {to = 3}", "tir.cast: attribute 'to': expected a dtype, got 3"),
    ],
)
def test_bad_attribute(op: str, detail: str) -> None:
    assert _error(_op_text(op)).startswith(f"line 2, column 8: {detail}")


def test_attribute_given_twice() -> None:
    message = _error(_op_text("tir.transpose %x {perm = [1, 0], perm = [0, 1]}", "f32[3, 2]"))
    assert message.startswith("line 2, column 41: attribute 'perm' is given twice")


def test_inline_attribute_given_again() -> None:
    text = "func @main() {\n  %0 = tir.constant dense<1> {value = dense<2>} : i8[]\n  return\n}\n"
    assert _error(text).startswith("line 2, column 31: attribute 'value' is given twice")


def test_bad_attribute_dtype_word() -> None:
    message = _error(_op_text("tir.cast %x {to = f8}"))
    assert message.startswith("line 2, column 26: expected an attribute value, found 'f8'")


def test_bad_attribute_missing_comma() -> None:
    message = _error(_op_text("tir.transpose %x {perm = [1 0]}"))
    assert message.startswith("line 2, column 36: expected ',', found '0'")


def test_operands_that_do_not_broadcast() -> None:
    text = (
        "func @main(%x: f32[2, 3], %y: f32[4]) {\n"
        "  %0 = tir.add %x, %y : f32[2, 3]\n"
        '  return %0 : "y"\n'
        "}\n"
    )
    message = _error(text)
    assert message.startswith("line 2, column 8: tir.add: operands do not broadcast")
    assert "dims 3 and 4 do not broadcast" in message
