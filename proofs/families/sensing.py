"""Sensor input (SEN-1..5): what a sensor report may change in what the pump commands.

Theory of operation
-------------------
Ghost ``GLU`` is the history of valid readings as the reference
(``specs.reference_safety``) defines it: the last valid reading and the
three before it, newest first.  A ``GlucoseReading`` step that is accepted
and that the reference calls valid (status a value inside the range or the
sensor's own LOW/HIGH, not too old, not from the future, newer than the last
valid reading, no implausible jump) enters at the front and the oldest
leaves; nothing else changes it.  ``GHOST-CONS/GLU/*`` proves the kernel's
glucose knowledge equals it, position by position, after every event (a
refinement: it observes only the outcome and proves the bookkeeping), so
every decision the kernel draws from glucose, the four-reading trend of
SUS-3 included, is a decision on the reference's history: an invalid report
never changes any of the four readings (SEN-4).

Ghost ``SETTLED`` has no variables: it is a lemma about the kernel's state
(proposed as an invariant, see the report): a delivering pump has no
low-glucose suspension due, an automatically suspended one has no end due,
the LOW_GLUCOSE_SUSPEND and AUTO_OFF alarms are acknowledged only in their
own mode, and AUTO_OFF is never unacknowledged in a delivering or
glucose-suspended pump.
It holds because every accepted step applies the conditions last.

Obligations over what the step emits:

* ``SEN-NOTICE`` (SEN-1, SEN-3, SEN-5): an accepted report shows the
  ``GLUCOSE_NOT_USED`` notice exactly when the reference calls it invalid.
* ``SEN-5-NAMED``: a report whose status is an error state is answered with
  the notice naming the sensor status (never used as a glucose).
* ``SEN-4-NO-MODE`` (SEN-4, SEN-1): a report the reference calls invalid
  changes no mode: no automatic suspension starts or ends by it.
* ``SEN-1-LGS-START/<Event>`` (SEN-1, SUS-2, SUS-3): no step of any event
  class enters low-glucose suspend unless the reference's history, at the
  step's time, is fresh and low, or predicted low by the reference's
  least-squares trend over four readings *and* within the band above the
  threshold (SUS-3).
* ``SEN-2-FALLBACK`` (SEN-2): without a fresh valid reading, a tick whose temp
  basal (if any) was set by the controller commands no more basal than the
  programmed schedule gives from the same accumulator (reference
  ``scheduled_rate_pph``): controller dosing above the schedule stops.
* ``SEN-3-WITNESS``: some accepted report is refused as an implausible jump.

Assumes: every obligation, the invariants and the structural rules; the
ghost-goal obligations the ghosts' own INIT/CONS.  Leaves out: how the
adapter maps a transmitter's states and legacy error values onto
``GlucoseStatus`` (``adapters.sensor``, tested), and that the user is told of
sensor loss (the SENSOR_UNAVAILABLE alert: ``tests``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import z3

from kernel import sensing as kernel_sensing
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import GlucoseUse, NoticeKind
from kernel.events import GlucoseReading, GlucoseStatus, Source
from kernel.modes import Mode
from kernel.state import GlucoseState, PumpState
from kernel.units import TICKS_PER_DAY
from proofs.builders import EVENT_NAMES, Ghost, ghost_obligations, ghost_step_goal, witness_on_step
from proofs.context import Context, Step, boolean
from proofs.families import safety_defects as defects
from proofs.framework import Obligation, Query
from proofs.weakening import Weakening, replace_with
from specs import reference as ref
from specs import reference_safety as rs
from specs.z3_logic import Z3Logic

FAMILY = "sensing"
Z = Z3Logic()


# --- the ghosts -------------------------------------------------------------------------------------------------


def _fresh_glucose(prefix: str) -> GlucoseState:
    def i(name: str) -> Any:
        return z3.Int(f"{prefix}_{name}")

    def b(name: str) -> Any:
        return z3.Bool(f"{prefix}_{name}")

    older = range(1, rs.READINGS)
    zero = z3.IntVal(0)
    return GlucoseState(
        i("mgdl"),
        i("tick"),
        b("valid"),
        i("edge"),
        tuple(i(f"mgdl{k}") for k in older),
        tuple(i(f"tick{k}") for k in older),
        tuple(b(f"valid{k}") for k in older),
        tuple(i(f"edge{k}") for k in older),
        zero,
        zero,
    )


def _glucose_holds(ctx: Context, s: PumpState, g: GlucoseState) -> Any:
    """Every held reading of the kernel is the reference's, position by position (values only where held)."""
    return z3.And(
        *(
            z3.And(gv == kv, z3.Implies(gv, z3.And(gm == km, gt == kt, ge == ke)))
            for (gm, gt, gv, ge), (km, kt, kv, ke) in zip(rs.history(g), rs.history(s.glucose), strict=True)
        )
    )


