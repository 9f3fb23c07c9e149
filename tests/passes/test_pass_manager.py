"""The pass manager and its instrumentations: order of passes, ``PassStats``, ``IRPrinter``
(before/after, all or named, only on change), ``FolderDump``, ``StageRecorder``, failures
(``PassFailure`` for a pass that raises or leaves invalid IR) and the pass registry."""

from __future__ import annotations

import importlib
import io
import itertools
from pathlib import Path

import pytest

import passes
from ir.core import IRError, Module
from ir.parser import parse_module
from ir.printer import print_module
from ir.verifier import VerificationError
from passes import DEFAULT_PIPELINE, PASSES, Pass, PassFailure, PassManager, make_passes
from passes.pass_manager import ALL, FolderDump, Instrumentation, IRPrinter, StageRecorder
from tests.passes.support import ir

#: The example of the IR text form: every pass of the default pipeline has something to see.
EXAMPLE = ir(
    """
    func @main(%x: f32[batch, 3], %m: f32[2, 3]) {
      %0 = tir.constant dense<2> : i8[]
      %1 = tir.dimshuffle %0 {order = ["x", "x"]} : i8[1, 1]
      %2 = tir.mul %x, %1 : f32[batch, 3]
      %3 = tir.add %2, %1, %x : f32[batch, 3]
      return %3, %2 : "y", "z"
    }
    """
)

EXAMPLE_FINAL = ir(
    """
    func @main(%x: f32[batch, 3], %m: f32[2, 3]) {
      %0 = tir.constant dense<2.0> : f32[1, 1]
      %1 = tir.mul %x, %0 : f32[batch, 3]
      %2 = tir.add %1, %0, %x : f32[batch, 3]
      return %2, %1 : "y", "z"
    }
    """
)


def _run(
    names: tuple[str, ...] = DEFAULT_PIPELINE,
    source: str = EXAMPLE,
    **kwargs,
) -> tuple[Module, list]:
    module = parse_module(source)
    stats = PassManager(make_passes(names), **kwargs).run(module)
    return module, stats


# -- order and stats ---------------------------------------------------------------------------


class _Log(Pass):
    """Appends its tag to a shared log; changes nothing."""

    NAME = "log"

    def __init__(self, log: list[str], tag: str) -> None:
        super().__init__()
        self.log, self.tag = log, tag

    def run(self, module: Module) -> bool:
        self.log.append(self.tag)
        self.count("runs")
        return False


def test_pass_manager_runs_passes_in_order():
    log: list[str] = []
    manager = PassManager([_Log(log, "a"), _Log(log, "b"), _Log(log, "c")])
    stats = manager.run(parse_module(EXAMPLE))
    assert log == ["a", "b", "c"]
    assert [s.name for s in stats] == ["log", "log", "log"]
    assert all(s.counters == {"runs": 1} and not s.changed for s in stats)


def stage(index: int) -> str:
    """The stage name of the default pipeline's pass at ``index`` (``NN-<pass>``)."""
    position = index % len(DEFAULT_PIPELINE)
    return f"{position + 1:02d}-{DEFAULT_PIPELINE[position]}"


def test_pass_manager_stats_of_default_pipeline():
    module, stats = _run()
    assert print_module(module) == EXAMPLE_FINAL
    assert [s.name for s in stats] == list(DEFAULT_PIPELINE)
    assert all(s.seconds >= 0 for s in stats)
    table = {s.name: (s.ops_before, s.ops_after, s.changed) for s in stats}
    # Only the first four passes find work here; the others leave the 3 ops as they are.
    assert table == {name: (3, 3, False) for name in DEFAULT_PIPELINE} | {
        "lower-dimshuffle": (4, 4, True),
        "unify-casts": (4, 5, True),  # one cast of the unsqueezed constant
        "constant-fold": (5, 5, True),  # unsqueeze and cast folded, old constants left dead
        "canonicalize": (5, 3, True),  # the two dead constants erased
    }
    counters = {s.name: s.counters for s in stats}
    assert counters["lower-dimshuffle"] == {"lower_dimshuffle": 1}
    assert counters["unify-casts"] == {"casts-inserted": 1}
    assert counters["constant-fold"] == {"ops-folded": 2}
    assert counters["canonicalize"] == {"dead-ops-erased": 2}
    assert counters["cse"] == {"ops-merged": 0}
    assert counters["dce"] == {"ops-erased": 0}
    assert [s.op_delta for s in stats] == [0, 1, 0, -2] + [0] * (len(DEFAULT_PIPELINE) - 4)
    # Each pass starts where the previous one ended.
    assert all(a.ops_after == b.ops_before for a, b in itertools.pairwise(stats))


