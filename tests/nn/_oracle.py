"""Helpers for the nn tests: evaluate PyTensor graphs and single ONNX ops (oracle)."""

from __future__ import annotations

import numpy as np
import onnx
import pytensor
import pytensor.tensor as pt
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator


def run(fn_of_x, *arrays, static=True):
    """Build symbolic inputs, apply ``fn_of_x`` and evaluate (value, shape, out var)."""
    syms = [
        pt.tensor(f"i{k}", dtype=str(a.dtype), shape=a.shape if static else (None,) * a.ndim)
        for k, a in enumerate(arrays)
    ]
    out = fn_of_x(*syms)
    f = pytensor.function(syms, [out, out.shape], mode="FAST_COMPILE")
    val, shp = f(*arrays)
    return val, tuple(shp), out


def onnx_op(op_type, inputs, attrs=None, n_out=1, opset=18):
    """Run one ONNX node on numpy inputs with the onnx reference evaluator.

    ``inputs`` is a list of numpy arrays, or ``None`` for an omitted optional input.
    """
    names, inits, graph_inputs, feeds = [], [], [], {}
    for k, a in enumerate(inputs):
        if a is None:
            names.append("")
            continue
        name = f"in{k}"
        names.append(name)
        a = np.asarray(a)
        if a.dtype.kind == "f":
            graph_inputs.append(
                helper.make_tensor_value_info(
                    name, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape
                )
            )
            feeds[name] = a
        else:
            inits.append(onnx.numpy_helper.from_array(a, name))
    outs = [f"out{k}" for k in range(n_out)]
    node = helper.make_node(op_type, names, outs, **(attrs or {}))
    graph = helper.make_graph(
        [node],
        "g",
        graph_inputs,
        [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None) for o in outs],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return ReferenceEvaluator(model).run(None, feeds)[0]
