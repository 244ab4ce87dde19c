"""Rolling hourly and daily limits, limits enforced per pulse, IOB, uncertain delivery (LIM-1..5, RES-3).

The window tests check the kernel against an independent reference: the
therapy pulses commanded in each tick, summed over *every* sliding window of
60 and 1440 ticks, must stay within the limits (LIM-1, LIM-2).  The kernel's
rings are conservative by at most one bucket (5 minutes for the hour, an
hour for the day); the tests also check that delivery resumes within that
slack, so the limit is not enforced by simply stopping.
"""

from __future__ import annotations

from itertools import accumulate, pairwise

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import NoticeKind
from kernel.events import Source, TempKind
from kernel.iob import iob_pulses
from kernel.logic import PY
from kernel.reasons import Reason, StopCause
from kernel.state import PumpState, evolve
from kernel.units import MU_PER_UNIT
from tests.helpers import (
    C,
    Pump,
    announced,
    assert_refused,
    delivering_pump,
    flat_settings,
    notices,
    per_tick,
    therapy_pulses,
)


def _window_sums(pulses: list[int], width: int) -> list[int]:
    """Sum of every ``width``-tick window (the first windows are partial, starting at tick 1)."""
    prefix = [0, *accumulate(pulses)]
    return [prefix[end] - prefix[max(0, end - width)] for end in range(1, len(prefix))]


def _iob(state: PumpState) -> int:
    return iob_pulses(state.settings, state.windows, PY)


def _ticks_recording(pump: Pump, count: int, every: int, make: object | None = None) -> list[int]:
    """Tick ``count`` times; every ``every`` ticks apply ``make(pump)`` first.  Therapy pulses per tick."""
    out: list[int] = []
    for minute in range(count):
        pulses = 0
        if make is not None and minute % every == 0:
            pulses += therapy_pulses(make(pump))  # type: ignore[operator]
        pulses += therapy_pulses(pump.tick())
        out.append(pulses)
    return out


def test_hourly_limit_holds_over_every_sliding_hour() -> None:
    """LIM-1, LIM-3: basal at max basal plus boluses every 20 minutes for 6 hours: every 60-tick window stays
    within the hourly limit, the limit binds, and basal is withheld (never caught up)."""
    settings = flat_settings(
        40 * C.pulse_mu, max_basal_mu_per_hour=40 * C.pulse_mu, max_bolus_mu=3 * MU_PER_UNIT, max_hourly_mu=5000
    )
    limit = settings.max_hourly_pulses
    pump = delivering_pump(settings, keep=False)
    pulses = _ticks_recording(pump, 6 * 60, 20, lambda p: p.bolus(p.state.settings.max_bolus_pulses))
    sums = _window_sums(pulses, 60)
    assert max(sums) <= limit
    assert max(sums) >= limit - settings.max_bolus_pulses, "the limit was reached"
    assert pump.state.totals.withheld_pulses > 0


def test_daily_limit_holds_over_every_sliding_day() -> None:
    """LIM-2, LIM-3: two days of basal, boluses and extended boluses: every 1440-tick window stays within the
    daily limit (a rolling window, not a calendar day), and the hour windows within the hourly limit."""
    settings = flat_settings(
        16 * C.pulse_mu,
        max_basal_mu_per_hour=40 * C.pulse_mu,
        max_bolus_mu=5 * MU_PER_UNIT,
        max_hourly_mu=6 * MU_PER_UNIT,
        max_daily_mu=20 * MU_PER_UNIT,
    )
    pump = delivering_pump(settings, keep=False)

    def meal(p: Pump) -> object:
        if p.now % 180 == 0:
            return p.bolus(0, 60, 90)
        return p.bolus(50)

    pulses = _ticks_recording(pump, 2 * 1440, 60, meal)
    assert max(_window_sums(pulses, 1440)) <= settings.max_daily_pulses
    assert max(_window_sums(pulses, 60)) <= settings.max_hourly_pulses
    assert max(_window_sums(pulses, 1440)) >= settings.max_daily_pulses - 60, "the daily limit was reached"
    assert pump.state.totals.withheld_pulses > 0


def test_hour_window_frees_room_within_one_bucket_of_an_hour() -> None:
    """LIM-1: after the hourly limit is used up at once, basal resumes 60 to 65 minutes later (conservative by
    at most one 5-minute bucket), and nothing withheld is delivered later."""
    settings = flat_settings(
        60 * C.pulse_mu, max_basal_mu_per_hour=60 * C.pulse_mu, max_bolus_mu=5000, max_hourly_mu=5000
    )
    pump = delivering_pump(settings)
    pump.bolus(settings.max_hourly_pulses - 1)
    delivered = per_tick(pump.ticks(90))
    resumed = next(t for t in range(10, 90) if delivered[t] > 0) + 1
    assert 60 <= resumed <= 66
    assert max(_window_sums(delivered, 60)) <= settings.max_hourly_pulses
    assert max(delivered[resumed - 1 :]) == 1, "no catch-up after the limit"


