"""`lower-dimshuffle`: every `tir.dimshuffle` becomes squeeze → transpose → unsqueeze, each op
only when it is needed (golden texts, plus the interpreter's numbers before and after).

The lowered ops are also compared with ``_reference``, DimShuffle computed element by element
from its definition, so that a bug shared by the interpreter and the pass cannot hide.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from compiler.testing import assert_same_bits, run_passes
from ir.interpreter import run_module
from ir.parser import parse_module
from ir.printer import print_module
from tests.passes.support import SPECIAL_F32, assert_golden, assert_numbers, ir, run_stats

PASS = "lower-dimshuffle"


def _reference(x: np.ndarray, order: Sequence[int | str]) -> np.ndarray:
    """DimShuffle by its definition: out[i0, i1, ...] = x[j] with j[order[k]] = ik."""
    out_shape = tuple(1 if a == "x" else x.shape[a] for a in order)  # type: ignore[index]
    out = np.empty(out_shape, dtype=x.dtype)
    for index in np.ndindex(*out_shape):
        source = [0] * x.ndim
        for i, axis in zip(index, order, strict=True):
            if axis != "x":
                source[axis] = i  # type: ignore[index]
        out[index] = x[tuple(source)]
    return out


def _check_numbers(source: str, order: Sequence[int | str], x: np.ndarray) -> None:
    """``source`` is one dimshuffle of ``x`` by ``order``; its lowering computes it exactly."""
    assert_numbers(source, [PASS], [x])
    (result,) = run_module(parse_module(run_passes(ir(source), PASS)), [x])
    assert_same_bits(_reference(x, order), result)


def _data(*shape: int) -> np.ndarray:
    """Distinct values (a wrong axis order shows), with -0.0 and NaN among them."""
    size = int(np.prod(shape, dtype=np.int64))
    data = np.arange(1, size + 1, dtype=np.float32)
    if size >= 2:
        data[0], data[-1] = -0.0, np.nan
    return data.reshape(shape)


# -- identity ----------------------------------------------------------------------------------

IDENTITY = """
    func @main(%x: f32[2, 3]) {
      %0 = tir.dimshuffle %x {order = [0, 1]} : f32[2, 3]
      %1 = tir.exp %0 : f32[2, 3]
      return %1 : "y"
    }
