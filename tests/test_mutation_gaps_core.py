"""Core behaviours that surviving mutants of the full mutation run showed untested (LOG-1, BOL-5, ALM-5, CFG-1..3).

Each test pins one behaviour a user or a requirement cares about at the exact
point a surviving mutant of ``kernel.step``, ``kernel.requests``,
``kernel.alarms``, ``kernel.commands`` or ``kernel.settings`` changed it: the
fields of every log record, the request memory away from tick 0 and at its
oldest slot, the repetition count of a waiting alarm, settings exactly at
their ceilings, a new pump's settings, and the set-up errors of
``make_settings`` and ``profile_slots``.  Each docstring names the mutants it
kills (``property_tests.mutation_apply`` verifies it: KILLS);
``docs/mutation.md`` explains the run.
"""

from __future__ import annotations

from typing import Any

import pytest

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import Alarm, Purpose
from kernel.events import Source
from kernel.log import LogKind
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.settings import SettingsRule, TherapySettings, make_settings, profile_slots, settings_problems
from kernel.state import Requests, evolve, initial_state
from kernel.step import step
from kernel.units import REQUEST_SLOTS
from specs.invariants import failing
from tests.helpers import (
    CANNULA,
    PRIME,
    C,
    Pump,
    announced,
    delivering_pump,
    delivers,
    flat_settings,
    pump_in_mode,
    quiet_settings,
    with_timers,
)

# --- the event log: every record has its documented fields (LOG-1) ------------------------------


def test_every_log_record_has_its_documented_fields() -> None:
    """LOG-1: a refusal for form has no settings-rule mask; an accepted event without a request ID logs 0;
    a motor confirmation, an alarm announced and an alarm acknowledged carry only their documented values
    (``LogKind``), the unused fields 0.

    Kills kernel.step.x_step__mutmut_7, kernel.step.x__log_records__mutmut_18, _26, _30, _34, _35, _45, _46.
    """
    pump = pump_in_mode(Mode.OCCLUDED)  # motor confirmations, then the occlusion alarm
    pump.do(object())  # not an event: refused before any arithmetic
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.OCCLUSION))
    pump.accept(ev.ClearLine(pump.now))
    entries = pump.state.log.entries
    kinds = {entry.kind for entry in entries}
    assert {
        LogKind.EVENT_REFUSED,
        LogKind.EVENT_ACCEPTED,
        LogKind.MOTOR_CONFIRMED,
        LogKind.ALARM_ANNOUNCED,
        LogKind.ALARM_ACKNOWLEDGED,
    } <= kinds
    for entry in entries:
        if entry.kind == LogKind.EVENT_REFUSED:
            assert (entry.code, entry.a, entry.b) == (-1, Reason.NOT_AN_EVENT, 0), entry
        elif entry.kind == LogKind.EVENT_ACCEPTED:
            assert (entry.a, entry.b) == (0, 0), entry  # no request carried an ID in this history
        elif entry.kind == LogKind.MOTOR_CONFIRMED:
            assert entry.code == 0, entry
        elif entry.kind == LogKind.ALARM_ANNOUNCED:
            assert (entry.a, entry.b) == (0, 0), entry
        elif entry.kind == LogKind.ALARM_ACKNOWLEDGED:
            assert (entry.code, entry.a, entry.b) == (AlarmKind.OCCLUSION, 0, 0), entry


def test_an_accepted_request_logs_its_id_whatever_int_type_it_has() -> None:
    """LOG-1, BOL-5: ``form_check`` accepts a kernel ``IntEnum`` member as an integer field, and the request
    memory remembers the request under its value; the log must name the same ID.

    Pins the defect found by kernel.step.x__log_records__mutmut_22 and _25 of the kernel afac0d7b (fixed since:
    the log now records ``int(request_id)`` of any ID ``form_check`` accepts).
    """
    pump = delivering_pump(flat_settings(0))
    request_id = Source.CONTROLLER  # an IntEnum member of value 2
    pump.accept(ev.TempBasal(pump.now, request_id, Source.USER, ev.TempKind.PERCENT, 50, 30))
    assert pump.state.requests.ids[0] == 2
    entry = pump.state.log.entries[-1]
    assert entry.kind == LogKind.EVENT_ACCEPTED
    assert entry.a == 2


# --- motor commands (DLV-1) ---------------------------------------------------------------------


def test_a_one_pulse_prime_is_commanded_with_its_sequence_number() -> None:
    """DLV-1, RES-3: priming a single pulse commands the motor with the next sequence number, which the
    motor's confirmation must then carry.

    Kills kernel.commands.x_deliver__mutmut_18.
    """
    pump = Pump(auto_confirm=False)
    pump.accept(ev.SettingsChange(0, quiet_settings()))
    pump.accept(ev.FillReservoir(0, 4000))
    result = pump.accept(ev.PrimeTubing(0, 1))
    (command,) = delivers(result)
    assert (command.pulses, command.purpose) == (1, Purpose.PRIME)
    assert command.seq == pump.state.motor.seq >= 1
    assert pump.accept(ev.MotorReport(pump.now, command.seq, 1)).outcome.accepted


