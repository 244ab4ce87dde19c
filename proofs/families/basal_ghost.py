"""The basal family's ghost: the program tracked from the events and the basal accounting (BAS-2..4, TMP-2, TMP-3).

Theory of operation
-------------------
See ``proofs.families.basal`` for what the ghost holds and proves.  Here are
its variables (``G``), its initial value, its invariant by named part, its
update from each step's observables and the reference specs, and its
obligations (``GHOST-INIT/basal``, ``GHOST-CONS/basal/<Event>``).  The
consecution for ``Tick`` is built here in named parts, the accounting split
into minutes without and with a percent temp in force, so that a failure names
its part.  Units: 1/6000 pulse (``PULSE_UNITS``), ``_cpph``, ``_ticks``.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, NamedTuple

import z3

from kernel.commands import NoticeKind
from kernel.events import CancelTempBasal, TempBasal, TempKind, Tick, TimeOffsetChange
from kernel.reasons import StopCause
from kernel.state import BasalState
from proofs.builders import Ghost, ghost_obligations
from proofs.context import Context, Step
from proofs.framework import Obligation, Query
from specs.reference import programmed_rate_cpph, temp_in_force
from specs.reference_basal import delivery_minute, max_basal_cpph, time_of_day_after
from specs.z3_logic import Z3Logic

FAMILY = "basal"
PULSE_UNITS = 6000
"""1/6000 pulse: one pulse per hour in hundredths (100) over 60 one-minute ticks."""

L = Z3Logic()


class G(NamedTuple):
    """The ghost's variables (see module docstring); all Z3 integers."""

    tod: Any
    kind: Any
    value: Any
    left: Any
    src: Any
    P: Any
    B: Any
    W: Any
    M: Any
    sP: Any
    sB: Any
    sW: Any
    sM: Any


def _fresh(prefix: str) -> G:
    return G(*(z3.Int(f"{prefix}_{name}") for name in G._fields))


def _initial(ctx: Context, s0: Any, g: G) -> Any:
    zero = [getattr(g, name) == 0 for name in ("P", "B", "W", "M", "sP", "sB", "sW", "sM", "left", "value")]
    return z3.And(g.tod == s0.time_of_day_ticks, g.kind == TempKind.NONE, *zero)


def _holds_parts(s: Any, g: G) -> list[tuple[str, Any]]:
    """The ghost invariant, by named part (see module docstring)."""
    b = s.basal
    since = g.sP - PULSE_UNITS * (g.sB + g.sW)
    return [
        ("program/time-of-day", g.tod == s.time_of_day_ticks),
        ("program/temp-kind", g.kind == b.temp_kind),
        ("program/temp-left", g.left == b.temp_remaining_ticks),
        (
            "program/temp-rate",
            z3.Implies(g.kind != TempKind.NONE, z3.And(g.value == b.temp_value, g.src == b.temp_source)),
        ),
        (ACCOUNTING, b.acc == g.P - PULSE_UNITS * (g.B + g.W)),
        ("snapshot/basal", g.sB <= g.B),
        ("snapshot/withheld", g.sW <= g.W),
        ("snapshot/below-max", g.P - g.sP <= g.M - g.sM),
        ("snapshot/fraction", z3.And(since >= 0, since < PULSE_UNITS)),
    ]


ACCOUNTING = "accounting"


def _holds(ctx: Context, s: Any, g: G) -> Any:
    return z3.And(*(part for _, part in _holds_parts(s, g)))


def _program(g: G) -> BasalState:
    return BasalState(0, g.kind, g.value, g.left, g.src)


_choices = itertools.count()


def _minute(st: Step, g: G) -> tuple[Any, Any, BasalState]:
    """(does this tick deliver its minute, the reference programmed rate for it in cpph, the temp in force)."""
    ok = st.accepted()
    ended, cause, _, _ = st.notice(NoticeKind.TEMP_BASAL_ENDED)
    withheld_shown = st.notice(NoticeKind.BASAL_WITHHELD)[0]
    lost = z3.And(ended, cause == StopCause.SENSOR_LOST)  # the temp ended before this minute's pulses
    in_force = BasalState(0, z3.If(lost, TempKind.NONE, g.kind), g.value, z3.If(lost, 0, g.left), g.src)
    rate = programmed_rate_cpph(st.before.settings, in_force, time_of_day_after(g.tod, 1, L), L)
    mode_shown, _, new_mode, _ = st.notice(NoticeKind.MODE_CHANGED)
    lgs_ended = st.notice(NoticeKind.LGS_ENDED)[0]
    delivering = delivery_minute(
        st.before, ok, st.event.missed, (mode_shown, new_mode), lgs_ended, st.moves_motor(), withheld_shown, L
    )
    return delivering, rate, in_force


