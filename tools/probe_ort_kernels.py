#!/usr/bin/env python
"""Empirical probe: which ONNX opset-18 ops/dtypes ONNX Runtime (CPU EP) can run.

For each (op, dtype) a minimal 1-node model is built (all inputs are graph inputs,
never initializers), checked with onnx shape inference (strict, type-checked) and
onnx.checker.check_model(full_check=True) -> 'spec' if rejected; then run with
onnxruntime CPUExecutionProvider and graph optimizations disabled -> 'ok' or 'ort'.
The same model is also run with ORT_ENABLE_ALL; differences are reported.

Writes (next to this script):
  ort_kernels.json          {op: {dtype: "ok"|"spec"|"ort"}}   (Cast: {"from->to": ...})
  ort_kernels_details.json  {op: {dtype: {"status", "error", "opt_all"}}}
  SUMMARY.md                human summary + numerical surprises vs numpy
and, after a full run, the lowering's table ``lowering/ort_kernels.py`` (``render_table``).
A newer ONNX Runtime may run more pairs (1.32 adds uint16 BitShift); keep the table to what the
oldest release the models should load in runs (the committed one is onnxruntime 1.31's).
Usage: .venv/bin/python tools/probe_ort_kernels.py [--only OP[,OP...]]
"""

import json
import os
import sys
import time
import warnings

import numpy as np
import onnx
import onnx.helper as h
import onnxruntime as ort
from onnx import TensorProto as TP

OUTDIR = os.path.dirname(os.path.abspath(__file__))
OPSET = 18
IR_VERSION = 8

DTYPES = [
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
]
NP = {d: np.dtype(d) for d in DTYPES}
ONNX_T = {d: h.np_dtype_to_tensor_dtype(np.dtype(d)) for d in DTYPES}
FLOATS = ["float16", "float32", "float64"]


def arr(vals, dt, shape=None):
    a = np.array(vals).astype(NP[dt] if isinstance(dt, str) else dt)
    return a.reshape(shape) if shape is not None else a


def default(dt, shape=(4,)):
    n = int(np.prod(shape)) if len(shape) else 1
    v = [i % 2 == 0 for i in range(n)] if dt == "bool" else [i % 4 + 1 for i in range(n)]
    return arr(v, dt, shape)


I64 = lambda v, shape=None: arr(v, "int64", shape)


class Case:
    """One model: list of nodes, inputs [(name, ndarray)], output names."""

    def __init__(self, op, inputs, outputs=("out",), attrs=None, nodes=None, out_rank=None):
        # out_rank: rank to declare for outputs whose shape onnx cannot infer (e.g. Squeeze with
        # axes fed as a graph input); the checker requires a shape field on graph outputs.
        self.op, self.inputs, self.outputs = op, inputs, list(outputs)
        self.out_rank = out_rank
        self.attrs = attrs or {}
        self.nodes = nodes

    def model(self):
        ins = [
            h.make_tensor_value_info(n, h.np_dtype_to_tensor_dtype(a.dtype), list(a.shape))
            for n, a in self.inputs
        ]
        nodes = self.nodes or [
            h.make_node(self.op, [n for n, _ in self.inputs_for_node()], self.outputs, **self.attrs)
        ]
        outs = []
        for o in self.outputs:
            v = onnx.ValueInfoProto()
            v.name = o
            outs.append(v)
        g = h.make_graph(nodes, "probe", ins, outs)
        m = h.make_model(g, opset_imports=[h.make_opsetid("", OPSET)])
        m.ir_version = IR_VERSION
        return m

    def inputs_for_node(self):
        return [(n, a) if n else ("", None) for n, a in self.inputs]


def check(case):
    """returns (model|None, error|None)"""
    m = case.model()
    try:
        mi = onnx.shape_inference.infer_shapes(m, strict_mode=True, check_type=True)
    except Exception as e:
        return None, "infer: " + str(e).strip().splitlines()[0][:300]
    for o in mi.graph.output:
        if not o.type.HasField("tensor_type"):
            return None, "infer: output type not inferred"
        if not o.type.tensor_type.HasField("shape"):
            rank = case.out_rank if case.out_rank is not None else case.inputs[0][1].ndim
            shp = o.type.tensor_type.shape
            for i in range(rank):
                shp.dim.add().dim_param = f"{o.name}_d{i}"
    del mi.graph.value_info[:]
    try:
        onnx.checker.check_model(mi, full_check=True)
    except Exception as e:
        return None, "checker: " + str(e).strip().splitlines()[0][:300]
    return mi, None


def run_ort(model, feeds, level):
    so = ort.SessionOptions()
    so.graph_optimization_level = level
    so.log_severity_level = 4
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def ref_check(model, feeds, outs):
    """Compare ORT outputs with onnx.reference.ReferenceEvaluator; None if equal or unavailable."""
    try:
        from onnx.reference import ReferenceEvaluator

        with np.errstate(all="ignore"):
            exp = ReferenceEvaluator(model).run(None, feeds)
    except Exception:
        return None
    for i, (a, b) in enumerate(zip(outs, exp, strict=False)):
        b = np.asarray(b)
        if a.shape != b.shape:
            return f"output {i} shape ORT {a.shape} vs reference {b.shape}"
        if a.dtype.kind == "f":
            tol = 1e-2 if a.dtype == np.float16 else 1e-5
            if not np.allclose(
                a.astype(np.float64), b.astype(np.float64), rtol=tol, atol=tol, equal_nan=True
            ):
                return f"ORT {a.tolist()} vs reference {b.tolist()}"
        elif not np.array_equal(a, b.astype(a.dtype)):
            return f"ORT {a.tolist()} vs reference {b.tolist()}"
    return None


