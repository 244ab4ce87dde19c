"""A concrete exercise of one configuration: a scripted day and a seeded random run.

Theory of operation
-------------------
The Z3 proofs already cover every configuration that passes the structural
rules (``kernel.config.structural_checks``), so a builder's configuration
needs no proof of its own.  This exercise is the concrete complement that a
reviewer can follow step by step: the kernel, on *this* configuration,

* runs a scripted day (settings, reservoir change, meal boluses, a temp
  basal, a dual-wave and an extended bolus, across midnight) with an ideal
  motor; every step must be accepted where the script expects it;
* runs a seeded random sequence of events of every class, with a motor that
  sometimes answers partly, late, with high pressure or with a fault, with
  stale and future events among them;

and after *every* step checks every invariant of ``specs.invariants`` on the
new state, that ``step`` did not raise, and that a refused event changed
nothing but the event log (INP-1, INP-2).  The seed is fixed, so the run, its
counts and its verdict are the same every time for the same configuration.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import Deliver
from kernel.config import PumpConfig
from kernel.events import CancelTarget, GlucoseStatus, MotorFault, Source, TempKind
from kernel.logic import PY
from kernel.modes import Mode
from kernel.settings import TherapySettings, make_settings
from kernel.state import PumpState, initial_state
from kernel.step import StepResult, step
from kernel.units import MU_PER_UNIT
from specs.invariants import INVARIANTS
from specs.refusals import refusal_kept_only_its_answer

SEED = 20261202
"""The random run's fixed seed."""

RANDOM_STEPS: dict[str, int] = {"quick": 2_000, "ci": 6_000, "deep": 60_000}
"""Random events per verification profile."""


@dataclass
class ExerciseReport:
    """What the exercise found (deterministic for a configuration and a step count)."""

    steps: int = 0
    accepted: int = 0
    refusals: dict[str, int] = field(default_factory=dict)
    modes_seen: list[str] = field(default_factory=list)
    delivered_pulses: int = 0
    violations: list[str] = field(default_factory=list)
    scripted_day: list[str] = field(default_factory=list)
    """Problems of the scripted day (empty when it ran as scripted)."""

    @property
    def passed(self) -> bool:
        return not self.violations and not self.scripted_day

    def as_json(self) -> dict[str, Any]:
        return {
            "seed": SEED,
            "steps": self.steps,
            "accepted": self.accepted,
            "refusals": dict(sorted(self.refusals.items())),
            "modes_seen": self.modes_seen,
            "delivered_pulses": self.delivered_pulses,
            "violations": self.violations,
            "scripted_day_problems": self.scripted_day,
        }


class _Checked:
    """Applies events and checks invariants and refusals after every step."""

    def __init__(self, config: PumpConfig, report: ExerciseReport, label: str) -> None:
        self.config = config
        self.state: PumpState = initial_state(config)
        self.report = report
        self.label = label
        self.modes: set[int] = {self.state.mode}

    def do(self, event: object) -> StepResult | None:
        before = self.state
        self.report.steps += 1
        try:
            result = step(self.config, before, event)
        except Exception as problem:  # the finding is the exception itself (INP-1)
            self._violation(f"step raised {type(problem).__name__}: {problem} on {event!r}")
            return None
        after = result.state
        if result.outcome.accepted:
            self.report.accepted += 1
        else:
            name = result.outcome.reason.name
            self.report.refusals[name] = self.report.refusals.get(name, 0) + 1
            if not refusal_kept_only_its_answer(before, after, event, result.outcome) or result.commands:
                self._violation(f"refused {type(event).__name__} ({name}) changed the state or commanded")
        for invariant in INVARIANTS:
            try:
                holds = bool(invariant.holds(self.config, after, PY))
            except Exception as problem:
                holds = False
                self._violation(f"{invariant.id} raised {type(problem).__name__} after {event!r}")
            if not holds:
                self._violation(f"{invariant.id} broken after {type(event).__name__} at tick {after.now_ticks}")
        self.report.delivered_pulses += sum(c.pulses for c in result.commands if isinstance(c, Deliver))
        self.state = after
        self.modes.add(after.mode)
        return result

    def do_confirmed(self, event: object) -> StepResult | None:
        """Apply ``event`` and answer any delivery it commands at once (an ideal motor)."""
        result = self.do(event)
        if result is not None:
            for command in result.commands:
                if isinstance(command, Deliver):
                    self.do(ev.MotorReport(self.state.now_ticks, command.seq, command.pulses))
        return result

    def _violation(self, text: str) -> None:
        if len(self.report.violations) < 20:
            self.report.violations.append(f"{self.label}: {text}")


