"""Benchmark: the cost of one ``kernel.step``, as a multiple of an empty Python call.

Run as ``python -m tools.bench_step`` (``make bench``).  Not a test: it prints
a table and exits 0.

What is measured.  ``step`` is pure, so one step can be timed by calling it
again and again on the *same* (configuration, state, event).  Each case calls
``step`` in a tight loop, in batches (the cases interleaved batch by batch,
so a change in machine load affects them alike), and takes the median time
per call over the batches; the baseline is an empty function with the same three
arguments, called in the same loop in the same run, so the ratio does not
depend on the machine's speed.  Cases:

* a plain tick (delivering basal, nothing else running), after 1 hour;
* a tick during a normal bolus (and with an extended bolus running);
* a plain tick after 30 simulated days (three meals a day, a temp basal, a
  reservoir and set change every 2.5 days, the event log full), against the
  same after 1 hour: the state has a fixed size, so the cost must not grow
  with history (the line under the table shows the ratio of the two);
* one accepted event of every event class (``event_cases``), in a second
  table, timed in the same interleaved batches.

The tick cases print issue 17's goal (500x plain, 700x during a bolus) and
whether this run meets it; the per-class table has no goals.

Times come from ``time.perf_counter_ns``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.commands import Deliver
from kernel.config import DEFAULT_CONFIG, PumpConfig
from kernel.events import Source, TempKind
from kernel.modes import Mode
from kernel.settings import make_settings
from kernel.state import PumpState, initial_state
from kernel.step import step

StepFn = Callable[[PumpConfig, PumpState, Any], object]


GOALS: dict[str, int] = {
    "plain tick, after 1 hour": 500,
    "tick during a normal bolus": 700,
    "tick during a dual-wave bolus": 700,
}
"""Issue 17's goals, as a multiple of an empty call, for the cases that have one."""


def _empty(config: PumpConfig, state: PumpState, event: Any) -> None:
    """The baseline: a Python call with the same arguments that does nothing."""


@dataclass
class _Driver:
    """Just enough of a shell: apply events and confirm every delivery with an ideal motor."""

    config: PumpConfig
    state: PumpState
    request_id: int = 0
    auto_confirm: bool = True
    """Answer every ``Deliver`` at once with an ideal motor report; off, the pulses stay pending."""

    def do(self, event: object) -> None:
        result = step(self.config, self.state, event)
        if not result.outcome.accepted:
            raise RuntimeError(f"{type(event).__name__} refused: {result.outcome.reason.name}")
        self.state = result.state
        for command in result.commands:
            if isinstance(command, Deliver) and self.auto_confirm:
                self.do(ev.MotorReport(self.state.now_ticks, command.seq, command.pulses))

    def tick(self) -> None:
        self.do(ev.Tick(self.state.now_ticks + 1))

    def bolus(self, immediate: int, extended: int = 0, ticks: int = 0) -> None:
        self.request_id += 1
        now = self.state.now_ticks
        self.do(ev.BolusRequest(now, self.request_id, Source.USER, immediate, extended, ticks))

    def change_reservoir(self, reservoir: int) -> None:
        now = self.state.now_ticks
        if self.state.mode == Mode.DELIVERING:
            self.do(ev.Suspend(now))
        for event in (
            ev.Rewind(now),
            ev.FillReservoir(now, reservoir),
            ev.PrimeTubing(now, 20),
            ev.FillCannula(now, 10),
            ev.Resume(now),
        ):
            self.do(event)


def _new_pump(config: PumpConfig) -> _Driver:
    settings = make_settings(config, auto_off_hours=0, lgs_enabled=False, predictive_suspend_enabled=False)
    pump = _Driver(config, initial_state(config))
    pump.do(ev.SettingsChange(0, settings))
    pump.do(ev.FillReservoir(0, 4000))
    pump.do(ev.PrimeTubing(0, 20))
    pump.do(ev.FillCannula(0, 10))
    pump.do(ev.Resume(0))
    return pump


def _simulate(pump: _Driver, minutes: int) -> None:
    """Meals at 07:30, 12:30 (dual wave) and 19:00; a 70 % temp at 15:00; a new reservoir every 2.5 days."""
    for _ in range(minutes):
        now = pump.state.now_ticks
        minute = now % 1440
        if now > 0 and now % 3600 == 0:
            pump.change_reservoir(4000)
        if minute == 7 * 60 + 30:
            pump.bolus(100)
        elif minute == 12 * 60 + 30:
            pump.bolus(40, 40, 90)
        elif minute == 15 * 60:
            pump.request_id += 1
            pump.do(ev.TempBasal(now, pump.request_id, Source.USER, TempKind.PERCENT, 70, 60))
        elif minute == 19 * 60:
            pump.bolus(120)
        pump.tick()


