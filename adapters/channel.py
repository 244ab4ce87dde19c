"""The authenticated command channel: remote commands that no one else can forge or replay (SEC-1..3).

Theory of operation
-------------------
A paired phone or closed-loop controller (a *device*) commands the pump with
*messages*.  The channel on the pump only authenticates and de-duplicates;
every message it lets through becomes one ordinary kernel event, submitted
through ``PumpShell.submit`` like a button press, so the kernel decides and
every pump-side limit applies whatever the source (SEC-3).  No dosing
decision lives here.

Message (device to pump), one fixed layout, big-endian, no optional parts::

    magic "PK" | version u8 | direction u8 (1 = command) | pump id 8 bytes | device id 8 bytes
    | sequence u64 | command u8 | source u8 | request id u32 | issued tick u32 | expires tick u32
    | payload length u16 | payload (the command's fixed struct) | HMAC-SHA256 32 bytes

The MAC is HMAC-SHA256 under the device's pairing key (``adapters.pairing``)
over every byte before it, so nothing in the message can change without the
key.  Decoding is strict: the length must be exactly header + the command's
payload size + 32; a truncated message, a trailing byte, an unknown version,
direction or command, or a payload length other than the command's is
refused before the MAC is even computed.  The MAC is compared in constant time
(``hmac.compare_digest``).

Checks, in order; the first failure is the refusal's ``Refusal`` reason, which
is logged (``ChannelLog``, and the ``pumpkernel.channel`` logger):

1. form (``decode``): ``TRUNCATED``, ``TRAILING_BYTES``, ``BAD_MAGIC``,
   ``UNSUPPORTED_VERSION``, ``WRONG_DIRECTION``, ``UNKNOWN_COMMAND``,
   ``PAYLOAD_LENGTH``;
2. address: ``NOT_FOR_THIS_PUMP``, ``UNKNOWN_DEVICE`` (not paired);
3. ``BAD_MAC``: forged, altered, or sealed with another key;
4. sequence: the device's sequence number must be *strictly above* the last
   one the pump took from that device.  ``REPLAYED`` when it is one of the
   last ``recent_seqs`` taken, else ``OUT_OF_ORDER`` (an older message
   arriving after a newer one: refused, never re-ordered or queued);
5. time, in pump ticks (the device learns the pump's tick from its replies):
   ``LIFETIME_INVALID`` (expiry before issue, or a lifetime above
   ``max_lifetime_ticks``), ``FUTURE_DATED`` (issued more than
   ``future_tolerance_ticks`` ahead), ``EXPIRED`` (now after expiry);
6. ``SOURCE_NOT_ALLOWED``: the source must be one the pump's user allowed for
   this device at pairing (``REMOTE`` for a phone, ``CONTROLLER`` for a closed
   loop); ``USER`` (the pump's own buttons) is never possible over the radio;
7. ``PUMP_UNAVAILABLE`` when the shell is locked (PER-3); ``CHANNEL_UNAVAILABLE``
   when the channel's own record was unreadable at start (fail closed: no
   device is paired until the user pairs again).

Then, write-ahead: the new last sequence number is saved (``ChannelStore``)
*before* the event reaches the kernel.  A crash after the save loses the
command (the device gets no reply and sends a new message, with the same
request ID, which the kernel answers idempotently, BOL-5); it can never
re-open a sequence number.  If the save fails, nothing is acted on
(``NOT_SAVED``).  Finally the event is submitted; the kernel's verdict
(accepted, replayed request ID, or its own refusal such as
``REMOTE_BOLUS_DISABLED`` (SEC-2), ``ABOVE_MAX_BOLUS``, ``MAX_IOB``) goes back to
the device in an authenticated *reply* (direction 2, same key), so a spoofed
"refused" cannot trick the user into a second bolus.

The keys and each device's last sequence number live in one checksummed
record (``ChannelRecord``), written atomically beside the pump's own record
(``adapters.persistence.write_atomically``).  Key and sequence number are
lost together or not at all, and losing them un-pairs every device: a replay
after a restart is refused because the sequence number came back with the
key, and after a lost record there is no key to verify anything with.

Threat model, residual risks and the SEC-1..3 argument: ``docs/channel.md``.
Units: ``_ticks`` (pump minutes).  Requirements served: SEC-1, SEC-2 (logging
the kernel's refusal; the switch and the announcement are the kernel's), SEC-3
(by construction: one kernel event per message), PER-2 (write-ahead sequence).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import logging
import struct
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from adapters.persistence import Corrupt, Missing, Probe, no_probe, seal_record, unseal_record, write_atomically
from adapters.shell import PumpShell
from kernel import events as ev
from kernel.events import Source
from kernel.reasons import Reason
from kernel.state import evolve
from kernel.step import StepResult

LOGGER = logging.getLogger("pumpkernel.channel")
"""Every received message is also logged here (refusals as warnings); silent unless the integrator configures it."""
LOGGER.addHandler(logging.NullHandler())

MAGIC = b"PK"
VERSION = 1
ID_BYTES = 8
"""Pump and device identifiers are 8 bytes (a serial number, padded)."""
KEY_BYTES = 32
MAC_BYTES = 32


class Direction(enum.IntEnum):
    """Which way a message goes; part of the MAC, so a reply can never be reflected as a command."""

    COMMAND = 1
    REPLY = 2


class Command(enum.IntEnum):
    """What a device may ask; each maps to exactly one kernel event (SEC-3).

    Resume and settings changes are deliberately not remote commands: they
    need the pump's own buttons (docs/channel.md).
    """

    BOLUS = 1
    """payload: immediate pulses u32, extended pulses u32, extended ticks u32 -> ``BolusRequest``."""
    CANCEL_BOLUS = 2
    """payload: ``CancelTarget`` u8 -> ``CancelBolus``."""
    TEMP_BASAL = 3
    """payload: ``TempKind`` u8, value u32, duration ticks u32 -> ``TempBasal``."""
    CANCEL_TEMP_BASAL = 4
    """no payload -> ``CancelTempBasal``."""
    SUSPEND = 5
    """no payload -> ``Suspend``."""


PAYLOAD_FORMATS: dict[Command, str] = {
    Command.BOLUS: ">III",
    Command.CANCEL_BOLUS: ">B",
    Command.TEMP_BASAL: ">BII",
    Command.CANCEL_TEMP_BASAL: ">",
    Command.SUSPEND: ">",
}

HEADER = struct.Struct(">2sBB8s8sQBBIIIH")
"""magic, version, direction, pump id, device id, sequence, command, source, request id,
issued tick, expires tick, payload length."""
REPLY = struct.Struct(">2sBB8s8sQIBBBI")
"""magic, version, direction, pump id, device id, sequence, request id, refusal, kernel reason,
replayed, pump tick (then the MAC)."""

U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1


class Refusal(enum.IntEnum):
    """Why the channel refused a message (0 is reserved for "passed the channel")."""

    TRUNCATED = 1
    TRAILING_BYTES = 2
    BAD_MAGIC = 3
    UNSUPPORTED_VERSION = 4
    WRONG_DIRECTION = 5
    UNKNOWN_COMMAND = 6
    PAYLOAD_LENGTH = 7
    NOT_FOR_THIS_PUMP = 8
    UNKNOWN_DEVICE = 9
    BAD_MAC = 10
    REPLAYED = 11
    """The sequence number of a message already taken (a replay)."""
    OUT_OF_ORDER = 12
    """A sequence number not above the last one taken, and not a recent one (re-ordered or very old)."""
    LIFETIME_INVALID = 13
    FUTURE_DATED = 14
    EXPIRED = 15
    SOURCE_NOT_ALLOWED = 16
    PUMP_UNAVAILABLE = 17
    CHANNEL_UNAVAILABLE = 18
    NOT_SAVED = 19


@dataclass(frozen=True)
class ChannelLimits:
    """The channel's time and memory bounds (pump ticks are minutes)."""

    max_lifetime_ticks: int = 5
    """A message is valid for at most this long after issue: bounds how late a delayed message can act."""
    future_tolerance_ticks: int = 1
    """A message may be issued at most this far ahead of the pump's clock (device clock skew)."""
    recent_seqs: int = 16
    """How many taken sequence numbers per device are kept to tell a replay from a re-ordered message."""


