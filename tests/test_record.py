"""The persistent record: bit-exact round trip, and every kind of corruption (PER-1, PER-3 detection, ALM-3).

PER-1: ``decode(encode(c, s))`` gives back equal values, ``encode`` of those
gives back the same bytes, and the decoded state behaves exactly like the
original (the next steps are identical), for a new pump, a pump in every
mode, every supported pulse size, and after two days of use with a full log.
ALM-3: active alarms survive the round trip.

Corruption: anything that is not a record the writer could have produced is
``Corrupt`` (with a reason), and ``decode`` never raises: wrong input types,
damaged headers, wrong versions, checksum mismatches from any changed bit or
truncation, and bodies re-sealed with a valid checksum but malformed
content (bad JSON, missing, extra or ill-typed fields, wrong tuple lengths,
an invalid configuration, an overlong log, deep nesting, non-ASCII bytes).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from typing import Any

import pytest

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.config import PumpConfig, make_config
from kernel.events import TempKind
from kernel.log import LOG_CAPACITY
from kernel.modes import Mode
from kernel.record import FORMAT, V1_CONFIG_DEFAULTS, VERSION, Corrupt, Decoded, decode, encode
from kernel.state import PumpState, initial_state
from kernel.step import step
from kernel.units import ALLOWED_PULSE_MU
from tests.helpers import C, Pump, delivering_pump, flat_settings, pump_in_mode, quiet_settings


def _round_trip(config: Any, state: PumpState) -> Decoded:
    record = encode(config, state)
    decoded = decode(record)
    assert isinstance(decoded, Decoded), decoded
    assert decoded.config == config
    assert decoded.state == state
    assert encode(decoded.config, decoded.state) == record, "bit-exact"
    return decoded


def _same_future(state: PumpState, decoded: PumpState, ticks: int = 30) -> None:
    """The original and the decoded state step identically."""
    a, b = state, decoded
    for _ in range(ticks):
        event = ev.Tick(a.now_ticks + 1)
        ra, rb = step(C, a, event), step(C, b, event)
        assert ra.commands == rb.commands and ra.outcome == rb.outcome
        a, b = ra.state, rb.state
        assert encode(C, a) == encode(C, b)


def test_new_pump_round_trip() -> None:
    """PER-1: a new pump's record reads back exactly."""
    _round_trip(C, initial_state(C))


@pytest.mark.parametrize("pulse_mu", ALLOWED_PULSE_MU)
def test_round_trip_for_every_pulse_size(pulse_mu: int) -> None:
    """PER-1: the configuration is part of the record, for every supported pulse size."""
    config = make_config(pulse_mu)
    _round_trip(config, initial_state(config))


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.name)
def test_round_trip_in_every_mode(mode: Mode) -> None:
    """PER-1, ALM-3: a pump in every mode, with its active alarms, reads back exactly and goes on the same."""
    pump = pump_in_mode(mode)
    decoded = _round_trip(C, pump.state)
    assert decoded.state.alarms == pump.state.alarms
    _same_future(pump.state, decoded.state)


