"""Temp basals: kinds, bounds, durations, expiry, cancel, replace, controller temps (TMP-1..3, SEN-2, LIM-4, BOL-5).

TMP-1: absolute (0..max basal) and percent (0..250 %) temps; values above are
refused, not clamped; user durations are 15 min..24 h in 15-minute steps.
TMP-2: a temp delivers for exactly its duration and the schedule resumes the
next tick; cancelling resumes at once; a new temp replaces the old one.
TMP-3: controller temps last at most 30 minutes (any whole minute), so a
silent controller falls back to the schedule by itself; a controller temp
raising basal needs fresh sensor data and ends when the data goes stale
(SEN-2), and needs room under max IOB (LIM-4).
"""

from __future__ import annotations

from typing import Any

import pytest

from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.commands import NoticeKind
from kernel.events import Source, TempKind
from kernel.reasons import Reason, StopCause
from kernel.units import MU_PER_UNIT
from tests.helpers import (
    C,
    Pump,
    all_notices,
    assert_refused,
    delivering_pump,
    flat_settings,
    next_request_id,
    notices,
    per_tick,
    quiet_settings,
)

ONE_PER_MINUTE = 60 * C.pulse_mu


def _pump(rate_mu: int = 0, **overrides: Any) -> Pump:
    return delivering_pump(flat_settings(rate_mu, **overrides))


def _temp_event(pump: Pump, kind: int, value: int, duration: int, source: int = Source.USER) -> ev.TempBasal:
    return ev.TempBasal(pump.now, next_request_id(), source, kind, value, duration)


# TMP-1: kinds and bounds.


def test_absolute_temp_bounds() -> None:
    """TMP-1: absolute rates 0..max basal are accepted; max basal + 1 is refused, not clamped."""
    pump = _pump()
    top = pump.state.settings.max_basal_pph
    for value in (0, 1, top):
        pump.accept(ev.TempBasal(pump.now, 10 + value, Source.USER, TempKind.ABSOLUTE, value, 30))
        assert pump.state.basal.temp_value == value
    assert_refused(pump, _temp_event(pump, TempKind.ABSOLUTE, top + 1, 30), Reason.TEMP_RATE_ABOVE_MAX_BASAL)


def test_percent_temp_bounds() -> None:
    """TMP-1: 0..250 % accepted; 251 % refused."""
    pump = _pump(1000)
    for value in (0, 100, C.temp_percent_max):
        pump.accept(ev.TempBasal(pump.now, 10 + value, Source.USER, TempKind.PERCENT, value, 30))
    assert_refused(pump, _temp_event(pump, TempKind.PERCENT, 251, 30), Reason.TEMP_PERCENT_OUT_OF_RANGE)


@pytest.mark.parametrize("minutes", [15, 30, 45, 90, 1425, 1440])
def test_user_durations_in_15_minute_steps_are_accepted(minutes: int) -> None:
    """TMP-1: 15 minutes to 24 hours in 15-minute steps."""
    pump = _pump()
    pump.accept(_temp_event(pump, TempKind.ABSOLUTE, 10, minutes))
    assert pump.state.basal.temp_remaining_ticks == minutes


@pytest.mark.parametrize("minutes", [1, 14, 16, 29, 31, 1439, 1441, 1455])
def test_user_durations_off_the_grid_are_refused(minutes: int) -> None:
    """TMP-1: anything else is ``TEMP_DURATION``, for user and remote sources alike (SEC-3)."""
    pump = _pump(remote_bolus_enabled=True)
    assert_refused(pump, _temp_event(pump, TempKind.ABSOLUTE, 10, minutes), Reason.TEMP_DURATION)
    assert_refused(pump, _temp_event(pump, TempKind.ABSOLUTE, 10, minutes, Source.REMOTE), Reason.TEMP_DURATION)


def test_zero_temp_delivers_nothing() -> None:
    """TMP-1: an absolute 0 temp stops basal for its duration; the schedule resumes after it."""
    pump = _pump(ONE_PER_MINUTE)
    pump.temp(TempKind.ABSOLUTE, 0, 30)
    assert per_tick(pump.ticks(32)) == [0] * 30 + [1, 1]


