"""The bolus calculator: a meal-plus-correction recommendation, exact, capped and explained.

Theory of operation
-------------------
``recommend(config, state, calc_settings, request)`` is a pure function
outside ``step``: it reads the state and returns a ``Recommendation``; it
changes nothing.  The user (or the user interface) then asks for the
recommended dose with an ordinary ``BolusRequest``, so every check a bolus
faces in the step (``kernel.bolus``) still applies to it.

The arithmetic (``calculate``, run on Z3 terms by ``proofs.calculator``) is
exact: every term is a fraction of a pulse over one common denominator
``D = carb ratio (dg/U) x sensitivity (mg/dL/U)``, and the only roundings are
two floor divisions at the end.  With ``k = 1000 / pulse_mu`` pulses per unit:

    meal        = carbs_g x 10 x ISF x k                    (carbs / ratio, in pulses x D)
    correction  = (glucose - target_high) x ratio x k       glucose above the range
                = (glucose - target_low) x ratio x k        glucose below the range (negative)
                = 0                                         in range, or glucose unknown
    iob         = IOB_pulses x D

IOB rule (``IobRule``), applied only when glucose is known:

* ``CORRECTION_ONLY`` (default; Medtronic Bolus Wizard: Paradigm 522/722 user
  guide ch. 15 "Bolus Wizard feature specifications", p. 187; the same
  formulas in the Veo user guide p. 207 and the MiniMed 1510 user's manual
  ch. 15 p. 252): above the high target the correction is reduced by IOB, never
  below zero, so IOB never reduces the meal part; in range or below the low
  target IOB is not used.  Below the low target the negative correction
  reduces the meal part (a "reverse correction").
* ``CORRECTION_THEN_MEAL``: IOB reduces meal plus correction, never below zero.

Then ``total = meal + correction - iob applied``; ``calculated = floor(max(total,
0) / D)`` whole pulses; ``cap = min(max bolus, hour room, day room,
reservoir)`` (the rooms of ``kernel.windows``, never below zero);
``recommended = m - (m mod increment)`` with ``m = min(calculated, cap)``: the
largest multiple of the increment not above either.  Every cap that binds is
named in ``cap_mask`` and the ``CAPPED`` warning is set: never silent (CALC-1).
Max IOB is not a cap: the kernel applies it to controller boluses only, as
shipping pumps do for manual boluses.

The insulin on board is the kernel's own estimate (``kernel.iob``), which
counts every commanded therapy pulse, basal included, and rounds up: it never
understates IOB, so the calculator errs towards less insulin.

Refusals and warnings (CALC-4):

* invalid calculator settings, carbs outside ``0..max_carbs_g``, a manual
  glucose outside 20..600 mg/dL or an unknown glucose source: no
  recommendation (status says why);
* delivery uncertain now (``motor.uncertain``) or an unconfirmed delivery less
  than one insulin-action time ago (``last_unconfirmed_tick``, kept by the
  shell with ``note_unconfirmed``): calculator disabled (Omnipod 5);
* glucose below the minimum for calculations, or a fresh sensor "LOW": no
  recommendation;
* no glucose, or the sensor chosen but without a fresh valid reading (a
  "HIGH" above the sensor range is not a valid reading): a
  meal-only recommendation with the ``NO_GLUCOSE`` / ``SENSOR_UNAVAILABLE``
  warning, IOB not used (Medtronic: "If you do not enter a BG, the total bolus
  estimate is based only on the food estimate").

Units: ``_pulses``, ``_mgdl``, ``_g``, ``_dg_per_u`` (tenths of a gram per
unit), ``_num`` (numerators over ``denominator``, in pulses x D), ``_mu`` at
the display edge.  Requirements served: CALC-1, CALC-2, CALC-3, CALC-4.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kernel.calculator_settings import (
    MANUAL_GLUCOSE_MAX_MGDL,
    MANUAL_GLUCOSE_MIN_MGDL,
    CalculatorSettings,
    IobRule,
    calculator_settings_checks,
)
from kernel.commands import Notice, NoticeKind
from kernel.config import PumpConfig
from kernel.iob import iob_pulses
from kernel.logic import PY, Logic, first_refusal
from kernel.reasons import StopCause
from kernel.sensing import reading_fresh
from kernel.state import PumpState
from kernel.step import StepResult
from kernel.units import SLOT_TICKS, TICKS_PER_DAY
from kernel.windows import day_room, hour_room

QUOTIENT_BITS = 17
"""Recommendations before capping stay below 2**17 pulses: at most (250 g / 1 g/U + 520 mg/dL /
1 mg/dL/U) x 100 pulses/U = 77,000 pulses."""
ISF_BITS = 9
"""Sensitivity below 512 mg/dL/U."""
RATIO_BITS = 11
"""Carb ratio below 2048 dg/U."""
DENOMINATOR_BITS = 20
"""D = ratio x ISF <= 1500 x 400 = 600,000 < 2**20."""
IOB_CLAMP_PULSES = (1 << QUOTIENT_BITS) - 1
"""IOB above this already cancels every possible dose; clamping keeps the product in range."""


class CalcStatus(enum.IntEnum):
    """Whether there is a recommendation; if not, why (first failure in this order)."""

    RECOMMENDED = 0
    INVALID_SETTINGS = 1
    INVALID_CARBS = 2
    INVALID_GLUCOSE_ENTRY = 3
    DISABLED_UNCONFIRMED_DELIVERY = 4
    GLUCOSE_BELOW_MINIMUM = 5


class CalcWarning(enum.IntEnum):
    """Bit positions in ``CalcTerms.warnings``."""

    NO_GLUCOSE = 0
    """No glucose given: meal part only, no correction, IOB not used."""
    SENSOR_UNAVAILABLE = 1
    """Sensor glucose chosen but no fresh valid reading: meal part only, IOB not used."""
    BELOW_TARGET = 2
    """Glucose below the low target: the negative correction reduced the meal part."""
    IOB_SUBTRACTED = 3
    """Insulin on board reduced the recommendation."""
    CAPPED = 4
    """A limit (``cap_mask``) cut the recommendation."""


class CapReason(enum.IntEnum):
    """Bit positions in ``CalcTerms.cap_mask``: which limit bound the recommendation."""

    MAX_BOLUS = 0
    HOURLY_LIMIT = 1
    DAILY_LIMIT = 2
    RESERVOIR = 3


class GlucoseSource(enum.IntEnum):
    """Where the calculator takes glucose from."""

    NONE = 0
    SENSOR = 1
    MANUAL = 2


@dataclass(frozen=True)
class CalcRequest:
    """What the user enters: carbohydrate (grams) and the glucose source."""

    carbs_g: int
    glucose_source: int = GlucoseSource.SENSOR
    manual_glucose_mgdl: int = 0


@dataclass(frozen=True)
class CalcInputs:
    """The arithmetic core's inputs: one slot's settings and the numbers it needs."""

    pulse_mu: int
    carbs_g: int
    glucose_known: bool
    glucose_mgdl: int
    ratio_dg_per_u: int
    isf_mgdl: int
    target_low_mgdl: int
    target_high_mgdl: int
    iob_pulses: int
    iob_rule: int
    increment_pulses: int
    max_bolus_pulses: int
    hour_room_pulses: int
    day_room_pulses: int
    reservoir_pulses: int
    settings_valid: bool
    carbs_valid: bool
    manual_glucose_invalid: bool
    sensor_unavailable: bool
    glucose_below_minimum: bool
    unconfirmed_delivery: bool


@dataclass(frozen=True)
class CalcTerms:
    """The core's result.  ``*_num`` are numerators over ``denominator`` in pulses."""

    status: int
    warnings: int
    denominator: int
    meal_num: int
    correction_num: int
    """Signed; before IOB."""
    iob_num: int
    """Insulin on board (clamped), as a numerator."""
    iob_applied_num: int
    """How much IOB actually reduced the dose (0 when IOB is not used)."""
    total_num: int
    """meal + correction - IOB applied; may be negative (glucose below target)."""
    calculated_pulses: int
    """floor(max(total, 0) / denominator): the dose in whole pulses before caps."""
    fraction_num: int
    """max(total, 0) - calculated x denominator: the part of a pulse the floor dropped."""
    cap_pulses: int
    cap_mask: int
    rounding_pulses: int
    """Pulses dropped to reach a multiple of the increment (below one increment)."""
    recommended_pulses: int


