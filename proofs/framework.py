"""Proof obligations, how each is run with Z3, and what a result means.

Theory of operation
-------------------
An ``Obligation`` is one Z3 query over an arbitrary configuration that
satisfies the structural rules (``kernel.config.structural_checks``) and,
for step obligations, an arbitrary state satisfying every invariant
(``specs.invariants``) and an arbitrary event of one class.  For a *proof*
the hypotheses with the negated goal must be unsatisfiable; for a *witness*
(non-vacuity) the hypotheses with the goal must be satisfiable.  Any other
answer, ``unknown`` and running out of budget included, is a failure: it
proves nothing and catches nothing.

Each obligation says what it is about:

* ``observes``: the outputs of the step it constrains: ``deliver`` (the motor
  command: pulses, purpose, basal and bolus parts), ``alarm``, ``notice``,
  ``outcome`` (accepted or the refusal's reason).  An obligation that
  observes nothing constrains only internal bookkeeping (an invariant, a
  refinement step); a requirement is *proved* only by obligations that
  observe what the pump commands (EVD-1, ``proofs.report``);
* ``assumes``: what it takes for granted beyond the structural configuration
  rules and the invariants (which every obligation assumes, and whose own
  proofs are the ``INIT``/``CONS`` obligations);
* ``premise``: for a conditional property, the condition under which it says
  something.  The runner checks that the premise can hold together with the
  hypotheses (a separate satisfiability query): a property whose premise can
  never hold proves nothing and is reported *vacuous*, which fails it.

Budgets are Z3 resource units (``rlimit``) at ``RLIMIT_UNITS_PER_SECOND``, so
a busy machine cannot turn a proof into ``unknown``; a wall-clock limit of
``WALL_FACTOR`` times the budget stays as a backstop.  Hypotheses are tracked
(``assert_and_track``) so the unsat core names the configuration rules and
invariants a proof used.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import z3

from proofs.slicing import Slicer, product_ids, split_goal
from specs.z3_logic import expand_products, product_definitions

RLIMIT_UNITS_PER_SECOND = 15_000_000
"""Z3 resource units per second of solving, measured on the project's 2-core machine (10 to 18 million a second
over the slowest obligations of the previous suite)."""

WALL_FACTOR = 10
"""The wall-clock backstop, as a multiple of the budget."""

DEFAULT_BUDGET_S = 60.0
"""Seconds of budget per obligation (in resource units, see above)."""

OBSERVABLES = ("deliver", "alarm", "notice", "outcome")
"""What a step emits: the motor command, alarms, notices, and the outcome."""


@dataclass
class Query:
    """What an obligation asks Z3.

    ``goal`` may be a list of named goals (a conjunction): each is checked in
    turn on one incremental solver (push, negated goal, check, pop), which
    keeps every query small; the obligation is proved only if every one is.
    """

    tracked: list[tuple[str, Any]]
    plain: list[Any]
    goal: Any
    premise: Any | None = None
    witness: bool = False
    step: Any | None = None
    products: bool = False
    """Keep each product (``specs.z3_logic``, "A product") as an application with its definition among the
    hypotheses; otherwise (the default) each is replaced by its shift-and-add sum before solving.  The same
    query either way; applications let Z3 equate the reference's and the kernel's products of equal arguments
    by congruence, but slowed other queries (a premise check of ``LIM-4/controller-bolus`` did not finish)."""
    chained: bool = False
    """Goals as a chain of lemmas: once a goal is proved it is a hypothesis (labelled ``GOAL:<name>``) of every
    goal after it.  Sound: each goal follows from the hypotheses and the goals before it, which themselves follow
    from the hypotheses, so every goal follows from the hypotheses alone.  The labels a goal's proof used name
    the hypotheses behind the goals it leaned on, never ``GOAL:...``."""
    using: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """For a goal (by name), the only hypotheses its first attempt may use: tracked labels and, when chained,
    ``GOAL:<name>`` of earlier goals.  Fewer hypotheses can only make a proof harder, so a proof from them is a
    proof of the query; if that attempt fails the goal is tried, as any other, on its slice and then on every
    hypothesis (and every earlier goal), so a failure is never judged on the restricted set."""


@dataclass(frozen=True)
class Obligation:
    """One proof obligation (see module docstring)."""

    id: str
    family: str
    kind: str
    requirements: tuple[str, ...]
    statement: str
    build: Callable[[Any], Query] = field(repr=False, compare=False)
    observes: tuple[str, ...] = ()
    assumes: tuple[str, ...] = ()
    event: str | None = None
    """The event class whose symbolic step the query uses (its name), for partitioning the work."""
    budget_s: float = DEFAULT_BUDGET_S


@dataclass
class Result:
    """The outcome of one obligation."""

    obligation: Obligation
    status: str
    """``proved``, ``failed``, ``unknown`` or ``vacuous``."""
    seconds: float
    used: list[str] = field(default_factory=list)
    premise: str = "none"
    """``satisfiable``, ``none`` (unconditional) or ``vacuous``."""
    detail: str = ""
    counterexample: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        return self.status == "proved"


def _solver(budget_s: float) -> z3.Solver:
    solver = z3.Solver()
    solver.set("rlimit", int(budget_s * RLIMIT_UNITS_PER_SECOND))
    solver.set("timeout", int(budget_s * 1000 * WALL_FACTOR))
    return solver


SLICE_BUDGET_S = 5.0
"""Budget of one sliced attempt (``proofs.slicing``); the full query keeps the obligation's budget."""


