"""What every event handler returns, and the small helpers they share.

Theory of operation
-------------------
A handler ``on_x(config, state, event, logic)`` never decides alone whether
its event is accepted.  It returns a ``Handled``: its ordered table of checks
(``(holds, reason)`` pairs, first failure wins), the state as it would be if
accepted, the effects, and the *edge* conditions it established (a motor
fault, an occlusion).  ``kernel.core`` combines the handler's checks with the
checks every event shares (its ranges, its tick, the request memory, its
mode) and then either commits the new state or keeps the old one whole.  So
there is one error path, in one place (INP-1, INP-2).

Who is at the pump (ALM-2, ALM-4) is decided here too, from the event alone:
``shows_person``.  ``kernel.core`` restarts the auto-off timer for an accepted
event that shows a person, and for no other.

Requirements served: INP-1, INP-2, ALM-2, ALM-4, BOL-6, TMP-2, OCC-2.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kernel.commands import Effects, NoticeKind, notice
from kernel.config import PumpConfig
from kernel.events import DEVICE_EVENTS, PERSON_EVENTS, Source, TempKind
from kernel.logic import Logic
from kernel.modes import Condition
from kernel.state import BasalState, BolusState, PumpState

# Records are built as _new(Cls, (values...)): the same tuple as Cls(values...) at a third of the cost
# (kernel.state, "Building records"; tests/test_record_construction.py checks every call).
_new = tuple.__new__

# Enum members the step reads on every event, as module constants (kernel.logic, "Enum members").
_NONE = TempKind.NONE

Check = tuple[bool, int]
"""(holds, reason code when it does not)."""


class Handled(NamedTuple):
    """A handler's proposal; ``kernel.core`` decides whether to commit it."""

    checks: tuple[Check, ...]
    state: PumpState
    effects: Effects
    edges: tuple[tuple[Condition, bool], ...] = ()


def shows_person(c: PumpConfig, e: Any, logic: Logic) -> bool:
    """Does event ``e`` show a person at the pump (ALM-2, ALM-4)?

    The pump's own buttons always do; its clock, motor and sensor never do;
    an event with a ``source`` does when the source is the user, or the remote
    if the configuration declares it a person-held device; a controller never.
    """
    cls = type(e)
    if cls in PERSON_EVENTS:
        return True
    if cls in DEVICE_EVENTS:
        return False
    return logic.either(
        e.source == Source.USER,
        logic.both(e.source == Source.REMOTE, c.remote_is_person_held),
    )


def end_bolus(s: PumpState, fx: Effects, when: bool, cause: int, logic: Logic) -> tuple[PumpState, Effects]:
    """Stop the normal bolus now when ``when``; report delivered and not delivered (BOL-6, OCC-2)."""
    b = s.bolus
    stops = logic.both(when, b.remaining_pulses > 0)
    if stops is False:
        return s, fx
    fx = notice(fx, NoticeKind.BOLUS_ENDED, stops, b.delivered_pulses, b.remaining_pulses, cause, logic)
    bolus = _new(
        BolusState,
        (
            logic.ite(stops, 0, b.request_id),
            logic.ite(stops, 0, b.remaining_pulses),
            logic.ite(stops, 0, b.delivered_pulses),
            b.ext_request_id,
            b.ext_remaining_pulses,
            b.ext_delivered_pulses,
            b.ext_quotient_pulses,
            b.ext_remainder_pulses,
            b.ext_duration_ticks,
            b.ext_acc,
        ),
    )
    return s._replace(bolus=bolus), fx


def end_extended(s: PumpState, fx: Effects, when: bool, cause: int, logic: Logic) -> tuple[PumpState, Effects]:
    """Stop the extended bolus now when ``when``; report both amounts (BOL-6, OCC-2)."""
    b = s.bolus
    stops = logic.both(when, b.ext_remaining_pulses > 0)
    if stops is False:
        return s, fx
    fx = notice(fx, NoticeKind.EXTENDED_ENDED, stops, b.ext_delivered_pulses, b.ext_remaining_pulses, cause, logic)
    bolus = _new(
        BolusState,
        (
            b.request_id,
            b.remaining_pulses,
            b.delivered_pulses,
            logic.ite(stops, 0, b.ext_request_id),
            logic.ite(stops, 0, b.ext_remaining_pulses),
            logic.ite(stops, 0, b.ext_delivered_pulses),
            b.ext_quotient_pulses,
            b.ext_remainder_pulses,
            b.ext_duration_ticks,
            logic.ite(stops, 0, b.ext_acc),
        ),
    )
    return s._replace(bolus=bolus), fx


def temp_running(s: PumpState, logic: Logic) -> bool:
    """True while a temp basal is in force."""
    return logic.both(s.basal.temp_kind != _NONE, s.basal.temp_remaining_ticks > 0)


def end_temp(s: PumpState, fx: Effects, when: bool, cause: int, logic: Logic) -> tuple[PumpState, Effects]:
    """End the temp basal now when ``when``; the schedule resumes at once (TMP-2)."""
    ends = logic.both(when, temp_running(s, logic))
    if ends is False:
        return s, fx
    fx = notice(fx, NoticeKind.TEMP_BASAL_ENDED, ends, cause, 0, 0, logic)
    b = s.basal
    basal = _new(
        BasalState,
        (
            b.acc,
            logic.ite(ends, _NONE, b.temp_kind),
            logic.ite(ends, 0, b.temp_value),
            logic.ite(ends, 0, b.temp_remaining_ticks),
            b.temp_source,
        ),
    )
    return s._replace(basal=basal), fx
