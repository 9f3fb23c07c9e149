"""PyMC models to ONNX in one call: the log-density and its gradient, and the expansion of a draw.

    from compiler.pymc import export_logp, export_expand

    result = export_logp(model)  # inputs: "theta" (the unconstrained point, float64[size])
    result.save("logp.onnx")  # outputs: "logp" (scalar), "dlogp" (float64[size])
    result.layout.variables  # name, shape, dtype, transform, slice of each free variable
    export_expand(model).save("expand.onnx")  # theta -> constrained values, deterministics

The point is raveled the way PyMC's samplers ravel it (``Model.logp_dlogp_function`` with
``ravel_inputs=True``: the value variables in ``model.value_vars`` order, each raveled in C
order, through ``pymc.pytensorf.join_nonshared_inputs``), so a point PyMC made
(``DictToArrayBijection.map``) is a valid input. The layout is also in the model's
``metadata_props`` under ``pymc_layout`` (JSON, see ``Layout.to_json``), for consumers that only
have ONNX Runtime. The graph goes through the rewrites of the ``ONNX`` PyTensor mode (``fast_run``
without ``compiler.mode.EXCLUDED_REWRITES``) before it is compiled.

PyMC is an optional dependency (the ``pymc`` extra); it is imported when a function is called.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from pytensor.compile import optdb
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.rewriting.db import RewriteDatabaseQuery
from pytensor.graph.traversal import graph_inputs

from compiler.driver import CompileOptions, Compiler, CompileResult
from compiler.errors import CompileError, OptionError
from compiler.mode import EXCLUDED_REWRITES

#: The ``metadata_props`` key of the layout JSON.
LAYOUT_KEY = "pymc_layout"
#: The name of the raveled unconstrained point input.
POINT_NAME = "theta"


@dataclass(frozen=True)
class VariableLayout:
    """Where one free variable's unconstrained value lives in the raveled point."""

    #: The random variable's name (``x``) and its value variable's name (``x_log__``).
    name: str
    value_name: str
    shape: tuple[int, ...]
    dtype: str
    #: The transform's class name (``LogTransform``, ``IntervalTransform``, ...), or None.
    transform: str | None
    #: ``point[start:stop].reshape(shape)`` is the unconstrained value.
    start: int
    stop: int


