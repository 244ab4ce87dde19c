"""Reference specifications for suspension, sensor input and alarms, in the catalogue's own words.

Theory of operation
-------------------
These functions say what is correct for SUS-2..4, SEN-1..5 and the alarm
rules of ALM-1/ALM-5 without the kernel's decision helpers
(``kernel.glucose``, ``kernel.sensing``, ``kernel.alarms``); they read kernel
data types and use only ``kernel.logic`` primitives, so they run on Python
values and on Z3 terms alike.  The proofs of ``proofs.families.sensing``,
``proofs.families.suspend`` and ``proofs.families.alarm_repeat`` compare the
kernel's commands against them.

* A sensor report is *valid* (SEN-1, SEN-3, SEN-5) when its status is the
  sensor's value (``OK``, inside ``glucose_min_mgdl..glucose_max_mgdl``) or its
  own LOW / HIGH indication; when it was measured at most
  ``glucose_max_age_ticks`` ago and at most ``glucose_max_future_ticks`` ahead;
  when it is newer than the last valid reading; and when an ``OK`` value did
  not move faster than ``glucose_max_change_mgdl_per_tick`` since the last
  valid in-range reading, if that one is at most ``PAIR_MAX_TICKS`` older.
  Every other status is an error and never a glucose.  LOW stands for
  ``glucose_min_mgdl - 1`` and HIGH for ``glucose_max_mgdl + 1``.
* The *history* (SEN-4, SUS-3) is the last valid reading and the
  ``READINGS - 1`` valid readings before it, newest first.  A valid report
  enters at the front and the oldest leaves; nothing else changes it.
* Low glucose (SUS-2): the feature is on and a fresh valid reading is at or
  below the threshold (freshness: ``specs.reference.reading_fresh``).
* The *trend* (SUS-3): the four readings of the history, all inside the
  sensor's range, spanning ``span`` minutes from the oldest to the newest
  with ``lgs_trend_span_min_ticks <= span <= SPAN_MAX_TICKS`` and no gap
  between neighbours longer than half the span.  The prediction is the
  least-squares straight line through the readings placed at equal steps
  ``x = 0`` (oldest) .. ``3`` (newest), a step standing for ``span / 3``
  minutes, evaluated ``HORIZON_TICKS`` after the newest: at
  ``x* = 3 + 3 * HORIZON_TICKS / span``.  From the normal equations, with
  ``Sy`` the sum of the readings and ``Sxy`` the sum of ``x`` times reading,
  ``20 b = 4 Sxy - 6 Sy`` (slope per step) and ``4 a = Sy - 6 b``
  (intercept), so ``a + b x* <= level`` is, multiplied by ``80 span > 0``,
  ``span (20 Sy + 6 B - 80 level) + 360 B <= 0`` with ``B = 20 b``, a linear
  inequality once ``span`` is a constant: it is stated as a case split over
  every span ``3..SPAN_MAX_TICKS`` (the structural rules make 3 the
  shortest).  *How this differs from the kernel* (``kernel.sensing``): the
  kernel uses precomputed fixed weights (fitted value ``7 g0 + 4 g1 + g2 - 2
  g3``, slope ``3 g0 + g1 - g2 - 3 g3``) and multiplies by the span through a
  5-bit decomposition (``Logic.mul_small``); here the sums and the normal
  equations are written out and the span is a case split, so the proof
  checks that the weights and the scaling are those of the least-squares
  line.  Both place the readings at equal steps (the gap rule keeps them
  roughly even): the actual measurement times enter only through the span
  and the gap rule.  That is the rule as designed (issue 18), restated.
* Predicted low (SUS-3): the feature and prediction are on, the newest
  reading is fresh and at most ``threshold + lgs_predict_band_mgdl`` (the
  band), the history makes a trend and its prediction is at most
  ``threshold + lgs_predict_margin_mgdl``.
* Recovery (SUS-4): a fresh valid reading more than ``threshold +
  lgs_resume_margin_mgdl`` (hysteresis) that is the sensor's HIGH, or whose
  trend rises (``b > 0``) and predicts more than ``threshold + margin +
  resume margin``.  An early end is allowed only once the suspension has
  lasted ``lgs_min_ticks`` minutes (``resume_allowed``).
* Measured low (ALM-5): a fresh valid reading at or below the threshold,
  confirmed: the sensor's own LOW, or a second valid reading in a row at or
  below it; the LOW_GLUCOSE_SUSPEND alarm is for that (a person must treat the
  low), not for a suspension on a prediction alone.
* Repetition (ALM-1, ALM-5): while an announced alarm that needs a person
  (high or medium priority, ``PERSON_KINDS``) is unacknowledged, the pump
  announces it again, never as a new alarm: ``repeat_ticks`` minutes after the
  last announcement every such alarm is announced again with the repetition
  count, which counts the repetitions while some such alarm waits (1, 2, then
  ``REPEATS_MAX`` for good; a new alarm does not reset it, none waiting does);
  a new alarm carries count 0.  Low-priority alerts are never repeated.

Units: ``_mgdl``, ``_ticks`` (minutes).
"""

