"""Temp basal requests and cancellation (TMP-1..3, BAS-4, LIM-4, SEN-2, DLV-2).

Theory of operation
-------------------
A ``TempBasal`` states an absolute rate (pulses per hour, at most max basal)
or a percentage of the schedule (0 to ``temp_percent_max``, at most 250 %);
anything above is refused, not clamped (TMP-1).  Whatever it asks, the rate
actually delivered is re-clamped to max basal every tick in the absolute
domain (``kernel.basal``), so a percent temp over a high segment can never
exceed max basal (BAS-4).

Durations: a user or remote temp lasts ``temp_min_ticks`` to
``temp_max_ticks`` in 15-minute steps; a controller temp lasts at most
``controller_temp_max_ticks`` (30 minutes), so when the controller falls
silent the schedule takes over by itself (TMP-3).  A controller temp that
raises delivery above the schedule also needs valid sensor data (SEN-2) and
room under max IOB for its full 30 minutes (LIM-4), and a known dose history
(PER-4); while delivery is uncertain every controller command is refused
(DLV-2).  A controller temp that lowers basal is always allowed by these
three rules: reducing insulin is the safe direction.  A controller temp
lasts at most 30 ticks, so it spans at most two profile slots: the one now
and the one its last tick falls in.  Both the "raises" test and the max-IOB
projection use the higher of the two rates, so a percent temp started just
before a segment boundary cannot step over max IOB when the schedule rises.

A new temp replaces the old one; cancelling resumes the schedule at once;
a temp ends exactly after its duration (TMP-2, ``kernel.tick``).

Units: ``_pph``, ``_cpph``, ``_ticks``, ``_pulses``.
"""

from __future__ import annotations

from kernel.alarms import high_alarm_active
from kernel.basal import effective_cpph, scheduled_pph
from kernel.commands import NO_EFFECTS
from kernel.config import PumpConfig
from kernel.events import CancelTempBasal, Source, TempBasal, TempKind
from kernel.handling import Handled, end_temp, temp_running
from kernel.iob import committed_pulses
from kernel.logic import Logic
from kernel.reasons import Reason, StopCause
from kernel.sensing import reading_fresh
from kernel.state import BasalState, PumpState
from kernel.units import CPPH_PER_PPH, TICKS_PER_DAY, USER_TEMP_STEP_TICKS

# Records are built as _new(Cls, (values...)): the same tuple as Cls(values...) at a third of the cost
# (kernel.state, "Building records"; tests/test_record_construction.py checks every call).
_new = tuple.__new__

CONTROLLER_PROJECTION_DIVISOR = 200
"""Pulses in 30 minutes at a rate in cpph: rate x 30 / 6000 = rate / 200 (LIM-4)."""

CONTROLLER_SPAN_TICKS = 30
"""The longest controller temp any valid configuration allows (CFG rule: at most 30 minutes)."""


def on_temp_basal(c: PumpConfig, s: PumpState, e: TempBasal, logic: Logic) -> Handled:
    """Check and start (or replace) a temp basal (see module docstring)."""
    st = s.settings
    controller = e.source == Source.CONTROLLER
    absolute = e.kind == TempKind.ABSOLUTE
    d = e.duration_ticks
    whole_steps = d - logic.div_const(d, USER_TEMP_STEP_TICKS) * USER_TEMP_STEP_TICKS == 0
    user_duration = logic.all(d >= c.temp_min_ticks, d <= c.temp_max_ticks, whole_steps)
    controller_duration = logic.both(d >= 1, d <= c.controller_temp_max_ticks)
    proposed = _new(BasalState, (s.basal.acc, e.kind, e.value, d, e.source))
    # The rates are worked out with a percentage kept within temp_percent_max (a larger one is refused below),
    # so the percent product stays inside mul_small's domain; for an accepted temp it is the value itself.
    rated = proposed._replace(temp_value=logic.ite(absolute, e.value, logic.min(e.value, c.temp_percent_max)))
    now_tod = s.time_of_day_ticks
    last_tod = last_tick_of_day(now_tod, d, logic)
    proposed_cpph = effective_cpph(st, rated, now_tod, logic)
    last_cpph = effective_cpph(st, rated, last_tod, logic)
    raises = logic.either(
        proposed_cpph > scheduled_pph(st, now_tod, logic) * CPPH_PER_PPH,
        last_cpph > scheduled_pph(st, last_tod, logic) * CPPH_PER_PPH,
    )
    highest_cpph = logic.max(proposed_cpph, last_cpph)
    projected = logic.div_const(highest_cpph + CONTROLLER_PROJECTION_DIVISOR - 1, CONTROLLER_PROJECTION_DIVISOR)
    checks = (
        (logic.either(logic.not_(controller), st.controller_enabled), Reason.CONTROLLER_DISABLED),
        (logic.either(logic.not_(absolute), e.value <= st.max_basal_pph), Reason.TEMP_RATE_ABOVE_MAX_BASAL),
        (logic.either(absolute, e.value <= c.temp_percent_max), Reason.TEMP_PERCENT_OUT_OF_RANGE),
        (
            logic.either(
                logic.both(controller, controller_duration), logic.both(logic.not_(controller), user_duration)
            ),
            Reason.TEMP_DURATION,
        ),
        (logic.not_(high_alarm_active(s.alarms, logic)), Reason.ALARM_UNACKNOWLEDGED),
        (logic.either(logic.not_(controller), logic.not_(s.motor.uncertain)), Reason.DELIVERY_UNCERTAIN),
        (
            logic.any(logic.not_(controller), logic.not_(raises), s.timers.history_unknown_ticks == 0),
            Reason.HISTORY_UNKNOWN,
        ),
        (
            logic.any(logic.not_(controller), logic.not_(raises), reading_fresh(c, s, logic)),
            Reason.SENSOR_UNAVAILABLE,
        ),
        (
            logic.any(logic.not_(controller), logic.not_(raises), _iob_fits(s, projected, controller, logic)),
            Reason.MAX_IOB,
        ),
    )
    replaced, fx = end_temp(s, NO_EFFECTS, True, StopCause.REPLACED, logic)
    return Handled(checks, replaced._replace(basal=proposed), fx)


def _iob_fits(s: PumpState, projected: int, controller: bool, logic: Logic) -> bool:
    """Not a controller, or insulin on board and still to come from running boluses, plus 30 minutes of the temp,
    within max IOB (LIM-4)."""
    if controller is False:
        return True
    return logic.either(
        logic.not_(controller),
        committed_pulses(s.settings, s.windows, s.bolus, logic) + projected <= s.settings.max_iob_pulses,
    )


def last_tick_of_day(now_tod_ticks: int, duration_ticks: int, logic: Logic) -> int:
    """Local time of a controller temp's last tick (LIM-4), for durations 1..30.

    ``duration_ticks`` outside 1..30 is refused elsewhere; it is bounded here
    only so that the slot lookup stays inside the profile for every input.
    """
    span = logic.min(logic.max(duration_ticks, 1), CONTROLLER_SPAN_TICKS) - 1
    later = now_tod_ticks + span
    return logic.ite(later >= TICKS_PER_DAY, later - TICKS_PER_DAY, later)


def on_cancel_temp_basal(c: PumpConfig, s: PumpState, e: CancelTempBasal, logic: Logic) -> Handled:
    """End the temp basal now; the schedule resumes at once (TMP-2)."""
    checks = ((temp_running(s, logic), Reason.NOTHING_TO_CANCEL),)
    accepted, fx = end_temp(s, NO_EFFECTS, True, StopCause.CANCELLED, logic)
    return Handled(checks, accepted, fx)