def test_limit_reached_in_the_middle_of_a_bolus() -> None:
    """LIM-3: the bolus stops at the pulse that would break the hourly limit; the user is told what was and
    was not delivered and why, and the LIMIT_REACHED alarm sounds."""
    settings = flat_settings(
        60 * C.pulse_mu, max_basal_mu_per_hour=60 * C.pulse_mu, max_bolus_mu=5000, max_hourly_mu=5000
    )
    pump = delivering_pump(settings)
    pump.ticks(40)
    pump.bolus(60)  # accepted: the hour holds 40 of 100
    first, second, third = pump.ticks(3)
    assert therapy_pulses(first) == 1 + 30
    assert therapy_pulses(second) == 1 + 28
    [ended] = notices(second, NoticeKind.BOLUS_ENDED)
    assert (ended.a, ended.b, ended.c) == (58, 2, StopCause.HOURLY_LIMIT)
    assert AlarmKind.LIMIT_REACHED in announced(second)
    [withheld] = notices(third, NoticeKind.BASAL_WITHHELD)
    assert (withheld.a, withheld.b) == (1, StopCause.HOURLY_LIMIT)
    assert therapy_pulses(third) == 0


def test_extended_bolus_is_cut_by_the_hourly_limit() -> None:
    """LIM-3, BOL-2: the extended part obeys the limits as it is delivered: it stops with a notice."""
    settings = flat_settings(0, max_bolus_mu=5000, max_hourly_mu=5000)
    pump = delivering_pump(settings)
    pump.bolus(60)
    pump.ticks(2)
    pump.accept(ev.BolusRequest(pump.now, 8080, Source.USER, 0, 100, 30))
    results = pump.ticks(30)
    assert sum(per_tick(results)) == 40
    ended = [n for r in results for n in notices(r, NoticeKind.EXTENDED_ENDED)]
    assert [(n.a, n.b, n.c) for n in ended] == [(40, 60, StopCause.HOURLY_LIMIT)]


def test_bolus_cut_by_the_daily_limit_says_daily() -> None:
    """LIM-2, LIM-3: when the day window is the tighter one, an extended bolus that basal squeezes out of
    the day's room stops with the daily limit as its cause."""
    settings = flat_settings(
        4 * C.pulse_mu, max_basal_mu_per_hour=4 * C.pulse_mu, max_bolus_mu=5000, max_hourly_mu=5000, max_daily_mu=5000
    )
    pump = delivering_pump(settings)
    pump.bolus(60)
    pump.ticks(70)  # the hour window has emptied; the day window still holds the bolus
    state = pump.state
    room = settings.max_daily_pulses - sum(state.windows.day_pulses)
    assert room < settings.max_hourly_pulses - sum(state.windows.hour_pulses)
    pump.accept(ev.BolusRequest(pump.now, 8181, Source.USER, 0, room, 60))
    results = pump.ticks(60)
    ended = [n for r in results for n in notices(r, NoticeKind.EXTENDED_ENDED)]
    assert len(ended) == 1
    assert ended[0].c == StopCause.DAILY_LIMIT
    assert ended[0].a + ended[0].b == room and ended[0].b > 0
    assert sum(pump.state.windows.day_pulses) == settings.max_daily_pulses


def test_bolus_request_checks_the_windows() -> None:
    """LIM-1, LIM-2: a request whose immediate part does not fit the hour, or whose whole amount does not fit
    the day, is refused up front."""
    settings = flat_settings(0, max_bolus_mu=5000, max_hourly_mu=5000, max_daily_mu=6000)
    pump = delivering_pump(settings)
    pump.bolus(70)
    pump.ticks(3)
    assert_refused(pump, ev.BolusRequest(pump.now, 1, Source.USER, 31), Reason.HOURLY_LIMIT)
    assert_refused(pump, ev.BolusRequest(pump.now, 2, Source.USER, 0, 51, 60), Reason.DAILY_LIMIT)
    pump.accept(ev.BolusRequest(pump.now, 3, Source.USER, 30))


def test_priming_does_not_count_toward_limits_or_iob() -> None:
    """RES-3, LIM-1, LIM-4: the prime and cannula fill draw on the reservoir but no window and no IOB."""
    pump = delivering_pump(flat_settings(0), prime=C.prime_max_pulses, cannula=C.cannula_max_pulses)
    w = pump.state.windows
    assert sum(w.hour_pulses) == sum(w.day_pulses) == sum(w.iob_pulses) == 0
    assert _iob(pump.state) == 0
    assert pump.state.totals.prime_pulses == C.prime_max_pulses + C.cannula_max_pulses
    assert pump.state.totals.basal_pulses + pump.state.totals.bolus_pulses == 0


# LIM-4: insulin on board.


