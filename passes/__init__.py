"""Passes over the IR: normalization to ONNX-ready form and optimization.

``PASSES`` maps each pass name to its class; ``DEFAULT_PIPELINE`` is the compiler's pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from passes.reassociate import Reassociate
from passes.sign_select import SignSelect
from passes.sink_into_regions import SinkIntoRegions
from passes.sink_scalar_select import SinkScalarSelect
from passes.small_axis_first import SmallAxisFirst
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
        SinkScalarSelect,
        SignSelect,
        SmallAxisFirst,
        SlicesToSplit,
        FuseSiLU,
        SinkIntoRegions,
        DeadCodeElimination,
        Reassociate,
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
    "small-axis-first",
    "hoist-loop-invariants",
    "cse",
    "sink-scalar-select",
    "sign-select",
    "slices-to-split",
    "fuse-silu",
    "sink-into-regions",
    "dce",
)


#: One step of a pipeline: a registered pass's name, a ``Pass`` object, or a ``Pass`` subclass
#: (instantiated without arguments); user-defined passes need no registration.
PipelineItem = str | Pass | type[Pass]


def pass_name(item: PipelineItem) -> str:
    """The name of a pipeline step (``NAME`` of a pass object or class)."""
    return item if isinstance(item, str) else item.NAME


def make_passes(items: Sequence[PipelineItem]) -> list[Pass]:
    """The pass objects of a pipeline: names are instantiated from ``PASSES``, classes are
    instantiated, objects are used as they are. An unknown name raises ``ValueError`` listing
    the known ones."""
    unknown = [n for n in items if isinstance(n, str) and n not in PASSES]
    if unknown:
        raise ValueError(f"unknown passes {unknown}; known passes: {sorted(PASSES)}")
    passes: list[Pass] = []
    for item in items:
        if isinstance(item, str):
            passes.append(PASSES[item]())
        elif isinstance(item, Pass):
            passes.append(item)
        elif isinstance(item, type) and issubclass(item, Pass):
            passes.append(item())
        else:
            raise ValueError(
                f"a pipeline step is a pass name, a Pass or a Pass class, not {item!r}"
            )
    return passes


__all__ = [
    "DEFAULT_PIPELINE", "PASSES", "Pass", "PassFailure", "PassManager", "PassStats", "PipelineItem",
    "make_passes", "pass_name",
]  # fmt: skip