"""


def test_identity_is_removed():
    assert_golden(
        IDENTITY,
        PASS,
        """
        func @main(%x: f32[2, 3]) {
          %0 = tir.exp %x : f32[2, 3]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(IDENTITY, [PASS], [_data(2, 3)])


SCALAR_IDENTITY = """
    func @main(%x: f32[]) {
      %0 = tir.dimshuffle %x {order = []} : f32[]
      %1 = tir.neg %0 : f32[]
      return %1 : "y"
    }
"""


def test_identity_of_scalar_is_removed():
    assert_golden(
        SCALAR_IDENTITY,
        PASS,
        """
        func @main(%x: f32[]) {
          %0 = tir.neg %x : f32[]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(SCALAR_IDENTITY, [PASS], [np.float32(-0.0)])


def test_identity_returned_directly():
    assert_golden(
        """
        func @main(%x: f32[2, 3]) {
          %0 = tir.dimshuffle %x {order = [0, 1]} : f32[2, 3]
          return %0 : "y"
        }
        """,
        PASS,
        """
        func @main(%x: f32[2, 3]) {
          return %x : "y"
        }
        """,
    )


# -- transpose ---------------------------------------------------------------------------------

TRANSPOSE_3D = """
    func @main(%x: f32[2, 3, 4]) {
      %0 = tir.dimshuffle %x {order = [2, 0, 1]} : f32[4, 2, 3]
      return %0 : "y"
    }
"""


def test_transpose_pure():
    assert_golden(
        TRANSPOSE_3D,
        PASS,
        """
        func @main(%x: f32[2, 3, 4]) {
          %0 = tir.transpose %x {perm = [2, 0, 1]} : f32[4, 2, 3]
          return %0 : "y"
        }
        """,
    )
    _check_numbers(TRANSPOSE_3D, [2, 0, 1], _data(2, 3, 4))


TRANSPOSE_SYMBOLIC = """
    func @main(%x: i64[batch, 3]) {
      %0 = tir.dimshuffle %x {order = [1, 0]} : i64[3, batch]
      return %0 : "y"
    }
"""


def test_transpose_symbolic_dims():
    assert_golden(
        TRANSPOSE_SYMBOLIC,
        PASS,
        """
        func @main(%x: i64[batch, 3]) {
          %0 = tir.transpose %x {perm = [1, 0]} : i64[3, batch]
          return %0 : "y"
        }
        """,
    )
    assert_numbers(TRANSPOSE_SYMBOLIC, [PASS], [np.arange(15, dtype=np.int64).reshape(5, 3)])


# -- expand ------------------------------------------------------------------------------------

EXPAND_SCALAR = """
    func @main(%x: f32[]) {
      %0 = tir.dimshuffle %x {order = ["x"]} : f32[1]
      return %0 : "y"
    }
"""


def test_expand_scalar_to_vector():
    assert_golden(
        EXPAND_SCALAR,
        PASS,
        """
        func @main(%x: f32[]) {
          %0 = tir.unsqueeze %x {axes = [0]} : f32[1]
          return %0 : "y"
        }
        """,
    )
    _check_numbers(EXPAND_SCALAR, ["x"], np.array(np.nan, dtype=np.float32))


EXPAND_SCALAR_TWICE = """
    func @main(%x: i8[]) {
      %0 = tir.dimshuffle %x {order = ["x", "x"]} : i8[1, 1]
      return %0 : "y"
    }
"""


def test_expand_scalar_to_matrix():
    assert_golden(
        EXPAND_SCALAR_TWICE,
        PASS,
        """
        func @main(%x: i8[]) {
          %0 = tir.unsqueeze %x {axes = [0, 1]} : i8[1, 1]
          return %0 : "y"
        }
        """,
    )
    _check_numbers(EXPAND_SCALAR_TWICE, ["x", "x"], np.array(-128, dtype=np.int8))


def test_expand_constant_is_lowered_not_folded():
    assert_golden(
        """
        func @main(%x: f32[batch, 3]) {
          %0 = tir.constant dense<2> : i8[]
          %1 = tir.dimshuffle %0 {order = ["x", "x"]} : i8[1, 1]
          %2 = tir.mul %x, %1 : f32[batch, 3]
          return %2 : "y"
        }
        """,
        PASS,
        """
        func @main(%x: f32[batch, 3]) {
          %0 = tir.constant dense<2> : i8[]
          %1 = tir.unsqueeze %0 {axes = [0, 1]} : i8[1, 1]
          %2 = tir.mul %x, %1 : f32[batch, 3]
          return %2 : "y"
        }
        """,
    )


EXPAND_FRONT_AND_BACK = """
    func @main(%x: f32[3]) {
      %0 = tir.dimshuffle %x {order = ["x", 0, "x"]} : f32[1, 3, 1]
      return %0 : "y"
    }
"""


def test_expand_around_vector():
    assert_golden(
        EXPAND_FRONT_AND_BACK,
        PASS,
        """
        func @main(%x: f32[3]) {
          %0 = tir.unsqueeze %x {axes = [0, 2]} : f32[1, 3, 1]
          return %0 : "y"
        }
        """,
    )
    _check_numbers(EXPAND_FRONT_AND_BACK, ["x", 0, "x"], _f32_3())


def _f32_3() -> np.ndarray:
    return np.array([-0.0, np.nan, 2.5], dtype=np.float32)


# -- drop --------------------------------------------------------------------------------------

DROP = """
    func @main(%x: f32[1, 3, 1]) {
      %0 = tir.dimshuffle %x {order = [1]} : f32[3]
      return %0 : "y"
    }
"""


def test_drop_size_one_axes():
    assert_golden(
        DROP,
        PASS,
        """
        func @main(%x: f32[1, 3, 1]) {
          %0 = tir.squeeze %x {axes = [0, 2]} : f32[3]
          return %0 : "y"
        }
        """,
    )
    _check_numbers(DROP, [1], _f32_3().reshape(1, 3, 1))


def test_drop_interpreter_evaluates_dimshuffle():
    x = _f32_3().reshape(1, 3, 1)
    (result,) = run_module(parse_module(ir(DROP)), [x])
    assert_same_bits(_reference(x, [1]), result)


DROP_ALL = """
    func @main(%x: u8[1, 1]) {
      %0 = tir.dimshuffle %x {order = []} : u8[]
      return %0 : "y"
    }
"""


def test_drop_to_scalar():
    assert_golden(
        DROP_ALL,
        PASS,
        """
        func @main(%x: u8[1, 1]) {
          %0 = tir.squeeze %x {axes = [0, 1]} : u8[]
          return %0 : "y"
        }
        """,
    )
    _check_numbers(DROP_ALL, [], np.array([[255]], dtype=np.uint8))


# -- combinations ------------------------------------------------------------------------------

DROP_TRANSPOSE_EXPAND = """
    func @main(%x: f32[1, 3, 4]) {
      %0 = tir.dimshuffle %x {order = [2, "x", 1]} : f32[4, 1, 3]
      return %0 : "y"
    }
"""


def test_drop_transpose_expand_together():
    assert_golden(
        DROP_TRANSPOSE_EXPAND,
        PASS,
        """
        func @main(%x: f32[1, 3, 4]) {
          %0 = tir.squeeze %x {axes = [0]} : f32[3, 4]
          %1 = tir.transpose %0 {perm = [1, 0]} : f32[4, 3]
          %2 = tir.unsqueeze %1 {axes = [1]} : f32[4, 1, 3]
          return %2 : "y"
        }
        """,
    )
    _check_numbers(DROP_TRANSPOSE_EXPAND, [2, "x", 1], _data(1, 3, 4))


TRANSPOSE_EXPAND = """
    func @main(%x: f32[2, 3]) {
      %0 = tir.dimshuffle %x {order = [1, "x", 0]} : f32[3, 1, 2]
      %1 = tir.abs %0 : f32[3, 1, 2]
      return %1 : "y"
    }
"""


def test_transpose_expand_pytensor_example():
    """`x.dimshuffle(1, 'x', 0)` on a matrix."""
    assert_golden(
        TRANSPOSE_EXPAND,
        PASS,
        """
        func @main(%x: f32[2, 3]) {
          %0 = tir.transpose %x {perm = [1, 0]} : f32[3, 2]
          %1 = tir.unsqueeze %0 {axes = [1]} : f32[3, 1, 2]
          %2 = tir.abs %1 : f32[3, 1, 2]
          return %2 : "y"
        }
        """,
    )
    assert_numbers(TRANSPOSE_EXPAND, [PASS], [_data(2, 3)])


DROP_EXPAND_SYMBOLIC = """
    func @main(%x: f32[1, n]) {
      %0 = tir.dimshuffle %x {order = ["x", 1, "x"]} : f32[1, n, 1]
      return %0 : "y"
    }
"""


def test_drop_expand_symbolic_dims():
    assert_golden(
        DROP_EXPAND_SYMBOLIC,
        PASS,
        """
        func @main(%x: f32[1, n]) {
          %0 = tir.squeeze %x {axes = [0]} : f32[n]
          %1 = tir.unsqueeze %0 {axes = [0, 2]} : f32[1, n, 1]
          return %1 : "y"
        }
        """,
    )
    _check_numbers(DROP_EXPAND_SYMBOLIC, ["x", 1, "x"], SPECIAL_F32.reshape(1, -1))


def test_drop_keeps_later_size_one_axis():
    """Only the missing size-1 axes are squeezed; a kept size-1 axis moves like the others."""
    source = """
        func @main(%x: f32[1, 2, 1]) {
          %0 = tir.dimshuffle %x {order = [2, 1]} : f32[1, 2]
          return %0 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[1, 2, 1]) {
          %0 = tir.squeeze %x {axes = [0]} : f32[2, 1]
          %1 = tir.transpose %0 {perm = [1, 0]} : f32[1, 2]
          return %1 : "y"
        }
        """,
    )
    _check_numbers(source, [2, 1], _data(1, 2, 1))


def test_chain_of_dimshuffles_with_stats():
    source = """
        func @main(%x: f32[2, 3]) {
          %0 = tir.dimshuffle %x {order = [1, 0]} : f32[3, 2]
          %1 = tir.dimshuffle %0 {order = ["x", 0, 1]} : f32[1, 3, 2]
          return %1 : "y"
        }
    """
    assert_golden(
        source,
        PASS,
        """
        func @main(%x: f32[2, 3]) {
          %0 = tir.transpose %x {perm = [1, 0]} : f32[3, 2]
          %1 = tir.unsqueeze %0 {axes = [0]} : f32[1, 3, 2]
          return %1 : "y"
        }
        """,
    )
    (stats,) = run_stats(source, PASS)
    assert stats.changed
    assert stats.counters["lower_dimshuffle"] == 2
    assert (stats.ops_before, stats.ops_after) == (2, 2)


def test_nothing_to_lower_reports_no_change():
    source = ir(
        """
        func @main(%x: f32[2, 3]) {
          %0 = tir.transpose %x {perm = [1, 0]} : f32[3, 2]
          return %0 : "y"
        }
        """
    )
    assert run_passes(source, PASS) == source
    (stats,) = run_stats(source, PASS)
    assert not stats.changed


# -- random orders -----------------------------------------------------------------------------


@st.composite
def dimshuffles(draw: st.DrawFn) -> tuple[list[int], list[int | str]]:
    """A shape of rank ≤ 4 (with size-1 dims) and a valid DimShuffle order for it."""
    rank = draw(st.integers(0, 4))
    shape = [draw(st.sampled_from([1, 1, 2, 3])) for _ in range(rank)]
    # Axes of size 1 may be dropped; every other axis must be kept.
    kept = [a for a in range(rank) if shape[a] != 1 or draw(st.booleans())]
    order: list[int | str] = list(draw(st.permutations(kept)))
    for _ in range(draw(st.integers(0, 3))):
        order.insert(draw(st.integers(0, len(order))), "x")
    return shape, order


def _dims(shape: list[int]) -> str:
    return ", ".join(str(d) for d in shape)


@given(dimshuffles())
def test_random_dimshuffle_orders_lower_exactly(case: tuple[list[int], list[int | str]]):
    shape, order = case
    out_shape = [1 if a == "x" else shape[a] for a in order]  # type: ignore[index]
    order_text = ", ".join('"x"' if a == "x" else str(a) for a in order)
    source = f"""
        func @main(%x: f32[{_dims(shape)}]) {{
          %0 = tir.dimshuffle %x {{order = [{order_text}]}} : f32[{_dims(out_shape)}]
          return %0 : "y"
        }}
    """
    lowered = run_passes(ir(source), PASS)
    assert "tir.dimshuffle" not in lowered
    names = [line.split()[2] for line in lowered.splitlines()[1:-2]]
    # At most one of each, in the order squeeze → transpose → unsqueeze.
    assert names == sorted(
        names, key=["tir.squeeze", "tir.transpose", "tir.unsqueeze"].index
    ) and len(set(names)) == len(names)
    _check_numbers(source, order, _data(*shape))


def test_lowered_text_reads_back():
    """The lowered text reads back to the same text (the attributes print canonically)."""
    lowered = run_passes(ir(DROP_TRANSPOSE_EXPAND), PASS)
    assert print_module(parse_module(lowered)) == lowered
