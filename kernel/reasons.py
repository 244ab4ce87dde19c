"""Reason codes: why an event was refused (INP-1), and why a delivery stopped.

Every refusal carries exactly one ``Reason``; the first failed check of a
handler's ordered check table decides which.  A refused event changes nothing
in the pump state (INP-1, INP-2); only the event log records it.

``StopCause`` says why a running bolus or a temp basal ended, for the notice
the user gets (BOL-6, LIM-3, OCC-2, TMP-2).
"""

from __future__ import annotations

import enum


class Reason(enum.IntEnum):
    """Outcome code of an event: ``ACCEPTED`` or the reason it was refused."""

    ACCEPTED = 0
    # Form (checked before anything else; INP-1, CLK-2).
    NOT_AN_EVENT = 1
    ILL_TYPED = 2
    OUT_OF_RANGE = 3
    STALE_EVENT = 4
    FUTURE_EVENT = 5
    # Mode and safety gates (ALM-1, DLV-2, SUS-1).
    NOT_ALLOWED_IN_MODE = 6
    ALARM_UNACKNOWLEDGED = 7
    DELIVERY_UNCERTAIN = 8
    MOTOR_BUSY = 9
    # Bolus (BOL-1..5, LIM-1..4, SEC-2, SEN-2).
    ABOVE_MAX_BOLUS = 10
    EMPTY_REQUEST = 11
    EXTENDED_DURATION = 12
    EXTENDED_TOO_FAST = 13
    BOLUS_IN_PROGRESS = 14
    EXTENDED_IN_PROGRESS = 15
    HOURLY_LIMIT = 16
    DAILY_LIMIT = 17
    INSUFFICIENT_RESERVOIR = 18
    MAX_IOB = 19
    SENSOR_UNAVAILABLE = 20
    REMOTE_BOLUS_DISABLED = 21
    CONTROLLER_DISABLED = 22
    # Temp basal (TMP-1..3).
    TEMP_RATE_ABOVE_MAX_BASAL = 23
    TEMP_PERCENT_OUT_OF_RANGE = 24
    TEMP_DURATION = 25
    NOTHING_TO_CANCEL = 26
    # Reservoir, prime and motor (RES-3, DLV-1).
    UNEXPECTED_MOTOR_REPORT = 27
    PRIME_LIMIT = 28
    CANNULA_FILL_RANGE = 29
    FILL_ABOVE_CAPACITY = 30
    # Settings and time (CFG-1, BAS-3).
    SETTINGS_INVALID = 31
    SETTINGS_BELOW_WINDOW_USAGE = 32
    ALARM_NOT_ACTIVE = 33
    TIME_OFFSET_ZERO = 34
    # Request memory and recovery (BOL-5, PER-4).
    REQUEST_MEMORY_FULL = 35
    HISTORY_UNKNOWN = 36


class StopCause(enum.IntEnum):
    """Why a running bolus or temp basal ended (reported in notices)."""

    COMPLETED = 0
    CANCELLED = 1
    HOURLY_LIMIT = 2
    DAILY_LIMIT = 3
    RESERVOIR = 4
    DELIVERY_STOPPED = 5
    """The pump left the delivering mode (suspend, occlusion, fault, alarm)."""
    DELIVERY_UNCERTAIN = 6
    REPLACED = 7
    EXPIRED = 8
    SENSOR_LOST = 9
