"""Boluses: max bolus, kinds, speed, concurrency, idempotency, cancel, announcement (BOL-1..6, SEC-2, SEC-3).

Most tests run with a zero basal profile so that every therapy pulse is a
bolus pulse.  BOL-2: an extended bolus of ``n`` pulses over ``d`` ticks has
delivered exactly ``floor(k * n / d)`` pulses after ``k`` ticks, so it is
even, complete, and ends exactly at ``d``.
"""

from __future__ import annotations

from typing import Any

import pytest

from kernel import events as ev
from kernel.commands import NoticeKind
from kernel.events import CancelTarget, Source, TempKind
from kernel.modes import Mode
from kernel.reasons import Reason, StopCause
from kernel.state import evolve
from kernel.units import MU_PER_UNIT, TICKS_PER_DAY
from tests.helpers import (
    C,
    Pump,
    all_notices,
    assert_refused,
    delivering_pump,
    flat_settings,
    notices,
    per_tick,
    pump_in_mode,
    quiet_settings,
)

SPEED = C.bolus_pulses_per_tick


def _pump(**overrides: Any) -> Pump:
    return delivering_pump(flat_settings(0, **overrides))


def _bolus_per_tick(pump: Pump, ticks: int) -> list[int]:
    """Bolus pulses (normal and extended) commanded in each of the next ``ticks`` ticks."""
    out: list[int] = []
    for _ in range(ticks):
        before = pump.state.totals.bolus_pulses
        pump.tick()
        out.append(pump.state.totals.bolus_pulses - before)
    return out


# BOL-1


def test_bolus_above_max_is_refused_not_truncated() -> None:
    """BOL-1: one pulse above max bolus is refused with the reason; nothing at all is delivered."""
    pump = _pump()
    top = pump.state.settings.max_bolus_pulses
    assert_refused(pump, ev.BolusRequest(pump.now, 1, Source.USER, top + 1), Reason.ABOVE_MAX_BOLUS)
    assert sum(per_tick(pump.ticks(20))) == 0


def test_bolus_at_max_is_delivered_whole() -> None:
    """BOL-1: exactly max bolus is accepted and delivered in full."""
    pump = _pump()
    top = pump.state.settings.max_bolus_pulses
    pump.bolus(top)
    assert sum(per_tick(pump.ticks(20))) == top


@pytest.mark.parametrize(("immediate", "extended"), [(0, 201), (101, 100), (200, 1)])
def test_max_bolus_counts_both_parts(immediate: int, extended: int) -> None:
    """BOL-1, BOL-2: the immediate and extended parts together must not exceed max bolus."""
    pump = _pump()
    event = ev.BolusRequest(pump.now, 1, Source.USER, immediate, extended, 60)
    assert_refused(pump, event, Reason.ABOVE_MAX_BOLUS)


def test_bolus_limits_apply_to_every_source() -> None:
    """SEC-3: max bolus applies to remote and controller requests too."""
    pump = _pump(remote_bolus_enabled=True, controller_enabled=True)
    pump.glucose(150)
    top = pump.state.settings.max_bolus_pulses
    for source in Source:
        assert_refused(pump, ev.BolusRequest(pump.now, 1, source, top + 1), Reason.ABOVE_MAX_BOLUS)


# BOL-2


@pytest.mark.parametrize(("amount", "duration"), [(31, 15), (1, 480), (200, 480), (199, 17), (45, 15), (7, 60)])
def test_extended_bolus_is_exact_in_amount_and_time(amount: int, duration: int) -> None:
    """BOL-2: delivered exactly ``floor(k * amount / duration)`` after ``k`` ticks; ends exactly at ``duration``."""
    pump = _pump()
    pump.bolus(0, amount, duration)
    results = pump.ticks(duration + 3)
    delivered = per_tick(results)
    cumulative = 0
    for k in range(1, duration + 1):
        cumulative += delivered[k - 1]
        assert cumulative == (k * amount) // duration, k
    assert delivered[duration:] == [0, 0, 0]
    ended = [(i + 1, n) for i, r in enumerate(results) for n in notices(r, NoticeKind.EXTENDED_ENDED)]
    assert [(t, n.a, n.b, n.c) for t, n in ended] == [(duration, amount, 0, StopCause.COMPLETED)]


