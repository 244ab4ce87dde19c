"""Reservoir level, alerts, the change sequence, priming, set age (RES-1..4).

RES-1: the level falls by exactly every pulse commanded (prime, cannula,
therapy); nothing is commanded beyond what remains; an empty reservoir stops
delivery with a high alarm.  RES-2: the low alert fires at the configured
level and the very-low alert at 5 U, each once (deferral during a bolus or
prime is in ``test_alarms``).  RES-3: the change sequence is enforced by the
mode table (``test_modes``); priming is bounded per change, cannula fills
are 0.3..1.0 U, and neither counts as therapy.  RES-4: the set's age starts
at the cannula fill; a reminder at the configured age and a hard stop at the
maximum age, reached here by running the real ticks.
"""

from __future__ import annotations

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import Deliver, NoticeKind, Purpose
from kernel.modes import Mode
from kernel.reasons import Reason, StopCause
from kernel.units import MU_PER_UNIT
from tests.helpers import (
    CANNULA,
    PRIME,
    C,
    Pump,
    announced,
    assert_refused,
    delivering_pump,
    delivers,
    flat_settings,
    per_tick,
    pump_in_mode,
    quiet_settings,
    raised,
)


def test_reservoir_level_follows_every_commanded_pulse() -> None:
    """RES-1: level = fill - prime - cannula - therapy, after an hour of basal and a bolus."""
    pump = delivering_pump(quiet_settings(), reservoir=3000)
    assert pump.state.reservoir.pulses == 3000 - PRIME - CANNULA
    pump.bolus(77)
    delivered = sum(per_tick(pump.ticks(60)))
    assert pump.state.reservoir.pulses == 3000 - PRIME - CANNULA - delivered
    assert delivered == 77 + pump.state.totals.basal_pulses


def test_empty_reservoir_stops_delivery_and_alarms() -> None:
    """RES-1: the tick that takes the last pulse moves the pump to EMPTY with a high alarm; no more commands."""
    pump = delivering_pump(flat_settings(60 * C.pulse_mu), reservoir=PRIME + CANNULA + 5)
    results = pump.ticks(10)
    assert per_tick(results) == [1] * 5 + [0] * 5
    assert pump.mode == Mode.EMPTY
    assert AlarmKind.RESERVOIR_EMPTY in announced(results[4])
    assert pump.state.reservoir.pulses == 0
    assert all(delivers(r) == [] for r in results[5:])


def test_reservoir_running_dry_in_the_middle_of_a_bolus() -> None:
    """RES-1, LIM-3: basal eats into the reservoir during a bolus; the bolus stops at the last pulse with the
    reservoir as cause (not a limit), and the pump goes to EMPTY."""
    pump = delivering_pump(flat_settings(60 * C.pulse_mu), reservoir=PRIME + CANNULA + 60)
    pump.bolus(60)
    first, second = pump.ticks(2)
    assert per_tick([first, second]) == [31, 29]
    ended = [n for r in (first, second) for n in r.commands if getattr(n, "kind", None) == NoticeKind.BOLUS_ENDED]
    assert [(n.a, n.b, n.c) for n in ended] == [(58, 2, StopCause.RESERVOIR)]  # type: ignore[union-attr]
    assert pump.mode == Mode.EMPTY
    assert AlarmKind.LIMIT_REACHED not in announced(second)
    assert pump.state.alarms[AlarmKind.RESERVOIR_EMPTY] == AlarmStatus.ACTIVE


def test_low_reservoir_alert_fires_at_the_configured_level() -> None:
    """RES-2: with the low alert at 7 U, it fires on the tick the level reaches 140 pulses, not before."""
    settings = flat_settings(60 * C.pulse_mu, reservoir_low_mu=7 * MU_PER_UNIT)
    assert settings.reservoir_low_pulses == 140
    pump = delivering_pump(settings, reservoir=PRIME + CANNULA + 145)
    results = pump.ticks(10)
    fired = [i + 1 for i, r in enumerate(results) if AlarmKind.RESERVOIR_LOW in announced(r)]
    assert fired == [5]
    assert pump.state.reservoir.pulses == 135


def test_very_low_alert_is_fixed_at_5_units() -> None:
    """RES-2: the very-low alert is at 5 U whatever the low setting."""
    assert C.reservoir_very_low_pulses * C.pulse_mu == 5 * MU_PER_UNIT
    pump = delivering_pump(flat_settings(60 * C.pulse_mu), reservoir=PRIME + CANNULA + 102)
    results = pump.ticks(4)
    fired = [i + 1 for i, r in enumerate(results) if AlarmKind.RESERVOIR_VERY_LOW in announced(r)]
    assert fired == [2]