def test_round_trip_after_two_days() -> None:
    """PER-1: after two days of basal, boluses, temps, alarms and a full log, the record is still exact."""
    pump = delivering_pump(quiet_settings(lgs_enabled=True), keep=False)
    for minute in range(2 * 1440):
        if minute % 180 == 0:
            pump.bolus(40, 20, 60)
        if minute % 300 == 7:
            pump.temp(TempKind.PERCENT, 120, 60)
        if minute % 5 == 0:
            pump.glucose(140 + (minute // 5) % 7)
        pump.tick()
    state = pump.state
    assert len(state.log.entries) == LOG_CAPACITY
    assert state.totals.bolus_pulses > 0
    decoded = _round_trip(C, state)
    _same_future(state, decoded.state, ticks=60)


def test_unacknowledged_alarm_survives_a_restart() -> None:
    """ALM-3: an alarm raised before a restart is still active after it, and still blocks what it blocks."""
    pump = pump_in_mode(Mode.OCCLUDED)
    decoded = decode(encode(C, pump.state))
    assert isinstance(decoded, Decoded)
    assert decoded.state.alarms[AlarmKind.OCCLUSION] == AlarmStatus.ACTIVE
    restarted = Pump(config=decoded.config, state=decoded.state)
    assert not restarted.do(ev.ClearLine(restarted.now)).outcome.accepted


# Corruption.

GOOD = encode(C, delivering_pump().state)
HEADER, _, BODY = GOOD.partition(b"\n")


def _reseal(body: bytes) -> bytes:
    """A record with a valid checksum around ``body``."""
    return FORMAT + b" " + str(VERSION).encode() + b" " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def _edited(edit: Callable[[dict[str, Any]], object]) -> bytes:
    data = json.loads(BODY)
    edit(data)
    return _reseal(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())


def test_reseal_of_the_unchanged_body_is_the_record() -> None:
    """The helper below builds valid records: resealing the body unchanged gives the record back."""
    assert _reseal(BODY) == GOOD
    assert _edited(lambda d: None) == GOOD


def _corrupt(record: object) -> str:
    result = decode(record)
    assert isinstance(result, Corrupt), result
    assert result.reason
    return result.reason


@pytest.mark.parametrize(
    "thing",
    [None, 0, "PUMPKERNEL-RECORD", bytearray(GOOD), memoryview(GOOD), [GOOD]],
    ids=lambda t: type(t).__name__,
)
def test_not_bytes(thing: object) -> None:
    """PER-3: only ``bytes`` can be a record."""
    _corrupt(thing)


@pytest.mark.parametrize(
    "record",
    [
        b"",
        b"\n",
        HEADER,
        BODY,
        b"PUMPKERNEL-RECORD 2\n" + BODY,
        b"PUMPKERNEL-RECORD 2 " + HEADER.split(b" ")[2] + b" extra\n" + BODY,
        HEADER.replace(b"PUMPKERNEL-RECORD", b"PUMPKERNEL-RECORX") + b"\n" + BODY,
        HEADER.replace(b" 2 ", b" 3 ") + b"\n" + BODY,
        HEADER.replace(b" 2 ", b" 02 ") + b"\n" + BODY,
        HEADER.upper() + b"\n" + BODY,
        GOOD + b" ",
        GOOD + b"\n",
        b"\n" + GOOD,
    ],
    ids=[
        "empty",
        "newline",
        "header-only",
        "body-only",
        "no-checksum",
        "four-fields",
        "format-name",
        "version-3",
        "version-02",
        "upper-case-checksum",
        "trailing-space",
        "trailing-newline",
        "leading-newline",
    ],
)
def test_damaged_header_or_framing(record: bytes) -> None:
    """PER-3: headers and framing other than the writer's are refused."""
    _corrupt(record)


def test_every_header_byte_matters() -> None:
    """PER-3: changing any single byte of the header is detected."""
    for index in range(len(HEADER)):
        damaged = bytearray(GOOD)
        damaged[index] ^= 0x01
        _corrupt(bytes(damaged))


def test_any_flipped_bit_in_the_body_is_detected() -> None:
    """PER-3: the checksum catches a single flipped bit anywhere in the body (sampled positions)."""
    rng = random.Random(7)
    for _ in range(300):
        index = len(HEADER) + 1 + rng.randrange(len(BODY))
        damaged = bytearray(GOOD)
        damaged[index] ^= 1 << rng.randrange(8)
        assert _corrupt(bytes(damaged))


def test_truncation_anywhere_is_detected() -> None:
    """PER-3: a record cut short at any point (power loss while writing) is refused."""
    for length in [*range(0, 120), *range(120, len(GOOD), 97), len(GOOD) - 1]:
        _corrupt(GOOD[:length])


def _set(path: list[Any], value: object) -> Callable[[dict[str, Any]], object]:
    def edit(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def _delete(path: list[Any]) -> Callable[[dict[str, Any]], object]:
    def edit(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return edit


def _too_many_log_entries(data: dict[str, Any]) -> None:
    entry = {"seq": 1, "tick": 0, "kind": 0, "code": 0, "a": 0, "b": 0}
    data["state"]["log"]["entries"] = [entry] * (LOG_CAPACITY + 1)


EDITS: dict[str, Callable[[dict[str, Any]], object]] = {
    "version-3": _set(["version"], 3),
    "version-1-in-a-version-2-record": _set(["version"], 1),
    "version-true": _set(["version"], True),
    "version-float": _set(["version"], 2.0),
    "version-string": _set(["version"], "2"),
    "no-version": _delete(["version"]),
    "extra-top-key": _set(["extra"], 1),
    "no-state": _delete(["state"]),
    "config-missing-field": _delete(["config", "pulse_mu"]),
    "config-extra-field": _set(["config", "colour"], 1),
    "config-float": _set(["config", "pulse_mu"], 50.0),
    "config-bool": _set(["config", "pulse_mu"], True),
    "config-invalid": _set(["config", "bolus_pulses_per_tick"], 0),
    "config-null": _set(["config"], None),
    "state-missing-field": _delete(["state", "mode"]),
    "state-extra-field": _set(["state", "colour"], 1),
    "state-bool-for-int": _set(["state", "now_ticks"], False),
    "state-int-for-bool": _set(["state", "motor", "uncertain"], 0),
    "state-string": _set(["state", "reservoir", "pulses"], "3970"),
    "state-float": _set(["state", "reservoir", "pulses"], 3970.0),
    "state-null": _set(["state", "totals"], None),
    "ring-too-short": _set(["state", "windows", "hour_past_pulses"], [0] * 11),
    "ring-too-long": _set(["state", "windows", "day_past_pulses"], [0] * 25),
    "ring-not-a-list": _set(["state", "windows", "iob_past_pulses"], {"0": 0}),
    "request-memory-too-short": _set(["state", "requests", "ids"], [0] * 599),
    "alarms-short": _set(["state", "alarms"], [0] * 11),
    "slots-short": _set(["state", "settings", "basal_slots_pph"], [0] * 47),
    "slot-bool": _set(["state", "settings", "basal_slots_pph", 0], True),
    "settings-bool-as-int": _set(["state", "settings", "lgs_enabled"], 1),
    "log-too-long": _too_many_log_entries,
    "log-entry-missing-field": _set(["state", "log", "entries"], [{"seq": 1}]),
    "log-next-seq-float": _set(["state", "log", "next_seq"], 1.5),
    "log-extra-field": _set(["state", "log", "colour"], 1),
    "log-not-a-dict": _set(["state", "log"], []),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_malformed_body_with_a_valid_checksum(name: str) -> None:
    """PER-3: bodies with a valid checksum but content the writer cannot produce are refused."""
    _corrupt(_edited(EDITS[name]))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b"null",
        b"1",
        b'"record"',
        b"NaN",
        BODY.replace(b'"version":2', b'"version":NaN'),
        BODY.replace(b'"version":2', b'"version":2e0'),
        b"[" * 100_000 + b"]" * 100_000,
        BODY.replace(b"{", b"{\xff", 1),
        BODY.replace(b"{", "{\u00e9".encode(), 1),
    ],
    ids=[
        "empty",
        "bad-json",
        "list",
        "null",
        "number",
        "string",
        "nan",
        "version-nan",
        "version-exponent",
        "deep-nesting",
        "non-utf8",
        "non-ascii",
    ],
)
def test_unreadable_body_with_a_valid_checksum(body: bytes) -> None:
    """PER-3: bodies that are not the writer's JSON are refused, never raised on."""
    _corrupt(_reseal(body))


def test_random_damage_never_raises() -> None:
    """PER-3: random byte edits, insertions and deletions, resealed or not: always a result, never an exception."""
    rng = random.Random(20240611)
    for _ in range(400):
        damaged = bytearray(BODY)
        for _ in range(rng.randint(1, 4)):
            index = rng.randrange(len(damaged))
            choice = rng.randrange(3)
            if choice == 0:
                damaged[index] = rng.randrange(256)
            elif choice == 1:
                del damaged[index]
            else:
                damaged.insert(index, rng.choice(b'{}[]",:0123456789-.truefalsn \xff'))
        result = decode(_reseal(bytes(damaged)))
        assert isinstance(result, Corrupt | Decoded)
        if isinstance(result, Decoded):  # e.g. whitespace inserted between tokens: same values
            again = decode(encode(result.config, result.state))
            assert isinstance(again, Decoded) and again.state == result.state
        assert isinstance(decode(HEADER + b"\n" + bytes(damaged)), Corrupt)


IMPLAUSIBLE: dict[str, tuple[Callable[[dict[str, Any]], object], str]] = {
    "mode-out-of-range": (_set(["state", "mode"], 99), "mode"),
    "alarm-status-out-of-range": (_set(["state", "alarms", 0], 7), "alarm status"),
    "temp-kind-out-of-range": (_set(["state", "basal", "temp_kind"], 9), "temp kind"),
    "temp-source-out-of-range": (_set(["state", "basal", "temp_source"], 9), "temp source"),
    "negative-reservoir": (_set(["state", "reservoir", "pulses"], -1), "negative state.reservoir.pulses"),
    "negative-bucket": (
        _set(["state", "windows", "iob_past_pulses", 3], -5),
        "negative state.windows.iob_past_pulses[3]",
    ),
    "reservoir-above-capacity": (
        _set(["state", "reservoir", "pulses"], C.reservoir_capacity_pulses + 1),
        "reservoir above capacity",
    ),
    "settings-invalid": (_set(["state", "settings", "max_bolus_pulses"], 10**6), "settings"),
    "time-of-day-past-midnight": (_set(["state", "time_of_day_ticks"], 1440), "time of day"),
    "accumulator-full": (_set(["state", "basal", "acc"], 6000), "basal accumulator"),
    "hour-window-above-limit": (_set(["state", "windows", "hour_now_pulses"], 10**5), "hour window above limit"),
    "day-window-above-limit": (_set(["state", "windows", "day_now_pulses"], 10**6), "day window above limit"),
    "hour-total-wrong": (_set(["state", "windows", "hour_total_pulses"], 1), "hour window total"),
    "request-memory-out-of-order": (_set(["state", "requests", "ticks", 1], 5), "request memory order"),
    "request-outcome-unknown": (_set(["state", "requests", "outcomes", 0], 99), "request outcome"),
    "glucose-edge": (_set(["state", "glucose", "edge"], 2), "glucose edge"),
    "hour-phase": (_set(["state", "windows", "hour_phase_ticks"], C.hour_bucket_ticks), "hour phase"),
    "day-phase": (_set(["state", "windows", "day_phase_ticks"], C.day_bucket_ticks), "day phase"),
    "iob-phase": (_set(["state", "windows", "iob_phase_ticks"], 10**3), "iob phase"),
    "extended-duration-zero": (_set(["state", "bolus", "ext_duration_ticks"], 0), "extended duration"),
}


@pytest.mark.parametrize("name", list(IMPLAUSIBLE))
def test_well_shaped_record_with_implausible_values_is_corrupt(name: str) -> None:
    """PER-3: a record of the right shape and checksum whose values no kernel run produces is refused, named."""
    edit, problem = IMPLAUSIBLE[name]
    reason = _corrupt(_edited(edit))
    assert reason.startswith("implausible values: ") and problem in reason, reason


def test_every_state_of_a_long_random_run_is_plausible() -> None:
    """PER-1, PER-3: the plausibility check refuses nothing the kernel produces (seeded random run)."""
    from kernel.record import implausible

    rng = random.Random(20261202)
    pump = delivering_pump()
    for _ in range(3000):
        choice = rng.randrange(10)
        if choice < 6:
            pump.do(ev.Tick(pump.now + 1))
        elif choice == 6:
            pump.do(ev.BolusRequest(pump.now, rng.randrange(1, 10**6), ev.Source.USER, rng.randrange(0, 60)))
        elif choice == 7:
            pump.do(ev.GlucoseReading(pump.now, pump.now, rng.randrange(40, 400)))
        elif choice == 8:
            pump.do(ev.Suspend(pump.now) if rng.random() < 0.5 else ev.Resume(pump.now))
        else:
            pump.do(ev.TempBasal(pump.now, rng.randrange(1, 10**6), ev.Source.USER, TempKind.PERCENT, 150, 30))
        assert implausible(C, pump.state) == (), pump.state
        if pump.now % 25 == 0:
            assert isinstance(decode(encode(C, pump.state)), Decoded)


def _as_version_1(config: PumpConfig, state: PumpState) -> bytes:
    """The record version 1 wrote for ``state`` (one previous glucose reading, no repetition timers)."""
    data = json.loads(encode(config, state).partition(b"\n")[2])
    for name in V1_CONFIG_DEFAULTS:
        del data["config"][name]
    glucose = data["state"]["glucose"]
    for name, older in (("mgdl", "older_mgdl"), ("measured_tick", "older_ticks"), ("valid", "older_valid")):
        glucose[f"prev_{name}"] = glucose.pop(older)[0]
    glucose["prev_edge"] = glucose.pop("older_edge")[0]
    del data["state"]["timers"]["alarm_repeat_countdown_ticks"], data["state"]["timers"]["alarm_repeats"]
    data["version"] = 1
    body = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("ascii")
    return FORMAT + b" 1 " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def test_a_version_1_record_is_read_forward_with_its_history() -> None:
    """PER-1, PER-4: a record written before the four-reading trend keeps its dose history, alarms and glucose
    readings (the previous reading becomes the first older one); nothing sends the pump to recovery."""
    pump = delivering_pump(flat_settings(60 * C.pulse_mu, lgs_enabled=True))
    pump.bolus(40)
    pump.ticks(10)
    pump.glucose(120)
    pump.ticks(5)
    pump.glucose(110)
    state = pump.state
    decoded = decode(_as_version_1(C, state))
    assert isinstance(decoded, Decoded), decoded
    assert decoded.config == C
    g = decoded.state.glucose
    assert (g.mgdl, g.older_mgdl, g.older_valid) == (110, (120, 0, 0), (True, False, False))
    assert decoded.state.windows == state.windows and decoded.state.totals == state.totals
    repetition_unknown = state.timers._replace(alarm_repeat_countdown_ticks=0, alarm_repeats=0)
    assert decoded.state.timers == repetition_unknown  # repetition starts afresh (an alarm may repeat early)
    assert decoded.state._replace(glucose=state.glucose, timers=state.timers) == state


def test_a_version_1_header_on_a_current_body_is_corrupt() -> None:
    """PER-3: a version-1 record must have version 1's shape (one previous reading); anything else is refused."""
    data = json.loads(encode(C, delivering_pump().state).partition(b"\n")[2])
    data["version"] = 1
    body = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("ascii")
    record = FORMAT + b" 1 " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
    decoded = decode(record)
    assert isinstance(decoded, Corrupt) and "version-1" in decoded.reason
