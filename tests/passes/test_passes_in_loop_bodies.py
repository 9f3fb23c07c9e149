"""The passes reach into `tir.loop` bodies: canonicalize, constant-fold, cse, fuse-silu,
unify-casts and lower-dimshuffle rewrite there as anywhere; cse merges a body's op into an
equal one defined before the loop, never the other way; sink-into-regions never moves an op
into a body (it would run every iteration)."""

from __future__ import annotations

import numpy as np

from tests.passes.support import assert_golden, assert_numbers, assert_unchanged, f32

X3 = f32(0.5, -1.0, 2.0)
TRIPS = (0, 1, 3)


def _check_numbers(source: str, passes: list[str]) -> None:
    for n in TRIPS:
        assert_numbers(source, passes, [np.array(n), X3])


def test_canonicalize_in_loop_body() -> None:
    source = """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.cast %a {to = f32} : f32[3]
            %2 = tir.neg %1 : f32[3]
            yield %c, %2
          }
          return %0 : "y"
        }
    """
    assert_golden(
        source,
        "canonicalize",
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.neg %a : f32[3]
            yield %c, %1
          }
          return %0 : "y"
        }
        """,
    )
    _check_numbers(source, ["canonicalize"])


def test_constant_fold_in_loop_body() -> None:
    source = """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.constant dense<2.0> : f32[]
            %2 = tir.neg %1 : f32[]
            %3 = tir.mul %a, %2 : f32[3]
            yield %c, %3
          }
          return %0 : "y"
        }
    """
    assert_golden(
        source,
        ["constant-fold", "dce"],
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.constant dense<-2.0> : f32[]
            %2 = tir.mul %a, %1 : f32[3]
            yield %c, %2
          }
          return %0 : "y"
        }
        """,
    )
    _check_numbers(source, ["constant-fold", "dce"])


def test_constant_fold_leaves_the_iteration_number_alone() -> None:
    assert_unchanged(
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.cast %i {to = f32} : f32[]
            %2 = tir.add %a, %1 : f32[3]
            yield %c, %2
          }
          return %0 : "y"
        }
        """,
        "constant-fold",
    )


CSE_SOURCE = """
    func @main(%n: i64[], %x: f32[3]) {
      %t = tir.constant dense<true> : bool[]
      %0 = tir.exp %x : f32[3]
      %1 = tir.loop %n, %t, %x : f32[3] {
      ^(%i: i64[], %c: bool[], %a: f32[3]):
        %2 = tir.exp %a : f32[3]
        %3 = tir.exp %a : f32[3]
        %4 = tir.exp %x : f32[3]
        %5 = tir.add %2, %3 : f32[3]
        %6 = tir.add %5, %4 : f32[3]
        yield %c, %6
      }
      %7 = tir.exp %1 : f32[3]
      %8 = tir.add %0, %7 : f32[3]
      return %8 : "y"
    }
"""


def test_cse_merges_into_outer_values_but_never_outwards() -> None:
    # The two exp(%a) merge; exp(%x) in the body merges into %0, defined before the loop;
    # exp(%1) after the loop reads the loop's result: a different value.
    assert_golden(
        CSE_SOURCE,
        "cse",
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.exp %x : f32[3]
          %1 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %2 = tir.exp %a : f32[3]
            %3 = tir.add %2, %2 : f32[3]
            %4 = tir.add %3, %0 : f32[3]
            yield %c, %4
          }
          %5 = tir.exp %1 : f32[3]
          %6 = tir.add %0, %5 : f32[3]
          return %6 : "y"
        }
        """,
    )
    _check_numbers(CSE_SOURCE, ["cse"])


def test_cse_never_merges_an_outer_op_into_a_body_or_across_branches() -> None:
    # exp(%x) first appears inside the loop (and in each branch): the later outer one stays,
    # as does each branch's own.
    assert_unchanged(
        """
        func @main(%n: i64[], %x: f32[3], %p: bool[]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.exp %x : f32[3]
            %2 = tir.add %a, %1 : f32[3]
            yield %c, %2
          }
          %3 = tir.if %p : f32[3] {
            %4 = tir.exp %x : f32[3]
            yield %4
          } {
            %5 = tir.exp %x : f32[3]
            %6 = tir.neg %5 : f32[3]
            yield %6
          }
          %7 = tir.exp %x : f32[3]
          %8 = tir.add %0, %3 : f32[3]
          %9 = tir.add %8, %7 : f32[3]
          return %9 : "y"
        }
        """,
        "cse",
    )


