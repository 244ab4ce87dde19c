"""Reference specifications for suspension, sensor input and alarms, in the catalogue's own words.

Theory of operation
-------------------
These functions say what is correct for SUS-2..4 and SEN-1..5 without the
kernel's decision helpers (``kernel.glucose``, ``kernel.sensing``); they read
kernel data types and use only ``kernel.logic`` primitives, so they run on
Python values and on Z3 terms alike.  The proofs of ``proofs.families.sensing``
and ``proofs.families.suspend`` compare the kernel's commands against them.

* A sensor report is *valid* (SEN-1, SEN-3, SEN-5) when its status is the
  sensor's value (``OK``, inside ``glucose_min_mgdl..glucose_max_mgdl``) or its
  own LOW / HIGH indication; when it was measured at most
  ``glucose_max_age_ticks`` ago and at most ``glucose_max_future_ticks`` ahead;
  when it is newer than the last valid reading; and when an ``OK`` value did
  not move faster than ``glucose_max_change_mgdl_per_tick`` since the last
  valid in-range reading, if that one is at most ``PAIR_MAX_TICKS`` older.
  Every other status is an error and never a glucose.  LOW stands for
  ``glucose_min_mgdl - 1`` and HIGH for ``glucose_max_mgdl + 1``.
* The *last valid reading* (SEN-4) is replaced by a valid report only; the one
  it replaces becomes the previous reading (the pair a trend is read from).
* Low glucose (SUS-2): the feature is on and a fresh valid reading is at or
  below the threshold (freshness: ``specs.reference.reading_fresh``).
* Predicted low (SUS-3): the catalogue asks for a linear prediction from valid
  recent readings.  Stated here as the kernel implements it: the slope of the
  two most recent valid in-range readings (at most ``PAIR_MAX_TICKS`` apart),
  extrapolated ``HORIZON_TICKS`` ahead, reaches threshold + margin.  That is a
  single-difference prediction, not a fit over several readings.
* Recovery (SUS-4): a fresh valid reading above the threshold that is HIGH or
  higher than the previous valid in-range reading of its pair (rising).

Units: ``_mgdl``, ``_ticks`` (minutes).
"""

from __future__ import annotations

from typing import Any

from kernel.config import PumpConfig
from kernel.events import GlucoseReading, GlucoseStatus
from kernel.logic import Logic
from kernel.settings import TherapySettings
from kernel.state import GlucoseState
from specs.reference import reading_fresh

PAIR_MAX_TICKS = 15
"""Two valid readings at most this many minutes apart make a pair (jump check SEN-3, trend SUS-3)."""
HORIZON_TICKS = 30
"""The prediction horizon of SUS-3: 30 minutes."""


def carries_glucose(e: GlucoseReading, L: Logic) -> Any:
    """The report's status says something about glucose: a value, or the sensor's own LOW or HIGH (SEN-5)."""
    return L.any(e.status == GlucoseStatus.OK, e.status == GlucoseStatus.LOW, e.status == GlucoseStatus.HIGH)


def report_value(c: PumpConfig, e: GlucoseReading, L: Logic) -> tuple[Any, Any]:
    """(mg/dL, edge) a valid report stands for: LOW below the range (-1), HIGH above it (+1), else the value (0)."""
    low = e.status == GlucoseStatus.LOW
    high = e.status == GlucoseStatus.HIGH
    return (
        L.ite(low, c.glucose_min_mgdl - 1, L.ite(high, c.glucose_max_mgdl + 1, e.mgdl)),
        L.ite(low, -1, L.ite(high, 1, 0)),
    )


def _within(change: Any, rate: Any, ticks: Any, L: Logic) -> Any:
    """|change| <= rate x ticks for ticks in 1..PAIR_MAX_TICKS, as a case split on ticks (linear)."""
    cases = [L.both(ticks == k, L.both(change <= rate * k, -change <= rate * k)) for k in range(1, PAIR_MAX_TICKS + 1)]
    return L.any(*cases)


