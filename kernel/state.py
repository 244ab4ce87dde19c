"""The pump state: frozen values, fixed shapes, integers and booleans only.

Theory of operation
-------------------
The whole state of the pump is one ``PumpState``, made of small frozen
records, each owned by one concern.  Every tuple has a fixed length (the rings
of ``kernel.units``), every number is an ``int`` and every flag a ``bool``, so
the same shape can hold Z3 terms for the proofs.  Timers count up or down by
one a tick; nothing is stored as an absolute deadline except the glucose
reading times, so the state's behaviour does not depend on the absolute clock.

Rolling windows (LIM-1, LIM-2) are rings of buckets with the current bucket
at index 0: the hour ring has 13 buckets of ``hour_bucket_ticks`` (12 full
buckets plus the current one, covering at least 60 minutes), the day ring 25
buckets of ``day_bucket_ticks``.  Each pulse is counted in the current bucket
of every ring when it is *commanded* (uncertain delivery counts as delivered,
LIM-5); a ring shifts by one when its phase counter wraps.  The IOB ring (49
buckets of 10 minutes) feeds the insulin-on-board estimate (LIM-4).

``PumpState.log`` is the bounded event log (LOG-1).  It is the only part of
the state a refused event changes: a refusal leaves every other field exactly
as it was (INP-1, INP-2).

Units: ``_pulses``, ``_ticks``, ``_mgdl``; ``basal.acc`` is in accumulator
units (1/6000 pulse, BAS-2).
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.alarms import N_ALARMS, AlarmStatus
from kernel.config import PumpConfig
from kernel.events import Source, TempKind
from kernel.log import EMPTY_LOG, EventLog
from kernel.modes import Mode
from kernel.settings import TherapySettings, zero_settings
from kernel.units import DAY_RING, HOUR_RING, IOB_RING, RECENT_REQUESTS


@dataclass(frozen=True)
class Windows:
    """Rolling delivery windows and the IOB history (LIM-1, LIM-2, LIM-4, LIM-5)."""

    hour_pulses: tuple[int, ...]
    hour_phase_ticks: int
    day_pulses: tuple[int, ...]
    day_phase_ticks: int
    iob_pulses: tuple[int, ...]
    iob_phase_ticks: int


@dataclass(frozen=True)
class BasalState:
    """Basal accumulator and the temp basal in force (BAS-2, TMP-1..3)."""

    acc: int
    temp_kind: int
    temp_value: int
    temp_remaining_ticks: int
    temp_source: int


@dataclass(frozen=True)
class BolusState:
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


@dataclass(frozen=True)
class ReservoirState:
    """Reservoir level, priming in this change, and infusion-set age (RES-1..4)."""

    pulses: int
    prime_used_pulses: int
    set_age_ticks: int


@dataclass(frozen=True)
class MotorState:
    """Delivery confirmation and occlusion evidence (DLV-1..3, OCC-1)."""

    seq: int
    pending_pulses: int
    pending_ticks: int
    uncertain: bool
    undisplaced_pulses: int
    high_pressure_samples: int


@dataclass(frozen=True)
class GlucoseState:
    """The latest sensor readings (SEN-1..3) used by low-glucose suspend (SUS-2..4)."""

    mgdl: int
    measured_tick: int
    valid: bool
    prev_mgdl: int
    prev_measured_tick: int
    prev_valid: bool
    below_range: bool


@dataclass(frozen=True)
class Timers:
    """Suspension, reminder, lockout and inactivity timers (SUS-1, SUS-4, ALM-2)."""

    suspended_ticks: int
    reminder_countdown_ticks: int
    lgs_lockout_ticks: int
    idle_ticks: int


@dataclass(frozen=True)
class Totals:
    """Lifetime counters for reports and the no-drift invariant (BAS-2, RES-3, DLV-3)."""

    basal_pulses: int
    bolus_pulses: int
    prime_pulses: int
    confirmed_pulses: int
    withheld_pulses: int
    basal_programmed_units: int
    excess_pulses: int


@dataclass(frozen=True)
class PumpState:
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
    recent_request_ids: tuple[int, ...]
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


def initial_state(config: PumpConfig) -> PumpState:
    """A new pump: no reservoir, zero settings, nothing delivered, time 0 at midnight.

    The pump starts in ``REWOUND`` and delivers nothing until settings are
    given and the reservoir-change sequence is completed (RES-3).  The
    configuration is assumed valid (``config_problems`` is empty).
    """
    return PumpState(
        mode=Mode.REWOUND,
        now_ticks=0,
        time_of_day_ticks=0,
        settings=zero_settings(config),
        windows=Windows(
            hour_pulses=(0,) * HOUR_RING,
            hour_phase_ticks=0,
            day_pulses=(0,) * DAY_RING,
            day_phase_ticks=0,
            iob_pulses=(0,) * IOB_RING,
            iob_phase_ticks=0,
        ),
        basal=NO_TEMP,
        bolus=NO_BOLUS,
        reservoir=ReservoirState(pulses=0, prime_used_pulses=0, set_age_ticks=0),
        motor=MotorState(
            seq=0, pending_pulses=0, pending_ticks=0, uncertain=False, undisplaced_pulses=0, high_pressure_samples=0
        ),
        glucose=GlucoseState(
            mgdl=0, measured_tick=0, valid=False, prev_mgdl=0, prev_measured_tick=0, prev_valid=False, below_range=False
        ),
        timers=Timers(suspended_ticks=0, reminder_countdown_ticks=0, lgs_lockout_ticks=0, idle_ticks=0),
        totals=Totals(
            basal_pulses=0,
            bolus_pulses=0,
            prime_pulses=0,
            confirmed_pulses=0,
            withheld_pulses=0,
            basal_programmed_units=0,
            excess_pulses=0,
        ),
        alarms=(AlarmStatus.CLEAR,) * N_ALARMS,
        recent_request_ids=(0,) * RECENT_REQUESTS,
        log=EMPTY_LOG,
    )
