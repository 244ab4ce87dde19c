"""Delivery integrity: sequence numbers, write-ahead intent, uncertain delivery, motor faults (DLV-1..3, LIM-5).

DLV-1: every ``Deliver`` carries the next sequence number, and the returned
state already records it as pending before the shell sends it; only the
report for that number is accepted.  DLV-2: a tick without the report makes
the pump uncertain (running bolus stopped, high alarm, new boluses and
controller commands refused, nothing further commanded); a late report
resolves it; without one the full amount is assumed delivered and the pump
stops with a motor fault.  DLV-3: a fault code or over-delivery stops
delivery with a high alarm until the next reservoir change.
"""

from __future__ import annotations

import pytest

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import Deliver, NoticeKind
from kernel.events import MotorFault, Source
from kernel.log import LogKind
from kernel.modes import Mode
from kernel.reasons import Reason, StopCause
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
    quiet_settings,
)

ONE_PER_MINUTE = 60 * C.pulse_mu


def test_sequence_numbers_increase_by_one_over_every_command() -> None:
    """DLV-1: prime, cannula and therapy commands are numbered 1, 2, 3, ... without gaps."""
    pump = delivering_pump(quiet_settings())
    pump.bolus(100, 30, 30)
    pump.ticks(60)
    seqs = [c.seq for c in pump.commands() if isinstance(c, Deliver)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) > 10


def test_command_is_recorded_before_it_is_sent() -> None:
    """DLV-1: the state returned with a ``Deliver`` already holds it as the pending command, and the log
    records it; at most one ``Deliver`` per step."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.bolus(50)
    result = pump.tick()
    [command] = delivers(result)
    motor = result.state.motor
    assert (motor.seq, motor.pending_pulses) == (command.seq, command.pulses)
    entry = [e for e in result.state.log.entries if e.kind == LogKind.DELIVER_COMMANDED][-1]
    assert (entry.a, entry.b) == (command.seq, command.pulses)


def test_only_the_pending_command_can_be_confirmed() -> None:
    """DLV-1: a report for another sequence number, or a second report, is refused."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.bolus(50)
    pump.tick()
    seq = pump.state.motor.seq
    assert_refused(pump, ev.MotorReport(pump.now, seq - 1, 30), Reason.UNEXPECTED_MOTOR_REPORT)
    assert_refused(pump, ev.MotorReport(pump.now, seq + 1, 30), Reason.UNEXPECTED_MOTOR_REPORT)
    result = pump.accept(ev.MotorReport(pump.now, seq, 30))
    assert any(e.kind == LogKind.MOTOR_CONFIRMED and e.a == seq for e in result.state.log.entries)
    assert pump.state.totals.confirmed_pulses == PRIME + CANNULA + 30
    assert_refused(pump, ev.MotorReport(pump.now, seq, 30), Reason.UNEXPECTED_MOTOR_REPORT)


def test_unanswered_command_makes_delivery_uncertain() -> None:
    """DLV-2: one tick without a report: uncertain, the bolus stops (reported), a high alarm, nothing further
    commanded, and new boluses refused."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.bolus(100)
    pump.tick()
    result = pump.tick()
    assert pump.state.motor.uncertain
    assert delivers(result) == []
    [ended] = notices(result, NoticeKind.BOLUS_ENDED)
    assert (ended.a, ended.b, ended.c) == (30, 70, StopCause.DELIVERY_UNCERTAIN)
    assert announced(result) == [AlarmKind.DELIVERY_UNCERTAIN]
    assert_refused(pump, ev.BolusRequest(pump.now, 1, Source.USER, 10), Reason.DELIVERY_UNCERTAIN)
    assert all(delivers(r) == [] for r in pump.ticks(3))


def test_late_report_resolves_the_uncertainty() -> None:
    """DLV-2: the read-back arriving late resolves it; after acknowledging, delivery goes on."""
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE), auto_confirm=False)
    pump.tick()
    pump.ticks(3)
    assert pump.state.motor.uncertain
    pump.accept(ev.MotorReport(pump.now, pump.state.motor.seq, 1))
    assert not pump.state.motor.uncertain
    assert pump.mode == Mode.DELIVERING
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.DELIVERY_UNCERTAIN))
    pump.auto_confirm = True
    assert per_tick(pump.ticks(3)) == [1, 1, 1]


def test_unresolved_command_is_assumed_delivered_and_stops_with_a_fault() -> None:
    """DLV-2, LIM-5: without a report within the timeout the full amount is assumed delivered (it stays
    counted) and the pump stops with a motor fault; a report after that is unexpected."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    reservoir = pump.state.reservoir.pulses
    pump.bolus(100)
    pump.tick()
    seq = pump.state.motor.seq
    results = pump.ticks(C.motor_ack_timeout_ticks + 1)
    assert [n.a for n in notices(results[-1], NoticeKind.DELIVERY_ASSUMED)] == [30]
    assert all(not notices(r, NoticeKind.DELIVERY_ASSUMED) for r in results[:-1])
    assert pump.mode == Mode.MOTOR_FAULT
    assert AlarmKind.MOTOR_FAULT in announced(results[-1])
    assert pump.state.reservoir.pulses == reservoir - 30
    assert sum(pump.state.windows.hour_pulses) == 30
    assert_refused(pump, ev.MotorReport(pump.now, seq, 30), Reason.UNEXPECTED_MOTOR_REPORT)


