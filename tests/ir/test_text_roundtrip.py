"""The IR text form: golden prints of hand-built modules and print/parse round trips."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ir import ops
from ir.attributes import DenseElements, format_float
from ir.core import OP_REGISTRY, Function, IRError, Module, Operation, Return, Value
from ir.dtypes import SHORT_NAMES
from ir.parser import parse_module
from ir.printer import print_module
from ir.types import TensorType
from ir.verifier import verify_module

ALL_DTYPES: list[str] = list(SHORT_NAMES)


def _const(array: np.ndarray, name: str | None = None) -> ops.Constant:
    op = ops.Constant([], {"value": DenseElements(array)})
    op.result.name = name
    return op


def _module(args: list[Value], body: Callable[[Function], list[tuple[Value, str]]]) -> Module:
    func = Function("main", args)
    outputs = body(func)
    func.append(Return([v for v, _ in outputs], [n for _, n in outputs]))
    return Module(func)


def _raw(array: np.ndarray) -> bytes:
    """The bytes of an array (any rank, including 0-d)."""
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8).tobytes()


def _round_trip(text: str) -> str:
    return print_module(parse_module(text))


# -- golden prints ----------------------------------------------------------------------------


def _golden_main() -> Module:
    x = Value(TensorType("float32", ("batch", 3)), name="x")
    m = Value(TensorType("float32", (2, 3)), name="m")

    def body(f: Function) -> list[tuple[Value, str]]:
        c = f.append(_const(np.array(2, dtype=np.int8)))
        d = f.append(ops.DimShuffle([c.result], {"order": ("x", "x")}))
        mul = f.append(ops.Mul([x, d.result]))
        add = f.append(ops.Add([mul.result, d.result, x]))
        w = f.append(_const(np.arange(17, dtype=np.int8), name="w"))
        t = f.append(ops.Transpose([m], {"perm": (1, 0)}))
        cast = f.append(ops.Cast([t.result], {"to": "float16"}))
        return [(add.result, "y"), (mul.result, "z"), (w.result, "w"), (cast.result, "t")]

    return _module([x, m], body)


GOLDEN_MAIN = """\
func @main(%x: f32[batch, 3], %m: f32[2, 3]) {
  %0 = tir.constant dense<2> : i8[]
  %1 = tir.dimshuffle %0 {order = ["x", "x"]} : i8[1, 1]
  %2 = tir.mul %x, %1 : f32[batch, 3]
  %3 = tir.add %2, %1, %x : f32[batch, 3]
  %w = tir.constant dense<"0x000102030405060708090A0B0C0D0E0F10"> : i8[17]
  %4 = tir.transpose %m {perm = [1, 0]} : f32[3, 2]
  %5 = tir.cast %4 {to = f16} : f16[3, 2]
  return %3, %2, %w, %5 : "y", "z", "w", "t"
}
"""


def test_golden_main_prints_exactly() -> None:
    module = _golden_main()
    verify_module(module)
    assert print_module(module) == GOLDEN_MAIN


def test_golden_main_parses_back() -> None:
    module = parse_module(GOLDEN_MAIN)
    verify_module(module)
    assert print_module(module) == GOLDEN_MAIN
    names = [op.NAME for op in module.func.ops]
    assert names == [
        "tir.constant",
        "tir.dimshuffle",
        "tir.mul",
        "tir.add",
        "tir.constant",
        "tir.transpose",
        "tir.cast",
        "return",
    ]
    assert module.func.output_names == ["y", "z", "w", "t"]
    w = list(module.func.ops)[4]
    assert w.result.name == "w"
    np.testing.assert_array_equal(w.value.array, np.arange(17, dtype=np.int8))


def _golden_constants() -> Module:
    def body(f: Function) -> list[tuple[Value, str]]:
        arrays = [
            np.array([[1, -2], [3, 4]], dtype=np.int32),
            np.array([1.5, -0.0, np.inf, -np.inf], dtype=np.float32),
            np.array([True, False]),
            np.full((2, 2), -0.0, dtype=np.float64),
            np.array([0.1, 65504], dtype=np.float16),
            np.array([2**64 - 1, 0], dtype=np.uint64),
            np.array([-(2**63), 2**63 - 1], dtype=np.int64),
            np.array([1.0, np.nan], dtype=np.float32),
            np.zeros((0, 3), dtype=np.float32),
            np.array(0.1, dtype=np.float64),
            np.array(1e-45, dtype=np.float32),
            np.array(1e16, dtype=np.float64),
            np.array(3.0, dtype=np.float32),
            np.arange(16, dtype=np.uint8),
            np.array([1] * 16 + [256], dtype=np.uint16),
            np.full(20, True),
            np.array([-128, 127, 0], dtype=np.int8),
        ]
        return [(f.append(_const(a)).result, f"c{i}") for i, a in enumerate(arrays)]

    return _module([], body)


GOLDEN_CONSTANTS = (
    """\
