"""Request identity for 24 hours, and the request memory's capacity (BOL-5).

Theory of operation
-------------------
BOL-5 is a property over time: a request whose ID was answered less than
24 hours ago gets that answer again and delivers nothing more, however many
other requests came between.  A ghost, ``REQ-X``, follows one arbitrary
request ID ``X`` (any ID at least 1) beside the state.  Its update reads only
what the steps emit and the event's fields: the first time a request with ID
``X`` is *answered afresh* (not a replay, not refused for its form, its tick
or a full memory, which answer nothing at a known time), the ghost notes
that it was answered, the answer's reason and the event's tick; the note
lasts 1,440 minutes, after which a new fresh answer replaces it.

* ``GHOST-INIT/REQ-X`` and ``GHOST-CONS/REQ-X/<Event>`` prove, by induction
  over every event class, the ghost invariant: while the note is live, the
  pump's memory holds ``X`` with exactly that tick and reason, behind
  exactly as many newer entries as requests were answered since (counted
  from the outcomes), fewer than ``requests_per_day_max``, none of them for
  ``X``: so the pump never forgets it however many requests come between.
* ``BOL5/replay-same-answer/BolusRequest`` and ``.../TempBasal`` (the
  property): a well-formed current request with ID ``X`` within 1,440
  minutes of the first answer gets the same reason, is marked replayed, and
  the step emits no command at all (no ``Deliver``, no ``BOLUS_STARTED``,
  nothing).  That no bolus is started either is ``BOLUS-ACCOUNT``'s part
  (``proofs.families.bolus``): nothing starts a bolus without announcing it.
* ``BOL5/memory-full-refused/<Event>``: a well-formed current request whose
  ID is not remembered, when ``requests_per_day_max`` answered requests are
  live (counted one by one, ``specs.reference_bolus.live_count``), is refused
  with ``REQUEST_MEMORY_FULL``, commands nothing and forgets nothing (the
  memory is unchanged); ``BOL5/memory-room-decides/<Event>``: with fewer
  live, it is never refused for a full memory.

Assumed beyond the structural rules and the invariants: the ghost's own
invariant (proved by its INIT/CONS).  Left out: that the shell hands the
kernel the request ID the remote sent (the channel adapter, SEC-1, tested).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import z3

from kernel.reasons import Reason
from kernel.state import PumpState
from proofs.builders import EVENT_NAMES, Ghost, ghost_obligations, ghost_step_goal
from proofs.context import Context, Step, boolean
from proofs.framework import Obligation
from proofs.weakening import Weakening
from specs import reference_bolus as ref
from specs.z3_logic import Z3

FAMILY = "bolus"
L = Z3
REQUEST_EVENTS = ("BolusRequest", "TempBasal")
NOT_ANSWERED = (Reason.OUT_OF_RANGE, Reason.STALE_EVENT, Reason.FUTURE_EVENT, Reason.REQUEST_MEMORY_FULL)
"""Refusals that answer nothing at a known time: the request is not remembered."""


def _fresh(prefix: str) -> tuple[Any, Any, Any, Any, Any]:
    return (
        z3.Int(f"{prefix}.x"),
        z3.Bool(f"{prefix}.answered"),
        z3.Int(f"{prefix}.reason"),
        z3.Int(f"{prefix}.tick"),
        z3.Int(f"{prefix}.newer"),
    )


def _live_note(g: Any, now_ticks: Any) -> Any:
    _, answered, _, tick, _ = g
    return z3.And(answered, now_ticks - tick < ref.MEMORY_MINUTES)


def _holds(ctx: Context, s: PumpState, g: Any) -> Any:
    x, answered, reason, tick, newer = g
    r = s.requests
    held = z3.And(
        newer >= 0,
        newer <= ctx.config.requests_per_day_max - 1,
        L.at(r.ids, newer) == x,
        L.at(r.ticks, newer) == tick,
        L.at(r.outcomes, newer) == reason,
        *(z3.Implies(k < newer, r.ids[k] != x) for k in range(len(r.ids))),
    )
    return z3.And(x >= 1, z3.Implies(answered, tick <= s.now_ticks), z3.Implies(_live_note(g, s.now_ticks), held))


def _update(ctx: Context, st: Step, g: Any) -> Any:
    if type(st.event).__name__ not in REQUEST_EVENTS:
        return g
    x, answered, reason, tick, newer = g
    e = st.event
    fx = st.effects
    answered_now = z3.And(z3.Not(boolean(fx.replayed)), *(fx.reason != int(why) for why in NOT_ANSWERED))
    fresh = z3.And(answered_now, e.request_id == x, z3.Not(_live_note(g, e.tick)))
    return (
        x,
        z3.Or(answered, fresh),
        z3.If(fresh, fx.reason, reason),
        z3.If(fresh, e.tick, tick),
        z3.If(fresh, 0, z3.If(answered_now, newer + 1, newer)),
    )


REQ_X = Ghost(
    "REQ-X",
    FAMILY,
    ("BOL-5",),
    "while request X's first answer is less than 1440 minutes old, the memory holds X with that answer and tick, "
    "after exactly as many newer entries as requests were answered since (fewer than requests_per_day_max), "
    "none of them for X",
    _fresh,
    lambda ctx, s0, g: z3.And(g[0] >= 1, z3.Not(g[1]), g[4] == 0),
    _holds,
    _update,
    observes=("outcome",),
)


def _replay_premise(ctx: Context, st: Step, g: Any) -> Any:
    x = g[0]
    return z3.And(
        _live_note(g, st.before.now_ticks),
        st.event.request_id == x,
        boolean(ref.current(st.event, st.before, L)),
    )


def _replay_goal(ctx: Context, st: Step, g: Any) -> Any:
    return z3.And(st.effects.reason == g[2], boolean(st.effects.replayed), z3.Not(st.any_command()))


def empty_last(s: PumpState) -> Any:
    """Empty slots (ID 0) come after every used one: proposed invariant INV-REQ-EMPTY-LAST, assumed here."""
    ids = s.requests.ids
    return z3.And(*(z3.Implies(ids[k] == 0, ids[k + 1] == 0) for k in range(len(ids) - 1)))


EMPTY_LAST = (
    "INV-REQ-EMPTY-LAST (empty request slots come after every used one): not among specs.invariants yet; "
    "assumed by the capacity obligations (stated in their premise), proposed as an invariant",
)


def _new_request(st: Step) -> Any:
    return z3.And(
        empty_last(st.before),
        boolean(ref.current(st.event, st.before, L)),
        z3.Not(boolean(ref.remembered(st.before, st.event.request_id, L))),
    )


def _full_premise(ctx: Context, st: Step, g: Any) -> Any:
    return z3.And(_new_request(st), ref.live_count(st.before, L) >= st.config.requests_per_day_max)


def _full_goal(ctx: Context, st: Step, g: Any) -> Any:
    unchanged = z3.And(
        *(a == b for a, b in zip(st.after.requests.ids, st.before.requests.ids, strict=True)),
        *(a == b for a, b in zip(st.after.requests.ticks, st.before.requests.ticks, strict=True)),
        *(a == b for a, b in zip(st.after.requests.outcomes, st.before.requests.outcomes, strict=True)),
    )
    return z3.And(
        st.effects.reason == int(Reason.REQUEST_MEMORY_FULL),
        z3.Not(boolean(st.effects.replayed)),
        z3.Not(st.any_command()),
        unchanged,
    )


def _room_premise(ctx: Context, st: Step, g: Any) -> Any:
    return z3.And(_new_request(st), ref.live_count(st.before, L) < st.config.requests_per_day_max)


def _room_goal(ctx: Context, st: Step, g: Any) -> Any:
    return z3.And(st.effects.reason != int(Reason.REQUEST_MEMORY_FULL), z3.Not(boolean(st.effects.replayed)))


def _assuming_empty_last(ob: Obligation) -> Obligation:
    return dataclasses.replace(ob, assumes=ob.assumes + EMPTY_LAST)


def obligations() -> list[Obligation]:
    result = ghost_obligations(REQ_X, EVENT_NAMES)
    for event in REQUEST_EVENTS:
        result += [
            ghost_step_goal(
                f"BOL5/replay-same-answer/{event}",
                REQ_X,
                "A current request with an ID answered less than 1440 minutes ago gets that answer again, marked "
                "replayed, and the step commands nothing.",
                event,
                _replay_goal,
                premise=_replay_premise,
                observes=("outcome", "deliver", "notice", "alarm"),
            ),
            _assuming_empty_last(
                ghost_step_goal(
                    f"BOL5/memory-full-refused/{event}",
                    REQ_X,
                    "A new current request when requests_per_day_max answered requests are live is refused with "
                    "REQUEST_MEMORY_FULL, commands nothing and forgets nothing.",
                    event,
                    _full_goal,
                    premise=_full_premise,
                    observes=("outcome", "deliver", "notice", "alarm"),
                )
            ),
            _assuming_empty_last(
                ghost_step_goal(
                    f"BOL5/memory-room-decides/{event}",
                    REQ_X,
                    "A new current request with fewer than requests_per_day_max answered requests live is decided "
                    "on its own merits, never refused for a full memory.",
                    event,
                    _room_goal,
                    premise=_room_premise,
                    observes=("outcome",),
                )
            ),
        ]
    return result


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "W-REQ-REPLAY-ANEW",
        FAMILY,
        "The request memory is not consulted: a repeated ID is decided (and accepted) anew.",
        ("BOL-5",),
        (("kernel.core", "recall", lambda _original: lambda s, request_id, logic: (False, 0)),),
        ("BOL5/replay-same-answer/BolusRequest", "GHOST-CONS/REQ-X/BolusRequest"),
    ),
    Weakening(
        "W-REQ-FORGET-OLDEST",
        FAMILY,
        "The memory is never full: the oldest live request is forgotten silently to make room.",
        ("BOL-5",),
        (("kernel.core", "memory_full", lambda _original: lambda c, s, logic: False),),
        ("BOL5/memory-full-refused/BolusRequest", "GHOST-CONS/REQ-X/BolusRequest"),
    ),
)

SCOPE: dict[str, str] = {
    "BOL-5": "Proved for bolus and temp-basal requests over the outcome and the emitted commands, for one arbitrary "
    "ID (hence every ID) and any number of requests between. Capacity is stated against the live entries of the "
    "memory counted one by one; that every answered request is among them for 24 h is the REQ-X ghost. Delivery "
    "of the request ID from the remote channel is the adapter's part (tested).",
}
