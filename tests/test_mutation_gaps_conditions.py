"""Tests that close surviving mutants of kernel.conditions, kernel.control.on_settings and kernel.state.

Each test names the requirement IDs it serves and the mutants it kills (issue 15); the mutants are
checked with ``python -m property_tests.mutation_apply MUTANT tests/test_mutation_gaps_conditions.py::TEST``.
"""

from __future__ import annotations

import pytest

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import LgsEnd, Notice, NoticeKind
from kernel.events import Source, TempKind
from kernel.modes import Mode
from kernel.state import evolve, initial_state
from tests.helpers import (
    CANNULA,
    PRIME,
    C,
    Pump,
    announced,
    delivering_pump,
    flat_settings,
    notices,
    pump_in_mode,
    with_timers,
)

ONE_PER_MINUTE_MU = 3000
"""A basal rate of 3 U/h: 60 pulses an hour at 0.05 U pulses (a quarter hour is 15 pulses)."""


def test_lgs_ended_notice_carries_only_its_cause() -> None:
    """SUS-4: the notice that ends an automatic suspension after its maximum says why (MAX_DURATION) and
    nothing else. Kills kernel.conditions.x_apply_conditions__mutmut_85, _86, _95, _96."""
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE_MU, lgs_enabled=True, predictive_suspend_enabled=False))
    low = pump.state.settings.lgs_threshold_mgdl - 5
    pump.glucose(low)
    ended: list[Notice] = []
    for _ in range(C.lgs_max_ticks + 2):
        if pump.now % 5 == 0:
            pump.glucose(low)
        ended += notices(pump.tick(), NoticeKind.LGS_ENDED)
    assert ended == [Notice(NoticeKind.LGS_ENDED, LgsEnd.MAX_DURATION, 0, 0)]


def test_settings_changed_notice_has_no_values() -> None:
    """CFG-1: accepted settings are announced by a SETTINGS_CHANGED notice whose values are all 0.
    Kills kernel.control.x_on_settings__mutmut_63, _64, _65."""
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE_MU))
    result = pump.accept(ev.SettingsChange(pump.now, flat_settings(ONE_PER_MINUTE_MU, max_bolus_mu=5000)))
    assert notices(result, NoticeKind.SETTINGS_CHANGED) == [Notice(NoticeKind.SETTINGS_CHANGED, 0, 0, 0)]


def test_a_controller_temp_survives_settings_that_keep_the_controller_on() -> None:
    """TMP-3, CFG-1: only settings that switch closed loop off end the controller's temp; a settings change
    that keeps it on leaves the temp running. Kills kernel.control.x_on_settings__mutmut_34."""
    pump = delivering_pump(flat_settings(1000, controller_enabled=True))
    pump.glucose(150)
    pump.accept(ev.TempBasal(pump.now, 1, Source.CONTROLLER, TempKind.PERCENT, 50, 30))
    result = pump.accept(ev.SettingsChange(pump.now, flat_settings(1000, controller_enabled=True, max_bolus_mu=5000)))
    assert notices(result, NoticeKind.TEMP_BASAL_ENDED) == []
    assert pump.state.basal.temp_kind == TempKind.PERCENT


def test_a_new_pump_is_empty_and_has_no_timers_running() -> None:
    """RES-1, RES-3, RES-4, SUS-1, ALM-2: a new pump (made at run time) shows an empty reservoir, no prime
    used, a set of age 0, no undisplaced pulses, no suspend reminder and no idle time. Kills
    kernel.state.x_initial_state__mutmut_56, _57, _58, _75, _92, _94."""
    s = initial_state(C, 17, 600)
    assert (s.reservoir.pulses, s.reservoir.prime_used_pulses, s.reservoir.set_age_ticks) == (0, 0, 0)
    assert s.motor.undisplaced_pulses == 0
    assert (s.timers.reminder_countdown_ticks, s.timers.idle_ticks) == (0, 0)
    assert (s.now_ticks, s.time_of_day_ticks) == (17, 600)


def test_a_new_pump_refuses_a_negative_time() -> None:
    """INP-1 (set-up code raises, with the reason): a negative kernel time is refused with its message.
    Kills kernel.state.x_initial_state__mutmut_3, _8."""
    with pytest.raises(ValueError, match=r"^now_ticks must be a non-negative integer, not -1$"):
        initial_state(C, -1)


@pytest.mark.parametrize("time_of_day_ticks", [-1, 1440])
def test_a_new_pump_refuses_a_time_of_day_outside_the_day(time_of_day_ticks: int) -> None:
    """BAS-3: a local time of day outside 0..1439 minutes is refused, and the message names the range.
    Kills kernel.state.x_initial_state__mutmut_9, _15, _16, _17, _18."""
    with pytest.raises(ValueError, match=rf"^time_of_day_ticks must be 0\.\.1439, not {time_of_day_ticks}$"):
        initial_state(C, 0, time_of_day_ticks)


def _limit_acked_pump(hour_room_pulses: int) -> Pump:
    """A delivering pump at 60 pulses/h whose LIMIT_REACHED alert is acknowledged and whose hour window has
    ``hour_room_pulses`` of room (state surgery on a pump reached by events)."""
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE_MU))
    s = pump.state
    alarms = tuple(AlarmStatus.ACKED if k == AlarmKind.LIMIT_REACHED else status for k, status in enumerate(s.alarms))
    used = s.settings.max_hourly_pulses - hour_room_pulses
    windows = s.windows._replace(hour_total_pulses=used, day_total_pulses=max(used, s.windows.day_total_pulses))
    pump.state = evolve(s, alarms=alarms, windows=windows)
    return pump


