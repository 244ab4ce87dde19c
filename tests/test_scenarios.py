"""End-to-end scenarios from the issue text, each audited step by step.

Every scenario runs through ``kernel.step`` with the test driver and is then
audited over its whole history (``audit``): at most one ``Deliver`` per step
with consecutive sequence numbers; therapy pulses only in ticks that end delivering (or
empty); a refused event changes nothing but the log and commands
nothing (INP-1); the reservoir never goes negative (RES-1); and every
sliding 60- and 1440-tick window of therapy pulses stays within the limits
(LIM-1, LIM-2).  The scenarios:

1. a day of basal with boluses across midnight (BAS-1..3, BOL-2, BOL-3);
2. temp basal expiry at a segment boundary (TMP-2, BAS-3);
3. a limit reached in the middle of a bolus (LIM-1, LIM-3, ALM-1);
4. a local time change at a segment boundary: no catch-up (BAS-3);
5. an occlusion during prime is not insulin on board (RES-3, OCC-1, LIM-4);
6. nothing is delivered between a motor fault and the next reservoir change (DLV-3);
7. a bolus interrupted by occlusion reports the delivered part at once (OCC-2);
8. an unconfirmed bolus is counted in full (DLV-2, LIM-5);
9. the reservoir running dry in the middle of a bolus (RES-1, LIM-3);
10. low-glucose suspend lasting past 2 hours: resumes at 2 h, lockout after (SUS-2, SUS-4).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import accumulate

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import Alarm, Deliver, LgsEnd, NoticeKind, Purpose
from kernel.events import Source, TempKind
from kernel.iob import iob_pulses
from kernel.logic import PY
from kernel.modes import Mode
from kernel.reasons import Reason, StopCause
from kernel.settings import TherapySettings
from kernel.state import PumpState, evolve, initial_state
from kernel.units import MU_PER_UNIT
from specs.refusals import refusal_kept_only_its_answer
from tests.helpers import (
    CANNULA,
    PRIME,
    C,
    Pump,
    all_notices,
    announced,
    delivering_pump,
    delivers,
    flat_settings,
    notices,
    per_tick,
    quiet_settings,
    therapy_pulses,
)


def _window_max(pulses: list[int], width: int) -> int:
    prefix = [0, *accumulate(pulses)]
    return max((prefix[end] - prefix[max(0, end - width)] for end in range(1, len(prefix))), default=0)


def audit(pump: Pump, start: PumpState | None = None) -> list[int]:
    """Check the whole history (see module docstring); return therapy pulses per tick."""
    state = initial_state(pump.config) if start is None else start
    seq = state.motor.seq
    pulses_by_tick: dict[int, int] = {}
    for event, result in pump.history:
        commands = delivers(result)
        assert len(commands) <= 1
        if not result.outcome.accepted:
            assert refusal_kept_only_its_answer(state, result.state, event, result.outcome), event
            assert result.commands == ()
        for command in commands:
            assert command.seq == seq + 1
            seq = command.seq
            if command.purpose == Purpose.THERAPY:
                # A tick may end an automatic suspension before delivering, or empty the reservoir.
                assert type(event) is ev.Tick
                assert state.mode in (Mode.DELIVERING, Mode.LGS_SUSPENDED)
                assert result.state.mode in (Mode.DELIVERING, Mode.EMPTY)
                tick = result.state.now_ticks
                pulses_by_tick[tick] = pulses_by_tick.get(tick, 0) + command.pulses
        assert result.state.reservoir.pulses >= 0
        state = result.state
    settings = pump.state.settings
    series = [pulses_by_tick.get(t, 0) for t in range(1, pump.now + 1)]
    assert _window_max(series, 60) <= settings.max_hourly_pulses
    assert _window_max(series, 1440) <= settings.max_daily_pulses
    return series


def _rate_mu(segments: tuple[tuple[int, int], ...], minute_of_day: int) -> int:
    """The profile's rate in mU/h at a minute of the day, from the segments (independent of the kernel)."""
    return [rate for start, rate in segments if start <= minute_of_day][-1]


# 1. A day of basal with boluses across midnight.

PROFILE = ((0, 800), (180, 1100), (480, 900), (1320, 800))


