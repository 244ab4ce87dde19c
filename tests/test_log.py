"""The bounded event log in the state (LOG-1, INP-1).

LOG-1: the log keeps the last ``LOG_CAPACITY`` entries with entry numbers
that increase by one for ever (so a shell draining after every step loses
nothing), and records refusals with their reason, accepted commands with
their request ID, motor commands and confirmations, alarms announced and
acknowledged, mode changes, settings and time changes.  Plain ticks in which
nothing happens are not logged.  The log plays no part in any decision.
"""

from __future__ import annotations

from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.commands import NoticeKind, Purpose
from kernel.events import Source
from kernel.log import EMPTY_LOG, LOG_CAPACITY, EventLog, LogEntry, LogKind, append
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.state import evolve
from kernel.step import step
from tests.helpers import C, Pump, delivering_pump, flat_settings, pump_in_mode


def _new_entries(before: EventLog, after: EventLog) -> list[LogEntry]:
    return [e for e in after.entries if e.seq >= before.next_seq]


def _kinds(entries: list[LogEntry]) -> list[tuple[int, int]]:
    return [(e.kind, e.code) for e in entries]


def test_log_is_bounded_and_numbered_for_ever() -> None:
    """LOG-1: at most ``LOG_CAPACITY`` entries, oldest dropped, numbers consecutive and never reused."""
    pump = delivering_pump(flat_settings(60 * C.pulse_mu), keep=False)
    pump.ticks(300)
    log = pump.state.log
    assert len(log.entries) == LOG_CAPACITY
    seqs = [e.seq for e in log.entries]
    assert seqs == list(range(log.next_seq - LOG_CAPACITY, log.next_seq))
    assert seqs[0] > 1, "the oldest were dropped"


def test_draining_after_every_step_loses_nothing() -> None:
    """LOG-1: entries newer than the last one drained are always still in the ring after a step."""
    pump = delivering_pump(keep=False)
    drained: list[LogEntry] = list(pump.state.log.entries)
    for minute in range(200):
        if minute % 7 == 0:
            pump.do(ev.BolusRequest(pump.now, 5000 + minute, Source.USER, 3))
        if minute % 11 == 0:
            pump.do(ev.CancelBolus(pump.now))
        pump.tick()
        log = pump.state.log
        new = [e for e in log.entries if e.seq > drained[-1].seq]
        assert not new or new[0].seq == drained[-1].seq + 1
        drained += new
    assert [e.seq for e in drained] == list(range(1, len(drained) + 1))


def test_plain_ticks_are_not_logged() -> None:
    """LOG-1: a tick in which nothing is commanded, announced or changed adds no entry."""
    pump = delivering_pump(flat_settings(0))
    before = pump.state.log
    pump.ticks(30)
    assert pump.state.log == before


def test_refusals_are_logged_with_their_reason() -> None:
    """LOG-1, INP-1: every refusal is one entry with the event class and the reason; nothing else changes."""
    pump = delivering_pump()
    for event, reason in (
        ("garbage", Reason.NOT_AN_EVENT),
        (ev.Tick(pump.now), Reason.STALE_EVENT),
        (ev.BolusRequest(pump.now, 1, Source.USER, 10_000), Reason.ABOVE_MAX_BOLUS),
    ):
        before = pump.state
        result = step(C, before, event)
        [entry] = _new_entries(before.log, result.state.log)
        index = ev.EVENT_CLASSES.index(type(event)) if type(event) in ev.EVENT_CLASSES else -1
        assert (entry.kind, entry.code, entry.a, entry.tick) == (LogKind.EVENT_REFUSED, index, reason, before.now_ticks)
        pump.state = result.state


