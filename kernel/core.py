"""The arithmetic core of a step: one event, one decision, one new state.

Theory of operation
-------------------
``transition(config, state, event, logic)`` is the whole behaviour of the
pump, written once in the kernel's logic (``kernel.logic``), so that it runs
on Python integers in the shipped kernel and on Z3 terms in the proofs.

It dispatches on the event's class to one handler (``HANDLERS``), which
proposes a new state and effects together with its ordered checks
(``kernel.handling``).  The core then decides, in one place:

1. the event's tick: a ``Tick`` must carry the next tick, every other event
   the current one; older is stale, newer is from the future (CLK-2);
2. a replayed request ID is accepted without any change (BOL-5);
3. the mode table must allow the event (``kernel.modes``);
4. the handler's own checks, in order.

The first failure is the refusal's reason and the state is returned exactly
as it was: all or nothing (INP-1, INP-2).  If everything holds, the mode
moves as the table says, conditions are applied (``kernel.conditions``),
and finally every alarm's machine advances (``kernel.alarms``), announcing
what became active.

``step`` (``kernel.step``) wraps this for the shell: type checks before any
arithmetic, the public commands and outcome, and the event log.

Requirements served: INP-1, INP-2, CLK-2, BOL-5, ALM-1, ALM-3 and, through the
handlers, every requirement of the kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kernel import events as ev
from kernel.alarms import advance_all
from kernel.bolus import on_bolus, on_cancel_bolus
from kernel.commands import NO_EFFECTS, Effects
from kernel.conditions import alarm_conditions, apply_conditions, busy
from kernel.config import PumpConfig
from kernel.control import on_alarm_ack, on_resume, on_settings, on_suspend, on_time_offset, on_user_present
from kernel.glucose import on_glucose
from kernel.handling import Handled
from kernel.logic import Logic, first_refusal
from kernel.modes import ANY_MODE_EVENTS, event_transition
from kernel.motor import on_motor_report
from kernel.reasons import Reason
from kernel.reservoir import on_clear_line, on_fill_cannula, on_fill_reservoir, on_prime_tubing, on_rewind
from kernel.state import PumpState
from kernel.temp import on_cancel_temp_basal, on_temp_basal
from kernel.tick import on_tick

Handler = Callable[[PumpConfig, PumpState, Any, Logic], Handled]

HANDLERS: dict[type, Handler] = {
    ev.Tick: on_tick,
    ev.BolusRequest: on_bolus,
    ev.CancelBolus: on_cancel_bolus,
    ev.TempBasal: on_temp_basal,
    ev.CancelTempBasal: on_cancel_temp_basal,
    ev.Suspend: on_suspend,
    ev.Resume: on_resume,
    ev.SettingsChange: on_settings,
    ev.TimeOffsetChange: on_time_offset,
    ev.Rewind: on_rewind,
    ev.FillReservoir: on_fill_reservoir,
    ev.ClearLine: on_clear_line,
    ev.PrimeTubing: on_prime_tubing,
    ev.FillCannula: on_fill_cannula,
    ev.MotorReport: on_motor_report,
    ev.GlucoseReading: on_glucose,
    ev.AlarmAck: on_alarm_ack,
    ev.UserPresent: on_user_present,
}
"""One handler per event class."""


def tick_check(s: PumpState, e: Any, logic: Logic) -> int:
    """``STALE_EVENT``, ``FUTURE_EVENT`` or 0 for the event's tick (CLK-2)."""
    expected = s.now_ticks + (1 if type(e) is ev.Tick else 0)
    return first_refusal(logic, ((e.tick >= expected, Reason.STALE_EVENT), (e.tick <= expected, Reason.FUTURE_EVENT)))


def transition(c: PumpConfig, s: PumpState, e: Any, logic: Logic) -> tuple[PumpState, Effects]:
    """The new state and effects of ``e`` (see module docstring).

    ``e`` must be an instance of one of ``events.EVENT_CLASSES`` with fields of
    the declared types and within ``EVENT_SCHEMA``'s static ranges; ``step``
    checks that first.
    """
    handled = HANDLERS[type(e)](c, s, e, logic)
    allowed, target = event_transition(s.mode, type(e), logic)
    timing = tick_check(s, e, logic)
    decided = first_refusal(logic, ((allowed, Reason.NOT_ALLOWED_IN_MODE), *handled.checks))
    reason = logic.ite(timing != 0, timing, logic.ite(handled.replay, Reason.ACCEPTED, decided))
    commits = logic.all(reason == Reason.ACCEPTED, logic.not_(handled.replay))

    # Events of the mode table move the mode as the table says; events accepted in any mode (Tick,
    # MotorReport, ...) keep whatever mode their handler reached (a tick may already have moved it).
    proposed = handled.state if type(e) in ANY_MODE_EVENTS else replace(handled.state, mode=target)
    proposed, fx = apply_conditions(c, proposed, handled.effects, handled.edges, s.mode, logic)
    holds = alarm_conditions(c, proposed, fx.limit_hit, logic)
    alarms, announced = advance_all(proposed.alarms, holds, busy(proposed, logic), logic)
    proposed = replace(proposed, alarms=alarms)
    fx = replace(fx, announce=announced)

    refused = replace(
        NO_EFFECTS,
        reason=reason,
        replayed=logic.all(timing == 0, handled.replay),
        detail=logic.ite(reason == Reason.SETTINGS_INVALID, handled.effects.detail, 0),
    )
    return logic.pick(commits, proposed, s), logic.pick(commits, fx, refused)
