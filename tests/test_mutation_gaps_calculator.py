"""Bolus-calculator behaviours that surviving mutants of the full mutation run showed untested (CALC-1..4, U-2).

Each test pins one behaviour a user or a requirement cares about at the exact
point a surviving mutant changed it: a refused entry explains no dose, glucose
exactly at the low target or at the calculation minimum, a limit with no room
left, a negative correction shown as negative, sensor readings at the ends of
the meter range and the sensor's own HIGH, request objects with missing or
odd fields, the shell's record of unconfirmed deliveries, and the calculator
settings rules and set-up errors at their limits.  Each docstring names the
mutants it kills (``property_tests.mutation_apply`` verifies it: KILLS);
``docs/mutation.md`` explains the run.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from kernel.calculator import (
    CalcRequest,
    CalcStatus,
    CalcWarning,
    CapReason,
    GlucoseSource,
    calculate,
    note_unconfirmed,
    recommend,
)
from kernel.calculator_settings import (
    MIN_CALC_GLUCOSE_LOW_MGDL,
    RATIO_MAX_DG_PER_U,
    RATIO_MIN_DG_PER_U,
    SENSITIVITY_MIN_MGDL,
    TARGET_MIN_MGDL,
    CalcRule,
    calculator_settings_checks,
    make_calculator_settings,
)
from kernel.config import make_config
from kernel.events import GlucoseStatus
from kernel.logic import PY
from kernel.state import evolve
from kernel.units import pulses_from_mu, ticks_from_minutes
from tests.helpers import C, delivering_pump
from tests.test_calculator import CS
from tests.test_calculator_gaps import BASE

# CS: 15 g/U, 50 mg/dL/U, target 100-120 mg/dL, minimum 70 mg/dL, one-pulse (0.05 U) increment.


def _mask(*bits: int) -> int:
    return sum(1 << bit for bit in bits)


# --- a refusal explains no dose (CALC-1, CALC-4) --------------------------------------------------


def test_refused_entries_explain_no_dose() -> None:
    """CALC-4: a refused request (carbs above the maximum, a manual glucose outside 20..600, invalid settings)
    shows no meal, correction or total figure and no glucose-based warning: nothing is computed from an
    entry or a setting that was refused.

    Kills kernel.calculator.x_calculate__mutmut_5, _6, _7, _8, _32 and x_settle__mutmut_5, _6."""
    pump = delivering_pump()
    refused = (
        (CS, CalcRequest(251, GlucoseSource.MANUAL, 80), CalcStatus.INVALID_CARBS),
        (CS, CalcRequest(60, GlucoseSource.MANUAL, 601), CalcStatus.INVALID_GLUCOSE_ENTRY),
        (evolve(CS, max_carbs_g=0), CalcRequest(0, GlucoseSource.MANUAL, 80), CalcStatus.INVALID_SETTINGS),
    )
    for settings, request, status in refused:
        rec = recommend(C, pump.state, settings, request)
        assert rec.status == status, request
        assert (rec.meal_mu, rec.correction_mu, rec.total_mu, rec.recommended_mu) == (0, 0, 0, 0), request
        assert rec.terms.calculated_pulses == 0 and CalcWarning.BELOW_TARGET not in rec.warnings, request


def test_invalid_glucose_entry_uses_no_glucose_even_if_flagged_known() -> None:
    """CALC-4 (``calculate`` takes its flags independently, as the proofs do): an invalid glucose entry is
    refused and contributes nothing, even when the inputs also say a glucose of 80 mg/dL is known: no
    correction, no meal part, no BELOW_TARGET warning.

    Kills kernel.calculator.x_calculate__mutmut_7, _8 and x_settle__mutmut_7, _8."""
    x = evolve(BASE, glucose_known=True, glucose_mgdl=80, manual_glucose_invalid=True)
    t = calculate(x, PY)
    assert t.status == CalcStatus.INVALID_GLUCOSE_ENTRY
    assert (t.meal_num, t.correction_num, t.total_num, t.recommended_pulses) == (0, 0, 0, 0)
    assert t.warnings == 0


def test_invalid_settings_with_unusable_values_never_raise() -> None:
    """CALC-1, CALC-4: invalid settings are refused whatever their values: a zero carb ratio, sensitivity and
    increment (which would divide by zero) give INVALID_SETTINGS and nothing recommended, never an error.

    Kills kernel.calculator.x_calculate__mutmut_5 and x_settle__mutmut_5."""
    unusable = {"ratio_dg_per_u": 0, "isf_mgdl": 0, "increment_pulses": 0}
    x = evolve(BASE, settings_valid=False, glucose_known=True, glucose_mgdl=80, **unusable)
    t = calculate(x, PY)
    assert (t.status, t.recommended_pulses, t.warnings) == (CalcStatus.INVALID_SETTINGS, 0, 0)


# --- glucose at the boundaries (CALC-2, CALC-4) ---------------------------------------------------


def test_glucose_exactly_at_the_low_target_is_in_range() -> None:
    """CALC-2: a glucose of exactly the low target (100 mg/dL) is in range: meal part only, no correction and
    no BELOW_TARGET warning.

    Kills kernel.calculator.x_settle__mutmut_41."""
    pump = delivering_pump()
    rec = recommend(C, pump.state, CS, CalcRequest(60, GlucoseSource.MANUAL, 100))
    assert rec.status == CalcStatus.RECOMMENDED
    assert (rec.correction_mu, rec.recommended_mu) == (0, 4000)
    assert rec.warnings == ()


def test_glucose_exactly_at_the_calculation_minimum_is_used() -> None:
    """CALC-4, CALC-2: a glucose of exactly the minimum for calculations (70 mg/dL) is used, not refused; the
    correction below the low target is negative and shown as negative: (70 - 100) / 50 = -0.6 U, so 60 g
    at 15 g/U (4 U) gives 3.4 U with the BELOW_TARGET warning.

    Kills kernel.calculator.x_recommend__mutmut_177 and xǁRecommendationǁ_mu__mutmut_6, _9."""
    pump = delivering_pump()
    rec = recommend(C, pump.state, CS, CalcRequest(60, GlucoseSource.MANUAL, 70))
    assert rec.status == CalcStatus.RECOMMENDED
    assert (rec.meal_mu, rec.correction_mu, rec.total_mu, rec.recommended_mu) == (4000, -600, 3400, 3400)
    assert rec.warnings == (CalcWarning.BELOW_TARGET,)


def test_displayed_amounts_are_whole_milliunits_toward_zero() -> None:
    """CALC-3 (the explanation): 10 g at 15 g/U is 0.666... U, shown as 666 mU (whole milliunits, toward
    zero); a below-target correction of -1/3 U is shown as -333 mU; the dose is 13 pulses (0.65 U).

    Kills kernel.calculator.xǁRecommendationǁ_mu__mutmut_2."""
    pump = delivering_pump()
    rec = recommend(C, pump.state, CS, CalcRequest(10, GlucoseSource.NONE))
    assert (rec.meal_mu, rec.total_mu, rec.recommended_mu) == (666, 666, 650)
    assert type(rec.meal_mu) is int and type(rec.total_mu) is int
    isf_60 = make_calculator_settings(C, sensitivity_mgdl=((0, 60),))
    rec = recommend(C, pump.state, isf_60, CalcRequest(60, GlucoseSource.MANUAL, 80))
    assert (rec.correction_mu, type(rec.correction_mu)) == (-333, int)


def test_floor_of_a_total_at_or_below_zero_drops_nothing() -> None:
    """CALC-3 (the explanation adds up): with no carbs and glucose in range (total 0) or below the low target
    (total negative) the dose is 0 and the part of a pulse the floor dropped is 0.

    Kills kernel.calculator.x_settle__mutmut_95."""
    for glucose in (110, 80):
        t = calculate(evolve(BASE, carbs_g=0, glucose_known=True, glucose_mgdl=glucose), PY)
        assert t.total_num <= 0
        assert (t.calculated_pulses, t.fraction_num, t.recommended_pulses) == (0, 0, 0)


# --- limits with no room left (CALC-1) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("hour_room_pulses", CapReason.HOURLY_LIMIT),
        ("day_room_pulses", CapReason.DAILY_LIMIT),
        ("max_bolus_pulses", CapReason.MAX_BOLUS),
    ],
)
def test_a_limit_with_no_room_left_allows_nothing(field: str, reason: CapReason) -> None:
    """CALC-1: when a limit has no room left (0 pulses) nothing is recommended, the cap is 0 and that limit is
    named with the CAPPED warning.

    Kills kernel.calculator.x_settle__mutmut_101 (hour), _107 (day), _119 (max bolus)."""
    t = calculate(evolve(BASE, **{field: 0}), PY)
    assert (t.calculated_pulses, t.cap_pulses, t.recommended_pulses) == (80, 0, 0)
    assert t.cap_mask == _mask(reason)
    assert t.warnings == _mask(CalcWarning.NO_GLUCOSE, CalcWarning.CAPPED)


# --- the sensor glucose (CALC-4, SEN-5) -----------------------------------------------------------


def test_sensor_high_is_not_a_usable_glucose() -> None:
    """CALC-4, SEN-5: the sensor's own HIGH (above its range) is not a valid reading: meal part only, no
    correction, the SENSOR_UNAVAILABLE warning.

    Kills kernel.calculator.x_recommend__mutmut_79."""
    pump = delivering_pump()
    pump.glucose(0, status=GlucoseStatus.HIGH)
    assert pump.state.glucose.edge == 1
    rec = recommend(C, pump.state, CS, CalcRequest(60))
    assert rec.status == CalcStatus.RECOMMENDED
    assert (rec.correction_mu, rec.recommended_mu) == (0, 4000)
    assert rec.warnings == (CalcWarning.SENSOR_UNAVAILABLE,)


def test_sensor_glucose_at_the_meter_range_ends() -> None:
    """CALC-4: with a sensor whose range is wider than the meter's (10..700 mg/dL), a reading of exactly 20
    mg/dL is a usable glucose, below the minimum, so nothing is recommended (never a meal-only dose); exactly
    600 mg/dL is used and corrected for; 601 is not usable (meal only, SENSOR_UNAVAILABLE).

    Kills kernel.calculator.x_recommend__mutmut_82 (20) and _83 (600)."""
    config = evolve(C, glucose_min_mgdl=10, glucose_max_mgdl=700)
    cs = make_calculator_settings(config)
    low = delivering_pump(config=config)
    low.glucose(20)
    rec = recommend(config, low.state, cs, CalcRequest(60))
    assert (rec.status, rec.recommended_pulses) == (CalcStatus.GLUCOSE_BELOW_MINIMUM, 0)
    high = delivering_pump(config=config)
    high.glucose(600)
    rec = recommend(config, high.state, cs, CalcRequest(0))
    assert rec.status == CalcStatus.RECOMMENDED and rec.warnings == ()
    assert rec.correction_mu == (600 - 120) * 1000 // 50
    beyond = delivering_pump(config=config)
    beyond.glucose(601)
    rec = recommend(config, beyond.state, cs, CalcRequest(60))
    assert (rec.correction_mu, rec.recommended_mu, rec.warnings) == (0, 4000, (CalcWarning.SENSOR_UNAVAILABLE,))


# --- odd requests (CALC-4: never raises on input) -------------------------------------------------


def test_request_objects_with_missing_or_odd_fields_are_refused() -> None:
    """CALC-4 (never raises on input): a request without ``carbs_g`` is INVALID_CARBS; one without
    ``glucose_source``, or with a source that is not an integer (even with a fresh sensor reading), is
    INVALID_GLUCOSE_ENTRY; a manual glucose that is not an integer is INVALID_GLUCOSE_ENTRY.

    Kills kernel.calculator.x_recommend__mutmut_35, _49, _52, _56."""
    pump = delivering_pump()
    pump.glucose(150)
    odd: list[tuple[Any, CalcStatus]] = [
        (SimpleNamespace(glucose_source=GlucoseSource.NONE), CalcStatus.INVALID_CARBS),
        (SimpleNamespace(carbs_g=60), CalcStatus.INVALID_GLUCOSE_ENTRY),
        (SimpleNamespace(carbs_g=60, glucose_source="sensor"), CalcStatus.INVALID_GLUCOSE_ENTRY),
        (SimpleNamespace(carbs_g=60, glucose_source=1.0), CalcStatus.INVALID_GLUCOSE_ENTRY),
        (
            SimpleNamespace(carbs_g=60, glucose_source=GlucoseSource.MANUAL, manual_glucose_mgdl="120"),
            CalcStatus.INVALID_GLUCOSE_ENTRY,
        ),
    ]
    for request, status in odd:
        rec = recommend(C, pump.state, CS, request)
        assert (rec.status, rec.recommended_pulses) == (status, 0), request


def test_no_glucose_value_is_shown_when_none_is_used() -> None:
    """CALC-4 (the explanation): with no glucose source, a manual value typed but not chosen is not used:
    the explanation shows no glucose (0, not known) and the NO_GLUCOSE warning; a stale sensor likewise.

    Kills kernel.calculator.x_recommend__mutmut_102, _103."""
    pump = delivering_pump()
    rec = recommend(C, pump.state, CS, CalcRequest(60, GlucoseSource.NONE, 150))
    assert (rec.inputs.glucose_known, rec.inputs.glucose_mgdl) == (False, 0)
    assert rec.warnings == (CalcWarning.NO_GLUCOSE,)
    rec = recommend(C, pump.state, CS, CalcRequest(60, GlucoseSource.SENSOR))
    assert (rec.inputs.glucose_known, rec.inputs.glucose_mgdl) == (False, 0)


# --- the shell's record of unconfirmed deliveries (CALC-4) ----------------------------------------


def test_confirmed_bolus_is_not_an_unconfirmed_delivery() -> None:
    """CALC-4 (Omnipod 5): a bolus started and completed with every pulse confirmed (BOLUS_STARTED, then
    BOLUS_ENDED with cause COMPLETED) is not an unconfirmed delivery: the shell's record stays empty and the
    calculator stays enabled.

    Kills kernel.calculator.x_note_unconfirmed__mutmut_6, _8."""
    pump = delivering_pump()
    last: int | None = None
    last = note_unconfirmed(last, pump.bolus(4))
    for result in pump.ticks(5):
        last = note_unconfirmed(last, result)
    assert pump.state.bolus.remaining_pulses == 0
    assert last is None
    assert recommend(C, pump.state, CS, CalcRequest(30, GlucoseSource.NONE), last).status == CalcStatus.RECOMMENDED


# --- calculator settings (CALC-1, CFG-1) ----------------------------------------------------------


def test_settings_lower_range_ends_are_valid() -> None:
    """CALC-1: carb ratio 1.0 and 150.0 g/U, sensitivity 1 mg/dL/U, target low = high = 80 mg/dL and a
    calculation minimum of 50 mg/dL are all within range.

    Kills kernel.calculator_settings.x_slot_checks__mutmut_6, _7, _12, _22, _24 and x_scalar_checks__mutmut_6."""
    for ratio in (RATIO_MIN_DG_PER_U, RATIO_MAX_DG_PER_U):
        cs = make_calculator_settings(
            C,
            carb_ratio_dg_per_u=((0, ratio),),
            sensitivity_mgdl=((0, SENSITIVITY_MIN_MGDL),),
            target_low_mgdl=((0, TARGET_MIN_MGDL),),
            target_high_mgdl=((0, TARGET_MIN_MGDL),),
            min_calc_glucose_mgdl=MIN_CALC_GLUCOSE_LOW_MGDL,
        )
        assert calculator_settings_checks(C, cs) == ()


@pytest.mark.parametrize(
    ("low", "high", "broken"),
    [
        (70, 120, (CalcRule.TARGET_OUTSIDE_RANGE,)),
        (100, 210, (CalcRule.TARGET_OUTSIDE_RANGE,)),
        (210, 200, (CalcRule.TARGET_OUTSIDE_RANGE, CalcRule.TARGET_LOW_ABOVE_HIGH)),
        (100, 70, (CalcRule.TARGET_OUTSIDE_RANGE, CalcRule.TARGET_LOW_ABOVE_HIGH)),
    ],
)
def test_each_target_end_outside_its_range_is_named(low: int, high: int, broken: tuple[CalcRule, ...]) -> None:
    """CALC-1 (CFG-1 discipline: every broken rule listed): a low target below 80 or above 200, a high target
    below 80 or above 200 each break TARGET_OUTSIDE_RANGE, also when the targets are inverted.

    Kills kernel.calculator_settings.x_slot_checks__mutmut_18 (70/120), _21 (100/210), _19 (210/200),
    _20 (100/70)."""
    cs = make_calculator_settings(C, target_low_mgdl=((0, low),), target_high_mgdl=((0, high),))
    assert calculator_settings_checks(C, cs) == broken


@pytest.mark.parametrize(
    ("pulse_mu", "largest_mu"),
    [(10, 100), (25, 100), (50, 100), (100, 100)],
)
def test_the_increment_is_at_most_a_tenth_of_a_unit(pulse_mu: int, largest_mu: int) -> None:
    """CALC-3 (increment 1 pulse to 0.1 U): for every allowed pulse size an increment of 0.1 U is valid and
    one pulse more is refused (INCREMENT_OUTSIDE_RANGE).

    Kills kernel.calculator_settings.x_max_increment_pulses__mutmut_1, _8 (0.01 U pulses: 0.1 U refused),
    _9 (0.01 U pulses: 0.11 U accepted), _28 (0.1 U pulses: 0.2 U accepted)."""
    config = make_config(pulse_mu)
    valid = make_calculator_settings(config, increment_mu=largest_mu)
    assert calculator_settings_checks(config, valid) == ()
    too_big = make_calculator_settings(config, increment_mu=largest_mu + pulse_mu)
    assert calculator_settings_checks(config, too_big) == (CalcRule.INCREMENT_OUTSIDE_RANGE,)


def test_a_late_evening_ratio_change_starts_on_its_half_hour() -> None:
    """CALC-2: a carb ratio that changes at 22:00 applies from 22:00: at 21:59 the day's 15 g/U is still in
    force (60 g = 4 U), at 22:00 the 10 g/U (6 U).

    Kills kernel.calculator_settings.x__slots__mutmut_5."""
    cs = make_calculator_settings(C, carb_ratio_dg_per_u=((0, 150), (1320, 100)))
    pump = delivering_pump()
    before = recommend(C, evolve(pump.state, time_of_day_ticks=1319), cs, CalcRequest(60, GlucoseSource.NONE))
    at = recommend(C, evolve(pump.state, time_of_day_ticks=1320), cs, CalcRequest(60, GlucoseSource.NONE))
    assert (before.slot, before.recommended_mu) == (43, 4000)
    assert (at.slot, at.recommended_mu) == (44, 6000)


@pytest.mark.parametrize("name", ["sensitivity_mgdl", "target_low_mgdl", "target_high_mgdl"])
def test_each_malformed_schedule_is_named(name: str) -> None:
    """CALC-1 (edge function): a schedule that does not start at minute 0 is a ``ValueError`` naming that
    schedule, for every schedule.

    Kills kernel.calculator_settings.x_make_calculator_settings__mutmut_5, _6 (sensitivity), _7, _8 (target
    low), _9, _10 (target high)."""
    schedule: dict[str, Any] = {name: ((30, 100),)}
    with pytest.raises(ValueError, match=rf"^{name}: "):
        make_calculator_settings(C, **schedule)


def test_an_increment_that_is_not_whole_pulses_is_refused_with_its_reason() -> None:
    """CALC-3, U-2 (edge function): an increment of 0.06 U on 0.05 U pulses is a ``ValueError`` that says the
    increment is not a whole number of pulses.

    Kills kernel.calculator_settings.x_make_calculator_settings__mutmut_39, _40, _41."""
    with pytest.raises(ValueError, match=r"^increment_mu is not a whole number of pulses$"):
        make_calculator_settings(C, increment_mu=60)


# --- units (U-2, CLK-1) ---------------------------------------------------------------------------


def test_unit_conversions_give_whole_integers() -> None:
    """U-2, CLK-1: the edge conversions give plain integers (the kernel counts whole pulses and ticks), for
    any positive pulse size, 1 mU included.

    Kills kernel.units.x_pulses_from_mu__mutmut_8 (1 mU pulse), _15 (a float), x_ticks_from_minutes__mutmut_1."""
    assert (pulses_from_mu(7, 1), pulses_from_mu(4000, 50)) == (7, 80)
    assert type(pulses_from_mu(4000, 50)) is int
    assert (ticks_from_minutes(90), type(ticks_from_minutes(90))) == (90, int)


# --- a refusal's explanation shows fixed placeholders, never a refused value (CALC-1, CALC-4) ---------------


def test_a_refusal_explains_itself_with_fixed_placeholders() -> None:
    """CALC-1, CALC-4: a refused recommendation is data a user interface shows and a log keeps, so what it
    shows in place of refused settings or entries is fixed, not whatever the refused values were: invalid
    settings show a carb ratio of 10 dg/U, a sensitivity of 1 mg/dL/U, targets of 100-100 mg/dL, a calculation
    minimum of 70 mg/dL, a one-pulse increment and the IOB rule 0; a missing carbs entry shows -1 g; and the
    arithmetic of any refused request runs on a carb ratio of 10 and a sensitivity of 1 (denominator 10).

    Kills kernel.calculator.x_recommend__mutmut_18, _19, _20, _21, _22, _24, _25, _39 and
    x_calculate__mutmut_16, _24."""
    pump = delivering_pump()
    invalid = evolve(CS, max_carbs_g=0)
    at_minimum = recommend(C, pump.state, invalid, CalcRequest(0, GlucoseSource.MANUAL, 70))
    x = at_minimum.inputs
    assert at_minimum.status == CalcStatus.INVALID_SETTINGS
    shown = (x.ratio_dg_per_u, x.isf_mgdl, x.target_low_mgdl, x.target_high_mgdl, x.increment_pulses, x.iob_rule)
    assert shown == (10, 1, 100, 100, 1, 0)
    assert x.glucose_known and x.glucose_mgdl == 70 and not x.glucose_below_minimum
    below = recommend(C, pump.state, invalid, CalcRequest(0, GlucoseSource.MANUAL, 69)).inputs
    assert below.glucose_below_minimum
    assert at_minimum.terms.denominator == 10
    missing: Any = SimpleNamespace(glucose_source=GlucoseSource.MANUAL, manual_glucose_mgdl=80)
    no_carbs = recommend(C, pump.state, CS, missing)
    assert (no_carbs.status, no_carbs.inputs.carbs_g) == (CalcStatus.INVALID_CARBS, -1)
    assert no_carbs.terms.denominator == 10
    too_many = recommend(C, pump.state, CS, CalcRequest(251, GlucoseSource.MANUAL, 80))
    assert (too_many.status, too_many.inputs.carbs_g, too_many.terms.denominator) == (CalcStatus.INVALID_CARBS, 251, 10)
