"""A hypothesis generator of well-typed random PyTensor graphs and of inputs for them.

A graph is drawn as a *program*: Python statements over ``pt`` and ``np`` that build it, executed
one by one while drawing (so that each statement is checked by PyTensor's own type checks and the
next draw sees real types). The program text is the graph's description: a failure prints it,
and a regression test pastes it back (``Program.build``).

The generator knows each value's run-time shape (inputs get fixed shapes; shapes after a
data-dependent boolean mask are unknown and only shape-agnostic ops use those values) and
whether the value is *exact*: computed by operations that ONNX Runtime and numpy round
identically (IEEE add/sub/mul/div/sqrt, comparisons, integer arithmetic, data movement). Only
exact values feed discontinuous operations (comparisons, floor, casts to integers, argmax,
argsort, ...): a last-ulp difference of ``exp`` or of a summation order is within tolerance, but
``floor`` or ``>`` would turn it into a different integer or bool, and that would say nothing
about the compiler. Likewise, inexact values only feed well-conditioned operations (data
movement, ``maximum``, ``neg``, ``abs``, ``sort``...), never a subtraction.

Where PyTensor itself is no oracle, the generator leaves the input out on purpose, each place
with a comment saying why (casts of NaN/inf/out-of-range floats to integers, negative integer
powers, padding an empty axis in a non-constant mode, reductions without identity over empty
axes, quicksort argsort of ties).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytensor.tensor.linalg as ptl
import pytensor.tensor.special as pts
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pytensor.tensor.xlogx import xlogy0

INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
FLOATS = ("float16", "float32", "float64")
DTYPES = (
    "float32",
    "float64",
    "int64",
    "int32",
    "bool",
    "int8",
    "uint8",
    "int16",
    "uint16",
    "uint32",
    "uint64",
    "float16",
)
PAD_MODES = (
    "constant",
    "edge",
    "reflect",
    "symmetric",
    "wrap",
    "maximum",
    "minimum",
    "mean",
    "median",
    "linear_ramp",
)


def namespace() -> dict[str, Any]:
    """The globals a program's statements run in."""
    return {
        "pt": pt,
        "np": np,
        "pts": pts,
        "ptl": ptl,
        "pytensor": pytensor,
        "xlogy0": xlogy0,
        "nan": math.nan,
        "inf": math.inf,
    }


