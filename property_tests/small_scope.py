"""Exhaustive small-scope search: every state a scaled-down pump can reach, every invariant on each.

Theory of operation
-------------------
Most kernel bugs show up in small configurations ("small scope hypothesis").
``SMALL_CONFIG`` is a pump scaled down until a breadth-first search can
visit every reachable state: a 6-pulse reservoir, 1-tick window buckets (an
"hour" of 13 ticks, a "day" of 25), a 2-pulse max bolus, an occlusion after
2 samples, timers of a few ticks.  It passes every *structural* rule of
``kernel.config`` (what the proofs assume: ``config_problems(c,
clinical=False)`` is empty); it breaks the clinical catalogue ranges on
purpose, which no proof or invariant depends on.

From ``initial_state`` the search applies every event of a finite alphabet
(``alphabet``) to every reachable state, through the real ``kernel.step``,
and checks every shared invariant (``specs.invariants``) on every new state,
plus the refusal rule (a refused event changes nothing but the log).

Scope, what is covered: every event class of ``kernel.events`` (ticks and
missed ticks, normal, extended, dual and oversized boluses with two request
IDs so duplicates occur, cancels, absolute and percent temp basals from the
user and a controller, cancel temp, suspend and resume, a settings change,
a time change, the whole reservoir-change sequence with two fill sizes,
clearing the line, motor reports that confirm, fall short, over-deliver,
fault, report high pressure or answer a stale sequence number, glucose
readings low, normal and in error, acknowledgement of every alarm kind,
user presence), in every order, up to ``HORIZON_TICKS`` ticks with at
most ``EVENTS_PER_TICK`` other events between two ticks, from two roots (a
new pump, and the same pump set up and delivering).  Measured: horizon 2,
4,210 states, 13,744 transitions, 13 s; horizon 3 (deep profile), 51,351
states, 178,035 transitions, 92 s (two loaded cores).

What is not covered: time beyond the horizon (the set-age, auto-off and
automatic-suspension limits are scaled down so they are reached within
it; the 25-tick "day" window is not); request IDs other than two; amounts
other than the listed ones; configurations other than ``SMALL_CONFIG``.
States are compared by ``abstract``: without the event log, the lifetime
totals and the value of the command number, which no decision reads, so
two paths that differ only in those are one state (the invariants are still
checked on the concrete state reached first).

``explore(max_states)`` returns a ``SmallScopeResult``; ``EXPECTED_STATES`` is
the number of reachable states, asserted by the test so that any change to
the kernel's behaviour shows in review.
"""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass, field

from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.config import PumpConfig, config_problems
from kernel.events import CancelTarget, GlucoseStatus, MotorFault, Source, TempKind
from kernel.log import EMPTY_LOG
from kernel.settings import TherapySettings, settings_problems
from kernel.state import PumpState, evolve, initial_state
from kernel.step import step
from kernel.units import SLOTS_PER_DAY
from specs.invariants import failing
from specs.refusals import refusal_kept_only_its_answer

HORIZON_TICKS = 3 if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else 2
"""The search stops ticking at this time (3 in the deep profile, else 2); other events are still tried there."""

EVENTS_PER_TICK = 1
"""At most this many events other than ticks between two ticks (bounds the lifetime counters' growth)."""

STATES_BY_HORIZON = {2: 5759, 3: 51351}
"""Reachable (abstract) states of ``SMALL_CONFIG`` for each horizon, measured and reviewed."""

EXPECTED_STATES = STATES_BY_HORIZON[HORIZON_TICKS]
"""Reachable states within the horizon in force (asserted by ``test_small_scope``)."""

SMALL_CONFIG = PumpConfig(
    pulse_mu=100,
    reservoir_capacity_pulses=6,
    bolus_pulses_per_tick=2,
    prime_max_pulses=2,
    cannula_min_pulses=1,
    cannula_max_pulses=1,
    occlusion_pressure_kpa=150,
    occlusion_consecutive_samples=2,
    occlusion_undisplaced_pulses=2,
    motor_ack_timeout_ticks=1,
    hour_bucket_ticks=5,
    day_bucket_ticks=60,
    reservoir_very_low_pulses=1,
    suspend_reminder_ticks=2,
    lgs_max_ticks=3,
    lgs_lockout_ticks=2,
    lgs_predict_margin_mgdl=20,
    temp_min_ticks=1,
    temp_max_ticks=3,
    temp_percent_max=250,
    controller_temp_max_ticks=2,
    extended_min_ticks=2,
    extended_max_ticks=3,
    glucose_min_mgdl=40,
    glucose_max_mgdl=400,
    glucose_max_age_ticks=2,
    glucose_max_future_ticks=1,
    glucose_max_change_mgdl_per_tick=8,
    max_bolus_ceiling_pulses=3,
    max_basal_ceiling_pph=60,
    max_hourly_ceiling_pulses=10,
    max_daily_ceiling_pulses=10,
    max_iob_ceiling_pulses=4,
    reservoir_low_min_pulses=2,
    reservoir_low_max_pulses=3,
    lgs_threshold_min_mgdl=60,
    lgs_threshold_max_mgdl=90,
    auto_off_min_ticks=4,
    auto_off_max_ticks=5,
    set_reminder_min_ticks=2,
    set_max_age_ceiling_ticks=6,
    requests_per_day_max=4,
    remote_is_person_held=False,
)
"""The scaled-down pump (structurally valid; see module docstring)."""

