"""ALM-2, ALM-4: twelve hours of automated and remote commands with no person at the pump end in AUTO_OFF.

The therapy settings are the defaults of ``make_settings`` (auto-off after 12
hours: on by default) with the controller and remote boluses allowed; the
configuration is the default one (``remote_is_person_held`` False).  Every
command goes through the shell (``PumpShell.submit``, which runs
``kernel.step``) and carries its ``source``.
"""

from __future__ import annotations

from adapters.motor import SimulatedMotor
from adapters.persistence import MemoryStore
from adapters.shell import PumpShell, RecordingDisplay
from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.config import DEFAULT_CONFIG, PumpConfig
from kernel.events import CancelTarget, Source, TempKind
from kernel.modes import Mode
from kernel.settings import make_settings
from kernel.units import TICKS_PER_HOUR
from tests.adapters.conftest import Rig, rig

THERAPY = make_settings(DEFAULT_CONFIG, controller_enabled=True, remote_bolus_enabled=True)


def unattended(shell: PumpShell, ticks: int) -> dict[str, int]:
    """Glucose every 5 minutes, a controller temp every 30, a remote command every 60; nobody at the pump."""
    counts = {"controller_accepted": 0, "controller": 0, "remote_accepted": 0, "remote": 0}
    remote_commands = (
        lambda t, n: ev.BolusRequest(t, n, Source.REMOTE, 1),
        lambda t, n: ev.CancelTempBasal(t, Source.REMOTE),
        lambda t, n: ev.TempBasal(t, n, Source.REMOTE, TempKind.PERCENT, 90, 60),
        lambda t, n: ev.CancelBolus(t, CancelTarget.ALL, Source.REMOTE),
    )
    for k in range(ticks):
        now = shell.now
        if now % 5 == 0:
            shell.submit(ev.GlucoseReading(now, now, 140))
        if now % 30 == 10:
            result = shell.submit(ev.TempBasal(now, 1000 + k, Source.CONTROLLER, TempKind.PERCENT, 110, 30))
            counts["controller"] += 1
            counts["controller_accepted"] += bool(result and result.outcome.accepted)
        if now % 60 == 20:
            result = shell.submit(remote_commands[(now // 60) % 4](now, 5000 + k))
            counts["remote"] += 1
            counts["remote_accepted"] += bool(result and result.outcome.accepted)
        shell.tick()
    return counts


def test_default_auto_off_is_on_and_twelve_hours() -> None:
    assert THERAPY.auto_off_ticks == 12 * TICKS_PER_HOUR
    assert DEFAULT_CONFIG.remote_is_person_held is False


def test_twelve_hours_of_controller_and_remote_commands_end_in_auto_off() -> None:
    r: Rig = rig(therapy=THERAPY)
    counts = unattended(r.shell, 12 * TICKS_PER_HOUR - 1)
    assert r.shell.state.mode == Mode.DELIVERING and AlarmKind.AUTO_OFF not in r.alarm_kinds()
    counts2 = unattended(r.shell, 2)
    assert r.shell.state.mode == Mode.AUTO_OFF
    assert AlarmKind.AUTO_OFF in r.alarm_kinds()
    total = {key: counts[key] + counts2[key] for key in counts}
    print(total)
    # the commands were real: most were accepted, and none of them counted as a person
    assert total["controller_accepted"] >= total["controller"] // 2 and total["controller"] >= 23
    assert total["remote_accepted"] >= total["remote"] // 2 and total["remote"] >= 11


def test_a_remote_declared_person_held_keeps_the_pump_on() -> None:
    """The control: the same traffic with ``remote_is_person_held`` True is presence (ALM-4)."""
    config: PumpConfig = DEFAULT_CONFIG._replace(remote_is_person_held=True)
    display = RecordingDisplay()
    shell = PumpShell.start(config, motor=SimulatedMotor(clock=lambda: 0), display=display, store=MemoryStore())
    for event in (
        ev.SettingsChange(0, THERAPY),
        ev.FillReservoir(0, 4000),
        ev.PrimeTubing(0, 20),
        ev.FillCannula(0, 10),
        ev.Resume(0),
    ):
        result = shell.submit(event)
        assert result is not None and result.outcome.accepted
    unattended(shell, 13 * TICKS_PER_HOUR)
    assert shell.state.mode == Mode.DELIVERING
    assert AlarmKind.AUTO_OFF not in [a.kind for _, a, _ in display.alarms]