@pytest.mark.parametrize(("hour_room_pulses", "latched"), [(15, True), (16, False)])
def test_limit_alert_stays_acknowledged_within_a_quarter_hour_of_basal(hour_room_pulses: int, latched: bool) -> None:
    """LIM-3: an acknowledged limit alert stays acknowledged while the room is at most a quarter hour of the
    scheduled basal (15 pulses at 60 pulses/h, boundary included) and clears above it. Kills
    kernel.conditions.x_limit_latched__mutmut_37, _42."""
    pump = _limit_acked_pump(hour_room_pulses)
    pump.accept(ev.UserPresent(pump.now))
    expected = AlarmStatus.ACKED if latched else AlarmStatus.CLEAR
    assert pump.state.alarms[AlarmKind.LIMIT_REACHED] == expected


def test_a_low_reservoir_alert_waits_for_the_last_pulse_of_a_bolus() -> None:
    """RES-2: an alert raised while a bolus still has one pulse to go is shown when the bolus ends, not
    before. Kills kernel.conditions.x_busy__mutmut_6."""
    settings = flat_settings(1000)
    low = settings.reservoir_low_pulses
    bolus_pulses = C.bolus_pulses_per_tick + 1
    pump = delivering_pump(settings, reservoir=low + C.bolus_pulses_per_tick + PRIME + CANNULA)
    pump.bolus(bolus_pulses)
    first = pump.tick()
    assert (pump.state.bolus.remaining_pulses, pump.state.reservoir.pulses) == (1, low)
    assert AlarmKind.RESERVOIR_LOW not in announced(first)
    second = pump.tick()
    assert pump.state.bolus.remaining_pulses == 0
    assert AlarmKind.RESERVOIR_LOW in announced(second)


def test_a_manual_suspend_during_an_automatic_one_keeps_counting_the_suspension() -> None:
    """SUS-1, SUS-4: suspending by hand during a low-glucose suspension continues the same suspension: the
    reminder comes 15 minutes after the manual suspend and reports the whole time suspended. Kills
    kernel.conditions.x_settle__mutmut_62, _63, _64."""
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE_MU, lgs_enabled=True, predictive_suspend_enabled=False))
    pump.glucose(pump.state.settings.lgs_threshold_mgdl - 5)
    assert pump.mode == Mode.LGS_SUSPENDED
    pump.ticks(4)
    before = pump.state.timers.suspended_ticks
    assert before > 0
    pump.accept(ev.Suspend(pump.now))
    assert pump.mode == Mode.SUSPENDED
    results = pump.ticks(C.suspend_reminder_ticks)
    reminders = [(i + 1, n.a) for i, r in enumerate(results) for n in notices(r, NoticeKind.SUSPEND_REMINDER)]
    assert reminders == [(C.suspend_reminder_ticks, before + C.suspend_reminder_ticks)]


def test_settling_ends_a_bolus_found_in_a_stopped_mode() -> None:
    """BOL-6, ALM-2, OCC-2 (conditions module promise: "outside DELIVERING no bolus runs ... whatever path led
    there"): a bolus found running in AUTO_OFF (state surgery: no event sequence leaves one there, INV-BOLUS)
    is ended by the next event, with its notice. Kills kernel.conditions.x_settle__mutmut_6, _9."""
    pump = pump_in_mode(Mode.AUTO_OFF)
    s = pump.state
    pump.state = evolve(s, bolus=s.bolus._replace(remaining_pulses=10))
    result = pump.accept(ev.UserPresent(pump.now))
    assert pump.state.bolus.remaining_pulses == 0
    assert len(notices(result, NoticeKind.BOLUS_ENDED)) == 1


def test_settling_clears_suspension_time_found_while_delivering() -> None:
    """SUS-1, SUS-4 (conditions module promise: a suspension's timers belong to a suspension): suspension
    time found on a delivering pump (state surgery: no event sequence leaves it there, INV-SUSPENSION) is
    cleared by the next event. Kills kernel.conditions.x_settle__mutmut_8, _11, _12, _13."""
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE_MU))
    pump.state = with_timers(pump.state, suspended_ticks=1)
    pump.accept(ev.UserPresent(pump.now))
    assert pump.mode == Mode.DELIVERING
    assert pump.state.timers.suspended_ticks == 0


def test_a_manual_suspend_counts_its_time_from_its_start() -> None:
    """SUS-1: a suspension's time starts when it starts, even if suspension time was found on the delivering
    pump (state surgery: no event sequence leaves it there, INV-SUSPENSION); the first reminder reports 15
    minutes. Kills kernel.conditions.x_settle__mutmut_56, _57, _58, _59, _84."""
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE_MU))
    pump.state = with_timers(pump.state, suspended_ticks=7)
    pump.accept(ev.Suspend(pump.now))
    results = pump.ticks(C.suspend_reminder_ticks)
    reminders = [(i + 1, n.a) for i, r in enumerate(results) for n in notices(r, NoticeKind.SUSPEND_REMINDER)]
    assert reminders == [(C.suspend_reminder_ticks, C.suspend_reminder_ticks)]
