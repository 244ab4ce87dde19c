"""Shared helpers for the adapter tests: a shell with a simulated motor, already delivering.

Tests marked ``deep`` (long runs: the crash test over a scripted day, all 30
patients) run only under the project's deep profile (``HYPOTHESIS_PROFILE=deep``)
or when selected explicitly with ``-m deep``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.journal import DoseJournal
from adapters.motor import Fault, SimulatedMotor
from adapters.persistence import MemoryStore, Store
from adapters.shell import PumpShell, RecordingDisplay
from kernel import events as ev
from kernel.config import DEFAULT_CONFIG, PumpConfig
from kernel.settings import TherapySettings, make_settings

C: PumpConfig = DEFAULT_CONFIG


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    selected = "deep" in (config.getoption("-m") or "")
    if os.environ.get("HYPOTHESIS_PROFILE") == "deep" or selected:
        return
    skip = pytest.mark.skip(reason="deep profile only (HYPOTHESIS_PROFILE=deep or -m deep)")
    for item in items:
        if "deep" in item.keywords:
            item.add_marker(skip)


def settings(**overrides: Any) -> TherapySettings:
    """Quiet settings (no auto-off, no low-glucose suspend) with 1 pulse a minute of basal."""
    kwargs: dict[str, Any] = {
        "basal_segments_mu_per_hour": ((0, 3000),),
        "auto_off_hours": 0,
        "lgs_enabled": False,
        "predictive_suspend_enabled": False,
    }
    kwargs.update(overrides)
    return make_settings(C, **kwargs)


@dataclass
class Rig:
    """A shell, its simulated motor, its display and its store."""

    shell: PumpShell
    motor: SimulatedMotor
    display: RecordingDisplay
    store: Store

    def ticks(self, count: int) -> None:
        for _ in range(count):
            self.shell.tick()

    def alarm_kinds(self) -> list[int]:
        return [int(alarm.kind) for _, alarm, _ in self.display.alarms]


def rig(
    faults: Sequence[Fault] = (),
    therapy: TherapySettings | None = None,
    store: Store | None = None,
    set_up: bool = True,
    journal: DoseJournal | None = None,
) -> Rig:
    """A pump through the whole set-up sequence, delivering (faults by tick use the shell's clock)."""
    box: list[PumpShell] = []
    motor = SimulatedMotor(faults=tuple(faults), clock=lambda: box[0].now if box else 0)
    display = RecordingDisplay()
    store = store if store is not None else MemoryStore()
    shell = PumpShell.start(C, motor=motor, display=display, store=store, journal=journal)
    box.append(shell)
    if set_up:
        for event in (
            ev.SettingsChange(0, therapy if therapy is not None else settings()),
            ev.FillReservoir(0, 4000),
            ev.PrimeTubing(0, 20),
            ev.FillCannula(0, 10),
            ev.Resume(0),
        ):
            result = shell.submit(event)
            assert result is not None and result.outcome.accepted, (event, result)
    return Rig(shell, motor, display, store)
