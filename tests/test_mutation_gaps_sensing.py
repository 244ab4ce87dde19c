"""Tests that close the gaps surviving mutants of the sensing area showed (issue 15).

Each test pins one behaviour of the low-glucose rules (SUS-2..4, SEN-1..5,
ALM-5) or of the configuration (CFG-1) that a surviving mutant of the full
mutation run changed without any test noticing: the trend's shape rules at
their exact boundaries, what ends an automatic suspension, and the catalogue's
default numbers.  Every test was checked with
``python -m property_tests.mutation_apply MUTANT tests/test_mutation_gaps_sensing.py::TEST``
(KILLS on the mutant, passes on the shipped kernel); the mutant names are in
the docstrings (``kernel.sensing.x_trend__mutmut_43`` is written ``trend_43``).

The scenarios drive a pump by events only: a reading at or below the
threshold (60 mg/dL at tick 0) starts an automatic suspension, and later
readings at chosen ticks decide whether it ends.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import Deliver, GlucoseUse, LgsEnd, NoticeKind, Purpose
from kernel.config import DEFAULT_CONFIG, ConfigRule, config_problems, make_config
from kernel.events import CancelTarget, GlucoseStatus
from kernel.modes import Mode
from kernel.reasons import Reason, StopCause
from kernel.state import evolve, initial_state
from tests.helpers import (
    C,
    Pump,
    assert_refused,
    delivering_pump,
    delivers,
    flat_settings,
    next_request_id,
    notices,
    pump_in_mode,
    with_timers,
)

R = ConfigRule
ONE_PER_MINUTE = 60 * C.pulse_mu
THRESHOLD = 70
"""The default low-glucose threshold (SUS-2); resume needs more than 90 and a prediction above 110."""

OK = GlucoseStatus.OK
LOW = GlucoseStatus.LOW
HIGH = GlucoseStatus.HIGH


def _lgs_pump(predictive: bool = False) -> Pump:
    """A delivering pump at tick 0 with low-glucose suspend on (and predictive suspend when asked)."""
    return delivering_pump(flat_settings(ONE_PER_MINUTE, lgs_enabled=True, predictive_suspend_enabled=predictive))


def _at(pump: Pump, readings: Sequence[tuple[int, int] | tuple[int, int, int]]) -> None:
    """Each ``(tick, mgdl[, status])``: minutes pass until ``tick``, then the sensor reports (measured now)."""
    for reading in readings:
        tick, mgdl = reading[0], reading[1]
        status = reading[2] if len(reading) == 3 else OK
        pump.ticks(tick - pump.now)
        pump.glucose(mgdl, status=status)


def _suspended_at_60() -> Pump:
    """A pump that a reading of 60 mg/dL at tick 0 put into an automatic suspension (SUS-2)."""
    pump = _lgs_pump()
    pump.glucose(60)
    assert pump.mode == Mode.LGS_SUSPENDED
    return pump


# --- kernel.sensing.trend: the shape of four readings (SUS-3) ---------------------------------------


def _ticks_of(gaps: Sequence[int]) -> list[int]:
    """Reading ticks from the gaps between them, oldest first, starting at tick 0."""
    ticks = [0]
    for gap in gaps:
        ticks.append(ticks[-1] + gap)
    return ticks


# (gaps between the four readings, oldest first; whether they make a trend).  Four readings of 90 mg/dL
# predict exactly threshold + margin (90) when they make a trend, so the pump suspends iff they do.
SHAPES: list[tuple[tuple[int, int, int], bool]] = [
    ((3, 3, 3), True),  # span exactly lgs_trend_span_min_ticks (9): trend_43
    ((10, 10, 11), True),  # span exactly TREND_SPAN_MAX_TICKS (31): trend_44
    ((2, 3, 5), True),  # newest gap exactly half the span: trend_47, 48
    ((2, 5, 3), True),  # middle gap exactly half the span: trend_51, 52
    ((5, 3, 2), True),  # oldest gap exactly half the span: trend_55, 56
    ((2, 10, 2), False),  # middle gap longer than half the span: trend_33, 49
    ((10, 2, 2), False),  # oldest gap longer than half the span: trend_34, 53
]


@pytest.mark.parametrize(("gaps", "fits"), SHAPES)
def test_trend_shape_at_its_boundaries(gaps: tuple[int, int, int], fits: bool) -> None:
    """SUS-3: four readings make a trend when they span 9..31 minutes and no gap is more than half the span
    (exactly half is allowed; exactly 9 and 31 minutes are allowed).

    Kills ``kernel.sensing.x_trend__mutmut_33, 34, 43, 44, 47, 48, 49, 51, 52, 53, 55, 56``.
    """
    assert C.lgs_trend_span_min_ticks == 9
    pump = _lgs_pump(predictive=True)
    _at(pump, [(tick, 90) for tick in _ticks_of(gaps)])
    assert pump.mode == (Mode.LGS_SUSPENDED if fits else Mode.DELIVERING)


def test_prediction_exactly_one_above_the_level_does_not_suspend() -> None:
    """SUS-3: 84, 85, 86, 86 mg/dL over 17 minutes predict just above threshold + margin (the inequality of
    the module docstring is 1 > 0): no suspension.

    Kills ``kernel.sensing.x_predicted_at_most__mutmut_15`` (``<= 1``).
    """
    pump = _lgs_pump(predictive=True)
    _at(pump, [(0, 84), (6, 85), (12, 86), (17, 86)])
    assert pump.mode == Mode.DELIVERING


def test_prediction_looks_30_minutes_ahead_not_40() -> None:
    """SUS-3: 91, 95, 95, 90 mg/dL five minutes apart fall at a rate that reaches 90 mg/dL in 40 minutes but
    not in 30: no suspension.

    Kills ``kernel.sensing.x_predicted_at_most__mutmut_13`` (``4 * horizon``).
    """
    pump = _lgs_pump(predictive=True)
    pump.readings([91, 95, 95, 90])
    assert pump.mode == Mode.DELIVERING


def test_stale_readings_do_not_predict_a_low() -> None:
    """SUS-3, SEN-1, SEN-2: falling readings that arrive during the lockout after a manual resume (SUS-4) do
    not suspend when the lockout ends, because by then the newest is older than 12 minutes.

    Kills ``kernel.sensing.x_predicted_low__mutmut_23`` (freshness dropped from the prediction).
    """
    pump = _lgs_pump(predictive=True)
    pump.glucose(60)
    assert pump.mode == Mode.LGS_SUSPENDED
    pump.accept(ev.Resume(pump.now))  # lockout of 30 minutes
    _at(pump, [(2, 75), (7, 74), (12, 73), (17, 72)])
    assert pump.mode == Mode.DELIVERING
    for _ in range(C.lgs_lockout_ticks + 10 - pump.now):
        pump.tick()
        assert pump.mode == Mode.DELIVERING, pump.now


# --- kernel.sensing.lgs_end: what ends an automatic suspension (SUS-4, SEN-4) ------------------------


def test_slightly_rising_above_the_margin_but_predicted_below_resume_level_stays_suspended() -> None:
    """SUS-4: readings of 91, 91, 91, 92 mg/dL after the minimum suspension are above threshold + resume
    margin and rise, but predict about 93 mg/dL, not above threshold + margin + resume margin (110): the
    suspension goes on.

    Kills ``kernel.sensing.x_lgs_end__mutmut_11, 12`` (resume level 70), ``19, 22`` (prediction dropped)
    and ``kernel.sensing.x_trend__mutmut_65`` (span 0: the level drops out of the prediction).
    """
    pump = _suspended_at_60()
    _at(pump, [(15, 91), (20, 91), (25, 91), (30, 92)])
    for _ in range(5):
        assert pump.mode == Mode.LGS_SUSPENDED, pump.now
        pump.tick()


def test_flat_high_readings_do_not_end_the_suspension() -> None:
    """SUS-4: steady readings of 120 mg/dL after the minimum suspension are not rising: it goes on.

    Kills ``kernel.sensing.x_lgs_end__mutmut_18`` (rising drops ``slope > 0``) and ``20`` (``slope >= 0``).
    """
    pump = _suspended_at_60()
    _at(pump, [(15, 120), (20, 120), (25, 120), (30, 120)])
    assert pump.mode == Mode.LGS_SUSPENDED


def test_the_smallest_rise_ends_the_suspension() -> None:
    """SUS-4: 120, 120, 121, 120 mg/dL fit the smallest rise there is (``S == 1``) and predict above 110:
    the suspension ends, with ``RECOVERED``.

    Kills ``kernel.sensing.x_lgs_end__mutmut_21`` (``slope > 1``).
    """
    pump = _suspended_at_60()
    _at(pump, [(15, 120), (20, 120), (25, 121)])
    pump.ticks(30 - pump.now)
    result = pump.glucose(120)
    assert pump.mode == Mode.DELIVERING
    assert [n.a for n in notices(result, NoticeKind.LGS_ENDED)] == [LgsEnd.RECOVERED]


def test_readings_spread_too_wide_do_not_end_the_suspension() -> None:
    """SUS-4: 60, 75, 88, 100 mg/dL eleven minutes apart (33 minutes, more than 31) make no trend, so they
    cannot show that glucose is rising: the suspension goes on.

    Kills ``kernel.sensing.x_lgs_end__mutmut_17`` (rising without ``fits``).
    """
    pump = _suspended_at_60()
    _at(pump, [(11, 75), (22, 88), (33, 100)])
    assert pump.mode == Mode.LGS_SUSPENDED


def test_recovery_needs_a_reading_above_the_resume_margin() -> None:
    """SUS-4 (hysteresis): 60, 70, 80, 90 mg/dL rise fast and predict 150, but 90 is not above threshold +
    resume margin (90): the suspension goes on.

    Kills ``kernel.sensing.x_lgs_end__mutmut_36`` (condition dropped), ``45`` (``>=``), ``46`` (70 - 20).
    """
    pump = _suspended_at_60()
    _at(pump, [(15, 60), (20, 70), (25, 80), (30, 90)])
    assert pump.mode == Mode.LGS_SUSPENDED


def test_recovery_needs_a_fresh_reading() -> None:
    """SUS-4, SEN-2, SEN-4: readings rising to 105 mg/dL in the first 15 minutes, then silence: when the
    minimum suspension is over the newest reading is older than 12 minutes, so nothing shows that glucose
    has recovered: the suspension goes on.

    Kills ``kernel.sensing.x_lgs_end__mutmut_35`` (freshness dropped from recovery).
    """
    pump = _suspended_at_60()
    _at(pump, [(5, 75), (10, 90), (15, 105)])
    for _ in range(C.lgs_min_ticks + 10 - pump.now):
        pump.tick()
        assert pump.mode == Mode.LGS_SUSPENDED, pump.now


def test_the_sensors_high_ends_the_suspension() -> None:
    """SUS-4, SEN-5: after the minimum suspension, the sensor's own HIGH indication ends it (``RECOVERED``)
    though it makes no trend.

    Kills ``kernel.sensing.x_lgs_end__mutmut_47`` (``None``) and ``52`` (``edge == 2``).
    """
    pump = _suspended_at_60()
    pump.ticks(C.lgs_min_ticks)
    result = pump.glucose(0, status=HIGH)
    assert pump.mode == Mode.DELIVERING
    assert [n.a for n in notices(result, NoticeKind.LGS_ENDED)] == [LgsEnd.RECOVERED]


def test_switching_lgs_off_ends_the_suspension_as_switched_off() -> None:
    """SUS-4: a settings change that switches the feature off ends the suspension, and says so.

    Kills ``kernel.sensing.x_lgs_end__mutmut_71`` (told ``RECOVERED``) and ``72`` (no cause).
    """
    pump = _suspended_at_60()
    pump.ticks(3)
    result = pump.accept(ev.SettingsChange(pump.now, flat_settings(ONE_PER_MINUTE, lgs_enabled=False)))
    assert pump.mode == Mode.DELIVERING
    assert [n.a for n in notices(result, NoticeKind.LGS_ENDED)] == [LgsEnd.SWITCHED_OFF]


def test_three_readings_make_no_trend_at_the_start_of_the_pumps_life() -> None:
    """SUS-3, SUS-4: 60, 80, 100 mg/dL at minutes 0, 15, 30 are only three readings: no trend, so no early
    resume (the empty fourth slot is not a reading of 0 mg/dL at minute 0).

    Kills ``kernel.sensing.x_trend__mutmut_25`` (the oldest reading's validity dropped).
    """
    pump = _suspended_at_60()
    _at(pump, [(15, 80), (30, 100)])
    assert pump.mode == Mode.LGS_SUSPENDED


# The sensor's LOW at each older position among the last four readings (newest last); the newest reading is
# above 90 and the rest would predict far above 110 if the LOW counted as a glucose of 39 mg/dL.
LOW_AMONG: list[tuple[str, list[tuple[int, int, int]]]] = [
    ("trend_27", [(20, 70, OK), (25, 80, OK), (30, 0, LOW), (35, 120, OK)]),
    ("trend_28", [(20, 80, OK), (25, 0, LOW), (30, 100, OK), (35, 110, OK)]),
    ("trend_29", [(20, 0, LOW), (25, 95, OK), (30, 100, OK), (35, 105, OK)]),
]


@pytest.mark.parametrize(("mutant", "readings"), LOW_AMONG)
def test_a_sensor_low_among_the_readings_makes_no_trend(mutant: str, readings: list[tuple[int, int, int]]) -> None:
    """SUS-4, SEN-5: the sensor's LOW is an indication below the range, not a value to fit: with one among
    the last four readings there is no trend, so no early resume.

    Kills ``kernel.sensing.x_trend__mutmut_27, 28, 29`` (an older reading's edge check dropped).
    """
    pump = _suspended_at_60()
    _at(pump, readings)
    assert pump.mode == Mode.LGS_SUSPENDED, mutant


# --- kernel.conditions._measured_low: the low-glucose alarm (ALM-5, SEN-2) -------------------------------


def test_low_alarm_acknowledged_after_the_readings_went_stale_clears() -> None:
    """ALM-5, SEN-2: two lows confirm the low-glucose alarm; acknowledged once the newest reading is older
    than 12 minutes, its condition no longer holds (no fresh low), so it clears instead of staying ACKED.

    Kills ``kernel.conditions.x__measured_low__mutmut_21`` (freshness dropped).
    """
    pump = _suspended_at_60()
    _at(pump, [(5, 60)])
    assert pump.state.alarms[AlarmKind.LOW_GLUCOSE_SUSPEND] == AlarmStatus.ACTIVE
    pump.ticks(C.glucose_max_age_ticks + 1)
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.LOW_GLUCOSE_SUSPEND))
    assert pump.state.alarms[AlarmKind.LOW_GLUCOSE_SUSPEND] == AlarmStatus.CLEAR


# --- kernel.config: the catalogue's default numbers and a structural boundary (CFG-1..3) ------------------

# (field, the catalogue's amount in milliunits): make_config converts it to whole pulses, rounding down, so
# that no default amount is ever more than the catalogue's (a faster bolus, a longer prime, a higher ceiling).
CATALOGUE_AMOUNTS_MU: list[tuple[str, int]] = [
    ("reservoir_capacity_pulses", 300_000),  # the default reservoir, 300 U (RES-1)
    ("bolus_pulses_per_tick", 1_500),  # 1.5 U/min (BOL-3): make_config_109
    ("prime_max_pulses", 30_000),  # prime up to 30 U (RES-3): make_config_115
    ("cannula_min_pulses", 300),  # cannula fill 0.3..1 U (RES-3): make_config_120
    ("cannula_max_pulses", 1_000),  # make_config_125
    ("occlusion_undisplaced_pulses", 3_000),  # OCC-1: make_config_133
    ("reservoir_very_low_pulses", 5_000),  # the fixed 5 U alert (RES-2)
    ("max_bolus_ceiling_pulses", 17_000),  # CFG-3 adult hard limits: make_config_169
    ("max_basal_ceiling_pph", 10_000),  # make_config_175
    ("max_hourly_ceiling_pulses", 27_000),  # LIM-1: make_config_181
    ("max_daily_ceiling_pulses", 250_000),  # LIM-2
    ("max_iob_ceiling_pulses", 22_000),  # LIM-4: make_config_193
    ("reservoir_low_min_pulses", 5_000),  # low-reservoir alert range 5..50 U (RES-2): make_config_199
    ("reservoir_low_max_pulses", 50_000),  # make_config_205
]

# (field, the catalogue's number): times, pressures and glucose levels, the same for every pulse size.
CATALOGUE_NUMBERS: list[tuple[str, int | bool]] = [
    ("occlusion_pressure_kpa", 150),  # OCC-1: make_config_126
    ("occlusion_consecutive_samples", 3),
    ("motor_ack_timeout_ticks", 5),  # DLV-2: make_config_134
    ("hour_bucket_ticks", 5),  # LIM-1 window buckets: make_config_135
    ("day_bucket_ticks", 60),  # LIM-2: make_config_136
    ("suspend_reminder_ticks", 15),  # SUS-1 reminder every 15 minutes: make_config_143
    ("lgs_max_ticks", 120),  # SUS-4: at most 2 h
    ("lgs_lockout_ticks", 30),  # SUS-4: 30 min after a manual resume: make_config_145
    ("lgs_predict_margin_mgdl", 20),  # SUS-3: threshold + 20 mg/dL: make_config_146
    ("lgs_predict_band_mgdl", 20),  # SUS-3 band: make_config_147
    ("lgs_trend_span_min_ticks", 9),  # SUS-3: make_config_148
    ("lgs_min_ticks", 30),  # SUS-4 minimum suspension: make_config_149
    ("lgs_resume_margin_mgdl", 20),  # SUS-4 hysteresis: make_config_150
    ("alarm_repeat_ticks", 15),  # ALM-5: make_config_151
    ("temp_min_ticks", 15),  # TMP-1: 15 min..24 h
    ("temp_max_ticks", 24 * 60),
    ("temp_percent_max", 250),  # TMP-1
    ("controller_temp_max_ticks", 30),
    ("extended_min_ticks", 15),  # BOL-2: make_config_155
    ("extended_max_ticks", 8 * 60),
    ("glucose_min_mgdl", 40),  # SEN-1: 40..400 mg/dL: make_config_159
    ("glucose_max_mgdl", 400),
    ("glucose_max_age_ticks", 12),  # SEN-1: not older than 12 min
    ("glucose_max_future_ticks", 5),  # SEN-1: not more than 5 min in the future
    ("glucose_max_change_mgdl_per_tick", 8),  # SEN-3: make_config_163
    ("lgs_threshold_min_mgdl", 60),  # SUS-2: threshold range 60..90: make_config_206
    ("lgs_threshold_max_mgdl", 90),  # make_config_207
    ("auto_off_min_ticks", 60),  # ALM-2
    ("auto_off_max_ticks", 24 * 60),
    ("set_reminder_min_ticks", 12 * 60),  # RES-4: make_config_209
    ("remote_is_person_held", False),  # make_config_210
]


@pytest.mark.parametrize("pulse_mu", [*range(1, 101), 125, 250])
def test_make_config_converts_the_catalogue_amounts_rounding_down(pulse_mu: int) -> None:
    """CFG-2, CFG-3, BOL-3, RES-1..4, OCC-1, LIM-1..4: every default amount is the catalogue's amount in whole
    pulses of ``pulse_mu``, rounded down (never more insulin than the catalogue says), and every other
    default is the catalogue's number, for any pulse size.

    Kills ``kernel.config.x_make_config__mutmut_109, 115, 120, 125, 126, 133, 134, 135, 136, 143, 145, 146,
    147, 148, 149, 150, 151, 155, 159, 163, 169, 175, 181, 193, 199, 205, 206, 207, 209, 210`` (a catalogue
    number moved by one; 1.5 U/min as 1501 mU shows at pulse sizes dividing 1501, e.g. 19 mU).
    """
    config = make_config(pulse_mu)
    assert config.pulse_mu == pulse_mu
    for name, amount_mu in CATALOGUE_AMOUNTS_MU:
        assert getattr(config, name) == amount_mu // pulse_mu, (name, pulse_mu)
    for name, number in CATALOGUE_NUMBERS:
        assert getattr(config, name) == number, name


def test_make_config_defaults_to_the_named_default() -> None:
    """CFG-1: the named default is 0.05 U pulses and a 300 U reservoir; ``make_config()`` gives exactly that.

    Kills ``kernel.config.x_make_config__mutmut_1`` (51 mU) and ``2`` (301 U).
    """
    config = make_config()
    assert config.pulse_mu == 50
    assert config.reservoir_capacity_pulses == 300 * 1000 // 50
    assert config == DEFAULT_CONFIG == make_config(50, 300)


def test_glucose_future_limit_of_6_minutes_is_looser_than_the_catalogue() -> None:
    """CFG-3, SEN-1: a configuration that accepts readings 6 minutes in the future is refused (5 at most);
    5 is accepted.

    Kills ``kernel.config.x_clinical_checks__mutmut_54`` (``<= 6``).
    """
    rule = ConfigRule.GLUCOSE_AGE_LIMITS_LOOSER_THAN_CATALOGUE
    assert rule not in config_problems(evolve(C, glucose_max_future_ticks=5))
    assert rule in config_problems(evolve(C, glucose_max_future_ticks=6))


def test_a_bolus_speed_of_one_pulse_a_minute_is_structurally_valid() -> None:
    """CFG-1, BOL-3: the bolus speed must be at least one pulse a minute; exactly one is valid, 0 is not.

    Kills ``kernel.config.x_structural_checks__mutmut_4`` (``> 1``) and ``5`` (``>= 2``).
    """
    rule = ConfigRule.BOLUS_SPEED_NOT_POSITIVE
    assert rule not in config_problems(evolve(C, bolus_pulses_per_tick=1), clinical=False)
    assert rule in config_problems(evolve(C, bolus_pulses_per_tick=0), clinical=False)


# --- kernel.bolus, kernel.reservoir, kernel.control: boundaries next to the sensing rules ---------------


def test_cancel_with_one_pulse_left_is_accepted_and_reports_it() -> None:
    """BOL-6: cancelling a normal bolus with exactly one pulse left, and an extended bolus with exactly one
    pulse left, is accepted and reports the pulses given and the one not given.

    Kills ``kernel.bolus.x_on_cancel_bolus__mutmut_25`` (normal ``> 1``) and ``31`` (extended ``> 1``).
    """
    pump = delivering_pump()
    pump.bolus(C.bolus_pulses_per_tick + 1)
    pump.run_until(lambda p: p.state.bolus.remaining_pulses == 1, 5)
    result = pump.accept(ev.CancelBolus(pump.now, CancelTarget.NORMAL))
    assert [(n.a, n.b, n.c) for n in notices(result, NoticeKind.BOLUS_ENDED)] == [
        (C.bolus_pulses_per_tick, 1, StopCause.CANCELLED)
    ]
    pump = delivering_pump()
    pump.bolus(0, 15, 15)
    pump.run_until(lambda p: p.state.bolus.ext_remaining_pulses == 1, 20)
    result = pump.accept(ev.CancelBolus(pump.now, CancelTarget.EXTENDED))
    assert [(n.a, n.b, n.c) for n in notices(result, NoticeKind.EXTENDED_ENDED)] == [(14, 1, StopCause.CANCELLED)]


def test_after_clearing_the_line_the_whole_prime_budget_is_available() -> None:
    """OCC-4, RES-3: clearing the line after an occlusion starts a new priming budget: priming exactly
    ``prime_max_pulses`` is accepted.

    Kills ``kernel.reservoir.x__line_reset__mutmut_24`` (the budget starts at one pulse used).
    """
    pump = pump_in_mode(Mode.OCCLUDED)
    pump.ack_all()
    pump.accept(ev.ClearLine(pump.now))
    assert pump.mode == Mode.FILLED
    pump.accept(ev.PrimeTubing(pump.now, C.prime_max_pulses))
    assert pump.mode == Mode.PRIMED


def test_a_rewind_forgets_occlusion_evidence() -> None:
    """OCC-1, RES-3: two high-pressure samples in a row, then a reservoir change: one high-pressure sample
    while priming the new line is the first of a new count, not the third (no occlusion).

    Kills ``kernel.reservoir.x__line_reset__mutmut_27`` (the motor's evidence kept across a rewind).
    """
    assert C.occlusion_consecutive_samples == 3
    pump = delivering_pump(auto_confirm=False)
    high = 0
    while high < 2:
        for command in pump.tick().commands:
            if isinstance(command, Deliver):
                pump.accept(ev.MotorReport(pump.now, command.seq, command.pulses, C.occlusion_pressure_kpa))
                high += 1
    assert pump.mode == Mode.DELIVERING
    pump.accept(ev.Suspend(pump.now))
    pump.accept(ev.Rewind(pump.now))
    pump.accept(ev.FillReservoir(pump.now, 4000))
    (prime,) = delivers(pump.accept(ev.PrimeTubing(pump.now, 20)))
    pump.accept(ev.MotorReport(pump.now, prime.seq, prime.pulses, C.occlusion_pressure_kpa))
    assert pump.mode == Mode.PRIMED
    assert pump.state.alarms[AlarmKind.OCCLUSION] == AlarmStatus.CLEAR


def test_a_time_change_to_exactly_midnight_reads_0() -> None:
    """BAS-3: moving the clock from 00:10 forward by 23 h 50 min gives 00:00 (tick 0 of the day), not 24:00.

    Kills ``kernel.control.x_on_time_offset__mutmut_20`` (``moved > TICKS_PER_DAY``).
    """
    pump = delivering_pump()
    pump.ticks(10)
    assert pump.state.time_of_day_ticks == 10
    pump.accept(ev.TimeOffsetChange(pump.now, 24 * 60 - 10))
    assert pump.state.time_of_day_ticks == 0


def test_the_sensors_high_as_newest_reading_never_predicts_a_low() -> None:
    """SUS-3, SEN-5: the sensor's HIGH is an indication above the range, not a value to fit.  In a valid
    configuration with a high threshold range (343 mg/dL) and a wide band, readings of 400, 400, 344 mg/dL
    then HIGH would fit a fall to the threshold + margin if HIGH counted as 401 mg/dL: no suspension.

    Kills ``kernel.sensing.x_trend__mutmut_26`` (the newest reading's edge check dropped).
    """
    config = evolve(C, lgs_threshold_max_mgdl=380, lgs_predict_band_mgdl=60)
    assert config_problems(config) == ()
    settings = flat_settings(
        ONE_PER_MINUTE, config, lgs_enabled=True, predictive_suspend_enabled=True, lgs_threshold_mgdl=343
    )
    pump = delivering_pump(settings, config=config)
    _at(pump, [(0, 400), (8, 400), (23, 344), (31, 0, HIGH)])
    assert pump.state.glucose.edge == 1
    assert pump.mode == Mode.DELIVERING


# (changes to the default configuration, rule, whether the rule is broken): each sits exactly on the rule's
# boundary (the smallest valid value, two fields equal where the rule orders them) or just past a condition
# that no other condition of the rule implies.  The trailing comments name the structural_checks mutants.
_MAX = C.cannula_max_pulses
STRUCTURAL_BOUNDARIES: list[tuple[dict[str, int], ConfigRule, bool]] = [
    ({"prime_max_pulses": 0}, R.PRIME_MAX_NEGATIVE, False),  # 6, 7
    ({"cannula_min_pulses": _MAX}, R.CANNULA_RANGE_INVERTED, False),  # 14
    ({"cannula_max_pulses": C.reservoir_capacity_pulses}, R.CANNULA_ABOVE_CAPACITY, False),  # 15
    ({"occlusion_pressure_kpa": 0}, R.OCCLUSION_THRESHOLDS_NOT_POSITIVE, True),  # 19
    ({"occlusion_undisplaced_pulses": 0}, R.OCCLUSION_THRESHOLDS_NOT_POSITIVE, True),  # 21
    ({"occlusion_consecutive_samples": 1}, R.OCCLUSION_THRESHOLDS_NOT_POSITIVE, False),  # 24, 25
    ({"occlusion_undisplaced_pulses": 1}, R.OCCLUSION_THRESHOLDS_NOT_POSITIVE, False),  # 26, 27
    ({"motor_ack_timeout_ticks": 1}, R.MOTOR_ACK_TIMEOUT_NOT_POSITIVE, False),  # 28, 29
    ({"hour_bucket_ticks": 1}, R.BUCKET_TICKS_NOT_POSITIVE, False),  # 34, 35
    ({"day_bucket_ticks": 1}, R.BUCKET_TICKS_NOT_POSITIVE, False),  # 36, 37
    ({"suspend_reminder_ticks": 1}, R.SUSPEND_REMINDER_NOT_POSITIVE, False),  # 53, 54
    ({"lgs_max_ticks": 0, "lgs_min_ticks": 0}, R.LGS_TIMING_INVALID, True),  # 58
    ({"lgs_lockout_ticks": 1}, R.LGS_TIMING_INVALID, False),  # 63, 64
    ({"lgs_predict_margin_mgdl": 0}, R.LGS_TIMING_INVALID, False),  # 65, 66
    ({"lgs_predict_band_mgdl": 0}, R.LGS_TREND_INVALID, False),  # 79, 80
    ({"lgs_resume_margin_mgdl": 0}, R.LGS_TREND_INVALID, False),  # 81, 82
    ({"lgs_trend_span_min_ticks": 3}, R.LGS_TREND_INVALID, False),  # 83, 84
    ({"lgs_trend_span_min_ticks": 31}, R.LGS_TREND_INVALID, False),  # 85
    ({"lgs_min_ticks": 0}, R.LGS_TREND_INVALID, False),  # 86, 87
    ({"lgs_min_ticks": C.lgs_max_ticks}, R.LGS_TREND_INVALID, False),  # 88
    ({"alarm_repeat_ticks": 1}, R.ALARM_REPEAT_NOT_POSITIVE, False),  # 89, 90
    ({"temp_min_ticks": C.temp_max_ticks}, R.TEMP_DURATION_RANGE_INVALID, False),  # 97
    ({"controller_temp_max_ticks": 1}, R.CONTROLLER_TEMP_RANGE_INVALID, False),  # 110, 111
    ({"extended_min_ticks": 1}, R.EXTENDED_RANGE_INVALID, False),  # 118, 119
    ({"extended_min_ticks": C.extended_max_ticks}, R.EXTENDED_RANGE_INVALID, False),  # 120
    ({"glucose_min_mgdl": 0}, R.GLUCOSE_RANGE_INVALID, True),  # 124
    ({"glucose_min_mgdl": 1}, R.GLUCOSE_RANGE_INVALID, False),  # 127, 128
    ({"glucose_max_change_mgdl_per_tick": 1}, R.GLUCOSE_RANGE_INVALID, False),  # 130, 131
    ({"glucose_max_age_ticks": 0}, R.GLUCOSE_TIMING_INVALID, False),  # 136, 137
    ({"glucose_max_future_ticks": 0}, R.GLUCOSE_TIMING_INVALID, False),  # 138, 139
    ({"max_basal_ceiling_pph": -1}, R.CEILINGS_NEGATIVE, True),  # 146
    ({"max_hourly_ceiling_pulses": -1}, R.CEILINGS_NEGATIVE, True),  # 147
    ({"max_daily_ceiling_pulses": -1}, R.CEILINGS_NEGATIVE, True),  # 148
    ({"max_bolus_ceiling_pulses": 0}, R.CEILINGS_NEGATIVE, False),  # 150, 151
    ({"max_basal_ceiling_pph": 0}, R.CEILINGS_NEGATIVE, False),  # 152, 153
    ({"max_daily_ceiling_pulses": 0}, R.CEILINGS_NEGATIVE, False),  # 156, 157
    ({"max_iob_ceiling_pulses": 0}, R.CEILINGS_NEGATIVE, False),  # 158, 159
    ({"max_hourly_ceiling_pulses": C.max_daily_ceiling_pulses}, R.HOURLY_CEILING_ABOVE_DAILY, False),  # 160
    ({"reservoir_low_min_pulses": C.reservoir_low_max_pulses}, R.RESERVOIR_LOW_RANGE_INVALID, False),  # 168
    ({"lgs_threshold_min_mgdl": C.glucose_min_mgdl - 1}, R.LGS_THRESHOLD_RANGE_INVALID, True),  # 173
    ({"lgs_threshold_min_mgdl": C.glucose_min_mgdl}, R.LGS_THRESHOLD_RANGE_INVALID, False),  # 176
    ({"lgs_threshold_min_mgdl": C.lgs_threshold_max_mgdl}, R.LGS_THRESHOLD_RANGE_INVALID, False),  # 177
    ({"auto_off_min_ticks": C.auto_off_max_ticks}, R.AUTO_OFF_RANGE_INVALID, False),  # 186
    ({"requests_per_day_max": 1}, R.REQUEST_MEMORY_OUT_OF_RANGE, False),  # 198, 199
]


@pytest.mark.parametrize(("changes", "rule", "broken"), STRUCTURAL_BOUNDARIES)
def test_structural_rule_on_its_boundary(changes: dict[str, int], rule: ConfigRule, broken: bool) -> None:
    """CFG-1: a configuration exactly on a structural rule's boundary is on the right side of it (the smallest
    valid value is valid; a value that breaks one condition the others do not imply is refused).

    Kills ``kernel.config.x_structural_checks__mutmut_6, 7, 14, 15, 19, 21, 24, 25, 26, 27, 28, 29, 34, 35,
    36, 37, 53, 54, 58, 63, 64, 65, 66, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 97, 110, 111, 118,
    119, 120, 124, 127, 128, 130, 131, 136, 137, 138, 139, 146, 147, 148, 150, 151, 152, 153, 156, 157, 158,
    159, 160, 168, 173, 176, 177, 186, 198, 199`` (a bound moved by one, or one condition of a rule dropped).
    """
    config = evolve(C, **changes)
    assert (rule in config_problems(config, clinical=False)) is broken


# --- kernel.glucose.classify: the jump check's pairing (SEN-3, SEN-5) ------------------------------------


def test_a_fall_of_exactly_the_allowed_change_is_used() -> None:
    """SEN-3: 100 then 60 mg/dL five minutes later falls by exactly 8 mg/dL a minute, the bound: the reading
    is used (only a faster change is implausible).

    Kills ``kernel.glucose.x_classify__mutmut_50`` (``-change < allowed``).
    """
    assert C.glucose_max_change_mgdl_per_tick * 5 == 40
    pump = delivering_pump()
    pump.glucose(100)
    pump.ticks(5)
    result = pump.glucose(60)
    assert notices(result, NoticeKind.GLUCOSE_NOT_USED) == []
    assert (pump.state.glucose.mgdl, pump.state.glucose.report_use) == (60, GlucoseUse.USED)


def test_the_sensors_low_and_high_are_not_checked_for_a_jump() -> None:
    """SEN-3, SEN-5, SUS-2: the sensor's LOW after 100 mg/dL five minutes earlier is used (it is an
    indication, not a value to compare), and a reading of 100 mg/dL five minutes after a LOW is used too.

    Kills ``kernel.glucose.x_classify__mutmut_12`` (LOW paired with the reading before) and ``14`` (a
    reading paired with a LOW before it).
    """
    pump = _lgs_pump()
    pump.glucose(100)
    pump.ticks(5)
    pump.glucose(0, status=LOW)
    assert (pump.state.glucose.edge, pump.state.glucose.report_use) == (-1, GlucoseUse.USED)
    assert pump.mode == Mode.LGS_SUSPENDED
    pump.ticks(5)
    pump.glucose(100)
    assert (pump.state.glucose.mgdl, pump.state.glucose.report_use) == (100, GlucoseUse.USED)


def test_an_unused_reading_is_told_with_its_reason_and_value() -> None:
    """SEN-1, SEN-4: a reading too old to use is told as a ``GLUCOSE_NOT_USED`` notice carrying the reason and
    the value, and nothing else.

    Kills ``kernel.glucose.x_on_glucose__mutmut_141`` (``c=None``) and ``151`` (``c=1``).
    """
    pump = delivering_pump()
    pump.ticks(30)
    result = pump.glucose(120, age=C.glucose_max_age_ticks + 1)
    assert [(n.a, n.b, n.c) for n in notices(result, NoticeKind.GLUCOSE_NOT_USED)] == [(GlucoseUse.TOO_OLD, 120, 0)]


# --- kernel.bolus.on_bolus (BOL-2, BOL-3, BOL-5, PER-4) -------------------------------------------------------


def test_an_extended_bolus_over_one_minute_faster_than_the_bolus_speed_is_refused() -> None:
    """BOL-2, BOL-3, CFG-1: with a (structurally valid) shortest extended duration of one minute, an extended
    bolus of one pulse more than the bolus speed over one minute would exceed the speed: refused.

    Kills ``kernel.bolus.x_on_bolus__mutmut_31`` (the duration taken as at least 2 minutes in the division).
    """
    config = evolve(C, extended_min_ticks=1)
    assert config_problems(config, clinical=False) == ()
    pump = delivering_pump(config=config)
    speed = C.bolus_pulses_per_tick
    event = ev.BolusRequest(pump.now, next_request_id(), ev.Source.USER, 0, speed + 1, 1)
    assert_refused(pump, event, Reason.EXTENDED_TOO_FAST)
    pump.accept(ev.BolusRequest(pump.now, next_request_id(), ev.Source.USER, 0, speed, 1))


def test_a_user_bolus_is_not_held_back_by_an_unknown_history() -> None:
    """PER-4, BOL-1: after a restart from an unreadable record the last day's history is unknown; that stops the
    controller's boluses (max IOB cannot be judged), not the user's.

    Kills ``kernel.bolus.x_on_bolus__mutmut_65`` (the check applied to every source).
    """
    pump = delivering_pump()
    pump.state = with_timers(pump.state, history_unknown_ticks=60)
    pump.accept(ev.BolusRequest(pump.now, next_request_id(), ev.Source.USER, 20))
    assert pump.state.bolus.remaining_pulses > 0 or pump.state.bolus.delivered_pulses > 0


def test_an_extended_bolus_beside_a_running_normal_bolus_keeps_both_request_ids() -> None:
    """BOL-5: an extended bolus requested while a normal bolus runs keeps the normal bolus's request ID and
    carries its own.

    Kills ``kernel.bolus.x_on_bolus__mutmut_175`` (the normal's ID lost), ``192`` and ``193`` (the extended's
    ID not recorded).
    """
    pump = delivering_pump()
    normal_id, extended_id = next_request_id(), next_request_id()
    pump.accept(ev.BolusRequest(pump.now, normal_id, ev.Source.USER, 3 * C.bolus_pulses_per_tick))
    pump.accept(ev.BolusRequest(pump.now, extended_id, ev.Source.USER, 0, 15, 15))
    assert (pump.state.bolus.request_id, pump.state.bolus.ext_request_id) == (normal_id, extended_id)


# --- kernel.reservoir: priming and cannula fill (RES-3) ----------------------------------------------------


def test_priming_and_cannula_fill_may_use_the_last_pulse_and_are_no_therapy() -> None:
    """RES-3, DLV-1: priming and a cannula fill may take exactly the pulses left in the reservoir; their motor
    commands carry no therapy pulses (basal and bolus both 0), so nothing counts towards insulin on board.

    Kills ``kernel.reservoir.x_on_prime_tubing__mutmut_10`` and ``x_on_fill_cannula__mutmut_13`` (``<``), and
    ``x_on_prime_tubing__mutmut_37, 38``, ``x_on_fill_cannula__mutmut_41, 42`` (a therapy pulse in the command).
    """
    cannula = C.cannula_min_pulses
    pump = Pump()
    pump.accept(ev.SettingsChange(0, flat_settings(ONE_PER_MINUTE)))
    pump.accept(ev.FillReservoir(0, 20 + cannula))
    pump.auto_confirm = False
    (prime,) = delivers(pump.accept(ev.PrimeTubing(0, 20)))
    assert (prime.pulses, prime.purpose, prime.basal_pulses, prime.bolus_pulses) == (20, Purpose.PRIME, 0, 0)
    pump.accept(ev.MotorReport(0, prime.seq, prime.pulses))
    (fill,) = delivers(pump.accept(ev.FillCannula(0, cannula)))
    assert (fill.pulses, fill.purpose, fill.basal_pulses, fill.bolus_pulses) == (cannula, Purpose.CANNULA, 0, 0)
    pump.accept(ev.MotorReport(0, fill.seq, fill.pulses))
    assert pump.state.reservoir.pulses == 0
    assert pump.mode == Mode.EMPTY  # the set is filled; the empty reservoir then stops the pump (RES-1)


def test_an_unanswered_one_pulse_prime_is_numbered_refuses_more_priming_and_times_out() -> None:
    """RES-3, DLV-1, DLV-2: a one-pulse prime is motor command number 1; while it is unanswered (delivery
    uncertain) another prime is refused as DELIVERY_UNCERTAIN; it is assumed delivered after exactly
    ``motor_ack_timeout_ticks`` + 1 ticks.

    Kills ``kernel.reservoir.x__motor_step__mutmut_11`` (no number for one pulse), ``27`` (the wait counted
    from 1) and ``kernel.reservoir.x__motor_idle__mutmut_1`` (the uncertainty check dropped: MOTOR_BUSY).
    """
    pump = Pump()
    pump.accept(ev.SettingsChange(0, flat_settings(ONE_PER_MINUTE)))
    pump.accept(ev.FillReservoir(0, 4000))
    pump.auto_confirm = False
    (prime,) = delivers(pump.accept(ev.PrimeTubing(0, 1)))
    assert (prime.seq, prime.pulses) == (1, 1)
    pump.tick()
    assert pump.state.motor.uncertain
    assert_refused(pump, ev.PrimeTubing(pump.now, 5), Reason.DELIVERY_UNCERTAIN)
    assumed = [
        (tick + 2, n.a, n.b)
        for tick, result in enumerate(pump.ticks(C.motor_ack_timeout_ticks + 2))
        for n in notices(result, NoticeKind.DELIVERY_ASSUMED)
    ]
    assert assumed == [(C.motor_ack_timeout_ticks + 1, 1, 1)]


def test_an_empty_cannula_fill_sends_no_command_and_takes_no_number() -> None:
    """RES-3, DLV-1, CFG-1: with a (structurally valid) smallest cannula fill of 0, a fill of 0 pulses sends no
    motor command, and the next command is numbered right after the prime.

    Kills ``kernel.reservoir.x__motor_step__mutmut_10`` (``>= 0``) and ``13`` (always a new number).
    """
    config = evolve(C, cannula_min_pulses=0)
    assert config_problems(config, clinical=False) == ()
    pump = Pump(config=config, state=initial_state(config))
    pump.accept(ev.SettingsChange(0, flat_settings(ONE_PER_MINUTE, config)))
    pump.accept(ev.FillReservoir(0, 4000))
    pump.auto_confirm = False
    (prime,) = delivers(pump.accept(ev.PrimeTubing(0, 20)))
    pump.accept(ev.MotorReport(0, prime.seq, prime.pulses))
    assert delivers(pump.accept(ev.FillCannula(0, 0))) == []
    pump.accept(ev.Resume(0))
    (basal,) = delivers(pump.tick())
    assert basal.seq == prime.seq + 1


def test_priming_may_take_the_whole_reservoir() -> None:
    """RES-3: priming may take exactly every pulse in the reservoir.

    Written for ``kernel.reservoir.x_on_prime_tubing__mutmut_10`` (``<``); checked with mutation_apply: KILLS.
    """
    pump = Pump()
    pump.accept(ev.SettingsChange(0, flat_settings(ONE_PER_MINUTE)))
    pump.accept(ev.FillReservoir(0, 20))
    pump.accept(ev.PrimeTubing(0, 20))
    assert pump.state.reservoir.pulses == 0
