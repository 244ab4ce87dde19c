"""Every alarm kind, the alarm status machine, and deferred reservoir alerts (ALM-1, ALM-3, RES-2).

For every ``AlarmKind`` a real situation raises it.  Each test checks that it
is announced exactly once as an ``Alarm`` command with its priority from
``PRIORITY``, logged, stays ``ACTIVE`` (and silent) until acknowledged, and
that ``AlarmAck`` moves it to ``ACKED`` while its condition holds (``CLEAR``
otherwise).  Alarms whose condition can clear without an acknowledgement
stay active after it clears (ALM-3).  High-priority alarms stop delivery and
block resuming until acknowledged (ALM-1).  ``STATUS_TABLE`` is checked as a
table: complete, nothing ever leaves ``ACTIVE`` but an acknowledgement, a
deferred alert is never dropped.  RES-2: low-reservoir alerts that arise
during a bolus or a prime are held back and shown when it ends.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from kernel import events as ev
from kernel.alarms import (
    DEFERRABLE,
    HIGH_ALARMS,
    PRIORITY,
    STATUS_TABLE,
    AlarmKind,
    AlarmStatus,
    Priority,
    acknowledge,
    advance_alarm,
    repeat_unacknowledged,
)
from kernel.commands import Alarm, NoticeKind
from kernel.log import LogKind
from kernel.logic import PY
from kernel.modes import STOPPED_MODES, Mode
from kernel.reasons import Reason
from kernel.units import ALARM_REPEATS_MAX, MU_PER_UNIT
from tests.helpers import (
    CANNULA,
    PRIME,
    C,
    Pump,
    announced,
    assert_refused,
    delivering_pump,
    flat_settings,
    notices,
    per_tick,
    pump_in_mode,
    quiet_settings,
)


def _uncertain() -> Pump:
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.bolus(10)
    pump.tick()
    pump.tick()
    assert pump.state.motor.uncertain
    return pump


def _reservoir_down_to(level: int) -> Pump:
    """Delivering at 1 pulse a minute until the reservoir holds ``level`` pulses."""
    pump = delivering_pump(flat_settings(3000), reservoir=PRIME + CANNULA + level + 3)
    pump.ticks(3)
    assert pump.state.reservoir.pulses == level
    return pump


def _limit_reached() -> Pump:
    one_unit = 1 * MU_PER_UNIT
    settings = flat_settings(one_unit, max_basal_mu_per_hour=one_unit, max_bolus_mu=one_unit, max_hourly_mu=one_unit)
    pump = delivering_pump(settings)
    pump.bolus(settings.max_hourly_pulses)
    pump.ticks(3)
    return pump


def _set_reminder() -> Pump:
    settings = quiet_settings(set_reminder_hours=12, set_max_age_hours=13)
    pump = delivering_pump(settings)
    pump.ticks(settings.set_reminder_ticks)
    return pump


def _sensor_unavailable() -> Pump:
    return delivering_pump(quiet_settings(lgs_enabled=True))


RAISE: dict[AlarmKind, Callable[[], Pump]] = {
    AlarmKind.OCCLUSION: lambda: pump_in_mode(Mode.OCCLUDED),
    AlarmKind.MOTOR_FAULT: lambda: pump_in_mode(Mode.MOTOR_FAULT),
    AlarmKind.RESERVOIR_EMPTY: lambda: pump_in_mode(Mode.EMPTY),
    AlarmKind.SET_EXPIRED: lambda: pump_in_mode(Mode.SET_EXPIRED),
    AlarmKind.AUTO_OFF: lambda: pump_in_mode(Mode.AUTO_OFF),
    AlarmKind.DELIVERY_UNCERTAIN: _uncertain,
    AlarmKind.LOW_GLUCOSE_SUSPEND: lambda: pump_in_mode(Mode.LGS_SUSPENDED),
    AlarmKind.RESERVOIR_VERY_LOW: lambda: _reservoir_down_to(C.reservoir_very_low_pulses),
    AlarmKind.LIMIT_REACHED: _limit_reached,
    AlarmKind.RESERVOIR_LOW: lambda: _reservoir_down_to(quiet_settings().reservoir_low_pulses),
    AlarmKind.SET_REMINDER: _set_reminder,
    AlarmKind.SENSOR_UNAVAILABLE: _sensor_unavailable,
}
"""A situation that raises each alarm kind."""


def test_every_alarm_kind_has_a_situation_and_a_priority() -> None:
    """ALM-1: every kind is raised by a test below and has a priority."""
    assert set(RAISE) == set(AlarmKind) == set(PRIORITY)
    assert set(HIGH_ALARMS) == {k for k in AlarmKind if PRIORITY[k] == Priority.HIGH}


def _announcements(pump: Pump, kind: AlarmKind) -> list[Alarm]:
    return [c for c in pump.commands() if isinstance(c, Alarm) and c.kind == kind]


@pytest.mark.parametrize("kind", list(AlarmKind), ids=lambda k: k.name)
def test_alarm_is_raised_once_and_repeated_until_acknowledged(kind: AlarmKind) -> None:
    """ALM-1, ALM-3, ALM-5: announced once as new with its priority and logged; while unacknowledged it is
    not raised anew; a high or medium one is repeated with a count that never falls while it waits, capped
    (escalation); a low-priority one stays active, shown once.

    Other alarms of the scenario (a sensor going unavailable, auto-off) restart the countdown when they are
    new, so the exact cadence is tested on its own below."""
    pump = RAISE[kind]()
    assert pump.state.alarms[kind] == AlarmStatus.ACTIVE
    assert _announcements(pump, kind) == [Alarm(kind, PRIORITY[kind], 0)]
    assert any(e.kind == LogKind.ALARM_ANNOUNCED and e.code == kind for e in pump.state.log.entries)
    pump.ticks(5 * C.alarm_repeat_ticks)
    assert pump.state.alarms[kind] == AlarmStatus.ACTIVE
    counts = [a.repeat for a in _announcements(pump, kind)]
    if PRIORITY[kind] == Priority.LOW:
        assert counts == [0], "a low-priority alert asks for awareness: shown once, not repeated"
        return
    assert counts[0] == 0 and len(counts) >= 5
    assert all(1 <= a <= b <= ALARM_REPEATS_MAX for a, b in itertools.pairwise(counts[1:]))
    pump.accept(ev.AlarmAck(pump.now, kind))
    pump.ticks(3 * C.alarm_repeat_ticks)
    assert len(_announcements(pump, kind)) == len(counts), "an acknowledged alarm is not repeated"


def test_repetition_comes_every_alarm_repeat_ticks() -> None:
    """ALM-5: the repetitions of an unacknowledged alarm come exactly ``alarm_repeat_ticks`` apart."""
    pump = RAISE[AlarmKind.OCCLUSION]()
    start = pump.now
    times = []
    for _ in range(3 * C.alarm_repeat_ticks):
        result = pump.tick()
        if any(isinstance(c, Alarm) and c.kind == AlarmKind.OCCLUSION for c in result.commands):
            times.append(pump.now - start)
    assert times == [C.alarm_repeat_ticks, 2 * C.alarm_repeat_ticks, 3 * C.alarm_repeat_ticks]


def test_a_new_alarm_goes_out_new_and_the_escalation_goes_on() -> None:
    """ALM-5: a newly raised alarm is announced with count 0 and restarts the repetition countdown; the count
    (how long the pump has been left unanswered) falls back to 0 only when no high or medium alarm waits."""
    waiting = tuple(AlarmStatus.ACTIVE if k == AlarmKind.OCCLUSION else AlarmStatus.CLEAR for k in AlarmKind)
    nothing = (False,) * len(AlarmKind)
    # Due: the waiting occlusion goes out again, count 2 -> 3.
    again, countdown, count, signal = repeat_unacknowledged(waiting, nothing, 0, 2, 15, PY)
    assert again[AlarmKind.OCCLUSION] and sum(again) == 1 and (countdown, count, signal) == (15, 3, 3)
    # A new medium alarm in the same step: it goes out new (signal 0), the countdown restarts, the count stays.
    both = tuple(
        AlarmStatus.ACTIVE if k in (AlarmKind.OCCLUSION, AlarmKind.LIMIT_REACHED) else AlarmStatus.CLEAR
        for k in AlarmKind
    )
    new_limit = tuple(k == AlarmKind.LIMIT_REACHED for k in AlarmKind)
    assert repeat_unacknowledged(both, new_limit, 0, 2, 15, PY) == (new_limit, 15, 2, 0)
    # Not due yet: nothing repeats, the countdown keeps running.
    assert repeat_unacknowledged(waiting, nothing, 7, 2, 15, PY) == (nothing, 7, 2, 0)
    # Only a low-priority alert waits: nothing repeats and both fall to 0.
    low_only = tuple(AlarmStatus.ACTIVE if k == AlarmKind.RESERVOIR_LOW else AlarmStatus.CLEAR for k in AlarmKind)
    assert repeat_unacknowledged(low_only, nothing, 0, 2, 15, PY) == (nothing, 0, 0, 0)


@pytest.mark.parametrize("kind", list(AlarmKind), ids=lambda k: k.name)
def test_acknowledging_an_alarm(kind: AlarmKind) -> None:
    """ALM-1, ALM-3: an acknowledgement moves it to ACKED while its condition holds, else CLEAR; logged once."""
    pump = RAISE[kind]()
    result = pump.accept(ev.AlarmAck(pump.now, kind))
    entries = [e for e in result.state.log.entries if e.kind == LogKind.ALARM_ACKNOWLEDGED]
    assert entries[-1].code == kind and entries[-1].tick == pump.now
    # LIMIT_REACHED is raised by an edge, and latched while the room stays low (kernel.conditions.limit_latched).
    assert pump.state.alarms[kind] == AlarmStatus.ACKED
    assert_refused(pump, ev.AlarmAck(pump.now, kind), Reason.ALARM_NOT_ACTIVE)
    pump.ticks(5)
    assert len(_announcements(pump, kind)) == 1, "an acknowledged alarm is not raised again while it holds"


def _room_back(pump: Pump) -> None:
    """Stop delivering until every pulse has left the hour window, so the room is back."""
    pump.accept(ev.Suspend(pump.now))
    pump.ticks(70)


def test_limit_reached_is_latched_until_the_room_is_back_then_raised_again() -> None:
    """ALM-1, LIM-3: while the pump runs at the limit, withheld pulses neither re-announce the active alert nor,
    once acknowledged, raise it again; when the room is back it clears, and the next withheld pulse raises it."""
    pump = _limit_reached()
    pump.ticks(10)
    assert len(_announcements(pump, AlarmKind.LIMIT_REACHED)) == 1
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.LIMIT_REACHED))
    withheld = pump.state.totals.withheld_pulses
    pump.ticks(40)
    assert pump.state.totals.withheld_pulses > withheld
    assert pump.state.alarms[AlarmKind.LIMIT_REACHED] == AlarmStatus.ACKED
    assert len(_announcements(pump, AlarmKind.LIMIT_REACHED)) == 1
    _room_back(pump)
    assert pump.state.alarms[AlarmKind.LIMIT_REACHED] == AlarmStatus.CLEAR
    pump.accept(ev.Resume(pump.now))
    pump.bolus(pump.state.settings.max_hourly_pulses)
    pump.run_until(lambda p: p.state.alarms[AlarmKind.LIMIT_REACHED] == AlarmStatus.ACTIVE, 10)
    assert len(_announcements(pump, AlarmKind.LIMIT_REACHED)) == 2


def _glucose_recovers(pump: Pump) -> None:
    """SUS-4: rising readings well above the threshold end the automatic suspension after its minimum."""
    pump.recover_glucose()
    assert pump.mode == Mode.DELIVERING


CLEAR_WITHOUT_ACK: dict[AlarmKind, Callable[[Pump], object]] = {
    AlarmKind.DELIVERY_UNCERTAIN: lambda p: p.accept(ev.MotorReport(p.now, p.state.motor.seq, 10)),
    AlarmKind.LOW_GLUCOSE_SUSPEND: lambda p: _glucose_recovers(p),
    AlarmKind.LIMIT_REACHED: _room_back,
    AlarmKind.SENSOR_UNAVAILABLE: lambda p: p.accept(ev.GlucoseReading(p.now, p.now, 120)),
    AlarmKind.RESERVOIR_LOW: lambda p: _new_reservoir(p),
    AlarmKind.RESERVOIR_VERY_LOW: lambda p: _new_reservoir(p),
    AlarmKind.SET_REMINDER: lambda p: _new_reservoir(p),
}
"""For the kinds whose condition can end while the alarm is active: how it ends."""


def _new_reservoir(pump: Pump) -> None:
    for event in (
        ev.Suspend(pump.now),
        ev.Rewind(pump.now),
        ev.FillReservoir(pump.now, 4000),
        ev.PrimeTubing(pump.now, PRIME),
        ev.FillCannula(pump.now, CANNULA),
        ev.Resume(pump.now),
    ):
        pump.accept(event)


@pytest.mark.parametrize("kind", list(CLEAR_WITHOUT_ACK), ids=lambda k: k.name)
def test_alarm_stays_active_after_its_condition_clears(kind: AlarmKind) -> None:
    """ALM-3: an alarm is never lost: still ACTIVE after its cause is gone, until acknowledged; then CLEAR."""
    pump = RAISE[kind]()
    CLEAR_WITHOUT_ACK[kind](pump)
    pump.ticks(3)
    assert pump.state.alarms[kind] == AlarmStatus.ACTIVE
    pump.accept(ev.AlarmAck(pump.now, kind))
    assert pump.state.alarms[kind] == AlarmStatus.CLEAR


@pytest.mark.parametrize("mode", STOPPED_MODES, ids=lambda m: m.name)
def test_high_alarm_blocks_leaving_a_stopped_mode_until_acknowledged(mode: Mode) -> None:
    """ALM-1: Rewind, Resume and ClearLine are refused while the mode's high alarm is unacknowledged."""
    pump = pump_in_mode(mode)
    [kind] = [k for k in HIGH_ALARMS if pump.state.alarms[k] == AlarmStatus.ACTIVE]
    for event in (ev.Rewind(pump.now), ev.Resume(pump.now), ev.ClearLine(pump.now)):
        if pump.do(event).outcome.reason != Reason.NOT_ALLOWED_IN_MODE:
            assert_refused(pump, event, Reason.ALARM_UNACKNOWLEDGED)
    pump.accept(ev.AlarmAck(pump.now, kind))
    assert pump.state.alarms[kind] == AlarmStatus.ACKED
    pump.accept(ev.Rewind(pump.now))
    assert pump.mode == Mode.REWOUND
    assert pump.state.alarms[kind] == AlarmStatus.CLEAR