def test_iob_of_a_bolus_decays_to_zero_after_the_action_time() -> None:
    """LIM-4: IOB is the whole bolus at first, never increases without delivery, and is 0 after DIA."""
    pump = delivering_pump(flat_settings(0, dia_minutes=240))
    pump.bolus(100)
    pump.ticks(4)
    values = []
    for _ in range(260):
        values.append(_iob(pump.state))
        pump.tick()
    assert values[0] == 100
    assert all(later <= earlier for earlier, later in pairwise(values))
    assert values[-1] == 0
    assert values[60] > 50, "a one-hour-old bolus is still mostly on board"


def test_longer_action_time_never_gives_less_iob() -> None:
    """LIM-4: with a longer DIA the same history has at least as much insulin on board."""
    pump = delivering_pump(flat_settings(0))
    pump.bolus(100)
    pump.ticks(90)
    state = pump.state
    previous = 0
    for dia_index in range(13):
        settings = evolve(state.settings, dia_index=dia_index)
        value = iob_pulses(settings, state.windows, PY)
        assert value >= previous
        previous = value


def test_iob_includes_basal() -> None:
    """LIM-4: IOB counts every therapy pulse the kernel commanded, basal included."""
    pump = delivering_pump(flat_settings(60 * C.pulse_mu))
    pump.ticks(30)
    assert _iob(pump.state) == 30


def test_controller_bolus_at_exactly_max_iob_is_accepted() -> None:
    """LIM-4: IOB plus the request may reach max IOB but not exceed it."""
    pump = delivering_pump(flat_settings(0, controller_enabled=True, max_iob_mu=5 * MU_PER_UNIT))
    pump.bolus(60)
    pump.ticks(3)
    pump.glucose(150)
    iob = _iob(pump.state)
    room = pump.state.settings.max_iob_pulses - iob
    assert_refused(pump, ev.BolusRequest(pump.now, 1, Source.CONTROLLER, room + 1), Reason.MAX_IOB)
    pump.accept(ev.BolusRequest(pump.now, 2, Source.CONTROLLER, room))


# LIM-5: uncertain delivery counts.


def test_unconfirmed_delivery_counts_for_limits_iob_and_reservoir() -> None:
    """LIM-5, DLV-2: a commanded but unconfirmed bolus is counted in every window, IOB and the reservoir,
    and stays counted when it is finally assumed delivered."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    reservoir = pump.state.reservoir.pulses
    pump.bolus(30)
    pump.tick()
    assert pump.state.motor.pending_pulses == 30
    w = pump.state.windows
    assert (sum(w.hour_pulses), sum(w.day_pulses), sum(w.iob_pulses)) == (30, 30, 30)
    assert pump.state.reservoir.pulses == reservoir - 30
    for _ in range(C.motor_ack_timeout_ticks + 1):
        pump.tick()
    assert pump.state.motor.pending_pulses == 0
    w = pump.state.windows
    assert (sum(w.hour_pulses), sum(w.day_pulses), sum(w.iob_pulses)) == (30, 30, 30)
    assert pump.state.reservoir.pulses == reservoir - 30


def test_partial_confirmation_does_not_reduce_the_counts() -> None:
    """LIM-5, OCC-3: a report of fewer pulses displaced keeps the full amount counted (the safe side)."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.bolus(30)
    pump.tick()
    pump.accept(ev.MotorReport(pump.now, pump.state.motor.seq, 10))
    assert sum(pump.state.windows.hour_pulses) == 30
    assert _iob(pump.state) == 30


def test_limit_reached_alarm_is_medium_and_does_not_stop_basal_for_good() -> None:
    """LIM-3, ALM-1: the limit alarm does not stop delivery: basal resumes when the window has room."""
    settings = flat_settings(
        60 * C.pulse_mu, max_basal_mu_per_hour=60 * C.pulse_mu, max_bolus_mu=5000, max_hourly_mu=5000
    )
    pump = delivering_pump(settings)
    pump.bolus(100)
    pump.ticks(70)
    assert pump.state.alarms[AlarmKind.LIMIT_REACHED] == AlarmStatus.ACTIVE
    assert per_tick(pump.ticks(3)) == [1, 1, 1]


def test_temp_basal_is_limited_per_pulse() -> None:
    """LIM-3: a temp basal that would exceed the hourly limit is withheld pulse by pulse, with notices."""
    settings = flat_settings(0, max_basal_mu_per_hour=60 * C.pulse_mu, max_bolus_mu=3000, max_hourly_mu=3000)
    pump = delivering_pump(settings)
    pump.temp(TempKind.ABSOLUTE, 60, 120)
    results = pump.ticks(120)
    delivered = per_tick(results)
    assert max(_window_sums(delivered, 60)) <= 60
    withheld = [n for r in results for n in notices(r, NoticeKind.BASAL_WITHHELD)]
    assert withheld and all(n.b == StopCause.HOURLY_LIMIT for n in withheld)
    assert sum(delivered) + sum(n.a for n in withheld) == 120, "every due pulse is delivered or reported withheld"
    assert pump.state.totals.withheld_pulses == sum(n.a for n in withheld)
