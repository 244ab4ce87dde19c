"""The bolus calculator: settings validation, the recommendation path, and its properties (CALC-1..4).

Property tests (Hypothesis) run the shipped ``calculate`` on every kind of
valid input and check it against an independent exact reference written with
``fractions.Fraction`` from the documented rule, and check the CALC
properties that ``proofs.families.calculator`` proves (CALC-1..4): never negative, never above a
limit (CALC-1), monotone (CALC-2), rounded down by less than one increment
(CALC-3), disabled and warned as CALC-4 says.  A sample of inputs is also run
through the Z3 interpretation of the same code, which must agree with Python.
The end-to-end tests drive a real pump (``tests.helpers``) and take the
recommended dose through an ordinary ``BolusRequest``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel import events as ev
from kernel.calculator import (
    CalcInputs,
    CalcRequest,
    CalcStatus,
    CalcTerms,
    CalcWarning,
    CapReason,
    GlucoseSource,
    calculate,
    note_unconfirmed,
    recommend,
)
from kernel.calculator_settings import (
    CalcRule,
    CalculatorSettings,
    IobRule,
    calculator_settings_checks,
    make_calculator_settings,
)
from kernel.config import make_config
from kernel.events import GlucoseStatus
from kernel.logic import PY
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.state import evolve
from kernel.units import ALLOWED_PULSE_MU
from specs.z3_logic import Z3, expand_products
from tests.helpers import C, delivering_pump, flat_settings, quiet_settings

CS = make_calculator_settings(C)
"""15 g/U, 50 mg/dL/U, target 100-120 mg/dL, minimum 70 mg/dL, 0.05 U increment (one pulse)."""


# --- settings -------------------------------------------------------------------------------------


def test_default_calculator_settings_are_valid() -> None:
    """CALC-1: the defaults pass every rule, for every allowed pulse size."""
    for pulse in ALLOWED_PULSE_MU:
        config = make_config(pulse)
        assert calculator_settings_checks(config, make_calculator_settings(config)) == ()


def test_invalid_calculator_settings_list_every_reason() -> None:
    """CALC-1 (CFG-1 discipline): every broken rule is listed, nothing is clamped."""
    bad = evolve(
        CS,
        carb_ratio_slots_dg_per_u=(5, *CS.carb_ratio_slots_dg_per_u[1:]),
        sensitivity_slots_mgdl=(*CS.sensitivity_slots_mgdl[:47], 401),
        target_low_slots_mgdl=(150,) * 48,
        min_calc_glucose_mgdl=40,
        max_carbs_g=300,
        increment_pulses=3,
        iob_rule=7,
    )
    assert calculator_settings_checks(C, bad) == (
        CalcRule.CARB_RATIO_OUTSIDE_RANGE,
        CalcRule.SENSITIVITY_OUTSIDE_RANGE,
        CalcRule.TARGET_LOW_ABOVE_HIGH,
        CalcRule.MIN_CALC_GLUCOSE_OUTSIDE_RANGE,
        CalcRule.MAX_CARBS_OUTSIDE_RANGE,
        CalcRule.INCREMENT_OUTSIDE_RANGE,
        CalcRule.IOB_RULE_UNKNOWN,
    )
    assert calculator_settings_checks(C, "settings") == (CalcRule.FIELD_ILL_TYPED,)
    assert calculator_settings_checks(C, evolve(CS, max_carbs_g=True)) == (CalcRule.FIELD_ILL_TYPED,)
    assert calculator_settings_checks(C, evolve(CS, target_high_slots_mgdl=(120,) * 47)) == (CalcRule.FIELD_ILL_TYPED,)


def test_invalid_settings_give_no_recommendation() -> None:
    """CALC-1: with invalid settings the calculator refuses; it never guesses."""
    pump = delivering_pump()
    rec = recommend(C, pump.state, evolve(CS, max_carbs_g=0), CalcRequest(30, GlucoseSource.NONE))
    assert rec.status == CalcStatus.INVALID_SETTINGS
    assert rec.recommended_pulses == 0
    assert rec.settings_problems == (CalcRule.MAX_CARBS_OUTSIDE_RANGE,)


# --- the recommendation path on a real pump -----------------------------------------------------------


def test_sensor_glucose_meal_and_correction_then_delivered_as_an_ordinary_bolus() -> None:
    """CALC-1, CALC-2: 60 g at 15 g/U = 4 U; sensor 220 vs high target 120 at 50 = 2 U; 6 U, accepted."""
    pump = delivering_pump()
    pump.glucose(220)
    rec = recommend(C, pump.state, CS, CalcRequest(60))
    assert rec.status == CalcStatus.RECOMMENDED
    assert (rec.meal_mu, rec.correction_mu, rec.recommended_mu) == (4000, 2000, 6000)
    assert rec.warnings == () and rec.caps == ()
    result = pump.bolus(rec.recommended_pulses)
    assert result.outcome.accepted


def test_iob_reduces_the_correction_only() -> None:
    """CALC-2 (IOB rule CORRECTION_ONLY): after a 1 U bolus the correction shrinks; the meal part never."""
    pump = delivering_pump(flat_settings(0))
    pump.bolus(20)
    pump.ticks(30)
    pump.glucose(220)
    rec = recommend(C, pump.state, CS, CalcRequest(60))
    assert 0 < rec.inputs.iob_pulses <= 20
    assert rec.meal_mu == 4000
    assert rec.recommended_mu == 6000 - rec.iob_mu
    assert CalcWarning.IOB_SUBTRACTED in rec.warnings
    # 150 mg/dL, 16 minutes later (a plausible change, SEN-3): correction 0.6 U, IOB above it: the meal stays whole.
    pump.ticks(16)
    pump.glucose(150)
    assert pump.state.glucose.mgdl == 150
    rec = recommend(C, pump.state, CS, CalcRequest(60))
    assert rec.inputs.iob_pulses * C.pulse_mu > 600
    assert rec.recommended_mu == 4000


def test_stale_sensor_gives_meal_only_with_a_warning() -> None:
    """CALC-4: the sensor chosen but stale: meal part only, the correction and IOB left out, and a warning."""
    pump = delivering_pump()
    pump.glucose(300)
    pump.ticks(C.glucose_max_age_ticks + 1)
    rec = recommend(C, pump.state, CS, CalcRequest(60))
    assert rec.status == CalcStatus.RECOMMENDED
    assert rec.recommended_mu == 4000
    assert rec.warnings == (CalcWarning.SENSOR_UNAVAILABLE,)
    no_glucose = recommend(C, pump.state, CS, CalcRequest(60, GlucoseSource.NONE))
    assert no_glucose.warnings == (CalcWarning.NO_GLUCOSE,)


def test_glucose_below_the_minimum_or_low_reading_disables() -> None:
    """CALC-4: glucose below the calculation minimum (manual or sensor "LOW") gives no recommendation."""
    pump = delivering_pump()
    rec = recommend(C, pump.state, CS, CalcRequest(60, GlucoseSource.MANUAL, 65))
    assert (rec.status, rec.recommended_pulses) == (CalcStatus.GLUCOSE_BELOW_MINIMUM, 0)
    pump.glucose(0, status=GlucoseStatus.LOW)  # the sensor's own LOW: below its range (SEN-5)
    rec = recommend(C, pump.state, CS, CalcRequest(60))
    assert (rec.status, rec.recommended_pulses) == (CalcStatus.GLUCOSE_BELOW_MINIMUM, 0)


def test_bad_entries_are_refused() -> None:
    """CALC-4: carbs above the maximum, a manual glucose outside 20..600, an unknown source: refused."""
    pump = delivering_pump()
    assert recommend(C, pump.state, CS, CalcRequest(251, GlucoseSource.NONE)).status == CalcStatus.INVALID_CARBS
    assert recommend(C, pump.state, CS, CalcRequest(-1, GlucoseSource.NONE)).status == CalcStatus.INVALID_CARBS
    assert recommend(C, pump.state, CS, CalcRequest(10, GlucoseSource.MANUAL, 601)).status == (
        CalcStatus.INVALID_GLUCOSE_ENTRY
    )
    assert recommend(C, pump.state, CS, CalcRequest(10, 9)).status == CalcStatus.INVALID_GLUCOSE_ENTRY
    odd: Any = CalcRequest(carbs_g=1.5, glucose_source=GlucoseSource.NONE)  # type: ignore[arg-type]
    assert recommend(C, pump.state, CS, odd).status == CalcStatus.INVALID_CARBS


def test_caps_are_named_never_silent() -> None:
    """CALC-1: max bolus, the hourly room and the reservoir each cut a recommendation, and say so."""
    settings = quiet_settings(max_bolus_mu=5000, max_hourly_mu=8000)
    pump = delivering_pump(settings, reservoir=3000)
    rec = recommend(C, pump.state, CS, CalcRequest(120, GlucoseSource.NONE))  # 8 U
    assert rec.recommended_mu == 5000
    assert rec.caps == (CapReason.MAX_BOLUS,)
    assert CalcWarning.CAPPED in rec.warnings
    pump.bolus(60)  # 3 U now in the hour window: room 5 U less the basal so far
    pump.ticks(40)
    rec = recommend(C, pump.state, CS, CalcRequest(120, GlucoseSource.NONE))
    assert rec.caps == (CapReason.HOURLY_LIMIT,)
    assert rec.recommended_pulses == rec.inputs.hour_room_pulses
    assert pump.bolus(rec.recommended_pulses).outcome.accepted


def test_reservoir_cap() -> None:
    """CALC-1: the reservoir bounds the recommendation too."""
    pump = delivering_pump(reservoir=70)
    rec = recommend(C, pump.state, CS, CalcRequest(60, GlucoseSource.NONE))
    assert rec.caps == (CapReason.RESERVOIR,)
    assert rec.recommended_pulses == pump.state.reservoir.pulses


def test_unconfirmed_bolus_disables_for_one_insulin_action_time() -> None:
    """CALC-4 (Omnipod 5): uncertain delivery disables the calculator; after the fault the shell's record
    keeps it disabled for the insulin-action time (5 h here), then it works again."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.bolus(100)
    pump.tick()
    last: int | None = None
    result = pump.tick()
    last = note_unconfirmed(last, result)
    assert pump.state.motor.uncertain and last == pump.now
    assert recommend(C, pump.state, CS, CalcRequest(30, GlucoseSource.NONE), last).status == (
        CalcStatus.DISABLED_UNCONFIRMED_DELIVERY
    )
    for result in pump.ticks(C.motor_ack_timeout_ticks + 1):
        last = note_unconfirmed(last, result)
    assert pump.mode == Mode.MOTOR_FAULT and not pump.state.motor.uncertain
    start = last
    assert start is not None
    request = CalcRequest(30, GlucoseSource.NONE)
    later = evolve(pump.state, now_ticks=start + 299)
    assert recommend(C, later, CS, request, last).status == CalcStatus.DISABLED_UNCONFIRMED_DELIVERY
    assert recommend(C, later, CS, request).status == CalcStatus.RECOMMENDED  # without the record
    after = evolve(pump.state, now_ticks=start + 300)
    assert recommend(C, after, CS, request, last).status == CalcStatus.RECOMMENDED


