"""Manual suspend, low-glucose suspend, predictive suspend, their end and lockout (SUS-1..4, ALM-2).

SUS-1: suspend stops everything within the tick; only an explicit resume
ends it; a reminder repeats every 15 minutes.  SUS-2: a valid reading at or
below the threshold suspends basal and boluses.  SUS-3: a linear prediction
over 30 minutes, fitted over the last four valid readings, suspends before
the low while glucose is within a band above the threshold.  SUS-4: an
automatic suspension ends after 2 hours at most (then a 30-minute lockout),
earlier -- after its minimum -- when glucose is above the threshold by the
resume margin and rising; a manual resume locks automatic suspension out for
30 minutes.
ALM-2: auto-off after the configured time without user interaction.
"""

from __future__ import annotations

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import LgsEnd, NoticeKind
from kernel.events import GlucoseStatus, TempKind
from kernel.modes import Mode
from kernel.reasons import Reason, StopCause
from tests.helpers import (
    LGS_SETTINGS,
    C,
    Pump,
    all_notices,
    announced,
    assert_refused,
    delivering_pump,
    delivers,
    flat_settings,
    notices,
    per_tick,
    quiet_settings,
)

ONE_PER_MINUTE = 60 * C.pulse_mu
THRESHOLD = LGS_SETTINGS.lgs_threshold_mgdl


def _lgs_pump(predictive: bool = False, rate_mu: int = ONE_PER_MINUTE) -> Pump:
    return delivering_pump(flat_settings(rate_mu, lgs_enabled=True, predictive_suspend_enabled=predictive))


# SUS-1


def test_suspend_stops_all_delivery_in_the_tick() -> None:
    """SUS-1: after a suspend nothing is commanded; bolus, extended bolus and temp end with notices."""
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE))
    pump.temp(TempKind.PERCENT, 150, 60)
    pump.bolus(100, 30, 30)
    pump.tick()
    result = pump.accept(ev.Suspend(pump.now))
    assert delivers(result) == []
    assert notices(result, NoticeKind.BOLUS_ENDED)[0].c == StopCause.DELIVERY_STOPPED
    assert notices(result, NoticeKind.EXTENDED_ENDED)[0].c == StopCause.DELIVERY_STOPPED
    assert notices(result, NoticeKind.TEMP_BASAL_ENDED)[0].a == StopCause.DELIVERY_STOPPED
    assert sum(per_tick(pump.ticks(120))) == 0


def test_suspend_needs_an_explicit_resume() -> None:
    """SUS-1: a suspension never ends by itself; resume restarts basal (no catch-up), not the bolus."""
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE))
    pump.bolus(100)
    pump.accept(ev.Suspend(pump.now))
    pump.ticks(6 * 60)
    assert pump.mode == Mode.SUSPENDED
    pump.accept(ev.Resume(pump.now))
    assert per_tick(pump.ticks(5)) == [1] * 5
    assert pump.state.totals.bolus_pulses == 0


def test_suspend_reminder_repeats_every_15_minutes() -> None:
    """SUS-1: while suspended a reminder comes every ``suspend_reminder_ticks`` with the time so far."""
    pump = delivering_pump()
    pump.ticks(7)
    pump.accept(ev.Suspend(pump.now))
    results = pump.ticks(61)
    reminders = [(i + 1, n.a) for i, r in enumerate(results) for n in notices(r, NoticeKind.SUSPEND_REMINDER)]
    assert reminders == [(15, 15), (30, 30), (45, 45), (60, 60)]
    pump.accept(ev.Resume(pump.now))
    assert all_notices(pump.ticks(60), NoticeKind.SUSPEND_REMINDER) == []


def test_suspend_from_automatic_suspension_becomes_manual() -> None:
    """SUS-1: the user can turn an automatic suspension into a manual one (which never ends by itself)."""
    pump = _lgs_pump()
    pump.glucose(THRESHOLD - 5)
    assert pump.mode == Mode.LGS_SUSPENDED
    pump.accept(ev.Suspend(pump.now))
    pump.ticks(3 * 60)
    assert pump.mode == Mode.SUSPENDED