def test_active_high_alarm_stops_delivery_until_acknowledged() -> None:
    """ALM-1: after an uncertain delivery is resolved the pump is delivering again, but no pulse
    is commanded, and no bolus or temp accepted, until the high alarm is acknowledged."""
    pump = delivering_pump(flat_settings(3000), auto_confirm=False)
    pump.tick()
    pump.tick()
    assert pump.state.motor.uncertain
    pump.accept(ev.MotorReport(pump.now, pump.state.motor.seq, 1))
    pump.auto_confirm = True
    assert pump.mode == Mode.DELIVERING
    assert per_tick(pump.ticks(10)) == [0] * 10
    assert_refused(pump, ev.BolusRequest(pump.now, 1, 0, 10), Reason.ALARM_UNACKNOWLEDGED)
    assert_refused(pump, ev.TempBasal(pump.now, 2, 0, 1, 10, 30), Reason.ALARM_UNACKNOWLEDGED)
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.DELIVERY_UNCERTAIN))
    assert per_tick(pump.ticks(3)) == [1, 1, 1]


def test_medium_and_low_alarms_do_not_stop_delivery() -> None:
    """ALM-1: only high-priority alarms stop delivery; a low-reservoir alert does not."""
    pump = _reservoir_down_to(quiet_settings().reservoir_low_pulses)
    assert pump.state.alarms[AlarmKind.RESERVOIR_LOW] == AlarmStatus.ACTIVE
    assert per_tick(pump.ticks(5)) == [1] * 5