def test_bolus_pulses_are_reported_as_bolus() -> None:
    """BOL-2, LIM-3: a bolus pulse command says its pulses are bolus, not basal (``Deliver.bolus_pulses``).

    Kills kernel.commands.x_commands_of__mutmut_13 and _14.
    """
    pump = delivering_pump(flat_settings(0))
    pump.bolus(10)
    result = pump.tick()
    (command,) = delivers(result)
    assert command.pulses == 10
    assert (command.basal_pulses, command.bolus_pulses) == (0, 10)


# --- the request memory (BOL-5) -----------------------------------------------------------------


def _request(pump: Pump, request_id: int) -> ev.BolusRequest:
    return ev.BolusRequest(pump.now, request_id, Source.USER, 1)


def test_the_request_memory_is_full_only_at_its_daily_maximum_late_in_the_pumps_life() -> None:
    """BOL-5: with ``requests_per_day_max`` = 3, the third new request of the day is still decided (not
    REQUEST_MEMORY_FULL), the fourth is refused; a retry is a replay.  The pump has run for 800 minutes, so
    "within the last 24 hours" is measured from the request's own tick, not from 0.

    Kills kernel.requests.x_memory_full__mutmut_4, _16 and kernel.requests.x_recall__mutmut_30.
    """
    config = C._replace(requests_per_day_max=3)
    pump = Pump(config=config, state=initial_state(config, now_ticks=800))
    for request_id in (1, 2, 3):
        result = pump.do(_request(pump, request_id))
        assert result.outcome.reason == Reason.NOT_ALLOWED_IN_MODE  # a new pump: decided, not "memory full"
        assert not result.outcome.replayed
    assert pump.do(_request(pump, 4)).outcome.reason == Reason.REQUEST_MEMORY_FULL
    again = pump.do(_request(pump, 1))
    assert (again.outcome.reason, again.outcome.replayed) == (Reason.NOT_ALLOWED_IN_MODE, True)


def test_the_oldest_remembered_request_is_still_answered() -> None:
    """BOL-5: with the full memory of ``REQUEST_SLOTS`` requests answered today, a retry of the first
    (now in the oldest slot) gets its original answer, not REQUEST_MEMORY_FULL.

    Kills kernel.requests.x_recall__mutmut_19.
    """
    pump = Pump(keep=False)
    for request_id in range(1, REQUEST_SLOTS + 1):
        pump.do(_request(pump, request_id))
    assert pump.state.requests.ids[-1] == 1
    again = pump.do(_request(pump, 1))
    assert (again.outcome.reason, again.outcome.replayed) == (Reason.NOT_ALLOWED_IN_MODE, True)


def test_the_newest_live_answer_decides_a_replay() -> None:
    """BOL-5: if the memory holds one ID twice, both live (a state no event sequence makes: a live ID is never
    remembered again, but no proved invariant excludes it), the newest answer is the one repeated.

    Kills kernel.requests.x_recall__mutmut_21.
    """
    state = initial_state(C, now_ticks=100)
    ids = (7,) + (0,) * (REQUEST_SLOTS - 2) + (7,)
    ticks = (100,) + (0,) * (REQUEST_SLOTS - 2) + (90,)
    outcomes = (int(Reason.ACCEPTED),) + (0,) * (REQUEST_SLOTS - 2) + (int(Reason.NOT_ALLOWED_IN_MODE),)
    state = evolve(state, requests=Requests(ids, ticks, outcomes))
    result = step(C, state, ev.BolusRequest(100, 7, Source.USER, 1))
    assert (result.outcome.reason, result.outcome.replayed) == (Reason.ACCEPTED, True)
    assert result.commands == ()


# --- alarm repetition (ALM-1, ALM-5) ------------------------------------------------------------


def _repeats(pump: Pump, ticks: int) -> list[int]:
    """The ``repeat`` counts of the OCCLUSION alarm commands over ``ticks`` minutes."""
    counts: list[int] = []
    for _ in range(ticks):
        for command in pump.tick().commands:
            if isinstance(command, Alarm) and command.kind == AlarmKind.OCCLUSION:
                counts.append(command.repeat)
    return counts


