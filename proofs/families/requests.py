"""Request identity for 24 hours, and the request memory's capacity (BOL-5): the obligations.

Theory of operation
-------------------
BOL-5 is a property over time: a request whose ID was answered less than
24 hours ago gets that answer again and delivers nothing more, however many
other requests came between; a request beyond the memory's capacity is
refused, never forgotten.  The ghost ``REQ-X`` (``requests_ghost``) follows
one arbitrary request ID ``X``; its update reads only the outcome the step
emits and the event's fields.

Feasibility.  The memory is the shipped 600 slots.  Run through the whole
shipped step with a ghost tracking X's exact position, every obligation took
75 to 418 s.  The proof is therefore split assume-guarantee style into three
halves, each a set of obligations of this family, all naming BOL-5, so the
requirement is proved only when every one of them is:

* ``LEMMA-REQ/...`` (``requests_memory``): the shipped ``recall`` and
  ``memory_full`` alone, against the reference reading of the memory
  (``specs.reference_bolus``: live entries, counted one by one).
* The step half, on the shipped step of ``BolusRequest`` and ``TempBasal``
  with ``recall`` and ``memory_full`` replaced by *free* values (so what is
  proved holds whatever they return, in particular what the lemmas say):
  ``REQ-STEP/<Event>/memory``: the step keeps the time, keeps the memory
  unless it answers a request afresh, and remembers every request it
  answers afresh (only a current request with a new ID and room) exactly as
  ``reference_bolus.after_answer`` says (stated as two implications on
  ``answered_now``, each a conjunction proved in chunks: the same statement
  as a disjunction of the kept and the answered memory is weaker and took
  9 to 26 s instead of 2); ``BOL5/replay-same-answer/<Event>``: a current request the
  memory recalls gets the recalled answer, marked replayed, and the step
  emits no command at all; ``BOL5/memory-full-refused/<Event>``: a current
  new request with the memory full is refused with ``REQUEST_MEMORY_FULL``,
  commands nothing and the memory is unchanged;
  ``BOL5/memory-room-decides/<Event>``: with room, it is neither refused for
  a full memory nor taken for a replay.
* The memory half, on an arbitrary 600-slot memory with the step's values
  free but for the lemmas and the step contract:
  ``GHOST-INIT/REQ-X``, ``GHOST-CONS/REQ-X/<Event>`` for the 16 events
  without a request ID (the shipped step itself), and
  ``GHOST-CONS/REQ-X/request-answered`` / ``request-kept`` for request steps
  (from ``REQ-STEP``'s contract, case by case); ``REQ-MEM/replay-recalled``:
  while X's note is live, the memory recalls X with the noted answer;
  ``REQ-MEM/full-at-capacity`` / ``room-below-capacity``: a new ID is
  unknown, and the memory is full exactly when ``requests_per_day_max`` live
  entries are counted.

Composition (by instantiation, stated in every obligation's ``assumes``):
from a reachable state (invariants and ghost), the real ``recall`` and
``memory_full`` values satisfy the lemmas, the real step satisfies the step
half for them, and the memory half turns that into the ghost after the step
and into "recalled with the first answer" / "full exactly at capacity", which
the step half turns into what is emitted.  Chosen over a smaller memory
(which proves nothing about the shipped kernel) and over a new kernel
representation (the shift is cheap; the cost was the 600-way terms of recall
and memory_full inside the step and a position-tracking ghost).

Left out: that the shell hands the kernel the request ID the remote sent
(the channel adapter, SEC-1, tested).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import z3

from kernel.reasons import Reason
from kernel.state import PumpState, Requests
from proofs.builders import EVENT_NAMES
from proofs.context import Context, boolean
from proofs.families import requests_ghost as ghost
from proofs.families import requests_memory as lemmas
from proofs.families.requests_ghost import BUDGET_S, FAMILY, REQ_X, REQUEST_EVENTS, L
from proofs.framework import Obligation, Query
from proofs.weakening import Weakening
from specs import reference_bolus as ref


def _obligation(
    oid: str,
    kind: str,
    statement: str,
    event: str | None,
    build: Callable[[Context], Query],
    observes: tuple[str, ...],
    assumes: tuple[str, ...] | None = None,
) -> Obligation:
    chain = CHAIN if assumes is None else assumes
    return Obligation(oid, FAMILY, kind, ("BOL-5",), statement, build, observes, chain, event, BUDGET_S)


CHAIN = (
    *lemmas.ABSTRACTION,
    "the request-step contracts REQ-STEP/<Event>/... and the memory obligations REQ-MEM/... together: each "
    "half is one obligation of this family, proved on its own, and their composition is by instantiation",
)


def _init(ctx: Context) -> Query:
    s0 = ctx.initial_state()
    g = ghost.fresh("g0_REQ-X")
    return Query(ctx.config_hypotheses(), [REQ_X.initial(ctx, s0, g)], ghost.holds(ctx, s0, g))


def _cons(event: str) -> Callable[[Context], Query]:
    """GHOST-CONS on the shipped step, for events that do not carry a request ID."""

    def build(ctx: Context) -> Query:
        st = ctx.step(event)
        g = ghost.fresh("g_REQ-X")
        hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(st.before)
        hyps.append(("GHOST:REQ-X", ghost.holds(ctx, st.before, g)))
        return Query(hyps, list(st.definitions), ghost.holds(ctx, st.after, ghost.update(ctx, st, g)), step=st)

    return build


# --- the step half: the shipped request step, recall and memory_full abstracted, no ghost ---------------------------

AbstractGoal = Callable[[lemmas.AbstractStep], Any]


def _contract(event: str, goal: AbstractGoal, premise: AbstractGoal | None = None) -> Callable[[Context], Query]:
    def build(ctx: Context) -> Query:
        ab = lemmas.abstract_request_step(ctx, event)
        st = ab.step
        hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(st.before)
        if premise is None:
            return Query(hyps, list(st.definitions), goal(ab), step=st)
        conclusion = boolean(goal(ab))
        condition = z3.And(boolean(ref.current(st.event, st.before, L)), boolean(premise(ab)))
        return Query(hyps, list(st.definitions), z3.Implies(condition, conclusion), premise=condition, step=st)

    return build


def _same(a: Requests, b: Requests) -> Any:
    return z3.And(*(x == y for x, y in zip(a.ids + a.ticks + a.outcomes, b.ids + b.ticks + b.outcomes, strict=True)))


def _memory_contract(ab: lemmas.AbstractStep) -> Any:
    """The memory is kept unless a request is answered afresh, and then (only for a new current request with room)
    answered as the reference says.  Stronger than "kept or answered" (the memory never changes for a request it
    does not answer), and each implication's conclusion is a conjunction, so it is proved in chunks."""
    st = ab.step
    e = st.event
    moved = z3.And(
        _same(st.after.requests, ref.after_answer(st.before, e.request_id, st.effects.reason)),
        z3.Not(ab.known),
        z3.Not(ab.full),
        e.request_id >= 1,
        e.tick == st.before.now_ticks,
    )
    answered = ghost.answered_now(st.effects.reason, st.effects.replayed)
    return [
        ("time-kept", st.after.now_ticks == st.before.now_ticks),
        ("kept-unless-answered", z3.Implies(z3.Not(answered), _same(st.after.requests, st.before.requests))),
        ("answered-remembered", z3.Implies(answered, moved)),
    ]