# The status machine as a table.

S = AlarmStatus


def test_status_table_is_complete() -> None:
    """ALM-3: the machine has an entry for every (status, holds, held back)."""
    assert set(STATUS_TABLE) == set(itertools.product(AlarmStatus, (False, True), (False, True)))


def test_status_table_announces_exactly_on_entering_active() -> None:
    """ALM-1: an alarm is announced exactly when it becomes ACTIVE from CLEAR or DEFERRED."""
    for (status, _holds, _held), (new, says) in STATUS_TABLE.items():
        assert says == (new == S.ACTIVE and status != S.ACTIVE)


def test_status_table_never_leaves_active_without_acknowledgement() -> None:
    """ALM-3: ACTIVE stays ACTIVE whatever the condition; only ``acknowledge`` moves it."""
    for (status, _holds, _held), (new, _says) in STATUS_TABLE.items():
        if status == S.ACTIVE:
            assert new == S.ACTIVE


def test_status_table_never_drops_a_deferred_alert() -> None:
    """RES-2: a deferred alert stays deferred while held back and becomes ACTIVE (announced) when released,
    even if its condition has cleared meanwhile."""
    for holds in (False, True):
        assert STATUS_TABLE[(S.DEFERRED, holds, True)] == (S.DEFERRED, False)
        assert STATUS_TABLE[(S.DEFERRED, holds, False)] == (S.ACTIVE, True)


