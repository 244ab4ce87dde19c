"""Events: everything that can happen to the pump, as frozen values.

Theory of operation
-------------------
Every input to the kernel is one of the event classes below.  Each carries
``tick``, the kernel time at which it happens: a ``Tick`` carries the *next*
tick (time advances only by ticks, one minute each), every other event carries
the current tick (CLK-2).  An event from an earlier tick is stale and one from
a later tick is from the future; both are refused.

``EVENT_SCHEMA`` is the table the step's first check reads: for each event
class, each field's type (``int``, ``bool`` or ``TherapySettings``) and, for
integers, the static range it must fall in.  A field of the wrong type or
outside its static range is refused with ``ILL_TYPED`` or ``OUT_OF_RANGE``
before any arithmetic happens, so the kernel never raises on input (INP-1).
The static ranges only bound the domain; the real limits (max bolus, max
basal, ...) come from the configuration and settings and are checked by the
handlers, each with its own reason code.

Units: ``_pulses``, ``_pph`` pulses per hour, ``_ticks`` minutes, ``_mgdl``,
``_kpa`` line pressure.

Requirements served: CLK-1, CLK-2, INP-1, INP-2, BOL-2, BOL-5, TMP-1, TMP-3,
SEC-2, SEC-3, RES-3, OCC-1, DLV-1, SEN-1.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kernel.settings import TherapySettings

BIG = 10**9
"""Static upper bound for counters and identifiers (keeps the domain finite)."""


class Source(enum.IntEnum):
    """Who asked (SEC-3: every limit applies whatever the source)."""

    USER = 0
    """The pump's own user interface."""
    REMOTE = 1
    """A paired phone or remote, through the authenticated channel (SEC-1, SEC-2)."""
    CONTROLLER = 2
    """An automated (closed-loop) controller (TMP-3, LIM-4)."""


class TempKind(enum.IntEnum):
    """How a temp basal states its rate (TMP-1)."""

    NONE = 0
    ABSOLUTE = 1
    PERCENT = 2


class CancelTarget(enum.IntEnum):
    """Which bolus a ``CancelBolus`` stops (BOL-6)."""

    ALL = 0
    NORMAL = 1
    EXTENDED = 2


class MotorFault(enum.IntEnum):
    """What the motor adapter reports about the last command (DLV-3)."""

    NONE = 0
    STALL = 1
    ENCODER_MISMATCH = 2
    OTHER = 3


class GlucoseStatus(enum.IntEnum):
    """The sensor's own verdict on a report (SEN-1, SEN-5).

    Only ``OK`` carries a glucose value (``GlucoseReading.mgdl``).  ``LOW`` and
    ``HIGH`` are the sensor's own indication that glucose is below or above
    its range (the value is then ignored).  Every other status is an error
    state and never a glucose (``adapters.sensor`` maps transmitter states and
    legacy error values onto these).
    """

    OK = 0
    SENSOR_ERROR = 1
    CALIBRATION = 2
    WARM_UP = 3
    LOW = 4
    HIGH = 5
    NOISE = 6
    SENSOR_FAILED = 7
    SESSION_STOPPED = 8


@dataclass(frozen=True)
class Tick:
    """One minute passes.  ``tick`` is the new time (current + 1).

    ``missed`` marks a tick the platform missed and the adapter replays so
    that time stays right: time advances but nothing is delivered for it, so
    a missed tick never becomes a burst of catch-up delivery (CLK-1).
    """

    tick: int
    missed: bool = False


@dataclass(frozen=True)
class BolusRequest:
    """A bolus: normal (``extended_pulses == 0``), extended (``immediate_pulses == 0``)
    or dual wave (both).  ``request_id`` makes retries idempotent (BOL-5)."""

    tick: int
    request_id: int
    source: int
    immediate_pulses: int
    extended_pulses: int = 0
    extended_ticks: int = 0


@dataclass(frozen=True)
class CancelBolus:
    """Stop a running bolus at once (BOL-6); ``target`` is a ``CancelTarget``."""

    tick: int
    target: int = CancelTarget.ALL
    source: int = Source.USER


@dataclass(frozen=True)
class TempBasal:
    """Start (or replace) a temp basal (TMP-1..3).

    ``kind`` is a ``TempKind``; ``value`` is pulses per hour (absolute) or a
    percentage of the scheduled rate (percent).
    """

    tick: int
    request_id: int
    source: int
    kind: int
    value: int
    duration_ticks: int


@dataclass(frozen=True)
class CancelTempBasal:
    """End the running temp basal now; the schedule resumes at once (TMP-2)."""

    tick: int
    source: int = Source.USER


@dataclass(frozen=True)
class Suspend:
    """Manual suspend: all delivery stops within this tick (SUS-1)."""

    tick: int
    source: int = Source.USER


@dataclass(frozen=True)
class Resume:
    """Explicit resume after suspend, automatic suspend, auto-off or set-up (SUS-1)."""

    tick: int


@dataclass(frozen=True)
class SettingsChange:
    """Replace the therapy settings, validated as a whole (CFG-1)."""

    tick: int
    settings: TherapySettings


@dataclass(frozen=True)
class TimeOffsetChange:
    """Local time moves by ``delta_ticks`` (travel, daylight saving); BAS-3."""

    tick: int
    delta_ticks: int


@dataclass(frozen=True)
class Rewind:
    """Start a reservoir or set change: the plunger is rewound (RES-3)."""

    tick: int


@dataclass(frozen=True)
class FillReservoir:
    """A filled reservoir of ``pulses`` is in place (RES-3)."""

    tick: int
    pulses: int


@dataclass(frozen=True)
class ClearLine:
    """The user has cleared an occluded line; priming follows (OCC-4)."""

    tick: int


