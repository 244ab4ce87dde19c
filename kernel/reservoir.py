"""The reservoir and set change sequence (RES-1, RES-3, RES-4, OCC-4, DLV-3, ALM-1).

Theory of operation
-------------------
Changing the reservoir or the infusion set is one fixed sequence, enforced by
the mode table (``kernel.modes``): suspend (or any stopped mode), ``Rewind``,
``FillReservoir``, ``PrimeTubing`` (once or more, up to ``prime_max_pulses``
in total), ``FillCannula``, ``Resume``.  After an occlusion, ``ClearLine``
(the user cleared the line) re-enters the sequence at priming: the occlusion
alarm never clears itself (OCC-4).  A motor fault is left only by this
sequence: nothing is delivered between a fault and the next reservoir change
(DLV-3).

Each step that moves the motor (prime, cannula fill) is a ``Deliver`` command
with its own purpose; it needs the motor idle (the previous command
confirmed), draws on the reservoir, and never counts toward therapy totals,
the rolling limits or insulin on board (RES-3).  Filling the cannula marks a
new set: its age starts at zero (RES-4).

Rewind, clear-line and fill are refused while a high-priority alarm waits for
acknowledgement (ALM-1: the user acknowledges before acting).

Units: ``_pulses``.
"""

from __future__ import annotations

from kernel.alarms import high_alarm_active
from kernel.commands import NO_EFFECTS, Purpose, deliver
from kernel.config import PumpConfig
from kernel.events import ClearLine, FillCannula, FillReservoir, PrimeTubing, Rewind
from kernel.handling import Check, Handled
from kernel.logic import Logic
from kernel.reasons import Reason
from kernel.state import MotorState, PumpState, ReservoirState

# Records are built as _new(Cls, (values...)): the same tuple as Cls(values...) at a third of the cost
# (kernel.state, "Building records"; tests/test_record_construction.py checks every call).
_new = tuple.__new__


def draw(r: ReservoirState, pulses: int) -> ReservoirState:
    """The reservoir after ``pulses`` are commanded from it, whatever their purpose (RES-1, RES-3)."""
    return _new(ReservoirState, (r.pulses - pulses, r.prime_used_pulses, r.set_age_ticks))


def _motor_idle(s: PumpState, logic: Logic) -> tuple[Check, Check]:
    return (
        (logic.not_(s.motor.uncertain), Reason.DELIVERY_UNCERTAIN),
        (s.motor.pending_pulses == 0, Reason.MOTOR_BUSY),
    )


def _acknowledged(s: PumpState, logic: Logic) -> Check:
    return logic.not_(high_alarm_active(s.alarms, logic)), Reason.ALARM_UNACKNOWLEDGED


def _line_reset(s: PumpState, reservoir_pulses: int) -> PumpState:
    """Forget occlusion evidence and the priming budget: a new line or reservoir."""
    m = s.motor
    motor = _new(MotorState, (m.seq, m.pending_pulses, m.pending_ticks, m.uncertain, 0, 0))
    reservoir = _new(ReservoirState, (reservoir_pulses, 0, s.reservoir.set_age_ticks))
    return s._replace(motor=motor, reservoir=reservoir)


def on_rewind(c: PumpConfig, s: PumpState, e: Rewind, logic: Logic) -> Handled:
    """Start a change: the reservoir is out (RES-3)."""
    checks = (_acknowledged(s, logic),) + _motor_idle(s, logic)
    return Handled(checks, _line_reset(s, 0), NO_EFFECTS)


def on_fill_reservoir(c: PumpConfig, s: PumpState, e: FillReservoir, logic: Logic) -> Handled:
    """A filled reservoir is in place (RES-1, RES-3)."""
    checks = ((e.pulses <= c.reservoir_capacity_pulses, Reason.FILL_ABOVE_CAPACITY),)
    reservoir = _new(ReservoirState, (e.pulses, 0, s.reservoir.set_age_ticks))
    return Handled(checks, s._replace(reservoir=reservoir), NO_EFFECTS)


def on_clear_line(c: PumpConfig, s: PumpState, e: ClearLine, logic: Logic) -> Handled:
    """The user cleared the line after an occlusion; priming must follow (OCC-4)."""
    checks = (_acknowledged(s, logic),) + _motor_idle(s, logic)
    return Handled(checks, _line_reset(s, s.reservoir.pulses), NO_EFFECTS)


def _motor_step(s: PumpState, pulses: int, prime_used: int, set_age: int, logic: Logic) -> tuple[PumpState, int]:
    """Command ``pulses`` for priming; they leave the reservoir but no therapy counter (RES-3)."""
    m = s.motor
    seq = m.seq + logic.ite(pulses > 0, 1, 0)
    motor = _new(MotorState, (seq, pulses, 0, m.uncertain, m.undisplaced_pulses, m.high_pressure_samples))
    reservoir = draw(s.reservoir, pulses)._replace(prime_used_pulses=prime_used, set_age_ticks=set_age)
    totals = s.totals._replace(prime_pulses=s.totals.prime_pulses + pulses)
    return s._replace(motor=motor, reservoir=reservoir, totals=totals), seq


def on_prime_tubing(c: PumpConfig, s: PumpState, e: PrimeTubing, logic: Logic) -> Handled:
    """Prime the tubing, within the per-change bound (RES-3)."""
    used = s.reservoir.prime_used_pulses + e.pulses
    checks = _motor_idle(s, logic) + (
        (used <= c.prime_max_pulses, Reason.PRIME_LIMIT),
        (e.pulses <= s.reservoir.pulses, Reason.INSUFFICIENT_RESERVOIR),
    )
    accepted, seq = _motor_step(s, e.pulses, used, s.reservoir.set_age_ticks, logic)
    fx = deliver(NO_EFFECTS, e.pulses, seq, Purpose.PRIME, 0, 0, logic)
    return Handled(checks, accepted, fx)


def on_fill_cannula(c: PumpConfig, s: PumpState, e: FillCannula, logic: Logic) -> Handled:
    """Fill a newly inserted cannula; the set's age starts now (RES-3, RES-4)."""
    checks = _motor_idle(s, logic) + (
        (logic.both(e.pulses >= c.cannula_min_pulses, e.pulses <= c.cannula_max_pulses), Reason.CANNULA_FILL_RANGE),
        (e.pulses <= s.reservoir.pulses, Reason.INSUFFICIENT_RESERVOIR),
    )
    accepted, seq = _motor_step(s, e.pulses, s.reservoir.prime_used_pulses, 0, logic)
    fx = deliver(NO_EFFECTS, e.pulses, seq, Purpose.CANNULA, 0, 0, logic)
    return Handled(checks, accepted, fx)
