"""Manual suspend, low-glucose suspend, predictive suspend, their end and lockout (SUS-1..4, ALM-2).

SUS-1: suspend stops everything within the tick; only an explicit resume
ends it; a reminder repeats every 15 minutes.  SUS-2: a valid reading at or
below the threshold suspends basal and boluses.  SUS-3: a linear prediction
over 30 minutes from two valid readings at most 15 minutes apart suspends
before the low.  SUS-4: an automatic suspension ends after 2 hours at most
(then a 30-minute lockout), earlier when glucose is above the threshold and
rising; a manual resume locks automatic suspension out for 30 minutes.
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
    """SUS-2: a valid reading at (not only below) the threshold suspends at once, with its alarm."""
    pump = _lgs_pump()
    pump.glucose(THRESHOLD + 1)
    assert pump.mode == Mode.DELIVERING
    pump.tick()
    result = pump.glucose(THRESHOLD)
    assert pump.mode == Mode.LGS_SUSPENDED
    assert AlarmKind.LOW_GLUCOSE_SUSPEND in announced(result)
    assert sum(per_tick(pump.ticks(10))) == 0


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
    """SUS-3: 120 then 115 five minutes later predicts 85 in 30 minutes (<= 70 + 20): suspend now."""
    pump = _lgs_pump(predictive=True)
    pump.glucose(120)
    pump.ticks(5)
    pump.glucose(115)
    assert pump.mode == Mode.LGS_SUSPENDED


def test_prediction_boundary() -> None:
    """SUS-3: exactly threshold + margin in 30 minutes suspends; one mg/dL above does not."""
    for latest, expected in ((110, Mode.LGS_SUSPENDED), (111, Mode.DELIVERING)):
        pump = _lgs_pump(predictive=True)
        pump.glucose(120)
        pump.ticks(15)
        pump.glucose(latest)
        assert pump.mode == expected, latest


def test_prediction_needs_readings_close_together() -> None:
    """SUS-3: two readings more than 15 minutes apart give no trend."""
    pump = _lgs_pump(predictive=True)
    pump.glucose(130)
    pump.ticks(16)
    pump.glucose(100)
    assert pump.mode == Mode.DELIVERING


def test_prediction_off_when_switched_off() -> None:
    """SUS-3: predictive suspend has its own switch."""
    pump = _lgs_pump(predictive=False)
    pump.glucose(120)
    pump.ticks(5)
    pump.glucose(100)
    assert pump.mode == Mode.DELIVERING


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
    """SUS-4: above the threshold and rising (and not predicted low) ends it, with ``RECOVERED``."""
    pump = _lgs_pump(predictive=True)
    pump.glucose(THRESHOLD - 5)
    pump.ticks(5)
    result = pump.glucose(THRESHOLD + 2)
    assert pump.mode == Mode.DELIVERING
    assert [n.a for n in notices(result, NoticeKind.LGS_ENDED)] == [LgsEnd.RECOVERED]


def test_above_threshold_but_falling_stays_suspended() -> None:
    """SUS-4: above the threshold is not enough while glucose is falling (a predictive suspension)."""
    pump = _lgs_pump(predictive=True)
    pump.glucose(120)
    pump.ticks(15)
    pump.glucose(110)
    assert pump.mode == Mode.LGS_SUSPENDED
    pump.ticks(5)
    pump.glucose(105)
    pump.ticks(5)
    assert pump.mode == Mode.LGS_SUSPENDED


def test_manual_resume_locks_automatic_suspension_out_for_30_minutes() -> None:
    """SUS-4: after the user resumes, low readings do not suspend for 30 minutes; then they do."""
    pump = _lgs_pump()
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
    pump.glucose(THRESHOLD - 5)
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
