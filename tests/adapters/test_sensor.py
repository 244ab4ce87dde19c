"""The CGM adapter: units, quirks and named error states here, validity in the kernel (SEN-1..5)."""

from __future__ import annotations

import math

import pytest

from adapters.sensor import (
    DEXCOM_ALGORITHM_STATES,
    LEGACY_ERROR_BELOW_MGDL,
    LEGACY_ERROR_VALUES,
    STATUS_OF_ERROR,
    CgmError,
    CgmInput,
    CgmSample,
    GlucoseUnit,
    SimulatedCgm,
    dexcom_state_error,
    legacy_value_error,
)
from kernel import events as ev
from kernel.events import GlucoseStatus
from kernel.modes import Mode
from tests.adapters.conftest import C, rig, settings


def test_mgdl_and_mmoll_values() -> None:
    cgm = CgmInput(C)
    (reading,) = cgm.events([CgmSample(600, 123.4)], now_tick=10)
    assert reading == ev.GlucoseReading(10, 10, 123, GlucoseStatus.OK)
    (reading,) = cgm.events([CgmSample(900, 5.5, GlucoseUnit.MMOLL)], now_tick=15)
    assert reading.mgdl == 99 and reading.measured_tick == 15


def test_low_and_high_come_only_from_the_sensors_own_indication() -> None:
    """SEN-5: the sensor's "LOW"/"HIGH" become the statuses LOW/HIGH; a number below the range stays a number
    (the kernel refuses it as out of range), never a LOW."""
    cgm = CgmInput(C)
    (low,) = cgm.events([CgmSample(60, "LOW")], 1)
    (high,) = cgm.events([CgmSample(120, "high")], 2)
    (small,) = cgm.events([CgmSample(180, 25.0)], 3)
    assert low.status == GlucoseStatus.LOW and high.status == GlucoseStatus.HIGH
    assert (small.mgdl, small.status) == (25, GlucoseStatus.OK)
    assert cgm.counters.lows == 1 and cgm.counters.highs == 1


def test_low_with_an_error_state_is_an_error() -> None:
    """SEN-5: a "LOW" sent while the sensor reports an error state is that error, not a LOW."""
    cgm = CgmInput(C)
    (reading,) = cgm.events([CgmSample(60, "LOW", error=CgmError.WARM_UP)], 1)
    assert reading.status == GlucoseStatus.WARM_UP


@pytest.mark.parametrize("raw", sorted(DEXCOM_ALGORITHM_STATES))
def test_every_dexcom_algorithm_state_is_named(raw: int) -> None:
    """SEN-5: each transmitter state maps to a named status; only "okay" lets the value through as glucose."""
    name, error = DEXCOM_ALGORITHM_STATES[raw]
    cgm = CgmInput(C)
    (reading,) = cgm.events([CgmSample(60, 120.0, error=dexcom_state_error(raw))], 1)
    assert dexcom_state_error(raw) is error
    if name == "okay":
        assert reading.status == GlucoseStatus.OK
    else:
        assert reading.status == STATUS_OF_ERROR[error] != GlucoseStatus.OK
    assert dexcom_state_error(0xEE) is CgmError.SENSOR_ERROR  # an unknown state byte


@pytest.mark.parametrize("value", range(0, LEGACY_ERROR_BELOW_MGDL + 2))
def test_legacy_error_values_are_never_glucose(value: int) -> None:
    """SEN-5: a legacy receiver's value below 39 is an error code (named where known), never a glucose."""
    error = legacy_value_error(value)
    if value >= LEGACY_ERROR_BELOW_MGDL:
        assert error is CgmError.NONE
    else:
        assert error is not CgmError.NONE
        assert error is LEGACY_ERROR_VALUES.get(value, ("", CgmError.SENSOR_ERROR))[1]
        cgm = CgmInput(C)
        (reading,) = cgm.events([CgmSample(60, float(value), error=error)], 1)
        assert reading.status != GlucoseStatus.OK


@pytest.mark.parametrize("error", list(CgmError))
def test_every_named_error_reaches_the_kernel_as_its_status(error: CgmError) -> None:
    """SEN-5: the kernel gets every error state by name and, with a fresh low reading in hand, an error
    report keeps the suspension (SEN-4)."""
    r = rig(therapy=settings(lgs_enabled=True))
    r.ticks(3)
    cgm = CgmInput(C)
    for event in cgm.events([CgmSample(r.shell.now * 60, 60.0)], r.shell.now):
        r.shell.submit(event)
    assert r.shell.state.mode == Mode.LGS_SUSPENDED
    r.ticks(1)
    (report,) = cgm.events([CgmSample(r.shell.now * 60, 300.0, error=error)], r.shell.now)
    assert report.status == STATUS_OF_ERROR[error]
    r.shell.submit(report)
    assert r.shell.state.mode == Mode.LGS_SUSPENDED