def _replay_goal(ab: lemmas.AbstractStep) -> Any:
    st = ab.step
    return z3.And(st.effects.reason == ab.original, boolean(st.effects.replayed), z3.Not(st.any_command()))


def _full_goal(ab: lemmas.AbstractStep) -> Any:
    st = ab.step
    return z3.And(
        st.effects.reason == int(Reason.REQUEST_MEMORY_FULL),
        z3.Not(boolean(st.effects.replayed)),
        z3.Not(st.any_command()),
        _same(st.after.requests, st.before.requests),
    )


def _room_goal(ab: lemmas.AbstractStep) -> Any:
    st = ab.step
    return z3.And(st.effects.reason != int(Reason.REQUEST_MEMORY_FULL), z3.Not(boolean(st.effects.replayed)))


# --- the memory half: the 600-slot memory and the ghost, the step's values free ---------------------------------


MemoryGoal = Callable[[Context, PumpState, Any, dict[str, Any]], Any]


def _memory(
    goal: MemoryGoal,
    needs: tuple[str, ...],
    invariants: tuple[str, ...] = (),
    premise: MemoryGoal | None = None,
    config: bool = True,
    using: Mapping[str, tuple[str, ...]] | None = None,
) -> Callable[[Context], Query]:
    """A query on the memory alone, assuming the ghost, and only the lemma facts and invariants named (a smaller
    query; fewer hypotheses only make a proof harder).  With ``using``, the goals are a chain (each proved goal a
    hypothesis of the later ones) and a goal named there is first tried on those hypotheses alone
    (``proofs.framework.Query``)."""
    chained = using is not None
    only = using or {}

    def build(ctx: Context) -> Query:
        s = ctx.fresh_state("rm")
        g = ghost.fresh("gm_REQ-X")
        v = {name: z3.Int(f"rm!{name}") for name in ("request_id", "original", "reason", "tick")}
        v.update({name: z3.Bool(f"rm!{name}") for name in ("known", "full", "replayed", "remembers")})
        hyps = ctx.config_hypotheses() if config else []
        hyps += [(lb, f) for lb, f in ctx.invariant_hypotheses(s) if lb in invariants]
        hyps.append(("GHOST:REQ-X", ghost.holds(ctx, s, g)))
        facts = lemmas.recall_facts(s, v["request_id"], v["known"], v["original"]) + lemmas.full_facts(
            ctx.config, s, v["full"]
        )
        hyps += [(f"LEMMA:{name}", formula) for name, formula in facts if name in needs]
        conclusion = goal(ctx, s, g, v)
        if premise is None:
            return Query(hyps, [], conclusion, chained=chained, using=only)
        condition = premise(ctx, s, g, v)
        if isinstance(conclusion, list):
            conclusion = [(name, z3.Implies(condition, part)) for name, part in conclusion]
        else:
            conclusion = z3.Implies(condition, conclusion)
        return Query(hyps, [], conclusion, premise=condition, chained=chained, using=only)

    return build


