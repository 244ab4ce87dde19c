"""Reference specifications for delivery integrity, the reservoir and occlusion, in the catalogue's words.

Theory of operation
-------------------
These functions say what the pump must remember about the motor, the
reservoir and the line, from the *outside*: from the commands it emits, the
events it accepts and the fields of those events.  They read kernel data
types and use only the ``kernel.logic`` primitives (they run on Python
values and on Z3 terms alike); they call no kernel function that decides
anything.  The proof family ``proofs.families.delivery`` keeps them in a
ghost beside the state and proves that the kernel's own bookkeeping refines
them, then states the requirements over what is commanded.

* reservoir level (RES-1): set by a fill, 0 after a rewind, lowered by
  every pulse commanded (whatever its purpose) and by pulses the motor
  reports beyond what was commanded (over-delivery), never below 0;
* occlusion evidence (OCC-1): high-pressure samples counted in a row,
  commanded-but-not-displaced pulses accumulated while reports keep falling
  short; either reaching its threshold is an occlusion, and the evidence
  starts again;
* the unanswered-command timeout (DLV-2): a command unanswered for more
  than ``motor_ack_timeout_ticks`` ticks is assumed delivered in full;
* a motor fault (DLV-3): a fault code, or more pulses displaced than
  commanded.

Units: ``_pulses``, ``_ticks``, ``_kpa``.  Requirement IDs: RES-1, OCC-1,
DLV-2, DLV-3.
"""

from __future__ import annotations

from typing import Any

from kernel.config import PumpConfig
from kernel.events import MotorFault
from kernel.logic import Logic


def over_delivered_pulses(commanded_pulses: Any, displaced_pulses: Any, L: Logic) -> Any:
    """Pulses the motor reports beyond the command it answers (0 when it displaced at most that)."""
    return L.max(displaced_pulses - commanded_pulses, 0)


def short_pulses(commanded_pulses: Any, displaced_pulses: Any, L: Logic) -> Any:
    """Commanded pulses the motor reports it did not displace (0 when it displaced at least that)."""
    return L.max(commanded_pulses - displaced_pulses, 0)


def level_after_report(level_pulses: Any, commanded_pulses: Any, displaced_pulses: Any, L: Logic) -> Any:
    """The reservoir after a report (RES-1): a shortfall is never credited back (the pulses were counted when
    commanded, LIM-5); over-delivered pulses left the reservoir too (never below empty)."""
    return level_pulses - L.min(over_delivered_pulses(commanded_pulses, displaced_pulses, L), level_pulses)


def motor_fault_reported(commanded_pulses: Any, displaced_pulses: Any, fault: Any, L: Logic) -> Any:
    """DLV-3: the report says stall, encoder mismatch or any fault code, or shows over-delivery."""
    return L.either(fault != MotorFault.NONE, displaced_pulses > commanded_pulses)


def occlusion_evidence_after(
    c: PumpConfig,
    high_samples: Any,
    undisplaced_pulses: Any,
    commanded_pulses: Any,
    displaced_pulses: Any,
    pressure_kpa: Any,
    L: Logic,
) -> tuple[Any, Any, Any]:
    """(high-pressure samples in a row, undisplaced pulses, occlusion) after one report (OCC-1).

    A sample at or above ``occlusion_pressure_kpa`` extends the run, any other
    ends it; a short report adds its shortfall, a full one ends the
    accumulation.  ``occlusion_consecutive_samples`` in a row, or
    ``occlusion_undisplaced_pulses`` accumulated, is an occlusion; the
    evidence then starts again from zero.
    """
    run = L.ite(pressure_kpa >= c.occlusion_pressure_kpa, high_samples + 1, 0)
    short = short_pulses(commanded_pulses, displaced_pulses, L)
    accumulated = L.ite(short > 0, undisplaced_pulses + short, 0)
    occluded = L.either(run >= c.occlusion_consecutive_samples, accumulated >= c.occlusion_undisplaced_pulses)
    return L.ite(occluded, 0, run), L.ite(occluded, 0, accumulated), occluded


def ack_times_out(c: PumpConfig, unanswered_pulses: Any, waited_ticks: Any, L: Logic) -> Any:
    """DLV-2: a command is still unanswered and this tick is one more than the adapter may take to answer."""
    return L.both(unanswered_pulses > 0, waited_ticks + 1 > c.motor_ack_timeout_ticks)
