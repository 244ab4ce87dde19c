"""The REQ-X ghost of the BOL-5 proof: one arbitrary request ID, followed beside the state.

Theory of operation
-------------------
The ghost holds ``(x, answered, reason, tick)``: request ID ``X`` (at least
1), whether it was answered afresh, with which reason, at which tick.  Its
update (``advanced``) reads only what a request step emits and the event's
fields: the first time a request with ID ``X`` is *answered afresh* (not a
replay, not refused for its form, its tick or a full memory), the note is
taken; it lasts 1,440 minutes, after which a new fresh answer replaces it.

The invariant (``holds``) is position-free and time-free but for the note's
age: empty slots come after every used one; while the note is live, every
entry holding ``X`` holds the noted tick and reason or is older than the
noted tick by 24 h or more (slot by slot), and some entry at a position
below ``requests_per_day_max`` holds ``X`` with the noted tick (``kept``).
Units: ``_ticks``.  Requirement: BOL-5.
"""

from __future__ import annotations

from typing import Any

import z3

from kernel.reasons import Reason
from kernel.state import PumpState
from proofs.builders import Ghost
from proofs.context import Context, Step, boolean
from proofs.families import requests_memory as lemmas
from specs import reference_bolus as ref
from specs.z3_logic import Z3

FAMILY = lemmas.FAMILY
L = Z3
REQUEST_EVENTS = ("BolusRequest", "TempBasal")
NOT_ANSWERED = (Reason.OUT_OF_RANGE, Reason.STALE_EVENT, Reason.FUTURE_EVENT, Reason.REQUEST_MEMORY_FULL)
"""Refusals that answer nothing at a known time: the request is not remembered."""
BUDGET_S = 20.0


def fresh(prefix: str) -> tuple[Any, Any, Any, Any]:
    return (z3.Int(f"{prefix}.x"), z3.Bool(f"{prefix}.answered"), z3.Int(f"{prefix}.reason"), z3.Int(f"{prefix}.tick"))


def live_note(g: Any, now_ticks: Any) -> Any:
    _, answered, _, tick = g
    return z3.And(answered, now_ticks - tick < ref.MEMORY_MINUTES)


def holds(ctx: Context, s: PumpState, g: Any) -> Any:
    x, answered, reason, tick = g
    r = s.requests
    # Time-free: entries holding X are the noted answer or older than the noted tick by 24 h or more.
    expired = tick - ref.MEMORY_MINUTES
    same = [
        z3.Implies(r.ids[k] == x, z3.Or(z3.And(r.ticks[k] == tick, r.outcomes[k] == reason), r.ticks[k] <= expired))
        for k in range(len(r.ids))
    ]
    kept = z3.Or(
        *(z3.And(k < ctx.config.requests_per_day_max, r.ids[k] == x, r.ticks[k] == tick) for k in range(len(r.ids)))
    )
    return z3.And(
        x >= 1,
        z3.Implies(answered, tick <= s.now_ticks),
        lemmas.empty_last(s),
        z3.Implies(live_note(g, s.now_ticks), z3.And(*same, kept)),
    )


def advanced(g: Any, request_id: Any, tick: Any, reason: Any, replayed: Any) -> Any:
    """The ghost after a request step with this ID, tick, outcome reason and replay mark (observables only)."""
    x, answered, noted, noted_tick = g
    fresh = z3.And(answered_now(reason, replayed), request_id == x, z3.Not(live_note(g, tick)))
    return (x, z3.Or(answered, fresh), z3.If(fresh, reason, noted), z3.If(fresh, tick, noted_tick))


def answered_now(reason: Any, replayed: Any) -> Any:
    """Answered afresh: not a replay, and not refused for its form, its tick or a full memory."""
    return z3.And(z3.Not(boolean(replayed)), *(reason != int(why) for why in NOT_ANSWERED))


def update(ctx: Context, st: Step, g: Any) -> Any:
    if type(st.event).__name__ not in REQUEST_EVENTS:
        return g
    return advanced(g, st.event.request_id, st.event.tick, st.effects.reason, st.effects.replayed)


REQ_X = Ghost(
    "REQ-X",
    FAMILY,
    ("BOL-5",),
    "empty request slots come after every used one; while request X's first answer is less than 1440 minutes old, "
    "every live entry holding X holds that answer and tick, and one at a position below requests_per_day_max does",
    fresh,
    lambda ctx, s0, g: z3.And(g[0] >= 1, z3.Not(g[1])),
    holds,
    update,
    observes=("outcome",),
)
