"""Passes over the IR: normalization to ONNX-ready form and optimization.

``PASSES`` maps each pass name to its class; ``DEFAULT_PIPELINE`` is the compiler's pipeline.
"""

from __future__ import annotations

from passes.canonicalize import Canonicalize
from passes.constant_fold import ConstantFold
from passes.cse import CommonSubexpressionElimination
from passes.dce import DeadCodeElimination
from passes.flip_conv_kernels import FlipConvKernels
from passes.fold_batch_norm import FoldBatchNorm
from passes.fold_pad_into_conv import FoldPadIntoConv
from passes.fuse_silu import FuseSiLU
from passes.hoist_loop_invariants import HoistLoopInvariants
from passes.lower_dimshuffle import LowerDimShuffle
from passes.pass_manager import Pass, PassFailure, PassManager, PassStats
from passes.sink_into_regions import SinkIntoRegions
from passes.slices_to_split import SlicesToSplit
from passes.unify_casts import UnifyCasts

PASSES: dict[str, type[Pass]] = {
    cls.NAME: cls
    for cls in (
        LowerDimShuffle,
        UnifyCasts,
        ConstantFold,
        Canonicalize,
        FoldPadIntoConv,
        FlipConvKernels,
        FoldBatchNorm,
        HoistLoopInvariants,
        CommonSubexpressionElimination,
        SlicesToSplit,
        FuseSiLU,
        SinkIntoRegions,
        DeadCodeElimination,
    )
}

#: The compiler's pipeline, in order.
DEFAULT_PIPELINE: tuple[str, ...] = (
    "lower-dimshuffle",
    "unify-casts",
    "constant-fold",
    "canonicalize",
    "fold-pad-into-conv",
    "flip-conv-kernels",
    "fold-batch-norm",
    "hoist-loop-invariants",
    "cse",
    "slices-to-split",
    "fuse-silu",
    "sink-into-regions",
    "dce",
)


def make_passes(names: list[str] | tuple[str, ...]) -> list[Pass]:
    """Instantiate passes by name; an unknown name raises ``ValueError`` listing the known ones."""
    unknown = [n for n in names if n not in PASSES]
    if unknown:
        raise ValueError(f"unknown passes {unknown}; known passes: {sorted(PASSES)}")
    return [PASSES[n]() for n in names]


__all__ = [
    "DEFAULT_PIPELINE", "PASSES", "Pass", "PassFailure", "PassManager", "PassStats", "make_passes",
]  # fmt: skip
