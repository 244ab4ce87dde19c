"""Boluses: what a bolus request, a cancellation and every minute command (BOL-1..4, BOL-6, SEC-2, SEC-3).

Theory of operation
-------------------
Every obligation here runs the shipped step (``kernel.core.transition`` and
the command emission ``kernel.commands.command_slots``) on a symbolic
configuration, an arbitrary state satisfying the invariants and an arbitrary
event, and states what the pump *emits* (the motor command, the notices, the
outcome) against the plain reference specs of ``specs.reference_bolus``.

* ``BOL1/above-max-refused`` (BOL-1): a request asking for more than max
  bolus (immediate plus extended part) is never accepted, starts nothing and
  moves no motor; it is refused with ``ABOVE_MAX_BOLUS`` unless it failed
  earlier (form, tick, mode, request memory, who sent it) or is a replay.
* ``BOL1/accepted-announced`` (BOL-1, SEC-2): an accepted request emits
  ``BOLUS_STARTED`` naming exactly the immediate and extended amounts asked
  for (never truncated) and its ID; nothing else starts a bolus (below);
  a refused one announces nothing.
* Ghost ``BOLUS-ACCOUNT`` (BOL-1, BOL-6, SEC-2): the pulses *owed*, computed
  only from what the steps emit (announced starts, minus bolus pulses
  commanded, minus what ``BOLUS_ENDED``/``EXTENDED_ENDED`` report as not
  delivered), equal the bolus the pump holds.  Its induction
  (``GHOST-CONS/BOLUS-ACCOUNT/*``, every event class) proves that no event
  starts or grows a bolus without announcing it and none drops one without
  reporting it; ``BOL1/bolus-within-owed`` then proves that a minute never
  commands more bolus pulses than were announced and not yet delivered or
  reported undelivered: what is delivered is what was accepted, or the
  difference is reported.
* ``BOL2/extended-shape`` (BOL-2): an accepted extended part runs for a
  duration in the configured range; a request without one gives none.
* ``BOL3/speed`` (BOL-3): bolus pulses commanded in one minute (normal and
  extended together, ``Deliver.bolus_pulses``) never exceed
  ``bolus_pulses_per_tick``.
* ``BOL4/normal-while-normal``, ``BOL4/extended-while-extended`` (BOL-4):
  the one rule: at most one immediate and one extended bolus at a time; a
  second one is refused with ``BOLUS_IN_PROGRESS`` / ``EXTENDED_IN_PROGRESS``
  (or an earlier reason), never merged or queued; a normal bolus during an
  extended one is allowed (witness ``NV/bolus-normal-during-extended``).
* ``BOL6/cancel-reports``, ``BOL6/next-tick-silent`` (BOL-6): an accepted
  cancellation reports what was delivered and what was not of each bolus it
  stops, and the next minute (two composed steps) commands no bolus pulse.
* ``SEC2/remote-off-refused`` (SEC-2): with remote bolus switched off, a
  remote request is refused and starts nothing.
* ``SEC3/remote-as-user``, ``SEC3/controller-no-looser`` (SEC-3): from the
  same state, the same request from the remote (switched on) gets exactly the
  user's outcome, motor command and announcement; from a controller it is
  accepted only if the user's would be.

Assumed beyond the structural configuration rules and the invariants:
nothing, except where an obligation's premise reads the state (a bolus is
running: ``BolusState``), which ``BOLUS-ACCOUNT`` ties to what was announced.
Left out: BOL-2's even spreading of the extended part over its duration
(tested), the rolling limits (the limits family), the 15 min..8 h catalogue
range (a clinical configuration rule, ``kernel.config.clinical_checks``).
"""

from __future__ import annotations

from typing import Any

import z3

from kernel import events as ev
from kernel.commands import NoticeKind
from kernel.events import CancelTarget, Source
from kernel.reasons import Reason, StopCause
from proofs.builders import EVENT_NAMES, Ghost, ghost_obligations, ghost_step_goal, on_step, witness_on_step
from proofs.context import Context, Step, boolean
from proofs.families.planting import drop_check, handler_ignored, rewrite, rewrite_handler, same_state_step, then_step
from proofs.framework import Obligation, Query
from proofs.weakening import Weakening
from specs import reference_bolus as ref
from specs.z3_logic import Z3

