"""Alarm burden (issue 18): an alarm is repeated, not raised again, and LOW_GLUCOSE_SUSPEND is for measured lows.

Theory of operation
-------------------
Ghost ``REPEAT`` follows the repetition of unacknowledged alarms from what
the steps emit, beside ghost ``ALARMS`` (``proofs.families.alarms``: which
kinds are announced and not acknowledged since).  It has two numbers:

* the *minutes since the last announcement*: 0 after a step that emits any
  ``Alarm`` command, one more after every other accepted tick;
* the *repetition count* of the reference ``specs.reference_safety``: one
  more, at most 3, after a step that announces only unacknowledged ones
  again (a repetition), unchanged by a step that announces a *new* alarm (a
  kind not announced-and-unacknowledged before the step, or acknowledged by
  the step itself and raised again by its condition), and 0 once no alarm
  that needs a person (high or medium priority) waits.

``GHOST-CONS/REPEAT/<Event>`` proves, with ``ALARMS`` as a hypothesis (it is
proved inductive on its own), that while some alarm is unacknowledged the
kernel's countdown is ``alarm_repeat_ticks`` minus those minutes and its
count is the reference's (only alarms that need a person count as waiting).
Obligations over what the step emits:

* ``ALM-REPEAT-DUE`` (ALM-1, ALM-3): while some high or medium alarm is
  announced and unacknowledged, the tick that reaches ``alarm_repeat_ticks``
  minutes since the last announcement announces again: every such alarm, with a
  count of at least 1, unless that tick announces a new alarm (which starts
  the time again).  So an unacknowledged alarm is heard at least every
  ``alarm_repeat_ticks`` minutes while announcements of it are the only ones.
* ``ALM-REPEAT/<Event>`` (ALM-1, ALM-3): every ``Alarm`` command carries the
  reference count (a new alarm 0, a repetition the count); a low-priority
  alert is never repeated (announced again only with a new alarm); and a
  step announces only already-unacknowledged alarms (a repetition) only on
  an accepted tick at ``alarm_repeat_ticks`` minutes since the last
  announcement: never more often, never on another event, and never while no
  alarm is unacknowledged (then every announcement is new, with count 0).
* ``ALM-LGS-MEASURED/<Event>`` (SUS-2, SUS-3): a step announces
  LOW_GLUCOSE_SUSPEND as a new alarm only when the pump is in a low-glucose
  suspension after it (ghost ``LGS`` of ``proofs.families.suspend``) and the
  reference's last valid reading (``GLU``) is fresh and at or below the
  threshold, confirmed (the sensor's LOW or a second reading in a row at or
  below it): a predictive suspension alone is a mode change (an information
  signal), not an alarm that asks a person to act.

Assumes: the invariants, the structural rules, the ghosts' INIT/CONS.
Leaves out: how loud a repetition is (the shell's, from the count), and
ALM-5's measured alarm rate per patient-day (the simulation's): ALM-5 is not
named by these obligations, so its status stays what the simulation and the
tests give it (see ``SCOPE``).
"""

from __future__ import annotations

from typing import Any

import z3

from kernel.alarms import N_ALARMS, AlarmKind, AlarmStatus
from kernel.commands import CommandKind
from kernel.events import AlarmAck, Tick
from kernel.state import PumpState
from proofs.builders import EVENT_NAMES
from proofs.context import Context, Step, boolean
from proofs.families import safety_defects as defects
from proofs.families.alarms import ALARMS
from proofs.families.sensing import GLU, ghosts_step_goal, glucose_after
from proofs.families.suspend import LGS, lgs_after
from proofs.framework import Obligation, Query
from proofs.weakening import Weakening
from specs import reference_safety as rs
from specs.z3_logic import Z3Logic

FAMILY = "alarms"
Z = Z3Logic()
REQUIREMENTS = ("ALM-1", "ALM-3")