def report_used(ctx: Context, st: Step, g: GlucoseState) -> Any:
    """The step is an accepted report that the reference calls valid (``False`` for other event classes)."""
    if not isinstance(st.event, GlucoseReading):
        return z3.BoolVal(False)
    return z3.And(st.accepted(), boolean(rs.report_valid(ctx.config, g, st.event, st.event.tick, Z)))


def glucose_after(ctx: Context, st: Step, g: GlucoseState) -> GlucoseState:
    """The reference's last valid reading after the step."""
    if not isinstance(st.event, GlucoseReading):
        return g
    return rs.after_report(ctx.config, g, st.event, report_used(ctx, st, g), Z)


GLU = Ghost(
    "GLU",
    FAMILY,
    ("SEN-1", "SEN-3", "SEN-4", "SEN-5"),
    "the kernel's last valid reading and the three before it are the reference's history (only a valid report "
    "enters it, at the front; the oldest leaves)",
    _fresh_glucose,
    lambda ctx, s0, g: z3.And(*(z3.Not(v) for _m, _t, v, _e in rs.history(g))),
    _glucose_holds,
    glucose_after,
    observes=("outcome",),
)


def _settled(ctx: Context, s: PumpState, _g: Any) -> Any:
    c = ctx.config
    lgs_ends, _cause = kernel_sensing.lgs_end(c, s, Z)
    return z3.And(
        z3.Implies(s.mode == Mode.DELIVERING, z3.Not(boolean(kernel_sensing.glucose_low(c, s, Z)))),
        z3.Implies(s.mode == Mode.LGS_SUSPENDED, z3.Not(boolean(lgs_ends))),
        z3.Implies(s.alarms[AlarmKind.LOW_GLUCOSE_SUSPEND] == AlarmStatus.ACKED, s.mode == Mode.LGS_SUSPENDED),
        z3.Implies(s.alarms[AlarmKind.AUTO_OFF] == AlarmStatus.ACKED, s.mode == Mode.AUTO_OFF),
        z3.Implies(
            s.alarms[AlarmKind.AUTO_OFF] == AlarmStatus.ACTIVE,
            z3.And(s.mode != Mode.DELIVERING, s.mode != Mode.LGS_SUSPENDED),
        ),
    )


SETTLED = Ghost(
    "SETTLED",
    FAMILY,
    ("SEN-4", "SUS-2", "SUS-4", "ALM-2"),
    "no low-glucose suspension is due while delivering, no end is due while suspended by glucose; the "
    "LOW_GLUCOSE_SUSPEND and AUTO_OFF alarms are acknowledged only in their own mode, and AUTO_OFF is never "
    "unacknowledged in a delivering or glucose-suspended pump (a lemma about the kernel's state)",
    lambda prefix: None,
    lambda ctx, s0, g: True,
    _settled,
    lambda ctx, st, g: None,
)


# --- steps under several ghosts ---------------------------------------------------------------------------------

GhostGoal = Callable[[Context, Step, tuple[Any, ...]], Any]


def ghosts_step_goal(
    oid: str,
    family: str,
    requirements: Sequence[str],
    statement: str,
    event: str,
    ghosts: Sequence[Ghost],
    goal: GhostGoal,
    *,
    premise: GhostGoal | None = None,
    observes: Sequence[str] = (),
    assumes: Sequence[str] = (),
) -> Obligation:
    """``premise => goal`` for one event class's step, from a state satisfying the invariants and every ghost."""

    def build(ctx: Context) -> Query:
        st = ctx.step(event)
        values = tuple(gh.fresh(f"gs_{gh.name}") for gh in ghosts)
        hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(st.before)
        for gh, value in zip(ghosts, values, strict=True):
            hyps.append((f"GHOST:{gh.name}", boolean(gh.holds(ctx, st.before, value))))
        conclusion = boolean(goal(ctx, st, values))
        if premise is None:
            return Query(hyps, list(st.definitions), conclusion, step=st)
        condition = boolean(premise(ctx, st, values))
        return Query(hyps, list(st.definitions), z3.Implies(condition, conclusion), premise=condition, step=st)

    every = tuple(assumes) + tuple(a for gh in ghosts for a in gh.assumes)
    return Obligation(oid, family, "safety", tuple(requirements), statement, build, tuple(observes), every, event)