def probe(case):
    m, err = check(case)
    if m is None:
        return {"status": "spec", "error": err}
    feeds = {n: a for n, a in case.inputs if n}
    res = {}
    for key, lvl in (
        ("status", ort.GraphOptimizationLevel.ORT_DISABLE_ALL),
        ("opt_all", ort.GraphOptimizationLevel.ORT_ENABLE_ALL),
    ):
        try:
            outs = run_ort(m, feeds, lvl)
            res[key] = "ok"
            if key == "status":
                d = ref_check(m, feeds, outs)
                if d:
                    res["ref_mismatch"] = d[:300]
        except Exception as e:
            res[key] = "ort"
            if key == "status":
                msg = str(e).strip().splitlines()
                res["error"] = (msg[0] if msg else type(e).__name__)[:1000]
    return res


# ----------------------------------------------------------------------------------
# Case builders: each maps dtype -> Case
# ----------------------------------------------------------------------------------
def binary(op, **attrs):
    def f(dt):
        a = default(dt)
        b = arr([1, 2, 1, 2], dt) if dt != "bool" else arr([True, True, False, False], dt)
        if op == "BitShift":
            b = arr([1, 2, 1, 0], dt)
        return Case(op, [("A", a), ("B", b)], attrs=attrs)

    return f


def unary(op, **attrs):
    return lambda dt: Case(op, [("X", default(dt))], attrs=attrs)


def nary(op, n):
    return lambda dt: Case(op, [(f"x{i}", default(dt)) for i in range(n)])


def reduce_(op):
    return lambda dt: Case(
        op, [("X", default(dt, (2, 3))), ("axes", I64([1]))], attrs={"keepdims": 1}
    )


CASES = {}


def case(key):
    """Register the decorated model builder (dtype -> Case) under ``key``."""

    def register(build):
        CASES[key] = build
        return build

    return register


for op in [
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Pow",
    "Max",
    "Min",
    "Equal",
    "Less",
    "LessOrEqual",
    "Greater",
    "GreaterOrEqual",
    "And",
    "Or",
    "Xor",
    "BitwiseAnd",
    "BitwiseOr",
    "BitwiseXor",
]:
    CASES[op] = binary(op)
CASES["Mod[fmod=0]"] = binary("Mod", fmod=0)
CASES["Mod[fmod=1]"] = binary("Mod", fmod=1)
CASES["BitShift[LEFT]"] = binary("BitShift", direction="LEFT")


@case("Pow[base=float32]")
def _(dt):
    return Case("Pow", [("A", default("float32")), ("B", default(dt))])


@case("Pow[exp=int64]")
def _(dt):
    return Case("Pow", [("A", default(dt)), ("B", I64([1, 2, 1, 2]))])


for op in [
    "Neg",
    "Abs",
    "Sign",
    "Floor",
    "Ceil",
    "Round",
    "Sqrt",
    "Exp",
    "Log",
    "Reciprocal",
    "Sin",
    "Cos",
    "Tan",
    "Asin",
    "Acos",
    "Atan",
    "Sinh",
    "Cosh",
    "Tanh",
    "Asinh",
    "Acosh",
    "Atanh",
    "Sigmoid",
    "Softplus",
    "Erf",
    "IsNaN",
    "IsInf",
    "Not",
    "BitwiseNot",
    "Identity",
    "Relu",
    "HardSigmoid",
    "Softsign",
]:
    CASES[op] = unary(op)


@case("Where")
def _(dt):
    return Case(
        "Where",
        [("C", arr([1, 0, 1, 0], "bool")), ("X", default(dt)), ("Y", default(dt)[::-1].copy())],
    )


@case("Clip")
def _(dt):
    return Case(
        "Clip",
        [
            ("X", default(dt)),
            ("lo", arr(1 if dt != "bool" else False, dt)),
            ("hi", arr(3 if dt != "bool" else True, dt)),
        ],
    )


CASES["Sum"] = nary("Sum", 2)
CASES["Mean"] = nary("Mean", 2)
CASES["Max[3 inputs]"] = nary("Max", 3)
CASES["Min[3 inputs]"] = nary("Min", 3)


@case("Transpose")
def _(dt):
    return Case("Transpose", [("X", default(dt, (2, 3)))], attrs={"perm": [1, 0]})


@case("Squeeze")
def _(dt):
    return Case("Squeeze", [("X", default(dt, (1, 4))), ("axes", I64([0]))], out_rank=1)


@case("Unsqueeze")
def _(dt):
    return Case("Unsqueeze", [("X", default(dt)), ("axes", I64([0]))], out_rank=2)


@case("Reshape")
def _(dt):
    return Case("Reshape", [("X", default(dt)), ("shape", I64([2, 2]))])


@case("Expand")
def _(dt):
    return Case("Expand", [("X", default(dt)), ("shape", I64([2, 4]))])


@case("Concat")
def _(dt):
    return Case("Concat", [("a", default(dt)), ("b", default(dt))], attrs={"axis": 0})


@case("Slice")
def _(dt):
    return Case(
        "Slice",
        [
            ("X", default(dt)),
            ("starts", I64([1])),
            ("ends", I64([3])),
            ("axes", I64([0])),
            ("steps", I64([1])),
        ],
    )


@case("Gather")
def _(dt):
    return Case("Gather", [("X", default(dt)), ("idx", I64([0, 2]))], attrs={"axis": 0})


for op in [
    "ReduceSum",
    "ReduceMax",
    "ReduceMin",
    "ReduceProd",
    "ReduceMean",
    "ReduceLogSumExp",
    "ReduceL1",
    "ReduceL2",
    "ReduceSumSquare",
    "ReduceLogSum",
]:
    CASES[op] = reduce_(op)


@case("ArgMax")
def _(dt):
    return Case("ArgMax", [("X", default(dt, (2, 3)))], attrs={"axis": 1})


