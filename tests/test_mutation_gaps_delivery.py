"""Tests that close the gaps surviving mutants showed in the delivery modules (issue 15).

Modules: ``kernel.temp``, ``kernel.windows``, ``kernel.basal``, ``kernel.tick``,
``kernel.handling``, ``kernel.motor``.  Each test pins one behaviour that a
surviving mutant of the full mutation run (commit c905b3b) changed without any
test noticing; its docstring names the requirements and the mutants it kills.
Every kill was checked with ``python -m property_tests.mutation_apply MUTANT
TEST`` (prints ``KILLS``): the mutated kernel fails the test, the shipped
kernel passes it.  The mutants shown to be equivalent are listed, with the
reason, in the survivors fragment, not here.
"""

from __future__ import annotations

import pytest

from kernel import events as ev
from kernel.builder import insulin_on_board_mu
from kernel.commands import LgsEnd, Notice, NoticeKind
from kernel.config import config_problems
from kernel.events import Source, TempKind
from kernel.iob import iob_pulses
from kernel.logic import PY
from kernel.modes import Mode
from kernel.reasons import Reason, StopCause
from kernel.state import Windows, evolve, initial_state
from kernel.step import StepResult
from kernel.units import IOB_BUCKET_TICKS, MU_PER_UNIT
from kernel.windows import advance, record
from tests.helpers import (
    CANNULA,
    PRIME,
    C,
    Pump,
    assert_refused,
    delivering_pump,
    delivers,
    flat_settings,
    next_request_id,
    notices,
    per_tick,
    quiet_settings,
    therapy_pulses,
    with_timers,
)


def _temp_event(pump: Pump, kind: int, value: int, duration: int, source: int = Source.USER) -> ev.TempBasal:
    return ev.TempBasal(pump.now, next_request_id(), source, kind, value, duration)


# --- kernel.temp: controller temps (TMP-1, TMP-3, LIM-4, PER-4) ----------------------------------------------


def test_one_minute_controller_temp_before_a_rise_is_projected_at_the_current_rate() -> None:
    """LIM-4, TMP-3: a 1-minute controller temp ends in the slot it starts in: only that slot's rate counts.

    Profile 0.2 U/h until 00:30, then 1.2 U/h; max IOB 10 pulses.  At 00:29 a 250 % controller temp for one
    minute runs at 10 pulses/h (5 pulses over 30 minutes: fits); its last tick is 00:29, not 00:30, so the
    higher rate (60 pulses/h, 30 pulses) is not projected.  Closes ``kernel.temp.x_last_tick_of_day__mutmut_11``
    (a duration of 1 taken as 2: the last tick moved into the next slot, the temp refused with MAX_IOB).
    """
    settings = quiet_settings(
        basal_segments_mu_per_hour=((0, 200), (30, 1200)), max_iob_mu=500, controller_enabled=True
    )
    pump = delivering_pump(settings)
    pump.ticks(29)
    pump.glucose(150)
    assert pump.state.time_of_day_ticks == 29
    pump.accept(_temp_event(pump, TempKind.PERCENT, 250, 1, Source.CONTROLLER))
    assert pump.state.basal.temp_remaining_ticks == 1


def test_user_temp_shorter_than_the_configured_minimum_is_refused() -> None:
    """TMP-1: a user temp shorter than ``temp_min_ticks`` is refused even on the 15-minute grid.

    A configuration whose shortest temp is 30 minutes refuses a 15-minute user temp (``TEMP_DURATION``) and
    accepts a 30-minute one.  Closes ``kernel.temp.x_on_temp_basal__mutmut_20`` (the lower bound dropped).
    """
    config = evolve(C, temp_min_ticks=30)
    assert config_problems(config) == ()
    pump = delivering_pump(flat_settings(0, config), config=config)
    assert_refused(pump, _temp_event(pump, TempKind.PERCENT, 50, 15), Reason.TEMP_DURATION)
    pump.accept(_temp_event(pump, TempKind.PERCENT, 50, 30))


