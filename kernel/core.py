"""The decision of a step: one event, one decision, one new state and its commands.

Theory of operation
-------------------
``transition(config, state, event, logic)`` is the whole behaviour of the
pump, written once in the kernel's logic (``kernel.logic``), so that it runs
on Python integers in the shipped kernel and on Z3 terms in the proofs.  Its
result is the new state and the *effects*: the outcome and every command of
the step in fixed-shape slots (``kernel.commands``).  What the pump commands
is therefore inside the proved relation; ``kernel.step`` only checks types
first and turns the slots into the public commands afterwards.

It dispatches on the event's class to one handler (``HANDLERS``), which
proposes a new state and effects together with its ordered checks
(``kernel.handling``).  The core then decides, in one place, first failure
wins:

1. the event's fields are inside ``EVENT_SCHEMA``'s static ranges
   (``OUT_OF_RANGE``, INP-1);
2. the event's tick: a ``Tick`` must carry the next tick, every other event
   the current one; older is stale, newer is from the future (CLK-2);
3. a request (bolus, temp basal) whose ID was answered within the last 24
   hours is answered again with that answer and changes nothing; a new
   request finds room in the request memory (BOL-5, ``kernel.requests``);
4. the mode table must allow the event (``kernel.modes``);
5. the handler's own checks, in order.

The first failure is the refusal's reason and the state is returned exactly
as it was, but for the request memory, which remembers a refused request's
answer (INP-1, INP-2, BOL-5).  If everything holds: an event that shows a
person at the pump restarts the auto-off timer (ALM-2, ALM-4), the mode moves
as the table says, conditions are applied (``kernel.conditions``), every
alarm's machine advances (``kernel.alarms``), and a change of mode is
announced.

Requirements served: INP-1, INP-2, CLK-2, BOL-5, ALM-1, ALM-2, ALM-3, ALM-4
and, through the handlers, every requirement of the kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kernel import events as ev
from kernel.alarms import advance_all, repeat_unacknowledged
from kernel.bolus import on_bolus, on_cancel_bolus
from kernel.commands import NO_EFFECTS, Effects, NoticeKind, notice
from kernel.conditions import alarm_conditions, apply_conditions, busy
from kernel.config import PumpConfig
from kernel.control import on_alarm_ack, on_resume, on_settings, on_suspend, on_time_offset, on_user_present
from kernel.glucose import on_glucose
from kernel.handling import Handled, shows_person
from kernel.logic import Logic, first_refusal
from kernel.modes import ANY_MODE_EVENTS, event_transition
from kernel.motor import on_motor_report
from kernel.reasons import Reason
from kernel.requests import memory_full, recall, remember
from kernel.reservoir import on_clear_line, on_fill_cannula, on_fill_reservoir, on_prime_tubing, on_rewind
from kernel.state import PumpState
from kernel.temp import on_cancel_temp_basal, on_temp_basal
from kernel.tick import on_tick

# Enum members the step reads on every event, as module constants (kernel.logic, "Enum members").
_MODE_CHANGED = NoticeKind.MODE_CHANGED
_ACCEPTED = Reason.ACCEPTED
_FUTURE_EVENT = Reason.FUTURE_EVENT
_NOT_ALLOWED_IN_MODE = Reason.NOT_ALLOWED_IN_MODE
_OUT_OF_RANGE = Reason.OUT_OF_RANGE
_STALE_EVENT = Reason.STALE_EVENT

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

REQUEST_EVENTS: tuple[type, ...] = (ev.BolusRequest, ev.TempBasal)
"""Events that carry a request ID and are remembered (BOL-5)."""

_INT_RANGES: dict[type, tuple[tuple[str, int, int], ...]] = {
    cls: tuple((name, low, high) for name, kind, low, high in schema if kind is int)
    for cls, schema in ev.EVENT_SCHEMA.items()
}


def in_range(e: Any, logic: Logic) -> bool:
    """Every integer field of ``e`` is inside its static range (``EVENT_SCHEMA``; INP-1)."""
    conds: list[bool] = []
    for name, low, high in _INT_RANGES[type(e)]:
        value = getattr(e, name)
        conds.append(value >= low)
        conds.append(value <= high)
    return logic.all(*conds)


def tick_check(s: PumpState, e: Any, logic: Logic) -> int:
    """``STALE_EVENT``, ``FUTURE_EVENT`` or 0 for the event's tick (CLK-2)."""
    expected = s.now_ticks + (1 if type(e) is ev.Tick else 0)
    return logic.ite(e.tick < expected, _STALE_EVENT, logic.ite(e.tick > expected, _FUTURE_EVENT, 0))


