"""Crash test: kill the pump's process at every write point of a scripted scenario, recover, compare (PER-2).

Theory of operation
-------------------
A *world* is a directory holding what outlives the pump's process: the
shell's store and dose journal (``store/``), the motor's journal (``motor.jsonl``: the motor
is a separate device; every command it executes, and every request to run a
command again, is appended there) and the display's journal
(``display.jsonl``: every alarm shown).  A *scenario* is a scripted list of
numbered inputs at given ticks, motor faults, and an end tick.
``run_world`` drives a ``PumpShell`` (with a ``FileStore``, atomic writes
and ``fsync``) through the scenario from wherever the world's record says the
pump is, to the end tick.

A *write point* is every place the shell, its store or its dose journal
calls the probe: each save has two (the new record written to its temporary
file but not yet renamed; renamed, before any command of that step is acted
on), each motor command two (appended to the dose journal, before the
record is saved; the motor has moved, its answer not yet reported), and each
new journal two (written, renamed: ``adapters.journal``).

The campaign:

1. A reference run (no crash) records, for every save, the record's SHA-256,
   the motor journal's length and the tick: the *trace*.
2. A second run of the same scenario, in a fresh world, calls ``os.fork()``
   at every write point; the child is killed with ``SIGKILL`` right there (a
   real process death: no handler, no flush, no ``atexit``).  The parent
   waits for it, copies the world as the dead process left it to
   ``crash-<k>/`` and goes on.  The trace of this run must equal the first
   (the scenario is deterministic).
3. For every ``crash-<k>``, a fresh process starts the shell from that world
   (forked from a ``multiprocessing`` fork server that has only imported the
   modules and never ran a pump; ``--interpreter``: a new Python interpreter,
   ``python -m adapters crashtest recover``), along the normal
   start-up path (recover the record, announce active alarms again, read back
   a pending command) and then the rest of the scenario.  With
   ``--converge``, it stops as soon as the world is exactly where the
   reference was at some save (same record bytes and same motor journal
   length; checked after start-up and after every save): from there the run is the reference's, step for step, because
   everything is deterministic.  Without it, it runs to the end tick.
4. The parent compares each recovered world with the reference:

   * *repeated*: a command executed twice by the motor, or a request to run a
     command it had already run (the shell must never ask; the motor's own
     at-most-once guard must not be what saves it);
   * *lost*: the motor's executions differ from the reference's (same
     session, sequence number, pulses commanded and displaced, in order), up
     to the end or the point of convergence;
   * *alarm lost*: an alarm the reference showed (tick, kind), up to the end
     or the point of convergence, that the crashed-and-recovered display never
     showed;
   * *state differs*: without ``--converge``, the final record is not
     byte-identical to the reference's; with it, the run never converged;
   * *journal differs*: without ``--converge``, the history the final dose
     journal would rebuild (``adapters.recovery.plan_recovery`` at the end
     tick) is not the reference's (PER-4: a crash neither loses a dose from
     the journal nor adds one; a line written twice counts once).

   Every count must be 0.

``python -m adapters crashtest campaign --scenario short`` is the CI-sized
one (every event kind, every motor fault, about 50 ticks);
``--scenario day`` is a scripted day of 1440 ticks (run with ``--converge``).

Units: ``_ticks``, ``_pulses``.  Requirements served: PER-2, DLV-1, DLV-2,
ALM-3 (checked).  No dosing decision lives here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.context import ForkServerContext, ForkServerProcess
from pathlib import Path

from adapters.clock import TICK_S
from adapters.journal import FileJournal
from adapters.motor import Execution, Fault, FaultKind, MotorAnswer, SimulatedMotor
from adapters.persistence import FileStore, Probe, no_probe
from adapters.recovery import ShellNotice, plan_recovery
from adapters.shell import PumpShell, ShellAlarm
from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.commands import Alarm, Notice
from kernel.config import DEFAULT_CONFIG, PumpConfig
from kernel.events import CancelTarget, GlucoseStatus, Source, TempKind
from kernel.settings import make_settings

Make = Callable[[int], object]
"""Builds one input event at the current tick."""


@dataclass(frozen=True)
class Scenario:
    """Numbered inputs at ticks (number = position + 1), motor faults, and the end tick."""

    name: str
    end_tick: int
    inputs: tuple[tuple[int, Make], ...]
    faults: tuple[Fault, ...]

    def inputs_at(self, tick: int) -> Iterator[tuple[int, Make]]:
        for index, (at, make) in enumerate(self.inputs):
            if at == tick:
                yield index + 1, make


# ------------------------------------------------------------------ scenarios

CONFIG: PumpConfig = DEFAULT_CONFIG


def short_scenario() -> Scenario:
    """About 50 ticks with every event kind, every motor fault, and every kind of recovery."""
    c = CONFIG
    settings = make_settings(
        c,
        basal_segments_mu_per_hour=((0, 3000),),
        auto_off_hours=0,
        lgs_enabled=True,
        predictive_suspend_enabled=False,
        remote_bolus_enabled=True,
        controller_enabled=True,
    )
    A = AlarmKind
    inputs: list[tuple[int, Make]] = [
        (0, lambda t: ev.SettingsChange(t, settings)),
        (0, lambda t: ev.FillReservoir(t, 4000)),
        (0, lambda t: ev.PrimeTubing(t, 20)),
        (0, lambda t: ev.FillCannula(t, 10)),
        (0, lambda t: ev.Resume(t)),
        (0, lambda t: ev.GlucoseReading(t, t, 120)),
        (1, lambda t: ev.BolusRequest(t, 1, Source.USER, 40)),
        (2, lambda t: ev.TempBasal(t, 2, Source.USER, TempKind.PERCENT, 50, 30)),
        (3, lambda t: ev.TimeOffsetChange(t, 60)),
        (4, lambda t: ev.CancelTempBasal(t, Source.USER)),
        (5, lambda t: ev.GlucoseReading(t, t, 125)),
        (5, lambda t: ev.BolusRequest(t, 3, Source.REMOTE, 0, 30, 15)),
        (6, lambda t: ev.UserPresent(t)),
        (7, lambda t: ev.CancelBolus(t, CancelTarget.ALL)),
        (8, lambda t: ev.TempBasal(t, 4, Source.CONTROLLER, TempKind.ABSOLUTE, 30, 20)),
        (10, lambda t: ev.GlucoseReading(t, t, 0, GlucoseStatus.LOW)),
        (11, lambda t: ev.AlarmAck(t, A.LOW_GLUCOSE_SUSPEND)),
        (12, lambda t: ev.GlucoseReading(t, t, 80)),
        (14, lambda t: ev.GlucoseReading(t, t, 95)),
        (15, lambda t: ev.Suspend(t)),
        (16, lambda t: ev.Resume(t)),
        (19, lambda t: ev.GlucoseReading(t, t, 120)),
        (21, lambda t: ev.AlarmAck(t, A.DELIVERY_UNCERTAIN)),
        (24, lambda t: ev.GlucoseReading(t, t, 118)),
        (29, lambda t: ev.GlucoseReading(t, t, 121)),
        (34, lambda t: ev.GlucoseReading(t, t, 119)),
        (36, lambda t: ev.AlarmAck(t, A.OCCLUSION)),
        (37, lambda t: ev.ClearLine(t)),
        (37, lambda t: ev.PrimeTubing(t, 10)),
        (37, lambda t: ev.FillCannula(t, 10)),
        (38, lambda t: ev.Resume(t)),
        (39, lambda t: ev.GlucoseReading(t, t, 122)),
        (42, lambda t: ev.AlarmAck(t, A.MOTOR_FAULT)),
        (43, lambda t: ev.Rewind(t)),
        (43, lambda t: ev.FillReservoir(t, 3000)),
        (43, lambda t: ev.PrimeTubing(t, 20)),
        (43, lambda t: ev.FillCannula(t, 10)),
        (43, lambda t: ev.Resume(t)),
        (44, lambda t: ev.GlucoseReading(t, t, 130)),
        (44, lambda t: ev.BolusRequest(t, 5, Source.REMOTE, 20)),
    ]
    faults = (
        Fault(FaultKind.LOST_ACK, 18, by_tick=True, unreachable_ticks=2),
        Fault(FaultKind.PARTIAL, 23, by_tick=True),
        Fault(FaultKind.BLOCKED, 25, 26, by_tick=True),
        Fault(FaultKind.OCCLUSION, 30, 35, by_tick=True),
        Fault(FaultKind.STALL, 41, by_tick=True),
    )
    return Scenario("short", 50, tuple(inputs), faults)


def day_scenario() -> Scenario:
    """A scripted day of 1440 ticks: meals, temps, a low, a suspend, and one of each motor fault."""
    c = CONFIG
    p = c.pulse_mu
    settings = make_settings(c, auto_off_hours=0, lgs_enabled=True, remote_bolus_enabled=True, controller_enabled=True)
    A = AlarmKind

    def glucose_mgdl(tick: int) -> int:
        if 170 <= tick < 215:  # a night-time low around 03:00
            return 62 if tick < 200 else 75 + (tick - 200)
        hour = tick / 60
        return int(130 + 50 * ((hour % 6) - 3) ** 2 / 9 - 25)

    inputs: list[tuple[int, Make]] = [
        (0, lambda t: ev.SettingsChange(t, settings)),
        (0, lambda t: ev.FillReservoir(t, 200 * 1000 // p)),
        (0, lambda t: ev.PrimeTubing(t, 2600 // p)),
        (0, lambda t: ev.FillCannula(t, 500 // p)),
        (0, lambda t: ev.Resume(t)),
    ]
    for tick in range(0, 1440, 5):
        inputs.append((tick, lambda t: ev.GlucoseReading(t, t, glucose_mgdl(t))))
    inputs += [
        (120, lambda t: ev.TimeOffsetChange(t, 60)),
        (230, lambda t: ev.AlarmAck(t, A.LOW_GLUCOSE_SUSPEND)),
        (450, lambda t: ev.BolusRequest(t, 1, Source.USER, 5000 // p)),
        (451, lambda t: ev.BolusRequest(t, 1, Source.USER, 5000 // p)),  # a double key-strike (BOL-5)
        (600, lambda t: ev.TempBasal(t, 2, Source.USER, TempKind.PERCENT, 70, 90)),
        (612, lambda t: ev.AlarmAck(t, A.DELIVERY_UNCERTAIN)),
        (660, lambda t: ev.CancelTempBasal(t, Source.USER)),
        (750, lambda t: ev.BolusRequest(t, 3, Source.REMOTE, 3000 // p, 3000 // p, 120)),
        (781, lambda t: ev.AlarmAck(t, A.OCCLUSION)),
        (782, lambda t: ev.ClearLine(t)),
        (782, lambda t: ev.PrimeTubing(t, 10)),
        (782, lambda t: ev.FillCannula(t, 10)),
        (783, lambda t: ev.Resume(t)),
        (840, lambda t: ev.Suspend(t)),
        (860, lambda t: ev.Resume(t)),
        (900, lambda t: ev.BolusRequest(t, 4, Source.USER, 1500 // p)),
        (905, lambda t: ev.UserPresent(t)),
        (960, lambda t: ev.TempBasal(t, 5, Source.CONTROLLER, TempKind.ABSOLUTE, 30, 30)),
        (1000, lambda t: ev.AlarmAck(t, A.MOTOR_FAULT)),
        (1001, lambda t: ev.Rewind(t)),
        (1001, lambda t: ev.FillReservoir(t, 150 * 1000 // p)),
        (1001, lambda t: ev.PrimeTubing(t, 2000 // p)),
        (1001, lambda t: ev.FillCannula(t, 500 // p)),
        (1001, lambda t: ev.Resume(t)),
        (1140, lambda t: ev.BolusRequest(t, 6, Source.USER, 0, 6000 // p, 180)),
        (1200, lambda t: ev.CancelBolus(t, CancelTarget.EXTENDED)),
        (1350, lambda t: ev.BolusRequest(t, 7, Source.USER, 1000 // p)),
    ]
    inputs.sort(key=lambda item: item[0])
    faults = (
        Fault(FaultKind.LOST_ACK, 606, 610, by_tick=True, unreachable_ticks=3),
        Fault(FaultKind.PARTIAL, 700, 702, by_tick=True),
        Fault(FaultKind.BLOCKED, 720, 721, by_tick=True),
        Fault(FaultKind.OCCLUSION, 760, 780, by_tick=True, pressure_step_kpa=20),
        Fault(FaultKind.STALL, 990, 998, by_tick=True),
        Fault(FaultKind.OVER_DELIVERY, 1380, 1395, by_tick=True),
    )
    return Scenario("day", 1440, tuple(inputs), faults)


SCENARIOS: dict[str, Callable[[], Scenario]] = {"short": short_scenario, "day": day_scenario}


# --------------------------------------------------------------------- worlds


class MotorJournal:
    """The motor's durable memory: one JSON line per execution or repeat request."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def lines(self) -> list[dict[str, int]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]

    def executions(self) -> list[Execution]:
        found = []
        for item in self.lines():
            if "repeat" not in item:
                answer = MotorAnswer(
                    item["seq"], item["commanded"], item["displaced"], (item["pressure"],), ev.MotorFault(item["fault"])
                )
                found.append(Execution(item["session"], item["seq"], item["tick"], answer))
        return found

    def _append(self, item: dict[str, int]) -> None:
        with open(self.path, "a") as handle:
            handle.write(json.dumps(item, sort_keys=True) + "\n")

    def executed(self, e: Execution) -> None:
        a = e.answer
        self._append(
            {
                "session": e.session,
                "seq": e.seq,
                "tick": e.tick,
                "commanded": a.commanded_pulses,
                "displaced": a.displaced_pulses,
                "pressure": a.peak_pressure_kpa,
                "fault": int(a.fault),
            }
        )

    def repeated(self, session: int, seq: int) -> None:
        self._append({"repeat": 1, "session": session, "seq": seq})