def _per_unit(value: int, pulse_mu: int, logic: Logic) -> int:
    """``value x 1000 / pulse_mu`` (pulses per unit), exact for the allowed pulse sizes."""
    return logic.ite(
        pulse_mu == 10,
        value * 100,
        logic.ite(pulse_mu == 25, value * 40, logic.ite(pulse_mu == 50, value * 20, value * 10)),
    )


def _bit(flag: bool, position: int, logic: Logic) -> int:
    return logic.ite(flag, 1 << position, 0)


def calculate(x: CalcInputs, logic: Logic) -> CalcTerms:
    """The recommendation arithmetic (see the module docstring); CALC-1..4.

    Assumes the slot values satisfy ``slot_checks`` and the increment
    ``scalar_checks`` whenever ``settings_valid`` holds, carbs in
    ``0..250`` when ``carbs_valid``, and glucose in 20..600 when known; these
    bound every product and quotient (``*_BITS``).
    """
    ok_inputs = logic.all(x.settings_valid, x.carbs_valid, logic.not_(x.manual_glucose_invalid))
    # Invalid inputs must not reach the bounded arithmetic: use neutral values instead.
    ratio = logic.ite(ok_inputs, x.ratio_dg_per_u, 10)
    isf = logic.ite(ok_inputs, x.isf_mgdl, 1)
    carbs = logic.ite(ok_inputs, x.carbs_g, 0)
    known = logic.both(ok_inputs, x.glucose_known)
    g = x.glucose_mgdl
    above = logic.both(known, g > x.target_high_mgdl)
    below = logic.both(known, g < x.target_low_mgdl)
    deviation = logic.ite(above, g - x.target_high_mgdl, logic.ite(below, g - x.target_low_mgdl, 0))

    denominator = logic.mul_small(ratio, isf, ISF_BITS)
    meal_num = _per_unit(logic.mul_small(carbs, isf, ISF_BITS) * 10, x.pulse_mu, logic)
    correction_num = _per_unit(logic.mul_small(deviation, ratio, RATIO_BITS), x.pulse_mu, logic)
    return settle(x, denominator, meal_num, correction_num, iob_numerator(x.iob_pulses, denominator, logic), logic)


