"""Sensor glucose: validity, staleness, implausible jumps, and "LOW" readings (SEN-1..4).

SEN-1: a reading is used only with status OK, within 40..400 mg/dL, at most
12 minutes old and at most 5 minutes in the future; every unused reading is
accepted as an event (it is information) with a ``GLUCOSE_NOT_USED`` notice
giving the reason.  SEN-2: a rejected reading or one that ages past 12
minutes stops sensor-driven features at once, and the user is told.  SEN-3:
a change faster than ``glucose_max_change_mgdl_per_tick`` marks the data
unreliable.  SEN-4: a "LOW" (status OK, below the range) is not valid data
but is evidence of a low: it enters or keeps low-glucose suspend.
"""

from __future__ import annotations

from typing import Any

import pytest

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import GlucoseUse, LgsEnd, NoticeKind
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
    ],
)
def test_reading_validity(mgdl: int, age: int, status: int, use: int) -> None:
    """SEN-1: each rule at its boundary; a used reading makes the data fresh, an unused one does not."""
    pump = _pump()
    assert _use(pump, mgdl, age=age, status=status) == use
    assert _fresh(pump) == (use == GlucoseUse.USED)


def test_below_range_is_out_of_range_but_kept_as_evidence() -> None:
    """SEN-1, SEN-4: 39 mg/dL is not valid data (not fresh) but is recorded as a recent LOW."""
    pump = _pump()
    assert _use(pump, C.glucose_min_mgdl - 1) == GlucoseUse.OUT_OF_RANGE
    assert not _fresh(pump)
    assert pump.state.glucose.below_range


def test_rejected_reading_stops_sensor_features_at_once() -> None:
    """SEN-2: a good reading followed by an error reading: the controller is refused at once."""
    pump = _pump(lgs_enabled=False)
    _use(pump, 150)
    pump.accept(ev.BolusRequest(pump.now, 1, Source.CONTROLLER, 5))
    pump.tick()
    _use(pump, 150, status=GlucoseStatus.SENSOR_ERROR)
    assert_refused(pump, ev.BolusRequest(pump.now, 2, Source.CONTROLLER, 5), Reason.SENSOR_UNAVAILABLE)


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
    """SEN-1: a reading not newer than the latest (backfill, duplicate) changes nothing and is reported."""
    pump = _pump()
    _use(pump, 150)
    glucose = pump.state.glucose
    assert _use(pump, 150) == GlucoseUse.NOT_NEWER
    assert _use(pump, 60, age=3) == GlucoseUse.NOT_NEWER
    assert pump.state.glucose == glucose
    assert pump.mode == Mode.DELIVERING


def test_implausible_jump_marks_data_unreliable() -> None:
    """SEN-3: more than 8 mg/dL a minute between close readings is rejected and invalidates the data;
    exactly 8 mg/dL a minute is plausible."""
    pump = _pump()
    _use(pump, 150)
    pump.ticks(5)
    assert _use(pump, 150 + 5 * 8) == GlucoseUse.USED
    pump.ticks(5)
    assert _use(pump, 190 - 5 * 8 - 1) == GlucoseUse.IMPLAUSIBLE_JUMP
    assert not _fresh(pump)


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


# SEN-4


def test_low_reading_enters_low_glucose_suspend() -> None:
    """SEN-4: a LOW (status OK, below the range) suspends like a valid low."""
    pump = _pump()
    _use(pump, 0)
    assert pump.mode == Mode.LGS_SUSPENDED


def test_low_readings_keep_the_suspension() -> None:
    """SEN-4: LOW readings every 5 minutes keep the pump suspended (they are not a lost sensor) until the
    2-hour maximum."""
    pump = _pump()
    _use(pump, 60)
    assert pump.mode == Mode.LGS_SUSPENDED
    ended: list[int] = []
    for minute in range(1, C.lgs_max_ticks + 1):
        if minute % 5 == 0:
            _use(pump, C.glucose_min_mgdl - 1)
        ended += [n.a for n in notices(pump.tick(), NoticeKind.LGS_ENDED)]
        if minute < C.lgs_max_ticks:
            assert pump.mode == Mode.LGS_SUSPENDED, minute
    assert ended == [LgsEnd.MAX_DURATION]


def test_low_reading_with_error_status_is_not_evidence() -> None:
    """SEN-4: only a LOW with status OK counts; an error code below the range does not suspend."""
    pump = _pump()
    _use(pump, 20, status=GlucoseStatus.SENSOR_ERROR)
    assert pump.mode == Mode.DELIVERING
    assert not pump.state.glucose.below_range


def test_old_low_reading_is_not_evidence() -> None:
    """SEN-4: a LOW older than 12 minutes does not suspend."""
    pump = _pump()
    _use(pump, 20, age=C.glucose_max_age_ticks + 1)
    assert pump.mode == Mode.DELIVERING


def test_low_evidence_lapses_and_the_suspension_ends() -> None:
    """SEN-4, SEN-2: when LOW readings stop, the evidence lapses after 12 minutes and the suspension ends."""
    pump = _pump()
    _use(pump, 0)
    pump.ticks(C.glucose_max_age_ticks)
    assert pump.mode == Mode.LGS_SUSPENDED
    result = pump.tick()
    assert [n.a for n in notices(result, NoticeKind.LGS_ENDED)] == [LgsEnd.SENSOR_LOST]
    assert pump.mode == Mode.DELIVERING
