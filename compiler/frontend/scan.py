"""Frontend rule: PyTensor ``Scan`` → ``tir.loop`` (ONNX Loop semantics), every Scan form.

The inner FunctionGraph is imported into the loop body through ``Importer.inline`` (the path
OpFromGraph takes), its inputs bound per step: sequence rows, taps of the carried outputs, the
untraced states and the non-sequences (read from the outer scope). ``Scan.perform`` is the
semantics matched, including the circular output buffers that save-mem rewrites shrink.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from pytensor.compile.builders import OpFromGraph
from pytensor.graph.basic import Apply, Variable
from pytensor.graph.fg import AbstractFunctionGraph
from pytensor.scan.op import Scan
from pytensor.tensor.random.op import RNGConsumerOp
from pytensor.tensor.random.type import RandomType

from compiler.frontend.importer import Importer, Unsupported, import_op
from ir import ops
from ir.core import Block, Value, Yield
from ir.types import UNKNOWN, TensorType

I64 = "int64"
#: A Scan's or OpFromGraph's inner graph (PyTensor 3 freezes them).
InnerGraph = AbstractFunctionGraph


@dataclass
class _Traced:
    """A mit-sot or sit-sot output: its outer buffer, taps (all negative), and where its lags
    sit among the carried values (``lags[l - 1]`` holds the value of step k - l)."""

    buffer: Value
    taps: tuple[int, ...]
    first_lag: int = 0

    @property
    def depth(self) -> int:
        return -min(self.taps)


@import_op.register(Scan)
def import_scan(op: Scan, node: Apply, imp: Importer) -> list[Value]:
    """Scan → tir.loop, step k of ``Scan.perform``:

    - the trip count is ``n_steps``; a while-scan's ``until`` output u stops the loop after
      the step where ``u != 0`` (the loop condition yielded is ``u == 0``);
    - sequence i gives the body its row k;
    - a mit-mot buffer B (gradients) is carried whole: with p = (k - min(in taps)) mod len(B),
      tap t reads B[(p + t) mod len(B)] and out-tap o writes B[p + o] (numpy's negative
      indexing); its output is the final buffer;
    - a mit-sot/sit-sot with taps T (depth L = -min T) carries its last L values (initially
      B[0..L-1] of its buffer B); each step's new value is also stacked, and after the loop the
      buffer PyTensor returns is rebuilt from B[:L] ++ stacked (below, ``_buffer_layout``);
    - a nit-sot is stacked, its buffer rebuilt the same way (no initial part);
    - an untraced sit-sot (shared variable updates) is carried; its output is the last value;
    - non-sequences are read from the outer scope.
    """
    _refuse_random(op.fgraph)
    if any(imp.is_placeholder(v) for v in node.inputs):
        _report_inner_ops(op, imp)
        return []
    info = op.info
    outer = [imp.value(v) for v in node.inputs]
    n_steps = imp.cast(outer[0], I64)
    cursor = iter(outer[1:])
    seqs = _take(cursor, info.n_seqs)
    mitmot_bufs = _take(cursor, info.n_mit_mot)
    traced = [
        _Traced(buf, tuple(taps))
        for buf, taps in zip(
            _take(cursor, info.n_mit_sot + info.n_sit_sot),
            (*info.mit_sot_in_slices, *info.sit_sot_in_slices),
            strict=True,
        )
    ]
    untraced_inits = _take(cursor, info.n_untraced_sit_sot)
    nitsot_sizes = [imp.cast(v, I64) for v in _take(cursor, info.n_nit_sot)]
    non_seqs = list(cursor)
    for t in traced:
        if any(tap >= 0 for tap in t.taps):
            raise Unsupported(f"Scan: a mit-sot/sit-sot tap is not negative (taps {t.taps})")

    # Carried values, in this order: mit-mot buffers, the lags of each traced output,
    # untraced states, then (while-loops) the iteration count.
    inits: list[Value] = list(mitmot_bufs)
    for t in traced:
        t.first_lag = len(inits)
        inits += [_gather0(imp, t.buffer, t.depth - lag) for lag in range(1, t.depth + 1)]
    first_untraced = len(inits)
    inits += untraced_inits
    count_at = len(inits) if info.as_while else None
    if info.as_while:
        inits.append(imp.constant(np.zeros((), dtype=I64)))
    mitmot_sizes = [_dim0(imp, b) for b in mitmot_bufs]

    body = Block(
        args=[
            Value(TensorType(I64, ())),
            Value(TensorType("bool", ())),
            # (Symbolic dims relaxed: an input's named dim may be a static one in the body.)
            *(Value(_relaxed(v.type)) for v in inits),
        ]
    )
    step, cond_in, *carried = body.args
    with imp.building(body):
        inner_inputs = [imp.emit(ops.Gather, [s, step], {"axis": 0}) for s in seqs]
        mitmot_pos = []
        for g, taps in enumerate(info.mit_mot_in_slices):
            size = mitmot_sizes[g]
            pos = imp.emit(ops.Mod, [_add(imp, step, -min(taps)), size])
            mitmot_pos.append(pos)
            for tap in taps:
                at = imp.emit(ops.Mod, [_add(imp, pos, tap), size])
                inner_inputs.append(imp.emit(ops.Gather, [carried[g], at], {"axis": 0}))
        for t in traced:
            inner_inputs += [carried[t.first_lag - tap - 1] for tap in t.taps]
        inner_inputs += carried[first_untraced : first_untraced + info.n_untraced_sit_sot]
        inner_inputs += non_seqs
        # (Unsupported ops of the body: inline raises InnerUnsupported, listing each.)
        inner_outputs = imp.inline(op.fgraph, inner_inputs)
        outs = iter(inner_outputs)
        next_carried: list[Value] = []
        for g, out_taps in enumerate(info.mit_mot_out_slices):
            buf = carried[g]
            for out_tap in out_taps:
                value = imp.cast(next(outs), buf.dtype)
                at = imp.emit(ops.Mod, [_add(imp, mitmot_pos[g], out_tap), mitmot_sizes[g]])
                index = imp.emit(ops.Reshape, [at, imp.constant(np.array([1, 1], I64))])
                row = imp.emit(ops.Unsqueeze, [value], {"axes": [0]})
                buf = imp.emit(ops.ScatterND, [buf, index, row], {"reduction": "none"})
            next_carried.append(buf)
        per_step: list[Value] = []
        for t in traced:
            value = _fit(imp, imp.cast(next(outs), t.buffer.dtype), carried[t.first_lag])
            lags = carried[t.first_lag : t.first_lag + t.depth]
            next_carried += [value, *lags[:-1]]
            per_step.append(value)
        per_step += [next(outs) for _ in range(info.n_nit_sot)]
        for init in untraced_inits:
            arg = carried[len(next_carried)]
            next_carried.append(_fit(imp, imp.cast(next(outs), init.dtype), arg))
        if info.as_while:
            until = next(outs)
            zero = imp.constant(np.zeros((), dtype=until.dtype))
            cond_out = imp.emit(ops.Eq, [until, zero])
            next_carried.append(_add(imp, step, 1))
        else:
            cond_out = cond_in
        body.append(Yield([cond_out, *next_carried, *per_step]))

    true = imp.constant(np.ones((), dtype="bool"))
    loop = imp.emit_op(ops.Loop, [n_steps, true, *inits], regions=[body])
    finals = list(loop.results[: len(inits)])
    stacked = list(loop.results[len(inits) :])
    steps_done = finals[count_at] if count_at is not None else n_steps

    results: list[Value] = finals[: info.n_mit_mot]
    for t, trace in zip(traced, stacked, strict=False):
        head = imp.emit(ops.Slice, [t.buffer, *_vectors(imp, 0, t.depth, 1)], {"axes": [0]})
        if not all(isinstance(d, int) for d in trace.shape[1:]):
            # Zero iterations give dims the body never fixed as 0: the buffer's rows have the
            # steps' shape.
            rows = _vectors(imp, -1)[0]
            row_shape = _tail_shape(imp, t.buffer)
            shape = imp.emit(ops.Concat, [rows, row_shape], {"axis": 0})
            trace = imp.emit(ops.Reshape, [trace, shape])
        history = imp.emit(ops.Concat, [head, trace], {"axis": 0})
        size = _dim0(imp, t.buffer)
        results.append(_buffer_layout(imp, history, t.depth, size, n_steps, steps_done, t.buffer))
    for size, trace in zip(nitsot_sizes, stacked[len(traced) :], strict=True):
        results.append(_buffer_layout(imp, trace, 0, size, n_steps, steps_done, None))
    results += finals[first_untraced : first_untraced + info.n_untraced_sit_sot]
    return results


#: Called on nodes downstream of an unsupported one too (see ``Importer._import_node``): it
#: then refuses random variables and reports the body's unsupported ops, reading no input.
import_scan.refuses = True  # type: ignore[attr-defined]


def _report_inner_ops(op: Scan, imp: Importer) -> None:
    """Import the body into a scratch block only for its diagnostics (an input of the Scan
    is already reported, so no loop is built)."""
    args = [Value(imp.ir_type(v.type)) for v in op.fgraph.inputs]
    with imp.building(Block()):
        imp.inline(op.fgraph, args)


def _buffer_layout(
    imp: Importer,
    history: Value,
    depth: int,
    size: Value,
    n_steps: Value,
    steps_done: Value,
    initial: Value | None,
) -> Value:
    """The output buffer ``Scan.perform`` leaves for a traced output of ``size`` entries.

    ``history`` is X = the ``depth`` initial values then the i = ``steps_done`` new ones. With
    total = depth + i: if size <= total the circular buffer holds the last ``size`` entries of
    X, oldest first (perform rotates it); else X then ``size - total`` zeros (perform zeroes
    the unwritten rest), cut short by n_steps - i entries if a while-loop stopped early. With
    zero steps perform returns the ``initial`` buffer untouched (a nit-sot: an empty one).
    """
    total = _add(imp, steps_done, depth)
    start = imp.emit(ops.Maximum, [imp.emit(ops.Sub, [total, size]), _i64(imp, 0)])
    head = imp.emit(ops.Slice, [history, *_vectors(imp, start, total, 1)], {"axes": [0]})
    zero_steps = imp.emit(ops.Eq, [n_steps, _i64(imp, 0)])
    zero = imp.constant(np.zeros((), dtype=history.dtype))
    if initial is not None:
        # Entries total..size-1: zeros, or with zero steps the initial buffer's own.
        rest = imp.emit(ops.Slice, [initial, *_vectors(imp, total, size, 1)], {"axes": [0]})
        tail = imp.emit(ops.Where, [zero_steps, rest, zero])
    else:
        missing = imp.emit(ops.Maximum, [imp.emit(ops.Sub, [size, total]), _i64(imp, 0)])
        missing = imp.emit(ops.Where, [zero_steps, _i64(imp, 0), missing])
        row_shape = _tail_shape(imp, history)
        shape = imp.emit(
            ops.Concat, [imp.emit(ops.Unsqueeze, [missing], {"axes": [0]}), row_shape],
            {"axis": 0},
        )  # fmt: skip
        tail = imp.emit(ops.Expand, [zero, shape])
    full = imp.emit(ops.Concat, [head, tail], {"axis": 0})
    if steps_done is n_steps:  # not a while-loop: every step ran
        return full
    # A while-loop that stopped after i < n_steps steps drops n_steps - i entries, only when
    # the buffer did not wrap around (perform's "size > total" branch).
    short = imp.emit(ops.Sub, [n_steps, steps_done])
    drop = imp.emit(ops.Where, [imp.emit(ops.Gt, [size, total]), short, _i64(imp, 0)])
    keep = imp.emit(ops.Maximum, [imp.emit(ops.Sub, [_dim0(imp, full), drop]), _i64(imp, 0)])
    return imp.emit(ops.Slice, [full, *_vectors(imp, 0, keep, 1)], {"axes": [0]})


# -- loops for other ops ---------------------------------------------------------------------------


def running_product(imp: Importer, x: Value, axis: int) -> Value:
    """numpy.cumprod(x, axis) as a tir.loop over the axis, for a length known only at run
    time: out[0] = 1 * x[0] (exact), out[i] = out[i - 1] * x[i], in x's dtype."""
    axis %= x.rank
    perm = [axis, *(a for a in range(x.rank) if a != axis)]
    front = x if axis == 0 else imp.emit(ops.Transpose, [x], {"perm": perm})
    ones = imp.emit(ops.Expand, [imp.constant(np.ones((), x.dtype)), _tail_shape(imp, front)])
    body = Block(args=[Value(TensorType(I64, ())), Value(TensorType("bool", ())), Value(ones.type)])
    step, cond, acc = body.args
    with imp.building(body):
        row = imp.emit(ops.Gather, [front, step], {"axis": 0})
        nxt = imp.emit(ops.Mul, [acc, row])
        body.append(Yield([cond, nxt, nxt]))
    true = imp.constant(np.ones((), dtype="bool"))
    loop = imp.emit_op(ops.Loop, [_dim0(imp, front), true, ones], regions=[body])
    # With zero iterations the stacked rows have no shape of their own: x's is the answer's.
    stacked = imp.emit(ops.Reshape, [loop.results[1], imp.emit(ops.Shape, [front])])
    if axis == 0:
        return stacked
    inverse = [perm.index(a) for a in range(x.rank)]
    return imp.emit(ops.Transpose, [stacked], {"perm": inverse})


