"""Fast kernel tests of persistence and recovery that close surviving mutants (issue 15).

Theory of operation
-------------------
The tests that drove ``kernel.recovery`` all lived in ``tests/adapters``
(``test_recovery.py``, ``test_journal.py``, ``test_crash.py``), which the
per-mutant selection leaves out, so most of its mutants had no test at all.
The tests here pin, at the kernel's own interface and in milliseconds, what
PER-1..PER-4 ask of the record and of the replacement state: the rings a
surviving history rebuilds (each delivery in the bucket that covers its age),
the worst case assumed without one, the refusals of set-up input, the exact
reason a record is refused, the canonical record bytes, and the reading
forward of a version-1 record.  Each test names in its docstring the
requirement IDs and the mutants it kills: each mutant's source, from
``property_tests.mutation_apply``, fails the test in a scratch tree that the
shipped kernel passes (``python -m property_tests.mutation_apply MUTANT
tests/test_mutation_gaps_persistence.py::TEST`` prints KILLS).

Units: ``_ticks`` (1 tick = 1 min), ``_pulses``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from kernel import events as ev
from kernel.config import PumpConfig, config_problems
from kernel.events import GlucoseStatus, TempKind
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.record import FORMAT, VERSION, Corrupt, Decoded, decode, encode, implausible
from kernel.recovery import replacement_state
from kernel.settings import TherapySettings, settings_problems
from kernel.state import PumpState, Windows, evolve, initial_state, is_record
from kernel.units import DAY_RING, HOUR_RING, IOB_BUCKET_TICKS, IOB_RING, TICKS_PER_DAY
from tests.helpers import C, Pump, assert_refused, delivering_pump, flat_settings, next_request_id
from tests.test_record import _as_version_1

SETTINGS = flat_settings(0)
"""No basal, so only the tests' boluses touch the windows (limits: 300 pulses an hour, 1600 a day, IOB 400)."""


def _ring(size: int, buckets: dict[int, int]) -> tuple[int, ...]:
    """A whole ring (current bucket first) with ``buckets`` (position -> pulses), zero elsewhere."""
    return tuple(buckets.get(position, 0) for position in range(size))


def _windows(hour: tuple[int, ...], day: tuple[int, ...], iob: tuple[int, ...]) -> Windows:
    """The ``Windows`` of three whole rings with every phase at 0 (built field by field, not by the kernel)."""
    return Windows(
        hour_now_pulses=hour[0],
        hour_past_pulses=hour[1:],
        hour_total_pulses=sum(hour),
        hour_phase_ticks=0,
        day_now_pulses=day[0],
        day_past_pulses=day[1:],
        day_total_pulses=sum(day),
        day_phase_ticks=0,
        iob_now_pulses=iob[0],
        iob_past_pulses=iob[1:],
        iob_phase_ticks=0,
    )


def _round_trips(config: PumpConfig, state: PumpState) -> None:
    """PER-1: the state is written and read back whole, bit-exact, and nothing in it is implausible."""
    record = encode(config, state)
    assert decode(record) == Decoded(config, state)
    assert implausible(config, state) == ()


# --- kernel.recovery: rebuilt from a surviving history (PER-4) ---------------------------------------

# (ticks_ago, pulses) of the last 24 hours; with C's buckets (hour 5 ticks, day 60, IOB 10) a delivery
# t ticks ago lies in position ceil(t / L) of a ring of L-tick buckets, and leaves the ring past its end.
HISTORY: list[tuple[int, int]] = [
    (0, 3),  # hour 0, day 0, IOB 0
    (1, 5),  # hour 1, day 1, IOB 1
    (5, 7),  # hour 1, day 1, IOB 1
    (6, 11),  # hour 2, day 1, IOB 1
    (30, 0),  # an entry of 0 pulses is valid and counts nothing
    (60, 13),  # hour 12 (the ring's last), day 1, IOB 6
    (61, 17),  # hour 13: past the hour ring; day 2, IOB 7
    (65, 19),  # hour 13: past the hour ring; day 2, IOB 7
    (480, 23),  # day 8, IOB 48 (the ring's last)
    (481, 29),  # day 9, IOB 49: past the IOB ring
    (1439, 31),  # day 24 (the ring's last)
]
HISTORY_WINDOWS = _windows(
    _ring(HOUR_RING, {0: 3, 1: 5 + 7, 2: 11, 12: 13}),
    _ring(DAY_RING, {0: 3, 1: 5 + 7 + 11 + 13, 2: 17 + 19, 8: 23, 9: 29, 24: 31}),
    _ring(IOB_RING, {0: 3, 1: 5 + 7 + 11, 6: 13, 7: 17 + 19, 48: 23}),
)


