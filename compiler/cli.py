"""The ``ptonnx`` command line: compile a PyTensor graph, run passes over IR text, picture a
graph.

    ptonnx compile model.py:build -o model.onnx [--verify] [--print-ir-after-all] ...
    ptonnx opt file.tir -p lower-dimshuffle,dce [--print-ir-after-all]
    ptonnx show model.onnx -o graph.svg

Exit codes: 0 success; 1 an error in what was given (the graph, the IR, a file), with its
message; 2 a usage error; 3 an internal compiler error (a bug: the traceback is printed).
"""

from __future__ import annotations

import argparse
import inspect
import re
import runpy
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from compiler.errors import CompileError, InvalidGraphError, OptionError
from compiler.files import write_atomically
from compiler.show import ShowError, picture_format, picture_of_file, render, to_dot
from ir.core import IRError
from ir.diagnostics import verify_with_context
from ir.parser import parse_module
from ir.printer import print_module
from passes import DEFAULT_PIPELINE, PASSES, PassFailure, PassManager, make_passes
from passes.pass_manager import ALL, Instrumentation, IRPrinter
from passes.rewriter import RewriteTracer

if TYPE_CHECKING:  # PyTensor is imported by the commands that need it: `ptonnx opt` does not
    from pytensor.graph.fg import FunctionGraph

    from compiler.driver import CompileResult

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
#: The size ``--verify`` gives to symbolic dims nothing else fixes (``verify.DEFAULT_DIM_SIZE``,
#: which imports PyTensor; a test checks that the two agree).
VERIFY_DIM_SIZE = 2


class UsageError(Exception):
    """The command line asks for something that does not exist (exit code 2)."""


class InputError(Exception):
    """What was given cannot be used: a missing file, a script or builder that fails or
    returns something that is not a graph."""


#: Errors in what the user gave: reported by their message alone (exit code 1).
USER_ERRORS = (CompileError, IRError, PassFailure, InputError, ShowError, OSError)