def test_time_of_day_selects_the_slot() -> None:
    """CALC-2: the ratio in force at the pump's local time is used (48 half-hour slots)."""
    cs = make_calculator_settings(C, carb_ratio_dg_per_u=((0, 150), (420, 100)))  # 10 g/U from 07:00
    pump = delivering_pump()
    early = evolve(pump.state, time_of_day_ticks=419)
    late = evolve(pump.state, time_of_day_ticks=420)
    assert recommend(C, early, cs, CalcRequest(60, GlucoseSource.NONE)).recommended_mu == 4000
    rec = recommend(C, late, cs, CalcRequest(60, GlucoseSource.NONE))
    assert (rec.slot, rec.recommended_mu) == (14, 6000)


def test_recommend_then_bolus_is_checked_by_the_kernel() -> None:
    """The recommendation changes nothing; the bolus request still faces every kernel check."""
    pump = delivering_pump(quiet_settings(max_bolus_mu=5000))
    before = pump.state
    rec = recommend(C, before, evolve(CS, increment_pulses=2), CalcRequest(121, GlucoseSource.NONE))
    assert pump.state is before
    assert rec.recommended_mu == 5000 and rec.recommended_pulses % 2 == 0
    assert pump.bolus(rec.recommended_pulses + 1).outcome.reason == Reason.ABOVE_MAX_BOLUS


