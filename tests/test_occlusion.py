"""Occlusion: detection from the motor's evidence, stopping, no catch-up, explicit clearing (OCC-1..4).

OCC-1: ``occlusion_consecutive_samples`` pressure samples in a row at or
above ``occlusion_pressure_kpa``, or ``occlusion_undisplaced_pulses`` of
accumulated shortfall, raise the occlusion on the very report that completes
the evidence (zero ticks of delay), as a high-priority alarm.  OCC-2: nothing
is delivered while occluded and a running bolus is ended with its delivered
and undelivered amounts in that same step.  OCC-3: what was missed is never
re-delivered.  OCC-4: the occlusion never clears itself; the user
acknowledges and clears the line (then primes) or changes the reservoir.
"""

from __future__ import annotations

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import NoticeKind
from kernel.iob import iob_pulses
from kernel.logic import PY
from kernel.modes import Mode
from kernel.reasons import Reason, StopCause
from kernel.step import StepResult
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
    notices,
    per_tick,
    pump_in_mode,
)

HIGH = C.occlusion_pressure_kpa
ONE_PER_MINUTE = 60 * C.pulse_mu


def _report(pump: Pump, displaced: int | None = None, pressure: int = 0) -> StepResult:
    """Answer the pending command (with all of it displaced unless said otherwise)."""
    pending = pump.state.motor.pending_pulses
    assert pending > 0
    return pump.accept(
        ev.MotorReport(pump.now, pump.state.motor.seq, pending if displaced is None else displaced, pressure)
    )


def _manual_pump(rate_mu: int = ONE_PER_MINUTE) -> Pump:
    return delivering_pump(flat_settings(rate_mu), auto_confirm=False)


def test_consecutive_high_pressure_samples_raise_the_occlusion_at_once() -> None:
    """OCC-1: the third high sample in a row is an occlusion, in the step of that report, with its alarm."""
    pump = _manual_pump()
    for _ in range(C.occlusion_consecutive_samples - 1):
        pump.tick()
        _report(pump, pressure=HIGH)
        assert pump.mode == Mode.DELIVERING
    pump.tick()
    result = _report(pump, pressure=HIGH)
    assert pump.mode == Mode.OCCLUDED
    assert announced(result) == [AlarmKind.OCCLUSION]
    assert pump.state.alarms[AlarmKind.OCCLUSION] == AlarmStatus.ACTIVE


def test_a_normal_sample_restarts_the_count() -> None:
    """OCC-1: samples must be consecutive: a sample below the threshold in between restarts the count."""
    pump = _manual_pump()
    pressures = [HIGH, HIGH, HIGH - 1, HIGH, HIGH]
    for pressure in pressures:
        pump.tick()
        _report(pump, pressure=pressure)
    assert pump.mode == Mode.DELIVERING
    pump.tick()
    _report(pump, pressure=HIGH + 500)
    assert pump.mode == Mode.OCCLUDED


def test_undisplaced_volume_raises_the_occlusion() -> None:
    """OCC-1: commanded-but-not-displaced pulses accumulate; reaching 3 U is an occlusion.  Each short report
    is also told to the user (``PARTIAL_DELIVERY``)."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.bolus(200)
    shortfall = 0
    while pump.mode == Mode.DELIVERING:
        pump.tick()
        commanded = pump.state.motor.pending_pulses
        result = _report(pump, displaced=commanded - 25)
        shortfall += 25
        assert [(n.a, n.b) for n in notices(result, NoticeKind.PARTIAL_DELIVERY)] == [(commanded, commanded - 25)]
    assert shortfall == 75 >= C.occlusion_undisplaced_pulses
    assert pump.mode == Mode.OCCLUDED


def test_full_displacement_forgets_earlier_shortfall() -> None:
    """OCC-1: the undisplaced volume counts a run of short reports; a complete report restarts it."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.bolus(200)
    for displaced_short in (True, False, True, False, True, False):
        pump.tick()
        commanded = pump.state.motor.pending_pulses
        _report(pump, displaced=commanded - 29 if displaced_short else commanded)
    assert pump.mode == Mode.DELIVERING


