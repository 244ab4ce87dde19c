"""What the pump does with what it is told: bad input, time, settings (INP-1, INP-2, CLK-1, CLK-2, CFG-1..3).

Theory of operation
-------------------
Each obligation runs the shipped step of one event class on Z3 terms, from any
state satisfying the invariants, for any event of the class and any
structurally valid configuration, and states what the step emits (its motor
command, alarms, notices, outcome) against ``specs.reference_inputs``:

* ``INP-REFUSED/<Event>`` (INP-1, INP-2): an event that does not take effect
  (refused, or a replayed request) commands nothing at all (no ``Deliver``, no
  alarm, no notice) and changes no part of the state, except that a request
  decided now is remembered with its answer (BOL-5), exactly as
  ``specs.refusals`` says for concrete steps: nothing is half applied.  It
  needs no hypothesis at all (it holds from every state and configuration),
  so its premise check is weak; ``WIT-INP-ANSWER-REMEMBERED`` shows a refusal
  whose answer is remembered from a state satisfying the invariants;
* ``INP-RANGE/<Event>`` (INP-1): an event with an integer field outside its
  static range (``EVENT_SCHEMA``) is refused as ``OUT_OF_RANGE``;
* ``CLK-TICK/<Event>`` (CLK-2): an in-range event whose tick is not the one it
  must carry (a ``Tick`` the next minute, any other event the current one) is
  refused as ``STALE_EVENT`` (older) or ``FUTURE_EVENT`` (newer), commanding
  nothing;
* ``CLK-TIME/<Event>`` (CLK-1, refinement: it observes the clock in the
  state, not an output): the clock moves only by an accepted ``Tick``, by
  exactly one minute;
* ``CLK-MISSED`` (CLK-1): a tick the platform missed and replays commands no
  pulses; ``CLK-NO-BURST`` (CLK-1): no tick commands more than one minute of
  the maximum basal rate plus less than one carried pulse, and the bolus speed
  (so nothing missed comes back as a burst); ``WIT-CLK-DELIVERS`` shows a tick
  does deliver (the bound is not vacuous);
* ``CFG-NAMED`` (CFG-1): a ``SettingsChange`` refused as ``SETTINGS_INVALID``
  names exactly the failed rules (the outcome's mask equals the reference's);
  settings that break a rule are never accepted; valid ones are never refused
  as invalid.  ``WIT-CFG-NAMED`` shows such a refusal happens.  That the
  previous settings stay in force is ``INP-REFUSED/SettingsChange``;
* ``CFG-ACCEPTED`` (CFG-1, CFG-2): accepted settings are the ones in force and
  satisfy every rule and the catalogue's cross-field pairs;
* ``CFG-HARD`` (CFG-3): assuming the configuration passed the builder's
  hard-ceiling check, accepted settings are within the catalogue's hard
  ceilings in milliunits (30 U bolus, 35 U/h basal, 250 U a day).

Assumes the structural configuration rules and the invariants (every
obligation does); ``CFG-HARD`` also the builder's ceiling check (``assumes``).
Leaves out (``SCOPE``): the type check and the log (plain Python in
``kernel.step``; the symbolic state carries a concrete log), detecting missed
or doubled ticks (the adapter's).  LOG-1 has no obligation here: the log is
written in plain Python from the emitted commands, which the emission family
proves; the writing itself is tested.
"""

from __future__ import annotations

from typing import Any

import z3

from kernel.commands import Purpose
from kernel.events import Tick, UserPresent
from kernel.reasons import Reason
from kernel.settings import SettingsRule
from proofs.builders import EVENT_NAMES, on_every_step, on_step, witness_on_step
from proofs.context import Context, Step, boolean
from proofs.framework import Obligation, Query
from proofs.weakening import Weakening
from specs import reference_inputs as ref
from specs.z3_logic import Z3Logic

FAMILY = "inputs"

EMITS = ("deliver", "alarm", "notice", "outcome")
L = Z3Logic()


def _b(value: Any) -> Any:
    return boolean(value)


def _nothing_emitted(st: Step) -> Any:
    return z3.Not(st.any_command())


def _refused(event: str) -> Any:
    """Premise: the event does not take effect.  Goals: the state but the request memory unchanged; the request
    memory as ``specs.reference_inputs`` says; nothing emitted (three queries, each ``premise => goal``)."""

    def build(ctx: Context) -> Query:
        st = ctx.step(event)
        fx = st.effects
        premise = z3.Not(st.accepted())
        conditions = ref.refusal_conditions(st.before, st.after, st.event, fx.reason, fx.replayed, L)
        goals = [(name, z3.Implies(premise, _b(holds))) for name, holds in conditions]
        goals.append(("nothing-emitted", z3.Implies(premise, _nothing_emitted(st))))
        # No hypotheses: a refusal keeps every state, valid or not, and any configuration (stronger, and cheaper).
        return Query([], list(st.definitions), goals, premise=premise, step=st)

    return build


