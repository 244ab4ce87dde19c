"""``step(config, state, event)``: the kernel's one entry point.

Theory of operation
-------------------
The kernel is a pure function.  ``step`` takes the device configuration, the
pump state and one event, and returns a ``StepResult``: the new state, the
commands for the motor and the user, and the outcome.  It performs no I/O,
reads no clock and draws no random numbers; the same inputs give the same
result, always.  Time moves only by ``Tick`` events of one minute; every
other event happens at the current tick (CLK-1, CLK-2).

It works in three layers:

1. *Types.*  Anything that is not one of the event classes, or whose fields
   are not of their declared types, is refused (``NOT_AN_EVENT``,
   ``ILL_TYPED``) before any arithmetic.  This layer is plain Python because
   types are not values; it is the reason ``step`` never raises on input
   (INP-1).
2. *Decision.*  ``kernel.core.transition`` with the Python logic: the same
   code the proofs run on Z3 terms, from the static ranges of the event's
   fields to the command slots (``kernel.commands.command_slots``).
3. *Report.*  The present command slots become the public commands (at most
   one ``Deliver``, then ``Alarm`` and ``Notice`` in kind order) and the
   outcome; the event log in the state records the event, its outcome and
   what it caused (LOG-1).  A refused event changes nothing but the log and,
   for a request, the request memory (BOL-5).

The configuration is trusted to be valid (``config_problems(config)`` empty):
it is validated once, when the pump is built, not on every step.

Requirements served: INP-1, INP-2, CLK-1, CLK-2, DLV-1, LOG-1, and through
``kernel.core`` every kernel requirement.
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

from kernel import events as ev
from kernel.commands import Alarm, Command, Deliver, Effects, NoticeKind, Outcome, command_slots, commands_of
from kernel.config import PumpConfig
from kernel.core import transition
from kernel.log import LogKind, append
from kernel.logic import PY
from kernel.reasons import Reason
from kernel.settings import TherapySettings, rules_from_mask, settings_well_typed
from kernel.state import PumpState

# Records are built as _new(Cls, (values...)): the same tuple as Cls(values...) at a third of the cost
# (kernel.state, "Building records"; tests/test_record_construction.py checks every call).
_new = tuple.__new__

# Enum members the step reads on every event, as module constants (kernel.logic, "Enum members").
_DELIVER_COMMANDED = LogKind.DELIVER_COMMANDED
_REASON_ACCEPTED = Reason.ACCEPTED


class StepResult(NamedTuple):
    """What one step produced."""

    state: PumpState
    commands: tuple[Command, ...]
    outcome: Outcome


def _is_int(value: object) -> bool:
    """An ``int``, or a member of one of the kernel's own ``IntEnum`` codes (not ``bool``)."""
    if type(value) is int:
        return True
    return isinstance(value, enum.IntEnum) and type(value).__module__.startswith("kernel.")


def form_check(event: object) -> Reason:
    """``ACCEPTED`` if every field of ``event`` has its declared type, else why not (INP-1).  Never raises.

    Static ranges are checked by ``kernel.core`` (inside the proved relation).
    """
    schema = ev.EVENT_SCHEMA.get(type(event))
    if schema is None:
        return Reason.NOT_AN_EVENT
    for name, kind, _low, _high in schema:
        value: Any = getattr(event, name, None)
        if kind is TherapySettings:
            if not settings_well_typed(value):
                return Reason.ILL_TYPED
        elif kind is bool:
            if type(value) is not bool:
                return Reason.ILL_TYPED
        elif not _is_int(value):
            return Reason.ILL_TYPED
    return _REASON_ACCEPTED


def _event_index(event: object) -> int:
    try:
        return ev.EVENT_CLASSES.index(type(event))
    except ValueError:
        return -1


def _log_records(
    before: PumpState, after: PumpState, event: object, outcome: Outcome, fx: Effects, commands: tuple[Command, ...]
) -> tuple[tuple[int, int, int, int], ...]:
    records: list[tuple[int, int, int, int]] = []
    if not outcome.accepted:
        records.append((LogKind.EVENT_REFUSED, _event_index(event), int(outcome.reason), fx.detail))
        return tuple(records)
    if type(event) is not ev.Tick:
        request_id = getattr(event, "request_id", 0)
        records.append((LogKind.EVENT_ACCEPTED, _event_index(event), int(request_id) if _is_int(request_id) else 0, 0))
    if type(event) is ev.MotorReport:
        records.append((LogKind.MOTOR_CONFIRMED, 0, event.seq, event.displaced_pulses))
    if type(event) is ev.AlarmAck:
        records.append((LogKind.ALARM_ACKNOWLEDGED, event.alarm, 0, 0))
    if before.mode != after.mode:
        records.append((LogKind.MODE_CHANGED, 0, int(before.mode), int(after.mode)))
    for command in commands:
        if isinstance(command, Deliver):
            records.append((_DELIVER_COMMANDED, int(command.purpose), command.seq, command.pulses))
        elif isinstance(command, Alarm):
            records.append((LogKind.ALARM_ANNOUNCED, int(command.kind), 0, 0))
        elif command.kind != NoticeKind.MODE_CHANGED:
            records.append((LogKind.NOTICE, int(command.kind), command.a, command.b))
    return tuple(records)


def step(config: PumpConfig, state: PumpState, event: Any) -> StepResult:
    """Apply one event to the pump (see module docstring).

    Args:
        config: the device configuration (valid, see ``config_problems``).
        state: the pump state, from ``initial_state`` or a previous step.
        event: anything; only instances of ``events.EVENT_CLASSES`` with
            well-typed, in-range fields can be accepted.

    Returns:
        The new state, the commands (at most one ``Deliver``), the outcome.
        Never raises because of ``event``.
    """
    form = form_check(event)
    if form != _REASON_ACCEPTED:
        refused: tuple[tuple[int, int, int, int], ...] = ((LogKind.EVENT_REFUSED, _event_index(event), int(form), 0),)
        return _new(StepResult, (state._replace(log=append(state.log, state.now_ticks, refused)), (), Outcome(form)))
    new_state, fx = transition(config, state, event, PY)
    if fx.reason == _REASON_ACCEPTED:
        outcome = _ACCEPTED_REPLAYED if fx.replayed else _ACCEPTED
    else:
        reason = _REASONS[fx.reason]
        problems = rules_from_mask(fx.detail) if reason == Reason.SETTINGS_INVALID else ()
        outcome = Outcome(reason, fx.replayed, problems)
    commands = commands_of(command_slots(fx, PY))
    records = _log_records(state, new_state, event, outcome, fx, commands)
    if records:
        new_state = _new(PumpState, new_state[:-1] + (append(new_state.log, new_state.now_ticks, records),))
    return _new(StepResult, (new_state, commands, outcome))


_ACCEPTED = Outcome(Reason.ACCEPTED)
_ACCEPTED_REPLAYED = Outcome(Reason.ACCEPTED, replayed=True)
_REASONS: dict[int, Reason] = {int(reason): reason for reason in Reason}
