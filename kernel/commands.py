"""What a step returns: commands for the motor and the user, and the outcome.

Theory of operation
-------------------
Inside the arithmetic core a step's effects are one fixed-shape record,
``Effects``: the outcome code, at most one motor command (pulses, sequence
number, purpose, and how many of its pulses are basal and how many bolus),
which alarms are announced, and one slot per notice kind.  A fixed shape is
what lets the same code run on Z3 terms.

Emission is part of that same code.  ``command_slots(fx, logic)`` turns the
effects into *command slots*: ``(present, kind, fields)`` for the motor
command, each alarm and each notice, in the order the commands go out
(``Deliver`` first, then ``Alarm`` in ``AlarmKind`` order, then ``Notice`` in
``NoticeKind`` order).  It runs in the kernel's logic, so the proofs reason
about exactly the values the pump commands.  ``commands_of`` keeps the
present slots and builds the public ``Deliver``, ``Alarm`` and ``Notice``
values from their fields; that filter is plain Python and part of the trusted
base (``docs/proofs.md``).  In Python the slots of absent commands are not
even built (``cond is not False``, ``kernel.logic``), which gives the same commands.

At most one ``Deliver`` goes out per step; it carries a sequence number and is
recorded in the returned state (``motor.pending_pulses``) before the shell
sends it: write-ahead intent (DLV-1).

Requirements served: DLV-1, ALM-1, SEC-2 (every bolus start is announced by a
``BOLUS_STARTED`` notice), BOL-6 and OCC-2 (delivered and undelivered amounts
are reported), LIM-3 (the user is told when a limit stops delivery), INP-1.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from kernel.alarms import N_ALARMS, PRIORITY, AlarmKind, Priority
from kernel.logic import Logic
from kernel.reasons import Reason
from kernel.settings import SettingsRule

# Enum members the step reads on every event, as module constants (kernel.logic, "Enum members").
_ACCEPTED = Reason.ACCEPTED


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
    """a: ``LgsEnd`` (SUS-4)."""
    GLUCOSE_NOT_USED = 9
    """a: ``GlucoseUse``, b: the reported value (SEN-1..5)."""
    SETTINGS_CHANGED = 10
    TIME_CHANGED = 11
    """a: delta in ticks (BAS-3)."""
    MODE_CHANGED = 12
    """a: old mode, b: new mode."""


N_NOTICES = len(NoticeKind)


class LgsEnd(enum.IntEnum):
    """Why an automatic suspension ended (SUS-4)."""

    RECOVERED = 0
    MAX_DURATION = 1
    SWITCHED_OFF = 2


class GlucoseUse(enum.IntEnum):
    """How a sensor report was used (SEN-1..5): ``USED`` or why not."""

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


class Effects(NamedTuple):
    """Fixed-shape effects of one step (see module docstring).

    ``deliver_pulses`` is the motor command's size (0: no command); of them
    ``deliver_basal_pulses`` are basal and ``deliver_bolus_pulses`` bolus
    (normal and extended) when the purpose is therapy.  ``noticed`` is true
    when some notice slot is shown (it lets Python skip the slots quickly).
    """

    reason: int
    detail: int
    replayed: bool
    deliver_pulses: int
    deliver_seq: int
    deliver_purpose: int
    deliver_basal_pulses: int
    deliver_bolus_pulses: int
    limit_hit: bool
    announce: tuple[bool, ...]
    alarm_repeat: int
    notices: tuple[NoticeSlot, ...]
    noticed: bool


NO_EFFECTS = Effects(
    reason=Reason.ACCEPTED,
    detail=0,
    replayed=False,
    deliver_pulses=0,
    deliver_seq=0,
    deliver_purpose=Purpose.THERAPY,
    deliver_basal_pulses=0,
    deliver_bolus_pulses=0,
    limit_hit=False,
    announce=(False,) * N_ALARMS,
    alarm_repeat=0,
    notices=(_EMPTY_SLOT,) * N_NOTICES,
    noticed=False,
)


def notice(fx: Effects, kind: NoticeKind, shown: bool, a: int, b: int, c: int, logic: Logic) -> Effects:
    """``fx`` with notice ``kind`` shown (with values a, b, c) when ``shown``."""
    if shown is False:
        return fx
    slot = logic.pick(shown, (True, a, b, c), fx.notices[kind])
    notices = fx.notices[:kind] + (slot,) + fx.notices[kind + 1 :]
    return fx._replace(notices=notices, noticed=logic.either(fx.noticed, shown))


def deliver(fx: Effects, pulses: int, seq: int, purpose: int, basal: int, bolus: int, logic: Logic) -> Effects:
    """``fx`` with a motor command for ``pulses`` (no command when 0), of which ``basal`` + ``bolus`` are therapy."""
    return fx._replace(
        deliver_pulses=pulses,
        deliver_seq=logic.ite(pulses > 0, seq, 0),
        deliver_purpose=purpose,
        deliver_basal_pulses=basal,
        deliver_bolus_pulses=bolus,
    )


class Deliver(NamedTuple):
    """Command the motor: deliver ``pulses`` now, as command number ``seq`` (DLV-1).

    For therapy, ``basal_pulses + bolus_pulses == pulses`` says what the
    pulses are for; for priming and cannula fill both are 0.
    """

    seq: int
    pulses: int
    purpose: Purpose
    basal_pulses: int = 0
    bolus_pulses: int = 0


class Alarm(NamedTuple):
    """Announce an alarm to the user (ALM-1); it stays until acknowledged (ALM-3).

    ``repeat`` is 0 when the alarm is new and 1..``ALARM_REPEATS_MAX`` when an
    unacknowledged alarm is announced again, louder each time (ALM-5).
    """

    kind: AlarmKind
    priority: Priority
    repeat: int = 0


class Notice(NamedTuple):
    """Tell the user something (see ``NoticeKind`` for the meaning of a, b, c)."""

    kind: NoticeKind
    a: int
    b: int
    c: int


Command = Deliver | Alarm | Notice


class CommandKind(enum.IntEnum):
    """Which public command a slot holds."""

    DELIVER = 0
    ALARM = 1
    NOTICE = 2


CommandSlot = tuple[bool, int, tuple[int, ...]]
"""(present, ``CommandKind``, the command's field values in order)."""

_ALARM_KINDS = tuple(AlarmKind)
_NOTICE_KINDS = tuple(NoticeKind)


def command_slots(fx: Effects, logic: Logic) -> tuple[CommandSlot, ...]:
    """Every command the step may emit, in emission order, with whether it is present.

    Runs in the kernel's logic: the proofs reason about these slots.  In
    Python, slots that are certainly absent are left out (``kernel.logic``: skipping work);
    ``commands_of`` keeps only present slots, so the commands are the same.
    """
    slots: list[CommandSlot] = []
    moving = fx.deliver_pulses > 0
    if moving is not False:
        fields = (
            fx.deliver_seq,
            fx.deliver_pulses,
            fx.deliver_purpose,
            fx.deliver_basal_pulses,
            fx.deliver_bolus_pulses,
        )
        slots.append((moving, CommandKind.DELIVER, fields))
    if logic.any(*fx.announce) is not False:
        for kind in _ALARM_KINDS:
            announced = fx.announce[kind]
            if announced is not False:
                slots.append((announced, CommandKind.ALARM, (kind, PRIORITY[kind], fx.alarm_repeat)))
    if fx.noticed is not False:
        for notice_kind in _NOTICE_KINDS:
            shown, a, b, c = fx.notices[notice_kind]
            if shown is not False:
                slots.append((shown, CommandKind.NOTICE, (notice_kind, a, b, c)))
    return tuple(slots)


_PURPOSES = {int(purpose): purpose for purpose in Purpose}
_ALARM_KIND_OF = {int(kind): kind for kind in AlarmKind}
_PRIORITY_OF = {int(priority): priority for priority in Priority}
_NOTICE_KIND_OF = {int(kind): kind for kind in NoticeKind}


def commands_of(slots: tuple[CommandSlot, ...]) -> tuple[Command, ...]:
    """The public commands of the present slots, in order (plain Python; trusted base)."""
    commands: list[Command] = []
    for present, kind, fields in slots:
        if present:
            if kind == CommandKind.DELIVER:
                seq, pulses, purpose, basal, bolus = fields
                commands.append(Deliver(seq, pulses, _PURPOSES[purpose], basal, bolus))
            elif kind == CommandKind.ALARM:
                commands.append(Alarm(_ALARM_KIND_OF[fields[0]], _PRIORITY_OF[fields[1]], fields[2]))
            else:
                commands.append(Notice(_NOTICE_KIND_OF[fields[0]], fields[1], fields[2], fields[3]))
    return tuple(commands)


class Outcome(NamedTuple):
    """Whether the event was accepted; if not, why (INP-1).

    ``replayed`` is true when a repeated request ID was answered with the
    original outcome (BOL-5): ``reason`` is then that original outcome.
    ``problems`` lists every failed settings rule when a ``SettingsChange`` is
    refused (CFG-1).
    """

    reason: Reason
    replayed: bool = False
    problems: tuple[SettingsRule, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.reason == _ACCEPTED
