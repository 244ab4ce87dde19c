"""Code-to-model conformance: the kernel's decision on Z3 terms equals the shipped Python decision.

Theory of operation
-------------------
The proofs of ``proofs/`` reason about ``kernel.core.transition`` run on Z3
terms (``specs.z3_logic``).  They say nothing about the code that ships if the
two interpretations drift apart: a primitive whose Z3 version differs, a
Python-only branch, a skip guard (``if cond is not False``, ``kernel.logic``)
that skips work whose result was needed.  Conformance closes that gap on
concrete inputs.  For one (configuration, state, event):

* Python: ``transition(config, state, event, PY)`` gives the new state and
  the ``Effects``; ``commands_of(command_slots(fx, PY))`` the commands.
* Z3: the same ``transition`` on a symbolic configuration, state and event
  (built once per event class, with ``Z3Logic(record=True)`` so that every
  primitive call's side condition is kept), and ``command_slots(fx, Z3)``;
  the concrete values are substituted and Z3 simplifies every term.

They must agree on the whole new state (leaf by leaf; the event log is not
part of any decision), on the whole ``Effects`` and on the commands: the
present command slots, keyed by command (the ``Deliver``, each alarm kind,
each notice kind), with every field.  A step of ``kernel.step`` is also
checked to be exactly that decision plus its log (the state, the commands,
the outcome's reason).

Every primitive call's side condition is evaluated on the same values.  On
steps of random runs (states that satisfy the invariants) every one must
hold; a call outside its domain there is a failure.  For arbitrary states
(``arbitrary=True``, ``property_tests/test_lazy_exact.py``) a case where one
fails is outside what the proofs claim: it is counted (``outside_domain``,
and how many of them agreed anyway), not judged.

Failures list the differing leaves (path, Python value, Z3 value), at most
``MAX_DIFFS``, with short reprs: never whole Z3 terms.  Evaluation is one
call of Z3's substitution per check (``property_tests.z3_fast``).

``Conformance.maybe_check`` is the hook the property tests install on their
``World``: it checks one step in ``every`` (all of them in the deep profile).
The model covers well-typed events (``kernel.step.form_check``); the form
layer's refusals are checked by the property tests (the state is unchanged).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import z3

from kernel.commands import CommandKind, Deliver, Effects, command_slots, commands_of
from kernel.config import PumpConfig
from kernel.core import in_range, transition
from kernel.logic import PY
from kernel.reasons import Reason
from kernel.state import PumpState
from kernel.step import StepResult, form_check
from property_tests.z3_fast import Substituter, as_term, expand_definitions, short
from specs.symbolic import leaf_values, leaves
from specs.z3_logic import Z3Logic, expand_products
from specs.z3_model import symbolic_config, symbolic_event, symbolic_state

MAX_DIFFS = 12

AGREE, DISAGREE, AGREE_OUTSIDE, DISAGREE_OUTSIDE = 1, 2, 3, 4


class ConformanceError(AssertionError):
    """The Python and Z3 interpretations of the kernel's decision disagree."""


def command_key(kind: int, fields: tuple[Any, ...]) -> str:
    """The name of a command slot: ``Deliver``, ``Alarm[k]`` or ``Notice[k]``."""
    if kind == CommandKind.DELIVER:
        return "Deliver"
    return f"{'Alarm' if kind == CommandKind.ALARM else 'Notice'}[{int(fields[0])}]"


def _command_key(command: Any) -> str:
    if isinstance(command, Deliver):
        return "Deliver"
    return f"{type(command).__name__}[{int(command.kind)}]"