# -- small emitters ------------------------------------------------------------------------------


def _relaxed(type_: TensorType) -> TensorType:
    """``type_`` with its symbolic dims unknown (static ones kept)."""
    return type_.with_shape(d if isinstance(d, int) else UNKNOWN for d in type_.shape)


def _fit(imp: Importer, value: Value, arg: Value) -> Value:
    """A step's new value of a carried state, reshaped to the static dims of the state's body
    argument where its own dim is another symbol (a sequence row's length, while the initial
    value is ``zeros(3)``): the two must agree at run time, and ONNX Runtime's Reshape raises
    where they do not."""
    if all(a == v or UNKNOWN in (a, v) for a, v in zip(arg.shape, value.shape, strict=True)):
        return value
    if all(isinstance(d, int) for d in arg.shape):
        return imp.emit(ops.Reshape, [value, imp.constant(np.array(arg.shape, I64))])
    shape = imp.emit(ops.Shape, [value])
    dims = [
        imp.constant(np.array([d], I64))
        if isinstance(d, int)
        else imp.emit(ops.Gather, [shape, imp.constant(np.array([axis], I64))], {"axis": 0})
        for axis, d in enumerate(arg.shape)
    ]
    target = imp.emit(ops.Concat, dims, {"axis": 0})
    return imp.emit(ops.Reshape, [value, target])


