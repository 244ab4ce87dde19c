"""Basal delivery: the 24-hour profile, temp basals, and the exact accumulator.

Theory of operation
-------------------
The scheduled rate is the profile slot of the local time of day
(``time_of_day // 30``), so segment boundaries and midnight are exact (BAS-3).
A temp basal replaces it while it runs: an absolute temp gives its rate in
pulses per hour; a percent temp scales the *current* slot's rate, so it follows
the schedule across segment boundaries.  Either way the effective rate is
clamped to max basal in the absolute domain, every tick (BAS-4, TMP-1).

The effective rate is kept in hundredths of a pulse per hour (``_cpph``): the
product ``slot rate x percent`` is then exact and nothing is rounded.  Each
delivering tick adds it to the accumulator; every ``ACC_UNITS_PER_PULSE``
accumulated units become one pulse and the remainder stays for the next tick.
The accumulator is never reset, so over any interval delivered basal differs
from the integral of the programmed rate by less than one pulse (BAS-2, U-2):
the invariant ``6000 x (delivered + withheld) + acc == programmed`` holds
forever.  Ticks without delivery (suspended, missed) do not advance the
accumulator, so nothing missed is caught up later (CLK-1, OCC-3).

Units: ``_pph`` pulses per hour, ``_cpph`` hundredths of a pulse per hour,
accumulator units (1/6000 pulse).  Requirements served: BAS-1, BAS-2, BAS-3,
BAS-4, TMP-1, TMP-2.
"""

from __future__ import annotations

from kernel.events import TempKind
from kernel.logic import Logic
from kernel.settings import TherapySettings
from kernel.state import BasalState
from kernel.units import ACC_UNITS_PER_PULSE, CPPH_PER_PPH, PERCENT_BITS, SLOT_TICKS

# Enum members the step reads on every event, as module constants (kernel.logic, "Enum members").
_NONE = TempKind.NONE


def scheduled_pph(st: TherapySettings, time_of_day_ticks: int, logic: Logic) -> int:
    """The profile rate in force at ``time_of_day_ticks`` (BAS-1, BAS-3)."""
    slot = logic.div_const(time_of_day_ticks, SLOT_TICKS)
    return logic.at(st.basal_slots_pph, slot)


def effective_cpph(st: TherapySettings, b: BasalState, time_of_day_ticks: int, logic: Logic) -> int:
    """The basal rate in force now, in hundredths of a pulse per hour (BAS-4, TMP-1).

    Temp basal if one runs (absolute, or percent of the current slot),
    otherwise the schedule; always at most max basal.
    """
    scheduled = scheduled_pph(st, time_of_day_ticks, logic)
    wanted = scheduled * CPPH_PER_PPH
    running = logic.both(b.temp_remaining_ticks > 0, b.temp_kind != _NONE)
    if running is not False:
        percent = b.temp_kind == TempKind.PERCENT
        # The factor is the percentage only for a percent temp, so it stays below 2**PERCENT_BITS (INV-TEMP).
        percent_cpph = logic.mul_small(scheduled, logic.ite(percent, b.temp_value, 0), PERCENT_BITS)
        temp_cpph = logic.ite(percent, percent_cpph, b.temp_value * CPPH_PER_PPH)
        wanted = logic.ite(running, temp_cpph, wanted)
    return logic.min(wanted, st.max_basal_pph * CPPH_PER_PPH)


def accumulate(acc: int, rate_cpph: int, logic: Logic) -> tuple[int, int]:
    """One tick of the accumulator: ``(pulses due, new accumulator)`` (BAS-2)."""
    units = acc + rate_cpph
    due = logic.div_const(units, ACC_UNITS_PER_PULSE)
    return due, units - due * ACC_UNITS_PER_PULSE