@dataclass(frozen=True)
class PrimeTubing:
    """Prime the tubing with ``pulses`` (bounded per change; RES-3)."""

    tick: int
    pulses: int


@dataclass(frozen=True)
class FillCannula:
    """Fill a newly inserted cannula with ``pulses`` (RES-3, RES-4)."""

    tick: int
    pulses: int


@dataclass(frozen=True)
class MotorReport:
    """The motor adapter's answer to command ``seq`` (DLV-1, OCC-1, DLV-3).

    ``displaced_pulses`` is what the encoder measured; ``pressure_kpa`` the
    line pressure (or force) sample taken while pushing; ``fault`` a
    ``MotorFault``.  A late answer is the read-back that resolves an
    uncertain delivery (DLV-2).
    """

    tick: int
    seq: int
    displaced_pulses: int
    pressure_kpa: int = 0
    fault: int = MotorFault.NONE


@dataclass(frozen=True)
class GlucoseReading:
    """A sensor glucose reading taken at ``measured_tick`` (SEN-1..3)."""

    tick: int
    measured_tick: int
    mgdl: int
    status: int = GlucoseStatus.OK


@dataclass(frozen=True)
class AlarmAck:
    """The user acknowledges alarm ``alarm`` (an ``AlarmKind``); ALM-1, ALM-3."""

    tick: int
    alarm: int


@dataclass(frozen=True)
class UserPresent:
    """Any button press: proves the user is there (ALM-2 auto-off)."""

    tick: int


Event = (
    Tick
    | BolusRequest
    | CancelBolus
    | TempBasal
    | CancelTempBasal
    | Suspend
    | Resume
    | SettingsChange
    | TimeOffsetChange
    | Rewind
    | FillReservoir
    | ClearLine
    | PrimeTubing
    | FillCannula
    | MotorReport
    | GlucoseReading
    | AlarmAck
    | UserPresent
)

EVENT_CLASSES: tuple[type, ...] = (
    Tick,
    BolusRequest,
    CancelBolus,
    TempBasal,
    CancelTempBasal,
    Suspend,
    Resume,
    SettingsChange,
    TimeOffsetChange,
    Rewind,
    FillReservoir,
    ClearLine,
    PrimeTubing,
    FillCannula,
    MotorReport,
    GlucoseReading,
    AlarmAck,
    UserPresent,
)

FieldSpec = tuple[str, type, int, int]
"""(field name, type, lowest, highest); bounds apply to ``int`` fields only."""

_TICK: FieldSpec = ("tick", int, 0, BIG)
_SOURCE: FieldSpec = ("source", int, 0, len(Source) - 1)

EVENT_SCHEMA: dict[type, tuple[FieldSpec, ...]] = {
    Tick: (_TICK, ("missed", bool, 0, 1)),
    BolusRequest: (
        _TICK,
        ("request_id", int, 1, BIG),
        _SOURCE,
        ("immediate_pulses", int, 0, BIG),
        ("extended_pulses", int, 0, BIG),
        ("extended_ticks", int, 0, BIG),
    ),
    CancelBolus: (_TICK, ("target", int, 0, len(CancelTarget) - 1), _SOURCE),
    TempBasal: (
        _TICK,
        ("request_id", int, 1, BIG),
        _SOURCE,
        ("kind", int, int(TempKind.ABSOLUTE), int(TempKind.PERCENT)),
        ("value", int, 0, BIG),
        ("duration_ticks", int, 1, BIG),
    ),
    CancelTempBasal: (_TICK, _SOURCE),
    Suspend: (_TICK, _SOURCE),
    Resume: (_TICK,),
    SettingsChange: (_TICK, ("settings", TherapySettings, 0, 0)),
    TimeOffsetChange: (_TICK, ("delta_ticks", int, -1440, 1440)),
    Rewind: (_TICK,),
    FillReservoir: (_TICK, ("pulses", int, 1, BIG)),
    ClearLine: (_TICK,),
    PrimeTubing: (_TICK, ("pulses", int, 1, BIG)),
    FillCannula: (_TICK, ("pulses", int, 0, BIG)),
    MotorReport: (
        _TICK,
        ("seq", int, 1, BIG),
        ("displaced_pulses", int, 0, BIG),
        ("pressure_kpa", int, 0, BIG),
        ("fault", int, 0, len(MotorFault) - 1),
    ),
    GlucoseReading: (
        _TICK,
        ("measured_tick", int, 0, BIG),
        ("mgdl", int, 0, 10_000),
        ("status", int, 0, len(GlucoseStatus) - 1),
    ),
    AlarmAck: (_TICK, ("alarm", int, 0, 63)),
    UserPresent: (_TICK,),
}
"""Per event class: every field's type and static range (INP-1)."""

SOURCED_EVENTS: tuple[type, ...] = (BolusRequest, CancelBolus, TempBasal, CancelTempBasal, Suspend)
"""Events that say who sent them (a ``source`` field): the ones a paired remote or a controller may send."""

DEVICE_EVENTS: tuple[type, ...] = (Tick, MotorReport, GlucoseReading)
"""Events the pump's own clock, motor and sensor produce: never a person (ALM-4)."""

PERSON_EVENTS: tuple[type, ...] = tuple(
    cls for cls in EVENT_CLASSES if cls not in SOURCED_EVENTS and cls not in DEVICE_EVENTS
)
"""Events that only the pump's own buttons produce: always a person at the pump (ALM-2, ALM-4).

Every other event shows a person only when its source is ``USER``, or ``REMOTE``
when the configuration declares the remote a person-held device
(``PumpConfig.remote_is_person_held``); a ``CONTROLLER`` never does
(``kernel.handling.shows_person``)."""
