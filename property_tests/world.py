"""A pump world for the property tests: the real kernel, a simulated motor, and random events.

Theory of operation
-------------------
``World`` holds a configuration and a pump state and feeds events to the real
``kernel.step``.  Every step goes through ``World.apply``, which checks what
must hold after *every* step, whatever the event:

* no exception escapes the kernel (INP-1);
* every shared invariant of ``specs.invariants`` holds in the new state;
* a refused event changes nothing but the event log, commands nothing, and
  logs exactly one refusal (INP-1, INP-2, LOG-1);
* every command is recorded by the independent oracle
  (``property_tests.oracle``), which checks the rolling limits, the bolus and
  basal maxima and the reservoir from the requirements, not from kernel code.

The simulated motor answers the kernel's ``Deliver`` commands the way a real
one might: exactly, partially, not at all (the kernel must time out and
assume delivery), with too many pulses, with a fault, or under high line
pressure (an occlusion).

Events are drawn through a ``Chooser`` (``integers``, ``choice``), so the same
generators serve Hypothesis (``HypothesisChooser``: shrinkable draws) and
long plain-random runs (``RandomChooser``: fast, seeded).  ``random_event``
covers every event class of ``kernel.events.EVENT_SCHEMA``, mostly
well-formed and aimed at the current tick, with a share of hostile events:
fields out of range or of the wrong type (``None``, floats, strings, huge
integers, booleans), stale and future ticks, duplicated request IDs, and
objects that are not events at all.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import Deliver, Purpose
from kernel.config import DEFAULT_CONFIG, PumpConfig
from kernel.events import CancelTarget, GlucoseStatus, MotorFault, Source, TempKind
from kernel.log import LogKind
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.settings import TherapySettings, make_settings
from kernel.state import PumpState, evolve, field_names, initial_state
from kernel.step import StepResult, step
from property_tests.oracle import Oracle
from specs.invariants import failing
from specs.refusals import refusal_kept_only_its_answer

T = TypeVar("T")


class Chooser(Protocol):
    """Where random choices come from."""

    def integers(self, low: int, high: int) -> int: ...

    def choice(self, options: Sequence[T]) -> T: ...


@dataclass
class RandomChooser:
    """Choices from a seeded ``random.Random`` (fast; for long runs)."""

    rng: random.Random

    def integers(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]


@dataclass
class HypothesisChooser:
    """Choices drawn from Hypothesis ``data`` (shrinkable)."""

    draw: Callable[[st.SearchStrategy[Any]], Any]

    def integers(self, low: int, high: int) -> int:
        value: int = self.draw(st.integers(low, high))
        return value

    def choice(self, options: Sequence[T]) -> T:
        value: T = self.draw(st.sampled_from(options))
        return value


def settings_presets(config: PumpConfig) -> tuple[TherapySettings, ...]:
    """Valid settings that make the limits reachable within minutes, and the defaults.

    Tight: 1 U max bolus, 2 U an hour, 15 U a day, 1 U max IOB, 0.6 U/h basal,
    low-glucose and predictive suspend on, auto-off after one hour, remote
    bolus and controller on.  The defaults of ``make_settings``.  And a quiet
    variant with nothing automatic.
    """
    p = config.pulse_mu
    tight = make_settings(
        config,
        basal_segments_mu_per_hour=((0, 1200), (30, 0), (60, 600)),
        max_basal_mu_per_hour=2000,
        max_bolus_mu=1000,
        max_hourly_mu=2000,
        max_daily_mu=15000,
        max_iob_mu=1000,
        auto_off_hours=1,
        remote_bolus_enabled=True,
        controller_enabled=True,
    )
    roomy = make_settings(config, remote_bolus_enabled=True, controller_enabled=True)
    quiet = make_settings(
        config,
        basal_segments_mu_per_hour=((0, 20 * p),),
        auto_off_hours=0,
        lgs_enabled=False,
        predictive_suspend_enabled=False,
    )
    return (tight, roomy, quiet)


ODD_VALUES: tuple[object, ...] = (None, 1.0, 0.5, "1", b"1", True, False, 10**30, -(10**30), -1, (), [1], object())
"""Values of the wrong type or absurd size for any field (INP-1)."""


class MotorBehaviour:
    """How the simulated motor answers a ``Deliver`` (names double as draw options)."""

    EXACT = "exact"
    PARTIAL = "partial"
    NONE = "none"
    OVER = "over"
    FAULT = "fault"
    HIGH_PRESSURE = "high_pressure"
    LATE = "late"
    ALL = (EXACT, EXACT, EXACT, PARTIAL, NONE, OVER, FAULT, HIGH_PRESSURE, LATE)


@dataclass
class World:
    """The real kernel driven step by step, with every after-step check (see module docstring)."""

    config: PumpConfig = DEFAULT_CONFIG
    state: PumpState = field(default_factory=lambda: initial_state(DEFAULT_CONFIG))
    oracle: Oracle = field(default_factory=Oracle)
    steps: int = 0
    refused: int = 0
    request_ids: list[int] = field(default_factory=list)
    next_request_id: int = 1
    unanswered: list[Deliver] = field(default_factory=list)
    on_step: Callable[[PumpConfig, PumpState, object, StepResult], None] | None = None

    @classmethod
    def fresh(cls, config: PumpConfig = DEFAULT_CONFIG) -> World:
        world = cls(config=config, state=initial_state(config))
        world.oracle = Oracle(config=config)
        return world

    @property
    def now(self) -> int:
        return self.state.now_ticks

    def apply(self, event: object) -> StepResult:
        """Step the kernel with ``event`` and check everything that must hold after any step."""
        before = self.state
        try:
            result = step(self.config, before, event)
        except Exception as problem:  # pragma: no cover - a failure is the finding
            raise AssertionError(f"kernel.step raised {problem!r} on {event!r}") from problem
        after = result.state
        self.steps += 1
        bad = failing(self.config, after)
        assert not bad, f"invariants {bad} fail after {event!r} (outcome {result.outcome})"
        if not result.outcome.accepted:
            self.refused += 1
            assert refusal_kept_only_its_answer(before, after, event, result.outcome), (
                f"refused {event!r} changed the state"
            )
            assert result.commands == (), f"refused {event!r} commanded {result.commands}"
            assert after.log.next_seq == before.log.next_seq + 1
            entry = after.log.entries[-1]
            assert (entry.kind, entry.a) == (LogKind.EVENT_REFUSED, int(result.outcome.reason))
        else:
            assert after.log.next_seq >= before.log.next_seq
        self.oracle.record(before, event, result)
        if self.on_step is not None:
            self.on_step(self.config, before, event, result)
        self.state = after
        for command in result.commands:
            if isinstance(command, Deliver):
                self.unanswered.append(command)
        return result

    # Reaching states.

    def set_up(self, settings: TherapySettings, reservoir: int | None = None) -> None:
        """Settings, reservoir change sequence and resume, at the current tick (all must be accepted)."""
        c = self.config
        fill = c.reservoir_capacity_pulses if reservoir is None else reservoir
        for event in (
            ev.SettingsChange(self.now, settings),
            ev.FillReservoir(self.now, fill),
            ev.PrimeTubing(self.now, min(c.prime_max_pulses, 10)),
            ev.FillCannula(self.now, c.cannula_min_pulses),
            ev.Resume(self.now),
        ):
            result = self.apply(event)
            assert result.outcome.accepted, (event, result.outcome)
            self.answer_all(MotorBehaviour.EXACT)
        assert self.state.mode == Mode.DELIVERING

    def fresh_request_id(self) -> int:
        rid = self.next_request_id
        self.next_request_id += 1
        self.request_ids.append(rid)
        return rid

    def request_id(self, chooser: Chooser) -> int:
        """Mostly fresh; sometimes a duplicate of a recent one or of an old one (BOL-5)."""
        kind = chooser.choice(("fresh", "fresh", "fresh", "recent", "old"))
        if kind == "recent" and self.request_ids:
            return self.request_ids[-1]
        if kind == "old" and self.request_ids:
            return chooser.choice(self.request_ids)
        return self.fresh_request_id()

    # The simulated motor.

    def answer(self, command: Deliver, behaviour: str, chooser: Chooser | None = None) -> StepResult | None:
        """The motor's report for ``command`` (``None`` when it stays silent)."""
        c = self.config
        displaced, pressure = command.pulses, 0
        fault: int = MotorFault.NONE
        if behaviour == MotorBehaviour.PARTIAL:
            displaced = chooser.integers(0, command.pulses) if chooser else command.pulses // 2
        elif behaviour == MotorBehaviour.NONE:
            return None
        elif behaviour == MotorBehaviour.OVER:
            displaced = command.pulses + (chooser.integers(1, 5) if chooser else 1)
        elif behaviour == MotorBehaviour.FAULT:
            fault = (
                chooser.choice((MotorFault.STALL, MotorFault.ENCODER_MISMATCH, MotorFault.OTHER))
                if chooser
                else MotorFault.STALL
            )
            displaced = 0
        elif behaviour == MotorBehaviour.HIGH_PRESSURE:
            pressure = c.occlusion_pressure_kpa + (chooser.integers(0, 50) if chooser else 0)
        elif behaviour == MotorBehaviour.LATE:
            self.unanswered.append(command)
            return None
        return self.apply(ev.MotorReport(self.now, command.seq, displaced, pressure, fault))

    def answer_all(self, behaviour: str, chooser: Chooser | None = None) -> None:
        """Answer every command not answered yet (late ones stay for a later call)."""
        pending, self.unanswered = self.unanswered, []
        for command in pending:
            self.answer(command, behaviour, chooser)

    def answer_late(self) -> None:
        """Answer, exactly, commands whose answer was held back (a read-back after a timeout, DLV-2)."""
        pending, self.unanswered = self.unanswered, []
        for command in pending:
            self.apply(ev.MotorReport(self.now, command.seq, command.pulses))