def test_a_surviving_history_is_rebuilt_into_the_bucket_of_each_delivery_s_age() -> None:
    """PER-4, PER-2, LIM-1, LIM-2, LIM-4: every delivery of the history counts in the hour, day and IOB bucket that
    covers its age (current bucket for an age of 0, ceil(age / bucket) otherwise, none past the ring's end), every
    phase at 0; the rest is a new pump at the given time in REWOUND with the given settings, and it is a valid record.

    Kills kernel.recovery.x__bucket__mutmut_1..4, x__ring__mutmut_1..12, x_rebuilt_windows__mutmut_1..24,
    x_windows_of__mutmut_2, 6, 23, 24, 26, 27, 28, 30, 31, 32, 33, x_replacement_state__mutmut_19, 20, 35..41, 43,
    44, 46..50, 57..60.
    """
    state = replacement_state(C, SETTINGS, now_ticks=5000, time_of_day_ticks=700, deliveries=HISTORY)
    assert state.windows == HISTORY_WINDOWS
    assert state == initial_state(C, 5000, 700)._replace(settings=SETTINGS, windows=HISTORY_WINDOWS)
    assert state.mode == Mode.REWOUND
    _round_trips(C, state)


def test_no_history_assumes_the_worst() -> None:
    """PER-4, PER-3, LIM-2: without a history the hour and day windows are full (their limits, all in the current
    bucket), IOB is at its maximum, 1440 minutes of unknown history count down, the time is 0:00 at tick 0 unless
    told, and the state is a valid record.

    Kills kernel.recovery.x_replacement_state__mutmut_2, 30, x_worst_case_windows__mutmut_9, 10, 11, 14, 15, 16,
    19, 20, 21.
    """
    state = replacement_state(C, SETTINGS)
    worst = _windows(
        _ring(HOUR_RING, {0: SETTINGS.max_hourly_pulses}),
        _ring(DAY_RING, {0: SETTINGS.max_daily_pulses}),
        _ring(IOB_RING, {0: SETTINGS.max_iob_pulses}),
    )
    fresh = initial_state(C, 0, 0)
    assert state == fresh._replace(
        settings=SETTINGS, windows=worst, timers=fresh.timers._replace(history_unknown_ticks=TICKS_PER_DAY)
    )
    _round_trips(C, state)


def _ready(state: PumpState) -> Pump:
    """The replacement pump after the reservoir-change sequence (priming never counts in the windows: RES-3)."""
    pump = Pump(config=C, state=state)
    for event in (ev.FillReservoir(0, 4000), ev.PrimeTubing(0, 20), ev.FillCannula(0, 10), ev.Resume(0)):
        pump.accept(event)
    assert pump.mode == Mode.DELIVERING
    return pump


@pytest.mark.parametrize("ticks_ago", [0, 1, 4, 5, 59])
def test_a_rebuilt_delivery_blocks_the_hourly_limit_for_at_least_60_minutes(ticks_ago: int) -> None:
    """PER-4, LIM-1: a rebuilt delivery that filled the hourly limit keeps every bolus out until at least 60
    minutes after it was commanded (HOURLY_LIMIT), and no longer than the ring covers (65 minutes with 5-minute
    buckets); then a bolus is accepted.

    Kills kernel.recovery.x__bucket__mutmut_1, 2, 3 (x__bucket__mutmut_4 counts a delivery one bucket younger: longer,
    never shorter; the exact rings of the test above kill it).
    """
    pump = _ready(replacement_state(C, SETTINGS, deliveries=[(ticks_ago, SETTINGS.max_hourly_pulses)]))
    while ticks_ago + pump.now <= 60:
        assert_refused(pump, ev.BolusRequest(pump.now, next_request_id(), ev.Source.USER, 1), Reason.HOURLY_LIMIT)
        pump.tick()
    pump.ticks(65 - (ticks_ago + pump.now) + 1)
    assert pump.bolus(1).outcome.accepted