from __future__ import annotations

import itertools
from typing import Any

from kernel.alarms import PRIORITY, AlarmKind, Priority
from kernel.config import PumpConfig
from kernel.events import GlucoseReading, GlucoseStatus
from kernel.logic import Logic
from kernel.settings import TherapySettings
from kernel.state import GlucoseState
from specs.reference import reading_fresh

PAIR_MAX_TICKS = 15
"""Two valid readings at most this many minutes apart make a pair (the jump check of SEN-3)."""
HORIZON_TICKS = 30
"""The prediction horizon of SUS-3: 30 minutes."""
READINGS = 4
"""The trend of SUS-3 is fitted over the last four valid readings."""
SPAN_MAX_TICKS = 31
"""Four readings make a trend only when they span at most 31 minutes (SUS-3)."""
SPAN_MIN_TICKS = 3
"""The structural rules make the shortest configurable span 3 minutes (one per step)."""
REPEATS_MAX = 3
"""An unacknowledged alarm's repetition count stops growing at 3, the loudest escalation (ALM-5)."""
PERSON_KINDS: tuple[int, ...] = tuple(int(k) for k in AlarmKind if PRIORITY[k] in (Priority.HIGH, Priority.MEDIUM))
"""Alarm kinds that need a person to act (IEC 60601-1-8 high and medium priority, ``kernel.alarms.PRIORITY``)."""


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


Reading = tuple[Any, Any, Any, Any]
"""(mg/dL, measured tick, valid, edge) of one held reading."""


def history(g: GlucoseState) -> list[Reading]:
    """The held readings, newest first: the last valid one, then the older ones (SEN-4, SUS-3)."""
    older = zip(g.older_mgdl, g.older_ticks, g.older_valid, g.older_edge, strict=True)
    return [(g.mgdl, g.measured_tick, g.valid, g.edge), *older]


def after_report(c: PumpConfig, last: GlucoseState, e: GlucoseReading, used: Any, L: Logic) -> GlucoseState:
    """The history after a report that is ``used`` (valid and accepted): it enters at the front, the oldest
    leaves; any other report leaves it unchanged (SEN-4)."""
    mgdl, edge = report_value(c, e, L)
    before = history(last)
    entered: list[Reading] = [(mgdl, e.measured_tick, True, edge), *before[: READINGS - 1]]
    held = [
        (
            L.ite(used, m, m0),
            L.ite(used, t, t0),
            L.either(L.both(used, v), L.both(L.not_(used), v0)),
            L.ite(used, d, d0),
        )
        for (m, t, v, d), (m0, t0, v0, d0) in zip(entered, before, strict=True)
    ]
    return GlucoseState(
        held[0][0],
        held[0][1],
        held[0][2],
        held[0][3],
        tuple(r[0] for r in held[1:]),
        tuple(r[1] for r in held[1:]),
        tuple(r[2] for r in held[1:]),
        tuple(r[3] for r in held[1:]),
        0,
        0,
    )


def low_now(c: PumpConfig, st: TherapySettings, g: GlucoseState, now_ticks: Any, L: Logic) -> Any:
    """SUS-2: the feature is on and a fresh valid reading is at or below the threshold."""
    return L.all(st.lgs_enabled, reading_fresh(c, g, now_ticks, L), g.mgdl <= st.lgs_threshold_mgdl)


def measured_low(c: PumpConfig, st: TherapySettings, g: GlucoseState, now_ticks: Any, L: Logic) -> Any:
    """ALM-5: a confirmed low a person must treat: a fresh valid reading at or below the threshold that is the
    sensor's own LOW, or whose valid predecessor was at or below the threshold too (two in a row)."""
    readings = history(g)
    newest, previous = readings[0], readings[1]
    confirmed = L.either(g.edge == -1, L.both(previous[2], previous[0] <= st.lgs_threshold_mgdl))
    return L.all(reading_fresh(c, g, now_ticks, L), newest[0] <= st.lgs_threshold_mgdl, confirmed)


