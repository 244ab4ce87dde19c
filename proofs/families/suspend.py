"""Suspend and low-glucose protection (SUS-1..4): what is commanded while suspended, and for how long.

Theory of operation
-------------------
Ghost ``SUSPEND`` has two flags computed from each step's event and outcome:
*suspended by the user* (set by an accepted ``Suspend``, cleared only by an
accepted ``Resume``) and *bolus stopped by suspend* (set by an accepted
``Suspend``, cleared only by an accepted ``BolusRequest``).  Ghost ``LGS``
follows an automatic suspension from the ``MODE_CHANGED`` notices: it starts
when a step announces the mode ``LGS_SUSPENDED``, ends when a step announces
leaving it, and counts the accepted ticks in between (minutes).

Obligations over what the step emits:

* ``SUS-1-NO-THERAPY`` (SUS-1): while suspended by the user, a tick commands
  no therapy pulse: from the Suspend on until an explicit Resume.
* ``SUS-1-NO-OLD-BOLUS`` (SUS-1, BOL-6): after a Suspend no bolus pulse is
  commanded until a new bolus request is accepted (a resume does not restart
  the stopped bolus); ``SUS-1-BOLUS-REPORTED``: the Suspend step reports the
  running bolus's undelivered pulses.
* ``SUS-2-STOPS`` (SUS-2): a tick at which LGS is on and the reference's last
  valid reading (``proofs.families.sensing.GLU``) is fresh and at or below the
  threshold commands no therapy and leaves the delivering mode; entering
  ``LGS_SUSPENDED`` on a confirmed low (the reference's ``measured_low``: the
  sensor's LOW or a second reading in a row at or below the threshold) it
  announces LOW_GLUCOSE_SUSPEND unless that alarm is still unacknowledged.
  Premise: the pump was delivering and not in the SUS-4 lockout after a
  resume (read from the kernel's lockout timer: assumed).
* ``SUS-3-PREDICTED`` (SUS-3): the same for the reference prediction: the
  newest reading within ``lgs_predict_band_mgdl`` above the threshold and the
  least-squares line through the last four valid in-range readings
  (``specs.reference_safety``) reaching threshold + margin 30 minutes ahead;
  the tick commands no therapy and leaves the delivering mode, and a
  predictive suspension without a measured low raises no new
  LOW_GLUCOSE_SUSPEND alarm (it is a mode change, not an alarm; one still
  unacknowledged from an earlier low may be repeated).  The converse, that no
  suspension starts outside the band or without the predicted or measured
  low, is ``proofs.families.sensing``'s ``SEN-1-LGS-START/*``.
* ``SUS-4-CAP`` and ``SUS-4-ENDS-AT-CAP`` (SUS-4): an automatic suspension has
  lasted less than the configured maximum (``lgs_max_ticks``; the clinical
  rule caps it at 2 h), and the tick at which it would reach it leaves the
  suspension.  ``SUS-4-EARLY/<Event>``: leaving it for delivery before the
  cap happens only by an accepted Resume, by LGS being switched off, or, once
  it has lasted ``lgs_min_ticks`` minutes (counted by ghost ``LGS`` from the
  notices), when the reference says glucose recovered: fresh, more than
  ``lgs_resume_margin_mgdl`` above the threshold (hysteresis) and HIGH or with
  a rising trend predicting more than threshold + margin + resume margin.
  ``SUS-4-RESUME-WITNESS``: some tick does end a suspension on recovery (the
  rule is not vacuous).

Leaves out: the suspend reminder's repetition (tested), the 30-minute
lockout after a manual resume (used as a premise, tested), what the user is
shown.
"""

from __future__ import annotations

from typing import Any

import z3