@dataclass
class SymbolicDecision:
    """One event class's decision on Z3 terms, ready to be evaluated on concrete values."""

    slot_keys: tuple[str, ...]
    slot_arity: tuple[int, ...]
    outputs: list[tuple[str, Any]]
    side_conditions: list[tuple[str, Any]]
    verdict: Any
    substituter: Substituter
    definitions: list[tuple[Any, Any]] = field(default_factory=list)
    """``(name, expansion)`` pairs of the named intermediate terms (``outputs`` may use the names)."""

    expansions: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    """``expanded``'s results by the term's AST id (with the term, kept alive so that its id stays its own)."""

    @cached_property
    def expanded_outputs(self) -> Any:
        """Every output, expanded, as the arguments of one application ``outputs!(...)``, built once per process:
        the explanation of a disagreement then substitutes and simplifies once for all outputs (shared subterms
        once), not once per output (2,000 and more outputs, each a walk of the shared terms: seconds each time)."""
        terms = [as_term(term) for _, term in self.outputs]
        app = z3.Function("outputs!", *(t.sort() for t in terms), z3.BoolSort())(*terms)
        named = z3.substitute(app, *self.definitions) if self.definitions else app
        return expand_products(named)

    def expanded(self, term: Any) -> Any:
        """``term`` with every named intermediate and every product expanded (inputs and expected values only);
        each output is expanded once per process, however many disagreements are explained."""
        term = as_term(term)
        found = self.expansions.get(term.get_id())
        if found is None:
            named = z3.substitute(term, *self.definitions) if self.definitions else term
            found = self.expansions[term.get_id()] = (term, expand_products(named))
        return found[1]

    @classmethod
    def build(cls, config: PumpConfig, event_class: type) -> SymbolicDecision:
        logic = Z3Logic(record=True)
        s = symbolic_state("s")
        e = symbolic_event(event_class, "e")
        after, fx = transition(config, s, e, logic)
        slots = command_slots(fx, logic)
        outputs = list(leaves(fx, "effects"))
        keys = []
        for present, kind, fields in slots:
            key = command_key(kind, fields)
            keys.append(key)
            outputs.append((f"commands.{key}.present", present))
            for j, value in enumerate(fields):
                outputs.append((f"commands.{key}[{j}]", z3.If(as_term(present), as_term(value), 0)))
        outputs.extend(leaves(after, "state"))
        named = expand_definitions(logic.definitions)
        side_conditions = [
            (name, expand_products(z3.substitute(cond, *named) if named else cond))
            for name, cond in logic.side_conditions
        ]
        expected = [z3.Const(f"expected!{i}", as_term(term).sort()) for i, (_, term) in enumerate(outputs)]
        agree = z3.And(*(as_term(term) == want for (_, term), want in zip(outputs, expected, strict=True)))
        domain = z3.And(*(cond for _, cond in side_conditions)) if side_conditions else z3.BoolVal(True)
        verdict = z3.If(domain, z3.If(agree, AGREE, DISAGREE), z3.If(agree, AGREE_OUTSIDE, DISAGREE_OUTSIDE))
        if named:  # one substitution for every output: Z3 expands each shared intermediate once, not once per output
            verdict = z3.substitute(verdict, *named)
        verdict = expand_products(verdict)  # products by their sums: substitution and simplify then evaluate them
        inputs = [term for _, term in leaves((config, s, e), "in")]
        return cls(
            slot_keys=tuple(keys),
            slot_arity=tuple(len(fields) for _, _, fields in slots),
            outputs=outputs,
            side_conditions=side_conditions,
            verdict=verdict,
            substituter=Substituter(inputs + expected),
            definitions=named,
        )

    def expected_values(self, state: PumpState, fx: Effects, commands: tuple[Any, ...]) -> list[Any]:
        """The Python side's value for every output, in order (absent commands: not present, fields 0)."""
        values = leaf_values(fx)
        by_key = {_command_key(command): tuple(command) for command in commands}
        for key, arity in zip(self.slot_keys, self.slot_arity, strict=True):
            present = key in by_key
            values.append(present)
            values.extend(by_key[key] if present else (0,) * arity)
        values.extend(leaf_values(state))
        return values