# SUS-2


def test_reading_at_the_threshold_suspends() -> None:
    """SUS-2: a valid reading at (not only below) the threshold suspends at once; the alarm asking a person to
    treat the low comes with the next reading at or below the threshold (one reading of alarm-condition
    delay against sensor noise, ALM-5), or at once on the sensor's own LOW."""
    pump = _lgs_pump()
    pump.glucose(THRESHOLD + 1)
    assert pump.mode == Mode.DELIVERING
    pump.tick()
    result = pump.glucose(THRESHOLD)
    assert pump.mode == Mode.LGS_SUSPENDED
    assert announced(result) == []
    assert sum(per_tick(pump.ticks(5))) == 0
    result = pump.glucose(THRESHOLD)
    assert AlarmKind.LOW_GLUCOSE_SUSPEND in announced(result)
    pump = _lgs_pump()
    result = pump.glucose(0, status=GlucoseStatus.LOW)
    assert pump.mode == Mode.LGS_SUSPENDED
    assert AlarmKind.LOW_GLUCOSE_SUSPEND in announced(result)


def test_one_low_reading_between_normal_ones_does_not_alarm() -> None:
    """ALM-5: a single reading at the threshold suspends (SUS-2) but, followed by a normal one, calls no person."""
    pump = _lgs_pump()
    pump.glucose(THRESHOLD)
    pump.ticks(5)
    result = pump.glucose(THRESHOLD + 15)
    assert announced(result) == []
    assert pump.state.alarms[AlarmKind.LOW_GLUCOSE_SUSPEND] == AlarmStatus.CLEAR


def test_low_glucose_suspend_stops_an_extended_bolus() -> None:
    """SUS-2: basal and a running extended bolus are suspended."""
    pump = _lgs_pump()
    pump.bolus(0, 60, 60)
    pump.ticks(5)
    result = pump.glucose(THRESHOLD - 10)
    [ended] = notices(result, NoticeKind.EXTENDED_ENDED)
    assert ended.c == StopCause.DELIVERY_STOPPED
    assert sum(per_tick(pump.ticks(10))) == 0


def test_no_low_glucose_suspend_when_switched_off() -> None:
    """SUS-2: with the feature off, a low reading suspends nothing."""
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE, lgs_enabled=False))
    pump.glucose(45)
    assert pump.mode == Mode.DELIVERING


def test_invalid_low_reading_does_not_suspend() -> None:
    """SUS-2, SEN-1: a reading with an error status is not used, however low."""
    pump = _lgs_pump()
    pump.glucose(50, status=GlucoseStatus.SENSOR_ERROR)
    pump.glucose(50, status=GlucoseStatus.WARM_UP)
    assert pump.mode == Mode.DELIVERING


# SUS-3


def test_predicted_low_suspends_before_the_low() -> None:
    """SUS-3: 105, 100, 95, 90 five minutes apart fit a fall of 1 mg/dL a minute: 60 predicted in 30 minutes
    (<= 70 + 20), and 90 is within the band: suspend on the fourth reading, not before (no trend from three);
    a predictive suspension is an information signal (a mode change), not an alarm."""
    pump = _lgs_pump(predictive=True)
    results = pump.readings([105, 100, 95])
    assert pump.mode == Mode.DELIVERING
    pump.ticks(5)
    result = pump.glucose(90)
    assert pump.mode == Mode.LGS_SUSPENDED
    assert [n.b for n in notices(result, NoticeKind.MODE_CHANGED)] == [Mode.LGS_SUSPENDED]
    assert announced(result) == [] and all(announced(r) == [] for r in results)