@dataclass
class JournalDisplay:
    """A display whose alarms outlive the process (appended to a file)."""

    path: Path

    def _append(self, item: dict[str, object]) -> None:
        with open(self.path, "a") as handle:
            handle.write(json.dumps(item, sort_keys=True) + "\n")

    def alarm(self, tick: int, alarm: Alarm, repeated: bool) -> None:
        self._append({"tick": tick, "alarm": int(alarm.kind), "repeated": repeated})

    def notice(self, tick: int, notice: Notice) -> None:
        pass

    def shell_alarm(self, alarm: ShellAlarm, detail: str) -> None:
        self._append({"shell_alarm": alarm.name, "detail": detail})

    def shell_notice(self, notice: ShellNotice, detail: str) -> None:
        self._append({"shell_notice": notice.name, "detail": detail})

    def alarms(self) -> list[tuple[int, int]]:
        if not self.path.exists():
            return []
        items = [json.loads(line) for line in self.path.read_text().splitlines() if line]
        return [(item["tick"], item["alarm"]) for item in items if "alarm" in item]


@dataclass
class TraceEntry:
    sha: str
    motor_lines: int
    tick: int
    display_lines: int


class TracingStore(FileStore):
    """A ``FileStore`` that tells ``on_save`` about every record it saved."""

    def __init__(self, directory: Path, on_save: Callable[[bytes], None], probe: Probe = no_probe) -> None:
        super().__init__(directory, probe=no_probe)
        self.on_save = on_save
        self.outer_probe = probe

    def save(self, record: bytes) -> None:
        self.probe = self.outer_probe
        super().save(record)
        self.on_save(record)