@case("ArgMin")
def _(dt):
    return Case("ArgMin", [("X", default(dt, (2, 3)))], attrs={"axis": 1})


@case("CumSum")
def _(dt):
    return Case("CumSum", [("X", default(dt)), ("axis", I64(0))])


@case("MatMul")
def _(dt):
    return Case("MatMul", [("A", default(dt, (2, 3))), ("B", default(dt, (3, 2)))])


@case("Gemm")
def _(dt):
    return Case("Gemm", [("A", default(dt, (2, 3))), ("B", default(dt, (3, 2)))])


@case("Gemm[with C]")
def _(dt):
    return Case(
        "Gemm", [("A", default(dt, (2, 3))), ("B", default(dt, (3, 2))), ("C", default(dt, (2,)))]
    )


@case("Einsum[ij,jk->ik]")
def _(dt):
    return Case(
        "Einsum",
        [("A", default(dt, (2, 3))), ("B", default(dt, (3, 2)))],
        attrs={"equation": "ij,jk->ik"},
    )


@case("Einsum[ij->j]")
def _(dt):
    return Case("Einsum", [("A", default(dt, (2, 3)))], attrs={"equation": "ij->j"})


@case("TopK")
def _(dt):
    return Case("TopK", [("X", default(dt)), ("K", I64([2]))], outputs=("v", "i"))


@case("Range")
def _(dt):
    return Case("Range", [("s", arr(0, dt)), ("l", arr(4, dt)), ("d", arr(1, dt))])


@case("Tile")
def _(dt):
    return Case("Tile", [("X", default(dt)), ("rep", I64([2]))])


@case("Pad[constant]")
def _(dt):
    return Case("Pad", [("X", default(dt)), ("pads", I64([1, 1]))])


@case("Pad[constant,value]")
def _(dt):
    return Case("Pad", [("X", default(dt)), ("pads", I64([1, 1])), ("cv", arr(0, dt))])


@case("Pad[reflect]")
def _(dt):
    return Case("Pad", [("X", default(dt)), ("pads", I64([1, 1]))], attrs={"mode": "reflect"})


@case("Pad[edge]")
def _(dt):
    return Case("Pad", [("X", default(dt)), ("pads", I64([1, 1]))], attrs={"mode": "edge"})


CASES["Shape"] = unary("Shape")
CASES["Size"] = unary("Size")


@case("ConstantOfShape")
def _(dt):
    return Case(
        "ConstantOfShape",
        [("shape", I64([2, 3]))],
        attrs={"value": h.make_tensor("v", ONNX_T[dt], [1], default(dt, (1,)).tolist())},
    )


@case("ScatterND[none]")
def _(dt):
    return Case(
        "ScatterND", [("data", default(dt)), ("idx", I64([[1], [3]])), ("upd", default(dt, (2,)))]
    )


@case("ScatterND[add]")
def _(dt):
    return Case(
        "ScatterND",
        [("data", default(dt)), ("idx", I64([[1], [3]])), ("upd", default(dt, (2,)))],
        attrs={"reduction": "add"},
    )


@case("ScatterElements[none]")
def _(dt):
    return Case(
        "ScatterElements",
        [("data", default(dt)), ("idx", I64([1, 3])), ("upd", default(dt, (2,)))],
        attrs={"axis": 0},
    )


@case("ScatterElements[add]")
def _(dt):
    return Case(
        "ScatterElements",
        [("data", default(dt)), ("idx", I64([1, 3])), ("upd", default(dt, (2,)))],
        attrs={"axis": 0, "reduction": "add"},
    )


@case("GatherND")
def _(dt):
    return Case("GatherND", [("data", default(dt, (2, 2))), ("idx", I64([[0, 1], [1, 0]]))])


@case("GatherElements")
def _(dt):
    return Case("GatherElements", [("data", default(dt)), ("idx", I64([3, 0]))], attrs={"axis": 0})


@case("OneHot[values=dt]")
def _(dt):
    return Case("OneHot", [("i", I64([0, 2])), ("d", I64(3)), ("v", arr([0, 1], dt))])


@case("OneHot[indices=dt]")
def _(dt):
    return Case("OneHot", [("i", arr([0, 1], dt)), ("d", I64(3)), ("v", arr([0, 1], "float32"))])


@case("OneHot[depth=dt]")
def _(dt):
    return Case(
        "OneHot",
        [
            ("i", I64([0, 2])),
            ("d", arr(3 if dt != "bool" else 1, dt)),
            ("v", arr([0, 1], "float32")),
        ],
    )


CASES["NonZero"] = unary("NonZero")


@case("Trilu")
def _(dt):
    return Case("Trilu", [("X", default(dt, (3, 3)))])


CASES["Softmax"] = unary("Softmax", axis=-1)
CASES["LogSoftmax"] = unary("LogSoftmax", axis=-1)


@case("Split")
def _(dt):
    return Case("Split", [("X", default(dt)), ("split", I64([2, 2]))], outputs=("a", "b"))


@case("Split[num_outputs]")
def _(dt):
    return Case("Split", [("X", default(dt))], outputs=("a", "b"), attrs={"num_outputs": 2})


@case("Conv")
def _(dt):
    return Case("Conv", [("X", default(dt, (1, 1, 4, 4))), ("W", default(dt, (1, 1, 2, 2)))])


@case("MaxPool")
def _(dt):
    return Case("MaxPool", [("X", default(dt, (1, 1, 4, 4)))], attrs={"kernel_shape": [2, 2]})


@case("AveragePool")
def _(dt):
    return Case("AveragePool", [("X", default(dt, (1, 1, 4, 4)))], attrs={"kernel_shape": [2, 2]})


@case("BatchNormalization")
def _(dt):
    return Case(
        "BatchNormalization",
        [
            ("X", default(dt, (1, 2, 2, 2))),
            ("scale", default(dt, (2,))),
            ("B", default(dt, (2,))),
            ("mean", default(dt, (2,))),
            ("var", default(dt, (2,))),
        ],
    )