def test_pass_manager_stats_are_copies_of_counters():
    module = parse_module(EXAMPLE)
    dce = make_passes(["dce"])[0]
    (stats,) = PassManager([dce]).run(module)
    dce.counters["ops-erased"] = 99
    assert stats.counters == {"ops-erased": 0}


# -- IRPrinter ---------------------------------------------------------------------------------


def _header(title: str) -> str:
    return f"// -----// IR Dump {title} //----- //"


def _dumps(text: str) -> list[tuple[str, str]]:
    """(header, IR text) pairs of an IRPrinter's output."""
    out: list[tuple[str, str]] = []
    for chunk in text.split("// -----// IR Dump ")[1:]:
        title, _, body = chunk.partition(" //----- //\n")
        out.append((title, body.removesuffix("\n")))
    return out


def test_ir_printer_after_all_with_input():
    stream = io.StringIO()
    recorder = StageRecorder()
    _run(instrumentations=[IRPrinter(after=[ALL], input=True, stream=stream), recorder])
    dumps = _dumps(stream.getvalue())
    changed = ["lower-dimshuffle", "unify-casts", "constant-fold", "canonicalize"]
    assert [title for title, _ in dumps] == ["Before Pipeline (input)"] + [
        f"After {name}" if name in changed else f"After {name} (no change)"
        for name in DEFAULT_PIPELINE
    ]
    assert stream.getvalue().startswith(_header("Before Pipeline (input)") + "\n" + EXAMPLE)
    assert [body for _, body in dumps] == list(recorder.stages.values())
    assert dumps[-1][1] == EXAMPLE_FINAL


def test_ir_printer_after_named_pass_only():
    stream = io.StringIO()
    _run(instrumentations=[IRPrinter(after=["unify-casts"], stream=stream)])
    assert stream.getvalue() == (
        _header("After unify-casts")
        + "\n"
        + ir(
            """
            func @main(%x: f32[batch, 3], %m: f32[2, 3]) {
              %0 = tir.constant dense<2> : i8[]
              %1 = tir.unsqueeze %0 {axes = [0, 1]} : i8[1, 1]
              %2 = tir.cast %1 {to = f32} : f32[1, 1]
              %3 = tir.mul %x, %2 : f32[batch, 3]
              %4 = tir.add %3, %2, %x : f32[batch, 3]
              return %4, %3 : "y", "z"
            }
            """
        )
        + "\n"
    )


def test_ir_printer_only_on_change_skips_unchanged_passes():
    stream = io.StringIO()
    _run(instrumentations=[IRPrinter(after=[ALL], only_on_change=True, stream=stream)])
    assert [title for title, _ in _dumps(stream.getvalue())] == [
        "After lower-dimshuffle",
        "After unify-casts",
        "After constant-fold",
        "After canonicalize",
    ]


def test_ir_printer_only_on_change_named_unchanged_pass_prints_nothing():
    stream = io.StringIO()
    _run(instrumentations=[IRPrinter(after=["cse"], only_on_change=True, stream=stream)])
    assert stream.getvalue() == ""


def test_ir_printer_before_named_pass():
    stream = io.StringIO()
    recorder = StageRecorder()
    _run(instrumentations=[IRPrinter(before=["dce", "lower-dimshuffle"], stream=stream), recorder])
    dumps = _dumps(stream.getvalue())
    assert dumps == [
        ("Before lower-dimshuffle", EXAMPLE),
        ("Before dce", recorder.stages[stage(-2)]),
    ]


def test_ir_printer_before_all():
    stream = io.StringIO()
    _run(instrumentations=[IRPrinter(before=[ALL], stream=stream)])
    assert [t for t, _ in _dumps(stream.getvalue())] == [f"Before {n}" for n in DEFAULT_PIPELINE]


BIG_CONSTANT = ir(
    """
    func @main(%x: i32[17]) {
      %0 = tir.constant dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]> : i32[17]
      %1 = tir.add %x, %0 : i32[17]
      return %1 : "y"
    }
    """
)