def test_commands_confirmations_and_notices_are_logged() -> None:
    """LOG-1: an accepted bolus (with its request ID), its start notice, each motor command and confirmation."""
    pump = delivering_pump(flat_settings(0))
    before = pump.state.log
    pump.accept(ev.BolusRequest(pump.now, 4242, Source.USER, 40))
    pump.tick()
    entries = _new_entries(before, pump.state.log)
    index = ev.EVENT_CLASSES.index(ev.BolusRequest)
    assert (entries[0].kind, entries[0].code, entries[0].a) == (LogKind.EVENT_ACCEPTED, index, 4242)
    assert (entries[1].kind, entries[1].code, entries[1].a, entries[1].b) == (
        LogKind.NOTICE,
        NoticeKind.BOLUS_STARTED,
        40,
        0,
    )
    commanded = [e for e in entries if e.kind == LogKind.DELIVER_COMMANDED]
    confirmed = [e for e in entries if e.kind == LogKind.MOTOR_CONFIRMED]
    assert [(e.code, e.b) for e in commanded] == [(Purpose.THERAPY, 30)]
    assert [(e.a, e.b) for e in confirmed] == [(commanded[0].a, 30)]


def test_alarms_and_acknowledgements_are_logged() -> None:
    """LOG-1: the alarm announced, the mode change, and the acknowledgement, each as an entry."""
    pump = pump_in_mode(Mode.DELIVERING)
    before = pump.state.log
    pump.accept(ev.Suspend(pump.now))
    pump.accept(ev.AlarmAck(pump.now, AlarmKind.SENSOR_UNAVAILABLE))
    kinds = _kinds(_new_entries(before, pump.state.log))
    assert (LogKind.MODE_CHANGED, 0) in kinds
    assert (LogKind.ALARM_ACKNOWLEDGED, AlarmKind.SENSOR_UNAVAILABLE) in kinds
    mode_change = next(e for e in pump.state.log.entries if e.kind == LogKind.MODE_CHANGED and e.seq >= before.next_seq)
    assert (mode_change.a, mode_change.b) == (Mode.DELIVERING, Mode.SUSPENDED)
    occluded = pump_in_mode(Mode.OCCLUDED)
    assert any(e.kind == LogKind.ALARM_ANNOUNCED and e.code == AlarmKind.OCCLUSION for e in occluded.state.log.entries)


def test_settings_and_time_changes_are_logged() -> None:
    """LOG-1: configuration changes (settings, local time) leave entries."""
    pump = delivering_pump()
    before = pump.state.log
    pump.accept(ev.SettingsChange(pump.now, flat_settings(1000)))
    pump.accept(ev.TimeOffsetChange(pump.now, -60))
    kinds = _kinds(_new_entries(before, pump.state.log))
    assert (LogKind.NOTICE, NoticeKind.SETTINGS_CHANGED) in kinds
    assert (LogKind.NOTICE, NoticeKind.TIME_CHANGED) in kinds
    assert (LogKind.EVENT_ACCEPTED, ev.EVENT_CLASSES.index(ev.SettingsChange)) in kinds


def test_log_plays_no_part_in_decisions() -> None:
    """LOG-1: the same state with a different log steps identically (apart from the log)."""
    pump = delivering_pump()
    pump.bolus(50)
    other = evolve(pump.state, log=EMPTY_LOG)
    for event in (ev.Tick(pump.now + 1), ev.BolusRequest(pump.now, 1, Source.USER, 5), "garbage"):
        a, b = step(C, pump.state, event), step(C, other, event)
        assert a.commands == b.commands and a.outcome == b.outcome
        assert evolve(a.state, log=b.state.log) == b.state


def test_append_keeps_the_newest() -> None:
    """LOG-1: ``append`` drops the oldest entries beyond the capacity and numbers every record."""
    log = EMPTY_LOG
    for tick in range(40):
        log = append(log, tick, ((LogKind.NOTICE, 0, tick, 0), (LogKind.NOTICE, 1, tick, 0)))
    assert len(log.entries) == LOG_CAPACITY
    assert log.next_seq == 81
    assert log.entries[-1] == LogEntry(80, 39, LogKind.NOTICE, 1, 39, 0)
    assert append(log, 99, ()) is log


def test_refused_event_on_a_new_pump_is_logged() -> None:
    """LOG-1: even the very first event of a pump, if refused, is logged."""
    pump = Pump()
    result = pump.do(ev.Resume(0))
    assert result.outcome.reason == Reason.NOT_ALLOWED_IN_MODE
    assert pump.state.log.entries[-1].kind == LogKind.EVENT_REFUSED
