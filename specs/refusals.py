"""What a refused event may change: the spec of INP-1, INP-2 and BOL-5 for concrete steps.

Theory of operation
-------------------
A refused event changes nothing but the event log, with one exception: a
request (a bolus or a temp basal) refused for a reason decided *now* is
remembered, so that a retry with the same ID gets the same answer (BOL-5).
Its answer then becomes the newest entry of the request memory: its ID, the
tick and the reason, every older entry one place further, the oldest slot
gone.  A request refused before it could be answered (out of range, stale,
from the future) or for want of room in the memory is not remembered, and a
replayed request changes nothing at all.

Written from the requirements, not from the kernel's code: the property
tests, the small-scope search and the unit tests check every refusal with it.
"""

from __future__ import annotations

from typing import Any

from kernel import events as ev
from kernel.commands import Outcome
from kernel.reasons import Reason
from kernel.state import PumpState

REQUESTS: tuple[type, ...] = (ev.BolusRequest, ev.TempBasal)
"""The events that carry a request ID (BOL-5)."""

NOT_ANSWERED: tuple[Reason, ...] = (
    Reason.NOT_AN_EVENT,
    Reason.ILL_TYPED,
    Reason.OUT_OF_RANGE,
    Reason.STALE_EVENT,
    Reason.FUTURE_EVENT,
    Reason.REQUEST_MEMORY_FULL,
)
"""Refusals that leave the request memory as it was."""


def _same_but_log(before: PumpState, after: PumpState) -> bool:
    return after._replace(log=before.log) == before


def refusal_kept_only_its_answer(before: PumpState, after: PumpState, event: Any, outcome: Outcome) -> bool:
    """True when a refused step changed only what a refusal may change (see module docstring)."""
    if type(event) not in REQUESTS or outcome.replayed or outcome.reason in NOT_ANSWERED:
        return _same_but_log(before, after)
    old, new = before.requests, after.requests
    remembered = (
        new.ids == (event.request_id, *old.ids[:-1])
        and new.ticks == (before.now_ticks, *old.ticks[:-1])
        and new.outcomes == (int(outcome.reason), *old.outcomes[:-1])
    )
    return remembered and _same_but_log(before, after._replace(requests=old))