# Event generators.


def _tick_for(world: World, chooser: Chooser, *, next_tick: bool = False) -> Any:
    """Mostly the right tick; sometimes stale, from the future, or of a wrong type (CLK-2, INP-1)."""
    right = world.now + 1 if next_tick else world.now
    kind = chooser.integers(0, 19)
    if kind == 0:
        return right - chooser.integers(1, 3) if right >= 1 else right + 2
    if kind == 1:
        return right + chooser.integers(1, 3)
    if kind == 2:
        return chooser.choice(ODD_VALUES)
    return right


def _settings(world: World, chooser: Chooser) -> Any:
    presets = settings_presets(world.config)
    kind = chooser.integers(0, 9)
    if kind <= 6:
        return chooser.choice(presets)
    base = chooser.choice(presets)
    names = list(field_names(TherapySettings))
    name = chooser.choice(names)
    if kind == 7:
        value: Any = chooser.choice(ODD_VALUES)
    elif name == "basal_slots_pph":
        slots = list(base.basal_slots_pph)
        slots[chooser.integers(0, len(slots) - 1)] = chooser.integers(-2, 10**4)
        value = tuple(slots)
    elif name in ("lgs_enabled", "predictive_suspend_enabled", "remote_bolus_enabled", "controller_enabled"):
        value = chooser.choice((True, False))
    else:
        value = chooser.integers(-5, 2 * getattr(base, name) + 5)
    try:
        return evolve(base, **{name: value})
    except TypeError:  # pragma: no cover - frozen dataclasses accept any value
        return base