def test_prediction_boundary() -> None:
    """SUS-3: four readings at 90 predict exactly threshold + margin (90): suspend.  89, 89, 89, 90 fit a
    slight rise (90.3 predicted): no suspension, though the newest reading is the same."""
    for readings, expected in (([90, 90, 90, 90], Mode.LGS_SUSPENDED), ([89, 89, 89, 90], Mode.DELIVERING)):
        pump = _lgs_pump(predictive=True)
        pump.readings(readings)
        assert pump.mode == expected, readings


def test_prediction_only_near_the_threshold() -> None:
    """SUS-3: a fast fall far above the band (150 to 120 in 15 minutes, 60 predicted) does not suspend yet;
    the same fall suspends once the newest reading is within threshold + band (the two-reading rule of
    before suspended at 130-150 mg/dL on noise, issue 18)."""
    pump = _lgs_pump(predictive=True)
    pump.readings([150, 140, 130, 120])
    assert pump.mode == Mode.DELIVERING
    band_top = THRESHOLD + C.lgs_predict_band_mgdl
    pump.ticks(5)
    pump.glucose(band_top + 1)
    assert pump.mode == Mode.DELIVERING
    pump.ticks(5)
    pump.glucose(band_top)
    assert pump.mode == Mode.LGS_SUSPENDED


def test_one_noisy_reading_moves_the_fit_less_than_a_line_through_two() -> None:
    """SUS-3: after 100, 100, 100 a reading of 92 (within noise) predicts 88 by the fit, against 44 by a
    straight line through the last two; the fit suspends only because 88 <= 90, not at a steep predicted fall;
    and a reading of 95 does not suspend (band) though two readings would predict 65."""
    pump = _lgs_pump(predictive=True)
    pump.readings([100, 100, 100, 95])
    assert pump.mode == Mode.DELIVERING


def test_prediction_needs_readings_spread_over_the_span() -> None:
    """SUS-3: four readings spanning more than 31 minutes, or less than ``lgs_trend_span_min_ticks``, or with
    one gap longer than half the span, give no trend."""
    for readings, every in (([100, 95, 90, 85], 11), ([92, 91, 90, 89], 2)):
        pump = _lgs_pump(predictive=True)
        pump.readings(readings, every=every)
        assert pump.mode == Mode.DELIVERING, (readings, every)
    pump = _lgs_pump(predictive=True)
    pump.glucose(100)
    pump.ticks(2)
    pump.glucose(98)
    pump.ticks(2)
    pump.glucose(96)
    pump.ticks(10)
    pump.glucose(89)
    assert pump.mode == Mode.DELIVERING


def test_prediction_off_when_switched_off() -> None:
    """SUS-3: predictive suspend has its own switch."""
    pump = _lgs_pump(predictive=False)
    pump.readings([105, 100, 95, 90])
    assert pump.mode == Mode.DELIVERING


def test_a_measured_low_during_a_predictive_suspension_alarms() -> None:
    """SUS-2, ALM-5: the low-glucose alarm asks a person to treat a measured low; it comes when a reading at or
    below the threshold arrives during a predictive suspension."""
    pump = _lgs_pump(predictive=True)
    pump.readings([105, 100, 95, 90])
    assert pump.state.alarms[AlarmKind.LOW_GLUCOSE_SUSPEND] == AlarmStatus.CLEAR
    pump.ticks(5)
    assert announced(pump.glucose(THRESHOLD)) == []
    pump.ticks(5)
    result = pump.glucose(THRESHOLD - 2)
    assert AlarmKind.LOW_GLUCOSE_SUSPEND in announced(result)


# SUS-4


