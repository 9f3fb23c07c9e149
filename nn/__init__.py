"""PyTensor Ops / helpers for CNN layers that PyTensor lacks (NCHW layout).

* :func:`conv2d` (:mod:`nn.conv`)
* :func:`max_pool2d`, :func:`avg_pool2d`, :func:`global_max_pool2d`,
  :func:`global_avg_pool2d` (:mod:`nn.pool`)
* :func:`resize`, :func:`upsample_nearest2d` (:mod:`nn.resize`, ONNX Resize semantics)
* :func:`batch_norm` (:mod:`nn.norm`)
* :func:`silu`, :func:`relu` (:mod:`nn.activations`)
"""

from nn.activations import relu, silu
from nn.conv import conv2d
from nn.norm import batch_norm
from nn.pool import avg_pool2d, global_avg_pool2d, global_max_pool2d, max_pool2d
from nn.resize import resize, upsample_nearest2d

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "conv2d",
    "global_avg_pool2d",
    "global_max_pool2d",
    "max_pool2d",
    "relu",
    "resize",
    "silu",
    "upsample_nearest2d",
]
