"""Exhaustive small-scope search: every state a scaled-down pump reaches near its seeds, every invariant on each.

Theory of operation
-------------------
Most kernel bugs show up in small configurations ("small scope hypothesis").
The pump is ``SMALL_CONFIG`` (``property_tests.small_scope_roots``): scaled
down until a breadth-first search can visit every state reachable within a
few ticks.  The search starts from each of the *seeded roots* of
``small_scope_roots.ROOTS`` (a new pump, a delivering pump, and states a few
ticks before a set expires, auto-off, an empty reservoir, a rolling limit;
each reached from ``initial_state`` by scripted events through the real step)
and applies every event of a finite alphabet (``alphabet``) to every state
it reaches, through the real ``kernel.step``.  On every new state it checks
every shared invariant (``specs.invariants.failing``); on every refused event
it checks the refusal rule (a refused event changes nothing but the log and
commands nothing).

Scope: every event class of ``kernel.events`` (ticks and missed ticks;
normal, extended, dual and oversized boluses with two request IDs so
duplicates occur; cancels; absolute and percent temp basals from the user and
a controller; cancel temp; suspend and resume; two settings changes; a time
change; the whole reservoir-change sequence with two fill sizes; clearing the
line; motor reports that confirm, fall short, over-deliver, fault, report
high pressure or answer a stale sequence number; glucose readings low,
normal and in error; acknowledgement of every active alarm; user presence),
in every order, up to ``HORIZON_TICKS`` ticks after each root (the deep
profile: one more), with at most ``EVENTS_PER_TICK`` other events between two
ticks.

Reach, promised and checked: every mode of ``kernel.modes.Mode`` is entered
and every ``kernel.alarms.AlarmKind`` is announced (an ``Alarm`` command) at
the CI horizon; the lists come from the enums, and ``SmallScopeResult.unreached``
names what was not.  Why seeds rather than a deeper horizon: the states within
``h`` ticks grow about tenfold per tick, and the last modes need five to seven
ticks (set age, idle time) or a nearly full window; a seed a few ticks before
each gives the same reach with every state on the way still reachable and
checked.

What is not covered: time beyond each root's horizon; request IDs other than
two; amounts other than the listed ones; configurations other than
``SMALL_CONFIG``.  States are compared by ``abstract``: without the event log,
the lifetime totals and the value of the command number, which no decision
reads (the invariants are still checked on the concrete state reached first).

``python -m property_tests.small_scope`` prints states explored, transitions,
modes and alarms reached and the time, and exits 1 on any violation, 2 when a
promised mode or alarm was not reached or the search was cut short, else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.commands import Alarm
from kernel.config import config_problems
from kernel.events import CancelTarget, GlucoseStatus, MotorFault, Source, TempKind
from kernel.log import EMPTY_LOG
from kernel.modes import Mode
from kernel.settings import settings_problems
from kernel.state import PumpState, evolve, initial_state
from kernel.step import step
from property_tests.small_scope_roots import (
    ROOTS,
    SMALL_CONFIG,
    SMALL_SETTINGS,
    TIGHT_SETTINGS,
    build_root,
)
from specs.invariants import failing
from specs.refusals import refusal_kept_only_its_answer

DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"

HORIZON_TICKS = 3 if DEEP else 2
"""Ticks the search may advance past each root (3 in the deep profile, else 2); other events are tried at the end."""

EVENTS_PER_TICK = 1
"""At most this many events other than ticks between two ticks (bounds the lifetime counters' growth)."""

STATES_BY_HORIZON: dict[int, int] = {2: 18171, 3: 211704}
"""Reachable (abstract) states from all seven roots, per horizon (``python -m property_tests.small_scope --horizon N``).

Measured on kernel-v2 with the seeded roots: horizon 2, 18,235 states and 60,875 transitions; horizon 3,
212,646 states and 770,214 transitions (27 min on two heavily loaded cores); no violation, every mode and alarm
reached.  Another horizon has no reviewed count (``EXPECTED_STATES`` is then ``None``)."""

EXPECTED_STATES: int | None = STATES_BY_HORIZON.get(HORIZON_TICKS)
"""Reachable states within the horizon in force (asserted by ``test_small_scope`` and the verify step)."""

PROMISED_MODES: tuple[str, ...] = tuple(mode.name for mode in Mode)
"""Every mode of the mode table: each must be entered by the search at the CI horizon."""

PROMISED_ALARMS: tuple[str, ...] = tuple(kind.name for kind in AlarmKind)
"""Every alarm kind: each must be announced (an ``Alarm`` command) by the search at the CI horizon."""

__all__ = [
    "EVENTS_PER_TICK",
    "EXPECTED_STATES",
    "HORIZON_TICKS",
    "PROMISED_ALARMS",
    "PROMISED_MODES",
    "ROOTS",
    "SMALL_CONFIG",
    "SMALL_SETTINGS",
    "STATES_BY_HORIZON",
    "TIGHT_SETTINGS",
    "SmallScopeResult",
    "abstract",
    "alphabet",
    "describe",
    "exit_code",
    "explore",
    "failing",
    "main",
    "step",
]


@dataclass(repr=False)
class SmallScopeResult:
    """What ``explore`` found (its repr is one short line: a failing test never prints the whole result)."""

    states: int
    transitions: int
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    complete: bool = True
    """False when ``max_states`` stopped the search before the reachable set was exhausted."""
    modes_reached: list[str] = field(default_factory=list)
    alarms_reached: list[str] = field(default_factory=list)
    states_by_root: dict[str, int] = field(default_factory=dict)
    horizon_ticks: int = HORIZON_TICKS
    first_reached_from: dict[str, str] = field(default_factory=dict)
    """``Mode.X`` / ``AlarmKind.Y`` -> the root whose search reached it first."""

    def __repr__(self) -> str:
        return (
            f"SmallScopeResult(states={self.states}, transitions={self.transitions}, "
            f"violations={len(self.violations)}, complete={self.complete}, unreached={len(self.unreached)})"
        )

    @property
    def unreached(self) -> list[str]:
        """Promised modes and alarms the search did not reach (``Mode.X``, ``AlarmKind.Y``)."""
        return [f"Mode.{m}" for m in PROMISED_MODES if m not in self.modes_reached] + [
            f"AlarmKind.{a}" for a in PROMISED_ALARMS if a not in self.alarms_reached
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "states": self.states,
            "transitions": self.transitions,
            "violations": list(self.violations),
            "seconds": self.seconds,
            "complete": self.complete,
            "horizon_ticks": self.horizon_ticks,
            "modes_reached": list(self.modes_reached),
            "alarms_reached": list(self.alarms_reached),
            "unreached": self.unreached,
            "states_by_root": dict(self.states_by_root),
            "first_reached_from": dict(self.first_reached_from),
        }


def alphabet(state: PumpState, end_tick: int) -> list[object]:
    """Every event tried from ``state`` (see module docstring); all at the state's tick."""
    now = state.now_ticks
    seq = state.motor.seq
    pending = state.motor.pending_pulses
    events: list[object] = []
    if now < end_tick:
        events += [ev.Tick(now + 1), ev.Tick(now + 1, True)]
    events += [
        ev.BolusRequest(now, 1, Source.USER, 1),
        ev.BolusRequest(now, 2, Source.REMOTE, 2),
        ev.BolusRequest(now, 1, Source.USER, 3),
        ev.BolusRequest(now, 2, Source.USER, 0, 2, 2),
        ev.BolusRequest(now, 1, Source.USER, 1, 1, 2),
        ev.CancelBolus(now, CancelTarget.ALL),
        ev.TempBasal(now, 3, Source.USER, TempKind.ABSOLUTE, 30, 2),
        ev.TempBasal(now, 4, Source.CONTROLLER, TempKind.PERCENT, 200, 2),
        ev.CancelTempBasal(now),
        ev.Suspend(now),
        ev.Resume(now),
        ev.SettingsChange(now, SMALL_SETTINGS),
        ev.SettingsChange(now, TIGHT_SETTINGS),
        ev.TimeOffsetChange(now, 30 if state.time_of_day_ticks < 30 else -30),
        ev.Rewind(now),
        ev.FillReservoir(now, 6),
        ev.FillReservoir(now, 3),
        ev.ClearLine(now),
        ev.PrimeTubing(now, 1),
        ev.FillCannula(now, 1),
        ev.GlucoseReading(now, now, 65),
        ev.GlucoseReading(now, now, 150),
        ev.GlucoseReading(now, now, 100, GlucoseStatus.SENSOR_ERROR),
        ev.UserPresent(now),
    ]
    if seq >= 1:
        events += [
            ev.MotorReport(now, seq, pending),
            ev.MotorReport(now, seq, 0),
            ev.MotorReport(now, seq, pending + 1),
            ev.MotorReport(now, seq, 0, 0, MotorFault.STALL),
            ev.MotorReport(now, seq, pending, SMALL_CONFIG.occlusion_pressure_kpa),
            ev.MotorReport(now, seq + 1, 1),
        ]
    events += [ev.AlarmAck(now, kind) for kind in AlarmKind if state.alarms[kind] != 0]
    return events


def abstract(state: PumpState) -> PumpState:
    """The state without what no decision reads: the log, the lifetime totals, the command number's value.

    The event log and the lifetime counters (``Totals``) are written, never
    read, by the step's decisions; a command's sequence number is only ever
    compared with a report's, and the alphabet answers relative to it, so
    only whether a command was ever sent (``seq >= 1``) matters.
    """
    return evolve(
        state,
        log=EMPTY_LOG,
        totals=_NO_TOTALS,
        motor=evolve(state.motor, seq=min(state.motor.seq, 1)),
    )


_NO_TOTALS = initial_state(SMALL_CONFIG).totals


def describe(event: object) -> str:
    """A short text of an event: its class and integer fields (settings by name, never a whole record)."""
    if not hasattr(event, "__dataclass_fields__") and not hasattr(event, "_fields"):
        return type(event).__name__
    names = list(getattr(event, "_fields", ())) or list(getattr(event, "__dataclass_fields__", {}))
    parts = []
    for name in names:
        value = getattr(event, name)
        if value is SMALL_SETTINGS or value is TIGHT_SETTINGS:
            parts.append(f"{name}={'SMALL' if value is SMALL_SETTINGS else 'TIGHT'}_SETTINGS")
        elif isinstance(value, bool | int):
            parts.append(f"{name}={int(value)}")
        else:
            parts.append(f"{name}=<{type(value).__name__}>")
    return f"{type(event).__name__}({', '.join(parts)})"


def _check_scope() -> None:
    c = SMALL_CONFIG
    assert not config_problems(c, clinical=False), config_problems(c, clinical=False)
    for settings in (SMALL_SETTINGS, TIGHT_SETTINGS):
        assert not settings_problems(c, settings), settings_problems(c, settings)


def explore(max_states: int | None = None, horizon_ticks: int | None = None) -> SmallScopeResult:
    """Breadth-first search from every root of ``ROOTS`` (see module docstring).

    Args:
        max_states: stop after this many states (``None``: the whole reachable set within the horizon).
        horizon_ticks: ticks past each root (``None``: ``HORIZON_TICKS``).

    Returns:
        States visited (distinct abstract states), transitions taken, every
        violation found (invariant IDs, event, tick), wall-clock seconds,
        the modes entered and the alarms announced.
    """
    started = time.perf_counter()
    horizon = HORIZON_TICKS if horizon_ticks is None else horizon_ticks
    c = SMALL_CONFIG
    _check_scope()
    violations: list[str] = []
    seen_states: set[PumpState] = set()
    seen_nodes: set[tuple[PumpState, int, int]] = set()
    first: dict[str, str] = {}
    by_root: dict[str, int] = {}
    transitions = 0
    complete = True
    for root in ROOTS:
        start = build_root(root, c)
        end_tick = start.now_ticks + horizon
        before = len(seen_states)
        violations += [f"root {root.name}: {bad}" for bad in failing(c, start)]
        first.setdefault(f"Mode.{Mode(start.mode).name}", root.name)
        seen_states.add(abstract(start))
        frontier: deque[tuple[PumpState, int]] = deque([(start, EVENTS_PER_TICK)])
        seen_nodes.add((abstract(start), EVENTS_PER_TICK, end_tick))
        while frontier:
            state, budget = frontier.popleft()
            for event in alphabet(state, end_tick):
                is_tick = type(event) is ev.Tick
                if not is_tick and budget == 0:
                    continue
                transitions += 1
                try:
                    result = step(c, state, event)
                except Exception as problem:  # a finding, not a crash of the search
                    violations.append(f"{describe(event)} raised {type(problem).__name__}: {str(problem)[:200]}")
                    continue
                after = result.state
                if not result.outcome.accepted:
                    if not refusal_kept_only_its_answer(state, after, event, result.outcome) or result.commands:
                        violations.append(f"refused {describe(event)} changed the state or commanded")
                    continue
                for command in result.commands:
                    if isinstance(command, Alarm):
                        first.setdefault(f"AlarmKind.{AlarmKind(command.kind).name}", root.name)
                key = abstract(after)
                node = (key, EVENTS_PER_TICK if is_tick else budget - 1, end_tick)
                if node in seen_nodes:
                    continue
                if key not in seen_states:
                    if max_states is not None and len(seen_states) >= max_states:
                        complete = False
                        continue
                    seen_states.add(key)
                    first.setdefault(f"Mode.{Mode(after.mode).name}", root.name)
                    bad = failing(c, after)
                    if bad:
                        violations.append(
                            f"{bad} after {describe(event)} at tick {state.now_ticks} (mode {Mode(state.mode).name})"
                        )
                seen_nodes.add(node)
                frontier.append((after, node[1]))
        by_root[root.name] = len(seen_states) - before
    return SmallScopeResult(
        states=len(seen_states),
        transitions=transitions,
        violations=violations,
        seconds=round(time.perf_counter() - started, 2),
        complete=complete,
        modes_reached=[mode for mode in PROMISED_MODES if f"Mode.{mode}" in first],
        alarms_reached=[kind for kind in PROMISED_ALARMS if f"AlarmKind.{kind}" in first],
        states_by_root=by_root,
        horizon_ticks=horizon,
        first_reached_from=first,
    )


def exit_code(result: SmallScopeResult) -> int:
    """1 on any violation; 2 when the search was cut short or a promised mode or alarm was not reached; else 0."""
    if result.violations:
        return 1
    if not result.complete or result.unreached:
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Exhaustive small-scope search of the kernel (see module docstring).")
    parser.add_argument("--horizon", type=int, default=None, help=f"ticks past each root (default {HORIZON_TICKS})")
    parser.add_argument("--max-states", type=int, default=None, help="stop after this many states (incomplete)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args(argv)
    result = explore(args.max_states, args.horizon)
    code = exit_code(result)
    if args.json:
        print(json.dumps({**result.as_json(), "exit_code": code}))
        return code
    print(
        f"small-scope search: {result.states:,} states, {result.transitions:,} transitions, "
        f"{len(result.violations)} violations, {result.seconds} s, horizon {result.horizon_ticks} ticks per root"
        + ("" if result.complete else " (INCOMPLETE: cut at --max-states)")
    )
    print("states per root: " + ", ".join(f"{name} {count:,}" for name, count in result.states_by_root.items()))
    where = result.first_reached_from
    modes = ", ".join(f"{m} ({where[f'Mode.{m}']})" for m in result.modes_reached)
    alarms = ", ".join(f"{a} ({where[f'AlarmKind.{a}']})" for a in result.alarms_reached)
    print(f"modes reached ({len(result.modes_reached)}/{len(PROMISED_MODES)}; first from root): {modes}")
    print(f"alarms reached ({len(result.alarms_reached)}/{len(PROMISED_ALARMS)}; first from root): {alarms}")
    if result.unreached:
        print(f"NOT reached: {', '.join(result.unreached)}")
    for violation in result.violations[:20]:
        print(f"VIOLATION: {violation}")
    if len(result.violations) > 20:
        print(f"... and {len(result.violations) - 20} more violations")
    return code


if __name__ == "__main__":
    sys.exit(main())
