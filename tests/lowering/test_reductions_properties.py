"""Property-based tests of reductions, arg-reductions, scans, sorting and the softmax family:
random shapes (0-d, size-0 and size-1 dims included), axes and values (ties, NaN, ±inf, ±0),
each compiled and checked against PyTensor in ONNX Runtime and the IR interpreter."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pytensor.tensor.special import log_softmax, logsumexp, softmax

from tests.lowering.test_reductions import C_LINKER, check

EXAMPLES = settings(max_examples=12, deadline=None)

#: Floats whose sums and short products are exact in any order (so any summation order agrees
#: with PyTensor's to the bit), with the special values mixed in where asked.
EXACT = [-2.0, -1.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 1.5, 2.0]
SPECIAL = [np.nan, np.inf, -np.inf]


def arrays(draw, dtypes, *, special: bool = False, min_dims: int = 0, min_side: int = 0):
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=min_side, max_side=3))
    if dtype == "bool":
        elements = st.booleans()
    elif np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        elements = st.one_of(
            st.integers(-3, 3).filter(lambda v: v >= info.min),
            st.sampled_from([info.min, info.max]),
        )
    else:
        elements = st.sampled_from(EXACT + (SPECIAL if special else []))
    return draw(hnp.arrays(np.dtype(dtype), shape, elements=elements))


def axes(draw, rank: int, *, allow_none: bool = True):
    """None, an int (maybe negative) or a tuple of distinct axes (maybe empty, any order)."""
    choices = [st.just(())]
    if rank:
        choices.append(st.lists(st.integers(0, rank - 1), unique=True, max_size=rank).map(tuple))
        choices.append(st.integers(-rank, rank - 1))
    if allow_none:
        choices.append(st.none())
    return draw(st.one_of(*choices))


def reduced_size(shape, axis) -> int:
    if axis is None:
        return int(np.prod(shape))
    axis = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axis]))


@EXAMPLES
@given(st.data())
def test_careduce_ops(data):
    x_data = arrays(
        data.draw, ["float32", "float64", "int8", "uint8", "int64", "bool"], special=True
    )
    axis = axes(data.draw, x_data.ndim)
    keepdims = data.draw(st.booleans())
    x = pt.tensor("x", dtype=str(x_data.dtype), shape=(None,) * x_data.ndim)
    outs = [
        x.sum(axis=axis, keepdims=keepdims),
        x.prod(axis=axis),
        x.all(axis=axis),
        x.any(axis=axis, keepdims=keepdims),
        pt.max(x, axis=axis, initial=-np.inf),
        pt.min(x, axis=axis, keepdims=keepdims, initial=np.inf),
    ]
    if reduced_size(x_data.shape, axis):  # PyTensor raises for an empty max without initial
        outs += [x.max(axis=axis), x.min(axis=axis, keepdims=keepdims)]
    check([x], outs, [x_data])


@EXAMPLES
@given(st.data())
def test_argmax_and_argmin(data):
    x_data = arrays(data.draw, ["float32", "float16", "int8", "uint64", "bool"], special=True)
    axis = axes(data.draw, x_data.ndim)
    assume(reduced_size(x_data.shape, axis) > 0 or (x_data.size == 0 and axis == ()))
    keepdims = data.draw(st.booleans())
    x = pt.tensor("x", dtype=str(x_data.dtype), shape=(None,) * x_data.ndim)
    check([x], [pt.argmax(x, axis=axis, keepdims=keepdims), pt.argmin(x, axis=axis)], [x_data])


@EXAMPLES
@given(st.data())
def test_sort_argsort_cumsum_cumprod(data):
    x_data = arrays(
        data.draw,
        ["float32", "float64", "int8", "int64", "uint16", "bool"],
        special=True,
        min_dims=1,
    )
    axis = data.draw(st.one_of(st.none(), st.integers(-x_data.ndim, x_data.ndim - 1)))
    x = pt.tensor("x", dtype=str(x_data.dtype), shape=x_data.shape)  # static: cumprod unrolls
    outs = [
        pt.sort(x, axis=axis),
        pt.argsort(x, axis=axis, stable=True),
        pt.cumsum(x, axis=axis),
        pt.cumprod(x, axis=axis),
    ]
    # PyTensor's C implementation keeps the declared dtype of the scans (its Python one does
    # not for narrow integers and bool).
    check([x], outs, [x_data], mode=C_LINKER if x_data.dtype.itemsize < 8 else None)


@EXAMPLES
@given(st.data())
def test_softmax_family(data):
    dtype = data.draw(st.sampled_from(["float32", "float64"]))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    x_data = data.draw(
        hnp.arrays(np.dtype(dtype), shape, elements=st.floats(-30, 30, width=int(dtype[-2:])))
    )
    axis = axes(data.draw, x_data.ndim)
    x = pt.tensor("x", dtype=dtype, shape=(None,) * x_data.ndim)
    outs = [
        softmax(x, axis=axis),
        log_softmax(x, axis=axis),
        logsumexp(x, axis=axis, keepdims=data.draw(st.booleans())),
    ]
    check([x], outs, [x_data])