# --- obligations ------------------------------------------------------------------------------------------------


def _not_used(st: Step) -> tuple[Any, Any]:
    shown, a, _b, _c = st.notice(NoticeKind.GLUCOSE_NOT_USED)
    return shown, a


def _lgs_entered(st: Step) -> Any:
    shown, _a, b, _c = st.notice(NoticeKind.MODE_CHANGED)
    return z3.And(shown, b == Mode.LGS_SUSPENDED)


def _due(ctx: Context, st: Step, g: GlucoseState) -> Any:
    """The reference says a low-glucose suspension is due at the step's time, with the settings after it."""
    now = st.event.tick
    settings = st.after.settings
    return z3.Or(
        boolean(rs.low_now(ctx.config, settings, g, now, Z)), boolean(rs.predicted_low(ctx.config, settings, g, now, Z))
    )


def _fallback_goal(ctx: Context, st: Step, gs: tuple[Any, ...]) -> Any:
    b = st.before
    tod = z3.If(b.time_of_day_ticks + 1 >= TICKS_PER_DAY, 0, b.time_of_day_ticks + 1)
    scheduled_pph = ref.scheduled_rate_pph(b.settings, tod, Z)
    return st.basal_pulses() * 6000 <= b.basal.acc + scheduled_pph * 100


def _fallback_premise(ctx: Context, st: Step, gs: tuple[Any, ...]) -> Any:
    g = gs[0]
    b = st.before.basal
    return z3.And(
        st.accepted(),
        z3.Not(boolean(ref.reading_fresh(ctx.config, g, st.event.tick, Z))),
        z3.Or(b.temp_source == Source.CONTROLLER, z3.Not(boolean(ref.temp_in_force(b, Z)))),
    )


def obligations() -> list[Obligation]:
    obs: list[Obligation] = ghost_obligations(GLU) + ghost_obligations(SETTLED)
    obs.append(
        ghost_step_goal(
            "SEN-NOTICE",
            GLU,
            "An accepted sensor report is announced as not used exactly when the reference calls it invalid "
            "(error status, out of range, too old, from the future, not newer, implausible jump).",
            "GlucoseReading",
            lambda ctx, st, g: (
                _not_used(st)[0] == z3.Not(boolean(rs.report_valid(ctx.config, g, st.event, st.event.tick, Z)))
            ),
            premise=lambda ctx, st, g: st.accepted(),
            requirements=("SEN-1", "SEN-3", "SEN-5"),
            observes=("notice", "outcome"),
        )
    )
    obs.append(
        ghost_step_goal(
            "SEN-5-NAMED",
            GLU,
            "A report whose status is an error state (warm-up, noise, calibration, failed, stopped, error) is "
            "answered with the notice naming the sensor status, never used as glucose.",
            "GlucoseReading",
            lambda ctx, st, g: z3.And(_not_used(st)[0], _not_used(st)[1] == GlucoseUse.SENSOR_STATUS),
            premise=lambda ctx, st, g: z3.And(st.accepted(), z3.Not(boolean(rs.carries_glucose(st.event, Z)))),
            requirements=("SEN-5",),
            observes=("notice", "outcome"),
        )
    )
    obs.append(
        ghosts_step_goal(
            "SEN-4-NO-MODE",
            FAMILY,
            ("SEN-4", "SEN-1"),
            "A report the reference calls invalid changes no mode: it neither starts nor ends an automatic "
            "suspension (no MODE_CHANGED notice).",
            "GlucoseReading",
            (GLU, SETTLED),
            lambda ctx, st, gs: z3.Not(st.notice(NoticeKind.MODE_CHANGED)[0]),
            premise=lambda ctx, st, gs: z3.Not(boolean(rs.report_valid(ctx.config, gs[0], st.event, st.event.tick, Z))),
            observes=("notice",),
        )
    )
    for name in EVENT_NAMES:
        obs.append(
            ghosts_step_goal(
                f"SEN-1-LGS-START/{name}",
                FAMILY,
                ("SEN-1", "SUS-2", "SUS-3"),
                f"A {name} enters low-glucose suspend only when the reference's last valid reading is fresh and "
                "at or below the threshold, or is within the band above it and the reference's four-reading "
                "least-squares trend predicts threshold + margin within 30 minutes.",
                name,
                (GLU, SETTLED),
                lambda ctx, st, gs: z3.Implies(_lgs_entered(st), _due(ctx, st, glucose_after(ctx, st, gs[0]))),
                observes=("notice",),
            )
        )
    obs.append(
        ghosts_step_goal(
            "SEN-2-FALLBACK",
            FAMILY,
            ("SEN-2",),
            "Without a fresh valid reading, a tick with no temp basal but the controller's commands no more basal "
            "than the reference schedule gives from the same accumulator.",
            "Tick",
            (GLU,),
            _fallback_goal,
            premise=_fallback_premise,
            observes=("deliver",),
            assumes=("the basal accumulator (1/6000 pulse) is the kernel's; INV-BASAL-EXACT ties it to delivery",),
        )
    )
    obs.append(
        witness_on_step(
            "SEN-3-WITNESS",
            FAMILY,
            "Some accepted report is refused as an implausible jump.",
            "GlucoseReading",
            lambda st: z3.And(st.accepted(), _not_used(st)[0], _not_used(st)[1] == GlucoseUse.IMPLAUSIBLE_JUMP),
            ("SEN-3",),
        )
    )
    return obs


