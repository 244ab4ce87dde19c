"""Fuzzing: random bytes into ``kernel.record.decode``, random objects into ``kernel.step``.

Neither may raise (INP-1, PER-3); ``decode`` of anything but an intact record
is ``Corrupt``, and a corrupted intact record is never read as a different
state (PER-1, PER-3).  ``step`` with a random object refuses it without a
change (INP-1, INP-2).  The counts of events run and failures found are in
the deep profile's output (``make deep``) and the closing notes.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from kernel import events as ev
from kernel.config import DEFAULT_CONFIG
from kernel.record import Corrupt, Decoded, decode, encode
from property_tests.conftest import scale
from property_tests.world import ODD_VALUES, RandomChooser, World, hostile_event, random_event, settings_presets

_RECORD = None


def _record() -> bytes:
    global _RECORD
    if _RECORD is None:
        world = World.fresh(DEFAULT_CONFIG)
        world.set_up(settings_presets(DEFAULT_CONFIG)[0])
        for _ in range(30):
            world.apply(ev.Tick(world.now + 1))
            world.answer_all("exact")
        _RECORD = encode(world.config, world.state)
    return _RECORD


@settings(max_examples=scale(ci=300, quick=30, deep=100_000))
@given(data=st.binary(max_size=4096))
def test_decode_random_bytes_never_raises(data: bytes) -> None:
    """Random bytes are ``Corrupt`` (PER-3), never an exception."""
    assert isinstance(decode(data), Corrupt)


@settings(max_examples=scale(ci=300, quick=30, deep=100_000))
@given(position=st.integers(0, 10**6), value=st.integers(0, 255), cut=st.booleans())
def test_decode_corrupted_record(position: int, value: int, cut: bool) -> None:
    """One byte changed or the record cut short: ``Corrupt``, or the very same state (PER-1, PER-3)."""
    record = _record()
    index = position % len(record)
    damaged = record[:index] if cut else record[:index] + bytes([value]) + record[index + 1 :]
    result = decode(damaged)
    if damaged == record:
        assert isinstance(result, Decoded)
    else:
        assert isinstance(result, Corrupt), f"damaged record read back at byte {index}"


@settings(max_examples=scale(ci=100, quick=10, deep=20_000))
@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(), lambda c: st.lists(c)))
def test_decode_any_object(value: object) -> None:
    """Objects that are not bytes are ``Corrupt`` (PER-3)."""
    assert isinstance(decode(value), Corrupt)


@settings(max_examples=scale(ci=200, quick=20, deep=100_000))
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 60))
def test_step_random_events(seed: int, steps: int) -> None:
    """Random and hostile events from a delivering pump: nothing raises, every invariant holds (INP-1, INP-2)."""
    world = World.fresh(DEFAULT_CONFIG)
    world.set_up(settings_presets(DEFAULT_CONFIG)[seed % 3])
    chooser = RandomChooser(random.Random(seed))
    for _ in range(steps):
        world.apply(hostile_event(world, chooser) if chooser.integers(0, 1) else random_event(world, chooser))


@settings(max_examples=scale(ci=200, quick=20, deep=100_000))
@given(
    event=st.one_of(
        st.sampled_from(ODD_VALUES),
        st.builds(ev.Tick, st.integers(), st.booleans()),
        st.builds(ev.BolusRequest, st.integers(), st.integers(), st.integers(), st.integers(), st.integers()),
        st.builds(ev.MotorReport, st.integers(), st.integers(), st.integers(), st.integers(), st.integers()),
        st.builds(ev.GlucoseReading, st.integers(), st.integers(), st.integers(), st.integers()),
        st.builds(ev.TimeOffsetChange, st.integers(), st.integers()),
        st.builds(ev.AlarmAck, st.integers(), st.integers()),
        st.builds(ev.Tick, st.one_of(st.floats(), st.text(), st.none()), st.integers()),
    )
)
def test_step_arbitrary_objects(event: object) -> None:
    """Arbitrary values built into event classes, or no event at all (INP-1, CLK-2)."""
    world = World.fresh(DEFAULT_CONFIG)
    world.apply(event)
