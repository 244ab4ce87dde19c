"""Run proof obligations with Z3: results, unsat cores, counterexamples.

Theory of operation
-------------------
Each obligation runs in a fresh solver with a budget.  The budget is given in
seconds but enforced as Z3 *resource units* (``rlimit``), at
``RLIMIT_UNITS_PER_SECOND``: a deterministic amount of solver work, so a busy
machine cannot turn a proof into ``unknown`` (with a wall-clock limit it
did: ``SAFE/controller-temp-iob`` at a load of 8 to 10 on 2 cores).  A
wall-clock limit of ``WALL_FACTOR`` times the budget stays as a backstop.  Configuration rules
and invariants are asserted with ``assert_and_track`` so the unsat core of a
proof lists what it used; the goal (negated for proofs) is asserted plainly.
Results: ``proved`` (unsat for a proof, sat for a witness), ``failed`` (the
opposite), ``unknown`` (Z3 gave up or timed out).  Only ``proved`` passes.

A failed step obligation comes with a counterexample: the configuration, the
state before, the event and the state after, read from the Z3 model into the
kernel's own values, then replayed through the real ``kernel.step`` to show
whether the code agrees with its Z3 interpretation on that step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import z3

from kernel.core import transition
from kernel.logic import PY
from proofs.model import Context, changed_leaves, concretize
from proofs.obligations import Obligation, Query

DEFAULT_TIMEOUT_MS = 60_000

RLIMIT_UNITS_PER_SECOND = 15_000_000
"""Z3 resource units per second of solving, measured on the project's 2-core machine (10 to 18 million a
second over the slowest obligations: CALC/rounding-below-increment 156 M in 8.7 s,
SAFE/controller-temp-iob/last-tick 96 M in 6.9 s, CONS/Tick 5.6 M in 0.5 s)."""

WALL_FACTOR = 10
"""The wall-clock backstop, as a multiple of the budget."""


@dataclass
class Counterexample:
    """A concrete step that breaks an obligation."""

    config: Any
    before: Any
    event: Any
    after: Any
    changes: list[tuple[str, Any, Any]]
    kernel_agrees: bool
    """Whether the real ``kernel.core.transition`` produces the same next state."""


@dataclass
class Result:
    """The outcome of one obligation."""

    obligation: Obligation
    status: str
    seconds: float
    used: list[str] = field(default_factory=list)
    counterexample: Counterexample | None = None
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "proved"


def _check(query: Query, timeout_ms: int) -> tuple[Any, z3.Solver, dict[str, Any]]:
    solver = z3.Solver()
    solver.set("rlimit", timeout_ms * (RLIMIT_UNITS_PER_SECOND // 1000))
    solver.set("timeout", timeout_ms * WALL_FACTOR)
    solver.set("unsat_core", True)
    labels: dict[str, Any] = {}
    for label, formula in query.tracked:
        literal = z3.Bool(f"track::{label}")
        labels[str(literal)] = label
        solver.assert_and_track(formula, literal)
    for formula in query.plain:
        solver.add(formula)
    solver.add(query.goal if query.witness else z3.Not(query.goal))
    return solver.check(), solver, labels


def _counterexample(query: Query, model: z3.ModelRef) -> Counterexample | None:
    step = query.step
    if step is None:
        return None
    config = concretize(model, step.config)
    before = concretize(model, step.before)
    event = concretize(model, step.event)
    after = concretize(model, step.after)
    try:
        replayed, _ = transition(config, before, event, PY)
        agrees = replayed == after
    except Exception:  # the replay of an arbitrary model state may violate the kernel's assumptions
        agrees = False
    return Counterexample(config, before, event, after, list(changed_leaves(before, after)), agrees)


def run_obligation(ctx: Context, obligation: Obligation, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Result:
    """Run one obligation (see module docstring)."""
    started = time.perf_counter()
    query = obligation.build(ctx)
    answer, solver, labels = _check(query, timeout_ms)
    seconds = time.perf_counter() - started
    if answer == z3.unknown:
        return Result(obligation, "unknown", seconds, detail=solver.reason_unknown())
    if query.witness:
        if answer == z3.sat:
            return Result(obligation, "proved", seconds, detail="witness found")
        return Result(obligation, "failed", seconds, detail="no state satisfies the premise: vacuous")
    if answer == z3.unsat:
        used = sorted(labels[str(literal)] for literal in solver.unsat_core())
        return Result(obligation, "proved", seconds, used=used)
    return Result(obligation, "failed", seconds, counterexample=_counterexample(query, solver.model()))
