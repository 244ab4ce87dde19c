"""Basal delivery and temp basals, proved over what the pump commands (BAS-2, BAS-3, BAS-4, TMP-1, TMP-2, TMP-3).

Theory of operation
-------------------
The centre of the family is one ghost, ``basal``: a record kept beside the
pump's state and updated, at every step, only from what the step emits (its
``Deliver``, its notices, its outcome) and from the event itself.  It holds

* the *program* as a person at the pump would know it from the events: the
  local time of day (advanced one minute by each accepted ``Tick``, wrapped at
  midnight; moved by an accepted ``TimeOffsetChange``), and the temp basal in
  force (set by an accepted ``TempBasal``, ended by an accepted
  ``CancelTempBasal``, by a ``TEMP_BASAL_ENDED`` notice for any cause other
  than expiry, and otherwise counted down by the ghost itself, one minute per
  accepted ``Tick``, ending when nothing is left);
* ``P``: the integral of the programmed rate over the minutes that deliver,
  in 1/6000 pulse.  Each delivering minute adds the rate of the *reference*
  spec ``specs.reference.programmed_rate_cpph`` (schedule by slot bounds,
  temp absolute or percent of the current slot, clamped to max basal) at the
  minute's new time of day, for the ghost's program.  Which minutes deliver is
  ``specs.reference_basal.delivery_minute`` (stated there);
* ``B``: the basal pulses commanded (``Deliver.basal_pulses``), ``W``: the
  pulses withheld (``BASAL_WITHHELD`` notice), ``M``: the integral of max
  basal over the delivering minutes;
* a snapshot ``sP, sB, sW, sM`` taken at an arbitrary earlier moment (any
  step may retake it: a free choice, so every interval is covered).

Its invariant links it to the state: the program equals the kernel's (time of
day, temp kind, value, source, time left), ``P - 6000 (B + W)`` is the
kernel's accumulator, and since the snapshot ``P`` grew no faster than ``M``.
``GHOST-INIT/basal`` and ``GHOST-CONS/basal/<Event>`` (18 classes) prove it
for every event sequence.  From it:

* ``BAS-2/no-drift``: at every moment ``6000 (B + W) <= P < 6000 (B + W) + 6000``:
  basal commanded plus withheld is less than one pulse below the integral of
  the reference programmed rate, never above it (BAS-2).  Because the rate
  integrated is the reference rate for the program tracked from the events,
  the same proof says that slot boundaries and midnight are exact and a time
  change re-selects the slot without catch-up (BAS-3), and that the rate falls
  back to the schedule the minute a temp ends or is cancelled (TMP-2, TMP-3);
* ``BAS-4/interval``: over any interval, ``6000 x basal commanded < integral of
  max basal + 6000``: never more than max basal allows plus one pulse;
  ``BAS-4/per-tick``: one minute commands at most ``(max basal + 60) / 60``
  pulses, less one 1/6000;
* ``BAS-3/time-change-no-catch-up``: a change of time offset commands no pulse;
* ``TMP-1/*``: an accepted temp request is inside its ranges (and, under the
  clinical rules, inside the catalogue's 0..250 % and 15 min..24 h); one
  outside them is refused with its range's reason unless an earlier gate
  (form, tick, request memory, mode, controller switched off) refused it;
* ``TMP-2/*``: the ``TEMP_BASAL_ENDED`` notice for expiry comes exactly on the
  temp's last minute, never earlier; an accepted cancel ends it at once;
* ``TMP-3/*``: an accepted controller temp lasts at most the controller
  maximum (at most 30 minutes by the structural rules), and a controller temp
  in force never has more left.

Assumed beyond the structural rules and invariants: the therapy settings in
force (schedule, max basal) are read from the state (that they are the last
accepted ``SettingsChange`` belongs to the settings family); which minutes
deliver reads the pump's status before the minute (mode, motor command
outstanding or in doubt, high alarm waiting), whose correctness belongs to
the suspension, delivery and alarm families.  Left out: the adapters (the
motor's real displacement, the wall clock's minute), BAS-1 (the profile's
rates are a settings rule: the inputs family's CFG-ACCEPTED).
"""

from __future__ import annotations

from typing import Any

import z3