def iob_numerator(iob: int, denominator: int, logic: Logic) -> int:
    """Insulin on board as a numerator over ``denominator``: IOB (clamped to 0..2**17-1) x D."""
    iob_clamped = logic.min(logic.max(iob, 0), IOB_CLAMP_PULSES)
    return logic.mul_small(iob_clamped, denominator, DENOMINATOR_BITS)


def settle(
    x: CalcInputs, denominator: int, meal_num: int, correction_num: int, iob_num: int, logic: Logic
) -> CalcTerms:
    """The IOB rule, the floor, the caps and the increment rounding (second half of ``calculate``)."""
    ok_inputs = logic.all(x.settings_valid, x.carbs_valid, logic.not_(x.manual_glucose_invalid))
    status = first_refusal(
        logic,
        (
            (x.settings_valid, CalcStatus.INVALID_SETTINGS),
            (x.carbs_valid, CalcStatus.INVALID_CARBS),
            (logic.not_(x.manual_glucose_invalid), CalcStatus.INVALID_GLUCOSE_ENTRY),
            (logic.not_(x.unconfirmed_delivery), CalcStatus.DISABLED_UNCONFIRMED_DELIVERY),
            (logic.not_(x.glucose_below_minimum), CalcStatus.GLUCOSE_BELOW_MINIMUM),
        ),
    )
    increment = logic.ite(ok_inputs, x.increment_pulses, 1)
    known = logic.both(ok_inputs, x.glucose_known)
    above = logic.both(known, x.glucose_mgdl > x.target_high_mgdl)
    below = logic.both(known, x.glucose_mgdl < x.target_low_mgdl)
    correction_only = x.iob_rule == IobRule.CORRECTION_ONLY
    whole = meal_num + correction_num
    applied_correction = logic.ite(above, logic.min(iob_num, correction_num), 0)
    applied_whole = logic.ite(known, logic.min(iob_num, logic.max(whole, 0)), 0)
    iob_applied = logic.ite(correction_only, applied_correction, applied_whole)
    total_num = whole - iob_applied

    calculated, fraction = logic.divmod_bounded(logic.max(total_num, 0), denominator, QUOTIENT_BITS)
    hour = logic.max(x.hour_room_pulses, 0)
    day = logic.max(x.day_room_pulses, 0)
    reservoir = logic.max(x.reservoir_pulses, 0)
    max_bolus = logic.max(x.max_bolus_pulses, 0)
    cap = logic.min(logic.min(max_bolus, hour), logic.min(day, reservoir))
    capped = calculated > cap
    capped_value = logic.min(calculated, cap)
    _, rounding = logic.divmod_bounded(capped_value, increment, QUOTIENT_BITS)
    recommended = logic.ite(status == CalcStatus.RECOMMENDED, capped_value - rounding, 0)

    cap_mask = (
        _bit(logic.both(capped, max_bolus == cap), CapReason.MAX_BOLUS, logic)
        + _bit(logic.both(capped, hour == cap), CapReason.HOURLY_LIMIT, logic)
        + _bit(logic.both(capped, day == cap), CapReason.DAILY_LIMIT, logic)
        + _bit(logic.both(capped, reservoir == cap), CapReason.RESERVOIR, logic)
    )
    no_glucose = logic.both(logic.not_(x.glucose_known), logic.not_(x.sensor_unavailable))
    warnings = (
        _bit(no_glucose, CalcWarning.NO_GLUCOSE, logic)
        + _bit(x.sensor_unavailable, CalcWarning.SENSOR_UNAVAILABLE, logic)
        + _bit(below, CalcWarning.BELOW_TARGET, logic)
        + _bit(iob_applied > 0, CalcWarning.IOB_SUBTRACTED, logic)
        + _bit(capped, CalcWarning.CAPPED, logic)
    )
    return CalcTerms(
        status=status,
        warnings=warnings,
        denominator=denominator,
        meal_num=meal_num,
        correction_num=correction_num,
        iob_num=iob_num,
        iob_applied_num=iob_applied,
        total_num=total_num,
        calculated_pulses=calculated,
        fraction_num=fraction,
        cap_pulses=cap,
        cap_mask=cap_mask,
        rounding_pulses=rounding,
        recommended_pulses=recommended,
    )


