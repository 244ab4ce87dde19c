"""Bolus-calculator boundaries that surviving mutants showed untested (CALC-1, CALC-3, CALC-4).

Each test pins one behaviour at an exact boundary: a cap of zero, the daily
room as the binding cap, the warning mask as a non-negative bit set, IOB
never "applied" to a dose that is already zero, the manual glucose range
ends, a request object without every field, the IOB rule carried into the
arithmetic, and the calculator-settings rules and set-up errors at their
limits.  ``docs/mutation.md`` explains the mutation run that found them;
``property_tests/survivors.toml`` names the mutant each test kills.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from kernel.calculator import (
    CalcInputs,
    CalcRequest,
    CalcStatus,
    CalcWarning,
    CapReason,
    GlucoseSource,
    calculate,
    recommend,
)
from kernel.calculator_settings import (
    MANUAL_GLUCOSE_MAX_MGDL,
    MANUAL_GLUCOSE_MIN_MGDL,
    MAX_CARBS_CEILING_G,
    SENSITIVITY_MAX_MGDL,
    TARGET_MAX_MGDL,
    CalcRule,
    IobRule,
    calculator_settings_checks,
    make_calculator_settings,
)
from kernel.logic import PY
from kernel.state import evolve
from tests.helpers import C, delivering_pump, flat_settings
from tests.test_calculator import CS

BASE = CalcInputs(
    pulse_mu=50,
    carbs_g=60,
    glucose_known=False,
    glucose_mgdl=0,
    ratio_dg_per_u=150,
    isf_mgdl=50,
    target_low_mgdl=100,
    target_high_mgdl=120,
    iob_pulses=0,
    iob_rule=IobRule.CORRECTION_ONLY,
    increment_pulses=1,
    max_bolus_pulses=1000,
    hour_room_pulses=1000,
    day_room_pulses=1000,
    reservoir_pulses=1000,
    settings_valid=True,
    carbs_valid=True,
    manual_glucose_invalid=False,
    sensor_unavailable=False,
    glucose_below_minimum=False,
    unconfirmed_delivery=False,
)
"""60 g at 15 g/U with 0.05 U pulses: 4 U = 80 pulses, no glucose, every limit far away."""


def _mask(*bits: int) -> int:
    return sum(1 << bit for bit in bits)


# --- caps (CALC-1) --------------------------------------------------------------------------------


def test_empty_reservoir_caps_to_zero() -> None:
    """CALC-1: an empty reservoir (0 pulses) is a cap of 0: nothing recommended, the reservoir named."""
    t = calculate(evolve(BASE, reservoir_pulses=0), PY)
    assert (t.calculated_pulses, t.cap_pulses, t.recommended_pulses) == (80, 0, 0)
    assert t.cap_mask == _mask(CapReason.RESERVOIR)
    assert t.warnings == _mask(CalcWarning.NO_GLUCOSE, CalcWarning.CAPPED)


def test_daily_room_is_named_when_it_binds() -> None:
    """CALC-1: the daily room alone bounds the dose: the cut is named DAILY_LIMIT, never silent."""
    t = calculate(evolve(BASE, day_room_pulses=30), PY)
    assert (t.cap_pulses, t.recommended_pulses) == (30, 30)
    assert t.cap_mask == _mask(CapReason.DAILY_LIMIT)
    assert t.warnings >> CalcWarning.CAPPED & 1


def test_warning_mask_is_a_plain_bit_set() -> None:
    """CALC-1, CALC-4: ``warnings`` is a non-negative sum of distinct bits (a user interface may read the
    integer): capped without glucose is exactly NO_GLUCOSE | CAPPED, and capped with IOB subtracted is
    exactly IOB_SUBTRACTED | CAPPED."""
    t = calculate(evolve(BASE, max_bolus_pulses=40), PY)
    assert t.warnings == _mask(CalcWarning.NO_GLUCOSE, CalcWarning.CAPPED)
    above = evolve(BASE, glucose_known=True, glucose_mgdl=220, iob_pulses=5, max_bolus_pulses=40)
    t = calculate(above, PY)
    assert t.iob_applied_num > 0 and t.cap_mask == _mask(CapReason.MAX_BOLUS)
    assert t.warnings == _mask(CalcWarning.IOB_SUBTRACTED, CalcWarning.CAPPED)


# --- IOB against a zero dose (CALC-3) -------------------------------------------------------------


def test_iob_is_not_applied_to_a_zero_dose() -> None:
    """CALC-3 (IOB rule CORRECTION_THEN_MEAL): no carbs and glucose in range give a total of exactly 0;
    insulin on board then reduces nothing: no IOB applied, total 0, no IOB_SUBTRACTED warning."""
    x = evolve(
        BASE,
        carbs_g=0,
        glucose_known=True,
        glucose_mgdl=110,
        iob_pulses=10,
        iob_rule=IobRule.CORRECTION_THEN_MEAL,
    )
    t = calculate(x, PY)
    assert t.meal_num == 0 and t.correction_num == 0 and t.iob_num > 0
    assert (t.iob_applied_num, t.total_num, t.recommended_pulses) == (0, 0, 0)
    assert t.warnings == 0


# --- odd and boundary entries (CALC-4) ------------------------------------------------------------


def test_manual_glucose_range_ends_are_accepted() -> None:
    """CALC-4: a manual glucose of exactly 20 mg/dL is a valid entry (then below the calculation minimum,
    so no recommendation), and exactly 600 mg/dL is valid and corrected for."""
    pump = delivering_pump()
    low = recommend(C, pump.state, CS, CalcRequest(10, GlucoseSource.MANUAL, MANUAL_GLUCOSE_MIN_MGDL))
    assert low.status == CalcStatus.GLUCOSE_BELOW_MINIMUM
    assert low.inputs.glucose_known and not low.inputs.manual_glucose_invalid
    high = recommend(C, pump.state, CS, CalcRequest(0, GlucoseSource.MANUAL, MANUAL_GLUCOSE_MAX_MGDL))
    assert high.status == CalcStatus.RECOMMENDED
    assert high.correction_mu == (MANUAL_GLUCOSE_MAX_MGDL - 120) * 1000 // 50


def test_request_without_manual_glucose_field_never_raises() -> None:
    """CALC-4 (never raises on input): a request object that lacks ``manual_glucose_mgdl`` is read as having
    no manual entry; with no glucose source it gives the meal part and the NO_GLUCOSE warning."""
    pump = delivering_pump()
    odd: Any = SimpleNamespace(carbs_g=60, glucose_source=GlucoseSource.NONE)
    rec = recommend(C, pump.state, CS, odd)
    assert rec.status == CalcStatus.RECOMMENDED
    assert rec.recommended_mu == 4000
    assert rec.warnings == (CalcWarning.NO_GLUCOSE,)


def test_invalid_settings_judge_no_carbs_valid() -> None:
    """CALC-1, CALC-4: with invalid settings there is no maximum to judge carbs by: the explanation marks
    any positive carbohydrate entry as not valid (only 0 g is), and nothing is recommended."""
    pump = delivering_pump()
    bad = evolve(CS, max_carbs_g=0)
    rec = recommend(C, pump.state, bad, CalcRequest(1, GlucoseSource.NONE))
    assert rec.status == CalcStatus.INVALID_SETTINGS and rec.recommended_pulses == 0
    assert not rec.inputs.settings_valid and not rec.inputs.carbs_valid
    assert recommend(C, pump.state, bad, CalcRequest(0, GlucoseSource.NONE)).inputs.carbs_valid


def test_default_iob_rule_reaches_the_arithmetic() -> None:
    """CALC-2 (IOB rule CORRECTION_ONLY, the default): the settings' rule is passed to the arithmetic, so
    with insulin on board and a manual glucose in range the meal part is recommended whole."""
    pump = delivering_pump(flat_settings(0))
    pump.bolus(20)
    pump.ticks(30)
    rec = recommend(C, pump.state, CS, CalcRequest(60, GlucoseSource.MANUAL, 110))
    assert rec.inputs.iob_pulses > 0
    assert rec.inputs.iob_rule == IobRule.CORRECTION_ONLY
    assert (rec.recommended_mu, rec.iob_applied_mu) == (4000, 0)
    assert CalcWarning.IOB_SUBTRACTED not in rec.warnings


# --- settings rules at their limits (CALC-1) ------------------------------------------------------


def test_settings_range_ends_are_valid() -> None:
    """CALC-1: sensitivity 400 mg/dL/U, target low = high = 200 mg/dL and max carbs 1 g are in range."""
    cs = make_calculator_settings(
        C,
        sensitivity_mgdl=((0, SENSITIVITY_MAX_MGDL),),
        target_low_mgdl=((0, TARGET_MAX_MGDL),),
        target_high_mgdl=((0, TARGET_MAX_MGDL),),
        max_carbs_g=1,
    )
    assert calculator_settings_checks(C, cs) == ()
    assert calculator_settings_checks(C, evolve(cs, max_carbs_g=MAX_CARBS_CEILING_G)) == ()
    assert calculator_settings_checks(C, evolve(cs, max_carbs_g=0)) == (CalcRule.MAX_CARBS_OUTSIDE_RANGE,)


@pytest.mark.parametrize(
    "segments",
    [
        ((30, 150),),  # on a half hour, but not starting at minute 0
        ((0, 150), (45, 100)),  # starts at 0, a later segment off the half hour
        ((0, 150), (1440, 100)),  # starts at 0, a later segment past the day
    ],
)
def test_malformed_schedule_is_refused_by_name(segments: tuple[tuple[int, int], ...]) -> None:
    """CALC-1 (edge function): a schedule must start at minute 0 and every segment on a half hour within
    the day; each way of breaking it is a ``ValueError`` naming the schedule."""
    with pytest.raises(ValueError, match=r"^carb_ratio_dg_per_u: "):
        make_calculator_settings(C, carb_ratio_dg_per_u=segments)