def test_a_day_of_basal_with_boluses_across_midnight() -> None:
    """BAS-1..3, BOL-2, BOL-3, TMP-2, LIM-1/2: 26 hours from midnight with meals, a 70 % temp, a dual wave,
    an extended bolus and a bolus running across midnight.  Basal is exactly the floor of the programmed
    integral, every bolus is delivered whole, the reservoir adds up, and nothing else happens."""
    settings = quiet_settings(basal_segments_mu_per_hour=PROFILE)
    pump = delivering_pump(settings, reservoir=4000)
    p = C.pulse_mu
    plan: dict[int, ev.BolusRequest | ev.TempBasal] = {
        7 * 60 + 30: ev.BolusRequest(0, 1, Source.USER, 5000 // p),
        10 * 60: ev.TempBasal(0, 2, Source.USER, TempKind.PERCENT, 70, 90),
        12 * 60 + 30: ev.BolusRequest(0, 3, Source.USER, 3000 // p, 3000 // p, 120),
        15 * 60: ev.BolusRequest(0, 4, Source.USER, 1500 // p),
        19 * 60: ev.BolusRequest(0, 5, Source.USER, 0, 6000 // p, 180),
        23 * 60: ev.BolusRequest(0, 6, Source.USER, 0, 2000 // p, 120),
        23 * 60 + 58: ev.BolusRequest(0, 7, Source.USER, 8000 // p),
    }
    requested = 0
    integral = Fraction(0)
    for minute in range(26 * 60):
        if minute in plan:
            event = evolve(plan[minute], tick=pump.now)
            pump.accept(event)
            if isinstance(event, ev.BolusRequest):
                requested += event.immediate_pulses + event.extended_pulses
        pump.tick()
        local = pump.now % 1440
        rate = Fraction(_rate_mu(PROFILE, local))
        if 10 * 60 < pump.now <= 10 * 60 + 90:
            rate = rate * 70 / 100
        integral += rate / (p * 60)
    series = audit(pump)
    totals = pump.state.totals
    assert totals.bolus_pulses == requested
    assert totals.basal_pulses == int(integral)
    assert totals.withheld_pulses == 0
    assert sum(series) == totals.basal_pulses + totals.bolus_pulses
    assert pump.state.reservoir.pulses == 4000 - PRIME - CANNULA - sum(series)
    assert pump.state.time_of_day_ticks == 2 * 60
    assert pump.mode == Mode.DELIVERING
    assert not any(announced(r) for _, r in pump.history), "no alarm all day"
    midnight = series[1437:1446]
    assert midnight[0] < C.bolus_pulses_per_tick <= max(midnight), "the bolus runs across midnight"
    normal = [n for _, r in pump.history for n in notices(r, NoticeKind.BOLUS_ENDED)]
    extended = [n for _, r in pump.history for n in notices(r, NoticeKind.EXTENDED_ENDED)]
    assert (len(normal), len(extended)) == (4, 3)
    assert all(n.c == StopCause.COMPLETED and n.b == 0 for n in normal + extended)


# 2. Temp basal expiry.


def test_temp_basal_expiry_at_a_segment_boundary() -> None:
    """TMP-2, BAS-3: a 50 % temp set at 00:45 for 45 minutes ends exactly at 01:30, where a new segment
    starts; the schedule resumes with that segment's rate, with one notice."""
    segments = ((0, 60 * C.pulse_mu), (90, 30 * C.pulse_mu))
    pump = delivering_pump(quiet_settings(basal_segments_mu_per_hour=segments, max_basal_mu_per_hour=6000))
    pump.ticks(45)
    pump.accept(ev.TempBasal(pump.now, 9, Source.USER, TempKind.PERCENT, 50, 45))
    results = pump.ticks(60)
    series = per_tick(results)
    assert sum(series[:44]) == 22  # 30 pulses/h for 44 ticks of 60/h slot
    assert series[44] == 0  # the temp's last tick, at 01:30: 50 % of 30/h, accumulating
    ended = [i + 1 for i, r in enumerate(results) if notices(r, NoticeKind.TEMP_BASAL_ENDED)]
    assert ended == [45]
    assert sum(series[45:]) == 7
    audit(pump)


# 3. A limit reached in the middle of a bolus.


def test_limit_reached_in_the_middle_of_a_bolus() -> None:
    """LIM-1, LIM-3, ALM-1: an hourly limit of 6 U with basal at 1 U/h: a 5 U bolus after an hour of basal and a
    1 U bolus is cut where the hour is full; the user is told (notice, medium alarm); basal is withheld
    and never caught up; an hour later a new bolus is accepted and delivered whole."""
    settings = flat_settings(
        MU_PER_UNIT, max_basal_mu_per_hour=2 * MU_PER_UNIT, max_bolus_mu=5 * MU_PER_UNIT, max_hourly_mu=6 * MU_PER_UNIT
    )
    pump = delivering_pump(settings)
    pump.accept(ev.BolusRequest(pump.now, 1, Source.USER, 20))
    pump.ticks(50)
    room = settings.max_hourly_pulses - sum(pump.state.windows.hour_pulses)
    pump.accept(ev.BolusRequest(pump.now, 2, Source.USER, room))
    results = pump.ticks(80)
    ended = all_notices(results, NoticeKind.BOLUS_ENDED)
    assert len(ended) == 1
    delivered, missing, cause = ended[0].a, ended[0].b, ended[0].c
    assert cause == StopCause.HOURLY_LIMIT and missing > 0 and delivered + missing == room
    assert pump.state.alarms[AlarmKind.LIMIT_REACHED] == AlarmStatus.ACTIVE
    withheld = all_notices(results, NoticeKind.BASAL_WITHHELD)
    assert withheld and all(n.b == StopCause.HOURLY_LIMIT for n in withheld)
    pump.ticks(60)
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.LIMIT_REACHED))
    pump.accept(ev.BolusRequest(pump.now, 3, Source.USER, 40))
    assert [n.c for n in all_notices(pump.ticks(5), NoticeKind.BOLUS_ENDED)] == [StopCause.COMPLETED]
    series = audit(pump)
    assert max(series) <= C.bolus_pulses_per_tick + 1
    total = pump.state.totals
    assert total.basal_pulses + total.bolus_pulses == sum(series)


# 4. A local time change at a segment boundary.


def test_local_time_change_at_a_segment_boundary_delivers_no_catch_up() -> None:
    """BAS-3, BAS-2: daylight saving moves 02:00 to 03:00, exactly at a boundary from 0.4 U/h to 2 U/h, and
    an hour later back.  Each tick is delivered at the rate of the local minute it reaches, so the amount
    follows real time: nothing is caught up, nothing skipped, no tick bursts; cumulative basal is always
    the floor of the integral computed on an independent local clock."""
    segments = ((0, 400), (180, 2000), (240, 400))
    pump = delivering_pump(quiet_settings(basal_segments_mu_per_hour=segments))
    local = 0
    integral = Fraction(0)
    cumulative = 0
    for minute in range(4 * 60):
        if minute == 120:
            result = pump.accept(ev.TimeOffsetChange(pump.now, 60))
            assert therapy_pulses(result) == 0
            local += 60
        if minute == 180:
            pump.accept(ev.TimeOffsetChange(pump.now, -60))
            local -= 60
        result = pump.tick()
        local = (local + 1) % 1440
        assert pump.state.time_of_day_ticks == local
        integral += Fraction(_rate_mu(segments, local), C.pulse_mu * 60)
        pulses = therapy_pulses(result)
        assert pulses <= 1, "no burst"
        cumulative += pulses
        assert cumulative == int(integral), minute
    # 2 h at 8/h; then twice (59 minutes at 40/h and the minute of 04:00 at 8/h): 16 + 2 * 2368 / 60.
    assert cumulative == 94
    audit(pump)


# 5. An occlusion during prime.


def test_occlusion_during_prime_is_not_insulin_on_board() -> None:
    """RES-3, OCC-1, LIM-4: a new set occludes while priming; after clearing and priming again the pump
    delivers, and the controller may use the whole max IOB: no priming pulse was ever insulin on board."""
    settings = flat_settings(0, controller_enabled=True, max_iob_mu=3 * MU_PER_UNIT)
    pump = Pump()
    pump.accept(ev.SettingsChange(0, settings))
    pump.accept(ev.FillReservoir(0, 3000))
    pump.auto_confirm = False
    for _ in range(C.occlusion_consecutive_samples):
        pump.accept(ev.PrimeTubing(pump.now, 50))
        pump.accept(ev.MotorReport(pump.now, pump.state.motor.seq, 50, C.occlusion_pressure_kpa))
    assert pump.mode == Mode.OCCLUDED
    pump.auto_confirm = True
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.OCCLUSION))
    pump.accept(ev.ClearLine(pump.now))
    pump.accept(ev.PrimeTubing(pump.now, PRIME))
    pump.accept(ev.FillCannula(pump.now, CANNULA))
    pump.accept(ev.Resume(pump.now))
    s = pump.state
    assert iob_pulses(s.settings, s.windows, PY) == 0
    assert s.totals.prime_pulses == 150 + PRIME + CANNULA
    pump.glucose(160)
    pump.accept(ev.BolusRequest(pump.now, 1, Source.CONTROLLER, settings.max_iob_pulses))
    audit(pump)


# 6. Nothing between a motor fault and the next reservoir change.


def test_nothing_is_delivered_between_a_motor_fault_and_the_next_reservoir_change() -> None:
    """DLV-3: a stall during a bolus at 08:00; four hours of ticks, acknowledgements and attempts to resume,
    bolus, set a temp or prime: not one pulse of any purpose until rewind, fill, prime, cannula, resume."""
    pump = delivering_pump(quiet_settings())
    pump.ticks(8 * 60)
    pump.accept(ev.BolusRequest(pump.now, 1, Source.USER, 100))
    pump.auto_confirm = False
    pump.tick()
    pump.accept(ev.MotorReport(pump.now, pump.state.motor.seq, 12, 0, ev.MotorFault.STALL))
    assert pump.mode == Mode.MOTOR_FAULT
    pump.auto_confirm = True
    fault_at = len(pump.history)
    for minute in range(4 * 60):
        if minute == 10:
            pump.accept(ev.AlarmAck(pump.now, AlarmKind.MOTOR_FAULT))
        if minute % 30 == 0:
            for attempt in (
                ev.Resume(pump.now),
                ev.BolusRequest(pump.now, 100 + minute, Source.USER, 10),
                ev.TempBasal(pump.now, 200 + minute, Source.USER, TempKind.ABSOLUTE, 10, 30),
                ev.PrimeTubing(pump.now, 5),
                ev.FillCannula(pump.now, CANNULA),
            ):
                assert pump.do(attempt).outcome.reason == Reason.NOT_ALLOWED_IN_MODE
        pump.tick()
    assert not any(isinstance(c, Deliver) for _, r in pump.history[fault_at:] for c in r.commands)
    changed_at = len(pump.history)
    for event in (
        ev.Rewind(pump.now),
        ev.FillReservoir(pump.now, 3000),
        ev.PrimeTubing(pump.now, PRIME),
        ev.FillCannula(pump.now, CANNULA),
        ev.Resume(pump.now),
    ):
        pump.accept(event)
    pump.ticks(10)
    purposes = [c.purpose for _, r in pump.history[changed_at:] for c in r.commands if isinstance(c, Deliver)]
    assert purposes[:2] == [Purpose.PRIME, Purpose.CANNULA] and Purpose.THERAPY in purposes
    audit(pump)


# 7. A bolus interrupted by occlusion.


def test_bolus_interrupted_by_occlusion_reports_the_delivered_part_at_once() -> None:
    """OCC-1, OCC-2, OCC-3: pressure builds during a 10 U bolus; the report completing the evidence ends the
    bolus in that same step with delivered and undelivered amounts; nothing is delivered after, and after
    clearing the line the missed insulin is not delivered."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.accept(ev.BolusRequest(pump.now, 1, Source.USER, 200))
    reports = []
    for pressure in (90, C.occlusion_pressure_kpa, C.occlusion_pressure_kpa + 40, C.occlusion_pressure_kpa + 80):
        pump.tick()
        reports.append(pump.accept(ev.MotorReport(pump.now, pump.state.motor.seq, 30, pressure)))
    last = reports[-1]
    [ended] = notices(last, NoticeKind.BOLUS_ENDED)
    assert (ended.a, ended.b, ended.c) == (120, 80, StopCause.DELIVERY_STOPPED)
    assert announced(last) == [AlarmKind.OCCLUSION]
    assert all(not notices(r, NoticeKind.BOLUS_ENDED) for r in reports[:-1])
    pump.auto_confirm = True
    assert sum(per_tick(pump.ticks(60))) == 0
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.OCCLUSION))
    for event in (ev.ClearLine(pump.now), ev.PrimeTubing(pump.now, PRIME), ev.FillCannula(pump.now, CANNULA)):
        pump.accept(event)
    pump.accept(ev.Resume(pump.now))
    assert sum(per_tick(pump.ticks(60))) == 0, "the 80 missing pulses are never delivered"
    assert pump.state.totals.bolus_pulses == 120
    audit(pump)


# 8. An unconfirmed bolus is counted in full.


def test_unconfirmed_bolus_is_counted_in_full() -> None:
    """DLV-2, LIM-5, LIM-4: the motor stops answering during a bolus; the unanswered command counts as
    delivered for the windows, IOB and the reservoir, through the uncertainty and after the timeout, and a
    controller bolus is judged against that IOB."""
    settings = flat_settings(0, controller_enabled=True, max_iob_mu=5 * MU_PER_UNIT)
    pump = delivering_pump(settings)
    reservoir = pump.state.reservoir.pulses
    pump.accept(ev.BolusRequest(pump.now, 1, Source.USER, 90))
    pump.tick()
    pump.auto_confirm = False
    pump.tick()  # the second command (30 pulses) is never answered
    results = pump.ticks(C.motor_ack_timeout_ticks + 1)
    ended = all_notices(results, NoticeKind.BOLUS_ENDED)
    assert [(n.a, n.b, n.c) for n in ended] == [(60, 30, StopCause.DELIVERY_UNCERTAIN)]
    assumed = all_notices(results, NoticeKind.DELIVERY_ASSUMED)
    assert [n.a for n in assumed] == [30]
    s = pump.state
    assert pump.mode == Mode.MOTOR_FAULT
    assert s.totals.confirmed_pulses == PRIME + CANNULA + 30
    assert sum(s.windows.hour_pulses) == sum(s.windows.day_pulses) == 60
    assert iob_pulses(s.settings, s.windows, PY) == 60
    assert s.reservoir.pulses == reservoir - 60
    audit(pump)


# 9. The reservoir running dry in the middle of a bolus.


def test_reservoir_running_dry_in_the_middle_of_a_bolus() -> None:
    """RES-1, LIM-3, ALM-1: with 3 U left a 3 U bolus is accepted; basal takes its share while it runs, so
    the bolus stops at the last pulse (cause: reservoir), the pump is EMPTY with its high alarm, nothing is
    commanded beyond what was there, and the limit alarm does not sound."""
    pump = delivering_pump(flat_settings(2 * MU_PER_UNIT), reservoir=PRIME + CANNULA + 40 + 100)
    pump.ticks(60)
    left = pump.state.reservoir.pulses
    assert left == 100
    pump.accept(ev.BolusRequest(pump.now, 1, Source.USER, left))
    results = pump.ticks(5)
    ended = all_notices(results, NoticeKind.BOLUS_ENDED)
    assert len(ended) == 1 and ended[0].c == StopCause.RESERVOIR
    assert ended[0].a + ended[0].b == left and ended[0].b > 0
    assert pump.state.reservoir.pulses == 0
    assert pump.mode == Mode.EMPTY
    assert pump.state.alarms[AlarmKind.RESERVOIR_EMPTY] == AlarmStatus.ACTIVE
    assert pump.state.alarms[AlarmKind.LIMIT_REACHED] == AlarmStatus.CLEAR
    series = audit(pump)
    assert sum(series) == 40 + 100


# 10. Low-glucose suspend lasting past 2 hours.


def test_low_glucose_suspend_lasting_past_two_hours() -> None:
    """SUS-2, SUS-4, ALM-1: glucose stays at 62 mg/dL with a reading every 5 minutes from 03:00.  The pump
    suspends at once, resumes basal after exactly 2 hours (``MAX_DURATION``), is locked out for 30 minutes
    while glucose is still low, then suspends again; the alarm is raised once as new and persists, repeated
    (ALM-5) while nobody acknowledges it."""
    settings: TherapySettings = flat_settings(60 * C.pulse_mu, lgs_enabled=True, predictive_suspend_enabled=True)
    pump = delivering_pump(settings)
    pump.ticks(180)
    start = pump.now
    series: list[int] = []
    changes: list[tuple[int, int]] = []
    for _ in range(200):
        if (pump.now - start) % 5 == 0:
            result = pump.accept(ev.GlucoseReading(pump.now, pump.now, 62))
            changes += [(pump.now - start, n.b) for n in notices(result, NoticeKind.MODE_CHANGED)]
        result = pump.tick()
        series.append(therapy_pulses(result))
        changes += [(pump.now - start, n.b) for n in notices(result, NoticeKind.MODE_CHANGED)]
        if pump.now - start == C.lgs_max_ticks:
            assert [n.a for n in notices(result, NoticeKind.LGS_ENDED)] == [LgsEnd.MAX_DURATION]
    lockout_end = C.lgs_max_ticks + C.lgs_lockout_ticks
    assert changes == [(0, Mode.LGS_SUSPENDED), (C.lgs_max_ticks, Mode.DELIVERING), (lockout_end, Mode.LGS_SUSPENDED)]
    assert sum(series[: C.lgs_max_ticks - 1]) == 0
    assert series[C.lgs_max_ticks - 1 : lockout_end - 1] == [1] * C.lgs_lockout_ticks
    assert sum(series[lockout_end:]) == 0
    signals = [
        c.repeat
        for _, r in pump.history
        for c in r.commands
        if isinstance(c, Alarm) and c.kind == AlarmKind.LOW_GLUCOSE_SUSPEND
    ]
    assert signals.count(0) == 1 and signals[0] == 0 and len(signals) > 1
    assert pump.state.alarms[AlarmKind.LOW_GLUCOSE_SUSPEND] == AlarmStatus.ACTIVE
    audit(pump)
