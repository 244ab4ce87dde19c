"""Z3 obligations for the bolus calculator (CALC-1..4).

Theory of operation
-------------------
``kernel.calculator.calculate`` is written in the kernel's logic, so running
it on Z3 terms (``specs.z3_logic.Z3``) gives its exact input/output relation:
the products of two inputs go through ``mul_small`` (shift-and-add over the
bits of a *setting*) and the two floor divisions through ``divmod_bounded``
(restoring division), so every query is linear integer arithmetic.

The inputs are symbolic: the pulse size (any allowed one), one time-of-day
slot's carb ratio, sensitivity and targets (any values the settings rules
``slot_checks`` / ``scalar_checks`` allow), the IOB rule, the increment,
carbohydrate, glucose, insulin on board, max bolus, the rooms under the
rolling limits and the reservoir (any integers, negative included), and
every status flag.  The hypotheses are exactly what ``recommend`` guarantees
about what it passes: valid settings satisfy the rules, valid carbs are
``0..250`` g, known glucose is 20..600 mg/dL.

Monotonicity (CALC-2) is proved in two parts, because Z3 does not decide
the whole composition directly (a two-run query through both 17-bit
restoring divisions, or through the 20-bit IOB product, times out):

1. ``CALC/monotone-*`` run ``calculate`` twice on inputs that differ only in
   the varied quantity and prove that the exact total (the numerator) moves
   the right way while status, denominator and cap stay the same; for
   glucose the below-minimum flag is recomputed from each glucose, so the
   status change at the minimum is inside the proof.  For IOB the two IOB
   numerators are free and ordered, and ``CALC/iob-numerator-monotone``
   proves the numerator monotone in IOB (clamp, then one shift-and-add step,
   by induction over the bits).
2. ``CALC/restoring-division-monotone`` proves one step of restoring
   division keeps two runs with the same divisor ordered; by induction over
   the bits, ``calculated = floor(max(total, 0) / D)`` and
   ``recommended = m - (m mod increment)`` are monotone in their numerators,
   and ``min(., cap)`` in between is monotone.

Obligations are ordinary ``proofs.obligations.Obligation`` values (kind
``safety``, plus one non-vacuity witness); ``proofs.obligations.all_obligations``
appends them, so ``pumpkernel prove`` runs and reports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import z3

from kernel.calculator import (
    IOB_CLAMP_PULSES,
    CalcInputs,
    CalcStatus,
    CalcTerms,
    CalcWarning,
    CapReason,
    calculate,
    settle,
)
from kernel.calculator_settings import (
    MANUAL_GLUCOSE_MAX_MGDL,
    MANUAL_GLUCOSE_MIN_MGDL,
    MAX_CARBS_CEILING_G,
    MIN_CALC_GLUCOSE_HIGH_MGDL,
    MIN_CALC_GLUCOSE_LOW_MGDL,
    scalar_checks,
    slot_checks,
)
from kernel.units import ALLOWED_PULSE_MU
from proofs.model import Context, as_bool
from proofs.obligations import Obligation, Query
from specs.z3_logic import Z3

L = Z3


class Symbolic:
    """One symbolic calculator input, with its minimum-glucose setting and hypotheses."""

    def __init__(self, prefix: str) -> None:
        def i(name: str) -> Any:
            return z3.Int(f"{prefix}.{name}")

        def b(name: str) -> Any:
            return z3.Bool(f"{prefix}.{name}")

        self.min_calc = i("min_calc_glucose_mgdl")
        self.max_carbs = i("max_carbs_g")
        self.inputs = CalcInputs(
            pulse_mu=i("pulse_mu"),
            carbs_g=i("carbs_g"),
            glucose_known=b("glucose_known"),
            glucose_mgdl=i("glucose_mgdl"),
            ratio_dg_per_u=i("ratio_dg_per_u"),
            isf_mgdl=i("isf_mgdl"),
            target_low_mgdl=i("target_low_mgdl"),
            target_high_mgdl=i("target_high_mgdl"),
            iob_pulses=i("iob_pulses"),
            iob_rule=i("iob_rule"),
            increment_pulses=i("increment_pulses"),
            max_bolus_pulses=i("max_bolus_pulses"),
            hour_room_pulses=i("hour_room_pulses"),
            day_room_pulses=i("day_room_pulses"),
            reservoir_pulses=i("reservoir_pulses"),
            settings_valid=b("settings_valid"),
            carbs_valid=b("carbs_valid"),
            manual_glucose_invalid=b("manual_glucose_invalid"),
            sensor_unavailable=b("sensor_unavailable"),
            glucose_below_minimum=b("glucose_below_minimum"),
            unconfirmed_delivery=b("unconfirmed_delivery"),
        )

    def hypotheses(self) -> list[tuple[str, Any]]:
        """What ``recommend`` guarantees about the inputs it builds (labelled for unsat cores)."""
        x = self.inputs
        pulse_ok = z3.Or(*(x.pulse_mu == p for p in ALLOWED_PULSE_MU))
        slot_rules = [as_bool(holds) for _, holds in slot_checks(x.ratio_dg_per_u, x.isf_mgdl, *self._targets(), L)]
        scalar_rules = [
            as_bool(holds)
            for _, holds in scalar_checks(x.pulse_mu, self.min_calc, self.max_carbs, x.increment_pulses, x.iob_rule, L)
        ]
        return [
            ("CALC:pulse-size-allowed", pulse_ok),
            ("CALC:settings-rules", z3.Implies(x.settings_valid, z3.And(*slot_rules, *scalar_rules))),
            (
                "CALC:carbs-in-range",
                z3.Implies(x.carbs_valid, z3.And(x.carbs_g >= 0, x.carbs_g <= self.max_carbs)),
            ),
            (
                "CALC:max-carbs-ceiling",
                z3.Implies(x.settings_valid, self.max_carbs <= MAX_CARBS_CEILING_G),
            ),
            (
                "CALC:glucose-in-entry-range",
                z3.Implies(
                    x.glucose_known,
                    z3.And(x.glucose_mgdl >= MANUAL_GLUCOSE_MIN_MGDL, x.glucose_mgdl <= MANUAL_GLUCOSE_MAX_MGDL),
                ),
            ),
            (
                "CALC:min-calc-range",
                z3.And(self.min_calc >= MIN_CALC_GLUCOSE_LOW_MGDL, self.min_calc <= MIN_CALC_GLUCOSE_HIGH_MGDL),
            ),
        ]

    def _targets(self) -> tuple[Any, Any]:
        return self.inputs.target_low_mgdl, self.inputs.target_high_mgdl

    def with_glucose(self, glucose: Any) -> CalcInputs:
        """The same inputs with another known glucose and its below-minimum flag recomputed."""
        return replace(
            self.inputs,
            glucose_mgdl=glucose,
            glucose_known=True,
            glucose_below_minimum=glucose < self.min_calc,
        )


def _run(x: CalcInputs) -> CalcTerms:
    return calculate(x, L)


def _warning(t: CalcTerms, w: CalcWarning) -> Any:
    return (t.warnings / (1 << int(w))) % 2 == 1


def _cap_bit(t: CalcTerms, r: CapReason) -> Any:
    return (t.cap_mask / (1 << int(r))) % 2 == 1


def _single(goal: Callable[[Symbolic, CalcTerms], Any], witness: bool = False) -> Callable[[Context], Query]:
    def build(ctx: Context) -> Query:
        s = Symbolic("calc")
        return Query(tracked=s.hypotheses(), plain=[], goal=as_bool(goal(s, _run(s.inputs))), witness=witness)

    return build


def _nonnegative(s: Symbolic, t: CalcTerms) -> Any:
    return t.recommended_pulses >= 0


def _within_limits(s: Symbolic, t: CalcTerms) -> Any:
    x = s.inputs
    r = t.recommended_pulses
    return z3.And(
        *(
            r <= z3.If(limit >= 0, limit, 0)
            for limit in (x.max_bolus_pulses, x.hour_room_pulses, x.day_room_pulses, x.reservoir_pulses)
        )
    )


def _cap_shown(s: Symbolic, t: CalcTerms) -> Any:
    x = s.inputs
    capped = t.calculated_pulses > t.cap_pulses
    limits = {
        CapReason.MAX_BOLUS: z3.If(x.max_bolus_pulses >= 0, x.max_bolus_pulses, 0),
        CapReason.HOURLY_LIMIT: z3.If(x.hour_room_pulses >= 0, x.hour_room_pulses, 0),
        CapReason.DAILY_LIMIT: z3.If(x.day_room_pulses >= 0, x.day_room_pulses, 0),
        CapReason.RESERVOIR: z3.If(x.reservoir_pulses >= 0, x.reservoir_pulses, 0),
    }
    named = [z3.Implies(_cap_bit(t, reason), limit == t.cap_pulses) for reason, limit in limits.items()]
    return z3.And(
        capped == _warning(t, CalcWarning.CAPPED),
        z3.Implies(capped, t.cap_mask > 0),
        z3.Implies(z3.Not(capped), t.cap_mask == 0),
        *named,
        # Whatever was cut, the recommendation equals min(calculated, cap) less the rounding.
        z3.Implies(
            t.status == CalcStatus.RECOMMENDED,
            t.recommended_pulses == z3.If(capped, t.cap_pulses, t.calculated_pulses) - t.rounding_pulses,
        ),
    )


def _rounding(s: Symbolic, t: CalcTerms) -> Any:
    x = s.inputs
    increment = z3.If(z3.And(x.settings_valid, x.carbs_valid, z3.Not(x.manual_glucose_invalid)), x.increment_pulses, 1)
    uncapped = t.calculated_pulses <= t.cap_pulses
    return z3.And(
        t.fraction_num >= 0,
        t.fraction_num < t.denominator,
        t.rounding_pulses >= 0,
        t.rounding_pulses < increment,
        t.recommended_pulses <= t.calculated_pulses,
        z3.Implies(
            z3.And(t.status == CalcStatus.RECOMMENDED, uncapped),
            t.calculated_pulses - t.recommended_pulses < increment,
        ),
    )


def _disabled(s: Symbolic, t: CalcTerms) -> Any:
    x = s.inputs
    return z3.And(
        z3.Implies(x.unconfirmed_delivery, z3.And(t.recommended_pulses == 0, t.status != CalcStatus.RECOMMENDED)),
        z3.Implies(x.glucose_below_minimum, z3.And(t.recommended_pulses == 0, t.status != CalcStatus.RECOMMENDED)),
        # Without usable glucose there is no correction, IOB is not used, and a warning says so.
        z3.Implies(
            z3.Not(x.glucose_known),
            z3.And(
                t.correction_num == 0,
                t.iob_applied_num == 0,
                z3.Or(_warning(t, CalcWarning.NO_GLUCOSE), _warning(t, CalcWarning.SENSOR_UNAVAILABLE)),
            ),
        ),
        z3.Implies(t.status != CalcStatus.RECOMMENDED, t.recommended_pulses == 0),
    )


def _same_rounding(t1: CalcTerms, t2: CalcTerms, s: Symbolic, x2: CalcInputs) -> Any:
    """Both runs divide by the same denominator, cap and increment (what the composition needs)."""
    return z3.And(t1.denominator == t2.denominator, t1.cap_pulses == t2.cap_pulses)


def _pair(vary: str) -> Callable[[Context], Query]:
    """Two runs that differ only in ``vary`` (carbs up, IOB up, glucose up).

    The goal is the numerator half of CALC-2: the exact total moves the right
    way, the status never turns a recommendation off in the direction of
    more insulin, and both runs share denominator and cap (the increment is a
    setting, shared by construction).  The floor half is ``_restoring_step``.
    """

    def build(ctx: Context) -> Query:
        s = Symbolic("calc")
        x1 = s.inputs
        ok = CalcStatus.RECOMMENDED
        if vary == "carbs":
            more = z3.Int("calc.carbs_g_more")
            x2 = replace(x1, carbs_g=more)
            plain = [more >= x1.carbs_g, z3.Implies(x1.carbs_valid, more <= s.max_carbs)]
            t1, t2 = _run(x1), _run(x2)
            goal = z3.And(t1.total_num <= t2.total_num, t1.status == t2.status)
        elif vary == "iob":
            # IOB enters only through its numerator (``iob_numerator``, monotone by
            # ``_iob_numerator_step``); here the two numerators are free and ordered.
            x2 = x1
            n1, n2 = z3.Ints("calc.iob_num calc.iob_num_more")
            plain = [n1 >= 0, n2 >= n1]
            t0 = _run(x1)
            t1 = settle(x1, t0.denominator, t0.meal_num, t0.correction_num, n1, L)
            t2 = settle(x1, t0.denominator, t0.meal_num, t0.correction_num, n2, L)
            goal = z3.And(t1.total_num >= t2.total_num, t1.status == t2.status)
        else:
            g1, g2 = z3.Int("calc.glucose_low"), z3.Int("calc.glucose_high")
            x1, x2 = s.with_glucose(g1), s.with_glucose(g2)
            plain = [g1 <= g2, g1 >= MANUAL_GLUCOSE_MIN_MGDL, g2 <= MANUAL_GLUCOSE_MAX_MGDL]
            t1, t2 = _run(x1), _run(x2)
            goal = z3.And(t1.total_num <= t2.total_num, z3.Implies(t1.status == ok, t2.status == ok))
        goal = z3.And(goal, _same_rounding(t1, t2, s, x2))
        return Query(tracked=s.hypotheses(), plain=plain, goal=as_bool(goal))

    return build


def _iob_numerator_step(ctx: Context) -> Query:
    """``iob_numerator`` is monotone in IOB: the clamp is, and so is each shift-and-add step.

    ``Z3Logic.mul_small(x, D, bits)`` adds, for each bit from the top, the term
    ``If(take, x * w, 0)`` where ``take`` depends on ``D`` only (the same in
    both runs).  The obligation: partial sums ``P1 <= P2`` and ``0 <= x1 <=
    x2`` give ``P1 + term1 <= P2 + term2`` for every weight ``w >= 1``; and the
    clamp ``min(max(i, 0), C)`` is monotone.  By induction over the bits the
    product is monotone in ``x``.  (Z3 does not find this sum argument by
    itself: a direct query on the 20-term sum times out.)
    """
    w, p1, p2, x1, x2, i1, i2 = z3.Ints("mul.w mul.P1 mul.P2 mul.x1 mul.x2 mul.i1 mul.i2")
    take = z3.Bool("mul.take")

    def clamp(i: Any) -> Any:
        return L.min(L.max(i, 0), IOB_CLAMP_PULSES)

    before = z3.And(w >= 1, p1 <= p2, x1 >= 0, x1 <= x2, i1 <= i2)
    goal = z3.And(p1 + z3.If(take, x1 * w, 0) <= p2 + z3.If(take, x2 * w, 0), clamp(i1) <= clamp(i2))
    return Query(tracked=[("MUL:step-domain", before)], plain=[], goal=goal)


def _restoring_step(ctx: Context) -> Query:
    """One step of restoring division (``specs.z3_logic.Z3Logic.divmod_bounded``) keeps two runs ordered.

    Two runs divide ``n1 <= n2`` by the same ``d >= 1``.  Before the step for
    bit ``k`` they hold quotient ``Q``, subtracted total ``S`` (= n - rest) and
    rest ``R`` with ``0 <= R < 2P`` where ``P = d x 2**k`` and ``W = 2**k``.
    Invariant with weights ``(w, p)``::

        (Q1 == Q2 and S1 == S2 and R1 <= R2)  or  (Q1 + w <= Q2 and S1 + p <= S2)

    The obligation: the invariant with ``(2W, 2P)`` before the step gives it
    with ``(W, P)`` after, and ``0 <= R < P``.  Initially ``Q = S = 0`` and
    ``R = n``, so the first disjunct holds; after the last bit (``W = 1``,
    ``P = d``) either disjunct gives ``Q1 <= Q2`` and ``S1 <= S2``: the
    quotient (``calculated_pulses``) and ``n - rest`` (the recommendation,
    ``m - rounding``) are both monotone in ``n``.  ``P`` and ``W`` are free
    positive integers, so the one query covers every bit and every divisor.
    """
    p, w = z3.Int("div.P"), z3.Int("div.W")
    q1, q2, s1, s2, r1, r2 = z3.Ints("div.Q1 div.Q2 div.S1 div.S2 div.R1 div.R2")

    def inv(qa: Any, qb: Any, sa: Any, sb: Any, ra: Any, rb: Any, weight: Any, part: Any) -> Any:
        return z3.Or(z3.And(qa == qb, sa == sb, ra <= rb), z3.And(qa + weight <= qb, sa + part <= sb))

    def step(q: Any, s: Any, r: Any) -> tuple[Any, Any, Any]:
        take = r >= p
        return q + z3.If(take, w, 0), s + z3.If(take, p, 0), z3.If(take, r - p, r)

    q1n, s1n, r1n = step(q1, s1, r1)
    q2n, s2n, r2n = step(q2, s2, r2)
    before = [
        p >= 1,
        w >= 1,
        r1 >= 0,
        r2 >= 0,
        r1 < 2 * p,
        r2 < 2 * p,
        inv(q1, q2, s1, s2, r1, r2, 2 * w, 2 * p),
    ]
    goal = z3.And(inv(q1n, q2n, s1n, s2n, r1n, r2n, w, p), r1n >= 0, r2n >= 0, r1n < p, r2n < p)
    return Query(tracked=[("DIV:step-domain", z3.And(*before))], plain=[], goal=goal)


def _witness_capped(s: Symbolic, t: CalcTerms) -> Any:
    x = s.inputs
    return z3.And(
        t.status == CalcStatus.RECOMMENDED,
        t.recommended_pulses > 0,
        _warning(t, CalcWarning.CAPPED),
        _warning(t, CalcWarning.IOB_SUBTRACTED),
        x.glucose_known,
        t.correction_num > 0,
        t.meal_num > 0,
    )


def calculator_obligations() -> list[Obligation]:
    """The CALC obligations, in report order."""
    return [
        Obligation(
            "CALC/never-negative",
            "safety",
            ("CALC-1",),
            "A recommendation is never negative, for every input and every valid setting.",
            _single(_nonnegative),
        ),
        Obligation(
            "CALC/within-limits",
            "safety",
            ("CALC-1",),
            "A recommendation never exceeds max bolus, the hourly and daily room, or the reservoir.",
            _single(_within_limits),
        ),
        Obligation(
            "CALC/cap-shown",
            "safety",
            ("CALC-1",),
            "A recommendation is cut exactly when a limit binds; the CAPPED warning and every binding limit are shown.",
            _single(_cap_shown),
        ),
        Obligation(
            "CALC/rounding-below-increment",
            "safety",
            ("CALC-3",),
            "The floor drops less than one pulse, the increment rounding less than one increment, and an "
            "uncapped recommendation is within one increment below the calculated dose.",
            _single(_rounding),
        ),
        Obligation(
            "CALC/monotone-carbs",
            "safety",
            ("CALC-2",),
            "More carbohydrate never gives a smaller exact total; status, denominator and cap unchanged.",
            _pair("carbs"),
        ),
        Obligation(
            "CALC/monotone-iob",
            "safety",
            ("CALC-2",),
            "A larger IOB numerator never gives a larger exact total; status, denominator and cap unchanged.",
            _pair("iob"),
        ),
        Obligation(
            "CALC/monotone-glucose",
            "safety",
            ("CALC-2", "CALC-4"),
            "Higher known glucose never gives a smaller exact total, nor turns a recommendation off (the "
            "calculation minimum); denominator and cap unchanged.",
            _pair("glucose"),
        ),
        Obligation(
            "CALC/iob-numerator-monotone",
            "safety",
            ("CALC-2",),
            "The IOB numerator (clamp, then shift-and-add product with the denominator) is monotone in IOB.",
            _iob_numerator_step,
        ),
        Obligation(
            "CALC/restoring-division-monotone",
            "safety",
            ("CALC-2",),
            "One restoring-division step keeps two runs with the same divisor ordered (quotient and "
            "subtracted total); by induction over the bits both floor divisions are monotone.",
            _restoring_step,
        ),
        Obligation(
            "CALC/disabled-and-warnings",
            "safety",
            ("CALC-4",),
            "Unconfirmed delivery or glucose below the minimum gives no recommendation; without glucose "
            "there is no correction, IOB is not used, and a warning is shown.",
            _single(_disabled),
        ),
        Obligation(
            "NV/calculator-capped",
            "non-vacuity",
            (),
            "A recommendation with meal, correction, IOB subtracted and a cap can happen.",
            _single(_witness_capped, witness=True),
        ),
    ]