def transition(c: PumpConfig, s: PumpState, e: Any, logic: Logic) -> tuple[PumpState, Effects]:
    """The new state and effects of ``e`` (see module docstring).

    ``e`` must be an instance of one of ``events.EVENT_CLASSES`` whose fields
    have their declared types; ``kernel.step`` checks that first.
    """
    ranged = in_range(e, logic)
    if ranged is False:
        return s, NO_EFFECTS._replace(reason=_OUT_OF_RANGE)
    cls = type(e)
    timing = logic.ite(ranged, tick_check(s, e, logic), _OUT_OF_RANGE)
    handled = HANDLERS[cls](c, s, e, logic)
    allowed, target = event_transition(s.mode, cls, logic)
    if handled.checks:
        decided = first_refusal(logic, ((allowed, _NOT_ALLOWED_IN_MODE),) + handled.checks)
    else:
        decided = logic.ite(allowed, 0, _NOT_ALLOWED_IN_MODE)

    request = cls in REQUEST_EVENTS
    known = False
    full = False
    fresh_decision = decided
    if request:
        known, original = recall(s, e.request_id, logic)
        full = memory_full(c, s, logic)
        decided = logic.ite(known, original, logic.ite(full, Reason.REQUEST_MEMORY_FULL, decided))
    reason = logic.ite(timing != 0, timing, decided)
    replayed = logic.both(timing == 0, known)
    commits = logic.both(reason == _ACCEPTED, logic.not_(replayed))

    proposed = handled.state
    person = shows_person(c, e, logic)
    if person is not False:
        t = proposed.timers
        proposed = proposed._replace(timers=t._replace(idle_ticks=logic.ite(person, 0, t.idle_ticks)))
    # Events of the mode table move the mode as the table says; events accepted in any mode (Tick,
    # MotorReport, ...) keep whatever mode their handler reached (a tick may already have moved it).
    if cls not in ANY_MODE_EVENTS:
        proposed = proposed._replace(mode=target)
    proposed, fx = apply_conditions(c, proposed, handled.effects, handled.edges, s.mode, logic)
    holds = alarm_conditions(c, proposed, fx.limit_hit, logic)
    alarms, announced = advance_all(proposed.alarms, holds, busy(proposed, logic), logic)
    t = proposed.timers
    announced, countdown, repeats, signal_repeat = repeat_unacknowledged(
        alarms, announced, t.alarm_repeat_countdown_ticks, t.alarm_repeats, c.alarm_repeat_ticks, logic
    )
    if logic.either(countdown != t.alarm_repeat_countdown_ticks, repeats != t.alarm_repeats) is not False:
        proposed = proposed._replace(timers=t._replace(alarm_repeat_countdown_ticks=countdown, alarm_repeats=repeats))
    if logic.any(*announced) is not False:
        fx = fx._replace(announce=announced, alarm_repeat=signal_repeat)
    if alarms is not proposed.alarms:
        proposed = proposed._replace(alarms=alarms)
    moved = proposed.mode != s.mode
    fx = notice(fx, _MODE_CHANGED, moved, s.mode, proposed.mode, 0, logic)

    after = logic.pick(commits, proposed, s)
    if request:
        remembers = logic.all(timing == 0, logic.not_(known), logic.not_(full))
        if remembers is not False:
            # When it is remembered, the request was decided afresh now: its reason is that decision.
            after = after._replace(
                requests=logic.pick(remembers, remember(s, e.request_id, fresh_decision), s.requests)
            )
    if commits is not True:  # might the event be refused?  (exact in Python, always on a Z3 term)
        refused = NO_EFFECTS._replace(
            reason=reason,
            replayed=replayed,
            detail=logic.ite(reason == Reason.SETTINGS_INVALID, handled.effects.detail, 0),
        )
        fx = logic.pick(commits, fx, refused)
    return after, fx
