"""Shared helpers for the kernel's unit tests: a tiny driver, pumps in every mode, readers.

The driver (``Pump``) is deliberately independent of ``adapters``: it calls
``kernel.step`` directly and, when ``auto_confirm`` is on, answers every
``Deliver`` at once with a ``MotorReport`` of exactly the commanded pulses
(an ideal motor), so the kernel is tested on its own.

``pump_in_mode(mode)`` reaches every ``Mode`` by events only (no state
surgery), from a new pump through the reservoir-change sequence, so the mode
tests exercise real paths.  Where a test needs a timer far along (a set
nearly at its maximum age), it says so and uses ``with_timers`` or
``with_reservoir`` on a state reached by events.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import Alarm, Command, Deliver, Notice, NoticeKind, Purpose
from kernel.config import DEFAULT_CONFIG, PumpConfig
from kernel.events import GlucoseStatus, MotorFault, Source
from kernel.log import LogKind
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.settings import TherapySettings, make_settings
from kernel.state import PumpState, evolve, initial_state
from kernel.step import StepResult, step
from specs.refusals import refusal_kept_only_its_answer

C: PumpConfig = DEFAULT_CONFIG
"""The configuration the tests run on unless they say otherwise (0.05 U pulses)."""

RESERVOIR = 4000
"""Pulses put in the reservoir by ``delivering_pump`` (200 U)."""
PRIME = 20
"""Pulses primed by ``delivering_pump`` (1 U)."""
CANNULA = 10
"""Pulses of cannula fill by ``delivering_pump`` (0.5 U)."""

_request_ids = itertools.count(1000)


def next_request_id() -> int:
    """A request ID no test has used yet in this process."""
    return next(_request_ids)


def quiet_settings(config: PumpConfig = C, **overrides: Any) -> TherapySettings:
    """Default settings without auto-off and without low-glucose suspend (so only the test acts)."""
    kwargs: dict[str, Any] = {"auto_off_hours": 0, "lgs_enabled": False, "predictive_suspend_enabled": False}
    kwargs.update(overrides)
    return make_settings(config, **kwargs)


def flat_settings(rate_mu_per_hour: int, config: PumpConfig = C, **overrides: Any) -> TherapySettings:
    """Quiet settings with one basal segment at ``rate_mu_per_hour`` all day."""
    return quiet_settings(config, basal_segments_mu_per_hour=((0, rate_mu_per_hour),), **overrides)


@dataclass
class Pump:
    """A pump driven directly through ``kernel.step``.

    ``history`` keeps every step result (events and motor confirmations) when
    ``keep`` is set.  ``auto_confirm`` answers each ``Deliver`` with a report of
    exactly the pulses commanded, in the same tick.
    """

    config: PumpConfig = C
    state: PumpState = field(default_factory=lambda: initial_state(C))
    auto_confirm: bool = True
    keep: bool = True
    history: list[tuple[object, StepResult]] = field(default_factory=list)

    @property
    def now(self) -> int:
        return self.state.now_ticks

    @property
    def mode(self) -> int:
        """The current ``Mode`` (typed ``int`` so that mypy does not narrow it across steps)."""
        return Mode(self.state.mode)

    def do(self, event: object) -> StepResult:
        """Apply ``event``; with ``auto_confirm``, confirm any delivery at once.  Returns the event's result."""
        result = step(self.config, self.state, event)
        self.state = result.state
        if self.keep:
            self.history.append((event, result))
        if self.auto_confirm:
            for command in result.commands:
                if isinstance(command, Deliver):
                    confirm = self.do_raw(ev.MotorReport(self.now, command.seq, command.pulses))
                    assert confirm.outcome.accepted, confirm.outcome
        return result

    def do_raw(self, event: object) -> StepResult:
        """Apply ``event`` without confirming anything."""
        result = step(self.config, self.state, event)
        self.state = result.state
        if self.keep:
            self.history.append((event, result))
        return result

    def accept(self, event: object) -> StepResult:
        """Apply ``event`` and insist that it is accepted."""
        result = self.do(event)
        assert result.outcome.accepted, (type(event).__name__, result.outcome)
        return result

    def tick(self, missed: bool = False) -> StepResult:
        """One minute passes."""
        return self.do(ev.Tick(self.now + 1, missed))

    def ticks(self, count: int) -> list[StepResult]:
        """``count`` minutes pass; the tick results, in order."""
        return [self.tick() for _ in range(count)]

    def run_until(self, predicate: Callable[[Pump], bool], limit: int) -> int:
        """Tick until ``predicate`` holds (at most ``limit`` ticks); the number of ticks taken."""
        for taken in range(limit + 1):
            if predicate(self):
                return taken
            self.tick()
        raise AssertionError(f"condition not reached within {limit} ticks")

    def commands(self) -> Iterable[Command]:
        """Every command in ``history``."""
        for _, result in self.history:
            yield from result.commands

    # Event shortcuts (all at the current tick).
    def bolus(
        self,
        immediate: int,
        extended: int = 0,
        extended_ticks: int = 0,
        *,
        source: int = Source.USER,
        request_id: int | None = None,
    ) -> StepResult:
        rid = next_request_id() if request_id is None else request_id
        return self.do(ev.BolusRequest(self.now, rid, source, immediate, extended, extended_ticks))

    def temp(
        self,
        kind: int,
        value: int,
        duration_ticks: int,
        *,
        source: int = Source.USER,
        request_id: int | None = None,
    ) -> StepResult:
        rid = next_request_id() if request_id is None else request_id
        return self.do(ev.TempBasal(self.now, rid, source, kind, value, duration_ticks))

    def glucose(self, mgdl: int, *, age: int = 0, status: int = GlucoseStatus.OK) -> StepResult:
        return self.do(ev.GlucoseReading(self.now, self.now - age, mgdl, status))

    def readings(self, values: Sequence[int], every: int = 5) -> list[StepResult]:
        """One valid reading now, then one every ``every`` minutes (ticks between them); their results."""
        results = [self.glucose(values[0])]
        for mgdl in values[1:]:
            self.ticks(every)
            results.append(self.glucose(mgdl))
        return results

    def recover_glucose(self, limit_ticks: int = 90) -> int:
        """Rising readings every 5 minutes until an automatic suspension ends by recovery (SUS-4); minutes taken.

        Glucose climbs 10 mg/dL every 5 minutes from the threshold; recovery needs the
        configured minimum suspension, a reading above threshold + resume margin and a
        rising trend predicting above threshold + margin + resume margin.
        """
        threshold = self.state.settings.lgs_threshold_mgdl
        start = self.now
        mgdl = threshold
        while self.mode == Mode.LGS_SUSPENDED and self.now - start <= limit_ticks:
            self.ticks(5)
            mgdl += 10
            self.glucose(mgdl)
        assert self.mode != Mode.LGS_SUSPENDED, "glucose did not recover the suspension"
        return self.now - start

    def ack(self, kind: AlarmKind) -> StepResult:
        return self.do(ev.AlarmAck(self.now, kind))

    def ack_all(self) -> None:
        """Acknowledge every active alarm."""
        for kind in AlarmKind:
            if self.state.alarms[kind] == AlarmStatus.ACTIVE:
                self.accept(ev.AlarmAck(self.now, kind))