def _goals(query: Query) -> list[tuple[str, Any]]:
    return list(query.goal) if isinstance(query.goal, list) else [("goal", query.goal)]


def _prove_sliced(slicer: Slicer, goal: Any) -> list[str] | None:
    """The labels used if a slice of the hypotheses proves ``goal``, else ``None`` (see ``proofs.slicing``).

    The slice's conjuncts are grouped by label, one tracking literal per label (checked as assumptions), so
    the unsat core names the hypotheses used at the granularity the report speaks of.
    """
    grouped: dict[str, list[Any]] = {}
    for label, formula in slicer.slice(goal):
        grouped.setdefault(label, []).append(formula)
    solver = _solver(min(SLICE_BUDGET_S, DEFAULT_BUDGET_S))
    literals: dict[int, str] = {}
    assumptions = []
    for index, (label, formulas) in enumerate(grouped.items()):
        if label == "plain":
            solver.add(*formulas)
            continue
        literal = z3.Bool(f"slice::{index}")
        literals[literal.get_id()] = label
        assumptions.append(literal)
        solver.add(z3.Implies(literal, fast_and(formulas)))
    solver.add(z3.Not(goal))
    if solver.check(*assumptions) == z3.unsat:
        return sorted({literals[lit.get_id()] for lit in solver.unsat_core()})
    return None


def fast_and(formulas: list[Any]) -> Any:
    """``z3.And`` of Boolean terms through the C API (``z3.And`` re-coerces every argument in Python)."""
    if len(formulas) == 1:
        return formulas[0]
    ctx = formulas[0].ctx
    array = (z3.Ast * len(formulas))(*(f.as_ast() for f in formulas))
    return z3.BoolRef(z3.Z3_mk_and(ctx.ref(), len(formulas), array), ctx)


def _parts(goal: Any) -> list[Any]:
    """A goal's parts to prove one at a time: a large conjunction in chunks of ``CHUNK`` conjuncts."""
    parts = split_goal(goal)
    if len(parts) == 1:
        return parts
    return [fast_and(parts[i : i + CHUNK]) for i in range(0, len(parts), CHUNK)]


CHUNK = 256
"""Conjuncts of a split goal proved together on the union of their slices.  Measured on the 18 ``CONS/<Event>``
obligations (about 2,800 invariant conjuncts each), one process: 93 s in chunks of 8, 38 s of 32, 23 s of 128
or 512, 47 s unsplit.  A chunk whose slice fails is retried half by half, each on its own slice
(``_prove_halves``)."""