# -- entry point --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ptonnx`` with ``argv`` (default: the process's); returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2), already printed by argparse
        return int(e.code or 0)
    try:
        return args.run(args)
    except (UsageError, OptionError) as e:
        args.parser.print_usage(sys.stderr)
        print(f"ptonnx {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except USER_ERRORS as e:
        print(f"ptonnx {args.command}: error: {_message(e)}", file=sys.stderr)
        return EXIT_ERROR
    except Exception:
        traceback.print_exc()
        print(
            f"ptonnx {args.command}: internal compiler error (a bug; please report it with "
            "the traceback above)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _message(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.strerror or error}: {error.filename}"
    return str(error)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ptonnx",
        description="Compile PyTensor graphs to ONNX (opset 18); tools around the compiler.",
        epilog="Exit codes: 0 ok, 1 error in the input, 2 usage error, 3 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_compile_command(commands)
    _add_opt_command(commands)
    _add_show_command(commands)
    return parser


def _version() -> str:
    """The installed distribution's version (``pyproject.toml``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pytensor-onnx")
    except PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown"


def _command(
    commands: Any,
    name: str,
    run: Callable[[argparse.Namespace], int],
    summary: str,
    description: str,
) -> argparse.ArgumentParser:
    """A subcommand whose ``run(args)`` gives the exit code."""
    parser = commands.add_parser(name, help=summary, description=description)
    parser.set_defaults(run=run, parser=parser)
    return parser


def _add_ir_print_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--print-ir-after-all", action="store_true",
                        help="print the IR before the pipeline and after every pass")  # fmt: skip
    parser.add_argument("--print-ir-after", metavar="PASS", action="append", default=[],
                        type=_pass_list, help="print the IR after these passes (repeatable, "
                        "or comma-separated)")  # fmt: skip
    parser.add_argument("--debug-rewrites", action="store_true",
                        help="report every pattern rewrite on stderr: which pattern fired on "
                        "which op, which declined and why")  # fmt: skip


# -- ptonnx compile -----------------------------------------------------------------------------


def _add_compile_command(commands: Any) -> None:
    cmd = _command(
        commands, "compile", _run_compile,
        "compile a PyTensor graph built by a Python function to an ONNX model",
        "Compile the graph that BUILDER (a function in SCRIPT, called without arguments) "
        "returns, as (inputs, outputs) or as a FunctionGraph, to an ONNX model.",
    )  # fmt: skip
    cmd.add_argument("target", metavar="SCRIPT:BUILDER", help="e.g. examples/mlp.py:build")
    cmd.add_argument("-o", "--output", required=True, metavar="MODEL", help="the .onnx file")
    _add_ir_print_flags(cmd)
    cmd.add_argument("--dump-dir", metavar="DIR", help="write each stage as DIR/NN-<stage>.tir")
    cmd.add_argument("--pipeline", type=_pass_list, metavar="A,B,C",
                     help=f"passes in order (default: {','.join(DEFAULT_PIPELINE)})")  # fmt: skip
    cmd.add_argument("--dim-name", action="append", default=[], type=_dim_name,
                     metavar="INPUT:AXIS=NAME",
                     help="name an unknown input dim, e.g. x:0=batch (repeatable)")  # fmt: skip
    cmd.add_argument("--verify", action="store_true",
                     help="run the model in ONNX Runtime and the graph in PyTensor on random "
                     "inputs and print the max errors; an unknown dim takes the size the "
                     "graph fixes for it (a weight it meets), else --input-shape's, else "
                     f"{VERIFY_DIM_SIZE}")  # fmt: skip
    cmd.add_argument("--input-shape", action="append", default=[], type=_input_shape,
                     metavar="NAME=D0,D1,...",
                     help="the shape of input NAME in --verify's random inputs, e.g. x=8,4 "
                     "(repeatable; NAME= for a 0-d input)")  # fmt: skip
    cmd.add_argument("--seed", type=int, default=0, help="random seed of --verify (default 0)")


def _run_compile(args: argparse.Namespace) -> int:
    from compiler.driver import CompileOptions, Compiler

    fgraph = load_graph(args.target)
    options = CompileOptions(
        pipeline=args.pipeline or DEFAULT_PIPELINE,
        print_ir_after_all=args.print_ir_after_all,
        print_ir_after=tuple(name for names in args.print_ir_after for name in names),
        dump_dir=args.dump_dir,
        dim_names=_merge_dim_names(args.dim_name),
        debug_rewrites=args.debug_rewrites,
    )
    result = Compiler(options).compile(fgraph)
    given = dict(args.input_shape)
    if args.input_shape and not args.verify:
        raise UsageError("--input-shape shapes the random inputs of --verify: add --verify")
    # (Shapes that name no input, or have another rank, fail before anything is written.)
    shapes = "; ".join(str(s) for s in result.random_input_shapes(given)) if args.verify else ""
    path = result.save(args.output)
    data = path.with_name(f"{path.name}.data")
    external = f" and {data} ({data.stat().st_size} bytes)" if data.exists() else ""
    nodes = len(result.to_onnx().graph.node)
    print(f"wrote {path} ({nodes} nodes, {path.stat().st_size} bytes){external}")
    if not args.verify:
        return EXIT_OK
    report = result.verify(seed=args.seed, input_shapes=given)
    print(f"ONNX Runtime against PyTensor on random inputs (seed {args.seed}; {shapes}):\n{report}")
    print(f"max abs error: {report.max_abs:.3g}")
    if not report.ok:
        print("ptonnx compile: error: the model's outputs differ from PyTensor's", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _pass_list(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in PASSES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown passes {unknown}; known passes: {', '.join(sorted(PASSES))}"
        )
    return names


_DIM_NAME = re.compile(r"(?P<input>.+):(?P<axis>-?\d+)=(?P<name>[A-Za-z_][A-Za-z0-9_]*)\Z")


def _dim_name(text: str) -> tuple[str, int, str]:
    match = _DIM_NAME.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not INPUT:AXIS=NAME (e.g. x:0=batch; NAME is an identifier)"
        )
    return match["input"], int(match["axis"]), match["name"]


_INPUT_SHAPE = re.compile(r"(?P<input>.+)=(?P<dims>(\d+(,\d+)*)?)\Z")


def _input_shape(text: str) -> tuple[str, tuple[int, ...]]:
    match = _INPUT_SHAPE.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not NAME=D0,D1,... (e.g. x=8,4; sizes are integers >= 0)"
        )
    dims = match["dims"]
    return match["input"], tuple(int(d) for d in dims.split(",")) if dims else ()


def _merge_dim_names(entries: Sequence[tuple[str, int, str]]) -> dict[str, dict[int, str]]:
    merged: dict[str, dict[int, str]] = {}
    for input_name, axis, name in entries:
        merged.setdefault(input_name, {})[axis] = name
    return merged


def load_graph(target: str) -> FunctionGraph:
    """The graph ``SCRIPT:BUILDER`` builds: the script is run (as a module, not as
    ``__main__``), then its function ``BUILDER`` is called without arguments."""
    script, sep, builder_name = target.rpartition(":")
    if not sep or not script or not builder_name:
        raise UsageError(f"{target!r} is not SCRIPT:BUILDER (e.g. examples/mlp.py:build)")
    path = Path(script)
    if not path.is_file():
        raise InputError(f"no such script: {script}")
    namespace = _run_user_code(path, lambda: runpy.run_path(str(path), run_name="ptonnx_script"))
    builder = namespace.get(builder_name)
    if not callable(builder):
        functions = sorted(k for k, v in namespace.items() if inspect.isfunction(v))
        raise InputError(f"{script} defines no function {builder_name!r}; it has {functions}")
    return graph_of(_run_user_code(path, builder), builder_name)


def _run_user_code(script: Path, call: Callable[[], Any]) -> Any:
    """Call ``call`` (the user's code) with the script's folder and the working directory
    importable (the latter as under ``python -m compiler``, so that ``ptonnx`` finds the same
    modules, e.g. a project's ``benchmarks``); an exception is reported with the frames of the
    user's script only."""
    folders = list(dict.fromkeys([str(script.resolve().parent), str(Path.cwd())]))
    sys.path[:0] = folders
    try:
        return call()
    except Exception as e:
        frames = [
            f for f in traceback.extract_tb(e.__traceback__)
            if Path(f.filename).resolve() == script.resolve()
        ]  # fmt: skip
        where = "".join(traceback.format_list(frames))
        raise InputError(f"{script} raised {type(e).__name__}: {e}\n{where}".rstrip()) from e
    finally:
        for folder in folders:
            sys.path.remove(folder)


def graph_of(built: Any, builder_name: str = "builder") -> FunctionGraph:
    """A FunctionGraph from what a builder returned: a FunctionGraph, or ``(inputs,
    outputs)`` (each a variable or a list of them); shared variables are found by
    themselves. The user's variables are not modified (the graph is a clone)."""
    from pytensor.graph.fg import FunctionGraph

    from compiler.driver import graph_from

    if isinstance(built, FunctionGraph):
        return built
    if not (isinstance(built, tuple | list) and len(built) == 2):
        raise InputError(
            f"{builder_name}() returned {type(built).__name__}; expected (inputs, outputs) "
            "or a FunctionGraph"
        )
    try:
        return graph_from(*built)
    except InvalidGraphError as e:
        raise InputError(
            f"{builder_name}() returned a graph that cannot be compiled: {e}"
        ) from None


def random_inputs(
    result: CompileResult,
    *,
    seed: int = 0,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
) -> list[np.ndarray]:
    """The random arrays ``--verify`` feeds (``CompileResult.verify`` without arrays): normal
    floats, small non-negative integers, random booleans, of the shapes
    ``CompileResult.random_input_shapes`` gives."""
    from compiler.verify import random_arrays

    shapes = result.random_input_shapes(input_shapes)
    return random_arrays(shapes, [a.dtype for a in result.module.func.args], seed=seed)


# -- ptonnx opt ---------------------------------------------------------------------------------


def _add_opt_command(commands: Any) -> None:
    cmd = _command(
        commands, "opt", _run_opt, "run passes over IR text and print the result",
        "Read IR text (as printed by the compiler or --dump-dir), run the passes in order, "
        "verifying after each, and print the resulting IR on stdout (--print-ir-* dumps go "
        "to stderr).",
    )  # fmt: skip
    cmd.add_argument("input", metavar="FILE", help="a .tir file, or - for standard input")
    cmd.add_argument("-p", "--passes", type=_pass_list, default=(), metavar="A,B,C",
                     help=f"passes in order (known: {', '.join(sorted(PASSES))})")  # fmt: skip
    cmd.add_argument("-o", "--output", metavar="FILE", help="write the IR here, not to stdout")
    _add_ir_print_flags(cmd)


def _run_opt(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.input == "-" else Path(args.input).read_text()
    after = tuple(name for names in args.print_ir_after for name in names)
    # The IR dumps go to stderr: stdout is the resulting IR, ready to be piped.
    out = run_opt(text, args.passes, print_ir_after_all=args.print_ir_after_all,
                  print_ir_after=after, ir_stream=sys.stderr,
                  debug_rewrites=args.debug_rewrites)  # fmt: skip
    if args.output is None:
        sys.stdout.write(out)
    else:
        write_atomically(args.output, out)
    return EXIT_OK


def run_opt(
    text: str,
    passes: Sequence[str],
    *,
    print_ir_after_all: bool = False,
    print_ir_after: Sequence[str] = (),
    ir_stream: TextIO | None = None,
    debug_rewrites: bool = False,
) -> str:
    """Parse IR text, verify it, run ``passes`` (verifying after each) and return the
    printed result: what ``ptonnx opt`` prints, for golden tests to call in-process.

    Raises ``ParseError`` (with a ``^`` under the bad spot), ``VerificationError`` (with the
    bad op marked by ``>``), ``PassFailure``, or ``ValueError`` for an unknown pass. Printed
    IR (``print_ir_*``) goes to ``ir_stream`` (default: standard output), and so does the
    rewrite trace of ``debug_rewrites`` (default: standard error)."""
    module = parse_module(text)
    verify_with_context(module, "parsing")
    instrumentations: list[Instrumentation] = []
    if print_ir_after_all or print_ir_after:
        after = (ALL,) if print_ir_after_all else tuple(print_ir_after)
        instrumentations.append(IRPrinter(after=after, input=print_ir_after_all, stream=ir_stream))
    if debug_rewrites:
        instrumentations.append(RewriteTracer(ir_stream))
    PassManager(make_passes(tuple(passes)), verify_each=True,
                instrumentations=instrumentations).run(module)  # fmt: skip
    return print_module(module)


# -- ptonnx show --------------------------------------------------------------------------------


def _add_show_command(commands: Any) -> None:
    cmd = _command(
        commands, "show", _run_show, "draw a model or IR file as a graph (Graphviz)",
        "Draw an ONNX model or a .tir IR file: op types on the nodes, dtypes and shapes on "
        "the edges. .dot/.gv output is DOT text (no Graphviz needed); .svg/.png/.pdf are "
        "rendered by Graphviz's `dot`.",
    )  # fmt: skip
    cmd.add_argument("input", metavar="MODEL", help="a .onnx model or a .tir IR file")
    cmd.add_argument("-o", "--output", required=True, metavar="PICTURE", type=_picture_path,
                     help="graph.dot, graph.gv, graph.svg, graph.png or graph.pdf")  # fmt: skip


def _picture_path(text: str) -> str:
    try:
        picture_format(text)
    except ShowError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def _run_show(args: argparse.Namespace) -> int:
    if not Path(args.input).is_file():
        raise InputError(f"no such file: {args.input}")
    path = render(to_dot(picture_of_file(args.input)), args.output)
    print(f"wrote {path}")
    return EXIT_OK


__all__ = [
    "build_parser", "graph_of", "load_graph", "main", "random_inputs", "run_opt",
]  # fmt: skip
