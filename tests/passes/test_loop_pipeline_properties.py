"""Property test of the default pipeline over random loop programs: bodies mixing carried
values, the iteration number, outer values (invariants), an index read that fails when out of
range, nested loops and early exits. The optimized program must give the same bits as the
original in the interpreter (and must not fail where the original does not: hoisting may not
make a maybe-empty loop's x[k] run), and ONNX Runtime must agree with it."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import onnxruntime as ort
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.testing import assert_same_bits
from ir.interpreter import run_module
from ir.parser import parse_module
from ir.printer import print_module
from lowering import emit_model
from passes import DEFAULT_PIPELINE, PassManager, make_passes

F3 = "f32[3]"


@st.composite
def loop_programs(draw: st.DrawFn) -> str:
    """IR text of a function (%n, %m: i64[], %x, %y: f32[3], %k: i64[]) with a loop (and
    maybe a nested one) whose ops mix everything in scope."""
    counter = iter(range(1000))

    def emit(pool: list[str], counters: list[str], indent: str, out: list[str]) -> str:
        """One f32[3] value computed from the pool; returns its name."""
        kind = draw(st.sampled_from(["add", "mul", "neg", "maximum", "gather", "iter", "const"]))
        name = f"%v{next(counter)}"
        a, b = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
        if kind == "iter" and not counters:
            kind = "neg"
        if kind in ("add", "mul", "maximum"):
            out.append(f"{indent}{name} = tir.{kind} {a}, {b} : {F3}")
        elif kind == "neg":
            out.append(f"{indent}{name} = tir.neg {a} : {F3}")
        elif kind == "const":
            value = draw(st.sampled_from(["0.5", "-2.0", "3.0"]))
            out.append(f"{indent}{name}s = tir.constant dense<{value}> : f32[]")
            out.append(f"{indent}{name} = tir.mul {a}, {name}s : {F3}")
        elif kind == "gather":  # x[k]: an error in ORT and numpy when k is out of range
            out.append(f"{indent}{name}s = tir.gather %x, %k {{axis = 0}} : f32[]")
            out.append(f"{indent}{name} = tir.add {a}, {name}s : {F3}")
        else:  # reads an iteration number in scope
            i = draw(st.sampled_from(counters))
            out.append(f"{indent}{name}s = tir.cast {i} {{to = f32}} : f32[]")
            out.append(f"{indent}{name} = tir.add {a}, {name}s : {F3}")
        return name

    def loop(tag: str, pool: list[str], counters: list[str], indent: str, out: list[str],
             nest: bool) -> list[str]:  # fmt: skip
        """A loop whose body draws on ``pool``; returns its result names."""
        k = draw(st.integers(1, 2))
        inits = [draw(st.sampled_from(pool)) for _ in range(k)]
        args = [f"%{tag}a{j}" for j in range(k)]
        inner_pool, inner_counters = [*pool, *args], [*counters, f"%{tag}"]
        body: list[str] = []
        for _ in range(draw(st.integers(1, 5))):
            inner_pool.append(emit(inner_pool, inner_counters, indent + "  ", body))
        if nest and draw(st.booleans()):
            inner = loop("o", inner_pool, inner_counters, indent + "  ", body, nest=False)
            inner_pool += inner
        cond = f"%{tag}c"
        if draw(st.booleans()):  # early exit
            body.append(
                f"{indent}  %{tag}lim = tir.constant dense<{draw(st.integers(0, 3))}> : i64[]"
            )
            body.append(f"{indent}  %{tag}go = tir.lt %{tag}, %{tag}lim : bool[]")
            cond = f"%{tag}go"
        nexts = [draw(st.sampled_from(inner_pool)) for _ in range(k)]
        scans = [draw(st.sampled_from(inner_pool)) for _ in range(draw(st.integers(0, 2)))]
        results = [f"%r{tag}{j}" for j in range(k + len(scans))]
        types = [F3] * k + ["f32[?, 3]"] * len(scans)
        head = ", ".join([f"%{tag}: i64[]", f"%{tag}c: bool[]", *(f"{a}: {F3}" for a in args)])
        trip = "%n" if tag == "i" else "%m"
        out.append(f"{indent}{', '.join(results)} = tir.loop {trip}, %t, {', '.join(inits)} : "
                   f"{', '.join(types)} {{")  # fmt: skip
        out.append(f"{indent}^({head}):")
        out.extend(body)
        out.append(f"{indent}  yield {', '.join([cond, *nexts, *scans])}")
        out.append(f"{indent}}}")
        return results[:k]  # only the carried results are f32[3]

    lines = ["  %t = tir.constant dense<true> : bool[]"]
    pool = ["%x", "%y"]
    for _ in range(draw(st.integers(0, 2))):
        pool.append(emit(pool, [], "  ", lines))
    loop("i", pool, [], "  ", lines, nest=True)
    head = next(line for line in lines if line.startswith("  %ri"))
    results = head.split(" = ")[0].strip().split(", ")
    outs = draw(st.lists(st.sampled_from(results), min_size=1, max_size=3, unique=True))
    names = ", ".join(f'"o{i}"' for i in range(len(outs)))
    body = "\n".join(lines)
    return (
        "func @main(%n: i64[], %m: i64[], %x: f32[3], %y: f32[3], %k: i64[]) {\n"
        f"{body}\n  return {', '.join(outs)} : {names}\n}}\n"
    )


@functools.cache
def _optimized(source: str) -> tuple[str, ort.InferenceSession]:
    module = parse_module(source)
    PassManager(make_passes(DEFAULT_PIPELINE), verify_each=True).run(module)
    model = emit_model(module)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return print_module(module), session


@settings(max_examples=60)
@given(program=loop_programs(), seed=st.integers(0, 2**16))
def test_default_pipeline_keeps_loop_programs_exact(program: str, seed: int) -> None:
    optimized, session = _optimized(program)
    x, y = np.random.default_rng(seed).standard_normal((2, 3)).astype(np.float32)
    # Trip counts with and without iterations; an index in range and one out of it.
    for n, m, k in itertools.product((0, 2), (0, 3), (1, 3)):
        feeds = [np.array(n), np.array(m), x, y, np.array(k)]
        try:
            want = run_module(parse_module(program), feeds)
        except IndexError:  # x[k] out of range in an iteration that runs: an error either way
            continue
        got = run_module(parse_module(optimized), feeds)
        for w, g in zip(want, got, strict=True):
            assert_same_bits(w, g)
        by_name = dict(zip(["n", "m", "x", "y", "k"], feeds, strict=True))
        outs = session.run(None, {i.name: by_name[i.name] for i in session.get_inputs()})
        for w, g in zip(want, outs, strict=True):
            assert w.shape == np.shape(g)
            assert_same_bits(w, np.asarray(g))
