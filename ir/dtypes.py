"""Element types of the IR: names, short text names, and PyTensor's promotion rules.

A dtype is a plain numpy dtype name (``"float32"``); the text form uses short names (``f32``).
"""

from __future__ import annotations

import functools

import numpy as np

#: Every dtype the IR carries, with its short text name. Order is the text form's canonical order.
SHORT_NAMES: dict[str, str] = {
    "bool": "bool",
    "int8": "i8",
    "int16": "i16",
    "int32": "i32",
    "int64": "i64",
    "uint8": "u8",
    "uint16": "u16",
    "uint32": "u32",
    "uint64": "u64",
    "float16": "f16",
    "float32": "f32",
    "float64": "f64",
}
FROM_SHORT: dict[str, str] = {short: name for name, short in SHORT_NAMES.items()}

DTYPES: frozenset[str] = frozenset(SHORT_NAMES)
FLOAT_DTYPES: frozenset[str] = frozenset({"float16", "float32", "float64"})
SIGNED_DTYPES: frozenset[str] = frozenset({"int8", "int16", "int32", "int64"})
UNSIGNED_DTYPES: frozenset[str] = frozenset({"uint8", "uint16", "uint32", "uint64"})
INT_DTYPES: frozenset[str] = SIGNED_DTYPES | UNSIGNED_DTYPES
#: PyTensor's "discrete" dtypes: integers and bool.
DISCRETE_DTYPES: frozenset[str] = INT_DTYPES | {"bool"}


def check_dtype(dtype: str) -> str:
    """Return ``dtype`` if the IR can carry it, else raise ``ValueError``."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r} is not one of the IR's dtypes: {sorted(DTYPES)}")
    return dtype


@functools.cache
def name_of(dtype: np.dtype) -> str:
    """``str(dtype)`` of a numpy dtype, memoized (numpy computes the name in Python each time)."""
    return str(dtype)


def short_name(dtype: str) -> str:
    return SHORT_NAMES[dtype]


def upcast(*dtypes: str) -> str:
    """The dtype numpy (and PyTensor's default cast policy) gives when mixing ``dtypes``.

    Zero-dimensional arrays take part with their full type (NEP 50), exactly like
    ``pytensor.scalar.upcast`` under ``cast_policy="custom"``.
    """
    return _upcast(dtypes)


@functools.cache
def _upcast(dtypes: tuple[str, ...]) -> str:
    # Memoized: type inference asks for the same few combinations once per op, and numpy's
    # answer (a dtype object turned into its name) costs microseconds each time.
    return str(np.result_type(*(np.dtype(d) for d in dtypes)))


#: PyTensor's ``upgrade_to_float``: the float type an integer operand is computed in.
_FLOAT_UPGRADE: dict[str, str] = {
    "bool": "float32",
    "int8": "float32",
    "int16": "float32",
    "uint8": "float32",
    "uint16": "float32",
    "int32": "float64",
    "int64": "float64",
    "uint32": "float64",
    "uint64": "float64",
}


def upgrade_to_float(*dtypes: str) -> str:
    """PyTensor's ``upgrade_to_float``: integers become the smallest exact float, then upcast."""
    return _upgrade_to_float(dtypes)


@functools.cache
def _upgrade_to_float(dtypes: tuple[str, ...]) -> str:
    return _upcast(tuple(_FLOAT_UPGRADE.get(d, d) for d in dtypes))


@functools.cache
def itemsize(dtype: str) -> int:
    return np.dtype(dtype).itemsize
