"""One minute passes: timers, conditions, and the delivery of that minute.

Theory of operation
-------------------
A ``Tick`` is the only thing that moves time, and the only thing that
delivers therapy.  In order:

1. The clock advances one tick, the local time of day wraps at midnight, and
   every window ring advances (``kernel.windows``).
2. The motor watchdog looks for an unanswered command (``kernel.motor``).
3. Timers move: time suspended and the repeating suspend reminder (SUS-1),
   the low-glucose-suspend lockout (SUS-4), time since the user last acted
   (ALM-2), the set's age (RES-4).  A controller temp that raises basal while
   the sensor has no usable data ends: delivery falls back to the schedule
   (SEN-2).
4. Conditions are applied (``kernel.conditions``), so a set that just aged
   out or a user who just became absent stops delivery *before* this minute's
   pulses.
5. Delivery (below), if the pump is delivering, the motor is idle and no high
   alarm waits (ALM-1), and the tick is not a replayed missed tick (CLK-1).
6. The temp basal's remaining time counts down; it ends exactly after its
   duration and the schedule resumes the next tick (TMP-2).

Delivery of one minute.  Basal is due from the accumulator
(``kernel.basal``); the extended bolus wants its even share (``BolusState``)
and the normal bolus what is left of ``bolus_pulses_per_tick``: the speed
bounds both parts together (BOL-3), and an extended share above the speed
is stretched over more minutes, never delivered faster.  The room
is the smallest of the hourly window's room, the daily window's room and the
reservoir.  Basal is served first, then the normal bolus, then the extended
bolus.  If a bolus cannot get its full share it stops there and the user is
told what was and was not delivered and why (LIM-3); basal that does not fit
is withheld, counted, and reported.  Nothing withheld is ever delivered
later.  Every pulse goes out in one ``Deliver`` with the next sequence
number, and is counted in the windows, IOB and reservoir at once (LIM-5).

Units: ``_pulses``, ``_ticks``, ``_cpph``.  Requirements served: BAS-2, BAS-4,
BOL-3, LIM-1, LIM-2, LIM-3, LIM-5, TMP-2, TMP-3, SUS-1, SUS-4, ALM-1, ALM-2,
RES-1, RES-4, CLK-1, SEN-2, U-2.
"""

from __future__ import annotations

from dataclasses import replace

from kernel.alarms import high_alarm_active
from kernel.basal import accumulate, effective_cpph, scheduled_pph
from kernel.commands import NO_EFFECTS, Effects, NoticeKind, Purpose, deliver, notice
from kernel.conditions import apply_conditions
from kernel.config import PumpConfig
from kernel.events import Source, TempKind, Tick
from kernel.handling import Handled, end_temp, temp_running
from kernel.logic import Logic
from kernel.modes import Mode
from kernel.motor import watchdog
from kernel.reasons import StopCause
from kernel.sensing import reading_fresh
from kernel.state import PumpState, Totals
from kernel.units import CPPH_PER_PPH, TICKS_PER_DAY
from kernel.windows import advance, day_room, hour_room, record


def on_tick(c: PumpConfig, s: PumpState, e: Tick, logic: Logic) -> Handled:
    """Advance one minute and deliver it (see module docstring)."""
    next_day = s.time_of_day_ticks + 1
    s = replace(
        s,
        now_ticks=s.now_ticks + 1,
        time_of_day_ticks=logic.ite(next_day >= TICKS_PER_DAY, 0, next_day),
        windows=advance(c, s.windows, logic),
    )
    s, fx, edges = watchdog(c, s, NO_EFFECTS, logic)
    s, fx = _timers(c, s, fx, logic)
    s, fx = apply_conditions(c, s, fx, edges, s.mode, logic)
    s, fx = _deliver(c, s, fx, e.missed, logic)
    s, fx = _count_down_temp(s, fx, logic)
    return Handled((), False, s, fx)