def _maybe_odd(chooser: Chooser, value: Any) -> Any:
    """``value``, or (one time in 25) a value of the wrong type or absurd size."""
    return chooser.choice(ODD_VALUES) if chooser.integers(0, 24) == 0 else value


def well_formed_event(world: World, chooser: Chooser) -> object:
    """An event of a random class, its fields mostly plausible (some out of range)."""
    c = world.config
    st_ = world.state.settings
    now = world.now
    kind = chooser.integers(0, 21)
    src = chooser.choice((Source.USER, Source.USER, Source.REMOTE, Source.CONTROLLER))
    if kind <= 4:
        return ev.Tick(now + 1, chooser.integers(0, 15) == 0)
    if kind == 5:
        big = st_.max_bolus_pulses + 2
        immediate = chooser.integers(0, big)
        extended = chooser.choice((0, 0, chooser.integers(0, big)))
        ticks = chooser.choice((0, c.extended_min_ticks, chooser.integers(0, c.extended_max_ticks + 5)))
        return ev.BolusRequest(now, world.request_id(chooser), src, immediate, extended, ticks)
    if kind == 6:
        return ev.CancelBolus(now, chooser.choice(tuple(CancelTarget)))
    if kind == 7:
        temp = chooser.choice((TempKind.ABSOLUTE, TempKind.PERCENT))
        value = chooser.integers(0, st_.max_basal_pph + 3 if temp == TempKind.ABSOLUTE else c.temp_percent_max + 10)
        duration = chooser.choice((15, 30, 45, chooser.integers(1, c.temp_max_ticks + 5)))
        return ev.TempBasal(now, world.request_id(chooser), src, temp, value, duration)
    if kind == 8:
        return ev.CancelTempBasal(now, src)
    if kind == 9:
        return ev.Suspend(now)
    if kind == 10:
        return ev.Resume(now)
    if kind == 11:
        return ev.SettingsChange(now, _settings(world, chooser))
    if kind == 12:
        return ev.TimeOffsetChange(now, chooser.choice((-60, 60, 0, chooser.integers(-1440, 1440))))
    if kind == 13:
        return ev.Rewind(now) if chooser.integers(0, 3) == 0 else ev.UserPresent(now)
    if kind == 14:
        return ev.FillReservoir(now, chooser.integers(1, c.reservoir_capacity_pulses + 3))
    if kind == 15:
        return ev.ClearLine(now)
    if kind == 16:
        return ev.PrimeTubing(now, chooser.integers(1, c.prime_max_pulses + 3))
    if kind == 17:
        return ev.FillCannula(now, chooser.integers(0, c.cannula_max_pulses + 3))
    if kind == 18:
        seq = chooser.choice((world.state.motor.seq, world.state.motor.seq, max(1, world.state.motor.seq - 1), 10**6))
        seq = max(1, seq)
        return ev.MotorReport(now, seq, chooser.integers(0, 12), chooser.integers(0, 300), chooser.integers(0, 3))
    if kind == 19:
        status = chooser.choice((GlucoseStatus.OK,) * 5 + tuple(GlucoseStatus))
        age = chooser.choice((0, 0, 1, 5, chooser.integers(-8, 20)))
        mgdl = chooser.choice((chooser.integers(30, 420), 60, 70, 75, 90, 150, 39, 401))
        return ev.GlucoseReading(now, max(0, now - age), mgdl, status)
    if kind == 20:
        alarms = [k for k in AlarmKind if world.state.alarms[k] == AlarmStatus.ACTIVE]
        alarm = chooser.choice(alarms) if alarms and chooser.integers(0, 3) else chooser.integers(0, 14)
        return ev.AlarmAck(now, alarm)
    return ev.UserPresent(now)