def _batch_ns(fn: StepFn, config: PumpConfig, state: PumpState, event: Any, calls: int) -> float:
    """Nanoseconds per call of ``fn(config, state, event)``, over one batch of ``calls`` calls."""
    start = time.perf_counter_ns()
    for _ in range(calls):
        fn(config, state, event)
    return (time.perf_counter_ns() - start) / calls


@dataclass(frozen=True)
class Case:
    name: str
    state: PumpState
    event: Any


def build_cases(config: PumpConfig, days: int) -> list[Case]:
    """The states to time (see module docstring)."""
    hour = _new_pump(config)
    _simulate(hour, 60)
    after_hour = hour.state

    bolus = _new_pump(config)
    _simulate(bolus, 60)
    bolus.bolus(200)
    bolus.tick()
    during_bolus = bolus.state
    assert during_bolus.bolus.remaining_pulses > 0

    dual = _new_pump(config)
    _simulate(dual, 60)
    dual.bolus(150, 50, 120)
    dual.tick()
    during_dual = dual.state
    assert during_dual.bolus.remaining_pulses > 0 and during_dual.bolus.ext_remaining_pulses > 0

    long = _new_pump(config)
    _simulate(long, days * 1440 - 60)
    # Leave it at the same local time and with nothing running, like the one-hour state.
    _simulate(long, 60)
    after_days = long.state
    assert after_days.mode == Mode.DELIVERING, Mode(after_days.mode).name
    assert after_days.bolus.remaining_pulses == 0 and after_days.bolus.ext_remaining_pulses == 0

    def tick_of(state: PumpState) -> ev.Tick:
        return ev.Tick(state.now_ticks + 1)

    return [
        Case("plain tick, after 1 hour", after_hour, tick_of(after_hour)),
        Case("tick during a normal bolus", during_bolus, tick_of(during_bolus)),
        Case("tick during a dual-wave bolus", during_dual, tick_of(during_dual)),
        Case(f"plain tick, after {days} days", after_days, tick_of(after_days)),
    ]


def _fork(pump: _Driver, auto_confirm: bool = True) -> _Driver:
    return _Driver(pump.config, pump.state, pump.request_id, auto_confirm)


def _occluded(pump: _Driver) -> _Driver:
    """``pump`` occluded: a bolus, each of its pulses answered with a high line pressure (OCC-1)."""
    occluded = _fork(pump, auto_confirm=False)
    occluded.bolus(200)
    while occluded.state.mode != Mode.OCCLUDED:
        occluded.tick()
        motor = occluded.state.motor
        assert motor.pending_pulses > 0
        occluded.do(
            ev.MotorReport(
                occluded.state.now_ticks, motor.seq, motor.pending_pulses, occluded.config.occlusion_pressure_kpa
            )
        )
    return occluded