def _timers(c: PumpConfig, s: PumpState, fx: Effects, logic: Logic) -> tuple[PumpState, Effects]:
    t = s.timers
    suspended = logic.any(s.mode == Mode.SUSPENDED, s.mode == Mode.LGS_SUSPENDED)
    suspended_ticks = logic.ite(suspended, t.suspended_ticks + 1, 0)
    countdown = logic.ite(s.mode == Mode.SUSPENDED, t.reminder_countdown_ticks - 1, t.reminder_countdown_ticks)
    remind = logic.all(s.mode == Mode.SUSPENDED, countdown <= 0)
    fx = notice(fx, NoticeKind.SUSPEND_REMINDER, remind, suspended_ticks, 0, 0, logic)
    timers = replace(
        t,
        suspended_ticks=suspended_ticks,
        reminder_countdown_ticks=logic.ite(remind, c.suspend_reminder_ticks, countdown),
        lgs_lockout_ticks=logic.max(t.lgs_lockout_ticks - 1, 0),
        idle_ticks=logic.min(t.idle_ticks + 1, c.auto_off_max_ticks),
    )
    age = logic.min(s.reservoir.set_age_ticks + 1, c.set_max_age_ceiling_ticks)
    s = replace(s, timers=timers, reservoir=replace(s.reservoir, set_age_ticks=age))
    st = s.settings
    raised = effective_cpph(st, s.basal, s.time_of_day_ticks, logic) > (
        scheduled_pph(st, s.time_of_day_ticks, logic) * CPPH_PER_PPH
    )
    fall_back = logic.all(
        temp_running(s, logic),
        s.basal.temp_source == Source.CONTROLLER,
        raised,
        logic.not_(reading_fresh(c, s, logic)),
    )
    return end_temp(s, fx, fall_back, StopCause.SENSOR_LOST, logic)


