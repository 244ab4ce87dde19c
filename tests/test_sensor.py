"""Sensor glucose: validity, staleness, implausible jumps, LOW and HIGH (SEN-1..5).

SEN-1: a reading is used only with status OK, within 40..400 mg/dL, at most
12 minutes old and at most 5 minutes in the future; every unused report is
accepted as an event (it is information) with a ``GLUCOSE_NOT_USED`` notice
giving the reason.  SEN-2: when the last valid reading ages past 12 minutes,
sensor-driven features stop, and the user is told.  SEN-3: a change faster
than ``glucose_max_change_mgdl_per_tick`` is not used.  SEN-4: a report that
is not valid never replaces or erases the last valid reading, and by itself
neither starts nor ends an automatic suspension.  SEN-5: LOW and HIGH come
only from the sensor's own indication (status ``LOW`` / ``HIGH``); a value
below the range with status OK is an error, not a LOW.
"""

from __future__ import annotations

from typing import Any

import pytest

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import Deliver, GlucoseUse, LgsEnd, NoticeKind
from kernel.events import GlucoseStatus, Source
from kernel.logic import PY
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.sensing import reading_fresh
from tests.helpers import (
    C,
    Pump,
    all_notices,
    assert_refused,
    delivering_pump,
    flat_settings,
    notices,
)

ONE_PER_MINUTE = 60 * C.pulse_mu


def _pump(**overrides: bool) -> Pump:
    switches: dict[str, Any] = {"lgs_enabled": True, "controller_enabled": True, **overrides}
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE, **switches))
    pump.ticks(30)
    return pump


def _use(pump: Pump, mgdl: int, *, age: int = 0, status: int = GlucoseStatus.OK) -> int:
    """Send a reading; return its ``GlucoseUse`` (``USED`` when no notice)."""
    result = pump.do(ev.GlucoseReading(pump.now, pump.now - age, mgdl, status))
    assert result.outcome.accepted
    found = notices(result, NoticeKind.GLUCOSE_NOT_USED)
    if not found:
        return GlucoseUse.USED
    assert found[0].b == mgdl
    return found[0].a


def _fresh(pump: Pump) -> bool:
    return bool(reading_fresh(pump.config, pump.state, PY))


@pytest.mark.parametrize(
    ("mgdl", "age", "status", "use"),
    [
        (120, 0, GlucoseStatus.OK, GlucoseUse.USED),
        (C.glucose_min_mgdl, 0, GlucoseStatus.OK, GlucoseUse.USED),
        (C.glucose_max_mgdl, 0, GlucoseStatus.OK, GlucoseUse.USED),
        (C.glucose_max_mgdl + 1, 0, GlucoseStatus.OK, GlucoseUse.OUT_OF_RANGE),
        (120, C.glucose_max_age_ticks, GlucoseStatus.OK, GlucoseUse.USED),
        (120, C.glucose_max_age_ticks + 1, GlucoseStatus.OK, GlucoseUse.TOO_OLD),
        (120, -C.glucose_max_future_ticks, GlucoseStatus.OK, GlucoseUse.USED),
        (120, -C.glucose_max_future_ticks - 1, GlucoseStatus.OK, GlucoseUse.FROM_FUTURE),
        (120, 0, GlucoseStatus.SENSOR_ERROR, GlucoseUse.SENSOR_STATUS),
        (120, 0, GlucoseStatus.CALIBRATION, GlucoseUse.SENSOR_STATUS),
        (120, 0, GlucoseStatus.WARM_UP, GlucoseUse.SENSOR_STATUS),
        (120, 0, GlucoseStatus.NOISE, GlucoseUse.SENSOR_STATUS),
        (120, 0, GlucoseStatus.SENSOR_FAILED, GlucoseUse.SENSOR_STATUS),
        (120, 0, GlucoseStatus.SESSION_STOPPED, GlucoseUse.SENSOR_STATUS),
        (0, 0, GlucoseStatus.LOW, GlucoseUse.USED),
        (0, 0, GlucoseStatus.HIGH, GlucoseUse.USED),
        (0, C.glucose_max_age_ticks + 1, GlucoseStatus.LOW, GlucoseUse.TOO_OLD),
    ],
)
def test_reading_validity(mgdl: int, age: int, status: int, use: int) -> None:
    """SEN-1, SEN-5: each rule at its boundary; a used reading makes the data fresh, an unused one does not."""
    pump = _pump()
    assert _use(pump, mgdl, age=age, status=status) == use
    assert _fresh(pump) == (use == GlucoseUse.USED)


def test_below_range_value_with_status_ok_is_an_error_not_a_low() -> None:
    """SEN-5: 39 mg/dL with status OK is out of range, not the sensor's LOW: nothing is suspended."""
    pump = _pump()
    assert _use(pump, C.glucose_min_mgdl - 1) == GlucoseUse.OUT_OF_RANGE
    assert not _fresh(pump)
    assert pump.mode == Mode.DELIVERING
    assert not pump.state.glucose.valid