def report_valid(c: PumpConfig, last: GlucoseState, e: GlucoseReading, now_ticks: Any, L: Logic) -> Any:
    """The report may be used as glucose (SEN-1, SEN-3, SEN-5; see module docstring)."""
    ok = e.status == GlucoseStatus.OK
    dt = e.measured_tick - last.measured_tick
    paired = L.all(ok, last.valid, last.edge == 0, dt >= 1, dt <= PAIR_MAX_TICKS)
    return L.all(
        carries_glucose(e, L),
        L.either(L.not_(ok), L.both(e.mgdl >= c.glucose_min_mgdl, e.mgdl <= c.glucose_max_mgdl)),
        now_ticks - e.measured_tick <= c.glucose_max_age_ticks,
        e.measured_tick - now_ticks <= c.glucose_max_future_ticks,
        L.either(L.not_(last.valid), e.measured_tick > last.measured_tick),
        L.either(L.not_(paired), _within(e.mgdl - last.mgdl, c.glucose_max_change_mgdl_per_tick, dt, L)),
    )


def after_report(c: PumpConfig, last: GlucoseState, e: GlucoseReading, used: Any, L: Logic) -> GlucoseState:
    """The last valid reading after a report that is ``used`` (valid and accepted), else unchanged (SEN-4)."""
    mgdl, edge = report_value(c, e, L)
    return GlucoseState(
        L.ite(used, mgdl, last.mgdl),
        L.ite(used, e.measured_tick, last.measured_tick),
        L.either(used, last.valid),
        L.ite(used, edge, last.edge),
        L.ite(used, last.mgdl, last.prev_mgdl),
        L.ite(used, last.measured_tick, last.prev_measured_tick),
        L.pick(used, last.valid, last.prev_valid),
        L.ite(used, last.edge, last.prev_edge),
        0,
        0,
    )


def low_now(c: PumpConfig, st: TherapySettings, g: GlucoseState, now_ticks: Any, L: Logic) -> Any:
    """SUS-2: the feature is on and a fresh valid reading is at or below the threshold."""
    return L.all(st.lgs_enabled, reading_fresh(c, g, now_ticks, L), g.mgdl <= st.lgs_threshold_mgdl)


def paired(g: GlucoseState, L: Logic) -> Any:
    """The last two valid readings are in range and at most ``PAIR_MAX_TICKS`` apart (a trend)."""
    dt = g.measured_tick - g.prev_measured_tick
    return L.all(g.valid, g.prev_valid, g.edge == 0, g.prev_edge == 0, dt >= 1, dt <= PAIR_MAX_TICKS)


def predicted_low(c: PumpConfig, st: TherapySettings, g: GlucoseState, now_ticks: Any, L: Logic) -> Any:
    """SUS-3 as implemented: g + (g - g_prev) x 30 / dt <= threshold + margin, from a fresh pair.

    Multiplied out by dt > 0 and split on dt (1..15) so that it stays linear.
    """
    dt = g.measured_tick - g.prev_measured_tick
    above = g.mgdl - st.lgs_threshold_mgdl - c.lgs_predict_margin_mgdl
    slope_30 = (g.mgdl - g.prev_mgdl) * HORIZON_TICKS
    crossing = L.any(*(L.both(dt == k, above * k + slope_30 <= 0) for k in range(1, PAIR_MAX_TICKS + 1)))
    return L.all(
        st.predictive_suspend_enabled, st.lgs_enabled, reading_fresh(c, g, now_ticks, L), paired(g, L), crossing
    )


def recovered(c: PumpConfig, st: TherapySettings, g: GlucoseState, now_ticks: Any, L: Logic) -> Any:
    """SUS-4 early end: a fresh valid reading above the threshold that is HIGH or rising over its pair."""
    rising = L.both(paired(g, L), g.mgdl > g.prev_mgdl)
    return L.all(reading_fresh(c, g, now_ticks, L), g.mgdl > st.lgs_threshold_mgdl, L.either(g.edge == 1, rising))
