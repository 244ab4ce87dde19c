"""Hostile-event volume: millions of random and adversarial events through the shipped step, every invariant checked.

Theory of operation
-------------------
``run_seed(seed, events)`` drives the real ``kernel.step`` with ``events``
steps drawn from a ``random.Random(seed)``, and checks after *every* step:

* no exception escapes the kernel (INP-1): counted in ``exceptions``;
* every shared invariant holds (``specs.invariants.failing``): a failure
  counts in ``invariant_breaks``;
* a refused event changed nothing but the log and commanded nothing
  (INP-1, INP-2): ``refusal_breaks``;
* the independent oracle's limits (``property_tests.oracle``: LIM-1, LIM-2,
  BOL-1, BOL-3, BAS-4, RES-1, RES-3): ``oracle_breaks``.

The run is a sequence of *lives*: a fresh pump of one of three
configurations, set up with one of the settings presets (or left new, so
that the reservoir-change sequence and the refusals of a new pump are hit),
then driven by one *mix* of events for 200 to 2,000 steps (``LIFE_STEPS``).  The event
generators are ``property_tests.world``'s (``random_event``,
``hostile_event``, ``recovery_event``, ``wrong_type_events``), and the
simulated motor answers every ``Deliver`` exactly, partially, not at all,
late, with too many pulses, a fault or high pressure.  Mixes:

* ``mixed``: mostly well-formed events, one in ten hostile, steps back to
  delivery when stopped (``world.random_event``);
* ``hostile``: one event in two hostile (stale and future ticks, fields of
  the wrong type or absurd size, objects that are not events);
* ``wrong-type``: a well-formed event, then an ill-typed variant of a
  random event class and field (``world.wrong_type_events``), alternately;
* ``hammer``: bolus, temp basal and cancel requests at the limits, with the
  motor misbehaving one time in three.

A finding ends its life (the state after it is no longer the kernel's), is
counted, and its first ``KEEP_FINDINGS`` are kept as short texts.
``run_seed`` is a pure function of its arguments: the same seed and count
give the same dictionary (no clock in it), so a fan-out over local processes
or Dask can map it over seeds and sum the counts (``merge``).

``python -m property_tests.hostile --events N --processes P`` splits ``N``
into seeds of ``--events-per-seed`` events, runs them on ``P`` processes,
prints the totals, the time and the rate, and exits 1 on any exception or
break.  CI runs a small volume (``test_hostile``); ``make deep`` runs 10^7.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.commands import Alarm, Deliver
from kernel.config import DEFAULT_CONFIG, PumpConfig, make_config
from kernel.events import CancelTarget, Source, TempKind
from kernel.log import LogKind
from kernel.modes import Mode
from kernel.state import initial_state
from kernel.step import StepResult, step
from property_tests.oracle import Oracle
from property_tests.world import (
    Chooser,
    MotorBehaviour,
    RandomChooser,
    World,
    hostile_event,
    random_event,
    settings_presets,
    well_formed_event,
    wrong_type_events,
)
from specs.invariants import failing
from specs.refusals import refusal_kept_only_its_answer

CONFIGS: tuple[PumpConfig, ...] = (
    DEFAULT_CONFIG,
    make_config(pulse_mu=100, reservoir_units=200),
    make_config(pulse_mu=25),
)
"""The configurations a life draws from (as ``property_tests.test_stateful``)."""

LIFE_STEPS = (200, 2_000)
"""A life lasts a number of steps drawn from this range, then a fresh pump (also bounds the oracle's history)."""

KEEP_FINDINGS = 5
"""Findings kept as text per seed (all are counted)."""

MIXES = ("mixed", "hostile", "wrong-type", "hammer")

COUNTS = ("events", "lives", "accepted", "refused", "exceptions", "invariant_breaks", "refusal_breaks", "oracle_breaks")
"""The integer counts of a result; ``merge`` sums them."""


__all__ = ["COUNTS", "MIXES", "HostileWorld", "breaks", "failing", "main", "merge", "run_many", "run_seed", "step"]


class _LifeOver(Exception):
    """A finding: this life's state is no longer trusted."""


class HostileWorld(World):
    """``World`` whose after-step checks count findings instead of raising (see module docstring)."""

    tally: Counter[str]
    findings: list[str]
    modes: set[int]
    alarms: set[int]
    budget: int

    def apply(self, event: object) -> StepResult:
        if self.tally["events"] >= self.budget:
            raise _LifeOver
        before = self.state
        self.tally["events"] += 1
        try:
            result = step(self.config, before, event)
        except Exception as problem:  # a finding: step must never raise (INP-1)
            self._finding("exceptions", f"{type(problem).__name__}: {str(problem)[:120]} on {_short(event)}")
        after = result.state
        bad = failing(self.config, after)
        if bad:
            self._finding("invariant_breaks", f"{bad} after {_short(event)} in mode {_mode(before.mode)}")
        if result.outcome.accepted:
            self.tally["accepted"] += 1
        else:
            self.tally["refused"] += 1
            entry = after.log.entries[-1] if after.log.entries else None
            if (
                not refusal_kept_only_its_answer(before, after, event, result.outcome)
                or result.commands
                or entry is None
                or (entry.kind, entry.a) != (LogKind.EVENT_REFUSED, int(result.outcome.reason))
            ):
                self._finding("refusal_breaks", f"refused {_short(event)} changed the state, commanded or logged wrong")
        try:
            self.oracle.record(before, event, result)
        except AssertionError as problem:
            self._finding("oracle_breaks", f"{str(problem)[:160]} after {_short(event)}")
        self.state = after
        self.modes.add(int(after.mode))
        for command in result.commands:
            if isinstance(command, Deliver):
                self.unanswered.append(command)
            elif isinstance(command, Alarm):
                self.alarms.add(int(command.kind))
        return result

    def _finding(self, kind: str, text: str) -> None:
        self.tally[kind] += 1
        if len(self.findings) < KEEP_FINDINGS:
            self.findings.append(f"{kind}: {text}")
        raise _LifeOver


def _short(event: object) -> str:
    """An event's class and its integer fields (never a whole settings record or a huge value)."""
    fields = getattr(event, "__dataclass_fields__", None)
    if fields is None or isinstance(event, type):
        return f"<{type(event).__name__}>" if not isinstance(event, type) else f"<class {event.__name__}>"
    parts = []
    for name in fields:
        value = getattr(event, name, None)
        text = repr(value) if isinstance(value, bool | int | float | str | None) else f"<{type(value).__name__}>"
        parts.append(f"{name}={text[:24]}")
    return f"{type(event).__name__}({', '.join(parts)})"


def _mode(mode: object) -> str:
    try:
        return Mode(mode).name  # type: ignore[arg-type]
    except ValueError:
        return repr(mode)[:24]


def _hammer_event(world: World, chooser: Chooser) -> object:
    """Bolus, temp basal and cancel requests at and just past the limits in force."""
    st_ = world.state.settings
    now = world.now
    kind = chooser.integers(0, 5)
    source = chooser.choice((Source.USER, Source.REMOTE, Source.CONTROLLER))
    if kind <= 1:
        size = chooser.choice((st_.max_bolus_pulses, st_.max_bolus_pulses + 1, 1))
        extended = chooser.choice((0, 0, size))
        return ev.BolusRequest(now, world.request_id(chooser), source, size, extended, chooser.integers(0, 300))
    if kind == 2:
        temp = chooser.choice((TempKind.ABSOLUTE, TempKind.PERCENT))
        value = st_.max_basal_pph + chooser.integers(0, 1) if temp == TempKind.ABSOLUTE else chooser.integers(0, 300)
        return ev.TempBasal(now, world.request_id(chooser), source, temp, value, chooser.integers(1, 240))
    if kind == 3:
        return ev.CancelBolus(now, chooser.choice(tuple(CancelTarget)))
    if kind == 4:
        return ev.Tick(now + 1)
    return ev.CancelTempBasal(now, source)


def _next_event(mix: str, world: World, chooser: Chooser, odd: list[object]) -> object:
    if mix == "hostile":
        return hostile_event(world, chooser) if chooser.integers(0, 1) else random_event(world, chooser)
    if mix == "wrong-type":
        return chooser.choice(odd) if world.steps % 2 else well_formed_event(world, chooser)
    if mix == "hammer":
        return _hammer_event(world, chooser) if chooser.integers(0, 2) else random_event(world, chooser)
    return random_event(world, chooser)


def _answer_motor(world: World, chooser: Chooser, misbehave_one_in: int) -> None:
    if not world.unanswered:
        return
    behaviour = chooser.choice(MotorBehaviour.ALL) if chooser.integers(1, misbehave_one_in) == 1 else "exact"
    if behaviour == MotorBehaviour.LATE or chooser.integers(0, 9) == 0:
        if chooser.integers(0, 1):
            world.answer_late()
    else:
        world.answer_all(behaviour, chooser)


def _life(world: HostileWorld, chooser: Chooser, mix: str, odd: list[object]) -> None:
    presets = settings_presets(world.config)
    if chooser.integers(0, 7):
        world.set_up(chooser.choice(presets))
    misbehave = 3 if mix == "hammer" else 1
    for _ in range(chooser.integers(*LIFE_STEPS)):
        world.apply(_next_event(mix, world, chooser, odd))
        world.steps += 1
        _answer_motor(world, chooser, misbehave)


def run_seed(seed: int, events: int) -> dict[str, Any]:
    """``events`` steps of hostile lives from ``random.Random(seed)`` (see module docstring); a pure function.

    Returns:
        ``seed``, the counts of ``COUNTS`` (``events``: steps run, exactly
        ``events`` unless a finding ended the last life early), ``mixes``
        (lives per mix), ``modes_reached`` and ``alarms_announced`` (names),
        and ``findings`` (up to ``KEEP_FINDINGS`` short texts).
    """
    rng = random.Random(seed)
    chooser = RandomChooser(rng)
    odd = wrong_type_events()
    tally: Counter[str] = Counter()
    findings: list[str] = []
    modes: set[int] = set()
    alarms: set[int] = set()
    mixes: Counter[str] = Counter()
    while tally["events"] < events:
        config = chooser.choice(CONFIGS)
        world = HostileWorld(config=config, state=initial_state(config), oracle=Oracle(config=config))
        world.tally, world.findings, world.modes, world.alarms, world.budget = tally, findings, modes, alarms, events
        mix = chooser.choice(MIXES)
        mixes[mix] += 1
        tally["lives"] += 1
        try:
            _life(world, chooser, mix, odd)
        except _LifeOver:
            pass
        except AssertionError as problem:  # set_up's own checks: a scripted set-up was refused
            tally["invariant_breaks"] += 1
            if len(findings) < KEEP_FINDINGS:
                findings.append(f"set-up: {str(problem)[:160]}")
    return {
        "seed": seed,
        **{name: tally[name] for name in COUNTS},
        "mixes": {mix: mixes[mix] for mix in MIXES},
        "modes_reached": [mode.name for mode in Mode if int(mode) in modes],
        "alarms_announced": [kind.name for kind in AlarmKind if int(kind) in alarms],
        "findings": findings,
    }


def merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The sum of several ``run_seed`` results (counts summed, reach united, findings concatenated)."""
    total: dict[str, Any] = {name: sum(r[name] for r in results) for name in COUNTS}
    total["seeds"] = len(results)
    total["mixes"] = {mix: sum(r["mixes"][mix] for r in results) for mix in MIXES}
    total["modes_reached"] = [m.name for m in Mode if any(m.name in r["modes_reached"] for r in results)]
    total["alarms_announced"] = [k.name for k in AlarmKind if any(k.name in r["alarms_announced"] for r in results)]
    total["findings"] = [f"seed {r['seed']}: {f}" for r in results for f in r["findings"]]
    return total


def breaks(result: dict[str, Any]) -> int:
    """Exceptions and breaks of every kind (goal 0)."""
    return int(sum(result[name] for name in COUNTS[4:]))


def _run(args: tuple[int, int]) -> dict[str, Any]:
    return run_seed(*args)


def run_many(
    total_events: int,
    processes: int,
    events_per_seed: int,
    first_seed: int = 0,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """``total_events`` split into seeds ``first_seed, first_seed + 1, ...`` on ``processes`` processes, merged."""
    jobs = []
    left, seed = total_events, first_seed
    while left > 0:
        jobs.append((seed, min(events_per_seed, left)))
        left -= events_per_seed
        seed += 1
    results: list[dict[str, Any]] = []
    if processes <= 1:
        for job in jobs:
            results.append(_run(job))
            if progress:
                progress(merge(results))
    else:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            for result in pool.imap_unordered(_run, jobs):
                results.append(result)
                if progress:
                    progress(merge(results))
    return merge(sorted(results, key=lambda r: int(r["seed"])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Hostile events through kernel.step, every invariant on every step.")
    parser.add_argument("--events", type=int, default=100_000, help="steps in total (default 100,000)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--events-per-seed", type=int, default=50_000, help="steps per seed (default 50,000)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed (default 0)")
    parser.add_argument("--json", default=None, help="also write the merged result to this file")
    args = parser.parse_args(argv)
    started = time.monotonic()
    last = [started]

    def progress(so_far: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - last[0] >= 30:
            last[0] = now
            rate = so_far["events"] / (now - started)
            print(f"  {so_far['events']:,} events, {breaks(so_far)} breaks, {rate:,.0f} events/s", flush=True)

    result = run_many(args.events, args.processes, args.events_per_seed, args.first_seed, progress)
    seconds = time.monotonic() - started
    rate = result["events"] / seconds if seconds > 0 else 0.0
    result.update(seconds=round(seconds, 1), events_per_second=round(rate, 1), processes=args.processes)
    print(
        f"hostile events: {result['events']:,} steps in {result['lives']:,} lives ({result['seeds']} seeds, "
        f"{args.processes} processes), {seconds:.1f} s, {rate:,.0f} events/s"
    )
    print(f"  accepted {result['accepted']:,}, refused {result['refused']:,}; lives per mix {result['mixes']}")
    print(
        f"  exceptions {result['exceptions']}, invariant breaks {result['invariant_breaks']}, "
        f"refusal breaks {result['refusal_breaks']}, oracle breaks {result['oracle_breaks']} (goal: all 0)"
    )
    print(f"  modes reached {len(result['modes_reached'])}/{len(Mode)}, alarms {len(result['alarms_announced'])}")
    if rate > 0:
        print(f"  projected for 10^7 events at this rate: {10**7 / rate / 60:.1f} min")
    for finding in result["findings"][:10]:
        print(f"  FINDING {finding}")
    if args.json:
        target = Path(args.json)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    return 1 if breaks(result) else 0


if __name__ == "__main__":
    sys.exit(main())