# --- planted defects --------------------------------------------------------------------------------------------


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "W-SEN4-HISTORY-DROPPED",
        FAMILY,
        "A report that is not used drops an older reading from the history (the trend of SUS-3 loses it).",
        ("SEN-4",),
        (("kernel.core", "HANDLERS", defects.history_drops_on_invalid),),
        ("GHOST-CONS/GLU/GlucoseReading",),
    ),
    Weakening(
        "W-SEN4-INVALID-REPLACES",
        FAMILY,
        "An invalid report's value replaces the last valid reading (the notice still says not used).",
        ("SEN-4",),
        (("kernel.core", "HANDLERS", defects.replace_anyway),),
        ("SEN-4-NO-MODE", "SEN-1-LGS-START/GlucoseReading", "GHOST-CONS/GLU/GlucoseReading"),
    ),
    Weakening(
        "W-SEN3-NO-JUMP-CHECK",
        FAMILY,
        "The jump check never pairs readings: implausible jumps are used.",
        ("SEN-3",),
        (("kernel.glucose", "GLUCOSE_PAIR_MAX_TICKS", replace_with(0)),),
        ("SEN-NOTICE",),
    ),
    Weakening(
        "W-SEN5-NOISE-IS-GLUCOSE",
        FAMILY,
        "A NOISE status carries a glucose value.",
        ("SEN-5",),
        (("kernel.glucose", "VALID_STATUSES", replace_with((0, 4, 5, int(GlucoseStatus.NOISE)))),),
        ("SEN-5-NAMED", "SEN-NOTICE"),
    ),
    Weakening(
        "W-SEN1-STALE-IS-FRESH",
        FAMILY,
        "Freshness ignores age: a stale reading still starts a low-glucose suspension.",
        ("SEN-1",),
        (("kernel.sensing", "reading_fresh", replace_with(lambda c, s, logic: s.glucose.valid)),),
        ("SEN-1-LGS-START/Tick",),
    ),
    Weakening(
        "W-SEN2-NO-FALLBACK",
        FAMILY,
        "A controller temp above the schedule keeps running when the sensor has no fresh reading.",
        ("SEN-2",),
        (("kernel.tick", "_sensor_fall_back", replace_with(lambda c, s, fx, logic: (s, fx))),),
        ("SEN-2-FALLBACK",),
    ),
)

SCOPE: dict[str, str] = {
    "SEN-1": "The adapter's clock conversion of measurement times is tested only; the ranges are configuration.",
    "SEN-2": "Proved: controller basal above the schedule stops without fresh data, and LGS starts only on fresh "
    "data. That the user is told (SENSOR_UNAVAILABLE alert) is tested, not proved here; controller boluses: "
    "bolus family.",
    "SEN-3": "The pairing window (15 min) is a design choice restated in specs/reference_safety.py.",
    "SEN-4": "Freshness judged from the last valid reading, and the four-reading history of the SUS-3 trend "
    "never changed by an invalid report: proved through GLU (a refinement) and SEN-4-NO-MODE; the LGS end by "
    "sensor silence (runs to its maximum) is the SUS-4 obligations'.",
    "SEN-5": "Mapping transmitter states and legacy error values onto GlucoseStatus is adapters.sensor's (tested).",
}
