"""Shared pieces of the elementwise lowering tests: PyTensor inputs shaped like their arrays,
a stricter check (signed zeros), and hypothesis strategies for broadcastable arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytensor.tensor as pt
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from compiler.verify import run_pytensor
from ir.interpreter import run_module
from tests.helpers import assert_matches_pytensor, compile_checked, fgraph_of, ort_outputs

INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
SIGNED = ("int8", "int16", "int32", "int64")
FLOATS = ("float16", "float32", "float64")
ALL_DTYPES = ("bool", *INTS, *FLOATS)

#: Values where float functions are most often wrong.
SPECIAL_FLOATS = (np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5)


def var(name: str, array: np.ndarray):
    """A PyTensor tensor for ``array``: its dtype and rank, with size-1 dims static (PyTensor
    refuses to broadcast a dim at run time that it did not know was 1)."""
    array = np.asarray(array)
    shape = tuple(1 if d == 1 else None for d in array.shape)
    return pt.tensor(name, dtype=str(array.dtype), shape=shape)


def check(inputs: Sequence, outputs: Sequence, feeds: Sequence[np.ndarray], *,
          signed_zeros: bool = False) -> None:  # fmt: skip
    """ONNX Runtime and the interpreter against PyTensor (FAST_COMPILE) on ``feeds``; with
    ``signed_zeros``, also the sign of every float zero PyTensor returns."""
    fgraph = fgraph_of(inputs, outputs)
    assert_matches_pytensor(fgraph, list(feeds))
    if signed_zeros:
        assert_signed_zeros_match(fgraph, feeds)


def assert_signed_zeros_match(fgraph, feeds: Sequence[np.ndarray]) -> None:
    """Where PyTensor returns ±0.0, ONNX Runtime (at both optimization levels) and the
    interpreter return the same zero (the tolerance check compares -0.0 and +0.0 as equal)."""
    result = compile_checked(fgraph)
    by_name = result.input_feeds(list(feeds), {})
    ordered = [by_name[n] for n in result.input_names]
    reference = run_pytensor(fgraph, result.input_vars, ordered, mode="FAST_COMPILE")
    ours = {f"ONNX Runtime ({level})": outs for level, outs in ort_outputs(result, ordered).items()}
    ours["interpreter"] = run_module(result.module, ordered)
    for who, outs in ours.items():
        for name, got, want in zip(result.output_names, outs, reference, strict=True):
            got, want = np.asarray(got), np.asarray(want)
            if want.dtype.kind != "f" or got.shape != want.shape:
                continue
            zero = want == 0
            wrong = zero & (np.signbit(got) != np.signbit(want))
            assert not wrong.any(), (
                f"{who}: {name}: sign of zero differs from PyTensor at {np.argwhere(wrong)[:5]}: "
                f"got {got[wrong][:5]}, PyTensor {want[wrong][:5]}"
            )


# -- hypothesis ---------------------------------------------------------------------------------


def broadcast_shapes(num: int, *, max_dims: int = 4, max_side: int = 3):
    """``num`` mutually broadcastable shapes (rank 0 to ``max_dims``, sizes 0 to ``max_side``,
    some dims 1)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num, min_dims=0, max_dims=max_dims, min_side=0, max_side=max_side
    ).map(lambda r: r.input_shapes)


def float_elements(dtype: str, *, special: bool = True, min_value=None, max_value=None,
                   width_limit: float | None = None):  # fmt: skip
    """Floats of ``dtype``: ordinary values, with NaN, ±inf and ±0 mixed in when ``special``."""
    width = {"float16": 16, "float32": 32, "float64": 64}[dtype]
    bounded = min_value is not None or max_value is not None
    regular = st.floats(
        min_value=min_value,
        max_value=max_value,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=True,
        width=width,
    )
    if width_limit is not None:
        regular = regular.filter(lambda v: abs(v) <= width_limit)
    if not special:
        return regular
    specials = [0.0, -0.0] if bounded else [np.nan, np.inf, -np.inf, 0.0, -0.0]
    if bounded:
        specials = [v for v in specials if (min_value is None or v >= min_value)
                    and (max_value is None or v <= max_value)]  # fmt: skip
    return st.one_of(regular, st.sampled_from(specials)) if specials else regular


def int_elements(dtype: str, *, min_value=None, max_value=None):
    info = np.iinfo(dtype)
    lo = info.min if min_value is None else max(info.min, min_value)
    hi = info.max if max_value is None else min(info.max, max_value)
    extremes = [v for v in (info.min, info.max, 0, 1, -1) if lo <= v <= hi]
    return st.one_of(st.integers(lo, hi), st.sampled_from(extremes))


def elements(dtype: str, **kwargs):
    if dtype == "bool":
        return st.booleans()
    if dtype in FLOATS:
        return float_elements(dtype, **kwargs)
    return int_elements(dtype, **{k: v for k, v in kwargs.items()
                                  if k in ("min_value", "max_value")})  # fmt: skip


def array(dtype: str, shape, **kwargs):
    return hnp.arrays(np.dtype(dtype), shape, elements=elements(dtype, **kwargs))
