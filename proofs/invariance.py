"""The invariants are inductive: they hold initially and every event class preserves them.

Theory of operation
-------------------
``INIT/<invariant>``: the initial state of every structurally valid
configuration satisfies the invariant.  ``CONS/<Event>``: from any state
satisfying every invariant, any event of the class leads to a state
satisfying every invariant.  Together they prove every invariant of
``specs.invariants`` in every reachable state, for every event sequence: the
standard induction.  The invariants are the strengthening every other
obligation assumes (and they are internal bookkeeping: a requirement is
never *proved* by them alone, ``proofs.report``).
"""

from __future__ import annotations

from typing import Any

from proofs.builders import EVENT_NAMES
from proofs.context import Context, boolean
from proofs.framework import Obligation, Query
from specs.invariants import INVARIANTS
from specs.z3_logic import Z3Logic

FAMILY = "invariants"

WEAKENINGS: tuple[Any, ...] = ()
"""Planted defects for the induction are in the families whose properties they break."""

SCOPE: dict[str, str] = {}


def _initiation(index: int) -> Any:
    def build(ctx: Context) -> Query:
        inv = INVARIANTS[index]
        s0 = ctx.initial_state()
        return Query(ctx.config_hypotheses(), [], boolean(inv.holds(ctx.config, s0, Z3Logic())))

    return build


def _consecution(event: str) -> Any:
    def build(ctx: Context) -> Query:
        st = ctx.step(event)
        logic = Z3Logic()
        goals = [(inv.id, boolean(inv.holds(st.config, st.after, logic))) for inv in INVARIANTS]
        return Query(
            ctx.config_hypotheses() + ctx.invariant_hypotheses(st.before), list(st.definitions), goals, step=st
        )

    return build


def obligations() -> list[Obligation]:
    result = [
        Obligation(
            f"INIT/{inv.id}",
            FAMILY,
            "initiation",
            inv.requirements,
            f"The initial state satisfies {inv.id}: {inv.statement}",
            _initiation(index),
        )
        for index, inv in enumerate(INVARIANTS)
    ]
    result += [
        Obligation(
            f"CONS/{event}",
            FAMILY,
            "consecution",
            tuple(sorted({r for inv in INVARIANTS for r in inv.requirements})),
            f"Every {event} from a state satisfying all invariants leads to one satisfying them.",
            _consecution(event),
            event=event,
        )
        for event in EVENT_NAMES
    ]
    return result