from kernel.commands import NoticeKind
from kernel.events import Source, TempKind
from kernel.reasons import Reason, StopCause
from proofs.builders import ghost_goal, ghost_step_goal, on_step, witness_on_step
from proofs.context import Step
from proofs.families.basal_defects import WEAKENINGS as WEAKENINGS
from proofs.families.basal_ghost import FAMILY, GHOST, PULSE_UNITS, L, ghost_family_obligations
from proofs.framework import Obligation
from specs.reference_basal import (
    CATALOGUE_PERCENT_MAX,
    CATALOGUE_TEMP_MAX_MINUTES,
    CATALOGUE_TEMP_MIN_MINUTES,
    CONTROLLER_TEMP_MINUTES,
    clinical_temp_rules,
    max_basal_cpph,
    temp_request_in_range,
    whole_quarter_hours,
)

__all__ = ["FAMILY", "SCOPE", "WEAKENINGS", "obligations"]


_EARLIER_GATES = (
    Reason.OUT_OF_RANGE,
    Reason.STALE_EVENT,
    Reason.FUTURE_EVENT,
    Reason.REQUEST_MEMORY_FULL,
    Reason.NOT_ALLOWED_IN_MODE,
    Reason.CONTROLLER_DISABLED,
)
"""Refusals that come before the range checks (form, tick, request memory, mode, controller switched off)."""


def _refused_for(st: Step, reason: int) -> Any:
    """Not accepted, and either a replay of an earlier answer, an earlier gate's refusal, or ``reason``."""
    r = st.effects.reason
    gates = z3.Or(*(r == gate for gate in (*_EARLIER_GATES, reason)))
    return z3.And(z3.Not(st.accepted()), z3.Or(st.effects.replayed, gates))


