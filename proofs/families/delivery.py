"""Delivery integrity and occlusion: proofs over the motor commands, alarms and notices (DLV-1..3, OCC-1..4, LIM-5).

Theory of operation
-------------------
Every obligation here is about what the pump emits, judged against the
delivery ledger (``proofs.families.ledger``): a ghost kept from the emitted
commands and accepted events only, through the reference specs of
``specs.reference_delivery``.  ``GHOST-INIT/ledger`` and
``GHOST-CONS/ledger/<Event>`` (every event class) prove that the kernel's
state refines the ledger in every reachable state; the goals below then hold
for every event sequence from a new pump, every structurally valid
configuration, and every state satisfying the invariants.

* DLV-1-SEQ/<E> (Tick, PrimeTubing, FillCannula, the only events that may
  move the motor): a ``Deliver`` carries the last emitted sequence number
  plus one.  DLV-1-ONE/<E>: no ``Deliver`` while the previous one is
  unanswered (so none while delivery is uncertain: DLV-2).
* DLV-2-BOLUS, DLV-2-CONTROLLER: while a command has gone a tick
  unanswered, a bolus request, and a temp basal from the controller, take
  no effect (refused, or a repeated request ID answered again, BOL-5).
  DLV-2-ASSUMED (also DLV-4): when the adapter has not answered within its timeout
  the pulses are announced as assumed delivered (the notice names them),
  the motor-fault alarm is raised and nothing is commanded.  That
  unanswered and short pulses count as delivered is the ledger itself: its
  reservoir level drops when pulses are commanded and a short report never
  credits them back (RES-1 goals in ``proofs.families.reservoir``).
* DLV-3-STOP/<E>: after a motor fault (reported, or a command timed out:
  DLV-4) nothing is commanded until a rewind;
  DLV-3-ALARM: the report of a fault (a fault code or over-delivery)
  announces the motor-fault alarm at once (or it is already showing).
* OCC-1: the report that completes the occlusion evidence (per the
  reference, without a simultaneous fault) announces the occlusion alarm in
  that same step (or it is already showing): zero ticks of delay.
* OCC-2-STOP/<E>: while occluded nothing is commanded.  OCC-2-BOLUS,
  OCC-2-EXTENDED: a running bolus is ended by the occlusion with a notice
  of what was and was not delivered.
* OCC-3-BOLUS: after an occlusion no bolus pulse is commanded until a new
  bolus request is accepted (nothing missed is re-delivered);
  OCC-3-BASAL: no tick commands more basal than one minute at the maximum
  basal rate plus the carried fraction of a pulse, so missed basal never
  comes back as a burst.
* OCC-4: the ledger leaves ``occ`` only on an accepted ``ClearLine`` or
  ``Rewind`` (buttons: a person), so the consecution obligations prove that
  no other event class ends an occlusion; OCC-4-RESUME: ``Resume`` is
  refused while occluded.  OCC-4-WITNESS: clearing the line is possible.
* LIM-5-REPORT (refinement, observes nothing): a motor report never lowers
  any window or IOB bucket; the limits family's ghost turns that into the
  observable bound.

Assumed beyond the configuration rules and the invariants: nothing.
Alarm goals accept "already showing" (status ``ACTIVE`` before the step): an
active alarm is not announced twice (ALM-3).
"""

from __future__ import annotations

from typing import Any

import z3

from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import NoticeKind
from kernel.events import Source
from kernel.modes import Condition, Mode
from proofs.builders import ghost_obligations, ghost_step_goal, on_step, witness_on_step
from proofs.context import Context, Step
from proofs.families import delivery_defects as defects
from proofs.families.ledger import FAMILY, LEDGER, Ledger, deliver_seq, report_evidence
from proofs.framework import Obligation
from proofs.weakening import Weakening
from specs.reference_delivery import ack_times_out, motor_fault_reported
from specs.z3_logic import Z3 as L

MOTOR_EVENTS = ("Tick", "PrimeTubing", "FillCannula")
"""The event classes whose handlers may emit a ``Deliver``."""

ACC_UNITS_PER_PULSE = 6000
"""Basal accumulates in hundredths of a pulse per hour per minute: 100 x 60 per pulse (U-2)."""


def shown_or_active(st: Step, kind: AlarmKind) -> Any:
    """The alarm is announced by this step, or was already active (announced, not yet acknowledged)."""
    return z3.Or(st.announces(kind), st.before.alarms[kind] == AlarmStatus.ACTIVE)


def _report_faulted(ctx: Context, st: Step, g: Ledger) -> Any:
    e = st.event
    return motor_fault_reported(g.out, e.displaced_pulses, e.fault, L)


