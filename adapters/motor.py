"""The motor interface a pump builder implements, and a simulated reference motor.

Theory of operation
-------------------
The kernel commands pulses (``Deliver(seq, pulses, purpose)``) and wants each
command answered with a ``MotorReport``: the pulses the encoder measured, a
line pressure (or force) sample, and a fault code (DLV-1, DLV-3, OCC-1).  The
``Motor`` protocol is the whole contract between the shell and a pump's
hardware:

``deliver(session, seq, pulses)``
    Displace ``pulses`` as command ``seq`` and return what happened, or
    ``None`` when no acknowledgement came back (the command may or may not
    have run).  **A motor executes each (session, seq) at most once**: a
    command whose ``seq`` is not above the last one it accepted in this
    session does not move the plunger again.  This is the hardware half of
    "never repeat a delivery"; the shell never relies on it (it reads back
    first), but a radio retry must not double a dose.
``read_back(session, seq)``
    What the motor did for command ``seq``: its answer, ``NOT_RECEIVED`` if it
    never accepted ``seq`` in this session, or ``None`` if it cannot be
    reached now.  This is the status read-back that resolves an uncertain
    delivery (DLV-2), after OmniBLE's pending-command protocol: the pod's
    ``lastProgrammingMessageSeqNum`` compared with the pending command.

``session`` is chosen by the shell when a pump state is created (kept in the
persistent record), so a pump state started afresh, whose sequence numbers
restart at 1, is never confused with commands of the state before it.

``SimulatedMotor`` is the reference implementation, with fault injection
(``Fault``): a stall, partial delivery, a lost acknowledgement (with the
read-back unreachable for a while, or for ever), over-delivery, line pressure
rising over successive commands (an occlusion building up), and a blocked
line that later releases.  It reports honestly what its plunger did; the
kernel decides what that means.  Every execution can be handed to a journal
(``on_execute``) and replayed into a new instance (``restore``), which is how
the crash test keeps the motor (a separate device) alive across a killed shell.

Units: ``_pulses``, ``_kpa``, ``_ticks``.  Requirements served: DLV-1, DLV-2,
DLV-3, OCC-1 (evidence), PER-2 (at-most-once execution).  No dosing decision
lives here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from kernel.events import MotorFault


@dataclass(frozen=True)
class MotorAnswer:
    """What the motor did for one command."""

    seq: int
    commanded_pulses: int
    displaced_pulses: int
    """Measured by the encoder (may differ from what was commanded)."""
    pressure_samples_kpa: tuple[int, ...]
    """Line pressure (or force, scaled) sampled while pushing."""
    fault: MotorFault = MotorFault.NONE

    @property
    def peak_pressure_kpa(self) -> int:
        """The highest sample: the one the kernel's occlusion evidence counts (OCC-1)."""
        return max(self.pressure_samples_kpa, default=0)


class NotReceived(enum.Enum):
    """Read-back verdict: the motor never accepted this command."""

    NOT_RECEIVED = "not received"


NOT_RECEIVED: Final = NotReceived.NOT_RECEIVED


class Motor(Protocol):
    """What a pump builder implements for their hardware (see module docstring)."""

    def deliver(self, session: int, seq: int, pulses: int) -> MotorAnswer | None:
        """Displace ``pulses`` as command ``seq``; ``None`` if unacknowledged.  At most once per (session, seq)."""
        ...

    def read_back(self, session: int, seq: int) -> MotorAnswer | NotReceived | None:
        """The answer for ``seq``, ``NOT_RECEIVED``, or ``None`` when the motor cannot be reached."""
        ...


class FaultKind(enum.Enum):
    """Faults the simulated motor can be told to have."""

    STALL = "stall"
    """The plunger does not move; the motor reports a stall."""
    PARTIAL = "partial"
    """Only part of the command is displaced (air, a partial blockage); no fault code."""
    LOST_ACK = "lost-ack"
    """The command runs fully but its acknowledgement is lost; read-back may be unreachable for a while."""
    OVER_DELIVERY = "over-delivery"
    """The encoder measures more than commanded (a runaway motor)."""
    OCCLUSION = "occlusion"
    """Line pressure rises with every command from ``first_seq`` on; once past ``stall_kpa`` nothing moves."""
    BLOCKED = "blocked"
    """The line is blocked for commands ``first_seq..last_seq`` (high pressure, nothing moves), then releases."""


