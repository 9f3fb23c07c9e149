"""Ultralytics YOLO11n (80-class detector) as a PyTensor graph built from :mod:`nn` ops.

The network follows ``yolo11n.yaml`` of Ultralytics 8.4 layer by layer, with one function per
Ultralytics module (:func:`conv_block`, :func:`bottleneck`, :func:`c3k`, :func:`c3k2`,
:func:`sppf`, :func:`attention`, :func:`psa_block`, :func:`c2psa`, :func:`dfl`,
:func:`detect`).  Parameters come from an Ultralytics ``state_dict`` (names such as
``model.0.conv.weight``) and become float32 shared variables named after their key, so they are
part of the compiled model.  Channel counts and repeat counts are read from the weight shapes.

Reference: the fixture in ``shared/fixtures/yolo11n`` next to the repository (seeded random
weights evaluated by PyTorch; see its README).  Points that are easy to get wrong:

* BatchNorm ``eps`` is ``1e-3``; every ``Conv`` block is conv (no bias, padding ``k // 2``) ->
  BN -> SiLU, except the attention's ``qkv`` / ``proj`` / ``pe`` and the PSA feed-forward's
  second conv, which have no activation.
* The attention splits ``qkv`` per head as ``(key_dim, key_dim, head_dim) = (32, 32, 64)``,
  scales ``qᵀk`` by ``key_dim ** -0.5`` and adds a depthwise positional conv of ``v``.
* The Detect head's anchors and strides depend only on the static input size; they are float32
  numpy constants.

Everything is float32: Python scalars enter the graph as ``np.float32`` constants, so no
float64 variable appears anywhere in the graph.

Evaluation with PyTensor: use ``pytensor.function([images], outputs, mode="FAST_COMPILE")``
(the Python VM over the ops' numpy ``perform``, no Numba JIT): ~1 s to compile and 0.2-1 s to
evaluate 320x320 once PyTensor's C cache holds the BatchNorm inner graphs' elementwise code
(the very first compile on a machine builds it, ~20 s).  Avoid
``Mode(linker="py", optimizer="fast_run")``: its elementwise fusion yields Python-level loops
(minutes per evaluation).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.tensor.special import softmax
from pytensor.tensor.variable import TensorVariable

import nn

__all__ = [
    "BN_EPS",
    "FIXTURE_ENV",
    "NUM_CLASSES",
    "REG_MAX",
    "STRIDES",
    "Weights",
    "attention",
    "bottleneck",
    "build",
    "build_outputs",
    "c2psa",
    "c3k",
    "c3k2",
    "conv_block",
    "detect",
    "dfl",
    "fixture_dir",
    "load_fixture_weights",
    "make_anchors",
    "psa_block",
    "sppf",
]

FIXTURE_ENV = "YOLO11N_FIXTURE_DIR"
"""Environment variable overriding the fixture directory."""

BN_EPS = np.float32(1e-3)
"""Ultralytics sets BatchNorm2d eps to 1e-3 (PyTorch's default is 1e-5)."""

NUM_CLASSES = 80
REG_MAX = 16
"""Number of DFL bins per box side."""

STRIDES = (8, 16, 32)
"""Strides of the P3, P4, P5 detection levels."""

OUTPUT_NAMES = ("images", "p3", "p4", "p5", "boxes_raw", "scores_raw", "output0")

# state_dict entries that are not parameters of the PyTensor graph: BN step counters, and the
# DFL kernel (the fixed arange(REG_MAX), used as a constant; checked in ``_check_dfl_kernel``).
_DFL_KERNEL = "model.23.dfl.conv.weight"
_NON_PARAMETERS = ("num_batches_tracked",)


# --------------------------------------------------------------------------------------------
# Fixture and weights
# --------------------------------------------------------------------------------------------


def fixture_dir() -> Path:
    """Directory of the YOLO11n reference fixture.

    ``$YOLO11N_FIXTURE_DIR`` if set, else the first ``shared/fixtures/yolo11n`` beside the
    repository or one of its ancestors (``<repo>/../shared/...`` on the team's machines; a
    clone elsewhere finds it higher up), else ``<repo>/../shared/fixtures/yolo11n``.
    """
    env = os.environ.get(FIXTURE_ENV)
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    for ancestor in repo.parents:
        candidate = ancestor / "shared" / "fixtures" / "yolo11n"
        if candidate.is_dir():
            return candidate
    return repo.parent / "shared" / "fixtures" / "yolo11n"


def load_fixture_weights(path: str | os.PathLike[str] | None = None) -> dict[str, np.ndarray]:
    """Load an Ultralytics ``state_dict`` saved as ``.npz`` (default: the fixture's weights)."""
    path = Path(path) if path is not None else fixture_dir() / "weights.npz"
    if not path.is_file():
        raise FileNotFoundError(
            f"YOLO11n weights not found at {path} (set ${FIXTURE_ENV} to the fixture directory)"
        )
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


class Weights:
    """Turns ``state_dict`` arrays into float32 shared variables on first use.

    Each key becomes one shared variable named after the key, with a static shape, and is
    created at most once.  The keys used are recorded so that :meth:`unused` can report
    parameters the graph never consumed (a sign of an architecture mismatch).
    """

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self._arrays = arrays
        self._shared: dict[str, TensorVariable] = {}

    def __call__(self, key: str) -> TensorVariable:
        """The shared variable of parameter ``key``."""
        if key not in self._shared:
            if key not in self._arrays:
                raise KeyError(f"YOLO11n weights have no entry {key!r}")
            value = np.ascontiguousarray(self._arrays[key], dtype=np.float32)
            self._shared[key] = pytensor.shared(value, name=key, shape=value.shape)
        return self._shared[key]

    def __contains__(self, key: str) -> bool:
        return key in self._arrays

    def shape(self, key: str) -> tuple[int, ...]:
        """Static shape of parameter ``key``."""
        return tuple(self(key).type.shape)

    def count(self, prefix: str) -> int:
        """Number of consecutive children ``prefix.0``, ``prefix.1``, ... in the weights."""
        n = 0
        while any(k.startswith(f"{prefix}.{n}.") for k in self._arrays):
            n += 1
        return n

    def unused(self) -> list[str]:
        """Parameter keys (excluding BN step counters and the DFL kernel) never requested."""
        return sorted(
            k
            for k in self._arrays
            if k not in self._shared and k != _DFL_KERNEL and not k.endswith(_NON_PARAMETERS)
        )


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _channels(x: TensorVariable) -> int:
    """Static channel count (axis 1) of an NCHW tensor."""
    c = x.type.shape[1]
    if c is None:
        raise ValueError(f"expected a static channel count, got shape {x.type.shape}")
    return int(c)


def _spatial(x: TensorVariable) -> tuple[int, int]:
    """Static (H, W) of an NCHW tensor."""
    h, w = x.type.shape[2:]
    if h is None or w is None:
        raise ValueError(f"expected static spatial dimensions, got shape {x.type.shape}")
    return int(h), int(w)


def _batch(x: TensorVariable) -> int:
    """Batch size for reshapes: the static size, or ``-1`` (inferred) when it is symbolic."""
    n = x.type.shape[0]
    return -1 if n is None else int(n)


def _split_channels(x: TensorVariable, c: int) -> tuple[TensorVariable, TensorVariable]:
    """``(x[:, :c], x[:, c:])``: Ultralytics' ``chunk`` / ``split`` along channels."""
    return x[:, :c], x[:, c:]


def _concat(xs: Sequence[TensorVariable]) -> TensorVariable:
    """Concatenate NCHW tensors along channels."""
    return pt.concatenate(list(xs), axis=1)


# --------------------------------------------------------------------------------------------
# Ultralytics modules
# --------------------------------------------------------------------------------------------


def conv_block(
    x: TensorVariable,
    w: Weights,
    prefix: str,
    *,
    stride: int = 1,
    groups: int = 1,
    act: bool = True,
) -> TensorVariable:
    """``Conv`` / ``DWConv``: conv2d (no bias, padding ``k // 2``) -> BatchNorm -> SiLU.

    ``act=False`` drops the SiLU (Ultralytics' ``act=False``, an ``Identity``).
    """
    kernel = w(f"{prefix}.conv.weight")
    k = w.shape(f"{prefix}.conv.weight")[-1]
    y = nn.conv2d(x, kernel, stride=stride, padding=k // 2, groups=groups)
    y = nn.batch_norm(
        y,
        w(f"{prefix}.bn.weight"),
        w(f"{prefix}.bn.bias"),
        w(f"{prefix}.bn.running_mean"),
        w(f"{prefix}.bn.running_var"),
        BN_EPS,
    )
    return nn.silu(y) if act else y


def bottleneck(
    x: TensorVariable, w: Weights, prefix: str, *, shortcut: bool = True
) -> TensorVariable:
    """``Bottleneck``: two 3x3 conv blocks, plus the input when shapes allow (residual)."""
    y = conv_block(conv_block(x, w, f"{prefix}.cv1"), w, f"{prefix}.cv2")
    return x + y if shortcut and _channels(x) == _channels(y) else y


def c3k(x: TensorVariable, w: Weights, prefix: str) -> TensorVariable:
    """``C3k``: ``cv3(concat(bottlenecks(cv1(x)), cv2(x)))`` (CSP block with 3x3 bottlenecks)."""
    a = conv_block(x, w, f"{prefix}.cv1")
    for i in range(w.count(f"{prefix}.m")):
        a = bottleneck(a, w, f"{prefix}.m.{i}")
    b = conv_block(x, w, f"{prefix}.cv2")
    return conv_block(_concat([a, b]), w, f"{prefix}.cv3")


def c3k2(x: TensorVariable, w: Weights, prefix: str, *, use_c3k: bool) -> TensorVariable:
    """``C3k2`` (a ``C2f`` whose inner blocks are :func:`c3k` or :func:`bottleneck`).

    ``y = cv1(x)`` is split in two halves; each inner block maps the last piece and is
    appended; the result is ``cv2(concat(pieces))``.
    """
    y = conv_block(x, w, f"{prefix}.cv1")
    pieces = list(_split_channels(y, _channels(y) // 2))
    for i in range(w.count(f"{prefix}.m")):
        inner = f"{prefix}.m.{i}"
        pieces.append(c3k(pieces[-1], w, inner) if use_c3k else bottleneck(pieces[-1], w, inner))
    return conv_block(_concat(pieces), w, f"{prefix}.cv2")


def sppf(x: TensorVariable, w: Weights, prefix: str, *, k: int = 5, n: int = 3) -> TensorVariable:
    """``SPPF``: cv1, ``n`` chained max-pools (k, stride 1, same size), concat all, cv2."""
    ys = [conv_block(x, w, f"{prefix}.cv1")]
    for _ in range(n):
        ys.append(nn.max_pool2d(ys[-1], k, stride=1, padding=k // 2))
    return conv_block(_concat(ys), w, f"{prefix}.cv2")


def attention(
    x: TensorVariable, w: Weights, prefix: str, *, num_heads: int, attn_ratio: float = 0.5
) -> TensorVariable:
    """``Attention`` (multi-head self-attention over the H*W positions, with a conv PE).

    ``qkv`` (1x1 conv + BN) is viewed as (B, heads, 2*key_dim + head_dim, N) and split into
    q, k, v; ``attn = softmax(qᵀk * key_dim**-0.5)`` over the last axis;
    ``y = (v @ attnᵀ).view(B, C, H, W) + pe(v)``; the result is ``proj(y)``.
    """
    dim = _channels(x)
    h, wd = _spatial(x)
    b, n = _batch(x), h * wd
    head_dim = dim // num_heads
    key_dim = int(head_dim * attn_ratio)
    scale = np.float32(key_dim**-0.5)

    qkv = conv_block(x, w, f"{prefix}.qkv", act=False)
    qkv = qkv.reshape((b, num_heads, 2 * key_dim + head_dim, n))
    q = qkv[:, :, :key_dim]
    k = qkv[:, :, key_dim : 2 * key_dim]
    v = qkv[:, :, 2 * key_dim :]

    attn = softmax((q.transpose(0, 1, 3, 2) @ k) * scale, axis=-1)  # (B, heads, N, N)
    y = (v @ attn.transpose(0, 1, 3, 2)).reshape((b, dim, h, wd))
    y = y + conv_block(v.reshape((b, dim, h, wd)), w, f"{prefix}.pe", groups=dim, act=False)
    return conv_block(y, w, f"{prefix}.proj", act=False)


def psa_block(x: TensorVariable, w: Weights, prefix: str, *, num_heads: int) -> TensorVariable:
    """``PSABlock``: ``x + attention(x)``, then ``x + ffn(x)`` (conv-SiLU, conv without act)."""
    x = x + attention(x, w, f"{prefix}.attn", num_heads=num_heads)
    ffn = conv_block(conv_block(x, w, f"{prefix}.ffn.0"), w, f"{prefix}.ffn.1", act=False)
    return x + ffn


def c2psa(x: TensorVariable, w: Weights, prefix: str) -> TensorVariable:
    """``C2PSA``: cv1, split in halves, PSA blocks on the second half, concat, cv2.

    Ultralytics uses ``c // 64`` attention heads for a hidden width ``c``.
    """
    y = conv_block(x, w, f"{prefix}.cv1")
    c = _channels(y) // 2
    a, b = _split_channels(y, c)
    for i in range(w.count(f"{prefix}.m")):
        b = psa_block(b, w, f"{prefix}.m.{i}", num_heads=c // 64)
    return conv_block(_concat([a, b]), w, f"{prefix}.cv2")


def dfl(boxes: TensorVariable, *, reg_max: int = REG_MAX) -> TensorVariable:
    """``DFL``: (B, 4*reg_max, A) bin logits -> (B, 4, A) expected distances.

    The channels are side-major, bin-minor; softmax over the bins and the expectation
    ``sum_k k * p_k``, as Ultralytics computes it: a 1x1 convolution with the fixed kernel
    ``arange(reg_max)`` over the bins moved to the channel axis.
    """
    b, a = _batch(boxes), boxes.type.shape[2]
    probs = softmax(boxes.reshape((b, 4, reg_max, a)).transpose(0, 2, 1, 3), axis=1)
    bins = pt.constant(np.arange(reg_max, dtype=np.float32).reshape(1, reg_max, 1, 1))
    return nn.conv2d(probs, bins).reshape((b, 4, a))


def make_anchors(
    level_shapes: Sequence[tuple[int, int]], strides: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Anchor centres (2, A) in grid units and strides (1, A), float32, level by level.

    Per level ``x = arange(W) + 0.5``, ``y = arange(H) + 0.5``, row-major (x fastest).
    """
    points, level_strides = [], []
    for (h, w), s in zip(level_shapes, strides, strict=True):
        sy, sx = np.meshgrid(np.arange(h) + 0.5, np.arange(w) + 0.5, indexing="ij")
        points.append(np.stack([sx.ravel(), sy.ravel()]))
        level_strides.append(np.full(h * w, s))
    anchors = np.concatenate(points, axis=1).astype(np.float32)
    strides_row = np.concatenate(level_strides)[None, :].astype(np.float32)
    return anchors, strides_row


def detect(
    features: Sequence[TensorVariable],
    w: Weights,
    prefix: str,
    *,
    strides: Sequence[int] = STRIDES,
) -> tuple[TensorVariable, TensorVariable, TensorVariable]:
    """``Detect`` head (export mode) on the P3, P4, P5 feature maps.

    Returns ``(boxes_raw, scores_raw, output0)``: the concatenated raw box logits
    (B, 4*reg_max, A) and class logits (B, nc, A), and the decoded output (B, 4 + nc, A) whose
    rows are box centre x, y, width, height in input pixels, then class probabilities.
    """
    boxes, scores, shapes = [], [], []
    for i, x in enumerate(features):
        h, wd = _spatial(x)
        b, n = _batch(x), h * wd
        box = conv_block(conv_block(x, w, f"{prefix}.cv2.{i}.0"), w, f"{prefix}.cv2.{i}.1")
        box = nn.conv2d(box, w(f"{prefix}.cv2.{i}.2.weight"), w(f"{prefix}.cv2.{i}.2.bias"))
        cls = x
        for j in range(2):  # (DWConv 3x3, Conv 1x1) twice
            cls = conv_block(cls, w, f"{prefix}.cv3.{i}.{j}.0", groups=_channels(cls))
            cls = conv_block(cls, w, f"{prefix}.cv3.{i}.{j}.1")
        cls = nn.conv2d(cls, w(f"{prefix}.cv3.{i}.2.weight"), w(f"{prefix}.cv3.{i}.2.bias"))
        boxes.append(box.reshape((b, _channels(box), n)))
        scores.append(cls.reshape((b, _channels(cls), n)))
        shapes.append((h, wd))
    boxes_raw = pt.concatenate(boxes, axis=2)
    scores_raw = pt.concatenate(scores, axis=2)

    anchors, stride_row = make_anchors(shapes, strides)
    anchors_c = pt.constant(anchors[None])  # (1, 2, A)
    dist = dfl(boxes_raw, reg_max=_channels(boxes_raw) // 4)  # (B, 4, A): left, top, right, bottom
    x1y1 = anchors_c - dist[:, :2]
    x2y2 = anchors_c + dist[:, 2:]
    centre = (x1y1 + x2y2) / np.float32(2)
    size = x2y2 - x1y1
    pixels = pt.concatenate([centre, size], axis=1) * pt.constant(stride_row[None])
    output0 = pt.concatenate([pixels, pt.sigmoid(scores_raw)], axis=1)
    return boxes_raw, scores_raw, output0


# --------------------------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------------------------


def _check_dfl_kernel(weights: Mapping[str, np.ndarray]) -> None:
    """The DFL conv of the state_dict must be the fixed ``arange(reg_max)`` we use as constant."""
    if _DFL_KERNEL in weights:
        kernel = np.asarray(weights[_DFL_KERNEL]).ravel()
        if not np.array_equal(kernel, np.arange(kernel.size, dtype=kernel.dtype)):
            raise ValueError(f"{_DFL_KERNEL} is not arange({kernel.size}); unsupported weights")


def build_outputs(
    weights: Mapping[str, np.ndarray],
    *,
    height: int = 640,
    width: int = 640,
    batch: int | None = 1,
) -> dict[str, TensorVariable]:
    """Build YOLO11n and return its named variables.

    Keys: ``images`` (input, float32 (batch, 3, height, width); ``batch=None`` makes the batch
    dimension symbolic), ``p3``, ``p4``, ``p5`` (neck outputs, layers 16/19/22),
    ``boxes_raw``, ``scores_raw`` (Detect logits) and ``output0`` (batch, 84, anchors).
    ``height`` and ``width`` must be multiples of 32 (the largest stride).
    """
    for name, size in (("height", height), ("width", width)):
        if size <= 0 or size % STRIDES[-1]:
            raise ValueError(f"{name} must be a positive multiple of {STRIDES[-1]}, got {size}")
    _check_dfl_kernel(weights)
    w = Weights(weights)

    images = pt.tensor("images", dtype="float32", shape=(batch, 3, height, width))
    x = conv_block(images, w, "model.0", stride=2)
    x = conv_block(x, w, "model.1", stride=2)
    x = c3k2(x, w, "model.2", use_c3k=False)
    x = conv_block(x, w, "model.3", stride=2)
    x4 = c3k2(x, w, "model.4", use_c3k=False)
    x = conv_block(x4, w, "model.5", stride=2)
    x6 = c3k2(x, w, "model.6", use_c3k=True)
    x = conv_block(x6, w, "model.7", stride=2)
    x = c3k2(x, w, "model.8", use_c3k=True)
    x = sppf(x, w, "model.9")
    x10 = c2psa(x, w, "model.10")
    # head (FPN top-down, then PAN bottom-up)
    x = _concat([nn.upsample_nearest2d(x10, 2), x6])  # 11, 12
    x13 = c3k2(x, w, "model.13", use_c3k=False)
    x = _concat([nn.upsample_nearest2d(x13, 2), x4])  # 14, 15
    p3 = c3k2(x, w, "model.16", use_c3k=False)
    x = _concat([conv_block(p3, w, "model.17", stride=2), x13])  # 17, 18
    p4 = c3k2(x, w, "model.19", use_c3k=False)
    x = _concat([conv_block(p4, w, "model.20", stride=2), x10])  # 20, 21
    p5 = c3k2(x, w, "model.22", use_c3k=True)
    boxes_raw, scores_raw, output0 = detect([p3, p4, p5], w, "model.23")

    unused = w.unused()
    if unused:
        raise ValueError(f"weights not used by the YOLO11n graph: {unused[:10]} ...")

    outputs = dict(
        zip(
            OUTPUT_NAMES,
            (images, p3, p4, p5, boxes_raw, scores_raw, output0),
            strict=True,
        )
    )
    for name, var in outputs.items():
        var.name = name
    return outputs


def build(
    weights: Mapping[str, np.ndarray],
    *,
    height: int = 640,
    width: int = 640,
    batch: int | None = 1,
) -> tuple[TensorVariable, TensorVariable]:
    """``(images, output0)`` of YOLO11n; see :func:`build_outputs`."""
    outputs = build_outputs(weights, height=height, width=width, batch=batch)
    return outputs["images"], outputs["output0"]