SMALL_SETTINGS = TherapySettings(
    basal_slots_pph=(10,) + (0,) * (SLOTS_PER_DAY - 1),
    max_basal_pph=10,
    max_bolus_pulses=2,
    max_hourly_pulses=10,
    max_daily_pulses=10,
    max_iob_pulses=3,
    dia_index=0,
    reservoir_low_pulses=2,
    set_reminder_ticks=3,
    set_max_age_ticks=6,
    auto_off_ticks=5,
    lgs_threshold_mgdl=70,
    lgs_enabled=True,
    predictive_suspend_enabled=True,
    remote_bolus_enabled=True,
    controller_enabled=True,
)
"""Settings for the scaled-down pump: a pulse of basal every six ticks, a 2-pulse max bolus, 10 pulses a "day"."""

TIGHT_SETTINGS = evolve(
    SMALL_SETTINGS,
    basal_slots_pph=(3,) + (0,) * (SLOTS_PER_DAY - 1),
    max_basal_pph=3,
    max_hourly_pulses=3,
    max_daily_pulses=3,
    lgs_enabled=False,
    predictive_suspend_enabled=False,
    auto_off_ticks=0,
)
"""Settings whose 3-pulse limits bind within two boluses (LIM-1, LIM-3); a change to them can be refused."""


@dataclass
class SmallScopeResult:
    """What ``explore`` found."""

    states: int
    transitions: int
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    complete: bool = True
    """False when ``max_states`` stopped the search before the reachable set was exhausted."""


def alphabet(state: PumpState) -> list[object]:
    """Every event tried from ``state`` (see module docstring); all at the state's tick."""
    now = state.now_ticks
    seq = state.motor.seq
    pending = state.motor.pending_pulses
    events: list[object] = []
    if now < HORIZON_TICKS:
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


def roots() -> list[PumpState]:
    """Where the search starts: a new pump, and the same pump set up and delivering at tick 0 (by events)."""
    c = SMALL_CONFIG
    state = initial_state(c)
    found = [state]
    for event in (
        ev.SettingsChange(0, SMALL_SETTINGS),
        ev.FillReservoir(0, 6),
        ev.PrimeTubing(0, 1),
        ev.MotorReport(0, 1, 1),
        ev.FillCannula(0, 1),
        ev.MotorReport(0, 2, 1),
        ev.Resume(0),
    ):
        result = step(c, state, event)
        assert result.outcome.accepted, (event, result.outcome)
        state = result.state
    found.append(state)
    return found


def explore(max_states: int | None = None) -> SmallScopeResult:
    """Breadth-first search of every reachable state of ``SMALL_CONFIG`` (see module docstring).

    Args:
        max_states: stop after this many states (``None``: the whole reachable set).

    Returns:
        States visited (distinct abstract states), transitions taken, every
        violation found (invariant IDs, event, tick), the wall-clock seconds.
    """
    started = time.perf_counter()
    c = SMALL_CONFIG
    assert not config_problems(c, clinical=False), config_problems(c, clinical=False)
    for settings in (SMALL_SETTINGS, TIGHT_SETTINGS):
        assert not settings_problems(c, settings), settings_problems(c, settings)
    violations: list[str] = []
    seen_states: set[PumpState] = set()
    seen_nodes: set[tuple[PumpState, int]] = set()
    frontier: deque[tuple[PumpState, int]] = deque()
    for root in roots():
        violations += [f"root: {bad}" for bad in failing(c, root)]
        seen_states.add(abstract(root))
        seen_nodes.add((abstract(root), EVENTS_PER_TICK))
        frontier.append((root, EVENTS_PER_TICK))
    transitions = 0
    complete = True
    while frontier:
        state, budget = frontier.popleft()
        for event in alphabet(state):
            is_tick = type(event) is ev.Tick
            if not is_tick and budget == 0:
                continue
            transitions += 1
            try:
                result = step(c, state, event)
            except Exception as problem:  # a finding, not a crash of the search
                violations.append(f"{event!r} raised {problem!r}")
                continue
            after = result.state
            key = abstract(after)
            if not result.outcome.accepted:
                if not refusal_kept_only_its_answer(state, after, event, result.outcome) or result.commands:
                    violations.append(f"refused {event!r} changed the state or commanded")
                continue
            node = (key, EVENTS_PER_TICK if is_tick else budget - 1)
            if node in seen_nodes:
                continue
            if key not in seen_states:
                if max_states is not None and len(seen_states) >= max_states:
                    complete = False
                    continue
                seen_states.add(key)
                bad = failing(c, after)
                if bad:
                    violations.append(f"{bad} after {event!r} at tick {state.now_ticks} (mode {state.mode})")
            seen_nodes.add(node)
            frontier.append((after, node[1]))
    return SmallScopeResult(
        states=len(seen_states),
        transitions=transitions,
        violations=violations,
        seconds=round(time.perf_counter() - started, 2),
        complete=complete,
    )


if __name__ == "__main__":
    import sys

    result = explore(int(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(result.states, result.transitions, len(result.violations), result.seconds, result.violations[:5])