def delivering_pump(
    settings: TherapySettings | None = None,
    *,
    config: PumpConfig = C,
    reservoir: int = RESERVOIR,
    prime: int = PRIME,
    cannula: int = CANNULA,
    auto_confirm: bool = True,
    keep: bool = True,
) -> Pump:
    """A new pump taken through settings, fill, prime, cannula fill and resume: mode DELIVERING at tick 0."""
    pump = Pump(config=config, state=initial_state(config), keep=keep)
    pump.accept(ev.SettingsChange(0, quiet_settings(config) if settings is None else settings))
    pump.accept(ev.FillReservoir(0, reservoir))
    pump.accept(ev.PrimeTubing(0, prime))
    pump.accept(ev.FillCannula(0, cannula))
    pump.accept(ev.Resume(0))
    assert pump.mode == Mode.DELIVERING
    pump.auto_confirm = auto_confirm
    return pump


LGS_SETTINGS = quiet_settings(lgs_enabled=True)
"""Quiet settings with low-glucose suspend on (threshold 70 mg/dL), predictive off."""


def pump_in_mode(mode: Mode) -> Pump:
    """A pump brought into ``mode`` by events only, with settings that allow every later step.

    Settings have low-glucose suspend on and auto-off at 1 hour (reached only
    for ``AUTO_OFF``: every other path keeps the user present).  High alarms
    raised on the way are left active; ``Pump.ack_all`` acknowledges them.
    """
    settings = quiet_settings(lgs_enabled=True, auto_off_hours=1)
    pump = Pump()
    pump.accept(ev.SettingsChange(0, settings))
    if mode == Mode.REWOUND:
        return pump
    pump.accept(ev.FillReservoir(0, RESERVOIR))
    if mode == Mode.FILLED:
        return pump
    pump.accept(ev.PrimeTubing(0, PRIME))
    if mode == Mode.PRIMED:
        return pump
    pump.accept(ev.FillCannula(0, CANNULA))
    if mode == Mode.READY:
        return pump
    pump.accept(ev.Resume(0))
    if mode == Mode.DELIVERING:
        return pump
    if mode == Mode.SUSPENDED:
        pump.accept(ev.Suspend(pump.now))
    elif mode == Mode.LGS_SUSPENDED:
        pump.tick()
        pump.accept(ev.GlucoseReading(pump.now, pump.now, 60))  # suspends
        pump.tick()
        pump.accept(ev.GlucoseReading(pump.now, pump.now, 60))  # confirms the low: the alarm (ALM-5)
    elif mode == Mode.OCCLUDED:
        pump.auto_confirm = False
        while pump.mode == Mode.DELIVERING:
            result = pump.tick()
            for command in result.commands:
                if isinstance(command, Deliver):
                    pump.accept(ev.MotorReport(pump.now, command.seq, command.pulses, C.occlusion_pressure_kpa))
        pump.auto_confirm = True
    elif mode == Mode.MOTOR_FAULT:
        pump.auto_confirm = False
        pump.run_until(lambda p: p.state.motor.pending_pulses > 0, 10)
        pump.accept(ev.MotorReport(pump.now, pump.state.motor.seq, 0, 0, MotorFault.STALL))
        pump.auto_confirm = True
    elif mode == Mode.EMPTY:
        pump.accept(ev.Suspend(pump.now))
        pump.accept(ev.Rewind(pump.now))
        pump.accept(ev.FillReservoir(pump.now, PRIME + CANNULA + 3))
        pump.accept(ev.PrimeTubing(pump.now, PRIME))
        pump.accept(ev.FillCannula(pump.now, CANNULA))
        pump.accept(ev.Resume(pump.now))
        pump.run_until(lambda p: p.mode != Mode.DELIVERING, 30)
    elif mode == Mode.SET_EXPIRED:
        # The set's age is a counter: put it one tick before the hard stop, then let that tick pass.
        pump.state = with_reservoir(pump.state, set_age_ticks=settings.set_max_age_ticks - 1)
        pump.tick()
    elif mode == Mode.AUTO_OFF:
        pump.run_until(lambda p: p.mode != Mode.DELIVERING, settings.auto_off_ticks + 1)
    assert pump.mode == mode, (pump.mode, mode)
    return pump