def test_ir_printer_elides_large_constants_by_default():
    stream = io.StringIO()
    _run(("dce",), BIG_CONSTANT, instrumentations=[IRPrinter(after=[ALL], stream=stream)])
    assert "%0 = tir.constant dense<...> : i32[17]" in stream.getvalue()


def test_ir_printer_without_elision_prints_full_constants():
    stream = io.StringIO()
    printer = IRPrinter(after=[ALL], stream=stream, elide_constants_above=None)
    _run(("dce",), BIG_CONSTANT, instrumentations=[printer])
    ((_, body),) = _dumps(stream.getvalue())
    assert print_module(parse_module(body)) == print_module(parse_module(BIG_CONSTANT))


def test_ir_printer_writes_to_stdout_by_default(capsys: pytest.CaptureFixture[str]):
    _run(("dce",), instrumentations=[IRPrinter(after=["dce"])])
    assert capsys.readouterr().out.startswith(_header("After dce (no change)"))


# -- FolderDump, StageRecorder -----------------------------------------------------------------

NAN_CONSTANT = ir(
    """
    func @main(%x: f32[3]) {
      %0 = tir.constant dense<"0x0000C07F00000080000080FF"> : f32[3]
      %1 = tir.dimshuffle %x {order = [0]} : f32[3]
      %2 = tir.add %1, %0 : f32[3]
      return %2 : "y"
    }
    """
)


def test_folder_dump_writes_every_stage_readable(tmp_path: Path):
    folder = tmp_path / "dump"
    _run(source=NAN_CONSTANT, instrumentations=[FolderDump(folder)])
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["00-input.tir"] + [
        f"{i:02d}-{name}.tir" for i, name in enumerate(DEFAULT_PIPELINE, start=1)
    ]
    for path in folder.iterdir():
        text = path.read_text()
        assert print_module(parse_module(text)) == text, path.name
        assert "dense<...>" not in text
    assert (folder / "00-input.tir").read_text() == NAN_CONSTANT
    assert (folder / f"{stage(-1)}.tir").read_text() == ir(
        """
        func @main(%x: f32[3]) {
          %0 = tir.constant dense<"0x0000C07F00000080000080FF"> : f32[3]
          %1 = tir.add %x, %0 : f32[3]
          return %1 : "y"
        }
        """
    )


def test_folder_dump_keeps_large_constants(tmp_path: Path):
    _run(("dce",), BIG_CONSTANT, instrumentations=[FolderDump(tmp_path)])
    text = (tmp_path / "01-dce.tir").read_text()
    assert text == print_module(parse_module(BIG_CONSTANT))


def test_stage_recorder_keys_and_texts():
    recorder = StageRecorder()
    module, _ = _run(instrumentations=[recorder])
    assert list(recorder.stages) == ["00-input"] + [
        f"{i:02d}-{name}" for i, name in enumerate(DEFAULT_PIPELINE, start=1)
    ]
    assert recorder.stages["00-input"] == EXAMPLE
    assert recorder.stages[stage(-1)] == print_module(module) == EXAMPLE_FINAL


# -- failures ----------------------------------------------------------------------------------


class _Boom(Pass):
    NAME = "boom"

    def run(self, module: Module) -> bool:
        raise RuntimeError("kaboom")


class _BadPrecondition(Pass):
    NAME = "picky"

    def check_preconditions(self, module: Module) -> None:
        raise IRError("needs lowered dimshuffles")

    def run(self, module: Module) -> bool:  # pragma: no cover - never reached
        raise AssertionError("run after a failed precondition")


class _Corrupt(Pass):
    """Gives the first op a result type that does not match its inferred type."""

    NAME = "corrupt"

    def run(self, module: Module) -> bool:
        result = module.func.first.results[0]  # type: ignore[union-attr]
        result.type = result.type.with_dtype("float64")
        return True


def test_pass_failure_names_pass_and_previous_ones():
    module = parse_module(EXAMPLE)
    manager = PassManager([*make_passes(["lower-dimshuffle", "dce"]), _Boom()])
    with pytest.raises(PassFailure) as info:
        manager.run(module)
    failure = info.value
    assert failure.pass_name == "boom"
    assert failure.previous == ("lower-dimshuffle", "dce")
    assert isinstance(failure.cause, RuntimeError) and failure.__cause__ is failure.cause
    assert failure.ir_text == print_module(module)
    assert "tir.unsqueeze" in failure.ir_text  # the IR as the failing pass got it
    message = str(failure)
    assert message.startswith(
        "pass 'boom' failed (passes run before it: lower-dimshuffle, dce): RuntimeError: kaboom\n"
    )
    assert message.endswith("full text in .ir_text):\n" + failure.ir_text.rstrip("\n"))
    assert [s.name for s in manager.stats] == ["lower-dimshuffle", "dce"]


