"""Lemmas about the request memory's functions alone, and their abstraction in the step (BOL-5).

Theory of operation
-------------------
The request memory is 600 slots (``kernel.units.REQUEST_SLOTS``).  Run
through the whole shipped step, the kernel's memory functions are 600-way
terms (``recall``: a disjunction and an if-then-else chain; ``memory_full``:
an if-then-else chain on the symbolic position ``requests_per_day_max - 1``)
inside a query about everything else the step does, and Z3 took 75 to 418 s
per obligation.  So the proof of BOL-5 is split, assume-guarantee style:

1. *Lemmas* (``LEMMA-REQ/...``, this module) about the functions the shipped
   step calls, ``kernel.core.recall`` and ``kernel.core.memory_full`` (read
   at build time, so a planted defect in them is what the lemmas see), on an
   arbitrary 600-slot state satisfying every invariant, with no step around
   them:

   * ``recall-finds``: a request ID (at least 1) is *known* exactly when
     some live entry holds it (``specs.reference_bolus.remembered``);
   * ``recall-answer``: when known, the answer recalled is the answer of some
     live entry holding that ID;
   * ``full-at``: the memory is *full* exactly when the entry at position
     ``requests_per_day_max - 1`` is live (stated slot by slot);
   * ``count-at``: when empty slots come after every used one, at least
     ``requests_per_day_max`` live entries counted one by one
     (``specs.reference_bolus.live_count``) is the same as the entry at
     position ``requests_per_day_max - 1`` being live.  This one is about the
     reference alone (the two readings of "full" agree).

2. *Abstraction* (``abstract_request_step``): the request step is built with
   ``kernel.core.recall`` and ``kernel.core.memory_full`` replaced by fresh
   Z3 constants (``abs!known``, ``abs!original``, ``abs!full``) constrained by
   exactly the lemmas above, instantiated on the step's own state and request
   ID and tracked as ``LEMMA:...`` hypotheses.  ``kernel.core.remember`` (a
   shift) and everything else stay the shipped code.

Soundness: every state a step starts from satisfies the invariants (and the
REQ-X ghost, which carries "empty slots come last"), so the lemmas hold of
the shipped functions there; replacing a function by anything satisfying
what is proved of it can only admit *more* behaviours, so a step obligation
proved on the abstraction holds of the shipped step.  The chain holds only if
every lemma is proved: the lemmas are obligations of the family, run by the
suite beside the step obligations, and name BOL-5, so a failing lemma fails
the requirement.  Units: ``_ticks``.  Requirement: BOL-5.
"""

from __future__ import annotations

import importlib
import itertools
from dataclasses import dataclass
from typing import Any

import z3

from kernel.state import PumpState
from proofs.context import EVENTS, Context, Step, boolean, build_step
from proofs.framework import Obligation, Query
from proofs.weakening import planted
from specs import reference_bolus as ref
from specs.z3_logic import Z3Logic

FAMILY = "requests"
LEMMA_STATEMENTS: dict[str, str] = {
    "recall-finds": "A request ID (at least 1) is known to the memory exactly when some live entry holds it.",
    "recall-answer": "When a request ID is known, the answer recalled is the answer of some live entry holding it.",
    "full-at": "The memory is full exactly when its entry at position requests_per_day_max - 1 is live.",
    "count-at": "With empty slots after every used one, the live entries are a prefix of the memory; and then at "
    "least requests_per_day_max live entries (counted one by one) is the same as the entry at position "
    "requests_per_day_max - 1 being live.",
}
ABSTRACTION = (
    "kernel.core.recall and kernel.core.memory_full replaced in the step by fresh values constrained by "
    "LEMMA-REQ/recall-finds, recall-answer, full-at and count-at, each proved on the shipped functions "
    "(proofs.families.requests_memory); sound only while those lemmas are proved",
)


def empty_last(s: PumpState) -> Any:
    """Empty slots (ID 0) come after every used one, as one term (not a conjunction, so it is proved whole)."""
    ids = s.requests.ids
    return z3.Not(z3.Or(*(z3.And(ids[k] == 0, ids[k + 1] != 0) for k in range(len(ids) - 1))))


def at_last(c: Any, s: PumpState) -> Any:
    """The entry at position ``requests_per_day_max - 1`` is live (a disjunction over the positions)."""
    last = c.requests_per_day_max - 1
    return z3.Or(*(z3.And(last == k, boolean(ref.live(s, k, Z3))) for k in range(len(s.requests.ids))))


Z3 = Z3Logic()