@dataclass(frozen=True)
class Recommendation:
    """A recommendation with its explanation, as data a user interface can show."""

    inputs: CalcInputs
    terms: CalcTerms
    slot: int
    settings_problems: tuple[int, ...]

    @property
    def status(self) -> CalcStatus:
        return CalcStatus(self.terms.status)

    @property
    def recommended_pulses(self) -> int:
        return self.terms.recommended_pulses

    @property
    def recommended_mu(self) -> int:
        return self.terms.recommended_pulses * self.inputs.pulse_mu

    @property
    def warnings(self) -> tuple[CalcWarning, ...]:
        return tuple(w for w in CalcWarning if self.terms.warnings >> int(w) & 1)

    @property
    def caps(self) -> tuple[CapReason, ...]:
        return tuple(r for r in CapReason if self.terms.cap_mask >> int(r) & 1)

    def _mu(self, numerator: int) -> int:
        """A numerator in milliunits, rounded toward zero (display only)."""
        value = abs(numerator) * self.inputs.pulse_mu // self.terms.denominator
        return value if numerator >= 0 else -value

    @property
    def meal_mu(self) -> int:
        return self._mu(self.terms.meal_num)

    @property
    def correction_mu(self) -> int:
        return self._mu(self.terms.correction_num)

    @property
    def iob_mu(self) -> int:
        return self.inputs.iob_pulses * self.inputs.pulse_mu

    @property
    def iob_applied_mu(self) -> int:
        return self._mu(self.terms.iob_applied_num)

    @property
    def total_mu(self) -> int:
        """The exact total before rounding and caps, toward zero to a milliunit."""
        return self._mu(self.terms.total_num)


def unconfirmed_recently(state: PumpState, last_unconfirmed_tick: int | None) -> bool:
    """Delivery is uncertain now, or was unconfirmed less than one insulin-action time ago (CALC-4)."""
    if state.motor.uncertain:
        return True
    if last_unconfirmed_tick is None:
        return False
    dia_ticks = 120 + 30 * state.settings.dia_index
    return state.now_ticks - last_unconfirmed_tick < dia_ticks


