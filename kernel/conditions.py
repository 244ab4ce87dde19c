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
a state.  A low-glucose suspension alarms (LOW_GLUCOSE_SUSPEND) only while a
fresh valid reading at or below the threshold confirms a low (the sensor's
LOW, or a second reading in a row at or below the threshold): then a person
must treat it.  A predictive suspension before any measured low is the pump
protecting on its own; it is shown as a mode change (an information signal),
not an alarm that asks a person to act (ALM-5, issue 18).  ``kernel.core``
feeds the conditions to the alarm machine after every step.

Requirements served: RES-1, RES-2, RES-4, OCC-2, DLV-2, DLV-3, SUS-1, SUS-2,
SUS-4, ALM-1, ALM-2, SEN-2, LIM-3.
"""

from __future__ import annotations

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

# Enum members the step reads on every event, as module constants (kernel.logic, "Enum members").
_LIMIT_REACHED = AlarmKind.LIMIT_REACHED
_ACKED = AlarmStatus.ACKED
_ACTIVE = AlarmStatus.ACTIVE
_MOTOR_FAILED = Condition.MOTOR_FAILED
_AUTO_OFF = Mode.AUTO_OFF
_DELIVERING = Mode.DELIVERING
_EMPTY = Mode.EMPTY
_LGS_SUSPENDED = Mode.LGS_SUSPENDED
_MOTOR_FAULT = Mode.MOTOR_FAULT
_OCCLUDED = Mode.OCCLUDED
_SET_EXPIRED = Mode.SET_EXPIRED
_SUSPENDED = Mode.SUSPENDED


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
    has already moved ``s.mode``); settling compares against it.  When no
    condition holds no row of ``CONDITION_TRANSITIONS`` moves the mode, so the
    table is walked only when one does.
    """
    st = s.settings
    motor_failed: bool = False
    occluded: bool = False
    for condition, edge in edges:
        if condition == _MOTOR_FAILED:
            motor_failed = edge
        else:
            occluded = edge
    mode = s.mode
    low = glucose_low(c, s, logic)
    in_lgs = logic.either(mode == _LGS_SUSPENDED, low)  # LGS_ENDED can apply only then (GLUCOSE_LOW comes first)
    lgs_over: bool = False
    lgs_cause = 0
    if in_lgs is not False:
        ends, cause = lgs_end(c, s, logic)
        lgs_over = logic.both(in_lgs, ends)
        lgs_cause = cause
    holds = (  # in CONDITION_ORDER
        motor_failed,
        occluded,
        s.reservoir.pulses == 0,
        s.reservoir.set_age_ticks >= st.set_max_age_ticks,
        logic.both(st.auto_off_ticks != 0, s.timers.idle_ticks >= st.auto_off_ticks),
        low,
        lgs_over,
    )
    if logic.any(*holds) is not False:
        for condition, holds_now in zip(CONDITION_ORDER, holds, strict=True):
            mode = condition_transition(mode, condition, holds_now, logic)
    left_lgs = logic.both(s.mode == _LGS_SUSPENDED, mode == _DELIVERING)
    if left_lgs is not False:
        fx = notice(fx, NoticeKind.LGS_ENDED, left_lgs, lgs_cause, 0, 0, logic)
        locks = logic.both(left_lgs, lgs_cause == LgsEnd.MAX_DURATION)
        lockout = logic.ite(locks, c.lgs_lockout_ticks, s.timers.lgs_lockout_ticks)
        s = s._replace(timers=s.timers._replace(lgs_lockout_ticks=lockout))
    if (mode != s.mode) is not False:
        s = s._replace(mode=mode)
    return settle(c, s, fx, before, logic)