from kernel.alarms import AlarmKind
from kernel.commands import LgsEnd, NoticeKind
from kernel.events import BolusRequest, Resume, Suspend, Tick
from kernel.modes import Mode
from kernel.state import PumpState
from proofs.builders import EVENT_NAMES, Ghost, ghost_goal, ghost_obligations, ghost_step_goal, witness_on_step
from proofs.context import Context, Step, boolean
from proofs.families import safety_defects as defects
from proofs.families.alarms import ALARMS
from proofs.families.sensing import GLU, SETTLED, ghosts_step_goal, glucose_after
from proofs.framework import Obligation
from proofs.weakening import Weakening
from specs import reference_safety as rs
from specs.z3_logic import Z3Logic

FAMILY = "suspend"
Z = Z3Logic()


def _accepted(st: Step, cls: type) -> Any:
    return z3.And(z3.BoolVal(isinstance(st.event, cls)), st.accepted())


def _suspend_after(ctx: Context, st: Step, g: tuple[Any, Any]) -> tuple[Any, Any]:
    suspended = _accepted(st, Suspend)
    user = z3.If(suspended, True, z3.If(_accepted(st, Resume), False, g[0]))
    bolus = z3.If(suspended, True, z3.If(_accepted(st, BolusRequest), False, g[1]))
    return user, bolus


def _suspend_holds(ctx: Context, s: PumpState, g: tuple[Any, Any]) -> Any:
    b = s.bolus
    return z3.And(
        z3.Implies(g[0], z3.And(*(s.mode != m for m in (Mode.DELIVERING, Mode.LGS_SUSPENDED, Mode.AUTO_OFF)))),
        z3.Implies(g[1], z3.And(b.remaining_pulses == 0, b.ext_remaining_pulses == 0)),
    )


SUSPEND = Ghost(
    "SUSPEND",
    FAMILY,
    ("SUS-1",),
    "suspended by the user means not delivering; a bolus stopped by suspend stays stopped",
    lambda prefix: (z3.Bool(f"{prefix}_user"), z3.Bool(f"{prefix}_bolus")),
    lambda ctx, s0, g: z3.And(z3.Not(g[0]), z3.Not(g[1])),
    _suspend_holds,
    _suspend_after,
    observes=("outcome",),
)


def _mode_change(st: Step) -> tuple[Any, Any, Any]:
    shown, old, new, _c = st.notice(NoticeKind.MODE_CHANGED)
    return shown, old, new


def lgs_after(ctx: Context, st: Step, g: tuple[Any, Any]) -> tuple[Any, Any]:
    shown, old, new = _mode_change(st)
    enters = z3.And(shown, new == Mode.LGS_SUSPENDED)
    leaves = z3.And(shown, old == Mode.LGS_SUSPENDED)
    ticked = _accepted(st, Tick)
    on = z3.If(enters, True, z3.If(leaves, False, g[0]))
    minutes = z3.If(z3.Or(enters, leaves), 0, z3.If(z3.And(g[0], ticked), g[1] + 1, g[1]))
    return on, minutes


LGS = Ghost(
    "LGS",
    FAMILY,
    ("SUS-4",),
    "the automatic suspension announced by the mode notices is the kernel's, and its minutes are counted",
    lambda prefix: (z3.Bool(f"{prefix}_on"), z3.Int(f"{prefix}_minutes")),
    lambda ctx, s0, g: z3.And(z3.Not(g[0]), g[1] == 0),
    lambda ctx, s, g: z3.And(
        g[0] == (s.mode == Mode.LGS_SUSPENDED), z3.Implies(g[0], g[1] == s.timers.suspended_ticks)
    ),
    lgs_after,
    observes=("notice", "outcome"),
)

LOCKOUT = "not within the lockout after a resume (kernel lgs_lockout_ticks <= 1 before the tick; SUS-4, tested)"


def _due_premise(kind: str) -> Any:
    def premise(ctx: Context, st: Step, gs: tuple[Any, ...]) -> Any:
        b = st.before
        due = rs.low_now if kind == "low" else rs.predicted_low
        return z3.And(
            st.accepted(),
            b.mode == Mode.DELIVERING,
            b.timers.lgs_lockout_ticks <= 1,
            boolean(due(ctx.config, b.settings, gs[0], st.event.tick, Z)),
        )

    return premise