def _settings(config: PumpConfig) -> TherapySettings:
    return make_settings(config, auto_off_hours=12, lgs_enabled=True, predictive_suspend_enabled=True)


def scripted_day(config: PumpConfig, report: ExerciseReport, hours: int = 26) -> None:
    """The scripted day (see module docstring), amounts scaled to the configuration's pulse size."""
    p = config.pulse_mu
    run = _Checked(config, report, "scripted day")
    settings = make_settings(config, auto_off_hours=0, lgs_enabled=False, predictive_suspend_enabled=False)
    reservoir = min(config.reservoir_capacity_pulses, 200 * MU_PER_UNIT // p)
    prime = min(config.prime_max_pulses, 2600 // p)
    cannula = max(config.cannula_min_pulses, min(config.cannula_max_pulses, 500 // p))
    for event in (
        ev.SettingsChange(0, settings),
        ev.FillReservoir(0, reservoir),
        ev.PrimeTubing(0, max(1, prime)),
        ev.FillCannula(0, cannula),
        ev.Resume(0),
    ):
        result = run.do_confirmed(event)
        if result is None or not result.outcome.accepted:
            reason = "raised" if result is None else result.outcome.reason.name
            report.scripted_day.append(f"set-up {type(event).__name__} refused: {reason}")
            return
    plan: dict[int, object] = {
        7 * 60 + 30: lambda t: ev.BolusRequest(t, 1, Source.USER, 5000 // p),
        10 * 60: lambda t: ev.TempBasal(t, 2, Source.USER, TempKind.PERCENT, 70, 90),
        12 * 60 + 30: lambda t: ev.BolusRequest(t, 3, Source.USER, 3000 // p, 3000 // p, 120),
        15 * 60: lambda t: ev.BolusRequest(t, 4, Source.USER, 1500 // p),
        19 * 60: lambda t: ev.BolusRequest(t, 5, Source.USER, 0, 6000 // p, 180),
        22 * 60 + 30: lambda t: ev.BolusRequest(t, 6, Source.USER, 1000 // p),
    }
    for minute in range(hours * 60):
        make = plan.get(minute)
        if make is not None:
            result = run.do_confirmed(make(run.state.now_ticks))  # type: ignore[operator]
            if result is not None and not result.outcome.accepted:
                report.scripted_day.append(f"minute {minute}: refused {result.outcome.reason.name}")
        if run.do_confirmed(ev.Tick(run.state.now_ticks + 1)) is None:
            return
    if run.state.mode != Mode.DELIVERING:
        report.scripted_day.append(f"the day ended in mode {Mode(run.state.mode).name}, not DELIVERING")


def random_run(config: PumpConfig, report: ExerciseReport, steps: int, seed: int = SEED) -> set[int]:
    """``steps`` seeded random events (see module docstring); the modes visited."""
    rng = random.Random(seed)
    run = _Checked(config, report, f"random run (seed {seed})")
    settings = _settings(config)
    max_bolus = max(1, settings.max_bolus_pulses)
    capacity = config.reservoir_capacity_pulses
    next_id = 1
    unanswered: list[Deliver] = []

    def pick_event(now: int) -> object:
        nonlocal next_id
        roll = rng.random()
        if roll < 0.55:
            return ev.Tick(now + 1, rng.random() < 0.02)
        next_id += 1
        kind = rng.randrange(17)
        source = rng.choice((Source.USER, Source.USER, Source.REMOTE, Source.CONTROLLER))
        if kind == 0:
            ext = rng.choice((0, 0, rng.randrange(max_bolus + 2)))
            ext_ticks = rng.choice((0, 15, 30, 120, 480, 600)) if ext else 0
            rid = next_id if rng.random() < 0.9 else max(1, next_id - 1)
            return ev.BolusRequest(now, rid, source, rng.randrange(max_bolus + 3), ext, ext_ticks)
        if kind == 1:
            return ev.CancelBolus(now, rng.choice(list(CancelTarget)))
        if kind == 2:
            temp_kind = rng.choice((TempKind.ABSOLUTE, TempKind.PERCENT))
            value = rng.randrange(settings.max_basal_pph + 3) if temp_kind == TempKind.ABSOLUTE else rng.randrange(260)
            return ev.TempBasal(now, next_id, source, temp_kind, value, rng.choice((15, 30, 45, 90, 1440, 7)))
        if kind == 3:
            return ev.CancelTempBasal(now, source)
        if kind == 4:
            return ev.Suspend(now)
        if kind == 5:
            return ev.Resume(now)
        if kind == 6:
            return ev.Rewind(now)
        if kind == 7:
            return ev.FillReservoir(now, rng.randrange(1, capacity + 2))
        if kind == 8:
            return ev.PrimeTubing(now, rng.randrange(1, max(2, config.prime_max_pulses // 4)))
        if kind == 9:
            return ev.FillCannula(now, rng.randrange(config.cannula_max_pulses + 2))
        if kind == 10:
            return ev.ClearLine(now)
        if kind == 11:
            status = GlucoseStatus.OK if rng.random() < 0.85 else rng.choice(list(GlucoseStatus))
            mgdl = rng.choice((rng.randrange(30, 420), rng.randrange(55, 95)))
            return ev.GlucoseReading(now, max(0, now - rng.choice((0, 0, 1, 5, 15))), mgdl, status)
        if kind == 12:
            return ev.AlarmAck(now, rng.choice(list(AlarmKind)))
        if kind == 13:
            return ev.UserPresent(now)
        if kind == 14:
            return ev.TimeOffsetChange(now, rng.choice((-60, 30, 60, 600)))
        if kind == 15:
            return ev.SettingsChange(now, settings)
        # Stale or future events (CLK-2).
        return ev.Suspend(now + rng.choice((-1, 1))) if now > 0 else ev.Resume(now + 1)

    def recovery(now: int) -> object:
        """The next step back to delivering from a stopped mode (acknowledge, rewind, fill, prime, resume)."""
        mode = run.state.mode
        active = [kind for kind in AlarmKind if run.state.alarms[kind] == AlarmStatus.ACTIVE]
        if active:
            return ev.AlarmAck(now, rng.choice(active))
        if mode == Mode.REWOUND:
            return ev.FillReservoir(now, rng.randrange(capacity // 2, capacity + 1))
        if mode == Mode.FILLED:
            return ev.PrimeTubing(now, max(1, config.prime_max_pulses // 4))
        if mode == Mode.PRIMED:
            return ev.FillCannula(now, config.cannula_min_pulses)
        if mode == Mode.OCCLUDED:
            return ev.ClearLine(now)
        if mode in (Mode.MOTOR_FAULT, Mode.EMPTY, Mode.SET_EXPIRED):
            return ev.Rewind(now)
        return ev.Resume(now)

    def motor_answer(command: Deliver, now: int) -> object:
        roll = rng.random()
        if roll < 0.86:
            return ev.MotorReport(now, command.seq, command.pulses)
        if roll < 0.91:
            return ev.MotorReport(now, command.seq, rng.randrange(command.pulses + 1))
        if roll < 0.96:
            return ev.MotorReport(now, command.seq, command.pulses, config.occlusion_pressure_kpa)
        return ev.MotorReport(now, command.seq, 0, 0, rng.choice((MotorFault.STALL, MotorFault.ENCODER_MISMATCH)))

    for event in (
        ev.SettingsChange(0, settings),
        ev.FillReservoir(0, capacity),
        ev.PrimeTubing(0, max(1, config.prime_max_pulses // 2)),
        ev.FillCannula(0, config.cannula_min_pulses),
        ev.Resume(0),
    ):
        run.do_confirmed(event)
    while report.steps < steps:
        now = run.state.now_ticks
        if unanswered and rng.random() < 0.9:
            command = unanswered.pop(0)
            result = run.do(motor_answer(command, now))
        elif run.state.mode != Mode.DELIVERING and rng.random() < 0.3:
            result = run.do(recovery(now))
        else:
            result = run.do(pick_event(now))
        if result is None:
            break
        unanswered += [c for c in result.commands if isinstance(c, Deliver)]
        # Some commands are never answered (the watchdog must notice, DLV-4).
        if unanswered and rng.random() < 0.03:
            unanswered.pop(0)
    return run.modes


def exercise(config: PumpConfig, steps: int) -> ExerciseReport:
    """Run the scripted day and ``steps`` random events on ``config`` (see module docstring)."""
    report = ExerciseReport()
    try:
        scripted_day(config, report)
    except ValueError as problem:  # make_settings: an amount that is not a whole number of pulses
        report.scripted_day.append(f"the default settings do not fit this configuration: {problem}")
        return report
    day_steps = report.steps
    modes = random_run(config, report, day_steps + steps)
    report.modes_seen = sorted(Mode(mode).name for mode in modes)
    return report