def test_a_waiting_alarm_is_repeated_louder_each_time() -> None:
    """ALM-5: an unacknowledged high alarm is announced again every ``alarm_repeat_ticks`` minutes with the
    count 1, 2, then ``ALARM_REPEATS_MAX`` (3) for good.

    Kills kernel.alarms.x_repeat_unacknowledged__mutmut_88 and kernel.core.x_transition__mutmut_197.
    """
    pump = pump_in_mode(Mode.OCCLUDED)
    assert pump.state.alarms[AlarmKind.OCCLUSION] == AlarmStatus.ACTIVE
    assert _repeats(pump, 4 * C.alarm_repeat_ticks) == [1, 2, 3, 3]


def test_a_low_priority_alert_is_not_repeated_beside_a_waiting_alarm() -> None:
    """ALM-5, RES-1: a very low reservoir (medium, repeated) and a low reservoir (low priority, shown once)
    both wait; at the repetition only the medium alarm is announced again.

    Kills kernel.alarms.x_repeat_unacknowledged__mutmut_43.
    """
    pump = delivering_pump(flat_settings(0), reservoir=PRIME + CANNULA + C.reservoir_very_low_pulses - 10)
    assert pump.state.alarms[AlarmKind.RESERVOIR_VERY_LOW] == AlarmStatus.ACTIVE
    assert pump.state.alarms[AlarmKind.RESERVOIR_LOW] == AlarmStatus.ACTIVE
    again = [kind for result in pump.ticks(C.alarm_repeat_ticks) for kind in announced(result)]
    assert again == [AlarmKind.RESERVOIR_VERY_LOW]


def test_acknowledging_the_last_waiting_alarm_stops_the_repetition_countdown() -> None:
    """ALM-5: once no alarm waits, the repetition countdown and count are 0 (INV-ALARM-REPEAT), also when
    the alarm is acknowledged one minute before it would have been repeated.

    Kills kernel.alarms.x_repeat_unacknowledged__mutmut_13.
    """
    pump = pump_in_mode(Mode.OCCLUDED)
    pump.ticks(C.alarm_repeat_ticks - 1)
    assert pump.state.timers.alarm_repeat_countdown_ticks == 1
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.OCCLUSION))
    assert (pump.state.timers.alarm_repeat_countdown_ticks, pump.state.timers.alarm_repeats) == (0, 0)
    assert failing(C, pump.state) == []


def test_acknowledging_resets_the_count_even_with_the_countdown_run_out() -> None:
    """ALM-5: a waiting alarm already repeated once, its countdown at 0 (a state the invariants allow), is
    acknowledged: the count falls back to 0, so the next alarm's first repetition is 1 again.

    Kills kernel.alarms.x_repeat_unacknowledged__mutmut_15 and kernel.core.x_transition__mutmut_189.
    """
    pump = pump_in_mode(Mode.OCCLUDED)
    pump.state = with_timers(pump.state, alarm_repeat_countdown_ticks=0, alarm_repeats=1)
    assert failing(C, pump.state) == []
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.OCCLUSION))
    assert (pump.state.timers.alarm_repeat_countdown_ticks, pump.state.timers.alarm_repeats) == (0, 0)
    assert failing(C, pump.state) == []


# --- settings rules (CFG-1, CFG-2, CFG-3) -------------------------------------------------------


def _at_every_ceiling() -> TherapySettings:
    return quiet_settings()._replace(
        max_basal_pph=C.max_basal_ceiling_pph,
        max_bolus_pulses=C.max_bolus_ceiling_pulses,
        max_hourly_pulses=C.max_hourly_ceiling_pulses,
        max_daily_pulses=C.max_daily_ceiling_pulses,
        max_iob_pulses=C.max_iob_ceiling_pulses,
        reservoir_low_pulses=C.reservoir_low_max_pulses,
        set_max_age_ticks=C.set_max_age_ceiling_ticks,
        auto_off_ticks=C.auto_off_max_ticks,
        lgs_threshold_mgdl=C.lgs_threshold_max_mgdl,
    )


def test_settings_exactly_at_every_ceiling_are_valid() -> None:
    """CFG-3: a ceiling is the largest allowed value: settings at every ceiling and range end are valid,
    and a change to them is accepted.

    Kills kernel.settings.x_settings_checks__mutmut_12, _19, _27, _34, _47, _60, _81, _87.
    """
    settings = _at_every_ceiling()
    assert settings_problems(C, settings) == ()
    pump = delivering_pump()
    pump.accept(ev.SettingsChange(pump.now, settings))
    assert pump.state.settings == settings


