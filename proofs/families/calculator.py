"""The bolus calculator's recommendation (CALC-1..4), on the shipped arithmetic run on Z3 terms.

Theory of operation
-------------------
``kernel.calculator.calculate`` is written in the kernel's logic, so running
it on Z3 terms gives its exact input/output relation (products by
shift-and-add, floor divisions by restoring division: linear arithmetic).
The calculator is not part of ``step``: it commands nothing.  Its observable
is the ``Recommendation`` it returns, which the user sees and may then ask
for with an ordinary ``BolusRequest`` (where every check of
``proofs.families.bolus`` applies).  These obligations are stated over that
returned value (``observes`` says ``outcome``: the calculator's answer), for
every input the calculator can be given: any allowed pulse size, one slot's
carb ratio, sensitivity and targets and the increment and IOB rule as the
calculator settings rules allow, carbohydrate, glucose, insulin on board,
max bolus, the rooms and the reservoir (any integers, negative included), and
every status flag.  The hypotheses are exactly what ``recommend`` guarantees
about what it passes: valid settings satisfy the rules, valid carbs are
``0..max_carbs_g``, known glucose is 20..600 mg/dL.

* ``CALC1/never-negative``, ``CALC1/within-limits``, ``CALC1/cap-shown``
  (CALC-1): never negative, never above max bolus, the hourly and daily
  rooms or the reservoir; a recommendation is cut exactly when a limit binds,
  the ``CAPPED`` warning is set, and every limit named in the cap mask is the
  one that bound.
* ``CALC3/rounded-down`` (CALC-3): the recommendation is a whole number of
  increments (``specs.reference_bolus.multiple_of``), never above the
  calculated dose, and less than one increment below it when no cap binds
  (below the cap, when one binds).
* ``CALC2/monotone-carbs``, ``CALC2/monotone-iob``, ``CALC2/monotone-glucose``
  (CALC-2): two runs of the whole calculation on two symbolic inputs that
  differ only in the varied quantity; the goal is the recommendation itself:
  more carbohydrate never gives less insulin, more insulin on board never
  more, higher glucose never less.
* ``CALC4/disabled-and-warnings`` (CALC-4): unconfirmed delivery or glucose
  below the calculation minimum gives no recommendation; without glucose
  there is no correction, insulin on board is not used, and a warning says so.

Asked in one piece, the CALC-2 and CALC-3 queries ended ``unknown`` (39 to
651 s): the restoring divisions and the shift-and-add product are unrolled
bit by bit, and the property of the whole needs an induction over the bits.
Each query is therefore a chain (``Query(chained=True)``) of lemmas about
the primitives' intermediate terms, bit by bit (``proofs.arithmetic_lemmas``),
ending with the requirement's own statement; every lemma is proved, none
assumed, and the final goals are stated without them (the reference's
``multiple_of``, an order between two recommendations).

Left out: that ``recommend`` builds its inputs from the state as described
(its IOB is the kernel's estimate, its rooms the kernel's windows): tested
(tests/test_calculator*.py); the display of the explanation (adapters).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import z3

from kernel import calculator as shipped
from kernel.calculator import (
    DENOMINATOR_BITS,
    IOB_CLAMP_PULSES,
    QUOTIENT_BITS,
    CalcInputs,
    CalcStatus,
    CalcTerms,
    CalcWarning,
    CapReason,
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
from proofs import arithmetic_lemmas as lemmas
from proofs.context import boolean
from proofs.families.planting import rewrite
from proofs.framework import Obligation, Query
from proofs.weakening import Weakening
from specs import reference_bolus as ref
from specs.z3_logic import Z3

FAMILY = "bolus"
L = Z3
OBSERVES = ("outcome",)
"""The calculator's answer (its ``Recommendation``); it commands nothing."""