def _reason_is(st: Step, reason: Any) -> Any:
    return _b(st.effects.reason == reason)


def _wrong_tick(st: Step) -> Any:
    return z3.And(_b(ref.fields_in_range(st.event, L)), st.event.tick != ref.expected_tick(st.before, st.event))


def _tick_reason(st: Step) -> Any:
    expected = ref.expected_tick(st.before, st.event)
    reason = z3.If(st.event.tick < expected, int(Reason.STALE_EVENT), int(Reason.FUTURE_EVENT))
    return z3.And(_reason_is(st, reason), _nothing_emitted(st))


def _clock(st: Step) -> Any:
    moved = z3.If(st.accepted(), 1, 0) if isinstance(st.event, Tick) else 0
    return st.after.now_ticks == st.before.now_ticks + moved


def _settings_named(st: Step) -> list[tuple[str, Any]]:
    c, new = st.config, st.event.settings
    rules = ref.settings_rules(c, new, L)
    all_hold = z3.And(*(_b(holds) for holds in rules.values()))
    invalid = _reason_is(st, Reason.SETTINGS_INVALID)
    return [
        ("mask", z3.Implies(invalid, st.effects.detail == ref.failed_rule_mask(c, new, L))),
        ("valid-not-refused-as-invalid", z3.Implies(all_hold, z3.Not(invalid))),
        ("invalid-not-accepted", z3.Implies(z3.Not(all_hold), z3.Not(st.accepted()))),
    ]


def _settings_accepted(st: Step) -> Any:
    c, new = st.config, st.event.settings
    rules = ref.settings_rules(c, new, L)
    return z3.And(
        _b(ref.same(st.after.settings, new, L)),
        *(_b(holds) for holds in rules.values()),
        _b(ref.catalogue_consistent(c, new, L)),
    )


def _hard_ceilings(ctx: Context) -> Query:
    st = ctx.step("SettingsChange")
    hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(st.before)
    hyps.append(("ASSUME:builder-ceilings", _b(ref.builder_ceilings(st.config, L))))
    goal = z3.Implies(st.accepted(), _b(ref.within_hard_ceilings_mu(st.config, st.event.settings, L)))
    return Query(hyps, list(st.definitions), goal, premise=st.accepted(), step=st)


def _named_obligation(ctx: Context) -> Query:
    st = ctx.step("SettingsChange")
    hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(st.before)
    return Query(hyps, list(st.definitions), _settings_named(st), step=st)


