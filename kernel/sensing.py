"""What the kernel concludes from sensor glucose: freshness, lows, predicted lows.

Theory of operation
-------------------
The glucose record in the state holds the latest reading and the one before.
A reading is *fresh* while it was valid when it arrived (SEN-1) and is not
older than ``glucose_max_age_ticks`` now; freshness lapses by itself as ticks
pass, so stale data is never used (SEN-2).  Two valid readings at most 15
ticks apart give a trend; the prediction is linear over the fixed 30-minute
horizon of SUS-3 and is evaluated without division:

    g + (g - g_prev) * 30 / dt <= threshold + margin
    <=>  (g - threshold - margin) * dt + (g - g_prev) * 30 <= 0      (dt > 0)

where ``x * dt`` goes through ``logic.mul_small`` (dt < 16), so the arithmetic
stays linear.

A reading below the sensor's valid range with status OK ("LOW") is not valid
data (SEN-1) but it is evidence of a low: it suspends, or keeps suspended, and
never counts as the sensor being lost.  This is SEN-4 in ``specs``: the
fail-safe reading of SEN-1 and SEN-2 together.

Units: ``_mgdl``, ``_ticks``.  Requirements served: SEN-1, SEN-2, SEN-3,
SUS-2, SUS-3, SUS-4.
"""

from __future__ import annotations

from kernel.commands import LgsEnd
from kernel.config import PumpConfig
from kernel.logic import Logic
from kernel.state import PumpState
from kernel.units import GLUCOSE_PAIR_BITS, GLUCOSE_PAIR_MAX_TICKS, PREDICTION_HORIZON_TICKS


def reading_fresh(c: PumpConfig, s: PumpState, logic: Logic) -> bool:
    """The latest reading is valid and young enough to act on (SEN-1, SEN-2)."""
    g = s.glucose
    return logic.all(g.valid, s.now_ticks - g.measured_tick <= c.glucose_max_age_ticks)


def below_range_fresh(c: PumpConfig, s: PumpState, logic: Logic) -> bool:
    """The latest reading was a recent "LOW" below the sensor range (SEN-4)."""
    g = s.glucose
    return logic.all(g.below_range, s.now_ticks - g.measured_tick <= c.glucose_max_age_ticks)


def trend_ticks(s: PumpState, logic: Logic) -> tuple[bool, int]:
    """Whether the last two readings form a trend, and their distance in ticks."""
    g = s.glucose
    dt = g.measured_tick - g.prev_measured_tick
    paired = logic.all(g.valid, g.prev_valid, dt >= 1, dt <= GLUCOSE_PAIR_MAX_TICKS)
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
    low_now = logic.all(reading_fresh(c, s, logic), s.glucose.mgdl <= st.lgs_threshold_mgdl)
    return logic.all(
        st.lgs_enabled,
        s.timers.lgs_lockout_ticks == 0,
        logic.any(low_now, predicted_low(c, s, logic), below_range_fresh(c, s, logic)),
    )


def lgs_end(c: PumpConfig, s: PumpState, logic: Logic) -> tuple[bool, int]:
    """Whether an automatic suspension ends now, and why (SUS-4, SEN-2).

    It ends after ``lgs_max_ticks`` at most; earlier once glucose is above the
    threshold, rising and not predicted low; and when the sensor stops giving
    usable data (delivery falls back to the programmed basal, SEN-2) or the
    user switches the feature off.
    """
    st = s.settings
    g = s.glucose
    fresh = reading_fresh(c, s, logic)
    paired, _ = trend_ticks(s, logic)
    recovered = logic.all(
        fresh,
        g.mgdl > st.lgs_threshold_mgdl,
        paired,
        g.mgdl > g.prev_mgdl,
        logic.not_(predicted_low(c, s, logic)),
    )
    timed_out = s.timers.suspended_ticks >= c.lgs_max_ticks
    lost = logic.all(logic.not_(fresh), logic.not_(below_range_fresh(c, s, logic)))
    switched_off = logic.not_(st.lgs_enabled)
    ends = logic.any(timed_out, recovered, lost, switched_off)
    cause = logic.ite(timed_out, LgsEnd.MAX_DURATION, logic.ite(lost, LgsEnd.SENSOR_LOST, LgsEnd.RECOVERED))
    return ends, cause
