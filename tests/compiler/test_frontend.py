"""Frontend tests: PyTensor graphs → the IR text the frontend must produce."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import Mode
from pytensor.graph.fg import FunctionGraph

from compiler.frontend import FrontendOptions, import_fgraph
from ir import ops
from ir.printer import print_module
from ir.verifier import verify_module


def imported(outputs, inputs=None, **options) -> str:
    fgraph = (
        FunctionGraph(inputs, outputs, clone=True) if inputs else FunctionGraph(outputs=outputs)
    )
    module = import_fgraph(fgraph, FrontendOptions(**options))
    verify_module(module)
    return print_module(module)


def test_import_int8_literals_stay_int8() -> None:
    x = pt.vector("x", dtype="float32")
    y = x * 2 + 3
    y.name = "y"
    assert imported([y], [x]) == (
        "func @main(%x: f32[x_0]) {\n"
        "  %0 = tir.constant dense<3> : i8[]\n"
        '  %1 = tir.dimshuffle %0 {order = ["x"]} : i8[1]\n'
        "  %2 = tir.constant dense<2> : i8[]\n"
        '  %3 = tir.dimshuffle %2 {order = ["x"]} : i8[1]\n'
        "  %4 = tir.mul %x, %3 : f32[x_0]\n"
        "  %y = tir.add %4, %1 : f32[x_0]\n"
        '  return %y : "y"\n'
        "}\n"
    )


def test_import_dimshuffle_keeps_pytensor_order() -> None:
    m = pt.tensor("m", dtype="float32", shape=(2, 3))
    assert imported([m.dimshuffle(1, "x", 0)], [m]) == (
        "func @main(%m: f32[2, 3]) {\n"
        '  %0 = tir.dimshuffle %m {order = [1, "x", 0]} : f32[3, 1, 2]\n'
        '  return %0 : "output_0"\n'
        "}\n"
    )


def test_import_float64_constant_promotes_like_pytensor() -> None:
    x = pt.vector("x", dtype="float32")
    text = imported([x * 0.1], [x])
    assert "tir.constant dense<0.1> : f64[]" in text
    assert "tir.mul %x, %1 : f64[x_0]" in text


def test_import_shared_variable_becomes_named_constant() -> None:
    x = pt.vector("x", dtype="float32")
    w = pytensor.shared(np.array([1.0, 2.0, 3.0], dtype="float32"), name="w")
    text = imported([x * w])
    assert text == (
        "func @main(%x: f32[x_0]) {\n"
        "  %w = tir.constant dense<[1.0, 2.0, 3.0]> : f32[3]\n"
        "  %0 = tir.mul %x, %w : f32[3]\n"
        '  return %0 : "output_0"\n'
        "}\n"
    )


def test_import_shared_variable_as_input_has_static_shape() -> None:
    x = pt.vector("x", dtype="float32")
    w = pytensor.shared(np.zeros((3,), dtype="float32"), name="w")
    text = imported([x * w], [x, w], shared_as_inputs=True)
    assert text.startswith("func @main(%x: f32[x_0], %w: f32[3]) {\n")


def test_import_dim_names_from_options() -> None:
    x = pt.tensor("x", dtype="float32", shape=(None, 3, None))
    text = imported([pt.exp(x)], [x], dim_names={"x": {0: "batch", -1: "time"}})
    assert text.startswith("func @main(%x: f32[batch, 3, time]) {\n")


def test_import_names_made_unique_and_non_empty() -> None:
    a = pt.vector("a", dtype="float32")
    b = pt.vector("a", dtype="float32")
    c = pt.vector(dtype="float32")
    out1, out2 = a + b, a - c
    out1.name = out2.name = "a"
    text = imported([out1, out2], [a, b, c])
    assert text.startswith("func @main(%a: f32[a_0], %a_1: f32[a_1_0], %input_2: f32[input_2_0]) {")
    assert text.rstrip().endswith(': "a_2", "a_3"\n}')


def test_import_composite_expands_scalar_graph() -> None:
    x = pt.vector("x", dtype="float64")
    y = pt.exp(x) * 2.0 + pt.sin(x)
    f = pytensor.function([x], y, mode=Mode(linker="py", optimizer="fast_run"))
    module = import_fgraph(f.maker.fgraph)
    verify_module(module)
    names = [op.NAME for op in module.func.ops]
    assert "tir.exp" in names and "tir.sin" in names and "tir.add" in names
    assert all(not n.startswith("Composite") for n in names)


def test_import_records_location_of_user_code() -> None:
    x = pt.vector("x", dtype="float32")
    y = pt.exp(x)  # the trace must point here
    module = import_fgraph(FunctionGraph([x], [y]))
    (exp,) = [op for op in module.func.ops if isinstance(op, ops.Exp)]
    assert exp.location is not None
    assert "Exp" in exp.location.origin
    assert any(frame[0] == __file__ for frame in exp.location.trace)


def test_import_does_not_modify_user_graph() -> None:
    x = pt.vector("x", dtype="float32")
    y = pt.sigmoid(x) * x
    fgraph = FunctionGraph([x], [y], clone=False)
    before = pytensor.printing.debugprint(fgraph, file="str")
    import_fgraph(fgraph)
    assert pytensor.printing.debugprint(fgraph, file="str") == before


def test_import_rejects_bad_dim_name() -> None:
    x = pt.vector("x", dtype="float32")
    with pytest.raises(ValueError, match="not an identifier"):
        import_fgraph(FunctionGraph([x], [x + 1]), FrontendOptions(dim_names={"x": {0: "a b"}}))