def cast_case(src, dst):
    return Case("Cast", [("X", default(src))], attrs={"to": ONNX_T[dst]})


# ----------------------------------------------------------------------------------
# Numerical surprises: ORT vs numpy on chosen values
# ----------------------------------------------------------------------------------
def ort_eval(case):
    m, err = check(case)
    if m is None:
        return None, "spec: " + err
    try:
        return run_ort(
            m, {n: a for n, a in case.inputs if n}, ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        ), None
    except Exception as e:
        return None, "ort: " + str(e).strip().splitlines()[0][:200]


def numerics():
    out = []  # (title, input repr, ort, numpy ref, note, differs)

    def cmp(title, case, ref, note="", idx=0, show=False):
        """Record (title, inputs, ort result, reference, note, kind, show); kind: match, mismatch,
        spec or ort."""
        res, err = ort_eval(case)
        ins = "; ".join(
            "{}={}".format(
                n, np.array2string(a, separator=",", max_line_width=400, floatmode="unique")
            )
            for n, a in case.inputs
            if n
        )
        refs = (
            np.array2string(np.asarray(ref), separator=",", max_line_width=400, floatmode="unique")
            + f" ({np.asarray(ref).dtype})"
        )
        if res is None:
            out.append((title, ins, err, refs, note, err.split(":")[0], show))
            return
        r = res[idx]
        ref = np.asarray(ref)
        same = (
            r.dtype == ref.dtype
            and r.shape == ref.shape
            and np.array_equal(r, ref, equal_nan=r.dtype.kind == "f")
        )
        out.append(
            (
                title,
                ins,
                np.array2string(r, separator=",", max_line_width=400, floatmode="unique")
                + f" ({r.dtype})",
                refs,
                note,
                "match" if same else "mismatch",
                show,
            )
        )

    with np.errstate(all="ignore"):
        # Mod
        for dt in ["int8", "int32", "int64"]:
            a = arr([-7, 7, -7, 7, -8, 0], dt)
            b = arr([3, -3, -3, 3, 4, 5], dt)
            cmp(
                f"Mod fmod=0 {dt}",
                Case("Mod", [("A", a), ("B", b)], attrs={"fmod": 0}),
                np.mod(a, b),
                "spec: sign follows divisor (numpy np.mod)",
                show=True,
            )
            cmp(
                f"Mod fmod=1 {dt}",
                Case("Mod", [("A", a), ("B", b)], attrs={"fmod": 1}),
                np.fmod(a, b),
                "C fmod: sign follows dividend (np.fmod)",
                show=True,
            )
        a = arr([-7.5, 7.5, -7.5, 7.5, -0.0, 5.0], "float32")
        b = arr([2, -2, -2, 2, 3, np.inf], "float32")
        cmp(
            "Mod fmod=1 float32",
            Case("Mod", [("A", a), ("B", b)], attrs={"fmod": 1}),
            np.fmod(a, b),
        )
        cmp(
            "Mod fmod=0 float32 (spec says fmod must be 1 for floats)",
            Case("Mod", [("A", a), ("B", b)], attrs={"fmod": 0}),
            np.mod(a, b),
        )
        # Integer Div
        for dt in ["int32", "int64", "int8"]:
            a = arr([-7, 7, -7, 7, -1], dt)
            b = arr([2, -2, -2, 2, 3], dt)
            cmp(
                f"Div {dt} (negatives)",
                Case("Div", [("A", a), ("B", b)]),
                (np.trunc(a.astype(np.float64) / b)).astype(dt),
                f"reference = C truncation; numpy // floors: {(a // b).tolist()}",
                show=True,
            )
        a = arr([-128, 127], "int8")
        b = arr([-1, -1], "int8")
        cmp(
            "Div int8 -128/-1 (overflow)",
            Case("Div", [("A", a), ("B", b)]),
            arr([-128, -127], "int8"),
            "wrap-around expected",
        )
        # Round
        for dt in FLOATS:
            x = arr(
                [
                    0.5,
                    1.5,
                    2.5,
                    -0.5,
                    -1.5,
                    -2.5,
                    0.49999997,
                    3.5,
                    1e8 + 0.5 if dt == "float64" else 4.5,
                ],
                dt,
            )
            cmp(
                f"Round {dt} (.5 ties)",
                Case("Round", [("X", x)]),
                np.round(x),
                "spec: half to even",
                show=True,
            )
        # Cast float -> int
        fx = arr(
            [
                -1.5,
                -1.0,
                -0.5,
                0.7,
                127.9,
                128.0,
                255.9,
                256.0,
                300.0,
                -129.0,
                2.5e9,
                5e9,
                1e20,
                -1e20,
                np.nan,
                np.inf,
                -np.inf,
            ],
            "float32",
        )
        for dst in [
            "int8",
            "uint8",
            "int16",
            "uint16",
            "int32",
            "uint32",
            "int64",
            "uint64",
            "bool",
        ]:
            cmp(
                f"Cast float32->{dst} (out of range/negative/nan)",
                Case("Cast", [("X", fx)], attrs={"to": ONNX_T[dst]}),
                fx.astype(dst),
                "numpy astype itself is platform-defined for out-of-range values",
                show=True,
            )
        dx = arr([-1.5, 300.0, 2.5e9, 5e9, 1e20, np.nan, -np.inf], "float64")
        for dst in ["uint8", "int32", "uint32", "int64", "uint64"]:
            cmp(
                f"Cast float64->{dst}",
                Case("Cast", [("X", dx)], attrs={"to": ONNX_T[dst]}),
                dx.astype(dst),
                show=True,
            )
        hx = arr([-1.5, 300.0, 65504.0, -65504, np.nan, np.inf], "float16")
        for dst in ["uint8", "int16", "int32", "int64"]:
            cmp(
                f"Cast float16->{dst}",
                Case("Cast", [("X", hx)], attrs={"to": ONNX_T[dst]}),
                hx.astype(dst),
                show=True,
            )
        # Cast int narrowing / sign
        ix = arr([-1, 255, 256, -129, 2**31, 2**40 + 5, -(2**63)], "int64")
        for dst in ["int8", "uint8", "int32", "uint32", "uint64", "float16", "float32", "bool"]:
            cmp(
                f"Cast int64->{dst} (wrap)",
                Case("Cast", [("X", ix)], attrs={"to": ONNX_T[dst]}),
                ix.astype(dst),
                show=True,
            )
        ux = arr([2**64 - 1, 2**63, 2**53 + 1], "uint64")
        for dst in ["int64", "float32", "float64", "float16"]:
            cmp(
                f"Cast uint64->{dst}",
                Case("Cast", [("X", ux)], attrs={"to": ONNX_T[dst]}),
                ux.astype(dst),
            )
        # Cast float64 -> float16 rounding (double rounding through float32?)
        e = 2.0**-11
        vx = arr(
            [
                1 + e,
                1 + e + 2.0**-30,
                1 + 3 * e,
                1 + 3 * e - 2.0**-30,
                65504.0,
                65519.99,
                65520.0,
                1e6,
                2.0**-24,
                2.0**-25,
                2.0**-25 + 2.0**-40,
                3 * 2.0**-26,
                1e-10,
                -0.0,
                np.nan,
            ],
            "float64",
        )
        cmp(
            "Cast float64->float16 (rounding)",
            Case("Cast", [("X", vx)], attrs={"to": TP.FLOAT16}),
            vx.astype("float16"),
            "values chosen to expose double rounding via float32 and overflow/subnormal handling",
            show=True,
        )
        fvx = arr(
            [1 + e, 1 + e + 2.0**-20, 65519.99, 65520.0, 2.0**-25, 2.0**-25 + 2.0**-40, 1e-10],
            "float32",
        )
        cmp(
            "Cast float32->float16 (rounding)",
            Case("Cast", [("X", fvx)], attrs={"to": TP.FLOAT16}),
            fvx.astype("float16"),
        )
        f64 = arr(
            [0.1, 1 + 2.0**-24, 1 + 2.0**-24 + 2.0**-50, 3.4028235677973366e38, 1e39, 1e-46],
            "float64",
        )
        cmp(
            "Cast float64->float32 (rounding)",
            Case("Cast", [("X", f64)], attrs={"to": TP.FLOAT}),
            f64.astype("float32"),
        )
        # Cast bool / string-like
        bx = arr([-0.0, 0.0, 0.1, -2.0, np.nan], "float32")
        cmp(
            "Cast float32->bool (nan, -0.0)",
            Case("Cast", [("X", bx)], attrs={"to": TP.BOOL}),
            bx.astype(bool),
        )
        # Sign
        for dt in ["uint8", "uint32", "uint64", "int8"]:
            x = arr([0, 1, 200 if dt != "int8" else -5, 127], dt)
            cmp(f"Sign {dt}", Case("Sign", [("X", x)]), np.sign(x), show=True)
        x = arr([np.nan, -0.0, 0.0, -np.inf], "float32")
        cmp("Sign float32 (nan, -0)", Case("Sign", [("X", x)]), np.sign(x))
        # Abs / Neg overflow
        for dt, v in [
            ("int8", [-128, -1, 127]),
            ("int16", [-32768, 5, -5]),
            ("int32", [-(2**31), 3, -3]),
            ("int64", [-(2**63), 3, -3]),
        ]:
            x = arr(v, dt)
            cmp(f"Abs {dt} (min value)", Case("Abs", [("X", x)]), np.abs(x), show=True)
            cmp(f"Neg {dt} (min value)", Case("Neg", [("X", x)]), np.negative(x), show=True)
        for dt in ["uint8", "uint32", "uint64"]:
            x = arr([0, 1, 5], dt)
            cmp(f"Neg {dt}", Case("Neg", [("X", x)]), np.negative(x), show=True)
            cmp(f"Abs {dt}", Case("Abs", [("X", x)]), np.abs(x))
        # Integer overflow in Add/Mul
        a = arr([127, -128, 100], "int8")
        b = arr([1, -1, 100], "int8")
        cmp("Add int8 overflow", Case("Add", [("A", a), ("B", b)]), a + b)
        cmp("Mul int8 overflow", Case("Mul", [("A", a), ("B", b)]), a * b)
        a = arr([250, 0], "uint8")
        b = arr([10, 1], "uint8")
        cmp("Sub uint8 underflow", Case("Sub", [("A", b), ("B", a)]), b - a)
        # Pow integer
        a = arr([2, -2, 3, 0, 2, 10], "int64")
        b = arr([10, 3, -1, 0, 62, 20], "int64")
        cmp(
            "Pow int64",
            Case("Pow", [("A", a), ("B", b)]),
            np.array(
                [
                    int(x) ** int(y) if y >= 0 else int(np.trunc(float(x) ** int(y)))
                    for x, y in zip(a, b, strict=False)
                ],
                dtype=object,
            )
            .astype(np.float64)
            .astype(np.int64)
            if False
            else np.array(
                [
                    2**10,
                    -8,
                    0,
                    1,
                    2**62,
                    (10**20) % 2**64 - 2**64 if (10**20) % 2**64 >= 2**63 else (10**20) % 2**64,
                ],
                dtype=np.int64,
            ),
            "reference: exact integer power (wrapped), 3**-1 -> 0",
        )
        a = arr([2, 3, 1.5], "float32")
        b = arr([3, 2, 2], "int64")
        cmp(
            "Pow float32^int64",
            Case("Pow", [("A", a), ("B", b)]),
            np.power(a, b.astype(np.float32)),
        )
        a = arr([2, 3, 4], "int32")
        b = arr([0.5, 2.0, 0.5], "float32")
        cmp(
            "Pow int32^float32 (fractional exponent)",
            Case("Pow", [("A", a), ("B", b)]),
            np.power(a.astype(np.float64), b).astype(np.int32),
            "output dtype is base dtype (int32); reference truncates",
        )
        # Max / Min with NaN
        a = arr([np.nan, 1.0, np.nan], "float32")
        b = arr([1.0, np.nan, np.nan], "float32")
        cmp(
            "Max float32 NaN",
            Case("Max", [("A", a), ("B", b)]),
            np.maximum(a, b),
            "numpy propagates NaN",
        )
        cmp(
            "Min float32 NaN",
            Case("Min", [("A", a), ("B", b)]),
            np.minimum(a, b),
            "numpy propagates NaN",
        )
        x = arr([[1.0, np.nan, 3.0]], "float32")
        cmp(
            "ReduceMax float32 NaN",
            Case("ReduceMax", [("X", x), ("axes", I64([1]))], attrs={"keepdims": 0}, out_rank=1),
            np.max(x, axis=1),
        )
        cmp(
            "ArgMax float32 NaN",
            Case("ArgMax", [("X", x)], attrs={"axis": 1, "keepdims": 0}),
            np.argmax(x, axis=1),
        )
        x = arr([[1.0, 3.0, 3.0, 1.0]], "float32")
        cmp(
            "ArgMax ties",
            Case("ArgMax", [("X", x)], attrs={"axis": 1, "keepdims": 0}),
            np.argmax(x, axis=1),
            "first index expected (select_last_index=0)",
        )
        cmp(
            "ArgMin ties",
            Case("ArgMin", [("X", x)], attrs={"axis": 1, "keepdims": 0}),
            np.argmin(x, axis=1),
        )
        x = arr([np.nan, -1.0, 5.0], "float32")
        cmp(
            "Clip float32 NaN",
            Case("Clip", [("X", x), ("lo", arr(0, "float32")), ("hi", arr(1, "float32"))]),
            np.clip(x, 0, 1),
        )
        x = arr([np.nan, -0.0, -1.0], "float32")
        cmp("Relu float32 (nan,-0)", Case("Relu", [("X", x)]), np.maximum(x, np.float32(0)))
        # BitShift by >= bit width
        a = arr([1, 1, 255, 1], "uint8")
        b = arr([7, 8, 1, 9], "uint8")
        cmp(
            "BitShift LEFT uint8 (shift>=8)",
            Case("BitShift", [("A", a), ("B", b)], attrs={"direction": "LEFT"}),
            np.left_shift(a, b),
            "numpy: shift >= width -> 0",
        )
        a = arr([1, 2**31, 1], "uint32")
        b = arr([31, 1, 32], "uint32")
        cmp(
            "BitShift LEFT uint32 (shift 32)",
            Case("BitShift", [("A", a), ("B", b)], attrs={"direction": "LEFT"}),
            np.left_shift(a, b),
        )
        # Integer ReduceMean / Mean / AveragePool
        x = arr([[1, 2], [-3, -4]], "int32")
        cmp(
            "ReduceMean int32 (truncation)",
            Case("ReduceMean", [("X", x), ("axes", I64([1]))], attrs={"keepdims": 0}, out_rank=1),
            np.array([1, -3], np.int32),
            "reference: trunc(mean) [1.5,-3.5]->[1,-3]",
        )
        # Sqrt/Log of negative, Reciprocal of 0 for int (spec) / float
        x = arr([-1.0, 0.0, -0.0], "float32")
        cmp("Log float32 (neg, 0, -0)", Case("Log", [("X", x)]), np.log(x))
        cmp("Sqrt float32 (neg, -0)", Case("Sqrt", [("X", x)]), np.sqrt(x))
        # Float16 accumulation
        x = arr(np.full(4096, 1.0), "float16")[None, :]
        cmp(
            "ReduceSum float16 of 4096 ones",
            Case("ReduceSum", [("X", x), ("axes", I64([1]))], attrs={"keepdims": 0}, out_rank=1),
            np.array([4096.0], np.float16),
            "exact answer 4096; a pure fp16 accumulator saturates at 2048",
        )
        # Softmax on float16 large values
        x = arr([[10000.0, 10000.0, -65504.0]], "float16")
        cmp(
            "Softmax float16 large",
            Case("Softmax", [("X", x)], attrs={"axis": -1}),
            np.array([[0.5, 0.5, 0.0]], np.float16),
        )
        # Range with float accumulation
        cmp(
            "Range float32 (0, 1, 0.1)",
            Case(
                "Range",
                [("s", arr(0, "float32")), ("l", arr(1, "float32")), ("d", arr(0.1, "float32"))],
            ),
            np.arange(np.float32(0), np.float32(1), np.float32(0.1), dtype=np.float32),
            "spec: start + i*delta; numpy arange also multiplies",
        )
        # Cumsum int8 overflow, exclusive/reverse
        x = arr([100, 100, 100], "int8")
        cmp(
            "CumSum int8 (not in spec T)",
            Case("CumSum", [("X", x), ("axis", I64(0))]),
            np.cumsum(x, dtype=np.int8),
        )
        # Floor/Ceil -0.0 and int-valued
        x = arr([-0.5, 0.5, -0.0, 2.5e9], "float32")
        cmp(
            "Ceil float32 (-0.5 -> -0.0)",
            Case("Ceil", [("X", x)]),
            np.ceil(x),
            "check sign of zero below",
        )
        res, _ = ort_eval(Case("Ceil", [("X", x)]))
        if res is not None:
            a, b = bool(np.signbit(res[0][0])), bool(np.signbit(np.ceil(np.float32(-0.5))))
            out.append(
                (
                    "Ceil float32 signbit of ceil(-0.5)",
                    "X=-0.5",
                    str(a),
                    str(b),
                    "",
                    "match" if a == b else "mismatch",
                    False,
                )
            )
        # Mixed: Equal on float NaN
        a = arr([np.nan, 1.0], "float32")
        cmp("Equal float32 NaN", Case("Equal", [("A", a), ("B", a)]), a == a)
        # IsInf / IsNaN on float16
        x = arr([np.inf, -np.inf, np.nan, 1.0], "float16")
        cmp("IsInf float16", Case("IsInf", [("X", x)]), np.isinf(x))
        # Int Clip with min>max
        x = arr([0, 5, 10], "int32")
        cmp(
            "Clip int32 min>max",
            Case("Clip", [("X", x), ("lo", arr(6, "int32")), ("hi", arr(4, "int32"))]),
            np.minimum(np.maximum(x, 6), 4),
            "spec: min(max(x,lo),hi) -> all = hi",
        )
        # Gather negative index
        x = arr([10, 20, 30, 40], "int32")
        cmp(
            "Gather negative index",
            Case("Gather", [("X", x), ("i", I64([-1, 0]))], attrs={"axis": 0}),
            x[[-1, 0]],
        )
        # Slice with INT64_MAX end, negative step
        cmp(
            "Slice reverse (step -1, end=INT64_MIN)",
            Case(
                "Slice",
                [
                    ("X", x),
                    ("st", I64([-1])),
                    ("en", I64([-(2**63)])),
                    ("ax", I64([0])),
                    ("sp", I64([-1])),
                ],
            ),
            x[::-1],
        )
        # Einsum int
        a = arr([[1, 2], [3, 4]], "int64")
        cmp(
            "Einsum int64 ij,jk->ik",
            Case("Einsum", [("A", a), ("B", a)], attrs={"equation": "ij,jk->ik"}),
            a @ a,
        )
        # MatMul int64 ? (int32 and int64 matmul)
        cmp(
            "MatMul int32",
            Case("MatMul", [("A", a.astype(np.int32)), ("B", a.astype(np.int32))]),
            (a @ a).astype(np.int32),
        )
    return out