@dataclass
class World:
    """A directory with the store and the journals (see module docstring)."""

    directory: Path
    scenario: Scenario
    probe: Probe = no_probe
    trace: list[TraceEntry] = field(default_factory=list)
    check: Callable[[TraceEntry], None] | None = None
    _box: list[PumpShell] = field(default_factory=list)

    @property
    def motor_journal(self) -> MotorJournal:
        return MotorJournal(self.directory / "motor.jsonl")

    @property
    def display(self) -> JournalDisplay:
        return JournalDisplay(self.directory / "display.jsonl")

    def open_shell(self) -> PumpShell:
        self.directory.mkdir(parents=True, exist_ok=True)
        journal = self.motor_journal
        box = self._box
        box.clear()
        motor = SimulatedMotor(
            faults=self.scenario.faults,
            clock=lambda: box[0].now,
            on_execute=journal.executed,
            on_repeat=journal.repeated,
        )
        motor.restore(journal.executions())
        store = TracingStore(self.directory / "store", self._saved, probe=self.probe)
        doses = FileJournal(self.directory / "store", probe=self.probe)
        shell = PumpShell.open(CONFIG, motor=motor, display=self.display, store=store, probe=self.probe, journal=doses)
        box.append(shell)
        shell.recover()
        if self.check is not None and store.path.exists():
            self.check(self._entry(self.final_sha(), shell.now))
        return shell

    def _saved(self, record: bytes) -> None:
        tick = self._box[0].now if self._box else 0
        entry = self._entry(hashlib.sha256(record).hexdigest(), tick)
        self.trace.append(entry)
        if self.check is not None:
            self.check(entry)

    def _entry(self, sha: str, tick: int) -> TraceEntry:
        return TraceEntry(sha, len(self.motor_journal.lines()), tick, len(self.display.alarms()))

    def final_sha(self) -> str:
        return hashlib.sha256((self.directory / "store" / FileStore.RECORD).read_bytes()).hexdigest()

    def run(self) -> PumpShell:
        shell = self.open_shell()
        while shell.now < self.scenario.end_tick and shell.locked is None:
            now = shell.now
            for number, make in self.scenario.inputs_at(now):
                shell.submit(make(now), number)
            shell.advance_to(now + 1)
        return shell