def test_low_and_high_are_kept_at_the_edges_of_the_range() -> None:
    """SEN-5: the sensor's LOW is held as glucose_min - 1 (below every threshold), HIGH as glucose_max + 1."""
    pump = _pump(lgs_enabled=False)
    _use(pump, 0, status=GlucoseStatus.HIGH)
    assert (pump.state.glucose.mgdl, pump.state.glucose.edge) == (C.glucose_max_mgdl + 1, 1)
    pump.tick()
    _use(pump, 0, status=GlucoseStatus.LOW)
    assert (pump.state.glucose.mgdl, pump.state.glucose.edge) == (C.glucose_min_mgdl - 1, -1)


@pytest.mark.parametrize(
    ("age", "status", "mgdl"),
    [
        (0, GlucoseStatus.SENSOR_ERROR, 150),
        (0, GlucoseStatus.WARM_UP, 150),
        (0, GlucoseStatus.OK, 5),
        (C.glucose_max_age_ticks + 1, GlucoseStatus.OK, 150),
        (-C.glucose_max_future_ticks - 1, GlucoseStatus.OK, 150),
    ],
)
def test_an_invalid_report_keeps_the_valid_reading(age: int, status: int, mgdl: int) -> None:
    """SEN-4: a stale, future-dated, error-status or error-value report is recorded as the latest report,
    the user is told, and the last valid reading stays: sensor features go on while it is fresh."""
    pump = _pump(lgs_enabled=False)
    _use(pump, 150)
    pump.tick()
    held = pump.state.glucose
    assert _use(pump, mgdl, age=age, status=status) != GlucoseUse.USED
    g = pump.state.glucose
    assert (g.mgdl, g.measured_tick, g.valid, g.edge) == (held.mgdl, held.measured_tick, True, 0)
    assert g.report_use != GlucoseUse.USED and g.report_tick == pump.now
    assert _fresh(pump)
    pump.accept(ev.BolusRequest(pump.now, 2, Source.CONTROLLER, 5))


def test_reading_goes_stale_by_itself() -> None:
    """SEN-2: a reading is fresh for 12 minutes, then sensor features stop and the user is told."""
    pump = _pump()
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.SENSOR_UNAVAILABLE))
    _use(pump, 150)
    assert pump.state.alarms[AlarmKind.SENSOR_UNAVAILABLE] == AlarmStatus.CLEAR
    pump.ticks(C.glucose_max_age_ticks)
    assert _fresh(pump)
    pump.tick()
    assert not _fresh(pump)
    assert pump.state.alarms[AlarmKind.SENSOR_UNAVAILABLE] == AlarmStatus.ACTIVE
    assert_refused(pump, ev.BolusRequest(pump.now, 3, Source.CONTROLLER, 5), Reason.SENSOR_UNAVAILABLE)


def test_sensor_alarm_only_when_a_sensor_feature_is_on() -> None:
    """SEN-2: without LGS or closed loop, having no sensor is not an alarm."""
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE, lgs_enabled=False, controller_enabled=False))
    pump.ticks(60)
    assert pump.state.alarms[AlarmKind.SENSOR_UNAVAILABLE] == AlarmStatus.CLEAR


def test_older_or_repeated_reading_is_ignored() -> None:
    """SEN-1: a reading not newer than the last valid one (backfill, duplicate) changes no reading and is
    reported."""
    pump = _pump()
    _use(pump, 150)
    glucose = pump.state.glucose
    assert _use(pump, 150) == GlucoseUse.NOT_NEWER
    assert _use(pump, 60, age=3) == GlucoseUse.NOT_NEWER
    assert pump.state.glucose._replace(report_use=glucose.report_use) == glucose
    assert pump.state.glucose.report_use == GlucoseUse.NOT_NEWER
    assert pump.mode == Mode.DELIVERING


def test_implausible_jump_is_not_used() -> None:
    """SEN-3: more than 8 mg/dL a minute between close readings is not used (the last valid reading stays,
    SEN-4); exactly 8 mg/dL a minute is plausible."""
    pump = _pump()
    _use(pump, 150)
    pump.ticks(5)
    assert _use(pump, 150 + 5 * 8) == GlucoseUse.USED
    pump.ticks(5)
    assert _use(pump, 190 - 5 * 8 - 1) == GlucoseUse.IMPLAUSIBLE_JUMP
    assert pump.state.glucose.mgdl == 190


def test_no_jump_check_across_a_long_gap() -> None:
    """SEN-3: readings more than 15 minutes apart are not compared."""
    pump = _pump()
    _use(pump, 300)
    pump.ticks(16)
    assert _use(pump, 100) == GlucoseUse.USED


