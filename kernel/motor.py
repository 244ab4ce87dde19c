"""Delivery confirmation, the motor watchdog, and occlusion evidence.

Theory of operation
-------------------
Every ``Deliver`` command carries the next sequence number and is recorded in
the state (``motor.pending_pulses``) before the shell sends it: write-ahead
intent (DLV-1).  The pulses are already counted in the reservoir, the rolling
windows and insulin on board at that moment, so unconfirmed delivery counts
as delivered (LIM-5).

The motor adapter answers with a ``MotorReport`` for that sequence number:
the pulses the encoder measured, a line pressure (or force) sample, and a
fault code.  The report decides:

* a fault code, or more pulses displaced than commanded, is a motor fault:
  delivery stops and a high-priority alarm sounds until the next reservoir
  change (DLV-3).  Over-delivered pulses are counted (``totals.excess_pulses``),
  taken from the reservoir, and counted in insulin on board and the dose
  windows (``kernel.windows.record_excess``);
* fewer pulses displaced than commanded is partial delivery, reported; the
  shortfall accumulates as occlusion evidence and is never re-delivered
  (OCC-3);
* ``occlusion_consecutive_samples`` pressure samples in a row at or above
  ``occlusion_pressure_kpa``, or accumulated shortfall of at least
  ``occlusion_undisplaced_pulses``, is an occlusion, raised on the report that
  completes the evidence: zero ticks of delay (OCC-1).  The evidence counters
  restart when they fire, so ``high_pressure_samples`` never reaches its
  threshold in any state: that invariant is the bounded-response proof.

If a tick passes with the command unanswered the pump is *uncertain* (DLV-2):
the running bolus stops, new boluses and controller commands are refused, and
no further command is sent.  A late report (the read-back) resolves it.  If
none arrives within ``motor_ack_timeout_ticks``, the full amount is assumed
delivered (it already is counted) and the pump stops with a motor fault:
when in doubt, stop and alarm.

Units: ``_pulses``, ``_ticks``, ``_kpa``.  Requirements served: DLV-1, DLV-2,
DLV-3, LIM-5, OCC-1, OCC-3, RES-1.
"""

from __future__ import annotations

from kernel.commands import NO_EFFECTS, Effects, NoticeKind, notice
from kernel.config import PumpConfig
from kernel.events import MotorFault, MotorReport
from kernel.handling import Handled, end_bolus, end_extended
from kernel.logic import Logic
from kernel.modes import Condition
from kernel.reasons import Reason, StopCause
from kernel.state import MotorState, PumpState, ReservoirState
from kernel.windows import record_excess

# Records are built as _new(Cls, (values...)): the same tuple as Cls(values...) at a third of the cost
# (kernel.state, "Building records"; tests/test_record_construction.py checks every call).
_new = tuple.__new__

# Enum members the step reads on every event, as module constants (kernel.logic, "Enum members").
_MOTOR_FAILED = Condition.MOTOR_FAILED


def on_motor_report(c: PumpConfig, s: PumpState, e: MotorReport, logic: Logic) -> Handled:
    """Resolve the pending command with the motor's measurements (see module docstring)."""
    m = s.motor
    checks = ((logic.both(m.pending_pulses > 0, e.seq == m.seq), Reason.UNEXPECTED_MOTOR_REPORT),)
    commanded = m.pending_pulses
    shown = e.displaced_pulses
    excess = logic.max(shown - commanded, 0)
    faulted = logic.either(e.fault != MotorFault.NONE, excess > 0)
    shortfall = logic.max(commanded - shown, 0)
    undisplaced, high, occluded = occlusion_evidence(c, m, shortfall, e.pressure_kpa, logic)
    motor = _new(
        MotorState,
        (
            m.seq,
            0,
            0,
            False,
            logic.ite(occluded, 0, undisplaced),
            logic.ite(occluded, 0, high),
        ),
    )
    r = s.reservoir
    reservoir = _new(ReservoirState, (r.pulses - logic.min(excess, r.pulses), r.prime_used_pulses, r.set_age_ticks))
    totals = s.totals._replace(
        confirmed_pulses=s.totals.confirmed_pulses + shown,
        excess_pulses=s.totals.excess_pulses + excess,
    )
    windows = record_excess(s.settings, s.windows, excess, logic)
    accepted = s._replace(motor=motor, reservoir=reservoir, totals=totals, windows=windows)
    fx = notice(NO_EFFECTS, NoticeKind.PARTIAL_DELIVERY, shortfall > 0, commanded, shown, 0, logic)
    edges = ((_MOTOR_FAILED, faulted), (Condition.LINE_OCCLUDED, occluded))
    return Handled(checks, accepted, fx, edges)


def occlusion_evidence(
    c: PumpConfig, m: MotorState, shortfall_pulses: int, pressure_kpa: int, logic: Logic
) -> tuple[int, int, bool]:
    """The occlusion evidence after a report: (undisplaced pulses, high-pressure samples in a row, occluded).

    Shortfall accumulates while reports keep falling short; pressure samples at
    or above the threshold count in a row.  Either reaching its threshold is an
    occlusion (OCC-1).
    """
    undisplaced = logic.ite(shortfall_pulses > 0, m.undisplaced_pulses + shortfall_pulses, 0)
    high = logic.ite(pressure_kpa >= c.occlusion_pressure_kpa, m.high_pressure_samples + 1, 0)
    occluded = logic.either(high >= c.occlusion_consecutive_samples, undisplaced >= c.occlusion_undisplaced_pulses)
    return undisplaced, high, occluded


def watchdog(
    c: PumpConfig, s: PumpState, fx: Effects, logic: Logic
) -> tuple[PumpState, Effects, tuple[tuple[Condition, bool], ...]]:
    """One tick of the unanswered-command watchdog (DLV-2; see module docstring)."""
    m = s.motor
    pending = m.pending_pulses > 0
    # Nothing to watch: with nothing pending, not uncertain and no wait counted, this tick changes nothing here.
    if logic.any(pending, m.uncertain, m.pending_ticks != 0) is False:
        return s, fx, ((_MOTOR_FAILED, False),)
    newly_uncertain = logic.both(pending, logic.not_(m.uncertain))
    waited = logic.ite(pending, m.pending_ticks + 1, 0)
    timed_out = logic.both(pending, waited > c.motor_ack_timeout_ticks)
    fx = notice(fx, NoticeKind.DELIVERY_ASSUMED, timed_out, m.pending_pulses, m.seq, 0, logic)
    motor = _new(
        MotorState,
        (
            m.seq,
            logic.ite(timed_out, 0, m.pending_pulses),
            logic.ite(timed_out, 0, waited),
            logic.both(pending, logic.not_(timed_out)),
            m.undisplaced_pulses,
            m.high_pressure_samples,
        ),
    )
    s = s._replace(motor=motor)
    s, fx = end_bolus(s, fx, newly_uncertain, StopCause.DELIVERY_UNCERTAIN, logic)
    s, fx = end_extended(s, fx, newly_uncertain, StopCause.DELIVERY_UNCERTAIN, logic)
    return s, fx, ((_MOTOR_FAILED, timed_out),)