def test_extended_duration_bounds() -> None:
    """BOL-2: extended durations 15 min..8 h are accepted; 14 and 481 minutes are refused."""
    for ticks, reason in ((14, Reason.EXTENDED_DURATION), (481, Reason.EXTENDED_DURATION)):
        pump = _pump()
        assert_refused(pump, ev.BolusRequest(pump.now, 1, Source.USER, 0, 10, ticks), reason)
    for ticks in (15, 480):
        _pump().bolus(0, 10, ticks)


def test_normal_bolus_must_not_carry_a_duration() -> None:
    """BOL-2: a normal bolus with an extended duration but no extended part is malformed."""
    pump = _pump()
    assert_refused(pump, ev.BolusRequest(pump.now, 1, Source.USER, 10, 0, 30), Reason.EXTENDED_DURATION)


def test_dual_wave_delivers_both_parts_exactly() -> None:
    """BOL-2, BOL-3: a dual wave delivers the extended part evenly and the immediate part with what is left of
    the bolus speed: both parts together never exceed it in any minute."""
    pump = _pump()
    result = pump.bolus(60, 30, 15)
    assert [(n.a, n.b) for n in notices(result, NoticeKind.BOLUS_STARTED)] == [(60, 30)]
    results = pump.ticks(17)
    delivered = per_tick(results)
    assert delivered == [SPEED, SPEED, 60 - 2 * (SPEED - 2) + 2] + [2] * 12 + [0, 0]
    assert max(delivered) <= SPEED
    assert sum(delivered) == 90
    assert len(all_notices(results, NoticeKind.BOLUS_ENDED)) == 1
    assert len(all_notices(results, NoticeKind.EXTENDED_ENDED)) == 1


# BOL-3


def test_normal_bolus_speed_is_bounded() -> None:
    """BOL-3: a normal bolus goes at most ``bolus_pulses_per_tick`` a tick, starting the next tick."""
    pump = delivering_pump(quiet_settings())
    result = pump.bolus(200)
    assert per_tick([result]) == [0], "nothing in the request step"
    bolus = _bolus_per_tick(pump, 9)
    assert bolus == [SPEED] * 6 + [200 - 6 * SPEED, 0, 0]


def test_extended_bolus_faster_than_the_motor_is_refused() -> None:
    """BOL-3: an extended part whose even share exceeds the bolus speed is refused (slow motor config)."""
    slow = evolve(C, bolus_pulses_per_tick=2)
    pump = delivering_pump(flat_settings(0, config=slow), config=slow)
    assert_refused(pump, ev.BolusRequest(pump.now, 1, Source.USER, 0, 31, 15), Reason.EXTENDED_TOO_FAST)
    pump.accept(ev.BolusRequest(pump.now, 2, Source.USER, 0, 30, 15))
    assert max(per_tick(pump.ticks(16))) == 2


def test_bolus_speed_on_a_slow_motor() -> None:
    """BOL-3: the speed is the configuration's, whatever it is."""
    slow = evolve(C, bolus_pulses_per_tick=3)
    pump = delivering_pump(flat_settings(0, config=slow), config=slow)
    pump.bolus(10)
    assert per_tick(pump.ticks(5)) == [3, 3, 3, 1, 0]


# BOL-4


RUNNING = {
    "none": (),
    "normal": ((100, 0, 0),),
    "extended": ((0, 50, 60),),
    "both": ((0, 50, 60), (100, 0, 0)),
}
REQUESTS = {"normal": (10, 0, 0), "extended": (0, 10, 30), "dual": (10, 10, 30)}
EXPECTED = {
    ("none", "normal"): Reason.ACCEPTED,
    ("none", "extended"): Reason.ACCEPTED,
    ("none", "dual"): Reason.ACCEPTED,
    ("normal", "normal"): Reason.BOLUS_IN_PROGRESS,
    ("normal", "extended"): Reason.ACCEPTED,
    ("normal", "dual"): Reason.BOLUS_IN_PROGRESS,
    ("extended", "normal"): Reason.ACCEPTED,
    ("extended", "extended"): Reason.EXTENDED_IN_PROGRESS,
    ("extended", "dual"): Reason.EXTENDED_IN_PROGRESS,
    ("both", "normal"): Reason.BOLUS_IN_PROGRESS,
    ("both", "extended"): Reason.EXTENDED_IN_PROGRESS,
    ("both", "dual"): Reason.BOLUS_IN_PROGRESS,
}
"""BOL-4's rule: at most one normal and one extended bolus at a time; nothing queued or merged."""