class Symbolic:
    """One symbolic calculator input, with its minimum-glucose and maximum-carbs settings and hypotheses."""

    def __init__(self, prefix: str) -> None:
        def i(name: str) -> Any:
            return z3.Int(f"{prefix}.{name}")

        def b(name: str) -> Any:
            return z3.Bool(f"{prefix}.{name}")

        self.min_calc = i("min_calc_glucose_mgdl")
        self.max_carbs = i("max_carbs_g")
        self.inputs = CalcInputs(
            *(b(f.name) if f.type in ("bool", bool) else i(f.name) for f in CalcInputs.__dataclass_fields__.values())
        )

    def hypotheses(self) -> list[tuple[str, Any]]:
        """What ``recommend`` guarantees about the inputs it builds (labelled for unsat cores)."""
        x = self.inputs
        slot_rules = [
            boolean(h) for _, h in slot_checks(x.ratio_dg_per_u, x.isf_mgdl, x.target_low_mgdl, x.target_high_mgdl, L)
        ]
        scalar_rules = [
            boolean(h)
            for _, h in scalar_checks(x.pulse_mu, self.min_calc, self.max_carbs, x.increment_pulses, x.iob_rule, L)
        ]
        return [
            ("CALC:pulse-size-allowed", z3.Or(*(x.pulse_mu == p for p in ALLOWED_PULSE_MU))),
            ("CALC:settings-rules", z3.Implies(x.settings_valid, z3.And(*slot_rules, *scalar_rules))),
            ("CALC:carbs-in-range", z3.Implies(x.carbs_valid, z3.And(x.carbs_g >= 0, x.carbs_g <= self.max_carbs))),
            ("CALC:max-carbs-ceiling", z3.Implies(x.settings_valid, self.max_carbs <= MAX_CARBS_CEILING_G)),
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
            (
                "CALC:below-minimum-flag",
                z3.Implies(x.glucose_known, x.glucose_below_minimum == (x.glucose_mgdl < self.min_calc)),
            ),
        ]

    def with_glucose(self, glucose: Any) -> CalcInputs:
        """The same inputs with another known glucose and its below-minimum flag recomputed."""
        return replace(
            self.inputs, glucose_mgdl=glucose, glucose_known=True, glucose_below_minimum=glucose < self.min_calc
        )


def _warning(t: CalcTerms, w: CalcWarning) -> Any:
    return (t.warnings / (1 << int(w))) % 2 == 1


def _cap_bit(t: CalcTerms, r: CapReason) -> Any:
    return (t.cap_mask / (1 << int(r))) % 2 == 1


def _floor0(v: Any) -> Any:
    return z3.If(v >= 0, v, 0)


def _single(goal: Callable[[Symbolic, CalcTerms], Any], witness: bool = False) -> Callable[[Any], Query]:
    def build(ctx: Any) -> Query:
        s = Symbolic("calc")
        return Query(s.hypotheses(), [], boolean(goal(s, shipped.calculate(s.inputs, L))), witness=witness)

    return build


def _limits(s: Symbolic) -> dict[CapReason, Any]:
    x = s.inputs
    return {
        CapReason.MAX_BOLUS: _floor0(x.max_bolus_pulses),
        CapReason.HOURLY_LIMIT: _floor0(x.hour_room_pulses),
        CapReason.DAILY_LIMIT: _floor0(x.day_room_pulses),
        CapReason.RESERVOIR: _floor0(x.reservoir_pulses),
    }


def _within_limits(s: Symbolic, t: CalcTerms) -> Any:
    return z3.And(*(t.recommended_pulses <= limit for limit in _limits(s).values()))


def _cap_shown(s: Symbolic, t: CalcTerms) -> Any:
    limits = _limits(s)
    smallest = z3.And(
        *(t.cap_pulses <= v for v in limits.values()), z3.Or(*(t.cap_pulses == v for v in limits.values()))
    )
    capped = t.calculated_pulses > t.cap_pulses
    return z3.And(
        smallest,
        capped == _warning(t, CalcWarning.CAPPED),
        z3.Implies(capped, z3.Or(*(_cap_bit(t, r) for r in CapReason))),
        z3.Implies(z3.Not(capped), t.cap_mask == 0),
        *(z3.Implies(_cap_bit(t, r), limit == t.cap_pulses) for r, limit in limits.items()),
    )


def _ok_inputs(x: CalcInputs) -> Any:
    """``calculate``'s own test of its inputs (rebuilt, the same term): the increment it divides by is
    ``x.increment_pulses`` under it, 1 otherwise."""
    return L.all(x.settings_valid, x.carbs_valid, L.not_(x.manual_glucose_invalid))


