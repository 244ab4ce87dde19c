"""The bounded event log kept in the pump state (LOG-1).

Theory of operation
-------------------
The log is a ring of the last ``LOG_CAPACITY`` entries plus a running entry
number, so the shell can drain new entries to durable storage after every
step (entries with ``seq`` above the last one it stored).  A step appends at
most a handful of entries, so with a drain after every step nothing is lost.
It records what the ACE event-log control asks for: every refusal (with its
reason), every accepted command, every motor command and confirmation, every
alarm announced and acknowledged, mode changes, settings and time changes.
Plain ticks are not logged unless something happened in them.

The log is written only by ``kernel.step`` (never by the arithmetic core), is
the only part of the state a refused event touches (INP-1), and plays no part
in any decision, so the proofs do not model it.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

# Records are built as _new(Cls, (values...)): the same tuple as Cls(values...) at a third of the cost
# (kernel.state, "Building records"; tests/test_record_construction.py checks every call).
_new = tuple.__new__

LOG_CAPACITY = 64


class LogKind(enum.IntEnum):
    """What a log entry records."""

    EVENT_ACCEPTED = 0
    """``code``: event class index (``events.EVENT_CLASSES``); ``a``: request id or 0."""
    EVENT_REFUSED = 1
    """``code``: event class index; ``a``: ``Reason``; ``b``: settings-rule mask."""
    DELIVER_COMMANDED = 2
    """``code``: purpose; ``a``: sequence number; ``b``: pulses."""
    MOTOR_CONFIRMED = 3
    """``a``: sequence number; ``b``: pulses displaced."""
    ALARM_ANNOUNCED = 4
    """``code``: ``AlarmKind``."""
    ALARM_ACKNOWLEDGED = 5
    """``code``: ``AlarmKind``."""
    MODE_CHANGED = 6
    """``a``: old mode; ``b``: new mode."""
    NOTICE = 7
    """``code``: ``NoticeKind``; ``a``, ``b``: its first two values."""


class LogEntry(NamedTuple):
    """One log record; ``seq`` numbers entries from 1 for ever."""

    seq: int
    tick: int
    kind: int
    code: int
    a: int
    b: int


class EventLog(NamedTuple):
    """The last ``LOG_CAPACITY`` entries, oldest first, and the next entry number."""

    entries: tuple[LogEntry, ...]
    next_seq: int


EMPTY_LOG = EventLog(entries=(), next_seq=1)


def append(log: EventLog, tick: int, records: tuple[tuple[int, int, int, int], ...]) -> EventLog:
    """``log`` with ``records`` ``(kind, code, a, b)`` appended at ``tick``, oldest dropped."""
    if not records:
        return log
    seq = log.next_seq
    new = tuple([_new(LogEntry, (seq + i, tick, kind, code, a, b)) for i, (kind, code, a, b) in enumerate(records)])
    entries = log.entries
    drop = len(entries) + len(new) - LOG_CAPACITY
    if drop > 0:
        entries = entries[drop:]
    return _new(EventLog, (entries + new, seq + len(new)))
