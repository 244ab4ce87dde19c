"""The request memory: every request is answered once, for 24 hours (BOL-5).

Theory of operation
-------------------
Boluses and temp basals are *requests*: they carry a request ID, and a retry
with the same ID (a double key-strike, a phone app resending after a
reconnect) must get the original answer and deliver nothing more.  The pump
remembers, for 24 hours, every request it answered, accepted or refused:
its ID, the tick and the ``Reason`` it was answered with (``Requests`` in
``kernel.state``, newest first).  Bolus and temp-basal requests share one
namespace: an ID names one request, whatever its kind.

``kernel.core`` does the rest in one place:

1. A request whose ID is live in the memory (answered less than 24 hours
   ago) is a *replay*: it is answered with the remembered reason, marked
   ``replayed``, and changes nothing at all.
2. Otherwise, if ``requests_per_day_max`` requests are already live, the
   memory is full and the request is refused (``REQUEST_MEMORY_FULL``): the
   pump never forgets a live request to make room.
3. Otherwise the request is decided as usual, and its answer, accepted or
   refused, is remembered.  This is the one change a refused request makes
   (besides the event log): remembering it is what lets its retry get the
   same answer.

Requests that fail their form, ranges or tick are not remembered: they were
not answered at a known time.  Ticks only grow, so the memory is ordered by
time; the live entries are a prefix of it, and "full" is "the entry at
position ``requests_per_day_max - 1`` is live".

Units: ``_ticks``.  Requirements served: BOL-5, INP-1, INP-2.
"""

from __future__ import annotations

from kernel.config import PumpConfig
from kernel.logic import Logic
from kernel.state import PumpState, Requests
from kernel.units import REQUEST_MEMORY_TICKS, REQUEST_SLOTS

# Records are built as _new(Cls, (values...)): the same tuple as Cls(values...) at a third of the cost
# (kernel.state, "Building records"; tests/test_record_construction.py checks every call).
_new = tuple.__new__


def recall(s: PumpState, request_id: int, logic: Logic) -> tuple[bool, int]:
    """Whether ``request_id`` is live in the memory, and the reason it was answered with."""
    r = s.requests
    now = s.now_ticks
    hits: list[bool] = []
    reason = 0
    if logic.member(request_id, r.ids) is not False:
        for k in range(REQUEST_SLOTS - 1, -1, -1):  # oldest first, so the newest live entry decides
            hit = logic.both(r.ids[k] == request_id, now - r.ticks[k] < REQUEST_MEMORY_TICKS)
            if hit is not False:
                hits.append(hit)
                reason = logic.ite(hit, r.outcomes[k], reason)
    return logic.any(*hits), reason


def memory_full(c: PumpConfig, s: PumpState, logic: Logic) -> bool:
    """``requests_per_day_max`` requests answered within the last 24 hours (BOL-5)."""
    r = s.requests
    last = c.requests_per_day_max - 1
    used = logic.at(r.ids, last) != 0
    return logic.both(used, s.now_ticks - logic.at(r.ticks, last) < REQUEST_MEMORY_TICKS)


def remember(s: PumpState, request_id: int, reason: int) -> Requests:
    """The memory with ``request_id`` answered now with ``reason``, newest first (the oldest slot leaves)."""
    r = s.requests
    return _new(
        Requests,
        (
            (request_id,) + r.ids[:-1],
            (s.now_ticks,) + r.ticks[:-1],
            (reason,) + r.outcomes[:-1],
        ),
    )
