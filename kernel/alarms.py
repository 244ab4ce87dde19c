"""Alarms: kinds, priorities, and the per-alarm state machine, as tables.

Theory of operation
-------------------
Each alarm kind has a status that moves through a small machine, stored as a
fixed tuple in the pump state (one entry per ``AlarmKind``):

* ``CLEAR``: nothing to tell.
* ``DEFERRED``: the condition arose during a bolus or a prime and is held
  back until it ends; it is never lost (RES-2).  Only the reservoir alerts
  can be deferred.
* ``ACTIVE``: announced (an ``Alarm`` command went out) and waiting for the
  user's acknowledgement.  It stays active until acknowledged, even if its
  condition clears, and survives restarts with the state (ALM-3).
* ``ACKED``: acknowledged while its condition still holds; it is not raised
  again until the condition clears (so a low reservoir alerts once, not every
  minute).

``STATUS_TABLE`` is the whole machine: (status, condition holds, held back)
-> (new status, announce now).  Every step runs it once for every alarm kind,
after the event's effects, with each kind's condition computed from the new
state (``kernel.step``).  ``LIMIT_REACHED`` is raised by an edge (a pulse was
withheld by a rolling limit) rather than a level.  Acknowledging moves
``ACTIVE`` to ``ACKED`` if the condition holds and to ``CLEAR`` if not.

An alarm that waits for acknowledgement is not raised again as a new alarm:
it is *repeated*, escalating (``repeat_unacknowledged``).  Every
``alarm_repeat_ticks`` minutes (counted by the tick) every ``ACTIVE`` alarm
that needs a person to act (high and medium priority, ``REPEATED``) is
announced again; a low-priority alert asks for awareness only and is shown
once, staying until acknowledged (ALM-3) without repetition, and the ``Alarm`` command carries the repetition count
(1, 2, then ``ALARM_REPEATS_MAX`` for good) so that the shell can make the
signal louder each time (IEC 60601-1-8 allows an unacknowledged alarm signal
to escalate).  The count measures how long the pump has been left
unanswered: it falls back to 0 only when no alarm waits; a newly announced
alarm goes out with count 0 and restarts the countdown.  This is
how the pump insists without crying wolf (ALM-5): one alarm per condition,
repeated until a person acts.

High-priority alarms stop therapy delivery while they are active (ALM-1):
the delivering gate in ``kernel.tick`` refuses to command a therapy pulse
while any high alarm is ``ACTIVE``, and ``Resume`` and the reservoir-change
events are refused until they are acknowledged.

Requirements served: ALM-1, ALM-3, ALM-5, RES-2, OCC-1, DLV-2, DLV-3, RES-1, RES-4,
ALM-2, SUS-2, LIM-3, SEN-2.
"""

from __future__ import annotations

import enum

from kernel.logic import Logic
from kernel.units import ALARM_REPEATS_MAX


class AlarmKind(enum.IntEnum):
    """Every alarm and alert the pump raises."""

    OCCLUSION = 0
    MOTOR_FAULT = 1
    RESERVOIR_EMPTY = 2
    SET_EXPIRED = 3
    AUTO_OFF = 4
    DELIVERY_UNCERTAIN = 5
    LOW_GLUCOSE_SUSPEND = 6
    RESERVOIR_VERY_LOW = 7
    LIMIT_REACHED = 8
    RESERVOIR_LOW = 9
    SET_REMINDER = 10
    SENSOR_UNAVAILABLE = 11