# --- properties -------------------------------------------------------------------------------------------


@st.composite
def valid_inputs(draw: st.DrawFn) -> CalcInputs:
    pulse = draw(st.sampled_from(ALLOWED_PULSE_MU))
    low = draw(st.integers(80, 200))
    known = draw(st.booleans())
    return CalcInputs(
        pulse_mu=pulse,
        carbs_g=draw(st.integers(0, 250)),
        glucose_known=known,
        glucose_mgdl=draw(st.integers(20, 600)) if known else 0,
        ratio_dg_per_u=draw(st.integers(10, 1500)),
        isf_mgdl=draw(st.integers(1, 400)),
        target_low_mgdl=low,
        target_high_mgdl=draw(st.integers(low, 200)),
        iob_pulses=draw(st.integers(-5, 200_000)),
        iob_rule=draw(st.sampled_from(list(IobRule))),
        increment_pulses=draw(st.integers(1, {10: 10, 25: 4, 50: 2, 100: 1}[pulse])),
        max_bolus_pulses=draw(st.integers(-5, 3000)),
        hour_room_pulses=draw(st.integers(-50, 100_000)),
        day_room_pulses=draw(st.integers(-50, 100_000)),
        reservoir_pulses=draw(st.integers(0, 100_000)),
        settings_valid=True,
        carbs_valid=True,
        manual_glucose_invalid=False,
        sensor_unavailable=draw(st.booleans()) if not known else False,
        glucose_below_minimum=False,
        unconfirmed_delivery=False,
    )