def test_absolute_temp_rate_is_exact() -> None:
    """TMP-1, BAS-2: an absolute temp of 7 pulses/h delivers 7 pulses in each full hour."""
    pump = _pump()
    pump.temp(TempKind.ABSOLUTE, 7, 180)
    delivered = per_tick(pump.ticks(180))
    assert [sum(delivered[h * 60 : (h + 1) * 60]) for h in range(3)] == [7, 7, 7]


# TMP-2: expiry, cancel, replace.


def test_temp_ends_exactly_after_its_duration() -> None:
    """TMP-2: a 15-minute temp delivers for 15 ticks, says so in the 15th, and the schedule resumes."""
    pump = _pump()
    pump.temp(TempKind.ABSOLUTE, 60, 15)
    results = pump.ticks(20)
    assert per_tick(results) == [1] * 15 + [0] * 5
    ended = [i + 1 for i, r in enumerate(results) if notices(r, NoticeKind.TEMP_BASAL_ENDED)]
    assert ended == [15]
    assert notices(results[14], NoticeKind.TEMP_BASAL_ENDED)[0].a == StopCause.EXPIRED
    assert pump.state.basal.temp_kind == TempKind.NONE


def test_cancel_resumes_the_schedule_at_once() -> None:
    """TMP-2: cancelling ends the temp in the same tick; the next tick is at the scheduled rate."""
    pump = _pump(ONE_PER_MINUTE)
    pump.temp(TempKind.ABSOLUTE, 0, 60)
    assert per_tick(pump.ticks(5)) == [0] * 5
    result = pump.accept(ev.CancelTempBasal(pump.now))
    assert notices(result, NoticeKind.TEMP_BASAL_ENDED)[0].a == StopCause.CANCELLED
    assert per_tick(pump.ticks(3)) == [1, 1, 1]
    assert_refused(pump, ev.CancelTempBasal(pump.now), Reason.NOTHING_TO_CANCEL)


def test_new_temp_replaces_the_old_one() -> None:
    """TMP-2: a new temp replaces a running one (with a notice) and runs its own full duration."""
    pump = _pump()
    pump.temp(TempKind.ABSOLUTE, 0, 60)
    pump.ticks(10)
    result = pump.temp(TempKind.ABSOLUTE, 60, 15)
    assert notices(result, NoticeKind.TEMP_BASAL_ENDED)[0].a == StopCause.REPLACED
    assert per_tick(pump.ticks(17)) == [1] * 15 + [0, 0]
    assert len(all_notices(pump.ticks(60), NoticeKind.TEMP_BASAL_ENDED)) == 0, "the old temp does not end again"


def test_temp_replacement_keeps_the_accumulator() -> None:
    """TMP-2, BAS-2: replacing a temp neither loses nor gifts the fraction already accumulated."""
    pump = _pump()
    pump.temp(TempKind.ABSOLUTE, 30, 60)
    pump.tick()
    acc = pump.state.basal.acc
    assert acc > 0
    pump.temp(TempKind.ABSOLUTE, 20, 60)
    assert pump.state.basal.acc == acc


def test_temp_request_id_is_idempotent() -> None:
    """BOL-5: a repeated temp request ID is answered as accepted, replayed, and changes nothing."""
    pump = _pump()
    first = ev.TempBasal(pump.now, 31, Source.USER, TempKind.ABSOLUTE, 30, 60)
    pump.accept(first)
    pump.ticks(10)
    before = pump.state
    again = pump.do(ev.TempBasal(pump.now, 31, Source.USER, TempKind.ABSOLUTE, 60, 120))
    assert again.outcome.accepted and again.outcome.replayed
    assert again.commands == ()
    assert pump.state.basal == before.basal


# TMP-3: controller temps.


def _loop_pump(rate_mu: int = 1000, **overrides: Any) -> Pump:
    pump = _pump(rate_mu, controller_enabled=True, **overrides)
    pump.glucose(150)
    return pump


@pytest.mark.parametrize("minutes", [1, 7, 29, 30])
def test_controller_temps_last_at_most_30_minutes(minutes: int) -> None:
    """TMP-3: any whole number of minutes up to 30 is accepted for the controller."""
    pump = _loop_pump()
    pump.accept(_temp_event(pump, TempKind.PERCENT, 50, minutes, Source.CONTROLLER))


