"""What the kernel concludes from sensor glucose: freshness, lows, predicted lows.

Theory of operation
-------------------
Conclusions are drawn from the last *valid* reading only (``kernel.glucose``
keeps it apart from the latest report, SEN-4).  A reading is *fresh* while it
is not older than ``glucose_max_age_ticks``; freshness lapses by itself as
ticks pass, so stale data is never used (SEN-1, SEN-2).  The sensor's own LOW
indication is a valid reading below every threshold; HIGH one above it.

The trend (SUS-3) is fitted over the last four valid readings, newest
``g0`` first, not drawn through two: a straight line through two noisy
readings swings by several times the sensor's noise when extrapolated 30
minutes, and fired predictive suspensions at 130-150 mg/dL on noise alone
(issue 18).  The four readings make a trend when all are inside the sensor's
range, they span ``span`` ticks with ``lgs_trend_span_min_ticks <= span <=
TREND_SPAN_MAX_TICKS``, and no gap between neighbours is more than half the
span (so they are spread roughly evenly).  For four readings at equal
spacing ``h = span / 3`` the least-squares line has fixed weights:

    fitted value at g0's time  F = (7 g0 + 4 g1 + g2 - 2 g3) / 10
    slope per tick             S / (10 h) = 3 S / (10 span),  S = 3 g0 + g1 - g2 - 3 g3

so the value predicted ``H = 30`` minutes ahead is at most a level ``L`` iff

    span * (10 F - 10 L) + 3 H * S <= 0                    (span > 0)

where ``x * span`` goes through ``logic.mul_small`` (span < 32): the
arithmetic stays linear, with no division.  A predictive suspension starts
only when the prediction reaches ``threshold + lgs_predict_margin_mgdl`` and
the newest reading is already within ``lgs_predict_band_mgdl`` of the
threshold (SmartGuard's band; SUS-3).  Fewer than four readings in shape
give no trend: no predictive suspension, and no early resume that needs
"rising" (the low itself, SUS-2, needs one fresh reading only).

An automatic suspension ends (``lgs_end``) only by the rules (SUS-4, SEN-4):
after ``lgs_max_ticks``; or when the user switches the feature off; or,
once it has lasted ``lgs_min_ticks``, when glucose has recovered: a fresh
valid reading more than ``lgs_resume_margin_mgdl`` above the threshold that
is the sensor's HIGH, or whose trend rises and predicts glucose above
``threshold + margin + lgs_resume_margin_mgdl`` in 30 minutes (Medtronic's
SmartGuard resumes at 20 mg/dL above the low limit with 40 predicted).  The
resume margin is hysteresis: a suspension starts below one level and ends
only above a higher one, so a glucose hovering near the threshold cannot
switch basal on and off every few minutes.
An invalid report never ends a suspension, and neither does the sensor
falling silent: without fresh valid data nothing can show that glucose has
recovered, so the suspension runs to its maximum length while the user is
told the sensor is unavailable.  This is how Medtronic's suspend before low
/ on low behaves (at most 2 hours, then basal resumes; earlier only when
sensor glucose is above the limit and rising); Omnipod 5 instead limits a
pause without sensor values to 1 hour (docs/proofs.md, SEN-4).

Units: ``_mgdl``, ``_ticks``.  Requirements served: SEN-1, SEN-2, SEN-4,
SUS-2, SUS-3, SUS-4.
"""

from __future__ import annotations

from kernel.commands import LgsEnd
from kernel.config import PumpConfig
from kernel.logic import Logic
from kernel.state import PumpState
from kernel.units import PREDICTION_HORIZON_TICKS, TREND_SPAN_BITS, TREND_SPAN_MAX_TICKS


def reading_fresh(c: PumpConfig, s: PumpState, logic: Logic) -> bool:
    """The last valid reading is young enough to act on (SEN-1, SEN-2, SEN-4)."""
    g = s.glucose
    return logic.both(g.valid, s.now_ticks - g.measured_tick <= c.glucose_max_age_ticks)


