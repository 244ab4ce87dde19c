"""PER-2, PER-4: the dose journal's format, its damage detection, power loss inside a write, and its bound."""

from __future__ import annotations

from pathlib import Path

from adapters import journal as jr
from adapters.journal import FileJournal, JournalEntry, JournalMissing, JournalRead, JournalUnreadable, MemoryJournal
from adapters.recovery import ShellNotice, journal_on_start, plan_recovery

DAY_S = 24 * 60 * 60


def entries(count: int, session: int = 1, start_s: int = 0, pulses: int = 2) -> list[JournalEntry]:
    return [JournalEntry(start_s + 60 * k, session, k + 1, pulses) for k in range(count)]


def filled(directory: Path, items: list[JournalEntry], since_s: int | None = None) -> FileJournal:
    journal = FileJournal(directory, fsync=False)
    journal.start(since_s)
    for entry in items:
        journal.append(entry)
    return journal


def test_round_trip_and_format(tmp_path: Path) -> None:
    journal = filled(tmp_path, entries(3))
    read = journal.read()
    assert read == JournalRead(None, tuple(entries(3)))
    lines = journal.path.read_text().splitlines()
    assert lines[0].startswith("PUMPKERNEL-DOSES 1 new ") and lines[1].startswith("0 1 1 2 ")
    assert isinstance(FileJournal(tmp_path / "none").read(), JournalMissing)


def test_every_single_bit_flip_means_the_worst_case(tmp_path: Path) -> None:
    """A damaged journal never rebuilds a wrong history: every single-bit flip is caught (CRC-32)."""
    data = filled(tmp_path, entries(5)).path.read_bytes()
    for index in range(len(data)):
        for bit in range(8):
            damaged = bytearray(data)
            damaged[index] ^= 1 << bit
            plan = plan_recovery(jr.parse(bytes(damaged)), 600)
            assert plan.notice is ShellNotice.HISTORY_ASSUMED, (index, bit)


def test_a_lost_middle_line_is_a_gap_and_the_worst_case(tmp_path: Path) -> None:
    lines = filled(tmp_path, entries(5)).path.read_bytes().split(b"\n")
    without = b"\n".join(lines[:3] + lines[4:])
    read = jr.parse(without)
    assert isinstance(read, JournalRead) and len(read.entries) == 4
    plan = plan_recovery(read, 600)
    assert plan.notice is ShellNotice.HISTORY_ASSUMED and "misses commands" in plan.reason


def test_power_loss_at_every_byte_of_an_append(tmp_path: Path) -> None:
    """PER-2: an append cut after any number of bytes: whole before, torn (parsed or not), or whole after."""
    journal = filled(tmp_path, entries(4))
    before = journal.path.read_bytes()
    journal.append(JournalEntry(4 * 60, 1, 5, 7))
    after = journal.path.read_bytes()
    now_s = 10 * 60
    seen = {"whole": 0, "torn parsed": 0, "torn unparsed": 0}
    for cut in range(len(before), len(after) + 1):
        data = after[:cut]
        read = jr.parse(data)
        assert isinstance(read, JournalRead), cut
        plan = plan_recovery(read, now_s)
        if cut in (len(before), len(after)):
            seen["whole"] += 1
            assert read.torn is None and not read.torn_unparsed
            assert plan.notice is ShellNotice.HISTORY_REBUILT
            assert sum(p for _, p in plan.deliveries or ()) == 8 + (7 if cut == len(after) else 0)
        elif read.torn is not None:  # only the newline is missing: counted as delivered
            seen["torn parsed"] += 1
            assert cut == len(after) - 1 and read.torn == JournalEntry(240, 1, 5, 7)
            assert plan.notice is ShellNotice.HISTORY_REBUILT and sum(p for _, p in plan.deliveries or ()) == 15
        else:  # the entry cannot be read: assume the worst
            seen["torn unparsed"] += 1
            assert read.torn_unparsed and plan.notice is ShellNotice.HISTORY_ASSUMED
        # with a good record the journal is repaired and goes on: whole, and either before or after
        memory = MemoryJournal(data)
        assert journal_on_start(memory, now_s, new_pump=False) is None
        assert memory.data in (before, after)
        memory.append(JournalEntry(5 * 60, 1, 6, 1))
        assert isinstance(memory.read(), JournalRead) and not memory.read().torn_unparsed  # type: ignore[union-attr]
    assert seen == {"whole": 2, "torn parsed": 1, "torn unparsed": len(after) - len(before) - 2}