def _alarm_slots(st: Step) -> list[tuple[Any, Any, Any]]:
    """(present, kind, repeat count) of every ``Alarm`` command slot of the step."""
    return [(boolean(present), fields[0], fields[2]) for present, kind, fields in st.slots if kind == CommandKind.ALARM]


def _announced(st: Step) -> Any:
    return z3.Or(z3.BoolVal(False), *(present for present, _k, _r in _alarm_slots(st)))


def _acknowledged(st: Step, kind: int) -> Any:
    """The step is an accepted acknowledgement of ``kind``."""
    if not isinstance(st.event, AlarmAck):
        return z3.BoolVal(False)
    return z3.And(st.accepted(), st.event.alarm == kind)


def _new_alarm(st: Step, pending: tuple[Any, ...]) -> Any:
    """The step announces some kind that was not waiting for acknowledgement: not announced-and-unacknowledged
    before it, or acknowledged by this very step (then its condition arose afresh)."""
    return z3.Or(*(z3.And(st.announces(k), z3.Or(z3.Not(pending[k]), _acknowledged(st, k))) for k in range(N_ALARMS)))


def _ticked(st: Step) -> Any:
    return z3.And(z3.BoolVal(isinstance(st.event, Tick)), st.accepted())


def _waiting(pending: tuple[Any, ...]) -> Any:
    """Some alarm that needs a person (high or medium priority) is announced and unacknowledged."""
    return z3.Or(*(pending[k] for k in rs.PERSON_KINDS))


def _repeat_after(ctx: Context, st: Step, g: tuple[Any, Any], pending: tuple[Any, ...]) -> tuple[Any, Any]:
    minutes, count = g
    announced = _announced(st)
    new = _new_alarm(st, pending)
    minutes_after = z3.If(announced, 0, z3.If(_ticked(st), minutes + 1, minutes))
    waiting_after = _waiting(ALARMS.update(ctx, st, pending))
    return minutes_after, rs.repeat_count_after(count, waiting_after, z3.And(announced, z3.Not(new)), Z)


def _repeat_holds(ctx: Context, s: PumpState, g: tuple[Any, Any]) -> Any:
    minutes, count = g
    t = s.timers
    period = ctx.config.alarm_repeat_ticks
    waiting = z3.Or(*(s.alarms[k] == AlarmStatus.ACTIVE for k in rs.PERSON_KINDS))
    return z3.If(
        waiting,
        z3.And(
            minutes >= 0,
            minutes < period,
            t.alarm_repeat_countdown_ticks == period - minutes,
            t.alarm_repeats == count,
        ),
        count == 0,
    )


def _fresh_repeat(prefix: str) -> tuple[Any, Any]:
    return z3.Int(f"{prefix}_minutes"), z3.Int(f"{prefix}_count")


REPEAT_STATEMENT = (
    "while an alarm that needs a person is unacknowledged, the kernel's repetition countdown is alarm_repeat_ticks "
    "minus the minutes since the last announcement, and its count is the reference's (0 while none waits)"
)


def _init(ctx: Context) -> Query:
    s0 = ctx.initial_state()
    g = _fresh_repeat("g0_REPEAT")
    return Query(ctx.config_hypotheses(), [g[0] == 0, g[1] == 0], boolean(_repeat_holds(ctx, s0, g)))


def _with_repeat(event: str, goal: Any, premise: Any = None) -> Any:
    """A step query under the invariants, ALARMS and REPEAT; ``goal``/``premise`` take (ctx, st, pending, g)."""

    def build(ctx: Context) -> Query:
        st = ctx.step(event)
        pending = ALARMS.fresh("gs_ALARMS")
        g = _fresh_repeat("gs_REPEAT")
        hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(st.before)
        hyps.append(("GHOST:ALARMS", boolean(ALARMS.holds(ctx, st.before, pending))))
        hyps.append(("GHOST:REPEAT", boolean(_repeat_holds(ctx, st.before, g))))
        conclusion = boolean(goal(ctx, st, pending, g))
        if premise is None:
            return Query(hyps, list(st.definitions), conclusion, step=st)
        condition = boolean(premise(ctx, st, pending, g))
        return Query(hyps, list(st.definitions), z3.Implies(condition, conclusion), premise=condition, step=st)

    return build