def _temp_obligations() -> list[Obligation]:
    T = "TempBasal"
    out = [
        on_step(
            "TMP-1/accepted-in-range",
            FAMILY,
            ("TMP-1", "TMP-3"),
            "An accepted temp basal request is inside its ranges (specs.reference_basal.temp_request_in_range).",
            T,
            lambda st: temp_request_in_range(st.config, st.before.settings, st.event, L),
            premise=lambda st: st.accepted(),
            observes=("outcome",),
        ),
        on_step(
            "TMP-1/catalogue-ranges",
            FAMILY,
            ("TMP-1",),
            f"Under the clinical rules an accepted temp from a person is 0..{CATALOGUE_PERCENT_MAX} % or at most "
            f"max basal, and lasts {CATALOGUE_TEMP_MIN_MINUTES}..{CATALOGUE_TEMP_MAX_MINUTES} min in 15-min steps.",
            T,
            lambda st: z3.And(
                z3.Or(st.event.kind == TempKind.ABSOLUTE, st.event.value <= CATALOGUE_PERCENT_MAX),
                st.event.duration_ticks >= CATALOGUE_TEMP_MIN_MINUTES,
                st.event.duration_ticks <= CATALOGUE_TEMP_MAX_MINUTES,
                whole_quarter_hours(st.event.duration_ticks, L),
            ),
            premise=lambda st: z3.And(
                st.accepted(), st.event.source != Source.CONTROLLER, clinical_temp_rules(st.config, L)
            ),
            observes=("outcome",),
        ),
        on_step(
            "TMP-1/rate-above-max-refused",
            FAMILY,
            ("TMP-1", "BAS-4"),
            "An absolute temp above max basal is refused, for that reason unless an earlier gate refused it.",
            T,
            lambda st: _refused_for(st, Reason.TEMP_RATE_ABOVE_MAX_BASAL),
            premise=lambda st: z3.And(
                st.event.kind == TempKind.ABSOLUTE, st.event.value > st.before.settings.max_basal_pph
            ),
            observes=("outcome",),
        ),
        on_step(
            "TMP-1/percent-above-max-refused",
            FAMILY,
            ("TMP-1",),
            "A percent temp above the configured maximum percentage is refused, for that reason unless an "
            "earlier gate refused it.",
            T,
            lambda st: _refused_for(st, Reason.TEMP_PERCENT_OUT_OF_RANGE),
            premise=lambda st: z3.And(st.event.kind == TempKind.PERCENT, st.event.value > st.config.temp_percent_max),
            observes=("outcome",),
        ),
        on_step(
            "TMP-1/duration-refused",
            FAMILY,
            ("TMP-1", "TMP-3"),
            "A temp whose rate is in range but whose duration is not is refused for its duration unless an "
            "earlier gate refused it.",
            T,
            lambda st: _refused_for(st, Reason.TEMP_DURATION),
            premise=lambda st: z3.And(
                z3.Or(
                    z3.And(st.event.kind == TempKind.ABSOLUTE, st.event.value <= st.before.settings.max_basal_pph),
                    z3.And(st.event.kind == TempKind.PERCENT, st.event.value <= st.config.temp_percent_max),
                ),
                z3.Not(temp_request_in_range(st.config, st.before.settings, st.event, L)),
            ),
            observes=("outcome",),
        ),
        witness_on_step(
            "NV/TMP-1/rate-refusal-reason",
            FAMILY,
            "Some temp request is refused with TEMP_RATE_ABOVE_MAX_BASAL.",
            T,
            lambda st: st.effects.reason == Reason.TEMP_RATE_ABOVE_MAX_BASAL,
            ("TMP-1",),
        ),
        on_step(
            "TMP-3/controller-duration",
            FAMILY,
            ("TMP-3",),
            f"An accepted controller temp lasts at most the controller maximum, itself at most "
            f"{CONTROLLER_TEMP_MINUTES} min.",
            T,
            lambda st: z3.And(
                st.event.duration_ticks <= st.config.controller_temp_max_ticks,
                st.event.duration_ticks <= CONTROLLER_TEMP_MINUTES,
            ),
            premise=lambda st: z3.And(st.accepted(), st.event.source == Source.CONTROLLER),
            observes=("outcome",),
        ),
        ghost_goal(
            "TMP-3/controller-temp-left",
            GHOST,
            f"A controller temp in force (as tracked from the events) has at most {CONTROLLER_TEMP_MINUTES} "
            "minutes left: when the controller falls silent the schedule resumes within 30 minutes.",
            lambda ctx, s, g: z3.And(g.left <= ctx.config.controller_temp_max_ticks, g.left <= CONTROLLER_TEMP_MINUTES),
            premise=lambda ctx, s, g: z3.And(g.kind != TempKind.NONE, g.src == Source.CONTROLLER),
            requirements=("TMP-3",),
            observes=("outcome", "notice"),
        ),
        ghost_step_goal(
            "TMP-2/expires-on-time",
            GHOST,
            "On the last minute of a temp (as tracked from the events) the tick announces TEMP_BASAL_ENDED "
            "for expiry, unless something ended it earlier in that tick.",
            "Tick",
            lambda ctx, st, g: z3.And(
                st.notice(NoticeKind.TEMP_BASAL_ENDED)[0],
                st.notice(NoticeKind.TEMP_BASAL_ENDED)[1] == StopCause.EXPIRED,
            ),
            premise=lambda ctx, st, g: z3.And(
                st.accepted(),
                g.kind != TempKind.NONE,
                g.left == 1,
                z3.Not(
                    z3.And(
                        st.notice(NoticeKind.TEMP_BASAL_ENDED)[0],
                        st.notice(NoticeKind.TEMP_BASAL_ENDED)[1] != StopCause.EXPIRED,
                    )
                ),
            ),
            requirements=("TMP-2",),
            observes=("notice",),
        ),
        ghost_step_goal(
            "TMP-2/not-before-time",
            GHOST,
            "A tick announces a temp's expiry only on its last minute (as tracked from the events).",
            "Tick",
            lambda ctx, st, g: z3.And(g.kind != TempKind.NONE, g.left == 1),
            premise=lambda ctx, st, g: z3.And(
                st.notice(NoticeKind.TEMP_BASAL_ENDED)[0],
                st.notice(NoticeKind.TEMP_BASAL_ENDED)[1] == StopCause.EXPIRED,
            ),
            requirements=("TMP-2",),
            observes=("notice",),
        ),
        on_step(
            "TMP-2/cancel-ends-now",
            FAMILY,
            ("TMP-2",),
            "An accepted cancel announces the temp's end (cancelled) and commands nothing.",
            "CancelTempBasal",
            lambda st: z3.And(
                st.notice(NoticeKind.TEMP_BASAL_ENDED)[0],
                st.notice(NoticeKind.TEMP_BASAL_ENDED)[1] == StopCause.CANCELLED,
                z3.Not(st.moves_motor()),
            ),
            premise=lambda st: st.accepted(),
            observes=("notice", "deliver", "outcome"),
        ),
    ]
    return out


