"""Control flow: ``tir.if`` (PyTensor's IfElse), whose regions run only when taken, and
``tir.loop`` (ONNX Loop semantics), whose body region runs once per iteration."""

from __future__ import annotations

from collections.abc import Sequence

from ir.core import Block, IRError, Operation
from ir.fields import Operand, VariadicOperand
from ir.ops.tensor import constant_array
from ir.types import UNKNOWN, Dim, TensorType

I64_SCALAR = TensorType("int64", ())
BOOL_SCALAR = TensorType("bool", ())


class If(Operation):
    """The values the first region yields if ``cond`` (a bool scalar) is true, else the
    second's. Only the taken region is evaluated. The regions have no arguments.

    `%r = tir.if %c : f32[3] {` ... `yield %a` `} {` ... `yield %b` `}`
    """

    NAME = "tir.if"
    cond = Operand()
    NUM_REGIONS = 2
    NUM_RESULTS = None

    def infer_types(self) -> Sequence[TensorType]:
        if self.cond.type != BOOL_SCALAR:
            raise IRError(f"tir.if: the condition must be bool[], got {self.cond.type}")
        if any(r.args for r in self.regions):
            raise IRError("tir.if: its regions take no arguments")
        then_values, else_values = (r.yielded for r in self.regions)
        if len(then_values) != len(else_values):
            raise IRError("tir.if: both regions must yield the same number of values")
        types = []
        for a, b in zip(then_values, else_values, strict=True):
            if a.dtype != b.dtype or a.rank != b.rank:
                raise IRError(f"tir.if: regions yield {a.type} and {b.type}")
            types.append(
                a.type.with_shape(
                    d if d == e else UNKNOWN for d, e in zip(a.shape, b.shape, strict=True)
                )
            )
        return types


class Loop(Operation):
    """A loop with ONNX Loop's semantics (opset 18): ``trip`` (i64[]) is the maximum number of
    iterations, ``cond`` (bool[]) the initial condition, ``inits`` the initial values of the K
    loop-carried values.

    The body's arguments are (iteration number i64[], condition bool[], carried_0 …
    carried_{K-1}); it yields (the next condition bool[], the K next carried values, then M
    per-iteration values). Iteration i (from 0) runs while ``i < trip`` and the condition is
    true (a negative ``trip`` runs nothing). Results: the K carried values after the last
    iteration (the initial values if none ran), then the M per-iteration values stacked along
    a new leading axis whose length is the number of iterations run.

    Each per-iteration value must have the same shape in every iteration (ONNX stacks them).
    With zero iterations a stacked result has shape (0, *per-step shape) where each dim of
    the per-step type that is not a static int is 0: the body never ran, so nothing defines it
    (and ONNX Runtime gives 0 there unless its own shape inference knows more; the lowering
    makes it exact). The body may read values defined before the loop (outer scope).

    Carried types: a carried argument's type is the carried value's type. The initial value
    and the yielded next value must each have its dtype and rank, and dims equal to its dims
    where both are known (``?`` on either side is compatible); a carried value whose shape
    changes between iterations has ``?`` there. A final carried result has the argument's
    type, with a ``?`` dim made precise where the initial and next values agree on it.

    The stacked length is static when ``trip`` is a constant and the condition is always
    true (a constant true ``cond``, and the body yields a constant true or its own condition
    argument), or ``cond`` is a constant false (0). A symbolic per-step dim stays in a
    stacked type only when at least one iteration surely runs (else it is ``?``: see zero
    iterations above).

    `%f, %s = tir.loop %n, %t, %x : f32[3], f32[?, 3] {`
    `^(%i: i64[], %c: bool[], %acc: f32[3]):` ... `yield %c, %next, %acc` `}`
    """

    NAME = "tir.loop"
    trip = Operand()
    cond = Operand()
    inits = VariadicOperand()
    NUM_REGIONS = 1
    NUM_RESULTS = None

    @property
    def body(self) -> Block:
        return self.regions[0]

    @property
    def num_carried(self) -> int:
        return len(self.operands) - 2

    @property
    def num_scanned(self) -> int:
        """How many per-iteration values the body yields (stacked results)."""
        return len(self.results) - self.num_carried

    def infer_types(self) -> Sequence[TensorType]:
        if self.trip.type != I64_SCALAR:
            raise IRError(f"tir.loop: the trip count must be i64[], got {self.trip.type}")
        if self.cond.type != BOOL_SCALAR:
            raise IRError(f"tir.loop: the condition must be bool[], got {self.cond.type}")
        body = self.body
        k = self.num_carried
        if len(body.args) != 2 + k:
            raise IRError(
                f"tir.loop: the body takes {2 + k} arguments (iteration number, condition and "
                f"{k} carried values), got {len(body.args)}"
            )
        if body.args[0].type != I64_SCALAR or body.args[1].type != BOOL_SCALAR:
            raise IRError(
                "tir.loop: the body's first two arguments must be i64[] and bool[], got "
                f"{body.args[0].type} and {body.args[1].type}"
            )
        yielded = body.yielded
        if len(yielded) < 1 + k:
            raise IRError(
                f"tir.loop: the body must yield the condition and {k} carried values, "
                f"got {len(yielded)} values"
            )
        if yielded[0].type != BOOL_SCALAR:
            raise IRError(
                f"tir.loop: the body must yield a bool[] condition, got {yielded[0].type}"
            )
        types: list[TensorType] = []
        for index, (init, arg, nxt) in enumerate(
            zip(self.inits, body.args[2:], yielded[1 : 1 + k], strict=True)
        ):
            for what, value in (("initial", init), ("next", nxt)):
                if not _compatible(value.type, arg.type):
                    raise IRError(
                        f"tir.loop: carried value {index}: the {what} value's type {value.type} "
                        f"does not fit the body argument's {arg.type}"
                    )
            types.append(
                arg.type.with_shape(
                    a if a != UNKNOWN or i != n else i
                    for a, i, n in zip(arg.shape, init.shape, nxt.shape, strict=True)
                )
            )
        length = self.static_trip_count()
        runs = self.runs_at_least_once()
        for step in yielded[1 + k :]:
            per_step = (
                step.shape if runs else (d if isinstance(d, int) else UNKNOWN for d in step.shape)
            )
            lead: Dim = UNKNOWN if length is None else length
            types.append(step.type.with_shape((lead, *per_step)))
        return types

    def static_trip_count(self) -> int | None:
        """The number of iterations when it is known at compile time, else None."""
        cond = constant_array(self.cond)
        if cond is not None and not bool(cond):
            return 0
        trip = constant_array(self.trip)
        if trip is None or cond is None or not self.always_continues():
            return None
        return max(int(trip), 0)

    def always_continues(self) -> bool:
        """True when the body's next condition is always true: a constant true, or the body's
        own condition argument (true in every iteration that runs)."""
        nxt = self.body.yielded[0]
        if nxt is self.body.args[1]:
            return True
        array = constant_array(nxt)
        return array is not None and bool(array)

    def runs_at_least_once(self) -> bool:
        """True when the first iteration surely runs: constant ``trip`` > 0 and ``cond`` true."""
        trip, cond = constant_array(self.trip), constant_array(self.cond)
        return trip is not None and int(trip) > 0 and cond is not None and bool(cond)


def _compatible(value: TensorType, declared: TensorType) -> bool:
    return (
        value.dtype == declared.dtype
        and value.rank == declared.rank
        and all(
            a == b or UNKNOWN in (a, b) for a, b in zip(value.shape, declared.shape, strict=True)
        )
    )


__all__ = ["If", "Loop"]
