"""Kernel findings of the property tests, kept as regression tests.

A finding that is not fixed yet is ``xfail(strict=True)``: it fails today as
expected, and the day the kernel is fixed it passes, which fails the suite
until the marker is removed, so a fix is never silent.  (Fixed: the record's
plausibility check no longer rejects the event log's signed values.)
"""

from __future__ import annotations

from kernel import events as ev
from kernel.config import DEFAULT_CONFIG
from kernel.record import Decoded, decode, encode
from kernel.state import PumpState
from property_tests.world import World, settings_presets

RECORD_LOG_FINDING = (
    "(fixed) record.implausible rejected negative log fields that kernel.step itself writes: "
    "EVENT_REFUSED code -1 for a non-event, TIME_CHANGED notice a < 0 for a backward time change (PER-1, PER-3)"
)


def log_has_negative_field(state: PumpState) -> bool:
    """True when the event log holds a negative number (what ``RECORD_LOG_FINDING`` trips on)."""
    return any(min(e.seq, e.tick, e.kind, e.code, e.a, e.b) < 0 for e in state.log.entries)


def _round_trips(state: PumpState) -> bool:
    decoded = decode(encode(DEFAULT_CONFIG, state))
    return isinstance(decoded, Decoded) and decoded.state == state


def test_record_round_trip_after_a_refused_non_event() -> None:
    """PER-1: the state after refusing a non-event (logged with event index -1) is written and read back."""
    world = World.fresh(DEFAULT_CONFIG)
    world.apply(None)
    assert _round_trips(world.state)


def test_record_round_trip_after_a_backward_time_change() -> None:
    """PER-1, BAS-3: the state after a time change of -60 minutes (logged as a negative delta) reads back."""
    world = World.fresh(DEFAULT_CONFIG)
    world.set_up(settings_presets(DEFAULT_CONFIG)[0])
    assert world.apply(ev.TimeOffsetChange(0, -60)).outcome.accepted
    assert _round_trips(world.state)
