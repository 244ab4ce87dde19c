"""Malformed, ill-typed and out-of-range input, and the event's tick (INP-1, INP-2, CLK-1, CLK-2).

The form checks are driven by ``events.EVENT_SCHEMA``: for every event class
and every field, wrong types (``bool`` for ``int``, ``str``, ``None``,
``float``, ``bytes``, an ``int`` subclass, a foreign ``IntEnum``) are refused
with ``ILL_TYPED`` and values just outside the static range with
``OUT_OF_RANGE``, while the kernel's own ``IntEnum`` codes are accepted as
integers.  Anything that is not an instance of an event class is
``NOT_AN_EVENT``.  Every refusal leaves the state but the log unchanged and
is logged.  ``step`` never raises, also on a deterministic stream of random
garbage.

CLK-2: a ``Tick`` must carry the next tick, every other event the current
one; older is ``STALE_EVENT``, newer ``FUTURE_EVENT``, checked before
anything else (mode, replay).  CLK-1: a missed tick advances time but
delivers nothing, and nothing missed is delivered later.
"""

from __future__ import annotations

import dataclasses
import enum
import random
from typing import Any

import pytest

from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.events import CancelTarget, GlucoseStatus, MotorFault, Source, TempKind
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.settings import TherapySettings
from kernel.state import PumpState, evolve, field_names
from kernel.step import form_check, step
from tests.helpers import (
    C,
    Pump,
    assert_refused,
    delivering_pump,
    flat_settings,
    per_tick,
    pump_in_mode,
    quiet_settings,
    unchanged_but_log,
)

SETTINGS = quiet_settings()

BASE: dict[type, object] = {
    ev.Tick: ev.Tick(1),
    ev.BolusRequest: ev.BolusRequest(0, 1, Source.USER, 10, 0, 0),
    ev.CancelBolus: ev.CancelBolus(0, CancelTarget.ALL),
    ev.TempBasal: ev.TempBasal(0, 2, Source.USER, TempKind.ABSOLUTE, 10, 30),
    ev.CancelTempBasal: ev.CancelTempBasal(0, Source.USER),
    ev.Suspend: ev.Suspend(0),
    ev.Resume: ev.Resume(0),
    ev.SettingsChange: ev.SettingsChange(0, SETTINGS),
    ev.TimeOffsetChange: ev.TimeOffsetChange(0, 60),
    ev.Rewind: ev.Rewind(0),
    ev.FillReservoir: ev.FillReservoir(0, 100),
    ev.ClearLine: ev.ClearLine(0),
    ev.PrimeTubing: ev.PrimeTubing(0, 10),
    ev.FillCannula: ev.FillCannula(0, 10),
    ev.MotorReport: ev.MotorReport(0, 1, 1, 0, MotorFault.NONE),
    ev.GlucoseReading: ev.GlucoseReading(0, 0, 120, GlucoseStatus.OK),
    ev.AlarmAck: ev.AlarmAck(0, AlarmKind.OCCLUSION),
    ev.UserPresent: ev.UserPresent(0),
}
"""One well-formed instance of every event class."""

FIELDS = [(cls, name, kind, low, high) for cls, schema in ev.EVENT_SCHEMA.items() for name, kind, low, high in schema]


class Foreign(enum.IntEnum):
    """An ``IntEnum`` that is not one of the kernel's codes."""

    ONE = 1


class MyInt(int):
    """An ``int`` subclass: not an ``int`` for the kernel."""


WRONG_FOR_INT: list[object] = [True, False, "1", None, 1.0, b"1", [1], (1,), MyInt(1), Foreign.ONE, 1 + 0j]
WRONG_FOR_BOOL: list[object] = [0, 1, None, "True", 1.0, Source.REMOTE]


def _pump() -> Pump:
    return delivering_pump()


def test_every_event_class_has_a_base_instance() -> None:
    """The table above covers ``EVENT_CLASSES`` exactly, and every base instance is well-formed."""
    assert set(BASE) == set(ev.EVENT_CLASSES) == set(ev.EVENT_SCHEMA)
    for event in BASE.values():
        assert form_check(event) == Reason.ACCEPTED, event


@pytest.mark.parametrize(("cls", "name", "kind", "low", "high"), FIELDS, ids=lambda x: getattr(x, "__name__", str(x)))
def test_wrong_types_are_ill_typed(cls: type, name: str, kind: type, low: int, high: int) -> None:
    """INP-1: every field refuses every wrong type with ``ILL_TYPED``; state unchanged but the log."""
    pump = _pump()
    wrong = WRONG_FOR_BOOL if kind is bool else WRONG_FOR_INT
    for value in wrong:
        if kind is TherapySettings and value is None:
            continue
        event = evolve(BASE[cls], **{name: value})
        assert_refused(pump, event, Reason.ILL_TYPED)


