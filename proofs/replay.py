"""Evaluate a proof obligation on one concrete step (counterexample replay).

``goal_holds(obligation_id, config, before, event)`` substitutes concrete
values for the symbolic configuration, state and event of the obligation's
query and simplifies its goal to ``True`` or ``False``.  Regression tests
generated from counterexamples call it next to the real ``kernel.step``, so a
counterexample stays a failing test until the code (or the property) is fixed.
"""

from __future__ import annotations

from typing import Any

import z3

from proofs.model import Context, as_bool
from proofs.obligations import all_obligations
from specs.symbolic import substitution


def goal_holds(obligation_id: str, config: Any, before: Any, event: Any) -> bool:
    """Whether the obligation's goal holds on a concrete step (hypotheses included)."""
    ctx = Context()
    obligation = next(o for o in all_obligations() if o.id == obligation_id)
    query = obligation.build(ctx)
    pairs = substitution(ctx.config, config)
    if query.step is not None:
        pairs += substitution(query.step.before, before) + substitution(query.step.event, event)
    hypotheses = z3.And(*[as_bool(f) for _, f in query.tracked], *query.plain)
    formula = z3.Implies(hypotheses, query.goal)
    value = z3.simplify(z3.substitute(formula, *pairs)) if pairs else z3.simplify(formula)
    return bool(z3.is_true(value))
