"""PER-1..3 in the shell: atomic records, recovery, and a corrupt record that never delivers."""

from __future__ import annotations

from pathlib import Path

from adapters.motor import NOT_RECEIVED, SimulatedMotor
from adapters.persistence import Corrupt, FileStore, Loaded, MemoryStore, Missing, ShellMeta, decode, encode
from adapters.shell import PumpShell, RecordingDisplay, ShellAlarm
from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.config import make_config
from kernel.modes import Mode
from kernel.state import initial_state
from tests.adapters.conftest import C, rig, settings


def test_record_round_trip() -> None:
    state = initial_state(C)
    record = encode(C, state, ShellMeta(7, 3, 1000))
    loaded = decode(record)
    assert isinstance(loaded, Loaded)
    assert loaded.state == state and loaded.config == C and loaded.meta == ShellMeta(7, 3, 1000)


def test_every_single_byte_flip_is_detected() -> None:
    record = encode(C, initial_state(C), ShellMeta(0, 1, 0))
    for index in range(0, len(record), 97):
        damaged = bytearray(record)
        damaged[index] ^= 0x01
        assert isinstance(decode(bytes(damaged)), Corrupt), index
    assert isinstance(decode(record[:-10]), Corrupt)
    assert isinstance(decode(b""), Corrupt)


def test_file_store_saves_atomically_and_reloads(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    assert isinstance(store.load(), Missing)
    r = rig(store=store)
    r.ticks(5)
    assert not (tmp_path / FileStore.TEMPORARY).exists()
    loaded = store.load()
    assert isinstance(loaded, Loaded) and loaded.state == r.shell.state
    assert store.saves == r.shell.counters.saves


def test_a_record_is_saved_before_the_motor_moves(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    seen: list[int] = []

    class Watching(SimulatedMotor):
        def deliver(self, session: int, seq: int, pulses: int):  # type: ignore[no-untyped-def]
            loaded = store.load()
            assert isinstance(loaded, Loaded) and loaded.state.motor.seq == seq  # write-ahead (DLV-1)
            assert loaded.state.motor.pending_pulses == pulses
            seen.append(seq)
            return super().deliver(session, seq, pulses)

    shell = PumpShell.start(C, motor=Watching(), display=RecordingDisplay(), store=store)
    r_events = (
        ev.SettingsChange(0, settings()),
        ev.FillReservoir(0, 4000),
        ev.PrimeTubing(0, 20),
        ev.FillCannula(0, 10),
        ev.Resume(0),
    )
    for event in r_events:
        shell.submit(event)
    for _ in range(5):
        shell.tick()
    assert seen == [1, 2, 3, 4, 5, 6, 7]


def test_restart_recovers_state_and_reannounces_active_alarms(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    r = rig(store=store)
    r.shell.submit(ev.Rewind(r.shell.now))  # refused (delivering): logged, state saved
    r.shell.submit(ev.Suspend(r.shell.now))
    r.ticks(3)
    saved = r.shell.state
    display = RecordingDisplay()
    again = PumpShell.start(C, motor=r.motor, display=display, store=FileStore(tmp_path))
    assert again.state == saved and again.locked is None
    assert display.alarms == []  # nothing active: nothing to repeat
    # an active alarm is announced again after a restart (ALM-3)
    r2 = rig(store=FileStore(tmp_path / "b"), therapy=None)
    r2.shell.submit(ev.GlucoseReading(0, 0, 120))
    r2.shell.submit(ev.SettingsChange(0, settings(lgs_enabled=True)))
    r2.ticks(20)  # no fresh reading: SENSOR_UNAVAILABLE
    active = [k for k in AlarmKind if r2.shell.state.alarms[k] == 2]
    assert active
    display2 = RecordingDisplay()
    PumpShell.start(C, motor=r2.motor, display=display2, store=FileStore(tmp_path / "b"))
    assert [int(a.kind) for _, a, repeated in display2.alarms if repeated] == [int(k) for k in active]


def test_pending_command_never_received_is_sent_once_on_recovery() -> None:
    store = MemoryStore()
    r = rig(store=store)
    r.ticks(3)
    # Simulate a crash between the save and the send: take the record, give the pump a motor that never got it.
    loaded = store.load()
    assert isinstance(loaded, Loaded)
    state = loaded.state
    from kernel.step import step

    result = step(C, state, ev.Tick(state.now_ticks + 1))
    store.save(encode(C, result.state, loaded.meta))
    motor = SimulatedMotor()
    motor.restore([e for seq, e in sorted(r.motor.executions.items())])
    assert motor.read_back(loaded.meta.motor_session, result.state.motor.seq) is NOT_RECEIVED
    shell = PumpShell.start(C, motor=motor, display=RecordingDisplay(), store=store)
    assert shell.counters.sent_after_read_back == 1 and shell.state.motor.pending_pulses == 0
    assert motor.repeats_refused == 0 and len(motor.executions) == len(r.motor.executions) + 1


def test_corrupt_record_locks_the_shell_and_the_motor_stays_still(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    r = rig(store=store)
    r.ticks(5)
    data = bytearray(store.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    store.path.write_bytes(bytes(data))
    motor = SimulatedMotor()
    display = RecordingDisplay()
    shell = PumpShell.start(C, motor=motor, display=display, store=FileStore(tmp_path))
    assert shell.locked is ShellAlarm.RECORD_UNREADABLE
    assert display.shell_alarms and display.shell_alarms[0][0] is ShellAlarm.RECORD_UNREADABLE
    assert shell.submit(ev.Resume(0)) is None
    assert shell.advance_to(100) == []
    assert len(display.shell_alarms) == 2  # repeated while locked
    assert motor.executions == {} and motor.displaced_total_pulses == 0
    # the user's action: a new pump state, REWOUND, nothing delivered until the full set-up
    shell.replace_unreadable_record(new_session=2, epoch_s=6000, settings=settings())
    assert shell.locked is None and shell.state.mode == Mode.REWOUND
    assert any(p.name.startswith("pump.rec.unreadable-") for p in tmp_path.iterdir())
    for _ in range(30):
        shell.tick()
    assert motor.displaced_total_pulses == 0
    assert isinstance(FileStore(tmp_path).load(), Loaded)


def test_missing_record_in_a_provisioned_store_is_corrupt(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    rig(store=store)
    store.path.unlink()
    assert isinstance(FileStore(tmp_path).load(), Corrupt)


def test_record_from_another_configuration_is_not_used(tmp_path: Path) -> None:
    rig(store=FileStore(tmp_path))
    other = make_config(pulse_mu=25)
    shell = PumpShell.start(other, motor=SimulatedMotor(), display=RecordingDisplay(), store=FileStore(tmp_path))
    assert shell.locked is ShellAlarm.RECORD_FROM_OTHER_DEVICE


def test_inputs_are_taken_exactly_once() -> None:
    store = MemoryStore()
    r = rig(store=store)
    assert r.shell.submit(ev.Suspend(0), input_number=1) is not None
    again = PumpShell.start(C, motor=r.motor, display=RecordingDisplay(), store=store)
    assert again.submit(ev.Suspend(0), input_number=1) is None and again.counters.inputs_skipped == 1
    assert again.submit(ev.Resume(0), input_number=2) is not None