def _update(ctx: Context, st: Step, g: G) -> G:
    e = st.event
    ok = st.accepted()
    ended, cause, _, _ = st.notice(NoticeKind.TEMP_BASAL_ENDED)
    withheld_shown, withheld, _, _ = st.notice(NoticeKind.BASAL_WITHHELD)
    tod, kind, value, left, src, P, M = g.tod, g.kind, g.value, g.left, g.src, g.P, g.M
    if isinstance(e, Tick):
        tod_next = time_of_day_after(g.tod, 1, L)
        delivering, rate, _ = _minute(st, g)
        P = g.P + z3.If(delivering, rate, 0)
        M = g.M + z3.If(delivering, max_basal_cpph(st.before.settings), 0)
        tod = z3.If(ok, tod_next, g.tod)
        counting = z3.And(ok, temp_in_force(_program(g), L))
        left = z3.If(counting, g.left - 1, g.left)
        kind = z3.If(z3.And(counting, left == 0), TempKind.NONE, kind)
    elif isinstance(e, TimeOffsetChange):
        tod = z3.If(ok, time_of_day_after(g.tod, e.delta_ticks, L), g.tod)
    if isinstance(e, CancelTempBasal):
        kind = z3.If(ok, TempKind.NONE, kind)
        left = z3.If(ok, 0, left)
    if isinstance(e, TempBasal):
        kind, value = z3.If(ok, e.kind, kind), z3.If(ok, e.value, value)
        left, src = z3.If(ok, e.duration_ticks, left), z3.If(ok, e.source, src)
    # Any other early end is told by its notice (a replaced temp is the new one, set above); this comes last
    # because settling after the event (the pump stopped delivering) ends even a temp this event started.
    early = z3.And(ended, cause != StopCause.EXPIRED, cause != StopCause.REPLACED)
    kind = z3.If(early, TempKind.NONE, kind)
    left = z3.If(early, 0, left)
    B = g.B + st.basal_pulses()
    W = g.W + z3.If(withheld_shown, withheld, 0)
    take = z3.Bool(f"snapshot!{next(_choices)}")
    return G(
        tod,
        kind,
        value,
        left,
        src,
        P,
        B,
        W,
        M,
        z3.If(take, g.P, g.sP),
        z3.If(take, g.B, g.sB),
        z3.If(take, g.W, g.sW),
        z3.If(take, g.M, g.sM),
    )


GHOST = Ghost(
    "basal",
    FAMILY,
    ("BAS-2", "BAS-3", "BAS-4", "TMP-2", "TMP-3", "U-2"),
    "the program tracked from the events equals the pump's; 6000 x (basal commanded + withheld) + accumulator "
    "== the integral of the reference programmed rate over delivering minutes, which grew no faster than max "
    "basal since any earlier moment",
    _fresh,
    _initial,
    _holds,
    _update,
    observes=("deliver", "notice", "outcome"),
    assumes=(
        "therapy settings in force are read from the state",
        "delivering minutes: specs.reference_basal.delivery_minute (pump status before the minute: mode, "
        "motor command outstanding or in doubt, high alarm waiting)",
    ),
)


def _tick_consecution(ctx: Context) -> Query:
    """``GHOST-CONS/basal/Tick``: the goal ``ghost_obligations`` builds, in named parts, the accounting split
    into minutes without and with a percent temp in force (the percent product is the slow part for Z3)."""
    st = ctx.step("Tick")
    g = _fresh("g_basal")
    hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(st.before)
    hyps.append(("GHOST:basal", _holds(ctx, st.before, g)))
    after = _update(ctx, st, g)
    delivering, _, in_force = _minute(st, g)
    percent = z3.And(delivering, temp_in_force(in_force, L), in_force.temp_kind == TempKind.PERCENT)
    goals: list[tuple[str, Any]] = []
    for name, part in _holds_parts(st.after, after):
        if name == ACCOUNTING:
            goals += [
                (f"{name}/no-percent-temp", z3.Implies(z3.Not(percent), part)),
                (f"{name}/percent-temp", z3.Implies(percent, part)),
            ]
        else:
            goals.append((name, part))
    # Products as applications: the reference's percent product and the kernel's are then equal by congruence
    # (14 to 28 s for the percent case as shift-and-add sums, under 2 s for the whole obligation this way).
    return Query(hyps, list(st.definitions), goals, step=st, products=True)


def ghost_family_obligations() -> list[Obligation]:
    result = []
    for ob in ghost_obligations(GHOST):
        if ob.id == "GHOST-CONS/basal/Tick":
            ob = dataclasses.replace(ob, build=_tick_consecution)
        result.append(ob)
    return result