def _check(query: Query, budget_s: float) -> tuple[Any, z3.Solver | None, list[str], str]:
    """Returns (answer, the solver of a failed or unknown goal, labels used, the name of that goal)."""
    if query.witness:
        solver = _solver(budget_s)
        for _, formula in query.tracked:
            solver.add(_bool(formula))
        for formula in query.plain:
            solver.add(_bool(formula))
        solver.add(_bool(query.goal))
        return solver.check(), solver, [], ""
    tracked = [(label, _bool(f)) for label, f in query.tracked]
    plain = [_bool(f) for f in query.plain]
    goals = _goals(query)
    _check_using(query, tracked, goals)
    slicer = Slicer(tracked, plain)
    proved: list[tuple[str, Any]] = []
    behind: dict[str, set[str]] = {}
    """For each chained goal proved, the hypotheses its proof used (``GOAL:`` labels resolved)."""
    used: set[str] = set()
    full: z3.Solver | None = None
    labels: dict[str, str] = {}

    def resolved(found: list[str] | set[str]) -> set[str]:
        return {hyp for label in found for hyp in behind.get(label, {label})}

    for name, goal in goals:
        stated = _bool(goal)
        mine: set[str] = set()
        restricted = None
        if name in query.using:
            wanted = set(query.using[name])
            restricted = Slicer([h for h in tracked + proved if h[0] in wanted], plain)
        for part in _parts(stated):
            sliced = _prove_sliced(restricted, part) if restricted is not None else None
            if sliced is None and slicer.parts:  # without tracked hypotheses a slice is the goal alone: no use
                sliced = _prove_sliced(slicer, part)
                if sliced is None:
                    sliced = _prove_halves(slicer, part)
            if sliced is not None:
                mine.update(resolved(sliced))
                continue
            if full is None:
                full = _solver(budget_s)
                full.set("unsat_core", True)
                for label, formula in tracked + proved:
                    literal = z3.Bool(f"track::{label}")
                    labels[str(literal)] = label
                    full.assert_and_track(formula, literal)
                for formula in plain:
                    full.add(formula)
            full.push()
            full.add(z3.Not(part))
            answer = full.check()
            if answer != z3.unsat:
                return answer, full, [], name
            mine.update(resolved({labels[str(lit)] for lit in full.unsat_core()}))
            full.pop()
        used |= mine
        if query.chained:
            label = f"GOAL:{name}"
            behind[label] = mine
            proved.append((label, stated))
            slicer.add(label, stated)
            if full is not None:
                literal = z3.Bool(f"track::{label}")
                labels[str(literal)] = label
                full.assert_and_track(stated, literal)
    return z3.unsat, full, sorted(used), ""