DEFAULT_LIMITS = ChannelLimits()


@dataclass(frozen=True)
class Message:
    """A command message, decoded (the MAC is not part of it)."""

    pump_id: bytes
    device_id: bytes
    seq: int
    command: Command
    source: int
    request_id: int
    issued_tick: int
    expires_tick: int
    payload: tuple[int, ...]


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()


def encode_body(message: Message) -> bytes:
    """The bytes the MAC covers: header and payload.  Raises ``struct.error`` on a value out of its field."""
    payload = struct.pack(PAYLOAD_FORMATS[message.command], *message.payload)
    header = HEADER.pack(
        MAGIC,
        VERSION,
        Direction.COMMAND,
        message.pump_id,
        message.device_id,
        message.seq,
        message.command,
        message.source,
        message.request_id,
        message.issued_tick,
        message.expires_tick,
        len(payload),
    )
    return header + payload


def seal(message: Message, key: bytes) -> bytes:
    """The message on the wire: body and its HMAC-SHA256 under ``key`` (device side)."""
    body = encode_body(message)
    return body + _mac(key, body)


def decode(data: bytes) -> tuple[Message, bytes, bytes] | Refusal:
    """Strictly decode a command message: (message, body, mac), or the form refusal.  Never raises."""
    if len(data) < HEADER.size + MAC_BYTES:
        return Refusal.TRUNCATED
    magic, version, direction, pump_id, device_id, seq, command, source, rid, issued, expires, length = (
        HEADER.unpack_from(data)
    )
    if magic != MAGIC:
        return Refusal.BAD_MAGIC
    if version != VERSION:
        return Refusal.UNSUPPORTED_VERSION
    if direction != Direction.COMMAND:
        return Refusal.WRONG_DIRECTION
    if command not in Command._value2member_map_:
        return Refusal.UNKNOWN_COMMAND
    kind = Command(command)
    payload_format = PAYLOAD_FORMATS[kind]
    if length != struct.calcsize(payload_format):
        return Refusal.PAYLOAD_LENGTH
    expected = HEADER.size + length + MAC_BYTES
    if len(data) < expected:
        return Refusal.TRUNCATED
    if len(data) > expected:
        return Refusal.TRAILING_BYTES
    body = data[: HEADER.size + length]
    payload = struct.unpack(payload_format, body[HEADER.size :])
    message = Message(pump_id, device_id, seq, kind, source, rid, issued, expires, payload)
    return message, body, data[HEADER.size + length :]