def _occlusion_completes(ctx: Context, st: Step, g: Ledger) -> Any:
    return z3.And(st.accepted(), report_evidence(ctx, st, g)[2])


def _ended_with_notice(kind: NoticeKind, delivered: str, remaining: str) -> Any:
    def goal(ctx: Context, st: Step, g: Ledger) -> Any:
        shown, a, b, _ = st.notice(kind)
        b0 = st.before.bolus
        return z3.And(shown, a == getattr(b0, delivered), b == getattr(b0, remaining))

    return goal


def _per_motor_event() -> list[Obligation]:
    obs: list[Obligation] = []
    for name in MOTOR_EVENTS:
        obs += [
            ghost_step_goal(
                f"DLV-1-SEQ/{name}",
                LEDGER,
                f"A Deliver emitted on {name} carries the last emitted sequence number plus one.",
                name,
                lambda ctx, st, g: z3.Implies(st.moves_motor(), deliver_seq(st) == g.seq + 1),
                requirements=("DLV-1",),
                observes=("deliver",),
            ),
            ghost_step_goal(
                f"DLV-1-ONE/{name}",
                LEDGER,
                f"No Deliver on {name} while the previous one is unanswered (nor while delivery is uncertain).",
                name,
                lambda ctx, st, g: z3.Implies(g.out > 0, z3.Not(st.moves_motor())),
                requirements=("DLV-1", "DLV-2"),
                observes=("deliver",),
            ),
            ghost_step_goal(
                f"DLV-3-STOP/{name}",
                LEDGER,
                f"After a motor fault, and until a rewind, {name} commands nothing.",
                name,
                lambda ctx, st, g: z3.Implies(g.fault, z3.Not(st.moves_motor())),
                requirements=("DLV-3", "DLV-4"),
                observes=("deliver",),
            ),
            ghost_step_goal(
                f"OCC-2-STOP/{name}",
                LEDGER,
                f"While occluded (until the line is cleared or the reservoir changed), {name} commands nothing.",
                name,
                lambda ctx, st, g: z3.Implies(g.occ, z3.Not(st.moves_motor())),
                requirements=("OCC-2", "OCC-4"),
                observes=("deliver",),
            ),
        ]
    return obs