FAMILY = "bolus"
L = Z3
BOLUS = "BolusRequest"
DONE_BEFORE_HANDLER = (
    Reason.OUT_OF_RANGE,
    Reason.STALE_EVENT,
    Reason.FUTURE_EVENT,
    Reason.NOT_ALLOWED_IN_MODE,
    Reason.REQUEST_MEMORY_FULL,
)
"""Reasons decided before the request itself is looked at: form, tick, mode, request memory."""
SENDER = (Reason.REMOTE_BOLUS_DISABLED, Reason.CONTROLLER_DISABLED, Reason.HISTORY_UNKNOWN)
INVALID = (Reason.EMPTY_REQUEST, Reason.ABOVE_MAX_BOLUS, Reason.EXTENDED_DURATION, Reason.EXTENDED_TOO_FAST)
PUMP_NOT_READY = (Reason.DELIVERY_UNCERTAIN, Reason.ALARM_UNACKNOWLEDGED)


def reason_in(st: Step, reasons: tuple[int, ...]) -> Any:
    """The outcome is a replay, or a refusal for one of ``reasons``."""
    return z3.Or(boolean(st.effects.replayed), *(st.effects.reason == int(r) for r in reasons))


def started(st: Step) -> Any:
    return st.notice(NoticeKind.BOLUS_STARTED)[0]


def starts_nothing(st: Step) -> Any:
    return z3.And(z3.Not(st.accepted()), z3.Not(started(st)), z3.Not(st.moves_motor()))


def _above_max(st: Step) -> Any:
    return ref.requested_pulses(st.event) > st.before.settings.max_bolus_pulses


def _announced(st: Step) -> Any:
    shown, a, b, c = st.notice(NoticeKind.BOLUS_STARTED)
    e = st.event
    exact = z3.And(shown, a == e.immediate_pulses, b == e.extended_pulses, c == e.request_id)
    return z3.And(
        z3.Implies(st.accepted(), exact), z3.Implies(z3.Not(st.accepted()), z3.Not(shown)), z3.Not(st.moves_motor())
    )


# --- BOLUS-ACCOUNT: owed pulses from what is emitted ------------------------------------------------------------


def _owed_update(ctx: Context, st: Step, owed: Any) -> Any:
    shown, a, b, _ = st.notice(NoticeKind.BOLUS_STARTED)
    ended, _, normal_left, _ = st.notice(NoticeKind.BOLUS_ENDED)
    ext_ended, _, ext_left, _ = st.notice(NoticeKind.EXTENDED_ENDED)
    return (
        owed + z3.If(shown, a + b, 0) - st.bolus_pulses() - z3.If(ended, normal_left, 0) - z3.If(ext_ended, ext_left, 0)
    )


ACCOUNT = Ghost(
    "BOLUS-ACCOUNT",
    FAMILY,
    ("BOL-1", "BOL-6", "SEC-2", "U-2"),
    "the bolus pulses owed (announced by BOLUS_STARTED, less bolus pulses commanded, less what BOLUS_ENDED and "
    "EXTENDED_ENDED report as not delivered) equal the normal plus extended bolus the pump holds",
    lambda prefix: z3.Int(f"{prefix}.owed_pulses"),
    lambda ctx, s0, owed: owed == 0,
    lambda ctx, s, owed: owed == s.bolus.remaining_pulses + s.bolus.ext_remaining_pulses,
    _owed_update,
    observes=("deliver", "notice"),
)


# --- two-step and two-source obligations ------------------------------------------------------------------------


def _cancel_then_tick(ctx: Context) -> Query:
    cancel = ctx.step("CancelBolus")
    tick = then_step(cancel, ev.Tick, "bol6_tick_")
    b = cancel.before.bolus
    target = cancel.event.target
    covers = z3.Or(
        target == int(CancelTarget.ALL),
        z3.And(target == int(CancelTarget.NORMAL), b.ext_remaining_pulses == 0),
        z3.And(target == int(CancelTarget.EXTENDED), b.remaining_pulses == 0),
    )
    premise = z3.And(cancel.accepted(), covers)
    hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(cancel.before)
    goal = tick.bolus_pulses() == 0
    return Query(
        hyps, list(cancel.definitions + tick.definitions), z3.Implies(premise, goal), premise=premise, step=cancel
    )


def _cancel_reports(st: Step) -> Any:
    b = st.before.bolus
    target = st.event.target
    normal = z3.Or(target == int(CancelTarget.ALL), target == int(CancelTarget.NORMAL))
    extended = z3.Or(target == int(CancelTarget.ALL), target == int(CancelTarget.EXTENDED))
    shown, done, left, cause = st.notice(NoticeKind.BOLUS_ENDED)
    x_shown, x_done, x_left, x_cause = st.notice(NoticeKind.EXTENDED_ENDED)
    cancelled = int(StopCause.CANCELLED)
    return z3.And(
        z3.Implies(
            z3.And(normal, b.remaining_pulses > 0),
            z3.And(shown, done == b.delivered_pulses, left == b.remaining_pulses, cause == cancelled),
        ),
        z3.Implies(
            z3.And(extended, b.ext_remaining_pulses > 0),
            z3.And(x_shown, x_done == b.ext_delivered_pulses, x_left == b.ext_remaining_pulses, x_cause == cancelled),
        ),
        z3.Not(st.moves_motor()),
    )