@dataclass(frozen=True)
class InputSpec:
    """A graph input: its dtype, run-time shape, static type shape, and (for inputs used as
    indices) the closed range its values are drawn from."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    bounds: tuple[int, int] | None = None
    #: Only small dyadic values (no NaN, inf or extremes): the entries of matrices that a
    #: construction makes well conditioned.
    finite: bool = False


@dataclass
class Program:
    """A random graph as the statements that build it."""

    inputs: list[InputSpec]
    lines: list[str]
    outputs: list[str]
    #: Feeds must be "tame" (small dyadic floats, small integers, NaN/inf/±0, no extremes): the
    #: graph sums floats in an order ONNX Runtime need not share, and those values make every
    #: such sum exact whatever the order (so that the comparison can stay at dtype tolerance).
    tame: bool = False
    #: The tolerance family of each output that is not judged at its dtype's tolerance
    #: (``oracle.FAMILY_TOLERANCES``): special functions, linear algebra, Scan, gradients.
    families: dict[str, str] = field(default_factory=dict)

    def source(self) -> str:
        """The program as Python (``pt``/``np`` imported, ``nan``/``inf`` from math)."""
        outs = ", ".join(self.outputs)
        return "\n".join([*self.lines, f"outputs = [{outs}]"])

    def build(self) -> tuple[list[Any], list[Any]]:
        """Run the statements: (input variables, output variables), fresh each call."""
        ns = namespace()
        exec(self.source(), ns)
        return [ns[i.name] for i in self.inputs], list(ns["outputs"])


@dataclass
class Val:
    """A value of the program under construction."""

    name: str
    shape: tuple[int | None, ...]  # run-time shape; None: data-dependent
    exact: bool
    var: Any = field(repr=False)
    #: For an inexact value: the narrowest float dtype its error comes from (its tolerance).
    tolerance_of: str | None = None
    #: The tolerance family of its error (``FAMILIES``), the loosest of what it is computed from.
    family: str | None = None
    #: Graph inputs it is a smooth function of (a gradient of it with respect to them is
    #: drawn), or () when something discontinuous lies between.
    smooth_in: tuple[str, ...] = ()

    @property
    def dtype(self) -> str:
        return self.var.type.dtype

    @property
    def static(self) -> tuple[int | None, ...]:
        return self.var.type.shape

    @property
    def known(self) -> bool:
        return None not in self.shape

    @property
    def size(self) -> int:
        return math.prod(self.shape)  # type: ignore[arg-type]

    @property
    def is_float(self) -> bool:
        return self.dtype in FLOATS

    @property
    def is_int(self) -> bool:
        return self.dtype in INTS


#: Tolerance families, tightest first (``oracle.FAMILY_TOLERANCES`` gives their tolerances):
#: special functions (<= 64 ulp), Scan recurrences and linear algebra (cond * eps relative to
#: the output's norm: the constructions keep cond below about 100), gradients (compositions of
#: the above, a derivative amplifying its function's error).
FAMILIES = ("special", "scan", "linalg", "grad")


class Skip(Exception):
    """The drawn operation does not apply to the drawn operands: draw another."""


def literal(value: Any, dtype: str) -> str:
    """Python text for a numpy scalar or array constant."""
    arr = np.asarray(value, dtype=dtype)
    return f"np.array({arr.tolist()!r}, dtype={dtype!r}).reshape({arr.shape!r})"


class Builder:
    """Draws a program statement by statement."""

    def __init__(self, draw: Callable[..., Any], max_inputs: int = 4) -> None:
        self.draw = draw
        self.ns = namespace()
        self.inputs: list[InputSpec] = []
        self.lines: list[str] = []
        self.vals: list[Val] = []
        self.tame = False
        self.max_inputs = max_inputs
        self._n = 0

    # -- drawing helpers ---------------------------------------------------------------------

    def ints(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def choice(self, options: Any) -> Any:
        return self.draw(st.sampled_from(list(options)))

    def flag(self) -> bool:
        return self.draw(st.booleans())

    def emit(
        self,
        expr: str,
        shape: tuple[int | None, ...],
        exact: bool,
        family: str | None = None,
        smooth_in: tuple[str, ...] = (),
    ) -> Val:
        """Run ``name = expr``; a PyTensor type error means the op does not apply. ``family``
        names the tolerance family of an inexact result (the loosest of its operands' and
        this one), ``smooth_in`` the graph inputs it is a smooth function of."""
        name = f"v{self._n}"
        try:
            var = eval(expr, self.ns)
        except (TypeError, ValueError, NotImplementedError, IndexError) as exc:
            raise Skip(str(exc)) from exc
        used = set(re.findall(r"\b[vx]\d+\b", expr))
        families = [v.family for v in self.vals if v.name in used and v.family]
        families += [family] if family else []
        family = None if exact else max(families, key=FAMILIES.index, default=None)
        tolerance_of = None
        if not exact:
            sources = [v.tolerance_of for v in self.vals if v.name in used and v.tolerance_of]
            dtype = var.type.dtype
            sources += [dtype] if dtype in FLOATS else []
            tolerance_of = min(sources, key=FLOATS.index, default=None)
            if (
                tolerance_of
                and dtype in FLOATS
                and FLOATS.index(dtype) > FLOATS.index(tolerance_of)
            ):
                # A float32 error carried into float64 would be judged at float64's
                # tolerance: the comparison could not stay at the dtype's tolerance.
                raise Skip(f"an inexact {tolerance_of} value widened to {dtype}")
        self._n += 1
        self.ns[name] = var
        self.lines.append(f"{name} = {expr}")
        val = Val(name, tuple(shape), exact, var, tolerance_of, family, smooth_in)
        static = var.type.shape
        assert len(static) == len(shape), (expr, static, shape)
        for s, t in zip(shape, static, strict=True):
            assert s is None or t is None or s == t, (expr, static, shape)
        self.vals.append(val)
        return val

    def new_input(
        self,
        dtype: str,
        shape: tuple[int, ...],
        static: tuple[int | None, ...] | None = None,
        bounds: tuple[int, int] | None = None,
        finite: bool = False,
    ) -> Val:
        """A fresh graph input; each dim static or symbolic as drawn unless ``static`` says."""
        if static is None:
            static = tuple(s if self.flag() else None for s in shape)
        name = f"x{len(self.inputs)}"
        var = pt.tensor(name, dtype=dtype, shape=static)
        self.ns[name] = var
        self.lines.append(f"{name} = pt.tensor({name!r}, dtype={dtype!r}, shape={static!r})")
        self.inputs.append(InputSpec(name, dtype, shape, bounds, finite))
        val = Val(name, shape, True, var, smooth_in=(name,) if dtype in FLOATS else ())
        self.vals.append(val)
        return val

    def draw_shape(self, max_ndim: int = 3, max_dim: int = 4) -> tuple[int, ...]:
        ndim = self.ints(0, max_ndim)
        return tuple(
            self.ints(0, max_dim) if self.ints(0, 5) == 0 else self.ints(1, max_dim)
            for _ in range(ndim)
        )

    def pick(self, pred: Callable[[Val], bool] = lambda v: True) -> Val:
        """An existing value satisfying ``pred`` (the newest first, so shrinking keeps depth
        low), or a fresh input when none does and inputs remain."""
        candidates = [v for v in reversed(self.vals) if pred(v)]
        if not candidates:
            raise Skip("no operand")
        return self.choice(candidates)

    def operand(self, pred: Callable[[Val], bool], make: Callable[[], Val]) -> Val:
        """An existing value satisfying ``pred``, or a new one from ``make``."""
        candidates = [v for v in reversed(self.vals) if pred(v)]
        if candidates and (len(self.inputs) >= self.max_inputs or self.flag()):
            return self.choice(candidates)
        if len(self.inputs) >= self.max_inputs and not candidates:
            raise Skip("no operand and no inputs left")
        return make()

    # -- broadcasting ------------------------------------------------------------------------

    @staticmethod
    def broadcasts(a: Val, b: Val) -> bool:
        """PyTensor broadcasts a with b: aligned dims equal, or the size-1 one is static 1
        (PyTensor refuses to broadcast a symbolic dim that is 1 at run time)."""
        if not (a.known and b.known):
            return a is b
        for sa, ta, sb, tb in zip(
            a.shape[::-1], a.static[::-1], b.shape[::-1], b.static[::-1], strict=False
        ):
            if sa != sb and not (sa == 1 and ta == 1) and not (sb == 1 and tb == 1):
                return False
        return True

    @staticmethod
    def broadcast_shape(*vals: Val) -> tuple[int, ...]:
        return tuple(np.broadcast_shapes(*(tuple(v.shape) for v in vals)))  # type: ignore[arg-type]

    def partner(self, a: Val, dtype: str) -> Val:
        """A new input that broadcasts with ``a`` (fewer, as many or one more dims)."""
        ndim = self.ints(0, len(a.shape) + 1)
        run: list[int] = []
        static: list[int | None] = []
        aligned = list(zip(a.shape[::-1], a.static[::-1], strict=True))
        for i in range(ndim):
            if i < len(aligned):
                s, t = aligned[i]
                kind = self.ints(0, 2)
                if kind == 1 or (kind == 2 and t != 1):
                    run.append(1)
                    static.append(1)
                    continue
                if kind == 2:  # a's dim is static 1: the partner may have any size
                    s = self.ints(0, 3)
            else:
                s = self.ints(1, 3)
            run.append(s)  # type: ignore[arg-type]
            static.append(s if self.flag() else None)
        return self.new_input(dtype, tuple(run[::-1]), tuple(static[::-1]))

    def broadcast_operand(self, a: Val, pred: Callable[[Val], bool] = lambda v: True) -> Val:
        """An operand broadcasting with ``a``: an existing value, a fresh input, or a constant
        of a special value."""
        kind = self.ints(0, 3)
        if kind == 3:
            return self.constant(a.dtype if self.flag() else self.choice(DTYPES), one_element=True)
        return self.operand(
            lambda v: pred(v) and self.broadcasts(a, v),
            lambda: self.partner(a, self.dtype_like(a.dtype)),
        )

    def dtype_like(self, dtype: str) -> str:
        return dtype if self.ints(0, 2) else self.choice(DTYPES)

    def constant(self, dtype: str, one_element: bool = False) -> Val:
        """A scalar constant of a special value of ``dtype``; of a float32/float64 one, one
        time in four a near-identity (``NEAR_IDENTITIES``), which with ``one_element`` may be
        of shape (1,) or (1, 1) (it broadcasts with anything: all its dims are static 1)."""
        if dtype in NEAR_IDENTITIES and self.ints(0, 3) == 0:
            return self.near_identity(dtype, one_element)
        value = self.choice(special_values(dtype))
        return self.emit(f"pt.constant({literal(value, dtype)})", (), True)

    def near_identity(self, dtype: str, one_element: bool = False) -> Val:
        """A constant of ``NEAR_IDENTITIES[dtype]``: a scalar, or with ``one_element`` maybe
        of shape (1,) or (1, 1)."""
        value = self.choice(NEAR_IDENTITIES[dtype])
        shape: tuple[int, ...] = (1,) * self.ints(0, 2) if one_element else ()
        array = np.full(shape, value, dtype=dtype)
        return self.emit(f"pt.constant({literal(array, dtype)})", shape, True)


#: One-element constants that are, or that float32 rounds to, a neutral element of Add/Sub
#: (0) or Mul/Div/Pow (1): ONNX Runtime's NoopElimination read a float64 one through float32
#: and dropped ``x * 1.0000000342285429``, ``x / (1 - 2**-30)``, ``x + 1e-300`` and ``x + 0.0``
#: (at -0.0) (lowering/ort_noop_guard.py). The float32 ones are read exactly: the drop of
#: their neighbours of 1 and 0 would be as wrong. Kept out of ``special_values``: the feeds
#: draw from that, and their sums must stay exact in any order.
NEAR_IDENTITIES: dict[str, list[float]] = {
    "float64": [
        1 + 2.0**-30,
        1 - 2.0**-30,
        1 + 2.0**-40,
        1.0000000342285429,
        1e-300,
        -1e-300,
        2.0**-1074,
        -(2.0**-1074),
        0.0,
        -0.0,
    ],
    "float32": [1 + 2.0**-23, 1 - 2.0**-24, 2.0**-149, -(2.0**-149), 0.0, -0.0],
}


def special_values(dtype: str) -> list[Any]:
    """Values of ``dtype`` where arithmetic has its edge cases."""
    if dtype == "bool":
        return [False, True]
    if dtype in INTS:
        info = np.iinfo(dtype)
        vals = {0, 1, 2, 3, -1, -2, -7, 7, info.min, info.max, info.min + 1, info.max - 1}
        return sorted(v for v in vals if info.min <= v <= info.max)
    info = np.finfo(dtype)
    return [
        0.0,
        1.0,
        -1.0,
        2.5,
        -0.5,
        -0.0,
        math.nan,
        math.inf,
        -math.inf,
        float(info.max),
        -float(info.max),
        float(info.tiny),
        float(info.smallest_subnormal),
        3.0,
        -3.0,
    ]


# -- the op menu -----------------------------------------------------------------------------
# Each op draws its operands and parameters and emits one value (or raises Skip).

UNARY_EXACT = {  # name -> (applies to ints, applies to bool)
    "pt.neg": (True, False),
    "pt.abs": (True, False),
    "pt.sign": (True, False),
    "pt.sqr": (True, False),
    "pt.floor": (True, True),
    "pt.ceil": (True, True),
    "pt.trunc": (True, False),
    "pt.round": (True, False),
    "pt.isnan": (True, True),
    "pt.isinf": (True, True),
    "pt.sqrt": (True, True),
    "pt.reciprocal": (True, False),
    "pt.invert": (True, True),
}
#: Float results that ONNX Runtime and numpy may round differently in the last ulps.
UNARY_INEXACT = (
    "pt.exp",
    "pt.log",
    "pt.log1p",
    "pt.expm1",
    "pt.tanh",
    "pt.sigmoid",
    "pt.softplus",
    "pt.sin",
    "pt.cos",
    "pt.exp2",
    "pt.log2",
    "pt.erf",
)
#: Unary ops that keep a last-ulp difference a last-ulp difference.
UNARY_ON_INEXACT = ("pt.neg", "pt.abs", "pt.isnan")
BINARY_EXACT = (
    "pt.add",
    "pt.sub",
    "pt.mul",
    "pt.true_div",
    "pt.int_div",
    "pt.mod",
    "pt.maximum",
    "pt.minimum",
    "pt.lt",
    "pt.gt",
    "pt.le",
    "pt.ge",
    "pt.eq",
    "pt.neq",
    "pt.bitwise_and",
    "pt.bitwise_or",
    "pt.bitwise_xor",
)
#: Where a near-identity constant (``NEAR_IDENTITIES``) is drawn more often.
NEAR_IDENTITY_OPS = ("pt.add", "pt.sub", "pt.mul", "pt.true_div", "pt.pow")
BITWISE = ("pt.bitwise_and", "pt.bitwise_or", "pt.bitwise_xor", "pt.invert")


def op_unary(b: Builder) -> Val:
    a = b.pick()
    fn = b.choice([*UNARY_EXACT, *UNARY_INEXACT]) if a.exact else b.choice(UNARY_ON_INEXACT)
    if fn in UNARY_EXACT:
        ints_ok, bool_ok = UNARY_EXACT[fn]
        if (a.is_int and not ints_ok) or (a.dtype == "bool" and not bool_ok):
            raise Skip(fn)
        if fn == "pt.invert" and a.is_float:
            raise Skip("invert of a float")
        # sqrt and reciprocal are correctly rounded (IEEE) in both; of integers they go
        # through a float of PyTensor's choice, still correctly rounded.
        return b.emit(f"{fn}({a.name})", a.shape, a.exact)
    if fn == "pt.softplus" and a.dtype == "bool":
        # PyTensor's perform computes softplus of a bool in numpy's float16 (0.69336 for
        # False, not log(2)) and stores it as float32: no oracle.
        raise Skip("softplus of a bool")
    return b.emit(f"{fn}({a.name})", a.shape, False)


def op_binary(b: Builder) -> Val:
    a = b.pick(lambda v: v.known)
    fn = b.choice([*BINARY_EXACT, "pt.pow"])
    if not a.exact and fn not in ("pt.maximum", "pt.minimum"):
        raise Skip("only maximum/minimum keep an inexact operand's error bounded")
    if fn in NEAR_IDENTITY_OPS and b.ints(0, 3) == 0:
        # (a constant is drawn rarely: without this, one graph in about 50 had one)
        dtype = a.dtype if a.dtype in NEAR_IDENTITIES else b.choice(sorted(NEAR_IDENTITIES))
        other = b.near_identity(dtype, one_element=True)
    else:
        other = b.broadcast_operand(a, lambda v: v.exact or fn in ("pt.maximum", "pt.minimum"))
    x, y = (a, other) if b.flag() else (other, a)
    shape = b.broadcast_shape(x, y)
    if fn == "pt.pow":
        if x.dtype not in FLOATS and y.dtype not in FLOATS:
            # numpy (PyTensor's perform) raises on negative integer exponents: keep them
            # in [0, 5] (a floor modulo of a positive divisor is never negative).
            return b.emit(f"pt.pow({x.name}, pt.mod({y.name}, 6))", shape, x.exact and y.exact)
        return b.emit(f"pt.pow({x.name}, {y.name})", shape, False)
    if fn in BITWISE and (x.is_float or y.is_float):
        raise Skip("bitwise op of floats")
    val = b.emit(f"{fn}({x.name}, {y.name})", shape, x.exact and y.exact)
    if fn in BITWISE and val.is_float:
        # A signed and an unsigned integer promote to float64, which numpy's bitwise ufuncs
        # (PyTensor's perform) reject: no oracle. (The compiler refuses these.)
        b.vals.remove(val)
        b.lines.pop()
        raise Skip("bitwise op promoted to float")
    return val


def op_clip(b: Builder) -> Val:
    a = b.pick(lambda v: v.known and v.exact and v.dtype != "bool")
    lo = b.choice(special_values(a.dtype))
    hi = b.choice(special_values(a.dtype))
    return b.emit(
        f"pt.clip({a.name}, {literal(lo, a.dtype)}, {literal(hi, a.dtype)})", a.shape, True
    )


def op_switch(b: Builder) -> Val:
    cond = b.pick(lambda v: v.known and v.exact)
    x = b.broadcast_operand(cond)
    y_pred = lambda v: b.broadcasts(cond, v) and b.broadcasts(x, v)
    y = b.operand(y_pred, lambda: b.constant(b.dtype_like(x.dtype)))
    if not y_pred(y):
        raise Skip("switch operands do not broadcast")
    cond_text = cond.name if cond.dtype == "bool" else f"pt.neq({cond.name}, 0)"
    return b.emit(
        f"pt.switch({cond_text}, {x.name}, {y.name})",
        b.broadcast_shape(cond, x, y),
        x.exact and y.exact,
    )


def op_cast(b: Builder) -> Val:
    a = b.pick()
    target = b.choice(DTYPES)
    if not a.exact and target not in FLOATS:
        raise Skip("a discontinuous cast of an inexact value")
    if a.is_float and target in INTS:
        # Casting NaN, ±inf or a float out of the target's range to an integer is undefined
        # behaviour in C (numpy returns whatever the CPU gives): no oracle. Such values are
        # replaced by 0 and clipped into a range every float dtype reaches exactly.
        bits = np.iinfo(target).bits
        lo, hi = (
            (0, 2 ** (bits - 1))
            if target.startswith("u")
            else (-(2 ** (bits - 2)), 2 ** (bits - 2))
        )
        if a.dtype == "float16":
            lo, hi = max(lo, -60000), min(hi, 60000)
        safe = f"pt.clip(pt.switch(pt.isfinite({a.name}), {a.name}, 0), {lo}, {hi})"
        return b.emit(f"pt.cast({safe}, {target!r})", a.shape, True)
    return b.emit(f"pt.cast({a.name}, {target!r})", a.shape, a.exact)


def op_reshape(b: Builder) -> Val:
    a = b.pick(lambda v: v.known)
    size = a.size
    ndim = b.ints(0, 4)
    if size == 0:
        dims = [b.ints(0, 3) for _ in range(ndim)]
        if ndim == 0 or 0 not in dims:
            raise Skip("cannot reshape an empty array to that")
    else:
        dims = []
        rest = size
        for _ in range(max(ndim - 1, 0)):
            divisors = [d for d in range(1, rest + 1) if rest % d == 0]
            d = b.choice(divisors)
            dims.append(d)
            rest //= d
        if ndim:
            dims.append(rest)
        elif size != 1:
            raise Skip("a scalar needs size 1")
    spec = list(dims)
    if size and ndim and b.flag():  # one size left to infer
        spec[b.ints(0, ndim - 1)] = -1
    how = b.ints(0, 2)
    if how == 0 or not ndim:
        return b.emit(f"pt.reshape({a.name}, {tuple(spec)!r}, ndim={ndim})", tuple(dims), a.exact)
    if how == 1:  # a symbolic target shape
        parts = ", ".join(
            str(s) if i else f"{a.name}.size // {math.prod(dims[1:]) or 1}" if size else str(s)
            for i, s in enumerate(spec)
        )
        return b.emit(
            f"pt.reshape({a.name}, pt.stack([{parts}]), ndim={ndim})", tuple(dims), a.exact
        )
    if len(a.shape) >= 1:
        k = b.ints(1, len(a.shape))
        shape = (*a.shape[: k - 1], math.prod(a.shape[k - 1 :]))  # type: ignore[arg-type]
        return b.emit(f"pt.flatten({a.name}, ndim={k})", shape, a.exact)
    raise Skip("flatten of a scalar")


def op_dimshuffle(b: Builder) -> Val:
    a = b.pick(lambda v: v.known)
    keep = [i for i in range(len(a.shape)) if not (a.static[i] == 1 and b.ints(0, 2) == 0)]
    order: list[int | str] = list(b.draw(st.permutations(keep)))
    for _ in range(b.ints(0, 2)):
        order.insert(b.ints(0, len(order)), "x")
    shape = tuple(1 if o == "x" else a.shape[o] for o in order)  # type: ignore[index]
    return b.emit(f"{a.name}.dimshuffle({order!r})", shape, a.exact)


def basic_index(b: Builder, shape: tuple[int, ...], allow_int: bool = True) -> list[str]:
    """One basic index entry per leading dim drawn (ints, slices with any bounds/steps)."""
    parts = []
    for s in shape[: b.ints(0, len(shape))]:
        kind = b.ints(0, 3)
        if kind == 1 and s > 0 and allow_int:
            parts.append(str(b.ints(-s, s - 1)))
            continue
        if kind == 0:
            parts.append(":")
            continue
        start = b.draw(st.none() | st.integers(-s - 2, s + 2))
        stop = b.draw(st.none() | st.integers(-s - 2, s + 2))
        step = b.choice([None, -1, 1, 2, -2, 3, -3])
        fmt = lambda v: "" if v is None else str(v)
        parts.append(f"{fmt(start)}:{fmt(stop)}" + ("" if step is None else f":{step}"))
    return parts


def advanced_index(b: Builder, shape: tuple[int, ...]) -> list[str]:
    """Integer arrays (negative and repeated entries, constants or inputs) and slices."""
    parts = []
    n_adv = 0
    for s in shape[: b.ints(1, len(shape))]:
        if s > 0 and (n_adv == 0 or b.flag()):
            n_adv += 1
            idx_shape = (b.ints(0, 4),) if n_adv == 1 else None
            parts.append(("adv", s, idx_shape))  # type: ignore[arg-type]
        else:
            parts.append(b.choice([":", "1:", "::-1"]) if s > 0 else ":")
    if n_adv == 0:
        raise Skip("no advanced index")
    first = next(p for p in parts if isinstance(p, tuple))
    n = first[2][0]  # every advanced index has the first one's length (they broadcast)
    out = []
    for p in parts:
        if not isinstance(p, tuple):
            out.append(p)
            continue
        s = p[1]
        values = [b.ints(-s, s - 1) for _ in range(n)]
        if b.ints(0, 2) == 0 and len(b.inputs) < b.max_inputs:
            var = b.new_input("int64", (n,), (n,), bounds=(-s, s - 1))
            out.append(var.name)
        else:
            out.append(literal(values, "int64"))
    return out


def index_shape(b: Builder, shape: tuple[int, ...], parts: list[str]) -> tuple[int, ...]:
    """The shape numpy gives for the index (the same semantics as PyTensor's)."""
    probe = {i.name: np.zeros(i.shape, dtype=np.int64) for i in b.inputs}
    ns = {**namespace(), **probe, "_z": np.zeros(shape, dtype=np.int8)}
    return eval(f"_z[{', '.join(parts)},]", ns).shape


def op_subtensor(b: Builder) -> Val:
    a = b.pick(lambda v: v.known and len(v.shape) > 0)
    kind = b.ints(0, 3)
    if kind <= 1:
        parts = basic_index(b, a.shape)  # type: ignore[arg-type]
    elif kind == 2:
        parts = advanced_index(b, a.shape)  # type: ignore[arg-type]
    else:
        return op_mask(b, a)
    if not parts:
        parts = [":"]
    shape = index_shape(b, a.shape, parts)  # type: ignore[arg-type]
    return b.emit(f"{a.name}[{', '.join(parts)}]", shape, a.exact)


def op_mask(b: Builder, a: Val) -> Val:
    """Boolean-mask indexing: a constant mask (static result size) or a data-dependent one."""
    k = b.ints(1, len(a.shape))
    lead = a.shape[:k]
    if b.flag():
        mask = np.array([b.flag() for _ in range(math.prod(lead))], bool).reshape(lead)  # type: ignore[arg-type]
        if mask.size == 0:
            # An empty constant mask has no bool entries to tell PyTensor what it is: it
            # indexes with it as an integer array.
            raise Skip("an empty constant mask")
        shape = (int(mask.sum()), *a.shape[k:])
        return b.emit(f"{a.name}[{literal(mask, 'bool')}]", shape, a.exact)
    if not a.exact:
        raise Skip("a mask from an inexact value")
    cond = b.pick(lambda v: v.exact and v.shape == lead and v.static == a.static[:k])
    test = cond.name if cond.dtype == "bool" else f"pt.gt({cond.name}, 0)"
    return b.emit(f"{a.name}[{test}]", (None, *a.shape[k:]), a.exact)


def op_scatter(b: Builder) -> Val:
    a = b.pick(lambda v: v.known and len(v.shape) > 0)
    basic = b.flag()
    parts = (basic_index(b, a.shape) or [":"]) if basic else advanced_index(b, a.shape)  # type: ignore[arg-type]
    sub = index_shape(b, a.shape, parts)  # type: ignore[arg-type]
    fn = b.choice(["pt.set_subtensor", "pt.inc_subtensor"])
    target = b.emit(f"{a.name}[{', '.join(parts)}]", sub, a.exact)
    b.vals.remove(target)  # the view is an operand only
    dtype = b.dtype_like(a.dtype)
    if b.ints(0, 2) == 0:
        value = b.constant(dtype)
    else:
        value = b.operand(
            lambda v: (
                v.known
                and len(v.shape) <= len(sub)
                and b.broadcasts(target, v)
                and b.broadcast_shape(target, v) == sub
                and (v.exact or fn == "pt.set_subtensor")
            ),
            lambda: b.partner(target, dtype),
        )
        if b.broadcast_shape(target, value) != sub or len(value.shape) > len(sub):
            raise Skip("value does not fit the target")
    inexact = not value.exact and fn == "pt.inc_subtensor"
    return b.emit(
        f"{fn}({target.name}, {value.name})", a.shape, a.exact and value.exact and not inexact
    )


def op_reduce(b: Builder) -> Val:
    a = b.pick()
    fn = b.choice(
        ["pt.sum", "pt.prod", "pt.max", "pt.min", "pt.all", "pt.any", "pt.argmax", "pt.mean"]
    )
    nd = len(a.shape)
    if not a.known:
        axis: Any = None
    else:
        kind = b.ints(0, 3)
        if kind == 0 or nd == 0:
            axis = None if nd == 0 or b.flag() else ()
        elif kind == 1:
            axis = b.ints(-nd, nd - 1)
        else:
            axis = tuple(b.draw(st.lists(st.integers(0, nd - 1), unique=True, max_size=nd)))
    keepdims = b.flag()
    axes = range(nd) if axis is None else [axis % nd] if isinstance(axis, int) else axis
    reduced = [a.shape[i] for i in axes]
    if fn in ("pt.max", "pt.min", "pt.argmax") and (None in reduced or 0 in reduced):
        # numpy (PyTensor's perform) raises for a reduction without identity over nothing.
        raise Skip("max/min/argmax over an empty axis")
    operand = a.name
    if not a.exact and fn in ("pt.sum", "pt.mean") and a.is_float:
        # A sum of magnitudes has no cancellation: its relative error stays its terms'.
        operand = f"pt.abs({a.name})"
    elif not a.exact and fn not in ("pt.max", "pt.min"):
        raise Skip("only max/min of an inexact value stay exact up to its error")
    if keepdims:
        shape = tuple(1 if i in axes else s for i, s in enumerate(a.shape))
    else:
        shape = tuple(s for i, s in enumerate(a.shape) if i not in axes)
    float_acc = a.is_float or fn == "pt.mean"
    exact = a.exact and not (float_acc and fn in ("pt.sum", "pt.prod", "pt.mean"))
    if float_acc and fn in ("pt.sum", "pt.prod", "pt.mean"):
        b.tame = True
    return b.emit(f"{fn}({operand}, axis={axis!r}, keepdims={keepdims})", shape, exact)


def op_sort(b: Builder) -> Val:
    a = b.pick(lambda v: len(v.shape) > 0)
    axis = None if not a.known or b.ints(0, 3) == 0 else b.ints(-len(a.shape), len(a.shape) - 1)
    shape = (None if not a.known else a.size,) if axis is None else a.shape
    if b.flag():
        return b.emit(f"pt.sort({a.name}, axis={axis!r})", shape, a.exact)
    if not a.exact:
        raise Skip("argsort of an inexact value")
    # Only the stable kind: numpy leaves the order of ties to quicksort unspecified, so a
    # quicksort argsort has no oracle for them.
    return b.emit(f"pt.argsort({a.name}, axis={axis!r}, kind='stable')", shape, True)


def op_cumsum(b: Builder) -> Val:
    # numpy's cumsum/cumprod (PyTensor's perform, and its Numba backend) give int64 or uint64
    # for smaller integers and bool, whatever the node's declared dtype: no oracle there.
    a = b.pick(lambda v: v.exact and v.dtype in ("int64", "uint64", *FLOATS))
    nd = len(a.shape)
    axis = None if not a.known or nd == 0 or b.flag() else b.ints(-nd, nd - 1)
    shape = (None if not a.known else a.size,) if axis is None else a.shape
    fn = b.choice(["pt.cumsum", "pt.cumprod"])
    if a.is_float:
        b.tame = True
    return b.emit(f"{fn}({a.name}, axis={axis!r})", shape, not a.is_float)


def op_pad(b: Builder) -> Val:
    a = b.pick(lambda v: v.known and len(v.shape) > 0)
    mode = b.choice(PAD_MODES)
    widths = [(b.ints(0, 3), b.ints(0, 3)) for _ in a.shape]
    if mode != "constant" and 0 in a.shape:
        # Padding an empty axis in any other mode is undefined: numpy refuses, PyTensor
        # returns uninitialised memory (issue 15, item 4). No oracle. And with an empty axis
        # anywhere, PyTensor's edge, linear_ramp, maximum and minimum pads raise (a
        # SpecifyShape of 1, a reduction over nothing) where numpy returns the empty result.
        raise Skip("non-constant pad of an empty array")
    if not a.exact and mode in ("mean", "median", "linear_ramp"):
        raise Skip("an arithmetic pad of an inexact value")
    extra = ""
    exact = a.exact
    if mode == "constant" and b.flag():
        extra = f", constant_values={literal(b.choice(special_values(a.dtype)), a.dtype)}"
    elif mode == "linear_ramp":
        extra = f", end_values={b.ints(-3, 3)}"
        exact = a.exact and not a.is_float
    elif mode in ("reflect", "symmetric") and b.flag():
        extra = ", reflect_type='odd'"
    elif mode in ("maximum", "minimum", "mean", "median") and b.flag():
        extra = f", stat_length={b.ints(1, 3)}"
    if mode in ("mean", "median", "linear_ramp") or "odd" in extra:
        b.tame = True  # averages and ramps sum in an order of their own
        exact = exact and mode not in ("mean", "median") and "odd" not in extra
    shape = tuple(s + w0 + w1 for s, (w0, w1) in zip(a.shape, widths, strict=True))  # type: ignore[operator]
    return b.emit(f"pt.pad({a.name}, {widths!r}, mode={mode!r}{extra})", shape, exact)


def op_concat(b: Builder) -> Val:
    a = b.pick(lambda v: v.known and len(v.shape) > 0)
    nd = len(a.shape)
    axis = b.ints(0, nd - 1)
    parts = [a]
    for _ in range(b.ints(1, 3)):
        size = b.ints(0, 3)
        shape = tuple(size if i == axis else s for i, s in enumerate(a.shape))
        static = tuple(
            (size if b.flag() else None) if i == axis else t for i, t in enumerate(a.static)
        )
        same = lambda v: (
            v.known
            and len(v.shape) == nd
            and all(
                v.shape[i] == a.shape[i] and v.static[i] == a.static[i]
                for i in range(nd)
                if i != axis
            )
        )
        parts.append(b.operand(same, lambda: b.new_input(b.dtype_like(a.dtype), shape, static)))
    if b.flag():
        parts = list(b.draw(st.permutations(parts)))
    total = sum(p.shape[axis] for p in parts)  # type: ignore[misc]
    out = tuple(total if i == axis else s for i, s in enumerate(a.shape))
    names = ", ".join(p.name for p in parts)
    return b.emit(f"pt.concatenate([{names}], axis={axis})", out, all(p.exact for p in parts))


def op_split(b: Builder) -> Val:
    a = b.pick(lambda v: v.known and len(v.shape) > 0)
    axis = b.ints(0, len(a.shape) - 1)
    n = b.ints(2, 4)  # (pt.split with one part returns the tensor, not a list)
    total = a.shape[axis]
    cuts = sorted(b.ints(0, total) for _ in range(n - 1))  # type: ignore[arg-type]
    sizes = [e - s for s, e in zip([0, *cuts], [*cuts, total], strict=True)]
    piece = b.ints(0, n - 1)
    shape = tuple(sizes[piece] if i == axis else s for i, s in enumerate(a.shape))
    return b.emit(
        f"pt.split({a.name}, {sizes!r}, n_splits={n}, axis={axis})[{piece}]", shape, a.exact
    )


def op_matmul(b: Builder) -> Val:
    a = b.pick(lambda v: v.known and v.exact and 1 <= len(v.shape) <= 3 and v.dtype != "bool")
    k = a.shape[-1]
    n = b.ints(0, 3)
    if len(a.shape) == 1:
        other_shape: tuple[int, ...] = (k, n) if b.flag() else (k,)  # type: ignore[assignment]
    else:
        other_shape = (k, n) if b.flag() else (*a.shape[:-2], k, n)  # type: ignore[assignment]
    other = b.operand(
        lambda v: v.known and v.exact and v.shape == other_shape and v.dtype != "bool",
        lambda: b.new_input(b.dtype_like(a.dtype), other_shape),
    )
    fn = b.choice(["pt.dot", "pt.matmul"]) if len(a.shape) <= 2 else "pt.matmul"
    shape = np.matmul(np.zeros(a.shape), np.zeros(other.shape)).shape  # type: ignore[arg-type]
    is_float = a.is_float or other.is_float
    b.tame = b.tame or is_float
    return b.emit(f"{fn}({a.name}, {other.name})", shape, a.exact and other.exact and not is_float)


def op_softmax(b: Builder) -> Val:
    a = b.pick(lambda v: v.known and v.exact and len(v.shape) > 0)
    nd = len(a.shape)
    fn = b.choice(["pts.softmax", "pts.log_softmax", "pt.logsumexp"])
    if fn == "pt.logsumexp":
        axis: Any = b.choice([None, b.ints(-nd, nd - 1), tuple(range(nd))])
        keepdims = b.flag()
        axes = range(nd) if axis is None else [axis % nd] if isinstance(axis, int) else axis
        shape = tuple((1 if keepdims else None) if i in axes else s for i, s in enumerate(a.shape))
        shape = tuple(s for s in shape if s is not None)
        b.tame = True
        return b.emit(f"pt.logsumexp({a.name}, axis={axis!r}, keepdims={keepdims})", shape, False)
    if a.dtype.startswith("uint"):
        # PyTensor's perform subtracts the max in the unsigned dtype, which wraps: softmax of
        # uint64 [7, 6] is [0, nan] and log_softmax [-inf, -inf]: no oracle.
        raise Skip(f"{fn} of an unsigned integer")
    axis = b.ints(-nd, nd - 1)
    if a.static[axis] == 1:
        # Over a static length-1 axis, PyTensor's rewrites of the op's inner graph turn
        # x - max(x) into 0, so its answer for ±inf/NaN (1 or 0 instead of NaN) depends on
        # which rewrites ran: no oracle.
        raise Skip("softmax over a static length-1 axis")
    b.tame = True
    return b.emit(f"{fn}({a.name}, axis={axis})", a.shape, False)


# -- special functions -------------------------------------------------------------------------
# Each takes exact operands only (a special function is no well-conditioned operation: near a
# pole or a zero a last-ulp difference of its argument is a large relative one of its value)
# and is judged at the "special" tolerance (the compiler promises <= 64 ulp). Their operands
# are drawn from everything the feeds carry: NaN, ±inf, ±0, negatives, dyadics, the dtype's
# extremes and arbitrary floats (poles, branch cuts and overflow included).

#: name -> number of tensor operands.
SPECIAL = {
    "pt.gammaln": 1,
    "pt.gamma": 1,
    "pt.psi": 1,
    "pt.tri_gamma": 1,
    "pt.erf": 1,
    "pt.erfc": 1,
    "pt.erfcx": 1,
    "pt.erfinv": 1,
    "pt.erfcinv": 1,
    "pt.ndtri_exp": 1,
    "pt.log1mexp": 1,
    "pt.xlogx": 1,
    "pt.i0": 1,
    "pt.i1": 1,
    "pt.j0": 1,
    "pt.j1": 1,
    "pt.sigmoid": 1,
    "pt.softplus": 1,
    "pt.log1p": 1,
    "pt.expm1": 1,
    "pt.arcsin": 1,
    "pt.arccos": 1,
    "pt.arctan": 1,
    "pt.arcsinh": 1,
    "pt.arccosh": 1,
    "pt.arctanh": 1,
    "pt.polygamma": 1,  # with a constant order
    "pt.arctan2": 2,
    "xlogy0": 2,
    "pt.gammainc": 2,
    "pt.gammaincc": 2,
    "pt.gammaincinv": 2,
    "pt.gammainccinv": 2,
    "pt.ive": 2,
    "pt.kve": 2,
    "pt.jv": 2,
    "pt.owens_t": 2,
    "pt.betainc": 3,
    "pt.betaincinv": 3,
    "pt.hyp2f1": 4,
}
#: Orders of polygamma: the compiler's range (0 to 16) and one beyond it.
POLYGAMMA_ORDERS = (0, 1, 2, 3, 5, 16, 17)


def special_operand(b: Builder, like: Val | None) -> Val:
    """An exact operand for a special function: broadcasting with ``like`` when given; a new
    float32/float64 input, an existing exact value or a special constant."""
    float_dtype = b.choice(["float64", "float32"])
    if like is None:
        return b.operand(
            lambda v: v.known and v.exact,
            lambda: b.new_input(
                float_dtype if b.ints(0, 3) else b.choice(DTYPES), b.draw_shape(2, 3)
            ),
        )
    kind = b.ints(0, 3)
    if kind == 3:
        return b.constant(like.dtype if like.dtype in FLOATS else float_dtype)
    return b.operand(
        lambda v: v.exact and b.broadcasts(like, v),
        lambda: b.partner(like, like.dtype if b.flag() else float_dtype),
    )


def op_special(b: Builder) -> Val:
    fn = b.choice(SPECIAL)
    first = special_operand(b, None)
    args = [first]
    for _ in range(SPECIAL[fn] - 1):
        nxt = special_operand(b, first)
        if not all(b.broadcasts(a, nxt) for a in args):
            raise Skip("special operands do not broadcast")
        args.append(nxt)
    if any(a.dtype == "bool" for a in args) and fn in ("pt.softplus", "pt.sigmoid"):
        raise Skip("softplus/sigmoid of a bool")  # see op_unary
    names = [a.name for a in args]
    if fn == "pt.polygamma":
        names.insert(0, str(b.choice(POLYGAMMA_ORDERS)))
    shape = b.broadcast_shape(*args)
    smooth = tuple(dict.fromkeys(i for a in args for i in a.smooth_in))
    return b.emit(f"{fn}({', '.join(names)})", shape, False, "special", smooth)


# -- linear algebra ------------------------------------------------------------------------------
# Matrices are built from fresh inputs of small dyadic entries (|x| <= 5, no NaN or inf:
# LAPACK's NaN patterns are its own, no oracle) by constructions that bound the condition
# number (about 100 at most): x + c*I with c above every row and column sum of |x|
# (diagonally dominant both ways, so partial pivoting never swaps and LU is unique),
# x @ x.T + n*I (symmetric positive definite), triangles of those. A batch dim makes the op
# Blockwise.

LINALG = (
    "matmul",
    "cholesky",
    "solve",
    "solve_triangular",
    "inv",
    "det",
    "slogdet",
    "lu",
    "lu_factor",
    "lu_solve",
    "qr",
    "eigvalsh",
    "svd",
    "pinv",
    "norm",
    "kron",
    "block_diag",
    "expm",
    "trace",
)


def mT(name: str) -> str:
    return f"pt.swapaxes({name}, -1, -2)"


def well_conditioned(b: Builder, x: Val, kind: str) -> Val:
    """A matrix of ``kind`` (gen, sym, pos, lower, upper) from the input ``x`` (..., m, n)."""
    m, n = x.shape[-2], x.shape[-1]
    c = 5 * max(m, n) + 1  # type: ignore[type-var, operator]
    eye = f"pt.eye({m}, {n}, dtype={x.dtype!r})"
    if kind == "gen":
        expr = f"{x.name} + {c} * {eye}"
    elif kind == "sym":
        expr = f"{x.name} + {mT(x.name)} + {2 * c} * {eye}"
    elif kind == "pos":
        expr = f"{x.name} @ {mT(x.name)} + {n} * {eye}"
    else:
        tri = "pt.tril" if kind == "lower" else "pt.triu"
        # A negative diagonal now and then (still dominant).
        expr = f"{tri}({x.name}) + {b.choice([c, -c])} * {eye}"
    shape = x.shape if kind != "pos" else (*x.shape[:-1], m)
    return b.emit(expr, shape, False, "linalg", (x.name,))


def matrix_input(b: Builder, dtype: str, batch: tuple[int, ...], m: int, n: int) -> Val:
    return b.new_input(dtype, (*batch, m, n), finite=True)


def op_linalg(b: Builder) -> Val:
    if len(b.inputs) >= b.max_inputs:
        raise Skip("no inputs left for a matrix")
    fn = b.choice(LINALG)
    dtype = b.choice(["float64", "float32"])
    batch: tuple[int, ...] = (b.ints(1, 2),) if b.ints(0, 2) == 0 else ()
    n = b.ints(1, 4)
    m = b.ints(1, 4)
    fam = "linalg"

    def square(kind: str) -> Val:
        return well_conditioned(b, matrix_input(b, dtype, batch, n, n), kind)

    def rhs() -> tuple[Val, str]:
        if b.flag() or len(b.inputs) >= b.max_inputs:
            k = b.ints(1, 3)
            val = matrix_input(b, dtype, batch, n, k)
            return val, "b_ndim=2"
        return matrix_input(b, dtype, batch, 1, n), "b_ndim=1"

    def emit(expr: str, shape: tuple[int, ...], *ins: Val) -> Val:
        smooth = tuple(dict.fromkeys(i for v in ins for i in v.smooth_in))
        return b.emit(expr, shape, False, fam, smooth)

    if fn == "matmul":
        x = matrix_input(b, dtype, batch, m, n)
        y = matrix_input(b, b.choice(["float64", "float32"]), (), n, b.ints(1, 3))
        how = "pt.dot" if not batch and b.flag() else "pt.matmul"
        return emit(f"{how}({x.name}, {y.name})", (*batch, m, y.shape[-1]), x, y)
    if fn == "cholesky":
        a = square("pos")
        lower = b.flag()
        return emit(f"ptl.cholesky({a.name}, lower={lower})", a.shape, a)  # type: ignore[arg-type]
    if fn == "solve":
        assume = b.choice(["gen", "sym", "pos", "lower triangular", "upper triangular"])
        kind = assume.split()[0] if "triangular" in assume else assume
        a = square(kind)
        rhs_val, b_ndim = rhs()
        rhs_name = rhs_val.name + ("[..., 0, :]" if b_ndim == "b_ndim=1" else "")
        shape = (*batch, n) if b_ndim == "b_ndim=1" else rhs_val.shape
        extra = f", lower={b.flag()}" if assume in ("sym", "pos") else ""
        return emit(
            f"ptl.solve({a.name}, {rhs_name}, assume_a={assume!r}{extra}, {b_ndim})",
            shape,  # type: ignore[arg-type]
            a,
            rhs_val,
        )
    if fn == "solve_triangular":
        lower = b.flag()
        a = square("lower" if lower else "upper")
        rhs_val, b_ndim = rhs()
        rhs_name = rhs_val.name + ("[..., 0, :]" if b_ndim == "b_ndim=1" else "")
        shape = (*batch, n) if b_ndim == "b_ndim=1" else rhs_val.shape
        trans = b.choice([0, 1, "T", "N"])
        unit = b.ints(0, 3) == 0
        return emit(
            f"ptl.solve_triangular({a.name}, {rhs_name}, lower={lower}, trans={trans!r}, "
            f"unit_diagonal={unit}, {b_ndim})",
            shape,  # type: ignore[arg-type]
            a,
            rhs_val,
        )
    if fn in ("inv", "det", "slogdet", "eigvalsh", "expm", "trace"):
        kind = "sym" if fn == "eigvalsh" else b.choice(["gen", "sym", "pos", "lower", "upper"])
        a = square(kind)
        if fn == "inv":
            return emit(f"ptl.inv({a.name})", a.shape, a)  # type: ignore[arg-type]
        if fn == "det":
            return emit(f"ptl.det({a.name})", batch, a)
        if fn == "slogdet":
            part = b.ints(0, 1)
            return emit(f"ptl.slogdet({a.name})[{part}]", batch, a)
        if fn == "eigvalsh":
            return emit(f"ptl.eigvalsh({a.name}, None, lower={b.flag()})", (*batch, n), a)
        if fn == "trace":
            if batch:
                raise Skip("trace of a batch")
            return emit(f"ptl.trace({a.name})", (), a)
        # expm: a scaled down (its norm below about 2: the scaling-and-squaring stays short
        # and exp(A)'s condition moderate).
        return emit(f"ptl.expm({a.name} * {1 / (8 * n)!r})", a.shape, a)  # type: ignore[arg-type]
    if fn in ("lu", "lu_factor", "lu_solve"):
        a = square("gen")
        if fn == "lu":
            part = b.ints(0, 2)
            p_indices = b.flag()
            if part == 0 and p_indices:
                raise Skip("integer pivot indices: exact, drawn with lu_factor")
            return emit(f"ptl.lu({a.name}, p_indices={p_indices})[{part}]", a.shape, a)  # type: ignore[arg-type]
        if fn == "lu_factor":
            if b.flag():
                return b.emit(f"ptl.lu_factor({a.name})[1]", (*batch, n), True)
            return emit(f"ptl.lu_factor({a.name})[0]", a.shape, a)  # type: ignore[arg-type]
        rhs_val, b_ndim = rhs()
        rhs_name = rhs_val.name + ("[..., 0, :]" if b_ndim == "b_ndim=1" else "")
        shape = (*batch, n) if b_ndim == "b_ndim=1" else rhs_val.shape
        return emit(
            f"ptl.lu_solve(ptl.lu_factor({a.name}), {rhs_name}, trans={b.flag()}, {b_ndim})",
            shape,  # type: ignore[arg-type]
            a,
            rhs_val,
        )
    if fn in ("qr", "svd", "pinv", "norm"):
        a = well_conditioned(b, matrix_input(b, dtype, batch, m, n), "gen")
        k = min(m, n)
        if fn == "qr":
            mode = b.choice(["r", "reduced", "complete"])
            if mode == "r":
                # scipy's mode "r" is the full (m, n) R, as PyTensor's.
                return emit(f"ptl.qr({a.name}, mode='r')", (*batch, m, n), a)
            part = b.ints(0, 1)
            rows = k if mode == "reduced" else m
            shape = (*batch, m, rows) if part == 0 else (*batch, rows, n)
            return emit(f"ptl.qr({a.name}, mode={mode!r})[{part}]", shape, a)
        if fn == "svd":
            return emit(f"ptl.svd({a.name}, compute_uv=False)", (*batch, k), a)
        if fn == "pinv":
            return emit(f"ptl.pinv({a.name})", (*batch, n, m), a)
        nd = len(a.shape)
        if b.flag():
            ord_: Any = b.choice([None, 1, 2, -1, math.inf, -math.inf])
            axis = b.ints(0, nd - 1)
            shape = tuple(s for i, s in enumerate(a.shape) if i != axis)
        else:
            ord_ = b.choice([None, "fro", "nuc", 1, 2, -1, -2, math.inf, -math.inf])
            axis = (nd - 2, nd - 1)
            shape = batch
        text = repr(ord_).replace("inf", "np.inf")
        expr = f"ptl.norm({a.name}, ord={text}, axis={axis!r})"
        if ord_ not in (None, "fro"):
            # Maxima, minima and singular values: not differentiable at ties, which small
            # dyadic entries make common (no gradient drawn of these).
            return b.emit(expr, shape, False, fam)  # type: ignore[arg-type]
        return emit(expr, shape, a)  # type: ignore[arg-type]
    if fn == "kron":
        if batch:
            raise Skip("kron of a batch")
        x = matrix_input(b, dtype, (), m, n)
        y = matrix_input(b, dtype, (), b.ints(1, 3), b.ints(1, 3))
        shape = (m * y.shape[0], n * y.shape[1])  # type: ignore[operator]
        return emit(f"ptl.kron({x.name}, {y.name})", shape, x, y)  # type: ignore[arg-type]
    # block_diag
    if batch:
        raise Skip("block_diag of a batch")
    x = matrix_input(b, dtype, (), m, n)
    y = matrix_input(b, dtype, (), b.ints(1, 3), b.ints(1, 3))
    shape = (m + y.shape[0], n + y.shape[1])  # type: ignore[operator]
    return emit(f"ptl.block_diag({x.name}, {y.name})", shape, x, y)  # type: ignore[arg-type]


# -- Scan ----------------------------------------------------------------------------------------
# Small recurrences over a sequence input (T steps, T in 0..4) with non-sequences: sit_sot
# (cumulative sums, products, maxima; an RNN step), mit_sot (taps -2 and -1) and nit_sot.
# Integer recurrences are exact (wrapping arithmetic, both sides); float ones of add and mul
# round identically in both (the same order), judged at the "scan" tolerance anyway (an RNN's
# tanh and matrix products are not).

SCAN_STEPS = {
    # kind -> (lambda, float only)
    "cumsum": ("lambda s, acc, w: acc * w + s", False),
    "cummax": ("lambda s, acc, w: pt.maximum(acc, s * w)", False),
    "mit_sot": ("lambda s, a2, a1, w: a1 + a2 * w + s", False),
    "nit_sot": ("lambda s, w: s * w + 1", False),
    "rnn": ("lambda s, h, w: pt.tanh(h @ w + s)", True),
}


def op_scan(b: Builder) -> Val:
    if len(b.inputs) + 3 > b.max_inputs + 1:
        raise Skip("no inputs left for a Scan")
    kind = b.choice(SCAN_STEPS)
    step, float_only = SCAN_STEPS[kind]
    dtype = b.choice(["float64", "float32", "int64", "int32"])
    if float_only and dtype not in FLOATS:
        raise Skip("an RNN of integers")
    steps = b.ints(0, 4) if b.ints(0, 4) else 0
    k = b.ints(1, 3)
    seq = b.new_input(dtype, (steps, k), finite=dtype in FLOATS)
    w_shape: tuple[int, ...] = (k, k) if kind == "rnn" else b.choice([(), (k,)])
    w = b.new_input(dtype, w_shape, finite=dtype in FLOATS)
    if kind == "nit_sot":
        outputs_info = "[None]"
        init = None
    elif kind == "mit_sot":
        init = b.new_input(dtype, (2, k), finite=dtype in FLOATS)
        outputs_info = f"[dict(initial={init.name}, taps=[-2, -1])]"
    else:
        init = b.new_input(dtype, (k,), finite=dtype in FLOATS)
        outputs_info = f"[{init.name}]"
    last = b.flag() and steps > 0
    expr = (
        f"pytensor.scan({step}, sequences=[{seq.name}], outputs_info={outputs_info}, "
        f"non_sequences=[{w.name}], return_updates=False)" + ("[-1]" if last else "")
    )
    shape = (k,) if last else (steps, k)
    is_float = dtype in FLOATS
    if is_float:
        b.tame = True
    ins = [seq, w] + ([init] if init is not None else [])
    smooth = tuple(v.name for v in ins) if is_float and kind != "cummax" else ()
    return b.emit(expr, shape, not is_float, "scan" if is_float else None, smooth)


# -- gradients -----------------------------------------------------------------------------------


def op_grad(b: Builder) -> Val:
    """The gradient of the sum of a smooth value (a special function of inputs, a linear
    algebra construction and op, a float Scan) with respect to one of the inputs it is a
    smooth function of: ``pytensor.grad`` builds the derivative graph (Blockwise, ScalarLoop
    derivatives of gammainc and betainc, Scan's backward recurrence)."""
    smooth = lambda v: bool(v.smooth_in) and v.is_float and v.name.startswith("v")
    if not any(smooth(v) for v in b.vals):
        b.choice([op_special, op_linalg, op_scan])(b)  # something to differentiate
    v = b.pick(smooth)
    wrt = b.choice(v.smooth_in)
    x = next(i for i in b.vals if i.name == wrt)
    cost = f"pt.sum({v.name})" if len(v.shape) else v.name
    if x.dtype != v.dtype:
        raise Skip("a gradient across dtypes")
    try:
        return b.emit(f"pytensor.grad({cost}, {wrt})", x.shape, False, "grad")
    except Skip:
        raise
    except Exception as exc:  # no gradient: NullType, disconnected, not implemented
        raise Skip(f"no gradient: {exc}") from exc


#: Special functions, linear algebra, Scan and gradients: one entry of the menu (``OPS``), so
#: that the CI budget still reaches every elementwise and structural family; the runner by hand
#: (``benchmarks/random_graphs.py --extended-weight``) draws them more often.
EXTENDED: tuple[Callable[[Builder], Val], ...] = (
    op_special,
    op_special,
    op_linalg,
    op_scan,
    op_grad,
)


def op_extended(b: Builder) -> Val:
    return b.choice(EXTENDED)(b)  # type: ignore[no-any-return]


#: The menu; hypothesis favours the first entries (zero is its simplest choice), so the
#: structural ops come first and elementwise ones recur.
OPS: tuple[Callable[[Builder], Val], ...] = (
    op_reduce,
    op_binary,
    op_subtensor,
    op_pad,
    op_scatter,
    op_unary,
    op_sort,
    op_reshape,
    op_binary,
    op_cast,
    op_concat,
    op_split,
    op_matmul,
    op_dimshuffle,
    op_cumsum,
    op_softmax,
    op_switch,
    op_clip,
    op_binary,
    op_unary,
    op_extended,
)


@st.composite
def programs(draw: Callable[..., Any], max_ops: int = 6, extended_weight: int = 1) -> Program:
    """A random program: 1-2 inputs, then up to ``max_ops`` operations; its outputs are the
    last value and maybe some others. ``extended_weight``: how many entries of the menu
    draw from ``EXTENDED``."""
    menu = OPS + (op_extended,) * (extended_weight - 1)
    b = Builder(draw)
    for _ in range(draw(st.integers(1, 2))):
        b.new_input(b.choice(DTYPES), b.draw_shape())
    n_ops = draw(st.integers(1, max_ops))
    done = attempts = 0
    while done < n_ops and attempts < 4 * n_ops:
        attempts += 1
        op = draw(st.sampled_from(menu))
        try:
            op(b)
        except Skip:
            continue
        done += 1
    # The outputs: every value no later statement reads (so that nothing drawn is dead), or
    # the last input when no operation applied.
    produced = [v for v in b.vals if v.name.startswith("v")]
    text = "\n".join(b.lines)
    leaves = [v.name for v in produced if len(re.findall(rf"\b{v.name}\b", text)) == 1]
    outputs = leaves or [b.vals[-1].name]
    families = {v.name: v.family for v in b.vals if v.name in outputs and v.family}
    return Program(b.inputs, b.lines, outputs, b.tame, families)


# -- feeds -----------------------------------------------------------------------------------


def elements(dtype: str, tame: bool) -> st.SearchStrategy[Any]:
    """Values of ``dtype``: mostly small ones (ties, exact sums), and the special ones."""
    if dtype == "bool":
        return st.booleans()
    if dtype in INTS:
        info = np.iinfo(dtype)
        small = st.integers(max(info.min, -8), min(info.max, 8))
        if tame:
            return small
        return st.one_of(
            small,
            small,
            st.sampled_from(special_values(dtype)),
            st.integers(int(info.min), int(info.max)),
        )
    width = {"float16": 16, "float32": 32, "float64": 64}[dtype]
    # k/8 with |k| <= 40: a few significant bits, so sums and products of a few of them are
    # exact in every float dtype and every order.
    dyadic = st.integers(-40, 40).map(lambda k: k / 8)
    nonfinite = st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 0.0])
    if tame:
        return st.one_of(dyadic, dyadic, dyadic, nonfinite)
    extremes = st.sampled_from(special_values(dtype))
    return st.one_of(
        dyadic,
        dyadic,
        nonfinite,
        extremes,
        st.floats(width=width, allow_nan=False, allow_infinity=False),
    )