@pytest.mark.parametrize(("running", "asked"), list(EXPECTED), ids=lambda x: x)
def test_concurrency_rule(running: str, asked: str) -> None:
    """BOL-4: the whole matrix of what runs and what is asked."""
    pump = _pump()
    for immediate, extended, ticks in RUNNING[running]:
        pump.accept(ev.BolusRequest(pump.now, 100 + immediate + extended, Source.USER, immediate, extended, ticks))
    pump.tick()
    immediate, extended, ticks = REQUESTS[asked]
    event = ev.BolusRequest(pump.now, 7, Source.USER, immediate, extended, ticks)
    expected = EXPECTED[(running, asked)]
    if expected == Reason.ACCEPTED:
        bolus = pump.state.bolus
        pump.accept(event)
        if immediate:
            assert pump.state.bolus.remaining_pulses == immediate
        else:
            assert pump.state.bolus.remaining_pulses == bolus.remaining_pulses, "not merged"
        if extended:
            assert pump.state.bolus.ext_remaining_pulses == extended
        else:
            assert pump.state.bolus.ext_remaining_pulses == bolus.ext_remaining_pulses, "not merged"
    else:
        assert_refused(pump, event, expected)


def test_a_new_normal_bolus_is_accepted_once_the_first_is_done() -> None:
    """BOL-4: refused while one runs, accepted right after it ends (nothing was queued meanwhile)."""
    pump = _pump()
    pump.bolus(40)
    pump.tick()
    assert_refused(pump, ev.BolusRequest(pump.now, 5, Source.USER, 10), Reason.BOLUS_IN_PROGRESS)
    pump.tick()
    assert pump.state.bolus.remaining_pulses == 0
    assert sum(per_tick(pump.ticks(5))) == 0, "the refused request was not queued"
    pump.accept(ev.BolusRequest(pump.now, 6, Source.USER, 10))  # a new attempt has a new ID (BOL-5)


# BOL-5


def test_repeated_request_id_is_answered_with_the_original_outcome() -> None:
    """BOL-5: a retry of an accepted request is accepted (replayed), changes nothing, delivers nothing more."""
    pump = _pump()
    first = ev.BolusRequest(pump.now, 4711, Source.USER, 50)
    pump.accept(first)
    before = pump.state
    again = pump.do(first)
    assert again.outcome.accepted and again.outcome.replayed
    assert again.commands == ()
    assert evolve(again.state, log=before.log) == before
    pump.ticks(10)
    # Later, the same ID with other amounts, even after the bolus completed: still nothing more.
    for event in (ev.BolusRequest(pump.now, 4711, Source.USER, 50), ev.BolusRequest(pump.now, 4711, Source.USER, 9)):
        result = pump.do(event)
        assert result.outcome.replayed
    assert sum(per_tick(pump.ticks(10))) == 0
    assert pump.state.totals.bolus_pulses == 50


def test_replay_is_answered_in_any_mode() -> None:
    """BOL-5: a retry arriving after the pump was suspended still gets the original (accepted) answer."""
    pump = pump_in_mode(Mode.DELIVERING)
    pump.accept(ev.BolusRequest(pump.now, 99, Source.USER, 20))
    pump.accept(ev.Suspend(pump.now))
    result = pump.do(ev.BolusRequest(pump.now, 99, Source.USER, 20))
    assert result.outcome.accepted and result.outcome.replayed
    assert pump.mode == Mode.SUSPENDED


def test_refused_request_is_remembered_with_its_answer() -> None:
    """BOL-5: a refused request is remembered with its reason: its retry gets the same answer (replayed) and
    delivers nothing, even once the reason has gone; a new attempt needs a new ID."""
    pump = _pump()
    pump.bolus(100)
    assert_refused(pump, ev.BolusRequest(pump.now, 55, Source.USER, 10), Reason.BOLUS_IN_PROGRESS)
    pump.run_until(lambda p: p.state.bolus.remaining_pulses == 0, 10)
    retry = pump.do(ev.BolusRequest(pump.now, 55, Source.USER, 10))
    assert (retry.outcome.reason, retry.outcome.replayed) == (Reason.BOLUS_IN_PROGRESS, True)
    assert retry.commands == ()
    assert pump.accept(ev.BolusRequest(pump.now, 56, Source.USER, 10)).outcome.replayed is False