# ------------------------------------------------------------------ campaign


@dataclass
class Verdict:
    """What one crash-and-recovery left, compared with the reference."""

    point: int
    name: str
    repeated: int = 0
    lost: int = 0
    alarms_lost: int = 0
    state_differs: int = 0
    journal_differs: int = 0
    recovery_failed: int = 0
    converged_at: int | None = None


@dataclass
class CampaignResult:
    scenario: str
    converge: bool
    write_points: int = 0
    kills: int = 0
    recoveries: int = 0
    reference_saves: int = 0
    reference_motor_commands: int = 0
    reference_alarms: int = 0
    deterministic: bool = True
    verdicts: list[Verdict] = field(default_factory=list)
    seconds: float = 0.0

    def totals(self) -> dict[str, int]:
        return {
            "repeated": sum(v.repeated for v in self.verdicts),
            "lost": sum(v.lost for v in self.verdicts),
            "alarms_lost": sum(v.alarms_lost for v in self.verdicts),
            "state_differs": sum(v.state_differs for v in self.verdicts),
            "journal_differs": sum(v.journal_differs for v in self.verdicts),
            "recovery_failed": sum(v.recovery_failed for v in self.verdicts),
        }

    @property
    def clean(self) -> bool:
        return (
            self.deterministic
            and self.kills == self.write_points == self.recoveries
            and not any(self.totals().values())
        )