def note_unconfirmed(last_unconfirmed_tick: int | None, result: StepResult) -> int | None:
    """The shell's record of the last unconfirmed delivery, updated from one step's result.

    A bolus stopped because delivery became uncertain, or pulses assumed
    delivered after the motor never answered, is an unconfirmed delivery at
    the step's tick (DLV-2).  Pure; the shell keeps the value (CALC-4).
    """
    for command in result.commands:
        if not isinstance(command, Notice):
            continue
        stopped = command.kind in (NoticeKind.BOLUS_ENDED, NoticeKind.EXTENDED_ENDED)
        if (stopped and command.c == StopCause.DELIVERY_UNCERTAIN) or command.kind == NoticeKind.DELIVERY_ASSUMED:
            return result.state.now_ticks
    return last_unconfirmed_tick


def _int_or(value: object, default: int) -> int:
    """``value`` as a plain ``int`` when it is one (an ``IntEnum`` member counts, ``bool`` does not)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return default


def recommend(
    config: PumpConfig,
    state: PumpState,
    settings: CalculatorSettings,
    request: CalcRequest,
    last_unconfirmed_tick: int | None = None,
) -> Recommendation:
    """Recommend a bolus for ``request`` now (see the module docstring).  Never raises on input."""
    problems = calculator_settings_checks(config, settings)
    slot = (state.time_of_day_ticks % TICKS_PER_DAY) // SLOT_TICKS
    valid = not problems
    if valid:
        ratio = settings.carb_ratio_slots_dg_per_u[slot]
        isf = settings.sensitivity_slots_mgdl[slot]
        low = settings.target_low_slots_mgdl[slot]
        high = settings.target_high_slots_mgdl[slot]
        min_calc, max_carbs = settings.min_calc_glucose_mgdl, settings.max_carbs_g
        increment, rule = settings.increment_pulses, settings.iob_rule
    else:
        ratio, isf, low, high, min_calc, max_carbs, increment, rule = 10, 1, 100, 100, 70, 0, 1, 0
    carbs = _int_or(getattr(request, "carbs_g", None), -1)
    source = _int_or(getattr(request, "glucose_source", None), -1)
    manual = _int_or(getattr(request, "manual_glucose_mgdl", None), -1)
    g = state.glucose
    fresh = source == GlucoseSource.SENSOR and reading_fresh(config, state, PY)
    in_range = g.edge == 0 and MANUAL_GLUCOSE_MIN_MGDL <= g.mgdl <= MANUAL_GLUCOSE_MAX_MGDL
    sensor_ok = fresh and in_range
    sensor_low = fresh and g.edge == -1
    manual_ok = source == GlucoseSource.MANUAL and MANUAL_GLUCOSE_MIN_MGDL <= manual <= MANUAL_GLUCOSE_MAX_MGDL
    known = sensor_ok or manual_ok
    glucose = state.glucose.mgdl if sensor_ok else (manual if manual_ok else 0)
    inputs = CalcInputs(
        pulse_mu=config.pulse_mu,
        carbs_g=carbs,
        glucose_known=known,
        glucose_mgdl=glucose,
        ratio_dg_per_u=ratio,
        isf_mgdl=isf,
        target_low_mgdl=low,
        target_high_mgdl=high,
        iob_pulses=iob_pulses(state.settings, state.windows, PY),
        iob_rule=rule,
        increment_pulses=increment,
        max_bolus_pulses=state.settings.max_bolus_pulses,
        hour_room_pulses=hour_room(state.settings, state.windows),
        day_room_pulses=day_room(state.settings, state.windows),
        reservoir_pulses=state.reservoir.pulses,
        settings_valid=valid,
        carbs_valid=0 <= carbs <= max_carbs,
        manual_glucose_invalid=source not in tuple(GlucoseSource) or (source == GlucoseSource.MANUAL and not manual_ok),
        sensor_unavailable=source == GlucoseSource.SENSOR and not sensor_ok and not sensor_low,
        glucose_below_minimum=sensor_low or (known and glucose < min_calc),
        unconfirmed_delivery=unconfirmed_recently(state, last_unconfirmed_tick),
    )
    return Recommendation(inputs, calculate(inputs, PY), slot, tuple(int(p) for p in problems))