class Trend:
    """The fitted trend of the last four valid readings (see module docstring; SUS-3).

    ``fits``: the readings make a trend; ``span_ticks``: their span (0 when
    they do not fit); ``fitted10``: ten times the fitted value at the newest
    reading's time (mg/dL); ``slope``: ``S``, ten times the slope per reading
    interval (mg/dL).
    """

    __slots__ = ("fits", "fitted10", "slope", "span_ticks")

    def __init__(self, fits: bool, span_ticks: int, fitted10: int, slope: int) -> None:
        self.fits = fits
        self.span_ticks = span_ticks
        self.fitted10 = fitted10
        self.slope = slope


def trend(c: PumpConfig, s: PumpState, logic: Logic) -> Trend:
    """The trend of the last four valid readings, newest first (SUS-3)."""
    g = s.glucose
    m0, (m1, m2, m3) = g.mgdl, g.older_mgdl
    t0, (t1, t2, t3) = g.measured_tick, g.older_ticks
    span = t0 - t3
    v1, v2, v3 = g.older_valid
    e1, e2, e3 = g.older_edge
    fits = logic.all(
        g.valid,
        v1,
        v2,
        v3,
        g.edge == 0,
        e1 == 0,
        e2 == 0,
        e3 == 0,
        span >= c.lgs_trend_span_min_ticks,
        span <= TREND_SPAN_MAX_TICKS,
        (t0 - t1) * 2 <= span,
        (t1 - t2) * 2 <= span,
        (t2 - t3) * 2 <= span,
    )
    return Trend(fits, logic.ite(fits, span, 0), 7 * m0 + 4 * m1 + m2 - 2 * m3, 3 * m0 + m1 - m2 - 3 * m3)


def predicted_at_most(t: Trend, level_mgdl: int, logic: Logic) -> bool:
    """The trend predicts glucose at most ``level_mgdl`` 30 minutes ahead (meaningful only when it fits)."""
    return (
        logic.mul_small(t.fitted10 - 10 * level_mgdl, t.span_ticks, TREND_SPAN_BITS)
        + 3 * PREDICTION_HORIZON_TICKS * t.slope
        <= 0
    )


def predicted_low(c: PumpConfig, s: PumpState, logic: Logic) -> bool:
    """Glucose near the threshold is heading for threshold + margin within 30 minutes (SUS-3)."""
    g = s.glucose
    st = s.settings
    if logic.all(st.predictive_suspend_enabled, g.valid) is False:
        return False
    t = trend(c, s, logic)
    return logic.all(
        st.predictive_suspend_enabled,
        reading_fresh(c, s, logic),
        t.fits,
        g.mgdl <= st.lgs_threshold_mgdl + c.lgs_predict_band_mgdl,
        predicted_at_most(t, st.lgs_threshold_mgdl + c.lgs_predict_margin_mgdl, logic),
    )


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
    t = trend(c, s, logic)
    resume_level = st.lgs_threshold_mgdl + c.lgs_predict_margin_mgdl + c.lgs_resume_margin_mgdl
    rising = logic.all(t.fits, t.slope > 0, logic.not_(predicted_at_most(t, resume_level, logic)))
    recovered = logic.all(
        s.timers.suspended_ticks >= c.lgs_min_ticks,
        reading_fresh(c, s, logic),
        g.mgdl > st.lgs_threshold_mgdl + c.lgs_resume_margin_mgdl,
        logic.either(g.edge == 1, rising),
    )
    timed_out = s.timers.suspended_ticks >= c.lgs_max_ticks
    switched_off = logic.not_(st.lgs_enabled)
    ends = logic.any(timed_out, recovered, switched_off)
    cause = logic.ite(timed_out, LgsEnd.MAX_DURATION, logic.ite(switched_off, LgsEnd.SWITCHED_OFF, LgsEnd.RECOVERED))
    return ends, cause