def test_pass_failure_of_first_pass_names_nothing_before():
    with pytest.raises(PassFailure, match=r"passes run before it: nothing"):
        PassManager([_Boom()]).run(parse_module(EXAMPLE))


def test_pass_failure_of_precondition():
    with pytest.raises(PassFailure) as info:
        PassManager([_BadPrecondition()]).run(parse_module(EXAMPLE))
    assert info.value.pass_name == "picky"
    assert isinstance(info.value.cause, IRError)
    assert "needs lowered dimshuffles" in str(info.value)


def test_pass_failure_message_excerpt_is_cut_at_40_lines():
    lines = [f"  %{i} = tir.neg %{i - 1 if i else 'x'} : f32[2]" for i in range(60)]
    source = "func @main(%x: f32[2]) {\n" + "\n".join(lines) + '\n  return %59 : "y"\n}\n'
    with pytest.raises(PassFailure) as info:
        PassManager([_Boom()]).run(parse_module(source))
    message = str(info.value)
    assert info.value.ir_text == source
    assert "  %38 = tir.neg %37 : f32[2]\n  ..." in message
    assert "%39 = tir.neg" not in message


def test_pass_failure_ir_printer_prints_failed_ir():
    stream = io.StringIO()
    with pytest.raises(PassFailure):
        PassManager([_Boom()], instrumentations=[IRPrinter(stream=stream)]).run(
            parse_module(EXAMPLE)
        )
    assert _dumps(stream.getvalue()) == [("After boom Failed", EXAMPLE)]


def test_pass_failure_on_invalid_ir_when_verifying():
    with pytest.raises(PassFailure) as info:
        PassManager([_Corrupt()], verify_each=True).run(parse_module(EXAMPLE))
    failure = info.value
    assert failure.pass_name == "corrupt"
    assert isinstance(failure.cause, VerificationError)
    assert "do not match the inferred" in str(failure)
    assert "%0 = tir.constant dense<2> : f64[]" in failure.ir_text


def test_invalid_ir_passes_without_verification():
    (stats,) = PassManager([_Corrupt()], verify_each=False).run(parse_module(EXAMPLE))
    assert stats.changed


def test_instrumentation_hooks_called_in_order():
    events: list[str] = []

    class Spy(Instrumentation):
        def before_pipeline(self, module: Module) -> None:
            events.append("pipeline")

        def before_pass(self, name: str, module: Module) -> None:
            events.append(f"before {name}")

        def after_pass(self, name: str, module: Module, changed: bool) -> None:
            events.append(f"after {name} {changed}")

    _run(("cse", "lower-dimshuffle"), instrumentations=[Spy()])
    assert events == [
        "pipeline",
        "before cse",
        "after cse False",
        "before lower-dimshuffle",
        "after lower-dimshuffle True",
    ]


# -- registry ----------------------------------------------------------------------------------


def test_make_passes_unknown_name_lists_known_passes():
    with pytest.raises(ValueError) as info:
        make_passes(["dce", "fold-everything"])
    message = str(info.value)
    assert "fold-everything" in message
    assert str(sorted(PASSES)) in message


def test_make_passes_instantiates_in_order():
    made = make_passes(["dce", "cse", "dce"])
    assert [p.NAME for p in made] == ["dce", "cse", "dce"]
    assert made[0] is not made[2]


def test_default_pipeline_names_are_registered_passes():
    assert len(set(DEFAULT_PIPELINE)) == len(DEFAULT_PIPELINE)
    assert set(DEFAULT_PIPELINE) <= set(PASSES)


def test_pass_names_match_their_file_names():
    for name, cls in PASSES.items():
        assert name == cls.NAME
        module = importlib.import_module(cls.__module__)
        assert Path(module.__file__ or "").stem.replace("_", "-") == name
        assert module.__name__ == f"passes.{name.replace('-', '_')}"
    assert passes.PASSES is PASSES
