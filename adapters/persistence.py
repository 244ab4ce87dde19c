"""Persistence: the pump's record saved atomically after every step, recovered on start (PER-2, PER-3).

Theory of operation
-------------------
What is saved.  One *shell record*: the kernel's own record
(``kernel.record.encode``: configuration and state, versioned and
checksummed, PER-1) wrapped in an envelope that adds what the shell must
remember with it, atomically:

* ``inputs_consumed``: the number of the last external input (a button press,
  a remote command, a scripted event) the kernel has taken.  An input source
  numbers its inputs; after a restart it offers them again and the shell
  skips those already taken, so an input is applied exactly once even if the
  pump died between taking it and saving;
* ``motor_session``: the session the motor's sequence numbers belong to
  (``adapters.motor``);
* ``epoch_s``: the real-time-clock second of tick 0, so time stays right
  across restarts (``adapters.clock``).

The envelope is ``PUMPKERNEL-SHELL <version> <sha256>``, a newline, one line
of canonical JSON metadata, then the kernel record.  The checksum covers
everything after the header line.

When.  The shell saves after every step that changed the state (or the
metadata), *before* it acts on the step's commands: the intent to deliver is
durable before the motor moves (write-ahead, DLV-1, PER-2).

How.  ``FileStore.save`` writes a temporary file in the same directory,
flushes and ``fsync``s it, renames it over the record with ``os.replace``
(atomic on POSIX), and ``fsync``s the directory so the rename itself is
durable.  At every moment the record on disk is either the old one or the new
one, whole.  A ``provisioned`` marker is written once the first record is in
place: a missing record in a provisioned store is a lost record, not a new
pump (and a pump that died before its first record was in place is new).

Recovery.  ``FileStore.load`` returns ``Missing`` (a new pump), ``Loaded``,
or ``Corrupt`` with the reason (bad header or checksum, a kernel record that
``kernel.record.decode`` refuses, a missing record in a provisioned store).
What the shell does with each is in ``adapters.shell`` (PER-3: a corrupt record
never becomes a default state that delivers).

Units: ``_s`` seconds.  Requirements served: PER-1 (through the kernel record),
PER-2, PER-3 (detection), DLV-1 (write-ahead).  No dosing decision lives here.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kernel.config import PumpConfig
from kernel.record import Corrupt as KernelCorrupt
from kernel.record import decode as decode_kernel
from kernel.record import encode as encode_kernel
from kernel.state import PumpState

FORMAT = b"PUMPKERNEL-SHELL"
VERSION = 1

Probe = Callable[[str], None]
"""Called at every write point with its name (the crash test kills the process there)."""


def no_probe(point: str) -> None:
    """The probe of a shell that is not under test."""


@dataclass(frozen=True)
class ShellMeta:
    """What the shell saves beside the kernel state (see module docstring)."""

    inputs_consumed: int
    motor_session: int
    epoch_s: int


@dataclass(frozen=True)
class Loaded:
    """A record that read back whole."""

    config: PumpConfig
    state: PumpState
    meta: ShellMeta


@dataclass(frozen=True)
class Missing:
    """No record and never provisioned: a new pump."""


@dataclass(frozen=True)
class Corrupt:
    """A record that cannot be trusted, and why (PER-3)."""

    reason: str


def seal_record(record_format: bytes, version: int, body: bytes) -> bytes:
    """``body`` behind the header line ``<format> <version> <sha256 of body>`` (the shell and channel records)."""
    digest = hashlib.sha256(body).hexdigest().encode("ascii")
    return record_format + b" " + str(version).encode("ascii") + b" " + digest + b"\n" + body


def unseal_record(record: bytes, record_format: bytes, version: int, what: str) -> bytes | Corrupt:
    """The body of a ``seal_record`` record; ``Corrupt`` naming ``what`` if its header or checksum is wrong."""
    header, newline, body = record.partition(b"\n")
    parts = header.split(b" ")
    if not newline or len(parts) != 3 or parts[0] != record_format:
        return Corrupt(f"not a pumpkernel {what}")
    if parts[1] != str(version).encode("ascii"):
        return Corrupt(f"unknown {what} version {parts[1]!r}")
    if hashlib.sha256(body).hexdigest().encode("ascii") != parts[2]:
        return Corrupt(f"{what} checksum mismatch")
    return body


def encode(config: PumpConfig, state: PumpState, meta: ShellMeta) -> bytes:
    """The shell record of ``config``, ``state`` and ``meta``."""
    meta_line = json.dumps(
        {"epoch_s": meta.epoch_s, "inputs_consumed": meta.inputs_consumed, "motor_session": meta.motor_session},
        sort_keys=True,
        separators=(",", ":"),
    ).encode("ascii")
    return seal_record(FORMAT, VERSION, meta_line + b"\n" + encode_kernel(config, state))


def decode(record: bytes) -> Loaded | Corrupt:
    """Read a shell record back; ``Corrupt`` with the reason if it cannot be trusted.  Never raises."""
    body = unseal_record(record, FORMAT, VERSION, "shell record")
    if isinstance(body, Corrupt):
        return body
    meta_line, _, kernel_record = body.partition(b"\n")
    try:
        data = json.loads(meta_line.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return Corrupt("unreadable shell metadata")
    names = ["epoch_s", "inputs_consumed", "motor_session"]
    if type(data) is not dict or sorted(data) != names or any(type(data[n]) is not int for n in names):
        return Corrupt("malformed shell metadata")
    decoded = decode_kernel(kernel_record)
    if isinstance(decoded, KernelCorrupt):
        return Corrupt(f"kernel record: {decoded.reason}")
    meta = ShellMeta(data["inputs_consumed"], data["motor_session"], data["epoch_s"])
    return Loaded(decoded.config, decoded.state, meta)


def write_atomically(
    directory: Path, name: str, data: bytes, *, fsync: bool = True, probe: Probe = no_probe, mode: int = 0o600
) -> None:
    """Replace ``directory/name`` with ``data`` atomically, as ``FileStore.save`` does (PER-2).

    Temporary file in the same directory (created with ``mode``), flushed and
    ``fsync``ed, renamed over the target with ``os.replace``, then the
    directory ``fsync``ed: durable when this returns, and at every moment the
    file is the old content or the new one, whole.  Used for records kept
    beside the pump's own, such as the command channel's keys and sequence
    numbers (``adapters.channel``).
    """
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / (name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        if fsync:
            os.fsync(handle.fileno())
    probe(f"{name}: written, not yet renamed")
    os.replace(temporary, directory / name)
    if fsync:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    probe(f"{name}: renamed")


class Store(Protocol):
    """Where the shell keeps its record."""

    def load(self) -> Loaded | Missing | Corrupt: ...

    def save(self, record: bytes) -> None: ...

    def quarantine(self) -> None:
        """Keep an unreadable record aside (for analysis) so that a new one can be written."""
        ...


@dataclass
class MemoryStore:
    """A store in memory: for simulation and tests that do not need durability."""

    record: bytes | None = None
    provisioned: bool = False
    saves: int = 0

    def load(self) -> Loaded | Missing | Corrupt:
        if self.record is None:
            return Corrupt("the record is missing") if self.provisioned else Missing()
        return decode(self.record)

    def save(self, record: bytes) -> None:
        self.record = record
        self.provisioned = True
        self.saves += 1

    def quarantine(self) -> None:
        self.record = None


class FileStore:
    """A store in one directory, written atomically (see module docstring)."""

    RECORD = "pump.rec"
    TEMPORARY = "pump.rec.tmp"
    MARKER = "provisioned"

    def __init__(self, directory: Path, *, fsync: bool = True, probe: Probe = no_probe) -> None:
        self.directory = directory
        self.fsync = fsync
        self.probe = probe
        self.saves = 0
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def path(self) -> Path:
        return self.directory / self.RECORD

    def load(self) -> Loaded | Missing | Corrupt:
        try:
            record = self.path.read_bytes()
        except FileNotFoundError:
            if (self.directory / self.MARKER).exists():
                return Corrupt("the record is missing from a provisioned store")
            return Missing()
        except OSError as problem:
            return Corrupt(f"the record cannot be read: {problem.strerror}")
        return decode(record)

    def _sync_directory(self) -> None:
        if self.fsync:
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _write(self, path: Path, data: bytes) -> None:
        with open(path, "wb") as handle:
            handle.write(data)
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())

    def save(self, record: bytes) -> None:
        """Replace the record atomically; durable when this returns (PER-2)."""
        temporary = self.directory / self.TEMPORARY
        self._write(temporary, record)
        self.probe("save: written, not yet renamed")
        os.replace(temporary, self.path)
        marker = self.directory / self.MARKER
        if not marker.exists():
            self._write(marker, b"")
        self._sync_directory()
        self.saves += 1
        self.probe("save: renamed")

    def quarantine(self) -> None:
        if self.path.exists():
            index = 1
            while (self.directory / f"{self.RECORD}.unreadable-{index}").exists():
                index += 1
            os.replace(self.path, self.directory / f"{self.RECORD}.unreadable-{index}")
            self._sync_directory()