def test_automatic_suspension_ends_after_two_hours_then_locks_out() -> None:
    """SUS-4: with glucose staying low, basal resumes after exactly 2 h; for 30 min a low does not suspend;
    then it suspends again."""
    pump = _lgs_pump()
    pump.glucose(THRESHOLD - 5)
    start = pump.now
    events: list[tuple[int, int, int]] = []
    delivered: list[int] = []
    for _ in range(160):
        if pump.now % 5 == 0:
            pump.glucose(THRESHOLD - 5)
        result = pump.tick()
        delivered.append(per_tick([result])[0])
        events += [(pump.now - start, n.a, n.b) for n in notices(result, NoticeKind.MODE_CHANGED)]
        if notices(result, NoticeKind.LGS_ENDED):
            assert notices(result, NoticeKind.LGS_ENDED)[0].a == LgsEnd.MAX_DURATION
    assert events == [
        (C.lgs_max_ticks, Mode.LGS_SUSPENDED, Mode.DELIVERING),
        (C.lgs_max_ticks + C.lgs_lockout_ticks, Mode.DELIVERING, Mode.LGS_SUSPENDED),
    ]
    assert sum(delivered[: C.lgs_max_ticks - 1]) == 0
    assert delivered[C.lgs_max_ticks - 1 : C.lgs_max_ticks + C.lgs_lockout_ticks - 1] == [1] * C.lgs_lockout_ticks


def test_automatic_suspension_ends_early_when_glucose_recovers() -> None:
    """SUS-4: after the minimum suspension, rising readings above threshold + resume margin whose trend
    predicts above threshold + margin + resume margin end it, with ``RECOVERED``."""
    pump = _lgs_pump(predictive=True)
    pump.glucose(THRESHOLD - 5)
    start = pump.now
    ends: list[tuple[int, int]] = []
    for mgdl in (THRESHOLD, 78, 85, 92, 100, 108):
        for result in [*pump.ticks(5), pump.glucose(mgdl)]:
            ends += [(pump.now - start, n.a) for n in notices(result, NoticeKind.LGS_ENDED)]
    assert pump.mode == Mode.DELIVERING
    # At 30 minutes (the minimum) the readings 78, 85, 92, 100 of minutes 10-25 predict 124 mg/dL.
    assert ends == [(C.lgs_min_ticks, LgsEnd.RECOVERED)]


def test_recovery_waits_for_the_minimum_suspension() -> None:
    """SUS-4: a fast recovery within ``lgs_min_ticks`` does not end the suspension; the first reading after
    the minimum that still shows recovery does."""
    pump = _lgs_pump(predictive=True)
    pump.glucose(THRESHOLD - 5)
    start = pump.now
    pump.ticks(5)
    pump.readings([THRESHOLD + 10, THRESHOLD + 25, THRESHOLD + 40, THRESHOLD + 55, THRESHOLD + 70])
    assert pump.now - start == 25 < C.lgs_min_ticks
    assert pump.mode == Mode.LGS_SUSPENDED
    pump.ticks(5)
    pump.glucose(THRESHOLD + 85)
    assert pump.mode == Mode.DELIVERING


def test_recovery_needs_the_resume_margin() -> None:
    """SUS-4 (hysteresis): rising readings that stay at or below threshold + resume margin keep the pump
    suspended, so glucose hovering near the threshold cannot switch basal on and off."""
    pump = _lgs_pump(predictive=True)
    pump.glucose(THRESHOLD - 5)
    top = THRESHOLD + C.lgs_resume_margin_mgdl
    pump.readings([top - 9, top - 6, top - 3, top - 2, top - 1, top, top, top], every=5)
    assert pump.mode == Mode.LGS_SUSPENDED


def test_above_threshold_but_falling_stays_suspended() -> None:
    """SUS-4: above the threshold is not enough while glucose is falling (a predictive suspension)."""
    pump = _lgs_pump(predictive=True)
    pump.readings([105, 100, 95, 90])
    assert pump.mode == Mode.LGS_SUSPENDED
    pump.readings([120, 115, 110, 105, 100, 95, 92], every=5)
    assert pump.mode == Mode.LGS_SUSPENDED


