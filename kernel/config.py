"""The pump configuration: hardware, timing, and the ceilings for therapy settings.

Theory of operation
-------------------
A pump has two kinds of configuration.  ``PumpConfig`` (this module) is fixed
for the life of a device build: the pulse size, the reservoir, the motor's
bolus speed, the occlusion thresholds, the timing rules the requirements fix
(two hours of automatic suspension at most, 30-minute controller temps), and
the *ceilings* that every therapy setting must stay under (CFG-3).  It is the
``config`` argument of ``step``.  ``TherapySettings`` (``kernel.settings``) are
the user's and clinician's numbers (basal profile, max bolus, dose limits);
they live in the state and change through a validated event.

A configuration is validated as a whole and every failed rule is listed
(CFG-1).  The rules come in two groups:

* ``structural_checks`` are linear comparisons written in the kernel's logic.
  They are exactly what the proofs assume about a configuration, so the proofs
  hold for every configuration that passes them.
* ``clinical_checks`` add the catalogue's ranges and the hard ceilings of
  ``HARD_CEILINGS_MU``, which are stated in milliunits and so depend on the
  pulse size.  They are plain Python and are not needed by any proof: the
  proofs hold for the larger set of structurally valid configurations.

Units: ``_pulses`` whole pulses, ``_pph`` pulses per hour, ``_ticks`` one-minute
ticks, ``_mgdl`` mg/dL, ``_mu`` milliunits.

Requirements served: CFG-1, CFG-2, CFG-3, U-2, BOL-3, RES-2, RES-3, OCC-1,
DLV-2, SUS-1, SUS-4, TMP-1, TMP-3, BOL-2, SEN-1, SEN-3, LIM-1, LIM-2.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from kernel.logic import PY, Logic
from kernel.units import (
    ALLOWED_PULSE_MU,
    DAY_RING,
    EXTENDED_QUOTIENT_BITS,
    HOUR_RING,
    MU_PER_UNIT,
    REQUEST_SLOTS,
    TICKS_PER_DAY,
    TICKS_PER_HOUR,
    TREND_SPAN_MAX_TICKS,
)


class PumpConfig(NamedTuple):
    """Device configuration (see module docstring for units).

    Every field is an ``int`` except ``remote_is_person_held`` (``bool``): whether
    commands from the paired remote count as a person at the pump for auto-off
    (ALM-4; default ``False``: a phone app may send commands with nobody looking).
    """

    # Hardware (U-2, RES-1, BOL-3, RES-3).
    pulse_mu: int
    reservoir_capacity_pulses: int
    bolus_pulses_per_tick: int
    prime_max_pulses: int
    cannula_min_pulses: int
    cannula_max_pulses: int
    # Motor supervision (OCC-1, DLV-2).
    occlusion_pressure_kpa: int
    occlusion_consecutive_samples: int
    occlusion_undisplaced_pulses: int
    motor_ack_timeout_ticks: int
    # Rolling windows (LIM-1, LIM-2): bucket lengths of the 13- and 25-bucket rings.
    hour_bucket_ticks: int
    day_bucket_ticks: int
    # Reservoir alert fixed by RES-2 (5 U).
    reservoir_very_low_pulses: int
    # Suspend and low-glucose protection (SUS-1..4).
    suspend_reminder_ticks: int
    lgs_max_ticks: int
    lgs_lockout_ticks: int
    lgs_predict_margin_mgdl: int
    lgs_predict_band_mgdl: int
    lgs_trend_span_min_ticks: int
    lgs_min_ticks: int
    lgs_resume_margin_mgdl: int
    # Alarm signals (ALM-1, ALM-5): an unacknowledged alarm is repeated, escalating, this often.
    alarm_repeat_ticks: int
    # Temp basal and bolus shapes (TMP-1, TMP-3, BOL-2).
    temp_min_ticks: int
    temp_max_ticks: int
    temp_percent_max: int
    controller_temp_max_ticks: int
    extended_min_ticks: int
    extended_max_ticks: int
    # Sensor validity (SEN-1, SEN-3).
    glucose_min_mgdl: int
    glucose_max_mgdl: int
    glucose_max_age_ticks: int
    glucose_max_future_ticks: int
    glucose_max_change_mgdl_per_tick: int
    # Ceilings and ranges for therapy settings (CFG-3, RES-2, RES-4, ALM-2, SUS-2).
    max_bolus_ceiling_pulses: int
    max_basal_ceiling_pph: int
    max_hourly_ceiling_pulses: int
    max_daily_ceiling_pulses: int
    max_iob_ceiling_pulses: int
    reservoir_low_min_pulses: int
    reservoir_low_max_pulses: int
    lgs_threshold_min_mgdl: int
    lgs_threshold_max_mgdl: int
    auto_off_min_ticks: int
    auto_off_max_ticks: int
    set_reminder_min_ticks: int
    set_max_age_ceiling_ticks: int
    # Request memory (BOL-5) and who counts as a person at the pump (ALM-4).
    requests_per_day_max: int
    remote_is_person_held: bool


class ConfigRule(enum.IntEnum):
    """One named rule of configuration validity (CFG-1 lists every failure by name)."""

    FIELD_NOT_INTEGER = 1
    PULSE_SIZE_NOT_SUPPORTED = 2
    RESERVOIR_CAPACITY_NOT_POSITIVE = 3
    BOLUS_SPEED_NOT_POSITIVE = 4
    PRIME_MAX_NEGATIVE = 5
    CANNULA_RANGE_INVERTED = 6
    CANNULA_ABOVE_CAPACITY = 7
    OCCLUSION_THRESHOLDS_NOT_POSITIVE = 8
    MOTOR_ACK_TIMEOUT_NOT_POSITIVE = 9
    BUCKET_TICKS_NOT_POSITIVE = 10
    VERY_LOW_ABOVE_LOW_RANGE = 11
    SUSPEND_REMINDER_NOT_POSITIVE = 12
    LGS_TIMING_INVALID = 13
    TEMP_DURATION_RANGE_INVALID = 14
    CONTROLLER_TEMP_RANGE_INVALID = 15
    EXTENDED_RANGE_INVALID = 16
    GLUCOSE_RANGE_INVALID = 17
    GLUCOSE_TIMING_INVALID = 18
    CEILINGS_NEGATIVE = 19
    HOURLY_CEILING_ABOVE_DAILY = 20
    RESERVOIR_LOW_RANGE_INVALID = 21
    LGS_THRESHOLD_RANGE_INVALID = 22
    AUTO_OFF_RANGE_INVALID = 23
    SET_AGE_RANGE_INVALID = 24
    TEMP_PERCENT_MAX_NEGATIVE = 25
    BOLUS_CEILING_ABOVE_ARITHMETIC_BOUND = 26
    REQUEST_MEMORY_OUT_OF_RANGE = 27
    LGS_TREND_INVALID = 28
    ALARM_REPEAT_NOT_POSITIVE = 29
    # Structural since the window proofs (LIM-1, LIM-2) need them; numbered with the clinical rules before.
    HOUR_WINDOW_SHORTER_THAN_60_MIN = 40
    DAY_WINDOW_SHORTER_THAN_24_H = 41
    # Clinical rules (catalogue ranges and hard ceilings; Python only).
    MAX_BOLUS_CEILING_ABOVE_HARD_CEILING = 42
    MAX_BASAL_CEILING_ABOVE_HARD_CEILING = 43
    MAX_DAILY_CEILING_ABOVE_HARD_CEILING = 44
    MAX_HOURLY_CEILING_ABOVE_HARD_CEILING = 45
    MAX_IOB_CEILING_ABOVE_HARD_CEILING = 46
    VERY_LOW_RESERVOIR_NOT_5_U = 47
    LGS_LONGER_THAN_2_H = 48
    LGS_LOCKOUT_SHORTER_THAN_30_MIN = 49
    # 50 was CONTROLLER_TEMP_LONGER_THAN_30_MIN: now part of the structural CONTROLLER_TEMP_RANGE_INVALID.
    TEMP_PERCENT_ABOVE_250 = 51
    GLUCOSE_AGE_LIMITS_LOOSER_THAN_CATALOGUE = 52
    GLUCOSE_RANGE_WIDER_THAN_CATALOGUE = 53
    TEMP_DURATION_OUTSIDE_CATALOGUE = 54
    EXTENDED_DURATION_OUTSIDE_CATALOGUE = 55
    BOLUS_SPEED_ABOVE_HARD_CEILING = 56
    SET_AGE_CEILING_ABOVE_HARD_CEILING = 57


HARD_CEILINGS_MU: dict[str, int] = {
    # CFG-3: no configuration may exceed these (Loop's 30 U bolus ceiling,
    # Medtronic's 35 U/h basal, 250 U a day; 70 U IOB is AndroidAPS' pregnancy SMB
    # limit; bolus speed 6 U/min is above every shipping pump's fastest setting).
    "max_bolus_mu": 30 * MU_PER_UNIT,
    "max_basal_mu_per_hour": 35 * MU_PER_UNIT,
    "max_daily_mu": 250 * MU_PER_UNIT,
    "max_hourly_mu": 65 * MU_PER_UNIT,
    "max_iob_mu": 70 * MU_PER_UNIT,
    "bolus_speed_mu_per_minute": 6 * MU_PER_UNIT,
}
"""Builder-level hard ceilings in milliunits (CFG-3)."""

HARD_MAX_SET_AGE_TICKS = 7 * TICKS_PER_DAY
"""Extended-wear sets last up to 7 days (RES-4); no configuration may allow longer."""

CONFIG_BOOL_FIELDS = ("remote_is_person_held",)
"""The configuration fields that are booleans; every other field is an integer."""


def structural_checks(c: PumpConfig, logic: Logic) -> tuple[tuple[ConfigRule, bool], ...]:
    """The linear rules every proof assumes about a configuration (CFG-1, CFG-2).

    Returns ``(rule, holds)`` pairs in a fixed order; written in the kernel's
    logic so that ``specs`` can state them to Z3 unchanged.
    """
    R = ConfigRule
    return (
        (R.RESERVOIR_CAPACITY_NOT_POSITIVE, c.reservoir_capacity_pulses >= 1),
        (R.BOLUS_SPEED_NOT_POSITIVE, c.bolus_pulses_per_tick >= 1),
        (R.PRIME_MAX_NEGATIVE, c.prime_max_pulses >= 0),
        (R.CANNULA_RANGE_INVERTED, logic.both(c.cannula_min_pulses >= 0, c.cannula_min_pulses <= c.cannula_max_pulses)),
        (R.CANNULA_ABOVE_CAPACITY, c.cannula_max_pulses <= c.reservoir_capacity_pulses),
        (
            R.OCCLUSION_THRESHOLDS_NOT_POSITIVE,
            logic.all(
                c.occlusion_pressure_kpa >= 1,
                c.occlusion_consecutive_samples >= 1,
                c.occlusion_undisplaced_pulses >= 1,
            ),
        ),
        (R.MOTOR_ACK_TIMEOUT_NOT_POSITIVE, c.motor_ack_timeout_ticks >= 1),
        (R.BUCKET_TICKS_NOT_POSITIVE, logic.both(c.hour_bucket_ticks >= 1, c.day_bucket_ticks >= 1)),
        # Ring coverage (LIM-1, LIM-2): the 12 full buckets of the hour ring span at least 60 minutes and the
        # 24 of the day ring at least 24 hours, so every rolling window ending now lies inside its ring.
        (R.HOUR_WINDOW_SHORTER_THAN_60_MIN, (HOUR_RING - 1) * c.hour_bucket_ticks >= TICKS_PER_HOUR),
        (R.DAY_WINDOW_SHORTER_THAN_24_H, (DAY_RING - 1) * c.day_bucket_ticks >= TICKS_PER_DAY),
        (
            R.VERY_LOW_ABOVE_LOW_RANGE,
            logic.both(c.reservoir_very_low_pulses >= 0, c.reservoir_very_low_pulses <= c.reservoir_low_min_pulses),
        ),
        (R.SUSPEND_REMINDER_NOT_POSITIVE, c.suspend_reminder_ticks >= 1),
        (
            R.LGS_TIMING_INVALID,
            # A lockout of at least one tick is what makes an automatic suspension that ran its full
            # length really give way to basal (SUS-4); the clinical rule asks for 30 minutes.
            logic.all(c.lgs_max_ticks >= 1, c.lgs_lockout_ticks >= 1, c.lgs_predict_margin_mgdl >= 0),
        ),
        (
            R.LGS_TREND_INVALID,
            # The trend of SUS-3 spans at most TREND_SPAN_MAX_TICKS (an arithmetic bound); a minimum suspension
            # longer than the maximum would be no rule at all.
            logic.all(
                c.lgs_predict_band_mgdl >= 0,
                c.lgs_resume_margin_mgdl >= 0,
                c.lgs_trend_span_min_ticks >= 3,
                c.lgs_trend_span_min_ticks <= TREND_SPAN_MAX_TICKS,
                c.lgs_min_ticks >= 0,
                c.lgs_min_ticks <= c.lgs_max_ticks,
            ),
        ),
        (R.ALARM_REPEAT_NOT_POSITIVE, c.alarm_repeat_ticks >= 1),
        (R.TEMP_DURATION_RANGE_INVALID, logic.both(c.temp_min_ticks >= 1, c.temp_min_ticks <= c.temp_max_ticks)),
        (R.TEMP_PERCENT_MAX_NEGATIVE, logic.both(c.temp_percent_max >= 0, c.temp_percent_max < 512)),
        # The max-IOB projection of a controller temp covers 30 minutes and two profile slots (LIM-4).
        (
            R.CONTROLLER_TEMP_RANGE_INVALID,
            logic.both(c.controller_temp_max_ticks >= 1, c.controller_temp_max_ticks <= 30),
        ),
        (
            R.EXTENDED_RANGE_INVALID,
            logic.both(c.extended_min_ticks >= 1, c.extended_min_ticks <= c.extended_max_ticks),
        ),
        (
            R.GLUCOSE_RANGE_INVALID,
            logic.all(
                c.glucose_min_mgdl >= 1,
                c.glucose_min_mgdl <= c.glucose_max_mgdl,
                c.glucose_max_change_mgdl_per_tick >= 1,
            ),
        ),
        (R.GLUCOSE_TIMING_INVALID, logic.both(c.glucose_max_age_ticks >= 0, c.glucose_max_future_ticks >= 0)),
        (
            R.CEILINGS_NEGATIVE,
            logic.all(
                c.max_bolus_ceiling_pulses >= 0,
                c.max_basal_ceiling_pph >= 0,
                c.max_hourly_ceiling_pulses >= 0,
                c.max_daily_ceiling_pulses >= 0,
                c.max_iob_ceiling_pulses >= 0,
            ),
        ),
        (R.HOURLY_CEILING_ABOVE_DAILY, c.max_hourly_ceiling_pulses <= c.max_daily_ceiling_pulses),
        # The extended-bolus division is exact for amounts below 2**16 pulses (kernel.logic.divmod_bounded).
        (R.BOLUS_CEILING_ABOVE_ARITHMETIC_BOUND, c.max_bolus_ceiling_pulses < 1 << EXTENDED_QUOTIENT_BITS),
        (
            R.RESERVOIR_LOW_RANGE_INVALID,
            logic.both(
                c.reservoir_low_min_pulses <= c.reservoir_low_max_pulses,
                c.reservoir_low_max_pulses < c.reservoir_capacity_pulses,
            ),
        ),
        (
            R.LGS_THRESHOLD_RANGE_INVALID,
            logic.all(
                c.lgs_threshold_min_mgdl >= c.glucose_min_mgdl,
                c.lgs_threshold_min_mgdl <= c.lgs_threshold_max_mgdl,
                c.lgs_threshold_max_mgdl + c.lgs_predict_margin_mgdl <= c.glucose_max_mgdl,
            ),
        ),
        (
            R.AUTO_OFF_RANGE_INVALID,
            logic.both(c.auto_off_min_ticks >= 1, c.auto_off_min_ticks <= c.auto_off_max_ticks),
        ),
        (
            R.SET_AGE_RANGE_INVALID,
            logic.both(c.set_reminder_min_ticks >= 1, c.set_reminder_min_ticks < c.set_max_age_ceiling_ticks),
        ),
        (
            R.REQUEST_MEMORY_OUT_OF_RANGE,
            logic.both(c.requests_per_day_max >= 1, c.requests_per_day_max <= REQUEST_SLOTS),
        ),
    )


def clinical_checks(c: PumpConfig) -> tuple[tuple[ConfigRule, bool], ...]:
    """Catalogue ranges and hard ceilings (CFG-3); plain Python, needs integer fields."""
    R = ConfigRule
    pulse = c.pulse_mu
    return (
        (R.PULSE_SIZE_NOT_SUPPORTED, pulse in ALLOWED_PULSE_MU),
        (
            R.MAX_BOLUS_CEILING_ABOVE_HARD_CEILING,
            c.max_bolus_ceiling_pulses * pulse <= HARD_CEILINGS_MU["max_bolus_mu"],
        ),
        (
            R.MAX_BASAL_CEILING_ABOVE_HARD_CEILING,
            c.max_basal_ceiling_pph * pulse <= HARD_CEILINGS_MU["max_basal_mu_per_hour"],
        ),
        (
            R.MAX_DAILY_CEILING_ABOVE_HARD_CEILING,
            c.max_daily_ceiling_pulses * pulse <= HARD_CEILINGS_MU["max_daily_mu"],
        ),
        (
            R.MAX_HOURLY_CEILING_ABOVE_HARD_CEILING,
            c.max_hourly_ceiling_pulses * pulse <= HARD_CEILINGS_MU["max_hourly_mu"],
        ),
        (R.MAX_IOB_CEILING_ABOVE_HARD_CEILING, c.max_iob_ceiling_pulses * pulse <= HARD_CEILINGS_MU["max_iob_mu"]),
        (
            R.BOLUS_SPEED_ABOVE_HARD_CEILING,
            c.bolus_pulses_per_tick * pulse <= HARD_CEILINGS_MU["bolus_speed_mu_per_minute"],
        ),
        (R.VERY_LOW_RESERVOIR_NOT_5_U, c.reservoir_very_low_pulses * pulse == 5 * MU_PER_UNIT),
        (R.LGS_LONGER_THAN_2_H, c.lgs_max_ticks <= 2 * TICKS_PER_HOUR),
        (R.LGS_LOCKOUT_SHORTER_THAN_30_MIN, c.lgs_lockout_ticks >= 30),
        (R.TEMP_PERCENT_ABOVE_250, c.temp_percent_max <= 250),
        (R.TEMP_DURATION_OUTSIDE_CATALOGUE, c.temp_min_ticks >= 15 and c.temp_max_ticks <= TICKS_PER_DAY),
        (R.EXTENDED_DURATION_OUTSIDE_CATALOGUE, c.extended_min_ticks >= 15 and c.extended_max_ticks <= 8 * 60),
        (
            R.GLUCOSE_AGE_LIMITS_LOOSER_THAN_CATALOGUE,
            c.glucose_max_age_ticks <= 12 and c.glucose_max_future_ticks <= 5,
        ),
        (R.GLUCOSE_RANGE_WIDER_THAN_CATALOGUE, c.glucose_min_mgdl >= 40 and c.glucose_max_mgdl <= 400),
        (R.SET_AGE_CEILING_ABOVE_HARD_CEILING, c.set_max_age_ceiling_ticks <= HARD_MAX_SET_AGE_TICKS),
    )


def config_problems(config: object, *, clinical: bool = True) -> tuple[ConfigRule, ...]:
    """Every rule ``config`` breaks, in rule order; empty when it is valid (CFG-1).

    Never raises: a value that is not a ``PumpConfig`` or has a field of the
    wrong type (an ``int``; a ``bool`` for ``CONFIG_BOOL_FIELDS``) is reported
    as ``FIELD_NOT_INTEGER`` before any other rule.
    ``clinical=False`` checks only the structural rules (what proofs assume);
    scaled-down configurations for exhaustive search use that.
    """
    if type(config) is not PumpConfig:
        return (ConfigRule.FIELD_NOT_INTEGER,)
    for name in PumpConfig._fields:
        wanted = bool if name in CONFIG_BOOL_FIELDS else int
        if type(getattr(config, name)) is not wanted:
            return (ConfigRule.FIELD_NOT_INTEGER,)
    checks = structural_checks(config, PY)
    if clinical:
        checks = checks + clinical_checks(config)
    return tuple(rule for rule, holds in checks if not holds)


def _pulses(units_mu: int, pulse_mu: int) -> int:
    return units_mu // pulse_mu


def make_config(pulse_mu: int = 50, reservoir_units: int = 300) -> PumpConfig:
    """A configuration with the catalogue's default numbers for a given pulse size.

    Adult ceilings follow AndroidAPS' adult hard limits (17 U bolus, 10 U/h
    basal, 22 U IOB) and Medtronic's 250 U daily range.  Edge function: amounts
    are converted from milliunits here, once, outside the step.
    """
    p = pulse_mu
    return PumpConfig(
        pulse_mu=p,
        reservoir_capacity_pulses=_pulses(reservoir_units * MU_PER_UNIT, p),
        bolus_pulses_per_tick=_pulses(1500, p),  # 1.5 U/min (Omnipod), BOL-3
        prime_max_pulses=_pulses(30 * MU_PER_UNIT, p),
        cannula_min_pulses=_pulses(300, p),
        cannula_max_pulses=_pulses(1000, p),
        occlusion_pressure_kpa=150,
        occlusion_consecutive_samples=3,
        occlusion_undisplaced_pulses=_pulses(3 * MU_PER_UNIT, p),
        motor_ack_timeout_ticks=5,
        hour_bucket_ticks=5,
        day_bucket_ticks=60,
        reservoir_very_low_pulses=_pulses(5 * MU_PER_UNIT, p),
        suspend_reminder_ticks=15,
        lgs_max_ticks=120,
        lgs_lockout_ticks=30,
        lgs_predict_margin_mgdl=20,
        lgs_predict_band_mgdl=20,
        lgs_trend_span_min_ticks=9,
        lgs_min_ticks=30,
        lgs_resume_margin_mgdl=20,
        alarm_repeat_ticks=15,
        temp_min_ticks=15,
        temp_max_ticks=TICKS_PER_DAY,
        temp_percent_max=250,
        controller_temp_max_ticks=30,
        extended_min_ticks=15,
        extended_max_ticks=8 * 60,
        glucose_min_mgdl=40,
        glucose_max_mgdl=400,
        glucose_max_age_ticks=12,
        glucose_max_future_ticks=5,
        glucose_max_change_mgdl_per_tick=8,
        max_bolus_ceiling_pulses=_pulses(17 * MU_PER_UNIT, p),
        max_basal_ceiling_pph=_pulses(10 * MU_PER_UNIT, p),
        max_hourly_ceiling_pulses=_pulses(27 * MU_PER_UNIT, p),
        max_daily_ceiling_pulses=_pulses(250 * MU_PER_UNIT, p),
        max_iob_ceiling_pulses=_pulses(22 * MU_PER_UNIT, p),
        reservoir_low_min_pulses=_pulses(5 * MU_PER_UNIT, p),
        reservoir_low_max_pulses=_pulses(50 * MU_PER_UNIT, p),
        lgs_threshold_min_mgdl=60,
        lgs_threshold_max_mgdl=90,
        auto_off_min_ticks=TICKS_PER_HOUR,
        auto_off_max_ticks=TICKS_PER_DAY,
        set_reminder_min_ticks=12 * TICKS_PER_HOUR,
        set_max_age_ceiling_ticks=HARD_MAX_SET_AGE_TICKS,
        requests_per_day_max=REQUEST_SLOTS,
        remote_is_person_held=False,
    )


DEFAULT_CONFIG: PumpConfig = make_config()
"""The named default: adult, 0.05 U pulses, 300 U reservoir, 1.5 U/min bolus speed."""