@pytest.mark.parametrize("minutes", [31, 45, 60, 1440])
def test_controller_temps_longer_than_30_minutes_are_refused(minutes: int) -> None:
    """TMP-3: a controller temp longer than 30 minutes is ``TEMP_DURATION``, even on the 15-minute grid."""
    pump = _loop_pump()
    assert_refused(pump, _temp_event(pump, TempKind.PERCENT, 50, minutes, Source.CONTROLLER), Reason.TEMP_DURATION)


def test_silent_controller_falls_back_to_the_schedule() -> None:
    """TMP-3: when the controller stops sending, its temp ends after 30 minutes at most and the schedule resumes."""
    pump = _loop_pump(ONE_PER_MINUTE)
    pump.accept(_temp_event(pump, TempKind.ABSOLUTE, 0, 30, Source.CONTROLLER))
    assert per_tick(pump.ticks(35)) == [0] * 30 + [1] * 5


def test_controller_needs_closed_loop_enabled() -> None:
    """TMP-3, SEC-3: with closed loop off, controller temps are refused."""
    pump = _pump(1000)
    pump.glucose(150)
    assert_refused(pump, _temp_event(pump, TempKind.PERCENT, 50, 30, Source.CONTROLLER), Reason.CONTROLLER_DISABLED)


def test_controller_temp_raising_basal_needs_sensor_data() -> None:
    """SEN-2, TMP-3: without fresh sensor data a raising controller temp is refused; a lowering one is not."""
    pump = _pump(1000, controller_enabled=True)
    raising = _temp_event(pump, TempKind.PERCENT, 150, 30, Source.CONTROLLER)
    assert_refused(pump, raising, Reason.SENSOR_UNAVAILABLE)
    pump.accept(_temp_event(pump, TempKind.PERCENT, 50, 30, Source.CONTROLLER))
    pump.ticks(20)
    pump.glucose(150, age=C.glucose_max_age_ticks + 1)
    assert_refused(pump, _temp_event(pump, TempKind.ABSOLUTE, 40, 30, Source.CONTROLLER), Reason.SENSOR_UNAVAILABLE)


def test_controller_temp_falls_back_when_sensor_data_is_lost() -> None:
    """SEN-2, TMP-3: a raising controller temp ends (``SENSOR_LOST``) in the first tick its data is stale,
    before that tick's delivery; the schedule resumes."""
    pump = _loop_pump(20 * C.pulse_mu)
    pump.accept(_temp_event(pump, TempKind.ABSOLUTE, 60, 30, Source.CONTROLLER))
    results = pump.ticks(C.glucose_max_age_ticks + 1)
    assert per_tick(results[: C.glucose_max_age_ticks]) == [1] * C.glucose_max_age_ticks
    last = results[-1]
    assert [n.a for n in notices(last, NoticeKind.TEMP_BASAL_ENDED)] == [StopCause.SENSOR_LOST]
    assert pump.state.basal.temp_kind == TempKind.NONE
    assert sum(per_tick(pump.ticks(60))) <= 21


def test_lowering_controller_temp_survives_sensor_loss() -> None:
    """SEN-2: a controller temp below the schedule is the safe side and keeps running without data."""
    pump = _loop_pump(ONE_PER_MINUTE)
    pump.accept(_temp_event(pump, TempKind.PERCENT, 0, 30, Source.CONTROLLER))
    assert per_tick(pump.ticks(30)) == [0] * 30


def test_controller_temp_refused_above_max_iob() -> None:
    """LIM-4: a raising controller temp whose 30-minute projection would take IOB above max IOB is refused."""
    pump = _loop_pump(0, max_iob_mu=1 * MU_PER_UNIT)
    # 60 pulses/h for 30 minutes is 30 pulses: more than the 20 pulses of max IOB.
    assert_refused(pump, _temp_event(pump, TempKind.ABSOLUTE, 60, 30, Source.CONTROLLER), Reason.MAX_IOB)
    # 40 pulses/h for 30 minutes is 20 pulses: exactly max IOB.
    pump.accept(_temp_event(pump, TempKind.ABSOLUTE, 40, 30, Source.CONTROLLER))