#: The lowering's table, written from a full run.
TABLE_PATH = os.path.join(os.path.dirname(OUTDIR), "lowering", "ort_kernels.py")
#: Short codes of the dtypes in the table.
CODES = {
    "bool": "b",
    "int8": "i8",
    "int16": "i16",
    "int32": "i32",
    "int64": "i64",
    "uint8": "u8",
    "uint16": "u16",
    "uint32": "u32",
    "uint64": "u64",
    "float16": "f16",
    "float32": "f32",
    "float64": "f64",
}
TABLE_HEADER = (
    '''"""Which dtypes ONNX Runtime's CPU kernels run, per ONNX op '''
    '''(opset 18, onnxruntime {version}).

Generated by ``tools/probe_ort_kernels.py`` (one-node models, graph optimizations off; do not
edit by hand, run the probe). An op/dtype pair missing here is either outside the ONNX spec or
has no ORT CPU kernel. The lowering emits an op natively only for these dtypes, and otherwise
computes in a wider dtype where that is exact, or refuses. Cast runs between every pair of
dtypes (all 144 pairs). Dtype codes: b bool, i8..i64 signed, u8..u64 unsigned, f16..f64 float.
"""

from __future__ import annotations

_DTYPES = {codes}


def _k(codes: str) -> frozenset[str]:
    return frozenset(_DTYPES[code] for code in codes.split())


ORT_KERNELS: dict[str, frozenset[str]] = {{
'''
)


