"""User control: suspend, resume, settings, local time, alarm acknowledgement.

Theory of operation
-------------------
``Suspend`` stops all delivery within the tick it arrives: the mode table
moves the pump out of ``DELIVERING`` and settling ends any bolus and temp
basal, so no further ``Deliver`` is commanded (SUS-1).  While suspended a
reminder repeats every ``suspend_reminder_ticks`` (``kernel.tick``).

``Resume`` needs every high-priority alarm acknowledged (ALM-1).  Resuming
from a manual or automatic suspension locks low-glucose suspend out for
``lgs_lockout_ticks`` (SUS-4, 30 minutes).

``SettingsChange`` is validated as a whole by ``settings_checks``; every failed
rule is reported in the outcome (CFG-1).  It is also refused while a bolus
runs, and when the new hourly or daily limit is below what the rolling window
already holds (the window invariant ``total <= limit`` never breaks).

``TimeOffsetChange`` moves the local time of day by up to a day either way.
Only the time of day moves: the accumulator, the windows and every timer
stay, so the new segment takes over without catch-up delivery and without
skipping more than really elapsed (BAS-3).

Units: ``_ticks``.  Requirements served: SUS-1, SUS-4, ALM-1, ALM-2, ALM-3,
CFG-1, CFG-2, BAS-3, LIM-1, LIM-2.
"""

from __future__ import annotations

from kernel.alarms import N_ALARMS, AlarmStatus, acknowledge, high_alarm_active
from kernel.commands import NO_EFFECTS, NoticeKind, notice
from kernel.conditions import alarm_conditions
from kernel.config import PumpConfig
from kernel.events import AlarmAck, Resume, SettingsChange, Source, Suspend, TimeOffsetChange, UserPresent
from kernel.handling import Handled, end_temp
from kernel.logic import Logic
from kernel.modes import SUSPENDED_MODES, is_one_of
from kernel.reasons import Reason, StopCause
from kernel.settings import rule_mask, settings_checks
from kernel.state import PumpState
from kernel.units import TICKS_PER_DAY


def on_suspend(c: PumpConfig, s: PumpState, e: Suspend, logic: Logic) -> Handled:
    """Manual suspend (SUS-1); settling ends the bolus and temp basal now."""
    return Handled((), s, NO_EFFECTS)


def on_resume(c: PumpConfig, s: PumpState, e: Resume, logic: Logic) -> Handled:
    """Explicit resume; locks automatic suspension out after a suspension (SUS-4)."""
    checks = ((logic.not_(high_alarm_active(s.alarms, logic)), Reason.ALARM_UNACKNOWLEDGED),)
    from_suspension = is_one_of(s.mode, SUSPENDED_MODES, logic)
    lockout = logic.ite(from_suspension, c.lgs_lockout_ticks, s.timers.lgs_lockout_ticks)
    accepted = s._replace(timers=s.timers._replace(lgs_lockout_ticks=lockout, suspended_ticks=0))
    return Handled(checks, accepted, NO_EFFECTS)


def on_settings(c: PumpConfig, s: PumpState, e: SettingsChange, logic: Logic) -> Handled:
    """Replace the therapy settings after validating them as a whole (CFG-1, CFG-2)."""
    new = e.settings
    rules = settings_checks(c, new, logic)
    valid = logic.all(*(holds for _, holds in rules))
    idle = logic.both(s.bolus.remaining_pulses == 0, s.bolus.ext_remaining_pulses == 0)
    fits = logic.both(
        s.windows.hour_total_pulses <= new.max_hourly_pulses,
        s.windows.day_total_pulses <= new.max_daily_pulses,
    )
    checks = (
        (valid, Reason.SETTINGS_INVALID),
        (idle, Reason.BOLUS_IN_PROGRESS),
        (fits, Reason.SETTINGS_BELOW_WINDOW_USAGE),
    )
    changed = s._replace(settings=new)
    loop_off = logic.both(logic.not_(new.controller_enabled), s.basal.temp_source == Source.CONTROLLER)
    changed, fx = end_temp(changed, NO_EFFECTS, loop_off, StopCause.CANCELLED, logic)
    fx = notice(fx, NoticeKind.SETTINGS_CHANGED, True, 0, 0, 0, logic)
    fx = fx._replace(detail=rule_mask(rules, logic))
    return Handled(checks, changed, fx)


def on_time_offset(c: PumpConfig, s: PumpState, e: TimeOffsetChange, logic: Logic) -> Handled:
    """Move the local time of day; nothing is caught up or skipped (BAS-3)."""
    moved = s.time_of_day_ticks + e.delta_ticks
    moved = logic.ite(moved < 0, moved + TICKS_PER_DAY, moved)
    moved = logic.ite(moved >= TICKS_PER_DAY, moved - TICKS_PER_DAY, moved)
    checks = ((e.delta_ticks != 0, Reason.TIME_OFFSET_ZERO),)
    fx = notice(NO_EFFECTS, NoticeKind.TIME_CHANGED, True, e.delta_ticks, 0, 0, logic)
    return Handled(checks, s._replace(time_of_day_ticks=moved), fx)


def on_alarm_ack(c: PumpConfig, s: PumpState, e: AlarmAck, logic: Logic) -> Handled:
    """Acknowledge an active alarm: ACKED if its condition holds, else CLEAR (ALM-1, ALM-3)."""
    known = e.alarm < N_ALARMS
    active = logic.any(*(logic.both(e.alarm == k, s.alarms[k] == AlarmStatus.ACTIVE) for k in range(N_ALARMS)))
    checks = ((logic.both(known, active), Reason.ALARM_NOT_ACTIVE),)
    holds = alarm_conditions(c, s, False, logic)
    return Handled(checks, s._replace(alarms=acknowledge(s.alarms, e.alarm, holds, logic)), NO_EFFECTS)


def on_user_present(c: PumpConfig, s: PumpState, e: UserPresent, logic: Logic) -> Handled:
    """A button press: the person at the pump restarts the auto-off timer (``kernel.core``, ALM-2)."""
    return Handled((), s, NO_EFFECTS)