def recall_facts(s: PumpState, request_id: Any, known: Any, original: Any) -> list[tuple[str, Any]]:
    """``recall-finds`` and ``recall-answer`` for ``recall(s, request_id) == (known, original)``."""
    r = s.requests
    hits = [z3.And(boolean(ref.live(s, k, Z3)), r.ids[k] == request_id) for k in range(len(r.ids))]
    answers = [z3.And(hit, original == r.outcomes[k]) for k, hit in enumerate(hits)]
    return [
        ("recall-finds", z3.Implies(z3.And(request_id >= 1, boolean(known)), z3.Or(*hits))),
        ("recall-finds-every", z3.And(*(z3.Implies(z3.And(request_id >= 1, hit), known) for hit in hits))),
        ("recall-answer", z3.Implies(z3.And(request_id >= 1, boolean(known)), z3.Or(*answers))),
    ]


def full_facts(c: Any, s: PumpState, full: Any) -> list[tuple[str, Any]]:
    """``full-at`` and ``count-at`` for ``memory_full(c, s) == full``."""
    last = c.requests_per_day_max - 1
    at = [z3.Implies(last == k, boolean(full) == boolean(ref.live(s, k, Z3))) for k in range(len(s.requests.ids))]
    many = ref.live_count(s, Z3) >= c.requests_per_day_max
    lives = [boolean(ref.live(s, k, Z3)) for k in range(len(s.requests.ids))]
    prefix = z3.And(*(z3.Implies(lives[k + 1], lives[k]) for k in range(len(lives) - 1)))
    return [
        ("full-at", z3.And(*at)),
        ("count-at-prefix", z3.Implies(empty_last(s), prefix)),
        ("count-at-capacity", z3.Implies(z3.And(prefix, many), at_last(c, s))),
        ("count-at-room", z3.Implies(z3.And(prefix, at_last(c, s)), many)),
    ]


def shipped(name: str) -> Any:
    """The function the shipped step calls (``kernel.core.<name>``), read now: a planted defect is what is seen."""
    return getattr(importlib.import_module("kernel.core"), name)


def _lemma(name: str) -> Obligation:
    def build(ctx: Context) -> Query:
        s = ctx.fresh_state("m")
        request_id = z3.Int("m.request_id")
        logic = Z3Logic()
        # Each lemma assumes only what it needs (fewer hypotheses: a stronger lemma, and a smaller query).
        hyps: list[tuple[str, Any]] = []
        if not name.startswith("recall"):
            hyps += ctx.config_hypotheses()
        if name == "count-at":
            hyps += [(label, f) for label, f in ctx.invariant_hypotheses(s) if label.startswith("INV-REQ-")]
        if name.startswith("recall"):
            known, original = shipped("recall")(s, request_id, logic)
            facts = recall_facts(s, request_id, boolean(known), original)
        else:
            facts = full_facts(ctx.config, s, boolean(shipped("memory_full")(ctx.config, s, logic)))
        goals = [(label, formula) for label, formula in facts if label.startswith(name)]
        return Query(hyps, [], goals)

    return Obligation(
        f"LEMMA-REQ/{name}",
        FAMILY,
        "lemma",
        ("BOL-5",),
        LEMMA_STATEMENTS[name],
        build,
        (),
        (),
        None,
        20.0,
    )


def lemma_obligations() -> list[Obligation]:
    """The four lemmas the abstraction rests on."""
    return [_lemma(name) for name in LEMMA_STATEMENTS]


_NUMBERS = itertools.count()


@dataclass(frozen=True)
class AbstractStep:
    """A request step with recall and memory_full abstracted: the step and the fresh values standing for them."""

    step: Step
    known: Any
    original: Any
    full: Any


_STEPS: dict[tuple[int, str], tuple[Context, AbstractStep]] = {}


def abstract_request_step(ctx: Context, event: str) -> AbstractStep:
    """The step of a request event with recall and memory_full replaced by fresh values (cached per context)."""
    key = (id(ctx), event)
    cached = _STEPS.get(key)
    if cached is not None and cached[0] is ctx:
        return cached[1]
    n = next(_NUMBERS)
    known, original, full = z3.Bool(f"abs!known{n}"), z3.Int(f"abs!original{n}"), z3.Bool(f"abs!full{n}")
    patches = (
        ("kernel.core", "recall", lambda _original: lambda s, request_id, logic: (known, original)),
        ("kernel.core", "memory_full", lambda _original: lambda c, s, logic: full),
    )
    with planted(patches):
        st = build_step(EVENTS[event], ctx.config, f"abs{n}")
    result = AbstractStep(st, known, original, full)
    _STEPS[key] = (ctx, result)
    return result