def feeds_for(draw: Callable[..., Any], program: Program) -> list[np.ndarray]:
    """One array per program input."""
    feeds = []
    for spec in program.inputs:
        if spec.bounds is not None:
            elems: st.SearchStrategy[Any] = st.integers(*spec.bounds)
        elif spec.finite and spec.dtype in FLOATS:
            elems = st.integers(-40, 40).map(lambda k: k / 8)
        else:
            elems = elements(spec.dtype, program.tame)
        feeds.append(draw(hnp.arrays(np.dtype(spec.dtype), spec.shape, elements=elems)))
    return feeds


@st.composite
def graphs_and_feeds(
    draw: Callable[..., Any], max_ops: int = 6, extended_weight: int = 1
) -> tuple[Program, list[Any]]:
    """A program and inputs for it."""
    program = draw(programs(max_ops, extended_weight))
    return program, feeds_for(draw, program)


def feeds_source(feeds: list[np.ndarray]) -> str:
    """Python text recreating the feeds exactly (NaN, ±inf and -0.0 included)."""
    return "[" + ", ".join(literal(f, str(f.dtype)) for f in feeds) + "]"


def program_from_source(
    source: str, feeds: list[np.ndarray], families: dict[str, str] | None = None
) -> Program:
    """The program printed by a failure (``Program.source``), with its inputs' shapes and
    dtypes taken from the feeds and its outputs' tolerance families (``FAMILIES``) as given:
    for regression tests."""
    lines = [line.strip() for line in source.strip().splitlines() if line.strip()]
    *body, last = lines
    assert last.startswith("outputs = [") and last.endswith("]"), last
    outputs = [name.strip() for name in last[len("outputs = [") : -1].split(",")]
    names = [line.split(" = ", 1)[0] for line in body if " = pt.tensor(" in line]
    inputs = [InputSpec(name, str(f.dtype), f.shape) for name, f in zip(names, feeds, strict=True)]
    return Program(inputs, body, outputs, families=dict(families or {}))