def test_a_retry_after_fifty_other_requests_delivers_nothing_more() -> None:
    """BOL-5 (issue 16): a bolus retried with the same ID after 50 other requests within 24 hours is answered
    with its original outcome and delivers nothing more."""
    pump = _pump()
    pump.accept(ev.BolusRequest(pump.now, 1, Source.USER, 20))
    pump.run_until(lambda p: p.state.bolus.remaining_pulses == 0, 3)
    for rid in range(2, 52):
        pump.do(ev.BolusRequest(pump.now, rid, Source.USER, 1))
        pump.run_until(lambda p: p.state.bolus.remaining_pulses == 0, 3)
    delivered = pump.state.totals.bolus_pulses
    retry = pump.do(ev.BolusRequest(pump.now, 1, Source.USER, 20))
    assert retry.outcome.accepted and retry.outcome.replayed
    pump.ticks(5)
    assert pump.state.totals.bolus_pulses == delivered


def test_a_request_is_remembered_for_24_hours_then_forgotten() -> None:
    """BOL-5: one tick before 24 hours the ID is still answered from memory; at 24 hours it is new again."""
    pump = delivering_pump(flat_settings(0))
    pump.accept(ev.BolusRequest(pump.now, 7, Source.USER, 1))
    pump.ticks(TICKS_PER_DAY - 1)
    assert pump.do(ev.BolusRequest(pump.now, 7, Source.USER, 1)).outcome.replayed
    pump.tick()
    assert not pump.accept(ev.BolusRequest(pump.now, 7, Source.USER, 1)).outcome.replayed


def test_a_request_beyond_the_daily_capacity_is_refused_not_forgotten() -> None:
    """BOL-5: with ``requests_per_day_max`` requests answered in the last 24 hours, the next new request is
    refused (``REQUEST_MEMORY_FULL``) and every remembered one still gets its answer."""
    config = C._replace(requests_per_day_max=3)
    pump = delivering_pump(flat_settings(0, config), config=config)
    for rid in (1, 2, 3):
        pump.do(ev.BolusRequest(pump.now, rid, Source.USER, 1))
    assert_refused(pump, ev.BolusRequest(pump.now, 4, Source.USER, 1), Reason.REQUEST_MEMORY_FULL)
    assert pump.do(ev.BolusRequest(pump.now, 1, Source.USER, 1)).outcome.replayed
    pump.ticks(TICKS_PER_DAY)
    assert pump.accept(ev.BolusRequest(pump.now, 4, Source.USER, 1)).outcome.replayed is False


def test_bolus_and_temp_basal_share_one_namespace() -> None:
    """BOL-5: an ID names one request whatever its kind: a temp basal reusing a bolus's ID is a replay."""
    pump = _pump()
    pump.accept(ev.BolusRequest(pump.now, 31, Source.USER, 1))
    again = pump.do(ev.TempBasal(pump.now, 31, Source.USER, TempKind.PERCENT, 50, 30))
    assert again.outcome.replayed
    assert pump.state.basal.temp_kind == TempKind.NONE


# BOL-6


def test_cancel_stops_a_bolus_within_the_tick_and_reports_both_amounts() -> None:
    """BOL-6: after a cancel no further bolus pulse is commanded; the notice says delivered and not delivered."""
    pump = _pump()
    pump.bolus(200)
    pump.ticks(2)
    result = pump.accept(ev.CancelBolus(pump.now))
    assert per_tick([result]) == [0]
    [ended] = notices(result, NoticeKind.BOLUS_ENDED)
    assert (ended.a, ended.b, ended.c) == (2 * SPEED, 200 - 2 * SPEED, StopCause.CANCELLED)
    assert sum(per_tick(pump.ticks(10))) == 0
    assert pump.state.totals.bolus_pulses == 2 * SPEED


