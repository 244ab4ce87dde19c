"""An independent reference for what the pump may deliver, written from the requirements.

Theory of operation
-------------------
The kernel enforces its limits with bucketed rings, accumulators and a
transition written in the logic interface; this oracle shares none of that.
It watches only what leaves the kernel (the ``Deliver`` commands and the
event outcomes) and the settings in force, keeps a plain list of every pulse
commanded with its tick, and checks the requirements directly:

* LIM-1: therapy pulses (basal and bolus, priming and cannula fill excluded)
  in any 60 consecutive ticks are at most the hourly limit in force;
* LIM-2: the same over any 1440 consecutive ticks and the daily limit;
* BOL-1: every bolus started (``BOLUS_STARTED`` notice) is at most max bolus,
  and no accepted bolus is larger than the request;
* BOL-3: bolus pulses commanded in one tick are at most the bolus speed;
* BAS-4: basal pulses in any 60 consecutive ticks are at most the largest
  max basal rate in force during them (the accumulator carries less than a
  pulse, so a full hour at max basal gives at most max basal pulses);
* RES-1: pulses commanded since the last fill (therapy and priming) never
  exceed the amount filled;
* RES-3: priming never counts as therapy: the kernel's lifetime therapy
  totals equal the therapy pulses commanded, and its priming total the
  priming pulses commanded.

A rolling window of any position is bounded by the window that ends at the
last pulse inside it, so checking the windows that end at each delivery
tick (and at each accepted settings change, with the new limits) checks them
all.  The basal and bolus split of therapy pulses is read from the change in
the kernel's lifetime counters, the only place that tells them apart; the
amounts themselves are the commanded ones.

``Oracle.record`` is called for every step (``property_tests.world.World``)
and raises ``AssertionError`` on a violation.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from kernel import events as ev
from kernel.commands import Deliver, Notice, NoticeKind, Purpose
from kernel.config import DEFAULT_CONFIG, PumpConfig
from kernel.state import PumpState
from kernel.step import StepResult

HOUR_TICKS = 60
"""A rolling hour (LIM-1)."""
DAY_TICKS = 24 * 60
"""A rolling day (LIM-2)."""


@dataclass
class _Series:
    """Pulses per tick, append-only in tick order, with prefix sums for window totals."""

    ticks: list[int] = field(default_factory=list)
    prefix: list[int] = field(default_factory=lambda: [0])

    def add(self, tick: int, pulses: int) -> None:
        if pulses <= 0:
            return
        if self.ticks and self.ticks[-1] == tick:
            self.prefix[-1] += pulses
            return
        assert not self.ticks or tick > self.ticks[-1], "time went backwards"
        self.ticks.append(tick)
        self.prefix.append(self.prefix[-1] + pulses)

    def window(self, end_tick: int, length: int) -> int:
        """Pulses in ticks ``end_tick - length + 1 .. end_tick``."""
        hi = bisect.bisect_right(self.ticks, end_tick)
        lo = bisect.bisect_left(self.ticks, end_tick - length + 1)
        return self.prefix[hi] - self.prefix[lo]


@dataclass
class Oracle:
    """The reference (see module docstring).  ``violations`` lists what it found, in order."""

    config: PumpConfig = DEFAULT_CONFIG
    therapy: _Series = field(default_factory=_Series)
    basal: _Series = field(default_factory=_Series)
    since_fill_pulses: int = 0
    filled_pulses: int = 0
    therapy_total: int = 0
    priming_total: int = 0
    bolus_this_tick: tuple[int, int] = (-1, 0)
    max_basal_history: list[tuple[int, int]] = field(default_factory=list)
    deliveries: int = 0
    boluses_started: int = 0
    limit_windows_checked: int = 0

    def record(self, before: PumpState, event: object, result: StepResult) -> None:
        """Account for one step and check every rule; raises ``AssertionError`` on a violation."""
        after = result.state
        tick = after.now_ticks
        settings = after.settings
        if not self.max_basal_history or self.max_basal_history[-1][1] != settings.max_basal_pph:
            self.max_basal_history.append((tick, settings.max_basal_pph))
        if result.outcome.accepted and type(event) is ev.FillReservoir:
            self.since_fill_pulses = 0
            self.filled_pulses = event.pulses
        therapy = 0
        for command in result.commands:
            if isinstance(command, Deliver):
                self.deliveries += 1
                assert command.pulses > 0, f"empty delivery {command}"
                self.since_fill_pulses += command.pulses
                if command.purpose == Purpose.THERAPY:
                    therapy += command.pulses
                else:
                    self.priming_total += command.pulses
            elif isinstance(command, Notice) and command.kind == NoticeKind.BOLUS_STARTED:
                self.boluses_started += 1
                # BOL-1: a started bolus is within max bolus and never more than was asked for.
                assert command.a + command.b <= settings.max_bolus_pulses, f"bolus above max bolus: {command}"
                if type(event) is ev.BolusRequest:
                    assert command.a <= event.immediate_pulses and command.b <= event.extended_pulses, (
                        f"bolus larger than requested: {command} for {event}"
                    )
        # RES-1: nothing beyond what was filled.
        assert self.since_fill_pulses <= self.filled_pulses, (
            f"{self.since_fill_pulses} pulses commanded from a fill of {self.filled_pulses}"
        )
        self.therapy_total += therapy
        self.therapy.add(tick, therapy)
        basal = after.totals.basal_pulses - before.totals.basal_pulses
        bolus = after.totals.bolus_pulses - before.totals.bolus_pulses
        self.basal.add(tick, basal)
        # RES-3: therapy totals are exactly the therapy pulses commanded; priming is apart.
        assert after.totals.basal_pulses + after.totals.bolus_pulses == self.therapy_total, (
            "the kernel's therapy totals differ from the therapy pulses it commanded"
        )
        assert after.totals.prime_pulses == self.priming_total, "priming total differs from priming commanded"
        # BOL-3: bolus speed, per tick over every step of the tick.
        last_tick, last_bolus = self.bolus_this_tick
        tick_bolus = (last_bolus if last_tick == tick else 0) + bolus
        self.bolus_this_tick = (tick, tick_bolus)
        assert tick_bolus <= self.config.bolus_pulses_per_tick, (
            f"{tick_bolus} bolus pulses in tick {tick} (speed {self.config.bolus_pulses_per_tick})"
        )
        settings_changed = result.outcome.accepted and type(event) is ev.SettingsChange
        if therapy > 0 or settings_changed:
            self.limit_windows_checked += 1
            hour = self.therapy.window(tick, HOUR_TICKS)
            day = self.therapy.window(tick, DAY_TICKS)
            assert hour <= settings.max_hourly_pulses, f"LIM-1: {hour} pulses in the hour to tick {tick}"
            assert day <= settings.max_daily_pulses, f"LIM-2: {day} pulses in the day to tick {tick}"
        if basal > 0:
            # BAS-4: the highest max basal in force during the hour ending now.
            start = tick - HOUR_TICKS + 1
            allowed = max(
                rate
                for i, (since, rate) in enumerate(self.max_basal_history)
                if i + 1 == len(self.max_basal_history) or self.max_basal_history[i + 1][0] >= start
            )
            basal_hour = self.basal.window(tick, HOUR_TICKS)
            assert basal_hour <= allowed, f"BAS-4: {basal_hour} basal pulses in the hour to {tick} (max {allowed})"
