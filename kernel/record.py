"""The persistent record: configuration and state as versioned, checksummed bytes.

Theory of operation
-------------------
``encode(config, state)`` writes one record: a header line with the format
name, the version and the SHA-256 of the body, then the body, canonical JSON
of the configuration and the state (sorted keys, no spaces, integers and
booleans only).  ``decode(record)`` reverses it exactly: ``decode(encode(x))``
gives back equal values and ``encode`` of those gives back the same bytes
(PER-1).

``decode`` never raises.  Anything wrong (bad header, unknown version, wrong
checksum, malformed JSON, a missing or extra field, a wrong type, a tuple of
the wrong length, an invalid configuration) gives ``Corrupt`` with the
reason; the shell must then start the pump suspended with an alarm, never
from a default state that delivers (PER-3, ``adapters.persistence``).

The shape of every value is taken from a template (``initial_state``), so the
reader accepts exactly what the writer can produce.  A record whose checksum
matches can still hold values no run of the kernel produces (a writer bug, a
hand-edited file with a recomputed checksum); ``implausible`` checks the
values too (every code inside its enumeration, every counter non-negative,
the settings valid, the reservoir within capacity, the dose windows within
their limits, the phases and the time of day in range) and such a record is
``Corrupt`` as well.

A record of an earlier version is read forward, never thrown away: losing it
would send the shell to recovery and forget the dose history (PER-4).
Version 1 (before the four-reading glucose trend and alarm repetition) held
one previous glucose reading and no repetition timers; ``_from_version_1``
puts that reading first among the older ones (the others unknown), starts
the repetition timers at 0 (nothing repeated yet), and gives the
configuration the new parameters' documented defaults
(``V1_CONFIG_DEFAULTS``).  Everything else is read and checked as usual.

Requirements served: PER-1, PER-3 (detection), PER-4 (upgrade keeps the
history), ALM-3 (alarms are part of the record).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from kernel.alarms import AlarmStatus
from kernel.commands import GlucoseUse
from kernel.config import CONFIG_BOOL_FIELDS, PumpConfig, config_problems
from kernel.events import Source, TempKind
from kernel.log import LOG_CAPACITY, EventLog, LogEntry
from kernel.logic import total
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.settings import settings_problems, settings_well_typed
from kernel.state import PumpState, initial_state
from kernel.units import ACC_UNITS_PER_PULSE, IOB_BUCKET_TICKS, TICKS_PER_DAY

FORMAT = b"PUMPKERNEL-RECORD"
VERSION = 2
READABLE_VERSIONS = (1, 2)
"""Versions ``decode`` reads: the current one, and version 1 read forward."""

V1_CONFIG_DEFAULTS: dict[str, int] = {
    "lgs_predict_band_mgdl": 20,
    "lgs_trend_span_min_ticks": 9,
    "lgs_min_ticks": 30,
    "lgs_resume_margin_mgdl": 20,
    "alarm_repeat_ticks": 15,
}
"""The configuration fields added after version 1, with the documented defaults (docs/configuration.md)."""


@dataclass(frozen=True)
class Decoded:
    """A record that read back whole."""

    config: PumpConfig
    state: PumpState


@dataclass(frozen=True)
class Corrupt:
    """A record that cannot be trusted, and why (PER-3)."""

    reason: str


class _Invalid(Exception):
    pass


def _is_record(value: Any) -> bool:
    """A ``NamedTuple`` record of the kernel (a tuple with named fields)."""
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if _is_record(value):
        return {name: _plain(getattr(value, name)) for name in type(value)._fields}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    raise _Invalid(f"cannot record a {type(value).__name__}")


def encode(config: PumpConfig, state: PumpState) -> bytes:
    """The record of ``config`` and ``state`` (PER-1)."""
    body = json.dumps(
        {"version": VERSION, "config": _plain(config), "state": _plain(state)},
        sort_keys=True,
        separators=(",", ":"),
    ).encode("ascii")
    digest = hashlib.sha256(body).hexdigest().encode("ascii")
    return FORMAT + b" " + str(VERSION).encode("ascii") + b" " + digest + b"\n" + body


def _rebuild(template: Any, data: Any, path: str) -> Any:
    if isinstance(template, EventLog):
        return _rebuild_log(data, path)
    if isinstance(template, bool):
        if type(data) is not bool:
            raise _Invalid(f"{path}: expected a boolean")
        return data
    if isinstance(template, int):
        if type(data) is not int:
            raise _Invalid(f"{path}: expected an integer")
        return data
    if _is_record(template):
        names = list(type(template)._fields)
        if type(data) is not dict or sorted(data) != sorted(names):
            raise _Invalid(f"{path}: expected fields {names}")
        return type(template)(**{n: _rebuild(getattr(template, n), data[n], f"{path}.{n}") for n in names})
    if isinstance(template, tuple):
        if type(data) is not list or len(data) != len(template):
            raise _Invalid(f"{path}: expected a list of {len(template)}")
        return tuple(_rebuild(t, d, f"{path}[{i}]") for i, (t, d) in enumerate(zip(template, data, strict=True)))
    raise _Invalid(f"{path}: unknown shape")


def _rebuild_log(data: Any, path: str) -> EventLog:
    if type(data) is not dict or sorted(data) != ["entries", "next_seq"]:
        raise _Invalid(f"{path}: expected an event log")
    entries = data["entries"]
    if type(entries) is not list or len(entries) > LOG_CAPACITY or type(data["next_seq"]) is not int:
        raise _Invalid(f"{path}: malformed event log")
    template = LogEntry(0, 0, 0, 0, 0, 0)
    rebuilt = tuple(_rebuild(template, entry, f"{path}.entries[{i}]") for i, entry in enumerate(entries))
    return EventLog(entries=rebuilt, next_seq=data["next_seq"])


def decode(record: object) -> Decoded | Corrupt:
    """Read a record back; ``Corrupt`` with the reason if it cannot be trusted (PER-1, PER-3)."""
    try:
        return _decode(record)
    except _Invalid as problem:
        return Corrupt(str(problem))
    except (ValueError, TypeError, KeyError, RecursionError, UnicodeDecodeError) as problem:
        return Corrupt(f"unreadable: {type(problem).__name__}")


def _decode(record: object) -> Decoded | Corrupt:
    if type(record) is not bytes:
        raise _Invalid("a record is bytes")
    header, newline, body = record.partition(b"\n")
    parts = header.split(b" ")
    if not newline or len(parts) != 3 or parts[0] != FORMAT:
        raise _Invalid("not a pumpkernel record")
    version = next((v for v in READABLE_VERSIONS if parts[1] == str(v).encode("ascii")), None)
    if version is None:
        raise _Invalid(f"unknown record version {parts[1]!r}")
    if hashlib.sha256(body).hexdigest().encode("ascii") != parts[2]:
        raise _Invalid("checksum mismatch")
    data = json.loads(body.decode("ascii"))
    if type(data) is not dict or sorted(data) != ["config", "state", "version"]:
        raise _Invalid("malformed record body")
    if type(data["version"]) is not int or data["version"] != version:
        raise _Invalid("malformed record body")
    if version == 1:
        data = _from_version_1(data)
    template_config = PumpConfig._make(False if name in CONFIG_BOOL_FIELDS else 0 for name in PumpConfig._fields)
    config = _rebuild(template_config, data["config"], "config")
    if config_problems(config, clinical=False):
        raise _Invalid("the recorded configuration is not valid")
    state = _rebuild(initial_state(config), data["state"], "state")
    if not settings_well_typed(state.settings):
        raise _Invalid("the recorded settings are ill-typed")
    problems = implausible(config, state)
    if problems:
        raise _Invalid("implausible values: " + ", ".join(problems))
    return Decoded(config=config, state=state)


def _from_version_1(data: dict[str, Any]) -> dict[str, Any]:
    """A version-1 body in the current shape (see module docstring); the usual checks follow."""
    config, state = data["config"], data["state"]
    if type(config) is not dict or type(state) is not dict:
        return data
    config = {**V1_CONFIG_DEFAULTS, **config}
    glucose, timers = state.get("glucose"), state.get("timers")
    previous = ("prev_mgdl", "prev_measured_tick", "prev_valid", "prev_edge")
    if type(glucose) is not dict or type(timers) is not dict or any(name not in glucose for name in previous):
        raise _Invalid("malformed version-1 record")
    old = {name: glucose.pop(f"prev_{name}") for name in ("mgdl", "measured_tick", "valid", "edge")}
    glucose["older_mgdl"] = [old["mgdl"], 0, 0]
    glucose["older_ticks"] = [old["measured_tick"], 0, 0]
    glucose["older_valid"] = [old["valid"], False, False]
    glucose["older_edge"] = [old["edge"], 0, 0]
    timers.setdefault("alarm_repeat_countdown_ticks", 0)
    timers.setdefault("alarm_repeats", 0)
    return {"config": config, "state": state, "version": VERSION}


# The valid codes of each enumeration, built once (implausible reads them for every array element).
_MODE_CODES = frozenset(Mode)
_ALARM_STATUS_CODES = frozenset(AlarmStatus)
_TEMP_KIND_CODES = frozenset(TempKind)
_SOURCE_CODES = frozenset(Source)
_GLUCOSE_USE_CODES = frozenset(GlucoseUse)
_REASON_CODES = frozenset(Reason)


def _negative_fields(value: Any, path: str) -> list[str]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [path] if value < 0 else []
    if _is_record(value):
        return [bad for name in type(value)._fields for bad in _negative_fields(getattr(value, name), f"{path}.{name}")]
    if isinstance(value, tuple):
        if all(type(item) is int for item in value) and min(value, default=0) >= 0:
            return []  # the common case, answered at once: an array of plain non-negative ints
        return [bad for i, item in enumerate(value) for bad in _negative_fields(item, f"{path}[{i}]")]
    return []


def implausible(config: PumpConfig, state: PumpState) -> tuple[str, ...]:
    """Every value of a well-shaped ``state`` that no run of the kernel produces (PER-3); empty if none.

    ``config`` must be valid.  Checks: codes inside their enumerations,
    counters non-negative (the event log's signed values aside), settings valid under ``config``, reservoir within
    capacity, dose windows within their limits, phases and time of day in
    range.  Never raises on a state of the right shape.
    """
    s = state
    st = s.settings
    # The event log records signed values (a backward time change, the index -1 of a non-event).
    # The glucose edge is -1 for a LOW, by design.
    plain = s._replace(
        log=EventLog((), 0), glucose=s.glucose._replace(edge=0, older_edge=(0,) * len(s.glucose.older_edge))
    )
    problems = [f"negative {path}" for path in _negative_fields(plain, "state")]
    checks = (
        ("mode", s.mode in _MODE_CODES),
        ("alarm status", all(status in _ALARM_STATUS_CODES for status in s.alarms)),
        ("temp kind", s.basal.temp_kind in _TEMP_KIND_CODES),
        ("temp source", s.basal.temp_source in _SOURCE_CODES),
        ("settings", not settings_problems(config, st)),
        ("time of day", s.time_of_day_ticks < TICKS_PER_DAY),
        ("reservoir above capacity", s.reservoir.pulses <= config.reservoir_capacity_pulses),
        ("basal accumulator", s.basal.acc < ACC_UNITS_PER_PULSE),
        ("hour window above limit", total(s.windows.hour_pulses) <= st.max_hourly_pulses),
        ("day window above limit", total(s.windows.day_pulses) <= st.max_daily_pulses),
        ("hour window total", s.windows.hour_total_pulses == total(s.windows.hour_pulses)),
        ("day window total", s.windows.day_total_pulses == total(s.windows.day_pulses)),
        ("hour phase", s.windows.hour_phase_ticks < config.hour_bucket_ticks),
        ("day phase", s.windows.day_phase_ticks < config.day_bucket_ticks),
        ("iob phase", s.windows.iob_phase_ticks < IOB_BUCKET_TICKS),
        ("extended duration", s.bolus.ext_duration_ticks >= 1),
        ("glucose edge", all(edge in (-1, 0, 1) for edge in (s.glucose.edge,) + s.glucose.older_edge)),
        ("glucose report use", s.glucose.report_use in _GLUCOSE_USE_CODES),
        ("request memory order", all(a >= b for a, b in zip(s.requests.ticks, s.requests.ticks[1:]))),
        ("request outcome", all(outcome in _REASON_CODES for outcome in s.requests.outcomes)),
    )
    problems.extend(name for name, holds in checks if not holds)
    return tuple(problems)