def test_bolus_interrupted_by_occlusion_reports_at_once() -> None:
    """OCC-2: the report that completes the evidence ends the bolus in the same step, reporting what was and
    was not delivered; nothing more is commanded."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.bolus(200)
    result = None
    for _ in range(C.occlusion_consecutive_samples):
        pump.tick()
        result = _report(pump, pressure=HIGH)
    assert result is not None
    [ended] = notices(result, NoticeKind.BOLUS_ENDED)
    delivered = C.occlusion_consecutive_samples * C.bolus_pulses_per_tick
    assert (ended.a, ended.b, ended.c) == (delivered, 200 - delivered, StopCause.DELIVERY_STOPPED)
    assert sum(per_tick(pump.ticks(30))) == 0


def test_nothing_is_delivered_while_occluded() -> None:
    """OCC-2, OCC-4: hours later the pump is still occluded, the alarm still active, nothing commanded."""
    pump = pump_in_mode(Mode.OCCLUDED)
    results = pump.ticks(180)
    assert all(delivers(r) == [] for r in results)
    assert pump.mode == Mode.OCCLUDED
    assert pump.state.alarms[AlarmKind.OCCLUSION] == AlarmStatus.ACTIVE
    pump.ack_all()
    assert pump.mode == Mode.OCCLUDED, "acknowledging alone does not clear the occlusion"
    assert all(delivers(r) == [] for r in pump.ticks(30))


def test_leaving_an_occlusion_needs_clear_line_and_prime() -> None:
    """OCC-4: resume is not allowed; after acknowledging, clear line leads to priming, then the normal
    sequence back to delivering."""
    pump = pump_in_mode(Mode.OCCLUDED)
    assert_refused(pump, ev.Resume(pump.now), Reason.NOT_ALLOWED_IN_MODE)
    assert_refused(pump, ev.ClearLine(pump.now), Reason.ALARM_UNACKNOWLEDGED)
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.OCCLUSION))
    pump.accept(ev.ClearLine(pump.now))
    assert pump.mode == Mode.FILLED
    assert_refused(pump, ev.Resume(pump.now), Reason.NOT_ALLOWED_IN_MODE)
    assert pump.state.motor.high_pressure_samples == pump.state.motor.undisplaced_pulses == 0
    pump.accept(ev.PrimeTubing(pump.now, PRIME))
    pump.accept(ev.FillCannula(pump.now, CANNULA))
    pump.accept(ev.Resume(pump.now))
    assert pump.mode == Mode.DELIVERING


def test_no_catch_up_after_an_occlusion() -> None:
    """OCC-3: an hour occluded is an hour without basal; after clearing, basal goes on at its rate and the
    shortfall is never re-delivered."""
    pump = pump_in_mode(Mode.OCCLUDED)
    settings = pump.state.settings
    pump.ticks(60)
    before = pump.state.totals.basal_pulses
    pump.ack_all()
    for event in (ev.ClearLine(pump.now), ev.PrimeTubing(pump.now, PRIME), ev.FillCannula(pump.now, CANNULA)):
        pump.accept(event)
    pump.accept(ev.Resume(pump.now))
    delivered = per_tick(pump.ticks(60))
    hour = pump.state.totals.basal_pulses - before
    assert hour == sum(delivered)
    assert max(delivered) <= 1, "no burst"
    assert hour <= max(settings.basal_slots_pph) + 1, "one hour's basal, not two"


def test_occlusion_during_prime_is_not_insulin_on_board() -> None:
    """OCC-1, RES-3: an occlusion raised while priming stops the prime; no priming pulse counts as therapy,
    toward a window, or as insulin on board."""
    pump = pump_in_mode(Mode.FILLED)
    pump.auto_confirm = False
    for _ in range(C.occlusion_consecutive_samples):
        pump.accept(ev.PrimeTubing(pump.now, 20))
        _report(pump, pressure=HIGH)
    assert pump.mode == Mode.OCCLUDED
    s = pump.state
    assert iob_pulses(s.settings, s.windows, PY) == 0
    assert sum(s.windows.hour_pulses) == sum(s.windows.day_pulses) == 0
    assert s.totals.basal_pulses == s.totals.bolus_pulses == 0
    assert s.totals.prime_pulses == 60


def test_occlusion_while_suspended_is_still_raised() -> None:
    """OCC-1: evidence arriving after a suspend (the last command's report) still raises the occlusion."""
    pump = _manual_pump()
    for _ in range(C.occlusion_consecutive_samples - 1):
        pump.tick()
        _report(pump, pressure=HIGH)
    pump.tick()
    pump.accept(ev.Suspend(pump.now))
    _report(pump, pressure=HIGH)
    assert pump.mode == Mode.OCCLUDED
