"""Rolling 60-minute and 24-hour dose windows, and the IOB history ring.

Theory of operation
-------------------
A window is a ring of buckets: the current bucket, in which pulses are
counted, and the past buckets, newest first.  Each tick the phase counter of
a ring advances; when it reaches the bucket length the ring shifts (the
current bucket moves into the past, a fresh empty one starts, the oldest
leaves) and the phase restarts.  Shifting instead of indexing keeps every
bucket at a fixed position, which is what lets CrossHair and Z3 reason about
the ring quickly; keeping the current bucket apart makes counting a pulse an
addition, not a copy of the ring.  The hour and day rings keep their total,
updated as pulses are counted and as buckets leave.

The hour ring holds 12 full buckets plus the current one.  With buckets of
``L`` ticks and a phase ``p`` (0 <= p < L), it covers the last ``12 L + p + 1``
ticks, which is at least 60 minutes when ``12 L >= 60``: every 60-minute
window that ends now lies inside it.  So if every pulse is commanded only when
the ring's total stays within the hourly limit, every rolling 60-minute window
does too (LIM-1); the same holds for the 25-bucket day ring and 24 hours
(LIM-2).  The check is conservative by at most one bucket (61 to 65 minutes
with 5-minute buckets), never short.

Pulses are counted when commanded, whether or not the motor confirms them
later (LIM-5: uncertain delivery counts as delivered).  Priming never enters
the rings (RES-3).  Pulses the motor displaced beyond the command (a motor
fault, DLV-3) are counted too, when the report shows them
(``record_excess``): in full in the IOB ring, and in the hour and day rings up
to what is left of the limit (the fault has already stopped delivery, and a
full window blocks therapy just the same; the whole excess stays in
``totals.excess_pulses``).

Units: ``_pulses`` and ``_ticks``.  Requirements served: LIM-1, LIM-2, LIM-3,
LIM-4, LIM-5, RES-3.
"""

from __future__ import annotations

from kernel.config import PumpConfig
from kernel.logic import Logic
from kernel.settings import TherapySettings
from kernel.state import Windows
from kernel.units import IOB_BUCKET_TICKS

# Records are built as _new(Cls, (values...)): the same tuple as Cls(values...) at a third of the cost
# (kernel.state, "Building records"; tests/test_record_construction.py checks every call).
_new = tuple.__new__


def advance(c: PumpConfig, w: Windows, logic: Logic) -> Windows:
    """Every ring one tick later (LIM-1, LIM-2, LIM-4): the phase advances; a ring shifts when it wraps.

    Shifting moves the current bucket into the past, starts an empty current
    bucket, and drops the oldest bucket (and its pulses from the total).
    """
    hour_wraps = w.hour_phase_ticks + 1 >= c.hour_bucket_ticks
    day_wraps = w.day_phase_ticks + 1 >= c.day_bucket_ticks
    iob_wraps = w.iob_phase_ticks + 1 >= IOB_BUCKET_TICKS
    if logic.any(hour_wraps, day_wraps, iob_wraps) is False:
        return _new(
            Windows,
            (
                w.hour_now_pulses,
                w.hour_past_pulses,
                w.hour_total_pulses,
                w.hour_phase_ticks + 1,
                w.day_now_pulses,
                w.day_past_pulses,
                w.day_total_pulses,
                w.day_phase_ticks + 1,
                w.iob_now_pulses,
                w.iob_past_pulses,
                w.iob_phase_ticks + 1,
            ),
        )
    hour = _shift(w.hour_now_pulses, w.hour_past_pulses, w.hour_total_pulses, w.hour_phase_ticks, hour_wraps, logic)
    day = _shift(w.day_now_pulses, w.day_past_pulses, w.day_total_pulses, w.day_phase_ticks, day_wraps, logic)
    iob = _shift(w.iob_now_pulses, w.iob_past_pulses, 0, w.iob_phase_ticks, iob_wraps, logic)
    return _new(Windows, (hour[0], hour[1], hour[2], hour[3], day[0], day[1], day[2], day[3], iob[0], iob[1], iob[3]))


def _shift(
    now: int, past: tuple[int, ...], total_pulses: int, phase: int, wraps: bool, logic: Logic
) -> tuple[int, tuple[int, ...], int, int]:
    """One ring one tick later: ``(now, past, total, phase)``."""
    if wraps is False:
        return now, past, total_pulses, phase + 1
    return (
        logic.ite(wraps, 0, now),
        logic.pick(wraps, (now,) + past[:-1], past),
        logic.ite(wraps, total_pulses - past[-1], total_pulses),
        logic.ite(wraps, 0, phase + 1),
    )


def hour_room(st: TherapySettings, w: Windows) -> int:
    """Pulses that may still be commanded in the hour window (LIM-1)."""
    return st.max_hourly_pulses - w.hour_total_pulses


def day_room(st: TherapySettings, w: Windows) -> int:
    """Pulses that may still be commanded in the day window (LIM-2)."""
    return st.max_daily_pulses - w.day_total_pulses


def record_excess(st: TherapySettings, w: Windows, excess_pulses: int, logic: Logic) -> Windows:
    """``w`` with over-delivered pulses counted (DLV-3, LIM-4, LIM-5; see module docstring).

    IOB takes all of ``excess_pulses``; the hour and day rings take it up to
    their room, so a full window stays exactly full.
    """
    some = excess_pulses > 0
    if some is False:
        return w
    to_hour = logic.min(excess_pulses, logic.max(hour_room(st, w), 0))
    to_day = logic.min(excess_pulses, logic.max(day_room(st, w), 0))
    counted = _new(
        Windows,
        (
            w.hour_now_pulses + to_hour,
            w.hour_past_pulses,
            w.hour_total_pulses + to_hour,
            w.hour_phase_ticks,
            w.day_now_pulses + to_day,
            w.day_past_pulses,
            w.day_total_pulses + to_day,
            w.day_phase_ticks,
            w.iob_now_pulses + excess_pulses,
            w.iob_past_pulses,
            w.iob_phase_ticks,
        ),
    )
    return logic.pick(some, counted, w)


def record(w: Windows, pulses: int) -> Windows:
    """``w`` with ``pulses`` of therapy counted in the current bucket of every ring."""
    return _new(
        Windows,
        (
            w.hour_now_pulses + pulses,
            w.hour_past_pulses,
            w.hour_total_pulses + pulses,
            w.hour_phase_ticks,
            w.day_now_pulses + pulses,
            w.day_past_pulses,
            w.day_total_pulses + pulses,
            w.day_phase_ticks,
            w.iob_now_pulses + pulses,
            w.iob_past_pulses,
            w.iob_phase_ticks,
        ),
    )