def _same_as(source: int, controller: bool) -> Any:
    def build(ctx: Context) -> Query:
        user_step = ctx.step(BOLUS)
        user = same_state_step(user_step, int(Source.USER), "sec3_user_")
        other = same_state_step(user_step, source, "sec3_other_")
        hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(user_step.before)
        plain = list(user_step.definitions + user.definitions + other.definitions)
        if controller:
            goal = z3.Implies(other.accepted(), z3.And(user.accepted(), started(user) == started(other)))
            return Query(hyps, plain, goal, step=user_step)
        same = [
            user.effects.reason == other.effects.reason,
            boolean(user.effects.replayed) == boolean(other.effects.replayed),
            user.commanded_pulses() == other.commanded_pulses(),
            *(
                u == o
                for u, o in zip(
                    user.notice(NoticeKind.BOLUS_STARTED), other.notice(NoticeKind.BOLUS_STARTED), strict=True
                )
            ),
        ]
        premise = boolean(user_step.before.settings.remote_bolus_enabled)
        return Query(hyps, plain, z3.Implies(premise, z3.And(*same)), premise=premise, step=user_step)

    return build


def obligations() -> list[Obligation]:
    obs = ("outcome", "notice", "deliver")
    result = [
        on_step(
            "BOL1/above-max-refused",
            FAMILY,
            ("BOL-1",),
            "A request for more than max bolus (immediate plus extended) is not accepted, starts nothing, moves no "
            "motor, and is refused with ABOVE_MAX_BOLUS unless form, tick, mode, memory or sender refused it first.",
            BOLUS,
            lambda st: z3.And(
                starts_nothing(st), reason_in(st, (*DONE_BEFORE_HANDLER, *SENDER, Reason.ABOVE_MAX_BOLUS))
            ),
            premise=_above_max,
            observes=obs,
        ),
        on_step(
            "BOL1/accepted-announced",
            FAMILY,
            ("BOL-1", "SEC-2"),
            "An accepted bolus request announces BOLUS_STARTED with exactly the amounts asked for and its ID (never "
            "truncated) and moves no motor yet; a refused one announces nothing.",
            BOLUS,
            _announced,
            observes=("outcome", "notice", "deliver"),
        ),
        ghost_step_goal(
            "BOL1/bolus-within-owed",
            ACCOUNT,
            "A minute never commands more bolus pulses than were announced and not yet commanded or reported as "
            "not delivered.",
            "Tick",
            lambda ctx, st, owed: st.bolus_pulses() <= owed,
            observes=("deliver",),
        ),
        on_step(
            "BOL2/extended-shape",
            FAMILY,
            ("BOL-2",),
            "An accepted extended part runs for extended_min_ticks..extended_max_ticks; without one no duration.",
            BOLUS,
            lambda st: z3.Implies(
                st.accepted(),
                boolean(ref.extended_shape_ok(st.config.extended_min_ticks, st.config.extended_max_ticks, st.event, L)),
            ),
            observes=("outcome",),
        ),
        witness_on_step(
            "NV/bolus-dual-wave",
            FAMILY,
            "A dual-wave bolus (immediate and extended part) can be accepted.",
            BOLUS,
            lambda st: z3.And(st.accepted(), st.event.immediate_pulses > 0, st.event.extended_pulses > 0),
            ("BOL-2",),
        ),
        on_step(
            "BOL3/speed",
            FAMILY,
            ("BOL-3",),
            "Bolus pulses commanded in one minute, normal and extended together, are at most bolus_pulses_per_tick.",
            "Tick",
            lambda st: st.bolus_pulses() <= st.config.bolus_pulses_per_tick,
            observes=("deliver",),
        ),
        witness_on_step(
            "NV/bolus-both-parts-delivered",
            FAMILY,
            "A minute can command bolus pulses while a normal and an extended bolus both run.",
            "Tick",
            lambda st: z3.And(
                st.bolus_pulses() > 0, st.before.bolus.remaining_pulses > 0, st.before.bolus.ext_remaining_pulses > 0
            ),
            ("BOL-3",),
        ),
        on_step(
            "BOL4/normal-while-normal",
            FAMILY,
            ("BOL-4",),
            "A request with an immediate part while a normal bolus runs is refused (BOLUS_IN_PROGRESS unless the "
            "request or the pump failed an earlier check), never merged or queued: nothing starts.",
            BOLUS,
            lambda st: z3.And(
                starts_nothing(st),
                reason_in(st, (*DONE_BEFORE_HANDLER, *SENDER, *INVALID, *PUMP_NOT_READY, Reason.BOLUS_IN_PROGRESS)),
            ),
            premise=lambda st: z3.And(st.event.immediate_pulses > 0, st.before.bolus.remaining_pulses > 0),
            observes=obs,
        ),
        on_step(
            "BOL4/extended-while-extended",
            FAMILY,
            ("BOL-4",),
            "A request with an extended part while an extended bolus runs is refused (EXTENDED_IN_PROGRESS unless an "
            "earlier check failed), never merged or queued: nothing starts.",
            BOLUS,
            lambda st: z3.And(
                starts_nothing(st),
                reason_in(
                    st,
                    (
                        *DONE_BEFORE_HANDLER,
                        *SENDER,
                        *INVALID,
                        *PUMP_NOT_READY,
                        Reason.BOLUS_IN_PROGRESS,
                        Reason.EXTENDED_IN_PROGRESS,
                    ),
                ),
            ),
            premise=lambda st: z3.And(st.event.extended_pulses > 0, st.before.bolus.ext_remaining_pulses > 0),
            observes=obs,
        ),
        witness_on_step(
            "NV/bolus-normal-during-extended",
            FAMILY,
            "The rule allows a normal bolus while an extended one runs.",
            BOLUS,
            lambda st: z3.And(
                st.accepted(),
                st.event.immediate_pulses > 0,
                st.event.extended_pulses == 0,
                st.before.bolus.ext_remaining_pulses > 0,
            ),
            ("BOL-4",),
        ),
        on_step(
            "BOL6/cancel-reports",
            FAMILY,
            ("BOL-6",),
            "An accepted CancelBolus reports, for each bolus it stops, what was delivered and what was not "
            "(BOLUS_ENDED / EXTENDED_ENDED, cause CANCELLED), and moves no motor.",
            "CancelBolus",
            _cancel_reports,
            premise=lambda st: st.accepted(),
            observes=("notice", "deliver", "outcome"),
        ),
        Obligation(
            "BOL6/next-tick-silent",
            FAMILY,
            "safety",
            ("BOL-6",),
            "After an accepted CancelBolus that stops every running bolus, the next minute commands no bolus pulse.",
            _cancel_then_tick,
            ("deliver", "outcome"),
            (),
            "CancelBolus",
        ),
        witness_on_step(
            "NV/bolus-cancel-running",
            FAMILY,
            "A CancelBolus can stop a running normal bolus.",
            "CancelBolus",
            lambda st: z3.And(st.accepted(), st.before.bolus.remaining_pulses > 0),
            ("BOL-6",),
        ),
        on_step(
            "SEC2/remote-off-refused",
            FAMILY,
            ("SEC-2",),
            "With remote bolus switched off, a remote bolus request is refused (REMOTE_BOLUS_DISABLED unless form, "
            "tick, mode or memory refused it first) and starts nothing.",
            BOLUS,
            lambda st: z3.And(starts_nothing(st), reason_in(st, (*DONE_BEFORE_HANDLER, Reason.REMOTE_BOLUS_DISABLED))),
            premise=lambda st: z3.And(
                st.event.source == int(Source.REMOTE), z3.Not(boolean(st.before.settings.remote_bolus_enabled))
            ),
            observes=obs,
        ),
        Obligation(
            "SEC3/remote-as-user",
            FAMILY,
            "safety",
            ("SEC-3",),
            "From the same state, a bolus request from the remote (switched on) gets the user's outcome, motor "
            "command and announcement: the same checks whatever the source.",
            _same_as(int(Source.REMOTE), controller=False),
            ("outcome", "deliver", "notice"),
            (),
            BOLUS,
        ),
        Obligation(
            "SEC3/controller-no-looser",
            FAMILY,
            "safety",
            ("SEC-3",),
            "From the same state, a controller's bolus request is accepted only if the user's would be, with the same "
            "announcement: a controller only meets more checks.",
            _same_as(int(Source.CONTROLLER), controller=True),
            ("outcome", "notice"),
            (),
            BOLUS,
        ),
    ]
    return result + ghost_obligations(ACCOUNT, EVENT_NAMES)


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "W-BOL-MAX-BOLUS",
        FAMILY,
        "The max-bolus guard is dropped: a request above max bolus can be accepted.",
        ("BOL-1",),
        (drop_check(ev.BolusRequest, Reason.ABOVE_MAX_BOLUS),),
        ("BOL1/above-max-refused",),
    ),
    Weakening(
        "W-BOL-TRUNCATE",
        FAMILY,
        "An accepted immediate part is silently cut to one minute's worth.",
        ("BOL-1",),
        (
            rewrite_handler(
                ev.BolusRequest,
                "logic.ite(has_imm, imm, b.remaining_pulses)",
                "logic.ite(has_imm, logic.min(imm, c.bolus_pulses_per_tick), b.remaining_pulses)",
            ),
        ),
        ("GHOST-CONS/BOLUS-ACCOUNT/BolusRequest",),
    ),
    Weakening(
        "W-BOL-UNANNOUNCED",
        FAMILY,
        "A bolus starts without its BOLUS_STARTED notice.",
        ("SEC-2",),
        (("kernel.bolus", "notice", lambda _original: lambda fx, *rest: fx),),
        ("BOL1/accepted-announced", "GHOST-CONS/BOLUS-ACCOUNT/BolusRequest"),
    ),
    Weakening(
        "W-BOL-EXTENDED-DURATION",
        FAMILY,
        "The extended duration check is dropped.",
        ("BOL-2",),
        (drop_check(ev.BolusRequest, Reason.EXTENDED_DURATION),),
        ("BOL2/extended-shape",),
    ),
    Weakening(
        "W-BOL-SPEED-PER-PART",
        FAMILY,
        "The speed bounds each part alone: the normal bolus uses the whole speed next to the extended part.",
        ("BOL-3",),
        (rewrite("kernel.tick", "_deliver", "c.bolus_pulses_per_tick - ext_want", "c.bolus_pulses_per_tick"),),
        ("BOL3/speed",),
    ),
    Weakening(
        "W-BOL-CONCURRENCY",
        FAMILY,
        "A second immediate bolus is accepted while one runs (it replaces the first).",
        ("BOL-4",),
        (drop_check(ev.BolusRequest, Reason.BOLUS_IN_PROGRESS),),
        ("BOL4/normal-while-normal",),
    ),
    Weakening(
        "W-BOL-CANCEL-IGNORED",
        FAMILY,
        "CancelBolus is accepted and does nothing.",
        ("BOL-6",),
        (handler_ignored(ev.CancelBolus),),
        ("BOL6/next-tick-silent", "BOL6/cancel-reports"),
    ),
    Weakening(
        "W-BOL-REMOTE-SWITCH",
        FAMILY,
        "The remote-bolus switch is ignored.",
        ("SEC-2",),
        (drop_check(ev.BolusRequest, Reason.REMOTE_BOLUS_DISABLED),),
        ("SEC2/remote-off-refused",),
    ),
    Weakening(
        "W-BOL-REMOTE-HOURLY",
        FAMILY,
        "The hourly-room check of a bolus request is skipped for the remote.",
        ("SEC-3",),
        (drop_check(ev.BolusRequest, Reason.HOURLY_LIMIT, only_source=int(Source.REMOTE)),),
        ("SEC3/remote-as-user",),
    ),
)

