"""Value types of the IR: ``TensorType(dtype, shape)``, where each dim is an int or a symbol.

A symbol is a name (``"batch"``: every dim with that name has the same run-time size) or the
anonymous ``"?"`` (a size nothing is known about; two ``"?"`` dims are not known to be equal).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ir import dtypes

Dim = int | str

#: The anonymous dim: its size is unknown and unrelated to any other dim.
UNKNOWN = "?"
_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


#: Symbol dims already validated: a graph has few distinct ones and types are built per op.
_VALID_SYMBOLS: set[str] = {UNKNOWN}


def is_symbol_name(text: str) -> bool:
    return bool(_SYMBOL.match(text))


def check_dim(dim: object) -> Dim:
    """Validate one dim: a non-negative int, ``"?"``, or an identifier-like symbol name."""
    if isinstance(dim, bool):
        raise TypeError(f"a dim is an int or a symbol name, not {dim!r}")
    if isinstance(dim, int):
        if dim < 0:
            raise ValueError(f"a static dim must be >= 0, got {dim}")
        return int(dim)
    if isinstance(dim, str) and (dim == UNKNOWN or is_symbol_name(dim)):
        _VALID_SYMBOLS.add(str(dim))
        return dim
    raise ValueError(f"a dim is an int >= 0, '?' or an identifier, got {dim!r}")


def _is_canonical_shape(shape: object) -> bool:
    """True for a tuple of plain ints >= 0 and known symbols: nothing to check or convert.

    The fast path of type construction; False only means ``check_dim`` must look closer.
    """
    if type(shape) is not tuple:
        return False
    for dim in shape:
        if type(dim) is int:
            if dim < 0:
                return False
        elif type(dim) is not str or dim not in _VALID_SYMBOLS:
            return False
    return True


@dataclass(frozen=True, slots=True)
class TensorType:
    """A tensor of ``dtype`` with one entry per axis in ``shape``; ``shape == ()`` is a scalar."""

    dtype: str
    shape: tuple[Dim, ...]

    def __post_init__(self) -> None:
        if self.dtype not in dtypes.DTYPES:
            dtypes.check_dtype(self.dtype)  # raises, naming the dtypes there are
        if not _is_canonical_shape(self.shape):
            object.__setattr__(self, "shape", tuple(check_dim(d) for d in self.shape))

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def is_static(self) -> bool:
        """True when every dim is a known int."""
        return all(isinstance(d, int) for d in self.shape)

    @property
    def size(self) -> int | None:
        """Number of elements, or None when a dim is symbolic."""
        if not self.is_static:
            return None
        n = 1
        for d in self.shape:
            assert isinstance(d, int)  # is_static
            n *= d
        return n

    def with_dtype(self, dtype: str) -> TensorType:
        return interned_type(dtype, self.shape)

    def with_shape(self, shape: Iterable[Dim]) -> TensorType:
        return TensorType(self.dtype, tuple(shape))

    def __str__(self) -> str:
        return f"{dtypes.short_name(self.dtype)}[{', '.join(str(d) for d in self.shape)}]"


#: Types built by ``interned_type``, by (dtype, shape); cleared when it grows past the limit.
_INTERNED: dict[tuple[str, tuple[Dim, ...]], TensorType] = {}
_INTERNED_LIMIT = 65536


def interned_type(dtype: str, shape: tuple[Dim, ...]) -> TensorType:
    """``TensorType(dtype, shape)``, one shared object per distinct type.

    For type inference, which builds a type per op from few distinct ones: a lookup is cheaper
    than validating a new type, and 100k ops then hold a handful of type objects. ``shape``
    must be a tuple of valid dims (from existing types): a dict lookup cannot tell ``True``
    from ``1``, so unchecked input goes to ``TensorType``.
    """
    key = (dtype, shape)
    found = _INTERNED.get(key)
    if found is None:
        if len(_INTERNED) >= _INTERNED_LIMIT:
            _INTERNED.clear()
        found = _INTERNED[key] = TensorType(dtype, shape)
    return found


def broadcast_dim(a: Dim, b: Dim) -> Dim:
    """The dim numpy broadcasting gives for ``a`` and ``b``, as far as it is known.

    Raises ``ValueError`` for two different static sizes that are not 1.
    """
    if a == b:
        return UNKNOWN if a == UNKNOWN else a
    if a == 1:
        return b
    if b == 1:
        return a
    if isinstance(a, int) and isinstance(b, int):
        raise ValueError(f"dims {a} and {b} do not broadcast")
    # One static size (not 1) wins over a symbol: the symbol must be 1 or equal at run time.
    if isinstance(a, int):
        return a
    if isinstance(b, int):
        return b
    return UNKNOWN


def broadcast_shapes(*shapes: Sequence[Dim]) -> tuple[Dim, ...]:
    """Numpy broadcasting of several shapes (right-aligned)."""
    first = shapes[0] if shapes else ()
    if type(first) is tuple and all(type(s) is tuple and s == first for s in shapes):
        return first  # the common case: every dim broadcasts with itself to itself
    rank = max((len(s) for s in shapes), default=0)
    out: list[Dim] = [1] * rank
    for shape in shapes:
        padded = (1,) * (rank - len(shape)) + tuple(shape)
        out = [broadcast_dim(a, b) for a, b in zip(out, padded, strict=True)]
    return tuple(out)


def dims_compatible(a: Dim, b: Dim) -> bool:
    """False only when both dims are static and differ."""
    return not (isinstance(a, int) and isinstance(b, int) and a != b)
