"""What every event handler returns, and the small helpers they share.

Theory of operation
-------------------
A handler ``on_x(config, state, event, logic)`` never decides alone whether
its event is accepted.  It returns a ``Handled``: its ordered table of checks
(``(holds, reason)`` pairs, first failure wins), whether the event is a replay
of a remembered request, the state as it would be if accepted, the effects,
and the *edge* conditions it established (a motor fault, an occlusion).
``kernel.core`` combines the handler's checks with the checks every event
shares (its tick, its mode) and then either commits the new state or keeps
the old one whole.  So there is one error path, in one place (INP-1, INP-2).

Requirements served: INP-1, INP-2, BOL-5, BOL-6, TMP-2, OCC-2, ALM-2.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from kernel.commands import Effects, NoticeKind, notice
from kernel.events import TempKind
from kernel.logic import Logic
from kernel.modes import Condition
from kernel.state import PumpState

Check = tuple[bool, int]
"""(holds, reason code when it does not)."""


@dataclass(frozen=True)
class Handled:
    """A handler's proposal; ``kernel.core`` decides whether to commit it."""

    checks: tuple[Check, ...]
    replay: bool
    state: PumpState
    effects: Effects
    edges: tuple[tuple[Condition, bool], ...] = ()


def is_replay(s: PumpState, request_id: int, logic: Logic) -> bool:
    """True if ``request_id`` was accepted recently (BOL-5)."""
    return logic.any(*(known == request_id for known in s.recent_request_ids))


def remember(s: PumpState, request_id: int) -> PumpState:
    """``s`` with ``request_id`` remembered as accepted, the oldest forgotten (BOL-5)."""
    return replace(s, recent_request_ids=(request_id, *s.recent_request_ids[:-1]))


def touched_by_user(s: PumpState, by_user: bool, logic: Logic) -> PumpState:
    """Restart the auto-off timer when the user acted (ALM-2)."""
    return replace(s, timers=replace(s.timers, idle_ticks=logic.ite(by_user, 0, s.timers.idle_ticks)))


def end_bolus(s: PumpState, fx: Effects, when: bool, cause: int, logic: Logic) -> tuple[PumpState, Effects]:
    """Stop the normal bolus now when ``when``; report delivered and not delivered (BOL-6, OCC-2)."""
    b = s.bolus
    stops = logic.all(when, b.remaining_pulses > 0)
    fx = notice(fx, NoticeKind.BOLUS_ENDED, stops, b.delivered_pulses, b.remaining_pulses, cause, logic)
    bolus = replace(
        b,
        remaining_pulses=logic.ite(stops, 0, b.remaining_pulses),
        request_id=logic.ite(stops, 0, b.request_id),
        delivered_pulses=logic.ite(stops, 0, b.delivered_pulses),
    )
    return replace(s, bolus=bolus), fx


def end_extended(s: PumpState, fx: Effects, when: bool, cause: int, logic: Logic) -> tuple[PumpState, Effects]:
    """Stop the extended bolus now when ``when``; report both amounts (BOL-6, OCC-2)."""
    b = s.bolus
    stops = logic.all(when, b.ext_remaining_pulses > 0)
    fx = notice(fx, NoticeKind.EXTENDED_ENDED, stops, b.ext_delivered_pulses, b.ext_remaining_pulses, cause, logic)
    bolus = replace(
        b,
        ext_remaining_pulses=logic.ite(stops, 0, b.ext_remaining_pulses),
        ext_request_id=logic.ite(stops, 0, b.ext_request_id),
        ext_delivered_pulses=logic.ite(stops, 0, b.ext_delivered_pulses),
        ext_acc=logic.ite(stops, 0, b.ext_acc),
    )
    return replace(s, bolus=bolus), fx


def temp_running(s: PumpState, logic: Logic) -> bool:
    """True while a temp basal is in force."""
    return logic.all(s.basal.temp_kind != TempKind.NONE, s.basal.temp_remaining_ticks > 0)


def end_temp(s: PumpState, fx: Effects, when: bool, cause: int, logic: Logic) -> tuple[PumpState, Effects]:
    """End the temp basal now when ``when``; the schedule resumes at once (TMP-2)."""
    ends = logic.all(when, temp_running(s, logic))
    fx = notice(fx, NoticeKind.TEMP_BASAL_ENDED, ends, cause, 0, 0, logic)
    basal = replace(
        s.basal,
        temp_kind=logic.ite(ends, TempKind.NONE, s.basal.temp_kind),
        temp_value=logic.ite(ends, 0, s.basal.temp_value),
        temp_remaining_ticks=logic.ite(ends, 0, s.basal.temp_remaining_ticks),
    )
    return replace(s, basal=basal), fx