def _increment(x: CalcInputs) -> Any:
    return L.ite(_ok_inputs(x), x.increment_pulses, 1)


def _capped(t: CalcTerms) -> Any:
    """The dose after the caps, before the rounding (``settle``'s ``capped_value``, rebuilt: the same term)."""
    return L.min(t.calculated_pulses, t.cap_pulses)


def _rounded_build(ctx: Any) -> Query:
    """CALC-3 as a chain: the rounding division's rest bounds (so what it drops is below one increment), then
    for each allowed increment the division identity bit by bit (so what remains is a whole number of
    increments); the goals of the requirement come last in each part."""
    s = Symbolic("calc")
    x = s.inputs
    t = shipped.calculate(x, L)
    ok = z3.And(t.status == CalcStatus.RECOMMENDED, x.settings_valid)
    uncapped = t.calculated_pulses <= t.cap_pulses
    capped, increment = _capped(t), _increment(x)
    goals: list[tuple[str, Any]] = [
        (
            "increment-allowed",
            z3.Implies(ok, z3.And(x.increment_pulses >= 1, x.increment_pulses <= ref.MAX_INCREMENT_PULSES)),
        ),
        *lemmas.remainder_bounds("rounding", capped, increment, QUOTIENT_BITS, ok),
        ("not-above-calculated", t.recommended_pulses <= t.calculated_pulses),
        (
            "within-one-increment",
            z3.Implies(z3.And(ok, uncapped), t.calculated_pulses - t.recommended_pulses < x.increment_pulses),
        ),
        (
            "capped-within-one-increment",  # a capped dose, too, is rounded down by less than one increment
            z3.Implies(
                z3.And(ok, z3.Not(uncapped)),
                z3.And(t.recommended_pulses <= t.cap_pulses, t.cap_pulses - t.recommended_pulses < x.increment_pulses),
            ),
        ),
    ]
    # First attempts on the goals each one follows from (Query.using; a failed first attempt falls back). The
    # recommended-<step> lemma is stated per increment: one lemma under ``ok`` alone made the query slower
    # (4.0 s against 2.5 s).
    bounded = ("GOAL:rounding/rest-bound-0",)
    using: dict[str, tuple[str, ...]] = dict.fromkeys(
        ("not-above-calculated", "within-one-increment", "capped-within-one-increment"), bounded
    )
    for step in range(1, ref.MAX_INCREMENT_PULSES + 1):
        identity = lemmas.quotient_identity("rounding", capped, increment, step, QUOTIENT_BITS, ok)
        for (name, _), (earlier, _) in zip(identity[1:], identity, strict=False):
            using[name] = (f"GOAL:{earlier}",)
        where = z3.And(ok, x.increment_pulses == step)
        taken = (f"rounding/recommended-{step}", z3.Implies(where, t.recommended_pulses == capped - t.rounding_pulses))
        whole = (f"multiple-of-{step}", z3.Implies(where, boolean(ref.multiple_of(t.recommended_pulses, step, L))))
        using[taken[0]] = ()
        using[whole[0]] = (f"GOAL:{identity[-1][0]}", f"GOAL:{taken[0]}")
        goals += [*identity, taken, whole]
    return Query(s.hypotheses(), [], goals, chained=True, using=using)


