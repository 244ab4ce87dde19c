"""One minute passes: timers, conditions, and the delivery of that minute.

Theory of operation
-------------------
A ``Tick`` is the only thing that moves time, and the only thing that
delivers therapy.  In order:

1. The clock advances one tick, the local time of day wraps at midnight, and
   every window ring advances (``kernel.windows``).
2. The motor watchdog looks for an unanswered command (``kernel.motor``).
3. Timers move: time suspended and the repeating suspend reminder (SUS-1),
   the low-glucose-suspend lockout (SUS-4), time since a person last acted
   (ALM-2, ALM-4), the part of the last 24 hours a replacement state could
   not rebuild (PER-4), the set's age (RES-4).  A controller temp that raises basal while
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
number, says how many of its pulses are basal and how many bolus, and is
counted in the windows, IOB and reservoir at once (LIM-5).

Units: ``_pulses``, ``_ticks``, ``_cpph``.  Requirements served: BAS-2, BAS-4,
BOL-3, LIM-1, LIM-2, LIM-3, LIM-5, TMP-2, TMP-3, SUS-1, SUS-4, ALM-1, ALM-2,
RES-1, RES-4, CLK-1, SEN-2, U-2.
"""

from __future__ import annotations

from kernel.alarms import high_alarm_active
from kernel.basal import accumulate, effective_cpph, scheduled_pph
from kernel.commands import NO_EFFECTS, Effects, NoticeKind, Purpose, notice
from kernel.conditions import apply_conditions
from kernel.config import PumpConfig
from kernel.events import Source, TempKind, Tick
from kernel.handling import Handled, end_temp, temp_running
from kernel.logic import Logic
from kernel.modes import Mode
from kernel.motor import watchdog
from kernel.reasons import StopCause
from kernel.reservoir import draw
from kernel.sensing import reading_fresh
from kernel.state import BasalState, BolusState, MotorState, PumpState, ReservoirState, Timers, Totals
from kernel.units import CPPH_PER_PPH, TICKS_PER_DAY
from kernel.windows import advance, day_room, hour_room, record

# Records are built as _new(Cls, (values...)): the same tuple as Cls(values...) at a third of the cost
# (kernel.state, "Building records"; tests/test_record_construction.py checks every call).
_new = tuple.__new__

# Enum members the step reads on every event, as module constants (kernel.logic, "Enum members").
_DELIVERING = Mode.DELIVERING
_LGS_SUSPENDED = Mode.LGS_SUSPENDED
_SUSPENDED = Mode.SUSPENDED
_SUSPEND_REMINDER = NoticeKind.SUSPEND_REMINDER
_THERAPY = Purpose.THERAPY
_CONTROLLER = Source.CONTROLLER
_COMPLETED = StopCause.COMPLETED


def on_tick(c: PumpConfig, s: PumpState, e: Tick, logic: Logic) -> Handled:
    """Advance one minute and deliver it (see module docstring)."""
    next_day = s.time_of_day_ticks + 1
    timers, reservoir, fx = _timers(c, s, logic)
    s = _new(
        PumpState,
        (
            s.mode,
            s.now_ticks + 1,
            logic.ite(next_day >= TICKS_PER_DAY, 0, next_day),
            s.settings,
            advance(c, s.windows, logic),
            s.basal,
            s.bolus,
            reservoir,
            s.motor,
            s.glucose,
            timers,
            s.totals,
            s.alarms,
            s.requests,
            s.log,
        ),
    )
    s, fx, edges = watchdog(c, s, fx, logic)
    s, fx = _sensor_fall_back(c, s, fx, logic)
    s, fx = apply_conditions(c, s, fx, edges, s.mode, logic)
    s, fx = _deliver(c, s, fx, e.missed, logic)
    s, fx = _count_down_temp(s, fx, logic)
    return Handled((), s, fx)


def _timers(c: PumpConfig, s: PumpState, logic: Logic) -> tuple[Timers, ReservoirState, Effects]:
    """This minute's timers and set age (SUS-1, SUS-4, ALM-2, PER-4, RES-4), and the suspend reminder."""
    t = s.timers
    mode = s.mode
    suspended = logic.either(mode == _SUSPENDED, mode == _LGS_SUSPENDED)
    suspended_ticks = logic.ite(suspended, t.suspended_ticks + 1, 0)
    manual = mode == _SUSPENDED
    countdown = logic.ite(manual, t.reminder_countdown_ticks - 1, t.reminder_countdown_ticks)
    remind = logic.both(manual, countdown <= 0)
    fx = notice(NO_EFFECTS, _SUSPEND_REMINDER, remind, suspended_ticks, 0, 0, logic)
    timers = _new(
        Timers,
        (
            suspended_ticks,
            logic.ite(remind, c.suspend_reminder_ticks, countdown),
            logic.max(t.lgs_lockout_ticks - 1, 0),
            logic.min(t.idle_ticks + 1, c.auto_off_max_ticks),
            logic.max(t.history_unknown_ticks - 1, 0),
            logic.max(t.alarm_repeat_countdown_ticks - 1, 0),
            t.alarm_repeats,
        ),
    )
    r = s.reservoir
    reservoir = _new(
        ReservoirState, (r.pulses, r.prime_used_pulses, logic.min(r.set_age_ticks + 1, c.set_max_age_ceiling_ticks))
    )
    return timers, reservoir, fx


