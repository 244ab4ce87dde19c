"""Basal delivery: profile segments, midnight, time changes, no drift, max-basal clamp (BAS-1..4, U-2).

The delivery of tick ``t`` uses the segment of the local time *after* the
tick (the minute that starts then), so over a day each half-hour slot gets
exactly 30 ticks.  The reference values here are computed independently from
the profile in user units, never from kernel functions.
"""

from __future__ import annotations

from fractions import Fraction

from kernel import events as ev
from kernel.commands import NoticeKind
from kernel.events import TempKind
from kernel.state import evolve
from kernel.units import MU_PER_UNIT, SLOT_TICKS
from tests.helpers import (
    C,
    Pump,
    delivering_pump,
    flat_settings,
    notices,
    per_tick,
    quiet_settings,
)

ONE_PER_MINUTE = 60 * C.pulse_mu
"""A rate of 60 pulses an hour in mU/h: exactly one pulse every tick."""


def _alternating() -> Pump:
    """Slots alternate between one pulse a minute (even half hours) and nothing (odd half hours)."""
    segments = tuple((start, ONE_PER_MINUTE if (start // 30) % 2 == 0 else 0) for start in range(0, 1440, 30))
    return delivering_pump(quiet_settings(basal_segments_mu_per_hour=segments), keep=False)


def test_segment_boundaries_are_exact_over_a_day() -> None:
    """BAS-1, BAS-3: each tick delivers at the rate of the half hour it starts; every slot gets 30 ticks."""
    pump = _alternating()
    delivered = per_tick(pump.ticks(1440))
    expected = [1 if ((t % 1440) // SLOT_TICKS) % 2 == 0 else 0 for t in range(1, 1441)]
    assert delivered == expected
    assert sum(delivered) == 24 * 30


def test_midnight_rollover() -> None:
    """BAS-3: local time wraps to 0 at midnight and the first segment is in force again at once."""
    segments = ((0, ONE_PER_MINUTE), (30, 0), (1410, 0))
    pump = delivering_pump(quiet_settings(basal_segments_mu_per_hour=segments), keep=False)
    pump.ticks(1438)
    assert pump.state.time_of_day_ticks == 1438
    around = per_tick(pump.ticks(4))
    assert pump.state.time_of_day_ticks == 2
    assert around == [0, 1, 1, 1]  # 23:59 belongs to the last segment; 00:00, 00:01, 00:02 to the first


def test_no_drift_against_the_integral_of_the_programmed_rate() -> None:
    """BAS-2, U-2: over three days with awkward rates, cumulative delivered basal is always exactly the
    floor of the integral of the programmed rate: it differs by less than one pulse over any interval."""
    rates_mu = (350, 650, 0, 1150, 50, 2950)
    segments = tuple((i * 240, rates_mu[i]) for i in range(6))
    settings = quiet_settings(basal_segments_mu_per_hour=segments)
    pump = delivering_pump(settings, keep=False)
    integral = Fraction(0)
    delivered = 0
    for t in range(1, 3 * 1440 + 1):
        result = pump.tick()
        minute = t % 1440
        integral += Fraction(rates_mu[minute // 240], C.pulse_mu * 60)
        delivered += per_tick([result])[0]
        assert delivered == int(integral), (t, delivered, integral)
    assert 0 <= integral - delivered < 1
    totals = pump.state.totals
    assert totals.basal_pulses == delivered
    assert 6000 * (totals.basal_pulses + totals.withheld_pulses) + pump.state.basal.acc == (
        totals.basal_programmed_units
    )


def test_no_drift_with_percent_temps() -> None:
    """BAS-2, TMP-1: percent temps are exact too: 37 % of 13 pulses/h for 15 hours is 72.15 -> 72 pulses."""
    pump = delivering_pump(flat_settings(13 * C.pulse_mu), keep=False)
    pump.temp(TempKind.PERCENT, 37, 15 * 60)
    delivered = sum(per_tick(pump.ticks(15 * 60)))
    assert delivered == (13 * 37 * 15) // 100


def test_time_offset_forward_at_a_boundary_delivers_no_catch_up() -> None:
    """BAS-3: moving local time forward an hour at a segment boundary re-selects the segment, delivers no
    catch-up and does not skip: the next hour delivers one hour of the new segment's rate."""
    segments = ((0, 0), (60, 0), (120, 2 * ONE_PER_MINUTE), (180, 0))
    pump = delivering_pump(quiet_settings(basal_segments_mu_per_hour=segments, max_basal_mu_per_hour=6000))
    pump.ticks(59)
    result = pump.accept(ev.TimeOffsetChange(pump.now, 60))
    assert [n.a for n in notices(result, NoticeKind.TIME_CHANGED)] == [60]
    assert pump.state.time_of_day_ticks == 119
    assert per_tick([result]) == [0]
    delivered = per_tick(pump.ticks(60))
    assert delivered == [2] * 60
    assert pump.now == 119, "real time did not jump"


def test_time_offset_backward_repeats_the_segment_without_skipping() -> None:
    """BAS-3: moving local time back an hour re-selects the earlier segment; nothing is caught up."""
    segments = ((0, ONE_PER_MINUTE), (60, 0))
    pump = delivering_pump(quiet_settings(basal_segments_mu_per_hour=segments))
    first = per_tick(pump.ticks(60))
    assert sum(first) == 59  # ticks 1..59 at 1/min, tick 60 starts the second segment
    pump.accept(ev.TimeOffsetChange(pump.now, -60))
    assert pump.state.time_of_day_ticks == 0
    assert per_tick(pump.ticks(60)) == [1] * 59 + [0]


def test_time_offset_wraps_around_midnight() -> None:
    """BAS-3: offsets wrap around the day both ways."""
    pump = delivering_pump()
    pump.ticks(10)
    pump.accept(ev.TimeOffsetChange(pump.now, -20))
    assert pump.state.time_of_day_ticks == 1430
    pump.accept(ev.TimeOffsetChange(pump.now, 1440))
    assert pump.state.time_of_day_ticks == 1430
    pump.accept(ev.TimeOffsetChange(pump.now, 15))
    assert pump.state.time_of_day_ticks == 5


def test_time_offset_keeps_the_accumulator() -> None:
    """BAS-2, BAS-3: the accumulator's fraction of a pulse survives a time change (no loss, no gift)."""
    pump = delivering_pump(flat_settings(25 * C.pulse_mu))
    pump.ticks(7)
    acc = pump.state.basal.acc
    pump.accept(ev.TimeOffsetChange(pump.now, 300))
    assert pump.state.basal.acc == acc


def test_time_offset_does_not_shorten_or_lengthen_a_temp() -> None:
    """BAS-3, TMP-2: a temp basal runs for its real duration whatever the local time does."""
    pump = delivering_pump(flat_settings(0))
    pump.temp(TempKind.ABSOLUTE, 60, 30)
    pump.ticks(10)
    pump.accept(ev.TimeOffsetChange(pump.now, 600))
    assert per_tick(pump.ticks(25)) == [1] * 20 + [0] * 5


def test_percent_temp_is_clamped_to_max_basal() -> None:
    """BAS-4, TMP-1: 250 % of a 40 pulse/h segment would be 100/h; max basal (60/h) is what is delivered."""
    pump = delivering_pump(flat_settings(40 * C.pulse_mu, max_basal_mu_per_hour=60 * C.pulse_mu))
    pump.temp(TempKind.PERCENT, 250, 60)
    assert per_tick(pump.ticks(60)) == [1] * 60


def test_percent_temp_follows_the_schedule_and_the_clamp_per_segment() -> None:
    """BAS-4, TMP-1: a percent temp scales each segment it crosses and is clamped per tick."""
    segments = ((0, 12 * C.pulse_mu), (30, 36 * C.pulse_mu))
    settings = quiet_settings(basal_segments_mu_per_hour=segments, max_basal_mu_per_hour=60 * C.pulse_mu)
    pump = delivering_pump(settings)
    pump.temp(TempKind.PERCENT, 200, 60)
    first = sum(per_tick(pump.ticks(29)))
    second = sum(per_tick(pump.ticks(30)))
    assert first == (24 * 29) // 60
    assert second <= 30  # at most max basal: one a minute
    assert second == 30


def test_lowering_max_basal_clamps_a_running_temp() -> None:
    """BAS-4: a running absolute temp at the old max basal is clamped to a newly lowered max basal."""
    pump = delivering_pump(flat_settings(0))
    pump.temp(TempKind.ABSOLUTE, 60, 120)
    assert per_tick(pump.ticks(10)) == [1] * 10
    lower = evolve(pump.state.settings, max_basal_pph=30)
    pump.accept(ev.SettingsChange(pump.now, lower))
    assert sum(per_tick(pump.ticks(60))) == 30


def test_basal_never_exceeds_max_basal_over_any_hour() -> None:
    """BAS-4: with the highest temp possible on a segment at max basal, no 60-minute window exceeds it."""
    max_mu = 2 * MU_PER_UNIT
    settings = flat_settings(max_mu, max_basal_mu_per_hour=max_mu)
    pump = delivering_pump(settings)
    pump.temp(TempKind.PERCENT, C.temp_percent_max, 120)
    delivered = per_tick(pump.ticks(120))
    limit = settings.max_basal_pph
    assert max(sum(delivered[i : i + 60]) for i in range(61)) <= limit