def _motor_key(item: dict[str, int]) -> tuple[int, ...]:
    return (item["session"], item["seq"], item["commanded"], item["displaced"], item["fault"])


def _judge(crash: Path, reference: World, point: int, name: str, converge: bool) -> Verdict:
    verdict = Verdict(point, name)
    result_path = crash / "result.json"
    if not result_path.exists():
        verdict.recovery_failed = 1
        return verdict
    result = json.loads(result_path.read_text())
    lines = MotorJournal(crash / "motor.jsonl").lines()
    executed = [item for item in lines if "repeat" not in item]
    keys = [(item["session"], item["seq"]) for item in executed]
    verdict.repeated = (len(keys) - len(set(keys))) + sum(1 for item in lines if "repeat" in item)
    reference_lines = reference.motor_journal.lines()
    reference_alarms = reference.display.alarms()
    if converge:
        at = result.get("converged_at")
        verdict.converged_at = at
        if at is None:
            verdict.state_differs = 1
            return verdict
        entry = reference.trace[at]
        reference_lines = reference_lines[: entry.motor_lines]
        reference_alarms = reference_alarms[: entry.display_lines]
    else:
        verdict.state_differs = int(result["final_sha"] != reference.final_sha())
        end_tick = reference.scenario.end_tick
        verdict.journal_differs = int(
            rebuilt_history(crash, end_tick) != rebuilt_history(reference.directory, end_tick)
        )
    reference_keys = [_motor_key(item) for item in reference_lines]
    crash_keys = [_motor_key(item) for item in executed]
    verdict.lost = 0 if crash_keys == reference_keys else max(1, abs(len(reference_keys) - len(crash_keys)))
    shown = set(JournalDisplay(crash / "display.jsonl").alarms())
    verdict.alarms_lost = sum(1 for alarm in set(reference_alarms) if alarm not in shown)
    return verdict


