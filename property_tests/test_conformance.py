"""Code-to-model conformance on concrete steps (``property_tests.conformance``).

For steps taken by random runs, the kernel's decision run on Z3 terms and
evaluated on the concrete before-state and event gives exactly the shipped
Python decision: the whole after-state, the whole ``Effects`` and every
command (issue 15, point 5); every primitive call stays inside its domain.
Serves the traceability of every requirement the proofs cover (e.g. LIM-1,
LIM-2, BOL-1, INP-1, DLV-2) to the code that runs.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

import property_tests.conformance
from kernel import events as ev
from kernel.commands import CommandKind, CommandSlot, Deliver, Effects, command_slots
from kernel.config import DEFAULT_CONFIG, make_config
from kernel.logic import Logic
from kernel.state import initial_state
from kernel.step import step
from property_tests.conformance import Conformance, ConformanceError
from property_tests.conftest import scale
from property_tests.world import MotorBehaviour, RandomChooser, World, run_random, settings_presets

CONFORMANCE = Conformance(every=1)


@pytest.mark.parametrize("seed", range(scale(ci=3, quick=1, deep=40)))
def test_every_step_of_a_random_run_conforms(seed: int) -> None:
    """Every step of a random run, hostile events included (ill-formed ones are outside the model)."""
    config = (DEFAULT_CONFIG, make_config(pulse_mu=100, reservoir_units=200))[seed % 2]
    world = World.fresh(config)
    world.on_step = CONFORMANCE.check_hook
    world.set_up(settings_presets(config)[seed % 3])
    run_random(world, RandomChooser(random.Random(1000 + seed)), scale(ci=150, quick=40, deep=3000))
    assert CONFORMANCE.checked > 0


def test_a_disagreement_is_reported() -> None:
    """A doctored after-state is caught: the check is not vacuous."""
    c = DEFAULT_CONFIG
    before = initial_state(c)
    event = ev.Tick(1)
    result = step(c, before, event)
    assert Conformance().check(c, before, event, result)
    doctored = result._replace(state=result.state._replace(now_ticks=5))
    with pytest.raises(ConformanceError, match="step differs from transition: state"):
        Conformance().check(c, before, event, doctored)


def _slots_dropping_single_pulses(fx: Effects, logic: Logic) -> tuple[CommandSlot, ...]:
    """Planted: a skip guard that drops a one-pulse ``Deliver`` (exact on Z3 terms, wrong in Python)."""
    slots = command_slots(fx, logic)
    if (fx.deliver_pulses > 1) is False and slots and slots[0][1] == CommandKind.DELIVER:
        return slots[1:]
    return slots


def test_a_command_dropped_only_in_python_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Conformance compares the commands: a Deliver missing from the Python side is reported, briefly."""
    world = World.fresh(DEFAULT_CONFIG)
    world.set_up(settings_presets(DEFAULT_CONFIG)[0])
    found: Any = None
    for _ in range(30):
        before, event = world.state, ev.Tick(world.now + 1)
        result = world.apply(event)
        world.answer_all(MotorBehaviour.EXACT)
        if any(isinstance(c, Deliver) and c.pulses == 1 for c in result.commands):
            found = (before, event)
            break
    assert found is not None, "no one-pulse Deliver in 30 minutes of the tight preset"
    monkeypatch.setattr(property_tests.conformance, "command_slots", _slots_dropping_single_pulses)
    with pytest.raises(ConformanceError, match=r"commands\.Deliver\.present: python False, z3 True") as caught:
        Conformance().check(DEFAULT_CONFIG, *found)
    assert len(str(caught.value)) < 2000


def test_an_out_of_range_event_conforms_though_its_handler_leaves_a_domain_on_z3_terms() -> None:
    """INP-1 (found by the stateful test in verify): a controller bolus with a negative extended part is refused as
    out of range before any handler runs in Python; on Z3 terms the handler is built anyway (its results are
    discarded) and its division leaves its domain.  The outputs agree, so the step conforms."""
    c = DEFAULT_CONFIG
    before = initial_state(c)
    event = ev.BolusRequest(0, 8, ev.Source.CONTROLLER, 114, -1, 30)
    result = step(c, before, event)
    checker = Conformance()
    assert checker.check(c, before, event, result)
    assert checker.out_of_range_agreed == 1


def test_leaf_values_are_the_values_of_leaves_in_order() -> None:
    """The checker reads concrete values with ``leaf_values`` (no names built); they are ``leaves``' values, in the
    same order, for every before-state, event, after-state and ``Effects`` of a random run."""
    from kernel.core import transition
    from kernel.logic import PY
    from kernel.reasons import Reason
    from kernel.step import form_check
    from specs.symbolic import leaf_values, leaves

    seen: list[Any] = []

    def record(config: Any, before: Any, event: object, result: Any) -> None:
        if form_check(event) != Reason.ACCEPTED:  # outside the model, as in the checker
            return
        state, fx = transition(config, before, event, PY)
        seen.extend([(config, before, event), before, result.state, state, fx])

    world = World.fresh(DEFAULT_CONFIG)
    world.on_step = record
    world.set_up(settings_presets(DEFAULT_CONFIG)[0])
    run_random(world, RandomChooser(random.Random(7)), 60)
    assert len(seen) >= 5 * 40
    for value in seen:
        assert leaf_values(value) == [v for _, v in leaves(value, "x")]


def test_outputs_evaluated_together_are_each_output_evaluated_alone() -> None:
    """A disagreement is explained from one substitution of every output (``SymbolicDecision.expanded_outputs``);
    the values are those of each output substituted and simplified alone (compared on every 20th output and the
    last: alone, each output costs a walk of the shared terms)."""
    from kernel.commands import commands_of
    from kernel.core import transition
    from kernel.logic import PY
    from specs.symbolic import leaf_values

    checker = Conformance()
    c = DEFAULT_CONFIG
    before = initial_state(c)
    for event in (ev.Tick(1), ev.BolusRequest(0, 7, ev.Source.USER, 20)):
        sym = checker.decision(type(event))
        state, fx = transition(c, before, event, PY)
        commands = commands_of(command_slots(fx, PY))
        values = leaf_values((c, before, event)) + sym.expected_values(state, fx, commands)
        to = sym.substituter.values(values)
        together = sym.substituter.evaluate_arguments(sym.expanded_outputs, to)
        assert len(together) == len(sym.outputs) > 100
        sample = [*range(0, len(sym.outputs), 20), len(sym.outputs) - 1]
        alone = [sym.substituter.evaluate(sym.expanded(sym.outputs[i][1]), to) for i in sample]
        assert [together[i] for i in sample] == alone
