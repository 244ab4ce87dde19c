"""State-triggered transitions, their side effects, and the alarm conditions.

Theory of operation
-------------------
After every event, and inside a tick once before and once after delivery,
``apply_conditions`` evaluates every ``Condition`` of ``kernel.modes`` on the
state (level conditions, such as "the reservoir is empty" or "the set is too
old") together with the edge conditions the handler reported (a motor fault,
an occlusion), and moves the mode as ``CONDITION_TRANSITIONS`` says, in
priority order.

Then it *settles* the state so that the mode's promises hold, whatever path
led there: outside ``DELIVERING`` no bolus runs and no temp basal is in force
(each ended with a notice saying what was and was not delivered: BOL-6,
OCC-2), a suspension's timers start when it starts (SUS-1), and an automatic
suspension that ran its full length locks itself out for a while so that
basal really resumes (SUS-4).

``alarm_conditions`` says, for each alarm kind, whether its condition holds in
a state; ``kernel.core`` feeds that to the alarm machine after every step.

Requirements served: RES-1, RES-2, RES-4, OCC-2, DLV-2, DLV-3, SUS-1, SUS-2,
SUS-4, ALM-1, ALM-2, SEN-2, LIM-3.
"""

from __future__ import annotations

from dataclasses import replace

from kernel.alarms import AlarmKind, AlarmStatus
from kernel.basal import scheduled_pph
from kernel.commands import Effects, LgsEnd, NoticeKind, notice
from kernel.config import PumpConfig
from kernel.handling import end_bolus, end_extended, end_temp
from kernel.logic import Logic
from kernel.modes import (
    CONDITION_ORDER,
    PRIMING_MODES,
    RESERVOIR_MODES,
    SET_IN_USE_MODES,
    SUSPENDED_MODES,
    Condition,
    Mode,
    condition_transition,
    is_one_of,
)
from kernel.reasons import StopCause
from kernel.sensing import glucose_low, lgs_end, reading_fresh
from kernel.state import PumpState
from kernel.windows import day_room, hour_room


def level_conditions(c: PumpConfig, s: PumpState, logic: Logic) -> tuple[dict[Condition, bool], int]:
    """The conditions that hold because of what the state is (not of what happened),
    and why an automatic suspension would end (an ``LgsEnd``)."""
    st = s.settings
    absent = logic.all(st.auto_off_ticks != 0, s.timers.idle_ticks >= st.auto_off_ticks)
    lgs_over, lgs_cause = lgs_end(c, s, logic)
    holds = {
        Condition.MOTOR_FAILED: False,
        Condition.LINE_OCCLUDED: False,
        Condition.RESERVOIR_EMPTIED: s.reservoir.pulses == 0,
        Condition.SET_AGED_OUT: s.reservoir.set_age_ticks >= st.set_max_age_ticks,
        Condition.USER_ABSENT: absent,
        Condition.GLUCOSE_LOW: glucose_low(c, s, logic),
        Condition.LGS_ENDED: lgs_over,
    }
    return holds, lgs_cause


def apply_conditions(
    c: PumpConfig,
    s: PumpState,
    fx: Effects,
    edges: tuple[tuple[Condition, bool], ...],
    before: int,
    logic: Logic,
) -> tuple[PumpState, Effects]:
    """Move the mode for every condition that holds, then settle (see module docstring).

    ``before`` is the mode before the event (the event's own transition, if any,
    has already moved ``s.mode``); settling compares against it.
    """
    holds, lgs_cause = level_conditions(c, s, logic)
    for condition, edge in edges:
        holds[condition] = logic.any(holds[condition], edge)
    mode = s.mode
    for condition in CONDITION_ORDER:
        mode = condition_transition(mode, condition, holds[condition], logic)
    left_lgs = logic.all(s.mode == Mode.LGS_SUSPENDED, mode == Mode.DELIVERING)
    fx = notice(fx, NoticeKind.LGS_ENDED, left_lgs, lgs_cause, 0, 0, logic)
    timers = s.timers
    lockout = logic.ite(
        logic.all(left_lgs, lgs_cause == LgsEnd.MAX_DURATION), c.lgs_lockout_ticks, timers.lgs_lockout_ticks
    )
    s = replace(s, mode=mode, timers=replace(timers, lgs_lockout_ticks=lockout))
    return settle(c, s, fx, before, logic)


