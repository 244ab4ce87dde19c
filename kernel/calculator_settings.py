"""Bolus-calculator settings: time-of-day ratios, sensitivities, targets and limits.

Theory of operation
-------------------
``CalculatorSettings`` holds what a clinician sets for the bolus calculator
(``kernel.calculator``), on the same 48 half-hour slots as the basal profile
(``kernel.settings``; slot = local time of day // 30 minutes):

* carbohydrate ratio in *tenths of a gram per unit* (``_dg_per_u``: 150 is
  15.0 g/U), 1.0..150.0 g/U (Omnipod 5 IC ratio 1-150 g/U; Loop 2-150);
* sensitivity (correction factor) in mg/dL per unit, 1..400 (Omnipod 5);
* a target range low..high in mg/dL, 80..200 (AndroidAPS profile targets);
  a single target is low == high (Omnipod's "Target BG");
* the minimum glucose for calculations, 50..70 mg/dL (Omnipod 5);
* the most carbohydrate one entry may carry, 1..250 g (Loop's carb entry
  ceiling);
* the calculator's rounding increment in pulses: at least one pulse and at
  most 0.1 U (Omnipod 0.05 U; Tandem 0.01 U);
* the IOB rule (``IobRule``): how insulin on board reduces the dose.

The settings are validated as a whole by ``calculator_settings_checks``,
which lists every failed rule (the CFG-1 discipline); the calculator refuses
to recommend with invalid settings.  The per-slot rules are also written in
the kernel's ``logic`` (``slot_checks``) because the proofs assume exactly
them about one symbolic slot.

Units: ``_dg_per_u`` tenths of a gram per unit, ``_mgdl``, ``_g`` grams,
``_pulses``.  Requirements served: CALC-1..4, CFG-1.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

from kernel.config import PumpConfig
from kernel.logic import PY, Logic
from kernel.units import SLOTS_PER_DAY

RATIO_MIN_DG_PER_U = 10
RATIO_MAX_DG_PER_U = 1500
SENSITIVITY_MIN_MGDL = 1
SENSITIVITY_MAX_MGDL = 400
TARGET_MIN_MGDL = 80
TARGET_MAX_MGDL = 200
MIN_CALC_GLUCOSE_LOW_MGDL = 50
MIN_CALC_GLUCOSE_HIGH_MGDL = 70
MAX_CARBS_CEILING_G = 250
INCREMENT_MAX_MU = 100
MANUAL_GLUCOSE_MIN_MGDL = 20
MANUAL_GLUCOSE_MAX_MGDL = 600
"""A manual (meter) glucose entry must lie in 20..600 mg/dL (Omnipod 5 BG meter range)."""


class IobRule(enum.IntEnum):
    """How insulin on board reduces a recommendation (only when glucose is known).

    * ``CORRECTION_ONLY``: Medtronic Bolus Wizard.  Above the high target,
      IOB is subtracted from the correction, and the correction never goes
      below zero, so IOB never reduces the meal part; in range or below the
      low target IOB is not used.
    * ``CORRECTION_THEN_MEAL``: IOB is subtracted from the whole
      meal-plus-correction sum (Ypsomed mylife "method 1": "subtracts the
      insulin on board from the correction bolus and the meal bolus"),
      never below zero.
    """

    CORRECTION_ONLY = 0
    CORRECTION_THEN_MEAL = 1


@dataclass(frozen=True)
class CalculatorSettings:
    """The bolus-calculator settings (see the module docstring for units and ranges)."""

    carb_ratio_slots_dg_per_u: tuple[int, ...]
    sensitivity_slots_mgdl: tuple[int, ...]
    target_low_slots_mgdl: tuple[int, ...]
    target_high_slots_mgdl: tuple[int, ...]
    min_calc_glucose_mgdl: int
    max_carbs_g: int
    increment_pulses: int
    iob_rule: int


class CalcRule(enum.IntEnum):
    """One named rule of calculator-settings validity; a refusal lists every failed rule."""

    FIELD_ILL_TYPED = 0
    CARB_RATIO_OUTSIDE_RANGE = 1
    SENSITIVITY_OUTSIDE_RANGE = 2
    TARGET_OUTSIDE_RANGE = 3
    TARGET_LOW_ABOVE_HIGH = 4
    MIN_CALC_GLUCOSE_OUTSIDE_RANGE = 5
    MAX_CARBS_OUTSIDE_RANGE = 6
    INCREMENT_OUTSIDE_RANGE = 7
    IOB_RULE_UNKNOWN = 8


SLOT_FIELDS = (
    "carb_ratio_slots_dg_per_u",
    "sensitivity_slots_mgdl",
    "target_low_slots_mgdl",
    "target_high_slots_mgdl",
)


def slot_checks(ratio: int, isf: int, low: int, high: int, logic: Logic) -> tuple[tuple[CalcRule, bool], ...]:
    """The rules for one slot's values, in the kernel's logic (CALC-1..3 assume them)."""
    R = CalcRule
    return (
        (R.CARB_RATIO_OUTSIDE_RANGE, logic.both(ratio >= RATIO_MIN_DG_PER_U, ratio <= RATIO_MAX_DG_PER_U)),
        (R.SENSITIVITY_OUTSIDE_RANGE, logic.both(isf >= SENSITIVITY_MIN_MGDL, isf <= SENSITIVITY_MAX_MGDL)),
        (
            R.TARGET_OUTSIDE_RANGE,
            logic.all(low >= TARGET_MIN_MGDL, low <= TARGET_MAX_MGDL, high >= TARGET_MIN_MGDL, high <= TARGET_MAX_MGDL),
        ),
        (R.TARGET_LOW_ABOVE_HIGH, low <= high),
    )


def max_increment_pulses(pulse_mu: int, logic: Logic) -> int:
    """The largest increment in pulses that is at most 0.1 U, for each allowed pulse size."""
    return logic.ite(pulse_mu == 10, 10, logic.ite(pulse_mu == 25, 4, logic.ite(pulse_mu == 50, 2, 1)))


def scalar_checks(
    pulse_mu: int, min_calc: int, max_carbs: int, increment: int, rule: int, logic: Logic
) -> tuple[tuple[CalcRule, bool], ...]:
    """The rules for the settings that do not vary by time of day."""
    R = CalcRule
    return (
        (
            R.MIN_CALC_GLUCOSE_OUTSIDE_RANGE,
            logic.both(min_calc >= MIN_CALC_GLUCOSE_LOW_MGDL, min_calc <= MIN_CALC_GLUCOSE_HIGH_MGDL),
        ),
        (R.MAX_CARBS_OUTSIDE_RANGE, logic.both(max_carbs >= 1, max_carbs <= MAX_CARBS_CEILING_G)),
        (
            R.INCREMENT_OUTSIDE_RANGE,
            logic.both(increment >= 1, increment <= max_increment_pulses(pulse_mu, logic)),
        ),
        (R.IOB_RULE_UNKNOWN, logic.any(*(rule == member for member in IobRule))),
    )


def _well_typed(cs: object) -> bool:
    if type(cs) is not CalculatorSettings:
        return False
    for field in dataclasses.fields(CalculatorSettings):
        value = getattr(cs, field.name)
        if field.name in SLOT_FIELDS:
            if type(value) is not tuple or len(value) != SLOTS_PER_DAY or any(type(v) is not int for v in value):
                return False
        elif type(value) is not int:
            return False
    return True


def calculator_settings_checks(c: PumpConfig, cs: object) -> tuple[CalcRule, ...]:
    """Every rule ``cs`` breaks under ``c``, in rule order; empty when valid.  Never raises."""
    if not _well_typed(cs):
        return (CalcRule.FIELD_ILL_TYPED,)
    assert isinstance(cs, CalculatorSettings)
    checks = scalar_checks(c.pulse_mu, cs.min_calc_glucose_mgdl, cs.max_carbs_g, cs.increment_pulses, cs.iob_rule, PY)
    failed = {rule for rule, holds in checks if not holds}
    for slot in range(SLOTS_PER_DAY):
        values = (
            cs.carb_ratio_slots_dg_per_u[slot],
            cs.sensitivity_slots_mgdl[slot],
            cs.target_low_slots_mgdl[slot],
            cs.target_high_slots_mgdl[slot],
        )
        failed |= {rule for rule, holds in slot_checks(*values, PY) if not holds}
    return tuple(sorted(failed))


def _slots(segments: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    """48 slot values from ``(start_minute, value)`` segments (first at minute 0)."""
    result = []
    for slot in range(SLOTS_PER_DAY):
        minute = slot * 30
        result.append([value for start, value in segments if start <= minute][-1])
    return tuple(result)


def make_calculator_settings(
    c: PumpConfig,
    *,
    carb_ratio_dg_per_u: tuple[tuple[int, int], ...] = ((0, 150),),
    sensitivity_mgdl: tuple[tuple[int, int], ...] = ((0, 50),),
    target_low_mgdl: tuple[tuple[int, int], ...] = ((0, 100),),
    target_high_mgdl: tuple[tuple[int, int], ...] = ((0, 120),),
    min_calc_glucose_mgdl: int = 70,
    max_carbs_g: int = 250,
    increment_mu: int | None = None,
    iob_rule: IobRule = IobRule.CORRECTION_ONLY,
) -> CalculatorSettings:
    """Calculator settings from ``(start_minute, value)`` schedules; edge function.

    Schedules start at minute 0 on half hours.  Raises ``ValueError`` when a
    schedule is malformed or the increment is not a whole number of pulses;
    the result is validated again by ``calculator_settings_checks``.
    """
    for name, segments in (
        ("carb_ratio_dg_per_u", carb_ratio_dg_per_u),
        ("sensitivity_mgdl", sensitivity_mgdl),
        ("target_low_mgdl", target_low_mgdl),
        ("target_high_mgdl", target_high_mgdl),
    ):
        starts = [start for start, _ in segments]
        if (
            not segments
            or starts[0] != 0
            or any(s % 30 or not 0 <= s < 1440 for s in starts)
            or starts != sorted(set(starts))
        ):
            raise ValueError(f"{name}: segments start at minute 0, on half hours, increasing")
    increment = c.pulse_mu if increment_mu is None else increment_mu
    if increment % c.pulse_mu != 0:
        raise ValueError("increment_mu is not a whole number of pulses")
    return CalculatorSettings(
        carb_ratio_slots_dg_per_u=_slots(carb_ratio_dg_per_u),
        sensitivity_slots_mgdl=_slots(sensitivity_mgdl),
        target_low_slots_mgdl=_slots(target_low_mgdl),
        target_high_slots_mgdl=_slots(target_high_mgdl),
        min_calc_glucose_mgdl=min_calc_glucose_mgdl,
        max_carbs_g=max_carbs_g,
        increment_pulses=increment // c.pulse_mu,
        iob_rule=int(iob_rule),
    )