def test_priming_is_bounded_per_change() -> None:
    """RES-3: primes add up within ``prime_max_pulses``; the budget restarts with the next change."""
    pump = pump_in_mode(Mode.FILLED)
    half = C.prime_max_pulses // 2
    pump.accept(ev.PrimeTubing(pump.now, half))
    pump.accept(ev.PrimeTubing(pump.now, C.prime_max_pulses - half))
    assert_refused(pump, ev.PrimeTubing(pump.now, 1), Reason.PRIME_LIMIT)
    pump.accept(ev.Rewind(pump.now))
    pump.accept(ev.FillReservoir(pump.now, 4000))
    pump.accept(ev.PrimeTubing(pump.now, C.prime_max_pulses))


def test_prime_and_cannula_commands_have_their_purpose_and_draw_on_the_reservoir() -> None:
    """RES-3: prime and cannula fill are motor commands with their own purpose; they leave the reservoir and
    no therapy total."""
    pump = pump_in_mode(Mode.FILLED)
    prime = pump.accept(ev.PrimeTubing(pump.now, 25))
    cannula = pump.accept(ev.FillCannula(pump.now, C.cannula_max_pulses))
    assert [(d.pulses, d.purpose) for d in delivers(prime)] == [(25, Purpose.PRIME)]
    assert [(d.pulses, d.purpose) for d in delivers(cannula)] == [(C.cannula_max_pulses, Purpose.CANNULA)]
    s = pump.state
    assert s.reservoir.pulses == 4000 - 25 - C.cannula_max_pulses
    assert s.totals.prime_pulses == 25 + C.cannula_max_pulses
    assert s.totals.basal_pulses == s.totals.bolus_pulses == 0


def test_prime_needs_the_previous_command_confirmed() -> None:
    """RES-3, DLV-1: a prime is refused while the previous motor command is unanswered."""
    pump = pump_in_mode(Mode.FILLED)
    pump.auto_confirm = False
    pump.accept(ev.PrimeTubing(pump.now, 10))
    assert_refused(pump, ev.PrimeTubing(pump.now, 10), Reason.MOTOR_BUSY)
    assert_refused(pump, ev.FillCannula(pump.now, CANNULA), Reason.MOTOR_BUSY)
    pump.accept(ev.MotorReport(pump.now, pump.state.motor.seq, 10))
    pump.accept(ev.FillCannula(pump.now, CANNULA))


def test_prime_cannot_take_more_than_the_reservoir_holds() -> None:
    """RES-1, RES-3: priming beyond the reservoir is refused."""
    pump = Pump()
    pump.accept(ev.SettingsChange(0, quiet_settings()))
    pump.accept(ev.FillReservoir(0, 15))
    assert_refused(pump, ev.PrimeTubing(0, 16), Reason.INSUFFICIENT_RESERVOIR)
    pump.accept(ev.PrimeTubing(0, 8))
    assert_refused(pump, ev.FillCannula(0, 8), Reason.INSUFFICIENT_RESERVOIR)


def test_cannula_fill_range() -> None:
    """RES-3: cannula fills of 0.3..1.0 U are accepted; one pulse outside is refused."""
    assert (C.cannula_min_pulses * C.pulse_mu, C.cannula_max_pulses * C.pulse_mu) == (300, 1000)
    for pulses in (C.cannula_min_pulses, C.cannula_max_pulses):
        pump_in_mode(Mode.PRIMED).accept(ev.FillCannula(0, pulses))
    for pulses in (0, C.cannula_min_pulses - 1, C.cannula_max_pulses + 1):
        pump = pump_in_mode(Mode.PRIMED)
        assert_refused(pump, ev.FillCannula(0, pulses), Reason.CANNULA_FILL_RANGE)


def test_fill_above_capacity_is_refused() -> None:
    """RES-1: a reservoir cannot hold more than its capacity."""
    pump = pump_in_mode(Mode.REWOUND)
    assert_refused(pump, ev.FillReservoir(0, C.reservoir_capacity_pulses + 1), Reason.FILL_ABOVE_CAPACITY)
    pump.accept(ev.FillReservoir(0, C.reservoir_capacity_pulses))