class Priority(enum.IntEnum):
    """Alarm priority (ALM-1)."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2


class AlarmStatus(enum.IntEnum):
    """Where one alarm kind is in its machine (see module docstring)."""

    CLEAR = 0
    DEFERRED = 1
    ACTIVE = 2
    ACKED = 3


A = AlarmKind
N_ALARMS = len(AlarmKind)

PRIORITY: dict[AlarmKind, Priority] = {
    A.OCCLUSION: Priority.HIGH,
    A.MOTOR_FAULT: Priority.HIGH,
    A.RESERVOIR_EMPTY: Priority.HIGH,
    A.SET_EXPIRED: Priority.HIGH,
    A.AUTO_OFF: Priority.HIGH,
    A.DELIVERY_UNCERTAIN: Priority.HIGH,
    A.LOW_GLUCOSE_SUSPEND: Priority.MEDIUM,
    A.RESERVOIR_VERY_LOW: Priority.MEDIUM,
    A.LIMIT_REACHED: Priority.MEDIUM,
    A.RESERVOIR_LOW: Priority.LOW,
    A.SET_REMINDER: Priority.LOW,
    A.SENSOR_UNAVAILABLE: Priority.LOW,
}
"""Priority of each alarm kind (ALM-1)."""

HIGH_ALARMS: tuple[AlarmKind, ...] = tuple(kind for kind in AlarmKind if PRIORITY[kind] == Priority.HIGH)

DEFERRABLE: tuple[AlarmKind, ...] = (A.RESERVOIR_LOW, A.RESERVOIR_VERY_LOW)
"""Alerts held back while a bolus or a prime runs, then shown (RES-2)."""

S = AlarmStatus

# Enum members the step reads on every event, as module constants (kernel.logic, "Enum members").
_ACTIVE = S.ACTIVE

STATUS_TABLE: dict[tuple[AlarmStatus, bool, bool], tuple[AlarmStatus, bool]] = {
    # (status, condition holds, held back) -> (new status, announce now)
    (S.CLEAR, False, False): (S.CLEAR, False),
    (S.CLEAR, False, True): (S.CLEAR, False),
    (S.CLEAR, True, False): (S.ACTIVE, True),
    (S.CLEAR, True, True): (S.DEFERRED, False),
    (S.DEFERRED, False, False): (S.ACTIVE, True),
    (S.DEFERRED, False, True): (S.DEFERRED, False),
    (S.DEFERRED, True, False): (S.ACTIVE, True),
    (S.DEFERRED, True, True): (S.DEFERRED, False),
    (S.ACTIVE, False, False): (S.ACTIVE, False),
    (S.ACTIVE, False, True): (S.ACTIVE, False),
    (S.ACTIVE, True, False): (S.ACTIVE, False),
    (S.ACTIVE, True, True): (S.ACTIVE, False),
    (S.ACKED, False, False): (S.CLEAR, False),
    (S.ACKED, False, True): (S.CLEAR, False),
    (S.ACKED, True, False): (S.ACKED, False),
    (S.ACKED, True, True): (S.ACKED, False),
}
"""The alarm status machine, complete over its inputs (ALM-1, ALM-3, RES-2)."""


def advance_alarm(status: int, holds: bool, held_back: bool, logic: Logic) -> tuple[int, bool]:
    """One alarm's next status and whether it is announced now, per ``STATUS_TABLE``."""
    new_status, announce = logic.lookup(STATUS_TABLE, (status, holds, held_back))
    return new_status, announce


_KINDS = tuple(AlarmKind)
_HELD_BACK_KINDS = tuple(kind in DEFERRABLE for kind in AlarmKind)
_NOTHING_ANNOUNCED = (False,) * len(AlarmKind)
_ALL_CLEAR = (S.CLEAR,) * len(AlarmKind)


def advance_all(
    statuses: tuple[int, ...], holds: tuple[bool, ...], busy: bool, logic: Logic
) -> tuple[tuple[int, ...], tuple[bool, ...]]:
    """Run the machine for every alarm kind; ``busy`` holds back the deferrable ones.

    A ``CLEAR`` alarm whose condition does not hold stays ``CLEAR`` silently
    (``STATUS_TABLE``), so that case is not looked up.
    """
    if logic.either(logic.any(*holds), logic.not_(logic.same(statuses, _ALL_CLEAR))) is False:
        return statuses, _NOTHING_ANNOUNCED
    new_statuses: list[int] = []
    announced: list[bool] = []
    for kind in _KINDS:
        status = statuses[kind]
        holds_now = holds[kind]
        if logic.either(holds_now, status != S.CLEAR) is not False:
            held_back = busy if _HELD_BACK_KINDS[kind] else False
            new_status, says = advance_alarm(status, holds_now, held_back, logic)
            new_statuses.append(new_status)
            announced.append(says)
        else:
            new_statuses.append(status)
            announced.append(False)
    return tuple(new_statuses), tuple(announced)