def rebuilt_history(world: Path, end_tick: int) -> tuple[tuple[int, int], ...] | None:
    """The deliveries a replacement at ``end_tick`` would rebuild from the world's dose journal (epoch 0)."""
    return plan_recovery(FileJournal(world / "store").read(), TICK_S * end_tick).deliveries


class Recovery:
    """One recovering process: forked from a fork server that has only imported the modules, or a new interpreter."""

    def __init__(
        self, world: Path, scenario_name: str, trace: Path | None, context: ForkServerContext, interpreter: bool
    ) -> None:
        self.process: subprocess.Popen[bytes] | ForkServerProcess
        if interpreter:
            command = [sys.executable, "-m", "adapters", "crashtest", "recover", str(world)]
            command += ["--scenario", scenario_name]
            if trace is not None:
                command += ["--trace", str(trace)]
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            self.process = context.Process(target=recover, args=(world, scenario_name, trace))
            self.process.start()

    def wait(self) -> int | None:
        if isinstance(self.process, subprocess.Popen):
            return self.process.wait()
        self.process.join()
        return self.process.exitcode


def campaign(
    scenario_name: str,
    workdir: Path,
    *,
    jobs: int = 2,
    converge: bool = False,
    interpreter: bool = False,
    progress: Callable[[int, int], None] | None = None,
    keep: bool = False,
) -> CampaignResult:
    """Run the whole crash campaign (see module docstring); ``workdir`` must be empty or absent."""
    started = time.perf_counter()
    scenario = SCENARIOS[scenario_name]()
    workdir.mkdir(parents=True, exist_ok=True)
    reference = World(workdir / "reference", scenario)
    reference.run()
    trace_path = workdir / "trace.json"
    trace_path.write_text(json.dumps([[e.sha, e.motor_lines] for e in reference.trace]))
    result = CampaignResult(scenario_name, converge)
    result.reference_saves = len(reference.trace)
    result.reference_motor_commands = len(reference.motor_journal.executions())
    result.reference_alarms = len(reference.display.alarms())

    running: list[tuple[Recovery, Path, int, str]] = []
    verdicts: dict[int, Verdict] = {}
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["adapters.crashtest"])

    def finish(job: tuple[Recovery, Path, int, str]) -> None:
        process, crash, point, name = job
        if process.wait() == 0:
            result.recoveries += 1
        verdicts[point] = _judge(crash, reference, point, name, converge)
        if not keep:
            shutil.rmtree(crash, ignore_errors=True)
        if progress is not None:
            progress(len(verdicts), 0)

    counter = 0
    live = World(workdir / "live", scenario)

    def probe(name: str) -> None:
        nonlocal counter
        counter += 1
        pid = os.fork()
        if pid == 0:  # the process that dies here, exactly at this write point
            os.kill(os.getpid(), signal.SIGKILL)
            os._exit(70)  # not reached
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            result.kills += 1
        crash = workdir / f"crash-{counter:05d}"
        shutil.copytree(live.directory, crash)
        while len(running) >= jobs:
            finish(running.pop(0))
        trace = trace_path if converge else None
        running.append((Recovery(crash, scenario_name, trace, context, interpreter), crash, counter, name))

    live.probe = probe
    live.run()
    while running:
        finish(running.pop(0))
    result.write_points = counter
    result.deterministic = [e.sha for e in live.trace] == [e.sha for e in reference.trace]
    result.verdicts = [verdicts[k] for k in sorted(verdicts)]
    result.seconds = time.perf_counter() - started
    if not keep:
        shutil.rmtree(live.directory, ignore_errors=True)
    return result


