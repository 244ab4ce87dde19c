"""The driver loop: the kernel, its record, the motor, the tick source and the display, wired together.

Theory of operation
-------------------
``PumpShell`` owns one pump: the configuration (fixed for the device build),
the kernel state, the shell metadata (``adapters.persistence.ShellMeta``), a
``Motor``, a ``Display`` and, optionally, a ``Store``.  Everything it does is
relaying; every decision is the kernel's.

One step (``_apply``):

1. ``kernel.step`` computes the new state and the commands;
2. a ``Deliver`` is appended to the dose journal (``adapters.journal``),
   then, if the state (or the metadata) changed, the record is saved, both
   *before* anything else (write-ahead: the intent to deliver is durable
   before the motor moves, DLV-1, PER-2);
3. alarms and notices go to the display;
4. a ``Deliver`` goes to the motor (``Motor.deliver``); its answer comes back
   as a ``MotorReport`` event, which is step 1 again.  No answer (a lost
   acknowledgement) leaves the command pending in the kernel; after each tick
   the shell asks the motor to read it back (``Motor.read_back``) and feeds the
   late answer as a ``MotorReport`` (DLV-2).  A command the motor never
   received (``NOT_RECEIVED``) is sent then, once: it was decided, counted and
   recorded, and the read-back proved it never ran.

Time comes from the platform through ``TickGate`` (CLK-1): ``advance_to``
with the platform's tick reading; doubled ticks are dropped and missed ticks
replayed as ``Tick(missed=True)``.

External inputs (``submit``) may carry an input number from their source;
the number is saved with the state the input produced, so after a restart
the same input offered again is skipped (exactly once).

Start and recovery (``PumpShell.start``):

* no record (a new pump): a new kernel state (``REWOUND``: nothing is
  delivered until settings and the whole reservoir-change sequence) is saved;
* a record: the state is taken as saved; every alarm still active is
  announced again (ALM-3: an alarm raised just before a crash may never have
  reached the display); a command pending in the record is resolved by
  read-back: answered -> its ``MotorReport``; never received -> sent now;
  unreachable -> left pending for the kernel's watchdog (uncertain, then
  assumed delivered with a motor fault after the timeout, DLV-2);
* an unreadable record (PER-3): the kernel is **not** run.  No state can be
  trusted, so none is invented: the shell is *locked*, the motor is never
  commanded, and a high-priority shell alarm (``ShellAlarm.RECORD_UNREADABLE``)
  is raised and repeated on every tick until the user acts.  The user's action
  (``replace_unreadable_record``, with the therapy settings to run with) keeps
  the bad record aside and creates a replacement state
  (``kernel.recovery.replacement_state``) that never forgets the last 24
  hours (PER-4): rebuilt from the dose journal when it is whole and covers
  them, else the worst case assumed (``adapters.recovery``); the user is told
  which and why (``Display.shell_notice``).  The state starts in ``REWOUND``:
  no insulin until fill, prime, cannula fill and resume.  This is the PER-3
  design: "suspended with an alarm" is realised by the shell, because a
  suspended *kernel state* would have to be made up from nothing.

With a good record, the dose journal is made ready (``journal_on_start``: a
torn last line repaired; a missing or unreadable journal started again, and
the user told).

Units: ``_ticks``, ``_pulses``, ``_s``.  Requirements served: DLV-1, DLV-2,
PER-2, PER-3, PER-4, ALM-3, CLK-1.  No dosing decision lives here.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Protocol

from adapters.clock import TICK_S, ClockJump, TickGate
from adapters.journal import DoseJournal, journal_commands
from adapters.motor import NOT_RECEIVED, Motor, MotorAnswer
from adapters.persistence import Corrupt, Loaded, Missing, Probe, ShellMeta, Store, encode, no_probe
from adapters.recovery import RecoveryPlan, ShellNotice, carry_on, journal_on_start, replacement
from kernel import events as ev
from kernel.alarms import PRIORITY, AlarmKind, AlarmStatus
from kernel.commands import Alarm, Deliver, Notice
from kernel.config import PumpConfig
from kernel.settings import TherapySettings
from kernel.state import PumpState, initial_state
from kernel.step import StepResult, step


class ShellAlarm(enum.Enum):
    """Alarms the shell raises itself, where the kernel cannot run (all high priority)."""

    RECORD_UNREADABLE = "the pump's record is unreadable: delivery stopped (PER-3)"
    RECORD_FROM_OTHER_DEVICE = "the record belongs to another device configuration: delivery stopped"
    CLOCK_JUMP = "the platform clock jumped too far: delivery stopped (CLK-1)"


class Display(Protocol):
    """Where alarms and notices go (the pump's screen and buzzer, a phone)."""

    def alarm(self, tick: int, alarm: Alarm, repeated: bool) -> None:
        """Announce ``alarm``; ``repeated`` when it is re-announced after a restart."""
        ...

    def notice(self, tick: int, notice: Notice) -> None: ...

    def shell_alarm(self, alarm: ShellAlarm, detail: str) -> None: ...

    def shell_notice(self, notice: ShellNotice, detail: str) -> None:
        """Tell the user what the shell did about the dose history (PER-4), and why."""
        ...


@dataclass
class RecordingDisplay:
    """A display that keeps everything it is shown (tests, simulation)."""

    alarms: list[tuple[int, Alarm, bool]] = field(default_factory=list)
    notices: list[tuple[int, Notice]] = field(default_factory=list)
    shell_alarms: list[tuple[ShellAlarm, str]] = field(default_factory=list)
    shell_notices: list[tuple[ShellNotice, str]] = field(default_factory=list)

    def alarm(self, tick: int, alarm: Alarm, repeated: bool) -> None:
        self.alarms.append((tick, alarm, repeated))

    def notice(self, tick: int, notice: Notice) -> None:
        self.notices.append((tick, notice))

    def shell_alarm(self, alarm: ShellAlarm, detail: str) -> None:
        self.shell_alarms.append((alarm, detail))

    def shell_notice(self, notice: ShellNotice, detail: str) -> None:
        self.shell_notices.append((notice, detail))


@dataclass
class ShellCounters:
    """What the shell did, for tests, benchmarks and the status screen."""

    steps: int = 0
    saves: int = 0
    journal_appends: int = 0
    kernel_s: float = 0.0
    motor_commands: int = 0
    lost_acks: int = 0
    read_backs: int = 0
    sent_after_read_back: int = 0
    inputs_skipped: int = 0


class PumpShell:
    """One pump's driver loop (see module docstring)."""

    def __init__(
        self,
        config: PumpConfig,
        state: PumpState,
        meta: ShellMeta,
        *,
        motor: Motor,
        display: Display,
        store: Store | None = None,
        probe: Probe = no_probe,
        journal: DoseJournal | None = None,
    ) -> None:
        self.config = config
        self.state = state
        self.meta = meta
        self.motor = motor
        self.display = display
        self.store = store
        self.probe = probe
        self.journal = journal
        self.recovery_plan: RecoveryPlan | None = None
        self.gate = TickGate(state.now_ticks)
        self.locked: ShellAlarm | None = None
        self.recovered = False
        self.lock_detail = ""
        self.counters = ShellCounters()

    # ----------------------------------------------------------------- start

    @classmethod
    def start(
        cls,
        config: PumpConfig,
        *,
        motor: Motor,
        display: Display,
        store: Store | None = None,
        probe: Probe = no_probe,
        new_session: int = 1,
        epoch_s: int = 0,
        journal: DoseJournal | None = None,
    ) -> PumpShell:
        """Start from the store: a new pump, a recovered one, or a locked one (see module docstring).

        ``new_session`` and ``epoch_s`` are used only when a new pump state is
        created; a recovered pump keeps the ones in its record.  Equivalent to
        ``open`` then ``recover``.
        """
        shell = cls.open(
            config,
            motor=motor,
            display=display,
            store=store,
            probe=probe,
            new_session=new_session,
            epoch_s=epoch_s,
            journal=journal,
        )
        shell.recover()
        return shell

    @classmethod
    def open(
        cls,
        config: PumpConfig,
        *,
        motor: Motor,
        display: Display,
        store: Store | None = None,
        probe: Probe = no_probe,
        new_session: int = 1,
        epoch_s: int = 0,
        journal: DoseJournal | None = None,
    ) -> PumpShell:
        """Load the record (or create a new pump, or lock on an unreadable record); nothing sent yet."""
        loaded = store.load() if store is not None else Missing()
        if not isinstance(loaded, Loaded):
            fresh = initial_state(config)
            meta = ShellMeta(0, new_session, epoch_s)
            shell = cls(config, fresh, meta, motor=motor, display=display, store=store, probe=probe, journal=journal)
            if isinstance(loaded, Corrupt):
                shell._lock(ShellAlarm.RECORD_UNREADABLE, loaded.reason)
            else:
                shell._ready_journal(new_pump=True)
                shell._save(fresh, meta)
            return shell
        shell = cls(
            config, loaded.state, loaded.meta, motor=motor, display=display, store=store, probe=probe, journal=journal
        )
        if loaded.config != config:
            shell._lock(ShellAlarm.RECORD_FROM_OTHER_DEVICE, "the recorded configuration differs from this device's")
            return shell
        shell._ready_journal(new_pump=False)
        shell.recovered = True
        return shell

    def _ready_journal(self, new_pump: bool) -> None:
        if self.journal is not None:
            restarted = journal_on_start(self.journal, self.now_s, new_pump)
            if restarted is not None:
                self.display.shell_notice(ShellNotice.JOURNAL_RESTARTED, restarted)

    def recover(self) -> None:
        """After ``open`` of a saved record: announce active alarms again, resolve a pending command."""
        if self.locked is not None or not self.recovered:
            return
        for kind in AlarmKind:
            if self.state.alarms[kind] == AlarmStatus.ACTIVE:
                self.display.alarm(self.now, Alarm(kind, PRIORITY[kind]), True)
        self._resolve_pending()

    def _lock(self, alarm: ShellAlarm, detail: str) -> None:
        self.locked = alarm
        self.lock_detail = detail
        self.display.shell_alarm(alarm, detail)

    def replace_unreadable_record(
        self, new_session: int, epoch_s: int, settings: TherapySettings, *, time_of_day_ticks: int = 0
    ) -> RecoveryPlan:
        """The user's action after PER-3: keep the bad record aside, start a replacement state (PER-4).

        ``new_session`` must differ from any session the motor has seen (a
        counter kept by the platform, or the real-time clock's seconds);
        ``epoch_s`` is the real-time clock's second now (tick 0 of the new
        state); ``settings`` the therapy settings to run with (the user enters
        them again: the old ones were in the lost record) and
        ``time_of_day_ticks`` the local time (minutes after midnight).  The
        last 24 hours are rebuilt from the dose journal or assumed to be the
        worst (``adapters.recovery``); the user is told which and why, and the
        plan is returned.  Raises ``ValueError`` for invalid settings (nothing
        changed) and ``RuntimeError`` if the shell is not locked.
        """
        if self.locked is None:
            raise RuntimeError("the shell is not locked")
        other = self.locked is ShellAlarm.RECORD_FROM_OTHER_DEVICE  # its journal counts another pulse size
        unusable = "the record and its dose journal belong to another device configuration" if other else None
        plan, state = replacement(self.config, settings, self.journal, epoch_s, time_of_day_ticks, unusable)
        if self.store is not None:
            self.store.quarantine()
        if self.journal is not None:
            carry_on(self.journal, plan, epoch_s)
        self.recovery_plan = plan
        self.display.shell_notice(plan.notice, plan.reason)
        self.state = state
        self.meta = ShellMeta(0, new_session, epoch_s)
        self.gate = TickGate(0)
        self.locked = None
        self.lock_detail = ""
        self._save(self.state, self.meta)
        return plan

    # ------------------------------------------------------------- the loop

    @property
    def now(self) -> int:
        return self.state.now_ticks

    @property
    def now_s(self) -> int:
        """The real-time-clock second of the kernel's current tick."""
        return self.meta.epoch_s + TICK_S * self.state.now_ticks

    def _save(self, state: PumpState, meta: ShellMeta) -> None:
        if self.store is not None:
            self.store.save(encode(self.config, state, meta))
        self.counters.saves += 1

    def _apply(self, event: object, input_number: int | None = None) -> StepResult:
        started = time.perf_counter()
        result = step(self.config, self.state, event)
        self.counters.kernel_s += time.perf_counter() - started
        self.counters.steps += 1
        meta = self.meta
        if input_number is not None:
            meta = ShellMeta(input_number, meta.motor_session, meta.epoch_s)
        if self.journal is not None:
            at_s = meta.epoch_s + TICK_S * result.state.now_ticks
            self.counters.journal_appends += journal_commands(self.journal, result.commands, at_s, meta.motor_session)
        if result.state != self.state or meta != self.meta:
            self._save(result.state, meta)
        self.state, self.meta = result.state, meta
        for command in result.commands:
            if isinstance(command, Alarm):
                self.display.alarm(self.now, command, False)
            elif isinstance(command, Notice):
                self.display.notice(self.now, command)
        for command in result.commands:
            if isinstance(command, Deliver):
                self._send(command.seq, command.pulses)
        return result

    def _send(self, seq: int, pulses: int) -> None:
        self.counters.motor_commands += 1
        answer = self.motor.deliver(self.meta.motor_session, seq, pulses)
        self.probe("motor: moved, answer not yet reported")
        if answer is None:
            self.counters.lost_acks += 1
            return
        self._report(answer)

    def _report(self, answer: MotorAnswer) -> None:
        report = ev.MotorReport(
            self.now,
            answer.seq,
            max(0, answer.displaced_pulses),
            max(0, answer.peak_pressure_kpa),
            int(answer.fault),
        )
        self._apply(report)

    def _resolve_pending(self) -> None:
        """Read back a command the kernel still waits for (DLV-2; see module docstring)."""
        motor_state = self.state.motor
        if motor_state.pending_pulses <= 0:
            return
        self.counters.read_backs += 1
        verdict = self.motor.read_back(self.meta.motor_session, motor_state.seq)
        if verdict is None:
            return
        if verdict is NOT_RECEIVED:
            self.counters.sent_after_read_back += 1
            self._send(motor_state.seq, motor_state.pending_pulses)
            return
        assert isinstance(verdict, MotorAnswer)
        self._report(verdict)

    def submit(self, event: object, input_number: int | None = None) -> StepResult | None:
        """Apply an external input (its ``tick`` must be ``now``).

        Returns ``None`` when the shell is locked (PER-3) or the input was
        already taken before a restart (``input_number`` not above the last
        one saved).
        """
        if self.locked is not None:
            return None
        if input_number is not None and input_number <= self.meta.inputs_consumed:
            self.counters.inputs_skipped += 1
            return None
        return self._apply(event, input_number)

    def advance_to(self, platform_tick: int) -> list[StepResult]:
        """Let time pass up to the platform's tick reading (CLK-1); read back any unanswered command."""
        if self.locked is not None:
            self.display.shell_alarm(self.locked, self.lock_detail)
            return []
        try:
            ticks = self.gate.ticks(platform_tick)
        except ClockJump as jump:
            self._lock(ShellAlarm.CLOCK_JUMP, str(jump))
            return []
        results = []
        for tick in ticks:
            results.append(self._apply(tick))
            self._resolve_pending()
        return results

    def tick(self) -> list[StepResult]:
        """One platform minute (for simulations whose clock is the shell's own)."""
        return self.advance_to(self.now + 1)