def obligations() -> list[Obligation]:
    obs = ghost_obligations(LEDGER) + _per_motor_event()
    obs += [
        ghost_step_goal(
            "DLV-2-BOLUS",
            LEDGER,
            "While a command has gone a tick unanswered (delivery uncertain), no bolus request takes effect "
            "(refused, or a repeated request ID answered again without effect, BOL-5).",
            "BolusRequest",
            lambda ctx, st, g: z3.Not(st.accepted()),
            premise=lambda ctx, st, g: g.unc,
            requirements=("DLV-2",),
            observes=("outcome",),
        ),
        ghost_step_goal(
            "DLV-2-CONTROLLER",
            LEDGER,
            "While delivery is uncertain, no temp basal sent by the automated controller takes effect.",
            "TempBasal",
            lambda ctx, st, g: z3.Not(st.accepted()),
            premise=lambda ctx, st, g: z3.And(g.unc, st.event.source == Source.CONTROLLER),
            requirements=("DLV-2",),
            observes=("outcome",),
        ),
        ghost_step_goal(
            "DLV-2-ASSUMED",
            LEDGER,
            "A tick on which an unanswered command times out says its pulses are assumed delivered (notice with "
            "that count), raises the motor-fault alarm (or it is showing) and commands nothing.",
            "Tick",
            lambda ctx, st, g: z3.And(
                st.notice(NoticeKind.DELIVERY_ASSUMED)[0],
                st.notice(NoticeKind.DELIVERY_ASSUMED)[1] == g.out,
                shown_or_active(st, AlarmKind.MOTOR_FAULT),
                z3.Not(st.moves_motor()),
            ),
            premise=lambda ctx, st, g: z3.And(st.accepted(), ack_times_out(ctx.config, g.out, g.wait, L)),
            requirements=("DLV-2", "DLV-3", "DLV-4"),
            observes=("deliver", "alarm", "notice"),
        ),
        ghost_step_goal(
            "DLV-3-ALARM",
            LEDGER,
            "An accepted motor report of a fault (fault code or over-delivery) announces the motor-fault alarm "
            "in that step (or it is already showing).",
            "MotorReport",
            lambda ctx, st, g: shown_or_active(st, AlarmKind.MOTOR_FAULT),
            premise=lambda ctx, st, g: z3.And(st.accepted(), _report_faulted(ctx, st, g)),
            requirements=("DLV-3",),
            observes=("alarm",),
        ),
        ghost_step_goal(
            "OCC-1",
            LEDGER,
            "The motor report that completes the occlusion evidence (pressure run or undisplaced pulses, per the "
            "reference) without a motor fault announces the occlusion alarm in that step (or it is showing).",
            "MotorReport",
            lambda ctx, st, g: shown_or_active(st, AlarmKind.OCCLUSION),
            premise=lambda ctx, st, g: z3.And(_occlusion_completes(ctx, st, g), z3.Not(_report_faulted(ctx, st, g))),
            requirements=("OCC-1",),
            observes=("alarm",),
        ),
        ghost_step_goal(
            "OCC-2-BOLUS",
            LEDGER,
            "A normal bolus running when the occlusion is detected ends in that step with a notice of the pulses "
            "delivered and not delivered.",
            "MotorReport",
            _ended_with_notice(NoticeKind.BOLUS_ENDED, "delivered_pulses", "remaining_pulses"),
            premise=lambda ctx, st, g: z3.And(_occlusion_completes(ctx, st, g), st.before.bolus.remaining_pulses > 0),
            requirements=("OCC-2",),
            observes=("notice",),
        ),
        ghost_step_goal(
            "OCC-2-EXTENDED",
            LEDGER,
            "An extended bolus running when the occlusion is detected ends in that step with a notice of the "
            "pulses delivered and not delivered.",
            "MotorReport",
            _ended_with_notice(NoticeKind.EXTENDED_ENDED, "ext_delivered_pulses", "ext_remaining_pulses"),
            premise=lambda ctx, st, g: z3.And(
                _occlusion_completes(ctx, st, g), st.before.bolus.ext_remaining_pulses > 0
            ),
            requirements=("OCC-2",),
            observes=("notice",),
        ),
        ghost_step_goal(
            "OCC-3-BOLUS",
            LEDGER,
            "After an occlusion, no tick commands a bolus pulse until a new bolus request is accepted.",
            "Tick",
            lambda ctx, st, g: st.bolus_pulses() == 0,
            premise=lambda ctx, st, g: g.nobolus,
            requirements=("OCC-3",),
            observes=("deliver",),
        ),
        on_step(
            "OCC-3-BASAL",
            FAMILY,
            ("OCC-3",),
            "No tick commands more basal than one minute at the maximum basal rate plus less than one carried "
            "pulse: basal missed while stopped never comes back as a burst.",
            "Tick",
            lambda st: (
                st.basal_pulses() * ACC_UNITS_PER_PULSE
                <= ACC_UNITS_PER_PULSE - 1 + st.before.settings.max_basal_pph * 100
            ),
            observes=("deliver",),
        ),
        ghost_step_goal(
            "OCC-4-RESUME",
            LEDGER,
            "While occluded, Resume is refused: only clearing the line (then priming) or a reservoir change "
            "leaves the occlusion.",
            "Resume",
            lambda ctx, st, g: st.refused(),
            premise=lambda ctx, st, g: g.occ,
            requirements=("OCC-4",),
            observes=("outcome",),
        ),
        witness_on_step(
            "OCC-4-WITNESS",
            FAMILY,
            "Some accepted ClearLine leaves an occlusion (the way out exists).",
            "ClearLine",
            lambda st: z3.And(st.before.mode == Mode.OCCLUDED, st.accepted()),
            ("OCC-4",),
        ),
        witness_on_step(
            "DLV-1-WITNESS",
            FAMILY,
            "Some tick commands therapy pulses (the sequence goals are not vacuous).",
            "Tick",
            lambda st: st.therapy_pulses() > 0,
            ("DLV-1",),
        ),
        on_step(
            "LIM-5-REPORT",
            FAMILY,
            ("LIM-5",),
            "A motor report, short or not, never lowers any hour, day or IOB bucket: pulses commanded stay counted "
            "(refinement: the limits family's ghost makes it observable).",
            "MotorReport",
            _windows_never_lowered,
        ),
    ]
    return obs


