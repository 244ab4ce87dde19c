"""Reference specifications: what is correct, stated in simple terms, without the kernel's helpers.

Theory of operation
-------------------
A proof that checks kernel code against a specification written with the
same kernel code cannot see that code's bugs.  The functions here state what
the requirements mean in their own, deliberately plain terms; they read the
kernel's data types (configuration, settings, state records, events) and use
the logic primitives of ``kernel.logic`` (the trusted base: they run on Python
values and on Z3 terms alike), but call no kernel function that decides
anything.  Where the kernel uses a clever representation, a proof obligation
shows that it refines the plain one:

* the basal schedule is looked up here by comparing the time of day with
  every half-hour slot's bounds (the kernel divides by 30 and indexes);
* the programmed rate follows TMP-1 and BAS-4 directly;
* the insulin-action curve is computed here from the published exponential
  model (LoopKit ``ExponentialInsulinModel``, oref0 ``iob/calculate.js``,
  after Dragan Maksimovic), and insulin on board is summed from it; the
  kernel reads a generated integer table;
* freshness of a reading (SEN-1, SEN-4) and who counts as a person at the
  pump (ALM-2, ALM-4) are restated from the catalogue's words;
* the rolling windows' spans (LIM-1, LIM-2) are worked out from the bucket
  length and phase, for the proofs that what is commanded in any 60 or 1440
  consecutive minutes stays within the limit.

Units: ``_pph``, ``_cpph`` (hundredths of a pulse per hour), ``_pulses``,
``_ticks``, ``_mgdl``, per-mille.
"""

from __future__ import annotations

import math
from typing import Any

from kernel.config import PumpConfig
from kernel.events import (
    AlarmAck,
    BolusRequest,
    CancelBolus,
    CancelTempBasal,
    ClearLine,
    FillCannula,
    FillReservoir,
    GlucoseReading,
    MotorReport,
    PrimeTubing,
    Resume,
    Rewind,
    SettingsChange,
    Source,
    Suspend,
    TempBasal,
    TempKind,
    Tick,
    TimeOffsetChange,
    UserPresent,
)
from kernel.logic import Logic
from kernel.settings import TherapySettings
from kernel.state import BasalState, GlucoseState

SLOT_MINUTES = 30
"""A basal profile slot is half an hour (BAS-1)."""
DAY_MINUTES = 1440
PERCENT_BITS = 9
"""Percentages are below 512 (TMP-1 allows up to 250 %)."""


# --- basal (BAS-1..4, TMP-1) ----------------------------------------------------------------------------------


def scheduled_rate_pph(st: TherapySettings, time_of_day_ticks: Any, L: Logic) -> Any:
    """The profile rate in force at a time of day (0..1439): the slot whose half hour contains it (BAS-1, BAS-3)."""
    rate: Any = 0
    for slot, slot_rate in enumerate(st.basal_slots_pph):
        start = slot * SLOT_MINUTES
        inside = L.both(time_of_day_ticks >= start, time_of_day_ticks < start + SLOT_MINUTES)
        rate = L.ite(inside, slot_rate, rate)
    return rate


def temp_in_force(b: BasalState, L: Logic) -> Any:
    """A temp basal is in force while it has a kind and time left (TMP-1, TMP-2)."""
    return L.both(b.temp_kind != TempKind.NONE, b.temp_remaining_ticks > 0)


def programmed_rate_cpph(st: TherapySettings, b: BasalState, time_of_day_ticks: Any, L: Logic) -> Any:
    """The rate the pump is programmed to deliver now, hundredths of a pulse per hour (TMP-1, BAS-4).

    A temp basal in force replaces the schedule: an absolute temp with its rate
    in pulses per hour, a percent temp with that percentage of the scheduled
    rate (pph x percent = cpph); either way never above max basal.
    """
    scheduled = scheduled_rate_pph(st, time_of_day_ticks, L)
    percent = b.temp_kind == TempKind.PERCENT
    percent_cpph = L.mul_small(scheduled, L.ite(percent, b.temp_value, 0), PERCENT_BITS)
    temp_cpph = L.ite(percent, percent_cpph, b.temp_value * 100)
    wanted = L.ite(temp_in_force(b, L), temp_cpph, scheduled * 100)
    return L.min(wanted, st.max_basal_pph * 100)


# --- sensing (SEN-1, SEN-2, SEN-4) -----------------------------------------------------------------------------


def reading_fresh(c: PumpConfig, g: GlucoseState, now_ticks: Any, L: Logic) -> Any:
    """There is a valid reading and it is at most ``glucose_max_age_ticks`` old (SEN-1, SEN-4)."""
    return L.both(g.valid, now_ticks - g.measured_tick <= c.glucose_max_age_ticks)


# --- presence (ALM-2, ALM-4) -----------------------------------------------------------------------------------

BUTTON_EVENTS: tuple[type, ...] = (
    Resume,
    SettingsChange,
    TimeOffsetChange,
    Rewind,
    FillReservoir,
    ClearLine,
    PrimeTubing,
    FillCannula,
    AlarmAck,
    UserPresent,
)
"""Events that only the pump's own buttons can make: a person is at the pump."""

