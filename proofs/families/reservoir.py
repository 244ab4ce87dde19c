"""The reservoir, priming and the infusion set: proofs over the motor commands and alarms (RES-1..4).

Theory of operation
-------------------
The reservoir level a regulator means is "what was filled, minus every pulse
commanded since": the ``res`` field of the delivery ledger
(``proofs.families.ledger``), a ghost kept from the emitted ``Deliver``
commands of every purpose (therapy, priming, cannula fill), the accepted
``FillReservoir`` and ``Rewind`` events and the over-delivery a motor report
shows.  Its consecution obligations (``GHOST-CONS/ledger/<Event>``, in the
delivery family) prove that the kernel's level is that ledger after every
event class: a kernel that commands pulses without drawing them, on any
path, fails there.  The goals:

* RES-1-ROOM/<E> (Tick, PrimeTubing, FillCannula): the pulses commanded in a
  step never exceed the reservoir's content per the ledger; RES-1-FILLED:
  what was commanded since the last fill never exceeds what was filled.
  RES-1-EMPTY: the tick that commands the last pulses raises the
  reservoir-empty alarm in that step (or it is showing).
* RES-2-LOW, RES-2-VERY-LOW: the tick whose commanded pulses take the level
  across the configured low level (5 U very-low level) announces the alert
  in that step when no bolus is left running (or it is already showing).
* RES-3-PRIME-MODE, RES-3-CANNULA-MODE: priming pulses are commanded only in
  the reservoir-change modes (tubing: filled or primed; cannula: primed);
  RES-3-TICK-THERAPY-ONLY: a tick commands therapy only, and only when the
  pump was delivering (or an automatic suspension ends on that tick); RES-3-PRIME-BOUND: the priming commanded since the
  last fill or cleared line stays within ``prime_max_pulses``;
  RES-3-NOT-COUNTED/<E> (refinement): priming and cannula fill leave every
  window and IOB bucket unchanged.
* RES-4-REMINDER: the tick on which the set in use reaches the reminder
  age announces the reminder (or it is showing); RES-4-HARD-STOP: from the
  tick the set reaches its maximum age no therapy is commanded.

Assumed beyond the configuration rules and the invariants: nothing.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import z3

from kernel.alarms import AlarmKind
from kernel.commands import Purpose
from kernel.modes import PRIMING_MODES, SET_IN_USE_MODES, Mode
from proofs.builders import ghost_goal, ghost_step_goal, on_step
from proofs.context import Context, Step
from proofs.families import delivery_defects as defects
from proofs.families.delivery import MOTOR_EVENTS, shown_or_active
from proofs.families.ledger import LEDGER, Ledger
from proofs.framework import Obligation
from proofs.weakening import Weakening
from specs.z3_logic import Z3 as L

FAMILY = "reservoir"

RES_LEDGER = dataclasses.replace(LEDGER, family=FAMILY)
"""The same ledger (its induction is in the delivery family); goals stated over it here belong to this family."""


def _crosses(level: Any) -> Any:
    def premise(ctx: Context, st: Step, g: Ledger) -> Any:
        threshold = level(ctx, st)
        after = g.res - st.commanded_pulses()
        return z3.And(
            st.accepted(),
            g.res > threshold,
            after <= threshold,
            st.after.bolus.remaining_pulses == 0,
            z3.Not(L.member(st.after.mode, PRIMING_MODES)),
        )

    return premise


def _windows_unchanged(st: Step) -> Any:
    w0, w1 = st.before.windows, st.after.windows
    return z3.And(
        w0.hour_total_pulses == w1.hour_total_pulses,
        w0.day_total_pulses == w1.day_total_pulses,
        w0.hour_now_pulses == w1.hour_now_pulses,
        w0.day_now_pulses == w1.day_now_pulses,
        w0.iob_now_pulses == w1.iob_now_pulses,
        *(a == b for a, b in zip(w0.iob_past_pulses, w1.iob_past_pulses, strict=True)),
    )


def obligations() -> list[Obligation]:
    obs: list[Obligation] = [
        ghost_step_goal(
            f"RES-1-ROOM/{name}",
            RES_LEDGER,
            f"The pulses {name} commands never exceed what the reservoir holds (fill minus everything commanded).",
            name,
            lambda ctx, st, g: st.commanded_pulses() <= g.res,
            requirements=("RES-1",),
            observes=("deliver",),
        )
        for name in MOTOR_EVENTS
    ]
    obs += [
        ghost_goal(
            "RES-1-FILLED",
            RES_LEDGER,
            "The pulses commanded since the last fill (all purposes, over-delivery included) never exceed it.",
            lambda ctx, s, g: g.res >= 0,
            requirements=("RES-1",),
            observes=("deliver",),
        ),
        ghost_step_goal(
            "RES-1-EMPTY",
            RES_LEDGER,
            "The tick that commands the reservoir's last pulses raises the reservoir-empty alarm at once.",
            "Tick",
            lambda ctx, st, g: shown_or_active(st, AlarmKind.RESERVOIR_EMPTY),
            premise=lambda ctx, st, g: z3.And(st.accepted(), g.res > 0, st.commanded_pulses() == g.res),
            requirements=("RES-1",),
            observes=("deliver", "alarm"),
        ),
        ghost_step_goal(
            "RES-2-LOW",
            RES_LEDGER,
            "The tick whose commands take the level to the configured low level or below announces the low "
            "reservoir alert (no bolus left running; otherwise it is deferred).",
            "Tick",
            lambda ctx, st, g: shown_or_active(st, AlarmKind.RESERVOIR_LOW),
            premise=_crosses(lambda ctx, st: st.before.settings.reservoir_low_pulses),
            requirements=("RES-2",),
            observes=("deliver", "alarm"),
        ),
        ghost_step_goal(
            "RES-2-VERY-LOW",
            RES_LEDGER,
            "The tick whose commands take the level to the fixed very-low level (5 U) or below announces the "
            "very-low alert (no bolus left running).",
            "Tick",
            lambda ctx, st, g: shown_or_active(st, AlarmKind.RESERVOIR_VERY_LOW),
            premise=_crosses(lambda ctx, st: ctx.config.reservoir_very_low_pulses),
            requirements=("RES-2",),
            observes=("deliver", "alarm"),
        ),
        on_step(
            "RES-3-PRIME-MODE",
            FAMILY,
            ("RES-3",),
            "Tubing priming is commanded only with a reservoir filled (modes FILLED, PRIMED), as priming only.",
            "PrimeTubing",
            lambda st: z3.Implies(
                st.moves_motor(),
                z3.And(L.member(st.before.mode, PRIMING_MODES), st.commanded(Purpose.PRIME) == st.commanded_pulses()),
            ),
            observes=("deliver",),
        ),
        on_step(
            "RES-3-CANNULA-MODE",
            FAMILY,
            ("RES-3",),
            "The cannula is filled only after the tubing is primed (mode PRIMED), as cannula fill only.",
            "FillCannula",
            lambda st: z3.Implies(
                st.moves_motor(),
                z3.And(st.before.mode == Mode.PRIMED, st.commanded(Purpose.CANNULA) == st.commanded_pulses()),
            ),
            observes=("deliver",),
        ),
        on_step(
            "RES-3-TICK-THERAPY-ONLY",
            FAMILY,
            ("RES-3",),
            "A tick commands therapy only, and only when the pump was delivering or its automatic suspension ends on "
            "that tick (SUS-4): never during a reservoir change.",
            "Tick",
            lambda st: z3.And(
                st.therapy_pulses() == st.commanded_pulses(),
                z3.Implies(st.moves_motor(), L.member(st.before.mode, (Mode.DELIVERING, Mode.LGS_SUSPENDED))),
            ),
            observes=("deliver",),
        ),
        ghost_step_goal(
            "RES-3-PRIME-BOUND",
            RES_LEDGER,
            "The tubing priming commanded since the last fill or cleared line stays within prime_max_pulses.",
            "PrimeTubing",
            lambda ctx, st, g: g.primed + st.commanded(Purpose.PRIME) <= ctx.config.prime_max_pulses,
            requirements=("RES-3",),
            observes=("deliver",),
        ),
        ghost_step_goal(
            "RES-4-REMINDER",
            RES_LEDGER,
            "The tick on which the set in use reaches the reminder age announces the set reminder (or it shows).",
            "Tick",
            lambda ctx, st, g: shown_or_active(st, AlarmKind.SET_REMINDER),
            premise=lambda ctx, st, g: z3.And(
                st.accepted(),
                g.age + 1 == st.before.settings.set_reminder_ticks,
                L.member(st.after.mode, SET_IN_USE_MODES),
            ),
            requirements=("RES-4",),
            observes=("alarm",),
        ),
        ghost_step_goal(
            "RES-4-HARD-STOP",
            RES_LEDGER,
            "From the tick the set reaches its maximum age, no therapy is commanded.",
            "Tick",
            lambda ctx, st, g: st.therapy_pulses() == 0,
            premise=lambda ctx, st, g: g.age + 1 >= st.before.settings.set_max_age_ticks,
            requirements=("RES-4",),
            observes=("deliver",),
        ),
    ]
    obs += [
        on_step(
            f"RES-3-NOT-COUNTED/{name}",
            FAMILY,
            ("RES-3",),
            f"{name} leaves every hour, day and IOB count unchanged: priming is never therapy (refinement).",
            name,
            _windows_unchanged,
        )
        for name in ("PrimeTubing", "FillCannula")
    ]
    return obs


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "W-RES1-NEVER-DRAWN",
        FAMILY,
        "Delivering pulses never decrements the reservoir (therapy and priming paths).",
        ("RES-1",),
        (("kernel.tick", "draw", defects.never_drawn), ("kernel.reservoir", "draw", defects.never_drawn)),
        ("GHOST-CONS/ledger/Tick", "GHOST-CONS/ledger/PrimeTubing"),
    ),
    Weakening(
        "W-RES1-PRIME-NOT-DRAWN",
        FAMILY,
        "Priming and cannula fill never decrement the reservoir.",
        ("RES-1", "RES-3"),
        (("kernel.reservoir", "draw", defects.never_drawn),),
        ("GHOST-CONS/ledger/PrimeTubing", "GHOST-CONS/ledger/FillCannula"),
    ),
    Weakening(
        "W-RES2-LOW-SILENT",
        FAMILY,
        "The low-reservoir alert's condition never holds.",
        ("RES-2",),
        (("kernel.core", "alarm_conditions", defects.alarm_never(AlarmKind.RESERVOIR_LOW)),),
        ("RES-2-LOW",),
    ),
    Weakening(
        "W-RES3-PRIME-WHILE-DELIVERING",
        FAMILY,
        "Priming is allowed while delivering therapy.",
        ("RES-3",),
        (("kernel.modes", "_EVENT_ROWS", defects.prime_while_delivering),),
        ("RES-3-PRIME-MODE",),
    ),
    Weakening(
        "W-RES4-REMINDER-SILENT",
        FAMILY,
        "The set reminder's condition never holds.",
        ("RES-4",),
        (("kernel.core", "alarm_conditions", defects.alarm_never(AlarmKind.SET_REMINDER)),),
        ("RES-4-REMINDER",),
    ),
)

SCOPE: dict[str, str] = {
    "RES-1": "The fill amount is what the adapter reports (FillReservoir.pulses); its truth is the adapter's.",
    "RES-2": "An alert deferred during a bolus or prime being shown when it ends is not yet a goal here (the alarm "
    "machine's table is exhaustive; tested in tests/test_alarms).",
    "RES-3": "The physical sequence (rewind before fill) is the mode table's; the proofs cover what is commanded "
    "in each mode and that priming is never counted as therapy (refinement for the windows).",
    "RES-4": "Set insertion is taken to be the cannula fill; the clock is the Tick events.",
}