SCOPE: dict[str, str] = {
    "U-2": "Boluses: requested and commanded in whole pulses; every pulse announced is commanded once or reported "
    "not delivered when the bolus ends (BOLUS-ACCOUNT), so none is lost silently or commanded twice; the even "
    "spreading of an extended part is tested only (BOL-2).",
    "BOL-1": "Proved over the step's outcome, BOLUS_STARTED and bolus pulses commanded. The user interface "
    "showing the refusal's reason is the adapter's part (tested).",
    "BOL-2": "Proved: accepted durations lie in the configured range; the 15 min..8 h range itself is a clinical "
    "configuration rule (checked by config_problems, not assumed by the proofs). The even spreading of the "
    "extended part over its duration is tested only (tests/test_bolus.py); its limits are the limits family's.",
    "BOL-3": "Proved per minute over Deliver.bolus_pulses; the motor's mechanical speed within a minute is the "
    "motor adapter's part.",
    "BOL-4": "Proved for the kernel's rule (one immediate and one extended at a time); 'a bolus runs' is read from "
    "the state, which BOLUS-ACCOUNT ties to what was announced and not reported ended.",
    "BOL-6": "Proved for the next minute after an accepted cancellation that covers every running bolus, and the "
    "report's amounts against the state's bolus record (BOLUS-ACCOUNT ties those to emitted commands).",
    "SEC-2": "Proved for the switch and the announcement; authentication of the remote channel is SEC-1 "
    "(adapters, tested).",
    "SEC-3": "Proved for bolus requests (remote vs user, controller vs user). Temp basals and other sourced events "
    "are other families'.",
}
