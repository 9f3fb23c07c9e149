"""TensorType validation, its text, broadcasting of dims and shapes, and static size."""

from __future__ import annotations

import pytest

from ir.types import (
    UNKNOWN,
    TensorType,
    broadcast_dim,
    broadcast_shapes,
    check_dim,
    dims_compatible,
    is_symbol_name,
)

ALL_DTYPES = [
    ("bool", "bool"),
    ("int8", "i8"),
    ("int16", "i16"),
    ("int32", "i32"),
    ("int64", "i64"),
    ("uint8", "u8"),
    ("uint16", "u16"),
    ("uint32", "u32"),
    ("uint64", "u64"),
    ("float16", "f16"),
    ("float32", "f32"),
    ("float64", "f64"),
]


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float", "f32", "complex64", "bfloat16", "int", "", "Float32"])
def test_dtype_rejects_unknown(dtype: str) -> None:
    with pytest.raises(ValueError, match="is not one of the IR's dtypes"):
        TensorType(dtype, (2,))


@pytest.mark.parametrize(("dtype", "short"), ALL_DTYPES)
def test_dtype_accepts_all_twelve(dtype: str, short: str) -> None:
    t = TensorType(dtype, (2,))
    assert t.dtype == dtype
    assert str(t) == f"{short}[2]"


@pytest.mark.parametrize("dim", [-1, -100])
def test_dim_rejects_negative(dim: int) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        TensorType("float32", (3, dim))


@pytest.mark.parametrize("dim", ["1abc", "a b", "a-b", "", "??", "a.b", "é", " x", "x "])
def test_dim_rejects_bad_symbol(dim: str) -> None:
    with pytest.raises(ValueError, match="identifier"):
        TensorType("float32", (dim,))


@pytest.mark.parametrize("dim", [True, False])
def test_dim_rejects_bool(dim: bool) -> None:
    with pytest.raises(TypeError):
        TensorType("float32", (dim,))


@pytest.mark.parametrize("dim", [1.0, None, (1,), b"x"])
def test_dim_rejects_other_objects(dim: object) -> None:
    with pytest.raises(ValueError):
        check_dim(dim)


@pytest.mark.parametrize("dim", [0, 1, 7, 2**40, "?", "batch", "_", "N1", "inf", "nan"])
def test_dim_accepts_valid(dim: int | str) -> None:
    assert check_dim(dim) == dim
    assert TensorType("int8", (dim,)).shape == (dim,)


def test_dim_symbol_name_rule() -> None:
    assert is_symbol_name("batch_2")
    assert is_symbol_name("_x")
    assert not is_symbol_name("2x")
    assert not is_symbol_name("x\n")


def test_shape_list_becomes_tuple() -> None:
    t = TensorType("float32", [2, "n"])  # type: ignore[arg-type]
    assert t.shape == (2, "n")
    assert isinstance(t.shape, tuple)


def test_tensortype_is_frozen_and_hashable() -> None:
    a = TensorType("float32", (2, "n"))
    assert a == TensorType("float32", (2, "n"))
    assert a != TensorType("float32", (2, "m"))
    assert a != TensorType("float64", (2, "n"))
    assert len({a, TensorType("float32", (2, "n"))}) == 1
    with pytest.raises(AttributeError):
        a.dtype = "float64"  # type: ignore[misc]


def test_tensortype_with_dtype_and_shape() -> None:
    a = TensorType("float32", (2, "n"))
    assert a.with_dtype("int64") == TensorType("int64", (2, "n"))
    assert a.with_shape(iter([1, "?", 3])) == TensorType("float32", (1, "?", 3))
    with pytest.raises(ValueError):
        a.with_shape([-2])
    with pytest.raises(ValueError):
        a.with_dtype("float128")


# -- text --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "text"),
    [
        (TensorType("float32", ()), "f32[]"),
        (TensorType("bool", (0,)), "bool[0]"),
        (TensorType("float32", ("batch", 3)), "f32[batch, 3]"),
        (TensorType("uint64", ("?", "?", 1)), "u64[?, ?, 1]"),
        (TensorType("float16", (2, 3, 4, 5)), "f16[2, 3, 4, 5]"),
    ],
)
def test_str_text(t: TensorType, text: str) -> None:
    assert str(t) == text


# -- rank / static / size ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "is_static", "size"),
    [
        ((), True, 1),
        ((0,), True, 0),
        ((3, 0, 5), True, 0),
        ((2, 3, 4), True, 24),
        ((1,), True, 1),
        (("n",), False, None),
        ((2, "?"), False, None),
        ((0, "n"), False, None),
    ],
)
def test_static_and_size(shape: tuple, is_static: bool, size: int | None) -> None:
    t = TensorType("float32", shape)
    assert t.is_static is is_static
    assert t.size == size
    assert t.rank == len(shape)


# -- broadcasting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "out"),
    [
        (3, 3, 3),
        (1, 3, 3),
        (3, 1, 3),
        (1, 1, 1),
        (0, 1, 0),
        (1, 0, 0),
        (0, 0, 0),
        ("n", "n", "n"),
        ("n", 1, "n"),
        (1, "n", "n"),
        ("n", 4, 4),
        (4, "n", 4),
        ("n", "m", UNKNOWN),
        ("?", "?", UNKNOWN),
        ("?", 1, UNKNOWN),
        (1, "?", UNKNOWN),
        ("?", 5, 5),
        ("?", "n", UNKNOWN),
    ],
)
def test_broadcast_dim_rules(a: int | str, b: int | str, out: int | str) -> None:
    assert broadcast_dim(a, b) == out


@pytest.mark.parametrize(("a", "b"), [(2, 3), (3, 2), (0, 2), (4, 0)])
def test_broadcast_dim_incompatible_static_raises(a: int, b: int) -> None:
    with pytest.raises(ValueError, match=f"dims {a} and {b} do not broadcast"):
        broadcast_dim(a, b)


@pytest.mark.parametrize(
    ("shapes", "out"),
    [
        ([], ()),
        ([()], ()),
        ([(), ()], ()),
        ([(3,), ()], (3,)),
        ([(2, 3), (3,)], (2, 3)),
        ([(2, 1), (1, 3)], (2, 3)),
        ([(5, 1, 4), (3, 1), (4,)], (5, 3, 4)),
        ([("batch", 3), (1, 3)], ("batch", 3)),
        ([("batch", 3), ("batch", 1)], ("batch", 3)),
        ([("batch", 1), (2, "k")], (2, "k")),
        ([("a",), ("b",)], ("?",)),
        ([("a",), ("b",), (7,)], (7,)),
        ([("?", 2), (1,)], ("?", 2)),
        ([(1, 1, 1), ()], (1, 1, 1)),
        ([(0, 3), (1, 3)], (0, 3)),
    ],
)
def test_broadcast_shapes_rules(shapes: list[tuple], out: tuple) -> None:
    assert broadcast_shapes(*shapes) == out


@pytest.mark.parametrize(
    "shapes",
    [
        [(2,), (3,)],
        [(2, 3), (3, 2)],
        [("n", 4), (5,)],
        [(4, 1), (1, 2), (3, 1)],
    ],
)
def test_broadcast_shapes_incompatible_static_raises(shapes: list[tuple]) -> None:
    with pytest.raises(ValueError, match="do not broadcast"):
        broadcast_shapes(*shapes)


def test_dims_compatible_only_false_for_two_different_ints() -> None:
    assert not dims_compatible(2, 3)
    assert dims_compatible(2, 2)
    assert dims_compatible(2, "n")
    assert dims_compatible("?", 3)
    assert dims_compatible("n", "m")