def test_controller_temp_projection_covers_the_next_basal_segment() -> None:
    """LIM-4: a percent temp started 10 minutes before the schedule rises is projected at the higher rate.

    Profile 0.2 U/h until 00:30, then 1.2 U/h; max IOB 0.5 U (10 pulses).  At 00:20 a 250 % controller temp
    runs 10 minutes at 10 pulses/h and 20 minutes at 60 pulses/h: 30 minutes at 60 pulses/h is 30 pulses,
    above max IOB, so it is refused, though at the current rate (5 pulses) it would fit.  The same temp for
    10 minutes ends before the boundary and fits."""
    settings = quiet_settings(
        basal_segments_mu_per_hour=((0, 200), (30, 1200)), max_iob_mu=500, controller_enabled=True
    )
    pump = delivering_pump(settings)
    pump.ticks(20)
    pump.glucose(150)
    assert_refused(pump, _temp_event(pump, TempKind.PERCENT, 250, 30, Source.CONTROLLER), Reason.MAX_IOB)
    assert_refused(pump, _temp_event(pump, TempKind.PERCENT, 250, 11, Source.CONTROLLER), Reason.MAX_IOB)
    pump.accept(_temp_event(pump, TempKind.PERCENT, 250, 10, Source.CONTROLLER))


def test_controller_temp_projection_wraps_at_midnight() -> None:
    """LIM-4, BAS-3: the slot of a temp's last tick wraps past midnight into the first slot of the day.

    Profile 1.2 U/h until 00:30, then nothing; at 23:50 a 250 % controller temp raises nothing now but 60
    pulses/h (max basal) after midnight: refused above max IOB for 30 minutes and for 11 (last tick exactly at
    00:00, slot 0: kills ``kernel.temp.x_last_tick_of_day__mutmut_21``, 24:00 not wrapped), accepted for 10."""
    settings = quiet_settings(basal_segments_mu_per_hour=((0, 1200), (30, 0)), max_iob_mu=500, controller_enabled=True)
    pump = delivering_pump(settings)
    pump.ticks(24 * 60 - 10)
    pump.glucose(150)
    assert pump.state.time_of_day_ticks == 24 * 60 - 10
    assert_refused(pump, _temp_event(pump, TempKind.PERCENT, 250, 30, Source.CONTROLLER), Reason.MAX_IOB)
    assert_refused(pump, _temp_event(pump, TempKind.PERCENT, 250, 11, Source.CONTROLLER), Reason.MAX_IOB)
    pump.accept(_temp_event(pump, TempKind.PERCENT, 250, 10, Source.CONTROLLER))


def test_max_iob_does_not_limit_user_temps() -> None:
    """LIM-4: max IOB bounds automated dosing only."""
    pump = _pump(0, max_iob_mu=1 * MU_PER_UNIT)
    pump.accept(_temp_event(pump, TempKind.ABSOLUTE, 60, 60))


def test_controller_temp_refused_while_delivery_is_uncertain() -> None:
    """DLV-2: while a delivery is unconfirmed (its alarm acknowledged), controller temps are refused;
    a user's temp is accepted."""
    pump = _loop_pump(ONE_PER_MINUTE)
    pump.auto_confirm = False
    pump.tick()
    pump.tick()
    assert pump.state.motor.uncertain
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.DELIVERY_UNCERTAIN))
    pump.glucose(150)
    controller = _temp_event(pump, TempKind.PERCENT, 50, 30, Source.CONTROLLER)
    assert_refused(pump, controller, Reason.DELIVERY_UNCERTAIN)
    pump.accept(_temp_event(pump, TempKind.PERCENT, 50, 30))


def test_remote_cancel_does_not_count_as_user_presence() -> None:
    """ALM-2: a temp cancelled by the controller does not restart the auto-off timer."""
    pump = _loop_pump(1000, auto_off_hours=1)
    pump.accept(_temp_event(pump, TempKind.PERCENT, 50, 30, Source.CONTROLLER))
    pump.ticks(10)
    pump.accept(ev.CancelTempBasal(pump.now, Source.CONTROLLER))
    assert pump.state.timers.idle_ticks == 10
