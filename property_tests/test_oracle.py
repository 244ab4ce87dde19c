"""The kernel's deliveries against an independent reference over long random runs.

``property_tests.oracle`` is written from the requirements (LIM-1, LIM-2,
LIM-3, LIM-5, BOL-1, BOL-3, BAS-4, RES-1, RES-3), not from the kernel; every
step of these runs is also checked against every shared invariant and the
refusal rules (INP-1, INP-2).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel import events as ev
from kernel.config import DEFAULT_CONFIG, make_config
from kernel.events import Source
from property_tests.conftest import scale
from property_tests.oracle import HOUR_TICKS, Oracle, _Series
from property_tests.world import MotorBehaviour, RandomChooser, World, run_random, settings_presets

CONFIGS = (DEFAULT_CONFIG, make_config(pulse_mu=100, reservoir_units=200), make_config(pulse_mu=10))
RUN_STEPS = scale(ci=2500, quick=600, deep=20_000)


@pytest.mark.parametrize("seed", range(scale(ci=6, quick=2, deep=60)))
def test_long_random_runs_stay_within_every_limit(seed: int) -> None:
    """Long random runs (days of ticks, boluses, temps, faults): LIM-1, LIM-2, BOL-1, BOL-3, BAS-4, RES-1, RES-3."""
    config = CONFIGS[seed % len(CONFIGS)]
    world = World.fresh(config)
    world.set_up(settings_presets(config)[seed % 3])
    run_random(world, RandomChooser(random.Random(seed)), RUN_STEPS)
    assert world.oracle.deliveries > 0


@settings(max_examples=scale(ci=25, quick=5, deep=2000))
@given(seed=st.integers(0, 2**32 - 1), preset=st.integers(0, 2), config_index=st.integers(0, len(CONFIGS) - 1))
def test_random_runs_from_hypothesis_seeds(seed: int, preset: int, config_index: int) -> None:
    """Shorter runs from seeds Hypothesis picks (LIM-1, LIM-2, BOL-3, RES-1)."""
    config = CONFIGS[config_index]
    world = World.fresh(config)
    world.set_up(settings_presets(config)[preset])
    run_random(world, RandomChooser(random.Random(seed)), RUN_STEPS // 10)


def test_bolus_hammering_hits_the_hourly_limit_and_stops_there() -> None:
    """Back-to-back boluses and a controller pushing temps: the hour and day limits bind (LIM-1, LIM-2, LIM-3)."""
    world = World.fresh(DEFAULT_CONFIG)
    tight = settings_presets(DEFAULT_CONFIG)[0]
    world.set_up(tight)
    for minute in range(scale(ci=3, quick=1, deep=7) * 24 * 60):
        if minute % 7 == 0:
            world.apply(ev.BolusRequest(world.now, world.fresh_request_id(), Source.USER, tight.max_bolus_pulses, 0, 0))
        world.apply(ev.Tick(world.now + 1))
        world.answer_all(MotorBehaviour.EXACT)
        if minute % 600 == 0:
            world.apply(ev.UserPresent(world.now))
            for kind, status in enumerate(world.state.alarms):
                if status == 2:
                    world.apply(ev.AlarmAck(world.now, kind))
    hour_peak = max(world.oracle.therapy.window(t, HOUR_TICKS) for t in world.oracle.therapy.ticks)
    assert hour_peak <= tight.max_hourly_pulses
    assert hour_peak >= tight.max_hourly_pulses - tight.max_bolus_pulses, "the limit was never approached"


def test_oracle_catches_a_window_violation() -> None:
    """The reference is not vacuous: a series above the hourly limit is seen (LIM-1)."""
    series = _Series()
    for tick in range(0, 60, 5):
        series.add(tick, 10)
    assert series.window(59, HOUR_TICKS) == 120
    assert series.window(64, HOUR_TICKS) == 110
    assert series.window(200, HOUR_TICKS) == 0
    assert Oracle().deliveries == 0