def hostile_event(world: World, chooser: Chooser) -> object:
    """An event with a stale or future tick, a field of the wrong type, or not an event at all."""
    kind = chooser.integers(0, 3)
    if kind == 0:
        return chooser.choice((*ODD_VALUES, ev, ev.Tick, Reason.ACCEPTED, world.state))
    event = well_formed_event(world, chooser)
    names = list(field_names(event))
    if kind == 1:
        return evolve(event, tick=_tick_for(world, chooser, next_tick=type(event) is ev.Tick))
    name = chooser.choice(names)
    return evolve(event, **{name: chooser.choice(ODD_VALUES)})


def recovery_event(world: World) -> object | None:
    """The next step back toward delivery: acknowledge an alarm, or the next reservoir-change step."""
    s = world.state
    c = world.config
    now = world.now
    for kind in AlarmKind:
        if s.alarms[kind] == AlarmStatus.ACTIVE:
            return ev.AlarmAck(now, kind)
    mode = Mode(s.mode)
    if mode == Mode.REWOUND:
        return ev.FillReservoir(now, c.reservoir_capacity_pulses)
    if mode == Mode.FILLED:
        return ev.PrimeTubing(now, min(c.prime_max_pulses, 10))
    if mode == Mode.PRIMED:
        return ev.FillCannula(now, c.cannula_min_pulses)
    if mode in (Mode.READY, Mode.SUSPENDED, Mode.LGS_SUSPENDED, Mode.AUTO_OFF):
        return ev.Resume(now)
    if mode == Mode.OCCLUDED:
        return ev.ClearLine(now)
    if mode in (Mode.MOTOR_FAULT, Mode.EMPTY, Mode.SET_EXPIRED):
        return ev.Rewind(now)
    return None


def random_event(world: World, chooser: Chooser) -> object:
    """Mostly a well-formed event; one in ten hostile; a step back toward delivery when stopped."""
    if world.state.mode != Mode.DELIVERING and chooser.integers(0, 2) == 0:
        recovery = recovery_event(world)
        if recovery is not None:
            return recovery
    if chooser.integers(0, 9) == 0:
        return hostile_event(world, chooser)
    return well_formed_event(world, chooser)


def run_random(world: World, chooser: Chooser, steps: int) -> None:
    """``steps`` random events, each followed by the motor's (random) answers."""
    for _ in range(steps):
        world.apply(random_event(world, chooser))
        if world.unanswered:
            behaviour = chooser.choice(MotorBehaviour.ALL)
            if behaviour == MotorBehaviour.LATE or chooser.integers(0, 9) == 0:
                world.answer_late() if chooser.integers(0, 1) else None
            else:
                world.answer_all(behaviour, chooser)


def wrong_type_events() -> list[object]:
    """One ill-typed variant of every event class and field (INP-1)."""
    from specs.z3_model import EVENT_TEMPLATES

    events: list[object] = []
    for template in EVENT_TEMPLATES.values():
        for name in field_names(template):
            for odd in ODD_VALUES:
                events.append(evolve(template, **{name: odd}))
    return events


__all__ = [
    "Chooser",
    "HypothesisChooser",
    "MotorBehaviour",
    "Purpose",
    "RandomChooser",
    "World",
    "hostile_event",
    "random_event",
    "run_random",
    "settings_presets",
    "well_formed_event",
    "wrong_type_events",
]