def test_after_an_implausible_reading_the_next_good_one_is_used() -> None:
    """SEN-3: the jump check compares with the last *valid* reading only; the sensor recovers."""
    pump = _pump()
    _use(pump, 150)
    pump.tick()
    assert _use(pump, 250) == GlucoseUse.IMPLAUSIBLE_JUMP
    pump.tick()
    assert _use(pump, 152) == GlucoseUse.USED
    assert _fresh(pump)


def test_every_unused_reading_is_told() -> None:
    """SEN-2: the user gets one ``GLUCOSE_NOT_USED`` notice per unused reading."""
    pump = _pump()
    for status in (GlucoseStatus.SENSOR_ERROR, GlucoseStatus.WARM_UP):
        pump.do(ev.GlucoseReading(pump.now, pump.now, 100, status))
    results = [r for _, r in pump.history[-2:]]
    assert len(all_notices(results, NoticeKind.GLUCOSE_NOT_USED)) == 2


# SEN-4, SEN-5


def test_low_reading_enters_low_glucose_suspend() -> None:
    """SEN-5: the sensor's LOW suspends like a valid low."""
    pump = _pump()
    _use(pump, 0, status=GlucoseStatus.LOW)
    assert pump.mode == Mode.LGS_SUSPENDED


def test_low_readings_keep_the_suspension() -> None:
    """SEN-5: LOW readings every 5 minutes keep the pump suspended until the 2-hour maximum."""
    pump = _pump()
    _use(pump, 60)
    assert pump.mode == Mode.LGS_SUSPENDED
    ended: list[int] = []
    for minute in range(1, C.lgs_max_ticks + 1):
        if minute % 5 == 0:
            _use(pump, 0, status=GlucoseStatus.LOW)
        ended += [n.a for n in notices(pump.tick(), NoticeKind.LGS_ENDED)]
        if minute < C.lgs_max_ticks:
            assert pump.mode == Mode.LGS_SUSPENDED, minute
    assert ended == [LgsEnd.MAX_DURATION]


def test_low_value_with_error_status_is_not_evidence() -> None:
    """SEN-5: an error status with a small value does not suspend: it is no glucose."""
    pump = _pump()
    _use(pump, 20, status=GlucoseStatus.SENSOR_ERROR)
    assert pump.mode == Mode.DELIVERING
    assert not pump.state.glucose.valid


def test_old_low_reading_is_not_evidence() -> None:
    """SEN-1: a LOW older than 12 minutes does not suspend."""
    pump = _pump()
    _use(pump, 0, age=C.glucose_max_age_ticks + 1, status=GlucoseStatus.LOW)
    assert pump.mode == Mode.DELIVERING


def test_a_silent_sensor_does_not_end_the_suspension() -> None:
    """SUS-4, SEN-4: when readings stop during a suspension nothing shows that glucose recovered: the
    suspension runs to its maximum (Medtronic suspend on low), the user is told the sensor is unavailable,
    and basal resumes only then."""
    pump = _pump()
    _use(pump, 0, status=GlucoseStatus.LOW)
    delivered = 0
    for _ in range(C.lgs_max_ticks - 1):
        result = pump.tick()
        assert pump.mode == Mode.LGS_SUSPENDED
        delivered += sum(c.pulses for c in result.commands if isinstance(c, Deliver))
    assert delivered == 0
    assert pump.state.alarms[AlarmKind.SENSOR_UNAVAILABLE] in (AlarmStatus.ACTIVE, AlarmStatus.ACKED)
    result = pump.tick()
    assert [n.a for n in notices(result, NoticeKind.LGS_ENDED)] == [LgsEnd.MAX_DURATION]
    assert pump.mode == Mode.DELIVERING


@pytest.mark.parametrize(
    ("age", "status", "mgdl"),
    [
        (C.glucose_max_age_ticks + 1, GlucoseStatus.OK, 150),
        (-C.glucose_max_future_ticks - 1, GlucoseStatus.OK, 150),
        (0, GlucoseStatus.SENSOR_ERROR, 150),
        (0, GlucoseStatus.OK, 2),
    ],
    ids=["stale", "future-dated", "error-status", "error-code"],
)
def test_an_invalid_report_during_a_suspension_changes_nothing(age: int, status: int, mgdl: int) -> None:
    """SEN-4 (issue 16): with a fresh low reading in hand, a stale, future-dated, error-status or error-code
    report neither ends the suspension nor lets anything be delivered, and the user is told."""
    pump = _pump()
    _use(pump, 62)
    assert pump.mode == Mode.LGS_SUSPENDED
    pump.tick()
    result = pump.do(ev.GlucoseReading(pump.now, pump.now - age, mgdl, status))
    assert notices(result, NoticeKind.GLUCOSE_NOT_USED)
    assert pump.mode == Mode.LGS_SUSPENDED
    assert pump.state.glucose.mgdl == 62
    for _ in range(3):
        tick = pump.tick()
        assert pump.mode == Mode.LGS_SUSPENDED
        assert not [c for c in tick.commands if isinstance(c, Deliver)]
