"""What the kernel concludes from sensor glucose: freshness, lows, predicted lows.

Theory of operation
-------------------
Conclusions are drawn from the last *valid* reading only (``kernel.glucose``
keeps it apart from the latest report, SEN-4).  A reading is *fresh* while it
is not older than ``glucose_max_age_ticks``; freshness lapses by itself as
ticks pass, so stale data is never used (SEN-1, SEN-2).  The sensor's own LOW
indication is a valid reading below every threshold; HIGH one above it.

Two valid in-range readings at most 15 ticks apart give a trend; the
prediction is linear over the fixed 30-minute horizon of SUS-3 and is
evaluated without division:

    g + (g - g_prev) * 30 / dt <= threshold + margin
    <=>  (g - threshold - margin) * dt + (g - g_prev) * 30 <= 0      (dt > 0)

where ``x * dt`` goes through ``logic.mul_small`` (dt < 16), so the arithmetic
stays linear.

An automatic suspension ends (``lgs_end``) only by the rules (SUS-4, SEN-4):
after ``lgs_max_ticks``; earlier when a fresh valid reading is above the
threshold and rising and not predicted low (or HIGH); or when the user
switches the feature off.  An invalid report never ends it, and neither does
the sensor falling silent: without fresh valid data nothing can show that
glucose has recovered, so the suspension runs to its maximum length while the
user is told the sensor is unavailable.  This is how Medtronic's suspend
before low / on low behaves (at most 2 hours, then basal resumes; earlier only
when sensor glucose is above the limit and rising); Omnipod 5 instead limits
a pause without sensor values to 1 hour (docs/proofs.md, SEN-4).

Units: ``_mgdl``, ``_ticks``.  Requirements served: SEN-1, SEN-2, SEN-4,
SUS-2, SUS-3, SUS-4.
"""

from __future__ import annotations

from kernel.commands import LgsEnd
from kernel.config import PumpConfig
from kernel.logic import Logic
from kernel.state import PumpState
from kernel.units import GLUCOSE_PAIR_BITS, GLUCOSE_PAIR_MAX_TICKS, PREDICTION_HORIZON_TICKS


def reading_fresh(c: PumpConfig, s: PumpState, logic: Logic) -> bool:
    """The last valid reading is young enough to act on (SEN-1, SEN-2, SEN-4)."""
    g = s.glucose
    return logic.both(g.valid, s.now_ticks - g.measured_tick <= c.glucose_max_age_ticks)


def trend_ticks(s: PumpState, logic: Logic) -> tuple[bool, int]:
    """Whether the last two valid readings form a trend (both in range), and their distance in ticks."""
    g = s.glucose
    dt = g.measured_tick - g.prev_measured_tick
    paired = logic.all(g.valid, g.prev_valid, g.edge == 0, g.prev_edge == 0, dt >= 1, dt <= GLUCOSE_PAIR_MAX_TICKS)
    return paired, logic.ite(paired, dt, 0)


def predicted_low(c: PumpConfig, s: PumpState, logic: Logic) -> bool:
    """Glucose is heading for threshold + margin within 30 minutes (SUS-3)."""
    g = s.glucose
    st = s.settings
    paired, dt = trend_ticks(s, logic)
    above = g.mgdl - st.lgs_threshold_mgdl - c.lgs_predict_margin_mgdl
    crossing = logic.mul_small(above, dt, GLUCOSE_PAIR_BITS) + (g.mgdl - g.prev_mgdl) * PREDICTION_HORIZON_TICKS <= 0
    return logic.all(st.predictive_suspend_enabled, reading_fresh(c, s, logic), paired, crossing)


def glucose_low(c: PumpConfig, s: PumpState, logic: Logic) -> bool:
    """Low-glucose suspend should start now (SUS-2, SUS-3, SUS-4 lockout)."""
    st = s.settings
    if logic.all(st.lgs_enabled, s.timers.lgs_lockout_ticks == 0, s.glucose.valid) is False:
        return False
    low_now = logic.both(reading_fresh(c, s, logic), s.glucose.mgdl <= st.lgs_threshold_mgdl)
    return logic.all(
        st.lgs_enabled,
        s.timers.lgs_lockout_ticks == 0,
        logic.either(low_now, predicted_low(c, s, logic)),
    )


def lgs_end(c: PumpConfig, s: PumpState, logic: Logic) -> tuple[bool, int]:
    """Whether an automatic suspension ends now, and why (SUS-4, SEN-4; see module docstring)."""
    st = s.settings
    g = s.glucose
    fresh = reading_fresh(c, s, logic)
    paired, _ = trend_ticks(s, logic)
    rising = logic.all(paired, g.mgdl > g.prev_mgdl, logic.not_(predicted_low(c, s, logic)))
    recovered = logic.all(fresh, g.mgdl > st.lgs_threshold_mgdl, logic.either(g.edge == 1, rising))
    timed_out = s.timers.suspended_ticks >= c.lgs_max_ticks
    switched_off = logic.not_(st.lgs_enabled)
    ends = logic.any(timed_out, recovered, switched_off)
    cause = logic.ite(timed_out, LgsEnd.MAX_DURATION, logic.ite(switched_off, LgsEnd.SWITCHED_OFF, LgsEnd.RECOVERED))
    return ends, cause