def test_the_set_reminder_comes_before_the_maximum_age_which_has_a_ceiling() -> None:
    """RES-4, CFG-2, CFG-3: a reminder at the maximum set age, or a maximum age above its ceiling, is refused
    with SET_AGE_OUTSIDE_RANGE (and only that rule).

    Kills kernel.settings.x_settings_checks__mutmut_65, _66, _68.
    """
    base = _at_every_ceiling()
    at_max = base._replace(set_reminder_ticks=base.set_max_age_ticks)
    above = base._replace(set_max_age_ticks=C.set_max_age_ceiling_ticks + 1)
    for settings in (at_max, above):
        assert settings_problems(C, settings) == (SettingsRule.SET_AGE_OUTSIDE_RANGE,)
        pump = delivering_pump()
        result = pump.do(ev.SettingsChange(pump.now, settings))
        assert result.outcome.reason == Reason.SETTINGS_INVALID
        assert result.outcome.problems == (SettingsRule.SET_AGE_OUTSIDE_RANGE,)


def test_a_new_pump_shows_settings_that_deliver_nothing_and_automate_nothing() -> None:
    """CFG-1, LIM-4, SUS-2, SEC-2, TMP-3: before set-up every limit is 0 (no basal, no bolus, no insulin on
    board), the insulin-action index is its first (2 h), and suspension, remote bolus and the controller
    are off.

    Kills kernel.settings.x_zero_settings__mutmut_38, _39, _40, _42, _43, _44, _45.
    """
    settings = initial_state(C).settings
    assert settings.basal_slots_pph == (0,) * 48
    assert (
        settings.max_basal_pph,
        settings.max_bolus_pulses,
        settings.max_hourly_pulses,
        settings.max_daily_pulses,
        settings.max_iob_pulses,
        settings.dia_index,
        settings.auto_off_ticks,
    ) == (0, 0, 0, 0, 0, 0, 0)
    assert (
        settings.lgs_enabled,
        settings.predictive_suspend_enabled,
        settings.remote_bolus_enabled,
        settings.controller_enabled,
    ) == (False, False, False, False)
    assert settings_problems(C, settings) == ()


# --- set-up from user units: defaults and the errors that name each amount (CFG-1, BAS-1) -------------


def test_make_settings_defaults() -> None:
    """ALM-2, SUS-2, SUS-3: by default auto-off is 12 hours and low-glucose and predictive suspension are on.

    Kills kernel.settings.x_make_settings__mutmut_4, _6, _7.
    """
    settings = make_settings(C)
    assert settings.auto_off_ticks == 12 * 60
    assert (settings.lgs_enabled, settings.predictive_suspend_enabled) == (True, True)


@pytest.mark.parametrize(
    "name",
    ["max_basal_mu_per_hour", "max_bolus_mu", "max_hourly_mu", "max_daily_mu", "max_iob_mu", "reservoir_low_mu"],
)
def test_make_settings_names_the_amount_that_is_not_whole_pulses(name: str) -> None:
    """CFG-1: the error names exactly the amount that is not a whole number of pulses.

    Kills kernel.settings.x_make_settings__mutmut_17, _18, _21, _22, _23, _24, _25, _27, _28.
    """
    amount: dict[str, Any] = {name: 1025}
    with pytest.raises(ValueError) as raised:
        make_settings(C, **amount)
    assert str(raised.value) == f"{name} is not a whole number of pulses"


def test_make_settings_lists_every_problem() -> None:
    """CFG-1: a DIA off the 30-minute steps is named, and several problems are listed, separated by "; ".

    Kills kernel.settings.x_make_settings__mutmut_37, _38, _39, _43.
    """
    with pytest.raises(ValueError) as raised:
        make_settings(C, max_bolus_mu=1025, dia_minutes=301)
    assert str(raised.value) == (
        "max_bolus_mu is not a whole number of pulses; dia_minutes (30-minute steps) is not a whole number of pulses"
    )


def test_profile_problems_say_what_is_wrong() -> None:
    """BAS-1: each broken profile rule is named in words: the segment count, the midnight start, a start off
    the half hours, starts that do not increase.

    Kills kernel.settings.x_profile_slots__mutmut_6, _7, _8, _14, _15, _16, _29, _33, _34, _35.
    """
    assert profile_slots((), 50) == ((), ("a profile has 1 to 48 segments",))
    assert profile_slots(((30, 100), (15, 100)), 50) == (
        (),
        (
            "the first segment starts at midnight (minute 0)",
            "segment start 15 is not a half hour of the day",
            "segment starts must increase",
        ),
    )


def test_profile_rates_in_any_positive_pulse_size() -> None:
    """BAS-1, U-2: with a 1 mU pulse every whole mU/h rate is valid; a pulse size of 0 is a problem, not a
    division by zero.

    Kills kernel.settings.x_profile_slots__mutmut_44, _45.
    """
    slots, problems = profile_slots(((0, 1234),), 1)
    assert (slots, problems) == ((1234,) * 48, ())
    assert profile_slots(((0, 100),), 0) == ((), ("rate 100 mU/h is not a whole number of pulses per hour",))