def test_change_sequence_from_delivering() -> None:
    """RES-3: suspend, rewind, fill, prime, cannula, resume; every step out of order is refused."""
    pump = delivering_pump()
    assert_refused(pump, ev.Rewind(pump.now), Reason.NOT_ALLOWED_IN_MODE)
    pump.accept(ev.Suspend(pump.now))
    assert_refused(pump, ev.FillReservoir(pump.now, 100), Reason.NOT_ALLOWED_IN_MODE)
    pump.accept(ev.Rewind(pump.now))
    assert pump.state.reservoir.pulses == 0
    assert_refused(pump, ev.PrimeTubing(pump.now, 10), Reason.NOT_ALLOWED_IN_MODE)
    pump.accept(ev.FillReservoir(pump.now, 2000))
    assert_refused(pump, ev.FillCannula(pump.now, CANNULA), Reason.NOT_ALLOWED_IN_MODE)
    assert_refused(pump, ev.Resume(pump.now), Reason.NOT_ALLOWED_IN_MODE)
    pump.accept(ev.PrimeTubing(pump.now, PRIME))
    assert_refused(pump, ev.Resume(pump.now), Reason.NOT_ALLOWED_IN_MODE)
    pump.accept(ev.FillCannula(pump.now, CANNULA))
    assert_refused(pump, ev.BolusRequest(pump.now, 1, 0, 10), Reason.NOT_ALLOWED_IN_MODE)
    pump.accept(ev.Resume(pump.now))
    assert pump.mode == Mode.DELIVERING
    assert pump.state.reservoir.pulses == 2000 - PRIME - CANNULA


def test_nothing_is_delivered_before_the_change_is_complete() -> None:
    """RES-3: no therapy pulse between rewind and resume, however long it takes."""
    pump = delivering_pump()
    pump.accept(ev.Suspend(pump.now))
    pump.accept(ev.Rewind(pump.now))
    results = pump.ticks(30)
    pump.accept(ev.FillReservoir(pump.now, 2000))
    results += pump.ticks(30)
    pump.accept(ev.PrimeTubing(pump.now, PRIME))
    results += pump.ticks(30)
    pump.accept(ev.FillCannula(pump.now, CANNULA))
    results += pump.ticks(30)
    assert sum(per_tick(results)) == 0
    pump.accept(ev.Resume(pump.now))
    assert sum(per_tick(pump.ticks(60))) > 0


# RES-4: set age.


def test_set_reminder_and_hard_stop_at_their_ages() -> None:
    """RES-4: the reminder fires exactly at the reminder age, the hard stop at the maximum age (real ticks)."""
    settings = quiet_settings(set_reminder_hours=12, set_max_age_hours=13)
    pump = delivering_pump(settings, keep=False)
    reminder = [t for t in range(1, 13 * 60 + 1) if AlarmKind.SET_REMINDER in raised(pump.tick())]
    assert reminder == [12 * 60]
    assert pump.mode == Mode.SET_EXPIRED
    assert pump.state.alarms[AlarmKind.SET_EXPIRED] == AlarmStatus.ACTIVE


def test_set_expiry_stops_delivery_before_that_tick() -> None:
    """RES-4: the tick on which the set reaches its maximum age commands nothing."""
    settings = flat_settings(60 * C.pulse_mu, set_reminder_hours=12, set_max_age_hours=13)
    pump = delivering_pump(settings, keep=False)
    assert settings.set_max_age_ticks == 780
    delivered = per_tick(pump.ticks(781))
    assert delivered[:779] == [1] * 779
    assert delivered[779:] == [0, 0]


def test_new_cannula_restarts_the_set_age() -> None:
    """RES-4: filling a new cannula starts the set's age at zero; the reminder then comes a full age later."""
    settings = quiet_settings(set_reminder_hours=12, set_max_age_hours=13)
    pump = delivering_pump(settings, keep=False)
    pump.ticks(600)
    for event in (
        ev.Suspend(pump.now),
        ev.Rewind(pump.now),
        ev.FillReservoir(pump.now, 3000),
        ev.PrimeTubing(pump.now, PRIME),
        ev.FillCannula(pump.now, CANNULA),
        ev.Resume(pump.now),
    ):
        pump.accept(event)
    assert pump.state.reservoir.set_age_ticks == 0
    pump.ticks(12 * 60 - 1)
    assert pump.state.alarms[AlarmKind.SET_REMINDER] == AlarmStatus.CLEAR
    pump.tick()
    assert pump.state.alarms[AlarmKind.SET_REMINDER] == AlarmStatus.ACTIVE


def test_expired_set_needs_a_reservoir_change() -> None:
    """RES-4, ALM-1: from SET_EXPIRED only a rewind (after acknowledging) leads back to delivery."""
    pump = pump_in_mode(Mode.SET_EXPIRED)
    assert_refused(pump, ev.Resume(pump.now), Reason.NOT_ALLOWED_IN_MODE)
    pump.ack_all()
    pump.accept(ev.Rewind(pump.now))
    assert pump.mode == Mode.REWOUND


def test_every_deliver_is_a_whole_positive_number_of_pulses() -> None:
    """U-2, RES-1: every motor command is a positive whole number of pulses."""
    pump = delivering_pump(quiet_settings())
    pump.bolus(55, 40, 30)
    pump.ticks(60)
    commands = [c for c in pump.commands() if isinstance(c, Deliver)]
    assert commands
    assert all(type(c.pulses) is int and c.pulses > 0 for c in commands)