def test_cancel_targets() -> None:
    """BOL-6: cancelling the normal bolus leaves the extended one running, and the other way round."""
    pump = _pump()
    pump.bolus(0, 60, 60)
    pump.bolus(100)
    pump.tick()
    result = pump.accept(ev.CancelBolus(pump.now, CancelTarget.NORMAL))
    assert notices(result, NoticeKind.BOLUS_ENDED) and not notices(result, NoticeKind.EXTENDED_ENDED)
    assert pump.state.bolus.ext_remaining_pulses == 59
    assert_refused(pump, ev.CancelBolus(pump.now, CancelTarget.NORMAL), Reason.NOTHING_TO_CANCEL)
    pump.tick()
    result = pump.accept(ev.CancelBolus(pump.now, CancelTarget.EXTENDED))
    [ended] = notices(result, NoticeKind.EXTENDED_ENDED)
    assert (ended.a, ended.b, ended.c) == (2, 58, StopCause.CANCELLED)
    assert_refused(pump, ev.CancelBolus(pump.now, CancelTarget.ALL), Reason.NOTHING_TO_CANCEL)


def test_cancel_all_stops_both() -> None:
    """BOL-6: cancelling all stops the normal and the extended bolus in the same step."""
    pump = _pump()
    pump.bolus(100, 60, 60)
    pump.tick()
    result = pump.accept(ev.CancelBolus(pump.now, CancelTarget.ALL))
    assert len(notices(result, NoticeKind.BOLUS_ENDED)) == 1
    assert len(notices(result, NoticeKind.EXTENDED_ENDED)) == 1
    assert sum(per_tick(pump.ticks(60))) == 0


# SEC-2, SEC-3 and the controller.


def test_every_bolus_start_is_announced() -> None:
    """SEC-2: every accepted bolus gives a ``BOLUS_STARTED`` notice with its parts and request ID."""
    pump = _pump(remote_bolus_enabled=True)
    result = pump.do(ev.BolusRequest(pump.now, 321, Source.REMOTE, 12, 6, 30))
    assert [(n.a, n.b, n.c) for n in notices(result, NoticeKind.BOLUS_STARTED)] == [(12, 6, 321)]


def test_remote_bolus_can_be_switched_off() -> None:
    """SEC-2: with remote bolus off, remote requests are refused; on, they are accepted."""
    off = _pump(remote_bolus_enabled=False)
    assert_refused(off, ev.BolusRequest(off.now, 1, Source.REMOTE, 10), Reason.REMOTE_BOLUS_DISABLED)
    on = _pump(remote_bolus_enabled=True)
    on.accept(ev.BolusRequest(on.now, 1, Source.REMOTE, 10))


def test_controller_bolus_needs_closed_loop_sensor_data_and_iob_room() -> None:
    """LIM-4, SEN-2, TMP-3: a controller bolus needs the loop on, fresh glucose and room under max IOB."""
    pump = _pump(controller_enabled=True, max_iob_mu=2 * MU_PER_UNIT)
    assert_refused(pump, ev.BolusRequest(pump.now, 1, Source.CONTROLLER, 10), Reason.SENSOR_UNAVAILABLE)
    pump.glucose(150)
    assert_refused(pump, ev.BolusRequest(pump.now, 2, Source.CONTROLLER, 41), Reason.MAX_IOB)
    pump.accept(ev.BolusRequest(pump.now, 3, Source.CONTROLLER, 40))


def test_user_bolus_does_not_need_sensor_data_or_iob_room() -> None:
    """LIM-4: max IOB and sensor freshness bound automated dosing only, not the user's own bolus."""
    pump = _pump(max_iob_mu=1 * MU_PER_UNIT)
    pump.accept(ev.BolusRequest(pump.now, 1, Source.USER, 100))


def test_insufficient_reservoir_is_refused_before_anything_is_delivered() -> None:
    """RES-1, BOL-1: a bolus larger than what the reservoir holds is refused, not started and cut."""
    pump = delivering_pump(flat_settings(0), reservoir=20 + 10 + 80)
    assert_refused(pump, ev.BolusRequest(pump.now, 1, Source.USER, 81), Reason.INSUFFICIENT_RESERVOIR)
    pump.accept(ev.BolusRequest(pump.now, 2, Source.USER, 80))
