"""Evaluate Z3 terms on concrete values, many times, fast.

Theory of operation
-------------------
Conformance evaluates the same big terms (a symbolic step: about 2,000 input
constants and 2,000 output terms) on many concrete inputs.  ``z3.substitute``
with a list of pairs spends most of its time in Python, checking and
converting each pair.  ``Substituter`` builds the array of input constants
once and, per evaluation, only fills the array of values (cached Z3 numerals)
and calls Z3's C API ``Z3_substitute`` once, then ``z3.simplify``; on
concrete inputs every term simplifies to a numeral or ``true``/``false``.
What a term evaluates to is Z3's own arithmetic: nothing is re-implemented.
The C arrays hold bare AST pointers, so ``Substituter`` keeps the constants
themselves alive too: Z3 reuses the ids of freed terms, and a freed constant
would be substituted for whatever term takes its id next.

``expand_definitions`` replaces the Boolean names that ``Z3Logic(record=True)``
gives large pick conditions (``pick!N``, defined by ``pick!N == condition``)
by their conditions, so that a term depends on the inputs only.

Units: none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import z3


def as_term(value: Any) -> Any:
    """A Z3 term for a Python ``bool``/``int`` (terms are returned as they are)."""
    if isinstance(value, z3.ExprRef):
        return value
    if isinstance(value, bool):
        return z3.BoolVal(value)
    return z3.IntVal(int(value))


def short(value: Any, limit: int = 60) -> str:
    """A repr cut to ``limit`` characters (never a whole Z3 term in a failure message)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expand_definitions(definitions: Sequence[Any]) -> list[tuple[Any, Any]]:
    """``(name, condition)`` pairs for ``z3.substitute`` from ``name == condition`` definitions, in order.

    A definition may use the names defined before it; each condition is given with those already expanded.
    """
    pairs: list[tuple[Any, Any]] = []
    for definition in definitions:
        name, condition = definition.arg(0), definition.arg(1)
        pairs.append((name, z3.substitute(condition, *pairs) if pairs else condition))
    return pairs


class Substituter:
    """Substitute values for a fixed list of Z3 constants and simplify (see module docstring)."""

    def __init__(self, constants: Sequence[Any]) -> None:
        self._ctx = z3.main_ctx()
        self._constants = list(constants)  # the C array below does not keep them alive
        self._n = len(constants)
        self._from = (z3.Ast * self._n)(*(c.as_ast() for c in constants))
        self._bool = [z3.is_bool(c) for c in constants]
        self._numerals: dict[tuple[bool, int], Any] = {}

    def _numeral(self, is_bool: bool, value: Any) -> Any:
        key = (is_bool, int(value))
        numeral = self._numerals.get(key)
        if numeral is None:
            numeral = z3.BoolVal(bool(value)) if is_bool else z3.IntVal(int(value))
            self._numerals[key] = numeral
        return numeral

    def values(self, values: Sequence[Any]) -> Any:
        """The C array of numerals for ``values`` (one per constant, in order)."""
        if len(values) != self._n:
            raise ValueError(f"{len(values)} values for {self._n} constants")
        to = (z3.Ast * self._n)()
        for i, (is_bool, value) in enumerate(zip(self._bool, values, strict=True)):
            to[i] = self._numeral(is_bool, value).as_ast()
        return to

    def sort_mismatches(self, values: Sequence[Any]) -> list[int]:
        """Positions where a value's kind (``bool`` or integer) differs from its constant's sort."""
        return [
            i for i, (is_bool, v) in enumerate(zip(self._bool, values, strict=True)) if is_bool != isinstance(v, bool)
        ]

    def evaluate(self, term: Any, to: Any) -> Any:
        """``term`` with the constants replaced by the numerals of ``to``, simplified to a Python value.

        Returns an ``int`` or a ``bool``; a term that does not simplify to a value
        is returned as a (cut) string, which never equals a kernel value.
        """
        return _value_or_text(z3.simplify(self._substituted(as_term(term), to)))

    def evaluate_arguments(self, application: Any, to: Any) -> list[Any]:
        """``evaluate`` of each argument of ``application`` (an uninterpreted function applied to the terms),
        with one substitution and one simplification for all of them: shared subterms are done once."""
        done = z3.simplify(self._substituted(application, to))
        if done.num_args() != application.num_args():
            raise ValueError("the application did not survive simplification")
        return [_value_or_text(z3.simplify(argument)) for argument in done.children()]

    def _substituted(self, term: Any, to: Any) -> Any:
        return z3.z3._to_expr_ref(z3.Z3_substitute(self._ctx.ref(), term.as_ast(), self._n, self._from, to), self._ctx)


def value_of(done: Any) -> int | bool | None:
    """A simplified term's Python ``int`` or ``bool``, or ``None`` if it is not a value."""
    if z3.is_int_value(done):
        return int(done.as_long())
    if z3.is_true(done):
        return True
    if z3.is_false(done):
        return False
    return None


def _value_or_text(done: Any) -> Any:
    """``value_of``, or a (cut) string that never equals a kernel value."""
    value = value_of(done)
    return "not a value: " + short(done) if value is None else value
