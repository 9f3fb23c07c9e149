"""Ultralytics YOLO11n object detector expressed as a PyTensor graph.

See :mod:`benchmarks.yolo11n.model` for the network and the reference fixture it matches.
"""

from benchmarks.yolo11n.model import build, build_outputs, fixture_dir, load_fixture_weights

__all__ = ["build", "build_outputs", "fixture_dir", "load_fixture_weights"]
