"""Every transition of the mode tables in ``kernel.modes``.

Requirements: RES-3, OCC-2, OCC-4, DLV-3, SUS-1..4, ALM-1, ALM-2, RES-1, RES-4.

The tests iterate ``EVENT_TRANSITIONS`` and ``CONDITION_TRANSITIONS``, so a
new entry in either table is tested (or fails) without editing this file:

* every (mode, event class) -> target entry: a pump in the mode, brought there
  by events (``helpers.pump_in_mode``), accepts a valid event of the class and
  ends in the target mode, with a ``MODE_CHANGED`` notice and log entry when
  the mode moves;
* every event class missing from a mode's row is refused with
  ``NOT_ALLOWED_IN_MODE`` there, and ``ANY_MODE_EVENTS`` never are;
* every (condition, mode) -> target entry: the condition established in the
  mode moves the pump to the target, and a condition without an entry for a
  mode leaves the mode alone;
* conditions are applied in ``CONDITION_ORDER``;
* leaving ``DELIVERING`` by any path ends the bolus, the extended bolus and
  the temp basal, each with a notice, and commands nothing in that step.

Conditions that take hours to arise (a set at its maximum age, a user absent
for the auto-off time) or that need a command in flight in a mode that never
sends one are established by setting the one counter involved
(``helpers.with_reservoir``, ``with_timers``, ``with_motor``) on a state
reached by events; the natural paths are tested in the feature modules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kernel import events as ev
from kernel.commands import NoticeKind
from kernel.events import MotorFault, Source, TempKind
from kernel.log import LogKind
from kernel.modes import (
    ANY_MODE_EVENTS,
    CONDITION_ORDER,
    CONDITION_TRANSITIONS,
    EVENT_TRANSITIONS,
    Condition,
    Mode,
)
from kernel.reasons import Reason, StopCause
from kernel.state import PumpState, evolve
from kernel.step import StepResult
from tests.helpers import (
    CANNULA,
    PRIME,
    RESERVOIR,
    C,
    Pump,
    assert_refused,
    delivers,
    notices,
    pump_in_mode,
    with_reservoir,
    with_timers,
)

MAKE: dict[type, Callable[[Pump], object]] = {
    ev.FillReservoir: lambda p: ev.FillReservoir(p.now, RESERVOIR),
    ev.PrimeTubing: lambda p: ev.PrimeTubing(p.now, PRIME),
    ev.FillCannula: lambda p: ev.FillCannula(p.now, CANNULA),
    ev.Rewind: lambda p: ev.Rewind(p.now),
    ev.Resume: lambda p: ev.Resume(p.now),
    ev.Suspend: lambda p: ev.Suspend(p.now),
    ev.ClearLine: lambda p: ev.ClearLine(p.now),
    ev.BolusRequest: lambda p: ev.BolusRequest(p.now, 4242, Source.USER, 10),
    ev.CancelBolus: lambda p: ev.CancelBolus(p.now),
    ev.TempBasal: lambda p: ev.TempBasal(p.now, 4343, Source.USER, TempKind.PERCENT, 50, 30),
    ev.CancelTempBasal: lambda p: ev.CancelTempBasal(p.now),
}
"""A valid event of every class that some mode does not allow."""

PREPARE: dict[type, Callable[[Pump], object]] = {
    ev.CancelBolus: lambda p: p.accept(ev.BolusRequest(p.now, 4141, Source.USER, 100)),
    ev.CancelTempBasal: lambda p: p.accept(ev.TempBasal(p.now, 4040, Source.USER, TempKind.PERCENT, 50, 30)),
}
"""What must be running for an event to have something to act on."""

EVENT_EDGES = [(src, cls, dst) for src, row in EVENT_TRANSITIONS.items() for cls, dst in row.items()]


def test_tables_cover_every_event_class() -> None:
    """Every event class is either allowed in every mode or listed in some mode's row (and has a maker here)."""
    in_rows = {cls for row in EVENT_TRANSITIONS.values() for cls in row}
    assert in_rows | set(ANY_MODE_EVENTS) == set(ev.EVENT_CLASSES)
    assert not in_rows & set(ANY_MODE_EVENTS)
    assert set(MAKE) == in_rows
    assert set(EVENT_TRANSITIONS) == set(Mode)


def _mode_changes(result: StepResult) -> list[tuple[int, int]]:
    return [(n.a, n.b) for n in notices(result, NoticeKind.MODE_CHANGED)]


@pytest.mark.parametrize(
    ("src", "cls", "dst"), EVENT_EDGES, ids=lambda x: getattr(x, "name", getattr(x, "__name__", x))
)
def test_event_transition(src: Mode, cls: type, dst: Mode) -> None:
    """Each ``EVENT_TRANSITIONS`` entry: the event is accepted in ``src`` and leads to ``dst``."""
    pump = pump_in_mode(src)
    pump.ack_all()
    if cls in PREPARE:
        PREPARE[cls](pump)
    assert pump.mode == src
    result = pump.accept(MAKE[cls](pump))
    assert pump.mode == dst
    if src != dst:
        assert _mode_changes(result) == [(src, dst)]
        entry = [e for e in result.state.log.entries if e.kind == LogKind.MODE_CHANGED][-1]
        assert (entry.a, entry.b, entry.tick) == (src, dst, pump.now)
    else:
        assert _mode_changes(result) == []