def test_error_codes_and_garbage_become_sensor_status() -> None:
    cgm = CgmInput(C)
    (warm,) = cgm.events([CgmSample(60, None, error=CgmError.WARM_UP)], 1)
    (nan,) = cgm.events([CgmSample(120, math.nan)], 2)
    (word,) = cgm.events([CgmSample(180, "???")], 3)
    assert warm.status == GlucoseStatus.WARM_UP
    assert nan.status == GlucoseStatus.SENSOR_ERROR and word.status == GlucoseStatus.SENSOR_ERROR


def test_duplicates_backfill_and_gaps() -> None:
    cgm = CgmInput(C, sample_period_s=300)
    assert len(cgm.events([CgmSample(0, 100.0)], 0)) == 1
    assert cgm.events([CgmSample(0, 100.0)], 1) == []  # duplicate
    batch = [CgmSample(1800, 130.0), CgmSample(600, 110.0), CgmSample(1200, 120.0), CgmSample(1800, 130.0)]
    (live,) = cgm.events(batch, 30)  # after a dropout: only the newest is live
    assert live.measured_tick == 30
    assert cgm.counters.backfilled == 2 and cgm.counters.duplicates == 2 and cgm.counters.gaps == 1
    assert cgm.events([CgmSample(900, 115.0)], 31) == [] and cgm.counters.backfilled == 3
    assert [tick for tick, _ in cgm.history] == [10, 20, 15]


def test_reading_before_the_epoch_is_dropped() -> None:
    cgm = CgmInput(C, epoch_s=10_000)
    assert cgm.events([CgmSample(9_000, 100.0)], 0) == [] and cgm.counters.before_epoch == 1


def test_age_is_judged_by_the_kernel_not_the_adapter() -> None:
    r = rig(therapy=settings(lgs_enabled=True))
    r.ticks(30)
    cgm = CgmInput(C)
    (old,) = cgm.events([CgmSample(0, 120.0)], r.shell.now)  # 30 minutes old: passed on
    result = r.shell.submit(old)
    assert result is not None and result.outcome.accepted
    assert not r.shell.state.glucose.valid  # the kernel refused to use it (TOO_OLD)


def test_a_low_reading_suspends_through_the_kernel() -> None:
    r = rig(therapy=settings(lgs_enabled=True))
    cgm = CgmInput(C)
    r.ticks(3)
    for event in cgm.events([CgmSample(r.shell.now * 60, "LOW")], r.shell.now):
        r.shell.submit(event)
    assert r.shell.state.mode == Mode.LGS_SUSPENDED  # SEN-5: the sensor's LOW is a low


def test_simulated_cgm_noise_dropouts_backfill_duplicates() -> None:
    sensor = SimulatedCgm(
        lambda t: 120.0, noise_mgdl=10, dropout_chance=0.1, dropout_ticks=20, duplicate_chance=0.2, seed=3
    )
    batches = [sensor.poll(t) for t in range(0, 1440)]
    samples = [s for batch in batches for s in batch]
    assert all(s.time_s % 300 == 0 for s in samples)
    values = [float(s.value) for s in samples if isinstance(s.value, float)]
    assert 100 < sum(values) / len(values) < 140 and max(values) - min(values) > 10
    assert any(len(batch) > 2 for batch in batches)  # a dropout's backfill arrives together
    cgm = CgmInput(C)
    passed = [e for t, batch in enumerate(batches) for e in cgm.events(batch, t)]
    assert cgm.counters.backfilled > 0 and cgm.counters.duplicates > 0 and cgm.counters.gaps > 0
    assert [e.measured_tick for e in passed] == sorted({e.measured_tick for e in passed})
    again = SimulatedCgm(
        lambda t: 120.0, noise_mgdl=10, dropout_chance=0.1, dropout_ticks=20, duplicate_chance=0.2, seed=3
    )
    assert [again.poll(t) for t in range(0, 1440)] == batches


def test_simulated_cgm_low_high_and_mmoll() -> None:
    low = SimulatedCgm(lambda t: 30.0)
    high = SimulatedCgm(lambda t: 450.0)
    mmol = SimulatedCgm(lambda t: 180.0, unit=GlucoseUnit.MMOLL)
    assert low.poll(0)[0].value == "LOW" and high.poll(0)[0].value == "HIGH"
    assert mmol.poll(0)[0].value == 10.0
