"""Building obligations: a step property, a property of every event class, a ghost invariant, a state property.

Theory of operation
-------------------
Most obligations have one of four shapes, built here so that a family module
states only its property:

* ``on_step``: a property of one event class's step, from any state that
  satisfies every invariant (``Context.invariant_hypotheses``), for any event
  of that class and any structurally valid configuration;
* ``on_every_step``: the same property for all 18 event classes (one
  obligation each, so a failure names the class);
* ``ghost``: a property that needs memory of the past (what was commanded
  since a moment, how long a suspension has lasted, when a person last
  acted).  A ``Ghost`` adds fresh variables beside the state, an initial
  value, an update computed from each step's *observables* (its commands and
  outcome) and the reference specs (``specs.reference``), never from the
  kernel's own bookkeeping, and an invariant linking them to the state.
  ``INIT``, ``CONS`` (for every event class) and the property's goal are
  three kinds of obligation; together they prove the property for every event
  sequence from the initial state: 1-induction over the ghost-augmented state;
* ``on_state``: a property of every state satisfying the invariants.

A premise, when given, is what makes the property say something; the runner
checks that it can hold (``proofs.framework``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import z3

from kernel import events as ev
from proofs.context import Context, Step, boolean
from proofs.framework import Obligation, Query

EVENT_NAMES: tuple[str, ...] = tuple(cls.__name__ for cls in ev.EVENT_CLASSES)

StepGoal = Callable[[Step], Any]


def on_step(
    oid: str,
    family: str,
    requirements: Sequence[str],
    statement: str,
    event: str,
    goal: StepGoal,
    *,
    premise: StepGoal | None = None,
    observes: Sequence[str] = (),
    assumes: Sequence[str] = (),
    kind: str = "safety",
    budget_s: float = 60.0,
) -> Obligation:
    """``premise => goal`` (or ``goal``) for every step of one event class."""

    def build(ctx: Context) -> Query:
        st = ctx.step(event)
        hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(st.before)
        conclusion = boolean(goal(st))
        if premise is None:
            return Query(hyps, list(st.definitions), conclusion, step=st)
        condition = boolean(premise(st))
        return Query(hyps, list(st.definitions), z3.Implies(condition, conclusion), premise=condition, step=st)

    return Obligation(
        oid,
        family,
        kind,
        tuple(requirements),
        statement,
        build,
        tuple(observes),
        tuple(assumes),
        event,
        budget_s,
    )


def on_every_step(
    oid: str,
    family: str,
    requirements: Sequence[str],
    statement: str,
    goal: StepGoal,
    *,
    premise: StepGoal | None = None,
    observes: Sequence[str] = (),
    assumes: Sequence[str] = (),
    events: Sequence[str] = EVENT_NAMES,
    kind: str = "safety",
) -> list[Obligation]:
    """``on_step`` for every event class (``<oid>/<Event>``)."""
    return [
        on_step(
            f"{oid}/{name}",
            family,
            requirements,
            statement,
            name,
            goal,
            premise=premise,
            observes=observes,
            assumes=assumes,
            kind=kind,
        )
        for name in events
    ]


def on_state(
    oid: str,
    family: str,
    requirements: Sequence[str],
    statement: str,
    goal: Callable[[Context, Any], Any],
    *,
    premise: Callable[[Context, Any], Any] | None = None,
    observes: Sequence[str] = (),
    assumes: Sequence[str] = (),
    kind: str = "safety",
) -> Obligation:
    """``premise => goal`` for every state satisfying the invariants."""

    def build(ctx: Context) -> Query:
        s = ctx.fresh_state("q")
        hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(s)
        conclusion = boolean(goal(ctx, s))
        if premise is None:
            return Query(hyps, [], conclusion)
        condition = boolean(premise(ctx, s))
        return Query(hyps, [], z3.Implies(condition, conclusion), premise=condition)

    return Obligation(oid, family, kind, tuple(requirements), statement, build, tuple(observes), tuple(assumes))


def witness_on_step(
    oid: str, family: str, statement: str, event: str, goal: StepGoal, requirements: Sequence[str] = ()
) -> Obligation:
    """Some step of ``event`` from an invariant state does ``goal`` (non-vacuity)."""

    def build(ctx: Context) -> Query:
        st = ctx.step(event)
        hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(st.before)
        return Query(hyps, list(st.definitions), boolean(goal(st)), witness=True, step=st)

    return Obligation(oid, family, "non-vacuity", tuple(requirements), statement, build, (), (), event)


# --- ghosts ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ghost:
    """Memory of the past beside the state, proved by induction over every event class (see module docstring).

    ``fresh(prefix)`` makes the ghost variables; ``initial(ctx, s0, g)`` says
    what they are in the initial state; ``holds(ctx, s, g)`` is the ghost
    invariant; ``update(ctx, step, g)`` gives the variables after a step.
    """

    name: str
    family: str
    requirements: tuple[str, ...]
    statement: str
    fresh: Callable[[str], Any]
    initial: Callable[[Context, Any, Any], Any]
    holds: Callable[[Context, Any, Any], Any]
    update: Callable[[Context, Step, Any], Any]
    observes: tuple[str, ...] = ()
    assumes: tuple[str, ...] = ()


def ghost_obligations(ghost: Ghost, events: Sequence[str] = EVENT_NAMES) -> list[Obligation]:
    """``GHOST-INIT/<name>`` and ``GHOST-CONS/<name>/<Event>`` for a ghost invariant."""

    def init(ctx: Context) -> Query:
        s0 = ctx.initial_state()
        g = ghost.fresh(f"g0_{ghost.name}")
        condition = boolean(ghost.initial(ctx, s0, g))
        return Query(ctx.config_hypotheses(), [condition], boolean(ghost.holds(ctx, s0, g)))

    obligations = [
        Obligation(
            f"GHOST-INIT/{ghost.name}",
            ghost.family,
            "initiation",
            ghost.requirements,
            f"In the initial state: {ghost.statement}",
            init,
            (),
            ghost.assumes,
        )
    ]
    for name in events:

        def cons(ctx: Context, name: str = name) -> Query:
            st = ctx.step(name)
            g = ghost.fresh(f"g_{ghost.name}")
            hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(st.before)
            hyps.append((f"GHOST:{ghost.name}", boolean(ghost.holds(ctx, st.before, g))))
            after = ghost.update(ctx, st, g)
            return Query(hyps, list(st.definitions), boolean(ghost.holds(ctx, st.after, after)), step=st)

        obligations.append(
            Obligation(
                f"GHOST-CONS/{ghost.name}/{name}",
                ghost.family,
                "consecution",
                ghost.requirements,
                f"After every {name}: {ghost.statement}",
                cons,
                ghost.observes,
                ghost.assumes,
                name,
            )
        )
    return obligations


def ghost_goal(
    oid: str,
    ghost: Ghost,
    statement: str,
    goal: Callable[[Context, Any, Any], Any],
    *,
    premise: Callable[[Context, Any, Any], Any] | None = None,
    requirements: Sequence[str] | None = None,
    observes: Sequence[str] = (),
    kind: str = "safety",
) -> Obligation:
    """A property of every state and ghost value satisfying the invariants and the ghost invariant."""

    def build(ctx: Context) -> Query:
        s = ctx.fresh_state("q")
        g = ghost.fresh(f"gq_{ghost.name}")
        hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(s)
        hyps.append((f"GHOST:{ghost.name}", boolean(ghost.holds(ctx, s, g))))
        conclusion = boolean(goal(ctx, s, g))
        if premise is None:
            return Query(hyps, [], conclusion)
        condition = boolean(premise(ctx, s, g))
        return Query(hyps, [], z3.Implies(condition, conclusion), premise=condition)

    return Obligation(
        oid,
        ghost.family,
        kind,
        tuple(requirements if requirements is not None else ghost.requirements),
        statement,
        build,
        tuple(observes),
        ghost.assumes,
    )


def ghost_step_goal(
    oid: str,
    ghost: Ghost,
    statement: str,
    event: str,
    goal: Callable[[Context, Step, Any], Any],
    *,
    premise: Callable[[Context, Step, Any], Any] | None = None,
    requirements: Sequence[str] | None = None,
    observes: Sequence[str] = (),
) -> Obligation:
    """A property of one event class's step from a state and ghost satisfying the invariants and the ghost."""

    def build(ctx: Context) -> Query:
        st = ctx.step(event)
        g = ghost.fresh(f"gs_{ghost.name}")
        hyps = ctx.config_hypotheses() + ctx.invariant_hypotheses(st.before)
        hyps.append((f"GHOST:{ghost.name}", boolean(ghost.holds(ctx, st.before, g))))
        conclusion = boolean(goal(ctx, st, g))
        if premise is None:
            return Query(hyps, list(st.definitions), conclusion, step=st)
        condition = boolean(premise(ctx, st, g))
        return Query(hyps, list(st.definitions), z3.Implies(condition, conclusion), premise=condition, step=st)

    return Obligation(
        oid,
        ghost.family,
        "safety",
        tuple(requirements if requirements is not None else ghost.requirements),
        statement,
        build,
        tuple(observes),
        ghost.assumes,
        event,
    )
