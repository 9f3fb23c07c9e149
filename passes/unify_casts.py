"""Make every implicit dtype conversion explicit, folding the casts of constants.

PyTensor's scalar ops accept mixed dtypes (an int8 literal times a float32 tensor) and compute
in the promoted dtype; ONNX ops need equal input dtypes. After this pass every elementwise op
is homogeneous, and its result dtype is exactly PyTensor's.
"""

from __future__ import annotations

from ir import ops
from ir.attributes import DenseElements
from ir.core import Block, Function, Module, Operation, Value, blocks, walk
from ir.ops.tensor import constant_array
from passes.pass_manager import Pass


class UnifyCasts(Pass):
    """`tir.mul %x:f32, %c:i8` → `tir.mul %x, %c'` where `%c' = tir.constant ... : f32`.

    A non-constant operand gets one `tir.cast` right after its definition, shared by all
    the ops that need it in that dtype.
    """

    NAME = "unify-casts"

    def run(self, module: Module) -> bool:
        func = module.func
        self._cache: dict[tuple[Value, str], Value] = {}
        # A block argument's cast goes at the top of its block (a loop body's, for its args).
        self._arg_blocks: dict[Value, Block] = {a: b for b in blocks(func) for a in b.args}
        changed = False
        for op in list(walk(func)):
            if not isinstance(op, ops.Elementwise) or op.is_homogeneous():
                continue
            for index, (value, dtype) in enumerate(
                zip(list(op.operands), op.operand_dtypes(), strict=True)
            ):
                if value.dtype != dtype:
                    op.set_operand(index, self._converted(func, value, dtype))
            changed = True
        return changed

    def _converted(self, func: Function, value: Value, dtype: str) -> Value:
        key = (value, dtype)
        found = self._cache.get(key)
        if found is not None:
            return found
        data = constant_array(value)
        location = value.owner.location if value.owner is not None else None
        if data is not None:
            new_op: Operation = ops.Constant(
                [], {"value": DenseElements(data.astype(dtype))}, location=location
            )
            self.count("constants-converted")
        else:
            new_op = ops.Cast([value], {"to": dtype}, location=location)
            self.count("casts-inserted")
        block = self._arg_blocks.get(value, func)
        if value.owner is not None:
            value.owner.block.insert_after(value.owner, new_op)
        elif block.first is not None:
            block.insert_before(block.first, new_op)
        else:
            block.append(new_op)
        self._cache[key] = new_op.result
        return new_op.result