class Converged(Exception):
    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def recover(world_dir: Path, scenario_name: str, trace_path: Path | None) -> int:
    """The fresh process: start from the world as the crash left it, and finish (or converge)."""
    world = World(world_dir, SCENARIOS[scenario_name]())
    if trace_path is not None:
        trace = json.loads(trace_path.read_text())
        positions = {(sha, lines): index for index, (sha, lines) in enumerate(trace)}

        def check(entry: TraceEntry) -> None:
            index = positions.get((entry.sha, entry.motor_lines))
            if index is not None:
                raise Converged(index)

        world.check = check
    outcome: dict[str, object] = {}
    try:
        shell = world.run()
        outcome["final_sha"] = world.final_sha()
        outcome["locked"] = None if shell.locked is None else shell.locked.name
    except Converged as converged:
        outcome["converged_at"] = converged.index
    (world_dir / "result.json").write_text(json.dumps(outcome))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adapters crashtest", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("campaign", help="kill at every write point, recover, compare")
    run.add_argument("--scenario", choices=sorted(SCENARIOS), default="short")
    run.add_argument("--workdir", type=Path, default=Path("out/crashtest"))
    run.add_argument("--jobs", type=int, default=2)
    run.add_argument("--converge", action="store_true", help="stop each recovery once it is back on the reference")
    run.add_argument("--interpreter", action="store_true", help="recover in a new interpreter (slower)")
    again = sub.add_parser("recover", help="(internal) recover one crashed world")
    again.add_argument("world", type=Path)
    again.add_argument("--scenario", choices=sorted(SCENARIOS), default="short")
    again.add_argument("--trace", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "recover":
        return recover(args.world, args.scenario, args.trace)
    if args.workdir.exists():
        shutil.rmtree(args.workdir)

    def show(done: int, _: int) -> None:
        if done % 100 == 0:
            print(f"  {done} recoveries judged", flush=True)

    result = campaign(
        args.scenario, args.workdir, jobs=args.jobs, converge=args.converge, interpreter=args.interpreter, progress=show
    )
    print(json.dumps(summary(result), indent=2))
    return 0 if result.clean else 1


def summary(result: CampaignResult) -> dict[str, object]:
    """The campaign's counts, as reported."""
    converged = [v.converged_at for v in result.verdicts if v.converged_at is not None]
    return {
        "scenario": result.scenario,
        "mode": "until converged" if result.converge else "to the end",
        "reference_saves": result.reference_saves,
        "reference_motor_commands": result.reference_motor_commands,
        "reference_alarms_shown": result.reference_alarms,
        "write_points": result.write_points,
        "kills": result.kills,
        "recoveries": result.recoveries,
        "deterministic": result.deterministic,
        **result.totals(),
        "converged": len(converged),
        "seconds": round(result.seconds, 1),
    }


if __name__ == "__main__":
    sys.exit(main())