def reference_pulses(x: CalcInputs) -> Fraction:
    """The exact dose in pulses before caps, from the documented rule (independent of the kernel code)."""
    per_unit = Fraction(1000, x.pulse_mu)
    meal = Fraction(x.carbs_g * 10, x.ratio_dg_per_u) * per_unit
    g = x.glucose_mgdl
    correction = Fraction(0)
    if x.glucose_known and g > x.target_high_mgdl:
        correction = Fraction(g - x.target_high_mgdl, x.isf_mgdl) * per_unit
    elif x.glucose_known and g < x.target_low_mgdl:
        correction = Fraction(g - x.target_low_mgdl, x.isf_mgdl) * per_unit
    iob = Fraction(max(x.iob_pulses, 0))
    if not x.glucose_known:
        total = meal + correction
    elif x.iob_rule == IobRule.CORRECTION_ONLY:
        total = meal + (max(correction - iob, Fraction(0)) if correction > 0 else correction)
    else:
        total = max(meal + correction - iob, Fraction(0))
    return max(total, Fraction(0))


def limit(value: int) -> int:
    return max(value, 0)


@given(valid_inputs())
def test_matches_the_exact_reference_and_calc_1_3(x: CalcInputs) -> None:
    """CALC-1, CALC-3: exact arithmetic; never negative; within every limit; rounded down by less than
    one increment; a multiple of the increment; every cap named."""
    t = calculate(x, PY)
    exact = reference_pulses(x)
    assert t.calculated_pulses == int(exact)  # floor (exact >= 0)
    assert Fraction(max(t.total_num, 0), t.denominator) == exact
    cap = min(limit(x.max_bolus_pulses), limit(x.hour_room_pulses), limit(x.day_room_pulses), x.reservoir_pulses)
    r = t.recommended_pulses
    assert 0 <= r <= cap and r <= exact
    assert r % x.increment_pulses == 0
    if t.calculated_pulses <= cap:
        assert exact - r < x.increment_pulses
        assert t.cap_mask == 0 and not t.warnings >> CalcWarning.CAPPED & 1
    else:
        assert r > cap - x.increment_pulses
        assert t.warnings >> CalcWarning.CAPPED & 1
        named = {
            CapReason.MAX_BOLUS: limit(x.max_bolus_pulses),
            CapReason.HOURLY_LIMIT: limit(x.hour_room_pulses),
            CapReason.DAILY_LIMIT: limit(x.day_room_pulses),
            CapReason.RESERVOIR: x.reservoir_pulses,
        }
        assert {reason for reason, value in named.items() if value == cap} == {
            reason for reason in CapReason if t.cap_mask >> reason & 1
        }


def _rec(x: CalcInputs) -> int:
    return calculate(x, PY).recommended_pulses


@given(valid_inputs(), st.integers(0, 250))
def test_monotone_in_carbs(x: CalcInputs, more: int) -> None:
    """CALC-2: more carbohydrate never gives less insulin."""
    lo, hi = sorted((x.carbs_g, more))
    assert _rec(evolve(x, carbs_g=lo)) <= _rec(evolve(x, carbs_g=hi))