def test_hoist_then_cse_merges_with_the_outer_value() -> None:
    assert_golden(
        CSE_SOURCE,
        ["hoist-loop-invariants", "cse"],
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.exp %x : f32[3]
          %1 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %2 = tir.exp %a : f32[3]
            %3 = tir.add %2, %2 : f32[3]
            %4 = tir.add %3, %0 : f32[3]
            yield %c, %4
          }
          %5 = tir.exp %1 : f32[3]
          %6 = tir.add %0, %5 : f32[3]
          return %6 : "y"
        }
        """,
    )
    _check_numbers(CSE_SOURCE, ["hoist-loop-invariants", "cse"])


def test_fuse_silu_in_loop_body() -> None:
    source = """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.sigmoid %a : f32[3]
            %2 = tir.mul %a, %1 : f32[3]
            yield %c, %2
          }
          return %0 : "y"
        }
    """
    assert_golden(
        source,
        "fuse-silu",
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.silu %a : f32[3]
            yield %c, %1
          }
          return %0 : "y"
        }
        """,
    )


def test_unify_casts_casts_a_body_argument_inside_the_body() -> None:
    source = """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.mul %a, %i : f64[3]
            %2 = tir.cast %1 {to = f32} : f32[3]
            yield %c, %2
          }
          return %0 : "y"
        }
    """
    assert_golden(
        source,
        "unify-casts",
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.cast %i {to = f64} : f64[]
            %2 = tir.cast %a {to = f64} : f64[3]
            %3 = tir.mul %2, %1 : f64[3]
            %4 = tir.cast %3 {to = f32} : f32[3]
            yield %c, %4
          }
          return %0 : "y"
        }
        """,
    )
    _check_numbers(source, ["unify-casts"])


def test_lower_dimshuffle_in_loop_body() -> None:
    source = """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.dimshuffle %a {order = ["x", 0]} : f32[1, 3]
            %2 = tir.dimshuffle %1 {order = [1]} : f32[3]
            yield %c, %2
          }
          return %0 : "y"
        }
    """
    assert_golden(
        source,
        "lower-dimshuffle",
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.unsqueeze %a {axes = [0]} : f32[1, 3]
            %2 = tir.squeeze %1 {axes = [0]} : f32[3]
            yield %c, %2
          }
          return %0 : "y"
        }
        """,
    )
    _check_numbers(source, ["lower-dimshuffle"])


def test_sink_into_regions_never_moves_ops_into_a_loop_body() -> None:
    assert_unchanged(
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.exp %x : f32[3]
          %1 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %2 = tir.add %a, %0 : f32[3]
            yield %c, %2
          }
          return %1 : "y"
        }
        """,
        "sink-into-regions",
    )


def test_sink_into_an_if_inside_a_loop_body() -> None:
    source = """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.exp %a : f32[3]
            %2 = tir.constant dense<1> : i64[]
            %3 = tir.lt %i, %2 : bool[]
            %4 = tir.if %3 : f32[3] {
              yield %1
            } {
              yield %a
            }
            yield %c, %4
          }
          return %0 : "y"
        }
    """
    assert_golden(
        source,
        "sink-into-regions",
        """
        func @main(%n: i64[], %x: f32[3]) {
          %t = tir.constant dense<true> : bool[]
          %0 = tir.loop %n, %t, %x : f32[3] {
          ^(%i: i64[], %c: bool[], %a: f32[3]):
            %1 = tir.constant dense<1> : i64[]
            %2 = tir.lt %i, %1 : bool[]
            %3 = tir.if %2 : f32[3] {
              %4 = tir.exp %a : f32[3]
              yield %4
            } {
              yield %a
            }
            yield %c, %3
          }
          return %0 : "y"
        }
        """,
    )
    _check_numbers(source, ["sink-into-regions"])