def _prove_halves(slicer: Slicer, part: Any) -> list[str] | None:
    """The labels used if each half of a conjunction whose slice failed is proved on its own slice (a half that
    fails is halved again, down to single conjuncts), else ``None`` at the first conjunct no slice proves.

    The same conjunction, proved piecewise on smaller slices: sound as slicing is.  Halving finds a false conjunct
    among a chunk's 256 in about 16 sliced attempts where trying each conjunct took up to 256 (a planted defect's
    refutation), and stops at it; the caller then runs the full query, whose model is the counterexample."""
    if not z3.is_and(part) or len(part.children()) < 2 or not slicer.slice(part):
        # With no hypothesis in the part's slice, each half's slice is empty too: the part failed alone (a model,
        # or out of budget), and a conjunction is valid alone only if each half is.  Straight to the full query.
        return None
    children = part.children()
    used: set[str] = set()
    for half in (children[: len(children) // 2], children[len(children) // 2 :]):
        formula = fast_and(half)
        found = _prove_sliced(slicer, formula)
        if found is None:
            found = _prove_halves(slicer, formula)
        if found is None:
            return None
        used.update(found)
    return sorted(used)


def _check_using(query: Query, tracked: list[tuple[str, Any]], goals: list[tuple[str, Any]]) -> None:
    """A ``using`` entry names goals of the query and, for each, hypotheses it has (a mistake is a build error)."""
    names = [name for name, _ in goals]
    known = {label for label, _ in tracked}
    for name, wanted in query.using.items():
        if name not in names:
            raise ValueError(f"using: no goal named {name!r}")
        earlier = {f"GOAL:{n}" for n in names[: names.index(name)]} if query.chained else set()
        unknown = set(wanted) - known - earlier
        if unknown:
            raise ValueError(f"using: goal {name!r} names hypotheses it does not have: {sorted(unknown)}")


def _premise_satisfiable(query: Query, budget_s: float) -> Any:
    solver = _solver(budget_s)
    for _, formula in query.tracked:
        solver.add(_bool(formula))
    for formula in query.plain:
        solver.add(_bool(formula))
    solver.add(_bool(query.premise))
    return solver.check()


def _bool(value: Any) -> Any:
    return z3.BoolVal(value) if isinstance(value, bool) else value


def with_product_definitions(query: Query) -> Query:
    """The query with the definition of every product it mentions (``specs.z3_logic``, "A product") among its
    plain hypotheses: what the query meant with each product's shift-and-add sum written in place."""
    formulas = [_bool(f) for _, f in query.tracked] + [_bool(f) for f in query.plain]
    formulas += [_bool(goal) for _, goal in _goals(query)]
    if query.premise is not None:
        formulas.append(_bool(query.premise))
    definitions = product_definitions(product_ids(formulas))
    if not definitions:
        return query
    return replace(query, plain=list(query.plain) + definitions)


_EXPANDED: dict[int, tuple[Any, Any]] = {}
"""Formulas with their products replaced by their sums, by the formula's AST id (kept alive: ids stay theirs).
The obligations of one step share their hypotheses, so each is expanded once per process."""


def _expanded(formula: Any) -> Any:
    if not isinstance(formula, z3.ExprRef):
        return formula
    found = _EXPANDED.get(formula.get_id())
    if found is None:
        found = _EXPANDED[formula.get_id()] = (formula, expand_products(formula))
    return found[1]


def without_products(query: Query) -> Query:
    """The query with every product replaced by its shift-and-add sum: the terms the kernel's ``mul_small``
    stood for before products were applications (identical ASTs, as Z3 shares equal terms)."""
    goal = query.goal
    goal = [(name, _expanded(g)) for name, g in goal] if isinstance(goal, list) else _expanded(goal)
    return replace(
        query,
        tracked=[(label, _expanded(f)) for label, f in query.tracked],
        plain=[_expanded(f) for f in query.plain],
        goal=goal,
        premise=_expanded(query.premise),
    )


def run_query(obligation: Obligation, query: Query, describe: Callable[[Query, Any], dict[str, Any]]) -> Result:
    """Run one built query (see module docstring); ``describe`` turns a model into a counterexample."""
    started = time.perf_counter()
    query = with_product_definitions(query) if query.products else without_products(query)
    answer, solver, core, failing_goal = _check(query, obligation.budget_s)
    if answer == z3.unknown:
        reason = solver.reason_unknown() if solver is not None else "unknown"
        detail = reason + (f" (goal {failing_goal})" if failing_goal else "")
        return Result(obligation, "unknown", time.perf_counter() - started, detail=detail)
    if query.witness:
        status = "proved" if answer == z3.sat else "failed"
        detail = "witness found" if answer == z3.sat else "no state satisfies it: vacuous"
        return Result(obligation, status, time.perf_counter() - started, detail=detail)
    if answer == z3.sat:
        assert solver is not None
        return Result(
            obligation,
            "failed",
            time.perf_counter() - started,
            detail=f"goal {failing_goal} does not hold" if failing_goal else "",
            counterexample=describe(query, solver.model()),
        )
    used = core
    premise = "none"
    if query.premise is not None:
        found = _premise_satisfiable(query, obligation.budget_s)
        if found == z3.sat:
            premise = "satisfiable"
        elif found == z3.unsat:
            return Result(
                obligation,
                "vacuous",
                time.perf_counter() - started,
                used=used,
                premise="vacuous",
                detail="its premise can never hold",
            )
        else:
            return Result(
                obligation,
                "unknown",
                time.perf_counter() - started,
                used=used,
                premise="unknown",
                detail="premise check: unknown",
            )
    return Result(obligation, "proved", time.perf_counter() - started, used=used, premise=premise)