def obligations() -> list[Obligation]:
    result = [
        Obligation(
            f"INP-REFUSED/{name}",
            FAMILY,
            "safety",
            ("INP-1", "INP-2"),
            "An event that does not take effect (refused or replayed) commands nothing and changes nothing but, for "
            "a request decided now, the request memory's newest entry (its answer).",
            _refused(name),
            EMITS,
            event=name,
        )
        for name in EVENT_NAMES
    ]
    result.append(
        witness_on_step(
            "WIT-INP-ANSWER-REMEMBERED",
            FAMILY,
            "From a state satisfying the invariants, a bolus request is refused for a reason decided now (above max "
            "bolus) and its answer is remembered.",
            "BolusRequest",
            lambda st: z3.And(_reason_is(st, Reason.ABOVE_MAX_BOLUS), st.after.requests.ids[0] == st.event.request_id),
            ("INP-1",),
        )
    )
    result += on_every_step(
        "INP-RANGE",
        FAMILY,
        ("INP-1",),
        "An event with an integer field outside its static range is refused as OUT_OF_RANGE.",
        lambda st: _reason_is(st, Reason.OUT_OF_RANGE),
        premise=lambda st: z3.Not(_b(ref.fields_in_range(st.event, L))),
        observes=("outcome",),
    )
    result += on_every_step(
        "CLK-TICK",
        FAMILY,
        ("CLK-2",),
        "An in-range event not carrying its tick (a Tick the next minute, others the current one) is refused as "
        "stale (older) or from the future (newer) and commands nothing.",
        _tick_reason,
        premise=_wrong_tick,
        observes=EMITS,
    )
    result += on_every_step(
        "CLK-TIME",
        FAMILY,
        ("CLK-1",),
        "The clock moves only by an accepted Tick, by exactly one minute (refinement: the clock is state).",
        _clock,
    )
    result += [
        on_step(
            "CLK-MISSED",
            FAMILY,
            ("CLK-1",),
            "A missed tick replayed by the adapter commands no pulses.",
            "Tick",
            lambda st: z3.Not(st.moves_motor()),
            premise=lambda st: st.event.missed,
            observes=("deliver",),
        ),
        on_step(
            "CLK-NO-BURST",
            FAMILY,
            ("CLK-1",),
            "No tick commands more than one minute of max basal plus less than one carried pulse, nor more bolus "
            "pulses than the bolus speed: nothing missed comes back as a burst.",
            "Tick",
            lambda st: _b(ref.one_minute_bound(st.config, st.before.settings, st.basal_pulses(), st.bolus_pulses(), L)),
            observes=("deliver",),
        ),
        witness_on_step(
            "WIT-CLK-DELIVERS",
            FAMILY,
            "Some tick commands therapy (the burst bound is not vacuous).",
            "Tick",
            lambda st: st.commanded(Purpose.THERAPY) > 0,
            ("CLK-1",),
        ),
        Obligation(
            "CFG-NAMED",
            FAMILY,
            "safety",
            ("CFG-1",),
            "A settings change refused as invalid names exactly the failed rules; invalid settings are never "
            "accepted; valid ones are never refused as invalid.",
            _named_obligation,
            ("outcome",),
            event="SettingsChange",
        ),
        witness_on_step(
            "WIT-CFG-NAMED",
            FAMILY,
            "Some settings change is refused as invalid with a rule named.",
            "SettingsChange",
            lambda st: z3.And(_reason_is(st, Reason.SETTINGS_INVALID), st.effects.detail != 0),
            ("CFG-1",),
        ),
        on_step(
            "CFG-ACCEPTED",
            FAMILY,
            ("CFG-1", "CFG-2", "BAS-1"),
            "Accepted settings are the settings in force and satisfy every settings rule and the catalogue's "
            "cross-field pairs (rates <= max basal, max bolus <= daily limit, hourly <= daily, an hour of max basal "
            "within the hourly limit, low-reservoir threshold < capacity).",
            "SettingsChange",
            _settings_accepted,
            premise=lambda st: st.accepted(),
            observes=("outcome",),
        ),
        Obligation(
            "CFG-HARD",
            FAMILY,
            "safety",
            ("CFG-3",),
            "Accepted settings stay within the catalogue's hard ceilings: max bolus <= 30 U, max basal <= 35 U/h, "
            "24-hour limit <= 250 U.",
            _hard_ceilings,
            ("outcome",),
            (
                "The configuration passed the device builder's hard-ceiling check (kernel.config.clinical_checks: "
                "pulse size 10/25/50/100 mU; bolus, basal and daily ceilings x pulse size within HARD_CEILINGS_MU).",
            ),
            event="SettingsChange",
        ),
    ]
    return result


# --- planted defects ----------------------------------------------------------------------------------------------


def _refusal_moves_basal(original: Any) -> Any:
    def transition(c: Any, s: Any, e: Any, logic: Any) -> Any:
        after, fx = original(c, s, e, logic)
        refused = fx.reason != Reason.ACCEPTED
        acc = logic.ite(refused, after.basal.acc + 1, after.basal.acc)
        return after._replace(basal=after.basal._replace(acc=acc)), fx

    return transition


def _all_rules_hold(original: Any) -> Any:
    return lambda c, st, logic: tuple((rule, True) for rule, _ in original(c, st, logic))


def _rule_dropped(original: Any) -> Any:
    def checks(c: Any, st: Any, logic: Any) -> Any:
        return tuple(
            (rule, True if rule == SettingsRule.BASAL_SLOT_ABOVE_MAX_BASAL else holds)
            for rule, holds in original(c, st, logic)
        )

    return checks


def _button_moves_clock(original: Any) -> Any:
    handler = original[UserPresent]

    def moved(c: Any, s: Any, e: Any, logic: Any) -> Any:
        h = handler(c, s, e, logic)
        return h._replace(state=h.state._replace(now_ticks=h.state.now_ticks + 1))

    return {**original, UserPresent: moved}


