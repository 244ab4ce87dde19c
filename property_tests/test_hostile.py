"""Hostile-event volume (``property_tests.hostile``): a small volume in CI, and the run's own checks.

Covers INP-1 (no exception escapes the step, ill-typed and stale events are
refused), INP-2 (a refusal changes nothing but the log), every shared
invariant after every step, and the oracle's LIM-1, LIM-2, BOL-1, BOL-3,
BAS-4, RES-1, RES-3, over random and adversarial lives.  The deep profile
runs 10^7 events (``make deep``); CI runs a few thousand.
"""

from __future__ import annotations

from typing import Any

import pytest

from kernel.modes import Mode
from kernel.state import PumpState, evolve
from kernel.step import StepResult
from property_tests import hostile
from property_tests.conftest import scale
from property_tests.hostile import breaks, merge, run_many, run_seed

CI_EVENTS_PER_SEED = scale(ci=3_000, quick=500, deep=200_000)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hostile_lives_break_nothing(seed: int) -> None:
    """Random and adversarial events through the real step: no exception, no broken invariant or limit."""
    result = run_seed(seed, CI_EVENTS_PER_SEED)
    assert result["events"] == CI_EVENTS_PER_SEED
    assert breaks(result) == 0, result["findings"]
    assert result["accepted"] > 0 and result["refused"] > 0


def test_run_seed_is_a_pure_function_of_its_arguments() -> None:
    """The same seed and count give the same result (a fan-out can map it over seeds)."""
    assert run_seed(7, 800) == run_seed(7, 800)
    assert run_seed(7, 800) != run_seed(8, 800)


def test_every_mix_runs_and_merge_sums_the_counts() -> None:
    """Lives of every mix occur over a few seeds; merged counts are the sums; processes give the same result."""
    results = [run_seed(seed, 1_500) for seed in range(6)]
    total = merge(results)
    assert total["events"] == 9_000 and total["seeds"] == 6
    assert total["lives"] == sum(r["lives"] for r in results)
    assert all(total["mixes"][mix] > 0 for mix in hostile.MIXES), total["mixes"]
    assert run_many(9_000, 2, 1_500) == total


def test_a_planted_invariant_break_is_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A patched invariant check failing whenever the pump delivers: counted, and each life ends there."""
    real = hostile.failing
    monkeypatch.setattr(hostile, "failing", lambda c, s: ["INV-PLANTED"] if s.mode == Mode.DELIVERING else real(c, s))
    result = run_seed(3, 2_000)
    assert result["invariant_breaks"] >= 1 and result["findings"][0].startswith("invariant_breaks: ['INV-PLANTED']")
    assert result["events"] == 2_000


def test_a_planted_exception_and_a_leaking_refusal_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A step that raises on ticks, and one whose refusals move the clock: both counted, never raised."""
    real = hostile.step

    def raising(config: Any, state: PumpState, event: Any) -> StepResult:
        if type(event).__name__ == "Tick":
            raise ZeroDivisionError("planted")
        return real(config, state, event)

    monkeypatch.setattr(hostile, "step", raising)
    assert run_seed(4, 1_000)["exceptions"] >= 1

    def leaking(config: Any, state: PumpState, event: Any) -> StepResult:
        result = real(config, state, event)
        if result.outcome.accepted:
            return result
        return StepResult(evolve(result.state, now_ticks=state.now_ticks + 1), (), result.outcome)

    monkeypatch.setattr(hostile, "step", leaking)
    assert run_seed(4, 1_000)["refusal_breaks"] >= 1
