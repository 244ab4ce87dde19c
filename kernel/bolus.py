"""Bolus requests and cancellation (BOL-1..6, LIM-1..4, SEC-2, SEN-2, DLV-2).

Theory of operation
-------------------
A ``BolusRequest`` asks for an immediate part, an extended part spread evenly
over ``extended_ticks``, or both (dual wave).  It is checked in this order,
and the first failure is the refusal's reason:

1. the source may bolus at all (remote bolus can be switched off, SEC-2;
   controller commands need closed loop switched on and a known dose
   history: not within 24 hours of a replacement state that could not
   rebuild it, PER-4);
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

The request ID is checked first of all, by ``kernel.core`` with the request
memory (``kernel.requests``): an ID answered within the last 24 hours is
answered again with the original outcome, accepted or refused, and changes
nothing (BOL-5).

An accepted bolus is announced to the user with a ``BOLUS_STARTED`` notice
(SEC-2) and delivered from the next tick at most ``bolus_pulses_per_tick`` a
tick (BOL-3).  ``CancelBolus`` stops it within the tick it arrives and reports
what was and was not delivered (BOL-6).

Units: ``_pulses``, ``_ticks``.
"""

from __future__ import annotations

from kernel.alarms import high_alarm_active
from kernel.commands import NO_EFFECTS, NoticeKind, notice
from kernel.config import PumpConfig
from kernel.events import BolusRequest, CancelBolus, CancelTarget, Source
from kernel.handling import Handled, end_bolus, end_extended
from kernel.iob import committed_pulses
from kernel.logic import Logic
from kernel.reasons import Reason, StopCause
from kernel.sensing import reading_fresh
from kernel.state import BolusState, PumpState
from kernel.units import EXTENDED_QUOTIENT_BITS
from kernel.windows import day_room, hour_room

# Records are built as _new(Cls, (values...)): the same tuple as Cls(values...) at a third of the cost
# (kernel.state, "Building records"; tests/test_record_construction.py checks every call).
_new = tuple.__new__


def on_bolus(c: PumpConfig, s: PumpState, e: BolusRequest, logic: Logic) -> Handled:
    """Check and start a normal, extended or dual-wave bolus (see module docstring)."""
    st = s.settings
    imm = e.immediate_pulses
    ext = e.extended_pulses
    whole = imm + ext
    controller = e.source == Source.CONTROLLER
    has_ext = ext > 0
    # The division is done on the extended part only when it is within max bolus (else the request is refused
    # anyway), which keeps it inside divmod_bounded's domain: below 2**16 pulses (CFG structural rule).
    spread = logic.ite(ext <= st.max_bolus_pulses, ext, 0)
    quotient, remainder = logic.divmod_bounded(spread, logic.max(e.extended_ticks, 1), EXTENDED_QUOTIENT_BITS)
    per_tick_peak = quotient + logic.ite(remainder > 0, 1, 0)
    room_h = hour_room(st, s.windows)
    room_d = day_room(st, s.windows)
    checks = (
        (logic.either(e.source != Source.REMOTE, st.remote_bolus_enabled), Reason.REMOTE_BOLUS_DISABLED),
        (logic.either(logic.not_(controller), st.controller_enabled), Reason.CONTROLLER_DISABLED),
        (logic.either(logic.not_(controller), s.timers.history_unknown_ticks == 0), Reason.HISTORY_UNKNOWN),
        (whole >= 1, Reason.EMPTY_REQUEST),
        (whole <= st.max_bolus_pulses, Reason.ABOVE_MAX_BOLUS),
        (
            logic.either(
                logic.all(has_ext, e.extended_ticks >= c.extended_min_ticks, e.extended_ticks <= c.extended_max_ticks),
                logic.both(logic.not_(has_ext), e.extended_ticks == 0),
            ),
            Reason.EXTENDED_DURATION,
        ),
        (logic.either(logic.not_(has_ext), per_tick_peak <= c.bolus_pulses_per_tick), Reason.EXTENDED_TOO_FAST),
        (logic.not_(s.motor.uncertain), Reason.DELIVERY_UNCERTAIN),
        (logic.not_(high_alarm_active(s.alarms, logic)), Reason.ALARM_UNACKNOWLEDGED),
        (logic.either(imm == 0, s.bolus.remaining_pulses == 0), Reason.BOLUS_IN_PROGRESS),
        (logic.either(logic.not_(has_ext), s.bolus.ext_remaining_pulses == 0), Reason.EXTENDED_IN_PROGRESS),
        (imm <= room_h, Reason.HOURLY_LIMIT),
        (whole <= room_d, Reason.DAILY_LIMIT),
        (whole <= s.reservoir.pulses, Reason.INSUFFICIENT_RESERVOIR),
        (logic.either(logic.not_(controller), reading_fresh(c, s, logic)), Reason.SENSOR_UNAVAILABLE),
        (logic.either(logic.not_(controller), _iob_fits(s, whole, controller, logic)), Reason.MAX_IOB),
    )
    b = s.bolus
    has_imm = imm > 0
    bolus = _new(
        BolusState,
        (
            logic.ite(has_imm, e.request_id, b.request_id),
            logic.ite(has_imm, imm, b.remaining_pulses),
            logic.ite(has_imm, 0, b.delivered_pulses),
            logic.ite(has_ext, e.request_id, b.ext_request_id),
            logic.ite(has_ext, ext, b.ext_remaining_pulses),
            logic.ite(has_ext, 0, b.ext_delivered_pulses),
            logic.ite(has_ext, quotient, b.ext_quotient_pulses),
            logic.ite(has_ext, remainder, b.ext_remainder_pulses),
            logic.ite(has_ext, e.extended_ticks, b.ext_duration_ticks),
            logic.ite(has_ext, 0, b.ext_acc),
        ),
    )
    fx = notice(NO_EFFECTS, NoticeKind.BOLUS_STARTED, True, imm, ext, e.request_id, logic)
    return Handled(checks, s._replace(bolus=bolus), fx)


def _iob_fits(s: PumpState, whole: int, controller: bool, logic: Logic) -> bool:
    """Not a controller, or insulin on board and still to come from running boluses, plus the request, within max
    IOB (LIM-4)."""
    if controller is False:
        return True
    return logic.either(
        logic.not_(controller),
        committed_pulses(s.settings, s.windows, s.bolus, logic) + whole <= s.settings.max_iob_pulses,
    )


def on_cancel_bolus(c: PumpConfig, s: PumpState, e: CancelBolus, logic: Logic) -> Handled:
    """Stop the normal and/or extended bolus now, reporting both amounts (BOL-6)."""
    normal = logic.either(e.target == CancelTarget.ALL, e.target == CancelTarget.NORMAL)
    extended = logic.either(e.target == CancelTarget.ALL, e.target == CancelTarget.EXTENDED)
    something = logic.either(
        logic.both(normal, s.bolus.remaining_pulses > 0), logic.both(extended, s.bolus.ext_remaining_pulses > 0)
    )
    checks = ((something, Reason.NOTHING_TO_CANCEL),)
    accepted, fx = end_bolus(s, NO_EFFECTS, normal, StopCause.CANCELLED, logic)
    accepted, fx = end_extended(accepted, fx, extended, StopCause.CANCELLED, logic)
    return Handled(checks, accepted, fx)