def _repeat_consecution(ctx: Context, st: Step, pending: tuple[Any, ...], g: tuple[Any, Any]) -> Any:
    return _repeat_holds(ctx, st.after, _repeat_after(ctx, st, g, pending))


def _due_premise(ctx: Context, st: Step, pending: tuple[Any, ...], g: tuple[Any, Any]) -> Any:
    waiting = _waiting(pending)
    return z3.And(_ticked(st), waiting, boolean(rs.repetition_due(g[0] + 1, ctx.config.alarm_repeat_ticks)))


def _due_goal(ctx: Context, st: Step, pending: tuple[Any, ...], g: tuple[Any, Any]) -> Any:
    repeated = z3.And(
        *(z3.Implies(pending[k], st.announces(k)) for k in rs.PERSON_KINDS),
        *(z3.Implies(present, count >= 1) for present, _k, count in _alarm_slots(st)),
    )
    return z3.Or(_new_alarm(st, pending), repeated)


def _rule_goal(ctx: Context, st: Step, pending: tuple[Any, ...], g: tuple[Any, Any]) -> Any:
    _minutes, count_after = _repeat_after(ctx, st, g, pending)
    new = _new_alarm(st, pending)
    repetition = z3.And(_announced(st), z3.Not(new))
    due = z3.And(_ticked(st), boolean(rs.repetition_due(g[0] + 1, ctx.config.alarm_repeat_ticks)))
    signal = rs.repeat_signal(count_after, new, Z)
    low_kinds = [k for k in range(N_ALARMS) if k not in rs.PERSON_KINDS]
    return z3.And(
        *(z3.Implies(present, count == signal) for present, _k, count in _alarm_slots(st)),
        z3.Implies(repetition, due),
        # A low-priority alert is never repeated: announced only as part of a new announcement.
        *(z3.Implies(z3.And(st.announces(k), pending[k], z3.Not(_acknowledged(st, k))), new) for k in low_kinds),
    )


def _lgs_alarm_goal(ctx: Context, st: Step, gs: tuple[Any, ...]) -> Any:
    glucose, pending, lgs = gs
    kind = AlarmKind.LOW_GLUCOSE_SUSPEND
    suspended_after = lgs_after(ctx, st, lgs)[0]
    low = rs.measured_low(ctx.config, st.after.settings, glucose_after(ctx, st, glucose), st.event.tick, Z)
    new = z3.And(st.announces(kind), z3.Or(z3.Not(pending[kind]), _acknowledged(st, kind)))
    return z3.Implies(new, z3.And(suspended_after, boolean(low)))


