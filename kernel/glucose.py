"""Sensor reports: validation, and what the pump knows about glucose (SEN-1..5).

Theory of operation
-------------------
A well-formed ``GlucoseReading`` is always accepted as an event: a bad report
is information (the sensor is not usable now), not bad input.  The pump keeps
two things apart (``GlucoseState``): the last *valid* reading, which is
knowledge about glucose, and the latest *report*, which is knowledge about
the sensor.  A report is classified, first failure wins:

1. its status is ``OK`` (a value), ``LOW`` or ``HIGH`` (the sensor's own
   below- and above-range indication, SEN-5); any other status is an error
   state, never a glucose;
2. an ``OK`` value is within ``glucose_min_mgdl .. glucose_max_mgdl`` (a value
   outside the range with status OK is an error, not a LOW: SEN-5);
3. it is not older than ``glucose_max_age_ticks``;
4. it is not more than ``glucose_max_future_ticks`` in the future;
5. it is newer than the last valid reading (a backfilled or duplicated
   reading changes nothing);
6. an ``OK`` value, compared with the last valid in-range reading less than
   16 ticks earlier, did not move faster than
   ``glucose_max_change_mgdl_per_tick`` (SEN-3).

A report that passes becomes the last valid reading; the one it replaces
moves to the front of the three older readings and the oldest leaves (the
four make the trend of SUS-3, ``kernel.sensing``).  ``LOW`` is kept as the value
``glucose_min_mgdl - 1`` with ``edge == -1`` (below every threshold), ``HIGH``
as ``glucose_max_mgdl + 1`` with ``edge == +1``.  A report that fails is
recorded as the latest report with its reason and a ``GLUCOSE_NOT_USED``
notice tells the user; it never replaces or erases the valid reading, so it
can neither start nor end a low-glucose suspension (SEN-4).  Freshness and
sensor loss are judged from the time of the last valid reading
(``kernel.sensing``).

Units: ``_mgdl``, ``_ticks``.  Requirements served: SEN-1, SEN-3, SEN-4, SEN-5.
"""

from __future__ import annotations

from kernel.commands import NO_EFFECTS, GlucoseUse, NoticeKind, notice
from kernel.config import PumpConfig
from kernel.events import GlucoseReading, GlucoseStatus
from kernel.handling import Handled
from kernel.logic import Logic, first_refusal
from kernel.state import GlucoseState, PumpState
from kernel.units import GLUCOSE_PAIR_BITS, GLUCOSE_PAIR_MAX_TICKS

# Records are built as _new(Cls, (values...)): the same tuple as Cls(values...) at a third of the cost
# (kernel.state, "Building records"; tests/test_record_construction.py checks every call).
_new = tuple.__new__

VALID_STATUSES = (GlucoseStatus.OK, GlucoseStatus.LOW, GlucoseStatus.HIGH)
"""The statuses that carry knowledge about glucose (SEN-5)."""


def classify(c: PumpConfig, s: PumpState, e: GlucoseReading, logic: Logic) -> int:
    """The ``GlucoseUse`` of a report: ``USED`` or why not (SEN-1, SEN-3, SEN-5)."""
    g = s.glucose
    ok = e.status == GlucoseStatus.OK
    dt = e.measured_tick - g.measured_tick
    paired = logic.all(ok, g.valid, g.edge == 0, dt >= 1, dt <= GLUCOSE_PAIR_MAX_TICKS)
    allowed = logic.mul_small(c.glucose_max_change_mgdl_per_tick, logic.ite(paired, dt, 0), GLUCOSE_PAIR_BITS)
    change = e.mgdl - g.mgdl
    plausible = logic.either(logic.not_(paired), logic.both(change <= allowed, -change <= allowed))
    return first_refusal(
        logic,
        (
            (logic.member(e.status, VALID_STATUSES), GlucoseUse.SENSOR_STATUS),
            (
                logic.either(logic.not_(ok), logic.both(e.mgdl >= c.glucose_min_mgdl, e.mgdl <= c.glucose_max_mgdl)),
                GlucoseUse.OUT_OF_RANGE,
            ),
            (s.now_ticks - e.measured_tick <= c.glucose_max_age_ticks, GlucoseUse.TOO_OLD),
            (e.measured_tick - s.now_ticks <= c.glucose_max_future_ticks, GlucoseUse.FROM_FUTURE),
            (logic.either(logic.not_(g.valid), e.measured_tick > g.measured_tick), GlucoseUse.NOT_NEWER),
            (plausible, GlucoseUse.IMPLAUSIBLE_JUMP),
        ),
    )


def _shifted(used: bool, newest: int, older: tuple[int, ...], logic: Logic) -> tuple[int, ...]:
    """``older`` with ``newest`` pushed in front (the oldest leaves) when ``used``, else unchanged."""
    return tuple(logic.ite(used, a, b) for a, b in zip((newest,) + older[:-1], older, strict=True))


def on_glucose(c: PumpConfig, s: PumpState, e: GlucoseReading, logic: Logic) -> Handled:
    """Record a report; a valid one becomes the last valid reading (see module docstring)."""
    g = s.glucose
    use = classify(c, s, e, logic)
    used = use == GlucoseUse.USED
    low = e.status == GlucoseStatus.LOW
    high = e.status == GlucoseStatus.HIGH
    value = logic.ite(low, c.glucose_min_mgdl - 1, logic.ite(high, c.glucose_max_mgdl + 1, e.mgdl))
    edge = logic.ite(low, -1, logic.ite(high, 1, 0))
    glucose = _new(
        GlucoseState,
        (
            logic.ite(used, value, g.mgdl),
            logic.ite(used, e.measured_tick, g.measured_tick),
            logic.either(used, g.valid),
            logic.ite(used, edge, g.edge),
            _shifted(used, g.mgdl, g.older_mgdl, logic),
            _shifted(used, g.measured_tick, g.older_ticks, logic),
            tuple(logic.pick(used, a, b) for a, b in zip((g.valid,) + g.older_valid[:-1], g.older_valid, strict=True)),
            _shifted(used, g.edge, g.older_edge, logic),
            s.now_ticks,
            use,
        ),
    )
    fx = notice(NO_EFFECTS, NoticeKind.GLUCOSE_NOT_USED, logic.not_(used), use, e.mgdl, 0, logic)
    return Handled((), s._replace(glucose=glucose), fx)