def _stops(ctx: Context, st: Step, gs: tuple[Any, ...]) -> Any:
    shown, _old, new = _mode_change(st)
    kind = AlarmKind.LOW_GLUCOSE_SUSPEND
    confirmed = boolean(rs.measured_low(ctx.config, st.after.settings, gs[0], st.event.tick, Z))
    return z3.And(
        st.therapy_pulses() == 0,
        shown,
        new != Mode.DELIVERING,
        z3.Implies(z3.And(new == Mode.LGS_SUSPENDED, confirmed), z3.Or(st.announces(kind), gs[1][kind])),
    )


def _stops_silently(ctx: Context, st: Step, gs: tuple[Any, ...]) -> Any:
    """No therapy, the delivering mode left, and no new LOW_GLUCOSE_SUSPEND alarm without a measured low (ALM-5).

    A LOW_GLUCOSE_SUSPEND alarm still unacknowledged from an earlier low may be repeated (``ALARMS``).
    """
    shown, _old, new = _mode_change(st)
    kind = AlarmKind.LOW_GLUCOSE_SUSPEND
    low = rs.measured_low(ctx.config, st.after.settings, gs[0], st.event.tick, Z)
    return z3.And(
        st.therapy_pulses() == 0,
        shown,
        new != Mode.DELIVERING,
        z3.Implies(z3.And(st.announces(kind), z3.Not(gs[1][kind])), boolean(low)),
    )


def _early_goal(ctx: Context, st: Step, gs: tuple[Any, ...]) -> Any:
    shown, old, new = _mode_change(st)
    resumed = z3.And(shown, old == Mode.LGS_SUSPENDED, new == Mode.DELIVERING)
    minutes = gs[1][1] + (1 if isinstance(st.event, Tick) else 0)
    early = minutes < ctx.config.lgs_max_ticks
    after = st.after.settings
    glucose = glucose_after(ctx, st, gs[0])
    allowed = z3.Or(
        _accepted(st, Resume),
        z3.Not(boolean(after.lgs_enabled)),
        boolean(rs.resume_allowed(ctx.config, after, glucose, st.event.tick, minutes, Z)),
    )
    return z3.Implies(z3.And(resumed, early), allowed)


