"""Therapy settings: the basal profile, dose limits and alert settings in force.

Theory of operation
-------------------
Therapy settings are the numbers a user or clinician changes: the 24-hour
basal profile, max basal, max bolus, the rolling hourly and daily limits, max
insulin on board for automated commands, the insulin-action time, and alert
settings.  They live in the pump state and change only through a
``SettingsChange`` event, which is validated as a whole by the same
``settings_checks`` used here; an invalid change is refused with every failed
rule listed and the previous settings stay in force (CFG-1).

The basal profile is a fixed table of 48 half-hour slots.  A profile of 1 to
48 segments, each at least 30 minutes and starting on a half hour (BAS-1),
maps one-to-one onto that table; ``profile_slots`` does the mapping at the
edge, from segment start times in minutes and rates in mU/h, and refuses any
rate that is not a whole number of pulses per hour.  Inside the step the
current slot is ``time_of_day // 30`` (a division by a constant), so segment
boundaries and midnight are exact (BAS-3).

Units: ``_pph`` pulses per hour, ``_pulses``, ``_ticks`` (minutes), ``_mgdl``.
``dia_index`` selects the insulin-action curve: DIA = 2 h + 30 min x index
(0..12, i.e. 2..8 h, LIM-4).

Requirements served: CFG-1, CFG-2, CFG-3, BAS-1, BAS-4, LIM-1, LIM-2, LIM-4,
RES-2, RES-4, ALM-2, SUS-2, SUS-3, SEC-2.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from typing import NamedTuple

from kernel.config import PumpConfig
from kernel.logic import PY, Logic, total
from kernel.units import MU_PER_UNIT, SLOT_TICKS, SLOTS_PER_DAY, TICKS_PER_HOUR

DIA_CHOICES = 13
"""Insulin-action times offered: 2.0 to 8.0 h in 30-minute steps (LIM-4)."""


class TherapySettings(NamedTuple):
    """The therapy settings in force (see module docstring for units)."""

    basal_slots_pph: tuple[int, ...]
    max_basal_pph: int
    max_bolus_pulses: int
    max_hourly_pulses: int
    max_daily_pulses: int
    max_iob_pulses: int
    dia_index: int
    reservoir_low_pulses: int
    set_reminder_ticks: int
    set_max_age_ticks: int
    auto_off_ticks: int
    lgs_threshold_mgdl: int
    lgs_enabled: bool
    predictive_suspend_enabled: bool
    remote_bolus_enabled: bool
    controller_enabled: bool


BOOL_FIELDS = ("lgs_enabled", "predictive_suspend_enabled", "remote_bolus_enabled", "controller_enabled")


class SettingsRule(enum.IntEnum):
    """One named rule of settings validity; a refusal lists every failed rule (CFG-1)."""

    FIELD_ILL_TYPED = 0
    BASAL_SLOT_NEGATIVE = 1
    BASAL_SLOT_ABOVE_MAX_BASAL = 2
    MAX_BASAL_OUTSIDE_CEILING = 3
    MAX_BOLUS_OUTSIDE_CEILING = 4
    MAX_BOLUS_ABOVE_HOURLY_LIMIT = 5
    MAX_HOURLY_OUTSIDE_CEILING = 6
    MAX_DAILY_OUTSIDE_CEILING = 7
    HOURLY_LIMIT_ABOVE_DAILY_LIMIT = 8
    MAX_BASAL_ABOVE_HOURLY_LIMIT = 9
    SCHEDULED_BASAL_ABOVE_DAILY_LIMIT = 10
    MAX_IOB_OUTSIDE_CEILING = 11
    DIA_OUTSIDE_RANGE = 12
    RESERVOIR_LOW_OUTSIDE_RANGE = 13
    SET_AGE_OUTSIDE_RANGE = 14
    AUTO_OFF_OUTSIDE_RANGE = 15
    LGS_THRESHOLD_OUTSIDE_RANGE = 16


def settings_checks(c: PumpConfig, st: TherapySettings, logic: Logic) -> tuple[tuple[SettingsRule, bool], ...]:
    """Every settings rule as ``(rule, holds)``, in rule order (CFG-1, CFG-2, CFG-3).

    Linear comparisons only, in the kernel's logic: the step uses this to
    validate a ``SettingsChange`` and the proofs use it as the definition of
    valid settings.
    """
    R = SettingsRule
    slots = st.basal_slots_pph
    return (
        (R.BASAL_SLOT_NEGATIVE, logic.all(*(rate >= 0 for rate in slots))),
        (R.BASAL_SLOT_ABOVE_MAX_BASAL, logic.all(*(rate <= st.max_basal_pph for rate in slots))),
        (R.MAX_BASAL_OUTSIDE_CEILING, logic.both(st.max_basal_pph >= 0, st.max_basal_pph <= c.max_basal_ceiling_pph)),
        (
            R.MAX_BOLUS_OUTSIDE_CEILING,
            logic.both(st.max_bolus_pulses >= 0, st.max_bolus_pulses <= c.max_bolus_ceiling_pulses),
        ),
        (R.MAX_BOLUS_ABOVE_HOURLY_LIMIT, st.max_bolus_pulses <= st.max_hourly_pulses),
        (
            R.MAX_HOURLY_OUTSIDE_CEILING,
            logic.both(st.max_hourly_pulses >= 0, st.max_hourly_pulses <= c.max_hourly_ceiling_pulses),
        ),
        (
            R.MAX_DAILY_OUTSIDE_CEILING,
            logic.both(st.max_daily_pulses >= 0, st.max_daily_pulses <= c.max_daily_ceiling_pulses),
        ),
        (R.HOURLY_LIMIT_ABOVE_DAILY_LIMIT, st.max_hourly_pulses <= st.max_daily_pulses),
        (R.MAX_BASAL_ABOVE_HOURLY_LIMIT, st.max_basal_pph <= st.max_hourly_pulses),
        # Each slot lasts half an hour: a day of scheduled basal is sum(slots) / 2 pulses.
        (R.SCHEDULED_BASAL_ABOVE_DAILY_LIMIT, total(slots) <= st.max_daily_pulses * 2),
        (R.MAX_IOB_OUTSIDE_CEILING, logic.both(st.max_iob_pulses >= 0, st.max_iob_pulses <= c.max_iob_ceiling_pulses)),
        (R.DIA_OUTSIDE_RANGE, logic.both(st.dia_index >= 0, st.dia_index < DIA_CHOICES)),
        (
            R.RESERVOIR_LOW_OUTSIDE_RANGE,
            logic.both(
                st.reservoir_low_pulses >= c.reservoir_low_min_pulses,
                st.reservoir_low_pulses <= c.reservoir_low_max_pulses,
            ),
        ),
        (
            R.SET_AGE_OUTSIDE_RANGE,
            logic.all(
                st.set_reminder_ticks >= c.set_reminder_min_ticks,
                st.set_reminder_ticks < st.set_max_age_ticks,
                st.set_max_age_ticks <= c.set_max_age_ceiling_ticks,
            ),
        ),
        (
            R.AUTO_OFF_OUTSIDE_RANGE,
            logic.either(
                st.auto_off_ticks == 0,
                logic.both(st.auto_off_ticks >= c.auto_off_min_ticks, st.auto_off_ticks <= c.auto_off_max_ticks),
            ),
        ),
        (
            R.LGS_THRESHOLD_OUTSIDE_RANGE,
            logic.both(
                st.lgs_threshold_mgdl >= c.lgs_threshold_min_mgdl,
                st.lgs_threshold_mgdl <= c.lgs_threshold_max_mgdl,
            ),
        ),
    )


def settings_well_typed(st: object) -> bool:
    """True when ``st`` is a ``TherapySettings`` whose every field has its declared type.

    Plain Python (types are not symbolic); the step calls it before any
    arithmetic so that an ill-typed settings value is refused, never raised on
    (INP-1).
    """
    if type(st) is not TherapySettings:
        return False
    for name in TherapySettings._fields:
        value = getattr(st, name)
        if name == "basal_slots_pph":
            if type(value) is not tuple or len(value) != SLOTS_PER_DAY:
                return False
            if any(type(rate) is not int for rate in value):
                return False
        elif name in BOOL_FIELDS:
            if type(value) is not bool:
                return False
        elif type(value) is not int:
            return False
    return True


def settings_problems(c: PumpConfig, st: object) -> tuple[SettingsRule, ...]:
    """Every rule ``st`` breaks under ``c``; empty when valid (CFG-1).  Never raises."""
    if not settings_well_typed(st):
        return (SettingsRule.FIELD_ILL_TYPED,)
    assert isinstance(st, TherapySettings)
    return tuple(rule for rule, holds in settings_checks(c, st, PY) if not holds)


def rule_mask(checks: Sequence[tuple[SettingsRule, bool]], logic: Logic) -> int:
    """The failed rules as a bit mask (bit ``rule`` set when the rule fails)."""
    mask = 0
    for rule, holds in checks:
        mask = mask + logic.ite(holds, 0, 1 << int(rule))
    return mask


def rules_from_mask(mask: int) -> tuple[SettingsRule, ...]:
    """The rules named by a bit mask from ``rule_mask``, in rule order."""
    return tuple(rule for rule in SettingsRule if mask & (1 << int(rule)))


def profile_slots(segments: Sequence[tuple[int, int]], pulse_mu: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Turn basal segments into the 48-slot table (BAS-1); edge function.

    ``segments`` are ``(start_minute, rate_mu_per_hour)`` pairs, the first at
    minute 0, starts strictly increasing on half hours, at most 48 segments.
    Returns ``(slots, problems)``; ``slots`` is empty when ``problems`` is not.
    Nothing is rounded: a rate that is not a whole number of pulses per hour is
    a problem.
    """
    problems: list[str] = []
    if not 1 <= len(segments) <= SLOTS_PER_DAY:
        problems.append("a profile has 1 to 48 segments")
        return (), tuple(problems)
    starts = [start for start, _ in segments]
    if starts[0] != 0:
        problems.append("the first segment starts at midnight (minute 0)")
    for start in starts:
        if type(start) is not int or start % SLOT_TICKS != 0 or not 0 <= start < SLOTS_PER_DAY * SLOT_TICKS:
            problems.append(f"segment start {start!r} is not a half hour of the day")
    if any(b <= a for a, b in itertools.pairwise(starts)):
        problems.append("segment starts must increase")
    rates: list[int] = []
    for _, rate_mu in segments:
        if type(rate_mu) is not int or rate_mu < 0 or pulse_mu <= 0 or rate_mu % pulse_mu != 0:
            problems.append(f"rate {rate_mu!r} mU/h is not a whole number of pulses per hour")
            rates.append(0)
        else:
            rates.append(rate_mu // pulse_mu)
    if problems:
        return (), tuple(problems)
    slots: list[int] = []
    for slot in range(SLOTS_PER_DAY):
        minute = slot * SLOT_TICKS
        index = max(i for i, start in enumerate(starts) if start <= minute)
        slots.append(rates[index])
    return tuple(slots), ()


def make_settings(
    c: PumpConfig,
    *,
    basal_segments_mu_per_hour: Sequence[tuple[int, int]] = ((0, 800), (180, 1100), (480, 900), (1320, 800)),
    max_basal_mu_per_hour: int = 3 * MU_PER_UNIT,
    max_bolus_mu: int = 10 * MU_PER_UNIT,
    max_hourly_mu: int = 15 * MU_PER_UNIT,
    max_daily_mu: int = 80 * MU_PER_UNIT,
    max_iob_mu: int = 20 * MU_PER_UNIT,
    dia_minutes: int = 300,
    reservoir_low_mu: int = 20 * MU_PER_UNIT,
    set_reminder_hours: int = 72,
    set_max_age_hours: int = 80,
    auto_off_hours: int = 12,
    lgs_threshold_mgdl: int = 70,
    lgs_enabled: bool = True,
    predictive_suspend_enabled: bool = True,
    remote_bolus_enabled: bool = False,
    controller_enabled: bool = False,
) -> TherapySettings:
    """Therapy settings from user units (mU, mU/h, minutes, hours); edge function.

    Raises ``ValueError`` listing every amount that is not a whole number of
    pulses: this is set-up code outside the kernel's step, and the values it
    produces are validated again by ``settings_problems`` and by the step.
    """
    p = c.pulse_mu
    slots, problems = profile_slots(basal_segments_mu_per_hour, p)
    amounts = {
        "max_basal_mu_per_hour": max_basal_mu_per_hour,
        "max_bolus_mu": max_bolus_mu,
        "max_hourly_mu": max_hourly_mu,
        "max_daily_mu": max_daily_mu,
        "max_iob_mu": max_iob_mu,
        "reservoir_low_mu": reservoir_low_mu,
    }
    bad = [name for name, value in amounts.items() if value % p != 0]
    if dia_minutes % 30 != 0:
        bad.append("dia_minutes (30-minute steps)")
    if problems or bad:
        raise ValueError("; ".join(list(problems) + [f"{name} is not a whole number of pulses" for name in bad]))
    return TherapySettings(
        basal_slots_pph=slots,
        max_basal_pph=max_basal_mu_per_hour // p,
        max_bolus_pulses=max_bolus_mu // p,
        max_hourly_pulses=max_hourly_mu // p,
        max_daily_pulses=max_daily_mu // p,
        max_iob_pulses=max_iob_mu // p,
        dia_index=(dia_minutes - 120) // 30,
        reservoir_low_pulses=reservoir_low_mu // p,
        set_reminder_ticks=set_reminder_hours * TICKS_PER_HOUR,
        set_max_age_ticks=set_max_age_hours * TICKS_PER_HOUR,
        auto_off_ticks=auto_off_hours * TICKS_PER_HOUR,
        lgs_threshold_mgdl=lgs_threshold_mgdl,
        lgs_enabled=lgs_enabled,
        predictive_suspend_enabled=predictive_suspend_enabled,
        remote_bolus_enabled=remote_bolus_enabled,
        controller_enabled=controller_enabled,
    )


def zero_settings(c: PumpConfig) -> TherapySettings:
    """Settings that deliver nothing: the state of a new pump before set-up.

    Every limit is zero, so no basal and no bolus is possible until a valid
    ``SettingsChange`` is accepted.  They pass ``settings_checks`` for every
    structurally valid configuration.
    """
    return TherapySettings(
        basal_slots_pph=(0,) * SLOTS_PER_DAY,
        max_basal_pph=0,
        max_bolus_pulses=0,
        max_hourly_pulses=0,
        max_daily_pulses=0,
        max_iob_pulses=0,
        dia_index=0,
        reservoir_low_pulses=c.reservoir_low_min_pulses,
        set_reminder_ticks=c.set_reminder_min_ticks,
        set_max_age_ticks=c.set_max_age_ceiling_ticks,
        auto_off_ticks=0,
        lgs_threshold_mgdl=c.lgs_threshold_min_mgdl,
        lgs_enabled=False,
        predictive_suspend_enabled=False,
        remote_bolus_enabled=False,
        controller_enabled=False,
    )