# ---------------------------------------------------------------- the record


@dataclass(frozen=True)
class Peer:
    """One paired device: its key, what it may speak as, and the last sequence number taken from it."""

    device_id: bytes
    key: bytes
    sources: tuple[int, ...]
    """Allowed ``Source`` values, chosen by the user on the pump at pairing (never ``USER``)."""
    last_seq: int = 0
    recent_seqs: tuple[int, ...] = ()
    paired_tick: int = 0


@dataclass(frozen=True)
class ChannelRecord:
    """What the channel keeps across restarts: the pump's id and every paired device."""

    pump_id: bytes
    peers: tuple[Peer, ...] = ()

    def peer(self, device_id: bytes) -> Peer | None:
        for peer in self.peers:
            if peer.device_id == device_id:
                return peer
        return None

    def with_peer(self, peer: Peer) -> ChannelRecord:
        others = tuple(p for p in self.peers if p.device_id != peer.device_id)
        return evolve(self, peers=(*others, peer))

    def without(self, device_id: bytes) -> ChannelRecord:
        return evolve(self, peers=tuple(p for p in self.peers if p.device_id != device_id))


RECORD_FORMAT = b"PUMPKERNEL-CHANNEL"
RECORD_VERSION = 1


def encode_record(record: ChannelRecord) -> bytes:
    """Header ``PUMPKERNEL-CHANNEL 1 <sha256>``, a newline, canonical JSON."""
    data = {
        "pump_id": record.pump_id.hex(),
        "peers": [
            {
                "device_id": p.device_id.hex(),
                "key": p.key.hex(),
                "sources": list(p.sources),
                "last_seq": p.last_seq,
                "recent_seqs": list(p.recent_seqs),
                "paired_tick": p.paired_tick,
            }
            for p in record.peers
        ],
    }
    return seal_record(
        RECORD_FORMAT, RECORD_VERSION, json.dumps(data, sort_keys=True, separators=(",", ":")).encode("ascii")
    )


