"""Attribute kinds of the IR: what an op's attributes may hold, how they are checked and written.

Attribute values are immutable Python values: ``int``, ``float``, ``bool``, ``str``, tuples of
those, a dtype name (``"float32"``, written ``f32``), or ``DenseElements`` (a constant's data).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ir import dtypes
from ir.types import TensorType


class DenseElements:
    """Immutable tensor data (the payload of a constant). Equality and hash are bit-exact."""

    __slots__ = ("_array", "_hash")

    def __init__(self, array: np.ndarray) -> None:
        array = np.asarray(array)
        dtypes.check_dtype(dtypes.name_of(array.dtype))
        if array.flags.writeable or not array.flags.c_contiguous:
            array = np.array(array, order="C", copy=True)
            array.flags.writeable = False
        self._array = array
        self._hash: int | None = None

    @property
    def array(self) -> np.ndarray:
        """The data, read-only."""
        return self._array

    @property
    def dtype(self) -> str:
        return dtypes.name_of(self._array.dtype)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self._array.shape)

    @property
    def size(self) -> int:
        return int(self._array.size)

    def type(self) -> TensorType:
        return TensorType(self.dtype, self.shape)

    def is_splat(self) -> bool:
        """True when every element has the same bits (and there is at least one)."""
        flat = self._array.reshape(-1)
        if flat.size == 0:
            return False
        raw = flat.view(np.uint8).reshape(flat.size, -1)
        return bool((raw == raw[0]).all())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DenseElements):
            return NotImplemented
        return (
            self._array.dtype == other._array.dtype
            and self._array.shape == other._array.shape
            and self._array.tobytes() == other._array.tobytes()
        )

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((self.dtype, self.shape, self._array.tobytes()))
        return self._hash

    def __repr__(self) -> str:
        return f"DenseElements({self.type()})"


@dataclass(frozen=True, slots=True)
class AttrKind[T]:
    """One kind of attribute value: ``check`` normalizes a value to a ``T`` or raises
    ``TypeError``."""

    name: str
    check: Callable[[Any], T]


def _int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int | np.integer):
        raise TypeError(f"expected an int, got {v!r}")
    return int(v)


def _float(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        raise TypeError(f"expected a float, got {v!r}")
    return float(v)


def _bool(v: Any) -> bool:
    if not isinstance(v, bool | np.bool_):
        raise TypeError(f"expected a bool, got {v!r}")
    return bool(v)


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError(f"expected a string, got {v!r}")
    return v


def _ints(v: Any) -> tuple[int, ...]:
    if not isinstance(v, tuple | list):
        raise TypeError(f"expected a list of ints, got {v!r}")
    return tuple(_int(x) for x in v)


def _floats(v: Any) -> tuple[float, ...]:
    if not isinstance(v, tuple | list):
        raise TypeError(f"expected a list of floats, got {v!r}")
    return tuple(_float(x) for x in v)


def _dtype(v: Any) -> str:
    if isinstance(v, DTypeWord):
        v = v.dtype
    if not isinstance(v, str) or v not in dtypes.DTYPES:
        raise TypeError(f"expected a dtype, got {v!r}")
    return v


def _dense(v: Any) -> DenseElements:
    if not isinstance(v, DenseElements):
        raise TypeError(f"expected dense elements, got {v!r}")
    return v


def _dim_order(v: Any) -> tuple[int | str, ...]:
    if not isinstance(v, tuple | list):
        raise TypeError(f"expected a list of axes and 'x', got {v!r}")
    return tuple(x if x == "x" else _int(x) for x in v)


INT = AttrKind("int", _int)
FLOAT = AttrKind("float", _float)
BOOL = AttrKind("bool", _bool)
STR = AttrKind("str", _str)
INTS = AttrKind("ints", _ints)
FLOATS = AttrKind("floats", _floats)
DTYPE = AttrKind("dtype", _dtype)
DENSE = AttrKind("dense", _dense)
#: A DimShuffle order: input axes and "x" (a new broadcastable axis).
DIM_ORDER = AttrKind("dim_order", _dim_order)


@dataclass(frozen=True, slots=True)
class DTypeWord:
    """A bare dtype word read by the parser (``f32``) before its attribute kind claims it."""

    dtype: str


# ---------------------------------------------------------------------------------------------
# Text form of attribute values
# ---------------------------------------------------------------------------------------------


def format_float(value: float | np.floating) -> str:
    """Shortest text that reads back to the same value in its own precision."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = str(value) if isinstance(value, np.floating) else repr(float(value))
    if not any(c in text for c in ".en"):
        text += ".0"
    return text