def test_status_table_rows() -> None:
    """The remaining rows: CLEAR raises or defers; ACKED clears when the condition clears."""
    assert STATUS_TABLE[(S.CLEAR, False, False)] == (S.CLEAR, False)
    assert STATUS_TABLE[(S.CLEAR, False, True)] == (S.CLEAR, False)
    assert STATUS_TABLE[(S.CLEAR, True, False)] == (S.ACTIVE, True)
    assert STATUS_TABLE[(S.CLEAR, True, True)] == (S.DEFERRED, False)
    for held in (False, True):
        assert STATUS_TABLE[(S.ACKED, True, held)] == (S.ACKED, False)
        assert STATUS_TABLE[(S.ACKED, False, held)] == (S.CLEAR, False)


def test_advance_alarm_reads_the_table() -> None:
    """``advance_alarm`` with the Python logic is exactly ``STATUS_TABLE``."""
    for (status, holds, held), expected in STATUS_TABLE.items():
        assert advance_alarm(status, holds, held, PY) == expected


def test_acknowledge_only_moves_the_acknowledged_active_alarm() -> None:
    """ALM-3: ``acknowledge`` moves only the named kind, only from ACTIVE: to ACKED if it holds, else CLEAR."""
    statuses = tuple(S.ACTIVE if k % 2 == 0 else S.DEFERRED for k in AlarmKind)
    for kind in AlarmKind:
        for holds in (False, True):
            after = acknowledge(statuses, kind, tuple(holds for _ in AlarmKind), PY)
            for other in AlarmKind:
                if other != kind or statuses[other] != S.ACTIVE:
                    assert after[other] == statuses[other]
                else:
                    assert after[other] == (S.ACKED if holds else S.CLEAR)