def obligations() -> list[Obligation]:
    """Every obligation of the family (see module docstring)."""
    result = ghost_family_obligations()
    result += [
        ghost_goal(
            "BAS-2/no-drift",
            GHOST,
            "At every moment 6000 x (basal pulses commanded + withheld) <= the integral of the reference "
            "programmed rate over delivering minutes < that + 6000: less than one pulse apart, never ahead.",
            lambda ctx, s, g: z3.And(PULSE_UNITS * (g.B + g.W) <= g.P, g.P < PULSE_UNITS * (g.B + g.W) + PULSE_UNITS),
            requirements=("BAS-2", "BAS-3", "TMP-2"),
            observes=("deliver", "notice"),
        ),
        ghost_goal(
            "BAS-4/interval",
            GHOST,
            "Over any interval, 6000 x basal pulses commanded < the integral of max basal over its delivering "
            "minutes + 6000: never more than max basal allows, plus less than one pulse.",
            lambda ctx, s, g: PULSE_UNITS * (g.B - g.sB) < (g.M - g.sM) + PULSE_UNITS,
            requirements=("BAS-4",),
            observes=("deliver", "notice"),
        ),
        on_step(
            "BAS-4/per-tick",
            FAMILY,
            ("BAS-4", "TMP-1"),
            "One minute commands at most (max basal x 100 + 5999) / 6000 basal pulses: max basal plus the "
            "carried fraction, whatever temp basal, schedule or controller command.",
            "Tick",
            lambda st: PULSE_UNITS * st.basal_pulses() < PULSE_UNITS + max_basal_cpph(st.before.settings),
            observes=("deliver",),
        ),
        on_step(
            "BAS-3/time-change-no-catch-up",
            FAMILY,
            ("BAS-3",),
            "A change of local time offset commands no pulse (no catch-up); accepted, it is announced with its delta.",
            "TimeOffsetChange",
            lambda st: z3.And(
                z3.Not(st.moves_motor()),
                z3.Implies(
                    st.accepted(),
                    z3.And(
                        st.notice(NoticeKind.TIME_CHANGED)[0],
                        st.notice(NoticeKind.TIME_CHANGED)[1] == st.event.delta_ticks,
                    ),
                ),
            ),
            observes=("deliver", "notice", "outcome"),
        ),
        witness_on_step(
            "NV/BAS-2/delivering-minute",
            FAMILY,
            "Some tick commands basal pulses while a percent temp runs.",
            "Tick",
            lambda st: z3.And(st.basal_pulses() > 0, st.before.basal.temp_kind == TempKind.PERCENT),
            ("BAS-2",),
        ),
    ]
    return result + _temp_obligations()


SCOPE: dict[str, str] = {
    "U-2": "Basal: commanded in whole pulses, rounded down, the remainder carried exactly (6000 x (commanded + "
    "withheld) + accumulator == the reference integral, the accumulator below one pulse). Whole pulses are the "
    "Z3 terms' integer sort and the Python step's ints (U-1, tested); the conversion of milliunits at the "
    "edges (builder, adapters) is tested only.",
    "BAS-2": "Proved over commanded basal (Deliver.basal_pulses) and BASAL_WITHHELD; which minutes deliver is "
    "specs.reference_basal.delivery_minute (pump status before the minute); the motor's real displacement and "
    "the wall clock's minute are the adapters' (tested only).",
    "BAS-3": "The rate integrated is the reference slot-bounds lookup at the time of day tracked from Ticks and "
    "TimeOffsetChanges; that the adapter turns a time-zone or DST change into the right delta is tested only.",
    "BAS-4": "Per minute and over any interval of delivering minutes, against the max basal in force (settings "
    "read from the state); max basal's own range is a settings rule (CFG family).",
    "TMP-1": "Ranges relative to the configuration; the catalogue's 0..250 % and 15 min..24 h only under the "
    "clinical rules (premise of TMP-1/catalogue-ranges), which the structural rules do not imply.",
    "TMP-2": "Ends (expiry, cancel, replacement, stop) as told by the step's notices and outcome; the display "
    "of the end is the user interface's (tested only).",
    "TMP-3": "Duration at acceptance and time left while in force; the SEN-2 fall-back when the sensor is lost "
    "is an early end told by TEMP_BASAL_ENDED(SENSOR_LOST), whose condition is the sensing family's.",
}
