"""Logic primitives stay in their domains: the Z3 reading of the shipped step is the Python one (issue 14 point 6).

Theory of operation
-------------------
Every proof reasons about the shipped kernel code run on Z3 terms.  That is
the code Python runs only if each *primitive* (``kernel.logic``: ``at``,
``with_at``, ``mul_small``, ``divmod_bounded``, ``lookup``) is called inside
its domain, where its Z3 version equals its Python version (an index inside
the tuple, a factor below ``2**bits``, a numerator in ``0 .. d x 2**bits - 1``
with ``d >= 1``, a key of the table).  Outside it the two differ silently
(``at`` past the end answers the last item in Z3 and raises in Python; a
restoring division of a negative number answers 0 in Z3).

A recording ``Z3Logic`` keeps each call's domain condition (its *side
condition*) when the step is built (``proofs.context``).  The obligations:

* ``PRIM/<Event>``: from any state satisfying the invariants, for any event of
  the class whose fields are inside their static ranges (``EVENT_SCHEMA``) and
  any structurally valid configuration, every side condition of the step
  holds.  One named goal per call, so a failure names the primitive.  The
  premise is exact: for an event with a field out of range Python returns
  before any primitive call (``kernel.core.transition``: ``if ranged is False``)
  while Z3 makes the calls and discards their results (the refusal picks the
  old state and empty effects); out of range, the calls do leave their domains
  (a negative extended part divided, a time offset below -1440 indexing a
  negative slot), which is why the premise is there.  Calls that Python skips
  by the ``cond is not False`` idiom (``kernel.logic``) are required in domain
  unconditionally: stronger than needed, and it holds;
* ``PRIM/rules``: the configuration rules, the invariants and the reference
  specifications that other families state over states (basal schedule,
  programmed rate, insulin on board, window spans) call primitives in their
  domains too, for every state satisfying the invariants.  (Today the rules
  and invariants make no symbolic primitive call; the obligation keeps it so.)

These are about the trusted base, not about what the pump commands: they
observe nothing and prove no requirement by themselves (EVD-1); every other
family's result rests on them.  The agreement of each primitive with Python
inside its domain is the job of ``property_tests/test_logic_agreement.py``.
"""

from __future__ import annotations

from typing import Any

import z3

from kernel.config import structural_checks
from proofs.builders import EVENT_NAMES
from proofs.context import Context, boolean
from proofs.framework import Obligation, Query
from proofs.weakening import Weakening, replace_with
from specs import reference
from specs.invariants import INVARIANTS
from specs.reference_inputs import fields_in_range
from specs.z3_logic import Z3Logic

FAMILY = "primitives"

REQUIREMENTS = ("EVD-1",)
"""What "proved" rests on (the trusted base); no requirement is proved by these alone."""


def _step_domains(event: str) -> Any:
    def build(ctx: Context) -> Query:
        st = ctx.step(event)
        ranged = boolean(fields_in_range(st.event, Z3Logic()))
        goals = [(f"{name}#{index}", z3.Implies(ranged, cond)) for index, (name, cond) in enumerate(st.side_conditions)]
        hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(st.before)
        return Query(hyps, list(st.definitions), goals or z3.BoolVal(True), step=st)

    return build


def _rule_domains(ctx: Context) -> Query:
    """Side conditions of the config rules and invariants (any state) and of the reference specs (invariant states)."""
    recorder = Z3Logic(record=True)
    structural_checks(ctx.config, recorder)
    s = ctx.fresh_state("q")
    for inv in INVARIANTS:
        inv.holds(ctx.config, s, recorder)
    st = s.settings
    reference.scheduled_rate_pph(st, s.time_of_day_ticks, recorder)
    reference.programmed_rate_cpph(st, s.basal, s.time_of_day_ticks, recorder)
    reference.reading_fresh(ctx.config, s.glucose, s.now_ticks, recorder)
    reference.insulin_on_board_pulses(s.windows.iob_pulses, st.dia_index, recorder)
    goals = [(f"{name}#{index}", cond) for index, (name, cond) in enumerate(recorder.side_conditions)]
    hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(s)
    return Query(hyps, list(recorder.definitions), goals or z3.BoolVal(True))


def obligations() -> list[Obligation]:
    result = [
        Obligation(
            f"PRIM/{name}",
            FAMILY,
            "domain",
            REQUIREMENTS,
            f"Every primitive call of a {name} step (index, factor, division, table key) is inside the domain where "
            "its Z3 version equals its Python version, from every state satisfying the invariants.",
            _step_domains(name),
            event=name,
        )
        for name in EVENT_NAMES
    ]
    result.append(
        Obligation(
            "PRIM/rules",
            FAMILY,
            "domain",
            REQUIREMENTS,
            "The configuration rules, the invariants and the reference specifications call every primitive inside "
            "its domain.",
            _rule_domains,
        )
    )
    return result


# --- planted defects ----------------------------------------------------------------------------------------------


class _ShiftedDivision:
    """A logic whose ``divmod_bounded`` divides one less than asked: negative for an empty extended part."""

    def __init__(self, logic: Any) -> None:
        self._logic = logic

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logic, name)

    def divmod_bounded(self, n: Any, d: Any, bits: int) -> Any:
        return self._logic.divmod_bounded(n - 1, d, bits)


def _bolus_divides_negative(original: Any) -> Any:
    from kernel.events import BolusRequest

    on_bolus = original[BolusRequest]
    return {**original, BolusRequest: lambda c, s, e, logic: on_bolus(c, s, e, _ShiftedDivision(logic))}


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "W-PRIM-AT-PAST-END",
        FAMILY,
        "The basal slot is looked up with a 29-minute divisor: late in the day the index runs past slot 47.",
        ("BAS-1",),
        (("kernel.basal", "SLOT_TICKS", replace_with(29)),),
        ("PRIM/Tick",),
    ),
    Weakening(
        "W-PRIM-DIVMOD-NEGATIVE",
        FAMILY,
        "A bolus request divides its extended part minus one: a negative numerator for a normal bolus.",
        ("BOL-2",),
        (("kernel.core", "HANDLERS", _bolus_divides_negative),),
        ("PRIM/BolusRequest",),
    ),
    Weakening(
        "W-PRIM-DIVMOD-TOO-FEW-BITS",
        FAMILY,
        "The extended-bolus division is given 4 quotient bits: large extended boluses overflow its domain.",
        ("BOL-2",),
        (("kernel.bolus", "EXTENDED_QUOTIENT_BITS", replace_with(4)),),
        ("PRIM/BolusRequest",),
    ),
)

SCOPE: dict[str, str] = {
    "EVD-1": "Primitive domains are proved for every call of every event class's step and of the rules, invariants "
    "and reference specs; that each primitive equals Python inside its domain is tested "
    "(property_tests/test_logic_agreement.py), not proved: it is the trusted base with Python and Z3.",
}
