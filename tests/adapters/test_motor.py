"""The motor adapter and every injected fault, driven through the shell and judged by the kernel."""

from __future__ import annotations

from adapters.motor import NOT_RECEIVED, Fault, FaultKind, MotorAnswer, SimulatedMotor
from kernel.alarms import AlarmKind
from kernel.commands import NoticeKind
from kernel.events import MotorFault
from kernel.modes import Mode
from tests.adapters.conftest import Rig, rig


def notices(r: Rig, kind: NoticeKind) -> int:
    return sum(1 for _, n in r.display.notices if n.kind == kind)


def test_ideal_motor_confirms_every_pulse() -> None:
    r = rig()
    r.ticks(60)
    s = r.shell.state
    assert s.totals.basal_pulses == 60 and s.totals.confirmed_pulses == 60 + 30  # basal + prime and cannula fill
    assert r.motor.displaced_total_pulses == 90 and s.motor.pending_pulses == 0


def test_motor_executes_each_sequence_number_at_most_once() -> None:
    motor = SimulatedMotor()
    first = motor.deliver(1, 1, 5)
    assert first is not None and first.displaced_pulses == 5
    assert motor.deliver(1, 1, 5) == first
    assert motor.displaced_total_pulses == 5 and motor.repeats_refused == 1
    assert motor.read_back(1, 2) is NOT_RECEIVED
    assert motor.read_back(2, 1) is NOT_RECEIVED  # another session
    assert motor.deliver(2, 1, 3) is not None and motor.displaced_total_pulses == 8


def test_stall_is_a_motor_fault() -> None:
    r = rig([Fault(FaultKind.STALL, 5, by_tick=True)])
    r.ticks(6)
    assert r.shell.state.mode == Mode.MOTOR_FAULT
    assert AlarmKind.MOTOR_FAULT in r.alarm_kinds()
    r.ticks(10)
    assert r.shell.state.totals.basal_pulses == 5  # nothing after the fault (DLV-3)


def test_partial_delivery_is_reported_and_never_caught_up() -> None:
    r = rig([Fault(FaultKind.PARTIAL, 3, 6, by_tick=True, partial_permille=0)])
    r.ticks(20)
    assert notices(r, NoticeKind.PARTIAL_DELIVERY) == 4
    assert r.shell.state.mode == Mode.DELIVERING
    assert r.motor.displaced_total_pulses == 30 + 20 - 4  # prime + cannula + basal, less the shortfall (OCC-3)


def test_over_delivery_is_a_motor_fault_and_counted() -> None:
    r = rig([Fault(FaultKind.OVER_DELIVERY, 4, by_tick=True, extra_pulses=2)])
    r.ticks(6)
    s = r.shell.state
    assert s.mode == Mode.MOTOR_FAULT and s.totals.excess_pulses == 2


def test_rising_line_pressure_is_an_occlusion_within_three_samples() -> None:
    r = rig([Fault(FaultKind.OCCLUSION, 10, by_tick=True, pressure_step_kpa=50)])
    r.ticks(9)
    assert r.shell.state.mode == Mode.DELIVERING
    # pressure 70, 120, 170, 220, 270: samples >= 150 kPa at ticks 12, 13, 14 -> occluded on the third
    r.ticks(5)
    assert r.shell.state.mode == Mode.OCCLUDED
    assert AlarmKind.OCCLUSION in r.alarm_kinds()
    assert r.shell.state.totals.basal_pulses == 14


def test_blocked_line_that_releases_before_the_evidence_completes() -> None:
    r = rig([Fault(FaultKind.BLOCKED, 5, 6, by_tick=True)])
    r.ticks(20)
    s = r.shell.state
    assert s.mode == Mode.DELIVERING  # two high samples, then normal again: not an occlusion
    assert notices(r, NoticeKind.PARTIAL_DELIVERY) == 2
    assert r.motor.displaced_total_pulses == 30 + 20 - 2  # the blocked pulses are not re-delivered (OCC-3)
    assert s.motor.high_pressure_samples == 0


def test_blocked_line_that_stays_blocked_is_an_occlusion() -> None:
    r = rig([Fault(FaultKind.BLOCKED, 5, 30, by_tick=True)])
    r.ticks(10)
    assert r.shell.state.mode == Mode.OCCLUDED and r.shell.state.totals.basal_pulses == 7


def test_lost_acknowledgement_resolved_by_read_back() -> None:
    r = rig([Fault(FaultKind.LOST_ACK, 5, by_tick=True, unreachable_ticks=2)])
    r.ticks(5)
    assert r.shell.counters.lost_acks == 1 and r.shell.state.motor.pending_pulses == 1
    r.ticks(1)
    assert r.shell.state.motor.uncertain
    assert AlarmKind.DELIVERY_UNCERTAIN in r.alarm_kinds()
    r.ticks(1)  # read-back reachable again at tick 7
    s = r.shell.state
    assert not s.motor.uncertain and s.motor.pending_pulses == 0 and s.mode == Mode.DELIVERING
    assert r.motor.displaced_total_pulses == 30 + 5  # delivered once, confirmed late


def test_lost_acknowledgement_never_resolved_is_assumed_delivered_and_stops() -> None:
    r = rig([Fault(FaultKind.LOST_ACK, 5, by_tick=True, unreachable_ticks=-1)])
    r.ticks(12)
    s = r.shell.state
    assert s.mode == Mode.MOTOR_FAULT
    assert notices(r, NoticeKind.DELIVERY_ASSUMED) == 1
    assert s.totals.basal_pulses == 5


def test_peak_pressure_is_reported() -> None:
    answer = MotorAnswer(1, 2, 2, (10, 180, 40), MotorFault.NONE)
    assert answer.peak_pressure_kpa == 180
