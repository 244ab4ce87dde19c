"""The dose journal: every motor command, appended before the motor moves, in a file apart from the record (PER-4).

Theory of operation
-------------------
The shell's record (``adapters.persistence``) holds the kernel state,
including the rolling windows and insulin on board.  If that record becomes
unreadable (PER-3), the windows are lost with it.  The dose journal keeps the
part of the past that a replacement state needs (``kernel.recovery``): the
therapy pulses commanded in the last 24 hours and when.  It lives in its own
file, so a damaged record does not damage it.

Format (``dose.journal``, ASCII lines, each ending in ``\\n``)::

    PUMPKERNEL-DOSES 1 <since> <crc>
    <at_s> <session> <seq> <therapy_pulses> <crc>
    ...

``<crc>`` is the CRC-32 (``zlib.crc32``, 8 lower-case hex digits) of the
line's text before the space that precedes it; it detects every single-bit
flip and every burst of up to 32 bits in a line (damage, not tampering).
``since`` is ``new`` when the journal was started with the pump itself (it
knows every command ever given) or the real-time-clock second from which it
is complete (started after a loss).  One entry per ``Deliver`` command,
priming included (``therapy_pulses`` 0), so that the sequence numbers of one
motor session run without a gap: a missing line in the middle is detected.
``at_s`` is the real-time-clock second of the step (``epoch_s + 60 *
now_ticks``).

Writes.  ``append`` adds one line, flushes and ``fsync``s it: durable when
it returns.  The shell appends *before* it saves the record and before it
commands the motor (write-ahead, like the record), so a power loss can leave

* an entry whose step the record never saved: the step runs again after the
  restart and appends the same ``(session, seq)`` again (a duplicate: the
  reader keeps the larger pulse count);
* a *torn* last line (the write was cut short).  The reader reports it:
  ``torn`` is the entry if the line still parses with a right checksum
  (only its newline is missing), else ``torn_unparsed`` is true.  What that
  means for recovery is ``adapters.recovery``'s decision.

``start`` writes a new journal holding only its header, atomically
(``write_atomically``).  The journal is bounded: once it holds more than
``MAX_ENTRIES`` entries, the next append first rewrites it (atomically) with
only the entries of the last ``KEEP_S`` seconds.  ``repair`` makes a torn
tail whole again (a parsed torn entry gets its newline, an unparsed one is
cut off) so that appends can go on; ``quarantine`` moves an unreadable
journal aside.

Units: ``_s`` seconds, ``_pulses``.  Requirements served: PER-4 (the
history), PER-2 (durable before the motor moves), PER-3 (damage detected).
No dosing decision lives here.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from adapters.persistence import Probe, no_probe, write_atomically
from kernel.commands import Command, Deliver

MAGIC = "PUMPKERNEL-DOSES"
VERSION = 1
KEEP_S = 24 * 60 * 60
"""The history a replacement state needs: 24 hours (PER-4, LIM-2)."""
MAX_ENTRIES = 4096
"""Entries before the journal is cut back to the last ``KEEP_S`` (at most one command a minute is usual)."""


@dataclass(frozen=True)
class JournalEntry:
    """One motor command: when (real-time-clock second), which (session, seq), and its therapy pulses."""

    at_s: int
    session: int
    seq: int
    therapy_pulses: int


@dataclass(frozen=True)
class JournalRead:
    """A journal whose header and every whole line read back with right checksums."""

    since_s: int | None
    """``None``: complete since the pump was new; else complete from this second."""
    entries: tuple[JournalEntry, ...]
    torn: JournalEntry | None = None
    """The last line, cut short before its newline, that still parses."""
    torn_unparsed: bool = False
    """The last line was cut short and does not parse."""


@dataclass(frozen=True)
class JournalMissing:
    """No journal file."""


@dataclass(frozen=True)
class JournalUnreadable:
    """A journal that cannot be trusted, and why."""

    reason: str


JournalState = JournalRead | JournalMissing | JournalUnreadable


def _sealed(text: str) -> str:
    return f"{text} {zlib.crc32(text.encode('ascii')):08x}\n"


def _unseal(line: str) -> list[str] | None:
    """The fields of one line (without its newline) if its checksum is right, else ``None``."""
    text, _, crc = line.rpartition(" ")
    if not text or len(crc) != 8 or f"{zlib.crc32(text.encode('ascii')):08x}" != crc:
        return None
    return text.split(" ")


def header_line(since_s: int | None) -> str:
    """The journal's first line."""
    return _sealed(f"{MAGIC} {VERSION} {'new' if since_s is None else since_s}")


def entry_line(entry: JournalEntry) -> str:
    """One entry's line."""
    return _sealed(f"{entry.at_s} {entry.session} {entry.seq} {entry.therapy_pulses}")


def _entry(fields: list[str]) -> JournalEntry | None:
    if len(fields) != 4 or not all(f.isdigit() for f in fields):
        return None
    at_s, session, seq, pulses = (int(f) for f in fields)
    return JournalEntry(at_s, session, seq, pulses)