CAPACITY_FACTS = ("recall-finds", "full-at", "count-at-prefix", "count-at-capacity", "count-at-room")


def _mem_cons(remembers: bool) -> MemoryGoal:
    """GHOST-CONS for a request step, from its contract: memory answered as the reference says, or kept.

    Proved case by case: in each case the updated ghost equals an explicit value (goal ``<case>:ghost``) and the
    invariant holds of that value (``<case>:holds``); together they are the invariant of the updated ghost.
    """

    def goal(ctx: Context, s: PumpState, g: Any, v: dict[str, Any]) -> Any:
        rid = v["request_id"]
        g2 = ghost.advanced(g, rid, v["tick"], v["reason"], v["replayed"])
        answered_now = ghost.answered_now(v["reason"], v["replayed"])
        if not remembers:
            contract = z3.Not(answered_now)
            cases = [("kept", contract, g, s)]
        else:
            after = s._replace(requests=ref.after_answer(s, rid, v["reason"]))
            contract = z3.And(z3.Not(v["known"]), z3.Not(v["full"]), rid >= 1, v["tick"] == s.now_ticks)
            note = ghost.live_note(g, s.now_ticks)
            noted = (g[0], z3.BoolVal(True), v["reason"], s.now_ticks)
            cases = [
                ("other-id", z3.And(contract, rid != g[0]), g, after),
                ("x-while-noted", z3.And(contract, rid == g[0], note), None, after),
                ("x-fresh", z3.And(contract, rid == g[0], z3.Not(note), answered_now), noted, after),
                ("x-unanswered", z3.And(contract, rid == g[0], z3.Not(note), z3.Not(answered_now)), g, after),
            ]
        goals = []
        for name, case, value, state in cases:
            if value is None:  # the case cannot arise: X noted and live is known, and the contract says not known
                goals.append((f"{name}:impossible", z3.Not(case)))
                continue
            goals.append((f"{name}:ghost", z3.Implies(case, z3.And(*(a == b for a, b in zip(g2, value, strict=True))))))
            goals.append((f"{name}:holds", z3.Implies(case, ghost.holds(ctx, state, value))))
        return goals

    return goal


def _mem_replay_premise(ctx: Context, s: PumpState, g: Any, v: dict[str, Any]) -> Any:
    return z3.And(ghost.live_note(g, s.now_ticks), v["request_id"] == g[0])


def _mem_replay(ctx: Context, s: PumpState, g: Any, v: dict[str, Any]) -> Any:
    return [("known", v["known"]), ("answer", v["original"] == g[2])]


REPLAY_USING: Mapping[str, tuple[str, ...]] = {"answer": ("GHOST:REQ-X", "LEMMA:recall-answer", "GOAL:known")}
"""``REQ-MEM/replay-recalled`` as a chain: ``known`` first (some live entry holds X, so the memory knows it), then
the answer from the ghost, ``recall-answer`` and ``known`` alone.  With ``recall-finds-every`` (600 implications)
also in its slice, the answer took 6 s alone and 11 to 33 s inside full runs; from these three, 1.4 s."""


