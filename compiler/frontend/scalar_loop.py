"""Frontend rule: PyTensor's ``ScalarLoop`` (inside Elemwise or Composite) → one ``tir.loop``
over whole tensors in which every element runs its own loop.

PyTensor builds the gradients of gammainc/gammaincc, betainc and hyp2f1 from ScalarLoop: a
scalar inner graph iterated ``n_steps`` times per element, optionally stopped early per
element by an ``until`` output. Elemwise broadcasts ``n_steps``, the initial states and the
constants, so each element can run a different number of steps.

The decomposition carries the states broadcast to the Elemwise's output shape plus a per-element
``done`` mask. Each iteration computes the inner graph on every element and keeps the new value
only where the element is still running (``tir.where``: an exact selection); the loop stops
when every element is done or ``n_steps`` is reached. An element's value is therefore the one
PyTensor's per-element loop (``ScalarLoop.perform``) gives, bit for bit, given the same inner
arithmetic.

Semantics matched (``ScalarLoop.perform``):

- no ``until``: the state after ``n_steps`` steps (``n_steps <= 0``: the initial state; PyTensor's
  ``perform`` raises on a negative count, its C code runs no step, as here);
- with ``until``: ``for i in range(n_steps): *state, until = f(*state); if until: break``; the
  last output is ``until`` (False when no step ran).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pytensor.scalar.loop import ScalarLoop

from compiler.frontend.elemwise import import_scalar, import_scalar_graph
from compiler.frontend.importer import Importer
from ir import ops
from ir.core import Block, Value, Yield
from ir.types import UNKNOWN, TensorType

I64 = "int64"
BOOL_SCALAR = TensorType("bool", ())


def _broadcast_all(imp: Importer, x: Value, others: Sequence[Value]) -> Value:
    """``x`` broadcast against every value of ``others`` (its values and dtype; an exact copy)."""
    for other in others:
        if other is not x:
            x = imp.emit(ops.Second, [other, x])
    return x


def _like(imp: Importer, value: Value, arg: Value) -> Value:
    """``value`` with the shape of the carried argument ``arg`` (an update that does not depend
    on the state, a constant, say, has the shape of what it reads only)."""
    if value.type.shape == arg.type.shape and UNKNOWN not in value.type.shape:
        return value
    return imp.emit(ops.Second, [arg, value])


def _any(imp: Importer, mask: Value) -> Value:
    """Logical or of all elements of a bool tensor (False when it is empty)."""
    return imp.emit(ops.ReduceAny, [mask], {"axes": list(range(mask.rank)), "keepdims": False})


@import_scalar.register(ScalarLoop)
def import_scalar_loop(
    sop: ScalarLoop, inputs: Sequence[Value], out_dtypes: Sequence[str], imp: Importer
) -> list[Value]:
    """``n_steps, *init, *constant`` → the final states (and ``until`` for a while-loop), one
    tir.loop; see the module docstring. A scalar ``n_steps`` without ``until`` needs no mask:
    the loop's trip count is ``n_steps`` itself."""
    n_steps, *rest = inputs
    n_update = len(sop.outputs) - (1 if sop.is_while else 0)
    inits, constants = list(rest[:n_update]), list(rest[n_update:])
    n = imp.cast(n_steps, I64)
    if n.rank and all(d == 1 for d in n.shape):  # one count for all (Elemwise adds 1-dims)
        n = imp.emit(ops.Squeeze, [n], {"axes": list(range(n.rank))})
    # One value of the output's shape; each state is broadcast against it (one op each).
    shape_of = _broadcast_all(imp, imp.constant(np.asarray(False)), inputs)
    states = [imp.emit(ops.Second, [shape_of, v]) for v in inits]
    if not sop.is_while and n.rank == 0:
        return _plain_loop(sop, imp, n, states, constants)
    return _masked_loop(sop, imp, n, shape_of, states, constants)


def _plain_loop(
    sop: ScalarLoop, imp: Importer, n: Value, states: list[Value], constants: list[Value]
) -> list[Value]:
    """Every element runs the same ``n`` steps (a negative ``n`` runs none, as ONNX Loop)."""
    body = Block(args=[Value(TensorType(I64, ())), Value(BOOL_SCALAR), *map(_arg, states)])
    cond, carried = body.args[1], body.args[2:]
    with imp.building(body):
        new = import_scalar_graph(sop.fgraph, [*carried, *constants], imp)
        body.append(Yield([cond, *(_like(imp, v, a) for v, a in zip(new, carried, strict=True))]))
    true = imp.constant(np.asarray(True))
    loop = imp.emit_op(ops.Loop, [n, true, *states], regions=[body])
    return list(loop.results)


def _masked_loop(
    sop: ScalarLoop,
    imp: Importer,
    n: Value,
    shape_of: Value,
    states: list[Value],
    constants: list[Value],
) -> list[Value]:
    """Each element runs until its own ``n`` steps are done or its ``until`` is true: the
    states are frozen (``where``) where an element is done; the loop runs while any element
    is not done (at most ``n`` times when ``n`` is a scalar)."""
    one = imp.constant(np.asarray(1, dtype=I64))
    zero = imp.constant(np.asarray(0, dtype=I64))
    done0 = imp.emit(ops.Second, [shape_of, imp.emit(ops.Le, [n, zero])])
    carried_inits = list(states)
    if sop.is_while:
        carried_inits.append(shape_of)  # until: False
    carried_inits.append(done0)
    body = Block(args=[Value(TensorType(I64, ())), Value(BOOL_SCALAR), *map(_arg, carried_inits)])
    i, carried = body.args[0], body.args[2:]
    state_args, done = carried[: len(states)], carried[-1]
    with imp.building(body):
        new = import_scalar_graph(sop.fgraph, [*state_args, *constants], imp)
        active = imp.emit(ops.Invert, [done])
        nxt = [imp.emit(ops.Where, [active, v, a]) for v, a in zip(new, state_args, strict=False)]
        # The step count is reached after this step where i + 1 >= n.
        finished = imp.emit(ops.Ge, [imp.emit(ops.Add, [i, one]), n])
        if sop.is_while:
            until_arg, until_new = carried[len(states)], new[-1]
            nxt.append(imp.emit(ops.Where, [active, until_new, until_arg]))
            stopped = imp.emit(ops.BitwiseAnd, [active, until_new])
            finished = imp.emit(ops.BitwiseOr, [finished, stopped])
        # (``where`` and ``or`` with the full-shaped ``done`` give full-shaped values.)
        done_next = imp.emit(ops.BitwiseOr, [done, finished])
        keep_going = _any(imp, imp.emit(ops.Invert, [done_next]))
        body.append(Yield([keep_going, *nxt, done_next]))
    # A scalar n bounds the trip count; per-element counts are bounded by the mask alone.
    trip = n if n.rank == 0 else imp.constant(np.asarray(np.iinfo(np.int64).max, dtype=I64))
    start = _any(imp, imp.emit(ops.Invert, [done0]))
    loop = imp.emit_op(ops.Loop, [trip, start, *carried_inits], regions=[body])
    return list(loop.results[: len(carried_inits) - 1])


def _arg(init: Value) -> Value:
    """A loop-carried body argument of ``init``'s type."""
    return Value(init.type)
