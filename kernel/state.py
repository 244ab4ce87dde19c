"""The pump state: immutable records of fixed shape, integers and booleans only.

Theory of operation
-------------------
The whole state of the pump is one ``PumpState``, made of small immutable
records (``typing.NamedTuple``), each owned by one concern.  Every tuple has a
fixed length (the rings of ``kernel.units``), every number is an ``int`` and
every flag a ``bool``, so the same shape can hold Z3 terms for the proofs.
Records are built whole, once per step, by the module that owns them; a
``NamedTuple`` exists in MicroPython as ``collections.namedtuple``
(``docs/micropython.md``).  Outside the kernel,
``record._replace(field=value)`` gives a changed copy.

Building records.  Inside a step the hot records are built as
``_new(Cls, (v1, v2, ...))`` with ``_new = tuple.__new__`` (each module
binds it): the same tuple, of the same class, as ``Cls(v1, v2, ...)``, at
about a third of the cost (``Cls(...)`` passes through the ``__new__`` that
``namedtuple`` writes in Python; issue 17).  Python does not check the number
of values then, so ``tests/test_record_construction.py`` checks every such
call in the source against the class's fields.  MicroPython has no
``tuple.__new__``; there ``Cls(*values)`` is the portable form
(``docs/micropython.md``).

Timers count up or down by one a tick.  Absolute times are kept only where a
fact is about a moment: the time of the last valid glucose reading and of the
latest sensor report (freshness is judged from them, SEN-1, SEN-4), and the
time of each remembered request (BOL-5: 24 hours of memory).

Rolling windows (LIM-1, LIM-2) are rings of buckets, the current bucket
first: the hour ring has 13 buckets of ``hour_bucket_ticks`` (12 full
buckets plus the current one, covering at least 60 minutes), the day ring 25
buckets of ``day_bucket_ticks``.  Each therapy pulse is counted in the current
bucket of every ring when it is *commanded* (uncertain delivery counts as
delivered, LIM-5); a ring shifts by one when its phase counter wraps.  The IOB
ring (49 buckets of 10 minutes) feeds the insulin-on-board estimate (LIM-4).

``PumpState.log`` is the bounded event log (LOG-1) and ``PumpState.requests``
the request memory (BOL-5).  They are the only parts of the state a refused
event changes: a refusal leaves every other field exactly as it was (INP-1,
INP-2); a refused request is remembered with its reason so that a retry gets
the same answer.

Units: ``_pulses``, ``_ticks``, ``_mgdl``; ``basal.acc`` is in accumulator
units (1/6000 pulse, BAS-2).
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple, TypeVar

from kernel.alarms import N_ALARMS, AlarmStatus
from kernel.config import PumpConfig
from kernel.events import Source, TempKind
from kernel.log import EMPTY_LOG, EventLog
from kernel.modes import Mode
from kernel.settings import TherapySettings, zero_settings
from kernel.units import DAY_RING, HOUR_RING, IOB_RING, OLDER_READINGS, REQUEST_SLOTS, TICKS_PER_DAY

T = TypeVar("T")


class Windows(NamedTuple):
    """Rolling delivery windows and the IOB history (LIM-1, LIM-2, LIM-4, LIM-5).

    Each ring is its current bucket (``*_now_pulses``, the one pulses are
    counted in) and its past buckets, newest first; the hour and day rings
    also keep their total, so the room left under a limit is one subtraction.
    The properties ``hour_pulses``, ``day_pulses`` and ``iob_pulses`` give each
    whole ring, current bucket first.
    """

    hour_now_pulses: int
    hour_past_pulses: tuple[int, ...]
    hour_total_pulses: int
    hour_phase_ticks: int
    day_now_pulses: int
    day_past_pulses: tuple[int, ...]
    day_total_pulses: int
    day_phase_ticks: int
    iob_now_pulses: int
    iob_past_pulses: tuple[int, ...]
    iob_phase_ticks: int

    @property
    def hour_pulses(self) -> tuple[int, ...]:
        """The hour ring, current bucket first (``HOUR_RING`` buckets)."""
        return (self.hour_now_pulses,) + self.hour_past_pulses

    @property
    def day_pulses(self) -> tuple[int, ...]:
        """The day ring, current bucket first (``DAY_RING`` buckets)."""
        return (self.day_now_pulses,) + self.day_past_pulses

    @property
    def iob_pulses(self) -> tuple[int, ...]:
        """The IOB ring, current bucket first (``IOB_RING`` buckets)."""
        return (self.iob_now_pulses,) + self.iob_past_pulses


class BasalState(NamedTuple):
    """Basal accumulator and the temp basal in force (BAS-2, TMP-1..3)."""

    acc: int
    temp_kind: int
    temp_value: int
    temp_remaining_ticks: int
    temp_source: int


class BolusState(NamedTuple):
    """The running normal bolus and extended bolus (BOL-2..6).

    The extended part is spread evenly by a digital differential analyser:
    each tick it delivers ``ext_quotient_pulses`` plus one more whenever the
    accumulated remainder reaches the duration, so it delivers exactly its
    amount in exactly its duration.
    """

    request_id: int
    remaining_pulses: int
    delivered_pulses: int
    ext_request_id: int
    ext_remaining_pulses: int
    ext_delivered_pulses: int
    ext_quotient_pulses: int
    ext_remainder_pulses: int
    ext_duration_ticks: int
    ext_acc: int


class ReservoirState(NamedTuple):
    """Reservoir level, priming in this change, and infusion-set age (RES-1..4)."""

    pulses: int
    prime_used_pulses: int
    set_age_ticks: int


class MotorState(NamedTuple):
    """Delivery confirmation and occlusion evidence (DLV-1..3, OCC-1)."""

    seq: int
    pending_pulses: int
    pending_ticks: int
    uncertain: bool
    undisplaced_pulses: int
    high_pressure_samples: int


class GlucoseState(NamedTuple):
    """What the pump knows about glucose, apart from what the sensor last said (SEN-1..5).

    ``mgdl``/``measured_tick`` are the last *valid* reading (``valid`` once
    there has been one); ``edge`` is -1 when it was the sensor's own LOW
    indication (then ``mgdl`` is ``glucose_min_mgdl - 1``), +1 for HIGH
    (``glucose_max_mgdl + 1``), 0 for a reading inside the range.  The
    ``older_*`` tuples are the ``OLDER_READINGS`` valid readings before it,
    newest first (the trend of SUS-3 is fitted over all four).
    ``report_tick`` and ``report_use`` are the latest report of any kind and
    how it was used (a ``GlucoseUse``): an invalid report is recorded there
    and never replaces the valid reading (SEN-4).
    """

    mgdl: int
    measured_tick: int
    valid: bool
    edge: int
    older_mgdl: tuple[int, ...]
    older_ticks: tuple[int, ...]
    older_valid: tuple[bool, ...]
    older_edge: tuple[int, ...]
    report_tick: int
    report_use: int


class Timers(NamedTuple):
    """Suspension, reminder, lockout, presence and recovery timers (SUS-1, SUS-4, ALM-2, PER-4).

    ``idle_ticks`` counts ticks since the last event that showed a person at
    the pump (ALM-2, ALM-4).  ``history_unknown_ticks`` counts down the part
    of the last 24 hours that a replacement state could not rebuild (PER-4);
    automated commands are refused while it runs.  While an alarm waits for
    acknowledgement, ``alarm_repeat_countdown_ticks`` counts down to its next
    repetition and ``alarm_repeats`` says how often it has been repeated
    (0..``ALARM_REPEATS_MAX``; ALM-1, ALM-5).
    """

    suspended_ticks: int
    reminder_countdown_ticks: int
    lgs_lockout_ticks: int
    idle_ticks: int
    history_unknown_ticks: int
    alarm_repeat_countdown_ticks: int
    alarm_repeats: int


class Totals(NamedTuple):
    """Lifetime counters for reports and the no-drift invariant (BAS-2, RES-3, DLV-3)."""

    basal_pulses: int
    bolus_pulses: int
    prime_pulses: int
    confirmed_pulses: int
    withheld_pulses: int
    basal_programmed_units: int
    excess_pulses: int


class Requests(NamedTuple):
    """The request memory, newest first (BOL-5).

    ``ids[k]`` was answered at tick ``ticks[k]`` with the ``Reason`` code
    ``outcomes[k]``; an empty slot has ID 0 (request IDs are at least 1).  An
    entry is *live* for 24 hours.  The memory holds ``REQUEST_SLOTS`` entries;
    the configuration's ``requests_per_day_max`` (at most that) bounds how
    many live entries there may be: a request beyond it is refused, never
    forgotten silently.
    """

    ids: tuple[int, ...]
    ticks: tuple[int, ...]
    outcomes: tuple[int, ...]


class PumpState(NamedTuple):
    """Everything the pump knows."""

    mode: int
    now_ticks: int
    time_of_day_ticks: int
    settings: TherapySettings
    windows: Windows
    basal: BasalState
    bolus: BolusState
    reservoir: ReservoirState
    motor: MotorState
    glucose: GlucoseState
    timers: Timers
    totals: Totals
    alarms: tuple[int, ...]
    requests: Requests
    log: EventLog


NO_TEMP = BasalState(acc=0, temp_kind=TempKind.NONE, temp_value=0, temp_remaining_ticks=0, temp_source=Source.USER)

NO_BOLUS = BolusState(
    request_id=0,
    remaining_pulses=0,
    delivered_pulses=0,
    ext_request_id=0,
    ext_remaining_pulses=0,
    ext_delivered_pulses=0,
    ext_quotient_pulses=0,
    ext_remainder_pulses=0,
    ext_duration_ticks=1,
    ext_acc=0,
)

NO_GLUCOSE = GlucoseState(
    mgdl=0,
    measured_tick=0,
    valid=False,
    edge=0,
    older_mgdl=(0,) * OLDER_READINGS,
    older_ticks=(0,) * OLDER_READINGS,
    older_valid=(False,) * OLDER_READINGS,
    older_edge=(0,) * OLDER_READINGS,
    report_tick=0,
    report_use=0,
)

EMPTY_REQUESTS = Requests(ids=(0,) * REQUEST_SLOTS, ticks=(0,) * REQUEST_SLOTS, outcomes=(0,) * REQUEST_SLOTS)

EMPTY_WINDOWS = Windows(
    hour_now_pulses=0,
    hour_past_pulses=(0,) * (HOUR_RING - 1),
    hour_total_pulses=0,
    hour_phase_ticks=0,
    day_now_pulses=0,
    day_past_pulses=(0,) * (DAY_RING - 1),
    day_total_pulses=0,
    day_phase_ticks=0,
    iob_now_pulses=0,
    iob_past_pulses=(0,) * (IOB_RING - 1),
    iob_phase_ticks=0,
)

ZERO_TOTALS = Totals(
    basal_pulses=0,
    bolus_pulses=0,
    prime_pulses=0,
    confirmed_pulses=0,
    withheld_pulses=0,
    basal_programmed_units=0,
    excess_pulses=0,
)


def initial_state(config: PumpConfig, now_ticks: int = 0, time_of_day_ticks: int = 0) -> PumpState:
    """A new pump: no reservoir, zero settings, nothing delivered.

    The pump starts in ``REWOUND`` and delivers nothing until settings are
    given and the reservoir-change sequence is completed (RES-3).  Time starts
    at ``now_ticks`` (kernel time, 0 by default) and the local time of day at
    ``time_of_day_ticks`` (minutes after local midnight, 0..1439).  The
    configuration is assumed valid (``config_problems`` is empty).  Raises
    ``ValueError`` for a negative ``now_ticks`` or a time of day outside a day
    (set-up code, not an event: events are never raised on).
    """
    if type(now_ticks) is not int or now_ticks < 0:
        raise ValueError(f"now_ticks must be a non-negative integer, not {now_ticks!r}")
    if type(time_of_day_ticks) is not int or not 0 <= time_of_day_ticks < TICKS_PER_DAY:
        raise ValueError(f"time_of_day_ticks must be 0..{TICKS_PER_DAY - 1}, not {time_of_day_ticks!r}")
    return PumpState(
        mode=Mode.REWOUND,
        now_ticks=now_ticks,
        time_of_day_ticks=time_of_day_ticks,
        settings=zero_settings(config),
        windows=EMPTY_WINDOWS,
        basal=NO_TEMP,
        bolus=NO_BOLUS,
        reservoir=ReservoirState(pulses=0, prime_used_pulses=0, set_age_ticks=0),
        motor=MotorState(
            seq=0, pending_pulses=0, pending_ticks=0, uncertain=False, undisplaced_pulses=0, high_pressure_samples=0
        ),
        glucose=NO_GLUCOSE,
        timers=Timers(
            suspended_ticks=0,
            reminder_countdown_ticks=0,
            lgs_lockout_ticks=0,
            idle_ticks=0,
            history_unknown_ticks=0,
            alarm_repeat_countdown_ticks=0,
            alarm_repeats=0,
        ),
        totals=ZERO_TOTALS,
        alarms=(AlarmStatus.CLEAR,) * N_ALARMS,
        requests=EMPTY_REQUESTS,
        log=EMPTY_LOG,
    )


def field_names(value: Any) -> tuple[str, ...]:
    """The field names of a kernel record or event (or of their class), in declaration order."""
    cls = value if isinstance(value, type) else type(value)
    if hasattr(cls, "_fields"):
        return tuple(cls._fields)
    return tuple(f.name for f in dataclasses.fields(cls))


def is_record(value: Any) -> bool:
    """A kernel record (``NamedTuple`` instance) or event (frozen dataclass instance)."""
    if isinstance(value, type):
        return False
    return (isinstance(value, tuple) and hasattr(type(value), "_fields")) or dataclasses.is_dataclass(value)


def evolve(value: T, /, **changes: Any) -> T:
    """A copy of a kernel record (``NamedTuple``) or event (frozen dataclass) with some fields changed.

    Edge and test helper (never used by the step): ``evolve(state, mode=Mode.SUSPENDED)``.
    """
    if isinstance(value, tuple) and hasattr(type(value), "_replace"):
        return value._replace(**changes)  # type: ignore[no-any-return, attr-defined]
    return dataclasses.replace(value, **changes)  # type: ignore[type-var]
