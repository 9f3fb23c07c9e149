"""Where a function's result changes kind: the argument tuples next to PyTensor's NaN/±inf,
±0 and sign boundaries, found by bisection over the floats.

Along each line (one argument varying over the whole float range, the others fixed at menu
values), a function's result has a kind: NaN, +inf, -inf, +0, -0, positive or negative
finite. Between neighbouring points of a coarse grid (spread evenly over the floats' bit
patterns, so over every binade) whose kinds differ, bisection over the bit patterns finds two
adjacent floats of different kinds: an overflow threshold, the edge of the domain, a pole, an
underflow to zero, a sign change. The tuples probed are those floats and their neighbours a few
ulps away, where an implementation that is right almost everywhere is most often wrong about
NaN and inf placement (gammaln's inf where scipy's 1/x overflows, gamma's overflow from
171.62...).

``boundary_tuples(kind_of, arity, dtype, fixed)`` needs only the reference function (PyTensor's
perform, vectorized) and returns one array per argument.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

#: Grid points per line (over the whole float range, evenly in bit patterns).
GRID = 4096
#: Floats on each side of a boundary that are probed.
NEIGHBOURS = 2

_KINDS = ("nan", "+inf", "-inf", "+0", "-0", "+", "-")


def _itype(dtype: str) -> type[np.signedinteger]:
    return {8: np.int64, 4: np.int32, 2: np.int16}[np.dtype(dtype).itemsize]


def to_ordered(x: np.ndarray) -> np.ndarray:
    """Each float's position in the order of the floats (+0 and -0 are 0 and -0: the same),
    as int64."""
    itype = _itype(str(x.dtype))
    bits = x.view(itype).astype(np.int64)
    magnitude = bits & np.int64(np.iinfo(itype).max)
    return np.where(bits < 0, -magnitude, magnitude)


def from_ordered(k: np.ndarray, dtype: str) -> np.ndarray:
    """The floats at positions ``k`` (0 is +0)."""
    itype = _itype(dtype)
    sign = np.int64(np.iinfo(itype).min)  # the sign bit alone, as the integer type holds it
    bits = np.where(k < 0, (-k) | sign, k).astype(itype)
    return bits.view(dtype)


def kinds(values: np.ndarray) -> np.ndarray:
    """The kind of each value, as an index into ``_KINDS``."""
    v = np.asarray(values)
    out = np.where(v > 0, 5, 6)
    out = np.where(v == 0, np.where(np.signbit(v), 4, 3), out)
    out = np.where(v == np.inf, 1, out)
    out = np.where(v == -np.inf, 2, out)
    return np.where(np.isnan(v), 0, out)


def _lines(
    arity: int, fixed: np.ndarray, points: np.ndarray, dtype: str
) -> tuple[list[np.ndarray], np.ndarray]:
    """The tuples of every line: argument ``i`` over ``points``, the others at each of
    ``fixed``. Returns (one array per argument, the line number of each tuple)."""
    columns: list[list[np.ndarray]] = [[] for _ in range(arity)]
    line_of = []
    line = 0
    combos = [np.empty(0)]
    if arity > 1:
        grids = np.meshgrid(*([fixed] * (arity - 1)), indexing="ij")
        combos = list(np.array(grids).reshape(arity - 1, -1).T)
    for i in range(arity):
        for combo in combos:
            rest = iter(combo)
            for j in range(arity):
                if j == i:
                    columns[j].append(points)
                else:
                    columns[j].append(np.full(points.size, next(rest), dtype=dtype))
            line_of.append(np.full(points.size, line))
            line += 1
    return [np.concatenate(c).astype(dtype) for c in columns], np.concatenate(line_of)


def boundary_tuples(
    reference: Callable[..., np.ndarray],
    arity: int,
    dtype: str,
    fixed: np.ndarray,
    keep: Callable[..., np.ndarray] | None = None,
    grid: int = GRID,
    extra: Sequence[float] = (),
) -> tuple[np.ndarray, ...]:
    """The argument tuples next to each boundary of ``reference``'s kinds along each line
    (for one argument, the real line; for several, each argument varying with the others at
    each value of ``fixed``). ``keep`` leaves tuples out (True where kept), grid points and
    bisection steps both. ``extra`` values join the grid of every line."""
    top = int(to_ordered(np.array([np.finfo(dtype).max], dtype=dtype))[0])
    base = np.linspace(-top, top, grid).astype(np.int64)
    extra_k = to_ordered(np.array([v for v in extra if np.isfinite(v)], dtype=dtype))
    ordered = np.unique(np.concatenate([base, extra_k]))
    fixed = np.asarray(fixed, dtype=dtype)
    args, line_of = _lines(arity, fixed, from_ordered(ordered, dtype), dtype)
    varying = np.concatenate([np.full(line_of.size // arity, i) for i in range(arity)])
    position = np.tile(ordered, line_of.size // ordered.size)
    kept = np.ones(line_of.size, bool) if keep is None else keep(*args)
    kind = kinds(reference(*[a[kept] for a in args]))
    all_kinds = np.full(line_of.size, -1)
    all_kinds[kept] = kind
    # Neighbouring kept grid points of one line whose kinds differ.
    idx = np.flatnonzero(kept)
    same_line = line_of[idx[:-1]] == line_of[idx[1:]]
    differ = all_kinds[idx[:-1]] != all_kinds[idx[1:]]
    left, right = idx[:-1][same_line & differ], idx[1:][same_line & differ]
    lo, hi = position[left].copy(), position[right].copy()
    lo_kind = all_kinds[left]
    template = [a[left] for a in args]
    which = varying[left]
    alive = np.ones(lo.size, bool)
    while True:
        open_ = alive & (hi - lo > 1)
        if not open_.any():
            break
        mid = lo + (hi - lo) // 2
        probe = [t.copy() for t in template]
        for i in range(arity):
            on = which == i
            probe[i][on] = from_ordered(mid[on], dtype)
        sel = np.flatnonzero(open_)
        sub = [p[sel] for p in probe]
        ok = np.ones(sel.size, bool) if keep is None else keep(*sub)
        alive[sel[~ok]] = False
        sel, sub = sel[ok], [s[ok] for s in sub]
        if sel.size == 0:
            continue
        same = kinds(reference(*sub)) == lo_kind[sel]
        lo[sel[same]] = mid[sel[same]]
        hi[sel[~same]] = mid[sel[~same]]
    # The boundary floats and their neighbours.
    offsets = np.arange(-NEIGHBOURS, NEIGHBOURS + 2)
    out: list[list[np.ndarray]] = [[] for _ in range(arity)]
    for off in offsets:
        k = np.clip(lo[alive] + off, -top, top)
        for i in range(arity):
            column = template[i][alive].copy()
            on = which[alive] == i
            column[on] = from_ordered(k[on], dtype)
            out[i].append(column)
    tuples = np.stack([np.concatenate(c) for c in out]).T
    unique = np.unique(tuples.view(_itype(dtype)), axis=0).view(dtype)
    return tuple(unique[:, i].copy() for i in range(arity))
