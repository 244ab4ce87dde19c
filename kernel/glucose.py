"""Sensor glucose readings: validation and bookkeeping (SEN-1..3, SEN-4).

Theory of operation
-------------------
A well-formed ``GlucoseReading`` is always accepted as an event: a bad
reading is information (the sensor is not usable now), not bad input.  What
the kernel does with it depends on its classification, first failure wins:

1. the sensor's own status is OK;
2. the value is within ``glucose_min_mgdl .. glucose_max_mgdl``;
3. it is not older than ``glucose_max_age_ticks``;
4. it is not more than ``glucose_max_future_ticks`` in the future;
5. it is newer than the latest reading (a backfilled or duplicated reading
   changes nothing);
6. compared with the previous reading less than 16 ticks earlier, it did not
   move faster than ``glucose_max_change_mgdl_per_tick`` (SEN-3).

A reading that passes becomes the latest (the old latest becomes the
previous one, which gives the trend for predictive suspend).  A reading that
fails 1-4 or 6 makes the latest reading invalid, so every sensor-driven
feature stops at once (SEN-2); a "LOW" (status OK, value below the range)
is kept as evidence of a low (SEN-4, see ``kernel.sensing``).  Every unused
reading gives a ``GLUCOSE_NOT_USED`` notice with the reason.

Units: ``_mgdl``, ``_ticks``.
"""

from __future__ import annotations

from dataclasses import replace

from kernel.commands import NO_EFFECTS, GlucoseUse, NoticeKind, notice
from kernel.config import PumpConfig
from kernel.events import GlucoseReading, GlucoseStatus
from kernel.handling import Handled
from kernel.logic import Logic, first_refusal
from kernel.state import GlucoseState, PumpState
from kernel.units import GLUCOSE_PAIR_BITS, GLUCOSE_PAIR_MAX_TICKS


def classify(c: PumpConfig, s: PumpState, e: GlucoseReading, logic: Logic) -> int:
    """The ``GlucoseUse`` of a reading: ``USED`` or why not (SEN-1, SEN-3)."""
    g = s.glucose
    dt = e.measured_tick - g.measured_tick
    paired = logic.all(g.valid, dt >= 1, dt <= GLUCOSE_PAIR_MAX_TICKS)
    allowed = logic.mul_small(c.glucose_max_change_mgdl_per_tick, logic.ite(paired, dt, 0), GLUCOSE_PAIR_BITS)
    change = e.mgdl - g.mgdl
    plausible = logic.any(logic.not_(paired), logic.all(change <= allowed, -change <= allowed))
    return first_refusal(
        logic,
        (
            (e.status == GlucoseStatus.OK, GlucoseUse.SENSOR_STATUS),
            (logic.all(e.mgdl >= c.glucose_min_mgdl, e.mgdl <= c.glucose_max_mgdl), GlucoseUse.OUT_OF_RANGE),
            (s.now_ticks - e.measured_tick <= c.glucose_max_age_ticks, GlucoseUse.TOO_OLD),
            (e.measured_tick - s.now_ticks <= c.glucose_max_future_ticks, GlucoseUse.FROM_FUTURE),
            (logic.any(logic.not_(g.valid), e.measured_tick > g.measured_tick), GlucoseUse.NOT_NEWER),
            (plausible, GlucoseUse.IMPLAUSIBLE_JUMP),
        ),
    )


def on_glucose(c: PumpConfig, s: PumpState, e: GlucoseReading, logic: Logic) -> Handled:
    """Record a reading, or record that the sensor is not usable (see module docstring)."""
    g = s.glucose
    use = classify(c, s, e, logic)
    used = use == GlucoseUse.USED
    ignored = use == GlucoseUse.NOT_NEWER
    below = logic.all(
        e.status == GlucoseStatus.OK,
        e.mgdl < c.glucose_min_mgdl,
        s.now_ticks - e.measured_tick <= c.glucose_max_age_ticks,
        e.measured_tick - s.now_ticks <= c.glucose_max_future_ticks,
    )
    taken = GlucoseState(
        mgdl=e.mgdl,
        measured_tick=e.measured_tick,
        valid=True,
        prev_mgdl=g.mgdl,
        prev_measured_tick=g.measured_tick,
        prev_valid=g.valid,
        below_range=False,
    )
    rejected = replace(
        g,
        valid=False,
        below_range=below,
        mgdl=logic.ite(below, e.mgdl, g.mgdl),
        measured_tick=logic.ite(below, e.measured_tick, g.measured_tick),
    )
    glucose = logic.pick(used, taken, logic.pick(ignored, g, rejected))
    fx = notice(NO_EFFECTS, NoticeKind.GLUCOSE_NOT_USED, logic.not_(used), use, e.mgdl, 0, logic)
    return Handled((), False, replace(s, glucose=glucose), fx)
