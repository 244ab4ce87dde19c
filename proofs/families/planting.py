"""Ways to plant a defect for the bolus family's weakenings, and steps composed from the shipped step.

Theory of operation
-------------------
A weakening (``proofs.weakening``) replaces a module attribute where the step
reads it.  Three makers cover the bolus family's planted kernels:

* ``drop_check(event_class, reason)``: the handler of ``event_class``, as
  ``kernel.core`` finds it in ``HANDLERS``, loses the check that refuses with
  ``reason`` (or keeps it only for some sources): a guard forgotten;
* ``handler_ignored(event_class)``: the handler accepts and does nothing;
* ``rewrite(module, function, old, new)``: the function's own source with one
  exact fragment replaced, compiled in the module's namespace: a one-token
  mistake in a formula (the fragment must occur exactly once).

``then_step`` composes two shipped steps (the second from the first one's
resulting state) for properties that say what the *next* step commands, and
``same_state_step`` runs the shipped step from the same state on another
event (for comparisons between two events, SEC-3).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

import z3

from kernel import commands as emission
from kernel.commands import NO_EFFECTS
from kernel.core import transition
from kernel.handling import Handled
from kernel.logic import Logic
from proofs.context import Step
from proofs.weakening import Patch
from specs.z3_logic import Z3Logic, is_term
from specs.z3_model import symbolic_event


def drop_check(event_class: type, reason: int, only_source: int | None = None) -> Patch:
    """``HANDLERS[event_class]`` without its ``reason`` check (for every source, or only for ``only_source``)."""

    def make(original: dict[type, Any]) -> dict[type, Any]:
        handler = original[event_class]

        def planted(c: Any, s: Any, e: Any, logic: Logic) -> Handled:
            handled: Handled = handler(c, s, e, logic)
            checks = []
            for holds, why in handled.checks:
                if why == reason:
                    if only_source is None:
                        continue
                    holds = logic.either(e.source == only_source, holds)
                checks.append((holds, why))
            return handled._replace(checks=tuple(checks))

        return {**original, event_class: planted}

    return ("kernel.core", "HANDLERS", make)


def handler_ignored(event_class: type) -> Patch:
    """``HANDLERS[event_class]`` keeps its checks but changes nothing and emits nothing when accepted."""

    def make(original: dict[type, Any]) -> dict[type, Any]:
        handler = original[event_class]

        def planted(c: Any, s: Any, e: Any, logic: Logic) -> Handled:
            handled: Handled = handler(c, s, e, logic)
            return Handled(handled.checks, s, NO_EFFECTS)

        return {**original, event_class: planted}

    return ("kernel.core", "HANDLERS", make)


def _rewritten(original: Callable[..., Any], old: str, new: str) -> Callable[..., Any]:
    """``original`` recompiled in its own module's namespace with the one occurrence of ``old`` replaced."""
    name = original.__name__
    source = textwrap.dedent(inspect.getsource(original))
    if source.count(old) != 1:
        raise ValueError(f"{original.__module__}.{name}: {old!r} occurs {source.count(old)} times, not once")
    namespace = dict(vars(importlib.import_module(original.__module__)))
    exec(compile(source.replace(old, new), f"<planted {original.__module__}.{name}>", "exec"), namespace)
    return namespace[name]  # type: ignore[no-any-return]


def rewrite(module_name: str, function: str, old: str, new: str) -> Patch:
    """``module.function`` with the one occurrence of ``old`` in its source replaced by ``new``."""
    return (module_name, function, lambda original: _rewritten(original, old, new))


def rewrite_handler(event_class: type, old: str, new: str) -> Patch:
    """``HANDLERS[event_class]`` (as ``kernel.core`` holds it) rewritten like ``rewrite``."""
    return (
        "kernel.core",
        "HANDLERS",
        lambda original: {**original, event_class: _rewritten(original[event_class], old, new)},
    )


class _NamedLogic(Z3Logic):
    """``Z3Logic`` whose named pick conditions carry a prefix.

    ``Z3Logic.pick`` names a large condition ``pick!<n>`` counting from 0 in
    each instance, so two steps built by two instances reuse the same names
    with different definitions; a query over both would force those
    conditions equal.  A composed step's names get their own prefix.
    """

    def __init__(self, prefix: str) -> None:
        super().__init__(record=True)
        self.prefix = prefix

    def pick(self, cond: Any, then: Any, other: Any) -> Any:
        if not is_term(cond):
            return then if cond else other
        if isinstance(then, tuple) and then is not other and not z3.is_const(cond):
            named = z3.Bool(f"{self.prefix}pick!{len(self.definitions)}")
            self.definitions.append(named == cond)
            cond = named
        return self._pick(cond, then, other)


def _step(first: Step, state: Any, event: Any, prefix: str) -> Step:
    logic = _NamedLogic(prefix)
    after, effects = transition(first.config, state, event, logic)
    slots = emission.command_slots(effects, logic)
    return Step(
        first.config,
        state,
        event,
        after,
        effects,
        slots,
        tuple(logic.side_conditions),
        tuple(logic.definitions),
    )


def then_step(first: Step, event_class: type, prefix: str) -> Step:
    """The shipped step of a fresh ``event_class`` event from ``first``'s resulting state."""
    return _step(first, first.after, symbolic_event(event_class, prefix), prefix)


def same_state_step(first: Step, source: int, prefix: str) -> Step:
    """The shipped step from ``first``'s state on the same event sent by ``source`` instead."""
    return _step(first, first.before, dataclasses.replace(first.event, source=source), prefix)
