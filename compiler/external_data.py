"""ONNX external data: a model's large weights in one data file next to it.

Protobuf cannot serialize a message of 2 GB or more, so larger models keep their big
initializers in ``<model>.onnx.data`` (each tensor at an aligned offset) and only references
to them in the ``.onnx`` file. Shape-like (int64) and small tensors stay inline.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import onnx

#: The largest message protobuf serializes (2 GiB - 1 byte).
PROTOBUF_LIMIT = 2**31 - 1
#: Tensors smaller than this stay inside the model file.
MIN_EXTERNAL_BYTES = 1024
#: Offsets of tensors in the data file are multiples of this (aligned for memory mapping).
ALIGNMENT = 64


def with_external_data(
    model: onnx.ModelProto,
    data_file: BinaryIO,
    location: str,
    *,
    min_bytes: int = MIN_EXTERNAL_BYTES,
) -> onnx.ModelProto:
    """A copy of ``model`` whose large tensors are written to ``data_file`` and replaced by
    references to ``location`` (the data file's path relative to the model file). ``model``
    itself is not changed."""
    header = onnx.ModelProto()
    header.CopyFrom(model)
    for tensor in _external_candidates(header.graph, min_bytes):
        _move_data(tensor, data_file, location)
    return header


def _external_candidates(graph: onnx.GraphProto, min_bytes: int) -> Iterator[onnx.TensorProto]:
    """Initializers of ``graph`` and its subgraphs with at least ``min_bytes`` of raw data,
    int64 (shape-like) tensors excepted."""
    for tensor in graph.initializer:
        if (
            tensor.data_type != onnx.TensorProto.INT64
            and tensor.data_location != onnx.TensorProto.EXTERNAL
            and len(tensor.raw_data) >= min_bytes
        ):
            yield tensor
    for node in graph.node:
        for attribute in node.attribute:
            subgraphs = [attribute.g] if attribute.HasField("g") else attribute.graphs
            for subgraph in subgraphs:
                yield from _external_candidates(subgraph, min_bytes)


def _move_data(tensor: onnx.TensorProto, data_file: BinaryIO, location: str) -> None:
    """Append ``tensor``'s bytes to ``data_file`` at an aligned offset; point the tensor there."""
    offset = -data_file.tell() % ALIGNMENT + data_file.tell()
    data_file.write(b"\0" * (offset - data_file.tell()))
    data = tensor.raw_data
    data_file.write(data)
    tensor.ClearField("raw_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", offset), ("length", len(data))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, str(value)