def with_reservoir(state: PumpState, **changes: Any) -> PumpState:
    """``state`` with reservoir fields replaced (for timers too long to run in a unit test)."""
    return evolve(state, reservoir=evolve(state.reservoir, **changes))


def with_timers(state: PumpState, **changes: Any) -> PumpState:
    """``state`` with timer fields replaced (for timers too long to run in a unit test)."""
    return evolve(state, timers=evolve(state.timers, **changes))


# Readers of step results.


def delivers(result: StepResult) -> list[Deliver]:
    """The ``Deliver`` commands of one step (at most one)."""
    return [c for c in result.commands if isinstance(c, Deliver)]


def therapy_pulses(result: StepResult) -> int:
    """Therapy pulses commanded in one step."""
    return sum(c.pulses for c in delivers(result) if c.purpose == Purpose.THERAPY)


def per_tick(results: Iterable[StepResult]) -> list[int]:
    """Therapy pulses commanded per step."""
    return [therapy_pulses(r) for r in results]


def notices(result: StepResult, kind: NoticeKind) -> list[Notice]:
    """The notices of ``kind`` in one step."""
    return [c for c in result.commands if isinstance(c, Notice) and c.kind == kind]


def all_notices(results: Iterable[StepResult], kind: NoticeKind) -> list[Notice]:
    """The notices of ``kind`` in several steps."""
    return [n for r in results for n in notices(r, kind)]


def announced(result: StepResult) -> list[AlarmKind]:
    """The alarm kinds announced in one step."""
    return [AlarmKind(c.kind) for c in result.commands if isinstance(c, Alarm)]


def raised(result: StepResult) -> list[AlarmKind]:
    """The alarm kinds announced as new in one step (not the repetitions of a waiting alarm, ALM-5)."""
    return [AlarmKind(c.kind) for c in result.commands if isinstance(c, Alarm) and c.repeat == 0]


def unchanged_but_log(before: PumpState, after: PumpState) -> bool:
    """True when ``after`` equals ``before`` in every field except the event log."""
    return evolve(after, log=before.log) == before


def assert_refused(pump: Pump, event: object, reason: Reason) -> StepResult:
    """Apply ``event``; it must be refused with exactly ``reason``, change nothing but the log (and, for a
    request, remember its answer), and command nothing."""
    before = pump.state
    result = step(pump.config, before, event)
    assert result.outcome.reason == reason, (type(event).__name__, result.outcome.reason.name, reason.name)
    assert not result.outcome.accepted
    assert refusal_kept_only_its_answer(before, result.state, event, result.outcome)
    assert result.commands == ()
    assert_refusal_logged(before, result.state, event, reason)
    pump.state = result.state
    return result


def assert_refusal_logged(before: PumpState, after: PumpState, event: object, reason: Reason) -> None:
    """The refusal of ``event`` is the one new log entry, with its event class and reason (LOG-1)."""
    assert after.log.next_seq == before.log.next_seq + 1
    entry = after.log.entries[-1]
    index = ev.EVENT_CLASSES.index(type(event)) if type(event) in ev.EVENT_CLASSES else -1
    assert (entry.seq, entry.tick, entry.kind, entry.code, entry.a) == (
        before.log.next_seq,
        before.now_ticks,
        LogKind.EVENT_REFUSED,
        index,
        int(reason),
    )


def total_on_board(state: PumpState) -> int:
    """Therapy pulses commanded over the pump's life (basal and bolus)."""
    return state.totals.basal_pulses + state.totals.bolus_pulses