def settle(c: PumpConfig, s: PumpState, fx: Effects, before: int, logic: Logic) -> tuple[PumpState, Effects]:
    """Make the mode's promises true (see module docstring); ``before`` is the old mode.

    A pump that delivers, delivered before the event and has no suspension
    time counted has nothing to settle.
    """
    stopped = s.mode != _DELIVERING
    changed = s.mode != before
    t = s.timers
    if logic.any(stopped, changed, t.suspended_ticks != 0) is False:
        return s, fx
    s, fx = end_bolus(s, fx, stopped, StopCause.DELIVERY_STOPPED, logic)
    s, fx = end_extended(s, fx, stopped, StopCause.DELIVERY_STOPPED, logic)
    s, fx = end_temp(s, fx, stopped, StopCause.DELIVERY_STOPPED, logic)
    suspended_now = is_one_of(s.mode, SUSPENDED_MODES, logic)
    entered_suspension = logic.all(changed, suspended_now, logic.not_(is_one_of(before, SUSPENDED_MODES, logic)))
    entered_manual = logic.both(changed, s.mode == _SUSPENDED)
    t = s.timers
    suspended_ticks = logic.ite(logic.either(entered_suspension, logic.not_(suspended_now)), 0, t.suspended_ticks)
    countdown = logic.ite(entered_manual, c.suspend_reminder_ticks, t.reminder_countdown_ticks)
    if logic.either(suspended_ticks != t.suspended_ticks, countdown != t.reminder_countdown_ticks) is not False:
        s = s._replace(timers=t._replace(suspended_ticks=suspended_ticks, reminder_countdown_ticks=countdown))
    return s, fx


def busy(s: PumpState, logic: Logic) -> bool:
    """A bolus or a prime is running: deferrable alerts wait for it (RES-2)."""
    return logic.either(s.bolus.remaining_pulses > 0, is_one_of(s.mode, PRIMING_MODES, logic))


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
    status = s.alarms[_LIMIT_REACHED]
    raised = logic.either(status == _ACTIVE, status == _ACKED)
    if raised is False:
        return False
    st = s.settings
    room = logic.min(hour_room(st, s.windows), day_room(st, s.windows))
    quarter_hour_pulses = logic.div_const(scheduled_pph(st, s.time_of_day_ticks, logic), 4)
    return logic.both(raised, room <= quarter_hour_pulses)


def _sensing_lost(c: PumpConfig, s: PumpState, logic: Logic) -> bool:
    """A sensor-driven feature is on, the pump could act on glucose now, and no fresh valid reading (SEN-2)."""
    st = s.settings
    wanted = logic.both(
        logic.either(st.lgs_enabled, st.controller_enabled),
        is_one_of(s.mode, (_DELIVERING, _LGS_SUSPENDED), logic),
    )
    if wanted is False:
        return False
    return logic.both(wanted, logic.not_(reading_fresh(c, s, logic)))


def _measured_low(c: PumpConfig, s: PumpState, logic: Logic) -> bool:
    """A person should treat a low now (ALM-5): a fresh valid reading at or below the threshold that is the
    sensor's own LOW or follows a valid reading also at or below it (one reading of alarm-condition delay,
    so that a single noisy reading does not call a person; the suspension itself does not wait)."""
    g = s.glucose
    threshold = s.settings.lgs_threshold_mgdl
    confirmed = logic.either(g.edge == -1, logic.both(g.older_valid[0], g.older_mgdl[0] <= threshold))
    return logic.all(reading_fresh(c, s, logic), g.mgdl <= threshold, confirmed)


def alarm_conditions(c: PumpConfig, s: PumpState, limit_hit: bool, logic: Logic) -> tuple[bool, ...]:
    """For each ``AlarmKind`` in order: does its condition hold in ``s``?"""
    st = s.settings
    mode = s.mode
    in_place = is_one_of(mode, RESERVOIR_MODES, logic)
    pulses = s.reservoir.pulses
    measured_low = mode == _LGS_SUSPENDED
    if measured_low is not False:  # a measured low is read only during a low-glucose suspension (kernel.logic)
        measured_low = logic.both(measured_low, _measured_low(c, s, logic))
    return (
        mode == _OCCLUDED,
        mode == _MOTOR_FAULT,
        mode == _EMPTY,
        mode == _SET_EXPIRED,
        mode == _AUTO_OFF,
        s.motor.uncertain,
        measured_low,
        logic.both(in_place, pulses <= c.reservoir_very_low_pulses),
        logic.either(limit_hit, limit_latched(s, logic)),
        logic.both(in_place, pulses <= st.reservoir_low_pulses),
        logic.both(is_one_of(mode, SET_IN_USE_MODES, logic), s.reservoir.set_age_ticks >= st.set_reminder_ticks),
        _sensing_lost(c, s, logic),
    )