def _take(cursor: Iterator[Value], n: int) -> list[Value]:
    return [next(cursor) for _ in range(n)]


def _i64(imp: Importer, n: int) -> Value:
    return imp.constant(np.array(n, dtype=I64))


def _add(imp: Importer, x: Value, n: int) -> Value:
    return x if n == 0 else imp.emit(ops.Add, [x, _i64(imp, n)])


def _dim0(imp: Importer, x: Value) -> Value:
    """len(x) as an i64 scalar (a constant when known)."""
    if isinstance(x.shape[0], int):
        return _i64(imp, x.shape[0])
    return imp.emit(ops.Gather, [imp.emit(ops.Shape, [x]), _i64(imp, 0)], {"axis": 0})


def _tail_shape(imp: Importer, x: Value) -> Value:
    """x.shape[1:] as an i64 vector."""
    shape = imp.emit(ops.Shape, [x])
    return imp.emit(ops.Slice, [shape, *_vectors(imp, 1, x.rank, 1)], {"axes": [0]})


def _gather0(imp: Importer, x: Value, index: int) -> Value:
    return imp.emit(ops.Gather, [x, _i64(imp, index)], {"axis": 0})


def _vectors(imp: Importer, *scalars: Value | int) -> list[Value]:
    """One-entry i64 vectors (Slice's starts, stops, steps) of scalars or ints."""
    out = []
    for s in scalars:
        if isinstance(s, int):
            out.append(imp.constant(np.array([s], dtype=I64)))
        else:
            out.append(imp.emit(ops.Unsqueeze, [s], {"axes": [0]}))
    return out


# -- refusals ------------------------------------------------------------------------------------


def _inner_graphs(fgraph: InnerGraph) -> Iterator[InnerGraph]:
    """``fgraph`` and the inner graphs of its nodes (nested scans, OpFromGraph), recursively."""
    yield fgraph
    for node in fgraph.toposort():
        if isinstance(node.op, Scan | OpFromGraph):
            yield from _inner_graphs(node.op.fgraph)


def _refuse_random(fgraph: InnerGraph) -> None:
    for graph in _inner_graphs(fgraph):
        for var in (*graph.inputs, *(o for n in graph.toposort() for o in n.outputs)):
            if _is_random(var):
                raise Unsupported(
                    "Scan: random variable inside the loop body: ONNX's Random* ops cannot "
                    "reproduce PyTensor's generator streams"
                )


def _is_random(var: Variable) -> bool:
    owner = var.owner
    return isinstance(var.type, RandomType) or (
        owner is not None and isinstance(owner.op, RNGConsumerOp)
    )


__all__: Sequence[str] = ["running_product"]
