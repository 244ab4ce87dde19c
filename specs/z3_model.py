"""The Z3 encoding: symbolic configuration, state and events, and the transition relation.

Theory of operation
-------------------
Nothing here re-states the kernel.  The transition relation of an event kind
is obtained by running the shipped ``kernel.core.transition`` on a symbolic
configuration, state and event with the Z3 logic (``specs.z3_logic``); the
result is the next state and effects as Z3 terms.  What this module adds is
the *domain*:

* ``config_constraints``: the configuration rules every proof assumes
  (``kernel.config.structural_checks``, the same rules the kernel uses to
  validate a configuration);
* ``event_constraints``: the static field ranges of ``kernel.events.EVENT_SCHEMA``,
  which ``kernel.step`` enforces before the core runs (types are fixed by
  construction here: every symbolic field has its declared sort);
* ``EVENT_TEMPLATES``: one example of each event class, giving its shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from kernel import events as ev
from kernel.commands import Effects
from kernel.config import DEFAULT_CONFIG, PumpConfig, structural_checks
from kernel.core import transition
from kernel.settings import zero_settings
from kernel.state import PumpState, initial_state
from specs.symbolic import symbolic
from specs.z3_logic import Z3

EVENT_TEMPLATES: dict[type, Any] = {
    ev.Tick: ev.Tick(1, False),
    ev.BolusRequest: ev.BolusRequest(0, 1, 0, 0, 0, 0),
    ev.CancelBolus: ev.CancelBolus(0, 0),
    ev.TempBasal: ev.TempBasal(0, 1, 0, 1, 0, 1),
    ev.CancelTempBasal: ev.CancelTempBasal(0, 0),
    ev.Suspend: ev.Suspend(0),
    ev.Resume: ev.Resume(0),
    ev.SettingsChange: ev.SettingsChange(0, zero_settings(DEFAULT_CONFIG)),
    ev.TimeOffsetChange: ev.TimeOffsetChange(0, 60),
    ev.Rewind: ev.Rewind(0),
    ev.FillReservoir: ev.FillReservoir(0, 1),
    ev.ClearLine: ev.ClearLine(0),
    ev.PrimeTubing: ev.PrimeTubing(0, 1),
    ev.FillCannula: ev.FillCannula(0, 1),
    ev.MotorReport: ev.MotorReport(0, 1, 0, 0, 0),
    ev.GlucoseReading: ev.GlucoseReading(0, 0, 100, 0),
    ev.AlarmAck: ev.AlarmAck(0, 0),
    ev.UserPresent: ev.UserPresent(0),
}
"""One instance of every event class: the shape its symbolic form takes."""


def symbolic_config(prefix: str = "c") -> PumpConfig:
    """A configuration whose every field is a Z3 integer."""
    return symbolic(DEFAULT_CONFIG, prefix)


def symbolic_state(prefix: str = "s") -> PumpState:
    """A state whose every leaf is a Z3 constant."""
    return symbolic(initial_state(DEFAULT_CONFIG), prefix)


def symbolic_event(event_class: type, prefix: str = "e") -> Any:
    """An event of ``event_class`` whose every field is a Z3 constant."""
    return symbolic(EVENT_TEMPLATES[event_class], prefix)


def config_constraints(c: PumpConfig) -> list[tuple[str, Any]]:
    """The named configuration assumptions: one per structural rule."""
    return [(f"CFG:{rule.name}", holds) for rule, holds in structural_checks(c, Z3)]


def event_constraints(e: Any) -> list[Any]:
    """The static ranges of the event's integer fields (``EVENT_SCHEMA``)."""
    constraints = []
    for name, kind, low, high in ev.EVENT_SCHEMA[type(e)]:
        if kind is int:
            value = getattr(e, name)
            constraints.extend([value >= low, value <= high])
    return constraints


@dataclass(frozen=True)
class Step:
    """One symbolic step: before, event, after, effects."""

    config: PumpConfig
    before: PumpState
    event: Any
    after: PumpState
    effects: Effects


def symbolic_step(event_class: type, config: PumpConfig | None = None, prefix: str = "") -> Step:
    """Run the shipped transition on symbolic inputs for one event class."""
    c = config if config is not None else symbolic_config()
    s = symbolic_state(prefix + "s")
    e = symbolic_event(event_class, prefix + "e")
    after, fx = transition(c, s, e, Z3)
    return Step(c, s, e, after, fx)


def initial_symbolic(config: PumpConfig) -> PumpState:
    """The initial state for a symbolic configuration (``kernel.state.initial_state``)."""
    return initial_state(config)


def bool_sort(term: Any) -> bool:
    return isinstance(term, z3.BoolRef)