def test_manual_resume_locks_automatic_suspension_out_for_30_minutes() -> None:
    """SUS-4: after the user resumes, low readings do not suspend for 30 minutes; then they do."""
    pump = _lgs_pump()
    pump.glucose(THRESHOLD - 5)
    pump.tick()
    pump.glucose(THRESHOLD - 5)
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.LOW_GLUCOSE_SUSPEND))
    pump.accept(ev.Resume(pump.now))
    assert pump.mode == Mode.DELIVERING
    for _ in range(C.lgs_lockout_ticks - 1):
        pump.tick()
        pump.glucose(THRESHOLD - 5)
        assert pump.mode == Mode.DELIVERING
    pump.tick()
    pump.glucose(THRESHOLD - 5)
    assert pump.mode == Mode.LGS_SUSPENDED


def test_resume_from_automatic_suspension_needs_high_alarms_acknowledged() -> None:
    """SUS-1, ALM-1: the low-glucose alarm is medium priority and does not block a resume."""
    pump = _lgs_pump()
    pump.glucose(0, status=GlucoseStatus.LOW)
    assert pump.state.alarms[AlarmKind.LOW_GLUCOSE_SUSPEND] == AlarmStatus.ACTIVE
    pump.accept(ev.Resume(pump.now))


def test_automatic_suspension_outlasts_a_lost_sensor_up_to_its_maximum() -> None:
    """SUS-4, SEN-4: a lost sensor does not end the suspension (nothing shows that glucose recovered); the
    user is told by the sensor alarm; the suspension ends at its maximum and basal resumes."""
    pump = _lgs_pump()
    pump.glucose(THRESHOLD - 5)
    results = pump.ticks(C.lgs_max_ticks)
    ended = [(i + 1, n.a) for i, r in enumerate(results) for n in notices(r, NoticeKind.LGS_ENDED)]
    assert ended == [(C.lgs_max_ticks, LgsEnd.MAX_DURATION)]
    assert per_tick(results[: C.lgs_max_ticks - 1]) == [0] * (C.lgs_max_ticks - 1)
    assert pump.mode == Mode.DELIVERING
    assert pump.state.alarms[AlarmKind.SENSOR_UNAVAILABLE] == AlarmStatus.ACTIVE
    assert per_tick(pump.ticks(3)) == [1, 1, 1]


def test_switching_lgs_off_ends_an_automatic_suspension() -> None:
    """SUS-4: a settings change that switches the feature off ends the suspension."""
    pump = _lgs_pump()
    pump.glucose(THRESHOLD - 5)
    pump.accept(ev.SettingsChange(pump.now, flat_settings(ONE_PER_MINUTE, lgs_enabled=False)))
    assert pump.mode == Mode.DELIVERING


# ALM-2


def test_auto_off_after_the_configured_time_without_interaction() -> None:
    """ALM-2: with auto-off at 1 hour, delivery stops with a high alarm on the 60th idle minute; any
    button press restarts the count; ticks, motor reports and sensor readings do not."""
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE, auto_off_hours=1))
    pump.ticks(50)
    pump.accept(ev.UserPresent(pump.now))
    for _ in range(59):
        pump.tick()
        pump.do(ev.GlucoseReading(pump.now, pump.now, 120))
    assert pump.mode == Mode.DELIVERING
    result = pump.tick()
    assert pump.mode == Mode.AUTO_OFF
    assert delivers(result) == []
    assert pump.state.alarms[AlarmKind.AUTO_OFF] == AlarmStatus.ACTIVE
    assert_refused(pump, ev.Resume(pump.now), Reason.ALARM_UNACKNOWLEDGED)
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.AUTO_OFF))
    pump.accept(ev.Resume(pump.now))
    assert per_tick(pump.ticks(2)) == [1, 1]


def test_auto_off_can_be_switched_off() -> None:
    """ALM-2: ``auto_off_ticks == 0`` means never."""
    pump = delivering_pump(quiet_settings(auto_off_hours=0), keep=False)
    pump.ticks(25 * 60)
    assert pump.mode == Mode.DELIVERING