def render_table(kernels, version):
    """The text of lowering/ort_kernels.py for ``kernels`` ({op: dtypes that run})."""
    codes = "{\n" + "".join(f'    "{c}": "{d}",\n' for d, c in CODES.items()) + "}"
    lines = [TABLE_HEADER.format(version=version, codes=codes)]
    for op in sorted(kernels):
        dtypes = " ".join(CODES[d] for d in DTYPES if d in kernels[op])
        lines.append(f'    "{op}": _k("{dtypes}"),\n')
    lines.append("}\n")
    return "".join(lines)


def table_of(status):
    """{op: dtypes whose probe ran} from the probe's statuses (Cast is not in the table)."""
    return {
        op: frozenset(dt for dt, st in by_dtype.items() if st == "ok")
        for op, by_dtype in status.items()
        if op != "Cast"
    }


def main():
    warnings.filterwarnings("ignore")
    ort.set_default_logger_severity(4)
    only = None
    if "--only" in sys.argv:
        only = set(sys.argv[sys.argv.index("--only") + 1].split(","))
    t0 = time.time()
    status, details = {}, {}
    for name, fn in CASES.items():
        if only and name not in only:
            continue
        status[name], details[name] = {}, {}
        for dt in DTYPES:
            try:
                r = probe(fn(dt))
            except Exception as e:  # builder bug
                r = {"status": "error", "error": f"builder: {e!r}"}
            status[name][dt] = r["status"]
            details[name][dt] = r
    if not only or "Cast" in only:
        status["Cast"], details["Cast"] = {}, {}
        for s in DTYPES:
            for d in DTYPES:
                r = probe(cast_case(s, d))
                status["Cast"][f"{s}->{d}"] = r["status"]
                details["Cast"][f"{s}->{d}"] = r
    t1 = time.time()
    num = numerics()
    t2 = time.time()
    suffix = "" if not only else ".partial"
    with open(os.path.join(OUTDIR, "ort_kernels.json" + suffix), "w") as f:
        json.dump(status, f, indent=1)
    with open(os.path.join(OUTDIR, "ort_kernels_details.json" + suffix), "w") as f:
        json.dump(details, f, indent=1)
    write_summary(
        status, details, num, t1 - t0, t2 - t1, os.path.join(OUTDIR, "SUMMARY.md" + suffix)
    )
    if not only:
        version = ".".join(ort.__version__.split(".")[:2])
        with open(TABLE_PATH, "w") as f:
            f.write(render_table(table_of(status), version))
    print(f"probe {t1 - t0:.1f}s, numerics {t2 - t1:.1f}s")