def format_attr(value: Any, kind: AttrKind[Any]) -> str:
    """The text of one attribute value of ``kind``."""
    if kind is DTYPE:
        return dtypes.short_name(value)
    if kind is DENSE:
        return format_dense(value)
    return _format_plain(value)


def _format_plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_format_plain(v) for v in value) + "]"
    raise TypeError(f"cannot print attribute value {value!r}")


#: Above this many elements constants print as hex bytes, not as literals.
LITERAL_LIMIT = 16


def format_dense(value: DenseElements, elide_above: int | None = None) -> str:
    """``dense<2>``, ``dense<[1.5, 2.0]>`` (literals), ``dense<"0x0A0B...">`` (raw bytes).

    The type of the data is the constant's result type, written after the op.
    Raw bytes are little-endian and also carry NaN payloads exactly.
    """
    array = value.array
    if elide_above is not None and value.size > elide_above:
        return "dense<...>"
    has_nan = array.dtype.kind == "f" and bool(np.isnan(array).any())
    if value.is_splat() and not has_nan:
        return f"dense<{_format_scalar(array.reshape(-1)[0])}>"
    if value.size <= LITERAL_LIMIT and not has_nan:
        return f"dense<{_format_nested(array)}>"
    data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
    return f'dense<"0x{data.hex().upper()}">'


def _format_scalar(x: np.generic) -> str:
    if isinstance(x, np.bool_):
        return "true" if x else "false"
    if isinstance(x, np.floating):
        return format_float(x)
    return str(int(x))


def _format_nested(array: np.ndarray) -> str:
    if array.ndim == 0:
        return _format_scalar(array.reshape(-1)[0])
    return "[" + ", ".join(_format_nested(sub) for sub in array) + "]"


def dense_from_literal(literal: Any, type_: TensorType) -> DenseElements:
    """The data of a constant of ``type_`` from a parsed literal (scalar, nested list, hex)."""
    if not type_.is_static:
        raise ValueError(f"a constant needs a static type, got {type_}")
    dtype = np.dtype(type_.dtype)
    shape = tuple(int(d) for d in type_.shape)
    if isinstance(literal, HexBytes):
        expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if len(literal.data) != expected:
            raise ValueError(
                f"hex data has {len(literal.data)} bytes, type {type_} needs {expected}"
            )
        array = np.frombuffer(literal.data, dtype=dtype.newbyteorder("<")).astype(dtype)
        return DenseElements(array.reshape(shape))
    if isinstance(literal, tuple):
        array = np.array(_to_nested_list(literal, dtype), dtype=dtype)
        if array.size == 0 and 0 in shape:
            array = array.reshape(shape)  # `[]` cannot show the dims after an empty one
        if array.shape != shape:
            raise ValueError(f"literal of shape {array.shape} does not match type {type_}")
        return DenseElements(array)
    scalar = np.array(_scalar_value(literal, dtype), dtype=dtype)
    return DenseElements(np.broadcast_to(scalar, shape))


def _to_nested_list(literal: Any, dtype: np.dtype) -> Any:
    if isinstance(literal, tuple):
        return [_to_nested_list(x, dtype) for x in literal]
    return _scalar_value(literal, dtype)


def _scalar_value(x: Any, dtype: np.dtype) -> Any:
    if dtype.kind == "f":
        if isinstance(x, bool):
            raise ValueError(f"expected a number for {dtype}, got {x}")
        return dtype.type(x)
    if dtype.kind == "b":
        if not isinstance(x, bool):
            raise ValueError(f"expected true or false for bool, got {x}")
        return x
    if not isinstance(x, int) or isinstance(x, bool):
        raise ValueError(f"expected an integer for {dtype}, got {x}")
    info = np.iinfo(dtype)
    if not info.min <= x <= info.max:
        raise ValueError(f"{x} is out of range for {dtype}")
    return x


@dataclass(frozen=True, slots=True)
class HexBytes:
    """Raw little-endian bytes read from a ``dense<"0x...">`` literal."""

    data: bytes
