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
        return dim
    raise ValueError(f"a dim is an int >= 0, '?' or an identifier, got {dim!r}")


@dataclass(frozen=True, slots=True)
class TensorType:
    """A tensor of ``dtype`` with one entry per axis in ``shape``; ``shape == ()`` is a scalar."""

    dtype: str
    shape: tuple[Dim, ...]

    def __post_init__(self) -> None:
        dtypes.check_dtype(self.dtype)
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
            n *= d  # type: ignore[operator]
        return n

    def with_dtype(self, dtype: str) -> TensorType:
        return TensorType(dtype, self.shape)

    def with_shape(self, shape: Iterable[Dim]) -> TensorType:
        return TensorType(self.dtype, tuple(shape))

    def __str__(self) -> str:
        return f"{dtypes.short_name(self.dtype)}[{', '.join(str(d) for d in self.shape)}]"


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
    rank = max((len(s) for s in shapes), default=0)
    out: list[Dim] = [1] * rank
    for shape in shapes:
        padded = (1,) * (rank - len(shape)) + tuple(shape)
        out = [broadcast_dim(a, b) for a, b in zip(out, padded, strict=True)]
    return tuple(out)


def dims_compatible(a: Dim, b: Dim) -> bool:
    """False only when both dims are static and differ."""
    return not (isinstance(a, int) and isinstance(b, int) and a != b)