def parse(data: bytes) -> JournalRead | JournalUnreadable:
    """Read a journal's bytes (see module docstring).  Never raises."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return JournalUnreadable("the dose journal holds bytes that are not ASCII")
    lines = text.split("\n")
    tail = lines.pop()  # "" when the file ends with a newline
    if not lines:
        return JournalUnreadable("the dose journal has no whole header")
    head = _unseal(lines[0])
    if head is None or len(head) != 3 or head[0] != MAGIC or head[1] != str(VERSION):
        return JournalUnreadable("the dose journal's header is damaged or of another version")
    if head[2] != "new" and not head[2].isdigit():
        return JournalUnreadable("the dose journal's header is malformed")
    since_s = None if head[2] == "new" else int(head[2])
    entries = []
    for number, line in enumerate(lines[1:], start=2):
        fields = _unseal(line)
        entry = None if fields is None else _entry(fields)
        if entry is None:
            return JournalUnreadable(f"dose journal line {number} is damaged")
        entries.append(entry)
    if not tail:
        return JournalRead(since_s, tuple(entries))
    fields = _unseal(tail)
    torn = None if fields is None else _entry(fields)
    return JournalRead(since_s, tuple(entries), torn=torn, torn_unparsed=torn is None)


class DoseJournal(Protocol):
    """Where the shell keeps the dose journal (see module docstring)."""

    def read(self) -> JournalState: ...

    def start(self, since_s: int | None) -> None: ...

    def append(self, entry: JournalEntry) -> None: ...

    def repair(self) -> None: ...

    def quarantine(self) -> None: ...


def journal_commands(journal: DoseJournal, commands: Sequence[Command], at_s: int, session: int) -> int:
    """Append every ``Deliver`` of one step (therapy pulses: basal + bolus); how many were appended."""
    appended = 0
    for command in commands:
        if isinstance(command, Deliver):
            journal.append(JournalEntry(at_s, session, command.seq, command.basal_pulses + command.bolus_pulses))
            appended += 1
    return appended


def _compacted(data: bytes, now_s: int) -> bytes | None:
    """The journal cut back to the entries of the last ``KEEP_S`` seconds (``None`` if unreadable)."""
    read = parse(data)
    if not isinstance(read, JournalRead) or read.torn_unparsed:
        return None
    kept = [e for e in read.entries + ((read.torn,) if read.torn else ()) if e.at_s > now_s - KEEP_S]
    return (header_line(read.since_s) + "".join(entry_line(e) for e in kept)).encode("ascii")


@dataclass
class MemoryJournal:
    """A journal in memory (tests and simulation); ``data`` may be damaged on purpose."""

    data: bytes | None = None
    appends: int = 0
    quarantined: list[bytes] = field(default_factory=list)

    def read(self) -> JournalState:
        return JournalMissing() if self.data is None else parse(self.data)

    def start(self, since_s: int | None) -> None:
        self.data = header_line(since_s).encode("ascii")

    def append(self, entry: JournalEntry) -> None:
        if self.data is not None and self.data.count(b"\n") > MAX_ENTRIES:
            self.data = _compacted(self.data, entry.at_s) or self.data
        self.data = (self.data or b"") + entry_line(entry).encode("ascii")
        self.appends += 1

    def repair(self) -> None:
        if self.data is not None:
            self.data = _repaired(self.data)

    def quarantine(self) -> None:
        if self.data is not None:
            self.quarantined.append(self.data)
        self.data = None


def _repaired(data: bytes) -> bytes:
    """``data`` with a torn tail made whole (parsed: newline added) or cut off (unparsed)."""
    if not data or data.endswith(b"\n"):
        return data
    head = data.rpartition(b"\n")[0]
    read = parse(data)
    if isinstance(read, JournalRead) and read.torn is not None:
        return data + b"\n"
    return head + b"\n" if head else b""


class FileJournal:
    """The journal in ``directory/dose.journal``, appended with ``fsync`` (see module docstring)."""

    NAME = "dose.journal"

    def __init__(self, directory: Path, *, fsync: bool = True, probe: Probe = no_probe) -> None:
        self.directory = directory
        self.fsync = fsync
        self.probe = probe
        self.appends = 0
        self._lines: int | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def path(self) -> Path:
        return self.directory / self.NAME

    def _bytes(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None

    def read(self) -> JournalState:
        try:
            data = self._bytes()
        except OSError as problem:
            return JournalUnreadable(f"the dose journal cannot be read: {problem.strerror}")
        return JournalMissing() if data is None else parse(data)

    def start(self, since_s: int | None) -> None:
        data = header_line(since_s).encode("ascii")
        write_atomically(self.directory, self.NAME, data, fsync=self.fsync, probe=self.probe)
        self._lines = 1

    def append(self, entry: JournalEntry) -> None:
        """Add ``entry``; durable when this returns (cuts the journal back first when it is full)."""
        if self._lines is None:
            data = self._bytes() or b""
            self._lines = data.count(b"\n")
        if self._lines > MAX_ENTRIES:
            compacted = _compacted(self._bytes() or b"", entry.at_s)
            if compacted is not None:
                write_atomically(self.directory, self.NAME, compacted, fsync=self.fsync, probe=self.probe)
                self._lines = compacted.count(b"\n")
        with open(self.path, "ab") as handle:
            handle.write(entry_line(entry).encode("ascii"))
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())
        self._lines += 1
        self.appends += 1
        self.probe("journal: appended")

    def repair(self) -> None:
        data = self._bytes()
        if data is not None and not data.endswith(b"\n"):
            write_atomically(self.directory, self.NAME, _repaired(data), fsync=self.fsync)
            self._lines = None

    def quarantine(self) -> None:
        if self.path.exists():
            index = 1
            while (self.directory / f"{self.NAME}.unreadable-{index}").exists():
                index += 1
            os.replace(self.path, self.directory / f"{self.NAME}.unreadable-{index}")
        self._lines = None