HIGH_MAX_BASAL_MU = 15 * MU_PER_UNIT
"""Max basal 15 U/h: 300 pulses/h, above the 250 of ``temp_percent_max`` (the two are unrelated numbers)."""
HIGH_BASAL_CONFIG = evolve(C, max_basal_ceiling_pph=HIGH_MAX_BASAL_MU // C.pulse_mu)
"""The default configuration with a max basal ceiling of 15 U/h (within the 35 U/h hard ceiling, CFG-3)."""


def test_absolute_temp_above_the_percent_ceiling_is_within_max_basal() -> None:
    """TMP-1: an absolute temp is bounded by max basal only, never by the percent ceiling.

    With max basal 300 pulses/h, a user temp of 260 pulses/h (a number above ``temp_percent_max`` = 250) is
    accepted and runs at 260.  Closes ``kernel.temp.x_on_temp_basal__mutmut_128`` (the percent range checked
    for absolute temps too: refused with ``TEMP_PERCENT_OUT_OF_RANGE``).
    """
    config = HIGH_BASAL_CONFIG
    assert config_problems(config) == ()
    pump = delivering_pump(flat_settings(0, config, max_basal_mu_per_hour=HIGH_MAX_BASAL_MU), config=config)
    assert C.temp_percent_max < 260 <= pump.state.settings.max_basal_pph
    pump.accept(_temp_event(pump, TempKind.ABSOLUTE, 260, 30))
    assert pump.state.basal.temp_value == 260


def test_absolute_controller_temp_is_projected_at_its_own_rate() -> None:
    """LIM-4: a controller's absolute temp is projected at the rate it asks, not capped at the percent ceiling.

    260 pulses/h for 30 minutes is 130 pulses; max IOB 129 pulses: refused with ``MAX_IOB``.  At 258 pulses/h
    (129 pulses) it fits.  Closes ``kernel.temp.x_on_temp_basal__mutmut_46`` (the rate used for the projection
    kept within ``temp_percent_max`` for absolute temps too: 250 pulses/h, 125 pulses, accepted).
    """
    config = HIGH_BASAL_CONFIG
    settings = flat_settings(
        0, config, max_basal_mu_per_hour=HIGH_MAX_BASAL_MU, max_iob_mu=129 * C.pulse_mu, controller_enabled=True
    )
    pump = delivering_pump(settings, config=config)
    pump.glucose(150)
    assert_refused(pump, _temp_event(pump, TempKind.ABSOLUTE, 260, 30, Source.CONTROLLER), Reason.MAX_IOB)
    pump.accept(_temp_event(pump, TempKind.ABSOLUTE, 258, 30, Source.CONTROLLER))


def _history_unknown_pump() -> Pump:
    """A closed-loop pump (1 U/h, fresh reading) whose last 24 h are not fully known (PER-4: a replaced record)."""
    pump = delivering_pump(flat_settings(1000, controller_enabled=True))
    pump.glucose(150)
    pump.state = with_timers(pump.state, history_unknown_ticks=600)
    return pump


def test_raising_controller_temp_is_refused_while_history_is_unknown() -> None:
    """PER-4, LIM-4: automated dosing stays off while the history is unknown: a raising controller temp is
    refused with ``HISTORY_UNKNOWN`` (the sensor and max IOB would allow it).

    Closes ``kernel.temp.x_on_temp_basal__mutmut_163`` and ``__mutmut_164`` (the check made always true).
    """
    pump = _history_unknown_pump()
    assert_refused(pump, _temp_event(pump, TempKind.PERCENT, 150, 30, Source.CONTROLLER), Reason.HISTORY_UNKNOWN)


def test_lowering_controller_temp_is_accepted_while_history_is_unknown() -> None:
    """PER-4, SEN-2: reducing insulin is the safe direction: a controller temp below the schedule is accepted
    while the history is unknown.

    Closes ``kernel.temp.x_on_temp_basal__mutmut_158`` and ``__mutmut_161`` (the "raises" condition dropped:
    every controller temp refused).
    """
    pump = _history_unknown_pump()
    pump.accept(_temp_event(pump, TempKind.PERCENT, 50, 30, Source.CONTROLLER))


def test_user_temp_raising_basal_is_accepted_while_history_is_unknown() -> None:
    """PER-4: only automated dosing is kept off while the history is unknown; the user's raising temp is accepted.

    Closes ``kernel.temp.x_on_temp_basal__mutmut_157`` and ``__mutmut_160`` (the "not a controller" condition
    dropped: the user's temp refused with ``HISTORY_UNKNOWN``).
    """
    pump = _history_unknown_pump()
    pump.accept(_temp_event(pump, TempKind.PERCENT, 150, 30))


# --- kernel.windows: ring coverage (LIM-1, LIM-2, LIM-4) ----------------------------------------------------

# Configurations whose rings wrap at different ticks: the defaults (hour 5, day 60, IOB 10: every day or IOB
# wrap is also an hour wrap), an hour bucket of 7 ticks (IOB wraps alone at tick 10), and hour 7 with a day
# bucket of 61 ticks (the day ring wraps alone at tick 61).
RING_CONFIGS = {
    "default": C,
    "hour-7": evolve(C, hour_bucket_ticks=7),
    "hour-7-day-61": evolve(C, hour_bucket_ticks=7, day_bucket_ticks=61),
}

RING_TICKS = 1700
"""Ticks simulated: more than 25 day buckets of 61 ticks, so every day bucket leaves at least once."""


def _pulses_at(tick: int) -> int:
    """An irregular delivery pattern (0 to 3 pulses a tick) so that a bucket off by one tick shows in a total."""
    return (tick * 7 + tick // 13) % 4


@pytest.mark.parametrize("name", sorted(RING_CONFIGS))
def test_rings_cover_exactly_their_documented_span(name: str) -> None:
    """LIM-1, LIM-2, LIM-4: every tick, each ring holds exactly the pulses of its last ``n L + p + 1`` ticks.

    ``kernel.windows``: a ring of ``n`` past buckets of ``L`` ticks and a current bucket at phase ``p`` covers
    the last ``n L + p + 1`` ticks (at least 60 minutes or 24 hours, so every rolling window lies inside it:
    LIM-1, LIM-2); the IOB ring's buckets are the insulin-action table's 10-minute steps (LIM-4).  Driven by
    ``advance`` and ``record`` (one tick, then that tick's pulses, as ``kernel.tick`` does) with an irregular
    pattern; the phase stays below the bucket length.  Closes ``kernel.windows.x_advance__mutmut_7`` (the day
    ring wraps a tick early: its 24 h coverage falls short), ``__mutmut_14`` and ``__mutmut_17`` (a day wrap
    alone is not seen: the ring shifts a tick late), ``__mutmut_15`` and ``__mutmut_18`` (the same for an IOB
    wrap alone).
    """
    config = RING_CONFIGS[name]
    assert config_problems(config) == ()
    w: Windows = initial_state(config).windows
    delivered: list[int] = []
    for tick in range(1, RING_TICKS + 1):
        w = advance(config, w, PY)
        pulses = _pulses_at(tick)
        w = record(w, pulses)
        delivered.append(pulses)
        for label, past, bucket, phase, ring in (
            ("hour", len(w.hour_past_pulses), config.hour_bucket_ticks, w.hour_phase_ticks, w.hour_pulses),
            ("day", len(w.day_past_pulses), config.day_bucket_ticks, w.day_phase_ticks, w.day_pulses),
            ("iob", len(w.iob_past_pulses), IOB_BUCKET_TICKS, w.iob_phase_ticks, w.iob_pulses),
        ):
            assert 0 <= phase < bucket, (name, tick, label, phase)
            span = past * bucket + phase + 1
            assert sum(ring) == sum(delivered[-span:]), (name, tick, label)
        assert w.hour_total_pulses == sum(w.hour_pulses), (name, tick)
        assert w.day_total_pulses == sum(w.day_pulses), (name, tick)


def test_iob_does_not_depend_on_the_window_bucket_lengths() -> None:
    """LIM-4: insulin on board follows the insulin-action table's 10-minute steps whatever the hour and day
    bucket lengths of the configuration: the same deliveries give the same IOB every tick.

    Closes ``kernel.windows.x_advance__mutmut_15`` and ``__mutmut_18`` (with 7-tick hour buckets the IOB ring
    misses its wrap at tick 10 and ages a tick late).
    """
    settings = flat_settings(0)
    rings = {name: initial_state(config).windows for name, config in RING_CONFIGS.items()}
    for tick in range(1, 400):
        pulses = 20 if tick in (1, 37, 90) else 0
        rings = {name: record(advance(RING_CONFIGS[name], w, PY), pulses) for name, w in rings.items()}
        iobs = {name: iob_pulses(settings, w, PY) for name, w in rings.items()}
        assert len(set(iobs.values())) == 1, (tick, iobs)


# --- kernel.windows.record_excess via kernel.motor: over-delivery counted (DLV-3, LIM-4, LIM-5) -------------


def test_one_pulse_of_over_delivery_is_counted_in_iob_and_the_windows() -> None:
    """DLV-3, LIM-4, LIM-5: a motor report that shows one pulse more than commanded is a fault (delivery stops),
    and that pulse is counted: in insulin on board and in the hourly and daily windows.

    Closes ``kernel.windows.x_record_excess__mutmut_3`` (only an excess above one pulse counted) and
    ``kernel.motor.x_on_motor_report__mutmut_26`` (only an excess above one pulse a fault).
    """
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.bolus(20)
    [command] = delivers(pump.tick())
    commanded = command.pulses
    assert commanded > 0
    pump.accept(ev.MotorReport(pump.now, command.seq, commanded + 1))
    assert pump.mode == Mode.MOTOR_FAULT
    assert pump.state.totals.excess_pulses == 1
    assert pump.state.windows.hour_total_pulses == commanded + 1
    assert pump.state.windows.day_total_pulses == commanded + 1
    assert insulin_on_board_mu(C, pump.state) == (commanded + 1) * C.pulse_mu


def test_a_full_daily_window_stays_exactly_full_after_over_delivery() -> None:
    """LIM-2, DLV-3: over-delivery reported when the daily window is already full leaves it exactly full
    (the excess is in the totals and IOB; ``kernel.windows.record_excess``).

    Max daily = max hourly = 8 U (160 pulses); an 8 U bolus fills both windows; its last delivery is reported
    with 2 pulses too many.  Closes ``kernel.windows.x_record_excess__mutmut_33`` (a full day window given
    one more pulse: ``max(room, 1)``).
    """
    limit_mu = 8 * MU_PER_UNIT
    pump = delivering_pump(
        flat_settings(0, max_hourly_mu=limit_mu, max_daily_mu=limit_mu, max_bolus_mu=limit_mu), auto_confirm=False
    )
    limit = pump.state.settings.max_daily_pulses
    pump.bolus(limit)
    for _ in range(limit):
        [command] = delivers(pump.tick())
        last = pump.state.windows.day_total_pulses == limit
        pump.accept(ev.MotorReport(pump.now, command.seq, command.pulses + (2 if last else 0)))
        if last:
            break
    assert pump.state.totals.excess_pulses == 2
    assert pump.state.windows.day_total_pulses == limit
    assert pump.state.windows.hour_total_pulses == limit
    assert sum(pump.state.windows.iob_pulses) == limit + 2  # IOB takes the excess in full


# --- kernel.tick: temp expiry, sensor fall-back, timers (TMP-2, SEN-2, SUS-1, PER-4) ---------------------------


def test_expired_temp_says_so_exactly_and_leaves_no_temp_behind() -> None:
    """TMP-2: a temp ends exactly after its duration with the notice (``EXPIRED``, 0, 0), and the pump's basal
    state then shows no temp at all (kind NONE, value 0, nothing remaining), as after a cancel.

    Closes ``kernel.tick.x__count_down_temp__mutmut_40`` and ``__mutmut_41`` (the notice's b or c set to 1),
    ``__mutmut_59`` (the expired temp's value kept) and ``__mutmut_65`` (value 1 left behind).
    """
    pump = delivering_pump(flat_settings(1000))
    pump.accept(_temp_event(pump, TempKind.PERCENT, 150, 15))
    results = pump.ticks(15)
    assert [notices(r, NoticeKind.TEMP_BASAL_ENDED) for r in results[:-1]] == [[]] * 14
    assert notices(results[-1], NoticeKind.TEMP_BASAL_ENDED) == [
        Notice(NoticeKind.TEMP_BASAL_ENDED, StopCause.EXPIRED, 0, 0)
    ]
    basal = pump.state.basal
    assert (basal.temp_kind, basal.temp_value, basal.temp_remaining_ticks) == (TempKind.NONE, 0, 0)


@pytest.mark.parametrize(("kind", "value"), [(TempKind.ABSOLUTE, 60), (TempKind.PERCENT, 100), (TempKind.PERCENT, 50)])
def test_controller_temp_not_above_the_schedule_keeps_running_without_sensor_data(kind: int, value: int) -> None:
    """SEN-2, TMP-3: only a controller temp *above* the schedule falls back when the sensor has no data; one at
    exactly the scheduled rate (60 pulses/h, or 100 %) or below it (50 %) keeps running.

    Schedule 3 U/h (60 pulses/h), no reading at all.  Closes ``kernel.tick.x__sensor_fall_back__mutmut_25``
    (``>=``: a temp at the scheduled rate called a raise) and ``__mutmut_26`` (the schedule divided by 100
    instead of scaled: a 50 % temp called a raise).
    """
    pump = delivering_pump(flat_settings(3000, controller_enabled=True))
    pump.accept(_temp_event(pump, kind, value, 30, Source.CONTROLLER))
    results = pump.ticks(5)
    assert all(notices(r, NoticeKind.TEMP_BASAL_ENDED) == [] for r in results)
    assert pump.state.basal.temp_kind == kind
    assert pump.state.basal.temp_remaining_ticks == 25


def test_suspend_reminder_notice_is_exact() -> None:
    """SUS-1: the reminder of a manual suspension comes after ``suspend_reminder_ticks`` minutes and says how long
    the pump has been suspended, nothing else: (15, 0, 0).

    Closes ``kernel.tick.x__timers__mutmut_44``, ``__mutmut_53`` and ``__mutmut_54`` (b or c of the notice
    changed).
    """
    pump = delivering_pump()
    pump.accept(ev.Suspend(pump.now))
    minutes = C.suspend_reminder_ticks
    results = pump.ticks(minutes)
    assert [notices(r, NoticeKind.SUSPEND_REMINDER) for r in results[:-1]] == [[]] * (minutes - 1)
    assert notices(results[-1], NoticeKind.SUSPEND_REMINDER) == [Notice(NoticeKind.SUSPEND_REMINDER, minutes, 0, 0)]


def test_unknown_history_keeps_automated_dosing_off_for_exactly_its_remaining_time() -> None:
    """PER-4: the unknown part of the history shrinks by one minute per minute: with 10 minutes of it left, a
    raising controller temp is refused for 9 more minutes and accepted after the 10th.

    Closes ``kernel.tick.x__timers__mutmut_94`` (the time counted down twice as fast).
    """
    pump = _history_unknown_pump()
    pump.state = with_timers(pump.state, history_unknown_ticks=10)
    pump.ticks(9)
    pump.glucose(150)
    assert_refused(pump, _temp_event(pump, TempKind.PERCENT, 150, 30, Source.CONTROLLER), Reason.HISTORY_UNKNOWN)
    pump.tick()
    pump.glucose(150)
    pump.accept(_temp_event(pump, TempKind.PERCENT, 150, 30, Source.CONTROLLER))


# --- kernel.tick._deliver: limits cut a dual bolus (LIM-1, LIM-3, BOL-3, BOL-6) -------------------------------


def test_dual_bolus_cut_by_the_hourly_limit_never_exceeds_it() -> None:
    """LIM-1, LIM-3, BOL-6: basal, the normal part and the extended part share the hourly room in that order; the
    extended part is cut when the room is used up, the user is told exactly, and the bolus state is left idle.

    Basal 1 pulse a minute, max hourly = max bolus = 3 U (60 pulses).  Minute 1: basal 1 + a 20-pulse bolus.  Then
    a dual bolus of 36 pulses now and 20 over 15 minutes.  Minute 2: basal 1 + normal 29 (the speed, 30, less the
    extended share 1) + extended 1.  Minute 3: room 8: basal 1, the normal part's last 7 pulses (it completes),
    nothing left for the extended part: cut, with the hourly limit named.  No basal was withheld, so no
    ``BASAL_WITHHELD`` notice.

    Closes ``kernel.tick.x__deliver__mutmut_128`` and ``__mutmut_129`` (the extended share computed from a wrong
    room: one pulse above the hourly limit), ``__mutmut_441`` (a ``BASAL_WITHHELD`` notice for 0 pulses),
    ``__mutmut_447`` (the completed normal part's cause lost), and ``__mutmut_229``, ``235``, ``250``, ``256``,
    ``264``, ``270``, ``271``, ``277`` (the ended bolus's request IDs, extended amount or extended accumulator
    left in the state).
    """
    settings = flat_settings(3000, max_hourly_mu=3 * MU_PER_UNIT, max_bolus_mu=3 * MU_PER_UNIT)
    pump = delivering_pump(settings)
    limit = settings.max_hourly_pulses
    assert pump.bolus(20).outcome.accepted
    assert therapy_pulses(pump.tick()) == 21
    assert pump.bolus(36, 20, 15).outcome.accepted
    assert therapy_pulses(pump.tick()) == 31
    third = pump.tick()
    assert therapy_pulses(third) == 8
    assert pump.state.windows.hour_total_pulses == limit
    assert notices(third, NoticeKind.BOLUS_ENDED) == [Notice(NoticeKind.BOLUS_ENDED, 36, 0, StopCause.COMPLETED)]
    assert notices(third, NoticeKind.EXTENDED_ENDED) == [
        Notice(NoticeKind.EXTENDED_ENDED, 1, 19, StopCause.HOURLY_LIMIT)
    ]
    assert notices(third, NoticeKind.BASAL_WITHHELD) == []
    b = pump.state.bolus
    assert (b.request_id, b.remaining_pulses, b.delivered_pulses) == (0, 0, 0)
    assert (b.ext_request_id, b.ext_remaining_pulses, b.ext_delivered_pulses, b.ext_acc) == (0, 0, 0, 0)
    later = pump.ticks(3)
    assert per_tick(later) == [0, 0, 0]
    assert pump.state.windows.hour_total_pulses == limit


def test_hourly_and_daily_limits_reached_together_name_the_hourly_limit() -> None:
    """LIM-3: when the hourly and the daily room are equal and used up together, the cause named is the hourly
    limit (it is the one that frees first); withheld basal is reported exactly (pulses, cause, 0).

    Max hourly = max daily = max bolus = 8 U (160 pulses), basal 0.3 U/h (a pulse every 10 minutes, the first in
    minute 10).  A 160-pulse bolus asked in minute 9: minutes 10 to 14 deliver 1 + 30, 30, 30, 30, 30; minute 15
    has 9 pulses of room for the bolus's last 10: cut, with 9 pulses of room left in both windows.  Minute 20
    withholds its basal pulse.  Closes ``kernel.tick.x__deliver__mutmut_419`` (a tie named the daily limit) and
    ``__mutmut_432``, ``__mutmut_443`` (the withheld-basal notice's c changed).
    """
    limit_mu = 8 * MU_PER_UNIT
    settings = flat_settings(300, max_hourly_mu=limit_mu, max_daily_mu=limit_mu, max_bolus_mu=limit_mu)
    pump = delivering_pump(settings)
    pump.ticks(9)
    assert pump.bolus(160).outcome.accepted
    results = pump.ticks(11)
    assert per_tick(results) == [31, 30, 30, 30, 30, 9, 0, 0, 0, 0, 0]
    assert notices(results[5], NoticeKind.BOLUS_ENDED) == [
        Notice(NoticeKind.BOLUS_ENDED, 159, 1, StopCause.HOURLY_LIMIT)
    ]
    assert notices(results[10], NoticeKind.BASAL_WITHHELD) == [
        Notice(NoticeKind.BASAL_WITHHELD, 1, StopCause.HOURLY_LIMIT, 0)
    ]


def test_reservoir_and_limit_reached_together_name_the_reservoir() -> None:
    """RES-1, LIM-3: when the reservoir holds exactly the room left under the limits and a bolus is cut, the cause
    named is the reservoir (no limit alarm for it).

    Reservoir 160 pulses after priming, max hourly = max bolus = 8 U (160 pulses): every minute takes the same from
    both.  A 155-pulse bolus with 1 pulse of basal a minute is cut in minute 6 with 5 pulses left in both.
    Closes ``kernel.tick.x__deliver__mutmut_412`` (the tie named the hourly limit).
    """
    limit_mu = 8 * MU_PER_UNIT
    settings = flat_settings(3000, max_hourly_mu=limit_mu, max_bolus_mu=limit_mu)
    pump = delivering_pump(settings, reservoir=160 + PRIME + CANNULA)
    assert pump.state.reservoir.pulses == settings.max_hourly_pulses
    assert pump.bolus(155).outcome.accepted
    results = pump.ticks(6)
    assert per_tick(results) == [31, 31, 31, 31, 31, 5]
    assert notices(results[5], NoticeKind.BOLUS_ENDED) == [Notice(NoticeKind.BOLUS_ENDED, 154, 1, StopCause.RESERVOIR)]


def test_low_reading_suspends_on_the_tick_the_lockout_ends_even_with_a_one_minute_lgs_maximum() -> None:
    """SUS-2, SUS-4: a fresh low reading that arrived during the post-suspension lockout suspends delivery on the
    tick the lockout ends, before that minute's basal (``kernel.tick``: conditions first, then delivery); the
    suspension counts its minutes from 0, so even a configuration whose longest low-glucose suspension is 1
    minute suspends for that minute (and then ends it for its maximum duration).

    Basal 1 pulse a minute.  Closes ``kernel.tick.x__timers__mutmut_19`` (a pump not suspended counts 1 minute
    suspended: the suspension entered in the tick's own condition pass is over at once, the minute's pulse is
    delivered, and only the step's second pass suspends).
    """
    config = evolve(C, lgs_max_ticks=1, lgs_min_ticks=1)
    assert config_problems(config) == ()
    pump = delivering_pump(flat_settings(3000, config, lgs_enabled=True), config=config)
    pump.state = with_timers(pump.state, lgs_lockout_ticks=5)
    pump.glucose(60)
    assert pump.mode == Mode.DELIVERING
    assert per_tick(pump.ticks(4)) == [1, 1, 1, 1]
    assert pump.mode == Mode.DELIVERING
    assert therapy_pulses(pump.tick()) == 0
    assert pump.mode == Mode.LGS_SUSPENDED
    ended = pump.tick()
    assert pump.mode == Mode.DELIVERING
    assert [n.a for n in notices(ended, NoticeKind.LGS_ENDED)] == [LgsEnd.MAX_DURATION]


# --- kernel.handling: stopping a bolus or a temp, who is at the pump (BOL-6, TMP-2, ALM-2) -------------------


def test_cancelling_a_bolus_with_one_pulse_left_stops_it() -> None:
    """BOL-6: a bolus with a single pulse still to come stops at once when cancelled: the user is told
    (30 delivered, 1 not, ``CANCELLED``), nothing more is delivered, and no bolus is left in the state.

    A 31-pulse bolus (basal 0): the first minute delivers 30 (the bolus speed).  Closes
    ``kernel.handling.x_end_bolus__mutmut_8`` (only a bolus with more than one pulse left stops),
    ``__mutmut_47`` and ``__mutmut_53`` (the stopped bolus's request ID kept, or 1).
    """
    pump = delivering_pump(flat_settings(0))
    assert pump.bolus(31).outcome.accepted
    assert therapy_pulses(pump.tick()) == C.bolus_pulses_per_tick == 30
    cancelled = pump.accept(ev.CancelBolus(pump.now))
    assert notices(cancelled, NoticeKind.BOLUS_ENDED) == [Notice(NoticeKind.BOLUS_ENDED, 30, 1, StopCause.CANCELLED)]
    b = pump.state.bolus
    assert (b.request_id, b.remaining_pulses, b.delivered_pulses) == (0, 0, 0)
    assert per_tick(pump.ticks(3)) == [0, 0, 0]


def test_cancelled_temp_says_so_exactly_and_leaves_no_temp_behind() -> None:
    """TMP-2: cancelling a temp resumes the schedule at once with the notice (``CANCELLED``, 0, 0), and the pump's
    basal state shows no temp at all (kind NONE, value 0, nothing remaining).

    Closes ``kernel.handling.x_end_temp__mutmut_27`` and ``__mutmut_28`` (the notice's b or c set to 1),
    ``__mutmut_47`` (the ended temp's value kept) and ``__mutmut_53`` (value 1 left behind).
    """
    pump = delivering_pump(flat_settings(1000))
    pump.accept(_temp_event(pump, TempKind.PERCENT, 150, 60))
    pump.ticks(3)
    cancelled = pump.accept(ev.CancelTempBasal(pump.now))
    assert notices(cancelled, NoticeKind.TEMP_BASAL_ENDED) == [
        Notice(NoticeKind.TEMP_BASAL_ENDED, StopCause.CANCELLED, 0, 0)
    ]
    basal = pump.state.basal
    assert (basal.temp_kind, basal.temp_value, basal.temp_remaining_ticks) == (TempKind.NONE, 0, 0)


def test_a_person_held_remote_shows_a_person_and_a_controller_never_does() -> None:
    """ALM-2, ALM-4: with a remote the configuration declares person-held, an accepted remote temp restarts the
    auto-off timer; a controller's temp never does, whatever the configuration says about the remote.

    Closes ``kernel.handling.x_shows_person__mutmut_8``, ``__mutmut_12``, ``__mutmut_13`` (the person-held
    remote not counted) and ``__mutmut_16`` (the test inverted: the controller counted, the remote not).
    """
    config = evolve(C, remote_is_person_held=True)
    assert config_problems(config) == ()
    pump = delivering_pump(flat_settings(1000, config, controller_enabled=True, auto_off_hours=1), config=config)
    pump.glucose(150)
    pump.ticks(10)
    pump.accept(_temp_event(pump, TempKind.PERCENT, 50, 30, Source.CONTROLLER))
    assert pump.state.timers.idle_ticks == 10
    pump.accept(_temp_event(pump, TempKind.PERCENT, 50, 30, Source.REMOTE))
    assert pump.state.timers.idle_ticks == 0


# --- kernel.motor: occlusion evidence, over-delivery, the watchdog (OCC-1, DLV-2, DLV-3) ---------------------


def _answer(pump: Pump, shortfalls: list[int | None]) -> list[StepResult]:
    """One minute per entry; its ``Deliver`` is answered short by that many pulses (``None``: not answered)."""
    reports = []
    for short in shortfalls:
        [command] = delivers(pump.tick())
        if short is not None:
            reports.append(pump.accept(ev.MotorReport(pump.now, command.seq, command.pulses - short)))
    return reports


def test_undisplaced_pulses_add_up_to_an_occlusion_exactly_at_the_threshold() -> None:
    """OCC-1: pulses commanded but not displaced accumulate over consecutive short reports, a single pulse
    included; the report that brings them exactly to ``occlusion_undisplaced_pulses`` (60) raises the occlusion,
    and the evidence then restarts from 0.  Each short report is told exactly (commanded, displaced, 0).

    A 100-pulse bolus at 30 pulses a minute (basal 0); reports short by 30, 29 and 1.  Closes
    ``kernel.motor.x_occlusion_evidence__mutmut_9`` (a 1-pulse shortfall resets the evidence), ``__mutmut_29``
    (``>``: exactly the threshold is not an occlusion), ``kernel.motor.x_on_motor_report__mutmut_61``,
    ``__mutmut_67``, ``__mutmut_74`` (the evidence not restarted when it fires), ``__mutmut_119``,
    ``__mutmut_129``, ``__mutmut_130`` (the partial-delivery notice's c changed, or not shown for 1 pulse).
    """
    assert C.occlusion_undisplaced_pulses == 60
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    assert pump.bolus(100).outcome.accepted
    reports = _answer(pump, [30, 29, 1])
    assert [notices(r, NoticeKind.PARTIAL_DELIVERY) for r in reports] == [
        [Notice(NoticeKind.PARTIAL_DELIVERY, 30, 0, 0)],
        [Notice(NoticeKind.PARTIAL_DELIVERY, 30, 1, 0)],
        [Notice(NoticeKind.PARTIAL_DELIVERY, 30, 29, 0)],
    ]
    assert pump.mode == Mode.OCCLUDED
    assert (pump.state.motor.undisplaced_pulses, pump.state.motor.high_pressure_samples) == (0, 0)


def test_a_full_report_restarts_the_undisplaced_evidence() -> None:
    """OCC-1: the undisplaced evidence counts consecutive short reports only: a report of every commanded pulse
    restarts it from 0 (and is not a partial delivery), so 59 + full + 59 is no occlusion.

    Closes ``kernel.motor.x_occlusion_evidence__mutmut_11`` (a full report leaves 1 pulse of evidence: 60,
    an occlusion) and ``kernel.motor.x_on_motor_report__mutmut_128`` (a partial-delivery notice for a full
    report).
    """
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    assert pump.bolus(150).outcome.accepted
    reports = _answer(pump, [30, 29, 0, 30, 29])
    assert notices(reports[2], NoticeKind.PARTIAL_DELIVERY) == []
    assert pump.mode == Mode.DELIVERING
    assert pump.state.motor.undisplaced_pulses == 59


def test_delivery_becoming_uncertain_ends_a_running_extended_bolus_with_that_cause() -> None:
    """DLV-2, BOL-6: when a command goes unanswered for a minute the running extended bolus stops and the user is
    told what was and was not delivered and why (``DELIVERY_UNCERTAIN``).

    An extended bolus of 30 pulses over 30 minutes (basal 0): the first minute's pulse is confirmed, the second
    minute's is not.  Closes ``kernel.motor.x_watchdog__mutmut_103`` (the cause lost).
    """
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    assert pump.bolus(0, 30, 30).outcome.accepted
    _answer(pump, [0, None])
    uncertain = pump.tick()
    assert pump.state.motor.uncertain
    assert notices(uncertain, NoticeKind.EXTENDED_ENDED) == [
        Notice(NoticeKind.EXTENDED_ENDED, 2, 28, StopCause.DELIVERY_UNCERTAIN)
    ]
