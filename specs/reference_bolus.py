"""Reference specifications for boluses and requests, in the catalogue's words (BOL-1..6, SEC-2, SEC-3, CALC-3).

Theory of operation
-------------------
Each function restates what a requirement asks, reading only the kernel's
data types (configuration, settings, state records, events) and the logic
primitives of ``kernel.logic``; none calls a kernel function that decides
anything (``kernel.bolus``, ``kernel.requests``, ``kernel.core``).  The
proof family ``proofs.families.bolus`` / ``requests`` / ``calculator``
compares what the shipped step emits with these.

* a request's form: every integer field inside the static ranges of
  ``kernel.events.EVENT_SCHEMA`` (data, not a decision), and its tick is now;
* the bolus amount asked for, and whether the extended part's duration is in
  the configured range (BOL-2: ``extended_min_ticks..extended_max_ticks``,
  which the clinical configuration rule fixes at 15 min..8 h);
* who may ask for a bolus at all (SEC-2: the remote only when switched on; a
  controller only with closed loop switched on);
* the request memory read plainly (BOL-5): an entry is live for 1,440
  minutes, and the number of live entries is counted one by one (the kernel
  instead looks at one position of the newest-first memory);
* a multiple of the bolus increment (CALC-3), for the increments the
  calculator settings allow (1..10 pulses), without a symbolic modulus.

Units: ``_pulses``, ``_ticks``.
"""

from __future__ import annotations

from typing import Any

from kernel import events as ev
from kernel.events import BolusRequest, Source
from kernel.logic import Logic
from kernel.settings import TherapySettings
from kernel.state import PumpState, Requests

MEMORY_MINUTES = 1440
"""A request is remembered for 24 hours (BOL-5)."""

MAX_INCREMENT_PULSES = 10
"""The largest bolus increment: 0.1 U (``INCREMENT_MAX_MU``) in the smallest pulse (0.01 U)."""


def well_formed(e: Any, L: Logic) -> Any:
    """Every integer field of ``e`` is inside its static range (the form the kernel is specified for, INP-1)."""
    conds = []
    for name, kind, low, high in ev.EVENT_SCHEMA[type(e)]:
        if kind is int:
            value = getattr(e, name)
            conds += [value >= low, value <= high]
    return L.all(*conds)


def current(e: Any, s: PumpState, L: Logic) -> Any:
    """A well-formed non-tick event carrying the pump's current tick (CLK-2)."""
    return L.both(well_formed(e, L), e.tick == s.now_ticks)


def requested_pulses(e: BolusRequest) -> Any:
    """The whole amount a bolus request asks for: immediate plus extended part (BOL-1)."""
    return e.immediate_pulses + e.extended_pulses


def extended_shape_ok(lowest_ticks: Any, highest_ticks: Any, e: BolusRequest, L: Logic) -> Any:
    """BOL-2: an extended part runs for a duration in the configured range; without one, no duration is given."""
    with_part = L.all(e.extended_pulses > 0, e.extended_ticks >= lowest_ticks, e.extended_ticks <= highest_ticks)
    without = L.both(e.extended_pulses == 0, e.extended_ticks == 0)
    return L.either(with_part, without)


def source_may_bolus(st: TherapySettings, e: BolusRequest, L: Logic) -> Any:
    """SEC-2, TMP-3: the user always; the remote only if remote bolus is switched on; a controller only with
    closed loop switched on."""
    return L.any(
        e.source == Source.USER,
        L.both(e.source == Source.REMOTE, st.remote_bolus_enabled),
        L.both(e.source == Source.CONTROLLER, st.controller_enabled),
    )


def live(s: PumpState, k: int, L: Logic) -> Any:
    """Memory entry ``k`` holds a request answered less than 24 hours ago."""
    r = s.requests
    return L.both(r.ids[k] != 0, s.now_ticks - r.ticks[k] < MEMORY_MINUTES)


def remembered(s: PumpState, request_id: Any, L: Logic) -> Any:
    """Some live entry holds ``request_id``."""
    return L.any(*(L.both(live(s, k, L), s.requests.ids[k] == request_id) for k in range(len(s.requests.ids))))


def live_count(s: PumpState, L: Logic) -> Any:
    """How many requests the memory holds as live, counted one by one (BOL-5)."""
    count: Any = 0
    for k in range(len(s.requests.ids)):
        count = count + L.ite(live(s, k, L), 1, 0)
    return count


def multiple_of(pulses: Any, increment_pulses: Any, L: Logic) -> Any:
    """``pulses`` is a whole number of increments, for increments 1..10 pulses (CALC-3)."""
    return L.any(
        *(
            L.both(increment_pulses == step, L.div_const(pulses, step) * step == pulses)
            for step in range(1, MAX_INCREMENT_PULSES + 1)
        )
    )


def after_answer(s: PumpState, request_id: Any, reason: Any) -> Requests:
    """BOL-5: the memory after answering ``request_id`` now with ``reason``: the new entry first, every other
    entry one place older, the oldest place leaves (whether it may leave is the capacity rule's business)."""
    r = s.requests
    return Requests(
        (request_id, *r.ids[:-1]),
        (s.now_ticks, *r.ticks[:-1]),
        (reason, *r.outcomes[:-1]),
    )