func @main() {
  %0 = tir.constant dense<[[1, -2], [3, 4]]> : i32[2, 2]
  %1 = tir.constant dense<[1.5, -0.0, inf, -inf]> : f32[4]
  %2 = tir.constant dense<[true, false]> : bool[2]
  %3 = tir.constant dense<-0.0> : f64[2, 2]
  %4 = tir.constant dense<[0.1, 6.55e+04]> : f16[2]
  %5 = tir.constant dense<[18446744073709551615, 0]> : u64[2]
  %6 = tir.constant dense<[-9223372036854775808, 9223372036854775807]> : i64[2]
  %7 = tir.constant dense<"0x0000803F0000C07F"> : f32[2]
  %8 = tir.constant dense<[]> : f32[0, 3]
  %9 = tir.constant dense<0.1> : f64[]
  %10 = tir.constant dense<1e-45> : f32[]
  %11 = tir.constant dense<1e+16> : f64[]
  %12 = tir.constant dense<3.0> : f32[]
  %13 = tir.constant dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]> : u8[16]
"""
    + '  %14 = tir.constant dense<"0x'
    + "0100" * 16
    + '0001"> : u16[17]\n'
    + """\
  %15 = tir.constant dense<true> : bool[20]
  %16 = tir.constant dense<[-128, 127, 0]> : i8[3]
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16 : \
"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10", "c11", "c12", "c13", \
"c14", "c15", "c16"
}
"""
)


def test_golden_constants_print_exactly() -> None:
    module = _golden_constants()
    verify_module(module)
    assert print_module(module) == GOLDEN_CONSTANTS


def test_golden_constants_parse_back_bit_exact() -> None:
    original = [op.value.array for op in _golden_constants().func.ops if op.NAME == "tir.constant"]
    module = parse_module(GOLDEN_CONSTANTS)
    verify_module(module)
    parsed = [op.value.array for op in module.func.ops if op.NAME == "tir.constant"]
    assert len(parsed) == len(original) == 17
    for a, b in zip(original, parsed, strict=True):
        assert a.dtype == b.dtype
        assert a.shape == b.shape
        assert _raw(a) == _raw(b)
    assert print_module(module) == GOLDEN_CONSTANTS


def _golden_names() -> Module:
    x = Value(TensorType("float32", (2,)), name="x")

    def body(f: Function) -> list[tuple[Value, str]]:
        v = x
        made = []
        for name in ["a b", "0", "x", "x", "x_1", None, 'q"t']:
            op = f.append(ops.Neg([v]))
            op.result.name = name
            v = op.result
            made.append(v)
        return [(made[-1], "a b"), (made[-2], "é")]

    return _module([x], body)


GOLDEN_NAMES = r"""func @main(%x: f32[2]) {
  %"a b" = tir.neg %x : f32[2]
  %"0" = tir.neg %"a b" : f32[2]
  %x_1 = tir.neg %"0" : f32[2]
  %x_2 = tir.neg %x_1 : f32[2]
  %x_1_1 = tir.neg %x_2 : f32[2]
  %1 = tir.neg %x_1_1 : f32[2]
  %"q\"t" = tir.neg %1 : f32[2]
  return %"q\"t", %1 : "a b", "\u00e9"
}
"""


def test_names_golden_print_unique() -> None:
    assert print_module(_golden_names()) == GOLDEN_NAMES


def test_names_golden_parse_back() -> None:
    module = parse_module(GOLDEN_NAMES)
    verify_module(module)
    names = [op.result.name for op in module.func.ops if op.results]
    assert names == ["a b", "0", "x_1", "x_2", "x_1_1", None, 'q"t']
    assert module.func.output_names == ["a b", "é"]
    assert print_module(module) == GOLDEN_NAMES


def test_names_empty_string_prints_as_number() -> None:
    x = Value(TensorType("int8", ()), name="x")

    def body(f: Function) -> list[tuple[Value, str]]:
        op = f.append(ops.Neg([x]))
        op.result.name = ""
        return [(op.result, "")]

    text = print_module(_module([x], body))
    assert text == 'func @main(%x: i8[]) {\n  %0 = tir.neg %x : i8[]\n  return %0 : ""\n}\n'


def test_golden_squeeze_unsqueeze_attrs() -> None:
    x = Value(TensorType("float64", (1, "n", 1)), name="x")

    def body(f: Function) -> list[tuple[Value, str]]:
        s = f.append(ops.Squeeze([x], {"axes": (0, -1)}))
        u = f.append(ops.Unsqueeze([s.result], {"axes": (-1, 0)}))
        d = f.append(ops.DimShuffle([u.result], {"order": (1, "x", 0, 2)}))
        return [(d.result, "out")]

    expected = (
        "func @main(%x: f64[1, n, 1]) {\n"
        "  %0 = tir.squeeze %x {axes = [0, -1]} : f64[n]\n"
        "  %1 = tir.unsqueeze %0 {axes = [-1, 0]} : f64[1, n, 1]\n"
        '  %2 = tir.dimshuffle %1 {order = [1, "x", 0, 2]} : f64[n, 1, 1, 1]\n'
        '  return %2 : "out"\n'
        "}\n"
    )
    module = _module([x], body)
    verify_module(module)
    assert print_module(module) == expected
    assert _round_trip(expected) == expected


def test_golden_elided_constants() -> None:
    def body(f: Function) -> list[tuple[Value, str]]:
        a = f.append(_const(np.arange(4, dtype=np.int32)))
        b = f.append(_const(np.arange(5, dtype=np.int32)))
        c = f.append(_const(np.full(10, 7, dtype=np.int32)))
        return [(a.result, "a"), (b.result, "b"), (c.result, "c")]

    expected = """\