@dataclass
class Conformance:
    """Symbolic decisions, built once per event class, and the check of concrete inputs against them."""

    every: int = int(os.environ.get("PUMPKERNEL_CONFORMANCE_EVERY", "0")) or (
        1 if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else 7
    )
    checked: int = 0
    seen: int = 0
    skipped_ill_formed: int = 0
    outside_domain: int = 0
    outside_domain_agreed: int = 0
    python_raised_outside_domain: int = 0
    broken: Counter[str] = field(default_factory=Counter)
    """How often each primitive left its domain (arbitrary states)."""
    out_of_range_agreed: int = 0
    """Out-of-range events whose handler's primitives left their domains on Z3 terms, outputs agreeing."""
    _config: PumpConfig = field(default_factory=lambda: symbolic_config("c"))
    _decisions: dict[type, SymbolicDecision] = field(default_factory=dict)

    def decision(self, event_class: type) -> SymbolicDecision:
        if event_class not in self._decisions:
            self._decisions[event_class] = SymbolicDecision.build(self._config, event_class)
        return self._decisions[event_class]

    def maybe_check(self, config: PumpConfig, before: PumpState, event: object, result: StepResult) -> None:
        """Check one step in ``every`` (a ``World.on_step`` hook)."""
        self.seen += 1
        if self.seen % self.every == 0:
            self.check(config, before, event, result)

    def check_hook(self, config: PumpConfig, before: PumpState, event: object, result: StepResult) -> None:
        """Check every step (a ``World.on_step`` hook)."""
        self.check(config, before, event, result)

    def check(
        self,
        config: PumpConfig,
        before: PumpState,
        event: object,
        result: StepResult | None = None,
        *,
        arbitrary: bool = False,
    ) -> bool:
        """True when checked and in agreement; False when not judged (ill-formed, or outside a primitive's domain).

        Raises ``ConformanceError`` on a disagreement (see module docstring).
        """
        if form_check(event) != Reason.ACCEPTED:
            self.skipped_ill_formed += 1
            return False
        sym = self.decision(type(event))
        inputs = leaf_values((config, before, event))
        try:
            state, fx = transition(config, before, event, PY)
            commands = commands_of(command_slots(fx, PY))
        except (IndexError, KeyError, ValueError, TypeError, ZeroDivisionError) as problem:
            return self._python_raised(sym, inputs, event, problem, arbitrary)
        if result is not None:
            _check_step_is_the_decision(event, result, state, fx, commands)
        keys = [_command_key(command) for command in commands]
        if len(set(keys)) != len(keys) or not set(keys) <= set(sym.slot_keys):
            raise ConformanceError(f"{_name(event)}: Python commands {keys} are not among the slots {sym.slot_keys}")
        if keys != [key for key in sym.slot_keys if key in keys]:
            raise ConformanceError(f"{_name(event)}: Python commands {keys} are not in emission order")
        values = inputs + sym.expected_values(state, fx, commands)
        mismatched = sym.substituter.sort_mismatches(values)
        if mismatched:
            paths = [_path(sym, len(inputs), i) for i in mismatched[:MAX_DIFFS]]
            raise ConformanceError(f"{_name(event)}: bool/int kind differs from the model at {', '.join(paths)}")
        to = sym.substituter.values(values)
        verdict = sym.substituter.evaluate(sym.verdict, to)
        self.checked += 1
        if verdict == AGREE:
            return True
        if verdict == AGREE_OUTSIDE and in_range(event, PY) is False:
            # An event outside its static ranges is refused before any handler runs in Python; on Z3 terms the
            # handler is built anyway and its results discarded (the refusal keeps the state), so its primitives
            # may leave their domains.  What counts is that the outputs agree, and they do.
            self.out_of_range_agreed += 1
            return True
        if verdict in (AGREE_OUTSIDE, DISAGREE_OUTSIDE) and arbitrary:
            self.outside_domain += 1
            self.broken.update(set(_broken_conditions(sym, to)))
            self.outside_domain_agreed += verdict == AGREE_OUTSIDE
            return False
        raise ConformanceError(self._explain(sym, to, values[len(inputs) :], event, verdict))

    def _python_raised(
        self, sym: SymbolicDecision, inputs: list[Any], event: object, problem: Exception, arbitrary: bool
    ) -> bool:
        """Python raised: only acceptable on an arbitrary state where some primitive left its domain."""
        to = sym.substituter.values(inputs + [False if z3.is_bool(as_term(t)) else 0 for _, t in sym.outputs])
        broken = _broken_conditions(sym, to)
        if arbitrary and broken:
            self.outside_domain += 1
            self.broken.update(set(broken))
            self.python_raised_outside_domain += 1
            return False
        raise ConformanceError(
            f"{_name(event)}: Python raised {type(problem).__name__}: {short(str(problem))} "
            f"with every primitive inside its domain"
        )

    def _explain(self, sym: SymbolicDecision, to: Any, expected: list[Any], event: object, verdict: Any) -> str:
        lines = [f"{_name(event)}: Python and Z3 disagree (verdict {verdict})"]
        broken = _broken_conditions(sym, to)
        if broken:
            lines.append(f"  primitives outside their domain: {', '.join(sorted(set(broken)))}")
        shown = 0
        got_all = sym.substituter.evaluate_arguments(sym.expanded_outputs, to)
        for (path, _), got, want in zip(sym.outputs, got_all, expected, strict=True):
            if not _same(got, want):
                if shown < MAX_DIFFS:
                    lines.append(f"  {path}: python {short(want)}, z3 {short(got)}")
                shown += 1
        if shown > MAX_DIFFS:
            lines.append(f"  ... and {shown - MAX_DIFFS} more differing leaves")
        return "\n".join(lines)


def _same(got: Any, want: Any) -> bool:
    """Z3's value equals Python's, ``bool`` apart from ``int``."""
    if isinstance(want, bool):
        return got is want
    return type(got) is int and got == int(want)


def _path(sym: SymbolicDecision, n_inputs: int, index: int) -> str:
    return f"input {index}" if index < n_inputs else sym.outputs[index - n_inputs][0]


def _broken_conditions(sym: SymbolicDecision, to: Any) -> list[str]:
    return [name for name, cond in sym.side_conditions if sym.substituter.evaluate(cond, to) is not True]


def _name(event: object) -> str:
    return short(event, 100)


def _check_step_is_the_decision(
    event: object, result: StepResult, state: PumpState, fx: Effects, commands: tuple[Any, ...]
) -> None:
    """``kernel.step`` is the decision plus its log: same state (but the log), commands and reason."""
    problems = []
    if tuple(result.state[:-1]) != tuple(state[:-1]):
        problems.append("state")
    if result.commands != commands:
        problems.append(f"commands {short(result.commands)} != {short(commands)}")
    if int(result.outcome.reason) != int(fx.reason):
        problems.append(f"reason {int(result.outcome.reason)} != {int(fx.reason)}")
    if problems:
        raise ConformanceError(f"{_name(event)}: step differs from transition: {'; '.join(problems)}")