def _mem_capacity_premise(full: bool) -> MemoryGoal:
    def premise(ctx: Context, s: PumpState, g: Any, v: dict[str, Any]) -> Any:
        new = z3.And(v["request_id"] >= 1, z3.Not(boolean(ref.remembered(s, v["request_id"], L))))
        count = ref.live_count(s, L)
        many = count >= ctx.config.requests_per_day_max if full else count < ctx.config.requests_per_day_max
        return z3.And(new, many)

    return premise


def _mem_capacity(full: bool) -> MemoryGoal:
    def goal(ctx: Context, s: PumpState, g: Any, v: dict[str, Any]) -> Any:
        return z3.And(z3.Not(v["known"]), v["full"] if full else z3.Not(v["full"]))

    return goal


def obligations() -> list[Obligation]:
    result = lemmas.lemma_obligations()
    result.append(
        _obligation("GHOST-INIT/REQ-X", "initiation", f"In the initial state: {REQ_X.statement}", None, _init, (), ())
    )
    for name in EVENT_NAMES:
        if name not in REQUEST_EVENTS:
            statement = f"After every {name}: {REQ_X.statement}"
            result.append(_obligation(f"GHOST-CONS/REQ-X/{name}", "consecution", statement, name, _cons(name), (), ()))
    result += [
        _obligation(
            "GHOST-CONS/REQ-X/request-answered",
            "consecution",
            "After a request step that answers a request and remembers it as its contract says "
            f"(REQ-STEP/<Event>/memory): {REQ_X.statement}",
            None,
            _memory(_mem_cons(True), ("recall-finds-every", "recall-finds", "full-at")),
            ("outcome",),
        ),
        _obligation(
            "GHOST-CONS/REQ-X/request-kept",
            "consecution",
            "After a request step that keeps the memory, which its contract allows only when it answers nothing "
            f"afresh (REQ-STEP/<Event>/memory): {REQ_X.statement}",
            None,
            _memory(_mem_cons(False), ()),
            ("outcome",),
        ),
        _obligation(
            "REQ-MEM/replay-recalled",
            "safety",
            "While request X's first answer is less than 1440 minutes old, the memory recalls X with that answer.",
            None,
            _memory(
                _mem_replay,
                ("recall-finds-every", "recall-answer"),
                premise=_mem_replay_premise,
                config=False,
                using=REPLAY_USING,
            ),
            (),
        ),
        _obligation(
            "REQ-MEM/full-at-capacity",
            "safety",
            "A new request ID when requests_per_day_max live entries are counted: unknown, and the memory is full.",
            None,
            _memory(_mem_capacity(True), CAPACITY_FACTS, ("INV-REQ-ORDER",), _mem_capacity_premise(True)),
            (),
        ),
        _obligation(
            "REQ-MEM/room-below-capacity",
            "safety",
            "A new request ID when fewer than requests_per_day_max live entries are counted: unknown, not full.",
            None,
            _memory(_mem_capacity(False), CAPACITY_FACTS, ("INV-REQ-ORDER",), _mem_capacity_premise(False)),
            (),
        ),
    ]
    everything = ("outcome", "deliver", "notice", "alarm")
    for event in REQUEST_EVENTS:
        result += [
            _obligation(
                f"REQ-STEP/{event}/memory",
                "safety",
                "A request step keeps the time, and keeps the memory unless it answers a request afresh; a request "
                "it answers afresh (only a current one with a new ID and room) is remembered as the reference says.",
                event,
                _contract(event, _memory_contract),
                ("outcome",),
            ),
            _obligation(
                f"BOL5/replay-same-answer/{event}",
                "safety",
                "A current request the memory recalls gets the recalled answer, marked replayed, and the step commands "
                "nothing (with REQ-MEM/replay-recalled: the answer given less than 1440 minutes ago).",
                event,
                _contract(event, _replay_goal, lambda ab: ab.known),
                everything,
            ),
            _obligation(
                f"BOL5/memory-full-refused/{event}",
                "safety",
                "A current request with a new ID when the memory is full is refused with REQUEST_MEMORY_FULL, commands "
                "nothing and forgets nothing (with REQ-MEM/full-at-capacity: full is requests_per_day_max live).",
                event,
                _contract(event, _full_goal, lambda ab: z3.And(z3.Not(ab.known), ab.full)),
                everything,
            ),
            _obligation(
                f"BOL5/memory-room-decides/{event}",
                "safety",
                "A current request with a new ID and room is decided on its own merits, never refused for a full "
                "memory nor taken for a replay (with REQ-MEM/room-below-capacity).",
                event,
                _contract(event, _room_goal, lambda ab: z3.And(z3.Not(ab.known), z3.Not(ab.full))),
                ("outcome",),
            ),
        ]
    return result


