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
  with history (the last column shows the ratio of the two).

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
from kernel.commands import Deliver
from kernel.config import DEFAULT_CONFIG, PumpConfig
from kernel.events import Source, TempKind
from kernel.modes import Mode
from kernel.settings import make_settings
from kernel.state import PumpState, initial_state
from kernel.step import step

StepFn = Callable[[PumpConfig, PumpState, Any], object]


def _empty(config: PumpConfig, state: PumpState, event: Any) -> None:
    """The baseline: a Python call with the same arguments that does nothing."""


@dataclass
class _Driver:
    """Just enough of a shell: apply events and confirm every delivery with an ideal motor."""

    config: PumpConfig
    state: PumpState
    request_id: int = 0

    def do(self, event: object) -> None:
        result = step(self.config, self.state, event)
        if not result.outcome.accepted:
            raise RuntimeError(f"{type(event).__name__} refused: {result.outcome.reason.name}")
        self.state = result.state
        for command in result.commands:
            if isinstance(command, Deliver):
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_step", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="simulated days for the long-history case (30)")
    parser.add_argument("--batches", type=int, default=21, help="batches per case; the median is reported (21)")
    parser.add_argument("--calls", type=int, default=500, help="step calls per batch (500)")
    args = parser.parse_args(argv)
    config = DEFAULT_CONFIG

    started = time.perf_counter_ns()
    cases = build_cases(config, args.days)
    simulated = (time.perf_counter_ns() - started) / 1e9

    for case in cases:
        result = step(config, case.state, case.event)
        assert result.outcome.accepted, result.outcome
    # Interleave the cases batch by batch, so that a change in machine load hits every case alike.
    first = cases[0]
    baseline_calls = args.calls * 50
    empty_batches: list[float] = []
    step_batches: list[list[float]] = [[] for _ in cases]
    for _ in range(args.batches):
        empty_batches.append(_batch_ns(_empty, config, first.state, first.event, baseline_calls))
        for index, case in enumerate(cases):
            step_batches[index].append(_batch_ns(step, config, case.state, case.event, args.calls))
    empty_ns = statistics.median(empty_batches)
    rows = [(case.name, statistics.median(batches)) for case, batches in zip(cases, step_batches, strict=True)]

    print(f"kernel.step cost, median of {args.batches} batches of {args.calls} calls (perf_counter_ns)")
    print(f"(building the states, including {args.days} simulated days, took {simulated:.1f} s)")
    print()
    width = max(len(name) for name, _ in rows) + 2
    print(f"{'case':<{width}}{'ns/step':>10}{'x empty call':>14}")
    print(f"{'empty Python call (same 3 args)':<{width}}{empty_ns:>10.0f}{1.0:>14.1f}")
    for name, ns in rows:
        print(f"{name:<{width}}{ns:>10.0f}{ns / empty_ns:>14.1f}")
    growth = rows[-1][1] / rows[0][1]
    print()
    print(f"after {args.days} days / after 1 hour: {growth:.2f} (the state has a fixed size; ~1.0 expected)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