def event_cases(config: PumpConfig) -> list[Case]:
    """One accepted event of every class of ``events.EVENT_CLASSES``, each in a state that accepts it.

    The states branch from the plain one-hour state of ``build_cases``; each event takes the path
    a pump takes most often for it (a bolus request starts a bolus, a motor report answers a
    pending pulse, an acknowledgement acknowledges an active occlusion alarm).
    """
    base = _new_pump(config)
    _simulate(base, 60)
    now = base.state.now_ticks
    request = base.request_id + 1

    bolus = _fork(base)
    bolus.bolus(200)
    temp = _fork(base)
    temp.do(ev.TempBasal(now, request, Source.USER, TempKind.PERCENT, 70, 60))
    suspended = _fork(base)
    suspended.do(ev.Suspend(now))
    rewound = _fork(suspended)
    rewound.do(ev.Rewind(now))
    filled = _fork(rewound)
    filled.do(ev.FillReservoir(now, 4000))
    primed = _fork(filled)
    primed.do(ev.PrimeTubing(now, 20))
    pending = _fork(base, auto_confirm=False)
    pending.bolus(200)
    pending.tick()
    motor = pending.state.motor
    assert motor.pending_pulses > 0
    occluded = _occluded(base)
    acknowledged = _fork(occluded)
    acknowledged.do(ev.AlarmAck(occluded.state.now_ticks, AlarmKind.OCCLUSION))

    def at(pump: _Driver, make: Callable[[int], Any]) -> tuple[PumpState, Any]:
        return pump.state, make(pump.state.now_ticks)

    made: dict[type, tuple[PumpState, Any]] = {
        ev.Tick: at(base, lambda t: ev.Tick(t + 1)),
        ev.BolusRequest: at(base, lambda t: ev.BolusRequest(t, request, Source.USER, 20)),
        ev.CancelBolus: at(bolus, ev.CancelBolus),
        ev.TempBasal: at(base, lambda t: ev.TempBasal(t, request, Source.USER, TempKind.PERCENT, 70, 60)),
        ev.CancelTempBasal: at(temp, ev.CancelTempBasal),
        ev.Suspend: at(base, ev.Suspend),
        ev.Resume: at(suspended, ev.Resume),
        ev.SettingsChange: at(base, lambda t: ev.SettingsChange(t, base.state.settings)),
        ev.TimeOffsetChange: at(base, lambda t: ev.TimeOffsetChange(t, 60)),
        ev.Rewind: at(suspended, ev.Rewind),
        ev.FillReservoir: at(rewound, lambda t: ev.FillReservoir(t, 4000)),
        ev.ClearLine: at(acknowledged, ev.ClearLine),
        ev.PrimeTubing: at(filled, lambda t: ev.PrimeTubing(t, 20)),
        ev.FillCannula: at(primed, lambda t: ev.FillCannula(t, 10)),
        ev.MotorReport: at(pending, lambda t: ev.MotorReport(t, motor.seq, motor.pending_pulses)),
        ev.GlucoseReading: at(base, lambda t: ev.GlucoseReading(t, t, 120)),
        ev.AlarmAck: at(occluded, lambda t: ev.AlarmAck(t, AlarmKind.OCCLUSION)),
        ev.UserPresent: at(base, ev.UserPresent),
    }
    assert set(made) == set(ev.EVENT_CLASSES), "a case for every event class"
    return [Case(cls.__name__, *made[cls]) for cls in ev.EVENT_CLASSES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_step", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="simulated days for the long-history case (30)")
    parser.add_argument("--batches", type=int, default=21, help="batches per case; the median is reported (21)")
    parser.add_argument("--calls", type=int, default=500, help="step calls per batch (500)")
    args = parser.parse_args(argv)
    config = DEFAULT_CONFIG

    started = time.perf_counter_ns()
    cases = build_cases(config, args.days)
    per_event = event_cases(config)
    simulated = (time.perf_counter_ns() - started) / 1e9

    timed = cases + per_event
    for case in timed:
        result = step(config, case.state, case.event)
        assert result.outcome.accepted, (case.name, result.outcome)
    # Interleave the cases batch by batch, so that a change in machine load hits every case alike.
    first = cases[0]
    baseline_calls = args.calls * 50
    empty_batches: list[float] = []
    step_batches: list[list[float]] = [[] for _ in timed]
    for _ in range(args.batches):
        empty_batches.append(_batch_ns(_empty, config, first.state, first.event, baseline_calls))
        for index, case in enumerate(timed):
            step_batches[index].append(_batch_ns(step, config, case.state, case.event, args.calls))
    empty_ns = statistics.median(empty_batches)
    medians = [statistics.median(batches) for batches in step_batches]
    rows = [(case.name, ns) for case, ns in zip(cases, medians, strict=False)]
    event_rows = [(case.name, ns) for case, ns in zip(per_event, medians[len(cases) :], strict=True)]

    print(f"kernel.step cost, median of {args.batches} batches of {args.calls} calls (perf_counter_ns)")
    print(f"(building the states, including {args.days} simulated days, took {simulated:.1f} s)")
    print()
    width = max(len(name) for name, _ in rows + event_rows) + 2
    print(f"{'case':<{width}}{'ns/step':>10}{'x empty call':>14}{'goal (issue 17)':>17}")
    print(f"{'empty Python call (same 3 args)':<{width}}{empty_ns:>10.0f}{1.0:>14.1f}")
    for name, ns in rows:
        ratio = ns / empty_ns
        goal = GOALS.get(name)
        verdict = "" if goal is None else f"{goal}x {'met' if ratio <= goal else 'NOT met'}"
        print(f"{name:<{width}}{ns:>10.0f}{ratio:>14.1f}{verdict:>17}")
    growth = rows[-1][1] / rows[0][1]
    print()
    print(f"after {args.days} days / after 1 hour: {growth:.2f} (the state has a fixed size; ~1.0 expected)")
    print()
    print("every event class, accepted, from a state branched off the 1-hour state (event_cases):")
    print(f"{'event class':<{width}}{'ns/step':>10}{'x empty call':>14}")
    for name, ns in event_rows:
        print(f"{name:<{width}}{ns:>10.0f}{ns / empty_ns:>14.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
