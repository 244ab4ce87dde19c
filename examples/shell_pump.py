"""A runnable pump: the kernel behind the shell, with a simulated motor, a file store and a CGM.

Run it with ``python examples/shell_pump.py``.  It sets the pump up, feeds
CGM readings, asks for a bolus through the pump-manager facade, lets two
hours pass, then "crashes" (drops every object) and starts again from the
record on disk.  Every piece a pump builder replaces is marked HARDWARE.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from adapters.journal import FileJournal
from adapters.manager import PumpManager
from adapters.motor import SimulatedMotor
from adapters.persistence import FileStore
from adapters.sensor import CgmInput, SimulatedCgm
from adapters.shell import PumpShell, RecordingDisplay
from kernel import DEFAULT_CONFIG, events, make_settings


def main(directory: Path) -> dict[str, float]:
    config = DEFAULT_CONFIG  # fixed for the device build
    motor = SimulatedMotor()  # HARDWARE: your Motor (deliver, read_back)
    display = RecordingDisplay()  # HARDWARE: your screen and buzzer (alarm, notice, shell_alarm)
    store = FileStore(directory)  # HARDWARE: a directory on flash; atomic writes, fsync
    journal = FileJournal(directory)  # HARDWARE: the dose journal beside the record (PER-4, docs/recovery.md)
    shell = PumpShell.start(
        config, motor=motor, display=display, store=store, new_session=1, epoch_s=0, journal=journal
    )

    # Set-up sequence (RES-3): settings, fill, prime, cannula, resume.
    settings = make_settings(config, auto_off_hours=0, remote_bolus_enabled=True)
    for event in (
        events.SettingsChange(shell.now, settings),
        events.FillReservoir(shell.now, 4000),
        events.PrimeTubing(shell.now, 20),
        events.FillCannula(shell.now, 10),
        events.Resume(shell.now),
    ):
        result = shell.submit(event)
        assert result is not None and result.outcome.accepted, result

    sensor = SimulatedCgm(lambda tick: 140.0 - tick / 10, noise_mgdl=3.0)  # HARDWARE: your CGM link
    cgm = CgmInput(config)
    manager = PumpManager(shell)  # what a closed-loop app drives
    print("bolus:", manager.enact_bolus(2.0).kind.value)

    for minute in range(120):  # HARDWARE: your one-minute timer calls advance_to(platform tick)
        for reading in cgm.events(sensor.poll(minute), shell.now):
            shell.submit(reading)
        shell.advance_to(minute + 1)

    status = manager.status()
    print(
        f"after 2 h: {status.basal_delivery_state.value}, reservoir {status.reservoir_units:.2f} U, "
        f"IOB {status.insulin_on_board_units:.2f} U, uncertain {status.delivery_is_uncertain}"
    )

    # Power loss: everything in memory is gone; the record on disk and the motor's memory remain.
    restarted = PumpShell.start(
        config, motor=motor, display=RecordingDisplay(), store=FileStore(directory), journal=FileJournal(directory)
    )
    assert restarted.state == shell.state and restarted.locked is None
    print(
        f"restarted at tick {restarted.now} in mode {restarted.state.mode}, nothing repeated: "
        f"{motor.repeats_refused == 0}"
    )
    return {"reservoir_units": status.reservoir_units, "tick": restarted.now}


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(scratch))