def _hex_bytes(value: object, size: int) -> bytes | None:
    if type(value) is not str or len(value) != 2 * size:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def _int_in(value: object, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def _decode_peer(item: object) -> Peer | None:
    names = ["device_id", "key", "last_seq", "paired_tick", "recent_seqs", "sources"]
    if type(item) is not dict or sorted(item) != names:
        return None
    device_id = _hex_bytes(item["device_id"], ID_BYTES)
    key = _hex_bytes(item["key"], KEY_BYTES)
    sources, recent = item["sources"], item["recent_seqs"]
    if device_id is None or key is None or type(sources) is not list or type(recent) is not list:
        return None
    allowed = (int(Source.REMOTE), int(Source.CONTROLLER))
    if any(type(s) is not int or s not in allowed for s in sources) or len(set(sources)) != len(sources):
        return None
    if not _int_in(item["last_seq"], 0, U64_MAX) or not _int_in(item["paired_tick"], 0, U32_MAX):
        return None
    if any(not _int_in(s, 1, item["last_seq"]) for s in recent):
        return None
    return Peer(device_id, key, tuple(sources), item["last_seq"], tuple(recent), item["paired_tick"])


def decode_record(data: bytes) -> ChannelRecord | Corrupt:
    """Read a channel record back; ``Corrupt`` with the reason if it cannot be trusted.  Never raises."""
    body = unseal_record(data, RECORD_FORMAT, RECORD_VERSION, "channel record")
    if isinstance(body, Corrupt):
        return body
    try:
        obj = json.loads(body.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return Corrupt("unreadable channel record")
    if type(obj) is not dict or sorted(obj) != ["peers", "pump_id"] or type(obj["peers"]) is not list:
        return Corrupt("malformed channel record")
    pump_id = _hex_bytes(obj["pump_id"], ID_BYTES)
    peers = [_decode_peer(item) for item in obj["peers"]]
    if pump_id is None or any(p is None for p in peers):
        return Corrupt("malformed channel record")
    checked = tuple(p for p in peers if p is not None)
    if len({p.device_id for p in checked}) != len(checked):
        return Corrupt("a device is paired twice")
    return ChannelRecord(pump_id, checked)


class ChannelStore(Protocol):
    """Where the channel keeps its record (keys and sequence numbers)."""

    def load(self) -> ChannelRecord | Missing | Corrupt: ...

    def save(self, record: bytes) -> None:
        """Durable when it returns; raises ``OSError`` if it could not save."""
        ...


@dataclass
class MemoryChannelStore:
    """A channel store in memory (tests, simulation); ``fail`` makes the next saves raise."""

    record: bytes | None = None
    saves: int = 0
    fail: bool = False

    def load(self) -> ChannelRecord | Missing | Corrupt:
        return Missing() if self.record is None else decode_record(self.record)

    def save(self, record: bytes) -> None:
        if self.fail:
            raise OSError("simulated storage failure")
        self.record = record
        self.saves += 1


class FileChannelStore:
    """A channel store in a directory (``channel.rec``, mode 0600), written atomically."""

    RECORD = "channel.rec"

    def __init__(self, directory: Path, *, fsync: bool = True, probe: Probe = no_probe) -> None:
        self.directory = directory
        self.fsync = fsync
        self.probe = probe
        self.saves = 0

    def load(self) -> ChannelRecord | Missing | Corrupt:
        try:
            data = (self.directory / self.RECORD).read_bytes()
        except FileNotFoundError:
            return Missing()
        except OSError as problem:
            return Corrupt(f"the channel record cannot be read: {problem.strerror}")
        return decode_record(data)

    def save(self, record: bytes) -> None:
        write_atomically(self.directory, self.RECORD, record, fsync=self.fsync, probe=self.probe)
        self.saves += 1


# -------------------------------------------------------------- verification


@dataclass(frozen=True)
class Verified:
    """A message that passed every channel check, with its peer."""

    message: Message
    peer: Peer


def verify(
    data: bytes, now_tick: int, record: ChannelRecord, limits: ChannelLimits = DEFAULT_LIMITS
) -> Verified | tuple[Refusal, Message | None, Peer | None]:
    """Checks 1 to 6 of the module docstring, without side effects.  Never raises.

    A refusal comes with the decoded message and the peer when they are known
    (for the log, and for an authenticated reply once the MAC has passed).
    """
    decoded = decode(data)
    if isinstance(decoded, Refusal):
        return decoded, None, None
    message, body, mac = decoded
    if message.pump_id != record.pump_id:
        return Refusal.NOT_FOR_THIS_PUMP, message, None
    peer = record.peer(message.device_id)
    if peer is None:
        return Refusal.UNKNOWN_DEVICE, message, None
    if not hmac.compare_digest(_mac(peer.key, body), mac):
        return Refusal.BAD_MAC, message, None
    if message.seq <= peer.last_seq:
        return (Refusal.REPLAYED if message.seq in peer.recent_seqs else Refusal.OUT_OF_ORDER), message, peer
    lifetime = message.expires_tick - message.issued_tick
    if lifetime < 0 or lifetime > limits.max_lifetime_ticks:
        return Refusal.LIFETIME_INVALID, message, peer
    if message.issued_tick > now_tick + limits.future_tolerance_ticks:
        return Refusal.FUTURE_DATED, message, peer
    if now_tick > message.expires_tick:
        return Refusal.EXPIRED, message, peer
    if message.source not in peer.sources:
        return Refusal.SOURCE_NOT_ALLOWED, message, peer
    return Verified(message, peer)


def kernel_event(message: Message, now_tick: int) -> object:
    """The one kernel event a message stands for, at the pump's current tick (SEC-3).

    Field for field; nothing is checked, rounded or clamped here: the kernel
    refuses what is out of range (INP-1) or over a limit (BOL-1, TMP-1, LIM-1..4).
    """
    p = message.payload
    if message.command is Command.BOLUS:
        return ev.BolusRequest(now_tick, message.request_id, message.source, p[0], p[1], p[2])
    if message.command is Command.CANCEL_BOLUS:
        return ev.CancelBolus(now_tick, p[0])
    if message.command is Command.TEMP_BASAL:
        return ev.TempBasal(now_tick, message.request_id, message.source, p[0], p[1], p[2])
    if message.command is Command.CANCEL_TEMP_BASAL:
        return ev.CancelTempBasal(now_tick, message.source)
    return ev.Suspend(now_tick)


# --------------------------------------------------------------------- reply


@dataclass(frozen=True)
class Reply:
    """The pump's authenticated answer to a message whose MAC passed."""

    pump_id: bytes
    device_id: bytes
    seq: int
    request_id: int
    refusal: Refusal | None
    """The channel's refusal, or ``None`` when the message reached the kernel."""
    reason: Reason
    """The kernel's outcome (``ACCEPTED`` or its refusal reason); ``ACCEPTED`` when the kernel was not asked."""
    replayed: bool
    tick: int
    """The pump's tick: the device dates its next messages with it."""


def seal_reply(reply: Reply, key: bytes) -> bytes:
    body = REPLY.pack(
        MAGIC,
        VERSION,
        Direction.REPLY,
        reply.pump_id,
        reply.device_id,
        reply.seq,
        reply.request_id,
        0 if reply.refusal is None else int(reply.refusal),
        int(reply.reason),
        int(reply.replayed),
        reply.tick,
    )
    return body + _mac(key, body)


def open_reply(data: bytes, key: bytes) -> Reply | None:
    """Verify and decode a reply (device side); ``None`` unless it is whole and genuine."""
    if len(data) != REPLY.size + MAC_BYTES:
        return None
    body, mac = data[: REPLY.size], data[REPLY.size :]
    if not hmac.compare_digest(_mac(key, body), mac):
        return None
    magic, version, direction, pump_id, device_id, seq, rid, refusal, reason, replayed, tick = REPLY.unpack(body)
    if magic != MAGIC or version != VERSION or direction != Direction.REPLY or replayed > 1:
        return None
    if refusal != 0 and refusal not in Refusal._value2member_map_:
        return None
    if reason not in Reason._value2member_map_:
        return None
    return Reply(
        pump_id, device_id, seq, rid, None if refusal == 0 else Refusal(refusal), Reason(reason), bool(replayed), tick
    )


# ------------------------------------------------------------------- the log


@dataclass(frozen=True)
class ChannelLogEntry:
    """One message received: what the channel did, and the kernel's outcome if it was asked."""

    tick: int
    device_id: bytes | None
    seq: int | None
    command: Command | None
    refusal: Refusal | None
    reason: Reason | None
    """The kernel's outcome when the message reached it."""


@dataclass
class ChannelLog:
    """A bounded log of received messages and per-reason counters (SEC-1: refused and logged)."""

    capacity: int = 256
    entries: deque[ChannelLogEntry] = field(default_factory=deque)
    refused: Counter[Refusal] = field(default_factory=Counter)
    passed: int = 0

    def add(self, entry: ChannelLogEntry) -> None:
        self.entries.append(entry)
        while len(self.entries) > self.capacity:
            self.entries.popleft()
        device = entry.device_id.hex() if entry.device_id is not None else "-"
        if entry.refusal is not None:
            self.refused[entry.refusal] += 1
            LOGGER.warning(
                "tick %d: message refused: %s (device %s, seq %s)", entry.tick, entry.refusal.name, device, entry.seq
            )
        else:
            self.passed += 1
            outcome = entry.reason.name if entry.reason is not None else "-"
            command = entry.command.name if entry.command is not None else "-"
            LOGGER.info("tick %d: %s from %s seq %s: kernel %s", entry.tick, command, device, entry.seq, outcome)


# ---------------------------------------------------------------- the channel


@dataclass(frozen=True)
class ChannelResult:
    """What became of one received message."""

    refusal: Refusal | None
    """The channel's refusal, or ``None`` when the message was handed to the kernel."""
    step: StepResult | None = None
    """The kernel's result (``None`` when the channel refused)."""
    reply: bytes | None = None
    """The authenticated reply, when the device is known and the MAC passed."""
    message: Message | None = None

    @property
    def passed(self) -> bool:
        """The channel let it through (the kernel may still have refused it)."""
        return self.refusal is None

    @property
    def accepted(self) -> bool:
        """Through the channel and accepted by the kernel."""
        return self.step is not None and self.step.outcome.accepted


class Channel:
    """The pump side of the channel over one ``PumpShell`` (see module docstring)."""

    def __init__(
        self,
        shell: PumpShell,
        store: ChannelStore,
        record: ChannelRecord,
        *,
        limits: ChannelLimits = DEFAULT_LIMITS,
        unavailable: str | None = None,
        probe: Probe = no_probe,
    ) -> None:
        self.shell = shell
        self.store = store
        self.record = record
        self.limits = limits
        self.unavailable = unavailable
        self.probe = probe
        self.log = ChannelLog()

    @classmethod
    def open(
        cls,
        shell: PumpShell,
        store: ChannelStore,
        pump_id: bytes,
        *,
        limits: ChannelLimits = DEFAULT_LIMITS,
        probe: Probe = no_probe,
    ) -> Channel:
        """Load the record: none -> nothing paired; unreadable or another pump's -> fail closed until re-paired."""
        if len(pump_id) != ID_BYTES:
            raise ValueError(f"a pump id is {ID_BYTES} bytes")
        loaded = store.load()
        if isinstance(loaded, ChannelRecord) and loaded.pump_id == pump_id:
            return cls(shell, store, loaded, limits=limits, probe=probe)
        problem = None
        if isinstance(loaded, Corrupt):
            problem = loaded.reason
        elif isinstance(loaded, ChannelRecord):
            problem = "the channel record belongs to another pump"
        if problem is not None:
            LOGGER.error("channel record unreadable (%s): no device is paired until the user pairs again", problem)
        return cls(shell, store, ChannelRecord(pump_id), limits=limits, unavailable=problem, probe=probe)

    @property
    def pump_id(self) -> bytes:
        return self.record.pump_id

    def _save(self, record: ChannelRecord) -> None:
        self.store.save(encode_record(record))
        self.record = record

    def pair(self, peer: Peer) -> None:
        """Store a new pairing (from ``adapters.pairing``); replaces an earlier one of the same device.

        Saving a readable record also ends the fail-closed state after an
        unreadable one.  Raises ``OSError`` if the record cannot be saved.
        """
        if any(s not in (Source.REMOTE, Source.CONTROLLER) for s in peer.sources):
            raise ValueError("a paired device may speak only as REMOTE or CONTROLLER")
        self._save(self.record.with_peer(peer))
        self.unavailable = None

    def unpair(self, device_id: bytes) -> None:
        """Forget a device (the user's action on the pump)."""
        self._save(self.record.without(device_id))

    def _refuse(
        self, refusal: Refusal, message: Message | None, peer: Peer | None, now: int, reason: Reason | None = None
    ) -> ChannelResult:
        self.log.add(
            ChannelLogEntry(
                now,
                None if message is None else message.device_id,
                None if message is None else message.seq,
                None if message is None else message.command,
                refusal,
                reason,
            )
        )
        reply = None
        if peer is not None and message is not None:
            answer = Reply(
                self.pump_id, peer.device_id, message.seq, message.request_id, refusal, Reason.ACCEPTED, False, now
            )
            reply = seal_reply(answer, peer.key)
        return ChannelResult(refusal, None, reply, message)

    def receive(self, data: bytes) -> ChannelResult:
        """Take one message off the radio (see module docstring).  Never raises on any ``data``."""
        now = self.shell.now
        if self.unavailable is not None:
            return self._refuse(Refusal.CHANNEL_UNAVAILABLE, None, None, now)
        verdict = verify(data, now, self.record, self.limits)
        if not isinstance(verdict, Verified):
            refusal, message, peer = verdict
            return self._refuse(refusal, message, peer, now)
        message, peer = verdict.message, verdict.peer
        if self.shell.locked is not None:
            return self._refuse(Refusal.PUMP_UNAVAILABLE, message, peer, now)
        recent = (*peer.recent_seqs, message.seq)[-self.limits.recent_seqs :]
        taken = evolve(peer, last_seq=message.seq, recent_seqs=recent)
        try:
            self._save(self.record.with_peer(taken))  # write-ahead: the sequence number before the command
        except OSError as problem:
            LOGGER.error("channel record not saved (%s): message not acted on", problem)
            return self._refuse(Refusal.NOT_SAVED, message, peer, now)
        self.probe("channel: sequence saved, command not yet given to the kernel")
        step = self.shell.submit(kernel_event(message, now))
        if step is None:  # the shell locked itself in between; nothing was acted on
            return self._refuse(Refusal.PUMP_UNAVAILABLE, message, peer, now)
        outcome = step.outcome
        self.log.add(ChannelLogEntry(now, message.device_id, message.seq, message.command, None, outcome.reason))
        answer = Reply(
            self.pump_id, peer.device_id, message.seq, message.request_id, None, outcome.reason, outcome.replayed, now
        )
        return ChannelResult(None, step, seal_reply(answer, peer.key), message)


# -------------------------------------------------------------- device side


@dataclass
class RemoteDevice:
    """The device side (a phone app or controller), for integrators and tests.

    Keeps the next sequence number; a real device must persist it (write-ahead,
    like the pump) or it will be refused after its own restart until it has
    counted past the pump's last one.
    """

    pump_id: bytes
    device_id: bytes
    key: bytes
    source: int = Source.REMOTE
    next_seq: int = 1
    lifetime_ticks: int = DEFAULT_LIMITS.max_lifetime_ticks
    clock: Callable[[], int] = field(default=lambda: 0)
    """The device's idea of the pump's tick (from the last reply, plus time since)."""

    def message(self, command: Command, payload: tuple[int, ...], request_id: int = 0) -> Message:
        seq = self.next_seq
        self.next_seq += 1
        now = self.clock()
        return Message(
            self.pump_id, self.device_id, seq, command, self.source, request_id, now, now + self.lifetime_ticks, payload
        )

    def send(self, command: Command, payload: tuple[int, ...] = (), request_id: int = 0) -> bytes:
        return seal(self.message(command, payload, request_id), self.key)

    def bolus(self, request_id: int, immediate_pulses: int, extended_pulses: int = 0, extended_ticks: int = 0) -> bytes:
        return self.send(Command.BOLUS, (immediate_pulses, extended_pulses, extended_ticks), request_id)

    def temp_basal(self, request_id: int, kind: int, value: int, duration_ticks: int) -> bytes:
        return self.send(Command.TEMP_BASAL, (kind, value, duration_ticks), request_id)

    def cancel_bolus(self, target: int = ev.CancelTarget.ALL) -> bytes:
        return self.send(Command.CANCEL_BOLUS, (target,))

    def cancel_temp_basal(self) -> bytes:
        return self.send(Command.CANCEL_TEMP_BASAL)

    def suspend(self) -> bytes:
        return self.send(Command.SUSPEND)

    def open_reply(self, data: bytes | None) -> Reply | None:
        """A genuine reply to this device from this pump, or ``None``."""
        if data is None:
            return None
        reply = open_reply(data, self.key)
        if reply is None or reply.pump_id != self.pump_id or reply.device_id != self.device_id:
            return None
        return reply
