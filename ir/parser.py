"""Reads the IR's text form (as written by ``ir.printer``) back into a ``Module``.

Errors name the line and column. Result types are taken from the text; the verifier checks
them against the ops' inferred types. An op whose types cannot be inferred at all (a bad
attribute, operands that do not fit) is a parse error, so that it is reported with its location.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import ir.ops  # noqa: F401  (registers the op classes)
from ir import attributes as A
from ir import dtypes
from ir.core import OP_REGISTRY, Block, Function, IRError, Module, Operation, Return, Value, Yield
from ir.types import TensorType


class ParseError(IRError):
    """The text is not valid IR; the message names line and column."""


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|//[^\n]*)
  | (?P<value>%(?:[A-Za-z0-9_]+|"(?:[^"\\]|\\.)*"))
  | (?P<symbol>@[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>-?(?:inf|nan)\b|-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<punct>\.\.\.|[(){}\[\]<>,:=?^])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class _Dense:
    """A dense literal not yet given its type."""

    literal: Any


def parse_module(text: str) -> Module:
    return Module(_Parser(text).parse_function())


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._tokenize(text)
        self.i = 0
        self.values: dict[str, Value] = {}

    # -- tokens -------------------------------------------------------------------------------

    def _tokenize(self, text: str) -> list[Token]:
        tokens, pos = [], 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:
                raise self._error_at(pos, f"unexpected character {text[pos]!r}")
            if m.lastgroup != "ws":
                tokens.append(Token(m.lastgroup or "", m.group(), pos))
            pos = m.end()
        tokens.append(Token("eof", "", len(text)))
        return tokens

    def _error_at(self, pos: int, message: str) -> ParseError:
        line = self.text.count("\n", 0, pos) + 1
        col = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        src = self.text.split("\n")[line - 1]
        return ParseError(f"line {line}, column {col}: {message}\n  {src}\n  {' ' * (col - 1)}^")

    def error(self, message: str) -> ParseError:
        return self._error_at(self.peek().pos, message)

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, text: str) -> bool:
        tok = self.peek()
        return tok.text == text and tok.kind in ("punct", "ident")

    def accept(self, text: str) -> bool:
        if self.at(text):
            self.i += 1
            return True
        return False

    def expect(self, text: str) -> Token:
        if not self.at(text):
            raise self.error(f"expected {text!r}, found {self.peek().text or 'end of input'!r}")
        return self.next()

    def expect_kind(self, kind: str, what: str) -> Token:
        if self.peek().kind != kind:
            raise self.error(f"expected {what}, found {self.peek().text or 'end of input'!r}")
        return self.next()

    # -- grammar ------------------------------------------------------------------------------

    def parse_function(self) -> Function:
        self.expect("func")
        name = self.expect_kind("symbol", "a function name like @main").text[1:]
        func = Function(name, self._parse_args())
        self.expect("{")
        while not self.at("}"):
            op = self.parse_op()
            func.append(op)
            if isinstance(op, Return):
                break
        close = self.expect("}")
        if self.peek().kind != "eof":
            raise self.error("expected end of input after the function")
        if not isinstance(func.last, Return):
            raise self._error_at(close.pos, "the function must end with return")
        return func

    def parse_op(self) -> Operation:
        start = self.peek()
        result_tokens: list[Token] = []
        if start.kind == "value":
            result_tokens.append(self.next())
            while self.accept(","):
                result_tokens.append(self.expect_kind("value", "a result name"))
            self.expect("=")
        name_tok = self.expect_kind("ident", "an op name")
        if name_tok.text == "return":
            return self._parse_return(result_tokens, name_tok)
        if name_tok.text == "yield":
            if result_tokens:
                raise self._error_at(name_tok.pos, "yield has no results")
            return Yield(self._parse_operands())
        cls = OP_REGISTRY.get(name_tok.text)
        if cls is None:
            raise self._error_at(name_tok.pos, f"unknown op {name_tok.text!r}")
        attrs: dict[str, Any] = {}
        if cls.INLINE_ATTR is not None:
            attrs[cls.INLINE_ATTR] = self.parse_attr_value()
        operands = self._parse_operands()
        if self.accept("{"):
            while not self.at("}"):
                if len(attrs) > (cls.INLINE_ATTR is not None):
                    self.expect(",")
                key_tok = self.expect_kind("ident", "an attribute name")
                key = key_tok.text
                if key in attrs:
                    raise self._error_at(key_tok.pos, f"attribute {key!r} is given twice")
                self.expect("=")
                attrs[key] = self.parse_attr_value()
            self.expect("}")
        types: list[TensorType] = []
        if self.accept(":"):
            types.append(self.parse_type())
            while self.accept(","):
                types.append(self.parse_type())
        if len(types) != len(result_tokens):
            raise self._error_at(
                name_tok.pos, f"{len(result_tokens)} results but {len(types)} result types"
            )
        regions: list[Block] = []
        while self.accept("{"):
            regions.append(self._parse_region())
        for key, value in attrs.items():
            if isinstance(value, _Dense):
                if len(types) != 1:
                    raise self._error_at(name_tok.pos, "dense data needs exactly one result type")
                try:
                    attrs[key] = A.dense_from_literal(value.literal, types[0])
                except ValueError as e:
                    raise self._error_at(name_tok.pos, str(e)) from None
        try:
            op = cls(operands, attrs, result_types=types, regions=regions)
            op.infer_types()  # bad attributes and operands fail here, with a location
        except IRError as e:
            raise self._error_at(name_tok.pos, str(e)) from None
        for tok, result in zip(result_tokens, op.results, strict=True):
            result.name = self._value_name(tok.text)
            self._define(tok, result)
        return op

    def _parse_args(self) -> list[Value]:
        """``(%x: f32[3], ...)``: block arguments, defined from here on."""
        self.expect("(")
        args: list[Value] = []
        while not self.at(")"):
            if args:
                self.expect(",")
            tok = self.expect_kind("value", "an argument like %x")
            self.expect(":")
            value = Value(self.parse_type(), name=self._value_name(tok.text))
            self._define(tok, value)
            args.append(value)
        self.expect(")")
        return args

    def _parse_region(self) -> Block:
        """A region's arguments (``^(%i: i64[], ...):``, if any), its ops up to its ``yield``,
        and the closing brace."""
        args: list[Value] = []
        if self.accept("^"):
            args = self._parse_args()
            self.expect(":")
        region = Block(args)
        while not self.at("}"):
            op = self.parse_op()
            region.append(op)
            if isinstance(op, Yield):
                break
        close = self.expect("}")
        if not isinstance(region.last, Yield):
            raise self._error_at(close.pos, "a region must end with yield")
        return region

    def _parse_return(self, result_tokens: list[Token], name_tok: Token) -> Return:
        if result_tokens:
            raise self.error("return has no results")
        operands = self._parse_operands()
        names: list[str] = []
        if self.accept(":"):
            names.append(json.loads(self.expect_kind("string", "an output name").text))
            while self.accept(","):
                names.append(json.loads(self.expect_kind("string", "an output name").text))
        if len(names) != len(operands):
            raise self._error_at(
                name_tok.pos, f"return of {len(operands)} values needs {len(operands)} names"
            )
        return Return(operands, names)

    def _parse_operands(self) -> list[Value]:
        operands: list[Value] = []
        if self.peek().kind != "value":
            return operands
        operands.append(self._use(self.next()))
        while self.accept(","):
            operands.append(self._use(self.expect_kind("value", "an operand")))
        return operands

    def parse_type(self) -> TensorType:
        tok = self.expect_kind("ident", "a dtype like f32")
        dtype = dtypes.FROM_SHORT.get(tok.text)
        if dtype is None:
            raise self._error_at(tok.pos, f"unknown dtype {tok.text!r}")
        self.expect("[")
        dims: list[int | str] = []
        while not self.at("]"):
            if dims:
                self.expect(",")
            d = self.next()
            if d.kind == "number" and d.text.isdigit():
                dims.append(int(d.text))
            elif (d.kind == "ident" and "." not in d.text) or d.text in ("?", "inf", "nan"):
                dims.append(d.text)
            else:
                raise self._error_at(d.pos, f"expected a dim (int, symbol or ?), found {d.text!r}")
        self.expect("]")
        return TensorType(dtype, tuple(dims))

    def parse_attr_value(self) -> Any:
        tok = self.next()
        if tok.kind == "number":
            return _number(tok.text)
        if tok.kind == "string":
            return json.loads(tok.text)
        if tok.kind == "punct" and tok.text == "[":
            items: list[Any] = []
            while not self.at("]"):
                if items:
                    self.expect(",")
                items.append(self.parse_attr_value())
            self.expect("]")
            return tuple(items)
        if tok.kind == "ident":
            if tok.text in ("true", "false"):
                return tok.text == "true"
            if tok.text == "dense":
                return self._parse_dense()
            if tok.text in dtypes.FROM_SHORT:
                return A.DTypeWord(dtypes.FROM_SHORT[tok.text])
        raise self._error_at(tok.pos, f"expected an attribute value, found {tok.text!r}")

    def _parse_dense(self) -> _Dense:
        self.expect("<")
        tok = self.peek()
        if tok.kind == "string":
            self.next()
            body = json.loads(tok.text)
            if not body.startswith("0x"):
                raise self._error_at(tok.pos, 'dense bytes are written "0x..."')
            try:
                literal: Any = A.HexBytes(bytes.fromhex(body[2:]))
            except ValueError:
                raise self._error_at(tok.pos, "bad hex digits in dense bytes") from None
        elif tok.text == "...":
            raise self.error("elided constant data cannot be read back; print without eliding")
        else:
            literal = self.parse_attr_value()
        self.expect(">")
        return _Dense(literal)

    # -- values -------------------------------------------------------------------------------

    @staticmethod
    def _value_name(ref: str) -> str | None:
        body = ref[1:]
        if body.startswith('"'):
            name: str = json.loads(body)  # a quoted name is a JSON string
            return name
        return None if body.isdigit() else body

    def _define(self, tok: Token, value: Value) -> None:
        if tok.text in self.values:
            raise self._error_at(tok.pos, f"value {tok.text} is defined twice")
        self.values[tok.text] = value

    def _use(self, tok: Token) -> Value:
        value = self.values.get(tok.text)
        if value is None:
            raise self._error_at(tok.pos, f"value {tok.text} is used before it is defined")
        return value


def _number(text: str) -> int | float:
    if any(c in text for c in ".eEn"):  # '.', exponent, nan, inf
        return float(text)
    return int(text)
