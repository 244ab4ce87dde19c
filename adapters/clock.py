"""The tick source: platform time in, kernel ``Tick`` events out (CLK-1).

Theory of operation
-------------------
The kernel's time moves only by ``Tick`` events of one minute, each carrying
the next tick (CLK-2).  The platform has a clock that is not so tidy: a timer
interrupt can fire twice for the same minute, or not at all for a few minutes
(a busy radio, a brown-out, the pump switched off).  ``TickGate`` stands
between the two.  The platform reports the tick it believes it is (its clock
reading turned into whole minutes since the pump's epoch), and the gate

* drops a reading that is not later than the last tick given to the kernel
  (a *doubled* tick, or a clock that stepped back): nothing happens twice;
* passes a reading one later than the last tick as an ordinary ``Tick``;
* replays every minute skipped before a later reading as ``Tick(missed=True)``
  (time advances, nothing is delivered for it, so a missed minute never turns
  into a burst of catch-up delivery), then the reading itself as an ordinary
  ``Tick``.

A jump of more than ``max_replay_ticks`` is not replayed: the gate raises
``ClockJump`` and the shell stops delivering and raises a shell alarm
(``adapters.shell``), because a clock that leapt by weeks is more likely
broken than right.

``MinuteClock`` turns a seconds clock (``time.time`` on a device with a
battery-backed real-time clock) into platform ticks from an epoch that the
shell keeps in its persistent record, so time stays right across restarts.

Units: ``_ticks`` (one-minute kernel ticks), ``_s`` seconds.
Requirements served: CLK-1, CLK-2.  No dosing decision lives here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kernel.events import Tick

TICK_S = 60
"""Seconds per kernel tick."""

DEFAULT_MAX_REPLAY_TICKS = 7 * 24 * 60
"""A week of missed minutes is replayed; a longer jump is treated as a clock fault."""


class ClockJump(Exception):
    """The platform clock moved forward by more than the gate will replay."""

    def __init__(self, last_tick: int, reading_tick: int) -> None:
        super().__init__(f"platform clock jumped from tick {last_tick} to {reading_tick}")
        self.last_tick = last_tick
        self.reading_tick = reading_tick


@dataclass
class TickGate:
    """Turns platform tick readings into kernel ticks (see module docstring)."""

    last_tick: int
    """The last tick given to the kernel (the kernel's ``now_ticks``)."""
    max_replay_ticks: int = DEFAULT_MAX_REPLAY_TICKS
    doubled: int = 0
    """Readings dropped because they were not later than the last tick."""
    missed: int = 0
    """Ticks replayed as ``Tick(missed=True)``."""
    passed: int = field(default=0)
    """Ordinary ticks passed to the kernel."""

    def ticks(self, reading_tick: int) -> list[Tick]:
        """The kernel ticks for one platform reading, oldest first (CLK-1).

        Raises ``ClockJump`` (and changes nothing) if the reading is more than
        ``max_replay_ticks`` ahead.
        """
        if reading_tick <= self.last_tick:
            self.doubled += 1
            return []
        gap = reading_tick - self.last_tick - 1
        if gap > self.max_replay_ticks:
            raise ClockJump(self.last_tick, reading_tick)
        ticks = [Tick(t, missed=True) for t in range(self.last_tick + 1, reading_tick)]
        ticks.append(Tick(reading_tick))
        self.missed += gap
        self.passed += 1
        self.last_tick = reading_tick
        return ticks


@dataclass(frozen=True)
class MinuteClock:
    """Platform ticks from a seconds clock: whole minutes since ``epoch_s``."""

    epoch_s: int
    seconds: Callable[[], float] = time.time

    def now_tick(self) -> int:
        return max(0, int(self.seconds() - self.epoch_s) // TICK_S)