def _disabled(s: Symbolic, t: CalcTerms) -> Any:
    x = s.inputs
    off = z3.And(t.recommended_pulses == 0, t.status != CalcStatus.RECOMMENDED)
    return z3.And(
        z3.Implies(x.unconfirmed_delivery, off),
        z3.Implies(x.glucose_below_minimum, off),
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


def _pair(vary: str) -> Callable[[Any], Query]:
    """Two complete runs on inputs that differ only in ``vary``; the last goal is on the recommendation itself.

    The chain before it, for the run that must recommend less (``lo``) and the other (``hi``), when both
    recommend: the IOB numerator in order (IOB only: the clamp, then the product with the same denominator bit
    by bit), the numerator ``total_num`` in order, the first division's quotients in order bit by bit (the same
    denominator), the caps equal, the capped doses in order, and the rounding to the increment in order bit by
    bit (``proofs.arithmetic_lemmas``).  When a run does not recommend, its recommendation is 0.
    """

    def build(ctx: Any) -> Query:
        s = Symbolic("calc")
        x1 = s.inputs
        if vary == "carbs":
            more = z3.Int("calc.carbs_g_more")
            x2 = replace(x1, carbs_g=more)
            plain = [more >= x1.carbs_g, z3.Implies(x1.carbs_valid, more <= s.max_carbs)]
        elif vary == "iob":
            more = z3.Int("calc.iob_pulses_more")
            x2 = replace(x1, iob_pulses=more)
            plain = [more >= x1.iob_pulses]
        else:
            g1, g2 = z3.Int("calc.glucose_low"), z3.Int("calc.glucose_high")
            x1, x2 = s.with_glucose(g1), s.with_glucose(g2)
            plain = [g1 <= g2, g1 >= MANUAL_GLUCOSE_MIN_MGDL, g2 <= MANUAL_GLUCOSE_MAX_MGDL]
        t1, t2 = shipped.calculate(x1, L), shipped.calculate(x2, L)
        lo, hi = (t2, t1) if vary == "iob" else (t1, t2)
        both = z3.And(t1.status == CalcStatus.RECOMMENDED, t2.status == CalcStatus.RECOMMENDED)
        goals: list[tuple[str, Any]] = []
        if vary == "iob":  # more IOB: a larger IOB numerator, applied in full or in part
            fewer, more_iob = (L.min(L.max(x.iob_pulses, 0), IOB_CLAMP_PULSES) for x in (x1, x2))
            goals.append(("iob-clamped", fewer <= more_iob))
            goals += lemmas.product_monotone("iob", fewer, more_iob, t1.denominator, DENOMINATOR_BITS)
            goals.append(("iob-numerator", hi.iob_num <= lo.iob_num))
            goals.append(("iob-applied", z3.Implies(both, hi.iob_applied_num <= lo.iob_applied_num)))
        goals.append(("numerator", z3.Implies(both, lo.total_num <= hi.total_num)))
        goals += lemmas.quotient_monotone(
            "division",
            L.max(lo.total_num, 0),
            lo.denominator,
            L.max(hi.total_num, 0),
            hi.denominator,
            QUOTIENT_BITS,
            both,
        )
        goals.append(("calculated", z3.Implies(both, lo.calculated_pulses <= hi.calculated_pulses)))
        goals.append(("same-cap", z3.Implies(both, lo.cap_pulses == hi.cap_pulses)))
        capped_lo, capped_hi = _capped(lo), _capped(hi)
        goals.append(("capped", z3.Implies(both, capped_lo <= capped_hi)))
        goals += lemmas.rounded_monotone("rounding", capped_lo, capped_hi, _increment(x1), QUOTIENT_BITS, both)
        goals.append(("recommendation", lo.recommended_pulses <= hi.recommended_pulses))
        return Query(s.hypotheses(), plain, goals, chained=True)

    return build


def _witness_capped(s: Symbolic, t: CalcTerms) -> Any:
    return z3.And(
        t.status == CalcStatus.RECOMMENDED,
        t.recommended_pulses > 0,
        _warning(t, CalcWarning.CAPPED),
        _warning(t, CalcWarning.IOB_SUBTRACTED),
        s.inputs.glucose_known,
        t.correction_num > 0,
        t.meal_num > 0,
    )


def _ob(
    oid: str, requirements: tuple[str, ...], statement: str, build: Callable[[Any], Query], budget: float = 60.0
) -> Obligation:
    return Obligation(oid, FAMILY, "safety", requirements, statement, build, OBSERVES, (), None, budget)


def obligations() -> list[Obligation]:
    return [
        _ob(
            "CALC1/never-negative",
            ("CALC-1",),
            "A recommendation is never negative.",
            _single(lambda s, t: t.recommended_pulses >= 0),
        ),
        _ob(
            "CALC1/within-limits",
            ("CALC-1",),
            "A recommendation never exceeds max bolus, the hourly or daily room, or the reservoir.",
            _single(_within_limits),
        ),
        _ob(
            "CALC1/cap-shown",
            ("CALC-1",),
            "The cap is the smallest limit; a recommendation is cut exactly when it binds, with the CAPPED warning "
            "and every binding limit named.",
            _single(_cap_shown),
        ),
        _ob(
            "CALC4/disabled-and-warnings",
            ("CALC-4",),
            "Unconfirmed delivery or glucose below the minimum gives no recommendation; without glucose no "
            "correction, no IOB used, and a warning.",
            _single(_disabled),
        ),
        Obligation(
            "NV/calculator-capped",
            FAMILY,
            "non-vacuity",
            ("CALC-1",),
            "A recommendation with meal, correction, IOB subtracted and a cap can happen.",
            _single(_witness_capped, witness=True),
        ),
        _ob(
            "CALC3/rounded-down",
            ("CALC-3",),
            "A recommendation is a whole number of increments, never above the calculated dose, and less than one "
            "increment below it when no limit binds (below the cap when one binds).",
            _rounded_build,
        ),
        _ob(
            "CALC2/monotone-carbs",
            ("CALC-2",),
            "Two complete runs: more carbohydrate never gives a smaller recommendation.",
            _pair("carbs"),
        ),
        _ob(
            "CALC2/monotone-iob",
            ("CALC-2",),
            "Two complete runs: more insulin on board never gives a larger recommendation.",
            _pair("iob"),
        ),
        _ob(
            "CALC2/monotone-glucose",
            ("CALC-2", "CALC-4"),
            "Two complete runs: higher known glucose never gives a smaller recommendation (the calculation minimum "
            "included).",
            _pair("glucose"),
        ),
    ]


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "W-CALC-NOT-ROUNDED",
        FAMILY,
        "The recommendation is not rounded down to the increment.",
        ("CALC-3",),
        (rewrite("kernel.calculator", "settle", "capped_value - rounding", "capped_value"),),
        ("CALC3/rounded-down",),
    ),
    Weakening(
        "W-CALC-IOB-ADDED",
        FAMILY,
        "Insulin on board is added to, not subtracted from, the total.",
        ("CALC-2",),
        (rewrite("kernel.calculator", "settle", "total_num = whole - iob_applied", "total_num = whole + iob_applied"),),
        ("CALC2/monotone-iob",),
    ),
    Weakening(
        "W-CALC-CORRECTION-SIGN",
        FAMILY,
        "Below target, the correction grows as glucose falls (the deviation's sign flipped).",
        ("CALC-2",),
        (rewrite("kernel.calculator", "calculate", "g - x.target_low_mgdl, 0)", "x.target_low_mgdl - g, 0)"),),
        ("CALC2/monotone-glucose",),
    ),
    Weakening(
        "W-CALC-UNCAPPED-RESERVOIR",
        FAMILY,
        "The reservoir is left out of the cap.",
        ("CALC-1",),
        (rewrite("kernel.calculator", "settle", "logic.min(day, reservoir)", "day"),),
        ("CALC1/within-limits",),
    ),
    Weakening(
        "W-CALC-UNCONFIRMED-IGNORED",
        FAMILY,
        "The calculator stays enabled after an unconfirmed delivery.",
        ("CALC-4",),
        (
            rewrite(
                "kernel.calculator",
                "settle",
                "(logic.not_(x.unconfirmed_delivery), CalcStatus.DISABLED_UNCONFIRMED_DELIVERY),",
                "",
            ),
        ),
        ("CALC4/disabled-and-warnings",),
    ),
)

SCOPE: dict[str, str] = {
    "CALC-1": "Proved over the calculator's answer for every input; that recommend passes the kernel's own rooms and "
    "reservoir is tested. The calculator commands nothing: a requested dose still meets every bolus check.",
    "CALC-2": "Proved over the calculator's answer for two runs that differ only in carbohydrate, insulin on board "
    "or known glucose, every other input shared and arbitrary; each other input moving alone is not claimed (for "
    "instance a larger carb ratio); that recommend passes the kernel's own IOB estimate is tested.",
    "CALC-3": "Proved over the calculator's answer for every allowed increment (1 to 10 pulses); that recommend "
    "passes the therapy settings' increment is tested.",
    "CALC-4": "Proved for the flags recommend passes; that the shell keeps last_unconfirmed_tick (note_unconfirmed) "
    "and the one-insulin-action period are tested.",
}