def _windows_never_lowered(st: Step) -> Any:
    w0, w1 = st.before.windows, st.after.windows
    pairs = [
        (w0.hour_now_pulses, w1.hour_now_pulses),
        (w0.day_now_pulses, w1.day_now_pulses),
        (w0.iob_now_pulses, w1.iob_now_pulses),
        *zip(w0.hour_past_pulses, w1.hour_past_pulses, strict=True),
        *zip(w0.day_past_pulses, w1.day_past_pulses, strict=True),
        *zip(w0.iob_past_pulses, w1.iob_past_pulses, strict=True),
    ]
    return z3.And(*(after >= before for before, after in pairs))


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "W-DLV1-SEQ-KEPT",
        FAMILY,
        "The sequence number is not incremented in the state after a delivery: the next Deliver repeats it.",
        ("DLV-1",),
        (("kernel.tick", "_new", defects.seq_kept),),
        ("GHOST-CONS/ledger/Tick",),
    ),
    Weakening(
        "W-DLV2-UNANSWERED",
        FAMILY,
        "The motor is taken as ready whatever is pending or uncertain: commands while one is unanswered.",
        ("DLV-1", "DLV-2"),
        (("kernel.tick", "motor_ready", lambda orig: lambda m, logic: True),),
        ("DLV-1-ONE/Tick",),
    ),
    Weakening(
        "W-DLV2-NO-TIMEOUT",
        FAMILY,
        "The watchdog never gives up on an unanswered command (no assumed delivery, no alarm).",
        ("DLV-2", "DLV-4"),
        (("kernel.tick", "watchdog", defects.no_timeout),),
        ("DLV-2-ASSUMED",),
    ),
    Weakening(
        "W-DLV4-NO-STOP",
        FAMILY,
        "A timed-out command is announced as assumed delivered, but the pump neither stops nor alarms.",
        ("DLV-4",),
        (("kernel.tick", "watchdog", defects.timeout_without_stop),),
        ("DLV-2-ASSUMED", "DLV-3-STOP/"),
    ),
    Weakening(
        "W-DLV3-FAULT-IGNORED",
        FAMILY,
        "A motor report's fault never stops delivery nor alarms.",
        ("DLV-3",),
        (("kernel.core", "HANDLERS", defects.drop_edge(Condition.MOTOR_FAILED)),),
        ("DLV-3-ALARM", "GHOST-CONS/ledger/MotorReport"),
    ),
    Weakening(
        "W-OCC1-EVIDENCE-IGNORED",
        FAMILY,
        "Completed occlusion evidence is ignored: no occlusion is raised.",
        ("OCC-1", "OCC-2"),
        (("kernel.core", "HANDLERS", defects.drop_edge(Condition.LINE_OCCLUDED)),),
        ("OCC-1", "GHOST-CONS/ledger/MotorReport"),
    ),
    Weakening(
        "W-OCC2-BOLUS-KEPT",
        FAMILY,
        "Stopping tells the user the bolus ended but keeps it running (it resumes after the occlusion).",
        ("OCC-2", "OCC-3"),
        (("kernel.conditions", "end_bolus", defects.keep_bolus),),
        ("GHOST-CONS/ledger/MotorReport", "OCC-2-BOLUS"),
    ),
    Weakening(
        "W-OCC4-ANY-EVENT",
        FAMILY,
        "An occlusion is left by Resume (no cleared line, no priming).",
        ("OCC-4",),
        (("kernel.modes", "_EVENT_ROWS", defects.resume_from_occluded),),
        ("OCC-4-RESUME", "GHOST-CONS/ledger/Resume"),
    ),
    Weakening(
        "W-LIM5-REPORT-FORGIVES",
        FAMILY,
        "A motor report takes a pulse off the hour window (uncertain or short delivery not counted).",
        ("LIM-5",),
        (("kernel.motor", "record_excess", defects.report_forgives),),
        ("LIM-5-REPORT",),
    ),
)

SCOPE: dict[str, str] = {
    "DLV-1": "Write-ahead intent is the shell's: the kernel's part (the Deliver is in the returned state before it "
    "is sent) is proved; persisting the state before sending is the adapters' (tested in tests/adapters).",
    "DLV-2": "Read-back of an uncertain command is the motor adapter's (tested); the kernel's refusals, no "
    "command while uncertain and the timeout's assumed delivery are proved.",
    "DLV-4": "Proved over the tick on which the command times out (notice of the pulses assumed delivered, the "
    "ledger's count of them, motor-fault alarm, nothing commanded: DLV-2-ASSUMED) and every step after it until a "
    "rewind, the start of a reservoir change (DLV-3-STOP/<E>); the reservoir counts them as delivered (the "
    "ledger, RES-1). The timeout's length is the configuration's motor_ack_timeout_ticks.",
    "DLV-3": "Detecting a stall or encoder mismatch is the adapter's; the kernel's response to the reported fault "
    "is proved.",
    "OCC-1": "The pressure and displacement samples come from the adapter (tested). A report that completes the "
    "evidence and shows a fault at once raises the motor-fault alarm instead (the stronger stop).",
    "OCC-2": "The notice's values are read from the bolus record (bookkeeping) rather than from a ghost of "
    "commanded bolus pulses.",
    "OCC-3": "Basal: bounded per tick (no burst); that basal does not accrue while stopped is the basal family's "
    "BAS-2 accounting and the invariant INV-BASAL-EXACT.",
    "LIM-5": "Only the motor-report side: the report never lowers a window (refinement). The observable window "
    "bound over commanded pulses is the limits family's.",
}