NOT_ALLOWED = [(mode, cls) for mode in Mode for cls in MAKE if cls not in EVENT_TRANSITIONS[mode]]


@pytest.mark.parametrize(("mode", "cls"), NOT_ALLOWED, ids=lambda x: getattr(x, "name", getattr(x, "__name__", x)))
def test_event_missing_from_row_is_not_allowed(mode: Mode, cls: type) -> None:
    """An event class missing from a mode's row is refused there with ``NOT_ALLOWED_IN_MODE``."""
    pump = pump_in_mode(mode)
    pump.ack_all()
    assert_refused(pump, MAKE[cls](pump), Reason.NOT_ALLOWED_IN_MODE)


def _any_mode_events(pump: Pump) -> list[object]:
    return [
        ev.UserPresent(pump.now),
        ev.TimeOffsetChange(pump.now, 30),
        ev.SettingsChange(pump.now, pump.state.settings),
        ev.GlucoseReading(pump.now, pump.now, 120),
        ev.MotorReport(pump.now, pump.state.motor.seq, 1),
        ev.AlarmAck(pump.now, 0),
        ev.Tick(pump.now + 1),
    ]


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.name)
def test_any_mode_events_are_never_refused_for_the_mode(mode: Mode) -> None:
    """``ANY_MODE_EVENTS`` are allowed in every mode; user actions among them leave the mode as it is."""
    made = _any_mode_events(pump_in_mode(mode))
    assert {type(e) for e in made} == set(ANY_MODE_EVENTS)
    for index in range(len(made)):
        pump = pump_in_mode(mode)
        event = _any_mode_events(pump)[index]
        result = pump.do(event)
        assert result.outcome.reason != Reason.NOT_ALLOWED_IN_MODE
        if type(event) in (ev.UserPresent, ev.TimeOffsetChange, ev.SettingsChange):
            assert result.outcome.accepted
            assert pump.mode == mode


def with_motor(state: PumpState, **changes: Any) -> PumpState:
    """``state`` with motor fields replaced."""
    return evolve(state, motor=evolve(state.motor, **changes))


def _command_in_flight(pump: Pump, high_pressure_samples: int = 0) -> int:
    """Put one pulse in flight (as if just commanded) and return its sequence number."""
    seq = pump.state.motor.seq + 1
    pump.state = with_motor(pump.state, seq=seq, pending_pulses=1, high_pressure_samples=high_pressure_samples)
    return seq


def establish(pump: Pump, condition: Condition) -> StepResult:
    """Make ``condition`` hold in ``pump``'s next step, and take that step (see module docstring)."""
    settings = pump.state.settings
    if condition == Condition.MOTOR_FAILED:
        seq = _command_in_flight(pump)
        return pump.do_raw(ev.MotorReport(pump.now, seq, 0, 0, MotorFault.STALL))
    if condition == Condition.LINE_OCCLUDED:
        seq = _command_in_flight(pump, C.occlusion_consecutive_samples - 1)
        return pump.do_raw(ev.MotorReport(pump.now, seq, 1, C.occlusion_pressure_kpa))
    if condition == Condition.RESERVOIR_EMPTIED:
        pump.state = with_reservoir(pump.state, pulses=0)
        return pump.do_raw(ev.UserPresent(pump.now))
    if condition == Condition.SET_AGED_OUT:
        pump.state = with_reservoir(pump.state, set_age_ticks=settings.set_max_age_ticks)
        return pump.do_raw(ev.UserPresent(pump.now))
    if condition == Condition.USER_ABSENT:
        pump.state = with_timers(pump.state, idle_ticks=settings.auto_off_ticks)
        return pump.do_raw(ev.GlucoseReading(pump.now, pump.now, 120))
    if condition == Condition.GLUCOSE_LOW:
        return pump.do_raw(ev.GlucoseReading(pump.now, pump.now, settings.lgs_threshold_mgdl - 10))
    assert condition == Condition.LGS_ENDED
    # The suspension has run its maximum length (recovery needs a trend of four readings: tests/test_suspend.py).
    pump.state = with_timers(pump.state, suspended_ticks=C.lgs_max_ticks)
    return pump.do_raw(ev.UserPresent(pump.now))


CONDITION_EDGES = [(cond, src, dst) for cond, row in CONDITION_TRANSITIONS.items() for src, dst in row.items()]


def test_condition_table_covers_every_condition() -> None:
    """Every condition has a row and a place in the order."""
    assert set(CONDITION_TRANSITIONS) == set(Condition) == set(CONDITION_ORDER)


