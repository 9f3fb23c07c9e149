"""The IR and the passes stand on their own: importing them does not load PyTensor or ``nn/``
(nor scipy, which the interpreter imports on first use).

Checked in a fresh interpreter (``sys.modules`` of a subprocess), since this test process has
imported PyTensor long before.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["ir", "ir.interpreter", "passes"])
def test_import_does_not_load_pytensor_or_nn(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pytensor', 'nn', 'scipy'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"import {module} loaded {out}"


_TEXT = """func @main(%x: f32[2]) {
  %0 = tir.neg %x : f32[2]
  return %0 : "y"
}
"""


def test_str_prints_ir_text_and_repr_stays_short() -> None:
    from ir.parser import parse_module

    module = parse_module(_TEXT)
    assert str(module) == _TEXT
    assert str(module.func) == _TEXT
    op = next(iter(module.func.ops))
    assert str(op) == "%0 = tir.neg %x : f32[2]"
    assert repr(module) == "<Module @main: 1 ops>"
    assert repr(module.func) == "<Function @main: 1 args, 1 ops>"


def test_registering_a_taken_op_name_is_an_error() -> None:
    from ir.core import Operation
    from ir.fields import Operand

    with pytest.raises(TypeError, match=r"'tir\.neg' is already registered"):

        class AnotherNeg(Operation):
            NAME = "tir.neg"
            x = Operand()
