"""The symbolic world every obligation draws on: steps of the shipped kernel on Z3 terms, and what they emit.

Theory of operation
-------------------
A ``Context`` holds one symbolic configuration and builds, on demand and
cached, one symbolic ``Step`` per event class: ``kernel.core.transition`` run
on a symbolic state and event with a recording ``Z3Logic``, so the step keeps
every primitive call's side condition (``proofs.primitives``).  The step's
commands are read through the shipped emission function,
``kernel.commands.command_slots``, so what the obligations call "commanded" is
what the pump's ``step`` turns into ``Deliver``, ``Alarm`` and ``Notice``.

``Hyp`` helpers give the standard hypotheses: the configuration rules and
the invariants, tracked by name.  ``describe`` reads a Z3 model back into the
kernel's own values, replays the step through the real ``kernel.step`` and
says whether the code agrees with its Z3 interpretation on that step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import z3

from kernel import commands as emission
from kernel import events as ev
from kernel.commands import CommandKind, Effects, Purpose
from kernel.config import PumpConfig, structural_checks
from kernel.core import transition
from kernel.logic import PY
from kernel.reasons import Reason
from kernel.state import PumpState, field_names, initial_state, is_record
from specs.invariants import INVARIANTS
from specs.symbolic import leaves
from specs.z3_logic import Z3Logic, is_term
from specs.z3_model import symbolic_config, symbolic_event, symbolic_state

EVENTS: dict[str, type] = {cls.__name__: cls for cls in ev.EVENT_CLASSES}


def boolean(value: Any) -> Any:
    """A Z3 Boolean for a Python ``bool`` or a Z3 term."""
    return z3.BoolVal(value) if isinstance(value, bool) else value


@dataclass(frozen=True)
class Step:
    """One symbolic step: before, event, after, effects, the emitted command slots, primitive side conditions."""

    config: PumpConfig
    before: PumpState
    event: Any
    after: PumpState
    effects: Effects
    slots: tuple[tuple[Any, int, tuple[Any, ...]], ...]
    side_conditions: tuple[tuple[str, Any], ...]
    definitions: tuple[Any, ...]
    """``b == condition`` for the named pick conditions of the step (``specs.z3_logic``); true by definition."""

    # -- what the step emits (read from the command slots) -----------------------------------------------------

    def _deliver_slots(self) -> Iterator[tuple[Any, tuple[Any, ...]]]:
        for present, kind, fields in self.slots:
            if kind == CommandKind.DELIVER:
                yield present, fields

    def _summed(self, field: int, purpose: Purpose | None) -> Any:
        """The sum of a ``Deliver`` field (1 pulses, 3 basal, 4 bolus) over the commands of ``purpose`` (any: None)."""
        total: Any = z3.IntVal(0)
        for present, fields in self._deliver_slots():
            emitted = boolean(present) if purpose is None else z3.And(boolean(present), fields[2] == int(purpose))
            total = total + z3.If(emitted, fields[field], 0)
        return total

    def commanded_pulses(self) -> Any:
        """Every pulse the motor is commanded in this step, whatever its purpose."""
        return self._summed(1, None)

    def commanded(self, purpose: Purpose) -> Any:
        """Pulses commanded for ``purpose``."""
        return self._summed(1, purpose)

    def therapy_pulses(self) -> Any:
        return self.commanded(Purpose.THERAPY)

    def basal_pulses(self) -> Any:
        """The basal part of a therapy command (``Deliver.basal_pulses``)."""
        return self._summed(3, Purpose.THERAPY)

    def bolus_pulses(self) -> Any:
        """The bolus part (normal and extended) of a therapy command (``Deliver.bolus_pulses``)."""
        return self._summed(4, Purpose.THERAPY)

    def moves_motor(self) -> Any:
        """Some ``Deliver`` is commanded."""
        return z3.Or(z3.BoolVal(False), *(boolean(present) for present, _ in self._deliver_slots()))

    def deliver_fields(self) -> tuple[Any, Any, Any, Any, Any, Any] | None:
        """(present, seq, pulses, purpose, basal, bolus) of the one possible ``Deliver``, or ``None``."""
        for present, fields in self._deliver_slots():
            return (boolean(present), *fields)
        return None

    def announces(self, kind: Any) -> Any:
        """The alarm ``kind`` (an ``AlarmKind`` or a Z3 term) is announced in this step."""
        found = [
            z3.And(boolean(present), boolean(fields[0] == kind))
            for present, slot_kind, fields in self.slots
            if slot_kind == CommandKind.ALARM
        ]
        return z3.Or(z3.BoolVal(False), *found)

    def notice(self, kind: int) -> tuple[Any, Any, Any, Any]:
        """(shown, a, b, c) of the notice ``kind`` (not shown: ``False`` and zeros)."""
        for present, slot_kind, fields in self.slots:
            if slot_kind == CommandKind.NOTICE and fields[0] == kind:
                return boolean(present), fields[1], fields[2], fields[3]
        return z3.BoolVal(False), z3.IntVal(0), z3.IntVal(0), z3.IntVal(0)

    def any_command(self) -> Any:
        """Some command of any kind is emitted."""
        return z3.Or(z3.BoolVal(False), *(boolean(present) for present, _, _ in self.slots))

    # -- the outcome ---------------------------------------------------------------------------------------------

    def accepted(self) -> Any:
        """Accepted and not a replay: the event took effect."""
        return z3.And(boolean(self.effects.reason == Reason.ACCEPTED), z3.Not(boolean(self.effects.replayed)))

    def refused(self) -> Any:
        return boolean(self.effects.reason != Reason.ACCEPTED)


class Context:
    """One symbolic configuration and its symbolic steps (see module docstring)."""

    def __init__(self) -> None:
        self.config: PumpConfig = symbolic_config("c")
        self._steps: dict[str, Step] = {}
        self._config_hyps: list[tuple[str, Any]] | None = None
        self._invariant_hyps: dict[int, tuple[PumpState, list[tuple[str, Any]]]] = {}

    def step(self, event_name: str) -> Step:
        if event_name not in self._steps:
            self._steps[event_name] = build_step(EVENTS[event_name], self.config, "")
        return self._steps[event_name]

    def config_hypotheses(self) -> list[tuple[str, Any]]:
        """The structural configuration rules, each tracked as ``CFG:<rule>`` (built once)."""
        if self._config_hyps is None:
            checks = structural_checks(self.config, Z3Logic())
            self._config_hyps = [(f"CFG:{rule.name}", boolean(holds)) for rule, holds in checks]
        return list(self._config_hyps)

    def invariant_hypotheses(self, state: PumpState) -> list[tuple[str, Any]]:
        """Every invariant of ``state``, each tracked by its ID (built once per state)."""
        cached = self._invariant_hyps.get(id(state))
        if cached is None or cached[0] is not state:
            logic = Z3Logic()
            cached = (state, [(inv.id, boolean(inv.holds(self.config, state, logic))) for inv in INVARIANTS])
            self._invariant_hyps[id(state)] = cached
        return list(cached[1])

    def initial_state(self) -> PumpState:
        return initial_state(self.config)

    def fresh_state(self, prefix: str) -> PumpState:
        return symbolic_state(prefix)


def build_step(event_class: type, config: PumpConfig, prefix: str) -> Step:
    """Run the shipped decision and emission on symbolic inputs for one event class."""
    logic = Z3Logic(record=True)
    before = symbolic_state(prefix + "s")
    event = symbolic_event(event_class, prefix + "e")
    after, effects = transition(config, before, event, logic)
    slots = emission.command_slots(effects, logic)
    return Step(config, before, event, after, effects, slots, tuple(logic.side_conditions), tuple(logic.definitions))


# --- counterexamples ---------------------------------------------------------------------------------------------


def _value(model: z3.ModelRef, term: Any) -> Any:
    if not is_term(term):
        return term
    evaluated = model.eval(term, model_completion=True)
    if z3.is_true(evaluated):
        return True
    if z3.is_false(evaluated):
        return False
    return evaluated.as_long()


def concretize(model: z3.ModelRef, value: Any) -> Any:
    """The concrete kernel value that ``model`` assigns to a symbolic ``value``."""
    if is_record(value):
        changes = {name: concretize(model, getattr(value, name)) for name in field_names(value)}
        return type(value)(**changes)
    if isinstance(value, tuple):
        return tuple(concretize(model, item) for item in value)
    return _value(model, value)


def describe(query: Any, model: z3.ModelRef) -> dict[str, Any]:
    """A failed obligation's counterexample as concrete kernel values, replayed through the real step."""
    step = query.step
    if step is None:
        return {"model": str(model)[:2000]}
    config = concretize(model, step.config)
    before = concretize(model, step.before)
    event = concretize(model, step.event)
    after = concretize(model, step.after)
    try:
        replayed, _ = transition(config, before, event, PY)
        agrees = replayed == after
    except Exception:  # the replay of a model state may break the kernel's assumptions
        agrees = False
    changes = [
        (name, a, b)
        for (name, a), (_, b) in zip(leaves(before, "state"), leaves(after, "state"), strict=True)
        if a != b
    ]
    return {
        "config": config,
        "before": before,
        "event": event,
        "after": after,
        "changes": changes,
        "kernel_agrees": agrees,
    }