@pytest.mark.parametrize(
    ("hour_pulses", "day_pulses"),
    [(300, 300), (100, 1600)],
    ids=["hour-exactly-full", "day-exactly-full"],
)
def test_a_history_exactly_at_a_limit_is_accepted(hour_pulses: int, day_pulses: int) -> None:
    """PER-4, LIM-1, LIM-2: a history that fills the hourly or the daily limit exactly is rebuilt, not refused.

    Kills kernel.recovery.x_replacement_state__mutmut_52, 53.
    """
    rest = day_pulses - hour_pulses
    deliveries = [(0, hour_pulses)] + [(120 + 60 * i, 100) for i in range(rest // 100)]
    state = replacement_state(C, SETTINGS, deliveries=deliveries)
    assert (state.windows.hour_total_pulses, state.windows.day_total_pulses) == (hour_pulses, day_pulses)


@pytest.mark.parametrize(
    "deliveries",
    [[(0, 301)], [(0, 100)] + [(120 + 60 * i, 100) for i in range(15)] + [(1000, 1)]],
    ids=["hour-above", "day-above"],
)
def test_a_history_above_a_limit_is_refused(deliveries: list[tuple[int, int]]) -> None:
    """PER-4: a history holding more than the settings' hourly or daily limit is refused with the reason (the shell
    then assumes the worst, adapters.recovery).

    Kills kernel.recovery.x_replacement_state__mutmut_51, 54, 55, 56.
    """
    with pytest.raises(ValueError) as refusal:
        replacement_state(C, SETTINGS, deliveries=deliveries)
    assert str(refusal.value) == "the history holds more than the settings' hourly or daily limit"


BAD_DELIVERIES: list[tuple[object, object]] = [
    (-1, 1),
    (TICKS_PER_DAY, 1),
    (TICKS_PER_DAY, 0),
    (0, -1),
    (1.0, 1),
    (True, 1),
    (0, 1.0),
    (0, True),
    ("0", "1"),
]


@pytest.mark.parametrize("delivery", BAD_DELIVERIES, ids=repr)
def test_a_delivery_outside_the_last_24_hours_or_ill_typed_is_refused(delivery: tuple[object, object]) -> None:
    """PER-4, INP-1 (set-up input): an entry of the history must be (ticks_ago 0..1439, pulses >= 0), plain ints;
    anything else is refused with the rule, never counted.

    Kills kernel.recovery.x_replacement_state__mutmut_32, 33, 34, 42, 45.
    """
    deliveries: Sequence[Any] = [(0, 1), delivery]
    with pytest.raises(ValueError) as refusal:
        replacement_state(C, SETTINGS, deliveries=deliveries)
    assert str(refusal.value) == f"a delivery is (ticks_ago 0..1439, pulses >= 0), not {delivery!r}"


def test_invalid_settings_are_refused_naming_every_broken_rule() -> None:
    """PER-4, CFG-1: a replacement state is never built with invalid settings; the refusal names every broken rule.

    Kills kernel.recovery.x_replacement_state__mutmut_3, 8, 9, 10, 11, 12, 13.
    """
    bad: TherapySettings = SETTINGS._replace(max_bolus_pulses=10**6)
    rules = settings_problems(C, bad)
    assert len(rules) >= 2
    for deliveries in (None, [(0, 1)]):
        with pytest.raises(ValueError) as refusal:
            replacement_state(C, bad, deliveries=deliveries)
        assert str(refusal.value) == "invalid settings: " + ", ".join(rule.name for rule in rules)


# --- kernel.record: the reason a record is refused (PER-3) -------------------------------------------


def _state_with(**changes: Any) -> PumpState:
    """A delivering pump's state with some fields of its sub-records changed (``windows={"x": 1}``)."""
    state = delivering_pump(SETTINGS).state
    return evolve(state, **{name: evolve(getattr(state, name), **fields) for name, fields in changes.items()})


PLANTED: dict[str, tuple[Callable[[], PumpState], str]] = {
    "mode": (lambda: evolve(delivering_pump(SETTINGS).state, mode=99), "mode"),
    "alarm status": (lambda: evolve(delivering_pump(SETTINGS).state, alarms=(7,) + (0,) * 11), "alarm status"),
    "temp kind": (lambda: _state_with(basal={"temp_kind": 9}), "temp kind"),
    "settings": (
        lambda: evolve(delivering_pump(SETTINGS).state, settings=SETTINGS._replace(max_bolus_pulses=10**6)),
        "settings",
    ),
    "time of day": (lambda: evolve(delivering_pump(SETTINGS).state, time_of_day_ticks=TICKS_PER_DAY), "time of day"),
    "reservoir": (
        lambda: _state_with(reservoir={"pulses": C.reservoir_capacity_pulses + 1}),
        "reservoir above capacity",
    ),
    "accumulator": (lambda: _state_with(basal={"acc": 6000}), "basal accumulator"),
    "day window": (
        lambda: _state_with(windows={"day_now_pulses": 1601, "day_total_pulses": 1601}),
        "day window above limit",
    ),
    "hour total": (lambda: _state_with(windows={"hour_total_pulses": 1}), "hour window total"),
    "day total": (lambda: _state_with(windows={"day_total_pulses": 1}), "day window total"),
    "hour phase": (lambda: _state_with(windows={"hour_phase_ticks": C.hour_bucket_ticks}), "hour phase"),
    "day phase": (lambda: _state_with(windows={"day_phase_ticks": C.day_bucket_ticks}), "day phase"),
    "iob phase": (lambda: _state_with(windows={"iob_phase_ticks": IOB_BUCKET_TICKS}), "iob phase"),
    "extended duration": (lambda: _state_with(bolus={"ext_duration_ticks": 0}), "extended duration"),
    "glucose edge": (lambda: _state_with(glucose={"edge": 2}), "glucose edge"),
    "glucose report use": (lambda: _state_with(glucose={"report_use": 99}), "glucose report use"),
    "request memory order": (lambda: _state_with(requests={"ticks": (0, 5) + (0,) * 598}), "request memory order"),
    "request outcome": (lambda: _state_with(requests={"outcomes": (99,) + (0,) * 599}), "request outcome"),
    "negative glucose": (lambda: _state_with(glucose={"measured_tick": -1}), "negative state.glucose.measured_tick"),
}


@pytest.mark.parametrize("name", list(PLANTED))
def test_an_implausible_state_is_named_exactly(name: str) -> None:
    """PER-3: a state no kernel run produces is named by exactly its broken check, alone, and its record is refused
    with that name (the reason the shell shows and logs); a phase equal to its bucket length is already outside.

    Kills kernel.record.x_implausible__mutmut_5, 28, 31, 35, 41, 48, 51, 54, 61, 65, 69, 70, 73, 76, 79, 81, 82, 86,
    95, 96, 98, 107.
    """
    build, problem = PLANTED[name]
    state = build()
    assert implausible(C, state) == (problem,)
    assert decode(encode(C, state)) == Corrupt("implausible values: " + problem)


def test_a_low_glucose_reading_is_plausible() -> None:
    """PER-1, PER-3, SEN-5: LOW readings (edge -1, by design) leave a state that is plausible and recorded whole,
    whether the LOW is the latest reading or an older one.

    Kills kernel.record.x_implausible__mutmut_7, 15, 16, 90, 91.
    """
    pump = delivering_pump(SETTINGS)
    pump.glucose(0, status=GlucoseStatus.LOW)
    assert pump.state.glucose.edge == -1
    _round_trips(C, pump.state)
    pump.ticks(5)
    pump.glucose(100)
    assert pump.state.glucose.older_edge[0] == -1
    _round_trips(C, pump.state)


def _body() -> dict[str, Any]:
    return dict(json.loads(encode(C, delivering_pump(SETTINGS).state).partition(b"\n")[2]))


def _sealed(data: dict[str, Any], version: int = VERSION) -> bytes:
    body = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("ascii")
    return FORMAT + b" " + str(version).encode() + b" " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def test_a_malformed_record_is_refused_with_the_path_of_the_bad_value() -> None:
    """PER-3: a well-sealed body with a wrong type, missing field or wrong-length list is refused naming where.

    Kills kernel.record.x__rebuild__mutmut_7, 21, 33, 37, x__rebuild_log__mutmut_47.
    """
    data = _body()
    data["state"]["glucose"]["valid"] = 1
    assert decode(_sealed(data)) == Corrupt("state.glucose.valid: expected a boolean")
    data = _body()
    del data["state"]["mode"]
    assert decode(_sealed(data)) == Corrupt(f"state: expected fields {list(PumpState._fields)}")
    for alarms in ([0] * 13, [0] * 11, {str(i): 0 for i in range(12)}):
        data = _body()
        data["state"]["alarms"] = alarms
        assert decode(_sealed(data)) == Corrupt("state.alarms: expected a list of 12")
    data = _body()
    data["state"]["log"]["entries"][0]["code"] = "7"
    assert decode(_sealed(data)) == Corrupt("state.log.entries[0].code: expected an integer")


def test_the_record_body_is_canonical_json() -> None:
    """PER-1: the body is canonical JSON (sorted keys, no spaces), so one state has exactly one record.

    Kills kernel.record.x_encode__mutmut_4, 5, 7, 8, 17.
    """
    record = encode(C, delivering_pump(SETTINGS).state)
    header, _, body = record.partition(b"\n")
    assert body == json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode("ascii")
    assert b" " not in body
    assert header == FORMAT + b" " + str(VERSION).encode() + b" " + hashlib.sha256(body).hexdigest().encode()


def _version_1_body(state: PumpState) -> dict[str, Any]:
    """The body version 1 wrote for ``state`` (one previous glucose reading, no repetition timers)."""
    return dict(json.loads(_as_version_1(C, state).partition(b"\n")[2]))


def test_a_version_1_record_with_its_whole_glucose_history_reads_forward_exactly() -> None:
    """PER-1, PER-4: when version 1 held every reading the pump had (a LOW, then one more), the record read forward
    is the state itself: the older readings it could not hold are unknown exactly as on a new pump (0, invalid).

    Kills kernel.record.x__from_version_1__mutmut_61, 62, 75, 76.
    """
    pump = delivering_pump(SETTINGS)
    pump.ticks(3)
    pump.glucose(0, status=GlucoseStatus.LOW)
    pump.ticks(7)
    pump.glucose(140)
    state = pump.state
    assert state.glucose.older_ticks[0] == 3 and state.glucose.older_edge[0] == -1
    assert state.timers.alarm_repeat_countdown_ticks == 0 and state.timers.alarm_repeats == 0
    assert decode(_sealed(_version_1_body(state), version=1)) == Decoded(C, state)


@pytest.mark.parametrize(
    ("where", "value", "reason"),
    [
        ("state", [], None),
        ("state", "x", None),
        ("timers", None, "malformed version-1 record"),
        ("timers", [], "malformed version-1 record"),
        ("glucose", "prev_mgdl prev_measured_tick prev_valid prev_edge", "malformed version-1 record"),
    ],
    ids=["state-list", "state-text", "timers-null", "timers-list", "glucose-text"],
)
def test_a_malformed_version_1_record_is_corrupt_never_an_exception(
    where: str, value: object, reason: str | None
) -> None:
    """PER-3, INP-1: decode never raises, also on a version-1 body of the wrong shape; a bad glucose or timers
    record is named as a malformed version-1 record.

    Kills kernel.record.x__from_version_1__mutmut_6, 29, 37.
    """
    data = _version_1_body(delivering_pump(SETTINGS).state)
    if where == "state":
        data["state"] = value
    else:
        data["state"][where] = value
    result = decode(_sealed(data, version=1))
    assert isinstance(result, Corrupt), result
    if reason is not None:
        assert result.reason == reason


# --- kernel.state: the record helpers ----------------------------------------------------------------


def test_is_record_answers_for_records_and_events_not_for_their_classes() -> None:
    """State helpers (used to walk every field of a state or event, tests/test_units.py): a state, a sub-record and
    an event are records; their classes, a plain tuple and an int are not.

    Kills kernel.state.x_is_record__mutmut_1, 2, 4, 8, 9, 10, 11.
    """
    state = initial_state(C)
    event = ev.TempBasal(0, 1, ev.Source.USER, TempKind.PERCENT, 150, 30)
    assert is_record(state) and is_record(state.windows) and is_record(event)
    assert not any(is_record(value) for value in (PumpState, Windows, type(event), (1, 2), 3))


# --- kernel.record: the framing and every refusal's reason (PER-1, PER-3) ----------------------------

GOOD = encode(C, delivering_pump(SETTINGS).state)
HEADER, _, BODY = GOOD.partition(b"\n")


def _resealed(body: bytes, version: bytes = str(VERSION).encode()) -> bytes:
    return FORMAT + b" " + version + b" " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def _edited_body(edit: Callable[[dict[str, Any]], object]) -> bytes:
    data = json.loads(BODY)
    edit(data)
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def _set_config(name: str, value: object) -> Callable[[dict[str, Any]], object]:
    return lambda data: data["config"].__setitem__(name, value)


REFUSALS: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "not a pumpkernel record"),
    "double-space-header": (HEADER.replace(b" ", b"  ", 1) + b"\n" + BODY, "not a pumpkernel record"),
    "tab-in-header": (HEADER.replace(b" ", b"\t", 1) + b"\n" + BODY, "not a pumpkernel record"),
    "crlf-header": (HEADER + b"\r\n" + BODY, "checksum mismatch"),
    "version-3": (HEADER.replace(b" 2 ", b" 3 ") + b"\n" + BODY, "unknown record version b'3'"),
    "flipped-body-byte": (HEADER + b"\n" + BODY.replace(b'"mode":', b'"mode" ', 1), "checksum mismatch"),
    "body-a-list": (_resealed(b"[]"), "malformed record body"),
    "version-a-string": (_resealed(_edited_body(lambda d: d.__setitem__("version", "2"))), "malformed record body"),
    "config-invalid": (
        _resealed(_edited_body(_set_config("hour_bucket_ticks", 0))),
        "the recorded configuration is not valid",
    ),
    "two-implausible": (
        _resealed(
            _edited_body(
                lambda d: (d["state"].__setitem__("mode", 99), d["state"]["basal"].__setitem__("temp_kind", 9))
            )
        ),
        "implausible values: mode, temp kind",
    ),
    "not-json": (_resealed(b"{"), "unreadable: JSONDecodeError"),
    "not-ascii": (_resealed(b'{"\xff":1}'), "unreadable: UnicodeDecodeError"),
    "alarm-not-an-integer": (
        _resealed(_edited_body(lambda d: d["state"]["alarms"].__setitem__(3, "0"))),
        "state.alarms[3]: expected an integer",
    ),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_every_refused_record_carries_its_reason(name: str) -> None:
    """PER-3: a record that cannot be trusted is refused with the reason the shell shows and logs: the header is
    exactly "PUMPKERNEL-RECORD <version> <sha256>" (no other whitespace, no carriage return), the version is known,
    the checksum matches, the body is a record of a valid configuration and plausible values.

    Kills kernel.record.x__decode__mutmut_11, 20, 21, 22, 34, 35, 42, 43, 44, 61, 62, 63, 72, 73, 74, 102, 103, 104,
    132, x_decode__mutmut_5, x__rebuild__mutmut_41.
    """
    record, reason = REFUSALS[name]
    assert decode(record) == Corrupt(reason)


def test_the_header_is_the_first_line_and_the_checksum_covers_the_rest() -> None:
    """PER-1: the header is the record's first line; everything after it is the body, checksummed as a whole, so a
    body that holds a line break (whitespace between JSON tokens) is read by its values.

    Kills kernel.record.x__decode__mutmut_8.
    """
    body = BODY.replace(b'"state":', b'"state":\n', 1)
    decoded = decode(_resealed(body))
    assert decoded == decode(GOOD) and isinstance(decoded, Decoded)


def test_a_record_of_the_scaled_down_search_pump_reads_back() -> None:
    """PER-1: the record keeps any structurally valid configuration, also one outside the clinical catalogue (the
    scaled-down pump of the small-scope search); only the structural rules make a configuration unreadable.

    Kills kernel.record.x__decode__mutmut_100, 101 (the clinical rules applied on reading).
    """
    from property_tests.small_scope_roots import SMALL_CONFIG

    assert config_problems(SMALL_CONFIG) != () and config_problems(SMALL_CONFIG, clinical=False) == ()
    _round_trips(SMALL_CONFIG, initial_state(SMALL_CONFIG))