@given(valid_inputs(), st.integers(-5, 200_000))
def test_monotone_in_iob(x: CalcInputs, more: int) -> None:
    """CALC-2: more insulin on board never gives more insulin."""
    lo, hi = sorted((x.iob_pulses, more))
    assert _rec(evolve(x, iob_pulses=lo)) >= _rec(evolve(x, iob_pulses=hi))


@given(valid_inputs(), st.integers(20, 600), st.integers(20, 600), st.integers(50, 70))
def test_monotone_in_glucose(x: CalcInputs, a: int, b: int, minimum: int) -> None:
    """CALC-2, CALC-4: higher glucose never gives less insulin, across the calculation minimum."""
    lo, hi = sorted((a, b))

    def at(g: int) -> int:
        return _rec(
            evolve(x, glucose_known=True, sensor_unavailable=False, glucose_mgdl=g, glucose_below_minimum=g < minimum)
        )

    assert at(lo) <= at(hi)


@given(valid_inputs(), st.booleans(), st.booleans())
def test_disabled_and_warned(x: CalcInputs, unconfirmed: bool, below: bool) -> None:
    """CALC-4: unconfirmed delivery or glucose below the minimum: nothing; no glucose: a warning."""
    t = calculate(evolve(x, unconfirmed_delivery=unconfirmed, glucose_below_minimum=below), PY)
    if unconfirmed or below:
        assert t.recommended_pulses == 0 and t.status != CalcStatus.RECOMMENDED
    if not x.glucose_known:
        assert t.correction_num == 0 and t.iob_applied_num == 0
        assert t.warnings & (1 << CalcWarning.NO_GLUCOSE | 1 << CalcWarning.SENSOR_UNAVAILABLE)


def _z3_value(term: Any) -> Any:
    value = z3.simplify(expand_products(term)) if isinstance(term, z3.ExprRef) else term
    if isinstance(value, z3.BoolRef):
        return z3.is_true(value)
    return value.as_long() if isinstance(value, z3.IntNumRef) else value


@settings(max_examples=25, deadline=None)
@given(valid_inputs())
def test_z3_interpretation_agrees_with_python(x: CalcInputs) -> None:
    """The proofs' reading of ``calculate`` (shift-and-add products, restoring division) equals Python's."""
    symbolic = CalcInputs(
        **{
            name: (z3.BoolVal(value) if isinstance(value, bool) else z3.IntVal(int(value)))
            for name, value in vars(x).items()
        }
    )
    z = calculate(symbolic, Z3)
    p = calculate(x, PY)
    for name in vars(p):
        assert _z3_value(getattr(z, name)) == getattr(p, name), name


def test_terms_are_exact_fractions_of_a_pulse() -> None:
    """CALC-3: the explanation carries the exact remainder the floor dropped."""
    x = evolve(calculate_inputs(), carbs_g=10)
    t: CalcTerms = calculate(x, PY)
    assert t.total_num == t.calculated_pulses * t.denominator + t.fraction_num
    assert 0 <= t.fraction_num < t.denominator


def calculate_inputs() -> CalcInputs:
    pump = delivering_pump()
    return recommend(C, pump.state, CS, CalcRequest(0, GlucoseSource.NONE)).inputs


def test_settings_object_is_frozen() -> None:
    assert isinstance(CS, CalculatorSettings)
    try:
        CS.max_carbs_g = 1  # type: ignore[misc]
    except AttributeError:
        return
    raise AssertionError("CalculatorSettings must be frozen")


def test_recommend_never_raises_on_odd_entries() -> None:
    """CALC-4: odd entries (negative or huge carbs, unknown sources) are refused, never raised on."""
    pump = delivering_pump()
    pump.accept(ev.GlucoseReading(pump.now, pump.now, 120, 0))
    for carbs in (-10, 0, 250, 10**9):
        for source in (-1, 0, 1, 2, 3):
            recommend(C, pump.state, CS, CalcRequest(carbs, source, 100))


# --- the proofs notice a broken calculator -------------------------------------------------------------


def test_calculator_planted_defects_are_refuted() -> None:
    """CALC-1..4: a calculator without the reservoir in its cap, enabled after an unconfirmed delivery, without
    the rounding to the increment, adding insulin on board, or with the correction's sign flipped below target,
    is refuted by the obligation that states the property (so those proofs are not vacuous)."""
    from proofs.families import calculator as family
    from proofs.weakening import check_weakening

    for weakening in family.WEAKENINGS:
        result = check_weakening(weakening, family.obligations())
        assert result.caught, (weakening.id, result.tried)
