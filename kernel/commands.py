"""What a step returns: commands for the motor and the user, and the outcome.

Theory of operation
-------------------
Inside the arithmetic core a step's effects are one fixed-shape record,
``Effects``: the outcome code, at most one motor command (pulses, sequence
number, purpose), which alarms are announced, and one slot per notice kind.
A fixed shape is what lets the same code run on Z3 terms.  ``kernel.step``
turns it into the public result: a tuple of ``Deliver``, ``Alarm`` and
``Notice`` commands and an ``Outcome``.

At most one ``Deliver`` goes out per step; it carries a sequence number and is
recorded in the returned state (``motor.pending_pulses``) before the shell
sends it: write-ahead intent (DLV-1).

Requirements served: DLV-1, ALM-1, SEC-2 (every bolus start is announced by a
``BOLUS_STARTED`` notice), BOL-6 and OCC-2 (delivered and undelivered amounts
are reported), LIM-3 (the user is told when a limit stops delivery), INP-1.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from kernel.alarms import N_ALARMS
from kernel.logic import Logic
from kernel.reasons import Reason


class Purpose(enum.IntEnum):
    """Why pulses are commanded: only therapy counts toward limits and IOB (RES-3)."""

    THERAPY = 0
    PRIME = 1
    CANNULA = 2


class NoticeKind(enum.IntEnum):
    """Information for the user (not alarms); ``a``, ``b``, ``c`` as documented."""

    BOLUS_STARTED = 0
    """a: immediate pulses, b: extended pulses, c: request id (SEC-2)."""
    BOLUS_ENDED = 1
    """Normal bolus. a: delivered, b: not delivered, c: ``StopCause`` (BOL-6, OCC-2)."""
    EXTENDED_ENDED = 2
    """Extended bolus. a: delivered, b: not delivered, c: ``StopCause``."""
    TEMP_BASAL_ENDED = 3
    """a: ``StopCause`` (TMP-2)."""
    BASAL_WITHHELD = 4
    """a: basal pulses not delivered because of a rolling limit, b: ``StopCause`` (LIM-3)."""
    PARTIAL_DELIVERY = 5
    """a: pulses commanded, b: pulses displaced (OCC-1)."""
    DELIVERY_ASSUMED = 6
    """a: unconfirmed pulses counted as delivered (DLV-2)."""
    SUSPEND_REMINDER = 7
    """a: ticks suspended so far (SUS-1)."""
    LGS_ENDED = 8
    """a: ``LgsEnd`` (SUS-4, SEN-2)."""
    GLUCOSE_NOT_USED = 9
    """a: ``GlucoseUse`` (SEN-1..3)."""
    SETTINGS_CHANGED = 10
    TIME_CHANGED = 11
    """a: delta in ticks (BAS-3)."""
    MODE_CHANGED = 12
    """a: old mode, b: new mode."""


N_NOTICES = len(NoticeKind)


class LgsEnd(enum.IntEnum):
    """Why an automatic suspension ended (SUS-4, SEN-2)."""

    RECOVERED = 0
    MAX_DURATION = 1
    SENSOR_LOST = 2


class GlucoseUse(enum.IntEnum):
    """Why a reading was not used (SEN-1..3); USED when it was."""

    USED = 0
    SENSOR_STATUS = 1
    OUT_OF_RANGE = 2
    TOO_OLD = 3
    FROM_FUTURE = 4
    NOT_NEWER = 5
    IMPLAUSIBLE_JUMP = 6


NoticeSlot = tuple[bool, int, int, int]
"""(shown, a, b, c)."""

_EMPTY_SLOT: NoticeSlot = (False, 0, 0, 0)


@dataclass(frozen=True)
class Effects:
    """Fixed-shape effects of one step (see module docstring)."""

    reason: int
    detail: int
    replayed: bool
    deliver_pulses: int
    deliver_seq: int
    deliver_purpose: int
    limit_hit: bool
    announce: tuple[bool, ...]
    notices: tuple[NoticeSlot, ...]


NO_EFFECTS = Effects(
    reason=Reason.ACCEPTED,
    detail=0,
    replayed=False,
    deliver_pulses=0,
    deliver_seq=0,
    deliver_purpose=Purpose.THERAPY,
    limit_hit=False,
    announce=(False,) * N_ALARMS,
    notices=(_EMPTY_SLOT,) * N_NOTICES,
)


def notice(fx: Effects, kind: NoticeKind, shown: bool, a: int, b: int, c: int, logic: Logic) -> Effects:
    """``fx`` with notice ``kind`` shown (with values a, b, c) when ``shown``."""
    slot = logic.pick(shown, (True, a, b, c), fx.notices[kind])
    notices = (*fx.notices[:kind], slot, *fx.notices[kind + 1 :])
    return replace(fx, notices=notices)


def deliver(fx: Effects, pulses: int, seq: int, purpose: int, logic: Logic) -> Effects:
    """``fx`` with a motor command for ``pulses`` (no command when 0)."""
    return replace(
        fx,
        deliver_pulses=pulses,
        deliver_seq=logic.ite(pulses > 0, seq, 0),
        deliver_purpose=purpose,
    )


@dataclass(frozen=True)
class Deliver:
    """Command the motor: deliver ``pulses`` now, as command number ``seq`` (DLV-1)."""

    seq: int
    pulses: int
    purpose: Purpose


@dataclass(frozen=True)
class Alarm:
    """Announce an alarm to the user (ALM-1); it stays until acknowledged (ALM-3)."""

    kind: int
    priority: int


@dataclass(frozen=True)
class Notice:
    """Tell the user something (see ``NoticeKind`` for the meaning of a, b, c)."""

    kind: NoticeKind
    a: int
    b: int
    c: int


Command = Deliver | Alarm | Notice


@dataclass(frozen=True)
class Outcome:
    """Whether the event was accepted; if not, why (INP-1).

    ``replayed`` is true when a repeated request ID was answered with the
    original outcome (BOL-5).  ``problems`` lists every failed settings rule
    when a ``SettingsChange`` is refused (CFG-1).
    """

    reason: Reason
    replayed: bool = False
    problems: tuple[int, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.reason == Reason.ACCEPTED