MACHINE_EVENTS: tuple[type, ...] = (Tick, MotorReport, GlucoseReading)
"""The pump's clock, its motor and its sensor: never a person."""

SENT_EVENTS: tuple[type, ...] = (BolusRequest, CancelBolus, TempBasal, CancelTempBasal, Suspend)
"""Events that may be sent by the user, the paired remote or an automated controller."""


def person_at_the_pump(c: PumpConfig, e: Any, L: Logic) -> Any:
    """ALM-4: only events that show a person at the pump count; a controller never does; the remote only when
    the configuration declares it a person-held device."""
    if type(e) in BUTTON_EVENTS:
        return True
    if type(e) in MACHINE_EVENTS:
        return False
    return L.either(e.source == Source.USER, L.both(e.source == Source.REMOTE, c.remote_is_person_held))


# --- insulin on board (LIM-4) ----------------------------------------------------------------------------------


def remaining_fraction(minutes_after_dose: float, dia_minutes: float) -> float:
    """Fraction of a dose still on board (exponential insulin model, peak at min(75 min, 0.3 x DIA)).

    The model of LoopKit's ``ExponentialInsulinModel`` and oref0's exponential
    curve (Dragan Maksimovic): activity is ``t/tau^2 (1 - t/DIA) e^(-t/tau)``
    scaled to integrate to 1 over DIA; the insulin still on board is one minus
    its integral.  Evaluated in floating point here, at the edge, to build the
    reference table; the kernel holds only integers (U-1).
    """
    t = float(minutes_after_dose)
    if t <= 0:
        return 1.0
    if t >= dia_minutes:
        return 0.0
    peak = min(75.0, 0.3 * dia_minutes)
    tau = peak * (1 - peak / dia_minutes) / (1 - 2 * peak / dia_minutes)
    a = 2 * tau / dia_minutes
    s = 1 / (1 - a + (1 + a) * math.exp(-dia_minutes / tau))
    return 1 - s * (1 - a) * ((t * t / (tau * dia_minutes * (1 - a)) - t / tau - 1) * math.exp(-t / tau) + 1)


IOB_BUCKET_MINUTES = 10
IOB_BUCKETS = 49


def youngest_age_minutes(bucket: int) -> int:
    """The youngest dose age a 10-minute IOB bucket can hold, whatever the ring's phase."""
    return 0 if bucket == 0 else (bucket - 1) * IOB_BUCKET_MINUTES + 1


def ages_in_bucket(bucket: int) -> range:
    """Every dose age (whole minutes) a bucket can hold over all phases 0..9."""
    if bucket == 0:
        return range(0, IOB_BUCKET_MINUTES)
    return range((bucket - 1) * IOB_BUCKET_MINUTES + 1, (bucket + 1) * IOB_BUCKET_MINUTES)


def reference_permille(dia_index: int) -> tuple[int, ...]:
    """Per-mille still on board for each bucket, at the bucket's youngest age, rounded up (never understated)."""
    dia = 120 + 30 * dia_index
    return tuple(
        min(1000, math.ceil(remaining_fraction(youngest_age_minutes(k), dia) * 1000 - 1e-9)) for k in range(IOB_BUCKETS)
    )


REFERENCE_PERMILLE: tuple[tuple[int, ...], ...] = tuple(reference_permille(i) for i in range(13))
"""The reference insulin-action table, DIA 2 h to 8 h in 30-minute steps (LIM-4)."""


def insulin_on_board_pulses(iob_ring: tuple[Any, ...], dia_index: Any, L: Logic) -> Any:
    """Insulin on board of a ring of commanded pulses (current bucket first), whole pulses rounded up (LIM-4)."""
    result: Any = 0
    for index, row in enumerate(REFERENCE_PERMILLE):
        weighted: Any = 0
        for pulses, permille in zip(iob_ring, row, strict=True):
            if permille:
                weighted = weighted + pulses * permille
        result = L.ite(dia_index == index, L.div_const(weighted + 999, 1000), result)
    return result


# --- rolling windows (LIM-1, LIM-2) ----------------------------------------------------------------------------


def bucket_last_tick(now_ticks: Any, phase_ticks: Any, bucket_ticks: Any, position: int) -> Any:
    """The last tick a ring's bucket covers: the current bucket (position 0) ends now; past bucket ``j`` ends
    ``phase + (j - 1) x length + 1`` ticks before now."""
    if position == 0:
        return now_ticks
    return now_ticks - phase_ticks - (position - 1) * bucket_ticks - 1


def counted_since(ring: tuple[Any, ...], now_ticks: Any, phase: Any, length: Any, since_tick: Any, L: Logic) -> Any:
    """Pulses in the ring's buckets that cover some tick at or after ``since_tick``."""
    counted: Any = 0
    for position, pulses in enumerate(ring):
        counted = counted + L.ite(bucket_last_tick(now_ticks, phase, length, position) >= since_tick, pulses, 0)
    return counted