def test_power_loss_inside_start_leaves_the_old_journal_or_the_new(tmp_path: Path) -> None:
    journal = filled(tmp_path, entries(3))
    old = journal.path.read_bytes()
    points: list[str] = []

    def probe(point: str) -> None:
        points.append(point)
        assert journal.path.read_bytes() in (old, jr.header_line(DAY_S).encode("ascii"))

    FileJournal(tmp_path, fsync=False, probe=probe).start(DAY_S)
    assert points == ["dose.journal: written, not yet renamed", "dose.journal: renamed"]


def test_damaged_header_or_line_is_unreadable() -> None:
    good = (jr.header_line(None) + jr.entry_line(JournalEntry(0, 1, 1, 1))).encode("ascii")
    assert isinstance(jr.parse(good), JournalRead)
    assert isinstance(jr.parse(good.replace(b"DOSES 1", b"DOSES 2")), JournalUnreadable)
    assert isinstance(jr.parse(b""), JournalUnreadable)
    assert isinstance(jr.parse(b"\xff\n"), JournalUnreadable)
    assert isinstance(jr.parse(good + b"garbage\n"), JournalUnreadable)


def test_the_journal_stays_bounded_to_a_day(tmp_path: Path) -> None:
    """Three days of one command a minute: never more than MAX_ENTRIES + 1 lines; the last 24 h all kept."""
    journal = filled(tmp_path, [])
    longest = 0
    for k in range(3 * 1440):
        journal.append(JournalEntry(60 * k, 1, k + 1, 1))
        longest = max(longest, journal.path.read_bytes().count(b"\n"))
    assert longest <= jr.MAX_ENTRIES + 2
    read = journal.read()
    assert isinstance(read, JournalRead)
    now_s = 60 * (3 * 1440 - 1)
    plan = plan_recovery(read, now_s)
    assert plan.notice is ShellNotice.HISTORY_REBUILT and len(plan.deliveries or ()) == 1440


def test_decision_table() -> None:
    """Each row of adapters.recovery's decision table."""
    now_s = 2 * DAY_S
    whole = JournalRead(None, tuple(entries(3, start_s=now_s - 600)))
    assert plan_recovery(whole, now_s).notice is ShellNotice.HISTORY_REBUILT
    assert plan_recovery(None, now_s).notice is ShellNotice.HISTORY_ASSUMED
    assert plan_recovery(JournalMissing(), now_s).notice is ShellNotice.HISTORY_ASSUMED
    assert plan_recovery(JournalUnreadable("x"), now_s).notice is ShellNotice.HISTORY_ASSUMED
    torn = JournalRead(None, whole.entries, torn_unparsed=True)
    assert plan_recovery(torn, now_s).notice is ShellNotice.HISTORY_ASSUMED
    recent = JournalRead(now_s - DAY_S + 1, whole.entries)
    assert plan_recovery(recent, now_s).notice is ShellNotice.HISTORY_ASSUMED
    old_enough = JournalRead(now_s - DAY_S, whole.entries)
    assert plan_recovery(old_enough, now_s).notice is ShellNotice.HISTORY_REBUILT
    # entries: older than 24 h dropped, future ones counted now, a duplicate (session, seq) once, the larger
    mixed = JournalRead(
        None,
        (
            JournalEntry(now_s - DAY_S, 1, 1, 5),
            JournalEntry(now_s - 61, 1, 2, 3),
            JournalEntry(now_s - 61, 1, 2, 4),
            JournalEntry(now_s + 600, 1, 3, 2),
            JournalEntry(now_s, 2, 9, 0),
        ),
    )
    plan = plan_recovery(mixed, now_s)
    assert plan.deliveries == ((1, 4), (0, 2))
