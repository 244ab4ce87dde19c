"""Bolus requests and cancellation (BOL-1..6, LIM-1..4, SEC-2, SEN-2, DLV-2).

Theory of operation
-------------------
A ``BolusRequest`` asks for an immediate part, an extended part spread evenly
over ``extended_ticks``, or both (dual wave).  It is checked in this order,
and the first failure is the refusal's reason:

1. the source may bolus at all (remote bolus can be switched off, SEC-2;
   controller commands need closed loop switched on);
2. it asks for something, and the whole amount is at most max bolus (BOL-1:
   refused, never truncated);
3. the extended part's duration is in range and its per-tick rate does not
   exceed the bolus speed (BOL-2, BOL-3);
4. delivery is certain and no high alarm waits (DLV-2, ALM-1);
5. the concurrency rule (BOL-4): at most one normal bolus and one extended
   bolus at a time, and a normal bolus may run during an extended one;
   anything else is refused, never queued or merged;
6. the immediate part fits the room left in the hourly and daily windows and
   the whole amount fits the daily window and the reservoir (LIM-1, LIM-2;
   the windows are also enforced on every pulse, LIM-3);
7. for a controller: valid sensor data (SEN-2) and insulin on board plus the
   request at most max IOB (LIM-4).

The request ID is checked first of all: an ID accepted recently is answered
with the original (accepted) outcome and changes nothing (BOL-5).  A refused
request changes nothing, so it is not remembered; its retry is evaluated
afresh.

An accepted bolus is announced to the user with a ``BOLUS_STARTED`` notice
(SEC-2) and delivered from the next tick at most ``bolus_pulses_per_tick`` a
tick (BOL-3).  ``CancelBolus`` stops it within the tick it arrives and reports
what was and was not delivered (BOL-6).

Units: ``_pulses``, ``_ticks``.
"""

from __future__ import annotations

from dataclasses import replace

from kernel.alarms import high_alarm_active
from kernel.commands import NO_EFFECTS, NoticeKind, notice
from kernel.config import PumpConfig
from kernel.events import BolusRequest, CancelBolus, CancelTarget, Source
from kernel.handling import Handled, end_bolus, end_extended, is_replay, remember, touched_by_user
from kernel.iob import iob_pulses
from kernel.logic import Logic
from kernel.reasons import Reason, StopCause
from kernel.sensing import reading_fresh
from kernel.state import PumpState
from kernel.units import EXTENDED_QUOTIENT_BITS
from kernel.windows import day_room, hour_room


def on_bolus(c: PumpConfig, s: PumpState, e: BolusRequest, logic: Logic) -> Handled:
    """Check and start a normal, extended or dual-wave bolus (see module docstring)."""
    st = s.settings
    imm = e.immediate_pulses
    ext = e.extended_pulses
    whole = imm + ext
    controller = e.source == Source.CONTROLLER
    has_ext = ext > 0
    quotient, remainder = logic.divmod_bounded(ext, logic.max(e.extended_ticks, 1), EXTENDED_QUOTIENT_BITS)
    per_tick_peak = quotient + logic.ite(remainder > 0, 1, 0)
    room_h = hour_room(st, s.windows)
    room_d = day_room(st, s.windows)
    checks = (
        (logic.any(e.source != Source.REMOTE, st.remote_bolus_enabled), Reason.REMOTE_BOLUS_DISABLED),
        (logic.any(logic.not_(controller), st.controller_enabled), Reason.CONTROLLER_DISABLED),
        (whole >= 1, Reason.EMPTY_REQUEST),
        (whole <= st.max_bolus_pulses, Reason.ABOVE_MAX_BOLUS),
        (
            logic.any(
                logic.all(has_ext, e.extended_ticks >= c.extended_min_ticks, e.extended_ticks <= c.extended_max_ticks),
                logic.all(logic.not_(has_ext), e.extended_ticks == 0),
            ),
            Reason.EXTENDED_DURATION,
        ),
        (logic.any(logic.not_(has_ext), per_tick_peak <= c.bolus_pulses_per_tick), Reason.EXTENDED_TOO_FAST),
        (logic.not_(s.motor.uncertain), Reason.DELIVERY_UNCERTAIN),
        (logic.not_(high_alarm_active(s.alarms, logic)), Reason.ALARM_UNACKNOWLEDGED),
        (logic.any(imm == 0, s.bolus.remaining_pulses == 0), Reason.BOLUS_IN_PROGRESS),
        (logic.any(logic.not_(has_ext), s.bolus.ext_remaining_pulses == 0), Reason.EXTENDED_IN_PROGRESS),
        (imm <= room_h, Reason.HOURLY_LIMIT),
        (whole <= room_d, Reason.DAILY_LIMIT),
        (whole <= s.reservoir.pulses, Reason.INSUFFICIENT_RESERVOIR),
        (logic.any(logic.not_(controller), reading_fresh(c, s, logic)), Reason.SENSOR_UNAVAILABLE),
        (
            logic.any(logic.not_(controller), iob_pulses(st, s.windows, logic) + whole <= st.max_iob_pulses),
            Reason.MAX_IOB,
        ),
    )
    b = s.bolus
    bolus = replace(
        b,
        request_id=logic.ite(imm > 0, e.request_id, b.request_id),
        remaining_pulses=logic.ite(imm > 0, imm, b.remaining_pulses),
        delivered_pulses=logic.ite(imm > 0, 0, b.delivered_pulses),
        ext_request_id=logic.ite(has_ext, e.request_id, b.ext_request_id),
        ext_remaining_pulses=logic.ite(has_ext, ext, b.ext_remaining_pulses),
        ext_delivered_pulses=logic.ite(has_ext, 0, b.ext_delivered_pulses),
        ext_quotient_pulses=logic.ite(has_ext, quotient, b.ext_quotient_pulses),
        ext_remainder_pulses=logic.ite(has_ext, remainder, b.ext_remainder_pulses),
        ext_duration_ticks=logic.ite(has_ext, e.extended_ticks, b.ext_duration_ticks),
        ext_acc=logic.ite(has_ext, 0, b.ext_acc),
    )
    accepted = touched_by_user(remember(replace(s, bolus=bolus), e.request_id), e.source == Source.USER, logic)
    fx = notice(NO_EFFECTS, NoticeKind.BOLUS_STARTED, True, imm, ext, e.request_id, logic)
    return Handled(checks, is_replay(s, e.request_id, logic), accepted, fx)


def on_cancel_bolus(c: PumpConfig, s: PumpState, e: CancelBolus, logic: Logic) -> Handled:
    """Stop the normal and/or extended bolus now, reporting both amounts (BOL-6)."""
    normal = logic.any(e.target == CancelTarget.ALL, e.target == CancelTarget.NORMAL)
    extended = logic.any(e.target == CancelTarget.ALL, e.target == CancelTarget.EXTENDED)
    something = logic.any(
        logic.all(normal, s.bolus.remaining_pulses > 0), logic.all(extended, s.bolus.ext_remaining_pulses > 0)
    )
    checks = ((something, Reason.NOTHING_TO_CANCEL),)
    accepted, fx = end_bolus(s, NO_EFFECTS, normal, StopCause.CANCELLED, logic)
    accepted, fx = end_extended(accepted, fx, extended, StopCause.CANCELLED, logic)
    return Handled(checks, False, touched_by_user(accepted, True, logic), fx)