@dataclass(frozen=True)
class Layout:
    """The free variables of a raveled point, in order; ``size`` is the point's length."""

    variables: tuple[VariableLayout, ...]
    size: int
    jacobian: bool

    def to_json(self) -> str:
        """The layout as JSON: ``{"size", "jacobian", "variables": [{name, value_name, shape,
        dtype, transform, start, stop}, ...]}``."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Layout:
        data = json.loads(text)
        variables = tuple(
            VariableLayout(**{**v, "shape": tuple(v["shape"])}) for v in data["variables"]
        )
        return cls(variables=variables, size=data["size"], jacobian=data["jacobian"])

    def unravel(self, point: np.ndarray) -> dict[str, np.ndarray]:
        """The value of each variable (by value name) in the raveled ``point``."""
        return {
            v.value_name: np.asarray(point[v.start : v.stop]).reshape(v.shape).astype(v.dtype)
            for v in self.variables
        }

    def ravel(self, values: Mapping[str, Any]) -> np.ndarray:
        """The raveled point of values given by value name (PyMC's point dict)."""
        parts = [np.asarray(values[v.value_name], dtype=np.float64).ravel() for v in self.variables]
        return np.concatenate(parts) if parts else np.zeros(0)


class PyMCResult(CompileResult):
    """A ``CompileResult`` carrying the layout, written into the model's ``metadata_props``."""

    layout: Layout

    @classmethod
    def wrap(cls, result: CompileResult, layout: Layout) -> PyMCResult:
        wrapped = cls.__new__(cls)
        wrapped.__dict__.update(result.__dict__)
        wrapped.layout = layout
        return wrapped

    def to_onnx(self) -> onnx.ModelProto:
        """The ONNX model, with the layout JSON under ``metadata_props[LAYOUT_KEY]``."""
        fresh = self._model is None
        model = super().to_onnx()
        if fresh:
            onnx.helper.set_model_props(model, {LAYOUT_KEY: self.layout.to_json()})
        return model


def read_layout(model: onnx.ModelProto) -> Layout:
    """The layout stored in an exported model's ``metadata_props``."""
    for prop in model.metadata_props:
        if prop.key == LAYOUT_KEY:
            return Layout.from_json(prop.value)
    raise CompileError(f"the model has no {LAYOUT_KEY!r} metadata: not made by export_logp")


def export_logp(
    model: Any,
    *,
    jacobian: bool = True,
    gradient: bool = True,
    one_input_per_variable: bool = False,
    data_as_inputs: bool = False,
    **compile_options: Any,
) -> PyMCResult:
    """Compile ``model``'s log-density (outputs ``logp``, and ``dlogp`` with ``gradient``).

    The input is the raveled unconstrained point ``theta`` (float64), or with
    ``one_input_per_variable`` one input per value variable (named like it, its own shape).
    ``dlogp`` is always the raveled gradient in the layout's order. Data (``pm.Data``, any
    shared variable) are weights inside the model, or model inputs (named like the data) with
    ``data_as_inputs``. ``compile_options`` are ``CompileOptions`` fields. Ops the compiler
    cannot express raise ``UnsupportedOpError`` listing them all; discrete free variables
    raise ``CompileError`` (the point is a float vector and the gradient needs continuous
    variables)."""
    import pytensor
    import pytensor.tensor as pt
    from pymc.pytensorf import rewrite_pregrad

    value_vars = _continuous_value_vars(model)
    layout = _layout(model, value_vars, jacobian)
    logp = rewrite_pregrad(model.logp(jacobian=jacobian))
    outputs = [logp]
    if gradient:  # as ValueGradFunction: grads of the rewritten logp, raveled and joined
        grads = pytensor.grad(logp, value_vars, disconnected_inputs="ignore")
        outputs.append(pt.join(0, *[g.ravel() for g in grads]))
    names = ["logp", "dlogp"][: len(outputs)]
    return _export(
        model, value_vars, layout, outputs, names, one_input_per_variable, data_as_inputs,
        compile_options,
    )  # fmt: skip


def export_expand(
    model: Any,
    *,
    one_input_per_variable: bool = False,
    data_as_inputs: bool = False,
    **compile_options: Any,
) -> PyMCResult:
    """Compile the map from the unconstrained point to what a sampler stores: each free
    variable's constrained value, then each deterministic, as outputs named like them."""
    value_vars = _continuous_value_vars(model)
    layout = _layout(model, value_vars, jacobian=True)
    wanted = [*model.free_RVs, *model.deterministics]
    outputs = model.replace_rvs_by_values(wanted)
    names = [v.name for v in wanted]
    return _export(
        model, value_vars, layout, outputs, names, one_input_per_variable, data_as_inputs,
        compile_options,
    )  # fmt: skip


def _continuous_value_vars(model: Any) -> list[Variable]:
    value_vars = list(model.value_vars)
    discrete = [v.name for v in value_vars if not np.issubdtype(np.dtype(v.dtype), np.floating)]
    if discrete:
        raise CompileError(
            f"discrete free variables {discrete}: export_logp takes a float point (marginalize "
            "them or make them observed)"
        )
    if not value_vars:
        raise CompileError("the model has no free variables: there is no point to evaluate at")
    return value_vars


def _layout(model: Any, value_vars: Sequence[Variable], jacobian: bool) -> Layout:
    """Shapes come from the initial point, as in ``logp_dlogp_function``."""
    point = model.initial_point()
    entries, start = [], 0
    for value in value_vars:
        rv = model.values_to_rvs[value]
        transform = model.rvs_to_transforms.get(rv)
        shape = tuple(int(d) for d in np.shape(point[value.name]))
        stop = start + int(np.prod(shape, dtype=int))
        entries.append(
            VariableLayout(
                name=rv.name,
                value_name=value.name,
                shape=shape,
                dtype=str(value.dtype),
                transform=None if transform is None else type(transform).__name__,
                start=start,
                stop=stop,
            )
        )
        start = stop
    return Layout(variables=tuple(entries), size=start, jacobian=jacobian)


def _export(
    model: Any,
    value_vars: list[Variable],
    layout: Layout,
    outputs: list[Variable],
    names: list[str],
    one_input_per_variable: bool,
    data_as_inputs: bool,
    compile_options: dict[str, Any],
) -> PyMCResult:
    from pymc.pytensorf import join_nonshared_inputs

    if "shared_as_inputs" in compile_options:
        raise OptionError("export_logp sets shared_as_inputs: use data_as_inputs")
    try:
        options = CompileOptions(shared_as_inputs=data_as_inputs, **compile_options)
    except TypeError as e:
        raise OptionError(str(e)) from None
    if one_input_per_variable:
        inputs: list[Variable] = list(value_vars)
    else:
        point = model.initial_point()
        outputs, joined = join_nonshared_inputs(point, outputs, value_vars)
        joined.name = POINT_NAME
        inputs = [joined]
    outputs = [_as_output(o) for o in outputs]
    shared = [v for v in graph_inputs(outputs) if isinstance(v, SharedVariable)]
    fgraph = FunctionGraph([*inputs, *shared], outputs, clone=True)
    _rewrite(fgraph, check_bounds=getattr(model, "check_bounds", True))
    for out, name in zip(fgraph.outputs, names, strict=True):
        if out not in fgraph.inputs:  # rewrites replace outputs: name the final ones
            out.name = name
    result = Compiler(options).compile(fgraph)
    return PyMCResult.wrap(result, layout)


def _as_output(var: Variable) -> Variable:
    """``var``, or a copy of it when it is a graph input (an output is named, an input too)."""
    import pytensor.tensor as pt

    return pt.as_tensor_variable(var).copy() if var.owner is None else var


def _rewrite(fgraph: FunctionGraph, *, check_bounds: bool) -> None:
    """The rewrites of the ``ONNX`` PyTensor mode, so the export matches ``mode="ONNX"``, and
    PyMC's parameter checks as ``pymc.pytensorf.compile`` treats them: a logp term whose
    parameters are out of bounds is -inf (``check_bounds=False``: the checks are removed)."""
    check = (
        "local_check_parameter_to_ninf_switch" if check_bounds else "local_remove_check_parameter"
    )
    query = RewriteDatabaseQuery(include=["fast_run", check], exclude=list(EXCLUDED_REWRITES))
    optdb.query(query).rewrite(fgraph)


__all__ = [
    "LAYOUT_KEY", "POINT_NAME", "Layout", "PyMCResult", "VariableLayout", "export_expand",
    "export_logp", "read_layout",
]  # fmt: skip
