"""Shared argument-normalisation helpers for the :mod:`nn` ops."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt


def pair(value, name: str) -> tuple[int, int]:
    """Normalise an int or a pair of ints to a ``(h, w)`` tuple of Python ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value), int(value))
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        return (int(value[0]), int(value[1]))
    raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")


def positive_pair(value, name: str) -> tuple[int, int]:
    p = pair(value, name)
    if min(p) < 1:
        raise ValueError(f"{name} must be >= 1, got {value!r}")
    return p


def explicit_pads(padding, name: str = "padding") -> tuple[tuple[int, int], tuple[int, int]]:
    """Normalise int / (ph, pw) / ((top, bottom), (left, right)) to the last form."""
    if (
        isinstance(padding, (tuple, list))
        and len(padding) == 2
        and all(isinstance(p, (tuple, list)) for p in padding)
    ):
        pads = []
        for p in padding:
            if len(p) != 2 or not all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in p
            ):
                raise TypeError(
                    f"{name} must be ((top, bottom), (left, right)) ints, got {padding!r}"
                )
            pads.append((int(p[0]), int(p[1])))
        result = (pads[0], pads[1])
    else:
        ph, pw = pair(padding, name)
        result = ((ph, ph), (pw, pw))
    if min(result[0] + result[1]) < 0:
        raise ValueError(f"{name} must be non-negative, got {padding!r}")
    return result


def as_4d(x, what: str):
    x = pt.as_tensor_variable(x)
    if x.type.ndim != 4:
        raise ValueError(f"{what} expects a 4-D NCHW tensor, got a {x.type.ndim}-D tensor")
    return x


def static(v):
    """Python int for a static dim (None if unknown)."""
    return None if v is None else int(v)
