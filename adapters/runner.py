"""A minimal imperative shell: feed events to the kernel, confirm the motor ideally.

``Runner`` holds a configuration and a state, applies events through
``kernel.step``, keeps every command and outcome, and, with an ideal motor,
answers each ``Deliver`` at once with a ``MotorReport`` of exactly the pulses
commanded.  It is what the scripted day, the scenario tests and the benchmark
drive; the motor, sensor and persistence adapters with real fault behaviour
build on the same loop.

No dosing decision lives here: the runner only relays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kernel import events as ev
from kernel.commands import Command, Deliver, Notice, NoticeKind
from kernel.config import PumpConfig
from kernel.settings import TherapySettings
from kernel.state import PumpState, initial_state
from kernel.step import StepResult, step


@dataclass
class Runner:
    """Drives one pump (see module docstring)."""

    config: PumpConfig
    state: PumpState
    ideal_motor: bool = True
    results: list[tuple[object, StepResult]] = field(default_factory=list)
    keep: bool = True

    @classmethod
    def new(cls, config: PumpConfig, *, keep: bool = True) -> Runner:
        return cls(config=config, state=initial_state(config), keep=keep)

    @property
    def now(self) -> int:
        return self.state.now_ticks

    def do(self, event: object) -> StepResult:
        """Apply one event; with an ideal motor, confirm any delivery at once."""
        result = step(self.config, self.state, event)
        self.state = result.state
        if self.keep:
            self.results.append((event, result))
        if self.ideal_motor:
            for command in result.commands:
                if isinstance(command, Deliver):
                    self.do(ev.MotorReport(self.now, command.seq, command.pulses))
        return result

    def tick(self, missed: bool = False) -> StepResult:
        """Advance one minute."""
        return self.do(ev.Tick(self.now + 1, missed))

    def ticks(self, count: int) -> list[StepResult]:
        """Advance ``count`` minutes."""
        return [self.tick() for _ in range(count)]

    def set_up(self, settings: TherapySettings, reservoir_pulses: int, prime_pulses: int, cannula_pulses: int) -> None:
        """Give settings and run the reservoir-change sequence up to delivering (RES-3)."""
        for event in (
            ev.SettingsChange(self.now, settings),
            ev.FillReservoir(self.now, reservoir_pulses),
            ev.PrimeTubing(self.now, prime_pulses),
            ev.FillCannula(self.now, cannula_pulses),
            ev.Resume(self.now),
        ):
            outcome = self.do(event).outcome
            if not outcome.accepted:
                raise RuntimeError(f"set-up step {type(event).__name__} refused: {outcome.reason.name}")

    def commands(self) -> Iterable[Command]:
        """Every command issued so far, in order."""
        for _, result in self.results:
            yield from result.commands

    def delivered_therapy_pulses(self) -> int:
        """Therapy pulses commanded so far (basal and bolus)."""
        return self.state.totals.basal_pulses + self.state.totals.bolus_pulses

    def notices(self, kind: NoticeKind) -> list[Notice]:
        """Every notice of ``kind`` issued so far."""
        return [c for c in self.commands() if isinstance(c, Notice) and c.kind == kind]