def trend_fits(c: PumpConfig, g: GlucoseState, L: Logic) -> Any:
    """The four held readings make a trend: in range, span in bounds, no gap over half the span (SUS-3)."""
    readings = history(g)
    span = readings[0][1] - readings[-1][1]
    gaps = [newer[1] - older[1] for newer, older in itertools.pairwise(readings)]
    return L.all(
        *(L.both(valid, edge == 0) for _m, _t, valid, edge in readings),
        span >= c.lgs_trend_span_min_ticks,
        span <= SPAN_MAX_TICKS,
        *(2 * gap <= span for gap in gaps),
    )


def slope20(g: GlucoseState) -> Any:
    """``B``: 20 times the least-squares slope per step, readings at x = 0 (oldest) .. 3 (newest)."""
    ys = [m for m, _t, _v, _e in reversed(history(g))]
    return 4 * sum(x * y for x, y in enumerate(ys)) - 6 * sum(ys)


def predicted_at_most(g: GlucoseState, level_mgdl: Any, L: Logic) -> Any:
    """The least-squares line of the trend, 30 minutes after the newest reading, is at most ``level_mgdl``.

    Meaningful only when ``trend_fits``; see the module docstring for the derivation.
    """
    readings = history(g)
    span = readings[0][1] - readings[-1][1]
    sum_y = sum(m for m, _t, _v, _e in readings)
    b20 = slope20(g)
    return L.any(
        *(
            L.both(span == k, k * (20 * sum_y + 6 * b20 - 80 * level_mgdl) + 12 * HORIZON_TICKS * b20 <= 0)
            for k in range(SPAN_MIN_TICKS, SPAN_MAX_TICKS + 1)
        )
    )


def predicted_low(c: PumpConfig, st: TherapySettings, g: GlucoseState, now_ticks: Any, L: Logic) -> Any:
    """SUS-3: near the threshold (the band) and the trend predicts threshold + margin within 30 minutes."""
    return L.all(
        st.predictive_suspend_enabled,
        st.lgs_enabled,
        reading_fresh(c, g, now_ticks, L),
        g.mgdl <= st.lgs_threshold_mgdl + c.lgs_predict_band_mgdl,
        trend_fits(c, g, L),
        predicted_at_most(g, st.lgs_threshold_mgdl + c.lgs_predict_margin_mgdl, L),
    )


def recovered(c: PumpConfig, st: TherapySettings, g: GlucoseState, now_ticks: Any, L: Logic) -> Any:
    """SUS-4 recovery: fresh, above threshold + resume margin, and HIGH or rising and predicted above the
    resume level (threshold + margin + resume margin)."""
    resume_level = st.lgs_threshold_mgdl + c.lgs_predict_margin_mgdl + c.lgs_resume_margin_mgdl
    rising = L.all(trend_fits(c, g, L), slope20(g) > 0, L.not_(predicted_at_most(g, resume_level, L)))
    return L.all(
        reading_fresh(c, g, now_ticks, L),
        g.mgdl > st.lgs_threshold_mgdl + c.lgs_resume_margin_mgdl,
        L.either(g.edge == 1, rising),
    )


def resume_allowed(
    c: PumpConfig, st: TherapySettings, g: GlucoseState, now_ticks: Any, suspended_ticks: Any, L: Logic
) -> Any:
    """SUS-4: an automatic suspension that has lasted ``suspended_ticks`` minutes may end early on recovery
    only once it has lasted ``lgs_min_ticks``."""
    return L.both(suspended_ticks >= c.lgs_min_ticks, recovered(c, st, g, now_ticks, L))


def repetition_due(minutes_since_announced: Any, repeat_ticks: Any) -> Any:
    """ALM-1, ALM-5: an unacknowledged alarm is due to be announced again ``repeat_ticks`` minutes after the
    last announcement."""
    return minutes_since_announced >= repeat_ticks


def repeat_count_after(count: Any, waiting_after: Any, repeated: Any, L: Logic) -> Any:
    """How long the pump has been left unanswered, in repetitions (ALM-5): one more (at most ``REPEATS_MAX``)
    for a repetition, else unchanged, and 0 once no alarm needing a person waits.  A new alarm leaves it."""
    return L.ite(waiting_after, L.ite(repeated, L.min(count + 1, REPEATS_MAX), count), 0)


def repeat_signal(count_after: Any, new_alarm: Any, L: Logic) -> Any:
    """The count an ``Alarm`` command carries: 0 for a new alarm, the count for a repetition (ALM-5)."""
    return L.ite(new_alarm, 0, count_after)