def short(dts):
    return ", ".join(dts) if dts else "-"


#: Hand-written findings of the onnxruntime 1.31.1 run, put at the top of SUMMARY.md.
with open(os.path.join(OUTDIR, "ort_kernels_findings.md")) as _findings:
    KEY_FINDINGS = "\n" + _findings.read()


def write_summary(status, details, num, tprobe, tnum, path):
    L = []
    L.append(
        f"# ONNX Runtime {ort.__version__} CPU EP kernel coverage, opset {OPSET} "
        f"(onnx {onnx.__version__}, IR {IR_VERSION})\n"
    )
    L.append(
        f"Generated by `probe_ort_kernels.py` (probe {tprobe:.0f}s, numerics {tnum:.0f}s). "
        "Models are 1-node, all inputs are graph inputs, ORT_DISABLE_ALL. `ok` = runs; "
        "`spec` = rejected by onnx strict type inference/checker; "
        "`ort` = spec allows but ORT fails (session creation or run). Full errors in "
        "`ort_kernels_details.json`.\n"
    )
    L.append(KEY_FINDINGS)
    L.append("## Per-op table\n")
    L.append("| op | ok | spec-allowed but ORT fails |")
    L.append("|---|---|---|")
    for op, m in status.items():
        if op == "Cast":
            continue
        ok = [d for d in DTYPES if m[d] == "ok"]
        bad = [d for d in DTYPES if m[d] == "ort"]
        err = [d for d in DTYPES if m[d] == "error"]
        oks = "all" if len(ok) == len(DTYPES) else short(ok)
        L.append(
            "| {} | {} | {}{} |".format(
                op, oks, short(bad), (f" (builder error: {short(err)})") if err else ""
            )
        )
    if "Cast" in status:
        c = status["Cast"]
        L.append("\n## Cast (from -> to)\n")
        L.append("| from \\ to | " + " | ".join(DTYPES) + " |")
        L.append("|---" * (len(DTYPES) + 1) + "|")
        for s in DTYPES:
            L.append(f"| {s} | " + " | ".join(c[f"{s}->{d}"] for d in DTYPES) + " |")
    # Distinct ORT error messages
    L.append("\n## ORT failure messages (first line, grouped)\n")
    for op, m in details.items():
        msgs = {}
        for dt, r in m.items():
            if r["status"] == "ort":
                e = r.get("error", "")
                key = e[:130]
                if "Status Message:" in e:
                    key += " ... " + e.split("Status Message:")[-1][-170:].strip()
                msgs.setdefault(key, []).append(dt)
        for msg, dts in msgs.items():
            L.append("- **{}** [{}]: `{}`".format(op, ", ".join(dts), msg.replace("`", "'")))
    diffs = [
        (op, dt)
        for op, m in details.items()
        for dt, r in m.items()
        if r["status"] != "spec" and r.get("opt_all") and r["opt_all"] != r["status"]
    ]
    L.append(
        "\n## 'ok' results that differ from onnx.reference.ReferenceEvaluator "
        "(default probe data)\n"
    )
    mm = [
        (op, dt, r["ref_mismatch"])
        for op, m in details.items()
        for dt, r in m.items()
        if r.get("ref_mismatch")
    ]
    L.append("\n".join("- {} {}: {}".format(*x) for x in mm) if mm else "None.")
    L.append("\n## Differences between ORT_DISABLE_ALL and ORT_ENABLE_ALL\n")
    L.append(
        (
            "- "
            + "\n- ".join(
                "{} {}: disable_all={} enable_all={}".format(
                    op, dt, details[op][dt]["status"], details[op][dt]["opt_all"]
                )
                for op, dt in diffs
            )
        )
        if diffs
        else "None."
    )
    L.append("\n## Numerical checks vs numpy / exact reference (ORT_DISABLE_ALL)\n")
    L.append(
        "`ref` is numpy unless the note says otherwise. numpy's own float->int cast of "
        "out-of-range values is platform-defined (x86: cvtt* -> INT_MIN / 0x80..; wraps via "
        "int64 for small types), so a 'match' there "
        "only means ORT behaves like x86 C casts, not that the result is meaningful.\n"
    )
    groups = [
        ("mismatch", "Mismatches vs reference"),
        ("ort", "ORT failed to run"),
        ("spec", "Rejected by the ONNX spec (informational)"),
    ]
    for kind, title in groups:
        L.append(f"\n### {title}\n")
        for t, ins, r, ref, note, k, _show in num:
            if k != kind:
                continue
            if kind == "spec":
                L.append(f"- {t}: `{r[:200]}`")
                continue
            L.append(
                "- **{}**: in `{}`\n  - ORT: `{}`\n  - ref: `{}`{}".format(
                    t, ins, r[:600], ref, ("\n  - note: " + note) if note else ""
                )
            )
    L.append("\n### Requested checks that match the reference (actual ORT values)\n")
    for t, ins, r, _ref, note, k, show in num:
        if k == "match" and show:
            L.append(
                "- {}: in `{}` -> `{}`{}".format(t, ins, r, ("  (" + note + ")") if note else "")
            )
    L.append("\n### Other checks that match the reference\n")
    L.append(", ".join(t for t, ins, r, ref, note, k, show in num if k == "match" and not show))
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