def _sensor_fall_back(c: PumpConfig, s: PumpState, fx: Effects, logic: Logic) -> tuple[PumpState, Effects]:
    """A controller temp above the schedule ends when the sensor has no fresh valid reading (SEN-2, TMP-3)."""
    b = s.basal
    controller_temp = logic.both(b.temp_source == _CONTROLLER, temp_running(s, logic))
    if controller_temp is False:
        return s, fx
    st = s.settings
    tod = s.time_of_day_ticks
    raised = effective_cpph(st, b, tod, logic) > scheduled_pph(st, tod, logic) * CPPH_PER_PPH
    fall_back = logic.all(controller_temp, raised, logic.not_(reading_fresh(c, s, logic)))
    return end_temp(s, fx, fall_back, StopCause.SENSOR_LOST, logic)


def motor_ready(m: MotorState, logic: Logic) -> bool:
    """The motor may take a new command: the last one is answered and delivery is certain (DLV-1, DLV-2)."""
    return logic.both(m.pending_pulses == 0, logic.not_(m.uncertain))


def _deliver(c: PumpConfig, s: PumpState, fx: Effects, missed: bool, logic: Logic) -> tuple[PumpState, Effects]:
    m = s.motor
    gate = logic.all(
        s.mode == _DELIVERING,
        motor_ready(m, logic),
        logic.not_(missed),
        logic.not_(high_alarm_active(s.alarms, logic)),
    )
    if gate is False:
        return s, fx
    st = s.settings
    b = s.bolus
    rate_cpph = effective_cpph(st, s.basal, s.time_of_day_ticks, logic)
    basal_due, acc = accumulate(s.basal.acc, rate_cpph, logic)
    room_hour = hour_room(st, s.windows)
    room_day = day_room(st, s.windows)
    room_limits = logic.min(room_hour, room_day)
    reservoir_pulses = s.reservoir.pulses
    room = logic.min(room_limits, reservoir_pulses)

    basal_n = logic.min(basal_due, room)
    withheld = basal_due - basal_n

    # The bolus speed bounds the normal and the extended part together (BOL-3): the extended share
    # is served within it first, the normal bolus takes what is left of the speed this minute.
    # With no bolus running every output of this block keeps its default (nothing delivered, nothing ends).
    running = logic.either(b.remaining_pulses != 0, b.ext_remaining_pulses != 0)
    bolus_n = ext_n = 0
    bolus_cut = ext_cut = bolus_ends = ext_ends = False
    bolus_left, ext_left = b.remaining_pulses, b.ext_remaining_pulses
    bolus_delivered, ext_delivered = b.delivered_pulses, b.ext_delivered_pulses
    bolus = b
    if running is not False:
        ext_units = b.ext_acc + b.ext_remainder_pulses
        ext_extra = ext_units >= b.ext_duration_ticks
        ext_share = logic.min(b.ext_quotient_pulses + logic.ite(ext_extra, 1, 0), b.ext_remaining_pulses)
        ext_want = logic.min(ext_share, c.bolus_pulses_per_tick)
        bolus_want = logic.min(b.remaining_pulses, c.bolus_pulses_per_tick - ext_want)
        bolus_take = logic.min(bolus_want, room - basal_n)
        ext_take = logic.min(ext_want, room - basal_n - bolus_take)
        bolus_n = logic.ite(running, bolus_take, 0)
        ext_n = logic.ite(running, ext_take, 0)
        bolus_cut = logic.both(running, bolus_take < bolus_want)
        ext_cut = logic.both(running, ext_take < ext_want)
        bolus_left = b.remaining_pulses - bolus_n
        ext_left = b.ext_remaining_pulses - ext_n
        bolus_done = logic.all(b.remaining_pulses > 0, logic.not_(bolus_cut), bolus_left == 0)
        ext_done = logic.all(b.ext_remaining_pulses > 0, logic.not_(ext_cut), ext_left == 0)
        bolus_delivered = b.delivered_pulses + bolus_n
        ext_delivered = b.ext_delivered_pulses + ext_n
        bolus_ends = logic.both(running, logic.either(bolus_cut, bolus_done))
        ext_ends = logic.both(running, logic.either(ext_cut, ext_done))
        stepped = _new(
            BolusState,
            (
                logic.ite(bolus_ends, 0, b.request_id),
                logic.ite(bolus_ends, 0, bolus_left),
                logic.ite(bolus_ends, 0, bolus_delivered),
                logic.ite(ext_ends, 0, b.ext_request_id),
                logic.ite(ext_ends, 0, ext_left),
                logic.ite(ext_ends, 0, ext_delivered),
                b.ext_quotient_pulses,
                b.ext_remainder_pulses,
                b.ext_duration_ticks,
                logic.ite(ext_ends, 0, logic.ite(ext_extra, ext_units - b.ext_duration_ticks, ext_units)),
            ),
        )
        bolus = logic.pick(running, stepped, b)

    bolus_pulses = bolus_n + ext_n
    pulses = basal_n + bolus_pulses
    seq = m.seq + logic.ite(pulses > 0, 1, 0)
    t = s.totals
    r = s.reservoir
    ba = s.basal
    delivered = _new(
        PumpState,
        (
            s.mode,
            s.now_ticks,
            s.time_of_day_ticks,
            st,
            record(s.windows, pulses),
            _new(BasalState, (acc, ba.temp_kind, ba.temp_value, ba.temp_remaining_ticks, ba.temp_source)),
            bolus,
            draw(r, pulses),
            _new(MotorState, (seq, pulses, 0, m.uncertain, m.undisplaced_pulses, m.high_pressure_samples)),
            s.glucose,
            s.timers,
            _new(
                Totals,
                (
                    t.basal_pulses + basal_n,
                    t.bolus_pulses + bolus_pulses,
                    t.prime_pulses,
                    t.confirmed_pulses,
                    t.withheld_pulses + withheld,
                    t.basal_programmed_units + rate_cpph,
                    t.excess_pulses,
                ),
            ),
            s.alarms,
            s.requests,
            s.log,
        ),
    )
    # Why delivery was cut, read only when something was withheld or cut short (LIM-3, RES-1).
    limited = logic.any(withheld > 0, bolus_cut, ext_cut)
    told = fx
    limit_hit: bool = False
    if limited is not False:
        cause = logic.ite(
            reservoir_pulses <= room_limits,
            StopCause.RESERVOIR,
            logic.ite(room_hour <= room_day, StopCause.HOURLY_LIMIT, StopCause.DAILY_LIMIT),
        )
        limit_hit = logic.both(limited, cause != StopCause.RESERVOIR)
        told = notice(told, NoticeKind.BASAL_WITHHELD, withheld > 0, withheld, cause, 0, logic)
        bolus_cause = logic.ite(bolus_cut, cause, _COMPLETED)
        ext_cause = logic.ite(ext_cut, cause, _COMPLETED)
    else:
        bolus_cause = ext_cause = _COMPLETED
    if logic.either(bolus_ends, ext_ends) is not False:
        told = notice(told, NoticeKind.BOLUS_ENDED, bolus_ends, bolus_delivered, bolus_left, bolus_cause, logic)
        told = notice(told, NoticeKind.EXTENDED_ENDED, ext_ends, ext_delivered, ext_left, ext_cause, logic)
    told = _new(
        Effects,
        (
            told.reason,
            told.detail,
            told.replayed,
            pulses,
            logic.ite(pulses > 0, seq, 0),
            _THERAPY,
            basal_n,
            bolus_pulses,
            limit_hit,
            told.announce,
            told.alarm_repeat,
            told.notices,
            told.noticed,
        ),
    )
    return logic.pick(gate, delivered, s), logic.pick(gate, told, fx)


def _count_down_temp(s: PumpState, fx: Effects, logic: Logic) -> tuple[PumpState, Effects]:
    running = temp_running(s, logic)
    if running is False:
        return s, fx
    b = s.basal
    left = logic.ite(running, b.temp_remaining_ticks - 1, b.temp_remaining_ticks)
    expires = logic.both(running, left == 0)
    fx = notice(fx, NoticeKind.TEMP_BASAL_ENDED, expires, StopCause.EXPIRED, 0, 0, logic)
    basal = _new(
        BasalState,
        (
            b.acc,
            logic.ite(expires, TempKind.NONE, b.temp_kind),
            logic.ite(expires, 0, b.temp_value),
            left,
            b.temp_source,
        ),
    )
    return s._replace(basal=basal), fx
