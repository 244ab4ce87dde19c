"""CLK-1: the tick gate drops doubled ticks and replays missed ones without catch-up delivery."""

from __future__ import annotations

import pytest

from adapters.clock import ClockJump, MinuteClock, TickGate
from adapters.shell import ShellAlarm
from kernel.events import Tick
from kernel.modes import Mode
from tests.adapters.conftest import rig


def test_gate_passes_ordinary_ticks() -> None:
    gate = TickGate(0)
    assert gate.ticks(1) == [Tick(1)]
    assert gate.ticks(2) == [Tick(2)]
    assert (gate.passed, gate.missed, gate.doubled) == (2, 0, 0)


def test_gate_drops_doubled_and_backward_readings() -> None:
    gate = TickGate(5)
    assert gate.ticks(5) == []
    assert gate.ticks(3) == []
    assert gate.doubled == 2 and gate.last_tick == 5


def test_gate_replays_missed_ticks_as_missed() -> None:
    gate = TickGate(10)
    assert gate.ticks(14) == [Tick(11, missed=True), Tick(12, missed=True), Tick(13, missed=True), Tick(14)]
    assert gate.missed == 3 and gate.last_tick == 14


def test_gate_refuses_a_jump_beyond_the_replay_limit() -> None:
    gate = TickGate(0, max_replay_ticks=60)
    with pytest.raises(ClockJump):
        gate.ticks(62)
    assert gate.last_tick == 0
    assert gate.ticks(61)[-1] == Tick(61)


def test_minute_clock_counts_whole_minutes_from_the_epoch() -> None:
    clock = MinuteClock(epoch_s=1000, seconds=lambda: 1000 + 179.9)
    assert clock.now_tick() == 2


def test_missed_ticks_advance_time_but_deliver_nothing() -> None:
    r = rig()
    r.ticks(10)
    before = r.shell.state.totals.basal_pulses
    r.shell.advance_to(r.shell.now + 30)  # 29 missed minutes, then one ordinary tick
    assert r.shell.now == 40
    assert r.shell.state.totals.basal_pulses - before <= 1  # only the ordinary tick delivers (1 pulse a minute)
    assert r.shell.gate.missed == 29


def test_doubled_tick_does_not_deliver_twice() -> None:
    r = rig()
    r.shell.advance_to(1)
    delivered = r.shell.state.totals.basal_pulses
    assert r.shell.advance_to(1) == []
    assert r.shell.state.totals.basal_pulses == delivered and r.shell.gate.doubled == 1


def test_clock_jump_stops_the_shell_with_an_alarm() -> None:
    r = rig()
    r.shell.advance_to(10**6)
    assert r.shell.locked is ShellAlarm.CLOCK_JUMP
    assert r.display.shell_alarms and r.shell.state.mode == Mode.DELIVERING  # kernel untouched; the shell stopped
    commands = r.motor.displaced_total_pulses
    r.shell.advance_to(10**6 + 1)
    assert r.motor.displaced_total_pulses == commands
