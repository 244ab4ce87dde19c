"""``pumpkernel vectors``: conformance test vectors as JSON lines, for firmware in any language.

Theory of operation
-------------------
A vector is one scenario run through the real kernel: the configuration, the
state it starts from, and for every step the event, the outcome, the commands
and the state fields that changed; then the whole final state.  Firmware
written in another language passes a vector when, fed the same events from
the same state, it produces the same outcomes, commands and states.

The file is JSON lines.  The first line is a header (format, the integer codes
of every enumeration: modes, reasons, notices, alarms, purposes, settings
rules, the event classes and their fields).  Each further line is a vector::

    {"id", "title", "requirements", "transitions", "config", "initial_state",
     "steps": [{"event": {"class", ...fields}, "outcome": {...},
                "commands": [...], "changes": {"path": value}, "mode"}],
     "final_state"}

Vectors with ``"kind": "calculator"`` are for the bolus calculator, a pure
function outside the step (``kernel.calculator.recommend``): configuration,
state, calculator settings, request, the tick of the last unconfirmed bolus,
and the whole recommendation (inputs, terms, caps, warnings).

States use the persistent record's canonical form (``kernel.record``: nested
objects, lists, integers and booleans; paths like ``bolus.remaining_pulses``
or ``alarms[3]``), and are read back with the kernel's own record reader.

Coverage: every entry of ``EVENT_TRANSITIONS`` and ``CONDITION_TRANSITIONS``
has a vector, and every requirement is named by a vector except those in
``NOT_IN_VECTORS`` (behaviour outside the kernel's step, with the reason).
``tests/test_vectors.py`` checks the coverage and that replaying every
vector through the kernel (``replay``) reproduces it exactly.

Where a condition takes hours to arise (a set at its maximum age, a reservoir
emptied, a command in flight in a mode that never sends one) the vector
*starts* from a state reached by events and then changed in that one field;
the initial state is part of the vector, so nothing is hidden.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.calculator import CalcRequest, GlucoseSource, recommend
from kernel.calculator_settings import CalculatorSettings, make_calculator_settings
from kernel.commands import Alarm, Deliver, Notice, NoticeKind, Purpose
from kernel.config import DEFAULT_CONFIG, ConfigRule, PumpConfig
from kernel.events import CancelTarget, GlucoseStatus, MotorFault, Source, TempKind
from kernel.log import LogKind
from kernel.modes import CONDITION_TRANSITIONS, EVENT_TRANSITIONS, Condition, Mode
from kernel.reasons import Reason, StopCause
from kernel.record import FORMAT as RECORD_FORMAT
from kernel.record import VERSION as RECORD_VERSION
from kernel.record import Corrupt, decode
from kernel.settings import SettingsRule, TherapySettings, make_settings
from kernel.state import PumpState, evolve, field_names, initial_state, is_record
from kernel.step import StepResult, step

HELP = "export conformance test vectors (JSON lines) covering every requirement and every mode transition"

FORMAT = "pumpkernel-vectors/1"

NOT_IN_VECTORS: dict[str, str] = {
    "PER-1": "Serialisation is the record format (kernel.record), not a step; every vector's states use it.",
    "PER-2": "Recovery after power loss is the persistence adapter's (tests/adapters crash test).",
    "PER-3": "Reading a corrupted record is the persistence adapter's.",
    "SEC-1": "Authentication of remote commands is the command channel's (adapters).",
    "PER-4": "The replacement state is built outside a step (kernel.recovery.replacement_state, tests/test_recovery "
    "and the persistence adapter's tests); vectors start from states reached by events.",
    "EVD-1": "About the evidence (the proof report's statuses), not the kernel's behaviour.",
    "EVD-2": "About the evidence (verdicts of partial or sampled runs), not the kernel's behaviour.",
}
"""Requirements no kernel vector can show, and why."""


# ---------------------------------------------------------------- encoding


def plain(value: Any) -> Any:
    """A kernel value as JSON data (the record's canonical form; enums as integers)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return value
    if is_record(value):
        return {name: plain(getattr(value, name)) for name in field_names(value)}
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode_event(event: object) -> dict[str, Any]:
    data: dict[str, Any] = {"class": type(event).__name__}
    for name in field_names(event):
        data[name] = plain(getattr(event, name))
    return data


def decode_event(data: dict[str, Any]) -> object:
    cls = getattr(ev, data["class"])
    fields = {k: v for k, v in data.items() if k != "class"}
    if cls is ev.SettingsChange and isinstance(fields.get("settings"), dict):
        s = dict(fields["settings"])
        s["basal_slots_pph"] = tuple(s["basal_slots_pph"])
        fields["settings"] = TherapySettings(**s)
    return cls(**fields)


def encode_command(command: object) -> dict[str, Any]:
    return {"type": type(command).__name__, **plain(command)}


def encode_outcome(result: StepResult) -> dict[str, Any]:
    o = result.outcome
    return {"reason": int(o.reason), "reason_name": o.reason.name, "replayed": o.replayed, "problems": list(o.problems)}


def flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaf paths of JSON data: ``a.b``, ``a[3]``."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from flatten(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from flatten(value, f"{prefix}[{index}]")
    else:
        yield prefix, data


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Leaves of ``after`` that differ from ``before`` (the log is compared whole, as its entries list).

    The same leaves, in the same order, as comparing ``flatten(after)`` with ``flatten(before)`` path by path;
    subtrees equal in both are skipped whole (most of a step's state is unchanged: the request memory alone is
    1,800 leaves).  Field names hold no ``.`` or ``[``, so a path names one place in either tree."""
    out: dict[str, Any] = {}
    b_log, a_log = before.get("log"), after.get("log")
    if b_log != a_log:
        out["log"] = a_log
    _differing({k: v for k, v in before.items() if k != "log"}, {k: v for k, v in after.items() if k != "log"}, "", out)
    return out


def _differing(before: Any, after: Any, prefix: str, out: dict[str, Any]) -> None:
    """Add to ``out`` the leaves of ``after`` (under ``prefix``) whose path in ``before`` is absent or different."""
    if type(before) is type(after) and before == after:
        return
    if isinstance(after, dict) and isinstance(before, dict):
        for key, value in after.items():
            path = f"{prefix}.{key}" if prefix else key
            if key in before:
                _differing(before[key], value, path, out)
            else:
                out.update(flatten(value, path))
    elif isinstance(after, list) and isinstance(before, list):
        for index, value in enumerate(after):
            path = f"{prefix}[{index}]"
            if index < len(before):
                _differing(before[index], value, path, out)
            else:
                out.update(flatten(value, path))
    else:
        old = dict(flatten(before, prefix))
        for path, value in flatten(after, prefix):
            if old.get(path, object()) != value:
                out[path] = value


def state_from(config: PumpConfig, data: dict[str, Any]) -> PumpState:
    """Read a state back with the kernel's record reader (``kernel.record.decode``)."""
    body = json.dumps(
        {"version": RECORD_VERSION, "config": plain(config), "state": data}, sort_keys=True, separators=(",", ":")
    ).encode("ascii")
    checksum = hashlib.sha256(body).hexdigest().encode("ascii")
    header = RECORD_FORMAT + b" " + str(RECORD_VERSION).encode("ascii") + b" " + checksum + b"\n"
    decoded = decode(header + body)
    if isinstance(decoded, Corrupt):
        raise ValueError(f"state does not read back: {decoded.reason}")
    return decoded.state


# ---------------------------------------------------------------- recording


@dataclass
class Recorder:
    """Drives the kernel and records a vector (see module docstring)."""

    id: str
    title: str
    requirements: list[str]
    config: PumpConfig = DEFAULT_CONFIG
    state: PumpState = field(default_factory=lambda: initial_state(DEFAULT_CONFIG))
    transitions: list[str] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    start: dict[str, Any] | None = None
    auto_confirm: bool = True

    def __post_init__(self) -> None:
        self.start = plain(self.state)
        self._plain: tuple[PumpState, dict[str, Any]] | None = None

    def _plain_state(self) -> dict[str, Any]:
        """``plain(self.state)``, kept from the step that made this state (records are immutable)."""
        if self._plain is None or self._plain[0] is not self.state:
            self._plain = (self.state, plain(self.state))
        return self._plain[1]

    @property
    def now(self) -> int:
        return self.state.now_ticks

    @property
    def mode(self) -> Mode:
        return Mode(self.state.mode)

    def restart_here(self) -> None:
        """Start the vector from the current state (dropping the steps that led here)."""
        self.steps = []
        self.start = plain(self.state)

    def surgery(self, **parts: Any) -> None:
        """Change state fields (``reservoir={"pulses": 0}``) and start the vector from the new state."""
        state = self.state
        for name, fields in parts.items():
            state = evolve(state, **{name: evolve(getattr(state, name), **fields)})
        self.state = state
        self.restart_here()

    def raw(self, event: object) -> StepResult:
        before = self._plain_state()
        result = step(self.config, self.state, event)
        after = plain(result.state)
        self._plain = (result.state, after)
        self.steps.append(
            {
                "event": encode_event(event),
                "outcome": encode_outcome(result),
                "commands": [encode_command(c) for c in result.commands],
                "changes": changes(before, after),
                "mode": Mode(result.state.mode).name,
            }
        )
        self.state = result.state
        return result

    def do(self, event: object) -> StepResult:
        result = self.raw(event)
        if self.auto_confirm:
            for command in result.commands:
                if isinstance(command, Deliver):
                    self.raw(ev.MotorReport(self.now, command.seq, command.pulses))
        return result

    def accept(self, event: object) -> StepResult:
        result = self.do(event)
        if not result.outcome.accepted:
            raise AssertionError(f"{self.id}: {type(event).__name__} refused: {result.outcome.reason.name}")
        return result

    def refuse(self, event: object, reason: Reason) -> StepResult:
        result = self.do(event)
        if result.outcome.reason != reason:
            raise AssertionError(f"{self.id}: expected {reason.name}, got {result.outcome.reason.name}")
        return result

    def tick(self, count: int = 1) -> StepResult:
        result = None
        for _ in range(count):
            result = self.do(ev.Tick(self.now + 1))
        assert result is not None
        return result

    def tick_until(self, predicate: Callable[[Recorder], bool], limit: int) -> None:
        for _ in range(limit):
            if predicate(self):
                return
            self.tick()
        if not predicate(self):
            raise AssertionError(f"{self.id}: condition not reached in {limit} ticks")

    def ack_all(self) -> None:
        for kind in AlarmKind:
            if self.state.alarms[kind] == AlarmStatus.ACTIVE:
                self.accept(ev.AlarmAck(self.now, kind))

    def vector(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "requirements": sorted(set(self.requirements)),
            "transitions": self.transitions,
            "config": plain(self.config),
            "initial_state": self.start,
            "steps": self.steps,
            "final_state": plain(self.state),
        }


C = DEFAULT_CONFIG
RESERVOIR, PRIME, CANNULA = 4000, 20, 10


def quiet(**overrides: Any) -> TherapySettings:
    kwargs: dict[str, Any] = {"auto_off_hours": 0, "lgs_enabled": False, "predictive_suspend_enabled": False}
    kwargs.update(overrides)
    return make_settings(C, **kwargs)


def delivering(rec: Recorder, settings: TherapySettings | None = None, reservoir: int = RESERVOIR) -> Recorder:
    """Settings, fill, prime, cannula fill, resume (RES-3): DELIVERING at tick 0."""
    rec.accept(ev.SettingsChange(0, quiet() if settings is None else settings))
    rec.accept(ev.FillReservoir(0, reservoir))
    rec.accept(ev.PrimeTubing(0, PRIME))
    rec.accept(ev.FillCannula(0, CANNULA))
    rec.accept(ev.Resume(0))
    return rec


def new(id: str, title: str, *requirements: str) -> Recorder:
    return Recorder(id, title, list(requirements))


def in_mode(rec: Recorder, mode: Mode) -> Recorder:
    """Bring ``rec`` into ``mode`` by events (state surgery only for SET_EXPIRED, as the unit tests do)."""
    settings = quiet(lgs_enabled=True, auto_off_hours=1)
    rec.accept(ev.SettingsChange(0, settings))
    if mode == Mode.REWOUND:
        return rec
    rec.accept(ev.FillReservoir(0, RESERVOIR))
    if mode == Mode.FILLED:
        return rec
    rec.accept(ev.PrimeTubing(0, PRIME))
    if mode == Mode.PRIMED:
        return rec
    rec.accept(ev.FillCannula(0, CANNULA))
    if mode == Mode.READY:
        return rec
    rec.accept(ev.Resume(0))
    if mode == Mode.SUSPENDED:
        rec.accept(ev.Suspend(rec.now))
    elif mode == Mode.LGS_SUSPENDED:
        rec.tick()
        rec.accept(ev.GlucoseReading(rec.now, rec.now, 60))
    elif mode == Mode.OCCLUDED:
        rec.auto_confirm = False
        while rec.mode == Mode.DELIVERING:
            result = rec.tick()
            for command in result.commands:
                if isinstance(command, Deliver):
                    rec.raw(ev.MotorReport(rec.now, command.seq, command.pulses, C.occlusion_pressure_kpa))
        rec.auto_confirm = True
    elif mode == Mode.MOTOR_FAULT:
        rec.auto_confirm = False
        rec.tick_until(lambda r: r.state.motor.pending_pulses > 0, 10)
        rec.accept(ev.MotorReport(rec.now, rec.state.motor.seq, 0, 0, MotorFault.STALL))
        rec.auto_confirm = True
    elif mode == Mode.EMPTY:
        rec.accept(ev.Suspend(rec.now))
        rec.accept(ev.Rewind(rec.now))
        rec.accept(ev.FillReservoir(rec.now, PRIME + CANNULA + 3))
        rec.accept(ev.PrimeTubing(rec.now, PRIME))
        rec.accept(ev.FillCannula(rec.now, CANNULA))
        rec.accept(ev.Resume(rec.now))
        rec.tick_until(lambda r: r.mode != Mode.DELIVERING, 30)
    elif mode == Mode.SET_EXPIRED:
        rec.surgery(reservoir={"set_age_ticks": settings.set_max_age_ticks - 1})
        rec.tick()
    elif mode == Mode.AUTO_OFF:
        rec.tick_until(lambda r: r.mode != Mode.DELIVERING, settings.auto_off_ticks + 1)
    if rec.mode != mode:
        raise AssertionError(f"{rec.id}: reached {rec.mode.name}, not {mode.name}")
    return rec


MAKE: dict[type, Callable[[Recorder], object]] = {
    ev.FillReservoir: lambda r: ev.FillReservoir(r.now, RESERVOIR),
    ev.PrimeTubing: lambda r: ev.PrimeTubing(r.now, PRIME),
    ev.FillCannula: lambda r: ev.FillCannula(r.now, CANNULA),
    ev.Rewind: lambda r: ev.Rewind(r.now),
    ev.Resume: lambda r: ev.Resume(r.now),
    ev.Suspend: lambda r: ev.Suspend(r.now),
    ev.ClearLine: lambda r: ev.ClearLine(r.now),
    ev.BolusRequest: lambda r: ev.BolusRequest(r.now, 4242, Source.USER, 10),
    ev.CancelBolus: lambda r: ev.CancelBolus(r.now),
    ev.TempBasal: lambda r: ev.TempBasal(r.now, 4343, Source.USER, TempKind.PERCENT, 50, 30),
    ev.CancelTempBasal: lambda r: ev.CancelTempBasal(r.now),
}
PREPARE: dict[type, Callable[[Recorder], object]] = {
    ev.CancelBolus: lambda r: r.accept(ev.BolusRequest(r.now, 4141, Source.USER, 100)),
    ev.CancelTempBasal: lambda r: r.accept(ev.TempBasal(r.now, 4040, Source.USER, TempKind.PERCENT, 50, 30)),
}

MODE_REQUIREMENTS: dict[Mode, tuple[str, ...]] = {
    Mode.REWOUND: ("RES-3",),
    Mode.FILLED: ("RES-3",),
    Mode.PRIMED: ("RES-3",),
    Mode.READY: ("RES-3",),
    Mode.DELIVERING: ("SUS-1",),
    Mode.SUSPENDED: ("SUS-1",),
    Mode.LGS_SUSPENDED: ("SUS-2", "SUS-4"),
    Mode.OCCLUDED: ("OCC-1", "OCC-2", "OCC-4"),
    Mode.MOTOR_FAULT: ("DLV-3",),
    Mode.EMPTY: ("RES-1",),
    Mode.SET_EXPIRED: ("RES-4",),
    Mode.AUTO_OFF: ("ALM-2",),
}


def event_transition_vectors() -> Iterator[dict[str, Any]]:
    for src, row in EVENT_TRANSITIONS.items():
        for cls, dst in row.items():
            reqs = MODE_REQUIREMENTS[src] + MODE_REQUIREMENTS[dst]
            rec = in_mode(new(f"event/{src.name}/{cls.__name__}", f"{cls.__name__} in {src.name}", *reqs), src)
            rec.ack_all()
            if cls in PREPARE:
                PREPARE[cls](rec)
            rec.accept(MAKE[cls](rec))
            if rec.mode != dst:
                raise AssertionError(f"{rec.id}: ended in {rec.mode.name}, expected {dst.name}")
            rec.transitions.append(f"event:{src.name}:{cls.__name__}:{dst.name}")
            yield rec.vector()


def establish(rec: Recorder, condition: Condition) -> StepResult:
    """Make ``condition`` hold in the next step and take it (as ``tests/test_modes.py`` does)."""
    settings = rec.state.settings
    if condition in (Condition.MOTOR_FAILED, Condition.LINE_OCCLUDED):
        seq = rec.state.motor.seq + 1
        samples = C.occlusion_consecutive_samples - 1 if condition == Condition.LINE_OCCLUDED else 0
        rec.surgery(motor={"seq": seq, "pending_pulses": 1, "high_pressure_samples": samples})
        if condition == Condition.MOTOR_FAILED:
            return rec.raw(ev.MotorReport(rec.now, seq, 0, 0, MotorFault.STALL))
        return rec.raw(ev.MotorReport(rec.now, seq, 1, C.occlusion_pressure_kpa))
    if condition == Condition.RESERVOIR_EMPTIED:
        rec.surgery(reservoir={"pulses": 0})
        return rec.raw(ev.UserPresent(rec.now))
    if condition == Condition.SET_AGED_OUT:
        rec.surgery(reservoir={"set_age_ticks": settings.set_max_age_ticks})
        return rec.raw(ev.UserPresent(rec.now))
    if condition == Condition.USER_ABSENT:
        rec.surgery(timers={"idle_ticks": settings.auto_off_ticks})
        return rec.raw(ev.GlucoseReading(rec.now, rec.now, 120))
    if condition == Condition.GLUCOSE_LOW:
        return rec.raw(ev.GlucoseReading(rec.now, rec.now, settings.lgs_threshold_mgdl - 10))
    # LGS_ENDED: the suspension has run its maximum length (recovery by the trend: req/lgs-recovered).
    rec.surgery(timers={"suspended_ticks": C.lgs_max_ticks})
    return rec.raw(ev.UserPresent(rec.now))


CONDITION_REQUIREMENTS: dict[Condition, tuple[str, ...]] = {
    Condition.MOTOR_FAILED: ("DLV-3", "ALM-1"),
    Condition.LINE_OCCLUDED: ("OCC-1", "OCC-2", "ALM-1"),
    Condition.RESERVOIR_EMPTIED: ("RES-1", "ALM-1"),
    Condition.SET_AGED_OUT: ("RES-4", "ALM-1"),
    Condition.USER_ABSENT: ("ALM-2", "ALM-1"),
    Condition.GLUCOSE_LOW: ("SUS-2", "SEN-1"),
    Condition.LGS_ENDED: ("SUS-4",),
}


def condition_transition_vectors() -> Iterator[dict[str, Any]]:
    for condition, row in CONDITION_TRANSITIONS.items():
        for src, dst in row.items():
            rec = new(
                f"condition/{condition.name}/{src.name}",
                f"{condition.name} arising in {src.name}",
                *CONDITION_REQUIREMENTS[condition],
            )
            in_mode(rec, src)
            result = establish(rec, condition)
            if not result.outcome.accepted or rec.mode != dst:
                raise AssertionError(f"{rec.id}: ended in {rec.mode.name} ({result.outcome.reason.name})")
            rec.transitions.append(f"condition:{condition.name}:{src.name}:{dst.name}")
            yield rec.vector()


# ---------------------------------------------------------------- requirement scenarios

Scenario = Callable[[], Recorder]
SCENARIOS: list[Scenario] = []


def scenario(function: Scenario) -> Scenario:
    SCENARIOS.append(function)
    return function


def _notices(result: StepResult, kind: NoticeKind) -> list[Notice]:
    return [c for c in result.commands if isinstance(c, Notice) and c.kind == kind]


@scenario
def basal_exact() -> Recorder:
    rec = new("req/basal-exact", "Flat 0.85 U/h basal for 3 hours: whole pulses, remainder carried", "U-1", "U-2")
    rec.requirements += ["BAS-2", "DLV-1", "LOG-1"]
    delivering(rec, quiet(basal_segments_mu_per_hour=((0, 850),)))
    rec.tick(180)
    return rec


@scenario
def basal_segments() -> Recorder:
    rec = new("req/basal-segments", "A segment boundary and a travel time change re-select the rate", "BAS-1", "BAS-3")
    delivering(rec, quiet(basal_segments_mu_per_hour=((0, 600), (30, 1200))))
    rec.tick(40)
    rec.accept(ev.TimeOffsetChange(rec.now, -60))
    rec.tick(20)
    return rec


@scenario
def basal_max() -> Recorder:
    rec = new("req/basal-max", "A 250 % temp basal is clamped to max basal", "BAS-4", "TMP-1")
    delivering(rec, quiet(basal_segments_mu_per_hour=((0, 2000),), max_basal_mu_per_hour=3000))
    rec.accept(ev.TempBasal(rec.now, 11, Source.USER, TempKind.PERCENT, 250, 30))
    rec.tick(30)
    return rec


@scenario
def temp_ends_and_cancel() -> Recorder:
    rec = new("req/temp-ends", "A temp basal ends at its end time; a new one replaces it; cancel resumes", "TMP-2")
    delivering(rec)
    rec.accept(ev.TempBasal(rec.now, 21, Source.USER, TempKind.ABSOLUTE, 10, 15))
    rec.tick(16)
    rec.accept(ev.TempBasal(rec.now, 22, Source.USER, TempKind.PERCENT, 50, 60))
    rec.accept(ev.TempBasal(rec.now, 23, Source.USER, TempKind.PERCENT, 150, 60))
    rec.tick(5)
    rec.accept(ev.CancelTempBasal(rec.now))
    rec.tick(2)
    rec.refuse(ev.TempBasal(rec.now, 24, Source.USER, TempKind.PERCENT, 251, 30), Reason.TEMP_PERCENT_OUT_OF_RANGE)
    rec.refuse(ev.TempBasal(rec.now, 25, Source.USER, TempKind.PERCENT, 100, 20), Reason.TEMP_DURATION)
    return rec


@scenario
def controller_temp() -> Recorder:
    rec = new("req/controller-temp", "Controller temps last at most 30 min; when silent, basal resumes", "TMP-3")
    rec.requirements += ["SEN-2", "LIM-4"]
    delivering(rec, quiet(controller_enabled=True, max_iob_mu=2000))
    rec.accept(ev.GlucoseReading(rec.now, rec.now, 150))
    rec.refuse(ev.TempBasal(rec.now, 31, Source.CONTROLLER, TempKind.PERCENT, 120, 45), Reason.TEMP_DURATION)
    rec.accept(ev.TempBasal(rec.now, 32, Source.CONTROLLER, TempKind.PERCENT, 120, 30))
    rec.tick(31)
    rec.refuse(ev.BolusRequest(rec.now, 33, Source.CONTROLLER, 10), Reason.SENSOR_UNAVAILABLE)
    rec.accept(ev.GlucoseReading(rec.now, rec.now, 160))
    rec.refuse(ev.BolusRequest(rec.now, 34, Source.CONTROLLER, 50), Reason.MAX_IOB)
    return rec


@scenario
def bolus_limits() -> Recorder:
    rec = new("req/bolus-max", "A bolus above max bolus is refused, not truncated", "BOL-1", "SEC-3", "INP-2")
    delivering(rec)
    max_bolus = rec.state.settings.max_bolus_pulses
    rec.refuse(ev.BolusRequest(rec.now, 41, Source.USER, max_bolus + 1), Reason.ABOVE_MAX_BOLUS)
    rec.refuse(ev.BolusRequest(rec.now, 42, Source.USER, 0), Reason.EMPTY_REQUEST)
    rec.accept(ev.BolusRequest(rec.now, 43, Source.USER, max_bolus))
    rec.tick(8)
    return rec


@scenario
def bolus_kinds() -> Recorder:
    rec = new("req/bolus-kinds", "Normal, extended and dual-wave boluses at the bounded speed", "BOL-2", "BOL-3")
    rec.requirements.append("BOL-4")
    delivering(rec)
    rec.accept(ev.BolusRequest(rec.now, 51, Source.USER, 0, 40, 30))
    rec.accept(ev.BolusRequest(rec.now, 52, Source.USER, 90))
    rec.refuse(ev.BolusRequest(rec.now, 53, Source.USER, 10), Reason.BOLUS_IN_PROGRESS)
    rec.refuse(ev.BolusRequest(rec.now, 54, Source.USER, 0, 10, 30), Reason.EXTENDED_IN_PROGRESS)
    rec.tick(31)
    rec.accept(ev.BolusRequest(rec.now, 55, Source.USER, 20, 20, 15))
    rec.tick(16)
    rec.refuse(ev.BolusRequest(rec.now, 56, Source.USER, 0, 10, 10), Reason.EXTENDED_DURATION)
    return rec


@scenario
def bolus_replay_and_cancel() -> Recorder:
    rec = new("req/bolus-id-cancel", "A repeated request ID delivers nothing more; cancel reports both parts", "BOL-5")
    rec.requirements.append("BOL-6")
    delivering(rec)
    rec.accept(ev.BolusRequest(rec.now, 61, Source.USER, 100))
    rec.tick(2)
    result = rec.do(ev.BolusRequest(rec.now, 61, Source.USER, 100))
    if not result.outcome.replayed:
        raise AssertionError("replay not reported")
    rec.accept(ev.CancelBolus(rec.now, CancelTarget.ALL))
    rec.tick(2)
    rec.refuse(ev.CancelBolus(rec.now, CancelTarget.NORMAL), Reason.NOTHING_TO_CANCEL)
    return rec


@scenario
def presence() -> Recorder:
    rec = new("req/presence", "Controller and remote commands are not a person at the pump; the user is", "ALM-4")
    rec.requirements.append("ALM-2")
    delivering(rec, quiet(controller_enabled=True, remote_bolus_enabled=True))
    rec.tick(3)
    rec.do(ev.TempBasal(rec.now, 81, Source.CONTROLLER, TempKind.PERCENT, 100, 30))
    rec.do(ev.CancelTempBasal(rec.now, Source.CONTROLLER))
    rec.do(ev.Suspend(rec.now, Source.REMOTE))
    rec.tick(2)
    rec.do(ev.UserPresent(rec.now))
    rec.tick()
    return rec


@scenario
def remote_bolus() -> Recorder:
    rec = new("req/remote-bolus", "Remote bolus refused when switched off; announced when on", "SEC-2", "SEC-3")
    delivering(rec)
    rec.refuse(ev.BolusRequest(rec.now, 71, Source.REMOTE, 10), Reason.REMOTE_BOLUS_DISABLED)
    rec.accept(ev.SettingsChange(rec.now, quiet(remote_bolus_enabled=True)))
    result = rec.accept(ev.BolusRequest(rec.now, 72, Source.REMOTE, 10))
    if not _notices(result, NoticeKind.BOLUS_STARTED):
        raise AssertionError("bolus start not announced")
    rec.refuse(ev.BolusRequest(rec.now, 73, Source.REMOTE, 10_000), Reason.ABOVE_MAX_BOLUS)
    return rec


@scenario
def hourly_limit() -> Recorder:
    rec = new("req/hourly-limit", "The hourly limit stops a running bolus pulse by pulse, and tells", "LIM-1", "LIM-3")
    delivering(rec, quiet(max_hourly_mu=5000, max_bolus_mu=5000, basal_segments_mu_per_hour=((0, 3000),)))
    rec.tick(2)
    rec.refuse(ev.BolusRequest(rec.now, 81, Source.USER, 100), Reason.HOURLY_LIMIT)
    rec.accept(ev.BolusRequest(rec.now, 82, Source.USER, 97))
    rec.tick(20)
    rec.refuse(ev.BolusRequest(rec.now, 83, Source.USER, 10), Reason.HOURLY_LIMIT)
    return rec


@scenario
def daily_limit() -> Recorder:
    rec = new("req/daily-limit", "The 24-hour limit refuses a bolus that would exceed it", "LIM-2")
    settings = quiet(max_daily_mu=9000, max_hourly_mu=9000, max_bolus_mu=8000, basal_segments_mu_per_hour=((0, 300),))
    delivering(rec, settings)
    rec.accept(ev.BolusRequest(rec.now, 91, Source.USER, 160))
    rec.tick(65)
    rec.refuse(ev.BolusRequest(rec.now, 92, Source.USER, 30), Reason.DAILY_LIMIT)
    return rec


@scenario
def uncertain_delivery() -> Recorder:
    rec = new("req/uncertain", "An unanswered command counts as delivered and blocks boluses until resolved", "LIM-5")
    rec.requirements += ["DLV-2", "DLV-4", "DLV-1"]
    delivering(rec, quiet(basal_segments_mu_per_hour=((0, 3000),), max_basal_mu_per_hour=3000))
    rec.auto_confirm = False
    rec.tick_until(lambda r: r.state.motor.pending_pulses > 0, 5)
    rec.tick()
    rec.refuse(ev.BolusRequest(rec.now, 101, Source.USER, 10), Reason.DELIVERY_UNCERTAIN)
    motor = rec.state.motor
    rec.accept(ev.MotorReport(rec.now, motor.seq, motor.pending_pulses))  # the late read-back resolves it
    rec.ack_all()
    rec.tick_until(lambda r: r.state.motor.pending_pulses > 0, 5)
    rec.tick(C.motor_ack_timeout_ticks + 1)  # never answered: assumed delivered, motor fault (DLV-4)
    if rec.mode != Mode.MOTOR_FAULT:
        raise AssertionError(f"{rec.id}: {rec.mode.name}")
    return rec


@scenario
def reservoir_alerts() -> Recorder:
    rec = new("req/reservoir-low", "Low and very-low reservoir alerts, held back during a bolus", "RES-2", "ALM-3")
    delivering(rec, reservoir=420)
    rec.accept(ev.BolusRequest(rec.now, 111, Source.USER, 40))
    rec.tick(4)
    rec.ack_all()
    rec.tick(2)
    return rec


@scenario
def prime_not_therapy() -> Recorder:
    rec = new("req/prime", "Priming and cannula fill draw on the reservoir but are not therapy", "RES-3", "RES-1")
    delivering(rec)
    rec.refuse(ev.FillReservoir(rec.now, RESERVOIR), Reason.NOT_ALLOWED_IN_MODE)
    rec.accept(ev.Suspend(rec.now))
    rec.accept(ev.Rewind(rec.now))
    rec.refuse(ev.FillReservoir(rec.now, C.reservoir_capacity_pulses + 1), Reason.FILL_ABOVE_CAPACITY)
    rec.accept(ev.FillReservoir(rec.now, RESERVOIR))
    rec.refuse(ev.PrimeTubing(rec.now, C.prime_max_pulses + 1), Reason.PRIME_LIMIT)
    rec.accept(ev.PrimeTubing(rec.now, PRIME))
    rec.refuse(ev.FillCannula(rec.now, C.cannula_max_pulses + 1), Reason.CANNULA_FILL_RANGE)
    rec.accept(ev.FillCannula(rec.now, CANNULA))
    rec.accept(ev.Resume(rec.now))
    return rec


@scenario
def set_reminder() -> Recorder:
    rec = new("req/set-age", "The infusion set reminder at its age", "RES-4")
    delivering(rec)
    rec.surgery(reservoir={"set_age_ticks": rec.state.settings.set_reminder_ticks - 1})
    rec.tick(2)
    return rec


@scenario
def occlusion_no_catch_up() -> Recorder:
    rec = new("req/occlusion", "Occlusion: bolus cancelled, nothing delivered, no catch-up after clearing", "OCC-1")
    rec.requirements += ["OCC-2", "OCC-3", "OCC-4", "ALM-1"]
    delivering(rec)
    rec.accept(ev.BolusRequest(rec.now, 121, Source.USER, 200))
    rec.auto_confirm = False
    while rec.mode == Mode.DELIVERING:
        result = rec.tick()
        for command in result.commands:
            if isinstance(command, Deliver):
                rec.raw(ev.MotorReport(rec.now, command.seq, command.pulses, C.occlusion_pressure_kpa))
    rec.auto_confirm = True
    rec.tick(10)
    rec.refuse(ev.ClearLine(rec.now), Reason.ALARM_UNACKNOWLEDGED)
    rec.ack_all()
    rec.accept(ev.ClearLine(rec.now))
    rec.accept(ev.PrimeTubing(rec.now, PRIME))
    rec.accept(ev.FillCannula(rec.now, CANNULA))
    rec.accept(ev.Resume(rec.now))
    rec.tick(5)
    return rec


@scenario
def suspend_resume() -> Recorder:
    rec = new("req/suspend", "Manual suspend stops delivery at once; reminders repeat; resume is explicit", "SUS-1")
    delivering(rec)
    rec.accept(ev.BolusRequest(rec.now, 131, Source.USER, 100))
    rec.tick()
    rec.accept(ev.Suspend(rec.now))
    rec.tick(C.suspend_reminder_ticks * 2 + 1)
    rec.accept(ev.Resume(rec.now))
    rec.tick(2)
    return rec


@scenario
def predictive_suspend() -> Recorder:
    rec = new("req/predictive", "Falling glucose predicted low within 30 min suspends before the low", "SUS-3")
    delivering(rec, quiet(lgs_enabled=True, predictive_suspend_enabled=True))
    # A fall from 150 to 120 predicts a low but is above the band: no suspension yet (issue 18).
    for mgdl in (150, 140, 130, 120, 110, 100, 95):
        rec.accept(ev.GlucoseReading(rec.now, rec.now, mgdl))
        rec.tick(5)
    rec.accept(ev.GlucoseReading(rec.now, rec.now, 90))
    if rec.mode != Mode.LGS_SUSPENDED:
        raise AssertionError(f"{rec.id}: no predictive suspend ({rec.mode.name})")
    rec.tick(3)
    return rec


@scenario
def alarm_repeated() -> Recorder:
    rec = new("req/alarm-repeat", "An unacknowledged alarm repeats, escalating, instead of being raised anew", "ALM-5")
    rec.requirements += ["ALM-3"]
    delivering(rec, quiet(lgs_enabled=True))
    rec.accept(ev.GlucoseReading(rec.now, rec.now, 60))
    rec.tick()
    rec.accept(ev.GlucoseReading(rec.now, rec.now, 60))
    rec.tick(4 * C.alarm_repeat_ticks + 1)
    rec.accept(ev.AlarmAck(rec.now, AlarmKind.LOW_GLUCOSE_SUSPEND))
    rec.tick(C.alarm_repeat_ticks + 1)
    return rec


@scenario
def lgs_recovered() -> Recorder:
    rec = new("req/lgs-recovered", "A suspension ends early once glucose rises past the resume margin", "SUS-4")
    rec.requirements += ["SUS-2"]
    delivering(rec, quiet(lgs_enabled=True, predictive_suspend_enabled=True))
    rec.accept(ev.GlucoseReading(rec.now, rec.now, 60))
    for mgdl in (66, 72, 80, 88, 96, 104, 112):
        rec.tick(5)
        rec.accept(ev.GlucoseReading(rec.now, rec.now, mgdl))
    if rec.mode != Mode.DELIVERING:
        raise AssertionError(f"{rec.id}: suspension did not end by recovery ({rec.mode.name})")
    rec.tick(3)
    return rec


@scenario
def lgs_max() -> Recorder:
    rec = new("req/lgs-max", "Automatic suspension ends after at most 2 h; lockout after resuming", "SUS-4", "SUS-2")
    delivering(rec, quiet(lgs_enabled=True))
    rec.accept(ev.GlucoseReading(rec.now, rec.now, 60))
    rec.tick(C.lgs_max_ticks + 1)
    rec.accept(ev.GlucoseReading(rec.now, rec.now, 60))
    return rec


@scenario
def sensor_validity() -> Recorder:
    rec = new("req/sensor", "Stale, future, error, out-of-range, jumping and LOW readings", "SEN-1", "SEN-3")
    rec.requirements += ["SEN-4", "SEN-2", "SEN-5"]
    delivering(rec, quiet(lgs_enabled=True))
    rec.tick(20)
    rec.do(ev.GlucoseReading(rec.now, rec.now - 13, 150))
    rec.do(ev.GlucoseReading(rec.now, rec.now, 150, GlucoseStatus.SENSOR_ERROR))
    for status in (GlucoseStatus.NOISE, GlucoseStatus.SENSOR_FAILED, GlucoseStatus.SESSION_STOPPED):
        rec.do(ev.GlucoseReading(rec.now, rec.now, 150, status))
    rec.do(ev.GlucoseReading(rec.now, rec.now, 150))
    rec.tick()
    rec.do(ev.GlucoseReading(rec.now, rec.now, 250))
    rec.tick()
    rec.do(ev.GlucoseReading(rec.now, rec.now, 30))
    rec.tick(3)
    return rec


@scenario
def alarms_kept() -> Recorder:
    rec = new("req/alarms", "A high alarm stops delivery until acknowledged; it stays until then", "ALM-1", "ALM-3")
    delivering(rec)
    rec.refuse(ev.AlarmAck(rec.now, AlarmKind.OCCLUSION), Reason.ALARM_NOT_ACTIVE)
    rec.auto_confirm = False
    rec.tick_until(lambda r: r.state.motor.pending_pulses > 0, 10)
    rec.accept(ev.MotorReport(rec.now, rec.state.motor.seq, 0, 0, MotorFault.ENCODER_MISMATCH))
    rec.auto_confirm = True
    rec.tick(5)
    rec.refuse(ev.Resume(rec.now), Reason.NOT_ALLOWED_IN_MODE)
    rec.refuse(ev.Rewind(rec.now), Reason.ALARM_UNACKNOWLEDGED)
    rec.ack_all()
    rec.accept(ev.Rewind(rec.now))
    return rec


@scenario
def auto_off() -> Recorder:
    rec = new("req/auto-off", "No interaction for the auto-off time stops delivery and alarms", "ALM-2")
    delivering(rec, quiet(auto_off_hours=1))
    rec.tick(30)
    rec.accept(ev.UserPresent(rec.now))
    rec.tick(61)
    return rec


@scenario
def time_and_input() -> Recorder:
    rec = new("req/clock-input", "Missed ticks deliver nothing; stale and future events; ill-typed input", "CLK-1")
    rec.requirements += ["CLK-2", "INP-1", "INP-2", "LOG-1"]
    delivering(rec, quiet(basal_segments_mu_per_hour=((0, 3000),), max_basal_mu_per_hour=3000))
    rec.tick(3)
    rec.do(ev.Tick(rec.now + 1, True))
    rec.refuse(ev.Suspend(rec.now - 1), Reason.STALE_EVENT)
    rec.refuse(ev.Suspend(rec.now + 1), Reason.FUTURE_EVENT)
    rec.refuse(ev.Tick(rec.now + 2), Reason.FUTURE_EVENT)
    rec.refuse(ev.BolusRequest(rec.now, 141, Source.USER, True), Reason.ILL_TYPED)
    rec.refuse(ev.BolusRequest(rec.now, 0, Source.USER, 10), Reason.OUT_OF_RANGE)
    rec.refuse(ev.TimeOffsetChange(rec.now, 0), Reason.TIME_OFFSET_ZERO)
    return rec


@scenario
def settings_validation() -> Recorder:
    rec = new("req/settings", "Settings validated whole: every broken rule listed, previous ones kept", "CFG-1")
    rec.requirements += ["CFG-2", "CFG-3", "BAS-1"]
    delivering(rec)
    good = rec.state.settings
    bad = evolve(
        good,
        max_bolus_pulses=C.max_bolus_ceiling_pulses + 1,
        max_basal_pph=1,
        max_daily_pulses=good.max_bolus_pulses - 1,
    )
    result = rec.refuse(ev.SettingsChange(rec.now, bad), Reason.SETTINGS_INVALID)
    if len(result.outcome.problems) < 2:
        raise AssertionError("every broken rule should be listed")
    rec.accept(ev.SettingsChange(rec.now, good))
    return rec


# ---------------------------------------------------------------- bolus calculator


def calculator_vector(
    id: str, title: str, rec: Recorder, request: CalcRequest, requirements: tuple[str, ...], **options: Any
) -> dict[str, Any]:
    """A calculator vector: ``recommend(config, state, settings, request, last_unconfirmed_tick)`` -> recommendation."""
    settings = options.get("settings") or make_calculator_settings(rec.config)
    last = options.get("last_unconfirmed_tick")
    result = recommend(rec.config, rec.state, settings, request, last)
    return {
        "id": id,
        "kind": "calculator",
        "title": title,
        "requirements": sorted(requirements),
        "transitions": [],
        "config": plain(rec.config),
        "state": plain(rec.state),
        "calculator_settings": plain(settings),
        "request": plain(request),
        "last_unconfirmed_tick": last,
        "recommendation": plain(result),
    }


def calculator_vectors() -> Iterator[dict[str, Any]]:
    def pump(glucose: int | None, bolus: int = 0, ticks: int = 1) -> Recorder:
        rec = delivering(new("calc", "calc"))
        if bolus:
            rec.accept(ev.BolusRequest(rec.now, 9001, Source.USER, bolus))
        rec.tick(ticks)
        if glucose is not None:
            rec.accept(ev.GlucoseReading(rec.now, rec.now, glucose))
        return rec

    sensor = GlucoseSource.SENSOR
    yield calculator_vector(
        "calc/meal-and-correction", "60 g at 180 mg/dL", pump(180), CalcRequest(60, sensor), ("CALC-1", "CALC-3")
    )
    yield calculator_vector("calc/meal-30g", "30 g at 180 mg/dL", pump(180), CalcRequest(30, sensor), ("CALC-2",))
    yield calculator_vector(
        "calc/iob-reduces",
        "60 g at 180 mg/dL with insulin on board",
        pump(180, 60, 30),
        CalcRequest(60, sensor),
        ("CALC-2",),
    )
    yield calculator_vector("calc/higher-glucose", "60 g at 250 mg/dL", pump(250), CalcRequest(60, sensor), ("CALC-2",))
    yield calculator_vector(
        "calc/capped", "200 g: capped by max bolus, cap named", pump(180), CalcRequest(200, sensor), ("CALC-1",)
    )
    yield calculator_vector("calc/low-glucose", "30 g at 60 mg/dL", pump(60), CalcRequest(30, sensor), ("CALC-4",))
    yield calculator_vector(
        "calc/no-glucose", "30 g without a reading", pump(None), CalcRequest(30, sensor), ("CALC-4",)
    )
    yield calculator_vector(
        "calc/manual-glucose",
        "30 g with a manual 140 mg/dL",
        pump(None),
        CalcRequest(30, GlucoseSource.MANUAL, 140),
        ("CALC-3",),
    )
    rec = pump(150)
    yield calculator_vector(
        "calc/unconfirmed",
        "An unconfirmed bolus an hour ago disables the calculator",
        rec,
        CalcRequest(30, sensor),
        ("CALC-4",),
        last_unconfirmed_tick=max(0, rec.now - 60),
    )


def _calculator_replay(vector: dict[str, Any]) -> list[str]:
    config = PumpConfig(**vector["config"])
    state = state_from(config, vector["state"])
    data = dict(vector["calculator_settings"])
    for key, value in data.items():
        if isinstance(value, list):
            data[key] = tuple(value)
    settings = CalculatorSettings(**data)
    request = CalcRequest(**vector["request"])
    got = plain(recommend(config, state, settings, request, vector["last_unconfirmed_tick"]))
    return [] if got == vector["recommendation"] else [f"{vector['id']}: recommendation differs"]


def all_vectors() -> list[dict[str, Any]]:
    """Every vector, in a fixed order: event transitions, condition transitions, scenarios, calculator."""
    vectors = list(event_transition_vectors()) + list(condition_transition_vectors())
    vectors += [make().vector() for make in SCENARIOS]
    vectors += list(calculator_vectors())
    return vectors


def header() -> dict[str, Any]:
    def names(enum_class: Any) -> dict[str, int]:
        return {member.name: int(member) for member in enum_class}

    return {
        "format": FORMAT,
        "description": __doc__.split("\n\n")[1].replace("\n", " ").strip() if __doc__ else "",
        "enums": {
            cls.__name__: names(cls)
            for cls in (
                Mode,
                Reason,
                NoticeKind,
                AlarmKind,
                AlarmStatus,
                Purpose,
                Source,
                TempKind,
                CancelTarget,
                MotorFault,
                GlucoseStatus,
                StopCause,
                SettingsRule,
                ConfigRule,
                LogKind,
            )
        },
        "events": {cls.__name__: list(field_names(cls)) for cls in ev.EVENT_CLASSES},
        "commands": {cls.__name__: list(field_names(cls)) for cls in (Deliver, Alarm, Notice)},
        "not_in_vectors": NOT_IN_VECTORS,
    }


def replay(vector: dict[str, Any]) -> list[str]:
    """Run ``vector`` through the kernel; every difference from what it records (empty when it conforms)."""
    if vector.get("kind") == "calculator":
        return _calculator_replay(vector)
    problems: list[str] = []
    config = PumpConfig(**vector["config"])
    state = state_from(config, vector["initial_state"])
    for index, expected in enumerate(vector["steps"]):
        before = plain(state)
        result = step(config, state, decode_event(expected["event"]))
        after = plain(result.state)
        got = {
            "outcome": encode_outcome(result),
            "commands": [encode_command(c) for c in result.commands],
            "changes": changes(before, after),
            "mode": Mode(result.state.mode).name,
        }
        for key, value in got.items():
            if expected[key] != value:
                problems.append(f"{vector['id']} step {index} ({expected['event']['class']}): {key} differs")
        state = result.state
    if plain(state) != vector["final_state"]:
        problems.append(f"{vector['id']}: final state differs")
    return problems


def write(path: pathlib.Path | None) -> int:
    vectors = all_vectors()
    lines = [json.dumps(header(), sort_keys=True, separators=(",", ":"))]
    lines += [json.dumps(v, sort_keys=True, separators=(",", ":")) for v in vectors]
    text = "\n".join(lines) + "\n"
    if path is None:
        sys.stdout.write(text)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return len(vectors)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=pathlib.Path, help="write to this file (default: standard output)")


def run(args: argparse.Namespace) -> int:
    count = write(args.out)
    if args.out is not None:
        print(f"wrote {count} vectors to {args.out}")
    return 0