@pytest.mark.parametrize(
    ("cls", "name", "kind", "low", "high"),
    [f for f in FIELDS if f[2] is int],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_values_outside_static_range_are_out_of_range(cls: type, name: str, kind: type, low: int, high: int) -> None:
    """INP-1: one below the lowest and one above the highest value, and huge values, are ``OUT_OF_RANGE``."""
    pump = _pump()
    for value in (low - 1, high + 1, -(10**30), 10**30):
        event = evolve(BASE[cls], **{name: value})
        assert_refused(pump, event, Reason.OUT_OF_RANGE)


@pytest.mark.parametrize(
    ("cls", "name", "kind", "low", "high"),
    [f for f in FIELDS if f[2] is int],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_static_range_bounds_pass_the_form_check(cls: type, name: str, kind: type, low: int, high: int) -> None:
    """INP-1: the lowest and highest values of a field are well-formed (the bounds are inclusive)."""
    for value in (low, high):
        event = evolve(BASE[cls], **{name: value})
        assert form_check(event) == Reason.ACCEPTED


KERNEL_ENUMS: list[enum.IntEnum] = [
    *Source,
    *TempKind,
    *CancelTarget,
    *MotorFault,
    *GlucoseStatus,
    *AlarmKind,
    *Mode,
    *Reason,
]


@pytest.mark.parametrize(
    ("cls", "name", "kind", "low", "high"),
    [f for f in FIELDS if f[2] is int],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_kernel_int_enums_are_integers(cls: type, name: str, kind: type, low: int, high: int) -> None:
    """INP-1: a member of one of the kernel's ``IntEnum`` codes counts as an ``int`` for the form check."""
    fitting = [member for member in KERNEL_ENUMS if low <= member <= high]
    assert fitting
    for member in fitting:
        event = evolve(BASE[cls], **{name: member})
        assert form_check(event) == Reason.ACCEPTED


def test_int_enum_fields_are_accepted_by_step() -> None:
    """INP-1: events built with enum members are accepted (not only plain ints)."""
    pump = delivering_pump(quiet_settings(remote_bolus_enabled=True))
    pump.accept(ev.TempBasal(pump.now, 50, Source.REMOTE, TempKind.PERCENT, 100, 30))
    pump.accept(ev.CancelTempBasal(pump.now, Source.REMOTE))
    pump.accept(ev.BolusRequest(pump.now, 51, Source.REMOTE, 10))
    pump.accept(ev.CancelBolus(pump.now, CancelTarget.NORMAL))
    pump.accept(ev.GlucoseReading(pump.now, pump.now, 120, GlucoseStatus.OK))


NOT_EVENTS: list[object] = [
    None,
    0,
    1,
    True,
    "Tick(1)",
    b"\x00",
    1.5,
    [ev.Tick(1)],
    (ev.Tick(1),),
    {"tick": 1},
    object(),
    ev.Tick,
    Source.USER,
    SETTINGS,
]


class SubTick(ev.Tick):
    """A subclass of an event class is not an event class."""


@dataclasses.dataclass(frozen=True)
class LookAlike:
    """Same fields as ``Tick``, different class."""

    tick: int
    missed: bool = False


@pytest.mark.parametrize(
    "thing",
    [*NOT_EVENTS, SubTick(1), LookAlike(1)],
    ids=lambda t: type(t).__name__ if not isinstance(t, type) else f"class-{t.__name__}",
)
def test_non_events_are_refused(thing: object) -> None:
    """INP-1: anything but an instance of an event class is ``NOT_AN_EVENT``."""
    assert_refused(_pump(), thing, Reason.NOT_AN_EVENT)


def test_event_with_missing_fields_is_refused_not_raised() -> None:
    """INP-1: an instance built without its fields (``object.__new__``) is ``ILL_TYPED``."""
    for cls in ev.EVENT_CLASSES:
        hollow: object = object.__new__(cls)
        assert_refused(_pump(), hollow, Reason.ILL_TYPED)


def _ill_typed_settings() -> list[object]:
    good = SETTINGS
    slots = good.basal_slots_pph
    return [
        None,
        {"max_bolus_pulses": 10},
        evolve(good, max_bolus_pulses=True),
        evolve(good, max_bolus_pulses=10.0),
        evolve(good, max_bolus_pulses="10"),
        evolve(good, max_bolus_pulses=None),
        evolve(good, lgs_enabled=1),
        evolve(good, lgs_enabled=None),
        evolve(good, basal_slots_pph=list(slots)),
        evolve(good, basal_slots_pph=slots[:-1]),
        evolve(good, basal_slots_pph=(*slots, 0)),
        evolve(good, basal_slots_pph=(True, *slots[1:])),
        evolve(good, basal_slots_pph=(1.0, *slots[1:])),
        evolve(good, basal_slots_pph=None),
    ]


@pytest.mark.parametrize("settings", _ill_typed_settings(), ids=lambda s: type(s).__name__)
def test_ill_typed_settings_are_refused(settings: object) -> None:
    """INP-1: a settings value that is not a well-typed ``TherapySettings`` is ``ILL_TYPED``."""
    pump = _pump()
    assert_refused(pump, ev.SettingsChange(pump.now, settings), Reason.ILL_TYPED)  # type: ignore[arg-type]
    assert pump.state.settings == SETTINGS


def test_form_is_checked_before_the_tick() -> None:
    """INP-1, CLK-2: an ill-typed event from the past is refused for its form, not its tick."""
    pump = _pump()
    pump.ticks(5)
    assert_refused(pump, ev.Suspend("0"), Reason.ILL_TYPED)  # type: ignore[arg-type]
    assert_refused(pump, ev.Suspend(-1), Reason.OUT_OF_RANGE)


# CLK-2: the event's tick.


@pytest.mark.parametrize("cls", ev.EVENT_CLASSES, ids=lambda c: c.__name__)
def test_stale_and_future_events_are_refused(cls: type) -> None:
    """CLK-2: for every event class, an event older than now is stale, one newer is from the future."""
    pump = _pump()
    pump.ticks(5)
    now = pump.now
    expected = now + 1 if cls is ev.Tick else now
    base = BASE[cls]
    for tick in (0, expected - 1):
        assert_refused(pump, evolve(base, tick=tick), Reason.STALE_EVENT)
    for tick in (expected + 1, expected + 1000, ev.BIG):
        assert_refused(pump, evolve(base, tick=tick), Reason.FUTURE_EVENT)


def test_tick_check_comes_before_mode_and_replay() -> None:
    """CLK-2: a stale or future event is refused for its tick even when its mode or request ID would decide."""
    pump = delivering_pump()
    pump.ticks(2)
    accepted = ev.BolusRequest(pump.now, 77, Source.USER, 10)
    pump.accept(accepted)
    pump.tick()
    # A replay of an accepted request, but at an old tick: stale, not replayed.
    result = assert_refused(pump, accepted, Reason.STALE_EVENT)
    assert not result.outcome.replayed
    suspended = pump_in_mode(Mode.SUSPENDED)
    suspended.ticks(2)
    assert_refused(suspended, ev.BolusRequest(suspended.now + 1, 1, Source.USER, 10), Reason.FUTURE_EVENT)


def test_ticks_advance_time_by_exactly_one() -> None:
    """CLK-1, CLK-2: only a tick moves time, by one minute; other events happen at the current tick."""
    pump = _pump()
    for expected in range(1, 6):
        assert pump.tick().state.now_ticks == expected
    before = pump.now
    pump.accept(ev.UserPresent(pump.now))
    pump.accept(ev.TimeOffsetChange(pump.now, 30))
    assert pump.now == before


# CLK-1: missed ticks.


def test_missed_ticks_deliver_nothing_and_are_not_caught_up() -> None:
    """CLK-1: a missed tick advances time and the clock but delivers nothing, then and later.

    With 60 pulses an hour (one a minute), an hour in which the platform
    missed 20 ticks delivers exactly 40 pulses, and the next hour 60 again.
    """
    pump = delivering_pump(flat_settings(3000))
    delivered: list[int] = []
    for minute in range(60):
        result = pump.tick(missed=20 <= minute < 40)
        delivered.append(per_tick([result])[0])
    assert delivered == [1] * 20 + [0] * 20 + [1] * 20
    assert pump.now == 60
    assert pump.state.time_of_day_ticks == 60
    assert per_tick(pump.ticks(60)) == [1] * 60


def test_missed_ticks_during_a_bolus_do_not_burst() -> None:
    """CLK-1: a bolus waits through missed ticks and continues at its normal speed, no faster."""
    pump = delivering_pump(flat_settings(0))
    pump.bolus(100)
    pulses = [per_tick([pump.tick(missed=minute < 3)])[0] for minute in range(8)]
    assert pulses == [0, 0, 0, 30, 30, 30, 10, 0]


def test_missed_tick_still_counts_down_timers() -> None:
    """CLK-1: missed ticks are real time: a temp basal still ends at its end time."""
    pump = delivering_pump(flat_settings(0))
    pump.temp(TempKind.ABSOLUTE, 60, 15)
    for _ in range(15):
        pump.tick(missed=True)
    assert pump.state.basal.temp_kind == TempKind.NONE
    assert pump.state.totals.basal_pulses == 0


# INP-1: never raises.


def _random_value(rng: random.Random) -> Any:
    choices: list[Any] = [
        rng.randint(-5, 5),
        rng.randint(0, 10**6),
        rng.choice([True, False]),
        None,
        "x",
        rng.random(),
        -(10**20),
        10**20,
        rng.choice(list(Source)),
        rng.choice(list(AlarmKind)),
        SETTINGS,
        (),
    ]
    return rng.choice(choices)


def _check_refusal_or_acceptance(before: PumpState, event: object) -> PumpState:
    result = step(C, before, event)
    if not result.outcome.accepted:
        assert unchanged_but_log(before, result.state)
        assert result.commands == ()
    return result.state


def test_random_garbage_never_raises() -> None:
    """INP-1: 3000 events with random field values of random types: no exception, refusals change nothing."""
    rng = random.Random(20240611)
    pump = delivering_pump()
    state = pump.state
    for _ in range(3000):
        cls = rng.choice(ev.EVENT_CLASSES)
        values = {name: _random_value(rng) for name in field_names(cls)}
        if rng.random() < 0.5:
            values["tick"] = state.now_ticks + (1 if cls is ev.Tick else 0)
        state = _check_refusal_or_acceptance(state, cls(**values))
