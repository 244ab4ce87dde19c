"""PER-3, PER-4: an unreadable record is replaced by a state that never forgets the last 24 hours.

With the dose journal whole, the windows are rebuilt and the next bolus gets
the answer it would have got without the crash; with the journal lost too,
the worst case is assumed: limits reached, automated dosing refused with
``HISTORY_UNKNOWN`` for 1440 minutes.  The user is told which, and why.
Everything goes through the shell's public entry points (``submit``,
``tick``, ``replace_unreadable_record``), which run ``kernel.step``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.journal import FileJournal, MemoryJournal
from adapters.motor import SimulatedMotor
from adapters.persistence import Corrupt, FileStore, Loaded, MemoryStore, Store, decode, encode
from adapters.recovery import ShellNotice
from adapters.shell import PumpShell, RecordingDisplay, ShellAlarm
from kernel import events as ev
from kernel.config import PumpConfig
from kernel.events import Source, TempKind
from kernel.iob import iob_pulses
from kernel.logic import PY
from kernel.reasons import Reason
from kernel.settings import TherapySettings, make_settings
from kernel.step import StepResult
from tests.adapters.conftest import C, Rig, rig, settings

U = 1000  # mU per unit
THERAPY = settings(
    basal_segments_mu_per_hour=((0, 500),), max_daily_mu=25 * U, controller_enabled=True, remote_bolus_enabled=True
)
"""10 pulses an hour of basal, 500 pulses a day at most, 300 an hour, 200 a bolus (50 mU pulses)."""


def history(r: Rig) -> None:
    """Two boluses an hour apart and 140 minutes of basal: about 320 of the 500 pulses of the day."""
    assert accepted(r.shell.submit(ev.BolusRequest(r.shell.now, 1, Source.USER, 150)))
    r.ticks(65)
    assert accepted(r.shell.submit(ev.BolusRequest(r.shell.now, 2, Source.REMOTE, 150)))
    r.ticks(75)


def accepted(result: StepResult | None) -> bool:
    return result is not None and result.outcome.accepted


def reason(result: StepResult | None) -> Reason:
    assert result is not None
    return Reason(result.outcome.reason)


def damage(data: bytes) -> bytes:
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0xFF
    return bytes(flipped)


def restart_locked(store: Store, journal: MemoryJournal | FileJournal) -> tuple[PumpShell, RecordingDisplay]:
    display = RecordingDisplay()
    shell = PumpShell.start(C, motor=SimulatedMotor(), display=display, store=store, journal=journal)
    assert shell.locked is ShellAlarm.RECORD_UNREADABLE
    return shell, display


def set_up(shell: PumpShell) -> None:
    for event in (ev.FillReservoir(0, 4000), ev.PrimeTubing(0, 20), ev.FillCannula(0, 10), ev.Resume(0)):
        assert accepted(shell.submit(event)), event


def test_corrupt_record_with_a_good_journal_rebuilds_the_limits_as_if_no_crash(tmp_path: Path) -> None:
    twin = rig(therapy=THERAPY, journal=MemoryJournal())  # the same pump, never crashed
    crashed = rig(
        therapy=THERAPY,
        store=FileStore(tmp_path, fsync=False),
        journal=FileJournal(tmp_path, fsync=False),
    )
    history(twin)
    history(crashed)
    assert twin.shell.state == crashed.shell.state
    day_pulses = twin.shell.state.windows.day_total_pulses
    room = THERAPY.max_daily_pulses - day_pulses
    assert 100 < room < THERAPY.max_bolus_pulses  # the next bolus is bounded by the daily limit
    path = tmp_path / FileStore.RECORD
    path.write_bytes(damage(path.read_bytes()))
    shell, display = restart_locked(FileStore(tmp_path, fsync=False), FileJournal(tmp_path, fsync=False))
    plan = shell.replace_unreadable_record(
        2, 60 * twin.shell.now, THERAPY, time_of_day_ticks=twin.shell.state.time_of_day_ticks
    )
    assert display.shell_notices == [(ShellNotice.HISTORY_REBUILT, plan.reason)]
    assert shell.state.windows.day_total_pulses == day_pulses
    assert shell.state.timers.history_unknown_ticks == 0
    twin_iob = iob_pulses(THERAPY, twin.shell.state.windows, PY)
    rebuilt_iob = iob_pulses(THERAPY, shell.state.windows, PY)
    print(f"insulin on board: never crashed {twin_iob} pulses, rebuilt {rebuilt_iob} pulses")
    assert rebuilt_iob >= twin_iob  # deliveries dated no earlier than they were: IOB not understated
    set_up(shell)
    for pump in (twin.shell, shell):  # the same answers as if nothing had happened
        assert reason(pump.submit(ev.BolusRequest(pump.now, 10, Source.USER, room + 1))) is Reason.DAILY_LIMIT
        assert accepted(pump.submit(ev.BolusRequest(pump.now, 11, Source.USER, room)))
        assert accepted(pump.submit(ev.TempBasal(pump.now, 12, Source.CONTROLLER, TempKind.PERCENT, 50, 30)))
    # and the journal goes on: a second loss later rebuilds again, with the bolus after the first one
    for _ in range(10):
        shell.tick()
    assert shell.state.bolus.remaining_pulses == 0
    crashed_again = tmp_path / FileStore.RECORD
    crashed_again.write_bytes(damage(crashed_again.read_bytes()))
    again, display = restart_locked(FileStore(tmp_path, fsync=False), FileJournal(tmp_path, fsync=False))
    again.replace_unreadable_record(3, 60 * (twin.shell.now + 10), THERAPY)
    assert display.shell_notices[0][0] is ShellNotice.HISTORY_REBUILT
    assert again.state.windows.day_total_pulses == shell.state.windows.day_total_pulses


def assumed_worst(therapy: TherapySettings = THERAPY) -> tuple[PumpShell, RecordingDisplay]:
    store, journal = MemoryStore(), MemoryJournal()
    r = rig(therapy=therapy, store=store, journal=journal)
    history(r)
    assert store.record is not None and journal.data is not None
    store.record = damage(store.record)
    journal.data = damage(journal.data)
    shell, display = restart_locked(store, journal)
    plan = shell.replace_unreadable_record(2, 60 * r.shell.now, therapy)
    assert plan.deliveries is None and display.shell_notices == [(ShellNotice.HISTORY_ASSUMED, plan.reason)]
    assert "dose journal" in plan.reason  # the user is told why
    set_up(shell)
    return shell, display


def test_corrupt_record_and_journal_assume_the_worst_bolus_refused() -> None:
    """A bolus above what the daily limit would allow if the last 24 h had been full is refused."""
    shell, _ = assumed_worst()
    s = shell.state
    assert s.windows.day_total_pulses == THERAPY.max_daily_pulses
    assert iob_pulses(THERAPY, s.windows, PY) == THERAPY.max_iob_pulses
    first = shell.submit(ev.BolusRequest(shell.now, 1, Source.USER, 1))
    assert reason(first) in (Reason.HOURLY_LIMIT, Reason.DAILY_LIMIT)
    for _ in range(70):  # the hour ring (13 buckets of 5 minutes) has let the assumed hour go
        shell.tick()
    assert shell.state.windows.hour_total_pulses == 0
    assert reason(shell.submit(ev.BolusRequest(shell.now, 2, Source.USER, 1))) is Reason.DAILY_LIMIT
    assert shell.motor.displaced_total_pulses == 30  # type: ignore[attr-defined]  # prime and cannula only


def test_after_the_worst_case_automated_commands_are_refused_for_1440_minutes() -> None:
    shell, _ = assumed_worst()

    def controller_answers(request_id: int) -> tuple[Reason, Reason]:
        now = shell.now
        shell.submit(ev.GlucoseReading(now, now, 160))
        bolus = shell.submit(ev.BolusRequest(now, request_id, Source.CONTROLLER, 1))
        temp = shell.submit(ev.TempBasal(now, request_id + 1, Source.CONTROLLER, TempKind.PERCENT, 150, 30))
        return reason(bolus), reason(temp)

    assert controller_answers(100) == (Reason.HISTORY_UNKNOWN, Reason.HISTORY_UNKNOWN)
    # lowering the rate is allowed (it is not more insulin)
    lower = shell.submit(ev.TempBasal(shell.now, 98, Source.CONTROLLER, TempKind.PERCENT, 50, 30))
    assert accepted(lower)
    while shell.now < 1439:
        shell.tick()
    assert controller_answers(200) == (Reason.HISTORY_UNKNOWN, Reason.HISTORY_UNKNOWN)
    shell.tick()
    bolus, temp = controller_answers(300)
    print(f"at minute 1440: controller bolus {bolus.name}, controller temp {temp.name}")
    assert bolus is not Reason.HISTORY_UNKNOWN and temp is Reason.ACCEPTED


def test_a_torn_last_journal_entry_counts_when_it_parses_else_the_worst_case() -> None:
    store, journal = MemoryStore(), MemoryJournal()
    r = rig(therapy=THERAPY, store=store, journal=journal)
    history(r)
    assert store.record is not None and journal.data is not None
    whole = journal.data
    for cut, expected in ((1, ShellNotice.HISTORY_REBUILT), (5, ShellNotice.HISTORY_ASSUMED)):
        store.record = damage(encode_record(r))
        journal.data = whole[:-cut]
        shell, display = restart_locked(store, journal)
        plan = shell.replace_unreadable_record(2, 60 * r.shell.now, THERAPY)
        assert display.shell_notices[0][0] is expected, cut
        if expected is ShellNotice.HISTORY_REBUILT:
            assert "counted as delivered" in plan.reason
            assert shell.state.windows.day_total_pulses == r.shell.state.windows.day_total_pulses


def encode_record(r: Rig) -> bytes:
    return encode(C, r.shell.state, r.shell.meta)


def test_a_journal_lost_beside_a_good_record_is_restarted_and_the_user_told() -> None:
    store, journal = MemoryStore(), MemoryJournal()
    r = rig(therapy=THERAPY, store=store, journal=journal)
    history(r)
    assert journal.data is not None
    journal.data = damage(journal.data)
    display = RecordingDisplay()
    shell = PumpShell.start(C, motor=r.motor, display=display, store=store, journal=journal)
    assert shell.locked is None and shell.state == r.shell.state
    assert [n for n, _ in display.shell_notices] == [ShellNotice.JOURNAL_RESTARTED]
    assert len(journal.quarantined) == 1
    # the record is lost too, within 24 hours: the journal does not cover them, so the worst case
    assert store.record is not None
    store.record = damage(store.record)
    locked, display = restart_locked(store, journal)
    plan = locked.replace_unreadable_record(2, 60 * r.shell.now + 600, THERAPY)
    assert plan.deliveries is None and "less than the last 24 hours" in plan.reason


def test_a_history_above_the_new_settings_falls_back_to_the_worst_case() -> None:
    store, journal = MemoryStore(), MemoryJournal()
    r = rig(therapy=THERAPY, store=store, journal=journal)
    history(r)
    assert store.record is not None
    store.record = damage(store.record)
    shell, display = restart_locked(store, journal)
    lower = settings(
        basal_segments_mu_per_hour=((0, 500),), max_daily_mu=15 * U
    )  # the user enters a lower daily limit than what was delivered
    plan = shell.replace_unreadable_record(2, 60 * r.shell.now, lower)
    assert plan.deliveries is None and "cannot be used" in plan.reason
    assert display.shell_notices[0][0] is ShellNotice.HISTORY_ASSUMED


def test_invalid_settings_change_nothing() -> None:
    store, journal = MemoryStore(), MemoryJournal()
    r = rig(therapy=THERAPY, store=store, journal=journal)
    history(r)
    assert store.record is not None
    bad_record = store.record = damage(store.record)
    shell, _ = restart_locked(store, journal)
    broken = THERAPY._replace(max_daily_pulses=-1)
    with pytest.raises(ValueError):
        shell.replace_unreadable_record(2, 60 * r.shell.now, broken)
    assert shell.locked is ShellAlarm.RECORD_UNREADABLE and store.record == bad_record


def test_power_loss_at_every_byte_of_a_record_write(tmp_path: Path) -> None:
    """PER-2: a record write cut anywhere leaves the old record; a record itself cut anywhere is unreadable
    and, with the journal whole, the replacement rebuilds the same day window."""
    store = FileStore(tmp_path, fsync=False)
    r = rig(therapy=THERAPY, store=store, journal=FileJournal(tmp_path, fsync=False))
    history(r)
    old, before = store.path.read_bytes(), r.shell.state
    r.shell.tick()
    new = store.path.read_bytes()
    assert old != new
    store.path.write_bytes(old)
    cuts = sorted(set(range(0, len(new), 97)) | {len(new) - 1})
    for cut in cuts:  # the temporary file torn (every 97th byte: each load decodes a whole record): still the old
        (tmp_path / FileStore.TEMPORARY).write_bytes(new[:cut])
        loaded = FileStore(tmp_path).load()
        assert isinstance(loaded, Loaded) and loaded.state == before, cut
    (tmp_path / FileStore.TEMPORARY).unlink()
    unreadable = 0
    for cut in range(len(new)):  # the record itself torn at every byte (a file system without atomic rename)
        unreadable += isinstance(decode(new[:cut]), Corrupt)  # what FileStore.load does with the bytes it reads
    assert unreadable == len(new)
    store.path.write_bytes(new[: len(new) // 2])
    shell, display = restart_locked(FileStore(tmp_path, fsync=False), FileJournal(tmp_path, fsync=False))
    shell.replace_unreadable_record(2, 60 * r.shell.now, THERAPY)
    assert display.shell_notices[0][0] is ShellNotice.HISTORY_REBUILT
    assert shell.state.windows.day_total_pulses == r.shell.state.windows.day_total_pulses


def test_a_record_of_another_configuration_never_rebuilds_from_its_journal(tmp_path: Path) -> None:
    """The journal counts pulses of the other configuration's size: the worst case, and the user is told."""
    from kernel.config import make_config

    r = rig(therapy=THERAPY, store=FileStore(tmp_path, fsync=False), journal=FileJournal(tmp_path, fsync=False))
    history(r)
    other = make_config(pulse_mu=25)
    display = RecordingDisplay()
    shell = PumpShell.start(
        other, motor=SimulatedMotor(), display=display, store=FileStore(tmp_path), journal=FileJournal(tmp_path)
    )
    assert shell.locked is ShellAlarm.RECORD_FROM_OTHER_DEVICE
    plan = shell.replace_unreadable_record(2, 60 * r.shell.now, settings_for(other))
    assert plan.deliveries is None and "another device configuration" in plan.reason
    assert display.shell_notices[0][0] is ShellNotice.HISTORY_ASSUMED


def settings_for(config: PumpConfig) -> TherapySettings:
    return make_settings(config, basal_segments_mu_per_hour=((0, 500),), max_daily_mu=25 * U, auto_off_hours=0)
