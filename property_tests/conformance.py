"""Code-to-model conformance: the Z3 transition relation holds on the steps the tests take.

Theory of operation
-------------------
The proofs of ``proofs/`` reason about ``specs.z3_model.symbolic_step``: the
shipped ``kernel.core.transition`` run on Z3 terms.  They say nothing about
the code that runs if the two drift apart (a ``logic`` call evaluated
differently by the Python and Z3 interpretations, a Python-only branch, the
form layer letting through what the model assumes away).  Conformance closes
that gap on concrete steps: for a step ``before --event--> after`` taken by
the real ``kernel.step``, substitute the concrete configuration, state and
event into the symbolic step's terms (``specs.symbolic.substitution``) and let
Z3 evaluate them.  The relation holds when Z3's next state equals the
concrete one leaf by leaf (the event log is not modelled and is skipped) and
Z3's outcome code equals the concrete outcome.  Any difference is a failure
of either the code or the model.

The model covers well-formed events only (``EVENT_SCHEMA``'s types and
ranges: ``specs.z3_model.event_constraints``); the form layer's refusals are
checked by the property tests instead (the state is unchanged).

``Conformance.maybe_check`` is the hook the property tests install on their
``World``: it checks one step in ``every`` (all of them in the deep profile).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import z3

from kernel.config import PumpConfig
from kernel.reasons import Reason
from kernel.state import PumpState
from kernel.step import StepResult, form_check
from specs.symbolic import leaves, substitution
from specs.z3_model import Step, symbolic_config, symbolic_step


class ConformanceError(AssertionError):
    """The kernel's step and the Z3 transition relation disagree."""


@dataclass
class Conformance:
    """Symbolic steps, built once per event class, and the check of concrete steps against them."""

    every: int = int(os.environ.get("PUMPKERNEL_CONFORMANCE_EVERY", "0")) or (
        1 if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else 7
    )
    checked: int = 0
    seen: int = 0
    skipped_ill_formed: int = 0
    _config: PumpConfig = field(default_factory=lambda: symbolic_config("c"))
    _steps: dict[type, tuple[Step, Any]] = field(default_factory=dict)

    def _symbolic(self, event_class: type) -> tuple[Step, Any]:
        if event_class not in self._steps:
            sym = symbolic_step(event_class, self._config)
            self._steps[event_class] = (sym, z3.IntVal(0) + sym.effects.reason)
        return self._steps[event_class]

    def maybe_check(self, config: PumpConfig, before: PumpState, event: object, result: StepResult) -> None:
        """Check one step in ``every`` (a ``World.on_step`` hook)."""
        self.seen += 1
        if self.seen % self.every == 0:
            self.check(config, before, event, result)

    def check_hook(self, config: PumpConfig, before: PumpState, event: object, result: StepResult) -> None:
        """Check every step (a ``World.on_step`` hook)."""
        self.check(config, before, event, result)

    def check(self, config: PumpConfig, before: PumpState, event: object, result: StepResult) -> bool:
        """True when checked; False when the event is outside the model (ill-formed).  Raises on disagreement."""
        if form_check(event) != Reason.ACCEPTED:
            self.skipped_ill_formed += 1
            return False
        sym, reason_term = self._symbolic(type(event))
        pairs = substitution(sym.config, config) + substitution(sym.before, before) + substitution(sym.event, event)
        expected = [(name, term) for name, term in leaves(sym.after, "state")]
        actual = [value for _, value in leaves(result.state, "state")]
        equalities = [_eq(term, value) for (_, term), value in zip(expected, actual, strict=True)]
        equalities.append(reason_term == int(result.outcome.reason))
        verdict = z3.simplify(z3.substitute(z3.And(*equalities), *pairs))
        self.checked += 1
        if z3.is_true(verdict):
            return True
        differences = []
        for (name, term), value in zip(expected, actual, strict=True):
            model_value = z3.simplify(z3.substitute(_as_term(term), *pairs))
            if not z3.is_true(z3.simplify(_eq(model_value, value))):
                differences.append(f"{name}: model {model_value}, kernel {value}")
        model_reason = z3.simplify(z3.substitute(reason_term, *pairs))
        if not z3.is_true(z3.simplify(model_reason == int(result.outcome.reason))):
            differences.append(f"outcome: model {model_reason}, kernel {int(result.outcome.reason)}")
        raise ConformanceError(f"{type(event).__name__} {event!r}: " + "; ".join(differences or [str(verdict)]))


def _as_term(value: Any) -> Any:
    if isinstance(value, z3.ExprRef):
        return value
    if isinstance(value, bool):
        return z3.BoolVal(value)
    return z3.IntVal(int(value))


def _eq(term: Any, value: Any) -> Any:
    t = _as_term(term)
    if z3.is_bool(t):
        return t == z3.BoolVal(bool(value))
    return t == z3.IntVal(int(value))