def _deliver(c: PumpConfig, s: PumpState, fx: Effects, missed: bool, logic: Logic) -> tuple[PumpState, Effects]:
    st = s.settings
    b = s.bolus
    gate = logic.all(
        s.mode == Mode.DELIVERING,
        s.motor.pending_pulses == 0,
        logic.not_(s.motor.uncertain),
        logic.not_(high_alarm_active(s.alarms, logic)),
        logic.not_(missed),
    )
    rate_cpph = effective_cpph(st, s.basal, s.time_of_day_ticks, logic)
    basal_due, acc = accumulate(s.basal.acc, rate_cpph, logic)
    room_hour = hour_room(st, s.windows)
    room_day = day_room(st, s.windows)
    room_limits = logic.min(room_hour, room_day)
    room = logic.min(room_limits, s.reservoir.pulses)
    cause = logic.ite(
        s.reservoir.pulses <= room_limits,
        StopCause.RESERVOIR,
        logic.ite(room_hour <= room_day, StopCause.HOURLY_LIMIT, StopCause.DAILY_LIMIT),
    )

    basal_n = logic.min(basal_due, room)
    withheld = basal_due - basal_n

    # The bolus speed bounds the normal and the extended part together (BOL-3): the extended share
    # is served within it first, the normal bolus takes what is left of the speed this minute.
    ext_units = b.ext_acc + b.ext_remainder_pulses
    ext_extra = ext_units >= b.ext_duration_ticks
    ext_share = logic.min(b.ext_quotient_pulses + logic.ite(ext_extra, 1, 0), b.ext_remaining_pulses)
    ext_want = logic.min(ext_share, c.bolus_pulses_per_tick)

    bolus_want = logic.min(b.remaining_pulses, c.bolus_pulses_per_tick - ext_want)
    bolus_n = logic.min(bolus_want, room - basal_n)
    bolus_cut = bolus_n < bolus_want
    bolus_left = b.remaining_pulses - bolus_n
    bolus_done = logic.all(b.remaining_pulses > 0, logic.not_(bolus_cut), bolus_left == 0)

    ext_n = logic.min(ext_want, room - basal_n - bolus_n)
    ext_cut = ext_n < ext_want
    ext_left = b.ext_remaining_pulses - ext_n
    ext_done = logic.all(b.ext_remaining_pulses > 0, logic.not_(ext_cut), ext_left == 0)

    pulses = basal_n + bolus_n + ext_n
    seq = s.motor.seq + logic.ite(pulses > 0, 1, 0)
    bolus_delivered = b.delivered_pulses + bolus_n
    ext_delivered = b.ext_delivered_pulses + ext_n
    bolus_ends = logic.any(bolus_cut, bolus_done)
    ext_ends = logic.any(ext_cut, ext_done)

    delivered = replace(
        s,
        basal=replace(s.basal, acc=acc),
        bolus=replace(
            b,
            remaining_pulses=logic.ite(bolus_ends, 0, bolus_left),
            delivered_pulses=logic.ite(bolus_ends, 0, bolus_delivered),
            request_id=logic.ite(bolus_ends, 0, b.request_id),
            ext_remaining_pulses=logic.ite(ext_ends, 0, ext_left),
            ext_delivered_pulses=logic.ite(ext_ends, 0, ext_delivered),
            ext_request_id=logic.ite(ext_ends, 0, b.ext_request_id),
            ext_acc=logic.ite(ext_ends, 0, logic.ite(ext_extra, ext_units - b.ext_duration_ticks, ext_units)),
        ),
        windows=record(s.windows, pulses),
        reservoir=replace(s.reservoir, pulses=s.reservoir.pulses - pulses),
        motor=replace(s.motor, seq=seq, pending_pulses=pulses, pending_ticks=0),
        totals=Totals(
            basal_pulses=s.totals.basal_pulses + basal_n,
            bolus_pulses=s.totals.bolus_pulses + bolus_n + ext_n,
            prime_pulses=s.totals.prime_pulses,
            confirmed_pulses=s.totals.confirmed_pulses,
            withheld_pulses=s.totals.withheld_pulses + withheld,
            basal_programmed_units=s.totals.basal_programmed_units + rate_cpph,
            excess_pulses=s.totals.excess_pulses,
        ),
    )
    told = fx
    told = notice(told, NoticeKind.BASAL_WITHHELD, withheld > 0, withheld, cause, 0, logic)
    bolus_cause = logic.ite(bolus_cut, cause, StopCause.COMPLETED)
    told = notice(told, NoticeKind.BOLUS_ENDED, bolus_ends, bolus_delivered, bolus_left, bolus_cause, logic)
    ext_cause = logic.ite(ext_cut, cause, StopCause.COMPLETED)
    told = notice(told, NoticeKind.EXTENDED_ENDED, ext_ends, ext_delivered, ext_left, ext_cause, logic)
    limit_hit = logic.all(logic.any(withheld > 0, bolus_cut, ext_cut), cause != StopCause.RESERVOIR)
    told = replace(told, limit_hit=limit_hit)
    told = deliver(told, pulses, seq, Purpose.THERAPY, logic)
    return logic.pick(gate, delivered, s), logic.pick(gate, told, fx)


def _count_down_temp(s: PumpState, fx: Effects, logic: Logic) -> tuple[PumpState, Effects]:
    running = temp_running(s, logic)
    left = logic.ite(running, s.basal.temp_remaining_ticks - 1, s.basal.temp_remaining_ticks)
    expires = logic.all(running, left == 0)
    fx = notice(fx, NoticeKind.TEMP_BASAL_ENDED, expires, StopCause.EXPIRED, 0, 0, logic)
    basal = replace(
        s.basal,
        temp_remaining_ticks=left,
        temp_kind=logic.ite(expires, TempKind.NONE, s.basal.temp_kind),
        temp_value=logic.ite(expires, 0, s.basal.temp_value),
    )
    return replace(s, basal=basal), fx