def settle(c: PumpConfig, s: PumpState, fx: Effects, before: int, logic: Logic) -> tuple[PumpState, Effects]:
    """Make the mode's promises true (see module docstring); ``before`` is the old mode."""
    stopped = s.mode != Mode.DELIVERING
    s, fx = end_bolus(s, fx, stopped, StopCause.DELIVERY_STOPPED, logic)
    s, fx = end_extended(s, fx, stopped, StopCause.DELIVERY_STOPPED, logic)
    s, fx = end_temp(s, fx, stopped, StopCause.DELIVERY_STOPPED, logic)
    entered_suspension = logic.all(
        s.mode != before,
        is_one_of(s.mode, SUSPENDED_MODES, logic),
        logic.not_(is_one_of(before, SUSPENDED_MODES, logic)),
    )
    not_suspended = logic.not_(is_one_of(s.mode, SUSPENDED_MODES, logic))
    entered_manual = logic.all(s.mode != before, s.mode == Mode.SUSPENDED)
    timers = replace(
        s.timers,
        suspended_ticks=logic.ite(logic.any(entered_suspension, not_suspended), 0, s.timers.suspended_ticks),
        reminder_countdown_ticks=logic.ite(entered_manual, c.suspend_reminder_ticks, s.timers.reminder_countdown_ticks),
    )
    return replace(s, timers=timers), fx


def busy(s: PumpState, logic: Logic) -> bool:
    """A bolus or a prime is running: deferrable alerts wait for it (RES-2)."""
    return logic.any(s.bolus.remaining_pulses > 0, is_one_of(s.mode, PRIMING_MODES, logic))


def limit_latched(s: PumpState, logic: Logic) -> bool:
    """The limit alert, once raised, holds while the room stays within 15 minutes of basal (LIM-3).

    ``LIMIT_REACHED`` is raised by an edge (a pulse withheld by a rolling
    limit).  Near a limit basal is withheld again every few minutes; without
    this latch each of those edges would raise the alert anew right after the
    user acknowledged it.  While the alert is active or acknowledged and the
    smaller of the hourly and daily room is at most a quarter hour of the
    scheduled basal rate, its condition keeps holding, so it stays
    acknowledged; once the room is back it clears, and the next limit hit
    alerts again.
    """
    st = s.settings
    raised = logic.any(
        s.alarms[AlarmKind.LIMIT_REACHED] == AlarmStatus.ACTIVE,
        s.alarms[AlarmKind.LIMIT_REACHED] == AlarmStatus.ACKED,
    )
    room = logic.min(hour_room(st, s.windows), day_room(st, s.windows))
    quarter_hour_pulses = logic.div_const(scheduled_pph(st, s.time_of_day_ticks, logic), 4)
    return logic.all(raised, room <= quarter_hour_pulses)


def alarm_conditions(c: PumpConfig, s: PumpState, limit_hit: bool, logic: Logic) -> tuple[bool, ...]:
    """For each ``AlarmKind`` in order: does its condition hold in ``s``?"""
    st = s.settings
    in_place = is_one_of(s.mode, RESERVOIR_MODES, logic)
    sensing = logic.all(
        logic.any(st.lgs_enabled, st.controller_enabled),
        is_one_of(s.mode, (Mode.DELIVERING, Mode.LGS_SUSPENDED), logic),
        logic.not_(reading_fresh(c, s, logic)),
    )
    holds = {
        AlarmKind.OCCLUSION: s.mode == Mode.OCCLUDED,
        AlarmKind.MOTOR_FAULT: s.mode == Mode.MOTOR_FAULT,
        AlarmKind.RESERVOIR_EMPTY: s.mode == Mode.EMPTY,
        AlarmKind.SET_EXPIRED: s.mode == Mode.SET_EXPIRED,
        AlarmKind.AUTO_OFF: s.mode == Mode.AUTO_OFF,
        AlarmKind.DELIVERY_UNCERTAIN: s.motor.uncertain,
        AlarmKind.LOW_GLUCOSE_SUSPEND: s.mode == Mode.LGS_SUSPENDED,
        AlarmKind.RESERVOIR_VERY_LOW: logic.all(in_place, s.reservoir.pulses <= c.reservoir_very_low_pulses),
        AlarmKind.LIMIT_REACHED: logic.any(limit_hit, limit_latched(s, logic)),
        AlarmKind.RESERVOIR_LOW: logic.all(in_place, s.reservoir.pulses <= st.reservoir_low_pulses),
        AlarmKind.SET_REMINDER: logic.all(
            is_one_of(s.mode, SET_IN_USE_MODES, logic), s.reservoir.set_age_ticks >= st.set_reminder_ticks
        ),
        AlarmKind.SENSOR_UNAVAILABLE: sensing,
    }
    return tuple(holds[kind] for kind in AlarmKind)
