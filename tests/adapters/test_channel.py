"""The authenticated command channel and pairing (SEC-1, SEC-2, SEC-3, PER-2, PER-3).

Every refusal reason of ``adapters.channel.Refusal`` is reached here at least
once; the property-based attacker is in ``test_channel_attacks.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.channel import (
    HEADER,
    MAC_BYTES,
    Channel,
    ChannelLog,
    ChannelLogEntry,
    ChannelRecord,
    Command,
    FileChannelStore,
    MemoryChannelStore,
    Message,
    Peer,
    Refusal,
    RemoteDevice,
    decode,
    decode_record,
    encode_body,
    encode_record,
    kernel_event,
    open_reply,
    seal,
)
from adapters.pairing import (
    PairingRefusal,
    PairingSession,
    device_pair,
    format_code,
    hkdf_sha256,
    parse_code,
)
from adapters.persistence import Corrupt, MemoryStore, Missing, Store
from adapters.shell import PumpShell, RecordingDisplay, ShellAlarm
from kernel import events as ev
from kernel.commands import Notice, NoticeKind
from kernel.events import Source, TempKind
from kernel.reasons import Reason
from kernel.state import evolve
from kernel.step import step
from tests.adapters.conftest import C, Rig, rig, settings

PUMP = b"PUMP0001"
OTHER_PUMP = b"PUMP0002"
PHONE = b"PHONE001"
LOOP = b"LOOP0001"


def seeded(seed: int) -> random.Random:
    return random.Random(seed)


def pair_device(
    channel: Channel, device_id: bytes, sources: tuple[int, ...], seed: int = 1, source: int = Source.REMOTE
) -> RemoteDevice:
    """Pair ``device_id`` through the whole pairing exchange; returns the device side."""
    rng = seeded(seed)
    session = PairingSession(channel.pump_id, sources, channel.shell.now, random_bytes=rng.randbytes)
    half = device_pair(session.display_code, channel.pump_id, session.pump_nonce, device_id, rng.randbytes)
    assert half is not None
    paired = session.accept(half.request, channel.shell.now)
    assert not isinstance(paired, PairingRefusal), paired
    assert half.pump_confirmed(paired.answer)
    channel.pair(paired.peer)
    shell = channel.shell
    return RemoteDevice(channel.pump_id, device_id, half.key, source=source, clock=lambda: shell.now)


@dataclass
class Link:
    """A delivering pump with a channel, a paired phone (REMOTE) and a paired loop (CONTROLLER)."""

    rig: Rig
    channel: Channel
    store: MemoryChannelStore
    phone: RemoteDevice
    loop: RemoteDevice

    @property
    def shell(self) -> PumpShell:
        return self.rig.shell

    def restart(self) -> Link:
        """Power cycle: a new shell and channel from the same stores (the devices keep their counters)."""
        shell = PumpShell.start(C, motor=self.rig.motor, display=self.rig.display, store=self.rig.store)
        channel = Channel.open(shell, self.store, PUMP)
        self.phone.clock = self.loop.clock = lambda: shell.now
        return Link(
            Rig(shell, self.rig.motor, self.rig.display, self.rig.store), channel, self.store, self.phone, self.loop
        )


def link(remote_bolus: bool = True, store: Store | None = None, seed: int = 1) -> Link:
    r = rig(therapy=settings(remote_bolus_enabled=remote_bolus, controller_enabled=True), store=store)
    channel_store = MemoryChannelStore()
    channel = Channel.open(r.shell, channel_store, PUMP)
    phone = pair_device(channel, PHONE, (Source.REMOTE,), seed)
    loop = pair_device(channel, LOOP, (Source.CONTROLLER,), seed + 1, Source.CONTROLLER)
    return Link(r, channel, channel_store, phone, loop)


# ------------------------------------------------------------------ pairing


def test_hkdf_matches_rfc5869_test_case_1() -> None:
    """SEC-1: the key derivation is RFC 5869 HKDF-SHA256 (test case 1)."""
    ikm = bytes.fromhex("0b" * 22)
    salt = bytes.fromhex("000102030405060708090a0b0c")
    info = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")
    okm = hkdf_sha256(ikm, salt, info, 42)
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")


def test_pairing_code_is_128_bits_and_parses_back() -> None:
    code = seeded(3).randbytes(16)
    text = format_code(code)
    assert len(text.replace("-", "")) == 26
    assert parse_code(text) == code and parse_code(text.lower().replace("-", " ")) == code
    assert parse_code(text[:-1]) is None and parse_code("0" * 26) is None


def test_pairing_gives_both_sides_the_same_key_and_confirms_both_ways() -> None:
    """SEC-1: pump and device derive one per-device key; each proves it to the other."""
    rng = seeded(5)
    session = PairingSession(PUMP, (Source.REMOTE,), 0, random_bytes=rng.randbytes)
    half = device_pair(session.display_code, PUMP, session.pump_nonce, PHONE, rng.randbytes)
    assert half is not None
    paired = session.accept(half.request, 1)
    assert not isinstance(paired, PairingRefusal)
    assert paired.peer.key == half.key and paired.peer.device_id == PHONE and paired.peer.sources == (1,)
    assert half.pump_confirmed(paired.answer) and not half.pump_confirmed(bytes(32))
    assert session.accept(half.request, 1) is PairingRefusal.CLOSED  # one pairing per code


def test_pairing_with_a_wrong_code_fails_and_the_session_closes_after_three_attempts() -> None:
    """SEC-1: a wrong code fails the confirmation; guessing is cut off."""
    rng = seeded(7)
    session = PairingSession(PUMP, (Source.REMOTE,), 0, random_bytes=rng.randbytes)
    wrong = format_code(rng.randbytes(16))
    for _ in range(3):
        half = device_pair(wrong, PUMP, session.pump_nonce, PHONE, rng.randbytes)
        assert half is not None
        assert session.accept(half.request, 0) is PairingRefusal.WRONG_CODE
    right = device_pair(session.display_code, PUMP, session.pump_nonce, PHONE, rng.randbytes)
    assert right is not None and session.accept(right.request, 0) is PairingRefusal.CLOSED


def test_pairing_refuses_malformed_other_pump_and_expired_requests() -> None:
    rng = seeded(9)
    session = PairingSession(PUMP, (Source.CONTROLLER,), 10, random_bytes=rng.randbytes, max_attempts=10)
    half = device_pair(session.display_code, OTHER_PUMP, session.pump_nonce, LOOP, rng.randbytes)
    assert half is not None
    assert session.accept(half.request, 10) is PairingRefusal.NOT_FOR_THIS_PUMP
    assert session.accept(half.request[:-1], 10) is PairingRefusal.MALFORMED
    good = device_pair(session.display_code, PUMP, session.pump_nonce, LOOP, rng.randbytes)
    assert good is not None
    assert session.accept(good.request, 16) is PairingRefusal.CLOSED  # lifetime 5 ticks
    with pytest.raises(ValueError):
        PairingSession(PUMP, (Source.USER,), 0)


def test_re_pairing_makes_messages_under_the_old_key_fail() -> None:
    """SEC-1: a fresh pump nonce gives a new key; old recordings never verify again."""
    lk = link()
    old = lk.phone.bolus(1, 5)
    pair_device(lk.channel, PHONE, (Source.REMOTE,), seed=99)
    assert lk.channel.receive(old).refusal is Refusal.BAD_MAC


# ------------------------------------------------------------ message format


def test_message_round_trip_and_fixed_sizes() -> None:
    message = Message(PUMP, PHONE, 7, Command.TEMP_BASAL, 2, 9, 100, 105, (1, 60, 30))
    data = seal(message, bytes(32))
    decoded = decode(data)
    assert not isinstance(decoded, Refusal)
    assert decoded[0] == message and decoded[1] == encode_body(message)
    assert len(data) == HEADER.size + 9 + MAC_BYTES
    assert len(seal(evolve(message, command=Command.SUSPEND, payload=()), bytes(32))) == HEADER.size + MAC_BYTES


def _forms() -> dict[Refusal, bytes]:
    good = seal(Message(PUMP, PHONE, 1, Command.BOLUS, 1, 1, 0, 5, (1, 0, 0)), bytes(32))
    body = bytearray(good[:-MAC_BYTES])
    unknown = bytearray(body)
    unknown[2 + 1 + 1 + 8 + 8 + 8] = 99
    wrong_len = bytearray(body)
    wrong_len[HEADER.size - 1] = 11
    return {
        Refusal.TRUNCATED: good[:-1],
        Refusal.TRAILING_BYTES: good + b"\x00",
        Refusal.BAD_MAGIC: b"XX" + good[2:],
        Refusal.UNSUPPORTED_VERSION: good[:2] + b"\x02" + good[3:],
        Refusal.WRONG_DIRECTION: good[:3] + b"\x02" + good[4:],
        Refusal.UNKNOWN_COMMAND: bytes(unknown) + good[-MAC_BYTES:],
        Refusal.PAYLOAD_LENGTH: bytes(wrong_len) + good[-MAC_BYTES:],
    }


@pytest.mark.parametrize("refusal", list(_forms()), ids=lambda r: r.name)
def test_strict_decoding_refuses_every_malformed_form(refusal: Refusal) -> None:
    """SEC-1: truncated, extended or malformed messages are refused before the MAC is computed."""
    assert decode(_forms()[refusal]) is refusal


def test_decode_never_raises_on_short_inputs() -> None:
    for length in range(0, HEADER.size + MAC_BYTES + 2):
        assert isinstance(decode(bytes(length)), Refusal)


# ------------------------------------------------------ refusals, logged


def test_every_channel_refusal_reason_is_reached_and_logged() -> None:
    """SEC-1: forged, replayed, re-ordered, expired, future-dated messages are refused, each logged."""
    lk = link()
    ch, phone = lk.channel, lk.phone
    seen: dict[Refusal, int] = {}

    def expect(data: bytes, refusal: Refusal) -> None:
        result = ch.receive(data)
        assert result.refusal is refusal, (result.refusal, refusal)
        assert result.step is None
        seen[refusal] = seen.get(refusal, 0) + 1
        assert ch.log.entries[-1].refusal is refusal

    for refusal, data in _forms().items():
        expect(data, refusal)
    expect(RemoteDevice(OTHER_PUMP, PHONE, phone.key).suspend(), Refusal.NOT_FOR_THIS_PUMP)
    expect(RemoteDevice(PUMP, b"STRANGER", phone.key).suspend(), Refusal.UNKNOWN_DEVICE)
    expect(RemoteDevice(PUMP, PHONE, bytes(32)).suspend(), Refusal.BAD_MAC)
    first, second = phone.cancel_temp_basal(), phone.cancel_temp_basal()
    assert ch.receive(second).passed
    expect(second, Refusal.REPLAYED)
    expect(first, Refusal.OUT_OF_ORDER)
    lk.shell.advance_to(lk.shell.now + 10)
    stale = seal(evolve(phone.message(Command.SUSPEND, ()), issued_tick=0, expires_tick=5), phone.key)
    expect(stale, Refusal.EXPIRED)
    future = seal(evolve(phone.message(Command.SUSPEND, ()), issued_tick=12, expires_tick=13), phone.key)
    expect(future, Refusal.FUTURE_DATED)
    too_long = seal(evolve(phone.message(Command.SUSPEND, ()), issued_tick=10, expires_tick=16), phone.key)
    expect(too_long, Refusal.LIFETIME_INVALID)
    backwards = seal(evolve(phone.message(Command.SUSPEND, ()), issued_tick=10, expires_tick=9), phone.key)
    expect(backwards, Refusal.LIFETIME_INVALID)
    expect(
        seal(evolve(phone.message(Command.SUSPEND, ()), source=Source.CONTROLLER), phone.key),
        Refusal.SOURCE_NOT_ALLOWED,
    )
    expect(seal(evolve(phone.message(Command.SUSPEND, ()), source=Source.USER), phone.key), Refusal.SOURCE_NOT_ALLOWED)
    lk.store.fail = True
    expect(phone.suspend(), Refusal.NOT_SAVED)
    lk.store.fail = False
    lk.shell.locked = ShellAlarm.CLOCK_JUMP
    expect(phone.suspend(), Refusal.PUMP_UNAVAILABLE)
    store = MemoryChannelStore(b"garbage")
    broken = Channel.open(lk.shell, store, PUMP)
    assert broken.unavailable is not None
    result = broken.receive(phone.suspend())
    assert result.refusal is Refusal.CHANNEL_UNAVAILABLE
    seen[Refusal.CHANNEL_UNAVAILABLE] = 1
    assert set(seen) == set(Refusal), set(Refusal) - set(seen)
    assert sum(ch.log.refused.values()) == sum(v for k, v in seen.items() if k is not Refusal.CHANNEL_UNAVAILABLE)


def test_a_refused_message_changes_nothing_in_the_pump() -> None:
    """SEC-1: only a message that passes every check reaches the kernel."""
    lk = link()
    before, record = lk.shell.state, lk.channel.record
    for data in (*_forms().values(), RemoteDevice(PUMP, PHONE, bytes(32)).bolus(1, 10)):
        assert lk.channel.receive(data).step is None
    assert lk.shell.state == before and lk.channel.record == record


def test_log_is_bounded() -> None:
    log = ChannelLog(capacity=4)
    for seq in range(10):
        log.add(ChannelLogEntry(0, PHONE, seq, None, Refusal.BAD_MAC, None))
    assert len(log.entries) == 4 and log.refused[Refusal.BAD_MAC] == 10


# -------------------------------------------- SEC-2: switch and announcement


def test_remote_bolus_is_announced_to_the_user() -> None:
    """SEC-2: every bolus start (here a remote one) reaches the display as a BOLUS_STARTED notice."""
    lk = link()
    result = lk.channel.receive(lk.phone.bolus(41, 12))
    assert result.accepted
    started = [n for _, n in lk.rig.display.notices if n.kind == NoticeKind.BOLUS_STARTED]
    assert started and started[-1].a == 12 and started[-1].c == 41
    reply = lk.phone.open_reply(result.reply)
    assert reply is not None and reply.refusal is None and reply.reason is Reason.ACCEPTED and reply.request_id == 41


def test_controller_bolus_is_announced_too() -> None:
    """SEC-2: a controller bolus is announced like any other (it needs sensor data first, SEN-2)."""
    lk = link()
    lk.shell.submit(ev.GlucoseReading(lk.shell.now, lk.shell.now, 180))
    result = lk.channel.receive(lk.loop.bolus(42, 3))
    assert result.accepted, result.step
    assert any(
        isinstance(n, Notice) and n.kind == NoticeKind.BOLUS_STARTED and n.c == 42 for _, n in lk.rig.display.notices
    )


def test_remote_bolus_switched_off_is_refused_by_the_kernel_and_logged() -> None:
    """SEC-2: with remote bolus off on the pump, an authentic remote bolus is refused (kernel's reason),
    logged, answered, and consumes its sequence number."""
    lk = link(remote_bolus=False)
    data = lk.phone.bolus(5, 10)
    result = lk.channel.receive(data)
    assert result.passed and result.step is not None and not result.accepted
    assert result.step.outcome.reason is Reason.REMOTE_BOLUS_DISABLED
    assert lk.channel.log.entries[-1].reason is Reason.REMOTE_BOLUS_DISABLED
    reply = lk.phone.open_reply(result.reply)
    assert reply is not None and reply.reason is Reason.REMOTE_BOLUS_DISABLED
    assert lk.shell.state.totals.bolus_pulses == 0
    assert lk.channel.receive(data).refusal is Refusal.REPLAYED
    assert not [n for _, n in lk.rig.display.notices if n.kind == NoticeKind.BOLUS_STARTED]


# --------------------------------------------------- SEC-3: the same kernel


def test_pump_limits_apply_to_channel_commands() -> None:
    """SEC-3: max bolus, max basal and the controller's 30-minute temps apply to radio commands."""
    lk = link()
    above = lk.shell.state.settings.max_bolus_pulses + 1
    assert lk.channel.receive(lk.phone.bolus(1, above)).step.outcome.reason is Reason.ABOVE_MAX_BOLUS  # type: ignore[union-attr]
    too_fast = lk.shell.state.settings.max_basal_pph + 1
    result = lk.channel.receive(lk.phone.temp_basal(2, TempKind.ABSOLUTE, too_fast, 30))
    assert result.step is not None and result.step.outcome.reason is Reason.TEMP_RATE_ABOVE_MAX_BASAL
    result = lk.channel.receive(lk.loop.temp_basal(3, TempKind.ABSOLUTE, 1, 60))
    assert result.step is not None and result.step.outcome.reason is Reason.TEMP_DURATION
    result = lk.channel.receive(lk.phone.bolus(0, 5))
    assert result.step is not None and result.step.outcome.reason is Reason.OUT_OF_RANGE  # request ID 0


@pytest.mark.parametrize("command", list(Command), ids=lambda c: c.name)
def test_a_channel_command_is_exactly_one_kernel_event(command: Command) -> None:
    """SEC-3: what the channel does to the pump is exactly ``kernel.step`` on the one event it stands for."""
    payloads = {
        Command.BOLUS: (10, 0, 0),
        Command.CANCEL_BOLUS: (0,),
        Command.TEMP_BASAL: (TempKind.PERCENT, 50, 30),
        Command.CANCEL_TEMP_BASAL: (),
        Command.SUSPEND: (),
    }
    lk = link()
    before = lk.shell.state
    data = lk.phone.send(command, payloads[command], 77)
    decoded = decode(data)
    assert not isinstance(decoded, Refusal)
    direct = step(C, before, kernel_event(decoded[0], before.now_ticks))
    result = lk.channel.receive(data)
    assert result.step is not None
    assert result.step.outcome == direct.outcome and result.step.commands == direct.commands
    assert result.step.state == direct.state


def test_a_retry_with_the_same_request_id_and_a_new_sequence_number_delivers_once() -> None:
    """SEC-1 with BOL-5: a device that got no reply re-sends (new seq, same request ID); nothing more is given."""
    lk = link()
    assert lk.channel.receive(lk.phone.bolus(300, 10)).accepted
    again = lk.channel.receive(lk.phone.bolus(300, 10))
    assert again.step is not None and again.step.outcome.replayed
    lk.rig.ticks(5)
    assert lk.shell.state.totals.bolus_pulses == 10


# ------------------------------------------------------------------ replies


def test_replies_are_authenticated_and_cannot_be_reflected_as_commands() -> None:
    """SEC-1: a forged or altered reply is rejected by the device; a reply sent to the pump is refused."""
    lk = link()
    result = lk.channel.receive(lk.phone.suspend())
    assert result.reply is not None
    assert lk.phone.open_reply(result.reply) is not None
    tampered = bytearray(result.reply)
    tampered[40] ^= 1
    assert lk.phone.open_reply(bytes(tampered)) is None
    assert open_reply(result.reply, lk.loop.key) is None
    assert lk.channel.receive(result.reply).refusal in (Refusal.TRUNCATED, Refusal.WRONG_DIRECTION)


def test_no_reply_for_an_unauthenticated_message() -> None:
    lk = link()
    assert lk.channel.receive(RemoteDevice(PUMP, PHONE, bytes(32)).suspend()).reply is None


# ------------------------------------------------- persistence (PER-2, PER-3)


def test_channel_record_round_trip_and_corruption_is_detected() -> None:
    """PER-3 for the channel: every single-byte change of the record is detected."""
    record = ChannelRecord(PUMP, (Peer(PHONE, bytes(range(32)), (1, 2), 9, (8, 9), 3),))
    data = encode_record(record)
    assert decode_record(data) == record
    for index in range(len(data)):
        damaged = bytearray(data)
        damaged[index] ^= 0x04
        assert isinstance(decode_record(bytes(damaged)), Corrupt), index
    assert isinstance(decode_record(data[:-1]), Corrupt)


def test_a_replay_after_a_restart_is_refused(tmp_path: Path) -> None:
    """SEC-1, PER-2: the key and the last sequence number survive a restart; a recorded message stays refused."""
    r = rig(therapy=settings(remote_bolus_enabled=True), store=MemoryStore())
    store = FileChannelStore(tmp_path)
    channel = Channel.open(r.shell, store, PUMP)
    phone = pair_device(channel, PHONE, (Source.REMOTE,))
    recorded = phone.bolus(10, 5)
    assert channel.receive(recorded).accepted
    assert (tmp_path / FileChannelStore.RECORD).stat().st_mode & 0o077 == 0  # the key file is private
    shell = PumpShell.start(C, motor=r.motor, display=RecordingDisplay(), store=r.store)
    restarted = Channel.open(shell, FileChannelStore(tmp_path), PUMP)
    assert restarted.unavailable is None and restarted.record.peer(PHONE) == channel.record.peer(PHONE)
    assert restarted.receive(recorded).refusal is Refusal.REPLAYED
    phone.clock = lambda: shell.now
    assert restarted.receive(phone.bolus(11, 5)).passed


def test_the_sequence_number_is_saved_before_the_kernel_acts_and_a_crash_between_loses_the_command() -> None:
    """PER-2 (write-ahead): a crash after the sequence is saved and before the kernel acts cannot re-open it."""

    class Crash(Exception):
        pass

    def probe(point: str) -> None:
        if point.startswith("channel: sequence saved"):
            raise Crash(point)

    lk = link()
    crashing = Channel(lk.shell, lk.store, lk.channel.record, probe=probe)
    data = lk.phone.bolus(21, 10)
    before = lk.shell.state
    with pytest.raises(Crash):
        crashing.receive(data)
    assert lk.shell.state == before  # the kernel never saw it
    after = lk.restart()
    assert after.channel.receive(data).refusal is Refusal.REPLAYED
    retry = after.channel.receive(after.phone.bolus(21, 10))  # the device re-sends with a new seq
    assert retry.accepted and not retry.step.outcome.replayed  # type: ignore[union-attr]


def test_the_channel_record_is_saved_before_the_shell_record() -> None:
    """PER-2: order of saves for an accepted message: channel sequence first, then the pump's state."""
    order: list[str] = []

    class Watching(MemoryStore):
        def save(self, record: bytes) -> None:
            order.append("shell")
            super().save(record)

    lk = link(store=Watching())

    class WatchingChannel(MemoryChannelStore):
        def save(self, record: bytes) -> None:
            order.append("channel")
            super().save(record)

    store = WatchingChannel(lk.store.record)
    channel = Channel.open(lk.shell, store, PUMP)
    order.clear()
    assert channel.receive(lk.phone.bolus(5, 3)).accepted
    assert order[:2] == ["channel", "shell"]


def test_a_lost_channel_record_unpairs_and_a_corrupt_one_fails_closed_until_re_paired() -> None:
    """PER-3 for the channel: no record -> nothing paired; an unreadable record -> every message refused."""
    lk = link()
    fresh = Channel.open(lk.shell, MemoryChannelStore(), PUMP)
    assert isinstance(MemoryChannelStore().load(), Missing)
    assert fresh.receive(lk.phone.suspend()).refusal is Refusal.UNKNOWN_DEVICE
    assert lk.store.record is not None
    corrupt = MemoryChannelStore(lk.store.record[:-3])
    closed = Channel.open(lk.shell, corrupt, PUMP)
    assert closed.receive(lk.phone.suspend()).refusal is Refusal.CHANNEL_UNAVAILABLE
    other = Channel.open(lk.shell, MemoryChannelStore(lk.store.record), OTHER_PUMP)
    assert other.unavailable is not None
    phone = pair_device(closed, PHONE, (Source.REMOTE,), seed=50)
    assert closed.unavailable is None and closed.receive(phone.suspend()).passed


def test_unpair_forgets_the_device() -> None:
    lk = link()
    lk.channel.unpair(PHONE)
    assert lk.channel.receive(lk.phone.suspend()).refusal is Refusal.UNKNOWN_DEVICE
    assert lk.channel.receive(lk.loop.cancel_temp_basal()).passed


def test_a_crash_at_every_write_point_never_reopens_a_sequence_number(tmp_path: Path) -> None:
    """PER-2, SEC-1: kill the pump (an exception) at each write point of receiving a remote bolus, restart
    from the files, and deliver the same message again: it passes only if its command never reached the
    kernel, so the bolus is given at most once."""
    from adapters.persistence import FileStore

    class Crash(Exception):
        pass

    crash_at: list[int | None] = [None]
    points: list[str] = []

    def probe(point: str) -> None:
        points.append(point)
        if crash_at[0] is not None and len(points) == crash_at[0]:
            raise Crash(point)

    def start(directory: Path) -> tuple[PumpShell, Channel]:
        shell = PumpShell.start(
            C, motor=motor, display=RecordingDisplay(), store=FileStore(directory / "pump", probe=probe), probe=probe
        )
        channel = Channel.open(shell, FileChannelStore(directory / "channel", probe=probe), PUMP, probe=probe)
        return shell, channel

    def prepared(directory: Path) -> tuple[PumpShell, Channel, bytes, int]:
        r = rig(therapy=settings(remote_bolus_enabled=True), store=FileStore(directory / "pump"))
        channel = Channel.open(r.shell, FileChannelStore(directory / "channel"), PUMP)
        phone = pair_device(channel, PHONE, (Source.REMOTE,))
        return r.shell, channel, phone.bolus(77, 10), r.shell.state.totals.bolus_pulses

    shell, channel, data, _ = prepared(tmp_path / "dry")
    motor = shell.motor
    shell, channel = start(tmp_path / "dry")
    points.clear()
    assert channel.receive(data).accepted
    total_points = len(points)
    assert points == [
        "channel.rec: written, not yet renamed",
        "channel.rec: renamed",
        "channel: sequence saved, command not yet given to the kernel",
        "save: written, not yet renamed",
        "save: renamed",
    ]
    for index in range(1, total_points + 1):
        directory = tmp_path / f"crash-{index}"
        shell, _, data, before = prepared(directory)
        motor = shell.motor
        shell, channel = start(directory)
        points.clear()
        crash_at[0] = index
        with pytest.raises(Crash):
            channel.receive(data)
        crash_at[0] = None
        shell, channel = start(directory)
        again = channel.receive(data)
        if again.passed:
            assert again.step is not None and not again.step.outcome.replayed, points[index - 1]
        else:
            assert again.refusal is Refusal.REPLAYED, (points[index - 1], again.refusal)
        for _ in range(5):
            shell.tick()
        assert shell.state.totals.bolus_pulses - before <= 10, points[index - 1]
