"""Units, fixed time base and the shapes of the kernel's fixed-size tables.

Theory of operation
-------------------
Inside the step, insulin is counted in whole *pulses* (one motor step of the
configured pulse size) and time in *ticks* of one minute.  At the edges
(configuration files, the user interface, adapters) insulin is in
*milliunits* (mU) and rates in milliunits per hour; the conversions below are
the only place where milliunits become pulses, and they refuse any amount
that is not a whole number of pulses instead of rounding it (U-2, CFG-1).

Basal rates inside the kernel are whole pulses per hour (``_pph``).  The
effective rate of a percent temp basal is kept in hundredths of a pulse per
hour (``_cpph``) so that percent arithmetic never rounds; the basal
accumulator adds the effective ``_cpph`` rate once a tick, and one pulse is
``ACC_UNITS_PER_PULSE`` accumulator units (100 hundredths x 60 ticks per
hour).  Delivered basal therefore differs from the integral of the
programmed rate by less than one pulse, forever (BAS-2).

The names below are structural constants (the tick length, the number of
buckets in a ring, the day); every *limit* lives in ``PumpConfig`` or
``TherapySettings``.

Requirements served: U-1, U-2, BAS-1, BAS-2, CLK-1.
"""

from __future__ import annotations

TICK_SECONDS = 60
"""Length of one tick: one minute (CLK-1: time passes only by ticks)."""

TICKS_PER_HOUR = 60
TICKS_PER_DAY = 1440
SLOT_TICKS = 30
"""Basal profile resolution: one slot is 30 minutes (BAS-1 segment minimum)."""
SLOTS_PER_DAY = 48

CPPH_PER_PPH = 100
"""Hundredths of a pulse per hour in one pulse per hour."""
ACC_UNITS_PER_PULSE = CPPH_PER_PPH * TICKS_PER_HOUR
"""Basal accumulator units in one pulse (BAS-2)."""

HOUR_RING = 13
"""Buckets in the rolling 60-minute window: 12 full buckets plus the current one."""
DAY_RING = 25
"""Buckets in the rolling 24-hour window: 24 full buckets plus the current one."""
IOB_RING = 49
"""Buckets of insulin-on-board history (10-minute buckets: 8 h plus the current one)."""
IOB_BUCKET_TICKS = 10
"""IOB bucket length, fixed because the insulin-action tables are constants (LIM-4)."""

REQUEST_SLOTS = 600
"""Request memory slots (BOL-5): 24 hours of a closed loop's commands fit, one temp basal and one automatic
bolus every 5 minutes (2 x 288), plus 24 requests of a person.  ``PumpConfig.requests_per_day_max`` (at most
this) is the configured bound."""
REQUEST_MEMORY_TICKS = 1440
"""How long a request is remembered: 24 hours (BOL-5)."""

USER_TEMP_STEP_TICKS = 15
"""User temp basal durations come in 15-minute steps (TMP-1)."""

PREDICTION_HORIZON_TICKS = 30
"""Predictive low-glucose suspend looks 30 minutes ahead (SUS-3)."""

OLDER_READINGS = 3
"""Valid readings kept before the last one: the trend of SUS-3 is fitted over four readings."""
TREND_SPAN_BITS = 5
"""Four readings make a trend only when they span at most 31 ticks (SUS-3): the span multiplies a glucose
difference through ``Logic.mul_small``, which needs a bit bound."""
TREND_SPAN_MAX_TICKS = (1 << TREND_SPAN_BITS) - 1
ALARM_REPEATS_MAX = 3
"""An unacknowledged alarm's repetition count stops growing here: the loudest escalation step (ALM-5)."""

GLUCOSE_PAIR_BITS = 4
"""Two readings form a trend only when at most 15 ticks apart (SUS-3, SEN-3)."""
GLUCOSE_PAIR_MAX_TICKS = (1 << GLUCOSE_PAIR_BITS) - 1

PERCENT_BITS = 9
"""Temp basal percentages are below 512 (TMP-1 allows 0..250 %)."""

EXTENDED_QUOTIENT_BITS = 16
"""Extended-bolus pulses per tick (whole part) stay below 65536."""

MU_PER_UNIT = 1000
ALLOWED_PULSE_MU = (10, 25, 50, 100)
"""Pulse sizes seen on shipping pumps: 0.01, 0.025, 0.05, 0.1 U (U-2)."""


def pulses_from_mu(amount_mu: int, pulse_mu: int) -> int | None:
    """Whole pulses in ``amount_mu`` milliunits, or ``None`` if not a whole number.

    Edge conversion (never called inside the step).  Units: mU -> pulses.
    Rounds nothing: an amount that is not a multiple of the pulse is refused
    by returning ``None`` (U-2, CFG-1).
    """
    if type(amount_mu) is not int or type(pulse_mu) is not int or pulse_mu <= 0:
        return None
    if amount_mu < 0 or amount_mu % pulse_mu != 0:
        return None
    return amount_mu // pulse_mu


def pph_from_mu_per_hour(rate_mu_per_hour: int, pulse_mu: int) -> int | None:
    """Whole pulses per hour in a rate given in mU/h, or ``None`` (U-2)."""
    return pulses_from_mu(rate_mu_per_hour, pulse_mu)


def mu_from_pulses(pulses: int, pulse_mu: int) -> int:
    """Milliunits in a number of pulses (edge conversion; exact)."""
    return pulses * pulse_mu


def ticks_from_minutes(minutes: int) -> int:
    """Ticks in a whole number of minutes (one tick is one minute)."""
    return minutes * 60 // TICK_SECONDS
