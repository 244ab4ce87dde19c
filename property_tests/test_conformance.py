"""Code-to-model conformance on concrete steps (``property_tests.conformance``).

For steps taken by random runs, the Z3 transition relation of ``specs``
evaluated on the concrete before-state and event gives exactly the kernel's
after-state and outcome.  Serves the traceability of every requirement the
proofs cover (e.g. LIM-1, LIM-2, BOL-1, INP-1, DLV-2) to the code that runs.
"""

from __future__ import annotations

import random

import pytest

from kernel import events as ev
from kernel.config import DEFAULT_CONFIG, make_config
from kernel.state import initial_state
from kernel.step import step
from property_tests.conformance import Conformance, ConformanceError
from property_tests.conftest import scale
from property_tests.world import RandomChooser, World, run_random, settings_presets

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