# RES-2: deferred reservoir alerts.


def test_only_reservoir_alerts_are_deferrable() -> None:
    """RES-2: the low and very-low reservoir alerts are the deferrable ones."""
    assert set(DEFERRABLE) == {AlarmKind.RESERVOIR_LOW, AlarmKind.RESERVOIR_VERY_LOW}


def test_reservoir_alerts_during_a_bolus_are_shown_when_it_ends() -> None:
    """RES-2, ALM-1: both reservoir alerts, crossed during a bolus, are held back and announced in the step
    the bolus ends, in kind order, after that step's ``Deliver`` and before its notices."""
    settings = flat_settings(0, reservoir_low_mu=6 * MU_PER_UNIT)
    low = settings.reservoir_low_pulses
    assert low > C.reservoir_very_low_pulses
    pump = delivering_pump(settings, reservoir=PRIME + CANNULA + low + 80)
    pump.bolus(150)
    results = pump.ticks(10)
    ended = next(i for i, r in enumerate(results) if notices(r, NoticeKind.BOLUS_ENDED))
    assert pump.state.reservoir.pulses == low + 80 - 150 < C.reservoir_very_low_pulses
    for i, result in enumerate(results[:ended]):
        assert announced(result) == [], f"alert shown at tick {i + 1}, during the bolus"
    assert announced(results[ended]) == [AlarmKind.RESERVOIR_VERY_LOW, AlarmKind.RESERVOIR_LOW]
    order = [type(c).__name__ for c in results[ended].commands]
    assert order == ["Deliver", "Alarm", "Alarm", "Notice"]


