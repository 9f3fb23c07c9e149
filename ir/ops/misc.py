"""Ops outside the other families: padding."""

from __future__ import annotations

from collections.abc import Sequence

from ir import attributes as A
from ir.core import IRError, Operation
from ir.fields import Attr, Operand, VariadicOperand
from ir.types import UNKNOWN, Dim, TensorType

PAD_MODES = ("constant", "edge", "reflect")


class Pad(Operation):
    """numpy.pad with static widths: ``pads`` holds every axis's count before, then every
    axis's count after (ONNX's order), all >= 0.

    ``constant`` fills with its one further operand, a scalar of x's dtype; ``edge`` repeats
    the edge element (the axis must not be empty where it is padded); ``reflect`` mirrors
    without repeating the edge (numpy's ``reflect_type="even"``), each count below the axis
    size. `%2 = tir.pad %0, %1 {mode = "constant", pads = [0, 1, 0, 2]} : f32[2, 6]`
    """

    NAME = "tir.pad"
    x = Operand()
    value = VariadicOperand()
    mode = Attr(A.STR)
    pads = Attr(A.INTS)

    def infer_types(self) -> Sequence[TensorType]:
        x, pads = self.x, self.pads
        if self.mode not in PAD_MODES:
            raise IRError(f"tir.pad: mode {self.mode!r} is not one of {list(PAD_MODES)}")
        values = self.value
        if len(values) != (self.mode == "constant"):
            raise IRError(f"tir.pad: {self.mode} mode takes {int(self.mode == 'constant')} "
                          f"fill values, got {len(values)}")  # fmt: skip
        if values and (values[0].rank != 0 or values[0].dtype != x.dtype):
            raise IRError(f"tir.pad: the fill value must be a {x.dtype} scalar, got "
                          f"{values[0].type}")  # fmt: skip
        if len(pads) != 2 * x.rank or any(p < 0 for p in pads):
            raise IRError(f"tir.pad: pads {list(pads)} are not 2 x {x.rank} counts >= 0")
        shape: list[Dim] = []
        for axis, dim in enumerate(x.shape):
            before, after = pads[axis], pads[axis + x.rank]
            if not isinstance(dim, int):
                shape.append(dim if before == after == 0 else UNKNOWN)
                continue
            if before or after:
                if self.mode == "edge" and dim == 0:
                    raise IRError(f"tir.pad: edge mode cannot pad the empty axis {axis}")
                if self.mode == "reflect" and max(before, after) >= dim:
                    raise IRError(
                        f"tir.pad: reflect pads of axis {axis} ({before}, {after}) must be "
                        f"below its size {dim}"
                    )
            shape.append(dim + before + after)
        return (x.type.with_shape(shape),)


__all__ = ["Pad"]