@pytest.mark.parametrize(("cond", "src", "dst"), CONDITION_EDGES, ids=lambda x: x.name)
def test_condition_transition(cond: Condition, src: Mode, dst: Mode) -> None:
    """Each ``CONDITION_TRANSITIONS`` entry: the condition arising in ``src`` moves the pump to ``dst``."""
    pump = pump_in_mode(src)
    result = establish(pump, cond)
    assert result.outcome.accepted, result.outcome
    assert pump.mode == dst
    assert _mode_changes(result) == [(src, dst)]


NO_EFFECT = [(cond, mode) for cond in Condition for mode in Mode if mode not in CONDITION_TRANSITIONS[cond]]


@pytest.mark.parametrize(("cond", "mode"), NO_EFFECT, ids=lambda x: x.name)
def test_condition_without_entry_keeps_the_mode(cond: Condition, mode: Mode) -> None:
    """A condition with no entry for the current mode does nothing to the mode."""
    pump = pump_in_mode(mode)
    establish(pump, cond)
    assert pump.mode == mode


def test_motor_fault_wins_over_occlusion_in_one_report() -> None:
    """``CONDITION_ORDER``: a report that is both a fault and an occlusion ends in ``MOTOR_FAULT`` (DLV-3)."""
    pump = pump_in_mode(Mode.DELIVERING)
    seq = _command_in_flight(pump, C.occlusion_consecutive_samples - 1)
    result = pump.do_raw(ev.MotorReport(pump.now, seq, 1, C.occlusion_pressure_kpa, MotorFault.ENCODER_MISMATCH))
    assert result.outcome.accepted
    assert pump.mode == Mode.MOTOR_FAULT


def test_empty_reservoir_wins_over_aged_set() -> None:
    """``CONDITION_ORDER``: an empty reservoir and an aged-out set at once end in ``EMPTY`` (RES-1)."""
    pump = pump_in_mode(Mode.DELIVERING)
    pump.state = with_reservoir(pump.state, pulses=0, set_age_ticks=pump.state.settings.set_max_age_ticks)
    pump.accept(ev.UserPresent(pump.now))
    assert pump.mode == Mode.EMPTY


def test_condition_order_is_priority_order() -> None:
    """The order is the declared one: motor fault, occlusion, empty, aged set, auto-off, low glucose, LGS end."""
    assert tuple(Condition) == CONDITION_ORDER
    assert CONDITION_ORDER[:2] == (Condition.MOTOR_FAILED, Condition.LINE_OCCLUDED)


def _busy_delivering_pump() -> Pump:
    """Delivering with a normal bolus, an extended bolus and a temp basal running."""
    pump = pump_in_mode(Mode.DELIVERING)
    pump.accept(ev.TempBasal(pump.now, 501, Source.USER, TempKind.PERCENT, 150, 60))
    pump.accept(ev.BolusRequest(pump.now, 502, Source.USER, 0, 60, 60))
    pump.accept(ev.BolusRequest(pump.now, 503, Source.USER, 150))
    pump.tick()
    assert pump.state.bolus.remaining_pulses > 0
    assert pump.state.bolus.ext_remaining_pulses > 0
    return pump


LEAVING_DELIVERING: list[tuple[str, Callable[[Pump], StepResult]]] = [
    ("Suspend", lambda p: p.accept(ev.Suspend(p.now))),
    *[
        (f"{cond.name}", lambda p, cond=cond: establish(p, cond))
        for cond, row in CONDITION_TRANSITIONS.items()
        if Mode.DELIVERING in row
    ],
]


@pytest.mark.parametrize(("name", "leave"), LEAVING_DELIVERING, ids=[n for n, _ in LEAVING_DELIVERING])
def test_leaving_delivering_ends_everything_running(name: str, leave: Callable[[Pump], StepResult]) -> None:
    """OCC-2, SUS-1, DLV-3: leaving ``DELIVERING`` ends bolus, extended bolus and temp, with what was not delivered."""
    pump = _busy_delivering_pump()
    b = pump.state.bolus
    result = leave(pump)
    assert pump.mode != Mode.DELIVERING
    assert delivers(result) == []
    [normal] = notices(result, NoticeKind.BOLUS_ENDED)
    assert (normal.a, normal.b, normal.c) == (b.delivered_pulses, b.remaining_pulses, StopCause.DELIVERY_STOPPED)
    [extended] = notices(result, NoticeKind.EXTENDED_ENDED)
    assert (extended.a, extended.b, extended.c) == (
        b.ext_delivered_pulses,
        b.ext_remaining_pulses,
        StopCause.DELIVERY_STOPPED,
    )
    [temp] = notices(result, NoticeKind.TEMP_BASAL_ENDED)
    assert temp.a == StopCause.DELIVERY_STOPPED
    s = pump.state
    assert (s.bolus.remaining_pulses, s.bolus.ext_remaining_pulses, s.basal.temp_kind) == (0, 0, TempKind.NONE)
