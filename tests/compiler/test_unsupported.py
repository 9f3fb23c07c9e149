"""Every op the compiler cannot express is listed in one error, with the user's stack trace."""

from __future__ import annotations

import pytensor.tensor as pt
import pytest
from pytensor.graph.fg import FunctionGraph

from compiler import Compiler, UnsupportedOpError


def test_unsupported_ops_all_listed_with_traces(tmp_path) -> None:
    x = pt.vector("x", dtype="float64")
    a = pt.gammaln(x)  # line A: no ONNX equivalent
    b = pt.erfc(x) + a  # line B: erfc is refused (1 - erf loses precision)
    c = pt.arcsin(b)  # float64 arcsin: ONNX Runtime has no kernel
    fgraph = FunctionGraph([x], [c])
    out = tmp_path / "model.onnx"
    with pytest.raises(UnsupportedOpError) as info:
        Compiler().compile(fgraph).save(out)
    err = info.value
    reported = [o.op for o in err.ops]
    assert any("gammaln" in op.lower() for op in reported)
    assert any("erfc" in op.lower() for op in reported)
    message = str(err)
    assert "unsupported ops in the graph" in message
    assert __file__ in message and "pt.gammaln(x)" in message and "pt.erfc(x)" in message
    assert not out.exists()


def test_unsupported_lowering_listed_together() -> None:
    x = pt.vector("x", dtype="float64")
    y = pt.arcsin(x) + pt.arctan(x) + pt.erf(x)
    result = Compiler().compile(FunctionGraph([x], [y]))
    with pytest.raises(UnsupportedOpError) as info:
        result.to_onnx()
    assert len(info.value.ops) == 3
    assert all("float64" in o.reason for o in info.value.ops)
    assert __file__ in str(info.value)


def test_unsupported_dtype_reported() -> None:
    z = pt.vector("z", dtype="complex128")
    with pytest.raises(UnsupportedOpError, match="complex128"):
        Compiler().compile(FunctionGraph([z], [z * 2]))