@dataclass(frozen=True)
class Fault:
    """One injected fault, for commands ``first_seq`` to ``last_seq`` (inclusive) of a session.

    ``last_seq`` ``None`` means the same as ``first_seq`` (one command), except
    for ``OCCLUSION``, where it means "until the session ends".
    """

    kind: FaultKind
    first_seq: int
    last_seq: int | None = None
    session: int | None = None
    """Only in this session (``None``: any session)."""
    by_tick: bool = False
    """``first_seq``/``last_seq`` are ticks of the motor's clock, not sequence numbers."""
    partial_permille: int = 500
    extra_pulses: int = 1
    unreachable_ticks: int = 0
    """``LOST_ACK``: read-back fails until this many ticks after the command ran; negative: for ever."""
    pressure_step_kpa: int = 40

    def position(self, seq: int, tick: int) -> int:
        """Where a command falls in this fault's range (sequence number or tick)."""
        return tick if self.by_tick else seq

    def covers(self, session: int, seq: int, tick: int) -> bool:
        if self.session is not None and self.session != session:
            return False
        last = self.last_seq
        if last is None:
            last = 1 << 62 if self.kind is FaultKind.OCCLUSION else self.first_seq
        return self.first_seq <= self.position(seq, tick) <= last


@dataclass(frozen=True)
class Execution:
    """A command the motor executed: what a journal records."""

    session: int
    seq: int
    tick: int
    answer: MotorAnswer


@dataclass
class SimulatedMotor:
    """A reference motor with fault injection (see module docstring).

    ``clock`` gives the current tick (for read-back reachability); ``on_execute``
    is called once per executed command, ``on_repeat`` for every request to
    run a command it had already run (a repeat the shell should never ask for).
    """

    faults: Sequence[Fault] = ()
    clock: Callable[[], int] = lambda: 0
    baseline_kpa: int = 20
    blocked_kpa: int = 250
    stall_kpa: int = 400
    on_execute: Callable[[Execution], None] | None = None
    on_repeat: Callable[[int, int], None] | None = None
    session: int = 0
    last_seq: int = 0
    executions: dict[int, Execution] = field(default_factory=dict)
    """This session's executions by sequence number."""
    displaced_total_pulses: int = 0
    repeats_refused: int = 0

    def restore(self, executions: Sequence[Execution]) -> None:
        """Rebuild the motor's memory from a journal (the device outlived the shell)."""
        for execution in executions:
            self._remember(execution)

    def _remember(self, execution: Execution) -> None:
        if execution.session != self.session:
            self.session = execution.session
            self.last_seq = 0
            self.executions = {}
        self.executions[execution.seq] = execution
        self.last_seq = max(self.last_seq, execution.seq)
        self.displaced_total_pulses += execution.answer.displaced_pulses

    def _fault(self, session: int, seq: int, tick: int) -> Fault | None:
        for fault in self.faults:
            if fault.covers(session, seq, tick):
                return fault
        return None

    def _run(self, session: int, seq: int, pulses: int, fault: Fault | None) -> MotorAnswer:
        base = (self.baseline_kpa,)
        if fault is None or fault.kind is FaultKind.LOST_ACK:
            return MotorAnswer(seq, pulses, pulses, base)
        if fault.kind is FaultKind.STALL:
            return MotorAnswer(seq, pulses, 0, base, MotorFault.STALL)
        if fault.kind is FaultKind.PARTIAL:
            return MotorAnswer(seq, pulses, pulses * fault.partial_permille // 1000, base)
        if fault.kind is FaultKind.OVER_DELIVERY:
            return MotorAnswer(seq, pulses, pulses + fault.extra_pulses, base)
        if fault.kind is FaultKind.BLOCKED:
            return MotorAnswer(seq, pulses, 0, (self.blocked_kpa,))
        steps = fault.position(seq, self.clock()) - fault.first_seq + 1
        pressure = self.baseline_kpa + fault.pressure_step_kpa * steps
        displaced = pulses if pressure < self.stall_kpa else 0
        return MotorAnswer(seq, pulses, displaced, (pressure,))

    def deliver(self, session: int, seq: int, pulses: int) -> MotorAnswer | None:
        if session != self.session:
            self.session, self.last_seq, self.executions = session, 0, {}
        if seq <= self.last_seq:
            self.repeats_refused += 1
            if self.on_repeat is not None:
                self.on_repeat(session, seq)
            done = self.executions.get(seq)
            return None if done is None else done.answer
        tick = self.clock()
        fault = self._fault(session, seq, tick)
        answer = self._run(session, seq, pulses, fault)
        execution = Execution(session, seq, tick, answer)
        self._remember(execution)
        if self.on_execute is not None:
            self.on_execute(execution)
        if fault is not None and fault.kind is FaultKind.LOST_ACK:
            return None
        return answer

    def read_back(self, session: int, seq: int) -> MotorAnswer | NotReceived | None:
        if session != self.session or seq > self.last_seq:
            return NOT_RECEIVED
        execution = self.executions.get(seq)
        if execution is None:
            return NOT_RECEIVED
        fault = self._fault(session, seq, execution.tick)
        unreachable = (
            fault is not None
            and fault.kind is FaultKind.LOST_ACK
            and (fault.unreachable_ticks < 0 or self.clock() < execution.tick + fault.unreachable_ticks)
        )
        return None if unreachable else execution.answer