_HIGH_SLICE = slice(0, len(HIGH_ALARMS))
if tuple(HIGH_ALARMS) != tuple(AlarmKind)[_HIGH_SLICE]:  # pragma: no cover - a table edit that breaks the layout
    raise ImportError("the high-priority alarm kinds must be the first kinds of AlarmKind")

REPEATED: tuple[AlarmKind, ...] = tuple(kind for kind in AlarmKind if PRIORITY[kind] != Priority.LOW)
"""Alarms repeated while unacknowledged: those that need a person to act (high and medium; ALM-5)."""
_REPEATED_SLICE = slice(0, len(REPEATED))
if tuple(REPEATED) != tuple(AlarmKind)[_REPEATED_SLICE]:  # pragma: no cover - a table edit that breaks the layout
    raise ImportError("the high- and medium-priority alarm kinds must come before the low ones in AlarmKind")


def high_alarm_active(statuses: tuple[int, ...], logic: Logic) -> bool:
    """True while any high-priority alarm waits for acknowledgement (ALM-1).

    The high-priority kinds are the first ones of ``AlarmKind`` (checked at import).
    """
    return logic.member(_ACTIVE, statuses[_HIGH_SLICE])


def acknowledge(statuses: tuple[int, ...], kind: int, holds: tuple[bool, ...], logic: Logic) -> tuple[int, ...]:
    """Statuses after acknowledging ``kind``: ACTIVE -> ACKED (condition holds) or CLEAR."""
    result: list[int] = []
    for k in AlarmKind:
        acked = logic.both(kind == k, statuses[k] == _ACTIVE)
        result.append(logic.ite(acked, logic.ite(holds[k], S.ACKED, S.CLEAR), statuses[k]))
    return tuple(result)


def repeat_unacknowledged(
    statuses: tuple[int, ...],
    announced: tuple[bool, ...],
    countdown_ticks: int,
    repeats: int,
    repeat_ticks: int,
    logic: Logic,
) -> tuple[tuple[bool, ...], int, int, int]:
    """Announcements after repeating unacknowledged alarms, the next countdown, the count, and the signal's count.

    ``statuses`` and ``announced`` are this step's, after ``advance_all``;
    ``countdown_ticks`` was counted down by the tick.  When an alarm of
    ``REPEATED`` is ``ACTIVE`` (it *waits*), nothing was newly announced and
    the countdown has run out, every waiting alarm is announced again and the count grows (at most
    ``ALARM_REPEATS_MAX``): the count says how long the pump has been left
    unanswered, so a new alarm restarts the countdown but not the count; the
    new alarm itself goes out with count 0.  With nothing waiting both are 0
    (ALM-1, ALM-5).
    """
    waiting = logic.member(_ACTIVE, statuses[_REPEATED_SLICE])
    if logic.any(waiting, countdown_ticks != 0, repeats != 0) is False:
        return announced, countdown_ticks, repeats, 0
    fresh = logic.any(*announced)
    due = logic.all(waiting, logic.not_(fresh), countdown_ticks <= 0)
    again = tuple(
        logic.either(a, logic.both(due, status == _ACTIVE)) if k < len(REPEATED) else a
        for k, (a, status) in enumerate(zip(announced, statuses, strict=True))
    )
    countdown = logic.ite(waiting, logic.ite(logic.either(fresh, due), repeat_ticks, countdown_ticks), 0)
    count = logic.ite(waiting, logic.ite(due, logic.min(repeats + 1, ALARM_REPEATS_MAX), repeats), 0)
    return again, countdown, count, logic.ite(due, count, 0)