@pytest.mark.parametrize("fault", [MotorFault.STALL, MotorFault.ENCODER_MISMATCH, MotorFault.OTHER])
def test_motor_fault_code_stops_delivery(fault: MotorFault) -> None:
    """DLV-3: every fault code stops delivery at once with a high alarm; the bolus reports what it delivered."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.bolus(100)
    pump.tick()
    result = pump.accept(ev.MotorReport(pump.now, pump.state.motor.seq, 30, 0, fault))
    assert pump.mode == Mode.MOTOR_FAULT
    assert announced(result) == [AlarmKind.MOTOR_FAULT]
    [ended] = notices(result, NoticeKind.BOLUS_ENDED)
    assert (ended.a, ended.b, ended.c) == (30, 70, StopCause.DELIVERY_STOPPED)


def test_over_delivery_is_a_fault_and_is_counted() -> None:
    """DLV-3: more pulses displaced than commanded is a fault; the excess is counted and leaves the reservoir."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    reservoir = pump.state.reservoir.pulses
    pump.bolus(30)
    pump.tick()
    pump.accept(ev.MotorReport(pump.now, pump.state.motor.seq, 35))
    assert pump.mode == Mode.MOTOR_FAULT
    assert pump.state.totals.excess_pulses == 5
    assert pump.state.reservoir.pulses == reservoir - 35


def test_over_delivered_pulses_count_in_iob_and_the_dose_windows() -> None:
    """DLV-3, LIM-4, LIM-5: over-delivered pulses are insulin on board and count against the hourly and daily
    limits, so after the fault is cleared no limit lets them be given again."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.bolus(30)
    pump.tick()
    before = pump.state.windows
    pump.accept(ev.MotorReport(pump.now, pump.state.motor.seq, 35))
    after = pump.state.windows
    assert sum(after.iob_pulses) == sum(before.iob_pulses) + 5
    assert sum(after.hour_pulses) == sum(before.hour_pulses) + 5
    assert sum(after.day_pulses) == sum(before.day_pulses) + 5


def test_over_delivery_fills_a_window_to_its_limit_and_no_further() -> None:
    """DLV-3, LIM-1: the hour window takes the excess up to the hourly limit; the rest is still in IOB and in
    ``totals.excess_pulses``, so the window never shows more than its limit."""
    settings = flat_settings(0, max_bolus_mu=1000, max_hourly_mu=1000, max_basal_mu_per_hour=1000)
    pump = delivering_pump(settings, auto_confirm=False)
    pump.bolus(settings.max_hourly_pulses)
    pump.tick()
    pump.accept(ev.MotorReport(pump.now, pump.state.motor.seq, pump.state.motor.pending_pulses + 7))
    assert sum(pump.state.windows.hour_pulses) == settings.max_hourly_pulses
    assert pump.state.totals.excess_pulses == 7
    assert sum(pump.state.windows.iob_pulses) == pump.state.totals.bolus_pulses + 7


def test_nothing_is_delivered_between_a_fault_and_the_next_reservoir_change() -> None:
    """DLV-3: after a fault, hours pass, the alarm is acknowledged, boluses and resumes are tried: no pulse.
    Only the reservoir-change sequence leads back to delivering."""
    pump = delivering_pump(flat_settings(ONE_PER_MINUTE), auto_confirm=False)
    pump.tick()
    pump.accept(ev.MotorReport(pump.now, pump.state.motor.seq, 0, 0, MotorFault.STALL))
    pump.auto_confirm = True
    start = len(pump.history)
    pump.ticks(120)
    assert_refused(pump, ev.Resume(pump.now), Reason.NOT_ALLOWED_IN_MODE)
    assert_refused(pump, ev.Rewind(pump.now), Reason.ALARM_UNACKNOWLEDGED)
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.MOTOR_FAULT))
    for event in (
        ev.Resume(pump.now),
        ev.BolusRequest(pump.now, 1, Source.USER, 10),
        ev.ClearLine(pump.now),
        ev.Suspend(pump.now),
        ev.TempBasal(pump.now, 2, Source.USER, 1, 10, 30),
    ):
        assert_refused(pump, event, Reason.NOT_ALLOWED_IN_MODE)
    pump.ticks(60)
    assert not any(isinstance(c, Deliver) for _, r in pump.history[start:] for c in r.commands)
    assert pump.mode == Mode.MOTOR_FAULT
    assert pump.state.alarms[AlarmKind.MOTOR_FAULT] == AlarmStatus.ACKED
    for change in (
        ev.Rewind(pump.now),
        ev.FillReservoir(pump.now, 3000),
        ev.PrimeTubing(pump.now, PRIME),
        ev.FillCannula(pump.now, CANNULA),
        ev.Resume(pump.now),
    ):
        pump.accept(change)
    assert pump.state.alarms[AlarmKind.MOTOR_FAULT] == AlarmStatus.CLEAR
    assert per_tick(pump.ticks(3)) == [1, 1, 1]


def test_motor_fault_during_priming() -> None:
    """DLV-3: a fault reported for a priming command stops the change sequence too."""
    pump = Pump()
    pump.accept(ev.SettingsChange(0, quiet_settings()))
    pump.accept(ev.FillReservoir(0, 1000))
    pump.auto_confirm = False
    pump.accept(ev.PrimeTubing(0, 10))
    pump.accept(ev.MotorReport(0, pump.state.motor.seq, 0, 0, MotorFault.STALL))
    assert pump.mode == Mode.MOTOR_FAULT
    assert_refused(pump, ev.PrimeTubing(0, 10), Reason.NOT_ALLOWED_IN_MODE)
