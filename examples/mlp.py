"""A small classifier for the command line's README example.

    ptonnx compile examples/mlp.py:build -o mlp.onnx --dim-name x:0=batch --verify

``build()`` returns the graph's inputs and outputs; the weights are shared variables, so they
become initializers of the model.
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt


def build() -> tuple[list[pt.TensorVariable], list[pt.TensorVariable]]:
    """A two-layer perceptron: 8 features, 16 hidden units (ReLU), 3 class probabilities."""
    rng = np.random.default_rng(0)
    w1 = pytensor.shared(rng.normal(0, 0.3, (8, 16)).astype("float32"), name="w1")
    b1 = pytensor.shared(np.zeros(16, dtype="float32"), name="b1")
    w2 = pytensor.shared(rng.normal(0, 0.3, (16, 3)).astype("float32"), name="w2")
    b2 = pytensor.shared(np.zeros(3, dtype="float32"), name="b2")
    x = pt.matrix("x", dtype="float32")
    hidden = pt.maximum(x @ w1 + b1, 0)
    probs = pt.special.softmax(hidden @ w2 + b2, axis=-1)
    probs.name = "probs"
    return [x], [probs]