def _loose_table(original: Any) -> Any:
    return {**original, "max_bolus_mu": 10 * original["max_bolus_mu"]}


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "W-INP-REFUSAL-MOVES-BASAL",
        FAMILY,
        "A refused event still advances the basal accumulator.",
        ("INP-1", "INP-2"),
        (("proofs.context", "transition", _refusal_moves_basal), ("kernel.step", "transition", _refusal_moves_basal)),
        ("INP-REFUSED/Suspend", "INP-REFUSED/"),
    ),
    Weakening(
        "W-INP-RANGE-DROPPED",
        FAMILY,
        "The static range check is dropped.",
        ("INP-1",),
        (("kernel.core", "in_range", lambda original: lambda e, logic: True),),
        ("INP-RANGE/Tick", "INP-RANGE/"),
    ),
    Weakening(
        "W-CLK-TICK-CHECK-DROPPED",
        FAMILY,
        "The event's tick is not checked: stale and future events are accepted.",
        ("CLK-2",),
        (("kernel.core", "tick_check", lambda original: lambda s, e, logic: 0),),
        ("CLK-TICK/Suspend", "CLK-TICK/"),
    ),
    Weakening(
        "W-CLK-BUTTON-MOVES-CLOCK",
        FAMILY,
        "A button press advances the clock.",
        ("CLK-1",),
        (("kernel.core", "HANDLERS", _button_moves_clock),),
        ("CLK-TIME/UserPresent",),
    ),
    Weakening(
        "W-CLK-MISSED-DELIVERS",
        FAMILY,
        "A replayed missed tick delivers like a real one.",
        ("CLK-1",),
        (
            (
                "kernel.tick",
                "_deliver",
                lambda original: lambda c, s, fx, missed, logic: original(c, s, fx, False, logic),
            ),
        ),
        ("CLK-MISSED",),
    ),
    Weakening(
        "W-CLK-BURST",
        FAMILY,
        "The accumulator takes two minutes of rate per tick (a catch-up burst).",
        ("CLK-1",),
        (("kernel.tick", "accumulate", lambda original: lambda acc, rate, logic: original(acc, 2 * rate, logic)),),
        ("CLK-NO-BURST",),
    ),
    Weakening(
        "W-CFG-UNCHECKED",
        FAMILY,
        "A settings change is not validated.",
        ("CFG-1", "CFG-2"),
        (("kernel.control", "settings_checks", _all_rules_hold),),
        ("CFG-NAMED", "CFG-ACCEPTED"),
    ),
    Weakening(
        "W-CFG-RULE-DROPPED",
        FAMILY,
        "The rule 'every basal slot <= max basal' is dropped from settings validation.",
        ("CFG-2", "BAS-1"),
        (("kernel.control", "settings_checks", _rule_dropped),),
        ("CFG-ACCEPTED", "CFG-NAMED"),
    ),
    Weakening(
        "W-CFG-HARD-TABLE-LOOSE",
        FAMILY,
        "The builder's hard ceiling for max bolus is 300 U.",
        ("CFG-3",),
        (("kernel.config", "HARD_CEILINGS_MU", _loose_table),),
        ("CFG-HARD",),
    ),
)

SCOPE: dict[str, str] = {
    "BAS-1": "Proved over the outcome of a settings change: the profile in force after an accepted one is the one "
    "sent, its rates 0..max basal (CFG-ACCEPTED, against the reference's rules). The shape is the representation: "
    "48 half-hour slots from local midnight (a segment is a run of equal slots, so 1 to 48 segments of at least "
    "30 minutes covering the day; a table of another length is refused as FIELD_ILL_TYPED by the type check, "
    "tested in tests/test_config.py), rates in whole pulses per hour (the rate increment is one pulse per hour); "
    "segments entered as (start, rate) pairs become slots at the edge (kernel.settings.profile_slots, which "
    "refuses a start off the half hour and a rate not a whole number of pulses per hour: tested); the slot looked "
    "up at a time of day is BAS-3's and PRIM/Tick's.",
    "INP-1": "Proved: a refused event commands nothing and changes nothing (the request memory's answer aside, "
    "BOL-5); an out-of-range field is refused as OUT_OF_RANGE. Not symbolic: the type check (form_check) and the "
    "log entry of the refusal, plain Python in kernel.step covered by the conformance tests "
    "(property_tests/test_conformance.py) and tests/test_refusals.py; that step never raises is tested and fuzzed.",
    "INP-2": "Proved for refusals (nothing half applied). That an accepted event is applied whole is what every "
    "other family's step obligations state about accepted steps.",
    "CLK-1": "Proved: the clock moves only by accepted ticks, one minute each; a replayed missed tick commands "
    "nothing; no tick commands more than a minute of max basal plus a carried pulse, and the bolus speed. Detecting "
    "missed and doubled ticks is the adapter's (tests/adapters).",
    "CLK-2": "Proved for every event class.",
    "CFG-1": "Proved for therapy settings changes (refused with every failed rule named, previous settings kept by "
    "INP-REFUSED/SettingsChange). Validating the device configuration (config_problems) is plain Python, run once "
    "when the pump is built: tested (tests/test_config*).",
    "CFG-2": "Proved for therapy settings against the catalogue's pairs; the configuration's own cross-field rules "
    "are the structural rules every proof assumes.",
    "CFG-3": "Proved assuming the configuration passed the builder's clinical checks (plain Python, tested): "
    "accepted settings are within 30 U bolus, 35 U/h basal, 250 U a day.",
    "LOG-1": "Tested only: the log is appended in plain Python (kernel.step._log_records) from the emitted commands "
    "and outcome, which the emission and inputs families prove; the symbolic state carries a concrete log "
    "(specs.symbolic), so no obligation reads it. Tests: tests/test_log.py, property_tests/test_conformance.py.",
}