def obligations() -> list[Obligation]:
    obs: list[Obligation] = ghost_obligations(SUSPEND) + ghost_obligations(LGS)
    obs.append(
        ghost_step_goal(
            "SUS-1-NO-THERAPY",
            SUSPEND,
            "While suspended by the user (from an accepted Suspend until an accepted Resume) a tick commands no "
            "therapy pulse.",
            "Tick",
            lambda ctx, st, g: st.therapy_pulses() == 0,
            premise=lambda ctx, st, g: g[0],
            observes=("deliver", "outcome"),
        )
    )
    obs.append(
        ghost_step_goal(
            "SUS-1-NO-OLD-BOLUS",
            SUSPEND,
            "After an accepted Suspend no bolus pulse is commanded until a new bolus request is accepted.",
            "Tick",
            lambda ctx, st, g: st.bolus_pulses() == 0,
            premise=lambda ctx, st, g: g[1],
            requirements=("SUS-1", "BOL-6"),
            observes=("deliver", "outcome"),
        )
    )
    obs.append(
        ghost_step_goal(
            "SUS-1-BOLUS-REPORTED",
            SUSPEND,
            "An accepted Suspend during a normal bolus reports the bolus ended with its undelivered pulses.",
            "Suspend",
            lambda ctx, st, g: z3.And(
                st.notice(NoticeKind.BOLUS_ENDED)[0],
                st.notice(NoticeKind.BOLUS_ENDED)[2] == st.before.bolus.remaining_pulses,
            ),
            premise=lambda ctx, st, g: z3.And(st.accepted(), st.before.bolus.remaining_pulses > 0),
            requirements=("SUS-1", "BOL-6"),
            observes=("notice", "outcome"),
        )
    )
    for oid, kind, reqs, statement, goal in (
        (
            "SUS-2-STOPS",
            "low",
            ("SUS-2", "SEN-1"),
            "A tick at which LGS is on and the reference's last valid reading is fresh and at or below the threshold "
            "commands no therapy and leaves the delivering mode; entering LGS_SUSPENDED on a confirmed low it "
            "announces LOW_GLUCOSE_SUSPEND unless that alarm is still unacknowledged.",
            _stops,
        ),
        (
            "SUS-3-PREDICTED",
            "predicted",
            ("SUS-3",),
            "A tick at which LGS and prediction are on, the reference's last valid reading is fresh and within the "
            "band above the threshold, and the least-squares line of the last four valid readings reaches threshold "
            "+ margin within 30 minutes, commands no therapy and leaves the delivering mode, raising no new "
            "LOW_GLUCOSE_SUSPEND alarm unless glucose is measured at or below the threshold.",
            _stops_silently,
        ),
    ):
        obs.append(
            ghosts_step_goal(
                oid,
                FAMILY,
                reqs,
                statement,
                "Tick",
                (GLU, ALARMS, SETTLED),
                goal,
                premise=_due_premise(kind),
                observes=("deliver", "alarm", "notice", "outcome"),
                assumes=(LOCKOUT,),
            )
        )
    obs.append(
        ghost_goal(
            "SUS-4-CAP",
            LGS,
            "An automatic suspension, timed from its announced start, has lasted less than the configured maximum.",
            lambda ctx, s, g: z3.Implies(g[0], z3.And(g[1] >= 0, g[1] < ctx.config.lgs_max_ticks)),
            observes=("notice",),
        )
    )
    obs.append(
        ghost_step_goal(
            "SUS-4-ENDS-AT-CAP",
            LGS,
            "The tick at which an automatic suspension would reach its maximum announces leaving it.",
            "Tick",
            lambda ctx, st, g: z3.And(_mode_change(st)[0], _mode_change(st)[2] != Mode.LGS_SUSPENDED),
            premise=lambda ctx, st, g: z3.And(st.accepted(), g[0], g[1] + 1 >= ctx.config.lgs_max_ticks),
            observes=("notice", "outcome"),
        )
    )
    for name in EVENT_NAMES:
        obs.append(
            ghosts_step_goal(
                f"SUS-4-EARLY/{name}",
                FAMILY,
                ("SUS-4",),
                f"A {name} that resumes delivery from an automatic suspension before its maximum is an accepted "
                "Resume, or LGS was switched off, or, once the suspension has lasted the minimum time, the "
                "reference says glucose recovered (fresh, above threshold + resume margin, HIGH or rising with a "
                "trend predicting above threshold + margin + resume margin).",
                name,
                (GLU, LGS),
                _early_goal,
                observes=("notice", "outcome"),
            )
        )
    obs.append(
        witness_on_step(
            "SUS-4-RESUME-WITNESS",
            FAMILY,
            "Some tick ends an automatic suspension because glucose recovered (the resume rule is not vacuous).",
            "Tick",
            lambda st: z3.And(
                st.accepted(),
                _mode_change(st)[1] == Mode.LGS_SUSPENDED,
                _mode_change(st)[2] == Mode.DELIVERING,
                st.notice(NoticeKind.LGS_ENDED)[0],
                st.notice(NoticeKind.LGS_ENDED)[1] == LgsEnd.RECOVERED,
            ),
            ("SUS-4",),
        )
    )
    return obs


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "W-SUS3-BAND-IGNORED",
        FAMILY,
        "A predictive suspension starts however far above the threshold the newest reading is (no band).",
        ("SUS-3",),
        (("kernel.sensing", "predicted_low", defects.config_with(lgs_predict_band_mgdl=10_000)),),
        ("SEN-1-LGS-START/Tick", "SEN-1-LGS-START/GlucoseReading"),
    ),
    Weakening(
        "W-SUS3-TWO-POINT-TREND",
        FAMILY,
        "The trend is drawn through the two newest readings instead of fitted over four.",
        ("SUS-3",),
        (("kernel.sensing", "trend", defects.two_point_trend),),
        ("SEN-1-LGS-START/Tick", "SUS-3-PREDICTED"),
    ),
    Weakening(
        "W-SUS4-NO-MIN-DURATION",
        FAMILY,
        "A suspension may end on recovery before it has lasted the minimum time.",
        ("SUS-4",),
        (("kernel.conditions", "lgs_end", defects.config_with(lgs_min_ticks=0)),),
        ("SUS-4-EARLY/GlucoseReading", "SUS-4-EARLY/Tick"),
    ),
    Weakening(
        "W-SUS4-NO-RESUME-MARGIN",
        FAMILY,
        "Recovery needs no resume margin: glucose just above the threshold ends a suspension (no hysteresis).",
        ("SUS-4",),
        (("kernel.conditions", "lgs_end", defects.config_with(lgs_resume_margin_mgdl=0)),),
        ("SUS-4-EARLY/GlucoseReading", "SUS-4-EARLY/Tick"),
    ),
    Weakening(
        "W-SUS3-ALARM-ON-PREDICTION",
        FAMILY,
        "A predictive suspension raises the LOW_GLUCOSE_SUSPEND alarm without a measured low.",
        ("SUS-3",),
        (("kernel.core", "alarm_conditions", defects.lgs_alarm_on_mode),),
        ("SUS-3-PREDICTED", "ALM-LGS-MEASURED/Tick"),
    ),
    Weakening(
        "W-SUS4-NO-DURATION-END",
        FAMILY,
        "An automatic suspension never ends by its duration.",
        ("SUS-4",),
        (("kernel.conditions", "lgs_end", defects.no_duration_end),),
        ("SUS-4-ENDS-AT-CAP",),
    ),
    Weakening(
        "W-SUS1-BOLUS-SURVIVES",
        FAMILY,
        "Suspend leaves the running bolus in place (it goes on after the resume).",
        ("SUS-1",),
        (("kernel.conditions", "settle", defects.suspend_keeps_bolus),),
        ("SUS-1-NO-OLD-BOLUS", "GHOST-CONS/SUSPEND/Suspend"),
    ),
    Weakening(
        "W-SUS1-SUSPEND-IGNORED",
        FAMILY,
        "Suspend is accepted but leaves the pump delivering.",
        ("SUS-1",),
        (("kernel.core", "event_transition", defects.suspend_ignored),),
        ("SUS-1-NO-THERAPY", "GHOST-CONS/SUSPEND/Suspend"),
    ),
    Weakening(
        "W-SUS2-STRICT-THRESHOLD",
        FAMILY,
        "A reading equal to the threshold does not suspend.",
        ("SUS-2",),
        (("kernel.conditions", "glucose_low", defects.threshold_strict),),
        ("SUS-2-STOPS",),
    ),
    Weakening(
        "W-SUS3-NO-PREDICTION",
        FAMILY,
        "Predictive suspend never fires.",
        ("SUS-3",),
        (("kernel.sensing", "predicted_low", lambda _o: lambda c, s, logic: False),),
        ("SUS-3-PREDICTED",),
    ),
)

SCOPE: dict[str, str] = {
    "SUS-1": "The repeating reminder while suspended is tested, not proved here; stops 'within one tick': the "
    "Suspend step itself commands nothing and every later tick is covered.",
    "SUS-2": "Premise: the pump was delivering and outside the SUS-4 lockout (kernel timer, tested).",
    "SUS-3": "Proved for the least-squares line through the last four valid in-range readings placed at equal "
    "steps (span 3..31 min, no gap over half the span), with the band above the threshold; the catalogue's "
    "'valid recent readings' is read as those four. The band, span and margin are configuration.",
    "SUS-4": "The cap is the configured lgs_max_ticks (2 h by the clinical rule), the minimum lgs_min_ticks and "
    "the resume margin are configuration; the 30-minute lockout after a manual resume is tested only. Sensor "
    "silence does not end a suspension early (kernel.sensing).",
}