def obligations() -> list[Obligation]:
    observes = ("alarm", "outcome")
    obs = [Obligation("GHOST-INIT/REPEAT", FAMILY, "initiation", REQUIREMENTS, f"Initially: {REPEAT_STATEMENT}", _init)]
    obs += [
        Obligation(
            f"GHOST-CONS/REPEAT/{name}",
            FAMILY,
            "consecution",
            REQUIREMENTS,
            f"After every {name}: {REPEAT_STATEMENT}",
            _with_repeat(name, _repeat_consecution),
            observes,
            ("ghost ALARMS (proved inductive by its own GHOST-INIT/CONS)",),
            name,
        )
        for name in EVENT_NAMES
    ]
    obs.append(
        Obligation(
            "ALM-REPEAT-DUE",
            FAMILY,
            "safety",
            REQUIREMENTS,
            "While some alarm is announced and unacknowledged, the tick at alarm_repeat_ticks minutes since the last "
            "announcement announces every unacknowledged alarm again with a count of at least 1, unless it "
            "announces a new alarm.",
            _with_repeat("Tick", _due_goal, _due_premise),
            observes,
            ("ghosts ALARMS and REPEAT (proved inductive by their GHOST-INIT/CONS)",),
            "Tick",
        )
    )
    obs += [
        Obligation(
            f"ALM-REPEAT/{name}",
            FAMILY,
            "safety",
            REQUIREMENTS,
            f"Every Alarm command of a {name} carries the reference repetition count (0 for a new alarm, the n-th "
            "repetition since min(n, 3)); announcing only unacknowledged alarms (a repetition) happens only on a "
            "tick at alarm_repeat_ticks minutes since the last announcement.",
            _with_repeat(name, _rule_goal),
            observes,
            ("ghosts ALARMS and REPEAT (proved inductive by their GHOST-INIT/CONS)",),
            name,
        )
        for name in EVENT_NAMES
    ]
    obs += [
        ghosts_step_goal(
            f"ALM-LGS-MEASURED/{name}",
            FAMILY,
            ("SUS-2", "SUS-3"),
            f"A {name} announces LOW_GLUCOSE_SUSPEND as a new alarm only when the pump is in a low-glucose "
            "suspension after it and the reference's last valid reading is fresh and at or below the threshold "
            "(a predictive suspension alone raises no alarm).",
            name,
            (GLU, ALARMS, LGS),
            _lgs_alarm_goal,
            observes=("alarm", "notice", "outcome"),
        )
        for name in EVENT_NAMES
    ]
    return obs


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "W-ALM-REPEAT-NEVER",
        FAMILY,
        "An unacknowledged alarm is never announced again (the countdown runs, nothing is repeated).",
        REQUIREMENTS,
        (("kernel.core", "repeat_unacknowledged", defects.repeat_never),),
        ("ALM-REPEAT-DUE",),
    ),
    Weakening(
        "W-ALM-REPEAT-ACKED",
        FAMILY,
        "Acknowledged alarms are repeated too: the repetition fires while no alarm is unacknowledged.",
        REQUIREMENTS,
        (("kernel.core", "repeat_unacknowledged", defects.repeat_acknowledged),),
        ("ALM-REPEAT/Tick", "GHOST-CONS/ALARMS/Tick"),
    ),
    Weakening(
        "W-ALM-REPEAT-COUNT-RESET",
        FAMILY,
        "A new alarm resets the repetition count: the escalation of an alarm still waiting falls back.",
        REQUIREMENTS,
        (("kernel.core", "repeat_unacknowledged", defects.repeat_count_reset),),
        ("GHOST-CONS/REPEAT/Tick", "ALM-REPEAT/", "GHOST-CONS/REPEAT/"),
    ),
    Weakening(
        "W-ALM-REPEAT-LOW-PRIORITY",
        FAMILY,
        "Low-priority alerts (awareness only) are repeated like alarms that need a person.",
        REQUIREMENTS,
        (("kernel.core", "repeat_unacknowledged", defects.repeat_low_priority),),
        ("ALM-REPEAT/Tick", "GHOST-CONS/REPEAT/Tick"),
    ),
    Weakening(
        "W-ALM-LGS-UNCONFIRMED",
        FAMILY,
        "LOW_GLUCOSE_SUSPEND is raised on a single reading at or below the threshold, without confirmation.",
        ("SUS-2",),
        (("kernel.core", "alarm_conditions", defects.alarm_unconfirmed),),
        ("ALM-LGS-MEASURED/",),
    ),
)

SCOPE: dict[str, str] = {
    "ALM-3": "Proved here: an unacknowledged alarm is announced again every alarm_repeat_ticks minutes (unless a "
    "new alarm is announced) with an escalation count, never more often; how loud each repetition sounds is "
    "the shell's.",
    "ALM-5": "Not named by any obligation: ALM-5 asks for a measured alarm rate per patient-day, which only the "
    "simulation gives. The rules that keep the burden down are proved under other IDs: repetition instead of "
    "new alarms (ALM-REPEAT-DUE, ALM-REPEAT/*: ALM-1, ALM-3) and LOW_GLUCOSE_SUSPEND only on a measured low "
    "(ALM-LGS-MEASURED/*, SUS-3-PREDICTED: SUS-2, SUS-3).",
}
