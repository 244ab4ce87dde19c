"""Rolling 60-minute and 24-hour dose windows, and the IOB history ring.

Theory of operation
-------------------
A window is a ring of buckets with the current bucket at index 0.  Each tick
the phase counter of a ring advances; when it reaches the bucket length the
ring shifts (a fresh empty bucket enters at index 0, the oldest leaves) and
the phase restarts.  Shifting instead of indexing keeps every bucket at a
fixed position, which is what lets CrossHair and Z3 reason about the ring
quickly.

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
from kernel.logic import Logic, total
from kernel.settings import TherapySettings
from kernel.state import Windows
from kernel.units import IOB_BUCKET_TICKS


def shift(ring: tuple[int, ...], phase: int, bucket_ticks: int, logic: Logic) -> tuple[tuple[int, ...], int]:
    """One tick of one ring: advance the phase, shift when it wraps."""
    wraps = phase + 1 >= bucket_ticks
    shifted = (0, *ring[:-1])
    return logic.pick(wraps, shifted, ring), logic.ite(wraps, 0, phase + 1)


def advance(c: PumpConfig, w: Windows, logic: Logic) -> Windows:
    """Every ring one tick later (LIM-1, LIM-2, LIM-4)."""
    hour, hour_phase = shift(w.hour_pulses, w.hour_phase_ticks, c.hour_bucket_ticks, logic)
    day, day_phase = shift(w.day_pulses, w.day_phase_ticks, c.day_bucket_ticks, logic)
    iob, iob_phase = shift(w.iob_pulses, w.iob_phase_ticks, IOB_BUCKET_TICKS, logic)
    return Windows(hour, hour_phase, day, day_phase, iob, iob_phase)


def hour_room(st: TherapySettings, w: Windows) -> int:
    """Pulses that may still be commanded in the hour window (LIM-1)."""
    return st.max_hourly_pulses - total(w.hour_pulses)


def day_room(st: TherapySettings, w: Windows) -> int:
    """Pulses that may still be commanded in the day window (LIM-2)."""
    return st.max_daily_pulses - total(w.day_pulses)


def record_excess(st: TherapySettings, w: Windows, excess_pulses: int, logic: Logic) -> Windows:
    """``w`` with over-delivered pulses counted (DLV-3, LIM-4, LIM-5; see module docstring).

    IOB takes all of ``excess_pulses``; the hour and day rings take it up to
    their room, so a full window stays exactly full.
    """
    to_hour = logic.min(excess_pulses, logic.max(hour_room(st, w), 0))
    to_day = logic.min(excess_pulses, logic.max(day_room(st, w), 0))
    return Windows(
        hour_pulses=(w.hour_pulses[0] + to_hour, *w.hour_pulses[1:]),
        hour_phase_ticks=w.hour_phase_ticks,
        day_pulses=(w.day_pulses[0] + to_day, *w.day_pulses[1:]),
        day_phase_ticks=w.day_phase_ticks,
        iob_pulses=(w.iob_pulses[0] + excess_pulses, *w.iob_pulses[1:]),
        iob_phase_ticks=w.iob_phase_ticks,
    )


def record(w: Windows, pulses: int) -> Windows:
    """``w`` with ``pulses`` of therapy counted in the current bucket of every ring."""
    return Windows(
        hour_pulses=(w.hour_pulses[0] + pulses, *w.hour_pulses[1:]),
        hour_phase_ticks=w.hour_phase_ticks,
        day_pulses=(w.day_pulses[0] + pulses, *w.day_pulses[1:]),
        day_phase_ticks=w.day_phase_ticks,
        iob_pulses=(w.iob_pulses[0] + pulses, *w.iob_pulses[1:]),
        iob_phase_ticks=w.iob_phase_ticks,
    )