def test_deferred_alert_is_deferred_while_the_bolus_runs() -> None:
    """RES-2: the status is DEFERRED (not lost, not active) while the bolus runs."""
    low = quiet_settings().reservoir_low_pulses
    pump = delivering_pump(flat_settings(0), reservoir=PRIME + CANNULA + low + 10)
    pump.bolus(100)
    pump.tick()
    assert pump.state.bolus.remaining_pulses > 0
    assert pump.state.alarms[AlarmKind.RESERVOIR_LOW] == AlarmStatus.DEFERRED
    pump.run_until(lambda p: p.state.bolus.remaining_pulses == 0, 10)
    assert pump.state.alarms[AlarmKind.RESERVOIR_LOW] == AlarmStatus.ACTIVE


def test_reservoir_alert_cancelled_bolus_still_shows_the_alert() -> None:
    """RES-2: a cancelled bolus releases the deferred alert in the cancel step."""
    low = quiet_settings().reservoir_low_pulses
    pump = delivering_pump(flat_settings(0), reservoir=PRIME + CANNULA + low + 10)
    pump.bolus(100)
    pump.tick()
    result = pump.accept(ev.CancelBolus(pump.now))
    assert announced(result) == [AlarmKind.RESERVOIR_LOW]


def test_low_reservoir_during_priming_is_shown_after_the_prime() -> None:
    """RES-2: a reservoir filled below the low level alerts once priming is over (cannula filled), not before."""
    pump = Pump()
    pump.accept(ev.SettingsChange(0, quiet_settings()))
    steps = [
        pump.accept(ev.FillReservoir(0, 300)),
        pump.accept(ev.PrimeTubing(0, PRIME)),
        pump.accept(ev.PrimeTubing(0, PRIME)),
    ]
    assert all(announced(r) == [] for r in steps)
    assert pump.state.alarms[AlarmKind.RESERVOIR_LOW] == AlarmStatus.DEFERRED
    assert announced(pump.accept(ev.FillCannula(0, CANNULA))) == [AlarmKind.RESERVOIR_LOW]