def _off_by_one(original: Any) -> Any:
    """memory_full looking one position too early: full with requests_per_day_max - 1 live."""
    return lambda c, s, logic: original(c._replace(requests_per_day_max=c.requests_per_day_max - 1), s, logic)


def _overwrite_newest(original: Any) -> Any:
    """remember writing over the newest entry instead of shifting: that entry is forgotten while live."""
    return lambda s, request_id, reason: Requests(
        (request_id, *s.requests.ids[1:]), (s.now_ticks, *s.requests.ticks[1:]), (reason, *s.requests.outcomes[1:])
    )


def _accepted_only(original: Any) -> Any:
    """remember keeping only accepted requests: a refused request's retry is decided anew."""

    def planted(s: PumpState, request_id: Any, reason: Any) -> Requests:
        new = original(s, request_id, reason)
        kept = reason == int(Reason.ACCEPTED)
        return Requests(
            *(tuple(z3.If(kept, a, b) for a, b in zip(n, o, strict=True)) for n, o in zip(new, s.requests, strict=True))
        )

    return planted


def _weakening(wid: str, statement: str, patches: Any, expected: tuple[str, ...]) -> Weakening:
    return Weakening(wid, FAMILY, statement, ("BOL-5",), patches, expected)


WEAKENINGS: tuple[Weakening, ...] = (
    _weakening(
        "W-REQ-REPLAY-ANEW",
        "The request memory is not consulted: a repeated ID is decided (and accepted) anew.",
        (("kernel.core", "recall", lambda _original: lambda s, request_id, logic: (False, 0)),),
        ("LEMMA-REQ/recall-finds",),
    ),
    _weakening(
        "W-REQ-RECALL-OLDEST",
        "recall ignores the oldest slot: a request answered 600 requests ago is decided anew.",
        (("kernel.requests", "REQUEST_SLOTS", lambda original: original - 1),),
        ("LEMMA-REQ/recall-finds",),
    ),
    _weakening(
        "W-REQ-SHORT-MEMORY",
        "A request is remembered for 1439 minutes only.",
        (("kernel.requests", "REQUEST_MEMORY_TICKS", lambda original: original - 1),),
        ("LEMMA-REQ/recall-finds",),
    ),
    _weakening(
        "W-REQ-FORGET-OLDEST",
        "The memory is never full: the oldest live request is forgotten silently to make room.",
        (("kernel.core", "memory_full", lambda _original: lambda c, s, logic: False),),
        ("LEMMA-REQ/full-at",),
    ),
    _weakening(
        "W-REQ-FULL-OFF-BY-ONE",
        "The memory counts itself full one request early.",
        (("kernel.core", "memory_full", _off_by_one),),
        ("LEMMA-REQ/full-at",),
    ),
    _weakening(
        "W-REQ-OVERWRITE-NEWEST",
        "Remembering a request overwrites the newest entry, which is forgotten while live.",
        (("kernel.core", "remember", _overwrite_newest),),
        ("REQ-STEP/BolusRequest/memory",),
    ),
    _weakening(
        "W-REQ-REFUSED-FORGOTTEN",
        "Refused requests are not remembered: a refused request's retry is decided anew.",
        (("kernel.core", "remember", _accepted_only),),
        ("REQ-STEP/TempBasal/memory",),
    ),
    _weakening(
        "W-REQ-REPLAY-DELIVERS",
        "Requests are not treated as requests: a replay is decided again and may deliver again.",
        (("kernel.core", "REQUEST_EVENTS", lambda _original: ()),),
        ("BOL5/replay-same-answer/BolusRequest",),
    ),
)

SCOPE: dict[str, str] = {
    "BOL-5": "Proved for bolus and temp-basal requests (one namespace) over the outcome and the emitted commands, "
    "for one arbitrary ID (hence every ID), the shipped 600-slot memory and any number of requests between, "
    "assume-guarantee: lemmas on recall and memory_full alone, step contracts on the step with those two "
    "abstracted, memory obligations with the REQ-X ghost. Capacity is stated against the live entries counted one "
    "by one. Delivery of the request ID from the remote channel is the adapter's part (tested).",
}
