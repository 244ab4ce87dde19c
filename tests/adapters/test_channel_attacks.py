"""A property-based attacker on the radio against the command channel (SEC-1, SEC-3, PER-2).

The attacker records genuine traffic between a paired phone, a paired
closed-loop controller and the pump, then replays it (also after a pump
restart), splices messages together, flips bits, truncates and extends them,
re-orders and delays them, re-targets them to another pump or another
device, and forges messages with random keys (and with the key of another
paired device).  Each test counts the messages the attacker tried and the
forgeries the channel accepted (a message that passed the channel and that
the genuine device did not send in that order, in time, to that pump): the
count must be zero.

Profiles: CI runs a modest number of examples; the deep profile
(``HYPOTHESIS_PROFILE=deep``) runs many more.  The figures are printed at the
end of the module (``pytest -s``) and, with ``CHANNEL_FIGURES=<file>``, written
as JSON (one file per xdist worker, suffixed with the worker id).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from adapters.channel import (
    HEADER,
    ID_BYTES,
    MAC_BYTES,
    Channel,
    Command,
    MemoryChannelStore,
    Message,
    RemoteDevice,
    decode,
    kernel_event,
    seal,
)
from adapters.persistence import MemoryStore
from kernel.events import CancelTarget, Source, TempKind
from kernel.state import evolve
from kernel.step import step
from tests.adapters.conftest import C, rig, settings
from tests.adapters.test_channel import LOOP, OTHER_PUMP, PHONE, PUMP, Link, link, pair_device

DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"
EXAMPLES = 2000 if DEEP else 40
"""Hypothesis examples per attack kind (each example tries many messages)."""
SETTINGS = hsettings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=not DEEP,
)

TRIED: defaultdict[str, int] = defaultdict(int)
FORGED: defaultdict[str, int] = defaultdict(int)


@pytest.fixture(scope="module", autouse=True)
def report_figures() -> Iterator[None]:
    yield
    if not TRIED:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    print(f"\nchannel attack figures ({'deep' if DEEP else 'ci'} profile, worker {worker}):")
    for kind in sorted(TRIED):
        print(f"  {kind:<10} tried {TRIED[kind]:>8}  accepted forgeries {FORGED[kind]}")
    print(f"  {'total':<10} tried {sum(TRIED.values()):>8}  accepted forgeries {sum(FORGED.values())}")
    target = os.environ.get("CHANNEL_FIGURES")
    if target:
        figures = {"profile": "deep" if DEEP else "ci", "tried": dict(TRIED), "forged": dict(FORGED)}
        with open(f"{target}.{worker}", "w") as handle:
            json.dump(figures, handle, indent=1, sort_keys=True)


# ------------------------------------------------------------ genuine traffic

COMMANDS = st.sampled_from(list(Command))


@st.composite
def genuine_command(draw: st.DrawFn) -> tuple[Command, tuple[int, ...], int]:
    """A command a genuine device might send: small, mostly valid values."""
    command = draw(COMMANDS)
    rid = draw(st.integers(1, 10**6))
    if command is Command.BOLUS:
        payload: tuple[int, ...] = (draw(st.integers(0, 40)), 0, 0)
    elif command is Command.CANCEL_BOLUS:
        payload = (draw(st.sampled_from(list(CancelTarget))),)
    elif command is Command.TEMP_BASAL:
        payload = (int(TempKind.PERCENT), draw(st.integers(0, 200)), draw(st.sampled_from([15, 30])))
    else:
        payload = ()
    return command, payload, rid


Traffic = list[tuple[bool, tuple[Command, tuple[int, ...], int], int]]
Commands = list[tuple[Command, tuple[int, ...], int]]

TRAFFIC = st.lists(st.tuples(st.booleans(), genuine_command(), st.integers(0, 2)), min_size=1, max_size=8)
"""(from the loop?, command, ticks that pass after it) per genuine message."""


def record_traffic(lk: Link, traffic: Traffic) -> list[bytes]:
    """Deliver genuine traffic in order (each passes the channel) and return what the attacker recorded."""
    recorded = []
    for from_loop, (command, payload, rid), pause in traffic:
        device = lk.loop if from_loop else lk.phone
        data = device.send(command, payload, rid)
        assert lk.channel.receive(data).passed
        recorded.append(data)
        lk.shell.advance_to(lk.shell.now + pause)
    return recorded


def attack(lk: Link, kind: str, candidates: list[bytes]) -> None:
    """Send every candidate; none may pass the channel, and the pump must not change."""
    before, record = lk.shell.state, lk.channel.record
    for data in candidates:
        TRIED[kind] += 1
        if lk.channel.receive(data).passed:
            FORGED[kind] += 1
    assert FORGED[kind] == 0, f"{kind}: {FORGED[kind]} forgeries accepted"
    assert lk.shell.state == before and lk.channel.record == record


# -------------------------------------------------------------------- attacks


@SETTINGS
@given(TRAFFIC, st.booleans(), st.integers(0, 2**32))
def test_replayed_traffic_is_refused_also_after_a_restart(traffic: Traffic, restart: bool, seed: int) -> None:
    """SEC-1, PER-2: every recorded message, replayed (any number of times, any order), is refused,
    also after the pump restarts from its records."""
    lk = link(seed=seed % 1000 + 1)
    recorded = record_traffic(lk, traffic)
    if restart:
        lk = lk.restart()
    attack(lk, "replay", recorded * 3 + recorded[::-1])


@SETTINGS
@given(TRAFFIC, st.data())
def test_bit_flips_are_refused(traffic: Traffic, data: st.DataObject) -> None:
    """SEC-1: a recorded message with any 1 to 16 bits flipped (header, payload or MAC) is refused."""
    lk = link()
    recorded = record_traffic(lk, traffic)
    fresh = [lk.phone.bolus(999, 10), lk.loop.cancel_temp_basal()]  # genuine, never delivered
    candidates = []
    for original in recorded + fresh:
        for _ in range(6):
            flips = data.draw(st.lists(st.integers(0, len(original) * 8 - 1), min_size=1, max_size=16, unique=True))
            damaged = bytearray(original)
            for bit in flips:
                damaged[bit // 8] ^= 1 << (bit % 8)
            candidates.append(bytes(damaged))
    attack(lk, "bitflip", candidates)


@SETTINGS
@given(TRAFFIC, st.data())
def test_truncated_and_extended_messages_are_refused(traffic: Traffic, data: st.DataObject) -> None:
    """SEC-1: any prefix, any message with bytes appended or cut out of its middle, is refused."""
    lk = link()
    recorded = record_traffic(lk, traffic)
    fresh = lk.phone.bolus(998, 5)
    candidates = []
    for original in [*recorded, fresh]:
        cut = data.draw(st.integers(0, len(original) - 1))
        candidates.append(original[:cut])
        candidates.append(original + data.draw(st.binary(min_size=1, max_size=40)))
        start = data.draw(st.integers(0, len(original) - 1))
        end = data.draw(st.integers(start + 1, len(original)))
        candidates.append(original[:start] + original[end:])
        candidates.append(original[:start] + data.draw(st.binary(min_size=1, max_size=8)) + original[start:])
    attack(lk, "truncate", candidates)


@SETTINGS
@given(TRAFFIC, st.data())
def test_spliced_messages_are_refused(traffic: Traffic, data: st.DataObject) -> None:
    """SEC-1: pieces of genuine messages (byte-level cuts, header of one with payload or MAC of another,
    across devices) are refused."""
    lk = link()
    recorded = record_traffic(lk, traffic)
    pool = [*recorded, lk.phone.bolus(997, 12), lk.loop.suspend()]  # the last two never delivered
    candidates = []
    for _ in range(12):
        a, b = data.draw(st.sampled_from(pool)), data.draw(st.sampled_from(pool))
        i, j = data.draw(st.integers(0, len(a))), data.draw(st.integers(0, len(b)))
        spliced = a[:i] + b[j:]
        if spliced not in pool[-2:]:
            candidates.append(spliced)
        header_a, header_b = a[: HEADER.size], b[: HEADER.size]
        for piece in (header_a + b[HEADER.size :], header_b + a[HEADER.size :], a[:-MAC_BYTES] + b[-MAC_BYTES:]):
            if piece not in pool[-2:]:
                candidates.append(piece)
    attack(lk, "splice", candidates)


@SETTINGS
@given(st.lists(genuine_command(), min_size=2, max_size=8), st.data())
def test_reordered_messages_never_go_through_out_of_order(commands: Commands, data: st.DataObject) -> None:
    """SEC-1: the attacker holds a batch of genuine messages and delivers them in any order, with
    duplicates: the sequence numbers of what passes are strictly increasing, each passes at most once."""
    lk = link()
    batch = [lk.phone.send(c, p, r) for c, p, r in commands]
    order = data.draw(st.lists(st.integers(0, len(batch) - 1), min_size=1, max_size=3 * len(batch)))
    highest = 0
    for index in order:
        TRIED["reorder"] += 1
        result = lk.channel.receive(batch[index])
        if result.passed:
            assert result.message is not None
            if result.message.seq <= highest:
                FORGED["reorder"] += 1
            highest = max(highest, result.message.seq)
    assert FORGED["reorder"] == 0


@SETTINGS
@given(st.lists(st.tuples(genuine_command(), st.integers(0, 12), st.booleans()), min_size=1, max_size=6))
def test_delayed_messages_never_act_after_their_expiry_or_after_a_newer_one(
    schedule: list[tuple[tuple[Command, tuple[int, ...], int], int, bool]],
) -> None:
    """SEC-1: a genuine message held back by the attacker passes only while unexpired and only if no
    newer message from its device has passed; otherwise it is refused."""
    lk = link()
    held: list[tuple[bytes, int, int]] = []
    highest = 0
    for (command, payload, rid), delay, interleave in schedule:
        data = lk.phone.send(command, payload, rid)
        decoded = decode(data)
        assert isinstance(decoded, tuple)
        held.append((data, decoded[0].expires_tick, decoded[0].seq))
        if interleave:
            newer = lk.phone.cancel_temp_basal()
            assert lk.channel.receive(newer).passed
            highest = lk.phone.next_seq - 1
        lk.shell.advance_to(lk.shell.now + delay)
    for data, expires, seq in held:
        TRIED["delay"] += 1
        result = lk.channel.receive(data)
        if result.passed and (lk.shell.now > expires or seq <= highest):
            FORGED["delay"] += 1
        if result.passed:
            highest = max(highest, seq)
    assert FORGED["delay"] == 0


@SETTINGS
@given(TRAFFIC, st.integers(0, 2**32))
def test_messages_re_targeted_to_another_pump_or_device_are_refused(traffic: Traffic, seed: int) -> None:
    """SEC-1: a message recorded at one pump is refused by a second pump with the same phone paired
    (its own key), as is the same message with its pump id or device id rewritten."""
    lk = link(seed=seed % 1000 + 1)
    recorded = record_traffic(lk, traffic)
    other_rig = rig(therapy=settings(remote_bolus_enabled=True, controller_enabled=True), store=MemoryStore())
    other = Channel.open(other_rig.shell, MemoryChannelStore(), OTHER_PUMP)
    pair_device(other, PHONE, (Source.REMOTE,), seed=seed % 1000 + 5000)
    pair_device(other, LOOP, (Source.CONTROLLER,), seed=seed % 1000 + 6000)
    fresh = [lk.phone.bolus(996, 8), lk.loop.suspend()]  # genuine for pump A, never delivered there
    to_other = []
    for data in recorded + fresh:
        to_other.append(data)
        to_other.append(data[:4] + OTHER_PUMP + data[4 + ID_BYTES :])
    before = other.shell.state
    for data in to_other:
        TRIED["retarget"] += 1
        if other.receive(data).passed:
            FORGED["retarget"] += 1
    assert other.shell.state == before
    swapped = []
    for data in recorded + fresh:
        device = data[4 + ID_BYTES : 4 + 2 * ID_BYTES]
        target = LOOP if device == PHONE else PHONE
        swapped.append(data[: 4 + ID_BYTES] + target + data[4 + 2 * ID_BYTES :])
    attack(lk, "retarget", swapped)


MESSAGES = st.builds(
    Message,
    pump_id=st.sampled_from([PUMP, OTHER_PUMP]),
    device_id=st.sampled_from([PHONE, LOOP, b"STRANGER"]),
    seq=st.integers(0, 2**64 - 1),
    command=COMMANDS,
    source=st.integers(0, 3),
    request_id=st.integers(0, 2**32 - 1),
    issued_tick=st.integers(0, 40),
    expires_tick=st.integers(0, 50),
    payload=st.just(()),
)


def _with_payload(message: Message, values: list[int]) -> Message:
    sizes = {Command.BOLUS: 3, Command.CANCEL_BOLUS: 1, Command.TEMP_BASAL: 3}
    count = sizes.get(message.command, 0)
    payload = tuple(v % 256 if (message.command is not Command.BOLUS and i == 0) else v for i, v in enumerate(values))
    return evolve(message, payload=payload[:count])


@SETTINGS
@given(
    st.lists(
        st.tuples(
            MESSAGES, st.lists(st.integers(0, 2**32 - 1), min_size=3, max_size=3), st.binary(min_size=32, max_size=32)
        ),
        min_size=1,
        max_size=20,
    ),
    st.binary(max_size=200),
)
def test_forgeries_with_random_keys_or_another_devices_key_are_refused(
    forgeries: list[tuple[Message, list[int], bytes]], noise: bytes
) -> None:
    """SEC-1: any message sealed with a random key, or by the paired loop with its own key while
    claiming to be the phone, and random bytes, are refused."""
    lk = link()
    candidates = [noise]
    for message, values, key in forgeries:
        forged = _with_payload(message, values)
        candidates.append(seal(forged, key))
        impostor = evolve(forged, pump_id=PUMP, device_id=PHONE, seq=max(1, forged.seq))
        candidates.append(seal(impostor, lk.loop.key))  # an insider with another device's key
        candidates.append(seal(evolve(impostor, device_id=LOOP), lk.phone.key))
    attack(lk, "forge", candidates)


# ------------------------------------------------------ SEC-3, differential

PAYLOAD_FOR = {
    Command.BOLUS: st.tuples(st.integers(0, 300), st.integers(0, 300), st.integers(0, 600)),
    Command.CANCEL_BOLUS: st.tuples(st.integers(0, 3)),
    Command.TEMP_BASAL: st.tuples(st.integers(0, 3), st.integers(0, 500), st.integers(0, 1500)),
    Command.CANCEL_TEMP_BASAL: st.just(()),
    Command.SUSPEND: st.just(()),
}


@SETTINGS
@given(
    st.lists(
        st.tuples(COMMANDS.flatmap(lambda c: st.tuples(st.just(c), PAYLOAD_FOR[c])), st.booleans(), st.integers(0, 3)),
        min_size=1,
        max_size=10,
    ),
    st.integers(0, 2**32 - 1),
)
def test_every_accepted_message_is_exactly_the_kernel_step_of_its_event(
    script: list[tuple[tuple[Command, tuple[int, ...]], bool, int]], rid_base: int
) -> None:
    """SEC-3: for any authentic command (any values, phone or loop), what the pump does is exactly
    ``kernel.step`` on the one kernel event the message stands for: same outcome, same commands, same
    state, so every pump-side limit applies whatever the source."""
    lk = link()
    for index, ((command, payload), from_loop, pause) in enumerate(script):
        device: RemoteDevice = lk.loop if from_loop else lk.phone
        data = device.send(command, payload, (rid_base + index) % 2**32)
        decoded = decode(data)
        assert isinstance(decoded, tuple)
        before = lk.shell.state
        direct = step(C, before, kernel_event(decoded[0], before.now_ticks))
        result = lk.channel.receive(data)
        assert result.step is not None
        assert result.step.outcome == direct.outcome and result.step.commands == direct.commands
        assert result.step.state == direct.state
        lk.shell.advance_to(lk.shell.now + pause)