func @main() {
  %0 = tir.constant dense<[0, 1, 2, 3]> : i32[4]
  %1 = tir.constant dense<...> : i32[5]
  %2 = tir.constant dense<...> : i32[10]
  return %0, %1, %2 : "a", "b", "c"
}
"""
    assert print_module(_module([], body), elide_constants_above=4) == expected


def test_golden_empty_function() -> None:
    module = _module([], lambda f: [])
    assert print_module(module) == "func @main() {\n  return\n}\n"
    assert _round_trip("func @main() {\n  return\n}\n") == "func @main() {\n  return\n}\n"


# -- parse -> print -> parse -> print ---------------------------------------------------------

HAND_WRITTEN = """\
// a leading comment
func @main(%x: f32[batch,3], %"my arg": i64[?]) {   // trailing comment
  %c = tir.constant dense<[1.0,2,3e0]> : f32[3]
  %h = tir.constant dense<"0x0000803f"> : f32[1]
  %7 = tir.add %x,%c : f32[batch,3]
  %s = tir.sub %"my arg", %"my arg" : i64[?]
  return %7,%s : "y","s"
}
"""

HAND_WRITTEN_CANONICAL = """\
func @main(%x: f32[batch, 3], %"my arg": i64[?]) {
  %c = tir.constant dense<[1.0, 2.0, 3.0]> : f32[3]
  %h = tir.constant dense<1.0> : f32[1]
  %0 = tir.add %x, %c : f32[batch, 3]
  %s = tir.sub %"my arg", %"my arg" : i64[?]
  return %0, %s : "y", "s"
}
"""


def test_fixed_point_hand_written_canonicalizes() -> None:
    first = _round_trip(HAND_WRITTEN)
    assert first == HAND_WRITTEN_CANONICAL
    assert _round_trip(first) == first


@pytest.mark.parametrize("text", [GOLDEN_MAIN, GOLDEN_CONSTANTS, GOLDEN_NAMES])
def test_fixed_point_goldens(text: str) -> None:
    once = _round_trip(text)
    assert once == text
    assert _round_trip(once) == once


def test_fixed_point_symbol_dims_named_like_keywords() -> None:
    text = 'func @main(%x: f32[inf, nan, true, f32, ?]) {\n  return %x : "y"\n}\n'
    module = parse_module(text)
    assert module.func.args[0].shape == ("inf", "nan", "true", "f32", "?")
    assert print_module(module) == text


# -- property-based round trip ---------------------------------------------------------------

SYMBOLS = ["batch", "n", "k", "?", "inf", "nan", "f32", "true"]
ODD_NAMES = ["a b", "0", "12", "x", "x", "x_1", "y", "_", "é", 'q"t', "back\\slash", "", "%"]

ELEMENTWISE: list[type[Operation]] = sorted(
    (cls for cls in OP_REGISTRY.values() if issubclass(cls, ops.Elementwise)),
    key=lambda cls: cls.NAME,
)
UNARY = [c for c in ELEMENTWISE if c.OPERANDS == ("x",)]
NARY = [c for c in ELEMENTWISE if c.OPERANDS != ("x",)]


def _bounds(dtype: str) -> list:
    if dtype == "bool":
        return [True, False]
    if dtype.startswith(("int", "uint")):
        info = np.iinfo(dtype)
        return [int(info.min), int(info.max), int(info.min) + 1, int(info.max) - 1, 0, -1, 1]
    info = np.finfo(dtype)
    return [
        math.nan,
        math.inf,
        -math.inf,
        -0.0,
        0.0,
        float(info.max),
        -float(info.max),
        float(info.tiny),
        float(info.smallest_subnormal),
        -float(info.smallest_subnormal),
    ]


def _element(dtype: str) -> st.SearchStrategy:
    """One element of ``dtype``, as a numpy scalar (floats also from raw bits: NaN payloads)."""
    if dtype == "bool":
        return st.booleans().map(np.bool_)
    np_type = np.dtype(dtype).type
    if dtype.startswith(("int", "uint")):
        info = np.iinfo(dtype)
        ints = st.integers(int(info.min), int(info.max)) | st.sampled_from(_bounds(dtype))
        return ints.filter(lambda v: info.min <= v <= info.max).map(np_type)
    width = np.dtype(dtype).itemsize * 8
    bits_type = {16: np.uint16, 32: np.uint32, 64: np.uint64}[width]
    from_bits = st.integers(0, 2**width - 1).map(
        lambda b: np.array(b, dtype=bits_type).view(dtype)[()]
    )
    values = st.floats(width=width) | st.sampled_from(_bounds(dtype))
    return values.map(np_type) | from_bits


@st.composite
def _static_shape(draw: st.DrawFn, max_size: int = 40) -> tuple[int, ...]:
    shape = draw(st.lists(st.integers(0, 7), max_size=3))
    size = math.prod(shape)
    if size > max_size:
        shape = [min(d, 2) for d in shape]
    return tuple(shape)


@st.composite
def _constant_array(draw: st.DrawFn, dtype: str | None = None) -> np.ndarray:
    dtype = dtype or draw(st.sampled_from(ALL_DTYPES))
    shape = draw(_static_shape())
    size = math.prod(shape)
    elem = _element(dtype)
    if size > 0 and draw(st.booleans()) and draw(st.booleans()):
        return np.full(shape, draw(elem), dtype=dtype)  # a splat
    items = draw(st.lists(elem, min_size=size, max_size=size))
    return np.array(items, dtype=dtype).reshape(shape)


def _arg_shape() -> st.SearchStrategy[tuple]:
    dim = st.integers(0, 4) | st.sampled_from(SYMBOLS)
    return st.lists(dim, max_size=3).map(tuple)


def _try_build(func: Function, make: Callable[[], Operation]) -> Operation | None:
    """Append the op ``make`` builds, or nothing when the op refuses its operands."""
    try:
        op = make()
    except IRError:
        return None
    try:
        op.verify_op()
    except IRError:
        op.drop_operand_uses()
        return None
    return func.append(op)


@st.composite
def _random_module(draw: st.DrawFn) -> Module:
    arg_names = draw(st.lists(st.sampled_from(ODD_NAMES).filter(bool), max_size=3, unique=True))
    args = [
        Value(TensorType(draw(st.sampled_from(ALL_DTYPES)), draw(_arg_shape())), name=n)
        for n in arg_names
    ]
    func = Function("main", args)
    pool: list[Value] = list(args)
    kinds = ["const", "unary", "nary", "cast", "transpose", "unsqueeze", "squeeze", "dimshuffle"]
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(kinds))
        if kind == "const" or not pool:
            array = draw(_constant_array())
            op: Operation | None = func.append(_const(array))
        else:
            x = draw(st.sampled_from(pool))
            if kind == "unary":
                cls = draw(st.sampled_from(UNARY))
                op = _try_build(func, lambda cls=cls, x=x: cls([x]))
            elif kind == "nary":
                cls = draw(st.sampled_from(NARY))
                n = len(cls.OPERANDS)
                if cls.OPERANDS[0].startswith("*"):
                    n = draw(st.integers(1, 3))
                rest = draw(st.lists(st.sampled_from(pool), min_size=n - 1, max_size=n - 1))
                op = _try_build(func, lambda cls=cls, xs=[x, *rest]: cls(xs))
            elif kind == "cast":
                to = draw(st.sampled_from(ALL_DTYPES))
                op = _try_build(func, lambda x=x, to=to: ops.Cast([x], {"to": to}))
            elif kind == "transpose":
                perm = tuple(draw(st.permutations(range(x.rank))))
                op = _try_build(func, lambda x=x, p=perm: ops.Transpose([x], {"perm": p}))
            elif kind == "unsqueeze":
                out_rank = x.rank + draw(st.integers(1, 2))
                positions = draw(
                    st.lists(
                        st.integers(0, out_rank - 1),
                        min_size=out_rank - x.rank,
                        max_size=out_rank - x.rank,
                        unique=True,
                    )
                )
                axes = tuple(
                    a - out_rank if draw(st.booleans()) else a for a in positions
                )  # negative axes too
                op = _try_build(func, lambda x=x, a=axes: ops.Unsqueeze([x], {"axes": a}))
            elif kind == "squeeze":
                ones = [i for i, d in enumerate(x.shape) if d == 1]
                axes = tuple(draw(st.lists(st.sampled_from(ones), unique=True))) if ones else ()
                op = _try_build(func, lambda x=x, a=axes: ops.Squeeze([x], {"axes": a}))
            else:
                kept = list(draw(st.permutations(range(x.rank))))
                kept = [a for a in kept if x.shape[a] != 1 or draw(st.booleans())]
                order: list[int | str] = list(kept)
                for _ in range(draw(st.integers(0, 2))):
                    order.insert(draw(st.integers(0, len(order))), "x")
                op = _try_build(func, lambda x=x, o=tuple(order): ops.DimShuffle([x], {"order": o}))
        if op is not None:
            op.result.name = draw(st.none() | st.sampled_from(ODD_NAMES))
            pool.append(op.result)
    outs = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3)) if pool else []
    out_names = draw(
        st.lists(
            st.text(max_size=4).filter(bool) | st.sampled_from(ODD_NAMES[:-2]),
            min_size=len(outs),
            max_size=len(outs),
            unique=True,
        )
    )
    func.append(Return(outs, out_names))
    return Module(func)


#: A value reference in the text: %name, %12 or %"any json string".
REF = r'%(?:[A-Za-z0-9_]+|"(?:[^"\\]|\\.)*")'


def _all_values(func: Function) -> list[Value]:
    return list(func.args) + [r for op in func.ops for r in op.results]


@given(_random_module())
def test_roundtrip_random_modules(module: Module) -> None:
    verify_module(module)
    text = print_module(module)
    parsed = parse_module(text)
    verify_module(parsed)

    # (a) print(parse(print(m))) == print(m)
    assert print_module(parsed) == text

    # same ops, attributes (bit-exact constants) and types, in the same order
    old_ops, new_ops = list(module.func.ops), list(parsed.func.ops)
    assert [op.NAME for op in new_ops] == [op.NAME for op in old_ops]
    for old, new in zip(old_ops, new_ops, strict=True):
        assert new.attributes == old.attributes
        assert [r.type for r in new.results] == [r.type for r in old.results]
    assert [a.type for a in parsed.func.args] == [a.type for a in module.func.args]
    assert parsed.func.output_names == module.func.output_names

    # (b) constants are bit-identical
    for old, new in zip(old_ops, new_ops, strict=True):
        if isinstance(old, ops.Constant):
            a, b = old.value.array, new.value.array
            assert (a.dtype, a.shape) == (b.dtype, b.shape)
            assert _raw(a) == _raw(b)

    # (c) names: unique in the text, kept (or suffixed with _k when taken), stable afterwards
    lines = text.splitlines()
    defined = re.findall(rf"({REF}): ", lines[0])
    defined += [m.group(1) for line in lines[1:-2] if (m := re.match(rf"  ({REF}) = ", line))]
    assert len(defined) == len(_all_values(module.func))
    assert len(defined) == len(set(defined))
    new_names = []
    for old, new in zip(_all_values(module.func), _all_values(parsed.func), strict=True):
        if not old.name:
            assert new.name is None
            continue
        assert new.name is not None
        assert re.fullmatch(re.escape(old.name) + r"(_[0-9]+)*", new.name), (old.name, new.name)
        new_names.append(new.name)
    assert len(new_names) == len(set(new_names))
    again = parse_module(print_module(parsed))
    assert [v.name for v in _all_values(again.func)] == [v.name for v in _all_values(parsed.func)]


def test_roundtrip_output_values_follow_operands() -> None:
    """Reparsed return operands are the reparsed values, not copies."""
    module = parse_module(GOLDEN_MAIN)
    ops_list = list(module.func.ops)
    outputs = module.func.outputs
    assert outputs[0] is ops_list[3].result
    assert outputs[1] is ops_list[2].result
    assert ops_list[3].operands[2] is module.func.args[0]
    assert [u.op for u in ops_list[1].result.uses] == [ops_list[2], ops_list[3]]


# -- float formatting ------------------------------------------------------------------------


def _check_float_round_trip(value: np.floating) -> None:
    text = format_float(value)
    back = type(value)(float(text))
    assert _raw(np.array(back)) == _raw(np.array(value)), (value, text)
    # through a whole module, both as a splat and inside a literal list
    dtype = str(np.array(value).dtype)
    other = np.array(1.0 if value != 1.0 else 2.0, dtype=dtype)
    arrays = [np.array(value, dtype=dtype), np.array([value, other], dtype=dtype)]

    def body(f: Function) -> list[tuple[Value, str]]:
        return [(f.append(_const(a)).result, f"c{i}") for i, a in enumerate(arrays)]

    printed = print_module(_module([], body))
    assert f"dense<{text}> : {SHORT_NAMES[dtype]}[]" in printed
    assert f"dense<[{text}, " in printed
    parsed = [op.value.array for op in parse_module(printed).func.ops if op.results]
    for a, b in zip(arrays, parsed, strict=True):
        assert _raw(a) == _raw(b)


@given(st.floats(width=16, allow_nan=False))
def test_float_format_float16_exact(value: float) -> None:
    _check_float_round_trip(np.float16(value))


@given(st.floats(width=32, allow_nan=False))
def test_float_format_float32_exact(value: float) -> None:
    _check_float_round_trip(np.float32(value))


@given(st.floats(width=64, allow_nan=False))
def test_float_format_float64_exact(value: float) -> None:
    _check_float_round_trip(np.float64(value))


def test_float_format_every_float16_exact() -> None:
    values = np.arange(2**16, dtype=np.uint16).view(np.float16)
    for value in values[~np.isnan(values)]:
        text = format_float(value)
        assert np.float16(float(text)).view(np.uint16) == value.view(np.uint16), text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (np.float32(1.0), "1.0"),
        (np.float32(-0.0), "-0.0"),
        (np.float32(0.1), "0.1"),
        (np.float32(3.4028235e38), "3.4028235e+38"),
        (np.float16(65504), "6.55e+04"),
        (np.float64(5e-324), "5e-324"),
        (np.float64(np.inf), "inf"),
        (np.float16(-np.inf), "-inf"),
        (np.float32(np.nan), "nan"),
        (2.0, "2.0"),
        (1e100, "1e+100"),
    ],
)
def test_float_format_golden(value: float, text: str) -> None:
    assert format_float(value) == text


@pytest.mark.parametrize(("dtype", "bits"), [("float16", 16), ("float32", 32), ("float64", 64)])
@given(data=st.data())
def test_float_nan_payloads_survive_as_hex(dtype: str, bits: int, data: st.DataObject) -> None:
    exp_bits = {16: 5, 32: 8, 64: 11}[bits]
    mantissa = data.draw(st.integers(1, 2 ** (bits - 1 - exp_bits) - 1))
    sign = data.draw(st.integers(0, 1))
    raw = (sign << (bits - 1)) | (((1 << exp_bits) - 1) << (bits - 1 - exp_bits)) | mantissa
    uint = {16: np.uint16, 32: np.uint32, 64: np.uint64}[bits]
    array = np.array([raw, 0], dtype=uint).view(dtype)
    assert np.isnan(array[0])

    def body(f: Function) -> list[tuple[Value, str]]:
        return [(f.append(_const(array)).result, "nan")]

    printed = print_module(_module([], body))
    expected_hex = np.array([raw, 0], dtype=uint).astype(np.dtype(uint).newbyteorder("<"))
    assert f'dense<"0x{expected_hex.tobytes().hex().upper()}">' in printed
    back = next(iter(parse_module(printed).func.ops)).value.array
    assert _raw(back) == _raw(array)


def test_output_names_are_json_strings() -> None:
    text = 'func @main(%x: bool[]) {\n  return %x : "tab\\there"\n}\n'
    module = parse_module(text)
    assert module.func.output_names == ["tab\there"]
    assert print_module(module) == text
    assert json.dumps("tab\there") in text
